#!/usr/bin/env python3
"""trickle_server: a deliberately slow SMTP server on 127.0.0.1, for tests.

Each mode listens on its own free port (chosen by the kernel) and, once the
client reaches the stage the mode names, sends bytes slowly and forever
without ever completing the reply the client waits for. It prints one line
"MODE PORT" per mode, then "ready", and serves until it is killed. When a
client goes away it prints "closed MODE SECONDS": how long the connection
lasted, from accept to the client's close (noticed within about two ticks),
so a test can measure the deadline without the client's start-up time.

Modes (what never completes):
  greeting        the 220 greeting, one byte every TICK, no CRLF
  greeting_lines  a multi-line greeting: "220-..." lines, never a last line
  ehlo            the EHLO reply: "250-..." lines, never a last line
  mail            the reply to MAIL, one byte every TICK, no CRLF
  data_end        the reply after the end of data, one byte every TICK
  starttls        the TLS handshake after 220 to STARTTLS: a record header
                  announcing 16 KiB, then one byte every TICK
  implicit        the TLS handshake of implicit TLS (port 465 style)
  auth            the AUTH exchange: a new 334 challenge for every line the
                  client sends, each after TICK

Usage: trickle_server.py [--tick SECONDS] MODE...
"""

import argparse
import socket
import sys
import threading
import time

TLS_RECORD_HEADER = b"\x16\x03\x03\x40\x00"  # handshake record, 16384 bytes


def read_line(conn, buf):
    """Returns (line, rest) with the next CRLF- or LF-terminated line."""
    while b"\n" not in buf:
        chunk = conn.recv(4096)
        if not chunk:
            raise ConnectionError("client closed")
        buf += chunk
    line, _, rest = buf.partition(b"\n")
    return line.rstrip(b"\r"), rest


def trickle(conn, data, tick, stop):
    """Sends `data` one byte per tick, then an "x" per tick, until the
    client goes away (sendall raises) or `stop` is set."""
    for i in range(len(data)):
        if stop.wait(tick):
            return
        conn.sendall(data[i:i + 1])
    while not stop.wait(tick):
        conn.sendall(b"x")


PRINT_LOCK = threading.Lock()


def serve(conn, mode, tick):
    stop = threading.Event()
    buf = b""
    accepted = time.monotonic()
    try:
        if mode == "greeting":
            trickle(conn, b"220 slow.example ESMTP", tick, stop)
            return
        if mode == "greeting_lines":
            n = 0
            while not stop.wait(tick):
                n += 1
                conn.sendall(b"220-still greeting %d\r\n" % n)
            return
        if mode == "implicit":
            conn.recv(65536)  # the ClientHello: a server speaks second
            conn.sendall(TLS_RECORD_HEADER)
            trickle(conn, b"", tick, stop)
            return
        conn.sendall(b"220 slow.example ESMTP\r\n")
        line, buf = read_line(conn, buf)  # EHLO
        if mode == "ehlo":
            conn.sendall(b"250-slow.example\r\n")
            n = 0
            while not stop.wait(tick):
                n += 1
                conn.sendall(b"250-X-SLOW-%d\r\n" % n)
            return
        if mode == "starttls":
            conn.sendall(b"250-slow.example\r\n250 STARTTLS\r\n")
            line, buf = read_line(conn, buf)  # STARTTLS
            conn.sendall(b"220 2.0.0 go ahead\r\n")
            # Wait for the ClientHello: TLS bytes before it would arrive
            # with the 220 and be plaintext injection (RFC 3207 §5).
            if not buf:
                conn.recv(65536)
            conn.sendall(TLS_RECORD_HEADER)
            trickle(conn, b"", tick, stop)
            return
        if mode == "auth":
            conn.sendall(b"250-slow.example\r\n250 AUTH PLAIN LOGIN\r\n")
            while True:
                line, buf = read_line(conn, buf)  # AUTH ..., then answers
                if stop.wait(tick):
                    return
                conn.sendall(b"334 \r\n")
        conn.sendall(b"250 slow.example\r\n")
        line, buf = read_line(conn, buf)  # MAIL
        if mode == "mail":
            trickle(conn, b"250 2.1.0 Ok", tick, stop)
            return
        conn.sendall(b"250 2.1.0 Ok\r\n")
        line, buf = read_line(conn, buf)  # RCPT
        conn.sendall(b"250 2.1.5 Ok\r\n")
        line, buf = read_line(conn, buf)  # DATA
        conn.sendall(b"354 go ahead\r\n")
        while b"\r\n.\r\n" not in buf:
            chunk = conn.recv(65536)
            if not chunk:
                return
            buf += chunk
        trickle(conn, b"250 2.0.0 queued", tick, stop)
    except (ConnectionError, OSError):
        pass
    finally:
        stop.set()
        conn.close()
        with PRINT_LOCK:
            print("closed %s %.3f" % (mode, time.monotonic() - accepted),
                  flush=True)


def listen(mode, tick):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)

    def accept_loop():
        while True:
            conn, _ = sock.accept()
            threading.Thread(target=serve, args=(conn, mode, tick),
                             daemon=True).start()

    threading.Thread(target=accept_loop, daemon=True).start()
    return sock.getsockname()[1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tick", type=float, default=0.3)
    parser.add_argument("modes", nargs="+")
    args = parser.parse_args()
    for mode in args.modes:
        print(mode, listen(mode, args.tick), flush=True)
    print("ready", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    sys.exit(main())
