"""Delivery from Python through the real proxies of issue 14: microsocks
(SOCKS5, RFC 1928 with RFC 1929 username/password) and tinyproxy (HTTP
CONNECT, RFC 9110 §9.3.6, with Basic proxy credentials), to the real
aiosmtpd, through smtpcore.send (the C ABI's proxy_url) and smtpcore.aio
(smtpcore/_proxy.py).

Each proxy is started here on 127.0.0.1, on a port the kernel picked at run
time (started again on a new one if another program took it meanwhile), is
ready when a handshake through it reaches aiosmtpd's 220 greeting, and is
stopped by PID when the module's tests end, whatever happened. As root,
microsocks runs as nobody (setpriv) and tinyproxy drops to nobody itself,
as in tests/integration/reach_test.sh.

microsocks and tinyproxy come from tests/integration/install_deps.sh (run by
`./dev test` before the Bazel tests); like aiosmtpd in conftest.py, a
missing one fails the test with that hint rather than skipping it.
"""

from __future__ import annotations

import asyncio
import base64
import os
import shutil
import socket
import struct
import subprocess
import time
import uuid
from pathlib import Path
from typing import Iterator, Optional

import pytest

import smtpcore
from smtpcore import aio

USER, PASSWORD = "reach", "pr0xy-Pa55"


def _message(token: str) -> bytes:
    return (f"From: a@example.org\r\nTo: b@example.org\r\nSubject: {token}"
            f"\r\n\r\nthrough a real proxy {token}\r\n").encode()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _read_exactly(f, n: int) -> bytes:
    data = f.read(n)
    if len(data) != n:
        raise OSError("proxy closed the connection")
    return data


def _greets_through(kind: str, port: int, target: int) -> Optional[bool]:
    """One handshake through the proxy to 127.0.0.1:target. None while
    nothing listens on `port`; True when aiosmtpd's 220 came back."""
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
    except ConnectionRefusedError:
        return None
    with s, s.makefile("rb") as f:
        if kind == "socks5":
            s.sendall(b"\x05\x01\x02")
            if _read_exactly(f, 2) != b"\x05\x02":
                return False
            s.sendall(bytes([1, len(USER)]) + USER.encode() +
                      bytes([len(PASSWORD)]) + PASSWORD.encode())
            if _read_exactly(f, 2) != b"\x01\x00":
                return False
            s.sendall(b"\x05\x01\x00\x01" + socket.inet_aton("127.0.0.1") +
                      struct.pack(">H", target))
            if _read_exactly(f, 10)[:2] != b"\x05\x00":
                return False
        else:
            auth = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
            s.sendall((f"CONNECT 127.0.0.1:{target} HTTP/1.1\r\n"
                       f"Host: 127.0.0.1:{target}\r\n"
                       f"Proxy-Authorization: Basic {auth}\r\n\r\n").encode())
            if b" 200" not in f.readline():
                return False
            while f.readline() not in (b"\r\n", b"\n", b""):
                pass
        greeting = f.readline()
        s.sendall(b"QUIT\r\n")
        return greeting.startswith(b"220")


class RealProxy:
    """A running microsocks ("socks5") or tinyproxy ("http") on 127.0.0.1:
    `port`, relaying to aiosmtpd. stop() ends it by PID."""

    def __init__(self, kind: str, workdir: Path, connect_ports: list[int],
                 ready_target: int) -> None:
        binary = "microsocks" if kind == "socks5" else "tinyproxy"
        if shutil.which(binary) is None:
            pytest.fail(f"{binary} is not installed (run "
                        f"tests/integration/install_deps.sh as root)")
        self.kind = kind
        self._proc: Optional[subprocess.Popen] = None
        root = os.geteuid() == 0
        env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
        for _ in range(3):
            self.port = _free_port()
            if kind == "socks5":
                argv = ["microsocks", "-i", "127.0.0.1", "-p", str(self.port),
                        "-u", USER, "-P", PASSWORD]
                if root:
                    argv = ["setpriv", "--reuid=nobody", "--regid=nogroup",
                            "--clear-groups"] + argv
            else:
                conf = workdir / "tinyproxy.conf"
                lines = ["User nobody", "Group nogroup"] if root else []
                lines += [f"Port {self.port}", "Listen 127.0.0.1",
                          "Timeout 60", "LogLevel Info", "MaxClients 20",
                          "Allow 127.0.0.1", f"BasicAuth {USER} {PASSWORD}"]
                lines += [f"ConnectPort {p}" for p in connect_ports]
                conf.write_text("\n".join(lines) + "\n")
                argv = ["tinyproxy", "-d", "-c", str(conf)]
            self._log = workdir / f"{kind}-{self.port}.log"
            with open(self._log, "wb") as log:
                self._proc = subprocess.Popen(
                    argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                    env=env, start_new_session=True)
            if self._wait_ready(ready_target):
                return
            self.stop()
            if b"in use" not in self._log.read_bytes().lower():
                break
        pytest.fail(f"{binary} did not start:\n{self._log.read_text()}")

    def _wait_ready(self, target: int) -> bool:
        end = time.monotonic() + 30
        while time.monotonic() < end and self._proc.poll() is None:
            ready = _greets_through(self.kind, self.port, target)
            if ready is not None:
                return ready
            time.sleep(0.05)  # poll: not listening yet
        return False

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None

    def url(self, password: str = PASSWORD, scheme: Optional[str] = None
            ) -> str:
        return (f"{scheme or self.kind}://{USER}:{password}@127.0.0.1:"
                f"{self.port}")


