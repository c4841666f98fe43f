// Small value types shared by every layer. Frames are in the names:
//  - LonLat: WGS84 degrees, longitude first (traditional GIS order), east/north positive.
//  - PixelXY: raster pixel space, origin at the top-left corner of the top-left pixel,
//    x to the right (columns), y down (rows); the centre of pixel (c, r) is (c+0.5, r+0.5).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace bw {

struct LonLat {
  double lon_deg = 0.0;
  double lat_deg = 0.0;
};

struct PixelXY {
  double x = 0.0;
  double y = 0.0;
};

// A rectangle of whole pixels: columns [x0, x0+width), rows [y0, y0+height).
struct PixelWindow {
  int x0 = 0;
  int y0 = 0;
  int width = 0;
  int height = 0;

  bool empty() const { return width <= 0 || height <= 0; }
  long long area() const { return empty() ? 0 : static_cast<long long>(width) * height; }
  bool operator==(const PixelWindow&) const = default;
};

// Polygon in lon/lat: rings[0] is the outer ring, the rest are holes. Rings are closed
// (first point == last point) as read from GeoJSON.
using LonLatRing = std::vector<LonLat>;
struct LonLatPolygon {
  std::vector<LonLatRing> rings;
};

// UTC time with second resolution.
using TimePoint = std::chrono::sys_seconds;

// Parses RFC 3339 / ISO 8601 ("2024-03-07T01:23:45Z", "...+09:00", "...45.123Z",
// "2024-03-07 01:23:45" taken as UTC, TIFF "2024:03:07 01:23:45"). Fractions are dropped.
std::optional<TimePoint> ParseTime(const std::string& text);
// "2024-03-07T01:23:45Z".
std::string FormatTime(TimePoint t);

}  // namespace bw
