// End-to-end benchmark (issue 6). Measures, in one run, on the same files and with the same
// thread count:
//   (a) the floor: decoding every block of every band of the wide scene with GDAL alone
//       (one dataset per thread, small block cache);
//   (b) `berthwatch detect --wide` on that scene, with recall/precision against its truth;
//   (c) berth-mode `scan` of the `default` scenario against reading just the berth windows
//       of those scenes through geo.
// and prints wall time, CPU time, peak RSS, Mpx/s and the ratios b/a and c/window-read.
// Scenes are rendered once with `berthwatch simulate` into --work and re-used.
#include <gdal_priv.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "geo/scene.h"
#include "geo/terminal.h"
#include "geo/window.h"

namespace fs = std::filesystem;

namespace {

struct Measure {
  double wall_s = 0;
  double cpu_s = 0;
  double peak_rss_mib = 0;
  int exit_code = 0;
};

double Seconds(const timeval& tv) { return tv.tv_sec + tv.tv_usec * 1e-6; }

// Runs argv as a child process; wall, CPU (user+sys) and peak RSS of the child.
Measure RunChild(const std::vector<std::string>& argv, bool quiet = true) {
  const auto t0 = std::chrono::steady_clock::now();
  pid_t pid = fork();
  if (pid == 0) {
    if (quiet) {
      FILE* devnull = std::fopen("/dev/null", "w");
      if (devnull != nullptr) dup2(fileno(devnull), 1);
    }
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  rusage ru{};
  wait4(pid, &status, 0, &ru);
  Measure m;
  m.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  m.cpu_s = Seconds(ru.ru_utime) + Seconds(ru.ru_stime);
  m.peak_rss_mib = ru.ru_maxrss / 1024.0;
  m.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return m;
}

// Wall and CPU of a function run in this process (CPU of the whole process).
Measure RunInProcess(const std::function<void()>& fn) {
  rusage r0{}, r1{};
  getrusage(RUSAGE_SELF, &r0);
  const auto t0 = std::chrono::steady_clock::now();
  fn();
  Measure m;
  m.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  getrusage(RUSAGE_SELF, &r1);
  m.cpu_s =
      Seconds(r1.ru_utime) + Seconds(r1.ru_stime) - Seconds(r0.ru_utime) - Seconds(r0.ru_stime);
  m.peak_rss_mib = r1.ru_maxrss / 1024.0;
  return m;
}

// The floor: every block of every band decoded by GDAL, blocks dealt round-robin to
// `threads` workers, each with its own dataset handle.
long long DecodeAllBlocks(const std::string& path, int threads) {
  std::atomic<long long> pixels{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      GDALDataset* ds = GDALDataset::FromHandle(GDALOpen(path.c_str(), GA_ReadOnly));
      if (ds == nullptr) return;
      GDALRasterBand* b1 = ds->GetRasterBand(1);
      int bw = 0, bh = 0;
      b1->GetBlockSize(&bw, &bh);
      const int nx = (ds->GetRasterXSize() + bw - 1) / bw;
      const int ny = (ds->GetRasterYSize() + bh - 1) / bh;
      std::vector<unsigned char> buf(static_cast<size_t>(bw) * bh * 8);
      long long local = 0;
      for (int k = t; k < nx * ny; k += threads) {
        for (int b = 1; b <= ds->GetRasterCount(); ++b) {
          if (ds->GetRasterBand(b)->ReadBlock(k % nx, k / nx, buf.data()) != CE_None) {
            std::fprintf(stderr, "bench: block read failed in %s\n", path.c_str());
          }
        }
        local += static_cast<long long>(bw) * bh;
      }
      pixels += local;
      GDALClose(ds);
    });
  }
  for (auto& th : pool) th.join();
  return pixels.load();
}

// Reads the berth windows of every scene (what berth-mode scan must read at least).
long long ReadBerthWindows(const std::vector<std::string>& scenes, const bw::Terminal& terminal,
                           int threads) {
  std::atomic<size_t> next{0};
  std::atomic<long long> pixels{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (size_t i = next++; i < scenes.size(); i = next++) {
        try {
          bw::Scene scene = bw::Scene::Open(scenes[i]);
          for (const auto& w : bw::ComputeBerthWindows(scene, terminal)) {
            if (w.window.empty()) continue;
            bw::WindowPixels px = scene.ReadWindow(w.window);
            pixels += w.window.area();
          }
        } catch (const std::exception& e) {
          std::fprintf(stderr, "bench: %s\n", e.what());
        }
      }
    });
  }
  for (auto& th : pool) th.join();
  return pixels.load();
}

