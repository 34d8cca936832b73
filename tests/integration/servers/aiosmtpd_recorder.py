#!/usr/bin/python3
"""aiosmtpd_recorder.py: an aiosmtpd sink that records every transaction, for the smtpcore interop tests.

Two listeners on 127.0.0.1 (Debian's python3-aiosmtpd 1.4.3):
  --port      plain, STARTTLS offered; AUTH PLAIN/LOGIN offered after STARTTLS only.
  --tls-port  implicit TLS (TLS from the first byte); AUTH PLAIN/LOGIN offered.
Both: SMTPUTF8, 8BITMIME, SIZE --size-limit (aiosmtpd refuses MAIL with a larger SIZE= with 552, and a larger
DATA with 552), no CHUNKING (aiosmtpd 1.4 has no BDAT). AUTH is optional: any sender may send to any recipient
except rejected@... (550 5.1.1 at RCPT) and tempfail@... (450 4.2.0 at RCPT).

Every transaction that reaches the end of DATA is recorded in --record-dir as three files:
  NNNN.wire     the exact bytes the client sent after the 354 reply, up to and including the final ".\\r\\n":
                still dot-stuffed, no normalisation at all (captured from aiosmtpd's stream reader).
  NNNN.content  envelope.original_content: the same bytes after aiosmtpd removed the stuffed leading dots
                (RFC 5321 section 4.5.2) and the terminator; aiosmtpd does NOT touch bare CR or LF, it splits
                lines on CRLF only.
  NNNN.json     written last (atomically): the envelope and session facts, see record() below.
A test waits for NNNN.json, then reads the other two.
"""

import argparse
import asyncio
import hashlib
import json
import os
import signal
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class TeeReader:
    """TeeReader wraps an asyncio.StreamReader and keeps a copy of every byte read through it."""

    def __init__(self, inner):
        self._inner = inner
        self.buf = bytearray()

    async def readuntil(self, separator=b"\n"):
        data = await self._inner.readuntil(separator)
        self.buf += data
        return data

    async def read(self, n=-1):
        data = await self._inner.read(n)
        self.buf += data
        return data

    async def readline(self):
        data = await self._inner.readline()
        self.buf += data
        return data

    def __getattr__(self, name):
        return getattr(self._inner, name)


class RecordingSMTP(SMTP):
    """RecordingSMTP captures the raw DATA bytes and the AUTH mechanism for the handler."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.wire_data = None
        self.auth_mechanism = None

    async def smtp_AUTH(self, arg):
        self.auth_mechanism = arg.split()[0].upper() if arg and arg.split() else None
        await super().smtp_AUTH(arg)

    async def smtp_DATA(self, arg):
        inner = self._reader
        tee = TeeReader(inner)
        self._reader = tee
        self.wire_data = tee.buf
        try:
            await super().smtp_DATA(arg)
        finally:
            self._reader = inner
            self.wire_data = None


class RecordingHandler:
    def __init__(self, record_dir, rejected, tempfail):
        self.record_dir = record_dir
        self.rejected = rejected
        self.tempfail = tempfail
        existing = [int(n.split(".")[0]) for n in os.listdir(record_dir) if n.endswith(".json")]
        self.counter = max(existing, default=0)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@")[0].lower()
        if local in self.rejected:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        if local in self.tempfail:
            return f"450 4.2.0 <{address}>: Mailbox temporarily unavailable"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.append(list(rcpt_options))
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        self.counter += 1
        n = self.counter
        base = os.path.join(self.record_dir, "%04d" % n)
        wire = bytes(server.wire_data) if server.wire_data is not None else b""
        content = envelope.original_content or b""
        with open(base + ".wire", "wb") as f:
            f.write(wire)
        with open(base + ".content", "wb") as f:
            f.write(content)
        # Works for both STARTTLS (aiosmtpd's SSLProtocol app transport) and implicit TLS.
        obj = server.transport.get_extra_info("ssl_object") if server.transport else None
        tls = {"version": obj.version(), "cipher": obj.cipher()[0]} if obj is not None else None
        login = getattr(session.auth_data, "login", None)
        if isinstance(login, bytes):
            login = login.decode("utf-8", "replace")
        record = {
            "id": n,
            "peer": list(session.peer) if session.peer else None,
            "ehlo": session.host_name,
            "tls": tls,
            "auth_user": login if session.authenticated else None,
            "auth_mechanism": server.auth_mechanism if session.authenticated else None,
            "mail_from": envelope.mail_from,
            "mail_options": list(envelope.mail_options),
            "rcpt_tos": list(envelope.rcpt_tos),
            "rcpt_options": [list(o) for o in envelope.rcpt_options],
            "smtputf8": bool(envelope.smtp_utf8),
            "body_command": "DATA",
            "wire_file": os.path.basename(base + ".wire"),
            "wire_size": len(wire),
            "content_file": os.path.basename(base + ".content"),
            "content_size": len(content),
            "content_sha256": hashlib.sha256(content).hexdigest(),
        }
        tmp = base + ".json.tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(record, f, ensure_ascii=False, indent=1)
            f.write("\n")
        os.rename(tmp, base + ".json")
        return f"250 2.0.0 OK: recorded as {n}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--tls-port", type=int, required=True)
    ap.add_argument("--record-dir", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--size-limit", type=int, default=1048576)
    ap.add_argument("--hostname", default="aiosmtpd.test")
    ap.add_argument("--ready-file", help="created once both listeners are up")
    args = ap.parse_args()

    os.makedirs(args.record_dir, exist_ok=True)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    handler = RecordingHandler(args.record_dir, rejected={"rejected"}, tempfail={"tempfail"})
    user = args.user.encode()
    password = args.password.encode()

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login == user
              and auth_data.password == password)
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)

    def factory(implicit_tls):
        def make():
            return RecordingSMTP(
                handler,
                data_size_limit=args.size_limit,
                enable_SMTPUTF8=True,
                decode_data=False,
                hostname=args.hostname,
                tls_context=None if implicit_tls else ctx,
                authenticator=authenticator,
                # On the implicit-TLS port aiosmtpd does not know the session is encrypted (it only tracks
                # its own STARTTLS), so its "AUTH needs TLS" check must be off there.
                auth_require_tls=not implicit_tls,
                timeout=60,
                loop=loop,
            )
        return make

    plain = loop.run_until_complete(loop.create_server(factory(False), "127.0.0.1", args.port))
    tls = loop.run_until_complete(loop.create_server(factory(True), "127.0.0.1", args.tls_port, ssl=ctx))
    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
    if args.ready_file:
        with open(args.ready_file, "w") as f:
            f.write("%d\n" % os.getpid())
    print("aiosmtpd recorder: plain+STARTTLS on 127.0.0.1:%d, implicit TLS on 127.0.0.1:%d, records in %s"
          % (args.port, args.tls_port, args.record_dir), flush=True)
    loop.run_until_complete(stop)
    plain.close()
    tls.close()
    loop.run_until_complete(plain.wait_closed())
    loop.run_until_complete(tls.wait_closed())
    loop.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
