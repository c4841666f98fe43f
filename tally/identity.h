// Vessel identity: which detections (grouped into tracks that are known to be one hull) are
// the same vessel, from the appearance signature (length, beam, deck colour, superstructure
// and manifold position), under the constraint that one vessel cannot be in two places at
// once (two detections in one scene, or overlapping tracks at two berths, are two vessels).
// With a fleet registry, tracks are first assigned to registry vessels by their measured
// length and beam (ClusterWithRegistry); only those that fit none are clustered freely.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "detection/detection.h"
#include "geo/fleet.h"
#include "geo/types.h"

namespace bw {

// length_m, beam_m, deck colour as log brightness ln(r+g+b) and log chromaticity ln(r/g),
// ln(b/g), superstructure_pos, manifold_pos; NaN = not measured. The deck colour is split into
// brightness and chromaticity because sun, haze and view change a deck's measured reflectance
// by a common factor (within one hull about +-25 %, as much as between hulls) while the ratios
// of the channels stay within about +-10 % (less than half the spread between hulls).
inline constexpr int kSignatureSize = 7;
using Signature = std::array<double, kSignatureSize>;
Signature SignatureOf(const Detection& d);

struct IdentityOptions {
  // Prior 1-sigma measurement noise of each signature element (same order as Signature).
  Signature sigma{2.0, 0.5, 0.2, 0.08, 0.08, 0.04, 0.04};
  // Lower bounds of the noise when it is estimated from the data (within-track scatter).
  Signature sigma_floor{1.0, 0.3, 0.08, 0.08, 0.08, 0.02, 0.02};
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
  // Registry-guided identity (ClusterWithRegistry). Registry dimensions are nominal: the
  // measured hull differs from them by the measurement noise plus this (1 sigma, metres).
  double registry_sigma_length_m = 1.0;
  double registry_sigma_beam_m = 0.25;
  // Share of gross measurement errors (a clipped end, a shadow merged into the hull side):
  // a measurement is a mixture of the noise around the registry value and this share spread
  // over the registry's range.
  double registry_outlier_share = 0.1;
  // ... and this share for a look with cloud in its ring or cut by the scene edge.
  double registry_unclean_outlier_share = 0.5;
  // Prior chance that a hull at the berths is not in the registry.
  double registry_unlisted_prior = 0.1;
  // Measured lengths and beams may be biased by a common scale (hull ends are soft at the
  // pixel level): estimated from the assignment, within 1 +- this.
  double registry_max_scale_bias = 0.05;
  // An alternative assignment within this many nats of the chosen one counts as ambiguous
  // (widens the distinct-vessel range).
  double registry_ambiguous_nats = 2.0;
  // Also weigh the appearance (deck colour, superstructure and manifold position) of the groups
  // given to one registry vessel against each other, within +- registry_appearance_max_nats:
  // the measured deck colour of one hull changes between scenes with sun, haze and view about
  // as much as it differs between hulls of one paint scheme, so appearance breaks ties between
  // vessels of like dimensions but does not overrule the registry's dimensions. 4 nats (a
  // likelihood ratio of about 55): at 2, two near-sisters with different deck colours were
  // still given to one listed vessel on `default` (identity purity 0.944 -> 0.981 at 4;
  // seeds 3 and 7 unchanged or better, no higher cap changed anything).
  bool registry_use_appearance = true;
  double registry_appearance_max_nats = 4.0;
  // Within the appearance: whether the superstructure stood out from the deck on the clean
  // looks (a paint property: on the rendered seasons each hull shows it on nearly all or
  // nearly none of its looks).
  bool registry_use_superstructure = true;
  // A listed vessel's freeboard lies between depth - laden draft (full) and depth - ballast
  // draft (empty): a measured freeboard outside that range (beyond its own sigma and this,
  // for nominal drafts, trim and squat) says it is another vessel of like dimensions.
  bool registry_use_freeboard = true;
  // The superstructure stands at the stern, up to this high above the water: seen off-nadir
  // its top leans away from the sensor by height * tan(off-nadir) and, where that is past the
  // transom, lengthens the imaged hull (on the rendered seasons a measured length error of
  // +3 to +5 m where the lean predicts 2-5 m past the stern, about 0 where it leans over the
  // deck). The registry fit takes a look's length as the registry's plus an unknown
  // overhang, uniform between 0 and LengthOverhang, plus the noise. 20 m: accommodation and
  // bridge of product tankers stand 10-20 m above a deck a few metres above the water, less
  // the setback of their aft face from the transom.
  bool registry_use_overhang = true;
  double superstructure_height_m = 20.0;
  // Seen off-nadir, the hull side facing the sensor lies between the deck edge and the
  // waterline, imaged beside the deck F * tan(off-nadir) * |sin(lean - heading)| wide. Lit
  // (the sun on the sensor's side of the hull), it is bright like the deck and the measured
  // beam takes it in; in shade it does not. Against truth on the four rendered seasons
  // (seeds 1/2/3/7, 215 looks): beam error median +0.31/+0.15/+0.14/+0.71 m on lit sides,
  // -0.12..+0.01 m after taking that width off (p10 -0.6..-1.2 m: not always all of it), and
  // +0.04..+0.08 m in shade. The registry fit takes a lit look's beam as the registry's plus
  // an overhang uniform between 0 and BeamOverhang, plus the noise; F: the measured
  // freeboard plus two of its sigmas, else the registry vessel's freeboard in ballast
  // (depth - ballast draft), else hull_side_freeboard_m.
  bool registry_use_beam_overhang = true;
  double hull_side_freeboard_m = 6.0;
  // Without a registry, clustering compares lengths and beams less half of the overhang the
  // view can add to each (LengthOverhang, BeamOverhang).
  bool cluster_remove_overhang = true;
  // Without a registry, two clusters are not merged when their clean looks say, by more than
  // this many nats, that the superstructure stands out on one hull and not on the other.
  bool cluster_use_superstructure = true;
  double cluster_superstructure_nats = 2.0;
  // After the greedy assignment and its local improvement (single moves and pair swaps), also
  // try giving all the groups of one registry vessel to an unused near-sister at once (see
  // ClusterWithRegistry).
  bool registry_relabel_near_sisters = true;
  // Then try giving two groups at once to a registry vessel nobody was given, among the
  // groups that fit it within registry_pair_move_nats of where they are.
  bool registry_pair_moves = true;
  double registry_pair_move_nats = 2.0;
  // Slack of the freeboard range of registry_use_freeboard (1 sigma, metres), added to each
  // look's own sigma: nominal drafts, trim and squat, and the tail of the freeboard's error.
  // Against truth over four rendered seasons (94 looks) the error's core matches the
  // reported sigma (68 % of |error| within 0.85 sigma) but its tail does not (p90 2.4 sigma,
  // 0.30 m): at 0.15 m a look measured 0.30 m low at 3.4 sigma gave 2.1 nats to the wrong
  // near-sister (seed 2: Sea Horizon's looks with Sea Crest, purity 0.944; 0.981 at 0.25,
  // seeds 1/3/7 unchanged, also at 0.35).
  double registry_freeboard_sigma_m = 0.25;
  void Check() const;  // throws InputError
};

// A group of detections already known to be one vessel (a track at a berth).
struct IdentityGroup {
  std::vector<Signature> members;  // one signature per detection
  std::vector<int> scenes;         // scene indices of the members (cannot-link in a scene)
  // Per member: measured with cloud in its ring or cut by the scene edge (may be empty).
  std::vector<uint8_t> unclean;
  // Per member: the most the off-nadir lean of the superstructure can add to the measured
  // length (LengthOverhang; 0 when it leans over the deck; may be empty).
  std::vector<double> length_overhang_m;
  // Per member: tan(off-nadir) * |sin(lean - heading)| (HullSideFactor; may be empty).
  std::vector<double> hull_side_factor;
  // Measured freeboard and its 1-sigma per member (NaN when not measured; may be empty).
  std::vector<double> freeboard_m;
  std::vector<double> freeboard_sigma_m;
  TimePoint first{};  // time span the vessel was at the berth
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
  std::vector<int> registry;         // per vessel: fleet index, -1 when not in the registry
  // Per listed vessel: the registry vessels its looks' lengths and beams fit, with weights
  // proportional to their likelihood (within 6 nats of the best, none that another vessel
  // holds at the same time), the assigned one among them. Near-sisters share the weight:
  // the looks cannot tell them apart, whatever the assignment chose. Empty when unlisted.
  std::vector<std::vector<std::pair<int, double>>> registry_candidates;
  double length_scale = 1.0;  // measured / registry (registry-guided only)
  double beam_scale = 1.0;
};

// Clusters groups into vessels (greedy agglomerative, closest pair first, cannot-links
// respected). Vessel indices are in order of first appearance.
IdentityResult ClusterGroups(const std::vector<IdentityGroup>& groups,
                             const IdentityOptions& options);

// Registry-guided identity: each group (all its detections) is assigned to a registry vessel
// by the likelihood of its measured lengths and beams (noise as estimated from pairs of looks,
// robust to gross errors), or to none; groups that share a scene or overlap in time (two
// berths at once) never share a registry vessel. The groups of one registry vessel are one
// vessel; the groups that fit none are clustered among themselves as ClusterGroups does.
// The range counts assignments within registry_ambiguous_nats of another choice.
IdentityResult ClusterWithRegistry(const std::vector<IdentityGroup>& groups, const Fleet& fleet,
                                   const IdentityOptions& options);

// The measurement model of ClusterWithRegistry for single looks: a measured length and beam
// is the registry value plus noise, or (share registry_outlier_share) a gross error spread
// over the registry's range.
class RegistryFit {
 public:
  RegistryFit(const Fleet& fleet, const Signature& sigma, const IdentityOptions& options);
  size_t size() const { return length_.size(); }
  // log L(look | listed vessel r) - log L(look | any hull), from length and beam (elements
  // not measured add nothing).
  double Llr(const Signature& look, size_t r) const;
  // How a single look fits the registry: some listed vessel explains it (better than "not in
  // the registry", priors of IdentityOptions included) with length and beam both within the
  // noise of its values; only with a gross error in one of them; or not at all (neither
  // length nor beam is any listed vessel's).
  enum class Match { kListed, kOneGrossError, kNone };
  Match Classify(const Signature& look) const;
  // The most that one gross error in one element can weigh against the right vessel (nats).
  double MaxElementPenalty() const { return max_element_penalty_; }

