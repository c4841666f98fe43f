// Ground truth of a planned scenario: truth.json (../shared/CONTRACT.md section 4) with, in
// addition, per visit "imaged" (seen at least once with its berth fully covered and the hull
// clear of cloud) and "clear_observations", per scene "cloud_fraction", per object
// "cloud_fraction", "visible", "status" and "load_fraction", and the tugs and boats of each
// scene under "other_objects".
#pragma once

#include <string>

#include "datasets/plan.h"

namespace bw::datasets {

// Fraction 0..1 of the scene's valid pixels under cloud (opacity > 0.3), on a sample grid.
double SceneCloudFraction(const ScenePlan& scene);

// Writes truth.json. Throws bw::Error when the file cannot be written.
void WriteTruth(const Plan& plan, const std::string& path);

}  // namespace bw::datasets
