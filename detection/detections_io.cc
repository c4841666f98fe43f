#include "detection/detections_io.h"

#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "geo/error.h"

namespace bw {

namespace {

using nlohmann::json;

json Num(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

double Round(double v, double q) { return std::isfinite(v) ? std::round(v / q) * q : v; }

double GetNum(const json& p, const char* key) {
  auto it = p.find(key);
  if (it == p.end() || !it->is_number()) return kNaN;
  return it->get<double>();
}

std::string GetStr(const json& p, const char* key) {
  auto it = p.find(key);
  if (it == p.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

}  // namespace

std::string DetectionsToGeoJson(const std::vector<SceneDetections>& scenes) {
  json features = json::array();
  for (const auto& s : scenes) {
    for (const auto& d : s.detections) {
      json ring = json::array();
      for (const auto& p : d.hull_lonlat)
        ring.push_back({Round(p.lon_deg, 1e-8), Round(p.lat_deg, 1e-8)});
      json props;
      props["scene_id"] = d.scene_id;
      props["datetime"] = s.datetime_known ? json(FormatTime(d.datetime)) : json(nullptr);
      props["berth"] = d.berth.empty() ? json(nullptr) : json(d.berth);
      props["length_m"] = Num(Round(d.length_m, 0.01));
      props["beam_m"] = Num(Round(d.beam_m, 0.01));
      props["heading_deg"] = Num(Round(d.heading_deg, 0.01));
      props["freeboard_m"] = Num(Round(d.freeboard_m, 0.001));
      props["load_fraction"] = Num(Round(d.load_fraction, 0.001));
      props["load_state"] = ToString(d.load_state);
      props["confidence"] = Num(Round(d.confidence, 0.001));
      props["vessel_id"] = d.vessel_id.empty() ? json(nullptr) : json(d.vessel_id);
      // Extras.
      props["center_lon"] = Round(d.center.lon_deg, 1e-8);
      props["center_lat"] = Round(d.center.lat_deg, 1e-8);
      props["bow_resolved"] = d.bow_resolved;
      props["freeboard_sigma_m"] = Num(Round(d.freeboard_sigma_m, 0.001));
      props["unknown_reason"] = d.unknown_reason;
      props["vessel_class"] = d.vessel_class;
      props["registry_name"] = d.registry_name;
      props["deck_r"] = Num(Round(d.deck_rgb[0], 1e-4));
      props["deck_g"] = Num(Round(d.deck_rgb[1], 1e-4));
      props["deck_b"] = Num(Round(d.deck_rgb[2], 1e-4));
      props["superstructure_pos"] = Num(Round(d.superstructure_pos, 1e-3));
      props["manifold_pos"] = Num(Round(d.manifold_pos, 1e-3));
      props["truncated"] = d.truncated;
      props["cloud_affected"] = d.cloud_affected;
      props["detection_score"] = Num(Round(d.detection_score, 1e-3));
      props["bow_score"] = Num(Round(d.bow_score, 1e-3));
      props["sun_hull_angle_deg"] = Num(Round(d.sun_hull_angle_deg, 0.01));
      props["sun_elevation_deg"] = Num(Round(s.sun_elevation_deg, 0.01));
      props["sun_azimuth_deg"] = Num(Round(s.sun_azimuth_deg, 0.01));
      props["gsd_m"] = Num(Round(s.gsd_m, 1e-4));
      json f;
      f["type"] = "Feature";
      f["geometry"] = {{"type", "Polygon"}, {"coordinates", json::array({ring})}};
      f["properties"] = props;
      features.push_back(f);
    }
  }
  json fc;
  fc["type"] = "FeatureCollection";
  fc["name"] = "detections";
  json sc = json::array();
  for (const auto& s : scenes) {
    json berths = json::array();
    for (const auto& b : s.berths) {
      berths.push_back({{"berth", b.berth},
                        {"coverage", ToString(b.coverage)},
                        {"valid_fraction", Round(b.valid_fraction, 1e-4)},
                        {"cloud_fraction", Round(b.cloud_fraction, 1e-4)},
                        {"clear", b.clear},
                        {"occupied", b.occupied}});
    }
    sc.push_back({{"scene_id", s.scene_id},
                  {"datetime", s.datetime_known ? json(FormatTime(s.datetime)) : json(nullptr)},
                  {"gsd_m", Num(Round(s.gsd_m, 1e-4))},
                  {"sun_elevation_deg", Num(s.sun_elevation_deg)},
                  {"sun_azimuth_deg", Num(s.sun_azimuth_deg)},
                  {"off_nadir_deg", Num(s.off_nadir_deg)},
                  {"view_azimuth_deg", Num(s.view_azimuth_deg)},
                  {"detections", s.detections.size()},
                  {"berths", berths}});
  }
  fc["scenes"] = sc;
  fc["features"] = features;
  return fc.dump(1);
}

void WriteDetectionsGeoJson(const std::string& path, const std::vector<SceneDetections>& scenes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw Error("detection.geojson", path, "cannot open for writing");
  out << DetectionsToGeoJson(scenes) << "\n";
  if (!out.good()) throw Error("detection.geojson", path, "write failed");
}

std::vector<Detection> ReadDetectionsGeoJson(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError("detection.geojson", path, "cannot open");
  json doc;
  try {
    doc = json::parse(in);
  } catch (const json::exception& e) {
    throw InputError("detection.geojson", path, std::string("not valid JSON: ") + e.what());
  }
  if (!doc.is_object() || doc.value("type", "") != "FeatureCollection" ||
      !doc.contains("features") || !doc["features"].is_array()) {
    throw InputError("detection.geojson", path, "not a GeoJSON FeatureCollection");
  }
  std::vector<Detection> out;
  for (const auto& f : doc["features"]) {
    if (!f.is_object() || !f.contains("properties") || !f["properties"].is_object()) continue;
    const json& p = f["properties"];
    Detection d;
    d.scene_id = GetStr(p, "scene_id");
    if (auto t = ParseTime(GetStr(p, "datetime"))) d.datetime = *t;
    d.berth = GetStr(p, "berth");
    d.length_m = GetNum(p, "length_m");
    d.beam_m = GetNum(p, "beam_m");
    d.heading_deg = GetNum(p, "heading_deg");
    d.freeboard_m = GetNum(p, "freeboard_m");
    d.freeboard_sigma_m = GetNum(p, "freeboard_sigma_m");
    d.load_fraction = GetNum(p, "load_fraction");
    try {
      d.load_state = LoadStateFromString(GetStr(p, "load_state"));
    } catch (const Error&) {
      throw InputError("detection.geojson", path,
                       "bad load_state '" + GetStr(p, "load_state") + "'");
    }
    d.confidence = GetNum(p, "confidence");
    if (!std::isfinite(d.confidence)) d.confidence = 0.0;
    d.vessel_id = GetStr(p, "vessel_id");
    d.vessel_class = GetStr(p, "vessel_class");
    d.unknown_reason = GetStr(p, "unknown_reason");
    d.bow_resolved = p.value("bow_resolved", false);
    d.sun_hull_angle_deg = GetNum(p, "sun_hull_angle_deg");
    // Centre: explicit, else the mean of the polygon ring (or the point).
    const double clon = GetNum(p, "center_lon"), clat = GetNum(p, "center_lat");
    const json* g = f.contains("geometry") && f["geometry"].is_object() ? &f["geometry"] : nullptr;
    if (g != nullptr && g->value("type", "") == "Polygon" && (*g)["coordinates"].is_array() &&
        !(*g)["coordinates"].empty()) {
      for (const auto& c : (*g)["coordinates"][0])
        if (c.is_array() && c.size() >= 2)
          d.hull_lonlat.push_back({c[0].get<double>(), c[1].get<double>()});
    }
    if (std::isfinite(clon) && std::isfinite(clat)) {
      d.center = {clon, clat};
    } else if (g != nullptr && g->value("type", "") == "Point") {
      d.center = {(*g)["coordinates"][0].get<double>(), (*g)["coordinates"][1].get<double>()};
    } else if (d.hull_lonlat.size() > 1) {
      double sx = 0, sy = 0;
      const size_t n = d.hull_lonlat.size() - 1;
      for (size_t i = 0; i < n; ++i) {
        sx += d.hull_lonlat[i].lon_deg;
        sy += d.hull_lonlat[i].lat_deg;
      }
      d.center = {sx / n, sy / n};
    } else {
      throw InputError("detection.geojson", path, "a feature has no usable geometry");
    }
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace bw

namespace bw {

std::vector<SceneDetections> ReadSceneDetectionsGeoJson(const std::string& path) {
  std::vector<Detection> dets = ReadDetectionsGeoJson(path);
  std::ifstream in(path, std::ios::binary);
  nlohmann::json doc = nlohmann::json::parse(in, nullptr, false);
  std::vector<SceneDetections> out;
  std::map<std::string, size_t> index;
  if (doc.is_object() && doc.contains("scenes") && doc["scenes"].is_array()) {
    for (const auto& s : doc["scenes"]) {
      if (!s.is_object()) continue;
      SceneDetections sd;
      sd.scene_id = GetStr(s, "scene_id");
      if (auto t = ParseTime(GetStr(s, "datetime"))) {
        sd.datetime = *t;
        sd.datetime_known = true;
      }
      sd.gsd_m = GetNum(s, "gsd_m");
      sd.sun_elevation_deg = GetNum(s, "sun_elevation_deg");
      sd.sun_azimuth_deg = GetNum(s, "sun_azimuth_deg");
      sd.off_nadir_deg = GetNum(s, "off_nadir_deg");
      sd.view_azimuth_deg = GetNum(s, "view_azimuth_deg");
      sd.path = path;
      index[sd.scene_id] = out.size();
      out.push_back(std::move(sd));
    }
  }
  for (auto& d : dets) {
    auto it = index.find(d.scene_id);
    if (it == index.end()) {
      SceneDetections sd;
      sd.scene_id = d.scene_id;
      sd.path = path;
      it = index.emplace(d.scene_id, out.size()).first;
      out.push_back(std::move(sd));
    }
    out[it->second].detections.push_back(std::move(d));
  }
  return out;
}

}  // namespace bw
