# shellcheck shell=bash
# lib.sh: shared shell helpers for the interop tests (sourced, not executed).
#
#   PYTHON                      Debian's interpreter (/usr/bin/python3): the one that sees python3-aiosmtpd,
#                               whatever pyenv or a venv put first on PATH.
#   log MSG...                  prints "[interop] MSG" to stderr.
#   die MSG...                  log + exit 1.
#   pick_free_ports N           prints N distinct free TCP ports on 127.0.0.1, one per line (the kernel picks
#                               them: bind to port 0, read, close). Another program may bind one before our server
#                               does; the server scripts then find "Address already in use" in their logs and start
#                               again on new ports (port_taken), and wait_for_banner checks that the server is ours.
#   port_taken LOG...           true when one of the LOG files reports EADDRINUSE (a picked port was taken).
#   wait_for_banner PORT SECS [--tls] [--expect TEXT]
#                               waits until the SMTP server on 127.0.0.1:PORT greets with 220 (after a TLS
#                               handshake with --tls; the certificate is not checked) and the greeting contains
#                               TEXT, then says QUIT: ready by protocol, not after a sleep or a LISTEN socket.
#                               Refused connections are retried (a poll) until SECS seconds passed (returns 1);
#                               any other greeting returns 2 at once (another program answers on the port).
#   hold_refused_port           starts a helper process that keeps a 127.0.0.1 port bound without listening:
#                               connects to it are refused, and nothing else can bind it meanwhile. Sets
#                               REFUSED_PORT and REFUSED_PID; release_refused_port stops it by PID (it also exits
#                               when this shell does: its stdin closes).
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

port_taken() {
  grep -qsi -e 'address already in use' -e 'EADDRINUSE' "$@"
}

wait_for_banner() {
  local port=$1 secs=$2 tls=0 expect=""
  shift 2
  while [[ $# -gt 0 ]]; do
    case $1 in
      --tls) tls=1 ;;
      --expect) expect=$2; shift ;;
      *) log "wait_for_banner: unknown option $1"; return 64 ;;
    esac
    shift
  done
  "$PYTHON" - "$port" "$secs" "$tls" "$expect" <<'EOF'
import socket, ssl, sys, time

port, secs, use_tls, expect = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3] == "1", sys.argv[4]
deadline = time.monotonic() + secs
last = "no attempt"
while time.monotonic() < deadline:
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=max(deadline - time.monotonic(), 0.1))
    except OSError as e:  # refused: not listening yet
        last = "connect: %s" % e
        time.sleep(0.05)
        continue
    try:
        sock.settimeout(max(deadline - time.monotonic(), 0.1))
        if use_tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            sock = ctx.wrap_socket(sock)
        data = b""
        while b"\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
        line = data.split(b"\n", 1)[0].decode("utf-8", "replace").rstrip("\r")
        if not line:  # closed before the greeting: still starting
            last = "closed before the greeting"
            time.sleep(0.05)
            continue
        if not (line.startswith("220") and expect in line):
            print("127.0.0.1:%d greets %r, want 220 ... %s: another program has the port?" % (port, line, expect),
                  file=sys.stderr)
            sys.exit(2)
        try:
            sock.sendall(b"QUIT\r\n")
        except OSError:
            pass
        sys.exit(0)
    except OSError as e:  # ssl.SSLError is an OSError
        last = "greeting: %s" % e
        time.sleep(0.05)
    finally:
        sock.close()
print("no SMTP greeting on 127.0.0.1:%d within %gs (last: %s)" % (port, secs, last), file=sys.stderr)
sys.exit(1)
EOF
}

hold_refused_port() {
  REFUSED_PORT=""
  coproc _REFUSED_HOLDER {
    exec "$PYTHON" -c 'import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True)
sys.stdin.read()'
  }
  REFUSED_PID=$_REFUSED_HOLDER_PID
  read -r -t 60 REFUSED_PORT <&"${_REFUSED_HOLDER[0]}" || true
  [[ -n $REFUSED_PORT ]]
}

release_refused_port() {
  [[ -n ${REFUSED_PID:-} ]] || return 0
  kill "$REFUSED_PID" 2>/dev/null || true
  wait "$REFUSED_PID" 2>/dev/null || true
  REFUSED_PID="" REFUSED_PORT=""
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
