"""The sans-I/O SMTP session, for people who run their own loop.

`Session` never touches a socket, a clock or TLS. You move bytes:

    session = smtpcore.Session(tls="none", ehlo_domain="client.example")
    session.deliver("a@example.org", ["b@example.org"], message_bytes)
    session.close()
    while not done:
        sock.sendall(session.take_transmit())   # what to send, consumed
        data = sock.recv(65536)                 # wait at most until
        session.receive(data) if data else session.receive_eof()
        for event in session.events():          # session.next_deadline()
            ...                                 # then handle_timeout()

A complete program with `selectors` is examples/selectors_client.py. Time
is integer nanoseconds on a monotonic timeline; every `now` argument
defaults to `time.monotonic_ns()`. A Session is not thread-safe.
"""

from __future__ import annotations

import ctypes
import dataclasses
import time
from typing import Callable, Iterator, Optional, Sequence, Union

from smtpcore import _native
from smtpcore.errors import (RecipientResult, SmtpError, SmtpInvalidArgument,
                             from_error_info, new_error_info,
                             new_recipient_result, recipient_from)

TLS_MODES = {
    "none": _native.TLS_NONE,
    "opportunistic": _native.TLS_OPPORTUNISTIC,
    "starttls": _native.TLS_REQUIRED,
    "required": _native.TLS_REQUIRED,
    "implicit": _native.TLS_IMPLICIT,
}

NOTIFY_BITS = {"success": 1, "failure": 2, "delay": 4, "never": 8}
BODY_TYPES = {None: 0, "7bit": 1, "8bitmime": 2, "binarymime": 3}
DSN_RET = {None: 0, "full": 1, "hdrs": 2}

# TokenProvider(refresh, server_error) returns an OAuth 2.0 access token;
# `refresh` is True when the server refused the last one.
TokenProvider = Callable[[bool, str], str]
# AuthChooser(offered, tls, channel_binding) returns one of `offered` or
# None.
AuthChooser = Callable[[list, bool, bool], Optional[str]]


def tls_mode_for(tls: Optional[str], port: int) -> str:
    """Picks the TLS mode: `tls` when given, else secure by default:
    implicit TLS on port 465 and required STARTTLS on any other port, both
    with certificate verification. Pass tls="none" for a plaintext server
    and tls="opportunistic" for MTA-style encryption without
    authentication (RFC 7435)."""
    if tls is not None:
        if tls not in TLS_MODES:
            raise ValueError(
                f"tls must be one of none, opportunistic, starttls, "
                f"implicit; got {tls!r}")
        return tls
    return "implicit" if port == 465 else "starttls"


def now_ns() -> int:
    return time.monotonic_ns()


