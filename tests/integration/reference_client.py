#!/usr/bin/python3
"""reference_client.py: a stand-in for `smtpc send`, built on Python's smtplib, for the interop harness.

It takes the `smtpc send` flags of issue 5 and follows the same contract (exit codes, JSON object), so the
harness and the servers can be proven before our CLI exists, and so the contract is written down in code:

  reference_client.py send --server HOST[:PORT] --from ADDR --to ADDR [--to ADDR ...] [--data FILE|-]
      [--tls none|opportunistic|starttls|implicit] [--ca-file PEM] [--insecure]
      [--client-cert PEM --client-key PEM] [--user U (--password P | --password-file F | --oauth-token T)]
      [--auth MECH[,MECH...]] [--ehlo NAME] [--8bitmime] [--smtputf8] [--requiretls]
      [--dsn-notify LIST] [--dsn-ret FULL|HDRS] [--envid ID] [--chunking auto|never]
      [--pipelining auto|never] [--timeout SECONDS] [--trace] [--json]

Exit status: 0 every recipient accepted; 2 partial (some recipients rejected, message accepted for the
others); 3 temporary failure (4xx, timeout, connection); 4 permanent failure (5xx, or a local refusal the server
would make permanently: message too large, missing 8BITMIME/SMTPUTF8/REQUIRETLS/AUTH); 5 protocol or TLS error
(handshake, verification, STARTTLS required but not offered, malformed reply, SCRAM server signature wrong);
64 usage error.

Message bytes: the input is CRLF-normalised (CRLF, bare LF and bare CR each become CRLF) and a final CRLF is
added when the input does not end with a line break; that is exactly what a server must store. With DATA the
bytes are dot-stuffed (RFC 5321 section 4.5.2) and ".\\r\\n" terminates; with BDAT (RFC 3030; used when the
server offers CHUNKING and --chunking is auto) they are sent as they are.

Differences from our CLI that do not change results: no PIPELINING (commands go one at a time), no SIZE
pre-check (the server refuses with 552, which is what the harness wants to see), DSN parameters are dropped
with a warning when the server does not offer DSN.
"""

import argparse
import base64
import hashlib
import hmac
import json
import os
import re
import smtplib
import socket
import ssl
import sys

EXIT_OK, EXIT_PARTIAL, EXIT_TEMPORARY, EXIT_PERMANENT, EXIT_PROTOCOL, EXIT_USAGE = 0, 2, 3, 4, 5, 64

# Error kinds use the names of smtpcore's ErrorDetailName (core/errors.cc) and map to exit codes as below.
_PROTOCOL_KINDS = {"tls_handshake", "tls_verification", "tls_required", "needs_starttls", "starttls_injection",
                   "malformed_reply", "unexpected_reply", "bad_challenge", "auth_mechanism", "insecure_auth",
                   "too_many_challenges"}
_TEMPORARY_KINDS = {"connection_closed", "io", "timeout", "service_closing"}
_PERMANENT_LOCAL_KINDS = {"message_too_large", "needs_8bitmime", "needs_smtputf8", "needs_requiretls",
                          "needs_auth"}
_PREFERRED_MECHS = ["SCRAM-SHA-256", "SCRAM-SHA-1", "CRAM-MD5", "PLAIN", "LOGIN"]
_ENHANCED = re.compile(r"^([245]\.\d{1,3}\.\d{1,3})(?:\s+|$)")


class ClientError(Exception):
    """ClientError ends the session with an error kind, and the server reply that caused it if any."""

    def __init__(self, kind, message, code=None, text=None, command=None):
        super().__init__(message)
        self.kind = kind
        self.code = code
        self.text = text
        self.command = command

    def exit_code(self):
        if self.kind in ("rejected", "auth_failed"):
            if self.code is not None and 400 <= self.code < 500:
                return EXIT_TEMPORARY
            return EXIT_PERMANENT
        if self.kind in _TEMPORARY_KINDS:
            return EXIT_TEMPORARY
        if self.kind in _PERMANENT_LOCAL_KINDS:
            return EXIT_PERMANENT
        return EXIT_PROTOCOL


