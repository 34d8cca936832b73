#!/usr/bin/env bash
# aiosmtpd.sh start|stop|env DIR: the recording aiosmtpd sink (aiosmtpd_recorder.py) under DIR, 127.0.0.1 only.
#
#   start DIR  makes the test certificate (DIR/pki), starts the recorder in the background (own session, output
#              in DIR/aiosmtpd.log, PID in DIR/aiosmtpd.pid), waits for both ports and writes DIR/env.
#              Ports come from AI_PORT / AI_TLS_PORT when set, else free ports are picked.
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

usage() { echo "usage: $0 start|stop|env DIR" >&2; exit 64; }

cmd_start() {
  local root=$1
  mkdir -p "$root"
  root=$(cd "$root" && pwd)
  "$PYTHON" -c 'import aiosmtpd' 2>/dev/null ||
    die "python3-aiosmtpd is not installed for $PYTHON (run tests/integration/install_deps.sh)"
  cmd_stop "$root"
  local port=${AI_PORT:-} tls_port=${AI_TLS_PORT:-}
  if [[ -z $port || -z $tls_port ]]; then
    local ports
    mapfile -t ports < <(pick_free_ports 2)
    port=${port:-${ports[0]}} tls_port=${tls_port:-${ports[1]}}
  fi
  make_test_pki "$root/pki"
  mkdir -p "$root/records"
  rm -f "$root/aiosmtpd.ready"
  # setsid: own process group and no controlling terminal; stdin/stdout/stderr detached from the caller so
  # a CI log pipe is not held open by the server.
  setsid "$PYTHON" "$HERE/aiosmtpd_recorder.py" \
    --port "$port" --tls-port "$tls_port" --record-dir "$root/records" \
    --cert "$root/pki/server.pem" --key "$root/pki/server.key" \
    --user "$TEST_USER" --password "$TEST_PASSWORD" --size-limit "$SIZE_LIMIT" \
    --ready-file "$root/aiosmtpd.ready" </dev/null >>"$root/aiosmtpd.log" 2>&1 &
  echo $! >"$root/aiosmtpd.pid"
  local i
  for ((i = 0; i < 300; i++)); do
    [[ -s $root/aiosmtpd.ready ]] && break
    kill -0 "$(cat "$root/aiosmtpd.pid")" 2>/dev/null || break
    sleep 0.05
  done
  if [[ ! -s $root/aiosmtpd.ready ]] || ! wait_for_listen "$port" 5 || ! wait_for_listen "$tls_port" 5; then
    tail -20 "$root/aiosmtpd.log" >&2
    cmd_stop "$root"
    die "aiosmtpd did not start"
  fi
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
