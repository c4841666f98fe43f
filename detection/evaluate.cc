#include "detection/evaluate.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "geo/crs.h"
#include "geo/error.h"

namespace bw {

namespace {

using nlohmann::json;

double Num(const json& o, const char* key, double fallback = kNaN) {
  auto it = o.find(key);
  if (it == o.end() || !it->is_number()) return fallback;
  return it->get<double>();
}

double AxisDiff(double a, double b) {
  double d = std::fmod(std::fabs(a - b), 180.0);
  return std::min(d, 180.0 - d);
}

double DirDiff(double a, double b) {
  double d = std::fmod(std::fabs(a - b), 360.0);
  return std::min(d, 360.0 - d);
}

double Median(std::vector<double> v) {
  if (v.empty()) return kNaN;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double Mean(const std::vector<double>& v) {
  if (v.empty()) return kNaN;
  double s = 0;
  for (double x : v) s += x;
  return s / v.size();
}

json J(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

// Row/column of the confusion matrix: empty, partial, full, unknown.
int StateIndex(LoadState s) { return LoadRank(s) < 0 ? 3 : LoadRank(s); }

json ParseFile(const std::string& path, const char* stage) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(stage, path, "cannot open");
  try {
    return json::parse(in);
  } catch (const json::exception& e) {
    throw InputError(stage, path, std::string("not valid JSON: ") + e.what());
  }
}

// A listed case's measured side, from its detection.
void SetMeasured(EvaluationCase& c, const Detection& d) {
  c.length_m = d.length_m;
  c.freeboard_m = d.freeboard_m;
  c.freeboard_sigma_m = d.freeboard_sigma_m;
  c.state = d.load_state;
  c.confidence = d.confidence;
}

void Finish(Evaluation& e) {
  const int tp = e.true_positives;
  if (tp + e.false_positives > 0) e.precision = double(tp) / (tp + e.false_positives);
  if (tp + e.false_negatives > 0) e.recall = double(tp) / (tp + e.false_negatives);
  if (std::isfinite(e.precision) && std::isfinite(e.recall) && e.precision + e.recall > 0)
    e.f1 = 2 * e.precision * e.recall / (e.precision + e.recall);
}

// `v` with `prec` decimals, or `missing` when it is not finite.
std::string FixedOr(double v, int prec, const char* missing) {
  if (!std::isfinite(v)) return missing;
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(prec);
  s << v;
  return s.str();
}

}  // namespace

std::vector<TruthScene> ReadTruthJson(const std::string& path) {
  const char* stage = "detection.evaluate";
  json doc = ParseFile(path, stage);
  if (!doc.is_object() || !doc.contains("scenes") || !doc["scenes"].is_array())
    throw InputError(stage, path, "not a berthwatch truth file (no \"scenes\" array)");
  std::vector<TruthScene> out;
  for (const auto& s : doc["scenes"]) {
    TruthScene ts;
    ts.scene_id = s.value("scene_id", "");
    if (ts.scene_id.empty()) throw InputError(stage, path, "a scene has no scene_id");
    ts.sun_azimuth_deg = Num(s, "sun_azimuth_deg");
    ts.sun_elevation_deg = Num(s, "sun_elevation_deg");
    ts.gsd_m = Num(s, "gsd_m");
    for (const char* member : {"objects", "other_objects"}) {
      const bool other = std::string(member) == "other_objects";
      if (!s.contains(member) || !s[member].is_array()) continue;
      for (const auto& o : s[member]) {
        if (other && o.value("kind", "") != "tanker") continue;
        TruthObject t;
        t.scored = !other;
        t.scene_id = ts.scene_id;
        t.vessel = o.value("vessel", "");
        if (o.contains("berth") && o["berth"].is_string()) t.berth = o["berth"].get<std::string>();
        t.center = {Num(o, "lon"), Num(o, "lat")};
        if (!std::isfinite(t.center.lon_deg) || !std::isfinite(t.center.lat_deg))
          throw InputError(stage, path, "an object of scene " + ts.scene_id + " has no lon/lat");
        t.heading_deg = Num(o, "heading_deg");
        t.length_m = Num(o, "length_m");
        t.beam_m = Num(o, "beam_m");
        t.freeboard_m = Num(o, "freeboard_m");
        if (o.contains("load_state") && o["load_state"].is_string()) {
          try {
            t.load_state = LoadStateFromString(o["load_state"].get<std::string>());
          } catch (const Error&) {
            throw InputError(stage, path, "bad load_state in scene " + ts.scene_id);
          }
        }
        if (o.contains("imaged") && o["imaged"].is_boolean()) {
          t.imaged = o["imaged"].get<bool>();
        } else if (o.contains("in_scene") && o["in_scene"].is_boolean()) {
          t.imaged = o["in_scene"].get<bool>();
        }
        t.cloud_fraction = Num(o, "cloud_fraction", 0.0);
        ts.objects.push_back(std::move(t));
      }
    }
    out.push_back(std::move(ts));
  }
  return out;
}

Evaluation Evaluate(const std::vector<TruthScene>& truth, const std::vector<Detection>& detections,
                    const std::vector<std::string>& scene_ids,
                    const std::map<std::string, double>& sun_azimuth_by_scene,
                    const EvaluateOptions& options) {
  Evaluation e;
  std::set<std::string> scored(scene_ids.begin(), scene_ids.end());
  if (scored.empty()) {
    if (options.only_scenes_with_detections) {
      for (const auto& d : detections) scored.insert(d.scene_id);
    } else {
      for (const auto& s : truth) scored.insert(s.scene_id);
    }
  }
  std::map<std::string, std::vector<const Detection*>> by_scene;
  for (const auto& d : detections) by_scene[d.scene_id].push_back(&d);

  std::vector<double> len_err, head_err, fb_err, fb_err_good, fb_pull;
  int matched = 0, bow_resolved = 0, bow_right = 0, unknown = 0;
  int ef_n = 0, ef_given = 0, ef_right = 0, ef_unknown = 0;
  int conf_n = 0, conf_right = 0;
  std::vector<CalibrationBin> bins;
  for (double lo : {0.0, 0.5, 0.6, 0.7, 0.8, 0.9}) {
    CalibrationBin b;
    b.lo = lo;
    b.hi = lo == 0.9 ? 1.0 + 1e-9 : (lo == 0.0 ? 0.5 : lo + 0.1);
    bins.push_back(b);
  }
  for (const auto& ts : truth) {
    if (!scored.count(ts.scene_id)) continue;
    ++e.scenes;
    const auto& dets = by_scene[ts.scene_id];
    double sun_az = ts.sun_azimuth_deg;
    if (!std::isfinite(sun_az)) {
      auto it = sun_azimuth_by_scene.find(ts.scene_id);
      if (it != sun_azimuth_by_scene.end()) sun_az = it->second;
    }
    // Candidate pairs within the match distance, closest first.
    struct Pair {
      double dist;
      size_t t, d;
    };
    std::vector<Pair> pairs;
    for (size_t i = 0; i < ts.objects.size(); ++i) {
      const auto& t = ts.objects[i];
      const double lim =
          options.match_fraction_of_length * (std::isfinite(t.length_m) ? t.length_m : 100.0);
      for (size_t j = 0; j < dets.size(); ++j) {
        const double dist = GeodesicDistanceM(t.center, dets[j]->center);
        if (dist <= lim) pairs.push_back({dist, i, j});
      }
    }
    std::sort(pairs.begin(), pairs.end(), [](const Pair& a, const Pair& b) {
      return a.dist < b.dist || (a.dist == b.dist && (a.t < b.t || (a.t == b.t && a.d < b.d)));
    });
    std::vector<int> t_match(ts.objects.size(), -1), d_match(dets.size(), -1);
    for (const auto& p : pairs) {
      if (t_match[p.t] >= 0 || d_match[p.d] >= 0) continue;
      t_match[p.t] = static_cast<int>(p.d);
      d_match[p.d] = static_cast<int>(p.t);
    }
    auto eligible = [&](const TruthObject& t) {
      return t.scored && t.imaged && t.cloud_fraction <= options.max_cloud_fraction &&
             (!options.only_at_berths || !t.berth.empty());
    };
    for (size_t j = 0; j < dets.size(); ++j) {
      if (d_match[j] < 0) {
        ++e.false_positives;
        ++e.detections;
        if (options.list_cases) {
          EvaluationCase c;
          c.kind = "false";
          c.scene_id = ts.scene_id;
          c.berth = dets[j]->berth;
          c.center = dets[j]->center;
          SetMeasured(c, *dets[j]);
          e.cases.push_back(c);
        }
      } else if (eligible(ts.objects[d_match[j]])) {
        ++e.detections;
      }
    }
    for (size_t i = 0; i < ts.objects.size(); ++i) {
      const auto& t = ts.objects[i];
      if (!eligible(t)) continue;
      ++e.truth_objects;
      auto add_case = [&](const char* kind, const Detection* d) {
        if (!options.list_cases) return;
        EvaluationCase c;
        c.kind = kind;
        c.scene_id = ts.scene_id;
        c.vessel = t.vessel;
        c.berth = t.berth;
        c.center = t.center;
        c.truth_length_m = t.length_m;
        c.truth_freeboard_m = t.freeboard_m;
        c.truth_state = t.load_state;
        c.cloud_fraction = t.cloud_fraction;
        if (d != nullptr) SetMeasured(c, *d);
        e.cases.push_back(c);
      };
      if (t_match[i] < 0) {
        ++e.false_negatives;
        add_case("miss", nullptr);
        continue;
      }
      ++e.true_positives;
      ++matched;
      const Detection& d = *dets[t_match[i]];
      if (std::isfinite(t.length_m) && std::isfinite(d.length_m))
        len_err.push_back(std::fabs(d.length_m - t.length_m) / t.length_m);
      if (std::isfinite(t.heading_deg) && std::isfinite(d.heading_deg)) {
        head_err.push_back(AxisDiff(d.heading_deg, t.heading_deg));
        if (d.bow_resolved) {
          ++bow_resolved;
          if (DirDiff(d.heading_deg, t.heading_deg) < 90) ++bow_right;
        }
      }
      const double sun_angle = std::isfinite(sun_az) && std::isfinite(t.heading_deg)
                                   ? AxisDiff(sun_az, t.heading_deg)
                                   : kNaN;
      const bool good_sun = std::isfinite(sun_angle) &&
                            std::min(sun_angle, 180 - sun_angle) >= options.min_sun_hull_angle_deg;
      if (std::isfinite(t.freeboard_m) && std::isfinite(d.freeboard_m)) {
        const double err = std::fabs(d.freeboard_m - t.freeboard_m);
        fb_err.push_back(err);
        if (good_sun) fb_err_good.push_back(err);
        if (std::isfinite(d.freeboard_sigma_m) && d.freeboard_sigma_m > 0)
          fb_pull.push_back((d.freeboard_m - t.freeboard_m) / d.freeboard_sigma_m);
      }
      const int ti = StateIndex(t.load_state);
      const int di = StateIndex(d.load_state);
      if (ti < 3) ++e.confusion[ti][di];
      if (di == 3) ++unknown;
      if (good_sun && (t.load_state == LoadState::kEmpty || t.load_state == LoadState::kFull)) {
        ++ef_n;
        if (di == 3) {
          ++ef_unknown;
          ++e.ef_good_sun_unknown_reasons[UnknownReasonKey(d.unknown_reason)];
        } else {
          ++ef_given;
          if (di == ti) ++ef_right;
        }
      }
      if (di < 3 && ti < 3) {
        if (di != ti) {
          add_case(d.confidence >= options.confident_above ? "confident_wrong" : "wrong_state", &d);
        }
        if (d.confidence >= options.confident_above) {
          ++conf_n;
          if (di == ti) ++conf_right;
        }
        for (auto& b : bins) {
          if (d.confidence >= b.lo && d.confidence < b.hi) {
            ++b.count;
            if (di == ti) ++b.right;
            b.mean_confidence += d.confidence;
          }
        }
      }
    }
  }
  for (auto& b : bins)
    if (b.count > 0) b.mean_confidence /= b.count;
  e.calibration = bins;
  e.median_length_error_frac = Median(len_err);
  e.mean_length_error_frac = Mean(len_err);
  e.median_heading_error_deg = Median(head_err);
  e.mean_heading_error_deg = Mean(head_err);
  if (matched > 0) {
    e.bow_resolved_fraction = double(bow_resolved) / matched;
    e.bow_right_fraction = double(bow_right) / matched;
    e.unknown_fraction = double(unknown) / matched;
  }
  if (bow_resolved > 0) e.bow_right_of_resolved = double(bow_right) / bow_resolved;
  e.freeboard_mae_m = Mean(fb_err);
  e.freeboard_n = static_cast<int>(fb_err.size());
  e.freeboard_mae_good_sun_m = Mean(fb_err_good);
  e.freeboard_good_sun_n = static_cast<int>(fb_err_good.size());
  e.freeboard_pull_n = static_cast<int>(fb_pull.size());
  if (!fb_pull.empty()) {
    e.freeboard_pull_beyond_2 =
        static_cast<double>(std::count_if(fb_pull.begin(), fb_pull.end(),
                                          [](double z) { return std::fabs(z) > 2.0; })) /
        static_cast<double>(fb_pull.size());
    e.freeboard_median_pull = Median(fb_pull);
  }
  e.ef_good_sun_n = ef_n;
  if (ef_given > 0) e.ef_good_sun_state_right = double(ef_right) / ef_given;
  if (ef_n > 0) e.ef_good_sun_unknown = double(ef_unknown) / ef_n;
  e.confident_n = conf_n;
  if (conf_n > 0) e.confident_right = double(conf_right) / conf_n;
  Finish(e);
  return e;
}

std::vector<CocoBox> ReadCocoBoxes(const std::string& path) {
  const char* stage = "detection.evaluate";
  json doc = ParseFile(path, stage);
  if (!doc.is_object() || !doc.contains("annotations") || !doc["annotations"].is_array())
    throw InputError(stage, path, "not a COCO file (no \"annotations\" array)");
  std::vector<CocoBox> out;
  for (const auto& a : doc["annotations"]) {
    if (!a.contains("bbox") || !a["bbox"].is_array() || a["bbox"].size() != 4)
      throw InputError(stage, path, "an annotation has no [x, y, w, h] bbox");
    CocoBox b{a["bbox"][0].get<double>(), a["bbox"][1].get<double>(), a["bbox"][2].get<double>(),
              a["bbox"][3].get<double>()};
    out.push_back(b);
  }
  return out;
}

Evaluation EvaluateCoco(const std::vector<CocoBox>& boxes, const std::vector<PixelXY>& centers) {
  Evaluation e;
  e.scenes = 1;
  e.truth_objects = static_cast<int>(boxes.size());
  e.detections = static_cast<int>(centers.size());
  struct Pair {
    double dist;
    size_t t, d;
  };
  std::vector<Pair> pairs;
  for (size_t i = 0; i < boxes.size(); ++i) {
    const CocoBox& b = boxes[i];
    const double cx = b.x + b.w / 2, cy = b.y + b.h / 2;
    const double lim = 0.25 * std::hypot(b.w, b.h);
    for (size_t j = 0; j < centers.size(); ++j) {
      const double dist = std::hypot(centers[j].x - cx, centers[j].y - cy);
      const bool inside = centers[j].x >= b.x - 1 && centers[j].x <= b.x + b.w + 1 &&
                          centers[j].y >= b.y - 1 && centers[j].y <= b.y + b.h + 1;
      if (inside || dist <= lim) pairs.push_back({dist, i, j});
    }
  }
  std::sort(pairs.begin(), pairs.end(),
            [](const Pair& a, const Pair& b) { return a.dist < b.dist; });
  std::vector<bool> tm(boxes.size(), false), dm(centers.size(), false);
  for (const auto& p : pairs) {
    if (tm[p.t] || dm[p.d]) continue;
    tm[p.t] = dm[p.d] = true;
    ++e.true_positives;
  }
  e.false_negatives = e.truth_objects - e.true_positives;
  e.false_positives = e.detections - e.true_positives;
  Finish(e);
  return e;
}

std::string EvaluationToJson(const Evaluation& e) {
  json j;
  j["scenes"] = e.scenes;
  j["truth_objects"] = e.truth_objects;
  j["detections"] = e.detections;
  j["true_positives"] = e.true_positives;
  j["false_positives"] = e.false_positives;
  j["false_negatives"] = e.false_negatives;
  j["precision"] = J(e.precision);
  j["recall"] = J(e.recall);
  j["f1"] = J(e.f1);
  j["median_length_error_frac"] = J(e.median_length_error_frac);
  j["mean_length_error_frac"] = J(e.mean_length_error_frac);
  j["median_heading_error_deg"] = J(e.median_heading_error_deg);
  j["mean_heading_error_deg"] = J(e.mean_heading_error_deg);
  j["bow_resolved_fraction"] = J(e.bow_resolved_fraction);
  j["bow_right_fraction"] = J(e.bow_right_fraction);
  j["bow_right_of_resolved"] = J(e.bow_right_of_resolved);
  j["freeboard_mae_m"] = J(e.freeboard_mae_m);
  j["freeboard_n"] = e.freeboard_n;
  j["freeboard_mae_good_sun_m"] = J(e.freeboard_mae_good_sun_m);
  j["freeboard_good_sun_n"] = e.freeboard_good_sun_n;
  j["freeboard_median_pull"] = J(e.freeboard_median_pull);
  j["freeboard_pull_beyond_2"] = J(e.freeboard_pull_beyond_2);
  j["freeboard_pull_n"] = e.freeboard_pull_n;
  const char* names[] = {"empty", "partial", "full", "unknown"};
  json cm;
  for (int t = 0; t < 3; ++t) {
    json row;
    for (int d = 0; d < 4; ++d) row[names[d]] = e.confusion[t][d];
    cm[names[t]] = row;
  }
  j["load_state_confusion"] = cm;  // truth -> predicted
  j["unknown_fraction"] = J(e.unknown_fraction);
  j["empty_full_good_sun_n"] = e.ef_good_sun_n;
  j["empty_full_good_sun_state_right"] = J(e.ef_good_sun_state_right);
  j["empty_full_good_sun_unknown"] = J(e.ef_good_sun_unknown);
  j["empty_full_good_sun_unknown_reasons"] = e.ef_good_sun_unknown_reasons;
  j["confident_n"] = e.confident_n;
  j["confident_right"] = J(e.confident_right);
  json cal = json::array();
  for (const auto& b : e.calibration) {
    cal.push_back({{"lo", b.lo},
                   {"hi", std::min(b.hi, 1.0)},
                   {"count", b.count},
                   {"accuracy", b.count ? json(double(b.right) / b.count) : json(nullptr)},
                   {"mean_confidence", b.count ? json(b.mean_confidence) : json(nullptr)}});
  }
  j["calibration"] = cal;
  if (!e.cases.empty()) {
    json cases = json::array();
    for (const auto& c : e.cases) {
      cases.push_back({{"kind", c.kind},
                       {"scene_id", c.scene_id},
                       {"vessel", c.vessel},
                       {"berth", c.berth},
                       {"lon", c.center.lon_deg},
                       {"lat", c.center.lat_deg},
                       {"truth_length_m", J(c.truth_length_m)},
                       {"length_m", J(c.length_m)},
                       {"truth_freeboard_m", J(c.truth_freeboard_m)},
                       {"freeboard_m", J(c.freeboard_m)},
                       {"freeboard_sigma_m", J(c.freeboard_sigma_m)},
                       {"truth_state", ToString(c.truth_state)},
                       {"state", ToString(c.state)},
                       {"confidence", J(c.confidence)},
                       {"cloud_fraction", J(c.cloud_fraction)}});
    }
    j["cases"] = cases;
  }
  return j.dump(2);
}

std::string EvaluationToText(const Evaluation& e) {
  std::ostringstream o;
  auto f = [](double v, int prec = 3) { return FixedOr(v, prec, "n/a"); };
  o << "scenes " << e.scenes << ", truth " << e.truth_objects << ", detections " << e.detections
    << "\n";
  o << "TP " << e.true_positives << "  FP " << e.false_positives << "  FN " << e.false_negatives
    << "\n";
  o << "precision " << f(e.precision) << "  recall " << f(e.recall) << "  F1 " << f(e.f1) << "\n";
  o << "length error: median " << f(100 * e.median_length_error_frac, 2) << " %  mean "
    << f(100 * e.mean_length_error_frac, 2) << " %\n";
  o << "heading (axis) error: median " << f(e.median_heading_error_deg, 2) << " deg  mean "
    << f(e.mean_heading_error_deg, 2) << " deg\n";
  o << "bow: resolved " << f(e.bow_resolved_fraction) << "  right " << f(e.bow_right_fraction)
    << "  right of resolved " << f(e.bow_right_of_resolved) << "\n";
  o << "freeboard MAE: " << f(e.freeboard_mae_m) << " m (n=" << e.freeboard_n
    << "), sun >= 25 deg off axis: " << f(e.freeboard_mae_good_sun_m)
    << " m (n=" << e.freeboard_good_sun_n << ")\n";
  o << "freeboard pull (measured - truth) / sigma: median " << f(e.freeboard_median_pull, 2)
    << ", beyond 2 sigma " << f(e.freeboard_pull_beyond_2) << " (n=" << e.freeboard_pull_n
    << "; calibrated: ~0 and ~0.05)\n";
  o << "load state (rows truth, cols predicted: empty partial full unknown)\n";
  const char* names[] = {"empty", "partial", "full"};
  for (int t = 0; t < 3; ++t) {
    o << "  " << names[t];
    for (int d = 0; d < 4; ++d) o << " " << e.confusion[t][d];
    o << "\n";
  }
  o << "unknown share " << f(e.unknown_fraction) << "\n";
  o << "empty/full, sun >= 25 deg off axis (n=" << e.ef_good_sun_n << "): right of given "
    << f(e.ef_good_sun_state_right) << ", unknown " << f(e.ef_good_sun_unknown) << "\n";
  if (!e.ef_good_sun_unknown_reasons.empty()) {
    // Most frequent first: what hid the load from the image.
    const auto why = MostFrequentFirst(e.ef_good_sun_unknown_reasons);
    o << "  unknown because:";
    for (size_t i = 0; i < why.size(); ++i)
      o << (i ? ";" : "") << " " << why[i].first << " " << why[i].second;
    o << "\n";
  }
  o << "confidence >= 0.8 (n=" << e.confident_n << "): right " << f(e.confident_right) << "\n";
  o << "calibration (confidence bin: n, accuracy, mean confidence)\n";
  for (const auto& b : e.calibration) {
    o << "  [" << f(b.lo, 1) << ", " << f(std::min(b.hi, 1.0), 1) << "): " << b.count << ", "
      << (b.count ? f(double(b.right) / b.count) : std::string("n/a")) << ", "
      << (b.count ? f(b.mean_confidence) : std::string("n/a")) << "\n";
  }
  return o.str();
}

std::string EvaluationCasesToText(const Evaluation& e) {
  std::ostringstream o;
  auto f = [](double v, int prec) { return FixedOr(v, prec, "-"); };
  for (const auto& c : e.cases) {
    o << c.kind << "  " << c.scene_id << "  " << (c.vessel.empty() ? "-" : c.vessel) << "  "
      << (c.berth.empty() ? "-" : c.berth) << "  (" << f(c.center.lon_deg, 6) << ", "
      << f(c.center.lat_deg, 6) << ")  L " << f(c.truth_length_m, 1) << "/" << f(c.length_m, 1)
      << " m  freeboard " << f(c.truth_freeboard_m, 2) << "/" << f(c.freeboard_m, 2) << "+-"
      << f(c.freeboard_sigma_m, 2) << " m  state " << ToString(c.truth_state) << "/"
      << ToString(c.state) << " " << f(c.confidence, 3) << "  cloud " << f(c.cloud_fraction, 2)
      << "\n";
  }
  return o.str();
}

}  // namespace bw
