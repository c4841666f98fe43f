// Pixel windows of the berths of a terminal in one scene, for reading only what is needed.
#pragma once

#include <string>
#include <vector>

#include "geo/scene.h"
#include "geo/terminal.h"
#include "geo/types.h"

namespace bw {

enum class Coverage { kNone, kPartial, kFull };
const char* ToString(Coverage coverage);

struct WindowOptions {
  double margin_m = 120.0;      // added around each berth polygon's bounding box
  bool align_to_blocks = true;  // expand to the raster's block grid
  void Check() const;
};

struct BerthWindow {
  std::string berth;
  PixelWindow window;  // clipped to the raster (empty when not covered)
  Coverage coverage = Coverage::kNone;
  double covered_fraction = 0.0;  // share of the berth polygon's area inside the raster
  std::vector<std::vector<PixelXY>> polygon_px;  // berth rings in scene pixel space
};

std::vector<BerthWindow> ComputeBerthWindows(const Scene& scene, const Terminal& terminal,
                                             const WindowOptions& options = {});

// Any terminal feature's rings in scene pixel space (for land/pier masks).
std::vector<std::vector<PixelXY>> PolygonToPixels(const Scene& scene, const LonLatPolygon& p);

}  // namespace bw
