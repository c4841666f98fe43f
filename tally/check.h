// check: compares a reported claim ("visits=43,vessels>12,period=2024-03-07/2024-11-05,
// pattern=empty->full") with what the scenes showed, and estimates how many visits the image
// calendar could have missed.
//
// Missed visits: a visit shorter than the gaps between views of its berth can fall between
// them. For each observed visit, its dwell is drawn between what was seen (last - first
// seen) and what the neighbouring views allow (view after - view before); the chance p that
// a visit of that dwell, arriving at a uniformly random time, overlaps at least one view of
// the berth follows from the berth's calendar. Each observed visit then stands for itself
// plus Geometric(p) unseen ones (inverse-probability weighting, Monte Carlo over dwell draws
// and the geometric counts); the 5th and 95th percentiles give the 90 % interval.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tally/tally.h"

namespace bw {

struct ClaimItem {
  std::string key;    // "visits", "vessels", "period", "pattern", or a transition "empty->full"
  std::string op;     // "=", "<", ">", "<=", ">=", "~"
  std::string value;  // as written
  std::string text;   // the whole item as written
};

// Parses a comma-separated claim. Throws InputError (stage "tally.check") with a message
// that says what is wrong for: empty claim, an item without operator or value, unknown key,
// non-numeric count, an operator a key does not take, a malformed period or transition.
std::vector<ClaimItem> ParseClaim(const std::string& claim);

struct CheckOptions {
  int iterations = 4000;
  std::uint64_t seed = 20240307;
  double interval = 0.90;
  double approx_tolerance = 0.10;  // `~` accepts within this share of the value
  // Visit dwell upper bound when the berth has no view before/after the visit.
  double max_dwell_days = 30.0;
  void Check() const;
};

struct MissedVisitEstimate {
  int observed = 0;
  double mean_total = 0.0;
  int median_total = 0;
  int low_total = 0;                     // lower end of the interval
  int high_total = 0;                    // upper end
  double mean_detect_probability = 1.0;  // mean p over observed visits
  double median_dwell_days = 0.0;        // of the observed visits (mid of their bounds)
  double median_view_gap_days = 0.0;     // between views of a berth
};

MissedVisitEstimate EstimateMissedVisits(const TallyResult& result, const CheckOptions& options);

struct ClaimVerdict {
  ClaimItem item;
  bool consistent = false;
  std::string reasoning;  // plain words
};

struct CheckResult {
  bool consistent = true;  // every item consistent
  std::vector<ClaimVerdict> verdicts;
  MissedVisitEstimate estimate;
  std::string report;  // the whole reasoning, printable
};

CheckResult CheckClaim(const std::vector<ClaimItem>& claim, const TallyResult& result,
                       const CheckOptions& options);

}  // namespace bw
