#include "geo/window.h"

#include <gtest/gtest.h>

#include <cmath>

#include "geo/error.h"
#include "tests/geo/geo_fixtures.h"
#include "tests/testing/testing.h"

namespace bw {
namespace {

using testing::TempDir;

// Round trip lon/lat -> pixel -> lon/lat -> pixel over a grid of points, worst error in px.
double WorstRoundTripPx(const Scene& s) {
  double worst = 0.0;
  for (double fx = 0.0; fx <= 1.0; fx += 0.125) {
    for (double fy = 0.0; fy <= 1.0; fy += 0.125) {
      const PixelXY p{fx * s.width(), fy * s.height()};
      const LonLat ll = s.lonlat_from_pixel(p);
      const PixelXY q = s.pixel_from_lonlat(ll);
      const LonLat ll2 = s.lonlat_from_pixel(q);
      const PixelXY r = s.pixel_from_lonlat(ll2);
      worst = std::max({worst, std::hypot(q.x - p.x, q.y - p.y), std::hypot(r.x - p.x, r.y - p.y)});
    }
  }
  return worst;
}

TEST(Window, RoundTripUtm) {
  TempDir dir;
  const Scene s = Scene::Open(testing::WriteScene(dir.file("u.tif"), testing::UtmOptions()));
  EXPECT_LT(WorstRoundTripPx(s), 0.01);
  // And a known point: the UTM origin corner at easting 500000 (135 E) is pixel x = 0.
  double x = 135.0, y = 42.68;
  const PixelXY p = s.pixel_from_lonlat({x, y});
  EXPECT_NEAR(p.x, 0.0, 1e-6);
}

TEST(Window, RoundTripGeographic) {
  TempDir dir;
  SceneOptions own_grid;  // on the raster's own lon/lat grid, not resampled to square pixels
  own_grid.max_pixel_anisotropy = 1e9;
  const Scene s =
      Scene::Open(testing::WriteScene(dir.file("g.tif"), testing::GeographicOptions()), own_grid);
  EXPECT_LT(WorstRoundTripPx(s), 0.01);
  const PixelXY p = s.pixel_from_lonlat({135.0 + 25.5e-5, 42.7 - 10.25e-5});
  EXPECT_NEAR(p.x, 25.5, 1e-6);
  EXPECT_NEAR(p.y, 10.25, 1e-6);
}

TEST(Window, RoundTripWebMercator) {
  TempDir dir;
  const Scene s =
      Scene::Open(testing::WriteScene(dir.file("m.tif"), testing::WebMercatorOptions()));
  EXPECT_LT(WorstRoundTripPx(s), 0.01);
}

// A terminal with berths placed by pixel position in `s`.
Terminal BerthsAt(const Scene& s, const std::vector<std::pair<std::string, cv::Rect2d>>& rects) {
  Terminal t;
  for (const auto& [name, r] : rects) {
    const LonLat a = s.lonlat_from_pixel({r.x, r.y + r.height});
    const LonLat b = s.lonlat_from_pixel({r.x + r.width, r.y});
    t.features.push_back(
        {FeatureKind::kBerth, name, testing::Rect(a.lon_deg, a.lat_deg, b.lon_deg, b.lat_deg)});
  }
  return t;
}

TEST(Window, FullPartialAndNoCoverage) {
  TempDir dir;
  RasterWriteOptions o = testing::UtmOptions(1.0);
  o.block_size = 64;
  const Scene s = Scene::Open(testing::WriteScene(dir.file("w.tif"), o, 300, 200, 3));
  const Terminal t = BerthsAt(
      s,
      {{"inside", {100, 80, 40, 20}}, {"half", {280, 50, 40, 20}}, {"outside", {400, 50, 40, 20}}});
  WindowOptions wo;
  wo.margin_m = 10.0;
  const auto windows = ComputeBerthWindows(s, t, wo);
  ASSERT_EQ(windows.size(), 3u);

  EXPECT_EQ(windows[0].berth, "inside");
  EXPECT_EQ(windows[0].coverage, Coverage::kFull);
  EXPECT_DOUBLE_EQ(windows[0].covered_fraction, 1.0);
  // bbox 100..140 x 80..100 plus 10 px, aligned to 64 px blocks: x 64..192, y 64..128.
  EXPECT_EQ(windows[0].window, (PixelWindow{64, 64, 128, 64}));

  EXPECT_EQ(windows[1].coverage, Coverage::kPartial);
  EXPECT_NEAR(windows[1].covered_fraction, 0.5, 0.01);
  EXPECT_EQ(windows[1].window.x0 + windows[1].window.width, 300);  // clipped
  EXPECT_EQ(windows[1].window.x0 % 64, 0);

  EXPECT_EQ(windows[2].coverage, Coverage::kNone);
  EXPECT_DOUBLE_EQ(windows[2].covered_fraction, 0.0);
  EXPECT_TRUE(windows[2].window.empty());

  // Pixel-space polygon of the first berth is where it was placed.
  ASSERT_FALSE(windows[0].polygon_px.empty());
  EXPECT_NEAR(windows[0].polygon_px[0][0].x, 100.0, 0.01);
  EXPECT_NEAR(windows[0].polygon_px[0][0].y, 100.0, 0.01);
}

TEST(Window, WithoutBlockAlignmentMarginIsInMetres) {
  TempDir dir;
  RasterWriteOptions o = testing::UtmOptions(2.0);
  const Scene s = Scene::Open(testing::WriteScene(dir.file("w.tif"), o, 300, 200, 3));
  const Terminal t = BerthsAt(s, {{"b", {100, 80, 40, 20}}});
  WindowOptions wo;
  wo.margin_m = 20.0;  // 10 px at 2 m (the ground pixel is 2/0.9996 m: still 10 px after ceil)
  wo.align_to_blocks = false;
  const auto w = ComputeBerthWindows(s, t, wo).at(0).window;
  EXPECT_NEAR(w.x0, 90, 1);
  EXPECT_NEAR(w.y0, 70, 1);
  EXPECT_NEAR(w.width, 60, 2);
  EXPECT_NEAR(w.height, 40, 2);
}

TEST(Window, GeographicSceneWindows) {
  TempDir dir;
  RasterWriteOptions o = testing::GeographicOptions();
  o.block_size = 128;
  SceneOptions own_grid;  // block alignment on the raster's own grid
  own_grid.max_pixel_anisotropy = 1e9;
  const Scene s = Scene::Open(testing::WriteScene(dir.file("g.tif"), o, 300, 200, 3), own_grid);
  const Terminal t = BerthsAt(s, {{"b", {10, 10, 50, 30}}});
  const auto w = ComputeBerthWindows(s, t).at(0);
  EXPECT_EQ(w.coverage, Coverage::kFull);
  EXPECT_EQ(w.window, (PixelWindow{0, 0, 256, 200}));
}

TEST(Window, ReadsOnlyTheWindow) {
  TempDir dir;
  const Scene s = Scene::Open(testing::WriteScene(dir.file("r.tif"), testing::UtmOptions()));
  const Terminal t = BerthsAt(s, {{"b", {10, 10, 20, 20}}});
  WindowOptions wo;
  wo.margin_m = 0.0;
  wo.align_to_blocks = false;
  const BerthWindow bw = ComputeBerthWindows(s, t, wo).at(0);
  const WindowPixels px = s.ReadWindow(bw.window);
  EXPECT_EQ(px.bands[0].cols, bw.window.width);
  EXPECT_FLOAT_EQ(px.bands[0].at<float>(0, 0), 100.0f + (bw.window.x0 + bw.window.y0) % 97);
}

TEST(Window, OptionsCheck) {
  WindowOptions wo;
  wo.margin_m = -1.0;
  EXPECT_THROW(wo.Check(), Error);
  wo.margin_m = 5.0;
  EXPECT_NO_THROW(wo.Check());
  EXPECT_STREQ(ToString(Coverage::kPartial), "partial");
}

}  // namespace
}  // namespace bw
