#!/usr/bin/env bash
# dovecot_lmtp.sh start|stop DIR: a private Dovecot LMTP server (Debian's dovecot-lmtpd) listening only on the
# Unix-domain socket DIR/run/lmtp (no TCP), delivering into DIR/mail/USER/Maildir.
#
#   start DIR  writes DIR/dovecot.conf and DIR/passwd (users alice and bob), starts `dovecot -F` in the
#              background (own session, PID in DIR/dovecot.pid, log in DIR/dovecot.log) and waits until the
#              socket greets with 220 (ready by protocol). As root the mail is delivered as nobody:nogroup
#              (Dovecot's master drops privileges per user); as another user everything runs as that user.
#   stop DIR   stops it by PID (and every descendant).
# Any other recipient is refused by Dovecot at RCPT ("550 5.1.1 ... User doesn't exist").
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/../lib.sh
source "$HERE/../lib.sh"

usage() { echo "usage: $0 start|stop DIR" >&2; exit 64; }

# wait_for_unix_banner SOCKET SECS PID: polls until SOCKET accepts and greets with 220, then says QUIT; gives
# up when PID exited or SECS passed.
wait_for_unix_banner() {
  "$PYTHON" - "$1" "$2" "$3" <<'PY'
import os, socket, sys, time
path, limit, pid = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
end = time.monotonic() + limit
while time.monotonic() < end:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        sys.exit(3)
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(5)
        s.connect(path)
        banner = s.makefile("rb").readline()
        s.sendall(b"QUIT\r\n")
        s.close()
        sys.exit(0 if banner.startswith(b"220") else 2)
    except (FileNotFoundError, ConnectionRefusedError):
        time.sleep(0.05)  # poll: the socket is not there yet
sys.exit(1)
PY
}

cmd_start() {
  local d=$1
  mkdir -p "$d"
  d=$(cd "$d" && pwd)
  command -v dovecot >/dev/null || die "dovecot is not installed (run tests/integration/install_deps.sh)"
  [[ -x /usr/lib/dovecot/lmtp ]] || die "dovecot-lmtpd is not installed (run tests/integration/install_deps.sh)"
  cmd_stop "$d"
  mkdir -p "$d/run" "$d/state" "$d/mail"
  chmod 755 "$d" "$d/run"
  local uid gid internal_user login_user
  if [[ $(id -u) -eq 0 ]]; then
    uid=$(id -u nobody) gid=$(id -g nobody)
    internal_user=dovecot login_user=dovenull
  else
    uid=$(id -u) gid=$(id -g)
    internal_user=$(id -un) login_user=$(id -un)
  fi
  chown "$uid:$gid" "$d/mail"
  printf '%s:{PLAIN}unused:%s:%s::%s::\n' \
    alice "$uid" "$gid" "$d/mail/alice" \
    bob "$uid" "$gid" "$d/mail/bob" >"$d/passwd"
  chmod 644 "$d/passwd"
  cat >"$d/dovecot.conf" <<CONF
# Private Dovecot LMTP for smtpcore's reach_test.sh (tests/integration/servers/dovecot_lmtp.sh).
protocols = lmtp
listen = 127.0.0.1
base_dir = $d/run
state_dir = $d/state
instance_name = smtpcore-lmtp-$$
log_path = $d/dovecot.log
info_log_path = $d/dovecot.log
ssl = no
default_internal_user = $internal_user
default_login_user = $login_user
first_valid_uid = 1
hostname = lmtp.test
postmaster_address = postmaster@lmtp.test
mail_location = maildir:~/Maildir
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%n $d/passwd
}
userdb {
  driver = passwd-file
  args = username_format=%n $d/passwd
}
service lmtp {
  unix_listener lmtp {
    mode = 0666
  }
}
service stats {
  unix_listener stats-reader {
    mode = 0600
  }
  unix_listener stats-writer {
    mode = 0666
  }
}
CONF
  setsid dovecot -F -c "$d/dovecot.conf" </dev/null >>"$d/dovecot.log" 2>&1 &
  echo $! >"$d/dovecot.pid"
  if ! wait_for_unix_banner "$d/run/lmtp" 30 "$(cat "$d/dovecot.pid")"; then
    tail -20 "$d/dovecot.log" >&2
    cmd_stop "$d"
    die "dovecot lmtp did not greet on $d/run/lmtp"
  fi
  log "dovecot lmtp up on $d/run/lmtp"
}

cmd_stop() {
  local d=$1
  [[ -f $d/dovecot.pid ]] && stop_pidfile "$d/dovecot.pid" 15
  return 0
}

[[ $# -eq 2 ]] || usage
case $1 in
  start) cmd_start "$2" ;;
  stop) cmd_stop "$2" ;;
  *) usage ;;
esac
