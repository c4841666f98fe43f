// The two-edge profile fit on synthetic profiles with known sub-pixel edges and PSF.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "detection/freeboard.h"

namespace bw {
namespace {

double Phi(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

struct Synthetic {
  std::vector<double> t;
  std::vector<std::vector<double>> channels;
};

// Levels per channel {before, middle, after}; samples every `step` px on [0, length).
Synthetic MakeProfile(double t1, double t2, double blur,
                      const std::vector<std::array<double, 3>>& levels, double noise, double step,
                      double length, std::mt19937_64& rng) {
  Synthetic s;
  std::normal_distribution<double> g(0.0, noise);
  for (double t = 0; t < length; t += step) s.t.push_back(t);
  for (const auto& l : levels) {
    std::vector<double> y;
    for (double t : s.t) {
      y.push_back(l[0] + (l[1] - l[0]) * Phi((t - t1) / blur) +
                  (l[2] - l[1]) * Phi((t - t2) / blur) + g(rng));
    }
    s.channels.push_back(y);
  }
  return s;
}

// Fit options with the prior blur and the search range of the first edge set.
TwoEdgeFitOptions SearchOptions(double blur_px, double first_min_px, double first_max_px) {
  TwoEdgeFitOptions o;
  o.blur_sigma_px = blur_px;
  o.first_edge_min_px = first_min_px;
  o.first_edge_max_px = first_max_px;
  return o;
}

TEST(TwoEdgeProfileFit, RecoversSubPixelEdgesAtSnr20) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  double sum_err = 0, sum_err2 = 0;
  int n = 0;
  for (int trial = 0; trial < 60; ++trial) {
    const double t1 = 8.0 + u(rng);
    const double t2 = t1 + 2.0 + 8.0 * u(rng);
    const double blur = 0.8;
    // Weakest contrast (shadow vs water) 0.04 with noise 0.002: SNR 20.
    const std::vector<std::array<double, 3>> levels = {{0.30, 0.02, 0.06}};
    const Synthetic s = MakeProfile(t1, t2, blur, levels, 0.002, 0.5, 30.0, rng);
    TwoEdgeFitOptions o = SearchOptions(0.8, 5, 12);
    o.sample_correlation = 1.0;
    const TwoEdgeFit fit = FitTwoEdgeProfile(s.t, s.channels, o);
    ASSERT_TRUE(fit.ok);
    for (double err : {fit.edge1_px - t1, fit.edge2_px - t2}) {
      sum_err += err;
      sum_err2 += err * err;
      ++n;
    }
  }
  EXPECT_LT(std::abs(sum_err / n), 0.03);   // unbiased
  EXPECT_LT(std::sqrt(sum_err2 / n), 0.1);  // < 0.1 px rms
}

// A band narrower than the blur is only resolved with a known middle level (the station
// fit takes it from the wide stations); the blur itself is fitted.
TEST(TwoEdgeProfileFit, NarrowBandWithLevelPriorAndUnknownBlur) {
  std::mt19937_64 rng(11);
  std::vector<double> errs;
  for (int trial = 0; trial < 40; ++trial) {
    const double t1 = 10.3 + 0.07 * trial;
    const double t2 = t1 + 1.6;
    // True blur 0.9 px, prior 0.75 px: the blur is fitted.
    const std::vector<std::array<double, 3>> levels = {{0.30, 0.02, 0.06}, {0.20, 0.03, 0.08}};
    const Synthetic s = MakeProfile(t1, t2, 0.9, levels, 0.002, 0.5, 30.0, rng);
    TwoEdgeFitOptions o = SearchOptions(0.75, 6, 14);
    o.middle_level_prior = {0.02, 0.03};
    o.middle_level_prior_sigma = 0.005;
    const TwoEdgeFit fit = FitTwoEdgeProfile(s.t, s.channels, o);
    ASSERT_TRUE(fit.ok);
    errs.push_back(fit.width_px - 1.6);
    EXPECT_NEAR(fit.blur_sigma_px, 0.9, 0.2);
  }
  double mean = 0, mad = 0;
  for (double e : errs) mean += e / errs.size();
  for (double e : errs) mad += std::abs(e) / errs.size();
  EXPECT_LT(std::abs(mean), 0.05);
  EXPECT_LT(mad, 0.1);
}

TEST(TwoEdgeProfileFit, WidthSigmaIsCalibrated) {
  std::mt19937_64 rng(3);
  double sum_pull2 = 0;
  const int trials = 200;
  for (int trial = 0; trial < trials; ++trial) {
    const double t1 = 9.0 + 0.01 * trial, t2 = t1 + 4.0;
    const std::vector<std::array<double, 3>> levels = {{0.30, 0.02, 0.06}};
    const Synthetic s = MakeProfile(t1, t2, 0.8, levels, 0.004, 1.0, 30.0, rng);
    TwoEdgeFitOptions o = SearchOptions(0.8, 5, 12);
    const TwoEdgeFit fit = FitTwoEdgeProfile(s.t, s.channels, o);
    ASSERT_TRUE(fit.ok);
    const double pull = (fit.width_px - 4.0) / fit.width_sigma_px;
    sum_pull2 += pull * pull;
  }
  const double rms_pull = std::sqrt(sum_pull2 / trials);
  EXPECT_GT(rms_pull, 0.7);
  EXPECT_LT(rms_pull, 1.4);
}

TEST(TwoEdgeProfileFit, DarkPolarityRejectsBrightBand) {
  std::mt19937_64 rng(5);
  // A bright middle segment (no shadow): the dark-band model finds nothing there.
  const std::vector<std::array<double, 3>> levels = {{0.05, 0.30, 0.05}};
  const Synthetic s = MakeProfile(10.0, 14.0, 0.8, levels, 0.002, 0.5, 30.0, rng);
  TwoEdgeFitOptions o;
  o.first_edge_min_px = 8;
  o.first_edge_max_px = 12;
  const TwoEdgeFit fit = FitTwoEdgeProfile(s.t, s.channels, o);
  if (fit.ok) {
    EXPECT_GT(std::abs(fit.edge1_px - 10.0), 0.5);
  }
  o.polarity = 0;
  const TwoEdgeFit free_fit = FitTwoEdgeProfile(s.t, s.channels, o);
  ASSERT_TRUE(free_fit.ok);
  EXPECT_NEAR(free_fit.edge1_px, 10.0, 0.1);
  EXPECT_NEAR(free_fit.edge2_px, 14.0, 0.1);
}

// Deck | shaded hull side | shadow on the water | water: the side, seen off nadir, runs from
// the deck edge t1 over a share r of the band to t1 + r (t2 - t1).
Synthetic MakeSideProfile(double t1, double t2, double r, double blur, double deck, double side,
                          double shadow, double water, double noise, std::mt19937_64& rng) {
  Synthetic s;
  std::normal_distribution<double> g(0.0, noise);
  const double ti = t1 + r * (t2 - t1);
  std::vector<double> y;
  for (double t = 0; t < 30.0; t += 0.5) {
    s.t.push_back(t);
    y.push_back(deck + (side - deck) * Phi((t - t1) / blur) +
                (shadow - side) * Phi((t - ti) / blur) + (water - shadow) * Phi((t - t2) / blur) +
                g(rng));
  }
  s.channels.push_back(y);
  return s;
}

// A dark deck over a side in skylight about as bright as the water (wide renders at 24 deg
// off nadir): the one-level band put its deck edge inside the side and read the band short by
// a share of the side; the side model reads the whole band.
TEST(TwoEdgeProfileFit, ShadedSideSeenOffNadirIsPartOfTheBand) {
  std::mt19937_64 rng(17);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  double plain_sum = 0, side_sum = 0, side_sum2 = 0;
  const int trials = 60;
  for (int trial = 0; trial < trials; ++trial) {
    const double t1 = 8.0 + u(rng);
    const double width = 6.0 + 6.0 * u(rng);
    const double r = 0.25 + 0.1 * u(rng);
    const Synthetic s =
        MakeSideProfile(t1, t1 + width, r, 0.7, 0.11, 0.05, 0.025, 0.055, 0.002, rng);
    TwoEdgeFitOptions o = SearchOptions(0.7, 5, 12);
    o.max_width_px = 16;
    const TwoEdgeFit plain = FitTwoEdgeProfile(s.t, s.channels, o);
    o.side_fraction = r;
    const TwoEdgeFit fit = FitTwoEdgeProfile(s.t, s.channels, o);
    ASSERT_TRUE(plain.ok);
    ASSERT_TRUE(fit.ok);
    ASSERT_EQ(fit.side_levels.size(), 1u);
    plain_sum += plain.width_px - width;
    side_sum += fit.width_px - width;
    side_sum2 += (fit.width_px - width) * (fit.width_px - width);
  }
  std::printf("band width error: one level %+.2f px, with the side %+.3f px (rms %.3f)\n",
              plain_sum / trials, side_sum / trials, std::sqrt(side_sum2 / trials));
  EXPECT_LT(plain_sum / trials, -0.3);  // the bias the side model removes
  EXPECT_LT(std::abs(side_sum / trials), 0.08);
  EXPECT_LT(std::sqrt(side_sum2 / trials), 0.2);
}

// Where the side is as dark as the shadow (dark paint), or narrower than the blur, its own
// level explains nothing: the side model gives the one-level fit back (a chi^2 test: now and
// then noise passes it, and then the width barely moves).
TEST(TwoEdgeProfileFit, SideModelWithoutAResolvedSideIsTheOneLevelFit) {
  std::mt19937_64 rng(19);
  int dark_side_kept = 0;
  for (int trial = 0; trial < 40; ++trial) {
    const double t1 = 8.0 + 0.02 * trial;
    const double width = trial % 2 == 0 ? 6.0 : 1.6;
    const Synthetic s = MakeSideProfile(t1, t1 + width, 0.3, 0.7, 0.11,
                                        trial % 2 == 0 ? 0.025 : 0.05, 0.025, 0.055, 0.002, rng);
    TwoEdgeFitOptions o = SearchOptions(0.7, 5, 12);
    const TwoEdgeFit plain = FitTwoEdgeProfile(s.t, s.channels, o);
    o.side_fraction = 0.3;
    const TwoEdgeFit fit = FitTwoEdgeProfile(s.t, s.channels, o);
    ASSERT_TRUE(plain.ok);
    ASSERT_TRUE(fit.ok);
    if (trial % 2 == 0) {
      // Dark paint: one level.
      EXPECT_NEAR(fit.width_px, plain.width_px, 0.1);
      if (!fit.side_levels.empty()) ++dark_side_kept;
    } else {
      // A 0.5 px side under a 0.7 px blur: at most that side is added.
      EXPECT_GE(fit.width_px, plain.width_px - 1e-9);
      EXPECT_LE(fit.width_px, plain.width_px + 0.3 / 0.7 * plain.width_px + 0.25 + 0.05);
    }
  }
  EXPECT_LE(dark_side_kept, 3);  // of 20
}

TEST(TwoEdgeProfileFit, TooFewSamplesIsNotOk) {
  TwoEdgeFitOptions o;
  EXPECT_FALSE(FitTwoEdgeProfile({0, 1, 2}, {{1, 0, 1}}, o).ok);
  EXPECT_FALSE(FitTwoEdgeProfile({0, 1, 2, 3, 4, 5, 6, 7, 8}, {}, o).ok);
}

}  // namespace
}  // namespace bw
