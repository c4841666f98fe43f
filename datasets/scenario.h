// A synthetic scenario: where the terminal is, which tankers visit it and when, and how it is
// imaged. Scenarios are JSON files (documented in datasets/README.md) or built-in names;
// every field has a default, so a file only states what differs. Units are in the names.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace bw::datasets {

// Layout of a jetty terminal: a straight pier running out from a coastline, berths along
// both sides of it.
struct TerminalLayout {
  std::string name = "Vostochny oil terminal";
  double lon_deg = 133.07;  // pier centre
  double lat_deg = 42.74;
  // From the shore out to sea, clockwise from true north. 60 puts the late-morning sun
  // (azimuth ~150) across the hulls, where their shadows tell the freeboard.
  double pier_azimuth_deg = 60.0;
  double pier_length_m = 420.0;
  double pier_width_m = 16.0;
  double pier_height_m = 4.5;  // deck above the water
  int berth_count = 3;         // 1..4
  double berth_length_m = 170.0;
  double berth_width_m = 40.0;
  double coast_roughness_m = 25.0;  // amplitude of the fractal coastline
  int storage_tanks = 6;            // round tanks on land behind the pier root
};

// One vessel of an explicit fleet (the fleet CSV columns).
struct VesselSpec {
  std::string name;
  double length_m = 0.0;
  double beam_m = 0.0;
  double depth_m = 0.0;
  double ballast_draft_m = 0.0;
  double laden_draft_m = 0.0;
};

struct FleetSpec {
  int count = 14;
  double min_length_m = 70.0;
  double max_length_m = 135.0;
  std::vector<VesselSpec> vessels;  // explicit fleet; overrides the generated one
};

// One explicit berth visit.
struct VisitSpec {
  std::string vessel;
  std::string berth;
  std::string arrive;  // RFC 3339 UTC
  std::string depart;
  std::string arrival_state = "empty";  // empty | full
  std::string departure_state = "full";
};

struct ScheduleSpec {
  int visit_count = 43;
  int reverse_visits = 3;  // visits arriving full and leaving empty
  double min_dwell_days = 1.0;
  double max_dwell_days = 5.0;
  double min_gap_hours = 8.0;        // between two visits at the same berth
  double min_turnaround_days = 3.0;  // between two visits of the same vessel
  std::vector<VisitSpec> visits;     // explicit schedule; overrides the generated one
};

struct AcquisitionSpec {
  std::string start = "2024-03-07";  // first day (UTC date or RFC 3339)
  std::string end = "2024-11-05";    // last day, inclusive
  double revisit_days = 1.0;
  double capture_probability = 0.75;  // a pass over the terminal yields a scene
  double local_time_min_h = 10.5;     // local mean solar time window of the overpass
  double local_time_max_h = 11.5;
  double max_off_nadir_deg = 25.0;
  double gsd_m = 0.5;
  double scene_width_m = 800.0;  // crop around the terminal (pixels = metres / gsd)
  double scene_height_m = 800.0;
  double max_offset_m = 120.0;          // random shift of the crop centre
  double partial_probability = 0.15;    // crop shifted so part of the terminal is cut off
  double swath_edge_probability = 0.1;  // a nodata swath edge crosses the scene
  double jitter_m = 1.0;                // georegistration error (standard deviation)
  std::string platform = "bw-sim";
  std::vector<std::string> times;  // explicit acquisition times; override the generated ones
};

struct CloudSpec {
  double clear_probability = 0.5;     // cover 0-5 %
  double overcast_probability = 0.2;  // cover 70-100 %
  double max_broken_cover = 0.7;      // otherwise cover 5 % .. this
  double min_height_m = 800.0;
  double max_height_m = 4000.0;
  double max_haze = 0.25;
};

struct RenderSpec {
  int supersample = 3;
  int strip_rows = 128;
  double min_psf_sigma_px = 0.4;
  double max_psf_sigma_px = 0.7;
  bool noise = true;
  bool clouds = true;
  int max_tugs = 3;
  int max_boats = 5;
  double passing_tanker_probability = 0.2;  // a non-fleet tanker under way or anchored
  bool nir = true;  // false: scenes hold R, G, B only (a camera without a NIR band)
};

// The `wide` mode (issue 6): one large scene with a coastline and many vessels of all
// sizes, moored, anchored and under way. Active when `vessels` > 0.
struct WideSpec {
  int width_px = 0;
  int height_px = 0;
  int vessels = 0;
  double min_length_m = 30.0;
  double max_length_m = 300.0;
  int block_size = 512;
};

struct Scenario {
  std::string name = "default";
  unsigned long long seed = 1;
  TerminalLayout terminal;
  FleetSpec fleet;
  ScheduleSpec schedule;
  AcquisitionSpec acquisition;
  CloudSpec clouds;
  RenderSpec render;
  WideSpec wide;

  // Throws InputError (stage "datasets.scenario") naming the offending field.
  void Check() const;
};

// Names of the built-in scenarios: default, smoke, planetscope, wide.
std::vector<std::string> BuiltinScenarioNames();

// A built-in scenario by name, or a JSON file. `overrides` are (dotted.key, value) pairs
// applied on top, e.g. {"fleet.count", "5"}; a value is parsed as JSON when it parses,
// else taken as a string. Unknown keys are errors. Throws InputError.
Scenario LoadScenario(const std::string& name_or_path,
                      const std::vector<std::pair<std::string, std::string>>& overrides = {});

// Canonical JSON text of a scenario (all fields), used for the render cache key.
std::string ScenarioToJson(const Scenario& scenario);

}  // namespace bw::datasets
