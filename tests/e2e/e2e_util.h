// Helpers of the end-to-end tests: rendering a small scenario through the CLI and reading a
// GeoPackage's tables back as comparable rows.
#pragma once

#include <string>
#include <vector>

namespace bw::testing {

// `berthwatch simulate --scenario smoke --out dir [extra...]`; fails the test on error.
void SimulateSmoke(const std::string& dir, const std::vector<std::string>& extra = {});

// Every row of `layer` as "field=value|...|geom=WKT", without the fid and the fields named in
// `ignore`, sorted. Empty when the layer is absent.
std::vector<std::string> TableRows(const std::string& gpkg, const std::string& layer,
                                   const std::vector<std::string>& ignore);

// PRAGMA integrity_check of a GeoPackage opened for update ("ok" when sound).
std::string IntegrityCheck(const std::string& gpkg);

}  // namespace bw::testing
