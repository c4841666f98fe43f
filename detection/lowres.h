// Small-target vessel search for coarse imagery (e.g. Sentinel-2 at 10 m), where a hull's
// beam spans one to three blurred pixels and the oriented hull fit (detection/hulls.h),
// which needs both side edges and a deck between them, cannot work. A vessel there is a
// compact group of pixels that departs from the local water and is mostly bordered by water.
//
// Per window (an ImagingResult from ProcessWindow):
//  1. Water by NDWI (green vs NIR; without NIR by brightness near the water level).
//  2. Constant false alarm rate test: a pixel is an object pixel when any band departs from
//     the local water background (masked box mean of the water) by more than k noise sigmas
//     (per band, the larger of the window's robust water sigma and the local RMS of the
//     water residuals, so rough water does not raise the false alarm rate). Cloud and nodata
//     never are.
//  3. Object components (8-connected). A component whose outline is almost all water and
//     whose size fits a vessel is one vessel (a ship at anchor or under way). Components
//     joined to land (the coast, piers, and ships moored along them: at this resolution a
//     moored hull and its quay are one non-water component) are left to step 5.
//  4. Length, beam and axis from the second moments of the pixels; bounds in metres (the
//     measured extents include about a pixel of blur).
//  5. Moored vessels, which step 3 leaves joined to their quay. Water here is what does not
//     depart from it (NDWI aside: shadowed water), in basins at least a longest vessel square.
//     Hull pixels are the non-water pixels within a beam of the water that are darker in NIR
//     than the local quay (hull paint vs concrete and asphalt), in bands at least
//     `min_moored_beam_m` wide (narrower ones are the shore's mixed pixels). A group of them is a
//     moored vessel when its size fits, part of its outline is water by the NDWI, the land it
//     touches is one line along its axis, it departs from that quay by more than the quay's
//     texture, the quay is paved (low NDVI), and no cloud is near (the cloud mask's small pieces on
//     land are roofs, not cloud).
// Pixel frame: the window's (x right, y down, origin at the top-left pixel corner).
#pragma once

#include <opencv2/core.hpp>
#include <vector>

#include "detection/detection.h"
#include "geo/scene.h"
#include "imaging/imaging.h"

namespace bw {

struct LowResOptions {
  double gsd_m = 10.0;               // metres per pixel
  double k_sigma = 8.0;              // object pixel: departure from the water (noise sigmas)
  double background_radius_m = 250;  // half size of the local water background box
  double min_length_m = 30.0;        // shortest vessel reported (a small coaster / tug)
  double max_length_m = 420.0;       // longest (the largest tankers and container ships)
  double max_beam_m = 75.0;          // widest hull (ULCC ~70 m) plus a pixel of blur
  double free_water_outline = 0.85;  // share of a vessel's outline against water
  double min_resolvable_px = 3.0;    // the longest vessel must span this many pixels
  // A free-water blob shorter than this many beams whose spectrum is water mixed with grey
  // cloud is a cumulus puff, not a vessel (<= 0: off).
  double max_puff_elongation = 2.0;
  double cloud_reflectance = 0.65;  // flat reflectance of opaque cloud (ImagingOptions')
  // Moored vessels (step 5).
  bool moored = true;                  // also search along quays and piers
  double moored_water_outline = 0.25;  // share of the outline against water (one long side)
  double min_moored_beam_m = 25.0;     // narrower dark bands along a shore are its mixed pixels
  double min_moored_elongation = 2.0;  // measured length / beam (hulls are 5-8, blur lowers it)
  double max_alongside_deg = 30.0;     // hull axis vs the line of the quay it touches
  double quay_contrast = 0.2;          // hull NIR below the quay's, and its relative difference
                                       // from the quay next to it in some band
  double quay_contrast_sigma = 2.0;    // that difference in the quay's own spread (texture)
  double quay_ring_m = 20.0;           // the quay next to a hull: land within this of it
  double max_quay_ndvi = 0.3;          // paved (concrete ~0.05, asphalt ~0.1; grass, trees > 0.4)
  void Check() const;                  // throws InputError on out-of-range values
};

// True when the hull fit cannot resolve a typical hull at `gsd_m` and the small-target
// search is used instead: a typical tanker beam (`typical_beam_m`) spans fewer than
// `min_beam_px` pixels (the hull fit needs two blurred side edges, ~2 px each, and a deck
// between them).
bool UseLowResSearch(double gsd_m, double typical_beam_m = 30.0, double min_beam_px = 6.0);

struct LowResVessel {
  cv::Point2d center_px;      // window pixels (pixel centres at +0.5)
  cv::Point2d axis_px{1, 0};  // unit vector along the hull (bow/stern unknown)
  double length_px = 0, beam_px = 0;
  double length_m = 0, beam_m = 0;
  double area_px = 0;
  double contrast_sigma = 0;  // mean departure from the water (noise sigmas)
  double water_outline = 0;   // share of the outline against water
  bool truncated = false;     // touches nodata or the window edge
  cv::Rect bbox;              // window pixels
};

// REQUIRES: img from ProcessWindow (reflectance bands, valid, cloud; ndwi with NIR).
// Deterministic order (by bounding box, row-major).
std::vector<LowResVessel> FindLowResVessels(const ImagingResult& img, const LowResOptions& options);

// The Detection for vessel `v` found in window `win` of `scene`: geometry in lon/lat,
// heading 0-180, load state unknown ("hull below resolution"), class "vessel".
Detection LowResDetection(const Scene& scene, const SceneDetections& header, const PixelWindow& win,
                          const LowResVessel& v);

}  // namespace bw
