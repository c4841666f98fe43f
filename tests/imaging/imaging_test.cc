// Kernels of imaging/: tile loop, exact masked box mean, Otsu, normalisation, masks.
#include "imaging/imaging.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <functional>
#include <opencv2/imgproc.hpp>
#include <random>
#include <vector>

namespace bw {
namespace {

cv::Mat RandomMap(int w, int h, unsigned seed) {
  cv::Mat m(h, w, CV_32F);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) m.at<float>(y, x) = u(rng);
  return m;
}

TEST(ForEachTile, CoversEveryPixelOnce) {
  cv::Mat count = cv::Mat::zeros(301, 517, CV_32S);
  ForEachTile(517, 301, 64, 7, 2, [&](const cv::Rect& core, const cv::Rect& padded) {
    EXPECT_EQ(core & padded, core);
    count(core) += 1;
  });
  double mn, mx;
  cv::minMaxLoc(count, &mn, &mx);
  EXPECT_EQ(mn, 1);
  EXPECT_EQ(mx, 1);
}

TEST(MaskedPercentiles, EachAsMaskedPercentileGivesIt) {
  // Ties (quantised values), a mask, a stride, percentiles out of order and repeated.
  cv::Mat v = RandomMap(333, 211, 7);
  v.convertTo(v, CV_32F, 50.0);
  cv::Mat q;
  v.convertTo(q, CV_32S);
  q.convertTo(v, CV_32F);
  cv::Mat mask = RandomMap(333, 211, 8) > 0.3f;
  const std::vector<double> ps = {99.9, 0.5, 50.0, 25.0, 50.0, 100.0, 0.0};
  for (int stride : {1, 3}) {
    const std::vector<float> got = MaskedPercentiles(v, mask, ps, stride);
    ASSERT_EQ(got.size(), ps.size());
    for (size_t i = 0; i < ps.size(); ++i) {
      EXPECT_EQ(got[i], MaskedPercentile(v, mask, ps[i], stride)) << ps[i] << " stride " << stride;
    }
  }
  EXPECT_TRUE(std::isnan(MaskedPercentiles(v, cv::Mat::zeros(v.size(), CV_8U), {50.0})[0]));
  EXPECT_EQ(SampleStride(1e6, 2.5e5), 2);
  EXPECT_EQ(SampleStride(1.1e6, 2.5e5), 3);
  EXPECT_EQ(SampleStride(100, 2.5e5), 1);
}

// Large sample sets take the histogram selection: the same values as sorting, with
// duplicates, negative values, both zeros and ranks at the ends.
TEST(MaskedPercentiles, LargeSetsMatchSorting) {
  std::mt19937 rng(21);
  std::normal_distribution<float> g(0.05f, 0.3f);
  for (const int quantised : {0, 1}) {
    cv::Mat v(300, 400, CV_32F);
    for (int y = 0; y < v.rows; ++y) {
      for (int x = 0; x < v.cols; ++x) {
        float s = g(rng);
        if (quantised) s = std::round(s * 50.0f) / 50.0f;  // many equal values
        v.at<float>(y, x) = s;
      }
    }
    v.at<float>(5, 5) = -0.0f;
    v.at<float>(6, 6) = 0.0f;
    const cv::Mat mask = RandomMap(400, 300, 22) > 0.2f;
    std::vector<float> sorted;
    for (int y = 0; y < v.rows; ++y)
      for (int x = 0; x < v.cols; ++x)
        if (mask.at<uchar>(y, x)) sorted.push_back(v.at<float>(y, x));
    ASSERT_GT(sorted.size(), 20000u);
    std::sort(sorted.begin(), sorted.end());
    const std::vector<double> ps = {0.0, 0.5, 25.0, 50.0, 50.0, 75.0, 99.9, 100.0};
    const std::vector<float> got = MaskedPercentiles(v, mask, ps);
    for (size_t i = 0; i < ps.size(); ++i) {
      const size_t k = std::min(sorted.size() - 1,
                                static_cast<size_t>(ps[i] / 100.0 * (sorted.size() - 1) + 0.5));
      EXPECT_EQ(got[i], sorted[k]) << "percentile " << ps[i] << (quantised ? " quantised" : "");
    }
  }
}

// MadSigma selects by histogram on large sets: the same value as sorting twice.
TEST(MadSigma, MatchesSorting) {
  std::mt19937 rng(23);
  std::normal_distribution<float> g(0.02f, 0.01f);
  for (const size_t n : {17ul, 1000ul, 16383ul, 16384ul, 300000ul}) {
    std::vector<float> s(n);
    for (float& x : s) x = g(rng);
    std::vector<float> sorted = s;
    std::sort(sorted.begin(), sorted.end());
    const float med = sorted[n / 2];
    for (float& x : sorted) x = std::fabs(x - med);
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(MadSigma(s), 1.4826f * sorted[n / 2]) << n;
    if (n > 1000) {
      EXPECT_NEAR(1.4826f * sorted[n / 2], 0.01f, 5e-4f) << n;  // sigma 0.01
    }
  }
  std::vector<float> few(15, 1.0f);
  EXPECT_TRUE(std::isnan(MadSigma(few)));
}

TEST(MaskedBoxMean, MatchesBruteForce) {
  const cv::Mat v = RandomMap(90, 70, 1);
  cv::Mat mask = RandomMap(90, 70, 2) > 0.3f;
  const int r = 5;
  const cv::Mat out = MaskedBoxMean(v, mask, r, 1, -1.0f, 32, 2);
  for (int y = 0; y < v.rows; y += 7) {
    for (int x = 0; x < v.cols; x += 5) {
      double s = 0;
      int n = 0;
      for (int yy = std::max(0, y - r); yy <= std::min(v.rows - 1, y + r); ++yy)
        for (int xx = std::max(0, x - r); xx <= std::min(v.cols - 1, x + r); ++xx)
          if (mask.at<uchar>(yy, xx)) {
            s += v.at<float>(yy, xx);
            ++n;
          }
      ASSERT_GT(n, 0);
      EXPECT_NEAR(out.at<float>(y, x), s / n, 1e-6) << x << "," << y;
    }
  }
}

TEST(MaskedBoxMean, IndependentOfTileSizeAndThreads) {
  const cv::Mat v = RandomMap(300, 211, 3);
  const cv::Mat mask = RandomMap(300, 211, 4) > 0.5f;
  const cv::Mat a = MaskedBoxMean(v, mask, 9, 4, 0.0f, 32, 1);
  const cv::Mat b = MaskedBoxMean(v, mask, 9, 4, 0.0f, 128, 2);
  const cv::Mat c = MaskedBoxMean(v, mask, 9, 4, 0.0f, 512, 0);
  EXPECT_EQ(cv::norm(a, b, cv::NORM_INF), 0.0);
  EXPECT_EQ(cv::norm(a, c, cv::NORM_INF), 0.0);
}

TEST(MaskedBoxMean, FallbackWhereTooFewMaskPixels) {
  const cv::Mat v = RandomMap(50, 50, 5);
  const cv::Mat mask = cv::Mat::zeros(50, 50, CV_8U);
  const cv::Mat out = MaskedBoxMean(v, mask, 3, 1, 7.0f);
  EXPECT_FLOAT_EQ(out.at<float>(25, 25), 7.0f);
}

TEST(MaskedBoxMeans, EachMapAsAloneAndTheFallbacksCounted) {
  // Maps of very different magnitudes (each gets its own fixed-point scale) over a mask with
  // an empty corner, so that some boxes fall back.
  const int w = 157, h = 203, r = 11, min_count = 30;
  std::vector<cv::Mat> maps;
  for (int b = 0; b < 4; ++b) maps.push_back(RandomMap(w, h, 20 + b) * std::pow(10.0, 2 * b - 3));
  cv::Mat mask = RandomMap(w, h, 30) > 0.4f;
  mask(cv::Rect(0, 0, 60, 50)).setTo(0);
  int expected_fallbacks = 0;
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const cv::Rect box = cv::Rect(x - r, y - r, 2 * r + 1, 2 * r + 1) & cv::Rect(0, 0, w, h);
      expected_fallbacks += cv::countNonZero(mask(box)) < min_count;
    }
  }
  ASSERT_GT(expected_fallbacks, 100);
  for (int k = 1; k <= 4; ++k) {
    std::vector<const cv::Mat*> in;
    std::vector<cv::Mat> out(k);
    std::vector<cv::Mat*> out_ptr;
    std::vector<float> fallbacks;
    for (int b = 0; b < k; ++b) {
      in.push_back(&maps[b]);
      out_ptr.push_back(&out[b]);
      fallbacks.push_back(-1.0f - b);
    }
    for (const int threads : {1, 2}) {
      EXPECT_EQ(MaskedBoxMeans(in, mask, r, min_count, fallbacks, out_ptr, 64, threads),
                expected_fallbacks);
      for (int b = 0; b < k; ++b) {
        const cv::Mat alone = MaskedBoxMean(maps[b], mask, r, min_count, -1.0f - b, 512, 1);
        EXPECT_EQ(cv::norm(out[b], alone, cv::NORM_INF), 0.0) << k << " maps, map " << b;
        EXPECT_FLOAT_EQ(out[b].at<float>(0, 0), -1.0f - b);
      }
    }
  }
}

