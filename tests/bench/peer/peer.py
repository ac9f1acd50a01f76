#!/usr/bin/env python3
"""peer.py - polcached against libspf2 and libopendmarc, message by message.

    peer.py [--build DIR] [--runs R] [--duration S] [--out FILE] [--dir DIR]
    peer.py --quick [--polcached BIN] [--peerbench BIN]

The whole comparison runs inside one unprivileged user, network, mount
(and, where allowed, PID) namespace: libspf2 resolves with res_ninit /
res_nquery, that is /etc/resolv.conf and port 53, which the shared
loopback must never see. The script re-runs itself under
`unshare -rnm` and, inside, brings up lo, starts the signed test world
(tests/world/world.py) with the zones of workload.py, a validating
unbound on 127.0.0.1:53 on that world (world.py unbound-start --port 53),
bind-mounts a resolv.conf naming it over /etc/resolv.conf, and starts two
polcached (dmarc-mode psl and treewalk, the world's unbound.conf).

1. Verdicts: every message goes through polcached (cold, then warm) and
   through each peer configuration (libspf2 with no cache, with its stock
   SPF_DNS_CACHE layer of 2^8 entries, with a 2^16-entry cache layer;
   libopendmarc 1.4.2 with each of those supplying SPF), twice. Every
   message of the "main" set must get the same verdict everywhere, else
   the run stops before timing anything. The "edge" set (where the RFCs
   differ) is listed with both verdicts and the reason.
2. Timing (not with --quick): SPF checks and DMARC evaluations of the main
   set on warm caches, 1 and 8 clients, each side in turn, --runs rounds;
   each timed evaluation must get its agreed verdict again. The Markdown
   table gives medians over the rounds, and each ratio is the median of
   the per-round ratios.

--quick (CTest: peer.quick) runs the verdict comparison for real and a
0.3 s timed pass of each configuration, asserting verdicts, never speed.
If the namespace cannot be made, it exits 77 (CTest: skipped) with the
reason. See README.md beside this file.
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
SRC = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
WORLD = os.path.join(SRC, "tests", "world", "world.py")
IN_NS = "PC_PEER_IN_NAMESPACE"
SKIP = 77
sys.path.insert(0, HERE)
import workload  # noqa: E402

# (key, label, task, engine args, whose CPU): the configurations compared.
# "-ac": libpolcache's answer cache on (pc_client_set_answer_cache, 4096
# answers per context): a repeated question is answered from the client
# process's memory while polcached's TTL and epoch page allow.
AC = ["--answer-cache", "4096"]
SPF_CONFIGS = [
    ("pc", "polcached", "spf", ["--engine", "pc", "--sock", "{psl}"], "pc"),
    ("pc-ac", "polcached + answer cache", "spf", ["--engine", "pc", "--sock", "{psl}"] + AC,
     "pc"),
    ("spf2-nocache", "libspf2, no cache", "spf", ["--engine", "spf2", "--spf2-cache", "0"], "ub"),
    ("spf2-cache8", "libspf2, SPF_DNS_CACHE (2^8)", "spf",
     ["--engine", "spf2", "--spf2-cache", "8"], "ub"),
    ("spf2-cache16", "libspf2, cache 2^16", "spf", ["--engine", "spf2", "--spf2-cache", "16"],
     "ub"),
]
DMARC_CONFIGS = [
    ("pc-psl", "polcached (psl)", "dmarc", ["--engine", "pc", "--sock", "{psl}"], "pc"),
    ("pc-psl-ac", "polcached (psl) + answer cache", "dmarc",
     ["--engine", "pc", "--sock", "{psl}"] + AC, "pc"),
    ("pc-tw", "polcached (tree walk)", "dmarc", ["--engine", "pc", "--sock", "{tw}"], "pctw"),
    ("od-nocache", "libopendmarc + libspf2, no cache", "dmarc",
     ["--engine", "odmarc", "--spf2-cache", "0"], "ub"),
    ("od-cache8", "libopendmarc + libspf2 SPF_DNS_CACHE (2^8)", "dmarc",
     ["--engine", "odmarc", "--spf2-cache", "8"], "ub"),
    ("od-cache16", "libopendmarc + libspf2 cache 2^16", "dmarc",
     ["--engine", "odmarc", "--spf2-cache", "16"], "ub"),
]
PSL_FILE = "/usr/share/publicsuffix/public_suffix_list.dat"


def log(msg):
    print("peer: " + msg, file=sys.stderr, flush=True)


def die(msg, code=1):
    log("error: " + msg)
    sys.exit(code)


def skip(msg):
    print("SKIPPED: " + msg, flush=True)
    sys.exit(SKIP)


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def peer_env():
    """peerbench's environment: under LeakSanitizer, the peers' own leaks suppressed."""
    env = dict(os.environ)
    supp = "print_suppressions=0:suppressions=" + os.path.join(HERE, "lsan.supp")
    env["LSAN_OPTIONS"] = (env["LSAN_OPTIONS"] + ":" + supp) if env.get("LSAN_OPTIONS") else supp
    return env


# ----------------------------------------------------------- the namespace

def enter_namespace(a):
    """Re-run this script inside new namespaces; returns only when inside."""
    if os.environ.get(IN_NS) == "1":
        return
    if shutil.which("unshare") is None:
        (skip if a.quick else die)("unshare(1) is not installed (util-linux)")
    reason = "?"
    # A PID namespace too, where allowed: when the run ends or is killed,
    # every daemon of it dies with it.
    for flags in (["-rnmpf", "--kill-child", "--mount-proc"], ["-rnmf", "--kill-child"]):
        p = subprocess.run(["unshare"] + flags + ["true"], capture_output=True, text=True)
        if p.returncode == 0:
            break
        reason = (p.stderr.strip() or "exit %d" % p.returncode)
    else:
        (skip if a.quick else die)("cannot make an unprivileged namespace (unshare -rnm): "
                                   + reason)
    env = dict(os.environ)
    env[IN_NS] = "1"
    sys.stdout.flush()
    os.execvpe("unshare", ["unshare"] + flags + ["--", sys.executable, os.path.abspath(__file__)]
               + sys.argv[1:], env)


def setup_network(top):
    """lo up, and our resolv.conf over /etc/resolv.conf, in this namespace only."""
    links = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True,
                           check=True).stdout.splitlines()
    names = [ln.split(":")[1].strip() for ln in links if ":" in ln]
    if names != ["lo"]:
        die("not in a fresh network namespace (links: %s); refusing to touch "
            "/etc/resolv.conf" % ", ".join(names))
    run(["ip", "link", "set", "lo", "up"])
    rc = os.path.join(top, "resolv.conf")
    with open(rc, "w") as f:
        f.write("# peer.py: the namespace's validating unbound\nnameserver 127.0.0.1\n")
    run(["mount", "--bind", rc, "/etc/resolv.conf"])
    with open("/etc/resolv.conf") as f:
        if "nameserver 127.0.0.1" not in f.read():
            die("the resolv.conf bind mount did not take")


# ----------------------------------------------------------- the servers

class Polcached:
    """A polcached in DIR with the given dmarc-mode."""

    def __init__(self, binary, dirn, unbound_conf, mode):
        self.sock = os.path.join(dirn, "polcached.sock")
        os.makedirs(dirn, exist_ok=True)
        conf = os.path.join(dirn, "polcached.conf")
        with open(conf, "w") as f:
            f.write("# written by tests/bench/peer/peer.py\nlisten: %s\nstate-dir: %s\n"
                    "log-level: notice\nunbound-config: %s\ncache-insert-rate: 0\n"
                    "dmarc-mode: %s\n" % (self.sock, os.path.join(dirn, "state"),
                                          unbound_conf, mode))
            if os.getuid() == 0:  # root of the user namespace: no setgroups there
                f.write('user: ""\n')
        logf = open(os.path.join(dirn, "polcached.log"), "ab")
        self.p = subprocess.Popen([binary, "-f", "-c", conf], stdin=subprocess.DEVNULL,
                                  stdout=logf, stderr=logf, start_new_session=True)
        logf.close()
        deadline = time.monotonic() + 15
        while True:
            s = socket.socket(socket.AF_UNIX)
            try:
                s.connect(self.sock)
                break
            except OSError:
                pass
            finally:
                s.close()
            if self.p.poll() is not None or time.monotonic() > deadline:
                die("polcached did not start; see %s/polcached.log" % dirn)
            time.sleep(0.02)
        self.pid = self.p.pid

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(30)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()


class Session:
    """Everything of one run inside the namespace."""

    def __init__(self, a, top):
        self.a, self.top = a, top
        self.wdir = os.path.join(top, "w")
        self.daemons = []
        self.results = []

    def start(self):
        extra, self.msgs, self.notes = workload.make(self.a.seed)
        self.byid = {m["id"]: m for m in self.msgs}
        path = os.path.join(self.top, "extra.json")
        with open(path, "w") as f:
            json.dump(extra, f)
        self.all_msgs = self.write_msgs("msgs.tsv", self.msgs)
        log("starting the world (%d messages, %d zones)" % (len(self.msgs), len(extra["zones"])))
        run([sys.executable, WORLD, "start", self.wdir, "--extra", path], stdout=subprocess.DEVNULL)
        run([sys.executable, WORLD, "unbound-start", self.wdir, "--port", "53", "--threads",
             str(self.a.unbound_threads),
             "--option", "so-rcvbuf: 4m"], stdout=subprocess.DEVNULL)
        with open(os.path.join(self.wdir, "unbound-daemon.pid")) as f:
            self.ub_pid = int(f.read().split()[0])
        conf = os.path.join(self.wdir, "unbound.conf")
        self.psl = Polcached(self.a.polcached, os.path.join(self.top, "pc-psl"), conf, "psl")
        self.daemons.append(self.psl)
        self.tw = Polcached(self.a.polcached, os.path.join(self.top, "pc-tw"), conf, "treewalk")
        self.daemons.append(self.tw)
        self.pids = {"pc": self.psl.pid, "pctw": self.tw.pid, "ub": self.ub_pid}

    def stop(self):
        for d in self.daemons:
            d.stop()
        subprocess.run([sys.executable, WORLD, "stop", self.wdir], stdout=subprocess.DEVNULL)

    def write_msgs(self, name, msgs, expect=None):
        path = os.path.join(self.top, name)
        with open(path, "w") as f:
            for m in msgs:
                f.write(workload.tsv(m, None if expect is None else expect[m["id"]]))
        return path

    def engine_args(self, args):
        return [x.format(psl=self.psl.sock, tw=self.tw.sock) for x in args] + \
            ["--psl", PSL_FILE, "--ns", "127.0.0.1"]

    # ------------------------------------------------------- verdicts

    def verdicts(self, cfg):
        key, label, task, args, _ = cfg
        cmd = [self.a.peerbench, "--task", task, "--msgs", self.all_msgs, "--verdicts"] + \
            self.engine_args(args)
        p = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, env=peer_env())
        if p.returncode != 0 and (p.returncode != 1 or not p.stdout):
            die("%s: peerbench failed: %s" % (label, " ".join(cmd)))
        out = {}
        for line in p.stdout.splitlines():
            mid, _, v = line.partition("\t")
            out[mid] = v
        return out

    def compare(self, configs, main_sets):
        """Verdicts of every configuration, twice; the agreed verdict per message
        of main_sets (those must agree), and the others as edge messages."""
        got = {}
        for cfg in configs:
            for rnd in ("cold", "warm"):
                got[(cfg[0], rnd)] = self.verdicts(cfg)
        keys = list(got)
        agreed, bad, edge = {}, [], []
        for m in self.msgs:
            vs = {k: got[k].get(m["id"], "MISSING") for k in keys}
            distinct = sorted(set(vs.values()))
            if m["set"] in main_sets:
                if len(distinct) == 1 and not distinct[0].startswith(("ERROR", "MISSING")):
                    agreed[m["id"]] = distinct[0]
                else:
                    bad.append((m, vs))
            else:
                edge.append((m, vs))
        return agreed, bad, edge, got

    def report_verdicts(self, title, configs, agreed, bad, edge):
        n_main = len(agreed) + len(bad)
        names = [c[1] for c in configs]
        print("\n### Verdicts: %s\n" % title)
        print("%d of %d main messages agree across %s (each asked twice, cold and warm); "
              "%d edge messages.\n" % (len(agreed), n_main, "; ".join(names), len(edge)))
        counts = {}
        for v in agreed.values():
            counts[v] = counts.get(v, 0) + 1
        print("Agreed verdicts: " + ", ".join("%s %d" % (v, n) for v, n in
                                             sorted(counts.items(), key=lambda x: -x[1])) + "\n")
        for m, vs in bad:
            print("DISAGREE %s (%s): %s" % (m["id"], workload.tsv(m).strip(),
                                            "; ".join("%s/%s=%s" % (k[0], k[1], v)
                                                      for k, v in vs.items())))
        if edge:
            print("| message | polcached | peer | why they may differ |\n|---|---|---|---|")
            pk = configs[0][0]
            for m, vs in edge:
                pv = vs[(pk, "warm")]
                peers = sorted({v for k, v in vs.items() if k[0] != pk and not
                                k[0].startswith("pc")})
                same = "agree" if peers == [pv] else "differ"
                print("| %s %s | %s | %s (%s) | %s |" % (
                    m["id"], m["from"], pv, " / ".join(peers), same,
                    self.notes.get(m["id"], "")))
        sys.stdout.flush()

    # ------------------------------------------------------- timing

    def timed(self, cfg, msgs_file, clients, duration, warmup):
        key, label, task, args, who = cfg
        cmd = [self.a.peerbench, "--task", task, "--msgs", msgs_file, "--set", "main",
               "-c", str(clients), "--duration", str(duration), "--warmup", str(warmup),
               "--pid", str(self.pids[who]), "--label", key] + self.engine_args(args)
        p = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, env=peer_env())
        if not p.stdout.strip():
            die("peerbench printed nothing: %s" % " ".join(cmd))
        r = json.loads(p.stdout.strip().splitlines()[-1])
        r.update(key=key, exit=p.returncode, load=os.getloadavg()[0])
        self.results.append(r)
        log("%-14s %-5s %2d clients %8.0f/s  p50 %7.1f  p99 %8.1f us  cpu %6.1f us/eval "
            "(client %.2f s, server %.2f s)  wrong %d failed %d%s%s" % (
                key, task, clients, r["rps"], r["p50_us"], r["p99_us"], r["cpu_us_per_eval"],
                r["client_cpu_s"], r["server_cpu_s"], r["wrong"], r["failed"],
                "" if r["upstream_queries"] < 0 else "  upstream %d misses %d" % (
                    r["upstream_queries"], r["cache_misses"]),
                "" if r.get("answer_cache_hits", -1) <= 0 else "  answer cache %d hits %d misses" % (
                    r["answer_cache_hits"], r["answer_cache_misses"])))
        return r


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def ratio_fmt(x):
    if x is None:
        return "-"
    return ("%.0fx" if x >= 10 else "%.1fx" if x >= 1 else "%.2fx") % x


def table(results, configs, pc_keys, clients_list):
    """Markdown rows: each polcached set-up against each peer configuration."""
    out = ["| clients | polcached | peer | polcached /s | p50 / p99 µs | peer /s | p50 / p99 µs "
           "| ratio /s | ratio p50 | CPU µs/eval pc / peer |",
           "|--:|---|---|--:|--:|--:|--:|--:|--:|--:|"]
    names = {c[0]: c[1] for c in configs}

    def rows(key, n):
        return [r for r in results if r["key"] == key and r["clients"] == n]

    for n in clients_list:
        for pc_key, cfg in [(k, c) for k in pc_keys for c in configs]:
            pc = rows(pc_key, n)
            if cfg[0].startswith("pc"):
                continue
            pe = rows(cfg[0], n)
            if not pc or not pe:
                continue
            ratio = [a["rps"] / b["rps"] for a, b in zip(pc, pe) if b["rps"] > 0]
            lat = [b["p50_us"] / a["p50_us"] for a, b in zip(pc, pe) if a["p50_us"] > 0]
            out.append("| %d | %s | %s | %s | %.1f / %.0f | %s | %.1f / %.0f | %s | %s | "
                       "%.1f / %.1f |" % (
                           n, names[pc_key], cfg[1],
                           "{:,.0f}".format(med([r["rps"] for r in pc])),
                           med([r["p50_us"] for r in pc]), med([r["p99_us"] for r in pc]),
                           "{:,.0f}".format(med([r["rps"] for r in pe])),
                           med([r["p50_us"] for r in pe]), med([r["p99_us"] for r in pe]),
                           ratio_fmt(med(ratio)), ratio_fmt(med(lat)),
                           med([r["cpu_us_per_eval"] for r in pc]),
                           med([r["cpu_us_per_eval"] for r in pe])))
    return "\n".join(out)


def tw_table(results, clients_list):
    out = ["| clients | polcached tree walk /s | p50 / p99 µs | polcached psl /s | "
           "tree walk / psl |", "|--:|--:|--:|--:|--:|"]
    for n in clients_list:
        tw = [r for r in results if r["key"] == "pc-tw" and r["clients"] == n]
        ps = [r for r in results if r["key"] == "pc-psl" and r["clients"] == n]
        if tw and ps:
            out.append("| %d | %s | %.0f / %.0f | %s | %.2f |" % (
                n, "{:,.0f}".format(med([r["rps"] for r in tw])), med([r["p50_us"] for r in tw]),
                med([r["p99_us"] for r in tw]), "{:,.0f}".format(med([r["rps"] for r in ps])),
                med([a["rps"] / b["rps"] for a, b in zip(tw, ps) if b["rps"] > 0])))
    return "\n".join(out)


def inside(a):
    top = a.dir or tempfile.mkdtemp(prefix="pc-peer-", dir="/tmp")
    os.makedirs(top, exist_ok=True)
    setup_network(top)
    s = Session(a, top)
    meta = {"date": time.strftime("%Y-%m-%d %H:%M %Z"), "load_start": os.getloadavg()[0],
            "cmd": " ".join(sys.argv), "runs": a.runs, "duration": a.duration}
    rc = 0
    try:
        s.start()
        spf_agreed, spf_bad, spf_edge, _ = s.compare(SPF_CONFIGS, ("main", "dmarc-edge"))
        s.report_verdicts("SPF check_host()", SPF_CONFIGS, spf_agreed, spf_bad, spf_edge)
        psl_cfgs = [c for c in DMARC_CONFIGS if c[0] != "pc-tw"]
        dm_agreed, dm_bad, dm_edge, _ = s.compare(psl_cfgs, ("main",))
        s.report_verdicts("DMARC, RFC 7489 (polcached dmarc-mode psl)", psl_cfgs, dm_agreed,
                          dm_bad, dm_edge)
        tw_agreed, tw_bad, tw_edge, _ = s.compare([c for c in DMARC_CONFIGS if c[0] == "pc-tw"], ("main",))
        diff = [mid for mid, v in tw_agreed.items() if dm_agreed.get(mid) not in (None, v)]
        print("\n### RFC 9989 tree walk (reported separately)\n\n%d main messages; polcached "
              "tree walk gives the same verdict as RFC 7489 mode on %d, differs on %d%s; "
              "stable cold and warm on %d.\n" % (
                  len(tw_agreed) + len(tw_bad), len(tw_agreed) - len(diff), len(diff),
                  (" (" + ", ".join(diff[:10]) + ")") if diff else "", len(tw_agreed)))
        if spf_bad or dm_bad or tw_bad:
            log("verdicts disagree on the main set: nothing is timed")
            return 1
        log("verdicts agree: SPF %d, DMARC %d main messages" % (len(spf_agreed), len(dm_agreed)))
        main = [m for m in s.msgs if m["set"] == "main"]
        spf_main = [dict(m, set="main") for m in s.msgs if m["id"] in spf_agreed]
        files = {"spf": s.write_msgs("timed-spf.tsv", spf_main, spf_agreed),
                 "dmarc": s.write_msgs("timed-dmarc.tsv", main, dm_agreed),
                 "tw": s.write_msgs("timed-dmarc-tw.tsv", main, tw_agreed)}
        plan = {c[0]: files["spf"] for c in SPF_CONFIGS}
        plan.update({c[0]: files["tw" if c[0] == "pc-tw" else "dmarc"] for c in DMARC_CONFIGS})
        if a.quick:
            for cfg in SPF_CONFIGS + DMARC_CONFIGS:
                r = s.timed(cfg, plan[cfg[0]], 2, 0.3, 0.1)
                if r["exit"] != 0 or r["errors"] or r["requests"] == 0:
                    log("FAIL %s: %d wrong, %d failed, %d measured" % (
                        cfg[0], r["wrong"], r["failed"], r["requests"]))
                    rc = 1
                if cfg[0].endswith("-ac") and (
                        r["answer_cache_hits"] <= 0 or
                        r["answer_cache_misses"] > (r["clients"] + 1) * r["messages"]):
                    # each context (the warm pass's and every client's) may
                    # miss each question once; every repeat must be a hit
                    log("FAIL %s: answer cache %d hits, %d misses for %d contexts x %d "
                        "messages" % (cfg[0], r["answer_cache_hits"], r["answer_cache_misses"],
                                      r["clients"] + 1, r["messages"]))
                    rc = 1
            log("quick: verdicts agree%s" % ("" if rc else ", timed passes clean"))
            return rc
        for rnd in range(a.runs):
            log("round %d of %d (load %.2f)" % (rnd + 1, a.runs, os.getloadavg()[0]))
            for n in (1, 8):
                for group in (SPF_CONFIGS, DMARC_CONFIGS):
                    order = group if rnd % 2 == 0 else list(reversed(group))
                    for cfg in order:
                        r = s.timed(cfg, plan[cfg[0]], n, a.duration, a.warmup)
                        if r["exit"] != 0:
                            rc = 1
        meta["load_end"] = os.getloadavg()[0]
        print("\nMeasured %s on %d vCPUs (load %.2f at the start, %.2f at the end); %d rounds "
              "of %g s (+%g s warm-up) each; command: `%s`\n" % (
                  meta["date"], os.cpu_count(), meta["load_start"], meta["load_end"], a.runs,
                  a.duration, a.warmup, "tests/bench/peer/peer.py " + " ".join(sys.argv[1:])))
        print("#### SPF checks/s (same %d messages, warm)\n" % len(spf_agreed))
        print(table(s.results, SPF_CONFIGS, ("pc", "pc-ac"), (1, 8)))
        print("\n#### DMARC evaluations/s, RFC 7489 (same %d messages, warm)\n" % len(dm_agreed))
        print(table(s.results, DMARC_CONFIGS, ("pc-psl", "pc-psl-ac"), (1, 8)))
        print("\n#### polcached, RFC 9989 tree walk\n")
        print(tw_table(s.results, (1, 8)))
        pcr = [r for r in s.results if r["upstream_queries"] >= 0]
        print("\npolcached during the %d measured windows: %d upstream queries, %d cache "
              "misses; wrong or failed evaluations on any side: %d." % (
                  len(pcr), sum(r["upstream_queries"] for r in pcr),
                  sum(r["cache_misses"] for r in pcr), sum(r["errors"] for r in s.results)))
        return rc
    finally:
        s.stop()
        if a.out:
            with open(a.out, "w") as f:
                json.dump({"meta": meta, "results": s.results}, f, indent=1)
        if not a.dir and not a.keep:
            shutil.rmtree(top, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(SRC, "build-peer"),
                    help="a Release build tree (default: build-peer in the source tree)")
    ap.add_argument("--polcached", help="polcached binary (default: BUILD/daemon/polcached)")
    ap.add_argument("--peerbench", help="peerbench (default: BUILD/tests/bench/peer/peerbench)")
    ap.add_argument("--runs", type=int, default=7, help="rounds of every timed configuration")
    ap.add_argument("--duration", type=float, default=3, help="measured seconds per run")
    ap.add_argument("--warmup", type=float, default=0.5, help="unmeasured seconds per run")
    ap.add_argument("--seed", type=int, default=7, help="the workload's random seed")
    ap.add_argument("--unbound-threads", type=int, default=1,
                    help="threads of the peers' unbound (num-threads)")
    ap.add_argument("--dir", help="work directory (kept); default a temporary one")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    ap.add_argument("--out", help="write every raw result here (JSON)")
    ap.add_argument("--quick", action="store_true", help="CI: verdicts and a short timed pass")
    a = ap.parse_args()
    a.polcached = a.polcached or os.path.join(a.build, "daemon", "polcached")
    if a.peerbench is None:
        a.peerbench = os.path.join(a.build, "tests", "bench", "peer", "peerbench")
    if not a.peerbench:  # CMake passes --peerbench= without libspf2/libopendmarc
        skip("peerbench is not built: libspf2-dev or libopendmarc-dev was missing at configure "
             "time")
    for p in (a.polcached, a.peerbench):
        if not os.access(p, os.X_OK):
            die("%s is not built (cmake -S . -B build-peer -DCMAKE_BUILD_TYPE=Release)" % p, 2)
    for tool in ("nsd", "unbound", "ip", "mount", "dig"):
        if shutil.which(tool) is None:
            (skip if a.quick else die)("%s is not installed" % tool)
    if not os.path.exists(PSL_FILE):
        (skip if a.quick else die)("%s is missing (Debian package publicsuffix)" % PSL_FILE)
    enter_namespace(a)
    return inside(a)


if __name__ == "__main__":
    sys.exit(main())
