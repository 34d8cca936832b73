"""Typed results and exceptions of smtpcore.

A delivery that reached at least one recipient is a result (`SendResult`),
even when other recipients were refused: check `SendResult.rejected` and
`SendResult.deferred`. A delivery that reached nobody raises one of the
`SmtpError` subclasses, which carries the server's reply and, when the
envelope got that far, the per-recipient `result`.
"""

from __future__ import annotations

import dataclasses
from typing import Optional

from smtpcore import _native


@dataclasses.dataclass(frozen=True)
class RecipientResult:
    """The outcome for one recipient.

    Attributes:
        address: the recipient as given.
        status: "delivered", "rejected" (permanent), "deferred" (retry
            later) or "unknown" (the connection failed after the end of
            data was sent and before its reply: the message may or may not
            have been delivered; retrying risks a duplicate). For a
            recipient that was not sent, the permanence of the cause.
        code: the reply that decided (the data reply when the recipient was
            accepted, else the RCPT reply); 0 when there was none.
        enhanced_code: that reply's RFC 3463 code ("5.1.1") or None.
        text: that reply's first line.
        not_sent: True when the server never refused this recipient
            although it failed: the delivery failed around it (the sender
            was refused at MAIL FROM, the connection, TLS or AUTH failed
            before or during the transaction, a local refusal such as a
            message too large). The cause is the delivery's error (the
            raised SmtpError); `status` says whether retrying may help
            ("rejected": not unchanged; "deferred": later). False for a
            recipient the server refused at RCPT or after the data.
    """

    address: str
    status: str
    code: int
    enhanced_code: Optional[str]
    text: str
    not_sent: bool = False

    @property
    def ok(self) -> bool:
        """True when the message was delivered to this recipient."""
        return self.status == "delivered"

    @property
    def outcome(self) -> str:
        """The outcome to show: "not_sent" when `not_sent`, else `status`
        (the names `smtpc send --json` uses)."""
        return "not_sent" if self.not_sent else self.status


@dataclasses.dataclass(frozen=True)
class SendResult:
    """The outcome of one message.

    Attributes:
        recipients: one RecipientResult per recipient, in envelope order.
        tls_version: "TLSv1.3" ..., or "" without TLS.
        auth_mechanism: the SASL mechanism used, or "" without AUTH.
    """

    recipients: tuple[RecipientResult, ...]
    tls_version: str = ""
    auth_mechanism: str = ""

    @property
    def delivered(self) -> list[RecipientResult]:
        return [r for r in self.recipients if r.status == "delivered"]

    @property
    def rejected(self) -> list[RecipientResult]:
        """Recipients with status "rejected", those not sent for a
        permanent cause included (see `not_sent`)."""
        return [r for r in self.recipients if r.status == "rejected"]

    @property
    def deferred(self) -> list[RecipientResult]:
        """Recipients with status "deferred", those not sent for a
        temporary cause included (see `not_sent`)."""
        return [r for r in self.recipients if r.status == "deferred"]

    @property
    def not_sent(self) -> list[RecipientResult]:
        """Recipients the server never refused, kept from it by the
        delivery's failure (RecipientResult.not_sent)."""
        return [r for r in self.recipients if r.not_sent]

    @property
    def unknown(self) -> list[RecipientResult]:
        """Recipients whose outcome cannot be known (see RecipientResult)."""
        return [r for r in self.recipients if r.status == "unknown"]

    @property
    def all_delivered(self) -> bool:
        return bool(self.recipients) and all(r.ok for r in self.recipients)


