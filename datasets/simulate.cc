#include "datasets/simulate.h"

#include <spdlog/spdlog.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "datasets/plan.h"
#include "datasets/truth.h"
#include "geo/error.h"
#include "geo/fleet.h"
#include "geo/terminal.h"

namespace bw::datasets {

namespace fs = std::filesystem;

namespace {

constexpr const char* kStage = "datasets.simulate";
constexpr int kRendererVersion = 1;

std::string Fnv1a(const std::string& s) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

LonLatRing Ring(const PlanGeo& geo, const Polygon2& poly) {
  LonLatRing ring;
  for (Vec2 p : poly) ring.push_back(geo.ToLonLat(p));
  ring.push_back(ring.front());
  return ring;
}

void WriteJson(const std::string& path, const nlohmann::json& j) {
  std::ofstream out(path);
  out << j.dump(1) << "\n";
  if (!out) throw Error(kStage, path, "cannot write file");
}

void WriteSidecar(const PlanGeo& geo, const ScenePlan& sp, double cloud_fraction,
                  const std::string& path) {
  const double w = sp.width_px * sp.gsd_m, h = sp.height_px * sp.gsd_m;
  const Polygon2 corners = {{sp.origin_x, sp.origin_y},
                            {sp.origin_x + w, sp.origin_y},
                            {sp.origin_x + w, sp.origin_y - h},
                            {sp.origin_x, sp.origin_y - h}};
  nlohmann::json ring = nlohmann::json::array();
  double lo0 = 1e9, la0 = 1e9, lo1 = -1e9, la1 = -1e9;
  for (const LonLat& ll : Ring(geo, corners)) {
    ring.push_back({ll.lon_deg, ll.lat_deg});
    lo0 = std::min(lo0, ll.lon_deg);
    lo1 = std::max(lo1, ll.lon_deg);
    la0 = std::min(la0, ll.lat_deg);
    la1 = std::max(la1, ll.lat_deg);
  }
  auto r4 = [](double v) { return std::round(v * 1e4) / 1e4; };
  nlohmann::json item = {{"type", "Feature"},
                         {"stac_version", "1.0.0"},
                         {"stac_extensions",
                          {"https://stac-extensions.github.io/view/v1.0.0/schema.json",
                           "https://stac-extensions.github.io/eo/v1.1.0/schema.json",
                           "https://stac-extensions.github.io/projection/v1.1.0/schema.json"}},
                         {"id", sp.id},
                         {"bbox", {lo0, la0, lo1, la1}},
                         {"geometry", {{"type", "Polygon"}, {"coordinates", {ring}}}},
                         {"properties",
                          {{"datetime", FormatTime(sp.time)},
                           {"platform", sp.platform},
                           {"gsd", sp.gsd_m},
                           {"view:sun_elevation", r4(sp.sun_elevation_deg)},
                           {"view:sun_azimuth", r4(sp.sun_azimuth_deg)},
                           {"view:off_nadir", r4(sp.off_nadir_deg)},
                           {"view:azimuth", r4(sp.view_azimuth_deg)},
                           {"eo:cloud_cover", std::round(cloud_fraction * 1000) / 10},
                           {"proj:epsg", std::stoi(sp.crs.substr(5))}}},
                         {"assets",
                          {{"image",
                            {{"href", "./" + sp.id + ".tif"},
                             {"type", "image/tiff; application=geotiff"},
                             {"roles", {"data"}}}}}},
                         {"links", nlohmann::json::array()}};
  WriteJson(path, item);
}

bool CacheComplete(const fs::path& dir, const std::string& key, bool preview, int& scenes) {
  const fs::path manifest = dir / "manifest.json";
  if (!fs::is_regular_file(manifest)) return false;
  std::ifstream in(manifest);
  const nlohmann::json m = nlohmann::json::parse(in, nullptr, false);
  if (m.is_discarded() || m.value("key", "") != key || !m.value("complete", false)) return false;
  for (const char* f : {"truth.json", "terminal.geojson", "fleet.csv"}) {
    if (!fs::is_regular_file(dir / f)) return false;
  }
  const auto ids = m.value("scenes", std::vector<std::string>{});
  for (const std::string& id : ids) {
    if (!fs::is_regular_file(dir / "scenes" / (id + ".tif")) ||
        !fs::is_regular_file(dir / "scenes" / (id + ".json"))) {
      return false;
    }
    if (preview && !fs::is_regular_file(dir / "preview" / (id + ".png"))) return false;
  }
  scenes = static_cast<int>(ids.size());
  return true;
}

}  // namespace

void SimulateOptions::Check() const {
  if (out_dir.empty()) throw InputError(kStage, "", "--out DIR is required");
  if (threads < 1 || threads > 256) throw InputError(kStage, "", "--threads must be 1..256");
}

SimulateResult Simulate(const SimulateOptions& options) {
  options.Check();
  const auto t0 = std::chrono::steady_clock::now();
  auto overrides = options.overrides;
  if (options.seed) overrides.emplace_back("seed", std::to_string(*options.seed));
  const Scenario scenario = LoadScenario(options.scenario, overrides);
  const fs::path dir(options.out_dir);
  const std::string key = Fnv1a(ScenarioToJson(scenario) + "#" + std::to_string(kRendererVersion));

  SimulateResult result;
  result.out_dir = dir.string();
  result.scenario = scenario.name;
  result.seed = scenario.seed;
  if (!options.force && options.only.empty() &&
      CacheComplete(dir, key, options.preview, result.scenes)) {
    std::ifstream in(dir / "truth.json");
    const nlohmann::json truth = nlohmann::json::parse(in, nullptr, false);
    if (!truth.is_discarded()) {
      result.vessels = static_cast<int>(truth.value("vessels", nlohmann::json::array()).size());
      for (const auto& v : truth.value("visits", nlohmann::json::array())) {
        ++result.visits;
        if (v.value("imaged", false)) ++result.visits_imaged;
      }
    }
    result.cached = true;
    spdlog::info("{}: '{}' already holds scenario '{}' seed {}; nothing to render", kStage,
                 dir.string(), scenario.name, scenario.seed);
    return result;
  }

  const Plan plan = BuildPlan(scenario);
  for (const std::string& id : options.only) {
    if (std::none_of(plan.scenes.begin(), plan.scenes.end(),
                     [&](const PlannedScene& ps) { return ps.plan.id == id; })) {
      throw InputError(kStage, "",
                       "--only: no scene '" + id + "' in scenario '" + scenario.name + "' seed " +
                           std::to_string(scenario.seed) + " (" +
                           std::to_string(plan.scenes.size()) + " scenes, from '" +
                           (plan.scenes.empty() ? std::string() : plan.scenes.front().plan.id) +
                           "')");
    }
  }
  std::error_code ec;
  fs::create_directories(dir / "scenes", ec);
  if (ec) throw Error(kStage, dir.string(), "cannot create output folder: " + ec.message());
  if (options.preview) fs::create_directories(dir / "preview", ec);
  fs::remove(dir / "manifest.json", ec);
  // Drop scenes of an earlier, different render.
  std::set<std::string> ids;
  for (const PlannedScene& ps : plan.scenes) ids.insert(ps.plan.id);
  for (const char* sub : {"scenes", "preview"}) {
    if (!fs::is_directory(dir / sub)) continue;
    for (const auto& e : fs::directory_iterator(dir / sub)) {
      const std::string stem = e.path().stem().string();
      if (stem.rfind("scene_", 0) == 0 && !ids.count(stem)) fs::remove(e.path(), ec);
    }
  }

  PlanGeo geo(plan.crs);
  Terminal terminal;
  terminal.path = (dir / "terminal.geojson").string();
  for (const BerthPlan& b : plan.berths) {
    terminal.features.push_back({FeatureKind::kBerth, b.name, {{Ring(geo, b.polygon)}}});
  }
  terminal.features.push_back({FeatureKind::kLand, "pier", {{Ring(geo, plan.pier)}}});
  for (const Polygon2& land : plan.land) {
    terminal.features.push_back({FeatureKind::kLand, "shore", {{Ring(geo, land)}}});
  }
  WriteTerminal(terminal.path, terminal);

  Fleet fleet;
  fleet.path = (dir / "fleet.csv").string();
  for (const HullInstance& v : plan.fleet) {
    fleet.vessels.push_back({v.name, v.length_m, v.beam_m, v.depth_m, v.draft_m, v.laden_draft_m});
  }
  WriteFleet(fleet.path, fleet);
  WriteTruth(plan, (dir / "truth.json").string());
  std::vector<const ScenePlan*> todo;
  for (const PlannedScene& ps : plan.scenes) {
    if (options.only.empty() ||
        std::find(options.only.begin(), options.only.end(), ps.plan.id) != options.only.end()) {
      todo.push_back(&ps.plan);
    }
  }
  for (const ScenePlan* sp : todo) {
    WriteSidecar(geo, *sp, SceneCloudFraction(*sp), (dir / "scenes" / (sp->id + ".json")).string());
  }

  // Render: scenes in parallel; a single scene gets the threads for its strips.
  std::atomic<int> done{0};
  const int n = static_cast<int>(todo.size());
  tbb::task_arena arena(options.threads);
  arena.execute([&] {
    tbb::parallel_for(0, n, 1, [&](int i) {
      const ScenePlan& sp = *todo[static_cast<size_t>(i)];
      RenderOptions ro;
      ro.threads = n == 1 ? options.threads : 1;
      if (options.preview) ro.preview_png = (dir / "preview" / (sp.id + ".png")).string();
      RenderScene(sp, (dir / "scenes" / (sp.id + ".tif")).string(), ro);
      const int k = ++done;
      spdlog::info("{}: rendered {} ({}/{})", kStage, sp.id, k, n);
    });
  });

  // A partial render is no cache of the scenario: a full one renders it all again.
  std::vector<std::string> rendered;
  for (const ScenePlan* sp : todo) rendered.push_back(sp->id);
  nlohmann::json manifest = {{"key", key},
                             {"scenario", scenario.name},
                             {"seed", scenario.seed},
                             {"renderer_version", kRendererVersion},
                             {"complete", options.only.empty()},
                             {"scenes", rendered}};
  WriteJson((dir / "manifest.json").string(), manifest);

  result.scenes = n;
  result.vessels = static_cast<int>(plan.fleet.size());
  result.visits = static_cast<int>(plan.visits.size());
  {
    std::ifstream in(dir / "truth.json");
    const nlohmann::json truth = nlohmann::json::parse(in, nullptr, false);
    for (const auto& v : truth.value("visits", nlohmann::json::array())) {
      if (v.value("imaged", false)) ++result.visits_imaged;
    }
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return result;
}

}  // namespace bw::datasets
