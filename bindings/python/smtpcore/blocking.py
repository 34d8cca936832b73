"""smtpcore.send: one message, blocking, over the library's own transport
(resolve, connect, STARTTLS or implicit TLS with BoringSSL, AUTH, QUIT).

The call releases the GIL while it waits on the network, so several
threads may send at once, each on its own connection.
"""

from __future__ import annotations

import ctypes
from typing import Optional, Sequence, Union

from smtpcore import _native
from smtpcore.errors import (SendResult, SmtpError, from_error_info,
                             new_error_info, new_recipient_result,
                             recipient_from)
from smtpcore.message import Message, prepare, split_server
from smtpcore.session import (AuthChooser, TokenProvider, _Options,
                              build_envelope, tls_mode_for)


def send(server: str, mail_from: Optional[str] = None,
         rcpt_to: Union[str, Sequence[str], None] = None,
         message: Optional[Message] = None, *,
         tls: Optional[str] = None, ca_file: Optional[str] = None,
         user: Optional[str] = None, password: Optional[str] = None,
         timeout: Optional[float] = None, insecure: bool = False,
         client_cert: Optional[str] = None, client_key: Optional[str] = None,
         tls_server_name: Optional[str] = None,
         auth_mechanisms: Optional[Sequence[str]] = None,
         auth_chooser: Optional[AuthChooser] = None,
         oauth_token: Optional[str] = None,
         oauth_token_provider: Optional[TokenProvider] = None,
         ehlo_domain: Optional[str] = None,
         notify: Optional[Sequence[str]] = None,
         dsn_ret: Optional[str] = None, envid: Optional[str] = None,
         smtputf8: bool = False, requiretls: bool = False,
         body: Optional[str] = None, proxy: Optional[str] = None,
         local_address: Optional[str] = None,
         **session_options) -> SendResult:
    """Sends one message and returns the per-recipient results.

    Args:
        server: "host:port", "[2001:db8::1]:port" or "host" (port 25, or
            465 with tls="implicit"), or "unix:/path" for a Unix-domain
            socket (an LMTP server: pass lmtp=True).
        mail_from, rcpt_to: the envelope. Both may be omitted when
            `message` is an email.message.Message: they are then taken
            from its headers as smtplib's send_message does (Bcc is used
            and removed).
        message: bytes (RFC 5322, CRLF or LF line endings), str (UTF-8)
            or an email.message.EmailMessage.
        tls: "none", "opportunistic", "starttls" (required) or "implicit".
            Default: "implicit" on port 465, else "starttls" (both verify
            the certificate).
        ca_file: PEM trust anchors; default the system store. The
            certificate is verified with starttls and implicit (a failure
            raises SmtpTlsError) unless `insecure`; opportunistic TLS
            without a ca_file does not verify (RFC 7435).
        user, password: AUTH credentials (after TLS; on a loopback peer
            also without TLS). `auth_mechanisms` orders the mechanisms
            ("SCRAM-SHA-256", "PLAIN", ...), `auth_chooser(offered, tls,
            channel_binding)` picks one itself; `oauth_token` or
            `oauth_token_provider(refresh, server_error)` authenticate with
            XOAUTH2/OAUTHBEARER.
        timeout: seconds for the connection and for each protocol stage
            (each restarts on progress); None: the RFC 5321 defaults.
        notify, dsn_ret, envid: DSN (RFC 3461) for every recipient.
        smtputf8, requiretls, body: MAIL parameters ("8bitmime", ...).
        proxy: connect through "socks5://[user:pass@]host[:port]",
            "socks5h://..." or "http://[user:pass@]host:port" (HTTP
            CONNECT); TLS runs inside the tunnel. Not with "unix:".
        local_address: a numeric source IP to bind the connection to.
        **session_options: the other Session options (pipelining,
            chunking, lmtp, idna, capability_ignore, timeouts, ...).

    Returns:
        A SendResult: at least one recipient was delivered; the others
        are in `rejected` and `deferred` (and in `not_sent` when the
        server never refused them: RecipientResult.not_sent).

    Raises:
        SmtpConnectError, SmtpTlsError, SmtpAuthError, SmtpProtocolError,
        SmtpTemporaryError, SmtpPermanentError (nobody got the message;
        `error.result` has the per-recipient outcome: every recipient
        `not_sent` when the connection, TLS, greeting or AUTH failed, or
        the sender was refused), SmtpInvalidArgument
        or ValueError (bad arguments).
    """
    if message is None:
        raise ValueError("message is required")
    sender, rcpts, data, utf8 = prepare(message, mail_from, rcpt_to)
    unix_socket = None
    if server.startswith("unix:"):
        unix_socket = server[len("unix:"):]
        if not unix_socket:
            raise ValueError("server 'unix:' needs a socket path")
        host, port = "localhost", 25
    else:
        host, port = split_server(server, 465 if tls == "implicit" else 25)
    mode = tls_mode_for(tls, port)
    options = _Options(tls=mode, ehlo_domain=ehlo_domain, user=user,
                       password=password, oauth_token=oauth_token,
                       oauth_token_provider=oauth_token_provider,
                       auth_mechanisms=auth_mechanisms,
                       auth_chooser=auth_chooser, timeout=timeout,
                       **session_options)
    env, keep = build_envelope(sender, rcpts, notify=notify, dsn_ret=dsn_ret,
                               envid=envid, smtputf8=smtputf8 or utf8,
                               requiretls=requiretls, body=body)
    so = _native.SendOptions()
    _native.init(so, "smtpc_send_options_init")
    strings = [host.encode("utf-8"), _native.encode(ca_file),
               _native.encode(client_cert), _native.encode(client_key),
               _native.encode(tls_server_name), _native.encode(unix_socket),
               _native.encode(local_address), _native.encode(proxy)]
    (so.host, so.ca_file, so.client_cert_file, so.client_key_file,
     so.tls_server_name, so.unix_socket, so.local_address,
     so.proxy_url) = strings
    so.port = port
    so.session = ctypes.pointer(options.struct)
    so.insecure = int(insecure)
    if timeout is not None:
        so.connect_timeout_ms = max(1, int(timeout * 1000))
    lib = _native.lib()
    handle = ctypes.c_void_p()
    rc = lib.smtpc_send(ctypes.byref(so), ctypes.byref(env), data, len(data),
                        ctypes.byref(handle))
    del keep, strings
    if not handle.value:
        raise SmtpError(f"smtpc_send failed: {_native.strerror(rc)}",
                        detail="invalid_argument", permanent=True)
    try:
        recipients = []
        r = new_recipient_result()
        for i in range(lib.smtpc_send_result_num_recipients(handle)):
            if lib.smtpc_send_result_recipient(handle, i,
                                               ctypes.byref(r)) == 1:
                recipients.append(recipient_from(r))
        result = SendResult(
            tuple(recipients),
            tls_version=lib.smtpc_send_result_tls_version(handle).decode(),
            auth_mechanism=lib.smtpc_send_result_auth_mechanism(
                handle).decode())
        info = new_error_info()
        if lib.smtpc_send_result_error(handle, ctypes.byref(info)) == 1:
            raise from_error_info(info, result)
        return result
    finally:
        lib.smtpc_send_result_free(handle)
