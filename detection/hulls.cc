#include "detection/hulls.h"

#include <spdlog/spdlog.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <numbers>
#include <numeric>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <set>

#include "detection/colour.h"
#include "geo/error.h"

namespace bw {

void HullFitOptions::Check() const {
  auto fail = [](const std::string& what) { throw InputError("detection.hulls", "", what); };
  if (!(gsd_m > 0)) fail("gsd_m must be > 0");
  if (!(grow_sigma > 0) || seed_sigma < grow_sigma) fail("need 0 < grow_sigma <= seed_sigma");
  if (!(min_length_m > 0) || max_length_m <= min_length_m) fail("bad length range");
  if (!(cloud_ring_share >= 0 && cloud_ring_share <= 1)) fail("cloud_ring_share must be in [0, 1]");
  if (!(sun_elevation_deg > 0 && sun_elevation_deg <= 90))
    fail("sun_elevation_deg must be in (0, 90]");
  if (!(max_superstructure_m > 0)) fail("max_superstructure_m must be > 0");
  if (!std::isfinite(to_sun_px.x) || !std::isfinite(to_sun_px.y)) fail("to_sun_px must be finite");
}

float SampleBilinear(const cv::Mat& map, double x, double y, float outside) {
  // Pixel centres at (c + 0.5, r + 0.5).
  const double fx = x - 0.5, fy = y - 0.5;
  const int x0 = static_cast<int>(std::floor(fx)), y0 = static_cast<int>(std::floor(fy));
  if (x0 < 0 || y0 < 0 || x0 + 1 >= map.cols || y0 + 1 >= map.rows) {
    const int xi = static_cast<int>(std::floor(x)), yi = static_cast<int>(std::floor(y));
    if (xi < 0 || yi < 0 || xi >= map.cols || yi >= map.rows) return outside;
    return map.at<float>(yi, xi);
  }
  const float ax = static_cast<float>(fx - x0), ay = static_cast<float>(fy - y0);
  const float* r0 = map.ptr<float>(y0) + x0;
  const float* r1 = map.ptr<float>(y0 + 1) + x0;
  return (1 - ay) * ((1 - ax) * r0[0] + ax * r0[1]) + ay * ((1 - ax) * r1[0] + ax * r1[1]);
}

namespace {

// Candidate trace on stderr when BW_HULL_TRACE is set (debugging aid, not an interface).
template <typename... Args>
void Trace(fmt::format_string<Args...> f, Args&&... args) {
  static const bool on = std::getenv("BW_HULL_TRACE") != nullptr;
  if (on) fmt::print(stderr, "hulls: {}\n", fmt::format(f, std::forward<Args>(args)...));
}

double Median(std::vector<double> v) {
  if (v.empty()) return std::nan("");
  const size_t k = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + k, v.end());
  return v[k];
}

cv::Point2d Normal(const cv::Point2d& a) { return {-a.y, a.x}; }

// Robust line fit y = m x + b (Eigen least squares, outliers beyond 3 robust sigmas dropped
// twice). `mad` is the median absolute residual of the points kept. False with < 3 points.
bool FitLineRobust(const std::vector<double>& x, const std::vector<double>& y, double& m, double& b,
                   double* mad_out = nullptr) {
  if (x.size() < 3) return false;
  std::vector<int> use(x.size());
  std::iota(use.begin(), use.end(), 0);
  m = 0;
  b = 0;
  double mad = 0;
  for (int pass = 0; pass < 3; ++pass) {
    Eigen::MatrixXd A(use.size(), 2);
    Eigen::VectorXd v(use.size());
    for (size_t i = 0; i < use.size(); ++i) {
      A(i, 0) = x[use[i]];
      A(i, 1) = 1.0;
      v(i) = y[use[i]];
    }
    const Eigen::Vector2d sol = A.colPivHouseholderQr().solve(v);
    m = sol(0);
    b = sol(1);
    std::vector<double> res, res_used;
    for (size_t i = 0; i < x.size(); ++i) res.push_back(std::fabs(y[i] - (m * x[i] + b)));
    for (int i : use) res_used.push_back(res[i]);
    mad = std::max(Median(res_used), 0.05);
    if (pass == 2) break;
    std::vector<int> keep;
    for (size_t i = 0; i < x.size(); ++i)
      if (res[i] <= 3.0 * 1.4826 * mad) keep.push_back(static_cast<int>(i));
    if (keep.size() < 3) break;
    use = keep;
  }
  if (mad_out != nullptr) *mad_out = mad;
  return true;
}

// Profile of `map` along `dir` through `origin`, t in [t0, t1] step dt, averaged over
// offsets along `avg_dir` (avg_offsets).
void Profile(const cv::Mat& map, cv::Point2d origin, cv::Point2d dir, cv::Point2d avg_dir,
             const std::vector<double>& avg_offsets, double t0, double dt, int n,
             std::vector<double>& out) {
  out.assign(n, 0.0);
  for (int i = 0; i < n; ++i) {
    const double t = t0 + i * dt;
    double s = 0;
    for (double u : avg_offsets) {
      const cv::Point2d p = origin + dir * t + avg_dir * u;
      s += SampleBilinear(map, p.x, p.y);
    }
    out[i] = s / avg_offsets.size();
  }
}

// Sub-pixel crossing of `level` searching from index `from` towards `to` (exclusive).
// Returns the profile coordinate index (fractional), or NaN.
double Crossing(const std::vector<double>& v, int from, int to, double level) {
  const int step = to > from ? 1 : -1;
  for (int i = from; i != to - step && i + step >= 0 && i + step < static_cast<int>(v.size());
       i += step) {
    const double a = v[i], b = v[i + step];
    if (a < level && b >= level) {
      const double f = (level - a) / (b - a);
      return i + step * f;
    }
  }
  return std::nan("");
}

int ArgMin(const std::vector<double>& v, int lo, int hi) {
  lo = std::clamp(lo, 0, static_cast<int>(v.size()) - 1);
  hi = std::clamp(hi, 0, static_cast<int>(v.size()) - 1);
  if (lo > hi) std::swap(lo, hi);
  int best = lo;
  for (int i = lo; i <= hi; ++i)
    if (v[i] < v[best]) best = i;
  return best;
}

struct EdgePair {
  bool ok = false;
  double left = 0, right = 0;  // profile coordinates (same units as t)
  double psf = std::nan("");
  double out_left = 0, out_right = 0;
};

// Left/right edges of a bright plateau in a profile sampled at t0 + i*dt.
EdgePair FindEdges(const std::vector<double>& v, double t0, double dt, double half_width,
                   double plateau = std::nan(""), double outer_fraction = 0.5) {
  EdgePair e;
  const int n = static_cast<int>(v.size());
  std::vector<double> inner;
  for (int i = 0; i < n; ++i) {
    const double t = t0 + i * dt;
    // The plateau level from most of the interior: a bright centre-line pipe or a dark
    // hatch must not set it.
    if (std::fabs(t) <= std::max(0.6 * half_width, 0.6)) inner.push_back(v[i]);
  }
  if (inner.empty()) return e;
  double h = half_width < 2.0 ? *std::max_element(inner.begin(), inner.end()) : Median(inner);
  if (std::isfinite(plateau)) h = plateau;
  if (!(h > 0)) return e;
  const int centre = static_cast<int>(std::lround(-t0 / dt));
  const int inner_l = static_cast<int>(std::lround((-outer_fraction * half_width - t0) / dt));
  const int inner_r = static_cast<int>(std::lround((outer_fraction * half_width - t0) / dt));
  const int il = ArgMin(v, 0, inner_l);
  const int ir = ArgMin(v, inner_r, n - 1);
  const double ol = std::min(v[il], 0.5 * h), orr = std::min(v[ir], 0.5 * h);
  const double cl = Crossing(v, il, centre + 1, 0.5 * (h + ol));
  const double cr = Crossing(v, ir, centre - 1, 0.5 * (h + orr));
  if (std::isnan(cl) || std::isnan(cr)) return e;
  e.left = t0 + cl * dt;
  e.right = t0 + cr * dt;
  e.out_left = ol;
  e.out_right = orr;
  e.ok = e.right > e.left;
  // Blur from the 25-75 % rise on the side whose outside is brighter (the lit side, no
  // shadow next to the edge): for a Gaussian-blurred step it spans 1.349 sigma.
  const bool use_left = ol >= orr;
  const double o = use_left ? ol : orr;
  const int start = use_left ? il : ir;
  const int stop = use_left ? centre + 1 : centre - 1;
  const double c25 = Crossing(v, start, stop, o + 0.25 * (h - o));
  const double c75 = Crossing(v, start, stop, o + 0.75 * (h - o));
  if (!std::isnan(c25) && !std::isnan(c75)) e.psf = std::fabs(c75 - c25) * dt / 1.349;
  return e;
}

// An end past a deck in shadow: from the deck's end `edge` (profile coordinate) outwards
// (`dir` +-1), a plateau clear of the outside level (the profile's outermost 2 px) by four
// sigmas and a sixth of the deck level, under 0.6 of the deck level, at least 2 px and at
// most `reach` long, that drops to the outside within the profile as sharply as a hull's
// edge and stays down for 2 px. Returns the crossing half-way between plateau and outside,
// or NaN.
double ShadedEnd(const std::vector<double>& v, double t0, double dt, double edge, int dir,
                 double deck_level, double reach) {
  const int n = static_cast<int>(v.size());
  const int tail = std::max(2, static_cast<int>(std::lround(2.0 / dt)));
  if (n < 4 * tail) return std::nan("");
  std::vector<double> far;
  for (int k = 0; k < tail; ++k) far.push_back(dir > 0 ? v[n - 1 - k] : v[k]);
  const double outside = Median(far);
  const auto index = [&](double t) { return static_cast<int>(std::lround((t - t0) / dt)); };
  const int i_e = index(edge);
  // The level just past the deck's step (1-3 px out).
  std::vector<double> near;
  for (int k = index(edge + dir * 1.0); dir * (k - index(edge + dir * 3.0)) <= 0 && k >= 0 && k < n;
       k += dir) {
    near.push_back(v[k]);
  }
  if (near.size() < 4) return std::nan("");
  const double m0 = Median(near);
  const double floor_level = std::max(outside + 4.0, outside + deck_level / 6.0);
  if (!(m0 >= floor_level) || m0 > 0.6 * deck_level) return std::nan("");
  const double thr = 0.5 * (m0 + outside);
  int i_d = -1;
  for (int k = i_e + dir; k >= 0 && k < n; k += dir) {
    if (v[k] < thr) {
      i_d = k;
      break;
    }
  }
  if (i_d < 0) return std::nan("");
  const double run = std::abs(i_d - i_e) * dt;
  if (run < 2.0 || run > reach) return std::nan("");
  for (int k = i_d; dir * (k - i_d) < tail; k += dir) {
    if (k < 0 || k >= n || v[k] >= thr) return std::nan("");
  }
  std::vector<double> plateau;
  for (int k = i_e + dir * tail / 2; dir * (k - i_d) < 0; k += dir) plateau.push_back(v[k]);
  const double m = plateau.empty() ? m0 : Median(plateau);
  if (!(m >= floor_level)) return std::nan("");
  // A hull's end is an edge as sharp as the blur; foam astern fades out over metres: the
  // drop from three quarters of the plateau to a quarter must take under 2.5 px.
  const double hi = outside + 0.75 * (m - outside), lo = outside + 0.25 * (m - outside);
  int k_hi = i_d, k_lo = i_d;
  while (k_hi - dir >= 0 && k_hi - dir < n && dir * (k_hi - dir - i_e) > 0 && v[k_hi - dir] < hi)
    k_hi -= dir;
  while (k_lo >= 0 && k_lo < n && v[k_lo] > lo) k_lo += dir;
  if (k_lo < 0 || k_lo >= n || std::abs(k_lo - k_hi) * dt > 2.5) return std::nan("");
  const double level = 0.5 * (m + outside);
  const int i_in = i_d - dir;
  const double a = v[i_in], b = v[i_d];
  const double f = a > b ? std::clamp((a - level) / (a - b), 0.0, 1.0) : 0.5;
  return t0 + (i_in + dir * f) * dt;
}

}  // namespace

