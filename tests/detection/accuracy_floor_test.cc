// What berth mode and wide mode reach today on rendered scenes, with a margin, so that a
// change that makes detection worse fails in CI (label `accuracy`, Release only). Issue 4's
// and 6's targets themselves are asserted in accuracy_test.cc (label `target`). Neither
// render was looked at while the detector was tuned (a season shortened with
// acquisition.end is scheduled anew, so it is not the tuning season of seed 1).
#include <gtest/gtest.h>

#include "tests/detection/scenario_eval.h"

namespace bw {
namespace {

using testing::RunScenario;

// Measured 2026-12-04 (detector 2026-12-04.3), 38 scenes with 50 tankers at berths: TP/FP/FN
// 46/0/4 (precision 1.000, recall 0.920: the misses are hulls in haze, see the README; 44/0/6
// before cloud growth stopped at hull outlines in veils), median length error 0.54 %,
// heading 0.03 deg, bow right 1.000, freeboard MAE 0.22 m (n=22).
TEST(AccuracyFloor, BerthModeOnTwoMonthsOfTheDefaultScenario) {
  const Evaluation e = RunScenario("default", 1, {"acquisition.end=2024-05-07"});
  ASSERT_GT(e.truth_objects, 40);
  testing::ExpectWithin(e, {.min_recall = 0.86,
                            .min_precision = 0.95,
                            .max_median_length_error = 0.015,
                            .max_median_heading_deg = 0.5,
                            .min_bow_right = 0.93});
  EXPECT_LE(e.freeboard_mae_m, 0.35);
}

// Measured 2026-12-04: 57 vessels not under cloud, TP/FP/FN 50/6/7 (precision 0.893, recall
// 0.877; five of the misses moored along the unmapped quay), median length error 5.0 %.
TEST(AccuracyFloor, WideModeOnASmallWideScene) {
  const Evaluation e = RunScenario(
      "wide", 21, {"wide.width_px=6000", "wide.height_px=6000", "wide.vessels=60"}, true);
  ASSERT_GT(e.truth_objects, 40);
  testing::ExpectWithin(
      e, {.min_recall = 0.82, .min_precision = 0.85, .max_median_length_error = 0.08});
}

// Measured 2026-12-06, a whole 3 m season, 85 tankers at berths, TP/FP/FN:
// - 70/0/15 with no beam slack (hulls 5 px wide measured 2.7-3.4 px, taken for slender
//   non-tankers);
// - 73/0/12 with a pixel of slack under 6 px of beam;
// - 78/0/7 (recall 0.918) with the slack under 8 px (an 80 m hull 6.4 px wide), the hull
//   joined to a cloud's fringe ring found at the raised level where it stands alone, and
//   hull-shaped raised pieces of 60-200 px judged for straightness and trimmed alike.
// Of the 7 misses, 4 are in scenes 30-86 % under cloud. Issue 4's 3 m target (recall 0.9,
// no confident nonsense) is in accuracy_test.cc.
TEST(AccuracyFloor, BerthModeOnAThreeMetreSeason) {
  const Evaluation e = RunScenario("planetscope", 5001, {});
  ASSERT_GT(e.truth_objects, 50);
  testing::ExpectWithin(e, {.min_recall = 0.87, .min_precision = 0.95});
}

}  // namespace
}  // namespace bw
