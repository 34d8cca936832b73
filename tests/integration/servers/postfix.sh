#!/usr/bin/env bash
# postfix.sh start|stop|env DIR: a private Postfix + Dovecot-auth instance under DIR, on 127.0.0.1 only.
#
#   start DIR  writes every config under DIR, starts Dovecot (auth only) and Postfix (`postfix -c`), waits
#              until the three smtpd ports greet (SMTP 220 from this instance), and writes DIR/env (shell
#              syntax, see below). Ports come from PF_SMTP_PORT / PF_SUBMIT_PORT / PF_SMTPS_PORT when set,
#              else free ports are picked (and picked again, up to 3 times, if another program takes one first).
#   stop DIR   stops Postfix's master and Dovecot's master (and their children) by PID.
#   env DIR    prints DIR/env.
#
# Nothing system-wide is read or changed: Postfix runs with config_directory DIR/postfix/etc, queue and data
# directories under DIR/postfix; Dovecot runs with `dovecot -c DIR/dovecot/dovecot.conf` and its own
# base_dir/state_dir. Must run as root (Postfix's master and Dovecot's master need it).
#
# Services (all 127.0.0.1; what a client sees):
#   PF_SMTP_PORT    MX-like: plain, STARTTLS offered (optional), no AUTH. Accepts mail for test.example only
#                   (reject_unauth_destination); everything else is refused, so nothing can be relayed.
#   PF_SUBMIT_PORT  submission-like: STARTTLS required before MAIL (smtpd_tls_security_level=encrypt), AUTH
#                   offered only after STARTTLS and required for any recipient.
#   PF_SMTPS_PORT   implicit TLS (smtpd_tls_wrappermode=yes), AUTH required for any recipient.
# All three: PIPELINING, CHUNKING (BDAT), 8BITMIME, SMTPUTF8, DSN, SIZE 1048576 (message_size_limit).
# Recipients: tester@test.example and jösé@test.example (SMTPUTF8) are delivered by virtual(8) into the Maildir
# PF_MAILDIR; rejected@test.example is refused at RCPT with 550 5.1.1 (unknown in the virtual mailbox table);
# tempfail@test.example gets 450 4.2.0 (check_recipient_access). default_transport and relay_transport are
# error(8), so Postfix never connects anywhere.
# SASL: Dovecot passwd-file with a {PLAIN} password (plaintext-equivalent scheme, so that CRAM-MD5 and SCRAM
# work next to PLAIN/LOGIN); mechanisms PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/../lib.sh
source "$HERE/../lib.sh"

POSTFIX_USER=postfix
VMAIL_UID=65534  # nobody: owner of delivered mail
VMAIL_GID=65534
TEST_DOMAIN=test.example
TEST_USER=tester
TEST_PASSWORD=interop-Pa55
SIZE_LIMIT=1048576
AUTH_MECHS="PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256"

usage() { echo "usage: $0 start|stop|env DIR" >&2; exit 64; }

write_dovecot_config() {
  local d=$1/dovecot
  mkdir -p "$d/run" "$d/state"
  chmod 755 "$d" "$d/run"
  printf '%s:{PLAIN}%s::::::\n' "$TEST_USER" "$TEST_PASSWORD" >"$d/passwd"
  chmod 640 "$d/passwd"
  chgrp dovecot "$d/passwd" 2>/dev/null || true
  cat >"$d/dovecot.conf" <<EOF
# Private Dovecot for the smtpcore interop tests: SASL authentication for Postfix only, no mail protocols.
# The auth-postfix listener path is relative to base_dir.
protocols =
listen = 127.0.0.1
base_dir = $d/run
state_dir = $d/state
instance_name = smtpcore-interop
log_path = $d/dovecot.log
info_log_path = $d/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_verbose = yes
auth_failure_delay = 0 secs
auth_mechanisms = plain login cram-md5 scram-sha-1 scram-sha-256
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $d/passwd
}
userdb {
  driver = static
  args = uid=$VMAIL_UID gid=$VMAIL_GID home=/nonexistent
}
service auth {
  unix_listener auth-postfix {
    mode = 0660
    user = $POSTFIX_USER
    group = $POSTFIX_USER
  }
}
EOF
}

