#!/usr/bin/env python3
"""bench.py - polcached against a local validating unbound, like for like.

    bench.py [--build DIR] [--runs R] [--duration S] [--fill N] [--out FILE] ...
    bench.py --quick --world-env FILE [--polcached BIN --loadgen BIN]

The full run starts its own signed test world (tests/world/world.py) with two
extra zones, a polcached and a standalone unbound (`world.py unbound-start`,
the same forwarder and trust anchor), then runs tests/bench/loadgen:

  * cached lookups at 1, 8 and 64 clients x 1 and 32 requests in flight,
    polcached and unbound back to back in each round (the order alternates),
    after both caches were warmed with every name;
  * cold misses: fresh names, each asked once, while the caches fill;
  * a fill of --fill names (default 1M) through polcached from a signed
    wildcard, then lookups across them, polcached's RssAnon and the LMDB
    file size.

It prints a Markdown table of medians over the rounds; each ratio is the
median of the per-round ratios (measured side by side), and writes every
raw loadgen result to --out (JSON). See tests/bench/README.md.

--quick (CTest: bench.quick) uses an already running world (--world-env, the
CTest fixture), the world's own DMARC names, a short run of each kind against
both servers, and asserts no speed: only that every reply was right, none
is missing, and that polcached's requests.dmarc counter moved by exactly the
number of replies the load generator received.
"""

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
WORLD = os.path.join(SRC, "tests", "world", "world.py")
TEXT = "v=DMARC1; p=reject; rua=mailto:agg@bench.pcw"
CACHED_FMT = "c%u.bench.pcw"          # explicit records: unbound caches them normally
WILD_FMT = "%s%%u.wild.pcw"           # answered by *.wild.pcw
GRID = [(1, 1), (8, 1), (64, 1), (1, 32), (8, 32), (64, 32)]
UNBOUND_OPTIONS = ["so-rcvbuf: 4m"]    # 64 x 32 queries in flight overflow the default