TEST(OtsuThreshold, SplitsTwoModes) {
  cv::Mat m(100, 100, CV_32F);
  std::mt19937 rng(9);
  std::normal_distribution<float> lo(0.1f, 0.01f), hi(0.6f, 0.02f);
  for (int y = 0; y < 100; ++y)
    for (int x = 0; x < 100; ++x) m.at<float>(y, x) = x < 40 ? hi(rng) : lo(rng);
  const float t = OtsuThreshold(m, cv::Mat());
  EXPECT_GT(t, 0.2f);
  EXPECT_LT(t, 0.5f);
}

TEST(MaskedPercentile, IgnoresMaskedPixels) {
  cv::Mat m(10, 10, CV_32F, cv::Scalar(5));
  cv::Mat mask = cv::Mat::zeros(10, 10, CV_8U);
  m(cv::Rect(0, 0, 5, 10)) = 1.0f;
  mask(cv::Rect(0, 0, 5, 10)) = 255;
  EXPECT_FLOAT_EQ(MaskedPercentile(m, mask, 90), 1.0f);
}

// A drawn 4-band window: water with noise, a bright red deck, a grey pier (land) and an
// optional large flat cloud, as digital numbers (reflectance * 10000).
WindowPixels DrawWindow(int w, int h, bool cloud, unsigned seed) {
  WindowPixels px;
  px.window = {0, 0, w, h};
  const float water[4] = {0.055f, 0.08f, 0.10f, 0.02f};
  const float deck[4] = {0.22f, 0.10f, 0.08f, 0.20f};
  const float cloud_col[4] = {0.62f, 0.63f, 0.65f, 0.60f};
  std::mt19937 rng(seed);
  std::normal_distribution<float> noise(0.0f, 0.002f);
  for (int b = 0; b < 4; ++b) {
    px.bands[b].create(h, w, CV_32F);
    for (int y = 0; y < h; ++y) {
      for (int x = 0; x < w; ++x) {
        float v = water[b];
        if (x >= 100 && x < 260 && y >= 80 && y < 110) v = deck[b];
        if (cloud && (x - 300) * (x - 300) + (y - 300) * (y - 300) < 90 * 90) v = cloud_col[b];
        px.bands[b].at<float>(y, x) = (v + noise(rng)) * 10000.0f;
      }
    }
  }
  px.valid = cv::Mat(h, w, CV_8U, cv::Scalar(255));
  px.valid(cv::Rect(0, 0, 20, h)) = 0;  // a nodata strip
  return px;
}

