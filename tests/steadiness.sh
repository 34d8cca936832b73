#!/usr/bin/env bash
# steadiness.sh: repeats the network-facing tests under CPU load and prints the flaky ones.
#
# Run it before you stop working on anything that touches a transport, the CLI, the loopback servers or a
# test that opens a socket. A test that passes once on an idle machine may still assume a schedule (which
# connection connects first, how long a timer takes); two busy loops next to the tests make such a test fail
# within a few dozen runs. See docs/testing.md "Steadiness".
#
# Usage: tests/steadiness.sh [options] [TARGET...]
#   -n, --runs N        runs per target (default 30, or $STEADINESS_RUNS; 0: no Bazel targets, e.g. with
#                       --interop N alone)
#   --sanitize          also run the targets under --config=sanitize (ASan + UBSan)
#   --sanitize-runs N   runs per target under sanitize (default: the same as --runs)
#   --sanitize-only     only the sanitize config
#   --interop [N]       also run tests/integration/interop_test.sh N times (default: --runs), with the
#                       optimised smtpc, and count failures per scenario (Postfix needs root)
#   --busy N            busy loops to start (default 2; 0: no extra load)
#   -h, --help          this text
# TARGETs default to every test that links a loopback server or runs the smtpc binary:
#   kind("_test rule", rdeps(//..., loopback_server + sink_server + smtpc + aiosmtpd_server)), plus tests
#   tagged "loopback" (the bindings' tests against the real aiosmtpd are among them).
#
# It starts the busy loops itself (`yes >/dev/null`) and stops them by PID when it ends, also on Ctrl-C or an
# error. Results go to a fresh directory, /tmp/smtpcore-steadiness.XXXXXX: the Bazel output of each config,
# and a copy of the log of every failed run (Bazel overwrites its own copies on the next run). The summary
# lists each target with runs and failures; flaky targets come with their log paths.
#
# Exit status: 0 when every run passed, 1 when any run failed (flaky), 2 when something could not be
# built or run, 64 on a usage error.
#
# Environment: BAZEL (default "bazel"; e.g. "bazel --output_base=$HOME/.cache/bazel-ob/me").
set -uo pipefail
cd "$(dirname "$0")/.."

usage() { sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }

RUNS=${STEADINESS_RUNS:-30}
SANITIZE_RUNS=""
CONFIGS=(plain)
INTEROP_RUNS=0
BUSY=2
TARGETS=()
while [[ $# -gt 0 ]]; do
  case $1 in
    -n | --runs) RUNS=${2:-}; shift ;;
    --sanitize) CONFIGS=(plain sanitize) ;;
    --sanitize-only) CONFIGS=(sanitize) ;;
    --sanitize-runs) SANITIZE_RUNS=${2:-}; shift ;;
    --interop)
      if [[ ${2:-} =~ ^[0-9]+$ ]]; then INTEROP_RUNS=$2; shift; else INTEROP_RUNS=-1; fi ;;
    --busy) BUSY=${2:-}; shift ;;
    -h | --help) usage; exit 0 ;;
    -*) echo "steadiness.sh: unknown option $1 (see --help)" >&2; exit 64 ;;
    *) TARGETS+=("$1") ;;
  esac
  shift
done
for n in "$RUNS" "${SANITIZE_RUNS:-1}" "$BUSY"; do
  [[ $n =~ ^[0-9]+$ ]] || { echo "steadiness.sh: not a number: '$n'" >&2; exit 64; }
done
SANITIZE_RUNS=${SANITIZE_RUNS:-$RUNS}
[[ $INTEROP_RUNS -lt 0 ]] && INTEROP_RUNS=$RUNS
if [[ $RUNS -eq 0 ]]; then
  CONFIGS=()
  [[ $INTEROP_RUNS -gt 0 ]] || { echo "steadiness.sh: nothing to run (-n 0 without --interop N)" >&2; exit 64; }
fi

read -r -a BAZEL <<<"${BAZEL:-bazel}"
OUT=$(mktemp -d /tmp/smtpcore-steadiness.XXXXXX)
log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# --- load: busy loops, stopped by PID on any exit
BUSY_PIDS=()
stop_load() {
  local pid
  for pid in "${BUSY_PIDS[@]+"${BUSY_PIDS[@]}"}"; do
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  BUSY_PIDS=()
}
trap stop_load EXIT
trap 'log "interrupted"; exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
# interrupted_if_8 RC: Bazel exits 8 when interrupted (Ctrl-C). It handles SIGINT itself, so bash does not
# run the INT trap after it: stop here instead of going on with the next config.
interrupted_if_8() {
  if [[ $1 -eq 8 ]]; then
    log "interrupted"
    exit 130
  fi
}
start_load() {
  local i
  for ((i = 0; i < BUSY; i++)); do
    yes >/dev/null &
    BUSY_PIDS+=($!)
  done
  [[ $BUSY -gt 0 ]] && log "load: $BUSY busy loops (PIDs ${BUSY_PIDS[*]})"
}

