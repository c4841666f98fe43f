// `berthwatch check`: a reported claim against what the scenes showed.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "app/commands.h"
#include "tally/check.h"
#include "tally/tally.h"

namespace bw::app {

RunFn RegisterCheck(CLI::App& app) {
  struct Args {
    std::string db = "berthwatch.gpkg";
    std::string claim;
    int iterations = 4000;
    unsigned long long seed = 20240307;
  };
  auto args = std::make_shared<Args>();
  CLI::App* sub = app.add_subcommand(
      "check",
      "compare a claim with the tally, estimating the visits the image calendar may have "
      "missed; exit 0 consistent, 1 not, 2 error");
  sub->add_option("--db", args->db, "GeoPackage written by scan")->capture_default_str();
  sub->add_option("--claim", args->claim,
                  "comma-separated KEY OP VALUE items, OP one of = < > <= >= ~; keys: visits, "
                  "vessels, period=START/END, pattern=STATE->STATE, STATE->STATE (a count), "
                  "e.g. \"visits=43,vessels>12,period=2024-03-07/2024-11-05,"
                  "pattern=empty->full\"")
      ->required();
  sub->add_option("--iterations", args->iterations, "Monte-Carlo draws")->capture_default_str();
  sub->add_option("--seed", args->seed, "Monte-Carlo seed")->capture_default_str();

  return [args]() -> int {
    const std::vector<ClaimItem> claim = ParseClaim(args->claim);  // before any work
    CheckOptions options;
    options.iterations = args->iterations;
    options.seed = args->seed;
    options.Check();
    const TallyResult result = TallyStore(args->db, nullptr, TallyOptions{});
    const CheckResult check = CheckClaim(claim, result, options);
    std::printf("%s", check.report.c_str());
    return check.consistent ? 0 : 1;
  };
}

}  // namespace bw::app
