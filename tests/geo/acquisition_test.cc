#include "geo/acquisition.h"

#include <gtest/gtest.h>

#include "geo/error.h"
#include "geo/scene.h"
#include "geo/solar.h"
#include "tests/geo/geo_fixtures.h"
#include "tests/testing/testing.h"

namespace bw {
namespace {

using testing::TempDir;

constexpr const char* kStac = R"({
  "type": "Feature", "stac_version": "1.0.0", "id": "scene_0001",
  "properties": {
    "datetime": "2024-03-07T01:23:45Z",
    "view:sun_elevation": 41.5, "view:sun_azimuth": 158.25,
    "view:off_nadir": 12.5, "view:azimuth": 101.0,
    "gsd": 0.5, "eo:cloud_cover": 3.5, "platform": "sat-7"
  }
})";

std::string SceneWith(const TempDir& dir, const std::string& name, RasterWriteOptions o = {}) {
  if (o.crs == "EPSG:4326" && o.geotransform[1] == 1) o = testing::UtmOptions();
  return testing::WriteScene(dir.file(name), o, 64, 64, 3);
}

TEST(Acquisition, StacSidecarWins) {
  TempDir dir;
  RasterWriteOptions o = testing::UtmOptions();
  o.imagery_metadata = {{"ACQUISITIONDATETIME", "2020-01-01 00:00:00"}, {"CLOUDCOVER", "50"}};
  const std::string tif = SceneWith(dir, "scene_0001.tif", o);
  testing::WriteText(dir.file("scene_0001.json"), kStac);
  const Scene s = Scene::Open(tif);
  const Acquisition& a = s.acquisition();
  ASSERT_TRUE(a.datetime.has_value());
  EXPECT_EQ(FormatTime(*a.datetime), "2024-03-07T01:23:45Z");
  EXPECT_EQ(a.datetime.source, ValueSource::kStacSidecar);
  EXPECT_DOUBLE_EQ(*a.sun_elevation_deg, 41.5);
  EXPECT_DOUBLE_EQ(*a.sun_azimuth_deg, 158.25);
  EXPECT_DOUBLE_EQ(*a.off_nadir_deg, 12.5);
  EXPECT_DOUBLE_EQ(*a.view_azimuth_deg, 101.0);
  EXPECT_DOUBLE_EQ(*a.gsd_m, 0.5);
  EXPECT_DOUBLE_EQ(*a.cloud_cover_pct, 3.5);
  EXPECT_EQ(a.cloud_cover_pct.source, ValueSource::kStacSidecar);
  EXPECT_EQ(a.sun_azimuth_deg.source, ValueSource::kStacSidecar);
  EXPECT_EQ(a.platform, "sat-7");
  EXPECT_EQ(a.sidecar_path, dir.file("scene_0001.json"));
}

TEST(Acquisition, OppositeViewAzimuthSense) {
  TempDir dir;
  const std::string tif = SceneWith(dir, "s.tif");
  testing::WriteText(dir.file("s.json"), kStac);
  SceneOptions opt;
  opt.acquisition.view_azimuth_towards_satellite = false;
  EXPECT_DOUBLE_EQ(*Scene::Open(tif, opt).acquisition().view_azimuth_deg, 281.0);
}

TEST(Acquisition, SunFromSolarAlgorithmWhenMissing) {
  TempDir dir;
  const std::string tif = SceneWith(dir, "s.tif");
  testing::WriteText(dir.file("s.json"),
                     R"({"type":"Feature","properties":{"datetime":"2024-03-07T01:23:45Z"}})");
  const Scene s = Scene::Open(tif);
  const Acquisition& a = s.acquisition();
  EXPECT_EQ(a.datetime.source, ValueSource::kStacSidecar);
  ASSERT_TRUE(a.sun_elevation_deg.has_value());
  EXPECT_EQ(a.sun_elevation_deg.source, ValueSource::kSolarAlgorithm);
  EXPECT_EQ(a.sun_azimuth_deg.source, ValueSource::kSolarAlgorithm);
  const SunPosition sun = ComputeSunPosition(*a.datetime, s.center_lonlat());
  EXPECT_DOUBLE_EQ(*a.sun_elevation_deg, sun.elevation_deg);
  // 01:23 UTC = 10:23 local solar time at 135 E in March: sun in the south-east, ~40 deg up.
  EXPECT_GT(*a.sun_elevation_deg, 30.0);
  EXPECT_LT(*a.sun_azimuth_deg, 180.0);
  EXPECT_FALSE(a.off_nadir_deg.has_value());
  EXPECT_EQ(a.off_nadir_deg.source, ValueSource::kNone);
}

