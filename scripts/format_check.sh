#!/usr/bin/env bash
# Checks clang-format on the C++ sources changed since BW_FORMAT_BASE (a git revision), or
# on every tracked C++ source when it is unset or unknown.
set -euo pipefail
cd "$(dirname "$0")/.."
base="${BW_FORMAT_BASE:-}"
if [[ -n "$base" ]] && git rev-parse -q --verify "$base^{commit}" >/dev/null; then
  mapfile -t files < <(git diff --name-only --diff-filter=ACMR "$base" -- '*.cc' '*.h')
else
  mapfile -t files < <(git ls-files '*.cc' '*.h')
fi
if ((${#files[@]} == 0)); then echo "format: no C++ sources to check"; exit 0; fi
clang-format --dry-run --Werror "${files[@]}"
echo "format: ${#files[@]} files clean"
