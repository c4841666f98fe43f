#include "detection/lowres.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <string>

#include "geo/crs.h"
#include "geo/error.h"

namespace bw {

void LowResOptions::Check() const {
  auto fail = [](const std::string& what) { throw InputError("detection.lowres", "", what); };
  if (!(gsd_m > 0) || gsd_m > 10000) fail("gsd_m out of (0, 10000]");
  if (!(k_sigma > 0) || k_sigma > 100) fail("k_sigma out of (0, 100]");
  if (!(background_radius_m > 0)) fail("background_radius_m must be > 0");
  if (!(min_length_m > 0) || !(max_length_m > min_length_m)) fail("bad vessel length bounds");
  if (!(max_beam_m > 0)) fail("max_beam_m must be > 0");
  if (!(free_water_outline >= 0 && free_water_outline <= 1))
    fail("free_water_outline must be in [0, 1]");
  if (!(min_resolvable_px >= 1)) fail("min_resolvable_px must be >= 1");
}

bool UseLowResSearch(double gsd_m, double typical_beam_m, double min_beam_px) {
  return gsd_m > 0 && typical_beam_m / gsd_m < min_beam_px;
}

namespace {

// Shape and outline of a set of pixels.
struct Blob {
  double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0, syy = 0, contrast = 0;
  int water = 0, blocked = 0;
  bool truncated = false;
  int x0 = 1 << 30, y0 = 1 << 30, x1 = -1, y1 = -1;
  void Add(int x, int y, double z) {
    n += 1;
    sx += x;
    sy += y;
    sxx += static_cast<double>(x) * x;
    sxy += static_cast<double>(x) * y;
    syy += static_cast<double>(y) * y;
    contrast += z;
    x0 = std::min(x0, x);
    y0 = std::min(y0, y);
    x1 = std::max(x1, x);
    y1 = std::max(y1, y);
  }
};

LowResVessel Measure(const Blob& b, double gsd) {
  LowResVessel v;
  const double mx = b.sx / b.n, my = b.sy / b.n;
  const double cxx = b.sxx / b.n - mx * mx, cyy = b.syy / b.n - my * my,
               cxy = b.sxy / b.n - mx * my;
  const double tr = 0.5 * (cxx + cyy);
  const double det = std::sqrt(std::max(0.0, 0.25 * (cxx - cyy) * (cxx - cyy) + cxy * cxy));
  const double l1 = tr + det, l2 = std::max(0.0, tr - det);
  const double theta = 0.5 * std::atan2(2 * cxy, cxx - cyy);
  v.center_px = {mx + 0.5, my + 0.5};
  v.axis_px = {std::cos(theta), std::sin(theta)};
  // A run of n pixels has variance (n^2 - 1) / 12 along it.
  v.length_px = std::sqrt(12.0 * l1 + 1.0);
  v.beam_px = std::max(std::sqrt(12.0 * l2 + 1.0), b.n / v.length_px);
  v.length_m = v.length_px * gsd;
  v.beam_m = v.beam_px * gsd;
  v.area_px = b.n;
  v.contrast_sigma = b.contrast / b.n;
  const int outline = b.water + b.blocked;
  v.water_outline = outline > 0 ? static_cast<double>(b.water) / outline : 0.0;
  v.truncated = b.truncated;
  v.bbox = cv::Rect(b.x0, b.y0, b.x1 - b.x0 + 1, b.y1 - b.y0 + 1);
  return v;
}

}  // namespace

std::vector<LowResVessel> FindLowResVessels(const ImagingResult& img, const LowResOptions& o) {
  o.Check();
  std::vector<LowResVessel> out;
  const double gsd = o.gsd_m;
  if (o.max_length_m / gsd < o.min_resolvable_px) return out;  // no vessel spans enough pixels
  const int w = img.valid.cols, h = img.valid.rows;
  if (w == 0 || h == 0) return out;
  const bool nir = img.has_nir && !img.bands[3].empty() && !img.ndwi.empty();
  const int nb = nir ? 4 : 3;
  cv::Mat usable = img.valid.clone();
  if (!img.cloud.empty()) usable &= ~img.cloud;
  // 1. Water.
  cv::Mat water;
  if (nir) {
    // McFeeters: open water reflects more green than near infrared (NDWI > 0). The scene's
    // Otsu split can sit well above that in a port scene, where it would count rough or
    // turbid water as objects.
    cv::compare(img.ndwi, 0.0, water, cv::CMP_GT);
    water &= usable;
  } else {
    water = img.water & usable;
  }
  const int n_water = cv::countNonZero(water);
  if (n_water < 64) return out;
  // 2. Local water background and noise per band; the departure in noise sigmas.
  const int r = std::max(4, static_cast<int>(std::lround(o.background_radius_m / gsd)));
  const int min_count = std::max(16, (2 * r + 1) * (2 * r + 1) / 20);
  const int stride = std::max(1, static_cast<int>(std::sqrt(n_water / 2e5)));
  cv::Mat z = cv::Mat::zeros(h, w, CV_32F);
  std::vector<float> res;
  for (int b = 0; b < nb; ++b) {
    const cv::Mat& band = img.bands[b];
    const float level = MaskedPercentile(band, water, 50.0, stride);
    const cv::Mat bg = MaskedBoxMean(band, water, r, min_count, level, 512, 1);
    res.clear();
    for (int y = 0; y < h; y += stride) {
      const float* v = band.ptr<float>(y);
      const float* g = bg.ptr<float>(y);
      const uchar* m = water.ptr<uchar>(y);
      for (int x = 0; x < w; x += stride)
        if (m[x]) res.push_back(v[x] - g[x]);
    }
    float sigma = MadSigma(res);
    if (!std::isfinite(sigma) || sigma < 1e-4f) sigma = 1e-4f;
    // The false alarm rate is held constant where the water is rougher than the window's
    // typical water (waves, wind streaks, glint): the local RMS of the water residuals,
    // each clipped at k sigmas so that a few vessel pixels read as water do not inflate it.
    const float clip = static_cast<float>(o.k_sigma) * sigma;
    cv::Mat sq(h, w, CV_32F);
    for (int y = 0; y < h; ++y) {
      const float* v = band.ptr<float>(y);
      const float* g = bg.ptr<float>(y);
      float* q = sq.ptr<float>(y);
      for (int x = 0; x < w; ++x) {
        const float d = std::min(std::fabs(v[x] - g[x]), clip);
        q[x] = d * d;
      }
    }
    const cv::Mat local_var = MaskedBoxMean(sq, water, r, min_count, sigma * sigma, 512, 1);
    for (int y = 0; y < h; ++y) {
      const float* v = band.ptr<float>(y);
      const float* g = bg.ptr<float>(y);
      const float* lv = local_var.ptr<float>(y);
      float* zz = z.ptr<float>(y);
      for (int x = 0; x < w; ++x) {
        const float s = std::max(sigma, std::sqrt(std::max(lv[x], 0.0f)));
        zz[x] = std::max(zz[x], std::fabs(v[x] - g[x]) / s);
      }
    }
  }
  cv::Mat obj;
  cv::compare(z, o.k_sigma, obj, cv::CMP_GT);
  obj &= usable;
  // 3. Components; outline of a pixel set: its 4-neighbours outside the set that are water
  //    (usable, not object) or not (object of another set, nodata, cloud, window edge).
  cv::Mat comp;
  const int nc = cv::connectedComponents(obj, comp, 8, CV_32S);
  if (nc <= 1) return out;
  // Measured extents include about a pixel of blur.
  const double min_len_px = std::max(o.min_length_m / gsd + 1.0, 2.0);
  const double max_len_px = o.max_length_m / gsd, max_beam_px = o.max_beam_m / gsd + 1.0;
  auto fits = [&](const LowResVessel& v) {
    return v.length_px >= min_len_px && v.length_px <= max_len_px && v.beam_px <= max_beam_px;
  };
  // label(x, y) -> the set a pixel belongs to; -1 outside any.
  auto accumulate = [&](const cv::Mat& label, int n) {
    std::vector<Blob> blobs(n);
    const int dx[4] = {1, -1, 0, 0}, dy[4] = {0, 0, 1, -1};
    for (int y = 0; y < h; ++y) {
      const int* l = label.ptr<int>(y);
      const float* zz = z.ptr<float>(y);
      for (int x = 0; x < w; ++x) {
        if (l[x] < 0) continue;
        Blob& b = blobs[l[x]];
        b.Add(x, y, zz[x]);
        for (int k = 0; k < 4; ++k) {
          const int xx = x + dx[k], yy = y + dy[k];
          if (xx < 0 || yy < 0 || xx >= w || yy >= h) {
            ++b.blocked;
            b.truncated = true;
            continue;
          }
          const int ln = label.at<int>(yy, xx);
          if (ln == l[x]) continue;
          if (!img.valid.at<uchar>(yy, xx)) {
            ++b.blocked;
            b.truncated = true;
          } else if (ln >= 0 || !usable.at<uchar>(yy, xx) || obj.at<uchar>(yy, xx)) {
            ++b.blocked;
          } else {
            ++b.water;
          }
        }
      }
    }
    return blobs;
  };
  cv::Mat comp_label = comp - 1;  // background -> -1
  const std::vector<Blob> comps = accumulate(comp_label, nc - 1);
  for (int i = 0; i < nc - 1; ++i) {
    // At least a pixel per pixel of the smallest vessel's measured length.
    if (comps[i].n < min_len_px) continue;
    const LowResVessel v = Measure(comps[i], gsd);
    // Land, piers and whatever is moored along them are not surrounded by water.
    if (fits(v) && v.water_outline >= o.free_water_outline) out.push_back(v);
  }
  std::sort(out.begin(), out.end(), [](const LowResVessel& a, const LowResVessel& b) {
    return a.bbox.y != b.bbox.y ? a.bbox.y < b.bbox.y : a.bbox.x < b.bbox.x;
  });
  spdlog::debug("detection.lowres: {} components, {} vessels", nc - 1, out.size());
  return out;
}

Detection LowResDetection(const Scene& scene, const SceneDetections& header, const PixelWindow& win,
                          const LowResVessel& v) {
  Detection d;
  d.scene_id = header.scene_id;
  d.datetime = header.datetime;
  d.vessel_class = "vessel";
  d.truncated = v.truncated;
  const auto to_ll = [&](cv::Point2d p) {
    return scene.lonlat_from_pixel(PixelXY{p.x + win.x0, p.y + win.y0});
  };
  const cv::Point2d a = v.axis_px, nrm(-a.y, a.x);
  const cv::Point2d c = v.center_px;
  d.center = to_ll(c);
  const double hl = 0.5 * v.length_px, hb = 0.5 * v.beam_px;
  for (const cv::Point2d& p :
       {c + a * hl + nrm * hb, c - a * hl + nrm * hb, c - a * hl - nrm * hb, c + a * hl - nrm * hb})
    d.hull_lonlat.push_back(to_ll(p));
  d.hull_lonlat.push_back(d.hull_lonlat.front());
  const LonLat bow = to_ll(c + a * hl), stern = to_ll(c - a * hl);
  d.length_m = GeodesicDistanceM(stern, bow);
  d.beam_m = GeodesicDistanceM(to_ll(c - nrm * hb), to_ll(c + nrm * hb));
  d.heading_deg = std::fmod(std::fmod(GeodesicAzimuthDeg(stern, bow), 360.0) + 360.0, 180.0);
  d.load_state = LoadState::kUnknown;
  d.confidence = 0.0;
  d.unknown_reason = "hull below resolution";
  // How far the pixels stand out of the water: 0 at the threshold, 1 at 5x it.
  d.detection_score = std::clamp((v.contrast_sigma / 6.0 - 1.0) / 4.0, 0.0, 1.0);
  return d;
}

}  // namespace bw
