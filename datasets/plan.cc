#include "datasets/plan.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "datasets/noise.h"
#include "geo/error.h"
#include "geo/solar.h"

namespace bw::datasets {

namespace {

using internal::Fbm;
using internal::Rng;

constexpr const char* kStage = "datasets.plan";
constexpr double kPi = 3.14159265358979323846;
constexpr double kDeg = kPi / 180.0;

double Norm(Vec2 a) { return std::sqrt(Dot(a, a)); }
Vec2 FromAzimuth(double az_deg) { return {std::sin(az_deg * kDeg), std::cos(az_deg * kDeg)}; }
double AzimuthOf(Vec2 v) { return std::atan2(v.x, v.y) / kDeg; }

double Smooth(double a, double b, double x) {
  const double t = std::clamp((x - a) / (b - a), 0.0, 1.0);
  return t * t * (3 - 2 * t);
}

Rgbn Jitter(Rng& rng, Rgbn c, double rel) {
  const double common = rng.Uniform(1 - rel, 1 + rel);
  for (float& v : c) v = static_cast<float>(v * common * rng.Uniform(1 - rel / 3, 1 + rel / 3));
  return c;
}

const char* kPrefixes[] = {"Nordic", "Pacific",   "Amur",  "Ocean",    "Sakhalin", "Baltic",
                           "Vostok", "Kamchatka", "Sea",   "Primorye", "Eastern",  "Golden",
                           "Arctic", "Jade",      "Coral", "Silver"};
const char* kSuffixes[] = {"Amber",  "Cygnus", "Spirit",  "Lotus",   "Star",    "Meridian",
                           "Dawn",   "Falcon", "Glory",   "Pearl",   "Horizon", "Voyager",
                           "Breeze", "Crest",  "Fortune", "Harmony", "Orion",   "Tern"};

std::string VesselName(Rng& rng, std::set<std::string>& used) {
  for (int tries = 0; tries < 1000; ++tries) {
    std::string n = std::string(kPrefixes[rng.Int(0, std::size(kPrefixes) - 1)]) + " " +
                    kSuffixes[rng.Int(0, std::size(kSuffixes) - 1)];
    if (tries > 200) n += " " + std::to_string(rng.Int(2, 9));
    if (used.insert(n).second) return n;
  }
  throw Error(kStage, "", "cannot make unique vessel names");
}

// Looks of a tanker: deck colour classes (red-brown, green, grey, dark), dark hull paint.
void DressTanker(Rng& rng, HullInstance& h, int colour_class) {
  static const Rgbn decks[] = {{0.20f, 0.08f, 0.06f, 0.18f},
                               {0.08f, 0.17f, 0.10f, 0.17f},
                               {0.26f, 0.27f, 0.27f, 0.28f},
                               {0.07f, 0.07f, 0.08f, 0.09f},
                               {0.17f, 0.11f, 0.08f, 0.16f}};
  static const Rgbn paints[] = {{0.030f, 0.030f, 0.035f, 0.04f},
                                {0.030f, 0.040f, 0.070f, 0.045f},
                                {0.090f, 0.035f, 0.030f, 0.06f},
                                {0.060f, 0.060f, 0.065f, 0.07f}};
  static const Rgbn supers[] = {{0.62f, 0.62f, 0.60f, 0.56f}, {0.56f, 0.51f, 0.42f, 0.50f}};
  h.deck = Jitter(rng, decks[colour_class % 5], 0.2);
  h.hull_paint = Jitter(rng, paints[rng.Int(0, 3)], 0.2);
  h.antifouling = Jitter(rng, Rgbn{0.29f, 0.065f, 0.055f, 0.22f}, 0.15);
  h.superstructure = Jitter(rng, supers[rng.Int(0, 1)], 0.08);
  h.fittings = rng.Bernoulli(0.5) ? Jitter(rng, Rgbn{0.45f, 0.45f, 0.43f, 0.40f}, 0.1)
                                  : Jitter(rng, Rgbn{0.10f, 0.22f, 0.12f, 0.20f}, 0.1);
  h.superstructure_height_m = rng.Uniform(10.0, 20.0);
  h.superstructure_length_frac = rng.Uniform(0.10, 0.14);
  h.bow_length_frac = rng.Uniform(0.15, 0.22);
}

HullInstance MakeTanker(Rng& rng, const std::string& name, double L, int colour_class,
                        double& ballast_draft) {
  HullInstance h;
  h.kind = HullKind::kTanker;
  h.name = name;
  h.length_m = std::round(L * 10) / 10;
  h.beam_m = std::round(L / rng.Uniform(6.0, 7.2) * 10) / 10;
  h.depth_m = std::round(L / rng.Uniform(10.0, 13.0) * 10) / 10;
  h.laden_draft_m = std::round(h.depth_m * rng.Uniform(0.70, 0.78) * 10) / 10;
  ballast_draft = std::max(2.0 + 0.02 * L, h.depth_m * rng.Uniform(0.35, 0.45));
  ballast_draft = std::round(std::min(ballast_draft, h.laden_draft_m - 0.4) * 10) / 10;
  h.draft_m = ballast_draft;
  DressTanker(rng, h, colour_class);
  return h;
}

HullInstance MakeSmallCraft(Rng& rng, HullKind kind) {
  HullInstance h;
  h.kind = kind;
  h.deck_fittings = false;
  if (kind == HullKind::kTug) {
    h.length_m = rng.Uniform(24, 34);
    h.beam_m = h.length_m / rng.Uniform(2.7, 3.2);
    h.depth_m = 4.5;
    h.draft_m = rng.Uniform(3.0, 3.4);
    h.laden_draft_m = h.draft_m;
    h.superstructure_height_m = rng.Uniform(4, 6);
    h.bow_length_frac = 0.3;
    h.deck = rng.Bernoulli(0.5) ? Jitter(rng, Rgbn{0.33f, 0.09f, 0.06f, 0.24f}, 0.15)
                                : Jitter(rng, Rgbn{0.08f, 0.08f, 0.09f, 0.10f}, 0.15);
    h.superstructure = Jitter(rng, Rgbn{0.60f, 0.60f, 0.58f, 0.55f}, 0.1);
    h.hull_paint = Jitter(rng, Rgbn{0.05f, 0.05f, 0.06f, 0.06f}, 0.2);
  } else {
    h.length_m = rng.Uniform(6, 18);
    h.beam_m = h.length_m / rng.Uniform(2.8, 3.6);
    h.depth_m = 1.6;
    h.draft_m = rng.Uniform(0.6, 0.9);
    h.laden_draft_m = h.draft_m;
    h.superstructure_height_m = rng.Bernoulli(0.6) ? rng.Uniform(1.5, 2.5) : 0.0;
    h.bow_length_frac = 0.35;
    h.deck = Jitter(rng, Rgbn{0.55f, 0.56f, 0.56f, 0.50f}, 0.15);
    h.superstructure = Jitter(rng, Rgbn{0.60f, 0.60f, 0.60f, 0.55f}, 0.1);
    h.hull_paint = Jitter(rng, Rgbn{0.45f, 0.45f, 0.46f, 0.42f}, 0.2);
  }
  return h;
}

TimePoint DayStart(TimePoint t) { return std::chrono::floor<std::chrono::days>(t); }

// The coastline of the terminal layout: land where along(P) < Coast(t).
struct Coast {
  Vec2 root, axis, perp;
  double roughness = 25;
  uint64_t seed = 1;
  std::vector<std::pair<double, double>> flat;  // t ranges kept straight (pier, quay)
  double Offset(double t) const {
    double keep = 1.0;
    for (auto [a, b] : flat) {
      const double d = t < a ? a - t : (t > b ? t - b : 0.0);
      keep = std::min(keep, Smooth(20, 120, d));
    }
    const double large = Fbm(seed, t / 900.0, 0.5, 3) * 4.0 * roughness;
    const double small = Fbm(seed + 1, t / 150.0, 3.5, 4) * roughness;
    return -8.0 + keep * (large + small);
  }
  bool IsLand(Vec2 p, double margin = 0.0) const {
    const double s = Dot(p - root, axis), t = Dot(p - root, perp);
    return s < Offset(t) + margin;
  }
  Polygon2 Polygon(double half_extent, double step) const {
    Polygon2 poly;
    for (double t = -half_extent; t <= half_extent; t += step) {
      poly.push_back(root + perp * t + axis * Offset(t));
    }
    poly.push_back(root + perp * half_extent - axis * (2 * half_extent));
    poly.push_back(root - perp * half_extent - axis * (2 * half_extent));
    return poly;
  }
};

std::string SceneId(TimePoint t) {
  const std::string s = FormatTime(t);  // 2024-03-07T01:23:45Z
  std::string id = "scene_";
  for (char c : s) {
    if (c != '-' && c != ':' && c != 'Z') id += c;
  }
  return id;
}

struct Layout {
  Coast coast;
  Vec2 center;
  Vec2 axis, perp;
  double pier_len = 0, pier_w = 0;
};

// A point of open water: not land, clear of the pier and berths, inside `bounds`.
bool OpenWater(const Layout& lay, const std::vector<BerthPlan>& berths, Vec2 p, double radius) {
  if (lay.coast.IsLand(p, radius + 15)) return false;
  const double s = Dot(p - lay.coast.root, lay.axis), t = Dot(p - lay.coast.root, lay.perp);
  if (s < lay.pier_len + radius + 40 && std::abs(t) < lay.pier_w / 2 + radius + 70) return false;
  for (const BerthPlan& b : berths) {
    if (Norm(p - b.center) < radius + 110) return false;
  }
  return true;
}

struct Obstacle {
  Vec2 c;
  double r;
};
bool Clear(const std::vector<Obstacle>& obs, Vec2 p, double r) {
  for (const Obstacle& o : obs) {
    if (Norm(p - o.c) < o.r + r) return false;
  }
  return true;
}

void MakeLook(Rng& rng, const Scenario& sc, ScenePlan& sp, const TimePoint t) {
  SceneLook& look = sp.look;
  const double turb = rng.Uniform();
  const Rgbn clear{0.022f, 0.038f, 0.058f, 0.009f}, turbid{0.05f, 0.072f, 0.052f, 0.016f};
  for (int k = 0; k < 4; ++k) {
    look.water[k] =
        static_cast<float>((clear[k] * (1 - turb) + turbid[k] * turb) * rng.Uniform(0.85, 1.15));
  }
  look.wave_amplitude = rng.Uniform(0.05, 0.25);
  look.wave_scale_m = rng.Uniform(3.0, 12.0);
  look.wind_deg = rng.Uniform(0, 360);
  // Sun glint: angle between the specular direction of the sun and the view direction.
  const double e = sp.sun_elevation_deg * kDeg, as = sp.sun_azimuth_deg * kDeg;
  const double v = sp.off_nadir_deg * kDeg, av = sp.view_azimuth_deg * kDeg;
  const double rx = -std::cos(e) * std::sin(as), ry = -std::cos(e) * std::cos(as), rz = std::sin(e);
  const double ox = std::sin(v) * std::sin(av), oy = std::sin(v) * std::cos(av), oz = std::cos(v);
  const double ang = std::acos(std::clamp(rx * ox + ry * oy + rz * oz, -1.0, 1.0));
  look.glint =
      0.004 + 0.1 * std::exp(-ang * ang / (2 * std::pow(12 * kDeg, 2))) * look.wave_amplitude * 5;
  // Season: vegetation greenest in July.
  const auto days = std::chrono::floor<std::chrono::days>(t).time_since_epoch().count();
  const double doy = std::fmod(static_cast<double>(days) + 0.0, 365.25) + 0.0;
  const double green = std::clamp(std::cos((doy - 195.0) / 365.25 * 2 * kPi) * 0.5 + 0.5, 0.0, 1.0);
  look.vegetation =
      Jitter(rng,
             Rgbn{static_cast<float>(0.09 - 0.045 * green), static_cast<float>(0.09 + 0.01 * green),
                  static_cast<float>(0.06 - 0.02 * green), static_cast<float>(0.22 + 0.22 * green)},
             0.1);
  look.bare = Jitter(rng, Rgbn{0.20f, 0.19f, 0.17f, 0.25f}, 0.15);
  look.vegetation_fraction = rng.Uniform(0.25, 0.7);
  const double sky = rng.Uniform(0.15, 0.35);
  look.shadow_sky = {static_cast<float>(sky), static_cast<float>(sky * 1.15),
                     static_cast<float>(std::min(0.9, sky * 1.5)), static_cast<float>(sky * 0.7)};
  const double g = rng.Uniform(0.9, 1.1);
  for (int k = 0; k < 4; ++k) look.gain[k] = static_cast<float>(g * rng.Uniform(0.9, 1.1));
  const double atm = rng.Uniform(0.5, 1.5);
  look.path = {static_cast<float>(0.02 * atm), static_cast<float>(0.03 * atm),
               static_cast<float>(0.05 * atm), static_cast<float>(0.008 * atm)};
  look.psf_sigma_px = rng.Uniform(sc.render.min_psf_sigma_px, sc.render.max_psf_sigma_px);
  look.noise = sc.render.noise;
  look.read_noise_dn = rng.Uniform(8, 25);
  look.shot_noise = rng.Uniform(0.3, 1.0);
}

void MakeClouds(Rng& rng, const Scenario& sc, ScenePlan& sp) {
  CloudLook& c = sp.clouds;
  c.seed = rng.Next();
  c.scale_m = rng.Uniform(400, 2500);
  c.softness = rng.Uniform(0.05, 0.2);
  c.max_opacity = rng.Uniform(0.75, 1.0);
  c.height_m = rng.Uniform(sc.clouds.min_height_m, sc.clouds.max_height_m);
  c.haze = sc.clouds.max_haze * std::pow(rng.Uniform(), 2.0);
  double cover;
  const double u = rng.Uniform();
  if (u < sc.clouds.clear_probability) {
    cover = rng.Uniform(0.0, 0.05);
  } else if (u < sc.clouds.clear_probability + sc.clouds.overcast_probability) {
    cover = rng.Uniform(0.7, 1.0);
  } else {
    cover = rng.Uniform(0.05, sc.clouds.max_broken_cover);
  }
  c.enabled = sc.render.clouds && (cover > 0.003 || c.haze > 0.02);
  if (!c.enabled) return;
  // Threshold = the (1 - cover) quantile of the field over the scene.
  std::vector<float> v;
  const int n = 48;
  const double w = sp.width_px * sp.gsd_m, h = sp.height_px * sp.gsd_m;
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) {
      const double x = sp.origin_x + (i + 0.5) / n * w, y = sp.origin_y - (j + 0.5) / n * h;
      v.push_back(Fbm(c.seed, x / c.scale_m, y / c.scale_m, 7, 0.55));
    }
  }
  std::sort(v.begin(), v.end());
  const size_t q = std::min(v.size() - 1, static_cast<size_t>((1.0 - cover) * v.size()));
  c.threshold = cover <= 0.003 ? 10.0 : v[q] - 0.3 * c.softness;
}

}  // namespace