class SmtpError(Exception):
    """A failed SMTP operation.

    Attributes:
        code: the server's reply code, 0 when there was no reply.
        enhanced_code: the RFC 3463 code ("5.7.8") or None.
        command: the command that failed ("RCPT", "AUTH", "STARTTLS",
            "GREETING" for the greeting or before it, "CONNECT" for a
            connection that could not be made).
        text: the server's reply line, "" without a reply.
        message: one line saying what happened and what to do.
        permanent: True when retrying the same thing will fail again.
        detail: the precise cause, a stable name ("tls_verification",
            "auth_failed", "rejected", "timeout", ...; core/errors.h).
        result: the per-recipient outcome when the envelope got that far,
            else None.
    """

    def __init__(self, message: str, *, code: int = 0,
                 enhanced_code: Optional[str] = None, command: str = "",
                 text: str = "", permanent: bool = False,
                 detail: str = "none",
                 result: Optional[SendResult] = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.enhanced_code = enhanced_code
        self.command = command
        self.text = text
        self.permanent = permanent
        self.detail = detail
        self.result = result


class SmtpTemporaryError(SmtpError):
    """A temporary refusal or failure (4xx, 421, connection lost): retry."""


class SmtpPermanentError(SmtpError):
    """A permanent refusal (5xx) or a message the server cannot take."""


class SmtpProtocolError(SmtpError):
    """The server broke the protocol, or a reply exceeded a limit."""


class SmtpTlsError(SmtpError):
    """TLS could not be set up: handshake, certificate verification, or
    STARTTLS required but not offered."""


class SmtpAuthError(SmtpError):
    """Authentication failed: refused credentials, no usable mechanism, or
    credentials that would have gone out without TLS."""


class SmtpConnectError(SmtpError):
    """The connection could not be made (resolve, connect, no greeting),
    including every refusal of a SOCKS5 or HTTP CONNECT proxy (detail
    "proxy_*", the same from smtpcore.send and smtpcore.aio)."""


class SmtpInvalidArgument(SmtpError, ValueError):
    """A bad argument (address, parameter) refused before anything was
    sent."""


_TLS_DETAILS = {"tls_handshake", "tls_verification", "tls_required",
                "needs_starttls", "tls_peer_plaintext", "tls_peer_expects_tls"}
_AUTH_DETAILS = {"auth_failed", "auth_mechanism", "needs_auth",
                 "insecure_auth", "too_many_challenges"}
_ARGUMENT_DETAILS = {"invalid_argument", "control_character",
                     "line_too_long"}
_CONNECT_DETAILS = {"io", "timeout", "connection_closed"}


def _enhanced(cls: int, subject: int, detail: int) -> Optional[str]:
    return f"{cls}.{subject}.{detail}" if cls else None


def error_class(error: int, detail: str, command: str, code: int,
                permanent: bool) -> type[SmtpError]:
    """Picks the exception class for a typed failure of the C library."""
    # A proxy's refusal (its credentials included) is about reaching the
    # server, as smtpcore/_proxy.py raises it for aio.
    if detail.startswith("proxy_"):
        return SmtpConnectError
    if detail in _TLS_DETAILS or error == _native.ERR_UNAUTHENTICATED:
        return SmtpTlsError
    if (detail in _AUTH_DETAILS or error == _native.ERR_PERMISSION_DENIED
            or command == "AUTH"):
        return SmtpAuthError
    if (command in ("GREETING", "CONNECT") and code == 0
            and detail in _CONNECT_DETAILS):
        return SmtpConnectError
    if error in (_native.ERR_PROTOCOL, _native.ERR_RESOURCE_EXHAUSTED):
        return SmtpProtocolError
    if error == _native.ERR_INVALID_ARGUMENT and detail in _ARGUMENT_DETAILS:
        return SmtpInvalidArgument
    return SmtpPermanentError if permanent else SmtpTemporaryError


def from_error_info(info: _native.ErrorInfo,
                    result: Optional[SendResult] = None) -> SmtpError:
    """Builds the exception for a filled smtpc_error_info."""
    detail = _native.detail_name(info.detail)
    command = _native.text(info.command, info.command_len)
    cls = error_class(info.error, detail, command, info.code,
                      bool(info.permanent))
    return cls(
        _native.text(info.message, info.message_len)
        or _native.strerror(info.error),
        code=info.code,
        enhanced_code=_enhanced(info.enhanced_class, info.enhanced_subject,
                                info.enhanced_detail),
        command=command,
        text=_native.text(info.text, info.text_len),
        permanent=bool(info.permanent),
        detail=detail,
        result=result)


def recipient_from(r: _native.RecipientResult) -> RecipientResult:
    """Builds a RecipientResult from a filled smtpc_recipient_result."""
    return RecipientResult(
        address=_native.text(r.address, r.address_len),
        status=_native.RCPT_STATUS_NAMES.get(r.status, str(r.status)),
        code=r.code,
        enhanced_code=_enhanced(r.enhanced_class, r.enhanced_subject,
                                r.enhanced_detail),
        text=_native.text(r.text, r.text_len),
        not_sent=bool(r.not_sent))


def not_sent_result(rcpts: list[str], error: SmtpError) -> SendResult:
    """The result of a message that never reached the session (the
    connection, TLS, greeting or AUTH failed first): every recipient not
    sent, "rejected" when `error` is permanent, else "deferred", as
    smtpc_send reports it (transports/common FailedOutcome)."""
    status = "rejected" if error.permanent else "deferred"
    return SendResult(tuple(
        RecipientResult(address=a, status=status, code=0, enhanced_code=None,
                        text="", not_sent=True) for a in rcpts))


def copy_error(error: SmtpError,
               result: Optional[SendResult] = None) -> SmtpError:
    """A new exception of `error`'s class with its message, code,
    enhanced_code, command, text, permanent and detail, and `result`
    (`error` itself is not changed; raise the copy `from error`). For
    raising one shared failure (a connection's) to several callers, each
    with its own result."""
    return type(error)(error.message, code=error.code,
                       enhanced_code=error.enhanced_code,
                       command=error.command, text=error.text,
                       permanent=error.permanent, detail=error.detail,
                       result=result)


def new_error_info() -> _native.ErrorInfo:
    info = _native.ErrorInfo()
    _native.init(info, "smtpc_error_info_init")
    return info


def new_recipient_result() -> _native.RecipientResult:
    r = _native.RecipientResult()
    _native.init(r, "smtpc_recipient_result_init")
    return r


__all__ = [
    "RecipientResult", "SendResult", "SmtpError", "SmtpTemporaryError",
    "SmtpPermanentError", "SmtpProtocolError", "SmtpTlsError",
    "SmtpAuthError", "SmtpConnectError", "SmtpInvalidArgument",
]

