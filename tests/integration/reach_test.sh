#!/usr/bin/env bash
# reach_test.sh: issue 14 ("reach") against real servers on 127.0.0.1 and a private Unix socket:
#
#   lmtp_*      `smtpc send --lmtp --server unix:PATH` to Dovecot's LMTP (servers/dovecot_lmtp.sh): the
#               delivered Maildir bytes, the per-recipient replies (an unknown user refused, the others saved);
#               `smtpc probe` and `smtpc bulk` (the libuv pool) on the same Unix socket
#   socks5_*    through a real microsocks with RFC 1929 username/password (a wrong password is typed)
#   http_*      through a real tinyproxy (HTTP CONNECT with Basic credentials; a port outside ConnectPort is
#               refused, typed)
#   probe_*     `smtpc probe` against aiosmtpd (STARTTLS, implicit TLS, AUTH, a refused password) and, as
#               root, Postfix's submission port
#   local_*     `--local-address 127.0.0.2` as seen by the server
#   quit_*      `--quit-after` each stage, checked in the server's log of the client's lines
#   vrfy_*, expn_*, etrn_*  exit statuses of the service commands (servers/wire_server.py)
#
# Every server runs unprivileged: as root, microsocks and the wire server run as nobody (setpriv), tinyproxy and
# Dovecot drop to nobody (Dovecot's master keeps root to deliver as each mail user, here nobody); each has its
# own config in a temp dir, ports the kernel picks at run time (a server that loses its port to another program
# is started again on a new one), is ready when it answers by protocol, and is stopped by PID on any exit.
#
# Environment: SMTPC (default bazel-bin/tools/smtpc), REACH_ONLY (a regex of scenario names), KEEP_WORK=1.
# Ends with "N passed, M failed"; exit 1 when any failed.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
# shellcheck source=lib.sh
source "$HERE/lib.sh"
log() { printf '[reach] %s\n' "$*" >&2; }

SMTPC=${SMTPC:-$REPO/bazel-bin/tools/smtpc}
CHECK=("$PYTHON" "$HERE/check.py")
ONLY=${REACH_ONLY:-}
PASSED=0 FAILED=0 SKIPPED=0
FAILED_NAMES=()
die() {
  log "error: $*"
  FAILED=$((FAILED + 1))
  echo "$PASSED passed, $FAILED failed"
  exit 1
}
[[ -x $SMTPC ]] || die "no smtpc at $SMTPC (bazel build //tools:smtpc, or set SMTPC)"

IS_ROOT=0
[[ $(id -u) -eq 0 ]] && IS_ROOT=1
if [[ $IS_ROOT -eq 1 ]]; then
  "$HERE/install_deps.sh" >/tmp/smtpcore-reach-apt.log 2>&1 ||
    { tail -20 /tmp/smtpcore-reach-apt.log >&2; die "install_deps.sh failed"; }
fi
for tool in microsocks tinyproxy dovecot; do
  command -v "$tool" >/dev/null || die "$tool is not installed (run tests/integration/install_deps.sh as root)"
done

WORK=$(mktemp -d /tmp/smtpcore-reach.XXXXXX)
chmod 755 "$WORK"
mkdir -p "$WORK/out" "$WORK/msg" "$WORK/wire" "$WORK/socks" "$WORK/http"
PROXY_USER=reach PROXY_PASSWORD='pr0xy-Pa55'

finish() {
  [[ -n ${PF_START_PID:-} ]] && wait "$PF_START_PID" 2>/dev/null
  [[ -d $WORK/postfix ]] && "$HERE/servers/postfix.sh" stop "$WORK/postfix" >/dev/null 2>&1
  "$HERE/servers/aiosmtpd.sh" stop "$WORK/aiosmtpd" >/dev/null 2>&1
  "$HERE/servers/dovecot_lmtp.sh" stop "$WORK/lmtp" >/dev/null 2>&1
  stop_pidfile "$WORK/wire/pid" 5
  stop_pidfile "$WORK/socks/pid" 5
  stop_pidfile "$WORK/http/pid" 5
  if [[ $FAILED -eq 0 && -z ${KEEP_WORK:-} ]]; then
    rm -rf "$WORK"
  else
    log "work dir kept: $WORK"
  fi
}
install_cleanup_trap
add_cleanup finish
log "smtpc: $SMTPC"
log "work dir: $WORK"

