// Geometry of the renderer measured in the written GeoTIFF: shadow width across the hull and
// relief displacement of the deck, against the observation model of ../shared/PHYSICS.md.
#include "datasets/render.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "geo/scene.h"
#include "tests/testing/testing.h"

namespace bw::datasets {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kDeg = kPi / 180.0;
constexpr double kGridFromTrue = 1.3;  // like UTM 53N at the terminal

// One tanker on flat, untextured water; no clouds, no noise.
ScenePlan OneTanker(double sun_el, double sun_az, double heading, double freeboard,
                    double off_nadir = 0.0, double view_az = 0.0) {
  ScenePlan p;
  p.id = "scene_test";
  p.time = *ParseTime("2024-06-01T02:00:00Z");
  p.crs = "EPSG:32653";
  p.width_px = 400;
  p.height_px = 400;
  p.gsd_m = 0.5;
  p.origin_x = 510000.0;
  p.origin_y = 4730000.0;
  p.grid_from_true_deg = kGridFromTrue;
  p.sun_elevation_deg = sun_el;
  p.sun_azimuth_deg = sun_az;
  p.off_nadir_deg = off_nadir;
  p.view_azimuth_deg = view_az;
  p.supersample = 4;
  p.strip_rows = 64;
  p.look.water = {0.04f, 0.06f, 0.08f, 0.01f};
  p.look.shadow_sky = {0.25f, 0.25f, 0.25f, 0.25f};
  p.look.path = {0, 0, 0, 0};
  p.look.gain = {1, 1, 1, 1};
  p.look.water_texture = false;
  p.look.glint = 0;
  p.look.noise = false;
  p.look.psf_sigma_px = 0.5;
  HullInstance h;
  h.center = {p.origin_x + 100.0, p.origin_y - 100.0};
  h.heading_deg = heading;
  h.length_m = 120;
  h.beam_m = 18;
  h.depth_m = 10;
  h.draft_m = 10 - freeboard;
  h.laden_draft_m = h.draft_m;  // no antifouling band
  h.superstructure_height_m = 0;
  h.deck_fittings = false;
  h.deck = {0.30f, 0.30f, 0.30f, 0.30f};
  h.hull_paint = {0.03f, 0.03f, 0.03f, 0.03f};
  p.hulls.push_back(h);
  return p;
}

// R+G+B of the written raster, as float.
cv::Mat ReadRgbSum(const std::string& path) {
  const Scene scene = Scene::Open(path);
  const PixelWindow all{0, 0, scene.width(), scene.height()};
  cv::Mat sum = scene.ReadBand(1, all) + scene.ReadBand(2, all) + scene.ReadBand(3, all);
  return sum;
}

float Bilinear(const cv::Mat& m, double x, double y) {
  // Pixel (c, r) has its centre at (c + 0.5, r + 0.5).
  const double fx = x - 0.5, fy = y - 0.5;
  const int ix = static_cast<int>(std::floor(fx)), iy = static_cast<int>(std::floor(fy));
  const double tx = fx - ix, ty = fy - iy;
  auto at = [&](int c, int r) {
    c = std::clamp(c, 0, m.cols - 1);
    r = std::clamp(r, 0, m.rows - 1);
    return static_cast<double>(m.at<float>(r, c));
  };
  return static_cast<float>((at(ix, iy) * (1 - tx) + at(ix + 1, iy) * tx) * (1 - ty) +
                            (at(ix, iy + 1) * (1 - tx) + at(ix + 1, iy + 1) * tx) * ty);
}

struct PixelDir {
  double x, y;
};
// Pixel-space unit vector of a true azimuth (rows grow southward).
PixelDir PixelOfAzimuth(double true_az) {
  const double g = (true_az + kGridFromTrue) * kDeg;
  return {std::sin(g), -std::cos(g)};
}

// First t (px) along `dir` from `from` where the image crosses `level` going `down`.
double Crossing(const cv::Mat& img, PixelDir from, PixelDir dir, double t0, double t1, double level,
                bool down) {
  const double step = 0.02;
  double prev = Bilinear(img, from.x + dir.x * t0, from.y + dir.y * t0);
  for (double t = t0 + step; t <= t1; t += step) {
    const double v = Bilinear(img, from.x + dir.x * t, from.y + dir.y * t);
    if ((down && prev >= level && v < level) || (!down && prev <= level && v > level)) {
      return t - step + step * (prev - level) / (prev - v);
    }
    prev = v;
  }
  return -1;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

struct ShadowCase {
  double sun_el, sun_az, heading, freeboard;
};

class ShadowWidth : public ::testing::TestWithParam<ShadowCase> {};

TEST_P(ShadowWidth, MatchesFreeboardCotElevationSinDeltaAzimuth) {
  const ShadowCase c = GetParam();
  testing::TempDir dir;
  const ScenePlan plan = OneTanker(c.sun_el, c.sun_az, c.heading, c.freeboard);
  const std::string path = dir.file("one.tif");
  RenderScene(plan, path);
  const cv::Mat img = ReadRgbSum(path);

  const double water = (0.04 + 0.06 + 0.08) * 10000;
  const double shadow = water * 0.25;
  const HullInstance& h = plan.hulls[0];
  const PixelDir axis = PixelOfAzimuth(h.heading_deg);
  // Side away from the sun: normal n with n . s < 0.
  PixelDir n{-axis.y, axis.x};
  const PixelDir sun = PixelOfAzimuth(c.sun_az);
  if (n.x * sun.x + n.y * sun.y > 0) n = {-n.x, -n.y};
  const PixelXY center{(h.center.x - plan.origin_x) / plan.gsd_m,
                       (plan.origin_y - h.center.y) / plan.gsd_m};
  const double half_beam_px = h.beam_m / 2 / plan.gsd_m;
  const double expected = c.freeboard / std::tan(c.sun_el * kDeg) *
                          std::abs(std::sin((c.sun_az - c.heading) * kDeg)) / plan.gsd_m;
  std::vector<double> widths;
  for (double u : {-0.25, -0.15, -0.05, 0.05, 0.15}) {
    const double along = u * h.length_m / plan.gsd_m;
    const PixelDir q{center.x + axis.x * along, center.y + axis.y * along};
    const double deck = Bilinear(img, q.x, q.y);
    const double edge = Crossing(img, q, n, 0, half_beam_px + 4, (deck + shadow) / 2, true);
    ASSERT_GT(edge, 0) << "deck edge not found at u=" << u;
    EXPECT_NEAR(edge, half_beam_px, 0.5) << "deck edge at u=" << u;
    const double outer =
        Crossing(img, q, n, edge + 0.5, edge + expected + 8, (shadow + water) / 2, false);
    ASSERT_GT(outer, 0) << "shadow edge not found at u=" << u;
    widths.push_back(outer - edge);
  }
  EXPECT_NEAR(Median(widths), expected, 0.5)
      << "sun " << c.sun_el << "/" << c.sun_az << " heading " << c.heading;
  for (double w : widths) EXPECT_NEAR(w, expected, 0.75);
}

INSTANTIATE_TEST_SUITE_P(Geometries, ShadowWidth,
                         ::testing::Values(ShadowCase{30, 160, 70, 4.0},
                                           ShadowCase{45, 150, 37, 6.0},
                                           ShadowCase{55, 200, 140, 3.0},
                                           ShadowCase{38, 135, 0, 5.0},
                                           ShadowCase{62, 175, 300, 8.0}));

struct ReliefCase {
  double off_nadir, view_az, heading, freeboard;
};

class Relief : public ::testing::TestWithParam<ReliefCase> {};

TEST_P(Relief, DeckDisplacedAwayFromSatelliteAndHullSideVisible) {
  const ReliefCase c = GetParam();
  testing::TempDir dir;
  // Sun along the hull axis: no shadow across the hull.
  const ScenePlan plan = OneTanker(50, c.heading, c.heading, c.freeboard, c.off_nadir, c.view_az);
  const std::string path = dir.file("relief.tif");
  RenderScene(plan, path);
  const cv::Mat img = ReadRgbSum(path);
  const HullInstance& h = plan.hulls[0];
  const PixelDir axis = PixelOfAzimuth(h.heading_deg);
  const PixelDir n{-axis.y, axis.x};
  const PixelDir away = PixelOfAzimuth(c.view_az + 180);
  const double relief_px = c.freeboard * std::tan(c.off_nadir * kDeg) / plan.gsd_m;
  const double shift_expected = relief_px * (away.x * n.x + away.y * n.y);
  const PixelXY center{(h.center.x - plan.origin_x) / plan.gsd_m,
                       (plan.origin_y - h.center.y) / plan.gsd_m};
  const double water = (0.04 + 0.06 + 0.08) * 10000;
  const double half = h.beam_m / 2 / plan.gsd_m;
  std::vector<double> shifts, sides;
  for (double u : {-0.2, -0.1, 0.0, 0.1}) {
    const double along = u * h.length_m / plan.gsd_m;
    const PixelDir q{center.x + axis.x * along, center.y + axis.y * along};
    const double deck = Bilinear(img, q.x + n.x * shift_expected, q.y + n.y * shift_expected);
    const double level = (deck + water) / 2;
    const double plus = Crossing(img, q, n, 0, half + relief_px + 6, level, true);
    const double minus = Crossing(img, q, {-n.x, -n.y}, 0, half + relief_px + 6, level, true);
    ASSERT_GT(plus, 0);
    ASSERT_GT(minus, 0);
    shifts.push_back((plus - minus) / 2);
    // Visible hull side (dark) between the deck edge and the waterline on the satellite side.
    const bool side_plus = shift_expected < 0;  // deck leans to -n: side visible on +n
    const PixelDir sd = side_plus ? n : PixelDir{-n.x, -n.y};
    const double deck_edge = side_plus ? plus : minus;
    const double side_level =
        0.09 * 0.25 / (0.25 + std::sin(50 * kDeg)) * 10000;  // SideFactor, sun along the axis
    const double waterline = Crossing(img, q, sd, deck_edge + 0.3, deck_edge + relief_px + 6,
                                      (side_level + water) / 2, false);
    if (std::abs(shift_expected) > 2.0) {
      ASSERT_GT(waterline, 0);
      sides.push_back(waterline - deck_edge);
    }
  }
  EXPECT_NEAR(Median(shifts), shift_expected, 0.5);
  if (!sides.empty()) {
    EXPECT_NEAR(Median(sides), std::abs(shift_expected), 0.5);
  }
}

INSTANTIATE_TEST_SUITE_P(Geometries, Relief,
                         ::testing::Values(ReliefCase{20, 100, 10, 6.0},
                                           ReliefCase{25, 300, 45, 5.0},
                                           ReliefCase{12, 200, 120, 8.0},
                                           ReliefCase{5, 30, 80, 4.0}));

// The superstructure (height hs above the deck) casts the longer shadow: on the water its
// outer edge lies (f + hs) cot(e) |sin(A_s - theta)| beyond its own side.
TEST(RenderScene, SuperstructureCastsLongerShadow) {
  testing::TempDir dir;
  const double e = 50, az = 160, heading = 70, f = 4, hs = 14;
  ScenePlan plan = OneTanker(e, az, heading, f);
  HullInstance& h = plan.hulls[0];
  h.superstructure_height_m = hs;
  h.superstructure_length_frac = 0.14;
  h.superstructure = {0.5f, 0.5f, 0.5f, 0.5f};
  RenderScene(plan, dir.file("super.tif"));
  const cv::Mat img = ReadRgbSum(dir.file("super.tif"));
  const PixelDir axis = PixelOfAzimuth(heading);
  PixelDir n{-axis.y, axis.x};
  const PixelDir sun = PixelOfAzimuth(az);
  if (n.x * sun.x + n.y * sun.y > 0) n = {-n.x, -n.y};
  const double k = std::abs(std::sin((az - heading) * kDeg)) / std::tan(e * kDeg) / plan.gsd_m;
  const double water = (0.04 + 0.06 + 0.08) * 10000, shadow = water * 0.25;
  // Station through the middle of the superstructure (it spans 0.025..0.165 L from the stern).
  const double u = (-0.5 + 0.095) * h.length_m / plan.gsd_m;
  const PixelDir q{(h.center.x - plan.origin_x) / plan.gsd_m + axis.x * u,
                   (plan.origin_y - h.center.y) / plan.gsd_m + axis.y * u};
  const double expected = 0.42 * h.beam_m / plan.gsd_m + (f + hs) * k;
  const double outer = Crossing(img, q, n, h.beam_m / 2 / plan.gsd_m + 1, expected + 10,
                                (shadow + water) / 2, false);
  EXPECT_NEAR(outer, expected, 0.5);
  // Along the mid-body the hull shadow alone: B/2 + f cot(e) |sin|.
  const PixelDir m{(h.center.x - plan.origin_x) / plan.gsd_m,
                   (plan.origin_y - h.center.y) / plan.gsd_m};
  const double mid = Crossing(img, m, n, h.beam_m / 2 / plan.gsd_m + 0.5, expected + 10,
                              (shadow + water) / 2, false);
  EXPECT_NEAR(mid, h.beam_m / 2 / plan.gsd_m + f * k, 0.5);
}

// A hull shadow reaching the pier is drawn on the pier deck, shortened by the pier height.
TEST(RenderScene, ShadowOnPierAtPierHeight) {
  testing::TempDir dir;
  const double e = 30, az = 160, heading = 70, f = 8, pier_h = 3;
  ScenePlan plan = OneTanker(e, az, heading, f);
  const HullInstance& h = plan.hulls[0];
  const double g = (heading + kGridFromTrue) * kDeg;
  const Vec2 axis{std::sin(g), std::cos(g)};
  Vec2 perp{axis.y, -axis.x};
  const double sg = (az + kGridFromTrue) * kDeg;
  if (perp.x * std::sin(sg) + perp.y * std::cos(sg) > 0) perp = {-perp.x, -perp.y};
  // Pier alongside on the shadow side, 2.5 m off the hull, 20 m wide.
  Prism pier;
  const double w0 = h.beam_m / 2 + 2.5, w1 = w0 + 20;
  for (auto [u, w] : {std::pair{-80.0, w0}, {80.0, w0}, {80.0, w1}, {-80.0, w1}}) {
    pier.footprint.push_back(
        {h.center.x + axis.x * u + perp.x * w, h.center.y + axis.y * u + perp.y * w});
  }
  pier.height_m = pier_h;
  pier.roof = pier.side = {0.3f, 0.3f, 0.3f, 0.3f};
  pier.texture = 0;
  plan.structures.push_back(pier);
  RenderScene(plan, dir.file("pier.tif"));
  const cv::Mat img = ReadRgbSum(dir.file("pier.tif"));
  const double k = std::abs(std::sin((az - heading) * kDeg)) / std::tan(e * kDeg) / plan.gsd_m;
  const PixelDir n{perp.x, -perp.y};
  const PixelDir c{(h.center.x - plan.origin_x) / plan.gsd_m,
                   (plan.origin_y - h.center.y) / plan.gsd_m};
  const double lit = 0.9 * 10000, in_shadow = lit * 0.25;
  const double edge =
      Crossing(img, c, n, h.beam_m / 2 / plan.gsd_m + 0.5, 60, (lit + in_shadow) / 2, false);
  EXPECT_NEAR(edge, h.beam_m / 2 / plan.gsd_m + (f - pier_h) * k, 0.5);
}

TEST(RenderScene, WritesGeoreferencedUInt16WithNodataZero) {
  testing::TempDir dir;
  ScenePlan plan = OneTanker(40, 170, 60, 5);
  plan.swath_edge = true;
  plan.edge_point = {plan.origin_x + 150, plan.origin_y - 100};
  plan.edge_normal = {1, 0};
  const std::string path = dir.file("geo.tif");
  RenderScene(plan, path);
  const Scene s = Scene::Open(path);
  EXPECT_EQ(s.width(), 400);
  EXPECT_EQ(s.height(), 400);
  EXPECT_EQ(s.band_count(), 4);
  EXPECT_EQ(s.pixel_type(), PixelType::kUInt16);
  EXPECT_TRUE(s.has_nir());
  ASSERT_TRUE(s.epsg().has_value());
  EXPECT_EQ(*s.epsg(), 32653);
  EXPECT_DOUBLE_EQ(s.geotransform()[0], plan.origin_x);
  EXPECT_DOUBLE_EQ(s.geotransform()[3], plan.origin_y);
  EXPECT_DOUBLE_EQ(s.geotransform()[1], 0.5);
  EXPECT_DOUBLE_EQ(s.geotransform()[5], -0.5);
  ASSERT_TRUE(s.nodata().has_value());
  EXPECT_EQ(*s.nodata(), 0.0);
  const WindowPixels w = s.ReadWindow({0, 0, 400, 400});
  // East of x = 150 m (column 300) is nodata; west of it is valid.
  EXPECT_EQ(w.valid.at<uint8_t>(200, 310), 0);
  EXPECT_EQ(w.valid.at<uint8_t>(200, 290), 255);
}

TEST(RenderScene, StripSizeAndThreadsDoNotChangePixels) {
  testing::TempDir dir;
  ScenePlan plan = OneTanker(40, 170, 60, 5, 10, 90);
  plan.look.noise = true;
  plan.look.water_texture = true;
  plan.clouds.enabled = true;
  plan.clouds.threshold = 0.0;
  RenderScene(plan, dir.file("a.tif"));
  plan.strip_rows = 37;
  RenderOptions ro;
  ro.threads = 2;
  RenderScene(plan, dir.file("b.tif"), ro);
  const Scene a = Scene::Open(dir.file("a.tif"));
  const Scene b = Scene::Open(dir.file("b.tif"));
  for (int band = 1; band <= 4; ++band) {
    const cv::Mat da = a.ReadBand(band, {0, 0, 400, 400});
    const cv::Mat db = b.ReadBand(band, {0, 0, 400, 400});
    EXPECT_EQ(cv::norm(da, db, cv::NORM_INF), 0.0) << "band " << band;
  }
}

}  // namespace
}  // namespace bw::datasets
