"""The runnable example of the README: the sans-I/O Session on a bare
selectors loop with STARTTLS through ssl.MemoryBIO, against aiosmtpd."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

from conftest import PACKAGE_ROOT

EXAMPLE = PACKAGE_ROOT / "examples" / "selectors_client.py"


def run_example(ai, rcpts, token, **extra):
    args = [sys.executable, str(EXAMPLE), "--server", ai.server,
            "--from", "a@example.org", "--tls", "starttls",
            "--user", ai.user, "--password", ai.password]
    ca_file = extra.get("ca_file", ai.ca_file)
    if ca_file is not None:
        args += ["--ca-file", ca_file]
    for r in rcpts:
        args += ["--to", r]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(PACKAGE_ROOT)] + [p for p in [env.get("PYTHONPATH")] if p])
    body = f"Subject: {token}\r\n\r\n{token}\r\n".encode()
    return subprocess.run(args, input=body, capture_output=True, env=env,
                          timeout=120)


def test_selectors_example_starttls_auth(aiosmtpd):
    token = uuid.uuid4().hex
    done = run_example(aiosmtpd, [aiosmtpd.rcpt, aiosmtpd.rejected], token)
    out = done.stdout.decode()
    assert done.returncode == 0, out + done.stderr.decode()
    lines = out.splitlines()
    assert lines[0].startswith(f"{aiosmtpd.rcpt} delivered 250")
    assert lines[1].startswith(f"{aiosmtpd.rejected} rejected 550")
    record = aiosmtpd.record_with(token)
    assert record["tls"] and record["auth_user"] == aiosmtpd.user


def test_selectors_example_untrusted_certificate(aiosmtpd):
    # The system store does not know the test CA: the handshake fails and
    # the session reports it as a typed TLS error.
    done = run_example(aiosmtpd, [aiosmtpd.rcpt], uuid.uuid4().hex,
                       ca_file=None)
    assert done.returncode == 1
    assert b"SmtpTlsError" in done.stdout, done.stdout + done.stderr
