#include "tally/tally.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <optional>
#include <set>
#include <sstream>
#include <tuple>

#include "detection/freeboard.h"
#include "geo/error.h"
#include "tally/check.h"
#include "tally/store.h"

namespace bw {

namespace {

constexpr const char* kStage = "tally";

struct DetRef {
  int scene = 0;
  int det = 0;
};

struct Track {
  std::string berth;
  std::vector<DetRef> members;
  std::vector<Signature> signatures;
  // Looks that extend the visit but say nothing of the vessel's identity (a weak single look
  // taken in, see step 1c): members and signatures stay one per look.
  std::vector<DetRef> absorbed;
  int misses = 0;  // clear views without this vessel since it was last seen
  bool open = true;
  int vessel = -1;
};

double MedianOf(std::vector<double> v) {
  if (v.empty()) return kNaN;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// |element k of a detection - the track's median of it| in noise sigmas, inflated for the
// track's own uncertainty; 0 where it is not measured on both sides.
double ElementZ(const Track& t, const Signature& s, const Signature& sigma, size_t k) {
  if (!std::isfinite(s[k])) return 0.0;
  std::vector<double> v;
  for (const Signature& m : t.signatures) {
    if (std::isfinite(m[k])) v.push_back(m[k]);
  }
  if (v.empty()) return 0.0;
  return std::abs(s[k] - MedianOf(v)) /
         (sigma[k] * std::sqrt(1.0 + 1.0 / static_cast<double>(v.size())));
}

// How far a detection is from a track's median signature. Length and beam are measured
// well and each decides alone: the largest of their z-scores (noise inflated for the track's
// own uncertainty). The appearance cues, deck colour (its three channels move together with
// sun and haze) and the positions along the hull, change between scenes by gross amounts
// (haze on the deck, a superstructure edge in shadow): they count only when both disagree.
// Elements not measured on either side say nothing.
double LinkCost(const Track& t, const Signature& s, const Signature& sigma) {
  constexpr std::array<int, kSignatureSize> kCue{0, 1, 2, 2, 2, 3, 3};
  std::array<double, 4> cue{};
  for (size_t k = 0; k < kSignatureSize; ++k) {
    double& c = cue[static_cast<size_t>(kCue[k])];
    c = std::max(c, ElementZ(t, s, sigma, k));
  }
  // A beam grossly off while the length and the appearance agree closely is the same hull
  // mis-measured (a lit hull side and a structure beside it counted in, up to +4 m on the
  // rendered seasons; a side lost against a pier): beams are one-sided and view-dependent,
  // lengths are not. (A length grossly off with the beam agreeing is as often a turnover of
  // like-beamed hulls: seed 7 lost two visits when that was allowed too.) Hulls of one length
  // within the noise (~3 m) are within ~1 m of one beam: a jump of 3 m or more is the
  // measurement. Seeds 1/2/3/7: identity purity 0.982/0.981/0.952/0.936 -> 0.982/0.981/0.968/
  // 0.936 with the registry; without it seed 3 counts 38 visits for 34, not 40.
  const double appearance = std::min(cue[2], cue[3]);  // deck colour or layout
  const bool alike = cue[0] <= 1.0 && appearance <= 1.5;
  return std::max({cue[0], alike ? 0.0 : cue[1], appearance});
}

// The larger of a detection's length and beam z-scores against a track's medians; 0 where
// neither is measured on both sides.
double SizeZ(const Track& t, const Signature& s, const Signature& sigma) {
  return std::max(ElementZ(t, s, sigma, 0), ElementZ(t, s, sigma, 1));
}

// Ranges over which a gross error of a length and of a beam is spread (metres).
constexpr std::array<double, 2> kGrossErrorRange{150.0, 25.0};

// How much better the looks of a track are explained as two hulls, the first k looks one and
// the rest another, than as one (log-likelihood ratio, nats): per element (length, beam) the
// best common value of each part against the best of all, each look the value plus noise
// (sigma) plus an overhang uniform in [0, over] (the superstructure's lean past the stern for
// the length, the hull side seen off-nadir for the beam) or, with share eps (0.5
// for an unclean look), a gross error (MixtureLlr). Within one hull consecutive looks agree
// to about a metre; a 6 m step between two parts that each agree is a turnover.
double TurnoverGain(const std::vector<Signature>& sigs, const std::vector<double>& over_length,
                    const std::vector<double>& over_beam, const std::vector<uint8_t>& unclean,
                    size_t k, const Signature& sigma, double eps) {
  auto best = [&](size_t e, size_t lo, size_t hi) {
    const std::vector<double>& over = e == 0 ? over_length : over_beam;
    auto over_of = [&](size_t i) { return i < over.size() ? over[i] : 0.0; };
    double a = 1e18, b = -1e18;
    for (size_t i = lo; i < hi; ++i) {
      if (!std::isfinite(sigs[i][e])) continue;
      a = std::min(a, sigs[i][e] - over_of(i));
      b = std::max(b, sigs[i][e]);
    }
    if (a > b) return 0.0;
    const double sd = sigma[e], u = 1.0 / kGrossErrorRange[e];
    double top = -1e18;
    for (double mu = a - sd; mu <= b + sd; mu += 0.05 * sd) {
      double ll = 0.0;
      for (size_t i = lo; i < hi; ++i) {
        const double ei = i < unclean.size() && unclean[i] ? 0.5 : eps;
        ll += MixtureLlr(sigs[i][e], mu, sd, u, ei, over_of(i));
      }
      top = std::max(top, ll);
    }
    return top;
  };
  const size_t n = sigs.size();
  double gain = 0.0;
  for (size_t e = 0; e < 2; ++e) gain += best(e, 0, k) + best(e, k, n) - best(e, 0, n);
  return gain;
}

// A track cut before its k-th look.
std::pair<Track, Track> SplitAt(const Track& t, size_t k) {
  const auto at = static_cast<std::ptrdiff_t>(k);
  Track head = t, tail = t;
  head.members.assign(t.members.begin(), t.members.begin() + at);
  head.signatures.assign(t.signatures.begin(), t.signatures.begin() + at);
  tail.members.assign(t.members.begin() + at, t.members.end());
  tail.signatures.assign(t.signatures.begin() + at, t.signatures.end());
  return {std::move(head), std::move(tail)};
}

// Splits tracks, in place and in order, while best(track) = {gain, k} says that cutting one
// before its k-th look explains its looks better by more than `need` nats. Returns the splits.
template <typename Best>
int SplitTracks(std::vector<Track>& tracks, double need, Best&& best) {
  std::vector<Track> todo = std::move(tracks);
  std::reverse(todo.begin(), todo.end());
  tracks.clear();
  int splits = 0;
  while (!todo.empty()) {
    Track t = std::move(todo.back());
    todo.pop_back();
    const auto [gain, k] = best(t);
    if (!(gain > need) || k == 0 || k >= t.members.size()) {
      tracks.push_back(std::move(t));
      continue;
    }
    ++splits;
    auto [head, tail] = SplitAt(t, k);
    todo.push_back(std::move(tail));
    todo.push_back(std::move(head));
  }
  return splits;
}

// Whether a look's freeboard was measured precisely: a fit along many stations of the
// hull's own shadow or hull side, which a cloud fragment that passes for a hull does not
// have. A loose fit (a hull cut short by cloud, its shadow partly in the cloud's) is no such
// evidence: seed 7 measured 0.44 +- 0.31 m on a 106 m hull whose next look gave 2.17 +- 0.08.
constexpr double kMeasuredFreeboardMaxSigmaM = 0.15;
bool FreeboardMeasured(const Detection& d) {
  return std::isfinite(d.freeboard_m) && std::isfinite(d.freeboard_sigma_m) &&
         d.freeboard_sigma_m > 0 && d.freeboard_sigma_m <= kMeasuredFreeboardMaxSigmaM;
}

// A look that would count a visit by itself: the hull whole (not cut by the scene edge or
// nodata) and clear of cloud, or, with cloud beside it, its freeboard measured.
bool CleanLook(const Detection& d) {
  if (d.truncated) return false;
  return !d.cloud_affected || FreeboardMeasured(d);
}

bool Confident(LoadState state, double confidence, double min_confidence) {
  return state != LoadState::kUnknown && confidence >= min_confidence;
}

// A look's load once its vessel is known. The detector, not knowing which listed vessel a
// hull is, mixes over every registry vessel its dimensions fit (sisters with different depths
// make that mixture wide); with the registry vessels identity left for the whole track
// (`vessels`: the assigned one, and near-sisters its looks fit as well, weighted), their own
// depths and drafts apply to the measured freeboard. The scan's load when there is no such
// vessel or the look measured no freeboard.
DetectionLoad LoadWithIdentity(const Detection& d, const std::vector<RegistryCandidate>& vessels) {
  if (vessels.empty() || !std::isfinite(d.freeboard_m) || !std::isfinite(d.freeboard_sigma_m) ||
      !(d.freeboard_sigma_m > 0)) {
    return {d.load_state, d.load_fraction, d.confidence, d.unknown_reason, false};
  }
  FreeboardEstimate fb;
  fb.observable = true;
  fb.freeboard_m = d.freeboard_m;
  fb.sigma_m = d.freeboard_sigma_m;
  const LoadEstimate le = EstimateLoad(fb, d.length_m, d.beam_m, vessels);
  return {le.state, le.load_fraction, le.confidence,
          le.state == LoadState::kUnknown ? le.reason : std::string(), true};
}

// The registry entry identity gave vessel `v`, or null (no registry, or not listed).
const FleetVessel* ListedVessel(const IdentityResult& identity, const Fleet* fleet, int v) {
  const size_t i = static_cast<size_t>(v);
  if (fleet == nullptr || i >= identity.registry.size() || identity.registry[i] < 0) return nullptr;
  const size_t e = static_cast<size_t>(identity.registry[i]);
  return e < fleet->vessels.size() ? &fleet->vessels[e] : nullptr;
}

// The registry entries vessel `v` may be, weighted (empty: no registry, or not listed).
std::vector<RegistryCandidate> ListedCandidates(const IdentityResult& identity, const Fleet* fleet,
                                                int v) {
  std::vector<RegistryCandidate> out;
  const size_t i = static_cast<size_t>(v);
  if (fleet == nullptr || ListedVessel(identity, fleet, v) == nullptr) return out;
  if (i < identity.registry_candidates.size()) {
    for (const auto& [e, w] : identity.registry_candidates[i]) {
      if (e >= 0 && static_cast<size_t>(e) < fleet->vessels.size() && w > 0) {
        out.push_back({&fleet->vessels[static_cast<size_t>(e)], w});
      }
    }
  }
  if (out.empty()) out.push_back({ListedVessel(identity, fleet, v), 1.0});
  return out;
}

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string Fixed(double v, int decimals) {
  if (!std::isfinite(v)) return "";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, v);
  return buf;
}

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw InputError(kStage, path, "cannot write the file");
  out << text;
  if (!out) throw InputError(kStage, path, "write error");
}

// Hulls moored along their berth: the berth's axis from the doubled hull-axis angles of its
// detections (mod 180), refined on those near it; hulls far off it are not at the berth.
// Returns, per scene and detection, 1 when the hull may be moored at its berth.
std::vector<std::vector<char>> MooredAlongBerth(const std::vector<SceneDetections>& scenes,
                                                const TallyOptions& options) {
  std::vector<std::vector<char>> moored(scenes.size());
  std::map<std::string, std::vector<double>> axes;  // berth: hull axis angles, radians x2
  for (const SceneDetections& sc : scenes) {
    for (const Detection& d : sc.detections) {
      if (!d.berth.empty() && std::isfinite(d.heading_deg)) {
        axes[d.berth].push_back(2.0 * d.heading_deg * M_PI / 180.0);
      }
    }
  }
  const double max_off = 2.0 * options.max_berth_axis_offset_deg * M_PI / 180.0;
  auto offset = [](double a, double b) { return std::abs(std::remainder(a - b, 2.0 * M_PI)); };
  std::map<std::string, double> axis;
  for (const auto& [berth, v] : axes) {
    if (static_cast<int>(v.size()) < options.min_berth_axis_looks) continue;
    double c = 0, sn = 0;
    for (double a : v) c += std::cos(a), sn += std::sin(a);
    double mean = std::atan2(sn, c);
    for (int pass = 0; pass < 2; ++pass) {
      c = sn = 0;
      for (double a : v) {
        if (offset(a, mean) <= max_off) c += std::cos(a), sn += std::sin(a);
      }
      if (c != 0 || sn != 0) mean = std::atan2(sn, c);
    }
    axis[berth] = mean;
  }
  int off_axis = 0;
  for (size_t s = 0; s < scenes.size(); ++s) {
    moored[s].assign(scenes[s].detections.size(), 1);
    for (size_t k = 0; k < scenes[s].detections.size(); ++k) {
      const Detection& d = scenes[s].detections[k];
      auto it = axis.find(d.berth);
      if (it == axis.end() || !std::isfinite(d.heading_deg)) continue;
      if (offset(2.0 * d.heading_deg * M_PI / 180.0, it->second) > max_off) {
        moored[s][k] = 0;
        ++off_axis;
      }
    }
  }
  if (off_axis > 0) {
    spdlog::info("{}: {} hulls lie across their berth's axis: not moored there, not counted",
                 kStage, off_axis);
  }
  return moored;
}

}  // namespace

