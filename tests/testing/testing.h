// Small helpers shared by the tests: temporary folders, the real-data folder, and running
// the real CLI as a subprocess.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace bw::testing {

// A fresh folder under the system temp dir, removed with its contents on destruction
// (kept when BW_KEEP_TEMP is set, for debugging).
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "bwtest");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// ../shared/data/real (from BW_REAL_DATA_DIR); empty path when the folder is absent.
std::filesystem::path RealDataDir();

// Use at the top of a `real` test: GTEST_SKIP()s with a message when the data is absent.
#define BW_REQUIRE_REAL_DATA(dir_var)                                                        \
  const std::filesystem::path dir_var = ::bw::testing::RealDataDir();                        \
  if (dir_var.empty()) {                                                                     \
    GTEST_SKIP() << "real data folder absent (set BW_REAL_DATA_DIR to ../shared/data/real)"; \
  }

struct CommandResult {
  int exit_code = -1;  // -1 when killed by a signal
  int signal = 0;
  std::string out;
  std::string err;
};

// Path of the berthwatch executable (BW_CLI, set by CTest).
std::string CliPath();

// Runs `berthwatch args...` without a shell; captures stdout and stderr.
CommandResult RunCli(const std::vector<std::string>& args);
// Runs any program (argv[0] looked up in PATH).
CommandResult RunProgram(const std::vector<std::string>& argv);

}  // namespace bw::testing
