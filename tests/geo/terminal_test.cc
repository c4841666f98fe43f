#include "geo/terminal.h"

#include <gtest/gtest.h>

#include "geo/error.h"
#include "tests/geo/geo_fixtures.h"
#include "tests/testing/testing.h"

namespace bw {
namespace {

using testing::TempDir;

std::string Feature(const std::string& props, const std::string& geometry) {
  return R"({"type":"Feature","properties":)" + props + R"(,"geometry":)" + geometry + "}";
}
std::string Collection(const std::string& features) {
  return R"({"type":"FeatureCollection","features":[)" + features + "]}";
}
const std::string kSquare =
    R"({"type":"Polygon","coordinates":[[[135.0,42.7],[135.001,42.7],[135.001,42.701],[135.0,42.701],[135.0,42.7]]]})";

void ExpectLoadError(const std::string& text, const std::string& fragment) {
  TempDir dir;
  const std::string path = dir.file("t.geojson");
  testing::WriteText(path, text);
  try {
    LoadTerminal(path);
    ADD_FAILURE() << "loaded: " << text;
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
    EXPECT_NE(msg.find(fragment), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
}

TEST(Terminal, LoadsBerthsAnchorageAndLand) {
  TempDir dir;
  const std::string path = dir.file("t.geojson");
  testing::WriteText(path, Collection(Feature(R"({"kind":"berth","name":"B1"})", kSquare) + "," +
                                      Feature(R"({"kind":"anchorage"})", kSquare) + "," +
                                      Feature(R"({"kind":"land","name":"pier"})", kSquare) + "," +
                                      Feature(R"({"kind":"berth","name":"B2"})", kSquare)));
  const Terminal t = LoadTerminal(path);
  ASSERT_EQ(t.features.size(), 4u);
  ASSERT_EQ(t.berths().size(), 2u);
  EXPECT_EQ(t.berths()[0]->name, "B1");
  EXPECT_EQ(t.berths()[1]->name, "B2");
  EXPECT_EQ(t.of_kind(FeatureKind::kLand).size(), 1u);
  const auto& ring = t.features[0].polygon.rings.at(0);
  ASSERT_EQ(ring.size(), 5u);
  EXPECT_DOUBLE_EQ(ring[1].lon_deg, 135.001);  // lon first
  EXPECT_DOUBLE_EQ(ring[2].lat_deg, 42.701);
}

TEST(Terminal, PolygonWithHole) {
  TempDir dir;
  const std::string path = dir.file("t.geojson");
  testing::WriteText(
      path,
      Collection(Feature(
          R"({"kind":"berth","name":"B"})",
          R"({"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]],[[0.2,0.2],[0.4,0.2],[0.4,0.4],[0.2,0.4],[0.2,0.2]]]})")));
  EXPECT_EQ(LoadTerminal(path).features[0].polygon.rings.size(), 2u);
}

TEST(Terminal, WriteThenLoadRoundTrips) {
  TempDir dir;
  Terminal t;
  t.features.push_back({FeatureKind::kBerth, "North 1", testing::Rect(135, 42.7, 135.001, 42.701)});
  t.features.push_back({FeatureKind::kLand, "", testing::Rect(135.002, 42.7, 135.003, 42.701)});
  const std::string path = dir.file("w.geojson");
  WriteTerminal(path, t);
  const Terminal back = LoadTerminal(path);
  ASSERT_EQ(back.features.size(), 2u);
  EXPECT_EQ(back.features[0].name, "North 1");
  EXPECT_EQ(back.features[1].kind, FeatureKind::kLand);
  EXPECT_DOUBLE_EQ(back.features[0].polygon.rings[0][2].lat_deg, 42.701);
}

TEST(Terminal, ErrorBerthWithoutName) {
  ExpectLoadError(Collection(Feature(R"({"kind":"berth"})", kSquare)), "berth without a 'name'");
}

TEST(Terminal, ErrorNonPolygon) {
  ExpectLoadError(
      Collection(Feature(R"({"kind":"berth","name":"B"})",
                         R"({"type":"LineString","coordinates":[[135,42.7],[135.1,42.7]]})")),
      "expected a Polygon");
  ExpectLoadError(Collection(Feature(R"({"kind":"berth","name":"B"})",
                                     R"({"type":"Point","coordinates":[135,42.7]})")),
                  "expected a Polygon");
}

TEST(Terminal, ErrorInvalidPolygon) {
  // A bow tie: self-intersecting.
  ExpectLoadError(
      Collection(Feature(R"({"kind":"berth","name":"B"})",
                         R"({"type":"Polygon","coordinates":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]})")),
      "invalid polygon");
  ExpectLoadError(Collection(Feature(R"({"kind":"berth","name":"B"})",
                                     R"({"type":"Polygon","coordinates":[[[0,0],[1,1],[0,0]]]})")),
                  "invalid polygon");
}

TEST(Terminal, ErrorEmptyFile) {
  ExpectLoadError("", "empty file");
  ExpectLoadError("  \n", "empty file");
}

TEST(Terminal, ErrorMalformedJson) {
  ExpectLoadError(R"({"type":"FeatureCollection",)", "malformed");
}

TEST(Terminal, ErrorNotAFeatureCollection) {
  ExpectLoadError(Feature(R"({"kind":"berth","name":"B"})", kSquare), "FeatureCollection");
}

TEST(Terminal, ErrorUnknownKindDuplicateNamesNoBerth) {
  ExpectLoadError(Collection(Feature(R"({"kind":"harbour","name":"B"})", kSquare)),
                  "unknown kind 'harbour'");
  ExpectLoadError(Collection(Feature(R"({"kind":"berth","name":"B"})", kSquare) + "," +
                             Feature(R"({"kind":"berth","name":"B"})", kSquare)),
                  "duplicate berth name 'B'");
  ExpectLoadError(Collection(Feature(R"({"kind":"land"})", kSquare)), "no berth");
  ExpectLoadError(Collection(""), "no berth");
}

TEST(Terminal, ErrorProjectedCoordinates) {
  ExpectLoadError(
      Collection(Feature(
          R"({"kind":"berth","name":"B"})",
          R"({"type":"Polygon","coordinates":[[[500000,4727000],[500100,4727000],[500100,4727100],[500000,4727000]]]})")),
      "not lon/lat");
}

TEST(Terminal, ErrorMissingFile) {
  EXPECT_THROW(LoadTerminal("/nonexistent/terminal.geojson"), InputError);
}

}  // namespace
}  // namespace bw
