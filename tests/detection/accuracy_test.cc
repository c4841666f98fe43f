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

// Whole seasons (about 220 scenes of 3 m each, 20 s to render): the two-week season of 5
// visits this test used before had 6 hulls to score, all found, and one confident state,
// right.
// - Whole seasons, 2026-12-06 morning: recall 0.893 (seed 4242, 75/4/9) and 0.859 (seed 5001,
//   73/0/12). Each gave one state with confidence >= 0.8, and both were wrong:
//   - a partial tanker called full at 0.814 (its 7 px beam measured 11 % wide, so no registry
//     match, and class proportions put 3.47 m of freeboard in "full");
//   - a full tanker measured 6.14 +- 0.37 m for 2.40 and called empty at 0.985 (its band fits
//     settled on a 1.2 px blur where the hull edges' is 0.5).
// - Evening (registry tolerance widened by a pixel, the blur excess in the freeboard sigma,
//   3 m recall work, tuned looking at the misses of 4242 and 5001): recall 0.905 (76/4/8)
//   and 0.918 (78/0/7); no state is given with confidence >= 0.8 at 3 m (all but one or two
//   hulls a season are `unknown`: their shadow is a pixel or two wide).
// - Seeds 31 and 2718, rendered after that work and not looked at (before -> after it):
//   59/6/6 -> 62/6/3 (recall 0.954) and 63/5/13 -> 67/6/9 (recall 0.882, short of 0.9).
TEST(PlanetScope, RecallAndNoConfidentNonsense) {
  for (const unsigned long long seed : {4242ULL, 5001ULL, 31ULL, 2718ULL}) {
    const Evaluation e = RunScenario("planetscope", seed, {});
    ASSERT_GT(e.truth_objects, 50);
    EXPECT_GE(e.recall, 0.88) << "seed " << seed;
    if (e.confident_n > 0) {
      EXPECT_GE(e.confident_right, 0.88) << "seed " << seed;
    }
  }
}

}  // namespace
}  // namespace bw