@pytest.fixture(scope="module")
def microsocks(aiosmtpd, tmp_path_factory) -> Iterator[RealProxy]:
    proxy = RealProxy("socks5", tmp_path_factory.mktemp("microsocks"), [],
                      aiosmtpd.port)
    try:
        yield proxy
    finally:
        proxy.stop()


@pytest.fixture(scope="module")
def tinyproxy(aiosmtpd, tmp_path_factory) -> Iterator[RealProxy]:
    proxy = RealProxy("http", tmp_path_factory.mktemp("tinyproxy"),
                      [aiosmtpd.port, aiosmtpd.tls_port], aiosmtpd.port)
    try:
        yield proxy
    finally:
        proxy.stop()


def _send_starttls_auth(aiosmtpd, proxy_url: str, token: str):
    return smtpcore.send(
        aiosmtpd.server, "a@example.org", [aiosmtpd.rcpt], _message(token),
        tls="starttls", ca_file=aiosmtpd.ca_file, user=aiosmtpd.user,
        password=aiosmtpd.password, proxy=proxy_url, timeout=30)


def test_send_through_tinyproxy_starttls_auth(aiosmtpd, tinyproxy):
    token = uuid.uuid4().hex
    result = _send_starttls_auth(aiosmtpd, tinyproxy.url(), token)
    assert result.all_delivered and result.tls_version
    record = aiosmtpd.record_with(token)
    assert record["tls"] and record["auth_user"] == aiosmtpd.user


def test_send_through_tinyproxy_implicit_tls(aiosmtpd, tinyproxy):
    token = uuid.uuid4().hex
    result = smtpcore.send(
        f"{aiosmtpd.host}:{aiosmtpd.tls_port}", "a@example.org",
        [aiosmtpd.rcpt], _message(token), tls="implicit",
        ca_file=aiosmtpd.ca_file, proxy=tinyproxy.url(), timeout=30)
    assert result.all_delivered and result.tls_version
    assert aiosmtpd.record_with(token)["tls"]


def test_aio_send_through_tinyproxy_starttls(aiosmtpd, tinyproxy):
    token = uuid.uuid4().hex
    result = asyncio.run(aio.send(
        aiosmtpd.server, "a@example.org", [aiosmtpd.rcpt], _message(token),
        tls="starttls", ca_file=aiosmtpd.ca_file, proxy=tinyproxy.url(),
        timeout=30))
    assert result.all_delivered and result.tls_version
    assert aiosmtpd.record_with(token)["tls"]


def test_tinyproxy_refusing_the_port_is_typed(aiosmtpd, tinyproxy,
                                              refused_port):
    # refused_port is no ConnectPort: tinyproxy answers 403.
    with pytest.raises(smtpcore.SmtpConnectError) as info:
        smtpcore.send(f"127.0.0.1:{refused_port}", "a@example.org",
                      [aiosmtpd.rcpt], _message("refused"), tls="none",
                      proxy=tinyproxy.url(), timeout=30)
    assert info.value.detail == "proxy_not_allowed"


def test_send_through_microsocks_starttls_auth(aiosmtpd, microsocks):
    token = uuid.uuid4().hex
    result = _send_starttls_auth(aiosmtpd, microsocks.url(scheme="socks5h"),
                                 token)
    assert result.all_delivered and result.tls_version
    record = aiosmtpd.record_with(token)
    assert record["tls"] and record["auth_user"] == aiosmtpd.user


def test_aio_send_through_microsocks_starttls(aiosmtpd, microsocks):
    token = uuid.uuid4().hex
    result = asyncio.run(aio.send(
        aiosmtpd.server, "a@example.org", [aiosmtpd.rcpt], _message(token),
        tls="starttls", ca_file=aiosmtpd.ca_file, proxy=microsocks.url(),
        timeout=30))
    assert result.all_delivered and result.tls_version
    assert aiosmtpd.record_with(token)["tls"]


def test_microsocks_wrong_password_is_typed(aiosmtpd, microsocks):
    with pytest.raises(smtpcore.SmtpConnectError) as info:
        smtpcore.send(aiosmtpd.server, "a@example.org", [aiosmtpd.rcpt],
                      _message("wrong"), tls="none",
                      proxy=microsocks.url(password="wrong"), timeout=30)
    assert info.value.detail == "proxy_auth_failed"
