#include "detection/detection.h"

#include <algorithm>

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

std::string UnknownReasonKey(const std::string& reason) {
  return reason.empty() ? "no reason given" : reason;
}

std::vector<std::pair<std::string, int>> MostFrequentFirst(
    const std::map<std::string, int>& counts) {
  std::vector<std::pair<std::string, int>> out(counts.begin(), counts.end());
  std::stable_sort(out.begin(), out.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  return out;
}

LoadState LoadStateFromString(const std::string& text) {
  if (text == "empty") return LoadState::kEmpty;
  if (text == "partial") return LoadState::kPartial;
  if (text == "full") return LoadState::kFull;
  if (text == "unknown" || text.empty()) return LoadState::kUnknown;
  throw InputError("detection", "", "unknown load state '" + text + "'");
}

}  // namespace bw
