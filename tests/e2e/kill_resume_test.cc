// Kill `scan` (SIGKILL) mid-batch, re-run it, and compare the GeoPackage with an
// uninterrupted run's, table by table, row by row (processing timestamps and fids aside).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "tests/e2e/e2e_util.h"
#include "tests/testing/testing.h"

extern char** environ;

namespace bw {
namespace {

using testing::RunCli;
using testing::TempDir;

// Starts `berthwatch args...` with output to /dev/null; returns the pid.
pid_t Spawn(const std::vector<std::string>& args) {
  std::vector<std::string> argv{testing::CliPath()};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> c;
  for (auto& a : argv) c.push_back(a.data());
  c.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, c[0], &actions, nullptr, c.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  return rc == 0 ? pid : -1;
}

TEST(KillAndResume, ResumedScanEqualsUninterruptedScan) {
  TempDir dir("bw_kill");
  const std::string data = dir.file("smoke");
  testing::SimulateSmoke(data);
  const std::vector<std::string> common = {
      "scan", data + "/scenes", "--terminal", data + "/terminal.geojson", "--threads", "1"};
  auto with_db = [&](const std::string& db) {
    std::vector<std::string> a = common;
    a.push_back("--db");
    a.push_back(db);
    return a;
  };

  const std::string reference = dir.file("reference.gpkg");
  const auto t0 = std::chrono::steady_clock::now();
  auto full = RunCli(with_db(reference));
  ASSERT_EQ(full.exit_code, 0) << full.err;
  const auto full_time = std::chrono::steady_clock::now() - t0;
  const auto ref_scenes = testing::TableRows(reference, "scenes", {"processed_at"});
  ASSERT_GE(ref_scenes.size(), 3u);

  // Kill at about half-way through the batch.
  const std::string resumed = dir.file("resumed.gpkg");
  const pid_t pid = Spawn(with_db(resumed));
  ASSERT_GT(pid, 0);
  std::this_thread::sleep_for(full_time / 2);
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "scan finished before it could be killed";

  // The killed store is a valid GeoPackage missing some scenes.
  EXPECT_EQ(testing::IntegrityCheck(resumed), "ok");
  const auto partial = testing::TableRows(resumed, "scenes", {"processed_at"});
  EXPECT_LT(partial.size(), ref_scenes.size());
  for (const auto& row : partial) {
    EXPECT_NE(std::find(ref_scenes.begin(), ref_scenes.end(), row), ref_scenes.end()) << row;
  }

  auto rerun = RunCli(with_db(resumed));
  ASSERT_EQ(rerun.exit_code, 0) << rerun.err;
  EXPECT_NE(rerun.out.find(std::to_string(partial.size()) + " already stored"), std::string::npos)
      << rerun.out;
  EXPECT_EQ(testing::TableRows(resumed, "scenes", {"processed_at"}), ref_scenes);
  EXPECT_EQ(testing::TableRows(resumed, "detections", {}),
            testing::TableRows(reference, "detections", {}));
  EXPECT_EQ(testing::TableRows(resumed, "berth_views", {}),
            testing::TableRows(reference, "berth_views", {}));
}

}  // namespace
}  // namespace bw
