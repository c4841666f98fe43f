// Accuracy of the whole chain on rendered scenarios (label `accuracy`, Release only):
// `default` and two more seeds. Prints the numbers and asserts the must-reach:
// visits counted between the visits truth marks as imaged (a view with the hull at most 10 %
// under cloud) and those it saw at all (a view where truth calls the hull visible: under a
// quarter of it under cloud); distinct vessels likewise; empty->full within +-1 of that range;
// identity purity >= 0.95; the true claim consistent with its 90 % interval holding the true visit
// count; "visits=20" inconsistent. Then the same store without its fleet registry: printed, with a
// floor.
//
// Data: $BW_ACCURACY_DATA (comma-separated rendered folders) when set, else rendered into
// $BW_ACCURACY_CACHE or <build>/accuracy_data (simulate skips a folder already rendered).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "tests/e2e/e2e_util.h"
#include "tests/testing/testing.h"

namespace bw {
namespace {

namespace fs = std::filesystem;
using testing::RunCli;

std::string Slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<fs::path> Datasets() {
  std::vector<fs::path> out;
  if (const char* env = std::getenv("BW_ACCURACY_DATA")) {
    std::stringstream ss(env);
    std::string p;
    while (std::getline(ss, p, ',')) out.emplace_back(p);
    return out;
  }
  const char* cache = std::getenv("BW_ACCURACY_CACHE");
  const fs::path root = cache ? fs::path(cache) : fs::current_path() / "accuracy_data";
  const std::vector<std::pair<std::string, std::vector<std::string>>> runs = {
      {"default", {}}, {"default_seed2", {"--seed", "2"}}, {"default_seed3", {"--seed", "3"}}};
  for (const auto& [name, extra] : runs) {
    std::vector<std::string> args = {"simulate", "--scenario", "default", "--out",
                                     (root / name).string()};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto r = RunCli(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    out.push_back(root / name);
  }
  return out;
}

TEST(Accuracy, MustReachOnRenderedScenarios) {
  for (const fs::path& data : Datasets()) {
    const nlohmann::json truth = nlohmann::json::parse(Slurp(data / "truth.json"));
    // Truth's "imaged" needs a view with the hull at most 10 % under cloud; a hull a little
    // more clouded (truth still calls it visible: under 25 %) may be found and is a real
    // visit. So the counts are checked against a range: imaged .. seen.
    std::set<int> seen_visits;
    for (const auto& s : truth["scenes"]) {
      for (const auto& o : s["objects"]) {
        if (o.contains("visit") && o.value("berth_covered", false) && o.value("visible", false))
          seen_visits.insert(o["visit"].get<int>());
      }
    }
    int true_visits = 0, imaged = 0, e2f_truth = 0, seen = 0, e2f_seen_truth = 0;
    std::set<std::string> vessels_imaged, vessels_seen, vessels_all;
    for (const auto& v : truth["visits"]) {
      const int index = true_visits++;
      vessels_all.insert(v["vessel"].get<std::string>());
      const bool e2f_visit = v["arrival_state"] == "empty" && v["departure_state"] == "full";
      if (v.value("imaged", false) || seen_visits.count(index) > 0) {
        ++seen;
        vessels_seen.insert(v["vessel"].get<std::string>());
        e2f_seen_truth += e2f_visit ? 1 : 0;
      }
      if (!v.value("imaged", false)) continue;
      ++imaged;
      vessels_imaged.insert(v["vessel"].get<std::string>());
      e2f_truth += e2f_visit ? 1 : 0;
    }
    const fs::path out = fs::temp_directory_path() / ("bw_accuracy_" + data.filename().string());
    fs::remove_all(out);
    const std::string claim =
        "visits=" + std::to_string(true_visits) + ",vessels=" + std::to_string(vessels_all.size());
    const auto run =
        RunCli({"run", data.string(), "--terminal", (data / "terminal.geojson").string(), "--fleet",
                (data / "fleet.csv").string(), "--out", out.string(), "--claim", claim});
    ASSERT_NE(run.exit_code, 2) << run.err;
    const nlohmann::json summary = nlohmann::json::parse(Slurp(out / "summary.json"));
    const int visits = summary["visits"].get<int>();
    const int vessels = summary["distinct_vessels"].get<int>();
    const int e2f = summary["transitions"].value("empty->full", 0);
    const int e2f_seen = summary["transitions_seen"].value("empty->full", 0);
    const int e2f_allowed = summary["transitions_allowed"].value("empty->full", 0);
    const auto e2f_interval = summary["transitions_estimate"]["empty->full"]["interval_90"];
    const auto interval = summary["visits_estimated_total"]["interval_90"];

    // Identity purity: detections matched to truth objects (same scene, nearest hull centre).
    std::map<std::string, std::vector<nlohmann::json>> objects;
    for (const auto& s : truth["scenes"]) {
      for (const auto& o : s["objects"]) objects[s["scene_id"].get<std::string>()].push_back(o);
    }
    const auto purity_of = [&](const std::string& db, int* matched_out) {
      std::map<std::string, std::map<std::string, int>> confusion;  // vessel_id -> truth -> n
      int matched = 0;
      for (const std::string& row : testing::TableRows(db, "detections", {})) {
        auto field = [&](const std::string& name) {
          const size_t a = row.find(name + "=");
          if (a == std::string::npos) return std::string();
          const size_t b = row.find('|', a);
          return row.substr(a + name.size() + 1, b - a - name.size() - 1);
        };
        const std::string vid = field("vessel_id");
        if (vid.empty() || vid == "NULL") continue;
        const double lon = std::stod(field("center_lon")), lat = std::stod(field("center_lat"));
        double best = 1e18;
        std::string who;
        for (const auto& o : objects[field("scene_id")]) {
          const double dx = (o["lon"].get<double>() - lon) * 111320 * std::cos(lat * M_PI / 180);
          const double dy = (o["lat"].get<double>() - lat) * 111320;
          const double d = std::hypot(dx, dy);
          if (d < best && d < 0.5 * o["length_m"].get<double>()) {
            best = d;
            who = o["vessel"].get<std::string>();
          }
        }
        if (who.empty()) continue;
        ++confusion[vid][who];
        ++matched;
      }
      int pure = 0;
      for (const auto& [vid, row] : confusion) {
        int m = 0;
        for (const auto& [who, n] : row) m = std::max(m, n);
        pure += m;
      }
      *matched_out = matched;
      return matched > 0 ? static_cast<double>(pure) / matched : 0.0;
    };
    const std::string db = (out / "berthwatch.gpkg").string();
    int matched = 0;
    const double purity = purity_of(db, &matched);
    const auto twenty = RunCli({"check", "--db", db, "--claim", "visits=20"});

    std::printf(
        "accuracy %s: visits %d (truth imaged %d, seen %d, total %d); vessels %d (truth imaged "
        "%zu, seen %zu); empty->full %d (90%% %d-%d; seen at both ends %d, allowed by %d; truth "
        "%d, seen %d); purity %.3f over %d detections; true claim '%s' -> %s, 90%% interval "
        "%d-%d; 'visits=20' -> exit %d\n",
        data.filename().c_str(), visits, imaged, seen, true_visits, vessels, vessels_imaged.size(),
        vessels_seen.size(), e2f, e2f_interval[0].get<int>(), e2f_interval[1].get<int>(), e2f_seen,
        e2f_allowed, e2f_truth, e2f_seen_truth, purity, matched, claim.c_str(),
        run.exit_code == 0 ? "consistent" : "NOT", interval[0].get<int>(), interval[1].get<int>(),
        twenty.exit_code);
    EXPECT_GE(visits, imaged) << data;
    EXPECT_LE(visits, seen) << data;
    EXPECT_GE(vessels, static_cast<int>(vessels_imaged.size())) << data;
    EXPECT_LE(vessels, static_cast<int>(vessels_seen.size())) << data;
    EXPECT_GE(e2f, e2f_truth - 1) << data;
    EXPECT_LE(e2f, e2f_seen_truth + 1) << data;
    EXPECT_LE(e2f_interval[0].get<int>(), e2f_seen_truth) << data;
    EXPECT_GE(e2f_interval[1].get<int>() + std::max(0, imaged - visits), e2f_truth) << data;
    // Never more seen than there were, and the visits that allow it cover the truth (less
    // the imaged visits not counted, which the check's estimate of missed visits covers).
    EXPECT_LE(e2f_seen, e2f_seen_truth) << data;
    EXPECT_GE(e2f_allowed + std::max(0, imaged - visits), e2f_truth) << data;
    EXPECT_GE(purity, 0.95) << data;
    EXPECT_EQ(run.exit_code, 0) << run.out;
    EXPECT_LE(interval[0].get<int>(), true_visits);
    EXPECT_GE(interval[1].get<int>(), true_visits);
    EXPECT_EQ(twenty.exit_code, 1) << twenty.out;

    // The same store tallied without the registry (the contract makes --fleet optional):
    // weaker identity, so only a floor (seeds 1/2/3/7 on 2026-12-06: purity 0.964 / 0.907 /
    // 0.968 / 0.809, visits 33/33, 31/31, 36/34, 32/32).
    const fs::path bare = out / "no_registry";
    fs::create_directories(bare);
    const std::string bare_db = (bare / "berthwatch.gpkg").string();
    fs::copy_file(db, bare_db, fs::copy_options::overwrite_existing);
    ASSERT_EQ(
        testing::RunProgram({"ogrinfo", "-q", bare_db, "-sql", "DELETE FROM fleet"}).exit_code, 0);
    const auto bare_tally =
        RunCli({"tally", "--db", bare_db, "--summary", (bare / "summary.json").string()});
    ASSERT_EQ(bare_tally.exit_code, 0) << bare_tally.err;
    const nlohmann::json bare_summary = nlohmann::json::parse(Slurp(bare / "summary.json"));
    int bare_matched = 0;
    const double bare_purity = purity_of(bare_db, &bare_matched);
    const int bare_visits = bare_summary["visits"].get<int>();
    std::printf(
        "accuracy %s without a registry: visits %d (truth imaged %d); vessels %d (truth "
        "imaged %zu); purity %.3f over %d detections\n",
        data.filename().c_str(), bare_visits, imaged, bare_summary["distinct_vessels"].get<int>(),
        vessels_imaged.size(), bare_purity, bare_matched);
    EXPECT_GE(bare_visits, imaged - 2) << data;
    EXPECT_LE(bare_visits, seen + 2) << data;
    EXPECT_GE(bare_purity, 0.8) << data;
  }
}

}  // namespace
}  // namespace bw
