#!/usr/bin/env bash
# interop_test.sh: sends mail with an SMTP client to real servers on 127.0.0.1 and asserts what arrived.
#
# Starts a private Postfix + Dovecot (servers/postfix.sh) and the recording aiosmtpd (servers/aiosmtpd.sh) in a
# temp dir, runs the scenarios below with the client, checks exit codes, the client's --json object, and the
# exact bytes the servers stored (Postfix: the Maildir file; aiosmtpd: the recorded DATA bytes), then stops the
# servers by PID (also on failure or Ctrl-C). Ends with "N passed, M failed"; exits 1 when any failed.
#
# Environment:
#   SMTP_CLIENT   the client command (words split on spaces); it is run as `$SMTP_CLIENT send ... --json
#                 --trace`. Default: bazel-bin/tools/smtpc when it exists, else reference_client.py.
#   INTEROP_ONLY  a regex: run only the scenarios whose names match (e.g. 'pf_auth|ai_dots').
#   KEEP_WORK=1   keep the temp dir (configs, logs, Maildir, records, client outputs) even when all passed.
# Must run as root for Postfix/Dovecot (CI does); without root only the aiosmtpd scenarios run.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
# shellcheck source=lib.sh
source "$HERE/lib.sh"

if [[ -n ${SMTP_CLIENT:-} ]]; then
  read -r -a CLIENT <<<"$SMTP_CLIENT"
elif [[ -x $REPO/bazel-bin/tools/smtpc ]]; then
  CLIENT=("$REPO/bazel-bin/tools/smtpc")
else
  CLIENT=("$PYTHON" "$HERE/reference_client.py")
fi
CHECK=("$PYTHON" "$HERE/check.py")
ONLY=${INTEROP_ONLY:-}
T_START=$EPOCHREALTIME
PASSED=0 FAILED=0 SKIPPED=0
FAILED_NAMES=()
# die (replaces lib.sh's): a harness failure counts as a failure, keeps the work dir, prints the summary.
die() {
  log "error: $*"
  FAILED=$((FAILED + 1))
  echo "$PASSED passed, $FAILED failed"
  exit 1
}

IS_ROOT=0
[[ $(id -u) -eq 0 ]] && IS_ROOT=1
if [[ $IS_ROOT -eq 1 ]]; then
  "$HERE/install_deps.sh" >/tmp/smtpcore-interop-apt.log 2>&1 ||
    { tail -20 /tmp/smtpcore-interop-apt.log >&2; die "install_deps.sh failed"; }
fi

WORK=$(mktemp -d /tmp/smtpcore-interop.XXXXXX)
chmod 755 "$WORK"  # Postfix's daemons and the virtual-mail uid walk below it
mkdir -p "$WORK/out" "$WORK/msg"

finish() {
  release_refused_port
  # A Postfix start still in progress must finish before it can be stopped.
  [[ -n ${PF_START_PID:-} ]] && wait "$PF_START_PID" 2>/dev/null
  [[ $IS_ROOT -eq 1 ]] && "$HERE/servers/postfix.sh" stop "$WORK/postfix" >/dev/null 2>&1
  "$HERE/servers/aiosmtpd.sh" stop "$WORK/aiosmtpd" >/dev/null 2>&1
  if [[ $FAILED -eq 0 && -z ${KEEP_WORK:-} ]]; then
    rm -rf "$WORK"
  else
    log "work dir kept: $WORK"
  fi
}
install_cleanup_trap
add_cleanup finish

log "client: ${CLIENT[*]}"
log "work dir: $WORK"

# --- servers (started concurrently; Postfix's start-up checks take a few seconds)
PF_OK=0
if [[ $IS_ROOT -eq 1 ]]; then
  "$HERE/servers/postfix.sh" start "$WORK/postfix" >"$WORK/postfix-start.log" 2>&1 &
  PF_START_PID=$!
