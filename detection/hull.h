// Oriented hull of one vessel candidate and the per-hull imaging inputs the cue estimators
// need. Pixel frame of the window being processed: x right (columns), y down (rows), origin
// at the window's top-left pixel corner.
#pragma once

#include <array>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

namespace bw {

struct Hull {
  cv::Point2d center_px;      // hull centroid (window pixels)
  cv::Point2d axis_px{1, 0};  // unit vector along the hull, towards the bow when
                              // bow_resolved, else an arbitrary one of the two ends
  bool bow_resolved = false;
  double length_px = 0.0;               // waterline/deck length along axis_px
  double beam_px = 0.0;                 // width across the hull
  std::vector<cv::Point2d> outline_px;  // deck outline polygon as imaged (window pixels)
};

// Directions of the acquisition geometry in the window's pixel frame (unit vectors, x right,
// y down), already corrected for grid convergence and pixel aspect: derived by the detector
// from true-north azimuths by transforming points through the scene's georeference.
struct PixelGeometry {
  cv::Point2d to_sun_px;         // horizontal unit vector from the scene towards the sun
  cv::Point2d relief_dir_px;     // unit vector towards A_v + 180 (away from the satellite)
  double sun_elevation_deg = 0;  // e
  double off_nadir_deg = 0;      // v
  double gsd_m = 0;              // metres per pixel (mean)
};

// Normalised imagery around one hull. All mats share the window's size.
struct HullImage {
  std::array<cv::Mat, 4> bands;  // CV_32F R,G,B,NIR reflectance-like (NIR may be empty)
  cv::Mat water;                 // CV_8U, 255 = open water (shadow may be measured there)
  cv::Mat blocked;               // CV_8U, 255 = pier/land/other hull/cloud/nodata
  double psf_sigma_px = 0.6;     // estimated PSF blur (Gaussian sigma, pixels)
  cv::Mat cloud;                 // optional CV_8U, 255 = cloud/haze (part of `blocked`);
                                 // lets the freeboard stage say "cloud" rather than "pier"
};

}  // namespace bw
