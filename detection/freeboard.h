// Hull cues -> freeboard -> load fraction and state (PHYSICS.md's observation model).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "detection/detection.h"
#include "detection/hull.h"
#include "geo/fleet.h"

namespace bw {

struct FreeboardOptions {
  double min_sun_hull_angle_deg = 20.0;  // below: sun along the hull, unobservable
  int stations = 40;                      // profile stations along the parallel mid-body
  double max_sigma_m = 1.5;               // larger 1-sigma => unobservable at this GSD
  void Check() const;
};

struct CueMeasurement {
  std::string cue;       // "shadow", "hull_side", "antifouling"
  int stations = 0;      // stations that gave a width
  double gain = 0.0;     // metres of band width per metre of freeboard
  double width_m = 0.0;  // mean measured band width
};

struct FreeboardEstimate {
  bool observable = false;
  double freeboard_m = kNaN;
  double sigma_m = kNaN;
  std::string reason;  // why unobservable ("sun along the hull", "shadow on the pier", ...)
  std::vector<CueMeasurement> cues;
};

// Fits freeboard from the shadow band on the anti-sun side and the lit hull side / red
// antifouling band seen off-nadir, one weighted least-squares over all stations.
FreeboardEstimate EstimateFreeboard(const HullImage& image, const Hull& hull,
                                    const PixelGeometry& geometry,
                                    const FreeboardOptions& options = {});

struct LoadOptions {
  double empty_below = 0.25;  // call empty when the load interval lies below this
  double full_above = 0.75;   // call full when the load interval lies above this
  double min_confidence = 0.6;  // below: unknown
  void Check() const;
};

struct LoadEstimate {
  double load_fraction = kNaN;
  double load_sigma = kNaN;
  LoadState state = LoadState::kUnknown;
  double confidence = 0.0;
  std::string reason;
};

// With a registry entry its depth and drafts apply; without one, class proportions by
// length (with their spread folded into the uncertainty).
LoadEstimate EstimateLoad(const FreeboardEstimate& freeboard, double length_m, double beam_m,
                          const FleetVessel* registry, const LoadOptions& options = {});

// The registry vessel matching measured dimensions, or null (length within 5 %, beam 10 %).
const FleetVessel* MatchFleetVessel(const Fleet& fleet, double length_m, double beam_m);

}  // namespace bw