def log(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


def die(msg):
    log("error: " + msg)
    sys.exit(1)


def read_env(path):
    env = {}
    with open(path) as f:
        for line in f:
            k, _, v = line.strip().partition("=")
            if k:
                env[k] = v
    return env


def world(*args):
    subprocess.run([sys.executable, WORLD] + list(args), check=True, stdout=subprocess.DEVNULL)


class Polcached:
    """A polcached in DIR: config, state dir, socket, log."""

    def __init__(self, binary, dirn, unbound_conf):
        self.dir = dirn
        self.sock = os.path.join(dirn, "polcached.sock")
        self.state = os.path.join(dirn, "state")
        os.makedirs(dirn, exist_ok=True)
        conf = os.path.join(dirn, "polcached.conf")
        with open(conf, "w") as f:
            f.write("# written by tests/bench/bench.py\n"
                    "listen: %s\nstate-dir: %s\nlog-level: notice\nunbound-config: %s\n"
                    "cache-insert-rate: 0\nmap-size: 8G\n" % (self.sock, self.state, unbound_conf))
            if os.getuid() == 0:
                f.write("user: root\n")
        logf = open(os.path.join(dirn, "polcached.log"), "ab")
        self.p = subprocess.Popen([binary, "-f", "-c", conf], stdin=subprocess.DEVNULL,
                                  stdout=logf, stderr=logf, start_new_session=True)
        logf.close()
        deadline = time.monotonic() + 15
        while True:
            s = socket.socket(socket.AF_UNIX)
            try:
                s.connect(self.sock)
                s.close()
                break
            except OSError:
                s.close()
            if self.p.poll() is not None or time.monotonic() > deadline:
                die("polcached did not start; see %s/polcached.log" % dirn)
            time.sleep(0.02)
        self.pid = self.p.pid

    def status(self, key):
        """A /proc/PID/status value in KiB (e.g. RssAnon)."""
        with open("/proc/%d/status" % self.pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
        return -1

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(30)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()


class Bench:
    def __init__(self, a):
        self.a = a
        self.results = []

    def loadgen(self, target, names, label, clients=1, depth=1, once=False, duration=None,
                warmup=None, expect_hit=False, pid=None, progress=0):
        a = self.a
        cmd = [a.loadgen, "-c", str(clients), "-d", str(depth), "-t", str(a.threads),
               "--label", label]
        cmd += ["--pc", self.pc.sock] if target == "pc" else ["--dns", "127.0.0.1:%s" % self.ub_port]
        if isinstance(names, str):
            cmd += ["--names", names]
        else:
            cmd += ["--gen", "%s:%d:%d" % names, "--text", TEXT]
        if once:
            cmd += ["--once"]
            if duration:
                cmd += ["--duration", str(duration)]
        else:
            cmd += ["--duration", str(duration or a.duration), "--warmup", str(warmup or a.warmup)]
        if expect_hit and target == "pc":
            cmd += ["--expect-hit"]
        if pid:
            cmd += ["--pid", str(pid)]
        if progress:
            cmd += ["--progress", str(progress)]
        p = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
        if not p.stdout.strip():
            die("loadgen printed nothing: %s" % " ".join(cmd))
        r = json.loads(p.stdout.strip().splitlines()[-1])
        r["target"] = target
        r["exit"] = p.returncode
        self.results.append(r)
        log("%-26s %-3s %3dx%-3d %9.0f/s p50 %8.1f p99 %8.1f us  errors %d" % (
            label, target, clients, depth, r["rps"], r["p50_us"], r["p99_us"], r["errors"]))
        return r

    def ub_pid(self):
        with open(os.path.join(self.wdir, "unbound-daemon.pid")) as f:
            return int(f.read().split()[0])

    def start_unbound(self):
        args = ["unbound-start", self.wdir, "--threads", str(self.a.unbound_threads)]
        for o in UNBOUND_OPTIONS:
            args += ["--option", o]
        world(*args)
        self.ub_port = read_env(os.path.join(self.wdir, "world.env"))["PC_WORLD_UNBOUND_PORT"]


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt(v, nd=0):
    if v is None:
        return "-"
    return ("{:,.%df}" % nd).format(v)


def pair_rows(results, label):
    """The per-round results of one scenario for polcached and unbound."""
    pc = [r for r in results if r["label"] == label and r["target"] == "pc"]
    ub = [r for r in results if r["label"] == label and r["target"] == "dns"]
    return pc, ub


def header(meta):
    loads = meta.get("loads") or [meta["uptime_load"][0]]
    return ("Measured %s on %d vCPUs (1-minute load average %.1f to %.1f during the rounds); "
            "%d rounds of %g s (+%g s warm-up) per cached figure; command: `%s`\n" % (
                meta["date"], meta["cpus"], min(loads), max(loads), meta["runs"],
                meta["duration"], meta["warmup"], meta["cmd"]))


def table(res, meta):
    """The Markdown table of the run."""
    out = ["| scenario | clients x depth | polcached req/s | unbound q/s | ratio req/s "
           "| polcached p50 / p99 / p99.9 µs | unbound p50 / p99 / p99.9 µs | ratio p50 (ub/pc) "
           "| CPU µs/req pc / ub | errors |",
           "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|"]

    def lat(rs):
        return "%s / %s / %s" % (fmt(med([r["p50_us"] for r in rs]), 1),
                                 fmt(med([r["p99_us"] for r in rs]), 0),
                                 fmt(med([r["p999_us"] for r in rs]), 0))

    def row(name, label, n, d):
        pc, ub = pair_rows(res, label)
        if not pc:
            return
        ratios = [p["rps"] / u["rps"] for p, u in zip(pc, ub) if u["rps"] > 0]
        p50r = [u["p50_us"] / p["p50_us"] for p, u in zip(pc, ub) if p["p50_us"] > 0]
        errs = sum(r["errors"] for r in pc + ub)
        out.append("| %s | %d x %d | %s | %s | %s | %s | %s | %s | %s / %s | %d |" % (
            name, n, d, fmt(med([r["rps"] for r in pc])), fmt(med([r["rps"] for r in ub])) if ub else "-",
            ("%.2fx" % med(ratios)) if ratios else "-", lat(pc), lat(ub) if ub else "-",
            ("%.2fx" % med(p50r)) if p50r else "-",
            fmt(med([r["server_cpu_us_per_req"] for r in pc]), 2),
            fmt(med([r["server_cpu_us_per_req"] for r in ub]), 2) if ub else "-", errs))

    for n, d in GRID:
        row("cached", "cached-%dx%d" % (n, d), n, d)
    row("cold misses", "cold", 8, 32)
    if meta.get("fill"):
        row("fill %s names" % fmt(meta["fill"]), "fill", 8, 64)
        row("cached, %s names" % fmt(meta["fill"]), "big-8x32", 8, 32)
        row("cached, %s names" % fmt(meta["fill"]), "big-1x1", 1, 1)
    out.append("")
    if meta.get("fill"):
        out.append("After the fill: polcached RssAnon %.1f MiB (%.1f MiB before it), "
                   "cache.entries %s, LMDB data.mdb %.0f MiB (%.0f MiB allocated)." % (
                       meta["rss_anon_kib"] / 1024, meta["rss_anon_before_kib"] / 1024,
                       fmt(meta["entries"]), meta["mdb_bytes"] / 2**20,
                       meta["mdb_alloc_bytes"] / 2**20))
        big = [r for r in res if r["label"] == "big-8x32"]
        out.append("")
        out.append("Cached lookups across the %s names, 8 x 32, round by round (the first hit "
                   "of an entry whose stamp is new or 4 minutes old rewrites it in LMDB): %s." % (
                       fmt(meta["fill"]), ", ".join(
                           "%s/s (%.0f%% of hits rewrote a stamp)" % (
                               fmt(r["rps"]), 100.0 * r.get("touches", 0) / max(1, r["completed"]))
                           for r in big)))
    return "\n".join(out)


def full(a):
    top = a.dir or tempfile.mkdtemp(prefix="pc-bench-", dir="/tmp")
    b = Bench(a)
    b.wdir = os.path.join(top, "w")
    extra = os.path.join(top, "extra.json")
    recs = [["_dmarc.c%d.bench.pcw." % i, 86400, "TXT", TEXT] for i in range(a.names)]
    with open(extra, "w") as f:
        json.dump({"zones": [
            {"name": "bench.pcw.", "mode": "signed", "records": recs},
            {"name": "wild.pcw.", "mode": "signed", "records": [["*.wild.pcw.", 86400, "TXT", TEXT]]},
        ]}, f)
    meta = {"date": time.strftime("%Y-%m-%d %H:%M %Z"), "uptime_load": os.getloadavg(),
            "cmd": " ".join(sys.argv), "cpus": os.cpu_count(), "runs": a.runs,
            "duration": a.duration, "warmup": a.warmup}
    try:
        log("starting the world in %s" % b.wdir)
        world("start", b.wdir, "--extra", extra)
        env = read_env(os.path.join(b.wdir, "world.env"))
        b.pc = Polcached(a.polcached, os.path.join(top, "pc"), env["PC_WORLD_UNBOUND_CONF"])
        b.start_unbound()
        cached = (CACHED_FMT, 0, a.names)
        log("warming both caches with %d names" % a.names)
        for t in ("pc", "dns"):
            r = b.loadgen(t, cached, "warm", 4, 16, once=True)
            if r["errors"]:
                die("warming %s failed" % t)
        ub_pid = b.ub_pid()
        for rnd in range(a.runs):
            meta.setdefault("loads", []).append(os.getloadavg()[0])
            log("round %d of %d (load %.2f)" % (rnd + 1, a.runs, meta["loads"][-1]))
            for n, d in GRID:
                order = ("pc", "dns") if rnd % 2 == 0 else ("dns", "pc")
                for t in order:
                    b.loadgen(t, cached, "cached-%dx%d" % (n, d), n, d, expect_hit=True,
                              pid=b.pc.pid if t == "pc" else ub_pid)
            for t in ("pc", "dns"):
                b.loadgen(t, (WILD_FMT % ("k%d-" % rnd), 0, a.cold), "cold", 8, 32, once=True,
                          pid=b.pc.pid if t == "pc" else ub_pid)
        if a.fill:
            meta["fill"] = a.fill
            meta["rss_anon_before_kib"] = b.pc.status("RssAnon")
            log("filling polcached with %d names (this takes minutes)" % a.fill)
            r = b.loadgen("pc", (WILD_FMT % "f", 0, a.fill), "fill", 8, 64, once=True,
                          pid=b.pc.pid, progress=30)
            if r["errors"]:
                die("the fill had errors")
            for rnd in range(a.runs):
                for label, n, d in (("big-8x32", 8, 32), ("big-1x1", 1, 1)):
                    t0 = stat(b.pc.sock, "cache.touches")
                    r = b.loadgen("pc", (WILD_FMT % "f", 0, a.fill), label, n, d, expect_hit=True,
                                  pid=b.pc.pid)
                    r["touches"] = stat(b.pc.sock, "cache.touches") - t0
            meta["rss_anon_kib"] = b.pc.status("RssAnon")
            meta["entries"] = stat(b.pc.sock, "cache.entries")
            st = os.stat(os.path.join(b.pc.state, "data.mdb"))
            meta["mdb_bytes"], meta["mdb_alloc_bytes"] = st.st_size, st.st_blocks * 512
    finally:
        if hasattr(b, "pc"):
            b.pc.stop()
        subprocess.run([sys.executable, WORLD, "stop", b.wdir], stdout=subprocess.DEVNULL)
        if a.out:
            with open(a.out, "w") as f:
                json.dump({"meta": meta, "results": b.results}, f, indent=1)
        if not a.keep and not a.dir:
            shutil.rmtree(top, ignore_errors=True)
    print(header(meta))
    print(table(b.results, meta))
    bad = [r for r in b.results if r["errors"] or r["sent"] != r["completed"]]
    return 1 if bad else 0


def stat(sock, name):
    """One counter of polcached's STATS reply (docs/PROTOCOL.md), or -1."""
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(5)
    s.connect(sock)
    s.sendall(bytes([0x50, 0x43, 1, 0x07]) + bytes(4) + (1).to_bytes(4, "big") + bytes(4))
    buf = b""
    while len(buf) < 16 or len(buf) < 16 + int.from_bytes(buf[12:16], "big"):
        chunk = s.recv(65536)
        if not chunk:
            return -1
        buf += chunk
    s.close()

    def tlvs(b):
        i = 0
        while i + 4 <= len(b):
            t, n = int.from_bytes(b[i:i + 2], "big") & 0x7fff, int.from_bytes(b[i + 2:i + 4], "big")
            yield t, b[i + 4:i + 4 + n]
            i += 4 + n

    for t, v in tlvs(buf[16:16 + int.from_bytes(buf[12:16], "big")]):
        if t == 80:  # STAT: STAT_NAME (81), STAT_VALUE (82)
            f = dict(tlvs(v))
            if f.get(81, b"").decode() == name:
                return int.from_bytes(f.get(82, b""), "big")
    return -1


def quick(a):
    """CI: a short run of each kind against both servers; counts, not speed."""
    env = read_env(a.world_env)
    wdir = env["PC_WORLD_DIR"]
    top = tempfile.mkdtemp(prefix="pc-bench-quick-", dir="/tmp")
    names = os.path.join(top, "names.tsv")
    with open(env["PC_WORLD_CASES"]) as f, open(names, "w") as out:
        for line in f:
            c = line.rstrip("\n").split("\t")
            if (len(c) >= 5 and c[0].startswith("_dmarc.") and c[1] == "TXT" and c[2] == "answer"
                    and c[3] in ("secure", "insecure") and "|" not in c[4] and "\\" not in c[4]
                    and "\\" not in c[0]):
                out.write("%s\t%s\t%s\n" % (c[0][len("_dmarc."):].rstrip("."), c[3], c[4]))
    b = Bench(a)
    b.wdir = wdir
    failures = []
    started_ub = False
    try:
        b.pc = Polcached(a.polcached, os.path.join(top, "pc"), env["PC_WORLD_UNBOUND_CONF"])
        world("unbound-stop", wdir)  # one left by an interrupted run
        b.start_unbound()
        started_ub = True
        ub_pid = b.ub_pid()
        runs = [("warm", dict(clients=2, depth=4, once=True)),
                ("cached-1x1", dict(clients=1, depth=1, duration=0.5, warmup=0.1, expect_hit=True)),
                ("cached-4x8", dict(clients=4, depth=8, duration=1, warmup=0.2, expect_hit=True))]
        for label, kw in runs:
            for t in ("pc", "dns"):
                r = b.loadgen(t, names, label, pid=b.pc.pid if t == "pc" else ub_pid, **kw)
                if r["errors"] or r["exit"] != 0:
                    failures.append("%s %s: %d errors %s" % (label, t, r["errors"], r["error_kinds"]))
                if r["sent"] != r["completed"]:
                    failures.append("%s %s: sent %d, completed %d" % (label, t, r["sent"], r["completed"]))
                if t == "pc" and r["stat_delta"] != r["completed"]:
                    failures.append("%s: %d replies but requests.dmarc moved by %d" % (
                        label, r["completed"], r["stat_delta"]))
                if r["completed"] == 0 or (r["mode"] == "repeat" and r["requests"] == 0):
                    failures.append("%s %s: nothing measured" % (label, t))
    finally:
        if hasattr(b, "pc"):
            b.pc.stop()
        if started_ub:
            world("unbound-stop", wdir)
        shutil.rmtree(top, ignore_errors=True)
    for f in failures:
        log("FAIL " + f)
    if not failures:
        log("quick: %d runs, every reply checked, counters match" % len(b.results))
    return 1 if failures else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(SRC, "build-bench"),
                    help="a Release build tree (default: build-bench in the source tree)")
    ap.add_argument("--polcached", help="polcached binary (default: BUILD/daemon/polcached)")
    ap.add_argument("--loadgen", help="loadgen binary (default: BUILD/tests/bench/loadgen)")
    ap.add_argument("--runs", type=int, default=5, help="rounds of every cached scenario")
    ap.add_argument("--duration", type=float, default=3, help="measured seconds per run")
    ap.add_argument("--warmup", type=float, default=0.5, help="unmeasured seconds per run")
    ap.add_argument("--names", type=int, default=1000, help="names of the cached scenarios")
    ap.add_argument("--cold", type=int, default=20000, help="fresh names per cold round")
    ap.add_argument("--fill", type=int, default=1000000, help="names to fill (0: skip)")
    ap.add_argument("--threads", type=int, default=1, help="loadgen threads")
    ap.add_argument("--unbound-threads", type=int, default=1)
    ap.add_argument("--dir", help="work directory (kept); default a temporary one")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    ap.add_argument("--out", help="write every raw result here (JSON)")
    ap.add_argument("--table", help="print the table of an earlier --out file and exit")
    ap.add_argument("--quick", action="store_true", help="the CI mode (needs --world-env)")
    ap.add_argument("--world-env", help="world.env of a running world (--quick)")
    a = ap.parse_args()
    a.polcached = a.polcached or os.path.join(a.build, "daemon", "polcached")
    a.loadgen = a.loadgen or os.path.join(a.build, "tests", "bench", "loadgen")
    for p in (a.polcached, a.loadgen):
        if not os.access(p, os.X_OK):
            die("%s is not built (cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release)" % p)
    if shutil.which("unbound") is None:
        die("unbound is not installed (Debian package unbound)")
    if a.table:
        with open(a.table) as f:
            d = json.load(f)
        print(header(d["meta"]))
        print(table(d["results"], d["meta"]))
        return 0
    if a.quick:
        if not a.world_env:
            die("--quick needs --world-env")
        return quick(a)
    return full(a)


if __name__ == "__main__":
    sys.exit(main())