TEST(ProcessWindow, WaterCloudAndContrast) {
  const WindowPixels px = DrawWindow(420, 420, true, 11);
  const RadiometricScale scale = EstimateScale(px, PixelType::kUInt16);
  EXPECT_NEAR(scale.gain[0], 1e-4, 1e-9);
  ImagingOptions opt;
  opt.gsd_m = 0.5;
  opt.cloud_min_radius_m = 15;
  const ImagingResult r = ProcessWindow(px, scale, cv::Mat(), opt);
  ASSERT_TRUE(r.has_nir);
  // Open water far from everything.
  EXPECT_EQ(r.water.at<uchar>(350, 60), 255);
  EXPECT_NEAR(r.contrast.at<float>(350, 60), 0.0f, 5.0f);
  // Deck: not water, strong positive contrast, not cloud.
  EXPECT_EQ(r.water.at<uchar>(95, 180), 0);
  EXPECT_GT(r.contrast.at<float>(95, 180), 10.0f);
  EXPECT_EQ(r.cloud.at<uchar>(95, 180), 0);
  // Cloud core.
  EXPECT_EQ(r.cloud.at<uchar>(300, 300), 255);
  EXPECT_EQ(r.water.at<uchar>(300, 300), 0);
  // Nodata.
  EXPECT_EQ(r.valid.at<uchar>(10, 10), 0);
  EXPECT_EQ(r.water.at<uchar>(10, 10), 0);
  EXPECT_GT(r.noise_sigma, 0.0f);
  EXPECT_LT(r.noise_sigma, 0.01f);
}

TEST(ProcessWindow, RgbOnlyUsesLocalStatistics) {
  WindowPixels px = DrawWindow(300, 200, false, 12);
  px.bands[3] = cv::Mat();
  const RadiometricScale scale = EstimateScale(px, PixelType::kUInt16);
  ImagingOptions opt;
  const ImagingResult r = ProcessWindow(px, scale, cv::Mat(), opt);
  EXPECT_FALSE(r.has_nir);
  EXPECT_EQ(r.water.at<uchar>(150, 60), 255);
  EXPECT_GT(r.contrast.at<float>(95, 180), 10.0f);
}

TEST(ProcessWindow, LandPolygonsAreNeitherWaterNorCloud) {
  const WindowPixels px = DrawWindow(420, 420, true, 13);
  cv::Mat land = cv::Mat::zeros(420, 420, CV_8U);
  land(cv::Rect(200, 200, 220, 220)) = 255;
  ImagingOptions opt;
  const ImagingResult r = ProcessWindow(px, EstimateScale(px, PixelType::kUInt16), land, opt);
  EXPECT_EQ(r.water.at<uchar>(350, 350), 0);
  EXPECT_EQ(r.cloud.at<uchar>(350, 350), 0);
}

// Reflectances of the drawn windows below.
constexpr float kWaterRefl[4] = {0.055f, 0.08f, 0.10f, 0.02f};
constexpr float kCloudRefl[4] = {0.62f, 0.63f, 0.65f, 0.60f};

