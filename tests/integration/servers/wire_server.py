#!/usr/bin/python3
"""wire_server.py: a small SMTP server on 127.0.0.1 that logs, per connection, the client's address and every
line it sent, for reach_test.sh (`smtpc send --quit-after`, `--local-address`, VRFY/EXPN/ETRN exit statuses).

    wire_server.py DIR CERT KEY

Binds 127.0.0.1 port 0 and writes the port to DIR/port (the caller then waits for the 220 banner, which names
"wire.test"). Each connection N writes DIR/conn-N.log: first line "peer IP", then "C: line" per client line
(AUTH payloads included: the test credentials are throwaway), and "END" when the connection closed. Replies:

    EHLO/LHLO   250 with STARTTLS (before TLS), AUTH PLAIN, ETRN, 8BITMIME
    STARTTLS    220, then TLS with CERT/KEY (454 after EHLO refuse-tls.test)
    AUTH PLAIN  235
    MAIL        250
    RCPT        550 5.1.1 for a local part "unknown", 450 4.2.0 for "tempfail", else 250
    DATA        354, then 250 after the end of data
    VRFY        250 <x@wire.test> for "alice", 252 for "maybe", 450 for "tempfail", else 550 5.1.1
    EXPN        250 with two members for "staff", else 550 5.1.1
    ETRN        250 for "wire.test", 251 for "empty.test", 458 for "busy.test", 501 for "bad...", else 459
    QUIT        221 and close
Test infrastructure only: no limits, no security.
"""

import os
import socket
import socketserver
import ssl
import sys
import threading

DIR, CERT, KEY = sys.argv[1], sys.argv[2], sys.argv[3]
COUNTER = [0]
LOCK = threading.Lock()


class Handler(socketserver.StreamRequestHandler):
    def setup(self):
        super().setup()
        with LOCK:
            COUNTER[0] += 1
            self.n = COUNTER[0]
        self.log = open(os.path.join(DIR, "conn-%d.log" % self.n), "w", buffering=1)
        self.log.write("peer %s\n" % self.client_address[0])
        self.tls = False

    def send(self, text):
        self.wfile.write(text.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self):
        self.send("220 wire.test ESMTP reach test server")
        in_data = False
        while True:
            line = self.rfile.readline()
            if not line:
                break
            text = line.decode("utf-8", "replace").rstrip("\r\n")
            if in_data:
                if text == ".":
                    in_data = False
                    self.log.write("C: .\n")
                    self.send("250 2.0.0 queued")
                continue
            self.log.write("C: %s\n" % text)
            verb, _, arg = text.partition(" ")
            verb = verb.upper()
            if verb in ("EHLO", "LHLO", "HELO"):
                self.ehlo_name = arg.strip()
            if verb in ("EHLO", "LHLO"):
                lines = ["wire.test"]
                if not self.tls:
                    lines.append("STARTTLS")
                lines += ["AUTH PLAIN", "ETRN", "8BITMIME"]
                for i, l in enumerate(lines):
                    self.send(("250 " if i == len(lines) - 1 else "250-") + l)
            elif verb == "HELO":
                self.send("250 wire.test")
            elif verb == "STARTTLS" and getattr(self, "ehlo_name", "") == "refuse-tls.test":
                self.send("454 4.7.0 TLS not available")
            elif verb == "STARTTLS" and not self.tls:
                self.send("220 2.0.0 go ahead")
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                ctx.load_cert_chain(CERT, KEY)
                conn = ctx.wrap_socket(self.connection, server_side=True)
                self.connection = self.request = conn
                self.rfile = conn.makefile("rb")
                self.wfile = conn.makefile("wb")
                self.tls = True
                self.log.write("TLS %s\n" % conn.version())
            elif verb == "AUTH":
                self.send("235 2.7.0 authenticated")
            elif verb == "MAIL":
                self.send("250 2.1.0 ok")
            elif verb == "RCPT":
                local = arg.split(":", 1)[-1].strip().strip("<>").split("@")[0].lower()
                if local == "unknown":
                    self.send("550 5.1.1 no such user")
                elif local == "tempfail":
                    self.send("450 4.2.0 try later")
                else:
                    self.send("250 2.1.5 ok")
            elif verb == "DATA":
                in_data = True
                self.send("354 go ahead")
            elif verb == "VRFY":
                a = arg.strip().lower()
                if a == "alice":
                    self.send("250 2.1.5 Alice Example <alice@wire.test>")
                elif a == "maybe":
                    self.send("252 2.1.5 cannot verify, will try")
                elif a == "tempfail":
                    self.send("450 4.2.0 try later")
                else:
                    self.send("550 5.1.1 no such user")
            elif verb == "EXPN":
                if arg.strip().lower() == "staff":
                    self.send("250-2.1.5 Alice Example <alice@wire.test>")
                    self.send("250 2.1.5 <bob@wire.test>")
                else:
                    self.send("550 5.1.1 no such list")
            elif verb == "ETRN":
                node = arg.strip().lower()
                if node == "wire.test":
                    self.send("250 OK, queuing for node wire.test started")
                elif node == "empty.test":
                    self.send("251 OK, no messages waiting for node empty.test")
                elif node == "busy.test":
                    self.send("458 Unable to queue messages for node busy.test")
                elif node.startswith("bad"):
                    self.send("501 Syntax Error in Parameters")
                else:
                    self.send("459 Node %s not allowed: unknown" % node)
            elif verb == "QUIT":
                self.send("221 2.0.0 bye")
                break
            elif verb in ("NOOP", "RSET"):
                self.send("250 2.0.0 ok")
            else:
                self.send("502 5.5.2 not implemented")

    def finish(self):
        try:
            super().finish()
        except OSError:
            pass
        self.log.write("END\n")
        self.log.close()


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    server = Server(("127.0.0.1", 0), Handler)
    port = server.server_address[1]
    with open(os.path.join(DIR, "port.tmp"), "w") as f:
        f.write("%d\n" % port)
    os.rename(os.path.join(DIR, "port.tmp"), os.path.join(DIR, "port"))
    server.serve_forever()


if __name__ == "__main__":
    main()
