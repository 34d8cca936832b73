#!/usr/bin/python3
"""check.py: message generator and assertions for interop_test.sh (stdlib only; run with /usr/bin/python3).

  gen KIND TOKEN OUT [--to ADDR] [--from ADDR] [--size BYTES]
      writes a test message of KIND (simple, dots, firstdot, eightbit, utf8, big) whose headers carry TOKEN.
  json FILE EXPR...
      asserts on a JSON object (the client's --json output, or a recorder record). EXPR is one of
        path=value    equal (value parsed as JSON when it parses, else a string)
        path!=value   not equal
        path~regex    str(value) matches regex (re.search)
        path?         present and not null
        A || B        either assertion holds
      path is dot-separated; integers index lists ("recipients.1.code").
  maildir MAILDIR TOKEN INPUT [--timeout S] [--received REGEX] [--count N]
      waits for the message whose headers contain TOKEN in MAILDIR/new and asserts that it is exactly
      Postfix's prepended headers (Return-Path, X-Original-To, Delivered-To, Received, with continuation lines)
      followed by the CRLF-normalised INPUT written with LF line endings (virtual(8) stores LF).
      --received: a regex the prepended headers must match. --count: how many such messages (default 1).
  absent MAILDIR TOKEN [--wait S]
      asserts that no message in MAILDIR/new contains TOKEN (after waiting S seconds).
  grep MAILDIR REGEX [--timeout S]
      waits for a message in MAILDIR/new whose bytes match REGEX (e.g. a DSN's Original-Envelope-Id).
  record DIR TOKEN INPUT [--timeout S] [EXPR...]
      finds the aiosmtpd record whose content contains TOKEN and asserts NNNN.content == CRLF-normalised
      INPUT and NNNN.wire == dot-stuffed CRLF-normalised INPUT + ".\\r\\n"; EXPRs are checked on NNNN.json.
  norecord DIR TOKEN
      asserts that no record contains TOKEN.
  log FILE OFFSET REGEX [--timeout S]
      waits until the part of FILE after byte OFFSET matches REGEX (multi-line mode).

maildir, grep, record and log poll for what they wait for (Postfix delivers asynchronously) and pass as soon as
it is there; the --timeout limit (default 60 s) only ends a failing check, so it is generous: a loaded machine
must not turn a slow delivery into a failure.

Several subcommands may be given in one call, separated by ":::"; all run, and the exit status is 1 when any
failed.

"CRLF-normalised": every CRLF, bare LF and bare CR becomes CRLF, and a CRLF is added when the input does not
end with a line break. Exit status 0 when every assertion holds, 1 otherwise (reasons on stdout).
"""

import argparse
import json
import os
import re
import sys
import time

# DEFAULT_TIMEOUT (seconds) bounds the polls of maildir, grep, record and log: see the docstring.
DEFAULT_TIMEOUT = 60

_PREPENDED = re.compile(rb"^(?:(?:Return-Path|X-Original-To|Delivered-To|Received):[^\n]*\n(?:[ \t][^\n]*\n)*)*\Z")


def normalise(data):
    data = re.sub(rb"\r\n|\r|\n", b"\r\n", data)
    if data and not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data


def dot_stuff(data):
    out = []
    for line in data.split(b"\r\n"):
        out.append(b"." + line if line.startswith(b".") else line)
    return b"\r\n".join(out)


def first_difference(a, b):
    n = min(len(a), len(b))
    for i in range(n):
        if a[i] != b[i]:
            return i
    return n


def describe_mismatch(what, got, want):
    i = first_difference(got, want)
    return ("%s differs at byte %d (got %d bytes, want %d):\n    got:  %r\n    want: %r"
            % (what, i, len(got), len(want), got[max(0, i - 30):i + 40], want[max(0, i - 30):i + 40]))


# --- gen

