// Wide-area prescreen: one cheap fused pass over each decoded block that marks the few
// small regions that could hold a vessel, so that the full imaging + hull search runs only
// on windows around them. Open water, cloud interiors and land interiors cost one read and
// one pass.
//
// Per pixel (reflectance from the scene-wide radiometric scale): water by NDWI (or, without
// NIR, by brightness near the scene's water level); a local water background per band from
// the water pixels of 16 px cells averaged over a box of cells; a pixel is "hot" when any
// band, or the brightness, departs from that background by more than k robust sigmas (the
// scene's water noise per band) or, without NIR, its colour does (PrescreenParams::colour).
// Output is per 8 px cell: the count of hot pixels.
// Everything is local to the block (no tile-size or thread dependence beyond the block
// grid of the file).
#pragma once

#include <array>
#include <opencv2/core.hpp>
#include <vector>

#include "geo/scene.h"
#include "imaging/imaging.h"

namespace bw {

struct PrescreenParams {
  RadiometricScale scale;
  bool has_nir = true;
  float ndwi_threshold = 0.0f;                                  // water: NDWI above this (NIR only)
  float water_level = 0.05f;                                    // without NIR: water brightness ...
  float water_tolerance = 0.03f;                                // ... within this of the level
  std::array<float, 4> band_sigma{0.01f, 0.01f, 0.01f, 0.01f};  // water noise per band
  float brightness_sigma = 0.01f;
  float k_sigma = 4.0f;           // departure that makes a pixel hot
  int background_radius_px = 72;  // half size of the water background box
  std::array<float, 4> water_colour{0.05f, 0.05f, 0.05f, 0.05f};  // scene water (cloud test)
  float cloud_reflectance = 0.65f;
  // Without NIR, colour too (detection/colour.h): the residual off the local water orthogonal
  // to the water's spectrum, whitened by its covariance over the sample's water; hot where
  // its length exceeds its water median by k of its robust sigmas. A deck as bright as rough
  // water (whitecaps move every band together) stands out in colour alone. With NIR, NDWI
  // and the NIR band separate decks; `colour` stays false.
  bool colour = false;
  std::array<std::array<float, 3>, 3> colour_m{};  // rows of the whitening over R, G, B
  float colour_median = 0.0f, colour_sigma = 1.0f;
  // ... and water (the background) is also within this many of those sigmas of the scene's
  // water colour `colour_reference` (green land as bright as the water is not water).
  float water_colour_cut = 1e30f;
  std::array<float, 3> colour_reference{0.05f, 0.05f, 0.05f};
};

constexpr int kPrescreenCell = 8;  // output cell edge (pixels)

// Scene-wide parameters from a ProcessWindow result of a scene sample (its water mask
// and statistics). `gsd_m` sets the background box.
PrescreenParams PrescreenParamsFromSample(const ImagingResult& sample,
                                          const RadiometricScale& scale, double gsd_m);

// Per 8 px cell of `px` (cells anchored at the window origin; a partial last cell counts
// what it holds), CV_8U of ceil(h/8) x ceil(w/8): `hot` counts hot pixels, `cloudy` the
// pixels consistent with a grey cloud over the water (the same band-opacity test as the
// imaging cloud classes, opacity >= 0.03). `valid_count` and `cloud_count` (cloudy
// pixels) are added to.
void PrescreenWindow(const WindowPixels& px, const PrescreenParams& p, cv::Mat& hot,
                     cv::Mat& cloudy, long long& valid_count, long long& cloud_count);

// A region for the full search: `own` (scene pixels) holds the centres this window is
// responsible for; `window` is what is read and imaged.
struct PrescreenRegion {
  cv::Rect own;
  cv::Rect window;
};

struct RegionPlanOptions {
  int min_hot_per_cell = 3;    // a cell is marked with at least this many hot pixels
  int min_hot_total = 12;      // a region needs this many hot pixels in all
  double max_region_px = 840;  // components with a larger bbox diagonal are cut into pieces
  int piece_px = 1024;         // piece grid (scene-anchored)
  int context_px = 125;        // context around a small component
  int halo_px = 250;           // context around a piece of a large one
  int cloud_core_radius = 4;   // cells: cloud cores are cloudy areas wider than any beam
  int own_margin_px = 100;     // a piece owns its marked cells' box widened by this
};

// Regions from the scene's cell maps (PrescreenWindow's, cell kPrescreenCell px) for a
// width x height scene. Marked cells: enough hot pixels, and not cloud — a cell that is
// mostly cloudy and connected to a cloud core (cloudy cells that survive an opening wider
// than any beam) is cloud, so a grey deck is not, nor a coloured hull next to a cloud.
// Deterministic order (components by their box, pieces row-major).
std::vector<PrescreenRegion> PlanRegions(const cv::Mat& hot_cells, const cv::Mat& cloudy_cells,
                                         int width, int height, const RegionPlanOptions& o);

}  // namespace bw
