// `berthwatch evaluate` (not yet implemented).
#include "app/commands.h"
#include "geo/error.h"

namespace bw::app {

RunFn RegisterEvaluate(CLI::App& app) {
  app.add_subcommand("evaluate", "(not yet implemented)");
  return [] () -> int { throw bw::Error("app.evaluate", "", "not implemented yet"); };
}

}  // namespace bw::app
