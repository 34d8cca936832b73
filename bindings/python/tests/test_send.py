"""smtpcore.send (blocking) against the real aiosmtpd on 127.0.0.1."""

from __future__ import annotations

import email.message
import threading
import uuid

import pytest

import smtpcore


def message(token: str, to: str = "alice@sink.test") -> bytes:
    return (f"From: a@example.org\r\nTo: {to}\r\nSubject: {token}\r\n\r\n"
            f".leading dot\r\n{token}\r\n").encode()


def send(ai, rcpts, token, **kw):
    kw.setdefault("tls", "starttls")
    kw.setdefault("ca_file", ai.ca_file)
    kw.setdefault("user", ai.user)
    kw.setdefault("password", ai.password)
    kw.setdefault("timeout", 30)
    return smtpcore.send(ai.server, "a@example.org", rcpts, message(token),
                         **kw)


def test_starttls_auth_partial_delivery(aiosmtpd):
    token = uuid.uuid4().hex
    result = send(aiosmtpd, [aiosmtpd.rcpt, aiosmtpd.rejected,
                             aiosmtpd.tempfail], token)
    assert [(r.address, r.status, r.code) for r in result.recipients] == [
        (aiosmtpd.rcpt, "delivered", 250),
        (aiosmtpd.rejected, "rejected", 550),
        (aiosmtpd.tempfail, "deferred", 450)]
    assert result.rejected[0].enhanced_code == "5.1.1"
    assert not result.all_delivered
    assert result.tls_version.startswith("TLSv1.")
    assert result.auth_mechanism == "PLAIN"
    record = aiosmtpd.record_with(token)
    assert record["rcpt_tos"] == [aiosmtpd.rcpt]
    assert record["tls"] and record["auth_user"] == aiosmtpd.user
    assert record["content"] == message(token)


def test_email_message_envelope_from_headers(aiosmtpd):
    token = uuid.uuid4().hex
    m = email.message.EmailMessage()
    m["From"] = "Ann <ann@example.org>"
    m["To"] = aiosmtpd.rcpt
    m["Bcc"] = "hidden@sink.test"
    m["Subject"] = token
    m.set_content("hello\n")
    result = smtpcore.send(aiosmtpd.server, message=m, tls="starttls",
                           ca_file=aiosmtpd.ca_file, user=aiosmtpd.user,
                           password=aiosmtpd.password, timeout=30)
    assert result.all_delivered
    record = aiosmtpd.record_with(token)
    assert record["mail_from"] == "ann@example.org"
    assert record["rcpt_tos"] == [aiosmtpd.rcpt, "hidden@sink.test"]
    assert b"hidden@" not in record["content"]


def test_implicit_tls(aiosmtpd):
    token = uuid.uuid4().hex
    result = smtpcore.send(f"127.0.0.1:{aiosmtpd.tls_port}", "a@example.org",
                           aiosmtpd.rcpt, message(token), tls="implicit",
                           ca_file=aiosmtpd.ca_file, user=aiosmtpd.user,
                           password=aiosmtpd.password, timeout=30)
    assert result.all_delivered and result.tls_version.startswith("TLSv1.")
    assert aiosmtpd.record_with(token)["tls"]


def test_threads_send_at_once(aiosmtpd):
    tokens = [uuid.uuid4().hex for _ in range(4)]
    results = {}

    def run(token):
        results[token] = send(aiosmtpd, [aiosmtpd.rcpt], token)

    threads = [threading.Thread(target=run, args=(t,)) for t in tokens]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(results) == sorted(tokens)
    assert all(r.all_delivered for r in results.values())


def test_untrusted_certificate_is_a_tls_error(aiosmtpd):
    with pytest.raises(smtpcore.SmtpTlsError) as info:
        send(aiosmtpd, [aiosmtpd.rcpt], "x", ca_file=None)
    assert info.value.detail == "tls_verification"
    assert info.value.command == "STARTTLS"
    assert info.value.result.recipients[0].status != "delivered"


def test_wrong_password_is_an_auth_error(aiosmtpd):
    with pytest.raises(smtpcore.SmtpAuthError) as info:
        send(aiosmtpd, [aiosmtpd.rcpt], "x", password="wrong")
    e = info.value
    assert (e.code, e.enhanced_code, e.command, e.permanent) == (
        535, "5.7.8", "AUTH", True)
    assert "Authentication credentials invalid" in e.text


def test_all_rejected_is_permanent(aiosmtpd):
    with pytest.raises(smtpcore.SmtpPermanentError) as info:
        send(aiosmtpd, [aiosmtpd.rejected], "x")
    assert (info.value.code, info.value.command) == (550, "RCPT")
    assert info.value.result.recipients[0].status == "rejected"


def test_all_deferred_is_temporary(aiosmtpd):
    with pytest.raises(smtpcore.SmtpTemporaryError) as info:
        send(aiosmtpd, [aiosmtpd.tempfail], "x")
    assert info.value.code == 450 and not info.value.permanent
    assert info.value.result.deferred


def test_connection_refused(refused_port):
    with pytest.raises(smtpcore.SmtpConnectError) as info:
        smtpcore.send(f"127.0.0.1:{refused_port}", "a@example.org",
                      ["b@example.org"], b"x\r\n", tls="none", timeout=10)
    assert info.value.result.recipients[0].status == "deferred"


def test_protocol_error(scripted_server):
    server = scripted_server(b"hello, no SMTP here\r\n")
    with pytest.raises(smtpcore.SmtpProtocolError):
        smtpcore.send(f"127.0.0.1:{server.port}", "a@example.org",
                      ["b@example.org"], b"x\r\n", tls="none", timeout=10)


def test_invalid_address(aiosmtpd):
    with pytest.raises(smtpcore.SmtpInvalidArgument):
        send(aiosmtpd, ["bad\r\naddress@sink.test"], "x")
    with pytest.raises(ValueError):
        smtpcore.send(aiosmtpd.server, message=b"no envelope\r\n")


def test_default_tls_is_verified_starttls(aiosmtpd):
    # No tls argument: STARTTLS is required and the certificate verified
    # against the system store, which does not know the test CA.
    with pytest.raises(smtpcore.SmtpTlsError) as info:
        smtpcore.send(aiosmtpd.server, "a@example.org", [aiosmtpd.rcpt],
                      message("x"), timeout=30)
    assert info.value.detail == "tls_verification"
    token = uuid.uuid4().hex
    result = smtpcore.send(aiosmtpd.server, "a@example.org", [aiosmtpd.rcpt],
                           message(token), ca_file=aiosmtpd.ca_file,
                           timeout=30)
    assert result.all_delivered and result.tls_version