# --- servers --------------------------------------------------------------------------------------------

# Postfix (root only) starts in the background: its checks take a few seconds.
PF_OK=0
if [[ $IS_ROOT -eq 1 && ( -z $ONLY || probe_postfix =~ $ONLY ) ]]; then
  "$HERE/servers/postfix.sh" start "$WORK/postfix" >"$WORK/postfix-start.log" 2>&1 &
  PF_START_PID=$!
fi
"$HERE/servers/aiosmtpd.sh" start "$WORK/aiosmtpd" || die "aiosmtpd did not start"
# shellcheck disable=SC1091
source "$WORK/aiosmtpd/env"
"$HERE/servers/dovecot_lmtp.sh" start "$WORK/lmtp" || die "dovecot lmtp did not start"
LMTP_SOCKET=$WORK/lmtp/run/lmtp

# UNPRIV: the prefix that runs a server as nobody when we are root (microsocks and the wire server cannot drop
# privileges themselves; Dovecot and tinyproxy do, from their configs).
UNPRIV=()
if [[ $IS_ROOT -eq 1 ]]; then
  UNPRIV=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
  chown nobody:nogroup "$WORK/wire"
fi

# wire server: binds port 0 itself and writes it; ready when it greets as wire.test.
make_test_pki "$WORK/pki"
cp "$WORK/pki/server.pem" "$WORK/pki/server.key" "$WORK/wire/"
[[ $IS_ROOT -eq 1 ]] && chown nobody:nogroup "$WORK/wire/server.pem" "$WORK/wire/server.key"
setsid "${UNPRIV[@]}" "$PYTHON" "$HERE/servers/wire_server.py" "$WORK/wire" "$WORK/wire/server.pem" \
  "$WORK/wire/server.key" </dev/null >"$WORK/wire/log" 2>&1 &
echo $! >"$WORK/wire/pid"
for _ in $(seq 200); do [[ -s $WORK/wire/port ]] && break; kill -0 "$(cat "$WORK/wire/pid")" 2>/dev/null || break
  sleep 0.05; done  # poll for the file the server writes once bound
[[ -s $WORK/wire/port ]] || { cat "$WORK/wire/log" >&2; die "wire server did not start"; }
WIRE_PORT=$(cat "$WORK/wire/port")
wait_for_banner "$WIRE_PORT" 30 --expect wire.test || die "wire server does not greet"
rm -f "$WORK"/wire/conn-*.log  # the readiness probe's connection

# proxy_ready KIND PORT: 0 when the proxy on PORT relays to aiosmtpd and the 220 comes back through it.
proxy_ready() {
  "$PYTHON" - "$1" "$2" "$AI_PORT" "$PROXY_USER" "$PROXY_PASSWORD" <<'PY'
import base64, socket, struct, sys, time
kind, port, target, user, password = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
end = time.monotonic() + 30
while time.monotonic() < end:
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
    except ConnectionRefusedError:
        time.sleep(0.05)  # poll: not listening yet
        continue
    f = s.makefile("rb")
    if kind == "socks5":
        s.sendall(b"\x05\x01\x02")
        if f.read(2) != b"\x05\x02":
            sys.exit(2)
        s.sendall(b"\x01" + bytes([len(user)]) + user.encode() + bytes([len(password)]) + password.encode())
        if f.read(2) != b"\x01\x00":
            sys.exit(2)
        s.sendall(b"\x05\x01\x00\x01" + socket.inet_aton("127.0.0.1") + struct.pack(">H", target))
        reply = f.read(10)
        if reply[:2] != b"\x05\x00":
            sys.exit(2)
    else:
        auth = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
        s.sendall(("CONNECT 127.0.0.1:%d HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nProxy-Authorization: Basic %s\r\n\r\n"
                   % (target, target, auth)).encode())
        status = f.readline()
        if b" 200" not in status:
            sys.exit(2)
        while f.readline() not in (b"\r\n", b"\n", b""):
            pass
    banner = f.readline()
    s.sendall(b"QUIT\r\n")
    s.close()
    sys.exit(0 if banner.startswith(b"220") else 2)
sys.exit(1)
PY
}

