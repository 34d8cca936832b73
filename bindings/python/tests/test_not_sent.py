"""Recipients that were not sent, in send(), aio.send() and the Session.

A recipient the server never refused (the sender was refused at MAIL FROM,
the connection failed first) has `not_sent` True and outcome "not_sent";
its `status` keeps the permanence of the cause. One the server refused at
RCPT is "rejected" or "deferred" and not `not_sent`.
"""

from __future__ import annotations

import asyncio

import pytest

import smtpcore
from smtpcore import aio

RCPTS = ["b@example.org", "c@example.org"]


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 120))


def refusing_sender(scripted_server, mail_reply: bytes):
    """A server without PIPELINING that refuses MAIL FROM, then answers
    RSET and QUIT."""
    return scripted_server(b"220 mx\r\n", [b"250 mx\r\n", mail_reply,
                                           b"250 ok\r\n", b"221 bye\r\n"])


def assert_all_not_sent(result, status):
    assert [r.address for r in result.recipients] == RCPTS
    for r in result.recipients:
        assert r.not_sent, r
        assert r.outcome == "not_sent"
        assert r.status == status
        assert r.code == 0
    assert result.not_sent == list(result.recipients)


@pytest.mark.parametrize("api", ["blocking", "aio"])
def test_refused_sender_leaves_every_recipient_not_sent(scripted_server, api):
    server = refusing_sender(scripted_server,
                             b"550 5.7.1 sender refused\r\n")
    args = (f"127.0.0.1:{server.port}", "reject@example.org", RCPTS,
            b"x\r\n")
    with pytest.raises(smtpcore.SmtpPermanentError) as info:
        if api == "blocking":
            smtpcore.send(*args, tls="none", timeout=10)
        else:
            run(aio.send(*args, tls="none", timeout=10))
    assert (info.value.command, info.value.code) == ("MAIL", 550)
    assert_all_not_sent(info.value.result, "rejected")
    # Counted by status too, as the core does.
    assert info.value.result.rejected == list(info.value.result.recipients)


@pytest.mark.parametrize("api", ["blocking", "aio"])
def test_temporarily_refused_sender_is_deferred_not_sent(scripted_server,
                                                         api):
    server = refusing_sender(scripted_server, b"451 4.3.0 try later\r\n")
    args = (f"127.0.0.1:{server.port}", "busy@example.org", RCPTS, b"x\r\n")
    with pytest.raises(smtpcore.SmtpTemporaryError) as info:
        if api == "blocking":
            smtpcore.send(*args, tls="none", timeout=10)
        else:
            run(aio.send(*args, tls="none", timeout=10))
    assert_all_not_sent(info.value.result, "deferred")


@pytest.mark.parametrize("api", ["blocking", "aio"])
def test_connection_refused_leaves_every_recipient_not_sent(refused_port,
                                                            api):
    args = (f"127.0.0.1:{refused_port}", "a@example.org", RCPTS, b"x\r\n")
    with pytest.raises(smtpcore.SmtpConnectError) as info:
        if api == "blocking":
            smtpcore.send(*args, tls="none", timeout=10)
        else:
            run(aio.send(*args, tls="none", timeout=10))
    assert not info.value.permanent
    assert_all_not_sent(info.value.result, "deferred")


@pytest.mark.parametrize("api", ["blocking", "aio"])
def test_refused_recipient_is_rejected_not_not_sent(aiosmtpd, api):
    args = (aiosmtpd.server, "a@example.org",
            [aiosmtpd.rcpt, aiosmtpd.rejected, aiosmtpd.tempfail],
            b"Subject: not sent\r\n\r\nx\r\n")
    kw = dict(tls="starttls", ca_file=aiosmtpd.ca_file, user=aiosmtpd.user,
              password=aiosmtpd.password, timeout=30)
    if api == "blocking":
        result = smtpcore.send(*args, **kw)
    else:
        result = run(aio.send(*args, **kw))
    assert [(r.status, r.outcome, r.not_sent, r.code)
            for r in result.recipients] == [
        ("delivered", "delivered", False, 250),
        ("rejected", "rejected", False, 550),
        ("deferred", "deferred", False, 450)]
    assert result.not_sent == []

    # Every recipient refused: the error's result says so, none not sent.
    with pytest.raises(smtpcore.SmtpPermanentError) as info:
        if api == "blocking":
            smtpcore.send(aiosmtpd.server, "a@example.org",
                          [aiosmtpd.rejected], b"x\r\n", **kw)
        else:
            run(aio.send(aiosmtpd.server, "a@example.org",
                         [aiosmtpd.rejected], b"x\r\n", **kw))
    [r] = info.value.result.recipients
    assert (r.status, r.outcome, r.not_sent) == ("rejected", "rejected",
                                                 False)


def test_session_event_says_not_sent():
    s = smtpcore.Session(tls="none", ehlo_domain="client.example", now=0)
    s.deliver("reject@example.org", RCPTS, b"x\r\n", now=0)
    s.receive(b"220 mx\r\n", 0)
    s.take_transmit(0)
    s.receive(b"250 mx\r\n", 0)
    assert s.take_transmit(0) == b"MAIL FROM:<reject@example.org>\r\n"
    s.receive(b"553 5.7.1 sender refused\r\n", 0)
    [failed] = [e for e in s.events() if e.type == "delivery_failed"]
    assert failed.error.command == "MAIL"
    assert [(r.address, r.status, r.outcome, r.not_sent)
            for r in failed.recipients] == [
        (a, "rejected", "not_sent", True) for a in RCPTS]
