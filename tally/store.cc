#include "tally/store.h"

#include <gdal_priv.h>
#include <ogrsf_frmts.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>

#include "geo/error.h"

namespace bw {

namespace {

constexpr const char* kStage = "tally.store";

void RegisterDrivers() {
  static std::once_flag once;
  std::call_once(once, [] { GDALAllRegister(); });
}

struct FieldSpec {
  const char* name;
  OGRFieldType type;
  OGRFieldSubType subtype = OFSTNone;
};

const std::vector<FieldSpec>& SceneFields() {
  static const std::vector<FieldSpec> f = {
      {"path", OFTString},        {"content_hash", OFTString},    {"scene_id", OFTString},
      {"datetime", OFTDateTime},  {"sun_elevation_deg", OFTReal}, {"sun_azimuth_deg", OFTReal},
      {"off_nadir_deg", OFTReal}, {"view_azimuth_deg", OFTReal},  {"gsd_m", OFTReal},
      {"status", OFTString},      {"error", OFTString},           {"berths_clear", OFTInteger},
      {"detections", OFTInteger}, {"processed_at", OFTDateTime},  {"detector", OFTString},
      {"hash_kind", OFTString}};
  return f;
}

const std::vector<FieldSpec>& BerthViewFields() {
  static const std::vector<FieldSpec> f = {{"content_hash", OFTString},
                                           {"scene_id", OFTString},
                                           {"datetime", OFTDateTime},
                                           {"berth", OFTString},
                                           {"coverage", OFTString},
                                           {"valid_fraction", OFTReal},
                                           {"cloud_fraction", OFTReal},
                                           {"clear", OFTInteger, OFSTBoolean},
                                           {"occupied", OFTInteger, OFSTBoolean}};
  return f;
}

const std::vector<FieldSpec>& DetectionFields() {
  static const std::vector<FieldSpec> f = {{"content_hash", OFTString},
                                           {"det_index", OFTInteger},
                                           {"scene_id", OFTString},
                                           {"datetime", OFTDateTime},
                                           {"berth", OFTString},
                                           {"length_m", OFTReal},
                                           {"beam_m", OFTReal},
                                           {"heading_deg", OFTReal},
                                           {"bow_resolved", OFTInteger, OFSTBoolean},
                                           {"freeboard_m", OFTReal},
                                           {"freeboard_sigma_m", OFTReal},
                                           {"load_fraction", OFTReal},
                                           {"load_state", OFTString},
                                           {"confidence", OFTReal},
                                           {"unknown_reason", OFTString},
                                           {"vessel_id", OFTString},
                                           {"vessel_class", OFTString},
                                           {"deck_r", OFTReal},
                                           {"deck_g", OFTReal},
                                           {"deck_b", OFTReal},
                                           {"superstructure_pos", OFTReal},
                                           {"manifold_pos", OFTReal},
                                           {"center_lon", OFTReal},
                                           {"center_lat", OFTReal},
                                           {"truncated", OFTInteger, OFSTBoolean},
                                           {"cloud_affected", OFTInteger, OFSTBoolean},
                                           // The scan's own load estimate; load_* then
                                           // holds it with the tally's vessel identity.
                                           {"scan_load_fraction", OFTReal},
                                           {"scan_load_state", OFTString},
                                           {"scan_confidence", OFTReal},
                                           {"scan_unknown_reason", OFTString}};
  return f;
}

const std::vector<FieldSpec>& FleetFields() {
  static const std::vector<FieldSpec> f = {
      {"name", OFTString},  {"length_m", OFTReal},        {"beam_m", OFTReal},
      {"depth_m", OFTReal}, {"ballast_draft_m", OFTReal}, {"laden_draft_m", OFTReal}};
  return f;
}

const std::vector<FieldSpec>& VesselFields() {
  static const std::vector<FieldSpec> f = {{"vessel_id", OFTString},    {"name", OFTString},
                                           {"length_m", OFTReal},       {"beam_m", OFTReal},
                                           {"visits", OFTInteger},      {"detections", OFTInteger},
                                           {"first_seen", OFTDateTime}, {"last_seen", OFTDateTime}};
  return f;
}

const std::vector<FieldSpec>& VisitFields() {
  static const std::vector<FieldSpec> f = {
      {"visit_id", OFTString},        {"vessel_id", OFTString},   {"berth", OFTString},
      {"first_seen", OFTDateTime},    {"last_seen", OFTDateTime}, {"arrival_state", OFTString},
      {"departure_state", OFTString}, {"transition", OFTString},  {"observations", OFTInteger}};
  return f;
}

struct LayerSpec {
  const char* name;
  OGRwkbGeometryType geometry;
  const std::vector<FieldSpec>& (*fields)();
};

const std::vector<LayerSpec>& ScanLayers() {
  static const std::vector<LayerSpec> l = {{"scenes", wkbNone, SceneFields},
                                           {"berth_views", wkbNone, BerthViewFields},
                                           {"detections", wkbPolygon, DetectionFields},
                                           {"fleet", wkbNone, FleetFields}};
  return l;
}

void SetTime(OGRFeature& f, const char* field, TimePoint t) {
  using namespace std::chrono;
  const auto day = floor<days>(t);
  const year_month_day ymd{day};
  const hh_mm_ss hms{t - day};
  f.SetField(field, static_cast<int>(ymd.year()), static_cast<int>(unsigned(ymd.month())),
             static_cast<int>(unsigned(ymd.day())), static_cast<int>(hms.hours().count()),
             static_cast<int>(hms.minutes().count()), static_cast<float>(hms.seconds().count()),
             100);
}

std::optional<TimePoint> GetTime(const OGRFeature& f, const char* field) {
  const int i = f.GetFieldIndex(field);
  if (i < 0 || !f.IsFieldSetAndNotNull(i)) return std::nullopt;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, tz = 0;
  float s = 0;
  if (!f.GetFieldAsDateTime(i, &y, &mo, &d, &h, &mi, &s, &tz)) return std::nullopt;
  using namespace std::chrono;
  sys_days day = year{y} / month{static_cast<unsigned>(mo)} / static_cast<unsigned>(d);
  TimePoint t = day + hours{h} + minutes{mi} + seconds{static_cast<int>(std::lround(s))};
  // OGR time zone flag: 100 = UTC, 100 + 4*hours offset otherwise.
  if (tz > 1 && tz != 100) t -= minutes{(tz - 100) * 15};
  return t;
}

void SetReal(OGRFeature& f, const char* field, double v) {
  if (std::isfinite(v)) {
    f.SetField(field, v);
  } else {
    f.SetFieldNull(f.GetFieldIndex(field));
  }
}

double GetReal(const OGRFeature& f, const char* field) {
  const int i = f.GetFieldIndex(field);
  if (i < 0 || !f.IsFieldSetAndNotNull(i)) return kNaN;
  return f.GetFieldAsDouble(i);
}

std::string GetString(const OGRFeature& f, const char* field) {
  const int i = f.GetFieldIndex(field);
  if (i < 0 || !f.IsFieldSetAndNotNull(i)) return {};
  return f.GetFieldAsString(i);
}

int GetInt(const OGRFeature& f, const char* field) {
  const int i = f.GetFieldIndex(field);
  if (i < 0 || !f.IsFieldSetAndNotNull(i)) return 0;
  return f.GetFieldAsInteger(i);
}

// A detection's load fields: `prefix` "" for the load with the tally's identity, "scan_" for
// the scan's own estimate.
StoredLoad ReadLoad(const OGRFeature& f, const std::string& prefix) {
  return {GetString(f, (prefix + "load_state").c_str()),
          GetReal(f, (prefix + "load_fraction").c_str()),
          GetReal(f, (prefix + "confidence").c_str()),
          GetString(f, (prefix + "unknown_reason").c_str())};
}

void WriteLoad(OGRFeature& f, const std::string& prefix, const StoredLoad& load) {
  SetReal(f, (prefix + "load_fraction").c_str(), load.fraction);
  f.SetField((prefix + "load_state").c_str(), load.state.c_str());
  SetReal(f, (prefix + "confidence").c_str(), load.confidence);
  const std::string reason = prefix + "unknown_reason";
  if (load.unknown_reason.empty()) {
    f.SetFieldNull(f.GetFieldIndex(reason.c_str()));
  } else {
    f.SetField(reason.c_str(), load.unknown_reason.c_str());
  }
}

bool SameLoad(const StoredLoad& a, const StoredLoad& b) {
  auto same = [](double x, double y) { return (std::isnan(x) && std::isnan(y)) || x == y; };
  return a.state == b.state && same(a.fraction, b.fraction) && same(a.confidence, b.confidence) &&
         a.unknown_reason == b.unknown_reason;
}

// A string literal for OGR SQL: in single quotes, quotes doubled.
std::string SqlQuote(const std::string& v) {
  std::string q = "'";
  for (char c : v) q += c == '\'' ? std::string("''") : std::string(1, c);
  return q + "'";
}

struct FeatureDeleter {
  void operator()(OGRFeature* f) const { OGRFeature::DestroyFeature(f); }
};
using FeaturePtr = std::unique_ptr<OGRFeature, FeatureDeleter>;

SceneStatus StatusFromString(const std::string& s) {
  if (s == "failed") return SceneStatus::kFailed;
  if (s == "skipped") return SceneStatus::kSkipped;
  return SceneStatus::kProcessed;
}

Coverage CoverageFromString(const std::string& s) {
  if (s == "full") return Coverage::kFull;
  if (s == "partial") return Coverage::kPartial;
  return Coverage::kNone;
}

const char* CoverageName(Coverage c) {
  switch (c) {
    case Coverage::kFull:
      return "full";
    case Coverage::kPartial:
      return "partial";
    case Coverage::kNone:
      return "none";
  }
  return "none";
}

}  // namespace

const char* ToString(SceneStatus status) {
  switch (status) {
    case SceneStatus::kProcessed:
      return "processed";
    case SceneStatus::kFailed:
      return "failed";
    case SceneStatus::kSkipped:
      return "skipped";
  }
  return "failed";
}

struct Store::Impl {
  std::string path;
  GDALDataset* ds = nullptr;
  std::set<std::string> hashes;          // stored by this detector version
  std::set<std::string> any_version;     // stored at all
  std::set<std::string> legacy;          // keyed by LegacyContentHash (no hash_kind)
  std::set<std::string> legacy_current;  // ... of them, stored by this detector version

