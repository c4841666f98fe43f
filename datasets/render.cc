#include "datasets/render.h"

#include <spdlog/spdlog.h>
#include <tbb/parallel_pipeline.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <mutex>
#include <numeric>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "datasets/noise.h"
#include "geo/error.h"
#include "geo/raster_writer.h"

namespace bw::datasets {

namespace {

using internal::Fbm;
using internal::Hash;
using internal::Unit;
using internal::ValueNoise;

constexpr const char* kStage = "datasets.render";
constexpr double kPi = 3.14159265358979323846;
constexpr double kDeg = kPi / 180.0;

double Cross(Vec2 o, Vec2 a, Vec2 b) {
  return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);
}

// Unit vector of a grid azimuth (clockwise from grid north) in (easting, northing).
Vec2 FromAzimuth(double az_deg) { return {std::sin(az_deg * kDeg), std::cos(az_deg * kDeg)}; }

Polygon2 ConvexHull(std::vector<Vec2> pts) {
  std::sort(pts.begin(), pts.end(),
            [](Vec2 a, Vec2 b) { return a.x < b.x || (a.x == b.x && a.y < b.y); });
  if (pts.size() < 3) return pts;
  Polygon2 hull(2 * pts.size());
  size_t k = 0;
  for (size_t i = 0; i < pts.size(); ++i) {
    while (k >= 2 && Cross(hull[k - 2], hull[k - 1], pts[i]) <= 0) --k;
    hull[k++] = pts[i];
  }
  for (size_t i = pts.size() - 1, t = k + 1; i > 0; --i) {
    while (k >= t && Cross(hull[k - 2], hull[k - 1], pts[i - 1]) <= 0) --k;
    hull[k++] = pts[i - 1];
  }
  hull.resize(k - 1);
  return hull;
}

Polygon2 Translate(const Polygon2& p, Vec2 d) {
  Polygon2 out(p.size());
  for (size_t i = 0; i < p.size(); ++i) out[i] = p[i] + d;
  return out;
}

// The Minkowski sweep of a convex polygon along the segment [d0, d1].
Polygon2 Sweep(const Polygon2& p, Vec2 d0, Vec2 d1) {
  std::vector<Vec2> pts;
  pts.reserve(2 * p.size());
  for (const Vec2& q : p) pts.push_back(q + d0);
  for (const Vec2& q : p) pts.push_back(q + d1);
  return ConvexHull(std::move(pts));
}

// Rectangle in a hull's frame (u forward along the axis, w to starboard) to grid metres.
struct HullFrame {
  Vec2 center;
  Vec2 axis;  // bow direction
  Vec2 perp;  // starboard
  Vec2 At(double u, double w) const { return center + axis * u + perp * w; }
  Polygon2 Rect(double u0, double u1, double w0, double w1) const {
    return {At(u0, w0), At(u1, w0), At(u1, w1), At(u0, w1)};
  }
};

HullFrame FrameOf(const HullInstance& h, double grid_from_true_deg) {
  HullFrame f;
  f.center = h.center;
  f.axis = FromAzimuth(h.heading_deg + grid_from_true_deg);
  f.perp = {f.axis.y, -f.axis.x};
  return f;
}

enum class OpKind : uint8_t { kSetLabel, kSetLabelWhere, kShadowGround, kShadowWhere };

// One polygon painted into the supersampled label/shadow buffers.
struct PaintOp {
  OpKind kind = OpKind::kSetLabel;
  uint16_t label = 0;
  uint16_t where = 0;
  std::vector<double> xs, ys;  // vertices in full-scene subpixel coordinates
  double ymin = 0, ymax = 0;
};

enum class MaterialKind : uint8_t { kWater, kLand, kObject };
struct Material {
  MaterialKind kind = MaterialKind::kObject;
  Rgbn colour{};
  float texture = 0.05f;
};

struct Wake {
  Vec2 stern, bow, back, perp;
  double beam = 10, reach = 100, strength = 1;
  double xmin = 0, xmax = 0, ymin = 0, ymax = 0;  // grid metres bbox
};

struct RPrism {
  Polygon2 fp;
  double base = 0, top = 0;
  uint16_t roof = 0, side = 0, antifouling = 0;
  double antifouling_h = 0;
  double bx0 = 0, bx1 = 0, by0 = 0, by1 = 0;  // bbox of footprint
};

// Everything a strip needs, derived once per scene.
struct Prepared {
  const ScenePlan* plan = nullptr;
  int S = 3;
  double gsd = 0.5;
  double x0 = 0, y0 = 0;  // ground coordinates of the raster's top-left corner
  Vec2 anti_sun, away, sun_dir;
  double cot_e = 1, tan_v = 0, sin_e = 1, cos_e = 0;
  std::vector<Material> materials;
  std::vector<PaintOp> ops;
  std::vector<Wake> wakes;
  int halo = 2;
  int cloud_step = 8;
};

uint16_t AddMaterial(Prepared& p, MaterialKind kind, const Rgbn& c, float texture) {
  if (p.materials.size() >= 65535) throw Error(kStage, p.plan->id, "too many materials");
  p.materials.push_back({kind, c, texture});
  return static_cast<uint16_t>(p.materials.size() - 1);
}

void AddOp(Prepared& p, OpKind kind, const Polygon2& poly, uint16_t label, uint16_t where = 0) {
  if (poly.size() < 3) return;
  PaintOp op;
  op.kind = kind;
  op.label = label;
  op.where = where;
  op.xs.reserve(poly.size());
  op.ys.reserve(poly.size());
  op.ymin = 1e300;
  op.ymax = -1e300;
  const double s = p.S / p.gsd;
  for (const Vec2& v : poly) {
    op.xs.push_back((v.x - p.x0) * s);
    op.ys.push_back((p.y0 - v.y) * s);
    op.ymin = std::min(op.ymin, op.ys.back());
    op.ymax = std::max(op.ymax, op.ys.back());
  }
  p.ops.push_back(std::move(op));
}

Rgbn Scaled(const Rgbn& c, double f) {
  return {static_cast<float>(c[0] * f), static_cast<float>(c[1] * f), static_cast<float>(c[2] * f),
          static_cast<float>(c[3] * f)};
}

// Brightness of a vertical face with outward normal n relative to a horizontal roof.
double SideFactor(const Prepared& p, Vec2 n) {
  const double sky = 0.25;
  return (sky + p.cos_e * std::max(0.0, Dot(n, p.sun_dir))) / (sky + p.sin_e);
}

void AddHull(Prepared& p, const HullInstance& h, std::vector<RPrism>& prisms) {
  const ScenePlan& plan = *p.plan;
  const HullFrame fr = FrameOf(h, plan.grid_from_true_deg);
  const double L = h.length_m, B = h.beam_m, f = std::max(0.2, h.freeboard_m());
  // The hull side the satellite sees.
  Vec2 n_vis = fr.perp;
  if (Dot(n_vis, p.away) > 0) n_vis = n_vis * -1.0;
  const double side_f = SideFactor(p, n_vis);

  RPrism hull;
  hull.fp = HullOutline(h, plan.grid_from_true_deg);
  hull.base = 0;
  hull.top = f;
  hull.roof = AddMaterial(p, MaterialKind::kObject, h.deck, 0.06f);
  hull.side = AddMaterial(p, MaterialKind::kObject, Scaled(h.hull_paint, side_f), 0.04f);
  const double band = h.laden_draft_m - h.draft_m;
  if (band > 0.05) {
    hull.antifouling = AddMaterial(p, MaterialKind::kObject, Scaled(h.antifouling, side_f), 0.05f);
    hull.antifouling_h = std::min(band, f);
  }
  prisms.push_back(hull);

  auto box = [&](double u0, double u1, double w0, double w1, double base, double top,
                 const Rgbn& colour, float tex) {
    RPrism b;
    b.fp = fr.Rect(u0, u1, w0, w1);
    b.base = base;
    b.top = top;
    b.roof = AddMaterial(p, MaterialKind::kObject, colour, tex);
    // Of the box's four faces the satellite sees at most two; shade with the broadside one.
    b.side = AddMaterial(p, MaterialKind::kObject, Scaled(colour, 0.8 * side_f), tex);
    prisms.push_back(b);
  };
  const double stern = -L / 2;
  const double hs = h.superstructure_height_m;
  if (h.kind == HullKind::kTanker) {
    const double s0 = stern + 0.025 * L;
    const double s1 = s0 + h.superstructure_length_frac * L;
    if (hs > 0) {
      box(s0, s1, -0.42 * B, 0.42 * B, f, f + hs, h.superstructure, 0.04f);
      // Funnel just aft of the bridge front.
      const double fu0 = s0 + 0.15 * (s1 - s0), fu1 = s0 + 0.4 * (s1 - s0);
      Rgbn funnel = h.deck;
      box(fu0, fu1, -0.12 * B, 0.12 * B, f + hs, f + hs + 4.0, funnel, 0.04f);
    }
    if (h.deck_fittings) {
      const double bow_start = L / 2 - h.bow_length_frac * L;
      const double pw = 0.5 + 0.015 * B;
      box(s1 + 0.02 * L, bow_start, -pw, pw, f, f + 1.0, h.fittings, 0.03f);
      box(-1.5, 1.5, -0.4 * B, 0.4 * B, f, f + 1.6, h.fittings, 0.03f);
      // Catwalk and hatches alongside the pipe line.
      const double hw = 0.13 * B;
      for (int i = 0; i < 6; ++i) {
        const double u = s1 + 0.06 * L + i * (bow_start - s1 - 0.08 * L) / 5.0;
        if (std::abs(u) < 4) continue;
        box(u - 1.0, u + 1.0, hw, hw + 2.0, f, f + 0.8, h.fittings, 0.03f);
      }
    }
  } else if (hs > 0) {
    const double c0 = h.kind == HullKind::kTug ? -0.1 * L : -0.25 * L;
    const double c1 = h.kind == HullKind::kTug ? 0.25 * L : 0.1 * L;
    box(c0, c1, -0.3 * B, 0.3 * B, f, f + hs, h.superstructure, 0.04f);
  }
}

Prepared Prepare(const ScenePlan& plan) {
  Prepared p;
  p.plan = &plan;
  p.S = plan.supersample;
  p.gsd = plan.gsd_m;
  p.x0 = plan.origin_x + plan.jitter_m.x;
  p.y0 = plan.origin_y + plan.jitter_m.y;
  const double e = std::clamp(plan.sun_elevation_deg, 3.0, 90.0) * kDeg;
  p.sin_e = std::sin(e);
  p.cos_e = std::cos(e);
  p.cot_e = p.cos_e / p.sin_e;
  p.sun_dir = FromAzimuth(plan.sun_azimuth_deg + plan.grid_from_true_deg);
  p.anti_sun = p.sun_dir * -1.0;
  p.tan_v = std::tan(std::clamp(plan.off_nadir_deg, 0.0, 60.0) * kDeg);
  p.away = FromAzimuth(plan.view_azimuth_deg + plan.grid_from_true_deg + 180.0);
  p.halo = static_cast<int>(std::ceil(3.0 * plan.look.psf_sigma_px)) + 1;
  p.cloud_step = std::clamp(static_cast<int>(std::lround(6.0 / plan.gsd_m)), 1, 32);

  AddMaterial(p, MaterialKind::kWater, plan.look.water, 0);  // label 0
  AddMaterial(p, MaterialKind::kLand, plan.look.bare, 0);    // label 1
  for (const Polygon2& land : plan.land) AddOp(p, OpKind::kSetLabel, land, 1);

  std::vector<RPrism> prisms;
  for (const Prism& s : plan.structures) {
    RPrism r;
    r.fp = ConvexHull(s.footprint);
    r.base = 0;
    r.top = s.height_m;
    r.roof = AddMaterial(p, MaterialKind::kObject, s.roof, s.texture);
    r.side = AddMaterial(p, MaterialKind::kObject, Scaled(s.side, SideFactor(p, p.away * -1.0)),
                         s.texture);
    prisms.push_back(r);
  }
  for (const HullInstance& h : plan.hulls) {
    AddHull(p, h, prisms);
    if (h.speed_mps > 0.2) {
      const HullFrame fr = FrameOf(h, plan.grid_from_true_deg);
      Wake w;
      w.stern = fr.At(-h.length_m / 2, 0);
      w.bow = fr.At(h.length_m * 0.4, 0);
      w.back = fr.axis * -1.0;
      w.perp = fr.perp;
      w.beam = h.beam_m;
      w.strength = std::min(1.0, h.speed_mps / 6.0);
      w.reach = std::min(1500.0, 15.0 * h.length_m * (0.3 + w.strength));
      std::vector<Vec2> corners = {w.bow + fr.perp * h.beam_m, w.bow - fr.perp * h.beam_m};
      const Vec2 end = w.stern + w.back * w.reach;
      const double spread = 0.36 * (w.reach + h.length_m) + 2 * h.beam_m;
      corners.push_back(end + fr.perp * spread);
      corners.push_back(end - fr.perp * spread);
      w.xmin = w.ymin = 1e300;
      w.xmax = w.ymax = -1e300;
      for (Vec2 c : corners) {
        w.xmin = std::min(w.xmin, c.x);
        w.xmax = std::max(w.xmax, c.x);
        w.ymin = std::min(w.ymin, c.y);
        w.ymax = std::max(w.ymax, c.y);
      }
      p.wakes.push_back(w);
    }
  }
  for (RPrism& r : prisms) {
    r.bx0 = r.by0 = 1e300;
    r.bx1 = r.by1 = -1e300;
    for (Vec2 v : r.fp) {
      r.bx0 = std::min(r.bx0, v.x);
      r.bx1 = std::max(r.bx1, v.x);
      r.by0 = std::min(r.by0, v.y);
      r.by1 = std::max(r.by1, v.y);
    }
  }

  const Vec2 k = p.anti_sun * p.cot_e;  // shadow displacement per metre of height
  const Vec2 d = p.away * p.tan_v;      // relief displacement per metre of height
  // Shadows on the ground (water and land).
  for (const RPrism& r : prisms) {
    AddOp(p, OpKind::kShadowGround, Sweep(r.fp, k * r.base, k * r.top), 0);
  }
  // Structures from low to high: sides, antifouling band, roof, then the shadows of higher
  // structures falling on that roof.
  std::vector<size_t> order(prisms.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return prisms[a].top < prisms[b].top; });
  for (size_t oi = 0; oi < order.size(); ++oi) {
    const RPrism& r = prisms[order[oi]];
    if (p.tan_v > 0) {
      AddOp(p, OpKind::kSetLabel, Sweep(r.fp, d * r.base, d * r.top), r.side);
      if (r.antifouling != 0) {
        AddOp(p, OpKind::kSetLabelWhere, Sweep(r.fp, d * 0.0, d * r.antifouling_h), r.antifouling,
              r.side);
      }
    }
    AddOp(p, OpKind::kSetLabel, Translate(r.fp, d * r.top), r.roof);
    for (const RPrism& c : prisms) {
      if (c.top <= r.top + 1e-6) continue;
      const double reach = (c.top - r.top) * p.cot_e;
      // Cheap bbox rejection: the caster's shadow cannot reach this roof.
      if (c.bx0 - reach > r.bx1 || c.bx1 + reach < r.bx0 || c.by0 - reach > r.by1 ||
          c.by1 + reach < r.by0) {
        continue;
      }
      Polygon2 sh = Sweep(c.fp, k * (std::max(c.base, r.top) - r.top), k * (c.top - r.top));
      AddOp(p, OpKind::kShadowWhere, Translate(sh, d * r.top), 0, r.roof);
    }
  }
  return p;
}

