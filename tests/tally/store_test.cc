// The GeoPackage store: a real file in a temp dir, read back through OGR.
#include "tally/store.h"

#include <gdal.h>
#include <gdal_priv.h>
#include <gtest/gtest.h>
#include <ogr_api.h>
#include <ogrsf_frmts.h>

#include <fstream>
#include <iterator>

#include "geo/error.h"
#include "tests/tally/fixtures.h"
#include "tests/testing/testing.h"

namespace bw {
namespace {

using testing::Day;
using testing::Det;
using testing::Hull;
using testing::Scene;
using testing::TempDir;

SceneDetections TwoHulls() {
  Detection a = Det("B1", Hull{}, LoadState::kFull, 0.9);
  a.hull_lonlat = {
      {133.0, 42.0}, {133.001, 42.0}, {133.001, 42.0002}, {133.0, 42.0002}, {133.0, 42.0}};
  a.freeboard_m = 2.5;
  Detection b = Det("B2", Hull{90, 15}, LoadState::kEmpty, 0.7);
  b.freeboard_m = kNaN;
  b.truncated = true;
  return Scene(1, {{"B1", true}, {"B2", false}}, {a, b});
}

SceneRecord Record(const std::string& hash, const SceneDetections& s, SceneStatus status) {
  SceneRecord r;
  r.path = s.path;
  r.content_hash = hash;
  r.scene_id = s.scene_id;
  r.datetime = s.datetime;
  r.status = status;
  if (status != SceneStatus::kProcessed) r.error = "detection: 'x.tif': broken";
  return r;
}

TEST(Store, RoundTripsScenesViewsAndDetections) {
  TempDir dir;
  const std::string path = dir.file("store.gpkg");
  const SceneDetections s = TwoHulls();
  {
    Store store = Store::Open(path);
    store.CommitScene(Record("h1", s, SceneStatus::kProcessed), s);
    SceneRecord failed = Record("h2", Scene(0, {}, {}), SceneStatus::kFailed);
    failed.datetime.reset();
    store.CommitScene(failed, {});
    store.CommitScene(Record("h3", Scene(3, {}, {}), SceneStatus::kSkipped), {});
  }
  Store store = Store::OpenExisting(path);
  EXPECT_TRUE(store.Has("h1"));
  EXPECT_TRUE(store.Has("h2"));
  EXPECT_FALSE(store.Has("h9"));
  const auto scenes = store.LoadScenes();
  ASSERT_EQ(scenes.size(), 3u);
  // Sorted by time, the scene without a time last.
  EXPECT_EQ(scenes[0].record.content_hash, "h1");
  EXPECT_EQ(scenes[1].record.content_hash, "h3");
  EXPECT_EQ(scenes[2].record.content_hash, "h2");
  EXPECT_EQ(scenes[2].record.status, SceneStatus::kFailed);
  EXPECT_EQ(scenes[2].record.error, "detection: 'x.tif': broken");
  EXPECT_FALSE(scenes[2].record.datetime.has_value());
  const SceneDetections& o = scenes[0].observations;
  EXPECT_EQ(o.datetime, Day(1));
  ASSERT_EQ(o.berths.size(), 2u);
  ASSERT_EQ(o.detections.size(), 2u);
  ASSERT_EQ(scenes[0].detection_fids.size(), 2u);
  EXPECT_EQ(o.detections[0].berth, "B1");
  EXPECT_DOUBLE_EQ(o.detections[0].length_m, 120.0);
  EXPECT_DOUBLE_EQ(o.detections[0].freeboard_m, 2.5);
  EXPECT_EQ(o.detections[0].load_state, LoadState::kFull);
  EXPECT_EQ(o.detections[0].hull_lonlat.size(), 5u);
  EXPECT_DOUBLE_EQ(o.detections[0].deck_rgb[1], 0.20);
  EXPECT_TRUE(std::isnan(o.detections[1].freeboard_m));
  EXPECT_TRUE(o.detections[1].truncated);
  EXPECT_EQ(o.detections[1].load_state, LoadState::kEmpty);
}

// Rows of a layer as OGR reads them from the file.
long long RowCount(const std::string& path, const char* layer) {
  GDALDataset* ds = GDALDataset::Open(path.c_str(), GDAL_OF_VECTOR, nullptr, nullptr, nullptr);
  if (ds == nullptr) return -1;
  OGRLayer* l = ds->GetLayerByName(layer);
  const long long n = l == nullptr ? -1 : l->GetFeatureCount(TRUE);
  GDALClose(ds);
  return n;
}

// After an upgrade of the detector, a scene stored by the old version is not "already
// stored": scanning it again replaces its rows (scene, berth views, detections) instead of
// adding to them, in one transaction.
TEST(Store, ASceneStoredByAnotherDetectorVersionIsProcessedAgainAndReplaced) {
  TempDir dir;
  const std::string path = dir.file("store.gpkg");
  {
    Store store = Store::Open(path);
    SceneRecord old = Record("h1", TwoHulls(), SceneStatus::kProcessed);
    old.detector = "an older detector";
    store.CommitScene(old, TwoHulls());
    EXPECT_FALSE(store.Has("h1"));
  }
  const SceneDetections again =
      Scene(1, {{"B1", true}}, {Det("B1", Hull{}, LoadState::kEmpty, 0.9)});
  {
    Store store = Store::Open(path);
    EXPECT_FALSE(store.Has("h1"));
    store.CommitScene(Record("h1", again, SceneStatus::kProcessed), again);
    EXPECT_TRUE(store.Has("h1"));
  }
  Store store = Store::OpenExisting(path);
  EXPECT_TRUE(store.Has("h1"));
  const auto scenes = store.LoadScenes();
  ASSERT_EQ(scenes.size(), 1u);
  ASSERT_EQ(scenes[0].observations.detections.size(), 1u);
  EXPECT_EQ(scenes[0].observations.detections[0].load_state, LoadState::kEmpty);
  EXPECT_EQ(RowCount(path, "detections"), 1);
  EXPECT_EQ(RowCount(path, "berth_views"), 1);
  EXPECT_EQ(RowCount(path, "scenes"), 1);
}

// A store written before scenes carried the detector version gets the field on opening and
// its scenes count as stored by another version.
TEST(Store, AStoreWithoutDetectorVersionsIsUpgradedInPlace) {
  TempDir dir;
  const std::string path = dir.file("store.gpkg");
  {
    Store store = Store::Open(path);
    store.CommitScene(Record("h1", TwoHulls(), SceneStatus::kProcessed), TwoHulls());
  }
  {
    GDALDataset* ds =
        GDALDataset::Open(path.c_str(), GDAL_OF_VECTOR | GDAL_OF_UPDATE, nullptr, nullptr, nullptr);
    ASSERT_NE(ds, nullptr);
    OGRLayer* scenes = ds->GetLayerByName("scenes");
    const int i = scenes->GetLayerDefn()->GetFieldIndex("detector");
    ASSERT_GE(i, 0);
    ASSERT_EQ(scenes->DeleteField(i), OGRERR_NONE);
    GDALClose(ds);
  }
  Store store = Store::Open(path);
  EXPECT_FALSE(store.Has("h1"));
  ASSERT_EQ(store.LoadScenes().size(), 1u);  // nothing lost until it is processed again
  store.CommitScene(Record("h1", TwoHulls(), SceneStatus::kProcessed), TwoHulls());
  EXPECT_TRUE(store.Has("h1"));
  EXPECT_EQ(store.LoadScenes().size(), 1u);
  EXPECT_EQ(RowCount(path, "detections"), 2);
}

TEST(Store, IsAValidGeoPackageForOgr) {
  TempDir dir;
  const std::string path = dir.file("store.gpkg");
  {
    Store store = Store::Open(path);
    const SceneDetections s = TwoHulls();
    store.CommitScene(Record("h1", s, SceneStatus::kProcessed), s);
    store.WriteTally(
        {{"V001", "NAME", 120, 20, 1, 2, Day(1), Day(1)}},
        {{"1", "V001", "B1", Day(1), Day(1), "full", "full", "full->full", 1, {133.0, 42.0}}}, {});
  }
  GDALAllRegister();
  GDALDataset* ds = GDALDataset::Open(path.c_str(), GDAL_OF_VECTOR, nullptr, nullptr, nullptr);
  ASSERT_NE(ds, nullptr);
  EXPECT_STREQ(ds->GetDriverName(), "GPKG");
  for (const char* name : {"scenes", "berth_views", "detections", "vessels", "visits"}) {
    EXPECT_NE(ds->GetLayerByName(name), nullptr) << name;
  }
  OGRLayer* dets = ds->GetLayerByName("detections");
  ASSERT_NE(dets, nullptr);
  EXPECT_EQ(wkbFlatten(dets->GetGeomType()), wkbPolygon);
  ASSERT_NE(dets->GetSpatialRef(), nullptr);
  EXPECT_STREQ(dets->GetSpatialRef()->GetAuthorityCode(nullptr), "4326");
  for (const char* field :
       {"scene_id", "datetime", "berth", "length_m", "beam_m", "heading_deg", "freeboard_m",
        "load_fraction", "load_state", "confidence", "vessel_id"}) {
    EXPECT_GE(dets->GetLayerDefn()->GetFieldIndex(field), 0) << field;
  }
  OGRLayer* check = ds->ExecuteSQL("PRAGMA integrity_check", nullptr, nullptr);
  ASSERT_NE(check, nullptr);
  OGRFeature* f = check->GetNextFeature();
  ASSERT_NE(f, nullptr);
  EXPECT_STREQ(f->GetFieldAsString(0), "ok");
  OGRFeature::DestroyFeature(f);
  ds->ReleaseResultSet(check);
  GDALClose(ds);
}

TEST(Store, WriteTallySetsVesselIdsAndReplacesLayers) {
  TempDir dir;
  const std::string path = dir.file("store.gpkg");
  Store store = Store::Open(path);
  const SceneDetections s = TwoHulls();
  store.CommitScene(Record("h1", s, SceneStatus::kProcessed), s);
  auto fids = store.LoadScenes()[0].detection_fids;
  for (int round = 0; round < 2; ++round) {
    store.WriteTally(
        {{"V001", "", 120, 20, 1, 1, Day(1), Day(1)}},
        {{"1", "V001", "B1", Day(1), Day(1), "full", "full", "full->full", 1, {133.0, 42.0}}},
        {{fids[0], "V001", std::nullopt}});
  }
  const auto scenes = store.LoadScenes();
  EXPECT_EQ(scenes[0].observations.detections[0].vessel_id, "V001");
  EXPECT_EQ(scenes[0].observations.detections[1].vessel_id, "");
}

// The tally's load with the vessel's identity goes into load_*; the scan's own estimate stays
// in scan_*, is what the next tally starts from, and comes back where identity has no say.
TEST(Store, WriteTallySetsTheLoadWithIdentityAndKeepsTheScans) {
  TempDir dir;
  const std::string path = dir.file("store.gpkg");
  Store store = Store::Open(path);
  const SceneDetections s = TwoHulls();  // B1: full 0.9, B2: empty 0.7
  store.CommitScene(Record("h1", s, SceneStatus::kProcessed), s);
  const auto fids = store.LoadScenes()[0].detection_fids;
  auto stored = [&](std::int64_t fid, const char* field) {
    GDALDatasetH ds = GDALOpenEx(path.c_str(), GDAL_OF_VECTOR, nullptr, nullptr, nullptr);
    OGRLayerH layer = GDALDatasetGetLayerByName(ds, "detections");
    OGRFeatureH f = OGR_L_GetFeature(layer, fid);
    const std::string v = OGR_F_GetFieldAsString(f, OGR_F_GetFieldIndex(f, field));
    OGR_F_Destroy(f);
    GDALClose(ds);
    return v;
  };
  store.WriteTally(
      {{"V001", "Listed", 120, 20, 1, 1, Day(1), Day(1)}},
      {{"1",
        "V001",
        "B1",
        Day(1),
        Day(1),
        "partial",
        "partial",
        "partial->partial",
        1,
        {133.0, 42.0}}},
      {{fids[0], "V001", StoredLoad{"partial", 0.5, 0.93, ""}}, {fids[1], "", std::nullopt}});
  EXPECT_EQ(stored(fids[0], "load_state"), "partial");
  EXPECT_EQ(stored(fids[0], "confidence"), "0.93");
  EXPECT_EQ(stored(fids[0], "scan_load_state"), "full");
  EXPECT_EQ(stored(fids[1], "load_state"), "empty");
  // The next tally starts from the scan's estimate.
  const auto scenes = store.LoadScenes();
  EXPECT_EQ(scenes[0].observations.detections[0].load_state, LoadState::kFull);
  EXPECT_DOUBLE_EQ(scenes[0].observations.detections[0].confidence, 0.9);
  // Identity without a say (say, no registry now): the scan's estimate is back.
  store.WriteTally({}, {}, {{fids[0], "V001", std::nullopt}});
  EXPECT_EQ(stored(fids[0], "load_state"), "full");
  EXPECT_EQ(stored(fids[0], "confidence"), "0.9");
  const std::string geojson = dir.file("d.geojson");
  store.WriteTally({}, {},
                   {{fids[0], "V001", StoredLoad{"unknown", kNaN, 0, "load between states"}}});
  store.ExportDetectionsGeoJson(geojson);
  std::ifstream in(geojson);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("\"load_state\": \"unknown\""), std::string::npos);
  EXPECT_NE(text.find("\"scan_load_state\": \"full\""), std::string::npos);
}

// A store written before the scan_* fields existed: its detections' load_* are the scan's
// (no tally changed them then). Opening adds the fields; the first tally copies load_* into
// them before it writes the load with identity, so the scan's estimate is not lost.
TEST(Store, AStoreFromBeforeTheScanFieldsKeepsTheScansEstimate) {
  TempDir dir;
  const std::string path = dir.file("old.gpkg");
  std::vector<std::int64_t> fids;
  {
    Store store = Store::Open(path);
    const SceneDetections s = TwoHulls();  // B1: full 0.9
    store.CommitScene(Record("h1", s, SceneStatus::kProcessed), s);
    fids = store.LoadScenes()[0].detection_fids;
  }
  {
    // Drop the scan_* fields, as in a store of 2026-12-06.
    GDALDatasetH ds =
        GDALOpenEx(path.c_str(), GDAL_OF_VECTOR | GDAL_OF_UPDATE, nullptr, nullptr, nullptr);
    ASSERT_NE(ds, nullptr);
    OGRLayerH layer = GDALDatasetGetLayerByName(ds, "detections");
    for (const char* field :
         {"scan_load_fraction", "scan_load_state", "scan_confidence", "scan_unknown_reason"}) {
      const int i = OGR_FD_GetFieldIndex(OGR_L_GetLayerDefn(layer), field);
      ASSERT_GE(i, 0) << field;
      ASSERT_EQ(OGR_L_DeleteField(layer, i), OGRERR_NONE) << field;
    }
    GDALClose(ds);
  }
  Store store = Store::Open(path);
  EXPECT_EQ(store.LoadScenes()[0].observations.detections[0].load_state, LoadState::kFull);
  store.WriteTally({}, {}, {{fids[0], "V001", StoredLoad{"partial", 0.5, 0.93, ""}}});
  const auto scenes = store.LoadScenes();
  EXPECT_EQ(scenes[0].observations.detections[0].load_state, LoadState::kFull);
  EXPECT_DOUBLE_EQ(scenes[0].observations.detections[0].confidence, 0.9);
  // And the scan's estimate comes back where identity has no say.
  store.WriteTally({}, {}, {{fids[0], "V001", std::nullopt}});
  const std::string geojson = dir.file("d.geojson");
  store.ExportDetectionsGeoJson(geojson);
  std::ifstream in(geojson);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("\"load_state\": \"full\""), std::string::npos);
}

