#include "detection/lowres.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
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
  if (!(max_puff_elongation >= 0)) fail("max_puff_elongation must be >= 0 (0: off)");
  if (!(cloud_reflectance > 0 && cloud_reflectance <= 1.5))
    fail("cloud_reflectance out of (0, 1.5]");
  if (!(moored_water_outline >= 0 && moored_water_outline <= 1))
    fail("moored_water_outline must be in [0, 1]");
  if (!(min_moored_beam_m > 0) || !(min_moored_beam_m <= max_beam_m))
    fail("min_moored_beam_m must be in (0, max_beam_m]");
  if (!(min_moored_elongation >= 1)) fail("min_moored_elongation must be >= 1");
  if (!(max_alongside_deg > 0 && max_alongside_deg <= 90))
    fail("max_alongside_deg must be in (0, 90]");
  if (!(quay_contrast > 0 && quay_contrast < 1)) fail("quay_contrast must be in (0, 1)");
  if (!(quay_contrast_sigma >= 0)) fail("quay_contrast_sigma must be >= 0");
  if (!(quay_ring_m > 0)) fail("quay_ring_m must be > 0");
  if (!(max_quay_ndvi >= -1 && max_quay_ndvi <= 1)) fail("max_quay_ndvi must be in [-1, 1]");
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

