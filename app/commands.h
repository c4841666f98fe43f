// The berthwatch CLI is a table of subcommands. Each Register* adds its subcommand to the
// app and returns the function main() runs when that subcommand was chosen. Commands only
// parse arguments and call library functions; results go to stdout, progress and log to
// stderr. They throw bw::Error on bad input; main() prints one line and exits 2.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace bw::app {

using RunFn = std::function<int()>;  // returns the process exit status

RunFn RegisterInspect(CLI::App& app);
RunFn RegisterSimulate(CLI::App& app);
RunFn RegisterDetect(CLI::App& app);
RunFn RegisterEvaluate(CLI::App& app);
RunFn RegisterScan(CLI::App& app);
RunFn RegisterTally(CLI::App& app);
RunFn RegisterCheck(CLI::App& app);
RunFn RegisterRun(CLI::App& app);

// Berth-mode scans image windows of a few sizes, scene after scene. glibc's malloc maps
// blocks above its (dynamic) mmap threshold afresh and returns the top of its heap to the
// system above a trim threshold, so each scene faulted its windows in again (0.75-1.2 M
// minor faults and 6-9 s of system time for the 178 scenes of `default`). A 32 MiB mmap
// threshold (glibc's maximum) and a 1 GiB trim threshold keep freed windows for the next
// scene: 0.16-0.27 M faults, 2.4-3.3 s of system time; two alternating runs of `scan` took
// 24.9/28.1 s against 30.9/29.6 s. Peak RSS went up in those runs (647/653 MiB against
// 538/551; nine runs with glibc's default gave 537-594 MiB). Setting only the trim
// threshold also turns off the dynamic mmap threshold: 3.5 times slower.
void TuneMallocForBerthScan();

}  // namespace bw::app
