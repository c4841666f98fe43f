// Hull cues -> freeboard: stations along the parallel mid-body, a two-edge profile fit per
// station, one robust weighted least-squares over every station and cue.
#include "detection/freeboard.h"

#include <spdlog/spdlog.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "geo/error.h"

namespace bw {
namespace {

constexpr double kDegToRad = M_PI / 180.0;

double Dot(cv::Point2d a, cv::Point2d b) { return a.x * b.x + a.y * b.y; }
double Cross(cv::Point2d a, cv::Point2d b) { return a.x * b.y - a.y * b.x; }
cv::Point2d Unit(cv::Point2d a) {
  const double n = std::hypot(a.x, a.y);
  return n > 0 ? a * (1.0 / n) : cv::Point2d(0, 0);
}

// Bilinear sample of a CV_32F mat at window pixel coordinates (pixel centres at +0.5).
// NaN outside the mat.
double Bilinear(const cv::Mat& m, double x, double y) {
  const double fx = x - 0.5, fy = y - 0.5;
  const int x0 = static_cast<int>(std::floor(fx)), y0 = static_cast<int>(std::floor(fy));
  if (x0 < 0 || y0 < 0 || x0 + 1 >= m.cols || y0 + 1 >= m.rows) return kNaN;
  const double ax = fx - x0, ay = fy - y0;
  const float* r0 = m.ptr<float>(y0);
  const float* r1 = m.ptr<float>(y0 + 1);
  return (1 - ay) * ((1 - ax) * r0[x0] + ax * r0[x0 + 1]) +
         ay * ((1 - ax) * r1[x0] + ax * r1[x0 + 1]);
}

// Mask lookup (nearest pixel); outside the mat counts as set.
bool MaskSet(const cv::Mat& mask, double x, double y) {
  if (mask.empty()) return false;
  const int c = static_cast<int>(std::floor(x)), r = static_cast<int>(std::floor(y));
  if (c < 0 || r < 0 || c >= mask.cols || r >= mask.rows) return true;
  return mask.at<uchar>(r, c) != 0;
}

// The blur a band's edges should have, the profile fits' prior: the hull edges' PSF widened
// by the pixel sampling (1/6 px² of variance).
double EdgeBlurPx(const HullImage& image) {
  return std::sqrt(image.psf_sigma_px * image.psf_sigma_px + 1.0 / 6.0);
}

struct Station {
  double x_m = 0;         // position along the axis from the hull centre (bow-positive)
  double width_px = 0;    // measured band width
  double sigma_px = 0;    // its 1-sigma
  double gain_px = 0;     // pixels of width per metre of freeboard
  int cue = 0;            // index into the cue list
  double blur_px = kNaN;  // edge blur the profile fit settled on (Gaussian sigma)
  // Per channel: the level before the band (deck), in it, and after it (water); with the
  // fit's residual noise per channel. Kept for the lit side's colour test.
  std::vector<std::array<double, 3>> levels;
  std::vector<double> noise;
};

struct SideResult {
  int tried = 0, blocked = 0, cloud = 0, edge = 0, failed = 0, no_sun = 0;
  std::vector<Station> stations;  // measured widths
  std::vector<Station> censored;  // lower bounds (shadow ran into a pier or another hull)
  int gap_measured = 0;           // of `stations`, measured in the gap between hull and pier/hull
};

struct SideSetup {
  cv::Point2d normal;  // outward, pixel frame
  double gain_px = 0;  // band width (px) per metre of freeboard
  double max_width_px = 0;
  int polarity = -1;  // -1 dark band (shadow side), 0 free (lit hull side)
  int cue = 0;
  double edge_slack_px = 0;  // extra search range of the deck edge (relief displacement)
  // Band width a shaded structure face may add where the band meets a pier or hull (px).
  double face_allowance_px = 0;
  // Share of the band that is the shaded hull side seen off nadir (the rest is the shadow).
  double side_fraction = 0;
};

// Open-water level per band: median over water pixels that are not blocked. Empty when
// there is no water mask.
std::vector<double> WaterLevel(const HullImage& image, const std::vector<const cv::Mat*>& bands) {
  std::vector<double> level;
  if (image.water.empty()) return level;
  std::vector<std::vector<float>> v(bands.size());
  for (int r = 0; r < image.water.rows; r += 2) {
    const uchar* w = image.water.ptr<uchar>(r);
    const uchar* b = image.blocked.empty() ? nullptr : image.blocked.ptr<uchar>(r);
    for (int c = 0; c < image.water.cols; c += 2) {
      if (!w[c] || (b && b[c])) continue;
      for (size_t k = 0; k < bands.size(); ++k) v[k].push_back(bands[k]->ptr<float>(r)[c]);
    }
  }
  if (v.empty() || v[0].size() < 50) return level;
  for (auto& x : v) {
    std::nth_element(x.begin(), x.begin() + x.size() / 2, x.end());
    level.push_back(x[x.size() / 2]);
  }
  return level;
}

// Where the profile ends at a pier, the level after the band must be open water, not more
// shadow: otherwise the band's outer edge was never seen.
bool AfterLevelIsWater(const TwoEdgeFit& fit, const std::vector<double>& water) {
  if (water.size() != fit.levels.size()) return true;
  double off = 0, depth = 0;
  for (size_t c = 0; c < water.size(); ++c) {
    off += std::abs(fit.levels[c][2] - water[c]);
    depth += std::abs(water[c] - fit.levels[c][1]);
  }
  return off < 0.5 * depth;
}

// Share of the open-water signal (all channels) that the shadow band removes.
double ShadowDepth(const TwoEdgeFit& fit) {
  double after = 0, removed = 0;
  for (const auto& l : fit.levels) {
    after += l[2];
    removed += l[2] - l[1];
  }
  return after > 0 ? removed / after : 0.0;
}

// Where a dark band runs from the deck edge (t1) to a bright structure (t3), it may be shadow
// over all of it, or shadow up to t2 and then lit open water (level known) up to t3. Scans
// t2 with the levels before t1 and after t3 and the blur from the two-edge fit, the shadow
// level solved linearly per channel. Returns t2 (t3 when the shadow fills the gap) and its
// 1-sigma from the curvature of chi^2.
struct GapSplit {
  bool ok = false;
  double t1 = kNaN, t2 = kNaN, sigma = kNaN;
  double shadow_depth = 0;  // (water - shadow) / water, summed over channels
};
GapSplit SplitGap(const std::vector<double>& t, const std::vector<std::vector<double>>& values,
                  const TwoEdgeFit& fit, const std::vector<double>& water, double blur_px,
                  double t1_min, double t1_max, double correlation) {
  GapSplit out;
  const size_t nc = values.size();
  if (water.size() != nc || fit.levels.size() != nc) return out;
  const double t3 = fit.edge2_px, s = blur_px;
  auto phi = [](double z) { return 0.5 * std::erfc(-z * M_SQRT1_2); };
  const double step = 0.1;
  const double lo = std::max(t1_min, fit.edge1_px - 2.0);
  const double hi = std::min({t1_max, fit.edge1_px + 2.0, t3});
  const int m1 = static_cast<int>(std::floor((hi - lo) / step)) + 1;
  if (m1 < 1) return out;
  const int m = static_cast<int>(std::floor((t3 - lo) / step)) + 1;
  if (m < 3) return out;
  std::vector<double> p1(t.size()), p2(t.size()), p3(t.size());
  for (size_t i = 0; i < t.size(); ++i) p3[i] = phi((t[i] - t3) / s);
  // Profile chi^2 over t2 (minimised over t1), and the shadow depth at the best t1.
  std::vector<double> chi2(m, std::numeric_limits<double>::infinity()), depth(m, 0.0),
      best_t1(m, kNaN);
  for (int k1 = 0; k1 < m1; ++k1) {
    const double t1 = lo + k1 * step;
    for (size_t i = 0; i < t.size(); ++i) p1[i] = phi((t[i] - t1) / s);
    for (int k = 0; k < m; ++k) {
      const double t2 = lo + k * step;
      if (t2 < t1) continue;
      for (size_t i = 0; i < t.size(); ++i) p2[i] = phi((t[i] - t2) / s);
      double total = 0, water_sum = 0, shadow_sum = 0;
      for (size_t c = 0; c < nc; ++c) {
        const double a = fit.levels[c][0], d = fit.levels[c][2], w = water[c];
        const double var = std::max(fit.noise[c] * fit.noise[c], 1e-10);
        // a (1 - p1) + b (p1 - p2) + w (p2 - p3) + d p3, b solved linearly.
        double sgy = 0, sgg = 0;
        for (size_t i = 0; i < t.size(); ++i) {
          const double g = p1[i] - p2[i];
          const double base = a * (1 - p1[i]) + w * (p2[i] - p3[i]) + d * p3[i];
          sgy += g * (values[c][i] - base);
          sgg += g * g;
        }
        const double b = sgg > 1e-6 ? sgy / sgg : w;
        double sse = 0;
        for (size_t i = 0; i < t.size(); ++i) {
          const double r = values[c][i] - a * (1 - p1[i]) - b * (p1[i] - p2[i]) -
                           w * (p2[i] - p3[i]) - d * p3[i];
          sse += r * r;
        }
        total += sse / var;
        water_sum += w;
        shadow_sum += b;
      }
      if (total < chi2[k]) {
        chi2[k] = total;
        best_t1[k] = t1;
        depth[k] = water_sum > 0 ? (water_sum - shadow_sum) / water_sum : 0.0;
      }
    }
  }
  const int best = static_cast<int>(std::min_element(chi2.begin(), chi2.end()) - chi2.begin());
  if (!std::isfinite(chi2[best])) return out;
  out.t1 = best_t1[best];
  out.t2 = lo + best * step;
  out.shadow_depth = depth[best];
  const int k0 = std::clamp(best, 1, m - 2);
  const double curv = (chi2[k0 + 1] - 2 * chi2[k0] + chi2[k0 - 1]) / (step * step);
  out.sigma = curv > 1e-9 && std::isfinite(curv)
                  ? std::sqrt(2.0 / curv * std::max(1.0, correlation))
                  : kNaN;
  out.ok = std::isfinite(out.sigma);
  return out;
}

SideResult MeasureSide(const HullImage& image, const std::vector<const cv::Mat*>& bands,
                       const Hull& hull, cv::Point2d axis, const SideSetup& side, double gsd_m,
                       const FreeboardOptions& options) {
  const std::vector<double> water_level = WaterLevel(image, bands);
  SideResult result;
  const double half_beam = 0.5 * hull.beam_px;
  const double t1_min = half_beam - std::max(3.0, 0.25 * hull.beam_px) - side.edge_slack_px;
  const double t1_max = half_beam + std::max(3.0, 0.15 * hull.beam_px) + side.edge_slack_px;
  const double t_start = std::max(0.5 * half_beam, half_beam - std::max(5.0, 0.3 * hull.beam_px));
  const double blur0 = EdgeBlurPx(image);
  const double t_end = t1_max + side.max_width_px + 3.0 * blur0 + 4.0;
  const double step = 0.5;
  const int n_samples = static_cast<int>(std::floor((t_end - t_start) / step)) + 1;
  const int half_along = static_cast<int>(std::round(options.along_axis_half_px));
  const double half_span = (0.5 - options.end_skip_fraction) * hull.length_px;
  const int k_stations = std::max(1, options.stations);

  TwoEdgeFitOptions fit_options;
  fit_options.blur_sigma_px = blur0;
  fit_options.blur_sigma_prior_px = 0.3;
  fit_options.first_edge_min_px = t1_min;
  fit_options.first_edge_max_px = t1_max;
  fit_options.min_width_px = 0.25;
  fit_options.max_width_px = side.max_width_px;
  fit_options.grid_step_px = 0.5;
  fit_options.polarity = side.polarity;
  fit_options.sample_correlation = 1.0 / step;
  fit_options.side_fraction = side.side_fraction;

  struct StationProfile {
    double x_px;
    std::vector<double> t;
    std::vector<std::vector<double>> values;
    double t_last;
    bool truncated, hit_block, hit_cloud;
    // Samples continued past a pier/hull (not cloud) for the censored measurement; the
    // first `n_open` of them are the open-water profile above.
    std::vector<double> t_ext;
    std::vector<std::vector<double>> values_ext;
    double t_block = kNaN;
    bool at_structure = false;  // the band can be followed into the pier/hull it meets
  };
  // Past a block, follow the profile this far to find where the dark band ends.
  const double beyond_block_px = 4.0 + 3.0 * blur0;
  std::vector<StationProfile> profiles;
  std::vector<double> t_px;
  std::vector<std::vector<double>> values(bands.size());
  for (int k = 0; k < k_stations; ++k) {
    ++result.tried;
    const double x_px = -half_span + (k + 0.5) * (2.0 * half_span / k_stations);
    const cv::Point2d base = hull.center_px + axis * x_px;
    t_px.clear();
    for (auto& v : values) v.clear();
    std::vector<double> t_ext;
    std::vector<std::vector<double>> values_ext(bands.size());
    bool hit_cloud = false, hit_edge = false, hit_block = false;
    double t_block = kNaN;
    for (int i = 0; i < n_samples; ++i) {
      const double t = t_start + i * step;
      if (hit_block && t > t_block + beyond_block_px) break;
      bool stop = false, blocked_here = false;
      std::vector<double> acc(bands.size(), 0.0);
      for (int d = -half_along; d <= half_along && !stop; ++d) {
        const cv::Point2d q = base + side.normal * t + axis * static_cast<double>(d);
        if (!hit_block && MaskSet(image.blocked, q.x, q.y)) blocked_here = true;
        if (MaskSet(image.cloud, q.x, q.y)) {
          stop = true;
          hit_block = true;
          hit_cloud = true;
          break;
        }
        for (size_t b = 0; b < bands.size(); ++b) {
          const double v = Bilinear(*bands[b], q.x, q.y);
          if (!std::isfinite(v)) {
            stop = true;
            if (!hit_block) hit_edge = true;
            break;
          }
          acc[b] += v;
        }
      }
      if (stop) break;
      if (blocked_here) {
        hit_block = true;
        t_block = t;
      }
      t_ext.push_back(t);
      for (size_t b = 0; b < bands.size(); ++b) {
        values_ext[b].push_back(acc[b] / (2 * half_along + 1));
      }
      if (!hit_block) {
        t_px.push_back(t);
        for (size_t b = 0; b < bands.size(); ++b) values[b].push_back(values_ext[b].back());
      }
    }
    if (hit_cloud) {
      t_ext.clear();
      t_block = kNaN;
    }
    // Need room for the deck edge, a band and some water beyond it (a pier close alongside
    // leaves only the gap: the band is then measured there when it ends before the pier).
    const double t_last = t_px.empty() ? t_start - 1 : t_px.back();
    const double min_room = side.polarity < 0 ? std::max(t1_min + 6.0 + 2 * blur0, half_beam + 2.0)
                                              : t1_max + 3.0 + 2 * blur0;
    const bool at_structure = side.polarity < 0 && std::isfinite(t_block) &&
                              t_ext.size() >= t_px.size() + 4 && t_block > t1_min + 1.0;
    if (t_last < min_room && !at_structure) {
      if (hit_cloud) {
        ++result.cloud;
      } else if (hit_block) {
        ++result.blocked;
      } else if (hit_edge) {
        ++result.edge;
      } else {
        ++result.failed;
      }
      continue;
    }
    profiles.push_back({x_px, t_px, values, t_last, static_cast<int>(t_px.size()) < n_samples,
                        hit_block, hit_cloud, t_ext, values_ext, t_block, at_structure});
  }

  // Pass 1: every station with free levels. Stations whose band meets a pier or hull close
  // alongside are measured by the gap model instead (try_censored below).
  auto pier_close = [&](const StationProfile& pr) {
    return pr.at_structure && !water_level.empty();
  };
  auto options_for = [&](const StationProfile& pr, TwoEdgeFitOptions o) {
    o.first_edge_max_px = std::min(t1_max, pr.t_last - 2.0 - 2.0 * blur0);
    return o;
  };
  std::vector<TwoEdgeFit> fits(profiles.size());
  for (size_t k = 0; k < profiles.size(); ++k) {
    if (pier_close(profiles[k])) continue;
    fits[k] =
        FitTwoEdgeProfile(profiles[k].t, profiles[k].values, options_for(profiles[k], fit_options));
  }
  // Pass 2: a band narrower than ~3 blur sigmas trades width against depth; take the middle
  // level from the well-resolved stations (median, per channel) as a prior there.
  {
    std::vector<std::vector<double>> mids(bands.size());
    for (const auto& f : fits) {
      if (!f.ok || f.width_px < 3.0 * f.blur_sigma_px) continue;
      for (size_t b = 0; b < bands.size(); ++b) mids[b].push_back(f.levels[b][1]);
    }
    if (mids[0].size() >= 5) {
      TwoEdgeFitOptions prior_options = fit_options;
      double spread = 0;
      for (size_t b = 0; b < bands.size(); ++b) {
        auto& m = mids[b];
        std::nth_element(m.begin(), m.begin() + m.size() / 2, m.end());
        const double med = m[m.size() / 2];
        prior_options.middle_level_prior.push_back(med);
        std::vector<double> dev;
        for (double v : m) dev.push_back(std::abs(v - med));
        std::nth_element(dev.begin(), dev.begin() + dev.size() / 2, dev.end());
        spread = std::max(spread, 1.4826 * dev[dev.size() / 2]);
      }
      prior_options.middle_level_prior_sigma = std::max(spread, 1e-3);
      for (size_t k = 0; k < profiles.size(); ++k) {
        if (fits[k].ok && fits[k].width_px >= 3.0 * fits[k].blur_sigma_px) continue;
        if (pier_close(profiles[k])) continue;
        const TwoEdgeFit refit = FitTwoEdgeProfile(profiles[k].t, profiles[k].values,
                                                   options_for(profiles[k], prior_options));
        if (refit.ok) fits[k] = refit;
      }
    }
  }

  // The censored measurement: the band followed into the pier/hull it runs into. Accepted
  // when the band reaches the block and what follows it is not water.
  auto try_censored = [&](const StationProfile& pr) -> bool {
    if (!std::isfinite(pr.t_block) || pr.t_ext.size() < 8) return false;
    TwoEdgeFitOptions o = fit_options;
    o.first_edge_max_px = std::min(t1_max, pr.t_block - 0.5);
    // The band is cut short by the structure: the side's share of it is not known.
    o.side_fraction = 0.0;
    const TwoEdgeFit fit = FitTwoEdgeProfile(pr.t_ext, pr.values_ext, o);
    if (!fit.ok || fit.edge1_px < t1_min - 1.0 || fit.edge1_px > t1_max + 1.0 ||
        fit.edge2_px < pr.t_block - 1.5 * fit.blur_sigma_px - 0.5 ||
        fit.edge2_px + fit.blur_sigma_px > pr.t_ext.back() || !std::isfinite(fit.width_sigma_px) ||
        AfterLevelIsWater(fit, water_level)) {
      return false;
    }
    // Shadow all the way to the structure, or shadow then a strip of lit water?
    const GapSplit split =
        SplitGap(pr.t_ext, pr.values_ext, fit, water_level, blur0, t1_min, t1_max, 1.0 / step);
    // A shadow removes the direct sun: darker than lit water, never darker than black (with
    // a margin for noise in a near-black shadow).
    if (!split.ok || split.shadow_depth < 0.25 || split.shadow_depth > 1.15) return false;
    Station s;
    s.x_m = pr.x_px * gsd_m;
    s.gain_px = side.gain_px;
    s.cue = side.cue;
    s.blur_px = fit.blur_sigma_px;
    // Lit water between shadow and structure, and the bright edge is the structure's (not a
    // shadow's end on its deck): the shadow's end was seen.
    // Where the structure leans away from the hull in the image, its lit face shows between
    // the water and its top edge: the lit water must show before that face.
    if (split.t2 < fit.edge2_px - side.face_allowance_px - std::max(0.75, 3.0 * split.sigma) &&
        fit.edge2_px < pr.t_block + 1.5) {
      // The shadow ends on the water: a measured width.
      s.width_px = split.t2 - split.t1;
      s.sigma_px = std::hypot(split.sigma, fit.edge1_sigma_px);
      ++result.gap_measured;
      result.stations.push_back(s);
      return true;
    }
    // A strip of lit water narrower than the blur (plus a pixel) between the shadow's end and
    // the structure would not have been seen: the band only proves a shadow that reaches
    // to within that strip of the structure.
    const double unresolved_strip_px = 1.0 + 2.0 * fit.blur_sigma_px;
    s.width_px = std::max(0.0, fit.width_px - side.face_allowance_px - unresolved_strip_px);
    s.sigma_px = fit.width_sigma_px;
    result.censored.push_back(s);
    return true;
  };

  // Why a station gave nothing: the profile ran into cloud or a structure, or the fit failed.
  auto count_unmeasured = [&](const StationProfile& pr) {
    if (pr.truncated && pr.hit_cloud) {
      ++result.cloud;
    } else if (pr.truncated && pr.hit_block) {
      ++result.blocked;
    } else {
      ++result.failed;
    }
  };
  for (size_t k = 0; k < profiles.size(); ++k) {
    const TwoEdgeFit& fit = fits[k];
    const StationProfile& pr = profiles[k];
    if (!fit.ok || fit.edge1_px < t1_min - 1.0 || fit.edge1_px > t1_max + 1.0 ||
        fit.edge2_px + 2.0 * fit.blur_sigma_px + 1.0 > pr.t_last ||
        !std::isfinite(fit.width_sigma_px) || fit.width_sigma_px > 0.5 * side.max_width_px ||
        (pr.truncated && !AfterLevelIsWater(fit, water_level))) {
      if (!try_censored(pr)) count_unmeasured(pr);
      continue;
    }
    if (side.polarity < 0 && ShadowDepth(fit) < 0.2) {
      // Direct sun removed already (cloud shadow): no hull shadow to measure.
      ++result.no_sun;
      count_unmeasured(pr);
      continue;
    }
    Station s;
    s.x_m = pr.x_px * gsd_m;
    s.width_px = fit.width_px;
    s.sigma_px = fit.width_sigma_px;
    s.gain_px = side.gain_px;
    s.cue = side.cue;
    s.blur_px = fit.blur_sigma_px;
    s.levels = fit.levels;
    s.noise = fit.noise;
    result.stations.push_back(s);
  }
  return result;
}

struct FusedFit {
  bool ok = false;
  double f = kNaN, sigma = kNaN, trim = 0.0;
  std::vector<bool> used;
};

// The level before the band is the deck at its edge. Where a raised structure reaches the
// deck edge (a manifold, a crossbar, the superstructure) or the deck lies in a structure's
// shadow, the band seen there includes that structure's shadow on the water and is no
// measure of the deck edge's height. Such stations show a deck level unlike the rest of the
// hull's: dropped when it departs from the median by more than four robust sigmas and a
// quarter of the deck-to-band contrast (summed over channels).
int DropStructureStations(std::vector<Station>& st) {
  // Only stations fitted on open water carry their levels; those measured against a pier
  // (the gap model) do not and are neither judged nor counted.
  std::vector<int> judged;
  std::vector<double> deck, band;
  for (int i = 0; i < static_cast<int>(st.size()); ++i) {
    if (st[i].levels.empty()) continue;
    double d = 0, m = 0;
    for (const auto& l : st[i].levels) {
      d += l[0];
      m += l[1];
    }
    judged.push_back(i);
    deck.push_back(d);
    band.push_back(m);
  }
  const int n = static_cast<int>(judged.size());
  if (n < 8) return 0;
  auto median = [](std::vector<double> v) {
    std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
    return v[v.size() / 2];
  };
  const double deck_med = median(deck), band_med = median(band);
  std::vector<double> dev(n);
  for (int k = 0; k < n; ++k) dev[k] = std::abs(deck[k] - deck_med);
  const double limit = std::max(4.0 * 1.4826 * median(dev), 0.25 * std::abs(deck_med - band_med));
  std::vector<bool> drop(st.size(), false);
  int dropped = 0;
  for (int k = 0; k < n; ++k) {
    if (dev[k] > limit) {
      drop[judged[k]] = true;
      ++dropped;
    }
  }
  // Most of the hull must show its deck: otherwise there is no deck level to hold to.
  if (n - dropped < n / 2 || dropped == 0) return 0;
  std::vector<Station> kept;
  for (size_t i = 0; i < st.size(); ++i) {
    if (!drop[i]) kept.push_back(st[i]);
  }
  st.swap(kept);
  return dropped;
}

// A superstructure stands at one end of the hull (the stern; either end while the bow is not
// told). Where the shadows fall along the hull (their axial component), the superstructure at
// the up-sun end casts its shadow along the shadow side too, from that end inwards: there the
// band is the superstructure's shadow, many metres wider than the hull's. Those stations are
// a contiguous run from the up-sun end, each reading well above the down-sun half's median;
// they are dropped. `shadow_axial` is the shadows' direction along the axis (bow-positive).
int DropSuperstructureShadow(std::vector<Station>& st, double shadow_axial) {
  const int n = static_cast<int>(st.size());
  if (n < 12 || std::abs(shadow_axial) < 0.1) return 0;
  const double dir = shadow_axial > 0 ? 1.0 : -1.0;
  std::vector<int> order(n);
  for (int i = 0; i < n; ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](int a, int b) { return st[a].x_m * dir < st[b].x_m * dir; });
  std::vector<double> down;
  for (int i = n / 2; i < n; ++i) {
    const Station& s = st[order[i]];
    down.push_back(s.width_px / s.gain_px);
  }
  std::nth_element(down.begin(), down.begin() + down.size() / 2, down.end());
  const double f_ref = down[down.size() / 2];
  int run = 0;
  while (run < n / 2) {
    const Station& s = st[order[run]];
    const double f = s.width_px / s.gain_px;
    // A superstructure stands several metres above the deck: its shadow reads metres high.
    if (!(f > f_ref + std::max(2.0, 3.0 * s.sigma_px / s.gain_px))) break;
    ++run;
  }
  if (run < 2) return 0;
  std::vector<bool> drop(n, false);
  for (int i = 0; i < run; ++i) drop[order[i]] = true;
  std::vector<Station> kept;
  for (int i = 0; i < n; ++i) {
    if (!drop[i]) kept.push_back(st[i]);
  }
  st.swap(kept);
  return run;
}

// Robust (Huber IRLS + hard rejection) weighted least squares of width = gain*(f + k*x).
FusedFit FuseStations(const std::vector<Station>& st, double length_m, double sys_px) {
  FusedFit out;
  const int n = static_cast<int>(st.size());
  if (n < 3) return out;
  double x_min = 1e300, x_max = -1e300;
  for (const auto& s : st) {
    x_min = std::min(x_min, s.x_m);
    x_max = std::max(x_max, s.x_m);
  }
  const bool fit_trim = n >= 12 && (x_max - x_min) > 0.2 * length_m;
  const int np = fit_trim ? 2 : 1;
  Eigen::MatrixXd a(n, np);
  Eigen::VectorXd y(n), w0(n), rw = Eigen::VectorXd::Ones(n);
  for (int i = 0; i < n; ++i) {
    a(i, 0) = st[i].gain_px;
    if (fit_trim) a(i, 1) = st[i].gain_px * st[i].x_m;
    y[i] = st[i].width_px;
    w0[i] = 1.0 / (st[i].sigma_px * st[i].sigma_px + sys_px * sys_px);
  }
  Eigen::VectorXd p = Eigen::VectorXd::Zero(np);
  {
    // Start from the median of the per-station freeboards.
    std::vector<double> fs(n);
    for (int i = 0; i < n; ++i) fs[i] = y[i] / a(i, 0);
    std::nth_element(fs.begin(), fs.begin() + n / 2, fs.end());
    p[0] = fs[n / 2];
  }
  double scale = 1.0;
  for (int iter = 0; iter < 20; ++iter) {
    Eigen::VectorXd z = (y - a * p).cwiseProduct(w0.cwiseSqrt());
    std::vector<double> absz(n);
    for (int i = 0; i < n; ++i) absz[i] = std::abs(z[i]);
    std::nth_element(absz.begin(), absz.begin() + n / 2, absz.end());
    scale = std::max(1.0, 1.4826 * absz[n / 2]);
    for (int i = 0; i < n; ++i) {
      const double u = std::abs(z[i]) / scale;
      rw[i] = u > 5.0 ? 0.0 : (u <= 1.5 ? 1.0 : 1.5 / u);
    }
    const Eigen::VectorXd w = w0.cwiseProduct(rw);
    const Eigen::MatrixXd h = a.transpose() * w.asDiagonal() * a;
    const Eigen::VectorXd p_new = h.ldlt().solve(a.transpose() * w.asDiagonal() * y);
    if (!p_new.allFinite()) return out;
    const bool done = (p_new - p).norm() < 1e-6;
    p = p_new;
    if (done) break;
  }
  const Eigen::VectorXd w = w0.cwiseProduct(rw);
  int used = 0;
  out.used.resize(n);
  for (int i = 0; i < n; ++i) {
    out.used[i] = rw[i] > 0;
    used += out.used[i] ? 1 : 0;
  }
  if (used < np + 2) return out;
  const Eigen::MatrixXd h = a.transpose() * w.asDiagonal() * a;
  const Eigen::MatrixXd cov = h.ldlt().solve(Eigen::MatrixXd::Identity(np, np));
  const Eigen::VectorXd r = y - a * p;
  double chi2 = 0;
  for (int i = 0; i < n; ++i) chi2 += w[i] * r[i] * r[i];
  chi2 /= std::max(1, used - np);
  out.f = p[0];
  out.trim = fit_trim ? p[1] : 0.0;
  out.sigma = std::sqrt(std::max(0.0, cov(0, 0)) * std::max(1.0, chi2));
  out.ok = std::isfinite(out.f) && std::isfinite(out.sigma);
  return out;
}

// The lit hull side's stations measure one band when their widths agree: an interquartile
// range within what their own errors (1.35 sigma per side of the median, doubled) and a
// quarter of the median width allow. A bimodal set (the deck edge found at the deck's rim on
// some stations and on deck fittings on others) fails.
bool LitStationsAgree(const std::vector<Station>& st) {
  if (st.size() < 8) return true;  // too few to judge; the fit's count check decides
  std::vector<double> w, sig;
  for (const Station& s : st) {
    w.push_back(s.width_px);
    sig.push_back(s.sigma_px);
  }
  std::sort(w.begin(), w.end());
  std::nth_element(sig.begin(), sig.begin() + sig.size() / 2, sig.end());
  const double q25 = w[w.size() / 4], q75 = w[(3 * w.size()) / 4], med = w[w.size() / 2];
  const double iqr = q75 - q25;
  return iqr <= std::max(2.0 * 1.35 * sig[sig.size() / 2], 0.25 * med) + 0.1;
}

// Is the lit side's band a surface of its own, or could it be the blur of one edge between
// deck and water? Blur mixes the two neighbours linearly, so every sample of a single blurred
// edge, and any band fitted into it, has a colour on the line between the deck's and the
// water's. A band narrower than about three blur sigmas trades its width against its level
// (the level moves along the ray from the water's colour through its own, which keeps its
// direction), so its width means something only when that direction leaves the mixing line:
// its colour is its own. A resolved band (wider than three blur sigmas) shows its plateau;
// it must then differ from both neighbours. A deck painted like its hull side shows neither:
// the fit splits the waterline edge into two or puts its first edge anywhere on the deck.
// `min_angle_deg`: the smallest angle off the mixing line (in noise-weighted colour space)
// taken as a colour of its own; the mean over the stations must also stand out of their
// scatter.
bool LitBandIsSeen(const std::vector<Station>& st, double min_angle_deg,
                   double min_resolved_contrast, std::string* why) {
  if (st.empty()) return true;
  const size_t nc = st.front().levels.size();
  if (nc == 0) return true;
  // Noise weights per channel (median over the stations of the fits' residual rms).
  std::vector<double> w(nc, 1.0);
  for (size_t c = 0; c < nc; ++c) {
    std::vector<double> v;
    for (const Station& s : st) {
      if (s.noise.size() == nc && std::isfinite(s.noise[c]) && s.noise[c] > 0) {
        v.push_back(s.noise[c]);
      }
    }
    if (v.empty()) continue;
    std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
    w[c] = 1.0 / std::max(v[v.size() / 2], 1e-6);
  }
  std::vector<double> widths, blurs;
  std::vector<std::vector<double>> perp;  // sin of the angle off the mixing line, as a vector
  std::vector<double> contrast;           // min(|band - deck|, |band - water|) / |deck - water|
  for (const Station& s : st) {
    if (s.levels.size() != nc) continue;
    std::vector<double> e(nc), b(nc);  // deck - water, band - water
    double ee = 0, bb = 0, be = 0, dd = 0;
    for (size_t c = 0; c < nc; ++c) {
      e[c] = w[c] * (s.levels[c][0] - s.levels[c][2]);
      b[c] = w[c] * (s.levels[c][1] - s.levels[c][2]);
      ee += e[c] * e[c];
      bb += b[c] * b[c];
      be += b[c] * e[c];
      dd += (b[c] - e[c]) * (b[c] - e[c]);  // band - deck
    }
    if (!(ee > 0) || !(bb > 0)) continue;
    widths.push_back(s.width_px);
    blurs.push_back(s.blur_px);
    contrast.push_back(std::sqrt(std::min(bb, dd) / ee));
    std::vector<double> r(nc);
    const double a = be / ee, nb = std::sqrt(bb);
    for (size_t c = 0; c < nc; ++c) r[c] = (b[c] - a * e[c]) / nb;
    perp.push_back(std::move(r));
  }
  const size_t n = perp.size();
  if (n < 3) return true;  // too few to judge; the fit's count check decides
  auto median = [](std::vector<double> v) {
    std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
    return v[v.size() / 2];
  };
  const double med_width = median(widths), med_blur = median(blurs);
  std::vector<double> mean(nc, 0.0);
  for (const auto& r : perp) {
    for (size_t c = 0; c < nc; ++c) mean[c] += r[c] / static_cast<double>(n);
  }
  double mm = 0, scatter = 0;
  for (size_t c = 0; c < nc; ++c) mm += mean[c] * mean[c];
  for (const auto& r : perp) {
    for (size_t c = 0; c < nc; ++c) scatter += (r[c] - mean[c]) * (r[c] - mean[c]);
  }
  const double se2 = scatter / (static_cast<double>(n) * static_cast<double>(n - 1));
  const double angle_deg = std::asin(std::min(1.0, std::sqrt(mm))) / kDegToRad;
  // Under the blur of one edge the mean is noise: |mean|^2 ~ se2 per dimension left (nc-1).
  const bool own_colour = angle_deg >= min_angle_deg &&
                          mm >= 9.0 * se2 * static_cast<double>(std::max<size_t>(1, nc - 1));
  const bool resolved = med_width >= 3.0 * med_blur && median(contrast) >= min_resolved_contrast;
  spdlog::debug(
      "freeboard: lit band width {:.2f} px (blur {:.2f}), colour {:.1f} deg off the deck-water "
      "line (mean^2 {:.4f}, se^2 {:.5f}), contrast to its neighbours {:.2f}",
      med_width, med_blur, angle_deg, mm, se2, median(contrast));
  if (own_colour || resolved) return true;
  if (why != nullptr) {
    *why = med_width >= 3.0 * med_blur ? "hull side paint like its deck"
                                       : "hull side below resolution";
  }
  return false;
}

FreeboardEstimate Unobservable(std::string reason, std::vector<CueMeasurement> cues = {}) {
  FreeboardEstimate e;
  e.observable = false;
  e.reason = std::move(reason);
  e.cues = std::move(cues);
  return e;
}

}  // namespace

