// The detect and evaluate commands as a user runs them, including bad input.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "tests/testing/testing.h"

namespace bw {
namespace {

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

}  // namespace
}  // namespace bw
