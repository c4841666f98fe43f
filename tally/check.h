// check: compares a reported claim ("visits=43,vessels>12,period=2024-03-07/2024-11-05,
// pattern=empty->full") with what the scenes showed, and estimates how many visits the image
// calendar could have missed.
//
// Missed visits: a visit can be missed because it fell between views of its berth, or
// because the detector missed it on every view it covered (on a clear view of the berth with
// the vessel there it is found with probability p_det < 1). A visit of dwell d is then seen
// with probability 1 - prod(1 - p_det) over the views it covers, averaged over arrival times.
// What the visits seen say:
//  - p_det: inside a visit (from first to last seen) the vessel was there on every view, so
//    the views with and without a detection are Bernoulli(p_det) draws (Beta prior);
//  - each visit's dwell: every arrival time that puts the stay over [first, last] is
//    possible, weighted by (1 - p_det)^(views it also covered outside them): a visit seen
//    once is not read as short when its neighbouring views may have been misses;
//  - the dwell distribution (log-normal, median and spread on a grid) and p_det jointly,
//    from all visits, with each visit's likelihood divided by the chance a visit is seen at
//    all (the sample is thinned).
// Per berth the visits missed are then negative binomial given the share seen; a Monte Carlo
// over the posterior gives the estimated total and its 90 % interval.
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
  // Shortest plausible stay at a berth (mooring, hoses, cargo, unmooring): below this the
  // calendar cannot tell how many visits it missed, so the dwell model stops here.
  double min_dwell_days = 0.5;
  int dwell_cells = 48;                  // log-spaced dwell grid, min to max dwell
  double min_detect_probability = 0.02;  // floor on the share of visits seen
  int detect_cells = 40;                 // grid of the detection probability p_det
  // Beta prior on p_det (the share of clear views of a berth with the vessel there in
  // which the detector finds it).
  // Beta(2, 1): a detector that works more often than not, otherwise uninformative.
  double detect_prior_a = 2.0;
  double detect_prior_b = 1.0;
  // Beta(a, a) prior on the share of a terminal's visits that load. A terminal is built to
  // load or to discharge (an export jetty, an import berth), so the share lies near 0 or 1:
  // a < 1/2 (Jeffreys) puts the prior's weight there; a few visits seen to change one way
  // then settle the direction.
  double loading_share_prior = 0.25;
  void Check() const;
};

struct MissedVisitEstimate {
  int observed = 0;
  double mean_total = 0.0;
  int median_total = 0;
  int low_total = 0;                     // lower end of the interval
  int high_total = 0;                    // upper end
  double mean_detect_probability = 1.0;  // share of all visits that are seen (posterior mean)
  double detect_probability = 1.0;       // p_det: posterior mean and 90 % interval
  double detect_probability_low = 1.0;
  double detect_probability_high = 1.0;
  int views_inside_visits = 0;        // views from first to last seen of the visits seen
  int detections_inside_visits = 0;   // of which showed the vessel
  double median_dwell_days = 0.0;     // of the observed visits (mid of their bounds)
  double median_view_gap_days = 0.0;  // between views of a berth
};

MissedVisitEstimate EstimateMissedVisits(const TallyResult& result, const CheckOptions& options);

// How many of the visits seen arrived empty and left full. A vessel at a berth loads or
// discharges, so each visit is taken to go one of the terminal's two ways: empty->full or
// full->empty. A visit whose own confident states or measured freeboards changed went the
// way they changed; one that showed no change (a single look, or looks that agree) may have
// gone either way: one look shows where in its stay the load was, not which way it moved.
// Those go empty->full with the terminal's loading share q, q ~ Beta(a + loading,
// a + discharging) from the visits that showed their way (a: loading_share_prior); the
// empty->full count is then `loading` + BetaBinomial(open, a + loading, a + discharging).
// The model has no place for a visit that leaves half loaded: its end states count as the
// two ways' when seen (a look 0.75 loaded is `full`).
struct TransitionEstimate {
  int visits = 0;
  int loading = 0;             // visits whose own states or freeboards rose
  int discharging = 0;         // ... fell
  int open = 0;                // showed no change
  double loading_share = 0.5;  // posterior mean of q
  double mean = 0.0;           // expected empty->full count (full->empty: visits - it)
  int estimate = 0;            // the count reported: mean rounded
  int low = 0;                 // central `interval` of the empty->full count
  int high = 0;
};

TransitionEstimate EstimateTransitions(const TallyResult& result, const CheckOptions& options);

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