class _Options:
    """Builds smtpc_session_options and keeps alive what it points to."""

    def __init__(self, *, tls: str = "opportunistic",
                 ehlo_domain: Optional[str] = None,
                 user: Optional[str] = None, password: Optional[str] = None,
                 authzid: Optional[str] = None,
                 oauth_token: Optional[str] = None,
                 oauth_token_provider: Optional[TokenProvider] = None,
                 auth_mechanisms: Optional[Sequence[str]] = None,
                 auth_chooser: Optional[AuthChooser] = None,
                 allow_insecure_auth: bool = False,
                 pipelining: bool = True, chunking: bool = True,
                 lmtp: bool = False, idna: bool = True,
                 trace: bool = False, reply_events: bool = False,
                 force_helo: bool = False,
                 reject_bare_line_endings: bool = False,
                 capability_ignore: Sequence[str] = (),
                 capability_force: Sequence[str] = (),
                 timeout: Optional[float] = None,
                 timeouts: Optional[dict] = None) -> None:
        o = _native.SessionOptions()
        _native.init(o, "smtpc_session_options_init")
        if tls not in TLS_MODES:
            raise ValueError(f"unknown tls mode {tls!r}")
        o.tls_mode = TLS_MODES[tls]
        self._keep: list = []
        o.ehlo_domain = self._bytes(ehlo_domain)
        o.pipelining = int(pipelining)
        o.chunking = int(chunking)
        o.lmtp = int(lmtp)
        o.idna = int(idna)
        o.trace = int(trace)
        o.reply_events = int(reply_events)
        o.force_helo = int(force_helo)
        o.reject_bare_line_endings = int(reject_bare_line_endings)
        o.allow_insecure_auth = int(allow_insecure_auth)
        o.auth_user = self._bytes(user)
        o.auth_password = self._bytes(password)
        o.auth_authzid = self._bytes(authzid)
        o.oauth_token = self._bytes(oauth_token)
        if auth_mechanisms:
            o.auth_mechanisms = self._bytes(",".join(auth_mechanisms))
        if capability_ignore:
            o.capability_ignore = self._bytes(",".join(capability_ignore))
        if capability_force:
            o.capability_force = self._bytes(",".join(capability_force))
        if oauth_token_provider is not None:
            cb = _native.TOKEN_PROVIDER(_token_trampoline(oauth_token_provider))
            self._keep.append(cb)
            o.oauth_token_provider = cb
        if auth_chooser is not None:
            cb2 = _native.AUTH_CHOOSER(_chooser_trampoline(auth_chooser,
                                                           self._keep))
            self._keep.append(cb2)
            o.auth_chooser = cb2
        stages = ("greeting", "mail", "rcpt", "data_init", "data_block",
                  "data_termination", "tls_handshake", "other")
        for stage in stages:
            seconds = timeout
            if timeouts and stage in timeouts:
                seconds = timeouts[stage]
            if seconds is not None:
                ms = int(seconds * 1000)
                setattr(o, f"timeout_{stage}_ms", ms if ms > 0 else 1)
        unknown = set(timeouts or ()) - set(stages)
        if unknown:
            raise ValueError(f"unknown timeout stages {sorted(unknown)}")
        self.struct = o
        self.tls = tls

    def _bytes(self, value: Optional[str]) -> Optional[bytes]:
        b = _native.encode(value)
        if b is not None:
            self._keep.append(b)
        return b


def _token_trampoline(provider: TokenProvider):
    def call(user_data, refresh, server_error, server_error_len, token,
             token_cap, token_len):
        try:
            err = _native.text(server_error, server_error_len)
            value = provider(bool(refresh), err).encode("utf-8")
            if len(value) > token_cap:
                return -1
            ctypes.memmove(token, value, len(value))
            token_len[0] = len(value)
            return 0
        except Exception:  # a raising provider means "no token"
            return -1
    return call


def _chooser_trampoline(chooser: AuthChooser, keep: list):
    def call(user_data, offered, num_offered, tls, channel_binding):
        try:
            names = [ctypes.string_at(offered[i]).decode("ascii", "replace")
                     for i in range(num_offered)]
            pick = chooser(names, bool(tls), bool(channel_binding))
            if pick is None:
                return None
            if pick in names:
                return offered[names.index(pick)]
            buf = ctypes.create_string_buffer(pick.encode("ascii"))
            keep.append(buf)
            return ctypes.addressof(buf)
        except Exception:
            return None
    return call


@dataclasses.dataclass(frozen=True)
class Event:
    """One thing that happened in a Session.

    Attributes:
        type: "greeting", "capabilities", "tls_upgrade_required",
            "tls_established", "authenticated", "auth_failed",
            "auth_retry", "ready", "recipient", "recipient_data",
            "transaction_complete", "delivery_done", "delivery_failed",
            "noop", "vrfy", "expn", "help", "etrn", "reply", "trace",
            "closed".
        code, enhanced_code, text: the reply, when the event has one.
        address: the recipient of "recipient"/"recipient_data".
        delivery_id: the delivery the event belongs to (0 if none).
        error: the typed failure of "auth_failed", "auth_retry",
            "delivery_failed" and an unclean "closed"; else None.
        recipients: the per-recipient results of "delivery_done" and
            "delivery_failed" (RecipientResult, with `not_sent` for those
            the server never refused); else ().
        accepted, delivered, rejected, deferred, unknown: the counts of
            "transaction_complete", "delivery_done", "delivery_failed"
            (rejected and deferred by status: not-sent recipients
            included).
        from_client: for "trace": a client line.
        request_id, outcome, entries: for "vrfy", "expn", "help", "etrn":
            the request, its outcome name ("cannot_verify", ...) and the
            entries (mailboxes or help lines).
        summary: the one-line form ("recipient <b@x> 250 2.1.5").
    """

    type: str
    code: int = 0
    enhanced_code: Optional[str] = None
    text: str = ""
    address: str = ""
    delivery_id: int = 0
    error: Optional[SmtpError] = None
    recipients: tuple = ()
    accepted: int = 0
    delivered: int = 0
    rejected: int = 0
    deferred: int = 0
    unknown: int = 0
    from_client: bool = False
    request_id: int = 0
    outcome: str = ""
    entries: tuple = ()
    summary: str = ""


