#!/usr/bin/env bash
# smtpc_sendmail_test.sh: `smtpc sendmail` with real sendmail callers, end to end on 127.0.0.1:
#   - the recording aiosmtpd (tests/integration/servers/aiosmtpd.sh) with STARTTLS, AUTH after STARTTLS;
#   - a profile in $HOME/.config/smtpc/config (msmtp syntax, mode 600) with the server, its test CA, the
#     AUTH user and password, and a logfile;
#   - a message piped to `smtpc sendmail -t` (Bcc removed, recipients from To/Cc/Bcc), byte-compared;
#   - `git send-email --sendmail-cmd=...` (Debian git-email) with smtpc sendmail behind a wrapper that
#     keeps a copy of what git wrote: the server stored exactly those bytes (CRLF-normalised);
#   - `mail` (bsd-mailx) with `set sendmail=` a link named `sendmail` to smtpc;
#   - exit statuses: EX_TEMPFAIL (75) for a refused connection, EX_USAGE (64) and nothing sent for a
#     password file readable by others; the log lines.
# Usage: smtpc_sendmail_test.sh SMTPC AIOSMTPD_SH. Stops at the first failure; the server is stopped by
# PID (EXIT trap), also on failure or Bazel's SIGTERM.
set -euo pipefail

SMTPC=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
AIOSMTPD_SH=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
TMP=$(mktemp -d "${TEST_TMPDIR:-/tmp}/sendmail.XXXXXX")
PYTHON=/usr/bin/python3
HOLDER_PID=""

