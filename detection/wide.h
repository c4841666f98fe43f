// Wide-area detection, streamed: the scene is cut into tiles (a core plus a halo wider than
// half the longest vessel and the cue margin), each tile is read, imaged and searched on
// its own, and a candidate is kept only by the tile whose core holds its centre, so tile
// seams neither split nor duplicate vessels. Memory is bounded by the tile size and the
// worker count, not by the scene size.
#pragma once

#include <string>
#include <vector>

#include "detection/detection.h"
#include "detection/detector.h"
#include "geo/fleet.h"
#include "geo/scene.h"
#include "geo/terminal.h"
#include "geo/window.h"

namespace bw {

struct WideOptions {
  int core_px = 1024;                  // tile core edge (pixels); cores tile the scene
  double max_vessel_length_m = 320.0;  // the halo holds half of this ...
  double cue_margin_m = 40.0;          // ... plus the freeboard cue margin
  int workers = 0;                     // tiles in flight, one reader each; 0 = threads or cores
  void Check() const;                  // throws InputError on out-of-range values
};

// Tiles of a width x height scene: cores (no overlap, covering the scene) and the windows
// to read (core grown by the halo, clipped). Row-major order.
struct WideTile {
  PixelWindow core;
  PixelWindow window;
};
std::vector<WideTile> WideTiles(int width, int height, int core_px, int halo_px);

// Halo in pixels for a scene of this GSD.
int WideHaloPx(const WideOptions& options, double gsd_m);

// Runs the wide search over `scene` (already opened and validated by DetectScene, which
// filled `header`: ids, time, GSD, sun and view angles). `berth_windows` (may be empty)
// name the berths a detection lies at and get their views. Workers open their own Scene
// on scene.path(). Output in a deterministic order (tile by tile, as FindHulls returns
// them) that does not depend on the worker count.
// Throws NoDataError when the scene holds no valid pixels or is fully clouded.
SceneDetections DetectWideScene(const Scene& scene, const Terminal* terminal, const Fleet* fleet,
                                const DetectOptions& options,
                                const std::vector<BerthWindow>& berth_windows,
                                SceneDetections header, const WideOptions& wide = {});

}  // namespace bw
