// `berthwatch tally` (not yet implemented).
#include "app/commands.h"
#include "geo/error.h"

namespace bw::app {

RunFn RegisterTally(CLI::App& app) {
  app.add_subcommand("tally", "(not yet implemented)");
  return [] () -> int { throw bw::Error("app.tally", "", "not implemented yet"); };
}

}  // namespace bw::app