write_postfix_config() {
  local root=$1 smtp=$2 submit=$3 smtps=$4
  local etc=$root/postfix/etc q=$root/postfix/queue data=$root/postfix/data mail=$root/mail
  mkdir -p "$etc" "$q" "$data" "$mail"
  chmod 755 "$root/postfix" "$etc" "$q"
  chown "$VMAIL_UID:$VMAIL_GID" "$mail"
  chown "$POSTFIX_USER:" "$data"
  chmod 700 "$data"
  printf '%s\n' \
    "$TEST_USER@$TEST_DOMAIN $TEST_DOMAIN/$TEST_USER/" \
    "jösé@$TEST_DOMAIN $TEST_DOMAIN/$TEST_USER/" >"$etc/vmailbox"
  printf '%s\n' "tempfail@$TEST_DOMAIN 450 4.2.0 Mailbox temporarily unavailable (interop test)" \
    >"$etc/recipient_access"
  cat >"$etc/main.cf" <<EOF
# Private Postfix for the smtpcore interop tests (written by tests/integration/servers/postfix.sh).
compatibility_level = 3.6
config_directory = $etc
queue_directory = $q
data_directory = $data
mail_owner = $POSTFIX_USER
setgid_group = postdrop
maillog_file_prefixes = $root/postfix
maillog_file = $root/postfix/maillog
myhostname = mx.$TEST_DOMAIN
mydomain = $TEST_DOMAIN
myorigin = \$myhostname
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.1/32
relay_domains =
local_recipient_maps =
alias_maps =
alias_database =
# Do not rewrite or add headers for loopback clients: the delivered message must be the client's bytes.
local_header_rewrite_clients =
default_transport = error:interop test: no delivery outside $TEST_DOMAIN
relay_transport = error:interop test: no relaying
biff = no
message_size_limit = $SIZE_LIMIT
smtputf8_enable = yes
# SMTP-smuggling guard, loopback included (the default exclusion is \$mynetworks). In 3.7.11 "yes" means
# "normalize": only <CR><LF>.<CR><LF> ends DATA; body lines ending in a bare LF are still accepted, so a client
# that leaks them is caught by the byte comparison of the delivered message, not by a rejection.
smtpd_forbid_bare_newline = yes
smtpd_forbid_bare_newline_exclusions =
virtual_mailbox_domains = $TEST_DOMAIN
virtual_mailbox_base = $mail
virtual_mailbox_maps = texthash:$etc/vmailbox
virtual_uid_maps = static:$VMAIL_UID
virtual_gid_maps = static:$VMAIL_GID
smtpd_tls_cert_file = $root/pki/server.pem
smtpd_tls_key_file = $root/pki/server.key
smtpd_tls_security_level = may
smtpd_tls_received_header = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = $root/dovecot/run/auth-postfix
smtpd_sasl_auth_enable = no
smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination
smtpd_recipient_restrictions = check_recipient_access texthash:$etc/recipient_access
EOF
  # chroot is "n" everywhere: the instance lives in a temp dir, not in a prepared chroot.
  cat >"$etc/master.cf" <<EOF
# service type  private unpriv  chroot  wakeup  maxproc command + args
127.0.0.1:$smtp inet n - n - - smtpd
127.0.0.1:$submit inet n - n - - smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_tls_auth_only=yes
  -o smtpd_recipient_restrictions=check_recipient_access,texthash:$etc/recipient_access,permit_sasl_authenticated,reject
127.0.0.1:$smtps inet n - n - - smtpd
  -o syslog_name=postfix/smtps
  -o smtpd_tls_wrappermode=yes
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_recipient_restrictions=check_recipient_access,texthash:$etc/recipient_access,permit_sasl_authenticated,reject
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
}

write_env() {
  local root=$1 smtp=$2 submit=$3 smtps=$4
  {
    echo "# written by tests/integration/servers/postfix.sh; source it"
    printf 'PF_HOST=%q\n' 127.0.0.1
    printf 'PF_SMTP_PORT=%q\n' "$smtp"
    printf 'PF_SUBMIT_PORT=%q\n' "$submit"
    printf 'PF_SMTPS_PORT=%q\n' "$smtps"
    printf 'PF_DOMAIN=%q\n' "$TEST_DOMAIN"
    printf 'PF_USER=%q\n' "$TEST_USER"
    printf 'PF_PASSWORD=%q\n' "$TEST_PASSWORD"
    printf 'PF_AUTH_MECHS=%q\n' "$AUTH_MECHS"
    printf 'PF_RCPT=%q\n' "$TEST_USER@$TEST_DOMAIN"
    printf 'PF_RCPT_UTF8=%q\n' "jösé@$TEST_DOMAIN"
    printf 'PF_REJECTED_RCPT=%q\n' "rejected@$TEST_DOMAIN"
    printf 'PF_TEMPFAIL_RCPT=%q\n' "tempfail@$TEST_DOMAIN"
    printf 'PF_SIZE_LIMIT=%q\n' "$SIZE_LIMIT"
    printf 'PF_MAILDIR=%q\n' "$root/mail/$TEST_DOMAIN/$TEST_USER"
    printf 'PF_CA_FILE=%q\n' "$root/pki/ca.pem"
    printf 'PF_MAILLOG=%q\n' "$root/postfix/maillog"
    printf 'PF_CONFIG_DIR=%q\n' "$root/postfix/etc"
  } >"$root/env.tmp"
  mv "$root/env.tmp" "$root/env"
}

