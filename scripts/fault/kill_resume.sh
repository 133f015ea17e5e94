#!/usr/bin/env bash
# Fault injection, scripted and repeatable: kill mxscan at random moments of a scan, a validation
# and a triage against the simulated internet (mxsim), resume each with --resume until it is
# complete, and check that the database ends equal to an uninterrupted run's:
#   - every job: `mxscan export --format jsonl` (the CONTRACT.md domain objects of the run), the
#     exit code, one run in the database and `PRAGMA integrity_check` = ok;
#   - validate: validation_results (category, urgent, failing streak; failing_since as set or not);
#   - triage: submissions (every decision with its reasons, patterns and MTA-STS agreement).
# Each iteration starts a fresh database and kills mxscan 1 to --max-kills times, each time after
# a random delay between 0 and --max-delay-ms (by default 1.2 times the uninterrupted run's wall
# time, so that some kills land before the run is recorded and some after it is complete); the
# RNG is bash's, seeded with --seed, and both are printed so that a failing sequence can be
# replayed. --signals picks each kill's signal among KILL, INT and TERM: after INT or TERM,
# mxscan must exit 130 with the run recorded `interrupted` (or finish, when it had nothing left).
# mxscan runs with --concurrency 64 (--concurrency), so that domains are fed as others finish, as
# in a scan much larger than its concurrency, and a stop leaves some unscanned.
#
# Usage: scripts/fault/kill_resume.sh [--build DIR | --mxscan BIN --mxsim BIN] [--jobs LIST]
#          [--iterations N] [--domains N] [--seed S] [--max-kills K] [--max-delay-ms MS]
#          [--signals KILL,INT,TERM] [--concurrency N] [--keep]
# CI (ctest "fault: kill and --resume equal an uninterrupted run"): --iterations 3 --domains 300
# --signals KILL,INT,TERM, about 20 s.
# The long run: scripts/fault/kill_resume.sh --iterations 50 --domains 1000 --max-kills 3 \
#   --signals KILL,INT,TERM
# Exit 0 when every iteration ended equal to the uninterrupted run, 1 otherwise (each difference
# is printed), 2 for bad usage or when mxsim does not start.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
build=$root/build
mxscan=
mxsim=
jobs=scan,validate,triage
iterations=3
domains=300
seed=$(((RANDOM << 15) | RANDOM))
max_kills=2
max_delay_ms=
signals=KILL
concurrency=64
keep=0

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//' >&2
  exit 2
}

