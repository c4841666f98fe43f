// `berthwatch run` (not yet implemented).
#include "app/commands.h"
#include "geo/error.h"

namespace bw::app {

RunFn RegisterRun(CLI::App& app) {
  app.add_subcommand("run", "(not yet implemented)");
  return [] () -> int { throw bw::Error("app.run", "", "not implemented yet"); };
}

}  // namespace bw::app
