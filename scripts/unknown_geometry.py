#!/usr/bin/env python3
"""Which hull side the sensor saw, and how wide, for the berth looks left `unknown`.

usage: python3 scripts/unknown_geometry.py [-v] SEASON OUT [SEASON OUT ...]   (-v: each look)

SEASON is a rendered season (`berthwatch simulate`: truth.json, fleet.csv), OUT the folder
`berthwatch run SEASON ... --out OUT` wrote (detections.geojson). For every detection at a
berth whose load state is `unknown` while truth has the hull empty or full with the sun at
least 25 deg off its axis, it takes the truth geometry (PHYSICS.md) and prints, by side:
- the sensor sees the lit side: its width f * tan(v) * (n_lit . towards the sensor) in px,
  the cue the detector uses there;
- the sensor sees the shaded side (the side facing away from the sun): the shaded hull
  side between deck edge and waterline, f * tan(v) * (n_shadow . towards the sensor) in px.
Stdlib only; the numbers are expectations from truth, not measurements.
"""
import collections
import json
import math
import sys


def rad(a):
    return math.radians(a)


def main(args):
    verbose = bool(args) and args[0] == "-v"
    args = args[1:] if verbose else args
    if len(args) < 2 or len(args) % 2:
        sys.exit(__doc__)
    counts = collections.Counter()
    for season, out in zip(args[::2], args[1::2]):
        truth = json.load(open(f"{season}/truth.json"))
        scenes = {s["scene_id"]: s for s in truth["scenes"]}
        dets = json.load(open(f"{out}/detections.geojson"))["features"]
        for feature in dets:
            p = feature["properties"]
            if not p.get("berth") or p.get("load_state") != "unknown":
                continue
            scene = scenes.get(p["scene_id"])
            if scene is None:
                continue
            objs = [o for o in scene["objects"] if o.get("berth") == p["berth"] and o.get("visible")]
            if not objs or objs[0]["load_state"] not in ("empty", "full"):
                continue
            o = objs[0]
            hull, sun = o["heading_deg"], scene["sun_azimuth_deg"]
            if abs(math.sin(rad(sun - hull))) < math.sin(rad(25)):
                continue
            n_shadow = hull + 90
            if math.cos(rad(n_shadow - sun)) > 0:
                n_shadow += 180
            # > 0: the sensor looks at the shaded side; < 0: at the lit side.
            towards = math.tan(rad(scene["off_nadir_deg"])) * math.cos(
                rad(n_shadow - scene["view_azimuth_deg"]))
            width_px = o["freeboard_m"] * abs(towards) / scene["gsd_m"]
            side = "shaded side seen" if towards > 0 else "lit side seen"
            bucket = "< 1 px" if width_px < 1 else ("1-2 px" if width_px < 2 else ">= 2 px")
            counts[(o["load_state"], side, bucket)] += 1
            if verbose:
                print(f"{p['scene_id']} {p['berth']} {o['load_state']:5s} {side:16s} "
                      f"{width_px:5.2f} px  {p.get('unknown_reason', '')}")
    total = sum(counts.values())
    print(f"{total} unknown looks at truly empty/full hulls, sun >= 25 deg off the axis")
    for key in sorted(k for k, v in counts.items() if v):
        print(f"  {key[0]:5s}  {key[1]:16s}  width {key[2]:7s}  {counts[key]}")


if __name__ == "__main__":
    main(sys.argv[1:])
