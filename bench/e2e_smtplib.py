#!/usr/bin/env python3
"""Python smtplib client for bench/e2e.sh: --conc threads, each with its own
connection, send --count messages (the file's bytes) in total, each thread
its share on one connection; --ca turns on STARTTLS verified by that CA."""

import argparse
import smtplib
import ssl
import sys
import threading


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--conc", type=int, required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--file", required=True)
    p.add_argument("--from", dest="frm", required=True)
    p.add_argument("--to", required=True)
    p.add_argument("--ca", default=None)
    a = p.parse_args()
    with open(a.file, "rb") as f:
        body = f.read()
    ctx = ssl.create_default_context(cafile=a.ca) if a.ca else None
    failures = []

    def worker(n):
        try:
            with smtplib.SMTP("127.0.0.1", a.port, timeout=120) as s:
                s.ehlo("e2e.smtpc.test")
                if ctx is not None:
                    s.starttls(context=ctx)
                    s.ehlo("e2e.smtpc.test")
                for _ in range(n):
                    s.sendmail(a.frm, [a.to], body)
        except Exception as e:  # reported, the exit code says it
            failures.append(repr(e))

    shares = [a.count // a.conc + (1 if i < a.count % a.conc else 0)
              for i in range(a.conc)]
    threads = [threading.Thread(target=worker, args=(n,)) for n in shares]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        sys.stderr.write("smtplib: %d failed: %s\n" % (len(failures), failures[0]))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