class UsageError(Exception):
    pass


class _ArgParser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


def split_reply(code, text):
    """split_reply returns (enhanced_code or None, text without it) for a reply from smtplib."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    first = text.split("\n")[0]
    m = _ENHANCED.match(first)
    if m and str(code)[0] == m.group(1)[0]:
        return m.group(1), first[m.end():]
    return None, first


def reply_line(code, text):
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return "%d %s" % (code, text.split("\n")[0])


class TracingSMTP(smtplib.SMTP):
    """TracingSMTP prints C:/S: lines to stderr when trace is on; AUTH payloads are redacted."""

    trace = False
    redact = False

    def send(self, s):
        if self.trace:
            data = s.encode(self.command_encoding) if isinstance(s, str) else s
            if self.redact and not data.upper().startswith(b"AUTH"):
                print("C: <redacted>", file=sys.stderr)
            elif data.upper().startswith(b"AUTH") and b" " in data.strip()[5:]:
                print("C: " + data.decode("utf-8", "replace").split(" ")[0] + " "
                      + data.decode("utf-8", "replace").split(" ")[1].strip() + " <redacted>", file=sys.stderr)
            elif len(data) > 200 or data.count(b"\r\n") > 1:
                first = data.split(b"\r\n", 1)[0]
                if first.upper().startswith(b"BDAT"):
                    print("C: " + first.decode("ascii", "replace"), file=sys.stderr)
                print("C: <%d bytes of message data>" % (len(data) - (len(first) + 2 if first.upper()
                      .startswith(b"BDAT") else 0)), file=sys.stderr)
            else:
                print("C: " + data.decode("utf-8", "replace").rstrip("\r\n"), file=sys.stderr)
        super().send(s)

    def getreply(self):
        code, msg = super().getreply()
        if self.trace:
            lines = msg.decode("utf-8", "replace").split("\n")
            for i, line in enumerate(lines):
                print("S: %d%s%s" % (code, "-" if i < len(lines) - 1 else " ", line), file=sys.stderr)
        return code, msg


class TracingSMTP_SSL(TracingSMTP, smtplib.SMTP_SSL):
    pass


# --- SASL mechanisms: initial() -> bytes or None; step(challenge bytes) -> bytes; finish() checks the end.

class Plain:
    def __init__(self, user, password):
        self.data = b"\0" + user.encode() + b"\0" + password.encode()

    def initial(self):
        return self.data

    def step(self, challenge):
        return self.data

    def finish(self):
        pass


class Login:
    def __init__(self, user, password):
        self.answers = [user.encode(), password.encode()]
        self.n = 0

    def initial(self):
        return None

    def step(self, challenge):
        answer = self.answers[min(self.n, 1)]
        self.n += 1
        return answer

    def finish(self):
        pass


class CramMd5:
    def __init__(self, user, password):
        self.user, self.password = user, password

    def initial(self):
        return None

    def step(self, challenge):
        digest = hmac.new(self.password.encode(), challenge, hashlib.md5).hexdigest()
        return (self.user + " " + digest).encode()

    def finish(self):
        pass


class Scram:
    """Scram implements SCRAM-SHA-1/-256 (RFC 5802/7677) without channel binding; SASLprep is not applied."""

    def __init__(self, user, password, hash_name):
        self.hash_name = hash_name
        self.password = password.encode()
        name = user.replace("=", "=3D").replace(",", "=2C")
        self.cnonce = base64.b64encode(os.urandom(18)).decode()
        self.first_bare = "n=%s,r=%s" % (name, self.cnonce)
        self.state = 0
        self.server_signature = None
        self.verified = False

    def initial(self):
        return ("n,," + self.first_bare).encode()

    def _hmac(self, key, msg):
        return hmac.new(key, msg, self.hash_name).digest()

    def step(self, challenge):
        text = challenge.decode("utf-8", "replace")
        attrs = dict(kv.split("=", 1) for kv in text.split(",") if "=" in kv)
        if self.state == 0:
            self.state = 1
            try:
                nonce, salt, iterations = attrs["r"], base64.b64decode(attrs["s"]), int(attrs["i"])
            except (KeyError, ValueError) as e:
                raise ClientError("auth_mechanism", "bad SCRAM server-first message: %r" % text) from e
            if not nonce.startswith(self.cnonce) or iterations < 1:
                raise ClientError("auth_mechanism", "SCRAM server nonce or iteration count is wrong")
            salted = hashlib.pbkdf2_hmac(self.hash_name, self.password, salt, iterations)
            client_key = self._hmac(salted, b"Client Key")
            stored_key = hashlib.new(self.hash_name, client_key).digest()
            without_proof = "c=biws,r=" + nonce
            auth_message = ",".join([self.first_bare, text, without_proof]).encode()
            signature = self._hmac(stored_key, auth_message)
            proof = bytes(a ^ b for a, b in zip(client_key, signature))
            self.server_signature = self._hmac(self._hmac(salted, b"Server Key"), auth_message)
            return (without_proof + ",p=" + base64.b64encode(proof).decode()).encode()
        if self.state == 1:
            self.state = 2
            if "e" in attrs:
                raise ClientError("auth_failed", "SCRAM server error: " + attrs["e"])
            if base64.b64decode(attrs.get("v", "")) != self.server_signature:
                raise ClientError("auth_mechanism", "SCRAM server signature does not verify")
            self.verified = True
            return b""
        raise ClientError("too_many_challenges", "unexpected SCRAM challenge")

    def finish(self):
        if not self.verified:
            raise ClientError("auth_mechanism", "server finished SCRAM without a verified server signature")


class XOAuth2:
    def __init__(self, user, token):
        self.data = ("user=%s\x01auth=Bearer %s\x01\x01" % (user, token)).encode()

    def initial(self):
        return self.data

    def step(self, challenge):
        return b""  # the error JSON: answer empty, the server then fails with 535

    def finish(self):
        pass


def make_mechanism(name, user, password, token):
    if name == "XOAUTH2":
        return XOAuth2(user, token)
    if password is None:
        return None
    return {"PLAIN": lambda: Plain(user, password), "LOGIN": lambda: Login(user, password),
            "CRAM-MD5": lambda: CramMd5(user, password),
            "SCRAM-SHA-1": lambda: Scram(user, password, "sha1"),
            "SCRAM-SHA-256": lambda: Scram(user, password, "sha256")}.get(name, lambda: None)()


def normalise(data):
    """normalise returns the CRLF-normalised message with a final CRLF: the bytes a server must store."""
    data = re.sub(rb"\r\n|\r|\n", b"\r\n", data)
    if data and not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data


def dot_stuff(data):
    """dot_stuff doubles a leading '.' on every line of CRLF-normalised data (RFC 5321 section 4.5.2)."""
    return re.sub(rb"(^|\r\n)\.", rb"\1..", data)


def default_message(sender, recipients):
    return ("From: <%s>\r\nTo: %s\r\nSubject: smtpcore test message\r\n"
            "Message-ID: <reference-%s@smtpcore.test>\r\n\r\nThis is a test message.\r\n"
            % (sender, ", ".join("<%s>" % r for r in recipients), os.urandom(6).hex())).encode()


class Session:
    def __init__(self, args):
        self.args = args
        self.out = {"server": None, "tls": None, "capabilities": [], "auth": None, "body_command": None,
                    "recipients": [], "result": None, "status": None, "exit_code": None, "error": None}
        self.smtp = None
        self.tls_mode = None

    # --- helpers
    def cmd(self, line, command):
        try:
            code, text = self.smtp.docmd(line)
        except smtplib.SMTPServerDisconnected as e:
            raise ClientError("connection_closed", str(e), command=command) from e
        except smtplib.SMTPResponseException as e:
            raise ClientError("malformed_reply", str(e), command=command) from e
        if code == -1:
            raise ClientError("malformed_reply", "malformed reply", command=command)
        if code == 421:
            raise ClientError("service_closing", "421 from server", code=code, text=text, command=command)
        return code, text

    def fail(self, kind, code, text, command):
        raise ClientError(kind, reply_line(code, text), code=code, text=text, command=command)

    def tls_context(self, verify):
        a = self.args
        ctx = ssl.create_default_context(cafile=a.ca_file) if a.ca_file else ssl.create_default_context()
        if a.insecure or not verify:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        if a.client_cert:
            ctx.load_cert_chain(a.client_cert, a.client_key)
        return ctx

    def ehlo(self):
        try:
            code, text = self.smtp.ehlo(self.args.ehlo)
            if code == 421:
                self.fail("service_closing", code, text, "EHLO")
            if code != 250:
                code, text = self.smtp.helo(self.args.ehlo)
                if code != 250:
                    self.fail("rejected", code, text, "HELO")
        except smtplib.SMTPServerDisconnected as e:
            raise ClientError("connection_closed", str(e), command="EHLO") from e
        caps = []
        if self.smtp.does_esmtp:
            for line in self.smtp.ehlo_resp.decode("utf-8", "replace").split("\n")[1:]:
                caps.append(line.strip())
        self.out["capabilities"] = caps

    def record_tls(self, verified):
        sock = self.smtp.sock
        self.out["tls"] = {"mode": self.tls_mode, "established": True, "version": sock.version(),
                           "cipher": sock.cipher()[0], "verified": verified}

    # --- the session
    def run(self, message):
        a = self.args
        host, _, port = a.server.rpartition(":") if ":" in a.server else (a.server, "", "25")
        if host.startswith("[") and host.endswith("]"):
            host = host[1:-1]
        port = int(port)
        self.out["server"] = "%s:%d" % (host, port)
        mode = a.tls or {587: "starttls", 465: "implicit"}.get(port, "opportunistic")
        self.tls_mode = mode
        verify = not a.insecure and (mode in ("starttls", "implicit") or bool(a.ca_file))
        timeout = a.timeout if a.timeout else 300
        try:
            if mode == "implicit":
                self.smtp = TracingSMTP_SSL(local_hostname=a.ehlo, timeout=timeout,
                                            context=self.tls_context(verify))
            else:
                self.smtp = TracingSMTP(local_hostname=a.ehlo, timeout=timeout)
            self.smtp.trace = a.trace
            self.smtp._host = host  # smtplib uses it as server_hostname for implicit TLS
            code, text = self.smtp.connect(host, port)
        except ssl.SSLCertVerificationError as e:
            raise ClientError("tls_verification", str(e), command="CONNECT") from e
        except ssl.SSLError as e:
            raise ClientError("tls_handshake", str(e), command="CONNECT") from e
        except socket.timeout as e:
            raise ClientError("timeout", "connect: timed out", command="CONNECT") from e
        except smtplib.SMTPServerDisconnected as e:
            raise ClientError("connection_closed", str(e), command="CONNECT") from e
        except OSError as e:
            raise ClientError("io", "connect: %s" % e, command="CONNECT") from e
        if mode == "implicit":
            self.record_tls(verify)
        if code == 421:
            self.fail("service_closing", code, text, "CONNECT")
        if code != 220:
            self.fail("rejected", code, text, "CONNECT")
        self.ehlo()

        if mode in ("starttls", "opportunistic"):
            offered = self.smtp.has_extn("starttls")
            if not offered and mode == "starttls":
                raise ClientError("needs_starttls", "server does not offer STARTTLS", command="STARTTLS")
            if offered:
                code, text = self.cmd("STARTTLS", "STARTTLS")
                if code != 220:
                    if mode == "starttls":
                        raise ClientError("tls_required", reply_line(code, text), code=code, text=text,
                                          command="STARTTLS")
                else:
                    try:
                        self.smtp.sock = self.tls_context(verify).wrap_socket(
                            self.smtp.sock, server_hostname=host)
                    except ssl.SSLCertVerificationError as e:
                        raise ClientError("tls_verification", str(e), command="STARTTLS") from e
                    except (ssl.SSLError, OSError) as e:
                        raise ClientError("tls_handshake", str(e), command="STARTTLS") from e
                    self.smtp.file = None
                    self.smtp.helo_resp = self.smtp.ehlo_resp = None
                    self.smtp.esmtp_features = {}
                    self.smtp.does_esmtp = False
                    self.record_tls(verify)
                    self.ehlo()
        if self.out["tls"] is None:
            self.out["tls"] = {"mode": mode, "established": False}
        tls_on = self.out["tls"]["established"]

        if a.user:
            self.authenticate(tls_on)

        # MAIL FROM
        recipients = a.to
        utf8 = a.smtputf8 or any(ord(c) > 127 for c in a.sender + "".join(recipients))
        eight_bit = a.eightbitmime or any(b > 127 for b in message)
        params = []
        if self.smtp.has_extn("size"):
            params.append("SIZE=%d" % len(message))
        if eight_bit:
            if not self.smtp.has_extn("8bitmime"):
                raise ClientError("needs_8bitmime", "server does not offer 8BITMIME", command="MAIL")
            params.append("BODY=8BITMIME")
        if utf8:
            if not self.smtp.has_extn("smtputf8"):
                raise ClientError("needs_smtputf8", "server does not offer SMTPUTF8", command="MAIL")
            params.append("SMTPUTF8")
            self.smtp.command_encoding = "utf-8"
        if a.requiretls:
            if not (self.smtp.has_extn("requiretls") and tls_on):
                raise ClientError("needs_requiretls", "REQUIRETLS not offered or not over TLS", command="MAIL")
            params.append("REQUIRETLS")
        dsn = self.smtp.has_extn("dsn")
        if (a.dsn_ret or a.envid or a.dsn_notify) and not dsn:
            print("warning: server does not offer DSN; --dsn-* and --envid are not sent", file=sys.stderr)
        if dsn and a.dsn_ret:
            params.append("RET=" + a.dsn_ret.upper())
        if dsn and a.envid:
            params.append("ENVID=" + xtext(a.envid))
        code, text = self.cmd("MAIL FROM:<%s>%s" % (a.sender, "".join(" " + p for p in params)), "MAIL")
        if code != 250:
            self.fail("rejected", code, text, "MAIL")

        accepted = 0
        first_refusal = None
        for r in recipients:
            rparams = " NOTIFY=" + a.dsn_notify.upper() if (dsn and a.dsn_notify) else ""
            code, text = self.cmd("RCPT TO:<%s>%s" % (r, rparams), "RCPT")
            enhanced, rest = split_reply(code, text)
            ok = code in (250, 251)
            self.out["recipients"].append({"address": r, "accepted": ok, "code": code, "enhanced_code": enhanced,
                                           "text": rest})
            if ok:
                accepted += 1
            elif first_refusal is None:
                first_refusal = (code, text)
        if accepted == 0:
            codes = [x["code"] for x in self.out["recipients"]]
            code, text = first_refusal
            if any(400 <= c < 500 for c in codes):
                code, text = next((x["code"], x["text"]) for x in self.out["recipients"] if 400 <= x["code"] < 500)
            self.quit()
            self.fail("rejected", code, text, "RCPT")

        if a.chunking == "auto" and self.smtp.has_extn("chunking"):
            self.out["body_command"] = "BDAT"
            code, text = self.send_bdat(message)
            command = "BDAT"
        else:
            self.out["body_command"] = "DATA"
            code, text = self.cmd("DATA", "DATA")
            if code != 354:
                self.fail("rejected", code, text, "DATA")
            try:
                self.smtp.send(dot_stuff(message) + b".\r\n")
                code, text = self.smtp.getreply()
            except smtplib.SMTPServerDisconnected as e:
                raise ClientError("connection_closed", str(e), command="DATA") from e
            command = "DATA"
        enhanced, rest = split_reply(code, text)
        self.out["result"] = {"code": code, "enhanced_code": enhanced, "text": rest}
        if code == 421:
            self.fail("service_closing", code, text, command)
        if code != 250:
            self.fail("rejected", code, text, command)
        self.quit()
        return EXIT_OK if accepted == len(recipients) else EXIT_PARTIAL

    def send_bdat(self, message, chunk_size=65536):
        chunks = [message[i:i + chunk_size] for i in range(0, len(message), chunk_size)] or [b""]
        for i, chunk in enumerate(chunks):
            last = i == len(chunks) - 1
            try:
                self.smtp.send(b"BDAT %d%s\r\n" % (len(chunk), b" LAST" if last else b"") + chunk)
                code, text = self.smtp.getreply()
            except smtplib.SMTPServerDisconnected as e:
                raise ClientError("connection_closed", str(e), command="BDAT") from e
            if code != 250 or last:
                return code, text
        raise AssertionError("unreachable")

    def authenticate(self, tls_on):
        a = self.args
        if not self.smtp.has_extn("auth"):
            raise ClientError("needs_auth", "server does not offer AUTH", command="AUTH")
        offered = self.smtp.esmtp_features["auth"].upper().split()
        wanted = [m.strip().upper() for m in a.auth.split(",")] if a.auth else (
            ["XOAUTH2"] if a.oauth_token else _PREFERRED_MECHS)
        choice = next((m for m in wanted if m in offered), None)
        if choice is None:
            raise ClientError("needs_auth", "no usable AUTH mechanism: offered %s, allowed %s"
                              % (" ".join(offered), ",".join(wanted)), command="AUTH")
        if choice in ("PLAIN", "LOGIN", "XOAUTH2") and not tls_on and not a.insecure:
            raise ClientError("insecure_auth", "refusing to send %s credentials without TLS (use --insecure)"
                              % choice, command="AUTH")
        mech = make_mechanism(choice, a.user, a.password, a.oauth_token)
        if mech is None:
            raise ClientError("needs_auth", "mechanism %s is not supported" % choice, command="AUTH")
        self.smtp.redact = True
        try:
            initial = mech.initial()
            line = "AUTH " + choice
            if initial is not None:
                line += " " + (base64.b64encode(initial).decode() if initial else "=")
            code, text = self.cmd(line, "AUTH")
            rounds = 0
            while code == 334:
                rounds += 1
                if rounds > 10:
                    raise ClientError("too_many_challenges", "too many AUTH challenges", command="AUTH")
                raw = text if isinstance(text, bytes) else text.encode()
                try:
                    challenge = base64.b64decode(raw.strip(), validate=True) if raw.strip() else b""
                except ValueError as e:
                    self.smtp.send("*\r\n")
                    raise ClientError("bad_challenge", "334 payload is not base64", command="AUTH") from e
                response = mech.step(challenge)
                code, text = self.cmd(base64.b64encode(response).decode(), "AUTH")
        finally:
            self.smtp.redact = False
        if code != 235:
            self.fail("auth_failed", code, text, "AUTH")
        mech.finish()
        self.out["auth"] = {"mechanism": choice, "user": a.user}

    def quit(self):
        try:
            self.smtp.quit()
        except (smtplib.SMTPException, OSError):
            pass


def xtext(s):
    return "".join(c if 33 <= ord(c) <= 126 and c not in "+=" else "+%02X" % ord(c) for c in s)


def parse_args(argv):
    p = _ArgParser(prog="reference_client.py", description="smtpc send stand-in (see module docstring)")
    sub = p.add_subparsers(dest="command")
    s = sub.add_parser("send")
    s.error = p.error
    s.add_argument("--server", required=True)
    s.add_argument("--from", dest="sender", required=True)
    s.add_argument("--to", action="append", required=True)
    s.add_argument("--data")
    s.add_argument("--tls", choices=["none", "opportunistic", "starttls", "implicit"])
    s.add_argument("--ca-file")
    s.add_argument("--insecure", action="store_true")
    s.add_argument("--client-cert")
    s.add_argument("--client-key")
    s.add_argument("--user")
    s.add_argument("--password")
    s.add_argument("--password-file")
    s.add_argument("--oauth-token")
    s.add_argument("--auth")
    s.add_argument("--ehlo", default="client.smtpcore.test")
    s.add_argument("--8bitmime", dest="eightbitmime", action="store_true")
    s.add_argument("--smtputf8", action="store_true")
    s.add_argument("--requiretls", action="store_true")
    s.add_argument("--dsn-notify")
    s.add_argument("--dsn-ret", choices=["FULL", "HDRS", "full", "hdrs"])
    s.add_argument("--envid")
    s.add_argument("--chunking", choices=["auto", "never"], default="auto")
    s.add_argument("--pipelining", choices=["auto", "never"], default="auto")
    s.add_argument("--timeout", type=float)
    s.add_argument("--trace", action="store_true")
    s.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    if args.command != "send":
        raise UsageError("a command is required: send")
    if bool(args.client_cert) != bool(args.client_key):
        raise UsageError("--client-cert and --client-key go together")
    secrets = [x for x in (args.password, args.password_file, args.oauth_token) if x]
    if args.user and len(secrets) != 1:
        raise UsageError("--user needs exactly one of --password, --password-file, --oauth-token")
    if secrets and not args.user:
        raise UsageError("--password/--password-file/--oauth-token need --user")
    if args.password_file:
        with open(args.password_file, encoding="utf-8") as f:
            args.password = f.read().rstrip("\r\n")
    if args.timeout is not None and args.timeout <= 0:
        raise UsageError("--timeout must be positive")
    return args


def main(argv):
    try:
        args = parse_args(argv)
        if args.data and args.data != "-":
            with open(args.data, "rb") as f:
                raw = f.read()
        elif args.data == "-":
            raw = sys.stdin.buffer.read()
        else:
            raw = default_message(args.sender, args.to)
    except UsageError as e:
        print("reference_client.py: usage error: %s" % e, file=sys.stderr)
        return EXIT_USAGE
    except OSError as e:
        print("reference_client.py: usage error: %s" % e, file=sys.stderr)
        return EXIT_USAGE

    session = Session(args)
    out = session.out
    try:
        rc = session.run(normalise(raw))
        out["status"] = "ok" if rc == EXIT_OK else "partial"
    except ClientError as e:
        rc = e.exit_code()
        enhanced = split_reply(e.code, e.text)[0] if e.code is not None else None
        out["error"] = {"kind": e.kind, "permanent": rc in (EXIT_PERMANENT, EXIT_PROTOCOL), "code": e.code,
                        "enhanced_code": enhanced, "command": e.command,
                        "line": reply_line(e.code, e.text) if e.code is not None else str(e)}
        out["status"] = {EXIT_TEMPORARY: "temporary", EXIT_PERMANENT: "permanent"}.get(rc, "protocol")
        if session.smtp is not None and e.kind not in _TEMPORARY_KINDS:
            session.quit()
        if not args.json:
            print("error: %s: %s" % (e.kind, out["error"]["line"]), file=sys.stderr)
    out["exit_code"] = rc
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
    elif rc in (EXIT_OK, EXIT_PARTIAL):
        for r in out["recipients"]:
            print("%s %s: %d %s" % ("accepted" if r["accepted"] else "rejected", r["address"], r["code"],
                                    r["text"]))
        print("message %s: %d %s" % (out["body_command"], out["result"]["code"], out["result"]["text"]))
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