# start_proxy KIND: starts microsocks (socks5) or tinyproxy (http) on a picked port, again on a new one when
# it was taken meanwhile; sets SOCKS_PORT / HTTP_PORT.
start_proxy() {
  local kind=$1 dir=$WORK/$1 attempt port
  [[ $kind == socks5 ]] && dir=$WORK/socks
  for attempt in 1 2 3; do
    port=$(pick_free_ports 1)
    if [[ $kind == socks5 ]]; then
      setsid "${UNPRIV[@]}" microsocks -i 127.0.0.1 -p "$port" -u "$PROXY_USER" -P "$PROXY_PASSWORD" \
        </dev/null >"$dir/log" 2>&1 &
    else
      {
        echo "# tinyproxy for smtpcore's reach_test.sh"
        [[ $IS_ROOT -eq 1 ]] && printf 'User nobody\nGroup nogroup\n'
        echo "Port $port"
        echo "Listen 127.0.0.1"
        echo "Timeout 60"
        echo "LogLevel Info"
        echo "MaxClients 20"
        echo "Allow 127.0.0.1"
        echo "BasicAuth $PROXY_USER $PROXY_PASSWORD"
        echo "ConnectPort $AI_PORT"
        echo "ConnectPort $AI_TLS_PORT"
      } >"$dir/tinyproxy.conf"
      setsid tinyproxy -d -c "$dir/tinyproxy.conf" </dev/null >"$dir/log" 2>&1 &
    fi
    echo $! >"$dir/pid"
    if proxy_ready "$kind" "$port"; then
      [[ $kind == socks5 ]] && SOCKS_PORT=$port || HTTP_PORT=$port
      log "$kind proxy up on 127.0.0.1:$port"
      return 0
    fi
    stop_pidfile "$dir/pid" 5
    grep -qi 'in use' "$dir/log" && continue
    cat "$dir/log" >&2
    break
  done
  die "$kind proxy did not start"
}
start_proxy socks5
start_proxy http

if [[ -n ${PF_START_PID:-} ]]; then
  if wait "$PF_START_PID"; then
    PF_OK=1
    # shellcheck disable=SC1091
    source "$WORK/postfix/env"
  else
    cat "$WORK/postfix-start.log" >&2
    die "postfix did not start"
  fi
  PF_START_PID=""
fi

# --- scenario helpers -----------------------------------------------------------------------------------
CUR="" OUT="" TOKEN="" RC=0 ERRS=()
fail() { ERRS+=("$*"); }
# run SUBCOMMAND ARGS...: smtpc with --json; stdout -> $OUT.json, stderr -> $OUT.err; sets RC.
run() {
  printf '%q ' "$SMTPC" "$@" --json >"$OUT.cmd"
  "$SMTPC" "$@" --json >"$OUT.json" 2>"$OUT.err" </dev/null
  RC=$?
}
expect_exit() { [[ $RC -eq $1 ]] || fail "exit status $RC, expected $1"; }
expect_json() {
  local out
  out=$("${CHECK[@]}" json "$OUT.json" "$@" 2>&1) || fail "${out:-check.py json failed}"
}
# msg: writes a small message carrying $TOKEN and prints its path.
msg() {
  local path=$WORK/msg/$CUR.eml
  printf 'From: a@reach.test\r\nTo: b@reach.test\r\nSubject: %s\r\nMessage-ID: <%s@reach.test>\r\n\r\nHello %s.\r\n.leading dot\r\nbye\r\n' \
    "$TOKEN" "$TOKEN" "$TOKEN" >"$path"
  echo "$path"
}
expect_record() {
  local out
  out=$("${CHECK[@]}" record "$AI_RECORD_DIR" "$TOKEN" "$@" 2>&1) || fail "${out:-check.py record failed}"
}
# wire_lines: the client lines of the wire server's newest connection (commands only, "C: " removed).
wire_log() { ls -t "$WORK"/wire/conn-*.log 2>/dev/null | head -1; }
# wait_wire_end FILE: polls until the server logged the end of the connection.
wait_wire_end() {
  local i
  for i in $(seq 200); do grep -qx END "$1" 2>/dev/null && return 0; sleep 0.05; done
  return 1
}