void TallyOptions::Check() const {
  identity.Check();
  if (min_state_confidence < 0 || min_state_confidence > 1) {
    throw InputError(kStage, "", "min_state_confidence must be in [0, 1]");
  }
  if (!(link_max_z > 0) || clear_views_to_end < 1) {
    throw InputError(kStage, "", "link_max_z must be > 0 and clear_views_to_end >= 1");
  }
  if (rejoin_max_missed_views < 0 || !(rejoin_max_gap_days >= 0)) {
    throw InputError(kStage, "", "rejoin limits must be >= 0");
  }
  if (!(max_berth_axis_offset_deg > 0) || min_berth_axis_looks < 1) {
    throw InputError(kStage, "",
                     "max_berth_axis_offset_deg must be > 0, min_berth_axis_looks >= 1");
  }
  if (!(weak_cloud_share > 0 && weak_cloud_share <= 1) || !(registry_split_margin_nats >= 0)) {
    throw InputError(kStage, "",
                     "weak_cloud_share must be in (0, 1] and registry_split_margin_nats >= 0");
  }
}

std::string Visit::transition() const {
  return std::string(ToString(arrival_state)) + "->" + ToString(departure_state);
}

namespace {
const char* DirectionName(int direction) {
  return direction > 0 ? "loading" : (direction < 0 ? "discharging" : "unknown");
}
}  // namespace

int VisitsAllowing(const TallyResult& result, const std::string& transition) {
  int n = 0;
  for (const Visit& v : result.visits) n += AllowsTransition(v, transition) ? 1 : 0;
  return n;
}

