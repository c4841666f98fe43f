#include "geo/raster_writer.h"

#include <cpl_string.h>
#include <gdal_priv.h>
#include <ogr_spatialref.h>

#include "geo/error.h"

namespace bw {

namespace {

constexpr const char* kStage = "geo.raster_writer";

GDALDataType GdalTypeOf(int cv_depth, const std::string& path) {
  switch (cv_depth) {
    case CV_8U:
      return GDT_Byte;
    case CV_16U:
      return GDT_UInt16;
    case CV_16S:
      return GDT_Int16;
    case CV_32F:
      return GDT_Float32;
    case CV_64F:
      return GDT_Float64;
    default:
      throw Error(kStage, path, "unsupported OpenCV depth " + std::to_string(cv_depth));
  }
}

GDALColorInterp InterpOf(BandRole role) {
  switch (role) {
    case BandRole::kRed:
      return GCI_RedBand;
    case BandRole::kGreen:
      return GCI_GreenBand;
    case BandRole::kBlue:
      return GCI_BlueBand;
    case BandRole::kNir:
      return GCI_Undefined;  // GDAL 3.6 has no NIR interpretation: the description says it
  }
  return GCI_Undefined;
}

}  // namespace

struct RasterWriter::Impl {
  std::string path;
  int width = 0;
  int height = 0;
  int bands = 0;
  int cv_depth = CV_16U;
  GDALDataType type = GDT_UInt16;
  GDALDataset* dataset = nullptr;

