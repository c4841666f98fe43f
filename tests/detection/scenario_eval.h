// Renders a scenario with the real CLI, detects every scene with the library (berth mode with
// the scenario's terminal, or wide), scores against the truth and prints the table: the
// helper the detection accuracy tests share.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "detection/detector.h"
#include "detection/evaluate.h"
#include "geo/error.h"
#include "geo/fleet.h"
#include "geo/terminal.h"
#include "tests/testing/testing.h"

namespace bw::testing {

// `sets`: the scenario's --set overrides. Wide: every water vessel is scored
// (EvaluateOptions::only_at_berths off).
inline Evaluation RunScenario(const std::string& scenario, unsigned long long seed,
                              const std::vector<std::string>& sets, bool wide = false) {
  namespace fs = std::filesystem;
  TempDir dir("bw-det-acc");
  std::vector<std::string> args = {"simulate",           "--scenario", scenario,           "--seed",
                                   std::to_string(seed), "--out",      dir.path().string()};
  for (const auto& s : sets) {
    args.push_back("--set");
    args.push_back(s);
  }
  const auto r = RunCli(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const Terminal terminal = LoadTerminal(dir.file("terminal.geojson"));
  const Fleet fleet = LoadFleet(dir.file("fleet.csv"));
  DetectOptions options;
  options.wide = wide;
  std::vector<Detection> dets;
  std::vector<std::string> ids;
  std::map<std::string, double> sun;
  for (const auto& e : fs::directory_iterator(dir.path() / "scenes")) {
    if (e.path().extension() != ".tif") continue;
    ids.push_back(e.path().stem().string());
    try {
      // Wide as the benchmark runs it: no terminal, all water searched.
      SceneDetections sd =
          DetectScene(e.path().string(), wide ? nullptr : &terminal, &fleet, options);
      sun[sd.scene_id] = sd.sun_azimuth_deg;
      for (auto& d : sd.detections) dets.push_back(std::move(d));
    } catch (const NoDataError&) {
      // fully clouded / no berth: no detections, scored as such
    }
  }
  EvaluateOptions eo;
  eo.only_at_berths = !wide;
  const Evaluation ev = Evaluate(ReadTruthJson(dir.file("truth.json")), dets, ids, sun, eo);
  std::printf("== %s seed %llu%s ==\n%s", scenario.c_str(), seed, wide ? " (wide)" : "",
              EvaluationToText(ev).c_str());
  return ev;
}

// Bounds on detection and hull geometry; NaN leaves a bound out.
struct DetectionBounds {
  double min_recall = kNaN, min_precision = kNaN;
  double max_median_length_error = kNaN;  // fraction of the length
  double max_median_heading_deg = kNaN;
  double min_bow_right = kNaN;
};

inline void ExpectWithin(const Evaluation& e, const DetectionBounds& b) {
  if (std::isfinite(b.min_recall)) {
    EXPECT_GE(e.recall, b.min_recall);
  }
  if (std::isfinite(b.min_precision)) {
    EXPECT_GE(e.precision, b.min_precision);
  }
  if (std::isfinite(b.max_median_length_error)) {
    EXPECT_LE(e.median_length_error_frac, b.max_median_length_error);
  }
  if (std::isfinite(b.max_median_heading_deg)) {
    EXPECT_LE(e.median_heading_error_deg, b.max_median_heading_deg);
  }
  if (std::isfinite(b.min_bow_right)) {
    EXPECT_GE(e.bow_right_fraction, b.min_bow_right);
  }
}

}  // namespace bw::testing