bool RefineHull(const cv::Mat& contrast, Hull& hull, double* psf_sigma_px, double* edge_mad_px,
                double min_end_step, bool* deck_clear, bool shaded_ends) {
  cv::Point2d a = hull.axis_px;
  a *= 1.0 / std::max(cv::norm(a), 1e-12);
  cv::Point2d c = hull.center_px;
  double length = std::max(hull.length_px, 2.0);
  double beam = std::max(hull.beam_px, 1.0);
  std::vector<double> prof;
  std::vector<double> psfs;
  bool any = false;
  bool clear = true;
  double edge_mad = 1e9;
  for (int iter = 0; iter < 3; ++iter) {
    const cv::Point2d n = Normal(a);
    // Sides at stations along the parallel mid-body.
    const int stations = std::clamp(static_cast<int>(length / 3), 5, 48);
    const double margin = std::max(3.0, 0.35 * beam);
    const double dt = 0.25;
    const double t0 = -(0.5 * beam + margin);
    const int nt = static_cast<int>(std::ceil(2 * (0.5 * beam + margin) / dt)) + 1;
    const double avg = std::clamp(length / stations / 2, 0.5, 2.0);
    const std::vector<double> offs{-avg, 0.0, avg};
    std::vector<double> ss, mids, widths, lefts, rights, out_l, out_r;
    psfs.clear();
    for (int k = 0; k < stations; ++k) {
      const double s = -0.3 * length + 0.6 * length * (k + 0.5) / stations;
      Profile(contrast, c + a * s, n, a, offs, t0, dt, nt, prof);
      const EdgePair e = FindEdges(prof, t0, dt, 0.5 * beam);
      if (!e.ok) continue;
      ss.push_back(s);
      mids.push_back(0.5 * (e.left + e.right));
      widths.push_back(e.right - e.left);
      lefts.push_back(e.left);
      rights.push_back(e.right);
      out_l.push_back(e.out_left);
      out_r.push_back(e.out_right);
      if (!std::isnan(e.psf)) psfs.push_back(e.psf);
    }
    if (ss.size() < 3) break;
    // Each long side is a straight edge: fit both with lines. The centre comes from the
    // midline; the direction from the sides that face water (a side against the pier, a
    // platform or another hull has no dark outside and its edge wanders), weighted by how
    // straight each edge is.
    double m = 0, b = 0;
    FitLineRobust(ss, mids, m, b);
    double ml = 0, bl = 0, mr = 0, br = 0, madl = 1e9, madr = 1e9;
    const bool fit_l = FitLineRobust(ss, lefts, ml, bl, &madl);
    const bool fit_r = FitLineRobust(ss, rights, mr, br, &madr);
    double h_deck = 0;
    {
      std::vector<double> dk;
      for (int k = -4; k <= 4; ++k)
        dk.push_back(SampleBilinear(contrast, c.x + a.x * (0.08 * length * k),
                                    c.y + a.y * (0.08 * length * k)));
      h_deck = std::max(Median(dk), 1e-6);
    }
    edge_mad = std::min(fit_l ? madl : 1e9, fit_r ? madr : 1e9);
    const bool water_l = fit_l && Median(out_l) < 0.3 * h_deck;
    const bool water_r = fit_r && Median(out_r) < 0.3 * h_deck;
    if (water_l && water_r) {
      const double wl = 1.0 / (madl * madl), wr = 1.0 / (madr * madr);
      m = (wl * ml + wr * mr) / (wl + wr);
    } else if (water_l) {
      m = ml;
    } else if (water_r) {
      m = mr;
    }
    c += n * b;
    a = a + n * m;
    a *= 1.0 / cv::norm(a);
    beam = Median(widths);
    any = true;

    // Ends: per station along the axis, the maximum across the inner beam (a pointed bow
    // keeps its deck level to the tip; centre-line pipes do not set the level), against
    // the deck level of the whole interior.
    const cv::Point2d n2 = Normal(a);
    std::vector<double> deck;
    for (int i = -8; i <= 8; ++i) {
      for (int j = -3; j <= 3; ++j) {
        const cv::Point2d q = c + a * (0.4 * length * i / 8.0) + n2 * (0.35 * beam * j / 3.0);
        deck.push_back(SampleBilinear(contrast, q.x, q.y));
      }
    }
    const double deck_level = Median(deck);
    const double margin2 = std::max(4.0, 0.1 * length);
    const double s0 = -(0.5 * length + margin2);
    const int ns = static_cast<int>(std::ceil(2 * (0.5 * length + margin2) / dt)) + 1;
    const int nq = std::max(1, static_cast<int>(0.6 * beam));
    prof.assign(ns, -1e30);
    for (int i = 0; i < ns; ++i) {
      const cv::Point2d base = c + a * (s0 + i * dt);
      for (int j = 0; j < nq; ++j) {
        const double t = nq == 1 ? 0.0 : -0.3 * beam + 0.6 * beam * j / (nq - 1);
        prof[i] = std::max(prof[i], static_cast<double>(SampleBilinear(contrast, base.x + n2.x * t,
                                                                       base.y + n2.y * t)));
      }
    }
    // Search the outside level only beyond ~90 % of the half length: a shadow across the
    // deck must not be taken for the water past the end.
    const EdgePair e = FindEdges(prof, s0, dt, 0.5 * length, deck_level, 0.92);
    if (!e.ok) continue;
    // The ends need a deck standing clear of the water as this profile sees it (the
    // maximum across the beam lifts the water's noise by a sigma or two): the ends of a
    // deck barely brighter than the water (dark paint in the brightness map) wander out by
    // metres with every iteration (12k benchmark scene: a 137 m hull whose deck stood 2.9
    // sigmas above the water read 172 m). The length then stays as it came.
    std::vector<double> outside;
    for (int i = 0; i < ns; ++i) {
      const double s = s0 + i * dt;
      if (s < e.left - 2.0 || s > e.right + 2.0) outside.push_back(prof[i]);
    }
    const double step = outside.size() >= 4 ? deck_level - Median(outside) : deck_level;
    clear = step >= min_end_step;
    if (!clear) continue;
    double left = e.left, right = e.right;
    if (shaded_ends) {
      const double l2 = ShadedEnd(prof, s0, dt, left, -1, deck_level, 0.4 * length);
      const double r2 = ShadedEnd(prof, s0, dt, right, 1, deck_level, 0.4 * length);
      if (std::isfinite(l2)) left = l2;
      if (std::isfinite(r2)) right = r2;
    }
    length = right - left;
    c += a * (0.5 * (left + right));
  }
  if (!any) return false;
  if (edge_mad_px != nullptr) *edge_mad_px = edge_mad;
  if (deck_clear != nullptr) *deck_clear = clear;
  hull.center_px = c;
  hull.axis_px = a;
  hull.length_px = length;
  hull.beam_px = beam;
  if (psf_sigma_px != nullptr) {
    const double p = Median(psfs);
    *psf_sigma_px = std::isnan(p) ? 0.6 : std::clamp(p, 0.25, 3.0);
  }
  return true;
}

double ResolveBow(const cv::Mat& contrast, const cv::Mat& brightness, Hull& hull,
                  double* superstructure_pos) {
  const cv::Point2d a = hull.axis_px, n = Normal(hull.axis_px);
  const double L = hull.length_px, B = hull.beam_px;
  hull.bow_resolved = false;
  if (L < 8 || B < 3) return 0.0;
  // Width profile along the hull from the plateau level of the mid-body.
  const int bins = 40;
  const double dt = std::max(0.25, B / 40);
  const int nt = static_cast<int>((B + 4) / dt) + 1;
  const double t0 = -0.5 * (B + 4);
  std::vector<double> mid_levels;
  for (int k = -3; k <= 3; ++k) {
    const cv::Point2d p = hull.center_px + a * (k * 0.05 * L);
    for (double t = -0.2 * B; t <= 0.2 * B; t += std::max(dt, 0.5))
      mid_levels.push_back(SampleBilinear(contrast, p.x + n.x * t, p.y + n.y * t));
  }
  const double h = Median(mid_levels);
  if (!(h > 0)) return 0.0;
  std::vector<double> width(bins), top(bins);
  for (int k = 0; k < bins; ++k) {
    const double s = -0.5 * L + L * (k + 0.5) / bins;
    int cnt = 0;
    double mx = -1e30;
    for (int i = 0; i < nt; ++i) {
      const double t = t0 + i * dt;
      const cv::Point2d p = hull.center_px + a * s + n * t;
      if (SampleBilinear(contrast, p.x, p.y) >= 0.5 * h) ++cnt;
      if (std::fabs(t) < 0.45 * B)
        mx = std::max(mx, static_cast<double>(SampleBilinear(brightness, p.x, p.y)));
    }
    width[k] = cnt * dt;
    top[k] = mx;
  }
  // Taper: mean width over the outer 15 % at each end (+axis end is the last bins).
  const int e = std::max(2, bins * 15 / 100);
  double w_neg = 0, w_pos = 0;
  for (int k = 0; k < e; ++k) {
    w_neg += width[k];
    w_pos += width[bins - 1 - k];
  }
  w_neg /= e * B;
  w_pos /= e * B;
  const double taper = w_neg - w_pos;  // > 0: +axis end narrower => +axis is the bow
  double score = std::clamp(std::fabs(taper) / 0.25, 0.0, 1.0);
  int bow_sign = taper > 0 ? 1 : -1;
  // Superstructure: the brightest block of the smoothed top profile, away from the ends.
  std::vector<double> sm(bins, 0.0);
  for (int k = 0; k < bins; ++k) {
    double s = 0;
    int c = 0;
    for (int j = std::max(0, k - 1); j <= std::min(bins - 1, k + 1); ++j) {
      s += top[j];
      ++c;
    }
    sm[k] = s / c;
  }
  std::vector<double> deck(sm.begin() + 3, sm.end() - 3);
  const double deck_med = Median(deck);
  int peak = 2;
  for (int k = 2; k < bins - 2; ++k)
    if (sm[k] > sm[peak]) peak = k;
  const bool has_super = sm[peak] > 1.25 * deck_med + 0.02;
  const double peak_frac = (peak + 0.5) / bins;  // along +axis from the -axis end
  if (has_super && (peak_frac < 0.3 || peak_frac > 0.7)) {
    const int super_sign = peak_frac > 0.5 ? -1 : 1;  // superstructure aft => bow opposite
    // A tanker's accommodation block and funnel stand within the last ~15 % of its length:
    // a bright block in the outer fifth marks the stern more surely than the taper, whose
    // half-level widths a pier, a shadow or a platform at one end can bend.
    const bool at_end = peak_frac < 0.2 || peak_frac > 0.8;
    if (score < 0.3) {
      bow_sign = super_sign;
      score = std::max(score, 0.5);
    } else if (super_sign != bow_sign && at_end) {
      bow_sign = super_sign;
      score = 0.5;
    } else if (super_sign != bow_sign) {
      score *= 0.5;
    } else {
      score = std::min(1.0, score + 0.3);
    }
  }
  if (bow_sign < 0) hull.axis_px = -hull.axis_px;
  hull.bow_resolved = score >= 0.4;
  if (superstructure_pos != nullptr) {
    *superstructure_pos = -1;
    if (has_super) *superstructure_pos = bow_sign > 0 ? 1.0 - peak_frac : peak_frac;
  }
  return score;
}

std::vector<cv::Point2d> HullOutline(const Hull& hull) {
  const cv::Point2d a = hull.axis_px, n = Normal(hull.axis_px);
  const double hl = 0.5 * hull.length_px, hb = 0.5 * hull.beam_px;
  std::vector<std::pair<double, double>> st;  // (s, t)
  if (hull.bow_resolved) {
    const double shoulder = hl - std::min(0.15 * hull.length_px, 2.5 * hull.beam_px);
    st = {{-hl, -hb}, {shoulder, -hb}, {hl, 0}, {shoulder, hb}, {-hl, hb}};
  } else {
    st = {{-hl, -hb}, {hl, -hb}, {hl, hb}, {-hl, hb}};
  }
  std::vector<cv::Point2d> out;
  for (const auto& [s, t] : st) out.push_back(hull.center_px + a * s + n * t);
  return out;
}

