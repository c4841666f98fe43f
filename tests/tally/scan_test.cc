// The scan loop with a stand-in detector over real files and a real GeoPackage.
#include "tally/scan.h"

#include <gdal_priv.h>
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>

#include "geo/error.h"
#include "tally/store.h"
#include "tests/tally/fixtures.h"
#include "tests/testing/testing.h"

namespace bw {
namespace {

namespace fs = std::filesystem;
using testing::Det;
using testing::Hull;
using testing::TempDir;

void Write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

// Files scene_0.tif ... scene_{n-1}.tif of distinct content.
std::vector<std::string> WriteScenes(const TempDir& dir, int n) {
  std::vector<std::string> files;
  for (int i = 0; i < n; ++i) {
    const fs::path p = dir.path() / ("scene_" + std::to_string(i) + ".tif");
    Write(p, "pixels of scene " + std::to_string(i));
    files.push_back(p.string());
  }
  return files;
}

TEST(ContentHash, DependsOnEveryByte) {
  TempDir dir;
  Write(dir.path() / "a.tif", "abcdef");
  Write(dir.path() / "b.tif", "abcdeg");
  Write(dir.path() / "c.tif", "abcdef");
  const std::string a = ContentHash(dir.file("a.tif"));
  EXPECT_EQ(a.size(), 16u);
  EXPECT_NE(a, ContentHash(dir.file("b.tif")));
  EXPECT_EQ(a, ContentHash(dir.file("c.tif")));
  EXPECT_THROW(ContentHash(dir.file("none.tif")), InputError);
  EXPECT_THROW(ContentHash(dir.path().string()), InputError);  // a folder is no file
}

TEST(ContentHash, IsXxh3OfTheBytes) {
  // Values printed by `xxhsum -H3` (xxHash 0.8.1) for the same bytes.
  TempDir dir;
  Write(dir.path() / "empty.tif", "");
  Write(dir.path() / "word.tif", "berthwatch");
  EXPECT_EQ(ContentHash(dir.file("empty.tif")), "2d06800538d394c2");
  EXPECT_EQ(ContentHash(dir.file("word.tif")), "e994677fc77c3de5");
  // Across the read buffer's 1 MiB boundary every byte still counts.
  std::string big(3 << 20, 'x');
  Write(dir.path() / "big1.tif", big);
  big[(1 << 20) + 7] = 'y';
  Write(dir.path() / "big2.tif", big);
  EXPECT_NE(ContentHash(dir.file("big1.tif")), ContentHash(dir.file("big2.tif")));
}

TEST(CollectSceneFiles, WalksFoldersAndSkipsSidecars) {
  TempDir dir;
  for (const char* f : {"a.tif", "a.json", "a.tif.aux.xml", "sub/c.TIFF", "sub/c_metadata.json",
                        "e.vrt", "notes.txt", "f.jp2", "f.tif.ovr"}) {
    Write(dir.path() / f, "x");
  }
  const auto files = CollectSceneFiles({dir.path().string()});
  ASSERT_EQ(files.size(), 4u);
  EXPECT_EQ(fs::path(files[0]).filename(), "a.tif");
  EXPECT_EQ(fs::path(files[1]).filename(), "e.vrt");
  EXPECT_EQ(fs::path(files[2]).filename(), "f.jp2");
  EXPECT_EQ(fs::path(files[3]).filename(), "c.TIFF");
  EXPECT_THROW(CollectSceneFiles({dir.file("absent")}), InputError);
}

TEST(CollectSceneFiles, ReadsStacItemCollections) {
  TempDir dir;
  Write(dir.path() / "stac/items.json", R"({"type": "FeatureCollection", "features": [
    {"type": "Feature", "id": "s1", "assets": {"thumbnail": {"href": "s1.png"},
                                              "visual": {"href": "../scenes/s1.tif"}}},
    {"type": "Feature", "id": "s2", "assets": {"x": {"href": "s2.tif",
                                                     "type": "image/tiff"}}}]})");
  const auto files = CollectSceneFiles({dir.file("stac/items.json")});
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0], (dir.path() / "scenes/s1.tif").lexically_normal().string());
  EXPECT_EQ(files[1], (dir.path() / "stac/s2.tif").lexically_normal().string());
  Write(dir.path() / "bad.json", R"({"type": "Feature", "id": "s3", "assets": {}})");
  EXPECT_THROW(CollectSceneFiles({dir.file("bad.json")}), InputError);
  Write(dir.path() / "worse.json", "{");
  EXPECT_THROW(CollectSceneFiles({dir.file("worse.json")}), InputError);
}