def gen(kind, token, rcpt, sender, size):
    hdr = ("From: <%s>\nTo: <%s>\nSubject: interop %s %s\nMessage-ID: <%s@smtpcore.test>\n"
           "Date: Mon, 01 Jan 2024 00:00:00 +0000\n" % (sender, rcpt, kind, token, token))
    if kind == "simple":
        return (hdr + "\nHello %s.\nThis is a plain test message.\n" % token).encode()
    if kind == "dots":
        # Leading dots in every position, bare LF, bare CR, CRLF, a lone "." line in each ending style, the
        # classic smuggling shapes, and a last line without any line break that starts with dots.
        body = (b".leading dot\r\n..two dots\n...three dots\r.\r\n.\n"
                b"smuggle attempt 1\n.\nafter\r\n"
                b"smuggle attempt 2\r\n.\r\nafter\r\n"
                b"smuggle attempt 3\r.\rafter\n"
                b"bare CR then CRLF\r\r\n"
                b"middle . dot and trailing dot .\n"
                b" .space-dot\n\t.tab-dot\n"
                b"\n\n.\n\n"
                b".\r\n.\r\n"
                b"..")
        return hdr.replace("\n", "\r\n").encode() + b"\r\n" + body
    if kind == "firstdot":
        return b".first byte is a dot " + token.encode() + b"\n.\n..\nno final line break: ."
    if kind == "eightbit":
        return (hdr + "MIME-Version: 1.0\nContent-Type: text/plain; charset=iso-8859-1\n"
                "Content-Transfer-Encoding: 8bit\n\n").encode() + (
            b"Latin-1: caf\xe9 na\xefve \xfcber \xa9 \xbf\xa1\n"
            b"high bytes: " + bytes(range(0xa0, 0x100)) + b"\n"
            b"UTF-8 too: \xc3\xa9\xe2\x82\xac\xf0\x9f\x93\xa7\n")
    if kind == "utf8":
        return ("From: Jösé Üser <%s>\nTo: <%s>\nSubject: ünïcödé 📧 %s\nMessage-ID: <%s@smtpcore.test>\n"
                "Date: Mon, 01 Jan 2024 00:00:00 +0000\nMIME-Version: 1.0\n"
                "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
                "Grüße, 你好, مرحبا, 📧 — %s\n" % (sender, rcpt, token, token, token)).encode()
    if kind == "big":
        head = (hdr + "\n").encode()
        line = b"0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz.\n"
        body = bytearray()
        i = 0
        while len(head) + len(body) < size:
            # every 7th line starts with a dot, so big DATA bodies are stuffed too
            body += (b"." if i % 7 == 0 else b"") + line
            i += 1
        return head + bytes(body)
    raise SystemExit("unknown kind " + kind)


# --- json assertions

def lookup(obj, path):
    cur = obj
    for part in path.split("."):
        if isinstance(cur, list):
            try:
                cur = cur[int(part)]
            except (ValueError, IndexError):
                raise KeyError(path)
        elif isinstance(cur, dict) and part in cur:
            cur = cur[part]
        else:
            raise KeyError(path)
    return cur


def parse_value(text):
    try:
        return json.loads(text)
    except ValueError:
        return text


def check_one(obj, expr):
    """check_one returns None when expr holds, else a reason."""
    if " || " in expr:
        reasons = [check_one(obj, e.strip()) for e in expr.split(" || ")]
        return None if any(r is None for r in reasons) else " and ".join(reasons)
    m = re.match(r"^([\w.\-]+)(!=|=|~|\?)(.*)$", expr, re.S)
    if not m:
        return "bad expression %r" % expr
    path, op, want = m.groups()
    try:
        got = lookup(obj, path)
    except KeyError:
        return "%s: missing (expected %s%s)" % (path, op, want)
    if op == "?":
        return None if got is not None else "%s is null" % path
    if op == "~":
        return None if re.search(want, got if isinstance(got, str) else json.dumps(got, ensure_ascii=False)) \
            else "%s = %s does not match /%s/" % (path, json.dumps(got, ensure_ascii=False), want)
    value = parse_value(want)
    equal = got == value or (isinstance(value, (int, float)) is False and str(got) == want)
    if op == "=":
        return None if equal else "%s = %s, expected %s" % (path, json.dumps(got, ensure_ascii=False), want)
    return None if not equal else "%s = %s, expected anything else" % (path, json.dumps(got, ensure_ascii=False))


