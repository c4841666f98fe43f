// `berthwatch detect SCENE [--terminal T.geojson | --wide] [--fleet F.csv] --out D.geojson`.
#include <cstdio>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <memory>
#include <optional>
#include <string>

#include "app/commands.h"
#include "detection/detections_io.h"
#include "detection/detector.h"
#include "geo/error.h"
#include "geo/fleet.h"
#include "geo/terminal.h"

namespace bw::app {

RunFn RegisterDetect(CLI::App& app) {
  struct Args {
    std::string scene;
    std::string terminal;
    std::string fleet;
    std::string out;
    bool wide = false;
    int threads = 0;
    double margin_m = 120.0;
  };
  auto args = std::make_shared<Args>();
  CLI::App* sub = app.add_subcommand(
      "detect",
      "detect tankers in one scene (at the terminal's berths, or --wide on all water) and "
      "write their oriented hulls as GeoJSON");
  sub->add_option("SCENE", args->scene, "scene raster (GeoTIFF/COG or anything GDAL opens)")
      ->required();
  CLI::Option* term = sub->add_option("--terminal", args->terminal, "terminal GeoJSON");
  CLI::Option* wide = sub->add_flag("--wide", args->wide, "search all water in the scene");
  sub->add_option("--fleet", args->fleet, "fleet registry CSV (names, dimensions, drafts)");
  sub->add_option("--out", args->out, "output GeoJSON (FeatureCollection, lon/lat)")->required();
  sub->add_option("--threads", args->threads, "tile-loop threads (0 = all cores)");
  sub->add_option("--berth-margin", args->margin_m, "metres read around each berth")
      ->capture_default_str();
  (void)term;
  (void)wide;

  return [args]() -> int {
    if (args->terminal.empty() && !args->wide) {
      throw InputError("app.detect", args->scene, "give --terminal T.geojson or --wide");
    }
    std::optional<Terminal> terminal;
    if (!args->terminal.empty()) terminal = LoadTerminal(args->terminal);
    std::optional<Fleet> fleet;
    if (!args->fleet.empty()) fleet = LoadFleet(args->fleet);
#ifdef __GLIBC__
    if (args->wide) {
      // Wide mode images windows of ever-changing sizes. glibc's malloc raises its mmap
      // threshold after each large free, so later window-sized maps come from the heap and
      // fragment it: peak RSS then drifted between 465 and 516 MiB over runs on the 12k²
      // bench scene and reached 515 MiB on a 24k² one. A fixed 4 MiB threshold returns
      // window-sized maps to the system when freed (460-470 MiB on both, no measurable time
      // cost; berth mode keeps glibc's default: there a fixed threshold costs page faults).
      mallopt(M_MMAP_THRESHOLD, 4 << 20);
    }
#endif
    DetectOptions options;
    options.wide = args->wide;
    options.threads = args->threads;
    options.berth_margin_m = args->margin_m;
    const SceneDetections result = DetectScene(args->scene, terminal ? &*terminal : nullptr,
                                               fleet ? &*fleet : nullptr, options);
    WriteDetectionsGeoJson(args->out, {result});
    int known = 0;
    for (const auto& d : result.detections) known += d.load_state != LoadState::kUnknown;
    std::printf("%s: %zu detections (%d with a load state) -> %s\n", result.scene_id.c_str(),
                result.detections.size(), known, args->out.c_str());
    return 0;
  };
}

}  // namespace bw::app