TEST(ScanScenes, RecordsFailuresGoesOnAndSkipsStoredScenesOnRerun) {
  TempDir dir;
  std::vector<std::string> files = WriteScenes(dir, 8);
  std::atomic<int> calls{0};
  SceneDetector detector = [&](const std::string& path) {
    ++calls;
    const std::string stem = fs::path(path).stem().string();
    if (stem == "scene_2") throw InputError("detection", path, "truncated tile");
    if (stem == "scene_3") throw NoDataError("detection", path, "scene misses every berth");
    SceneDetections s =
        testing::Scene(std::stoi(stem.substr(6)), {{"B1", true}}, {Det("B1", Hull{})});
    s.scene_id = stem;
    s.path = path;
    if (stem == "scene_4") {
      s.datetime_known = false;
      s.datetime = TimePoint{};
    }
    return s;
  };
  const std::string db = dir.file("out.gpkg");
  ScanOptions options;
  options.threads = 3;
  int progress_calls = 0;
  const ScanSummary first =
      ScanScenes(files, db, detector, options, [&](const ScanProgress&) { ++progress_calls; });
  EXPECT_EQ(progress_calls, 8);
  EXPECT_EQ(first.counts.processed, 5);
  EXPECT_EQ(first.counts.failed, 1);
  EXPECT_EQ(first.counts.skipped, 2);
  ASSERT_EQ(first.failures.size(), 3u);
  EXPECT_NE(first.failures[0].error.find("truncated tile"), std::string::npos);
  EXPECT_NE(first.failures[2].error.find("no acquisition time"), std::string::npos);
  EXPECT_NE(FormatScanSummary(first).find("scene_2.tif"), std::string::npos);
  EXPECT_EQ(calls.load(), 8);

  // Re-run with one more scene: only the new one is detected.
  const fs::path extra = dir.path() / "scene_9.tif";
  Write(extra, "pixels of scene 9");
  files.push_back(extra.string());
  const ScanSummary second = ScanScenes(files, db, detector, options);
  EXPECT_EQ(calls.load(), 9);
  EXPECT_EQ(second.counts.already_stored, 8);
  EXPECT_EQ(second.counts.processed, 1);

  Store store = Store::OpenExisting(db);
  const auto scenes = store.LoadScenes();
  ASSERT_EQ(scenes.size(), 9u);
  int processed = 0, detections = 0;
  for (const auto& s : scenes) {
    processed += s.record.status == SceneStatus::kProcessed ? 1 : 0;
    detections += static_cast<int>(s.observations.detections.size());
  }
  EXPECT_EQ(processed, 6);
  EXPECT_EQ(detections, 6);
}

TEST(ScanScenes, SameContentTwiceIsStoredOnce) {
  TempDir dir;
  Write(dir.path() / "a.tif", "same");
  Write(dir.path() / "copy/a.tif", "same");
  SceneDetector detector = [](const std::string& path) {
    SceneDetections s = testing::Scene(1, {{"B1", true}}, {});
    s.path = path;
    return s;
  };
  const ScanSummary r = ScanScenes(CollectSceneFiles({dir.path().string()}), dir.file("o.gpkg"),
                                   detector, ScanOptions{});
  EXPECT_EQ(r.counts.processed, 1);
  EXPECT_EQ(r.counts.already_stored, 1);
}

// A store written before the content hash became XXH3 keys its scenes by the FNV-1a of the
// bytes: a re-scan finds them under that key, re-keys the rows of this detector version
// without detecting again, and detects again (replacing the rows) only what an older
// detector stored. Nothing is stored twice.
TEST(ScanScenes, ReKeysAStoreWrittenWithTheLegacyHash) {
  TempDir dir;
  const std::vector<std::string> files = WriteScenes(dir, 4);
  std::atomic<int> calls{0};
  SceneDetector detector = [&](const std::string& path) {
    ++calls;
    const std::string stem = fs::path(path).stem().string();
    SceneDetections s =
        testing::Scene(std::stoi(stem.substr(6)), {{"B1", true}}, {Det("B1", Hull{})});
    s.scene_id = stem;
    s.path = path;
    return s;
  };
  const std::string db = dir.file("out.gpkg");
  ASSERT_EQ(ScanScenes(files, db, detector, ScanOptions{}).counts.processed, 4);
  ASSERT_EQ(calls.load(), 4);

  // Turn it into a store of the old berthwatch; scene_1 was stored by an older detector.
  {
    GDALAllRegister();
    std::unique_ptr<GDALDataset> ds(GDALDataset::Open(db.c_str(), GDAL_OF_VECTOR | GDAL_OF_UPDATE));
    ASSERT_NE(ds, nullptr);
    for (const std::string& f : files) {
      const std::string now = ContentHash(f), old = LegacyContentHash(f);
      ASSERT_NE(now, old);
      for (const char* layer : {"scenes", "berth_views", "detections"}) {
        std::string sql = std::string("UPDATE ") + layer + " SET content_hash = '" + old + "'";
        if (std::string(layer) == "scenes") {
          sql += ", hash_kind = NULL";
          if (f == files[1]) sql += ", detector = 'older'";
        }
        sql += " WHERE content_hash = '" + now + "'";
        ds->ExecuteSQL(sql.c_str(), nullptr, nullptr);
      }
    }
  }
  {
    Store store = Store::OpenExisting(db);
    EXPECT_EQ(store.legacy_hashes().size(), 4u);
    EXPECT_EQ(store.legacy_hashes_current().size(), 3u);
    EXPECT_TRUE(store.stored_hashes().empty());
  }

  ScanOptions options;
  options.threads = 2;
  const ScanSummary again = ScanScenes(files, db, detector, options);
  EXPECT_EQ(calls.load(), 5);  // only scene_1 detected again
  EXPECT_EQ(again.counts.already_stored, 3);
  EXPECT_EQ(again.counts.processed, 1);

  Store store = Store::OpenExisting(db);
  EXPECT_TRUE(store.legacy_hashes().empty());
  const auto scenes = store.LoadScenes();
  ASSERT_EQ(scenes.size(), 4u);
  size_t detections = 0;
  for (const auto& s : scenes) {
    EXPECT_EQ(s.record.content_hash, ContentHash(s.record.path)) << s.record.path;
    EXPECT_EQ(s.record.detector, kDetectorVersion);
    detections += s.observations.detections.size();
  }
  EXPECT_EQ(detections, 4u);  // each scene's rows once: re-keyed, or replaced
  EXPECT_EQ(ScanScenes(files, db, detector, options).counts.already_stored, 4);
  EXPECT_EQ(calls.load(), 5);
}

}  // namespace
}  // namespace bw