  ~Impl() {
    if (ds != nullptr) GDALClose(ds);
  }

  OGRLayer* Layer(const char* name) const {
    OGRLayer* l = ds->GetLayerByName(name);
    if (l == nullptr) throw Error(kStage, path, std::string("missing layer '") + name + "'");
    return l;
  }

  static OGRLayer* CreateLayer(GDALDataset* ds, const std::string& path, const char* name,
                               OGRwkbGeometryType geometry, const std::vector<FieldSpec>& fields) {
    OGRSpatialReference srs;
    srs.importFromEPSG(4326);
    srs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    char** options = nullptr;
    options = CSLSetNameValue(options, "FID", "fid");
    if (geometry != wkbNone) options = CSLSetNameValue(options, "GEOMETRY_NAME", "geom");
    OGRLayer* layer =
        ds->CreateLayer(name, geometry == wkbNone ? nullptr : &srs, geometry, options);
    CSLDestroy(options);
    if (layer == nullptr) throw Error(kStage, path, std::string("cannot create layer ") + name);
    for (const FieldSpec& spec : fields) {
      OGRFieldDefn def(spec.name, spec.type);
      def.SetSubType(spec.subtype);
      if (layer->CreateField(&def) != OGRERR_NONE) {
        throw Error(kStage, path, std::string("cannot create field ") + spec.name);
      }
    }
    return layer;
  }

