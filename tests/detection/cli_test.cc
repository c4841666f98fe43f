// The detect and evaluate commands as a user runs them, including bad input.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/testing/testing.h"

namespace bw {
namespace {

// The hulls `detect` reports at `berth` in one scene of seed 3's `default` season, rendered
// alone with `simulate --only` (the same bytes as in the full season).
std::vector<nlohmann::json> Seed3HullsAt(const std::string& scene_id, const std::string& berth) {
  testing::TempDir dir("bwcli");
  const auto sim = testing::RunCli(
      {"simulate", "--seed", "3", "--only", scene_id, "--out", dir.path().string()});
  EXPECT_EQ(sim.exit_code, 0) << sim.err;
  const auto det = testing::RunCli({"detect", dir.file("scenes/" + scene_id + ".tif"), "--terminal",
                                    dir.file("terminal.geojson"), "--out", dir.file("d.geojson")});
  EXPECT_EQ(det.exit_code, 0) << det.err;
  std::vector<nlohmann::json> out;
  std::ifstream in(dir.file("d.geojson"));
  if (!in) return out;
  const nlohmann::json fc = nlohmann::json::parse(in);
  for (const auto& f : fc["features"]) {
    if (f["properties"]["berth"] != berth) continue;
    const auto& p = f["properties"];
    std::printf("seed 3, %s, %s: length %.1f m, beam %.1f m, cloud_affected %d\n", scene_id.c_str(),
                berth.c_str(), p["length_m"].get<double>(), p["beam_m"].get<double>(),
                p["cloud_affected"].get<bool>() ? 1 : 0);
    out.push_back(p);
  }
  return out;
}

// Seed 3 of `default`, 2024-08-22: a dark 89.2 x 14.1 m hull at B3 with the pier 2.5 m off
// its side, the gap lightly shaded by its shadow. Its brightness edges wander and the
// objectness map, whose edges are straighter, takes the gap in: it measured 17.2 m until
// 2026-12-05 (detector 2026-12-05.1 keeps the brightness map's sides).
TEST(DetectCli, ADarkHullBesideThePierIsMeasuredWithoutTheGap) {
  const auto hulls = Seed3HullsAt("scene_20240822T013956", "B3");
  ASSERT_EQ(hulls.size(), 1u);
  EXPECT_NEAR(hulls[0]["beam_m"].get<double>(), 14.1, 1.0);
  EXPECT_NEAR(hulls[0]["length_m"].get<double>(), 89.2, 2.0);
}

// Seed 3, 2024-09-09: haze brighter than the water touches the bow of a red-decked hull at
// B2 (89.2 x 13.7 m). At the grow level the two are one shapeless component; split across,
// the haze stayed along the hull's axis (153.7 x 19.9 m, centre 58 m off the berth) and the
// hull was lost. The component's raised-level piece is the hull.
TEST(DetectCli, AHullJoinedToHazeAtItsBowIsFoundWhole) {
  const auto hulls = Seed3HullsAt("scene_20240909T020853", "B2");
  ASSERT_EQ(hulls.size(), 1u);
  EXPECT_NEAR(hulls[0]["length_m"].get<double>(), 89.2, 2.0);
  EXPECT_NEAR(hulls[0]["beam_m"].get<double>(), 13.7, 1.0);
}

// Seed 3, 2024-08-09: an 89.2 x 13.7 m red-decked hull at B3 in patchy haze (clear of cloud,
// 9 % of the scene clouded). The haze around it is neither water (NDWI) nor cloud, and it
// stands a few noise levels above the water: the ring test found too little water round the
// hull and dropped it. Haze a quarter as bright in objectness as the hull counts as water
// there, and the hull is reported as in thin cloud (cloud_affected).
TEST(DetectCli, AHullInPatchyHazeIsFoundAndMarkedAsInThinCloud) {
  const auto hulls = Seed3HullsAt("scene_20240809T014732", "B3");
  ASSERT_EQ(hulls.size(), 1u);
  EXPECT_NEAR(hulls[0]["length_m"].get<double>(), 89.2, 0.05 * 89.2);
  EXPECT_NEAR(hulls[0]["beam_m"].get<double>(), 13.7, 1.5);
  EXPECT_TRUE(hulls[0]["cloud_affected"].get<bool>());
}

TEST(DetectCli, NeedsTerminalOrWide) {
  testing::TempDir dir("bwcli");
  const auto r = testing::RunCli({"detect", dir.file("x.tif"), "--out", dir.file("o.geojson")});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_FALSE(r.err.empty());
}

TEST(DetectCli, UnreadableSceneNamesTheFile) {
  testing::TempDir dir("bwcli");
  {
    std::ofstream o(dir.file("junk.tif"));
    o << "not a tiff";
  }
  const auto r =
      testing::RunCli({"detect", dir.file("junk.tif"), "--wide", "--out", dir.file("o.geojson")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("junk.tif"), std::string::npos) << r.err;
  EXPECT_EQ(r.signal, 0);
}

// detect --wide runs itself again with glibc's malloc on transparent huge pages (app/main.cc);
// berth mode does not, and the user's own setting wins.
TEST(DetectCli, WideModeRunsWithMallocHugePages) {
  testing::TempDir dir("bwcli");
  {
    std::ofstream o(dir.file("junk.tif"));
    o << "not a tiff";
  }
  setenv("BW_LOG", "debug", 1);
  const auto wide =
      testing::RunCli({"detect", dir.file("junk.tif"), "--wide", "--out", dir.file("o.geojson")});
  const auto berth = testing::RunCli({"detect", dir.file("junk.tif"), "--terminal",
                                      dir.file("t.geojson"), "--out", dir.file("o.geojson")});
  setenv("GLIBC_TUNABLES", "glibc.malloc.hugetlb=0", 1);
  const auto user =
      testing::RunCli({"detect", dir.file("junk.tif"), "--wide", "--out", dir.file("o.geojson")});
  unsetenv("GLIBC_TUNABLES");
  unsetenv("BW_LOG");
  EXPECT_EQ(wide.exit_code, 2);
  EXPECT_NE(wide.err.find("GLIBC_TUNABLES=glibc.malloc.hugetlb=1"), std::string::npos) << wide.err;
  EXPECT_NE(wide.err.find("junk.tif"), std::string::npos) << wide.err;
  EXPECT_EQ(berth.err.find("GLIBC_TUNABLES"), std::string::npos) << berth.err;
  EXPECT_NE(user.err.find("GLIBC_TUNABLES=glibc.malloc.hugetlb=0"), std::string::npos) << user.err;
}

TEST(DetectCli, AllNodataRealFileGivesNoDetections) {
  BW_REQUIRE_REAL_DATA(real);
  testing::TempDir dir("bwcli");
  const auto r =
      testing::RunCli({"detect", (real / "odd_valid_tiffs" / "rasterio_all_nodata.tif").string(),
                       "--wide", "--out", dir.file("o.geojson")});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("rasterio_all_nodata.tif"), std::string::npos) << r.err;
}

TEST(EvaluateCli, NeedsExactlyOneTruth) {
  testing::TempDir dir("bwcli");
  {
    std::ofstream o(dir.file("d.geojson"));
    o << R"({"type":"FeatureCollection","features":[]})";
  }
  const auto r = testing::RunCli({"evaluate", dir.file("d.geojson")});
  EXPECT_EQ(r.exit_code, 2);
}

TEST(EvaluateCli, ScoresAndWritesJson) {
  testing::TempDir dir("bwcli");
  {
    std::ofstream o(dir.file("d.geojson"));
    o << R"({"type":"FeatureCollection","scenes":[{"scene_id":"a","sun_azimuth_deg":90}],
      "features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]},
      "properties":{"scene_id":"a","length_m":100,"heading_deg":0,"load_state":"empty",
      "confidence":0.9}}]})";
    std::ofstream t(dir.file("truth.json"));
    t << R"({"scenes":[{"scene_id":"a","objects":[{"vessel":"V","berth":"B1","lon":1,"lat":2,
      "heading_deg":0,"length_m":100,"load_state":"empty","freeboard_m":5}]}]})";
  }
  const auto r = testing::RunCli({"evaluate", "--truth", dir.file("truth.json"),
                                  dir.file("d.geojson"), "--json", dir.file("e.json")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("precision 1.000"), std::string::npos) << r.out;
  std::ifstream e(dir.file("e.json"));
  std::string text((std::istreambuf_iterator<char>(e)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("\"recall\": 1.0"), std::string::npos) << text;
}

TEST(EvaluateCli, ListNamesTheMissedVessel) {
  testing::TempDir dir("bwcli");
  {
    std::ofstream o(dir.file("d.geojson"));
    o << R"({"type":"FeatureCollection","scenes":[{"scene_id":"a","sun_azimuth_deg":90}],
      "features":[]})";
    std::ofstream t(dir.file("truth.json"));
    t << R"({"scenes":[{"scene_id":"a","objects":[{"vessel":"Unseen","berth":"B1","lon":1,
      "lat":2,"heading_deg":0,"length_m":100,"load_state":"empty","freeboard_m":5}]}]})";
  }
  const auto r = testing::RunCli(
      {"evaluate", "--truth", dir.file("truth.json"), dir.file("d.geojson"), "--list"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("miss  a  Unseen  B1"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace bw