// A window of w x h pixels to draw bands into (valid everywhere).
WindowPixels BlankWindow(int w, int h) {
  WindowPixels px;
  px.window = {0, 0, w, h};
  for (int b = 0; b < 4; ++b) px.bands[b].create(h, w, CV_32F);
  px.valid = cv::Mat(h, w, CV_8U, cv::Scalar(255));
  return px;
}

// A w x h window drawn from a reflectance function (4 bands per pixel) plus Gaussian noise of
// 0.002 from `seed`, as digital numbers (reflectance * 10000).
WindowPixels DrawnWindow(int w, int h, unsigned seed,
                         const std::function<void(int x, int y, double* refl)>& reflectance) {
  WindowPixels px = BlankWindow(w, h);
  std::mt19937 rng(seed);
  std::normal_distribution<float> noise(0.0f, 0.002f);
  double refl[4];
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      reflectance(x, y, refl);
      for (int b = 0; b < 4; ++b) {
        px.bands[b].at<float>(y, x) = static_cast<float>((refl[b] + noise(rng)) * 10000.0);
      }
    }
  }
  return px;
}

// A berth window wholly under a cloud's veil (opacity 0.25 to 0.55 across it) with a dark
// hull under it: nothing in it is dark in the NIR, which water always is (path radiance and
// haze lift it a few hundredths), though the veil's thinnest part is under the 0.2 a hazy
// visible band may reach. Subtracting the darkest pixels as haze took the veil for water and
// the hull under it was measured as if in clear sky; now nothing is subtracted and the veil
// is cloud. The same water under haze instead keeps its haze subtracted.
TEST(EstimateScale, AVeilWithNoWaterDarkNirIsCloudNotHaze) {
  const auto veiled = [](double haze_only) {
    return [haze_only](int x, int y, double* refl) {
      const bool hull = x > 100 && x < 220 && y > 130 && y < 160;
      for (int b = 0; b < 4; ++b) {
        const double under = hull ? 0.03 : kWaterRefl[b];
        if (haze_only > 0) {
          constexpr double kHaze[4] = {0.30, 0.33, 0.38, 0.22};
          refl[b] = under * (1 - haze_only) + kHaze[b] * haze_only;
        } else {
          const double a = 0.25 + 0.3 * x / 320.0;
          refl[b] = under * (1 - a) + kCloudRefl[b] * a;
        }
      }
    };
  };
  ImagingOptions opt;
  opt.gsd_m = 0.5;
  opt.cloud_min_radius_m = 15;
  const WindowPixels veil = DrawnWindow(320, 300, 21, veiled(0));
  const RadiometricScale vs = EstimateScale(veil, PixelType::kUInt16);
  for (int b = 0; b < 4; ++b) EXPECT_EQ(vs.offset[b], 0.0f) << "band " << b;
  const ImagingResult r = ProcessWindow(veil, vs, cv::Mat(), opt);
  EXPECT_GT(cv::countNonZero(r.cloud), 0.75 * r.cloud.total());
  EXPECT_EQ(r.cloud.at<uchar>(145, 160), 255);  // the hull is under the cloud

  const WindowPixels haze = DrawnWindow(320, 300, 22, veiled(0.25));
  const RadiometricScale hs = EstimateScale(haze, PixelType::kUInt16);
  for (int b = 0; b < 4; ++b) EXPECT_GT(hs.offset[b] * hs.gain[b], 0.02f) << "band " << b;
  const ImagingResult h = ProcessWindow(haze, hs, cv::Mat(), opt);
  EXPECT_EQ(cv::countNonZero(h.cloud), 0);
}

// A cloud over a pier: its core north of the pier (land, where cloud is not looked for), and
// south of it only a soft thin edge with no core of its own, which still is the same cloud.
// A grey deck moored south of the pier raises every band alike as thin cloud does, but its
// outline is sharp: it stays a deck.
TEST(ProcessWindow, ACloudCutByAPierIsOneCloudAndADeckBesideItIsNot) {
  const int w = 500, h = 420;
  WindowPixels px = BlankWindow(w, h);
  const auto& water = kWaterRefl;
  const auto& cloud_col = kCloudRefl;
  std::mt19937 rng(21);
  std::normal_distribution<float> noise(0.0f, 0.002f);
  cv::Mat land = cv::Mat::zeros(h, w, CV_8U);
  land(cv::Rect(0, 190, w, 30)) = 255;
  for (int b = 0; b < 4; ++b) {
    for (int y = 0; y < h; ++y) {
      for (int x = 0; x < w; ++x) {
        double a = 0.0;  // cloud opacity
        if (y < 190) {
          a = std::hypot(x - 200.0, y - 90.0) < 100.0 ? 1.0 : 0.0;
          if (a == 0.0 && y > 120 && std::abs(x - 200) < 180) a = 0.10;  // edge to the pier
        } else if (y >= 220) {
          a = 0.10 * std::exp(-(y - 220) / 40.0) * std::exp(-std::pow((x - 200) / 70.0, 2));
        }
        float v = static_cast<float>(water[b] + a * (cloud_col[b] - water[b]));
        if (y >= 190 && y < 220) v = 0.30f;  // pier
        if (x >= 340 && x < 480 && y >= 221 && y < 251)
          v = water[b] + 0.12f * (cloud_col[b] - water[b]);  // grey deck
        px.bands[b].at<float>(y, x) = (v + noise(rng)) * 10000.0f;
      }
    }
  }
  ImagingOptions opt;
  opt.gsd_m = 0.5;
  opt.cloud_min_radius_m = 15;
  const ImagingResult r = ProcessWindow(px, EstimateScale(px, PixelType::kUInt16), land, opt);
  EXPECT_EQ(r.cloud.at<uchar>(90, 200), 255);   // the core
  EXPECT_EQ(r.cloud.at<uchar>(228, 200), 255);  // its thin edge beyond the pier
  EXPECT_EQ(r.cloud.at<uchar>(236, 410), 0);    // the deck
  EXPECT_EQ(r.cloud.at<uchar>(400, 450), 0);    // open water
}

