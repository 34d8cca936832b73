#!/usr/bin/env bash
# epoll_client_test.sh EPOLL_CLIENT SMTPC: runs the epoll embedding example against `smtpc sink`.
#
# The sink listens on a port the kernel picks (--port 0); it is ready when it prints its banner
# "listening on 127.0.0.1:PORT" (read through a FIFO with a time limit, no sleeping). It offers
# STARTTLS with a throwaway CA (--ca-out), AUTH demo/demo-password after TLS, and refuses
# recipients starting with "reject". It is stopped by PID on any exit.
set -euo pipefail
client=$(readlink -f "$1") smtpc=$(readlink -f "$2")
work=$(mktemp -d "${TEST_TMPDIR:-/tmp}/epoll.XXXXXX")
sink_pid=""
cleanup() {
  if [[ -n $sink_pid ]]; then
    kill "$sink_pid" 2>/dev/null || true
    wait "$sink_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

mkfifo "$work/sink.out"
"$smtpc" sink --port 0 --ca-out "$work/ca.pem" >"$work/sink.out" 2>"$work/sink.err" &
sink_pid=$!
exec 3<"$work/sink.out"
read -r -t 60 banner <&3 || { echo "no banner from the sink"; cat "$work/sink.err"; exit 1; }
[[ $banner =~ ^listening\ on\ 127\.0\.0\.1:([0-9]+)$ ]] || { echo "unexpected banner: $banner"; exit 1; }
port=${BASH_REMATCH[1]}

printf 'Subject: epoll\r\n\r\n.leading dot\r\nhello\r\n' |
  "$client" --server "127.0.0.1:$port" --ca-file "$work/ca.pem" --user demo --password demo-password \
    --from a@example.org --to b@example.org --to reject@example.org >"$work/client.out" || {
  echo "epoll_client failed:"; cat "$work/client.out"; echo "sink stderr:"; cat "$work/sink.err"; exit 1; }
cat "$work/client.out"

fail=0
expect() { grep -qxF "$1" "$work/client.out" || { echo "missing line: $1"; fail=1; }; }
expect "> tls_upgrade_required"
expect "> tls_established"
expect "> authenticated PLAIN"
expect "b@example.org delivered 250"
expect "reject@example.org rejected 550"
expect "> closed ok"
# The sink's own account of the message (after its second banner line): over TLS, authenticated.
received=""
while read -r -t 60 line <&3; do
  if [[ $line == message\ * ]]; then received=$line; break; fi
done
[[ -n $received ]] || { echo "the sink reported no message"; exit 1; }
echo "sink: $received"
[[ $received == *"<a@example.org> -> <b@example.org>"*"over TLS, AUTH demo" ]] || { echo "unexpected: $received"; fail=1; }
[[ $fail -eq 0 ]] && echo "epoll_client_test: 1 passed, 0 failed"
exit $fail
