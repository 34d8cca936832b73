#!/usr/bin/env bash
# install_deps.sh: installs the Debian packages the interop tests need (Postfix, Dovecot auth, aiosmtpd,
# openssl, and NSD + ldnsutils for mx_test.sh) on a fresh Debian 12 as root, WITHOUT starting or configuring the packages' own system-wide
# instances. Idempotent: does nothing when everything is already installed.
#
# - Postfix is preseeded to "No configuration" so postinst writes no main.cf and starts nothing.
# - A temporary /usr/sbin/policy-rc.d returning 101 forbids invoke-rc.d from starting services during the
#   install (Dovecot's postinst would otherwise try to start the system instance). A pre-existing
#   policy-rc.d is left alone (and restored if we had to replace it).
set -euo pipefail

# git-email (+ libmailtools-perl, which git send-email needs but only recommends) and bsd-mailx: real
# sendmail callers for tools/smtpc_sendmail_test.sh (git send-email, mail).
# nsd + ldnsutils: the signed test zones of mx_test.sh (an authoritative server started privately, never the
# system service: policy-rc.d below keeps the package from starting it).
# dovecot-lmtpd, microsocks, tinyproxy: reach_test.sh (LMTP on a Unix socket, SOCKS5 with RFC 1929
# credentials, HTTP CONNECT), each started privately on 127.0.0.1 with its own config, never as a service.
PKGS=(postfix dovecot-core python3-aiosmtpd openssl python3 nsd ldnsutils dovecot-lmtpd microsocks tinyproxy
      git-email libmailtools-perl bsd-mailx)
missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
  # Re-run as root when sudo is there (like ./dev does), else say what is missing.
  if command -v sudo >/dev/null; then
    exec sudo "$0" "$@"
  fi
  echo "install_deps.sh: missing packages (${missing[*]}) and not root" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
echo "postfix postfix/mailname string localhost" | debconf-set-selections

policy=/usr/sbin/policy-rc.d
backup=""
if [[ -e $policy ]]; then
  backup=$(mktemp)
  cp -p "$policy" "$backup"
fi
restore_policy() {
  if [[ -n $backup ]]; then
    cp -p "$backup" "$policy"
    rm -f "$backup"
  else
    rm -f "$policy"
  fi
}
trap restore_policy EXIT
printf '#!/bin/sh\n# interop install_deps.sh: do not start services during package install\nexit 101\n' >"$policy"
chmod 755 "$policy"

apt_install() {
  apt-get install -y -q --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@"
}
if ! apt_install "${missing[@]}"; then
  apt-get update -q
  apt_install "${missing[@]}"
fi
