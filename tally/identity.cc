#include "tally/identity.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <set>
#include <tuple>

#include "geo/error.h"

namespace bw {

namespace {

constexpr const char* kStage = "tally.identity";

double Median(std::vector<double> v) {
  if (v.empty()) return kNaN;
  const size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
  double m = v[mid];
  if (v.size() % 2 == 0) {
    m = 0.5 * (m + *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid)));
  }
  return m;
}

Signature MedianSignature(const std::vector<Signature>& members,
                          std::array<int, kSignatureSize>* counts) {
  Signature out;
  for (int k = 0; k < kSignatureSize; ++k) {
    std::vector<double> v;
    for (const Signature& s : members) {
      if (std::isfinite(s[static_cast<size_t>(k)])) v.push_back(s[static_cast<size_t>(k)]);
    }
    out[static_cast<size_t>(k)] = Median(v);
    if (counts != nullptr) (*counts)[static_cast<size_t>(k)] = static_cast<int>(v.size());
  }
  return out;
}

struct Cluster {
  std::vector<Signature> members;
  std::vector<uint8_t> unclean;  // per member (see IdentityGroup::unclean)
  std::set<int> scenes;
  std::vector<std::pair<TimePoint, TimePoint>> spans;
  std::vector<int> groups;
  // Clean looks (weighted, at most three per group) and those where the superstructure stood
  // out from the deck (see ClusterWithRegistry).
  std::array<double, 2> seen{0.0, 0.0};
  Signature median{};
  std::array<int, kSignatureSize> counts{};
  TimePoint first{};
  bool alive = true;

  // Medians over the clean looks where any has the element: a look with cloud in its ring
  // measures up to 4 m wide (seed 3: Jade Crest's 19.8 m beam for 15.6 beside a clean
  // 16.1 made its visit another hull).
  void Update() {
    std::vector<Signature> clean;
    for (size_t i = 0; i < members.size(); ++i) {
      if (i >= unclean.size() || unclean[i] == 0) clean.push_back(members[i]);
    }
    median = MedianSignature(members, &counts);
    if (!clean.empty() && clean.size() < members.size()) {
      std::array<int, kSignatureSize> clean_counts{};
      const Signature m = MedianSignature(clean, &clean_counts);
      for (size_t k = 0; k < kSignatureSize; ++k) {
        if (clean_counts[k] > 0) {
          median[k] = m[k];
          counts[k] = clean_counts[k];
        }
      }
    }
    first = spans.empty() ? TimePoint{} : spans.front().first;
    for (const auto& s : spans) first = std::min(first, s.first);
  }
};

bool CannotLink(const Cluster& a, const Cluster& b) {
  for (int s : a.scenes) {
    if (b.scenes.count(s)) return true;
  }
  for (const auto& x : a.spans) {
    for (const auto& y : b.spans) {
      if (x.first <= y.second && y.first <= x.second) return true;
    }
  }
  return false;
}

// Clean looks of a group, at most three looks' worth (looks in one visit share the paint's
// contrast), and of those the ones where the superstructure stood out: {seen, looks}.
std::array<double, 2> SuperstructureSeen(const IdentityGroup& g) {
  std::array<double, 2> seen{0.0, 0.0};
  for (size_t i = 0; i < g.members.size(); ++i) {
    if (i < g.unclean.size() && g.unclean[i] != 0) continue;
    seen[1] += 1.0;
    if (std::isfinite(g.members[i][5])) seen[0] += 1.0;
  }
  const double w = std::min(1.0, 3.0 / std::max(1.0, seen[1]));
  return {seen[0] * w, seen[1] * w};
}

// Log Bayes factor of one superstructure rate for two clusters' looks against a rate each
// (beta-binomial, Jeffreys prior): about -3 nats for 0 of 3 against 3 of 3, near 0 when
// either has few looks or both rates are alike.
double SeenLogBayes(const std::array<double, 2>& a, const std::array<double, 2>& b) {
  auto lbeta = [](double x, double y) {
    return std::lgamma(x) + std::lgamma(y) - std::lgamma(x + y);
  };
  auto lm = [&](double k, double n) { return lbeta(0.5 + k, 0.5 + n - k) - lbeta(0.5, 0.5); };
  return lm(a[0] + b[0], a[1] + b[1]) - lm(a[0], a[1]) - lm(b[0], b[1]);
}

struct Distance {
  double rms = std::numeric_limits<double>::infinity();
  double max_z = std::numeric_limits<double>::infinity();
};

Distance Compare(const Cluster& a, const Cluster& b, const Signature& sigma, double systematic) {
  double sum = 0.0, dims = 0.0;
  double max_z = 0.0;
  int used = 0, used_dims = 0;
  for (size_t k = 0; k < kSignatureSize; ++k) {
    if (!std::isfinite(a.median[k]) || !std::isfinite(b.median[k])) continue;
    const double var_a = sigma[k] * sigma[k] * (1.0 / std::max(1, a.counts[k]) + systematic);
    const double var_b = sigma[k] * sigma[k] * (1.0 / std::max(1, b.counts[k]) + systematic);
    const double z = std::abs(a.median[k] - b.median[k]) / std::sqrt(var_a + var_b);
    sum += z * z;
    max_z = std::max(max_z, z);
    ++used;
    if (k < 2) {
      dims += z * z;
      ++used_dims;
    }
  }
  if (used == 0) return {};
  // Length and beam are the precise elements: their own RMS is not diluted by appearance
  // elements that agree (deck colour varies with the light; seed 1 of `default` without a
  // registry joined an 86 x 12.7 m hull to a 90.5 x 14.2 m one at an overall RMS under 2).
  double rms = std::sqrt(sum / used);
  if (used_dims > 0) rms = std::max(rms, std::sqrt(dims / used_dims));
  return {rms, max_z};
}

