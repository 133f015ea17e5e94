#!/usr/bin/env bash
# README command 1: installs what is missing, builds mxscan and mxsim (release), starts the
# simulated internet (mxsim) on loopback, scans it into SQLite, lets a night pass (mxsim --mutate),
# scans again, shows what changed and how to query the database, and stops mxsim.
#
# DEMO_DOMAINS (default 3000) sizes the world; DEMO_DIR (default: a new /tmp/mxscan-demo.XXXXXX)
# is where the world and the database go. It is kept at the end, for the queries. DEMO_BUILD
# (default build) is the build tree.
set -euo pipefail
cd "$(dirname "$0")/.."

domains=${DEMO_DOMAINS:-3000}
bin=${DEMO_BUILD:-build}
step() { printf '\n== %s\n' "$*"; }

step "installing missing packages"
scripts/install-deps.sh

step "building mxscan and mxsim (release build in $bin/)"
scripts/build.sh "$bin" -DCMAKE_BUILD_TYPE=Release -- mxscan mxsim

work=${DEMO_DIR:-$(mktemp -d /tmp/mxscan-demo.XXXXXX)}
mkdir -p "$work"
world="$work/world"
db="$work/scans.db"
rm -f "$db" "$db-wal" "$db-shm"

sim=
stop_sim() {
  if [[ -n $sim ]]; then
    kill "$sim" 2>/dev/null || true
    wait "$sim" 2>/dev/null || true
    sim=
  fi
}
trap stop_sim EXIT
trap 'exit 130' INT TERM

# Starts mxsim on $world in the background and waits (at most 5 minutes) for its ready line.
start_sim() {
  "$bin/mxsim" --domains "$domains" --seed 1 --dir "$world" >"$work/mxsim.out" 2>"$work/mxsim.err" &
  sim=$!
  for _ in $(seq 1 3000); do
    if grep -q '^mxsim ready' "$work/mxsim.out"; then
      echo "$(grep '^mxsim ready' "$work/mxsim.out")"
      return 0
    fi
    if ! kill -0 "$sim" 2>/dev/null; then
      echo "mxsim stopped before it was ready:"
      cat "$work/mxsim.err"
      exit 1
    fi
    sleep 0.1
  done
  echo "mxsim was not ready within 5 minutes"
  exit 1
}

# One scan of the world's domains, with the options mxsim wrote for it (its DNS server, its root
# CA, its ports, and --allow-private: the world lives on 127.0.0.0/8, which a real scan refuses).
# The progress display shows on a terminal; otherwise mxscan prints its summary line at the end.
scan() {
  mapfile -t options <"$world/mxscan.args"
  echo "$bin/mxscan scan --input $world/domains.txt --db $db ${options[*]} --retry-delay 1"
  local status=0
  "$bin/mxscan" scan --input "$world/domains.txt" --db "$db" "${options[@]}" --retry-delay 1 ||
    status=$?
  # 1: some domain fails, 3: some are undetermined; both are findings, not a broken scan.
  case $status in
    0 | 1 | 3) echo "mxscan scan exit code: $status (0 all pass/warn, 1 some fail, 3 some error)" ;;
    *)
      echo "mxscan scan failed with exit code $status"
      exit "$status"
      ;;
  esac
}

step "night 1: starting mxsim with $domains domains in $world"
start_sim

step "night 1: scanning every domain into $db"
scan

step "the day passes: stopping mxsim and mutating the world (mxsim --mutate)"
stop_sim
"$bin/mxsim" --mutate "$world" >"$work/mutations.txt"
echo "$(wc -l <"$work/mutations.txt") domains changed on purpose (the first five at most):"
head -n 5 "$work/mutations.txt" | sed 's/^/  /'

step "night 2: serving the mutated world"
start_sim

step "night 2: scanning again into the same database"
scan

step "stopping mxsim"
stop_sim

step "what changed between the two scans (mxscan diff --db $db)"
"$bin/mxscan" diff --db "$db" >"$work/diff.txt"
sed -n '1,3p' "$work/diff.txt"
changed=$(grep -c '^[^ ].*: .* → ' "$work/diff.txt" || true)
echo
echo "the first changed domains, with the checks that explain them:"
sed -n '4,$p' "$work/diff.txt" | awk '/^[^ ]/ { n++ } n > 12 { exit } { print "  " $0 }'
echo "($changed domains in all: $work/diff.txt; mxscan diff --db $db --json for JSON Lines)"

step "the database: $db"
cat <<EOF
Tables and views are documented in docs/schema.md. Two questions, asked with sqlite3:
EOF
query() {
  printf '\n$ sqlite3 -header -column %s "%s"\n' "$db" "$1"
  sqlite3 -header -column "$db" "$1"
}
query "SELECT run_id, status, domains FROM status_counts ORDER BY run_id, status;"
query "SELECT name, status, code, domains FROM code_counts
 WHERE run_id = (SELECT id FROM latest_run) AND status IN ('fail', 'error')
 ORDER BY domains DESC LIMIT 8;"

cat <<EOF

done. The database is $db; the world's files (domains.txt, expected.jsonl, mxscan.args) are in
$world. Export a run with: $bin/mxscan export --db $db --format csv
EOF
