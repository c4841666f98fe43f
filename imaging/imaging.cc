#include "imaging/imaging.h"

#include <spdlog/spdlog.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
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
  if (!(structure_min_line_m > 0) || !(structure_min_length_m > 0))
    fail("structure_min_line_m and structure_min_length_m must be > 0");
  if (!(structure_straight_share > 0) || structure_straight_share > 1)
    fail("structure_straight_share must be in (0, 1]");
  if (threads < 0) fail("threads must be >= 0");
  if (!(growth_edge_step >= 0)) fail("growth_edge_step must be >= 0");
  if (!(growth_edge_max_opacity >= 0 && growth_edge_max_opacity <= 1))
    fail("growth_edge_max_opacity must be in [0, 1]");
  if (!(growth_edge_strong_factor >= 1)) fail("growth_edge_strong_factor must be >= 1");
  if (!(growth_edge_strong_max_opacity >= 0 && growth_edge_strong_max_opacity <= 1))
    fail("growth_edge_strong_max_opacity must be in [0, 1]");
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

namespace {

// The strips of MaskedBoxMeans for K maps. Each strip slides a (2r+1)-row column sum down
// its rows (int32, one map after another, so that the adds vectorise), then takes the
// horizontal box from a prefix sum of the column sums in doubles (integers below 2^53, so
// exact; the K maps' chains interleaved, pixel-major) and divides once per pixel.
template <int K>
std::function<void(const tbb::blocked_range<int>&)> BoxMeanStrips(
    const std::vector<const cv::Mat*>& values, const cv::Mat& mask, int radius, int min_count,
    const std::vector<float>& fallbacks, const std::vector<cv::Mat*>& outs,
    const std::vector<float>& to_fixed, const std::vector<double>& from_fixed, int strip,
    std::vector<long long>& fell_back) {
  return [&values, &mask, radius, min_count, &fallbacks, &outs, &to_fixed, &from_fixed, strip,
          &fell_back](const tbb::blocked_range<int>& range) {
    const int w = mask.cols, h = mask.rows;
    const size_t wz = static_cast<size_t>(w);
    std::vector<int32_t> col_sum(K * wz), col_cnt(wz), pre_cnt(wz + 1);
    std::vector<double> pre_sum(K * (wz + 1)), scale(wz);
    std::array<float, K> tf{};
    std::array<double, K> ff{};
    std::array<float, K> fb{};
    for (int b = 0; b < K; ++b) {
      tf[b] = to_fixed[b];
      ff[b] = from_fixed[b];
      fb[b] = fallbacks[b];
    }
    // One loop per map and direction, plain enough to vectorise: the value is zeroed off the
    // mask before it is scaled and truncated (off the mask it may be anything, NaN too).
    auto update_row = [&]<int Sign>(int y) {
      const uchar* m = mask.ptr<uchar>(y);
      int32_t* cc = col_cnt.data();
      for (int x = 0; x < w; ++x) cc[x] += Sign * static_cast<int32_t>(m[x] != 0);
      for (int b = 0; b < K; ++b) {
        const float* v = values[b]->ptr<float>(y);
        int32_t* cs = col_sum.data() + b * wz;
        const float t = tf[b];
        for (int x = 0; x < w; ++x) {
          uint32_t bits;
          std::memcpy(&bits, v + x, sizeof bits);
          bits &= 0u - static_cast<uint32_t>(m[x] != 0);
          float on;
          std::memcpy(&on, &bits, sizeof on);
          cs[x] += Sign * static_cast<int32_t>(on * t);
        }
      }
    };
    auto add_row = [&](int y) { update_row.template operator()<1>(y); };
    auto remove_row = [&](int y) { update_row.template operator()<-1>(y); };
    for (int s = range.begin(); s != range.end(); ++s) {
      const int ys = s * strip, ye = std::min(h, ys + strip);
      std::fill(col_sum.begin(), col_sum.end(), 0);
      std::fill(col_cnt.begin(), col_cnt.end(), 0);
      for (int y = std::max(ys - radius, 0); y <= std::min(ys + radius, h - 1); ++y) add_row(y);
      long long fell = 0;
      for (int y = ys; y < ye; ++y) {
        if (y > ys) {
          if (y + radius < h) add_row(y + radius);
          if (y - radius - 1 >= 0) remove_row(y - radius - 1);
        }
        pre_cnt[0] = 0;
        for (int x = 0; x < w; ++x) pre_cnt[x + 1] = pre_cnt[x] + col_cnt[x];
        {
          // K independent chains in one loop (map-major arrays).
          std::array<double, K> run{};
          std::array<double*, K> pre{};
          std::array<const int32_t*, K> col{};
          for (int b = 0; b < K; ++b) {
            pre[b] = pre_sum.data() + b * (wz + 1);
            col[b] = col_sum.data() + b * wz;
            pre[b][0] = 0.0;
          }
          for (int x = 0; x < w; ++x) {
            for (int b = 0; b < K; ++b) {
              run[b] += static_cast<double>(col[b][x]);
              pre[b][x + 1] = run[b];
            }
          }
        }
        // 1 / count where the box holds enough of the mask, 0 where it falls back.
        long long fell_row = 0;
        for (int x = 0; x < w; ++x) {
          const int c = pre_cnt[std::min(x + radius + 1, w)] - pre_cnt[std::max(x - radius, 0)];
          const bool ok = c >= min_count && c > 0;
          scale[x] = static_cast<double>(ok) / std::max(c, 1);
          fell_row += !ok;
        }
        fell += fell_row;
        // Interior pixels [xa, xb) have the whole box inside the row: contiguous loads. The
        // means are written everywhere (0 where the box falls back), then the fallbacks.
        const int xa = std::min(radius, w), xb = std::max(xa, w - radius - 1);
        for (int b = 0; b < K; ++b) {
          float* o = outs[b]->ptr<float>(y);
          const double* pre = pre_sum.data() + b * (wz + 1);
          const double fx = ff[b];
          const double* sc = scale.data();
          for (int x = 0; x < xa; ++x) {
            const int x0 = std::max(x - radius, 0), x1 = std::min(x + radius + 1, w);
            o[x] = static_cast<float>((pre[x1] - pre[x0]) * fx * sc[x]);
          }
          const double* hi = pre + radius + 1;
          const double* lo = pre - radius;
          for (int x = xa; x < xb; ++x) o[x] = static_cast<float>((hi[x] - lo[x]) * fx * sc[x]);
          for (int x = xb; x < w; ++x) {
            const int x0 = std::max(x - radius, 0), x1 = std::min(x + radius + 1, w);
            o[x] = static_cast<float>((pre[x1] - pre[x0]) * fx * sc[x]);
          }
          if (fell_row > 0) {
            const float fbb = fb[b];
            for (int x = 0; x < w; ++x) o[x] = sc[x] == 0.0 ? fbb : o[x];
          }
        }
      }
      fell_back[s] = fell;
    }
  };
}

}  // namespace

cv::Mat MaskedBoxMean(const cv::Mat& values, const cv::Mat& mask, int radius, int min_count,
                      float fallback, int tile_size, int threads) {
  cv::Mat out;
  MaskedBoxMean(values, mask, radius, min_count, fallback, out, tile_size, threads);
  return out;
}

