// Small real GeoTIFFs written with GDAL (through bw::WriteGeoTiff) for the geo tests.
#pragma once

#include <fstream>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "geo/raster_writer.h"
#include "geo/terminal.h"

namespace bw::testing {

// A UTM 53N raster near 135 E, 42.7 N with 0.5 m pixels, north-up.
inline RasterWriteOptions UtmOptions(double gsd_m = 0.5) {
  RasterWriteOptions o;
  o.geotransform = {500000.0, gsd_m, 0.0, 4727000.0, 0.0, -gsd_m};
  o.crs = "EPSG:32653";
  o.block_size = 256;
  return o;
}

// A geographic (EPSG:4326) raster at the same place, ~0.8 x 1.1 m pixels.
inline RasterWriteOptions GeographicOptions() {
  RasterWriteOptions o;
  o.geotransform = {135.0, 1e-5, 0.0, 42.7, 0.0, -1e-5};
  o.crs = "EPSG:4326";
  o.block_size = 256;
  return o;
}

// Web Mercator at the same place, 1 m nominal pixels (~0.73 m on the ground).
inline RasterWriteOptions WebMercatorOptions() {
  RasterWriteOptions o;
  o.geotransform = {15028131.257, 1.0, 0.0, 5266024.0, 0.0, -1.0};
  o.crs = "EPSG:3857";
  o.block_size = 256;
  return o;
}

// Bands with a distinct, deterministic pattern: band b at (r, c) = 100*(b+1) + (r+c) % 97.
inline std::vector<cv::Mat> PatternBands(int width, int height, int bands, int depth = CV_16U) {
  std::vector<cv::Mat> out;
  for (int b = 0; b < bands; ++b) {
    cv::Mat m(height, width, CV_32F);
    for (int r = 0; r < height; ++r) {
      for (int c = 0; c < width; ++c) m.at<float>(r, c) = 100.0f * (b + 1) + (r + c) % 97;
    }
    cv::Mat conv;
    m.convertTo(conv, depth);
    out.push_back(conv);
  }
  return out;
}

inline std::string WriteScene(const std::string& path, const RasterWriteOptions& options,
                              int width = 300, int height = 200, int bands = 4,
                              int depth = CV_16U) {
  RasterWriteOptions o = options;
  if (!o.roles.empty() && static_cast<int>(o.roles.size()) != bands) o.roles.clear();
  WriteGeoTiff(path, PatternBands(width, height, bands, depth), o);
  return path;
}

inline void WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

// A rectangle in lon/lat, closed ring.
inline LonLatPolygon Rect(double lon0, double lat0, double lon1, double lat1) {
  return {{{{lon0, lat0}, {lon1, lat0}, {lon1, lat1}, {lon0, lat1}, {lon0, lat0}}}};
}

}  // namespace bw::testing
