"""Issue 14 in the Python package: Unix-domain sockets with LMTP, a source
address, and proxies (smtpcore.send and smtpcore.aio), against the real aiosmtpd, a scripted
LMTP server on a Unix socket and a minimal SOCKS5 relay (both in-process,
loopback only; the real microsocks and tinyproxy are in
test_real_proxies.py, the real Dovecot in tests/integration/reach_test.sh)."""

from __future__ import annotations

import asyncio
import os
import socket
import struct
import threading
import uuid

import pytest

import smtpcore
from smtpcore import aio


def message(token: str) -> bytes:
    return (f"From: a@example.org\r\nTo: alice@sink.test\r\nSubject: {token}"
            f"\r\n\r\nhello {token}\r\n").encode()


class UnixLmtpServer:
    """One LMTP connection on a Unix socket: LHLO, MAIL, RCPTs (a local
    part "unknown" is refused with 550), DATA with one reply per accepted
    recipient; records the lines it read in `lines`."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.lines: list[bytes] = []
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(path)
        self._listener.listen(2)
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        try:
            conn, _ = self._listener.accept()
        except OSError:
            return
        with conn:
            reader = conn.makefile("rb")
            conn.sendall(b"220 lmtp.test LMTP\r\n")
            accepted = 0
            while True:
                line = reader.readline()
                if not line:
                    return
                self.lines.append(line)
                verb = line[:4].upper()
                if verb == b"LHLO":
                    conn.sendall(b"250-lmtp.test\r\n250 8BITMIME\r\n")
                elif verb == b"MAIL":
                    conn.sendall(b"250 2.1.0 ok\r\n")
                elif verb == b"RCPT":
                    if b"<unknown@" in line:
                        conn.sendall(b"550 5.1.1 no such user\r\n")
                    else:
                        accepted += 1
                        conn.sendall(b"250 2.1.5 ok\r\n")
                elif verb == b"DATA":
                    conn.sendall(b"354 go\r\n")
                    while reader.readline() not in (b".\r\n", b""):
                        pass
                    conn.sendall(b"250 2.0.0 saved\r\n" * accepted)
                elif verb == b"QUIT":
                    conn.sendall(b"221 bye\r\n")
                    return
                else:
                    conn.sendall(b"502 5.5.2 no\r\n")

    def close(self) -> None:
        if self._thread.is_alive():
            try:
                with socket.socket(socket.AF_UNIX) as s:
                    s.connect(self.path)
            except OSError:
                pass
        self._thread.join(timeout=10)
        self._listener.close()


@pytest.fixture
def lmtp_server(tmp_path):
    server = UnixLmtpServer(os.path.join(tmp_path, "lmtp"))
    yield server
    server.close()


class Socks5Relay:
    """A SOCKS5 relay on 127.0.0.1 (RFC 1928, username/password per RFC
    1929 with user "u", password "p"; IPv4 and domain-name destinations,
    names resolved to 127.0.0.1) for one connection."""

    def __init__(self) -> None:
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(2)
        self.port = self._listener.getsockname()[1]
        self.destination = None
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @staticmethod
    def _read(conn: socket.socket, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = conn.recv(n - len(data))
            if not chunk:
                raise OSError("closed")
            data += chunk
        return data

    def _serve(self) -> None:
        try:
            client, _ = self._listener.accept()
        except OSError:
            return
        with client:
            try:
                _, n = self._read(client, 2)
                methods = self._read(client, n)
                if 2 not in methods:
                    client.sendall(b"\x05\xff")
                    return
                client.sendall(b"\x05\x02")
                _, ulen = self._read(client, 2)
                user = self._read(client, ulen)
                plen = self._read(client, 1)[0]
                password = self._read(client, plen)
                if (user, password) != (b"u", b"p"):
                    client.sendall(b"\x01\x01")
                    return
                client.sendall(b"\x01\x00")
                _, _, _, atyp = self._read(client, 4)
                if atyp == 1:
                    host = socket.inet_ntoa(self._read(client, 4))
                else:
                    host = self._read(client, self._read(client, 1)[0]).decode()
                port = struct.unpack(">H", self._read(client, 2))[0]
                self.destination = (host, port)
                upstream = socket.create_connection(("127.0.0.1", port))
            except OSError:
                return
            client.sendall(b"\x05\x00\x00\x01" + bytes(4) + bytes(2))
            with upstream:
                def pump(src, dst):
                    try:
                        while data := src.recv(65536):
                            dst.sendall(data)
                    except OSError:
                        pass
                    try:
                        dst.shutdown(socket.SHUT_WR)
                    except OSError:
                        pass
                t = threading.Thread(target=pump, args=(upstream, client),
                                     daemon=True)
                t.start()
                pump(client, upstream)
                t.join(timeout=30)

    def close(self) -> None:
        self._listener.close()
        self._thread.join(timeout=30)


def test_unix_socket_lmtp_per_recipient(lmtp_server):
    result = smtpcore.send("unix:" + lmtp_server.path, "a@example.org",
                           ["alice@lmtp.test", "unknown@lmtp.test",
                            "bob@lmtp.test"], message("x"), tls="none",
                           lmtp=True, timeout=30)
    assert [r.status for r in result.recipients] == [
        "delivered", "rejected", "delivered"]
    assert lmtp_server.lines[0].startswith(b"LHLO ")


def test_aio_unix_socket_lmtp(lmtp_server):
    result = asyncio.run(aio.send("unix:" + lmtp_server.path,
                                  "a@example.org", ["alice@lmtp.test"],
                                  message("y"), tls="none", lmtp=True,
                                  timeout=30))
    assert result.all_delivered
    assert lmtp_server.lines[0].startswith(b"LHLO ")


def test_local_address_seen_by_server(aiosmtpd):
    token = uuid.uuid4().hex
    result = smtpcore.send(aiosmtpd.server, "a@example.org", [aiosmtpd.rcpt],
                           message(token), tls="none",
                           local_address="127.0.0.2", timeout=30)
    assert result.all_delivered
    assert aiosmtpd.record_with(token)["peer"][0] == "127.0.0.2"


def test_aio_local_address_seen_by_server(aiosmtpd):
    token = uuid.uuid4().hex
    result = asyncio.run(aio.send(aiosmtpd.server, "a@example.org",
                                  [aiosmtpd.rcpt], message(token),
                                  tls="none", local_address="127.0.0.2",
                                  timeout=30))
    assert result.all_delivered
    assert aiosmtpd.record_with(token)["peer"][0] == "127.0.0.2"


def test_socks5_proxy_with_credentials_and_starttls(aiosmtpd):
    relay = Socks5Relay()
    try:
        token = uuid.uuid4().hex
        result = smtpcore.send(
            aiosmtpd.server, "a@example.org", [aiosmtpd.rcpt],
            message(token), tls="starttls", ca_file=aiosmtpd.ca_file,
            proxy=f"socks5h://u:p@127.0.0.1:{relay.port}", timeout=30)
        assert result.all_delivered and result.tls_version
        host, port = aiosmtpd.server.rsplit(":", 1)
        assert relay.destination == (host, int(port))
        assert aiosmtpd.record_with(token)["tls"]
    finally:
        relay.close()


def test_bad_proxy_url_is_invalid_argument(aiosmtpd):
    with pytest.raises(smtpcore.SmtpInvalidArgument):
        smtpcore.send(aiosmtpd.server, "a@example.org", [aiosmtpd.rcpt],
                      message("z"), tls="none", proxy="ftp://127.0.0.1:21",
                      timeout=30)


def test_aio_socks5_proxy_with_credentials_and_starttls(aiosmtpd):
    relay = Socks5Relay()
    try:
        token = uuid.uuid4().hex
        result = asyncio.run(aio.send(
            aiosmtpd.server, "a@example.org", [aiosmtpd.rcpt], message(token),
            tls="starttls", ca_file=aiosmtpd.ca_file,
            proxy=f"socks5://u:p@127.0.0.1:{relay.port}", timeout=30))
        assert result.all_delivered and result.tls_version
        assert aiosmtpd.record_with(token)["tls"]
    finally:
        relay.close()


def test_aio_socks5_wrong_password_is_typed(aiosmtpd):
    relay = Socks5Relay()
    try:
        with pytest.raises(smtpcore.SmtpConnectError) as info:
            asyncio.run(aio.send(
                aiosmtpd.server, "a@example.org", [aiosmtpd.rcpt],
                message("w"), tls="none",
                proxy=f"socks5://u:wrong@127.0.0.1:{relay.port}",
                timeout=30))
        assert info.value.detail == "proxy_auth_failed"
    finally:
        relay.close()


def test_aio_bad_proxy_url():
    with pytest.raises(ValueError):
        aio.Client("127.0.0.1:25", tls="none", proxy="ftp://127.0.0.1:21")
    with pytest.raises(ValueError):
        aio.Client("unix:/x", tls="none", proxy="socks5://127.0.0.1:1")


def test_parse_proxy_url():
    from smtpcore._proxy import parse_proxy_url
    p = parse_proxy_url("socks5h://us%3Aer:p%40ss@127.0.0.1")
    assert (p.kind, p.host, p.port, p.user, p.password) == (
        "socks5", "127.0.0.1", 1080, "us:er", "p@ss")
    p = parse_proxy_url("http://[::1]:3128")
    assert (p.kind, p.host, p.port, p.user) == ("http", "::1", 3128, None)
    for bad in ("http://127.0.0.1", "socks4://127.0.0.1:1080",
                "socks5://127.0.0.1:1080/path", "socks5://:1080"):
        with pytest.raises(ValueError):
            parse_proxy_url(bad)