scenario() {
  local name=$1 fn=$2 needs=${3:-}
  [[ -n $ONLY && ! $name =~ $ONLY ]] && return 0
  if [[ $needs == postfix && $PF_OK -ne 1 ]]; then
    SKIPPED=$((SKIPPED + 1))
    printf 'SKIP %s (needs root for Postfix)\n' "$name"
    return 0
  fi
  CUR=$name OUT=$WORK/out/$name TOKEN="$name-$RANDOM$RANDOM" RC=0 ERRS=()
  local t0=$EPOCHREALTIME
  "$fn"
  local ms=$(( (${EPOCHREALTIME/./} - ${t0/./}) / 1000 ))
  if [[ ${#ERRS[@]} -eq 0 ]]; then
    PASSED=$((PASSED + 1))
    printf 'PASS %s (%d ms)\n' "$name" "$ms"
  else
    FAILED=$((FAILED + 1))
    FAILED_NAMES+=("$name")
    printf 'FAIL %s (%d ms)\n' "$name" "$ms"
    local e
    for e in "${ERRS[@]}"; do printf '    %s\n' "$e"; done
    printf '    command: %s\n' "$(cat "$OUT.cmd" 2>/dev/null)"
    sed 's/^/    stderr: /' "$OUT.err" 2>/dev/null | tail -15
  fi
}

# --- LMTP (RFC 2033) to Dovecot over a Unix-domain socket -----------------------------------------------
# maildir_check USER MSGFILE: the one message with $TOKEN in USER's Maildir ends with the sent bytes (Dovecot
# stores LF line endings and prepends only Return-Path, Delivered-To and Received).
maildir_check() {
  local out
  out=$("$PYTHON" - "$WORK/lmtp/mail/$1/Maildir" "$TOKEN" "$2" 2>&1 <<'PY'
import glob, sys, time
maildir, token, path = sys.argv[1], sys.argv[2].encode(), sys.argv[3]
want = open(path, "rb").read().replace(b"\r\n", b"\n")
end = time.monotonic() + 30
found = []
while time.monotonic() < end:
    found = [p for p in glob.glob(maildir + "/new/*") if token in open(p, "rb").read()]
    if found:
        break
    time.sleep(0.05)  # poll: LMTP replies after saving, so this is normally at once
if len(found) != 1:
    sys.exit("%d messages with the token" % len(found))
data = open(found[0], "rb").read()
if not data.endswith(want):
    sys.exit("delivered bytes differ from the message")
prefix = data[:-len(want)]
for line in prefix.split(b"\n")[:-1]:
    if not (line.startswith((b"Return-Path:", b"Delivered-To:", b"Received:", b" ", b"\t"))):
        sys.exit("unexpected prepended line %r" % line)
if b"Return-Path: <sender@reach.test>" not in prefix:
    sys.exit("no Return-Path with the envelope sender")
PY
) || fail "maildir $1: $out"
}
lmtp_partial() {
  local m
  m=$(msg)
  run send --server "unix:$LMTP_SOCKET" --lmtp --tls none --from sender@reach.test \
    --to alice@lmtp.test --to nosuchuser@lmtp.test --to bob@lmtp.test --data "$m"
  expect_exit 2
  expect_json status=partial server="unix:$LMTP_SOCKET" \
    recipients.0.status=delivered recipients.1.status=rejected recipients.1.code=550 \
    recipients.2.status=delivered
  maildir_check alice "$m"
  maildir_check bob "$m"
}
lmtp_all() {
  local m
  m=$(msg)
  run send --server "unix:$LMTP_SOCKET" --lmtp --tls none --from sender@reach.test \
    --to alice@lmtp.test --data "$m"
  expect_exit 0
  expect_json status=ok recipients.0.status=delivered
  maildir_check alice "$m"
}
lmtp_probe() {
  run probe --server "unix:$LMTP_SOCKET" --lmtp --tls none
  expect_exit 0
  expect_json status=ok peer="unix:$LMTP_SOCKET" 'banner~^220 lmtp.test' 'capabilities_before_tls~CHUNKING' \
    steps.2.name=lhlo tls=null
}
# maildir_count USER: how many messages USER's Maildir/new holds (0 before the first delivery).
maildir_count() { find "$WORK/lmtp/mail/$1/Maildir/new" -type f 2>/dev/null | wc -l; }
lmtp_bulk() {
  # `smtpc bulk` over the libuv pool into a Unix socket: 6 messages on 2 reused connections, each LMTP
  # transaction answered per recipient; Dovecot replies 250 after saving, so the Maildir holds them then.
  local before after i
  before=$(maildir_count bob)
  run bulk --server "unix:$LMTP_SOCKET" --lmtp --tls none --from sender@reach.test --to bob@lmtp.test \
    --count 6 --concurrency 2 --size 2048 --progress never
  expect_exit 0
  expect_json sent=6 failed=0 first_error=null
  for i in $(seq 200); do
    after=$(maildir_count bob)
    [[ $after -ge $((before + 6)) ]] && break
    sleep 0.05  # poll: normally already there
  done
  [[ $after -eq $((before + 6)) ]] || fail "bob's Maildir went from $before to $after messages, expected +6"
}
scenario lmtp_partial lmtp_partial
scenario lmtp_all lmtp_all
scenario lmtp_probe lmtp_probe
scenario lmtp_bulk lmtp_bulk

# --- SOCKS5 (RFC 1928/1929) through microsocks ----------------------------------------------------------
socks5_starttls_auth() {
  local m
  m=$(msg)
  run send --server "127.0.0.1:$AI_PORT" --tls starttls --ca-file "$AI_CA_FILE" \
    --user "$AI_USER" --password "$AI_PASSWORD" \
    --proxy "socks5://$PROXY_USER:$PROXY_PASSWORD@127.0.0.1:$SOCKS_PORT" \
    --from sender@reach.test --to "$AI_RCPT" --data "$m"
  expect_exit 0
  expect_json status=ok tls.verified=true recipients.0.status=delivered
  expect_record "$m" tls? auth_user="$AI_USER"
}
socks5h_plain() {
  local m
  m=$(msg)
  run send --server "127.0.0.1:$AI_PORT" --tls none \
    --proxy "socks5h://$PROXY_USER:$PROXY_PASSWORD@127.0.0.1:$SOCKS_PORT" \
    --from sender@reach.test --to "$AI_RCPT" --data "$m"
  expect_exit 0
  expect_record "$m" tls=null
}
socks5_bad_password() {
  run send --server "127.0.0.1:$AI_PORT" --tls none \
    --proxy "socks5://$PROXY_USER:wrong@127.0.0.1:$SOCKS_PORT" --from sender@reach.test --to "$AI_RCPT"
  expect_exit 5
  expect_json error.kind=proxy_auth_failed
}
scenario socks5_starttls_auth socks5_starttls_auth
scenario socks5h_plain socks5h_plain
scenario socks5_bad_password socks5_bad_password

# --- HTTP CONNECT (RFC 9110 §9.3.6) through tinyproxy ---------------------------------------------------
http_connect_starttls() {
  local m
  m=$(msg)
  run send --server "127.0.0.1:$AI_PORT" --tls starttls --ca-file "$AI_CA_FILE" \
    --user "$AI_USER" --password "$AI_PASSWORD" \
    --proxy "http://$PROXY_USER:$PROXY_PASSWORD@127.0.0.1:$HTTP_PORT" \
    --from sender@reach.test --to "$AI_RCPT" --data "$m"
  expect_exit 0
  expect_json status=ok tls.verified=true
  expect_record "$m" tls? auth_user="$AI_USER"
}
http_connect_implicit_probe() {
  run probe --server "127.0.0.1:$AI_TLS_PORT" --tls implicit --ca-file "$AI_CA_FILE" \
    --proxy "http://$PROXY_USER:$PROXY_PASSWORD@127.0.0.1:$HTTP_PORT"
  expect_exit 0
  expect_json status=ok tls.verified=true steps.1.name=tls
}
http_connect_port_refused() {
  # The wire server's port is not a ConnectPort: tinyproxy answers 403.
  run send --server "127.0.0.1:$WIRE_PORT" --tls none \
    --proxy "http://$PROXY_USER:$PROXY_PASSWORD@127.0.0.1:$HTTP_PORT" --from sender@reach.test --to b@wire.test
  expect_exit 5
  expect_json error.kind=proxy_not_allowed
}
scenario http_connect_starttls http_connect_starttls
scenario http_connect_implicit_probe http_connect_implicit_probe
scenario http_connect_port_refused http_connect_port_refused

# --- smtpc probe ----------------------------------------------------------------------------------------
probe_aiosmtpd_starttls_auth() {
  run probe --server "127.0.0.1:$AI_PORT" --tls starttls --ca-file "$AI_CA_FILE" \
    --user "$AI_USER" --password "$AI_PASSWORD"
  expect_exit 0
  expect_json status=ok 'banner~^220 ' 'capabilities_before_tls~STARTTLS' 'capabilities_after_tls~AUTH' \
    'tls.version~^TLSv1' tls.cipher? 'tls.subject~localhost' 'tls.issuer~.' 'tls.not_after~^20[0-9][0-9]-' \
    tls.verified=true auth.ok=true 'auth.reply~^235' \
    steps.0.name=connect steps.1.name=greeting steps.2.name=ehlo steps.3.name=starttls steps.4.name=ehlo_tls \
    steps.5.name=auth steps.6.name=quit 'steps.6.reply~^221'
}
probe_aiosmtpd_text() {
  "$SMTPC" probe --server "127.0.0.1:$AI_PORT" --tls starttls --ca-file "$AI_CA_FILE" >"$OUT.txt" 2>"$OUT.err"
  RC=$?
  expect_exit 0
  grep -q '^banner: *220' "$OUT.txt" || fail "no banner line"
  grep -q '^  verified: yes' "$OUT.txt" || fail "no verified line"
  grep -q '^result: *ok' "$OUT.txt" || fail "no result line"
}
probe_aiosmtpd_bad_password() {
  run probe --server "127.0.0.1:$AI_PORT" --tls starttls --ca-file "$AI_CA_FILE" \
    --user "$AI_USER" --password wrong
  expect_exit 4
  expect_json status=permanent auth.ok=false 'auth.reply~^535' error.kind=auth_failed
}
probe_aiosmtpd_unverified() {
  # No --ca-file: the test CA is unknown, so required STARTTLS fails verification (exit 5).
  run probe --server "127.0.0.1:$AI_PORT" --tls starttls
  expect_exit 5
  expect_json status=protocol error.kind=tls_verification
}
probe_postfix_submission() {
  run probe --server "127.0.0.1:$PF_SUBMIT_PORT" --tls starttls --ca-file "$PF_CA_FILE" \
    --user "$PF_USER" --password "$PF_PASSWORD"
  expect_exit 0
  expect_json status=ok 'banner~^220 ' 'capabilities_after_tls~AUTH' tls.verified=true auth.ok=true
}
probe_opportunistic_refused() {
  # --tls opportunistic: a 454 to STARTTLS is recorded and the session goes on in plaintext.
  run probe --server "127.0.0.1:$WIRE_PORT" --tls opportunistic --ehlo refuse-tls.test
  expect_exit 0
  expect_json status=ok tls=null steps.3.name=starttls steps.3.ok=false 'steps.3.reply~^454' steps.4.name=quit
}
scenario probe_aiosmtpd_starttls_auth probe_aiosmtpd_starttls_auth
scenario probe_aiosmtpd_text probe_aiosmtpd_text
scenario probe_aiosmtpd_bad_password probe_aiosmtpd_bad_password
scenario probe_aiosmtpd_unverified probe_aiosmtpd_unverified
scenario probe_postfix_submission probe_postfix_submission postfix
scenario probe_opportunistic_refused probe_opportunistic_refused

# --- --local-address ------------------------------------------------------------------------------------
local_address_aiosmtpd() {
  local m
  m=$(msg)
  run send --server "127.0.0.1:$AI_PORT" --tls none --local-address 127.0.0.2 \
    --from sender@reach.test --to "$AI_RCPT" --data "$m"
  expect_exit 0
  expect_record "$m" peer.0=127.0.0.2
}
local_address_probe() {
  run probe --server "127.0.0.1:$WIRE_PORT" --tls none --local-address 127.0.0.2
  expect_exit 0
  local f
  f=$(wire_log)
  wait_wire_end "$f" || fail "the server did not see the connection end"
  [[ $(head -1 "$f") == "peer 127.0.0.2" ]] || fail "server saw $(head -1 "$f"), expected peer 127.0.0.2"
}
scenario local_address_aiosmtpd local_address_aiosmtpd
scenario local_address_probe local_address_probe

# --- --quit-after (swaks) -------------------------------------------------------------------------------
# quit_case STAGE EXPECTED: EXPECTED is the client's verbs as the server logged them, space-separated.
quit_case() {
  local stage=$1 want=$2 f got
  rm -f "$WORK"/wire/conn-*.log
  run send --server "127.0.0.1:$WIRE_PORT" --tls starttls --ca-file "$WORK/pki/ca.pem" \
    --user wire --password wire-pass --from sender@reach.test --to b@wire.test --quit-after "$stage"
  expect_exit 0
  expect_json status=ok quit_after="$stage"
  f=$(wire_log)
  [[ -n $f ]] || { fail "no connection logged"; return; }
  wait_wire_end "$f" || fail "the server did not see the connection end"
  got=$(sed -n 's/^C: \([A-Za-z]*\).*/\1/p' "$f" | tr '\n' ' ' | sed 's/ $//')
  [[ $got == "$want" ]] || fail "$stage: the server saw '$got', expected '$want'"
}
quit_connect() { quit_case connect "QUIT"; }
quit_greeting() { quit_case greeting "QUIT"; }
quit_ehlo() { quit_case ehlo "EHLO QUIT"; }
quit_tls() { quit_case tls "EHLO STARTTLS EHLO QUIT"; }
quit_auth() { quit_case auth "EHLO STARTTLS EHLO AUTH QUIT"; }
quit_mail() { quit_case mail "EHLO STARTTLS EHLO AUTH MAIL QUIT"; }
quit_rcpt() { quit_case rcpt "EHLO STARTTLS EHLO AUTH MAIL RCPT QUIT"; }
quit_rcpt_refused() {
  rm -f "$WORK"/wire/conn-*.log
  run send --server "127.0.0.1:$WIRE_PORT" --tls none --from sender@reach.test --to unknown@wire.test \
    --quit-after rcpt
  expect_exit 4
  expect_json status=permanent 'rcpt.0~^550'
}
for s in connect greeting ehlo tls auth mail rcpt rcpt_refused; do scenario "quit_$s" "quit_$s"; done

# --- VRFY / EXPN (RFC 5321 §3.5) and ETRN (RFC 1985) ----------------------------------------------------
svc() { # svc EXIT COMMAND ARGS...
  local want=$1
  shift
  run "$1" --server "127.0.0.1:$WIRE_PORT" --tls none "${@:2}"
  expect_exit "$want"
}
vrfy_found() { svc 0 vrfy alice; expect_json results.0.code=250 results.0.outcome=found \
  results.0.entries.0.mailbox=alice@wire.test; }
vrfy_cannot_verify() { svc 0 vrfy maybe; expect_json results.0.code=252; }
vrfy_tempfail() { svc 3 vrfy tempfail; expect_json results.0.code=450; }
vrfy_unknown() { svc 4 vrfy nobody; expect_json results.0.code=550 results.0.outcome=not_found; }
expn_list() { svc 0 expn staff; expect_json results.0.entries.1.mailbox=bob@wire.test; }
expn_unknown() { svc 4 expn nolist; }
etrn_ok() { svc 0 etrn wire.test empty.test; expect_json results.0.code=250 results.1.code=251; }
etrn_busy() { svc 3 etrn wire.test busy.test; expect_json results.1.code=458; }
etrn_not_allowed() { svc 3 etrn other.test; expect_json results.0.code=459 results.0.outcome=node_not_allowed; }
etrn_syntax() { svc 4 etrn bad.test; expect_json results.0.code=501; }
for s in vrfy_found vrfy_cannot_verify vrfy_tempfail vrfy_unknown expn_list expn_unknown etrn_ok etrn_busy \
  etrn_not_allowed etrn_syntax; do scenario "$s" "$s"; done

echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
for n in "${FAILED_NAMES[@]+"${FAILED_NAMES[@]}"}"; do echo "failed: $n"; done
[[ $FAILED -eq 0 ]]