// Vessels moored along quays and piers (step 5 of the header). `z` is the departure from the
// water (noise sigmas); `free_vessel` marks the vessels already found in open water.
void FindMoored(const ImagingResult& img, const LowResOptions& o, bool nir, const cv::Mat& z,
                const cv::Mat& free_vessel, std::vector<LowResVessel>* out) {
  const int w = img.valid.cols, h = img.valid.rows;
  const double gsd = o.gsd_m;
  const int nb = nir ? 4 : 3;
  const double min_len_px = std::max(o.min_length_m / gsd + 1.0, 2.0);
  const double max_len_px = o.max_length_m / gsd;
  const double max_beam_px = o.max_beam_m / gsd + 1.0;
  const int dx[4] = {1, -1, 0, 0}, dy[4] = {0, 0, 1, -1};
  // Water: what does not depart from the local water, whatever the cloud mask says (at 10 m
  // it takes white roofs and concrete for cloud, and cutting them out would break the land
  // into pieces as small as a hull) and whatever the NDWI says (water in a cloud's shadow or
  // under haze can reflect as much near infrared as green). Dark pockets of land (shadows,
  // dark roofs) can be as dark as the water: a harbour basin is at least as large as the
  // longest vessel is long, squared.
  cv::Mat departs;
  cv::compare(z, o.k_sigma, departs, cv::CMP_GT);
  cv::Mat water = img.valid & ~departs;
  {
    cv::Mat wl, stats, centroids;
    const int nw = cv::connectedComponentsWithStats(water, wl, stats, centroids, 4, CV_32S);
    std::vector<uchar> keep(nw, 0);
    for (int i = 1; i < nw; ++i)
      keep[i] = stats.at<int>(i, cv::CC_STAT_AREA) >= max_len_px * max_len_px ? 255 : 0;
    for (int y = 0; y < h; ++y) {
      const int* l = wl.ptr<int>(y);
      uchar* m = water.ptr<uchar>(y);
      for (int x = 0; x < w; ++x) m[x] = keep[l[x]];
    }
  }
  // Land: the rest (quays, piers, breakwaters, and the hulls moored along them), but the
  // vessels found in open water. A hull moored alongside is one non-water area with its quay
  // at 10 m, as wide as the quay. It lies within a beam of the water, and hull paint is darker in
  // the near infrared than the concrete and asphalt of a quay (without NIR: in brightness). The
  // quay's level is the local mean of that edge zone along half the longest vessel, taken
  // again without the pixels the first mean finds dark, so that hulls do not lower it.
  const cv::Mat& level = nir ? img.bands[3] : img.brightness;
  cv::Mat land = img.valid & ~water & ~free_vessel;
  cv::Mat dist, zone;
  cv::distanceTransform(~water, dist, cv::DIST_L2, cv::DIST_MASK_PRECISE);
  cv::compare(dist, max_beam_px, zone, cv::CMP_LE);
  zone &= land & departs;
  const int r = std::max(2, static_cast<int>(std::lround(0.5 * max_len_px)));
  const int min_count = static_cast<int>(std::ceil(max_len_px));
  cv::Mat quay = MaskedBoxMean(level, zone, r, min_count, 0.0f, 512, 1);
  const cv::Mat bright = level >= (1.0 - o.quay_contrast) * quay;
  quay = MaskedBoxMean(level, zone & bright, r, min_count, 0.0f, 512, 1);
  cv::Mat dark = level < (1.0 - o.quay_contrast) * quay;
  dark &= zone & (quay > 0);
  // The shore's own pixels mix land with water and are as dark, in a band as wide as the
  // blur (a pixel or two); a grey hull is spectrally such a mix too. Only its width tells a
  // hull: dark bands narrower than the narrowest hull searched for are the mixed edges (of
  // the shore, and of hulls against the water), and so are pixel-wide necks between hulls
  // moored bow to stern.
  cv::Mat hull, thin;
  const int k = std::max(1, static_cast<int>(std::ceil(o.min_moored_beam_m / gsd)));
  cv::morphologyEx(dark, hull, cv::MORPH_OPEN,
                   cv::getStructuringElement(cv::MORPH_RECT, cv::Size(k, k)));
  thin = dark & ~hull;
  land &= ~dark;
  cv::Mat label;
  const int n = cv::connectedComponents(hull, label, 8, CV_32S);
  if (n <= 1) return;
  // Cloud is wider than any hull: the mask's white roofs and concrete pieces narrower than
  // the widest beam go with an opening that wide. A narrower piece is still cloud when it
  // floats, i.e. when most of its outline is water (a roof is on land).
  const int d = 2 * static_cast<int>(std::ceil(0.5 * max_beam_px)) + 1;
  const cv::Mat disc = cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(d, d));
  cv::Mat cloud = cv::Mat::zeros(h, w, CV_8U);
  if (!img.cloud.empty()) {
    cv::morphologyEx(img.cloud, cloud, cv::MORPH_OPEN, disc);
    cv::Mat cl;
    const int nc = cv::connectedComponents(img.cloud, cl, 8, CV_32S);
    std::vector<int> wet(nc, 0), dry(nc, 0);
    for (int y = 0; y < h; ++y) {
      const int* l = cl.ptr<int>(y);
      for (int x = 0; x < w; ++x) {
        if (!l[x]) continue;
        for (int q = 0; q < 4; ++q) {
          const int xx = x + dx[q], yy = y + dy[q];
          if (xx < 0 || yy < 0 || xx >= w || yy >= h || cl.at<int>(yy, xx)) continue;
          ++(water.at<uchar>(yy, xx) ? wet : dry)[l[x]];
        }
      }
    }
    for (int y = 0; y < h; ++y) {
      const int* l = cl.ptr<int>(y);
      uchar* c = cloud.ptr<uchar>(y);
      for (int x = 0; x < w; ++x)
        if (l[x] && wet[l[x]] >= dry[l[x]]) c[x] = 255;
    }
  }
  // Near a cloud neither the quay's level nor the water's can be trusted (shadows, edges).
  cv::Mat near_cloud;
  cv::dilate(cloud, near_cloud, disc);
  struct Part {
    Blob blob;
    Blob quay;  // the land pixels it touches
    bool near_cloud = false;
  };
  std::vector<Part> parts(n - 1);
  for (int y = 0; y < h; ++y) {
    const int* l = label.ptr<int>(y);
    for (int x = 0; x < w; ++x) {
      if (l[x] == 0) continue;
      Part& p = parts[l[x] - 1];
      p.blob.Add(x, y, z.at<float>(y, x));
      if (near_cloud.at<uchar>(y, x)) p.near_cloud = true;
      for (int q = 0; q < 4; ++q) {
        const int xx = x + dx[q], yy = y + dy[q];
        if (xx < 0 || yy < 0 || xx >= w || yy >= h || !img.valid.at<uchar>(yy, xx)) {
          ++p.blob.blocked;
          p.blob.truncated = true;
        } else if (label.at<int>(yy, xx) == l[x]) {
          continue;
        } else if (thin.at<uchar>(yy, xx)) {
          ++p.blob.water;  // the hull's own edge, mixed with the water
        } else if (water.at<uchar>(yy, xx) && (!nir || img.ndwi.at<float>(yy, xx) > 0)) {
          ++p.blob.water;  // a hull floats: water by the NDWI too, not only dark (shadow)
        } else {
          ++p.blob.blocked;
          if (land.at<uchar>(yy, xx)) p.quay.Add(xx, yy, 0.0f);
        }
      }
    }
  }
  const int ring = std::max(1, static_cast<int>(std::lround(o.quay_ring_m / gsd)));
  const cv::Mat ring_se =
      cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * ring + 1, 2 * ring + 1));
  const double min_along = std::cos(o.max_alongside_deg * M_PI / 180.0);
  for (int i = 0; i < n - 1; ++i) {
    const Part& p = parts[i];
    if (p.blob.n < min_len_px || p.quay.n < 3 || p.near_cloud) continue;
    const LowResVessel v = Measure(p.blob, gsd);
    if (v.length_px < min_len_px || v.length_px > max_len_px || v.beam_px > max_beam_px ||
        v.length_px < o.min_moored_elongation * v.beam_px ||
        v.water_outline < o.moored_water_outline)
      continue;
    // Moored alongside: the land it touches is a line along its axis (the side of a quay or
    // pier), narrower across than the hull. Land on two or more sides is a recess or a
    // dark roof among buildings.
    const LowResVessel side = Measure(p.quay, gsd);
    if (std::fabs(side.axis_px.dot(v.axis_px)) < min_along || side.beam_px >= v.beam_px) continue;
    // Its spectrum departs from the quay's next to it, by more than that quay's own texture,
    // and the quay is paved: concrete and asphalt, not the vegetation of a natural shore.
    const cv::Rect box =
        (v.bbox + cv::Point(-ring, -ring) + cv::Size(2 * ring, 2 * ring)) & cv::Rect(0, 0, w, h);
    const cv::Mat mine = label(box) == i + 1;
    cv::Mat near;
    cv::dilate(mine, near, ring_se);
    near &= land(box);
    if (cv::countNonZero(near) < 3) continue;
    double contrast = 0, contrast_sigma = 0;
    std::array<double, 4> quay_mean{};
    for (int b = 0; b < nb; ++b) {
      cv::Scalar mean_p, sd_p, mean_q, sd_q;
      cv::meanStdDev(img.bands[b](box), mean_p, sd_p, mine);
      cv::meanStdDev(img.bands[b](box), mean_q, sd_q, near);
      quay_mean[b] = mean_q[0];
      const double diff = std::fabs(mean_p[0] - mean_q[0]);
      contrast = std::max(contrast, diff / std::max(mean_q[0], 1e-4));
      contrast_sigma = std::max(contrast_sigma, diff / std::max(sd_q[0], 1e-4));
    }
    const double ndvi =
        nir ? (quay_mean[3] - quay_mean[0]) / std::max(quay_mean[3] + quay_mean[0], 1e-4) : 0.0;
    if (contrast < o.quay_contrast || contrast_sigma < o.quay_contrast_sigma ||
        ndvi > o.max_quay_ndvi)
      continue;
    out->push_back(v);
  }
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
  std::array<cv::Mat, 4> backgrounds;  // the local water per band (the cloud-puff test)
  for (int b = 0; b < nb; ++b) {
    const cv::Mat& band = img.bands[b];
    const float level = MaskedPercentile(band, water, 50.0, stride);
    const cv::Mat bg = MaskedBoxMean(band, water, r, min_count, level, 512, 1);
    backgrounds[b] = bg;
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
  // A small cumulus puff over the water is as large as a hull at this resolution and escapes
  // the cloud mask (its opening is wider than any beam, so that decks stay out of it). It is
  // compact where a hull is long (rendered 10 m scenes: false vessels' length/beam median 1.8,
  // hulls' 4.5), and its spectrum is the water's mixed with grey cloud: the per-band
  // opacities (departure / (cloud - water)) agree as closely as the imaging cloud mask's
  // growth test asks (CloudOpacitiesAgree). Paint raises one or two bands more than the
  // others: the compact white-and-grey boats in the Sentinel-2 ports spread 0.07-0.38 in
  // opacity over their bands, the rendered puffs' bands agree within 0.01-0.07.
  std::vector<std::array<double, 8>> spectra;  // per label: sum of departure and water per band
  if (o.max_puff_elongation > 0) {
    spectra.assign(nc, {});
    for (int y = 0; y < h; ++y) {
      const int* l = comp.ptr<int>(y);
      for (int x = 0; x < w; ++x) {
        if (l[x] == 0) continue;
        for (int b = 0; b < nb; ++b) {
          const float g = backgrounds[b].at<float>(y, x);
          spectra[l[x]][b] += img.bands[b].at<float>(y, x) - g;
          spectra[l[x]][4 + b] += g;
        }
      }
    }
  }
  auto CloudPuff = [&](int label, const LowResVessel& v) {
    if (o.max_puff_elongation <= 0 || v.length_px >= o.max_puff_elongation * v.beam_px)
      return false;
    double amin = 1e30, amax = -1e30, asum = 0;
    for (int b = 0; b < nb; ++b) {
      const double d = spectra[label][b] / v.area_px, g = spectra[label][4 + b] / v.area_px;
      const double a = d / std::max(o.cloud_reflectance - g, 0.05);
      amin = std::min(amin, a);
      amax = std::max(amax, a);
      asum += a;
    }
    const double amean = asum / nb;
    const bool puff =
        amean >= 0.04 && CloudOpacitiesAgree(static_cast<float>(amin), static_cast<float>(amax),
                                             static_cast<float>(amean));
    spdlog::debug(
        "detection.lowres: compact blob at ({:.0f},{:.0f}) L/B {:.2f}, opacities {:.3f}-{:.3f}: "
        "{}",
        v.center_px.x, v.center_px.y, v.length_px / v.beam_px, amin, amax,
        puff ? "a cloud puff" : "kept");
    return puff;
  };
  std::vector<uchar> is_free(nc, 0);  // by component label
  for (int i = 0; i < nc - 1; ++i) {
    // At least a pixel per pixel of the smallest vessel's measured length.
    if (comps[i].n < min_len_px) continue;
    const LowResVessel v = Measure(comps[i], gsd);
    // Land, piers and whatever is moored along them are not surrounded by water.
    if (fits(v) && v.water_outline >= o.free_water_outline && !CloudPuff(i + 1, v)) {
      out.push_back(v);
      is_free[i + 1] = 255;
    }
  }
  if (o.moored) {
    cv::Mat free_vessel(h, w, CV_8U);
    for (int y = 0; y < h; ++y) {
      const int* l = comp.ptr<int>(y);
      uchar* f = free_vessel.ptr<uchar>(y);
      for (int x = 0; x < w; ++x) f[x] = is_free[l[x]];
    }
    const size_t n_free = out.size();
    FindMoored(img, o, nir, z, free_vessel, &out);
    spdlog::debug("detection.lowres: {} moored vessels", out.size() - n_free);
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
