// Acquisition geometry in a scene's pixel frame (true-north azimuths -> pixel directions).
#include <cmath>

#include "detection/freeboard.h"
#include "geo/error.h"

namespace bw {

cv::Point2d PixelDirectionFromAzimuth(const Scene& scene, PixelXY at, double azimuth_deg) {
  // Two points 50 m north and east of `at` through lon/lat: grid convergence and pixel
  // aspect are taken into account, whatever the CRS.
  const LonLat ll = scene.lonlat_from_pixel(at);
  constexpr double kStepM = 50.0, kMPerDegLat = 111320.0;
  const double dlat = kStepM / kMPerDegLat;
  const double dlon = kStepM / (kMPerDegLat * std::max(1e-6, std::cos(ll.lat_deg * M_PI / 180)));
  const PixelXY pn = scene.pixel_from_lonlat({ll.lon_deg, ll.lat_deg + dlat});
  const PixelXY pe = scene.pixel_from_lonlat({ll.lon_deg + dlon, ll.lat_deg});
  const cv::Point2d north(pn.x - at.x, pn.y - at.y), east(pe.x - at.x, pe.y - at.y);
  const double a = azimuth_deg * M_PI / 180.0;
  const cv::Point2d d = east * std::sin(a) + north * std::cos(a);
  const double n = std::hypot(d.x, d.y);
  if (!(n > 0)) throw Error("detection.freeboard", scene.path(), "degenerate georeference");
  return d * (1.0 / n);
}

PixelGeometry PixelGeometryAt(const Scene& scene, PixelXY at) {
  const Acquisition& acq = scene.acquisition();
  if (!acq.sun_elevation_deg.has_value() || !acq.sun_azimuth_deg.has_value()) {
    throw NoDataError("detection.freeboard", scene.path(), "sun angles unknown");
  }
  PixelGeometry g;
  g.sun_elevation_deg = *acq.sun_elevation_deg;
  g.to_sun_px = PixelDirectionFromAzimuth(scene, at, *acq.sun_azimuth_deg);
  g.off_nadir_deg = acq.off_nadir_deg.has_value() ? *acq.off_nadir_deg : 0.0;
  const double view_az = acq.view_azimuth_deg.has_value() ? *acq.view_azimuth_deg : 0.0;
  g.relief_dir_px = PixelDirectionFromAzimuth(scene, at, view_az + 180.0);
  g.gsd_m = scene.gsd_m();
  return g;
}

}  // namespace bw
