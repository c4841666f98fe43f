// What berth mode and wide mode reach today on rendered scenes, with a margin, so that a
// change that makes detection worse fails in CI (label `accuracy`, Release only). Issue 4's
// and 6's targets not reached yet are asserted in accuracy_test.cc (label `target`); the 3 m
// target, reached, is asserted here. The `default` and `wide` renders here were not looked
// at while the detector was tuned (a season shortened with acquisition.end is scheduled
// anew, so it is not the tuning season of seed 1); of the 3 m seasons, 4242 and 5001 were,
// 31 and 2718 were not.
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

// The same two months seen by a camera without a NIR band (`render.nir=false`; the contract
// takes 3-band R,G,B scenes). Measured 2026-12-07 (detector 2026-12-07.8), 50 tankers at
// berths: TP/FP/FN 45/0/5 (recall 0.900), median length error 0.66 %, heading 0.03 deg, bow
// right 0.933, freeboard MAE 0.14 m (n=24); the detector before (brightness alone as the
// objectness of three-band windows) 42/0/8 (recall 0.840), freeboard MAE 0.24 m.
TEST(AccuracyFloor, BerthModeWithoutNirOnTwoMonthsOfTheDefaultScenario) {
  const Evaluation e =
      RunScenario("default", 1, {"acquisition.end=2024-05-07", "render.nir=false"});
  ASSERT_GT(e.truth_objects, 40);
  testing::ExpectWithin(e, {.min_recall = 0.86,
                            .min_precision = 0.95,
                            .max_median_length_error = 0.015,
                            .max_median_heading_deg = 0.5,
                            .min_bow_right = 0.88});
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

// The `wide` scenario at Sentinel-2's 10 m (10 km square, 1000 px): the small-target search.
// Measured 2026-12-08 (detector 2026-12-08.6), seed 13, 130 vessels: TP/FP/FN 74/13/56
// (precision 0.851, recall 0.569: vessels under ~30 m are a few pixels, hulls in a cloud's
// shadow are faint, and most moored ones are one area with their quay). Before compact grey
// blobs were taken for cumulus puffs 57/31/73; before white hulls near clouds were searched
// 57/9/73. Both changes were written looking at this seed's false vessels and misses (and
// checked on seeds 5-12): this floor guards against a regression, it is no held-out measure.
TEST(AccuracyFloor, WideModeAtSentinel2Resolution) {
  const Evaluation e = RunScenario(
      "wide", 13, {"acquisition.gsd_m=10", "wide.width_px=1000", "wide.height_px=1000"}, true);
  ASSERT_GT(e.truth_objects, 100);
  testing::ExpectWithin(e, {.min_recall = 0.50, .min_precision = 0.78});
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
//   59/6/6 -> 62/6/3 (recall 0.954) and 63/5/13 -> 67/6/9 (recall 0.882, short of 0.9);
//   seed 2718 69/6/7 (recall 0.908) since the cloud growth barrier in denser veils
//   (detector 2026-12-08.1; `bash scripts/eval_seasons.sh --scenario planetscope 2718`).
// Issue 4's 3 m target (recall 0.9, of the states given with confidence >= 0.8 at least 90 %
// right), asserted with a margin since 2026-12-06 when it was reached, and a precision floor
// (the issue sets none at 3 m): four seasons, about 140 s.
// Seed 5001 before the 3 m work (TP/FP/FN):
// - 70/0/15 with no beam slack (hulls 5 px wide measured 2.7-3.4 px, taken for slender
//   non-tankers);
// - 73/0/12 with a pixel of slack under 6 px of beam;
// - 78/0/7 with the slack under 8 px, the hull joined to a cloud's fringe ring found at the
//   raised level where it stands alone, and small raised pieces judged and trimmed alike.
TEST(PlanetScope, RecallAndNoConfidentNonsense) {
  for (const unsigned long long seed : {4242ULL, 5001ULL, 31ULL, 2718ULL}) {
    const Evaluation e = RunScenario("planetscope", seed, {});
    ASSERT_GT(e.truth_objects, 50);
    EXPECT_GE(e.recall, 0.88) << "seed " << seed;
    EXPECT_GE(e.precision, 0.88) << "seed " << seed;
    if (e.confident_n > 0) {
      EXPECT_GE(e.confident_right, 0.88) << "seed " << seed;
    }
  }
}

}  // namespace
}  // namespace bw
