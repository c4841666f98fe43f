// Real imagery (label `real`): Sentinel-2 ports with COCO boxes, detect --wide; the Landsat
// coast scene gives no vessels.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>

#include "detection/detections_io.h"
#include "detection/evaluate.h"
#include "geo/scene.h"
#include "tests/testing/testing.h"

namespace bw {
namespace {

namespace fs = std::filesystem;

std::string Find(const fs::path& dir, const std::string& band) {
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    // The band's GeoTIFF itself, not a sidecar (a GDAL .aux.xml) that shares its name.
    const std::string ext = e.path().extension().string();
    if (name.find("_" + band + "_(Raw)") != std::string::npos && (ext == ".tiff" || ext == ".tif"))
      return e.path().string();
  }
  return {};
}

void CheckPort(const std::string& port) {
  BW_REQUIRE_REAL_DATA(real);
  const fs::path dir = real / "sen2ships" / port;
  testing::TempDir tmp("bw-det-real");
  const std::string vrt = tmp.file(port + ".vrt");
  std::vector<std::string> argv = {"gdalbuildvrt", "-q", "-separate", vrt};
  for (const char* b : {"B04", "B03", "B02", "B08"}) {
    const std::string f = Find(dir, b);
    ASSERT_FALSE(f.empty()) << b;
    argv.push_back(f);
  }
  ASSERT_EQ(testing::RunProgram(argv).exit_code, 0);
  const std::string out = tmp.file(port + ".geojson");
  const auto r = testing::RunCli({"detect", vrt, "--wide", "--out", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto dets = ReadDetectionsGeoJson(out);
  const Scene scene = Scene::Open(vrt);
  std::vector<PixelXY> centers;
  for (const auto& d : dets) {
    centers.push_back(scene.pixel_from_lonlat(d.center));
    EXPECT_EQ(d.load_state, LoadState::kUnknown);
  }
  const Evaluation e = EvaluateCoco(ReadCocoBoxes((dir / (port + "_coco.json")).string()), centers);
  std::printf("%s: %s", port.c_str(), EvaluationToText(e).c_str());
  EXPECT_GE(e.f1, 0.85);
}

TEST(Sen2Ships, Honolulu) { CheckPort("honolulu"); }
TEST(Sen2Ships, Casablanca) { CheckPort("casablanca"); }

TEST(LandsatCoast, NoVessels) {
  BW_REQUIRE_REAL_DATA(real);
  testing::TempDir tmp("bw-det-real");
  const std::string out = tmp.file("landsat.geojson");
  const auto r =
      testing::RunCli({"detect", (real / "landsat_coast_geotiff" / "RGB.byte.tif").string(),
                       "--wide", "--out", out});
  if (r.exit_code == 0) {
    EXPECT_TRUE(ReadDetectionsGeoJson(out).empty());
  } else {
    EXPECT_NE(r.err.find("RGB.byte.tif"), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace bw
