#!/usr/bin/python3
"""mx_fleet.py: the receiving side of "the Internet" for tests/integration/mx_test.sh, on loopback only.

SMTP listeners (aiosmtpd, Debian's python3-aiosmtpd 1.4.3), one per --smtp IP:CERT:KEY, all on --smtp-port, each
offering STARTTLS with its own certificate chain (CERT may hold the leaf and the CA, for DANE-TA). Every message
that reaches the end of DATA is recorded as RECORD_DIR/IP/NNNN.json: envelope, whether TLS was on, the content.

An HTTPS server (http.server + ssl) on 127.0.0.1:--https-port serving MTA-STS policies: GET
/.well-known/mta-sts.txt answers the file POLICY_DIR/<Host header> (text/plain), 404 otherwise.

Readiness: --ready-file is written once every listener is bound; mx_test.sh then probes by protocol (SMTP
banner, HTTP response). SIGTERM/SIGINT stop everything.
"""

import argparse
import asyncio
import http.server
import json
import os
import signal
import ssl
import sys
import threading

from aiosmtpd.smtp import SMTP


class Recorder:
    def __init__(self, record_dir, ip):
        self.dir = os.path.join(record_dir, ip)
        os.makedirs(self.dir, exist_ok=True)
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        base = os.path.join(self.dir, "%04d" % self.count)
        obj = server.transport.get_extra_info("ssl_object") if server.transport else None
        record = {
            "mail_from": envelope.mail_from,
            "mail_options": list(envelope.mail_options),
            "rcpt_tos": list(envelope.rcpt_tos),
            "tls": obj.version() if obj is not None else None,
            "content": (envelope.original_content or b"").decode("utf-8", "replace"),
        }
        with open(base + ".json.tmp", "w", encoding="utf-8") as f:
            json.dump(record, f)
        os.rename(base + ".json.tmp", base + ".json")
        return "250 2.0.0 OK: recorded as %d" % self.count


class PolicyHandler(http.server.BaseHTTPRequestHandler):
    policy_dir = None

    def do_GET(self):
        host = (self.headers.get("Host") or "").split(":")[0].lower()
        path = os.path.join(self.policy_dir, host)
        if self.path != "/.well-known/mta-sts.txt" or "/" in host or not os.path.isfile(path):
            self.send_error(404)
            return
        with open(path, "rb") as f:
            body = f.read()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        sys.stderr.write("https: " + (fmt % args) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--smtp", action="append", default=[], help="IP:CERT:KEY (repeatable)")
    ap.add_argument("--smtp-port", type=int, required=True)
    ap.add_argument("--record-dir", required=True)
    ap.add_argument("--https-port", type=int, required=True)
    ap.add_argument("--https-cert", required=True)
    ap.add_argument("--https-key", required=True)
    ap.add_argument("--policy-dir", required=True)
    ap.add_argument("--ready-file", required=True)
    args = ap.parse_args()

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    servers = []
    for spec in args.smtp:
        ip, cert, key = spec.split(":", 2)
        if not ip.startswith("127."):
            sys.exit("mx_fleet: loopback addresses only, not " + ip)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        recorder = Recorder(args.record_dir, ip)

        def make(recorder=recorder, ctx=ctx, ip=ip):
            return SMTP(recorder, tls_context=ctx, require_starttls=False, hostname="mx-" + ip,
                        decode_data=False, timeout=60, loop=loop)

        servers.append(loop.run_until_complete(loop.create_server(make, ip, args.smtp_port)))

    PolicyHandler.policy_dir = args.policy_dir
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", args.https_port), PolicyHandler)
    hctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    hctx.load_cert_chain(args.https_cert, args.https_key)
    httpd.socket = hctx.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()

    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
    with open(args.ready_file, "w") as f:
        f.write("%d\n" % os.getpid())
    loop.run_until_complete(stop)
    httpd.shutdown()
    for s in servers:
        s.close()
    loop.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
