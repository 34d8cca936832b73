#!/usr/bin/env bash
# bench/load.sh: the load run of bench/README.md ("Load"). The libuv
# transport (UvPool) holds SESSIONS concurrent sessions against local sinks
# in one process and sends MESSAGES small messages; load_driver prints RSS at
# the start, at the peak and at the end, and the bytes per idle session (the
# core alone, and with the libuv transport).
#
#   bench/load.sh                      # 10,000 sessions, 1,000,000 messages
#   bench/load.sh --sessions 2000 --messages 100000 --listeners 4
#   bench/load.sh --small              # 200 sessions, 2,000 messages, sinks
#                                      # in the driver's process (the test)
#
# The sinks run in their own process (`load_driver sink`, K listeners on
# 127.0.0.1, ports picked by the kernel), found ready by their 220 banner and
# stopped by PID on exit. Messages go round-robin over the K listeners, so
# no single destination needs more than SESSIONS/K ephemeral ports. Only
# 127.0.0.1 is used. Nothing here is asserted about time or memory; the
# driver's exit status says whether every message was accepted with SESSIONS
# sessions open at once.
set -euo pipefail

sessions=10000
messages=1000000
listeners=4
small=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --sessions) sessions="$2"; shift 2 ;;
    --messages) messages="$2"; shift 2 ;;
    --listeners) listeners="$2"; shift 2 ;;
    --small) small=1; shift ;;
    *) echo "usage: $0 [--small] [--sessions N] [--messages M] [--listeners K]" >&2; exit 2 ;;
  esac
done

# The driver: from the test's runfiles, $LOAD_DRIVER, or built here.
if [[ -n "${TEST_SRCDIR:-}" ]]; then
  driver="$TEST_SRCDIR/${TEST_WORKSPACE:-smtpcore}/bench/load_driver"
elif [[ -n "${LOAD_DRIVER:-}" ]]; then
  driver="$LOAD_DRIVER"
else
  cd "$(dirname "$0")/.."
  bazel build --config=opt //bench:load_driver >&2
  driver="$(bazel info --config=opt bazel-bin 2>/dev/null)/bench/load_driver"
fi

if [[ $small -eq 1 ]]; then
  exec "$driver" client --thread-sinks 2 --sessions 200 --messages 2000
fi

# File descriptors: one per session in the driver and in the sink process.
need=$((sessions + 256))
hard=$(ulimit -Hn)
if [[ "$hard" != unlimited && "$hard" -lt "$need" ]]; then
  echo "load.sh: the hard fd limit is $hard; $need needed" >&2
  exit 1
fi
ulimit -n "$need"

echo "date $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "machine $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(free -m | awk '/Mem:/ {print $2}') MB RAM, $(uname -r)"
echo "uptime $(uptime)"
echo "fd limit $(ulimit -n), somaxconn $(cat /proc/sys/net/core/somaxconn)," \
     "ephemeral ports $(tr '\t' '-' < /proc/sys/net/ipv4/ip_local_port_range)," \
     "sessions $sessions, messages $messages, listeners $listeners"

workdir=$(mktemp -d)
sink_pid=""
cleanup() {
  if [[ -n "$sink_pid" ]]; then
    kill "$sink_pid" 2>/dev/null || true
    wait "$sink_pid" 2>/dev/null || true
  fi
  rm -rf "$workdir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$driver" sink --listeners "$listeners" > "$workdir/sink.out" &
sink_pid=$!

# Ready when every listener greets.
ports=""
for _ in $(seq 1 600); do
  ports=$(sed -n 's/^ports //p' "$workdir/sink.out")
  [[ -n "$ports" ]] && break
  kill -0 "$sink_pid" 2>/dev/null || { echo "load.sh: the sink exited" >&2; exit 1; }
  sleep 0.1
done
[[ -n "$ports" ]] || { echo "load.sh: the sink printed no ports" >&2; exit 1; }
for port in ${ports//,/ }; do
  exec 3<>"/dev/tcp/127.0.0.1/$port"
  read -r -t 30 banner <&3 || true
  exec 3>&-
  [[ "$banner" == 220* ]] || { echo "load.sh: no 220 on port $port" >&2; exit 1; }
done
echo "sinks ready on 127.0.0.1 ports $ports (pid $sink_pid)"

status=0
"$driver" client --ports "$ports" --sessions "$sessions" --messages "$messages" || status=$?
kill "$sink_pid"
wait "$sink_pid" || true
sink_pid=""
echo "uptime after $(uptime)"
exit "$status"
