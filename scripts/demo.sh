#!/usr/bin/env bash
# README command 1: installs what is missing, builds, starts the simulated internet (mxsim) on
# loopback, runs mxscan against it, and stops mxsim.
#
# Today mxscan's built command is `resolve` (DNS); the demo shows what it sees of a few domains,
# then resolves the whole world and summarises it. When `scan` lands, the demo scans instead.
set -euo pipefail
cd "$(dirname "$0")/.."

domains=${DEMO_DOMAINS:-2000}
step() { printf '\n== %s\n' "$*"; }

step "installing missing packages"
scripts/install-deps.sh

step "building mxscan and mxsim (release)"
scripts/build.sh build -DCMAKE_BUILD_TYPE=Release -- mxscan mxsim

work=$(mktemp -d /tmp/mxscan-demo.XXXXXX)
step "starting mxsim with $domains domains in $work"
build/mxsim --domains "$domains" --seed 1 --dir "$work" >"$work/mxsim.out" 2>&1 &
sim=$!
trap 'kill "$sim" 2>/dev/null || true; wait "$sim" 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do
  grep -q '^mxsim ready' "$work/mxsim.out" && break
  kill -0 "$sim" 2>/dev/null || { cat "$work/mxsim.out"; exit 1; }
  sleep 0.1
done
ready=$(grep '^mxsim ready' "$work/mxsim.out") || { echo "mxsim did not start"; exit 1; }
echo "$ready"
dns=$(sed -E 's/.* dns=([^ ]+) .*/\1/' <<<"$ready")

# The world lives on 127.0.0.0/8, which a real scan refuses: --allow-private lets mxscan in.
opts=(--resolver "$dns" --allow-private --timeout 2)

step "what mxscan's resolver sees of three domains"
mapfile -t all <"$work/domains.txt"
build/mxscan resolve "${opts[@]}" "${all[@]:0:3}" || true

step "resolving all $domains domains (JSON Lines in $work/resolve.jsonl)"
start=$(date +%s.%N)
status=0
build/mxscan resolve "${opts[@]}" --json "${all[@]}" >"$work/resolve.jsonl" || status=$?
end=$(date +%s.%N)
echo "mxscan resolve exit code: $status (3 means some lookups were undetermined, as designed)"

step "summary"
python3 - "$work/resolve.jsonl" "$start" "$end" <<'PY'
import collections, json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
secs = float(sys.argv[3]) - float(sys.argv[2])
mx = collections.Counter()
for r in rows:
    m = r["mx"]
    mx["null MX" if m["null_mx"] else "implicit MX" if m["implicit"] else m["outcome"]] += 1
hosts = {h["host"]: h for r in rows for h in r["mx"]["hosts"]}
print(f"{len(rows)} domains resolved in {secs:.2f} s")
print("MX answers:       " + ", ".join(f"{k}: {v}" for k, v in mx.most_common()))
print(f"distinct MX hosts: {len(hosts)}, without an address: "
      f"{sum(1 for h in hosts.values() if not h['a']['addresses'] and not h['aaaa']['addresses'])}")
print(f"TLSA published (AD): {sum(1 for h in hosts.values() if h['tlsa']['outcome'] == 'data')}")
print(f"MTA-STS TXT: {sum(1 for r in rows if r['mta_sts_txt']['outcome'] == 'data')}, "
      f"TLSRPT TXT: {sum(1 for r in rows if r['tlsrpt_txt']['outcome'] == 'data')}")
PY

step "stopping mxsim"
kill "$sim"
wait "$sim" || true
trap - EXIT
echo "done; the world's files are in $work"
