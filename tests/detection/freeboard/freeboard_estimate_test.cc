// EstimateFreeboard on hulls drawn by the test renderer under several sun/view geometries.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <opencv2/imgproc.hpp>
#include <string>
#include <tuple>

#include "detection/freeboard.h"
#include "geo/error.h"
#include "tests/detection/freeboard/hull_render.h"

namespace bw {
namespace {

using testing::HullRenderSpec;
using testing::RenderHull;

struct Case {
  double freeboard_m, heading_deg, sun_el, sun_az, off_nadir, view_az, antifouling_m;
};

class FreeboardGeometry : public ::testing::TestWithParam<Case> {};

TEST_P(FreeboardGeometry, RecoversFreeboard) {
  const Case c = GetParam();
  HullRenderSpec spec;
  spec.freeboard_m = c.freeboard_m;
  spec.heading_deg = c.heading_deg;
  spec.sun_elevation_deg = c.sun_el;
  spec.sun_azimuth_deg = c.sun_az;
  spec.off_nadir_deg = c.off_nadir;
  spec.view_azimuth_deg = c.view_az;
  spec.antifouling_m = c.antifouling_m;
  spec.seed = 17;
  const auto r = RenderHull(spec);
  const FreeboardEstimate est = EstimateFreeboard(r.image, r.hull, r.geometry);
  ASSERT_TRUE(est.observable) << est.reason;
  EXPECT_NEAR(est.freeboard_m, c.freeboard_m, std::max(0.25, 3 * est.sigma_m));
  EXPECT_LT(est.sigma_m, 0.5);
  EXPECT_GT(est.sigma_m, 0.01);
  EXPECT_GE(est.cues[0].stations + est.cues[1].stations, 20);
}

INSTANTIATE_TEST_SUITE_P(
    Geometries, FreeboardGeometry,
    ::testing::Values(Case{5.0, 60, 50, 150, 0, 0, 0},      // nadir, sun broadside-ish
                      Case{8.0, 100, 35, 160, 15, 270, 0},  // ballast, low sun, off-nadir
                      Case{2.5, 20, 60, 170, 0, 0, 0},      // laden, high sun, 30 deg off axis
                      Case{6.0, 0, 45, 90, 20, 90, 2.0},    // relief hides part of the shadow
                      Case{6.0, 0, 45, 90, 20, 270, 2.0},   // relief adds the shaded side
                      Case{4.0, 135, 55, 200, 10, 30, 0}));

TEST(EstimateFreeboard, SunAlongHullIsUnobservable) {
  HullRenderSpec spec;
  spec.heading_deg = 160;
  spec.sun_azimuth_deg = 170;  // 10 deg off the axis
  const auto r = RenderHull(spec);
  const FreeboardEstimate est = EstimateFreeboard(r.image, r.hull, r.geometry);
  EXPECT_FALSE(est.observable);
  EXPECT_EQ(est.reason, "sun along the hull");
  EXPECT_TRUE(std::isnan(est.freeboard_m));
}

TEST(EstimateFreeboard, CoarseGsdIsBelowResolution) {
  HullRenderSpec spec;
  spec.gsd_m = 3.0;
  spec.width_px = spec.height_px = 60;
  spec.sun_elevation_deg = 55;
  spec.heading_deg = 110;  // 40 deg off the sun
  const auto r = RenderHull(spec);
  const FreeboardEstimate est = EstimateFreeboard(r.image, r.hull, r.geometry);
  EXPECT_FALSE(est.observable);
  EXPECT_EQ(est.reason, "cue below resolution");
}

// The anti-sun side of a rendered hull marked as pier from `gap_px` off the imaged deck edge.
void BlockShadowSide(const testing::RenderedHull& r, HullImage& image, double gap_px) {
  const cv::Point2d n(-r.hull.axis_px.y, r.hull.axis_px.x);
  const cv::Point2d away = (n.dot(r.geometry.to_sun_px) < 0) ? n : -n;
  const cv::Point2d a = r.hull.axis_px;
  const double off = 0.5 * r.hull.beam_px + gap_px;
  std::vector<cv::Point> pier;
  for (cv::Point2d p :
       {r.hull.center_px + away * off + a * 150.0, r.hull.center_px + away * off - a * 150.0,
        r.hull.center_px + away * (off + 40) - a * 150.0,
        r.hull.center_px + away * (off + 40) + a * 150.0}) {
    pier.emplace_back(static_cast<int>(p.x), static_cast<int>(p.y));
  }
  cv::fillConvexPoly(image.blocked, pier, cv::Scalar(255));
}

// The registry entry of the pier and lit-side tests: depth 10, ballast 3, laden 7.5 m, so
// empty is f = 7 and full is f = 2.5.
FleetVessel PierTestVessel() {
  FleetVessel v;
  v.name = "pier test";
  v.length_m = 100;
  v.beam_m = 18;
  v.depth_m = 10;
  v.ballast_draft_m = 3;
  v.laden_draft_m = 7.5;
  return v;
}

// The lit-side geometry: hull along 60 deg, sun broadside from 150 at `elevation`, seen 15 deg
// off-nadir from the sun side.
HullRenderSpec LitSideSpec(double freeboard_m, double elevation_deg) {
  HullRenderSpec spec;
  spec.heading_deg = 60;
  spec.sun_azimuth_deg = 150;
  spec.sun_elevation_deg = elevation_deg;
  spec.off_nadir_deg = 15;
  spec.view_azimuth_deg = 150;
  spec.freeboard_m = freeboard_m;
  return spec;
}

TEST(EstimateFreeboard, ShadowOnPierIsUnobservable) {
  HullRenderSpec spec;
  spec.heading_deg = 60;
  spec.sun_azimuth_deg = 150;
  const auto r0 = RenderHull(spec);
  auto image = r0.image;
  // A pier along the anti-sun side, 1 m off the hull: its pixels are blocked.
  BlockShadowSide(r0, image, 2.0);
  const FreeboardEstimate est = EstimateFreeboard(image, r0.hull, r0.geometry);
  EXPECT_FALSE(est.observable);
  // The "pier" here is a mask over the rendered water, which the shadow crosses: followed
  // into it, the band may read as a shadow running into the pier (a lower bound, which must
  // then hold). Before the shadow's level was held above black (2026-12-07) that band fit
  // failed and the stations counted as blocked.
  std::printf("shadow on a masked pier: %s, lower bound %.2f +- %.2f m (f %.1f m)\n",
              est.reason.c_str(), est.lower_bound_m, est.lower_bound_sigma_m, spec.freeboard_m);
  if (est.reason == "shadow runs into the pier or another hull") {
    EXPECT_LE(est.lower_bound_m, spec.freeboard_m + 2.0 * est.lower_bound_sigma_m);
  } else {
    EXPECT_EQ(est.reason, "shadow on the pier or another hull");
  }

  image.cloud = cv::Mat(image.blocked.size(), CV_8U, cv::Scalar(0));
  image.blocked.setTo(255);
  image.cloud.setTo(255);
  const FreeboardEstimate clouded = EstimateFreeboard(image, r0.hull, r0.geometry);
  EXPECT_FALSE(clouded.observable);
  EXPECT_EQ(clouded.reason, "cloud");
}

TEST(EstimateFreeboard, WithTheShadowOnThePierTheLitSideSeenOffNadirGivesTheFreeboard) {
  // Sun broadside from 150, the pier on the shadow side 1 px off the hull: no shadow station.
  // Seen 15 deg off-nadir from the sun side, the lit hull side (0.54 px per metre of
  // freeboard, 1.3 px laden to 3.8 px in ballast) measures the freeboard on its own.
  const FleetVessel reg = PierTestVessel();
  for (const auto& [f, antifouling, state] :
       {std::tuple{7.0, 4.5, LoadState::kEmpty}, std::tuple{2.5, 0.0, LoadState::kFull}}) {
    for (uint64_t seed : {3, 4}) {
      HullRenderSpec spec = LitSideSpec(f, 50);
      spec.antifouling_m = antifouling;
      spec.seed = seed;
      const auto r = RenderHull(spec);
      HullImage image = r.image;
      BlockShadowSide(r, image, 1.0);
      const FreeboardEstimate est = EstimateFreeboard(image, r.hull, r.geometry);
      ASSERT_TRUE(est.observable) << f << ": " << est.reason;
      EXPECT_EQ(est.cues[0].stations, 0) << f;
      EXPECT_GE(est.cues[1].stations, 20) << f;
      EXPECT_NEAR(est.freeboard_m, f, std::max(0.35, 3 * est.sigma_m)) << f;
      EXPECT_EQ(EstimateLoad(est, 100, 18, &reg).state, state) << f;

      // Seen from the pier side instead, the lit side faces away: nothing to measure.
      spec.view_azimuth_deg = 330;
      const auto r2 = RenderHull(spec);
      HullImage image2 = r2.image;
      BlockShadowSide(r2, image2, 1.0);
      const FreeboardEstimate hidden = EstimateFreeboard(image2, r2.hull, r2.geometry);
      EXPECT_FALSE(hidden.observable) << f;
      EXPECT_EQ(EstimateLoad(hidden, 100, 18, &reg).state, LoadState::kUnknown) << f;
    }
  }
}

TEST(EstimateFreeboard, ADeckPaintedLikeItsHullSideGivesNoConfidentNonsense) {
  // The lit-side geometry above, with the deck in the hull side's paint: the deck edge has no
  // contrast, so the lit side can only be unknown or right.
  const FleetVessel reg = PierTestVessel();
  for (const auto& [f, state] :
       {std::pair{7.0, LoadState::kEmpty}, std::pair{2.5, LoadState::kFull}}) {
    HullRenderSpec spec = LitSideSpec(f, 60);
    spec.deck = spec.hull_lit;
    const auto r = RenderHull(spec);
    HullImage image = r.image;
    BlockShadowSide(r, image, 1.0);
    const FreeboardEstimate est = EstimateFreeboard(image, r.hull, r.geometry);
    const LoadState got = EstimateLoad(est, 100, 18, &reg).state;
    EXPECT_TRUE(got == state || got == LoadState::kUnknown) << f << ": " << est.freeboard_m;
  }
}

TEST(EstimateFreeboard, ALitSideWithoutAColourOfItsOwnIsNoBand) {
  // With the deck in the hull side's paint the only edge on the lit side is the waterline,
  // a single blurred edge between deck and water colours. The two-edge fit split it into a
  // band about a pixel wide: freeboard 7 m seen 20 deg off-nadir gave 1.45 +- 0.19 m from 39
  // stations, for a vessel laden at 1.5 m a confident `full`. A band whose colour lies on the
  // line between its neighbours' and that is not resolved is no measurement. The same
  // geometry with a deck of its own colour keeps its lit side, down to a 1.2 px band.
  FleetVessel deep = PierTestVessel();
  deep.laden_draft_m = 8.5;  // laden freeboard 1.5 m, ballast 7 m
  for (const double f : {2.5, 4.25, 7.0}) {
    for (const double off_nadir : {14.0, 20.0}) {
      for (uint64_t seed : {1, 2}) {
        HullRenderSpec spec = LitSideSpec(f, 60);
        spec.off_nadir_deg = off_nadir;
        spec.seed = seed;
        const LoadState truth = f >= 7.0   ? LoadState::kEmpty
                                : f <= 2.5 ? LoadState::kFull
                                           : LoadState::kPartial;
        if (seed == 1) {
          const auto r = RenderHull(spec);
          HullImage image = r.image;
          BlockShadowSide(r, image, 1.0);
          const FreeboardEstimate est = EstimateFreeboard(image, r.hull, r.geometry);
          ASSERT_TRUE(est.observable) << f << " " << off_nadir << ": " << est.reason;
          EXPECT_GE(est.cues[1].stations, 20);
          EXPECT_NEAR(est.freeboard_m, f, std::max(0.35, 3 * est.sigma_m));
        }
        spec.deck = spec.hull_lit;
        const auto r = RenderHull(spec);
        HullImage image = r.image;
        BlockShadowSide(r, image, 1.0);
        const FreeboardEstimate est = EstimateFreeboard(image, r.hull, r.geometry);
        const std::string what = std::to_string(f) + " m, " + std::to_string(off_nadir) +
                                 " deg, seed " + std::to_string(seed) + ": " +
                                 std::to_string(est.freeboard_m) + " +- " +
                                 std::to_string(est.sigma_m);
        if (est.observable) {
          EXPECT_NEAR(est.freeboard_m, f, std::max(0.5, 3 * est.sigma_m)) << what;
        }
        const LoadState got = EstimateLoad(est, 100, 18, &deep).state;
        EXPECT_TRUE(got == truth || got == LoadState::kUnknown) << what;
      }
    }
  }
}

// A pier alongside on the shadow side, drawn as a pier (bright deck, the hull's shadow on it
// where the deck edge stands higher). Sun broadside to the hull (heading 60, sun from 150),
// the pier 3 m off its shadow side.
HullRenderSpec PierSpec(double sun_elevation_deg, double freeboard_m) {
  HullRenderSpec spec;
  spec.heading_deg = 60;
  spec.sun_azimuth_deg = 150;
  spec.sun_elevation_deg = sun_elevation_deg;
  spec.freeboard_m = freeboard_m;
  spec.pier_gap_m = 3.0;
  return spec;
}

TEST(EstimateFreeboard, ShortShadowEndingBeforeThePierIsMeasured) {
  const FleetVessel reg = PierTestVessel();
  for (uint64_t seed : {1, 2, 3}) {
    // Shadow 2.1 m, pier 3 m off: 0.9 m of lit water in between.
    HullRenderSpec spec = PierSpec(50, 2.5);
    spec.seed = seed;
    const auto r = RenderHull(spec);
    const FreeboardEstimate est = EstimateFreeboard(r.image, r.hull, r.geometry);
    ASSERT_TRUE(est.observable) << est.reason;
    EXPECT_NEAR(est.freeboard_m, 2.5, 0.35);
    const LoadEstimate load = EstimateLoad(est, 100, 18, &reg);
    EXPECT_EQ(load.state, LoadState::kFull);
  }
}

TEST(EstimateFreeboard, ThePiersLitFaceIsNoStripOfWater) {
  // Seed 3 of `default`, 2024-08-09, B3, and seed 7, 2024-09-23, B1: seen off-nadir from the
  // hull's side, the pier's deck leans away from the hull and its face towards the hull shows,
  // lit at a grazing angle (a third of the deck's brightness). The hull's shadow reaches the
  // pier, but the gap model took the lit face between the shadow and the pier's deck for a
  // strip of lit water: shadow stations "measured" in the gap (seed 7: 4.49 +- 0.58 m for
  // 2.83, called empty). No station may be measured there; the lit hull side gives the
  // freeboard.
  const FleetVessel reg = PierTestVessel();
  for (const double face : {0.08, 0.12}) {
    for (uint64_t seed : {1, 2, 3}) {
      HullRenderSpec spec = PierSpec(57, 4.25);  // shadow 2.76 m across a 2.5 m gap
      spec.pier_gap_m = 2.5;
      spec.seed = seed;
      spec.off_nadir_deg = 14;
      spec.view_azimuth_deg = 150;  // from the sun's side: the pier's face shows, 2.2 px
      spec.water = {0.032, 0.045, 0.037, 0.019};
      spec.shadow = {0.010, 0.014, 0.012, 0.006};
      spec.pier = {0.30, 0.31, 0.25, 0.30};
      spec.pier_face = {face, face * 1.05, face * 0.9, face};
      const auto r = RenderHull(spec);
      const FreeboardEstimate est = EstimateFreeboard(r.image, r.hull, r.geometry);
      EXPECT_EQ(est.cues[0].stations, 0) << face << " " << seed;
      ASSERT_TRUE(est.observable) << face << " " << seed << ": " << est.reason;
      EXPECT_NEAR(est.freeboard_m, 4.25, std::max(0.3, 2.5 * est.sigma_m)) << face << " " << seed;
      const LoadState state = EstimateLoad(est, 100, 18, &reg).state;  // truth: load 0.61
      EXPECT_TRUE(state == LoadState::kPartial || state == LoadState::kUnknown)
          << face << " " << seed << ": " << ToString(state);
    }
  }
}

TEST(EstimateFreeboard, ShadowIntoThePierBoundsTheFreeboardFromBelow) {
  const FleetVessel reg = PierTestVessel();
  // High sun: the 7 m freeboard's shadow (3.3 m) just covers the 3 m gap. The band proves a
  // shadow reaching to within an unresolved strip (1 px + 2 blur sigmas) of the pier, so the
  // bound is (3 m - that strip) * tan(65): valid, but not enough to call this hull empty.
  HullRenderSpec spec = PierSpec(65, 7.0);
  const auto r = RenderHull(spec);
  const FreeboardEstimate est = EstimateFreeboard(r.image, r.hull, r.geometry);
  EXPECT_FALSE(est.observable);
  ASSERT_TRUE(std::isfinite(est.lower_bound_m)) << est.reason;
  EXPECT_LE(est.lower_bound_m, 7.0 + 2 * est.lower_bound_sigma_m);
  const double strip_m = (1.0 + 2.0 * 1.0) * spec.gsd_m;  // blur sigma <= 1 px here
  EXPECT_GE(est.lower_bound_m, (3.0 - strip_m) * std::tan(65 * M_PI / 180) - 0.5);
  const LoadEstimate load = EstimateLoad(est, 100, 18, &reg);
  EXPECT_NE(load.state, LoadState::kFull);
  EXPECT_NE(load.state, LoadState::kPartial);

  // Lower sun, a low pier: the shadow continues on the pier deck. Still only a bound, and a
  // bound never makes a hull full.
  spec.sun_elevation_deg = 50;
  spec.pier_height_m = 2.0;
  for (double f : {7.0, 4.0}) {
    spec.freeboard_m = f;
    const auto r2 = RenderHull(spec);
    const FreeboardEstimate e2 = EstimateFreeboard(r2.image, r2.hull, r2.geometry);
    if (std::isfinite(e2.lower_bound_m)) {
      EXPECT_LE(e2.lower_bound_m, f + 2 * e2.lower_bound_sigma_m) << f;
    } else if (e2.observable) {
      EXPECT_NEAR(e2.freeboard_m, f, 0.5);
    }
    EXPECT_NE(EstimateLoad(e2, 100, 18, &reg).state, LoadState::kFull) << f;
  }
}

TEST(EstimateFreeboard, LitWaterBetweenHullAndPierIsNotAShadow) {
  // A hull at a low freeboard with the pier 3 m off: the gap is mostly lit water, darker than
  // deck and pier alike. It must never read as a shadow filling the gap (that would say empty).
  const FleetVessel reg = PierTestVessel();
  const auto r = RenderHull(PierSpec(60, 1.0));
  const FreeboardEstimate est = EstimateFreeboard(r.image, r.hull, r.geometry);
  EXPECT_NE(EstimateLoad(est, 100, 18, &reg).state, LoadState::kEmpty) << est.reason;
  if (est.observable) {
    EXPECT_NEAR(est.freeboard_m, 1.0, 0.5);
  }
}

// The stated sigma matches the scatter of the estimates over noise realisations and
// sub-pixel placements.
TEST(EstimateFreeboard, SigmaIsCalibrated) {
  double sum_pull2 = 0, sum_err = 0;
  const int n = 12;
  for (int i = 0; i < n; ++i) {
    HullRenderSpec spec;
    spec.width_px = spec.height_px = 230;
    spec.freeboard_m = 3.0 + 0.4 * i;
    spec.heading_deg = 50 + 3.7 * i;
    spec.sun_elevation_deg = 40 + 1.5 * i;
    spec.sun_azimuth_deg = 160;
    spec.noise = 0.006;
    spec.seed = 100 + i;
    const auto r = RenderHull(spec);
    const FreeboardEstimate est = EstimateFreeboard(r.image, r.hull, r.geometry);
    ASSERT_TRUE(est.observable) << est.reason;
    const double err = est.freeboard_m - spec.freeboard_m;
    sum_err += std::abs(err);
    sum_pull2 += (err / est.sigma_m) * (err / est.sigma_m);
  }
  EXPECT_LT(sum_err / n, 0.15);
  EXPECT_LT(std::sqrt(sum_pull2 / n), 2.0);
}

// Edges in the band profiles much softer than the hull's own edges mean the profile is not
// the deck | shadow | water model the width comes from: the width is uncertain by at least
// the unexplained blur. Same hull, drawn with a 1.4 px PSF; once with that PSF as the hull-edge
// estimate, once with sharp hull edges claimed (0.25 px).
TEST(EstimateFreeboard, BlurBeyondTheHullEdgesWidensTheSigma) {
  HullRenderSpec spec;
  spec.width_px = spec.height_px = 230;
  spec.freeboard_m = 4.0;
  spec.heading_deg = 60;
  spec.sun_azimuth_deg = 160;
  spec.sun_elevation_deg = 45;
  spec.psf_sigma_px = 1.4;
  const auto r = RenderHull(spec);
  const FreeboardEstimate matched = EstimateFreeboard(r.image, r.hull, r.geometry);
  ASSERT_TRUE(matched.observable) << matched.reason;
  HullImage sharp = r.image;
  sharp.psf_sigma_px = 0.25;
  const FreeboardEstimate claimed = EstimateFreeboard(sharp, r.hull, r.geometry);
  ASSERT_TRUE(claimed.observable) << claimed.reason;
  const double gain_px = claimed.cues[0].gain / spec.gsd_m;  // px of shadow per m
  const double blur0 = std::sqrt(0.25 * 0.25 + 1.0 / 6.0), blur = std::hypot(1.4, 0.41);
  std::printf("matched: %.2f +- %.3f m; sharp edges claimed: %.2f +- %.3f m (gain %.2f px/m)\n",
              matched.freeboard_m, matched.sigma_m, claimed.freeboard_m, claimed.sigma_m, gain_px);
  EXPECT_NEAR(matched.freeboard_m, spec.freeboard_m, 0.2);
  EXPECT_LT(matched.sigma_m, 0.1);
  // At least half the blur excess, as width, over the shadow's gain.
  EXPECT_GT(claimed.sigma_m, 0.5 * (blur - blur0) / gain_px);
  EXPECT_GT(claimed.sigma_m, 3.0 * matched.sigma_m);
}

// Seen off nadir from its shadow side, the hull shows its shaded side between the deck edge
// and the shadow. Hull paint in skylight is as bright as the water here (a light hull), under
// a dark deck: one dark level across the band put the deck edge inside the side and read the
// freeboard about half the side short (wide renders at 24 deg off nadir: 0.3-0.6 m); the side
// gets its own level and the band is read whole. Several freeboards and placements.
TEST(EstimateFreeboard, AShadedSideAsBrightAsTheWaterIsPartOfTheBand) {
  double sum_err = 0, sum_abs = 0;
  const int n = 6;
  for (int i = 0; i < n; ++i) {
    HullRenderSpec spec;
    spec.width_px = spec.height_px = 230;
    spec.freeboard_m = 3.0 + 0.8 * i;
    spec.heading_deg = 3.0 * i;
    spec.sun_elevation_deg = 45;
    spec.sun_azimuth_deg = 90;  // shadow to the west
    spec.off_nadir_deg = 22;
    spec.view_azimuth_deg = 270;  // the satellite to the west sees the shaded side
    spec.deck = {0.11, 0.11, 0.12, 0.14};
    spec.hull_shaded = {0.045, 0.06, 0.075, 0.03};
    spec.seed = 300 + i;
    const auto r = RenderHull(spec);
    const FreeboardEstimate est = EstimateFreeboard(r.image, r.hull, r.geometry);
    ASSERT_TRUE(est.observable) << est.reason;
    const double err = est.freeboard_m - spec.freeboard_m;
    std::printf("freeboard %.1f m: read %.2f +- %.2f m\n", spec.freeboard_m, est.freeboard_m,
                est.sigma_m);
    sum_err += err;
    sum_abs += std::abs(err);
  }
  EXPECT_LT(std::abs(sum_err / n), 0.06);  // one dark level: -0.16 m
  EXPECT_LT(sum_abs / n, 0.1);
}

// With the sun 22-25 deg off the stern, a superstructure 13 m tall on a 50 m hull casts its
// shadow forward along the shadow side over about half the hull: a band metres wider than the
// hull's (wide renders: small tankers read 1.2-2.3 m high; here 3.5-3.8 m for 1.6 m without
// the pruning). Those stations, a run from the up-sun end, are dropped.
TEST(EstimateFreeboard, TheSuperstructuresShadowAlongTheSideIsNotTheHulls) {
  for (const double sun_az : {155.0, 158.0, 202.0, 205.0}) {
    HullRenderSpec spec;
    spec.width_px = spec.height_px = 260;
    spec.length_m = 50.0;
    spec.beam_m = 8.0;
    spec.freeboard_m = 1.6;
    spec.heading_deg = 0;  // bow north, superstructure at the south end
    spec.sun_azimuth_deg = sun_az;
    spec.sun_elevation_deg = 36;
    spec.superstructure_length_m = 7.0;
    spec.superstructure_height_m = 13.0;
    spec.superstructure_beam_share = 0.6;
    spec.seed = 400 + static_cast<uint64_t>(sun_az);
    const auto r = RenderHull(spec);
    const FreeboardEstimate est = EstimateFreeboard(r.image, r.hull, r.geometry);
    ASSERT_TRUE(est.observable) << est.reason;
    std::printf("sun from %.0f deg: %.2f +- %.2f m for %.2f\n", sun_az, est.freeboard_m,
                est.sigma_m, spec.freeboard_m);
    EXPECT_NEAR(est.freeboard_m, spec.freeboard_m, std::max(0.15, 3 * est.sigma_m));
  }
}

// A manifold platform across the deck, 12 m of a 54 m hull, with the sun 24 deg off the stern:
// where it reaches the deck edge the band includes its shadow, and the fit over the stations
// took the difference for trim (2.20 / 1.54 / 1.78 m for 1.4 m without the test below; a wide
// render's small tanker read 2.4 m for 1.4 m). Those stations show a deck level unlike the
// hull's and are dropped. (A platform over a third of the hull leaves too little deck to tell:
// 20 m of it reads 1.9-4.0 m with or without the test.)
TEST(EstimateFreeboard, AStructureAtTheDeckEdgeIsNoDeckEdge) {
  for (const double x : {6.0, 10.0, -8.0}) {
    HullRenderSpec spec;
    spec.width_px = spec.height_px = 260;
    spec.length_m = 54.0;
    spec.beam_m = 8.5;
    spec.freeboard_m = 1.4;
    spec.heading_deg = 29;
    spec.sun_azimuth_deg = 185;  // 24 deg off the stern: shadows run forward along the side
    spec.sun_elevation_deg = 36;
    spec.deck = {0.06, 0.06, 0.09, 0.08};
    spec.crossbar_x_m = x;
    spec.crossbar_length_m = 12.0;
    spec.crossbar_height_m = 2.5;
    spec.seed = 500 + static_cast<uint64_t>(x + 20);
    const auto r = RenderHull(spec);
    const FreeboardEstimate est = EstimateFreeboard(r.image, r.hull, r.geometry);
    ASSERT_TRUE(est.observable) << est.reason;
    std::printf("platform at %+.0f m: %.2f +- %.2f m for %.2f\n", x, est.freeboard_m, est.sigma_m,
                spec.freeboard_m);
    EXPECT_NEAR(est.freeboard_m, spec.freeboard_m, std::max(0.15, 3 * est.sigma_m));
  }
}

TEST(EstimateFreeboard, EmptyImageIsUnobservable) {
  const FreeboardEstimate est = EstimateFreeboard(HullImage{}, Hull{}, PixelGeometry{});
  EXPECT_FALSE(est.observable);
  EXPECT_FALSE(est.reason.empty());
}

TEST(FreeboardOptions, CheckRejectsBadValues) {
  FreeboardOptions o;
  o.stations = 1;
  EXPECT_THROW(o.Check(), InputError);
  o = {};
  o.end_skip_fraction = 0.6;
  EXPECT_THROW(o.Check(), InputError);
  EXPECT_NO_THROW(FreeboardOptions{}.Check());
}

}  // namespace
}  // namespace bw