// Fills cells whose centre lies inside the polygon (even-odd), rows [row0, row0 + rows) of
// the full-scene subpixel grid, calling fn(row_in_strip, c0, c1) for each span [c0, c1).
template <typename Fn>
void ScanPolygon(const PaintOp& op, int row0, int rows, int cols, std::vector<double>& xs, Fn fn) {
  const int r_lo = std::max(row0, static_cast<int>(std::floor(op.ymin - 0.5)));
  const int r_hi = std::min(row0 + rows - 1, static_cast<int>(std::ceil(op.ymax + 0.5)));
  const size_t n = op.xs.size();
  for (int r = r_lo; r <= r_hi; ++r) {
    const double yc = r + 0.5;
    xs.clear();
    for (size_t i = 0, j = n - 1; i < n; j = i++) {
      const double yi = op.ys[i], yj = op.ys[j];
      if ((yi <= yc && yc < yj) || (yj <= yc && yc < yi)) {
        xs.push_back(op.xs[i] + (yc - yi) * (op.xs[j] - op.xs[i]) / (yj - yi));
      }
    }
    if (xs.size() < 2) continue;
    std::sort(xs.begin(), xs.end());
    for (size_t i = 0; i + 1 < xs.size(); i += 2) {
      const int c0 = std::max(0, static_cast<int>(std::ceil(xs[i] - 0.5)));
      const int c1 = std::min(cols, static_cast<int>(std::ceil(xs[i + 1] - 0.5)));
      if (c1 > c0) fn(r - row0, c0, c1);
    }
  }
}

