#include "detection/prescreen.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <vector>

namespace bw {
namespace {
constexpr int kBgCell = 16;  // background cells (pixels)
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
  const cv::Mat& seed = sample.seed;
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
  for (int b = 0; b < nb; ++b) {
    const float level = MaskedPercentile(sample.bands[b], seed, 50.0, stride);
    const cv::Mat bg = MaskedBoxMean(sample.bands[b], seed, r, min_count, level, 512, 1);
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
  return p;
}

namespace {

// Per pixel of a run of n <= kBgCell pixels under one background cell: hot (a band or the
// brightness departs from the local water by > k sigma) and cloudy (the per-band opacities
// against the water agree: cloud over water; hull paint's do not).
template <bool kNir>
void PrescreenFlags(const float* R, const float* G, const float* B, const float* N,
                    const uchar* valid, int n, const std::array<float, 4>& off,
                    const std::array<float, 4>& gain, const float* bgc,
                    const std::array<float, 4>& inv, float inv_b, float kk,
                    const std::array<float, 4>& ir, bool local, uchar* hot, uchar* cloudy) {
  for (int x = 0; x < n; ++x) {
    const float d0 = (R[x] - off[0]) * gain[0] - bgc[0];
    const float d1 = (G[x] - off[1]) * gain[1] - bgc[1];
    const float d2 = (B[x] - off[2]) * gain[2] - bgc[2];
    const float d3 = kNir ? (N[x] - off[3]) * gain[3] - bgc[3] : 0.0f;
    float m =
        std::max(std::max(std::fabs(d0) * inv[0], std::fabs(d1) * inv[1]), std::fabs(d2) * inv[2]);
    if (kNir) m = std::max(m, std::fabs(d3) * inv[3]);
    m = std::max(m, std::fabs(d0 + d1 + d2 + d3) * inv_b);
    hot[x] = local & (valid[x] != 0) & (m > kk);
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
        PrescreenFlags<true>(Rr + x0, G + x0, B + x0, N + x0, valid + x0, n, off, gain, bgc, inv,
                             inv_b, kk, ir, local, hot_flag, cloud_flag);
      } else {
        PrescreenFlags<false>(Rr + x0, G + x0, B + x0, nullptr, valid + x0, n, off, gain, bgc, inv,
                              inv_b, kk, ir, local, hot_flag, cloud_flag);
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
        // Only pieces holding marked cells of this component.
        bool any = false;
        const cv::Rect pc(piece.x / c, piece.y / c,
                          (piece.x + piece.width + c - 1) / c - piece.x / c,
                          (piece.y + piece.height + c - 1) / c - piece.y / c);
        for (int y = pc.y; y < pc.y + pc.height && !any; ++y) {
          const int* l = labels.ptr<int>(y);
          const uchar* m = marked.ptr<uchar>(y);
          for (int x = pc.x; x < pc.x + pc.width; ++x) {
            if (l[x] == cp.label && m[x]) {
              any = true;
              break;
            }
          }
        }
        if (!any) continue;
        PrescreenRegion r;
        r.own = piece;
        r.window = cv::Rect(piece.x - o.halo_px, piece.y - o.halo_px, piece.width + 2 * o.halo_px,
                            piece.height + 2 * o.halo_px) &
                   scene;
        out.push_back(r);
      }
    }
  }
  return out;
}

}  // namespace bw
