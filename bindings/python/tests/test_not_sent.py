"""Recipients that were not sent, in send(), aio.send(), aio.Client and the
Session.

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


# --- aio.Client.send_message on a connection that failed or closed ---------

_ERROR_FIELDS = ("message", "code", "enhanced_code", "command", "text",
                 "permanent", "detail")


def send_twice(client, rcpts):
    """Two send_message calls that must both raise; their errors."""
    async def go():
        errors = []
        for _ in range(2):
            with pytest.raises(smtpcore.SmtpError) as info:
                await client.send_message(b"x\r\n", "a@example.org", rcpts)
            errors.append(info.value)
        return errors
    return go()


def assert_new_not_sent_errors(errors, rcpts, status, cause):
    """Each call raised its own exception, a copy of `cause` (the
    connection's failure, or None after a clean close) raised from it, with
    a result in which each of this call's recipients is not sent."""
    first, second = errors
    assert first is not second
    assert first.result is not second.result
    for e in errors:
        assert e is not cause
        assert e.__cause__ is cause
        if cause is not None:
            assert type(e) is type(cause)
            for field in _ERROR_FIELDS:
                assert getattr(e, field) == getattr(cause, field), field
        assert [r.address for r in e.result.recipients] == rcpts
        for r in e.result.recipients:
            assert (r.status, r.outcome, r.not_sent, r.code) == (
                status, "not_sent", True, 0), r


def test_client_after_failed_connection_raises_new_not_sent_errors(
        scripted_server):
    # The greeting is a 421: connect() raises the connection's failure.
    server = scripted_server(b"421 4.3.2 busy, try later\r\n")

    async def go():
        client = aio.Client(f"127.0.0.1:{server.port}", tls="none",
                            timeout=10)
        with pytest.raises(smtpcore.SmtpTemporaryError) as info:
            await client.connect()
        failure = info.value
        before = dict(vars(failure))
        errors = await send_twice(client, RCPTS)
        await client.quit()
        return failure, before, errors

    failure, before, errors = run(go())
    assert (failure.command, failure.code) == ("GREETING", 421)
    assert_new_not_sent_errors(errors, RCPTS, "deferred", failure)
    # The shared failure is left as it was (no result stuck on it).
    assert failure.result is None
    assert vars(failure) == before


@pytest.mark.parametrize("how", ["421", "drop"])
def test_client_message_in_flight_keeps_its_outcomes_then_not_sent(
        scripted_server, how):
    # No PIPELINING: MAIL goes alone, so the message is in flight when the
    # server answers 421 to it or closes without an answer.
    mail_reply = b"421 4.3.2 shutting down\r\n" if how == "421" else b""
    server = scripted_server(b"220 mx\r\n", [b"250 mx\r\n", mail_reply])
    later = ["d@example.org"]

    async def go():
        client = aio.Client(f"127.0.0.1:{server.port}", tls="none",
                            timeout=10)
        await client.connect()
        with pytest.raises(smtpcore.SmtpTemporaryError) as info:
            await client.send_message(b"x\r\n", "a@example.org", RCPTS)
        errors = await send_twice(client, later)
        await client.quit()
        return info.value, errors

    in_flight, errors = run(go())
    # The session's own per-recipient outcomes for the message in flight.
    assert in_flight.command == "MAIL"
    assert in_flight.code == (421 if how == "421" else 0)
    assert_all_not_sent(in_flight.result, "deferred")
    # Later calls: new errors, copies of the connection's failure, with
    # their own recipients not sent.
    cause = errors[0].__cause__
    assert isinstance(cause, smtpcore.SmtpError) and not cause.permanent
    assert cause is not in_flight
    assert_new_not_sent_errors(errors, later, "deferred", cause)
    assert cause.result is None


@pytest.mark.parametrize("when", ["after_quit", "while_quitting",
                                  "after_abort"])
def test_client_after_close_raises_new_not_sent_errors(scripted_server,
                                                       when):
    server = scripted_server(b"220 mx\r\n", [b"250 mx\r\n", b"221 bye\r\n"])

    async def go():
        client = aio.Client(f"127.0.0.1:{server.port}", tls="none",
                            timeout=10)
        await client.connect()
        if when == "while_quitting":
            quitting = asyncio.create_task(client.quit())
            await asyncio.sleep(0)  # quit() has asked for QUIT
            errors = await send_twice(client, RCPTS)
            await quitting
        else:
            await (client.quit() if when == "after_quit"
                   else client.abort())
            errors = await send_twice(client, RCPTS)
        return errors

    errors = run(go())
    cause = errors[0].__cause__
    if when == "after_abort":
        # abort() fails the session: its failure is the cause.
        assert isinstance(cause, smtpcore.SmtpError) and not cause.permanent
    else:
        assert cause is None
        for e in errors:
            assert type(e) is smtpcore.SmtpError
            assert e.detail == "closed" and not e.permanent
    assert_new_not_sent_errors(errors, RCPTS, "deferred", cause)


def test_client_dead_connection_bad_arguments_raise_as_before(
        scripted_server):
    server = scripted_server(b"421 4.3.2 busy\r\n")

    async def go():
        client = aio.Client(f"127.0.0.1:{server.port}", tls="none",
                            timeout=10)
        with pytest.raises(smtpcore.SmtpError):
            await client.connect()
        with pytest.raises(ValueError, match="mail_from and rcpt_to"):
            await client.send_message(b"x\r\n")
        with pytest.raises(TypeError, match="unknown arguments"):
            await client.send_message(b"x\r\n", "a@example.org", RCPTS,
                                      bogus=1)

    run(go())