void MaskedBoxMean(const cv::Mat& values, const cv::Mat& mask, int radius, int min_count,
                   float fallback, cv::Mat& out, int tile_size, int threads) {
  MaskedBoxMeans({&values}, mask, radius, min_count, {fallback}, {&out}, tile_size, threads);
}

long long MaskedBoxMeans(const std::vector<const cv::Mat*>& values, const cv::Mat& mask, int radius,
                         int min_count, const std::vector<float>& fallbacks,
                         const std::vector<cv::Mat*>& outs, int tile_size, int threads) {
  const int k = static_cast<int>(values.size());
  CV_Assert(k >= 1 && k <= 4 && fallbacks.size() == values.size() && outs.size() == values.size());
  CV_Assert(mask.type() == CV_8U && radius >= 0);
  for (int b = 0; b < k; ++b) {
    CV_Assert(values[b]->type() == CV_32F && values[b]->size() == mask.size());
    outs[b]->create(mask.size(), CV_32F);
  }
  const int w = mask.cols, h = mask.rows;
  if (w == 0 || h == 0) return 0;
  // Sums of integers: every value is quantised to an integer q with (2r+1)|q| <= 2^30, so
  // column sums of 2r+1 rows fit an int32, and every prefix sum over the full width stays
  // below 2^52, exact in a double. The sums are exact and associative and the result depends
  // on nothing but the inputs (not on strips, tiles, threads or the other maps). The scale
  // is a power of two chosen per map from its largest masked magnitude, 2^29 / (2r+1) to
  // 2^30 / (2r+1) steps up to it: over a million for boxes up to 255 px in radius, finer
  // than the noise of any reflectance by far.
  const double rows = 2.0 * radius + 1;
  const double terms = rows * std::max(w, 2 * radius + 1);
  std::vector<float> to_fixed(k);
  std::vector<double> from_fixed(k);
  for (int b = 0; b < k; ++b) {
    // Eight running maxima (independent chains; a maximum does not depend on the order).
    std::array<float, 8> mx{};
    for (int y = 0; y < h; ++y) {
      const float* v = values[b]->ptr<float>(y);
      const uchar* m = mask.ptr<uchar>(y);
      int x = 0;
      // |value| on the mask, 0 off it, by bits (NaN off the mask is harmless), so it vectorises.
      const auto masked_abs = [&](int i) {
        uint32_t bits;
        std::memcpy(&bits, v + i, sizeof bits);
        bits &= 0x7fffffffu & (0u - static_cast<uint32_t>(m[i] != 0));
        float a;
        std::memcpy(&a, &bits, sizeof a);
        return a;
      };
      for (; x + 8 <= w; x += 8)
        for (int j = 0; j < 8; ++j) mx[j] = std::max(mx[j], masked_abs(x + j));
      for (; x < w; ++x) mx[0] = std::max(mx[0], masked_abs(x));
    }
    const float max_abs = *std::max_element(mx.begin(), mx.end());
    const double top = std::max(static_cast<double>(max_abs), 1e-30);
    const int shift =
        std::clamp(std::min(static_cast<int>(std::floor(30 - std::log2(top * rows))),
                            static_cast<int>(std::floor(51 - std::log2(top * terms)))),
                   -60, 60);
    to_fixed[b] = std::ldexp(1.0f, shift);
    from_fixed[b] = std::ldexp(1.0, -shift);
  }
  // Row strips; each strip slides a (2r+1)-row column sum down its rows, then takes the
  // horizontal box from a prefix sum of the column sums.
  // Each strip first sums the 2r+1 rows around its first row: strips of at least four box
  // heights keep that below a quarter of the column updates.
  const int strip = std::max(std::max(tile_size / 2, 64), std::min(4 * (2 * radius + 1), 1024));
  const int n_strips = (h + strip - 1) / strip;
  std::vector<long long> fell_back(n_strips, 0);
  const auto strips = [&]<int K>() {
    return BoxMeanStrips<K>(values, mask, radius, min_count, fallbacks, outs, to_fixed, from_fixed,
                            strip, fell_back);
  };
  const std::function<void(const tbb::blocked_range<int>&)> body = k == 1   ? strips.operator()<1>()
                                                                   : k == 2 ? strips.operator()<2>()
                                                                   : k == 3
                                                                       ? strips.operator()<3>()
                                                                       : strips.operator()<4>();
  if (n_strips == 1 || threads == 1) {
    body(tbb::blocked_range<int>(0, n_strips));
  } else if (threads > 0) {
    tbb::task_arena arena(threads);
    arena.execute([&] { tbb::parallel_for(tbb::blocked_range<int>(0, n_strips, 1), body); });
  } else {
    tbb::parallel_for(tbb::blocked_range<int>(0, n_strips, 1), body);
  }
  long long total = 0;
  for (long long f : fell_back) total += f;
  return total;
}

