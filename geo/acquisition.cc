#include "geo/acquisition.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "geo/error.h"
#include "geo/solar.h"

namespace bw {

namespace {

namespace fs = std::filesystem;
constexpr const char* kStage = "geo.acquisition";

double Wrap360(double deg) {
  double d = std::fmod(deg, 360.0);
  return d < 0 ? d + 360.0 : d;
}

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

template <typename T>
void SetIfEmpty(Sourced<T>& field, const std::optional<T>& value, ValueSource source) {
  if (!field.has_value() && value.has_value()) {
    field.value = value;
    field.source = source;
  }
}

// Validates an angle or percentage read from `file` (so that nonsense fails loudly).
std::optional<double> Checked(std::optional<double> v, double lo, double hi, const char* what,
                              const std::string& file) {
  if (!v) return v;
  if (!std::isfinite(*v) || *v < lo || *v > hi) {
    std::ostringstream os;
    os << what << " = " << *v << " is outside [" << lo << ", " << hi << "]";
    throw InputError(kStage, file, os.str());
  }
  return v;
}

// ---- sidecars ----------------------------------------------------------------------------

std::optional<double> JsonNumber(const nlohmann::json& obj, const char* key,
                                 const std::string& file) {
  if (!obj.contains(key) || obj[key].is_null()) return std::nullopt;
  const auto& v = obj[key];
  if (v.is_number()) return v.get<double>();
  if (v.is_string()) {
    const std::string s = v.get<std::string>();
    char* end = nullptr;
    const double d = std::strtod(s.c_str(), &end);
    if (!s.empty() && end == s.c_str() + s.size()) return d;
  }
  throw InputError(kStage, file, std::string("'") + key + "' is not a number");
}

std::optional<TimePoint> JsonTime(const nlohmann::json& obj, const char* key,
                                  const std::string& file) {
  if (!obj.contains(key) || obj[key].is_null()) return std::nullopt;
  if (!obj[key].is_string())
    throw InputError(kStage, file, std::string("'") + key + "' is not a string");
  const std::string text = obj[key].get<std::string>();
  auto t = ParseTime(text);
  if (!t)
    throw InputError(kStage, file, std::string("'") + key + "' = '" + text + "' is not a time");
  return t;
}

std::string JsonString(const nlohmann::json& obj, const char* key) {
  if (obj.contains(key) && obj[key].is_string()) return obj[key].get<std::string>();
  return "";
}

nlohmann::json ReadJson(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw InputError(kStage, file, "cannot read the sidecar");
  std::stringstream ss;
  ss << in.rdbuf();
  try {
    nlohmann::json doc = nlohmann::json::parse(ss.str());
    if (!doc.is_object()) throw InputError(kStage, file, "sidecar is not a JSON object");
    return doc;
  } catch (const nlohmann::json::parse_error& e) {
    throw InputError(kStage, file, std::string("malformed sidecar JSON: ") + e.what());
  }
}

double ViewAzimuth(double az, const AcquisitionOptions& options) {
  return Wrap360(options.view_azimuth_towards_satellite ? az : az + 180.0);
}

void ApplyStac(const nlohmann::json& props, const std::string& file,
               const AcquisitionOptions& options, Acquisition& acq) {
  const ValueSource src = ValueSource::kStacSidecar;
  auto dt = JsonTime(props, "datetime", file);
  if (!dt) dt = JsonTime(props, "start_datetime", file);
  SetIfEmpty(acq.datetime, dt, src);
  SetIfEmpty(
      acq.sun_elevation_deg,
      Checked(JsonNumber(props, "view:sun_elevation", file), -90, 90, "view:sun_elevation", file),
      src);
  if (auto az = Checked(JsonNumber(props, "view:sun_azimuth", file), -360, 360, "view:sun_azimuth",
                        file)) {
    SetIfEmpty(acq.sun_azimuth_deg, std::optional<double>(Wrap360(*az)), src);
  }
  SetIfEmpty(acq.off_nadir_deg,
             Checked(JsonNumber(props, "view:off_nadir", file), 0, 90, "view:off_nadir", file),
             src);
  if (auto az = Checked(JsonNumber(props, "view:azimuth", file), -360, 360, "view:azimuth", file)) {
    SetIfEmpty(acq.view_azimuth_deg, std::optional<double>(ViewAzimuth(*az, options)), src);
  }
  SetIfEmpty(acq.gsd_m, Checked(JsonNumber(props, "gsd", file), 0, 1e6, "gsd", file), src);
  SetIfEmpty(acq.cloud_cover_pct,
             Checked(JsonNumber(props, "eo:cloud_cover", file), 0, 100, "eo:cloud_cover", file),
             src);
  if (acq.platform.empty()) acq.platform = JsonString(props, "platform");
}

void ApplyPlanet(const nlohmann::json& props, const std::string& file,
                 const AcquisitionOptions& options, Acquisition& acq) {
  const ValueSource src = ValueSource::kPlanetSidecar;
  SetIfEmpty(acq.datetime, JsonTime(props, "acquired", file), src);
  SetIfEmpty(acq.sun_elevation_deg,
             Checked(JsonNumber(props, "sun_elevation", file), -90, 90, "sun_elevation", file),
             src);
  if (auto az = Checked(JsonNumber(props, "sun_azimuth", file), -360, 360, "sun_azimuth", file)) {
    SetIfEmpty(acq.sun_azimuth_deg, std::optional<double>(Wrap360(*az)), src);
  }
  if (auto va = Checked(JsonNumber(props, "view_angle", file), -90, 90, "view_angle", file)) {
    SetIfEmpty(acq.off_nadir_deg, std::optional<double>(std::abs(*va)), src);
  }
  if (auto az = Checked(JsonNumber(props, "satellite_azimuth", file), -360, 360,
                        "satellite_azimuth", file)) {
    SetIfEmpty(acq.view_azimuth_deg, std::optional<double>(ViewAzimuth(*az, options)), src);
  }
  SetIfEmpty(acq.gsd_m, Checked(JsonNumber(props, "gsd", file), 0, 1e6, "gsd", file), src);
  if (auto cc = Checked(JsonNumber(props, "cloud_cover", file), 0, 1, "cloud_cover", file)) {
    SetIfEmpty(acq.cloud_cover_pct, std::optional<double>(*cc * 100.0), src);
  }
  if (acq.platform.empty()) {
    acq.platform = JsonString(props, "satellite_id");
    if (acq.platform.empty()) acq.platform = JsonString(props, "provider");
  }
}

// A sidecar may be a STAC Item (fields in "properties" with "datetime"/"view:*"), or Planet
// metadata (at the top level or in "properties" with "acquired").
void ApplySidecar(const std::string& file, const AcquisitionOptions& options, Acquisition& acq) {
  const nlohmann::json doc = ReadJson(file);
  const nlohmann::json* props = &doc;
  if (doc.contains("properties")) {
    if (!doc["properties"].is_object()) {
      throw InputError(kStage, file, "'properties' is not an object");
    }
    props = &doc["properties"];
  }
  const bool planet = props->contains("acquired") || props->contains("satellite_azimuth") ||
                      props->contains("view_angle");
  if (planet) {
    ApplyPlanet(*props, file, options, acq);
  } else {
    ApplyStac(*props, file, options, acq);
  }
  acq.sidecar_path = file;
}

// ---- raster metadata ---------------------------------------------------------------------

// Exact key, or a prefixed one ("IMD_MEANSUNEL", "IMAGE_1.meanSunEl"); both upper case.
bool KeyMatches(const std::string& key, const std::string& want) {
  return key == want ||
         (key.size() > want.size() && key.ends_with(want) &&
          !std::isalnum(static_cast<unsigned char>(key[key.size() - want.size() - 1])));
}

std::optional<double> MdNumber(const std::map<std::string, std::string>& md,
                               std::initializer_list<const char*> suffixes) {
  for (const char* suffix : suffixes) {
    const std::string want = Upper(suffix);
    for (const auto& [k, v] : md) {
      const std::string key = Upper(k);
      if (KeyMatches(key, want)) {
        std::string text = v;
        text.erase(std::remove(text.begin(), text.end(), ';'), text.end());
        char* end = nullptr;
        const double d = std::strtod(text.c_str(), &end);
        if (end != text.c_str() && std::isfinite(d)) return d;
      }
    }
  }
  return std::nullopt;
}

std::optional<std::string> MdString(const std::map<std::string, std::string>& md,
                                    std::initializer_list<const char*> suffixes) {
  for (const char* suffix : suffixes) {
    const std::string want = Upper(suffix);
    for (const auto& [k, v] : md) {
      const std::string key = Upper(k);
      if (KeyMatches(key, want)) {
        std::string s = v;
        s.erase(std::remove(s.begin(), s.end(), '"'), s.end());
        s.erase(std::remove(s.begin(), s.end(), ';'), s.end());
        if (!s.empty()) return s;
      }
    }
  }
  return std::nullopt;
}

std::optional<double> InRange(std::optional<double> v, double lo, double hi, const char* what) {
  if (v && (*v < lo || *v > hi)) {
    spdlog::debug("ignoring raster metadata {} = {} (outside [{}, {}])", what, *v, lo, hi);
    return std::nullopt;
  }
  return v;
}

std::optional<TimePoint> MdTime(const std::map<std::string, std::string>& md,
                                std::initializer_list<const char*> keys) {
  if (auto s = MdString(md, keys)) {
    if (auto t = ParseTime(*s)) return t;
    spdlog::debug("ignoring unparsable raster time '{}'", *s);
  }
  return std::nullopt;
}

void ApplyImagery(const std::map<std::string, std::string>& md, Acquisition& acq) {
  const ValueSource src = ValueSource::kGdalImagery;
  SetIfEmpty(acq.datetime, MdTime(md, {"ACQUISITIONDATETIME"}), src);
  SetIfEmpty(acq.sun_elevation_deg,
             InRange(MdNumber(md, {"SUNELEVATION", "SUN_ELEVATION"}), -90, 90, "sun elevation"),
             src);
  if (auto az = InRange(MdNumber(md, {"SUNAZIMUTH", "SUN_AZIMUTH"}), -360, 360, "sun azimuth")) {
    SetIfEmpty(acq.sun_azimuth_deg, std::optional<double>(Wrap360(*az)), src);
  }
  auto off = InRange(MdNumber(md, {"OFFNADIR", "OFF_NADIR", "VIEWANGLE", "VIEW_ANGLE"}), -90, 90,
                     "off-nadir");
  if (!off) {
    if (auto el = InRange(MdNumber(md, {"SATELLITEELEVATION", "SAT_ELEVATION"}), 0, 90,
                          "satellite elevation")) {
      off = 90.0 - *el;
    }
  }
  if (off) SetIfEmpty(acq.off_nadir_deg, std::optional<double>(std::abs(*off)), src);
  if (auto az = InRange(MdNumber(md, {"SATELLITEAZIMUTH", "SAT_AZIMUTH", "VIEWAZIMUTH"}), -360, 360,
                        "satellite azimuth")) {
    SetIfEmpty(acq.view_azimuth_deg, std::optional<double>(Wrap360(*az)), src);
  }
  // GDAL's readers report CLOUDCOVER in percent; 999 means unknown.
  SetIfEmpty(acq.cloud_cover_pct, InRange(MdNumber(md, {"CLOUDCOVER"}), 0, 100, "cloud cover"),
             src);
  if (acq.platform.empty()) {
    if (auto s = MdString(md, {"SATELLITEID"})) acq.platform = *s;
  }
}

// Maxar (DigitalGlobe) IMD keys, as GDAL's IMD domain (GDAL 3.6 renames an .IMD file's
// "meanSunEl" to "IMAGE_1.sunEl") or flattened into the default domain ("IMD_MEANSUNEL"). MEANSATAZ
// is the azimuth from the scene towards the satellite, as our convention.
void ApplyImd(const std::map<std::string, std::string>& md, Acquisition& acq) {
  const ValueSource src = ValueSource::kMaxarImd;
  SetIfEmpty(acq.datetime, MdTime(md, {"FIRSTLINETIME", "EARLIESTACQTIME"}), src);
  SetIfEmpty(acq.sun_elevation_deg,
             InRange(MdNumber(md, {"MEANSUNEL", "SUNEL"}), -90, 90, "MEANSUNEL"), src);
  if (auto az = InRange(MdNumber(md, {"MEANSUNAZ", "SUNAZ"}), -360, 360, "MEANSUNAZ")) {
    SetIfEmpty(acq.sun_azimuth_deg, std::optional<double>(Wrap360(*az)), src);
  }
  auto off = InRange(MdNumber(md, {"MEANOFFNADIRVIEWANGLE", "OFFNADIRVIEWANGLE"}), 0, 90,
                     "MEANOFFNADIRVIEWANGLE");
  if (!off) {
    if (auto el = InRange(MdNumber(md, {"MEANSATEL", "SATEL"}), 0, 90, "MEANSATEL"))
      off = 90.0 - *el;
  }
  SetIfEmpty(acq.off_nadir_deg, off, src);
  if (auto az = InRange(MdNumber(md, {"MEANSATAZ", "SATAZ"}), -360, 360, "MEANSATAZ")) {
    SetIfEmpty(acq.view_azimuth_deg, std::optional<double>(Wrap360(*az)), src);
  }
  if (auto cc = InRange(MdNumber(md, {"CLOUDCOVER"}), 0, 1, "IMD cloudCover")) {
    SetIfEmpty(acq.cloud_cover_pct, std::optional<double>(*cc * 100.0), src);
  }
  if (acq.platform.empty()) {
    if (auto s = MdString(md, {"SATID"})) acq.platform = *s;
  }
}

// Default-domain keys that only make sense as IMD (avoids matching unrelated keys).
std::map<std::string, std::string> ImdLikeKeys(const std::map<std::string, std::string>& md) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : md) {
    const std::string key = Upper(k);
    if (key.starts_with("IMD") || key.find("MEANSUN") != std::string::npos ||
        key.find("MEANSAT") != std::string::npos || key.find("MEANOFFNADIR") != std::string::npos ||
        key.find("FIRSTLINETIME") != std::string::npos || key.ends_with("SATID")) {
      out[k] = v;
    }
  }
  return out;
}

}  // namespace