float Smoothstep(float a, float b, float x) {
  const float t = std::clamp((x - a) / (b - a), 0.0f, 1.0f);
  return t * t * (3 - 2 * t);
}

float CloudField(const ScenePlan& plan, double x, double y) {
  const CloudLook& c = plan.clouds;
  const float n = Fbm(c.seed, x / c.scale_m, y / c.scale_m, 7, 0.55);
  return static_cast<float>(std::clamp((n - c.threshold) / c.softness, 0.0, 1.0) * c.max_opacity);
}

// Separable Gaussian (radius ceil(3 sigma)), columns reflected at the raster edges. Written
// out rather than cv::GaussianBlur so that every output pixel is computed the same way
// whatever the strip height (byte-identical output for any strip size or thread count).
cv::Mat Blur(const cv::Mat& src, double sigma) {
  if (sigma <= 0.05) return src;
  const int rad = static_cast<int>(std::ceil(3.0 * sigma));
  std::vector<float> k(2 * rad + 1);
  float sum = 0;
  for (int i = -rad; i <= rad; ++i) {
    k[i + rad] = static_cast<float>(std::exp(-0.5 * i * i / (sigma * sigma)));
    sum += k[i + rad];
  }
  for (float& v : k) v /= sum;
  const int W = src.cols, H = src.rows;
  cv::Mat tmp(H, W, CV_32F), out(H, W, CV_32F, cv::Scalar(0));
  for (int r = 0; r < H; ++r) {
    const float* s = src.ptr<float>(r);
    float* t = tmp.ptr<float>(r);
    for (int c = 0; c < W; ++c) {
      float acc = 0;
      for (int i = -rad; i <= rad; ++i) {
        int cc = c + i;
        if (cc < 0) cc = -cc - 1;
        if (cc >= W) cc = 2 * W - cc - 1;
        cc = std::clamp(cc, 0, W - 1);
        acc += k[i + rad] * s[cc];
      }
      t[c] = acc;
    }
  }
  for (int r = rad; r < H - rad; ++r) {
    float* o = out.ptr<float>(r);
    for (int i = -rad; i <= rad; ++i) {
      const float* t = tmp.ptr<float>(r + i);
      const float w = k[i + rad];
      for (int c = 0; c < W; ++c) o[c] += w * t[c];
    }
  }
  return out;
}

