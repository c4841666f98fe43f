// Colour off the water: the residual of a pixel's spectrum against the local water's,
// orthogonal to the water's own spectrum (what a change of brightness alone, such as a
// whitecap or a veil's shading, moves along), whitened by the covariance of that residual
// over the water. Shared by the hull search's objectness map and the wide prescreen
// (detection-internal; Eigen stays out of the public headers).
#pragma once

#include <Eigen/Dense>
#include <vector>

namespace bw::detail {

// `r` less its component along `w` (the water's spectrum); `r` unchanged where `w` is ~0.
inline Eigen::Vector4d OrthogonalToWater(const Eigen::Vector4d& r, const Eigen::Vector4d& w) {
  const double nw = w.norm();
  if (!(nw > 1e-6)) return r;
  const Eigen::Vector4d u = w / nw;
  return r - u * u.dot(r);
}

// Covariance of water residuals robust to what is not water: twice, the 2 % of samples
// farthest by the current covariance's Mahalanobis distance are dropped. Needs >= 200 samples
// (returns false otherwise).
bool TrimmedWaterCovariance(const std::vector<Eigen::Vector4d>& samples, Eigen::Matrix4d& cov);

// The whitening M = diag(ev)^(-1/2) E^T of the residual covariance of `nb` bands (3 or 4; with
// 3 the fourth slot is zero): the residual lives in nb - 1 dimensions, so the null directions
// and any direction the water never varies in are regularised to half the smallest real
// variance. False for a colourless window (every band alike up to rounding: that variance
// under 1 % of `noise_sigma`).
bool ColourWhitening(const Eigen::Matrix4d& cov, int nb, double noise_sigma, float m[4][4]);

}  // namespace bw::detail