class Session:
    """One SMTP client connection's protocol state, without I/O.

    Keyword arguments configure it (all optional): tls ("none",
    "opportunistic", "starttls", "implicit"), ehlo_domain, user, password,
    authzid, oauth_token, oauth_token_provider(refresh, server_error) ->
    token, auth_mechanisms (preference list), auth_chooser(offered, tls,
    channel_binding) -> name, allow_insecure_auth, pipelining, chunking,
    lmtp, idna, trace, reply_events, force_helo, reject_bare_line_endings,
    capability_ignore, capability_force, timeout (seconds for every
    stage), timeouts ({"greeting": s, "mail": s, ...}) and now (ns).

    Methods raise SmtpError subclasses (SmtpInvalidArgument for bad
    arguments) when the library refuses a call; the session's own
    failures arrive as events.
    """

    _SLICES = 64

    def __init__(self, *, now: Optional[int] = None, **options) -> None:
        self._lib = _native.lib()
        self._handle: Optional[ctypes.c_void_p] = None
        self._options = _Options(**options)
        handle = ctypes.c_void_p()
        rc = self._lib.smtpc_session_new(
            ctypes.byref(self._options.struct),
            now_ns() if now is None else now, ctypes.byref(handle))
        if rc != 0:
            raise SmtpInvalidArgument(
                f"invalid session options: {_native.strerror(rc)}",
                detail="invalid_argument", permanent=True)
        self._handle = handle
        self._iov = (_native.Iovec * self._SLICES)()
        self._event = _native.Event()

    def __del__(self) -> None:
        self.free()

    def free(self) -> None:
        """Releases the native session now (idempotent); the object must
        not be used afterwards. Garbage collection does the same."""
        handle = getattr(self, "_handle", None)
        if handle is not None and handle.value:
            self._lib.smtpc_session_free(handle)
        self._handle = None

    # --- errors of calls -------------------------------------------------

    def _check(self, rc: int) -> int:
        if rc >= 0:
            return rc
        detail = _native.detail_name(
            self._lib.smtpc_session_last_error_detail(self._handle))
        message = (self._lib.smtpc_session_last_error_message(self._handle)
                   or b"").decode("utf-8", "replace")
        from smtpcore.errors import error_class
        cls = error_class(rc, detail, "", 0, True)
        if rc == _native.ERR_WRONG_STATE:
            cls = SmtpError
        raise cls(message or _native.strerror(rc), detail=detail,
                  permanent=True)

    @staticmethod
    def _now(now: Optional[int]) -> int:
        return now_ns() if now is None else now

    # --- inputs ----------------------------------------------------------

    def receive(self, data: bytes, now: Optional[int] = None) -> None:
        """Feeds bytes read from the server. An input that ends the
        session does not raise: a "closed" event reports it."""
        data = bytes(data)
        rc = self._lib.smtpc_session_receive(self._handle, data, len(data),
                                             self._now(now))
        if rc == _native.ERR_NULL_POINTER:
            self._check(rc)

    def receive_eof(self, now: Optional[int] = None) -> None:
        """Reports that the server closed the connection."""
        self._lib.smtpc_session_receive_eof(self._handle, self._now(now))

    def handle_timeout(self, now: Optional[int] = None) -> None:
        """Fires the stage timer when `now` is at or past next_deadline()."""
        self._check(self._lib.smtpc_session_handle_timeout(self._handle,
                                                           self._now(now)))

    def tls_established(self, version: str = "", cipher: str = "",
                        server_name: str = "", verified: bool = False,
                        channel_binding_type: Optional[str] = None,
                        channel_binding: Optional[bytes] = None,
                        client_certificate: bool = False,
                        now: Optional[int] = None) -> None:
        """Reports a finished TLS handshake (after "tls_upgrade_required",
        or before the greeting with tls="implicit"). `channel_binding`
        ("tls-unique" bytes from ssl.SSLObject.get_channel_binding) enables
        the SCRAM -PLUS mechanisms."""
        info = _native.TlsSessionInfo()
        _native.init(info, "smtpc_tls_session_info_init")
        keep = [_native.encode(version), _native.encode(cipher),
                _native.encode(server_name)]
        info.version, info.cipher, info.server_name = keep
        info.verified = int(verified)
        info.client_certificate = int(client_certificate)
        if channel_binding_type and channel_binding:
            info.channel_binding_type = channel_binding_type.encode()
            info.channel_binding = bytes(channel_binding)
            info.channel_binding_len = len(channel_binding)
        self._check(self._lib.smtpc_session_tls_established2(
            self._handle, ctypes.byref(info), self._now(now)))

    def tls_failed(self, message: str = "", verification: bool = False,
                   now: Optional[int] = None) -> None:
        """Reports a failed TLS handshake; `verification` when the
        server's certificate did not verify. The session fails."""
        error = (_native.ERR_UNAUTHENTICATED if verification
                 else _native.ERR_PROTOCOL)
        self._check(self._lib.smtpc_session_tls_failed(
            self._handle, error, _native.encode(message), self._now(now)))

    def abort(self, message: str = "", now: Optional[int] = None) -> None:
        """Ends the session at once without QUIT (an I/O error, or the
        caller gives up); queued deliveries fail, their recipients
        deferred."""
        self._check(self._lib.smtpc_session_abort(
            self._handle, _native.encode(message), self._now(now)))

    # --- operations ------------------------------------------------------

    def deliver(self, mail_from: str, rcpt_to: Sequence[str],
                message: Union[bytes, str], *,
                notify: Optional[Sequence[str]] = None,
                orcpt: Optional[Sequence[Optional[str]]] = None,
                size: Optional[int] = None, body: Optional[str] = None,
                smtputf8: bool = False, requiretls: bool = False,
                dsn_ret: Optional[str] = None, envid: Optional[str] = None,
                now: Optional[int] = None) -> int:
        """Queues one message and returns its delivery id (>= 1).

        The message (RFC 5322 bytes; str is UTF-8 encoded) and the
        addresses are copied. `notify` is DSN NOTIFY for every recipient
        ("success", "failure", "delay" or ["never"]), `orcpt` one original
        recipient per recipient, `body` "7bit", "8bitmime" or
        "binarymime", `dsn_ret` "full" or "hdrs". The outcome arrives as
        "recipient" events and one "delivery_done" or "delivery_failed".

        Raises:
            SmtpInvalidArgument: no recipients, a CR/LF or bad syntax in an
                address, a bad parameter.
            SmtpError: the session is closed or failed.
        """
        env, keep = build_envelope(mail_from, rcpt_to, notify=notify,
                                   orcpt=orcpt, size=size, body=body,
                                   smtputf8=smtputf8, requiretls=requiretls,
                                   dsn_ret=dsn_ret, envid=envid)
        data = message.encode("utf-8") if isinstance(message, str) else bytes(
            message)
        out = ctypes.c_uint64(0)
        self._check(self._lib.smtpc_session_deliver2(
            self._handle, ctypes.byref(env), data, len(data), self._now(now),
            ctypes.byref(out)))
        del keep
        return out.value

    def noop(self, now: Optional[int] = None) -> None:
        """Queues a NOOP; its reply is a "noop" event."""
        self._check(self._lib.smtpc_session_noop(self._handle,
                                                 self._now(now)))

    def _request(self, fn: str, argument: Optional[str],
                 now: Optional[int]) -> int:
        out = ctypes.c_uint64(0)
        self._check(getattr(self._lib, fn)(
            self._handle, _native.encode(argument), self._now(now),
            ctypes.byref(out)))
        return out.value

    def vrfy(self, argument: str, now: Optional[int] = None) -> int:
        """Queues VRFY; returns the request id of its "vrfy" event."""
        return self._request("smtpc_session_vrfy", argument, now)

    def expn(self, argument: str, now: Optional[int] = None) -> int:
        """Queues EXPN; returns the request id of its "expn" event."""
        return self._request("smtpc_session_expn", argument, now)

    def help(self, topic: str = "", now: Optional[int] = None) -> int:
        """Queues HELP; returns the request id of its "help" event."""
        return self._request("smtpc_session_help", topic, now)

    def etrn(self, node: str, now: Optional[int] = None) -> int:
        """Queues ETRN; returns the request id of its "etrn" event."""
        return self._request("smtpc_session_etrn", node, now)

    def close(self, now: Optional[int] = None) -> None:
        """Asks for QUIT once the queued deliveries are done; the session
        then ends with a "closed" event (error None)."""
        self._check(self._lib.smtpc_session_close(self._handle,
                                                  self._now(now)))

    # --- outputs ---------------------------------------------------------

    def data_to_send(self) -> bytes:
        """Returns the bytes waiting to be sent (a copy) without consuming
        them; b"" when there are none. Report what was written with
        bytes_sent()."""
        n = self._check(self._lib.smtpc_session_poll_transmit(
            self._handle, self._iov, self._SLICES))
        return b"".join(ctypes.string_at(self._iov[i].base, self._iov[i].len)
                        for i in range(n))

    def bytes_sent(self, n: int, now: Optional[int] = None) -> None:
        """Records that the first `n` bytes of data_to_send() were
        written."""
        self._check(self._lib.smtpc_session_consume_transmit(
            self._handle, n, self._now(now)))

    def take_transmit(self, now: Optional[int] = None) -> bytes:
        """Returns everything to send and consumes it (for a writer that
        always writes everything, e.g. socket.sendall)."""
        out = []
        while True:
            chunk = self.data_to_send()
            if not chunk:
                return b"".join(out)
            out.append(chunk)
            self.bytes_sent(len(chunk), now)

    def next_deadline(self) -> Optional[int]:
        """Returns when handle_timeout() must be called (ns), or None."""
        out = ctypes.c_int64(0)
        if self._check(self._lib.smtpc_session_next_deadline(
                self._handle, ctypes.byref(out))) == 1:
            return out.value
        return None

    @property
    def state(self) -> str:
        """"greeting", "hello", "starttls", "auth", "ready",
        "transaction", "quitting", "closed" or "failed"."""
        return self._lib.smtpc_session_state(self._handle).decode()

    def has_capability(self, keyword: str) -> bool:
        """True when the server's EHLO reply lists `keyword`."""
        return self._check(self._lib.smtpc_session_has_capability(
            self._handle, keyword.encode("ascii"))) == 1

    def poll_event(self) -> Optional[Event]:
        """Returns the next Event, or None when there is none."""
        e = self._event
        if self._check(self._lib.smtpc_session_poll_event(
                self._handle, ctypes.byref(e))) == 0:
            return None
        kind = _native.EVENT_NAMES.get(e.type, str(e.type))
        enhanced = (f"{e.enhanced_class}.{e.enhanced_subject}."
                    f"{e.enhanced_detail}" if e.enhanced_class else None)
        error = None
        info = new_error_info()
        recipients: tuple = ()
        n = self._lib.smtpc_session_event_num_recipients(self._handle)
        if n > 0:
            out = []
            r = new_recipient_result()
            for i in range(n):
                if self._lib.smtpc_session_event_recipient(
                        self._handle, i, ctypes.byref(r)) == 1:
                    out.append(recipient_from(r))
            recipients = tuple(out)
        if self._lib.smtpc_session_event_error(self._handle,
                                               ctypes.byref(info)) == 1:
            from smtpcore.errors import SendResult
            error = from_error_info(
                info, SendResult(recipients) if recipients else None)
        request_id, outcome, entries = 0, "", ()
        if kind in ("vrfy", "expn", "help", "etrn"):
            request_id, outcome, entries = self._request_result()
        return Event(
            type=kind, code=e.code, enhanced_code=enhanced,
            text=_native.text(e.text, e.text_len),
            address=_native.text(e.address, e.address_len),
            delivery_id=e.delivery_id, error=error, recipients=recipients,
            accepted=e.accepted, delivered=e.delivered, rejected=e.rejected,
            deferred=e.deferred, unknown=e.unknown,
            from_client=bool(e.from_client),
            request_id=request_id, outcome=outcome, entries=entries,
            summary=_native.text(e.summary, e.summary_len))

    def _request_result(self) -> tuple:
        rr = _native.RequestResult()
        rr.struct_size = ctypes.sizeof(rr)
        if self._lib.smtpc_session_request_result(self._handle,
                                                  ctypes.byref(rr)) != 1:
            return 0, "", ()
        entries = []
        entry = _native.Entry()
        entry.struct_size = ctypes.sizeof(entry)
        for i in range(rr.num_entries):
            if self._lib.smtpc_session_request_entry(
                    self._handle, i, ctypes.byref(entry)) == 1:
                mailbox = _native.text(entry.mailbox, entry.mailbox_len)
                entries.append(mailbox or _native.text(entry.text,
                                                       entry.text_len))
        return (rr.request_id,
                _native.text(rr.outcome_name, rr.outcome_name_len),
                tuple(entries))

    def events(self) -> Iterator[Event]:
        """Yields every pending event."""
        while True:
            event = self.poll_event()
            if event is None:
                return
            yield event


