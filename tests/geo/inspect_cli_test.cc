// `berthwatch inspect` end to end: the real CLI as a subprocess on a GeoTIFF made with
// gdal_translate plus a STAC sidecar, and on a truncated file.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "geo/terminal.h"
#include "tests/geo/geo_fixtures.h"
#include "tests/geo/test_env.h"
#include "tests/testing/testing.h"

namespace bw {
namespace {

using testing::RunCli;
using testing::RunProgram;
using testing::TempDir;

constexpr const char* kStac = R"({
  "type": "Feature", "stac_version": "1.0.0", "id": "scene_0042",
  "properties": {
    "datetime": "2024-03-07T01:23:45Z",
    "view:sun_elevation": 41.5, "view:sun_azimuth": 158.25,
    "view:off_nadir": 12.5, "view:azimuth": 101.0,
    "eo:cloud_cover": 3.5, "platform": "sat-7"
  }
})";

// A 4-band UInt16 source without georeferencing, then gdal_translate assigns CRS and bounds
// and tiles it, as a user would.
std::string MakeSceneWithGdalTranslate(const TempDir& dir) {
  RasterWriteOptions o = testing::UtmOptions();
  const std::string src = testing::WriteScene(dir.file("src.tif"), o, 400, 300, 4);
  const std::string dst = dir.file("scene_0042.tif");
  const auto r = RunProgram({"gdal_translate",
                             "-q",
                             "-of",
                             "GTiff",
                             "-co",
                             "TILED=YES",
                             "-co",
                             "BLOCKXSIZE=128",
                             "-co",
                             "BLOCKYSIZE=128",
                             "-a_srs",
                             "EPSG:32653",
                             "-a_ullr",
                             "500000",
                             "4727000",
                             "500200",
                             "4726850",
                             "-a_nodata",
                             "0",
                             src,
                             dst});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  testing::WriteText(dir.file("scene_0042.json"), kStac);
  return dst;
}