# --- targets
if [[ ${#TARGETS[@]} -eq 0 && ${#CONFIGS[@]} -gt 0 ]]; then
  mapfile -t TARGETS < <("${BAZEL[@]}" query --noshow_progress \
    'kind("_test rule", rdeps(//..., set(//transports/testing:loopback_server //tools/sink:sink_server //tools:smtpc //tests:aiosmtpd_server)))
     + attr(tags, "\bloopback\b", kind("_test rule", //...))' 2>"$OUT/query.err" | sort)
  if [[ ${#TARGETS[@]} -eq 0 ]]; then
    cat "$OUT/query.err" >&2
    log "bazel query found no targets"
    exit 2
  fi
fi

# Results: one line per (config, target): "config target runs failed status".
RESULTS=()
BROKEN=0
# logs_of CONFIG TARGET: where the copies of TARGET's failed-run logs go.
logs_of() {
  local name=${2#//}
  echo "$OUT/$1/logs/${name//[\/:]/_}"
}

# run_config CONFIG RUNS: builds first (so that the load does not slow the compiler), then runs every target
# RUNS times under load and records the results.
run_config() {
  local config=$1 runs=$2 flags=() dir=$OUT/$1
  mkdir -p "$dir"
  [[ $config == sanitize ]] && flags=(--config=sanitize)
  log "$config: building ${#TARGETS[@]} targets"
  "${BAZEL[@]}" build --color=no --curses=no "${flags[@]}" "${TARGETS[@]}" >"$dir/build.log" 2>&1
  local rc=$?
  interrupted_if_8 "$rc"
  if [[ $rc -ne 0 ]]; then
    tail -30 "$dir/build.log" >&2
    log "$config: build failed (log: $dir/build.log)"
    BROKEN=1
    return
  fi
  start_load
  log "$config: ${#TARGETS[@]} targets x $runs runs (output: $dir/bazel.log)"
  local start=$SECONDS
  "${BAZEL[@]}" test --color=no --curses=no "${flags[@]}" --runs_per_test="$runs" --nocache_test_results \
    --keep_going --test_output=summary "${TARGETS[@]}" >"$dir/bazel.log" 2>&1
  rc=$?
  stop_load
  interrupted_if_8 "$rc"
  log "$config: done in $((SECONDS - start)) s"
  # Each failed run is announced as "FAIL: //t (run K of N) (see .../test.log)" (or TIMEOUT:); copy those
  # logs now, the next invocation overwrites them.
  local line kind target k n path copy
  while IFS= read -r line; do
    if [[ $line =~ ^(FAIL|TIMEOUT):\ (//[^ ]+)\ \(run\ ([0-9]+)\ of\ ([0-9]+)\)\ \(see\ ([^\)]+)\) ]]; then
      kind=${BASH_REMATCH[1]} target=${BASH_REMATCH[2]} k=${BASH_REMATCH[3]} n=${BASH_REMATCH[4]}
      path=${BASH_REMATCH[5]}
    elif [[ $line =~ ^(FAIL|TIMEOUT):\ (//[^ ]+)\ \(see\ ([^\)]+)\) ]]; then  # --runs 1
      kind=${BASH_REMATCH[1]} target=${BASH_REMATCH[2]} k=1 n=1 path=${BASH_REMATCH[3]}
    else
      continue
    fi
    copy=$(logs_of "$config" "$target")/run_${k}_of_${n}.$(tr 'A-Z' 'a-z' <<<"$kind").log
    mkdir -p "$(dirname "$copy")"
    cp "$path" "$copy" 2>/dev/null || echo "(log not found: $path)" >"$copy"
  done <"$dir/bazel.log"
  # The summary: "//t  PASSED in 1.0s", "//t  FAILED in 2 out of 30 in 1.0s", "//t  NO STATUS", ...
  local t status failed
  for t in "${TARGETS[@]}"; do
    line=$(grep -E "^${t//./\\.}[[:space:]]" "$dir/bazel.log" | tail -1)
    failed=0
    if [[ $line =~ [[:space:]](PASSED)[[:space:]] ]]; then
      status=PASSED
    elif [[ $line =~ [[:space:]](FAILED|TIMEOUT|FLAKY)[^0-9]*\ in\ ([0-9]+)\ out\ of\ ([0-9]+) ]]; then
      status=${BASH_REMATCH[1]} failed=${BASH_REMATCH[2]}
    elif [[ $line =~ [[:space:]](FAILED|TIMEOUT)[[:space:]] ]]; then
      status=${BASH_REMATCH[1]} failed=$runs
    else
      status="NO_RESULT"
      BROKEN=1
    fi
    RESULTS+=("$config $t $runs $failed $status")
  done
}

# run_interop RUNS: the interop harness against real servers, RUNS times in a row under load.
run_interop() {
  local runs=$1 dir=$OUT/interop i rc smtpc
  mkdir -p "$dir"
  log "interop: building smtpc (optimised)"
  "${BAZEL[@]}" build --color=no --curses=no --config=opt //tools:smtpc >"$dir/build.log" 2>&1
  rc=$?
  interrupted_if_8 "$rc"
  if [[ $rc -ne 0 ]]; then
    tail -30 "$dir/build.log" >&2
    BROKEN=1
    return
  fi
  smtpc="$("${BAZEL[@]}" info --config=opt bazel-bin 2>/dev/null)/tools/smtpc"
  start_load
  local failed_runs=0 start=$SECONDS
  for ((i = 1; i <= runs; i++)); do
    SMTP_CLIENT=$smtpc tests/integration/interop_test.sh >"$dir/run_$i.log" 2>&1
    rc=$?
    if [[ $rc -eq 130 ]]; then  # interrupted (it stopped its servers)
      log "interrupted"
      exit 130
    fi
    if [[ $rc -ne 0 ]]; then
      failed_runs=$((failed_runs + 1))
      printf 'interop run %d of %d: FAILED (exit %d, log %s)\n' "$i" "$runs" "$rc" "$dir/run_$i.log" >&2
    else
      rm -f "$dir/run_$i.log"
    fi
  done
  stop_load
  log "interop: done in $((SECONDS - start)) s"
  RESULTS+=("interop tests/integration/interop_test.sh $runs $failed_runs $([[ $failed_runs -eq 0 ]] && echo PASSED || echo FAILED)")
  # Per scenario: "FAIL name  N ms" lines of the failed runs.
  if [[ $failed_runs -gt 0 ]]; then
    cat "$dir"/run_*.log 2>/dev/null | sed -n 's/^FAIL \([^ ]*\) .*/\1/p' | sort | uniq -c | sort -rn \
      >"$dir/failed_scenarios.txt"
  fi
}

log "results in $OUT"
log "targets: ${TARGETS[*]}"
for config in "${CONFIGS[@]+"${CONFIGS[@]}"}"; do
  if [[ $config == sanitize ]]; then run_config sanitize "$SANITIZE_RUNS"; else run_config plain "$RUNS"; fi
done
[[ $INTEROP_RUNS -gt 0 ]] && run_interop "$INTEROP_RUNS"

# --- summary
FLAKY=0
for r in "${RESULTS[@]+"${RESULTS[@]}"}"; do
  read -r _ _ _ failed _ <<<"$r"
  [[ $failed -gt 0 ]] && FLAKY=$((FLAKY + 1))
done
{
  printf '\n%-9s %-48s %5s %7s %7s\n' config target runs passed failed
  for r in "${RESULTS[@]+"${RESULTS[@]}"}"; do
    read -r config target runs failed status <<<"$r"
    note=""
    [[ $status == NO_RESULT ]] && note="  (no result: see $OUT/$config/bazel.log)"
    [[ $status == TIMEOUT ]] && note="  (timed out)"
    printf '%-9s %-48s %5d %7d %7d%s\n' "$config" "$target" "$runs" "$((runs - failed))" "$failed" "$note"
  done
  for r in "${RESULTS[@]+"${RESULTS[@]}"}"; do
    read -r config target runs failed status <<<"$r"
    [[ $failed -gt 0 ]] || continue
    printf '\nFLAKY %s (%s): failed %d of %d runs\n' "$target" "$config" "$failed" "$runs"
    if [[ $config == interop ]]; then
      ls "$OUT"/interop/run_*.log 2>/dev/null | sed 's/^/  /'
      [[ -s $OUT/interop/failed_scenarios.txt ]] &&
        sed 's/^ *\([0-9]*\) \(.*\)/  scenario \2 failed in \1 run(s)/' "$OUT/interop/failed_scenarios.txt"
    else
      ls "$(logs_of "$config" "$target")"/*.log 2>/dev/null | sed 's/^/  /'
    fi
  done
  echo
  if [[ $FLAKY -gt 0 ]]; then
    echo "steadiness: $FLAKY flaky (config, target) pair(s); logs under $OUT"
  elif [[ $BROKEN -ne 0 ]]; then
    echo "steadiness: some targets could not be built or gave no result; see $OUT"
  else
    echo "steadiness: every run passed ($OUT)"
  fi
} >"$OUT/summary.txt"
cat "$OUT/summary.txt"
[[ $FLAKY -gt 0 ]] && exit 1
[[ $BROKEN -ne 0 ]] && exit 2
exit 0