// Renders output rows [r0, r1) into 4 CV_16U mats.
std::vector<cv::Mat> RenderStrip(const Prepared& p, int r0, int r1) {
  const ScenePlan& plan = *p.plan;
  const SceneLook& look = plan.look;
  const int W = plan.width_px;
  const int S = p.S;
  const int rr0 = r0 - p.halo, rr1 = r1 + p.halo;  // rendered rows incl. halo
  const int rows = rr1 - rr0;
  const int sub_rows = rows * S, sub_cols = W * S;
  const int sub_row0 = rr0 * S;

  cv::Mat label(sub_rows, sub_cols, CV_16U, cv::Scalar(0));
  cv::Mat shadow(sub_rows, sub_cols, CV_8U, cv::Scalar(0));
  std::vector<double> xs;
  for (const PaintOp& op : p.ops) {
    if (op.ymax < sub_row0 - 1 || op.ymin > sub_row0 + sub_rows + 1) continue;
    switch (op.kind) {
      case OpKind::kSetLabel:
        ScanPolygon(op, sub_row0, sub_rows, sub_cols, xs, [&](int r, int c0, int c1) {
          std::fill(label.ptr<uint16_t>(r) + c0, label.ptr<uint16_t>(r) + c1, op.label);
          std::fill(shadow.ptr<uint8_t>(r) + c0, shadow.ptr<uint8_t>(r) + c1, 0);
        });
        break;
      case OpKind::kSetLabelWhere:
        ScanPolygon(op, sub_row0, sub_rows, sub_cols, xs, [&](int r, int c0, int c1) {
          uint16_t* l = label.ptr<uint16_t>(r);
          for (int c = c0; c < c1; ++c) {
            if (l[c] == op.where) l[c] = op.label;
          }
        });
        break;
      case OpKind::kShadowGround:
        ScanPolygon(op, sub_row0, sub_rows, sub_cols, xs, [&](int r, int c0, int c1) {
          const uint16_t* l = label.ptr<uint16_t>(r);
          uint8_t* s = shadow.ptr<uint8_t>(r);
          for (int c = c0; c < c1; ++c) {
            if (l[c] <= 1) s[c] = 1;
          }
        });
        break;
      case OpKind::kShadowWhere:
        ScanPolygon(op, sub_row0, sub_rows, sub_cols, xs, [&](int r, int c0, int c1) {
          const uint16_t* l = label.ptr<uint16_t>(r);
          uint8_t* s = shadow.ptr<uint8_t>(r);
          for (int c = c0; c < c1; ++c) {
            if (l[c] == op.where) s[c] = 1;
          }
        });
        break;
    }
  }

  // Cloud, cloud shadow and haze on a coarse grid, bilinearly interpolated.
  const bool clouds = plan.clouds.enabled;
  const int cs = p.cloud_step;
  // Grid nodes sit on absolute multiples of `cs` so strips share them exactly.
  const int g_row0 = static_cast<int>(std::floor(static_cast<double>(rr0) / cs));
  const int gcols = W / cs + 2, grows = (rr1 - 1) / cs - g_row0 + 2;
  std::vector<float> g_alpha, g_shadow, g_haze, g_tex;
  if (clouds) {
    g_alpha.resize(static_cast<size_t>(gcols) * grows);
    g_shadow.resize(g_alpha.size());
    g_haze.resize(g_alpha.size());
    g_tex.resize(g_alpha.size());
    const double H = plan.clouds.height_m;
    const Vec2 rel = p.away * (H * p.tan_v);
    const Vec2 sh = p.anti_sun * (H * p.cot_e);
    for (int gy = 0; gy < grows; ++gy) {
      for (int gx = 0; gx < gcols; ++gx) {
        const double X = p.x0 + (gx * cs + 0.5) * p.gsd;
        const double Y = p.y0 - ((g_row0 + gy) * cs + 0.5) * p.gsd;
        const size_t i = static_cast<size_t>(gy) * gcols + gx;
        g_alpha[i] = CloudField(plan, X - rel.x, Y - rel.y);
        g_shadow[i] = CloudField(plan, X - sh.x, Y - sh.y);
        g_haze[i] = static_cast<float>(
            plan.clouds.haze * (0.6 + 0.4 * Fbm(plan.clouds.seed + 5, X / 1500.0, Y / 1500.0, 3)));
        g_tex[i] = Fbm(plan.clouds.seed + 9, X / 60.0, Y / 60.0, 3);
      }
    }
  }
  // Weights from absolute positions only, so every strip computes identical values.
  auto interp = [&](const std::vector<float>& g, int col, int row) {
    const int R = rr0 + row;
    const int gy_abs = R >= 0 ? R / cs : -((-R + cs - 1) / cs);
    const int ix = std::min(col / cs, gcols - 2);
    const int iy = std::min(gy_abs - g_row0, grows - 2);
    const float tx = static_cast<float>(col - ix * cs) / cs;
    const float ty = static_cast<float>(R - gy_abs * cs) / cs;
    const float* a = &g[static_cast<size_t>(iy) * gcols + ix];
    const float* b = a + gcols;
    return (a[0] * (1 - tx) + a[1] * tx) * (1 - ty) + (b[0] * (1 - tx) + b[1] * tx) * ty;
  };

  std::array<cv::Mat, 4> dn;
  for (auto& m : dn) m.create(rows, W, CV_32F);
  const float inv_s2 = 1.0f / (S * S);
  const uint64_t seed = plan.seed;
  const double wind = (look.wind_deg + plan.grid_from_true_deg) * kDeg;
  const double wsx = std::sin(wind), wsy = std::cos(wind);
  const Rgbn foam{0.16f, 0.17f, 0.17f, 0.07f};
  const Rgbn cloud_col{0.62f, 0.63f, 0.65f, 0.60f};
  const Rgbn haze_col{0.30f, 0.33f, 0.38f, 0.22f};

  for (int r = 0; r < rows; ++r) {
    const int R = rr0 + r;  // absolute raster row
    const double Y = p.y0 - (R + 0.5) * p.gsd;
    const uint16_t* lrow = label.ptr<uint16_t>(r * S);
    const uint8_t* srow = shadow.ptr<uint8_t>(r * S);
    for (int c = 0; c < W; ++c) {
      const double X = p.x0 + (c + 0.5) * p.gsd;
      float acc[4] = {0, 0, 0, 0};
      Rgbn wcol{}, lcol{};
      bool have_w = false, have_l = false;
      int n_water = 0;
      float obj_tex = 0;
      bool have_obj = false;
      for (int sy = 0; sy < S; ++sy) {
        const uint16_t* lp = lrow + static_cast<size_t>(sy) * sub_cols + c * S;
        const uint8_t* sp = srow + static_cast<size_t>(sy) * sub_cols + c * S;
        for (int sx = 0; sx < S; ++sx) {
          const uint16_t l = lp[sx];
          const Material& m = p.materials[l];
          const float* col;
          Rgbn tmp;
          if (m.kind == MaterialKind::kWater) {
            if (!have_w) {
              have_w = true;
              float t = 0;
              if (look.water_texture) {
                const double a = (X * wsx + Y * wsy) / (look.wave_scale_m * 3.0);
                const double b = (X * wsy - Y * wsx) / look.wave_scale_m;
                t = 0.7f * Fbm(seed + 1, a, b, 2) + 0.3f * (2 * Unit(Hash(seed + 2, c, R)) - 1);
              }
              const float glint = static_cast<float>(look.glint) * std::max(0.0f, t) * 2.0f;
              for (int k = 0; k < 4; ++k) {
                wcol[k] = look.water[k] * (1.0f + static_cast<float>(look.wave_amplitude) * t) +
                          glint * (k == 3 ? 0.9f : 1.0f);
              }
            }
            col = wcol.data();
            ++n_water;
          } else if (m.kind == MaterialKind::kLand) {
            if (!have_l) {
              have_l = true;
              const float v = Smoothstep(-0.25f, 0.25f,
                                         Fbm(seed + 3, X / 70.0, Y / 70.0, 4) +
                                             static_cast<float>(look.vegetation_fraction) - 0.5f);
              const float d = 1.0f + 0.12f * Fbm(seed + 4, X / 6.0, Y / 6.0, 2) +
                              0.06f * (2 * Unit(Hash(seed + 5, c, R)) - 1);
              for (int k = 0; k < 4; ++k) {
                lcol[k] = (look.bare[k] * (1 - v) + look.vegetation[k] * v) * d;
              }
            }
            col = lcol.data();
          } else {
            if (!have_obj) {
              have_obj = true;
              obj_tex = 0.6f * ValueNoise(seed + 6, X / 3.0, Y / 3.0) +
                        0.4f * (2 * Unit(Hash(seed + 7, c, R)) - 1);
            }
            const float f = 1.0f + m.texture * obj_tex;
            for (int k = 0; k < 4; ++k) tmp[k] = m.colour[k] * f;
            col = tmp.data();
          }
          if (sp[sx]) {
            for (int k = 0; k < 4; ++k) acc[k] += col[k] * look.shadow_sky[k];
          } else {
            for (int k = 0; k < 4; ++k) acc[k] += col[k];
          }
        }
      }
      for (float& a : acc) a *= inv_s2;
      if (n_water > 0 && !p.wakes.empty()) {
        float add = 0;
        for (const Wake& w : p.wakes) {
          if (X < w.xmin || X > w.xmax || Y < w.ymin || Y > w.ymax) continue;
          const Vec2 P{X, Y};
          const double ds = Dot(P - w.stern, w.back);
          const double ws = Dot(P - w.stern, w.perp);
          const double db = Dot(P - w.bow, w.back);
          const double wb = Dot(P - w.bow, w.perp);
          double v = 0;
          if (ds > -2 && ds < w.reach) {
            const double st = 0.35 * w.beam + 0.03 * std::max(0.0, ds);
            v += 0.8 * std::exp(-std::max(0.0, ds) / (0.3 * w.reach)) *
                 std::exp(-ws * ws / (2 * st * st)) *
                 Smoothstep(-2.0f, 3.0f, static_cast<float>(ds));
          }
          if (db > 0 && db < w.reach) {
            const double sa = 1.2 + 0.012 * db;
            const double off = std::abs(wb) - db * 0.3535;
            v += 0.4 * std::exp(-db / (0.5 * w.reach)) * std::exp(-off * off / (2 * sa * sa));
          }
          if (v > 1e-3) {
            v *= w.strength * (0.6 + 0.4 * ValueNoise(seed + 8, X / 2.5, Y / 2.5));
            add += static_cast<float>(v);
          }
        }
        if (add > 0) {
          const float frac = static_cast<float>(n_water) * inv_s2 * std::min(add, 1.5f);
          for (int k = 0; k < 4; ++k) acc[k] += foam[k] * frac;
        }
      }
      if (clouds) {
        const float a = interp(g_alpha, c, r);
        const float s = interp(g_shadow, c, r);
        const float h = interp(g_haze, c, r);
        const float t = 0.85f + 0.15f * interp(g_tex, c, r);
        for (int k = 0; k < 4; ++k) {
          float v = acc[k] * (1.0f - 0.75f * s);
          v = v * (1 - a) + cloud_col[k] * t * a;
          acc[k] = v * (1 - h) + haze_col[k] * h;
        }
      }
      for (int k = 0; k < 4; ++k) {
        dn[k].ptr<float>(r)[c] = (acc[k] * look.gain[k] + look.path[k]) * 10000.0f;
      }
    }
  }

  std::vector<cv::Mat> out(4);
  const int out_rows = r1 - r0;
  for (int k = 0; k < 4; ++k) {
    const cv::Mat blurred = Blur(dn[k], look.psf_sigma_px);
    out[k].create(out_rows, W, CV_16U);
    for (int r = 0; r < out_rows; ++r) {
      const float* src = blurred.ptr<float>(r + p.halo);
      uint16_t* dst = out[k].ptr<uint16_t>(r);
      const int R = r0 + r;
      for (int c = 0; c < W; ++c) {
        double v = src[c];
        if (look.noise) {
          const uint64_t hsh = Hash(seed + 11, c, R, k / 2);
          const double u1 = std::max(1e-7, static_cast<double>(Unit(hsh)));
          const double u2 = static_cast<double>(Unit(internal::Mix64(hsh)));
          const double z = std::sqrt(-2.0 * std::log(u1)) *
                           ((k % 2) ? std::sin(2 * kPi * u2) : std::cos(2 * kPi * u2));
          const double sd = std::sqrt(look.read_noise_dn * look.read_noise_dn +
                                      look.shot_noise * std::max(0.0, v));
          v += z * sd;
        }
        dst[c] = static_cast<uint16_t>(std::clamp(std::lround(v), 1L, 65535L));
      }
      if (plan.swath_edge) {
        const double Yg = p.y0 - (R + 0.5) * p.gsd;
        for (int c = 0; c < W; ++c) {
          const Vec2 g{p.x0 + (c + 0.5) * p.gsd, Yg};
          if (Dot(g - plan.edge_point, plan.edge_normal) > 0) dst[c] = 0;
        }
      }
    }
  }
  return out;
}

}  // namespace

