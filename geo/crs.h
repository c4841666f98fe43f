// Coordinate reference systems, kept behind our own types. CRS strings are anything OGR's
// SetFromUserInput takes: "EPSG:32653", WKT, PROJJSON. Axis order is always the
// traditional GIS order (x = easting/longitude, y = northing/latitude).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "geo/types.h"

namespace bw {

class CrsTransform {
 public:
  // Throws InputError when either CRS cannot be parsed.
  CrsTransform(const std::string& source_crs, const std::string& target_crs);
  ~CrsTransform();
  CrsTransform(CrsTransform&&) noexcept;
  CrsTransform& operator=(CrsTransform&&) noexcept;

  // Transforms in place; returns false when the point cannot be transformed.
  bool Apply(double& x, double& y) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The WGS84 UTM zone (EPSG:326xx north, 327xx south) containing the point.
int UtmEpsgFor(LonLat where);

// EPSG code of a CRS string when it has one.
std::optional<int> EpsgOf(const std::string& crs);

// Ellipsoidal (WGS84) distance in metres and initial azimuth in degrees clockwise from
// true north, from `a` to `b`.
double GeodesicDistanceM(LonLat a, LonLat b);
double GeodesicAzimuthDeg(LonLat from, LonLat to);

}  // namespace bw
