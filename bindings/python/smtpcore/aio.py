"""asyncio: the sans-I/O session driven over asyncio streams.

    result = await smtpcore.aio.send("mail.example.org:587", "a@example.org",
                                     ["b@example.org"], message,
                                     user="a@example.org", password=pw)

    async with smtpcore.aio.Client("mail.example.org:587", user=..., password=...) as c:
        for m in messages:
            result = await c.send_message(m)   # one connection, many messages

STARTTLS runs through asyncio's own TLS (`StreamWriter.start_tls`, Python
3.11+) with an `ssl.SSLContext` that verifies the certificate against
`ca_file` or the system store; an unverified certificate raises
SmtpTlsError. The handshake's result (and, for TLS 1.2, the tls-unique
channel binding that SCRAM -PLUS needs) is reported to the session.

Many sends may run concurrently on one loop, each with its own
connection; `Client.send_message` may also be awaited concurrently on one
connection (the messages go one after the other, in call order).
"""

from __future__ import annotations

import asyncio
import collections
import ipaddress
import ssl
from typing import NoReturn, Optional, Sequence, Union

from smtpcore.errors import (SendResult, SmtpConnectError, SmtpError,
                             SmtpTlsError, copy_error, not_sent_result)
from smtpcore._proxy import open_tunnel, parse_proxy_url
from smtpcore.message import Message, prepare, split_server
from smtpcore.session import Session, now_ns, tls_mode_for

_MESSAGE_KEYS = ("notify", "dsn_ret", "envid", "smtputf8", "requiretls",
                 "body", "orcpt", "size")


def make_ssl_context(tls: str, ca_file: Optional[str] = None,
                     insecure: bool = False,
                     client_cert: Optional[str] = None,
                     client_key: Optional[str] = None) -> ssl.SSLContext:
    """The context smtpcore uses: TLS 1.2+, verification against `ca_file`
    or the system store, except with `insecure` or for opportunistic TLS
    without a `ca_file` (RFC 7435)."""
    ctx = ssl.create_default_context(cafile=ca_file)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if insecure or (tls == "opportunistic" and ca_file is None):
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if client_cert is not None:
        ctx.load_cert_chain(client_cert, client_key)
    return ctx


