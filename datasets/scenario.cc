#include "datasets/scenario.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "geo/error.h"
#include "geo/types.h"

namespace bw::datasets {

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(TerminalLayout, name, lon_deg, lat_deg,
                                                pier_azimuth_deg, pier_length_m, pier_width_m,
                                                pier_height_m, berth_count, berth_length_m,
                                                berth_width_m, coast_roughness_m, storage_tanks)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(VesselSpec, name, length_m, beam_m, depth_m,
                                                ballast_draft_m, laden_draft_m)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(FleetSpec, count, min_length_m, max_length_m,
                                                vessels)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(VisitSpec, vessel, berth, arrive, depart,
                                                arrival_state, departure_state)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ScheduleSpec, visit_count, reverse_visits,
                                                min_dwell_days, max_dwell_days, min_gap_hours,
                                                min_turnaround_days, visits)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(AcquisitionSpec, start, end, revisit_days,
                                                capture_probability, local_time_min_h,
                                                local_time_max_h, max_off_nadir_deg, gsd_m,
                                                scene_width_m, scene_height_m, max_offset_m,
                                                partial_probability, swath_edge_probability,
                                                jitter_m, platform, times)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(CloudSpec, clear_probability, overcast_probability,
                                                max_broken_cover, min_height_m, max_height_m,
                                                max_haze)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(RenderSpec, supersample, strip_rows,
                                                min_psf_sigma_px, max_psf_sigma_px, noise, clouds,
                                                max_tugs, max_boats, passing_tanker_probability,
                                                nir)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(WideSpec, width_px, height_px, vessels,
                                                min_length_m, max_length_m, block_size)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Scenario, name, seed, terminal, fleet, schedule,
                                                acquisition, clouds, render, wide)

namespace {

constexpr const char* kStage = "datasets.scenario";

Scenario Builtin(const std::string& name) {
  Scenario s;
  s.name = name;
  if (name == "default") return s;
  if (name == "smoke") {
    s.seed = 7;
    s.terminal.berth_count = 2;
    s.terminal.storage_tanks = 2;
    s.fleet.count = 3;
    s.fleet.min_length_m = 80.0;
    s.fleet.max_length_m = 120.0;
    s.schedule.visit_count = 4;
    s.schedule.reverse_visits = 1;
    s.schedule.min_dwell_days = 1.0;
    s.schedule.max_dwell_days = 2.0;
    s.schedule.min_turnaround_days = 1.0;
    s.acquisition.start = "2024-06-01";
    s.acquisition.end = "2024-06-06";
    s.acquisition.capture_probability = 1.0;
    s.acquisition.scene_width_m = 420.0;
    s.acquisition.scene_height_m = 420.0;
    s.render.supersample = 2;
    s.acquisition.max_offset_m = 40.0;
    s.acquisition.partial_probability = 0.2;
    s.clouds.clear_probability = 0.6;
    s.clouds.overcast_probability = 0.15;
    s.render.max_tugs = 1;
    s.render.max_boats = 2;
    return s;
  }
  if (name == "planetscope") {
    s.acquisition.gsd_m = 3.0;
    s.acquisition.capture_probability = 0.92;
    s.acquisition.scene_width_m = 1500.0;
    s.acquisition.scene_height_m = 1500.0;
    s.acquisition.max_off_nadir_deg = 5.0;
    s.acquisition.jitter_m = 3.0;
    s.acquisition.platform = "bw-sim-planetscope";
    s.render.supersample = 4;
    s.render.min_psf_sigma_px = 0.6;
    s.render.max_psf_sigma_px = 0.9;
    return s;
  }
  if (name == "wide") {
    s.seed = 11;
    s.terminal.berth_count = 4;
    s.acquisition.gsd_m = 0.8;
    s.acquisition.times = {"2024-07-15T02:05:00Z"};
    s.acquisition.jitter_m = 0.0;
    s.acquisition.swath_edge_probability = 0.0;
    s.render.supersample = 2;
    s.render.strip_rows = 64;
    s.wide.width_px = 12000;
    s.wide.height_px = 12000;
    s.wide.vessels = 150;
    s.clouds.clear_probability = 0.0;
    s.clouds.overcast_probability = 0.0;
    s.clouds.max_broken_cover = 0.2;
    return s;
  }
  throw InputError(kStage, name, "unknown scenario (built-in: default, smoke, planetscope, wide)");
}

// Every key of `given` must exist in `known` (the full serialisation of the parsed value).
void CheckKeys(const nlohmann::json& given, const nlohmann::json& known, const std::string& where,
               const std::string& file) {
  if (!given.is_object() || !known.is_object()) return;
  for (auto it = given.begin(); it != given.end(); ++it) {
    const std::string path = where.empty() ? it.key() : where + "." + it.key();
    if (!known.contains(it.key())) throw InputError(kStage, file, "unknown key '" + path + "'");
    CheckKeys(it.value(), known.at(it.key()), path, file);
  }
}

void SetDotted(nlohmann::json& root, const std::string& key, const std::string& value,
               const std::string& file) {
  nlohmann::json* node = &root;
  std::stringstream ss(key);
  std::string part;
  std::vector<std::string> parts;
  while (std::getline(ss, part, '.')) parts.push_back(part);
  if (parts.empty()) throw InputError(kStage, file, "empty --set key");
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    if (!node->contains(parts[i])) (*node)[parts[i]] = nlohmann::json::object();
    node = &(*node)[parts[i]];
    if (!node->is_object()) throw InputError(kStage, file, "'" + key + "' is not an object path");
  }
  nlohmann::json v = nlohmann::json::parse(value, nullptr, /*allow_exceptions=*/false);
  if (v.is_discarded()) v = value;
  (*node)[parts.back()] = v;
}

