// `berthwatch inspect SCENE [--terminal T.geojson] [--json]`: what berthwatch reads from one
// scene (size, bands and roles, CRS, GSD, acquisition metadata with sources) and, with a
// terminal, the coverage and pixel window of each berth.
#include <cmath>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "app/commands.h"
#include "geo/error.h"
#include "geo/scene.h"
#include "geo/terminal.h"
#include "geo/window.h"

namespace bw::app {

namespace {

template <typename T>
nlohmann::json SourcedJson(const Sourced<T>& s) {
  nlohmann::json j;
  if constexpr (std::is_same_v<T, TimePoint>) {
    j["value"] = s.has_value() ? nlohmann::json(FormatTime(*s)) : nlohmann::json(nullptr);
  } else {
    j["value"] = s.has_value() ? nlohmann::json(*s) : nlohmann::json(nullptr);
  }
  j["source"] = ToString(s.source);
  return j;
}

std::string Angle(const Sourced<double>& s, const char* unit) {
  if (!s.has_value()) return "-";
  char buf[96];
  std::snprintf(buf, sizeof(buf), "%.2f%s [%s]", *s, unit, ToString(s.source));
  return buf;
}

}  // namespace

RunFn RegisterInspect(CLI::App& app) {
  struct Args {
    std::string scene;
    std::string terminal;
    bool json = false;
    double margin_m = WindowOptions{}.margin_m;
    bool view_azimuth_away = false;
    bool no_read_check = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* sub = app.add_subcommand(
      "inspect",
      "show what berthwatch reads from a scene: size, bands and roles, CRS, GSD, acquisition "
      "time, sun and view angles (each with its source) and, with --terminal, berth coverage");
  sub->add_option("SCENE", args->scene, "raster file (GeoTIFF or anything GDAL opens)")->required();
  sub->add_option("--terminal", args->terminal, "terminal GeoJSON (berth polygons in lon/lat)");
  sub->add_flag("--json", args->json, "print JSON instead of a table");
  sub->add_option("--margin-m", args->margin_m, "margin around each berth window, metres")
      ->capture_default_str();
  sub->add_flag("--view-azimuth-from-satellite", args->view_azimuth_away,
                "sidecar view azimuths point from the satellite to the scene (default: from the "
                "scene towards the satellite)");

  sub->add_flag("--no-read-check", args->no_read_check,
                "skip decoding every block (by default inspect reads the whole raster once so "
                "that truncated or corrupt files are reported)");

  return [args]() -> int {
    SceneOptions so;
    so.acquisition.view_azimuth_towards_satellite = !args->view_azimuth_away;
    const Scene scene = Scene::Open(args->scene, so);
    if (!args->no_read_check) scene.CheckReadable();
    std::optional<Terminal> terminal;
    std::vector<BerthWindow> windows;
    WindowOptions wo;
    wo.margin_m = args->margin_m;
    if (!args->terminal.empty()) {
      terminal = LoadTerminal(args->terminal);
      windows = ComputeBerthWindows(scene, *terminal, wo);
    }
    const Acquisition& acq = scene.acquisition();
    const LonLat c = scene.center_lonlat();

    if (args->json) {
      nlohmann::json j;
      j["path"] = scene.path();
      j["scene_id"] = scene.id();
      j["width"] = scene.width();
      j["height"] = scene.height();
      j["band_count"] = scene.band_count();
      j["pixel_type"] = ToString(scene.pixel_type());
      nlohmann::json bands;
      for (BandRole r : {BandRole::kRed, BandRole::kGreen, BandRole::kBlue, BandRole::kNir}) {
        const int b = scene.band_index(r);
        bands[ToString(r)] = b > 0 ? nlohmann::json(b) : nlohmann::json(nullptr);
      }
      j["bands"] = bands;
      j["band_roles_source"] = scene.band_roles_source();
      j["block"] = {scene.block_width(), scene.block_height()};
      j["crs"] = {{"epsg", scene.epsg() ? nlohmann::json(*scene.epsg()) : nlohmann::json(nullptr)},
                  {"geographic", scene.crs_is_geographic()}};
      j["geotransform"] = scene.geotransform();
      j["gsd_m"] = scene.gsd_m();
      j["gsd_x_m"] = scene.gsd_x_m();
      j["gsd_y_m"] = scene.gsd_y_m();
      j["resampled"] =
          scene.resampled().empty() ? nlohmann::json(nullptr) : nlohmann::json(scene.resampled());
      j["nodata"] = scene.nodata() ? nlohmann::json(*scene.nodata()) : nlohmann::json(nullptr);
      j["center"] = {{"lon", c.lon_deg}, {"lat", c.lat_deg}};
      j["datetime"] = SourcedJson(acq.datetime);
      j["sun_elevation_deg"] = SourcedJson(acq.sun_elevation_deg);
      j["sun_azimuth_deg"] = SourcedJson(acq.sun_azimuth_deg);
      j["off_nadir_deg"] = SourcedJson(acq.off_nadir_deg);
      j["view_azimuth_deg"] = SourcedJson(acq.view_azimuth_deg);
      j["metadata_gsd_m"] = SourcedJson(acq.gsd_m);
      j["cloud_cover_pct"] = SourcedJson(acq.cloud_cover_pct);
      j["platform"] = acq.platform;
      j["sidecar"] = acq.sidecar_path;
      if (terminal) {
        j["terminal"] = terminal->path;
        j["margin_m"] = wo.margin_m;
        nlohmann::json berths = nlohmann::json::array();
        for (const BerthWindow& w : windows) {
          berths.push_back({{"name", w.berth},
                            {"coverage", ToString(w.coverage)},
                            {"covered_fraction", w.covered_fraction},
                            {"window",
                             {{"x0", w.window.x0},
                              {"y0", w.window.y0},
                              {"width", w.window.width},
                              {"height", w.window.height}}}});
        }
        j["berths"] = berths;
      }
      std::printf("%s\n", j.dump(2).c_str());
      return 0;
    }

    std::printf("scene        %s  (%s)\n", scene.id().c_str(), scene.path().c_str());
    std::printf("size         %d x %d px, %d bands, %s, blocks %d x %d\n", scene.width(),
                scene.height(), scene.band_count(), ToString(scene.pixel_type()),
                scene.block_width(), scene.block_height());
    std::string roles;
    for (BandRole r : {BandRole::kRed, BandRole::kGreen, BandRole::kBlue, BandRole::kNir}) {
      const int b = scene.band_index(r);
      roles += std::string(ToString(r)) + "=" + (b > 0 ? std::to_string(b) : "-") + " ";
    }
    std::printf("bands        %s(from %s)\n", roles.c_str(), scene.band_roles_source().c_str());
    std::printf("crs          %s (%s)\n",
                scene.epsg() ? ("EPSG:" + std::to_string(*scene.epsg())).c_str() : "no EPSG code",
                scene.crs_is_geographic() ? "geographic" : "projected");
    std::printf("gsd          %.3f m (x %.3f m, y %.3f m)\n", scene.gsd_m(), scene.gsd_x_m(),
                scene.gsd_y_m());
    if (!scene.resampled().empty()) std::printf("resampled    %s\n", scene.resampled().c_str());
    if (scene.nodata()) {
      std::printf("nodata       %g\n", *scene.nodata());
    } else {
      std::printf("nodata       -\n");
    }
    std::printf("centre       lon %.6f, lat %.6f\n", c.lon_deg, c.lat_deg);
    if (acq.datetime.has_value()) {
      std::printf("datetime     %s [%s]\n", FormatTime(*acq.datetime).c_str(),
                  ToString(acq.datetime.source));
    } else {
      std::printf("datetime     - (no acquisition time: scans skip this scene)\n");
    }
    std::printf("sun          elevation %s, azimuth %s\n",
                Angle(acq.sun_elevation_deg, " deg").c_str(),
                Angle(acq.sun_azimuth_deg, " deg").c_str());
    std::printf("view         off-nadir %s, azimuth %s\n", Angle(acq.off_nadir_deg, " deg").c_str(),
                Angle(acq.view_azimuth_deg, " deg").c_str());
    std::printf("cloud cover  %s\n", Angle(acq.cloud_cover_pct, " %").c_str());
    std::printf("platform     %s\n", acq.platform.empty() ? "-" : acq.platform.c_str());
    std::printf("sidecar      %s\n", acq.sidecar_path.empty() ? "-" : acq.sidecar_path.c_str());
    if (terminal) {
      std::printf("berths       %zu in %s (margin %.0f m)\n", windows.size(),
                  terminal->path.c_str(), wo.margin_m);
      std::printf("  %-20s %-8s %9s  %s\n", "name", "coverage", "covered", "window x0,y0 wxh");
      for (const BerthWindow& w : windows) {
        std::printf("  %-20s %-8s %8.1f%%  %d,%d %dx%d\n", w.berth.c_str(), ToString(w.coverage),
                    100.0 * w.covered_fraction, w.window.x0, w.window.y0, w.window.width,
                    w.window.height);
      }
    }
    return 0;
  };
}

}  // namespace bw::app