int StateDirection(const std::vector<LoadState>& states) {
  bool up = false, down = false;
  int low = 3, high = -1;  // extremes of the states so far
  for (LoadState s : states) {
    const int r = LoadRank(s);
    if (r < 0) continue;
    up = up || r > low;
    down = down || r < high;
    low = std::min(low, r);
    high = std::max(high, r);
  }
  return up == down ? 0 : (up ? 1 : -1);
}

int FreeboardDirection(const std::vector<std::pair<double, double>>& freeboards) {
  if (freeboards.size() < 2) return 0;
  const auto [f0, s0] = freeboards.front();
  const auto [f1, s1] = freeboards.back();
  const double change = f1 - f0;
  if (std::abs(change) <= std::max(3.0 * std::hypot(s0, s1), 0.3)) return 0;
  return change < 0 ? 1 : -1;  // the deck edge sinks as the hull loads
}

int VisitDirection(const Visit& visit) {
  const int d = StateDirection(visit.states);
  return d != 0 ? d : FreeboardDirection(visit.freeboards);
}

int LoadDirection(int rising, int falling, int min_visits, double min_ratio) {
  if (rising >= min_visits && rising >= min_ratio * falling) return 1;
  if (falling >= min_visits && falling >= min_ratio * rising) return -1;
  return 0;
}

std::pair<LoadState, LoadState> EndStates(const std::vector<LoadState>& states, int direction) {
  if (states.empty() || direction == 0) return {LoadState::kUnknown, LoadState::kUnknown};
  const LoadState start = direction > 0 ? LoadState::kEmpty : LoadState::kFull;
  const LoadState end = direction > 0 ? LoadState::kFull : LoadState::kEmpty;
  return {states.front() == start ? start : LoadState::kUnknown,
          states.back() == end ? end : LoadState::kUnknown};
}

bool AllowsTransition(const Visit& visit, const std::string& transition) {
  const size_t arrow = transition.find("->");
  if (arrow == std::string::npos) return false;
  LoadState sa = LoadState::kUnknown, sd = LoadState::kUnknown;
  try {
    sa = LoadStateFromString(transition.substr(0, arrow));
    sd = LoadStateFromString(transition.substr(arrow + 2));
  } catch (const InputError&) {
    return false;
  }
  if (LoadRank(sa) < 0 || LoadRank(sd) < 0) return false;
  if (visit.arrival_state != LoadState::kUnknown && visit.arrival_state != sa) return false;
  if (visit.departure_state != LoadState::kUnknown && visit.departure_state != sd) return false;
  // A visit going one way cannot make the opposite change, nor stay the same if it changed.
  const int change = LoadRank(sd) - LoadRank(sa);
  const int own = StateDirection(visit.states);
  if (visit.direction != 0 && change != 0 && (change > 0) != (visit.direction > 0)) return false;
  if (own != 0 && change == 0) return false;
  // Every state seen lies between the two ends.
  const int lo = std::min(LoadRank(sa), LoadRank(sd)), hi = std::max(LoadRank(sa), LoadRank(sd));
  for (LoadState s : visit.states) {
    if (LoadRank(s) < lo || LoadRank(s) > hi) return false;
  }
  return true;
}

