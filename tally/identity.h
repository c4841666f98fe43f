// Vessel identity: which detections (grouped into tracks that are known to be one hull) are
// the same vessel, from the appearance signature (length, beam, deck colour, superstructure
// and manifold position), under the constraint that one vessel cannot be in two places at
// once (two detections in one scene, or overlapping tracks at two berths, are two vessels).
#pragma once

#include <array>
#include <string>
#include <vector>

#include "detection/detection.h"
#include "geo/fleet.h"
#include "geo/types.h"

namespace bw {

// length_m, beam_m, deck r, g, b, superstructure_pos, manifold_pos; NaN = not measured.
inline constexpr int kSignatureSize = 7;
using Signature = std::array<double, kSignatureSize>;
Signature SignatureOf(const Detection& d);

struct IdentityOptions {
  // Prior 1-sigma measurement noise of each signature element (same order as Signature).
  Signature sigma{2.0, 0.5, 0.04, 0.04, 0.04, 0.04, 0.04};
  // Lower bounds of the noise when it is estimated from the data (within-track scatter).
  Signature sigma_floor{1.0, 0.3, 0.015, 0.015, 0.015, 0.02, 0.02};
  bool estimate_noise = true;
  // Share of the noise that does not average out over repeated looks (view-dependent bias).
  double systematic_share = 0.15;
  // Two groups merge when the RMS of their per-element z-scores is below merge_rms and no
  // element exceeds merge_max_z.
  double merge_rms = 2.2;
  double merge_max_z = 3.5;
  // Pairs of final vessels closer than this RMS count as ambiguous (uncertainty range).
  double ambiguous_rms = 3.2;
  // Registry naming: accept a fleet vessel when the RMS z of length and beam is below this.
  double name_max_rms = 3.0;
  void Check() const;  // throws InputError
};

// A group of detections already known to be one vessel (a track at a berth).
struct IdentityGroup {
  std::vector<Signature> members;  // one signature per detection
  std::vector<int> scenes;         // scene indices of the members (cannot-link in a scene)
  TimePoint first{};               // time span the vessel was at the berth
  TimePoint last{};
};

struct IdentityResult {
  std::vector<int> vessel_of_group;  // vessel index per input group
  int vessels = 0;
  int vessels_low = 0;  // plausible range given overlapping signatures
  int vessels_high = 0;
  std::vector<Signature> signature;  // per vessel: median over its detections
  std::vector<int> detections;       // per vessel
  Signature sigma{};                 // the noise used (estimated or prior)
};

// Clusters groups into vessels (greedy agglomerative, closest pair first, cannot-links
// respected). Vessel indices are in order of first appearance.
IdentityResult ClusterGroups(const std::vector<IdentityGroup>& groups,
                             const IdentityOptions& options);

// Names vessels from a registry by length and beam (one name per vessel, best matches
// first); empty name where no registry vessel is close enough.
std::vector<std::string> NameVessels(const IdentityResult& identity, const Fleet& fleet,
                                     const IdentityOptions& options);

}  // namespace bw
