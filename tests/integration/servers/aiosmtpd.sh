#!/usr/bin/env bash
# aiosmtpd.sh start|stop|env DIR: the recording aiosmtpd sink (aiosmtpd_recorder.py) under DIR, 127.0.0.1 only.
#
#   start DIR  makes the test certificate (DIR/pki), starts the recorder in the background (own session, output
#              in DIR/aiosmtpd.log, PID in DIR/aiosmtpd.pid), waits until both ports greet (SMTP 220 from our
#              recorder) and writes DIR/env. Ports come from AI_PORT / AI_TLS_PORT when set, else free ports
#              are picked (and picked again, up to 3 times, if another program takes one first).
#   stop DIR   stops it by PID.
#   env DIR    prints DIR/env.
# Needs Debian's python3-aiosmtpd (run as /usr/bin/python3); root is not needed.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/../lib.sh
source "$HERE/../lib.sh"

TEST_USER=sink
TEST_PASSWORD=sink-Pa55
SIZE_LIMIT=1048576
HOSTNAME_TAG=aiosmtpd.test  # in the greeting: tells our recorder from another program

usage() { echo "usage: $0 start|stop|env DIR" >&2; exit 64; }

cmd_start() {
  local root=$1
  mkdir -p "$root"
  root=$(cd "$root" && pwd)
  "$PYTHON" -c 'import aiosmtpd' 2>/dev/null ||
    die "python3-aiosmtpd is not installed for $PYTHON (run tests/integration/install_deps.sh)"
  cmd_stop "$root"
  make_test_pki "$root/pki"
  mkdir -p "$root/records"
  # Ports we pick may be taken by another program before the recorder binds them: then start again on new
  # ones. Ports given in AI_PORT/AI_TLS_PORT are used as they are.
  local attempt port tls_port
  for attempt in 1 2 3; do
    port=${AI_PORT:-} tls_port=${AI_TLS_PORT:-}
    if [[ -z $port || -z $tls_port ]]; then
      local ports
      mapfile -t ports < <(pick_free_ports 2)
      port=${port:-${ports[0]}} tls_port=${tls_port:-${ports[1]}}
    fi
    start_once "$root" "$port" "$tls_port" && break
    if [[ -z ${AI_PORT:-} || -z ${AI_TLS_PORT:-} ]] && port_taken "$root/aiosmtpd.attempt.log" && [[ $attempt -lt 3 ]]; then
      log "aiosmtpd: a picked port was taken meanwhile; starting again on new ports"
      continue
    fi
    tail -20 "$root/aiosmtpd.attempt.log" >&2
    die "aiosmtpd did not start"
  done
  {
    echo "# written by tests/integration/servers/aiosmtpd.sh; source it"
    printf 'AI_HOST=%q\n' 127.0.0.1
    printf 'AI_PORT=%q\n' "$port"
    printf 'AI_TLS_PORT=%q\n' "$tls_port"
    printf 'AI_USER=%q\n' "$TEST_USER"
    printf 'AI_PASSWORD=%q\n' "$TEST_PASSWORD"
    printf 'AI_AUTH_MECHS=%q\n' "PLAIN LOGIN"
    printf 'AI_RCPT=%q\n' "alice@sink.test"
    printf 'AI_REJECTED_RCPT=%q\n' "rejected@sink.test"
    printf 'AI_TEMPFAIL_RCPT=%q\n' "tempfail@sink.test"
    printf 'AI_SIZE_LIMIT=%q\n' "$SIZE_LIMIT"
    printf 'AI_CA_FILE=%q\n' "$root/pki/ca.pem"
    printf 'AI_RECORD_DIR=%q\n' "$root/records"
    printf 'AI_LOG=%q\n' "$root/aiosmtpd.log"
  } >"$root/env.tmp"
  mv "$root/env.tmp" "$root/env"
  log "aiosmtpd up: plain+starttls=$port implicit-tls=$tls_port (env: $root/env)"
}

# start_once ROOT PORT TLS_PORT: starts the recorder and waits until both ports greet (as aiosmtpd.test).
# Returns non-zero (recorder stopped, its output in ROOT/aiosmtpd.attempt.log) when it exited or never
# greeted.
start_once() {
  local root=$1 port=$2 tls_port=$3 pid
  rm -f "$root/aiosmtpd.ready"
  : >"$root/aiosmtpd.attempt.log"
  # setsid: own process group and no controlling terminal; stdin/stdout/stderr detached from the caller so
  # a CI log pipe is not held open by the server.
  setsid "$PYTHON" "$HERE/aiosmtpd_recorder.py" \
    --port "$port" --tls-port "$tls_port" --record-dir "$root/records" \
    --cert "$root/pki/server.pem" --key "$root/pki/server.key" \
    --user "$TEST_USER" --password "$TEST_PASSWORD" --size-limit "$SIZE_LIMIT" \
    --hostname "$HOSTNAME_TAG" --ready-file "$root/aiosmtpd.ready" \
    </dev/null >>"$root/aiosmtpd.attempt.log" 2>&1 &
  pid=$!
  echo "$pid" >"$root/aiosmtpd.pid"
  # The recorder writes the ready file once both listeners are up, or exits (e.g. a port in use). The limit
  # only stops a hung start; a slow one under load just takes longer.
  local i
  for ((i = 0; i < 1200; i++)); do
    [[ -s $root/aiosmtpd.ready ]] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  if [[ -s $root/aiosmtpd.ready ]] &&
      wait_for_banner "$port" 60 --expect "$HOSTNAME_TAG" &&
      wait_for_banner "$tls_port" 60 --tls --expect "$HOSTNAME_TAG"; then
    cat "$root/aiosmtpd.attempt.log" >>"$root/aiosmtpd.log"
    return 0
  fi
  cmd_stop "$root"
  cat "$root/aiosmtpd.attempt.log" >>"$root/aiosmtpd.log"
  return 1
}

cmd_stop() {
  stop_pidfile "$1/aiosmtpd.pid" 10
}

[[ $# -eq 2 ]] || usage
case $1 in
  start) cmd_start "$2" ;;
  stop) cmd_stop "$2" ;;
  env) cat "$2/env" ;;
  *) usage ;;
esac
