// berthwatch: counts tanker visits at a terminal from a time series of satellite scenes.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "app/commands.h"
#include "geo/error.h"

namespace {

// detect --wide images thousands of windows of changing sizes; their maps are allocated and
// freed as separate mmaps (see cmd_detect.cc), and faulting their pages in, 4 KiB at a
// time, took a fifth of its CPU time on the 12k² bench scene (about 500k minor faults,
// 4-5 s of system time). glibc backs such chunks with transparent huge pages when its
// glibc.malloc.hugetlb tunable is 1 (faults 500k -> 180k, wall -20 % over three alternating
// runs, same peak RSS), but reads tunables only at start-up: so the process runs itself
// again, once, with the tunable added. Berth-mode commands keep 4 KiB pages (a scan was
// 35 % slower with huge pages). BW_NO_HUGEPAGES=1 or a failing exec leaves things as they are.
void RerunWithMallocHugePages(char** argv) {
#ifdef __GLIBC__
  static constexpr const char* kTunable = "glibc.malloc.hugetlb=1";
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  const char* off = std::getenv("BW_NO_HUGEPAGES");
  if ((off != nullptr && *off != '\0' && std::strcmp(off, "0") != 0) ||
      (tunables != nullptr && std::strstr(tunables, "glibc.malloc.hugetlb") != nullptr)) {
    spdlog::debug("malloc: GLIBC_TUNABLES={}", tunables != nullptr ? tunables : "");
    return;
  }
  const std::string before = tunables != nullptr ? tunables : "";
  const std::string value = before.empty() ? kTunable : before + ":" + kTunable;
  if (setenv("GLIBC_TUNABLES", value.c_str(), 1) != 0) return;
  std::fflush(nullptr);
  execv("/proc/self/exe", argv);
  // Still here: the exec failed; run on without huge pages.
  if (tunables != nullptr) {
    setenv("GLIBC_TUNABLES", before.c_str(), 1);
  } else {
    unsetenv("GLIBC_TUNABLES");
  }
#else
  (void)argv;
#endif
}

}  // namespace

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
  if (const CLI::App* detect = app.get_subcommand("detect");
      detect->parsed() && detect->count("--wide") > 0) {
    RerunWithMallocHugePages(argv);
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
