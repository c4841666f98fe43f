#!/usr/bin/env bash
# build.sh TYPE: configures and builds into build/TYPE (release | asan | bench).
set -euo pipefail
cd "$(dirname "$0")/.."
type="${1:-release}"
jobs="${BW_JOBS:-$(nproc)}"
case "$type" in
  release) flags=(-DCMAKE_BUILD_TYPE=Release) ;;
  # -O1 -g1: quick to compile, fast enough to run, line numbers in sanitizer reports.
  asan) flags=(-DCMAKE_BUILD_TYPE=None "-DCMAKE_CXX_FLAGS=-O1 -g1" -DBW_SANITIZE=ON) ;;
  bench) flags=(-DCMAKE_BUILD_TYPE=Release -DBW_BUILD_BENCH=ON) ;;
  *) echo "build.sh: unknown build type '$type' (release|asan|bench)" >&2; exit 2 ;;
esac
cmake -S . -B "build/$type" -G Ninja "${flags[@]}" >/dev/null
cmake --build "build/$type" -j "$jobs"
