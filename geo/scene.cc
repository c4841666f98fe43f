#include "geo/scene.h"

#include <cpl_string.h>
#include <gdal_priv.h>
#include <gdal_utils.h>
#include <ogr_spatialref.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#include <set>
#include <sstream>

#include "geo/crs.h"
#include "geo/error.h"

namespace bw {

namespace {

namespace fs = std::filesystem;
constexpr const char* kStage = "geo.scene";

struct DatasetCloser {
  void operator()(GDALDataset* ds) const { GDALClose(GDALDataset::ToHandle(ds)); }
};

// GDAL messages may span lines; ours are one line.
std::string LastGdalError() {
  std::string msg = CPLGetLastErrorMsg();
  for (char& c : msg) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  if (msg.empty()) msg = "unknown GDAL error";
  return msg;
}

std::map<std::string, std::string> MetadataMap(char** md) {
  std::map<std::string, std::string> out;
  for (char** p = md; p != nullptr && *p != nullptr; ++p) {
    char* key = nullptr;
    const char* value = CPLParseNameValue(*p, &key);
    if (key != nullptr && value != nullptr) out[key] = value;
    CPLFree(key);
  }
  return out;
}

std::vector<std::string> Tokens(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : text) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      cur += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else if (!cur.empty()) {
      out.push_back(cur);
      cur.clear();
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

// Role named by a band description ("red", "B04", "NIR (B08)"), if any.
std::optional<BandRole> RoleFromDescription(const std::string& description) {
  static const std::set<std::string> kRed = {"red", "r", "b04", "b4"};
  static const std::set<std::string> kGreen = {"green", "g", "b03", "b3"};
  static const std::set<std::string> kBlue = {"blue", "b", "b02", "b2"};
  static const std::set<std::string> kNir = {"nir", "n",   "nir08",       "b08",
                                             "b8",  "b8a", "nearinfrared"};
  const std::vector<std::string> tokens = Tokens(description);
  std::string joined;
  for (const auto& t : tokens) joined += t;
  for (const auto& t : tokens) {
    if (kNir.count(t)) return BandRole::kNir;
  }
  if (joined.find("nearinfrared") != std::string::npos) return BandRole::kNir;
  for (const auto& t : tokens) {
    if (kRed.count(t)) return BandRole::kRed;
    if (kGreen.count(t)) return BandRole::kGreen;
    if (kBlue.count(t)) return BandRole::kBlue;
  }
  return std::nullopt;
}

}  // namespace

const char* ToString(BandRole role) {
  switch (role) {
    case BandRole::kRed:
      return "red";
    case BandRole::kGreen:
      return "green";
    case BandRole::kBlue:
      return "blue";
    case BandRole::kNir:
      return "nir";
  }
  return "?";
}

const char* ToString(PixelType type) {
  switch (type) {
    case PixelType::kByte:
      return "Byte";
    case PixelType::kUInt16:
      return "UInt16";
    case PixelType::kInt16:
      return "Int16";
    case PixelType::kUInt32:
      return "UInt32";
    case PixelType::kFloat32:
      return "Float32";
    case PixelType::kFloat64:
      return "Float64";
  }
  return "?";
}

struct Scene::Impl {
  std::string path;
  // The file as opened; `dataset` reads it, or a warped VRT over it (declared after it, so
  // closed first) when its ground pixels are not square (see WarpToSquarePixels).
  std::unique_ptr<GDALDataset, DatasetCloser> source;
  std::unique_ptr<GDALDataset, DatasetCloser> dataset;
  std::string resampled;  // what the warp did, for `inspect`; empty when not warped
  int width = 0;
  int height = 0;
  int band_count = 0;
  PixelType pixel_type = PixelType::kByte;
  std::array<int, 4> band_of_role{0, 0, 0, 0};
  std::string roles_source;
  std::array<double, 6> gt{};
  std::array<double, 6> inv_gt{};
  std::string wkt;
  std::optional<int> epsg;
  bool geographic = false;
  double gsd_x = 0.0;
  double gsd_y = 0.0;
  std::optional<double> nodata;
  int block_w = 0;
  int block_h = 0;
  // Integer rasters whose role bands share one type and whose masks are either "all valid"
  // or a nodata value that is an integer in the type's range: ReadWindow reads every role
  // band in one native-type call and derives validity itself (pixel == nodata), exactly
  // what GDAL's nodata mask band gives, without a second read per band.
  bool direct_read = false;
  std::array<std::optional<double>, 4> role_nodata;
  void DecideDirectRead();
  // Throws Error unless `w` lies inside the raster.
  void CheckWindow(const PixelWindow& w) const {
    if (w.empty() || w.x0 < 0 || w.y0 < 0 || w.x0 + w.width > width || w.y0 + w.height > height) {
      throw Error(kStage, path, "window outside the raster");
    }
  }
  // The InputError of a failed read of window `w` (GDAL's message appended).
  [[noreturn]] void ReadFailed(const PixelWindow& w) const {
    Fail("read failed in window x=" + std::to_string(w.x0) + " y=" + std::to_string(w.y0) + " " +
         std::to_string(w.width) + "x" + std::to_string(w.height) +
         " (truncated or corrupt?): " + LastGdalError());
  }
  Acquisition acquisition;
  LonLat center;
  std::unique_ptr<CrsTransform> crs_from_lonlat;
  std::unique_ptr<CrsTransform> lonlat_from_crs;