void FreeboardOptions::Check() const {
  auto bad = [](const std::string& what) { throw InputError("detection.freeboard", "", what); };
  if (!(min_sun_hull_angle_deg >= 0 && min_sun_hull_angle_deg < 90)) {
    bad("min_sun_hull_angle_deg must be in [0, 90)");
  }
  if (stations < 3 || stations > 1000) bad("stations must be in [3, 1000]");
  if (!(max_sigma_m > 0)) bad("max_sigma_m must be > 0");
  if (!(end_skip_fraction >= 0 && end_skip_fraction < 0.5)) {
    bad("end_skip_fraction must be in [0, 0.5)");
  }
  if (!(along_axis_half_px >= 0 && along_axis_half_px <= 20)) {
    bad("along_axis_half_px must be in [0, 20]");
  }
  if (!(min_band_change_px >= 0)) bad("min_band_change_px must be >= 0");
  if (!(lit_min_band_change_px >= 0)) bad("lit_min_band_change_px must be >= 0");
  if (!(lit_min_colour_angle_deg >= 0 && lit_min_colour_angle_deg < 90)) {
    bad("lit_min_colour_angle_deg must be in [0, 90)");
  }
  if (!(lit_min_resolved_contrast >= 0)) bad("lit_min_resolved_contrast must be >= 0");
  if (!(sun_side_min_width_px >= 0)) bad("sun_side_min_width_px must be >= 0");
  if (!(min_valid_stations >= 3)) bad("min_valid_stations must be >= 3");
}

