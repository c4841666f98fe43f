// Rasters the project's writer deliberately cannot make (no geotransform, no CRS, two bands,
// complex pixels, bands without colour interpretation), written with GDAL directly.
#pragma once

#include <gdal_priv.h>
#include <ogr_spatialref.h>

#include <string>
#include <vector>

#include "geo/scene.h"

namespace bw::testing {

struct RawRaster {
  int width = 64;
  int height = 48;
  int bands = 4;
  GDALDataType type = GDT_UInt16;
  bool geotransform = true;
  bool crs = true;
  std::vector<GDALColorInterp> interp;  // empty: leave GDAL's default (gray/undefined)
  std::vector<std::string> descriptions;
  std::vector<std::string> creation_options = {"PHOTOMETRIC=MINISBLACK"};
};

inline void WriteRaw(const std::string& path, const RawRaster& r) {
  InitializeGdal();
  GDALDriver* drv = GetGDALDriverManager()->GetDriverByName("GTiff");
  std::vector<const char*> co;
  for (const auto& s : r.creation_options) co.push_back(s.c_str());
  co.push_back(nullptr);
  GDALDataset* ds =
      drv->Create(path.c_str(), r.width, r.height, r.bands, r.type, const_cast<char**>(co.data()));
  if (ds == nullptr) return;
  if (r.geotransform) {
    double gt[6] = {500000.0, 0.5, 0.0, 4727000.0, 0.0, -0.5};
    ds->SetGeoTransform(gt);
  }
  if (r.crs) {
    OGRSpatialReference srs;
    srs.importFromEPSG(32653);
    ds->SetSpatialRef(&srs);
  }
  std::vector<float> row(static_cast<size_t>(r.width) * r.height);
  for (int b = 1; b <= r.bands; ++b) {
    GDALRasterBand* band = ds->GetRasterBand(b);
    for (size_t i = 0; i < row.size(); ++i) row[i] = static_cast<float>(10 * b + i % 7);
    if (band->RasterIO(GF_Write, 0, 0, r.width, r.height, row.data(), r.width, r.height,
                       GDT_Float32, 0, 0, nullptr) != CE_None) {
      break;
    }
    if (b - 1 < static_cast<int>(r.interp.size())) band->SetColorInterpretation(r.interp[b - 1]);
    if (b - 1 < static_cast<int>(r.descriptions.size())) {
      band->SetDescription(r.descriptions[b - 1].c_str());
    }
  }
  GDALClose(GDALDataset::ToHandle(ds));
}

}  // namespace bw::testing
