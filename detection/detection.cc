#include "detection/detection.h"

#include "geo/error.h"

namespace bw {

const char* ToString(LoadState state) {
  switch (state) {
    case LoadState::kEmpty:
      return "empty";
    case LoadState::kPartial:
      return "partial";
    case LoadState::kFull:
      return "full";
    case LoadState::kUnknown:
      return "unknown";
  }
  return "unknown";
}

LoadState LoadStateFromString(const std::string& text) {
  if (text == "empty") return LoadState::kEmpty;
  if (text == "partial") return LoadState::kPartial;
  if (text == "full") return LoadState::kFull;
  if (text == "unknown" || text.empty()) return LoadState::kUnknown;
  throw InputError("detection", "", "unknown load state '" + text + "'");
}

}  // namespace bw