namespace {

// A shapeless component is replaced by its raised-level pieces only where they leave more
// than this share of it behind (haze or cloud joined to a hull), not where they merely trim
// a hull's own soft edge.
constexpr double kRaisedMaxShare = 0.7;
// ... and only where little of their ring is cloud (seed 2, 2024-04-02: 10 % of the ring of
// a hull whose stern lies under cloud; seed 3, 2024-09-09: 4 % of a hull's in haze).
constexpr double kRaisedMaxRingCloud = 0.05;

struct Part {
  std::vector<cv::Point> pixels;  // window coordinates
  int origin = -1;                // the component it came from, -1 for a retried piece
};

struct Pca {
  cv::Point2d center, axis;
  double s_min = 0, s_max = 0, t_min = 0, t_max = 0;
  double length() const { return s_max - s_min + 1; }
  double beam() const { return t_max - t_min + 1; }
};

Pca ComputePca(const std::vector<cv::Point>& px) {
  Pca p;
  double sx = 0, sy = 0;
  for (const auto& q : px) {
    sx += q.x;
    sy += q.y;
  }
  const double n = static_cast<double>(px.size());
  const double mx = sx / n, my = sy / n;
  double cxx = 0, cyy = 0, cxy = 0;
  for (const auto& q : px) {
    const double dx = q.x - mx, dy = q.y - my;
    cxx += dx * dx;
    cyy += dy * dy;
    cxy += dx * dy;
  }
  const double ang = 0.5 * std::atan2(2 * cxy, cxx - cyy);
  p.axis = {std::cos(ang), std::sin(ang)};
  p.center = {mx + 0.5, my + 0.5};
  p.s_min = p.t_min = 1e30;
  p.s_max = p.t_max = -1e30;
  for (const auto& q : px) {
    const double dx = q.x + 0.5 - p.center.x, dy = q.y + 0.5 - p.center.y;
    const double s = dx * p.axis.x + dy * p.axis.y, t = -dx * p.axis.y + dy * p.axis.x;
    p.s_min = std::min(p.s_min, s);
    p.s_max = std::max(p.s_max, s);
    p.t_min = std::min(p.t_min, t);
    p.t_max = std::max(p.t_max, t);
  }
  // Centre of the extents, not of the mass (a superstructure must not shift it).
  const double sc = 0.5 * (p.s_min + p.s_max), tc = 0.5 * (p.t_min + p.t_max);
  p.center += p.axis * sc + Normal(p.axis) * tc;
  p.s_min -= sc;
  p.s_max -= sc;
  p.t_min -= tc;
  p.t_max -= tc;
  return p;
}

// Width across frame.axis of the pixels within `depth` of their extreme along it, at the
// high end (largest s) or the low one.
double EndWidth(const std::vector<cv::Point>& px, const Pca& frame, bool high_end, double depth) {
  const cv::Point2d nrm = Normal(frame.axis);
  const auto st = [&](const cv::Point& q) {
    const cv::Point2d d(q.x + 0.5 - frame.center.x, q.y + 0.5 - frame.center.y);
    return std::pair<double, double>(d.dot(frame.axis), d.dot(nrm));
  };
  double s_ext = high_end ? -1e30 : 1e30;
  for (const auto& q : px) {
    const double s = st(q).first;
    s_ext = high_end ? std::max(s_ext, s) : std::min(s_ext, s);
  }
  double t_lo = 1e30, t_hi = -1e30;
  for (const auto& q : px) {
    const auto [s, t] = st(q);
    if (high_end ? s < s_ext - depth : s > s_ext + depth) continue;
    t_lo = std::min(t_lo, t);
    t_hi = std::max(t_hi, t);
  }
  return t_hi >= t_lo ? t_hi - t_lo + 1 : 0.0;
}

// Whether the strip of a part's beam between s_from and s_to (along its axis, relative to
// its centre) lies mostly (> 20 %) under cloud or haze.
bool GapUnderCloud(const ImagingResult& img, const Pca& frame, double s_from, double s_to) {
  const cv::Point2d nrm = Normal(frame.axis);
  int total = 0, cloudy = 0;
  for (double sv = s_from; sv <= s_to; sv += 1.0) {
    for (double t = frame.t_min; t <= frame.t_max; t += 1.0) {
      const cv::Point2d q = frame.center + frame.axis * sv + nrm * t;
      const int x = static_cast<int>(std::floor(q.x)), y = static_cast<int>(std::floor(q.y));
      if (x < 0 || y < 0 || x >= img.cloud.cols || y >= img.cloud.rows) continue;
      ++total;
      if (img.cloud.at<uchar>(y, x) || (!img.thin_cloud.empty() && img.thin_cloud.at<uchar>(y, x)))
        ++cloudy;
    }
  }
  return total > 0 && cloudy > 0.2 * total;
}

// Splits a component at a valley of the contrast profile across (side by side) or of the
// width profile along (end to end) when its shape says it holds two hulls.
void SplitParts(const cv::Mat& contrast, Part part, double min_len_px, int depth,
                std::vector<Part>& out) {
  if (depth > 3 || part.pixels.size() < 16) {
    out.push_back(std::move(part));
    return;
  }
  const Pca p = ComputePca(part.pixels);
  const double ratio = p.length() / std::max(p.beam(), 1.0);
  const cv::Point2d n = Normal(p.axis);
  auto split_by = [&](bool across, double cut) {
    Part a, b;
    for (const auto& q : part.pixels) {
      const cv::Point2d d(q.x + 0.5 - p.center.x, q.y + 0.5 - p.center.y);
      const double v = across ? d.dot(n) : d.dot(p.axis);
      (v < cut ? a : b).pixels.push_back(q);
    }
    SplitParts(contrast, std::move(a), min_len_px, depth + 1, out);
    SplitParts(contrast, std::move(b), min_len_px, depth + 1, out);
  };
  if (ratio < 3.6 && p.length() >= 2 * min_len_px && p.beam() >= 8) {
    // Side by side: mean contrast per across-bin (half a pixel) over the central 60 % of the
    // length. Two hulls pointing opposite ways tilt the principal axis by a few degrees and
    // smear a narrow valley, so the direction of the deepest valley is searched around it.
    constexpr double kDegToRad = 3.14159265358979323846 / 180.0;
    const double bin = 0.5;
    int best = -1;
    double best_depth = 0, best_cut = 0;
    cv::Point2d best_n = n;
    for (int k = -12; k <= 12; ++k) {
      const double ang = 0.5 * k * kDegToRad;
      const cv::Point2d ax(p.axis.x * std::cos(ang) - p.axis.y * std::sin(ang),
                           p.axis.x * std::sin(ang) + p.axis.y * std::cos(ang));
      const cv::Point2d nk = Normal(ax);
      double t_lo = 1e30, t_hi = -1e30;
      for (const auto& q : part.pixels) {
        const cv::Point2d d(q.x + 0.5 - p.center.x, q.y + 0.5 - p.center.y);
        t_lo = std::min(t_lo, d.dot(nk));
        t_hi = std::max(t_hi, d.dot(nk));
      }
      const int nb = static_cast<int>(std::ceil((t_hi - t_lo) / bin)) + 1;
      std::vector<double> sum(nb, 0), cnt(nb, 0);
      for (const auto& q : part.pixels) {
        const cv::Point2d d(q.x + 0.5 - p.center.x, q.y + 0.5 - p.center.y);
        if (std::fabs(d.dot(ax)) > 0.3 * p.length()) continue;
        const int i = std::clamp(static_cast<int>((d.dot(nk) - t_lo) / bin), 0, nb - 1);
        sum[i] += contrast.at<float>(q.y, q.x);
        cnt[i] += 1;
      }
      std::vector<double> prof(nb, 0), left_max(nb), right_max(nb);
      for (int i = 0; i < nb; ++i) prof[i] = cnt[i] > 0 ? sum[i] / cnt[i] : 0;
      // The highest bin at or left of i, and at or right of i.
      for (int i = 0; i < nb; ++i)
        left_max[i] = i > 0 ? std::max(left_max[i - 1], prof[i]) : prof[i];
      for (int i = nb - 1; i >= 0; --i)
        right_max[i] = i + 1 < nb ? std::max(right_max[i + 1], prof[i]) : prof[i];
      const int lo = static_cast<int>(0.2 * nb), hi = static_cast<int>(0.8 * nb);
      for (int i = lo; i <= hi && i < nb; ++i) {
        if (cnt[i] == 0) continue;
        const double left = left_max[i];
        const double right = right_max[i];
        const double depth_rel = 1.0 - prof[i] / std::max(std::min(left, right), 1e-6);
        if (depth_rel > best_depth + 1e-9) {
          best_depth = depth_rel;
          best = i;
          best_cut = t_lo + (i + 0.5) * bin;
          best_n = nk;
        }
      }
    }
    if (best >= 0 && best_depth > 0.3) {
      Part pa, pb;
      for (const auto& q : part.pixels) {
        const cv::Point2d d(q.x + 0.5 - p.center.x, q.y + 0.5 - p.center.y);
        (d.dot(best_n) < best_cut ? pa : pb).pixels.push_back(q);
      }
      // Two hulls side by side are each hull-shaped; a strip more slender than any hull (a
      // catwalk's shadow along a deck, a pier's shadow beside it) cut off is no second hull.
      const auto slender = [](const Part& x) {
        if (x.pixels.size() < 16) return true;
        const Pca q = ComputePca(x.pixels);
        return q.length() > 10.0 * q.beam();
      };
      // One hull whose deck is darker along its centre line (a dark deck between pipe rows)
      // has a valley there too, but its pointed bow is a single narrow tip on the cut line;
      // hulls side by side end in two tips, or a tip beside a stern (seed 13, 2024-09-29:
      // a dark red hull cut lengthwise into two "hulls" 4 and 9 m wide).
      const auto tip_on_cut = [&](bool high_end) {
        const cv::Point2d ax(best_n.y, -best_n.x);
        double s_ext = high_end ? -1e30 : 1e30;
        for (const auto& q : part.pixels) {
          const double sv = (q.x + 0.5 - p.center.x) * ax.x + (q.y + 0.5 - p.center.y) * ax.y;
          s_ext = high_end ? std::max(s_ext, sv) : std::min(s_ext, sv);
        }
        const double depth_px = std::max(3.0, 0.03 * p.length());
        double t_lo = 1e30, t_hi = -1e30, t_sum = 0;
        int cnt = 0;
        for (const auto& q : part.pixels) {
          const cv::Point2d d(q.x + 0.5 - p.center.x, q.y + 0.5 - p.center.y);
          if (std::fabs(d.dot(ax) - s_ext) > depth_px) continue;
          const double t = d.dot(best_n);
          t_lo = std::min(t_lo, t);
          t_hi = std::max(t_hi, t);
          t_sum += t;
          ++cnt;
        }
        return cnt > 0 && t_hi - t_lo < 0.35 * p.beam() &&
               std::fabs(t_sum / cnt - best_cut) < std::max(2.0, 0.12 * p.beam());
      };
      // ... and both halves of one hull span it from end to end, where haze or a fringe
      // beside a hull (cut off by the valley) ends elsewhere; and one hull fills its box
      // (over half of it, with a superstructure displaced off its side), haze does not.
      const auto same_ends = [&]() {
        const cv::Point2d ax(best_n.y, -best_n.x);
        const auto extent = [&](const Part& x) {
          double lo = 1e30, hi = -1e30;
          for (const auto& q : x.pixels) {
            const double sv = (q.x + 0.5 - p.center.x) * ax.x + (q.y + 0.5 - p.center.y) * ax.y;
            lo = std::min(lo, sv);
            hi = std::max(hi, sv);
          }
          return std::pair{lo, hi};
        };
        if (pa.pixels.empty() || pb.pixels.empty()) return false;
        const auto [alo, ahi] = extent(pa);
        const auto [blo, bhi] = extent(pb);
        const double tol = std::max(3.0, 0.05 * p.length());
        return std::fabs(alo - blo) < tol && std::fabs(ahi - bhi) < tol;
      };
      const double part_fill =
          static_cast<double>(part.pixels.size()) / std::max(p.length() * p.beam(), 1.0);
      if (part_fill >= 0.5 && (tip_on_cut(true) || tip_on_cut(false)) && same_ends()) {
        Trace(
            "no split across ({:.0f},{:.0f}) L={:.0f} B={:.0f} fill {:.2f}: one pointed end on "
            "the cut at {:.1f}",
            p.center.x, p.center.y, p.length(), p.beam(), part_fill, best_cut);
      } else if (!slender(pa) && !slender(pb)) {
        Trace("split across ({:.0f},{:.0f}) L={:.0f} B={:.0f} at {:.1f} depth {:.2f}", p.center.x,
              p.center.y, p.length(), p.beam(), best_cut, best_depth);
        SplitParts(contrast, std::move(pa), min_len_px, depth + 1, out);
        SplitParts(contrast, std::move(pb), min_len_px, depth + 1, out);
        return;
      } else {
        Trace("no split across ({:.0f},{:.0f}) L={:.0f} B={:.0f}: a slender strip at {:.1f}",
              p.center.x, p.center.y, p.length(), p.beam(), best_cut);
      }
    }
  }
  if (ratio > 8.5 && p.length() >= 2 * min_len_px) {
    // End to end: the mask width along the axis drops where bow meets stern.
    const int nb = static_cast<int>(std::ceil(p.length())) + 1;
    std::vector<double> w(nb, 0);
    for (const auto& q : part.pixels) {
      const cv::Point2d d(q.x + 0.5 - p.center.x, q.y + 0.5 - p.center.y);
      const int i = std::clamp(static_cast<int>(d.dot(p.axis) - p.s_min), 0, nb - 1);
      w[i] += 1;
    }
    const double med = Median(w);
    // Away from the ends by more than a bow taper (a tug nosing a stern is split off).
    const int guard = static_cast<int>(std::max(min_len_px, 1.2 * p.beam()));
    int best = -1;
    for (int i = guard; i < nb - guard; ++i)
      if (w[i] < 0.45 * med && (best < 0 || w[i] < w[best])) best = i;
    if (best >= 0) {
      Trace("split along ({:.0f},{:.0f}) L={:.0f} B={:.0f} at {}", p.center.x, p.center.y,
            p.length(), p.beam(), best);
      split_by(false, p.s_min + best + 0.5);
      return;
    }
  }
  out.push_back(std::move(part));
}

// A hull is a strip of constant width between two straight sides. Trims a part to the
// strip along its straighter long side, cutting off what bulges out on the other: loading
// platforms and pier fringes it touches, fenders, a tug alongside. Returns whether the part
// has a straight long side (false also when too small or squat to tell: fewer pixels than
// `min_pixels`, or fewer than 10 stations along the mid-body).
constexpr size_t kTrimMinPixels = 200;
// A hull-shaped raised-level piece of a few pixels' beam (3 m: 35 x 5 px for a 105 m hull)
// is judged by its 10 or more mid-body stations, not by the 200 px a part is trimmed from.
constexpr size_t kPieceMinPixels = 60;
bool TrimToStrip(Part& part, size_t min_pixels = kTrimMinPixels) {
  if (part.pixels.size() < min_pixels) return false;
  const Pca p = ComputePca(part.pixels);
  if (p.length() < 3.0 * p.beam()) return false;
  const cv::Point2d n = Normal(p.axis);
  const int nb = static_cast<int>(std::ceil(p.length())) + 1;
  std::vector<double> tmin(nb, 1e30), tmax(nb, -1e30);
  for (const auto& q : part.pixels) {
    const cv::Point2d d(q.x + 0.5 - p.center.x, q.y + 0.5 - p.center.y);
    const int i = std::clamp(static_cast<int>(d.dot(p.axis) - p.s_min), 0, nb - 1);
    const double t = d.dot(n);
    tmin[i] = std::min(tmin[i], t - 0.5);
    tmax[i] = std::max(tmax[i], t + 0.5);
  }
  // Stations over the parallel mid-body (bow taper and stern rounding left out).
  std::vector<double> ss, lo, hi, w;
  for (int i = static_cast<int>(0.2 * nb); i <= static_cast<int>(0.8 * nb); ++i) {
    if (i < 0 || i >= nb || tmin[i] > 1e29) continue;
    ss.push_back(p.s_min + i + 0.5);
    lo.push_back(tmin[i]);
    hi.push_back(tmax[i]);
    w.push_back(tmax[i] - tmin[i]);
  }
  if (ss.size() < 10) return false;
  double m_lo = 0, b_lo = 0, mad_lo = 0, m_hi = 0, b_hi = 0, mad_hi = 0;
  if (!FitLineRobust(ss, lo, m_lo, b_lo, &mad_lo) || !FitLineRobust(ss, hi, m_hi, b_hi, &mad_hi))
    return false;
  const double beam = Median(w);
  // A strip of a pixel or two has no sides to be straight (a cloud fringe's filament); a
  // small part needs a beam of 3 px for its sides to say anything.
  if (part.pixels.size() < kTrimMinPixels && beam < 3.0) return false;
  const bool use_lo = mad_lo <= mad_hi;
  // Only a part with one straight long side is a hull to trim (a cloud or shore blob is
  // not: trimming would carve a hull-like strip out of it).
  if (std::min(mad_lo, mad_hi) > 1.0) {
    Trace("trim ({:.0f},{:.0f}) L={:.0f}: no straight side (mad {:.2f} {:.2f})", p.center.x,
          p.center.y, p.length(), mad_lo, mad_hi);
    return false;
  }
  const double slack = 1.5;
  std::vector<cv::Point> kept;
  kept.reserve(part.pixels.size());
  for (const auto& q : part.pixels) {
    const cv::Point2d d(q.x + 0.5 - p.center.x, q.y + 0.5 - p.center.y);
    const double s = d.dot(p.axis), t = d.dot(n);
    const bool in = use_lo ? (t >= m_lo * s + b_lo - slack && t <= m_lo * s + b_lo + beam + slack)
                           : (t <= m_hi * s + b_hi + slack && t >= m_hi * s + b_hi - beam - slack);
    if (in) kept.push_back(q);
  }
  Trace("trim ({:.0f},{:.0f}) L={:.0f} B={:.0f}: beam {:.1f}, keeps {}/{}", p.center.x, p.center.y,
        p.length(), p.beam(), beam, kept.size(), part.pixels.size());
  if (kept.size() >= 0.75 * part.pixels.size()) part.pixels = std::move(kept);
  return true;
}

// The set pixels of a mask, in row order, shifted by `offset` (the mask's window position).
std::vector<cv::Point> MaskPixels(const cv::Mat& mask, cv::Point offset) {
  std::vector<cv::Point> pixels;
  if (cv::countNonZero(mask) > 0) cv::findNonZero(mask, pixels);
  for (auto& q : pixels) q += offset;
  return pixels;
}

// A hull whose deck is barely brighter than the water (dark paint on dark water) reaches the
// grow level only in speckle between its outline, fittings and superstructure, and its part
// fills little of its box. Averaged over k x k pixels the deck stands clear of the water's
// noise (its mean's sigma is 1/k of a pixel's): the part's pixels plus the connected pixels
// of `open` around it where that mean is above `level` (noise sigmas, like `obj`), searched
// within a quarter of the part's size around its box, are the solid hull.
Part SolidPart(const Part& part, const cv::Mat& obj, const cv::Mat& open, int k, float level) {
  if (part.pixels.size() < 3 || k < 3) return part;
  const cv::Rect box = cv::boundingRect(part.pixels);
  const int margin = std::max(k, static_cast<int>(0.25 * std::max(box.width, box.height)));
  const cv::Rect roi = (box + cv::Size(2 * margin, 2 * margin) - cv::Point(margin, margin)) &
                       cv::Rect({}, obj.size());
  cv::Mat mean;
  cv::blur(obj(roi), mean, cv::Size(k, k), cv::Point(-1, -1), cv::BORDER_REPLICATE);
  cv::Mat solid;
  cv::compare(mean, level, solid, cv::CMP_GT);
  solid &= open(roi);
  for (const auto& q : part.pixels) solid.at<uchar>(q.y - roi.y, q.x - roi.x) = 255;
  cv::Mat labels;
  const int n_labels = cv::connectedComponents(solid, labels, 8, CV_32S);
  std::vector<uchar> keep(static_cast<size_t>(n_labels), 0);
  for (const auto& q : part.pixels) {
    keep[static_cast<size_t>(labels.at<int>(q.y - roi.y, q.x - roi.x))] = 1;
  }
  Part out;
  out.origin = part.origin;
  for (int y = 0; y < roi.height; ++y) {
    const int* l = labels.ptr<int>(y);
    for (int x = 0; x < roi.width; ++x) {
      if (l[x] > 0 && keep[static_cast<size_t>(l[x])])
        out.pixels.emplace_back(x + roi.x, y + roi.y);
    }
  }
  return out;
}

// Cuts the strips narrower than 2r+1 px out of a part: a pier's shadow or wall line, a
// wake or a mooring line that joined a hull to other things. The pieces left (opened mask
// components) get back the part's pixels within r+1 px of them, so hull outlines keep their
// ends; what they take of a cut strip is a stub TrimToStrip removes.
std::vector<Part> CutThinStrips(const Part& part, int r, double min_area) {
  std::vector<Part> out;
  if (r < 1 || part.pixels.empty()) return out;
  const cv::Rect box = cv::boundingRect(part.pixels);
  const int pad = r + 2;
  cv::Mat mask = cv::Mat::zeros(box.height + 2 * pad, box.width + 2 * pad, CV_8U);
  for (const auto& q : part.pixels) mask.at<uchar>(q.y - box.y + pad, q.x - box.x + pad) = 255;
  cv::Mat core;
  cv::morphologyEx(mask, core, cv::MORPH_OPEN,
                   cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * r + 1, 2 * r + 1)));
  cv::Mat labels;
  const int n = cv::connectedComponents(core, labels, 8, CV_32S);
  if (n <= 1) return out;
  const cv::Mat grow_by =
      cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * r + 3, 2 * r + 3));
  for (int i = 1; i < n; ++i) {
    cv::Mat piece = labels == i;
    if (cv::countNonZero(piece) < min_area) continue;
    cv::dilate(piece, piece, grow_by);
    piece &= mask;
    out.push_back({MaskPixels(piece, box.tl() - cv::Point(pad, pad))});
  }
  return out;
}

