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

}  // namespace bw::app
