// The evaluator: matching, metrics, truth and COCO readers.
#include "detection/evaluate.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <string>

#include "tests/testing/testing.h"

namespace bw {
namespace {

TruthObject Obj(double lon, double lat, double heading, LoadState s, double fb) {
  TruthObject o;
  o.scene_id = "s1";
  o.berth = "B1";
  o.center = {lon, lat};
  o.heading_deg = heading;
  o.length_m = 100;
  o.beam_m = 16;
  o.freeboard_m = fb;
  o.load_state = s;
  return o;
}

Detection Det(double lon, double lat, double heading, bool bow, LoadState s, double fb,
              double conf) {
  Detection d;
  d.scene_id = "s1";
  d.center = {lon, lat};
  d.heading_deg = heading;
  d.bow_resolved = bow;
  d.length_m = 102;
  d.load_state = s;
  d.freeboard_m = fb;
  d.confidence = conf;
  return d;
}

TEST(Evaluate, MatchesByCentreWithinAQuarterLength) {
  TruthScene ts;
  ts.scene_id = "s1";
  ts.sun_azimuth_deg = 90;  // sun across a 0-deg hull
  ts.objects = {Obj(133.0, 42.0, 0, LoadState::kEmpty, 6.0),
                Obj(133.01, 42.0, 180, LoadState::kFull, 2.0)};
  // 10 m off (match), 40 m off (no match: > 25 m), one far false positive.
  const double dlat = 10.0 / 111000.0;
  std::vector<Detection> dets = {
      Det(133.0, 42.0 + dlat, 1.0, true, LoadState::kEmpty, 6.2, 0.9),
      Det(133.01, 42.0 + 4 * dlat, 0.0, true, LoadState::kFull, 2.0, 0.9),
      Det(133.05, 42.0, 0.0, false, LoadState::kUnknown, kNaN, 0.0)};
  const Evaluation e = Evaluate({ts}, dets, {}, {});
  EXPECT_EQ(e.true_positives, 1);
  EXPECT_EQ(e.false_positives, 2);
  EXPECT_EQ(e.false_negatives, 1);
  EXPECT_NEAR(e.precision, 1.0 / 3, 1e-9);
  EXPECT_NEAR(e.recall, 0.5, 1e-9);
  EXPECT_NEAR(e.median_length_error_frac, 0.02, 1e-9);
  EXPECT_NEAR(e.median_heading_error_deg, 1.0, 1e-9);
  EXPECT_NEAR(e.bow_right_fraction, 1.0, 1e-9);
  EXPECT_NEAR(e.freeboard_mae_good_sun_m, 0.2, 1e-9);
  EXPECT_EQ(e.confusion[0][0], 1);
  EXPECT_EQ(e.ef_good_sun_n, 1);
  EXPECT_NEAR(e.ef_good_sun_state_right, 1.0, 1e-9);
}

// The freeboard's stated sigma against its errors: pulls (measured - truth) / sigma, their
// median and the share beyond 2 sigma; readings without a sigma are not counted.
TEST(Evaluate, FreeboardPullsAgainstTheStatedSigma) {
  TruthScene ts;
  ts.scene_id = "s1";
  ts.sun_azimuth_deg = 90;
  const double dlon = 0.01;
  std::vector<Detection> dets;
  // Errors -0.6, -0.3, 0.1, 0.5 m with sigma 0.2 (pulls -3, -1.5, 0.5, 2.5); one without sigma.
  const double errs[] = {-0.6, -0.3, 0.1, 0.5, 0.4};
  for (int i = 0; i < 5; ++i) {
    ts.objects.push_back(Obj(133.0 + i * dlon, 42.0, 0, LoadState::kPartial, 4.0));
    Detection d = Det(133.0 + i * dlon, 42.0, 0, true, LoadState::kUnknown, 4.0 + errs[i], 0.0);
    d.freeboard_sigma_m = i < 4 ? 0.2 : kNaN;
    dets.push_back(d);
  }
  const Evaluation e = Evaluate({ts}, dets, {}, {});
  ASSERT_EQ(e.true_positives, 5);
  EXPECT_EQ(e.freeboard_n, 5);
  EXPECT_EQ(e.freeboard_pull_n, 4);
  EXPECT_NEAR(e.freeboard_median_pull, -0.5, 1e-9);  // (-1.5 + 0.5) / 2
  EXPECT_NEAR(e.freeboard_pull_beyond_2, 0.5, 1e-9);
  const std::string text = EvaluationToText(e);
  EXPECT_NE(text.find("freeboard pull (measured - truth) / sigma: median -0.50, beyond 2 sigma "
                      "0.500 (n=4"),
            std::string::npos)
      << text;
}

TEST(Evaluate, ListsMissesFalseHullsAndWrongStates) {
  TruthScene ts;
  ts.scene_id = "s1";
  ts.sun_azimuth_deg = 90;
  TruthObject missed = Obj(133.01, 42.0, 0, LoadState::kFull, 2.0);
  missed.vessel = "Missed One";
  missed.cloud_fraction = 0.1;
  TruthObject wrong = Obj(133.0, 42.0, 0, LoadState::kEmpty, 6.0);
  wrong.vessel = "Called Full";
  TruthObject right = Obj(133.02, 42.0, 0, LoadState::kFull, 2.0);
  right.vessel = "Right";
  ts.objects = {missed, wrong, right};
  std::vector<Detection> dets = {Det(133.0, 42.0, 0, true, LoadState::kFull, 2.1, 0.93),
                                 Det(133.02, 42.0, 0, true, LoadState::kFull, 2.0, 0.95),
                                 Det(133.05, 42.0, 0, false, LoadState::kUnknown, kNaN, 0.0)};
  EvaluateOptions opt;
  opt.list_cases = true;
  const Evaluation e = Evaluate({ts}, dets, {}, {}, opt);
  ASSERT_EQ(e.cases.size(), 3u);
  std::map<std::string, const EvaluationCase*> by_kind;
  for (const auto& c : e.cases) by_kind[c.kind] = &c;
  ASSERT_TRUE(by_kind.count("miss") && by_kind.count("false") && by_kind.count("confident_wrong"));
  EXPECT_EQ(by_kind["miss"]->vessel, "Missed One");
  EXPECT_NEAR(by_kind["miss"]->cloud_fraction, 0.1, 1e-12);
  EXPECT_NEAR(by_kind["false"]->center.lon_deg, 133.05, 1e-12);
  EXPECT_EQ(by_kind["confident_wrong"]->vessel, "Called Full");
  EXPECT_EQ(by_kind["confident_wrong"]->truth_state, LoadState::kEmpty);
  EXPECT_EQ(by_kind["confident_wrong"]->state, LoadState::kFull);
  EXPECT_NEAR(by_kind["confident_wrong"]->freeboard_m, 2.1, 1e-12);
  const std::string text = EvaluationCasesToText(e);
  EXPECT_NE(text.find("miss  s1  Missed One  B1"), std::string::npos) << text;
  EXPECT_NE(EvaluationToJson(e).find("\"cases\""), std::string::npos);
  // Without the option nothing is listed, and the JSON has no "cases".
  const Evaluation quiet = Evaluate({ts}, dets, {}, {});
  EXPECT_TRUE(quiet.cases.empty());
  EXPECT_EQ(EvaluationToJson(quiet).find("\"cases\""), std::string::npos);
}

TEST(Evaluate, WrongBowAndUnknownStateAreCounted) {
  TruthScene ts;
  ts.scene_id = "s1";
  ts.sun_azimuth_deg = 5;  // sun along the hull: not a good-geometry case
  ts.objects = {Obj(133.0, 42.0, 10, LoadState::kFull, 2.0)};
  const Evaluation e =
      Evaluate({ts}, {Det(133.0, 42.0, 190, true, LoadState::kUnknown, kNaN, 0)}, {}, {});
  EXPECT_EQ(e.true_positives, 1);
  EXPECT_NEAR(e.median_heading_error_deg, 0.0, 1e-9);
  EXPECT_NEAR(e.bow_right_fraction, 0.0, 1e-9);
  EXPECT_EQ(e.confusion[2][3], 1);
  EXPECT_NEAR(e.unknown_fraction, 1.0, 1e-9);
  EXPECT_EQ(e.ef_good_sun_n, 0);
}

TEST(Evaluate, SaysWhyTrulyEmptyOrFullHullsWereUnknown) {
  TruthScene ts;
  ts.scene_id = "s1";
  ts.sun_azimuth_deg = 90;  // sun across the 0-deg hulls
  ts.objects = {
      Obj(133.0, 42.0, 0, LoadState::kEmpty, 6.0), Obj(133.01, 42.0, 0, LoadState::kFull, 2.0),
      Obj(133.02, 42.0, 0, LoadState::kFull, 2.0), Obj(133.03, 42.0, 0, LoadState::kPartial, 4.0),
      Obj(133.04, 42.0, 0, LoadState::kEmpty, 6.0)};
  std::vector<Detection> dets = {Det(133.0, 42.0, 0, true, LoadState::kUnknown, kNaN, 0),
                                 Det(133.01, 42.0, 0, true, LoadState::kUnknown, kNaN, 0),
                                 Det(133.02, 42.0, 0, true, LoadState::kUnknown, kNaN, 0),
                                 Det(133.03, 42.0, 0, true, LoadState::kUnknown, kNaN, 0),
                                 Det(133.04, 42.0, 0, true, LoadState::kEmpty, 6.1, 0.9)};
  dets[0].unknown_reason = "shadow on the pier or another hull";
  dets[1].unknown_reason = "cloud";
  dets[2].unknown_reason = "shadow on the pier or another hull";
  dets[3].unknown_reason = "load between states";  // truly partial: not counted
  const Evaluation e = Evaluate({ts}, dets, {}, {});
  EXPECT_EQ(e.ef_good_sun_n, 4);
  EXPECT_NEAR(e.ef_good_sun_unknown, 0.75, 1e-9);
  const std::map<std::string, int> want = {{"shadow on the pier or another hull", 2}, {"cloud", 1}};
  EXPECT_EQ(e.ef_good_sun_unknown_reasons, want);
  const std::string text = EvaluationToText(e);
  EXPECT_NE(text.find("  unknown because: shadow on the pier or another hull 2; cloud 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(
      EvaluationToJson(e).find("\"empty_full_good_sun_unknown_reasons\": {\n    \"cloud\": 1"),
      std::string::npos)
      << EvaluationToJson(e);
  // A detector that gives no reason is counted as such.
  dets[1].unknown_reason.clear();
  EXPECT_EQ(Evaluate({ts}, dets, {}, {}).ef_good_sun_unknown_reasons.at("no reason given"), 1);
}

TEST(Evaluate, CloudyAndOffBerthObjectsAreNotScored) {
  TruthScene ts;
  ts.scene_id = "s1";
  TruthObject cloudy = Obj(133.0, 42.0, 0, LoadState::kFull, 2);
  cloudy.cloud_fraction = 0.5;
  TruthObject anchored = Obj(133.02, 42.0, 0, LoadState::kFull, 2);
  anchored.berth.clear();
  ts.objects = {cloudy, anchored};
  const Evaluation e =
      Evaluate({ts}, {Det(133.0, 42.0, 0, false, LoadState::kFull, 2, 0.9)}, {}, {});
  EXPECT_EQ(e.truth_objects, 0);
  EXPECT_EQ(e.false_positives, 0);
}

TEST(ReadTruthJson, ReadsObjectsAndRejectsGarbage) {
  testing::TempDir dir("bweval");
  {
    std::ofstream o(dir.file("truth.json"));
    o << R"({"vessels":[],"visits":[],"scenes":[{"scene_id":"a","sun_azimuth_deg":120,
      "objects":[{"vessel":"V","berth":"B1","lon":1,"lat":2,"heading_deg":30,"length_m":90,
      "beam_m":15,"freeboard_m":3.5,"load_state":"empty","in_scene":true,"cloud_fraction":0.1}],
      "other_objects":[{"kind":"tug","lon":1,"lat":2},{"kind":"tanker","lon":1.1,"lat":2,
      "length_m":100}]}]})";
  }
  const auto t = ReadTruthJson(dir.file("truth.json"));
  ASSERT_EQ(t.size(), 1u);
  ASSERT_EQ(t[0].objects.size(), 2u);
  EXPECT_EQ(t[0].objects[0].load_state, LoadState::kEmpty);
  EXPECT_TRUE(t[0].objects[0].scored);
  EXPECT_FALSE(t[0].objects[1].scored);
  {
    std::ofstream o(dir.file("bad.json"));
    o << "{not json";
  }
  EXPECT_ANY_THROW(ReadTruthJson(dir.file("bad.json")));
}

TEST(EvaluateCoco, CentreInBoxMatches) {
  const std::vector<CocoBox> boxes = {{10, 10, 8, 6}, {50, 50, 10, 10}};
  const Evaluation e = EvaluateCoco(boxes, {{14, 13}, {100, 100}});
  EXPECT_EQ(e.true_positives, 1);
  EXPECT_EQ(e.false_positives, 1);
  EXPECT_EQ(e.false_negatives, 1);
  EXPECT_NEAR(e.f1, 0.5, 1e-9);
}

TEST(EvaluationToJson, HoldsTheHeadlineNumbers) {
  Evaluation e;
  e.precision = 0.5;
  const std::string j = EvaluationToJson(e);
  EXPECT_NE(j.find("\"precision\": 0.5"), std::string::npos);
  EXPECT_NE(j.find("calibration"), std::string::npos);
}

}  // namespace
}  // namespace bw
