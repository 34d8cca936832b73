"""The sans-I/O Session against scripted server bytes (no network)."""

from __future__ import annotations

import ctypes
import email.message
from pathlib import Path

import pytest

import smtpcore
from smtpcore.message import envelope_from_headers, prepare, split_server

SECOND = 1_000_000_000
BODY = b"Subject: t\r\n\r\n.dot\r\nhello\r\n"


def plain_session(**kw) -> smtpcore.Session:
    kw.setdefault("tls", "none")
    kw.setdefault("ehlo_domain", "client.example")
    kw.setdefault("now", 0)
    return smtpcore.Session(**kw)


def test_mixed_recipients_and_envelope_parameters():
    s = plain_session()
    delivery = s.deliver("a@example.org",
                         ["b@example.org", "c@example.org", "d@example.org"],
                         BODY, notify=["success", "failure"],
                         dsn_ret="hdrs", envid="E1", now=SECOND)
    assert delivery == 1
    s.close(now=SECOND)
    assert s.take_transmit(SECOND) == b""
    assert s.next_deadline() == 300 * SECOND  # greeting, RFC 5321
    s.receive(b"220 mx ESMTP\r\n", SECOND)
    assert s.take_transmit(SECOND) == b"EHLO client.example\r\n"
    s.receive(b"250-mx\r\n250-PIPELINING\r\n250-DSN\r\n"
              b"250 ENHANCEDSTATUSCODES\r\n", SECOND)
    assert s.has_capability("dsn") and not s.has_capability("CHUNKING")
    assert s.take_transmit(SECOND) == (
        b"MAIL FROM:<a@example.org> RET=HDRS ENVID=E1\r\n"
        b"RCPT TO:<b@example.org> NOTIFY=SUCCESS,FAILURE\r\n"
        b"RCPT TO:<c@example.org> NOTIFY=SUCCESS,FAILURE\r\n"
        b"RCPT TO:<d@example.org> NOTIFY=SUCCESS,FAILURE\r\n"
        b"DATA\r\n")
    # A reply split across two reads.
    s.receive(b"250 2.1.0 ok\r\n250 2.1.5 ok\r\n550 5.1.1 no such", SECOND)
    s.receive(b" user\r\n450 4.2.0 busy\r\n354 go\r\n", SECOND)
    assert s.take_transmit(SECOND) == (
        b"Subject: t\r\n\r\n..dot\r\nhello\r\n.\r\n")
    s.receive(b"250 2.0.0 queued\r\n", SECOND)
    events = list(s.events())
    assert [e.type for e in events] == [
        "greeting", "capabilities", "ready", "recipient", "recipient",
        "recipient", "transaction_complete", "delivery_done"]
    rejected = events[4]
    assert (rejected.address, rejected.code, rejected.enhanced_code) == (
        "c@example.org", 550, "5.1.1")
    done = events[-1]
    assert (done.delivered, done.rejected, done.deferred) == (1, 1, 1)
    assert [(r.address, r.status, r.code) for r in done.recipients] == [
        ("b@example.org", "delivered", 250),
        ("c@example.org", "rejected", 550),
        ("d@example.org", "deferred", 450)]
    assert done.recipients[1].text == "5.1.1 no such user"
    assert done.error is None
    assert s.take_transmit(SECOND) == b"QUIT\r\n"
    s.receive(b"221 bye\r\n", SECOND)
    closed = list(s.events())[-1]
    assert closed.type == "closed" and closed.error is None
    assert s.state == "closed"


def test_partial_writes():
    s = plain_session()
    s.receive(b"220 mx\r\n", 0)
    data = s.data_to_send()
    assert data == s.data_to_send()  # not consumed
    s.bytes_sent(3, 0)
    assert s.data_to_send() == data[3:]


def test_starttls_and_auth_with_channel_binding():
    s = plain_session(tls="starttls", user="alice", password="secret",
                      auth_mechanisms=["PLAIN"])
    s.receive(b"220 mx\r\n", 0)
    s.take_transmit(0)
    s.receive(b"250-mx\r\n250 STARTTLS\r\n", 0)
    assert s.take_transmit(0) == b"STARTTLS\r\n"
    s.receive(b"220 go ahead\r\n", 0)
    assert [e.type for e in s.events()][-1] == "tls_upgrade_required"
    s.tls_established(version="TLSv1.2", cipher="X", server_name="mx",
                      verified=True, channel_binding_type="tls-unique",
                      channel_binding=b"\x01\x02", now=0)
    assert s.take_transmit(0) == b"EHLO client.example\r\n"
    s.receive(b"250-mx\r\n250 AUTH SCRAM-SHA-256 PLAIN\r\n", 0)
    assert s.take_transmit(0) == b"AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n"
    s.receive(b"235 2.7.0 ok\r\n", 0)
    kinds = {e.type: e for e in s.events()}
    assert kinds["authenticated"].text == "PLAIN"
    assert "ready" in kinds