// A 600 x 600 px window: vegetation (x < 100), a quay of white concrete (bright and flat in
// every band, as a cloud) from x = 100 to quay_end, a white deck moored along it across a
// dark 2 px seam (200 x 30 px), water, and optionally a soft-edged cloud of wavy outline
// centred at (420, 430).
WindowPixels QuayWindow(int quay_end, bool cloud) {
  const int w = 600, h = 600;
  WindowPixels px = BlankWindow(w, h);
  const float green[4] = {0.05f, 0.12f, 0.05f, 0.35f};
  const float concrete[4] = {0.55f, 0.56f, 0.57f, 0.52f};
  const float white[4] = {0.60f, 0.61f, 0.62f, 0.55f};
  std::mt19937 rng(31);
  std::normal_distribution<float> noise(0.0f, 0.004f);
  for (int b = 0; b < 4; ++b) {
    for (int y = 0; y < h; ++y) {
      for (int x = 0; x < w; ++x) {
        float v = kWaterRefl[b];
        if (x < 100)
          v = green[b];
        else if (x < quay_end)
          v = concrete[b];
        else if (x >= quay_end + 2 && x < quay_end + 32 && y >= 150 && y < 350)
          v = white[b];
        const double th = std::atan2(y - 430.0, x - 420.0);
        const double rr = 80 + 15 * std::sin(5 * th) + 8 * std::sin(11 * th + 1);
        const double a =
            cloud ? std::clamp((rr - std::hypot(x - 420.0, y - 430.0)) / 20.0, 0.0, 1.0) : 0.0;
        v = static_cast<float>(v * (1 - a) + kCloudRefl[b] * a);
        px.bands[b].at<float>(y, x) = (v + noise(rng)) * 10000.0f;
      }
    }
  }
  return px;
}

// The quay (80 px wide at 0.5 m: wider than a cloud core) and the cloud: the quay's straight
// outline makes it a structure, land and not cloud; the deck along it stays open (neither
// land nor cloud); the cloud stays cloud. Without the structure test the quay and the deck
// are both cloud.
TEST(ProcessWindow, AStraightEdgedBrightQuayIsLandAndTheDeckAlongItIsOpen) {
  const WindowPixels px = QuayWindow(180, true);
  ImagingOptions opt;
  opt.gsd_m = 0.5;
  opt.cloud_min_radius_m = 15;
  const RadiometricScale scale = EstimateScale(px, PixelType::kUInt16);
  const ImagingResult r = ProcessWindow(px, scale, cv::Mat(), opt);
  EXPECT_EQ(r.land.at<uchar>(300, 140), 255);  // the quay
  EXPECT_EQ(r.cloud.at<uchar>(300, 140), 0);
  EXPECT_EQ(r.land.at<uchar>(250, 197), 0);  // the deck
  EXPECT_EQ(r.cloud.at<uchar>(250, 197), 0);
  EXPECT_EQ(r.open.at<uchar>(250, 197), 255);
  EXPECT_EQ(r.cloud.at<uchar>(430, 420), 255);  // the cloud
  EXPECT_EQ(r.land.at<uchar>(430, 420), 0);
  EXPECT_EQ(r.water.at<uchar>(80, 450), 255);  // open water
  opt.find_structures = false;
  const ImagingResult off = ProcessWindow(px, scale, cv::Mat(), opt);
  EXPECT_EQ(off.cloud.at<uchar>(300, 140), 255);
  EXPECT_EQ(off.cloud.at<uchar>(250, 197), 255);
}

