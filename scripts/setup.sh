#!/usr/bin/env bash
# Installs the Debian 12 packages berthwatch needs, only when something is missing.
# Run as root (or with sudo available).
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  libgdal-dev gdal-bin libproj-dev  # GDAL/OGR: rasters, CRSs, GeoJSON, GeoPackage; PROJ geodesics
  libopencv-dev                   # image kernels
  libeigen3-dev                   # least-squares fits
  libtbb-dev                      # parallel tile/scene loops
  libcli11-dev                    # command line
  nlohmann-json3-dev              # JSON (STAC sidecars, scenarios, summaries)
  libspdlog-dev                   # logging
  libxxhash-dev                   # content hash of scene files (scan skips what is stored)
  libgtest-dev libgmock-dev       # tests
  libbenchmark-dev                # benchmarks
  clang-format                    # formatting check
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: all packages present" >&2
fi
