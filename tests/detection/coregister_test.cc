// Co-registration of land polygons with the image: a pier drawn a few pixels off its polygon.
#include "detection/coregister.h"

#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

namespace bw {
namespace {

// A bright L-shaped pier (a jetty from the shore) on dark water with noise, drawn at offset
// (ox, oy) px from where its polygon says; the window is the whole image at scene (100, 50).
struct Drawn {
  cv::Mat brightness, valid;
  std::vector<std::vector<std::vector<PixelXY>>> rings;
  PixelWindow win{100, 50, 400, 300};
};

Drawn DrawPier(double ox, double oy, float step) {
  Drawn d;
  d.brightness = cv::Mat(d.win.height, d.win.width, CV_32F);
  cv::randn(d.brightness, 500, 20);
  d.valid = cv::Mat(d.win.height, d.win.width, CV_8U, cv::Scalar(255));
  // Scene-pixel polygon (pixel corners); drawn shifted, anti-aliased at 1/16 px.
  const std::vector<PixelXY> ring = {{140, 60},    {172.5, 60}, {172.5, 250.5}, {420.2, 250.5},
                                     {420.2, 283}, {140, 283},  {140, 60}};
  std::vector<cv::Point> pts;
  for (const auto& p : ring) {
    pts.emplace_back(static_cast<int>(std::lround((p.x - d.win.x0 + ox - 0.5) * 16)),
                     static_cast<int>(std::lround((p.y - d.win.y0 + oy - 0.5) * 16)));
  }
  cv::Mat pier = cv::Mat::zeros(d.brightness.size(), CV_32F);
  cv::fillPoly(pier, std::vector<std::vector<cv::Point>>{pts}, cv::Scalar(step), cv::LINE_AA, 4);
  cv::GaussianBlur(pier, pier, cv::Size(0, 0), 0.6);
  d.brightness += pier;
  d.rings = {{ring}};
  return d;
}

TEST(EstimatePolygonShift, FindsThePierWhereTheImageHasIt) {
  for (auto [ox, oy] :
       std::vector<std::pair<double, double>>{{3.0, -2.0}, {-4.5, 1.5}, {0.6, 5.2}}) {
    const Drawn d = DrawPier(ox, oy, 1500);
    const PolygonShift s = EstimatePolygonShift(d.brightness, d.valid, d.rings, d.win, 12);
    ASSERT_TRUE(s.applied) << ox << "," << oy;
    EXPECT_NEAR(s.dx, ox, 0.35) << ox << "," << oy;
    EXPECT_NEAR(s.dy, oy, 0.35) << ox << "," << oy;
    EXPECT_GT(s.gain, 10);
    EXPECT_GT(s.samples, 500);
  }
}

TEST(EstimatePolygonShift, KeepsPolygonsThatFitOrThatNothingConfirms) {
  // In place: nothing to move.
  const Drawn fit = DrawPier(0.0, 0.0, 1500);
  EXPECT_FALSE(EstimatePolygonShift(fit.brightness, fit.valid, fit.rings, fit.win, 12).applied);
  // No pier in the image (all water): whatever maximum the noise has is not significant.
  const Drawn none = DrawPier(3.0, -2.0, 0);
  EXPECT_FALSE(EstimatePolygonShift(none.brightness, none.valid, none.rings, none.win, 12).applied);
  // Further off than the search reaches: no shift rather than a wrong one at its edge.
  const Drawn far = DrawPier(20.0, 0.0, 1500);
  EXPECT_FALSE(EstimatePolygonShift(far.brightness, far.valid, far.rings, far.win, 6).applied);
}

TEST(ShiftRings, MovesEveryPoint) {
  std::vector<std::vector<PixelXY>> rings = {{{1, 2}, {3, 4}}, {{5, 6}}};
  ShiftRings(rings, 0.5, -1.0);
  EXPECT_DOUBLE_EQ(rings[0][1].x, 3.5);
  EXPECT_DOUBLE_EQ(rings[1][0].y, 5.0);
}

}  // namespace
}  // namespace bw
