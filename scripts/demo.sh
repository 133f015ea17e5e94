#!/usr/bin/env bash
# README command 1: installs what is missing, builds mxscan and mxsim (release), starts the
# simulated internet (mxsim) on loopback, and runs a list maintainer's night on it: validates the
# world's policy list (policy.json) into SQLite, lets a day pass (mxsim --mutate), validates again
# (categories against the first validation: newly failing, still failing, recovered...), triages
# the submission backlog (queue.csv) and writes the new list; then a researcher's view: a scan of
# every domain, what changed between the validations, and how to query the database.
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
db="$work/lists.db"
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

# One mxscan command against the world, with the options mxsim wrote for it (its DNS server, its
# root CA, its ports, and --allow-private: the world lives on 127.0.0.0/8, which a real scan
# refuses). The progress display shows on a terminal; otherwise mxscan prints its summary line.
run_mxscan() {
  local command=$1
  shift
  mapfile -t options <"$world/mxscan.args"
  echo "\$ $bin/mxscan $command $* ${options[*]} --retry-delay 1"
  local status=0
  "$bin/mxscan" "$command" "$@" "${options[@]}" --retry-delay 1 || status=$?
  # 1: some domain fails, 3: some are undetermined; both are findings, not a broken run.
  case $status in
    0 | 1 | 3) echo "mxscan $command exit code: $status (0 all pass/warn, 1 some fail, 3 some error)" ;;
    *)
      echo "mxscan $command failed with exit code $status"
      exit "$status"
      ;;
  esac
}

step "night 1: starting mxsim with $domains domains in $world"
start_sim
echo "its policy list: $(grep -o '"[a-z0-9.-]*":{"' "$world/policy.json" | wc -l) entries (policy.json); its backlog: $(($(wc -l <"$world/queue.csv") - 1)) submissions (queue.csv)"

step "night 1: validating every entry of the list against its policy (mxscan validate)"
run_mxscan validate --list "$world/policy.json" --db "$db" --report "$work/validation-1.md" \
  >"$work/validation-1.txt"
sed -n '1,2p' "$work/validation-1.txt"

step "the day passes: stopping mxsim and mutating the world (mxsim --mutate)"
stop_sim
"$bin/mxsim" --mutate "$world" >"$work/mutations.txt"
echo "$(wc -l <"$work/mutations.txt") domains changed on purpose (the first five at most):"
head -n 5 "$work/mutations.txt" | sed 's/^/  /'

step "night 2: serving the mutated world"
start_sim

step "night 2: validating again; each entry is put in a category against night 1"
mkdir -p "$work/notices"
run_mxscan validate --list "$world/policy.json" --db "$db" --report "$work/validation-2.md" \
  --notify-dir "$work/notices" --notify-from list-maintainers@example.org \
  >"$work/validation-2.txt"
# The summary, then the first lines of each section.
awk '/^$/ { n = 0 } { n++ } n <= 6 { print }' "$work/validation-2.txt"
echo
echo "(whole summary: $work/validation-2.txt; Markdown report: $work/validation-2.md;"
echo " one message per newly failing entry, ready for sendmail -t: $work/notices/)"
first_notice=$(find "$work/notices" -name '*.eml' | sort | head -n 1)
if [[ -n $first_notice ]]; then
  echo
  echo "the headers of $first_notice:"
  sed -n '1,/^\r\?$/p' "$first_notice" | tr -d '\r' | sed 's/^/  /'
fi

step "the backlog: triaging every submission of queue.csv and writing the new list"
run_mxscan triage --queue "$world/queue.csv" --list "$world/policy.json" --db "$db" \
  --out "$work/policy-new.json" >"$work/triage.txt"
sed -n '1,12p' "$work/triage.txt"
echo "(every decision: $work/triage.txt; --json for JSON Lines)"
echo
echo "what the new list changes (mxscan list diff):"
"$bin/mxscan" list diff "$world/policy.json" "$work/policy-new.json" | tail -n 4 | sed 's/^/  /'

step "a researcher's scan of every domain of the world into the same database"
run_mxscan scan --input "$world/domains.txt" --db "$db"

step "stopping mxsim"
stop_sim

step "what changed between the two validations (mxscan diff)"
validations=($(sqlite3 "$db" "SELECT id FROM runs WHERE kind = 'validate' ORDER BY id"))
"$bin/mxscan" diff --db "$db" --from "${validations[0]}" --to "${validations[1]}" >"$work/diff.txt"
sed -n '1,3p' "$work/diff.txt"
echo
echo "the first changed domains, with the checks that explain them:"
sed -n '4,$p' "$work/diff.txt" | awk '/^[^ ]/ { n++ } n > 8 { exit } { print "  " $0 }'
echo "(all of it: $work/diff.txt)"

step "the database: $db"
cat <<EOF
Tables and views are documented in docs/schema.md. Two questions, asked with sqlite3:
EOF
query() {
  printf '\n$ sqlite3 -header -column %s "%s"\n' "$db" "$1"
  sqlite3 -header -column "$db" "$1"
}
query "SELECT r.id, r.kind, s.status, s.domains FROM status_counts s JOIN runs r ON r.id = s.run_id
 ORDER BY r.id, s.status;"
query "SELECT category, count(*) AS entries, sum(urgent) AS urgent FROM validation_results
 WHERE run_id = ${validations[1]} GROUP BY category;"
query "SELECT name, status, code, domains FROM code_counts
 WHERE run_id = (SELECT id FROM latest_run) AND status IN ('fail', 'error')
 ORDER BY domains DESC LIMIT 8;"

step "the morning report: the second validation as one HTML page (mxscan report)"
"$bin/mxscan" report --db "$db" --run "${validations[1]}" --out "$work/validation-2.html"
echo "open $work/validation-2.html in a browser: the summary, the charts, each category across"
echo "the nights, and the urgent and failing entries with their reasons, sortable and filterable."
echo "It is one file that loads nothing from the network; a phone shows it as well."

cat <<EOF

done. The database is $db; the new list is $work/policy-new.json; the world's files
(policy.json, queue.csv, domains.txt, mxscan.args) are in $world.
Export a run with: $bin/mxscan export --db $db --format csv
EOF
