#!/usr/bin/env python3
"""The measuring half of bench/e2e.sh (run that, it installs and builds).

Starts Postfix's smtp-sink (plain, PIPELINING) and `smtpc sink` (STARTTLS)
on 127.0.0.1, then runs every client on every workload, interleaved:
repetition by repetition, each workload runs all clients back to back, so a
change in the machine's load hits all of them alike. A client's CPU is the
rusage of its process (os.wait4: user and system separately, threads and
waited-for children included). Writes a raw CSV (one row per run), a
Markdown summary of medians and ratios, and a PNG chart (gnuplot).
"""

import argparse
import csv
import datetime
import os
import platform
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

FROM = "bulk@smtpc.test"
TO = "sink@smtpc.test"
KIB = 1024
MIB = 1024 * 1024


def sized_message(size, index=1, frm=FROM, to=TO):
    """The bytes of tools/message.cc GenerateSizedMessage (same algorithm)."""
    out = ("From: <%s>\r\nTo: <%s>\r\nSubject: smtpc bulk message %d\r\n"
           "Message-ID: <bulk-%d@smtpc.test>\r\nMIME-Version: 1.0\r\n"
           "Content-Type: text/plain; charset=us-ascii\r\n\r\n"
           % (frm, to, index, index))
    filler = "The quick brown fox jumps over the lazy dog. 0123456789 smtpc bulk"
    parts = [out]
    length = len(out)
    line = 0
    while length + 2 < size:
        room = size - length - 2
        text = ("." if line % 10 == 0 else "") + filler
        text = text[:room]
        parts.append(text + "\r\n")
        length += len(text) + 2
        line += 1
    out = "".join(parts)
    if len(out) < size:
        out += "\r\n" if size - len(out) == 2 else ""
        if len(out) < size:
            out = out[:-2] + " " + out[-2:]
    return out.encode("ascii")


