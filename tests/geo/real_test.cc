// The shared real rasters (../shared/data/real): odd but valid TIFFs load or are rejected
// with a clear message; malformed TIFFs give one clean error each, never a crash or hang.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "geo/error.h"
#include "geo/scene.h"
#include "tests/geo/test_env.h"
#include "tests/testing/testing.h"

namespace bw {
namespace {

namespace fs = std::filesystem;

enum class Outcome { kLoaded, kRejected };

// Opens, reads everything, and reports; any exception other than bw::Error fails the test.
Outcome OpenAndRead(const fs::path& p, std::string* message) {
  try {
    const Scene s = Scene::Open(p.string());
    s.CheckReadable();
    if (s.width() > 0) s.ReadWindow({0, 0, std::min(64, s.width()), std::min(64, s.height())});
    return Outcome::kLoaded;
  } catch (const Error& e) {
    *message = e.what();
    EXPECT_NE(message->find(p.string()), std::string::npos) << *message;
    EXPECT_EQ(message->find('\n'), std::string::npos) << *message;
    EXPECT_EQ(e.stage(), "geo.scene");
    return Outcome::kRejected;
  }
}

TEST(RealData, LandsatCoastGeoTiff) {
  BW_REQUIRE_REAL_DATA(dir);
  const Scene s = Scene::Open((dir / "landsat_coast_geotiff/RGB.byte.tif").string());
  EXPECT_EQ(s.width(), 791);
  EXPECT_EQ(s.height(), 718);
  EXPECT_EQ(s.epsg(), 32618);
  EXPECT_EQ(s.pixel_type(), PixelType::kByte);
  EXPECT_FALSE(s.has_nir());
  EXPECT_EQ(s.nodata(), 0.0);
  // 300.04 m grid pixels; the ground distance differs by the UTM scale factor there.
  EXPECT_NEAR(s.gsd_m(), 300.04, 0.5);
  EXPECT_FALSE(s.acquisition().datetime.has_value());
  const WindowPixels px = s.ReadWindow({0, 0, s.width(), s.height()});
  const double valid = cv::countNonZero(px.valid) / static_cast<double>(s.width() * s.height());
  // The tilted Landsat footprint leaves large nodata wedges.
  EXPECT_GT(valid, 0.4);
  EXPECT_LT(valid, 0.9);
  EXPECT_EQ(px.valid.at<uint8_t>(0, 0), 0);
  EXPECT_LT(s.pixel_from_lonlat(s.lonlat_from_pixel({400.3, 300.7})).x - 400.3, 0.01);
}

TEST(RealData, OddValidTiffsLoadOrAreRejectedClearly) {
  BW_REQUIRE_REAL_DATA(dir);
  int loaded = 0, rejected = 0;
  for (const auto& entry : fs::directory_iterator(dir / "odd_valid_tiffs")) {
    if (entry.path().extension() == ".txt") continue;
    std::string msg;
    if (OpenAndRead(entry.path(), &msg) == Outcome::kLoaded) {
      ++loaded;
    } else {
      ++rejected;
      // The reasons are the documented validation failures, not read errors.
      EXPECT_TRUE(msg.find("band(s); need at least 3") != std::string::npos ||
                  msg.find("no geotransform") != std::string::npos ||
                  msg.find("no CRS") != std::string::npos)
          << msg;
    }
  }
  EXPECT_EQ(loaded + rejected, 11);
  EXPECT_GE(loaded, 3);  // geo-5b, NAIP WebP, all-nodata
}

TEST(RealData, AllNodataSceneHasNoValidPixels) {
  BW_REQUIRE_REAL_DATA(dir);
  const Scene s = Scene::Open((dir / "odd_valid_tiffs/rasterio_all_nodata.tif").string());
  EXPECT_EQ(s.epsg(), 32628);
  const WindowPixels px = s.ReadWindow({0, 0, s.width(), s.height()});
  EXPECT_EQ(cv::countNonZero(px.valid), 0);
}

TEST(RealData, RotatedGeotransformWithoutCrsIsRejected) {
  BW_REQUIRE_REAL_DATA(dir);
  std::string msg;
  EXPECT_EQ(OpenAndRead(dir / "odd_valid_tiffs/rasterio_rotated_geotransform.tif", &msg),
            Outcome::kRejected);
}

TEST(RealData, TruncatedTileIsOneCleanError) {
  BW_REQUIRE_REAL_DATA(dir);
  const fs::path p = dir / "bad_tiffs/rasterio_corrupt_truncated_tile.tif";
  std::string msg;
  EXPECT_EQ(OpenAndRead(p, &msg), Outcome::kRejected);
  EXPECT_NE(msg.find("truncated"), std::string::npos) << msg;
}

TEST(RealData, FuzzedTiffsNeverCrashOrHang) {
  BW_REQUIRE_REAL_DATA(dir);
  const fs::path fuzz = dir / "bad_tiffs/image-tiff_fuzz";
  std::ifstream manifest(fuzz / "MANIFEST.tsv");
  ASSERT_TRUE(manifest) << "no MANIFEST.tsv";
  std::string line;
  std::getline(manifest, line);  // header
  std::map<std::string, int> per_result;
  int files = 0, rejected = 0;
  const auto start = std::chrono::steady_clock::now();
  while (std::getline(manifest, line)) {
    std::istringstream ss(line);
    std::string name, result;
    std::getline(ss, name, '\t');
    std::getline(ss, result, '\t');
    if (name.empty()) continue;
    ++files;
    std::string msg;
    const Outcome o = OpenAndRead(fuzz / name, &msg);
    if (o == Outcome::kRejected) ++rejected;
    // GDAL 3.6.2 could not open these: neither can we.
    if (result == "OPEN_FAIL") {
      EXPECT_EQ(o, Outcome::kRejected) << name;
    }
    ++per_result[result];
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(files, 130);
  EXPECT_EQ(per_result["OPEN_FAIL"], 110);
  EXPECT_GE(rejected, 128);  // at most the two files GDAL reads fine (no georeferencing anyway)
  EXPECT_LT(seconds, 60.0);
}

TEST(RealData, InspectTruncatedTilePrintsOneLine) {
  BW_REQUIRE_REAL_DATA(dir);
  const auto r = testing::RunCli(
      {"inspect", (dir / "bad_tiffs/rasterio_corrupt_truncated_tile.tif").string()});
  EXPECT_EQ(r.signal, 0);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

}  // namespace
}  // namespace bw