// Whether a piece other than `kept` (index `skip`) is a solid block as wide as the hull
// against one of its ends: a stern superstructure whose shadow on the deck (darker than the
// water) bites into the mask and narrows it below the opening's size. Foam astern is never
// that: it is a trail narrower than the hull at the stern, ragged and widening away from it.
bool SolidBlockAtAnEnd(const Pca& kept, const std::vector<Part>& pieces, std::ptrdiff_t skip,
                       double max_gap) {
  const cv::Point2d a = kept.axis, n = Normal(kept.axis);
  const double beam = kept.beam();
  for (std::ptrdiff_t i = 0; i < static_cast<std::ptrdiff_t>(pieces.size()); ++i) {
    if (i == skip) continue;
    const std::vector<cv::Point>& px = pieces[static_cast<size_t>(i)].pixels;
    double s0 = 1e30, s1 = -1e30, t0 = 1e30, t1 = -1e30;
    for (const auto& q : px) {
      const cv::Point2d d(q.x + 0.5 - kept.center.x, q.y + 0.5 - kept.center.y);
      const double s = d.dot(a), t = d.dot(n);
      s0 = std::min(s0, s);
      s1 = std::max(s1, s);
      t0 = std::min(t0, t);
      t1 = std::max(t1, t);
    }
    const double len = s1 - s0 + 1, wid = t1 - t0 + 1;
    const double gap = s0 > 0 ? s0 - kept.s_max : kept.s_min - s1;
    const double side_tol = 0.15 * beam + 1.0;
    Trace(
        "  piece {} px: s {:.0f}..{:.0f} t {:.0f}..{:.0f} (kept s {:.0f}..{:.0f} t {:.0f}..{:.0f})",
        px.size(), s0, s1, t0, t1, kept.s_min, kept.s_max, kept.t_min, kept.t_max);
    if (gap <= max_gap && len <= 0.35 * kept.length() && wid >= 0.8 * beam &&
        t0 >= kept.t_min - side_tol && t1 <= kept.t_max + side_tol &&
        static_cast<double>(px.size()) >= 0.6 * len * wid) {
      return true;
    }
  }
  return false;
}

// An underway hull's wake trails it as foam speckle joined to its stern (or a mooring line
// to an end): the part is then far longer than the hull and too slender for one. Cutting
// off the strips and clumps narrower than a fifth of the beam (at least 2r+1 px) leaves
// the hull as one solid piece that holds most of the pixels and is clearly shorter; the
// part becomes that piece. A solid hull loses nothing and is left as it was; a faint hull
// that the grow level breaks up is not solid and is not cut; nor is a hull whose end the
// opening parted from it (SolidBlockAtAnEnd), within the gap a structure's shadow across
// the deck can span (`max_block_gap(axis)`, px along the hull's axis).
template <typename GapAlong>
void DropTrailingSpeckle(Part& part, int r, double min_area, double min_len_px,
                         const GapAlong& max_block_gap) {
  const Pca whole = ComputePca(part.pixels);
  if (whole.length() < 2 * min_len_px) return;
  r = std::max(r, static_cast<int>(std::lround(0.2 * whole.beam())));
  std::vector<Part> pieces = CutThinStrips(part, r, min_area);
  if (pieces.empty()) return;
  auto largest = std::max_element(pieces.begin(), pieces.end(), [](const Part& x, const Part& y) {
    return x.pixels.size() < y.pixels.size();
  });
  const Pca kept = ComputePca(largest->pixels);
  const double n_kept = static_cast<double>(largest->pixels.size());
  if (kept.length() >= 0.9 * whole.length() ||
      n_kept < 0.8 * static_cast<double>(part.pixels.size()) ||
      n_kept < 0.7 * kept.length() * kept.beam())
    return;
  if (SolidBlockAtAnEnd(kept, pieces, largest - pieces.begin(),
                        std::max(r + 2.0, max_block_gap(whole.axis)))) {
    Trace("part ({:.0f},{:.0f}) L={:.0f}: a solid block at an end of the hull, not speckle",
          whole.center.x, whole.center.y, whole.length());
    return;
  }
  Trace("part ({:.0f},{:.0f}) L={:.0f}: trailing speckle dropped, L={:.0f}", whole.center.x,
        whole.center.y, whole.length(), kept.length());
  part.pixels = std::move(largest->pixels);
}