std::vector<std::string> ListTiffs(const fs::path& dir) {
  std::vector<std::string> out;
  if (!fs::is_directory(dir)) return out;
  for (const auto& e : fs::directory_iterator(dir)) {
    const auto ext = e.path().extension().string();
    if (ext == ".tif" || ext == ".tiff") out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Finds a numeric field anywhere in a JSON document (first match, depth-first).
std::optional<double> FindNumber(const nlohmann::json& j, const std::string& key) {
  if (j.is_object()) {
    auto it = j.find(key);
    if (it != j.end() && it->is_number()) return it->get<double>();
    for (const auto& [k, v] : j.items()) {
      if (auto r = FindNumber(v, key)) return r;
    }
  } else if (j.is_array()) {
    for (const auto& v : j) {
      if (auto r = FindNumber(v, key)) return r;
    }
  }
  return std::nullopt;
}

void PrintRow(const char* what, const Measure& m, double mpx) {
  std::printf("%-34s %9.2f %9.2f %10.0f %9.1f\n", what, m.wall_s, m.cpu_s, m.peak_rss_mib,
              m.wall_s > 0 ? mpx / m.wall_s : 0.0);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"berthwatch end-to-end benchmark"};
  std::string cli = "build/bench/app/berthwatch";
  std::string work = "data/bench";
  int threads = 2;
  bool skip_wide = false, skip_berth = false, skip_render = false;
  std::string wide_scenario = "wide";
  app.add_option("--cli", cli, "berthwatch executable");
  app.add_option("--work", work, "folder for the rendered scenes (cached)");
  app.add_option("--threads", threads, "threads for every measurement");
  app.add_option("--wide-scenario", wide_scenario, "scenario name or file for the wide scene");
  app.add_flag("--skip-wide", skip_wide, "skip the wide-area measurements");
  app.add_flag("--skip-berth", skip_berth, "skip the berth-mode measurements");
  app.add_flag("--skip-render", skip_render,
               "skip timing a fresh render of `default` (scenes/s, peak RSS)");
  CLI11_PARSE(app, argc, argv);

  CPLSetConfigOption("GDAL_CACHEMAX", "64");
  GDALAllRegister();
  std::printf("berthwatch e2e benchmark, %d threads, %u hardware threads\n", threads,
              std::thread::hardware_concurrency());
  std::printf("%-34s %9s %9s %10s %9s\n", "measurement", "wall_s", "cpu_s", "peakRSS_MiB", "Mpx/s");
  int status = 0;
  const std::string threads_s = std::to_string(threads);

  if (!skip_wide) {
    const fs::path dir = fs::path(work) / "wide";
    Measure sim = RunChild({cli, "simulate", "--scenario", wide_scenario, "--out", dir.string(),
                            "--threads", threads_s},
                           false);
    auto tiffs = ListTiffs(dir / "scenes");
    if (sim.exit_code != 0 || tiffs.empty()) {
      std::fprintf(stderr, "bench: could not render the wide scenario into %s\n", dir.c_str());
      return 2;
    }
    const std::string scene = tiffs.front();
    GDALDataset* ds = GDALDataset::FromHandle(GDALOpen(scene.c_str(), GA_ReadOnly));
    const double mpx = ds->GetRasterXSize() * 1e-6 * ds->GetRasterYSize();
    std::printf("wide scene: %s, %d x %d px, %d bands (%.0f Mpx)\n", scene.c_str(),
                ds->GetRasterXSize(), ds->GetRasterYSize(), ds->GetRasterCount(), mpx);
    GDALClose(ds);

    Measure floor = RunInProcess([&] { DecodeAllBlocks(scene, threads); });
    PrintRow("(a) floor: GDAL decode all blocks", floor, mpx);
    const std::string det = (dir / "detections.geojson").string();
    Measure detect =
        RunChild({cli, "detect", scene, "--wide", "--threads", threads_s, "--out", det});
    PrintRow("(b) detect --wide", detect, mpx);
    if (detect.exit_code != 0) status = 1;
    std::printf("ratio b/a = %.2f (target <= 1.3)\n", detect.wall_s / floor.wall_s);
    const std::string eval = (dir / "evaluation.json").string();
    // Every vessel on the water counts in wide mode, not only those at berths.
    RunChild({cli, "evaluate", "--all-objects", "--truth", (dir / "truth.json").string(), det,
              "--json", eval});
    std::ifstream in(eval);
    if (in) {
      nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
      std::printf("wide detection: recall %.3f precision %.3f (targets >= 0.90, >= 0.95)\n",
                  FindNumber(j, "recall").value_or(-1), FindNumber(j, "precision").value_or(-1));
    }
  }

  if (!skip_berth) {
    const fs::path dir = fs::path(work) / "default";
    Measure sim = RunChild(
        {cli, "simulate", "--scenario", "default", "--out", dir.string(), "--threads", threads_s},
        false);
    auto tiffs = ListTiffs(dir / "scenes");
    if (sim.exit_code != 0 || tiffs.empty()) {
      std::fprintf(stderr, "bench: could not render default into %s\n", dir.c_str());
      return 2;
    }
    bw::Terminal terminal = bw::LoadTerminal((dir / "terminal.geojson").string());
    long long px = 0;
    Measure windows = RunInProcess([&] { px = ReadBerthWindows(tiffs, terminal, threads); });
    PrintRow("(c0) read berth windows", windows, px * 1e-6);
    const fs::path db = dir / "bench_scan.gpkg";
    fs::remove(db);
    Measure scan = RunChild({cli, "scan", (dir / "scenes").string(), "--terminal",
                             (dir / "terminal.geojson").string(), "--db", db.string(), "--threads",
                             threads_s});
    PrintRow("(c) scan (berth mode)", scan, px * 1e-6);
    if (scan.exit_code != 0) status = 1;
    std::printf("%zu scenes; ratio c/c0 = %.2f (target <= 2)\n", tiffs.size(),
                scan.wall_s / windows.wall_s);
  }
  if (!skip_render) {
    // Renderer throughput (issue 3): a fresh render of `default`, scenes/s and peak RSS.
    const fs::path dir = fs::path(work) / "render_default";
    Measure sim = RunChild({cli, "simulate", "--scenario", "default", "--out", dir.string(),
                            "--threads", threads_s, "--force"});
    const size_t n = ListTiffs(dir / "scenes").size();
    PrintRow("(r) simulate default (fresh)", sim, 0.0);
    std::printf("render: %zu scenes, %.2f scenes/s, peak RSS %.0f MiB\n", n,
                sim.wall_s > 0 ? n / sim.wall_s : 0.0, sim.peak_rss_mib);
    if (sim.exit_code != 0) status = 1;
  }
  return status;
}
