// The small-target search of coarse imagery (detection/lowres.h) through the wide search on
// drawn 10 m GeoTIFFs: point-like vessels in the water are found with load state unknown,
// the coast and a pier are not; hulls moored flush along a paved quay are found, the quay
// and a hull-like band along a vegetated shore are not; at 300 m nothing is.
#include "detection/lowres.h"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <functional>
#include <opencv2/imgproc.hpp>
#include <utility>

#include "detection/wide.h"
#include "geo/raster_writer.h"
#include "geo/scene.h"
#include "tests/testing/testing.h"

namespace bw {
namespace {

constexpr float kWater[4] = {0.03f, 0.05f, 0.06f, 0.015f};
constexpr float kHull[4] = {0.12f, 0.12f, 0.12f, 0.14f};
constexpr float kLand[4] = {0.14f, 0.12f, 0.10f, 0.30f};
constexpr float kQuay[4] = {0.26f, 0.25f, 0.24f, 0.28f};  // concrete: flat, NDVI ~0.04

// Vessels (centre, length x beam in px, angle) drawn at 4x and averaged down, so that their
// pixels mix with the water as a 10 m sensor's do; land along the bottom with a wavy coast
// and a pier 3 px wide reaching about 25 px into the water.
struct Drawing {
  std::vector<cv::RotatedRect> vessels;
  std::vector<cv::RotatedRect> moored;  // drawn after the land and the quay
  cv::Rect pier{300, 215, 3, 45};       // into the land below the coast
  int coast_y = 240;
  cv::Rect quay;  // paved, drawn over land and water (a straight quay face at its top)
  // Shapes in the water with their own reflectance (R, G, B, NIR), drawn like `vessels`.
  std::vector<std::pair<cv::RotatedRect, std::array<float, 4>>> painted;
};

std::string WriteScene(const testing::TempDir& dir, const Drawing& d, double gsd_m) {
  constexpr int kW = 400, kH = 300, kS = 4;
  cv::RNG rng(11);
  std::vector<cv::Mat> bands(4);
  for (int b = 0; b < 4; ++b) {
    cv::Mat fine(kH * kS, kW * kS, CV_32F, cv::Scalar(kWater[b]));
    const auto fill_hull = [&](const cv::RotatedRect& v) {
      cv::Point2f p[4];
      cv::RotatedRect(v.center * static_cast<float>(kS),
                      cv::Size2f(v.size.width * kS, v.size.height * kS), v.angle)
          .points(p);
      std::vector<cv::Point> poly(p, p + 4);
      cv::fillConvexPoly(fine, poly, cv::Scalar(kHull[b]));
    };
    for (const auto& v : d.vessels) fill_hull(v);
    for (const auto& [v, colour] : d.painted) {
      cv::ellipse(fine,
                  cv::RotatedRect(v.center * static_cast<float>(kS),
                                  cv::Size2f(v.size.width * kS, v.size.height * kS), v.angle),
                  cv::Scalar(colour[b]), cv::FILLED);
    }
    std::vector<cv::Point> land;
    for (int x = 0; x <= kW * kS; x += kS)
      land.push_back({x, static_cast<int>((d.coast_y + 4 * std::sin(x / (kS * 15.0))) * kS)});
    land.push_back({kW * kS, kH * kS});
    land.push_back({0, kH * kS});
    cv::fillPoly(fine, std::vector<std::vector<cv::Point>>{land}, cv::Scalar(kLand[b]));
    const cv::Rect pier(d.pier.x * kS, d.pier.y * kS, d.pier.width * kS, d.pier.height * kS);
    fine(pier).setTo(kLand[b]);
    if (!d.quay.empty())
      fine(cv::Rect(d.quay.x * kS, d.quay.y * kS, d.quay.width * kS, d.quay.height * kS))
          .setTo(kQuay[b]);
    for (const auto& v : d.moored) fill_hull(v);
    cv::Mat m;
    cv::resize(fine, m, cv::Size(kW, kH), 0, 0, cv::INTER_AREA);
    cv::Mat noise(kH, kW, CV_32F);
    rng.fill(noise, cv::RNG::NORMAL, 0, 0.002);
    m += noise;
    m = m * 10000.0f;
    m.convertTo(bands[b], CV_16U);
  }
  RasterWriteOptions o;
  o.geotransform = {738000.0, gsd_m, 0, 4740000.0, 0, -gsd_m};
  o.crs = "EPSG:32653";
  o.band_count = 4;
  o.cv_depth = CV_16U;
  o.block_size = 256;
  const std::string tif = dir.file("lowres.tif");
  WriteGeoTiff(tif, bands, o);
  return tif;
}

SceneDetections DetectWide(const std::string& tif) {
  DetectOptions opt;
  opt.wide = true;
  opt.threads = 1;
  const Scene scene = Scene::Open(tif);
  SceneDetections header;
  header.path = tif;
  header.scene_id = scene.id();
  header.gsd_m = scene.gsd_m();
  return DetectWideScene(scene, nullptr, nullptr, opt, {}, header);
}

TEST(LowRes, OnlyWhereTheHullFitCannotResolveBeams) {
  EXPECT_FALSE(UseLowResSearch(0.5));
  EXPECT_FALSE(UseLowResSearch(3.0));
  EXPECT_TRUE(UseLowResSearch(10.0));
  EXPECT_TRUE(UseLowResSearch(300.0));
}

TEST(LowResOptions, CheckRejectsBadValues) {
  EXPECT_NO_THROW(LowResOptions().Check());
  const std::vector<std::function<void(LowResOptions&)>> bad = {
      [](LowResOptions& o) { o.moored_water_outline = 1.5; },
      [](LowResOptions& o) { o.min_moored_beam_m = 0; },
      [](LowResOptions& o) { o.min_moored_beam_m = o.max_beam_m + 1; },
      [](LowResOptions& o) { o.min_moored_elongation = 0.5; },
      [](LowResOptions& o) { o.max_alongside_deg = 0; },
      [](LowResOptions& o) { o.quay_contrast = 1; },
      [](LowResOptions& o) { o.quay_contrast_sigma = -1; },
      [](LowResOptions& o) { o.quay_ring_m = 0; },
      [](LowResOptions& o) { o.max_quay_ndvi = 2; },
      [](LowResOptions& o) { o.max_puff_elongation = -1; },
      [](LowResOptions& o) { o.cloud_reflectance = 0; },
  };
  for (size_t i = 0; i < bad.size(); ++i) {
    LowResOptions o;
    bad[i](o);
    EXPECT_ANY_THROW(o.Check()) << "bad value " << i;
  }
}

TEST(LowResWide, FindsPointLikeVesselsAndNotTheCoastOrAPier) {
  testing::TempDir dir("bwlowres");
  Drawing d;
  d.vessels = {cv::RotatedRect({100.f, 80.f}, {18.f, 3.f}, 30.f),   // 180 m x 30 m
               cv::RotatedRect({250.f, 120.f}, {8.f, 2.f}, -70.f),  // 80 m x 20 m
               cv::RotatedRect({330.f, 60.f}, {25.f, 4.f}, 0.f),    // 250 m x 40 m
               cv::RotatedRect({150.f, 200.f}, {10.f, 2.5f}, 85.f)};
  const SceneDetections r = DetectWide(WriteScene(dir, d, 10.0));
  const Scene scene = Scene::Open(r.path);
  ASSERT_EQ(r.detections.size(), d.vessels.size());
  for (const auto& v : d.vessels) {
    const Detection* best = nullptr;
    double best_px = 1e9;
    for (const auto& det : r.detections) {
      const PixelXY p = scene.pixel_from_lonlat(det.center);
      const double dist = std::hypot(p.x - v.center.x, p.y - v.center.y);
      if (dist < best_px) {
        best_px = dist;
        best = &det;
      }
    }
    ASSERT_NE(best, nullptr);
    EXPECT_LT(best_px, 1.5) << v.center;
    const double length_m = 10.0 * std::max(v.size.width, v.size.height);
    EXPECT_NEAR(best->length_m, length_m, 0.3 * length_m + 10.0) << v.center;
    EXPECT_EQ(best->load_state, LoadState::kUnknown);
    EXPECT_FALSE(best->unknown_reason.empty());
    EXPECT_EQ(best->vessel_class, "vessel");
  }
}

TEST(LowResWide, NoVesselsOnABareCoast) {
  testing::TempDir dir("bwlowres");
  const SceneDetections r = DetectWide(WriteScene(dir, Drawing{}, 10.0));
  EXPECT_TRUE(r.detections.empty());
}

// A paved quay along the coast with hulls moored flush along its straight face: at 10 m each
// hull and the quay are one non-water area, which the free-water test cannot report.
Drawing QuayDrawing() {
  Drawing d;
  d.quay = cv::Rect(60, 226, 240, 30);  // face at y = 226, 2.4 km long
  return d;
}

const Detection* Nearest(const SceneDetections& r, const Scene& scene, cv::Point2f at,
                         double* dist_px) {
  const Detection* best = nullptr;
  *dist_px = 1e9;
  for (const auto& det : r.detections) {
    const PixelXY p = scene.pixel_from_lonlat(det.center);
    const double dist = std::hypot(p.x - at.x, p.y - at.y);
    if (dist < *dist_px) {
      *dist_px = dist;
      best = &det;
    }
  }
  return best;
}

TEST(LowResWide, FindsVesselsMooredAlongAQuayAndNotTheQuay) {
  testing::TempDir dir("bwlowres");
  Drawing d = QuayDrawing();
  d.moored = {cv::RotatedRect({120.f, 223.5f}, {22.f, 5.f}, 0.f),  // 220 m x 50 m
              cv::RotatedRect({220.f, 224.f}, {14.f, 4.f}, 0.f)};  // 140 m x 40 m
  const SceneDetections r = DetectWide(WriteScene(dir, d, 10.0));
  const Scene scene = Scene::Open(r.path);
  EXPECT_EQ(r.detections.size(), d.moored.size());
  for (const auto& v : d.moored) {
    double dist_px = 0;
    const Detection* best = Nearest(r, scene, v.center, &dist_px);
    ASSERT_NE(best, nullptr);
    EXPECT_LT(dist_px, 2.0) << v.center;
    const double length_m = 10.0 * v.size.width;
    EXPECT_NEAR(best->length_m, length_m, 0.3 * length_m + 10.0) << v.center;
    // Along the quay face: east-west in this north-up drawing.
    EXPECT_NEAR(best->heading_deg, 90.0, 15.0);
    EXPECT_EQ(best->load_state, LoadState::kUnknown);
  }
}

TEST(LowResWide, NoVesselsOnABareQuay) {
  testing::TempDir dir("bwlowres");
  const SceneDetections r = DetectWide(WriteScene(dir, QuayDrawing(), 10.0));
  EXPECT_TRUE(r.detections.empty());
}

// The same hull along the vegetated coast: a natural shore is no berth, and a dark band
// along it (wet sand, shade, a hull-like drawing) is not reported.
TEST(LowResWide, NoMooredVesselsAlongAnUnpavedShore) {
  testing::TempDir dir("bwlowres");
  Drawing d;
  d.moored = {cv::RotatedRect({150.f, 235.5f}, {22.f, 5.f}, -12.f)};
  const SceneDetections r = DetectWide(WriteScene(dir, d, 10.0));
  EXPECT_TRUE(r.detections.empty());
}

TEST(LowResWide, NothingWhereNoVesselSpansEnoughPixels) {
  testing::TempDir dir("bwlowres");
  Drawing d;
  d.vessels = {cv::RotatedRect({100.f, 80.f}, {18.f, 3.f}, 30.f)};
  const SceneDetections r = DetectWide(WriteScene(dir, d, 300.0));
  EXPECT_TRUE(r.detections.empty());
}

// At 10 m a small cumulus puff is the size of a hull and too small for the cloud mask. A
// compact blob whose bands all read water mixed with grey cloud is a puff; a compact boat
// (paint raises some bands more than others) and a long grey hull are vessels.
TEST(LowResWide, ACompactGreyPuffIsCloudNotAVessel) {
  testing::TempDir dir("bwlowres");
  auto cloud_over_water = [](float a) {
    std::array<float, 4> c{};
    for (int b = 0; b < 4; ++b) c[b] = (1 - a) * kWater[b] + a * 0.65f;
    return c;
  };
  Drawing d;
  d.painted = {
      {cv::RotatedRect({100.f, 80.f}, {7.f, 5.f}, 20.f), cloud_over_water(0.3f)},         // puff
      {cv::RotatedRect({250.f, 80.f}, {6.f, 4.f}, 0.f), cloud_over_water(0.5f)},          // puff
      {cv::RotatedRect({100.f, 160.f}, {6.f, 4.f}, 30.f), {0.30f, 0.14f, 0.12f, 0.22f}},  // boat
      {cv::RotatedRect({250.f, 160.f}, {16.f, 3.f}, -40.f), cloud_over_water(0.3f)},  // grey hull
  };
  const SceneDetections r = DetectWide(WriteScene(dir, d, 10.0));
  auto found_near = [&](double x, double y) {
    const Scene scene = Scene::Open(dir.file("lowres.tif"));
    for (const auto& det : r.detections) {
      const PixelXY p = scene.pixel_from_lonlat(det.center);
      if (std::hypot(p.x - x, p.y - y) < 4) return true;
    }
    return false;
  };
  EXPECT_FALSE(found_near(100, 80));
  EXPECT_FALSE(found_near(250, 80));
  EXPECT_TRUE(found_near(100, 160));
  EXPECT_TRUE(found_near(250, 160));
  EXPECT_EQ(r.detections.size(), 2u);
}

}  // namespace
}  // namespace bw