while (($#)); do
  case $1 in
    --keep) keep=1 ;;
    -h | --help) usage ;;
    --build | --mxscan | --mxsim | --jobs | --iterations | --domains | --seed | --max-kills | \
      --max-delay-ms | --signals | --concurrency)
      (($# >= 2)) || usage
      name=${1#--}
      printf -v "${name//-/_}" '%s' "$2"
      shift
      ;;
    *)
      echo "kill_resume: unknown option $1" >&2
      usage
      ;;
  esac
  shift
done
mxscan=${mxscan:-$build/mxscan}
mxsim=${mxsim:-$build/mxsim}
for binary in "$mxscan" "$mxsim"; do
  if [[ ! -x $binary ]]; then
    echo "kill_resume: $binary is missing: scripts/build.sh build -- mxscan mxsim" >&2
    exit 2
  fi
done
for number in "$iterations" "$domains" "$seed" "$max_kills" "${max_delay_ms:-1}" "$concurrency"; do
  if [[ ! $number =~ ^[0-9]+$ ]]; then
    echo "kill_resume: '$number' is not a number" >&2
    exit 2
  fi
done
IFS=, read -r -a job_list <<<"$jobs"
IFS=, read -r -a signal_list <<<"$signals"
for job in "${job_list[@]}"; do
  [[ $job =~ ^(scan|validate|triage)$ ]] || {
    echo "kill_resume: unknown job '$job' (scan, validate, triage)" >&2
    exit 2
  }
done
for signal in "${signal_list[@]}"; do
  [[ $signal =~ ^(KILL|INT|TERM)$ ]] || {
    echo "kill_resume: unknown signal '$signal' (KILL, INT, TERM)" >&2
    exit 2
  }
done

work=$(mktemp -d /tmp/mxscan-kill-resume.XXXXXX)
sim=
running=
cleanup() {
  if [[ -n $running ]]; then
    kill -KILL "$running" 2>/dev/null || true
  fi
  if [[ -n $sim ]]; then
    kill "$sim" 2>/dev/null || true
    wait "$sim" 2>/dev/null || true
  fi
  if ((keep)); then
    echo "kill_resume: kept $work"
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf 'kill_resume: %s\n' "$*"; }

world=$work/world
"$mxsim" --domains "$domains" --seed 1 --dir "$world" >"$work/mxsim.out" 2>"$work/mxsim.err" &
sim=$!
for _ in $(seq 1 1200); do
  grep -q '^mxsim ready' "$work/mxsim.out" && break
  if ! kill -0 "$sim" 2>/dev/null; then
    echo "kill_resume: mxsim stopped before it was ready:" >&2
    cat "$work/mxsim.err" >&2
    exit 2
  fi
  sleep 0.1
done
grep -q '^mxsim ready' "$work/mxsim.out" || {
  echo "kill_resume: mxsim was not ready within 2 minutes" >&2
  exit 2
}
log "$(grep '^mxsim ready' "$work/mxsim.out")"
mapfile -t world_options <"$world/mxscan.args"
# No waiting before an undetermined domain is observed again: the runs stay short, and the
# retry is still made.
world_options+=(--retry-delay 0 --concurrency "$concurrency")

# Sets argv to the job's command line, writing into database $2.
job_argv() {
  local job=$1 db=$2
  case $job in
    scan) argv=(scan --input "$world/domains.txt" --db "$db") ;;
    validate) argv=(validate --list "$world/policy.json" --db "$db") ;;
    triage) argv=(triage --queue "$world/queue.csv" --list "$world/policy.json" --db "$db") ;;
  esac
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# What must equal the uninterrupted run's: the domain objects, the job's own table, the runs.
fingerprint() {
  local job=$1 db=$2
  "$mxscan" export --db "$db" --format jsonl 2>/dev/null
  case $job in
    validate)
      sqlite3 "$db" "SELECT domain, category, urgent, failing_streak, failing_since IS NOT NULL,
                            previous_run IS NOT NULL
                     FROM validation_results ORDER BY domain"
      ;;
    triage)
      sqlite3 "$db" "SELECT line, domain, contact, mxs, mode, submitted_at, decision, reasons,
                            suggested_mxs, mta_sts FROM submissions ORDER BY line"
      ;;
  esac
  sqlite3 "$db" "SELECT kind, state, domains_total FROM runs ORDER BY id"
}

failures=0
declare -A tally
fail() {
  log "FAIL: $*"
  failures=$((failures + 1))
}

# Starts one mxscan run of $job on $db in the background ($running), output to $out. (A script's
# background job starts with SIGINT ignored, until mxscan's engine catches it: an INT sent that
# early is lost, as one from a terminal would not be.)
start() {
  local job=$1 db=$2 out=$3
  job_argv "$job" "$db"
  "$mxscan" "${argv[@]}" "${world_options[@]}" --resume >"$out.stdout" 2>"$out.stderr" &
  running=$!
}

# Reaps $running into $code.
reap() {
  code=0
  wait "$running" 2>/dev/null || code=$?
  running=
}

started=$(now_ms)
log "seed $seed: jobs $jobs, $iterations iterations, $domains domains, up to $max_kills kills" \
  "by ${signals//,/ or }, --concurrency $concurrency"
