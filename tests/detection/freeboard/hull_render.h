// A small analytic renderer of one moored tanker for the freeboard tests: water, the hull's
// shadow swept from the deck edge, the visible hull sides (lit / shaded, red antifouling in
// ballast), the deck displaced by relief; supersampled, Gaussian PSF, box-integrated, noised.
// North-up raster, so grid north is true north.
#pragma once

#include <array>
#include <cstdint>
#include <limits>

#include "detection/hull.h"

namespace bw::testing {

struct HullRenderSpec {
  int width_px = 240, height_px = 240;
  double gsd_m = 0.5;
  double length_m = 100.0, beam_m = 18.0;
  double freeboard_m = 5.0;
  double antifouling_m = 0.0;  // visible red band height (T_laden - T), 0 when laden
  double heading_deg = 60.0;   // bow azimuth, true north
  double sun_elevation_deg = 50.0, sun_azimuth_deg = 150.0;
  double off_nadir_deg = 0.0, view_azimuth_deg = 0.0;  // view azimuth: scene -> satellite
  double psf_sigma_px = 0.6;
  double noise = 0.003;  // additive Gaussian noise (reflectance units)
  int supersample = 8;
  uint64_t seed = 1;
  // Reflectances R, G, B, NIR.
  std::array<double, 4> water{0.04, 0.06, 0.08, 0.02};
  std::array<double, 4> shadow{0.012, 0.018, 0.028, 0.006};
  std::array<double, 4> deck{0.32, 0.18, 0.14, 0.30};
  std::array<double, 4> hull_lit{0.10, 0.10, 0.12, 0.12};
  std::array<double, 4> hull_shaded{0.02, 0.02, 0.026, 0.02};
  std::array<double, 4> antifouling_lit{0.30, 0.06, 0.05, 0.20};
  std::array<double, 4> antifouling_shaded{0.05, 0.012, 0.012, 0.035};
  // A pier alongside the hull on its anti-sun side: its near face this far from the hull side
  // (NaN: no pier), its deck this high above the water. The pier (its deck as imaged) is
  // marked in image.blocked, as a terminal's land polygon moved onto the image would be.
  // Seen off-nadir from the hull's side its face shows (the hull's shadow on the deck is
  // drawn for a nadir view only).
  // A superstructure (accommodation block) at the stern: this long, this share of the beam
  // wide, this high above the deck (0: none). It casts its shadow on the water; its roof is
  // drawn displaced by its height's relief (its shadow on the deck and its walls are not).
  double superstructure_length_m = 0.0, superstructure_height_m = 0.0;
  double superstructure_beam_share = 0.8;
  // A raised deck structure across the whole beam (a manifold platform): centred this far
  // forward of amidships, this long and this high above the deck (0: none); drawn like the
  // superstructure, in the superstructure's colour.
  double crossbar_x_m = 0.0, crossbar_length_m = 0.0, crossbar_height_m = 0.0;
  std::array<double, 4> superstructure{0.45, 0.45, 0.45, 0.45};
  double pier_gap_m = std::numeric_limits<double>::quiet_NaN();
  double pier_height_m = 4.5, pier_width_m = 16.0;
  std::array<double, 4> pier{0.30, 0.30, 0.28, 0.32};
  std::array<double, 4> pier_shadow{0.06, 0.07, 0.08, 0.04};
  std::array<double, 4> pier_face{0.20, 0.20, 0.19, 0.22};
  std::array<double, 4> pier_face_shaded{0.03, 0.035, 0.04, 0.02};
};

struct RenderedHull {
  HullImage image;
  Hull hull;  // truth: imaged deck centre, axis to the bow, length and beam
  PixelGeometry geometry;
};

RenderedHull RenderHull(const HullRenderSpec& spec);

// Horizontal unit vector of a true-north azimuth in a north-up pixel frame (y down).
cv::Point2d PixelDirection(double azimuth_deg);

}  // namespace bw::testing