TallyResult Tally(const std::vector<SceneDetections>& scenes, const Fleet* fleet,
                  const TallyOptions& options) {
  options.Check();
  TallyResult result;
  result.scenes.processed = static_cast<int>(scenes.size());
  result.vessel_id_of_detection.resize(scenes.size());
  result.load_of_detection.resize(scenes.size());
  for (size_t s = 0; s < scenes.size(); ++s) {
    result.vessel_id_of_detection[s].resize(scenes[s].detections.size());
    for (const Detection& d : scenes[s].detections) {
      result.load_of_detection[s].push_back(LoadWithIdentity(d, {}));
    }
    if (s > 0 && scenes[s].datetime < scenes[s - 1].datetime) {
      throw Error(kStage, "", "scenes are not sorted by time");
    }
  }
  if (!scenes.empty()) {
    result.period_start = scenes.front().datetime;
    result.period_end = scenes.back().datetime;
  }

  const std::vector<std::vector<char>> moored = MooredAlongBerth(scenes, options);

  // Berths and their calendar of views.
  std::set<std::string> berths;
  for (size_t s = 0; s < scenes.size(); ++s) {
    std::set<std::string> seen;
    for (const BerthView& v : scenes[s].berths) {
      berths.insert(v.berth);
      if (v.clear) seen.insert(v.berth);
    }
    for (size_t k = 0; k < scenes[s].detections.size(); ++k) {
      const Detection& d = scenes[s].detections[k];
      if (d.berth.empty()) continue;
      berths.insert(d.berth);
      if (!moored[s][k]) continue;
      // A detection is a view of its berth when it would count a visit by itself.
      if (!options.require_clean_sighting || CleanLook(d)) {
        seen.insert(d.berth);
      }
    }
    for (const std::string& b : seen) result.views_by_berth[b].push_back(scenes[s].datetime);
  }
  for (const std::string& b : berths) result.views_by_berth[b];  // every berth has an entry

  // 1. Tracks per berth.
  const Signature& sigma = options.identity.sigma;
  std::vector<Track> tracks;
  for (const std::string& berth : berths) {
    std::vector<size_t> open;  // indices into tracks
    for (size_t s = 0; s < scenes.size(); ++s) {
      const SceneDetections& sc = scenes[s];
      bool clear = false;
      for (const BerthView& v : sc.berths) {
        if (v.berth == berth && v.clear) clear = true;
      }
      std::vector<int> here;
      for (size_t d = 0; d < sc.detections.size(); ++d) {
        if (sc.detections[d].berth == berth && moored[s][d]) here.push_back(static_cast<int>(d));
      }
      // Greedy matching, cheapest pair first.
      struct Pair {
        double cost;
        size_t track;
        int det;
      };
      std::vector<Pair> pairs;
      // The noise of a measured length is at least a pixel (both ends placed to a pixel) and
      // of a beam half a pixel: at 3 m a hull measured 111 m one day and 97 m the next is one
      // hull (within-track scatter there: 1.3 m of length, 2.5 m of beam, and gross errors
      // of several pixels). At 0.5 m the priors (2 m, 0.5 m) are larger and stand: adding
      // the pixel in quadrature there instead merged two hulls of one length on seed 3.
      Signature link_sigma = sigma;
      if (std::isfinite(sc.gsd_m) && sc.gsd_m > 0) {
        link_sigma[0] = std::max(sigma[0], sc.gsd_m);
        link_sigma[1] = std::max(sigma[1], 0.5 * sc.gsd_m);
      }
      for (size_t t : open) {
        for (int d : here) {
          const double c =
              LinkCost(tracks[t], SignatureOf(sc.detections[static_cast<size_t>(d)]), link_sigma);
          if (c < options.link_max_z) pairs.push_back({c, t, d});
        }
      }
      std::sort(pairs.begin(), pairs.end(),
                [](const Pair& a, const Pair& b) { return a.cost < b.cost; });
      std::set<size_t> matched_tracks;
      std::set<int> matched_dets;
      for (const Pair& p : pairs) {
        if (matched_tracks.count(p.track) || matched_dets.count(p.det)) continue;
        matched_tracks.insert(p.track);
        matched_dets.insert(p.det);
        Track& t = tracks[p.track];
        t.members.push_back({static_cast<int>(s), p.det});
        t.signatures.push_back(SignatureOf(sc.detections[static_cast<size_t>(p.det)]));
        t.misses = 0;
      }
      const bool newcomer = matched_dets.size() < here.size();
      for (size_t t : open) {
        if (matched_tracks.count(t)) continue;
        // Another vessel in the berth ends the visit; so does a clear view without it.
        if (newcomer) {
          tracks[t].open = false;
        } else if (clear && ++tracks[t].misses >= options.clear_views_to_end) {
          tracks[t].open = false;
        }
      }
      for (int d : here) {
        if (matched_dets.count(d)) continue;
        Track t;
        t.berth = berth;
        t.members.push_back({static_cast<int>(s), d});
        t.signatures.push_back(SignatureOf(sc.detections[static_cast<size_t>(d)]));
        tracks.push_back(std::move(t));
      }
      open.clear();
      for (size_t t = 0; t < tracks.size(); ++t) {
        if (tracks[t].open && tracks[t].berth == berth) open.push_back(t);
      }
    }
    for (Track& t : tracks) {
      if (t.berth == berth) t.open = false;
    }
  }

  if (options.require_clean_sighting) {
    auto clean = [&](const DetRef& r) {
      const SceneDetections& sc = scenes[static_cast<size_t>(r.scene)];
      const Detection& d = sc.detections[static_cast<size_t>(r.det)];
      if (!CleanLook(d)) return false;
      for (const BerthView& v : sc.berths) {
        if (v.berth == d.berth) return v.coverage == Coverage::kFull;
      }
      return true;
    };
    const size_t before = tracks.size();
    std::erase_if(tracks, [&](const Track& t) {
      return std::none_of(t.members.begin(), t.members.end(), clean);
    });
    if (tracks.size() != before) {
      spdlog::info("{}: {} tracks without a clean sighting not counted", kStage,
                   before - tracks.size());
    }
  }

  const bool registry = fleet != nullptr && !fleet->vessels.empty();
  auto group_of = [&](const Track& t) {
    IdentityGroup g;
    g.members = t.signatures;
    for (const DetRef& r : t.members) {
      g.scenes.push_back(r.scene);
      const Detection& d =
          scenes[static_cast<size_t>(r.scene)].detections[static_cast<size_t>(r.det)];
      g.freeboard_m.push_back(d.freeboard_m);
      g.freeboard_sigma_m.push_back(d.freeboard_sigma_m);
      g.unclean.push_back(d.cloud_affected || d.truncated ? 1 : 0);
      const SceneDetections& sc = scenes[static_cast<size_t>(r.scene)];
      g.length_overhang_m.push_back(
          LengthOverhang(d, sc.off_nadir_deg, sc.view_azimuth_deg, options.identity));
      g.hull_side_factor.push_back(HullSideFactor(d, sc.off_nadir_deg, sc.view_azimuth_deg,
                                                  sc.sun_azimuth_deg, options.identity));
    }
    g.first = scenes[static_cast<size_t>(t.members.front().scene)].datetime;
    g.last = scenes[static_cast<size_t>(t.members.back().scene)].datetime;
    return g;
  };
  // Noise from consecutive looks of a track only: a track may still hold a turnover, and
  // every pair across it would inflate the noise and hide the turnover.
  std::vector<IdentityGroup> prelim;
  for (const Track& t : tracks) {
    for (size_t i = 1; i < t.signatures.size(); ++i) {
      IdentityGroup g;
      g.members = {t.signatures[i - 1], t.signatures[i]};
      prelim.push_back(std::move(g));
    }
  }
  const Signature track_noise = EstimateNoise(prelim, options.identity);
  std::optional<RegistryFit> fit;
  if (registry) fit.emplace(*fleet, track_noise, options.identity);

  // 1b. With a registry: split a track whose looks are two listed vessels, one after the
  // other (a turnover between views that could not see the berth), when the registry says
  // so more strongly than one gross measurement error could.
  if (fit) {
    const double need = fit->MaxElementPenalty() + options.registry_split_margin_nats;
    const int splits = SplitTracks(tracks, need, [&](const Track& t) {
      const size_t n = t.members.size();
      const size_t n_reg = fit->size();
      std::pair<double, size_t> best{0.0, 0};
      if (n < 2 || n_reg < 2) return best;
      // prefix[k][r]: log-likelihood ratio of the first k looks under listed vessel r.
      std::vector<std::vector<double>> prefix(n + 1, std::vector<double>(n_reg, 0.0));
      for (size_t i = 0; i < n; ++i) {
        for (size_t r = 0; r < n_reg; ++r) {
          prefix[i + 1][r] = prefix[i][r] + fit->Llr(t.signatures[i], r);
        }
      }
      const double one = *std::max_element(prefix[n].begin(), prefix[n].end());
      for (size_t k = 1; k < n; ++k) {
        double two = -std::numeric_limits<double>::infinity();
        for (size_t a = 0; a < n_reg; ++a) {
          for (size_t b = 0; b < n_reg; ++b) {
            if (a != b) two = std::max(two, prefix[k][a] + prefix[n][b] - prefix[k][b]);
          }
        }
        if (two - one > best.first) best = {two - one, k};
      }
      return best;
    });
    if (splits > 0) spdlog::info("{}: {} tracks split by the registry", kStage, splits);
  }
  // 1b'. With or without a registry: split a track whose first looks agree among themselves
  // and the rest among themselves but the two parts not (each of at least two looks, so that
  // no single gross error makes a part), more strongly than one gross error could.
  {
    const double eps = options.identity.registry_outlier_share;
    double need = 0.0;
    for (size_t e = 0; e < 2; ++e) {  // the peak of a look's score less its gross-error floor
      const double u = 1.0 / kGrossErrorRange[e];
      need = std::max(need, MixtureLlr(0.0, 0.0, track_noise[e], u, eps) - std::log(eps));
    }
    need += options.registry_split_margin_nats;
    const int splits = SplitTracks(tracks, need, [&](const Track& t) {
      const size_t n = t.members.size();
      std::pair<double, size_t> best{0.0, 0};
      if (n < 4) return best;
      const IdentityGroup g = group_of(t);
      std::vector<double> beam_overhang(n);
      for (size_t i = 0; i < n; ++i)
        beam_overhang[i] = BeamOverhang(g, i, options.identity.hull_side_freeboard_m);
      for (size_t k = 2; k + 2 <= n; ++k) {
        const double gain = TurnoverGain(t.signatures, g.length_overhang_m, beam_overhang,
                                         g.unclean, k, track_noise, eps);
        if (gain > best.first) best = {gain, k};
      }
      return best;
    });
    if (splits > 0) {
      spdlog::info("{}: {} tracks split where their looks step from one hull to another", kStage,
                   splits);
    }
  }

  // 1c. Weak single looks do not make a visit by themselves: a look at a berth partly under
  // cloud (a cloud fragment can pass for a hull; not one whose freeboard was measured, nor a
  // hull clear of the cloud that is like a known hull), or, with a
  // registry, one that fits no listed vessel without a gross error (another hull's outline merged
  // in, a clipped end). Either extends the track next to it at the berth when no view separates
  // them and it lies within rejoin_max_gap_days of it: it is that visit's hull, mis-measured,
  // or something seen beside it (seed 3, B1: a look 6 days before another vessel's visit,
  // across cloudy views, was the vessel before, its beam mis-measured). Alone, a clouded
  // look, or one whose length and beam are both no listed vessel's, is not counted; a clean look
  // with one of them right is still a hull there and stays a visit.
  // The longest a vessel is taken to have stayed unseen at its berth (weak looks, rejoins).
  const auto max_gap = std::chrono::seconds{
      static_cast<std::int64_t>(std::llround(options.rejoin_max_gap_days * 86400.0))};
  if (options.absorb_weak_looks) {
    auto single_look = [&](const Track& t) { return t.members.size() == 1; };
    // A single look at a berth partly under cloud, its freeboard not measured.
    auto under_cloud = [&](const Track& t) {
      if (!single_look(t)) return false;
      const SceneDetections& sc = scenes[static_cast<size_t>(t.members.front().scene)];
      const Detection& d = sc.detections[static_cast<size_t>(t.members.front().det)];
      if (FreeboardMeasured(d)) return false;
      return std::any_of(sc.berths.begin(), sc.berths.end(), [&](const BerthView& v) {
        return v.berth == t.berth && v.cloud_fraction >= options.weak_cloud_share;
      });
    };
    // A hull like a known one: with a registry, one that fits a listed vessel; without, one
    // within link_max_z of another track's length and beam (not another look under cloud:
    // two flecks of cloud can be alike).
    auto like_a_known_hull = [&](size_t i) {
      const Signature& s = tracks[i].signatures.front();
      if (fit) return fit->Classify(s) == RegistryFit::Match::kListed;
      for (size_t j = 0; j < tracks.size(); ++j) {
        if (j != i && !under_cloud(tracks[j]) && SizeZ(tracks[j], s, sigma) <= options.link_max_z) {
          return true;
        }
      }
      return false;
    };
    auto doubtful = [&](size_t i) {
      const Track& t = tracks[i];
      if (!single_look(t)) return false;
      const Detection& d = scenes[static_cast<size_t>(t.members.front().scene)]
                               .detections[static_cast<size_t>(t.members.front().det)];
      if (under_cloud(t) &&
          (d.cloud_affected || !options.weak_spares_clean_known_hulls || !like_a_known_hull(i))) {
        return true;
      }
      return fit && fit->Classify(t.signatures.front()) == RegistryFit::Match::kNone;
    };
    // Without a registry the season's other tracks stand in for it: a single look whose
    // length or beam is grossly unlike every other track's (z above link_max_z against each,
    // wherever it was seen) and that lies between two alike looks at its berth with no view
    // between them (a vessel cannot leave, be replaced and come back unseen; a one-time
    // visitor seen once just before or after another vessel stays a visit). Seeds 1/2/3/7
    // without their registries: a 205.7 m look (two hulls' outlines) between two looks of an
    // 84 m hull on consecutive days was a vessel of its own and split the visit in three.
    // Returns the tracks of the looks before and after it.
    using Sandwich = std::optional<std::pair<size_t, size_t>>;
    auto unlike_all_between_alike = [&](size_t i) -> Sandwich {
      const Signature& s = tracks[i].signatures.front();
      for (size_t j = 0; j < tracks.size(); ++j) {
        if (j != i && SizeZ(tracks[j], s, sigma) <= options.link_max_z) return std::nullopt;
      }
      const DetRef look = tracks[i].members.front();
      const TimePoint at = scenes[static_cast<size_t>(look.scene)].datetime;
      const auto& cal = result.views_by_berth[tracks[i].berth];
      auto no_view_between = [&](TimePoint a, TimePoint b) {
        return std::none_of(cal.begin(), cal.end(), [&](TimePoint x) { return x > a && x < b; });
      };
      // The nearest looks of other tracks at the berth before and after it.
      size_t before = tracks.size(), after = tracks.size();
      const Signature* after_sig = nullptr;
      int before_scene = -1, after_scene = std::numeric_limits<int>::max();
      for (size_t j = 0; j < tracks.size(); ++j) {
        if (j == i || tracks[j].berth != tracks[i].berth) continue;
        for (size_t m = 0; m < tracks[j].members.size(); ++m) {
          const int sc = tracks[j].members[m].scene;
          if (sc < look.scene && sc > before_scene) {
            before_scene = sc;
            before = j;
          } else if (sc > look.scene && sc < after_scene) {
            after_scene = sc;
            after = j;
            after_sig = &tracks[j].signatures[m];
          }
        }
      }
      if (before == tracks.size() || after == tracks.size()) return std::nullopt;
      if (no_view_between(scenes[static_cast<size_t>(before_scene)].datetime, at) &&
          no_view_between(at, scenes[static_cast<size_t>(after_scene)].datetime) &&
          LinkCost(tracks[before], *after_sig, sigma) <= options.link_max_z) {
        return std::make_pair(before, after);
      }
      return std::nullopt;
    };
    std::vector<char> is_weak(tracks.size());
    std::vector<Sandwich> sandwich(tracks.size());
    for (size_t i = 0; i < tracks.size(); ++i) {
      const Track& t = tracks[i];
      if (!single_look(t)) continue;
      if (!fit) sandwich[i] = unlike_all_between_alike(i);
      const bool w =
          doubtful(i) || (fit ? fit->Classify(t.signatures.front()) != RegistryFit::Match::kListed
                              : sandwich[i].has_value());
      is_weak[i] = w ? 1 : 0;
    }
    // Where tracks were merged into others (index of the track that took them in).
    std::vector<size_t> merged_into(tracks.size());
    std::iota(merged_into.begin(), merged_into.end(), size_t{0});
    auto live = [&](size_t j) {
      while (merged_into[j] != j) j = merged_into[j];
      return j;
    };
    std::vector<char> taken(tracks.size());  // merged into another track
    int absorbed = 0, dropped = 0, rejoined = 0;
    for (size_t i = 0; i < tracks.size(); ++i) {
      if (!is_weak[i] || taken[i]) continue;
      // The look between two alike tracks ended the first as a newcomer would: without it
      // they are one track (unless the one before is itself a weak look, which is taken in
      // or dropped below: then this look goes the general way).
      if (sandwich[i] && !is_weak[live(sandwich[i]->first)]) {
        const size_t before = live(sandwich[i]->first), after = live(sandwich[i]->second);
        Track& host = tracks[before];
        host.absorbed.push_back(tracks[i].members.front());
        if (after != before && !is_weak[after]) {
          Track& tail = tracks[after];
          std::vector<std::pair<DetRef, Signature>> looks;
          for (size_t m = 0; m < host.members.size(); ++m)
            looks.emplace_back(host.members[m], host.signatures[m]);
          for (size_t m = 0; m < tail.members.size(); ++m)
            looks.emplace_back(tail.members[m], tail.signatures[m]);
          std::stable_sort(looks.begin(), looks.end(), [](const auto& a, const auto& b) {
            return a.first.scene < b.first.scene;
          });
          host.members.clear();
          host.signatures.clear();
          for (const auto& [ref, sig] : looks) {
            host.members.push_back(ref);
            host.signatures.push_back(sig);
          }
          host.absorbed.insert(host.absorbed.end(), tail.absorbed.begin(), tail.absorbed.end());
          merged_into[after] = before;
          is_weak[after] = 1;  // not kept on its own
          taken[after] = 1;
          ++rejoined;
        }
        ++absorbed;
        continue;
      }
      const DetRef look = tracks[i].members.front();
      const TimePoint at = scenes[static_cast<size_t>(look.scene)].datetime;
      const auto& cal = result.views_by_berth[tracks[i].berth];
      auto views_between = [&](TimePoint a, TimePoint b) {
        if (b < a) std::swap(a, b);
        return std::count_if(cal.begin(), cal.end(), [&](TimePoint x) { return x > a && x < b; });
      };
      size_t host = tracks.size();
      std::chrono::seconds host_gap{std::numeric_limits<std::int64_t>::max()};
      for (size_t j = 0; j < tracks.size(); ++j) {
        if (is_weak[j] || tracks[j].berth != tracks[i].berth) continue;
        for (const DetRef& m : tracks[j].members) {
          if (m.scene == look.scene) continue;
          const TimePoint t = scenes[static_cast<size_t>(m.scene)].datetime;
          const auto gap =
              std::chrono::abs(std::chrono::duration_cast<std::chrono::seconds>(t - at));
          if (views_between(at, t) == 0 && gap < host_gap && gap <= max_gap) {
            host = j;
            host_gap = gap;
          }
        }
      }
      if (host < tracks.size()) {
        Track& h = tracks[live(host)];
        h.absorbed.push_back(look);
        h.absorbed.insert(h.absorbed.end(), tracks[i].absorbed.begin(), tracks[i].absorbed.end());
        ++absorbed;
      } else if (doubtful(i)) {
        ++dropped;
      } else {
        is_weak[i] = 0;  // stays a visit of its own
      }
    }
    std::vector<Track> kept;
    for (size_t i = 0; i < tracks.size(); ++i) {
      if (!is_weak[i]) kept.push_back(std::move(tracks[i]));
    }
    tracks = std::move(kept);
    if (absorbed + dropped > 0) {
      spdlog::info(
          "{}: {} weak single looks extend a neighbouring visit ({} joining the tracks either "
          "side), {} not counted",
          kStage, absorbed, rejoined, dropped);
    }
  }

  // 2. Identity over tracks, taken in time order (the assignment's local search visits them
  // in this order, and its result should not depend on how the tracks were found).
  std::stable_sort(tracks.begin(), tracks.end(), [](const Track& a, const Track& b) {
    if (a.members.front().scene != b.members.front().scene) {
      return a.members.front().scene < b.members.front().scene;
    }
    return a.berth < b.berth;
  });
  std::vector<IdentityGroup> groups;
  for (const Track& t : tracks) groups.push_back(group_of(t));
  const IdentityResult identity = registry ? ClusterWithRegistry(groups, *fleet, options.identity)
                                           : ClusterGroups(groups, options.identity);
  for (size_t i = 0; i < tracks.size(); ++i) tracks[i].vessel = identity.vessel_of_group[i];

  // 3. Join consecutive tracks of one vessel at one berth when nothing between them says it
  // left: no view between them, or only a few views (each a miss of the detector, which
  // finds a vessel on a clear view only with some probability) within a short gap, and no
  // other vessel seen at the berth in between.
  // A track's looks in time, the absorbed ones included.
  auto first_scene = [](const Track& t) {
    int f = t.members.front().scene;
    for (const DetRef& r : t.absorbed) f = std::min(f, r.scene);
    return f;
  };
  auto last_scene = [](const Track& t) {
    int l = t.members.back().scene;
    for (const DetRef& r : t.absorbed) l = std::max(l, r.scene);
    return l;
  };
  std::sort(tracks.begin(), tracks.end(), [&](const Track& a, const Track& b) {
    if (a.berth != b.berth) return a.berth < b.berth;
    return first_scene(a) < first_scene(b);
  });
  std::map<std::string, std::vector<std::pair<int, int>>> sightings;  // berth: (scene, vessel)
  for (const Track& t : tracks) {
    for (const DetRef& r : t.members) sightings[t.berth].push_back({r.scene, t.vessel});
    for (const DetRef& r : t.absorbed) sightings[t.berth].push_back({r.scene, t.vessel});
  }
  std::vector<Track> joined;
  for (Track& t : tracks) {
    if (!joined.empty() && joined.back().berth == t.berth && joined.back().vessel == t.vessel) {
      Track& prev = joined.back();
      const int end_scene = last_scene(prev);
      const int begin_scene = first_scene(t);
      const TimePoint end = scenes[static_cast<size_t>(end_scene)].datetime;
      const TimePoint begin = scenes[static_cast<size_t>(begin_scene)].datetime;
      const auto& cal = result.views_by_berth[t.berth];
      const auto views_between =
          std::count_if(cal.begin(), cal.end(), [&](TimePoint x) { return x > end && x < begin; });
      const auto& sg = sightings[t.berth];
      const bool other_between = std::any_of(sg.begin(), sg.end(), [&](const auto& x) {
        return x.first > end_scene && x.first < begin_scene && x.second != t.vessel;
      });
      const bool join = views_between == 0 ||
                        (!other_between && views_between <= options.rejoin_max_missed_views &&
                         begin - end <= max_gap);
      if (join) {
        prev.members.insert(prev.members.end(), t.members.begin(), t.members.end());
        prev.signatures.insert(prev.signatures.end(), t.signatures.begin(), t.signatures.end());
        prev.absorbed.insert(prev.absorbed.end(), t.absorbed.begin(), t.absorbed.end());
        continue;
      }
    }
    joined.push_back(std::move(t));
  }

  // 4. Vessels and visits.
  std::vector<std::string> names(static_cast<size_t>(identity.vessels));
  if (fleet != nullptr && !fleet->vessels.empty()) {
    names = NameVessels(identity, *fleet, options.identity);
  }
  const int width = identity.vessels >= 1000 ? 4 : 3;
  for (int v = 0; v < identity.vessels; ++v) {
    Vessel vessel;
    char id[16];
    std::snprintf(id, sizeof(id), "V%0*d", width, v + 1);
    vessel.vessel_id = id;
    vessel.name = names[static_cast<size_t>(v)];
    vessel.signature = identity.signature[static_cast<size_t>(v)];
    vessel.detections = identity.detections[static_cast<size_t>(v)];
    result.vessels.push_back(vessel);
  }
  result.vessels_low = identity.vessels_low;
  result.vessels_high = identity.vessels_high;

  for (const Track& t : joined) {
    Visit visit;
    visit.vessel = t.vessel;
    visit.vessel_id = result.vessels[static_cast<size_t>(t.vessel)].vessel_id;
    visit.berth = t.berth;
    std::vector<DetRef> members = t.members;
    members.insert(members.end(), t.absorbed.begin(), t.absorbed.end());
    std::sort(members.begin(), members.end(),
              [](const DetRef& a, const DetRef& b) { return a.scene < b.scene; });
    visit.first_seen = scenes[static_cast<size_t>(members.front().scene)].datetime;
    visit.last_seen = scenes[static_cast<size_t>(members.back().scene)].datetime;
    visit.observations = static_cast<int>(members.size());
    double lon = 0, lat = 0;
    int centers = 0;
    const FleetVessel* listed = ListedVessel(identity, fleet, t.vessel);
    const std::vector<RegistryCandidate> candidates = ListedCandidates(identity, fleet, t.vessel);
    if (candidates.size() > 1 && spdlog::should_log(spdlog::level::debug)) {
      std::string line;
      for (const auto& c : candidates) line += fmt::format(" {}={:.3f}", c.vessel->name, c.weight);
      spdlog::debug("{}: {} at {}: loads from{}", kStage, visit.vessel_id, t.berth, line);
    }
    for (const DetRef& r : members) {
      const Detection& d =
          scenes[static_cast<size_t>(r.scene)].detections[static_cast<size_t>(r.det)];
      result.vessel_id_of_detection[static_cast<size_t>(r.scene)][static_cast<size_t>(r.det)] =
          visit.vessel_id;
      if (!options.require_clean_sighting || CleanLook(d)) {
        visit.seen.push_back(scenes[static_cast<size_t>(r.scene)].datetime);
      }
      visit.sighted.push_back(scenes[static_cast<size_t>(r.scene)].datetime);
      const DetectionLoad load = LoadWithIdentity(d, candidates);
      if (load.state != d.load_state) {
        spdlog::debug("{}: {} {}: load {} ({:.2f}) as {}, the detector said {} ({:.2f})", kStage,
                      scenes[static_cast<size_t>(r.scene)].scene_id, d.berth, ToString(load.state),
                      load.confidence, listed->name, ToString(d.load_state), d.confidence);
      }
      result.load_of_detection[static_cast<size_t>(r.scene)][static_cast<size_t>(r.det)] = load;
      if (Confident(load.state, load.confidence, options.min_state_confidence)) {
        visit.states.push_back(load.state);
      }
      if (std::isfinite(d.freeboard_m) && std::isfinite(d.freeboard_sigma_m)) {
        visit.freeboards.emplace_back(d.freeboard_m, d.freeboard_sigma_m);
      }
      if (std::isfinite(d.center.lon_deg) && std::isfinite(d.center.lat_deg)) {
        lon += d.center.lon_deg;
        lat += d.center.lat_deg;
        ++centers;
      }
    }
    visit.center = centers > 0 ? LonLat{lon / centers, lat / centers} : LonLat{kNaN, kNaN};
    const auto& cal = result.views_by_berth[t.berth];
    auto before = std::lower_bound(cal.begin(), cal.end(), visit.first_seen);
    if (before != cal.begin()) visit.view_before = *std::prev(before);
    auto after = std::upper_bound(cal.begin(), cal.end(), visit.last_seen);
    if (after != cal.end()) visit.view_after = *after;
    result.visits.push_back(visit);
  }
  // Load direction: the visits whose states changed say whether the terminal loads or
  // discharges; a visit's own change overrides it.
  for (const Visit& v : result.visits) {
    const int d = VisitDirection(v);
    result.visits_loading += d > 0 ? 1 : 0;
    result.visits_discharging += d < 0 ? 1 : 0;
  }
  result.load_direction = LoadDirection(result.visits_loading, result.visits_discharging);
  for (Visit& v : result.visits) {
    const int own = StateDirection(v.states);
    v.direction = own != 0 ? own : result.load_direction;
    std::tie(v.arrival_state, v.departure_state) = EndStates(v.states, v.direction);
  }
  spdlog::info("{}: load direction {} ({} visits rose, {} fell)", kStage, result.load_direction,
               result.visits_loading, result.visits_discharging);
  std::sort(result.visits.begin(), result.visits.end(), [](const Visit& a, const Visit& b) {
    if (a.first_seen != b.first_seen) return a.first_seen < b.first_seen;
    return a.berth < b.berth;
  });
  for (size_t i = 0; i < result.visits.size(); ++i) {
    Visit& v = result.visits[i];
    v.visit_id = std::to_string(i + 1);
    Vessel& vessel = result.vessels[static_cast<size_t>(v.vessel)];
    if (vessel.visits == 0 || v.first_seen < vessel.first_seen) vessel.first_seen = v.first_seen;
    if (vessel.visits == 0 || v.last_seen > vessel.last_seen) vessel.last_seen = v.last_seen;
    ++vessel.visits;
    ++result.transitions[v.transition()];
  }
  for (const char* state : {"empty", "partial", "full", "unknown"}) {
    result.berth_tanker_states[state] = 0;
  }
  for (size_t s = 0; s < scenes.size(); ++s) {
    for (size_t d = 0; d < scenes[s].detections.size(); ++d) {
      const Detection& det = scenes[s].detections[d];
      if (det.berth.empty() || det.vessel_class != "tanker") continue;
      const DetectionLoad& load = result.load_of_detection[s][d];
      ++result.berth_tanker_states[ToString(load.state)];
      if (load.state == LoadState::kUnknown) {
        ++result.berth_tanker_unknown_reasons[UnknownReasonKey(load.unknown_reason)];
      }
    }
  }
  spdlog::info("{}: {} scenes, {} tracks, {} visits, {} vessels", kStage, scenes.size(),
               tracks.size(), result.visits.size(), result.vessels.size());
  return result;
}

