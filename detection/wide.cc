#include "detection/wide.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <opencv2/imgproc.hpp>
#include <optional>
#include <thread>

#include "detection/candidate.h"
#include "detection/hulls.h"
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
}

std::vector<WideTile> WideTiles(int width, int height, int core_px, int halo_px) {
  std::vector<WideTile> tiles;
  if (width <= 0 || height <= 0) return tiles;
  // Equal cores (to within a pixel) rather than a ragged last tile.
  const int nx = std::max(1, (width + core_px - 1) / core_px);
  const int ny = std::max(1, (height + core_px - 1) / core_px);
  for (int ty = 0; ty < ny; ++ty) {
    const int y0 = static_cast<int>(static_cast<long long>(height) * ty / ny);
    const int y1 = static_cast<int>(static_cast<long long>(height) * (ty + 1) / ny);
    for (int tx = 0; tx < nx; ++tx) {
      const int x0 = static_cast<int>(static_cast<long long>(width) * tx / nx);
      const int x1 = static_cast<int>(static_cast<long long>(width) * (tx + 1) / nx);
      WideTile t;
      t.core = {x0, y0, x1 - x0, y1 - y0};
      const int wx0 = std::max(0, x0 - halo_px), wy0 = std::max(0, y0 - halo_px);
      const int wx1 = std::min(width, x1 + halo_px), wy1 = std::min(height, y1 + halo_px);
      t.window = {wx0, wy0, wx1 - wx0, wy1 - wy0};
      tiles.push_back(t);
    }
  }
  return tiles;
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

struct TileResult {
  std::vector<Detection> detections;
  std::vector<cv::Point2d> centers_px;  // scene pixels, for the seam check
  long long valid = 0, cloud = 0;       // over the core
  std::vector<long long> berth_inside, berth_valid, berth_cloud;  // over the core
  std::vector<int> berth_of;                                      // per detection, -1 none
};

struct Shared {
  const Scene* scene = nullptr;
  const Fleet* fleet = nullptr;
  const DetectOptions* options = nullptr;
  const std::vector<BerthWindow>* bws = nullptr;
  const std::vector<std::vector<std::vector<PixelXY>>>* land_px = nullptr;
  const SceneDetections* header = nullptr;
  // From the scene sample; when the sample misses every valid pixel (a scene that is
  // mostly nodata), each tile falls back to its own.
  std::optional<RadiometricScale> scale;
  std::optional<WaterStats> stats;
  bool have_sun = false;
};

// Reads, images and searches one tile; keeps the candidates centred in its core.
void ProcessTile(const Shared& sh, const Scene& scene, const WideTile& tile, ImagingResult& img,
                 TileResult& res) {
  const double gsd = sh.header->gsd_m;
  const PixelWindow& win = tile.window;
  const std::vector<BerthWindow>& bws = *sh.bws;
  res.berth_inside.assign(bws.size(), 0);
  res.berth_valid.assign(bws.size(), 0);
  res.berth_cloud.assign(bws.size(), 0);
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
  const cv::Rect core(tile.core.x0 - win.x0, tile.core.y0 - win.y0, tile.core.width,
                      tile.core.height);
  res.valid = cv::countNonZero(img.valid(core));
  res.cloud = cv::countNonZero(img.cloud(core));
  for (size_t k = 0; k < bws.size(); ++k) {
    const BerthWindow& bw = bws[k];
    if (bw.window.empty()) continue;
    const cv::Rect bwr(bw.window.x0 - win.x0, bw.window.y0 - win.y0, bw.window.width,
                       bw.window.height);
    if ((bwr & core).area() == 0) continue;
    cv::Mat m = cv::Mat::zeros(win.height, win.width, CV_8U);
    detail::FillPolygons(m, bw.polygon_px, win);
    const cv::Mat mc = m(core);
    res.berth_inside[k] = cv::countNonZero(mc);
    res.berth_valid[k] = cv::countNonZero(mc & img.valid(core));
    res.berth_cloud[k] = cv::countNonZero(mc & img.cloud(core));
  }

  HullFitOptions ho;
  ho.gsd_m = gsd;
  const std::vector<HullCandidate> cands = FindHulls(img, ho);
  const cv::Mat all_hulls = detail::DrawHulls(cands, cv::Size(win.width, win.height));
  for (const HullCandidate& c : cands) {
    // Ownership by the centre: pixel coordinates have pixel centres at +0.5.
    const cv::Point2d cs(c.hull.center_px.x + win.x0, c.hull.center_px.y + win.y0);
    const auto& k = tile.core;
    if (!(cs.x >= k.x0 && cs.x < k.x0 + k.width && cs.y >= k.y0 && cs.y < k.y0 + k.height))
      continue;
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

}  // namespace

SceneDetections DetectWideScene(const Scene& scene, const Terminal* terminal, const Fleet* fleet,
                                const DetectOptions& options,
                                const std::vector<BerthWindow>& berth_windows,
                                SceneDetections header, const WideOptions& wide) {
  options.Check();
  wide.Check();
  // GDAL's block cache otherwise defaults to 5 % of RAM and grows with the scene; a tile's
  // blocks (all bands) per worker are all that is re-used. An explicit setting wins.
  setenv("GDAL_CACHEMAX", "64", 0);
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
  sh.bws = &berth_windows;
  sh.land_px = &land_px;
  sh.header = &out;
  sh.have_sun = !std::isnan(out.sun_elevation_deg) && !std::isnan(out.sun_azimuth_deg);
  {
    const WindowPixels sample = SceneSample(scene);
    if (cv::countNonZero(sample.valid) > 0) {
      sh.scale = EstimateScale(sample, scene.pixel_type());
      sh.stats = ProcessWindow(sample, *sh.scale, cv::Mat(), TileImagingOptions(gsd)).stats;
    } else {
      spdlog::warn("detection: '{}': no valid pixels in the scene sample; per-tile statistics",
                   out.path);
    }
  }

  const int halo = WideHaloPx(wide, gsd);
  const std::vector<WideTile> tiles = WideTiles(scene.width(), scene.height(), wide.core_px, halo);
  int workers = wide.workers > 0 ? wide.workers : options.threads;
  if (workers <= 0) workers = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  workers = std::min<int>(workers, static_cast<int>(tiles.size()));
  spdlog::info("detection: '{}': wide search in {} tiles ({} px cores, {} px halo), {} workers",
               out.path, tiles.size(), wide.core_px, halo, workers);

  std::vector<TileResult> results(tiles.size());
  std::atomic<size_t> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto work = [&](bool own_scene) {
    try {
      // A GDAL dataset is not thread-safe: every extra worker reads through its own.
      std::optional<Scene> mine;
      if (own_scene) mine.emplace(Scene::Open(scene.path()));
      const Scene& s = own_scene ? *mine : scene;
      ImagingResult img;  // buffers re-used from tile to tile
      for (size_t i = next++; i < tiles.size(); i = next++) {
        ProcessTile(sh, s, tiles[i], img, results[i]);
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mutex);
      if (!error) error = std::current_exception();
      next = tiles.size();
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < workers; ++t) pool.emplace_back(work, true);
  work(false);
  for (auto& th : pool) th.join();
  if (error) std::rethrow_exception(error);

  // Merge in tile order. A vessel on a seam is owned by one tile; should two neighbouring
  // tiles each place its centre in their own core (centres a fraction of a pixel apart
  // across the seam), the higher-scoring record is kept.
  long long valid_total = 0, cloud_total = 0;
  std::vector<long long> inside(berth_windows.size()), valid(berth_windows.size()),
      cloud(berth_windows.size());
  struct Kept {
    size_t tile;
    cv::Point2d center;
    int berth;
  };
  std::vector<Kept> kept;
  std::vector<Detection> dets;
  for (size_t i = 0; i < results.size(); ++i) {
    TileResult& r = results[i];
    valid_total += r.valid;
    cloud_total += r.cloud;
    for (size_t k = 0; k < r.berth_inside.size(); ++k) {
      inside[k] += r.berth_inside[k];
      valid[k] += r.berth_valid[k];
      cloud[k] += r.berth_cloud[k];
    }
    for (size_t j = 0; j < r.detections.size(); ++j) {
      Detection& d = r.detections[j];
      bool duplicate = false;
      for (size_t q = 0; q < kept.size(); ++q) {
        if (kept[q].tile == i) continue;
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
  for (size_t k = 0; k < berth_windows.size(); ++k) {
    if (inside[k] == 0) continue;
    BerthView& v = out.berths[k];
    v.valid_fraction = berth_windows[k].covered_fraction * valid[k] / inside[k];
    v.cloud_fraction = valid[k] > 0 ? static_cast<double>(cloud[k]) / inside[k] : 0.0;
    v.clear = v.coverage == Coverage::kFull &&
              (1.0 - v.valid_fraction) + v.cloud_fraction <= options.max_cloud_fraction_for_clear;
  }
  for (size_t q = 0; q < kept.size(); ++q) {
    if (kept[q].berth >= 0 && dets[q].vessel_class == "tanker")
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
