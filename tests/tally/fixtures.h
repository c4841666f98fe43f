// Constructed per-scene detections for the tally tests: no rendering, exact control over
// what each scene shows.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "detection/detection.h"

namespace bw::testing {

inline TimePoint Day(double d) {
  using namespace std::chrono;
  return TimePoint{sys_days{year{2024} / March / 7}} + seconds{static_cast<long>(d * 86400)};
}

// A hull signature: what identifies a vessel across scenes.
struct Hull {
  double length_m = 120.0;
  double beam_m = 20.0;
  std::array<double, 3> deck{0.30, 0.20, 0.18};
  double superstructure = 0.85;
  double manifold = 0.50;
};

inline Detection Det(const std::string& berth, const Hull& h, LoadState state = LoadState::kUnknown,
                     double confidence = 0.0) {
  Detection d;
  d.berth = berth;
  d.length_m = h.length_m;
  d.beam_m = h.beam_m;
  d.deck_rgb = h.deck;
  d.superstructure_pos = h.superstructure;
  d.manifold_pos = h.manifold;
  d.load_state = state;
  d.confidence = confidence;
  d.center = {133.07, 42.74};
  d.vessel_class = "tanker";
  return d;
}

// One scene at `day`: every berth in `clear` gets a view (clear or not); detections as given.
inline SceneDetections Scene(double day, const std::map<std::string, bool>& clear,
                             std::vector<Detection> dets) {
  SceneDetections s;
  s.datetime = Day(day);
  s.datetime_known = true;
  s.scene_id = "scene_" + std::to_string(static_cast<int>(day * 10));
  s.path = s.scene_id + ".tif";
  s.gsd_m = 0.5;
  for (const auto& [berth, is_clear] : clear) {
    BerthView v;
    v.berth = berth;
    v.coverage = Coverage::kFull;
    v.valid_fraction = 1.0;
    v.cloud_fraction = is_clear ? 0.0 : 0.9;
    v.clear = is_clear;
    for (const Detection& d : dets) v.occupied = v.occupied || d.berth == berth;
    s.berths.push_back(v);
  }
  for (Detection& d : dets) {
    d.scene_id = s.scene_id;
    d.datetime = s.datetime;
  }
  s.detections = std::move(dets);
  return s;
}

}  // namespace bw::testing