RANDOM=$seed
for job in "${job_list[@]}"; do
  clean=$work/$job-clean.db
  job_argv "$job" "$clean"
  begin=$(now_ms)
  clean_code=0
  "$mxscan" "${argv[@]}" "${world_options[@]}" >/dev/null 2>"$work/$job-clean.stderr" ||
    clean_code=$?
  clean_ms=$(($(now_ms) - begin))
  if [[ ! $clean_code =~ ^[013]$ ]]; then
    cat "$work/$job-clean.stderr" >&2
    echo "kill_resume: the uninterrupted $job exited $clean_code" >&2
    exit 1
  fi
  fingerprint "$job" "$clean" >"$work/$job-clean.txt"
  delay_ms=${max_delay_ms:-$((clean_ms * 12 / 10 + 1))}
  log "$job: uninterrupted run in $clean_ms ms, exit $clean_code;" \
    "kills after 0 to $delay_ms ms (--max-delay-ms $delay_ms to replay)"

  for ((i = 1; i <= iterations; i++)); do
    db=$work/$job-$i.db
    kills=$((1 + RANDOM % max_kills))
    done_early=0
    story=()
    for ((k = 1; k <= kills; k++)); do
      wait_ms=$(((RANDOM << 15 | RANDOM) % (delay_ms + 1)))
      signal=${signal_list[RANDOM % ${#signal_list[@]}]}
      start "$job" "$db" "$work/$job-$i-$k"
      sleep "$(printf '%d.%03d' $((wait_ms / 1000)) $((wait_ms % 1000)))"
      sent=0
      if kill -0 "$running" 2>/dev/null; then
        kill "-$signal" "$running" 2>/dev/null && sent=1
      fi
      reap
      state=$(sqlite3 "$db" "SELECT state FROM runs ORDER BY id DESC LIMIT 1" 2>/dev/null || true)
      story+=("$signal@${wait_ms}ms:${code}:${state:-none}")
      if [[ $code =~ ^[013]$ ]]; then
        outcome=finished
      elif [[ $code == 130 ]] && grep -q 'interrupted; run' "$work/$job-$i-$k.stderr"; then
        outcome=interrupted
      elif [[ -z $state ]]; then
        outcome=killed-before-the-run-was-recorded
      elif [[ $state == complete ]]; then
        outcome=killed-once-complete
      else
        outcome=killed-mid-run
      fi
      tally[$outcome]=$((${tally[$outcome]:-0} + 1))
      if [[ $code =~ ^[013]$ ]]; then
        # It finished before the signal, or the signal found nothing left to stop.
        [[ $state == complete ]] || fail "$job #$i: exit $code but the run is '$state'"
        done_early=1
        break
      fi
      if ((sent)) && [[ $signal != KILL ]] && grep -q 'interrupted; run' "$work/$job-$i-$k.stderr"; then
        [[ $code == 130 ]] || fail "$job #$i: interrupted but exit $code"
        [[ $state == interrupted ]] || fail "$job #$i: interrupted, but the run is '$state'"
      fi
      if [[ $state == complete ]]; then
        # Killed after the run was complete: nothing is left to resume.
        done_early=1
        break
      fi
    done
    if ((!done_early)); then
      start "$job" "$db" "$work/$job-$i-resume"
      reap
      story+=("resume:$code")
      tally[resumed]=$((${tally[resumed]:-0} + 1))
      if [[ $code != "$clean_code" ]]; then
        tail -3 "$work/$job-$i-resume.stderr" >&2
        fail "$job #$i: --resume exited $code, the uninterrupted run $clean_code"
      fi
    fi
    integrity=$(sqlite3 "$db" "PRAGMA integrity_check" 2>&1 || true)
    [[ $integrity == ok ]] || fail "$job #$i: integrity_check: $integrity"
    fingerprint "$job" "$db" >"$work/$job-$i.txt"
    if cmp -s "$work/$job-clean.txt" "$work/$job-$i.txt"; then
      log "$job #$i: equal (${story[*]})"
    else
      fail "$job #$i: differs from the uninterrupted run (${story[*]}):"
      diff "$work/$job-clean.txt" "$work/$job-$i.txt" | head -20 | sed 's/^/    /' | cut -c1-300 || true
      keep=1
    fi
  done
done
seconds=$((($(now_ms) - started) / 1000))
summary=
for outcome in "${!tally[@]}"; do
  summary+=" $outcome=${tally[$outcome]}"
done
log "signals sent and their outcomes:$summary"
if ((failures)); then
  log "$failures failures in $seconds s; replay with --seed $seed (and the --max-delay-ms above)"
  exit 1
fi
log "every iteration equal to the uninterrupted run ($seconds s, seed $seed)"
