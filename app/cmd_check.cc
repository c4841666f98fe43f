// `berthwatch check` (not yet implemented).
#include "app/commands.h"
#include "geo/error.h"

namespace bw::app {

RunFn RegisterCheck(CLI::App& app) {
  app.add_subcommand("check", "(not yet implemented)");
  return [] () -> int { throw bw::Error("app.check", "", "not implemented yet"); };
}

}  // namespace bw::app