void Require(bool ok, const std::string& what) {
  if (!ok) throw InputError(kStage, "", what);
}

}  // namespace

std::vector<std::string> BuiltinScenarioNames() {
  return {"default", "smoke", "planetscope", "wide"};
}

void Scenario::Check() const {
  Require(terminal.lat_deg > -80 && terminal.lat_deg < 84, "terminal.lat_deg outside UTM range");
  Require(terminal.lon_deg >= -180 && terminal.lon_deg <= 180, "terminal.lon_deg out of range");
  Require(terminal.berth_count >= 1 && terminal.berth_count <= 4,
          "terminal.berth_count must be 1..4");
  Require(terminal.pier_length_m > 50 && terminal.pier_width_m > 2 && terminal.pier_height_m > 0,
          "terminal pier dimensions must be positive (length > 50 m)");
  Require(terminal.berth_length_m > 20 && terminal.berth_width_m > 5, "berth dimensions too small");
  Require(fleet.count >= 1 || !fleet.vessels.empty(), "fleet.count must be >= 1");
  Require(fleet.min_length_m >= 20 && fleet.max_length_m >= fleet.min_length_m,
          "fleet length range invalid (min >= 20 m, max >= min)");
  for (const auto& v : fleet.vessels) {
    Require(!v.name.empty(), "fleet.vessels: a vessel without a name");
    Require(v.length_m > 0 && v.beam_m > 0 && v.depth_m > 0,
            "fleet.vessels '" + v.name + "': non-positive dimension");
    Require(
        v.ballast_draft_m > 0 && v.ballast_draft_m < v.laden_draft_m && v.laden_draft_m < v.depth_m,
        "fleet.vessels '" + v.name + "': need 0 < ballast < laden draft < depth");
  }
  Require(schedule.visit_count >= 0 && schedule.reverse_visits >= 0 &&
              schedule.reverse_visits <= schedule.visit_count,
          "schedule.visit_count / reverse_visits invalid");
  Require(schedule.min_dwell_days > 0 && schedule.max_dwell_days >= schedule.min_dwell_days,
          "schedule dwell range invalid");
  for (const auto& v : schedule.visits) {
    Require(
        ParseTime(v.arrive) && ParseTime(v.depart) && *ParseTime(v.arrive) < *ParseTime(v.depart),
        "schedule.visits: bad arrive/depart for '" + v.vessel + "'");
    for (const auto* st : {&v.arrival_state, &v.departure_state}) {
      Require(*st == "empty" || *st == "full", "schedule.visits: states are 'empty' or 'full'");
    }
  }
  Require(ParseTime(acquisition.start).has_value(), "acquisition.start is not a date");
  Require(ParseTime(acquisition.end).has_value(), "acquisition.end is not a date");
  Require(*ParseTime(acquisition.start) <= *ParseTime(acquisition.end), "acquisition.end < start");
  for (const auto& t : acquisition.times) {
    Require(ParseTime(t).has_value(), "acquisition.times: '" + t + "' is not a time");
  }
  Require(acquisition.revisit_days > 0, "acquisition.revisit_days must be > 0");
  Require(acquisition.capture_probability >= 0 && acquisition.capture_probability <= 1,
          "acquisition.capture_probability must be 0..1");
  Require(acquisition.gsd_m >= 0.1 && acquisition.gsd_m <= 30, "acquisition.gsd_m must be 0.1..30");
  Require(acquisition.max_off_nadir_deg >= 0 && acquisition.max_off_nadir_deg <= 45,
          "acquisition.max_off_nadir_deg must be 0..45");
  Require(acquisition.local_time_min_h >= 6 && acquisition.local_time_max_h <= 18 &&
              acquisition.local_time_min_h <= acquisition.local_time_max_h,
          "acquisition local time window must lie within 6..18 h");
  const double w_px = acquisition.scene_width_m / acquisition.gsd_m;
  const double h_px = acquisition.scene_height_m / acquisition.gsd_m;
  Require(w_px >= 32 && h_px >= 32 && w_px <= 8192 && h_px <= 8192,
          "scene size must be 32..8192 px (scene_*_m / gsd_m)");
  Require(clouds.clear_probability >= 0 && clouds.overcast_probability >= 0 &&
              clouds.clear_probability + clouds.overcast_probability <= 1,
          "clouds: probabilities must be >= 0 and sum to <= 1");
  Require(clouds.max_broken_cover >= 0.05 && clouds.max_broken_cover <= 1,
          "clouds.max_broken_cover must be 0.05..1");
  Require(clouds.min_height_m > 0 && clouds.max_height_m >= clouds.min_height_m,
          "clouds height range invalid");
  Require(render.supersample >= 1 && render.supersample <= 8, "render.supersample must be 1..8");
  Require(render.strip_rows >= 8 && render.strip_rows <= 4096, "render.strip_rows must be 8..4096");
  Require(render.min_psf_sigma_px >= 0 && render.max_psf_sigma_px >= render.min_psf_sigma_px &&
              render.max_psf_sigma_px <= 3,
          "render psf sigma range invalid (0..3 px)");
  if (wide.vessels > 0) {
    Require(wide.width_px >= 256 && wide.height_px >= 256 && wide.width_px <= 60000 &&
                wide.height_px <= 60000,
            "wide size must be 256..60000 px");
    Require(wide.min_length_m >= 5 && wide.max_length_m >= wide.min_length_m,
            "wide length range invalid");
    Require(wide.block_size >= 64 && wide.block_size % 16 == 0,
            "wide.block_size must be a multiple of 16");
  }
}

