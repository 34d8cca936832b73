#!/usr/bin/env bash
# nsd.sh start DIR PORT ZONE=FILE... | stop DIR: a private NSD (authoritative DNS) on 127.0.0.1:PORT (UDP and
# TCP) serving the given zone files, everything (config, pid, log, state) under DIR. Never touches /etc/nsd or the
# system service. `start` returns once a SOA query for the first zone is answered (servers/probe.py dns), or
# fails after 20 s with the log's tail. `stop` stops it by PID (lib.sh stop_pidfile).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=../lib.sh
source "$HERE/lib.sh"

cmd=${1:-}
dir=${2:-}
[[ -n $cmd && -n $dir ]] || { echo "usage: nsd.sh start DIR PORT ZONE=FILE... | stop DIR" >&2; exit 64; }
case $cmd in
  start)
    port=$3
    shift 3
    mkdir -p "$dir"
    {
      printf 'server:\n  ip-address: 127.0.0.1\n  port: %s\n  do-ip6: no\n' "$port"
      printf '  username: ""\n  chroot: ""\n  database: ""\n  zonesdir: "%s"\n' "$dir"
      printf '  zonelistfile: "%s/zone.list"\n  xfrdfile: "%s/xfrd.state"\n  xfrdir: "%s"\n' "$dir" "$dir" "$dir"
      printf '  pidfile: "%s/nsd.pid"\n  logfile: "%s/nsd.log"\n  server-count: 1\n  verbosity: 1\n' "$dir" "$dir"
      printf '  hide-version: yes\n\nremote-control:\n  control-enable: no\n'
      first=""
      for z in "$@"; do
        name=${z%%=*}
        file=${z#*=}
        [[ -z $first ]] && first=$name
        printf '\nzone:\n  name: "%s"\n  zonefile: "%s"\n' "$name" "$file"
      done
    } >"$dir/nsd.conf"
    nsd-checkconf "$dir/nsd.conf"
    # -d: no fork, so the PID we keep is NSD's own.
    nsd -d -c "$dir/nsd.conf" >"$dir/nsd.out" 2>&1 &
    echo $! >"$dir/nsd.pid.ours"
    first=$(sed -n 's/^  name: "\(.*\)"/\1/p' "$dir/nsd.conf" | head -1)
    if ! /usr/bin/python3 "$HERE/servers/probe.py" dns "$port" "$first" 20; then
      tail -20 "$dir/nsd.out" "$dir/nsd.log" 2>/dev/null >&2 || true
      exit 1
    fi
    ;;
  stop)
    stop_pidfile "$dir/nsd.pid.ours" 10
    ;;
  *)
    echo "usage: nsd.sh start DIR PORT ZONE=FILE... | stop DIR" >&2
    exit 64
    ;;
esac
