#include "imaging/imaging.h"

#include <spdlog/spdlog.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "geo/error.h"

namespace bw {

void ImagingOptions::Check() const {
  auto fail = [](const std::string& what) { throw InputError("imaging", "", what); };
  if (!(gsd_m > 0) || gsd_m > 1000) fail("gsd_m must be in (0, 1000]");
  if (!(background_radius_m > 0)) fail("background_radius_m must be > 0");
  if (!(contrast_sigma > 0)) fail("contrast_sigma must be > 0");
  if (tile_size < 32) fail("tile_size must be >= 32");
  if (threads < 0) fail("threads must be >= 0");
}

void ForEachTile(int width, int height, int tile_size, int halo, int threads,
                 const std::function<void(const cv::Rect& core, const cv::Rect& padded)>& fn) {
  if (width <= 0 || height <= 0) return;
  const int nx = (width + tile_size - 1) / tile_size;
  const int ny = (height + tile_size - 1) / tile_size;
  const cv::Rect image(0, 0, width, height);
  auto body = [&](const tbb::blocked_range<int>& range) {
    for (int t = range.begin(); t != range.end(); ++t) {
      const int tx = t % nx, ty = t / nx;
      cv::Rect core(tx * tile_size, ty * tile_size, tile_size, tile_size);
      core &= image;
      cv::Rect padded(core.x - halo, core.y - halo, core.width + 2 * halo, core.height + 2 * halo);
      padded &= image;
      fn(core, padded);
    }
  };
  const int n = nx * ny;
  if (n == 1 || threads == 1) {
    body(tbb::blocked_range<int>(0, n));
    return;
  }
  if (threads > 0) {
    tbb::task_arena arena(threads);
    arena.execute([&] { tbb::parallel_for(tbb::blocked_range<int>(0, n, 1), body); });
  } else {
    tbb::parallel_for(tbb::blocked_range<int>(0, n, 1), body);
  }
}

cv::Mat MaskedBoxMean(const cv::Mat& values, const cv::Mat& mask, int radius, int min_count,
                      float fallback, int tile_size, int threads) {
  CV_Assert(values.type() == CV_32F && mask.type() == CV_8U && values.size() == mask.size());
  cv::Mat out(values.size(), CV_32F);
  const int w = values.cols, h = values.rows;
  tile_size = std::max(tile_size, 2 * radius);
  ForEachTile(w, h, tile_size, radius, threads, [&](const cv::Rect& core, const cv::Rect& pad) {
    // Integral images (double sums, int counts) of the padded tile; (pw+1) x (ph+1).
    const int pw = pad.width, ph = pad.height;
    std::vector<double> sum((pw + 1) * static_cast<size_t>(ph + 1), 0.0);
    std::vector<int> cnt((pw + 1) * static_cast<size_t>(ph + 1), 0);
    for (int y = 0; y < ph; ++y) {
      const float* v = values.ptr<float>(pad.y + y) + pad.x;
      const uchar* m = mask.ptr<uchar>(pad.y + y) + pad.x;
      double row_sum = 0.0;
      int row_cnt = 0;
      double* s_prev = &sum[y * static_cast<size_t>(pw + 1)];
      double* s_cur = s_prev + (pw + 1);
      int* c_prev = &cnt[y * static_cast<size_t>(pw + 1)];
      int* c_cur = c_prev + (pw + 1);
      for (int x = 0; x < pw; ++x) {
        if (m[x]) {
          row_sum += v[x];
          ++row_cnt;
        }
        s_cur[x + 1] = s_prev[x + 1] + row_sum;
        c_cur[x + 1] = c_prev[x + 1] + row_cnt;
      }
    }
    for (int y = core.y; y < core.y + core.height; ++y) {
      const int y0 = std::max(y - radius, 0) - pad.y;
      const int y1 = std::min(y + radius + 1, h) - pad.y;
      float* o = out.ptr<float>(y);
      const double* sa = &sum[y0 * static_cast<size_t>(pw + 1)];
      const double* sb = &sum[y1 * static_cast<size_t>(pw + 1)];
      const int* ca = &cnt[y0 * static_cast<size_t>(pw + 1)];
      const int* cb = &cnt[y1 * static_cast<size_t>(pw + 1)];
      for (int x = core.x; x < core.x + core.width; ++x) {
        const int x0 = std::max(x - radius, 0) - pad.x;
        const int x1 = std::min(x + radius + 1, w) - pad.x;
        const int c = cb[x1] - cb[x0] - ca[x1] + ca[x0];
        if (c < min_count || c <= 0) {
          o[x] = fallback;
        } else {
          const double s = sb[x1] - sb[x0] - sa[x1] + sa[x0];
          o[x] = static_cast<float>(s / c);
        }
      }
    }
  });
  return out;
}

float MaskedPercentile(const cv::Mat& values, const cv::Mat& mask, double percentile, int stride) {
  CV_Assert(values.type() == CV_32F);
  std::vector<float> samples;
  stride = std::max(stride, 1);
  samples.reserve(static_cast<size_t>(values.total() / (stride * stride) + 1));
  for (int y = 0; y < values.rows; y += stride) {
    const float* v = values.ptr<float>(y);
    const uchar* m = mask.empty() ? nullptr : mask.ptr<uchar>(y);
    for (int x = 0; x < values.cols; x += stride) {
      if ((m == nullptr || m[x]) && std::isfinite(v[x])) samples.push_back(v[x]);
    }
  }
  if (samples.empty()) return std::numeric_limits<float>::quiet_NaN();
  const double q = std::clamp(percentile, 0.0, 100.0) / 100.0;
  const size_t k =
      std::min(samples.size() - 1, static_cast<size_t>(q * (samples.size() - 1) + 0.5));
  std::nth_element(samples.begin(), samples.begin() + k, samples.end());
  return samples[k];
}

float OtsuThreshold(const cv::Mat& values, const cv::Mat& mask) {
  const int stride = std::max(1, static_cast<int>(std::sqrt(values.total() / 1.0e6)));
  const float lo = MaskedPercentile(values, mask, 1.0, stride);
  const float hi = MaskedPercentile(values, mask, 99.0, stride);
  if (!std::isfinite(lo) || !(hi > lo)) return lo;
  constexpr int kBins = 256;
  std::array<double, kBins> hist{};
  double total = 0;
  for (int y = 0; y < values.rows; y += stride) {
    const float* v = values.ptr<float>(y);
    const uchar* m = mask.empty() ? nullptr : mask.ptr<uchar>(y);
    for (int x = 0; x < values.cols; x += stride) {
      if (m != nullptr && !m[x]) continue;
      const int b = std::clamp(static_cast<int>((v[x] - lo) / (hi - lo) * kBins), 0, kBins - 1);
      hist[b] += 1;
      total += 1;
    }
  }
  double sum_all = 0;
  for (int i = 0; i < kBins; ++i) sum_all += i * hist[i];
  double w0 = 0, sum0 = 0, best = -1;
  int best_i = kBins / 2, best_j = kBins / 2;  // ties (an empty gap): take its middle
  for (int i = 0; i < kBins - 1; ++i) {
    w0 += hist[i];
    sum0 += i * hist[i];
    const double w1 = total - w0;
    if (w0 <= 0 || w1 <= 0) continue;
    const double m0 = sum0 / w0, m1 = (sum_all - sum0) / w1;
    const double between = w0 * w1 * (m0 - m1) * (m0 - m1);
    if (between > best * (1 + 1e-12)) {
      best = between;
      best_i = best_j = i;
    } else if (between >= best * (1 - 1e-12)) {
      best_j = i;
    }
  }
  return lo + (0.5 * (best_i + best_j) + 1) * (hi - lo) / kBins;
}

RadiometricScale EstimateScale(const WindowPixels& pixels, PixelType type, float dark_level) {
  RadiometricScale scale;
  const int nb = pixels.has_nir() ? 4 : 3;
  const int stride = std::max(1, static_cast<int>(std::sqrt(pixels.valid.total() / 250000.0)));
  std::array<float, 4> p_lo{}, p_hi{};
  float top = 0;
  for (int b = 0; b < nb; ++b) {
    p_lo[b] = MaskedPercentile(pixels.bands[b], pixels.valid, 0.5, stride);
    p_hi[b] = MaskedPercentile(pixels.bands[b], pixels.valid, 99.9, stride);
    if (std::isfinite(p_hi[b])) top = std::max(top, p_hi[b]);
  }
  float gain = 1.0f;
  switch (type) {
    case PixelType::kByte:
      gain = 1.0f / 255.0f;
      break;
    case PixelType::kFloat32:
    case PixelType::kFloat64:
      gain = top <= 2.0f ? 1.0f : (top <= 12000.0f ? 1.0f / 10000.0f : 1.0f / top);
      break;
    default:
      gain = top <= 12000.0f ? 1.0f / 10000.0f : 1.0f / top;
      break;
  }
  for (int b = 0; b < 4; ++b) {
    scale.gain[b] = gain;
    scale.offset[b] = 0.0f;
    if (b < nb && std::isfinite(p_lo[b])) {
      // Dark-object subtraction: never brightens, only removes a haze offset.
      scale.offset[b] = std::max(0.0f, p_lo[b] - dark_level / gain);
    }
  }
  return scale;
}

namespace {

cv::Mat Disk(int radius) {
  return cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * radius + 1, 2 * radius + 1));
}

