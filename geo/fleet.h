// Fleet registry CSV: header name,length_m,beam_m,depth_m,ballast_draft_m,laden_draft_m
// (extra columns allowed, any order).
#pragma once

#include <string>
#include <vector>

namespace bw {

struct FleetVessel {
  std::string name;
  double length_m = 0.0;
  double beam_m = 0.0;
  double depth_m = 0.0;          // moulded depth: keel to deck edge
  double ballast_draft_m = 0.0;  // empty
  double laden_draft_m = 0.0;    // full
};

struct Fleet {
  std::string path;
  std::vector<FleetVessel> vessels;
};

// Throws InputError naming the file and line: missing columns, non-numeric or
// non-positive values, ballast >= laden draft, draft >= depth, duplicate names.
Fleet LoadFleet(const std::string& path);
void WriteFleet(const std::string& path, const Fleet& fleet);

}  // namespace bw