TEST(Store, KeepsTheFleetRegistry) {
  TempDir dir;
  Store store = Store::Open(dir.file("s.gpkg"));
  EXPECT_FALSE(store.ReadFleet().has_value());
  Fleet fleet;
  fleet.vessels = {{"A", 100, 16, 9, 3, 6}};
  store.WriteFleet(fleet);
  store.WriteFleet(fleet);  // replaces
  auto back = store.ReadFleet();
  ASSERT_TRUE(back.has_value());
  ASSERT_EQ(back->vessels.size(), 1u);
  EXPECT_EQ(back->vessels[0].name, "A");
  EXPECT_DOUBLE_EQ(back->vessels[0].laden_draft_m, 6);
}

TEST(Store, RejectsWhatIsNotAStore) {
  TempDir dir;
  EXPECT_THROW(Store::OpenExisting(dir.file("absent.gpkg")), InputError);
  const std::string junk = dir.file("junk.gpkg");
  FILE* f = std::fopen(junk.c_str(), "w");
  std::fputs("not a database", f);
  std::fclose(f);
  EXPECT_THROW(Store::Open(junk), InputError);
}

TEST(Store, ExportsDetectionsAsGeoJson) {
  TempDir dir;
  Store store = Store::Open(dir.file("s.gpkg"));
  const SceneDetections s = TwoHulls();
  store.CommitScene(Record("h1", s, SceneStatus::kProcessed), s);
  const std::string out = dir.file("d.geojson");
  store.ExportDetectionsGeoJson(out);
  GDALDataset* ds = GDALDataset::Open(out.c_str(), GDAL_OF_VECTOR, nullptr, nullptr, nullptr);
  ASSERT_NE(ds, nullptr);
  OGRLayer* l = ds->GetLayer(0);
  EXPECT_EQ(l->GetFeatureCount(), 2);
  GDALClose(ds);
  std::ifstream in(out);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("\"datetime\": \"2024-03-08T00:00:00Z\""), std::string::npos) << text;
}

}  // namespace
}  // namespace bw
