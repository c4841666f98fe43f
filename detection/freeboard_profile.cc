// The station measurement: a PSF-aware two-edge profile fit (grid search with the levels
// solved linearly, then Levenberg-Marquardt over edges, blur and levels), with a third edge
// inside the band where a shaded hull side is seen off nadir.
#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "detection/freeboard.h"

namespace bw {
namespace {

constexpr double kInvSqrt2 = 0.70710678118654752440;
constexpr double kInvSqrt2Pi = 0.39894228040143267794;

double Phi(double z) { return 0.5 * std::erfc(-z * kInvSqrt2); }
double SmallPhi(double z) { return kInvSqrt2Pi * std::exp(-0.5 * z * z); }

// Robust noise of one channel from first differences (edges are few samples).
double DifferenceNoise(const std::vector<double>& y) {
  std::vector<double> d;
  d.reserve(y.size());
  for (size_t i = 1; i < y.size(); ++i) d.push_back(std::abs(y[i] - y[i - 1]));
  if (d.empty()) return 1.0;
  std::nth_element(d.begin(), d.begin() + d.size() / 2, d.end());
  return 1.4826 * d[d.size() / 2] / std::sqrt(2.0);
}

struct Params {
  double t1, t2, s;
  std::vector<std::array<double, 3>> levels;
};

}  // namespace

TwoEdgeFit FitTwoEdgeProfile(const std::vector<double>& t_px,
                             const std::vector<std::vector<double>>& channels,
                             const TwoEdgeFitOptions& options) {
  TwoEdgeFit out;
  const int n = static_cast<int>(t_px.size());
  const int nc = static_cast<int>(channels.size());
  if (n < 8 || nc == 0) return out;
  for (const auto& c : channels) {
    if (static_cast<int>(c.size()) != n) return out;
  }

  // With a shaded hull side seen (side_fraction r > 0) the band is two segments: the side
  // from t1 to ti = t1 + r (t2 - t1), then the shadow on the water to t2; the side's level is
  // free (hull paint in skylight may be brighter or darker than the shadowed water). The
  // one-level fit finds the shadow's outer edge but may put the deck edge anywhere on a side
  // whose tone differs from the shadow's: the side model moves the deck edge out by at most
  // the side's width and keeps the outer edge. Its extra level must not buy a band elsewhere.
  const double r_side = std::clamp(options.side_fraction, 0.0, 0.95);
  const bool with_side = r_side > 0.0;
  TwoEdgeFit plain;
  double e1_lo = -1e300, e1_hi = 1e300, e2_lo = -1e300, e2_hi = 1e300;
  if (with_side) {
    TwoEdgeFitOptions o = options;
    o.side_fraction = 0.0;
    plain = FitTwoEdgeProfile(t_px, channels, o);
    if (!plain.ok) return plain;
    e1_lo = plain.edge1_px - r_side / (1.0 - r_side) * plain.width_px - 0.25;
    e1_hi = plain.edge1_px + 0.5;
    e2_lo = plain.edge2_px - 1.0;
    e2_hi = plain.edge2_px + 1.0;
  }

  // Channel weights for the grid search: robust noise, floored so a flat channel cannot
  // dominate.
  std::vector<double> scale(nc);
  for (int c = 0; c < nc; ++c) {
    const auto [lo, hi] = std::minmax_element(channels[c].begin(), channels[c].end());
    scale[c] = std::max(DifferenceNoise(channels[c]), 1e-3 * (*hi - *lo) + 1e-9);
  }

  // A shadow is never darker than black: it removes the direct sun, not the sky's light. A
  // band only a few blur sigmas wide trades width against depth, and there the fit could
  // settle on a notch a fraction of a pixel wide and far below black (-0.23 in reflectance
  // beside water at 0.016) where the profile shows a 3 px band; a hull's freeboard then
  // hung on how many of its stations happened to resolve (pass 2 of MeasureSide needs five
  // to lend the shadow's level as a prior). The shadow level (polarity < 0) may go below
  // black (zero, or the darkest sample where a dark-object subtraction overshot) by three
  // noise sigmas and 0.01 only: a grid candidate below that is skipped, and the refinement
  // meets a stiff one-sided wall there. The lit side's band (polarity 0) stays free: the
  // floor moved its sub-pixel readings at the berths, which are judged elsewhere.
  std::vector<double> floor_level(nc);
  for (int c = 0; c < nc; ++c) {
    const double darkest = *std::min_element(channels[c].begin(), channels[c].end());
    floor_level[c] = options.polarity < 0 ? std::min(0.0, darkest) - 0.01 - 3.0 * scale[c]
                                          : -std::numeric_limits<double>::infinity();
  }

  // ---- Grid search, levels solved linearly (variable projection) ----
  const double step = std::max(0.05, options.grid_step_px);
  const double s0 = std::max(0.2, options.blur_sigma_px);
  const double lo = std::max(options.first_edge_min_px, t_px.front());
  const double hi1 = std::min(options.first_edge_max_px, t_px.back());
  const double hi2 = std::min(hi1 + options.max_width_px, t_px.back());
  if (hi1 <= lo) return out;
  const int m = static_cast<int>(std::floor((hi2 - lo) / step)) + 1;
  const int m1 = static_cast<int>(std::floor((hi1 - lo) / step)) + 1;
  if (m < 2) return out;
  // Rows the search can reach: all, or for the side model those from its deck-edge window to
  // its outer-edge window (the side's edge lies between them).
  const int k_first = with_side ? std::max(0, static_cast<int>(std::ceil((e1_lo - lo) / step))) : 0;
  const int k_last =
      with_side ? std::min(m - 1, static_cast<int>(std::floor((e2_hi - lo) / step))) : m - 1;
  // phi_table[k][i] = Phi((t_i - g_k)/s0); sums per k and per k & channel.
  std::vector<double> table(static_cast<size_t>(m) * n);
  std::vector<double> sum_p(m), sum_pp(m), sum_py(static_cast<size_t>(m) * nc);
  std::vector<double> sum_y(nc, 0.0), sum_yy(nc, 0.0);
  for (int c = 0; c < nc; ++c) {
    for (int i = 0; i < n; ++i) {
      const double y = channels[c][i] / scale[c];
      sum_y[c] += y;
      sum_yy[c] += y * y;
    }
  }
  for (int k = k_first; k <= k_last; ++k) {
    const double g = lo + k * step;
    double* row = &table[static_cast<size_t>(k) * n];
    double sp = 0, spp = 0;
    for (int i = 0; i < n; ++i) {
      row[i] = Phi((t_px[i] - g) / s0);
      sp += row[i];
      spp += row[i] * row[i];
    }
    sum_p[k] = sp;
    sum_pp[k] = spp;
    for (int c = 0; c < nc; ++c) {
      double s = 0;
      for (int i = 0; i < n; ++i) s += row[i] * channels[c][i] / scale[c];
      sum_py[static_cast<size_t>(k) * nc + c] = s;
    }
  }
  const int nl = with_side ? 4 : 3;  // levels per channel
  double best_cost = std::numeric_limits<double>::infinity();
  int best_k1 = -1, best_k2 = -1;
  const int min_dk = std::max(1, static_cast<int>(std::ceil(options.min_width_px / step)));
  const int max_dk = static_cast<int>(std::floor(options.max_width_px / step));
  for (int k1 = k_first; k1 < m1; ++k1) {
    const double* r1 = &table[static_cast<size_t>(k1) * n];
    const double g1 = lo + k1 * step;
    if (g1 < e1_lo || g1 > e1_hi) continue;
    for (int k2 = k1 + min_dk; k2 <= k_last && k2 - k1 <= max_dk; ++k2) {
      const double g2 = lo + k2 * step;
      if (g2 < e2_lo || g2 > e2_hi) continue;
      const double* r2 = &table[static_cast<size_t>(k2) * n];
      double x12 = 0;
      for (int i = 0; i < n; ++i) x12 += r1[i] * r2[i];
      const int ki = k1 + static_cast<int>(std::lround(r_side * (k2 - k1)));
      double cost = 0, dark1 = 0, dark2 = 0;
      bool below_black = false;
      if (with_side && ki > k1 && ki < k2) {
        // The side's edge on the grid (the refinement below places it exactly).
        const double* ri = &table[static_cast<size_t>(ki) * n];
        double x1i = 0, xi2 = 0;
        for (int i = 0; i < n; ++i) {
          x1i += r1[i] * ri[i];
          xi2 += ri[i] * r2[i];
        }
        Eigen::Matrix4d g;
        g << n, sum_p[k1], sum_p[ki], sum_p[k2], sum_p[k1], sum_pp[k1], x1i, x12, sum_p[ki], x1i,
            sum_pp[ki], xi2, sum_p[k2], x12, xi2, sum_pp[k2];
        Eigen::LDLT<Eigen::Matrix4d> ldlt(g);
        if (ldlt.info() != Eigen::Success) continue;
        for (int c = 0; c < nc; ++c) {
          Eigen::Vector4d rhs(sum_y[c], sum_py[static_cast<size_t>(k1) * nc + c],
                              sum_py[static_cast<size_t>(ki) * nc + c],
                              sum_py[static_cast<size_t>(k2) * nc + c]);
          const Eigen::Vector4d beta = ldlt.solve(rhs);
          cost += sum_yy[c] - rhs.dot(beta);
          dark1 += beta[1] + beta[2];  // shadow - before
          dark2 += beta[3];            // after - shadow
          below_black |= (beta[0] + beta[1] + beta[2]) * scale[c] < floor_level[c];
        }
      } else {
        Eigen::Matrix3d g;
        g << n, sum_p[k1], sum_p[k2], sum_p[k1], sum_pp[k1], x12, sum_p[k2], x12, sum_pp[k2];
        Eigen::LDLT<Eigen::Matrix3d> ldlt(g);
        if (ldlt.info() != Eigen::Success) continue;
        for (int c = 0; c < nc; ++c) {
          Eigen::Vector3d rhs(sum_y[c], sum_py[static_cast<size_t>(k1) * nc + c],
                              sum_py[static_cast<size_t>(k2) * nc + c]);
          const Eigen::Vector3d beta = ldlt.solve(rhs);
          cost += sum_yy[c] - rhs.dot(beta);
          dark1 += beta[1];  // middle - before
          dark2 += beta[2];  // after - middle
          below_black |= (beta[0] + beta[1]) * scale[c] < floor_level[c];
        }
      }
      if (below_black) continue;
      if (options.polarity < 0 && !(dark1 < 0 && dark2 > 0)) continue;
      if (cost < best_cost) {
        best_cost = cost;
        best_k1 = k1;
        best_k2 = k2;
      }
    }
  }
  if (best_k1 < 0) return with_side ? plain : out;

  // ---- Levenberg-Marquardt over [t1, t2, s, levels...] ----
  // Levels per channel c at 3 + nl c: before, (side,) middle, after.
  const int np = 3 + nl * nc;
  const int mid = nl - 2;  // index of the middle (shadow) level within a channel's levels
  const bool fit_blur = options.blur_sigma_prior_px > 0;
  const bool level_prior = options.middle_level_prior_sigma > 0 &&
                           static_cast<int>(options.middle_level_prior.size()) == nc;
  // With a side segment, a weak prior ties the side's level to the shadow's: a side much
  // narrower than the blur leaves its level undetermined and the fit must stay well posed
  // (its sigma is the channel's whole range, so a resolved side is not pulled).
  const int nr = n * nc + 1 + (level_prior ? nc : 0) + (with_side ? nc : 0) + nc;
  Eigen::VectorXd p(np);
  p[0] = lo + best_k1 * step;
  p[1] = lo + best_k2 * step;
  p[2] = s0;
  std::vector<double> weight(nc), side_tie(nc, 0.0);
  {
    // Initial levels and per-channel weights from the grid solution.
    Eigen::MatrixXd b(n, nl);
    const double ti = p[0] + r_side * (p[1] - p[0]);
    for (int i = 0; i < n; ++i) {
      const double p1 = Phi((t_px[i] - p[0]) / s0), p2 = Phi((t_px[i] - p[1]) / s0);
      if (with_side) {
        b.row(i) << 1.0, p1, Phi((t_px[i] - ti) / s0), p2;
      } else {
        b.row(i) << 1.0, p1, p2;
      }
    }
    for (int c = 0; c < nc; ++c) {
      Eigen::VectorXd y = Eigen::Map<const Eigen::VectorXd>(channels[c].data(), n);
      const Eigen::VectorXd beta = b.colPivHouseholderQr().solve(y);
      double level = 0;
      for (int l = 0; l < nl; ++l) {
        level += beta[l];
        p[3 + nl * c + l] = level;
      }
      const double sse = (b * beta - y).squaredNorm();
      const double rms = std::sqrt(sse / std::max(1, n - nl));
      weight[c] = 1.0 / std::max(rms, scale[c] * 0.25);
      const auto [lo_c, hi_c] = std::minmax_element(channels[c].begin(), channels[c].end());
      side_tie[c] = 1.0 / std::max(*hi_c - *lo_c, 1e-6);
    }
  }
  // Residuals r (weighted) and, when asked, the normal equations h = J'J and g = J'r. A row
  // touches the edges, the blur and its own channel's levels only: accumulated sparsely.
  auto evaluate = [&](const Eigen::VectorXd& q, Eigen::VectorXd& r, Eigen::MatrixXd* h,
                      Eigen::VectorXd* g) {
    r.resize(nr);
    if (h) {
      h->setZero(np, np);
      g->setZero(np);
    }
    int idx[7];
    double jv[7];
    auto accumulate = [&](int k, double res) {
      for (int x = 0; x < k; ++x) {
        (*g)[idx[x]] += jv[x] * res;
        for (int y = 0; y <= x; ++y) (*h)(idx[x], idx[y]) += jv[x] * jv[y];
      }
    };
    const double t1 = q[0], t2 = q[1], s = q[2];
    const double ti = t1 + r_side * (t2 - t1);
    for (int i = 0; i < n; ++i) {
      const double z1 = (t_px[i] - t1) / s, z2 = (t_px[i] - t2) / s, zi = (t_px[i] - ti) / s;
      const double f1 = Phi(z1), f2 = Phi(z2);
      const double g1 = SmallPhi(z1) / s, g2 = SmallPhi(z2) / s;
      const double fi = with_side ? Phi(zi) : 0.0, gi = with_side ? SmallPhi(zi) / s : 0.0;
      for (int c = 0; c < nc; ++c) {
        const int o = 3 + nl * c;
        const double a = q[o], b = with_side ? q[o + 1] : q[o + mid], m = q[o + mid],
                     d = q[o + mid + 1];
        const double w = weight[c];
        const int row = c * n + i;
        r[row] = w * (a + (b - a) * f1 + (m - b) * fi + (d - m) * f2 - channels[c][i]);
        if (h) {
          int k = 0;
          idx[k] = 0;
          jv[k++] = -w * ((b - a) * g1 + (m - b) * gi * (1.0 - r_side));
          idx[k] = 1;
          jv[k++] = -w * ((d - m) * g2 + (m - b) * gi * r_side);
          if (fit_blur) {
            idx[k] = 2;
            jv[k++] = -w * ((b - a) * g1 * z1 + (m - b) * gi * zi + (d - m) * g2 * z2);
          }
          idx[k] = o;
          jv[k++] = w * (1.0 - f1);
          if (with_side) {
            idx[k] = o + 1;
            jv[k++] = w * (f1 - fi);
            idx[k] = o + mid;
            jv[k++] = w * (fi - f2);
          } else {
            idx[k] = o + mid;
            jv[k++] = w * (f1 - f2);
          }
          idx[k] = o + mid + 1;
          jv[k++] = w * f2;
          accumulate(k, r[row]);
        }
      }
    }
    int prior_row = n * nc;
    if (fit_blur) {
      r[prior_row] = (s - s0) / options.blur_sigma_prior_px;
      if (h) {
        idx[0] = 2;
        jv[0] = 1.0 / options.blur_sigma_prior_px;
        accumulate(1, r[prior_row]);
      }
    } else {
      r[prior_row] = 0.0;
    }
    ++prior_row;
    if (level_prior) {
      for (int c = 0; c < nc; ++c) {
        const double w = 1.0 / options.middle_level_prior_sigma;
        const int o = 3 + nl * c + mid;
        r[prior_row + c] = w * (q[o] - options.middle_level_prior[c]);
        if (h) {
          idx[0] = o;
          jv[0] = w;
          accumulate(1, r[prior_row + c]);
        }
      }
      prior_row += nc;
    }
    if (with_side) {
      for (int c = 0; c < nc; ++c) {
        const int o = 3 + nl * c;
        r[prior_row + c] = side_tie[c] * (q[o + 1] - q[o + mid]);
        if (h) {
          idx[0] = o + 1;
          jv[0] = side_tie[c];
          idx[1] = o + mid;
          jv[1] = -side_tie[c];
          accumulate(2, r[prior_row + c]);
        }
      }
      prior_row += nc;
    }
    // The floor (see above), one-sided: nothing while the middle level is above it.
    for (int c = 0; c < nc; ++c) {
      const int o = 3 + nl * c + mid;
      const double w = 1.0 / std::max(0.25 * scale[c], 1e-9);
      const double below = std::min(0.0, q[o] - floor_level[c]);
      r[prior_row + c] = w * below;
      if (h && below < 0) {
        idx[0] = o;
        jv[0] = w;
        accumulate(1, r[prior_row + c]);
      }
    }
    if (h) {
      h->triangularView<Eigen::StrictlyUpper>() = h->transpose();
      if (!fit_blur) (*h)(2, 2) = 1.0;
    }
  };

  Eigen::VectorXd r, r_new, grad;
  Eigen::MatrixXd h;
  // The one-level fit as a point of this model (the side at the shadow's level), to test
  // whether the side's own level explains the profile better than the blur does.
  double cost_plain = std::numeric_limits<double>::infinity();
  if (with_side) {
    Eigen::VectorXd q(np);
    q[0] = plain.edge1_px;
    q[1] = plain.edge2_px;
    q[2] = plain.blur_sigma_px;
    for (int c = 0; c < nc; ++c) {
      const int o = 3 + nl * c;
      q[o] = plain.levels[c][0];
      q[o + 1] = q[o + 2] = plain.levels[c][1];
      q[o + 3] = plain.levels[c][2];
    }
    evaluate(q, r, nullptr, nullptr);
    cost_plain = r.squaredNorm();
  }
  evaluate(p, r, &h, &grad);
  double cost = r.squaredNorm();
  double lambda = 1e-3;
  for (int iter = 0; iter < 50; ++iter) {
    bool improved = false;
    for (int tries = 0; tries < 8 && !improved; ++tries) {
      Eigen::MatrixXd ha = h;
      for (int k = 0; k < np; ++k) ha(k, k) += lambda * std::max(h(k, k), 1e-9);
      Eigen::VectorXd delta = ha.ldlt().solve(-grad);
      if (!delta.allFinite()) {
        lambda *= 10;
        continue;
      }
      Eigen::VectorXd q = p + delta;
      q[2] = std::clamp(q[2], 0.2, 6.0);
      if (q[1] < q[0] + 0.02) q[1] = q[0] + 0.02;
      evaluate(q, r_new, nullptr, nullptr);
      const double c_new = r_new.squaredNorm();
      if (c_new < cost) {
        const double rel = (cost - c_new) / std::max(cost, 1e-30);
        p = q;
        cost = c_new;
        lambda = std::max(lambda * 0.3, 1e-9);
        improved = true;
        evaluate(p, r, &h, &grad);
        if (rel < 1e-10) iter = 1000;
      } else {
        lambda *= 10;
      }
    }
    if (!improved) break;
  }

  // Covariance (data rows scaled to unit variance by the fitted noise).
  const int dof = std::max(1, n * nc - np);
  double chi2 = 0;
  for (int k = 0; k < n * nc; ++k) chi2 += r[k] * r[k];
  const double s2 = std::max(1.0, chi2 / dof) * std::max(1.0, options.sample_correlation);
  Eigen::MatrixXd cov = h.ldlt().solve(Eigen::MatrixXd::Identity(np, np)) * s2;
  if (!cov.allFinite()) return with_side ? plain : out;
  if (with_side) {
    // Keep the side model only where its level is resolved: chi^2 must drop by more than its
    // extra levels cost (BIC, correlated samples counted once) and the edges stay in range.
    const double penalty = nc * std::log(static_cast<double>(n)) * s2;
    if (!(cost_plain - cost > penalty) || p[0] < e1_lo || p[0] > e1_hi + 0.5 ||
        p[1] < e2_lo - 0.5 || p[1] > e2_hi + 0.5) {
      return plain;
    }
  }

  out.edge1_px = p[0];
  out.edge2_px = p[1];
  out.blur_sigma_px = p[2];
  out.width_px = p[1] - p[0];
  out.edge1_sigma_px = std::sqrt(std::max(0.0, cov(0, 0)));
  out.edge2_sigma_px = std::sqrt(std::max(0.0, cov(1, 1)));
  out.width_sigma_px = std::sqrt(std::max(0.0, cov(0, 0) + cov(1, 1) - 2 * cov(0, 1)));
  out.levels.resize(nc);
  out.noise.resize(nc);
  if (with_side) out.side_levels.resize(nc);
  double dark1 = 0, dark2 = 0;
  for (int c = 0; c < nc; ++c) {
    const int o = 3 + nl * c;
    out.levels[c] = {p[o], p[o + mid], p[o + mid + 1]};
    if (with_side) out.side_levels[c] = p[o + 1];
    double sse = 0;
    for (int i = 0; i < n; ++i) sse += r[c * n + i] * r[c * n + i];
    out.noise[c] = std::sqrt(sse / std::max(1, n - nl)) / weight[c];
    dark1 += p[o + mid] - p[o];
    dark2 += p[o + mid + 1] - p[o + mid];
  }
  out.ok = std::isfinite(out.width_px) && out.width_px > 0 &&
           (options.polarity >= 0 || (dark1 < 0 && dark2 > 0));
  return out;
}

}  // namespace bw
