#include "geo/fleet.h"

#include <array>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "geo/error.h"

namespace bw {

namespace {

constexpr const char* kStage = "geo.fleet";
constexpr std::array<const char*, 6> kColumns = {"name",    "length_m",        "beam_m",
                                                 "depth_m", "ballast_draft_m", "laden_draft_m"};

// Splits one CSV line (RFC 4180 quotes, no embedded newlines).
bool SplitCsv(const std::string& line, std::vector<std::string>& out) {
  out.clear();
  std::string field;
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < line.size() && line[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.push_back(field);
      field.clear();
    } else {
      field += c;
    }
  }
  out.push_back(field);
  return !quoted;
}

std::string Trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  const size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

std::string FormatNumber(double v) {
  std::ostringstream os;
  os.precision(10);
  os << v;
  return os.str();
}

}  // namespace

Fleet LoadFleet(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError(kStage, path, "cannot open the file");
  Fleet fleet;
  fleet.path = path;
  std::string line;
  int line_no = 0;
  std::vector<std::string> fields;
  std::map<std::string, int> column;  // name -> field index
  size_t header_size = 0;
  bool have_header = false;
  std::set<std::string> names;
  while (std::getline(in, line)) {
    ++line_no;
    if (line_no == 1 && line.size() >= 3 && line.compare(0, 3, "\xEF\xBB\xBF") == 0) {
      line.erase(0, 3);  // UTF-8 byte order mark
    }
    if (Trim(line).empty()) continue;
    const std::string where = "line " + std::to_string(line_no);
    if (!SplitCsv(line, fields)) throw InputError(kStage, path, where + ": unbalanced quote");
    for (auto& f : fields) f = Trim(f);
    if (!have_header) {
      for (size_t i = 0; i < fields.size(); ++i) column[fields[i]] = static_cast<int>(i);
      for (const char* c : kColumns) {
        if (!column.count(c)) {
          throw InputError(kStage, path, "header lacks column '" + std::string(c) + "'");
        }
      }
      header_size = fields.size();
      have_header = true;
      continue;
    }
    if (fields.size() != header_size) {
      throw InputError(kStage, path,
                       where + ": " + std::to_string(fields.size()) + " fields, header has " +
                           std::to_string(header_size));
    }
    FleetVessel v;
    v.name = fields[column["name"]];
    if (v.name.empty()) throw InputError(kStage, path, where + ": empty name");
    std::array<double*, 5> targets = {&v.length_m, &v.beam_m, &v.depth_m, &v.ballast_draft_m,
                                      &v.laden_draft_m};
    for (size_t k = 0; k < targets.size(); ++k) {
      const std::string& text = fields[column[kColumns[k + 1]]];
      char* end = nullptr;
      errno = 0;
      const double value = std::strtod(text.c_str(), &end);
      if (text.empty() || end != text.c_str() + text.size() || errno != 0 ||
          !std::isfinite(value)) {
        throw InputError(kStage, path,
                         where + ": " + kColumns[k + 1] + " '" + text + "' is not a number");
      }
      if (value <= 0.0) {
        throw InputError(kStage, path, where + ": " + kColumns[k + 1] + " must be positive");
      }
      *targets[k] = value;
    }
    if (v.ballast_draft_m >= v.laden_draft_m) {
      throw InputError(kStage, path, where + ": ballast_draft_m must be below laden_draft_m");
    }
    if (v.laden_draft_m >= v.depth_m) {
      throw InputError(kStage, path, where + ": laden_draft_m must be below depth_m");
    }
    if (v.beam_m >= v.length_m) {
      throw InputError(kStage, path, where + ": beam_m must be below length_m");
    }
    if (!names.insert(v.name).second) {
      throw InputError(kStage, path, where + ": duplicate name '" + v.name + "'");
    }
    fleet.vessels.push_back(std::move(v));
  }
  if (!have_header) throw InputError(kStage, path, "empty file");
  return fleet;
}

void WriteFleet(const std::string& path, const Fleet& fleet) {
  std::ofstream out(path, std::ios::trunc);
  if (!out) throw Error(kStage, path, "cannot write the file");
  for (size_t i = 0; i < kColumns.size(); ++i) out << (i ? "," : "") << kColumns[i];
  out << "\n";
  for (const auto& v : fleet.vessels) {
    std::string name = v.name;
    if (name.find_first_of(",\"") != std::string::npos) {
      std::string q = "\"";
      for (char c : name) q += (c == '"') ? std::string("\"\"") : std::string(1, c);
      name = q + "\"";
    }
    out << name << "," << FormatNumber(v.length_m) << "," << FormatNumber(v.beam_m) << ","
        << FormatNumber(v.depth_m) << "," << FormatNumber(v.ballast_draft_m) << ","
        << FormatNumber(v.laden_draft_m) << "\n";
  }
  if (!out) throw Error(kStage, path, "write failed");
}

}  // namespace bw
