// `berthwatch tally`: vessels, visits and transitions from what scan stored.
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "app/commands.h"
#include "geo/fleet.h"
#include "tally/tally.h"

namespace bw::app {

RunFn RegisterTally(CLI::App& app) {
  struct Args {
    std::string db = "berthwatch.gpkg";
    std::string visits;
    std::string vessels;
    std::string summary;
    std::string fleet;
  };
  auto args = std::make_shared<Args>();
  CLI::App* sub = app.add_subcommand(
      "tally",
      "identities, visits and transitions from what scan stored; prints the "
      "per-vessel visit table and writes vessels/visits back into the GeoPackage");
  sub->add_option("--db", args->db, "GeoPackage written by scan")->capture_default_str();
  sub->add_option("--visits", args->visits, "write the visits CSV here");
  sub->add_option("--vessels", args->vessels, "write the vessels CSV here");
  sub->add_option("--summary", args->summary, "write the summary JSON here");
  sub->add_option("--fleet", args->fleet,
                  "fleet registry CSV for names (default: the one given to scan)");

  return [args]() -> int {
    std::optional<Fleet> fleet;
    if (!args->fleet.empty()) fleet = LoadFleet(args->fleet);
    const TallyResult result = TallyStore(args->db, fleet ? &*fleet : nullptr, TallyOptions{});
    if (!args->visits.empty()) WriteVisitsCsv(args->visits, result);
    if (!args->vessels.empty()) WriteVesselsCsv(args->vessels, result);
    if (!args->summary.empty()) WriteSummaryJson(args->summary, result);
    std::printf("%s", FormatVisitTable(result).c_str());
    return 0;
  };
}

}  // namespace bw::app
