// DetectScene on GeoTIFFs drawn with OpenCV and written with geo's RasterWriter: geometry in
// true north, berth views, and scene-level failures.
#include "detection/detector.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <numbers>
#include <opencv2/imgproc.hpp>

#include "geo/crs.h"
#include "geo/error.h"
#include "geo/raster_writer.h"
#include "geo/scene.h"
#include "geo/terminal.h"
#include "tests/testing/testing.h"

namespace bw {
namespace {

constexpr double kDeg = std::numbers::pi / 180.0;

struct Drawn {
  std::string tif, terminal;
  cv::Point2d bow_px, stern_px;
};

// 4-band UInt16 scene in UTM 53N (zone edge: grid convergence ~2 deg), 0.5 m, a red-deck
// tanker (pointed bow) of 110 x 18 m at grid angle `angle_deg`, a pier (land) and a berth.
// `across_deg` turns the hull (not the berth) by that much; `pier` = false leaves the land out.
Drawn DrawScene(const testing::TempDir& dir, double angle_deg, bool cloud = false,
                bool nodata = false, double across_deg = 0.0, bool pier = true) {
  const int bands = 4;
  const int w = 700, h = 600;
  const double gsd = 0.5;
  std::vector<cv::Mat> img(bands);
  const float water[4] = {0.055f, 0.08f, 0.10f, 0.02f};
  const float deck[4] = {0.22f, 0.10f, 0.08f, 0.20f};
  const float pier_level[4] = {0.30f, 0.30f, 0.29f, 0.30f};
  cv::RNG rng(7);
  const cv::Point2d c(350.2, 300.7);
  const cv::Point2d a(std::cos(angle_deg * kDeg), std::sin(angle_deg * kDeg)), n(-a.y, a.x);
  const double hull_deg = angle_deg + across_deg;
  const cv::Point2d ha(std::cos(hull_deg * kDeg), std::sin(hull_deg * kDeg)), hn(-ha.y, ha.x);
  const double L = 220, B = 36;
  std::vector<cv::Point> hull;
  for (auto [u, v] : std::vector<std::pair<double, double>>{{-L / 2, -B / 2},
                                                            {L / 2 - 40, -B / 2},
                                                            {L / 2, 0},
                                                            {L / 2 - 40, B / 2},
                                                            {-L / 2, B / 2}}) {
    const cv::Point2d p = c + ha * u + hn * v;
    hull.emplace_back(static_cast<int>(std::lround((p.x - 0.5) * 16)),
                      static_cast<int>(std::lround((p.y - 0.5) * 16)));
  }
  std::vector<cv::Point> pier_poly;
  for (auto [u, v] : std::vector<std::pair<double, double>>{
           {-200, B / 2 + 4}, {200, B / 2 + 4}, {200, B / 2 + 34}, {-200, B / 2 + 34}}) {
    const cv::Point2d p = c + a * u + n * v;
    pier_poly.emplace_back(static_cast<int>(std::lround((p.x - 0.5) * 16)),
                           static_cast<int>(std::lround((p.y - 0.5) * 16)));
  }
  for (int b = 0; b < bands; ++b) {
    cv::Mat m(h, w, CV_32F, cv::Scalar(water[b]));
    if (pier) {
      cv::fillPoly(m, std::vector<std::vector<cv::Point>>{pier_poly}, cv::Scalar(pier_level[b]),
                   cv::LINE_AA, 4);
    }
    cv::fillPoly(m, std::vector<std::vector<cv::Point>>{hull}, cv::Scalar(deck[b]), cv::LINE_AA, 4);
    if (cloud) m.setTo(0.63f);
    cv::GaussianBlur(m, m, cv::Size(0, 0), 0.6);
    cv::Mat noise(h, w, CV_32F);
    rng.fill(noise, cv::RNG::NORMAL, 0, 0.002);
    m += noise;
    m.convertTo(img[b], CV_16U, 10000.0);
    if (nodata) img[b].setTo(0);
  }
  RasterWriteOptions o;
  o.geotransform = {738000.0, gsd, 0, 4740000.0, 0, -gsd};
  o.crs = "EPSG:32653";
  o.band_count = bands;
  o.cv_depth = CV_16U;
  o.nodata = 0;
  Drawn d;
  d.tif = dir.file("scene.tif");
  WriteGeoTiff(d.tif, img, o);
  const Scene scene = Scene::Open(d.tif);
  auto ll = [&](cv::Point2d p) { return scene.lonlat_from_pixel({p.x, p.y}); };
  Terminal t;
  TerminalFeature berth;
  berth.kind = FeatureKind::kBerth;
  berth.name = "B1";
  LonLatRing ring;
  for (auto [u, v] : std::vector<std::pair<double, double>>{{-140, -B / 2 - 10},
                                                            {140, -B / 2 - 10},
                                                            {140, B / 2 + 4},
                                                            {-140, B / 2 + 4},
                                                            {-140, -B / 2 - 10}})
    ring.push_back(ll(c + a * u + n * v));
  berth.polygon.rings.push_back(ring);
  t.features.push_back(berth);
  TerminalFeature land;
  land.kind = FeatureKind::kLand;
  LonLatRing lr;
  for (auto [u, v] : std::vector<std::pair<double, double>>{{-200, B / 2 + 4},
                                                            {200, B / 2 + 4},
                                                            {200, B / 2 + 34},
                                                            {-200, B / 2 + 34},
                                                            {-200, B / 2 + 4}})
    lr.push_back(ll(c + a * u + n * v));
  land.polygon.rings.push_back(lr);
  if (pier) t.features.push_back(land);
  d.terminal = dir.file("terminal.geojson");
  WriteTerminal(d.terminal, t);
  d.bow_px = c + ha * (L / 2);
  d.stern_px = c - ha * (L / 2);
  return d;
}

TEST(DetectScene, FindsTheTankerWithTrueNorthHeading) {
  for (double angle : {-60.0, 25.0}) {
    testing::TempDir dir("bwdet");
    const Drawn d = DrawScene(dir, angle);
    const Terminal t = LoadTerminal(d.terminal);
    DetectOptions opt;
    const SceneDetections r = DetectScene(d.tif, &t, nullptr, opt);
    ASSERT_EQ(r.detections.size(), 1u) << angle;
    const Detection& det = r.detections[0];
    const Scene scene = Scene::Open(d.tif);
    const LonLat bow = scene.lonlat_from_pixel({d.bow_px.x, d.bow_px.y});
    const LonLat stern = scene.lonlat_from_pixel({d.stern_px.x, d.stern_px.y});
    const double expect_heading = GeodesicAzimuthDeg(stern, bow);
    const double expect_len = GeodesicDistanceM(stern, bow);
    EXPECT_EQ(det.berth, "B1");
    EXPECT_NEAR(det.length_m, expect_len, 0.02 * expect_len);
    EXPECT_NEAR(det.beam_m, 18.0 * expect_len / 110.0, 0.6);
    EXPECT_TRUE(det.bow_resolved);
    double dh = std::fmod(std::fabs(det.heading_deg - std::fmod(expect_heading + 360, 360)), 360);
    dh = std::min(dh, 360 - dh);
    EXPECT_LT(dh, 0.5) << "heading " << det.heading_deg << " expected " << expect_heading;
    EXPECT_EQ(det.vessel_class, "tanker");
    EXPECT_EQ(det.hull_lonlat.size(), 6u);  // pointed outline, closed
    ASSERT_EQ(r.berths.size(), 1u);
    EXPECT_TRUE(r.berths[0].occupied);
    EXPECT_TRUE(r.berths[0].clear);
    EXPECT_NEAR(r.berths[0].valid_fraction, 1.0, 1e-6);
    // No sun angles in this file: the load state must not be guessed.
    EXPECT_EQ(det.load_state, LoadState::kUnknown);
  }
}

// The terminal file 4.5 m off the image (georeferencing error) towards the hull: its pier
// polygon would cover the hull's side and its true edge would stand outside it. The polygons
// are moved onto the pier's outline first, so the hull is measured whole; with the shift
// switched off the pier mask cuts into it.
TEST(DetectScene, TerminalPolygonsOffByAFewMetresAreMovedOntoThePier) {
  testing::TempDir dir("bwdet");
  const double angle = 10.0;
  const Drawn d = DrawScene(dir, angle);
  Terminal t = LoadTerminal(d.terminal);
  const Scene scene = Scene::Open(d.tif);
  const cv::Point2d n(-std::sin(angle * kDeg), std::cos(angle * kDeg));  // towards the pier
  for (auto& f : t.features) {
    for (auto& r : f.polygon.rings) {
      for (auto& p : r) {
        const PixelXY q = scene.pixel_from_lonlat(p);
        p = scene.lonlat_from_pixel({q.x - 9.0 * n.x, q.y - 9.0 * n.y});  // 4.5 m at 0.5 m
      }
    }
  }
  const LonLat bow = scene.lonlat_from_pixel({d.bow_px.x, d.bow_px.y});
  const LonLat stern = scene.lonlat_from_pixel({d.stern_px.x, d.stern_px.y});
  const double expect_len = GeodesicDistanceM(stern, bow);
  const double expect_beam = 18.0 * expect_len / 110.0;
  DetectOptions opt;
  const SceneDetections r = DetectScene(d.tif, &t, nullptr, opt);
  ASSERT_EQ(r.detections.size(), 1u);
  EXPECT_EQ(r.detections[0].berth, "B1");
  EXPECT_NEAR(r.detections[0].beam_m, expect_beam, 0.6);
  EXPECT_NEAR(r.detections[0].length_m, expect_len, 0.02 * expect_len);
  opt.max_registration_shift_m = 0;
  const SceneDetections off = DetectScene(d.tif, &t, nullptr, opt);
  const bool cut = off.detections.empty() || off.detections[0].beam_m < expect_beam - 1.0;
  EXPECT_TRUE(cut) << "without the shift the pier mask should cut into the hull: "
                   << (off.detections.empty() ? 0.0 : off.detections[0].beam_m) << " m";
}

// A hull lying across an elongated berth is not moored there (a glint streak, a wake, a
// vessel passing): berth mode does not report it; one lying along it is reported.
TEST(DetectScene, AHullAcrossTheBerthIsNotReportedThere) {
  for (const double across : {0.0, 15.0, 45.0, 80.0}) {
    testing::TempDir dir("bwdet");
    const Drawn d = DrawScene(dir, 20.0, false, false, across, false);
    const Terminal t = LoadTerminal(d.terminal);
    DetectOptions opt;
    const SceneDetections r = DetectScene(d.tif, &t, nullptr, opt);
    EXPECT_EQ(r.detections.size(), across <= 30.0 ? 1u : 0u) << across;
    // The rule is what drops it: with any angle allowed the hull is found at the berth.
    opt.max_berth_axis_offset_deg = 90.0;
    const SceneDetections all = DetectScene(d.tif, &t, nullptr, opt);
    ASSERT_EQ(all.detections.size(), 1u) << across;
    EXPECT_EQ(all.detections[0].berth, "B1");
    EXPECT_EQ(all.detections[0].vessel_class, "tanker");
  }
}

TEST(DetectScene, WideModeFindsItWithoutATerminal) {
  testing::TempDir dir("bwdet");
  const Drawn d = DrawScene(dir, 10);
  DetectOptions opt;
  opt.wide = true;
  const SceneDetections r = DetectScene(d.tif, nullptr, nullptr, opt);
  int tankers = 0;
  for (const auto& det : r.detections) tankers += det.vessel_class == "tanker";
  EXPECT_EQ(tankers, 1);
}

TEST(DetectScene, AllNodataIsNoDataError) {
  testing::TempDir dir("bwdet");
  const Drawn d = DrawScene(dir, 10, false, true);
  const Terminal t = LoadTerminal(d.terminal);
  EXPECT_THROW(DetectScene(d.tif, &t, nullptr, {}), NoDataError);
}

TEST(DetectScene, FullyCloudedIsNoDataError) {
  testing::TempDir dir("bwdet");
  const Drawn d = DrawScene(dir, 10, true);
  const Terminal t = LoadTerminal(d.terminal);
  try {
    DetectScene(d.tif, &t, nullptr, {});
    FAIL() << "expected NoDataError";
  } catch (const NoDataError& e) {
    EXPECT_NE(std::string(e.what()).find("scene.tif"), std::string::npos);
  }
}

TEST(DetectScene, SceneMissingTheBerthsIsNoDataError) {
  testing::TempDir dir("bwdet");
  const Drawn d = DrawScene(dir, 10);
  Terminal t = LoadTerminal(d.terminal);
  for (auto& f : t.features)
    for (auto& r : f.polygon.rings)
      for (auto& p : r) p.lon_deg += 0.2;  // ~16 km east
  EXPECT_THROW(DetectScene(d.tif, &t, nullptr, {}), NoDataError);
}

// At Sentinel-2's 10 m a tanker's beam spans a pixel or two: berth mode cannot tell a moored
// hull from its pier, so it refuses the scene (a view without a detection would read as an
// empty berth) and names the GSD; wide mode still searches the open water.
TEST(DetectScene, BerthModeRefusesImageryTooCoarseForAHullAtTheBerth) {
  testing::TempDir dir("bwdet");
  const Drawn d = DrawScene(dir, 10);
  const Terminal t = LoadTerminal(d.terminal);
  EXPECT_EQ(DetectScene(d.tif, &t, nullptr, {}).detections.size(), 1u);
  for (const char* res : {"3", "10"}) {
    const std::string coarse = dir.file(std::string("coarse") + res + ".tif");
    ASSERT_EQ(testing::RunProgram(
                  {"gdal_translate", "-q", "-r", "average", "-tr", res, res, d.tif, coarse})
                  .exit_code,
              0);
    if (std::string(res) == "3") {
      EXPECT_NO_THROW(DetectScene(coarse, &t, nullptr, {})) << res << " m";
      continue;
    }
    try {
      DetectScene(coarse, &t, nullptr, {});
      FAIL() << "expected NoDataError at " << res << " m";
    } catch (const NoDataError& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("coarse10.tif"), std::string::npos) << what;
      EXPECT_NE(what.find("10.0 m GSD is too coarse"), std::string::npos) << what;
    }
    DetectOptions wide;
    wide.wide = true;
    EXPECT_NO_THROW(DetectScene(coarse, &t, nullptr, wide));
  }
}

TEST(DetectScene, SingleBandIsInputError) {
  testing::TempDir dir("bwdet");
  const Drawn d = DrawScene(dir, 10);
  const std::string one = dir.file("one.tif");
  ASSERT_EQ(testing::RunProgram({"gdal_translate", "-q", "-b", "1", d.tif, one}).exit_code, 0);
  DetectOptions opt;
  opt.wide = true;
  EXPECT_THROW(DetectScene(one, nullptr, nullptr, opt), InputError);
}

TEST(DetectOptions, CheckRejectsBadValues) {
  DetectOptions o;
  o.threads = -1;
  EXPECT_THROW(o.Check(), InputError);
  o = DetectOptions();
  o.max_cloud_fraction_for_clear = 2;
  EXPECT_THROW(o.Check(), InputError);
  o = DetectOptions();
  o.max_berth_axis_offset_deg = 0;
  EXPECT_THROW(o.Check(), InputError);
}

}  // namespace
}  // namespace bw