Scenario LoadScenario(const std::string& name_or_path,
                      const std::vector<std::pair<std::string, std::string>>& overrides) {
  nlohmann::json j;
  std::string file;
  const auto names = BuiltinScenarioNames();
  if (std::find(names.begin(), names.end(), name_or_path) != names.end()) {
    j = Builtin(name_or_path);
  } else {
    file = name_or_path;
    if (!std::filesystem::is_regular_file(file)) {
      throw InputError(kStage, file,
                       "no such scenario file or built-in name (built-in: default, "
                       "smoke, planetscope, wide)");
    }
    std::ifstream in(file);
    nlohmann::json given = nlohmann::json::parse(in, nullptr, false);
    if (given.is_discarded() || !given.is_object()) {
      throw InputError(kStage, file, "not a JSON object");
    }
    // A file may start from a built-in: {"base": "smoke", ...}.
    std::string base = "default";
    if (given.contains("base")) {
      if (!given["base"].is_string()) throw InputError(kStage, file, "'base' must be a string");
      base = given["base"].get<std::string>();
      given.erase("base");
    }
    j = Builtin(base);
    if (!given.contains("name")) given["name"] = std::filesystem::path(file).stem().string();
    j.merge_patch(given);
    j["__given"] = given;
  }
  nlohmann::json given = j.contains("__given") ? j["__given"] : nlohmann::json::object();
  j.erase("__given");
  for (const auto& [key, value] : overrides) {
    SetDotted(j, key, value, file);
    SetDotted(given, key, value, file);
  }
  Scenario s;
  try {
    s = j.get<Scenario>();
  } catch (const nlohmann::json::exception& e) {
    throw InputError(kStage, file, std::string("bad value: ") + e.what());
  }
  CheckKeys(given, nlohmann::json(s), "", file);
  try {
    s.Check();
  } catch (const InputError& e) {
    throw InputError(kStage, file.empty() ? name_or_path : file, e.problem());
  }
  return s;
}

std::string ScenarioToJson(const Scenario& scenario) { return nlohmann::json(scenario).dump(); }

}  // namespace bw::datasets