def check_exprs(obj, exprs, label):
    fails = [r for r in (check_one(obj, e) for e in exprs) if r]
    for r in fails:
        print("%s: %s" % (label, r))
    return not fails


def load_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        print("cannot read %s: %s" % (path, e))
        return None
    lines = [l for l in text.splitlines() if l.strip()]
    if not lines:
        print("no JSON output in %s" % path)
        return None
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        return json.loads(lines[-1])  # one JSON object on the last line, after other output
    except ValueError as e:
        print("not JSON (%s): %r" % (e, text[:300]))
        return None


# --- maildir

def maildir_matches(maildir, token_re):
    found = []
    for sub in ("new", "cur"):
        d = os.path.join(maildir, sub)
        if not os.path.isdir(d):
            continue
        for name in sorted(os.listdir(d)):
            p = os.path.join(d, name)
            try:
                with open(p, "rb") as f:
                    data = f.read()
            except OSError:
                continue
            if token_re.search(data):
                found.append((p, data))
    return found


def cmd_maildir(a):
    with open(a.input, "rb") as f:
        want = normalise(f.read()).replace(b"\r\n", b"\n")
    header_end = want.find(b"\n\n")
    token_re = re.compile(re.escape(a.token.encode()))
    deadline = time.time() + a.timeout
    found = []
    while time.time() < deadline:
        found = [(p, d) for p, d in maildir_matches(a.maildir, token_re)
                 if token_re.search(d[:d.find(b"\n\n") if b"\n\n" in d else len(d)])]
        if len(found) >= a.count:
            break
        time.sleep(0.05)
    if len(found) != a.count:
        print("maildir: %d message(s) with %s in %s, expected %d" % (len(found), a.token, a.maildir, a.count))
        return 1
    ok = True
    for path, data in found:
        if not data.endswith(want):
            # Find where the message proper should start, for a readable report.
            start = data.find(want[:max(header_end, 40)]) if header_end > 0 else -1
            got = data[start:] if start >= 0 else data
            print(describe_mismatch("delivered message %s" % path, got, want))
            ok = False
            continue
        prefix = data[:len(data) - len(want)]
        if not _PREPENDED.match(prefix):
            print("maildir: %s: bytes before the message are not only Postfix's prepended headers:\n%s"
                  % (path, prefix.decode("utf-8", "replace")))
            ok = False
        if a.received and not re.search(a.received.encode(), prefix):
            print("maildir: prepended headers do not match /%s/:\n%s" % (a.received,
                                                                       prefix.decode("utf-8", "replace")))
            ok = False
    return 0 if ok else 1


def cmd_absent(a):
    time.sleep(a.wait)
    found = maildir_matches(a.maildir, re.compile(re.escape(a.token.encode())))
    if found:
        print("maildir: %s was delivered but must not be: %s" % (a.token, [p for p, _ in found]))
        return 1
    return 0


def cmd_grep(a):
    rx = re.compile(a.regex.encode(), re.M)
    deadline = time.time() + a.timeout
    while time.time() < deadline:
        if maildir_matches(a.maildir, rx):
            return 0
        time.sleep(0.1)
    print("maildir: no message in %s matches /%s/ after %ss" % (a.maildir, a.regex, a.timeout))
    return 1


# --- aiosmtpd records

def find_records(record_dir, token):
    out = []
    for name in sorted(os.listdir(record_dir)):
        if not name.endswith(".json"):
            continue
        base = os.path.join(record_dir, name[:-5])
        try:
            with open(base + ".content", "rb") as f:
                content = f.read()
        except OSError:
            continue
        if token.encode() in content:
            out.append(base)
    return out