PlanGeo::PlanGeo(const std::string& crs)
    : to_lonlat_(crs, "EPSG:4326"), from_lonlat_("EPSG:4326", crs) {}

LonLat PlanGeo::ToLonLat(Vec2 p) const {
  double x = p.x, y = p.y;
  if (!to_lonlat_.Apply(x, y)) throw Error(kStage, "", "coordinate transform failed");
  return {x, y};
}

Vec2 PlanGeo::FromLonLat(LonLat p) const {
  double x = p.lon_deg, y = p.lat_deg;
  if (!from_lonlat_.Apply(x, y)) throw Error(kStage, "", "coordinate transform failed");
  return {x, y};
}

double LoadFractionAt(const VisitPlan& v, TimePoint t) {
  const double a = v.arrive_full ? 1.0 : 0.0, d = v.depart_full ? 1.0 : 0.0;
  const double span = static_cast<double>((v.depart - v.arrive).count());
  const double x = span > 0 ? static_cast<double>((t - v.arrive).count()) / span : 0.0;
  return a + (d - a) * Smooth(0.15, 0.85, x);
}

std::string LoadState(double f) { return f < 0.25 ? "empty" : (f > 0.75 ? "full" : "partial"); }

double DraftAt(const HullInstance& v, double load, double ballast) {
  return ballast + std::clamp(load, 0.0, 1.0) * (v.laden_draft_m - ballast);
}

