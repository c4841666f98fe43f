// Defaults for BW_CLI and BW_REAL_DATA_DIR when CTest did not set them (e.g. running a test
// binary by hand), from compile definitions made in tests/geo/CMakeLists.txt.
#pragma once

#include <cstdlib>

namespace bw::testing {

inline const bool kGeoTestEnvironment = [] {
#ifdef BW_DEFAULT_CLI
  setenv("BW_CLI", BW_DEFAULT_CLI, /*overwrite=*/0);
#endif
#ifdef BW_DEFAULT_REAL_DATA_DIR
  setenv("BW_REAL_DATA_DIR", BW_DEFAULT_REAL_DATA_DIR, /*overwrite=*/0);
#endif
  return true;
}();

}  // namespace bw::testing
