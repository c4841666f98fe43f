#!/usr/bin/env bash
# eval_seasons.sh [options] SEED...: the whole job on rendered seasons, scored against truth.
#
# For each seed: renders the scenario once (cached in WORK/SCENARIO_sSEED, reused while its
# truth.json is there), runs `berthwatch run` with the scenario's terminal and fleet into
# WORK/TAG/SCENARIO_sSEED, scores the detections with `berthwatch evaluate --list`, and prints
# one row per seed: detection counts, recall, median length error, freeboard MAE, unknown
# share, confident states right, visits found / truth's visits imaged. The full evaluation
# (misses, false hulls, wrong states) is left in WORK/TAG/SCENARIO_sSEED.eval.txt.
# This is how the closing notes' "berth seasons" rows are measured:
#   bash scripts/eval_seasons.sh 2 3 7 11 13            # seeds 11 and 13 are held out
#   bash scripts/eval_seasons.sh --bin /tmp/old/berthwatch --tag old 2 3 7 11 13
#
# Options:
#   --bin PATH       berthwatch binary (default build/release/app/berthwatch, built if missing)
#   --work DIR       cache and output folder (default data/eval; data/ is not committed)
#   --tag NAME       name of this run's output folder under WORK (default: the git revision)
#   --scenario NAME  scenario to render (default `default`)
#   --set K=V        scenario override passed to `simulate` (repeatable; part of the cache key)
#   --threads N      threads for simulate and run (default: all cores)
set -euo pipefail
caller="$PWD"
repo="$(cd "$(dirname "$0")/.." && pwd)"

bin=""
work=""
tag=""
scenario=default
threads="$(nproc)"
sets=()
seeds=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --bin) bin="$2"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    --tag) tag="$2"; shift 2 ;;
    --scenario) scenario="$2"; shift 2 ;;
    --set) sets+=("$2"); shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
    -*) echo "eval_seasons.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    *)
      if ! [[ "$1" =~ ^[0-9]+$ ]]; then
        echo "eval_seasons.sh: '$1' is not a seed (a non-negative integer)" >&2
        exit 2
      fi
      seeds+=("$1"); shift ;;
  esac
done
if [[ ${#seeds[@]} -eq 0 ]]; then
  echo "eval_seasons.sh: give at least one seed (see --help)" >&2
  exit 2
fi
# Paths given on the command line are the caller's; the defaults are the repository's.
absolute() { [[ "$1" == /* ]] && echo "$1" || echo "$caller/$1"; }
if [[ -z "$bin" ]]; then
  bin="$repo/build/release/app/berthwatch"
  [[ -x "$bin" ]] || bash "$repo/scripts/build.sh" release
else
  bin="$(absolute "$bin")"
fi
if [[ ! -x "$bin" ]]; then
  echo "eval_seasons.sh: '$bin' is not an executable" >&2
  exit 2
fi
if [[ -z "$work" ]]; then work="$repo/data/eval"; else work="$(absolute "$work")"; fi
cd "$repo"
if [[ -z "$tag" ]]; then
  tag="$(git rev-parse --short HEAD 2>/dev/null || echo run)"
  git diff --quiet HEAD 2>/dev/null || tag="${tag}-dirty"
fi

# Overrides are part of the render's name, so that a cached render is never reused for
# another scenario variant.
variant=""
set_args=()
for kv in "${sets[@]+"${sets[@]}"}"; do
  set_args+=(--set "$kv")
  variant+="_$(printf '%s' "$kv" | tr -c 'A-Za-z0-9.=-' '_')"
done

mkdir -p "$work/$tag"
printf '%-28s %-10s %7s %8s %13s %8s %14s %10s\n' season "TP/FP/FN" recall "len_med" \
  "fb_MAE(n)" unknown "confident_ok" visits
status=0
for seed in "${seeds[@]}"; do
  name="${scenario}_s${seed}${variant}"
  data="$work/$name"
  if [[ ! -f "$data/truth.json" ]]; then
    rm -rf "$data"
    if ! "$bin" simulate --scenario "$scenario" --seed "$seed" "${set_args[@]+"${set_args[@]}"}" \
      --threads "$threads" --out "$data" >"$work/$name.simulate.log" 2>&1; then
      echo "eval_seasons.sh: simulate failed for seed $seed (see $work/$name.simulate.log)" >&2
      status=1
      continue
    fi
  fi
  out="$work/$tag/$name"
  rm -rf "$out"
  fleet=()
  [[ -f "$data/fleet.csv" ]] && fleet=(--fleet "$data/fleet.csv")
  if ! "$bin" run "$data" --terminal "$data/terminal.geojson" "${fleet[@]+"${fleet[@]}"}" \
    --threads "$threads" --out "$out" >"$out.run.log" 2>&1; then
    echo "eval_seasons.sh: run failed for seed $seed (see $out.run.log)" >&2
    status=1
    continue
  fi
  if ! "$bin" evaluate --truth "$data/truth.json" "$out/detections.geojson" --list \
    --json "$out.eval.json" >"$out.eval.txt" 2>&1; then
    echo "eval_seasons.sh: evaluate failed for seed $seed (see $out.eval.txt)" >&2
    status=1
    continue
  fi
  python3 - "$out.eval.json" "$out/summary.json" "$data/truth.json" "$name" <<'EOF'
import json, sys
ev, summary, truth, name = sys.argv[1:5]
e = json.load(open(ev))
s = json.load(open(summary))
t = json.load(open(truth))

def get(key, default=None):
    return default if e.get(key) is None else e[key]

def fmt(x, f):
    return "n/a" if x is None else f % x

tp = get("true_positives", default=0)
fp = get("false_positives", default=0)
fn = get("false_negatives", default=0)
conf_n = get("confident_n", default=0)
conf_ok = get("confident_right")
imaged = sum(1 for v in t.get("visits", []) if v.get("imaged"))
fb = get("freeboard_mae_m")
fb_n = get("freeboard_n", default=0)
lm = get("median_length_error_frac")
print("%-28s %-10s %7s %8s %13s %8s %14s %10s" % (
    name, "%d/%d/%d" % (tp, fp, fn), fmt(get("recall"), "%.3f"),
    fmt(None if lm is None else 100 * lm, "%.2f%%"),
    "%s (%d)" % (fmt(fb, "%.3f"), fb_n), fmt(get("unknown_fraction"), "%.3f"),
    "%s of %d" % (fmt(conf_ok, "%.3f"), conf_n),
    "%d / %d" % (s.get("visits", -1), imaged)))
EOF
done
echo "outputs: $work/$tag (per season: run log, evaluation text and JSON)"
exit "$status"
