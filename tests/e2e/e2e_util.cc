#include "tests/e2e/e2e_util.h"

#include <gdal_priv.h>
#include <gtest/gtest.h>
#include <ogrsf_frmts.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "tests/testing/testing.h"

namespace bw::testing {

namespace {
// tests/CMakeLists.txt passes BW_CLI through gtest_discover_tests PROPERTIES, where the list
// separator mangles it (a trailing "]==])"). Fall back to the path CMake baked in here.
[[maybe_unused]] const bool kCliFixed = [] {
  const char* env = std::getenv("BW_CLI");
  std::error_code ec;
  if (env == nullptr || !std::filesystem::exists(env, ec)) setenv("BW_CLI", BW_E2E_CLI, 1);
  return true;
}();
}  // namespace

void SimulateSmoke(const std::string& dir, const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"simulate", "--scenario", "smoke", "--out",
                                   dir,        "--threads",  "2"};
  args.insert(args.end(), extra.begin(), extra.end());
  const CommandResult r = RunCli(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

std::vector<std::string> TableRows(const std::string& gpkg, const std::string& layer_name,
                                   const std::vector<std::string>& ignore) {
  GDALAllRegister();
  std::vector<std::string> rows;
  GDALDataset* ds =
      GDALDataset::Open(gpkg.c_str(), GDAL_OF_VECTOR | GDAL_OF_UPDATE, nullptr, nullptr, nullptr);
  if (ds == nullptr) return rows;
  OGRLayer* layer = ds->GetLayerByName(layer_name.c_str());
  if (layer != nullptr) {
    OGRFeatureDefn* def = layer->GetLayerDefn();
    layer->ResetReading();
    while (OGRFeature* f = layer->GetNextFeature()) {
      std::string row;
      for (int i = 0; i < def->GetFieldCount(); ++i) {
        const std::string name = def->GetFieldDefn(i)->GetNameRef();
        if (std::find(ignore.begin(), ignore.end(), name) != ignore.end()) continue;
        row += name + "=" + (f->IsFieldSetAndNotNull(i) ? f->GetFieldAsString(i) : "NULL") + "|";
      }
      if (const OGRGeometry* g = f->GetGeometryRef()) row += "geom=" + g->exportToWkt();
      rows.push_back(row);
      OGRFeature::DestroyFeature(f);
    }
  }
  GDALClose(ds);
  std::sort(rows.begin(), rows.end());
  return rows;
}

std::string IntegrityCheck(const std::string& gpkg) {
  GDALAllRegister();
  GDALDataset* ds =
      GDALDataset::Open(gpkg.c_str(), GDAL_OF_VECTOR | GDAL_OF_UPDATE, nullptr, nullptr, nullptr);
  if (ds == nullptr) return "cannot open";
  std::string out = "no answer";
  if (OGRLayer* r = ds->ExecuteSQL("PRAGMA integrity_check", nullptr, nullptr)) {
    if (OGRFeature* f = r->GetNextFeature()) {
      out = f->GetFieldAsString(0);
      OGRFeature::DestroyFeature(f);
    }
    ds->ReleaseResultSet(r);
  }
  GDALClose(ds);
  return out;
}

}  // namespace bw::testing