 private:
  std::vector<double> length_, beam_;
  double s_l_ = 1.0, s_b_ = 1.0, u_l_ = 1.0, u_b_ = 1.0, eps_ = 0.1;
  double prior_listed_ = 0.0, prior_none_ = 0.0, max_element_penalty_ = 0.0;
};

// The measurement noise of each signature element from the scatter within groups (robust,
// from pairs of looks at one hull; the prior where there are too few pairs).
Signature EstimateNoise(const std::vector<IdentityGroup>& groups, const IdentityOptions& options);

// How a look x of a value mu fits "mu plus noise (sd), plus an overhang uniform in [0, over]"
// (1 - eps) or "a gross error anywhere in a range of density u" (eps), as the log ratio to
// "anywhere in that range". 0 for a NaN look.
double MixtureLlr(double x, double mu, double sd, double u, double eps, double over = 0.0);

// The most the superstructure, leaning away from the sensor, can add to a detection's length
// (metres, >= 0): superstructure_height_m * tan(off-nadir) * cos(lean - aft), where aft is
// the hull's end holding the superstructure (from superstructure_pos, else the stern when the
// bow is resolved, else either end). 0 when the view angles or the heading are unknown.
double LengthOverhang(const Detection& d, double off_nadir_deg, double view_azimuth_deg,
                      const IdentityOptions& options);

// How wide the hull side seen off-nadir is imaged per metre of freeboard where it is lit:
// tan(off-nadir) * |sin(lean - heading)|, the lean away from the sensor; 0 where the sun
// lights the other side (the side seen is in shade, darker than the deck), when the view
// angles or the heading are unknown, or options.registry_use_beam_overhang is off.
// `sun_azimuth_deg` NaN: taken as lit.
double HullSideFactor(const Detection& d, double off_nadir_deg, double view_azimuth_deg,
                      double sun_azimuth_deg, const IdentityOptions& options);

// The most the hull side can add to member i's beam (metres, >= 0): its HullSideFactor times
// the freeboard, measured (+ 2 sigma) or else `fallback_freeboard_m`.
double BeamOverhang(const IdentityGroup& group, size_t i, double fallback_freeboard_m);

// Names vessels from a registry by length and beam (one name per vessel, best matches
// first); empty name where no registry vessel is close enough.
std::vector<std::string> NameVessels(const IdentityResult& identity, const Fleet& fleet,
                                     const IdentityOptions& options);

}  // namespace bw
