#include "detection/prescreen.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "detection/colour.h"

namespace bw {
namespace {

constexpr int kBgCell = 16;  // background cells (pixels)

float Median(std::vector<float>& v) {
  const size_t k = (v.size() - 1) / 2;
  std::nth_element(v.begin(), v.begin() + k, v.end());
  return v[k];
}

float ColourLength(const std::array<std::array<float, 3>, 3>& m, const Eigen::Vector4d& r) {
  float s2 = 0;
  for (int k = 0; k < 3; ++k) {
    float z = 0;
    for (int j = 0; j < 3; ++j) z += m[k][j] * static_cast<float>(r(j));
    s2 += z * z;
  }
  return std::sqrt(s2);
}

// PrescreenParams::colour from the sample's water `seed` and local water means `bg`.
void SetColourTerm(const ImagingResult& sample, const cv::Mat& seed,
                   const std::array<cv::Mat, 4>& bg, int stride, PrescreenParams& p) {
  std::vector<Eigen::Vector4d> samples;
  const int step =
      std::max(stride, static_cast<int>(std::ceil(std::sqrt(cv::countNonZero(seed) / 1e5))));
  for (int y = 0; y < seed.rows; y += step) {
    const uchar* m = seed.ptr<uchar>(y);
    for (int x = 0; x < seed.cols; x += step) {
      if (!m[x]) continue;
      Eigen::Vector4d w = Eigen::Vector4d::Zero(), v = Eigen::Vector4d::Zero();
      for (int b = 0; b < 3; ++b) {
        w(b) = bg[b].at<float>(y, x);
        v(b) = sample.bands[b].at<float>(y, x);
      }
      if (w.allFinite() && v.allFinite()) samples.push_back(detail::OrthogonalToWater(v - w, w));
    }
  }
  Eigen::Matrix4d cov;
  float m[4][4];
  if (!detail::TrimmedWaterCovariance(samples, cov) ||
      !detail::ColourWhitening(cov, 3, sample.noise_sigma, m))
    return;
  // Four whitened directions: one is the empty NIR slot (its row weighs only that slot).
  int nir_row = 0;
  for (int i = 1; i < 4; ++i)
    if (std::fabs(m[i][3]) > std::fabs(m[nir_row][3])) nir_row = i;
  for (int i = 0, k = 0; i < 4; ++i) {
    if (i == nir_row) continue;
    for (int j = 0; j < 3; ++j) p.colour_m[k][j] = m[i][j];
    ++k;
  }
  // The water's own spread of that length (a chi with ~2 degrees of freedom): median and
  // robust sigma, as in the objectness map.
  std::vector<float> len;
  len.reserve(samples.size());
  for (const auto& v : samples) len.push_back(ColourLength(p.colour_m, v));
  auto at = [&](double q) {
    const size_t k = static_cast<size_t>(q * (len.size() - 1));
    std::nth_element(len.begin(), len.begin() + k, len.end());
    return len[k];
  };
  const float q25 = at(0.25), q50 = at(0.50), q75 = at(0.75);
  const float sigma = (q75 - q25) / 1.349f;
  if (!(sigma > 1e-6f) || !std::isfinite(sigma) || !std::isfinite(q50)) return;
  p.colour = true;
  p.colour_median = q50;
  p.colour_sigma = sigma;
  // Water is the scene's water colour too: the same length off the scene's water colour (the
  // median of the sample's water per band, not the local one), in those units, over the
  // sample's water; its 99th percentile, with half again as margin, bounds the water (green
  // land as bright as the water is not).
  Eigen::Vector4d ws = Eigen::Vector4d::Zero();
  for (int b = 0; b < 3; ++b) ws(b) = p.colour_reference[b];
  len.clear();
  for (int y = 0; y < seed.rows; y += step) {
    const uchar* m = seed.ptr<uchar>(y);
    for (int x = 0; x < seed.cols; x += step) {
      if (!m[x]) continue;
      Eigen::Vector4d v = Eigen::Vector4d::Zero();
      for (int b = 0; b < 3; ++b) v(b) = sample.bands[b].at<float>(y, x);
      if (!v.allFinite()) continue;
      const Eigen::Vector4d r = detail::OrthogonalToWater(v - ws, ws);
      len.push_back((ColourLength(p.colour_m, r) - q50) / sigma);
    }
  }
  if (len.size() >= 200) p.water_colour_cut = 1.5f * std::max(at(0.99), 1.0f);
}

// Without NDWI the sample's water is its brightness near the water's level, which holds land
// as bright as the water (green fields) and would set every statistic of the water: water is
// also of the water's hue. The angle between a pixel's spectrum and the median water's (which
// a change of brightness alone does not move) within six robust spreads of its median over
// the water, and at most 10 deg (green land is ~20 deg off blue water).
cv::Mat OfTheWatersHue(const ImagingResult& sample, const cv::Mat& seed) {
  const int stride = std::max(1, static_cast<int>(std::sqrt(seed.total() / 3e5)));
  std::array<float, 3> ref{};
  for (int b = 0; b < 3; ++b) ref[b] = MaskedPercentile(sample.bands[b], seed, 50.0, stride);
  const float nref = std::sqrt(ref[0] * ref[0] + ref[1] * ref[1] + ref[2] * ref[2]);
  if (!(nref > 1e-6f)) return seed;
  cv::Mat cosine(seed.size(), CV_32F);
  std::vector<float> angles;
  for (int y = 0; y < seed.rows; ++y) {
    const float* v0 = sample.bands[0].ptr<float>(y);
    const float* v1 = sample.bands[1].ptr<float>(y);
    const float* v2 = sample.bands[2].ptr<float>(y);
    const uchar* m = seed.ptr<uchar>(y);
    float* c = cosine.ptr<float>(y);
    for (int x = 0; x < seed.cols; ++x) {
      const float nv = std::sqrt(v0[x] * v0[x] + v1[x] * v1[x] + v2[x] * v2[x]);
      c[x] = (v0[x] * ref[0] + v1[x] * ref[1] + v2[x] * ref[2]) / (std::max(nv, 1e-9f) * nref);
      if (m[x] && y % stride == 0 && x % stride == 0 && std::isfinite(c[x]))
        angles.push_back(std::acos(std::clamp(c[x], -1.0f, 1.0f)));
    }
  }
  if (angles.size() < 200) return seed;
  const float med = Median(angles);
  for (float& a : angles) a = std::fabs(a - med);
  const float spread = 1.4826f * Median(angles);
  constexpr float kMaxRad = 10.0f * static_cast<float>(CV_PI) / 180.0f;
  const float cut = std::min(med + 6.0f * spread, kMaxRad);
  cv::Mat hue;
  cv::compare(cosine, std::cos(cut), hue, cv::CMP_GT);
  return seed & hue;
}

}  // namespace

PrescreenParams PrescreenParamsFromSample(const ImagingResult& sample,
                                          const RadiometricScale& scale, double gsd_m) {
  PrescreenParams p;
  p.scale = scale;
  p.has_nir = sample.has_nir;
  p.ndwi_threshold = sample.stats.ndwi_threshold;
  p.water_level = sample.water_level;
  p.water_tolerance = std::max(4.0f * sample.noise_sigma, 0.25f * sample.water_level);
  p.brightness_sigma = std::max(sample.noise_sigma, 1e-4f);
  p.background_radius_px = std::max(16, static_cast<int>(std::lround(60.0 / gsd_m)));
  p.water_colour = sample.stats.water_colour;
  const int nb = sample.has_nir ? 4 : 3;
  cv::Mat seed = sample.seed;
  if (!seed.empty() && !p.has_nir) seed = OfTheWatersHue(sample, seed);
  if (seed.empty() || cv::countNonZero(seed) < 1000) {
    for (int b = 0; b < nb; ++b) p.band_sigma[b] = p.brightness_sigma;
    return p;
  }
  // Water by NDWI: above the scene's split and at least half as water-like as the typical
  // water (thin cloud, whose NDWI falls towards 0, is not a background to measure against).
  if (p.has_nir && !sample.ndwi.empty()) {
    const float med = MaskedPercentile(sample.ndwi, seed, 50.0, 1);
    if (std::isfinite(med)) p.ndwi_threshold = std::max(p.ndwi_threshold, 0.5f * med);
  }
  const int r = p.background_radius_px;
  const int min_count = std::max(8, (2 * r + 1) * (2 * r + 1) / 50);
  const int stride = std::max(1, static_cast<int>(std::sqrt(seed.total() / 3e5)));
  std::vector<float> res;
  std::array<cv::Mat, 4> bgs;
  for (int b = 0; b < nb; ++b) {
    const float level = MaskedPercentile(sample.bands[b], seed, 50.0, stride);
    if (b < 3) p.colour_reference[b] = level;
    bgs[b] = MaskedBoxMean(sample.bands[b], seed, r, min_count, level, 512, 1);
    const cv::Mat& bg = bgs[b];
    res.clear();
    for (int y = 0; y < seed.rows; y += stride) {
      const float* v = sample.bands[b].ptr<float>(y);
      const float* g = bg.ptr<float>(y);
      const uchar* m = seed.ptr<uchar>(y);
      for (int x = 0; x < seed.cols; x += stride)
        if (m[x]) res.push_back(v[x] - g[x]);
    }
    const float s = MadSigma(res);
    p.band_sigma[b] = std::isfinite(s) && s > 1e-5f ? s : p.brightness_sigma;
  }
  if (!p.has_nir) SetColourTerm(sample, seed, bgs, stride, p);
  return p;
}

namespace {

// Per pixel of a run of n <= kBgCell pixels under one background cell: hot (a band or the
// brightness departs from the local water by > k sigma) and cloudy (the per-band opacities
// against the water agree: cloud over water; hull paint's do not).
// Without NIR (kColour) also the colour term: the residual less its component along the
// local water `bgc`, whitened by `m`, hot where its squared length exceeds `cut2`.
struct ColourCut {
  std::array<std::array<float, 3>, 3> m{};
  float cut2 = 0.0f;
};

// |M r|^2 of the reflectance residual d = (d0, d1, d2) less its component along the water
// spectrum `w` (inv_w2 = 1 / |w|^2): the whitened colour residual's squared length. Branch-free
// so that the per-pixel loops calling it vectorise.
inline float WhitenedColour2(const std::array<std::array<float, 3>, 3>& m, float d0, float d1,
                             float d2, const float* w, float inv_w2) {
  const float k = (d0 * w[0] + d1 * w[1] + d2 * w[2]) * inv_w2;
  const float r0 = d0 - k * w[0], r1 = d1 - k * w[1], r2 = d2 - k * w[2];
  const float z0 = m[0][0] * r0 + m[0][1] * r1 + m[0][2] * r2;
  const float z1 = m[1][0] * r0 + m[1][1] * r1 + m[1][2] * r2;
  const float z2 = m[2][0] * r0 + m[2][1] * r1 + m[2][2] * r2;
  return z0 * z0 + z1 * z1 + z2 * z2;
}

template <bool kNir, bool kColour>
void PrescreenFlags(const float* R, const float* G, const float* B, const float* N,
                    const uchar* valid, int n, const std::array<float, 4>& off,
                    const std::array<float, 4>& gain, const float* bgc,
                    const std::array<float, 4>& inv, float inv_b, float kk,
                    const std::array<float, 4>& ir, const ColourCut& cc, bool local, uchar* hot,
                    uchar* cloudy) {
  const float inv_w2 = 1.0f / (bgc[0] * bgc[0] + bgc[1] * bgc[1] + bgc[2] * bgc[2] + 1e-12f);
  for (int x = 0; x < n; ++x) {
    const float d0 = (R[x] - off[0]) * gain[0] - bgc[0];
    const float d1 = (G[x] - off[1]) * gain[1] - bgc[1];
    const float d2 = (B[x] - off[2]) * gain[2] - bgc[2];
    const float d3 = kNir ? (N[x] - off[3]) * gain[3] - bgc[3] : 0.0f;
    float m =
        std::max(std::max(std::fabs(d0) * inv[0], std::fabs(d1) * inv[1]), std::fabs(d2) * inv[2]);
    if (kNir) m = std::max(m, std::fabs(d3) * inv[3]);
    m = std::max(m, std::fabs(d0 + d1 + d2 + d3) * inv_b);
    bool out = m > kk;
    if (kColour) out |= WhitenedColour2(cc.m, d0, d1, d2, bgc, inv_w2) > cc.cut2;
    hot[x] = local & (valid[x] != 0) & out;
    const float a0 = d0 * ir[0], a1 = d1 * ir[1], a2 = d2 * ir[2], a3 = kNir ? d3 * ir[3] : a2;
    const float amin = std::min(std::min(a0, a1), std::min(a2, a3));
    const float amax = std::max(std::max(a0, a1), std::max(a2, a3));
    const float amean = kNir ? 0.25f * (a0 + a1 + a2 + a3) : (a0 + a1 + a2) * (1.0f / 3.0f);
    cloudy[x] = (valid[x] != 0) & (amean >= 0.03f) & CloudOpacitiesAgree(amin, amax, amean);
  }
}

}  // namespace

void PrescreenWindow(const WindowPixels& px, const PrescreenParams& p, cv::Mat& hot,
                     cv::Mat& cloudy, long long& valid_count, long long& cloud_count) {
  const int w = px.bands[0].cols, h = px.bands[0].rows;
  const bool nir = p.has_nir && px.has_nir();
  const int nb = nir ? 4 : 3;
  const int cw = (w + kBgCell - 1) / kBgCell, ch = (h + kBgCell - 1) / kBgCell;
  hot.create((h + kPrescreenCell - 1) / kPrescreenCell, (w + kPrescreenCell - 1) / kPrescreenCell,
             CV_8U);
  hot.setTo(0);
  cloudy.create(hot.size(), CV_8U);
  cloudy.setTo(0);
  const std::array<float, 4>& off = p.scale.offset;
  const std::array<float, 4>& gain = p.scale.gain;
  const float t = p.ndwi_threshold;
  const float lo = p.water_level - p.water_tolerance, hi = p.water_level + p.water_tolerance;
  // Without NIR, colour: a hot pixel's cut, and the water's (off the scene's water colour
  // `wc`: the part of d - wc orthogonal to wc is that of d).
  const bool colour = !nir && p.colour;
  ColourCut cc;
  const std::array<float, 3>& wc = p.colour_reference;
  const float inv_wc2 = 1.0f / (wc[0] * wc[0] + wc[1] * wc[1] + wc[2] * wc[2] + 1e-12f);
  float water_cut2 = 0.0f;
  if (colour) {
    cc.m = p.colour_m;
    const float cut = p.colour_median + p.k_sigma * p.colour_sigma;
    cc.cut2 = cut * cut;
    const float wcut = p.colour_median + p.water_colour_cut * p.colour_sigma;
    water_cut2 = wcut * wcut;
  }
  // 1. Water sums (digital numbers) per background cell: integral over cells afterwards.
  //    Layout: per cell nb sums then the count.
  const int stride = nb + 1;
  thread_local std::vector<double> cell;
  cell.assign(static_cast<size_t>(cw) * ch * stride, 0.0);
  thread_local std::vector<uchar> water_row;
  water_row.resize(w);
  long long valid_n = 0, cloud_n = 0;
  for (int y = 0; y < h; ++y) {
    const uchar* valid = px.valid.ptr<uchar>(y);
    const float* R = px.bands[0].ptr<float>(y);
    const float* G = px.bands[1].ptr<float>(y);
    const float* B = px.bands[2].ptr<float>(y);
    const float* N = nir ? px.bands[3].ptr<float>(y) : nullptr;
    uchar* wr = water_row.data();
    if (nir) {
      for (int x = 0; x < w; ++x) {
        const float g = (G[x] - off[1]) * gain[1], n = (N[x] - off[3]) * gain[3];
        wr[x] = (valid[x] != 0) & ((g - n) > t * std::max(g + n, 1e-4f));
      }
    } else if (colour) {
      for (int x = 0; x < w; ++x) {
        const float d0 = (R[x] - off[0]) * gain[0], d1 = (G[x] - off[1]) * gain[1],
                    d2 = (B[x] - off[2]) * gain[2];
        const float br = (d0 + d1 + d2) * (1.0f / 3.0f);
        wr[x] = (valid[x] != 0) & (br > lo) & (br < hi) &
                (WhitenedColour2(cc.m, d0, d1, d2, wc.data(), inv_wc2) < water_cut2);
      }
    } else {
      for (int x = 0; x < w; ++x) {
        const float br =
            ((R[x] - off[0]) * gain[0] + (G[x] - off[1]) * gain[1] + (B[x] - off[2]) * gain[2]) *
            (1.0f / 3.0f);
        wr[x] = (valid[x] != 0) & (br > lo) & (br < hi);
      }
    }
    double* crow = cell.data() + static_cast<size_t>(y / kBgCell) * cw * stride;
    for (int cx = 0; cx < cw; ++cx) {
      const int x0 = cx * kBgCell, x1 = std::min(w, x0 + kBgCell);
      float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      int c = 0, v = 0;
      for (int x = x0; x < x1; ++x) {
        const float m = wr[x];
        s0 += m * R[x];
        s1 += m * G[x];
        s2 += m * B[x];
        if (nir) s3 += m * N[x];
        c += wr[x];
        v += valid[x] != 0;
      }
      double* cc = crow + cx * stride;
      cc[0] += s0;
      cc[1] += s1;
      cc[2] += s2;
      if (nir) cc[3] += s3;
      cc[nb] += c;
      valid_n += v;
    }
  }
  // 2. Background per cell: water mean (reflectance) over a box of cells, clipped.
  const int R = std::max(1, (p.background_radius_px + kBgCell / 2) / kBgCell);
  const int min_count = std::max(8, (2 * R + 1) * (2 * R + 1) * kBgCell * kBgCell / 50);
  thread_local std::vector<double> integ;
  const int iw = cw + 1;
  integ.assign(static_cast<size_t>(ch + 1) * iw * stride, 0.0);
  for (int cy = 0; cy < ch; ++cy) {
    for (int cx = 0; cx < cw; ++cx) {
      const double* src = cell.data() + (static_cast<size_t>(cy) * cw + cx) * stride;
      double* dst = integ.data() + (static_cast<size_t>(cy + 1) * iw + cx + 1) * stride;
      const double* up = integ.data() + (static_cast<size_t>(cy) * iw + cx + 1) * stride;
      const double* left = integ.data() + (static_cast<size_t>(cy + 1) * iw + cx) * stride;
      const double* ul = integ.data() + (static_cast<size_t>(cy) * iw + cx) * stride;
      for (int k = 0; k < stride; ++k) dst[k] = src[k] + up[k] + left[k] - ul[k];
    }
  }
  // bg[cell] = nb reflectances, NaN-free; has_bg per cell.
  thread_local std::vector<float> bg;
  thread_local std::vector<uchar> has_bg;
  bg.assign(static_cast<size_t>(cw) * ch * 4, 0.0f);
  has_bg.assign(static_cast<size_t>(cw) * ch, 0);
  for (int cy = 0; cy < ch; ++cy) {
    const int y0 = std::max(0, cy - R), y1 = std::min(ch, cy + R + 1);
    for (int cx = 0; cx < cw; ++cx) {
      const int x0 = std::max(0, cx - R), x1 = std::min(cw, cx + R + 1);
      auto at = [&](int yy, int xx) {
        return integ.data() + (static_cast<size_t>(yy) * iw + xx) * stride;
      };
      const double* a = at(y1, x1);
      const double* b = at(y0, x1);
      const double* c = at(y1, x0);
      const double* d = at(y0, x0);
      const double n = a[nb] - b[nb] - c[nb] + d[nb];
      if (n < min_count) continue;
      has_bg[static_cast<size_t>(cy) * cw + cx] = 1;
      float* o = bg.data() + (static_cast<size_t>(cy) * cw + cx) * 4;
      for (int k = 0; k < nb; ++k)
        o[k] = static_cast<float>(((a[k] - b[k] - c[k] + d[k]) / n - off[k]) * gain[k]);
    }
  }
  // 3. Hot pixels: a band or the brightness departs from the local water by > k sigma.
  std::array<float, 4> inv{};
  for (int k = 0; k < nb; ++k) inv[k] = 1.0f / std::max(p.band_sigma[k], 1e-5f);
  const float inv_b = 1.0f / (std::max(p.brightness_sigma, 1e-5f) * nb);
  const float kk = p.k_sigma;
  for (int y = 0; y < h; ++y) {
    const uchar* valid = px.valid.ptr<uchar>(y);
    const float* Rr = px.bands[0].ptr<float>(y);
    const float* G = px.bands[1].ptr<float>(y);
    const float* B = px.bands[2].ptr<float>(y);
    const float* N = nir ? px.bands[3].ptr<float>(y) : nullptr;
    uchar* hrow = hot.ptr<uchar>(y / kPrescreenCell);
    const int cy = y / kBgCell;
    for (int cx = 0; cx < cw; ++cx) {
      const size_t ci = static_cast<size_t>(cy) * cw + cx;
      const int x0 = cx * kBgCell, x1 = std::min(w, x0 + kBgCell);
      // Water under a possible cloud: the local background, else the scene's water.
      const bool local = has_bg[ci] != 0;
      const float* bgc = local ? bg.data() + ci * 4 : p.water_colour.data();
      std::array<float, 4> ir{};
      for (int k = 0; k < nb; ++k) ir[k] = 1.0f / std::max(p.cloud_reflectance - bgc[k], 0.05f);
      uchar* crow_c = cloudy.ptr<uchar>(y / kPrescreenCell);
      // Flags of the cell's pixels first (a loop the compiler can vectorise), then the counts
      // per 8 px output cell.
      uchar hot_flag[kBgCell], cloud_flag[kBgCell];
      const int n = x1 - x0;
      if (nir) {
        PrescreenFlags<true, false>(Rr + x0, G + x0, B + x0, N + x0, valid + x0, n, off, gain, bgc,
                                    inv, inv_b, kk, ir, cc, local, hot_flag, cloud_flag);
      } else if (colour) {
        PrescreenFlags<false, true>(Rr + x0, G + x0, B + x0, nullptr, valid + x0, n, off, gain, bgc,
                                    inv, inv_b, kk, ir, cc, local, hot_flag, cloud_flag);
      } else {
        PrescreenFlags<false, false>(Rr + x0, G + x0, B + x0, nullptr, valid + x0, n, off, gain,
                                     bgc, inv, inv_b, kk, ir, cc, local, hot_flag, cloud_flag);
      }
      for (int i = 0; i < n; ++i) {
        hrow[(x0 + i) / kPrescreenCell] += hot_flag[i];
        crow_c[(x0 + i) / kPrescreenCell] += cloud_flag[i];
        cloud_n += cloud_flag[i];
      }
    }
  }
  valid_count += valid_n;
  cloud_count += cloud_n;
}

std::vector<PrescreenRegion> PlanRegions(const cv::Mat& hot_cells, const cv::Mat& cloudy_cells,
                                         int width, int height, const RegionPlanOptions& o) {
  std::vector<PrescreenRegion> out;
  if (hot_cells.empty()) return out;
  cv::Mat marked;
  cv::compare(hot_cells, o.min_hot_per_cell, marked, cv::CMP_GE);
  if (!cloudy_cells.empty()) {
    constexpr int kCellPx = kPrescreenCell * kPrescreenCell;
    cv::Mat cloudy, fringe;
    cv::compare(cloudy_cells, kCellPx / 2, cloudy, cv::CMP_GE);
    // A cloud's soft edge: cells with some cloudy pixels, connected to the cloud.
    cv::compare(cloudy_cells, kCellPx / 8, fringe, cv::CMP_GE);
    const int r = std::max(1, o.cloud_core_radius);
    cv::Mat core;
    cv::morphologyEx(cloudy, core, cv::MORPH_OPEN,
                     cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * r + 1, 2 * r + 1)));
    if (cv::countNonZero(core) > 0) {
      // Cloud: fringe components that hold a core cell.
      cv::Mat lab;
      const int nc = cv::connectedComponents(fringe, lab, 8, CV_32S);
      std::vector<uchar> keep(nc, 0);
      for (int y = 0; y < lab.rows; ++y) {
        const int* l = lab.ptr<int>(y);
        const uchar* k = core.ptr<uchar>(y);
        for (int x = 0; x < lab.cols; ++x)
          if (k[x]) keep[l[x]] = 1;
      }
      keep[0] = 0;
      for (int y = 0; y < lab.rows; ++y) {
        const int* l = lab.ptr<int>(y);
        uchar* m = marked.ptr<uchar>(y);
        for (int x = 0; x < lab.cols; ++x)
          if (keep[l[x]]) m[x] = 0;
      }
    }
  }
  cv::Mat grown;
  cv::dilate(marked, grown, cv::Mat());  // bridges one-cell gaps along a hull
  cv::Mat labels, stats, centroids;
  const int n = cv::connectedComponentsWithStats(grown, labels, stats, centroids, 8, CV_32S);
  std::vector<long long> total(n, 0);
  for (int y = 0; y < labels.rows; ++y) {
    const int* l = labels.ptr<int>(y);
    const uchar* hc = hot_cells.ptr<uchar>(y);
    for (int x = 0; x < labels.cols; ++x) total[l[x]] += hc[x];
  }
  const cv::Rect scene(0, 0, width, height);
  constexpr int c = kPrescreenCell;
  struct Comp {
    cv::Rect box;  // cells
    int label;
  };
  std::vector<Comp> comps;
  for (int i = 1; i < n; ++i) {
    if (total[i] < o.min_hot_total) continue;
    comps.push_back(
        {cv::Rect(stats.at<int>(i, cv::CC_STAT_LEFT), stats.at<int>(i, cv::CC_STAT_TOP),
                  stats.at<int>(i, cv::CC_STAT_WIDTH), stats.at<int>(i, cv::CC_STAT_HEIGHT)),
         i});
  }
  // Raster order of the boxes: independent of how the labelling numbered them.
  std::sort(comps.begin(), comps.end(), [](const Comp& a, const Comp& b) {
    return a.box.y != b.box.y ? a.box.y < b.box.y : a.box.x < b.box.x;
  });
  for (const Comp& cp : comps) {
    const cv::Rect px(cp.box.x * c, cp.box.y * c, cp.box.width * c, cp.box.height * c);
    const cv::Rect box = px & scene;
    if (std::hypot(box.width, box.height) <= o.max_region_px) {
      PrescreenRegion r;
      r.own = cv::Rect(box.x - c, box.y - c, box.width + 2 * c, box.height + 2 * c) & scene;
      r.window = cv::Rect(box.x - o.context_px, box.y - o.context_px, box.width + 2 * o.context_px,
                          box.height + 2 * o.context_px) &
                 scene;
      out.push_back(r);
      continue;
    }
    const int p = std::max(64, o.piece_px);
    for (int gy = box.y / p; gy * p < box.y + box.height; ++gy) {
      for (int gx = box.x / p; gx * p < box.x + box.width; ++gx) {
        const cv::Rect piece = cv::Rect(gx * p, gy * p, p, p) & box;
        if (piece.area() == 0) continue;
        // Only pieces holding marked cells of this component. A piece owns the box of those
        // cells widened by own_margin_px, not the whole piece: a hull's centre lies among its
        // hot cells, and a coast or cloud edge crossing a corner of a piece would otherwise
        // have the whole piece and its halo imaged (on the 12k bench scene 36.7 % of the
        // scene was imaged, 32.0 % with the box).
        int x0 = 1 << 30, y0 = 1 << 30, x1 = -1, y1 = -1;
        const cv::Rect pc(piece.x / c, piece.y / c,
                          (piece.x + piece.width + c - 1) / c - piece.x / c,
                          (piece.y + piece.height + c - 1) / c - piece.y / c);
        for (int y = pc.y; y < pc.y + pc.height; ++y) {
          const int* l = labels.ptr<int>(y);
          const uchar* m = marked.ptr<uchar>(y);
          for (int x = pc.x; x < pc.x + pc.width; ++x) {
            if (l[x] == cp.label && m[x]) {
              x0 = std::min(x0, x);
              x1 = std::max(x1, x);
              y0 = std::min(y0, y);
              y1 = std::max(y1, y);
            }
          }
        }
        if (x1 < 0) continue;
        PrescreenRegion r;
        const int mg = std::max(0, o.own_margin_px);
        r.own = cv::Rect(x0 * c - mg, y0 * c - mg, (x1 - x0 + 1) * c + 2 * mg,
                         (y1 - y0 + 1) * c + 2 * mg) &
                piece;
        r.window = cv::Rect(r.own.x - o.halo_px, r.own.y - o.halo_px, r.own.width + 2 * o.halo_px,
                            r.own.height + 2 * o.halo_px) &
                   scene;
        out.push_back(r);
      }
    }
  }
  return out;
}

}  // namespace bw
