// Freeboard -> draft -> load fraction and state; registry matching; class proportions.
#include <algorithm>
#include <cmath>
#include <random>

#include "detection/freeboard.h"
#include "geo/error.h"

namespace bw {

void LoadOptions::Check() const {
  if (!(empty_below > 0 && empty_below < full_above && full_above < 1)) {
    throw InputError("detection.load", "", "need 0 < empty_below < full_above < 1");
  }
  if (!(min_confidence >= 0 && min_confidence <= 1)) {
    throw InputError("detection.load", "", "min_confidence must be in [0, 1]");
  }
}

ClassProportions TankerClassProportions(double length_m) {
  ClassProportions c;
  if (!(length_m > 0)) return c;
  // L/D from 13 (<= 60 m coastal) to 10 (>= 180 m product tankers).
  const double t = std::clamp((length_m - 60.0) / 120.0, 0.0, 1.0);
  const double l_over_d = 13.0 + t * (10.0 - 13.0);
  c.depth_m = length_m / l_over_d;
  c.depth_sigma_m = 0.06 * c.depth_m;
  c.laden_draft_m = 0.74 * c.depth_m;
  c.laden_draft_sigma_m = 0.02 * c.depth_m;
  // MARPOL Annex I Reg. 18 minimum ballast draught; small hulls cannot ballast that deep
  // relative to their depth, so it is bounded by a share of the laden draft.
  const double marpol = 2.0 + 0.02 * length_m;
  c.ballast_draft_m = std::min(marpol, 0.6 * c.laden_draft_m);
  c.ballast_draft_sigma_m = 0.1 * c.ballast_draft_m + 0.2;
  return c;
}

LoadEstimate EstimateLoad(const FreeboardEstimate& freeboard, double length_m, double beam_m,
                          const FleetVessel* registry, const LoadOptions& options) {
  (void)beam_m;
  options.Check();
  LoadEstimate out;
  // A censored shadow bounds the freeboard from below, so the load from above: enough to
  // call a hull empty, never full.
  const bool bound_only = !freeboard.observable && std::isfinite(freeboard.lower_bound_m) &&
                          std::isfinite(freeboard.lower_bound_sigma_m);
  if (!bound_only && (!freeboard.observable || !std::isfinite(freeboard.freeboard_m) ||
                      !std::isfinite(freeboard.sigma_m))) {
    out.reason = freeboard.reason.empty() ? "freeboard unobservable" : freeboard.reason;
    return out;
  }
  const double f0 = bound_only ? freeboard.lower_bound_m : freeboard.freeboard_m;
  const double f_sigma = bound_only ? freeboard.lower_bound_sigma_m : freeboard.sigma_m;
  double depth, depth_sd, laden, laden_sd, ballast, ballast_sd;
  if (registry != nullptr && registry->depth_m > 0 &&
      registry->laden_draft_m > registry->ballast_draft_m) {
    depth = registry->depth_m;
    laden = registry->laden_draft_m;
    ballast = registry->ballast_draft_m;
    // Registry drafts are nominal: a little spread for trim, sag and marks.
    depth_sd = 0.0;
    laden_sd = 0.05;
    ballast_sd = 0.1;
  } else {
    const ClassProportions c = TankerClassProportions(length_m);
    if (!std::isfinite(c.depth_m)) {
      out.reason = "no hull length";
      return out;
    }
    depth = c.depth_m;
    depth_sd = c.depth_sigma_m;
    laden = c.laden_draft_m;
    laden_sd = c.laden_draft_sigma_m;
    ballast = c.ballast_draft_m;
    ballast_sd = c.ballast_draft_sigma_m;
  }

  // Monte Carlo over the freeboard error and the hull proportions (deterministic seed), so
  // the state probabilities are the Gaussian mass of the load inside each state's range.
  constexpr int kSamples = 4000;
  std::mt19937 rng(12345);
  std::normal_distribution<double> g(0.0, 1.0);
  int n_empty = 0, n_full = 0;
  double sum = 0, sum2 = 0;
  for (int i = 0; i < kSamples; ++i) {
    const double zd = g(rng);
    const double d = depth + depth_sd * zd;
    // Laden draft scales with depth when it comes from proportions.
    const double tl = laden * (d / depth) + laden_sd * g(rng);
    const double tb = std::min(ballast + ballast_sd * g(rng), tl - 0.2);
    const double f = f0 + f_sigma * g(rng);
    const double load = (d - f - tb) / (tl - tb);
    if (load < options.empty_below) ++n_empty;
    if (load > options.full_above) ++n_full;
    const double lc = std::clamp(load, 0.0, 1.0);
    sum += lc;
    sum2 += lc * lc;
  }
  const double nominal = (depth - f0 - ballast) / (laden - ballast);
  out.load_fraction = std::clamp(nominal, 0.0, 1.0);
  const double mean = sum / kSamples;
  out.load_sigma = std::sqrt(std::max(0.0, sum2 / kSamples - mean * mean));
  const double p_empty = static_cast<double>(n_empty) / kSamples;
  if (bound_only) {
    // load_fraction is then the upper bound of the load.
    if (p_empty >= options.min_confidence) {
      out.state = LoadState::kEmpty;
      out.confidence = p_empty;
    } else {
      out.reason = freeboard.reason + " (load at most " +
                   std::to_string(out.load_fraction).substr(0, 4) + ")";
    }
    return out;
  }
  const double p_full = static_cast<double>(n_full) / kSamples;
  const double p_partial = 1.0 - p_empty - p_full;
  LoadState best = LoadState::kPartial;
  double p_best = p_partial;
  if (p_empty > p_best) {
    best = LoadState::kEmpty;
    p_best = p_empty;
  }
  if (p_full > p_best) {
    best = LoadState::kFull;
    p_best = p_full;
  }
  if (p_best >= options.min_confidence) {
    out.state = best;
    out.confidence = p_best;
  } else {
    out.state = LoadState::kUnknown;
    out.confidence = 0.0;
    out.reason = "load between states";
  }
  return out;
}

const FleetVessel* MatchFleetVessel(const Fleet& fleet, double length_m, double beam_m) {
  if (!(length_m > 0) || !(beam_m > 0)) return nullptr;
  const FleetVessel* best = nullptr;
  double best_score = 1e300;
  for (const auto& v : fleet.vessels) {
    if (!(v.length_m > 0) || !(v.beam_m > 0)) continue;
    const double dl = std::abs(length_m - v.length_m) / v.length_m;
    const double db = std::abs(beam_m - v.beam_m) / v.beam_m;
    if (dl > 0.05 || db > 0.10) continue;
    const double score = (dl / 0.05) * (dl / 0.05) + (db / 0.10) * (db / 0.10);
    if (score < best_score) {
      best_score = score;
      best = &v;
    }
  }
  return best;
}

}  // namespace bw
