"""smtpcore: SMTP for Python over the smtpcore C library (libsmtpc.so).

Three ways in, one engine (the sans-I/O protocol core):

- ``smtpcore.send(...)``: one message, blocking (the library's socket
  transport, STARTTLS/implicit TLS with certificate verification, AUTH).
- ``await smtpcore.aio.send(...)`` and ``smtpcore.aio.Client``: asyncio.
- ``smtpcore.Session``: the sans-I/O session for your own loop (trio,
  selectors, ...).

A delivery that reached at least one recipient returns a ``SendResult``
with one ``RecipientResult`` per recipient; one that reached nobody raises
an ``SmtpError`` subclass.
"""

from smtpcore import aio
from smtpcore._native import library_path
from smtpcore.blocking import send
from smtpcore.errors import (RecipientResult, SendResult, SmtpAuthError,
                             SmtpConnectError, SmtpError,
                             SmtpInvalidArgument, SmtpPermanentError,
                             SmtpProtocolError, SmtpTemporaryError,
                             SmtpTlsError)
from smtpcore.session import Event, Session

__version__ = "1.2.0"

__all__ = [
    "aio", "send", "Session", "Event", "SendResult", "RecipientResult",
    "SmtpError", "SmtpTemporaryError", "SmtpPermanentError",
    "SmtpProtocolError", "SmtpTlsError", "SmtpAuthError",
    "SmtpConnectError", "SmtpInvalidArgument", "library_path",
]
