#include "datasets/truth.h"

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "geo/error.h"

namespace bw::datasets {

namespace {

constexpr double kCloudy = 0.3;  // opacity above which a point counts as under cloud
constexpr double kPi = 3.14159265358979323846;

Vec2 At(const HullInstance& h, double grid_from_true_deg, double u, double w) {
  const double a = (h.heading_deg + grid_from_true_deg) * kPi / 180.0;
  const Vec2 axis{std::sin(a), std::cos(a)};
  const Vec2 perp{axis.y, -axis.x};
  return {h.center.x + axis.x * u + perp.x * w, h.center.y + axis.y * u + perp.y * w};
}

struct HullView {
  double cloud_fraction = 0.0;
  bool inside = false;  // every sample point inside the valid raster
  bool visible = false;
};

HullView ViewOf(const ScenePlan& sp, const HullInstance& h) {
  HullView v;
  int n = 0, cloudy = 0, valid = 0;
  for (int i = 0; i < 9; ++i) {
    for (int j = 0; j < 3; ++j) {
      const Vec2 p = At(h, sp.grid_from_true_deg, (i / 8.0 - 0.5) * 0.9 * h.length_m,
                        (j / 2.0 - 0.5) * 0.8 * h.beam_m);
      ++n;
      if (GroundPointValid(sp, p)) ++valid;
      if (CloudOpacityAt(sp, p) > kCloudy) ++cloudy;
    }
  }
  v.cloud_fraction = static_cast<double>(cloudy) / n;
  v.inside = valid == n;
  v.visible = v.inside && v.cloud_fraction < 0.25;
  return v;
}

bool PolygonCovered(const ScenePlan& sp, const Polygon2& poly) {
  for (size_t i = 0; i < poly.size(); ++i) {
    const Vec2 a = poly[i], b = poly[(i + 1) % poly.size()];
    for (int k = 0; k < 4; ++k) {
      const double t = k / 4.0;
      if (!GroundPointValid(sp, {a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t})) return false;
    }
  }
  return true;
}

double Round(double v, double unit) {
  const double inv = std::round(1.0 / unit);
  return std::round(v * inv) / inv;
}

const char* KindName(HullKind k) {
  switch (k) {
    case HullKind::kTanker:
      return "tanker";
    case HullKind::kTug:
      return "tug";
    case HullKind::kBoat:
      return "boat";
  }
  return "";
}

}  // namespace

double SceneCloudFraction(const ScenePlan& sp) {
  if (!sp.clouds.enabled) return 0.0;
  const int n = 40;
  int valid = 0, cloudy = 0;
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) {
      const Vec2 g{sp.origin_x + sp.jitter_m.x + (i + 0.5) / n * sp.width_px * sp.gsd_m,
                   sp.origin_y + sp.jitter_m.y - (j + 0.5) / n * sp.height_px * sp.gsd_m};
      if (!GroundPointValid(sp, g)) continue;
      ++valid;
      if (CloudOpacityAt(sp, g) > kCloudy) ++cloudy;
    }
  }
  return valid > 0 ? static_cast<double>(cloudy) / valid : 0.0;
}