  // The scenes stored by this detector version (those of another are processed again).
  void LoadHashes() {
    hashes.clear();
    any_version.clear();
    legacy.clear();
    legacy_current.clear();
    OGRLayer* scenes = Layer("scenes");
    scenes->ResetReading();
    for (FeaturePtr f(scenes->GetNextFeature()); f; f.reset(scenes->GetNextFeature())) {
      const std::string hash = GetString(*f, "content_hash");
      const bool current = GetString(*f, "detector") == kDetectorVersion;
      if (GetString(*f, "hash_kind").empty() && !hash.starts_with(kUnreadablePrefix)) {
        legacy.insert(hash);
        if (current) legacy_current.insert(hash);
        continue;  // not a key ContentHash can give
      }
      any_version.insert(hash);
      if (current) hashes.insert(hash);
    }
  }

  // Deletes the rows of `layer` that belong to the scene with `content_hash` (a scene stored
  // by an older detector version, about to be stored again).
  void DeleteRowsOf(OGRLayer* layer, const std::string& content_hash) {
    const std::string filter = "content_hash = " + SqlQuote(content_hash);
    if (layer->SetAttributeFilter(filter.c_str()) != OGRERR_NONE) {
      throw Error(kStage, path, std::string("cannot select rows of ") + layer->GetName());
    }
    std::vector<GIntBig> fids;
    layer->ResetReading();
    for (FeaturePtr f(layer->GetNextFeature()); f; f.reset(layer->GetNextFeature())) {
      fids.push_back(f->GetFID());
    }
    layer->SetAttributeFilter(nullptr);
    for (GIntBig fid : fids) {
      if (layer->DeleteFeature(fid) != OGRERR_NONE) {
        throw Error(kStage, path, std::string("cannot delete a stale row of ") + layer->GetName());
      }
    }
  }

  void Begin() {
    if (ds->StartTransaction() != OGRERR_NONE) {
      throw Error(kStage, path, "cannot start a transaction");
    }
  }
  void Commit() {
    if (ds->CommitTransaction() != OGRERR_NONE) {
      throw Error(kStage, path, "cannot commit a transaction");
    }
  }
  void Rollback() { ds->RollbackTransaction(); }

  void Create(OGRLayer* layer, OGRFeature* f) {
    if (layer->CreateFeature(f) != OGRERR_NONE) {
      throw Error(kStage, path, std::string("cannot write a feature to ") + layer->GetName());
    }
  }

  int LayerIndex(const char* name) const {
    for (int i = 0; i < ds->GetLayerCount(); ++i) {
      if (std::string(ds->GetLayer(i)->GetName()) == name) return i;
    }
    return -1;
  }

