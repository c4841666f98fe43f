#include "tally/identity.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <set>

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
  std::set<int> scenes;
  std::vector<std::pair<TimePoint, TimePoint>> spans;
  std::vector<int> groups;
  Signature median{};
  std::array<int, kSignatureSize> counts{};
  TimePoint first{};
  bool alive = true;

  void Update() {
    median = MedianSignature(members, &counts);
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

struct Distance {
  double rms = std::numeric_limits<double>::infinity();
  double max_z = std::numeric_limits<double>::infinity();
};

Distance Compare(const Cluster& a, const Cluster& b, const Signature& sigma, double systematic) {
  double sum = 0.0;
  double max_z = 0.0;
  int used = 0;
  for (size_t k = 0; k < kSignatureSize; ++k) {
    if (!std::isfinite(a.median[k]) || !std::isfinite(b.median[k])) continue;
    const double var_a = sigma[k] * sigma[k] * (1.0 / std::max(1, a.counts[k]) + systematic);
    const double var_b = sigma[k] * sigma[k] * (1.0 / std::max(1, b.counts[k]) + systematic);
    const double z = std::abs(a.median[k] - b.median[k]) / std::sqrt(var_a + var_b);
    sum += z * z;
    max_z = std::max(max_z, z);
    ++used;
  }
  if (used == 0) return {};
  return {std::sqrt(sum / used), max_z};
}

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
      if (v.size() < 3) continue;
      const double m = Median(v);
      const double inflate = std::sqrt(static_cast<double>(v.size()) / (v.size() - 1.0));
      for (double x : v) dev.push_back(std::abs(x - m) * inflate);
    }
    if (dev.size() < 8) continue;  // too little to estimate: keep the prior
    const double mad_sigma = 1.4826 * Median(dev);
    sigma[k] = std::max(o.sigma_floor[k], mad_sigma);
  }
  return sigma;
}

}  // namespace

Signature SignatureOf(const Detection& d) {
  return {d.length_m,           d.beam_m,      d.deck_rgb[0], d.deck_rgb[1], d.deck_rgb[2],
          d.superstructure_pos, d.manifold_pos};
}

void IdentityOptions::Check() const {
  for (size_t k = 0; k < kSignatureSize; ++k) {
    if (!(sigma[k] > 0) || !(sigma_floor[k] > 0)) {
      throw InputError(kStage, "", "identity noise sigmas must be positive");
    }
  }
  if (!(merge_rms > 0) || !(merge_max_z > 0) || !(ambiguous_rms >= merge_rms) ||
      systematic_share < 0 || !(name_max_rms > 0)) {
    throw InputError(kStage, "", "identity thresholds out of range");
  }
}

IdentityResult ClusterGroups(const std::vector<IdentityGroup>& groups,
                             const IdentityOptions& options) {
  options.Check();
  IdentityResult result;
  result.sigma = EstimateSigma(groups, options);
  const double sys = options.systematic_share;

  std::vector<Cluster> clusters(groups.size());
  for (size_t i = 0; i < groups.size(); ++i) {
    Cluster& c = clusters[i];
    c.members = groups[i].members;
    c.scenes.insert(groups[i].scenes.begin(), groups[i].scenes.end());
    c.spans.push_back({groups[i].first, groups[i].last});
    c.groups.push_back(static_cast<int>(i));
    c.Update();
  }

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
        if (CannotLink(clusters[i], clusters[j])) continue;
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
    a.scenes.insert(b.scenes.begin(), b.scenes.end());
    a.spans.insert(a.spans.end(), b.spans.begin(), b.spans.end());
    a.groups.insert(a.groups.end(), b.groups.begin(), b.groups.end());
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
