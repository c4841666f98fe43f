// The two-edge profile fit on synthetic profiles with known sub-pixel edges and PSF.
#include <gtest/gtest.h>

#include <cmath>
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
    TwoEdgeFitOptions o;
    o.blur_sigma_px = 0.8;
    o.first_edge_min_px = 5;
    o.first_edge_max_px = 12;
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
    TwoEdgeFitOptions o;
    o.blur_sigma_px = 0.75;
    o.first_edge_min_px = 6;
    o.first_edge_max_px = 14;
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
    TwoEdgeFitOptions o;
    o.blur_sigma_px = 0.8;
    o.first_edge_min_px = 5;
    o.first_edge_max_px = 12;
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

TEST(TwoEdgeProfileFit, TooFewSamplesIsNotOk) {
  TwoEdgeFitOptions o;
  EXPECT_FALSE(FitTwoEdgeProfile({0, 1, 2}, {{1, 0, 1}}, o).ok);
  EXPECT_FALSE(FitTwoEdgeProfile({0, 1, 2, 3, 4, 5, 6, 7, 8}, {}, o).ok);
}

}  // namespace
}  // namespace bw
