#include "detection/candidate.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <opencv2/imgproc.hpp>

#include "detection/freeboard.h"
#include "geo/crs.h"
#include "geo/error.h"

namespace bw::detail {
namespace {

constexpr double kDeg = std::numbers::pi / 180.0;

LonLat Offset(LonLat p, double azimuth_deg, double dist_m) {
  constexpr double kR = 6371008.8;
  LonLat q;
  q.lat_deg = p.lat_deg + dist_m * std::cos(azimuth_deg * kDeg) / kR / kDeg;
  q.lon_deg =
      p.lon_deg + dist_m * std::sin(azimuth_deg * kDeg) / (kR * std::cos(p.lat_deg * kDeg)) / kDeg;
  return q;
}

}  // namespace

cv::Point2d PixelDirection(const Scene& scene, PixelXY where, double azimuth_deg) {
  const LonLat c = scene.lonlat_from_pixel(where);
  const double d = 5.0 * scene.gsd_m();
  const PixelXY q = scene.pixel_from_lonlat(Offset(c, azimuth_deg, d));
  cv::Point2d v(q.x - where.x, q.y - where.y);
  const double n = cv::norm(v);
  return n > 0 ? v * (1.0 / n) : cv::Point2d(0, 0);
}

void FillPolygons(cv::Mat& mask, const std::vector<std::vector<PixelXY>>& rings,
                  const PixelWindow& w) {
  constexpr int kShift = 4;
  std::vector<std::vector<cv::Point>> pts;
  for (const auto& ring : rings) {
    std::vector<cv::Point> r;
    for (const auto& p : ring) {
      r.emplace_back(static_cast<int>(std::lround((p.x - w.x0 - 0.5) * (1 << kShift))),
                     static_cast<int>(std::lround((p.y - w.y0 - 0.5) * (1 << kShift))));
    }
    if (r.size() >= 3) pts.push_back(std::move(r));
  }
  if (!pts.empty()) cv::fillPoly(mask, pts, cv::Scalar(255), cv::LINE_8, kShift);
}

bool MeasureBerthView(const BerthWindow& bw, const PixelWindow& win, const ImagingResult& img,
                      double max_cloud_fraction_for_clear, BerthView& v) {
  cv::Mat m = cv::Mat::zeros(win.height, win.width, CV_8U);
  FillPolygons(m, bw.polygon_px, win);
  const int inside = cv::countNonZero(m);
  if (inside == 0) return false;
  const int valid = cv::countNonZero(m & img.valid);
  const int cloud = cv::countNonZero(m & img.cloud);
  v.valid_fraction = bw.covered_fraction * valid / inside;
  v.cloud_fraction = valid > 0 ? static_cast<double>(cloud) / inside : 0.0;
  v.clear = v.coverage == Coverage::kFull &&
            (1.0 - v.valid_fraction) + v.cloud_fraction <= max_cloud_fraction_for_clear;
  return true;
}

double PolygonSignedDistance(const std::vector<std::vector<PixelXY>>& rings, cv::Point2d p) {
  if (rings.empty()) return -1e30;
  std::vector<cv::Point2f> outer;
  for (const auto& q : rings[0])
    outer.emplace_back(static_cast<float>(q.x), static_cast<float>(q.y));
  if (outer.size() < 3) return -1e30;
  return cv::pointPolygonTest(outer, cv::Point2f(static_cast<float>(p.x), static_cast<float>(p.y)),
                              true);
}

double AngleDiff180(double a, double b) {
  double d = std::fmod(std::fabs(a - b), 180.0);
  return std::min(d, 180.0 - d);
}

void DrawHull(cv::Mat& mask, const HullCandidate& c, cv::Point origin) {
  std::vector<cv::Point> poly;
  for (const auto& p : c.hull.outline_px)
    poly.emplace_back(static_cast<int>(std::lround((p.x - origin.x - 0.5) * 16)),
                      static_cast<int>(std::lround((p.y - origin.y - 0.5) * 16)));
  if (poly.size() >= 3)
    cv::fillPoly(mask, std::vector<std::vector<cv::Point>>{poly}, cv::Scalar(255), cv::LINE_8, 4);
  const cv::Rect box = (c.bbox - origin) & cv::Rect(0, 0, mask.cols, mask.rows);
  if (box.area() > 0) mask(box) |= c.mask(box + origin - c.bbox.tl());
}

cv::Mat DrawHulls(const std::vector<HullCandidate>& cands, cv::Size window) {
  cv::Mat all = cv::Mat::zeros(window, CV_8U);
  for (const auto& c : cands) DrawHull(all, c);
  return all;
}

Detection BuildDetection(const CandidateContext& ctx, const ImagingResult& img,
                         const PixelWindow& win, const HullFitOptions& ho, const HullCandidate& c,
                         const cv::Mat& all_hulls, const std::string& berth) {
  const SceneDetections& out = *ctx.header;
  const Scene& scene = *ctx.scene;
  const double gsd = out.gsd_m;
  const cv::Point2d center_scene(c.hull.center_px.x + win.x0, c.hull.center_px.y + win.y0);
  Detection d;
  d.scene_id = out.scene_id;
  d.datetime = out.datetime;
  d.berth = berth;
  d.vessel_class = c.vessel_class;
  d.truncated = c.truncated;
  d.cloud_affected = c.cloud_affected;
  d.bow_resolved = c.hull.bow_resolved;
  d.bow_score = c.bow_score;
  d.psf_sigma_px = c.psf_sigma_px;
  d.deck_rgb = c.deck_rgb;
  d.superstructure_pos = c.superstructure_pos >= 0 ? c.superstructure_pos : kNaN;
  d.detection_score = std::clamp((c.mean_contrast - ho.grow_sigma) / (3 * ho.seed_sigma), 0.0, 1.0);
  const auto to_ll = [&](cv::Point2d p) {
    return scene.lonlat_from_pixel(PixelXY{p.x + win.x0, p.y + win.y0});
  };
  d.center = to_ll(c.hull.center_px);
  for (const auto& p : c.hull.outline_px) d.hull_lonlat.push_back(to_ll(p));
  if (!d.hull_lonlat.empty()) d.hull_lonlat.push_back(d.hull_lonlat.front());
  const cv::Point2d a = c.hull.axis_px;
  const cv::Point2d nrm(-a.y, a.x);
  const LonLat bow = to_ll(c.hull.center_px + a * (0.5 * c.hull.length_px));
  const LonLat stern = to_ll(c.hull.center_px - a * (0.5 * c.hull.length_px));
  const LonLat port = to_ll(c.hull.center_px + nrm * (0.5 * c.hull.beam_px));
  const LonLat stbd = to_ll(c.hull.center_px - nrm * (0.5 * c.hull.beam_px));
  d.length_m = GeodesicDistanceM(stern, bow);
  d.beam_m = GeodesicDistanceM(stbd, port);
  double heading = GeodesicAzimuthDeg(stern, bow);
  heading = std::fmod(heading + 360.0, 360.0);
  if (!d.bow_resolved) heading = std::fmod(heading, 180.0);
  d.heading_deg = heading;
  if (ctx.have_sun)
    d.sun_hull_angle_deg = std::min(AngleDiff180(out.sun_azimuth_deg, heading), 90.0);
  const Fleet* fleet = ctx.fleet;
  if (fleet != nullptr) {
    if (const FleetVessel* v = MatchFleetVessel(*fleet, d.length_m, d.beam_m, gsd)) {
      d.registry_name = v->name;
    }
  }
  if (c.vessel_class != "tanker") {
    d.unknown_reason = "not a tanker";
  } else if (!ctx.have_sun) {
    d.unknown_reason = "no sun angles";
  } else {
    const int margin = static_cast<int>(std::ceil(c.hull.beam_px + 40.0 / gsd));
    cv::Rect roi(c.bbox.x - margin, c.bbox.y - margin, c.bbox.width + 2 * margin,
                 c.bbox.height + 2 * margin);
    roi &= cv::Rect(0, 0, win.width, win.height);
    HullImage him;
    for (int b = 0; b < 4; ++b)
      if (!img.bands[b].empty()) him.bands[b] = img.bands[b](roi);
    // This hull: its outline and component (as drawn into all_hulls), so no rim of its own
    // outline blocks its stations as "another hull".
    cv::Mat own = cv::Mat::zeros(roi.size(), CV_8U);
    DrawHull(own, c, roi.tl());
    cv::Mat others = all_hulls(roi) & ~own;
    cv::dilate(others, others, cv::Mat());
    him.blocked = img.land(roi) | img.cloud(roi) | ~img.valid(roi) | others;
    him.water = img.water(roi) & ~others & ~own;
    him.cloud = img.cloud(roi).clone();
    him.psf_sigma_px = c.psf_sigma_px;
    Hull h = c.hull;
    const cv::Point2d shift(roi.x, roi.y);
    h.center_px -= shift;
    for (auto& p : h.outline_px) p -= shift;
    PixelGeometry g;
    const PixelXY cs{center_scene.x, center_scene.y};
    g.to_sun_px = PixelDirection(scene, cs, out.sun_azimuth_deg);
    g.relief_dir_px = PixelDirection(scene, cs, out.view_azimuth_deg + 180.0);
    g.sun_elevation_deg = out.sun_elevation_deg;
    g.off_nadir_deg = out.off_nadir_deg;
    g.gsd_m = gsd;
    try {
      const FreeboardEstimate fb = EstimateFreeboard(him, h, g);
      const std::vector<RegistryCandidate> reg =
          fleet != nullptr ? MatchFleetVessels(*fleet, d.length_m, d.beam_m, &fb, gsd)
                           : std::vector<RegistryCandidate>{};
      const LoadEstimate le = EstimateLoad(fb, d.length_m, d.beam_m, reg);
      if (fb.observable) {
        d.freeboard_m = fb.freeboard_m;
        d.freeboard_sigma_m = fb.sigma_m;
      }
      d.load_fraction = le.load_fraction;
      d.load_state = le.state;
      d.confidence = le.confidence;
      d.unknown_reason = !fb.observable ? fb.reason : le.reason;
    } catch (const Error& e) {
      spdlog::warn("detection: '{}': freeboard failed: {}", out.path, e.what());
      d.unknown_reason = "freeboard failed";
    }
  }
  if (d.load_state != LoadState::kUnknown) d.unknown_reason.clear();
  return d;
}

}  // namespace bw::detail
