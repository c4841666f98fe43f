// tally: from per-scene detections to vessels, visits and load transitions.
//
// Visits are evidence-based, per berth: detections at a berth in successive scenes that look
// like the same hull form a track; a track goes on across scenes with no clear view of the
// berth and ends at a clear view that shows the berth empty or another vessel in it. Tracks
// are then clustered into vessels (tally/identity.h) and consecutive tracks of one vessel at
// one berth with no view between them are joined.
//
// Load states: a tanker at a berth either loads or discharges, so its load changes one way
// during a visit. The terminal's direction is what the visits that showed a change (in
// their confident states, else in their measured freeboard) agree on (LoadDirection); a
// visit's own change of state overrides it. With the direction known, the first
// confident state is the arrival state only when it is the direction's start (empty when
// loading: nothing lighter can have come before it), the last is the departure state only
// when it is its end (full when loading); a hull seen full at a loading berth may have
// arrived empty a day before, so its arrival stays unknown. With no direction known no
// state is the arrival or departure one.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "detection/detection.h"
#include "geo/fleet.h"
#include "geo/types.h"
#include "tally/identity.h"

namespace bw {

struct TallyOptions {
  IdentityOptions identity;
  // A load state counts for arrival/departure only at or above this confidence.
  double min_state_confidence = 0.6;
  // A detection continues an open track at its berth unless its length or beam, or both its
  // deck colour and its positions along the hull, are more than this many sigmas off (prior
  // noise, inflated for the track's own uncertainty): one appearance cue alone may be off by
  // a gross error (haze on the deck).
  double link_max_z = 4.0;
  // Clear views without the vessel that end a visit.
  int clear_views_to_end = 1;
  // Two tracks of one vessel at one berth are one visit when at most this many views of the
  // berth (each then a miss of the detector) and at most this long a gap separate them, and
  // no other vessel was seen there in between. With no view between them they always are.
  // A weak single look (see absorb_weak_looks) extends a visit only across at most
  // rejoin_max_gap_days.
  int rejoin_max_missed_views = 2;
  double rejoin_max_gap_days = 3.0;
  // Count a visit only when it was seen at least once cleanly (berth fully covered, hull not
  // truncated nor under cloud); glimpses through cloud extend visits but do not make one.
  bool require_clean_sighting = true;
  // A track of one look is weak evidence of a visit when the berth was partly under cloud in
  // that scene (at least this share of the berth polygon: a cloud fragment can pass for a
  // hull) or, with a registry, when the look fits no listed vessel without a gross error. A
  // weak look extends the visit of the track next to it at the berth when no view of the
  // berth separates them; otherwise it is dropped when clouded or when neither its length nor
  // its beam is any listed vessel's, and stays a visit of its own when one of them is.
  double weak_cloud_share = 0.05;
  // A look is not weak for the cloud when its hull is clear of it (the detection is not
  // cloud_affected: its ring is clean water) and it is like a known hull (with a registry, a
  // listed vessel's length and beam; without, another track's). Over seeds 1/2/3/7/11 of
  // `default`, of 33 detections at berths at least 5 % under cloud the 2 that were no hull
  // were both cloud_affected, and the 6 that were not were all hulls (seed 11, 2024-08-05:
  // a visit of its own, dropped); one of those (seed 7, an 82 x 9.8 m outline of a 117 x 18 m
  // hull) is like no known hull and still joins the visit beside it.
  bool weak_spares_clean_known_hulls = true;
  bool absorb_weak_looks = true;
  // With a registry, a track (looks at a berth with nothing between them that says the
  // vessel left) is split in two when its looks fit two listed vessels better than one by
  // more than one gross measurement error can explain plus this margin (nats).
  double registry_split_margin_nats = 3.0;
  // A tanker moored at a berth lies along it (its lines hold it within a few degrees of the
  // fender line). The berth's axis is the dominant hull axis of its detections (at least
  // min_berth_axis_looks of them); a hull more than this far off it is not moored there (one
  // passing or turning, or a false hull from other structure) and counts for no visit.
  double max_berth_axis_offset_deg = 20.0;
  int min_berth_axis_looks = 3;
  void Check() const;  // throws InputError
};

struct Visit {
  std::string visit_id;
  int vessel = -1;  // index into TallyResult::vessels
  std::string vessel_id;
  std::string berth;
  TimePoint first_seen{};
  TimePoint last_seen{};
  LoadState arrival_state = LoadState::kUnknown;
  LoadState departure_state = LoadState::kUnknown;
  int observations = 0;
  // The confident load states seen, in time order, and the direction the visit went: +1
  // loading, -1 discharging, 0 not known (its own states when they changed, else the
  // terminal's).
  std::vector<LoadState> states;
  int direction = 0;
  // Freeboards measured (m, 1-sigma), in time order: the same hull's deck edge sinking
  // or rising during the visit shows the direction even where no state was confident.
  std::vector<std::pair<double, double>> freeboards;
  // Times of the clean sightings (views of the berth that showed the vessel), sorted.
  std::vector<TimePoint> seen;
  // Times of every sighting, clean or not (a hull under a cloud edge was still there).
  std::vector<TimePoint> sighted;
  // The berth's nearest views (clear, or with a detection) before first_seen and after
  // last_seen: the visit began after the first and ended before the second.
  std::optional<TimePoint> view_before;
  std::optional<TimePoint> view_after;
  LonLat center;  // mean hull centre

