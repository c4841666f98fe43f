// Kernel microbenchmarks (issue 6): each kernel on a 2048 x 2048 4-band window of water
// with hulls, reporting bytes/s of input. Run via scripts/bench.sh.
#include <benchmark/benchmark.h>

#include <array>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <random>
#include <vector>

#include "detection/freeboard.h"
#include "detection/hulls.h"
#include "imaging/imaging.h"

namespace {

constexpr int kSize = 2048;

// Water (dark, noisy, NIR darker still) with a few bright rotated hulls; digital numbers on
// a 16-bit reflectance x 10000 scale like the renderer's.
const bw::WindowPixels& TestWindow() {
  static const bw::WindowPixels px = [] {
    bw::WindowPixels p;
    p.window = {0, 0, kSize, kSize};
    const float water[4] = {500, 650, 700, 250};
    const float deck[4] = {2600, 2200, 1900, 2400};
    cv::RNG rng(7);
    for (int b = 0; b < 4; ++b) {
      p.bands[b] = cv::Mat(kSize, kSize, CV_32F);
      rng.fill(p.bands[b], cv::RNG::NORMAL, water[b], 40);
    }
    for (int i = 0; i < 24; ++i) {
      const cv::RotatedRect r({200.f + 300.f * (i % 6), 250.f + 450.f * (i / 6)},
                              {180.f + 10.f * i, 34.f}, 15.f * i);
      cv::Point2f pts[4];
      r.points(pts);
      std::vector<cv::Point> poly;
      for (const auto& q : pts) poly.emplace_back(cvRound(q.x), cvRound(q.y));
      for (int b = 0; b < 4; ++b) cv::fillConvexPoly(p.bands[b], poly, cv::Scalar(deck[b]));
    }
    p.valid = cv::Mat(kSize, kSize, CV_8U, cv::Scalar(255));
    return p;
  }();
  return px;
}

void SetBytes(benchmark::State& state, int bands) {
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(kSize) * kSize * bands *
                          static_cast<int64_t>(sizeof(float)));
}

void BM_EstimateScale(benchmark::State& state) {
  const auto& px = TestWindow();
  for (auto _ : state) {
    benchmark::DoNotOptimize(bw::EstimateScale(px, bw::PixelType::kUInt16));
  }
  SetBytes(state, 4);
}
BENCHMARK(BM_EstimateScale)->Unit(benchmark::kMillisecond);

void BM_ProcessWindow(benchmark::State& state) {
  const auto& px = TestWindow();
  const bw::RadiometricScale scale = bw::EstimateScale(px, bw::PixelType::kUInt16);
  bw::ImagingOptions opt;
  opt.threads = static_cast<int>(state.range(0));
  for (auto _ : state) {
    benchmark::DoNotOptimize(bw::ProcessWindow(px, scale, cv::Mat(), opt));
  }
  SetBytes(state, 4);
}
BENCHMARK(BM_ProcessWindow)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

// Steady state of a tile loop: the result's buffers are re-used from one call to the next
// (no page faults on fresh allocations).
void BM_ProcessWindowReuse(benchmark::State& state) {
  const auto& px = TestWindow();
  const bw::RadiometricScale scale = bw::EstimateScale(px, bw::PixelType::kUInt16);
  bw::ImagingOptions opt;
  opt.threads = static_cast<int>(state.range(0));
  bw::ImagingResult r;
  for (auto _ : state) {
    bw::ProcessWindow(px, scale, cv::Mat(), opt, r);
    benchmark::DoNotOptimize(r.contrast.data);
  }
  SetBytes(state, 4);
}
BENCHMARK(BM_ProcessWindowReuse)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_MaskedBoxMean(benchmark::State& state) {
  const auto& px = TestWindow();
  const cv::Mat mask(kSize, kSize, CV_8U, cv::Scalar(255));
  for (auto _ : state) {
    benchmark::DoNotOptimize(bw::MaskedBoxMean(px.bands[0], mask, 120, 16, 0.f, 512, 1));
  }
  SetBytes(state, 1);
}
BENCHMARK(BM_MaskedBoxMean)->Unit(benchmark::kMillisecond);

// The four bands' water backgrounds of the object contrast: one MaskedBoxMean per band
// (arg 0) against MaskedBoxMeans over all four in one pass (arg 1); the same results.
void BM_MaskedBoxMeanFourBands(benchmark::State& state) {
  const auto& px = TestWindow();
  const cv::Mat mask(kSize, kSize, CV_8U, cv::Scalar(255));
  std::array<cv::Mat, 4> out;
  for (auto _ : state) {
    if (state.range(0) == 0) {
      for (int b = 0; b < 4; ++b) bw::MaskedBoxMean(px.bands[b], mask, 75, 16, 0.f, out[b], 512, 1);
    } else {
      bw::MaskedBoxMeans({&px.bands[0], &px.bands[1], &px.bands[2], &px.bands[3]}, mask, 75, 16,
                         {0.f, 0.f, 0.f, 0.f}, {&out[0], &out[1], &out[2], &out[3]}, 512, 1);
    }
    benchmark::DoNotOptimize(out[3].data);
  }
  SetBytes(state, 4);
}
BENCHMARK(BM_MaskedBoxMeanFourBands)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

void BM_OtsuThreshold(benchmark::State& state) {
  const auto& px = TestWindow();
  for (auto _ : state) benchmark::DoNotOptimize(bw::OtsuThreshold(px.bands[3], px.valid));
  SetBytes(state, 1);
}
BENCHMARK(BM_OtsuThreshold)->Unit(benchmark::kMillisecond);

void BM_FindHulls(benchmark::State& state) {
  const auto& px = TestWindow();
  bw::ImagingOptions opt;
  opt.threads = 1;
  const bw::ImagingResult img =
      bw::ProcessWindow(px, bw::EstimateScale(px, bw::PixelType::kUInt16), cv::Mat(), opt);
  bw::HullFitOptions hopt;
  for (auto _ : state) benchmark::DoNotOptimize(bw::FindHulls(img, hopt));
  SetBytes(state, 1);
}
BENCHMARK(BM_FindHulls)->Unit(benchmark::kMillisecond);

void BM_TwoEdgeProfileFit(benchmark::State& state) {
  std::vector<double> t;
  std::vector<std::vector<double>> ch(2);
  std::mt19937 rng(3);
  std::normal_distribution<double> noise(0, 0.01);
  for (double x = -10; x <= 10; x += 0.5) {
    t.push_back(x);
    const double p1 = 0.5 * std::erfc(-(x + 1.3) / (0.8 * std::sqrt(2.0)));
    const double p2 = 0.5 * std::erfc(-(x - 3.1) / (0.8 * std::sqrt(2.0)));
    ch[0].push_back(0.4 + (0.05 - 0.4) * p1 + (0.08 - 0.05) * p2 + noise(rng));
    ch[1].push_back(0.3 + (0.03 - 0.3) * p1 + (0.06 - 0.03) * p2 + noise(rng));
  }
  bw::TwoEdgeFitOptions opt;
  // Arg: the shaded hull side's share of the band in percent (0: the one-level band; else the
  // one-level fit, then the side model started from it).
  opt.side_fraction = 0.01 * static_cast<double>(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(bw::FitTwoEdgeProfile(t, ch, opt));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(t.size() * 2 * 8));
}
BENCHMARK(BM_TwoEdgeProfileFit)->Arg(0)->Arg(30)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
