#!/usr/bin/env bash
# README command 2: installs what is missing, builds, and runs every test twice: in the release
# build (build/, which also holds build/mxscan) and in an ASan+UBSan build (build-asan/); then the
# engine's and the store's tests (the scanning threads, the writer and their queues) in a
# ThreadSanitizer build (build-tsan/).
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

echo "== ThreadSanitizer build: engine and store tests"
scripts/build.sh build-tsan -DCMAKE_BUILD_TYPE=Debug -DMX_SANITIZE=thread -DMX_BUILD_BENCH=OFF \
  -- test_engine test_store
TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
  ctest --test-dir build-tsan -j"$jobs" --output-on-failure -R '^test_(engine|store):'