  void ReplaceLayer(const char* name, OGRwkbGeometryType geometry,
                    const std::vector<FieldSpec>& fields) {
    const int i = LayerIndex(name);
    if (i >= 0 && ds->DeleteLayer(i) != OGRERR_NONE) {
      throw Error(kStage, path, std::string("cannot replace layer ") + name);
    }
    CreateLayer(ds, path, name, geometry, fields);
  }
};

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::Store(Store&&) noexcept = default;
Store& Store::operator=(Store&&) noexcept = default;
Store::~Store() = default;

Store Store::Open(const std::string& path) {
  RegisterDrivers();
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    GDALDriver* driver = GetGDALDriverManager()->GetDriverByName("GPKG");
    if (driver == nullptr) throw Error(kStage, path, "GDAL has no GPKG driver");
    GDALDataset* ds = driver->Create(path.c_str(), 0, 0, 0, GDT_Unknown, nullptr);
    if (ds == nullptr) {
      throw InputError(kStage, path,
                       std::string("cannot create GeoPackage: ") + CPLGetLastErrorMsg());
    }
    GDALClose(ds);
  }
  // Open, add any missing layer, then close and reopen so that every deferred write of
  // layer creation (spatial index, contents) is on disk before the first scene.
  for (int pass = 0; pass < 2; ++pass) {
    GDALDataset* ds =
        GDALDataset::Open(path.c_str(), GDAL_OF_VECTOR | GDAL_OF_UPDATE, nullptr, nullptr, nullptr);
    if (ds == nullptr || std::string(ds->GetDriverName()) != "GPKG") {
      if (ds != nullptr) GDALClose(ds);
      throw InputError(kStage, path, "not a GeoPackage that can be opened for update");
    }
    bool created = false;
    for (const LayerSpec& spec : ScanLayers()) {
      OGRLayer* layer = ds->GetLayerByName(spec.name);
      if (layer == nullptr) {
        Impl::CreateLayer(ds, path, spec.name, spec.geometry, spec.fields());
        created = true;
        continue;
      }
      // A store written by an older berthwatch: add the fields it lacks.
      for (const FieldSpec& field : spec.fields()) {
        if (layer->GetLayerDefn()->GetFieldIndex(field.name) >= 0) continue;
        OGRFieldDefn def(field.name, field.type);
        def.SetSubType(field.subtype);
        if (layer->CreateField(&def) != OGRERR_NONE) {
          GDALClose(ds);
          throw Error(kStage, path, std::string("cannot add field ") + field.name);
        }
        created = true;
      }
    }
    if (created && pass == 0) {
      GDALClose(ds);
      continue;
    }
    auto impl = std::make_unique<Impl>();
    impl->path = path;
    impl->ds = ds;
    impl->LoadHashes();
    return Store(std::move(impl));
  }
  throw Error(kStage, path, "cannot prepare the GeoPackage layers");
}

Store Store::OpenExisting(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    throw InputError(kStage, path, "no such store (run `berthwatch scan` first)");
  }
  RegisterDrivers();
  GDALDataset* ds = GDALDataset::Open(path.c_str(), GDAL_OF_VECTOR, nullptr, nullptr, nullptr);
  if (ds == nullptr) throw InputError(kStage, path, "not a GeoPackage");
  const bool ok = ds->GetLayerByName("scenes") != nullptr;
  GDALClose(ds);
  if (!ok) throw InputError(kStage, path, "not a berthwatch store (no `scenes` layer)");
  return Open(path);
}

const std::string& Store::path() const { return impl_->path; }
const std::set<std::string>& Store::stored_hashes() const { return impl_->hashes; }
bool Store::Has(const std::string& content_hash) const {
  return impl_->hashes.count(content_hash) > 0;
}
const std::set<std::string>& Store::legacy_hashes() const { return impl_->legacy; }
const std::set<std::string>& Store::legacy_hashes_current() const { return impl_->legacy_current; }

void Store::Rekey(const std::string& legacy, const std::string& content_hash) {
  Impl& s = *impl_;
  if (!s.legacy.count(legacy)) return;
  s.Begin();
  try {
    for (const char* layer : {"scenes", "berth_views", "detections"}) {
      std::string sql =
          std::string("UPDATE ") + layer + " SET content_hash = " + SqlQuote(content_hash);
      if (std::string(layer) == "scenes")
        sql += std::string(", hash_kind = ") + SqlQuote(kContentHashKind);
      sql += " WHERE content_hash = " + SqlQuote(legacy);
      CPLErrorReset();
      OGRLayer* result = s.ds->ExecuteSQL(sql.c_str(), nullptr, nullptr);
      if (result != nullptr) s.ds->ReleaseResultSet(result);
      if (CPLGetLastErrorType() >= CE_Failure) {
        throw Error(kStage, s.path,
                    std::string("cannot re-key ") + layer + ": " + CPLGetLastErrorMsg());
      }
    }
    s.Commit();
  } catch (...) {
    s.Rollback();
    throw;
  }
  s.any_version.insert(content_hash);
  if (s.legacy_current.count(legacy)) s.hashes.insert(content_hash);
  s.legacy.erase(legacy);
  s.legacy_current.erase(legacy);
}