const char* ToString(ValueSource source) {
  switch (source) {
    case ValueSource::kNone:
      return "none";
    case ValueSource::kStacSidecar:
      return "stac_sidecar";
    case ValueSource::kPlanetSidecar:
      return "planet_sidecar";
    case ValueSource::kGdalImagery:
      return "gdal_imagery";
    case ValueSource::kMaxarImd:
      return "maxar_imd";
    case ValueSource::kTiffDatetime:
      return "tiff_datetime";
    case ValueSource::kSolarAlgorithm:
      return "solar_algorithm";
    case ValueSource::kRaster:
      return "raster";
  }
  return "?";
}

std::string StacSidecarPath(const std::string& raster_path) {
  fs::path p(raster_path);
  return (p.parent_path() / (p.stem().string() + ".json")).string();
}

std::string PlanetSidecarPath(const std::string& raster_path) {
  fs::path p(raster_path);
  return (p.parent_path() / (p.stem().string() + "_metadata.json")).string();
}

Acquisition ReadAcquisition(const std::string& raster_path, const RasterMetadata& metadata,
                            std::optional<LonLat> scene_center, const AcquisitionOptions& options) {
  Acquisition acq;
  std::error_code ec;
  // 1. The sidecar: STAC <stem>.json first, else Planet <stem>_metadata.json.
  const std::string stac = StacSidecarPath(raster_path);
  const std::string planet = PlanetSidecarPath(raster_path);
  if (stac != raster_path && fs::is_regular_file(stac, ec)) {
    ApplySidecar(stac, options, acq);
  } else if (fs::is_regular_file(planet, ec)) {
    ApplySidecar(planet, options, acq);
  }
  // 2. The raster's own metadata.
  ApplyImagery(metadata.imagery, acq);
  ApplyImd(metadata.imd, acq);
  ApplyImd(ImdLikeKeys(metadata.default_domain), acq);
  // Some writers put IMAGERY-style keys in the default domain.
  ApplyImagery(metadata.default_domain, acq);
  auto it = metadata.default_domain.find("TIFFTAG_DATETIME");
  if (it != metadata.default_domain.end()) {
    SetIfEmpty(acq.datetime, ParseTime(it->second), ValueSource::kTiffDatetime);
  }
  // 3. Sun angles from time and place.
  if (options.compute_missing_sun && acq.datetime.has_value() && scene_center &&
      (!acq.sun_elevation_deg.has_value() || !acq.sun_azimuth_deg.has_value())) {
    const SunPosition sun = ComputeSunPosition(*acq.datetime, *scene_center);
    SetIfEmpty(acq.sun_elevation_deg, std::optional<double>(sun.elevation_deg),
               ValueSource::kSolarAlgorithm);
    SetIfEmpty(acq.sun_azimuth_deg, std::optional<double>(sun.azimuth_deg),
               ValueSource::kSolarAlgorithm);
  }
  return acq;
}

}  // namespace bw
