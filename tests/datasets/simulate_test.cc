// The `smoke` scenario end to end: files, truth consistent with the schedule, GeoTIFFs and
// sidecars that reopen, determinism, the render cache and the CLI.
#include "datasets/simulate.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "datasets/plan.h"
#include "datasets/scenario.h"
#include "geo/error.h"
#include "geo/scene.h"
#include "geo/terminal.h"
#include "tests/testing/testing.h"

namespace bw::datasets {
namespace {

namespace fs = std::filesystem;

nlohmann::json ReadJson(const fs::path& p) {
  std::ifstream in(p);
  return nlohmann::json::parse(in);
}

std::string ReadBytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

SimulateResult RenderSmoke(const fs::path& out, int threads = 2) {
  SimulateOptions o;
  o.scenario = "smoke";
  o.out_dir = out.string();
  o.threads = threads;
  return Simulate(o);
}

TEST(Simulate, SmokeWritesContractFiles) {
  testing::TempDir dir;
  const SimulateResult r = RenderSmoke(dir.path());
  EXPECT_FALSE(r.cached);
  EXPECT_EQ(r.scenes, 6);
  EXPECT_EQ(r.vessels, 3);
  EXPECT_EQ(r.visits, 4);
  for (const char* f : {"truth.json", "terminal.geojson", "fleet.csv", "manifest.json"}) {
    EXPECT_TRUE(fs::is_regular_file(dir.path() / f)) << f;
  }
  const nlohmann::json truth = ReadJson(dir.path() / "truth.json");
  ASSERT_EQ(truth["scenes"].size(), 6u);
  std::string prev;
  for (const auto& s : truth["scenes"]) {
    const std::string id = s["scene_id"];
    EXPECT_GT(id, prev) << "scenes sorted by time";
    prev = id;
    EXPECT_TRUE(fs::is_regular_file(dir.path() / "scenes" / (id + ".tif")));
    EXPECT_TRUE(fs::is_regular_file(dir.path() / "scenes" / (id + ".json")));
  }
  const Terminal t = LoadTerminal((dir.path() / "terminal.geojson").string());
  EXPECT_EQ(t.berths().size(), 2u);
  EXPECT_GE(t.of_kind(FeatureKind::kLand).size(), 2u);
}

TEST(Simulate, TruthConsistentWithSchedule) {
  testing::TempDir dir;
  RenderSmoke(dir.path());
  const nlohmann::json truth = ReadJson(dir.path() / "truth.json");
  const Scenario sc = LoadScenario("smoke");
  EXPECT_EQ(truth["vessels"].size(), static_cast<size_t>(sc.fleet.count));
  ASSERT_EQ(truth["visits"].size(), static_cast<size_t>(sc.schedule.visit_count));
  std::map<std::string, nlohmann::json> vessels;
  for (const auto& v : truth["vessels"]) vessels[v["name"]] = v;
  int reverse = 0;
  std::vector<int> seen_clear(truth["visits"].size(), 0);
  for (const auto& s : truth["scenes"]) {
    const TimePoint t = *ParseTime(s["datetime"].get<std::string>());
    for (const auto& o : s["objects"]) {
      if (!o.contains("visit")) continue;
      const auto& v = truth["visits"][o["visit"].get<int>()];
      EXPECT_EQ(o["vessel"], v["vessel"]);
      EXPECT_EQ(o["berth"], v["berth"]);
      EXPECT_LE(*ParseTime(v["arrive"].get<std::string>()), t);
      EXPECT_LT(t, *ParseTime(v["depart"].get<std::string>()));
      // Freeboard = depth - draft, draft between ballast and laden, state from the load.
      const auto& spec = vessels.at(o["vessel"]);
      EXPECT_NEAR(o["freeboard_m"].get<double>(),
                  spec["depth_m"].get<double>() - o["draft_m"].get<double>(), 0.01);
      EXPECT_GE(o["draft_m"].get<double>(), spec["ballast_draft_m"].get<double>() - 0.01);
      EXPECT_LE(o["draft_m"].get<double>(), spec["laden_draft_m"].get<double>() + 0.01);
      EXPECT_EQ(o["load_state"], LoadState(o["load_fraction"].get<double>()));
      if (o["visible"].get<bool>() && o["berth_covered"].get<bool>() &&
          o["cloud_fraction"].get<double>() <= 0.1) {
        ++seen_clear[o["visit"].get<int>()];
      }
    }
  }
  for (size_t i = 0; i < truth["visits"].size(); ++i) {
    const auto& v = truth["visits"][i];
    EXPECT_EQ(v["clear_observations"].get<int>(), seen_clear[i]);
    EXPECT_EQ(v["imaged"].get<bool>(), seen_clear[i] > 0);
    if (v["arrival_state"] == "full") {
      ++reverse;
      EXPECT_EQ(v["departure_state"], "empty");
    }
  }
  EXPECT_EQ(reverse, sc.schedule.reverse_visits);
}

TEST(Simulate, GeoTiffsAndSidecarsReopen) {
  testing::TempDir dir;
  RenderSmoke(dir.path());
  const nlohmann::json truth = ReadJson(dir.path() / "truth.json");
  for (const auto& s : truth["scenes"]) {
    const std::string id = s["scene_id"];
    const Scene scene = Scene::Open((dir.path() / "scenes" / (id + ".tif")).string());
    EXPECT_EQ(scene.id(), id);
    ASSERT_TRUE(scene.epsg().has_value());
    EXPECT_EQ(*scene.epsg(), 32653);
    EXPECT_DOUBLE_EQ(scene.geotransform()[1], 0.5);
    EXPECT_DOUBLE_EQ(scene.geotransform()[5], -0.5);
    EXPECT_NEAR(scene.gsd_m(), 0.5, 1e-3);  // ground distance: UTM scale factor
    EXPECT_EQ(scene.band_count(), 4);
    EXPECT_EQ(scene.pixel_type(), PixelType::kUInt16);
    const Acquisition& a = scene.acquisition();
    ASSERT_TRUE(a.datetime.has_value());
    EXPECT_EQ(a.datetime.source, ValueSource::kStacSidecar);
    EXPECT_EQ(FormatTime(*a.datetime), s["datetime"].get<std::string>());
    EXPECT_NEAR(*a.sun_elevation_deg, s["sun_elevation_deg"].get<double>(), 1e-3);
    EXPECT_NEAR(*a.sun_azimuth_deg, s["sun_azimuth_deg"].get<double>(), 1e-3);
    EXPECT_NEAR(*a.off_nadir_deg, s["off_nadir_deg"].get<double>(), 1e-3);
    EXPECT_NEAR(*a.view_azimuth_deg, s["view_azimuth_deg"].get<double>(), 1e-3);
    EXPECT_NEAR(*a.cloud_cover_pct, 100 * s["cloud_fraction"].get<double>(), 0.11);
    // Acquisition time ~10:30-11:30 local mean solar time, sun from the SPA.
    const double lon = scene.center_lonlat().lon_deg;
    const auto secs = a.datetime.value->time_since_epoch().count() % 86400;
    const double local_h = std::fmod(secs / 3600.0 + lon / 15.0 + 24.0, 24.0);
    EXPECT_GE(local_h, 10.5 - 0.05);
    EXPECT_LE(local_h, 11.5 + 0.05);
    EXPECT_LE(*a.off_nadir_deg, 25.0);
  }
}

TEST(Simulate, DeterministicForSeedAndThreadCount) {
  testing::TempDir a, b;
  RenderSmoke(a.path(), 1);
  RenderSmoke(b.path(), 2);
  for (const auto& e : fs::recursive_directory_iterator(a.path())) {
    if (!e.is_regular_file()) continue;
    const fs::path rel = fs::relative(e.path(), a.path());
    ASSERT_TRUE(fs::is_regular_file(b.path() / rel)) << rel;
    EXPECT_TRUE(ReadBytes(e.path()) == ReadBytes(b.path() / rel)) << rel << " differs";
  }
}

TEST(Simulate, SecondRunIsCachedAndSeedChangesOutput) {
  testing::TempDir dir;
  RenderSmoke(dir.path());
  EXPECT_TRUE(RenderSmoke(dir.path()).cached);
  SimulateOptions o;
  o.scenario = "smoke";
  o.out_dir = dir.path().string();
  o.seed = 8;
  const SimulateResult r = Simulate(o);
  EXPECT_FALSE(r.cached);
  EXPECT_EQ(ReadJson(dir.path() / "truth.json")["seed"].get<unsigned long long>(), 8u);
}

// One scene of a scenario, for a test or to look at a case: the same bytes as in the full
// render, the whole truth; no cache of the scenario (a full render afterwards renders all).
TEST(Simulate, OnlyRendersTheScenesAskedForAsTheFullRenderDoes) {
  testing::TempDir full, one;
  RenderSmoke(full.path());
  const nlohmann::json truth = ReadJson(full.path() / "truth.json");
  const std::string id = truth["scenes"][2]["scene_id"].get<std::string>();
  SimulateOptions o;
  o.scenario = "smoke";
  o.out_dir = one.path().string();
  o.only = {id};
  const SimulateResult r = Simulate(o);
  EXPECT_EQ(r.scenes, 1);
  int tifs = 0;
  for (const auto& e : fs::directory_iterator(one.path() / "scenes")) {
    tifs += e.path().extension() == ".tif" ? 1 : 0;
  }
  EXPECT_EQ(tifs, 1);
  const std::vector<std::string> files = {"scenes/" + id + ".tif", "scenes/" + id + ".json",
                                          "truth.json", "terminal.geojson", "fleet.csv"};
  for (const std::string& f : files) {
    EXPECT_TRUE(ReadBytes(full.path() / f) == ReadBytes(one.path() / f)) << f << " differs";
  }
  o.only.clear();
  EXPECT_FALSE(Simulate(o).cached);
  o.only = {"scene_19990101T000000"};
  EXPECT_THROW(Simulate(o), InputError);
}

// A camera without a NIR band (`render.nir=false`): three bands, R, G, B, the same pixels as
// the first three bands of the four-band render.
TEST(Simulate, WithoutNirWritesTheSameRedGreenBlue) {
  testing::TempDir four, three;
  RenderSmoke(four.path());
  const nlohmann::json truth = ReadJson(four.path() / "truth.json");
  const std::string id = truth["scenes"][1]["scene_id"].get<std::string>();
  SimulateOptions o;
  o.scenario = "smoke";
  o.out_dir = three.path().string();
  o.overrides = {{"render.nir", "false"}};
  o.only = {id};
  Simulate(o);
  const Scene a = Scene::Open((four.path() / "scenes" / (id + ".tif")).string());
  const Scene b = Scene::Open((three.path() / "scenes" / (id + ".tif")).string());
  ASSERT_EQ(a.band_count(), 4);
  ASSERT_EQ(b.band_count(), 3);
  EXPECT_FALSE(b.has_nir());
  const PixelWindow all{0, 0, a.width(), a.height()};
  const WindowPixels pa = a.ReadWindow(all), pb = b.ReadWindow(all);
  for (int k = 0; k < 3; ++k) {
    EXPECT_EQ(cv::norm(pa.bands[k], pb.bands[k], cv::NORM_INF), 0.0) << "band " << k;
  }
}

// CTest's ENVIRONMENT sometimes loses BW_CLI; fall back on the path CMake knows.
void EnsureCliPath() {
#ifdef BW_CLI_PATH
  if (std::getenv("BW_CLI") == nullptr) setenv("BW_CLI", BW_CLI_PATH, 1);
#endif
}

TEST(SimulateCli, SmokeEndToEndWithPreview) {
  EnsureCliPath();
  testing::TempDir dir;
  const std::string out = (dir.path() / "out").string();
  const testing::CommandResult r = testing::RunCli(
      {"simulate", "--scenario", "smoke", "--out", out, "--preview", "--threads", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("rendered scenario 'smoke'"), std::string::npos) << r.out;
  int pngs = 0;
  for (const auto& e : fs::directory_iterator(fs::path(out) / "preview")) {
    if (e.path().extension() == ".png") ++pngs;
  }
  EXPECT_EQ(pngs, 6);
  const testing::CommandResult again =
      testing::RunCli({"simulate", "--scenario", "smoke", "--out", out, "--preview"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("cached"), std::string::npos) << again.out;
}

TEST(SimulateCli, BadInputIsOneLineError) {
  EnsureCliPath();
  testing::TempDir dir;
  const testing::CommandResult r = testing::RunCli(
      {"simulate", "--scenario", "smoke", "--out", dir.file("x"), "--set", "fleet.cuont=2"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown key 'fleet.cuont'"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  const testing::CommandResult r2 =
      testing::RunCli({"simulate", "--scenario", dir.file("nope.json"), "--out", dir.file("y")});
  EXPECT_EQ(r2.exit_code, 2);
  EXPECT_NE(r2.err.find("nope.json"), std::string::npos) << r2.err;
}

}  // namespace
}  // namespace bw::datasets
