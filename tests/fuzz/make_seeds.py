#!/usr/bin/env python3
"""make_seeds.py: writes the seed corpora of the fuzz targets added for
issue 12 from the transcripts (tests/transcripts/*.md) and RFC examples.

  tests/fuzz/make_seeds.py [--check]

The corpora are committed data; run this after changing the transcripts or
an input layout, and commit what changed. Files it writes are named
"seed_*"; inputs libFuzzer found and we kept (crashes turned regression
tests, interesting runs) have other names and are left alone. With
--check it writes nothing and exits 1 if a seed file would change.

Targets and layouts (see each fuzzer's file comment):
  session_fuzzer         2 option bytes + server bytes and 0xFF ops
  capabilities_fuzzer    1 option byte + EHLO reply or keyword lines
  sasl_challenge_fuzzer  1 option byte + challenges separated by "\\0\\0"
  status_xtext_fuzzer    1 option byte + reply text or xtext argument
"""

import hashlib
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TRANSCRIPTS = os.path.join(HERE, "..", "transcripts")


def unescape(text):
    """Transcript escapes: \\r \\n \\t \\\\ \\xHH (tests/transcripts/README.md)."""
    out = bytearray()
    i = 0
    while i < len(text):
        c = text[i]
        if c != "\\":
            out += c.encode("utf-8")
            i += 1
            continue
        nxt = text[i + 1]
        if nxt == "x":
            out.append(int(text[i + 2:i + 4], 16))
            i += 4
            continue
        out += {"r": b"\r", "n": b"\n", "t": b"\t", "\\": b"\\"}[nxt]
        i += 2
    return bytes(out)


def meta_json(line):
    """The case's meta line; the JSON subset also allows \\xHH in strings."""
    body = line[len("<!-- meta="):-len(" -->")]
    body = re.sub(r"\\x([0-9A-Fa-f]{2})", r"\\u00\1", body)
    return json.loads(body)


def cases():
    """Yields (file stem, case name, meta, smtp lines) for every case."""
    for name in sorted(os.listdir(TRANSCRIPTS)):
        if not name.endswith(".md") or name == "README.md":
            continue
        stem = name[:-3]
        with open(os.path.join(TRANSCRIPTS, name), encoding="utf-8") as f:
            lines = f.read().split("\n")
        case, meta, block, in_smtp = None, {}, [], False
        for line in lines:
            if line.startswith("## "):
                if case is not None:
                    yield stem, case, meta, block
                case, meta, block, in_smtp = line[3:].strip(), {}, [], False
            elif line.startswith("<!-- meta=") and case is not None:
                meta = meta_json(line)
            elif line.strip() == "```smtp":
                in_smtp = True
            elif line.strip() == "```" and in_smtp:
                in_smtp = False
            elif in_smtp:
                block.append(line)
        if case is not None:
            yield stem, case, meta, block


def slug(text):
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_")[:60]


# --- session_fuzzer ----------------------------------------------------------

TLS_MODES = {"none": 0, "opportunistic": 1, "required": 2, "implicit": 3}


