// Per-scene detection results: what detection hands to tally and to the detect command.
// (Types only; the detector itself is declared in detection/detector.h.)
#pragma once

#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "geo/types.h"
#include "geo/window.h"

namespace bw {

enum class LoadState { kEmpty, kPartial, kFull, kUnknown };
const char* ToString(LoadState state);  // "empty", "partial", "full", "unknown"
// Counts of why load states were unknown: the key of a reason (the detector's words, or
// "no reason given"), and the counts most frequent first (ties in key order).
std::string UnknownReasonKey(const std::string& reason);
std::vector<std::pair<std::string, int>> MostFrequentFirst(
    const std::map<std::string, int>& counts);
LoadState LoadStateFromString(const std::string& text);  // throws InputError on others
// Order of the known states by load: empty 0, partial 1, full 2; unknown -1.
inline int LoadRank(LoadState state) {
  return state == LoadState::kUnknown ? -1 : static_cast<int>(state);
}

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Version of what the detector outputs for a scene. `scan` stores it with each scene and
// processes again a scene stored by another version (an upgrade must not leave stale
// detections behind). Bump it with every change that changes detections.
inline constexpr char kDetectorVersion[] = "2026-12-08.6";

struct Detection {
  std::string scene_id;
  TimePoint datetime{};
  std::string berth;                // berth name; empty when not at a berth (--wide)
  std::vector<LonLat> hull_lonlat;  // oriented hull polygon, closed ring
  LonLat center;
  double length_m = kNaN;
  double beam_m = kNaN;
  double heading_deg = kNaN;  // true north; 0-360 when bow_resolved, else 0-180
  bool bow_resolved = false;
  double freeboard_m = kNaN;        // NaN when unobservable
  double freeboard_sigma_m = kNaN;  // 1-sigma of freeboard_m
  double load_fraction = kNaN;      // 0..1, NaN when unknown
  LoadState load_state = LoadState::kUnknown;
  double confidence = 0.0;     // probability that load_state is right (calibrated)
  std::string unknown_reason;  // why load_state is unknown ("sun along hull", ...)
  std::string vessel_id;       // filled by tally
  std::string vessel_class;    // "tanker", "small_craft", ...

  // Appearance signature for identity across scenes.
  std::array<double, 3> deck_rgb{kNaN, kNaN, kNaN};  // mean normalised deck reflectance
  double superstructure_pos = kNaN;  // centre of the superstructure, fraction from bow (0..1)
  double manifold_pos = kNaN;        // centre of the deck manifold, fraction from bow

  bool truncated = false;       // hull cut by the scene edge or nodata
  bool cloud_affected = false;  // cloud or haze over part of the hull

  // Extras (not in the contract's column list).
  std::string registry_name;         // fleet registry vessel matched by dimensions, if any
  double detection_score = 0.0;      // 0..1, how vessel-like the candidate is
  double bow_score = 0.0;            // 0..1, how clearly bow and stern were told apart
  double sun_hull_angle_deg = kNaN;  // angle between the sun azimuth and the hull axis, 0..90
  double psf_sigma_px = kNaN;        // blur estimated at the hull's edges
};

// How well one berth was seen in one scene: the evidence that ends or extends a visit.
struct BerthView {
  std::string berth;
  Coverage coverage = Coverage::kNone;
  double valid_fraction = 0.0;  // share of the berth polygon with data
  double cloud_fraction = 0.0;  // share of the berth polygon under cloud
  bool clear = false;           // fully covered and cloud-free enough to see a tanker there
  bool occupied = false;        // a tanker was detected at this berth
};

struct SceneDetections {
  std::string scene_id;
  std::string path;
  TimePoint datetime{};
  bool datetime_known = false;  // false: the scene carries no acquisition time
  double gsd_m = kNaN;
  double sun_elevation_deg = kNaN;
  double sun_azimuth_deg = kNaN;
  double off_nadir_deg = kNaN;
  double view_azimuth_deg = kNaN;
  std::vector<BerthView> berths;
  std::vector<Detection> detections;
};

}  // namespace bw
