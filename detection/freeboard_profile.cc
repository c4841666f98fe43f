// The station measurement: a PSF-aware two-edge profile fit (grid search with the levels
// solved linearly, then Levenberg-Marquardt over edges, blur and levels).
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

  // Channel weights for the grid search: robust noise, floored so a flat channel cannot
  // dominate.
  std::vector<double> scale(nc);
  for (int c = 0; c < nc; ++c) {
    const auto [lo, hi] = std::minmax_element(channels[c].begin(), channels[c].end());
    scale[c] = std::max(DifferenceNoise(channels[c]), 1e-3 * (*hi - *lo) + 1e-9);
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
  for (int k = 0; k < m; ++k) {
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
  double best_cost = std::numeric_limits<double>::infinity();
  int best_k1 = -1, best_k2 = -1;
  const int min_dk = std::max(1, static_cast<int>(std::ceil(options.min_width_px / step)));
  const int max_dk = static_cast<int>(std::floor(options.max_width_px / step));
  for (int k1 = 0; k1 < m1; ++k1) {
    const double* r1 = &table[static_cast<size_t>(k1) * n];
    for (int k2 = k1 + min_dk; k2 < m && k2 - k1 <= max_dk; ++k2) {
      const double* r2 = &table[static_cast<size_t>(k2) * n];
      double x12 = 0;
      for (int i = 0; i < n; ++i) x12 += r1[i] * r2[i];
      Eigen::Matrix3d g;
      g << n, sum_p[k1], sum_p[k2], sum_p[k1], sum_pp[k1], x12, sum_p[k2], x12, sum_pp[k2];
      Eigen::LDLT<Eigen::Matrix3d> ldlt(g);
      if (ldlt.info() != Eigen::Success) continue;
      double cost = 0, dark1 = 0, dark2 = 0;
      for (int c = 0; c < nc; ++c) {
        Eigen::Vector3d rhs(sum_y[c], sum_py[static_cast<size_t>(k1) * nc + c],
                            sum_py[static_cast<size_t>(k2) * nc + c]);
        const Eigen::Vector3d beta = ldlt.solve(rhs);
        cost += sum_yy[c] - rhs.dot(beta);
        dark1 += beta[1];  // middle - before
        dark2 += beta[2];  // after - middle
      }
      if (options.polarity < 0 && !(dark1 < 0 && dark2 > 0)) continue;
      if (cost < best_cost) {
        best_cost = cost;
        best_k1 = k1;
        best_k2 = k2;
      }
    }
  }
  if (best_k1 < 0) return out;

  // ---- Levenberg-Marquardt over [t1, t2, s, levels...] ----
  const int np = 3 + 3 * nc;
  const bool fit_blur = options.blur_sigma_prior_px > 0;
  const bool level_prior = options.middle_level_prior_sigma > 0 &&
                           static_cast<int>(options.middle_level_prior.size()) == nc;
  const int nr = n * nc + 1 + (level_prior ? nc : 0);
  Eigen::VectorXd p(np);
  p[0] = lo + best_k1 * step;
  p[1] = lo + best_k2 * step;
  p[2] = s0;
  std::vector<double> weight(nc);
  {
    // Initial levels and per-channel weights from the grid solution.
    std::vector<double> p1(n), p2(n);
    for (int i = 0; i < n; ++i) {
      p1[i] = Phi((t_px[i] - p[0]) / s0);
      p2[i] = Phi((t_px[i] - p[1]) / s0);
    }
    Eigen::MatrixXd b(n, 3);
    for (int i = 0; i < n; ++i) b.row(i) << 1.0, p1[i], p2[i];
    for (int c = 0; c < nc; ++c) {
      Eigen::VectorXd y = Eigen::Map<const Eigen::VectorXd>(channels[c].data(), n);
      const Eigen::Vector3d beta = b.colPivHouseholderQr().solve(y);
      p[3 + 3 * c] = beta[0];
      p[4 + 3 * c] = beta[0] + beta[1];
      p[5 + 3 * c] = beta[0] + beta[1] + beta[2];
      const double sse = (b * beta - y).squaredNorm();
      const double rms = std::sqrt(sse / std::max(1, n - 3));
      weight[c] = 1.0 / std::max(rms, scale[c] * 0.25);
    }
  }
  auto evaluate = [&](const Eigen::VectorXd& q, Eigen::VectorXd& r, Eigen::MatrixXd* jac) {
    r.resize(nr);
    if (jac) jac->setZero(nr, np);
    const double t1 = q[0], t2 = q[1], s = q[2];
    for (int i = 0; i < n; ++i) {
      const double z1 = (t_px[i] - t1) / s, z2 = (t_px[i] - t2) / s;
      const double f1 = Phi(z1), f2 = Phi(z2);
      const double g1 = SmallPhi(z1) / s, g2 = SmallPhi(z2) / s;
      for (int c = 0; c < nc; ++c) {
        const double a = q[3 + 3 * c], b = q[4 + 3 * c], d = q[5 + 3 * c];
        const double w = weight[c];
        const int row = c * n + i;
        r[row] = w * (a + (b - a) * f1 + (d - b) * f2 - channels[c][i]);
        if (jac) {
          auto& j = *jac;
          j(row, 0) = -w * (b - a) * g1;
          j(row, 1) = -w * (d - b) * g2;
          if (fit_blur) j(row, 2) = -w * ((b - a) * g1 * z1 + (d - b) * g2 * z2);
          j(row, 3 + 3 * c) = w * (1.0 - f1);
          j(row, 4 + 3 * c) = w * (f1 - f2);
          j(row, 5 + 3 * c) = w * f2;
        }
      }
    }
    const int prior_row = n * nc;
    if (fit_blur) {
      r[prior_row] = (s - s0) / options.blur_sigma_prior_px;
      if (jac) (*jac)(prior_row, 2) = 1.0 / options.blur_sigma_prior_px;
    } else {
      r[prior_row] = 0.0;
    }
    if (level_prior) {
      for (int c = 0; c < nc; ++c) {
        const double w = 1.0 / options.middle_level_prior_sigma;
        r[prior_row + 1 + c] = w * (q[4 + 3 * c] - options.middle_level_prior[c]);
        if (jac) (*jac)(prior_row + 1 + c, 4 + 3 * c) = w;
      }
    }
  };

  Eigen::VectorXd r, r_new;
  Eigen::MatrixXd jac;
  evaluate(p, r, &jac);
  double cost = r.squaredNorm();
  double lambda = 1e-3;
  for (int iter = 0; iter < 50; ++iter) {
    Eigen::MatrixXd h = jac.transpose() * jac;
    const Eigen::VectorXd grad = jac.transpose() * r;
    if (!fit_blur) h(2, 2) = 1.0;
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
      evaluate(q, r_new, nullptr);
      const double c_new = r_new.squaredNorm();
      if (c_new < cost) {
        const double rel = (cost - c_new) / std::max(cost, 1e-30);
        p = q;
        cost = c_new;
        lambda = std::max(lambda * 0.3, 1e-9);
        improved = true;
        evaluate(p, r, &jac);
        if (rel < 1e-10) iter = 1000;
      } else {
        lambda *= 10;
      }
    }
    if (!improved) break;
  }

  // Covariance (data rows scaled to unit variance by the fitted noise).
  Eigen::MatrixXd h = jac.transpose() * jac;
  if (!fit_blur) h(2, 2) = 1.0;
  const int dof = std::max(1, n * nc - np);
  double chi2 = 0;
  for (int k = 0; k < n * nc; ++k) chi2 += r[k] * r[k];
  const double s2 = std::max(1.0, chi2 / dof) * std::max(1.0, options.sample_correlation);
  Eigen::MatrixXd cov = h.ldlt().solve(Eigen::MatrixXd::Identity(np, np)) * s2;
  if (!cov.allFinite()) return out;

  out.edge1_px = p[0];
  out.edge2_px = p[1];
  out.blur_sigma_px = p[2];
  out.width_px = p[1] - p[0];
  out.edge1_sigma_px = std::sqrt(std::max(0.0, cov(0, 0)));
  out.edge2_sigma_px = std::sqrt(std::max(0.0, cov(1, 1)));
  out.width_sigma_px = std::sqrt(std::max(0.0, cov(0, 0) + cov(1, 1) - 2 * cov(0, 1)));
  out.levels.resize(nc);
  out.noise.resize(nc);
  double dark1 = 0, dark2 = 0;
  for (int c = 0; c < nc; ++c) {
    out.levels[c] = {p[3 + 3 * c], p[4 + 3 * c], p[5 + 3 * c]};
    double sse = 0;
    for (int i = 0; i < n; ++i) sse += r[c * n + i] * r[c * n + i];
    out.noise[c] = std::sqrt(sse / std::max(1, n - 3)) / weight[c];
    dark1 += p[4 + 3 * c] - p[3 + 3 * c];
    dark2 += p[5 + 3 * c] - p[4 + 3 * c];
  }
  out.ok = std::isfinite(out.width_px) && out.width_px > 0 &&
           (options.polarity >= 0 || (dark1 < 0 && dark2 > 0));
  return out;
}

}  // namespace bw