void Store::CommitScene(const SceneRecord& record, const SceneDetections& observations) {
  Impl& s = *impl_;
  OGRLayer* scenes = s.Layer("scenes");
  OGRLayer* views = s.Layer("berth_views");
  OGRLayer* dets = s.Layer("detections");
  const bool processed = record.status == SceneStatus::kProcessed;
  s.Begin();
  try {
    // Rows of this scene from another detector version are replaced, not kept beside.
    if (s.any_version.count(record.content_hash)) {
      for (OGRLayer* layer : {scenes, views, dets}) s.DeleteRowsOf(layer, record.content_hash);
    }
    FeaturePtr f(OGRFeature::CreateFeature(scenes->GetLayerDefn()));
    f->SetField("path", record.path.c_str());
    f->SetField("detector", record.detector.c_str());
    f->SetField("content_hash", record.content_hash.c_str());
    f->SetField("hash_kind", kContentHashKind);
    f->SetField("scene_id", record.scene_id.c_str());
    if (record.datetime) SetTime(*f, "datetime", *record.datetime);
    if (processed) {
      SetReal(*f, "sun_elevation_deg", observations.sun_elevation_deg);
      SetReal(*f, "sun_azimuth_deg", observations.sun_azimuth_deg);
      SetReal(*f, "off_nadir_deg", observations.off_nadir_deg);
      SetReal(*f, "view_azimuth_deg", observations.view_azimuth_deg);
      SetReal(*f, "gsd_m", observations.gsd_m);
      int clear = 0;
      for (const BerthView& v : observations.berths) clear += v.clear ? 1 : 0;
      f->SetField("berths_clear", clear);
      f->SetField("detections", static_cast<int>(observations.detections.size()));
    }
    f->SetField("status", ToString(record.status));
    if (!record.error.empty()) f->SetField("error", record.error.c_str());
    SetTime(*f, "processed_at",
            std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()));
    s.Create(scenes, f.get());

    if (processed) {
      for (const BerthView& v : observations.berths) {
        FeaturePtr g(OGRFeature::CreateFeature(views->GetLayerDefn()));
        g->SetField("content_hash", record.content_hash.c_str());
        g->SetField("scene_id", record.scene_id.c_str());
        if (record.datetime) SetTime(*g, "datetime", *record.datetime);
        g->SetField("berth", v.berth.c_str());
        g->SetField("coverage", CoverageName(v.coverage));
        SetReal(*g, "valid_fraction", v.valid_fraction);
        SetReal(*g, "cloud_fraction", v.cloud_fraction);
        g->SetField("clear", v.clear ? 1 : 0);
        g->SetField("occupied", v.occupied ? 1 : 0);
        s.Create(views, g.get());
      }
      for (size_t i = 0; i < observations.detections.size(); ++i) {
        const Detection& d = observations.detections[i];
        FeaturePtr g(OGRFeature::CreateFeature(dets->GetLayerDefn()));
        g->SetField("content_hash", record.content_hash.c_str());
        g->SetField("det_index", static_cast<int>(i));
        g->SetField("scene_id", record.scene_id.c_str());
        if (record.datetime) SetTime(*g, "datetime", *record.datetime);
        g->SetField("berth", d.berth.c_str());
        SetReal(*g, "length_m", d.length_m);
        SetReal(*g, "beam_m", d.beam_m);
        SetReal(*g, "heading_deg", d.heading_deg);
        g->SetField("bow_resolved", d.bow_resolved ? 1 : 0);
        SetReal(*g, "freeboard_m", d.freeboard_m);
        SetReal(*g, "freeboard_sigma_m", d.freeboard_sigma_m);
        // The scan's estimate, in load_* until a tally gives it the vessel's identity.
        const StoredLoad load{ToString(d.load_state), d.load_fraction, d.confidence,
                              d.unknown_reason};
        WriteLoad(*g, "", load);
        WriteLoad(*g, "scan_", load);
        g->SetField("vessel_id", d.vessel_id.c_str());
        g->SetField("vessel_class", d.vessel_class.c_str());
        SetReal(*g, "deck_r", d.deck_rgb[0]);
        SetReal(*g, "deck_g", d.deck_rgb[1]);
        SetReal(*g, "deck_b", d.deck_rgb[2]);
        SetReal(*g, "superstructure_pos", d.superstructure_pos);
        SetReal(*g, "manifold_pos", d.manifold_pos);
        SetReal(*g, "center_lon", d.center.lon_deg);
        SetReal(*g, "center_lat", d.center.lat_deg);
        g->SetField("truncated", d.truncated ? 1 : 0);
        g->SetField("cloud_affected", d.cloud_affected ? 1 : 0);
        if (d.hull_lonlat.size() >= 3) {
          auto ring = std::make_unique<OGRLinearRing>();
          for (const LonLat& p : d.hull_lonlat) ring->addPoint(p.lon_deg, p.lat_deg);
          ring->closeRings();
          OGRPolygon poly;
          poly.addRingDirectly(ring.release());
          g->SetGeometry(&poly);
        }
        s.Create(dets, g.get());
      }
    }
    s.Commit();
  } catch (...) {
    s.Rollback();
    throw;
  }
  s.any_version.insert(record.content_hash);
  if (record.detector == kDetectorVersion) s.hashes.insert(record.content_hash);
}