TallyResult TallyStore(const std::string& db_path, const Fleet* fleet,
                       const TallyOptions& options) {
  Store store = Store::OpenExisting(db_path);
  std::vector<StoredScene> stored = store.LoadScenes();
  std::vector<SceneDetections> scenes;
  std::vector<const StoredScene*> processed;
  SceneCounts counts;
  for (const StoredScene& s : stored) {
    switch (s.record.status) {
      case SceneStatus::kProcessed:
        if (!s.record.datetime) {
          ++counts.skipped;
          continue;
        }
        ++counts.processed;
        scenes.push_back(s.observations);
        processed.push_back(&s);
        break;
      case SceneStatus::kFailed:
        ++counts.failed;
        break;
      case SceneStatus::kSkipped:
        ++counts.skipped;
        break;
    }
  }
  std::optional<Fleet> stored_fleet;
  if (fleet == nullptr) {
    stored_fleet = store.ReadFleet();
    if (stored_fleet) fleet = &*stored_fleet;
  }
  TallyResult result = Tally(scenes, fleet, options);
  result.scenes = counts;

  std::vector<VesselRow> vessel_rows;
  for (const Vessel& v : result.vessels) {
    vessel_rows.push_back({v.vessel_id, v.name, v.length_m(), v.beam_m(), v.visits, v.detections,
                           v.first_seen, v.last_seen});
  }
  std::vector<VisitRow> visit_rows;
  for (const Visit& v : result.visits) {
    visit_rows.push_back({v.visit_id, v.vessel_id, v.berth, v.first_seen, v.last_seen,
                          ToString(v.arrival_state), ToString(v.departure_state), v.transition(),
                          v.observations, v.center});
  }
  std::vector<DetectionTallyRow> ids;
  for (size_t s = 0; s < processed.size(); ++s) {
    for (size_t d = 0; d < processed[s]->detection_fids.size(); ++d) {
      const DetectionLoad& load = result.load_of_detection[s][d];
      DetectionTallyRow row;
      row.fid = processed[s]->detection_fids[d];
      row.vessel_id = result.vessel_id_of_detection[s][d];
      if (load.with_identity) {
        row.load = StoredLoad{ToString(load.state), load.load_fraction, load.confidence,
                              load.unknown_reason};
      }
      ids.push_back(std::move(row));
    }
  }
  store.WriteTally(vessel_rows, visit_rows, ids);
  return result;
}

