#!/usr/bin/env bash
# Runs one libFuzzer target (or every one) for a while under ASan+UBSan, starting from its seed
# corpus, and prints what it did.
#
# Usage: scripts/fuzz.sh TARGET SECONDS      TARGET: a parser name (policy_list) or fuzz_<name>
#        scripts/fuzz.sh all SECONDS         every tests/fuzz/fuzz_*.cpp in turn
#        scripts/fuzz.sh list                the target names
#
# - Builds build-fuzz/ first when needed (clang-14, -DMX_BUILD_FUZZERS=ON, ASan+UBSan; ninja only
#   rebuilds what changed). MX_FUZZ_BUILD_DIR picks another tree; MX_FUZZ_BUILD=0 skips the build.
# - Fuzzes a copy of tests/fuzz/corpus/<name>/ in a temporary directory, so the seed corpus in the
#   repository never grows by itself; MX_FUZZ_KEEP=DIR keeps the grown corpus in DIR/<name>/
#   (pick a few interesting inputs from it by hand, e.g. with -merge=1 into an empty directory).
# - Passes -max_len suited to the target, -timeout=25 (a slower input is a finding: a hang),
#   -print_final_stats=1 and any MX_FUZZ_ARGS (e.g. MX_FUZZ_ARGS=-jobs=2).
# - A crash, leak, broken property (abort), timeout or out-of-memory input lands in
#   tests/fuzz/crashes/<name>-crash-<sha1> (git-ignored); replay it with
#   build-fuzz/fuzz/fuzz_<name> FILE, then add it to the seed corpus with its fix.
# - Ends with one line per target: seconds, executions, exec/s, cov and ft (libFuzzer's edge and
#   feature counts at the end), corpus files before and after, and findings. The log of each run
#   stays in $TMPDIR/mxscan-fuzz-<name>.log. Exit status: 0 when no target found anything.
#
# Be polite on shared machines: nice -n 19 scripts/fuzz.sh all 600
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=1

build_dir=${MX_FUZZ_BUILD_DIR:-build-fuzz}
crash_dir=$root/tests/fuzz/crashes
log_dir=${TMPDIR:-/tmp}

usage() {
  sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

all_targets() {
  local file
  for file in tests/fuzz/fuzz_*.cpp; do
    file=${file##*/fuzz_}
    printf '%s\n' "${file%.cpp}"
  done
}

# Inputs longer than a peer can make us hold are not worth the fuzzer's time: the caps each
# parser enforces, or a size that covers every structure of its format.
max_len() {
  case $1 in
    smtp_reply) echo 70000 ;;  # a greeting past the 64 KiB cap of a reply
    certificate | policy_list | queue | mta_sts_policy) echo 16384 ;;
    notify) echo 8192 ;;
    dns_response | ehlo | tlsa_match) echo 4096 ;;
    report_escape) echo 2048 ;;
    mta_sts_txt | tlsrpt_txt | challenge_record) echo 1024 ;;
    https_url) echo 512 ;;
    rfc3339) echo 256 ;;
    *) echo 4096 ;;
  esac
}

build() {
  [[ ${MX_FUZZ_BUILD:-1} == 0 ]] && return 0
  mkdir -p "$build_dir"
  # One build at a time in the tree, for fuzzing runs started side by side.
  (
    flock 9
    if ! grep -q '^MX_BUILD_FUZZERS:BOOL=ON' "$build_dir/CMakeCache.txt" 2>/dev/null; then
      CXX=clang++-14 CC=clang-14 cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
        -DMX_BUILD_FUZZERS=ON -DBUILD_TESTING=OFF -DMX_BUILD_BENCH=OFF \
        -DMX_SANITIZE=address,undefined >/dev/null
    fi
    cmake --build "$build_dir" -j"$(nproc)" --target "$@"
  ) 9>"$build_dir/.fuzz-build.lock"
}

# The last value of "key: N" in libFuzzer's status lines.
last_stat() {
  grep -Eo "$1: [0-9]+" "$2" | tail -n 1 | grep -Eo '[0-9]+$' || echo '?'
}

summaries=()
failed=0

run_one() {
  local name=$1 seconds=$2
  local binary=$build_dir/fuzz/fuzz_$name seed=tests/fuzz/corpus/$name
  local log=$log_dir/mxscan-fuzz-$name.log
  [[ -d $seed ]] || {
    echo "fuzz.sh: no seed corpus $seed" >&2
    return 2
  }
  local work
  work=$(mktemp -d "${TMPDIR:-/tmp}/mxscan-fuzz-$name.XXXXXX")
  cp -R "$seed/." "$work/"
  local before status=0
  before=$(find "$work" -type f | wc -l)
  mkdir -p "$crash_dir"
  local args=(-max_len="$(max_len "$name")" -max_total_time="$seconds" -timeout=25
    -print_final_stats=1 -artifact_prefix="$crash_dir/$name-")
  # shellcheck disable=SC2206  # MX_FUZZ_ARGS is a list of libFuzzer flags, split on purpose
  [[ -n ${MX_FUZZ_ARGS:-} ]] && args+=(${MX_FUZZ_ARGS})
  echo "fuzz.sh: fuzz_$name for ${seconds}s over a copy of $seed ($before inputs); log $log"
  local start=$SECONDS
  "$binary" "${args[@]}" "$work" >"$log" 2>&1 || status=$?
  local took=$((SECONDS - start)) after
  after=$(find "$work" -type f | wc -l)
  local execs speed findings=none
  execs=$(grep -Eo 'number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' || echo '?')
  speed=$(grep -Eo 'average_exec_per_sec: *[0-9]+' "$log" | grep -Eo '[0-9]+$' || echo '?')
  if ((status != 0)); then
    failed=1
    findings="exit $status: $(grep -Eo '(ERROR|SUMMARY): .*|Test unit written to .*' "$log" |
      tr '\n' ' ' | cut -c1-300)"
  fi
  if [[ -n ${MX_FUZZ_KEEP:-} ]]; then
    mkdir -p "$MX_FUZZ_KEEP/$name"
    cp -R "$work/." "$MX_FUZZ_KEEP/$name/"
  fi
  rm -rf "$work"
  summaries+=("$(printf 'fuzz_%-17s %5ss  execs %-10s %6s/s  cov %-6s ft %-7s corpus %s -> %s  findings: %s' \
    "$name" "$took" "$execs" "$speed" "$(last_stat cov "$log")" "$(last_stat ft "$log")" \
    "$before" "$after" "$findings")")
  echo "${summaries[-1]}"
}

(($# >= 1)) || usage
if [[ $1 == list ]]; then
  all_targets
  exit 0
fi
if (($# != 2)) || ! [[ $2 =~ ^[0-9]+$ ]]; then
  usage
fi

targets=()
if [[ $1 == all ]]; then
  mapfile -t targets < <(all_targets)
else
  name=${1#fuzz_}
  [[ -f tests/fuzz/fuzz_$name.cpp ]] || {
    echo "fuzz.sh: no target tests/fuzz/fuzz_$name.cpp (scripts/fuzz.sh list)" >&2
    exit 2
  }
  targets=("$name")
fi

build "${targets[@]/#/fuzz_}"
for name in "${targets[@]}"; do
  run_one "$name" "$2" || failed=1
done

echo
echo "fuzz.sh: summary"
printf '%s\n' "${summaries[@]}"
exit "$failed"
