// Detection-internal: what the berth path (detector.cc) and the wide path (wide.cc) share —
// pixel/polygon helpers and the step from one hull candidate to one Detection (geometry in
// lon/lat, registry name, hull cues -> freeboard -> load). Not a public header.
#pragma once

#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "detection/detection.h"
#include "detection/hulls.h"
#include "geo/fleet.h"
#include "geo/scene.h"
#include "geo/window.h"
#include "imaging/imaging.h"

namespace bw::detail {

// Unit vector in scene pixels pointing towards a true-north azimuth at `where` (pixels).
cv::Point2d PixelDirection(const Scene& scene, PixelXY where, double azimuth_deg);

// Fills scene-pixel polygon rings (even-odd: holes cut out) into a mask of window `w`.
void FillPolygons(cv::Mat& mask, const std::vector<std::vector<PixelXY>>& rings,
                  const PixelWindow& w);

// Signed distance (pixels, > 0 inside) from `p` to the outer ring; -1e30 without one.
double PolygonSignedDistance(const std::vector<std::vector<PixelXY>>& rings, cv::Point2d p);

// |a - b| folded into [0, 90] for axes (degrees).
double AngleDiff180(double a, double b);

// Draws one hull (its fitted outline and its component) into `mask`, whose top-left pixel is
// window pixel `origin`.
void DrawHull(cv::Mat& mask, const HullCandidate& c, cv::Point origin = {0, 0});
// Every candidate's DrawHull, to block other hulls in each hull's cue image.
cv::Mat DrawHulls(const std::vector<HullCandidate>& cands, cv::Size window);

// Berth `bw` as imaged in window `win` (maps `img`): the share of its polygon with data and
// under cloud, and whether the view is clear enough to see a tanker there (`v.coverage`
// already set). False, `v` untouched, when the polygon misses the window.
bool MeasureBerthView(const BerthWindow& bw, const PixelWindow& win, const ImagingResult& img,
                      double max_cloud_fraction_for_clear, BerthView& v);

struct CandidateContext {
  const Scene* scene = nullptr;
  const SceneDetections* header = nullptr;  // ids, time, GSD, sun and view angles
  const Fleet* fleet = nullptr;             // may be null
  bool have_sun = false;
};

// The Detection for candidate `c` found in window `win` (imaging maps `img`, all hull
// masks `all_hulls`), at `berth` (empty when none).
Detection BuildDetection(const CandidateContext& ctx, const ImagingResult& img,
                         const PixelWindow& win, const HullFitOptions& ho, const HullCandidate& c,
                         const cv::Mat& all_hulls, const std::string& berth);

}  // namespace bw::detail
