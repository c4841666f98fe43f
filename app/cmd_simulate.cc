// `berthwatch simulate` (not yet implemented).
#include "app/commands.h"
#include "geo/error.h"

namespace bw::app {

RunFn RegisterSimulate(CLI::App& app) {
  app.add_subcommand("simulate", "(not yet implemented)");
  return [] () -> int { throw bw::Error("app.simulate", "", "not implemented yet"); };
}

}  // namespace bw::app