def build_envelope(mail_from: str, rcpt_to: Sequence[str], *,
                   notify: Optional[Sequence[str]] = None,
                   orcpt: Optional[Sequence[Optional[str]]] = None,
                   size: Optional[int] = None, body: Optional[str] = None,
                   smtputf8: bool = False, requiretls: bool = False,
                   dsn_ret: Optional[str] = None,
                   envid: Optional[str] = None) -> tuple:
    """Returns (smtpc_envelope, objects to keep alive while it is used)."""
    if isinstance(rcpt_to, str):
        rcpt_to = [rcpt_to]
    rcpts = [r.encode("utf-8") for r in rcpt_to]
    if not rcpts:
        raise SmtpInvalidArgument("no recipients", detail="invalid_argument",
                                  permanent=True)
    env = _native.Envelope()
    _native.init(env, "smtpc_envelope_init")
    keep: list = [rcpts]
    sender = mail_from.encode("utf-8")
    keep.append(sender)
    env.from_ = sender
    arr = (ctypes.c_char_p * len(rcpts))(*rcpts)
    keep.append(arr)
    env.rcpts = arr
    env.num_rcpts = len(rcpts)
    if notify:
        try:
            bits = 0
            for flag in notify:
                bits |= NOTIFY_BITS[flag.lower()]
        except KeyError as e:
            raise SmtpInvalidArgument(f"unknown NOTIFY value {e}",
                                      detail="invalid_argument",
                                      permanent=True) from None
        notify_arr = (ctypes.c_uint * len(rcpts))(*([bits] * len(rcpts)))
        keep.append(notify_arr)
        env.rcpt_notify = notify_arr
    if orcpt:
        if len(orcpt) != len(rcpts):
            raise SmtpInvalidArgument("orcpt needs one entry per recipient",
                                      detail="invalid_argument",
                                      permanent=True)
        orcpt_b = [None if o is None else o.encode("ascii") for o in orcpt]
        orcpt_arr = (ctypes.c_char_p * len(rcpts))(*orcpt_b)
        keep.append(orcpt_arr)
        env.rcpt_orcpt = orcpt_arr
    try:
        env.body = BODY_TYPES[body.lower() if body else None]
        env.dsn_ret = DSN_RET[dsn_ret.lower() if dsn_ret else None]
    except KeyError as e:
        raise SmtpInvalidArgument(f"unknown value {e}",
                                  detail="invalid_argument",
                                  permanent=True) from None
    env.size = size or 0
    env.smtputf8 = int(smtputf8)
    env.requiretls = int(requiretls)
    if envid is not None:
        envid_b = envid.encode("ascii")
        keep.append(envid_b)
        env.envid = envid_b
    return env, keep
