// Rendering one synthetic scene to a GeoTIFF. A ScenePlan states everything in the scene
// explicitly (geometry, sun and sensor, every hull and structure, looks); RenderScene turns
// it into 4-band (R, G, B, NIR) UInt16 pixels, strip by strip, so memory does not grow with
// the raster size.
//
// Geometry is exact: polygons are rasterised in metric coordinates at `supersample` x
// supersampling (cell centres), then area-averaged, blurred with a Gaussian PSF and given
// sensor noise. Heights are handled with the observation model of ../shared/PHYSICS.md:
// anything at height h is displaced by h*tan(off_nadir) towards view_azimuth + 180; a shadow
// on a surface at height g is the sweep of the caster's outline over its height range above g
// by (h - g)*cot(sun_elevation) towards sun_azimuth + 180.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "geo/types.h"

namespace bw::datasets {

// Scene CRS coordinates in metres (easting, northing) of a projected, north-up CRS.
struct Vec2 {
  double x = 0.0;
  double y = 0.0;
};
inline Vec2 operator+(Vec2 a, Vec2 b) { return {a.x + b.x, a.y + b.y}; }
inline Vec2 operator-(Vec2 a, Vec2 b) { return {a.x - b.x, a.y - b.y}; }
inline Vec2 operator*(Vec2 a, double s) { return {a.x * s, a.y * s}; }
inline double Dot(Vec2 a, Vec2 b) { return a.x * b.x + a.y * b.y; }
using Polygon2 = std::vector<Vec2>;  // open ring (first point not repeated)

// Reflectance 0..1 in R, G, B, NIR.
using Rgbn = std::array<float, 4>;

enum class HullKind { kTanker, kTug, kBoat };

// One hull in one scene: a prism from the waterline to the deck edge (vertical sides), with a
// superstructure at the stern and deck fittings.
struct HullInstance {
  HullKind kind = HullKind::kTanker;
  std::string name;
  Vec2 center;               // midship at the waterline, true position
  double heading_deg = 0.0;  // bow azimuth, clockwise from true north
  double length_m = 100.0;
  double beam_m = 16.0;
  double depth_m = 9.0;
  double draft_m = 4.0;
  double laden_draft_m = 6.5;             // antifouling paint reaches up to here
  double superstructure_height_m = 14.0;  // above the deck
  double superstructure_length_frac = 0.12;
  double bow_length_frac = 0.18;
  Rgbn deck{0.22f, 0.09f, 0.07f, 0.20f};
  Rgbn hull_paint{0.035f, 0.035f, 0.04f, 0.05f};
  Rgbn antifouling{0.30f, 0.07f, 0.06f, 0.22f};
  Rgbn superstructure{0.55f, 0.55f, 0.52f, 0.50f};
  Rgbn fittings{0.45f, 0.45f, 0.42f, 0.40f};  // pipe line, manifold
  double speed_mps = 0.0;                     // > 0: under way, drawn with a wake
  bool deck_fittings = true;

  double freeboard_m() const { return depth_m - draft_m; }
};

// A convex structure standing on the ground (pier deck, storage tank, building).
struct Prism {
  Polygon2 footprint;  // convex
  double height_m = 5.0;
  Rgbn roof{0.3f, 0.3f, 0.3f, 0.3f};
  Rgbn side{0.2f, 0.2f, 0.2f, 0.2f};
  float texture = 0.08f;  // relative amplitude of the roof texture
};

struct CloudLook {
  bool enabled = false;
  uint64_t seed = 1;
  double threshold = 1.0;  // fBm value above which there is cloud (higher = less cloud)
  double softness = 0.15;  // fBm range over which opacity rises from 0 to max
  double max_opacity = 0.95;
  double scale_m = 900.0;    // size of the largest cloud features
  double height_m = 2000.0;  // cloud base: shadows are displaced by height*cot(elevation)
  double haze = 0.0;         // 0..1 thin haze over the whole scene
};

struct SceneLook {
  Rgbn water{0.035f, 0.05f, 0.055f, 0.012f};
  double wave_amplitude = 0.12;  // relative
  double wave_scale_m = 6.0;
  double wind_deg = 45.0;
  double glint = 0.01;  // extra water reflectance at wave crests
  Rgbn vegetation{0.05f, 0.09f, 0.04f, 0.38f};
  Rgbn bare{0.22f, 0.21f, 0.19f, 0.27f};
  double vegetation_fraction = 0.5;
  Rgbn shadow_sky{0.22f, 0.26f, 0.34f, 0.14f};  // fraction of light left in shadow per band
  Rgbn gain{1.0f, 1.0f, 1.0f, 1.0f};
  Rgbn path{0.02f, 0.03f, 0.05f, 0.01f};  // atmospheric path reflectance added
  double psf_sigma_px = 0.5;
  bool noise = true;
  double read_noise_dn = 12.0;
  double shot_noise = 0.6;  // variance in DN^2 per DN of signal
  bool water_texture = true;
};

struct ScenePlan {
  std::string id;  // file stem
  TimePoint time{};
  std::string platform = "bw-sim";
  std::string crs = "EPSG:32653";
  int width_px = 256;
  int height_px = 256;
  double gsd_m = 0.5;
  double origin_x = 0.0;  // nominal top-left corner written to the geotransform
  double origin_y = 0.0;
  Vec2 jitter_m;  // the pixel at nominal position p shows the ground at p + jitter
  double grid_from_true_deg = 0.0;  // add to a true azimuth to get the grid azimuth
  double sun_elevation_deg = 45.0;
  double sun_azimuth_deg = 180.0;  // true, scene -> sun
  double off_nadir_deg = 0.0;
  double view_azimuth_deg = 0.0;  // true, scene -> satellite

  std::vector<Polygon2> land;  // at the water level, any shape
  std::vector<Prism> structures;
  std::vector<HullInstance> hulls;
  CloudLook clouds;
  SceneLook look;

  bool swath_edge = false;  // pixels with dot(p - edge_point, edge_normal) > 0 are nodata
  Vec2 edge_point;
  Vec2 edge_normal;

  uint64_t seed = 1;
  int supersample = 3;
  int strip_rows = 128;
  int block_size = 256;  // GeoTIFF tile size
  bool nir = true;       // false: write R, G, B only
};

struct RenderOptions {
  std::string preview_png;  // also write an 8-bit RGB quicklook here when set
  int preview_max_px = 800;
  int threads = 1;  // strips rendered in parallel within the scene (TBB)
};

// GDAL-order geotransform the scene is written with (the nominal one).
std::array<double, 6> NominalGeotransform(const ScenePlan& plan);

// Writes the scene (UInt16, nodata 0, tiled, DEFLATE + predictor). Throws bw::Error.
void RenderScene(const ScenePlan& plan, const std::string& tif_path,
                 const RenderOptions& options = {});

// Cloud opacity 0..1 over the ground point p as seen in the image (cloud relief included),
// exactly the field the renderer draws. 0 when clouds are disabled.
double CloudOpacityAt(const ScenePlan& plan, Vec2 ground);

// True when the ground point p falls inside the raster and outside the nodata swath edge.
bool GroundPointValid(const ScenePlan& plan, Vec2 ground);

// The deck-edge outline of a hull (convex, counter-clockwise) in scene CRS metres.
Polygon2 HullOutline(const HullInstance& hull, double grid_from_true_deg);

}  // namespace bw::datasets
