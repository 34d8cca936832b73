"""smtpcore.aio against the real aiosmtpd on 127.0.0.1."""

from __future__ import annotations

import asyncio
import uuid

import pytest

import smtpcore
from smtpcore import aio


def message(token: str) -> bytes:
    return (f"From: a@example.org\r\nTo: alice@sink.test\r\n"
            f"Subject: {token}\r\n\r\n{token}\r\n").encode()


def options(ai, **kw):
    kw.setdefault("tls", "starttls")
    kw.setdefault("ca_file", ai.ca_file)
    kw.setdefault("user", ai.user)
    kw.setdefault("password", ai.password)
    kw.setdefault("timeout", 30)
    return kw


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 120))


def test_send_starttls_auth_partial(aiosmtpd):
    token = uuid.uuid4().hex
    result = run(aio.send(aiosmtpd.server, "a@example.org",
                          [aiosmtpd.rcpt, aiosmtpd.rejected], message(token),
                          **options(aiosmtpd)))
    assert [r.status for r in result.recipients] == ["delivered", "rejected"]
    assert result.tls_version.startswith("TLSv1.")
    assert result.auth_mechanism == "PLAIN"
    record = aiosmtpd.record_with(token)
    assert record["tls"] and record["auth_user"] == aiosmtpd.user
    assert record["rcpt_tos"] == [aiosmtpd.rcpt]


def test_many_concurrent_sends_on_one_loop(aiosmtpd):
    tokens = [uuid.uuid4().hex for _ in range(8)]

    async def main():
        return await asyncio.gather(*[
            aio.send(aiosmtpd.server, "a@example.org", [aiosmtpd.rcpt],
                     message(t), **options(aiosmtpd)) for t in tokens])

    results = run(main())
    assert all(r.all_delivered for r in results)
    for t in tokens:
        aiosmtpd.record_with(t)


def test_client_several_messages_on_one_connection(aiosmtpd):
    tokens = [uuid.uuid4().hex for _ in range(3)]

    async def main():
        async with aio.Client(aiosmtpd.server,
                              **options(aiosmtpd)) as client:
            first = await client.send_message(message(tokens[0]),
                                              "a@example.org", aiosmtpd.rcpt)
            code = await client.noop()
            rest = await asyncio.gather(*[
                client.send_message(message(t), "a@example.org",
                                    [aiosmtpd.rcpt]) for t in tokens[1:]])
            with pytest.raises(smtpcore.SmtpPermanentError):
                await client.send_message(message("x"), "a@example.org",
                                          [aiosmtpd.rejected])
            last = await client.send_message(message(uuid.uuid4().hex),
                                             "a@example.org", aiosmtpd.rcpt)
            return first, code, rest, last

    first, code, rest, last = run(main())
    assert code == 250
    assert first.all_delivered and last.all_delivered
    assert all(r.all_delivered for r in rest)
    peers = {tuple(aiosmtpd.record_with(t)["peer"]) for t in tokens}
    assert len(peers) == 1  # one connection


def test_implicit_tls(aiosmtpd):
    token = uuid.uuid4().hex
    result = run(aio.send(f"127.0.0.1:{aiosmtpd.tls_port}", "a@example.org",
                          [aiosmtpd.rcpt], message(token),
                          **options(aiosmtpd, tls="implicit")))
    assert result.all_delivered and aiosmtpd.record_with(token)["tls"]


def test_untrusted_certificate(aiosmtpd):
    with pytest.raises(smtpcore.SmtpTlsError) as info:
        run(aio.send(aiosmtpd.server, "a@example.org", [aiosmtpd.rcpt],
                     message("x"), **options(aiosmtpd, ca_file=None)))
    assert info.value.detail == "tls_verification"


def test_untrusted_certificate_implicit(aiosmtpd):
    with pytest.raises(smtpcore.SmtpTlsError):
        run(aio.send(f"127.0.0.1:{aiosmtpd.tls_port}", "a@example.org",
                     [aiosmtpd.rcpt], message("x"),
                     **options(aiosmtpd, tls="implicit", ca_file=None)))


def test_wrong_password(aiosmtpd):
    with pytest.raises(smtpcore.SmtpAuthError) as info:
        run(aio.send(aiosmtpd.server, "a@example.org", [aiosmtpd.rcpt],
                     message("x"), **options(aiosmtpd, password="wrong")))
    assert (info.value.code, info.value.command) == (535, "AUTH")


def test_all_rejected_and_all_deferred(aiosmtpd):
    with pytest.raises(smtpcore.SmtpPermanentError) as info:
        run(aio.send(aiosmtpd.server, "a@example.org", [aiosmtpd.rejected],
                     message("x"), **options(aiosmtpd)))
    assert info.value.result.rejected
    with pytest.raises(smtpcore.SmtpTemporaryError):
        run(aio.send(aiosmtpd.server, "a@example.org", [aiosmtpd.tempfail],
                     message("x"), **options(aiosmtpd)))


def test_connection_refused(refused_port):
    with pytest.raises(smtpcore.SmtpConnectError):
        run(aio.send(f"127.0.0.1:{refused_port}", "a@example.org",
                     ["b@example.org"], b"x\r\n", tls="none", timeout=10))


def test_protocol_error(scripted_server):
    server = scripted_server(b"hello, no SMTP here\r\n")
    with pytest.raises(smtpcore.SmtpProtocolError):
        run(aio.send(f"127.0.0.1:{server.port}", "a@example.org",
                     ["b@example.org"], b"x\r\n", tls="none", timeout=10))


def test_server_closes_mid_transaction(scripted_server):
    server = scripted_server(b"220 mx\r\n", [b"250 mx\r\n", b"250 ok\r\n"])
    with pytest.raises(smtpcore.SmtpTemporaryError) as info:
        run(aio.send(f"127.0.0.1:{server.port}", "a@example.org",
                     ["b@example.org"], b"x\r\n", tls="none", timeout=10))
    assert info.value.result.recipients[0].status == "deferred"
