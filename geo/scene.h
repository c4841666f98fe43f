// A georeferenced scene opened through GDAL and validated once. Not thread-safe (a GDAL
// dataset is not): open one Scene per thread for parallel reads.
#pragma once

#include <array>
#include <memory>
#include <opencv2/core.hpp>
#include <optional>
#include <string>
#include <vector>

#include "geo/acquisition.h"
#include "geo/types.h"

namespace bw {

enum class BandRole { kRed = 0, kGreen = 1, kBlue = 2, kNir = 3 };
const char* ToString(BandRole role);

enum class PixelType { kByte, kUInt16, kInt16, kUInt32, kFloat32, kFloat64 };
const char* ToString(PixelType type);

struct SceneOptions {
  AcquisitionOptions acquisition;
  // Ground pixels whose sides differ by more than this fraction, or whose axes are this far
  // from perpendicular (cosine of their angle), are resampled to square ones on open.
  double max_pixel_anisotropy = 0.01;
};

// Pixels of one window, converted once to float. Bands are in role order R, G, B, NIR
// (NIR empty when the scene has none). Values are the raster's digital numbers (not
// normalised). `valid` is CV_8U, 255 where every band has data (nodata value, mask band
// and alpha respected), 0 elsewhere.
struct WindowPixels {
  PixelWindow window;
  std::array<cv::Mat, 4> bands;  // CV_32FC1, window.height x window.width
  cv::Mat valid;                 // CV_8UC1
  bool has_nir() const { return !bands[3].empty(); }
};

class Scene {
 public:
  // Opens and validates: readable, a geotransform, a CRS, >= 3 bands, supported pixel type,
  // non-empty raster; then reads acquisition metadata. Throws InputError with a one-line
  // message naming the file for each failure.
  static Scene Open(const std::string& path, const SceneOptions& options = {});

  Scene(Scene&&) noexcept;
  Scene& operator=(Scene&&) noexcept;
  ~Scene();

  const std::string& path() const;
  std::string id() const;  // file stem: "scene_0001" for ".../scene_0001.tif"

  int width() const;
  int height() const;
  int band_count() const;
  PixelType pixel_type() const;
  // 1-based GDAL band index for a role; 0 when absent (only NIR may be absent).
  int band_index(BandRole role) const;
  bool has_nir() const { return band_index(BandRole::kNir) > 0; }
  // How the roles were decided: "color_interpretation", "description" or "positional".
  const std::string& band_roles_source() const;

  const std::array<double, 6>& geotransform() const;  // GDAL order
  const std::string& crs_wkt() const;
  std::optional<int> epsg() const;
  bool crs_is_geographic() const;

  // Non-empty when the raster's ground pixels were not square and it is read through a
  // warped VRT in the UTM zone of its centre: says so (CRS, pixel sizes). Every pixel
  // coordinate, the geotransform, CRS and GSD are then the warped grid's.
  const std::string& resampled() const;

  // Ground sample distance in metres at the scene centre, whatever the CRS.
  double gsd_x_m() const;
  double gsd_y_m() const;
  double gsd_m() const;  // sqrt(gsd_x * gsd_y)

  std::optional<double> nodata() const;
  int block_width() const;
  int block_height() const;

  const Acquisition& acquisition() const;
  LonLat center_lonlat() const;

  // Transforms between lon/lat, the scene CRS and pixel space. Round trip < 0.01 px.
  PixelXY pixel_from_lonlat(LonLat p) const;
  LonLat lonlat_from_pixel(PixelXY p) const;
  PixelXY pixel_from_crs(double x, double y) const;
  void crs_from_pixel(PixelXY p, double& x, double& y) const;

  // Reads one window (clipped to the raster by the caller; REQUIRES window inside raster).
  // Throws Error naming the file on I/O failure (truncated/corrupt blocks).
  WindowPixels ReadWindow(const PixelWindow& window) const;
  // The same into `out`, re-using its buffers when their sizes match (a loop over equal
  // windows allocates nothing).
  void ReadWindow(const PixelWindow& window, WindowPixels& out) const;

  // Reads one band (1-based GDAL index) of a window as CV_32F.
  cv::Mat ReadBand(int band_index, const PixelWindow& window) const;

  // Decodes every block of the role bands (a full read, strip by strip, memory bounded by
  // one block row). Throws InputError naming the file at the first corrupt block. Open()
  // already rejects GeoTIFFs whose blocks lie beyond the end of the file; this also catches
  // corrupt compressed data.
  void CheckReadable() const;

 private:
  struct Impl;
  explicit Scene(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Installs GDAL's error handler (routed into spdlog) and registers drivers. Idempotent,
// thread-safe; every entry point of geo calls it.
void InitializeGdal();

// Sets GDAL's raster block cache to `mib` MiB unless the user configured it (environment
// variable or config option GDAL_CACHEMAX). GDAL otherwise defaults to 5 % of RAM, which
// grows with the machine rather than with what a streaming reader re-uses.
void SetDefaultGdalCacheMiB(int mib);

}  // namespace bw
