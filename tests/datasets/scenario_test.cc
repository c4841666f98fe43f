#include "datasets/scenario.h"

#include <gtest/gtest.h>

#include <fstream>

#include "geo/error.h"
#include "tests/testing/testing.h"

namespace bw::datasets {
namespace {

TEST(Scenario, BuiltinsLoadAndCheck) {
  for (const std::string& name : BuiltinScenarioNames()) {
    const Scenario s = LoadScenario(name);
    EXPECT_EQ(s.name, name);
    EXPECT_NO_THROW(s.Check());
  }
  const Scenario d = LoadScenario("default");
  EXPECT_EQ(d.fleet.count, 14);
  EXPECT_EQ(d.schedule.visit_count, 43);
  EXPECT_DOUBLE_EQ(d.acquisition.gsd_m, 0.5);
  EXPECT_EQ(d.acquisition.start, "2024-03-07");
  EXPECT_EQ(d.acquisition.end, "2024-11-05");
  EXPECT_DOUBLE_EQ(LoadScenario("planetscope").acquisition.gsd_m, 3.0);
  EXPECT_EQ(LoadScenario("wide").wide.width_px, 12000);
}

TEST(Scenario, OverridesApplyDottedKeys) {
  const Scenario s = LoadScenario("default", {{"fleet.count", "5"},
                                              {"acquisition.gsd_m", "1.5"},
                                              {"terminal.name", "X"},
                                              {"seed", "99"},
                                              {"render.noise", "false"}});
  EXPECT_EQ(s.fleet.count, 5);
  EXPECT_DOUBLE_EQ(s.acquisition.gsd_m, 1.5);
  EXPECT_EQ(s.terminal.name, "X");
  EXPECT_EQ(s.seed, 99u);
  EXPECT_FALSE(s.render.noise);
}

TEST(Scenario, RejectsUnknownKeysAndBadValues) {
  EXPECT_THROW(LoadScenario("default", {{"fleet.cuont", "5"}}), InputError);
  EXPECT_THROW(LoadScenario("default", {{"acquisition.gsd_m", "-1"}}), InputError);
  EXPECT_THROW(LoadScenario("default", {{"terminal.berth_count", "9"}}), InputError);
  EXPECT_THROW(LoadScenario("default", {{"fleet.count", "\"many\""}}), InputError);
  EXPECT_THROW(LoadScenario("no_such_scenario"), InputError);
}

TEST(Scenario, FileStartsFromBaseAndNamesFromStem) {
  testing::TempDir dir;
  const std::string path = dir.file("myport.json");
  std::ofstream(path) << R"({"base": "smoke", "fleet": {"count": 2},
    "terminal": {"lon_deg": 4.05, "lat_deg": 51.95},
    "schedule": {"visits": [{"vessel": "A", "berth": "B1", "arrive": "2024-06-01T00:00:00Z",
                             "depart": "2024-06-02T00:00:00Z"}]}})";
  const Scenario s = LoadScenario(path);
  EXPECT_EQ(s.name, "myport");
  EXPECT_EQ(s.fleet.count, 2);
  EXPECT_EQ(s.schedule.visit_count, 4);  // from smoke
  ASSERT_EQ(s.schedule.visits.size(), 1u);
  EXPECT_EQ(s.schedule.visits[0].arrival_state, "empty");
  std::ofstream(dir.file("bad.json")) << R"({"fleet": {"count": 2}, "colour": 1})";
  EXPECT_THROW(LoadScenario(dir.file("bad.json")), InputError);
  std::ofstream(dir.file("broken.json")) << "{";
  EXPECT_THROW(LoadScenario(dir.file("broken.json")), InputError);
}

}  // namespace
}  // namespace bw::datasets