// A quay too narrow for a cloud core (40 m at 1 m GSD against a 65 m core disk), with no
// cloud in the window, is still a structure: it is longer (600 m) than any vessel. The deck
// (200 m) is not.
TEST(ProcessWindow, ANarrowQuayLongerThanAnyVesselIsLand) {
  const WindowPixels px = QuayWindow(140, false);
  ImagingOptions opt;
  opt.gsd_m = 1.0;
  const RadiometricScale scale = EstimateScale(px, PixelType::kUInt16);
  const ImagingResult r = ProcessWindow(px, scale, cv::Mat(), opt);
  EXPECT_EQ(r.land.at<uchar>(300, 120), 255);  // the quay
  EXPECT_EQ(r.land.at<uchar>(250, 157), 0);    // the deck
  EXPECT_EQ(r.open.at<uchar>(250, 157), 255);
  EXPECT_EQ(cv::countNonZero(r.cloud), 0);
  opt.find_structures = false;
  EXPECT_EQ(ProcessWindow(px, scale, cv::Mat(), opt).land.at<uchar>(300, 120), 0);
}

// A cloud over a mapped pier: the pier as imaged is 3 px wider than its polygon on the cloud's
// side (its face seen off-nadir, the georeference's residual), and that strip of concrete is
// of the cloud class and joins the cloud. Its outer edge is straight and runs the pier's
// length, but it is the pier's edge, not the cloud's: the cloud stays cloud (before
// 2026-12-07 it became a "structure", land, and its veil was searched as water).
TEST(ProcessWindow, ACloudOverAMappedPierIsNoStructure) {
  const int w = 600, h = 600;
  const float concrete[4] = {0.55f, 0.56f, 0.57f, 0.52f};
  const WindowPixels px = DrawnWindow(w, h, 43, [&](int x, int y, double* refl) {
    const bool pier = y >= 280 && y < 320;
    const double th = std::atan2(y - 240.0, x - 300.0);
    const double rr = 90 + 15 * std::sin(5 * th) + 8 * std::sin(11 * th + 1);
    const double a = std::clamp((rr - std::hypot(x - 300.0, y - 240.0)) / 20.0, 0.0, 1.0);
    for (int b = 0; b < 4; ++b) {
      const double under = pier ? concrete[b] : kWaterRefl[b];
      refl[b] = under * (1 - a) + kCloudRefl[b] * a;
    }
  });
  cv::Mat land = cv::Mat::zeros(h, w, CV_8U);
  land(cv::Range(283, 320), cv::Range::all()).setTo(255);  // the polygon, 3 px short
  ImagingOptions opt;
  opt.gsd_m = 0.5;
  opt.cloud_min_radius_m = 15;
  const ImagingResult r = ProcessWindow(px, EstimateScale(px, PixelType::kUInt16), land, opt);
  EXPECT_EQ(r.cloud.at<uchar>(220, 300), 255);  // the cloud's core
  EXPECT_EQ(r.land.at<uchar>(220, 300), 0);
  EXPECT_EQ(r.cloud.at<uchar>(167, 300), 255);  // its veil over the water
  EXPECT_EQ(r.cloud.at<uchar>(100, 60), 0);     // open water
  EXPECT_EQ(r.open.at<uchar>(100, 60), 255);
}

// At 10 m GSD a cloud's outline is a staircase of pixels: within the 3 px tolerance of the
// straightness test, 8 px (80 m) pieces of it are "straight lines", and whole clouds were
// taken for quays (land), the rest of them searched as water (37 false vessels in the
// Sentinel-2 Honolulu scene). Lines must be many times the tolerance long.
TEST(ProcessWindow, APixelatedCloudAtTenMetresIsNoStructure) {
  const WindowPixels px = DrawnWindow(240, 240, 31, [](int x, int y, double* refl) {
    const double t = std::atan2(y - 120.0, x - 120.0);
    const double radius = 45.0 + 6.0 * std::sin(3 * t) + 4.0 * std::cos(7 * t + 1.0);
    const bool in = std::hypot(x - 120.0, y - 120.0) < radius;
    for (int b = 0; b < 4; ++b) refl[b] = in ? kCloudRefl[b] : kWaterRefl[b];
  });
  ImagingOptions opt;
  opt.gsd_m = 10.0;
  opt.cloud_min_radius_m = 30.0;
  const ImagingResult r = ProcessWindow(px, EstimateScale(px, PixelType::kUInt16), cv::Mat(), opt);
  EXPECT_EQ(r.land.at<uchar>(120, 120), 0);
  EXPECT_EQ(r.cloud.at<uchar>(120, 120), 255);
  EXPECT_EQ(r.cloud.at<uchar>(120, 80), 255);
}

