#!/usr/bin/env bash
# Fails when a C++ file of ours is not formatted as .clang-format (clang-format 14) says.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.cpp' '*.hpp')
clang-format --dry-run -Werror "${files[@]}"
echo "check-format: ${#files[@]} files formatted"
