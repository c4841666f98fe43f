#include "geo/crs.h"

#include <geodesic.h>
#include <ogr_spatialref.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "geo/error.h"
#include "geo/scene.h"

namespace bw {

namespace {
void ImportCrs(OGRSpatialReference& srs, const std::string& text) {
  if (text.empty() || srs.SetFromUserInput(text.c_str()) != OGRERR_NONE) {
    const std::string shown = text.size() > 80 ? text.substr(0, 80) + "..." : text;
    throw InputError("geo.crs", "", "cannot parse CRS '" + shown + "'");
  }
  srs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
}

const geod_geodesic& Wgs84() {
  static const geod_geodesic g = [] {
    geod_geodesic geod;
    geod_init(&geod, 6378137.0, 1.0 / 298.257223563);
    return geod;
  }();
  return g;
}
}  // namespace

struct CrsTransform::Impl {
  OGRSpatialReference source;
  OGRSpatialReference target;
  OGRCoordinateTransformation* transform = nullptr;
  ~Impl() {
    if (transform != nullptr) OGRCoordinateTransformation::DestroyCT(transform);
  }
};

CrsTransform::CrsTransform(const std::string& source_crs, const std::string& target_crs)
    : impl_(std::make_unique<Impl>()) {
  InitializeGdal();
  ImportCrs(impl_->source, source_crs);
  ImportCrs(impl_->target, target_crs);
  impl_->transform = OGRCreateCoordinateTransformation(&impl_->source, &impl_->target);
  if (impl_->transform == nullptr) {
    throw InputError("geo.crs", "", "no transformation between the two CRSs");
  }
}

CrsTransform::~CrsTransform() = default;
CrsTransform::CrsTransform(CrsTransform&&) noexcept = default;
CrsTransform& CrsTransform::operator=(CrsTransform&&) noexcept = default;

bool CrsTransform::Apply(double& x, double& y) const {
  double xs = x, ys = y;
  int ok = 0;
  if (!impl_->transform->Transform(1, &xs, &ys, nullptr, &ok) || !ok) return false;
  if (!std::isfinite(xs) || !std::isfinite(ys)) return false;
  x = xs;
  y = ys;
  return true;
}

int UtmEpsgFor(LonLat where) {
  double lon = std::fmod(where.lon_deg + 180.0, 360.0);
  if (lon < 0) lon += 360.0;
  int zone = static_cast<int>(std::floor(lon / 6.0)) + 1;
  zone = std::clamp(zone, 1, 60);
  const double lat = where.lat_deg;
  const double lon180 = lon - 180.0;
  // The two irregular zones: south-west Norway and Svalbard.
  if (lat >= 56.0 && lat < 64.0 && lon180 >= 3.0 && lon180 < 12.0) zone = 32;
  if (lat >= 72.0 && lat < 84.0) {
    if (lon180 >= 0.0 && lon180 < 9.0)
      zone = 31;
    else if (lon180 >= 9.0 && lon180 < 21.0)
      zone = 33;
    else if (lon180 >= 21.0 && lon180 < 33.0)
      zone = 35;
    else if (lon180 >= 33.0 && lon180 < 42.0)
      zone = 37;
  }
  return (lat >= 0.0 ? 32600 : 32700) + zone;
}

std::optional<int> EpsgOf(const std::string& crs) {
  InitializeGdal();
  OGRSpatialReference srs;
  if (crs.empty() || srs.SetFromUserInput(crs.c_str()) != OGRERR_NONE) return std::nullopt;
  auto code_of = [](const OGRSpatialReference& s) -> std::optional<int> {
    const char* name = s.GetAuthorityName(nullptr);
    const char* code = s.GetAuthorityCode(nullptr);
    if (name != nullptr && code != nullptr && std::string(name) == "EPSG") {
      return std::atoi(code);
    }
    return std::nullopt;
  };
  if (auto c = code_of(srs)) return c;
  // A WKT without an authority: GDAL knows the common ones (WGS84, UTM zones) ...
  {
    OGRSpatialReference copy(srs);
    if (copy.AutoIdentifyEPSG() == OGRERR_NONE) {
      if (auto c = code_of(copy)) return c;
    }
  }
  // ... else ask PROJ for a match with an equivalent definition (confidence >= 70 means the
  // same definition under another name), taken only when it is the single best one.
  int count = 0;
  int* confidences = nullptr;
  OGRSpatialReferenceH* matches = srs.FindMatches(nullptr, &count, &confidences);
  std::optional<int> result;
  if (count >= 1 && confidences[0] >= 70 && (count == 1 || confidences[1] < confidences[0])) {
    result = code_of(*OGRSpatialReference::FromHandle(matches[0]));
  }
  OSRFreeSRSArray(matches);
  CPLFree(confidences);
  return result;
}

double GeodesicDistanceM(LonLat a, LonLat b) {
  double s12 = 0, azi1 = 0, azi2 = 0;
  geod_inverse(&Wgs84(), a.lat_deg, a.lon_deg, b.lat_deg, b.lon_deg, &s12, &azi1, &azi2);
  return s12;
}

double GeodesicAzimuthDeg(LonLat from, LonLat to) {
  double s12 = 0, azi1 = 0, azi2 = 0;
  geod_inverse(&Wgs84(), from.lat_deg, from.lon_deg, to.lat_deg, to.lon_deg, &s12, &azi1, &azi2);
  double az = std::fmod(azi1, 360.0);
  if (az < 0) az += 360.0;
  return az;
}

}  // namespace bw
