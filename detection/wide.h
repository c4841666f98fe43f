// Wide-area detection, streamed in two steps. (1) Prescreen (detection/prescreen.h): every
// block of the file is read once and given one cheap pass that marks the pixels departing
// from the local water; (2) the full imaging + hull search runs only on windows around the
// marked regions (a small region: its box plus background and cue context; a large one,
// e.g. a cloud edge or a coast, cut into pieces of core_px with a halo wider than half the
// longest vessel and the cue margin). A hull is kept by the region whose own part holds its
// centre; a hull found by two overlapping regions is kept once. Only tanker-shaped hulls are
// reported. Where the imagery is too coarse for the hull fit (e.g. Sentinel-2 at 10 m) the
// regions are searched for small targets instead (detection/lowres.h), reported with load
// state unknown. Memory is bounded by the block, region and worker count, not by the scene size.
#pragma once

#include <string>
#include <vector>

#include "detection/detection.h"
#include "detection/detector.h"
#include "detection/lowres.h"
#include "geo/fleet.h"
#include "geo/scene.h"
#include "geo/terminal.h"
#include "geo/window.h"

namespace bw {

struct WideOptions {
  int core_px = 1024;                  // pieces of a large marked region (pixels)
  double max_vessel_length_m = 320.0;  // a piece's halo holds half of this ...
  double cue_margin_m = 40.0;          // ... plus the freeboard cue margin
  int workers = 0;                     // windows in flight, one reader each; 0 = threads or cores
  double prescreen_sigma = 6.5;        // prescreen: departure from the water (noise sigmas)
  int prescreen_min_hot = 8;           // ... hot pixels that mark an 8 px cell
  // Reported hulls are tanker-shaped: at least this long, L/B within these bounds.
  double min_length_m = 25.0;
  double min_slenderness = 4.5;
  double max_slenderness = 10.0;
  // ... and sharp-edged: not reported when the objectness step across the outline is below
  // both this many noise sigmas and this fraction of the mean contrast (HullCandidate::
  // outline_step; a hull's step is about the grow level, 5 sigmas, or more).
  double soft_outline_step_sigma = 4.0;
  double soft_outline_ratio = 0.3;
  // ... and not foam: a candidate whose objectness stays below this many noise sigmas on
  // average (HullFitOptions::seed_sigma: mostly at the growth level) and is brightness for
  // more than foam_brightness_share of it, with no colour of its own, is a wake's turbulent
  // strip, haze or glint. A dark hull is as faint but shows in colour and NIR; 0 disables.
  double min_mean_contrast_sigma = 10.0;
  double foam_brightness_share = 0.8;
  // Coarse imagery (UseLowResSearch: a typical beam spans too few pixels for the hull fit):
  // the small-target search of detection/lowres.h instead (its gsd_m is the scene's).
  LowResOptions lowres;
  void Check() const;  // throws InputError on out-of-range values
};

// Halo in pixels (around a piece of a large region) for a scene of this GSD.
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
