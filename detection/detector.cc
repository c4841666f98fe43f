#include "detection/detector.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <numbers>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "detection/candidate.h"
#include "detection/coregister.h"
#include "detection/hulls.h"
#include "detection/lowres.h"
#include "detection/wide.h"
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
  if (!(max_berth_axis_offset_deg > 0 && max_berth_axis_offset_deg <= 90))
    fail("max_berth_axis_offset_deg out of (0, 90]");
  if (!(max_registration_shift_m >= 0 && max_registration_shift_m <= 100))
    fail("max_registration_shift_m out of [0, 100]");
}

namespace {

constexpr long long kMaxWindowPixels = 200LL * 1000 * 1000;
// ImagingOptions::growth_edge_step in berth mode: a hull's outline in a veil of opacity 0.2
// steps by ~0.04 reflectance over two pixels; noise and waves give a few thousandths.
constexpr double kBerthGrowthEdgeStep = 0.02;

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
    // Streamed tile by tile (detection/wide.h): memory bounded whatever the scene size.
    return DetectWideScene(scene, terminal, fleet, options, bws, std::move(out));
  } else {
    // The hull fit needs both side edges of a beam and a deck between them; where a tanker's
    // beam spans only a pixel or two (Sentinel-2), a hull moored at a berth cannot be told
    // from its pier, and a view of the berth without a detection would read as an empty berth.
    if (UseLowResSearch(gsd)) {
      char what[256];
      std::snprintf(what, sizeof(what),
                    "%.1f m GSD is too coarse to see a tanker at a berth (berth mode needs about "
                    "5 m or finer); detect --wide finds vessels on open water in such imagery",
                    gsd);
      throw NoDataError("detection", scene_path, what);
    }
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
  const detail::CandidateContext ctx{&scene, &out, fleet, have_sun};
  std::vector<const TerminalFeature*> lands;
  if (terminal != nullptr) lands = terminal->of_kind(FeatureKind::kLand);
  std::vector<std::vector<std::vector<PixelXY>>> land_px;
  for (const auto* f : lands) land_px.push_back(PolygonToPixels(scene, f->polygon));

  RadiometricScale scale;
  bool have_scale = false;
  long long valid_total = 0, water_side_total = 0, cloud_total = 0, pixels_total = 0;
  // Read windows largest first so the radiometric scale comes from the most pixels.
  std::sort(work.begin(), work.end(), [](const WorkWindow& a, const WorkWindow& b) {
    return a.window.area() > b.window.area();
  });
  std::vector<Detection> dets;
  bool registered = false;
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
      spdlog::info("detection: '{}': radiometric offsets {:.4f} {:.4f} {:.4f} {:.4f} (gain {:.6f})",
                   scene_path, scale.offset[0] * scale.gain[0], scale.offset[1] * scale.gain[1],
                   scale.offset[2] * scale.gain[2], scale.offset[3] * scale.gain[3], scale.gain[0]);
    }
    if (!registered && !land_px.empty() && options.max_registration_shift_m > 0) {
      // Once per scene, on the largest window: the terminal's polygons onto the pier.
      registered = true;
      cv::Mat brightness = (px.bands[0] + px.bands[1] + px.bands[2]) / 3.0f;
      const int max_px = static_cast<int>(std::ceil(options.max_registration_shift_m / gsd));
      const PolygonShift shift = EstimatePolygonShift(brightness, px.valid, land_px, win, max_px);
      spdlog::debug(
          "detection: '{}': land outlines {} points, step {:.4g}, shift ({:.2f}, {:.2f}) "
          "px at {:.1f} standard errors{}",
          scene_path, shift.samples, shift.contrast, shift.dx, shift.dy, shift.gain,
          shift.applied ? "" : " (not applied)");
      if (shift.applied) {
        spdlog::info(
            "detection: '{}': terminal polygons moved {:.1f} m grid east, {:.1f} m grid north onto "
            "the pier",
            scene_path, shift.dx * gsd, -shift.dy * gsd);
        for (auto& rings : land_px) ShiftRings(rings, shift.dx, shift.dy);
        for (auto& b : bws) ShiftRings(b.polygon_px, shift.dx, shift.dy);
      }
    }
    cv::Mat land = cv::Mat::zeros(win.height, win.width, CV_8U);
    for (const auto& rings : land_px) detail::FillPolygons(land, rings, win);
    ImagingOptions io;
    io.gsd_m = gsd;
    io.threads = options.threads;
    io.cloud_min_radius_m = std::max(30.0, 3 * gsd);
    // A hull at a berth may lie in the thin edge of a cloud over the pier.
    io.growth_edge_step = kBerthGrowthEdgeStep;
    ImagingResult img = ProcessWindow(px, scale, land, io);
    if (spdlog::should_log(spdlog::level::debug)) {
      const double area = static_cast<double>(win.area());
      spdlog::debug(
          "detection: '{}': window {}x{} at ({},{}) water colour {:.4f} {:.4f} {:.4f} {:.4f}, "
          "level {:.4f}, "
          "noise {:.4f}, cloud {:.3f}, thin cloud {:.3f}",
          scene_path, win.width, win.height, win.x0, win.y0, img.stats.water_colour[0],
          img.stats.water_colour[1], img.stats.water_colour[2], img.stats.water_colour[3],
          img.water_level, img.noise_sigma, cv::countNonZero(img.cloud) / area,
          cv::countNonZero(img.thin_cloud) / area);
    }
    pixels_total += win.area();
    valid_total += cv::countNonZero(img.valid);
    water_side_total += cv::countNonZero(img.valid & ~img.land);
    cloud_total += cv::countNonZero(img.cloud);

    // Berth views over the berth polygons.
    for (const int k : ww.berths) {
      detail::MeasureBerthView(bws[static_cast<size_t>(k)], win, img,
                               options.max_cloud_fraction_for_clear,
                               out.berths[static_cast<size_t>(k)]);
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
    if (have_sun) {
      const PixelXY mid{win.x0 + 0.5 * win.width, win.y0 + 0.5 * win.height};
      ho.to_sun_px = detail::PixelDirection(scene, mid, out.sun_azimuth_deg);
      ho.sun_elevation_deg = std::clamp(out.sun_elevation_deg, 1.0, 90.0);
    }
    std::vector<HullCandidate> cands = FindHulls(img, ho);
    const cv::Mat all_hulls = detail::DrawHulls(cands, cv::Size(win.width, win.height));
    for (size_t ci = 0; ci < cands.size(); ++ci) {
      const HullCandidate& c = cands[ci];
      const cv::Point2d center_scene(c.hull.center_px.x + win.x0, c.hull.center_px.y + win.y0);
      // Berth assignment by the hull centre.
      std::string berth;
      int berth_k = -1;
      double best = -1e30;
      const double tol = std::max(5.0 / gsd, 0.5 * c.hull.beam_px);
      for (size_t k = 0; k < ww.berths.size(); ++k) {
        const double d = detail::PolygonSignedDistance(bws[ww.berths[k]].polygon_px, center_scene);
        if (d >= -tol && d > best) {
          best = d;
          berth_k = static_cast<int>(k);
        }
      }
      if (berth_k >= 0) berth = bws[ww.berths[berth_k]].berth;
      if (!options.wide && (berth.empty() || c.vessel_class != "tanker")) continue;
      // A vessel at a berth fits it: a "hull" far longer than the berth is a cloud or
      // shore fringe that happens to run along the pier; one lying across an elongated berth
      // is not moored there (its lines hold a moored hull along the fender line): a streak of
      // sun glint, a wake, or a vessel passing.
      if (!options.wide && berth_k >= 0) {
        const auto& rings = bws[ww.berths[berth_k]].polygon_px;
        if (!rings.empty() && rings[0].size() >= 3) {
          std::vector<cv::Point2f> pts;
          for (const auto& q : rings[0])
            pts.emplace_back(static_cast<float>(q.x), static_cast<float>(q.y));
          const cv::RotatedRect rr = cv::minAreaRect(pts);
          const double berth_len = std::max(rr.size.width, rr.size.height);
          const double berth_width = std::min(rr.size.width, rr.size.height);
          if (c.hull.length_px > 1.6 * berth_len) {
            spdlog::debug(
                "detection: hull at ({:.0f},{:.0f}) is {:.0f} m long, over 1.6 times berth {}",
                center_scene.x, center_scene.y, c.hull.length_px * gsd,
                bws[ww.berths[berth_k]].berth);
            continue;
          }
          cv::Point2f corner[4];
          rr.points(corner);
          const cv::Point2d e1 = corner[1] - corner[0], e2 = corner[2] - corner[1];
          const cv::Point2d along = cv::norm(e1) >= cv::norm(e2) ? e1 : e2;
          const double cos_off = std::fabs(along.dot(c.hull.axis_px)) /
                                 std::max(cv::norm(along) * cv::norm(c.hull.axis_px), 1e-12);
          if (berth_len >= 2.0 * berth_width &&
              cos_off < std::cos(options.max_berth_axis_offset_deg * std::numbers::pi / 180.0)) {
            spdlog::debug("detection: hull at ({:.0f},{:.0f}) lies {:.0f} deg across berth {}",
                          center_scene.x, center_scene.y,
                          std::acos(cos_off) * 180.0 / std::numbers::pi,
                          bws[ww.berths[berth_k]].berth);
            continue;
          }
        }
      }

      Detection d = detail::BuildDetection(ctx, img, win, ho, c, all_hulls, berth);
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
  // Cloud is only looked for off land; the land polygons (piers) show through nothing.
  if (water_side_total > 0 && cloud_total >= 0.98 * water_side_total) {
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
