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
  if (!(max_load >= 1) || !(misread_p >= 0 && misread_p < 1)) {
    throw InputError("detection.load", "", "need max_load >= 1 and misread_p in [0, 1)");
  }
  if (!(misread_prior >= 0 && misread_prior < 1)) {
    throw InputError("detection.load", "", "misread_prior must be in [0, 1)");
  }
}

ClassProportions TankerClassProportions(double length_m) {
  ClassProportions c;
  if (!(length_m > 0)) return c;
  // L/D: PHYSICS.md's trend from 13 (<= 60 m coastal) to 10 (>= 180 m product tankers),
  // whose envelope 10-13 holds hulls of any length (large crude carriers are nearer 11):
  // halfway between the trend and the envelope's middle, 12.25 .. 10.75, +- 9 % (+-1 in L/D).
  const double t = std::clamp((length_m - 60.0) / 120.0, 0.0, 1.0);
  const double l_over_d = 0.5 * (11.5 + 13.0 + t * (10.0 - 13.0));
  c.depth_m = length_m / l_over_d;
  c.depth_sigma_m = 0.09 * c.depth_m;
  // Laden draft 0.70-0.78 D (uniform: 0.023 D).
  c.laden_draft_m = 0.74 * c.depth_m;
  c.laden_draft_sigma_m = 0.025 * c.depth_m;
  // Ballast draught: at least MARPOL Annex I Reg. 18's minimum amidships (2.0 + 0.02 L; small
  // hulls, which cannot ballast that deep relative to their depth, near a share of the laden
  // draft), and often deeper, to ~0.45 D, for propeller and bow immersion: uniform between.
  const double least = std::min(2.0 + 0.02 * length_m, 0.6 * c.laden_draft_m);
  const double most = std::max(least, 0.45 * c.depth_m);
  c.ballast_draft_m = 0.5 * (least + most);
  c.ballast_draft_sigma_m = (most - least) / std::sqrt(12.0) + 0.2;
  return c;
}

namespace {

// Depth and drafts of one hypothesis about the hull, with their 1-sigma spreads.
struct HullHypothesis {
  double depth, depth_sd, laden, laden_sd, ballast, ballast_sd, weight;
};

bool UsableRegistryEntry(const FleetVessel* v) {
  return v != nullptr && v->depth_m > 0 && v->laden_draft_m > v->ballast_draft_m;
}

// Relative length and beam errors of `v` against the measured dimensions, and the matching
// tolerances: 5 % of length and 10 % of beam, widened by a pixel (`gsd_m`, 0 or NaN: none)
// in quadrature, since a hull a few pixels wide cannot be measured to 10 % (at 3 m a 21 m
// beam is 7 px).
struct DimensionMatch {
  double dl = 0, db = 0;        // relative errors
  double tol_l = 0, tol_b = 0;  // relative tolerances
  double px_l = 0, px_b = 0;    // a pixel, relative to length and beam
  bool within = false;          // false also when `v` has no dimensions
};

DimensionMatch MatchDimensions(const FleetVessel& v, double length_m, double beam_m, double gsd_m) {
  DimensionMatch m;
  if (!(v.length_m > 0) || !(v.beam_m > 0)) return m;
  const double px = std::isfinite(gsd_m) && gsd_m > 0 ? gsd_m : 0.0;
  m.px_l = px / v.length_m;
  m.px_b = px / v.beam_m;
  m.dl = std::abs(length_m - v.length_m) / v.length_m;
  m.db = std::abs(beam_m - v.beam_m) / v.beam_m;
  m.tol_l = std::hypot(0.05, m.px_l);
  m.tol_b = std::hypot(0.10, m.px_b);
  m.within = m.dl <= m.tol_l && m.db <= m.tol_b;
  return m;
}

HullHypothesis FromRegistry(const FleetVessel& v, double weight) {
  // Registry drafts are nominal: a little spread for trim, sag and marks.
  return {v.depth_m, 0.0, v.laden_draft_m, 0.05, v.ballast_draft_m, 0.1, weight};
}

}  // namespace

LoadEstimate EstimateLoad(const FreeboardEstimate& freeboard, double length_m, double beam_m,
                          const FleetVessel* registry, const LoadOptions& options) {
  std::vector<RegistryCandidate> one;
  if (registry != nullptr) one.push_back({registry, 1.0});
  return EstimateLoad(freeboard, length_m, beam_m, one, options);
}