class Client:
    """One SMTP connection for several messages, on the running loop.

    Arguments are those of `smtpcore.send` (server, tls, ca_file, user,
    password, timeout, insecure, client_cert, client_key,
    tls_server_name, auth_mechanisms, oauth_token, ehlo_domain and the
    other Session options), plus `ssl_context` to bring your own.
    Use it as `async with Client(...) as client:`, or call `connect()` and
    `quit()` yourself.
    """

    def __init__(self, server: str, *, tls: Optional[str] = None,
                 ca_file: Optional[str] = None, insecure: bool = False,
                 client_cert: Optional[str] = None,
                 client_key: Optional[str] = None,
                 tls_server_name: Optional[str] = None,
                 ssl_context: Optional[ssl.SSLContext] = None,
                 timeout: Optional[float] = None,
                 local_address: Optional[str] = None,
                 proxy: Optional[str] = None,
                 **session_options) -> None:
        # proxy: SOCKS5 or HTTP CONNECT (smtpcore/_proxy.py); ValueError
        # for a bad URL.
        self._proxy = parse_proxy_url(proxy) if proxy is not None else None
        self._unix_socket: Optional[str] = None
        self._local_address = local_address
        if server.startswith("unix:"):
            self._unix_socket = server[len("unix:"):]
            if not self._unix_socket:
                raise ValueError("server 'unix:' needs a socket path")
            if local_address is not None or proxy is not None:
                raise ValueError("local_address and proxy do not go with "
                                 "unix:")
            self._host, self._port = "localhost", 25
        else:
            self._host, self._port = split_server(
                server, 465 if tls == "implicit" else 25)
        self._tls = tls_mode_for(tls, self._port)
        self._sni = tls_server_name or self._host
        self._ssl = ssl_context or (
            make_ssl_context(self._tls, ca_file, insecure, client_cert,
                             client_key)
            if self._tls != "none" else None)
        self._timeout = timeout
        self._session_options = dict(session_options, timeout=timeout)
        self._session: Optional[Session] = None
        self._reader: Optional[asyncio.StreamReader] = None
        self._writer: Optional[asyncio.StreamWriter] = None
        self._task: Optional[asyncio.Task] = None
        self._wakeup = asyncio.Event()
        self._ready: Optional[asyncio.Future] = None
        self._deliveries: dict[int, asyncio.Future] = {}
        self._noops: collections.deque = collections.deque()
        # The connection's failure, once it failed: raised by connect() and
        # to the calls in flight; later calls get a copy (_raise_dead), so
        # this object is never changed after.
        self._failure: Optional[SmtpError] = None
        self._closed = False
        self._closing = False  # quit() or abort() called: no new work
        self._tls_upgrade = False
        self.tls_version = ""
        self.auth_mechanism = ""

    async def __aenter__(self) -> "Client":
        await self.connect()
        return self

    async def __aexit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            await self.quit()
        else:
            await self.abort()

    # --- connection ------------------------------------------------------

    async def _open_through_proxy(self, implicit: bool):
        assert self._proxy is not None
        reader, writer = await open_tunnel(self._proxy, self._host,
                                           self._port, self._local_address)
        if implicit:
            try:
                await writer.start_tls(self._ssl, server_hostname=self._sni,
                                       ssl_handshake_timeout=self._timeout)
            except BaseException:
                writer.close()
                raise
        return reader, writer

    def _where(self) -> str:
        if self._unix_socket is not None:
            return f"unix:{self._unix_socket}"
        return f"{self._host}:{self._port}"

    async def connect(self) -> None:
        """Connects and runs greeting, EHLO, STARTTLS and AUTH.

        Raises:
            SmtpConnectError, SmtpTlsError, SmtpAuthError,
            SmtpTemporaryError, SmtpPermanentError, SmtpProtocolError.
        """
        loop = asyncio.get_running_loop()
        implicit = self._tls == "implicit"
        try:
            tls_args = dict(
                ssl=self._ssl if implicit else None,
                server_hostname=self._sni if implicit else None,
                ssl_handshake_timeout=self._timeout if implicit else None)
            if self._unix_socket is not None:
                coro = asyncio.open_unix_connection(self._unix_socket,
                                                    **tls_args)
            elif self._proxy is not None:
                coro = self._open_through_proxy(implicit)
            else:
                local = ((self._local_address, 0)
                         if self._local_address is not None else None)
                coro = asyncio.open_connection(self._host, self._port,
                                               local_addr=local, **tls_args)
            self._reader, self._writer = await asyncio.wait_for(
                coro, self._timeout)
        except ssl.SSLCertVerificationError as e:
            raise SmtpTlsError(f"TLS certificate verification failed: {e}",
                               command="CONNECT", detail="tls_verification",
                               permanent=True) from e
        except ssl.SSLError as e:
            raise SmtpTlsError(f"TLS handshake failed: {e}",
                               command="CONNECT",
                               detail="tls_handshake") from e
        except (OSError, asyncio.TimeoutError) as e:
            detail = ("timeout" if isinstance(e, asyncio.TimeoutError)
                      else "io")
            raise SmtpConnectError(
                f"cannot connect to {self._where()}: "
                f"{e or 'timed out'}", command="CONNECT",
                detail=detail) from e
        options = dict(self._session_options)
        if "allow_insecure_auth" not in options:
            # As the C transports do: credentials may stay in plaintext on
            # a loopback connection, never elsewhere.
            peer = self._writer.get_extra_info("peername")
            if self._unix_socket is not None:
                peer = ("127.0.0.1",)  # a Unix socket is this machine
            elif self._proxy is not None:
                peer = (self._host,)  # loopback only if the destination is
            try:
                options["allow_insecure_auth"] = ipaddress.ip_address(
                    peer[0]).is_loopback
            except (TypeError, ValueError, IndexError):
                options["allow_insecure_auth"] = False
        self._session = Session(tls=self._tls, **options)
        if implicit:
            self._report_tls()
        self._ready = loop.create_future()
        self._task = asyncio.create_task(self._run())
        await self._ready

    async def send_message(self, message: Message,
                           mail_from: Optional[str] = None,
                           rcpt_to: Union[str, Sequence[str], None] = None,
                           **params) -> SendResult:
        """Sends one message on this connection; same message arguments
        and results as smtpcore.send (notify, dsn_ret, envid, smtputf8,
        requiretls, body). A partial delivery is a result; a message that
        reached nobody raises (the connection stays usable unless the
        error says it broke), with the per-recipient `result`.

        On a connection that already failed, or that is closed or closing
        (quit() or abort() called), the message is not sent: each call
        raises a new exception of the failure's class with its fields
        (message, code, enhanced_code, command, text, permanent, detail;
        the failure itself is the `__cause__`, and is not changed), or an
        SmtpError with detail "closed" after a clean close. Its `result`
        has every recipient of this call `not_sent` ("deferred", or
        "rejected" when the failure is permanent), as smtpcore.send and
        aio.send report a connection that failed before the message.
        Bad arguments raise as they do on a live connection (TypeError,
        ValueError); before connect(), an SmtpError "wrong_state" without
        a result.
        """
        unknown = set(params) - set(_MESSAGE_KEYS)
        if unknown:
            raise TypeError(f"unknown arguments {sorted(unknown)}")
        if self._session is None:
            raise SmtpError("not connected: call connect() first",
                            detail="wrong_state")
        sender, rcpts, data, utf8 = prepare(message, mail_from, rcpt_to)
        if self._dead():
            self._raise_dead(SmtpError("the connection is closed",
                                       detail="closed"), rcpts)
        params["smtputf8"] = params.get("smtputf8", False) or utf8
        delivery = self._session.deliver(sender, rcpts, data, **params)
        future = asyncio.get_running_loop().create_future()
        self._deliveries[delivery] = future
        self._wakeup.set()
        return await future

    def _dead(self) -> bool:
        """True when the connection takes no new work: failed, closed, or
        quit()/abort() called."""
        return self._failure is not None or self._closed or self._closing

    def _raise_dead(self, otherwise: SmtpError,
                    rcpts: Optional[Sequence[str]] = None) -> NoReturn:
        """Raises for one call on a dead connection a new exception: a
        copy of the connection's failure, raised from it (the failure
        itself is left untouched: connect() and the calls in flight raise
        it, and it may be raised to many callers), else `otherwise`. With
        `rcpts`, its result has each of them not_sent."""
        failure = self._failure
        error = copy_error(failure) if failure is not None else otherwise
        if rcpts is not None:
            error.result = not_sent_result(list(rcpts), error)
        if failure is not None:
            raise error from failure
        raise error

    async def noop(self) -> int:
        """Sends NOOP when idle and returns the reply code."""
        if self._session is None or self._dead():
            self._raise_dead(SmtpError("not connected",
                                       detail="wrong_state"))
        self._session.noop()
        future = asyncio.get_running_loop().create_future()
        self._noops.append(future)
        self._wakeup.set()
        return await future

    async def quit(self) -> None:
        """Sends QUIT after the queued messages and closes the
        connection. Idempotent."""
        if self._session is None or self._task is None:
            return
        if not self._closed:
            self._closing = True
            try:
                self._session.close()
            except SmtpError:
                pass  # already failed: the driver is finishing
            self._wakeup.set()
        await self._task

    async def abort(self) -> None:
        """Closes the connection at once, without QUIT."""
        if self._session is None or self._task is None:
            return
        if not self._closed:
            self._closing = True
            self._session.abort("aborted by the caller")
            self._wakeup.set()
        await self._task

    # --- the driver ------------------------------------------------------

    def _report_tls(self) -> None:
        assert self._writer is not None and self._session is not None
        obj = self._writer.get_extra_info("ssl_object")
        if obj is None:
            self._session.tls_failed("no TLS session after the handshake")
            return
        binding = None
        if obj.version() == "TLSv1.2":  # tls-unique is not for TLS 1.3
            binding = obj.get_channel_binding("tls-unique")
        assert self._ssl is not None
        self._session.tls_established(
            version=obj.version() or "", cipher=obj.cipher()[0],
            server_name=self._sni,
            verified=self._ssl.verify_mode == ssl.CERT_REQUIRED,
            channel_binding_type="tls-unique" if binding else None,
            channel_binding=binding)

    async def _start_tls(self) -> None:
        assert self._writer is not None and self._session is not None
        try:
            await self._writer.start_tls(
                self._ssl, server_hostname=self._sni,
                ssl_handshake_timeout=self._timeout)
        except ssl.SSLCertVerificationError as e:
            self._session.tls_failed(str(e), verification=True)
            return
        except (ssl.SSLError, OSError, asyncio.TimeoutError) as e:
            self._session.tls_failed(str(e) or type(e).__name__)
            return
        self._report_tls()

    def _process_events(self) -> None:
        assert self._session is not None
        for event in self._session.events():
            kind = event.type
            if kind == "tls_upgrade_required":
                self._tls_upgrade = True
            elif kind == "tls_established":
                self.tls_version = event.text.split(" ")[0]
            elif kind == "authenticated":
                self.auth_mechanism = event.text
            elif kind == "ready":
                if self._ready is not None and not self._ready.done():
                    self._ready.set_result(None)
            elif kind == "auth_failed":
                self._failure = self._failure or event.error
            elif kind in ("delivery_done", "delivery_failed"):
                future = self._deliveries.pop(event.delivery_id, None)
                result = SendResult(event.recipients, self.tls_version,
                                    self.auth_mechanism)
                if future is None or future.done():
                    continue
                if kind == "delivery_done":
                    future.set_result(result)
                else:
                    assert event.error is not None
                    event.error.result = result
                    future.set_exception(event.error)
            elif kind == "noop":
                if self._noops:
                    future = self._noops.popleft()
                    if not future.done():
                        future.set_result(event.code)
            elif kind == "closed":
                self._closed = True
                if event.error is not None:
                    self._failure = self._failure or event.error

    def _finish(self, error: Optional[BaseException]) -> None:
        self._closed = True
        failure = self._failure or error or SmtpError(
            "the connection closed", detail="closed")
        if self._ready is not None and not self._ready.done():
            self._ready.set_exception(failure)
        for future in list(self._deliveries.values()) + list(self._noops):
            if not future.done():
                future.set_exception(failure)
        self._deliveries.clear()
        self._noops.clear()

    async def _run(self) -> None:
        session, reader, writer = self._session, self._reader, self._writer
        assert session is not None and reader is not None
        assert writer is not None
        read: Optional[asyncio.Future] = None
        crash: Optional[BaseException] = None
        try:
            while True:
                self._process_events()
                if self._tls_upgrade:
                    self._tls_upgrade = False
                    await self._start_tls()
                    continue
                data = session.take_transmit()
                if data:
                    try:
                        writer.write(data)
                        await writer.drain()
                    except (OSError, ssl.SSLError) as e:
                        session.abort(f"write failed: {e}")
                        continue
                self._process_events()
                if self._closed:
                    break
                if self._tls_upgrade:
                    continue
                deadline = session.next_deadline()
                timeout = (None if deadline is None
                           else max(0.0, (deadline - now_ns()) / 1e9))
                if read is None:
                    read = asyncio.ensure_future(reader.read(65536))
                wake = asyncio.ensure_future(self._wakeup.wait())
                done, _ = await asyncio.wait(
                    {read, wake}, timeout=timeout,
                    return_when=asyncio.FIRST_COMPLETED)
                wake.cancel()
                self._wakeup.clear()
                if read in done:
                    finished, read = read, None
                    try:
                        chunk = finished.result()
                    except (OSError, ssl.SSLError) as e:
                        session.abort(f"read failed: {e}")
                        continue
                    if chunk:
                        session.receive(chunk)
                    else:
                        session.receive_eof()
                if deadline is not None and now_ns() >= deadline:
                    session.handle_timeout()
        except Exception as e:  # never leave a caller waiting forever
            crash = e
        finally:
            if read is not None:
                read.cancel()
            self._finish(crash)
            writer.close()
            try:
                await writer.wait_closed()
            except (OSError, ssl.SSLError):
                pass


async def send(server: str, mail_from: Optional[str] = None,
               rcpt_to: Union[str, Sequence[str], None] = None,
               message: Optional[Message] = None, **options) -> SendResult:
    """Sends one message on its own connection: the asyncio twin of
    smtpcore.send, with the same arguments, results and exceptions. As
    with smtpcore.send, an error raised because the connection, TLS,
    greeting or AUTH failed before the message was offered carries a
    `result` in which every recipient is `not_sent`."""
    if message is None:
        raise ValueError("message is required")
    params = {k: options.pop(k) for k in _MESSAGE_KEYS if k in options}
    sender, rcpts, data, utf8 = prepare(message, mail_from, rcpt_to)
    params["smtputf8"] = params.get("smtputf8", False) or utf8
    client = Client(server, **options)
    try:
        await client.connect()
    except SmtpError as e:
        if e.result is None:
            e.result = not_sent_result(rcpts, e)
        await client.abort()
        raise
    # As `async with client` after connect(): QUIT on success, else abort.
    try:
        result = await client.send_message(data, sender, rcpts, **params)
    except BaseException:
        await client.abort()
        raise
    await client.quit()
    return result