std::vector<StoredScene> Store::LoadScenes() const {
  const Impl& s = *impl_;
  std::vector<StoredScene> out;
  std::map<std::string, size_t> by_hash;
  OGRLayer* scenes = s.Layer("scenes");
  scenes->ResetReading();
  for (FeaturePtr f(scenes->GetNextFeature()); f; f.reset(scenes->GetNextFeature())) {
    StoredScene sc;
    sc.record.path = GetString(*f, "path");
    sc.record.content_hash = GetString(*f, "content_hash");
    sc.record.scene_id = GetString(*f, "scene_id");
    sc.record.datetime = GetTime(*f, "datetime");
    sc.record.status = StatusFromString(GetString(*f, "status"));
    sc.record.error = GetString(*f, "error");
    SceneDetections& o = sc.observations;
    o.scene_id = sc.record.scene_id;
    o.path = sc.record.path;
    if (sc.record.datetime) o.datetime = *sc.record.datetime;
    o.gsd_m = GetReal(*f, "gsd_m");
    o.sun_elevation_deg = GetReal(*f, "sun_elevation_deg");
    o.sun_azimuth_deg = GetReal(*f, "sun_azimuth_deg");
    o.off_nadir_deg = GetReal(*f, "off_nadir_deg");
    o.view_azimuth_deg = GetReal(*f, "view_azimuth_deg");
    if (by_hash.count(sc.record.content_hash)) continue;  // duplicate row: keep the first
    by_hash[sc.record.content_hash] = out.size();
    out.push_back(std::move(sc));
  }

  OGRLayer* views = s.Layer("berth_views");
  views->ResetReading();
  for (FeaturePtr f(views->GetNextFeature()); f; f.reset(views->GetNextFeature())) {
    auto it = by_hash.find(GetString(*f, "content_hash"));
    if (it == by_hash.end()) continue;
    BerthView v;
    v.berth = GetString(*f, "berth");
    v.coverage = CoverageFromString(GetString(*f, "coverage"));
    v.valid_fraction = GetReal(*f, "valid_fraction");
    v.cloud_fraction = GetReal(*f, "cloud_fraction");
    v.clear = GetInt(*f, "clear") != 0;
    v.occupied = GetInt(*f, "occupied") != 0;
    out[it->second].observations.berths.push_back(v);
  }

  std::vector<std::vector<std::pair<int, std::pair<Detection, std::int64_t>>>> dets(out.size());
  OGRLayer* dlayer = s.Layer("detections");
  dlayer->ResetReading();
  for (FeaturePtr f(dlayer->GetNextFeature()); f; f.reset(dlayer->GetNextFeature())) {
    auto it = by_hash.find(GetString(*f, "content_hash"));
    if (it == by_hash.end()) continue;
    Detection d;
    d.scene_id = GetString(*f, "scene_id");
    d.datetime = out[it->second].observations.datetime;
    d.berth = GetString(*f, "berth");
    d.length_m = GetReal(*f, "length_m");
    d.beam_m = GetReal(*f, "beam_m");
    d.heading_deg = GetReal(*f, "heading_deg");
    d.bow_resolved = GetInt(*f, "bow_resolved") != 0;
    d.freeboard_m = GetReal(*f, "freeboard_m");
    d.freeboard_sigma_m = GetReal(*f, "freeboard_sigma_m");
    // The scan's own estimate (a store written before scan_* existed: load_*, which no
    // tally had changed then).
    StoredLoad load = ReadLoad(*f, "scan_");
    if (load.state.empty()) load = ReadLoad(*f, "");
    d.load_fraction = load.fraction;
    d.load_state = (load.state == "empty" || load.state == "partial" || load.state == "full")
                       ? LoadStateFromString(load.state)
                       : LoadState::kUnknown;
    d.confidence = std::isfinite(load.confidence) ? load.confidence : 0.0;
    d.unknown_reason = load.unknown_reason;
    d.vessel_id = GetString(*f, "vessel_id");
    d.vessel_class = GetString(*f, "vessel_class");
    d.deck_rgb = {GetReal(*f, "deck_r"), GetReal(*f, "deck_g"), GetReal(*f, "deck_b")};
    d.superstructure_pos = GetReal(*f, "superstructure_pos");
    d.manifold_pos = GetReal(*f, "manifold_pos");
    d.center = {GetReal(*f, "center_lon"), GetReal(*f, "center_lat")};
    d.truncated = GetInt(*f, "truncated") != 0;
    d.cloud_affected = GetInt(*f, "cloud_affected") != 0;
    if (const OGRGeometry* g = f->GetGeometryRef();
        g != nullptr && wkbFlatten(g->getGeometryType()) == wkbPolygon) {
      const OGRLinearRing* ring = g->toPolygon()->getExteriorRing();
      if (ring != nullptr) {
        for (int i = 0; i < ring->getNumPoints(); ++i) {
          d.hull_lonlat.push_back({ring->getX(i), ring->getY(i)});
        }
      }
    }
    dets[it->second].push_back({GetInt(*f, "det_index"), {std::move(d), f->GetFID()}});
  }
  for (size_t i = 0; i < out.size(); ++i) {
    auto& list = dets[i];
    std::sort(list.begin(), list.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& [index, pair] : list) {
      out[i].observations.detections.push_back(std::move(pair.first));
      out[i].detection_fids.push_back(pair.second);
    }
  }

  std::stable_sort(out.begin(), out.end(), [](const StoredScene& a, const StoredScene& b) {
    if (a.record.datetime.has_value() != b.record.datetime.has_value()) {
      return a.record.datetime.has_value();
    }
    if (a.record.datetime && *a.record.datetime != *b.record.datetime) {
      return *a.record.datetime < *b.record.datetime;
    }
    if (a.record.scene_id != b.record.scene_id) return a.record.scene_id < b.record.scene_id;
    return a.record.path < b.record.path;
  });
  return out;
}