LoadEstimate EstimateLoad(const FreeboardEstimate& freeboard, double length_m, double beam_m,
                          const std::vector<RegistryCandidate>& registry,
                          const LoadOptions& options) {
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
  std::vector<HullHypothesis> hyps;
  double weight_sum = 0;
  for (const RegistryCandidate& c : registry) {
    if (UsableRegistryEntry(c.vessel) && c.weight > 0) {
      hyps.push_back(FromRegistry(*c.vessel, c.weight));
      weight_sum += c.weight;
    }
  }
  if (hyps.empty()) {
    const ClassProportions c = TankerClassProportions(length_m);
    if (!std::isfinite(c.depth_m)) {
      out.reason = "no hull length";
      return out;
    }
    hyps.push_back({c.depth_m, c.depth_sigma_m, c.laden_draft_m, c.laden_draft_sigma_m,
                    c.ballast_draft_m, c.ballast_draft_sigma_m, 1.0});
    weight_sum = 1.0;
  }
  std::vector<double> cumulative;
  double acc = 0, nominal = 0;
  for (auto& h : hyps) {
    h.weight /= weight_sum;
    acc += h.weight;
    cumulative.push_back(acc);
    nominal += h.weight * (h.depth - f0 - h.ballast) / (h.laden - h.ballast);
  }

  // Monte Carlo over the freeboard error and the hull proportions (deterministic seed), so
  // the state probabilities are the Gaussian mass of the load inside each state's range.
  constexpr int kSamples = 4000;
  std::mt19937 rng(12345);
  std::normal_distribution<double> g(0.0, 1.0);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  int n_empty = 0, n_full = 0, n_possible = 0;
  double sum = 0, sum2 = 0;
  // Likelihood of the reading under a good measurement: the mean over possible loads
  // (uniform in [-0.25, max_load]) and hulls of the Gaussian density at the reading.
  double good_likelihood = 0, depth_mean = 0;
  for (const auto& h : hyps) depth_mean += h.weight * h.depth;
  for (int i = 0; i < kSamples; ++i) {
    size_t k = 0;
    if (hyps.size() > 1) {
      const auto it = std::lower_bound(cumulative.begin(), cumulative.end(), u(rng));
      k = std::min(static_cast<size_t>(it - cumulative.begin()), hyps.size() - 1);
    }
    const HullHypothesis& h = hyps[k];
    const double zd = g(rng);
    const double d = h.depth + h.depth_sd * zd;
    // Laden draft scales with depth when it comes from proportions.
    const double tl = h.laden * (d / h.depth) + h.laden_sd * g(rng);
    const double tb = std::min(h.ballast + h.ballast_sd * g(rng), tl - 0.2);
    const double f = f0 + f_sigma * g(rng);
    const double load = (d - f - tb) / (tl - tb);
    const double load_possible = -0.25 + (options.max_load + 0.25) * u(rng);
    const double zf = (f0 - (d - tb - load_possible * (tl - tb))) / f_sigma;
    good_likelihood +=
        0.3989422804014327 * std::exp(-0.5 * zf * zf) / f_sigma;  // N(0,1) density / sigma
    if (load < options.empty_below) ++n_empty;
    if (load > options.full_above) ++n_full;
    if (load <= options.max_load) ++n_possible;
    const double lc = std::clamp(load, 0.0, 1.0);
    sum += lc;
    sum2 += lc * lc;
  }
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
  if (static_cast<double>(n_possible) / kSamples < options.misread_p) {
    out.state = LoadState::kUnknown;
    out.confidence = 0.0;
    out.reason = "freeboard below the load line (a misread)";
    return out;
  }
  // Posterior probability that the reading is good, against a misread spread evenly over
  // [0, the class's plausible freeboard] (as EstimateFreeboard bounds it).
  good_likelihood /= kSamples;
  const double misread_likelihood = 1.0 / PlausibleMaxFreeboard(depth_mean);
  const double p_good = (1.0 - options.misread_prior) * good_likelihood /
                        std::max((1.0 - options.misread_prior) * good_likelihood +
                                     options.misread_prior * misread_likelihood,
                                 1e-300);
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
  if (p_good * p_best >= options.min_confidence) {
    out.state = best;
    out.confidence = p_good * p_best;
  } else {
    out.state = LoadState::kUnknown;
    out.confidence = 0.0;
    out.reason = p_best >= options.min_confidence ? "freeboard outside the hull's range"
                                                  : "load between states";
  }
  return out;
}

const FleetVessel* MatchFleetVessel(const Fleet& fleet, double length_m, double beam_m,
                                    double gsd_m) {
  if (!(length_m > 0) || !(beam_m > 0)) return nullptr;
  const FleetVessel* best = nullptr;
  double best_score = 1e300;
  for (const auto& v : fleet.vessels) {
    const DimensionMatch m = MatchDimensions(v, length_m, beam_m, gsd_m);
    if (!m.within) continue;
    const double score = (m.dl / m.tol_l) * (m.dl / m.tol_l) + (m.db / m.tol_b) * (m.db / m.tol_b);
    if (score < best_score) {
      best_score = score;
      best = &v;
    }
  }
  return best;
}

std::vector<RegistryCandidate> MatchFleetVessels(const Fleet& fleet, double length_m, double beam_m,
                                                 const FreeboardEstimate* freeboard, double gsd_m) {
  std::vector<RegistryCandidate> out;
  if (!(length_m > 0) || !(beam_m > 0)) return out;
  const bool have_f = freeboard != nullptr && freeboard->observable &&
                      std::isfinite(freeboard->freeboard_m) && std::isfinite(freeboard->sigma_m);
  double sum = 0;
  for (const auto& v : fleet.vessels) {
    const DimensionMatch m = MatchDimensions(v, length_m, beam_m, gsd_m);
    if (!m.within) continue;
    // Half a pixel of measurement error on each side, in quadrature with the relative spread.
    const double sl = std::hypot(0.02, 0.5 * m.px_l), sb = std::hypot(0.05, 0.5 * m.px_b);
    double w = std::exp(-0.5 * ((m.dl / sl) * (m.dl / sl) + (m.db / sb) * (m.db / sb)));
    if (have_f && UsableRegistryEntry(&v)) {
      // A vessel whose range between laden and ballast freeboard the estimate misses is less
      // likely; inside the range no load is preferred (loads cluster at both ends of it).
      const double lo = v.depth_m - v.laden_draft_m, hi = v.depth_m - v.ballast_draft_m;
      const double s = std::hypot(freeboard->sigma_m, 0.1);
      const double miss = std::max({0.0, lo - freeboard->freeboard_m, freeboard->freeboard_m - hi});
      w *= std::exp(-0.5 * (miss / s) * (miss / s));
    }
    if (!(w > 0)) continue;
    out.push_back({&v, w});
    sum += w;
  }
  for (auto& c : out) c.weight /= sum;
  return out;
}

}  // namespace bw
