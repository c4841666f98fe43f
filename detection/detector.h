// The detector: from one scene (and a terminal), the tankers at the berths (or, wide, on
// any water) with hull geometry, freeboard and load state.
#pragma once

#include <string>

#include "detection/detection.h"
#include "geo/fleet.h"
#include "geo/terminal.h"

namespace bw {

struct DetectOptions {
  bool wide = false;              // search all water in the scene, not only berths
  double berth_margin_m = 120.0;  // read margin around each berth polygon
  int threads = 0;                // tile-loop threads; 0 = all cores
  // A berth is a "clear view" when fully covered and at most this share is cloud/nodata.
  double max_cloud_fraction_for_clear = 0.2;
  // A hull lying more than this across an elongated berth (long side >= 2x the short) is not
  // moored there and is not reported in berth mode.
  double max_berth_axis_offset_deg = 30.0;
  // The terminal's polygons are moved onto the pier's outline in the image by up to this
  // much (georeferencing error; detection/coregister.h); 0 leaves them where they are.
  double max_registration_shift_m = 6.0;
  void Check() const;  // throws InputError on out-of-range values
};

// Detects tankers in one scene. REQUIRES: terminal != nullptr unless options.wide.
// `fleet` may be null (class proportions are then used for load).
// Throws InputError for unreadable/invalid scenes (message names the file), NoDataError
// when the scene misses every berth or holds no valid pixels there.
SceneDetections DetectScene(const std::string& scene_path, const Terminal* terminal,
                            const Fleet* fleet, const DetectOptions& options);

}  // namespace bw