fail() {
  echo "FAIL: $*" >&2
  for f in "$TMP"/*.out "$TMP"/*.err "$TMP/smtpc.log" "$TMP/ai/aiosmtpd.log"; do
    [[ -f $f ]] && { echo "--- $f" >&2; head -c 4000 "$f" >&2; }
  done
  exit 1
}
cleanup() {
  "$AIOSMTPD_SH" stop "$TMP/ai" >/dev/null 2>&1 || true
  if [[ -n $HOLDER_PID ]] && kill -0 "$HOLDER_PID" 2>/dev/null; then
    kill "$HOLDER_PID" 2>/dev/null || true
    wait "$HOLDER_PID" 2>/dev/null || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for tool in git mail; do
  command -v "$tool" >/dev/null || fail "$tool is not installed (tests/integration/install_deps.sh installs git-email and bsd-mailx)"
done
[[ -x "$(git --exec-path)/git-send-email" ]] || fail "git send-email is not installed (Debian git-email, libmailtools-perl)"

expect_in() {  # expect_in FILE TEXT
  grep -qF -- "$2" "$1" || fail "$1 lacks: $2"
}
# record N: waits for the aiosmtpd record N (written before the 250 reply, so it is there once the client
# exited 0) and prints its directory-relative base name.
record() {
  local base
  base=$(printf '%s/%04d' "$AI_RECORD_DIR" "$1")
  [[ -f $base.json ]] || fail "no record $1 in $AI_RECORD_DIR"
  echo "$base"
}
# json FILE EXPR: prints a Python expression over the record object `r`.
json() {
  "$PYTHON" -c 'import json, sys; r = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}
# crlf FILE: FILE with every line ending made CRLF (what the client sends).
crlf() {
  "$PYTHON" -c 'import sys; d = open(sys.argv[1], "rb").read().replace(b"\r\n", b"\n"); sys.stdout.buffer.write(d.replace(b"\n", b"\r\n"))' "$1"
}

"$AIOSMTPD_SH" start "$TMP/ai" >"$TMP/ai-start.out" 2>&1 || fail "aiosmtpd did not start"
# shellcheck disable=SC1091
source "$TMP/ai/env"

export HOME=$TMP/home
unset SMTPC_CONFIG XDG_CONFIG_HOME
mkdir -p "$HOME/.config/smtpc" "$TMP/bin"
CONFIG=$HOME/.config/smtpc/config
cat >"$CONFIG" <<RC
# msmtp syntax
defaults
tls            on
tls_trust_file $AI_CA_FILE
logfile        $TMP/smtpc.log

account        sink
host           127.0.0.1
port           $AI_PORT
from           sender@example.org
auth           on
user           $AI_USER
password       $AI_PASSWORD

account default : sink
RC
chmod 600 "$CONFIG"
ln -s "$SMTPC" "$TMP/bin/sendmail"

# --- a message on standard input, -t: recipients from To/Cc/Bcc, Bcc removed, a lone dot ends input.
printf '%s\n' 'From: Sender <sender@example.org>' 'To: Alice <alice@sink.test>' \
  'Cc: "Bob, B" <bob@sink.test>' 'Bcc: hidden@sink.test,' '  hidden2@sink.test' \
  'Date: Fri, 04 Dec 2026 05:00:00 +0000' 'Message-ID: <t1@example.org>' 'Subject: piped' '' \
  'body line' '..two dots' '.' 'not sent' >"$TMP/in1.eml"
rc=0
"$SMTPC" sendmail -t <"$TMP/in1.eml" >"$TMP/t1.out" 2>"$TMP/t1.err" || rc=$?
[[ $rc -eq 0 ]] || fail "sendmail -t: exit $rc (want 0)"
[[ ! -s $TMP/t1.out && ! -s $TMP/t1.err ]] || fail "sendmail -t printed something on success"
R=$(record 1)
[[ $(json "$R.json" 'r["rcpt_tos"]') == "['alice@sink.test', 'bob@sink.test', 'hidden@sink.test', 'hidden2@sink.test']" ]] ||
  fail "sendmail -t recipients: $(json "$R.json" 'r["rcpt_tos"]')"
[[ $(json "$R.json" 'r["mail_from"]') == "sender@example.org" ]] || fail "sendmail -t: envelope sender"
[[ $(json "$R.json" 'r["auth_user"]') == "$AI_USER" ]] || fail "sendmail -t: not authenticated as $AI_USER"
[[ $(json "$R.json" 'r["tls"] is not None') == "True" ]] || fail "sendmail -t: not over TLS"
printf '%s\r\n' 'From: Sender <sender@example.org>' 'To: Alice <alice@sink.test>' \
  'Cc: "Bob, B" <bob@sink.test>' \
  'Date: Fri, 04 Dec 2026 05:00:00 +0000' 'Message-ID: <t1@example.org>' 'Subject: piped' '' \
  'body line' '..two dots' >"$TMP/want1.eml"
cmp "$R.content" "$TMP/want1.eml" || fail "sendmail -t: stored bytes differ from the input without Bcc"

# --- git send-email, with a wrapper that keeps what git wrote to sendmail.
cat >"$TMP/bin/capture-sendmail" <<SH
#!/bin/sh
tee "$TMP/git-input.eml" | exec "$SMTPC" sendmail "\$@"
SH
chmod 755 "$TMP/bin/capture-sendmail"
REPO=$TMP/repo
git init -q "$REPO"
git -C "$REPO" -c user.name=Dev -c user.email=dev@example.org commit -q --allow-empty -m base
printf 'hello\n.leading dot\n' >"$REPO/file.txt"
git -C "$REPO" add file.txt
git -C "$REPO" -c user.name=Dev -c user.email=dev@example.org commit -q -m "Add file.txt"
git -C "$REPO" format-patch -q -1 -o "$TMP/patches"
rc=0
(cd "$REPO" && git -c user.name=Dev -c user.email=dev@example.org send-email \
  --sendmail-cmd="$TMP/bin/capture-sendmail" --from="Dev <dev@example.org>" \
  --to=alice@sink.test --bcc=hidden@sink.test --suppress-cc=all --confirm=never \
  "$TMP"/patches/*.patch) >"$TMP/git.out" 2>"$TMP/git.err" || rc=$?
[[ $rc -eq 0 ]] || fail "git send-email: exit $rc"
R=$(record 2)
[[ $(json "$R.json" 'sorted(r["rcpt_tos"])') == "['alice@sink.test', 'hidden@sink.test']" ]] ||
  fail "git send-email recipients: $(json "$R.json" 'r["rcpt_tos"]')"
[[ $(json "$R.json" 'r["auth_user"]') == "$AI_USER" ]] || fail "git send-email: not authenticated"
crlf "$TMP/git-input.eml" >"$TMP/want2.eml"
cmp "$R.content" "$TMP/want2.eml" || fail "git send-email: stored bytes differ from what git wrote"
expect_in "$R.content" "Subject: [PATCH] Add file.txt"
expect_in "$R.content" "+.leading dot"

# --- mail (bsd-mailx) through a link named sendmail.
printf 'set sendmail=%s\n' "$TMP/bin/sendmail" >"$TMP/mailrc"
rc=0
printf 'mailx body\n' | MAILRC=$TMP/mailrc mail -s "mailx test" alice@sink.test >"$TMP/mailx.out" 2>"$TMP/mailx.err" || rc=$?
[[ $rc -eq 0 ]] || fail "mail: exit $rc"
# mail may return before its sendmail child finished: poll for the record (ends as soon as it is there).
for ((i = 0; i < 600; i++)); do
  [[ -f $AI_RECORD_DIR/0003.json ]] && break
  sleep 0.05
done
R=$(record 3)
[[ $(json "$R.json" 'r["rcpt_tos"]') == "['alice@sink.test']" ]] || fail "mail: recipients"
[[ $(json "$R.json" 'r["mail_from"]') == "sender@example.org" ]] || fail "mail: envelope sender from the profile"
expect_in "$R.content" "Subject: mailx test"
expect_in "$R.content" "From: sender@example.org"
grep -q '^Date: ' "$R.content" || fail "mail: no Date field added"
grep -q '^Message-ID: <' "$R.content" || fail "mail: no Message-ID field added"
[[ $("$PYTHON" -c 'import sys; print(repr(open(sys.argv[1], "rb").read().split(b"\r\n\r\n", 1)[1]))' "$R.content") == "b'mailx body\\r\\n'" ]] ||
  fail "mail: body bytes differ"

# --- the log: one line per message.
[[ $(wc -l <"$TMP/smtpc.log") -eq 3 ]] || fail "smtpc.log: want 3 lines"
expect_in "$TMP/smtpc.log" "account=default host=127.0.0.1:$AI_PORT tls=starttls from=<sender@example.org> recipients=alice@sink.test,bob@sink.test,hidden@sink.test,hidden2@sink.test"
expect_in "$TMP/smtpc.log" 'status=EX_OK reply="250 2.0.0 OK: recorded as 1"'

# --- smtpc send with the profile (--account) and composition flags: the stored message parses as MIME with
# the subject, the body, the header and the attachments (bytes, RFC 2231 file name) intact.
printf 'Body from a file, caf\xc3\xa9.\n.leading dot\n' >"$TMP/body.txt"
head -c 3000 /dev/urandom >"$TMP/data.bin"
printf 'r\xc3\xa9sum\xc3\xa9' >"$TMP/name.txt"
cp "$TMP/data.bin" "$TMP/$(cat "$TMP/name.txt").pdf"
SUBJECT=$(printf 'Gr\xc3\xbc\xc3\x9fe \xc3\xa0 test')
rc=0
"$SMTPC" send --account sink --to alice@sink.test --subject "$SUBJECT" \
  --body @"$TMP/body.txt" --header "X-Test: one" --header "Reply-To: Ann <ann@example.org>" \
  --attach "$TMP/data.bin" --attach "$TMP/$(cat "$TMP/name.txt").pdf" >"$TMP/compose.out" 2>"$TMP/compose.err" || rc=$?
[[ $rc -eq 0 ]] || fail "send --account with composition: exit $rc"
R=$(record 4)
[[ $(json "$R.json" 'r["auth_user"]') == "$AI_USER" ]] || fail "send --account: not authenticated from the profile"
"$PYTHON" - "$R.content" "$TMP/data.bin" "$TMP/body.txt" <<'PY' || fail "composed message: see above"
import email, email.policy, sys
msg = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
data = open(sys.argv[2], "rb").read()
body = open(sys.argv[3], "rb").read().decode()
checks = {
    "subject": str(msg["Subject"]) == "Gr\u00fc\u00dfe \u00e0 test",
    "from": str(msg["From"]) == "sender@example.org",
    "to": str(msg["To"]) == "alice@sink.test",
    "x-test": str(msg["X-Test"]) == "one",
    "reply-to": str(msg["Reply-To"]) == "Ann <ann@example.org>",
    "date": msg["Date"] is not None,
    "message-id": str(msg["Message-ID"]).endswith("@example.org>"),
    "multipart": msg.get_content_type() == "multipart/mixed",
}
parts = list(msg.iter_parts())
checks["parts"] = len(parts) == 3
checks["body"] = parts[0].get_content().replace("\r\n", "\n") == body
checks["bin"] = parts[1].get_filename() == "data.bin" and parts[1].get_content_type() == "application/octet-stream" and parts[1].get_content() == data
checks["rfc2231"] = parts[2].get_filename() == "r\u00e9sum\u00e9.pdf" and parts[2].get_content_type() == "application/pdf" and parts[2].get_content() == data
bad = [k for k, ok in checks.items() if not ok]
if bad:
    print("composed message: failed checks:", bad, file=sys.stderr)
    sys.exit(1)
PY

# --- the TLS-mode mistake: implicit TLS against the plaintext/STARTTLS port is named, with a hint.
rc=0
"$SMTPC" send --server "127.0.0.1:$AI_PORT" --tls implicit --ca-file "$AI_CA_FILE" --from a@example.org \
  --to alice@sink.test --json >"$TMP/mode.out" 2>"$TMP/mode.err" || rc=$?
[[ $rc -eq 5 ]] || fail "implicit TLS to the plaintext port: exit $rc (want 5)"
expect_in "$TMP/mode.out" '"kind":"tls_peer_plaintext"'
rc=0
"$SMTPC" send --server "127.0.0.1:$AI_PORT" --tls implicit --ca-file "$AI_CA_FILE" --from a@example.org \
  --to alice@sink.test >"$TMP/mode.out" 2>"$TMP/mode.err" || rc=$?
expect_in "$TMP/mode.err" "the server answered in plaintext SMTP"
expect_in "$TMP/mode.err" "smtpc send: hint: the server answered in plaintext SMTP, so port $AI_PORT does not use implicit TLS: use --tls starttls"

# --- a refused connection: EX_TEMPFAIL, logged. The port is held bound without listening.
coproc HOLDER {
  exec "$PYTHON" -c 'import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True)
sys.stdin.read()'
}
HOLDER_PID=$HOLDER_PID
REFUSED_PORT=""
read -r -t 60 REFUSED_PORT <&"${HOLDER[0]}" || true
[[ -n $REFUSED_PORT ]] || fail "the port holder printed no port"
sed "s/^port .*/port $REFUSED_PORT/" "$CONFIG" >"$TMP/refused.rc"
chmod 600 "$TMP/refused.rc"
rc=0
printf 'Subject: x\n\nbody\n' | "$SMTPC" sendmail -C "$TMP/refused.rc" alice@sink.test >"$TMP/ref.out" 2>"$TMP/ref.err" || rc=$?
[[ $rc -eq 75 ]] || fail "refused connection: exit $rc (want 75 EX_TEMPFAIL)"
expect_in "$TMP/ref.err" "not sent to alice@sink.test"
expect_in "$TMP/smtpc.log" "status=EX_TEMPFAIL"

# --- a password file readable by others: EX_USAGE, nothing sent.
chmod 644 "$CONFIG"
rc=0
printf 'Subject: x\n\nbody\n' | "$SMTPC" sendmail alice@sink.test >"$TMP/perm.out" 2>"$TMP/perm.err" || rc=$?
[[ $rc -eq 64 ]] || fail "readable password file: exit $rc (want 64 EX_USAGE)"
expect_in "$TMP/perm.err" "contains a password and can be read by group or others"
[[ ! -e $AI_RECORD_DIR/0005.json ]] || fail "a message was sent with an insecure configuration file"

echo "PASS"