// A grey hull lying in the veil around a dense cloud: through the veil its per-band opacities
// agree as the veil's do, so growth from the cloud's core ran across it and the hull became
// cloud. Its outline is sharp where the veil fades over tens of metres: with the edge
// barrier (berth mode) growth stops there; the veil itself stays cloud.
TEST(ProcessWindow, CloudGrowthStopsAtAHullsSharpOutlineInTheVeil) {
  const WindowPixels px = DrawnWindow(700, 600, 41, [](int x, int y, double* refl) {
    const double d = std::hypot(x - 200.0, y - 200.0);
    // Dense core fading over 40 px (20 m) from radius 50 into a veil of opacity 0.08, which
    // reaches out to 210 px and fades over 40.
    const double veil = 0.08 * std::clamp((250.0 - d) / 40.0, 0.0, 1.0);
    const double a = std::max(veil, std::clamp((90.0 - d) / 40.0, 0.0, 1.0));
    const bool hull = x >= 260 && x < 370 && y >= 290 && y < 316;
    for (int b = 0; b < 4; ++b) {
      const double s =
          hull ? kWaterRefl[b] + 0.25 * (kCloudRefl[b] - kWaterRefl[b]) : kWaterRefl[b];
      refl[b] = s * (1 - a) + kCloudRefl[b] * a;
    }
  });
  const RadiometricScale scale = EstimateScale(px, PixelType::kUInt16);
  ImagingOptions opt;
  opt.gsd_m = 0.5;
  opt.cloud_min_radius_m = 15;
  const ImagingResult plain = ProcessWindow(px, scale, cv::Mat(), opt);
  opt.growth_edge_step = 0.02;
  const ImagingResult r = ProcessWindow(px, scale, cv::Mat(), opt);
  EXPECT_EQ(plain.cloud.at<uchar>(303, 315), 255);  // the hull swallowed
  EXPECT_EQ(r.cloud.at<uchar>(303, 315), 0);        // the hull kept
  EXPECT_EQ(r.cloud.at<uchar>(303, 265), 0);
  EXPECT_EQ(r.cloud.at<uchar>(200, 200), 255);  // the core
  EXPECT_EQ(r.cloud.at<uchar>(280, 250), 255);  // the veil around the hull
  EXPECT_EQ(r.cloud.at<uchar>(340, 300), 255);
  EXPECT_EQ(r.cloud.at<uchar>(550, 650), 0);  // open water
}

// A red-decked hull with a white superstructure at one end, where a filament of veil
// (opacity 0.3, over the 0.2 of the edge barrier above, and narrower than a cloud core) runs
// from a dense cloud to the hull. White is grey like the cloud: growth along the filament took
// the superstructure, and the hull cut short there became another class (seed 11 of
// `default`, 2024-05-18, B1: 74.6 m for 88.8, class `other`). The step from the veil to the
// white paint is ten times steeper than any the veil makes: a barrier there keeps it.
TEST(ProcessWindow, CloudGrowthStopsAtAWhiteSuperstructureInADenserVeil) {
  const WindowPixels px = DrawnWindow(700, 600, 43, [](int x, int y, double* refl) {
    const double d = std::hypot(x - 150.0, y - 303.0);
    const double core = std::clamp((90.0 - d) / 40.0, 0.0, 1.0);
    // The filament: 50 px wide, its sides and end soft over 8 px, over the superstructure.
    const double across = std::clamp((25.0 - std::abs(y - 303.0)) / 8.0 + 0.5, 0.0, 1.0);
    const double along = std::clamp((290.0 - x) / 8.0 + 0.5, 0.0, 1.0);
    const double a = std::max(core, 0.3 * across * along);
    const bool hull = x >= 260 && x < 370 && y >= 290 && y < 316;
    const bool superstructure = hull && x < 284;
    constexpr double kDeck[4] = {0.30, 0.04, 0.04, 0.03};
    constexpr double kWhite[4] = {0.42, 0.40, 0.42, 0.40};
    for (int b = 0; b < 4; ++b) {
      const double s = superstructure ? kWhite[b] : hull ? kDeck[b] : kWaterRefl[b];
      refl[b] = s * (1 - a) + kCloudRefl[b] * a;
    }
  });
  const RadiometricScale scale = EstimateScale(px, PixelType::kUInt16);
  ImagingOptions opt;
  opt.gsd_m = 0.5;
  opt.growth_edge_step = 0.02;
  opt.growth_edge_strong_max_opacity = 0.0;  // the barrier in thin veils only
  const ImagingResult thin_only = ProcessWindow(px, scale, cv::Mat(), opt);
  opt.growth_edge_strong_max_opacity = 0.5;
  const ImagingResult r = ProcessWindow(px, scale, cv::Mat(), opt);
  const cv::Rect superstructure(260, 290, 24, 26);
  const double before = cv::countNonZero(thin_only.cloud(superstructure)) / 624.0;
  const double after = cv::countNonZero(r.cloud(superstructure)) / 624.0;
  std::printf("superstructure under cloud: %.2f without the barrier in denser veils, %.2f with\n",
              before, after);
  EXPECT_GT(before, 0.9);                       // swallowed
  EXPECT_LT(after, 0.1);                        // kept
  EXPECT_EQ(r.cloud.at<uchar>(303, 320), 0);    // the deck
  EXPECT_EQ(r.cloud.at<uchar>(303, 150), 255);  // the core
  EXPECT_EQ(r.cloud.at<uchar>(303, 220), 255);  // the filament
  EXPECT_EQ(r.cloud.at<uchar>(284, 272), 255);  // the filament beside the superstructure
  EXPECT_EQ(r.cloud.at<uchar>(500, 600), 0);    // open water
}