void WriteVisitsCsv(const std::string& path, const TallyResult& result) {
  std::ostringstream out;
  out << "visit_id,vessel_id,berth,first_seen,last_seen,arrival_state,departure_state,"
         "transition,observations\n";
  for (const Visit& v : result.visits) {
    out << CsvField(v.visit_id) << ',' << CsvField(v.vessel_id) << ',' << CsvField(v.berth) << ','
        << FormatTime(v.first_seen) << ',' << FormatTime(v.last_seen) << ','
        << ToString(v.arrival_state) << ',' << ToString(v.departure_state) << ',' << v.transition()
        << ',' << v.observations << '\n';
  }
  WriteText(path, out.str());
}

void WriteVesselsCsv(const std::string& path, const TallyResult& result) {
  std::ostringstream out;
  out << "vessel_id,name,length_m,beam_m,visits,first_seen,last_seen\n";
  for (const Vessel& v : result.vessels) {
    out << CsvField(v.vessel_id) << ',' << CsvField(v.name) << ',' << Fixed(v.length_m(), 1) << ','
        << Fixed(v.beam_m(), 1) << ',' << v.visits << ','
        << (v.visits > 0 ? FormatTime(v.first_seen) : "") << ','
        << (v.visits > 0 ? FormatTime(v.last_seen) : "") << '\n';
  }
  WriteText(path, out.str());
}

