// `berthwatch scan` (not yet implemented).
#include "app/commands.h"
#include "geo/error.h"

namespace bw::app {

RunFn RegisterScan(CLI::App& app) {
  app.add_subcommand("scan", "(not yet implemented)");
  return [] () -> int { throw bw::Error("app.scan", "", "not implemented yet"); };
}

}  // namespace bw::app