// ProcessWindow under two tilings / thread counts gives identical maps.
void ExpectSameForTilings(const WindowPixels& px, int tile_a, int threads_a, int tile_b,
                          int threads_b) {
  const RadiometricScale scale = EstimateScale(px, PixelType::kUInt16);
  ImagingOptions a;
  a.tile_size = tile_a;
  a.threads = threads_a;
  ImagingOptions b;
  b.tile_size = tile_b;
  b.threads = threads_b;
  const ImagingResult ra = ProcessWindow(px, scale, cv::Mat(), a);
  const ImagingResult rb = ProcessWindow(px, scale, cv::Mat(), b);
  EXPECT_EQ(cv::norm(ra.background, rb.background, cv::NORM_INF), 0.0);
  EXPECT_EQ(cv::norm(ra.contrast, rb.contrast, cv::NORM_INF), 0.0);
  EXPECT_EQ(cv::norm(ra.water, rb.water, cv::NORM_INF), 0.0);
  EXPECT_EQ(cv::norm(ra.cloud, rb.cloud, cv::NORM_INF), 0.0);
  EXPECT_EQ(ra.noise_sigma, rb.noise_sigma);
}

TEST(ProcessWindow, SameResultForAnyTileSizeAndThreadCount) {
  ExpectSameForTilings(DrawWindow(420, 420, true, 14), 64, 1, 256, 2);
}

TEST(ProcessWindow, RgbOnlySameResultForAnyTileSizeAndThreadCount) {
  WindowPixels px = DrawWindow(420, 300, true, 15);
  px.bands[3] = cv::Mat();
  ExpectSameForTilings(px, 48, 1, 512, 0);
}

TEST(ProcessWindow, ReusedBuffersGiveTheSameResult) {
  const WindowPixels big = DrawWindow(420, 420, true, 16);
  const WindowPixels small = DrawWindow(300, 200, false, 17);
  const RadiometricScale scale = EstimateScale(big, PixelType::kUInt16);
  ImagingOptions opt;
  ImagingResult reused;
  ProcessWindow(small, scale, cv::Mat(), opt, reused);  // other size first
  ProcessWindow(big, scale, cv::Mat(), opt, reused);
  const ImagingResult fresh = ProcessWindow(big, scale, cv::Mat(), opt);
  EXPECT_EQ(cv::norm(fresh.contrast, reused.contrast, cv::NORM_INF), 0.0);
  EXPECT_EQ(cv::norm(fresh.water, reused.water, cv::NORM_INF), 0.0);
  EXPECT_EQ(cv::norm(fresh.cloud, reused.cloud, cv::NORM_INF), 0.0);
  EXPECT_EQ(cv::norm(fresh.bands[3], reused.bands[3], cv::NORM_INF), 0.0);
}

TEST(MaskedBoxMean, LargeRadiusMatchesBruteForceAcrossStrips) {
  const cv::Mat v = RandomMap(150, 700, 6) * 0.3f + 0.02f;
  const cv::Mat mask = RandomMap(150, 700, 7) > 0.2f;
  const int r = 40;
  const cv::Mat out = MaskedBoxMean(v, mask, r, 10, -1.0f, 64, 2);
  for (int y = 0; y < v.rows; y += 37) {
    for (int x = 0; x < v.cols; x += 13) {
      double s = 0;
      int n = 0;
      for (int yy = std::max(0, y - r); yy <= std::min(v.rows - 1, y + r); ++yy)
        for (int xx = std::max(0, x - r); xx <= std::min(v.cols - 1, x + r); ++xx)
          if (mask.at<uchar>(yy, xx)) {
            s += v.at<float>(yy, xx);
            ++n;
          }
      EXPECT_NEAR(out.at<float>(y, x), s / n, 1e-6) << x << "," << y;
    }
  }
}

TEST(ImagingOptions, CheckRejectsBadValues) {
  const std::vector<std::function<void(ImagingOptions&)>> bad = {
      [](ImagingOptions& o) { o.gsd_m = -1; },
      [](ImagingOptions& o) { o.tile_size = 4; },
      [](ImagingOptions& o) { o.structure_straight_share = 0; },
      [](ImagingOptions& o) { o.structure_min_length_m = 0; },
      [](ImagingOptions& o) { o.growth_edge_strong_factor = 0.5; },
      [](ImagingOptions& o) { o.growth_edge_strong_max_opacity = 1.5; },
  };
  for (size_t i = 0; i < bad.size(); ++i) {
    ImagingOptions o;
    bad[i](o);
    EXPECT_ANY_THROW(o.Check()) << "bad value " << i;
  }
}

}  // namespace
}  // namespace bw
