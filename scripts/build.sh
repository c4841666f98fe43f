#!/usr/bin/env bash
# build.sh TYPE: configures and builds into build/TYPE (release | asan | bench).
set -euo pipefail
cd "$(dirname "$0")/.."
type="${1:-release}"
jobs="${BW_JOBS:-$(nproc)}"
case "$type" in
  release) flags=(-DCMAKE_BUILD_TYPE=Release) ;;
  asan) flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DBW_SANITIZE=ON) ;;
  bench) flags=(-DCMAKE_BUILD_TYPE=Release -DBW_BUILD_BENCH=ON) ;;
  *) echo "build.sh: unknown build type '$type' (release|asan|bench)" >&2; exit 2 ;;
esac
cmake -S . -B "build/$type" -G Ninja "${flags[@]}" >/dev/null
cmake --build "build/$type" -j "$jobs"
