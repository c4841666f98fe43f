#include "detection/wide.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <mutex>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <optional>
#include <thread>

#include "detection/candidate.h"
#include "detection/hulls.h"
#include "detection/lowres.h"
#include "detection/prescreen.h"
#include "geo/error.h"
#include "imaging/imaging.h"

namespace bw {

void WideOptions::Check() const {
  auto fail = [](const std::string& what) { throw InputError("detection.wide", "", what); };
  if (core_px < 256 || core_px > 16384) fail("core_px out of [256, 16384]");
  if (!(max_vessel_length_m > 0) || max_vessel_length_m > 2000)
    fail("max_vessel_length_m out of (0, 2000]");
  if (!(cue_margin_m >= 0) || cue_margin_m > 1000) fail("cue_margin_m out of [0, 1000]");
  if (workers < 0) fail("workers must be >= 0");
  if (!(prescreen_sigma > 0) || prescreen_sigma > 100) fail("prescreen_sigma out of (0, 100]");
  if (prescreen_min_hot < 1 || prescreen_min_hot > 64) fail("prescreen_min_hot out of [1, 64]");
  if (!(min_length_m >= 0) || !(min_slenderness >= 0) || !(max_slenderness >= min_slenderness))
    fail("bad tanker shape bounds");
  if (!(soft_outline_step_sigma >= 0) || soft_outline_step_sigma > 100 ||
      !(soft_outline_ratio >= 0) || soft_outline_ratio > 1)
    fail("soft outline bounds out of range");
  if (!(min_mean_contrast_sigma >= 0) || min_mean_contrast_sigma > 1000 ||
      !(foam_brightness_share >= 0) || foam_brightness_share > 1)
    fail("foam bounds out of range");
  lowres.Check();
}

int WideHaloPx(const WideOptions& options, double gsd_m) {
  return static_cast<int>(
      std::ceil((0.5 * options.max_vessel_length_m + options.cue_margin_m) / gsd_m));
}

namespace {

// Block-aligned samples spread over the scene (about 1 % of its pixels) as one mosaic:
// the radiometric scale and the water statistics every tile shares come from it.
WindowPixels SceneSample(const Scene& scene) {
  const int bw = std::max(64, std::min(scene.block_width(), 512));
  const int bh = std::max(64, std::min(scene.block_height(), 512));
  const int side = 256;
  constexpr int kGrid = 5;
  WindowPixels mosaic;
  const int nb = scene.has_nir() ? 4 : 3;
  for (int b = 0; b < nb; ++b) mosaic.bands[b] = cv::Mat::zeros(kGrid * side, kGrid * side, CV_32F);
  mosaic.valid = cv::Mat::zeros(kGrid * side, kGrid * side, CV_8U);
  for (int gy = 0; gy < kGrid; ++gy) {
    for (int gx = 0; gx < kGrid; ++gx) {
      // Sample at block origins so each sample decodes one block per band.
      int x0 = static_cast<int>((scene.width() * (gx + 0.5)) / kGrid) / bw * bw;
      int y0 = static_cast<int>((scene.height() * (gy + 0.5)) / kGrid) / bh * bh;
      const int w = std::min(side, scene.width() - x0);
      const int h = std::min(side, scene.height() - y0);
      if (w <= 0 || h <= 0) continue;
      const WindowPixels px = scene.ReadWindow({x0, y0, w, h});
      const cv::Rect dst(gx * side, gy * side, w, h);
      for (int b = 0; b < nb; ++b) px.bands[b].copyTo(mosaic.bands[b](dst));
      px.valid.copyTo(mosaic.valid(dst));
    }
  }
  return mosaic;
}

ImagingOptions TileImagingOptions(double gsd) {
  ImagingOptions io;
  io.gsd_m = gsd;
  io.threads = 1;  // parallel over tiles instead
  io.cloud_min_radius_m = std::max(30.0, 3 * gsd);
  return io;
}

struct RegionResult {
  std::vector<Detection> detections;
  std::vector<cv::Point2d> centers_px;  // scene pixels, for the duplicate check
  std::vector<int> berth_of;            // per detection, -1 none
};

struct Shared {
  const Scene* scene = nullptr;
  const Fleet* fleet = nullptr;
  const DetectOptions* options = nullptr;
  const WideOptions* wide = nullptr;
  const std::vector<BerthWindow>* bws = nullptr;
  const std::vector<std::vector<std::vector<PixelXY>>>* land_px = nullptr;
  const SceneDetections* header = nullptr;
  // From the scene sample; when the sample misses every valid pixel (a scene that is
  // mostly nodata), each window falls back to its own.
  std::optional<RadiometricScale> scale;
  std::optional<WaterStats> stats;
  bool have_sun = false;
  std::optional<LowResOptions> lowres;  // set: small-target search instead of the hull fit
};

// A hull the wide search reports: tanker-shaped. Tankers are slender (L/B about 5-7.5, see
// Classify) and at least a small coastal tanker long; squat tugs, boats and blobs (cloud
// fringes, merged texture) and very slender streaks (wakes) are not tankers.
// The length-to-beam ratio is only a measurement where the beam spans a few pixels: at
// 10 m GSD a tanker's beam is one or two blurred pixels and every hull looks squat.
bool TankerShaped(const HullCandidate& c, const WideOptions& wide) {
  if (c.length_m < wide.min_length_m) return false;
  if (c.hull.beam_px < 4.0) return true;
  const double ratio = c.length_m / std::max(c.beam_m, 0.1);
  return ratio >= wide.min_slenderness && ratio <= wide.max_slenderness;
}

// A candidate whose outline is soft (a small cloud puff or haze patch on open water that
// the hull shape test let through): the step across it is both small in noise sigmas and a
// small part of the candidate's own contrast. A hull beside a bright deck structure has a
// small relative step but a large absolute one; a faint hull in haze the reverse.
bool SoftOutline(const HullCandidate& c, const WideOptions& wide) {
  return c.outline_step < wide.soft_outline_step_sigma &&
         c.outline_step < wide.soft_outline_ratio * c.mean_contrast;
}

// A candidate that is faint and colourless: foam astern of a vessel under way, haze, glint.
bool FoamLike(const HullCandidate& c, const WideOptions& wide) {
  return c.mean_contrast < wide.min_mean_contrast_sigma &&
         c.mean_brightness_contrast > wide.foam_brightness_share * c.mean_contrast;
}

// Reads, images and searches one region; keeps the hulls centred in its own part.
void ProcessRegion(const Shared& sh, const Scene& scene, const PrescreenRegion& region,
                   ImagingResult& img, RegionResult& res) {
  const double gsd = sh.header->gsd_m;
  const PixelWindow win{region.window.x, region.window.y, region.window.width,
                        region.window.height};
  const std::vector<BerthWindow>& bws = *sh.bws;
  spdlog::debug("detection.wide: region window {}x{} at ({},{})", win.width, win.height, win.x0,
                win.y0);
  cv::Mat land = cv::Mat::zeros(win.height, win.width, CV_8U);
  {
    WindowPixels px = scene.ReadWindow(win);
    if (cv::countNonZero(px.valid) == 0) return;
    for (const auto& rings : *sh.land_px) detail::FillPolygons(land, rings, win);
    ImagingOptions io = TileImagingOptions(gsd);
    io.fixed_stats = sh.stats;
    const RadiometricScale scale = sh.scale ? *sh.scale : EstimateScale(px, sh.scene->pixel_type());
    ProcessWindow(px, scale, land, io, img);
  }  // the digital numbers are released before the hull search
  const cv::Rect& own = region.own;
  auto owned = [&](cv::Point2d cs) {
    return cs.x >= own.x && cs.x < own.x + own.width && cs.y >= own.y && cs.y < own.y + own.height;
  };
  if (sh.lowres) {
    for (const LowResVessel& v : FindLowResVessels(img, *sh.lowres)) {
      const cv::Point2d cs(v.center_px.x + win.x0, v.center_px.y + win.y0);
      if (!owned(cs)) continue;
      int berth_k = -1;
      double best = -1e30;
      for (size_t b = 0; b < bws.size(); ++b) {
        const double d = detail::PolygonSignedDistance(bws[b].polygon_px, cs);
        if (d >= -0.5 * v.beam_px && d > best) {
          best = d;
          berth_k = static_cast<int>(b);
        }
      }
      Detection d = LowResDetection(scene, *sh.header, win, v);
      if (berth_k >= 0) d.berth = bws[berth_k].berth;
      res.detections.push_back(std::move(d));
      res.centers_px.push_back(cs);
      res.berth_of.push_back(berth_k);
    }
    return;
  }
  HullFitOptions ho;
  ho.gsd_m = gsd;
  ho.keep_scratch = false;    // the RSS bound of wide mode: no idle window-sized maps per thread
  ho.cut_wakes = true;        // vessels under way trail wakes
  ho.objectness_ends = true;  // and foam astern as bright as a deck
  if (sh.have_sun) {
    const PixelXY mid{win.x0 + 0.5 * win.width, win.y0 + 0.5 * win.height};
    ho.to_sun_px = detail::PixelDirection(scene, mid, sh.header->sun_azimuth_deg);
    ho.sun_elevation_deg = std::clamp(sh.header->sun_elevation_deg, 1.0, 90.0);
  }
  const std::vector<HullCandidate> cands = FindHulls(img, ho);
  const cv::Mat all_hulls = detail::DrawHulls(cands, cv::Size(win.width, win.height));
  for (const HullCandidate& c : cands) {
    // Ownership by the centre: pixel coordinates have pixel centres at +0.5.
    const cv::Point2d cs(c.hull.center_px.x + win.x0, c.hull.center_px.y + win.y0);
    if (!owned(cs)) continue;
    const char* drop = !TankerShaped(c, *sh.wide) ? "not tanker-shaped"
                       : SoftOutline(c, *sh.wide) ? "soft outline"
                       : FoamLike(c, *sh.wide)    ? "foam-like"
                                                  : nullptr;
    if (drop != nullptr) {
      spdlog::debug("detection.wide: hull at ({:.0f},{:.0f}) L {:.1f} m class {} not kept: {}",
                    cs.x, cs.y, c.length_m, c.vessel_class, drop);
      continue;
    }
    int berth_k = -1;
    double best = -1e30;
    const double tol = std::max(5.0 / gsd, 0.5 * c.hull.beam_px);
    for (size_t b = 0; b < bws.size(); ++b) {
      const double d = detail::PolygonSignedDistance(bws[b].polygon_px, cs);
      if (d >= -tol && d > best) {
        best = d;
        berth_k = static_cast<int>(b);
      }
    }
    detail::CandidateContext ctx{sh.scene, sh.header, sh.fleet, sh.have_sun};
    ctx.scene = &scene;
    res.detections.push_back(detail::BuildDetection(
        ctx, img, win, ho, c, all_hulls, berth_k >= 0 ? bws[berth_k].berth : std::string()));
    res.centers_px.push_back(cs);
    res.berth_of.push_back(berth_k);
  }
}

// Prescreen tiles: whole blocks of the file (each block decoded once), about 512 px.
std::vector<cv::Rect> PrescreenTiles(const Scene& scene) {
  int tw = 512, th = 512;
  const int bw = scene.block_width(), bh = scene.block_height();
  if (bw > 0 && bh > 0 && bw % kPrescreenCell == 0 && bh % kPrescreenCell == 0 && bw <= 4096 &&
      bh <= 4096) {
    tw = bw * std::max(1, (512 + bw - 1) / bw);
    th = bh * std::max(1, (512 + bh - 1) / bh);
    // Strip-organised files (one row blocks): a tile of whole rows, ~512 px high.
    if (tw > 4096) tw = 512;
  }
  std::vector<cv::Rect> tiles;
  const cv::Rect all(0, 0, scene.width(), scene.height());
  for (int y = 0; y < scene.height(); y += th)
    for (int x = 0; x < scene.width(); x += tw) tiles.push_back(cv::Rect(x, y, tw, th) & all);
  return tiles;
}

// Runs fn(worker_scene, index) for index in [0, n) on `workers` threads, each extra worker
// reading through its own dataset (a GDAL dataset is not thread-safe).
template <typename Fn>
void RunWorkers(const Scene& scene, int workers, size_t n, Fn&& fn) {
  std::atomic<size_t> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto work = [&](bool own_scene) {
    try {
      std::optional<Scene> mine;
      if (own_scene) mine.emplace(Scene::Open(scene.path()));
      const Scene& s = own_scene ? *mine : scene;
      for (size_t i = next++; i < n; i = next++) fn(s, i);
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mutex);
      if (!error) error = std::current_exception();
      next = n;
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < std::min<int>(workers, static_cast<int>(n)); ++t)
    pool.emplace_back(work, true);
  work(false);
  for (auto& th : pool) th.join();
  if (error) std::rethrow_exception(error);
}

}  // namespace

SceneDetections DetectWideScene(const Scene& scene, const Terminal* terminal, const Fleet* fleet,
                                const DetectOptions& options,
                                const std::vector<BerthWindow>& berth_windows,
                                SceneDetections header, const WideOptions& wide) {
  options.Check();
  wide.Check();
  // A block's bands are all that is re-used from GDAL's cache (each block is decoded once
  // by the prescreen; regions re-read a few): keep it small. An explicit setting wins.
  SetDefaultGdalCacheMiB(64);
  const double gsd = header.gsd_m;
  SceneDetections out = std::move(header);
  for (const auto& bw : berth_windows) {
    BerthView v;
    v.berth = bw.berth;
    v.coverage = bw.coverage;
    out.berths.push_back(v);
  }
  std::vector<std::vector<std::vector<PixelXY>>> land_px;
  if (terminal != nullptr) {
    for (const auto* f : terminal->of_kind(FeatureKind::kLand))
      land_px.push_back(PolygonToPixels(scene, f->polygon));
  }
  Shared sh;
  sh.scene = &scene;
  sh.fleet = fleet;
  sh.options = &options;
  sh.wide = &wide;
  sh.bws = &berth_windows;
  sh.land_px = &land_px;
  sh.header = &out;
  sh.have_sun = !std::isnan(out.sun_elevation_deg) && !std::isnan(out.sun_azimuth_deg);
  if (UseLowResSearch(gsd)) {
    sh.lowres = wide.lowres;
    sh.lowres->gsd_m = gsd;
    spdlog::info(
        "detection: '{}': {:.1f} m GSD is too coarse for the hull fit: small-target search",
        out.path, gsd);
  }
  std::optional<PrescreenParams> params;
  {
    const WindowPixels sample = SceneSample(scene);
    if (cv::countNonZero(sample.valid) > 0) {
      sh.scale = EstimateScale(sample, scene.pixel_type());
      ImagingOptions sample_io = TileImagingOptions(gsd);
      sample_io.find_structures = false;  // the mosaic's seams are straight
      const ImagingResult r = ProcessWindow(sample, *sh.scale, cv::Mat(), sample_io);
      sh.stats = r.stats;
      params = PrescreenParamsFromSample(r, *sh.scale, gsd);
      params->k_sigma = static_cast<float>(wide.prescreen_sigma);
      spdlog::info(
          "detection: '{}': prescreen sigma R {:.4f} G {:.4f} B {:.4f} N {:.4f} brightness "
          "{:.4f}, NDWI > {:.3f}",
          out.path, params->band_sigma[0], params->band_sigma[1], params->band_sigma[2],
          params->band_sigma[3], params->brightness_sigma, params->ndwi_threshold);
    } else {
      spdlog::warn("detection: '{}': no valid pixels in the scene sample; per-tile statistics",
                   out.path);
    }
  }
  int workers = wide.workers > 0 ? wide.workers : options.threads;
  if (workers <= 0) workers = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));

  const auto t_start = std::chrono::steady_clock::now();
  auto since = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  };
  // 1. Prescreen: every block read once, one pass, hot-pixel counts per 8 px cell.
  const std::vector<cv::Rect> tiles = PrescreenTiles(scene);
  constexpr int c = kPrescreenCell;
  cv::Mat hot_cells =
      cv::Mat::zeros((scene.height() + c - 1) / c, (scene.width() + c - 1) / c, CV_8U);
  cv::Mat cloudy_cells = cv::Mat::zeros(hot_cells.size(), CV_8U);
  std::vector<long long> tile_valid(tiles.size(), 0), tile_cloud(tiles.size(), 0);
  RunWorkers(scene, workers, tiles.size(), [&](const Scene& s, size_t i) {
    const cv::Rect& t = tiles[i];
    thread_local WindowPixels px;  // block-sized buffers re-used from tile to tile
    s.ReadWindow({t.x, t.y, t.width, t.height}, px);
    PrescreenParams p;
    if (params) {
      p = *params;
    } else {
      // Mostly-nodata scene: local scale, generic noise.
      p.scale = EstimateScale(px, s.pixel_type());
      p.has_nir = px.has_nir();
      p.k_sigma = static_cast<float>(wide.prescreen_sigma);
    }
    cv::Mat hot, cloudy;
    PrescreenWindow(px, p, hot, cloudy, tile_valid[i], tile_cloud[i]);
    // Tiles start on multiples of the cell size: a disjoint block of the scene map.
    hot.copyTo(hot_cells(cv::Rect(t.x / c, t.y / c, hot.cols, hot.rows)));
    cloudy.copyTo(cloudy_cells(cv::Rect(t.x / c, t.y / c, hot.cols, hot.rows)));
  });
  long long valid_total = 0, cloud_total = 0;
  for (size_t i = 0; i < tiles.size(); ++i) {
    valid_total += tile_valid[i];
    cloud_total += tile_cloud[i];
  }

  // 2. The full search on windows around the marked regions only.
  RegionPlanOptions plan;
  plan.min_hot_per_cell = wide.prescreen_min_hot;
  // Half the pixels of the smallest hull searched for (HullFitOptions: 3 m beam).
  plan.min_hot_total =
      std::max(12, static_cast<int>(0.5 * (wide.min_length_m / gsd) * (3.0 / gsd)));
  plan.max_region_px = 1.6 * wide.max_vessel_length_m / gsd;
  plan.piece_px = wide.core_px;
  plan.context_px = static_cast<int>(std::ceil((wide.cue_margin_m + 60.0) / gsd));
  plan.halo_px = WideHaloPx(wide, gsd);
  // A hull seen only at one end (a faint middle) has its centre within half its length of
  // that end's hot cells: a quarter of the longest hull covers every hull up to half of it.
  plan.own_margin_px = static_cast<int>(std::ceil(0.25 * wide.max_vessel_length_m / gsd));
  if (sh.lowres) {
    // The small-target search measures the water background and noise in its window.
    plan.context_px = std::max(
        plan.context_px,
        static_cast<int>(
            std::ceil((sh.lowres->background_radius_m + 0.5 * sh.lowres->max_length_m) / gsd)));
  }
  plan.cloud_core_radius = std::max(1, static_cast<int>(std::ceil(30.0 / (gsd * kPrescreenCell))));
  // Coarse imagery keeps the cells the cloud test would drop: a prescreen cell (8 px, 80 m at
  // 10 m) is wider than a beam there, so a white or grey hull fills cells as cloudy as a
  // cloud's fringe and went with the cloud next to it (on the 10 m renders of seeds 5-13, 70
  // hulls more found, 28 false vessels more: 635/74/505 -> 705/102/435). The small-target
  // search has its own cloud mask and tells puffs from hulls (detection/lowres.h).
  const std::vector<PrescreenRegion> regions = PlanRegions(
      hot_cells, sh.lowres ? cv::Mat() : cloudy_cells, scene.width(), scene.height(), plan);
  long long region_px = 0;
  for (const auto& r : regions) region_px += r.window.area();
  spdlog::info(
      "detection: '{}': wide search: {} prescreen tiles ({:.2f} s), {} regions ({:.1f} % of the "
      "scene), {} workers",
      out.path, tiles.size(), since(), regions.size(),
      100.0 * static_cast<double>(region_px) /
          (static_cast<double>(scene.width()) * scene.height()),
      workers);
  if (const char* dir = std::getenv("BW_WIDE_TRACE"); dir != nullptr && *dir == '/') {
    // Debugging aid (not an interface): the hot-cell map and the regions.
    cv::imwrite(std::string(dir) + "/hot_cells.png", hot_cells);
    cv::imwrite(std::string(dir) + "/cloudy_cells.png", cloudy_cells);
    std::ofstream f(std::string(dir) + "/regions.txt");
    for (const auto& r : regions)
      f << r.own.x << ' ' << r.own.y << ' ' << r.own.width << ' ' << r.own.height << ' '
        << r.window.x << ' ' << r.window.y << ' ' << r.window.width << ' ' << r.window.height
        << '\n';
  }
  // The cell maps grow with the scene: not kept while the regions are searched.
  hot_cells.release();
  cloudy_cells.release();
  std::vector<RegionResult> results(regions.size());
  RunWorkers(scene, workers, results.size(), [&](const Scene& s, size_t i) {
    thread_local ImagingResult img;  // buffers re-used while windows keep their size
    ProcessRegion(sh, s, regions[i], img, results[i]);
  });

  spdlog::info("detection: '{}': regions searched ({:.2f} s)", out.path, since());
  // Merge in region order. Regions overlap (their windows and, for neighbouring marks,
  // their own parts): a hull found twice (centres within a quarter length) is kept once,
  // the higher-scoring record.
  struct Kept {
    size_t region;
    cv::Point2d center;
    int berth;
  };
  std::vector<Kept> kept;
  std::vector<Detection> dets;
  for (size_t i = 0; i < results.size(); ++i) {
    RegionResult& r = results[i];
    for (size_t j = 0; j < r.detections.size(); ++j) {
      Detection& d = r.detections[j];
      bool duplicate = false;
      for (size_t q = 0; q < kept.size(); ++q) {
        if (kept[q].region == i) continue;
        const double reach = 0.25 * std::max(d.length_m, dets[q].length_m) / gsd;
        if (cv::norm(kept[q].center - r.centers_px[j]) < reach) {
          if (d.detection_score > dets[q].detection_score) {
            dets[q] = std::move(d);
            kept[q] = {i, r.centers_px[j], r.berth_of[j]};
          }
          duplicate = true;
          break;
        }
      }
      if (duplicate) continue;
      kept.push_back({i, r.centers_px[j], r.berth_of[j]});
      dets.push_back(std::move(d));
    }
  }
  // Berth views from the berth windows themselves (small; imaged like every other window).
  for (size_t k = 0; k < berth_windows.size(); ++k) {
    const BerthWindow& bw = berth_windows[k];
    if (bw.window.empty()) continue;
    const PixelWindow& win = bw.window;
    const WindowPixels px = scene.ReadWindow(win);
    cv::Mat land = cv::Mat::zeros(win.height, win.width, CV_8U);
    for (const auto& rings : land_px) detail::FillPolygons(land, rings, win);
    ImagingOptions io = TileImagingOptions(gsd);
    io.fixed_stats = sh.stats;
    const RadiometricScale scale = sh.scale ? *sh.scale : EstimateScale(px, scene.pixel_type());
    const ImagingResult img = ProcessWindow(px, scale, land, io);
    detail::MeasureBerthView(bw, win, img, options.max_cloud_fraction_for_clear, out.berths[k]);
  }
  for (size_t q = 0; q < kept.size(); ++q) {
    // At coarse GSD the class is not resolved: any vessel at a berth occupies it.
    if (kept[q].berth >= 0 &&
        (dets[q].vessel_class == "tanker" || dets[q].vessel_class == "vessel"))
      out.berths[kept[q].berth].occupied = true;
  }
  if (valid_total == 0) throw NoDataError("detection", out.path, "scene holds no valid pixels");
  if (cloud_total >= 0.98 * valid_total) {
    throw NoDataError("detection", out.path, "fully clouded over the area searched");
  }
  out.detections = std::move(dets);
  spdlog::info("detection: '{}': {} detections", out.path, out.detections.size());
  return out;
}

}  // namespace bw
