// scan: every scene of a batch through the detector into the store, in parallel, one
// transaction per scene, resumable (scenes whose content hash is stored are skipped).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "detection/detection.h"
#include "geo/fleet.h"
#include "geo/terminal.h"

namespace bw {

// XXH3-64 (xxHash) of the file's bytes, as 16 lowercase hex digits: the same value as
// `xxhsum -H3` prints. A scan hashes every scene file whole; byte-wise FNV-1a took 5 % of a
// berth scan's CPU time.
// Throws InputError naming the file when it cannot be read.
std::string ContentHash(const std::string& path);

// The key of stores written before 2026-12-06: 64-bit FNV-1a over the bytes and the size.
// Read only to find such a store's scenes (Store::legacy_hashes) and re-key them.
std::string LegacyContentHash(const std::string& path);

// Expands scan inputs into scene files, sorted and without duplicates:
//  - a raster file is taken as is;
//  - a folder is searched recursively for rasters (*.tif, *.tiff, *.vrt, *.jp2, *.img,
//    *.ntf, *.nitf); sidecars (*.json, *.xml, *.aux.xml, *.ovr, *.msk, ...) are not scenes;
//  - a *.json file is read as a STAC ItemCollection (or a single Item): one raster asset per
//    item (preferring "visual", "analytic", "image", "data"), hrefs relative to the JSON.
// Throws InputError for a missing input or a JSON that is not STAC.
std::vector<std::string> CollectSceneFiles(const std::vector<std::string>& inputs);

// Runs one scene; the default calls DetectScene. Throwing NoDataError marks the scene
// skipped, any other exception failed.
using SceneDetector = std::function<SceneDetections(const std::string& path)>;

struct ScanOptions {
  int threads = 0;  // worker threads; 0 = hardware concurrency
  void Check() const;
};

struct ScanProgress {
  int done = 0;   // scenes finished in this run (including already stored ones)
  int total = 0;  // scenes in the batch
  int processed = 0;
  int failed = 0;
  int skipped = 0;
  int already_stored = 0;
  double elapsed_s = 0.0;
};

struct ScanFailure {
  std::string path;
  std::string status;  // "failed" or "skipped"
  std::string error;
};

struct ScanSummary {
  ScanProgress counts;
  std::vector<ScanFailure> failures;  // failed and skipped scenes of this run, by path
};

// Scans `scene_files` into the GeoPackage at `db_path` (created when absent). Workers run
// `detector` concurrently (each on its own scene); the calling thread is the only one that
// writes the store. `progress` (optional) is called on the calling thread after each scene.
// Scenes without an acquisition time are stored as skipped with the reason.
ScanSummary ScanScenes(const std::vector<std::string>& scene_files, const std::string& db_path,
                       const SceneDetector& detector, const ScanOptions& options,
                       const std::function<void(const ScanProgress&)>& progress = {});

// The default detector: DetectScene(path, terminal, fleet, options) with one tile thread.
SceneDetector MakeSceneDetector(const Terminal& terminal, const Fleet* fleet);

}  // namespace bw

namespace bw {

// One-line progress: "scan 12/100 scenes  3.2 scenes/s  ETA 0:27".
std::string FormatScanProgress(const ScanProgress& progress);
// End-of-scan summary: counts, then one line per failed or skipped scene naming the file.
std::string FormatScanSummary(const ScanSummary& summary);

}  // namespace bw

namespace bw {
// Stores the fleet registry in the GeoPackage so that tally can name vessels later.
void StoreFleet(const std::string& db_path, const Fleet& fleet);
}  // namespace bw
