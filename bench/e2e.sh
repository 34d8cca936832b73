#!/usr/bin/env bash
# bench/e2e.sh: end-to-end throughput and client CPU of `smtpc bulk` against
# Postfix's smtp-source, Python's smtplib and nodemailer, measured
# interleaved in one run on 127.0.0.1 (issue 13; results in bench/README.md
# "End to end").
#
#   bench/e2e.sh [--quick] [--out DIR] [--reps N]
#
# --quick   1 KiB and 1 MiB, 1 and 16 connections, 3 repetitions, short
#           runs (a few minutes). Without it: 1 KiB, 64 KiB, 1 MiB x 1, 16,
#           256 connections.
# --out     where the CSV and the PNG go (default bench/results).
#
# Run by hand, not by `bazel test`. It installs what it needs idempotently:
# Debian's postfix (for smtp-sink and smtp-source; Postfix's own daemon is
# kept from starting with a policy-rc.d while installing, and stopped if it
# runs), python3, gnuplot-nox, nodejs/npm, and nodemailer from npm into a
# private directory (~/.cache/smtpcore-e2e/node). It builds //tools:smtpc
# and //bench:loopback_floor with --config=opt.
#
# Servers: Postfix's smtp-sink (PIPELINING, no TLS) for the plain runs, and
# `smtpc sink --quiet` (STARTTLS with a throwaway CA) for the STARTTLS runs,
# which smtp-source cannot do. Every client sends the same message bytes
# (tools/message.cc GenerateSizedMessage, reproduced in e2e_run.py) except
# smtp-source, which sends its own text of the same length (-l).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
CACHE="${HOME}/.cache/smtpcore-e2e"
mkdir -p "$CACHE"

need_apt=()
command -v smtp-sink >/dev/null || [[ -x /usr/sbin/smtp-sink ]] || need_apt+=(postfix)
command -v gnuplot >/dev/null || need_apt+=(gnuplot-nox)
command -v node >/dev/null || need_apt+=(nodejs)
command -v npm >/dev/null || need_apt+=(npm)
command -v python3 >/dev/null || need_apt+=(python3)
if ((${#need_apt[@]})); then
  echo "e2e: installing ${need_apt[*]}" >&2
  # Keep Postfix's daemon from being started by the package's scripts.
  policy=/usr/sbin/policy-rc.d
  made_policy=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod +x "$policy"
    made_policy=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  echo "postfix postfix/main_mailer_type select No configuration" |
    debconf-set-selections 2>/dev/null || true
  # Another engineer's apt may hold the lock: wait for it.
  apt-get -o DPkg::Lock::Timeout=300 update -qq
  apt-get -o DPkg::Lock::Timeout=300 install -y -qq "${need_apt[@]}" >&2
  ((made_policy)) && rm -f "$policy"
fi
# Never leave Postfix's own daemon running (it would take port 25 and CPU).
if pgrep -x master >/dev/null 2>&1; then
  postfix stop >/dev/null 2>&1 || true
fi
# smtp-sink and smtp-source live in /usr/sbin; PATH is extended only for
# e2e_run.py (a changed PATH would invalidate Bazel's cached actions).

if [[ ! -d "$CACHE/node/node_modules/nodemailer" ]]; then
  echo "e2e: installing nodemailer into $CACHE/node" >&2
  mkdir -p "$CACHE/node"
  (cd "$CACHE/node" && npm install --silent --no-audit --no-fund \
    --prefix "$CACHE/node" nodemailer >&2)
fi

# E2E_OUTPUT_BASE: build in a server of its own (DEVELOPERS.md), so that a
# test run in the same tree does not queue behind or interleave with this.
BAZEL=(bazel ${E2E_OUTPUT_BASE:+--output_base="$E2E_OUTPUT_BASE"})
"${BAZEL[@]}" build --config=opt //tools:smtpc //bench:loopback_floor \
  //bench:e2e_memory >&2
OPT_BIN="$("${BAZEL[@]}" info --config=opt bazel-bin 2>/dev/null)"
BIN="$CACHE/bin"
mkdir -p "$BIN"
# Copies, so that another build in this tree cannot swap binaries mid-run.
cp -f "$OPT_BIN/tools/smtpc" "$OPT_BIN/bench/loopback_floor" \
  "$OPT_BIN/bench/e2e_memory" "$BIN/"
# 256 connections per client and 10,000 idle sessions need descriptors (the
# servers, started by e2e_run.py, inherit the limit).
ulimit -n "$(ulimit -Hn)"

PATH="$PATH:/usr/sbin" exec python3 "$ROOT/bench/e2e_run.py" --bin "$BIN" \
  --node-modules "$CACHE/node/node_modules" --root "$ROOT" "$@"
