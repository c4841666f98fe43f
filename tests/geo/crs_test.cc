#include "geo/crs.h"

#include <gtest/gtest.h>

#include <cmath>

#include "geo/error.h"

namespace bw {
namespace {

TEST(CrsTransform, LonLatToUtmUsesTraditionalAxisOrder) {
  CrsTransform t("EPSG:4326", "EPSG:32653");
  double x = 135.0, y = 42.7;  // lon, lat
  ASSERT_TRUE(t.Apply(x, y));
  // 135 E is the central meridian of zone 53: easting 500000 exactly.
  EXPECT_NEAR(x, 500000.0, 1e-3);
  EXPECT_NEAR(y, 4727490.0, 2000.0);
  CrsTransform back("EPSG:32653", "EPSG:4326");
  ASSERT_TRUE(back.Apply(x, y));
  EXPECT_NEAR(x, 135.0, 1e-9);
  EXPECT_NEAR(y, 42.7, 1e-9);
}

TEST(CrsTransform, WebMercatorKnownValue) {
  CrsTransform t("EPSG:4326", "EPSG:3857");
  double x = 180.0, y = 0.0;
  ASSERT_TRUE(t.Apply(x, y));
  EXPECT_NEAR(x, 20037508.342789244, 1e-6);
  EXPECT_NEAR(y, 0.0, 1e-6);
}

TEST(CrsTransform, AcceptsWktAndProjString) {
  CrsTransform t("+proj=longlat +datum=WGS84 +no_defs", "EPSG:32653");
  double x = 135.0, y = 42.7;
  EXPECT_TRUE(t.Apply(x, y));
}

TEST(CrsTransform, BadCrsIsInputError) {
  EXPECT_THROW(CrsTransform("EPSG:999999", "EPSG:4326"), InputError);
  EXPECT_THROW(CrsTransform("not a crs", "EPSG:4326"), InputError);
}

TEST(UtmEpsgFor, ZonesAndHemispheres) {
  EXPECT_EQ(UtmEpsgFor({135.0, 42.7}), 32653);
  EXPECT_EQ(UtmEpsgFor({-105.18, 39.74}), 32613);
  EXPECT_EQ(UtmEpsgFor({18.42, -33.92}), 32734);
  EXPECT_EQ(UtmEpsgFor({-180.0, 10.0}), 32601);
  EXPECT_EQ(UtmEpsgFor({179.99, -10.0}), 32760);
  EXPECT_EQ(UtmEpsgFor({5.3, 60.4}), 32632);   // Bergen: the Norway exception
  EXPECT_EQ(UtmEpsgFor({15.6, 78.2}), 32633);  // Svalbard
}

TEST(EpsgOf, FindsCodes) {
  EXPECT_EQ(EpsgOf("EPSG:32653"), 32653);
  EXPECT_EQ(EpsgOf("EPSG:4326"), 4326);
  EXPECT_FALSE(EpsgOf("garbage").has_value());
  // A WKT without an AUTHORITY node is still recognised.
  const std::string wkt =
      "PROJCS[\"UTM 53N\",GEOGCS[\"WGS 84\",DATUM[\"WGS_1984\",SPHEROID[\"WGS 84\",6378137,"
      "298.257223563]],PRIMEM[\"Greenwich\",0],UNIT[\"degree\",0.0174532925199433]],"
      "PROJECTION[\"Transverse_Mercator\"],PARAMETER[\"latitude_of_origin\",0],"
      "PARAMETER[\"central_meridian\",135],PARAMETER[\"scale_factor\",0.9996],"
      "PARAMETER[\"false_easting\",500000],PARAMETER[\"false_northing\",0],UNIT[\"metre\",1]]";
  EXPECT_EQ(EpsgOf(wkt), 32653);
}

// Karney's geodesics (PROJ): values from GeographicLib's online solver / Vincenty (1975).
TEST(Geodesic, KnownDistances) {
  // One degree of longitude on the equator: a * pi / 180.
  EXPECT_NEAR(GeodesicDistanceM({0, 0}, {1, 0}), 111319.49079327357, 1e-6);
  // One degree of latitude from the equator.
  EXPECT_NEAR(GeodesicDistanceM({0, 0}, {0, 1}), 110574.38855779878, 1e-4);
  // Flinders Peak -> Buninyong (Vincenty 1975 test line): 54972.271 m, azimuth 306 52' 05.37".
  const LonLat flinders{144.0 + 25.0 / 60 + 29.52440 / 3600, -(37.0 + 57.0 / 60 + 3.72030 / 3600)};
  const LonLat buninyong{143.0 + 55.0 / 60 + 35.38390 / 3600,
                         -(37.0 + 39.0 / 60 + 10.15610 / 3600)};
  EXPECT_NEAR(GeodesicDistanceM(flinders, buninyong), 54972.271, 1e-3);
  EXPECT_NEAR(GeodesicAzimuthDeg(flinders, buninyong), 306.0 + 52.0 / 60 + 5.37 / 3600, 1e-5);
}

TEST(Geodesic, AzimuthCardinalDirections) {
  EXPECT_NEAR(GeodesicAzimuthDeg({10, 10}, {10, 11}), 0.0, 1e-9);
  EXPECT_NEAR(GeodesicAzimuthDeg({10, 10}, {10, 9}), 180.0, 1e-9);
  EXPECT_NEAR(GeodesicAzimuthDeg({0, 0}, {1, 0}), 90.0, 1e-9);
  EXPECT_NEAR(GeodesicAzimuthDeg({0, 0}, {-1, 0}), 270.0, 1e-9);
}

}  // namespace
}  // namespace bw
