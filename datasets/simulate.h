// `berthwatch simulate` as a library call: plan a scenario, write terminal.geojson,
// fleet.csv, truth.json, one GeoTIFF + STAC Item sidecar per scene under scenes/, optional
// PNG quicklooks under preview/, and a manifest.json that lets a re-run with the same
// scenario and seed skip rendering.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace bw::datasets {

struct SimulateOptions {
  std::string scenario = "default";  // built-in name or JSON file
  std::string out_dir;
  std::optional<unsigned long long> seed;                      // overrides the scenario's seed
  std::vector<std::pair<std::string, std::string>> overrides;  // dotted.key, value
  bool preview = false;
  int threads = 2;     // scenes (or strips of one large scene) rendered in parallel
  bool force = false;  // render even when the output is already complete
  // Render just these scenes (ids as in truth.json, e.g. "scene_20240822T013956"); the plan,
  // truth.json, terminal and fleet are the whole scenario's, and each scene is the same
  // pixels as in a full render. Empty: all scenes.
  std::vector<std::string> only;

  void Check() const;  // throws InputError
};

struct SimulateResult {
  std::string out_dir;
  std::string scenario;
  unsigned long long seed = 0;
  int scenes = 0;
  int vessels = 0;
  int visits = 0;
  int visits_imaged = 0;
  bool cached = false;  // nothing rendered: the output was complete already
  double seconds = 0.0;
};

// Throws InputError for a bad scenario or options, Error when writing fails.
SimulateResult Simulate(const SimulateOptions& options);

}  // namespace bw::datasets
