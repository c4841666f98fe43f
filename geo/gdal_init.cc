// GDAL driver registration and error routing (declared in geo/scene.h).
#include <cpl_conv.h>
#include <cpl_error.h>
#include <gdal.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <mutex>

#include "geo/scene.h"

namespace bw {
namespace {

// GDAL reports everything through this handler. Failures are turned into exceptions by the
// caller (which reads CPLGetLastErrorMsg), so they are logged at debug level only: the CLI
// prints the exception as its one line.
void CPL_STDCALL RouteGdalError(CPLErr level, CPLErrorNum number, const char* message) {
  switch (level) {
    case CE_None:
    case CE_Debug:
      spdlog::trace("gdal: {}", message != nullptr ? message : "");
      break;
    case CE_Warning:
      spdlog::debug("gdal warning: {}", message != nullptr ? message : "");
      break;
    default:
      spdlog::debug("gdal error {}: {}", static_cast<int>(number),
                    message != nullptr ? message : "");
      break;
  }
}

}  // namespace

void InitializeGdal() {
  static std::once_flag once;
  std::call_once(once, [] {
    GDALAllRegister();
    CPLSetErrorHandler(RouteGdalError);
  });
}

void SetDefaultGdalCacheMiB(int mib) {
  InitializeGdal();
  if (CPLGetConfigOption("GDAL_CACHEMAX", nullptr) != nullptr) return;
  GDALSetCacheMax64(static_cast<GIntBig>(std::max(mib, 1)) * 1024 * 1024);
}

}  // namespace bw