// A mask with its holes filled (what the border cannot reach by flooding).
cv::Mat FilledHoles(const cv::Mat& mask) {
  cv::Mat padded;
  cv::copyMakeBorder(mask, padded, 1, 1, 1, 1, cv::BORDER_CONSTANT, 0);
  cv::Mat flood = padded.clone();
  cv::floodFill(flood, cv::Point(0, 0), 255);
  padded |= ~flood;
  return padded(cv::Rect(1, 1, mask.cols, mask.rows)).clone();
}

// Edge step of a mask placed at `origin` in `obj`: the mean of `obj` over its inner 2-px band
// (not along the map's border, where the mask is cut rather than outlined) less that over
// the 2-px band outside it. A hull's outline is sharp (the objectness drops by
// many noise sigmas across it); the contour a raised level draws through haze is not.
double OutlineStep(const cv::Mat& mask, cv::Point origin, const cv::Mat& obj) {
  static const cv::Mat k5 = cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(5, 5));
  cv::Mat padded, eroded, dilated;
  cv::copyMakeBorder(mask, padded, 3, 3, 3, 3, cv::BORDER_CONSTANT, 0);
  cv::erode(padded, eroded, k5);
  cv::dilate(padded, dilated, k5);
  double si = 0, so = 0;
  int ni = 0, no = 0;
  for (int y = 0; y < padded.rows; ++y) {
    const int wy = y - 3 + origin.y;
    if (wy < 0 || wy >= obj.rows) continue;
    const uchar* m = padded.ptr<uchar>(y);
    const uchar* e = eroded.ptr<uchar>(y);
    const uchar* d = dilated.ptr<uchar>(y);
    const float* o = obj.ptr<float>(wy);
    for (int x = 0; x < padded.cols; ++x) {
      const int wx = x - 3 + origin.x;
      if (wx < 0 || wx >= obj.cols) continue;
      if (m[x] && !e[x]) {
        // Along the map's border the mask is cut, not outlined: no step to measure there.
        if (wx < 2 || wy < 2 || wx >= obj.cols - 2 || wy >= obj.rows - 2) continue;
        si += o[wx];
        ++ni;
      } else if (!m[x] && d[x]) {
        so += o[wx];
        ++no;
      }
    }
  }
  return ni > 0 && no > 0 ? si / ni - so / no : 0.0;
}

// Hull-shaped pieces of a component at a raised threshold: thin haze or a cloud edge next
// to a hull joins it at the grow level into one shapeless component, while the hull (sharp,
// brighter or darker than the haze) stands alone a few noise levels up. Returns the
// hole-filled pieces at the lowest of the raised levels where some piece has a straight
// long side, fills its box as a hull does and has a sharp outline (objectness dropping by at
// least half the level within 2 px across it); none when no level gives one.
// With `best_level`, every level is tried and each place keeps the piece that fills its box
// best (a fringe joined to a hull's end at a low level lengthens the piece and thins its
// fill; a level up the hull stands alone).
std::vector<Part> HullPiecesAboveRaisedLevels(const std::vector<cv::Point>& component,
                                              const cv::Mat& obj, float grow_level, double min_area,
                                              double min_len_px, double max_len_px,
                                              bool best_level = false) {
  std::vector<Part> out;
  if (component.empty()) return out;
  const cv::Rect box = cv::boundingRect(component);
  cv::Mat values(box.size(), CV_32F, cv::Scalar(0));
  for (const auto& q : component) {
    values.at<float>(q.y - box.y, q.x - box.x) = obj.at<float>(q.y, q.x);
  }
  std::vector<std::pair<double, Part>> candidates;  // (fill, piece) over all levels
  for (const float factor : {1.6f, 2.5f, 4.0f, 6.4f}) {
    cv::Mat mask;
    cv::compare(values, grow_level * factor, mask, cv::CMP_GT);
    cv::Mat labels, stats, centroids;
    const int n = cv::connectedComponentsWithStats(mask, labels, stats, centroids, 8, CV_32S);
    std::vector<Part> passing;
    for (int i = 1; i < n; ++i) {
      if (stats.at<int>(i, cv::CC_STAT_AREA) < min_area) continue;
      // The piece on its own box (outside it the piece mask is empty anyway).
      const cv::Rect pb(stats.at<int>(i, cv::CC_STAT_LEFT), stats.at<int>(i, cv::CC_STAT_TOP),
                        stats.at<int>(i, cv::CC_STAT_WIDTH), stats.at<int>(i, cv::CC_STAT_HEIGHT));
      const cv::Mat piece = FilledHoles(labels(pb) == i);
      const cv::Point origin = box.tl() + pb.tl();
      Part part{MaskPixels(piece, origin)};
      const double step = OutlineStep(piece, origin, obj);
      Part trimmed = part;
      const bool straight = TrimToStrip(trimmed, kPieceMinPixels);
      const Pca p = ComputePca(trimmed.pixels);
      const double fill = static_cast<double>(trimmed.pixels.size()) / (p.length() * p.beam());
      Trace(
          "  level {:.1f}: piece ({:.0f},{:.0f}) L={:.0f} B={:.0f} straight {} fill {:.2f} step "
          "{:.1f}",
          grow_level * factor, p.center.x, p.center.y, p.length(), p.beam(), straight, fill, step);
      if (!straight || p.length() < 2.0 * min_len_px || p.length() > max_len_px) continue;
      if (fill < 0.55 || step < 0.5 * grow_level * factor) continue;
      if (best_level) {
        candidates.emplace_back(fill, std::move(part));
        continue;
      }
      passing.push_back(std::move(part));
    }
    if (!passing.empty()) {
      Trace("component ({},{}): {} hull-shaped pieces at {:.1f} sigma", box.x, box.y,
            passing.size(), grow_level * factor);
      return passing;
    }
  }
  if (best_level && !candidates.empty()) {
    std::stable_sort(candidates.begin(), candidates.end(),
                     [](const auto& a, const auto& b) { return a.first > b.first; });
    cv::Mat taken(box.size(), CV_8U, cv::Scalar(0));
    for (auto& [fill, piece] : candidates) {
      if (std::any_of(piece.pixels.begin(), piece.pixels.end(), [&](const cv::Point& q) {
            return taken.at<uchar>(q.y - box.y, q.x - box.x) != 0;
          })) {
        continue;
      }
      for (const auto& q : piece.pixels) taken.at<uchar>(q.y - box.y, q.x - box.x) = 255;
      Trace("component ({},{}): hull-shaped piece L={:.0f} fill {:.2f} kept", box.x, box.y,
            ComputePca(piece.pixels).length(), fill);
      out.push_back(std::move(piece));
    }
  }
  return out;
}

// A beam spanning fewer pixels than this is measured to no better than a pixel: its two
// edges' blurred steps overlap, and deck fittings or a dark deck shift the half level.
// UseLowResSearch (detection/lowres.h) gives up the hull fit itself below 6 px; from 6 to
// 8 px the fit works but the pixel stays (3 m, PlanetScope seed 5001, 2024-10-02: an 80 m
// hull of 13 m beam measured 6.4 px = 19.3 m wide, L/B 4.2, classed "other").
constexpr double kResolvedBeamPx = 8.0;

// `beam_slack_m`: how far the measured beam may be from the hull's either way (a pixel where
// the beam spans only a few: 3 m imagery).
std::string Classify(double length_m, double beam_m, double beam_slack_m) {
  const double ratio_lo = length_m / std::max(beam_m + beam_slack_m, 0.1);
  const double ratio_hi = length_m / std::max(beam_m - beam_slack_m, 0.1);
  const double ratio = length_m / std::max(beam_m, 0.1);
  // Tankers are slender: L/B about 5-7.5 (coastal to VLCC); 4.5 leaves room for a beam
  // overestimated by blur or a fender line, and keeps squat blobs (cloud, merged hulls) out.
  if (length_m >= 50 && ratio_hi >= 4.5 && ratio_lo <= 10.0) return "tanker";
  if (length_m >= 15 && length_m < 50 && ratio < 4.8) return "tug";
  if (length_m < 35) return "small_craft";
  return "other";
}

// Whether MaskedPercentile(values, mask, p, stride) has a sample (a finite value under the
// mask on the stride grid).
bool AnyMaskedFinite(const cv::Mat& values, const cv::Mat& mask, int stride) {
  for (int y = 0; y < values.rows; y += stride) {
    const float* v = values.ptr<float>(y);
    const uchar* m = mask.ptr<uchar>(y);
    for (int x = 0; x < values.cols; x += stride)
      if (m[x] && std::isfinite(v[x])) return true;
  }
  return false;
}