// Robust sigma (1.4826 * MAD) of a float map over a mask, subsampled.
float RobustSigma(const cv::Mat& values, const cv::Mat& mask) {
  const int stride = std::max(1, static_cast<int>(std::sqrt(values.total() / 300000.0)));
  std::vector<float> s;
  for (int y = 0; y < values.rows; y += stride) {
    const float* v = values.ptr<float>(y);
    const uchar* m = mask.ptr<uchar>(y);
    for (int x = 0; x < values.cols; x += stride)
      if (m[x]) s.push_back(v[x]);
  }
  if (s.size() < 16) return std::numeric_limits<float>::quiet_NaN();
  const size_t k = s.size() / 2;
  std::nth_element(s.begin(), s.begin() + k, s.end());
  const float med = s[k];
  for (auto& x : s) x = std::fabs(x - med);
  std::nth_element(s.begin(), s.begin() + k, s.end());
  return 1.4826f * s[k];
}

}  // namespace

ImagingResult ProcessWindow(const WindowPixels& pixels, const RadiometricScale& scale,
                            const cv::Mat& land, const ImagingOptions& options) {
  options.Check();
  ImagingResult r;
  const cv::Size size = pixels.bands[0].size();
  const int w = size.width, h = size.height;
  r.has_nir = pixels.has_nir();
  const int nb = r.has_nir ? 4 : 3;
  for (int b = 0; b < nb; ++b) r.bands[b].create(size, CV_32F);
  r.brightness.create(size, CV_32F);
  r.valid = pixels.valid.empty() ? cv::Mat(size, CV_8U, cv::Scalar(255)) : pixels.valid.clone();
  r.land = land.empty() ? cv::Mat::zeros(size, CV_8U) : land.clone();
  r.cloud = cv::Mat::zeros(size, CV_8U);
  cv::Mat ndwi;
  if (r.has_nir) ndwi.create(size, CV_32F);
  const int tile = options.tile_size;
  const int threads = options.threads;

  // 1. Normalised bands, brightness and NDWI (per pixel, no halo needed).
  ForEachTile(w, h, tile, 0, threads, [&](const cv::Rect& core, const cv::Rect&) {
    for (int y = core.y; y < core.y + core.height; ++y) {
      const uchar* valid = r.valid.ptr<uchar>(y);
      float* bright = r.brightness.ptr<float>(y);
      std::array<const float*, 4> in{};
      std::array<float*, 4> out{};
      for (int b = 0; b < nb; ++b) {
        in[b] = pixels.bands[b].ptr<float>(y);
        out[b] = r.bands[b].ptr<float>(y);
      }
      float* nd = r.has_nir ? ndwi.ptr<float>(y) : nullptr;
      for (int x = core.x; x < core.x + core.width; ++x) {
        if (!valid[x]) {
          for (int b = 0; b < nb; ++b) out[b][x] = 0.0f;
          bright[x] = 0.0f;
          if (nd) nd[x] = 0.0f;
          continue;
        }
        float s = 0;
        for (int b = 0; b < nb; ++b) {
          const float v = (in[b][x] - scale.offset[b]) * scale.gain[b];
          out[b][x] = v;
          s += v;
        }
        bright[x] = s / nb;
        if (nd) nd[x] = (out[1][x] - out[3][x]) / std::max(out[1][x] + out[3][x], 1e-4f);
      }
    }
  });

  // 2. Cloud. A pixel under cloud of opacity a is water*(1-a) + cloud*a in every band, so
  //    the per-band opacities (p - water) / (cloud - water) agree; hull paint does not.
  //    Cores (opacity >= 0.12, consistent) are opened with a disk wider than any beam, so
  //    grey decks and white superstructures drop out; the cloud is every consistent pixel
  //    (opacity >= 0.04) connected to a core, soft edges included.
  cv::Mat not_land;
  cv::bitwise_not(r.land, not_land);
  not_land &= r.valid;
  const int pstride = std::max(1, static_cast<int>(std::sqrt(static_cast<double>(w) * h / 3e5)));
  std::array<float, 4> water_col{0.05f, 0.05f, 0.05f, 0.05f};
  for (int b = 0; b < nb; ++b) {
    const float v = MaskedPercentile(r.bands[b], not_land, 30.0, pstride);
    // Water is dark: a window under cloud must not take the cloud for its water.
    if (std::isfinite(v)) water_col[b] = std::min(v, 0.15f);
  }
  const float cloud_ref = static_cast<float>(options.cloud_reflectance);
  cv::Mat cloud_low = cv::Mat::zeros(size, CV_8U), cloud_high = cv::Mat::zeros(size, CV_8U);
  ForEachTile(w, h, tile, 0, threads, [&](const cv::Rect& core, const cv::Rect&) {
    std::array<float, 4> inv_range{};
    for (int b = 0; b < nb; ++b) inv_range[b] = 1.0f / std::max(cloud_ref - water_col[b], 0.05f);
    for (int y = core.y; y < core.y + core.height; ++y) {
      const uchar* nl = not_land.ptr<uchar>(y);
      uchar* lo = cloud_low.ptr<uchar>(y);
      uchar* hi = cloud_high.ptr<uchar>(y);
      std::array<const float*, 4> in{};
      for (int b = 0; b < nb; ++b) in[b] = r.bands[b].ptr<float>(y);
      for (int x = core.x; x < core.x + core.width; ++x) {
        if (!nl[x]) continue;
        float amin = 1e30f, amax = -1e30f, asum = 0;
        for (int b = 0; b < nb; ++b) {
          const float a = (in[b][x] - water_col[b]) * inv_range[b];
          amin = std::min(amin, a);
          amax = std::max(amax, a);
          asum += a;
        }
        const float amean = asum / nb;
        const bool consistent = (amax - amin) <= 0.05f + 0.15f * amean;
        lo[x] = (consistent && amean >= 0.04f) ? 255 : 0;
        hi[x] = (consistent && amean >= 0.12f) ? 255 : 0;
      }
    }
  });
  const int cloud_r =
      std::max(2, static_cast<int>(std::lround(options.cloud_min_radius_m / options.gsd_m)));
  {
    // Opening at reduced resolution for speed when the radius is large.
    const int f = std::max(1, cloud_r / 6);
    cv::Mat small;
    if (f > 1) {
      cv::resize(cloud_high, small, cv::Size((w + f - 1) / f, (h + f - 1) / f), 0, 0,
                 cv::INTER_AREA);
      cv::threshold(small, small, 127, 255, cv::THRESH_BINARY);
    } else {
      small = cloud_high;
    }
    const int rr = std::max(1, cloud_r / f);
    cv::Mat opened;
    cv::morphologyEx(small, opened, cv::MORPH_OPEN, Disk(rr));
    if (f > 1) cv::resize(opened, opened, size, 0, 0, cv::INTER_NEAREST);
    opened &= cloud_low;
    if (cv::countNonZero(opened) > 0) {
      // Reconstruction: components of the low mask that touch a core.
      cv::Mat labels;
      const int n = cv::connectedComponents(cloud_low, labels, 8, CV_32S);
      std::vector<uchar> keep(n, 0);
      for (int y = 0; y < h; ++y) {
        const uchar* o = opened.ptr<uchar>(y);
        const int* l = labels.ptr<int>(y);
        for (int x = 0; x < w; ++x)
          if (o[x]) keep[l[x]] = 1;
      }
      keep[0] = 0;
      for (int y = 0; y < h; ++y) {
        const int* l = labels.ptr<int>(y);
        uchar* c = r.cloud.ptr<uchar>(y);
        for (int x = 0; x < w; ++x) c[x] = keep[l[x]] ? 255 : 0;
      }
      // Close small holes (texture) inside the cloud.
      cv::morphologyEx(r.cloud, r.cloud, cv::MORPH_CLOSE, Disk(2));
      r.cloud &= not_land;
    }
  }

  // 3. Open area: valid, not land, not cloud.
  cv::Mat open = r.valid.clone();
  open.setTo(0, r.land);
  open.setTo(0, r.cloud);

  // 4. Water seed: NDWI (Otsu, clamped) when NIR exists, else brightness near the water
  //    level (the 30th percentile of the open area: water is the darkest extensive class).
  const int stride = std::max(1, static_cast<int>(std::sqrt(static_cast<double>(w) * h / 4e5)));
  cv::Mat seed;
  const float level = MaskedPercentile(r.brightness, open, 30.0, stride);
  r.water_level = std::isfinite(level) ? level : 0.05f;
  if (r.has_nir && options.use_ndwi) {
    float t = OtsuThreshold(ndwi, open);
    if (!std::isfinite(t)) t = 0.0f;
    t = std::clamp(t, -0.05f, 0.3f);
    cv::compare(ndwi, t, seed, cv::CMP_GT);
    seed &= open;
  } else {
    // Neighbour differences estimate the noise before any background exists.
    cv::Mat diff;
    cv::Mat shifted = r.brightness(cv::Rect(1, 0, std::max(w - 1, 1), h));
    cv::Mat base = r.brightness(cv::Rect(0, 0, std::max(w - 1, 1), h));
    cv::subtract(shifted, base, diff);
    cv::Mat near_level;
    cv::inRange(r.brightness, r.water_level * 0.5f, r.water_level * 1.5f + 0.01f, near_level);
    near_level &= open;
    cv::Mat m = near_level(cv::Rect(0, 0, std::max(w - 1, 1), h));
    float s = RobustSigma(diff, m) / std::sqrt(2.0f);
    if (!std::isfinite(s) || s <= 0) s = 0.005f;
    const float tol =
        std::max(static_cast<float>(options.contrast_sigma) * s, 0.25f * r.water_level);
    cv::inRange(r.brightness, r.water_level - tol, r.water_level + tol, seed);
    seed &= open;
  }

  // 5. Local water background and first noise estimate.
  const int bg_r =
      std::max(static_cast<int>(options.min_background_radius_px),
               static_cast<int>(std::lround(options.background_radius_m / options.gsd_m)));
  const int min_count = std::max(8, (2 * bg_r + 1) * (2 * bg_r + 1) / 50);
  r.background = MaskedBoxMean(r.brightness, seed, bg_r, min_count, r.water_level, tile, threads);
  cv::Mat resid = r.brightness - r.background;
  float sigma = RobustSigma(resid, seed);
  if (!(r.has_nir && options.use_ndwi) && std::isfinite(sigma) && sigma > 0) {
    // Without NIR the first seed came from one global level: reseed from the local
    // background so that smooth gradients (haze, glint) are followed.
    cv::Mat abs_resid = cv::abs(resid);
    cv::compare(abs_resid, static_cast<float>(options.contrast_sigma) * sigma, seed, cv::CMP_LT);
    seed &= open;
    r.background = MaskedBoxMean(r.brightness, seed, bg_r, min_count, r.water_level, tile, threads);
    resid = r.brightness - r.background;
    sigma = RobustSigma(resid, seed);
  }
  if (!std::isfinite(sigma) || sigma <= 1e-5f) sigma = 0.005f;
  r.noise_sigma = std::max(sigma, 1e-4f);

  // 6. Water: open, within k sigma of the background (and NDWI-water when NIR exists).
  const float k = static_cast<float>(options.contrast_sigma) * r.noise_sigma;
  r.contrast.create(size, CV_32F);
  r.water.create(size, CV_8U);
  const float inv = 1.0f / r.noise_sigma;
  ForEachTile(w, h, tile, 0, threads, [&](const cv::Rect& core, const cv::Rect&) {
    for (int y = core.y; y < core.y + core.height; ++y) {
      const float* b = r.brightness.ptr<float>(y);
      const float* bg = r.background.ptr<float>(y);
      const uchar* op = open.ptr<uchar>(y);
      const uchar* sd = seed.ptr<uchar>(y);
      const bool ndwi_mode = r.has_nir && options.use_ndwi;
      float* c = r.contrast.ptr<float>(y);
      uchar* wt = r.water.ptr<uchar>(y);
      for (int x = core.x; x < core.x + core.width; ++x) {
        const float d = b[x] - bg[x];
        c[x] = op[x] ? d * inv : 0.0f;
        // Shadows (darker than the background) stay water: cues are measured there.
        const bool like = d < k && (!ndwi_mode || sd[x] != 0 || d < 0);
        wt[x] = (op[x] && like) ? 255 : 0;
      }
    }
  });
  return r;
}

}  // namespace bw