def test_auth_failure_is_a_typed_event():
    s = plain_session(user="alice", password="bad", allow_insecure_auth=True)
    s.receive(b"220 mx\r\n", 0)
    s.take_transmit(0)
    s.receive(b"250-mx\r\n250 AUTH PLAIN\r\n", 0)
    s.take_transmit(0)
    s.receive(b"535 5.7.8 invalid credentials\r\n", 0)
    failed = [e for e in s.events() if e.type == "auth_failed"][0]
    assert isinstance(failed.error, smtpcore.SmtpAuthError)
    assert (failed.error.code, failed.error.command,
            failed.error.enhanced_code) == (535, "AUTH", "5.7.8")
    assert failed.error.text == "5.7.8 invalid credentials"


def test_chooser_and_token_callbacks():
    seen = []

    def chooser(offered, tls, channel_binding):
        seen.append((offered, tls, channel_binding))
        return "XOAUTH2"

    tokens = iter(["old", "new"])

    def provider(refresh, server_error):
        return next(tokens)

    s = plain_session(user="u@example.org", oauth_token_provider=provider,
                      auth_chooser=chooser, allow_insecure_auth=True)
    s.receive(b"220 mx\r\n", 0)
    s.take_transmit(0)
    s.receive(b"250-mx\r\n250 AUTH PLAIN XOAUTH2\r\n", 0)
    assert seen == [(["PLAIN", "XOAUTH2"], False, False)]
    assert s.take_transmit(0).startswith(b"AUTH XOAUTH2 ")
    s.receive(b"535 5.7.8 expired\r\n", 0)
    assert "auth_retry" in [e.type for e in s.events()]
    assert s.take_transmit(0).startswith(b"AUTH XOAUTH2 ")


def test_noop_abort_and_wrong_state():
    s = plain_session()
    s.receive(b"220 mx\r\n", 0)
    s.take_transmit(0)
    s.receive(b"250 mx\r\n", 0)
    s.noop(0)
    assert s.take_transmit(0) == b"NOOP\r\n"
    s.receive(b"250 2.0.0 ok\r\n", 0)
    noop = [e for e in s.events() if e.type == "noop"][0]
    assert noop.code == 250
    s.deliver("a@example.org", ["b@example.org"], BODY, now=0)
    s.abort("gave up", now=0)
    events = list(s.events())
    failed = [e for e in events if e.type == "delivery_failed"][0]
    assert isinstance(failed.error, smtpcore.SmtpTemporaryError)
    assert failed.recipients[0].status == "deferred"
    assert events[-1].type == "closed"
    assert events[-1].error.detail == "io"
    with pytest.raises(smtpcore.SmtpError):
        s.noop(0)


def test_tls_failure_and_timeout():
    s = plain_session(tls="starttls")
    s.receive(b"220 mx\r\n", 0)
    s.take_transmit(0)
    s.receive(b"250-mx\r\n250 STARTTLS\r\n", 0)
    s.take_transmit(0)
    s.receive(b"220 go\r\n", 0)
    s.tls_failed("certificate verify failed", verification=True, now=0)
    closed = list(s.events())[-1]
    assert isinstance(closed.error, smtpcore.SmtpTlsError)
    assert closed.error.detail == "tls_verification"

    s = plain_session(timeout=2, now=10 * SECOND)
    assert s.next_deadline() == 12 * SECOND
    s.handle_timeout(12 * SECOND)
    closed = list(s.events())[-1]
    assert closed.type == "closed" and closed.error.detail == "timeout"
    assert isinstance(closed.error, smtpcore.SmtpConnectError)


def test_protocol_error_event():
    s = plain_session()
    s.receive(b"hello there\r\n", 0)
    closed = list(s.events())[-1]
    assert isinstance(closed.error, smtpcore.SmtpProtocolError)