namespace {

// Finite values of a float map over a mask (empty = all), every `stride`-th row/column,
// into a per-thread buffer that keeps its capacity between calls (no page faults).
std::vector<float>& MaskedSamples(const cv::Mat& values, const cv::Mat& mask, int stride) {
  thread_local std::vector<float> samples;
  samples.clear();
  for (int y = 0; y < values.rows; y += stride) {
    const float* v = values.ptr<float>(y);
    const uchar* m = mask.empty() ? nullptr : mask.ptr<uchar>(y);
    for (int x = 0; x < values.cols; x += stride) {
      if ((m == nullptr || m[x]) && std::isfinite(v[x])) samples.push_back(v[x]);
    }
  }
  return samples;
}

// Order-preserving key of a finite float: unsigned order of the keys is the float order
// (-0 just below +0).
inline uint32_t FloatKey(float v) {
  uint32_t u;
  std::memcpy(&u, &v, sizeof u);
  return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

constexpr size_t kRadixSelectMin = 16384;

// out[i] = the k-th smallest sample for each (k, i) of `ranks` (k ascending), the values
// std::nth_element gives: one histogram of the keys' top 16 bits finds the bin that holds
// each rank, and only that bin's samples are selected from. O(n) with a small constant
// where nth_element moves every sample a few times.
void RadixSelect(const std::vector<float>& samples,
                 const std::vector<std::pair<size_t, size_t>>& ranks, std::vector<float>& out) {
  thread_local std::vector<uint32_t> hist;
  thread_local std::vector<float> bin_values;
  hist.assign(65536, 0);
  for (const float v : samples) ++hist[FloatKey(v) >> 16];
  size_t cum = 0;
  uint32_t bin = 0;
  bool collected = false;  // bin_values holds bin's samples
  for (const auto& [k, i] : ranks) {
    // Advance to the bin holding rank k (ranks ascend, so the walk goes on from the last).
    while (cum + hist[bin] <= k) {
      cum += hist[bin++];
      collected = false;
    }
    if (!collected) {
      bin_values.clear();
      for (const float v : samples)
        if ((FloatKey(v) >> 16) == bin) bin_values.push_back(v);
      collected = true;
    }
    const size_t r = k - cum;
    std::nth_element(bin_values.begin(), bin_values.begin() + static_cast<std::ptrdiff_t>(r),
                     bin_values.end());
    out[i] = bin_values[r];
  }
}

// out[i] = the k-th smallest sample for each (k, i) of `ranks` (k ascending, each < size),
// the values std::nth_element gives; `samples` may be reordered. Radix selection for large
// sets, else nested partial sorts (after placing rank k, every higher rank lies in (k, end)).
void SelectRanks(std::vector<float>& samples, const std::vector<std::pair<size_t, size_t>>& ranks,
                 std::vector<float>& out) {
  if (samples.size() >= kRadixSelectMin) {
    RadixSelect(samples, ranks, out);
    return;
  }
  size_t lo = 0;
  for (const auto& [k, i] : ranks) {
    if (k >= lo) {
      std::nth_element(samples.begin() + static_cast<std::ptrdiff_t>(lo),
                       samples.begin() + static_cast<std::ptrdiff_t>(k), samples.end());
      lo = k + 1;
    }
    out[i] = samples[k];
  }
}

// The k-th smallest sample (k < size); `samples` may be reordered.
float SelectKth(std::vector<float>& samples, size_t k) {
  thread_local std::vector<float> out(1);
  SelectRanks(samples, {{k, 0}}, out);
  return out[0];
}

size_t PercentileRank(size_t n, double percentile) {
  const double q = std::clamp(percentile, 0.0, 100.0) / 100.0;
  return std::min(n - 1, static_cast<size_t>(q * (n - 1) + 0.5));
}

}  // namespace

std::vector<float> MaskedPercentiles(const cv::Mat& values, const cv::Mat& mask,
                                     const std::vector<double>& percentiles, int stride) {
  CV_Assert(values.type() == CV_32F);
  std::vector<float> out(percentiles.size(), std::numeric_limits<float>::quiet_NaN());
  std::vector<float>& samples = MaskedSamples(values, mask, std::max(stride, 1));
  if (samples.empty()) return out;
  // Ranks ascending: after placing rank k, every higher rank lies in (k, end).
  std::vector<std::pair<size_t, size_t>> ranks;  // rank, index into `percentiles`
  for (size_t i = 0; i < percentiles.size(); ++i) {
    ranks.emplace_back(PercentileRank(samples.size(), percentiles[i]), i);
  }
  std::sort(ranks.begin(), ranks.end());
  SelectRanks(samples, ranks, out);
  return out;
}

float MaskedPercentile(const cv::Mat& values, const cv::Mat& mask, double percentile, int stride) {
  return MaskedPercentiles(values, mask, {percentile}, stride)[0];
}

float OtsuThreshold(const cv::Mat& values, const cv::Mat& mask) {
  const int stride = SampleStride(static_cast<double>(values.total()), 2.5e5);
  // The 1st and 99th percentiles from one sample set (the k-th order statistic does not
  // depend on how the vector was partially ordered before).
  std::vector<float>& samples = MaskedSamples(values, mask, stride);
  if (samples.empty()) return std::numeric_limits<float>::quiet_NaN();
  const size_t k_lo = PercentileRank(samples.size(), 1.0);
  const size_t k_hi = PercentileRank(samples.size(), 99.0);
  std::vector<float> lo_hi(2);
  SelectRanks(samples, {{k_lo, 0}, {k_hi, 1}}, lo_hi);  // one pass for both
  const float lo = lo_hi[0], hi = lo_hi[1];
  if (!std::isfinite(lo) || !(hi > lo)) return lo;
  constexpr int kBins = 256;
  std::array<double, kBins> hist{};
  double total = 0;
  for (const float v : samples) {
    const int b = std::clamp(static_cast<int>((v - lo) / (hi - lo) * kBins), 0, kBins - 1);
    hist[b] += 1;
    total += 1;
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

// The most that atmospheric path radiance and haze add to the top-of-atmosphere reflectance
// of dark water in its darkest band (~0.05 path + ~0.1 haze + the water itself).
constexpr float kMaxPathReflectance = 0.2f;
// The most that water's own reflectance, path radiance and haze give dark water in the NIR
// (rendered: <= 0.02 + 0.012 + 0.055; real hazy water a few hundredths): brighter is a
// cloud's veil, which is nearly as bright there as in the visible.
constexpr float kMaxWaterNir = 0.1f;

RadiometricScale EstimateScale(const WindowPixels& pixels, PixelType type, float dark_level) {
  RadiometricScale scale;
  const int nb = pixels.has_nir() ? 4 : 3;
  const int stride = std::max(1, static_cast<int>(std::sqrt(pixels.valid.total() / 250000.0)));
  std::array<float, 4> p_lo{}, p_hi{};
  float top = 0;
  for (int b = 0; b < nb; ++b) {
    const std::vector<float> p =
        MaskedPercentiles(pixels.bands[b], pixels.valid, {0.5, 99.9}, stride);
    p_lo[b] = p[0];
    p_hi[b] = p[1];
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
  // Dark-object subtraction needs a dark object. Path radiance plus haze lift dark water by
  // at most ~0.2 in its darkest band (red or NIR); a window whose darkest band is brighter
  // than that everywhere is under cloud, and removing its darkest pixels as "haze" would
  // turn the cloud into water.
  float darkest = std::numeric_limits<float>::infinity();
  for (int b = 0; b < nb; ++b)
    if (std::isfinite(p_lo[b])) darkest = std::min(darkest, p_lo[b] * gain);
  // With a NIR band the darkest NIR must be water's: a window under a veil has dark pixels in
  // no band, but its thinnest parts pass the visible test (a dense veil of 0.17 in the NIR was
  // subtracted as haze, and the hull under it measured as if in clear sky).
  const bool dark_object = darkest <= kMaxPathReflectance &&
                           (nb < 4 || !std::isfinite(p_lo[3]) || p_lo[3] * gain <= kMaxWaterNir);
  for (int b = 0; b < 4; ++b) {
    scale.gain[b] = gain;
    scale.offset[b] = 0.0f;
    if (dark_object && b < nb && std::isfinite(p_lo[b])) {
      // Never brightens, only removes a haze offset, and never more than path and haze add
      // in the bluest band.
      scale.offset[b] =
          std::clamp(p_lo[b] - dark_level / gain, 0.0f, 1.5f * kMaxPathReflectance / gain);
    }
  }
  return scale;
}

namespace {

cv::Mat Disk(int radius) {
  return cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * radius + 1, 2 * radius + 1));
}

// Cloud class bits in the per-pixel pass (0 = none).
constexpr uchar kCloudGrow = 1;  // consistent with a cloud of opacity >= 0.04 (tight)
constexpr uchar kCloudCore = 2;  // bright in every band, opacity >= 0.12 (loose)

// Cells of f x f pixels of a class map (bits 0 and 1), in one pass: a bit is set in a cell
// where most of its pixels carry it.
cv::Mat MajorityCells(const cv::Mat& classes, int f) {
  const int w = classes.cols, h = classes.rows;
  const int sw = (w + f - 1) / f, sh = (h + f - 1) / f;
  cv::Mat cells(sh, sw, CV_8U);
  for (int sy = 0; sy < sh; ++sy) {
    uchar* o = cells.ptr<uchar>(sy);
    const int y0 = sy * f, y1 = std::min(h, y0 + f);
    for (int sx = 0; sx < sw; ++sx) {
      const int x0 = sx * f, x1 = std::min(w, x0 + f);
      int n0 = 0, n1 = 0;
      for (int y = y0; y < y1; ++y) {
        const uchar* c = classes.ptr<uchar>(y);
        for (int x = x0; x < x1; ++x) {
          n0 += c[x] & 1;
          n1 += (c[x] >> 1) & 1;
        }
      }
      const int area = (y1 - y0) * (x1 - x0);
      o[sx] = static_cast<uchar>((2 * n0 > area ? 1 : 0) | (2 * n1 > area ? 2 : 0));
    }
  }
  return cells;
}

// The cells of a MajorityCells map that carry `bit` (255), opened with a disk of `radius`
// cells: what remains is wider than that disk.
cv::Mat OpenedCells(const cv::Mat& majority, uchar bit, int radius) {
  cv::Mat cells;
  cv::compare(majority & cv::Scalar(bit), 0, cells, cv::CMP_NE);
  if (cv::countNonZero(cells) > 0) cv::morphologyEx(cells, cells, cv::MORPH_OPEN, Disk(radius));
  return cells;
}

// Outline sharpness of the components with select[k] != 0: over boundary pixels next to
// open pixels (not land, not the component), the mean brightness step across 3 px of the
// boundary (one pixel inside to two outside) as a share of the step from outside to the
// component's mean. A cloud's edge fades over many pixels (a small share); a quay, a roof
// or a deck steps within a pixel or two (most of its contrast). NaN where a component has
// fewer than 8 such boundary pixels; -inf where it is not brighter than its surroundings.
std::vector<double> OutlineSharpness(const ImagingResult& r, const cv::Mat& labels, int n,
                                     const std::vector<uchar>& select) {
  const size_t nn = static_cast<size_t>(n);
  std::vector<double> step(nn, 0), out(nn, 0), inside(nn, 0);
  std::vector<int> cnt(nn, 0), area(nn, 0);
  const int w = labels.cols, h = labels.rows;
  const cv::Mat& b = r.brightness;
  for (int y = 2; y + 2 < h; ++y) {
    const int* l = labels.ptr<int>(y);
    for (int x = 2; x + 2 < w; ++x) {
      const size_t k = static_cast<size_t>(l[x]);
      if (k == 0 || !select[k]) continue;
      inside[k] += b.at<float>(y, x);
      ++area[k];
      static constexpr int kDx[4] = {1, -1, 0, 0}, kDy[4] = {0, 0, 1, -1};
      for (int j = 0; j < 4; ++j) {
        const int xo = x + kDx[j], yo = y + kDy[j];
        if (labels.at<int>(yo, xo) == l[x] || r.land.at<uchar>(yo, xo)) continue;
        const float bi = b.at<float>(y - kDy[j], x - kDx[j]);    // one pixel inside
        const float bo = b.at<float>(yo + kDy[j], xo + kDx[j]);  // two pixels outside
        step[k] += bi - bo;
        out[k] += bo;
        ++cnt[k];
        break;
      }
    }
  }
  std::vector<double> share(nn, std::numeric_limits<double>::quiet_NaN());
  for (size_t k = 1; k < nn; ++k) {
    if (!select[k] || cnt[k] < 8 || area[k] == 0) continue;
    const double total = inside[k] / area[k] - out[k] / cnt[k];
    share[k] = total > 0 ? step[k] / cnt[k] / total : -std::numeric_limits<double>::infinity();
  }
  return share;
}

// A line of an outline is straight within this (approxPolyDP's epsilon), and must be at
// least kMinStraightLineToTolerance times as long for its straightness to say anything.
constexpr double kStraightTolerancePx = 3.0;
constexpr double kMinStraightLineToTolerance = 50.0;

// Share of a component's free outline (boundary against valid, open pixels inside the
// window, so not the window's or the scene's edge and not a land polygon) that runs along
// straight lines at least `min_line_px` long, within kStraightTolerancePx. Built structures
// (a quay, a roof, a deck) have them; a cloud's outline is fractal at every scale and
// straight over at most a few tens of metres. `mask` is the component's mask in `box`; NaN
// when the free outline is shorter than two such lines. Outline next to land (`near_land`
// set, when not empty) is not free either: a cloud over a pier reaches the polygon's edge, or
// the strip of the pier's side that relief and georeferencing leave outside it, and follows
// that straight edge, which is the pier's and not the component's.
double StraightOutlineShare(const cv::Mat& mask, const cv::Rect& box, const ImagingResult& r,
                            const cv::Mat& near_land, double min_line_px) {
  // Pixel-scale speckle (a texture pixel that missed the cloud class) notches the outline:
  // closed first, on a crop padded so that the closing does not touch its border.
  constexpr int kPad = 3;
  cv::Mat padded;
  cv::copyMakeBorder(mask, padded, kPad, kPad, kPad, kPad, cv::BORDER_CONSTANT, cv::Scalar(0));
  cv::morphologyEx(padded, padded, cv::MORPH_CLOSE, Disk(2));
  std::vector<std::vector<cv::Point>> contours;
  cv::findContours(padded, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_NONE);
  const int w = r.valid.cols, h = r.valid.rows;
  const auto inside = [&](double x, double y) {  // window coordinates
    const int xi = static_cast<int>(std::floor(x)), yi = static_cast<int>(std::floor(y));
    const int mx = xi - box.x + kPad, my = yi - box.y + kPad;
    return mx >= 0 && my >= 0 && mx < padded.cols && my < padded.rows &&
           padded.at<uchar>(my, mx) != 0;
  };
  const auto free_px = [&](double x, double y) {
    const int xi = static_cast<int>(std::floor(x)), yi = static_cast<int>(std::floor(y));
    return xi >= 1 && yi >= 1 && xi < w - 1 && yi < h - 1 && r.valid.at<uchar>(yi, xi) != 0 &&
           r.land.at<uchar>(yi, xi) == 0 && (near_land.empty() || near_land.at<uchar>(yi, xi) == 0);
  };
  double total = 0, straight = 0;
  std::vector<cv::Point> poly;
  for (const auto& contour : contours) {
    cv::approxPolyDP(contour, poly, kStraightTolerancePx, true);
    for (size_t i = 0; i < poly.size(); ++i) {
      // Back to window coordinates (pixel centres), undoing the padding.
      const cv::Point2d a(poly[i].x - kPad + box.x + 0.5, poly[i].y - kPad + box.y + 0.5);
      const cv::Point2d b(poly[(i + 1) % poly.size()].x - kPad + box.x + 0.5,
                          poly[(i + 1) % poly.size()].y - kPad + box.y + 0.5);
      const cv::Point2d d = b - a;
      const double len = std::hypot(d.x, d.y);
      if (len < 1e-9) continue;
      const cv::Point2d nrm(-d.y / len, d.x / len);
      const int samples = std::max(1, static_cast<int>(len / 2));
      int n_free = 0;
      for (int j = 0; j < samples; ++j) {
        const cv::Point2d q = a + d * ((j + 0.5) / samples);
        const cv::Point2d p1 = q + nrm * 2.5, p2 = q - nrm * 2.5;
        const bool in1 = inside(p1.x, p1.y), in2 = inside(p2.x, p2.y);
        if (in1 == in2) continue;
        const cv::Point2d o = in1 ? p2 : p1;
        if (free_px(o.x, o.y)) ++n_free;
      }
      const double free_len = len * n_free / samples;
      total += free_len;
      if (len >= min_line_px) straight += free_len;
    }
  }
  if (total < 2 * min_line_px) return std::numeric_limits<double>::quiet_NaN();
  return straight / total;
}

// Cloud-class components (labels, stats; keep[k] = has a cloud core) whose outline is
// straight (StraightOutlineShare) are built structures, not cloud: keep[k] is cleared and
// the structure is added to `structure` (CV_8U, window size, allocated on first use). A
// white deck moored along a quay is of the same class and joined to it across the dark seam
// between them: the component is opened with a 5 px disk, and only its parts that are wide
// enough for a cloud core of their own (cells of f x f px opened with a disk of core_r
// cells, as the cloud test does; wider than any beam) or longer than any vessel are
// structure. Components without a core are looked at too: a quay narrower than a cloud
// core is no cloud but still a structure.
void FindStructures(const ImagingResult& r, const cv::Mat& labels, const cv::Mat& stats,
                    std::vector<uchar>& keep, int f, int core_r, const ImagingOptions& options,
                    cv::Mat& structure) {
  // Straightness within kStraightTolerancePx says something only over lines many times
  // longer. At 0.5 m GSD, 80 m is 160 px; at 10 m it would be 8 px, which any pixelated cloud
  // edge fits within 30 m, and clouds became "quays".
  const double min_line_px = std::max(options.structure_min_line_m / options.gsd_m,
                                      kMinStraightLineToTolerance * kStraightTolerancePx);
  const double min_core_area = 3.0 * (core_r * f) * (core_r * f);  // ~ a core disk's area
  const double min_length_px = options.structure_min_length_m / options.gsd_m;
  // Within this of land, an outline follows the land's edge (a pier's side seen off-nadir,
  // up to ~3 m at 30 deg, plus the snap's residual).
  constexpr double kNearLandM = 5.0;
  cv::Mat near_land;
  bool near_land_done = false;
  for (size_t k = 1; k < keep.size(); ++k) {
    const int ki = static_cast<int>(k);
    const cv::Rect box(stats.at<int>(ki, cv::CC_STAT_LEFT), stats.at<int>(ki, cv::CC_STAT_TOP),
                       stats.at<int>(ki, cv::CC_STAT_WIDTH), stats.at<int>(ki, cv::CC_STAT_HEIGHT));
    if (std::max(box.width, box.height) < min_line_px) continue;
    if (!near_land_done) {
      near_land_done = true;
      const int reach = std::max(1, static_cast<int>(std::lround(kNearLandM / options.gsd_m)));
      if (cv::countNonZero(r.land) > 0) {
        cv::dilate(
            r.land, near_land,
            cv::getStructuringElement(cv::MORPH_RECT, cv::Size(2 * reach + 1, 2 * reach + 1)));
      }
    }
    const cv::Mat comp = labels(box) == ki;
    const double share = StraightOutlineShare(comp, box, r, near_land, min_line_px);
    if (!(share >= options.structure_straight_share)) continue;
    spdlog::debug("imaging: structure at ({},{}) {}x{} px, straight outline share {:.2f}", box.x,
                  box.y, box.width, box.height, share);
    keep[k] = 0;
    cv::Mat parts;
    cv::morphologyEx(comp, parts, cv::MORPH_OPEN, Disk(2));
    cv::Mat part_labels, part_stats, part_centroids;
    const int np =
        cv::connectedComponentsWithStats(parts, part_labels, part_stats, part_centroids, 8, CV_32S);
    std::vector<uchar> cored(static_cast<size_t>(np), 0);
    for (int p = 1; p < np; ++p) {
      const cv::Rect pb(
          part_stats.at<int>(p, cv::CC_STAT_LEFT), part_stats.at<int>(p, cv::CC_STAT_TOP),
          part_stats.at<int>(p, cv::CC_STAT_WIDTH), part_stats.at<int>(p, cv::CC_STAT_HEIGHT));
      // Longer than any vessel: a quay narrower than a cloud core (no core of its own).
      if (std::hypot(pb.width, pb.height) >= min_length_px) {
        cored[static_cast<size_t>(p)] = 1;
        continue;
      }
      if (part_stats.at<int>(p, cv::CC_STAT_AREA) < min_core_area) continue;
      // The cloud test's core cells of the part alone (bit 1), zero-padded: the part ends at
      // its box, where the opening would take outside as inside.
      const int pad = (core_r + 1) * f;
      cv::Mat bits;
      cv::copyMakeBorder((part_labels(pb) == p) & cv::Scalar(kCloudCore), bits, pad, pad, pad, pad,
                         cv::BORDER_CONSTANT, cv::Scalar(0));
      cored[static_cast<size_t>(p)] =
          cv::countNonZero(OpenedCells(MajorityCells(bits, f), kCloudCore, core_r)) > 0;
    }
    if (structure.empty()) structure = cv::Mat::zeros(labels.size(), CV_8U);
    for (int y = 0; y < box.height; ++y) {
      const int* pl = part_labels.ptr<int>(y);
      uchar* st = structure.ptr<uchar>(box.y + y) + box.x;
      for (int x = 0; x < box.width; ++x)
        if (pl[x] > 0 && cored[static_cast<size_t>(pl[x])]) st[x] = 255;
    }
  }
}

// A cloud over a pier is cut in two by the land polygon (cloud is looked for off land): its
// part beyond the pier, an edge with no core of its own, is kept (keep[label] = 1) when it
// touches land within 30 m of the kept cloud and its outline is soft. A deck moored at the
// pier may be of the cloud-growth class too (grey paint raises every band alike) but its
// outline is sharp (OutlineSharpness).
void BridgeCloudAcrossLand(const ImagingResult& r, const cv::Mat& labels, int n, double gsd_m,
                           std::vector<uchar>& keep) {
  constexpr double kBridgeM = 30.0;
  constexpr double kSharpShare = 0.4;  // of the contrast reached within 3 px of the outline
  const int w = labels.cols, h = labels.rows;
  cv::Mat not_kept(labels.size(), CV_8U);
  for (int y = 0; y < h; ++y) {
    const int* l = labels.ptr<int>(y);
    uchar* k = not_kept.ptr<uchar>(y);
    for (int x = 0; x < w; ++x) k[x] = keep[static_cast<size_t>(l[x])] ? 0 : 255;
  }
  cv::Mat dist;
  cv::distanceTransform(not_kept, dist, cv::DIST_L2, 3);
  const float reach = static_cast<float>(kBridgeM / gsd_m);
  // Components touching land near the kept cloud: a pixel with such land among its
  // 8 neighbours.
  cv::Mat land_near;
  cv::compare(dist, reach, land_near, cv::CMP_LE);
  land_near &= r.land;
  cv::dilate(land_near, land_near, cv::Mat());
  std::vector<uchar> near(static_cast<size_t>(n), 0);
  bool any = false;
  for (int y = 1; y + 1 < h; ++y) {
    const int* l = labels.ptr<int>(y);
    const uchar* ln = land_near.ptr<uchar>(y);
    for (int x = 1; x + 1 < w; ++x) {
      const size_t k = static_cast<size_t>(l[x]);
      if (k != 0 && !keep[k] && ln[x]) {
        near[k] = 1;
        any = true;
      }
    }
  }
  if (!any) return;
  const std::vector<double> share = OutlineSharpness(r, labels, n, near);
  for (size_t k = 1; k < static_cast<size_t>(n); ++k)
    if (near[k] && !std::isnan(share[k]) && share[k] < kSharpShare) keep[k] = 1;  // soft
}

}  // namespace

float MadSigma(std::vector<float>& s) {
  if (s.size() < 16) return std::numeric_limits<float>::quiet_NaN();
  const size_t k = s.size() / 2;
  const float med = SelectKth(s, k);
  for (auto& x : s) x = std::fabs(x - med);
  return 1.4826f * SelectKth(s, k);
}

namespace {

// Robust sigma (1.4826 * MAD) of a float map over a mask, subsampled.
float RobustSigma(const cv::Mat& values, const cv::Mat& mask) {
  const int stride = std::max(1, static_cast<int>(std::sqrt(values.total() / 300000.0)));
  thread_local std::vector<float> s;
  s.clear();
  for (int y = 0; y < values.rows; y += stride) {
    const float* v = values.ptr<float>(y);
    const uchar* m = mask.ptr<uchar>(y);
    for (int x = 0; x < values.cols; x += stride)
      if (m[x]) s.push_back(v[x]);
  }
  return MadSigma(s);
}

// Percentile as MaskedPercentile picks it, from collected finite samples.
float SamplePercentile(std::vector<float>& samples, double percentile) {
  if (samples.empty()) return std::numeric_limits<float>::quiet_NaN();
  const double q = std::clamp(percentile, 0.0, 100.0) / 100.0;
  const size_t k =
      std::min(samples.size() - 1, static_cast<size_t>(q * (samples.size() - 1) + 0.5));
  return SelectKth(samples, k);
}

// RobustSigma of (brightness - background) over a mask, evaluated only at the sample
// points RobustSigma would visit (no residual map).
float RobustResidualSigma(const cv::Mat& brightness, const cv::Mat& background,
                          const cv::Mat& mask) {
  const int stride = std::max(1, static_cast<int>(std::sqrt(brightness.total() / 300000.0)));
  thread_local std::vector<float> s;
  s.clear();
  for (int y = 0; y < brightness.rows; y += stride) {
    const float* b = brightness.ptr<float>(y);
    const float* bg = background.ptr<float>(y);
    const uchar* m = mask.ptr<uchar>(y);
    for (int x = 0; x < brightness.cols; x += stride)
      if (m[x]) s.push_back(b[x] - bg[x]);
  }
  return MadSigma(s);
}

}  // namespace

ImagingResult ProcessWindow(const WindowPixels& pixels, const RadiometricScale& scale,
                            const cv::Mat& land, const ImagingOptions& options) {
  ImagingResult r;
  ProcessWindow(pixels, scale, land, options, r);
  return r;
}

void ProcessWindow(const WindowPixels& pixels, const RadiometricScale& scale, const cv::Mat& land,
                   const ImagingOptions& options, ImagingResult& r) {
  options.Check();
  const cv::Size size = pixels.bands[0].size();
  const int w = size.width, h = size.height;
  r.has_nir = pixels.has_nir();
  const int nb = r.has_nir ? 4 : 3;
  for (int b = 0; b < 4; ++b) {
    if (b < nb) {
      r.bands[b].create(size, CV_32F);
    } else {
      r.bands[b].release();
    }
  }
  r.brightness.create(size, CV_32F);
  if (pixels.valid.empty()) {
    r.valid.create(size, CV_8U);
    r.valid.setTo(255);
  } else {
    pixels.valid.copyTo(r.valid);
  }
  if (land.empty()) {
    r.land.create(size, CV_8U);
    r.land.setTo(0);
  } else {
    land.copyTo(r.land);
  }
  r.cloud.create(size, CV_8U);  // cloud classes first, the cloud mask below
  r.open.create(size, CV_8U);
  if (r.has_nir) {
    r.ndwi.create(size, CV_32F);
  } else {
    r.ndwi.release();
  }
  const int tile = options.tile_size;
  const int threads = options.threads;

  // Water colour for the cloud test: the 30th percentile of each normalised band over valid
  // non-land pixels. Normalisation is monotone, so it is taken on the digital numbers at the
  // same sample points and normalised (bit-identical to normalising first).
  const int pstride = std::max(1, static_cast<int>(std::sqrt(static_cast<double>(w) * h / 3e5)));
  const std::optional<WaterStats>& fixed = options.fixed_stats;
  std::array<float, 4> water_col{0.05f, 0.05f, 0.05f, 0.05f};
  if (fixed) {
    water_col = fixed->water_colour;
  } else {
    thread_local std::vector<float> samples;
    for (int b = 0; b < nb; ++b) {
      samples.clear();
      for (int y = 0; y < h; y += pstride) {
        const float* in = pixels.bands[b].ptr<float>(y);
        const uchar* valid = r.valid.ptr<uchar>(y);
        const uchar* ld = r.land.ptr<uchar>(y);
        for (int x = 0; x < w; x += pstride) {
          if (!valid[x] || ld[x]) continue;
          const float v = (in[x] - scale.offset[b]) * scale.gain[b];
          if (std::isfinite(v)) samples.push_back(v);
        }
      }
      const float v = SamplePercentile(samples, 30.0);
      // Water is dark: a window under cloud must not take the cloud for its water.
      if (std::isfinite(v)) water_col[b] = std::min(v, 0.15f);
    }
  }

  // 1. One pass per pixel: normalised bands, brightness, NDWI and the cloud classes.
  //    A pixel under cloud of opacity a is water*(1-a) + cloud*a in every band, so the
  //    per-band opacities (p - water) / (cloud - water) agree; hull paint does not.
  const float cloud_ref = static_cast<float>(options.cloud_reflectance);
  std::array<float, 4> inv_range{};
  for (int b = 0; b < nb; ++b) inv_range[b] = 1.0f / std::max(cloud_ref - water_col[b], 0.05f);
  std::atomic<bool> any_core{false};
  // Simple loops over a row segment, one output at a time, so that they vectorise.
  auto normalise = [&]<int NB>(const cv::Rect& core) {
    bool core_seen = false;
    const int x0 = core.x, n = core.width;
    for (int y = core.y; y < core.y + core.height; ++y) {
      const uchar* valid = r.valid.ptr<uchar>(y) + x0;
      const uchar* ld = r.land.ptr<uchar>(y) + x0;
      float* bright = r.brightness.ptr<float>(y) + x0;
      uchar* cls = r.cloud.ptr<uchar>(y) + x0;
      std::array<float*, NB> out{};
      for (int b = 0; b < NB; ++b) {
        const float* in = pixels.bands[b].ptr<float>(y) + x0;
        float* o = r.bands[b].ptr<float>(y) + x0;
        out[b] = o;
        const float off = scale.offset[b], gain = scale.gain[b];
        for (int x = 0; x < n; ++x) o[x] = valid[x] ? (in[x] - off) * gain : 0.0f;
      }
      for (int x = 0; x < n; ++x) {
        float sum = 0;
        for (int b = 0; b < NB; ++b) sum += out[b][x];
        bright[x] = sum / NB;
      }
      if constexpr (NB == 4) {
        float* nd = r.ndwi.ptr<float>(y) + x0;
        const float* g = out[1];
        const float* ni = out[3];
        for (int x = 0; x < n; ++x) nd[x] = (g[x] - ni[x]) / std::max(g[x] + ni[x], 1e-4f);
      }
      uchar any_high = 0;
      for (int x = 0; x < n; ++x) {
        float amin = 1e30f, amax = -1e30f, asum = 0;
        for (int b = 0; b < NB; ++b) {
          const float a = (out[b][x] - water_col[b]) * inv_range[b];
          amin = std::min(amin, a);
          amax = std::max(amax, a);
          asum += a;
        }
        const float amean = asum / NB;
        // Core: every band well raised, whatever the sensor's band-to-band gain (white
        // cloud can look pink or blue after a colour balance); paint is raised in one or
        // two bands, foam and hulls are dark in the NIR. The opening below removes what is
        // narrower than a cloud. Growth from a core (soft edges, thin cloud) needs the
        // opacities to agree closely, so a grey hull beside a cloud is not swallowed.
        const bool open_px = (valid[x] != 0) & (ld[x] == 0);
        const bool core = open_px & (amean >= 0.12f) & (amin >= 0.5f * amax - 0.03f);
        const bool grow = open_px & (amean >= 0.04f) & CloudOpacitiesAgree(amin, amax, amean);
        const uchar c = static_cast<uchar>((core ? kCloudCore : 0) | (grow ? kCloudGrow : 0));
        cls[x] = c;
        any_high |= c & kCloudCore;
      }
      core_seen = core_seen || any_high;
    }
    if (core_seen) any_core = true;
  };
  ForEachTile(w, h, tile, 0, threads, [&](const cv::Rect& core, const cv::Rect&) {
    if (nb == 4) {
      normalise.operator()<4>(core);
    } else {
      normalise.operator()<3>(core);
    }
  });

  // Thin cloud or haze over water: extensive areas consistent with water under a cloud of
  // small opacity (the growth class) that are not part of the cloud mask. Vessels show
  // through it, and the water background must follow it (see the water seed below).
  cv::Mat& thin = r.thin_cloud;
  thin.create(size, CV_8U);
  thin.setTo(0);
  const int cloud_r =
      std::max(2, static_cast<int>(std::lround(options.cloud_min_radius_m / options.gsd_m)));
  const int f = std::max(1, cloud_r / 6);  // clouds are coarse: work on f x f cells
  const int cell_r = std::max(1, cloud_r / f);
  const cv::Mat majority = MajorityCells(r.cloud, f);
  {
    const cv::Mat cells = OpenedCells(majority, kCloudGrow, cell_r);
    if (cv::countNonZero(cells) > 0) {
      for (int y = 0; y < h; ++y) {
        const uchar* o = cells.ptr<uchar>(y / f);
        const uchar* c = r.cloud.ptr<uchar>(y);
        uchar* t = thin.ptr<uchar>(y);
        for (int x = 0; x < w; ++x) t[x] = (o[x / f] != 0 && (c[x] & kCloudGrow) != 0) ? 255 : 0;
      }
    }
  }

  // 2. Cloud. Cores (high class) are opened with a disk wider than any beam, so grey decks
  //    and white superstructures drop out; the cloud is every low-class pixel connected to
  //    a surviving core, soft edges included. Cloud is coarse: the opening runs on a map
  //    downsampled by f (a cell is core when most of its pixels are).
  bool have_cloud = false;
  cv::Mat structure;  // built structures found among the cloud-class components
  if (any_core.load()) {
    const cv::Mat small = OpenedCells(majority, kCloudCore, cell_r);
    const bool cores = cv::countNonZero(small) > 0;
    // Without a cloud core there is no cloud, but a quay narrower than a core may be there.
    if (cores || options.find_structures) {
      // A cloud's thin edge fades over tens of metres; a hull's outline steps within the PSF.
      // A hull lying in a cloud's veil takes the veil's colour enough for its opacities to
      // agree, and growth from the core ran across it and took it. Inside veils (brighter
      // than the water by less than options.growth_edge_max_opacity of a cloud), pixels at a
      // sharp edge (brightness gradient above growth_edge_step and 6x the window's median
      // gradient, noise and waves) and their neighbours are no growth; in denser veils, up to
      // options.growth_edge_strong_max_opacity, so are pixels at a step growth_edge_strong_factor
      // times as steep (a white superstructure or catwalk on a hull in the veil's edge, grey
      // like the cloud: a veil does not change its opacity by a tenth within a pixel). Dense
      // cloud is textured and hides everything: no barrier there.
      cv::Mat barrier;
      if (options.growth_edge_step > 0) {
        cv::Mat gx, gy;
        cv::Sobel(r.brightness, gx, CV_32F, 1, 0, 3, 0.125);
        cv::Sobel(r.brightness, gy, CV_32F, 0, 1, 3, 0.125);
        cv::Mat grad = cv::abs(gx) + cv::abs(gy);
        const cv::Mat open_px = r.valid & ~r.land;
        const float median = MaskedPercentile(grad, open_px, 50.0, 2);
        const float step = std::max(static_cast<float>(options.growth_edge_step),
                                    std::isfinite(median) ? 6.0f * median : 0.0f);
        float water_mean = 0;
        for (int b = 0; b < nb; ++b) water_mean += water_col[b] / static_cast<float>(nb);
        const auto veil_top = [&](double opacity) {
          return water_mean + static_cast<float>(opacity) * (cloud_ref - water_mean);
        };
        const float veil = veil_top(options.growth_edge_max_opacity);
        const float strong_veil = veil_top(options.growth_edge_strong_max_opacity);
        const float strong_step = static_cast<float>(options.growth_edge_strong_factor) * step;
        barrier.create(h, w, CV_8U);
        for (int y = 0; y < h; ++y) {
          const float* g = grad.ptr<float>(y);
          const float* br = r.brightness.ptr<float>(y);
          uchar* out = barrier.ptr<uchar>(y);
          for (int x = 0; x < w; ++x) {
            const bool edge = (g[x] > step) & (br[x] < veil);
            const bool strong = (g[x] > strong_step) & (br[x] < strong_veil);
            out[x] = (edge | strong) ? 255 : 0;
          }
        }
        cv::dilate(barrier, barrier, cv::Mat());
      }
      // Reconstruction: components of growth pixels and opened core pixels that touch an
      // opened core cell.
      for (int y = 0; y < h; ++y) {
        const uchar* o = small.ptr<uchar>(y / f);
        uchar* c = r.cloud.ptr<uchar>(y);
        const uchar* bar = barrier.empty() ? nullptr : barrier.ptr<uchar>(y);
        for (int x = 0; x < w; ++x) {
          const bool grow = (c[x] & kCloudGrow) != 0 && (bar == nullptr || bar[x] == 0);
          c[x] = (grow || ((c[x] & kCloudCore) != 0 && o[x / f] != 0)) ? 1 : 0;
        }
      }
      cv::Mat labels, stats, centroids;
      const int n = cv::connectedComponentsWithStats(r.cloud, labels, stats, centroids, 8, CV_32S);
      std::vector<uchar> keep(n, 0);
      if (cores) {
        for (int y = 0; y < h; ++y) {
          const uchar* o = small.ptr<uchar>(y / f);
          const int* l = labels.ptr<int>(y);
          const uchar* c = r.cloud.ptr<uchar>(y);
          for (int x = 0; x < w; ++x)
            if (c[x] && o[x / f]) keep[l[x]] = 1;
        }
        keep[0] = 0;
      }
      if (options.find_structures)
        FindStructures(r, labels, stats, keep, f, cell_r, options, structure);
      if (cores) {
        if (cv::countNonZero(r.land) > 0) BridgeCloudAcrossLand(r, labels, n, options.gsd_m, keep);
        for (int y = 0; y < h; ++y) {
          const int* l = labels.ptr<int>(y);
          uchar* c = r.cloud.ptr<uchar>(y);
          for (int x = 0; x < w; ++x) c[x] = keep[l[x]] ? 255 : 0;
        }
        // Close small holes (texture) inside the cloud; never onto land or nodata.
        cv::morphologyEx(r.cloud, r.cloud, cv::MORPH_CLOSE, Disk(2));
        have_cloud = true;
      }
    }
  }
  if (!have_cloud) r.cloud.setTo(0);
  if (!structure.empty()) r.land |= structure;  // the cloud is cleared there below

  // 3. Open area: valid, not land, not cloud (the close above may reach onto land; the
  //    cloud is cleared there too).
  ForEachTile(w, h, tile, 0, threads, [&](const cv::Rect& core, const cv::Rect&) {
    for (int y = core.y; y < core.y + core.height; ++y) {
      const uchar* valid = r.valid.ptr<uchar>(y);
      const uchar* ld = r.land.ptr<uchar>(y);
      uchar* cl = r.cloud.ptr<uchar>(y);
      uchar* op = r.open.ptr<uchar>(y);
      for (int x = core.x; x < core.x + core.width; ++x) {
        const bool not_land = valid[x] && !ld[x];
        cl[x] = not_land ? cl[x] : 0;
        op[x] = (not_land && !cl[x]) ? 255 : 0;
      }
    }
  });

  // 4. Water seed: NDWI (Otsu, clamped) when NIR exists, else brightness near the water
  //    level (the 30th percentile of the open area: water is the darkest extensive class).
  const int stride = SampleStride(static_cast<double>(w) * h, 3e5);
  cv::Mat& seed = r.seed;
  seed.create(size, CV_8U);
  if (fixed) {
    r.water_level = fixed->water_level;
  } else {
    const float level = MaskedPercentile(r.brightness, r.open, 30.0, stride);
    r.water_level = std::isfinite(level) ? level : 0.05f;
  }
  float ndwi_t = 0.0f;
  const bool ndwi_mode = r.has_nir && options.use_ndwi;
  if (ndwi_mode) {
    float t = fixed ? fixed->ndwi_threshold : OtsuThreshold(r.ndwi, r.open);
    if (!std::isfinite(t)) t = 0.0f;
    t = std::clamp(t, -0.05f, 0.3f);
    ndwi_t = t;
    ForEachTile(w, h, tile, 0, threads, [&](const cv::Rect& core, const cv::Rect&) {
      for (int y = core.y; y < core.y + core.height; ++y) {
        const float* nd = r.ndwi.ptr<float>(y);
        const uchar* op = r.open.ptr<uchar>(y);
        uchar* sd = seed.ptr<uchar>(y);
        const uchar* th = thin.ptr<uchar>(y);
        for (int x = core.x; x < core.x + core.width; ++x)
          sd[x] = (op[x] && (nd[x] > t || th[x])) ? 255 : 0;
      }
    });
  } else {
    // Neighbour differences estimate the noise before any background exists.
    cv::Mat diff;
    cv::Mat shifted = r.brightness(cv::Rect(1, 0, std::max(w - 1, 1), h));
    cv::Mat base = r.brightness(cv::Rect(0, 0, std::max(w - 1, 1), h));
    cv::subtract(shifted, base, diff);
    cv::Mat near_level;
    cv::inRange(r.brightness, r.water_level * 0.5f, r.water_level * 1.5f + 0.01f, near_level);
    near_level &= r.open;
    cv::Mat m = near_level(cv::Rect(0, 0, std::max(w - 1, 1), h));
    float s = RobustSigma(diff, m) / std::sqrt(2.0f);
    if (!std::isfinite(s) || s <= 0) s = 0.005f;
    const float tol =
        std::max(static_cast<float>(options.contrast_sigma) * s, 0.25f * r.water_level);
    cv::inRange(r.brightness, r.water_level - tol, r.water_level + tol, seed);
    seed |= thin;
    seed &= r.open;
  }

  // 5. Local water background and first noise estimate.
  const int bg_r =
      std::max(static_cast<int>(options.min_background_radius_px),
               static_cast<int>(std::lround(options.background_radius_m / options.gsd_m)));
  const int min_count = std::max(8, (2 * bg_r + 1) * (2 * bg_r + 1) / 50);
  MaskedBoxMean(r.brightness, seed, bg_r, min_count, r.water_level, r.background, tile, threads);
  float sigma = fixed ? fixed->noise_sigma : RobustResidualSigma(r.brightness, r.background, seed);
  const bool any_thin = cv::countNonZero(thin & r.open) > 0;
  if ((!ndwi_mode || any_thin) && std::isfinite(sigma) && sigma > 0) {
    // Without NIR the first seed came from one global level, and thin cloud is seeded as a
    // whole: reseed from the local background so that smooth gradients (haze, glint) are
    // followed.
    const float k_reseed = static_cast<float>(options.contrast_sigma) * sigma;
    ForEachTile(w, h, tile, 0, threads, [&](const cv::Rect& core, const cv::Rect&) {
      for (int y = core.y; y < core.y + core.height; ++y) {
        const float* b = r.brightness.ptr<float>(y);
        const float* bg = r.background.ptr<float>(y);
        const uchar* op = r.open.ptr<uchar>(y);
        uchar* sd = seed.ptr<uchar>(y);
        // With NIR the seed keeps its NDWI / thin-cloud membership and only loses outliers
        // (a grey hull inside a haze patch is no background).
        for (int x = core.x; x < core.x + core.width; ++x)
          sd[x] = (op[x] && (!ndwi_mode || sd[x]) && std::fabs(b[x] - bg[x]) < k_reseed) ? 255 : 0;
      }
    });
    MaskedBoxMean(r.brightness, seed, bg_r, min_count, r.water_level, r.background, tile, threads);
    if (!fixed) sigma = RobustResidualSigma(r.brightness, r.background, seed);
  }
  if (!std::isfinite(sigma) || sigma <= 1e-5f) sigma = 0.005f;
  r.noise_sigma = std::max(sigma, 1e-4f);
  r.stats.water_colour = water_col;
  r.stats.water_level = r.water_level;
  r.stats.ndwi_threshold = ndwi_t;
  r.stats.noise_sigma = r.noise_sigma;

  // 6. Water: open, within k sigma of the background (and NDWI-water when NIR exists).
  const float k = static_cast<float>(options.contrast_sigma) * r.noise_sigma;
  r.contrast.create(size, CV_32F);
  r.water.create(size, CV_8U);
  const float inv = 1.0f / r.noise_sigma;
  ForEachTile(w, h, tile, 0, threads, [&](const cv::Rect& core, const cv::Rect&) {
    for (int y = core.y; y < core.y + core.height; ++y) {
      const float* b = r.brightness.ptr<float>(y);
      const float* bg = r.background.ptr<float>(y);
      const uchar* op = r.open.ptr<uchar>(y);
      const uchar* sd = seed.ptr<uchar>(y);
      float* c = r.contrast.ptr<float>(y);
      uchar* wt = r.water.ptr<uchar>(y);
      for (int x = core.x; x < core.x + core.width; ++x) {
        const float d = b[x] - bg[x];
        c[x] = op[x] ? d * inv : 0.0f;
      }
      // Shadows (darker than the background) stay water: cues are measured there.
      for (int x = core.x; x < core.x + core.width; ++x) {
        const float d = b[x] - bg[x];
        const bool like = (d < k) & ((sd[x] != 0) | (d < 0) | !ndwi_mode);
        wt[x] = ((op[x] != 0) & like) ? 255 : 0;
      }
    }
  });
}

}  // namespace bw