std::array<double, 6> NominalGeotransform(const ScenePlan& plan) {
  return {plan.origin_x, plan.gsd_m, 0.0, plan.origin_y, 0.0, -plan.gsd_m};
}

Polygon2 HullOutline(const HullInstance& h, double grid_from_true_deg) {
  const HullFrame fr = FrameOf(h, grid_from_true_deg);
  const double L = h.length_m, B = h.beam_m;
  const double r = std::min(0.5 * B, 0.08 * L) * 0.8;  // stern rounding (along the axis)
  const double bow_len = h.bow_length_frac * L;
  const double u_bow = L / 2 - bow_len;
  std::vector<Vec2> pts;
  const int n_stern = 12, n_bow = 14;
  // Rounded stern: half ellipse from starboard to port through the stern.
  for (int i = 0; i <= n_stern; ++i) {
    const double a = kPi / 2 + kPi * i / n_stern;
    pts.push_back(fr.At(-L / 2 + r + r * std::cos(a), -0.5 * B * std::sin(a)));
  }
  // Pointed bow: w = B/2 (1 - s^2), s from 0 at the shoulder to 1 at the stem.
  for (int side : {-1, 1}) {
    for (int i = 0; i <= n_bow; ++i) {
      const double s = static_cast<double>(i) / n_bow;
      pts.push_back(fr.At(u_bow + s * bow_len, side * 0.5 * B * (1 - s * s)));
    }
  }
  return ConvexHull(std::move(pts));
}