void Store::WriteFleet(const Fleet& fleet) {
  Impl& s = *impl_;
  s.ReplaceLayer("fleet", wkbNone, FleetFields());
  s.Begin();
  try {
    OGRLayer* layer = s.Layer("fleet");
    for (const FleetVessel& v : fleet.vessels) {
      FeaturePtr f(OGRFeature::CreateFeature(layer->GetLayerDefn()));
      f->SetField("name", v.name.c_str());
      f->SetField("length_m", v.length_m);
      f->SetField("beam_m", v.beam_m);
      f->SetField("depth_m", v.depth_m);
      f->SetField("ballast_draft_m", v.ballast_draft_m);
      f->SetField("laden_draft_m", v.laden_draft_m);
      s.Create(layer, f.get());
    }
    s.Commit();
  } catch (...) {
    s.Rollback();
    throw;
  }
}

std::optional<Fleet> Store::ReadFleet() const {
  OGRLayer* layer = impl_->ds->GetLayerByName("fleet");
  if (layer == nullptr) return std::nullopt;
  Fleet fleet;
  fleet.path = impl_->path;
  layer->ResetReading();
  for (FeaturePtr f(layer->GetNextFeature()); f; f.reset(layer->GetNextFeature())) {
    FleetVessel v;
    v.name = GetString(*f, "name");
    v.length_m = GetReal(*f, "length_m");
    v.beam_m = GetReal(*f, "beam_m");
    v.depth_m = GetReal(*f, "depth_m");
    v.ballast_draft_m = GetReal(*f, "ballast_draft_m");
    v.laden_draft_m = GetReal(*f, "laden_draft_m");
    fleet.vessels.push_back(v);
  }
  if (fleet.vessels.empty()) return std::nullopt;
  return fleet;
}

void Store::WriteTally(const std::vector<VesselRow>& vessels, const std::vector<VisitRow>& visits,
                       const std::vector<DetectionTallyRow>& detections) {
  Impl& s = *impl_;
  // Layer replacement is DDL; the rows then go in one transaction.
  s.ReplaceLayer("vessels", wkbNone, VesselFields());
  s.ReplaceLayer("visits", wkbPoint, VisitFields());
  s.Begin();
  try {
    OGRLayer* vl = s.Layer("vessels");
    for (const VesselRow& v : vessels) {
      FeaturePtr f(OGRFeature::CreateFeature(vl->GetLayerDefn()));
      f->SetField("vessel_id", v.vessel_id.c_str());
      f->SetField("name", v.name.c_str());
      SetReal(*f, "length_m", v.length_m);
      SetReal(*f, "beam_m", v.beam_m);
      f->SetField("visits", v.visits);
      f->SetField("detections", v.detections);
      SetTime(*f, "first_seen", v.first_seen);
      SetTime(*f, "last_seen", v.last_seen);
      s.Create(vl, f.get());
    }
    OGRLayer* il = s.Layer("visits");
    for (const VisitRow& v : visits) {
      FeaturePtr f(OGRFeature::CreateFeature(il->GetLayerDefn()));
      f->SetField("visit_id", v.visit_id.c_str());
      f->SetField("vessel_id", v.vessel_id.c_str());
      f->SetField("berth", v.berth.c_str());
      SetTime(*f, "first_seen", v.first_seen);
      SetTime(*f, "last_seen", v.last_seen);
      f->SetField("arrival_state", v.arrival_state.c_str());
      f->SetField("departure_state", v.departure_state.c_str());
      f->SetField("transition", v.transition.c_str());
      f->SetField("observations", v.observations);
      if (std::isfinite(v.center.lon_deg) && std::isfinite(v.center.lat_deg)) {
        OGRPoint p(v.center.lon_deg, v.center.lat_deg);
        f->SetGeometry(&p);
      }
      s.Create(il, f.get());
    }
    OGRLayer* dl = s.Layer("detections");
    std::map<std::int64_t, const DetectionTallyRow*> rows;
    for (const DetectionTallyRow& r : detections) rows[r.fid] = &r;
    std::vector<FeaturePtr> changed;
    dl->ResetReading();
    for (FeaturePtr f(dl->GetNextFeature()); f; f.reset(dl->GetNextFeature())) {
      auto it = rows.find(f->GetFID());
      const DetectionTallyRow* row = it == rows.end() ? nullptr : it->second;
      bool dirty = false;
      const std::string id = row == nullptr ? std::string() : row->vessel_id;
      if (GetString(*f, "vessel_id") != id) {
        f->SetField("vessel_id", id.c_str());
        dirty = true;
      }
      // Keep the scan's estimate (a store from before the scan_* fields: load_* is still it).
      StoredLoad scan = ReadLoad(*f, "scan_");
      if (scan.state.empty()) {
        scan = ReadLoad(*f, "");
        WriteLoad(*f, "scan_", scan);
        dirty = true;
      }
      const StoredLoad& load = row != nullptr && row->load ? *row->load : scan;
      if (!SameLoad(ReadLoad(*f, ""), load)) {
        WriteLoad(*f, "", load);
        dirty = true;
      }
      if (dirty) changed.push_back(std::move(f));
    }
    for (auto& f : changed) {
      if (dl->SetFeature(f.get()) != OGRERR_NONE) {
        throw Error(kStage, s.path, "cannot update the detections' vessel and load");
      }
    }
    s.Commit();
  } catch (...) {
    s.Rollback();
    throw;
  }
}

