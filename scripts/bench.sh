#!/usr/bin/env bash
# Builds the opt-in benchmarks and runs them: the kernel microbenchmarks, then the
# end-to-end benchmark (renders the `wide` and `default` scenarios once into data/bench).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh bench
if [[ -x build/bench/bench/berthwatch_micro_bench ]]; then
  build/bench/bench/berthwatch_micro_bench --benchmark_counters_tabular=true
fi
build/bench/bench/berthwatch_e2e_bench --cli build/bench/app/berthwatch --work data/bench \
  --threads "${BW_BENCH_THREADS:-2}" "$@"
