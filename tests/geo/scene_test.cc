#include "geo/scene.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "geo/crs.h"
#include "geo/error.h"
#include "tests/geo/geo_fixtures.h"
#include "tests/geo/raw_gdal.h"
#include "tests/testing/testing.h"

namespace bw {
namespace {

using testing::TempDir;

// Expects Scene::Open to throw InputError with a one-line message naming the file and
// containing `fragment`.
void ExpectOpenError(const std::string& path, const std::string& fragment) {
  try {
    Scene::Open(path);
    ADD_FAILURE() << "opened " << path;
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
    EXPECT_NE(msg.find(fragment), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    EXPECT_EQ(e.stage(), "geo.scene");
  }
}

TEST(Scene, OpensUtmScene) {
  TempDir dir;
  RasterWriteOptions o = testing::UtmOptions();
  o.nodata = 0.0;
  const std::string path = testing::WriteScene(dir.file("scene_0001.tif"), o, 300, 200, 4);
  const Scene s = Scene::Open(path);
  EXPECT_EQ(s.id(), "scene_0001");
  EXPECT_EQ(s.width(), 300);
  EXPECT_EQ(s.height(), 200);
  EXPECT_EQ(s.band_count(), 4);
  EXPECT_EQ(s.pixel_type(), PixelType::kUInt16);
  EXPECT_EQ(s.epsg(), 32653);
  EXPECT_FALSE(s.crs_is_geographic());
  EXPECT_EQ(s.band_roles_source(), "color_interpretation");
  EXPECT_EQ(s.band_index(BandRole::kRed), 1);
  EXPECT_EQ(s.band_index(BandRole::kGreen), 2);
  EXPECT_EQ(s.band_index(BandRole::kBlue), 3);
  EXPECT_EQ(s.band_index(BandRole::kNir), 4);
  EXPECT_TRUE(s.has_nir());
  // Ground distance: the UTM grid pixel divided by the scale factor (0.9996 on the central
  // meridian).
  EXPECT_NEAR(s.gsd_x_m(), 0.5 / 0.9996, 1e-4);
  EXPECT_NEAR(s.gsd_y_m(), 0.5 / 0.9996, 1e-4);
  EXPECT_EQ(s.nodata(), 0.0);
  EXPECT_EQ(s.block_width(), 256);
  EXPECT_EQ(s.block_height(), 256);
  double x = 500000.0 + 150 * 0.5, y = 4727000.0 - 100 * 0.5;
  ASSERT_TRUE(CrsTransform("EPSG:32653", "EPSG:4326").Apply(x, y));
  EXPECT_NEAR(s.center_lonlat().lon_deg, x, 1e-9);
  EXPECT_NEAR(s.center_lonlat().lat_deg, y, 1e-9);
  EXPECT_NEAR(s.center_lonlat().lon_deg, 135.0009, 1e-3);
}

TEST(Scene, GeographicGsdIsInMetres) {
  TempDir dir;
  const std::string path = testing::WriteScene(dir.file("geo.tif"), testing::GeographicOptions());
  SceneOptions own_grid;  // measured on the raster's own grid, not resampled
  own_grid.max_pixel_anisotropy = 1e9;
  const Scene s = Scene::Open(path, own_grid);
  EXPECT_TRUE(s.resampled().empty());
  EXPECT_TRUE(s.crs_is_geographic());
  EXPECT_EQ(s.epsg(), 4326);
  const LonLat c = s.lonlat_from_pixel({150.0, 100.0});
  EXPECT_NEAR(s.gsd_x_m(), GeodesicDistanceM(c, {c.lon_deg + 1e-5, c.lat_deg}), 1e-6);
  EXPECT_NEAR(s.gsd_y_m(), GeodesicDistanceM(c, {c.lon_deg, c.lat_deg - 1e-5}), 1e-6);
  EXPECT_NEAR(s.gsd_x_m(), 0.819, 0.002);
  EXPECT_NEAR(s.gsd_y_m(), 1.111, 0.002);
  EXPECT_NEAR(s.gsd_m(), std::sqrt(s.gsd_x_m() * s.gsd_y_m()), 1e-12);
}

// Degrees at 42.7 deg N are 0.82 x 1.11 m pixels: the scene is read through a warped VRT in
// UTM zone 53 with square pixels of the same area; lon/lat keep pointing at the same ground
// and the area outside the raster's footprint is invalid (2.9 deg east of the zone's central
// meridian the UTM grid is turned against the meridians by about 2.9 deg x sin(42.7 deg),
// 2 deg).
TEST(Scene, NonSquareGroundPixelsAreResampledToSquareUtmPixels) {
  TempDir dir;
  RasterWriteOptions o = testing::GeographicOptions();
  o.geotransform = {137.9, 1e-5, 0.0, 42.7, 0.0, -1e-5};
  o.nodata = 0.0;
  auto bands = testing::PatternBands(300, 200, 4);
  for (auto& b : bands) {
    for (int y = 0; y < b.rows; ++y)
      for (int x = 0; x < b.cols; ++x) b.at<uint16_t>(y, x) = 1000;  // flat water
    b(cv::Rect(100, 80, 10, 10)).setTo(9000);                        // a bright marker
  }
  const std::string path = dir.file("lonlat.tif");
  WriteGeoTiff(path, bands, o);
  const Scene s = Scene::Open(path);
  EXPECT_NE(s.resampled().find("EPSG:32653"), std::string::npos) << s.resampled();
  EXPECT_EQ(s.epsg(), 32653);
  EXPECT_FALSE(s.crs_is_geographic());
  EXPECT_NEAR(s.gsd_x_m(), s.gsd_y_m(), 0.001);
  EXPECT_NEAR(s.gsd_m(), std::sqrt(0.819 * 1.111), 0.003);
  EXPECT_EQ(s.band_count(), 4);
  EXPECT_TRUE(s.has_nir());
  // The marker's centre, 105.0/85.0 px of the raster in degrees, is bright in the warped grid.
  const LonLat m{137.9 + 105.0 * 1e-5, 42.7 - 85.0 * 1e-5};
  const PixelXY p = s.pixel_from_lonlat(m);
  const WindowPixels px = s.ReadWindow({0, 0, s.width(), s.height()});
  EXPECT_GT(px.bands[0].at<float>(static_cast<int>(p.y), static_cast<int>(p.x)), 8000.0f);
  EXPECT_NEAR(px.bands[0].at<float>(static_cast<int>(p.y) + 20, static_cast<int>(p.x)), 1000.0f,
              1.0f);
  // UTM's grid is turned against the meridians: its corners lie outside the footprint.
  EXPECT_EQ(px.valid.at<uint8_t>(0, 0) & px.valid.at<uint8_t>(0, s.width() - 1) &
                px.valid.at<uint8_t>(s.height() - 1, 0) &
                px.valid.at<uint8_t>(s.height() - 1, s.width() - 1),
            0);
  EXPECT_GT(cv::countNonZero(px.valid), 0.9 * s.width() * s.height());
  // A UTM raster is read as it is.
  EXPECT_TRUE(Scene::Open(testing::WriteScene(dir.file("utm.tif"), testing::UtmOptions()))
                  .resampled()
                  .empty());
}

TEST(Scene, WebMercatorGsdIsGroundDistance) {
  TempDir dir;
  const std::string path = testing::WriteScene(dir.file("wm.tif"), testing::WebMercatorOptions());
  const Scene s = Scene::Open(path);
  EXPECT_EQ(s.epsg(), 3857);
  const double lat = s.center_lonlat().lat_deg;
  EXPECT_NEAR(s.gsd_x_m(), std::cos(lat * M_PI / 180.0), 0.003);
}

TEST(Scene, RotatedGeotransformGsd) {
  TempDir dir;
  RasterWriteOptions o = testing::UtmOptions();
  // 2 m pixels rotated by 30 degrees.
  const double a = 30.0 * M_PI / 180.0;
  o.geotransform = {500000.0,  2 * std::cos(a), 2 * std::sin(a),
                    4727000.0, 2 * std::sin(a), -2 * std::cos(a)};
  const Scene s = Scene::Open(testing::WriteScene(dir.file("rot.tif"), o));
  EXPECT_NEAR(s.gsd_x_m(), 2.0 / 0.9996, 2e-3);
  EXPECT_NEAR(s.gsd_y_m(), 2.0 / 0.9996, 2e-3);
  const PixelXY p = s.pixel_from_lonlat(s.lonlat_from_pixel({12.25, 40.5}));
  EXPECT_NEAR(p.x, 12.25, 1e-6);
  EXPECT_NEAR(p.y, 40.5, 1e-6);
}

TEST(Scene, ReadWindowReturnsValuesInRoleOrder) {
  TempDir dir;
  RasterWriteOptions o = testing::UtmOptions();
  // Stored order B, G, R, NIR; the colour interpretation says so.
  o.roles = {BandRole::kBlue, BandRole::kGreen, BandRole::kRed, BandRole::kNir};
  const std::string path = testing::WriteScene(dir.file("bgr.tif"), o, 300, 200, 4);
  const Scene s = Scene::Open(path);
  EXPECT_EQ(s.band_index(BandRole::kRed), 3);
  EXPECT_EQ(s.band_index(BandRole::kBlue), 1);
  EXPECT_EQ(s.band_index(BandRole::kNir), 4);
  const WindowPixels px = s.ReadWindow({10, 20, 30, 40});
  ASSERT_EQ(px.bands[0].rows, 40);
  ASSERT_EQ(px.bands[0].cols, 30);
  // Stored band b (0-based) holds 100*(b+1) + (r+c)%97; red is stored band 2.
  EXPECT_FLOAT_EQ(px.bands[0].at<float>(0, 0), 300.0f + (20 + 10) % 97);
  EXPECT_FLOAT_EQ(px.bands[2].at<float>(5, 7), 100.0f + (25 + 17) % 97);
  EXPECT_FLOAT_EQ(px.bands[3].at<float>(39, 29), 400.0f + (59 + 39) % 97);
  EXPECT_TRUE(px.has_nir());
  EXPECT_EQ(cv::countNonZero(px.valid), 30 * 40);
}

TEST(Scene, RolesFromDescriptions) {
  TempDir dir;
  testing::RawRaster r;
  r.descriptions = {"B08", "B02", "B03", "B04"};
  const std::string path = dir.file("desc.tif");
  testing::WriteRaw(path, r);
  const Scene s = Scene::Open(path);
  EXPECT_EQ(s.band_roles_source(), "description");
  EXPECT_EQ(s.band_index(BandRole::kNir), 1);
  EXPECT_EQ(s.band_index(BandRole::kBlue), 2);
  EXPECT_EQ(s.band_index(BandRole::kGreen), 3);
  EXPECT_EQ(s.band_index(BandRole::kRed), 4);
}

TEST(Scene, RolesPositionalWithoutHints) {
  TempDir dir;
  testing::RawRaster r;
  r.bands = 3;
  const std::string path = dir.file("plain.tif");
  testing::WriteRaw(path, r);
  const Scene s = Scene::Open(path);
  EXPECT_EQ(s.band_roles_source(), "positional");
  EXPECT_EQ(s.band_index(BandRole::kRed), 1);
  EXPECT_EQ(s.band_index(BandRole::kBlue), 3);
  EXPECT_FALSE(s.has_nir());
  EXPECT_FALSE(s.ReadWindow({0, 0, 8, 8}).has_nir());
}

TEST(Scene, NodataIsInvalid) {
  TempDir dir;
  RasterWriteOptions o = testing::UtmOptions();
  o.nodata = 0.0;
  auto bands = testing::PatternBands(64, 64, 3);
  // A nodata block in every band, and one pixel where only green is nodata.
  for (auto& b : bands) b(cv::Rect(0, 0, 10, 10)).setTo(0);
  bands[1].at<uint16_t>(30, 30) = 0;
  const std::string path = dir.file("nodata.tif");
  WriteGeoTiff(path, bands, o);
  const Scene s = Scene::Open(path);
  const WindowPixels px = s.ReadWindow({0, 0, 64, 64});
  EXPECT_EQ(cv::countNonZero(px.valid), 64 * 64 - 100 - 1);
  EXPECT_EQ(px.valid.at<uint8_t>(5, 5), 0);
  EXPECT_EQ(px.valid.at<uint8_t>(30, 30), 0);
  EXPECT_EQ(px.valid.at<uint8_t>(40, 40), 255);
}

TEST(Scene, AlphaBandIsAMask) {
  TempDir dir;
  testing::RawRaster r;
  r.type = GDT_Byte;
  r.creation_options = {"PHOTOMETRIC=RGB", "ALPHA=YES"};
  const std::string path = dir.file("alpha.tif");
  testing::WriteRaw(path, r);
  {
    // Alpha 0 in the left half.
    GDALDataset* ds = GDALDataset::Open(path.c_str(), GDAL_OF_RASTER | GDAL_OF_UPDATE);
    ASSERT_NE(ds, nullptr);
    std::vector<uint8_t> alpha(64 * 48, 255);
    for (int y = 0; y < 48; ++y) {
      for (int x = 0; x < 32; ++x) alpha[y * 64 + x] = 0;
    }
    ASSERT_EQ(ds->GetRasterBand(4)->RasterIO(GF_Write, 0, 0, 64, 48, alpha.data(), 64, 48, GDT_Byte,
                                             0, 0, nullptr),
              CE_None);
    GDALClose(GDALDataset::ToHandle(ds));
  }
  const Scene s = Scene::Open(path);
  EXPECT_FALSE(s.has_nir());
  const WindowPixels px = s.ReadWindow({0, 0, 64, 48});
  EXPECT_EQ(cv::countNonZero(px.valid), 32 * 48);
}

TEST(Scene, ErrorMissingFile) { ExpectOpenError("/nonexistent/x.tif", "no such file"); }

TEST(Scene, ErrorEmptyFile) {
  TempDir dir;
  testing::WriteText(dir.file("empty.tif"), "");
  ExpectOpenError(dir.file("empty.tif"), "empty file");
}

TEST(Scene, ErrorNotARaster) {
  TempDir dir;
  testing::WriteText(dir.file("text.tif"), "this is not a tiff at all\n");
  ExpectOpenError(dir.file("text.tif"), "not a raster format");
}

TEST(Scene, ErrorNoGeotransform) {
  TempDir dir;
  testing::RawRaster r;
  r.geotransform = false;
  r.crs = false;
  testing::WriteRaw(dir.file("nogt.tif"), r);
  ExpectOpenError(dir.file("nogt.tif"), "no geotransform");
}

TEST(Scene, ErrorNoCrs) {
  TempDir dir;
  testing::RawRaster r;
  r.crs = false;
  testing::WriteRaw(dir.file("nocrs.tif"), r);
  ExpectOpenError(dir.file("nocrs.tif"), "no CRS");
}

TEST(Scene, ErrorTooFewBands) {
  TempDir dir;
  testing::RawRaster r;
  r.bands = 2;
  testing::WriteRaw(dir.file("two.tif"), r);
  ExpectOpenError(dir.file("two.tif"), "need at least 3");
}

TEST(Scene, ErrorUnsupportedType) {
  TempDir dir;
  testing::RawRaster r;
  r.type = GDT_CFloat32;
  testing::WriteRaw(dir.file("complex.tif"), r);
  ExpectOpenError(dir.file("complex.tif"), "unsupported data type CFloat32");
}

TEST(Scene, ErrorEmptyRaster) {
  TempDir dir;
  // GeoTIFF cannot hold 0 pixels; a VRT can declare it.
  const std::string path = dir.file("empty.vrt");
  testing::WriteText(path,
                     "<VRTDataset rasterXSize=\"0\" rasterYSize=\"0\">"
                     "<SRS>EPSG:32653</SRS><GeoTransform>0,1,0,0,0,-1</GeoTransform>"
                     "<VRTRasterBand dataType=\"Byte\" band=\"1\"/>"
                     "<VRTRasterBand dataType=\"Byte\" band=\"2\"/>"
                     "<VRTRasterBand dataType=\"Byte\" band=\"3\"/></VRTDataset>");
  try {
    Scene::Open(path);
    ADD_FAILURE() << "opened an empty raster";
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
    EXPECT_TRUE(msg.find("empty raster") != std::string::npos ||
                msg.find("unreadable") != std::string::npos)
        << msg;
  }
}

TEST(Scene, TruncatedFileFailsCleanly) {
  TempDir dir;
  RasterWriteOptions o = testing::UtmOptions();
  o.compress = "NONE";
  const std::string path = testing::WriteScene(dir.file("trunc.tif"), o, 1024, 1024, 3);
  const auto size = std::filesystem::file_size(path);
  std::filesystem::resize_file(path, size / 2);
  try {
    const Scene s = Scene::Open(path);
    s.ReadWindow({0, 0, 1024, 1024});
    ADD_FAILURE() << "read a truncated file";
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
}

// ReadWindow's validity and values against GDAL's own per-band read and mask band, for every
// supported pixel type, pixel- and band-interleaved, tiled and striped files, windows that
// cross block edges, nodata in some bands only, a nodata value outside the type's range
// (GDAL then masks nothing) and NaN in float rasters.
TEST(Scene, ReadWindowMatchesGdalMaskBandsForEveryLayout) {
  TempDir dir;
  struct Case {
    GDALDataType type;
    double nodata;
    bool has_nodata;
    std::vector<std::string> options;
  };
  const std::vector<Case> cases = {
      {GDT_UInt16, 0, true, {"TILED=YES", "BLOCKXSIZE=32", "BLOCKYSIZE=32", "INTERLEAVE=PIXEL"}},
      {GDT_UInt16, 0, true, {"TILED=YES", "BLOCKXSIZE=32", "BLOCKYSIZE=32", "INTERLEAVE=BAND"}},
      {GDT_UInt16, 0, true, {"BLOCKYSIZE=5", "INTERLEAVE=PIXEL", "COMPRESS=DEFLATE"}},
      {GDT_UInt16, 0, false, {"TILED=YES", "BLOCKXSIZE=32", "BLOCKYSIZE=32"}},
      {GDT_UInt16, -1, true, {"TILED=YES", "BLOCKXSIZE=32", "BLOCKYSIZE=32"}},
      {GDT_Byte, 3, true, {"TILED=YES", "BLOCKXSIZE=16", "BLOCKYSIZE=16"}},
      {GDT_Int16, -7, true, {"INTERLEAVE=BAND"}},
      {GDT_UInt32, 5, true, {"TILED=YES", "BLOCKXSIZE=16", "BLOCKYSIZE=16"}},
      {GDT_Float32, 0, true, {"TILED=YES", "BLOCKXSIZE=16", "BLOCKYSIZE=16"}},
  };
  const int w = 70, h = 53;
  for (size_t ci = 0; ci < cases.size(); ++ci) {
    const Case& c = cases[ci];
    for (int nbands : {3, 4}) {
      SCOPED_TRACE("case " + std::to_string(ci) + ", " + std::to_string(nbands) + " bands");
      testing::RawRaster r;
      r.width = w;
      r.height = h;
      r.bands = nbands;
      r.type = c.type;
      r.creation_options = c.options;
      r.creation_options.push_back("PHOTOMETRIC=MINISBLACK");
      const std::string path =
          dir.file("layout" + std::to_string(ci) + "_" + std::to_string(nbands) + ".tif");
      testing::WriteRaw(path, r);
      {
        GDALDataset* ds = GDALDataset::Open(path.c_str(), GDAL_OF_RASTER | GDAL_OF_UPDATE);
        ASSERT_NE(ds, nullptr);
        cv::RNG rng(17 + static_cast<int>(ci));
        for (int b = 1; b <= nbands; ++b) {
          cv::Mat v(h, w, CV_64F);
          rng.fill(v, cv::RNG::UNIFORM, 0, 250);
          v.forEach<double>([](double& x, const int*) { x = std::floor(x); });
          // Nodata in band-specific places (and one block of all bands).
          for (int k = 0; k < 40; ++k)
            v.at<double>(rng.uniform(0, h), rng.uniform(0, w)) = c.nodata;
          v(cv::Rect(0, 0, 4, 3)).setTo(c.nodata);
          if (c.type == GDT_Float32 && b == 2) v.at<double>(10, 11) = std::nan("");
          ASSERT_EQ(ds->GetRasterBand(b)->RasterIO(GF_Write, 0, 0, w, h, v.ptr<double>(), w, h,
                                                   GDT_Float64, 0, 0, nullptr),
                    CE_None);
          if (c.has_nodata) ds->GetRasterBand(b)->SetNoDataValue(c.nodata);
        }
        GDALClose(GDALDataset::ToHandle(ds));
      }
      const Scene s = Scene::Open(path);
      GDALDataset* ref = GDALDataset::Open(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY);
      ASSERT_NE(ref, nullptr);
      WindowPixels reused;
      for (const PixelWindow win : {PixelWindow{0, 0, w, h}, PixelWindow{13, 7, 41, 38},
                                    PixelWindow{31, 30, 39, 23}, PixelWindow{5, 9, 41, 38}}) {
        const WindowPixels px = s.ReadWindow(win);
        s.ReadWindow(win, reused);
        cv::Mat valid(win.height, win.width, CV_8U, cv::Scalar(255));
        for (int role = 0; role < 4; ++role) {
          const int b = s.band_index(static_cast<BandRole>(role));
          if (b == 0) {
            EXPECT_TRUE(px.bands[role].empty());
            EXPECT_TRUE(reused.bands[role].empty());
            continue;
          }
          cv::Mat v(win.height, win.width, CV_32F), m(win.height, win.width, CV_8U);
          GDALRasterBand* band = ref->GetRasterBand(b);
          ASSERT_EQ(band->RasterIO(GF_Read, win.x0, win.y0, win.width, win.height, v.data,
                                   win.width, win.height, GDT_Float32, 0, 0, nullptr),
                    CE_None);
          ASSERT_EQ(
              band->GetMaskBand()->RasterIO(GF_Read, win.x0, win.y0, win.width, win.height, m.data,
                                            win.width, win.height, GDT_Byte, 0, 0, nullptr),
              CE_None);
          valid.setTo(0, m == 0);
          valid.setTo(0, v != v);
          // Equal where both are numbers; NaN where GDAL has NaN.
          cv::Mat a = px.bands[role].clone(), e = v.clone();
          cv::patchNaNs(a, -1e30);
          cv::patchNaNs(e, -1e30);
          EXPECT_EQ(cv::norm(a, e, cv::NORM_INF), 0.0) << "band " << b;
          cv::Mat ar = reused.bands[role].clone();
          cv::patchNaNs(ar, -1e30);
          EXPECT_EQ(cv::norm(ar, e, cv::NORM_INF), 0.0) << "re-used buffers, band " << b;
        }
        EXPECT_EQ(cv::countNonZero(px.valid != valid), 0);
        EXPECT_EQ(cv::countNonZero(reused.valid != valid), 0);
        // Something was masked wherever a nodata value is declared and representable.
        if (c.has_nodata && (c.nodata >= 0 || c.type == GDT_Int16)) {
          EXPECT_LT(cv::countNonZero(valid), win.area());
        }
      }
      GDALClose(GDALDataset::ToHandle(ref));
    }
  }
}

}  // namespace
}  // namespace bw