// Noise from the within-track scatter: every pair of looks at one hull differs by noise
// alone, |x_i - x_j| / sqrt(2) has the noise's MAD, so 1.4826 * median of those is an
// unbiased robust sigma even for tracks of two or three looks (deviations from a track's own
// median are not: with three looks one of them is always zero, which biased sigma ~45 % low
// and split vessels on noise).
Signature EstimateSigma(const std::vector<IdentityGroup>& groups, const IdentityOptions& o) {
  Signature sigma = o.sigma;
  if (!o.estimate_noise) return sigma;
  for (size_t k = 0; k < kSignatureSize; ++k) {
    std::vector<double> dev;
    for (const IdentityGroup& g : groups) {
      std::vector<double> v;
      for (const Signature& s : g.members) {
        if (std::isfinite(s[k])) v.push_back(s[k]);
      }
      for (size_t i = 0; i < v.size(); ++i) {
        for (size_t j = i + 1; j < v.size(); ++j) dev.push_back(std::abs(v[i] - v[j]) / M_SQRT2);
      }
    }
    if (dev.size() < 8) continue;  // too little to estimate: keep the prior
    const double mad_sigma = 1.4826 * Median(dev);
    sigma[k] = std::max(o.sigma_floor[k], mad_sigma);
  }
  return sigma;
}

}  // namespace

double MixtureLlr(double x, double mu, double sd, double u, double eps, double over) {
  if (!std::isfinite(x)) return 0.0;
  double p = 0.0;
  if (over > 0.1 * sd) {
    auto cdf = [](double z) { return 0.5 * std::erfc(-z / M_SQRT2); };
    p = (cdf((x - mu) / sd) - cdf((x - mu - over) / sd)) / over;
  } else {
    const double z = (x - mu) / sd;
    p = std::exp(-0.5 * z * z) / (sd * std::sqrt(2.0 * M_PI));
  }
  return std::log((1.0 - eps) * p + eps * u) - std::log(u);
}

Signature EstimateNoise(const std::vector<IdentityGroup>& groups, const IdentityOptions& options) {
  return EstimateSigma(groups, options);
}

RegistryFit::RegistryFit(const Fleet& fleet, const Signature& sigma,
                         const IdentityOptions& options) {
  double l_lo = 1e9, l_hi = -1e9, b_lo = 1e9, b_hi = -1e9;
  for (const FleetVessel& v : fleet.vessels) {
    length_.push_back(v.length_m);
    beam_.push_back(v.beam_m);
    l_lo = std::min(l_lo, v.length_m);
    l_hi = std::max(l_hi, v.length_m);
    b_lo = std::min(b_lo, v.beam_m);
    b_hi = std::max(b_hi, v.beam_m);
  }
  if (length_.empty()) return;
  u_l_ = 1.0 / (l_hi - l_lo + 0.5 * l_hi);
  u_b_ = 1.0 / (b_hi - b_lo + 0.5 * b_hi);
  eps_ = options.registry_outlier_share;
  s_l_ = std::hypot(sigma[0], options.registry_sigma_length_m);
  s_b_ = std::hypot(sigma[1], options.registry_sigma_beam_m);
  prior_listed_ =
      std::log((1.0 - options.registry_unlisted_prior) / static_cast<double>(length_.size()));
  prior_none_ = std::log(options.registry_unlisted_prior);
  // At the registry value a look scores the peak; a gross error scores the floor.
  const double peak_l = MixtureLlr(0.0, 0.0, s_l_, u_l_, eps_);
  const double peak_b = MixtureLlr(0.0, 0.0, s_b_, u_b_, eps_);
  const double floor = std::log(eps_);
  max_element_penalty_ = std::max(peak_l, peak_b) - floor;
}

double RegistryFit::Llr(const Signature& look, size_t r) const {
  return MixtureLlr(look[0], length_[r], s_l_, u_l_, eps_) +
         MixtureLlr(look[1], beam_[r], s_b_, u_b_, eps_);
}

RegistryFit::Match RegistryFit::Classify(const Signature& look) const {
  // An element is explained by the noise around the vessel's value, not by a gross error.
  auto plain = [&](double x, double mu, double sd, double u) {
    const double z = (x - mu) / sd;
    return (1.0 - eps_) * std::exp(-0.5 * z * z) / (sd * std::sqrt(2.0 * M_PI)) >= eps_ * u;
  };
  const bool has_l = std::isfinite(look[0]), has_b = std::isfinite(look[1]);
  if (!has_l && !has_b) return Match::kListed;  // nothing to judge by
  Match best = Match::kNone;
  for (size_t r = 0; r < size(); ++r) {
    const bool ok_l = !has_l || plain(look[0], length_[r], s_l_, u_l_);
    const bool ok_b = !has_b || plain(look[1], beam_[r], s_b_, u_b_);
    if (ok_l && ok_b && Llr(look, r) + prior_listed_ > prior_none_) return Match::kListed;
    if ((has_l && ok_l) || (has_b && ok_b)) best = Match::kOneGrossError;
  }
  return best;
}

Signature SignatureOf(const Detection& d) {
  // Positions along the hull are measured from whichever end was taken as the bow; the
  // superstructure is aft of midships on a tanker, so a position below 0.5 was measured from
  // the stern: fold it (the manifold is amidships and folds the same way).
  auto fold = [](double p) { return std::isfinite(p) && p < 0.5 ? 1.0 - p : p; };
  const bool flipped = std::isfinite(d.superstructure_pos) && d.superstructure_pos < 0.5;
  const double manifold =
      flipped && std::isfinite(d.manifold_pos) ? 1.0 - d.manifold_pos : d.manifold_pos;
  // Deck colour: log brightness and log chromaticity, each channel with a small reflectance
  // offset (about the noise of a dark deck's mean): on a dark deck the additive noise of the
  // channels, not the paint, would otherwise rule the ratios.
  constexpr double kOffset = 0.05;
  const bool colour = d.deck_rgb[0] >= 0 && d.deck_rgb[1] >= 0 && d.deck_rgb[2] >= 0;  // not NaN
  const double r = d.deck_rgb[0] + kOffset, g = d.deck_rgb[1] + kOffset,
               b = d.deck_rgb[2] + kOffset;
  return {d.length_m,
          d.beam_m,
          colour ? std::log(r + g + b) : kNaN,
          colour ? std::log(r / g) : kNaN,
          colour ? std::log(b / g) : kNaN,
          fold(d.superstructure_pos),
          manifold};
}

