// Whole-chain accuracy on rendered scenarios with seeds the detector was not tuned on
// (tuning used seeds 7 and 101; the berth detection and hull geometry work looked at the
// `default` season of seed 1 and a short season of seed 555; of the seeds here only the miss
// in scene 20240317T023219 of seed 2024, haze over hulls against the pier, was looked at).
// Label `target` (Release only; CI leaves it out until the numbers are reached): renders with
// the real CLI, detects with the library, scores with the evaluator, prints the table, asserts
// the numbers with a margin. What is reached today is guarded in accuracy_floor_test.cc.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "tests/detection/scenario_eval.h"

namespace bw {
namespace {

using testing::RunScenario;

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
    testing::ExpectWithin(e, {.min_recall = 0.96,
                              .min_precision = 0.96,
                              .max_median_length_error = 0.025,
                              .max_median_heading_deg = 1.2,
                              .min_bow_right = 0.93});
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

}  // namespace
}  // namespace bw
