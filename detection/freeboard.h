// Hull cues -> freeboard -> load fraction and state (PHYSICS.md's observation model).
//
// Frames: the window pixel frame of detection/hull.h (x right, y down). Widths measured in
// pixels are converted to metres with PixelGeometry::gsd_m.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "detection/detection.h"
#include "detection/hull.h"
#include "geo/fleet.h"
#include "geo/scene.h"

namespace bw {

struct FreeboardOptions {
  double min_sun_hull_angle_deg = 20.0;  // below: sun along the hull, unobservable
  int stations = 40;                     // profile stations along the parallel mid-body
  double max_sigma_m = 1.5;              // larger 1-sigma => unobservable at this GSD
  // Share of the hull length skipped at each end (bow and stern are not parallel-sided).
  double end_skip_fraction = 0.2;
  // Half-length (pixels) of the along-axis averaging of each station's profile.
  double along_axis_half_px = 2.0;
  // Band change between an empty and a full hull below this => cue below resolution.
  double min_band_change_px = 1.2;
  double min_valid_stations = 8;  // fewer valid stations => unobservable
  // The lit hull side seen off-nadir is used when it is expected wider than this at a
  // typical freeboard and its width changes by this much between ballast and laden. Lower
  // than the shadow's: its edges are chromatic (deck | hull paint | water) and every station
  // goes into one fit, whose standard error (with the systematic width floor) then decides
  // whether the load can be called.
  double sun_side_min_width_px = 1.0;
  double lit_min_band_change_px = 0.5;
  // The lit side's band counts only when it is seen as a surface of its own: its colour at
  // least this far off the line between the deck's and the water's colours (a single blurred
  // edge lies on it), or resolved (wider than three blur sigmas) and differing from both
  // neighbours by this share of their contrast.
  double lit_min_colour_angle_deg = 5.0;
  double lit_min_resolved_contrast = 0.15;
  // Tallest pier face or neighbouring hull side assumed when a shadow runs into one that
  // faces the sensor: its shaded face may add up to this height's relief to the band.
  double max_structure_height_m = 8.0;
  // Expected freeboard change between ballast and laden (m); NaN: class proportions by
  // the measured length.
  double freeboard_range_m = kNaN;
  void Check() const;  // throws InputError on out-of-range values
};

struct CueMeasurement {
  std::string cue;       // "shadow", "hull_side", "antifouling"
  int stations = 0;      // stations that gave a width
  double gain = 0.0;     // metres of band width per metre of freeboard
  double width_m = 0.0;  // mean measured band width
};

struct FreeboardEstimate {
  bool observable = false;
  double freeboard_m = kNaN;
  double sigma_m = kNaN;
  std::string reason;  // why unobservable ("sun along the hull", "shadow on the pier", ...)
  std::vector<CueMeasurement> cues;
  double trim_m_per_m = 0.0;  // fitted freeboard slope along the axis (bow-positive), m/m
  // When the shadow runs into a pier or another hull, its end is hidden: the dark band seen
  // is then a lower bound of the shadow, hence of the freeboard. Set (with its 1-sigma) when
  // only such censored stations were found; `observable` stays false.
  double lower_bound_m = kNaN;
  double lower_bound_sigma_m = kNaN;
};

// Fits freeboard from the shadow band on the anti-sun side and the lit hull side / red
// antifouling band seen off-nadir, one weighted least-squares over all stations.
// `hull.center_px`, `axis_px`, `length_px` and `beam_px` describe the deck as imaged.
FreeboardEstimate EstimateFreeboard(const HullImage& image, const Hull& hull,
                                    const PixelGeometry& geometry,
                                    const FreeboardOptions& options = {});

struct LoadOptions {
  double empty_below = 0.25;    // call empty when the load interval lies below this
  double full_above = 0.75;     // call full when the load interval lies above this
  double min_confidence = 0.8;  // below: unknown
  // A tanker does not sail deeper than its load line: a freeboard whose load is above
  // `max_load` with all but `misread_p` of its probability is a misread, and the state is
  // unknown (a measured 1.6 +- 0.1 m on a hull whose laden freeboard is 2.5 m).
  double max_load = 1.1;
  double misread_p = 0.05;
  // Prior probability that a reading is a misread (a cue taken for another, a veil over the
  // shadow): such a reading falls anywhere in [0, the hull's plausible freeboard]. A reading
  // the hull's possible loads (from -0.25 to `max_load`) explain poorly is more likely one of
  // those, and the state's confidence is its probability given a good reading times the
  // probability that the reading is good.
  double misread_prior = 0.05;
  void Check() const;
};

struct LoadEstimate {
  double load_fraction = kNaN;  // an upper bound when only a freeboard lower bound is known
  double load_sigma = kNaN;
  LoadState state = LoadState::kUnknown;
  double confidence = 0.0;  // probability that `state` is right; 0 when unknown
  std::string reason;
};

// A registry vessel the measured hull may be, with the weight of that hypothesis.
struct RegistryCandidate {
  const FleetVessel* vessel = nullptr;
  double weight = 1.0;
};

// With registry candidates their depths and drafts apply, mixed by weight (a hull that may be
// either of two sisters with different drafts gets the load spread that implies); without
// one, class proportions by length (with their spread folded into the uncertainty).
LoadEstimate EstimateLoad(const FreeboardEstimate& freeboard, double length_m, double beam_m,
                          const std::vector<RegistryCandidate>& registry,
                          const LoadOptions& options = {});
// One registry vessel (or none: null).
LoadEstimate EstimateLoad(const FreeboardEstimate& freeboard, double length_m, double beam_m,
                          const FleetVessel* registry, const LoadOptions& options = {});

// The registry vessel matching measured dimensions, or null (length within 5 %, beam 10 %,
// each widened in quadrature by one pixel of `gsd_m` when it is given: at 3 m a beam of 7 px
// cannot be measured to 10 %).
const FleetVessel* MatchFleetVessel(const Fleet& fleet, double length_m, double beam_m,
                                    double gsd_m = 0.0);
// Every registry vessel within those tolerances, weighted by how well its dimensions fit the
// measured ones (Gaussian in the relative errors, 2 % of length and 5 % of beam at 1 sigma:
// wider than the measurement errors, so that near-sisters are not told apart by noise; half
// a pixel of `gsd_m` is added to each in quadrature), and,
// when the freeboard is observable, by how far it falls outside the vessel's range between
// laden and ballast freeboard (inside it, not at all). Weights sum to 1; empty when none
// matches.
std::vector<RegistryCandidate> MatchFleetVessels(const Fleet& fleet, double length_m, double beam_m,
                                                 const FreeboardEstimate* freeboard = nullptr,
                                                 double gsd_m = 0.0);

// Class proportions of a tanker of length `length_m` when no registry entry is known
// (PHYSICS.md): depth L/13 (small coastal) .. L/10 (180 m product tanker) +- 9 %, laden draft
// 0.70-0.78 D, ballast draft between MARPOL's minimum 2.0 + 0.02 L (bounded for small hulls)
// and 0.45 D. Sigmas are 1-sigma spreads; they are what limits the confidence of a state read
// without a registry.
struct ClassProportions {
  double depth_m = kNaN, depth_sigma_m = kNaN;
  double laden_draft_m = kNaN, laden_draft_sigma_m = kNaN;
  double ballast_draft_m = kNaN, ballast_draft_sigma_m = kNaN;
};
ClassProportions TankerClassProportions(double length_m);

// The largest freeboard a hull of depth `depth_m` plausibly shows (an empty hull floats at
// 0.15 of its depth at the least; 25 % of margin on the depth and a metre of measurement):
// readings above it are implausible, and a misread is spread evenly below it.
inline double PlausibleMaxFreeboard(double depth_m) { return 0.85 * depth_m * 1.25 + 1.0; }

// Pixel-frame (x right, y down) unit vector of the true-north azimuth `azimuth_deg` at pixel
// `at` of the scene (grid convergence and pixel aspect included). Add a window's origin
// offset yourself: directions do not change with it.
cv::Point2d PixelDirectionFromAzimuth(const Scene& scene, PixelXY at, double azimuth_deg);

// The scene's acquisition geometry in its pixel frame at pixel `at` (a missing off-nadir
// angle is taken as nadir). Throws NoDataError when the sun angles are unknown.
PixelGeometry PixelGeometryAt(const Scene& scene, PixelXY at);

// ---- The station measurement: a PSF-aware two-edge profile fit --------------------------

// Model, per channel c, along the profile coordinate t (pixels):
//   I_c(t) = a_c + (b_c - a_c) Phi((t - t1)/s) + (d_c - b_c) Phi((t - t2)/s),   t1 < t2
// (three levels, two edges blurred by a Gaussian of sigma s, edges shared by all channels).
struct TwoEdgeFitOptions {
  double blur_sigma_px = 0.75;       // prior blur (PSF + pixel + sampling), Gaussian sigma
  double blur_sigma_prior_px = 0.3;  // 1-sigma of that prior; <= 0 keeps the blur fixed
  double first_edge_min_px = -1e9;   // search range of t1 (profile coordinates)
  double first_edge_max_px = 1e9;
  double min_width_px = 0.25;
  double max_width_px = 40.0;
  double grid_step_px = 0.25;  // initial grid search step
  // -1: the middle segment is darker than both neighbours (summed over channels); 0: free.
  int polarity = -1;
  // Variance inflation for correlated samples (bilinear samples closer than 1 px).
  double sample_correlation = 1.0;
  // Optional prior on the middle levels (one per channel), e.g. a known shadow level.
  std::vector<double> middle_level_prior;
  double middle_level_prior_sigma = 0.0;  // <= 0: no prior
  // Share of the band (from the first edge) taken by a shaded hull side seen off nadir, whose
  // level is fitted on its own; 0: the band is one level (a shadow only).
  double side_fraction = 0.0;
};

struct TwoEdgeFit {
  bool ok = false;
  double edge1_px = kNaN, edge2_px = kNaN;
  double width_px = kNaN, width_sigma_px = kNaN;
  double edge1_sigma_px = kNaN, edge2_sigma_px = kNaN;
  double blur_sigma_px = kNaN;
  std::vector<std::array<double, 3>> levels;  // per channel: before, middle, after
  std::vector<double> side_levels;            // per channel, where the side model was kept
  std::vector<double> noise;                  // per-channel residual rms
};

// REQUIRES: t_px ascending; every channel has t_px.size() samples; >= 8 samples.
TwoEdgeFit FitTwoEdgeProfile(const std::vector<double>& t_px,
                             const std::vector<std::vector<double>>& channels,
                             const TwoEdgeFitOptions& options);

}  // namespace bw