// Objectness in noise sigmas: the brightness contrast, and where a NIR band exists the
// spectral anomaly against the local water as well. The residual p - w from the local water
// spectrum w is taken orthogonal to w (a shadow on the water, p = k w, is no object) and
// whitened by the covariance of those residuals over the water (waves, glint and haze vary
// along a few spectral directions; what water does do is not an object). Paint and steel
// leave the water's subspace: water absorbs NIR, decks of any colour reflect it, so hulls
// as dark as the water in the visible still stand out.
cv::Mat ObjectContrast(const ImagingResult& img, double gsd, bool keep_scratch) {
  // Without a NIR band the spectrum is three-dimensional: the residual orthogonal to the
  // water's colour then has two degrees of freedom (a red deck as bright as the water
  // differs from it in colour alone). The NIR slot is zero in both pixel and background.
  const int nb = img.bands[3].empty() ? 3 : 4;
  if (nb == 4 && img.bands[3].size() != img.contrast.size()) return img.contrast;
  for (int b = 0; b < 3; ++b)
    if (img.bands[b].size() != img.contrast.size()) return img.contrast;
  if (cv::countNonZero(img.water) < 200) return img.contrast;
  const int stride = SampleStride(static_cast<double>(img.contrast.total()), 3e5);
  const int r = std::max(6, static_cast<int>(std::lround(60.0 / gsd)));
  const int min_count = std::max(8, (2 * r + 1) * (2 * r + 1) / 50);
  // Window-sized scratch maps kept per thread between windows (fresh ones would cost a page
  // fault per 4 KiB); a nested call on the same thread takes its own.
  struct Scratch {
    std::array<cv::Mat, 4> bg;
    cv::Mat spread;
    cv::Mat zero;  // the missing NIR band of a three-band window
    bool busy = false;
  };
  thread_local Scratch kept;
  Scratch fresh;
  Scratch& scratch = keep_scratch && !kept.busy ? kept : fresh;
  scratch.busy = true;
  struct Release {
    Scratch& s;
    ~Release() { s.busy = false; }
  } release{scratch};
  std::array<cv::Mat, 4>& bg = scratch.bg;
  // Without NIR, the water mask is the brightness near the water's level, which holds a deck as
  // bright as the water: its colour then biases the local water spectrum, lowering the deck's
  // own objectness and raising a halo round it. A second pass takes the water less what
  // stands out in colour (objectness above kColourOutlier, two pixels of blur round it), in
  // pieces no larger than a hull (a larger area is haze or a water mass the local means must
  // follow).
  if (nb == 3) {  // the NIR slot: zero in the pixel and in its background, set once
    scratch.zero.create(img.contrast.size(), CV_32F);
    scratch.zero.setTo(0);
    scratch.zero.copyTo(bg[3]);
  }
  const std::array<const cv::Mat*, 4> band{&img.bands[0], &img.bands[1], &img.bands[2],
                                           nb == 4 ? &img.bands[3] : &scratch.zero};
  const int passes = nb == 3 ? 2 : 1;
  cv::Mat water2;
  cv::Mat& spread = scratch.spread;
  for (int pass = 0; pass < passes; ++pass) {
    const cv::Mat& water = pass == 0 ? img.water : water2;
    // The local water spectrum: box means of the four bands in one pass; where a box holds too
    // little water, the window's median water (computed only when some box needs it).
    for (int b = 0; b < nb; ++b)
      if (!AnyMaskedFinite(img.bands[b], water, stride)) return img.contrast;
    const float nan = std::numeric_limits<float>::quiet_NaN();
    long long fell_back = 0;
    if (nb == 4) {
      fell_back =
          MaskedBoxMeans({&img.bands[0], &img.bands[1], &img.bands[2], &img.bands[3]}, water, r,
                         min_count, {nan, nan, nan, nan}, {&bg[0], &bg[1], &bg[2], &bg[3]});
    } else {
      fell_back = MaskedBoxMeans({&img.bands[0], &img.bands[1], &img.bands[2]}, water, r, min_count,
                                 {nan, nan, nan}, {&bg[0], &bg[1], &bg[2]});
    }
    if (fell_back > 0) {
      for (int b = 0; b < nb; ++b)
        cv::patchNaNs(bg[b], MaskedPercentile(img.bands[b], water, 50.0, stride));
    }
    const auto residual = [&](int y, int x) {
      Eigen::Vector4d w, p;
      for (int b = 0; b < 4; ++b) {
        w(b) = bg[b].at<float>(y, x);
        p(b) = band[b]->at<float>(y, x);
      }
      return detail::OrthogonalToWater(p - w, w);
    };
    // About 1e5 water samples pin a 4x4 covariance to a fraction of a percent; more only
    // cost memory traffic.
    std::vector<Eigen::Vector4d> samples;
    const int step =
        std::max(stride, static_cast<int>(std::ceil(std::sqrt(cv::countNonZero(water) / 1e5))));
    samples.reserve(static_cast<size_t>(water.rows / step + 1) * (water.cols / step + 1));
    for (int y = 0; y < water.rows; y += step) {
      const uchar* wt = water.ptr<uchar>(y);
      for (int x = 0; x < water.cols; x += step)
        if (wt[x]) samples.push_back(residual(y, x));
    }
    Eigen::Matrix4d cov;
    if (!detail::TrimmedWaterCovariance(samples, cov)) return img.contrast;
    float m[4][4];
    if (!detail::ColourWhitening(cov, nb, img.noise_sigma, m)) return img.contrast;
    spread.create(img.contrast.size(), CV_32F);
    for (int y = 0; y < spread.rows; ++y) {
      float* out = spread.ptr<float>(y);
      const uchar* v = img.valid.ptr<uchar>(y);
      const float* p0 = img.bands[0].ptr<float>(y);
      const float* p1 = img.bands[1].ptr<float>(y);
      const float* p2 = img.bands[2].ptr<float>(y);
      const float* p3 = band[3]->ptr<float>(y);
      const float* w0 = bg[0].ptr<float>(y);
      const float* w1 = bg[1].ptr<float>(y);
      const float* w2 = bg[2].ptr<float>(y);
      const float* w3 = bg[3].ptr<float>(y);
      // `residual` above, in float and free of branches and comparisons (with trapping maths
      // a comparison stops GCC's vectoriser) so that the compiler vectorises it. w = 0 gives dot =
      // 0 and k = 0; for water (|w|^2 >= 1e-4) the 1e-12 changes k by less than a float's rounding.
      for (int x = 0; x < spread.cols; ++x) {
        float r0 = p0[x] - w0[x], r1 = p1[x] - w1[x], r2 = p2[x] - w2[x], r3 = p3[x] - w3[x];
        const float nw2 = w0[x] * w0[x] + w1[x] * w1[x] + w2[x] * w2[x] + w3[x] * w3[x];
        const float dot = w0[x] * r0 + w1[x] * r1 + w2[x] * r2 + w3[x] * r3;
        const float k = dot / (nw2 + 1e-12f);
        r0 -= k * w0[x];
        r1 -= k * w1[x];
        r2 -= k * w2[x];
        r3 -= k * w3[x];
        const float z0 = m[0][0] * r0 + m[0][1] * r1 + m[0][2] * r2 + m[0][3] * r3;
        const float z1 = m[1][0] * r0 + m[1][1] * r1 + m[1][2] * r2 + m[1][3] * r3;
        const float z2 = m[2][0] * r0 + m[2][1] * r1 + m[2][2] * r2 + m[2][3] * r3;
        const float z3 = m[3][0] * r0 + m[3][1] * r1 + m[3][2] * r2 + m[3][3] * r3;
        out[x] = z0 * z0 + z1 * z1 + z2 * z2 + z3 * z3;
      }
      for (int x = 0; x < spread.cols; ++x) out[x] = v[x] ? out[x] : 0.0f;
    }
    cv::sqrt(spread, spread);
    // Water gives a chi distribution with ~nb - 1 degrees of freedom; put its median at 0 and
    // its spread on the noise-sigma scale of the brightness contrast.
    const std::vector<float> q = MaskedPercentiles(spread, water, {25.0, 50.0, 75.0}, stride);
    const float q25 = q[0], q50 = q[1], q75 = q[2];
    const float sigma = (q75 - q25) / 1.349f;
    if (!(sigma > 1e-6f) || !std::isfinite(sigma) || !std::isfinite(q50)) return img.contrast;
    // (spread - q50) / sigma in place, as OpenCV evaluates the expression (spread * a - q50 * a).
    const double a = 1.0f / sigma;
    spread.convertTo(spread, CV_32F, a, -q50 * a);
    if (pass + 1 < passes) {
      constexpr float kColourOutlier = 4.0f;
      cv::Mat outlier;
      cv::compare(spread, kColourOutlier, outlier, cv::CMP_GT);
      outlier &= img.water;
      cv::Mat labels, stats, centroids;
      const int n = cv::connectedComponentsWithStats(outlier, labels, stats, centroids, 8, CV_32S);
      const double max_area = 400.0 * 70.0 / (gsd * gsd);
      std::vector<uchar> small(static_cast<size_t>(n), 0);
      for (int i = 1; i < n; ++i) small[i] = stats.at<int>(i, cv::CC_STAT_AREA) <= max_area;
      for (int y = 0; y < outlier.rows; ++y) {
        const int* l = labels.ptr<int>(y);
        uchar* o = outlier.ptr<uchar>(y);
        for (int x = 0; x < outlier.cols; ++x) o[x] = small[l[x]] ? 255 : 0;
      }
      cv::dilate(outlier, outlier, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(5, 5)));
      water2 = img.water & ~outlier;
      if (cv::countNonZero(water2) < 200) break;
    }
  }
  cv::Mat obj;
  cv::max(img.contrast, spread, obj);
  cv::Mat closed = ~img.valid | img.land | img.cloud;
  obj.setTo(0, closed);
  if (const char* dir = std::getenv("BW_HULL_TRACE"); dir != nullptr && *dir == '/') {
    static int count = 0;
    cv::Mat o8;
    obj.convertTo(o8, CV_8U, 2.0, 128.0);
    cv::imwrite(std::string(dir) + "/obj_" + std::to_string(count++) + ".png", o8);
  }
  return obj;
}

// The ring around a part (half its beam wide, at most 20 px): how much of it is water (or
// too faint to be anything else), cloud, land, outside the valid pixels.
struct Ring {
  cv::Rect outer;  // the ring's box (clipped to the map)
  int total = 0, eligible = 0, waterish = 0, cloud = 0, invalid = 0;
  // Mostly water where enough of it is neither land nor cloud to tell.
  bool MostlyWater(double min_fraction) const {
    return !(eligible > 0.2 * total && waterish < min_fraction * eligible);
  }
};

Ring RingAround(const cv::Mat& mask, const cv::Rect& bbox, double beam_px, const ImagingResult& img,
                const cv::Mat& obj, double faint_level) {
  Ring ring;
  const cv::Size size = obj.size();
  const int rr = std::max(2, static_cast<int>(std::lround(0.5 * std::min(beam_px, 40.0))));
  ring.outer = cv::Rect(bbox.x - rr, bbox.y - rr, bbox.width + 2 * rr, bbox.height + 2 * rr) &
               cv::Rect(0, 0, size.width, size.height);
  const cv::Rect& outer = ring.outer;
  cv::Mat big = cv::Mat::zeros(outer.size(), CV_8U);
  mask.copyTo(big(cv::Rect(bbox.x - outer.x, bbox.y - outer.y, bbox.width, bbox.height)));
  cv::Mat dil;
  cv::dilate(big, dil,
             cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * rr + 1, 2 * rr + 1)));
  for (int y = 0; y < outer.height; ++y) {
    const uchar* d = dil.ptr<uchar>(y);
    const uchar* b = big.ptr<uchar>(y);
    const uchar* v = img.valid.ptr<uchar>(outer.y + y) + outer.x;
    const uchar* l = img.land.ptr<uchar>(outer.y + y) + outer.x;
    const uchar* cl = img.cloud.ptr<uchar>(outer.y + y) + outer.x;
    const uchar* wt = img.water.ptr<uchar>(outer.y + y) + outer.x;
    const float* cc = obj.ptr<float>(outer.y + y) + outer.x;
    for (int x = 0; x < outer.width; ++x) {
      if (!d[x] || b[x]) continue;
      ++ring.total;
      if (!v[x]) {
        ++ring.invalid;
        continue;
      }
      if (cl[x]) ++ring.cloud;
      if (l[x] || cl[x]) continue;
      ++ring.eligible;
      if (wt[x] || cc[x] < faint_level) ++ring.waterish;
    }
  }
  return ring;
}

}  // namespace