Plan BuildPlan(const Scenario& sc) {
  sc.Check();
  Plan plan;
  plan.scenario = sc;
  Rng rng(sc.seed * 0x9E3779B97F4A7C15ULL + 12345);
  const LonLat center_ll{sc.terminal.lon_deg, sc.terminal.lat_deg};
  const int epsg = UtmEpsgFor(center_ll);
  plan.crs = "EPSG:" + std::to_string(epsg);
  PlanGeo geo(plan.crs);
  const Vec2 C = geo.FromLonLat(center_ll);
  {
    const Vec2 N = geo.FromLonLat({center_ll.lon_deg, center_ll.lat_deg + 0.01});
    plan.grid_from_true_deg = AzimuthOf(N - C);
  }
  plan.terminal_center = C;
  const bool wide = sc.wide.vessels > 0;

  // --- Terminal layout ---
  Layout lay;
  const TerminalLayout& tl = sc.terminal;
  lay.center = C;
  lay.axis = FromAzimuth(tl.pier_azimuth_deg + plan.grid_from_true_deg);
  lay.perp = {lay.axis.y, -lay.axis.x};
  lay.pier_len = tl.pier_length_m;
  lay.pier_w = tl.pier_width_m;
  lay.coast.root = C - lay.axis * (tl.pier_length_m / 2);
  lay.coast.axis = lay.axis;
  lay.coast.perp = lay.perp;
  lay.coast.roughness = wide ? std::max(tl.coast_roughness_m, 120.0) : tl.coast_roughness_m;
  lay.coast.seed = rng.Next();
  lay.coast.flat.push_back({-tl.pier_width_m, tl.pier_width_m});
  const Vec2 R = lay.coast.root;
  // Wide: a straight quay along the coast beside the pier.
  const double quay_t0 = 500, quay_len = wide ? 1400 : 0;
  if (wide) lay.coast.flat.push_back({quay_t0, quay_t0 + quay_len});
  double extent = 2500;
  if (wide) extent = 1.5 * std::max(sc.wide.width_px, sc.wide.height_px) * sc.acquisition.gsd_m;
  plan.land.push_back(lay.coast.Polygon(extent, wide ? 10.0 : 5.0));

  const Rgbn concrete{0.30f, 0.30f, 0.29f, 0.30f};
  auto rect = [&](double s0, double s1, double t0, double t1) {
    return Polygon2{R + lay.axis * s0 + lay.perp * t0, R + lay.axis * s1 + lay.perp * t0,
                    R + lay.axis * s1 + lay.perp * t1, R + lay.axis * s0 + lay.perp * t1};
  };
  plan.pier = rect(-40, tl.pier_length_m, -tl.pier_width_m / 2, tl.pier_width_m / 2);
  plan.structures.push_back(
      {plan.pier, tl.pier_height_m, Jitter(rng, concrete, 0.1), Jitter(rng, concrete, 0.1), 0.12f});
  if (wide) {
    plan.structures.push_back({rect(-15, 22, quay_t0, quay_t0 + quay_len), 3.5,
                               Jitter(rng, concrete, 0.1), Jitter(rng, concrete, 0.1), 0.12f});
  }
  // Berths: outer pair first, then the inner pair.
  const double slots[4][2] = {{1, 0.72}, {-1, 0.72}, {1, 0.30}, {-1, 0.30}};
  for (int b = 0; b < tl.berth_count; ++b) {
    BerthPlan bp;
    bp.name = "B" + std::to_string(b + 1);
    bp.side = static_cast<int>(slots[b][0]);
    const double sc_m = slots[b][1] * tl.pier_length_m;
    const double t0 = bp.side * (tl.pier_width_m / 2 + 1.0);
    const double t1 = bp.side * (tl.pier_width_m / 2 + 1.0 + tl.berth_width_m);
    bp.polygon = rect(sc_m - tl.berth_length_m / 2, sc_m + tl.berth_length_m / 2, std::min(t0, t1),
                      std::max(t0, t1));
    bp.center = R + lay.axis * sc_m + lay.perp * ((t0 + t1) / 2);
    bp.axis_grid_deg = tl.pier_azimuth_deg + plan.grid_from_true_deg;
    bp.pier_offset_m = tl.pier_width_m / 2 + 2.5;
    plan.berths.push_back(bp);
  }
  // Loading platforms with arms beside each berth (on the pier edge).
  for (const BerthPlan& b : plan.berths) {
    const double s = Dot(b.center - R, lay.axis);
    const double t0 = b.side > 0 ? tl.pier_width_m / 2 - 1 : -tl.pier_width_m / 2 - 5;
    plan.structures.push_back({rect(s - 8, s + 8, t0, t0 + 6), tl.pier_height_m + 2.5,
                               Jitter(rng, Rgbn{0.45f, 0.42f, 0.30f, 0.38f}, 0.1),
                               Jitter(rng, Rgbn{0.30f, 0.28f, 0.22f, 0.26f}, 0.1), 0.1f});
  }
  // Storage tanks and buildings on land behind the pier root.
  for (int i = 0, placed = 0; i < 400 && placed < tl.storage_tanks; ++i) {
    const double r = rng.Uniform(10, 22);
    const Vec2 c = R + lay.axis * rng.Uniform(-320, -60) + lay.perp * rng.Uniform(-260, 260);
    bool ok = lay.coast.IsLand(c, -(r + 15));
    for (const Prism& p : plan.structures) {
      if (!ok) break;
      Vec2 m{0, 0};
      for (Vec2 v : p.footprint) m = m + v;
      m = m * (1.0 / p.footprint.size());
      double pr = 0;
      for (Vec2 v : p.footprint) pr = std::max(pr, Norm(v - m));
      if (Norm(c - m) < pr + r + 8) ok = false;
    }
    if (!ok) continue;
    Polygon2 circle;
    for (int k = 0; k < 32; ++k) {
      const double a = 2 * kPi * k / 32;
      circle.push_back(c + Vec2{r * std::cos(a), r * std::sin(a)});
    }
    plan.structures.push_back({circle, rng.Uniform(10, 18),
                               Jitter(rng, Rgbn{0.55f, 0.55f, 0.53f, 0.50f}, 0.1),
                               Jitter(rng, Rgbn{0.50f, 0.50f, 0.48f, 0.45f}, 0.1), 0.05f});
    ++placed;
  }

  // --- Fleet ---
  std::vector<double> ballast;
  std::set<std::string> used_names;
  if (!sc.fleet.vessels.empty()) {
    for (const VesselSpec& v : sc.fleet.vessels) {
      double bd = 0;
      HullInstance h = MakeTanker(rng, v.name, v.length_m, rng.Int(0, 4), bd);
      h.beam_m = v.beam_m;
      h.depth_m = v.depth_m;
      h.laden_draft_m = v.laden_draft_m;
      ballast.push_back(v.ballast_draft_m);
      h.draft_m = v.ballast_draft_m;
      if (!used_names.insert(v.name).second) {
        throw InputError(kStage, "", "fleet.vessels: duplicate name '" + v.name + "'");
      }
      plan.fleet.push_back(h);
    }
  } else if (!wide) {
    for (int i = 0; i < sc.fleet.count; ++i) {
      double bd = 0;
      const std::string name = VesselName(rng, used_names);
      plan.fleet.push_back(MakeTanker(rng, name,
                                      rng.Uniform(sc.fleet.min_length_m, sc.fleet.max_length_m),
                                      (i + rng.Int(0, 4)) % 5, bd));
      ballast.push_back(bd);
    }
  }

  const TimePoint t_start = DayStart(*ParseTime(sc.acquisition.start));
  const TimePoint t_end = DayStart(*ParseTime(sc.acquisition.end)) + std::chrono::days(1);

  // --- Visits ---
  if (!wide) {
    std::map<std::string, int> vessel_index, berth_index;
    for (size_t i = 0; i < plan.fleet.size(); ++i)
      vessel_index[plan.fleet[i].name] = static_cast<int>(i);
    for (size_t i = 0; i < plan.berths.size(); ++i)
      berth_index[plan.berths[i].name] = static_cast<int>(i);
    if (!sc.schedule.visits.empty()) {
      for (const VisitSpec& vs : sc.schedule.visits) {
        VisitPlan v;
        if (!vessel_index.count(vs.vessel)) {
          throw InputError(kStage, "", "schedule.visits: unknown vessel '" + vs.vessel + "'");
        }
        if (!berth_index.count(vs.berth)) {
          throw InputError(kStage, "", "schedule.visits: unknown berth '" + vs.berth + "'");
        }
        v.vessel = vessel_index[vs.vessel];
        v.berth = berth_index[vs.berth];
        v.arrive = *ParseTime(vs.arrive);
        v.depart = *ParseTime(vs.depart);
        v.arrive_full = vs.arrival_state == "full";
        v.depart_full = vs.departure_state == "full";
        v.bow_seaward = rng.Bernoulli(0.5);
        plan.visits.push_back(v);
      }
    } else {
      const auto span_s = static_cast<double>((t_end - t_start).count());
      std::vector<int> count(plan.fleet.size(), 0);
      for (int i = 0; i < sc.schedule.visit_count; ++i) {
        bool placed = false;
        for (int tries = 0; tries < 4000 && !placed; ++tries) {
          VisitPlan v;
          const int min_count = *std::min_element(count.begin(), count.end());
          if (rng.Bernoulli(0.7)) {
            std::vector<int> cand;
            for (size_t k = 0; k < count.size(); ++k) {
              if (count[k] == min_count) cand.push_back(static_cast<int>(k));
            }
            v.vessel = cand[rng.Int(0, static_cast<int>(cand.size()) - 1)];
          } else {
            v.vessel = rng.Int(0, static_cast<int>(plan.fleet.size()) - 1);
          }
          v.berth = rng.Int(0, static_cast<int>(plan.berths.size()) - 1);
          if (plan.fleet[v.vessel].length_m > tl.berth_length_m + 20) continue;
          const double dwell_s =
              rng.Uniform(sc.schedule.min_dwell_days, sc.schedule.max_dwell_days) * 86400.0;
          if (dwell_s >= span_s) continue;
          v.arrive = t_start +
                     std::chrono::seconds(static_cast<long long>(rng.Uniform(0, span_s - dwell_s)));
          v.depart = v.arrive + std::chrono::seconds(static_cast<long long>(dwell_s));
          const auto gap =
              std::chrono::seconds(static_cast<long long>(sc.schedule.min_gap_hours * 3600));
          bool ok = true;
          for (const VisitPlan& o : plan.visits) {
            if (o.berth == v.berth && v.arrive < o.depart + gap && o.arrive < v.depart + gap)
              ok = false;
            const auto turn = std::chrono::seconds(
                static_cast<long long>(sc.schedule.min_turnaround_days * 86400));
            if (o.vessel == v.vessel && v.arrive < o.depart + turn && o.arrive < v.depart + turn) {
              ok = false;
            }
          }
          if (!ok) continue;
          v.bow_seaward = rng.Bernoulli(0.5);
          v.shift_m = rng.Uniform(-0.3, 0.3) *
                      std::max(0.0, tl.berth_length_m - plan.fleet[v.vessel].length_m);
          plan.visits.push_back(v);
          ++count[v.vessel];
          placed = true;
        }
        if (!placed) {
          throw InputError(kStage, "",
                           "cannot fit " + std::to_string(sc.schedule.visit_count) +
                               " visits into the period (more berths, a longer period or "
                               "shorter dwell needed)");
        }
      }
      std::sort(plan.visits.begin(), plan.visits.end(),
                [](const VisitPlan& a, const VisitPlan& b) { return a.arrive < b.arrive; });
      // A few visits the other way round.
      std::vector<int> idx(plan.visits.size());
      for (size_t i = 0; i < idx.size(); ++i) idx[i] = static_cast<int>(i);
      for (int k = 0; k < sc.schedule.reverse_visits && !idx.empty(); ++k) {
        const int j = rng.Int(0, static_cast<int>(idx.size()) - 1);
        plan.visits[idx[j]].arrive_full = true;
        plan.visits[idx[j]].depart_full = false;
        idx.erase(idx.begin() + j);
      }
    }
  }

  // --- Acquisition times ---
  std::vector<TimePoint> times;
  if (!sc.acquisition.times.empty()) {
    for (const std::string& t : sc.acquisition.times) times.push_back(*ParseTime(t));
  } else {
    for (double d = 0;; d += sc.acquisition.revisit_days) {
      const TimePoint day = t_start + std::chrono::seconds(static_cast<long long>(d * 86400));
      if (day >= t_end) break;
      const bool captured = rng.Bernoulli(sc.acquisition.capture_probability);
      const double local_h =
          rng.Uniform(sc.acquisition.local_time_min_h, sc.acquisition.local_time_max_h);
      if (!captured) continue;
      double utc_h = local_h - sc.terminal.lon_deg / 15.0;
      TimePoint t = DayStart(day) + std::chrono::seconds(static_cast<long long>(utc_h * 3600));
      times.push_back(t);
    }
  }
  std::sort(times.begin(), times.end());
  times.erase(std::unique(times.begin(), times.end()), times.end());

  // --- Scenes ---
  const double gsd = sc.acquisition.gsd_m;
  for (const TimePoint t : times) {
    PlannedScene ps;
    ScenePlan& sp = ps.plan;
    Rng srng(rng.Next());
    sp.id = SceneId(t);
    sp.time = t;
    sp.platform = sc.acquisition.platform;
    sp.crs = plan.crs;
    sp.gsd_m = gsd;
    sp.grid_from_true_deg = plan.grid_from_true_deg;
    sp.seed = srng.Next();
    sp.supersample = sc.render.supersample;
    sp.strip_rows = sc.render.strip_rows;
    sp.nir = sc.render.nir;
    const SunPosition sun = ComputeSunPosition(t, center_ll);
    sp.sun_elevation_deg = sun.elevation_deg;
    sp.sun_azimuth_deg = sun.azimuth_deg;
    sp.off_nadir_deg = srng.Uniform(0, sc.acquisition.max_off_nadir_deg);
    sp.view_azimuth_deg = srng.Uniform(0, 360);
    Vec2 crop_center = C;
    if (wide) {
      sp.width_px = sc.wide.width_px;
      sp.height_px = sc.wide.height_px;
      sp.block_size = sc.wide.block_size;
      // Coast about a fifth of the way across the scene.
      crop_center = C + lay.axis * (0.3 * sp.height_px * gsd);
    } else {
      sp.width_px = static_cast<int>(std::lround(sc.acquisition.scene_width_m / gsd));
      sp.height_px = static_cast<int>(std::lround(sc.acquisition.scene_height_m / gsd));
      const double ang = srng.Uniform(0, 2 * kPi);
      double off = sc.acquisition.max_offset_m * std::sqrt(srng.Uniform());
      if (srng.Bernoulli(sc.acquisition.partial_probability)) {
        off = srng.Uniform(0.3, 0.55) *
              std::min(sc.acquisition.scene_width_m, sc.acquisition.scene_height_m);
      }
      crop_center = C + Vec2{std::cos(ang), std::sin(ang)} * off;
    }
    sp.origin_x = std::round((crop_center.x - sp.width_px * gsd / 2) / gsd) * gsd;
    sp.origin_y = std::round((crop_center.y + sp.height_px * gsd / 2) / gsd) * gsd;
    const double jm = sc.acquisition.jitter_m;
    sp.jitter_m = {std::clamp(srng.Normal() * jm, -3 * jm, 3 * jm),
                   std::clamp(srng.Normal() * jm, -3 * jm, 3 * jm)};
    const Vec2 mid{sp.origin_x + sp.width_px * gsd / 2, sp.origin_y - sp.height_px * gsd / 2};
    if (srng.Bernoulli(sc.acquisition.swath_edge_probability)) {
      sp.swath_edge = true;
      const double a = srng.Uniform(0, 2 * kPi);
      const Vec2 dir{std::cos(a), std::sin(a)};
      sp.edge_point =
          mid + dir * (srng.Uniform(0.15, 0.4) * std::min(sp.width_px, sp.height_px) * gsd);
      const double b = a + srng.Uniform(-0.5, 0.5);
      sp.edge_normal = {std::cos(b), std::sin(b)};
    }
    sp.land = plan.land;
    sp.structures = plan.structures;
    MakeLook(srng, sc, sp, t);
    MakeClouds(srng, sc, sp);
    if (wide) {
      sp.clouds.threshold += 0.0;
    }

    std::vector<Obstacle> obstacles;
    // Moored tankers on their visits.
    for (size_t vi = 0; vi < plan.visits.size(); ++vi) {
      const VisitPlan& v = plan.visits[vi];
      if (!(v.arrive <= t && t < v.depart)) continue;
      const BerthPlan& b = plan.berths[v.berth];
      HullInstance h = plan.fleet[v.vessel];
      const double load = LoadFractionAt(v, t);
      h.draft_m = DraftAt(h, load, ballast[v.vessel]);
      const double s = Dot(b.center - R, lay.axis) + v.shift_m;
      h.center = R + lay.axis * s + lay.perp * (b.side * (b.pier_offset_m + h.beam_m / 2));
      h.heading_deg = tl.pier_azimuth_deg + (v.bow_seaward ? 0.0 : 180.0);
      h.heading_deg = std::fmod(h.heading_deg + 360.0, 360.0);
      sp.hulls.push_back(h);
      ps.truth.push_back({v.vessel, static_cast<int>(vi), b.name, "moored", load});
      obstacles.push_back({h.center, h.length_m / 2 + 5});
    }
    const double W_m = sp.width_px * gsd, H_m = sp.height_px * gsd;
    auto random_water = [&](double radius, Vec2& out) {
      for (int k = 0; k < 200; ++k) {
        const Vec2 p{sp.origin_x + srng.Uniform(radius, W_m - radius),
                     sp.origin_y - srng.Uniform(radius, H_m - radius)};
        if (OpenWater(lay, plan.berths, p, radius) && Clear(obstacles, p, radius)) {
          out = p;
          return true;
        }
      }
      return false;
    };
    if (wide) {
      // Many vessels of all sizes: moored along the quay, anchored and under way.
      double quay_s = quay_t0 + 20;
      for (int i = 0; i < sc.wide.vessels; ++i) {
        const double L = sc.wide.min_length_m *
                         std::pow(sc.wide.max_length_m / sc.wide.min_length_m, srng.Uniform());
        double bd = 0;
        HullInstance h = MakeTanker(srng, "V" + std::to_string(1000 + i), L, srng.Int(0, 4), bd);
        const double load = srng.Uniform();
        h.draft_m = DraftAt(h, load, bd);
        HullTruth ht{-1, -1, "", "anchored", load};
        const double u = srng.Uniform();
        bool ok = false;
        if (u < 0.2 && quay_s + L < quay_t0 + quay_len) {
          h.center = R + lay.perp * (quay_s + L / 2) + lay.axis * (22 + 2.5 + h.beam_m / 2);
          h.heading_deg = tl.pier_azimuth_deg + 90 + (srng.Bernoulli(0.5) ? 0 : 180);
          quay_s += L + srng.Uniform(8, 40);
          ht.status = "moored";
          ok = true;
        } else {
          ok = random_water(L / 2 + 15, h.center);
          if (u < 0.6) {
            h.heading_deg = sp.look.wind_deg + 180 + srng.Normal() * 25;
          } else {
            h.heading_deg = srng.Uniform(0, 360);
            h.speed_mps = srng.Uniform(2, 8);
            ht.status = "underway";
          }
        }
        if (!ok) continue;
        h.heading_deg = std::fmod(h.heading_deg + 720.0, 360.0);
        obstacles.push_back({h.center, h.length_m / 2 + 10});
        sp.hulls.push_back(h);
        ps.truth.push_back(ht);
      }
    } else {
      // Non-fleet tanker passing or at anchor.
      if (srng.Bernoulli(sc.render.passing_tanker_probability)) {
        double bd = 0;
        std::set<std::string> dummy = used_names;
        HullInstance h =
            MakeTanker(srng, VesselName(srng, dummy), srng.Uniform(80, 180), srng.Int(0, 4), bd);
        const double load = srng.Bernoulli(0.5) ? 1.0 : 0.0;
        h.draft_m = DraftAt(h, load, bd);
        if (random_water(h.length_m / 2 + 10, h.center)) {
          h.heading_deg = srng.Uniform(0, 360);
          const bool moving = srng.Bernoulli(0.5);
          if (moving) h.speed_mps = srng.Uniform(2, 6);
          obstacles.push_back({h.center, h.length_m / 2 + 10});
          sp.hulls.push_back(h);
          ps.truth.push_back({-1, -1, "", moving ? "underway" : "anchored", load});
        }
      }
    }
    // Tugs near the pier and small boats anywhere on the water.
    const int tugs = srng.Int(0, sc.render.max_tugs);
    for (int i = 0; i < tugs; ++i) {
      HullInstance h = MakeSmallCraft(srng, HullKind::kTug);
      bool ok = false;
      if (srng.Bernoulli(0.5)) {
        // Alongside the pier root.
        const double s = srng.Uniform(0.02, 0.12) * tl.pier_length_m;
        const int side = srng.Bernoulli(0.5) ? 1 : -1;
        h.center = R + lay.axis * s + lay.perp * (side * (tl.pier_width_m / 2 + 2 + h.beam_m / 2));
        h.heading_deg = tl.pier_azimuth_deg + (srng.Bernoulli(0.5) ? 0 : 180);
        ok = Clear(obstacles, h.center, h.length_m / 2) &&
             !lay.coast.IsLand(h.center, h.length_m / 2);
      } else {
        ok = random_water(h.length_m / 2 + 5, h.center);
        h.heading_deg = srng.Uniform(0, 360);
        h.speed_mps = srng.Uniform(1.5, 5);
      }
      if (!ok) continue;
      obstacles.push_back({h.center, h.length_m / 2 + 3});
      sp.hulls.push_back(h);
      ps.truth.push_back({-1, -1, "", h.speed_mps > 0 ? "underway" : "moored", 0});
    }
    const int boats = srng.Int(0, sc.render.max_boats * (wide ? 10 : 1));
    for (int i = 0; i < boats; ++i) {
      HullInstance h = MakeSmallCraft(srng, HullKind::kBoat);
      if (!random_water(h.length_m / 2 + 3, h.center)) continue;
      h.heading_deg = srng.Uniform(0, 360);
      if (srng.Bernoulli(0.6)) h.speed_mps = srng.Uniform(3, 10);
      obstacles.push_back({h.center, h.length_m / 2 + 3});
      sp.hulls.push_back(h);
      ps.truth.push_back({-1, -1, "", h.speed_mps > 0 ? "underway" : "anchored", 0});
    }
    plan.scenes.push_back(std::move(ps));
  }
  spdlog::info("datasets.plan: {} vessels, {} visits, {} scenes", plan.fleet.size(),
               plan.visits.size(), plan.scenes.size());
  // Ballast drafts live on the templates' draft field.
  for (size_t i = 0; i < plan.fleet.size(); ++i) plan.fleet[i].draft_m = ballast[i];
  return plan;
}

}  // namespace bw::datasets
