"""Turning what a caller hands `send()` into an envelope and wire bytes.

For an `email.message.Message` (or `EmailMessage`) without an explicit
envelope, the sender and recipients come from its headers the way
`smtplib.SMTP.send_message` takes them: the last Resent- block when there
is one (Resent-Sender or Resent-From; Resent-To, Resent-Cc, Resent-Bcc),
else Sender or From, and To, Cc and Bcc. Bcc and Resent-Bcc are removed
from the bytes sent.
"""

from __future__ import annotations

import email.message
import email.policy
import email.utils
from typing import Optional, Sequence, Union

Message = Union[bytes, bytearray, memoryview, str, email.message.Message]


def _addresses(values: Sequence[str]) -> list[str]:
    return [addr for _, addr in email.utils.getaddresses(list(values))
            if addr]


def _resent_block(msg: email.message.Message) -> Optional[str]:
    """Returns "Resent-" when the message has exactly one resent block
    worth using (the most recent one), else "" (none). Several
    Resent-Date headers make the choice ambiguous: smtplib refuses them,
    and so do we."""
    dates = msg.get_all("Resent-Date") or []
    if len(dates) > 1:
        raise ValueError("message has more than one Resent- header block")
    return "Resent-" if dates else ""


def envelope_from_headers(msg: email.message.Message
                          ) -> tuple[str, list[str]]:
    """Returns (mail_from, rcpt_to) taken from `msg`'s headers."""
    prefix = _resent_block(msg)
    senders = (msg.get_all(prefix + "Sender") or msg.get_all(prefix + "From")
               or [])
    found = _addresses(senders)
    mail_from = found[0] if found else ""
    rcpts: list[str] = []
    for name in ("To", "Cc", "Bcc"):
        rcpts.extend(_addresses(msg.get_all(prefix + name) or []))
    return mail_from, rcpts


def _needs_utf8(*values: str) -> bool:
    return any(not v.isascii() for v in values)


def message_bytes(msg: email.message.Message, utf8: bool) -> bytes:
    """Serialises `msg` with CRLF line endings, without Bcc/Resent-Bcc
    (the caller's object is not changed). `utf8`: headers may carry UTF-8
    (RFC 6532, with SMTPUTF8)."""
    copy = email.message_from_bytes(msg.as_bytes(policy=email.policy.SMTP),
                                    policy=email.policy.SMTP)
    del copy["Bcc"]
    del copy["Resent-Bcc"]
    policy = email.policy.SMTPUTF8 if utf8 else email.policy.SMTP
    return copy.as_bytes(policy=policy)


def prepare(message: Message, mail_from: Optional[str],
            rcpt_to: Union[str, Sequence[str], None]
            ) -> tuple[str, list[str], bytes, bool]:
    """Returns (mail_from, rcpt_to, body bytes, smtputf8 needed).

    Raises:
        ValueError: no sender or recipients can be determined, or the
            message type is not supported.
    """
    if isinstance(rcpt_to, str):
        rcpt_to = [rcpt_to]
    if isinstance(message, email.message.Message):
        header_from, header_rcpts = envelope_from_headers(message)
        sender = header_from if mail_from is None else mail_from
        rcpts = header_rcpts if rcpt_to is None else list(rcpt_to)
        utf8 = _needs_utf8(sender, *rcpts)
        return sender, rcpts, message_bytes(message, utf8), utf8
    if isinstance(message, str):
        body = message.encode("utf-8")
    elif isinstance(message, (bytes, bytearray, memoryview)):
        body = bytes(message)
    else:
        raise TypeError("message must be bytes, str or an "
                        "email.message.Message, not "
                        f"{type(message).__name__}")
    if mail_from is None or rcpt_to is None:
        raise ValueError("mail_from and rcpt_to are needed unless message "
                         "is an email.message.Message")
    return mail_from, list(rcpt_to), body, False


def split_server(server: str, default_port: int = 25) -> tuple[str, int]:
    """Splits "host:port", "[v6]:port", "host" into (host, port)."""
    if server.startswith("["):
        end = server.find("]")
        if end < 0:
            raise ValueError(f"bad server {server!r}")
        host, rest = server[1:end], server[end + 1:]
        if rest.startswith(":"):
            return host, int(rest[1:])
        if rest:
            raise ValueError(f"bad server {server!r}")
        return host, default_port
    if server.count(":") == 1:
        host, port = server.split(":")
        return host, int(port)
    return server, default_port