void IdentityOptions::Check() const {
  for (size_t k = 0; k < kSignatureSize; ++k) {
    if (!(sigma[k] > 0) || !(sigma_floor[k] > 0)) {
      throw InputError(kStage, "", "identity noise sigmas must be positive");
    }
  }
  if (!(merge_rms > 0) || !(merge_max_z > 0) || !(ambiguous_rms >= merge_rms) ||
      systematic_share < 0 || !(name_max_rms > 0) || !(registry_freeboard_sigma_m > 0) ||
      !(superstructure_height_m >= 0) || !(cluster_superstructure_nats >= 0)) {
    throw InputError(kStage, "", "identity thresholds out of range");
  }
}

double LengthOverhang(const Detection& d, double off_nadir_deg, double view_azimuth_deg,
                      const IdentityOptions& options) {
  if (!options.registry_use_overhang || !std::isfinite(off_nadir_deg) ||
      !std::isfinite(view_azimuth_deg) || !std::isfinite(d.heading_deg)) {
    return 0.0;
  }
  const double deg = M_PI / 180.0;
  const double tan_v = std::tan(std::clamp(off_nadir_deg, 0.0, 60.0) * deg);
  const double lean = view_azimuth_deg + 180.0;  // tops lean away from the sensor
  double along = 0.0;                            // cos(lean - aft)
  if (std::isfinite(d.superstructure_pos)) {
    const double aft = d.heading_deg + (d.superstructure_pos >= 0.5 ? 180.0 : 0.0);
    along = std::cos((lean - aft) * deg);
  } else if (d.bow_resolved) {
    along = std::cos((lean - d.heading_deg - 180.0) * deg);
  } else {
    along = std::abs(std::cos((lean - d.heading_deg) * deg));
  }
  return std::max(0.0, options.superstructure_height_m * tan_v * along);
}

double HullSideFactor(const Detection& d, double off_nadir_deg, double view_azimuth_deg,
                      double sun_azimuth_deg, const IdentityOptions& options) {
  if (!options.registry_use_beam_overhang || !std::isfinite(off_nadir_deg) ||
      !std::isfinite(view_azimuth_deg) || !std::isfinite(d.heading_deg)) {
    return 0.0;
  }
  const double deg = M_PI / 180.0;
  // The side seen faces the sensor (its normal towards the view azimuth); the sun lights
  // the side towards its azimuth. Heading 0-180 (bow unresolved) gives the same signs.
  if (std::isfinite(sun_azimuth_deg) &&
      std::sin((sun_azimuth_deg - d.heading_deg) * deg) *
              std::sin((view_azimuth_deg - d.heading_deg) * deg) <=
          0.0) {
    return 0.0;
  }
  const double tan_v = std::tan(std::clamp(off_nadir_deg, 0.0, 60.0) * deg);
  return tan_v * std::abs(std::sin((view_azimuth_deg + 180.0 - d.heading_deg) * deg));
}

double BeamOverhang(const IdentityGroup& group, size_t i, double fallback_freeboard_m) {
  if (i >= group.hull_side_factor.size()) return 0.0;
  const double f = i < group.freeboard_m.size() ? group.freeboard_m[i] : kNaN;
  const double fs = i < group.freeboard_sigma_m.size() && std::isfinite(group.freeboard_sigma_m[i])
                        ? group.freeboard_sigma_m[i]
                        : 0.0;
  const double freeboard = std::isfinite(f) ? f + 2.0 * fs : fallback_freeboard_m;
  return std::max(0.0, freeboard * group.hull_side_factor[i]);
}

