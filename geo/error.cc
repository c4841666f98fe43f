#include "geo/error.h"

namespace bw {
namespace {
std::string Compose(const std::string& stage, const std::string& file, const std::string& what) {
  std::string msg = stage;
  if (!file.empty()) msg += ": '" + file + "'";
  msg += ": " + what;
  return msg;
}
}  // namespace

Error::Error(std::string stage, std::string file, const std::string& what)
    : std::runtime_error(Compose(stage, file, what)),
      stage_(std::move(stage)),
      file_(std::move(file)),
      problem_(what) {}

}  // namespace bw
