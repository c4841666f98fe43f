// Sentinel-2 ports of ../shared/data/real/sen2ships (10 m, COCO boxes) through `detect --wide`:
// the helper the real-imagery tests share.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "detection/detections_io.h"
#include "detection/evaluate.h"
#include "geo/scene.h"
#include "tests/testing/testing.h"

namespace bw::testing {

namespace fs = std::filesystem;

inline std::string Find(const fs::path& dir, const std::string& band) {
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    // The band's GeoTIFF itself, not a sidecar (a GDAL .aux.xml) that shares its name.
    const std::string ext = e.path().extension().string();
    if (name.find("_" + band + "_(Raw)") != std::string::npos && (ext == ".tiff" || ext == ".tif"))
      return e.path().string();
  }
  return {};
}

// Runs `detect --wide` on a stack of the port's B04/B03/B02/B08 bands and scores it against the
// COCO boxes (printed). Fatal gtest failures return early with `result` untouched.
inline void DetectPort(const fs::path& real, const std::string& port, Evaluation* result) {
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
  *result = e;
}

}  // namespace bw::testing
