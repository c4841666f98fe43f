// Co-registration of the terminal's land polygons with a scene. A scene's georeferencing is
// good to a few metres at best (satellite pointing without ground control, the renderer's
// jitter), which at 0.5 m GSD is several pixels: a pier drawn from the terminal file then
// misses its image by a strip as bright as the pier, a strip that joins hulls moored
// alongside and pulls their measured beam out to the quay. The pier's outline, bright
// concrete against water, says where the polygons lie in the image.
#pragma once

#include <opencv2/core.hpp>
#include <vector>

#include "geo/types.h"
#include "geo/window.h"

namespace bw {

struct PolygonShift {
  double dx = 0, dy = 0;  // pixels; add to the polygons' pixel coordinates
  double contrast = 0;    // mean brightness step across the outlines at that shift
  double gain = 0;        // how much larger than at zero shift, in standard errors
  int samples = 0;        // outline points used
  bool applied = false;   // the shift is significant and inside the search range
};

// The shift of `rings` (scene pixels) that best puts their outlines on a brightness step
// (brighter inside) in `brightness` (the window `win`, valid where `valid`): every integer
// shift within max_shift_px is scored by the mean step between points 1.5 px inside and
// outside the outlines, the best refined to sub-pixel by a parabola through its neighbours.
// Applied only when it beats zero shift by min_gain standard errors and is no edge of the
// search range (a polygon far off, or a pier that does not stand out, keeps its place).
PolygonShift EstimatePolygonShift(const cv::Mat& brightness, const cv::Mat& valid,
                                  const std::vector<std::vector<std::vector<PixelXY>>>& rings,
                                  const PixelWindow& win, int max_shift_px, double min_gain = 4.0);

// Adds (dx, dy) to every point.
void ShiftRings(std::vector<std::vector<PixelXY>>& rings, double dx, double dy);

}  // namespace bw