std::vector<HullCandidate> FindHulls(const ImagingResult& img, const HullFitOptions& options) {
  options.Check();
  const cv::Mat& c = img.contrast;
  const cv::Size size = c.size();
  const double gsd = options.gsd_m;
  std::vector<HullCandidate> result;
  if (size.area() == 0) return result;
  const cv::Mat obj = ObjectContrast(img, gsd, options.keep_scratch);

  cv::Mat open = img.valid.clone();
  open.setTo(0, img.land);
  open.setTo(0, img.cloud);
  cv::Mat grow;
  cv::compare(obj, options.grow_sigma, grow, cv::CMP_GT);
  grow &= open;
  cv::Mat open_far = open.clone();  // open water and more than the land margin off land
  // Pier edges and walls seen off-nadir lie just outside the land polygons: a margin keeps
  // them from joining hulls into one component (refinement still sees the full map).
  const int r_land = std::max(2, static_cast<int>(std::lround(2.5 / gsd)));
  if (r_land > 0 && cv::countNonZero(img.land) > 0) {
    cv::Mat near_land;
    cv::dilate(
        img.land, near_land,
        cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * r_land + 1, 2 * r_land + 1)));
    grow.setTo(0, near_land);
    open_far.setTo(0, near_land);
  }
  // Thin bridges (mooring lines, gangways, fenders) are cut by a small opening.
  const int r_open = std::clamp(static_cast<int>(std::lround(0.6 / gsd)), 0, 3);
  if (r_open > 0) {
    cv::morphologyEx(
        grow, grow, cv::MORPH_OPEN,
        cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * r_open + 1, 2 * r_open + 1)));
  }
  if (const char* dir = std::getenv("BW_HULL_TRACE"); dir != nullptr && *dir == '/') {
    static int count = 0;
    cv::imwrite(std::string(dir) + "/grow_" + std::to_string(count++) + ".png", grow);
  }
  cv::Mat labels, stats, centroids;
  const int n = cv::connectedComponentsWithStats(grow, labels, stats, centroids, 8, CV_32S);
  const double min_area =
      std::max(3.0, 0.5 * options.min_length_m * options.min_beam_m / (gsd * gsd));
  // The deck mean's box: 2.5 m, odd, at least 3 px; off where that is under 3 px (coarser
  // than ~0.8 m a deck is a few pixels across and the mean would blur its edges away).
  const int solid_k = (static_cast<int>(std::lround(options.solid_box_m / gsd)) / 2) * 2 + 1;
  const float solid_level = static_cast<float>(options.solid_level_sigma);
  const double max_len_px = options.max_length_m / gsd;
  const double min_len_px = options.min_length_m / gsd;
  const float seed_abs = static_cast<float>(options.min_seed_contrast / img.noise_sigma);
  const float seed = std::max(static_cast<float>(options.seed_sigma), seed_abs);
  // Strips up to ~3 m wide (a pier's shadow, a wake) are cut where they join a hull.
  const int r_strip = std::max(1, static_cast<int>(std::lround(1.5 / gsd)));
  std::vector<Part> all_parts;
  std::vector<std::vector<cv::Point>> components;  // hole-filled pixels of each one split

  // Hull-shaped pieces of `pix` at raised levels (HullPiecesAboveRaisedLevels), less those
  // beside cloud (a hull whose end lies in it, cut short by the raised level) or not ringed
  // by water or by what is faint beside it (haze, a quarter of its own objectness).
  const auto raised_pieces = [&](const std::vector<cv::Point>& pix, bool best_level) {
    std::vector<Part> raised =
        HullPiecesAboveRaisedLevels(pix, obj, static_cast<float>(options.grow_sigma), min_area,
                                    min_len_px, 1.3 * max_len_px, best_level);
    std::erase_if(raised, [&](const Part& piece) {
      const cv::Rect pb = cv::boundingRect(piece.pixels);
      cv::Mat m = cv::Mat::zeros(pb.size(), CV_8U);
      double sum = 0;
      for (const auto& q : piece.pixels) {
        m.at<uchar>(q.y - pb.y, q.x - pb.x) = 255;
        sum += obj.at<float>(q.y, q.x);
      }
      const double faint = std::max(static_cast<double>(options.grow_sigma),
                                    0.25 * sum / static_cast<double>(piece.pixels.size()));
      const Ring ring = RingAround(m, pb, ComputePca(piece.pixels).beam(), img, obj, faint);
      Trace("raised piece L={:.0f}: ring {} eligible {} waterish {} cloud {}",
            ComputePca(piece.pixels).length(), ring.total, ring.eligible, ring.waterish,
            ring.cloud);
      return ring.cloud > kRaisedMaxRingCloud * ring.total ||
             !ring.MostlyWater(options.min_water_ring_fraction);
    });
    return raised;
  };

  const bool any_cloud = cv::countNonZero(img.cloud) > 0;
  for (int i = 1; i < n; ++i) {
    const int area = stats.at<int>(i, cv::CC_STAT_AREA);
    const cv::Rect box(stats.at<int>(i, cv::CC_STAT_LEFT), stats.at<int>(i, cv::CC_STAT_TOP),
                       stats.at<int>(i, cv::CC_STAT_WIDTH), stats.at<int>(i, cv::CC_STAT_HEIGHT));
    if (area < min_area) continue;
    if (std::hypot(box.width, box.height) > 1.6 * max_len_px) {
      // Too large for one hull: a cloud's fringe (or a shoreline's) ringing it. A hull that
      // touches the fringe joins it at the grow level (3 m, seed 5001, 2024-07-13: a 110 m
      // hull at its berth joined the ring round a cloud beside the pier) while it stands
      // alone a few noise levels up. Beside cloud only, and without filling holes (a ring
      // round a cloud would be filled with the cloud): its hull-shaped raised-level pieces.
      std::vector<Part> raised;
      if (any_cloud) {
        const cv::Mat comp = labels(box) == i;
        cv::Mat near_cloud;
        cv::dilate(img.cloud(box), near_cloud, cv::Mat());
        if (cv::countNonZero(comp & near_cloud) > 0) {
          std::vector<cv::Point> pix;
          cv::findNonZero(comp, pix);
          for (auto& q : pix) q += box.tl();
          raised = raised_pieces(pix, true);
        }
      }
      Trace(
          "component ({},{}) {}x{} too large{}", box.x, box.y, box.width, box.height,
          raised.empty() ? "" : fmt::format(": {} hull-shaped pieces beside cloud", raised.size()));
      all_parts.insert(all_parts.end(), std::make_move_iterator(raised.begin()),
                       std::make_move_iterator(raised.end()));
      continue;
    }
    // Hole-filled component mask (deck equipment darker than the threshold stays inside).
    const cv::Mat roi_mask = FilledHoles(labels(box) == i);
    std::vector<cv::Point> pix;
    float peak = 0;
    for (int y = 0; y < box.height; ++y) {
      const uchar* m = roi_mask.ptr<uchar>(y);
      const float* cv_ = obj.ptr<float>(box.y + y) + box.x;
      for (int x = 0; x < box.width; ++x) {
        if (!m[x]) continue;
        pix.emplace_back(box.x + x, box.y + y);
        peak = std::max(peak, cv_[x]);
      }
    }
    if (peak < seed) {
      Trace("component ({},{}) {}x{} peak {:.1f} < seed", box.x, box.y, box.width, box.height,
            peak);
      continue;
    }
    std::vector<Part> parts;
    const int origin = static_cast<int>(components.size());
    // A shapeless component (far squatter than a hull) may be a hull joined at the grow level
    // to haze or a cloud fringe around one of its ends: splitting it across would leave the
    // hull with the haze along its axis, a longer and wider "hull" off its berth. Where a
    // raised level frees hull-shaped pieces with sharp outlines that leave a good part of
    // the component behind, those pieces are the parts (not retried again).
    std::vector<Part> raised;
    if (const Pca cp = ComputePca(pix);
        cp.length() < 3.0 * std::max(cp.beam(), 1.0) && cp.length() >= 2 * min_len_px) {
      raised = raised_pieces(pix, false);
      size_t kept = 0;
      for (const Part& piece : raised) kept += piece.pixels.size();
      if (kept >= kRaisedMaxShare * static_cast<double>(pix.size())) raised.clear();
      if (!raised.empty()) {
        Trace("component ({},{}) {}x{}: {} raised-level pieces keep {}/{} px", box.x, box.y,
              box.width, box.height, raised.size(), kept, pix.size());
      }
    }
    components.push_back(pix);
    if (raised.empty()) {
      SplitParts(obj, Part{std::move(pix)}, min_len_px, 0, parts);
      for (Part& part : parts) part.origin = origin;
    } else {
      parts = std::move(raised);  // hull-shaped already (origin -1: not retried)
    }
    all_parts.insert(all_parts.end(), std::make_move_iterator(parts.begin()),
                     std::make_move_iterator(parts.end()));
  }
  // A shadow across a deck (sun along the hull) cuts a hull into pieces on one axis: merge
  // a piece that lies within a long part's corridor, just past its end, no further than the
  // tallest superstructure's shadow reaches along that axis (plus a few pixels for a dark
  // band across a deck). Seed 13, 2024-06-16: with the sun 82 deg off the hull, a cloud's
  // piece 24 m past a clear hull's stern was joined to it (a 194 m "hull", 8.8 m wide).
  const double sun_norm = cv::norm(options.to_sun_px);
  const double shadow_reach_px =
      options.max_superstructure_m /
      std::tan(std::clamp(options.sun_elevation_deg, 1.0, 90.0) * std::numbers::pi / 180.0) / gsd;
  const double min_gap_px = std::max(3.0, 2.0 / gsd);
  const auto max_shadow_gap_px = [&](const cv::Point2d& axis) {
    if (!(sun_norm > 0)) return std::numeric_limits<double>::infinity();
    const double c =
        std::fabs(axis.dot(options.to_sun_px)) / std::max(sun_norm * cv::norm(axis), 1e-12);
    return min_gap_px + shadow_reach_px * c;
  };
  {
    std::vector<Pca> pcas;
    for (const auto& part : all_parts) pcas.push_back(ComputePca(part.pixels));
    std::vector<int> order(all_parts.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](int x, int y) {
      return all_parts[x].pixels.size() > all_parts[y].pixels.size();
    });
    for (int ia : order) {
      if (all_parts[ia].pixels.empty()) continue;
      for (int ib : order) {
        if (ib == ia || all_parts[ib].pixels.empty()) continue;
        const Pca& A = pcas[ia];
        if (A.length() < 2 * min_len_px || A.length() / std::max(A.beam(), 1.0) < 3) continue;
        if (all_parts[ib].pixels.size() > all_parts[ia].pixels.size()) continue;
        const cv::Point2d na = Normal(A.axis);
        bool inside = true;
        double s_lo = 1e30, s_hi = -1e30, t_lo = 1e30, t_hi = -1e30;
        for (const auto& q : all_parts[ib].pixels) {
          const cv::Point2d d(q.x + 0.5 - A.center.x, q.y + 0.5 - A.center.y);
          const double t = d.dot(na), sv = d.dot(A.axis);
          if (std::fabs(t) > 0.6 * A.beam()) {
            inside = false;
            break;
          }
          s_lo = std::min(s_lo, sv);
          s_hi = std::max(s_hi, sv);
          t_lo = std::min(t_lo, t);
          t_hi = std::max(t_hi, t);
        }
        if (!inside) continue;
        // A piece cut off by a shadow across the deck spans the hull's beam where it was cut
        // and sits on its centre line; a tug or boat moored in line is narrower or offset.
        const double a_mid = 0.5 * (A.t_min + A.t_max);
        if (t_hi - t_lo < 0.75 * A.beam() ||
            std::fabs(0.5 * (t_lo + t_hi) - a_mid) > 0.15 * A.beam()) {
          continue;
        }
        const double gap = std::max(s_lo - A.s_max, A.s_min - s_hi);
        const double total = std::max(s_hi, A.s_max) - std::min(s_lo, A.s_min);
        if (gap > 0.3 * A.length() || total * gsd > options.max_length_m) continue;
        // Two vessels moored in line: the end of one that faces the other is a bow, which
        // tapers; a shadow cuts a deck straight across its full beam on both sides. Only a
        // solid piece can be a vessel (foam astern, speckle, is joined and cut off later);
        // under cloud or haze the pieces' ends are where the cloud's texture cut them.
        const double b_fill = static_cast<double>(all_parts[ib].pixels.size()) /
                              ((s_hi - s_lo + 1) * (t_hi - t_lo + 1));
        const bool b_beyond_high = s_lo > A.s_max;
        const bool gap_clear = gap > 0 && !GapUnderCloud(img, A, b_beyond_high ? A.s_max : s_hi,
                                                         b_beyond_high ? s_lo : A.s_min);
        if (gap_clear && gap > max_shadow_gap_px(A.axis)) {
          Trace(
              "part ({:.0f},{:.0f}): piece past its end not joined, gap {:.0f} px over {:.0f} "
              "a shadow across the deck could span",
              A.center.x, A.center.y, gap, max_shadow_gap_px(A.axis));
          continue;
        }
        if (gap_clear && b_fill >= 0.6) {
          const double depth = std::max(3.0, 0.3 * A.beam());
          const double wa = EndWidth(all_parts[ia].pixels, A, b_beyond_high, depth);
          const double wb = EndWidth(all_parts[ib].pixels, A, !b_beyond_high, depth);
          if (std::min(wa, wb) < 0.7 * A.beam()) {
            Trace(
                "part ({:.0f},{:.0f}): piece past its end not joined, end widths {:.1f} {:.1f} "
                "of beam {:.1f}",
                A.center.x, A.center.y, wa, wb, A.beam());
            continue;
          }
        }
        Trace(
            "part ({:.0f},{:.0f}) L={:.0f}: joined piece past its end, {} px over s {:.0f}..{:.0f} "
            "t {:.0f}..{:.0f}, gap {:.0f}",
            A.center.x, A.center.y, A.length(), all_parts[ib].pixels.size(), s_lo, s_hi, t_lo, t_hi,
            gap);
        auto& dst = all_parts[ia].pixels;
        dst.insert(dst.end(), all_parts[ib].pixels.begin(), all_parts[ib].pixels.end());
        all_parts[ib].pixels.clear();
        pcas[ia] = ComputePca(dst);
      }
    }
  }
  {
    // A part that is no hull (too long, or filling too little of its box) may be a hull
    // joined to a thin strip (a pier's shadow line along the berth, a wake): its pieces
    // without the strips are tried once more, after the parts found directly.
    const size_t direct = all_parts.size();
    std::set<int> retried;
    for (size_t k = 0; k < all_parts.size(); ++k) {
      Part& part = all_parts[k];
      if (part.pixels.empty()) continue;
      // The retries append to all_parts, which may move `part`: they use copies of it.
      const int origin = part.origin;
      const Part before_trim = k < direct ? part : Part{};
      // A raised-level piece was judged hull-shaped on its trimmed strip (small pieces too):
      // it is trimmed alike here, or the bulge trimmed off there fails the fill test below.
      const bool straight_side = TrimToStrip(part, origin < 0 ? kPieceMinPixels : kTrimMinPixels);
      if (part.pixels.size() < min_area) continue;
      if (options.cut_wakes && k < direct) {
        DropTrailingSpeckle(part, r_strip, min_area, min_len_px, max_shadow_gap_px);
      }
      Pca p = ComputePca(part.pixels);
      // A part of a component joined to haze or a cloud edge: the component's hull-shaped
      // pieces at a raised threshold are tried instead, once per component.
      const auto retry_raised = [&]() {
        if (k >= direct || origin < 0 || retried.count(origin)) return;
        retried.insert(origin);
        std::vector<Part> pieces = HullPiecesAboveRaisedLevels(
            components[static_cast<size_t>(origin)], obj, static_cast<float>(options.grow_sigma),
            min_area, min_len_px, 1.3 * max_len_px);
        for (Part& piece : pieces) all_parts.push_back(std::move(piece));
      };
      // Only a part with a straight long side (a hull's, or the strip's along it) is cut:
      // cutting cloud fringes and shorelines would carve hull-like pieces out of them.
      const auto retry_without_strips = [&]() {
        if (k >= direct || !straight_side) {
          retry_raised();
          return;
        }
        std::vector<Part> pieces = CutThinStrips(before_trim, r_strip, min_area);
        Trace("part ({:.0f},{:.0f}) L={:.0f}: {} pieces without strips under {} px", p.center.x,
              p.center.y, p.length(), pieces.size(), 2 * r_strip + 1);
        size_t kept = 0;
        for (const Part& piece : pieces) kept += piece.pixels.size();
        // Nothing was cut off: a raised threshold may still free the hull.
        if (pieces.size() < 2 && kept > 0.95 * before_trim.pixels.size()) {
          retry_raised();
          return;
        }
        for (Part& piece : pieces) all_parts.push_back(std::move(piece));
      };
      if (p.length() < 0.7 * min_len_px || p.length() > 1.3 * max_len_px) {
        Trace("part ({:.0f},{:.0f}) L={:.0f} out of range", p.center.x, p.center.y, p.length());
        if (p.length() > 1.3 * max_len_px) retry_without_strips();
        continue;
      }
      // Hulls fill most of their oriented box; cloud fringes and shorelines do not.
      double fill = static_cast<double>(part.pixels.size()) / (p.length() * p.beam());
      if (p.length() > 6 && fill < 0.55 && solid_k >= 3) {
        // A dark deck in speckle: the solid hull, if it fills its box as a hull does.
        Part solid = SolidPart(part, obj, open_far, solid_k, solid_level);
        const Pca ps = ComputePca(solid.pixels);
        const double fill_s = static_cast<double>(solid.pixels.size()) / (ps.length() * ps.beam());
        Trace(
            "part ({:.0f},{:.0f}) L={:.0f} B={:.0f} fill {:.2f}: solid L={:.0f} B={:.0f} fill "
            "{:.2f}",
            p.center.x, p.center.y, p.length(), p.beam(), fill, ps.length(), ps.beam(), fill_s);
        if (fill_s >= options.solid_min_fill) {
          part.pixels = std::move(solid.pixels);
          p = ps;
          fill = fill_s;
        }
      }
      if (p.length() > 6 && fill < 0.55) {
        Trace("part ({:.0f},{:.0f}) L={:.0f} B={:.0f} fill {:.2f}", p.center.x, p.center.y,
              p.length(), p.beam(), fill);
        retry_without_strips();
        continue;
      }
      HullCandidate cand;
      cand.area_px = static_cast<double>(part.pixels.size());
      cand.bbox = cv::boundingRect(part.pixels);
      cand.mask = cv::Mat::zeros(cand.bbox.size(), CV_8U);
      double csum = 0, bsum = 0;
      for (const auto& q : part.pixels) {
        cand.mask.at<uchar>(q.y - cand.bbox.y, q.x - cand.bbox.x) = 255;
        csum += obj.at<float>(q.y, q.x);
        bsum += c.at<float>(q.y, q.x);
      }
      cand.mean_contrast = csum / cand.area_px;
      cand.mean_brightness_contrast = bsum / cand.area_px;
      cand.outline_step = OutlineStep(cand.mask, cand.bbox.tl(), obj);
      // The surrounding ring must be mostly water (or land polygons): rejects unmasked
      // shore, roofs, and so on.
      const Ring ring = RingAround(cand.mask, cand.bbox, p.beam(), img, obj,
                                   std::max(options.grow_sigma, 0.25 * cand.mean_contrast));
      const cv::Rect& outer = ring.outer;
      const int ring_total = ring.total, invalid = ring.invalid, cloud = ring.cloud;
      if (!ring.MostlyWater(options.min_water_ring_fraction)) {
        Trace("part ({:.0f},{:.0f}) L={:.0f} ring water {}/{}", p.center.x, p.center.y, p.length(),
              ring.waterish, ring.eligible);
        continue;
      }
      const bool touches_edge = outer.x == 0 || outer.y == 0 ||
                                outer.x + outer.width == size.width ||
                                outer.y + outer.height == size.height;
      cand.truncated = touches_edge &&
                       (cand.bbox.x <= 1 || cand.bbox.y <= 1 ||
                        cand.bbox.br().x >= size.width - 1 || cand.bbox.br().y >= size.height - 1);
      cand.truncated = cand.truncated || invalid > 0.02 * ring_total;
      // A hull ringed by water only with the haze beside it counted (faint next to the hull,
      // but above the water) lies in thin cloud: not a clear look.
      const bool in_haze = !RingAround(cand.mask, cand.bbox, p.beam(), img, obj, options.grow_sigma)
                                .MostlyWater(options.min_water_ring_fraction);
      cand.cloud_affected = cloud > options.cloud_ring_share * ring_total || in_haze;
      Trace("part ({:.0f},{:.0f}) L={:.0f}: cloud over {}/{} of the ring, in haze {}", p.center.x,
            p.center.y, p.length(), cloud, ring_total, in_haze);

      Hull hull;
      hull.center_px = p.center;
      hull.axis_px = p.axis;
      hull.length_px = p.length();
      hull.beam_px = std::max(1.0, cand.area_px / p.length());
      double psf = 0.6;
      // Refinement must stay near the component (a failed edge search can run away).
      const double mask_beam = std::max(1.0, cand.area_px / p.length());
      const auto plausible = [&](const Hull& h) {
        return h.length_px > 0.6 * p.length() && h.length_px < 1.5 * p.length() + 3 &&
               h.beam_px > 0.4 * mask_beam && h.beam_px < 2.0 * p.beam() + 3;
      };
      // Edges from the brightness contrast (the deck edge as imaged, which the cue stage
      // measures from); a hull that barely differs from the water in brightness (dark
      // paint) from the objectness map; else the component's own extents.
      Hull refined = hull;
      double edge_mad = 1e9, edge_mad2 = 1e9;
      const double end_step = options.objectness_ends ? options.min_end_step_sigma
                                                      : -std::numeric_limits<double>::infinity();
      bool deck_clear = true;
      // On open water the ends also look past a deck in its superstructure's shadow.
      const bool shaded = options.objectness_ends;
      bool edges = RefineHull(c, refined, &psf, &edge_mad, end_step, &deck_clear, shaded);
      bool ok = edges && plausible(refined);
      if (!ok && obj.data != c.data) {
        Hull second = hull;
        const bool edges2 = RefineHull(obj, second, &psf, &edge_mad2, end_step, nullptr, shaded);
        if (edges2 && plausible(second)) {
          refined = second;
          ok = true;
          edge_mad = edge_mad2;
        }
        edges = edges || edges2;
        edge_mad = std::min(edge_mad, edge_mad2);
      } else if (ok && obj.data != c.data) {
        // A dark deck barely differs from the water in brightness: its edges there wander
        // and its ends (a dark bow, a dark stern) fade, the brightness edges spanning only
        // the bright fittings. Where the objectness map (which sees the paint in NIR and
        // colour) finds the same hull with straighter edges, it gives the hull; where it
        // finds it as straight, it gives the ends, and the sides stay those of the
        // brightness map (the deck edge as imaged, which the cue stage measures from). On
        // open water (`objectness_ends`) the ends are the objectness map's also where it is
        // shorter: there a deck stands out from foam astern and a bow wave (white,
        // colourless) by its paint, where in brightness foam is as bright as many decks and
        // runs on from the stern.
        Hull second = hull;
        double psf2 = psf;
        const bool edges2 = RefineHull(obj, second, &psf2, &edge_mad2, end_step, nullptr, shaded);
        // Both axes are unit vectors (RefineHull normalises them).
        const cv::Point2d ra = refined.axis_px, sa = second.axis_px;
        const bool same_axis = std::fabs(ra.x * sa.y - ra.y * sa.x) < 0.05;
        const bool usable = edges2 && plausible(second) && same_axis;
        // Brightness edges that wander by pixels also tilt the axis fitted to them (a dark
        // deck whose bright fittings lie off its centre line): an objectness fit with edges
        // four times straighter is the better hull even where the axes disagree.
        const bool much_straighter =
            edges2 && plausible(second) && edge_mad > 1.0 && 4.0 * edge_mad2 < edge_mad;
        Trace(
            "  objectness fit L={:.1f} B={:.1f} mad {:.2f} (brightness L={:.1f} B={:.1f} mad "
            "{:.2f}), same axis {}, plausible {}",
            second.length_px, second.beam_px, edge_mad2, refined.length_px, refined.beam_px,
            edge_mad, same_axis, edges2 && plausible(second));
        if ((usable && edge_mad2 + 0.5 < edge_mad) || much_straighter) {
          Trace("hull ({:.0f},{:.0f}) from the objectness map: edge mad {:.2f} against {:.2f}",
                refined.center_px.x, refined.center_px.y, edge_mad2, edge_mad);
          // The objectness map also sees a shadow on the water (and in the gap to a pier)
          // beside a dark hull: a wider beam there is that shadow, and the sides stay those
          // of the brightness map, across the objectness axis, unless the deck does not
          // stand clear of the water in brightness (then its edges are noise).
          const double wider_px = second.beam_px - refined.beam_px;
          if (wider_px > 1.0 / gsd && usable && deck_clear) {
            const cv::Point2d n = Normal(second.axis_px);
            second.center_px += n * (refined.center_px - second.center_px).dot(n);
            second.beam_px = refined.beam_px;
            Trace("  sides from the brightness map: B {:.1f} px, not {:.1f}", refined.beam_px,
                  refined.beam_px + wider_px);
          }
          refined = second;
          psf = psf2;
          edge_mad = edge_mad2;
        } else if (usable &&
                   (options.objectness_ends || second.length_px > 1.04 * refined.length_px) &&
                   edge_mad2 <= std::max(edge_mad, 1.0) + 0.5) {
          Trace("ends ({:.0f},{:.0f}) from the objectness map: L {:.1f} -> {:.1f} px",
                refined.center_px.x, refined.center_px.y, refined.length_px, second.length_px);
          refined.center_px += ra * (second.center_px - refined.center_px).dot(ra);
          refined.length_px = second.length_px;
        }
      }
      // A hull has at least one straight long side (sub-pixel edges scatter by a fraction
      // of a pixel); cloud fringes, glint and shore blobs do not.
      if (!edges || edge_mad > 3.0) {
        Trace("part ({:.0f},{:.0f}) L={:.0f} no straight edge (mad {:.2f}, objectness {:.2f})",
              p.center.x, p.center.y, p.length(), edge_mad, edge_mad2);
        continue;
      }
      if (ok) hull = refined;
      // A side against the pier or a platform has no water outside to find its edge on and
      // can pull the measured beam in; the mask's mean width bounds it from below.
      if (hull.beam_px < 0.8 * mask_beam) hull.beam_px = mask_beam;
      spdlog::debug(
          "hulls: component at ({:.1f},{:.1f}) pca L={:.1f} B={:.1f} -> refined "
          "({:.1f},{:.1f}) L={:.1f} B={:.1f} psf={:.2f}",
          p.center.x, p.center.y, p.length(), p.beam(), hull.center_px.x, hull.center_px.y,
          hull.length_px, hull.beam_px, psf);
      double super_pos = -1;
      cand.bow_score = ResolveBow(c, img.brightness, hull, &super_pos);
      cand.superstructure_pos = super_pos;
      hull.outline_px = HullOutline(hull);
      cand.psf_sigma_px = psf;
      cand.hull = hull;
      cand.length_m = hull.length_px * gsd;
      cand.beam_m = hull.beam_px * gsd;
      if (cand.length_m < options.min_length_m || cand.length_m > options.max_length_m) continue;
      // Two edges a few pixels apart blur into one bump whose level bright fittings on the
      // centre line or a dark deck set: the half-level width is off by a pixel or two (3 m
      // imagery, PlanetScope seed 5001: 2.7 px for a 5.0 px beam and 3.4 for 5.3, too
      // slender for a tanker). A pixel of slack, either way, where the beam spans fewer
      // than kResolvedBeamPx.
      const double beam_slack_m = hull.beam_px < kResolvedBeamPx ? gsd : 0.0;
      cand.vessel_class = Classify(cand.length_m, cand.beam_m, beam_slack_m);
      Trace("hull ({:.0f},{:.0f}) L={:.1f} m B={:.1f} m class {} pca L={:.0f} B={:.0f}",
            hull.center_px.x, hull.center_px.y, cand.length_m, cand.beam_m, cand.vessel_class,
            p.length(), p.beam());
      // Deck colour over the inner hull.
      std::array<double, 3> rgb{0, 0, 0};
      int cnt = 0;
      const cv::Point2d nn = Normal(hull.axis_px);
      for (int k = 0; k < 15; ++k) {
        for (int j = -2; j <= 2; ++j) {
          const cv::Point2d q = hull.center_px +
                                hull.axis_px * (hull.length_px * (-0.35 + 0.05 * k)) +
                                nn * (hull.beam_px * 0.12 * j);
          for (int b = 0; b < 3; ++b) rgb[b] += SampleBilinear(img.bands[b], q.x, q.y);
          ++cnt;
        }
      }
      for (int b = 0; b < 3; ++b) cand.deck_rgb[b] = rgb[b] / cnt;
      // A retried piece that is a hull already found (from another part of its component).
      const bool seen =
          k >= direct && std::any_of(result.begin(), result.end(), [&](const auto& r) {
            return r.bbox.contains(
                cv::Point(static_cast<int>(hull.center_px.x), static_cast<int>(hull.center_px.y)));
          });
      if (seen) {
        Trace("part ({:.0f},{:.0f}): already found", p.center.x, p.center.y);
        continue;
      }
      result.push_back(std::move(cand));
    }
  }
  // Deterministic order: by centre (row-major).
  std::sort(result.begin(), result.end(), [](const HullCandidate& x, const HullCandidate& y) {
    if (std::fabs(x.hull.center_px.y - y.hull.center_px.y) > 1e-9)
      return x.hull.center_px.y < y.hull.center_px.y;
    return x.hull.center_px.x < y.hull.center_px.x;
  });
  return result;
}

}  // namespace bw
