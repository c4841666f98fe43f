// `berthwatch simulate`: renders a synthetic scenario (datasets/README.md).
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "app/commands.h"
#include "datasets/simulate.h"
#include "geo/error.h"

namespace bw::app {

RunFn RegisterSimulate(CLI::App& app) {
  struct Args {
    std::string scenario = "default";
    std::string out;
    unsigned long long seed = 0;
    std::vector<std::string> sets;
    bool preview = false;
    bool force = false;
    int threads = 2;
    std::vector<std::string> only;
  };
  auto args = std::make_shared<Args>();
  CLI::App* sub = app.add_subcommand(
      "simulate",
      "render a synthetic scenario: DIR/scenes/*.tif + STAC sidecars, terminal.geojson, "
      "fleet.csv, truth.json (skipped when DIR already holds the same scenario and seed)");
  sub->add_option("--scenario", args->scenario,
                  "built-in name (default, smoke, planetscope, wide) or a scenario JSON file")
      ->capture_default_str();
  sub->add_option("--out", args->out, "output folder")->required();
  CLI::Option* seed_opt =
      sub->add_option("--seed", args->seed, "random seed (overrides the scenario's)");
  sub->add_option("--set", args->sets,
                  "override a scenario field: dotted.key=value (value parsed as JSON when it "
                  "parses), e.g. --set fleet.count=5 --set acquisition.gsd_m=1.0");
  sub->add_flag("--preview", args->preview, "also write PNG quicklooks to DIR/preview/");
  sub->add_flag("--force", args->force, "render even when DIR already holds this scenario");
  sub->add_option("--threads", args->threads, "worker threads")->capture_default_str();
  sub->add_option("--only", args->only,
                  "render just these scenes (ids as in truth.json, e.g. scene_20240822T013956); "
                  "truth, terminal and fleet are the whole scenario's");

  return [args, seed_opt]() -> int {
    datasets::SimulateOptions opt;
    opt.scenario = args->scenario;
    opt.out_dir = args->out;
    if (seed_opt->count() > 0) opt.seed = args->seed;
    for (const std::string& s : args->sets) {
      const size_t eq = s.find('=');
      if (eq == std::string::npos || eq == 0) {
        throw InputError("app.simulate", "", "--set expects key=value, got '" + s + "'");
      }
      opt.overrides.emplace_back(s.substr(0, eq), s.substr(eq + 1));
    }
    opt.preview = args->preview;
    opt.force = args->force;
    opt.threads = args->threads;
    opt.only = args->only;
    const datasets::SimulateResult r = datasets::Simulate(opt);
    if (r.cached) {
      std::printf(
          "%s already holds scenario '%s' (seed %llu, %d scenes): cached, nothing rendered\n",
          r.out_dir.c_str(), r.scenario.c_str(), r.seed, r.scenes);
    } else {
      std::printf(
          "rendered scenario '%s' (seed %llu) to %s: %d scenes, %d vessels, %d visits "
          "(%d imaged clearly) in %.1f s\n",
          r.scenario.c_str(), r.seed, r.out_dir.c_str(), r.scenes, r.vessels, r.visits,
          r.visits_imaged, r.seconds);
    }
    return 0;
  };
}

}  // namespace bw::app