FreeboardEstimate EstimateFreeboard(const HullImage& image, const Hull& hull,
                                    const PixelGeometry& geometry,
                                    const FreeboardOptions& options) {
  options.Check();
  std::vector<const cv::Mat*> bands;
  for (const auto& b : image.bands) {
    if (b.empty()) continue;
    if (b.type() != CV_32FC1) {
      throw Error("detection.freeboard", "", "hull image bands must be CV_32F");
    }
    if (!bands.empty() && b.size() != bands.front()->size()) {
      throw Error("detection.freeboard", "", "hull image bands differ in size");
    }
    bands.push_back(&b);
  }
  if (bands.empty()) return Unobservable("no image");
  if (!(geometry.gsd_m > 0) || !(hull.length_px > 0) || !(hull.beam_px > 0)) {
    return Unobservable("no hull geometry");
  }
  const double e = geometry.sun_elevation_deg * kDegToRad;
  if (!(geometry.sun_elevation_deg > 2.0)) return Unobservable("sun below the horizon");
  if (geometry.sun_elevation_deg > 85.0) return Unobservable("sun near the zenith");

  const cv::Point2d axis = Unit(hull.axis_px);
  const cv::Point2d sun = Unit(geometry.to_sun_px);
  const cv::Point2d relief = Unit(geometry.relief_dir_px);
  const double v = std::clamp(geometry.off_nadir_deg, 0.0, 60.0) * kDegToRad;
  const double sun_hull_deg = std::asin(std::min(1.0, std::abs(Cross(axis, sun)))) / kDegToRad;
  if (sun_hull_deg < options.min_sun_hull_angle_deg) return Unobservable("sun along the hull");

  const double length_m = hull.length_px * geometry.gsd_m;
  const ClassProportions cls = TankerClassProportions(length_m);
  const double range_m = std::isfinite(options.freeboard_range_m)
                             ? options.freeboard_range_m
                             : cls.laden_draft_m - cls.ballast_draft_m;
  const double f_max = PlausibleMaxFreeboard(cls.depth_m);
  const double f_typ = cls.depth_m - 0.5 * (cls.laden_draft_m + cls.ballast_draft_m);

  // Normals: the side facing away from the sun carries the shadow band; the other side
  // shows its lit hull side when it leans towards the sensor.
  cv::Point2d n_shadow(-axis.y, axis.x);
  if (Dot(n_shadow, sun) > 0) n_shadow = -n_shadow;
  const cv::Point2d n_lit = -n_shadow;
  const double cot_e = 1.0 / std::tan(e);
  const double gain_shadow_m =
      cot_e * std::abs(Dot(n_shadow, sun)) - std::tan(v) * Dot(n_shadow, relief);
  const double gain_lit_m = std::tan(v) * (-Dot(n_lit, relief));
  const double gain_shadow_px = gain_shadow_m / geometry.gsd_m;
  const double gain_lit_px = gain_lit_m / geometry.gsd_m;

  std::vector<CueMeasurement> cues(2);
  cues[0].cue = "shadow";
  cues[0].gain = gain_shadow_m;
  cues[1].cue = "hull_side";
  cues[1].gain = std::max(0.0, gain_lit_m);
  const bool use_shadow = gain_shadow_px * range_m >= options.min_band_change_px;
  const bool use_lit = gain_lit_px * range_m >= options.lit_min_band_change_px &&
                       gain_lit_px * f_typ >= options.sun_side_min_width_px;
  if (!use_shadow && !use_lit) return Unobservable("cue below resolution", cues);

  // The hull outline may be the deck as imaged or the waterline: allow for the relief.
  const double slack_px = 0.5 * f_typ * std::tan(v) / geometry.gsd_m;
  std::vector<Station> stations;
  SideResult shadow_side, lit_side;
  if (use_shadow) {
    SideSetup s;
    s.normal = n_shadow;
    s.gain_px = gain_shadow_px;
    s.max_width_px = gain_shadow_px * f_max + 2.0;
    s.polarity = -1;
    s.cue = 0;
    s.edge_slack_px = slack_px;
    s.face_allowance_px = options.max_structure_height_m * std::tan(v) *
                          std::max(0.0, Dot(n_shadow, relief)) / geometry.gsd_m;
    // Leaning away from the sensor's side of it, the deck uncovers the shaded hull side:
    // the band is that side, then the shadow, each with its own level.
    const double side_gain_m = std::max(0.0, -std::tan(v) * Dot(n_shadow, relief));
    s.side_fraction = gain_shadow_m > 0 ? side_gain_m / gain_shadow_m : 0.0;
    shadow_side = MeasureSide(image, bands, hull, axis, s, geometry.gsd_m, options);
    const int off_deck = DropStructureStations(shadow_side.stations);
    if (off_deck > 0) {
      spdlog::debug("freeboard: {} stations see a structure or its shadow at the deck edge",
                    off_deck);
    }
    const int dropped = DropSuperstructureShadow(shadow_side.stations, -Dot(sun, axis));
    if (dropped > 0) {
      spdlog::debug("freeboard: {} stations from the up-sun end read a superstructure's shadow",
                    dropped);
    }
    shadow_side.failed += off_deck + dropped;
    stations.insert(stations.end(), shadow_side.stations.begin(), shadow_side.stations.end());
  }
  if (use_lit) {
    SideSetup s;
    s.normal = n_lit;
    s.gain_px = gain_lit_px;
    s.max_width_px = gain_lit_px * f_max + 2.0;
    s.polarity = 0;
    s.cue = 1;
    s.edge_slack_px = slack_px;
    lit_side = MeasureSide(image, bands, hull, axis, s, geometry.gsd_m, options);
    if (!LitStationsAgree(lit_side.stations)) {
      // Deck and hull paint alike (a red deck over red paint), or deck fittings taken for
      // the deck edge: the stations measure different things. No hull side.
      spdlog::debug("freeboard: lit side stations disagree, not used");
      lit_side.failed += static_cast<int>(lit_side.stations.size());
      lit_side.stations.clear();
    }
    std::string why;
    if (!LitBandIsSeen(lit_side.stations, options.lit_min_colour_angle_deg,
                       options.lit_min_resolved_contrast, &why)) {
      spdlog::debug("freeboard: lit side not used: {}", why);
      lit_side.failed += static_cast<int>(lit_side.stations.size());
      lit_side.stations.clear();
    }
    stations.insert(stations.end(), lit_side.stations.begin(), lit_side.stations.end());
  }
  spdlog::debug(
      "freeboard: shadow side {} stations ({} blocked, {} cloud, {} edge, {} failed); lit side "
      "{} ({} blocked, {} failed); gains {:.2f} {:.2f} px/m",
      shadow_side.stations.size(), shadow_side.blocked, shadow_side.cloud, shadow_side.edge,
      shadow_side.failed, lit_side.stations.size(), lit_side.blocked, lit_side.failed,
      gain_shadow_px, gain_lit_px);
  cues[0].stations = static_cast<int>(shadow_side.stations.size());
  cues[1].stations = static_cast<int>(lit_side.stations.size());

  // Along a hull parallel to the pier the shadow either reaches it or it does not: many
  // stations saying each is a contradiction (a misread gap), not a measurement.
  {
    const int gap_measured = shadow_side.gap_measured;
    const int censored = static_cast<int>(shadow_side.censored.size());
    const int gap_total = gap_measured + censored;
    if (censored > 0 && gap_total >= options.min_valid_stations &&
        std::min(censored, gap_measured) >= std::max(3, gap_total / 4)) {
      return Unobservable("shadow against the pier is ambiguous", cues);
    }
  }
  if (static_cast<double>(stations.size()) < options.min_valid_stations &&
      static_cast<double>(shadow_side.censored.size()) >= options.min_valid_stations) {
    // The shadow runs into the pier or a neighbouring hull along most of the hull: its end
    // is hidden, so the band seen bounds the freeboard from below.
    std::vector<double> fs;
    for (const Station& st : shadow_side.censored) fs.push_back(st.width_px / st.gain_px);
    std::nth_element(fs.begin(), fs.begin() + fs.size() / 2, fs.end());
    const double med = fs[fs.size() / 2];
    std::vector<double> dev;
    for (double f : fs) dev.push_back(std::abs(f - med));
    std::nth_element(dev.begin(), dev.begin() + dev.size() / 2, dev.end());
    const double mad = 1.4826 * dev[dev.size() / 2];
    FreeboardEstimate est = Unobservable("shadow runs into the pier or another hull", cues);
    est.cues[0].stations = static_cast<int>(shadow_side.censored.size());
    est.cues[0].width_m = med * gain_shadow_m;
    est.lower_bound_m = med;
    est.lower_bound_sigma_m =
        std::hypot(mad / std::sqrt(static_cast<double>(fs.size())), 0.15 / gain_shadow_px);
    spdlog::debug("freeboard: censored, f >= {:.2f} m (sigma {:.2f}) from {} stations", med,
                  est.lower_bound_sigma_m, fs.size());
    return est;
  }
  if (static_cast<double>(stations.size()) < options.min_valid_stations) {
    const SideResult& main = use_shadow ? shadow_side : lit_side;
    std::string reason = "too few valid stations";
    if (main.no_sun > main.tried / 2) {
      reason = "no direct sun on the water (cloud shadow)";
    } else if (main.cloud > main.tried / 2) {
      reason = "cloud";
    } else if (main.blocked + main.cloud > main.tried / 2) {
      reason = use_shadow ? "shadow on the pier or another hull" : "hull side blocked";
    } else if (main.edge > main.tried / 2) {
      reason = "hull at the image edge";
    }
    return Unobservable(reason, cues);
  }

  // Systematic width error shared by all stations (PSF shape / sampling model).
  const double sys_px = 0.1;
  const FusedFit fused = FuseStations(stations, length_m, 0.05);
  if (!fused.ok) return Unobservable("freeboard fit failed", cues);
  double sum_w = 0, sum_wg2 = 0;
  std::vector<double> width_sum(2, 0.0);
  std::vector<int> used(2, 0);
  for (size_t i = 0; i < stations.size(); ++i) {
    if (!fused.used[i]) continue;
    const Station& s = stations[i];
    const double w = 1.0 / (s.sigma_px * s.sigma_px + 0.0025);
    sum_w += w;
    sum_wg2 += w * s.gain_px * s.gain_px;
    width_sum[s.cue] += s.width_px * geometry.gsd_m;
    ++used[s.cue];
  }
  for (int c = 0; c < 2; ++c) {
    cues[c].stations = used[c];
    cues[c].width_m = used[c] > 0 ? width_sum[c] / used[c] : 0.0;
  }
  const double gain_eff_px = std::sqrt(sum_wg2 / std::max(sum_w, 1e-30));
  if (!(fused.f > 0.2 && fused.f < f_max)) return Unobservable("implausible freeboard", cues);
  FreeboardEstimate est;
  est.cues = cues;
  est.freeboard_m = fused.f;
  est.trim_m_per_m = fused.trim;
  // The stations' edges should be as sharp as the hull's own edges (blur0): a shadow's
  // penumbra is centimetres. When the fits settle on edges much softer than that (median
  // over the stations used), the profile is not the deck | shadow | water model (a dark deck
  // running into the shadow, a band barely darker than the water) and width and blur trade
  // off: the width is then uncertain by at least the unexplained blur, for every station
  // alike. At 0.5 m the fitted blur stays within 0.1 px of blur0 and this adds nothing; on a
  // 3 m hull whose 1.1 px shadow was fitted as 3 px with a 1.2 px blur it adds 0.75 px.
  std::vector<double> blurs;
  for (size_t i = 0; i < stations.size(); ++i) {
    if (fused.used[i] && std::isfinite(stations[i].blur_px)) blurs.push_back(stations[i].blur_px);
  }
  double blur_excess_px = 0.0;
  if (!blurs.empty()) {
    std::nth_element(blurs.begin(), blurs.begin() + blurs.size() / 2, blurs.end());
    blur_excess_px = std::max(0.0, blurs[blurs.size() / 2] - EdgeBlurPx(image));
  }
  const double model_px = std::hypot(sys_px, blur_excess_px);
  est.sigma_m = std::hypot(fused.sigma, model_px / gain_eff_px);
  if (est.sigma_m > options.max_sigma_m) {
    // Too uncertain at this GSD/geometry: report no value (callers copy freeboard_m).
    est.observable = false;
    est.reason = "cue below resolution";
    est.freeboard_m = kNaN;
    return est;
  }
  est.observable = true;
  spdlog::debug(
      "freeboard: f={:.2f} m sigma={:.2f} m (blur beyond the hull edges' {:.2f} px) shadow "
      "stations {} lit stations {}",
      est.freeboard_m, est.sigma_m, blur_excess_px, cues[0].stations, cues[1].stations);
  return est;
}

}  // namespace bw
