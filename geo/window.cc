#include "geo/window.h"

#include <ogr_api.h>
#include <ogr_geometry.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

#include "geo/error.h"

namespace bw {

namespace {

constexpr const char* kStage = "geo.window";

std::unique_ptr<OGRPolygon> ToOgr(const std::vector<std::vector<PixelXY>>& rings) {
  auto poly = std::make_unique<OGRPolygon>();
  for (const auto& ring : rings) {
    auto r = std::make_unique<OGRLinearRing>();
    for (const auto& p : ring) r->addPoint(p.x, p.y);
    r->closeRings();
    poly->addRingDirectly(r.release());
  }
  return poly;
}

}  // namespace

const char* ToString(Coverage coverage) {
  switch (coverage) {
    case Coverage::kNone:
      return "none";
    case Coverage::kPartial:
      return "partial";
    case Coverage::kFull:
      return "full";
  }
  return "?";
}

void WindowOptions::Check() const {
  if (!std::isfinite(margin_m) || margin_m < 0.0) {
    throw Error(kStage, "", "margin_m must be a finite, non-negative number of metres");
  }
}

std::vector<std::vector<PixelXY>> PolygonToPixels(const Scene& scene, const LonLatPolygon& p) {
  std::vector<std::vector<PixelXY>> out;
  out.reserve(p.rings.size());
  for (const auto& ring : p.rings) {
    std::vector<PixelXY> r;
    r.reserve(ring.size());
    for (const auto& ll : ring) r.push_back(scene.pixel_from_lonlat(ll));
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<BerthWindow> ComputeBerthWindows(const Scene& scene, const Terminal& terminal,
                                             const WindowOptions& options) {
  options.Check();
  const double w = scene.width(), h = scene.height();
  OGRPolygon raster_rect;
  {
    auto ring = std::make_unique<OGRLinearRing>();
    ring->addPoint(0, 0);
    ring->addPoint(w, 0);
    ring->addPoint(w, h);
    ring->addPoint(0, h);
    ring->addPoint(0, 0);
    raster_rect.addRingDirectly(ring.release());
  }
  const double margin_x_px = options.margin_m / scene.gsd_x_m();
  const double margin_y_px = options.margin_m / scene.gsd_y_m();
  const int bw = options.align_to_blocks ? scene.block_width() : 1;
  const int bh = options.align_to_blocks ? scene.block_height() : 1;

  std::vector<BerthWindow> out;
  for (const TerminalFeature* berth : terminal.berths()) {
    BerthWindow bwin;
    bwin.berth = berth->name;
    bwin.polygon_px = PolygonToPixels(scene, berth->polygon);
    bool finite = !bwin.polygon_px.empty();
    double min_x = std::numeric_limits<double>::max(), min_y = min_x;
    double max_x = std::numeric_limits<double>::lowest(), max_y = max_x;
    for (const auto& ring : bwin.polygon_px) {
      for (const auto& p : ring) {
        if (!std::isfinite(p.x) || !std::isfinite(p.y)) finite = false;
        min_x = std::min(min_x, p.x);
        max_x = std::max(max_x, p.x);
        min_y = std::min(min_y, p.y);
        max_y = std::max(max_y, p.y);
      }
    }
    if (!finite) {
      spdlog::debug("berth '{}' cannot be transformed into scene '{}'", berth->name, scene.id());
      out.push_back(std::move(bwin));
      continue;
    }
    // Share of the berth's area inside the raster (pixel space is affine to the CRS, so area
    // ratios carry over).
    const auto poly = ToOgr(bwin.polygon_px);
    const double area = poly->get_Area();
    double inside = 0.0;
    if (area > 0.0 && poly->Intersects(&raster_rect)) {
      std::unique_ptr<OGRGeometry> inter(poly->Intersection(&raster_rect));
      if (inter != nullptr) {
        const auto type = wkbFlatten(inter->getGeometryType());
        if (type == wkbPolygon || type == wkbMultiPolygon || type == wkbGeometryCollection) {
          inside = OGR_G_Area(OGRGeometry::ToHandle(inter.get()));
        }
      }
    }
    bwin.covered_fraction = area > 0.0 ? std::clamp(inside / area, 0.0, 1.0) : 0.0;
    if (bwin.covered_fraction >= 1.0 - 1e-9) {
      bwin.coverage = Coverage::kFull;
      bwin.covered_fraction = 1.0;
    } else if (bwin.covered_fraction > 0.0) {
      bwin.coverage = Coverage::kPartial;
    } else {
      bwin.coverage = Coverage::kNone;
    }
    if (bwin.coverage != Coverage::kNone) {
      int x0 = static_cast<int>(std::floor(std::max(0.0, min_x - margin_x_px)));
      int y0 = static_cast<int>(std::floor(std::max(0.0, min_y - margin_y_px)));
      int x1 = static_cast<int>(std::ceil(std::min(w, max_x + margin_x_px)));
      int y1 = static_cast<int>(std::ceil(std::min(h, max_y + margin_y_px)));
      x0 = (x0 / bw) * bw;
      y0 = (y0 / bh) * bh;
      x1 = std::min(scene.width(), ((x1 + bw - 1) / bw) * bw);
      y1 = std::min(scene.height(), ((y1 + bh - 1) / bh) * bh);
      bwin.window = {x0, y0, x1 - x0, y1 - y0};
    }
    out.push_back(std::move(bwin));
  }
  return out;
}

}  // namespace bw