namespace {

// Looks of tankers at berths in `state` (0 for a result that holds no such count).
int BerthTankerLooks(const TallyResult& result, const char* state) {
  const auto it = result.berth_tanker_states.find(state);
  return it == result.berth_tanker_states.end() ? 0 : it->second;
}

}  // namespace

std::string SummaryJson(const TallyResult& result) {
  nlohmann::ordered_json j;
  j["visits"] = result.visits.size();
  j["distinct_vessels"] = result.vessels.size();
  // Transitions: how many visits went each of the terminal's two ways (EstimateTransitions:
  // the visits seen to change, and the others with the terminal's loading share). What each
  // visit showed at its ends (visits.csv) is in `transitions_seen`.
  const TransitionEstimate ways = EstimateTransitions(result, CheckOptions{});
  j["transitions"] = {{"empty->full", ways.estimate}, {"full->empty", ways.visits - ways.estimate}};
  nlohmann::ordered_json seen = nlohmann::ordered_json::object();
  for (const char* key : {"empty->full", "full->empty"}) seen[key] = 0;
  for (const auto& [key, count] : result.transitions) seen[key] = count;
  j["scenes"] = {{"processed", result.scenes.processed},
                 {"failed", result.scenes.failed},
                 {"skipped", result.scenes.skipped}};
  j["period"] = {{"start", result.period_start ? FormatTime(*result.period_start) : ""},
                 {"end", result.period_end ? FormatTime(*result.period_end) : ""}};
  j["distinct_vessels_range"] = {result.vessels_low, result.vessels_high};
  j["load_direction"] = {{"terminal", DirectionName(result.load_direction)},
                         {"visits_loading", result.visits_loading},
                         {"visits_discharging", result.visits_discharging}};
  // Visits whose states allow each transition (seen at both ends, or at one end, or not at
  // all): with the count seen, the range a transition count can have among the visits seen.
  nlohmann::ordered_json allowed = nlohmann::ordered_json::object();
  for (const char* key : {"empty->full", "full->empty"}) allowed[key] = VisitsAllowing(result, key);
  j["transitions_allowed"] = allowed;
  j["transitions_seen"] = seen;
  j["transitions_estimate"] = {
      {"visits_loading", ways.loading},
      {"visits_discharging", ways.discharging},
      {"visits_open", ways.open},
      {"loading_share", ways.loading_share},
      {"empty->full", {{"mean", ways.mean}, {"interval_90", {ways.low, ways.high}}}},
      {"full->empty",
       {{"mean", ways.visits - ways.mean},
        {"interval_90", {ways.visits - ways.high, ways.visits - ways.low}}}}};
  const MissedVisitEstimate est = EstimateMissedVisits(result, CheckOptions{});
  j["visits_estimated_total"] = {{"median", est.median_total},
                                 {"mean", est.mean_total},
                                 {"interval_90", {est.low_total, est.high_total}},
                                 {"detect_probability", est.detect_probability},
                                 {"share_of_visits_seen", est.mean_detect_probability}};
  nlohmann::ordered_json berths = nlohmann::ordered_json::object();
  for (const auto& [berth, views] : result.views_by_berth) {
    int visits = 0;
    for (const Visit& v : result.visits) visits += v.berth == berth ? 1 : 0;
    berths[berth] = {{"views", views.size()}, {"visits", visits}};
  }
  j["berths"] = berths;
  // What the tankers at berths showed, look by look: the load states, and what hid the load
  // from the image where it was unknown (most frequent first).
  nlohmann::ordered_json reasons = nlohmann::ordered_json::object();
  for (const auto& [reason, n] : MostFrequentFirst(result.berth_tanker_unknown_reasons))
    reasons[reason] = n;
  nlohmann::ordered_json looks = nlohmann::ordered_json::object();
  for (const char* state : {"empty", "partial", "full", "unknown"}) {
    looks[state] = BerthTankerLooks(result, state);
  }
  looks["unknown_reasons"] = reasons;
  j["tanker_looks_at_berths"] = looks;
  return j.dump(2) + "\n";
}

