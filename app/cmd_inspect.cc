// `berthwatch inspect` (not yet implemented).
#include "app/commands.h"
#include "geo/error.h"

namespace bw::app {

RunFn RegisterInspect(CLI::App& app) {
  app.add_subcommand("inspect", "(not yet implemented)");
  return [] () -> int { throw bw::Error("app.inspect", "", "not implemented yet"); };
}

}  // namespace bw::app
