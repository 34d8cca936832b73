#!/usr/bin/python3
"""selectors_client.py: smtpcore's sans-I/O Session on a bare `selectors`
loop, with STARTTLS through `ssl.MemoryBIO`. The pattern for any loop of
your own (trio, a game loop, an existing select/epoll reactor): the
session says what to send, what happened and when its timer expires; this
file only moves bytes.

    selectors_client.py --server 127.0.0.1:2525 --from a@example.org \\
        --to b@example.org [--to ...] [--ca-file ca.pem] \\
        [--user U --password P] [--tls none|starttls] < message.eml

Prints one line per recipient ("b@example.org delivered 250 2.0.0 ...")
and exits 0 when someone got the message, 1 otherwise. Tested by
bindings/python/tests/test_examples.py against a real aiosmtpd.
"""

from __future__ import annotations

import argparse
import selectors
import socket
import ssl
import sys
import time
from typing import Optional

import smtpcore


class TlsFilter:
    """TLS between the socket and the session: ciphertext in and out of
    memory BIOs, plaintext to and from the session."""

    def __init__(self, context: ssl.SSLContext, server_name: str) -> None:
        self.incoming = ssl.MemoryBIO()
        self.outgoing = ssl.MemoryBIO()
        self.tls = context.wrap_bio(self.incoming, self.outgoing,
                                    server_hostname=server_name)
        self.handshaking = True

    def handshake(self) -> bool:
        """Advances the handshake; True once it is done."""
        try:
            self.tls.do_handshake()
        except ssl.SSLWantReadError:
            return False
        self.handshaking = False
        return True

    def decrypt(self, data: bytes) -> tuple[bytes, bool]:
        """Feeds ciphertext (b"" = EOF); returns (plaintext, peer closed)."""
        if data:
            self.incoming.write(data)
        else:
            self.incoming.write_eof()
        out = []
        while True:
            try:
                chunk = self.tls.read(65536)
            except ssl.SSLWantReadError:
                return b"".join(out), False
            except ssl.SSLZeroReturnError:
                return b"".join(out), True
            if not chunk:
                return b"".join(out), True
            out.append(chunk)


def deliver(server: str, mail_from: str, rcpt_to: list[str], message: bytes,
            *, tls: str = "starttls", ca_file: Optional[str] = None,
            user: Optional[str] = None, password: Optional[str] = None,
            timeout: float = 30) -> smtpcore.Event:
    """Runs one session to its end; returns the delivery's final event
    ("delivery_done" or "delivery_failed")."""
    host, port = smtpcore.message.split_server(server)
    sock = socket.create_connection((host, port), timeout=timeout)
    sock.setblocking(False)
    selector = selectors.DefaultSelector()
    selector.register(sock, selectors.EVENT_READ)
    context = ssl.create_default_context(cafile=ca_file)
    session = smtpcore.Session(tls=tls, user=user, password=password,
                               timeout=timeout)
    session.deliver(mail_from, rcpt_to, message)
    session.close()
    tls_filter: Optional[TlsFilter] = None
    pending = b""  # ciphertext or plaintext not yet taken by the socket
    final: Optional[smtpcore.Event] = None
    closed = False
    try:
        while True:
            # 1. Drain events.
            for event in session.events():
                if event.type == "tls_upgrade_required":
                    tls_filter = TlsFilter(context, host)
                elif event.type in ("delivery_done", "delivery_failed"):
                    final = event
                elif event.type == "closed":
                    closed = True
            # 2. The TLS handshake, when one is running.
            if tls_filter is not None and tls_filter.handshaking:
                try:
                    if tls_filter.handshake():
                        obj = tls_filter.tls
                        session.tls_established(
                            version=obj.version() or "",
                            cipher=obj.cipher()[0], server_name=host,
                            verified=True)
                        continue
                except ssl.SSLCertVerificationError as e:
                    session.tls_failed(str(e), verification=True)
                    tls_filter = None
                    continue
                except ssl.SSLError as e:
                    session.tls_failed(str(e))
                    tls_filter = None
                    continue
            # 3. Output: the session's bytes, through TLS when it is on.
            elif tls_filter is not None:
                plaintext = session.take_transmit()
                if plaintext:
                    tls_filter.tls.write(plaintext)
            else:
                pending += session.take_transmit()
            if tls_filter is not None:
                pending += tls_filter.outgoing.read()
            if pending:
                try:
                    pending = pending[sock.send(pending):]
                except BlockingIOError:
                    pass
                except OSError as e:
                    session.abort(f"write failed: {e}")
                    pending = b""
                    continue
            if closed and not pending:
                break
            # 4. Wait for input, writability or the session's deadline.
            selector.modify(sock, selectors.EVENT_READ |
                            (selectors.EVENT_WRITE if pending else 0))
            deadline = session.next_deadline()
            wait = (None if deadline is None
                    else max(0.0, (deadline - time.monotonic_ns()) / 1e9))
            for _, mask in selector.select(wait):
                if not mask & selectors.EVENT_READ:
                    continue
                try:
                    data = sock.recv(65536)
                except BlockingIOError:
                    continue
                except OSError as e:
                    session.abort(f"read failed: {e}")
                    continue
                if tls_filter is None:
                    if data:
                        session.receive(data)
                    else:
                        session.receive_eof()
                elif tls_filter.handshaking:
                    if data:
                        tls_filter.incoming.write(data)
                    else:
                        session.tls_failed("EOF during the TLS handshake")
                        tls_filter = None
                else:
                    plaintext, peer_closed = tls_filter.decrypt(data)
                    if plaintext:
                        session.receive(plaintext)
                    if peer_closed:
                        session.receive_eof()
            if deadline is not None and time.monotonic_ns() >= deadline:
                session.handle_timeout()
    finally:
        selector.close()
        sock.close()
    if final is None:
        raise SystemExit("the session ended before the delivery did")
    return final


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--server", required=True)
    ap.add_argument("--from", dest="mail_from", required=True)
    ap.add_argument("--to", dest="rcpt_to", action="append", required=True)
    ap.add_argument("--tls", default="starttls",
                    choices=["none", "opportunistic", "starttls"])
    ap.add_argument("--ca-file")
    ap.add_argument("--user")
    ap.add_argument("--password")
    args = ap.parse_args()
    final = deliver(args.server, args.mail_from, args.rcpt_to,
                    sys.stdin.buffer.read(), tls=args.tls,
                    ca_file=args.ca_file, user=args.user,
                    password=args.password)
    for r in final.recipients:
        print(r.address, r.status, r.code, r.text)
    if final.error is not None:
        print(f"error: {type(final.error).__name__}: {final.error.message}")
    return 0 if final.type == "delivery_done" else 1


if __name__ == "__main__":
    sys.exit(main())