cmd_start() {
  local root=$1
  [[ $(id -u) -eq 0 ]] || die "postfix.sh must run as root"
  command -v postfix >/dev/null || die "postfix is not installed (run tests/integration/install_deps.sh)"
  command -v dovecot >/dev/null || die "dovecot is not installed (run tests/integration/install_deps.sh)"
  mkdir -p "$root"
  root=$(cd "$root" && pwd)
  # Postfix and the virtual-mail uid must be able to walk down to their directories.
  chmod 755 "$root"
  if [[ -f $root/postfix/queue/pid/master.pid ]] || [[ -f $root/dovecot/run/master.pid ]]; then
    cmd_stop "$root"
  fi
  make_test_pki "$root/pki"
  write_dovecot_config "$root"

  # Dovecot first: smtpd connects to its auth socket on the first AUTH.
  dovecot -c "$root/dovecot/dovecot.conf" </dev/null >>"$root/dovecot/dovecot.log" 2>&1 ||
    { tail -20 "$root/dovecot/dovecot.log" >&2; die "dovecot did not start"; }
  # A poll for the socket (the limit only stops a hung start).
  local i
  for ((i = 0; i < 1200; i++)); do
    [[ -S $root/dovecot/run/auth-postfix && -s $root/dovecot/run/master.pid ]] && break
    sleep 0.05
  done
  [[ -S $root/dovecot/run/auth-postfix ]] ||
    { tail -20 "$root/dovecot/dovecot.log" >&2; cmd_stop "$root"; die "dovecot auth socket did not appear"; }

  # Ports we pick may be taken by another program before master(8) binds them: then start again on new
  # ones. Ports given in PF_*_PORT are used as they are.
  local picked=0 attempt smtp submit smtps
  [[ -z ${PF_SMTP_PORT:-} || -z ${PF_SUBMIT_PORT:-} || -z ${PF_SMTPS_PORT:-} ]] && picked=1
  for attempt in 1 2 3; do
    smtp=${PF_SMTP_PORT:-} submit=${PF_SUBMIT_PORT:-} smtps=${PF_SMTPS_PORT:-}
    if [[ $picked -eq 1 ]]; then
      local ports
      mapfile -t ports < <(pick_free_ports 3)
      smtp=${smtp:-${ports[0]}} submit=${submit:-${ports[1]}} smtps=${smtps:-${ports[2]}}
    fi
    write_postfix_config "$root" "$smtp" "$submit" "$smtps"
    start_postfix_once "$root" "$smtp" "$submit" "$smtps" && break
    if [[ $picked -eq 1 && $attempt -lt 3 ]] && port_taken "$root/postfix/attempt.log"; then
      log "postfix: a picked port was taken meanwhile; starting again on new ports"
      continue
    fi
    cat "$root/postfix/attempt.log" >&2
    cmd_stop "$root"
    die "postfix did not start"
  done
  write_env "$root" "$smtp" "$submit" "$smtps"
  log "postfix up: smtp=$smtp submission=$submit smtps=$smtps (env: $root/env)"
}

# start_postfix_once ROOT SMTP SUBMIT SMTPS: starts master(8) and waits until the three ports greet as our
# instance (mx.test.example). On failure master is stopped and ROOT/postfix/attempt.log holds what this
# attempt logged.
start_postfix_once() {
  local root=$1 port offset ok=1
  shift
  offset=$(stat -c %s "$root/postfix/maillog" 2>/dev/null || echo 0)
  : >"$root/postfix/start.log"
  # `postfix -c DIR start` runs post-install create-missing (queue subdirectories, ownership), checks the
  # instance and starts master(8) in the background (and waits for its start-up: a port in use fails here);
  # master writes queue/pid/master.pid.
  if postfix -c "$root/postfix/etc" start </dev/null >>"$root/postfix/start.log" 2>&1; then
    # Ready by protocol: each port greets (the first greeting waits for smtpd to start).
    for port in "$1" "$2"; do
      wait_for_banner "$port" 60 --expect "mx.$TEST_DOMAIN" 2>>"$root/postfix/start.log" || { ok=0; break; }
    done
    [[ $ok -eq 1 ]] &&
      { wait_for_banner "$3" 60 --tls --expect "mx.$TEST_DOMAIN" 2>>"$root/postfix/start.log" || ok=0; }
  else
    ok=0
  fi
  { cat "$root/postfix/start.log"; tail -c +$((offset + 1)) "$root/postfix/maillog" 2>/dev/null; } \
    >"$root/postfix/attempt.log"
  [[ $ok -eq 1 ]] && return 0
  stop_pidfile "$root/postfix/queue/pid/master.pid" 15
  return 1
}

cmd_stop() {
  local root=$1
  # master(8) terminates its children on SIGTERM; stop_pidfile also waits for them.
  stop_pidfile "$root/postfix/queue/pid/master.pid" 15
  stop_pidfile "$root/dovecot/run/master.pid" 15
}

[[ $# -eq 2 ]] || usage
case $1 in
  start) cmd_start "$2" ;;
  stop) cmd_stop "$2" ;;
  env) cat "$2/env" ;;
  *) usage ;;
esac
