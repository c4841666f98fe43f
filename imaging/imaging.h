// Per-window imaging kernels: radiometric normalisation, water / cloud / nodata masks,
// local water background and contrast. All maps share the window's pixel frame (x right,
// y down, origin at the window's top-left pixel corner). Work is split over tiles with a
// halo wider than every kernel's reach, so results do not depend on tile size or thread
// count (sums are exact in double precision).
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <opencv2/core.hpp>
#include <optional>
#include <vector>

#include "geo/scene.h"

namespace bw {

// reflectance = (dn - offset) * gain, per band (R, G, B, NIR).
struct RadiometricScale {
  std::array<float, 4> offset{0, 0, 0, 0};
  std::array<float, 4> gain{1, 1, 1, 1};
};

// From the pixel type and robust percentiles of the valid pixels: digital numbers are put
// on a reflectance-like 0..1 scale (Byte /255; 16-bit data /10000 when it looks like
// scaled reflectance, else by its own 99.9th percentile) and the darkest valid pixels
// (0.5th percentile, typically deep water) are pulled down to `dark_level` (haze removal),
// only when a dark object exists (a window under cloud has none, and with a NIR band its
// darkest NIR must be water-dark, <= 0.1: a veil is as bright there as in the visible).
RadiometricScale EstimateScale(const WindowPixels& pixels, PixelType type,
                               float dark_level = 0.01f);

// Window-wide statistics ProcessWindow derives (and can be given instead, see
// ImagingOptions::fixed_stats). Reflectance units.
struct WaterStats {
  std::array<float, 4> water_colour{0.05f, 0.05f, 0.05f, 0.05f};  // 30th pct per band, <= 0.15
  float water_level = 0.05f;    // 30th percentile of the open area's brightness
  float ndwi_threshold = 0.0f;  // Otsu on NDWI, clamped to [-0.05, 0.3] (NIR only)
  float noise_sigma = 0.01f;    // robust sigma of brightness - background over the seed
};

struct ImagingOptions {
  double gsd_m = 0.5;               // metres per pixel
  double background_radius_m = 60;  // half size of the water background box
  double min_background_radius_px = 6;
  double contrast_sigma = 4.0;      // pixel is "not water-like" beyond this many noise sigmas
  bool use_ndwi = true;             // water from NDWI when a NIR band exists
  double cloud_reflectance = 0.65;  // assumed (flat) reflectance of opaque cloud
  double cloud_min_radius_m = 30;   // cloud cores are opened with a disk of this radius
  // Cloud growth stops at sharp edges inside veils (a hull lying in a cloud's thin edge):
  // where the brightness gradient exceeds this (reflectance per pixel) and 6x the window's
  // median, in pixels less bright than a veil of growth_edge_max_opacity. 0 = off (wide
  // mode: on open water the cloud's fragments it frees became false hulls).
  double growth_edge_step = 0.0;
  double growth_edge_max_opacity = 0.2;
  // A step `growth_edge_strong_factor` times as steep stops growth also in denser veils, up to
  // growth_edge_strong_max_opacity: a cloud there does not change its opacity by a tenth
  // within a pixel, a white superstructure or catwalk in a veil's edge does (berth mode: such
  // pieces joined the veil and cut the hull short, and the hull was taken for another class).
  double growth_edge_strong_factor = 4.0;
  double growth_edge_strong_max_opacity = 0.5;
  // Bright, flat areas with straight outlines are built structures (an unmapped quay, a
  // roof), not cloud: a cloud-class component whose free outline runs along straight lines
  // of at least structure_min_line_m for at least structure_straight_share of its length
  // becomes land (see ImagingResult::land), those of its parts that are wider than a cloud
  // core or longer than structure_min_length_m (any vessel), so that a white deck moored
  // along a quay stays open. Off for mosaics of sample tiles, whose seams are straight.
  bool find_structures = true;
  double structure_min_line_m = 80;
  double structure_straight_share = 0.2;
  double structure_min_length_m = 450;  // a structure's part longer than any vessel
  int tile_size = 512;
  int threads = 0;  // 0 = all cores
  // When set, these replace the window's own statistics, so that the tiles of one scene
  // are thresholded alike whatever the tiling (take them from a sample of the scene).
  std::optional<WaterStats> fixed_stats;
  void Check() const;
};

// Everything the detector needs about one window.
struct ImagingResult {
  std::array<cv::Mat, 4> bands;  // CV_32F normalised reflectance (NIR empty when absent)
  cv::Mat brightness;            // CV_32F mean of the bands
  cv::Mat valid;                 // CV_8U 255 = data
  cv::Mat land;                  // CV_8U 255 = land polygons (input) or structures found
  cv::Mat cloud;                 // CV_8U 255 = cloud
  cv::Mat water;                 // CV_8U 255 = open water (valid, not land/cloud/object)
  cv::Mat background;            // CV_32F local water brightness
  cv::Mat contrast;              // CV_32F (brightness - background) / noise_sigma
  cv::Mat ndwi;                  // CV_32F (green - NIR) / (green + NIR); empty without NIR
  cv::Mat open;                  // CV_8U 255 = valid, not land, not cloud
  cv::Mat thin_cloud;            // CV_8U 255 = haze / thin cloud over water (not in `cloud`)
  cv::Mat seed;                  // CV_8U 255 = water seed the background was averaged over
  float noise_sigma = 0.01f;     // brightness noise over water (reflectance units)
  float water_level = 0.05f;     // median water brightness
  WaterStats stats;              // the statistics used (the window's own or the fixed ones)
  bool has_nir = false;
};

// REQUIRES: pixels.bands[0..2] non-empty CV_32F; land empty or CV_8U of the window size.
// The result does not depend on options.tile_size or options.threads (bit for bit).
ImagingResult ProcessWindow(const WindowPixels& pixels, const RadiometricScale& scale,
                            const cv::Mat& land, const ImagingOptions& options);

// Same, into `out`, re-using its buffers when they already have the window's size (no
// allocation when called again for windows of one size, e.g. the tiles of a scene).
void ProcessWindow(const WindowPixels& pixels, const RadiometricScale& scale, const cv::Mat& land,
                   const ImagingOptions& options, ImagingResult& out);

// Parallel tile loop: calls fn(core, padded) for every tile of a width x height grid, where
// `core` tiles the grid without overlap and `padded` is core grown by `halo` and clipped.
// fn must write only inside core. Deterministic: the tiling does not depend on `threads`.
void ForEachTile(int width, int height, int tile_size, int halo, int threads,
                 const std::function<void(const cv::Rect& core, const cv::Rect& padded)>& fn);

// Masked mean of a float map over the (2r+1)^2 box around each pixel (clipped at the
// border); pixels whose box holds fewer than min_count mask pixels get `fallback`. Sliding
// column sums (int32) + row prefix sums (integers in doubles) in fixed point (a power-of-two
// scale from the largest masked |value|: at least 2^29 / (2r+1) steps up to it, 1e-7
// relative at r = 20, 2e-6 at r = 500), O(1) per pixel whatever the radius, exact and so
// independent of tile size and threads. REQUIRES finite values under the mask. Output CV_32F.
cv::Mat MaskedBoxMean(const cv::Mat& values, const cv::Mat& mask, int radius, int min_count,
                      float fallback, int tile_size = 512, int threads = 0);
void MaskedBoxMean(const cv::Mat& values, const cv::Mat& mask, int radius, int min_count,
                   float fallback, cv::Mat& out, int tile_size = 512, int threads = 0);
// MaskedBoxMean of several maps of one size over one mask in one pass (each result equal to
// MaskedBoxMean's for that map, bit for bit); the mask counts are shared. Returns how many
// pixels got their fallback (the same pixels for every map), so a caller can compute a
// costly fallback only when it is used.
long long MaskedBoxMeans(const std::vector<const cv::Mat*>& values, const cv::Mat& mask, int radius,
                         int min_count, const std::vector<float>& fallbacks,
                         const std::vector<cv::Mat*>& outs, int tile_size = 512, int threads = 0);

// 1.4826 x the median absolute deviation of the samples (reordered in place); NaN below 16.
float MadSigma(std::vector<float>& samples);

// Cloud over water: a pixel under cloud of opacity a is water*(1-a) + cloud*a in every band,
// so its per-band opacities (value - water) / (cloud - water) agree; hull paint's do not.
inline bool CloudOpacitiesAgree(float amin, float amax, float amean) {
  return (amax - amin) <= 0.05f + 0.15f * amean;
}

// Otsu threshold of a float map over a mask (256 bins between the 1st and 99th percentile).
float OtsuThreshold(const cv::Mat& values, const cv::Mat& mask);

// Robust percentile (0..100) of a float map over a mask; `stride` subsamples rows/columns.
float MaskedPercentile(const cv::Mat& values, const cv::Mat& mask, double percentile,
                       int stride = 1);
// Row/column stride that samples at most about `target` of `n` pixels (>= 1).
inline int SampleStride(double n, double target) {
  return std::max(1, static_cast<int>(std::ceil(std::sqrt(n / target))));
}

// Several percentiles from one sample set (each exactly what MaskedPercentile gives): one
// pass over the map and nested partial sorts.
std::vector<float> MaskedPercentiles(const cv::Mat& values, const cv::Mat& mask,
                                     const std::vector<double>& percentiles, int stride = 1);

}  // namespace bw
