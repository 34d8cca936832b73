"""The proxy tunnel of smtpcore.aio: SOCKS5 (RFC 1928, username/password
per RFC 1929) and HTTP CONNECT (RFC 9110 §9.3.6, Basic credentials) over
asyncio streams, with the URL forms and typed refusals of the C library
(transports/proxy): "socks5://[user:pass@]host[:port]" (port 1080),
"socks5h://..." (the same: the proxy always resolves the destination's
name), "http://[user:pass@]host:port". Refusals raise SmtpConnectError with
the library's error detail names (proxy_connection_refused,
proxy_auth_failed, ...)."""

from __future__ import annotations

import asyncio
import base64
import ipaddress
import struct
from dataclasses import dataclass
from typing import Optional
from urllib.parse import unquote, urlsplit

from smtpcore.errors import SmtpConnectError

_SOCKS_REPLIES = {
    1: ("proxy_failure", "general SOCKS server failure"),
    2: ("proxy_not_allowed", "connection not allowed by ruleset"),
    3: ("proxy_network_unreachable", "network unreachable"),
    4: ("proxy_host_unreachable", "host unreachable"),
    5: ("proxy_connection_refused", "connection refused"),
    6: ("proxy_timeout", "TTL expired"),
    7: ("proxy_command_not_supported", "command not supported"),
    8: ("proxy_address_not_supported", "address type not supported"),
}


@dataclass(frozen=True)
class ProxyUrl:
    """A parsed proxy URL. `kind` is "socks5" or "http"."""
    kind: str
    host: str
    port: int
    user: Optional[str] = None
    password: Optional[str] = None


def parse_proxy_url(url: str) -> ProxyUrl:
    """Parses a proxy URL (see the module comment); ValueError otherwise."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("socks5", "socks5h", "http"):
        raise ValueError(f"proxy: unknown scheme in {url!r} (socks5://, "
                         f"socks5h:// or http://)")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"proxy: {url!r} must not have a path or query")
    if not parts.hostname:
        raise ValueError(f"proxy: {url!r} has no host")
    try:
        port = parts.port
    except ValueError as e:
        raise ValueError(f"proxy: bad port in {url!r}") from e
    if port is None:
        if scheme == "http":
            raise ValueError(f"proxy: {url!r} needs a port")
        port = 1080
    user = unquote(parts.username) if parts.username is not None else None
    password = unquote(parts.password) if parts.password is not None else None
    if scheme != "http" and ((user and len(user.encode()) > 255) or
                             (password and len(password.encode()) > 255)):
        raise ValueError("proxy: SOCKS5 user and password are at most 255 "
                         "octets (RFC 1929)")
    return ProxyUrl("http" if scheme == "http" else "socks5", parts.hostname,
                    port, user, password)


def _refused(detail: str, what: str) -> SmtpConnectError:
    return SmtpConnectError(f"proxy: {what}", command="CONNECT",
                            detail=detail,
                            permanent=detail in ("proxy_auth_failed",
                                                 "proxy_auth_required",
                                                 "proxy_not_allowed"))


async def _socks5(reader, writer, proxy: ProxyUrl, host: str,
                  port: int) -> None:
    methods = b"\x00\x02" if proxy.user is not None else b"\x00"
    writer.write(b"\x05" + bytes([len(methods)]) + methods)
    await writer.drain()
    version, method = await reader.readexactly(2)
    if version != 5:
        raise _refused("proxy_protocol", "not a SOCKS5 reply")
    if method == 0xFF:
        raise _refused("proxy_auth_required",
                       "the SOCKS5 proxy accepts none of our methods")
    if method == 2:
        if proxy.user is None:
            raise _refused("proxy_protocol", "unasked-for method")
        user = proxy.user.encode()
        password = (proxy.password or "").encode()
        writer.write(b"\x01" + bytes([len(user)]) + user +
                     bytes([len(password)]) + password)
        await writer.drain()
        _, status = await reader.readexactly(2)
        if status != 0:
            raise _refused("proxy_auth_failed",
                           "the SOCKS5 proxy refused the username/password")
    elif method != 0:
        raise _refused("proxy_protocol", f"unknown method {method}")
    try:
        ip = ipaddress.ip_address(host)
        address = (b"\x01" if ip.version == 4 else b"\x04") + ip.packed
    except ValueError:
        name = host.encode("idna")
        address = b"\x03" + bytes([len(name)]) + name
    writer.write(b"\x05\x01\x00" + address + struct.pack(">H", port))
    await writer.drain()
    version, reply, _, atyp = await reader.readexactly(4)
    if version != 5:
        raise _refused("proxy_protocol", "not a SOCKS5 reply")
    if reply != 0:
        detail, what = _SOCKS_REPLIES.get(reply, ("proxy_failure",
                                                  f"reply {reply}"))
        raise _refused(detail, f"{what} (to {host}:{port})")
    if atyp == 1:
        await reader.readexactly(4 + 2)
    elif atyp == 4:
        await reader.readexactly(16 + 2)
    elif atyp == 3:
        n = (await reader.readexactly(1))[0]
        await reader.readexactly(n + 2)
    else:
        raise _refused("proxy_protocol", "bad address type in the reply")


async def _http_connect(reader, writer, proxy: ProxyUrl, host: str,
                        port: int) -> None:
    authority = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    request = f"CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n"
    if proxy.user is not None:
        token = base64.b64encode(
            f"{proxy.user}:{proxy.password or ''}".encode()).decode()
        request += f"Proxy-Authorization: Basic {token}\r\n"
    writer.write((request + "\r\n").encode())
    await writer.drain()
    status = await reader.readline()
    fields = status.split(b" ", 2)
    if len(fields) < 2 or not fields[0].startswith(b"HTTP/1.") \
            or not fields[1].isdigit():
        raise _refused("proxy_protocol", "not an HTTP reply to CONNECT")
    # The header block, up to the empty line (bounded).
    for _ in range(100):
        line = await reader.readline()
        if line in (b"\r\n", b"\n"):
            break
        if not line:
            raise _refused("proxy_protocol", "the proxy closed the connection")
    else:
        raise _refused("proxy_protocol", "too many header lines")
    code = int(fields[1])
    if 200 <= code < 300:
        return
    if code == 407:
        detail = ("proxy_auth_failed" if proxy.user is not None
                  else "proxy_auth_required")
    elif code == 403:
        detail = "proxy_not_allowed"
    elif code in (502, 503):
        detail = "proxy_host_unreachable"
    elif code == 504:
        detail = "proxy_timeout"
    elif code in (405, 501):
        detail = "proxy_command_not_supported"
    else:
        detail = "proxy_failure"
    raise _refused(detail, f"CONNECT {authority}: "
                   f"{status.decode('latin-1').strip()}")


async def open_tunnel(proxy: ProxyUrl, host: str, port: int,
                      local_address: Optional[str] = None):
    """Connects to `proxy` and asks it for a tunnel to `host`:`port`.
    Returns the (reader, writer) of the tunnel. Raises OSError for the
    connection to the proxy, SmtpConnectError (detail proxy_*) for a
    refusal or a malformed reply."""
    local = (local_address, 0) if local_address is not None else None
    reader, writer = await asyncio.open_connection(proxy.host, proxy.port,
                                                   local_addr=local)
    try:
        if proxy.kind == "socks5":
            await _socks5(reader, writer, proxy, host, port)
        else:
            await _http_connect(reader, writer, proxy, host, port)
    except asyncio.IncompleteReadError as e:
        writer.close()
        raise _refused("proxy_protocol",
                       "the proxy closed the connection") from e
    except BaseException:
        writer.close()
        raise
    return reader, writer
