#!/usr/bin/env bash
# The main job: install what is missing, build, render the bundled `default` scenario
# (cached in data/default once rendered), then scan + tally + check it and print the
# per-vessel visit table and the check of the reported claim.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh release
bw=build/release/app/berthwatch
data="${BW_DEMO_DIR:-data/default}"
"$bw" simulate --scenario default --out "$data"
"$bw" run "$data/scenes" --terminal "$data/terminal.geojson" --fleet "$data/fleet.csv" \
  --out "$data/out" --claim "visits=43,vessels>12"