void WriteSummaryJson(const std::string& path, const TallyResult& result) {
  WriteText(path, SummaryJson(result));
}

std::string FormatVisitTable(const TallyResult& result) {
  std::ostringstream out;
  char line[512];
  std::snprintf(line, sizeof(line), "%-6s %-20s %8s %7s %6s  %-10s  %-10s  %s\n", "vessel", "name",
                "length_m", "beam_m", "visits", "first_seen", "last_seen",
                "visits (berth: arrival->departure)");
  out << line;
  for (const Vessel& v : result.vessels) {
    std::string states;
    for (const Visit& visit : result.visits) {
      if (visit.vessel_id != v.vessel_id) continue;
      if (!states.empty()) states += ", ";
      states += visit.berth + ": " + visit.transition();
    }
    const std::string first = v.visits > 0 ? FormatTime(v.first_seen).substr(0, 10) : "";
    const std::string last = v.visits > 0 ? FormatTime(v.last_seen).substr(0, 10) : "";
    std::snprintf(line, sizeof(line), "%-6s %-20s %8s %7s %6d  %-10s  %-10s  %s\n",
                  v.vessel_id.c_str(), v.name.empty() ? "-" : v.name.c_str(),
                  Fixed(v.length_m(), 1).c_str(), Fixed(v.beam_m(), 1).c_str(), v.visits,
                  first.c_str(), last.c_str(), states.c_str());
    out << line;
  }
  int e2f = 0;
  if (auto it = result.transitions.find("empty->full"); it != result.transitions.end()) {
    e2f = it->second;
  }
  out << result.visits.size() << " visits by " << result.vessels.size() << " distinct vessels";
  if (result.vessels_low != result.vessels_high) {
    out << " (plausible range " << result.vessels_low << "-" << result.vessels_high << ")";
  }
  const TransitionEstimate ways = EstimateTransitions(result, CheckOptions{});
  out << "; about " << ways.estimate << " arrived empty and left full (90 % interval " << ways.low
      << "-" << ways.high << "): " << e2f << " seen at both ends, " << ways.loading
      << " seen to load, " << ways.discharging << " to discharge, " << ways.open
      << " showed no change (terminal load direction: " << DirectionName(result.load_direction)
      << ")\n";
  out << "scenes: " << result.scenes.processed << " processed, " << result.scenes.failed
      << " failed, " << result.scenes.skipped << " skipped";
  if (result.period_start) {
    out << "; period " << FormatTime(*result.period_start) << " to "
        << FormatTime(*result.period_end);
  }
  out << "\n";
  int looks = 0;
  for (const auto& [state, n] : result.berth_tanker_states) looks += n;
  if (looks > 0) {
    const auto count = [&](const char* state) { return BerthTankerLooks(result, state); };
    out << "load of the tankers at berths, " << looks << " looks: " << count("empty") << " empty, "
        << count("partial") << " partial, " << count("full") << " full, " << count("unknown")
        << " unknown";
    if (!result.berth_tanker_unknown_reasons.empty()) {
      const auto top = MostFrequentFirst(result.berth_tanker_unknown_reasons).front();
      out << " (most often: " << top.first << ", " << top.second << "; all in summary.json)";
    }
    out << "\n";
  }
  return out.str();
}

}  // namespace bw
