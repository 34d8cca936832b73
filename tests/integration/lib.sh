# shellcheck shell=bash
# lib.sh: shared shell helpers for the interop tests (sourced, not executed).
#
#   PYTHON                      Debian's interpreter (/usr/bin/python3): the one that sees python3-aiosmtpd,
#                               whatever pyenv or a venv put first on PATH.
#   log MSG...                  prints "[interop] MSG" to stderr.
#   die MSG...                  log + exit 1.
#   pick_free_ports N           prints N distinct free TCP ports on 127.0.0.1, one per line (the kernel picks
#                               them: bind to port 0, read, close; a tiny race with other programs remains).
#   wait_for_listen PORT SECS   waits until something LISTENs on 127.0.0.1:PORT (reads /proc/net/tcp, so it
#                               makes no connection a server would log); returns 1 after SECS seconds.
#   stop_pidfile FILE [SECS]    stops the process whose PID is in FILE and every descendant it had: SIGTERM,
#                               wait up to SECS (default 10), then SIGKILL; by PID only. Removes FILE.
#                               Returns 0 when nothing is left (also when FILE is missing).
#   make_test_pki DIR           creates (once) DIR/ca.pem, DIR/ca.key, DIR/server.pem, DIR/server.key: a
#                               throwaway CA and a server certificate for "localhost" + IP 127.0.0.1, signed
#                               by it (ECDSA P-256: fast to generate). Test infrastructure only.
#   add_cleanup CMD             runs CMD (a string, eval'ed) at exit, latest first; install_cleanup_trap
#                               sets the EXIT/INT/TERM trap that runs them (once).

PYTHON=${PYTHON:-/usr/bin/python3}

log() { printf '[interop] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

pick_free_ports() {
  "$PYTHON" - "$1" <<'EOF'
import socket, sys
n = int(sys.argv[1])
socks, ports = [], []
while len(ports) < n:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    socks.append(s)  # keep open until all are picked, so the ports are distinct
    if port >= 1024 and port not in ports:
        ports.append(port)
for s in socks:
    s.close()
print("\n".join(map(str, ports)))
EOF
}

# _is_listening PORT: true when 127.0.0.1:PORT (or 0.0.0.0:PORT) is in LISTEN state.
_is_listening() {
  local hex
  hex=$(printf '%04X' "$1")
  grep -qE "^ *[0-9]+: (0100007F|00000000):$hex [0-9A-F]{8}:[0-9A-F]{4} 0A " /proc/net/tcp
}

wait_for_listen() {
  local port=$1 secs=${2:-10} i
  for ((i = 0; i < secs * 20; i++)); do
    _is_listening "$port" && return 0
    sleep 0.05
  done
  return 1
}

# _descendants PID: prints every descendant PID of PID (reads /proc; no procps needed).
_descendants() {
  local root=$1 stat pid ppid rest fields
  declare -A children=()
  for stat in /proc/[0-9]*/stat; do
    # Field 2 (comm) may contain spaces; take everything after the last ')'.
    read -r rest 2>/dev/null <"$stat" || continue
    pid=${rest%% *}
    rest=${rest##*) }
    read -r -a fields <<<"$rest"
    ppid=${fields[1]}
    children[$ppid]+=" $pid"
  done
  local queue=("$root") p c
  while [[ ${#queue[@]} -gt 0 ]]; do
    p=${queue[0]}
    queue=("${queue[@]:1}")
    for c in ${children[$p]:-}; do
      echo "$c"
      queue+=("$c")
    done
  done
}

# _is_zombie PID: true when PID exited but was not reaped yet (its parent is not us, so we can't wait).
_is_zombie() {
  local rest
  read -r rest 2>/dev/null <"/proc/$1/stat" || return 1
  rest=${rest##*) }
  [[ ${rest:0:1} == Z ]]
}

stop_pidfile() {
  local file=$1 secs=${2:-10} pid pids p i alive
  [[ -f $file ]] || return 0
  pid=$(tr -dc '0-9' <"$file")
  if [[ -z $pid ]] || ! kill -0 "$pid" 2>/dev/null; then
    rm -f "$file"
    return 0
  fi
  mapfile -t pids < <(echo "$pid"; _descendants "$pid")
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < secs * 20; i++)); do
    alive=0
    for p in "${pids[@]}"; do
      if kill -0 "$p" 2>/dev/null && ! _is_zombie "$p"; then
        alive=1
        break
      fi
    done
    [[ $alive -eq 0 ]] && break
    sleep 0.05
  done
  if [[ $alive -ne 0 ]]; then
    log "PID $pid (or a child) ignored SIGTERM for ${secs}s: SIGKILL"
    for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
    sleep 0.2
  fi
  rm -f "$file"
  return 0
}

make_test_pki() {
  local dir=$1
  [[ -s $dir/server.pem && -s $dir/server.key && -s $dir/ca.pem ]] && return 0
  mkdir -p "$dir"
  (
    cd "$dir" || exit 1
    umask 022
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "/CN=smtpcore interop test CA" \
      -keyout ca.key -out ca.pem -addext "basicConstraints=critical,CA:TRUE" \
      -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null || exit 1
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=localhost" -keyout server.key -out server.csr \
      2>/dev/null || exit 1
    printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1" "basicConstraints=CA:FALSE" \
      "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" >server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
      -extfile server.ext -out server.pem 2>/dev/null || exit 1
    rm -f server.csr server.ext ca.srl
    chmod 644 server.key  # read by unprivileged daemons (aiosmtpd may run as nobody); throwaway key
  ) || { log "make_test_pki: openssl failed in $dir"; return 1; }
}

_CLEANUPS=()
add_cleanup() { _CLEANUPS=("$1" "${_CLEANUPS[@]+"${_CLEANUPS[@]}"}"); }
_run_cleanups() {
  local c
  trap - EXIT INT TERM
  for c in "${_CLEANUPS[@]+"${_CLEANUPS[@]}"}"; do eval "$c" || true; done
  _CLEANUPS=()
}
install_cleanup_trap() {
  trap '_run_cleanups' EXIT
  trap '_run_cleanups; exit 130' INT
  trap '_run_cleanups; exit 143' TERM
}