  std::string transition() const;  // "empty->full"
};

// A detection's load state, fraction, confidence and unknown reason (Detection's fields).
struct DetectionLoad {
  LoadState state = LoadState::kUnknown;
  double load_fraction = kNaN;
  double confidence = 0.0;
  std::string unknown_reason;
  bool with_identity = false;  // recomputed with the listed vessel identity gave the hull
};

struct Vessel {
  std::string vessel_id;  // "V001", in order of first appearance
  std::string name;       // registry name, empty without a match
  Signature signature{};  // median over its detections
  int visits = 0;
  int detections = 0;
  TimePoint first_seen{};
  TimePoint last_seen{};
  double length_m() const { return signature[0]; }
  double beam_m() const { return signature[1]; }
};

struct SceneCounts {
  int processed = 0;
  int failed = 0;
  int skipped = 0;
};

struct TallyResult {
  std::vector<Vessel> vessels;
  std::vector<Visit> visits;  // by first_seen, then berth
  int vessels_low = 0;        // distinct-vessel range where signatures overlap
  int vessels_high = 0;
  std::map<std::string, int> transitions;  // "empty->full" -> count
  // The terminal's load direction (+1 loading, -1 discharging, 0 not established) and the
  // visits whose own states showed it going up and down.
  int load_direction = 0;
  int visits_loading = 0;
  int visits_discharging = 0;
  std::optional<TimePoint> period_start;  // first and last processed scene
  std::optional<TimePoint> period_end;
  SceneCounts scenes;
  // Times each berth was observable (a clear view, or a clean detection there), sorted.
  std::map<std::string, std::vector<TimePoint>> views_by_berth;
  // vessel_id per detection, [scene index][detection index] of the input (empty = none).
  std::vector<std::vector<std::string>> vessel_id_of_detection;
  // Load state per detection with the vessel's identity: where identity gave a look's hull a
  // listed vessel and the look measured its freeboard, that vessel's own depth and drafts
  // (the scan could only mix the listed vessels of like dimensions); else the scan's.
  std::vector<std::vector<DetectionLoad>> load_of_detection;
  // The tankers seen at berths, every look: how many had each load state ("empty",
  // "partial", "full", "unknown"; as in load_of_detection), and why the unknown ones were.
  std::map<std::string, int> berth_tanker_states;
  std::map<std::string, int> berth_tanker_unknown_reasons;
};

// Direction of a sequence of confident states: +1 when it only rises (empty < partial <
// full), -1 when it only falls, 0 when it stays or goes both ways.
int StateDirection(const std::vector<LoadState>& states);
// Direction of a visit's freeboards: +1 (loading) when the last lies below the first by more
// than 3 sigma and 0.3 m, -1 when above, else 0.
int FreeboardDirection(const std::vector<std::pair<double, double>>& freeboards);
// Which way a visit itself showed its load going: its confident states when they changed,
// else its measured freeboards (+1 loading, -1 discharging, 0 no change seen).
int VisitDirection(const Visit& visit);
// The terminal's direction from the visits that rose and fell: the majority when it has at
// least `min_visits` visits and at least `min_ratio` times the minority, else 0.
int LoadDirection(int rising, int falling, int min_visits = 2, double min_ratio = 4.0);
// Arrival and departure states of a visit going `direction` that showed `states`.
std::pair<LoadState, LoadState> EndStates(const std::vector<LoadState>& states, int direction);
// Whether what a visit showed allows `transition` ("empty->full"): each end unknown or equal.
bool AllowsTransition(const Visit& visit, const std::string& transition);
// How many of the visits allow `transition`.
int VisitsAllowing(const TallyResult& result, const std::string& transition);

// REQUIRES: scenes sorted by datetime. Detections without a berth are not counted.
TallyResult Tally(const std::vector<SceneDetections>& scenes, const Fleet* fleet,
                  const TallyOptions& options);

// Loads the store at db_path, tallies its processed scenes (fleet: `fleet` when given, else
// the registry stored by scan), writes vessels/visits layers and detections.vessel_id back.
TallyResult TallyStore(const std::string& db_path, const Fleet* fleet, const TallyOptions& options);

// Contract outputs.
void WriteVisitsCsv(const std::string& path, const TallyResult& result);
void WriteVesselsCsv(const std::string& path, const TallyResult& result);
// Summary JSON (contract fields plus ranges and the missed-visit estimate).
std::string SummaryJson(const TallyResult& result);
void WriteSummaryJson(const std::string& path, const TallyResult& result);
// The per-vessel visit table printed by `tally` and `run`.
std::string FormatVisitTable(const TallyResult& result);

}  // namespace bw
