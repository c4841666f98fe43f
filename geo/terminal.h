// The terminal: berth, anchorage and land polygons in lon/lat from a GeoJSON
// FeatureCollection (RFC 7946), read with OGR.
#pragma once

#include <string>
#include <vector>

#include "geo/types.h"

namespace bw {

enum class FeatureKind { kBerth, kAnchorage, kLand };
const char* ToString(FeatureKind kind);

struct TerminalFeature {
  FeatureKind kind = FeatureKind::kBerth;
  std::string name;  // required for berths, may be empty otherwise
  LonLatPolygon polygon;
};

struct Terminal {
  std::string path;
  std::vector<TerminalFeature> features;

  std::vector<const TerminalFeature*> berths() const;
  std::vector<const TerminalFeature*> of_kind(FeatureKind kind) const;
};

// Throws InputError: unreadable/empty file, not a FeatureCollection, non-polygon geometry,
// invalid polygon, berth without "name", unknown "kind", duplicate berth names, no berth.
Terminal LoadTerminal(const std::string& path);

// Writes a GeoJSON FeatureCollection (used by the renderer and tests).
void WriteTerminal(const std::string& path, const Terminal& terminal);

}  // namespace bw
