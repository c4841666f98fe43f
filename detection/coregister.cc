#include "detection/coregister.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "detection/candidate.h"

namespace bw {

void ShiftRings(std::vector<std::vector<PixelXY>>& rings, double dx, double dy) {
  for (auto& ring : rings) {
    for (auto& p : ring) {
      p.x += dx;
      p.y += dy;
    }
  }
}

PolygonShift EstimatePolygonShift(const cv::Mat& brightness, const cv::Mat& valid,
                                  const std::vector<std::vector<std::vector<PixelXY>>>& rings,
                                  const PixelWindow& win, int max_shift_px, double min_gain) {
  PolygonShift out;
  const int w = brightness.cols, h = brightness.rows;
  const int m = max_shift_px;
  if (m < 1 || w <= 2 * m + 4 || h <= 2 * m + 4 || rings.empty()) return out;
  // Where the polygons lie (unshifted): an outside point must be outside all of them.
  cv::Mat inside = cv::Mat::zeros(h, w, CV_8U);
  for (const auto& r : rings) detail::FillPolygons(inside, r, win);
  // Points 1.5 px inside and outside the outlines, every pixel along them.
  std::vector<cv::Point> in_pts, out_pts;
  const auto usable = [&](cv::Point q) {
    return q.x >= m && q.y >= m && q.x < w - m && q.y < h - m;
  };
  for (const auto& polygon : rings) {
    for (const auto& ring : polygon) {
      for (size_t i = 0; i + 1 < ring.size(); ++i) {
        // Window pixel coordinates with pixel centres at integers.
        const cv::Point2d a(ring[i].x - win.x0 - 0.5, ring[i].y - win.y0 - 0.5);
        const cv::Point2d b(ring[i + 1].x - win.x0 - 0.5, ring[i + 1].y - win.y0 - 0.5);
        const double len = cv::norm(b - a);
        if (!(len > 1e-9)) continue;
        const cv::Point2d u = (b - a) / len, n(-u.y, u.x);
        for (double t = 0.5; t < len; t += 1.0) {
          const cv::Point2d p = a + u * t;
          cv::Point p1(static_cast<int>(std::lround(p.x + 1.5 * n.x)),
                       static_cast<int>(std::lround(p.y + 1.5 * n.y)));
          cv::Point p2(static_cast<int>(std::lround(p.x - 1.5 * n.x)),
                       static_cast<int>(std::lround(p.y - 1.5 * n.y)));
          if (!usable(p1) || !usable(p2)) continue;
          const bool in1 = inside.at<uchar>(p1) != 0, in2 = inside.at<uchar>(p2) != 0;
          if (in1 == in2) continue;  // an outline shared with another land polygon
          if (in2) std::swap(p1, p2);
          in_pts.push_back(p1);
          out_pts.push_back(p2);
        }
      }
    }
  }
  const int n = static_cast<int>(in_pts.size());
  out.samples = n;
  if (n < 50) return out;
  const int side = 2 * m + 1;
  std::vector<double> score(static_cast<size_t>(side * side), -1e300);
  double sd0 = 0;
  for (int sy = -m; sy <= m; ++sy) {
    for (int sx = -m; sx <= m; ++sx) {
      double sum = 0, sum2 = 0;
      int used = 0;
      for (int k = 0; k < n; ++k) {
        const cv::Point pi = in_pts[static_cast<size_t>(k)] + cv::Point(sx, sy);
        const cv::Point po = out_pts[static_cast<size_t>(k)] + cv::Point(sx, sy);
        if (!valid.at<uchar>(pi) || !valid.at<uchar>(po)) continue;
        const double d = static_cast<double>(brightness.at<float>(pi)) - brightness.at<float>(po);
        sum += d;
        sum2 += d * d;
        ++used;
      }
      if (used < n / 2) continue;
      const double mean = sum / used;
      score[static_cast<size_t>((sy + m) * side + sx + m)] = mean;
      if (sx == 0 && sy == 0) sd0 = std::sqrt(std::max(0.0, sum2 / used - mean * mean));
    }
  }
  const auto at = [&](int sx, int sy) {
    return score[static_cast<size_t>((sy + m) * side + sx + m)];
  };
  int bx = 0, by = 0;
  for (int sy = -m; sy <= m; ++sy) {
    for (int sx = -m; sx <= m; ++sx) {
      if (at(sx, sy) > at(bx, by)) {
        bx = sx;
        by = sy;
      }
    }
  }
  const double s0 = at(0, 0), best = at(bx, by);
  if (!(s0 > -1e299) || !(sd0 > 0)) return out;
  out.contrast = best;
  out.gain = (best - s0) / (sd0 / std::sqrt(static_cast<double>(n)));
  if (bx == 0 && by == 0) return out;
  if (std::abs(bx) == m || std::abs(by) == m || !(best > 0) || out.gain < min_gain) return out;
  // Sub-pixel: a parabola through the best and its neighbours along each axis.
  const auto vertex = [](double a, double b, double c) {
    if (!(a > -1e299) || !(c > -1e299)) return 0.0;  // a neighbour with too few valid points
    const double den = a - 2 * b + c;
    return den < 0 ? std::clamp(0.5 * (a - c) / den, -0.5, 0.5) : 0.0;
  };
  out.dx = bx + vertex(at(bx - 1, by), best, at(bx + 1, by));
  out.dy = by + vertex(at(bx, by - 1), best, at(bx, by + 1));
  out.applied = true;
  return out;
}

}  // namespace bw
