// Whole-chain accuracy on rendered scenarios with seeds the detector was not tuned on
// (tuning used seeds 7 and 101; the berth detection and hull geometry work looked at the
// `default` season of seed 1 and a short season of seed 555; of the seeds here only the miss
// in scene 20240317T023219 of seed 2024, haze over hulls against the pier, was looked at).
// Label `accuracy` (Release only): renders with the real CLI, detects with the library,
// scores with the evaluator, prints the table, asserts the numbers with a margin.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <utility>

#include "detection/detector.h"
#include "detection/evaluate.h"
#include "geo/error.h"
#include "geo/fleet.h"
#include "geo/terminal.h"
#include "tests/testing/testing.h"

namespace bw {
namespace {

namespace fs = std::filesystem;

Evaluation RunScenario(const std::string& scenario, unsigned long long seed,
                       const std::vector<std::string>& sets) {
  testing::TempDir dir("bw-det-acc");
  std::vector<std::string> args = {"simulate",           "--scenario", scenario,           "--seed",
                                   std::to_string(seed), "--out",      dir.path().string()};
  for (const auto& s : sets) {
    args.push_back("--set");
    args.push_back(s);
  }
  const auto r = testing::RunCli(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const Terminal terminal = LoadTerminal(dir.file("terminal.geojson"));
  const Fleet fleet = LoadFleet(dir.file("fleet.csv"));
  std::vector<Detection> dets;
  std::vector<std::string> ids;
  std::map<std::string, double> sun;
  for (const auto& e : fs::directory_iterator(dir.path() / "scenes")) {
    if (e.path().extension() != ".tif") continue;
    ids.push_back(e.path().stem().string());
    try {
      SceneDetections sd = DetectScene(e.path().string(), &terminal, &fleet, {});
      sun[sd.scene_id] = sd.sun_azimuth_deg;
      for (auto& d : sd.detections) dets.push_back(std::move(d));
    } catch (const NoDataError&) {
      // fully clouded / no berth: no detections, scored as such
    }
  }
  const Evaluation ev = Evaluate(ReadTruthJson(dir.file("truth.json")), dets, ids, sun);
  std::printf("== %s seed %llu ==\n%s", scenario.c_str(), seed, EvaluationToText(ev).c_str());
  return ev;
}

// 0.5 m GSD, tankers at berths with <= 20 % cloud.
class HalfMetre : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // The default pier runs along 150 deg, close to the late-morning sun azimuth, which
    // hides most shadows; the piers here are turned so that the freeboard cue is testable.
    const std::pair<unsigned long long, const char*> runs[] = {{2024ULL, "95"}, {31337ULL, "60"}};
    for (const auto& [seed, pier] : runs) {
      evals_.push_back(RunScenario(
          "default", seed,
          {"acquisition.end=2024-03-18", "schedule.visit_count=5", "schedule.reverse_visits=1",
           std::string("terminal.pier_azimuth_deg=") + pier}));
    }
  }
  static std::vector<Evaluation> evals_;
};
std::vector<Evaluation> HalfMetre::evals_;

TEST_F(HalfMetre, DetectionAndGeometry) {
  for (const auto& e : evals_) {
    ASSERT_GT(e.truth_objects, 0);
    EXPECT_GE(e.recall, 0.96);
    EXPECT_GE(e.precision, 0.96);
    EXPECT_LE(e.median_length_error_frac, 0.025);
    EXPECT_LE(e.median_heading_error_deg, 1.2);
    EXPECT_GE(e.bow_right_fraction, 0.93);
  }
}

TEST_F(HalfMetre, FreeboardAndLoadState) {
  for (const auto& e : evals_) {
    if (e.freeboard_good_sun_n > 0) {
      EXPECT_LE(e.freeboard_mae_good_sun_m, 0.4);
    }
    if (e.ef_good_sun_n > 0) {
      EXPECT_GE(e.ef_good_sun_state_right, 0.95);
      EXPECT_LE(e.ef_good_sun_unknown, 0.12);
    }
  }
}

TEST(PlanetScope, RecallAndNoConfidentNonsense) {
  const Evaluation e = RunScenario(
      "planetscope", 4242,
      {"acquisition.end=2024-03-20", "schedule.visit_count=5", "schedule.reverse_visits=1"});
  ASSERT_GT(e.truth_objects, 0);
  EXPECT_GE(e.recall, 0.88);
  if (e.confident_n > 0) {
    EXPECT_GE(e.confident_right, 0.88);
  }
}

}  // namespace
}  // namespace bw