def xlines_message(size, frm=FROM, to=TO):
    """Text of the kind smtp-source -l sends: a few headers, then lines of
    a digit and 'X's (80 octets with CRLF), none starting with a dot, so
    nothing is dot-stuffed (`smtpc-x` sends it; it is the fair comparison
    with smtp-source, whose text needs no stuffing)."""
    out = ("From: <%s>\r\nTo: <%s>\r\nSubject: smtpc x-lines\r\n"
           "Message-ID: <xlines@smtpc.test>\r\n\r\n" % (frm, to))
    parts = [out]
    length = len(out)
    line = 1
    while length + 2 < size:
        text = (str(line % 10) + "X" * 77)[:size - length - 2]
        parts.append(text + "\r\n")
        length += len(text) + 2
        line += 1
    out = "".join(parts)
    while len(out) < size:
        out = out[:-2] + "X" + out[-2:]
    return out.encode("ascii")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_banner(port, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
                if s.recv(512).startswith(b"220"):
                    s.sendall(b"QUIT\r\n")
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("no SMTP banner on port %d" % port)


def run_child(cmd, timeout, env=None):
    """Runs cmd and reaps it; returns (rc, wall_s, stdout, stderr)."""
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        sys.stderr.write("e2e: timeout: %s\n" % " ".join(cmd))
    wall = time.monotonic() - start
    return proc.returncode, wall, out.decode(errors="replace"), err.decode(
        errors="replace")


def measured(cmd, timeout, env=None):
    """run_child plus the child's CPU: communicate() reaped it, so its rusage
    is the change in RUSAGE_CHILDREN (this process runs one child at a
    time; the servers are reaped only at the end)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    rc, wall, out, err = run_child(cmd, timeout, env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return dict(rc=rc, wall=wall, user=after.ru_utime - before.ru_utime,
                sys=after.ru_stime - before.ru_stime, out=out, err=err,
                maxrss_kb=after.ru_maxrss)


# The smtpc variants. smtpc: one generated body (dot every 10th line) for
# every message, remembered by the session. smtpc-distinct: 8 such bodies in
# turn, so every message is a body the session has not just sent (the path
# of a sender of different messages). smtpc-x: the x-lines text (no dots),
# like smtp-source's own.
SMTPC_VARIANTS = ("smtpc", "smtpc-distinct", "smtpc-x")


class Clients:
    def __init__(self, args, files, xfiles):
        self.args = args
        self.files = files
        self.xfiles = xfiles
        here = os.path.dirname(os.path.abspath(__file__))
        self.smtplib_py = os.path.join(here, "e2e_smtplib.py")
        self.nodemailer_js = os.path.join(here, "e2e_nodemailer.js")
        self.smtpc = os.path.join(args.bin, "smtpc")

    def command(self, client, mode, port, size, conc, count, ca):
        f = self.files[size]
        if client == "smtp-source":
            if mode != "plain":
                return None
            return ["smtp-source", "-d", "-s", str(conc), "-m", str(count),
                    "-l", str(size), "-f", FROM, "-t", TO,
                    "127.0.0.1:%d" % port]
        if client in SMTPC_VARIANTS:
            cmd = [self.smtpc, "bulk", "--server", "127.0.0.1:%d" % port,
                   "--count", str(count), "--concurrency", str(conc),
                   "--from", FROM, "--to", TO, "--progress", "never",
                   "--json"]
            if client == "smtpc-x":
                cmd += ["--data", self.xfiles[size]]
            else:
                cmd += ["--size", str(size)]
            if client == "smtpc-distinct":
                cmd += ["--distinct", "8"]
            if mode == "plain":
                cmd += ["--tls", "none"]
            else:
                cmd += ["--tls", "starttls", "--ca-file", ca]
            return cmd
        if client == "smtplib":
            cmd = [sys.executable, self.smtplib_py, "--port", str(port),
                   "--conc", str(conc), "--count", str(count), "--file", f,
                   "--from", FROM, "--to", TO]
            if mode != "plain":
                cmd += ["--ca", ca]
            return cmd
        if client == "nodemailer":
            cmd = ["node", self.nodemailer_js, str(port), str(conc), str(count),
                   f, FROM, TO, ca if mode != "plain" else ""]
            return cmd
        raise ValueError(client)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bin", required=True)
    p.add_argument("--node-modules", required=True)
    p.add_argument("--root", required=True)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--out", default=None)
    p.add_argument("--clients", default="smtp-source,smtpc,smtpc-distinct,"
                   "smtpc-x,smtplib,nodemailer")
    p.add_argument("--modes", default="plain,starttls")
    p.add_argument("--memory-sessions", type=int, default=10000)
    p.add_argument("--scale", type=float, default=1.0,
                   help="multiply every message count")
    args = p.parse_args()
    out_dir = args.out or os.path.join(args.root, "bench", "results")
    os.makedirs(out_dir, exist_ok=True)

    if args.quick:
        sizes = [KIB, MIB]
        concs = [1, 16]
    else:
        sizes = [KIB, 64 * KIB, MIB]
        concs = [1, 16, 256]
    # Messages per run: enough for ~1 s of our client, fewer for big ones.
    base = {KIB: 3000, 64 * KIB: 1000, MIB: 300}
    if not args.quick:
        base = {KIB: 6000, 64 * KIB: 1500, MIB: 256}

    def count_for(size, conc):
        n = int(base[size] * args.scale)
        if conc >= 256:
            n = max(n, 2 * conc)
        return max(n, conc)

    clients = args.clients.split(",")
    modes = args.modes.split(",")
    tmp = tempfile.mkdtemp(prefix="smtpcore-e2e-")
    files = {}
    xfiles = {}
    for size in sizes + ([KIB] if KIB not in sizes else []):
        path = os.path.join(tmp, "msg-%d.eml" % size)
        with open(path, "wb") as f:
            f.write(sized_message(size))
        files[size] = path
        path = os.path.join(tmp, "xlines-%d.eml" % size)
        with open(path, "wb") as f:
            f.write(xlines_message(size))
        xfiles[size] = path
    env = dict(os.environ)
    env["NODE_PATH"] = args.node_modules
    ca = os.path.join(tmp, "sink-ca.pem")

    servers = []
    plain_port = free_port()
    servers.append(subprocess.Popen(
        ["smtp-sink", "-u", "nobody", "127.0.0.1:%d" % plain_port, "1024"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True))
    tls_port = free_port()
    if "starttls" in modes:
        servers.append(subprocess.Popen(
            [os.path.join(args.bin, "smtpc"), "sink", "--port", str(tls_port),
             "--quiet", "--ca-out", ca],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True))
    rows = []
    memory_lines = []
    try:
        wait_banner(plain_port)
        if "starttls" in modes:
            wait_banner(tls_port)
        cl = Clients(args, files, xfiles)
        for rep in range(args.reps):
            for mode in modes:
                port = plain_port if mode == "plain" else tls_port
                for size in sizes:
                    for conc in concs:
                        count = count_for(size, conc)
                        for client in clients:
                            cmd = cl.command(client, mode, port, size, conc,
                                             count, ca)
                            if cmd is None:
                                continue
                            load = os.getloadavg()[0]
                            m = measured(cmd, 600, env)
                            failed = 0 if m["rc"] == 0 else count
                            if m["rc"] != 0:
                                sys.stderr.write("e2e: %s %s rc=%s: %s\n" % (
                                    client, mode, m["rc"], m["err"][-400:]))
                            rows.append(row(rep, mode, size, conc, client,
                                            count, m, failed, load))
                            print_row(rows[-1])
            # Process start-up and one 1 KiB message per client and mode: it
            # is subtracted to give the net CPU per message (smtpc loads ~60
            # shared libraries, Python and node their runtimes).
            # One run of one message per size: what the client spends once
            # (start-up, and smtpc-distinct's building its 8 bodies of that
            # size) is the same in both, so (CPU - CPU of this run) /
            # (count - 1) is the CPU per message.
            for mode in modes:
                port = plain_port if mode == "plain" else tls_port
                for size in sizes:
                    for client in clients:
                        cmd = cl.command(client, mode, port, size, 1, 1, ca)
                        if cmd is None:
                            continue
                        load = os.getloadavg()[0]
                        m = measured(cmd, 600, env)
                        rows.append(row(rep, "startup-" + mode, size, 1,
                                        client, 1, m,
                                        0 if m["rc"] == 0 else 1, load))
                        print_row(rows[-1])
            # The floor: the same bytes written plainly / sealed, same run.
            for size in sizes:
                for kind in ("floor", "floor-tls", "floor-sink"):
                    tls = kind == "floor-tls"
                    count = count_for(size, 1)
                    cmd = [os.path.join(args.bin, "loopback_floor"), "--file",
                           files[size], "--count", str(count)]
                    if tls:
                        cmd.append("--tls")
                    if kind == "floor-sink":
                        # Plain, into smtp-sink itself: the same receiver.
                        cmd += ["--smtp-port", str(plain_port)]
                    load = os.getloadavg()[0]
                    m = measured(cmd, 600)
                    fields = dict(kv.split("=") for kv in m["out"].split()[1:])
                    if not fields:
                        sys.stderr.write("e2e: floor failed: %s\n" % m["err"])
                        continue
                    m["user"] = float(fields["user_s"])
                    m["sys"] = float(fields["sys_s"])
                    m["wall"] = float(fields["wall_s"])
                    rows.append(row(rep, kind, size, 1, "write-loop", count, m,
                                    0 if m["rc"] == 0 else count, load))
                    print_row(rows[-1])
            # Handshake cost: one message per connection, plain vs STARTTLS.
            if "starttls" in modes and "smtpc" in clients:
                for mode in ("plain", "starttls"):
                    port = plain_port if mode == "plain" else tls_port
                    cmd = cl.command("smtpc", mode, port, KIB, 1, 300, ca)
                    cmd += ["--messages-per-connection", "1"]
                    load = os.getloadavg()[0]
                    m = measured(cmd, 600)
                    rows.append(row(rep, "per-conn-" + mode, KIB, 1, "smtpc",
                                    300, m, 0 if m["rc"] == 0 else 300, load))
                    print_row(rows[-1])
        # Memory: bytes per idle session, core alone and over libuv, at
        # 10,000 sessions (connected to `smtpc sink`), and the peak RSS.
        mem_port = tls_port if "starttls" in modes else plain_port
        for extra in ([], ["--port", str(mem_port)]):
            m = measured([os.path.join(args.bin, "e2e_memory"), "--sessions",
                          str(args.memory_sessions)] + extra, 600)
            memory_lines += [l for l in m["out"].splitlines()
                             if l.startswith("memory")]
            if m["rc"] != 0:
                sys.stderr.write("e2e: e2e_memory rc=%s: %s\n" % (
                    m["rc"], m["err"][-400:]))
        for l in memory_lines:
            print("e2e: " + l, flush=True)
    finally:
        for s in servers:
            try:
                os.killpg(s.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            s.wait()

    stamp = datetime.datetime.utcnow().strftime("%Y-%m-%d")
    tag = "quick" if args.quick else "full"
    csv_path = os.path.join(out_dir, "e2e-%s.csv" % tag)
    with open(csv_path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        w.writeheader()
        w.writerows(rows)
    md = summarize(rows, stamp, tag)
    if memory_lines:
        md += ("\nMemory (bench/e2e_memory.cc, same run; heap = glibc "
               "mallinfo2 in use, RSS = VmRSS growth):\n\n```\n" +
               "\n".join(memory_lines) + "\n```\n")
    md_path = os.path.join(out_dir, "e2e-%s.md" % tag)
    with open(md_path, "w") as f:
        f.write(md)
    print(md)
    chart(rows, out_dir, tag, sizes, concs, clients, modes)
    print("e2e: wrote %s, %s" % (csv_path, md_path))


def row(rep, mode, size, conc, client, count, m, failed, load):
    wall = max(m["wall"], 1e-9)
    return dict(rep=rep, mode=mode, size=size, conc=conc, client=client,
                count=count, failed=failed, wall_s="%.4f" % m["wall"],
                user_s="%.4f" % m["user"], sys_s="%.4f" % m["sys"],
                msgs_per_s="%.1f" % (count / wall),
                mb_per_s="%.2f" % (count * size / wall / 1e6),
                user_ms_per_msg="%.4f" % (1e3 * m["user"] / count),
                sys_ms_per_msg="%.4f" % (1e3 * m["sys"] / count),
                load1="%.2f" % load)


def print_row(r):
    print("e2e: rep=%(rep)s %(mode)s size=%(size)s conc=%(conc)s "
          "%(client)s: %(msgs_per_s)s msg/s %(mb_per_s)s MB/s user "
          "%(user_ms_per_msg)s ms sys %(sys_ms_per_msg)s ms failed=%(failed)s "
          "load=%(load1)s" % r, flush=True)


def med(rows, key):
    vals = [float(r[key]) for r in rows]
    return statistics.median(vals) if vals else float("nan")


def human(size):
    return "1 MiB" if size == MIB else "%d KiB" % (size // KIB)


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def summarize(rows, stamp, tag):
    groups = {}
    for r in rows:
        groups.setdefault((r["mode"], int(r["size"]), int(r["conc"]),
                           r["client"]), []).append(r)
    loads = [float(r["load1"]) for r in rows]
    lines = [
        "Measured %s UTC (%s run), %s, %d x %s, load average during the "
        "run %.1f-%.1f (median %.1f). Medians of %d repetitions. user/sys: "
        "the client process's CPU per message (ms); net CPU: user+sys minus "
        "the same client's run of one message of that size in that "
        "repetition, over the other messages." % (
            stamp, tag, platform.node() or "host", os.cpu_count(), cpu_model(),
            min(loads), max(loads), statistics.median(loads),
            1 + max(int(r["rep"]) for r in rows)),
        "",
        "| mode | size | conn | client | msgs/s | MB/s | user ms/msg | sys "
        "ms/msg | net CPU ms/msg | msgs/s ratio | net CPU ratio |",
        "|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    def net(mode, client, rs):
        """Median over reps of (CPU - that rep's one-message run of the same
        size) / (count - 1): the CPU of each further message."""
        vals = []
        for r in rs:
            size = int(r["size"])
            st = [x for x in groups.get(("startup-" + mode, size, 1, client),
                                        [])
                  if x["rep"] == r["rep"]]
            base = (float(st[0]["user_s"]) + float(st[0]["sys_s"])) if st else 0
            n = int(r["count"]) - (1 if st else 0)
            vals.append(1e3 * (float(r["user_s"]) + float(r["sys_s"]) - base) /
                        max(n, 1))
        return statistics.median(vals)

    def ratios(mode, size, conc, num_client, den_client):
        num = groups.get((mode, size, conc, num_client), [])
        den = groups.get((mode, size, conc, den_client), [])
        if not num or not den:
            return "", ""
        mps = med(den, "msgs_per_s")
        cpu = net(mode, den_client, den)
        r1 = "%.2f" % (med(num, "msgs_per_s") / mps) if mps else "-"
        r2 = "%.2f" % (net(mode, num_client, num) / cpu) if cpu > 0 else "-"
        return r1, r2

    for (mode, size, conc, client), rs in sorted(
            groups.items(), key=lambda kv: (
                kv[0][0], kv[0][1], kv[0][2], kv[0][3] not in SMTPC_VARIANTS,
                kv[0][3] != "smtpc", kv[0][3])):
        if (mode.startswith("floor") or mode.startswith("per-conn") or
                mode.startswith("startup")):
            continue
        if client in SMTPC_VARIANTS:
            r1, r2 = ratios(mode, size, conc, client, "smtp-source")
        elif client == "smtp-source":
            r1 = r2 = ""  # the baseline of the smtpc rows above
        else:
            r1, r2 = ratios(mode, size, conc, "smtpc", client)
        if any(int(r["failed"]) for r in rs):
            client += " (failures)"
        lines.append("| %s | %s | %d | %s | %.0f | %.1f | %.3f | %.3f | %.3f "
                     "| %s | %s |"
                     % (mode, human(size), conc, client,
                        med(rs, "msgs_per_s"), med(rs, "mb_per_s"),
                        med(rs, "user_ms_per_msg"), med(rs, "sys_ms_per_msg"),
                        net(mode, client.split()[0], rs), r1, r2))
    lines += ["", "Ratios: an smtpc row (smtpc, smtpc-distinct: 8 different "
              "bodies in turn, smtpc-x: smtp-source's kind of text, no dots) "
              "is that row / smtp-source; another client's row is smtpc / "
              "that client.", ""]
    lines += ["Client CPU per MiB against the loopback floor (same run; "
              "floor: fork()ed reader; floor-sink: into smtp-sink after one "
              "DATA; floor-tls: sealed by BoringSSL, fork()ed TLS reader):", "",
              "| size | path (floor) | client | floor ms/MiB (user+sys) | "
              "conn 1 net ms/MiB | ratio | conn 16 net ms/MiB | ratio |",
              "|---|---|---|---:|---:|---:|---:|---:|"]
    for size in sorted({k[1] for k in groups}):
        if size < 64 * KIB:
            continue  # per-message costs dominate: a floor per MiB says nothing
        for mode, fmode in (("plain", "floor"), ("plain", "floor-sink"),
                            ("starttls", "floor-tls")):
            fl = groups.get((fmode, size, 1, "write-loop"))
            if not fl:
                continue
            mib = size / MIB
            fcpu = (med(fl, "user_ms_per_msg") + med(fl, "sys_ms_per_msg")) / mib
            for variant in SMTPC_VARIANTS + ("smtp-source",):
                cells = []
                for conc in (1, 16):
                    o = groups.get((mode, size, conc, variant))
                    if o:
                        ocpu = net(mode, variant, o) / mib
                        cells += ["%.2f" % ocpu, "%.2f" % (ocpu / fcpu)]
                    else:
                        cells += ["-", "-"]
                if cells.count("-") == len(cells):
                    continue
                lines.append("| %s | %s (%s) | %s | %.3f | %s |" % (
                    human(size), mode, fmode, variant, fcpu,
                    " | ".join(cells)))
    pc = {m: groups.get(("per-conn-" + m, KIB, 1, "smtpc")) for m in
          ("plain", "starttls")}
    if pc["plain"] and pc["starttls"]:
        def c(rs):
            return med(rs, "user_ms_per_msg") + med(rs, "sys_ms_per_msg")
        lines += ["", "New connection per message (smtpc bulk "
                  "--messages-per-connection 1, 1 KiB): plain %.3f ms CPU, "
                  "STARTTLS %.3f ms CPU: TLS handshake ~%.3f ms client CPU "
                  "per new connection; %.0f vs %.0f connections/s." % (
                      c(pc["plain"]), c(pc["starttls"]),
                      c(pc["starttls"]) - c(pc["plain"]),
                      med(pc["plain"], "msgs_per_s"),
                      med(pc["starttls"], "msgs_per_s"))]
    return "\n".join(lines) + "\n"


def chart(rows, out_dir, tag, sizes, concs, clients, modes):
    """msgs/s (median) vs connections, one panel per mode and size."""
    groups = {}
    for r in rows:
        groups.setdefault((r["mode"], int(r["size"]), int(r["conc"]),
                           r["client"]), []).append(r)
    dat = os.path.join(out_dir, "e2e-%s.dat" % tag)
    blocks = []
    with open(dat, "w") as f:
        for mode in modes:
            for size in sizes:
                for client in clients:
                    pts = [(c, med(groups[(mode, size, c, client)],
                                   "msgs_per_s"))
                           for c in concs if (mode, size, c, client) in groups]
                    if not pts:
                        continue
                    f.write("# %s %s %s\n" % (mode, human(size), client))
                    for c, v in pts:
                        f.write("%d %.1f\n" % (c, v))
                    f.write("\n\n")
                    blocks.append((mode, size, client))
    png = os.path.join(out_dir, "e2e-%s.png" % tag)
    panels = [(m, s) for m in modes for s in sizes]
    script = ["set terminal png size %d,%d" % (420 * len(sizes),
                                               330 * len(modes)),
              "set output '%s'" % png,
              "set multiplot layout %d,%d title 'msgs/s vs connections "
              "(median), 127.0.0.1'" % (len(modes), len(sizes)),
              "set logscale xy", "set key top left font ',8'",
              "set xlabel 'connections'", "set ylabel 'msgs/s'",
              "set xrange [0.7:%g]" % (max(concs) * 1.5),
              "set xtics (%s)" % ", ".join("'%d' %d" % (c, c) for c in concs)]
    colors = {"smtpc": "#d62728", "smtpc-distinct": "#9467bd",
              "smtpc-x": "#8c564b", "smtp-source": "#1f77b4",
              "smtplib": "#2ca02c", "nodemailer": "#ff7f0e"}
    for mode, size in panels:
        idx = [(i, b) for i, b in enumerate(blocks) if b[0] == mode and
               b[1] == size]
        script.append("set title '%s %s'" % (mode, human(size)))
        if not idx:
            continue
        script.append("plot " + ", ".join(
            "'%s' index %d using 1:2 with linespoints lw 2 lc rgb '%s' "
            "title '%s'" % (dat, i, colors.get(b[2], "black"), b[2])
            for i, b in idx))
    script.append("unset multiplot")
    try:
        subprocess.run(["gnuplot"], input="\n".join(script).encode(),
                       check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        sys.stderr.write("e2e: no chart: %s\n" % e)


if __name__ == "__main__":
    main()
