"""smtpcore: a small ctypes wrapper over libsmtpc.so (bindings/c/smtpc.h).

The library is sans-I/O: you feed server bytes and the current time, and
it tells you what to send and what happened. Time is an integer number of
nanoseconds on any monotonic timeline you choose (e.g. time.monotonic_ns()).

    lib = smtpcore.load("path/to/libsmtpc.so")
    s = smtpcore.Session(lib, ehlo_domain="client.example",
                         tls_mode=smtpcore.TLS_NONE)
    s.deliver("a@example.org", ["b@example.org"], b"Subject: hi\\r\\n\\r\\nhi\\r\\n")
    s.close()
    while ...:
        sock.sendall(s.take_transmit())       # poll_transmit + consume
        s.receive(sock.recv(4096))
        for event in s.events(): ...

Errors of calls raise `SmtpcError` (attributes `code`, `detail`,
`detail_name`, `message`). Bodies and addresses are copied by the library,
so Python objects need not be kept alive. Not thread-safe (one Session per
thread at a time).
"""

import collections
import ctypes

TLS_NONE = 0
TLS_OPPORTUNISTIC = 1
TLS_REQUIRED = 2
TLS_IMPLICIT = 3

EVENT_TYPES = {
    1: "greeting",
    2: "reply",
    3: "capabilities",
    4: "tls_upgrade_required",
    5: "tls_established",
    6: "authenticated",
    7: "auth_failed",
    8: "ready",
    9: "recipient",
    10: "transaction_complete",
    11: "delivery_done",
    12: "delivery_failed",
    13: "closed",
    14: "trace",
}

# Event is what Session.poll_event returns: `type` is a name from
# EVENT_TYPES; strings are decoded (UTF-8, invalid bytes replaced); the
# enhanced code is a (class, subject, detail) tuple or None; `error` is 0
# or a negative smtpc error code, `error_detail` its detail name.
Event = collections.namedtuple(
    "Event",
    [
        "type", "code", "enhanced", "text", "address", "delivery_id",
        "error", "error_detail", "permanent", "from_client", "accepted",
        "delivered", "rejected", "deferred", "unknown", "message", "summary",
    ],
)


class _Options(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_size_t),
        ("ehlo_domain", ctypes.c_char_p),
        ("tls_mode", ctypes.c_int),
        ("pipelining", ctypes.c_int),
        ("chunking", ctypes.c_int),
        ("trace", ctypes.c_int),
        ("reply_events", ctypes.c_int),
    ]


class _TlsInfo(ctypes.Structure):
    _fields_ = [
        ("version", ctypes.c_char_p),
        ("cipher", ctypes.c_char_p),
        ("server_name", ctypes.c_char_p),
        ("verified", ctypes.c_int),
    ]


class _Iovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]


class _Event(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("code", ctypes.c_int),
        ("enhanced_class", ctypes.c_int),
        ("enhanced_subject", ctypes.c_int),
        ("enhanced_detail", ctypes.c_int),
        ("text", ctypes.c_void_p),
        ("text_len", ctypes.c_size_t),
        ("address", ctypes.c_void_p),
        ("address_len", ctypes.c_size_t),
        ("delivery_id", ctypes.c_uint64),
        ("error", ctypes.c_int),
        ("error_detail", ctypes.c_int),
        ("permanent", ctypes.c_int),
        ("from_client", ctypes.c_int),
        ("accepted", ctypes.c_uint32),
        ("delivered", ctypes.c_uint32),
        ("rejected", ctypes.c_uint32),
        ("deferred", ctypes.c_uint32),
        ("unknown", ctypes.c_uint32),
        ("message", ctypes.c_void_p),
        ("message_len", ctypes.c_size_t),
        ("summary", ctypes.c_void_p),
        ("summary_len", ctypes.c_size_t),
    ]


class SmtpcError(Exception):
    """SmtpcError is a failed library call: `code` (negative smtpc_error),
    `detail` (core ErrorDetail number), `detail_name` and `message`."""

    def __init__(self, lib, code, detail=0, message=""):
        self.code = code
        self.detail = detail
        self.detail_name = lib.smtpc_error_detail_name(detail).decode()
        self.message = message
        super().__init__("%s (%d, %s): %s" % (
            lib.smtpc_strerror(code).decode(), code, self.detail_name,
            message))