IdentityResult ClusterGroups(const std::vector<IdentityGroup>& raw_groups,
                             const IdentityOptions& options) {
  options.Check();
  // Each look's length and beam less half of what the view can add to them (the
  // superstructure leaning past the stern, a lit hull side beside the deck: uniform in
  // [0, overhang], see ClusterWithRegistry), so that looks from different views compare.
  std::vector<IdentityGroup> groups = raw_groups;
  if (options.cluster_remove_overhang) {
    for (IdentityGroup& g : groups) {
      for (size_t i = 0; i < g.members.size(); ++i) {
        const double lo = i < g.length_overhang_m.size() ? g.length_overhang_m[i] : 0.0;
        const double bo = BeamOverhang(g, i, options.hull_side_freeboard_m);
        if (std::isfinite(lo)) g.members[i][0] -= 0.5 * lo;
        if (std::isfinite(bo)) g.members[i][1] -= 0.5 * bo;
      }
    }
  }
  IdentityResult result;
  result.sigma = EstimateSigma(groups, options);
  const double sys = options.systematic_share;
  spdlog::debug(
      "{}: noise length {:.2f} m, beam {:.2f} m, deck {:.3f} {:.3f} {:.3f}, positions "
      "{:.3f} {:.3f}",
      kStage, result.sigma[0], result.sigma[1], result.sigma[2], result.sigma[3], result.sigma[4],
      result.sigma[5], result.sigma[6]);

  std::vector<Cluster> clusters(groups.size());
  for (size_t i = 0; i < groups.size(); ++i) {
    Cluster& c = clusters[i];
    c.members = groups[i].members;
    c.unclean = groups[i].unclean;
    c.unclean.resize(c.members.size(), 0);
    c.scenes.insert(groups[i].scenes.begin(), groups[i].scenes.end());
    c.spans.push_back({groups[i].first, groups[i].last});
    c.groups.push_back(static_cast<int>(i));
    c.seen = SuperstructureSeen(groups[i]);
    c.Update();
  }
  // Whether a superstructure stands out is a paint property: clusters that clearly differ in
  // it are two hulls, whatever their dimensions say.
  auto paint_differs = [&](const Cluster& a, const Cluster& b) {
    return options.cluster_use_superstructure &&
           SeenLogBayes(a.seen, b.seen) < -options.cluster_superstructure_nats;
  };

  // Greedy agglomeration: merge the closest admissible pair until none is close enough.
  int close_calls = 0;
  for (;;) {
    double best = std::numeric_limits<double>::infinity();
    size_t bi = 0, bj = 0;
    for (size_t i = 0; i < clusters.size(); ++i) {
      if (!clusters[i].alive) continue;
      for (size_t j = i + 1; j < clusters.size(); ++j) {
        if (!clusters[j].alive) continue;
        const Distance d = Compare(clusters[i], clusters[j], result.sigma, sys);
        if (d.rms >= options.merge_rms || d.max_z >= options.merge_max_z || d.rms >= best) {
          continue;
        }
        if (CannotLink(clusters[i], clusters[j]) || paint_differs(clusters[i], clusters[j])) {
          continue;
        }
        best = d.rms;
        bi = i;
        bj = j;
      }
    }
    if (!std::isfinite(best)) break;
    if (best > 0.75 * options.merge_rms) ++close_calls;
    Cluster& a = clusters[bi];
    Cluster& b = clusters[bj];
    a.members.insert(a.members.end(), b.members.begin(), b.members.end());
    a.unclean.insert(a.unclean.end(), b.unclean.begin(), b.unclean.end());
    a.scenes.insert(b.scenes.begin(), b.scenes.end());
    a.spans.insert(a.spans.end(), b.spans.begin(), b.spans.end());
    a.groups.insert(a.groups.end(), b.groups.begin(), b.groups.end());
    a.seen = {a.seen[0] + b.seen[0], a.seen[1] + b.seen[1]};
    a.Update();
    b.alive = false;
  }

  std::vector<size_t> alive;
  for (size_t i = 0; i < clusters.size(); ++i) {
    if (clusters[i].alive) alive.push_back(i);
  }
  std::sort(alive.begin(), alive.end(), [&](size_t a, size_t b) {
    if (clusters[a].first != clusters[b].first) return clusters[a].first < clusters[b].first;
    return a < b;
  });
  result.vessel_of_group.assign(groups.size(), -1);
  for (size_t v = 0; v < alive.size(); ++v) {
    const Cluster& c = clusters[alive[v]];
    for (int g : c.groups) result.vessel_of_group[static_cast<size_t>(g)] = static_cast<int>(v);
    result.signature.push_back(c.median);
    result.detections.push_back(static_cast<int>(c.members.size()));
  }
  result.vessels = static_cast<int>(alive.size());

  // Uncertainty: how many more merges would be admissible at a looser threshold.
  std::vector<Cluster> loose;
  for (size_t i : alive) loose.push_back(clusters[i]);
  int extra_merges = 0;
  for (;;) {
    double best = std::numeric_limits<double>::infinity();
    size_t bi = 0, bj = 0;
    for (size_t i = 0; i < loose.size(); ++i) {
      if (!loose[i].alive) continue;
      for (size_t j = i + 1; j < loose.size(); ++j) {
        if (!loose[j].alive) continue;
        const Distance d = Compare(loose[i], loose[j], result.sigma, sys);
        if (d.rms >= options.ambiguous_rms || d.max_z >= 1.5 * options.merge_max_z ||
            d.rms >= best) {
          continue;
        }
        if (CannotLink(loose[i], loose[j])) continue;
        best = d.rms;
        bi = i;
        bj = j;
      }
    }
    if (!std::isfinite(best)) break;
    Cluster& a = loose[bi];
    Cluster& b = loose[bj];
    a.members.insert(a.members.end(), b.members.begin(), b.members.end());
    a.unclean.insert(a.unclean.end(), b.unclean.begin(), b.unclean.end());
    a.scenes.insert(b.scenes.begin(), b.scenes.end());
    a.spans.insert(a.spans.end(), b.spans.begin(), b.spans.end());
    a.Update();
    b.alive = false;
    ++extra_merges;
  }
  result.vessels_low = result.vessels - extra_merges;
  result.vessels_high = result.vessels + close_calls;
  spdlog::info("{}: {} groups -> {} vessels (range {}-{})", kStage, groups.size(), result.vessels,
               result.vessels_low, result.vessels_high);
  return result;
}

