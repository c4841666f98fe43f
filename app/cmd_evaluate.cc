// `berthwatch evaluate --truth truth.json DETECTIONS... [--json OUT]` or
// `berthwatch evaluate --coco coco.json --scene raster.tif DETECTIONS... [--json OUT]`.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "app/commands.h"
#include "detection/detections_io.h"
#include "detection/evaluate.h"
#include "geo/error.h"
#include "geo/scene.h"

namespace bw::app {

RunFn RegisterEvaluate(CLI::App& app) {
  struct Args {
    std::string truth;
    std::string coco;
    std::string scene;
    std::vector<std::string> detections;
    std::string json_out;
    double max_cloud = 0.2;
    bool all_objects = false;
    bool list = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* sub = app.add_subcommand(
      "evaluate",
      "score detections against truth (berthwatch truth.json, or COCO boxes with --scene): "
      "precision/recall, length/heading/bow, freeboard MAE, load-state confusion, calibration");
  sub->add_option("DETECTIONS", args->detections, "detection GeoJSON files or folders of them")
      ->required();
  sub->add_option("--truth", args->truth, "berthwatch truth.json");
  sub->add_option("--coco", args->coco, "COCO JSON with boxes in the scene raster's pixel grid");
  sub->add_option("--scene", args->scene, "the raster the COCO boxes refer to");
  sub->add_option("--json", args->json_out, "also write the evaluation as JSON here");
  sub->add_option("--max-cloud", args->max_cloud,
                  "truth objects with more cloud over them are not scored")
      ->capture_default_str();

  sub->add_flag("--all-objects", args->all_objects,
                "score truth objects anywhere (wide mode), not only those at berths");
  sub->add_flag("--list", args->list,
                "also list each miss, false hull and wrong load state "
                "(truth/measured; in the JSON as \"cases\")");

  return [args]() -> int {
    namespace fs = std::filesystem;
    if (args->truth.empty() == args->coco.empty()) {
      throw InputError("app.evaluate", "", "give exactly one of --truth or --coco");
    }
    std::vector<std::string> files;
    for (const auto& p : args->detections) {
      std::error_code ec;
      if (fs::is_directory(p, ec)) {
        std::set<std::string> found;
        for (const auto& e : fs::directory_iterator(p)) {
          const std::string ext = e.path().extension().string();
          if (ext == ".geojson" || ext == ".json") found.insert(e.path().string());
        }
        files.insert(files.end(), found.begin(), found.end());
      } else if (fs::exists(p, ec)) {
        files.push_back(p);
      } else {
        throw InputError("app.evaluate", p, "no such file or folder");
      }
    }
    std::vector<Detection> dets;
    std::vector<std::string> scene_ids;
    std::map<std::string, double> sun_az;
    for (const auto& f : files) {
      for (auto& s : ReadSceneDetectionsGeoJson(f)) {
        scene_ids.push_back(s.scene_id);
        if (std::isfinite(s.sun_azimuth_deg)) sun_az[s.scene_id] = s.sun_azimuth_deg;
        for (auto& d : s.detections) dets.push_back(std::move(d));
      }
    }
    Evaluation e;
    if (!args->truth.empty()) {
      EvaluateOptions opt;
      opt.max_cloud_fraction = args->max_cloud;
      opt.only_at_berths = !args->all_objects;
      opt.list_cases = args->list;
      e = Evaluate(ReadTruthJson(args->truth), dets, scene_ids, sun_az, opt);
    } else {
      if (args->scene.empty()) {
        throw InputError("app.evaluate", args->coco,
                         "--coco needs --scene RASTER for the pixel grid");
      }
      const Scene scene = Scene::Open(args->scene);
      std::vector<PixelXY> centers;
      for (const auto& d : dets) centers.push_back(scene.pixel_from_lonlat(d.center));
      e = EvaluateCoco(ReadCocoBoxes(args->coco), centers);
    }
    std::fputs(EvaluationToText(e).c_str(), stdout);
    if (args->list && !e.cases.empty()) {
      std::fputs("cases (kind scene vessel berth (lon, lat) truth/measured)\n", stdout);
      std::fputs(EvaluationCasesToText(e).c_str(), stdout);
    }
    if (!args->json_out.empty()) {
      std::ofstream out(args->json_out, std::ios::trunc);
      if (!out) throw Error("app.evaluate", args->json_out, "cannot open for writing");
      out << EvaluationToJson(e) << "\n";
    }
    return 0;
  };
}

}  // namespace bw::app
