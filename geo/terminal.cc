#include "geo/terminal.h"

#include <gdal_priv.h>
#include <ogr_geometry.h>
#include <ogrsf_frmts.h>
#include <spdlog/spdlog.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "geo/error.h"
#include "geo/scene.h"

namespace bw {

namespace {

constexpr const char* kStage = "geo.terminal";

struct DatasetCloser {
  void operator()(GDALDataset* ds) const { GDALClose(GDALDataset::ToHandle(ds)); }
};

std::string FeatureLabel(int index, const std::string& name) {
  std::string label = "feature " + std::to_string(index);
  if (!name.empty()) label += " ('" + name + "')";
  return label;
}

LonLatRing RingOf(const OGRLinearRing& ring) {
  LonLatRing out;
  out.reserve(ring.getNumPoints());
  for (int i = 0; i < ring.getNumPoints(); ++i) out.push_back({ring.getX(i), ring.getY(i)});
  if (!out.empty() &&
      (out.front().lon_deg != out.back().lon_deg || out.front().lat_deg != out.back().lat_deg)) {
    out.push_back(out.front());
  }
  return out;
}

}  // namespace

const char* ToString(FeatureKind kind) {
  switch (kind) {
    case FeatureKind::kBerth:
      return "berth";
    case FeatureKind::kAnchorage:
      return "anchorage";
    case FeatureKind::kLand:
      return "land";
  }
  return "?";
}

std::vector<const TerminalFeature*> Terminal::berths() const {
  return of_kind(FeatureKind::kBerth);
}

std::vector<const TerminalFeature*> Terminal::of_kind(FeatureKind kind) const {
  std::vector<const TerminalFeature*> out;
  for (const auto& f : features) {
    if (f.kind == kind) out.push_back(&f);
  }
  return out;
}

Terminal LoadTerminal(const std::string& path) {
  InitializeGdal();
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) throw InputError(kStage, path, "no such file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(kStage, path, "cannot read the file");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
    throw InputError(kStage, path, "empty file");
  }
  // Structure first, with nlohmann's precise parse errors; geometry through OGR.
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw InputError(kStage, path, std::string("malformed JSON: ") + e.what());
  }
  if (!doc.is_object() || doc.value("type", std::string()) != "FeatureCollection") {
    throw InputError(kStage, path, "not a GeoJSON FeatureCollection");
  }
  if (!doc.contains("features") || !doc["features"].is_array()) {
    throw InputError(kStage, path, "FeatureCollection without a 'features' array");
  }
  const nlohmann::json& jfeatures = doc["features"];

  const char* const drivers[] = {"GeoJSON", nullptr};
  CPLErrorReset();
  std::unique_ptr<GDALDataset, DatasetCloser> ds(GDALDataset::FromHandle(
      GDALOpenEx(path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, drivers, nullptr, nullptr)));
  if (ds == nullptr || ds->GetLayerCount() < 1) {
    throw InputError(kStage, path, std::string("not readable as GeoJSON: ") + CPLGetLastErrorMsg());
  }
  OGRLayer* layer = ds->GetLayer(0);
  layer->ResetReading();

  Terminal terminal;
  terminal.path = path;
  std::set<std::string> berth_names;
  int index = 0;
  for (auto& feature : *layer) {
    const nlohmann::json* props = nullptr;
    if (index < static_cast<int>(jfeatures.size()) && jfeatures[index].contains("properties") &&
        jfeatures[index]["properties"].is_object()) {
      props = &jfeatures[index]["properties"];
    }
    TerminalFeature tf;
    std::string kind = "berth";
    if (props != nullptr) {
      if (props->contains("name") && (*props)["name"].is_string()) {
        tf.name = (*props)["name"].get<std::string>();
      }
      if (props->contains("kind")) {
        if (!(*props)["kind"].is_string()) {
          throw InputError(kStage, path, FeatureLabel(index, tf.name) + ": 'kind' is not a string");
        }
        kind = (*props)["kind"].get<std::string>();
      }
    }
    const std::string label = FeatureLabel(index, tf.name);
    if (kind == "berth") {
      tf.kind = FeatureKind::kBerth;
    } else if (kind == "anchorage") {
      tf.kind = FeatureKind::kAnchorage;
    } else if (kind == "land") {
      tf.kind = FeatureKind::kLand;
    } else {
      throw InputError(kStage, path,
                       label + ": unknown kind '" + kind + "' (berth, anchorage or land)");
    }
    if (tf.kind == FeatureKind::kBerth) {
      if (tf.name.empty()) throw InputError(kStage, path, label + ": berth without a 'name'");
      if (!berth_names.insert(tf.name).second) {
        throw InputError(kStage, path, "duplicate berth name '" + tf.name + "'");
      }
    }
    const OGRGeometry* geom = feature->GetGeometryRef();
    if (geom == nullptr || geom->IsEmpty()) {
      throw InputError(kStage, path, label + ": no geometry");
    }
    const OGRPolygon* poly = nullptr;
    const auto type = wkbFlatten(geom->getGeometryType());
    if (type == wkbPolygon) {
      poly = geom->toPolygon();
    } else if (type == wkbMultiPolygon && geom->toMultiPolygon()->getNumGeometries() == 1) {
      poly = geom->toMultiPolygon()->getGeometryRef(0);
    } else {
      throw InputError(kStage, path,
                       label + ": geometry is " + OGRGeometryTypeToName(geom->getGeometryType()) +
                           ", expected a Polygon");
    }
    OGREnvelope env;
    poly->getEnvelope(&env);
    if (std::abs(env.MinX) > 180.0 || std::abs(env.MaxX) > 180.0 || std::abs(env.MinY) > 90.0 ||
        std::abs(env.MaxY) > 90.0) {
      throw InputError(kStage, path, label + ": coordinates are not lon/lat degrees");
    }
    const OGRLinearRing* exterior = poly->getExteriorRing();
    if (exterior == nullptr || exterior->getNumPoints() < 4) {
      throw InputError(kStage, path, label + ": invalid polygon (ring with fewer than 4 points)");
    }
    CPLErrorReset();
    if (!poly->IsValid()) {
      throw InputError(kStage, path,
                       label + ": invalid polygon (self-intersecting or degenerate ring)");
    }
    tf.polygon.rings.push_back(RingOf(*exterior));
    for (int r = 0; r < poly->getNumInteriorRings(); ++r) {
      tf.polygon.rings.push_back(RingOf(*poly->getInteriorRing(r)));
    }
    terminal.features.push_back(std::move(tf));
    ++index;
  }
  if (terminal.berths().empty()) throw InputError(kStage, path, "no berth features");
  spdlog::debug("terminal '{}': {} features, {} berths", path, terminal.features.size(),
                terminal.berths().size());
  return terminal;
}

void WriteTerminal(const std::string& path, const Terminal& terminal) {
  nlohmann::json features = nlohmann::json::array();
  for (const auto& f : terminal.features) {
    nlohmann::json rings = nlohmann::json::array();
    for (const auto& ring : f.polygon.rings) {
      nlohmann::json jr = nlohmann::json::array();
      for (const auto& p : ring) jr.push_back({p.lon_deg, p.lat_deg});
      if (!ring.empty() && (ring.front().lon_deg != ring.back().lon_deg ||
                            ring.front().lat_deg != ring.back().lat_deg)) {
        jr.push_back({ring.front().lon_deg, ring.front().lat_deg});
      }
      rings.push_back(std::move(jr));
    }
    nlohmann::json props = {{"kind", ToString(f.kind)}};
    if (!f.name.empty()) props["name"] = f.name;
    features.push_back({{"type", "Feature"},
                        {"properties", props},
                        {"geometry", {{"type", "Polygon"}, {"coordinates", rings}}}});
  }
  const nlohmann::json doc = {{"type", "FeatureCollection"}, {"features", features}};
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw Error(kStage, path, "cannot write the file");
  out << doc.dump(1) << "\n";
  if (!out) throw Error(kStage, path, "write failed");
}

}  // namespace bw