  [[noreturn]] void Fail(const std::string& problem) const {
    throw InputError(kStage, path, problem);
  }

  void DecideBandRoles();
  // Lon/lat of pixel coordinates (px, py) through the full geotransform; false if the CRS
  // transform fails there.
  bool LonLatAt(double px, double py, LonLat& out) const {
    double x = gt[0] + px * gt[1] + py * gt[2];
    double y = gt[3] + px * gt[4] + py * gt[5];
    if (!lonlat_from_crs->Apply(x, y)) return false;
    out = {x, y};
    return true;
  }
  void ReadGeoreference();
  void ComputeGsd();
  void CheckBlocksInsideFile() const;
  void WarpToSquarePixels(double max_anisotropy);
};

// A truncated GeoTIFF opens fine (its directory is at the start) and fails only when a
// missing block is read. The block offsets and sizes are in the directory: a block that
// ends past the end of the file means the file was cut short.
void Scene::Impl::CheckBlocksInsideFile() const {
  if (dataset->GetDriver() == nullptr || !EQUAL(dataset->GetDriver()->GetDescription(), "GTiff")) {
    return;
  }
  std::error_code ec;
  const auto file_size = fs::file_size(path, ec);
  if (ec) return;
  const int nx = (width + block_w - 1) / block_w;
  const int ny = (height + block_h - 1) / block_h;
  if (static_cast<long long>(nx) * ny > 4'000'000) return;  // too many to list cheaply
  std::set<int> bands(band_of_role.begin(), band_of_role.end());
  bands.erase(0);
  for (int b : bands) {
    GDALRasterBand* band = dataset->GetRasterBand(b);
    for (int by = 0; by < ny; ++by) {
      for (int bx = 0; bx < nx; ++bx) {
        const std::string suffix = std::to_string(bx) + "_" + std::to_string(by);
        const char* off = band->GetMetadataItem(("BLOCK_OFFSET_" + suffix).c_str(), "TIFF");
        const char* size = band->GetMetadataItem(("BLOCK_SIZE_" + suffix).c_str(), "TIFF");
        if (off == nullptr || size == nullptr) continue;  // sparse block
        const unsigned long long end =
            std::strtoull(off, nullptr, 10) + std::strtoull(size, nullptr, 10);
        if (end > file_size) {
          Fail("truncated file: block " + suffix + " of band " + std::to_string(b) +
               " ends at byte " + std::to_string(end) + " but the file has " +
               std::to_string(file_size) + " bytes");
        }
      }
    }
  }
}

void Scene::Impl::DecideBandRoles() {
  std::vector<GDALColorInterp> interp(band_count + 1, GCI_Undefined);
  std::vector<std::string> desc(band_count + 1);
  for (int b = 1; b <= band_count; ++b) {
    GDALRasterBand* band = dataset->GetRasterBand(b);
    interp[b] = band->GetColorInterpretation();
    desc[b] = band->GetDescription();
  }
  auto is_alpha = [&](int b) { return interp[b] == GCI_AlphaBand; };
  // NIR from a description, else the first band after R, G, B that is not alpha.
  auto find_nir = [&](std::array<int, 4>& roles) {
    for (int b = 1; b <= band_count; ++b) {
      if (RoleFromDescription(desc[b]) == BandRole::kNir) {
        roles[3] = b;
        return;
      }
    }
    for (int b = 1; b <= band_count; ++b) {
      if (b != roles[0] && b != roles[1] && b != roles[2] && !is_alpha(b) &&
          (interp[b] == GCI_Undefined || interp[b] == GCI_GrayIndex)) {
        roles[3] = b;
        return;
      }
    }
  };

  // 1. Color interpretation.
  std::array<int, 4> roles{0, 0, 0, 0};
  for (int b = 1; b <= band_count; ++b) {
    if (interp[b] == GCI_RedBand && roles[0] == 0) roles[0] = b;
    if (interp[b] == GCI_GreenBand && roles[1] == 0) roles[1] = b;
    if (interp[b] == GCI_BlueBand && roles[2] == 0) roles[2] = b;
  }
  if (roles[0] && roles[1] && roles[2]) {
    find_nir(roles);
    band_of_role = roles;
    roles_source = "color_interpretation";
    return;
  }
  // 2. Band descriptions.
  roles = {0, 0, 0, 0};
  for (int b = 1; b <= band_count; ++b) {
    if (auto r = RoleFromDescription(desc[b])) {
      int& slot = roles[static_cast<int>(*r)];
      if (slot == 0) slot = b;
    }
  }
  if (roles[0] && roles[1] && roles[2]) {
    band_of_role = roles;
    roles_source = "description";
    return;
  }
  // 3. Positional: R, G, B[, NIR].
  band_of_role = {1, 2, 3, 0};
  if (band_count >= 4 && !is_alpha(4)) band_of_role[3] = 4;
  roles_source = "positional";
}

void Scene::Impl::DecideDirectRead() {
  direct_read = false;
  double lo = 0, hi = 0;
  switch (pixel_type) {
    case PixelType::kByte:
      hi = 255;
      break;
    case PixelType::kUInt16:
      hi = 65535;
      break;
    case PixelType::kInt16:
      lo = -32768;
      hi = 32767;
      break;
    case PixelType::kUInt32:
      hi = 4294967295.0;
      break;
    default:
      return;  // floating point: NaN handling and GDAL's tolerant nodata comparison
  }
  const GDALDataType type = dataset->GetRasterBand(band_of_role[0])->GetRasterDataType();
  for (int r = 0; r < 4; ++r) {
    role_nodata[r].reset();
    if (band_of_role[r] == 0) continue;
    GDALRasterBand* band = dataset->GetRasterBand(band_of_role[r]);
    if (band->GetRasterDataType() != type) return;
    const int flags = band->GetMaskFlags();
    if (flags == GMF_ALL_VALID) continue;
    if (flags != GMF_NODATA) return;  // per-dataset masks, alpha, NODATA_VALUES
    int has = 0;
    const double v = band->GetNoDataValue(&has);
    if (!has || !(v >= lo && v <= hi) || v != std::floor(v)) return;
    role_nodata[r] = v;
  }
  direct_read = true;
}

void Scene::Impl::ComputeGsd() {
  // Ground distance of one pixel step along each image axis at the centre, measured on the
  // ellipsoid so that geographic and Web Mercator rasters get metres too. The step vectors
  // come from the full geotransform, so rotated rasters are handled.
  const double cx = width / 2.0, cy = height / 2.0;
  LonLat c, ex, ey;
  if (LonLatAt(cx, cy, c) && LonLatAt(cx + 1.0, cy, ex) && LonLatAt(cx, cy + 1.0, ey)) {
    gsd_x = GeodesicDistanceM(c, ex);
    gsd_y = GeodesicDistanceM(c, ey);
  }
  if (!(gsd_x > 0) || !(gsd_y > 0) || !std::isfinite(gsd_x) || !std::isfinite(gsd_y)) {
    OGRSpatialReference srs;
    srs.importFromWkt(wkt.c_str());
    const double unit = geographic ? 111320.0 : srs.GetLinearUnits();
    gsd_x = std::hypot(gt[1], gt[4]) * unit;
    gsd_y = std::hypot(gt[2], gt[5]) * unit;
  }
}

// Geotransform, CRS, lon/lat transforms, block size, nodata and the read path of `dataset`.
void Scene::Impl::ReadGeoreference() {
  GDALDataset& ds = *dataset;
  double g[6];
  if (ds.GetGeoTransform(g) != CE_None) Fail("no geotransform (not georeferenced)");
  for (int i = 0; i < 6; ++i) gt[i] = g[i];
  double inv[6];
  if (!GDALInvGeoTransform(g, inv)) Fail("degenerate geotransform (not invertible)");
  for (int i = 0; i < 6; ++i) inv_gt[i] = inv[i];

  const OGRSpatialReference* srs = ds.GetSpatialRef();
  if (srs == nullptr || srs->IsEmpty()) Fail("no CRS");
  char* text = nullptr;
  const char* wkt_options[] = {"FORMAT=WKT2_2019", nullptr};
  srs->exportToWkt(&text, wkt_options);
  wkt = text != nullptr ? text : "";
  CPLFree(text);
  geographic = srs->IsGeographic();
  {
    const char* name = srs->GetAuthorityName(nullptr);
    const char* code = srs->GetAuthorityCode(nullptr);
    if (name != nullptr && code != nullptr && EQUAL(name, "EPSG")) {
      epsg = std::atoi(code);
    } else {
      epsg = EpsgOf(wkt);
    }
  }
  try {
    crs_from_lonlat = std::make_unique<CrsTransform>("EPSG:4326", wkt);
    lonlat_from_crs = std::make_unique<CrsTransform>(wkt, "EPSG:4326");
  } catch (const Error& e) {
    Fail("CRS cannot be transformed to lon/lat: " + e.problem());
  }

  GDALRasterBand* first = ds.GetRasterBand(band_of_role[0]);
  int bw = 0, bh = 0;
  first->GetBlockSize(&bw, &bh);
  block_w = std::max(1, bw);
  block_h = std::max(1, bh);
  int has_nodata = 0;
  const double nd = first->GetNoDataValue(&has_nodata);
  nodata.reset();
  if (has_nodata) nodata = nd;
  DecideDirectRead();
}

// Every measurement downstream (hull beam and length in pixels, shadow widths, box filters
// sized in metres) takes a pixel for a square of gsd_m on the ground. A raster whose ground
// pixels are not square — lon/lat degrees away from the equator (at 43 deg N a pixel of
// equal degrees is 0.73 times as wide as it is tall), or a grid sheared by its geotransform —
// is read through a warped VRT in the UTM zone of its centre with square pixels of the
// same area; nodata and the area outside the footprint stay invalid. Lanczos resampling:
// the raster was resampled once already (to lon/lat), and every further blur widens the
// edges the hull and shadow fits measure. On two stretches of rendered seasons (60 scenes
// each) warped to EPSG:4326, against the same looks in the UTM originals: beams 0.35 and
// 0.45 m off (median) on the lon/lat grid, 0.02 and 0.03 m resampled; freeboards 0.25 and
// 0.20 m off, 0.07 m resampled; states as the original's 22/27 and 13/17 -> 25/27 and 16/17.
void Scene::Impl::WarpToSquarePixels(double max_anisotropy) {
  // Side lengths from ComputeGsd (geodesic); the angle between the two pixel axes from
  // their step vectors at the centre in local east/north.
  const double cx = width / 2.0, cy = height / 2.0;
  LonLat c, ex, ey;
  if (!LonLatAt(cx, cy, c) || !LonLatAt(cx + 1, cy, ex) || !LonLatAt(cx, cy + 1, ey)) return;
  const double k = std::cos(c.lat_deg * M_PI / 180.0);
  const double ax = (ex.lon_deg - c.lon_deg) * k, ay = ex.lat_deg - c.lat_deg;
  const double bx = (ey.lon_deg - c.lon_deg) * k, by = ey.lat_deg - c.lat_deg;
  const double la = std::hypot(ax, ay), lb = std::hypot(bx, by);
  if (!(la > 0) || !(lb > 0)) return;
  const double ratio = std::max(gsd_x, gsd_y) / std::min(gsd_x, gsd_y);
  const double skew = std::fabs(ax * bx + ay * by) / (la * lb);  // cos of the axes' angle
  if (ratio - 1.0 <= max_anisotropy && skew <= max_anisotropy) return;
  if (std::fabs(c.lat_deg) > 84.0) return;  // no UTM zone
  const int zone = std::clamp(static_cast<int>(std::floor((c.lon_deg + 180.0) / 6.0)) + 1, 1, 60);
  const int target = (c.lat_deg >= 0 ? 32600 : 32700) + zone;
  const double res = std::sqrt(gsd_x * gsd_y);
  const std::string t_srs = "EPSG:" + std::to_string(target);
  const std::string tr = CPLSPrintf("%.17g", res);
  CPLStringList args;
  for (const char* a :
       {"-of", "VRT", "-t_srs", t_srs.c_str(), "-tr", tr.c_str(), tr.c_str(), "-r", "lanczos"}) {
    args.AddString(a);
  }
  if (nodata) {
    args.AddString("-srcnodata");
    args.AddString(CPLSPrintf("%.17g", *nodata));
    args.AddString("-dstnodata");
    args.AddString(CPLSPrintf("%.17g", *nodata));
  } else {
    args.AddString("-dstalpha");  // outside the footprint is invalid, not zero
  }
  GDALWarpAppOptions* wo = GDALWarpAppOptionsNew(args.List(), nullptr);
  if (wo == nullptr) return;
  GDALDatasetH src = GDALDataset::ToHandle(dataset.get());
  int usage_error = 0;
  CPLErrorReset();
  GDALDatasetH vrt = GDALWarp("", nullptr, 1, &src, wo, &usage_error);
  GDALWarpAppOptionsFree(wo);
  if (vrt == nullptr) {
    spdlog::warn(
        "scene '{}': pixels of {:.3f} x {:.3f} m could not be resampled to square ones "
        "({}); measuring on the raster's own grid",
        path, gsd_x, gsd_y, LastGdalError());
    return;
  }
  GDALDataset* warped = GDALDataset::FromHandle(vrt);
  // Band roles come from the source's colour interpretation and descriptions: keep them.
  for (int b = 1; b <= band_count && b <= warped->GetRasterCount(); ++b) {
    GDALRasterBand* from = dataset->GetRasterBand(b);
    GDALRasterBand* to = warped->GetRasterBand(b);
    to->SetColorInterpretation(from->GetColorInterpretation());
    to->SetDescription(from->GetDescription());
  }
  resampled = std::string("to EPSG:") + std::to_string(target) + ", " + CPLSPrintf("%.3f", res) +
              " m square pixels (the raster's are " + CPLSPrintf("%.3f x %.3f", gsd_x, gsd_y) +
              " m)";
  spdlog::info("scene '{}': resampled {}", path, resampled);
  source = std::move(dataset);
  dataset.reset(warped);
  width = dataset->GetRasterXSize();
  height = dataset->GetRasterYSize();
  ReadGeoreference();
  ComputeGsd();
}

Scene::Scene(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Scene::Scene(Scene&&) noexcept = default;
Scene& Scene::operator=(Scene&&) noexcept = default;
Scene::~Scene() = default;

Scene Scene::Open(const std::string& path, const SceneOptions& options) {
  InitializeGdal();
  auto im = std::make_unique<Impl>();
  im->path = path;
  std::error_code ec;
  if (!fs::exists(path, ec)) im->Fail("no such file");
  if (fs::is_directory(path, ec)) im->Fail("is a directory, not a raster");
  if (fs::is_regular_file(path, ec) && fs::file_size(path, ec) == 0) im->Fail("empty file");

  CPLErrorReset();
  im->dataset.reset(GDALDataset::FromHandle(
      GDALOpenEx(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY, nullptr, nullptr, nullptr)));
  if (im->dataset == nullptr) {
    const std::string why = CPLGetLastErrorMsg();
    im->Fail(why.empty() ? std::string("not a raster format GDAL recognises")
                         : "unreadable or truncated raster: " + LastGdalError());
  }
  GDALDataset& ds = *im->dataset;
  im->width = ds.GetRasterXSize();
  im->height = ds.GetRasterYSize();
  im->band_count = ds.GetRasterCount();
  if (im->width <= 0 || im->height <= 0) im->Fail("empty raster (0 pixels)");
  if (im->band_count < 3) {
    im->Fail(std::to_string(im->band_count) + " band(s); need at least 3 (R, G, B)");
  }

  im->DecideBandRoles();

  GDALRasterBand* first = ds.GetRasterBand(im->band_of_role[0]);
  const GDALDataType type = first->GetRasterDataType();
  switch (type) {
    case GDT_Byte:
      im->pixel_type = PixelType::kByte;
      break;
    case GDT_UInt16:
      im->pixel_type = PixelType::kUInt16;
      break;
    case GDT_Int16:
      im->pixel_type = PixelType::kInt16;
      break;
    case GDT_UInt32:
      im->pixel_type = PixelType::kUInt32;
      break;
    case GDT_Float32:
      im->pixel_type = PixelType::kFloat32;
      break;
    case GDT_Float64:
      im->pixel_type = PixelType::kFloat64;
      break;
    default:
      im->Fail(std::string("unsupported data type ") + GDALGetDataTypeName(type) +
               " (Byte, UInt16, Int16, UInt32, Float32 or Float64)");
  }

  im->ReadGeoreference();
  im->CheckBlocksInsideFile();
  im->ComputeGsd();
  im->WarpToSquarePixels(options.max_pixel_anisotropy);
  {
    double x = im->gt[0] + im->width / 2.0 * im->gt[1] + im->height / 2.0 * im->gt[2];
    double y = im->gt[3] + im->width / 2.0 * im->gt[4] + im->height / 2.0 * im->gt[5];
    if (!im->lonlat_from_crs->Apply(x, y))
      im->Fail("scene centre cannot be transformed to lon/lat");
    im->center = {x, y};
  }

  RasterMetadata md;
  md.default_domain = MetadataMap(ds.GetMetadata());
  md.imagery = MetadataMap(ds.GetMetadata("IMAGERY"));
  md.imd = MetadataMap(ds.GetMetadata("IMD"));
  im->acquisition = ReadAcquisition(path, md, im->center, options.acquisition);
  spdlog::debug("scene '{}': {}x{} x{} {}, roles {}, EPSG {}, gsd {:.3f} m", path, im->width,
                im->height, im->band_count, ToString(im->pixel_type), im->roles_source,
                im->epsg.value_or(0), std::sqrt(im->gsd_x * im->gsd_y));
  return Scene(std::move(im));
}

const std::string& Scene::path() const { return impl_->path; }
std::string Scene::id() const { return fs::path(impl_->path).stem().string(); }
int Scene::width() const { return impl_->width; }
int Scene::height() const { return impl_->height; }
int Scene::band_count() const { return impl_->band_count; }
PixelType Scene::pixel_type() const { return impl_->pixel_type; }
int Scene::band_index(BandRole role) const { return impl_->band_of_role[static_cast<int>(role)]; }
const std::string& Scene::band_roles_source() const { return impl_->roles_source; }
const std::array<double, 6>& Scene::geotransform() const { return impl_->gt; }
const std::string& Scene::crs_wkt() const { return impl_->wkt; }
std::optional<int> Scene::epsg() const { return impl_->epsg; }
bool Scene::crs_is_geographic() const { return impl_->geographic; }
const std::string& Scene::resampled() const { return impl_->resampled; }
double Scene::gsd_x_m() const { return impl_->gsd_x; }
double Scene::gsd_y_m() const { return impl_->gsd_y; }
double Scene::gsd_m() const { return std::sqrt(impl_->gsd_x * impl_->gsd_y); }
std::optional<double> Scene::nodata() const { return impl_->nodata; }
int Scene::block_width() const { return impl_->block_w; }
int Scene::block_height() const { return impl_->block_h; }
const Acquisition& Scene::acquisition() const { return impl_->acquisition; }
LonLat Scene::center_lonlat() const { return impl_->center; }

PixelXY Scene::pixel_from_crs(double x, double y) const {
  const auto& g = impl_->inv_gt;
  return {g[0] + x * g[1] + y * g[2], g[3] + x * g[4] + y * g[5]};
}

void Scene::crs_from_pixel(PixelXY p, double& x, double& y) const {
  const auto& g = impl_->gt;
  x = g[0] + p.x * g[1] + p.y * g[2];
  y = g[3] + p.x * g[4] + p.y * g[5];
}

PixelXY Scene::pixel_from_lonlat(LonLat p) const {
  double x = p.lon_deg, y = p.lat_deg;
  if (!impl_->crs_from_lonlat->Apply(x, y)) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    return {nan, nan};
  }
  return pixel_from_crs(x, y);
}

LonLat Scene::lonlat_from_pixel(PixelXY p) const {
  double x = 0, y = 0;
  crs_from_pixel(p, x, y);
  if (!impl_->lonlat_from_crs->Apply(x, y)) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    return {nan, nan};
  }
  return {x, y};
}

cv::Mat Scene::ReadBand(int band_index, const PixelWindow& w) const {
  const Impl& im = *impl_;
  if (band_index < 1 || band_index > im.band_count) {
    throw Error(kStage, im.path, "no band " + std::to_string(band_index));
  }
  im.CheckWindow(w);
  cv::Mat out(w.height, w.width, CV_32FC1);
  CPLErrorReset();
  const CPLErr err = im.dataset->GetRasterBand(band_index)
                         ->RasterIO(GF_Read, w.x0, w.y0, w.width, w.height, out.data, w.width,
                                    w.height, GDT_Float32, 0, 0, nullptr);
  if (err != CE_None) im.ReadFailed(w);
  return out;
}

void Scene::CheckReadable() const {
  const Impl& im = *impl_;
  for (int y0 = 0; y0 < im.height; y0 += im.block_h) {
    const int rows = std::min(im.block_h, im.height - y0);
    for (int r = 0; r < 4; ++r) {
      if (im.band_of_role[r] > 0) ReadBand(im.band_of_role[r], {0, y0, im.width, rows});
    }
  }
}

namespace {

// Converts rows of a pixel-interleaved native buffer (nb role bands) into the float bands
// and clears `valid` where a band holds its nodata value.
template <typename T>
void ConvertInterleaved(const unsigned char* buffer, int rows, int width, int nb, int y_out,
                        const std::array<std::optional<double>, 4>& nodata, WindowPixels& px) {
  std::array<T, 4> nd{};
  std::array<bool, 4> has{};
  for (int b = 0; b < nb; ++b) {
    has[b] = nodata[b].has_value();
    if (has[b]) nd[b] = static_cast<T>(*nodata[b]);
  }
  const bool any = has[0] || has[1] || has[2] || has[3];
  for (int y = 0; y < rows; ++y) {
    const T* in = reinterpret_cast<const T*>(buffer) + static_cast<size_t>(y) * width * nb;
    std::array<float*, 4> out{};
    for (int b = 0; b < nb; ++b) out[b] = px.bands[b].ptr<float>(y_out + y);
    uchar* v = px.valid.ptr<uchar>(y_out + y);
    if (nb == 4) {
      for (int x = 0; x < width; ++x) {
        out[0][x] = static_cast<float>(in[4 * x]);
        out[1][x] = static_cast<float>(in[4 * x + 1]);
        out[2][x] = static_cast<float>(in[4 * x + 2]);
        out[3][x] = static_cast<float>(in[4 * x + 3]);
      }
    } else {
      for (int x = 0; x < width; ++x)
        for (int b = 0; b < nb; ++b) out[b][x] = static_cast<float>(in[nb * x + b]);
    }
    if (!any) {
      std::memset(v, 255, width);
      continue;
    }
    for (int x = 0; x < width; ++x) {
      bool ok = true;
      for (int b = 0; b < nb; ++b) ok &= !(has[b] & (in[nb * x + b] == nd[b]));
      v[x] = ok ? 255 : 0;
    }
  }
}

}  // namespace

WindowPixels Scene::ReadWindow(const PixelWindow& window) const {
  WindowPixels px;
  ReadWindow(window, px);
  return px;
}

void Scene::ReadWindow(const PixelWindow& window, WindowPixels& px) const {
  const Impl& im = *impl_;
  im.CheckWindow(window);
  px.window = window;
  px.valid.create(window.height, window.width, CV_8UC1);
  if (!im.direct_read) {
    px.valid.setTo(255);
    for (int r = 0; r < 4; ++r) {
      const int b = im.band_of_role[r];
      if (b == 0) {
        px.bands[r].release();
        continue;
      }
      px.bands[r] = ReadBand(b, window);
      // Nodata, per-dataset masks and alpha all come through GDAL's mask band.
      GDALRasterBand* band = im.dataset->GetRasterBand(b);
      if ((band->GetMaskFlags() & GMF_ALL_VALID) == 0) {
        cv::Mat mask(window.height, window.width, CV_8UC1);
        CPLErrorReset();
        const CPLErr err = band->GetMaskBand()->RasterIO(
            GF_Read, window.x0, window.y0, window.width, window.height, mask.data, window.width,
            window.height, GDT_Byte, 0, 0, nullptr);
        if (err != CE_None) {
          throw InputError(kStage, im.path, "mask read failed: " + LastGdalError());
        }
        px.valid.setTo(0, mask == 0);
      }
      // NaN pixels are never valid, whatever the nodata declaration says.
      if (im.pixel_type == PixelType::kFloat32 || im.pixel_type == PixelType::kFloat64) {
        px.valid.setTo(0, px.bands[r] != px.bands[r]);
      }
    }
    return;
  }
  // Direct read: all role bands in one native-type call per chunk of block rows (each
  // block decoded once, memory bounded by a chunk), converted in one pass.
  int roles[4];
  int nb = 0;
  for (int r = 0; r < 4; ++r) {
    if (im.band_of_role[r] == 0) {
      px.bands[r].release();
      continue;
    }
    roles[nb++] = im.band_of_role[r];
    px.bands[r].create(window.height, window.width, CV_32FC1);
  }
  // Only NIR may be absent, so the roles present are the first nb.
  const GDALDataType type = im.dataset->GetRasterBand(roles[0])->GetRasterDataType();
  const int elem = GDALGetDataTypeSizeBytes(type);
  const int chunk = im.block_h * std::max(1, (64 + im.block_h - 1) / im.block_h);
  thread_local std::vector<unsigned char> buffer;
  for (int y = window.y0; y < window.y0 + window.height;) {
    const int y_end = std::min(window.y0 + window.height, (y / chunk + 1) * chunk);
    const int rows = y_end - y;
    buffer.resize(static_cast<size_t>(rows) * window.width * nb * elem);
    CPLErrorReset();
    const CPLErr err =
        im.dataset->RasterIO(GF_Read, window.x0, y, window.width, rows, buffer.data(), window.width,
                             rows, type, nb, roles, static_cast<GSpacing>(nb) * elem,
                             static_cast<GSpacing>(nb) * elem * window.width, elem, nullptr);
    if (err != CE_None) im.ReadFailed(window);
    const int y_out = y - window.y0;
    switch (im.pixel_type) {
      case PixelType::kByte:
        ConvertInterleaved<uint8_t>(buffer.data(), rows, window.width, nb, y_out, im.role_nodata,
                                    px);
        break;
      case PixelType::kUInt16:
        ConvertInterleaved<uint16_t>(buffer.data(), rows, window.width, nb, y_out, im.role_nodata,
                                     px);
        break;
      case PixelType::kInt16:
        ConvertInterleaved<int16_t>(buffer.data(), rows, window.width, nb, y_out, im.role_nodata,
                                    px);
        break;
      default:
        ConvertInterleaved<uint32_t>(buffer.data(), rows, window.width, nb, y_out, im.role_nodata,
                                     px);
        break;
    }
    y = y_end;
  }
  // Keep the buffer from pinning a large window's worth of memory per thread.
  if (buffer.capacity() > (size_t{4} << 20)) std::vector<unsigned char>().swap(buffer);
}

}  // namespace bw
