#!/usr/bin/env bash
# smtpc_e2e_test.sh: runs the real `smtpc` binary end to end on 127.0.0.1:
#   - `smtpc demo` (embedded sink + libuv client) and its transcript;
#   - `smtpc sink` as a separate process, `smtpc send` to it (STARTTLS with
#     the sink's CA, AUTH, a message full of leading dots and bare line
#     endings) and a byte comparison of what the sink stored;
#   - `smtpc bulk` to the same sink;
#   - exit statuses: partial (2), refused connection (3), usage (64).
# Every check names what it expected; the script stops at the first failure.
set -euo pipefail

SMTPC=${1:-tools/smtpc}
TMP=${TEST_TMPDIR:-$(mktemp -d)}
SINK_PID=""
HOLDER_PID=""

fail() {
  echo "FAIL: $*" >&2
  for f in "$TMP"/*.out "$TMP"/*.err; do
    [[ -f $f ]] && { echo "--- $f" >&2; head -c 4000 "$f" >&2; }
  done
  exit 1
}
# cleanup stops what this script started, by PID (also when a check failed,
# or Bazel's timeout sent SIGTERM).
cleanup() {
  local pid
  for pid in "$SINK_PID" "$HOLDER_PID"; do
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

expect_status() {  # expect_status WANT CMD...
  local want=$1 rc=0
  shift
  "$@" >"$TMP/cmd.out" 2>"$TMP/cmd.err" || rc=$?
  [[ $rc -eq $want ]] || fail "exit $rc (want $want): $*"
}
expect_in() {  # expect_in FILE TEXT
  grep -qF -- "$2" "$1" || fail "$1 lacks: $2"
}
# expect_banner PORT: connects to 127.0.0.1:PORT and expects an SMTP greeting
# (220) within 30 s, then says QUIT: the server is ready by protocol, and it
# is ours (not something else that took the port).
expect_banner() {
  local fd banner=""
  exec {fd}<>"/dev/tcp/127.0.0.1/$1" || fail "cannot connect to 127.0.0.1:$1"
  IFS= read -r -t 30 -u "$fd" banner || true
  printf 'QUIT\r\n' >&"$fd" || true
  exec {fd}>&-
  [[ $banner == "220 "* ]] || fail "127.0.0.1:$1 greeted with '$banner', want 220"
}

# --- help and usage
expect_status 0 "$SMTPC" --help
expect_in "$TMP/cmd.out" "smtpc demo"
expect_status 64 "$SMTPC"
expect_status 64 "$SMTPC" frobnicate
expect_in "$TMP/cmd.err" "smtpc: unknown command 'frobnicate'"
expect_status 64 "$SMTPC" send --server 127.0.0.1 --to b@example.org
expect_in "$TMP/cmd.err" "--from ADDR is required"
expect_status 0 "$SMTPC" help send
expect_in "$TMP/cmd.out" "Usage: smtpc send"

# --- demo
expect_status 0 "$SMTPC" demo --color never
cp "$TMP/cmd.out" "$TMP/demo.out"
expect_in "$TMP/demo.out" "C: STARTTLS"
expect_in "$TMP/demo.out" "certificate verified for 127.0.0.1"
expect_in "$TMP/demo.out" "C: AUTH PLAIN <redacted>"
expect_in "$TMP/demo.out" "Delivered to 2 of 2 recipients: 250 2.0.0 Ok: "
expect_in "$TMP/demo.out" "  RCPT TO:<jürgen@bücher.example>"
expect_in "$TMP/demo.out" "  | .A line that starts with a dot arrives unchanged."
if grep -q "demo-password" "$TMP/demo.out"; then fail "the demo printed the password"; fi

# --- a sink process
mkdir -p "$TMP/mail"
"$SMTPC" sink --port 0 --ca-out "$TMP/ca.pem" --save-dir "$TMP/mail" \
  >"$TMP/sink.out" 2>"$TMP/sink.err" &
SINK_PID=$!
# The sink binds port 0 and prints "listening on 127.0.0.1:PORT" once it
# listens. Poll for that line while the sink lives (the limit only stops a
# hung sink; a slow start under load or a sanitizer just takes longer), then
# check its greeting.
PORT=""
for ((i = 0; i < 1200; i++)); do
  PORT=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$TMP/sink.out" 2>/dev/null || true)
  [[ -n $PORT ]] && break
  kill -0 "$SINK_PID" 2>/dev/null || fail "the sink exited before listening"
  sleep 0.05
done
[[ -n $PORT ]] || fail "the sink did not print its port within 60 s"
expect_banner "$PORT"

# Leading dots, bare LF and CR, a smuggling attempt, no final line break.
printf '%s' $'Subject: e2e\n\n.one dot\n..two dots\r\nbare CR\rsmuggle\n.\nend' >"$TMP/in.eml"
printf '%s' $'Subject: e2e\r\n\r\n.one dot\r\n..two dots\r\nbare CR\r\nsmuggle\r\n.\r\nend\r\n' >"$TMP/want.eml"
for chunking in auto never; do
  expect_status 0 "$SMTPC" send --server "127.0.0.1:$PORT" --tls starttls --ca-file "$TMP/ca.pem" \
    --user demo --password demo-password --from a@example.org --to b@example.org \
    --data "$TMP/in.eml" --chunking "$chunking" --json --trace
  cp "$TMP/cmd.out" "$TMP/send-$chunking.out"
  expect_in "$TMP/send-$chunking.out" '"status":"ok","exit_code":0,"error":null}'
  expect_in "$TMP/send-$chunking.out" '"established":true'
  expect_in "$TMP/cmd.err" "C: AUTH PLAIN <redacted>"
done
# The sink writes N.eml before it replies 250 to the message, and `smtpc
# send` exits 0 only after that reply: the files are complete, no wait.
cmp "$TMP/mail/1.eml" "$TMP/want.eml" || fail "BDAT: stored bytes differ from the CRLF-normalised input"
cmp "$TMP/mail/2.eml" "$TMP/want.eml" || fail "DATA: stored bytes differ from the CRLF-normalised input"
expect_in "$TMP/send-auto.out" '"body_command":"BDAT"'
expect_in "$TMP/send-never.out" '"body_command":"DATA"'

# Standard input and a partial delivery (exit 2).
printf 'Subject: stdin\n\nbody\n' | {
  rc=0
  "$SMTPC" send --server "127.0.0.1:$PORT" --from a@example.org --to b@example.org \
    --to reject@example.org --data - >"$TMP/partial.out" 2>"$TMP/partial.err" || rc=$?
  [[ $rc -eq 2 ]] || fail "partial delivery: exit $rc (want 2)"
}
expect_in "$TMP/partial.out" "rejected  reject@example.org  550 5.1.1"
printf 'Subject: stdin\r\n\r\nbody\r\n' | cmp - "$TMP/mail/3.eml" || fail "stdin message differs"

# Bulk over pooled connections.
expect_status 0 "$SMTPC" bulk --server "127.0.0.1:$PORT" --tls none --count 200 --concurrency 4 --size 3000
expect_in "$TMP/cmd.out" "bulk: 200 sent, 0 failed, "

kill "$SINK_PID"
wait "$SINK_PID" || true
SINK_PID=""
expect_in "$TMP/sink.out" "message 1: <a@example.org> -> <b@example.org>, "
expect_in "$TMP/sink.out" "received 203 messages"

# Connection refused is a temporary failure (exit 3). The port is held bound
# without listening by a helper for the duration (not the stopped sink's
# port: anything could bind that one again in between).
coproc HOLDER {
  exec /usr/bin/python3 -c 'import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True)
sys.stdin.read()'
}
REFUSED_PORT=""
read -r -t 60 REFUSED_PORT <&"${HOLDER[0]}" || true
[[ -n $REFUSED_PORT ]] || fail "the port holder printed no port"
expect_status 3 "$SMTPC" send --server "127.0.0.1:$REFUSED_PORT" --from a@example.org --to b@example.org --json
expect_in "$TMP/cmd.out" '"error":{"kind":"io","permanent":false'

echo "PASS"
