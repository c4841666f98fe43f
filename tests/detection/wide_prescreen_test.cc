// Wide mode's prescreen (detection/prescreen.h) and the wide search on a drawn scene: hulls
// are marked and open water, cloud and land interiors are not; results do not depend on the
// worker count or the piece size.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <opencv2/imgproc.hpp>

#include "detection/detector.h"
#include "detection/prescreen.h"
#include "detection/wide.h"
#include "geo/raster_writer.h"
#include "geo/scene.h"
#include "tests/testing/testing.h"

namespace bw {
namespace {

constexpr float kWater[4] = {0.055f, 0.08f, 0.10f, 0.02f};
constexpr float kDeck[4] = {0.22f, 0.10f, 0.08f, 0.20f};

// A reflectance band with Gaussian noise of `sigma`, as digital numbers (x 10000).
cv::Mat NoisyDigitalNumbers(const cv::Mat& reflectance, cv::RNG& rng, float sigma) {
  cv::Mat noise(reflectance.size(), CV_32F);
  rng.fill(noise, cv::RNG::NORMAL, 0, sigma);
  return (reflectance + noise) * 10000.0f;
}

// Reflectance bands (x 10000 as digital numbers) of open water with noise, `hulls` drawn
// as rotated rectangles (centre, length, beam in px, angle), and an optional grey cloud
// disc and land rectangle.
WindowPixels Drawn(int w, int h, const std::vector<cv::RotatedRect>& hulls, bool cloud, bool land,
                   unsigned seed = 3) {
  WindowPixels px;
  px.window = {0, 0, w, h};
  cv::RNG rng(seed);
  for (int b = 0; b < 4; ++b) {
    cv::Mat m(h, w, CV_32F, cv::Scalar(kWater[b]));
    for (const auto& r : hulls) {
      cv::Point2f p[4];
      r.points(p);
      std::vector<cv::Point> poly(p, p + 4);
      cv::fillConvexPoly(m, poly, cv::Scalar(kDeck[b]), cv::LINE_AA);
    }
    if (cloud) cv::circle(m, {w / 4, h / 4}, w / 6, cv::Scalar(0.6f), cv::FILLED, cv::LINE_AA);
    if (land) m(cv::Rect(0, h - h / 5, w, h / 5)).setTo(b == 3 ? 0.35f : 0.12f);
    px.bands[b] = NoisyDigitalNumbers(m, rng, 0.003f);
  }
  px.valid = cv::Mat(h, w, CV_8U, cv::Scalar(255));
  return px;
}

PrescreenParams Params() {
  PrescreenParams p;
  for (int b = 0; b < 4; ++b) {
    p.scale.gain[b] = 1e-4f;
    p.band_sigma[b] = 0.003f;
    p.water_colour[b] = kWater[b];
  }
  p.brightness_sigma = 0.003f;
  p.ndwi_threshold = 0.3f;
  p.k_sigma = 6.5f;
  p.background_radius_px = 72;
  return p;
}

int MarkedIn(const cv::Mat& hot, cv::Rect px_rect, int min_hot) {
  const cv::Rect cells(px_rect.x / kPrescreenCell, px_rect.y / kPrescreenCell,
                       px_rect.width / kPrescreenCell, px_rect.height / kPrescreenCell);
  cv::Mat m;
  cv::compare(hot(cells & cv::Rect(0, 0, hot.cols, hot.rows)), min_hot, m, cv::CMP_GE);
  return cv::countNonZero(m);
}

TEST(WidePrescreen, MarksTheHullAndNotTheWater) {
  const cv::RotatedRect hull({300.f, 260.f}, {120.f, 18.f}, 30.f);
  const WindowPixels px = Drawn(512, 512, {hull}, false, false);
  cv::Mat hot, cloudy;
  long long valid = 0, cloud = 0;
  PrescreenWindow(px, Params(), hot, cloudy, valid, cloud);
  EXPECT_EQ(valid, 512LL * 512);
  EXPECT_EQ(hot.size(), cv::Size(64, 64));
  const cv::Rect box = hull.boundingRect();
  EXPECT_GT(MarkedIn(hot, box, 8), 10);
  // Open water (6.5 sigma, 8 hot pixels a cell): nothing outside the hull's box.
  cv::Mat marked;
  cv::compare(hot, 8, marked, cv::CMP_GE);
  const cv::Rect grown(box.x / 8 - 1, box.y / 8 - 1, box.width / 8 + 3, box.height / 8 + 3);
  marked(grown & cv::Rect(0, 0, 64, 64)).setTo(0);
  EXPECT_EQ(cv::countNonZero(marked), 0);
}

// Three bands (no NIR) of rough water: whitecap-like texture that moves every band towards
// white (0.012 per band, spatially smooth over ~2 px) over fine noise (0.002), and a teal
// deck as bright as the water whose bands each depart from it by at most 3.5 of the rough
// water's per-band sigmas. Per band and in brightness it is water; in colour it is not.
// The bottom 150 rows are green land as bright as the water.
WindowPixels RoughWaterWithATealDeck(const cv::RotatedRect& hull, unsigned seed) {
  constexpr float kRough[3] = {0.055f, 0.08f, 0.10f};
  constexpr float kTeal[3] = {0.040f, 0.115f, 0.080f};   // brightness 0.235 like the water
  constexpr float kWhite[3] = {0.8f, 0.9f, 1.0f};        // whitecaps brighten towards white
  constexpr float kGreen[3] = {0.060f, 0.115f, 0.060f};  // vegetation, brightness 0.235
  const int w = 768, h = 918;
  cv::RNG rng(seed);
  cv::Mat caps(h, w, CV_32F);
  rng.fill(caps, cv::RNG::NORMAL, 0, 1);
  cv::GaussianBlur(caps, caps, cv::Size(0, 0), 1.0);
  caps *= 1.0 / 0.28;  // unit variance again after the blur (sigma 1 px keeps ~0.28)
  WindowPixels px;
  px.window = {0, 0, w, h};
  cv::Point2f p[4];
  hull.points(p);
  const std::vector<cv::Point> poly(p, p + 4);
  cv::Mat deck = cv::Mat::zeros(h, w, CV_8U);
  cv::fillConvexPoly(deck, poly, cv::Scalar(255));
  for (int b = 0; b < 3; ++b) {
    cv::Mat m = kRough[b] + 0.012f * kWhite[b] * caps;
    m.setTo(kTeal[b], deck);
    m(cv::Rect(0, h - 150, w, 150)).setTo(kGreen[b]);
    px.bands[b] = NoisyDigitalNumbers(m, rng, 0.002f);
  }
  px.valid = cv::Mat(h, w, CV_8U, cv::Scalar(255));
  return px;
}

TEST(WidePrescreen, WithoutNirADeckAsBrightAsRoughWaterIsMarkedByItsColour) {
  for (unsigned seed : {5u, 6u, 7u}) {
    const cv::RotatedRect hull({400.f, 380.f}, {200.f, 30.f}, 70.f);
    const WindowPixels px = RoughWaterWithATealDeck(hull, seed);
    ASSERT_FALSE(px.has_nir());
    RadiometricScale scale;
    for (int b = 0; b < 4; ++b) scale.gain[b] = 1e-4f;
    ImagingOptions io;
    io.gsd_m = 0.8;
    io.threads = 1;
    io.find_structures = false;
    const ImagingResult sample = ProcessWindow(px, scale, cv::Mat(), io);
    PrescreenParams p = PrescreenParamsFromSample(sample, scale, io.gsd_m);
    p.k_sigma = 6.5f;
    ASSERT_TRUE(p.colour) << "seed " << seed;
    cv::Mat hot, cloudy;
    long long valid = 0, cloud = 0;
    PrescreenWindow(px, p, hot, cloudy, valid, cloud);
    const cv::Rect box = hull.boundingRect();
    const int on_deck = MarkedIn(hot, box, 8);
    cv::Mat marked;
    cv::compare(hot, 8, marked, cv::CMP_GE);
    const cv::Rect grown(box.x / 8 - 1, box.y / 8 - 1, box.width / 8 + 3, box.height / 8 + 3);
    marked(grown & cv::Rect(0, 0, hot.cols, hot.rows)).setTo(0);
    const int on_water = cv::countNonZero(marked(cv::Rect(0, 0, hot.cols, (768 - 16) / 8)));
    // Without the colour term (per band and brightness only) the deck is water.
    PrescreenParams grey = p;
    grey.colour = false;
    cv::Mat hot_grey;
    PrescreenWindow(px, grey, hot_grey, cloudy, valid, cloud);
    const int on_deck_grey = MarkedIn(hot_grey, box, 8);
    std::printf("seed %u: marked cells on the deck %d (without colour %d), on the water %d\n", seed,
                on_deck, on_deck_grey, on_water);
    // The deck covers ~90 cells (200 x 30 px); most of them are marked, no water cell is.
    EXPECT_GT(on_deck, 40) << "seed " << seed;
    EXPECT_LT(on_deck_grey, 5) << "seed " << seed;
    // The land's edge is marked (as a coast is with NIR) but not its interior: land is not
    // the water's colour, so it is no background, and far from the water none is left.
    const int coast = MarkedIn(hot, cv::Rect(0, 768 - 16, 768, 48), 8);
    const int inland = MarkedIn(hot, cv::Rect(0, 768 + 112, 768, 38), 1);
    std::printf("seed %u: marked cells along the coast %d, 112 px or more inland %d\n", seed, coast,
                inland);
    EXPECT_GT(coast, 30) << "seed " << seed;
    EXPECT_EQ(inland, 0) << "seed " << seed;
    marked(cv::Rect(0, (768 - 16) / 8, hot.cols, hot.rows - (768 - 16) / 8)).setTo(0);
    EXPECT_EQ(cv::countNonZero(marked), 0) << "seed " << seed;
  }
}

TEST(WidePrescreen, CloudIsNotARegionButAHullBesideItIs) {
  const cv::RotatedRect hull({620.f, 600.f}, {120.f, 18.f}, -20.f);
  const WindowPixels px = Drawn(1024, 1024, {hull}, true, false);
  cv::Mat hot, cloudy;
  long long valid = 0, cloud = 0;
  PrescreenWindow(px, Params(), hot, cloudy, valid, cloud);
  EXPECT_GT(cloud, 3.14 * 170 * 170 * 0.8);
  RegionPlanOptions o;
  o.min_hot_per_cell = 8;
  o.min_hot_total = 40;
  o.cloud_core_radius = 4;
  const auto regions = PlanRegions(hot, cloudy, 1024, 1024, o);
  ASSERT_EQ(regions.size(), 1u);
  EXPECT_TRUE(regions[0].own.contains(cv::Point(620, 600)));
  EXPECT_FALSE(regions[0].own.contains(cv::Point(256, 256)));  // the cloud's centre
}

TEST(WidePrescreen, LargeRegionsAreCutIntoPieces) {
  cv::Mat hot = cv::Mat::zeros(256, 256, CV_8U);
  hot(cv::Rect(10, 100, 230, 3)).setTo(40);  // a 1840 px long streak (a coast edge)
  hot(cv::Rect(50, 20, 10, 2)).setTo(40);    // a hull
  RegionPlanOptions o;
  o.piece_px = 512;
  o.max_region_px = 840;
  const auto regions = PlanRegions(hot, cv::Mat(), 2048, 2048, o);
  ASSERT_EQ(regions.size(), 5u);  // the hull, then the streak in 4 pieces
  EXPECT_TRUE(regions[0].own.contains(cv::Point(440, 170)));
  for (size_t i = 1; i < regions.size(); ++i) {
    EXPECT_LE(regions[i].own.width, 512);
    EXPECT_EQ(regions[i].window.x, std::max(0, regions[i].own.x - o.halo_px));
  }
}

TEST(WidePrescreen, APieceOwnsTheBoxOfItsMarkedCellsNotTheWholePiece) {
  // An L of coast edge in a 2048 px scene: a horizontal arm along rows 560-583 from x 80 to
  // 1919 and a vertical arm along x 80-103 from row 560 to 1919. The component's box is
  // nearly the whole scene; the pieces of the horizontal arm hold marked cells only in those
  // 24 rows.
  cv::Mat hot = cv::Mat::zeros(256, 256, CV_8U);
  hot(cv::Rect(10, 70, 230, 3)).setTo(40);
  hot(cv::Rect(10, 70, 3, 170)).setTo(40);
  RegionPlanOptions o;
  o.piece_px = 512;
  o.max_region_px = 840;
  o.own_margin_px = 0;
  const auto regions = PlanRegions(hot, cv::Mat(), 2048, 2048, o);
  // The horizontal arm's piece right of the corner: its rows of the arm, not rows 552-1023
  // (the piece within the component's box).
  int found = 0;
  for (const auto& r : regions) {
    if (!r.own.contains(cv::Point(1200, 570))) continue;
    ++found;
    EXPECT_EQ(r.own, cv::Rect(1024, 560, 512, 24));
    EXPECT_EQ(r.window,
              cv::Rect(1024 - o.halo_px, 560 - o.halo_px, 512 + 2 * o.halo_px, 24 + 2 * o.halo_px));
  }
  EXPECT_EQ(found, 1);
  // Every marked pixel is still owned exactly once, along both arms and across piece seams.
  auto owners = [&](cv::Point p) {
    int n = 0;
    for (const auto& r : regions) n += r.own.contains(p);
    return n;
  };
  for (int t = 80; t < 1920; t += 7) {
    EXPECT_EQ(owners({t, 570}), 1) << "x " << t;
    EXPECT_EQ(owners({90, t < 560 ? 560 : t}), 1) << "y " << t;
  }
}

// Four UInt16 bands as a georeferenced GeoTIFF at 0.5 m (nodata 0).
std::string WriteBands(const std::string& tif, const std::vector<cv::Mat>& img) {
  RasterWriteOptions o;
  o.geotransform = {738000.0, 0.5, 0, 4740000.0, 0, -0.5};
  o.crs = "EPSG:32653";
  o.band_count = 4;
  o.cv_depth = CV_16U;
  o.nodata = 0;
  WriteGeoTiff(tif, img, o);
  return tif;
}

// The drawn scene as a 4-band UInt16 GeoTIFF (tiled 256) with three hulls, one on a piece
// seam of a 512 piece grid.
std::string WriteScene(const testing::TempDir& dir) {
  const WindowPixels px = Drawn(1400, 1100,
                                {cv::RotatedRect({1150.f, 250.f}, {180.f, 28.f}, 25.f),
                                 cv::RotatedRect({1024.f, 512.f}, {200.f, 30.f}, -60.f),
                                 cv::RotatedRect({700.f, 800.f}, {140.f, 22.f}, 80.f)},
                                true, true);
  std::vector<cv::Mat> img(4);
  for (int b = 0; b < 4; ++b) px.bands[b].convertTo(img[b], CV_16U);
  return WriteBands(dir.file("wide.tif"), img);
}

// DetectWideScene on a scene file without terminal or fleet.
SceneDetections RunWide(const std::string& tif, int workers, const WideOptions& wide) {
  DetectOptions opt;
  opt.wide = true;
  opt.threads = workers;
  const Scene scene = Scene::Open(tif);
  SceneDetections header;
  header.path = tif;
  header.scene_id = scene.id();
  header.gsd_m = scene.gsd_m();
  return DetectWideScene(scene, nullptr, nullptr, opt, {}, header, wide);
}

TEST(WideDetect, SameDetectionsForAnyWorkerCountAndPieceSize) {
  testing::TempDir dir("bwwide");
  const std::string tif = WriteScene(dir);
  auto run = [&](int workers, int core_px) {
    WideOptions w;
    w.workers = workers;
    w.core_px = core_px;
    return RunWide(tif, workers, w);
  };
  const SceneDetections one = run(1, 1024);
  const SceneDetections two = run(2, 1024);
  const SceneDetections small = run(2, 512);
  EXPECT_EQ(one.detections.size(), 3u);
  ASSERT_EQ(one.detections.size(), two.detections.size());
  for (size_t i = 0; i < one.detections.size(); ++i) {
    EXPECT_EQ(one.detections[i].center.lon_deg, two.detections[i].center.lon_deg);
    EXPECT_EQ(one.detections[i].center.lat_deg, two.detections[i].center.lat_deg);
    EXPECT_EQ(one.detections[i].length_m, two.detections[i].length_m);
  }
  ASSERT_EQ(one.detections.size(), small.detections.size());
  for (size_t i = 0; i < one.detections.size(); ++i) {
    EXPECT_NEAR(one.detections[i].length_m, small.detections[i].length_m, 0.5);
    EXPECT_NEAR(one.detections[i].center.lon_deg, small.detections[i].center.lon_deg, 1e-5);
    EXPECT_NEAR(one.detections[i].center.lat_deg, small.detections[i].center.lat_deg, 1e-5);
  }
}

// Wide detections of a scene (one worker), as their centres' scene pixel columns, sorted.
std::vector<double> DetectionColumns(const std::string& tif, const WideOptions& wo) {
  const Scene scene = Scene::Open(tif);
  const SceneDetections out = RunWide(tif, 1, wo);
  std::vector<double> xs;
  for (const Detection& d : out.detections) xs.push_back(scene.pixel_from_lonlat(d.center).x);
  std::sort(xs.begin(), xs.end());
  return xs;
}

// A 900 x 700 px scene of water with a hull centred at column 250 and, around column 650,
// water mixed with white (0.6 in every band) at the given opacity map, written as UInt16.
std::string HullAndWhitePatch(const testing::TempDir& dir, const std::string& name, unsigned seed,
                              const cv::Mat& opacity) {
  const WindowPixels px =
      Drawn(opacity.cols, opacity.rows, {cv::RotatedRect({250.f, 350.f}, {170.f, 30.f}, 20.f)},
            false, false, seed);
  std::vector<cv::Mat> img(4);
  for (int b = 0; b < 4; ++b) {
    cv::Mat v = px.bands[b].mul(1.0f - opacity) + opacity * (0.6f * 10000.0f);
    v.convertTo(img[b], CV_16U);
  }
  return WriteBands(dir.file(name), img);
}

// Only the hull is reported; with the test under scrutiny switched off (`off`), the patch is
// too: the test sees what it is meant to.
void ExpectOnlyTheHull(const std::string& tif, const std::function<void(WideOptions&)>& off) {
  const std::vector<double> with = DetectionColumns(tif, WideOptions{});
  ASSERT_EQ(with.size(), 1u);
  EXPECT_NEAR(with[0], 250.0, 10.0);
  WideOptions wo;
  off(wo);
  const std::vector<double> without = DetectionColumns(tif, wo);
  ASSERT_EQ(without.size(), 2u) << "the patch should pass every other test";
  EXPECT_NEAR(without[1], 650.0, 30.0);
}

// A faint, soft-edged, hull-shaped cloud puff on open water (an ellipse of grey cloud
// blurred over ~3 m) beside a hull of about the same size: the hull is reported, the puff is
// not. Opacity up to 0.12: about 20 noise sigmas on average, like the wide scenario's puffs.
TEST(WideDetect, ASoftEdgedCloudPuffIsNoHull) {
  testing::TempDir dir("bwpuff");
  cv::Mat puff = cv::Mat::zeros(700, 900, CV_32F);
  cv::ellipse(puff, cv::RotatedRect({650.f, 350.f}, {250.f, 18.f}, -35.f), cv::Scalar(1.0f),
              cv::FILLED, cv::LINE_AA);
  cv::GaussianBlur(puff, puff, cv::Size(), 6.0);
  ExpectOnlyTheHull(HullAndWhitePatch(dir, "puff.tif", 11, puff * 0.12f),
                    [](WideOptions& w) { w.soft_outline_step_sigma = 0; });
}

// Foam astern of a vessel under way, cut into a sharp-edged hull-sized strip: faint (a few
// noise sigmas, with bright flecks) and colourless (water mixed with white, as thin cloud
// is), beside a hull. The hull is reported, the foam is not.
TEST(WideDetect, FaintColourlessFoamIsNoHull) {
  testing::TempDir dir("bwfoam");
  cv::Mat foam = cv::Mat::zeros(700, 900, CV_32F);
  cv::ellipse(foam, cv::RotatedRect({650.f, 350.f}, {170.f, 22.f}, -35.f), cv::Scalar(1.0f),
              cv::FILLED, cv::LINE_AA);
  // Opacity 0.018 with one pixel in ten a bright fleck of 0.07 (foam is no uniform paint).
  cv::Mat flecks(foam.size(), CV_32F);
  cv::RNG rng(5);
  rng.fill(flecks, cv::RNG::UNIFORM, 0.0f, 1.0f);
  cv::threshold(flecks, flecks, 0.9, 0.07 - 0.018, cv::THRESH_BINARY);
  ExpectOnlyTheHull(HullAndWhitePatch(dir, "foam.tif", 12, foam.mul(flecks + 0.018f)),
                    [](WideOptions& w) { w.min_mean_contrast_sigma = 0; });
}

TEST(WideOptions, CheckRejectsBadPrescreenValues) {
  WideOptions w;
  w.prescreen_sigma = 0;
  EXPECT_ANY_THROW(w.Check());
  w = {};
  w.prescreen_min_hot = 0;
  EXPECT_ANY_THROW(w.Check());
  w = {};
  w.max_slenderness = 1;
  EXPECT_ANY_THROW(w.Check());
  w = {};
  w.soft_outline_ratio = 2;
  EXPECT_ANY_THROW(w.Check());
}

}  // namespace
}  // namespace bw