  void Close() {
    if (dataset == nullptr) return;
    GDALDataset* ds = dataset;
    dataset = nullptr;
    CPLErrorReset();
    GDALClose(GDALDataset::ToHandle(ds));
    if (CPLGetLastErrorType() == CE_Failure || CPLGetLastErrorType() == CE_Fatal) {
      throw Error(kStage, path, std::string("closing failed: ") + CPLGetLastErrorMsg());
    }
  }
};

RasterWriter::RasterWriter(const std::string& path, int width, int height,
                           const RasterWriteOptions& opt)
    : impl_(std::make_unique<Impl>()) {
  InitializeGdal();
  Impl& im = *impl_;
  im.path = path;
  im.width = width;
  im.height = height;
  im.bands = opt.band_count;
  im.cv_depth = opt.cv_depth;
  im.type = GdalTypeOf(opt.cv_depth, path);
  if (width <= 0 || height <= 0 || opt.band_count <= 0) {
    throw Error(kStage, path, "empty raster requested");
  }
  if (!opt.roles.empty() && static_cast<int>(opt.roles.size()) != opt.band_count) {
    throw Error(kStage, path, "roles must name every band");
  }
  std::vector<BandRole> roles = opt.roles;
  if (roles.empty()) {
    for (int b = 0; b < opt.band_count && b < 4; ++b) roles.push_back(static_cast<BandRole>(b));
  }

  GDALDriver* driver = GetGDALDriverManager()->GetDriverByName("GTiff");
  if (driver == nullptr) throw Error(kStage, path, "GDAL has no GTiff driver");
  CPLStringList co;
  co.SetNameValue("TILED", "YES");
  co.SetNameValue("BLOCKXSIZE", std::to_string(opt.block_size).c_str());
  co.SetNameValue("BLOCKYSIZE", std::to_string(opt.block_size).c_str());
  co.SetNameValue("BIGTIFF", "IF_SAFER");
  co.SetNameValue("INTERLEAVE", "PIXEL");
  if (!opt.compress.empty() && opt.compress != "NONE") {
    co.SetNameValue("COMPRESS", opt.compress.c_str());
    if (opt.predictor) {
      const bool fp = im.type == GDT_Float32 || im.type == GDT_Float64;
      co.SetNameValue("PREDICTOR", fp ? "3" : "2");
    }
  }
  const bool rgb_order = roles.size() >= 3 && roles[0] == BandRole::kRed &&
                         roles[1] == BandRole::kGreen && roles[2] == BandRole::kBlue;
  co.SetNameValue("PHOTOMETRIC", rgb_order ? "RGB" : "MINISBLACK");
  if (rgb_order && opt.band_count == 4) co.SetNameValue("ALPHA", "NO");

  CPLErrorReset();
  im.dataset = driver->Create(path.c_str(), width, height, opt.band_count, im.type, co.List());
  if (im.dataset == nullptr) {
    throw Error(kStage, path, std::string("cannot create: ") + CPLGetLastErrorMsg());
  }
  double gt[6];
  for (int i = 0; i < 6; ++i) gt[i] = opt.geotransform[i];
  im.dataset->SetGeoTransform(gt);
  if (!opt.crs.empty()) {
    OGRSpatialReference srs;
    if (srs.SetFromUserInput(opt.crs.c_str()) != OGRERR_NONE) {
      throw Error(kStage, path, "cannot parse CRS '" + opt.crs + "'");
    }
    srs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    im.dataset->SetSpatialRef(&srs);
  }
  for (int b = 0; b < opt.band_count; ++b) {
    GDALRasterBand* band = im.dataset->GetRasterBand(b + 1);
    if (b < static_cast<int>(roles.size())) {
      band->SetColorInterpretation(InterpOf(roles[b]));
      if (roles[b] == BandRole::kNir && opt.band_descriptions.empty()) band->SetDescription("nir");
    }
    if (b < static_cast<int>(opt.band_descriptions.size()) && !opt.band_descriptions[b].empty()) {
      band->SetDescription(opt.band_descriptions[b].c_str());
    }
    if (opt.nodata) band->SetNoDataValue(*opt.nodata);
  }
  for (const auto& [k, v] : opt.metadata) im.dataset->SetMetadataItem(k.c_str(), v.c_str());
  for (const auto& [k, v] : opt.imagery_metadata) {
    im.dataset->SetMetadataItem(k.c_str(), v.c_str(), "IMAGERY");
  }
}

RasterWriter::~RasterWriter() {
  if (impl_ == nullptr) return;
  try {
    impl_->Close();
  } catch (const std::exception&) {
    // A destructor must not throw; Close() reports the failure to callers that care.
  }
}

RasterWriter::RasterWriter(RasterWriter&&) noexcept = default;
RasterWriter& RasterWriter::operator=(RasterWriter&&) noexcept = default;

void RasterWriter::WriteRows(int y0, const std::vector<cv::Mat>& bands) {
  Impl& im = *impl_;
  if (im.dataset == nullptr) throw Error(kStage, im.path, "writer already closed");
  if (static_cast<int>(bands.size()) != im.bands) {
    throw Error(
        kStage, im.path,
        "expected " + std::to_string(im.bands) + " bands, got " + std::to_string(bands.size()));
  }
  const int rows = bands.empty() ? 0 : bands[0].rows;
  if (y0 < 0 || y0 + rows > im.height) throw Error(kStage, im.path, "rows outside the raster");
  for (int b = 0; b < im.bands; ++b) {
    const cv::Mat& m = bands[b];
    if (m.cols != im.width || m.rows != rows || m.channels() != 1 || m.depth() != im.cv_depth) {
      throw Error(kStage, im.path, "band " + std::to_string(b + 1) + " has the wrong size or type");
    }
    cv::Mat c = m.isContinuous() ? m : m.clone();
    CPLErrorReset();
    const CPLErr err = im.dataset->GetRasterBand(b + 1)->RasterIO(
        GF_Write, 0, y0, im.width, rows, c.data, im.width, rows, im.type, 0, 0, nullptr);
    if (err != CE_None) {
      throw Error(kStage, im.path, std::string("write failed: ") + CPLGetLastErrorMsg());
    }
  }
}

void RasterWriter::Close() { impl_->Close(); }

void WriteGeoTiff(const std::string& path, const std::vector<cv::Mat>& bands,
                  const RasterWriteOptions& options) {
  if (bands.empty()) throw Error(kStage, path, "no bands to write");
  RasterWriteOptions opt = options;
  opt.band_count = static_cast<int>(bands.size());
  opt.cv_depth = bands[0].depth();
  if (!opt.roles.empty() && static_cast<int>(opt.roles.size()) != opt.band_count) opt.roles.clear();
  RasterWriter writer(path, bands[0].cols, bands[0].rows, opt);
  writer.WriteRows(0, bands);
  writer.Close();
}

}  // namespace bw