def test_invalid_arguments():
    s = plain_session()
    with pytest.raises(smtpcore.SmtpInvalidArgument):
        s.deliver("a@example.org", ["b@example.org\r\nRSET"], BODY, now=0)
    with pytest.raises(ValueError):  # SmtpInvalidArgument is a ValueError
        s.deliver("a@example.org", [], BODY, now=0)
    with pytest.raises(smtpcore.SmtpInvalidArgument):
        smtpcore.Session(tls="none", auth_mechanisms=["NOPE"], password="x")
    with pytest.raises(ValueError):
        smtpcore.Session(tls="sometimes")


def test_vrfy_request():
    s = plain_session()
    s.receive(b"220 mx\r\n", 0)
    s.take_transmit(0)
    s.receive(b"250 mx\r\n", 0)
    request = s.vrfy("fred", now=0)
    assert s.take_transmit(0) == b"VRFY fred\r\n"
    s.receive(b"250 Fred Smith <fred@example.org>\r\n", 0)
    vrfy = [e for e in s.events() if e.type == "vrfy"][0]
    assert (vrfy.request_id, vrfy.outcome, vrfy.entries) == (
        request, "found", ("fred@example.org",))


def test_envelope_from_email_message():
    m = email.message.EmailMessage()
    m["From"] = "Ann <ann@example.org>"
    m["To"] = "bob@example.org, Carl <carl@example.org>"
    m["Cc"] = "dan@example.org"
    m["Bcc"] = "eve@example.org"
    m["Subject"] = "hi"
    m.set_content("hello\n")
    sender, rcpts, data, utf8 = prepare(m, None, None)
    assert sender == "ann@example.org"
    assert rcpts == ["bob@example.org", "carl@example.org", "dan@example.org",
                     "eve@example.org"]
    assert b"Bcc" not in data and b"eve@" not in data
    assert b"\r\nSubject: hi\r\n" in data and not utf8
    assert m["Bcc"] == "eve@example.org"  # the caller's object is untouched
    # Explicit arguments win; Resent- headers are preferred.
    assert prepare(m, "x@example.org", "y@example.org")[:2] == (
        "x@example.org", ["y@example.org"])
    m["Resent-Date"] = "Mon, 1 Jan 2024 00:00:00 +0000"
    m["Resent-From"] = "rs@example.org"
    m["Resent-To"] = "rt@example.org"
    assert envelope_from_headers(m) == ("rs@example.org", ["rt@example.org"])
    u = email.message.EmailMessage()
    u["From"] = "jösé@example.org"
    u["To"] = "b@example.org"
    u.set_content("x")
    assert prepare(u, None, None)[3] is True


def test_split_server():
    assert split_server("mx.example:587") == ("mx.example", 587)
    assert split_server("[::1]:2525") == ("::1", 2525)
    assert split_server("mx.example") == ("mx.example", 25)
    assert split_server("mx.example", 465) == ("mx.example", 465)


def test_python_structs_match_the_library():
    # Each *_init accepts exactly sizes up to the library's sizeof: the
    # Python layout is accepted and one byte more is refused, so the two
    # sizes are equal (a field added to smtpc.h but not here fails this).
    import ctypes

    from smtpcore import _native
    lib = _native.lib()
    for struct, init in [
            (_native.SessionOptions, "smtpc_session_options_init"),
            (_native.Envelope, "smtpc_envelope_init"),
            (_native.SendOptions, "smtpc_send_options_init"),
            (_native.TlsSessionInfo, "smtpc_tls_session_info_init"),
            (_native.RecipientResult, "smtpc_recipient_result_init"),
            (_native.ErrorInfo, "smtpc_error_info_init")]:
        size = ctypes.sizeof(struct)
        buf = ctypes.create_string_buffer(size + 16)
        fn = getattr(lib, init)
        fn.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
        assert fn(buf, size) == 0, init
        assert fn(buf, size + 1) == _native.ERR_VERSION, init
        # Restore the typed signature for the rest of the run.
        fn.argtypes = [ctypes.POINTER(struct), ctypes.c_size_t]


def test_package_version_mirrors_the_library():
    # The package and the C ABI it wraps share one version (docs/abi.md);
    # setup.py, __version__ and SMTPC_VERSION_STRING move together.
    from smtpcore import _native
    major, minor, patch = (ctypes.c_int(), ctypes.c_int(), ctypes.c_int())
    got = _native.lib().smtpc_version(ctypes.byref(major),
                                      ctypes.byref(minor),
                                      ctypes.byref(patch)).decode()
    assert got == smtpcore.__version__
    assert got == f"{major.value}.{minor.value}.{patch.value}"
    setup = (Path(smtpcore.__file__).parent.parent / "setup.py").read_text()
    assert f'version="{smtpcore.__version__}"' in setup
