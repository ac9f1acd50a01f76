#!/usr/bin/env python3
"""DNS zones for the RFC 7208 SPF test suite, one scenario at a time.

The suite (openspf / pyspf `rfc7208-tests.yml`) is multi-document YAML: each
scenario has its own `zonedata`, and owner names repeat across scenarios with
different data. This driver serves one scenario at a time from one NSD, as a
single signed root zone holding every owner (notes, item 17), and writes for
each scenario an unbound config for polcached. The test itself
(tests/e2e/test_spf_suite.c) sends every check to a real polcached.

    spfsuite.py start DIR YAML   parse the suite; write DIR/tests.tsv; make the
                                 root key; start the silent server and NSD
    spfsuite.py load DIR N       serve scenario N (0-based): zone, signature,
                                 NSD reload; write DIR/unbound-N.conf
    spfsuite.py stop-nsd DIR     stop NSD only (the warm-cache test)
    spfsuite.py stop DIR         stop everything started for DIR

Driver rules (../shared/conformance/README.md): an SPF entry is also served
as TXT unless the owner has TXT entries of its own, and `TXT: NONE`
suppresses TXT; a list value is the strings of one TXT record; absent names
are NXDOMAIN; present names without the type are NODATA. `TIMEOUT`: an owner
that then has no record we query (TXT, A, AAAA, MX, PTR, CNAME) gets a stub
zone to the silent socket, marked domain-insecure; owners of the scenario
below it get stub zones back to NSD. An owner whose TIMEOUT follows records
(`spftimeout`) keeps them: only its other types would time out, and the SPF
type is never asked. Unbound's built-in reverse zones are switched off.

Reuses tests/world/world.py (imported, not changed) for keys, signing, NSD,
the silent server and the fast-fail unbound options.
"""

import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import world as W  # noqa: E402

TTL = 3600
QUERIED = ("TXT", "A", "AAAA", "MX", "PTR", "CNAME")

# unbound's default local zones that could hold a suite owner (notes, item 16)
EXTRA_NODEFAULT = [
    "10.in-addr.arpa.", "168.192.in-addr.arpa.", "254.169.in-addr.arpa.",
    "0.in-addr.arpa.", "127.in-addr.arpa.", "onion.", "localhost.", "home.arpa.",
] + ["%d.172.in-addr.arpa." % i for i in range(16, 32)]


def to_bytes(s):
    """YAML text -> octets: \\xNN escapes are code points below 256."""
    if isinstance(s, bytes):
        return s
    s = str(s)
    try:
        return s.encode("latin-1")
    except UnicodeEncodeError:
        return s.encode("utf-8")


def pres_name(name):
    """A suite owner or target -> absolute presentation format."""
    name = str(name)
    if name in ("", "."):
        return "."
    if name.endswith("."):
        name = name[:-1]
    labels = []
    for lab in name.split("."):
        out = ""
        for b in to_bytes(lab):
            c = chr(b)
            out += c if (c.isalnum() and b < 0x80) or c in "-_" else "\\%03d" % b
        labels.append(out)
    return ".".join(labels) + "."


def esc(v):
    """Octets -> a tests.tsv field: \\xHH outside printable ASCII, and for \\."""
    return "".join(chr(b) if 0x20 <= b < 0x7F and b != 0x5C else "\\x%02x" % b
                   for b in to_bytes(v))


def owner_records(owner, entries):
    """(records, timeout, queried) for one owner of a scenario."""
    has_txt = any(isinstance(e, dict) and "TXT" in e for e in entries)
    recs, timeout, queried = [], False, False
    o = pres_name(owner)
    for e in entries:
        if e == "TIMEOUT":
            timeout = True
            continue
        (k, v), = e.items()
        strings = None
        if k in ("SPF", "TXT"):
            if v == "NONE":
                continue
            vals = v if isinstance(v, list) else [v]
            strings = [to_bytes(x) for x in vals] or [b""]
            strings = [c for s in strings for c in (W.split255(s) if s else [b""])]
        if k == "SPF":
            recs.append([o, TTL, "SPF", W.txt_rdata(strings)])
            if not has_txt:
                recs.append([o, TTL, "TXT", W.txt_rdata(strings)])
                queried = True
        elif k == "TXT":
            recs.append([o, TTL, "TXT", W.txt_rdata(strings)])
        elif k == "MX":
            recs.append([o, TTL, "MX", "%d %s" % (int(v[0]), pres_name(v[1]))])
        elif k in ("PTR", "CNAME"):
            recs.append([o, TTL, k, pres_name(v)])
        elif k in ("A", "AAAA"):
            recs.append([o, TTL, k, str(v)])
        else:
            raise RuntimeError("unknown record type %s at %s" % (k, owner))
        queried = queried or k in QUERIED
    return recs, timeout, queried


def scenario_zone(zonedata):
    """All records of a scenario, and its stub zones: (records, silent, back)."""
    records, silent = [], []
    for owner, entries in (zonedata or {}).items():
        recs, timeout, queried = owner_records(owner, entries or [])
        records += recs
        if timeout and not queried:
            silent.append(pres_name(owner))
    owners = {pres_name(o) for o in (zonedata or {})}
    back = sorted(o for o in owners if o not in silent and any(
        W.parse_name(o)[-len(W.parse_name(s)):] == W.parse_name(s) for s in silent))
    return records, sorted(silent), back


