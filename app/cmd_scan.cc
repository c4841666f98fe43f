// `berthwatch scan`: scenes -> detections stored in a GeoPackage (resumable).
#include <unistd.h>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/commands.h"
#include "geo/error.h"
#include "geo/fleet.h"
#include "geo/terminal.h"
#include "tally/scan.h"

namespace bw::app {

void TuneMallocForBerthScan() {
#ifdef __GLIBC__
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
}

RunFn RegisterScan(CLI::App& app) {
  struct Args {
    std::vector<std::string> inputs;
    std::string terminal;
    std::string fleet;
    std::string db = "berthwatch.gpkg";
    int threads = 0;
  };
  auto args = std::make_shared<Args>();
  CLI::App* sub = app.add_subcommand(
      "scan",
      "detect vessels in every scene and store scenes + detections in a GeoPackage; "
      "re-running skips scenes already stored");
  sub->add_option("inputs", args->inputs,
                  "scene files, folders of them (recursive) or a STAC ItemCollection JSON")
      ->required();
  sub->add_option("--terminal", args->terminal, "terminal GeoJSON (berth polygons)")->required();
  sub->add_option("--fleet", args->fleet, "fleet registry CSV (optional)");
  sub->add_option("--db", args->db, "output GeoPackage")->capture_default_str();
  sub->add_option("--threads", args->threads, "parallel scenes; 0 = all cores")
      ->capture_default_str();

  return [args]() -> int {
    const Terminal terminal = LoadTerminal(args->terminal);
    std::optional<Fleet> fleet;
    if (!args->fleet.empty()) fleet = LoadFleet(args->fleet);
    ScanOptions options;
    options.threads = args->threads;
    options.Check();
    const std::vector<std::string> files = CollectSceneFiles(args->inputs);
    if (files.empty()) throw InputError("app.scan", "", "no scene files in the inputs");
    if (fleet) StoreFleet(args->db, *fleet);
    const bool tty = isatty(fileno(stderr)) != 0;
    auto progress = [tty](const ScanProgress& p) {
      if (tty) std::fprintf(stderr, "\r%s   ", FormatScanProgress(p).c_str());
    };
    TuneMallocForBerthScan();
    ScanSummary summary = ScanScenes(
        files, args->db, MakeSceneDetector(terminal, fleet ? &*fleet : nullptr), options, progress);
    if (tty) std::fprintf(stderr, "\n");
    std::fprintf(stderr, "%s", FormatScanSummary(summary).c_str());
    std::printf(
        "%s: %d scenes stored in this run (%d processed, %d failed, %d skipped), %d "
        "already stored\n",
        args->db.c_str(), summary.counts.processed + summary.counts.failed + summary.counts.skipped,
        summary.counts.processed, summary.counts.failed, summary.counts.skipped,
        summary.counts.already_stored);
    return 0;
  };
}

}  // namespace bw::app
