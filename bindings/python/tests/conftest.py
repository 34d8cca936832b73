"""pytest fixtures: the package on sys.path, a real aiosmtpd, fake servers.

Run from the repository root (README.md, "Python"):
    bazel build //bindings/c:libsmtpc.so
    /usr/bin/python3 -m pytest bindings/python/tests

The aiosmtpd is the interop tests' recorder
(tests/integration/servers/aiosmtpd.sh; $AIOSMTPD_SH overrides the path),
started once per run on free 127.0.0.1 ports, ready when it listens, and
stopped by PID at the end whatever happened.
"""

from __future__ import annotations

import json
import os
import shlex
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Iterator

import pytest

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PACKAGE_ROOT))


def _aiosmtpd_script() -> Path:
    env = os.environ.get("AIOSMTPD_SH")
    if env:
        return Path(env)
    return (PACKAGE_ROOT.parent.parent / "tests" / "integration" / "servers"
            / "aiosmtpd.sh")


class Aiosmtpd:
    """The running recorder: ports, credentials and its records."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.host = env["AI_HOST"]
        self.port = int(env["AI_PORT"])
        self.tls_port = int(env["AI_TLS_PORT"])
        self.user = env["AI_USER"]
        self.password = env["AI_PASSWORD"]
        self.ca_file = env["AI_CA_FILE"]
        self.rcpt = env["AI_RCPT"]
        self.rejected = env["AI_REJECTED_RCPT"]
        self.tempfail = env["AI_TEMPFAIL_RCPT"]
        self.record_dir = Path(env["AI_RECORD_DIR"])

    @property
    def server(self) -> str:
        return f"{self.host}:{self.port}"

    def records(self) -> list[dict]:
        out = []
        for path in sorted(self.record_dir.glob("*.json")):
            record = json.loads(path.read_text(encoding="utf-8"))
            record["content"] = (path.with_suffix(".content")).read_bytes()
            out.append(record)
        return out

    def record_with(self, token: str) -> dict:
        """The one recorded message whose content holds `token`."""
        found = [r for r in self.records() if token.encode() in r["content"]]
        assert len(found) == 1, f"{len(found)} records hold {token!r}"
        return found[0]


@pytest.fixture(scope="session")
def aiosmtpd(tmp_path_factory) -> Iterator[Aiosmtpd]:
    script = _aiosmtpd_script()
    root = tmp_path_factory.mktemp("aiosmtpd")
    # The server is plain Python: no sanitizer runtime preloaded into it.
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    started = subprocess.run([str(script), "start", str(root)],
                             capture_output=True, text=True, env=env)
    try:
        assert started.returncode == 0, (
            f"aiosmtpd did not start (python3-aiosmtpd and openssl are "
            f"installed by ./dev):\n{started.stdout}{started.stderr}")
        env = {}
        for line in (root / "env").read_text().splitlines():
            if line and not line.startswith("#"):
                key, _, value = line.partition("=")
                env[key] = shlex.split(value)[0] if value else ""
        yield Aiosmtpd(env)
    finally:
        subprocess.run([str(script), "stop", str(root)], capture_output=True,
                       env=env)


@pytest.fixture
def refused_port() -> Iterator[int]:
    """A 127.0.0.1 port that refuses connections: bound, never listening,
    and held so that nothing else takes it during the test."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        yield s.getsockname()[1]


class ScriptedServer:
    """A one-connection TCP server on 127.0.0.1 that sends `greeting` and
    then answers each line with the next of `replies` (closing when they
    run out). Runs in a thread; stopped when the test ends."""

    def __init__(self, greeting: bytes, replies: list) -> None:
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(4)
        self.port = self._listener.getsockname()[1]
        self._greeting = greeting
        self._replies = list(replies)
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        try:
            conn, _ = self._listener.accept()
        except OSError:
            return
        with conn:
            try:
                conn.sendall(self._greeting)
                reader = conn.makefile("rb")
                for reply in self._replies:
                    if not reader.readline():
                        return
                    conn.sendall(reply)
            except OSError:
                return

    def close(self) -> None:
        if self._thread.is_alive():
            # Wake an accept() still waiting (the client never came).
            try:
                socket.create_connection(("127.0.0.1", self.port),
                                         timeout=5).close()
            except OSError:
                pass
        self._thread.join(timeout=10)
        self._listener.close()


@pytest.fixture
def scripted_server():
    servers = []

    def make(greeting: bytes, replies: list = ()) -> ScriptedServer:
        server = ScriptedServer(greeting, list(replies))
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.close()
