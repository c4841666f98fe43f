// Detections as a GeoJSON FeatureCollection (RFC 7946, lon/lat): one Feature per hull, its
// oriented hull polygon as geometry and the contract's properties (scene_id, datetime, berth,
// length_m, beam_m, heading_deg, freeboard_m, load_fraction, load_state, confidence,
// vessel_id) plus extras. Unknown numbers are written as null.
#pragma once

#include <string>
#include <vector>

#include "detection/detection.h"

namespace bw {

// The FeatureCollection text for the detections of several scenes.
std::string DetectionsToGeoJson(const std::vector<SceneDetections>& scenes);
// Throws Error naming the file when it cannot be written.
void WriteDetectionsGeoJson(const std::string& path, const std::vector<SceneDetections>& scenes);

// Reads detections written by WriteDetectionsGeoJson (or any FeatureCollection with the
// contract's properties; point or polygon geometry). Throws InputError naming the file.
std::vector<Detection> ReadDetectionsGeoJson(const std::string& path);

// The scenes a file was made from (the foreign member "scenes": scene_id, datetime, gsd and
// sun/sensor angles, berth views), with their detections. Files without that member give
// one entry per scene_id seen in the features.
std::vector<SceneDetections> ReadSceneDetectionsGeoJson(const std::string& path);

}  // namespace bw