double CloudOpacityAt(const ScenePlan& plan, Vec2 ground) {
  if (!plan.clouds.enabled) return 0.0;
  const double tan_v = std::tan(std::clamp(plan.off_nadir_deg, 0.0, 60.0) * kDeg);
  const Vec2 away = FromAzimuth(plan.view_azimuth_deg + plan.grid_from_true_deg + 180.0);
  const Vec2 rel = away * (plan.clouds.height_m * tan_v);
  return CloudField(plan, ground.x - rel.x, ground.y - rel.y);
}

bool GroundPointValid(const ScenePlan& plan, Vec2 g) {
  const double c = (g.x - plan.jitter_m.x - plan.origin_x) / plan.gsd_m;
  const double r = (plan.origin_y - (g.y - plan.jitter_m.y)) / plan.gsd_m;
  if (c < 0 || r < 0 || c >= plan.width_px || r >= plan.height_px) return false;
  if (plan.swath_edge && Dot(g - plan.edge_point, plan.edge_normal) > 0) return false;
  return true;
}

void RenderScene(const ScenePlan& plan, const std::string& tif_path, const RenderOptions& options) {
  if (plan.width_px < 1 || plan.height_px < 1 || plan.gsd_m <= 0 || plan.supersample < 1 ||
      plan.strip_rows < 1) {
    throw Error(kStage, tif_path, "invalid scene plan (size, gsd, supersample, strip rows)");
  }
  const Prepared prep = Prepare(plan);
  RasterWriteOptions wo;
  wo.geotransform = NominalGeotransform(plan);
  wo.crs = plan.crs;
  wo.band_count = plan.nir ? 4 : 3;
  wo.cv_depth = CV_16U;
  wo.roles = {BandRole::kRed, BandRole::kGreen, BandRole::kBlue, BandRole::kNir};
  wo.band_descriptions = {"red", "green", "blue", "nir"};
  wo.roles.resize(static_cast<size_t>(wo.band_count));
  wo.band_descriptions.resize(static_cast<size_t>(wo.band_count));
  wo.nodata = 0.0;
  wo.block_size = plan.block_size;
  wo.metadata = {{"BW_SCENE_ID", plan.id}, {"BW_PLATFORM", plan.platform}};
  RasterWriter writer(tif_path, plan.width_px, plan.height_px, wo);

  // Preview accumulation (area average of R, G, B).
  const int pf = std::max(
      1, static_cast<int>(std::ceil(static_cast<double>(std::max(plan.width_px, plan.height_px)) /
                                    std::max(16, options.preview_max_px))));
  cv::Mat preview_sum, preview_cnt;
  if (!options.preview_png.empty()) {
    preview_sum =
        cv::Mat::zeros((plan.height_px + pf - 1) / pf, (plan.width_px + pf - 1) / pf, CV_32FC3);
    preview_cnt = cv::Mat::zeros(preview_sum.size(), CV_32F);
  }
  auto consume = [&](int r0, const std::vector<cv::Mat>& all_bands) {
    const std::vector<cv::Mat> rgb(all_bands.begin(), all_bands.begin() + 3);
    const std::vector<cv::Mat>& bands = plan.nir ? all_bands : rgb;
    writer.WriteRows(r0, bands);
    if (preview_sum.empty()) return;
    for (int r = 0; r < bands[0].rows; ++r) {
      const int pr = (r0 + r) / pf;
      auto* ps = preview_sum.ptr<cv::Vec3f>(pr);
      float* pc = preview_cnt.ptr<float>(pr);
      for (int c = 0; c < plan.width_px; ++c) {
        const int pcn = c / pf;
        for (int k = 0; k < 3; ++k) ps[pcn][2 - k] += bands[k].ptr<uint16_t>(r)[c];
        pc[pcn] += 1;
      }
    }
  };

  const int n_strips = (plan.height_px + plan.strip_rows - 1) / plan.strip_rows;
  if (options.threads <= 1) {
    for (int s = 0; s < n_strips; ++s) {
      const int r0 = s * plan.strip_rows;
      const int r1 = std::min(plan.height_px, r0 + plan.strip_rows);
      consume(r0, RenderStrip(prep, r0, r1));
    }
  } else {
    int next = 0;
    struct StripOut {
      int r0 = 0;
      std::vector<cv::Mat> bands;
    };
    tbb::parallel_pipeline(
        static_cast<size_t>(options.threads) * 2,
        tbb::make_filter<void, int>(tbb::filter_mode::serial_in_order,
                                    [&](tbb::flow_control& fc) -> int {
                                      if (next >= n_strips) {
                                        fc.stop();
                                        return 0;
                                      }
                                      return next++;
                                    }) &
            tbb::make_filter<int, StripOut>(tbb::filter_mode::parallel,
                                            [&](int s) {
                                              const int r0 = s * plan.strip_rows;
                                              const int r1 =
                                                  std::min(plan.height_px, r0 + plan.strip_rows);
                                              return StripOut{r0, RenderStrip(prep, r0, r1)};
                                            }) &
            tbb::make_filter<StripOut, void>(tbb::filter_mode::serial_in_order,
                                             [&](const StripOut& o) { consume(o.r0, o.bands); }));
  }
  writer.Close();

  if (!preview_sum.empty()) {
    cv::Mat avg(preview_sum.size(), CV_32FC3);
    for (int r = 0; r < avg.rows; ++r) {
      for (int c = 0; c < avg.cols; ++c) {
        const float n = std::max(1.0f, preview_cnt.at<float>(r, c));
        avg.at<cv::Vec3f>(r, c) = preview_sum.at<cv::Vec3f>(r, c) / n;
      }
    }
    // Stretch each channel between its 1st and 99th percentiles.
    std::vector<cv::Mat> ch;
    cv::split(avg, ch);
    for (cv::Mat& m : ch) {
      std::vector<float> v(m.begin<float>(), m.end<float>());
      std::sort(v.begin(), v.end());
      const float lo = v[v.size() / 100], hi = std::max(lo + 1.0f, v[v.size() * 99 / 100]);
      m = (m - lo) * (255.0 / (hi - lo));
    }
    cv::Mat merged, out8;
    cv::merge(ch, merged);
    merged.convertTo(out8, CV_8UC3);
    if (!cv::imwrite(options.preview_png, out8)) {
      throw Error(kStage, options.preview_png, "cannot write preview PNG");
    }
  }
  spdlog::info("datasets.render: wrote {} ({}x{} px)", tif_path, plan.width_px, plan.height_px);
}

}  // namespace bw::datasets