fi
"$HERE/servers/aiosmtpd.sh" start "$WORK/aiosmtpd" || die "aiosmtpd did not start"
# shellcheck disable=SC1091
source "$WORK/aiosmtpd/env"
if [[ $IS_ROOT -eq 1 ]]; then
  if wait "$PF_START_PID"; then
    PF_START_PID=""
    PF_OK=1
    # shellcheck disable=SC1091
    source "$WORK/postfix/env"
  else
    PF_START_PID=""
    cat "$WORK/postfix-start.log" >&2
    die "postfix did not start"
  fi
else
  log "not root: skipping the Postfix scenarios"
fi
log "servers up after $(( (${EPOCHREALTIME/./} - ${T_START/./}) / 1000 )) ms"

# --- scenario helpers
CUR="" OUT="" TOKEN="" RC=0 ERRS=()

fail() { ERRS+=("$*"); }
# send ARGS...: runs the client (send ... --json --trace); stdout -> $OUT.json, stderr -> $OUT.err; sets RC.
send() {
  printf '%q ' "${CLIENT[@]}" send "$@" --json --trace >"$OUT.cmd"
  "${CLIENT[@]}" send "$@" --json --trace >"$OUT.json" 2>"$OUT.err" </dev/null
  RC=$?
}
expect_exit() { [[ $RC -eq $1 ]] || fail "exit status $RC, expected $1"; }
# check SUBCOMMAND ARGS...: queues a check.py assertion; run_checks runs the scenario's queue in one process
# (interpreter start-up dominates on a loaded machine) and turns its output into failure reasons.
CHECKS=()
check() { CHECKS+=("$@" ":::"); }
run_checks() {
  [[ ${#CHECKS[@]} -eq 0 ]] && return 0
  local out
  if ! out=$("${CHECK[@]}" "${CHECKS[@]}" 2>&1); then
    fail "${out:-check.py failed}"
  fi
  CHECKS=()
}
expect_json() { check json "$OUT.json" "$@"; }
# msg KIND [gen options]: writes the scenario's message (carrying $TOKEN) and prints its path.
msg() {
  local kind=$1
  shift
  "${CHECK[@]}" gen "$kind" "$TOKEN" "$WORK/msg/$CUR.eml" "$@" || { log "check.py gen $kind failed"; return 1; }
  echo "$WORK/msg/$CUR.eml"
}
log_offset() { stat -c %s "$1" 2>/dev/null || echo 0; }

scenario() {
  local name=$1 fn=$2 needs=${3:-}
  [[ -n $ONLY && ! $name =~ $ONLY ]] && return 0
  if [[ $needs == postfix && $PF_OK -ne 1 ]]; then
    SKIPPED=$((SKIPPED + 1))
    printf 'SKIP %s (needs root for Postfix)\n' "$name"
    return 0
  fi
  CUR=$name OUT=$WORK/out/$name TOKEN="$name-$RANDOM$RANDOM" RC=0 ERRS=() CHECKS=()
  local t0=$EPOCHREALTIME
  "$fn"
  run_checks
  local ms=$(( (${EPOCHREALTIME/./} - ${t0/./}) / 1000 ))
  if [[ ${#ERRS[@]} -eq 0 ]]; then
    PASSED=$((PASSED + 1))
    printf 'PASS %-34s %5d ms\n' "$name" "$ms"
  else
    FAILED=$((FAILED + 1))
    FAILED_NAMES+=("$name")
    printf 'FAIL %-34s %5d ms\n' "$name" "$ms"
    local e
    for e in "${ERRS[@]}"; do printf '%s\n' "$e" | sed 's/^/    | /'; done
    [[ -f $OUT.cmd ]] && printf '    | command: %s\n' "$(cat "$OUT.cmd")"
    [[ -s $OUT.json ]] && printf '    | stdout: %s\n' "$(head -c 2000 "$OUT.json")"
    [[ -s $OUT.err ]] && tail -n 25 "$OUT.err" | sed 's/^/    | stderr: /'
  fi
}

# --- Postfix scenarios (PF_* from servers/postfix.sh env)
pf_smtp() { echo "127.0.0.1:$PF_SMTP_PORT"; }
pf_auth_args() { echo --user "$PF_USER" --password "$PF_PASSWORD"; }

sc_pf_plain() {
  local m
  m=$(msg simple --to "$PF_RCPT")
  send --server "$(pf_smtp)" --tls none --from sender@example.org --to "$PF_RCPT" --data "$m"
  expect_exit 0
  expect_json tls.established=false recipients.0.address="$PF_RCPT" recipients.0.accepted=true \
    recipients.0.code=250 result.code=250
  check maildir "$PF_MAILDIR" "$TOKEN" "$m" --received 'with ESMTP id'
}

sc_pf_starttls() {
  local m
  m=$(msg simple --to "$PF_RCPT")
  send --server "$(pf_smtp)" --tls starttls --ca-file "$PF_CA_FILE" --from sender@example.org --to "$PF_RCPT" \
    --data "$m"
  expect_exit 0
  expect_json tls.established=true recipients.0.code=250
  check maildir "$PF_MAILDIR" "$TOKEN" "$m" --received '(?s)using TLSv1\.[23] .*with ESMTPS id'
}

sc_pf_starttls_localhost_name() {
  # "localhost" resolves to ::1 and 127.0.0.1 and Postfix listens on 127.0.0.1 only: the client must fall
  # back between addresses, and verify the certificate against the DNS name.
  local m
  m=$(msg simple --to "$PF_RCPT")
  send --server "localhost:$PF_SMTP_PORT" --tls starttls --ca-file "$PF_CA_FILE" --from sender@example.org \
    --to "$PF_RCPT" --data "$m"
  expect_exit 0
  check maildir "$PF_MAILDIR" "$TOKEN" "$m" --received 'with ESMTPS id'
}

sc_pf_starttls_untrusted() {
  local m
  m=$(msg simple --to "$PF_RCPT")
  send --server "$(pf_smtp)" --tls starttls --from sender@example.org --to "$PF_RCPT" --data "$m"
  expect_exit 5
  expect_json error.kind~'^tls_'
  check absent "$PF_MAILDIR" "$TOKEN" --wait 0.3
}

sc_pf_starttls_insecure() {
  local m
  m=$(msg simple --to "$PF_RCPT")
  send --server "$(pf_smtp)" --tls starttls --insecure --from sender@example.org --to "$PF_RCPT" --data "$m"
  expect_exit 0
  check maildir "$PF_MAILDIR" "$TOKEN" "$m" --received 'with ESMTPS id'
}

sc_pf_implicit_tls() {
  local m
  m=$(msg simple --to "$PF_RCPT")
  # shellcheck disable=SC2046
  send --server "127.0.0.1:$PF_SMTPS_PORT" --tls implicit --ca-file "$PF_CA_FILE" $(pf_auth_args) \
    --from "$PF_RCPT" --to "$PF_RCPT" --data "$m"
  expect_exit 0
  expect_json tls.established=true recipients.0.code=250
  check maildir "$PF_MAILDIR" "$TOKEN" "$m" --received 'with ESMTPSA id'
}

sc_pf_submission_requires_auth() {
  local m
  m=$(msg simple --to "$PF_RCPT")
  send --server "127.0.0.1:$PF_SUBMIT_PORT" --tls starttls --ca-file "$PF_CA_FILE" --from sender@example.org \
    --to "$PF_RCPT" --data "$m"
  expect_exit 4
  expect_json recipients.0.accepted=false recipients.0.code=554 error.permanent=true
  check absent "$PF_MAILDIR" "$TOKEN" --wait 0.3
}

sc_pf_submission_requires_starttls() {
  local m
  m=$(msg simple --to "$PF_RCPT")
  send --server "127.0.0.1:$PF_SUBMIT_PORT" --tls none --from sender@example.org --to "$PF_RCPT" --data "$m"
  expect_exit 4
  expect_json error.code=530 error.permanent=true
}

pf_auth_mech() {
  local mech=$1 m pos
  m=$(msg simple --to "$PF_RCPT")
  pos=$(log_offset "$PF_MAILLOG")
  # shellcheck disable=SC2046
  send --server "127.0.0.1:$PF_SUBMIT_PORT" --tls starttls --ca-file "$PF_CA_FILE" $(pf_auth_args) \
    --auth "$mech" --from "$PF_RCPT" --to "$PF_RCPT" --data "$m"
  expect_exit 0
  check maildir "$PF_MAILDIR" "$TOKEN" "$m" --received 'with ESMTPSA id'
  # Server-side proof of the mechanism: smtpd logs it with the queue id.
  check log "$PF_MAILLOG" "$pos" "client=localhost\[127\.0\.0\.1\], sasl_method=$mech, sasl_username=$PF_USER\$"
}
sc_pf_auth_plain() { pf_auth_mech PLAIN; }
sc_pf_auth_login() { pf_auth_mech LOGIN; }
sc_pf_auth_cram_md5() { pf_auth_mech CRAM-MD5; }
sc_pf_auth_scram_sha_1() { pf_auth_mech SCRAM-SHA-1; }
sc_pf_auth_scram_sha_256() { pf_auth_mech SCRAM-SHA-256; }

sc_pf_auth_wrong_password() {
  local m
  m=$(msg simple --to "$PF_RCPT")
  send --server "127.0.0.1:$PF_SUBMIT_PORT" --tls starttls --ca-file "$PF_CA_FILE" --user "$PF_USER" \
    --password wrong-password --auth PLAIN --from "$PF_RCPT" --to "$PF_RCPT" --data "$m"
  expect_exit 4
  expect_json error.code=535 error.enhanced_code=5.7.8 error.permanent=true
}

sc_pf_multi_rcpt_one_rejected() {
  local m
  m=$(msg simple --to "$PF_RCPT")
  send --server "$(pf_smtp)" --tls starttls --ca-file "$PF_CA_FILE" --from sender@example.org \
    --to "$PF_RCPT" --to "$PF_REJECTED_RCPT" --to "$PF_RCPT_UTF8" --smtputf8 --data "$m"
  expect_exit 2
  expect_json recipients.0.address="$PF_RCPT" recipients.0.accepted=true recipients.0.code=250 \
    recipients.1.address="$PF_REJECTED_RCPT" recipients.1.accepted=false recipients.1.code=550 \
    recipients.1.enhanced_code=5.1.1 'recipients.1.text~User unknown' \
    recipients.2.address="$PF_RCPT_UTF8" recipients.2.accepted=true result.code=250
  # Both accepted addresses map to the same Maildir: two copies.
  check maildir "$PF_MAILDIR" "$TOKEN" "$m" --count 2
}

sc_pf_tempfail_rcpt() {
  local m
  m=$(msg simple --to "$PF_TEMPFAIL_RCPT")
  send --server "$(pf_smtp)" --tls none --from sender@example.org --to "$PF_TEMPFAIL_RCPT" --data "$m"
  expect_exit 3
  expect_json recipients.0.accepted=false recipients.0.code=450 recipients.0.enhanced_code=4.2.0 \
    error.permanent=false
}

sc_pf_8bitmime() {
  local m
  m=$(msg eightbit --to "$PF_RCPT")
  send --server "$(pf_smtp)" --tls starttls --ca-file "$PF_CA_FILE" --8bitmime --from sender@example.org \
    --to "$PF_RCPT" --data "$m"
  expect_exit 0
  check maildir "$PF_MAILDIR" "$TOKEN" "$m"
}

sc_pf_smtputf8() {
  local m
  m=$(msg utf8 --to "$PF_RCPT_UTF8" --from "jösé.sender@exämple.org")
  send --server "$(pf_smtp)" --tls starttls --ca-file "$PF_CA_FILE" --smtputf8 --8bitmime \
    --from "jösé.sender@exämple.org" --to "$PF_RCPT_UTF8" --data "$m"
  expect_exit 0
  expect_json recipients.0.code=250
  check maildir "$PF_MAILDIR" "$TOKEN" "$m" --received 'with UTF8SMTPS id'
}

sc_pf_bdat_dots_bare_lf() {
  local m pos
  m=$(msg dots --to "$PF_RCPT")
  pos=$(log_offset "$PF_MAILLOG")
  send --server "$(pf_smtp)" --tls starttls --ca-file "$PF_CA_FILE" --chunking auto --from sender@example.org \
    --to "$PF_RCPT" --data "$m"
  expect_exit 0
  check maildir "$PF_MAILDIR" "$TOKEN" "$m"
  # Postfix offers CHUNKING, so --chunking auto must have used BDAT (smtpd counts commands per session).
  check log "$PF_MAILLOG" "$pos" 'disconnect from localhost\[127\.0\.0\.1\] .* bdat=[1-9][0-9]*'
}

sc_pf_data_dots_bare_lf() {
  local m pos
  m=$(msg dots --to "$PF_RCPT")
  pos=$(log_offset "$PF_MAILLOG")
  send --server "$(pf_smtp)" --tls starttls --ca-file "$PF_CA_FILE" --chunking never --from sender@example.org \
    --to "$PF_RCPT" --data "$m"
  expect_exit 0
  check maildir "$PF_MAILDIR" "$TOKEN" "$m"
  check log "$PF_MAILLOG" "$pos" 'disconnect from localhost\[127\.0\.0\.1\] .* data=1 '
}

sc_pf_large_bdat() {
  # ~600 KB: several BDAT chunks (or one big one), every 7th line starting with a dot.
  local m
  m=$(msg big --to "$PF_RCPT" --size 600000)
  send --server "$(pf_smtp)" --tls starttls --ca-file "$PF_CA_FILE" --from sender@example.org \
    --to "$PF_RCPT" --data "$m"
  expect_exit 0
  check maildir "$PF_MAILDIR" "$TOKEN" "$m"
}

sc_pf_large_data() {
  local m
  m=$(msg big --to "$PF_RCPT" --size 600000)
  send --server "$(pf_smtp)" --tls none --chunking never --from sender@example.org --to "$PF_RCPT" --data "$m"
  expect_exit 0
  check maildir "$PF_MAILDIR" "$TOKEN" "$m"
}

sc_pf_oversize() {
  local m
  m=$(msg big --to "$PF_RCPT" --size 1500000)
  send --server "$(pf_smtp)" --tls starttls --ca-file "$PF_CA_FILE" --from sender@example.org \
    --to "$PF_RCPT" --data "$m"
  expect_exit 4
  # Either the server refused (MAIL ... SIZE= -> 552 5.3.4, or 552 after the data) or the client refused
  # locally from the advertised SIZE (message_too_large).
  expect_json 'error.code=552 || error.kind=message_too_large' error.permanent=true
  check absent "$PF_MAILDIR" "$TOKEN" --wait 0.5
}

sc_pf_dsn() {
  local m
  m=$(msg simple --to "$PF_RCPT" --from "$PF_RCPT")
  send --server "$(pf_smtp)" --tls starttls --ca-file "$PF_CA_FILE" --dsn-notify SUCCESS,FAILURE \
    --dsn-ret HDRS --envid "$TOKEN" --from "$PF_RCPT" --to "$PF_RCPT" --data "$m"
  expect_exit 0
  check maildir "$PF_MAILDIR" "$TOKEN" "$m"
  # NOTIFY=SUCCESS: Postfix reports the delivery to the sender (the same Maildir), quoting ENVID.
  check grep "$PF_MAILDIR" "^Original-Envelope-Id: $TOKEN"
}

# --- aiosmtpd scenarios (AI_* from servers/aiosmtpd.sh env)
ai_plain() { echo "127.0.0.1:$AI_PORT"; }

sc_ai_plain() {
  local m
  m=$(msg simple --to "$AI_RCPT")
  send --server "$(ai_plain)" --tls none --from sender@example.org --to "$AI_RCPT" --data "$m"
  expect_exit 0
  expect_json tls.established=false recipients.0.code=250 result.code=250
  check record "$AI_RECORD_DIR" "$TOKEN" "$m" tls=null auth_user=null mail_from=sender@example.org \
    "rcpt_tos=[\"$AI_RCPT\"]" body_command=DATA
}

sc_ai_starttls_auth_plain() {
  local m
  m=$(msg simple --to "$AI_RCPT")
  send --server "$(ai_plain)" --tls starttls --ca-file "$AI_CA_FILE" --user "$AI_USER" --password "$AI_PASSWORD" \
    --auth PLAIN --from sender@example.org --to "$AI_RCPT" --data "$m"
  expect_exit 0
  expect_json tls.established=true
  check record "$AI_RECORD_DIR" "$TOKEN" "$m" tls.version~'^TLSv1\.[23]$' auth_user="$AI_USER" \
    auth_mechanism=PLAIN
}

sc_ai_starttls_auth_login() {
  local m
  m=$(msg simple --to "$AI_RCPT")
  send --server "$(ai_plain)" --tls starttls --ca-file "$AI_CA_FILE" --user "$AI_USER" --password "$AI_PASSWORD" \
    --auth LOGIN --from sender@example.org --to "$AI_RCPT" --data "$m"
  expect_exit 0
  check record "$AI_RECORD_DIR" "$TOKEN" "$m" tls? auth_user="$AI_USER" auth_mechanism=LOGIN
}

sc_ai_implicit_tls_auth() {
  local m
  m=$(msg simple --to "$AI_RCPT")
  send --server "127.0.0.1:$AI_TLS_PORT" --tls implicit --ca-file "$AI_CA_FILE" --user "$AI_USER" \
    --password "$AI_PASSWORD" --from sender@example.org --to "$AI_RCPT" --data "$m"
  expect_exit 0
  expect_json tls.established=true
  check record "$AI_RECORD_DIR" "$TOKEN" "$m" tls? auth_user="$AI_USER"
}

sc_ai_auth_wrong_password() {
  local m
  m=$(msg simple --to "$AI_RCPT")
  send --server "$(ai_plain)" --tls starttls --ca-file "$AI_CA_FILE" --user "$AI_USER" --password nope \
    --auth LOGIN --from sender@example.org --to "$AI_RCPT" --data "$m"
  expect_exit 4
  expect_json error.code=535
  check norecord "$AI_RECORD_DIR" "$TOKEN"
}

sc_ai_multi_rcpt_one_rejected() {
  local m
  m=$(msg simple --to "$AI_RCPT")
  send --server "$(ai_plain)" --tls none --from sender@example.org --to "$AI_RCPT" --to "$AI_REJECTED_RCPT" \
    --to bob@sink.test --data "$m"
  expect_exit 2
  expect_json recipients.0.accepted=true recipients.1.accepted=false recipients.1.code=550 \
    recipients.1.enhanced_code=5.1.1 recipients.2.address=bob@sink.test recipients.2.accepted=true
  check record "$AI_RECORD_DIR" "$TOKEN" "$m" "rcpt_tos=[\"$AI_RCPT\", \"bob@sink.test\"]"
}

sc_ai_all_rcpts_rejected() {
  local m
  m=$(msg simple --to "$AI_REJECTED_RCPT")
  send --server "$(ai_plain)" --tls none --from sender@example.org --to "$AI_REJECTED_RCPT" --data "$m"
  expect_exit 4
  expect_json recipients.0.code=550 error.permanent=true
  check norecord "$AI_RECORD_DIR" "$TOKEN"
}

sc_ai_tempfail_rcpt() {
  local m
  m=$(msg simple --to "$AI_TEMPFAIL_RCPT")
  send --server "$(ai_plain)" --tls none --from sender@example.org --to "$AI_TEMPFAIL_RCPT" --data "$m"
  expect_exit 3
  expect_json recipients.0.code=450 error.permanent=false
}

sc_ai_8bitmime() {
  local m
  m=$(msg eightbit --to "$AI_RCPT")
  send --server "$(ai_plain)" --tls none --8bitmime --from sender@example.org --to "$AI_RCPT" --data "$m"
  expect_exit 0
  check record "$AI_RECORD_DIR" "$TOKEN" "$m" 'mail_options~"BODY=8BITMIME"'
}

sc_ai_smtputf8() {
  local m
  m=$(msg utf8 --to "ünï@sink.test" --from "jösé@exämple.org")
  send --server "$(ai_plain)" --tls starttls --ca-file "$AI_CA_FILE" --smtputf8 --8bitmime \
    --from "jösé@exämple.org" --to "ünï@sink.test" --data "$m"
  expect_exit 0
  check record "$AI_RECORD_DIR" "$TOKEN" "$m" smtputf8=true 'mail_options~"SMTPUTF8"' \
    "mail_from=jösé@exämple.org" 'rcpt_tos=["ünï@sink.test"]'
}

sc_ai_dots_bare_lf() {
  local m
  m=$(msg dots --to "$AI_RCPT")
  send --server "$(ai_plain)" --tls none --from sender@example.org --to "$AI_RCPT" --data "$m"
  expect_exit 0
  # check record compares both the dot-stuffed wire bytes and aiosmtpd's un-stuffed content.
  check record "$AI_RECORD_DIR" "$TOKEN" "$m" body_command=DATA
}

sc_ai_first_byte_dot_no_final_newline() {
  local m
  m=$(msg firstdot)
  send --server "$(ai_plain)" --tls none --from sender@example.org --to "$AI_RCPT" --data "$m"
  expect_exit 0
  check record "$AI_RECORD_DIR" "$TOKEN" "$m"
}

sc_ai_data_from_stdin() {
  local m
  m=$(msg dots --to "$AI_RCPT")
  printf '%q ' "${CLIENT[@]}" send --data - "<$m" >"$OUT.cmd"
  "${CLIENT[@]}" send --server "$(ai_plain)" --tls none --from sender@example.org --to "$AI_RCPT" --data - \
    --json --trace <"$m" >"$OUT.json" 2>"$OUT.err"
  RC=$?
  expect_exit 0
  check record "$AI_RECORD_DIR" "$TOKEN" "$m"
}

sc_ai_oversize() {
  local m
  m=$(msg big --to "$AI_RCPT" --size 1500000)
  send --server "$(ai_plain)" --tls none --from sender@example.org --to "$AI_RCPT" --data "$m"
  expect_exit 4
  expect_json 'error.code=552 || error.kind=message_too_large' error.permanent=true
  check norecord "$AI_RECORD_DIR" "$TOKEN"
}

sc_ai_starttls_untrusted() {
  # No --ca-file: the system trust store did not sign the throwaway certificate.
  local m
  m=$(msg simple --to "$AI_RCPT")
  send --server "$(ai_plain)" --tls starttls --from sender@example.org --to "$AI_RCPT" --data "$m"
  expect_exit 5
  expect_json error.kind~'^tls_'
  check norecord "$AI_RECORD_DIR" "$TOKEN"
}

sc_client_connection_refused() {
  # A port held bound without listening for the duration: refused under every schedule (a port that was
  # merely free a moment ago could be taken by another program before the client connects).
  hold_refused_port || { fail "could not reserve a refused port"; return; }
  send --server "127.0.0.1:$REFUSED_PORT" --tls none --from sender@example.org --to "$AI_RCPT"
  release_refused_port
  expect_exit 3
  expect_json error.permanent=false
}

sc_client_usage_error() {
  printf '%q ' "${CLIENT[@]}" send --server "$(ai_plain)" --to "$AI_RCPT" >"$OUT.cmd"
  "${CLIENT[@]}" send --server "$(ai_plain)" --to "$AI_RCPT" >"$OUT.json" 2>"$OUT.err" </dev/null
  RC=$?
  expect_exit 64
}

# --- the list
scenario pf_plain sc_pf_plain postfix
scenario pf_starttls sc_pf_starttls postfix
scenario pf_starttls_localhost_name sc_pf_starttls_localhost_name postfix
scenario pf_starttls_untrusted sc_pf_starttls_untrusted postfix
scenario pf_starttls_insecure sc_pf_starttls_insecure postfix
scenario pf_implicit_tls sc_pf_implicit_tls postfix
scenario pf_submission_requires_auth sc_pf_submission_requires_auth postfix
scenario pf_submission_requires_starttls sc_pf_submission_requires_starttls postfix
scenario pf_auth_plain sc_pf_auth_plain postfix
scenario pf_auth_login sc_pf_auth_login postfix
scenario pf_auth_cram_md5 sc_pf_auth_cram_md5 postfix
scenario pf_auth_scram_sha_1 sc_pf_auth_scram_sha_1 postfix
scenario pf_auth_scram_sha_256 sc_pf_auth_scram_sha_256 postfix
scenario pf_auth_wrong_password sc_pf_auth_wrong_password postfix
scenario pf_multi_rcpt_one_rejected sc_pf_multi_rcpt_one_rejected postfix
scenario pf_tempfail_rcpt sc_pf_tempfail_rcpt postfix
scenario pf_8bitmime sc_pf_8bitmime postfix
scenario pf_smtputf8 sc_pf_smtputf8 postfix
scenario pf_bdat_dots_bare_lf sc_pf_bdat_dots_bare_lf postfix
scenario pf_data_dots_bare_lf sc_pf_data_dots_bare_lf postfix
scenario pf_large_bdat sc_pf_large_bdat postfix
scenario pf_large_data sc_pf_large_data postfix
scenario pf_oversize sc_pf_oversize postfix
scenario pf_dsn sc_pf_dsn postfix
scenario ai_plain sc_ai_plain
scenario ai_starttls_auth_plain sc_ai_starttls_auth_plain
scenario ai_starttls_auth_login sc_ai_starttls_auth_login
scenario ai_implicit_tls_auth sc_ai_implicit_tls_auth
scenario ai_auth_wrong_password sc_ai_auth_wrong_password
scenario ai_multi_rcpt_one_rejected sc_ai_multi_rcpt_one_rejected
scenario ai_all_rcpts_rejected sc_ai_all_rcpts_rejected
scenario ai_tempfail_rcpt sc_ai_tempfail_rcpt
scenario ai_8bitmime sc_ai_8bitmime
scenario ai_smtputf8 sc_ai_smtputf8
scenario ai_dots_bare_lf sc_ai_dots_bare_lf
scenario ai_first_byte_dot_no_final_newline sc_ai_first_byte_dot_no_final_newline
scenario ai_data_from_stdin sc_ai_data_from_stdin
scenario ai_oversize sc_ai_oversize
scenario ai_starttls_untrusted sc_ai_starttls_untrusted
scenario client_connection_refused sc_client_connection_refused
scenario client_usage_error sc_client_usage_error

total_ms=$(( (${EPOCHREALTIME/./} - ${T_START/./}) / 1000 ))
log "client: ${CLIENT[*]}; total $((total_ms / 1000)).$(printf '%03d' $((total_ms % 1000)))s"
for n in "${FAILED_NAMES[@]+"${FAILED_NAMES[@]}"}"; do echo "failed: $n"; done
if [[ $SKIPPED -gt 0 ]]; then
  echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
else
  echo "$PASSED passed, $FAILED failed"
fi
[[ $FAILED -eq 0 ]]
