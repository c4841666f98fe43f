// Accuracy of the hull-cue stage alone on rendered scenarios (`berthwatch simulate`'s
// renderer): hulls are built from the truth, so candidate detection is not measured here.
// Seeds were not used for tuning. Prints the numbers. Built twice: with
// BW_FREEBOARD_TARGETS=0 the levels reached (label `accuracy`, in CI, Release only), with 1
// the targets not reached yet (label `target`).
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "datasets/simulate.h"
#include "detection/freeboard.h"
#include "geo/scene.h"

namespace bw {
namespace {

struct Outcome {
  double truth_f = 0, est_f = kNaN, sigma = kNaN, sun_hull_deg = 0;
  std::string truth_state, state, reason;
  double confidence = 0;
  bool observable = false;
};

struct RunSpec {
  std::string scenario;
  unsigned long long seed;
  std::vector<std::pair<std::string, std::string>> overrides;
};

std::string CacheDir(const RunSpec& r) {
  std::string name = r.scenario + "_" + std::to_string(r.seed);
  for (const auto& [k, v] : r.overrides) {
    if (k == "terminal.pier_azimuth_deg") name += "_az" + v;
  }
  return std::string(BW_FREEBOARD_CACHE_DIR) + "/" + name;
}

// Runs the freeboard + load stages on every moored, visible, nearly cloud-free tanker.
std::vector<Outcome> Measure(const RunSpec& run) {
  datasets::SimulateOptions so;
  so.scenario = run.scenario;
  so.out_dir = CacheDir(run);
  so.seed = run.seed;
  so.overrides = run.overrides;
  so.threads = 2;
  datasets::Simulate(so);

  std::ifstream in(so.out_dir + "/truth.json");
  const nlohmann::json truth = nlohmann::json::parse(in);
  std::map<std::string, FleetVessel> fleet;
  for (const auto& v : truth["vessels"]) {
    FleetVessel f;
    f.name = v["name"];
    f.length_m = v["length_m"];
    f.beam_m = v["beam_m"];
    f.depth_m = v["depth_m"];
    f.ballast_draft_m = v["ballast_draft_m"];
    f.laden_draft_m = v["laden_draft_m"];
    fleet[f.name] = f;
  }
  std::vector<Outcome> out;
  for (const auto& sc : truth["scenes"]) {
    std::vector<const nlohmann::json*> objects;
    for (const auto& o : sc["objects"]) {
      if (o.value("berth", "").empty() || o.value("status", "") != "moored") continue;
      if (!o.value("visible", false) || o.value("cloud_fraction", 1.0) > 0.2) continue;
      objects.push_back(&o);
    }
    if (objects.empty()) continue;
    const Scene scene =
        Scene::Open(so.out_dir + "/scenes/" + sc["scene_id"].get<std::string>() + ".tif");
    const double gsd = scene.gsd_m();
    for (const nlohmann::json* op : objects) {
      const nlohmann::json& o = *op;
      const double length = o["length_m"], beam = o["beam_m"];
      // The truth is the true position; the raster shows ground point g at nominal g - jitter
      // (north-up grid, metres east/north).
      PixelXY c = scene.pixel_from_lonlat({o["lon"], o["lat"]});
      c.x -= sc["jitter_m"][0].get<double>() / gsd;
      c.y += sc["jitter_m"][1].get<double>() / gsd;
      const int half = static_cast<int>(0.5 * length / gsd + 40.0 / gsd);
      PixelWindow w{static_cast<int>(c.x) - half, static_cast<int>(c.y) - half, 2 * half, 2 * half};
      const int x1 = std::min(scene.width(), w.x0 + w.width);
      const int y1 = std::min(scene.height(), w.y0 + w.height);
      w.x0 = std::max(0, w.x0);
      w.y0 = std::max(0, w.y0);
      w.width = x1 - w.x0;
      w.height = y1 - w.y0;
      if (w.width < 16 || w.height < 16) continue;
      const WindowPixels px = scene.ReadWindow(w);
      PixelGeometry geom = PixelGeometryAt(scene, c);

      HullImage image;
      for (int b = 0; b < 4; ++b) {
        if (!px.bands[b].empty()) px.bands[b].convertTo(image.bands[b], CV_32F, 1e-4);
      }
      image.psf_sigma_px = 0.55;
      // Water by NDWI; anything else that is not this hull blocks a station.
      cv::Mat ndwi = (image.bands[1] - image.bands[3]) / (image.bands[1] + image.bands[3] + 1e-6);
      cv::Mat not_water = ndwi < 0.15;
      cv::morphologyEx(not_water, not_water, cv::MORPH_OPEN,
                       cv::getStructuringElement(cv::MORPH_RECT, {3, 3}));
      Hull hull;
      const cv::Point2d centre(c.x - w.x0, c.y - w.y0);
      hull.axis_px = PixelDirectionFromAzimuth(scene, c, o["heading_deg"]);
      hull.bow_resolved = true;
      hull.length_px = length / gsd;
      hull.beam_px = beam / gsd;
      // The deck as imaged leans away from the sensor; the class depth gives its size.
      const double lean_m =
          0.5 * TankerClassProportions(length).depth_m * std::tan(geom.off_nadir_deg * M_PI / 180);
      hull.center_px = centre + geom.relief_dir_px * (lean_m / gsd);
      cv::Mat own(not_water.size(), CV_8U, cv::Scalar(0));
      const cv::Point2d a = hull.axis_px, n(-a.y, a.x);
      for (double shift : {0.0, 2.0 * lean_m / gsd}) {
        const cv::Point2d cc = centre + geom.relief_dir_px * shift;
        const double hl = 0.5 * hull.length_px + 3.0 / gsd, hb = 0.5 * hull.beam_px + 1.5 / gsd;
        std::vector<cv::Point> poly;
        for (auto p : {cc + a * hl + n * hb, cc + a * hl - n * hb, cc - a * hl - n * hb,
                       cc - a * hl + n * hb}) {
          poly.emplace_back(static_cast<int>(std::lround(p.x)), static_cast<int>(std::lround(p.y)));
        }
        cv::fillConvexPoly(own, poly, cv::Scalar(255));
      }
      cv::Mat invalid = px.valid == 0;
      image.blocked = (not_water & ~own) | invalid;
      image.water = ~not_water;

      Outcome r;
      r.truth_f = o["freeboard_m"];
      r.truth_state = o["load_state"];
      const double cross =
          std::abs(hull.axis_px.x * geom.to_sun_px.y - hull.axis_px.y * geom.to_sun_px.x);
      r.sun_hull_deg = std::asin(std::min(1.0, cross)) * 180 / M_PI;
      const FreeboardEstimate fe = EstimateFreeboard(image, hull, geom);
      const auto it = fleet.find(o["vessel"].get<std::string>());
      const LoadEstimate le =
          EstimateLoad(fe, length, beam, it == fleet.end() ? nullptr : &it->second);
      r.observable = fe.observable;
      r.est_f = fe.freeboard_m;
      r.sigma = fe.sigma_m;
      r.reason = fe.observable ? le.reason : fe.reason;
      r.state = ToString(le.state);
      r.confidence = le.confidence;
      out.push_back(r);
      if (const char* dbg = std::getenv("BW_FB_DEBUG")) {
        // Quicklook of the window, blocked pixels in magenta, hull centre/axis in green.
        std::vector<cv::Mat> bgr = {image.bands[2] * 1200, image.bands[1] * 1200,
                                    image.bands[0] * 1200};
        cv::Mat q;
        cv::merge(bgr, q);
        q.convertTo(q, CV_8UC3);
        q.setTo(cv::Scalar(255, 0, 255), image.blocked);
        cv::line(q, hull.center_px - hull.axis_px * (hull.length_px / 2),
                 hull.center_px + hull.axis_px * (hull.length_px / 2), {0, 255, 0});
        const std::string name = std::string(dbg) + "/" + sc["scene_id"].get<std::string>() + "_" +
                                 std::to_string(out.size()) + ".png";
        cv::imwrite(name, q);
        std::printf("%zu truth f %.2f est %.2f +- %.2f %s sun-hull %.0f [%s]\n", out.size(),
                    r.truth_f, r.est_f, r.sigma, r.state.c_str(), r.sun_hull_deg, r.reason.c_str());
      }
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> Overrides(const std::string& pier_az, int days,
                                                           double scene_m) {
  return {{"terminal.pier_azimuth_deg", pier_az},
          {"acquisition.start", "2024-05-10"},
          {"acquisition.end", "2024-05-" + std::to_string(10 + days)},
          {"acquisition.scene_width_m", std::to_string(scene_m)},
          {"acquisition.scene_height_m", std::to_string(scene_m)},
          {"acquisition.partial_probability", "0"},
          {"acquisition.swath_edge_probability", "0"},
          {"acquisition.capture_probability", "1"},
          {"clouds.clear_probability", "0.8"},
          {"clouds.overcast_probability", "0.05"},
          {"schedule.visit_count", std::to_string(days + 2)},
          {"schedule.reverse_visits", "2"},
          {"schedule.min_dwell_days", "0.6"},
          {"schedule.max_dwell_days", "1.6"},
          {"schedule.min_gap_hours", "3"}};
}

// The 0.5 m numbers over four short seasons with the sun 30-90 deg off the hull axis.
struct HalfMetreSummary {
  int n = 0, n_obs = 0, n_ef = 0, n_ef_stated = 0, n_ef_right = 0, n_ef_unknown = 0;
  double abs_err = 0;
};

HalfMetreSummary MeasureHalfMetre() {
  if (std::getenv("BW_FB_DEBUG")) spdlog::set_level(spdlog::level::debug);
  std::vector<Outcome> all;
  // Pier (and hull) azimuths put the late-morning sun 30-90 deg off the hull axis.
  for (const auto& [az, seed] : std::vector<std::pair<std::string, unsigned long long>>{
           {"60", 4101}, {"105", 4102}, {"20", 4103}, {"75", 4104}}) {
    const auto o = Measure({"default", seed, Overrides(az, 10, 600)});
    all.insert(all.end(), o.begin(), o.end());
  }
  HalfMetreSummary m;
  std::map<std::string, int> reasons;
  for (const auto& r : all) {
    if (r.sun_hull_deg < 25) continue;
    ++m.n;
    if (r.observable) {
      ++m.n_obs;
      m.abs_err += std::abs(r.est_f - r.truth_f);
    } else {
      ++reasons[r.reason];
    }
    if (r.truth_state == "empty" || r.truth_state == "full") {
      ++m.n_ef;
      if (r.state == "unknown") {
        ++m.n_ef_unknown;
      } else {
        ++m.n_ef_stated;
        m.n_ef_right += r.state == r.truth_state ? 1 : 0;
      }
    }
  }
  std::printf("0.5 m GSD, sun >= 25 deg off the hull: %d tankers, %d with freeboard\n", m.n,
              m.n_obs);
  std::printf("  freeboard MAE %.3f m\n", m.n_obs ? m.abs_err / m.n_obs : kNaN);
  std::printf("  truly empty/full: %d, stated %d, right %d (%.1f %%), unknown %d (%.1f %%)\n",
              m.n_ef, m.n_ef_stated, m.n_ef_right,
              100.0 * m.n_ef_right / std::max(1, m.n_ef_stated), m.n_ef_unknown,
              100.0 * m.n_ef_unknown / std::max(1, m.n_ef));
  for (const auto& [k, v] : reasons) std::printf("  unobservable: %s x%d\n", k.c_str(), v);
  return m;
}

#if !BW_FREEBOARD_TARGETS
// Issue 4's freeboard MAE (0.35 m) and state accuracy (97 %) at 0.5 m: reached on these
// seasons (0.305 m, 11 of 11 on 2026-12-07; 0.166 m, 10 of 10 at detector 2026-12-07.12,
// which reads the shaded hull side and drops stations a structure's shadow reaches), so they
// guard it in CI. A gap model that read
// a pier's blur tail as lit water took the MAE to 0.69 m here while seeds 2/3/7 of
// `default` looked better; this test caught it.
TEST(FreeboardAccuracy, HalfMetreGsd) {
  const HalfMetreSummary m = MeasureHalfMetre();
  ASSERT_GE(m.n_obs, 10);
  EXPECT_LE(m.abs_err / m.n_obs, 0.35);
  EXPECT_GE(static_cast<double>(m.n_ef_right) / std::max(1, m.n_ef_stated), 0.97);
}
#else
// Issue 4: `unknown` for at most 10 % of the truly empty or full tankers with the sun at
// least 25 deg off their axis. Not reached (59 % on 2026-12-07): where the shadow side faces
// the pier the shadow runs into it, and the lit hull side is under a pixel wide.
TEST(FreeboardAccuracy, HalfMetreGsdUnknownShare) {
  const HalfMetreSummary m = MeasureHalfMetre();
  ASSERT_GE(m.n_ef, 10);
  EXPECT_LE(static_cast<double>(m.n_ef_unknown) / m.n_ef, 0.10);
}
#endif

#if !BW_FREEBOARD_TARGETS
TEST(FreeboardAccuracy, ThreeMetreGsdNoConfidentNonsense) {
  std::vector<Outcome> all;
  for (const auto& [az, seed] :
       std::vector<std::pair<std::string, unsigned long long>>{{"60", 4201}, {"20", 4202}}) {
    const auto o = Measure({"planetscope", seed, Overrides(az, 16, 1500)});
    all.insert(all.end(), o.begin(), o.end());
  }
  int n = 0, confident = 0, confident_right = 0, unknown = 0;
  for (const auto& r : all) {
    ++n;
    if (r.state == "unknown") ++unknown;
    if (r.state != "unknown" && r.confidence >= 0.8) {
      ++confident;
      confident_right += r.state == r.truth_state ? 1 : 0;
    }
  }
  std::printf("3 m GSD: %d tankers, unknown %d (%.1f %%), confident (>= 0.8) %d, right %d\n", n,
              unknown, 100.0 * unknown / std::max(1, n), confident, confident_right);
  ASSERT_GE(n, 10);
  if (confident > 0) {
    EXPECT_GE(static_cast<double>(confident_right) / confident, 0.9);
  }
}

#endif

}  // namespace
}  // namespace bw
