// From a Scenario to an explicit plan: the terminal layout, the fleet, the berth visits and
// every scene (as a ScenePlan ready to render) with the truth of each hull in it. Planning is
// cheap (no pixels) and deterministic for a scenario + seed.
#pragma once

#include <string>
#include <vector>

#include "datasets/render.h"
#include "datasets/scenario.h"
#include "geo/crs.h"
#include "geo/types.h"

namespace bw::datasets {

struct BerthPlan {
  std::string name;
  Polygon2 polygon;            // scene CRS metres
  Vec2 center;                 // centre of the berth polygon
  double axis_grid_deg = 0.0;  // grid azimuth of the pier axis (seaward)
  int side = 1;                // +1 starboard of the pier axis, -1 port
  double pier_offset_m = 0.0;  // distance of the berthing line from the pier axis
};

struct VisitPlan {
  int vessel = 0;  // index into Plan::fleet
  int berth = 0;   // index into Plan::berths
  TimePoint arrive{};
  TimePoint depart{};
  bool arrive_full = false;
  bool depart_full = true;
  bool bow_seaward = true;
  double shift_m = 0.0;  // along the berth, from its centre
};

// Truth of one hull of a ScenePlan (same index as ScenePlan::hulls).
struct HullTruth {
  int vessel = -1;  // fleet index; -1 for non-fleet hulls
  int visit = -1;   // visit index when moored on a visit
  std::string berth;
  std::string status;  // moored | anchored | underway
  double load_fraction = 0.0;
};

struct PlannedScene {
  ScenePlan plan;
  std::vector<HullTruth> truth;
};

struct Plan {
  Scenario scenario;
  std::string crs;  // "EPSG:326zz"
  double grid_from_true_deg = 0.0;
  Vec2 terminal_center;
  std::vector<BerthPlan> berths;
  Polygon2 pier;
  std::vector<Polygon2> land;
  std::vector<Prism> structures;
  std::vector<HullInstance> fleet;   // template per vessel (draft set per scene)
  std::vector<VisitPlan> visits;     // sorted by arrival
  std::vector<PlannedScene> scenes;  // sorted by time
};

// Throws InputError when the scenario cannot be planned (e.g. visits do not fit).
Plan BuildPlan(const Scenario& scenario);

// Load fraction 0..1 of a visit's vessel at time t (arrival state before loading starts,
// departure state after it ends).
double LoadFractionAt(const VisitPlan& visit, TimePoint t);

// "empty" (< 0.25), "full" (> 0.75) or "partial".
std::string LoadState(double load_fraction);

// Draft of a fleet vessel at a load fraction.
double DraftAt(const HullInstance& vessel, double load_fraction, double ballast_draft_m);

// Scene CRS metres <-> lon/lat for a plan.
// Not thread-safe: one instance per thread.
class PlanGeo {
 public:
  explicit PlanGeo(const std::string& crs);
  LonLat ToLonLat(Vec2 p) const;
  Vec2 FromLonLat(LonLat p) const;

 private:
  CrsTransform to_lonlat_;
  CrsTransform from_lonlat_;
};

}  // namespace bw::datasets