def load(path):
    """load opens libsmtpc.so at `path` and declares the C signatures.
    Raises OSError if it cannot be loaded."""
    lib = ctypes.CDLL(path)
    P = ctypes.c_void_p
    i64 = ctypes.c_int64
    sz = ctypes.c_size_t
    sigs = {
        "smtpc_strerror": (ctypes.c_char_p, [ctypes.c_int]),
        "smtpc_error_detail_name": (ctypes.c_char_p, [ctypes.c_int]),
        "smtpc_session_options_default": (None, [ctypes.POINTER(_Options)]),
        "smtpc_session_new": (ctypes.c_int, [ctypes.POINTER(_Options), i64,
                                             ctypes.POINTER(P)]),
        "smtpc_session_free": (None, [P]),
        "smtpc_session_receive": (ctypes.c_int, [P, ctypes.c_char_p, sz, i64]),
        "smtpc_session_receive_eof": (ctypes.c_int, [P, i64]),
        "smtpc_session_handle_timeout": (ctypes.c_int, [P, i64]),
        "smtpc_session_tls_established": (
            ctypes.c_int, [P, ctypes.POINTER(_TlsInfo), i64]),
        "smtpc_session_deliver": (
            ctypes.c_int, [P, ctypes.c_char_p, ctypes.POINTER(ctypes.c_char_p),
                           sz, ctypes.c_char_p, sz, i64,
                           ctypes.POINTER(ctypes.c_uint64)]),
        "smtpc_session_close": (ctypes.c_int, [P, i64]),
        "smtpc_session_poll_transmit": (
            ctypes.c_int, [P, ctypes.POINTER(_Iovec), sz]),
        "smtpc_session_consume_transmit": (ctypes.c_int, [P, sz, i64]),
        "smtpc_session_next_deadline": (
            ctypes.c_int, [P, ctypes.POINTER(ctypes.c_int64)]),
        "smtpc_session_poll_event": (
            ctypes.c_int, [P, ctypes.POINTER(_Event)]),
        "smtpc_session_last_error_detail": (ctypes.c_int, [P]),
        "smtpc_session_last_error_message": (ctypes.c_char_p, [P]),
    }
    for name, (restype, argtypes) in sigs.items():
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes
    return lib


def _str(ptr, n):
    if not ptr or n == 0:
        return ""
    return ctypes.string_at(ptr, n).decode("utf-8", "replace")


def _bytes(value):
    if isinstance(value, str):
        return value.encode("utf-8")
    return bytes(value)


