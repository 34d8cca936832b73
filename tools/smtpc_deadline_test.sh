#!/usr/bin/env bash
# smtpc_deadline_test.sh: the real `smtpc send` (blocking transport) and
# `smtpc bulk` (libuv transport) against a real trickling server
# (tools/testing/trickle_server.py) on 127.0.0.1. Each mode sends bytes
# forever without completing the reply the client waits for (greeting,
# multi-line greeting, EHLO, MAIL, end of data, the STARTTLS and implicit TLS
# handshakes, AUTH rounds). With `--timeout 2` every run must end with exit
# status 3 and a timeout message naming the stage, well before the RFC 5321
# default of 5 minutes: the stage deadline bounds the whole reply, not the
# gap between bytes (core/timers.h).
#
# This is the one test allowed to look at the clock, with generous bounds so
# that CPU load cannot make it flaky: each connection, as the server measures
# it from accept to the client's close (so the client's start-up time does
# not count), must last at least the deadline and at most the deadline plus
# an 8 s margin; each smtpc process must end within a minute of its
# deadlines (the RFC 5321 default a regression would fall back to is 5
# minutes; a hung run is killed there). The server is stopped by PID in the
# EXIT trap.
set -euo pipefail

SMTPC=${1:-tools/smtpc}
SERVER=${2:-tools/testing/trickle_server.py}
TMP=${TEST_TMPDIR:-$(mktemp -d)}
SERVER_PID=""
DEADLINE=2
MARGIN=8            # per connection, measured by the server
PROCESS_MARGIN=60   # per smtpc process, start-up included

fail() {
  echo "FAIL: $*" >&2
  for f in "$TMP"/*.out "$TMP"/*.err; do
    [[ -f $f ]] && { echo "--- $f" >&2; head -c 4000 "$f" >&2; }
  done
  exit 1
}
cleanup() {
  if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
}
trap cleanup EXIT

MODES=(greeting greeting_lines ehlo mail data_end starttls implicit auth)
python3 "$SERVER" --tick 0.3 "${MODES[@]}" >"$TMP/server.out" 2>"$TMP/server.err" &
SERVER_PID=$!
for _ in $(seq 1 200); do
  grep -q '^ready$' "$TMP/server.out" 2>/dev/null && break
  kill -0 "$SERVER_PID" 2>/dev/null || fail "the trickle server exited"
  sleep 0.05
done
grep -q '^ready$' "$TMP/server.out" || fail "the trickle server did not start"

port_of() { sed -n "s/^$1 \([0-9]*\)$/\1/p" "$TMP/server.out"; }

# run MODE STAGE EXTRA_FLAGS...: smtpc send (or bulk, with MODE bulk:NAME)
# must exit 3 with a timeout of stage STAGE, the process within
# attempts * DEADLINE + PROCESS_MARGIN seconds (killed there by `timeout`).
#
# `bulk` runs (the libuv transport) try a message on up to 3 connections
# (UvPool max_attempts), each bounded by the deadline.
run() {
  local mode=$1 stage=$2 rc=0 port start end elapsed_ms name command=send attempts=1
  shift 2
  if [[ $mode == bulk:* ]]; then
    mode=${mode#bulk:}
    command=bulk
    attempts=3
  fi
  name=$command-$mode
  port=$(port_of "$mode")
  [[ -n $port ]] || { echo "no port for mode $mode" >"$TMP/$name.fail"; return; }
  local limit=$((attempts * DEADLINE + PROCESS_MARGIN))
  local args=(--server "127.0.0.1:$port" --to b@example.org --timeout "$DEADLINE")
  if [[ $command == send ]]; then
    args+=(--from a@example.org)
  else
    args+=(--count 1 --concurrency 1 --progress never)
  fi
  start=${EPOCHREALTIME/./}  # microseconds (bash 5)
  timeout -k 1 "$limit" "$SMTPC" "$command" "${args[@]}" "$@" \
    >"$TMP/$name.out" 2>"$TMP/$name.err" || rc=$?
  end=${EPOCHREALTIME/./}
  elapsed_ms=$(( (end - start) / 1000 ))
  echo "$name: exit $rc after ${elapsed_ms} ms" >"$TMP/$name.result"
  if [[ $rc -ne 3 ]]; then
    echo "$name: exit $rc, want 3 (temporary failure; 124 = killed after ${limit}s)" >"$TMP/$name.fail"
  elif ! grep -qF "timed out (stage $stage, limit 2s)" "$TMP/$name.err"; then
    echo "$name: no 'timed out (stage $stage, limit 2s)' in stderr" >"$TMP/$name.fail"
  elif (( elapsed_ms < DEADLINE * 1000 - 100 || elapsed_ms > limit * 1000 )); then
    echo "$name: the process took ${elapsed_ms} ms, want at most ${limit} s" >"$TMP/$name.fail"
  else
    rm -f "$TMP/$name.out" "$TMP/$name.err"
  fi
}

# The runs are independent: start them together.
PIDS=()
run greeting greeting --tls none & PIDS+=($!)
run greeting_lines greeting --tls none & PIDS+=($!)
run ehlo other --tls none & PIDS+=($!)
run mail mail --tls none & PIDS+=($!)
run data_end data_termination --tls none & PIDS+=($!)
run starttls tls_handshake --tls starttls --insecure & PIDS+=($!)
run implicit greeting --tls implicit --insecure & PIDS+=($!)
run auth auth --tls none --insecure --user u --password p & PIDS+=($!)
run bulk:greeting greeting --tls none & PIDS+=($!)
run bulk:starttls tls_handshake --tls starttls --insecure & PIDS+=($!)
for pid in "${PIDS[@]}"; do wait "$pid"; done
cat "$TMP"/*.result
if compgen -G "$TMP/*.fail" >/dev/null; then
  fail "$(cat "$TMP"/*.fail)"
fi

# Every connection as the server saw it: from accept to the client's close.
# The server notices a close at its next send (0.3 s ticks): allow it a
# moment to report the last ones.
for _ in $(seq 1 50); do
  [[ $(grep -c '^closed ' "$TMP/server.out") -ge 10 ]] && break
  sleep 0.1
done
grep '^closed ' "$TMP/server.out"
for mode in "${MODES[@]}"; do
  grep -q "^closed $mode " "$TMP/server.out" || fail "no connection closed for mode $mode"
done
while read -r _ mode seconds; do
  ms=$(( 10#${seconds/./} ))
  if (( ms < DEADLINE * 1000 - 100 || ms > (DEADLINE + MARGIN) * 1000 )); then
    fail "a $mode connection lasted ${seconds} s, want ${DEADLINE} s (+${MARGIN} s margin)"
  fi
done < <(grep '^closed ' "$TMP/server.out")
echo "PASS"
