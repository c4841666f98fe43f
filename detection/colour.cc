#include "detection/colour.h"

#include <algorithm>
#include <cmath>

namespace bw::detail {

bool TrimmedWaterCovariance(const std::vector<Eigen::Vector4d>& samples, Eigen::Matrix4d& cov) {
  if (samples.size() < 200) return false;
  cov.setZero();
  for (const auto& v : samples) cov += v * v.transpose();
  cov /= static_cast<double>(samples.size());
  std::vector<double> d2, sorted;
  for (int pass = 0; pass < 2; ++pass) {
    const Eigen::Matrix4d inv0 = (cov + 1e-10 * Eigen::Matrix4d::Identity()).inverse();
    d2.clear();
    d2.reserve(samples.size());
    for (const auto& v : samples) d2.push_back(v.dot(inv0 * v));
    sorted = d2;
    const size_t k = static_cast<size_t>(0.98 * (sorted.size() - 1));
    std::nth_element(sorted.begin(), sorted.begin() + k, sorted.end());
    const double cut = sorted[k];
    Eigen::Matrix4d c2 = Eigen::Matrix4d::Zero();
    size_t n = 0;
    for (size_t i = 0; i < samples.size(); ++i) {
      if (d2[i] > cut) continue;
      c2 += samples[i] * samples[i].transpose();
      ++n;
    }
    if (n < 100) break;
    cov = c2 / static_cast<double>(n);
  }
  return true;
}

bool ColourWhitening(const Eigen::Matrix4d& cov, int nb, double noise_sigma, float m[4][4]) {
  Eigen::SelfAdjointEigenSolver<Eigen::Matrix4d> es(cov);
  Eigen::Vector4d ev = es.eigenvalues();  // ascending; the first 5 - nb are the null ones
  if (!(std::sqrt(std::max(ev(5 - nb), 0.0)) > 0.01 * noise_sigma)) return false;
  const double floor_var = std::max(ev(5 - nb) * 0.5, 1e-12);
  for (int i = 0; i < 4; ++i) ev(i) = std::max(ev(i), floor_var);
  // z = M r: |z|^2 = r^T inv r as a sum of squares (no cancellation in single precision).
  const Eigen::Matrix4d m_d =
      ev.cwiseSqrt().cwiseInverse().asDiagonal() * es.eigenvectors().transpose();
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) m[i][j] = static_cast<float>(m_d(i, j));
  return true;
}

}  // namespace bw::detail