class Session:
    """Session wraps one smtpc_session (owned; freed by close_handle() or
    when garbage-collected). Every method taking `now` uses nanoseconds;
    None means 0."""

    _MAX_SLICES = 16

    def __init__(self, lib, ehlo_domain=None, tls_mode=TLS_OPPORTUNISTIC,
                 pipelining=True, chunking=True, trace=False,
                 reply_events=False, now=0):
        self._lib = lib
        self._handle = None
        opts = _Options()
        lib.smtpc_session_options_default(ctypes.byref(opts))
        if ehlo_domain is not None:
            opts.ehlo_domain = _bytes(ehlo_domain)
        opts.tls_mode = tls_mode
        opts.pipelining = int(bool(pipelining))
        opts.chunking = int(bool(chunking))
        opts.trace = int(bool(trace))
        opts.reply_events = int(bool(reply_events))
        handle = ctypes.c_void_p()
        rc = lib.smtpc_session_new(ctypes.byref(opts), now or 0,
                                   ctypes.byref(handle))
        if rc != 0:
            raise SmtpcError(lib, rc)
        self._handle = handle
        self._iov = (_Iovec * self._MAX_SLICES)()
        self._event = _Event()

    def __del__(self):
        self.close_handle()

    def close_handle(self):
        """close_handle frees the C session (idempotent). The Session must
        not be used afterwards."""
        if self._handle is not None and self._handle.value:
            self._lib.smtpc_session_free(self._handle)
        self._handle = None

    def _check(self, rc):
        if rc < 0:
            raise SmtpcError(
                self._lib, rc,
                self._lib.smtpc_session_last_error_detail(self._handle),
                (self._lib.smtpc_session_last_error_message(self._handle) or
                 b"").decode("utf-8", "replace"))
        return rc

    def receive(self, data, now=0):
        """receive feeds server bytes. Raises SmtpcError if they ended the
        session (a "closed" event follows) or the session is over."""
        data = _bytes(data)
        self._check(self._lib.smtpc_session_receive(
            self._handle, data, len(data), now or 0))

    def receive_eof(self, now=0):
        """receive_eof reports the server's EOF (raises unless after QUIT)."""
        self._check(self._lib.smtpc_session_receive_eof(self._handle,
                                                        now or 0))

    def handle_timeout(self, now):
        """handle_timeout fires the stage timer if `now` is past it."""
        self._check(self._lib.smtpc_session_handle_timeout(self._handle, now))

    def tls_established(self, version="", cipher="", server_name="",
                        verified=False, now=0):
        """tls_established reports a finished TLS handshake."""
        info = _TlsInfo(_bytes(version), _bytes(cipher), _bytes(server_name),
                        int(bool(verified)))
        self._check(self._lib.smtpc_session_tls_established(
            self._handle, ctypes.byref(info), now or 0))

    def deliver(self, mail_from, rcpts, body, now=0):
        """deliver queues a message and returns its delivery id. `body` is
        bytes (or str, UTF-8 encoded); it is copied by the library."""
        rcpts = [_bytes(r) for r in rcpts]
        arr = (ctypes.c_char_p * max(len(rcpts), 1))(*rcpts)
        body = _bytes(body)
        out = ctypes.c_uint64(0)
        self._check(self._lib.smtpc_session_deliver(
            self._handle, _bytes(mail_from), arr, len(rcpts), body, len(body),
            now or 0, ctypes.byref(out)))
        return out.value

    def close(self, now=0):
        """close asks for QUIT after the queued deliveries."""
        self._check(self._lib.smtpc_session_close(self._handle, now or 0))

    def poll_transmit(self):
        """poll_transmit returns the bytes waiting to be sent (a copy of up
        to 16 slices; b"" when nothing). It does not consume them."""
        n = self._check(self._lib.smtpc_session_poll_transmit(
            self._handle, self._iov, self._MAX_SLICES))
        return b"".join(ctypes.string_at(self._iov[i].base, self._iov[i].len)
                        for i in range(n))

    def consume_transmit(self, n, now=0):
        """consume_transmit records that `n` bytes were written."""
        self._check(self._lib.smtpc_session_consume_transmit(
            self._handle, n, now or 0))

    def take_transmit(self, now=0):
        """take_transmit returns everything to send and consumes it (for a
        writer that always writes everything)."""
        out = []
        while True:
            chunk = self.poll_transmit()
            if not chunk:
                return b"".join(out)
            out.append(chunk)
            self.consume_transmit(len(chunk), now)

    def next_deadline(self):
        """next_deadline returns the timer deadline (ns) or None."""
        out = ctypes.c_int64(0)
        if self._check(self._lib.smtpc_session_next_deadline(
                self._handle, ctypes.byref(out))) == 1:
            return out.value
        return None

    def poll_event(self):
        """poll_event returns the next Event, or None."""
        e = self._event
        if self._check(self._lib.smtpc_session_poll_event(
                self._handle, ctypes.byref(e))) == 0:
            return None
        enhanced = None
        if e.enhanced_class:
            enhanced = (e.enhanced_class, e.enhanced_subject,
                        e.enhanced_detail)
        return Event(
            type=EVENT_TYPES.get(e.type, str(e.type)),
            code=e.code,
            enhanced=enhanced,
            text=_str(e.text, e.text_len),
            address=_str(e.address, e.address_len),
            delivery_id=e.delivery_id,
            error=e.error,
            error_detail=self._lib.smtpc_error_detail_name(
                e.error_detail).decode(),
            permanent=bool(e.permanent),
            from_client=bool(e.from_client),
            accepted=e.accepted,
            delivered=e.delivered,
            rejected=e.rejected,
            deferred=e.deferred,
            unknown=e.unknown,
            message=_str(e.message, e.message_len),
            summary=_str(e.summary, e.summary_len),
        )

    def events(self):
        """events returns the list of all pending events."""
        out = []
        while True:
            e = self.poll_event()
            if e is None:
                return out
            out.append(e)
