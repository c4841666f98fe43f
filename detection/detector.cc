#include "detection/detector.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <numbers>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "detection/freeboard.h"
#include "detection/hulls.h"
#include "geo/crs.h"
#include "geo/error.h"
#include "geo/scene.h"
#include "geo/window.h"
#include "imaging/imaging.h"

namespace bw {

void DetectOptions::Check() const {
  auto fail = [](const std::string& what) { throw InputError("detection", "", what); };
  if (!(berth_margin_m >= 0) || berth_margin_m > 5000) fail("berth_margin_m out of [0, 5000]");
  if (threads < 0) fail("threads must be >= 0");
  if (!(max_cloud_fraction_for_clear >= 0 && max_cloud_fraction_for_clear <= 1))
    fail("max_cloud_fraction_for_clear out of [0, 1]");
}

namespace {

constexpr double kDeg = std::numbers::pi / 180.0;
constexpr long long kMaxWidePixels = 400LL * 1000 * 1000;
constexpr long long kMaxWindowPixels = 200LL * 1000 * 1000;

LonLat Offset(LonLat p, double azimuth_deg, double dist_m) {
  constexpr double kR = 6371008.8;
  LonLat q;
  q.lat_deg = p.lat_deg + dist_m * std::cos(azimuth_deg * kDeg) / kR / kDeg;
  q.lon_deg =
      p.lon_deg + dist_m * std::sin(azimuth_deg * kDeg) / (kR * std::cos(p.lat_deg * kDeg)) / kDeg;
  return q;
}

// Unit vector in scene pixels pointing towards a true-north azimuth at `where` (pixels).
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
      // OpenCV puts integer coordinates at pixel centres; ours are at +0.5.
      r.emplace_back(static_cast<int>(std::lround((p.x - w.x0 - 0.5) * (1 << kShift))),
                     static_cast<int>(std::lround((p.y - w.y0 - 0.5) * (1 << kShift))));
    }
    if (r.size() >= 3) pts.push_back(std::move(r));
  }
  // Even-odd over all rings: holes are cut out of their outer ring.
  if (!pts.empty()) cv::fillPoly(mask, pts, cv::Scalar(255), cv::LINE_8, kShift);
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

struct WorkWindow {
  PixelWindow window;
  std::vector<int> berths;  // indices into the berth window list
};

std::vector<WorkWindow> MergeWindows(const std::vector<BerthWindow>& bws) {
  std::vector<WorkWindow> out;
  for (size_t i = 0; i < bws.size(); ++i) {
    if (bws[i].window.empty()) continue;
    out.push_back({bws[i].window, {static_cast<int>(i)}});
  }
  bool merged = true;
  while (merged) {
    merged = false;
    for (size_t i = 0; i < out.size() && !merged; ++i) {
      for (size_t j = i + 1; j < out.size() && !merged; ++j) {
        const cv::Rect a(out[i].window.x0, out[i].window.y0, out[i].window.width,
                         out[i].window.height);
        const cv::Rect b(out[j].window.x0, out[j].window.y0, out[j].window.width,
                         out[j].window.height);
        if ((a & b).area() > 0) {
          const cv::Rect u = a | b;
          out[i].window = {u.x, u.y, u.width, u.height};
          out[i].berths.insert(out[i].berths.end(), out[j].berths.begin(), out[j].berths.end());
          out.erase(out.begin() + static_cast<long>(j));
          merged = true;
        }
      }
    }
  }
  return out;
}

double AngleDiff180(double a, double b) {
  double d = std::fmod(std::fabs(a - b), 180.0);
  return std::min(d, 180.0 - d);
}

}  // namespace

