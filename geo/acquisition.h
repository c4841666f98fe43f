// Acquisition metadata of a scene and where each value came from. The contract's order:
// 1. STAC Item sidecar (<stem>.json) or Planet <stem>_metadata.json;
// 2. the raster's own metadata (GDAL IMAGERY domain, Maxar IMD keys, TIFFTAG_DATETIME);
// 3. sun angles computed from datetime + scene centre (geo/solar.h).
// Angles in degrees; azimuths clockwise from true north.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "geo/types.h"

namespace bw {

enum class ValueSource {
  kNone,
  kStacSidecar,
  kPlanetSidecar,
  kGdalImagery,     // IMAGERY metadata domain (ACQUISITIONDATETIME, SUNELEVATION, ...)
  kMaxarImd,        // IMD_* keys (MEANSUNEL, MEANSUNAZ, MEANSATEL, MEANSATAZ, ...)
  kTiffDatetime,    // TIFFTAG_DATETIME
  kSolarAlgorithm,  // computed with the NREL SPA
  kRaster,          // derived from the raster itself (e.g. GSD from the geotransform)
};
const char* ToString(ValueSource source);

template <typename T>
struct Sourced {
  std::optional<T> value;
  ValueSource source = ValueSource::kNone;

  bool has_value() const { return value.has_value(); }
  const T& operator*() const { return *value; }
};

struct Acquisition {
  Sourced<TimePoint> datetime;
  Sourced<double> sun_elevation_deg;  // above the horizon
  Sourced<double> sun_azimuth_deg;    // from the scene towards the sun
  Sourced<double> off_nadir_deg;      // sensor view angle at the scene, 0 = nadir
  Sourced<double> view_azimuth_deg;   // from the scene centre towards the satellite
  Sourced<double> gsd_m;              // as stated by the metadata (the raster's own is in Scene)
  Sourced<double> cloud_cover_pct;    // 0-100
  std::string platform;
  std::string sidecar_path;  // the sidecar actually used, empty when none
};

struct AcquisitionOptions {
  // The contract reads view:azimuth / satellite_azimuth as scene->satellite. Data that uses
  // the opposite sense (satellite->scene) sets this false; the value is then turned by 180.
  bool view_azimuth_towards_satellite = true;
  // Fill missing sun angles with the solar algorithm when a datetime is known.
  bool compute_missing_sun = true;
};

// A raster's own metadata, domain by domain (GDAL's default, IMAGERY and IMD domains).
struct RasterMetadata {
  std::map<std::string, std::string> default_domain;
  std::map<std::string, std::string> imagery;
  std::map<std::string, std::string> imd;
};

// Reads the acquisition metadata of the raster at `raster_path` in the contract's order:
// sidecars next to it, then `metadata`, then (options.compute_missing_sun) the solar
// algorithm at `scene_center`. Throws InputError naming the sidecar when it is malformed
// JSON or holds out-of-range values. A missing datetime is not an error (datetime empty).
Acquisition ReadAcquisition(const std::string& raster_path, const RasterMetadata& metadata,
                            std::optional<LonLat> scene_center,
                            const AcquisitionOptions& options = {});

// Sidecar paths tried for a raster: "<dir>/<stem>.json" and "<dir>/<stem>_metadata.json".
std::string StacSidecarPath(const std::string& raster_path);
std::string PlanetSidecarPath(const std::string& raster_path);

}  // namespace bw
