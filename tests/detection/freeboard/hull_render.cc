#include "tests/detection/freeboard/hull_render.h"

#include <cmath>
#include <opencv2/imgproc.hpp>
#include <random>
#include <vector>

namespace bw::testing {
namespace {

constexpr double kDeg = M_PI / 180.0;

cv::Scalar Color(const std::array<double, 4>& c) { return cv::Scalar(c[0], c[1], c[2], c[3]); }

}  // namespace

cv::Point2d PixelDirection(double azimuth_deg) {
  return {std::sin(azimuth_deg * kDeg), -std::cos(azimuth_deg * kDeg)};
}

RenderedHull RenderHull(const HullRenderSpec& s) {
  const int ss = s.supersample;
  const cv::Point2d centre_px(0.5 * s.width_px, 0.5 * s.height_px);
  const cv::Point2d a = PixelDirection(s.heading_deg);
  const cv::Point2d n(-a.y, a.x);
  const cv::Point2d sun = PixelDirection(s.sun_azimuth_deg);
  const cv::Point2d relief = PixelDirection(s.view_azimuth_deg + 180.0);
  const double e = s.sun_elevation_deg * kDeg, v = s.off_nadir_deg * kDeg;

  // Waterline rectangle corners (metres, pixel frame), counter-clockwise order.
  const double hl = 0.5 * s.length_m, hb = 0.5 * s.beam_m;
  std::vector<cv::Point2d> wl = {a * hl + n * hb, a * hl - n * hb, -a * hl - n * hb,
                                 -a * hl + n * hb};
  const cv::Point2d deck_shift = relief * (s.freeboard_m * std::tan(v));
  const cv::Point2d shadow_shift = -sun * (s.freeboard_m / std::tan(e));
  const cv::Point2d af_shift = relief * (s.antifouling_m * std::tan(v));

  cv::Mat img(s.height_px * ss, s.width_px * ss, CV_32FC4, Color(s.water));
  // Fills a convex polygon in ground metres (pixel-frame metres: x right, y down, from the
  // image centre) into `target`, a raster of `sub` x `sub` cells per output pixel (the fine
  // image, or a mask at output resolution).
  auto fill_into = [&](cv::Mat& target, const std::vector<cv::Point2d>& poly_m,
                       const cv::Scalar& value, int sub) {
    constexpr int kShift = 4;
    std::vector<cv::Point> pts;
    for (const auto& p : poly_m) {
      // Polygon vertices at pixel corners: fillPoly treats integer coordinates as pixel
      // centres, so shift by half a cell.
      const cv::Point2d f = (centre_px + p * (1.0 / s.gsd_m)) * sub - cv::Point2d(0.5, 0.5);
      pts.emplace_back(static_cast<int>(std::lround(f.x * (1 << kShift))),
                       static_cast<int>(std::lround(f.y * (1 << kShift))));
    }
    std::vector<cv::Point> hull;
    cv::convexHull(pts, hull);
    cv::fillConvexPoly(target, hull, value, cv::LINE_8, kShift);
  };
  auto fill = [&](const std::vector<cv::Point2d>& poly_m, const std::array<double, 4>& c) {
    fill_into(img, poly_m, Color(c), ss);
  };
  // Shadow of the hull prism on the water.
  {
    std::vector<cv::Point2d> pts = wl;
    for (const auto& p : wl) pts.push_back(p + shadow_shift);
    fill(pts, s.shadow);
  }
  // Raised structures on the deck (footprint, height above the deck): their shadows on the
  // water, the footprint swept from the deck's height to the roof's.
  std::vector<std::pair<std::vector<cv::Point2d>, double>> boxes;
  if (s.superstructure_length_m > 0 && s.superstructure_height_m > 0) {
    const double hw = std::max(0.5, hb * s.superstructure_beam_share);
    boxes.push_back(
        {{-a * hl + n * hw, -a * hl - n * hw, -a * (hl - s.superstructure_length_m) - n * hw,
          -a * (hl - s.superstructure_length_m) + n * hw},
         s.superstructure_height_m});
  }
  if (s.crossbar_length_m > 0 && s.crossbar_height_m > 0) {
    const double x0 = s.crossbar_x_m - 0.5 * s.crossbar_length_m;
    const double x1 = s.crossbar_x_m + 0.5 * s.crossbar_length_m;
    boxes.push_back({{a * x0 + n * hb, a * x0 - n * hb, a * x1 - n * hb, a * x1 + n * hb},
                     s.crossbar_height_m});
  }
  for (const auto& [fp, height] : boxes) {
    std::vector<cv::Point2d> pts;
    for (const auto& p : fp) {
      pts.push_back(p + shadow_shift);
      pts.push_back(p - sun * ((s.freeboard_m + height) / std::tan(e)));
    }
    fill(pts, s.shadow);
  }
  // The pier on the anti-sun side: deck over the water, the hull's shadow on its deck where
  // the deck edge stands higher than the pier.
  cv::Mat pier_mask;
  if (std::isfinite(s.pier_gap_m)) {
    const cv::Point2d ns = n.dot(sun) > 0 ? -n : n;
    const double g0 = hb + s.pier_gap_m, g1 = g0 + s.pier_width_m, ext = hl + 40.0;
    // Seen off-nadir the deck is displaced by its height's relief; where that moves it away
    // from the hull, the pier's face towards the hull shows (lit: it faces the sun), its
    // lower part in the hull's shadow where the shadow reaches it.
    const cv::Point2d pier_shift = relief * (s.pier_height_m * std::tan(v));
    const std::vector<cv::Point2d> base = {ns * g0 + a * ext, ns * g1 + a * ext, ns * g1 - a * ext,
                                           ns * g0 - a * ext};
    std::vector<cv::Point2d> pier;
    for (const auto& p : base) pier.push_back(p + pier_shift);
    if (ns.dot(relief) > 0 && v > 0) {
      const cv::Point2d q0 = ns * g0 + a * ext, q1 = ns * g0 - a * ext;
      fill({q0, q1, q1 + pier_shift, q0 + pier_shift}, s.pier_face);
      // Height up to which the face lies in the hull's shadow.
      const double reach = s.pier_gap_m * std::tan(e) / std::max(1e-6, -ns.dot(sun));
      const double z = std::min(s.pier_height_m, s.freeboard_m - reach);
      if (z > 0) {
        const cv::Point2d zs = relief * (z * std::tan(v));
        fill({q0, q1, q1 + zs, q0 + zs}, s.pier_face_shaded);
      }
    }
    fill(pier, s.pier);
    if (s.freeboard_m > s.pier_height_m) {
      const cv::Point2d top_shift = -sun * ((s.freeboard_m - s.pier_height_m) / std::tan(e));
      cv::Mat sweep(img.size(), CV_8U, cv::Scalar(0)), pm(img.size(), CV_8U, cv::Scalar(0));
      std::vector<cv::Point2d> pts = wl;
      for (const auto& p : wl) pts.push_back(p + top_shift);
      fill_into(sweep, pts, cv::Scalar(255), ss);
      fill_into(pm, pier, cv::Scalar(255), ss);
      img.setTo(Color(s.pier_shadow), sweep & pm);
    }
    pier_mask = cv::Mat(s.height_px, s.width_px, CV_8U, cv::Scalar(0));
    fill_into(pier_mask, pier, cv::Scalar(255), 1);
  }
  // Hull sides between the waterline edge and the imaged deck edge.
  for (int i = 0; i < 4; ++i) {
    const cv::Point2d p0 = wl[i], p1 = wl[(i + 1) % 4];
    const cv::Point2d mid = 0.5 * (p0 + p1);
    const cv::Point2d out_n = mid * (1.0 / std::hypot(mid.x, mid.y));
    // Outward normal of this edge: perpendicular to it, away from the centre.
    cv::Point2d edge = p1 - p0;
    cv::Point2d nn(-edge.y, edge.x);
    nn *= 1.0 / std::hypot(nn.x, nn.y);
    if (nn.dot(out_n) < 0) nn = -nn;
    const bool lit = nn.dot(sun) > 0;
    fill({p0, p1, p1 + deck_shift, p0 + deck_shift}, lit ? s.hull_lit : s.hull_shaded);
    if (s.antifouling_m > 0) {
      fill({p0, p1, p1 + af_shift, p0 + af_shift}, lit ? s.antifouling_lit : s.antifouling_shaded);
    }
  }
  {
    std::vector<cv::Point2d> deck;
    for (const auto& p : wl) deck.push_back(p + deck_shift);
    fill(deck, s.deck);
  }
  for (const auto& [fp, height] : boxes) {
    const cv::Point2d roof_shift = relief * ((s.freeboard_m + height) * std::tan(v));
    std::vector<cv::Point2d> roof;
    for (const auto& p : fp) roof.push_back(p + roof_shift);
    fill(roof, s.superstructure);
  }
  if (s.psf_sigma_px > 0) {
    cv::GaussianBlur(img, img, cv::Size(0, 0), s.psf_sigma_px * ss);
  }
  cv::Mat coarse;
  cv::resize(img, coarse, cv::Size(s.width_px, s.height_px), 0, 0, cv::INTER_AREA);
  std::mt19937_64 rng(s.seed);
  std::normal_distribution<float> noise(0.0f, static_cast<float>(s.noise));
  for (int r = 0; r < coarse.rows; ++r) {
    auto* row = coarse.ptr<cv::Vec4f>(r);
    for (int c = 0; c < coarse.cols; ++c) {
      for (int k = 0; k < 4; ++k) row[c][k] += noise(rng);
    }
  }
  RenderedHull out;
  std::vector<cv::Mat> ch;
  cv::split(coarse, ch);
  for (int k = 0; k < 4; ++k) out.image.bands[k] = ch[k];
  out.image.water = cv::Mat(coarse.size(), CV_8U, cv::Scalar(255));
  out.image.blocked = cv::Mat(coarse.size(), CV_8U, cv::Scalar(0));
  if (!pier_mask.empty()) {
    out.image.blocked = pier_mask.clone();
    out.image.water.setTo(0, pier_mask);
  }
  out.image.psf_sigma_px = s.psf_sigma_px;
  out.hull.center_px = centre_px + deck_shift * (1.0 / s.gsd_m);
  out.hull.axis_px = a;
  out.hull.bow_resolved = true;
  out.hull.length_px = s.length_m / s.gsd_m;
  out.hull.beam_px = s.beam_m / s.gsd_m;
  for (const auto& p : wl)
    out.hull.outline_px.push_back(centre_px + (p + deck_shift) * (1.0 / s.gsd_m));
  out.geometry.to_sun_px = sun;
  out.geometry.relief_dir_px = relief;
  out.geometry.sun_elevation_deg = s.sun_elevation_deg;
  out.geometry.off_nadir_deg = s.off_nadir_deg;
  out.geometry.gsd_m = s.gsd_m;
  return out;
}

}  // namespace bw::testing
