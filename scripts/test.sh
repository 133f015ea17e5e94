#!/usr/bin/env bash
# README command 2: installs what is missing, builds, and runs every test twice: in the release
# build (build/, which also holds build/mxscan) and in an ASan+UBSan build (build-asan/).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
scripts/check-format.sh

jobs=$(nproc)
echo "== release build and tests"
scripts/build.sh build -DCMAKE_BUILD_TYPE=Release
ctest --test-dir build -j"$jobs" --output-on-failure

echo "== ASan+UBSan build and tests"
# -O0: GCC 12 misreports Asio's coroutine frame allocator (-Wmismatched-new-delete) once inlined.
scripts/build.sh build-asan -DCMAKE_BUILD_TYPE=Debug -DMX_SANITIZE=address,undefined \
  -DMX_BUILD_BENCH=OFF
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan -j"$jobs" --output-on-failure
