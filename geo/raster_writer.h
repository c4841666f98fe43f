// Writing georeferenced rasters (GeoTIFF/COG-style tiled GeoTIFF) through GDAL.
#pragma once

#include <array>
#include <map>
#include <memory>
#include <opencv2/core.hpp>
#include <optional>
#include <string>
#include <vector>

#include "geo/scene.h"

namespace bw {

struct RasterWriteOptions {
  std::array<double, 6> geotransform{0, 1, 0, 0, 0, -1};
  std::string crs = "EPSG:4326";  // anything OGR's SetFromUserInput takes
  int band_count = 4;
  int cv_depth = CV_16U;        // CV_8U, CV_16U or CV_32F
  std::vector<BandRole> roles;  // color interpretation per band; empty = R,G,B,NIR order
  std::vector<std::string> band_descriptions;
  std::optional<double> nodata;
  std::map<std::string, std::string> metadata;          // default domain
  std::map<std::string, std::string> imagery_metadata;  // IMAGERY domain
  int block_size = 512;
  std::string compress = "DEFLATE";  // "NONE" for none
  bool predictor = true;
};

// Streams a raster to disk row block by row block, so memory does not grow with its size.
class RasterWriter {
 public:
  RasterWriter(const std::string& path, int width, int height, const RasterWriteOptions& opt);
  ~RasterWriter();  // closes (flushes) the file
  RasterWriter(RasterWriter&&) noexcept;
  RasterWriter& operator=(RasterWriter&&) noexcept;

  // Writes rows [y0, y0 + bands[0].rows) of every band; bands[i] is single-channel of the
  // writer's depth and the raster's width.
  void WriteRows(int y0, const std::vector<cv::Mat>& bands);
  void Close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Whole-raster convenience.
void WriteGeoTiff(const std::string& path, const std::vector<cv::Mat>& bands,
                  const RasterWriteOptions& options);

}  // namespace bw
