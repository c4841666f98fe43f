// The berthwatch store: one GeoPackage (written through OGR, opens in QGIS) holding what
// `scan` saw and what `tally` concluded.
//
// Layers:
//  - `scenes`      (attributes) one row per scene file: path, content_hash, scene_id,
//                  datetime, angles, gsd, status processed|failed|skipped, error.
//  - `berth_views` (attributes) per scene and berth: coverage, valid/cloud fraction, clear.
//  - `detections`  (polygons, EPSG:4326) hull polygons with the contract's attributes plus
//                  the appearance signature.
//  - `fleet`       (attributes) the fleet registry given to scan, if any.
//  - `vessels`, `visits` written by tally (visits carry a point at the mean hull centre).
//
// Every scene is committed in ONE transaction (scene row + its berth views + detections), so
// a killed scan leaves a valid file that misses at most the scene in flight.
// Not thread-safe: one thread owns a Store.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "detection/detection.h"
#include "geo/fleet.h"
#include "geo/types.h"

namespace bw {

enum class SceneStatus { kProcessed, kFailed, kSkipped };
const char* ToString(SceneStatus status);  // "processed", "failed", "skipped"

// How SceneRecord::content_hash was made (scenes.hash_kind; rows without one are keyed by
// LegacyContentHash), and the key of a file that could not be read: this prefix + its path.
inline constexpr char kContentHashKind[] = "xxh3";
inline constexpr char kUnreadablePrefix[] = "unreadable:";

// What the store keeps about one scene file besides its detections.
struct SceneRecord {
  std::string path;
  std::string content_hash;  // ContentHash() of the file bytes (tally/scan.h)
  std::string scene_id;
  std::optional<TimePoint> datetime;
  SceneStatus status = SceneStatus::kProcessed;
  std::string error;  // why the scene failed or was skipped; empty when processed
  std::string detector = kDetectorVersion;  // the detector version that produced it
};

// One scene as read back: the record, and (processed scenes only) its observations with the
// store's feature ids of its detections (same order as observations.detections).
struct StoredScene {
  SceneRecord record;
  SceneDetections observations;
  std::vector<std::int64_t> detection_fids;
};

// A tally row for the `vessels` layer.
struct VesselRow {
  std::string vessel_id;
  std::string name;
  double length_m = 0.0;
  double beam_m = 0.0;
  int visits = 0;
  int detections = 0;
  TimePoint first_seen{};
  TimePoint last_seen{};
};

// A tally row for the `visits` layer.
struct VisitRow {
  std::string visit_id;
  std::string vessel_id;
  std::string berth;
  TimePoint first_seen{};
  TimePoint last_seen{};
  std::string arrival_state;
  std::string departure_state;
  std::string transition;
  int observations = 0;
  LonLat center;
};

// A detection's load as stored: state ("empty", ..., "unknown"; empty: not stored), load
// fraction, confidence and unknown reason.
struct StoredLoad {
  std::string state;
  double fraction = kNaN;
  double confidence = 0.0;
  std::string unknown_reason;
};

// What a tally sets on one stored detection: its vessel and, where identity gave it a listed
// vessel and it measured a freeboard, its load with that vessel's drafts (none: the scan's
// stands).
struct DetectionTallyRow {
  std::int64_t fid = 0;
  std::string vessel_id;
  std::optional<StoredLoad> load;
};

class Store {
 public:
  // Opens the GeoPackage for update, creating it (and any missing layer) when needed.
  // Throws InputError naming the file when it cannot be created or is not a GeoPackage.
  static Store Open(const std::string& path);
  // Opens an existing store; throws InputError when the file is absent or has no `scenes`.
  static Store OpenExisting(const std::string& path);

  Store(Store&&) noexcept;
  Store& operator=(Store&&) noexcept;
  ~Store();

  const std::string& path() const;

  // Content hashes of every stored scene (any status).
  const std::set<std::string>& stored_hashes() const;
  bool Has(const std::string& content_hash) const;

  // Scenes stored before ContentHash became XXH3 (2026-12-06) are keyed by
  // LegacyContentHash (tally/scan.h): those keys, of any detector version and of this one.
  const std::set<std::string>& legacy_hashes() const;
  const std::set<std::string>& legacy_hashes_current() const;
  // Re-keys the rows of the scene stored under `legacy` (all layers) to `content_hash`, in
  // one transaction; afterwards the scene counts as stored under the new key.
  void Rekey(const std::string& legacy, const std::string& content_hash);

  // Writes the scene row, its berth views and detections in one transaction.
  // `observations` is ignored unless record.status == kProcessed.
  void CommitScene(const SceneRecord& record, const SceneDetections& observations);

  // Every stored scene, sorted by datetime (scenes without one last), then scene_id, path.
  std::vector<StoredScene> LoadScenes() const;

  // The fleet registry stored by scan (replaces any previous one).
  void WriteFleet(const Fleet& fleet);
  std::optional<Fleet> ReadFleet() const;

  // Replaces the `vessels` and `visits` layers and sets each detection's vessel_id (by fid;
  // other detections get an empty id) and its load with that identity, all in one
  // transaction. The scan's own load estimate stays in the scan_* fields (LoadScenes reads
  // it from there, so that a tally starts from what the scan saw); a detection without a
  // load with identity gets the scan's back.
  void WriteTally(const std::vector<VesselRow>& vessels, const std::vector<VisitRow>& visits,
                  const std::vector<DetectionTallyRow>& detections);

  // Copies the detections layer to a GeoJSON file (RFC 7946).
  void ExportDetectionsGeoJson(const std::string& out_path) const;

 private:
  struct Impl;
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace bw
