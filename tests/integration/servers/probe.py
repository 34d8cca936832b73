#!/usr/bin/python3
"""probe.py: readiness by protocol for tests/integration/mx_test.sh, retried until a time limit.

  probe.py smtp IP PORT SECONDS            a "220" banner arrives
  probe.py https PORT HOST CAFILE SECONDS  GET /.well-known/mta-sts.txt on 127.0.0.1:PORT answers HTTP (any status)
  probe.py dns PORT NAME SECONDS           a UDP query for NAME SOA on 127.0.0.1:PORT gets a NOERROR answer
Exit 0 when ready, 1 after SECONDS.
"""

import socket
import ssl
import struct
import sys
import time


def smtp(ip, port):
    with socket.create_connection((ip, int(port)), timeout=2) as s:
        return s.recv(4).startswith(b"220")


def https(port, host, cafile):
    ctx = ssl.create_default_context(cafile=cafile)
    with socket.create_connection(("127.0.0.1", int(port)), timeout=2) as raw:
        with ctx.wrap_socket(raw, server_hostname=host) as s:
            s.sendall(b"GET /.well-known/mta-sts.txt HTTP/1.1\r\nHost: " + host.encode() + b"\r\nConnection: close\r\n\r\n")
            return s.recv(12).startswith(b"HTTP/1.")


def dns(port, name):
    query = struct.pack(">HHHHHH", 0x5353, 0, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        query += bytes([len(label)]) + label.encode()
    query += b"\x00" + struct.pack(">HH", 6, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(1)
        s.sendto(query, ("127.0.0.1", int(port)))
        reply = s.recv(4096)
    return len(reply) > 12 and reply[:2] == b"\x53\x53" and (reply[3] & 0x0F) == 0 and struct.unpack(">H", reply[6:8])[0] > 0


def main():
    kind, args, limit = sys.argv[1], sys.argv[2:-1], float(sys.argv[-1])
    check = {"smtp": smtp, "https": https, "dns": dns}[kind]
    end = time.monotonic() + limit
    while time.monotonic() < end:
        try:
            if check(*args):
                return 0
        except OSError:
            pass
        time.sleep(0.05)
    print("probe %s %s: not ready after %ss" % (kind, " ".join(args), limit), file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
