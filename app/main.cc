// berthwatch: counts tanker visits at a terminal from a time series of satellite scenes.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "app/commands.h"
#include "geo/error.h"

int main(int argc, char** argv) {
  // Libraries log; the CLI owns stdout, so the log goes to stderr.
  auto logger = spdlog::stderr_color_mt("berthwatch");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::warn);
  spdlog::set_pattern("[%l] %v");

  CLI::App app{"berthwatch: tanker visits at a terminal from satellite scenes"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "berthwatch 0.1.0");
  bool verbose = false;
  app.add_flag("-v,--verbose", verbose, "log progress and diagnostics to stderr");

  std::vector<std::pair<CLI::App*, bw::app::RunFn>> table;
  auto add = [&](bw::app::RunFn (*reg)(CLI::App&)) {
    const size_t before = app.get_subcommands({}).size();
    bw::app::RunFn fn = reg(app);
    auto subs = app.get_subcommands({});
    if (subs.size() > before) table.emplace_back(subs.back(), std::move(fn));
  };
  add(bw::app::RegisterInspect);
  add(bw::app::RegisterSimulate);
  add(bw::app::RegisterDetect);
  add(bw::app::RegisterEvaluate);
  add(bw::app::RegisterScan);
  add(bw::app::RegisterTally);
  add(bw::app::RegisterCheck);
  add(bw::app::RegisterRun);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (verbose) spdlog::set_level(spdlog::level::info);
  // BW_LOG=debug|trace shows the measurement details (stations, fits) as well.
  if (const char* lv = std::getenv("BW_LOG"); lv != nullptr && *lv != '\0') {
    spdlog::set_level(spdlog::level::from_str(lv));
  }

  try {
    for (auto& [sub, run] : table) {
      if (sub->parsed()) return run();
    }
    std::fprintf(stderr, "berthwatch: no command given (see --help)\n");
    return 2;
  } catch (const bw::Error& e) {
    std::fprintf(stderr, "berthwatch: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "berthwatch: internal error: %s\n", e.what());
    return 2;
  }
}