TEST(Acquisition, PlanetSidecar) {
  TempDir dir;
  const std::string tif = SceneWith(dir, "p.tif");
  testing::WriteText(dir.file("p_metadata.json"), R"({"id":"x","properties":{
    "acquired":"2023-05-01T23:10:11.123456Z","sun_elevation":55.0,"sun_azimuth":120.0,
    "view_angle":4.2,"satellite_azimuth":280.5,"cloud_cover":0.12,"satellite_id":"2455"}})");
  const Acquisition a = Scene::Open(tif).acquisition();
  EXPECT_EQ(a.datetime.source, ValueSource::kPlanetSidecar);
  EXPECT_EQ(FormatTime(*a.datetime), "2023-05-01T23:10:11Z");
  EXPECT_DOUBLE_EQ(*a.off_nadir_deg, 4.2);
  EXPECT_DOUBLE_EQ(*a.view_azimuth_deg, 280.5);
  EXPECT_NEAR(*a.cloud_cover_pct, 12.0, 1e-9);
  EXPECT_EQ(a.platform, "2455");
  EXPECT_EQ(a.sidecar_path, dir.file("p_metadata.json"));
}

TEST(Acquisition, MalformedSidecarNamesTheSidecar) {
  TempDir dir;
  const std::string tif = SceneWith(dir, "bad.tif");
  testing::WriteText(dir.file("bad.json"), R"({"properties": {"datetime": )");
  try {
    Scene::Open(tif);
    ADD_FAILURE();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("bad.json"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
  }
}

TEST(Acquisition, OutOfRangeSidecarValue) {
  TempDir dir;
  const std::string tif = SceneWith(dir, "r.tif");
  testing::WriteText(dir.file("r.json"),
                     R"({"properties":{"datetime":"2024-03-07T01:23:45Z","eo:cloud_cover":140}})");
  EXPECT_THROW(Scene::Open(tif), InputError);
  testing::WriteText(dir.file("r.json"), R"({"properties":{"datetime":"not a time"}})");
  EXPECT_THROW(Scene::Open(tif), InputError);
}

TEST(Acquisition, ImageryDomain) {
  TempDir dir;
  RasterWriteOptions o = testing::UtmOptions();
  o.imagery_metadata = {
      {"ACQUISITIONDATETIME", "2021-08-09 02:03:04"}, {"SATELLITEID", "WV03"}, {"CLOUDCOVER", "7"}};
  const Acquisition a = Scene::Open(SceneWith(dir, "i.tif", o)).acquisition();
  EXPECT_EQ(a.datetime.source, ValueSource::kGdalImagery);
  EXPECT_EQ(FormatTime(*a.datetime), "2021-08-09T02:03:04Z");
  EXPECT_EQ(a.cloud_cover_pct.source, ValueSource::kGdalImagery);
  EXPECT_DOUBLE_EQ(*a.cloud_cover_pct, 7.0);
  EXPECT_EQ(a.platform, "WV03");
  EXPECT_EQ(a.sun_elevation_deg.source, ValueSource::kSolarAlgorithm);
  EXPECT_TRUE(a.sidecar_path.empty());
}

TEST(Acquisition, MaxarImdKeysInMetadata) {
  TempDir dir;
  RasterWriteOptions o = testing::UtmOptions();
  o.metadata = {{"IMD_FIRSTLINETIME", "2019-04-05T06:07:08.123456Z"},
                {"IMD_MEANSUNEL", "35.2"},
                {"IMD_MEANSUNAZ", "150.5"},
                {"IMD_MEANSATEL", "70.0"},
                {"IMD_MEANSATAZ", "200.1"},
                {"IMD_CLOUDCOVER", "0.05"}};
  const Acquisition a = Scene::Open(SceneWith(dir, "m.tif", o)).acquisition();
  EXPECT_EQ(a.datetime.source, ValueSource::kMaxarImd);
  EXPECT_EQ(FormatTime(*a.datetime), "2019-04-05T06:07:08Z");
  EXPECT_EQ(a.sun_elevation_deg.source, ValueSource::kMaxarImd);
  EXPECT_DOUBLE_EQ(*a.sun_elevation_deg, 35.2);
  EXPECT_DOUBLE_EQ(*a.sun_azimuth_deg, 150.5);
  EXPECT_DOUBLE_EQ(*a.off_nadir_deg, 20.0);  // 90 - MEANSATEL
  EXPECT_DOUBLE_EQ(*a.view_azimuth_deg, 200.1);
  EXPECT_NEAR(*a.cloud_cover_pct, 5.0, 1e-9);
}

TEST(Acquisition, MaxarOffNadirAngleWinsOverSatElevation) {
  RasterMetadata md;
  md.imd = {{"IMAGE_1.meanSatEl", "70.0"},
            {"IMAGE_1.meanOffNadirViewAngle", "17.5"},
            {"IMAGE_1.firstLineTime", "2019-04-05T06:07:08.1Z"}};
  const Acquisition a = ReadAcquisition("/nonexistent/x.tif", md, std::nullopt);
  EXPECT_DOUBLE_EQ(*a.off_nadir_deg, 17.5);
  EXPECT_EQ(a.off_nadir_deg.source, ValueSource::kMaxarImd);
  // No scene centre: no solar fallback.
  EXPECT_FALSE(a.sun_elevation_deg.has_value());
}

TEST(Acquisition, MaxarImdSidecarFileThroughGdal) {
  TempDir dir;
  const std::string tif = SceneWith(dir, "wv.tif");
  testing::WriteText(dir.file("wv.IMD"),
                     "version = \"AA\";\n"
                     "BEGIN_GROUP = IMAGE_1\n"
                     "\tsatId = \"WV03\";\n"
                     "\tfirstLineTime = 2020-01-02T03:04:05.678901Z;\n"
                     "\tmeanSunAz = 150.5;\n"
                     "\tmeanSunEl = 35.2;\n"
                     "\tmeanSatAz = 200.1;\n"
                     "\tmeanSatEl = 65.0;\n"
                     "\tmeanOffNadirViewAngle = 22.5;\n"
                     "\tcloudCover = 0.05;\n"
                     "END_GROUP = IMAGE_1\n"
                     "END;\n");
  const Acquisition a = Scene::Open(tif).acquisition();
  ASSERT_TRUE(a.datetime.has_value());
  EXPECT_EQ(FormatTime(*a.datetime), "2020-01-02T03:04:05Z");
  EXPECT_EQ(a.sun_elevation_deg.source, ValueSource::kMaxarImd);
  ASSERT_TRUE(a.off_nadir_deg.has_value() && a.view_azimuth_deg.has_value());
  EXPECT_DOUBLE_EQ(*a.sun_elevation_deg, 35.2);
  EXPECT_DOUBLE_EQ(*a.sun_azimuth_deg, 150.5);
  EXPECT_DOUBLE_EQ(*a.off_nadir_deg, 22.5);
  EXPECT_DOUBLE_EQ(*a.view_azimuth_deg, 200.1);
}

TEST(Acquisition, TiffDatetimeIsTheLastResort) {
  TempDir dir;
  RasterWriteOptions o = testing::UtmOptions();
  o.metadata = {{"TIFFTAG_DATETIME", "2022:02:03 04:05:06"}};
  const Acquisition a = Scene::Open(SceneWith(dir, "t.tif", o)).acquisition();
  EXPECT_EQ(a.datetime.source, ValueSource::kTiffDatetime);
  EXPECT_EQ(FormatTime(*a.datetime), "2022-02-03T04:05:06Z");
}

TEST(Acquisition, NoDatetimeStillOpens) {
  TempDir dir;
  const Scene s = Scene::Open(SceneWith(dir, "none.tif"));
  EXPECT_FALSE(s.acquisition().datetime.has_value());
  EXPECT_EQ(s.acquisition().datetime.source, ValueSource::kNone);
  EXPECT_FALSE(s.acquisition().sun_elevation_deg.has_value());
}

TEST(Acquisition, SourceNames) {
  EXPECT_STREQ(ToString(ValueSource::kStacSidecar), "stac_sidecar");
  EXPECT_STREQ(ToString(ValueSource::kSolarAlgorithm), "solar_algorithm");
  EXPECT_EQ(StacSidecarPath("/a/b/scene_0001.tif"), "/a/b/scene_0001.json");
  EXPECT_EQ(PlanetSidecarPath("/a/b/x.tiff"), "/a/b/x_metadata.json");
}

}  // namespace
}  // namespace bw