def unbound_conf(dirn, st, silent, back):
    s = ["# generated by tests/world/spfsuite.py for one scenario of the SPF suite",
         "server:", "    verbosity: 1", "    use-syslog: no",
         '    logfile: "%s"' % os.path.join(dirn, "libunbound.log")]
    s += W.unbound_server_common(dirn, st)
    s += ['    local-zone: "%s" nodefault' % z for z in EXTRA_NODEFAULT
          if z not in W.NODEFAULT_ZONES]
    s += ['    domain-insecure: "%s"' % z for z in silent]
    for z in silent:
        s += ["stub-zone:", '    name: "%s"' % z,
              "    stub-addr: %s@%d" % (W.LOOPBACK, st["silent_port"]),
              "    stub-prime: no", "    stub-first: no"]
    for z in back:
        s += ["stub-zone:", '    name: "%s"' % z,
              "    stub-addr: %s@%d" % (W.LOOPBACK, st["port"]),
              "    stub-prime: no", "    stub-first: no"]
    s += ["forward-zone:", '    name: "."',
          "    forward-addr: %s@%d" % (W.LOOPBACK, st["port"]), "    forward-first: no"]
    return "\n".join(s) + "\n"


def root_world(records, serial):
    z = dict(name=".", mode="signed", records=records, nsec3=False, ds="good",
             inception=-W.HOUR, expiration=2 * W.DAY, tamper=None, serial=serial)
    return {"zones": [z], "created": serial}


def cmd_start(dirn, yaml_path):
    import yaml  # python3-yaml, a test dependency (tools/dev.sh)
    t0 = time.monotonic()
    dirn = W.check_dir(dirn)
    W.require("nsd", "ldns-keygen", "ldns-signzone", "ldns-key2ds", "dig")
    if os.path.exists(dirn):
        W.stop_all(dirn)
        import shutil
        shutil.rmtree(dirn)
    os.makedirs(os.path.join(dirn, "zones"))
    with open(yaml_path, "rb") as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    scen, lines = [], []
    for i, d in enumerate(docs):
        records, silent, back = scenario_zone(d.get("zonedata"))
        scen.append({"description": d.get("description", ""), "records": records,
                     "silent": silent, "back": back})
        lines.append("S\t%d\t%s" % (i, esc(d.get("description", ""))))
        for name, t in (d.get("tests") or {}).items():
            res = t["result"] if isinstance(t["result"], list) else [t["result"]]
            lines.append("\t".join(["T", str(i), esc(name), esc(t.get("helo", "")),
                                    esc(t.get("host", "")), esc(t.get("mailfrom", "")),
                                    ",".join(res), esc(t.get("explanation", ""))]))
    W.write(os.path.join(dirn, "tests.tsv"), "\n".join(lines) + "\n")
    W.write(os.path.join(dirn, "suite.json"), json.dumps(scen))
    serial = int(time.time())
    world = root_world([], serial)
    st = {"identity": "pcspf-" + os.urandom(8).hex(), "serial": serial}
    try:
        W.gen_keys(dirn, world)
        root = world["zones"][0]
        zfile = W.build_zone(dirn, world, root)
        W.write(os.path.join(dirn, "root.ds"),
                "".join(l + "\n" for l in W.ds_records(dirn, root)))
        W.save_world(dirn, world)
        st["silent_port"], st["silent_pid"] = W.start_silent(dirn)
        W.save_state(dirn, st)
        W.start_nsd(dirn, world, st, {".": zfile})
        W.save_state(dirn, st)
    except Exception as e:  # leave nothing running
        W.stop_all(dirn)
        W.die("start failed: %s" % e)
    print("spf suite world in %s: %d scenarios, NSD on %s@%d (%.2f s)" % (
        dirn, len(scen), W.LOOPBACK, st["port"], time.monotonic() - t0))


def cmd_load(dirn, n):
    dirn = W.check_dir(dirn)
    st = W.need_running(dirn)
    with open(os.path.join(dirn, "suite.json")) as f:
        sc = json.load(f)[n]
    st["serial"] += 1
    world = root_world(sc["records"], st["serial"])
    root = world["zones"][0]
    W.build_zone(dirn, world, root)
    W.save_world(dirn, world)
    W.reload_nsd(dirn, world, st, root)
    W.save_state(dirn, st)
    W.write(os.path.join(dirn, "unbound-%d.conf" % n),
            unbound_conf(dirn, st, sc["silent"], sc["back"]))


def cmd_stop_nsd(dirn):
    dirn = W.check_dir(dirn)
    st = W.load_state(dirn)
    if st and not W.kill_and_wait(st.get("nsd_pid"), True, os.path.join(dirn, "nsd.conf")):
        W.die("NSD did not exit")


def main():
    a = sys.argv[1:]
    if len(a) == 3 and a[0] == "start":
        cmd_start(a[1], a[2])
    elif len(a) == 3 and a[0] == "load":
        cmd_load(a[1], int(a[2]))
    elif len(a) == 2 and a[0] == "stop-nsd":
        cmd_stop_nsd(a[1])
    elif len(a) == 2 and a[0] == "stop":
        if os.path.isdir(a[1]):
            W.stop_all(W.check_dir(a[1]))
    else:
        W.die(__doc__.split("\n\n")[1], 2)


if __name__ == "__main__":
    main()
