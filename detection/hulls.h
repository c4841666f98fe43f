// Vessel candidates and oriented hulls from the imaging maps of one window: contrast against
// the local water, hysteresis + morphology + connected components, separation of touching
// hulls, sub-pixel length / beam / axis from edge profiles, bow/stern and class.
// Pixel frame: the window's (x right, y down).
#pragma once

#include <array>
#include <limits>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "detection/hull.h"
#include "imaging/imaging.h"

namespace bw {

struct HullFitOptions {
  double gsd_m = 0.5;
  double seed_sigma = 10.0;         // a candidate holds a pixel this many noise sigmas above water
  double grow_sigma = 5.0;          // and extends over pixels this far above
  double min_seed_contrast = 0.03;  // ... and at least this much reflectance above water
  double min_length_m = 12.0;
  double max_length_m = 420.0;
  double min_beam_m = 3.0;
  double min_water_ring_fraction = 0.35;  // share of the surrounding ring that is water
  // A part filling under 0.55 of its box may be a dark deck in speckle: the part with the
  // connected pixels around it where the `solid_box_m` mean of the object contrast exceeds
  // `solid_level_sigma` is tried, and kept when it fills `solid_min_fill` of its box (off
  // where the box is under 3 px).
  double solid_box_m = 2.5;
  double solid_level_sigma = 2.5;
  double solid_min_fill = 0.7;
  // A hull is cloud_affected when cloud covers more than this share of the ring around it
  // (half a beam wide; or when haze is needed to call the ring water). Against truth on six
  // rendered seasons of `default` (seeds 1/2/3/7/11/13): of 34 berth hulls flagged at 0.02,
  // 22 had no cloud on them; 11 of those had 0.037-0.10 of the ring under cloud (a cloud
  // beside the stern or over the pier) and are not flagged at 0.10, while all 11 hulls over
  // 10 % under cloud and the 3 flagged false hulls had 0.125-0.89 and still are. At 0.02
  // those 11 read as looks through cloud: a visit seen once that way was not counted.
  double cloud_ring_share = 0.10;
  // Keep the window-sized scratch maps of the object contrast per thread between calls:
  // berth windows of one terminal repeat in size, and fresh maps cost a page fault per
  // 4 KiB (a third of a berth scan's time). Off where peak memory matters more (wide mode).
  bool keep_scratch = true;
  // Cut a wake's foam speckle off the stern of a part (see DropTrailingSpeckle in hulls.cc).
  // For the search of open water: hulls at a berth are moored, and cutting there turns haze
  // along the pier into hull-shaped strips.
  bool cut_wakes = false;
  // Ends for the search of open water: the objectness map gives a hull's ends wherever it
  // finds the hull as straight as the brightness map does (in brightness the foam astern of
  // a vessel under way and its bow wave are as bright as many decks), and a map's ends count
  // only where its deck stands `min_end_step_sigma` clear of the water there (else the
  // length stays as the mask gave it). Berth mode keeps the brightness map's ends, which
  // its seasons were measured with (a hull's length sets its identity across scenes).
  bool objectness_ends = false;
  double min_end_step_sigma = 5.0;
  // The sun, where known: a unit vector towards it in the window's pixels and its elevation.
  // A shadow across a deck cuts a hull into pieces on one axis only as far as the tallest
  // superstructure's shadow reaches along it (`max_superstructure_m` / tan(elevation), times
  // the cosine between the sun and the hull axis): pieces further apart on the axis are not
  // one hull. Unknown sun (zero vector): no bound.
  cv::Point2d to_sun_px{0.0, 0.0};
  double sun_elevation_deg = 90.0;
  double max_superstructure_m = 40.0;
  void Check() const;
};

struct HullCandidate {
  Hull hull;  // window pixels
  double length_m = 0, beam_m = 0;
  double area_px = 0;
  double mean_contrast = 0;  // objectness (brightness or colour against the water), noise sigmas
  double mean_brightness_contrast = 0;  // the brightness part alone (ImagingResult::contrast)
  // Objectness step across the outline, in noise sigmas: the mean over the inner 2 px band
  // less that over the outer 2 px band. A hull's edges are as sharp as the PSF: its inside
  // is above the grow level and the water outside near zero, so the step is about the grow
  // level or more, and a good part of the mean contrast. A soft-edged cloud puff or haze
  // patch rises over many pixels: a step of a sigma or two, a tenth of its contrast.
  double outline_step = 0;
  double bow_score = 0;      // 0..1, how clearly bow and stern are told apart
  std::string vessel_class;  // "tanker", "tug", "small_craft", "other"
  std::array<double, 3> deck_rgb{0, 0, 0};
  double superstructure_pos = -1;  // fraction from bow, <0 unknown
  double manifold_pos = -1;
  double psf_sigma_px = 0.6;
  bool truncated = false;
  bool cloud_affected = false;
  cv::Rect bbox;  // window pixels
  cv::Mat mask;   // CV_8U over bbox, 255 = hull
};

// REQUIRES: img from ProcessWindow.
std::vector<HullCandidate> FindHulls(const ImagingResult& img, const HullFitOptions& options);

// Lower-level steps, exposed for tests on drawn images.

// Sub-pixel refinement of an oriented hull: side edges at stations along the mid-body (the
// midline fit gives centre and axis), ends from the centre-line profile. `contrast` is any
// CV_32F map where hull > surroundings. Returns false when no edges were found.
// `edge_mad_px`: median absolute residual of the straighter long side's edges about its
// fitted line (pixels), a measure of how hull-like the object is. `min_end_step`: the ends
// are searched only where the deck stands this far (map units) above the water beyond them
// (else the length stays as given); `deck_clear` says whether it did. `shaded_ends`: an end
// may lie past a lower plateau beyond the deck's step (a deck in its superstructure's
// shadow), where that plateau stands clear of the outside and ends in a drop to it.
bool RefineHull(const cv::Mat& contrast, Hull& hull, double* psf_sigma_px = nullptr,
                double* edge_mad_px = nullptr,
                double min_end_step = -std::numeric_limits<double>::infinity(),
                bool* deck_clear = nullptr, bool shaded_ends = false);

// Tells the bow from the stern by the width profile (a pointed bow tapers, the stern is
// square) and a superstructure aft; flips hull.axis_px towards the bow. Returns a score in
// 0..1 (0 = undecided); sets hull.bow_resolved when the score is convincing.
double ResolveBow(const cv::Mat& contrast, const cv::Mat& brightness, Hull& hull,
                  double* superstructure_pos = nullptr);

// Deck outline polygon in pixels from centre, axis, length and beam (pointed bow when
// resolved, else a rectangle).
std::vector<cv::Point2d> HullOutline(const Hull& hull);

// Bilinear sample of a CV_32F map; outside => `outside`.
float SampleBilinear(const cv::Mat& map, double x, double y, float outside = 0.0f);

}  // namespace bw
