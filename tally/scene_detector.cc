// The production detector behind scan (kept apart so that tests of the store and the scan
// loop link without the detector).
#include "detection/detector.h"
#include "tally/scan.h"

namespace bw {

SceneDetector MakeSceneDetector(const Terminal& terminal, const Fleet* fleet) {
  DetectOptions options;
  options.threads = 1;  // scan parallelises over scenes
  options.Check();
  return [&terminal, fleet, options](const std::string& path) {
    return DetectScene(path, &terminal, fleet, options);
  };
}

}  // namespace bw