SceneDetections DetectScene(const std::string& scene_path, const Terminal* terminal,
                            const Fleet* fleet, const DetectOptions& options) {
  options.Check();
  if (!options.wide && terminal == nullptr) {
    throw InputError("detection", scene_path, "a terminal is required unless searching wide");
  }
  Scene scene = Scene::Open(scene_path);
  SceneDetections out;
  out.scene_id = scene.id();
  out.path = scene_path;
  const Acquisition& acq = scene.acquisition();
  if (acq.datetime.has_value()) {
    out.datetime = *acq.datetime;
    out.datetime_known = true;
  } else {
    spdlog::warn("detection: '{}': no acquisition time", scene_path);
  }
  const double gsd = scene.gsd_m();
  out.gsd_m = gsd;
  if (!(gsd > 0.05 && gsd <= 100.0)) {
    throw InputError("detection", scene_path,
                     "ground sample distance " + std::to_string(gsd) + " m is outside 0.05..100 m");
  }
  if (acq.sun_elevation_deg.has_value()) out.sun_elevation_deg = *acq.sun_elevation_deg;
  if (acq.sun_azimuth_deg.has_value()) out.sun_azimuth_deg = *acq.sun_azimuth_deg;
  out.off_nadir_deg = acq.off_nadir_deg.has_value() ? *acq.off_nadir_deg : 0.0;
  out.view_azimuth_deg = acq.view_azimuth_deg.has_value() ? *acq.view_azimuth_deg : 0.0;

  // Windows to read.
  std::vector<BerthWindow> bws;
  std::vector<WorkWindow> work;
  if (terminal != nullptr) {
    WindowOptions wo;
    wo.margin_m = options.berth_margin_m;
    bws = ComputeBerthWindows(scene, *terminal, wo);
  }
  if (options.wide) {
    if (static_cast<long long>(scene.width()) * scene.height() > kMaxWidePixels) {
      throw InputError("detection", scene_path,
                       "scene of " + std::to_string(scene.width()) + "x" +
                           std::to_string(scene.height()) +
                           " pixels is too large for --wide (limit 400 Mpx)");
    }
    WorkWindow ww;
    ww.window = {0, 0, scene.width(), scene.height()};
    for (size_t i = 0; i < bws.size(); ++i) ww.berths.push_back(static_cast<int>(i));
    work.push_back(ww);
  } else {
    const bool any = std::any_of(bws.begin(), bws.end(), [](const BerthWindow& b) {
      return b.coverage != Coverage::kNone && !b.window.empty();
    });
    if (!any) throw NoDataError("detection", scene_path, "scene misses every berth");
    work = MergeWindows(bws);
    for (const auto& w : work) {
      if (w.window.area() > kMaxWindowPixels) {
        throw InputError("detection", scene_path,
                         "berth window of " + std::to_string(w.window.area()) +
                             " pixels is absurdly large (check the GSD and the terminal)");
      }
    }
  }
  for (const auto& bw : bws) {
    BerthView v;
    v.berth = bw.berth;
    v.coverage = bw.coverage;
    out.berths.push_back(v);
  }

  const bool have_sun = !std::isnan(out.sun_elevation_deg) && !std::isnan(out.sun_azimuth_deg);
  std::vector<const TerminalFeature*> lands;
  if (terminal != nullptr) lands = terminal->of_kind(FeatureKind::kLand);
  std::vector<std::vector<std::vector<PixelXY>>> land_px;
  for (const auto* f : lands) land_px.push_back(PolygonToPixels(scene, f->polygon));

  RadiometricScale scale;
  bool have_scale = false;
  long long valid_total = 0, cloud_total = 0, pixels_total = 0;
  // Read windows largest first so the radiometric scale comes from the most pixels.
  std::sort(work.begin(), work.end(), [](const WorkWindow& a, const WorkWindow& b) {
    return a.window.area() > b.window.area();
  });
  std::vector<Detection> dets;
  for (const WorkWindow& ww : work) {
    const PixelWindow& win = ww.window;
    WindowPixels px = scene.ReadWindow(win);
    if (cv::countNonZero(px.valid) == 0) {
      pixels_total += win.area();
      continue;
    }
    if (!have_scale) {
      scale = EstimateScale(px, scene.pixel_type());
      have_scale = true;
    }
    cv::Mat land = cv::Mat::zeros(win.height, win.width, CV_8U);
    for (const auto& rings : land_px) FillPolygons(land, rings, win);
    ImagingOptions io;
    io.gsd_m = gsd;
    io.threads = options.threads;
    io.cloud_min_radius_m = std::max(30.0, 3 * gsd);
    ImagingResult img = ProcessWindow(px, scale, land, io);
    pixels_total += win.area();
    valid_total += cv::countNonZero(img.valid);
    cloud_total += cv::countNonZero(img.cloud);

    // Berth views over the berth polygons.
    std::vector<cv::Mat> berth_masks(ww.berths.size());
    for (size_t k = 0; k < ww.berths.size(); ++k) {
      const BerthWindow& bw = bws[ww.berths[k]];
      cv::Mat m = cv::Mat::zeros(win.height, win.width, CV_8U);
      FillPolygons(m, bw.polygon_px, win);
      berth_masks[k] = m;
      const int inside = cv::countNonZero(m);
      if (inside == 0) continue;
      const int valid = cv::countNonZero(m & img.valid);
      const int cloud = cv::countNonZero(m & img.cloud);
      BerthView& v = out.berths[ww.berths[k]];
      v.valid_fraction = bw.covered_fraction * valid / inside;
      v.cloud_fraction = valid > 0 ? static_cast<double>(cloud) / inside : 0.0;
      v.clear = v.coverage == Coverage::kFull &&
                (1.0 - v.valid_fraction) + v.cloud_fraction <= options.max_cloud_fraction_for_clear;
    }

    if (const char* dbg = std::getenv("BW_DEBUG_DIR")) {
      // Debug quicklooks of the imaging maps (not part of the interface).
      const std::string stem = std::string(dbg) + "/" + out.scene_id + "_" +
                               std::to_string(win.x0) + "_" + std::to_string(win.y0);
      cv::Mat c8;
      img.contrast.convertTo(c8, CV_8U, 2.0, 128.0);
      cv::imwrite(stem + "_contrast.png", c8);
      cv::Mat masks;
      cv::merge(std::vector<cv::Mat>{img.water, img.cloud, img.land}, masks);
      cv::imwrite(stem + "_masks.png", masks);
    }
    HullFitOptions ho;
    ho.gsd_m = gsd;
    std::vector<HullCandidate> cands = FindHulls(img, ho);
    // Mask of every hull, to block other hulls in each hull's cue image.
    cv::Mat all_hulls = cv::Mat::zeros(win.height, win.width, CV_8U);
    for (const auto& c : cands) {
      std::vector<cv::Point> poly;
      for (const auto& p : c.hull.outline_px)
        poly.emplace_back(static_cast<int>(std::lround((p.x - 0.5) * 16)),
                          static_cast<int>(std::lround((p.y - 0.5) * 16)));
      cv::fillPoly(all_hulls, std::vector<std::vector<cv::Point>>{poly}, cv::Scalar(255),
                   cv::LINE_8, 4);
      all_hulls(c.bbox) |= c.mask;
    }
    for (size_t ci = 0; ci < cands.size(); ++ci) {
      const HullCandidate& c = cands[ci];
      const cv::Point2d center_scene(c.hull.center_px.x + win.x0, c.hull.center_px.y + win.y0);
      // Berth assignment by the hull centre.
      std::string berth;
      int berth_k = -1;
      double best = -1e30;
      const double tol = std::max(5.0 / gsd, 0.5 * c.hull.beam_px);
      for (size_t k = 0; k < ww.berths.size(); ++k) {
        const double d = PolygonSignedDistance(bws[ww.berths[k]].polygon_px, center_scene);
        if (d >= -tol && d > best) {
          best = d;
          berth_k = static_cast<int>(k);
        }
      }
      if (berth_k >= 0) berth = bws[ww.berths[berth_k]].berth;
      if (!options.wide && (berth.empty() || c.vessel_class != "tanker")) continue;

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
      d.detection_score =
          std::clamp((c.mean_contrast - ho.grow_sigma) / (3 * ho.seed_sigma), 0.0, 1.0);
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
      if (have_sun)
        d.sun_hull_angle_deg = std::min(AngleDiff180(out.sun_azimuth_deg, heading), 90.0);
      if (fleet != nullptr) {
        if (const FleetVessel* v = MatchFleetVessel(*fleet, d.length_m, d.beam_m)) {
          d.registry_name = v->name;
        }
      }

      // Freeboard and load.
      if (c.vessel_class != "tanker") {
        d.unknown_reason = "not a tanker";
      } else if (!have_sun) {
        d.unknown_reason = "no sun angles";
      } else {
        const int margin = static_cast<int>(std::ceil(c.hull.beam_px + 40.0 / gsd));
        cv::Rect roi(c.bbox.x - margin, c.bbox.y - margin, c.bbox.width + 2 * margin,
                     c.bbox.height + 2 * margin);
        roi &= cv::Rect(0, 0, win.width, win.height);
        HullImage him;
        for (int b = 0; b < 4; ++b)
          if (!img.bands[b].empty()) him.bands[b] = img.bands[b](roi);
        cv::Mat own = cv::Mat::zeros(win.height, win.width, CV_8U);
        own(c.bbox) |= c.mask;
        cv::Mat others = all_hulls(roi) & ~own(roi);
        cv::dilate(others, others, cv::Mat());
        him.blocked = img.land(roi) | img.cloud(roi) | ~img.valid(roi) | others;
        him.water = img.water(roi) & ~others & ~own(roi);
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
          const FleetVessel* reg =
              fleet != nullptr ? MatchFleetVessel(*fleet, d.length_m, d.beam_m) : nullptr;
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
          spdlog::warn("detection: '{}': freeboard failed: {}", scene_path, e.what());
          d.unknown_reason = "freeboard failed";
        }
      }
      if (d.load_state != LoadState::kUnknown) d.unknown_reason.clear();
      if (berth_k >= 0 && d.vessel_class == "tanker")
        out.berths[ww.berths[berth_k]].occupied = true;
      dets.push_back(std::move(d));
    }
  }

  // Scene-level failures.
  if (valid_total == 0) {
    throw NoDataError(
        "detection", scene_path,
        options.wide ? "scene holds no valid pixels" : "no valid pixels at any berth");
  }
  if (cloud_total >= 0.98 * valid_total) {
    throw NoDataError("detection", scene_path, "fully clouded over the area searched");
  }
  if (!options.wide) {
    bool any_valid = false;
    for (const auto& v : out.berths) any_valid = any_valid || v.valid_fraction > 0;
    if (!any_valid) throw NoDataError("detection", scene_path, "no valid pixels at any berth");
  }
  out.detections = std::move(dets);
  spdlog::info("detection: '{}': {} detections", scene_path, out.detections.size());
  (void)pixels_total;
  return out;
}

}  // namespace bw
