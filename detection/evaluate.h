// Scoring detections against truth: berthwatch truth.json (CONTRACT.md section 4) or COCO
// boxes in a raster's pixel grid. Detections match truth objects of the same scene by
// centre distance within a quarter of the truth length (greedy, closest pairs first).
#pragma once

#include <array>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "detection/detection.h"

namespace bw {

struct TruthObject {
  std::string scene_id;
  std::string vessel;
  std::string berth;
  LonLat center;
  double heading_deg = kNaN;  // bow azimuth, true north
  double length_m = kNaN;
  double beam_m = kNaN;
  double freeboard_m = kNaN;
  LoadState load_state = LoadState::kUnknown;
  bool imaged = true;           // inside the valid raster (not cut by edge/nodata)
  double cloud_fraction = 0.0;  // share of the hull under cloud, 0..1
  // False for objects that neither count as truth nor make a matching detection false
  // (tankers of truth's "other_objects", e.g. passing tankers).
  bool scored = true;
};

struct TruthScene {
  std::string scene_id;
  double sun_azimuth_deg = kNaN;  // from truth when given, else from the detections
  double sun_elevation_deg = kNaN;
  double gsd_m = kNaN;
  std::vector<TruthObject> objects;
};

// Reads berthwatch truth.json. Optional per object: "imaged" or "in_scene" (bool),
// "cloud_fraction" (0..1); "other_objects" of kind "tanker" are read as not scored; per scene:
// "sun_azimuth_deg", "sun_elevation_deg", "gsd_m". Throws InputError.
std::vector<TruthScene> ReadTruthJson(const std::string& path);

struct EvaluateOptions {
  double match_fraction_of_length = 0.25;
  double max_cloud_fraction = 0.2;     // truth objects cloudier than this are not scored
  double min_sun_hull_angle_deg = 25;  // for the "good geometry" subsets
  double confident_above = 0.8;        // "confident" states
  bool only_scenes_with_detections = false;
  // Score only truth objects at a berth (berth mode); objects elsewhere (anchored, under
  // way) neither count as truth nor make a matching detection false.
  bool only_at_berths = true;
  // Also list each miss, false hull and wrong load state (Evaluation::cases).
  bool list_cases = false;
};

// One scored object that went wrong: a truth object with no detection ("miss"), a detection
// with no truth object ("false"), or a matched tanker whose load state is wrong
// ("wrong_state"; "confident_wrong" when given with confidence >= confident_above).
struct EvaluationCase {
  std::string kind;
  std::string scene_id;
  std::string vessel;  // truth vessel name; empty for a false hull
  std::string berth;
  LonLat center;  // truth centre, or the detection's for a false hull
  double truth_length_m = kNaN, length_m = kNaN;
  double truth_freeboard_m = kNaN, freeboard_m = kNaN, freeboard_sigma_m = kNaN;
  LoadState truth_state = LoadState::kUnknown, state = LoadState::kUnknown;
  double confidence = kNaN;
  double cloud_fraction = kNaN;  // truth's share of the hull under cloud
};

struct CalibrationBin {
  double lo = 0, hi = 0;
  int count = 0;
  int right = 0;
  double mean_confidence = 0;
};

struct Evaluation {
  int scenes = 0;
  int truth_objects = 0;  // eligible (imaged, cloud <= max)
  int detections = 0;     // in scored scenes, not matched to an ineligible object
  int true_positives = 0;
  int false_positives = 0;
  int false_negatives = 0;
  double precision = kNaN, recall = kNaN, f1 = kNaN;
  double median_length_error_frac = kNaN, mean_length_error_frac = kNaN;
  double median_heading_error_deg = kNaN, mean_heading_error_deg = kNaN;  // axis error 0..90
  double bow_resolved_fraction = kNaN;                                    // of matched
  double bow_right_fraction = kNaN;  // of matched (unresolved counts as not right)
  double bow_right_of_resolved = kNaN;
  double freeboard_mae_m = kNaN;
  int freeboard_n = 0;
  double freeboard_mae_good_sun_m = kNaN;
  int freeboard_good_sun_n = 0;
  // Pulls (measured - truth) / stated sigma of the freeboards with a sigma: a calibrated
  // sigma gives a median near 0 and about 5 % beyond 2 (a Gaussian's 4.6 %).
  double freeboard_median_pull = kNaN;
  double freeboard_pull_beyond_2 = kNaN;
  int freeboard_pull_n = 0;
  // Rows: truth empty, partial, full; columns: predicted empty, partial, full, unknown.
  std::array<std::array<int, 4>, 3> confusion{};
  double unknown_fraction = kNaN;  // of matched
  // Truly empty or full tankers with the sun >= min_sun_hull_angle_deg off the hull axis:
  int ef_good_sun_n = 0;
  double ef_good_sun_state_right = kNaN;  // right among those given a state
  double ef_good_sun_unknown = kNaN;      // share unknown
  // Why those were unknown: the detector's unknown_reason ("" as "no reason given") -> count.
  std::map<std::string, int> ef_good_sun_unknown_reasons;
  // States given with confidence >= confident_above: share right.
  int confident_n = 0;
  double confident_right = kNaN;
  std::vector<CalibrationBin> calibration;
  std::vector<EvaluationCase> cases;  // only with EvaluateOptions::list_cases
};

// `detections` may hold several scenes; `scene_ids` lists scenes that were processed (their
// truth counts even with no detection). Empty `scene_ids`: every truth scene counts unless
// options.only_scenes_with_detections.
Evaluation Evaluate(const std::vector<TruthScene>& truth, const std::vector<Detection>& detections,
                    const std::vector<std::string>& scene_ids,
                    const std::map<std::string, double>& sun_azimuth_by_scene,
                    const EvaluateOptions& options = {});

// COCO: boxes [x, y, w, h] in the raster's pixel grid; detections are mapped to pixels
// through the raster's georeference. A detection matches a box when its centre lies in the
// box grown by one pixel or within a quarter of the box diagonal of the box centre.
struct CocoBox {
  double x = 0, y = 0, w = 0, h = 0;
};
// Reads the annotations of one image (the first image id when image_id < 0; annotations
// of any image id when the file has one image). Throws InputError.
std::vector<CocoBox> ReadCocoBoxes(const std::string& path);
Evaluation EvaluateCoco(const std::vector<CocoBox>& boxes,
                        const std::vector<PixelXY>& detection_centers_px);

// JSON text of an evaluation (all fields) and a human-readable table.
std::string EvaluationToJson(const Evaluation& e);
std::string EvaluationToText(const Evaluation& e);
// One line per case (empty when there are none).
std::string EvaluationCasesToText(const Evaluation& e);

}  // namespace bw
