// `berthwatch run`: scan + tally + check in one go.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/commands.h"
#include "geo/error.h"
#include "geo/fleet.h"
#include "geo/terminal.h"
#include "tally/check.h"
#include "tally/scan.h"
#include "tally/store.h"
#include "tally/tally.h"

namespace bw::app {

RunFn RegisterRun(CLI::App& app) {
  struct Args {
    std::string dir;
    std::string terminal;
    std::string fleet;
    std::string claim;
    std::string out;
    int threads = 0;
  };
  auto args = std::make_shared<Args>();
  CLI::App* sub = app.add_subcommand(
      "run",
      "scan + tally + check: OUTDIR gets berthwatch.gpkg, detections.geojson, visits.csv, "
      "vessels.csv, summary.json; prints the per-vessel visit table and the check");
  sub->add_option("dir", args->dir, "folder of scenes (searched recursively) or a STAC JSON")
      ->required();
  sub->add_option("--terminal", args->terminal,
                  "terminal GeoJSON (default: DIR/terminal.geojson when present)");
  sub->add_option("--fleet", args->fleet, "fleet registry CSV (optional)");
  sub->add_option("--claim", args->claim, "claim to check, as for `berthwatch check`");
  sub->add_option("--out", args->out, "output folder")->required();
  sub->add_option("--threads", args->threads, "parallel scenes; 0 = all cores")
      ->capture_default_str();

  return [args]() -> int {
    namespace fs = std::filesystem;
    std::vector<ClaimItem> claim;
    if (!args->claim.empty()) claim = ParseClaim(args->claim);
    std::string terminal_path = args->terminal;
    if (terminal_path.empty()) {
      const fs::path guess = fs::path(args->dir) / "terminal.geojson";
      if (!fs::exists(guess)) {
        throw InputError("app.run", args->dir,
                         "no --terminal given and no terminal.geojson in the folder");
      }
      terminal_path = guess.string();
    }
    const Terminal terminal = LoadTerminal(terminal_path);
    std::optional<Fleet> fleet;
    if (!args->fleet.empty()) fleet = LoadFleet(args->fleet);
    std::error_code ec;
    fs::create_directories(args->out, ec);
    if (ec) throw InputError("app.run", args->out, "cannot create the output folder");
    const std::string db = (fs::path(args->out) / "berthwatch.gpkg").string();

    const std::vector<std::string> files = CollectSceneFiles({args->dir});
    if (files.empty()) throw InputError("app.run", args->dir, "no scene files found");
    if (fleet) StoreFleet(db, *fleet);
    ScanOptions scan_options;
    scan_options.threads = args->threads;
    const bool tty = isatty(fileno(stderr)) != 0;
    auto progress = [tty](const ScanProgress& p) {
      if (tty) std::fprintf(stderr, "\r%s   ", FormatScanProgress(p).c_str());
    };
    TuneMallocForBerthScan();
    const ScanSummary summary = ScanScenes(
        files, db, MakeSceneDetector(terminal, fleet ? &*fleet : nullptr), scan_options, progress);
    if (tty) std::fprintf(stderr, "\n");
    std::fprintf(stderr, "%s", FormatScanSummary(summary).c_str());

    const TallyResult result = TallyStore(db, fleet ? &*fleet : nullptr, TallyOptions{});
    const fs::path out(args->out);
    WriteVisitsCsv((out / "visits.csv").string(), result);
    WriteVesselsCsv((out / "vessels.csv").string(), result);
    WriteSummaryJson((out / "summary.json").string(), result);
    Store::OpenExisting(db).ExportDetectionsGeoJson((out / "detections.geojson").string());
    std::printf("%s", FormatVisitTable(result).c_str());
    if (result.scenes.processed == 0) {
      std::fprintf(stderr,
                   "berthwatch: run: no scene could be processed (%d skipped, %d failed): the "
                   "number of visits is unknown\n",
                   result.scenes.skipped, result.scenes.failed);
      return 2;
    }

    if (claim.empty()) {
      const MissedVisitEstimate e = EstimateMissedVisits(result, CheckOptions{});
      std::printf(
          "estimated total visits including those the calendar may have missed: %d "
          "(90 %% interval %d to %d)\n",
          e.median_total, e.low_total, e.high_total);
      return 0;
    }
    const CheckResult check = CheckClaim(claim, result, CheckOptions{});
    std::printf("\ncheck of \"%s\":\n%s", args->claim.c_str(), check.report.c_str());
    return check.consistent ? 0 : 1;
  };
}

}  // namespace bw::app
