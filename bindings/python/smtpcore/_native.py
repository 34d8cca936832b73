"""The ctypes layer over libsmtpc.so (bindings/c/smtpc.h). Private.

Every struct here mirrors the C header's current layout; versioned structs
are initialised by the library's ``*_init(ptr, sizeof)`` functions, so the
library never writes past what Python allocated.

Where the library comes from, first match wins:

1. ``SMTPC_LIB``: an explicit path (tests, unusual installs).
2. ``libsmtpc.so.1`` bundled inside this package (``pip install``).
3. The Bazel build tree this package sits in:
   ``<repo>/bazel-bin/bindings/c/libsmtpc.so`` after
   ``bazel build //bindings/c:libsmtpc.so``.
4. The system loader: ``libsmtpc.so.1`` (``./dev install /usr/local``).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading
from pathlib import Path
from typing import Optional

c_int = ctypes.c_int
c_size_t = ctypes.c_size_t
c_int64 = ctypes.c_int64
c_uint64 = ctypes.c_uint64
c_char_p = ctypes.c_char_p
c_void_p = ctypes.c_void_p

# Error codes (smtpc_error).
OK = 0
ERR_INVALID_ARGUMENT = -1
ERR_NULL_POINTER = -2
ERR_WRONG_STATE = -3
ERR_RESOURCE_EXHAUSTED = -4
ERR_PROTOCOL = -5
ERR_UNAVAILABLE = -6
ERR_TIMEOUT = -7
ERR_PERMISSION_DENIED = -8
ERR_UNAUTHENTICATED = -9
ERR_NOMEM = -10
ERR_VERSION = -11
ERR_INTERNAL = -12

TLS_NONE = 0
TLS_OPPORTUNISTIC = 1
TLS_REQUIRED = 2
TLS_IMPLICIT = 3

EVENT_NAMES = {
    1: "greeting", 2: "reply", 3: "capabilities", 4: "tls_upgrade_required",
    5: "tls_established", 6: "authenticated", 7: "auth_failed", 8: "ready",
    9: "recipient", 10: "transaction_complete", 11: "delivery_done",
    12: "delivery_failed", 13: "closed", 14: "trace", 15: "recipient_data",
    16: "auth_retry", 17: "vrfy", 18: "expn", 19: "help", 20: "etrn",
    21: "noop",
}

RCPT_STATUS_NAMES = {0: "pending", 1: "delivered", 2: "rejected",
                     3: "deferred", 4: "unknown"}

TOKEN_PROVIDER = ctypes.CFUNCTYPE(
    c_int, c_void_p, c_int, c_void_p, c_size_t, c_void_p, c_size_t,
    ctypes.POINTER(c_size_t))
AUTH_CHOOSER = ctypes.CFUNCTYPE(
    c_void_p, c_void_p, ctypes.POINTER(c_void_p), c_size_t, c_int, c_int)


class SessionOptions(ctypes.Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("ehlo_domain", c_char_p),
        ("tls_mode", c_int),
        ("pipelining", c_int),
        ("chunking", c_int),
        ("trace", c_int),
        ("reply_events", c_int),
        # Version 2.
        ("lmtp", c_int),
        ("idna", c_int),
        ("auth_user", c_char_p),
        ("oauth_token_provider", TOKEN_PROVIDER),
        ("oauth_user_data", c_void_p),
        # Version 3.
        ("auth_password", c_char_p),
        ("auth_authzid", c_char_p),
        ("oauth_token", c_char_p),
        ("auth_mechanisms", c_char_p),
        ("auth_chooser", AUTH_CHOOSER),
        ("auth_chooser_user_data", c_void_p),
        ("allow_insecure_auth", c_int),
        ("capability_ignore", c_char_p),
        ("capability_force", c_char_p),
        ("timeout_greeting_ms", c_int64),
        ("timeout_mail_ms", c_int64),
        ("timeout_rcpt_ms", c_int64),
        ("timeout_data_init_ms", c_int64),
        ("timeout_data_block_ms", c_int64),
        ("timeout_data_termination_ms", c_int64),
        ("timeout_tls_handshake_ms", c_int64),
        ("timeout_other_ms", c_int64),
        ("reject_bare_line_endings", c_int),
        ("force_helo", c_int),
    ]


class TlsSessionInfo(ctypes.Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("version", c_char_p),
        ("cipher", c_char_p),
        ("server_name", c_char_p),
        ("verified", c_int),
        ("client_certificate", c_int),
        ("channel_binding_type", c_char_p),
        ("channel_binding", c_char_p),
        ("channel_binding_len", c_size_t),
    ]


class Envelope(ctypes.Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("from_", c_char_p),
        ("rcpts", ctypes.POINTER(c_char_p)),
        ("num_rcpts", c_size_t),
        ("rcpt_notify", ctypes.POINTER(ctypes.c_uint)),
        ("rcpt_orcpt", ctypes.POINTER(c_char_p)),
        ("size", c_uint64),
        ("body", c_int),
        ("smtputf8", c_int),
        ("requiretls", c_int),
        ("dsn_ret", c_int),
        ("envid", c_char_p),
    ]


class RecipientResult(ctypes.Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("address", c_void_p),
        ("address_len", c_size_t),
        ("status", c_int),
        ("code", c_int),
        ("enhanced_class", c_int),
        ("enhanced_subject", c_int),
        ("enhanced_detail", c_int),
        ("text", c_void_p),
        ("text_len", c_size_t),
        ("rcpt_code", c_int),
        ("data_code", c_int),
        # Version 2 (library 1.2): recipients the server never refused.
        ("not_sent", c_int),
        ("outcome", c_void_p),
        ("outcome_len", c_size_t),
    ]


class ErrorInfo(ctypes.Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("error", c_int),
        ("detail", c_int),
        ("permanent", c_int),
        ("code", c_int),
        ("enhanced_class", c_int),
        ("enhanced_subject", c_int),
        ("enhanced_detail", c_int),
        ("command", c_void_p),
        ("command_len", c_size_t),
        ("text", c_void_p),
        ("text_len", c_size_t),
        ("message", c_void_p),
        ("message_len", c_size_t),
    ]


class SendOptions(ctypes.Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("host", c_char_p),
        ("port", c_int),
        ("session", ctypes.POINTER(SessionOptions)),
        ("ca_file", c_char_p),
        ("client_cert_file", c_char_p),
        ("client_key_file", c_char_p),
        ("insecure", c_int),
        ("tls_server_name", c_char_p),
        ("connect_timeout_ms", c_int64),
        # Version 2: Unix-domain socket, source address, proxy URL.
        ("unix_socket", c_char_p),
        ("local_address", c_char_p),
        ("proxy_url", c_char_p),
    ]


class Iovec(ctypes.Structure):
    _fields_ = [("base", c_void_p), ("len", c_size_t)]


class Event(ctypes.Structure):
    _fields_ = [
        ("type", c_int),
        ("code", c_int),
        ("enhanced_class", c_int),
        ("enhanced_subject", c_int),
        ("enhanced_detail", c_int),
        ("text", c_void_p),
        ("text_len", c_size_t),
        ("address", c_void_p),
        ("address_len", c_size_t),
        ("delivery_id", c_uint64),
        ("error", c_int),
        ("error_detail", c_int),
        ("permanent", c_int),
        ("from_client", c_int),
        ("accepted", ctypes.c_uint32),
        ("delivered", ctypes.c_uint32),
        ("rejected", ctypes.c_uint32),
        ("deferred", ctypes.c_uint32),
        ("unknown", ctypes.c_uint32),
        ("message", c_void_p),
        ("message_len", c_size_t),
        ("summary", c_void_p),
        ("summary_len", c_size_t),
    ]


class RequestResult(ctypes.Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("request_id", c_uint64),
        ("outcome", c_int),
        ("outcome_name", c_void_p),
        ("outcome_name_len", c_size_t),
        ("pending_messages", c_int64),
        ("num_entries", c_size_t),
    ]


class Entry(ctypes.Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("text", c_void_p),
        ("text_len", c_size_t),
        ("name", c_void_p),
        ("name_len", c_size_t),
        ("mailbox", c_void_p),
        ("mailbox_len", c_size_t),
    ]


P = c_void_p
_SIGNATURES = {
    "smtpc_version": (c_char_p, [ctypes.POINTER(c_int)] * 3),
    "smtpc_strerror": (c_char_p, [c_int]),
    "smtpc_error_detail_name": (c_char_p, [c_int]),
    "smtpc_session_options_init": (c_int, [ctypes.POINTER(SessionOptions),
                                           c_size_t]),
    "smtpc_session_new": (c_int, [ctypes.POINTER(SessionOptions), c_int64,
                                  ctypes.POINTER(P)]),
    "smtpc_session_free": (None, [P]),
    "smtpc_session_receive": (c_int, [P, c_char_p, c_size_t, c_int64]),
    "smtpc_session_receive_eof": (c_int, [P, c_int64]),
    "smtpc_session_handle_timeout": (c_int, [P, c_int64]),
    "smtpc_tls_session_info_init": (c_int, [ctypes.POINTER(TlsSessionInfo),
                                            c_size_t]),
    "smtpc_session_tls_established2": (
        c_int, [P, ctypes.POINTER(TlsSessionInfo), c_int64]),
    "smtpc_session_tls_failed": (c_int, [P, c_int, c_char_p, c_int64]),
    "smtpc_session_abort": (c_int, [P, c_char_p, c_int64]),
    "smtpc_session_noop": (c_int, [P, c_int64]),
    "smtpc_session_state": (c_char_p, [P]),
    "smtpc_session_has_capability": (c_int, [P, c_char_p]),
    "smtpc_envelope_init": (c_int, [ctypes.POINTER(Envelope), c_size_t]),
    "smtpc_session_deliver2": (
        c_int, [P, ctypes.POINTER(Envelope), c_char_p, c_size_t, c_int64,
                ctypes.POINTER(c_uint64)]),
    "smtpc_session_close": (c_int, [P, c_int64]),
    "smtpc_session_poll_transmit": (c_int, [P, ctypes.POINTER(Iovec),
                                            c_size_t]),
    "smtpc_session_consume_transmit": (c_int, [P, c_size_t, c_int64]),
    "smtpc_session_next_deadline": (c_int, [P, ctypes.POINTER(c_int64)]),
    "smtpc_session_poll_event": (c_int, [P, ctypes.POINTER(Event)]),
    "smtpc_session_last_error_detail": (c_int, [P]),
    "smtpc_session_last_error_message": (c_char_p, [P]),
    "smtpc_session_vrfy": (c_int, [P, c_char_p, c_int64,
                                   ctypes.POINTER(c_uint64)]),
    "smtpc_session_expn": (c_int, [P, c_char_p, c_int64,
                                   ctypes.POINTER(c_uint64)]),
    "smtpc_session_help": (c_int, [P, c_char_p, c_int64,
                                   ctypes.POINTER(c_uint64)]),
    "smtpc_session_etrn": (c_int, [P, c_char_p, c_int64,
                                   ctypes.POINTER(c_uint64)]),
    "smtpc_session_request_result": (c_int, [P,
                                             ctypes.POINTER(RequestResult)]),
    "smtpc_session_request_entry": (c_int, [P, c_size_t,
                                            ctypes.POINTER(Entry)]),
    "smtpc_recipient_result_init": (c_int, [ctypes.POINTER(RecipientResult),
                                            c_size_t]),
    "smtpc_error_info_init": (c_int, [ctypes.POINTER(ErrorInfo), c_size_t]),
    "smtpc_session_event_num_recipients": (c_int, [P]),
    "smtpc_session_event_recipient": (
        c_int, [P, c_size_t, ctypes.POINTER(RecipientResult)]),
    "smtpc_session_event_error": (c_int, [P, ctypes.POINTER(ErrorInfo)]),
    "smtpc_send_options_init": (c_int, [ctypes.POINTER(SendOptions),
                                        c_size_t]),
    "smtpc_send": (c_int, [ctypes.POINTER(SendOptions),
                           ctypes.POINTER(Envelope), c_char_p, c_size_t,
                           ctypes.POINTER(P)]),
    "smtpc_send_result_free": (None, [P]),
    "smtpc_send_result_num_recipients": (c_int, [P]),
    "smtpc_send_result_recipient": (
        c_int, [P, c_size_t, ctypes.POINTER(RecipientResult)]),
    "smtpc_send_result_error": (c_int, [P, ctypes.POINTER(ErrorInfo)]),
    "smtpc_send_result_tls_version": (c_char_p, [P]),
    "smtpc_send_result_auth_mechanism": (c_char_p, [P]),
}

_lock = threading.Lock()
_lib: Optional[ctypes.CDLL] = None
_lib_path: Optional[str] = None


def _candidates() -> list[str]:
    out = []
    env = os.environ.get("SMTPC_LIB")
    if env:
        return [env]
    here = Path(__file__).resolve().parent
    for name in ("libsmtpc.so.1", "libsmtpc.so"):
        if (here / name).exists():
            out.append(str(here / name))
    for parent in here.parents:
        built = parent / "bazel-bin" / "bindings" / "c" / "libsmtpc.so"
        if built.exists():
            out.append(str(built))
            break
    found = ctypes.util.find_library("smtpc")
    out.append(found or "libsmtpc.so.1")
    return out


def lib() -> ctypes.CDLL:
    """Returns the loaded library, loading it on first use.

    Raises:
        OSError: no libsmtpc.so could be loaded (the message lists where
            it was looked for).
    """
    global _lib, _lib_path
    with _lock:
        if _lib is not None:
            return _lib
        errors = []
        for path in _candidates():
            try:
                loaded = ctypes.CDLL(path)
            except OSError as e:
                errors.append(f"{path}: {e}")
                continue
            for name, (restype, argtypes) in _SIGNATURES.items():
                fn = getattr(loaded, name)
                fn.restype = restype
                fn.argtypes = argtypes
            _lib, _lib_path = loaded, path
            return loaded
        raise OSError(
            "smtpcore: cannot load libsmtpc.so; build it with `bazel build "
            "//bindings/c:libsmtpc.so`, install it (`./dev install PREFIX`) "
            "or set SMTPC_LIB. Tried: " + "; ".join(errors))


def library_path() -> str:
    """Returns the path the library was loaded from (loading it)."""
    lib()
    assert _lib_path is not None
    return _lib_path


def text(ptr: Optional[int], n: int) -> str:
    """Decodes `n` bytes at `ptr` as UTF-8 (invalid bytes replaced)."""
    if not ptr or n == 0:
        return ""
    return ctypes.string_at(ptr, n).decode("utf-8", "replace")


def init(struct: ctypes.Structure, fn_name: str) -> None:
    """Initialises a versioned struct with the library's *_init function.

    Raises:
        OSError: the library is older than this package (it does not know
            the struct's size).
    """
    rc = getattr(lib(), fn_name)(ctypes.byref(struct), ctypes.sizeof(struct))
    if rc != 0:
        raise OSError(
            f"smtpcore: {library_path()} is older than this package "
            f"({fn_name} refused {ctypes.sizeof(struct)} bytes: "
            f"{strerror(rc)})")


def strerror(code: int) -> str:
    return lib().smtpc_strerror(code).decode()


def detail_name(detail: int) -> str:
    return lib().smtpc_error_detail_name(detail).decode()


def encode(value: Optional[str]) -> Optional[bytes]:
    """None stays None; str becomes UTF-8 bytes."""
    if value is None:
        return None
    return value.encode("utf-8")