void Store::ExportDetectionsGeoJson(const std::string& out_path) const {
  GDALDriver* driver = GetGDALDriverManager()->GetDriverByName("GeoJSON");
  if (driver == nullptr) throw Error(kStage, out_path, "GDAL has no GeoJSON driver");
  std::error_code ec;
  std::filesystem::remove(out_path, ec);
  GDALDataset* out = driver->Create(out_path.c_str(), 0, 0, 0, GDT_Unknown, nullptr);
  if (out == nullptr) throw InputError(kStage, out_path, "cannot create GeoJSON file");
  OGRLayer* src = impl_->Layer("detections");
  char** options = CSLSetNameValue(nullptr, "RFC7946", "YES");
  OGRSpatialReference srs;
  srs.importFromEPSG(4326);
  srs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  OGRLayer* dst = out->CreateLayer("detections", &srs, wkbPolygon, options);
  CSLDestroy(options);
  if (dst == nullptr) {
    GDALClose(out);
    throw Error(kStage, out_path, "cannot create GeoJSON layer");
  }
  OGRFeatureDefn* sdef = src->GetLayerDefn();
  for (int i = 0; i < sdef->GetFieldCount(); ++i) {
    OGRFieldDefn def(sdef->GetFieldDefn(i));
    // RFC 7946 readers expect ISO strings; keep datetime as text.
    if (def.GetType() == OFTDateTime) def.SetType(OFTString);
    dst->CreateField(&def);
  }
  src->ResetReading();
  for (FeaturePtr f(src->GetNextFeature()); f; f.reset(src->GetNextFeature())) {
    FeaturePtr g(OGRFeature::CreateFeature(dst->GetLayerDefn()));
    g->SetFrom(f.get());
    const int di = sdef->GetFieldIndex("datetime");
    if (auto t = GetTime(*f, "datetime"); t && di >= 0) {
      g->SetField("datetime", FormatTime(*t).c_str());
    }
    if (dst->CreateFeature(g.get()) != OGRERR_NONE) {
      GDALClose(out);
      throw Error(kStage, out_path, "cannot write a GeoJSON feature");
    }
  }
  GDALClose(out);

  // Every processed scene, with or without detections, as the foreign member "scenes" (as
  // `detect` writes it): `evaluate` scores the truth of exactly these scenes, so a scene
  // where every vessel was missed counts as misses rather than vanishing from the file.
  nlohmann::json doc;
  {
    std::ifstream in(out_path, std::ios::binary);
    doc = nlohmann::json::parse(in, nullptr, false);
  }
  if (!doc.is_object()) throw Error(kStage, out_path, "GDAL wrote no JSON object");
  nlohmann::json scenes = nlohmann::json::array();
  auto num = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); };
  for (const StoredScene& sc : LoadScenes()) {
    if (sc.record.status != SceneStatus::kProcessed) continue;
    const SceneDetections& o = sc.observations;
    scenes.push_back({{"scene_id", sc.record.scene_id},
                      {"datetime", sc.record.datetime ? FormatTime(*sc.record.datetime) : ""},
                      {"gsd_m", num(o.gsd_m)},
                      {"sun_elevation_deg", num(o.sun_elevation_deg)},
                      {"sun_azimuth_deg", num(o.sun_azimuth_deg)},
                      {"off_nadir_deg", num(o.off_nadir_deg)},
                      {"view_azimuth_deg", num(o.view_azimuth_deg)},
                      {"detections", o.detections.size()}});
  }
  doc["scenes"] = std::move(scenes);
  std::ofstream outf(out_path, std::ios::binary | std::ios::trunc);
  outf << doc.dump(1) << "\n";
  if (!outf.good()) throw Error(kStage, out_path, "write failed");
}

}  // namespace bw