IdentityResult ClusterWithRegistry(const std::vector<IdentityGroup>& groups, const Fleet& fleet,
                                   const IdentityOptions& options) {
  options.Check();
  if (fleet.vessels.empty()) {
    IdentityResult r = ClusterGroups(groups, options);
    r.registry.assign(static_cast<size_t>(r.vessels), -1);
    return r;
  }
  const Signature sigma = EstimateSigma(groups, options);
  const size_t n_groups = groups.size();
  const size_t n_reg = fleet.vessels.size();
  const int kNone = -1;

  // Cannot-links between groups.
  std::vector<Cluster> single(n_groups);
  for (size_t i = 0; i < n_groups; ++i) {
    single[i].scenes.insert(groups[i].scenes.begin(), groups[i].scenes.end());
    single[i].spans.push_back({groups[i].first, groups[i].last});
  }
  std::vector<std::vector<char>> conflict(n_groups, std::vector<char>(n_groups, 0));
  for (size_t i = 0; i < n_groups; ++i) {
    for (size_t j = i + 1; j < n_groups; ++j) {
      conflict[i][j] = conflict[j][i] = CannotLink(single[i], single[j]) ? 1 : 0;
    }
  }

  // Uniform densities over the registry's range (the outlier and "unlisted" model).
  double l_lo = 1e9, l_hi = -1e9, b_lo = 1e9, b_hi = -1e9;
  for (const FleetVessel& v : fleet.vessels) {
    l_lo = std::min(l_lo, v.length_m);
    l_hi = std::max(l_hi, v.length_m);
    b_lo = std::min(b_lo, v.beam_m);
    b_hi = std::max(b_hi, v.beam_m);
  }
  const double u_l = 1.0 / (l_hi - l_lo + 0.5 * l_hi);
  const double u_b = 1.0 / (b_hi - b_lo + 0.5 * b_hi);
  const double eps = options.registry_outlier_share;
  const double s_l = std::hypot(sigma[0], options.registry_sigma_length_m);
  const double s_b = std::hypot(sigma[1], options.registry_sigma_beam_m);
  const double prior_listed =
      std::log((1.0 - options.registry_unlisted_prior) / static_cast<double>(n_reg));
  const double prior_none = std::log(options.registry_unlisted_prior);

  // Freeboard: a listed vessel's lies in [depth - laden draft, depth - ballast draft] (any load
  // between, uniform), seen through the measurement's sigma and the registry's own slack;
  // against "any hull": uniform over the registry's freeboards. Each look counts (the load
  // and the shadow measured differ between looks).
  double fb_lo = 1e9, fb_hi = -1e9;
  for (const FleetVessel& v : fleet.vessels) {
    if (!(v.depth_m > 0) || !(v.laden_draft_m > 0) || !(v.ballast_draft_m > 0)) continue;
    fb_lo = std::min(fb_lo, v.depth_m - v.laden_draft_m);
    fb_hi = std::max(fb_hi, v.depth_m - v.ballast_draft_m);
  }
  const bool use_freeboard = options.registry_use_freeboard && fb_hi > fb_lo;
  const double u_f = use_freeboard ? 1.0 / (fb_hi - fb_lo + 0.25 * fb_hi) : 1.0;
  auto freeboard_llr = [&](const IdentityGroup& grp, size_t r) {
    if (!use_freeboard) return 0.0;
    const FleetVessel& v = fleet.vessels[r];
    const double lo = v.depth_m - v.laden_draft_m, hi = v.depth_m - v.ballast_draft_m;
    if (!(v.depth_m > 0) || !(hi > lo)) return 0.0;
    double llr = 0.0;
    for (size_t i = 0; i < grp.freeboard_m.size(); ++i) {
      const double f = grp.freeboard_m[i];
      if (!std::isfinite(f)) continue;
      const double fs = i < grp.freeboard_sigma_m.size() && std::isfinite(grp.freeboard_sigma_m[i])
                            ? grp.freeboard_sigma_m[i]
                            : 0.0;
      const double sd = std::hypot(fs, options.registry_freeboard_sigma_m);
      auto cdf = [](double z) { return 0.5 * std::erfc(-z / M_SQRT2); };
      const double inside = (cdf((hi - f) / sd) - cdf((lo - f) / sd)) / (hi - lo);
      llr += std::log((1.0 - eps) * inside + eps * u_f) - std::log(u_f);
    }
    return llr;
  };
  // The most freeboard a listed hull shows (in ballast), for looks whose own was not measured.
  std::vector<double> ballast_freeboard(n_reg, options.hull_side_freeboard_m);
  for (size_t r = 0; r < n_reg; ++r) {
    const FleetVessel& v = fleet.vessels[r];
    if (v.ballast_draft_m > 0 && v.depth_m > v.ballast_draft_m) {
      ballast_freeboard[r] = v.depth_m - v.ballast_draft_m;
    }
  }
  double scale_l = 1.0, scale_b = 1.0;
  std::vector<std::vector<double>> score(n_groups, std::vector<double>(n_reg));
  auto compute_scores = [&]() {
    for (size_t g = 0; g < n_groups; ++g) {
      // Looks at one hull share view-dependent errors: count at most three looks' worth.
      const double n = static_cast<double>(std::max<size_t>(1, groups[g].members.size()));
      const double weight = std::min(1.0, 3.0 / n);
      for (size_t r = 0; r < n_reg; ++r) {
        double llr = 0.0;
        for (size_t i = 0; i < groups[g].members.size(); ++i) {
          const Signature& m = groups[g].members[i];
          const bool unclean = i < groups[g].unclean.size() && groups[g].unclean[i] != 0;
          const double e = unclean ? options.registry_unclean_outlier_share : eps;
          const double over =
              i < groups[g].length_overhang_m.size() ? groups[g].length_overhang_m[i] : 0.0;
          llr += MixtureLlr(m[0], scale_l * fleet.vessels[r].length_m, s_l, u_l, e, over);
          const double bover = BeamOverhang(groups[g], i, ballast_freeboard[r]);
          llr += MixtureLlr(m[1], scale_b * fleet.vessels[r].beam_m, s_b, u_b, e, bover);
        }
        score[g][r] = weight * llr + freeboard_llr(groups[g], r) + prior_listed;
      }
    }
  };
  std::vector<int> assign(n_groups, kNone);
  // Appearance (deck colour, superstructure and manifold position) against the other groups
  // given to the same registry vessel: a likelihood ratio "same hull" against "any hull",
  // robust like the dimensions; 0 when the registry vessel has no other group.
  std::vector<Signature> group_median(n_groups);
  std::vector<std::array<int, kSignatureSize>> group_counts(n_groups);
  for (size_t g = 0; g < n_groups; ++g) {
    group_median[g] = MedianSignature(groups[g].members, &group_counts[g]);
  }
  const double sys = options.systematic_share;
  // The reference ("any hull") is the appearance of the fleet as seen, not a uniform spread:
  // when every hull has its superstructure at 0.9 of its length, or half the fleet has a
  // red-brown deck, agreeing on that is no evidence of being the same hull.
  auto density = [&](double a, double b, double sd, double u) {
    const double z = (a - b) / sd;
    return (1.0 - eps) * std::exp(-0.5 * z * z) / (sd * std::sqrt(2.0 * M_PI)) + eps * u;
  };
  // Whether a superstructure stands out from the deck (brighter than it) is a property of the
  // paint: over the clean looks of one hull it is seen nearly always or nearly never. Per
  // group, the looks that could tell (clean ones) and those where it was seen; the evidence
  // is beta-binomial with a Jeffreys prior on the hull's rate (rates cluster at 0 and 1),
  // at most three looks' worth per group (looks in one visit share the paint's contrast).
  std::vector<std::array<double, 2>> seen(n_groups);  // {seen, looks}
  for (size_t g = 0; g < n_groups; ++g) seen[g] = SuperstructureSeen(groups[g]);
  // log P(k of n | k0 of n0 seen before), Jeffreys prior.
  auto lbeta = [](double a, double b) {
    return std::lgamma(a) + std::lgamma(b) - std::lgamma(a + b);
  };
  auto seen_lp = [&](const std::array<double, 2>& x, const std::array<double, 2>& prior) {
    const double a = 0.5 + prior[0], b = 0.5 + prior[1] - prior[0];
    return lbeta(a + x[0], b + x[1] - x[0]) - lbeta(a, b);
  };
  auto appearance = [&](size_t g, int r) {
    if (!options.registry_use_appearance) return 0.0;
    std::vector<Signature> others;
    std::array<double, 2> others_seen{0.0, 0.0};
    for (size_t h = 0; h < n_groups; ++h) {
      if (h != g && assign[h] == r) {
        others.insert(others.end(), groups[h].members.begin(), groups[h].members.end());
        others_seen[0] += seen[h][0];
        others_seen[1] += seen[h][1];
      }
    }
    if (others.empty()) return 0.0;
    std::array<int, kSignatureSize> counts{};
    const Signature med = MedianSignature(others, &counts);
    double llr = 0.0;
    for (size_t k = 2; k < kSignatureSize; ++k) {
      const double a = group_median[g][k], b = med[k];
      if (!std::isfinite(a) || !std::isfinite(b)) continue;
      // Outlier spread: log brightness, log chromaticity, positions along the hull.
      const double u = k == 2 ? 1.0 / 2.0 : k <= 4 ? 1.0 / 1.5 : 1.0 / 0.5;
      auto sd = [&](int count) {
        return sigma[k] * std::sqrt(1.0 / std::max(1, group_counts[g][k]) +
                                    1.0 / std::max(1, count) + 2.0 * sys);
      };
      double reference = 0.0;
      int n_ref = 0;
      for (size_t h = 0; h < n_groups; ++h) {
        if (h == g || !std::isfinite(group_median[h][k])) continue;
        reference += density(a, group_median[h][k], sd(group_counts[h][k]), u);
        ++n_ref;
      }
      reference = n_ref > 0 ? reference / n_ref : u;
      llr += std::log(density(a, b, sd(counts[k]), u)) - std::log(reference);
    }
    // Superstructure seen: against the other groups of the registry vessel, relative to the
    // mean over all other groups (as the reference above: agreeing with what every hull
    // shows is no evidence).
    if (options.registry_use_superstructure && seen[g][1] > 0 && others_seen[1] > 0) {
      double reference = 0.0;
      int n_ref = 0;
      for (size_t h = 0; h < n_groups; ++h) {
        if (h == g || seen[h][1] <= 0) continue;
        reference += std::exp(seen_lp(seen[g], seen[h]));
        ++n_ref;
      }
      if (n_ref > 0) llr += seen_lp(seen[g], others_seen) - std::log(reference / n_ref);
    }
    // Appearance breaks ties between vessels of like dimensions; it does not overrule them.
    const double cap = options.registry_appearance_max_nats;
    return std::clamp(llr, -cap, cap);
  };
  auto gain = [&](size_t g, int r) {
    return r == kNone ? prior_none : score[g][static_cast<size_t>(r)] + appearance(g, r);
  };

  auto feasible = [&](size_t g, int r) {
    if (r == kNone) return true;
    for (size_t h = 0; h < n_groups; ++h) {
      if (h != g && assign[h] == r && conflict[g][h]) return false;
    }
    return true;
  };
  // Local improvement while the total score rises, by steepest ascent: the best single move or
  // swap of the whole assignment at each step, so that the result does not depend on the order
  // of the groups (a first-improvement sweep in group order ended in different assignments for
  // the same groups in another order).
  auto improve = [&]() {
    std::vector<std::vector<double>> g_of(n_groups, std::vector<double>(n_reg + 1));
    for (size_t step = 0; step < 20 * n_groups + 20; ++step) {
      for (size_t g = 0; g < n_groups; ++g) {
        for (int r = kNone; r < static_cast<int>(n_reg); ++r) {
          g_of[g][static_cast<size_t>(r + 1)] = gain(g, r);
        }
      }
      auto at = [&](size_t g, int r) { return g_of[g][static_cast<size_t>(r + 1)]; };
      double best = 1e-9;
      size_t bg = 0, bh = n_groups;  // bh == n_groups: a move of bg to br
      int br = kNone;
      for (size_t g = 0; g < n_groups; ++g) {
        for (int r = kNone; r < static_cast<int>(n_reg); ++r) {
          if (r == assign[g]) continue;
          const double d = at(g, r) - at(g, assign[g]);
          if (d > best && feasible(g, r)) {
            best = d;
            bg = g;
            bh = n_groups;
            br = r;
          }
        }
      }
      for (size_t g = 0; g < n_groups; ++g) {
        for (size_t h = g + 1; h < n_groups; ++h) {
          const int rg = assign[g], rh = assign[h];
          if (rg == rh) continue;
          const double d = at(g, rh) + at(h, rg) - at(g, rg) - at(h, rh);
          if (d <= best) continue;
          assign[g] = rh;
          assign[h] = rg;
          if (feasible(g, rh) && feasible(h, rg)) {
            best = d;
            bg = g;
            bh = h;
          }
          assign[g] = rg;
          assign[h] = rh;
        }
      }
      if (best <= 1e-9) break;
      if (bh == n_groups) {
        assign[bg] = br;
      } else {
        std::swap(assign[bg], assign[bh]);
      }
    }
  };
  auto total = [&]() {
    double t = 0.0;
    for (size_t g = 0; g < n_groups; ++g) t += gain(g, assign[g]);
    return t;
  };
  // Registry vessels close enough in length and beam to be taken for each other.
  auto near = [&](size_t r1, size_t r2) {
    const FleetVessel &a = fleet.vessels[r1], &b = fleet.vessels[r2];
    return std::abs(a.length_m - b.length_m) < 4.0 * s_l &&
           std::abs(a.beam_m - b.beam_m) < 4.0 * s_b;
  };
  for (int round = 0; round < 3; ++round) {
    compute_scores();
    // Greedy: best-fitting (group, registry vessel) pairs first.
    std::fill(assign.begin(), assign.end(), kNone);
    std::vector<std::tuple<double, size_t, int>> pairs;
    for (size_t g = 0; g < n_groups; ++g) {
      for (size_t r = 0; r < n_reg; ++r) {
        if (score[g][r] > prior_none) pairs.emplace_back(score[g][r], g, static_cast<int>(r));
      }
    }
    std::sort(pairs.begin(), pairs.end(),
              [](const auto& a, const auto& b) { return std::get<0>(a) > std::get<0>(b); });
    for (const auto& [sc, g, r] : pairs) {
      if (assign[g] == kNone && feasible(g, r)) assign[g] = r;
    }
    improve();
    // The groups of one hull may all be given to a near-sister: their appearance agrees among
    // themselves there, so no single move or swap undoes it, and the hull's own registry
    // entry stays unused. For each pair of near-sisters of which one is used and one not,
    // give the used one's groups to the other at once, improve again, and keep it where the
    // total rises (relabelling pairs that are both used made a tally 30x slower and seed 3
    // worse).
    for (int kick = 0; options.registry_relabel_near_sisters && kick < 3; ++kick) {
      bool better = false;
      for (size_t r1 = 0; r1 < n_reg; ++r1) {
        for (size_t r2 = r1 + 1; r2 < n_reg; ++r2) {
          if (!near(r1, r2)) continue;
          const int a = static_cast<int>(r1), b = static_cast<int>(r2);
          const bool used_a = std::find(assign.begin(), assign.end(), a) != assign.end();
          const bool used_b = std::find(assign.begin(), assign.end(), b) != assign.end();
          if (used_a == used_b) continue;
          const std::vector<int> saved = assign;
          const double before = total();
          for (int& x : assign) x = x == a ? b : x == b ? a : x;
          improve();
          if (total() > before + 1e-6) {
            better = true;
          } else {
            assign = saved;
          }
        }
      }
      if (!better) break;
    }
    // A registry vessel nobody was given has no appearance to agree with (0 nats), while each
    // group that belongs to it may agree a little with the looks of a near-sister it was given
    // to instead: no single move takes it there (and the local improvement, which weighs a
    // move by the moving group's own gain, takes such a pair apart again). Try pairs of
    // groups that fit the unused vessel nearly as well as where they are, both at once, and
    // keep the pair that raises the total most.
    for (int pass = 0; options.registry_pair_moves && pass < 3; ++pass) {
      bool better = false;
      for (size_t r = 0; r < n_reg; ++r) {
        const int ri = static_cast<int>(r);
        if (std::find(assign.begin(), assign.end(), ri) != assign.end()) continue;
        std::vector<std::pair<double, size_t>> cand;
        for (size_t g = 0; g < n_groups; ++g) {
          if (assign[g] == kNone || !feasible(g, ri)) continue;
          const double d = gain(g, ri) - gain(g, assign[g]);
          if (d > -options.registry_pair_move_nats) cand.emplace_back(d, g);
        }
        std::sort(cand.rbegin(), cand.rend());
        if (cand.size() > 8) cand.resize(8);
        const double before = total();
        double best = before + 1e-6;
        std::pair<size_t, size_t> pick{n_groups, n_groups};
        for (size_t i = 0; i < cand.size(); ++i) {
          for (size_t j = i + 1; j < cand.size(); ++j) {
            const size_t ga = cand[i].second, gb = cand[j].second;
            if (conflict[ga][gb]) continue;
            const int ra = assign[ga], rb = assign[gb];
            assign[ga] = assign[gb] = ri;
            const double t = total();
            assign[ga] = ra;
            assign[gb] = rb;
            if (t > best) {
              best = t;
              pick = {ga, gb};
            }
          }
        }
        if (pick.first < n_groups) {
          assign[pick.first] = assign[pick.second] = ri;
          better = true;
        }
      }
      if (!better) break;
    }
    // Common scale of the measurements against the registry, from the assigned hulls.
    std::vector<double> rl, rb;
    for (size_t g = 0; g < n_groups; ++g) {
      if (assign[g] == kNone) continue;
      const FleetVessel& v = fleet.vessels[static_cast<size_t>(assign[g])];
      for (const Signature& m : groups[g].members) {
        if (std::isfinite(m[0])) rl.push_back(m[0] / v.length_m);
        if (std::isfinite(m[1])) rb.push_back(m[1] / v.beam_m);
      }
    }
    const double lim = options.registry_max_scale_bias;
    if (rl.size() >= 5) scale_l = std::clamp(Median(rl), 1.0 - lim, 1.0 + lim);
    if (rb.size() >= 5) scale_b = std::clamp(Median(rb), 1.0 - lim, 1.0 + lim);
  }

  if (spdlog::should_log(spdlog::level::debug)) {
    spdlog::debug(
        "{}: assignment total {:.2f}; noise length {:.2f} beam {:.2f} m (with registry "
        "slack {:.2f} {:.2f})",
        kStage, total(), sigma[0], sigma[1], s_l, s_b);
    for (size_t g = 0; g < n_groups; ++g) {
      std::vector<std::pair<double, int>> alts;
      for (int r = kNone; r < static_cast<int>(n_reg); ++r) alts.emplace_back(gain(g, r), r);
      std::sort(alts.rbegin(), alts.rend());
      std::string line;
      for (size_t k = 0; k < std::min<size_t>(3, alts.size()); ++k) {
        const int r = alts[k].second;
        line += fmt::format(" {}={:.2f}(dims {:.2f} app {:.2f})",
                            r == kNone ? "none" : fleet.vessels[static_cast<size_t>(r)].name,
                            alts[k].first, r == kNone ? 0.0 : score[g][static_cast<size_t>(r)],
                            r == kNone ? 0.0 : appearance(g, r));
      }
      spdlog::debug(
          "{}: group {} ({} looks, L {:.1f} B {:.1f}) -> {};{}", kStage, g,
          groups[g].members.size(), group_median[g][0], group_median[g][1],
          assign[g] == kNone ? "none" : fleet.vessels[static_cast<size_t>(assign[g])].name, line);
    }
  }
  // Vessels: one per registry vessel used, then the unlisted groups clustered.
  std::vector<size_t> unlisted;
  for (size_t g = 0; g < n_groups; ++g) {
    if (assign[g] == kNone) unlisted.push_back(g);
  }
  std::vector<IdentityGroup> rest;
  for (size_t g : unlisted) rest.push_back(groups[g]);
  IdentityResult rest_result;
  if (!rest.empty()) rest_result = ClusterGroups(rest, options);

  struct Proto {
    std::vector<size_t> groups;
    int registry = kNone;
    TimePoint first{};
  };
  std::vector<Proto> protos;
  for (size_t r = 0; r < n_reg; ++r) {
    Proto p;
    p.registry = static_cast<int>(r);
    for (size_t g = 0; g < n_groups; ++g) {
      if (assign[g] == static_cast<int>(r)) p.groups.push_back(g);
    }
    if (!p.groups.empty()) protos.push_back(p);
  }
  for (int v = 0; v < rest_result.vessels; ++v) {
    Proto p;
    for (size_t i = 0; i < unlisted.size(); ++i) {
      if (rest_result.vessel_of_group[i] == v) p.groups.push_back(unlisted[i]);
    }
    protos.push_back(p);
  }
  for (Proto& p : protos) {
    p.first = groups[p.groups.front()].first;
    for (size_t g : p.groups) p.first = std::min(p.first, groups[g].first);
  }
  std::stable_sort(protos.begin(), protos.end(),
                   [](const Proto& a, const Proto& b) { return a.first < b.first; });

  IdentityResult result;
  result.sigma = sigma;
  result.length_scale = scale_l;
  result.beam_scale = scale_b;
  result.vessel_of_group.assign(n_groups, -1);
  for (size_t v = 0; v < protos.size(); ++v) {
    std::vector<Signature> members;
    for (size_t g : protos[v].groups) {
      result.vessel_of_group[g] = static_cast<int>(v);
      members.insert(members.end(), groups[g].members.begin(), groups[g].members.end());
    }
    result.signature.push_back(MedianSignature(members, nullptr));
    result.detections.push_back(static_cast<int>(members.size()));
    result.registry.push_back(protos[v].registry);
    std::vector<std::pair<int, double>> candidates;
    if (protos[v].registry != kNone) {
      std::vector<double> total(n_reg, -std::numeric_limits<double>::infinity());
      double best = -std::numeric_limits<double>::infinity();
      for (size_t r = 0; r < n_reg; ++r) {
        bool possible = true;
        for (size_t g : protos[v].groups) {
          for (size_t h = 0; h < n_groups && possible; ++h) {
            if (assign[h] == static_cast<int>(r) && conflict[g][h]) possible = false;
          }
        }
        if (!possible && static_cast<int>(r) != protos[v].registry) continue;
        double t = 0.0;
        for (size_t g : protos[v].groups) t += score[g][r];
        total[r] = t;
        best = std::max(best, t);
      }
      for (size_t r = 0; r < n_reg; ++r) {
        if (total[r] >= best - 6.0) {
          candidates.emplace_back(static_cast<int>(r), std::exp(total[r] - best));
        }
      }
    }
    result.registry_candidates.push_back(std::move(candidates));
  }
  result.vessels = static_cast<int>(protos.size());

  // Range: a registry vessel whose only group could as well be another registry vessel in
  // use may be that one (one fewer); a group that could as well be unlisted or an unused
  // registry vessel may be one more.
  std::vector<int> groups_of(n_reg, 0);
  for (int a : assign) {
    if (a != kNone) ++groups_of[static_cast<size_t>(a)];
  }
  int fewer = 0, more = 0;
  std::vector<char> counted(n_reg, 0);
  for (size_t g = 0; g < n_groups; ++g) {
    if (assign[g] == kNone) continue;
    const size_t r = static_cast<size_t>(assign[g]);
    const double chosen = gain(g, assign[g]);
    bool could_merge = false, could_split = false;
    for (int alt = kNone; alt < static_cast<int>(n_reg); ++alt) {
      if (alt == assign[g] || chosen - gain(g, alt) > options.registry_ambiguous_nats) continue;
      if (alt != kNone && groups_of[static_cast<size_t>(alt)] > 0) {
        bool ok = true;
        for (size_t h = 0; h < n_groups; ++h) {
          if (assign[h] == alt && conflict[g][h]) ok = false;
        }
        if (ok) could_merge = true;
      } else {
        could_split = true;
      }
    }
    if (could_merge && groups_of[r] == 1 && !counted[r]) {
      ++fewer;
      counted[r] = 1;
    }
    if (could_split && groups_of[r] > 1) ++more;
  }
  const int listed = result.vessels - rest_result.vessels;
  result.vessels_low = listed - fewer + (rest.empty() ? 0 : rest_result.vessels_low);
  result.vessels_high = listed + more + (rest.empty() ? 0 : rest_result.vessels_high);
  result.vessels_low = std::min(result.vessels_low, result.vessels);
  result.vessels_high = std::max(result.vessels_high, result.vessels);
  spdlog::info(
      "{}: {} groups -> {} vessels ({} in the registry, range {}-{}); measured/registry "
      "length {:.3f}, beam {:.3f}",
      kStage, n_groups, result.vessels, listed, result.vessels_low, result.vessels_high, scale_l,
      scale_b);
  return result;
}