void WriteTruth(const Plan& plan, const std::string& path) {
  using nlohmann::json;
  PlanGeo geo(plan.crs);
  json vessels = json::array();
  for (const HullInstance& v : plan.fleet) {
    vessels.push_back({{"name", v.name},
                       {"length_m", v.length_m},
                       {"beam_m", v.beam_m},
                       {"depth_m", v.depth_m},
                       {"ballast_draft_m", v.draft_m},
                       {"laden_draft_m", v.laden_draft_m},
                       {"superstructure_height_m", Round(v.superstructure_height_m, 0.01)}});
  }
  std::vector<int> clear_obs(plan.visits.size(), 0);
  json scenes = json::array();
  for (const PlannedScene& ps : plan.scenes) {
    const ScenePlan& sp = ps.plan;
    json objects = json::array(), others = json::array();
    for (size_t i = 0; i < sp.hulls.size(); ++i) {
      const HullInstance& h = sp.hulls[i];
      const HullTruth& t = ps.truth[i];
      const HullView view = ViewOf(sp, h);
      const LonLat ll = geo.ToLonLat(h.center);
      json o = {{"lon", Round(ll.lon_deg, 1e-7)},
                {"lat", Round(ll.lat_deg, 1e-7)},
                {"heading_deg", Round(std::fmod(h.heading_deg + 360.0, 360.0), 0.001)},
                {"length_m", h.length_m},
                {"beam_m", h.beam_m},
                {"status", t.status},
                {"cloud_fraction", Round(view.cloud_fraction, 0.001)},
                {"visible", view.visible},
                {"in_scene", view.inside}};
      if (h.kind == HullKind::kTanker) {
        o["vessel"] = h.name;
        o["berth"] = t.berth;
        o["freeboard_m"] = Round(h.freeboard_m(), 0.001);
        o["draft_m"] = Round(h.draft_m, 0.001);
        o["load_fraction"] = Round(t.load_fraction, 0.001);
        o["load_state"] = LoadState(t.load_fraction);
        o["in_fleet"] = t.vessel >= 0;
        o["superstructure_height_m"] = Round(h.superstructure_height_m, 0.01);
        if (t.visit >= 0) {
          o["visit"] = t.visit;
          const bool berth_covered =
              PolygonCovered(sp, plan.berths[plan.visits[t.visit].berth].polygon);
          o["berth_covered"] = berth_covered;
          if (berth_covered && view.visible && view.cloud_fraction <= 0.1) ++clear_obs[t.visit];
        }
        objects.push_back(o);
      } else {
        o["kind"] = KindName(h.kind);
        others.push_back(o);
      }
    }
    scenes.push_back({{"scene_id", sp.id},
                      {"datetime", FormatTime(sp.time)},
                      {"cloud_fraction", Round(SceneCloudFraction(sp), 0.001)},
                      {"sun_elevation_deg", Round(sp.sun_elevation_deg, 1e-4)},
                      {"sun_azimuth_deg", Round(sp.sun_azimuth_deg, 1e-4)},
                      {"off_nadir_deg", Round(sp.off_nadir_deg, 1e-4)},
                      {"view_azimuth_deg", Round(sp.view_azimuth_deg, 1e-4)},
                      {"gsd_m", sp.gsd_m},
                      {"psf_sigma_px", Round(sp.look.psf_sigma_px, 1e-3)},
                      {"jitter_m", {Round(sp.jitter_m.x, 1e-3), Round(sp.jitter_m.y, 1e-3)}},
                      {"objects", objects},
                      {"other_objects", others}});
  }
  json visits = json::array();
  for (size_t i = 0; i < plan.visits.size(); ++i) {
    const VisitPlan& v = plan.visits[i];
    visits.push_back({{"vessel", plan.fleet[v.vessel].name},
                      {"berth", plan.berths[v.berth].name},
                      {"arrive", FormatTime(v.arrive)},
                      {"depart", FormatTime(v.depart)},
                      {"arrival_state", v.arrive_full ? "full" : "empty"},
                      {"departure_state", v.depart_full ? "full" : "empty"},
                      {"imaged", clear_obs[i] > 0},
                      {"clear_observations", clear_obs[i]}});
  }
  json berths = json::array();
  for (const BerthPlan& b : plan.berths) {
    const LonLat ll = geo.ToLonLat(b.center);
    berths.push_back(
        {{"name", b.name}, {"lon", Round(ll.lon_deg, 1e-7)}, {"lat", Round(ll.lat_deg, 1e-7)}});
  }
  json root = {{"scenario", plan.scenario.name},
               {"seed", plan.scenario.seed},
               {"crs", plan.crs},
               {"berths", berths},
               {"vessels", vessels},
               {"visits", visits},
               {"scenes", scenes}};
  std::ofstream out(path);
  out << root.dump(1) << "\n";
  if (!out) throw Error("datasets.truth", path, "cannot write truth file");
}

}  // namespace bw::datasets