def cmd_record(a):
    with open(a.input, "rb") as f:
        want = normalise(f.read())
    deadline = time.time() + a.timeout
    bases = []
    while time.time() < deadline:
        bases = find_records(a.dir, a.token)
        if bases:
            break
        time.sleep(0.05)
    if len(bases) != 1:
        print("record: %d transactions with %s in %s, expected 1" % (len(bases), a.token, a.dir))
        return 1
    base = bases[0]
    ok = True
    with open(base + ".content", "rb") as f:
        content = f.read()
    with open(base + ".wire", "rb") as f:
        wire = f.read()
    if content != want:
        print(describe_mismatch("record %s.content (after aiosmtpd's un-stuffing)" % base, content, want))
        ok = False
    want_wire = dot_stuff(want) + b".\r\n"
    if wire != want_wire:
        print(describe_mismatch("record %s.wire (DATA bytes on the wire)" % base, wire, want_wire))
        ok = False
    with open(base + ".json", encoding="utf-8") as f:
        rec = json.load(f)
    return 0 if check_exprs(rec, a.exprs, "record " + base + ".json") and ok else 1


def cmd_norecord(a):
    bases = find_records(a.dir, a.token)
    if bases:
        print("record: %s was recorded but must not be: %s" % (a.token, bases))
        return 1
    return 0


def cmd_log(a):
    rx = re.compile(a.regex, re.M)
    deadline = time.time() + a.timeout
    text = ""
    while True:
        try:
            with open(a.file, "rb") as f:
                f.seek(a.offset)
                text = f.read().decode("utf-8", "replace")
        except OSError:
            text = ""
        if rx.search(text):
            return 0
        if time.time() >= deadline:
            break
        time.sleep(0.05)
    print("log %s: no line matches /%s/ after offset %d; tail:\n%s" % (a.file, a.regex, a.offset,
                                                                       "\n".join(text.splitlines()[-8:])))
    return 1


def main(argv):
    """main runs one subcommand, or several separated by ":::" (one process for all checks of a scenario)."""
    if ":::" in argv:
        groups, cur = [], []
        for arg in argv:
            if arg == ":::":
                groups.append(cur)
                cur = []
            else:
                cur.append(arg)
        groups.append(cur)
        results = [run_one(g) for g in groups if g]
        return 0 if all(r == 0 for r in results) else 1
    return run_one(argv)


def run_one(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gen")
    g.add_argument("kind")
    g.add_argument("token")
    g.add_argument("out")
    g.add_argument("--to", default="rcpt@example.org")
    g.add_argument("--from", dest="sender", default="sender@example.org")
    g.add_argument("--size", type=int, default=1_500_000)
    j = sub.add_parser("json")
    j.add_argument("file")
    j.add_argument("exprs", nargs="*")
    m = sub.add_parser("maildir")
    m.add_argument("maildir")
    m.add_argument("token")
    m.add_argument("input")
    m.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT)
    m.add_argument("--received")
    m.add_argument("--count", type=int, default=1)
    ab = sub.add_parser("absent")
    ab.add_argument("maildir")
    ab.add_argument("token")
    ab.add_argument("--wait", type=float, default=0.5)
    gr = sub.add_parser("grep")
    gr.add_argument("maildir")
    gr.add_argument("regex")
    gr.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT)
    r = sub.add_parser("record")
    r.add_argument("dir")
    r.add_argument("token")
    r.add_argument("input")
    r.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT)
    r.add_argument("exprs", nargs="*")
    nr = sub.add_parser("norecord")
    nr.add_argument("dir")
    nr.add_argument("token")
    lg = sub.add_parser("log")
    lg.add_argument("file")
    lg.add_argument("offset", type=int)
    lg.add_argument("regex")
    lg.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT)
    a = p.parse_args(argv)

    if a.cmd == "gen":
        with open(a.out, "wb") as f:
            f.write(gen(a.kind, a.token, a.to, a.sender, a.size))
        return 0
    if a.cmd == "json":
        obj = load_json(a.file)
        if obj is None:
            return 1
        return 0 if check_exprs(obj, a.exprs, "client JSON") else 1
    return {"maildir": cmd_maildir, "absent": cmd_absent, "grep": cmd_grep, "record": cmd_record,
            "norecord": cmd_norecord, "log": cmd_log}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
