// `berthwatch detect` (not yet implemented).
#include "app/commands.h"
#include "geo/error.h"

namespace bw::app {

RunFn RegisterDetect(CLI::App& app) {
  app.add_subcommand("detect", "(not yet implemented)");
  return [] () -> int { throw bw::Error("app.detect", "", "not implemented yet"); };
}

}  // namespace bw::app