TEST(InspectCli, PrintsSceneValuesAsJson) {
  TempDir dir;
  const std::string scene = MakeSceneWithGdalTranslate(dir);
  const auto r0 = RunCli({"inspect", scene, "--json"});
  ASSERT_EQ(r0.exit_code, 0) << r0.err;
  const nlohmann::json j = nlohmann::json::parse(r0.out);
  EXPECT_EQ(j["scene_id"], "scene_0042");
  EXPECT_EQ(j["width"], 400);
  EXPECT_EQ(j["height"], 300);
  EXPECT_EQ(j["band_count"], 4);
  EXPECT_EQ(j["pixel_type"], "UInt16");
  EXPECT_EQ(j["crs"]["epsg"], 32653);
  EXPECT_EQ(j["bands"]["red"], 1);
  EXPECT_EQ(j["bands"]["nir"], 4);
  EXPECT_NEAR(j["gsd_m"].get<double>(), 0.5 / 0.9996, 1e-3);
  EXPECT_EQ(j["nodata"], 0.0);
  EXPECT_EQ(j["datetime"]["value"], "2024-03-07T01:23:45Z");
  EXPECT_EQ(j["datetime"]["source"], "stac_sidecar");
  EXPECT_EQ(j["sun_elevation_deg"]["value"], 41.5);
  EXPECT_EQ(j["sun_azimuth_deg"]["value"], 158.25);
  EXPECT_EQ(j["off_nadir_deg"]["value"], 12.5);
  EXPECT_EQ(j["view_azimuth_deg"]["value"], 101.0);
  EXPECT_EQ(j["view_azimuth_deg"]["source"], "stac_sidecar");
  EXPECT_EQ(j["cloud_cover_pct"]["value"], 3.5);
  EXPECT_EQ(j["platform"], "sat-7");

  // Now with a terminal built from the scene's own lon/lat.
  const double lon0 = j["center"]["lon"].get<double>();
  const double lat0 = j["center"]["lat"].get<double>();
  const double dlon = 200.0 / 82000.0;  // ~ the raster's width in degrees at 42.7 N
  Terminal t;
  t.features.push_back({FeatureKind::kBerth, "inside",
                        testing::Rect(lon0 - 0.0002, lat0 - 0.0001, lon0 + 0.0002, lat0 + 0.0001)});
  t.features.push_back({FeatureKind::kBerth, "edge",
                        testing::Rect(lon0 + dlon / 2 - 0.0002, lat0 - 0.0001,
                                      lon0 + dlon / 2 + 0.0002, lat0 + 0.0001)});
  t.features.push_back(
      {FeatureKind::kBerth, "away", testing::Rect(lon0 + 0.05, lat0, lon0 + 0.051, lat0 + 0.001)});
  WriteTerminal(dir.file("terminal.geojson"), t);
  const auto r1 = RunCli(
      {"inspect", scene, "--terminal", dir.file("terminal.geojson"), "--json", "--margin-m", "10"});
  ASSERT_EQ(r1.exit_code, 0) << r1.err;
  const nlohmann::json k = nlohmann::json::parse(r1.out);
  ASSERT_EQ(k["berths"].size(), 3u);
  EXPECT_EQ(k["berths"][0]["name"], "inside");
  EXPECT_EQ(k["berths"][0]["coverage"], "full");
  EXPECT_EQ(k["berths"][1]["coverage"], "partial");
  EXPECT_NEAR(k["berths"][1]["covered_fraction"].get<double>(), 0.5, 0.05);
  EXPECT_EQ(k["berths"][2]["coverage"], "none");
  EXPECT_EQ(k["berths"][2]["window"]["width"], 0);
  EXPECT_EQ(k["berths"][0]["window"]["x0"].get<int>() % 128, 0);

  // The table shows the same values with their sources.
  const auto r2 = RunCli({"inspect", scene, "--terminal", dir.file("terminal.geojson")});
  ASSERT_EQ(r2.exit_code, 0) << r2.err;
  EXPECT_NE(r2.out.find("EPSG:32653"), std::string::npos) << r2.out;
  EXPECT_NE(r2.out.find("2024-03-07T01:23:45Z [stac_sidecar]"), std::string::npos) << r2.out;
  EXPECT_NE(r2.out.find("41.50 deg [stac_sidecar]"), std::string::npos) << r2.out;
  EXPECT_NE(r2.out.find("red=1 green=2 blue=3 nir=4"), std::string::npos) << r2.out;
  EXPECT_NE(r2.out.find("partial"), std::string::npos) << r2.out;
}

TEST(InspectCli, SunFromSolarAlgorithmWithoutSidecarAngles) {
  TempDir dir;
  const std::string scene = MakeSceneWithGdalTranslate(dir);
  testing::WriteText(dir.file("scene_0042.json"),
                     R"({"type":"Feature","properties":{"datetime":"2024-03-07T01:23:45Z"}})");
  const auto r = RunCli({"inspect", scene, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["sun_elevation_deg"]["source"], "solar_algorithm");
  EXPECT_GT(j["sun_elevation_deg"]["value"].get<double>(), 30.0);
  EXPECT_EQ(j["off_nadir_deg"]["value"], nullptr);
}

TEST(InspectCli, TruncatedFilePrintsOneLineAndFails) {
  TempDir dir;
  RasterWriteOptions o = testing::UtmOptions();
  o.compress = "NONE";
  const std::string path = testing::WriteScene(dir.file("cut.tif"), o, 1024, 1024, 3);
  std::filesystem::resize_file(path, std::filesystem::file_size(path) * 6 / 10);
  const auto r = RunCli({"inspect", path});
  EXPECT_EQ(r.signal, 0);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.exit_code, -1);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find(path), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

TEST(InspectCli, BadInputsAreOneLineErrors) {
  TempDir dir;
  testing::WriteText(dir.file("empty.tif"), "");
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"inspect", dir.file("missing.tif")},
        std::vector<std::string>{"inspect", dir.file("empty.tif")}}) {
    const auto r = RunCli(args);
    EXPECT_EQ(r.signal, 0);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  const std::string scene = MakeSceneWithGdalTranslate(dir);
  testing::WriteText(dir.file("t.geojson"), R"({"type":"FeatureCollection","features":[)");
  const auto r = RunCli({"inspect", scene, "--terminal", dir.file("t.geojson")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("t.geojson"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace bw