def session_seed(meta, block):
    opts = meta.get("options", {})
    messages = meta.get("messages", [])
    b0 = 0
    b0 |= 1 if opts.get("pipelining", True) else 0
    b0 |= 2 if opts.get("chunking", True) else 0
    tls = opts.get("tls", "none")
    b0 |= TLS_MODES[tls] << 2
    b0 |= 16 if "auth" in opts else 0
    b0 |= 32 if opts.get("line_endings") == "reject" else 0
    b0 |= 64 if messages and "chunks" in messages[0] else 0
    b0 |= 128 if opts.get("trace") else 0
    b1 = 0
    if messages:
        b1 |= min(len(messages[0]["to"]), 4) - 1
    b1 |= 128 if opts.get("force_helo") else 0
    script = bytearray()
    flight = False
    delivers = 0
    tls_skipped = tls != "implicit"
    for raw in block:
        line = raw.rstrip("\r")
        if not line or line.startswith("#"):
            continue
        tag, _, rest = line.partition(": ")
        if tag in ("S", "S~"):
            if rest == "<EOF>":
                script += b"\xff" b"E"
                flight = False
                continue
            data = unescape(rest) + (b"\r\n" if tag == "S" else b"")
            script += data.replace(b"\xff", b"\xff\xff")
            flight = True
            continue
        if flight:
            script += b"\xff" b"n"  # end of a flight: split the Receive
            flight = False
        if tag == "T":
            m = re.match(r"\+(\d+)(ms|s|m|h)$", rest.strip())
            seconds = int(m.group(1)) * {"ms": 0.001, "s": 1, "m": 60,
                                         "h": 3600}[m.group(2)]
            script += b"\xff" b"T" + bytes([max(1, min(255, -(-int(seconds) // 10)))])
        elif tag == "TLS":
            if rest.startswith("established"):
                if not tls_skipped:
                    tls_skipped = True  # the fuzzer does it before the greeting
                    continue
                script += b"\xff" b"S"
            else:
                script += b"\xff" b"F"
        elif tag == "A":
            verb = rest.split()[0]
            if verb == "deliver":
                delivers += 1
                if delivers == 2:
                    b1 |= 64  # a second delivery queued at the start
                elif delivers > 2:
                    script += b"\xff" b"D"
            elif verb == "close":
                script += b"\xff" b"C"
            elif verb == "abort":
                script += b"\xff" b"A"
    return bytes([b0, b1]) + bytes(script)


def session_extra():
    """Hand-made plans the transcripts do not cover."""
    ehlo = (b"220 mx.example.org ESMTP\r\n\xffn"
            b"250-mx.example.org\r\n250-PIPELINING\r\n250-CHUNKING\r\n"
            b"250-8BITMIME\r\n250 AUTH PLAIN\r\n\xffn")
    ok3 = b"250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n"
    return {
        # Every body through DATA, pipelined, streamed and partial writes.
        **{f"seed_extra_data_body{i}": bytes([1, (i << 2) | 1 | 32]) + ehlo +
           ok3 + b"250 2.1.5 Ok\r\n354 go\r\n\xffP" + b"250 2.0.0 Ok\r\n"
           for i in range(8)},
        **{f"seed_extra_bdat_body{i}": bytes([3 | 64, (i << 2) | 1]) + ehlo +
           ok3 + b"250 2.1.5 Ok\r\n\xffP" + b"250 2.0.0 Ok\r\n"
           for i in range(8)},
        # End of data sent, then the connection goes: outcome unknown.
        "seed_extra_eof_after_dot": bytes([1, 0]) + ehlo +
        b"250 ok\r\n250 ok\r\n354 go\r\n\xffn\xffE",
        "seed_extra_timeout_after_dot": bytes([1, 1]) + ehlo +
        b"250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n\xffn\xffT\xff",
        # 421 in the middle of a pipelined group.
        "seed_extra_421_mid_group": bytes([1, 3]) + ehlo +
        b"250 ok\r\n421 4.3.0 bye\r\n",
        # STARTTLS, then plaintext injected after the 220.
        "seed_extra_starttls_injection": bytes([1 | (2 << 2), 0]) +
        b"220 mx\r\n\xffn250-mx\r\n250 STARTTLS\r\n\xffn220 go\r\n250 x\r\n",
        # AUTH with challenges until the limit.
        "seed_extra_auth_rounds": bytes([1 | 16, 0]) +
        b"220 mx\r\n\xffn250-mx\r\n250 AUTH PLAIN\r\n\xffn" +
        b"334 \r\n\xffn" * 10 + b"535 no\r\n",
        # Noop, close and a second delivery mid-way.
        "seed_extra_noop_close": bytes([1, 64]) + ehlo + b"\xffN\xffC" +
        b"250 ok\r\n" * 8 + b"221 bye\r\n",
    }


# --- capabilities_fuzzer -----------------------------------------------------

def capabilities_seeds():
    seeds = {}
    for stem, case, meta, block in cases():
        reply, after_ehlo = b"", False
        for raw in block:
            tag, _, rest = raw.partition(": ")
            if tag == "C" and rest.startswith("EHLO"):
                after_ehlo, reply = True, b""
            elif tag == "S" and after_ehlo and rest != "<EOF>":
                reply += unescape(rest) + b"\r\n"
                if re.match(r"^\d\d\d ", rest) or re.match(r"^\d\d\d$", rest):
                    after_ehlo = False
                    if reply.count(b"\n") > 1:
                        seeds[f"seed_{stem}_{slug(case)}"] = b"\x01" + reply
            elif tag != "S":
                after_ehlo = after_ehlo and tag == "#"
    lines = [
        b"PIPELINING\nSIZE 10240000\nAUTH PLAIN LOGIN\nAUTH=CRAM-MD5\n"
        b"8BITMIME\nENHANCEDSTATUSCODES\nCHUNKING\nSMTPUTF8",
        b"LIMITS RCPTMAX=10 MAILMAX=5 RCPTDOMAINMAX=2\nDELIVERBY 240\n"
        b"MT-PRIORITY MIXER\nDSN\nREQUIRETLS\nBINARYMIME\nETRN",
        b"size 0\nSize 18446744073709551616\nLIMITS RCPTMAX=0 RCPTMAX=x\n"
        b"DELIVERBY -1\nauth plain Plain PLAIN",
        b" leading space\n-dash\n\nX-EXT  a  b\t\nAUTH=\nAUTH",
    ]
    for i, text in enumerate(lines):
        for option in (0, 2, 4, 6):
            seeds[f"seed_lines_{i}_filter{option}"] = bytes([option]) + text
    return seeds


# --- sasl_challenge_fuzzer ---------------------------------------------------

def sasl_seeds():
    # (mechanism index, name, challenges): RFC examples.
    examples = [
        # RFC 5802 §5 (SCRAM-SHA-1, user "user", password "pencil").
        (0, "scram_sha1_rfc5802", [
            b"r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,"
            b"i=4096",
            b"v=rmF9pqV8S7suAoZWja4dJRkFsKQ="]),
        # RFC 7677 §3 (SCRAM-SHA-256).
        (1, "scram_sha256_rfc7677", [
            b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
            b"s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
            b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="]),
        (2, "scram_sha256_plus", [
            b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
            b"s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
            b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="]),
        (1, "scram_server_error", [
            b"r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
            b"e=invalid-proof"]),
        (1, "scram_extension", [b"m=ext,r=rOprNGfwEbeRWgbNEkqOx,s=QQ==,i=1"]),
        # RFC 2831 §4 (DIGEST-MD5, "chris" / "secret", IMAP).
        (3, "digest_md5_rfc2831", [
            b'realm="elwood.innosoft.com",nonce="OA6MG9tEQGm2hh",qop="auth",'
            b"algorithm=md5-sess,charset=utf-8",
            b"rspauth=ea40f60335c427b5527b84dbabcdfffd"]),
        (3, "digest_md5_quoting", [
            b'realm="a\\"b",realm="c",nonce="n\\\\",qop="auth-int,auth",'
            b'algorithm=md5-sess,maxbuf=65536,cipher="rc4",stale=true']),
        # Google's XOAUTH2 error (developers.google.com/gmail/imap/xoauth2).
        (4, "xoauth2_error", [
            b'{"status":"401","schemes":"bearer mac",'
            b'"scope":"https://mail.google.com/"}']),
        # RFC 7628 §4.3 (OAUTHBEARER failure).
        (5, "oauthbearer_error", [
            b'{"status":"invalid_token","scope":"example_scope",'
            b'"openid-configuration":'
            b'"https://example.com/.well-known/openid-configuration"}']),
        # RFC 2195 §2 (CRAM-MD5).
        (6, "cram_md5_rfc2195", [b"<1896.697170952@postoffice.reston.mci.net>"]),
        # LOGIN: "Username:", "Password:".
        (7, "login", [b"Username:", b"Password:"]),
    ]
    seeds = {}
    for mech, name, challenges in examples:
        payload = b"\0\0".join(challenges)
        seeds[f"seed_{name}"] = bytes([mech]) + payload
        seeds[f"seed_{name}_exchange"] = bytes([mech | 8]) + payload
    seeds["seed_raw_not_base64"] = bytes([1 | 8 | 16]) + b"not base64!"
    return seeds


# --- status_xtext_fuzzer -----------------------------------------------------

def status_xtext_seeds():
    seeds = {}
    texts = set()
    for stem, case, meta, block in cases():
        for raw in block:
            tag, _, rest = raw.partition(": ")
            if tag == "S" and re.match(r"^\d\d\d[ -]\d\.", rest):
                texts.add(rest[4:])
    for text in sorted(texts):
        data = b"\x01" + unescape(text)
        # Named by content, so a new transcript adds files, renames none.
        seeds[f"seed_reply_{hashlib.sha1(data).hexdigest()[:10]}"] = data
    # RFC 3463 examples and edge cases.
    for i, text in enumerate([b"2.0.0", b"5.1.1 User unknown", b"4.7.0",
                              b"5.7.999 x", b"5.01.1", b"5.1000.0", b"7.0.0",
                              b"5.1", b"2.0.0\tx", b"4.4.2  x", b"5.5.5."]):
        seeds[f"seed_code_{i:02d}"] = b"\x01" + text
    # RFC 3461 §4.4 and §4.2 examples, and edge cases.
    for i, text in enumerate([b"QQ314159", b"Bob@Example.COM",
                              b"Bob+Smith=Jr@example.org", b"+", b"=",
                              b"a b\tc", b"caf\xc3\xa9", b"\x00\x7f\xff",
                              b"ends with +"]):
        seeds[f"seed_xtext_{i:02d}"] = b"\x00" + text
    return seeds


def main():
    check = "--check" in sys.argv[1:]
    corpora = {
        "session_fuzzer": {
            **{f"seed_{stem}_{slug(case)}": session_seed(meta, block)
               for stem, case, meta, block in cases()},
            **session_extra(),
        },
        "capabilities_fuzzer": capabilities_seeds(),
        "sasl_challenge_fuzzer": sasl_seeds(),
        "status_xtext_fuzzer": status_xtext_seeds(),
    }
    stale = []
    for target, seeds in corpora.items():
        directory = os.path.join(HERE, f"{target}_corpus")
        os.makedirs(directory, exist_ok=True)
        wanted = set(seeds)
        for name in os.listdir(directory):
            if name.startswith("seed_") and name not in wanted:
                stale.append(os.path.join(directory, name))
                if not check:
                    os.remove(os.path.join(directory, name))
        for name, data in seeds.items():
            path = os.path.join(directory, name)
            old = open(path, "rb").read() if os.path.exists(path) else None
            if old != data:
                stale.append(path)
                if not check:
                    with open(path, "wb") as f:
                        f.write(data)
        print(f"{target}: {len(seeds)} seeds")
    if check and stale:
        print("stale seeds:\n  " + "\n  ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
