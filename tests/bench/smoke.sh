#!/usr/bin/env bash
# The benchmark's own tools still run and still say what they promise, on a world small enough
# for every CI run: bench/run (verdicts, handshakes, the floor and its ratio), bench/profile on
# the profile bench/run --perf-data leaves (when this machine lets perf record the whole machine),
# and bench/ab on two copies of the same build. No figure is judged: speed is measured, not
# asserted.
#
#   tests/bench/smoke.sh BUILD_DIR
set -euo pipefail

build=$(cd "$1" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fail() {
  echo "bench smoke: $*" >&2
  exit 1
}

# The last line of bench/run or bench/ab: one JSON object; prints FIELD's value.
field() {
  python3 -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"
}

cd "$root"
line=$(bench/run --build "$build" --domains 40 --world "$work/world" --floor-handshakes 20 \
  --floor-batches 1 2>"$work/run.err" | tail -1) || { cat "$work/run.err" >&2; fail "bench/run failed"; }
[[ $(field "$line" verdicts_matched) == 1.0 ]] || fail "verdicts not all matched: $line"
python3 - "$line" <<'EOF' || fail "bench/run's floor fields: $line"
import json, sys
line = json.loads(sys.argv[1])
assert line["domains"] == 40 and line["cpu_ms_per_domain"] > 0
assert line["handshakes"] > 0 and line["handshakes_per_domain"] > 0
assert set(line["floor_ms_per_handshake"]) <= {"EC", "RSA"} and line["floor_ms_per_handshake"]
assert line["floor_cpu_ms_per_domain"] > 0
assert abs(line["floor_ratio"] - line["cpu_ms_per_domain"] / line["floor_cpu_ms_per_domain"]) < 0.01
EOF

if perf record -q -a -o "$work/probe.perf" -- true >/dev/null 2>&1; then
  bench/run --build "$build" --domains 40 --world "$work/world" --floor-handshakes 0 \
    --perf-data "$work/scan.perf" >/dev/null 2>"$work/perf-run.err" ||
    { cat "$work/perf-run.err" >&2; fail "bench/run --perf-data failed"; }
  # bench/run prints the command that reads its profile: the scan's pid and CPU per domain.
  command=$(sed -n 's/^bench\/run: profile in [^:]*: //p' "$work/perf-run.err")
  [[ $command == "bench/profile $work/scan.perf --pid "* ]] ||
    { cat "$work/perf-run.err" >&2; fail "bench/run printed no bench/profile command"; }
  $command >"$work/profile.md" || fail "$command failed"
  # The scan's threads are there, and the activities add up to the whole.
  grep -Eq '^\| shards \| [1-9][0-9.]* % \| [0-9.]+ \|$' "$work/profile.md" ||
    { cat "$work/profile.md" >&2; fail "no shard samples in the profile"; }
  python3 - "$work/profile.md" <<'EOF' || { cat "$work/profile.md" >&2; fail "shares do not add up"; }
import re, sys
tables = open(sys.argv[1]).read().split("\n\n")[1:4]
for table in tables:
    shares = [float(m) for m in re.findall(r"\| ([0-9.]+) % \|", table)]
    assert abs(sum(shares) - 100) < 0.5, (table, sum(shares))
EOF
else
  echo "bench smoke: perf cannot record the whole machine here; bench/profile not run"
fi

line=$(bench/ab --a "$build" --b "$build" --world "$work/world" --domains 40 --rounds 1 \
  2>"$work/ab.err" | tail -1) || { cat "$work/ab.err" >&2; fail "bench/ab failed"; }
[[ $(field "$line" rounds) == 1 ]] || fail "bench/ab rounds: $line"
[[ $(field "$line" verdicts_matched) == 1.0 ]] || fail "bench/ab verdicts: $line"
echo "bench smoke: bench/run, bench/profile and bench/ab ran"