std::vector<std::string> NameVessels(const IdentityResult& identity, const Fleet& fleet,
                                     const IdentityOptions& options) {
  struct Candidate {
    double rms;
    size_t vessel;
    size_t entry;
  };
  std::vector<Candidate> candidates;
  const double sys = options.systematic_share;
  for (size_t v = 0; v < identity.signature.size(); ++v) {
    const Signature& s = identity.signature[v];
    if (!std::isfinite(s[0]) || !std::isfinite(s[1])) continue;
    if (v < identity.registry.size() && identity.registry[v] >= 0) {
      const size_t e = static_cast<size_t>(identity.registry[v]);
      if (e < fleet.vessels.size()) candidates.push_back({-1.0, v, e});  // assigned: first
      continue;
    }
    if (v < identity.registry.size()) continue;  // fits no registry vessel
    const double n = std::max(1, identity.detections[v]);
    const double se_l = identity.sigma[0] * std::sqrt(1.0 / n + sys) + 1.0;
    const double se_b = identity.sigma[1] * std::sqrt(1.0 / n + sys) + 0.5;
    for (size_t e = 0; e < fleet.vessels.size(); ++e) {
      const double zl = (s[0] - fleet.vessels[e].length_m) / se_l;
      const double zb = (s[1] - fleet.vessels[e].beam_m) / se_b;
      const double rms = std::sqrt(0.5 * (zl * zl + zb * zb));
      if (rms < options.name_max_rms) candidates.push_back({rms, v, e});
    }
  }
  std::sort(candidates.begin(), candidates.end(),
            [](const Candidate& a, const Candidate& b) { return a.rms < b.rms; });
  std::vector<std::string> names(identity.signature.size());
  std::vector<bool> used(fleet.vessels.size(), false);
  for (const Candidate& c : candidates) {
    if (!names[c.vessel].empty() || used[c.entry]) continue;
    names[c.vessel] = fleet.vessels[c.entry].name;
    used[c.entry] = true;
  }
  return names;
}

}  // namespace bw
