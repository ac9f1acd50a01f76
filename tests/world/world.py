#!/usr/bin/env python3
"""A real, DNSSEC-signed DNS world for polcache's tests, generated at test time.

One NSD on 127.0.0.1:<free high port> serves a signed root, a signed TLD `pcw.`
and children in every DNSSEC state; a "silent" socket (bound on UDP and TCP,
never answers) stands in for a dead server.  Keys, zones and trust anchors are
made fresh on every `start`; nothing generated is committed.

    world.py start DIR [--port N]      build and start the world in DIR (wiped)
    world.py stop DIR                  stop everything started for DIR (idempotent)
    world.py set DIR OWNER TYPE [--ttl N] [--raw] [VALUE...]
                                       replace (or, with no VALUE, delete) an RRset,
                                       re-sign its zone, reload NSD, wait until served
    world.py check DIR                 check every case in cases.tsv with unbound-host
    world.py unbound-start DIR         start a standalone unbound daemon on the world
    world.py unbound-stop DIR          stop it

See README.md beside this file for the zone layout, the cases and the interface.
Only the Python standard library is used; ldns tools, NSD, dig, unbound and
openssl are run as programs.
"""

import argparse
import base64
import concurrent.futures
import json
import os
import random
import re
import secrets
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
STATIC_CASES = os.path.join(HERE, "cases.tsv")

TLD = "pcw."
ALG = "ECDSAP256SHA256"
TTL = 300           # default TTL of every record
NEG_TTL = 60        # SOA TTL and minimum: the negative-caching TTL
HOUR, DAY = 3600, 86400
LOOPBACK = "127.0.0.1"
SAFE_PATH = re.compile(r"^[A-Za-z0-9._/+@=,-]+$")

# Built-in local zones of unbound that would shadow (parts of) the world.
NODEFAULT_ZONES = [
    "test.", "invalid.",
    "2.0.192.in-addr.arpa.",            # TEST-NET-1, used by the world
    "100.51.198.in-addr.arpa.",         # TEST-NET-2
    "113.0.203.in-addr.arpa.",          # TEST-NET-3
    "8.b.d.0.1.0.0.2.ip6.arpa.",        # 2001:db8::/32, used by the world
]

# ---------------------------------------------------------------------------
# small helpers


def die(msg, code=1):
    print("world.py: " + msg, file=sys.stderr)
    sys.exit(code)


def run(cmd, cwd=None, timeout=60, check=True):
    p = subprocess.run(cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout)
    if check and p.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(cmd), p.returncode,
                                                   p.stderr.decode(errors="replace").strip()))
    return p.stdout.decode(errors="replace")


def write(path, text, mode=0o644):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def sub(label, zone):
    """Name `label` directly under `zone` (both presentation format)."""
    return label + "." if zone == "." else label + "." + zone


def parse_name(name):
    """Presentation-format domain name -> tuple of lowercase label bytes."""
    if name in (".", ""):
        return ()
    labels, cur, i = [], bytearray(), 0
    while i < len(name):
        c = name[i]
        if c == "\\":
            if name[i + 1:i + 4].isdigit() and len(name[i + 1:i + 4]) == 3:
                cur.append(int(name[i + 1:i + 4]))
                i += 4
            else:
                cur += name[i + 1].encode()
                i += 2
            continue
        if c == ".":
            labels.append(bytes(cur).lower())
            cur = bytearray()
        else:
            cur += c.encode()
        i += 1
    if cur:
        labels.append(bytes(cur).lower())
    return tuple(labels)


def absname(name):
    return name if name.endswith(".") and not name.endswith("\\.") else name + "."


def txt_rdata(strings):
    """List of byte strings -> TXT rdata in zone-file presentation format."""
    out = []
    for s in strings:
        if isinstance(s, str):
            s = s.encode()
        assert len(s) <= 255, "TXT string longer than 255 octets"
        q = ""
        for b in s:
            if b in (0x22, 0x5C):
                q += "\\" + chr(b)
            elif 0x20 <= b <= 0x7E:
                q += chr(b)
            else:
                q += "\\%03d" % b
        out.append('"' + q + '"')
    return " ".join(out)


def split255(data):
    if isinstance(data, str):
        data = data.encode()
    if not data:
        return [b""]
    return [data[i:i + 255] for i in range(0, len(data), 255)]


def parse_txt_strings(s):
    """Presentation-format character-strings (as printed by ldns/unbound) -> list of bytes."""
    out, i = [], 0
    while i < len(s):
        if s[i].isspace():
            i += 1
            continue
        cur = bytearray()
        quoted = s[i] == '"'
        if quoted:
            i += 1
        while i < len(s):
            c = s[i]
            if quoted and c == '"':
                i += 1
                break
            if not quoted and c.isspace():
                break
            if c == "\\":
                d = s[i + 1:i + 4]
                if len(d) == 3 and d.isdigit():
                    cur.append(int(d))
                    i += 4
                else:
                    cur += s[i + 1].encode()
                    i += 2
                continue
            cur += c.encode()
            i += 1
        out.append(bytes(cur))
    return out


def enc_text(data):
    """Bytes -> the text encoding of cases.tsv (printable ASCII as is; \\, |, other -> \\DDD)."""
    return "".join(chr(b) if 0x20 <= b <= 0x7E and b not in (0x5C, 0x7C) else "\\%03d" % b
                   for b in data)


def dec_text(s):
    out, i = bytearray(), 0
    while i < len(s):
        if s[i] == "\\" and s[i + 1:i + 4].isdigit():
            out.append(int(s[i + 1:i + 4]))
            i += 4
        else:
            out += s[i].encode()
            i += 1
    return bytes(out)


# ---------------------------------------------------------------------------
# ports, processes


def port_free(port):
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        s = socket.socket(socket.AF_INET, kind)
        try:
            s.bind((LOOPBACK, port))
        except OSError:
            return False
        finally:
            s.close()
    return True


def port_candidates():
    """Random high ports outside the kernel's ephemeral range where possible."""
    lo, hi = 32768, 60999
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            lo, hi = (int(x) for x in f.read().split())
    except (OSError, ValueError):
        pass
    pool = [p for p in range(20000, 65000) if not lo <= p <= hi] or list(range(20000, 65000))
    random.SystemRandom().shuffle(pool)
    return pool


def pick_port(avoid=()):
    for p in port_candidates():
        if p not in avoid and port_free(p):
            return p
    raise RuntimeError("no free port")


def proc_stat(pid):
    """(state, pgid) of a live process, or None."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            data = f.read()
    except OSError:
        return None
    rest = data[data.rindex(")") + 2:].split()
    return rest[0], int(rest[2])


def proc_cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def alive(pid):
    st = proc_stat(pid)
    return st is not None and st[0] not in ("Z", "X")


def group_members(pgid):
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            st = proc_stat(int(d))
            if st and st[1] == pgid and st[0] not in ("Z", "X"):
                out.append(int(d))
    return out


def kill_and_wait(pid, group, marker, timeout=8.0):
    """Stop pid (or its process group) if its command line contains marker."""
    if not pid:
        return True
    members = group_members(pid) if group else ([pid] if alive(pid) else [])
    members = [m for m in members if marker in proc_cmdline(m)]
    if not members:
        return True
    sig_targets = lambda s: [_safe_kill(m, s) for m in members]
    sig_targets(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    killed = False
    while True:
        left = [m for m in members if alive(m)]
        if not left:
            return True
        if time.monotonic() > deadline:
            if killed:
                return False
            for m in left:
                _safe_kill(m, signal.SIGKILL)
            killed, deadline = True, time.monotonic() + 3
        time.sleep(0.02)


def _safe_kill(pid, sig):
    try:
        os.kill(pid, sig)
    except OSError:
        pass


# ---------------------------------------------------------------------------
# dig probes


def dig(port, *args, timeout=5):
    cmd = ["dig", "@" + LOOPBACK, "-p", str(port), "+time=1", "+tries=1"] + list(args)
    try:
        return run(cmd, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return ""


def dig_headers(out):
    """Parse (possibly multi-query) dig output -> list of dicts(qname, qtype, status, flags, answer)."""
    res, cur, section = [], None, None
    for line in out.splitlines():
        m = re.search(r"->>HEADER<<- opcode: \w+, status: (\w+)", line)
        if m:
            cur = {"status": m.group(1), "flags": set(), "qname": None, "qtype": None, "answer": []}
            res.append(cur)
            section = None
            continue
        if cur is None:
            continue
        m = re.match(r";; flags: ([^;]*);", line)
        if m:
            cur["flags"] = set(m.group(1).split())
            continue
        m = re.match(r";; (\w+) SECTION:", line)
        if m:
            section = m.group(1)
            continue
        if section == "QUESTION" and line.startswith(";") and cur["qname"] is None:
            f = line[1:].split()
            if len(f) >= 3:
                cur["qname"], cur["qtype"] = f[0], f[2]
        elif section == "ANSWER" and line and not line.startswith(";"):
            cur["answer"].append(line)
    return res


def nsd_identity(port):
    out = dig(port, "+norec", "+short", "CH", "TXT", "id.server")
    return out.strip().strip('"')


def probe_zones(port, zones):
    """True if every served zone answers its SOA with NOERROR+aa (no-SOA zones: SERVFAIL)."""
    args = ["+norec"]
    for z in zones:
        args += [z["name"], "SOA"]
    hdrs = dig_headers(dig(port, *args, timeout=10))
    if len(hdrs) != len(zones):
        return False
    for z, h in zip(zones, hdrs):
        if z["mode"] == "nosoa":
            if h["status"] != "SERVFAIL":
                return False
        elif h["status"] != "NOERROR" or "aa" not in h["flags"] or not h["answer"]:
            return False
    return True


def soa_serial(port, zone):
    for h in dig_headers(dig(port, "+norec", zone, "SOA")):
        for line in h["answer"]:
            f = line.split()
            if len(f) >= 7 and f[3] == "SOA":
                return int(f[6])
    return None


# ---------------------------------------------------------------------------
# the world's content


def big_txt():
    recs = []
    for i in range(12):
        body = "big-%02d " % i + "".join(chr(ord("a") + (i + j) % 26) for j in range(200))
        recs.append(txt_rdata([body]))
    return recs


def model(now):
    """The world: zones with their records (rdata in presentation format)."""
    T = lambda strings: txt_rdata(strings if isinstance(strings, list) else [strings])
    sec = "secure.pcw."
    zones = [
        dict(name=".", mode="signed", records=[]),
        dict(name=TLD, mode="signed", records=[]),
        dict(name="arpa.", mode="signed", records=[
            ["10.2.0.192.in-addr.arpa.", TTL, "PTR", "mail.secure.pcw."],
            ["0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.",
             TTL, "PTR", "mail.secure.pcw."],
        ]),
        dict(name=sec, mode="signed", nsec3=True, records=[
            [sec, TTL, "TXT", T("v=spf1 ip4:192.0.2.0/24 -all")],
            [sec, TTL, "TXT", T("pcw-site-verification=4f1c2a")],
            [sec, TTL, "MX", "10 mail.secure.pcw."],
            ["_dmarc." + sec, TTL, "TXT", T("v=DMARC1; p=reject; rua=mailto:d@secure.pcw")],
            # sel._domainkey / ed._domainkey are added by build_dkim()
            ["big." + sec, TTL, "TXT", None],          # filled below
            ["twospf." + sec, TTL, "TXT", T("v=spf1 ip4:192.0.2.1 -all")],
            ["twospf." + sec, TTL, "TXT", T("v=spf1 ip4:192.0.2.2 -all")],
            ["_dmarc.twodmarc." + sec, TTL, "TXT", T("v=DMARC1; p=none")],
            ["_dmarc.twodmarc." + sec, TTL, "TXT", T("v=DMARC1; p=reject")],
            ["_dmarc.cname." + sec, TTL, "CNAME", "_dmarc.target." + sec],
            ["_dmarc.target." + sec, TTL, "TXT", T("v=DMARC1; p=quarantine; pct=50")],
            ["_dmarc.cnameinsec." + sec, TTL, "CNAME", "_dmarc.insecure.pcw."],
            ["_dmarc.cnamebogus." + sec, TTL, "CNAME", "_dmarc.bogus-ds.pcw."],
            ["nodata." + sec, TTL, "A", "192.0.2.1"],
            ["a\\032space." + sec, TTL, "TXT", T("label with a space")],
            ["oct\\200et." + sec, TTL, "TXT", T("label with octet 0x80")],
            ["pct%41." + sec, TTL, "TXT", T("label with a percent sign")],
            ["a\\.dot." + sec, TTL, "TXT", T("label with a dot")],
            ["under_score." + sec, TTL, "TXT", T("label with an underscore")],
            ["mixedcase." + sec, TTL, "TXT", T("mixed case query")],
            ["esc." + sec, TTL, "TXT", T([b'quote" back\\ semi; tab\t high\x80\xff'])],
            ["empty." + sec, TTL, "TXT", T([b""])],
            ["max255." + sec, TTL, "TXT", T(["m" * 255])],
            ["shortttl." + sec, 2, "TXT", T("short ttl")],
            ["mx." + sec, TTL, "MX", "10 mail.secure.pcw."],
            ["mail." + sec, TTL, "A", "192.0.2.10"],
            ["mail." + sec, TTL, "AAAA", "2001:db8::10"],
        ]),
        dict(name="insecure.pcw.", mode="unsigned", records=[
            ["insecure.pcw.", TTL, "TXT", T("v=spf1 ip4:198.51.100.0/24 -all")],
            ["_dmarc.insecure.pcw.", TTL, "TXT", T("v=DMARC1; p=none; rua=mailto:d@insecure.pcw")],
        ]),
        dict(name="bogus-ds.pcw.", mode="signed", ds="wrong", records=[
            ["_dmarc.bogus-ds.pcw.", TTL, "TXT", T("v=DMARC1; p=reject")],
        ]),
        dict(name="expired.pcw.", mode="signed", inception=-10 * DAY, expiration=-3 * DAY,
             records=[["_dmarc.expired.pcw.", TTL, "TXT", T("v=DMARC1; p=reject")]]),
        dict(name="tampered.pcw.", mode="signed",
             tamper=["_dmarc.tampered.pcw.", "TXT", T("v=DMARC1; p=none")],
             records=[["_dmarc.tampered.pcw.", TTL, "TXT", T("v=DMARC1; p=reject")]]),
        dict(name="servfail.pcw.", mode="nosoa", records=[
            ["_dmarc.servfail.pcw.", TTL, "TXT", T("v=DMARC1; p=reject")],
        ]),
        # delegated in pcw. (insecurely) but served by nobody: unbound.conf has a
        # stub zone for it that points at the silent socket.
        dict(name="silent.pcw.", mode="external", records=[]),
    ]
    for z in zones:
        z.setdefault("nsec3", False)
        z.setdefault("ds", "good" if z["mode"] == "signed" else "none")
        z.setdefault("inception", -HOUR)
        z.setdefault("expiration", 2 * DAY)
        z.setdefault("tamper", None)
        z["serial"] = now
    recs = zones[3]["records"]
    i = [k for k, r in enumerate(recs) if r[0] == "big." + sec][0]
    recs[i:i + 1] = [["big." + sec, TTL, "TXT", r] for r in big_txt()]
    return {"zones": zones, "created": now}


def add_extra(world, path, now):
    """Merge extra zones from a JSON file into the model; return the extra
    silent stub-zone names. {"zones": [{"name": "example.", "mode": "signed"
    or "unsigned", optionally "ds": "wrong" (a signed zone whose parent holds
    the DS of another key: everything in it is bogus), "records": [[owner,
    ttl, type, rdata], ...]}], "silent":
    ["zone.", ...], "nsd_stubs": ["zone.", ...]}: silent zones get a stub to
    the silent socket, nsd_stubs a stub straight to NSD (a zone below a
    silent one that must still answer). TXT rdata is plain text (split into <=255-octet
    strings), or a list of strings for one record."""
    with open(path) as f:
        extra = json.load(f)
    for z in extra.get("zones", []):
        recs = []
        for owner, ttl, rtype, rdata in z.get("records", []):
            if rtype == "TXT":
                rdata = txt_rdata(rdata if isinstance(rdata, list) else split255(rdata.encode()))
            recs.append([absname(owner), int(ttl), rtype, rdata])
        zone = dict(name=absname(z["name"]), mode=z.get("mode", "signed"), records=recs)
        zone.setdefault("nsec3", False)
        # "ds": "wrong" puts the DS of another key in the parent: the zone is bogus
        zone["ds"] = z.get("ds", "good" if zone["mode"] == "signed" else "none")
        zone["inception"] = -HOUR
        zone["expiration"] = 2 * DAY
        zone["tamper"] = None
        zone["serial"] = now
        world["zones"].append(zone)
    return ([absname(n) for n in extra.get("silent", [])],
            [absname(n) for n in extra.get("nsd_stubs", [])])


def served(world):
    return [z for z in world["zones"] if z["mode"] != "external"]


def find_zone(world, name):
    return next(z for z in world["zones"] if z["name"] == name)


def parent_of(world, zname):
    lab = parse_name(zname)
    best = None
    for z in world["zones"]:
        zl = parse_name(z["name"])
        if len(zl) < len(lab) and lab[len(lab) - len(zl):] == zl:
            if best is None or len(zl) > len(parse_name(best["name"])):
                best = z
    return best


def zone_for_owner(world, owner, rtype):
    lab = parse_name(owner)
    best = None
    for z in world["zones"]:
        zl = parse_name(z["name"])
        if lab[len(lab) - len(zl):] == zl or not zl:
            if rtype == "DS" and zl == lab and zl:
                continue            # DS lives in the parent
            if best is None or len(zl) > len(parse_name(best["name"])):
                best = z
    return best


def zfile(z):
    return "root.zone" if z["name"] == "." else z["name"].rstrip(".") + ".zone"


def key_base(dirn, z, decoy=False):
    with open(os.path.join(dirn, "keys", "index.json")) as f:
        idx = json.load(f)
    return os.path.join(dirn, "keys", idx[("decoy:" if decoy else "") + z["name"]])


def gen_keys(dirn, world):
    kd = os.path.join(dirn, "keys")
    os.makedirs(kd, exist_ok=True)
    idx = {}
    for z in world["zones"]:
        if z["mode"] != "signed":
            continue
        idx[z["name"]] = run(["ldns-keygen", "-a", ALG, "-k", z["name"]], cwd=kd).strip()
        if z["ds"] == "wrong":
            # a second key whose DS goes into the parent: matches nothing in the child
            dd = os.path.join(kd, "decoy")
            os.makedirs(dd, exist_ok=True)
            idx["decoy:" + z["name"]] = "decoy/" + run(
                ["ldns-keygen", "-a", ALG, "-k", z["name"]], cwd=dd).strip()
    write(os.path.join(kd, "index.json"), json.dumps(idx, indent=1))


def ds_records(dirn, z):
    base = key_base(dirn, z, decoy=(z["ds"] == "wrong"))
    out = run(["ldns-key2ds", "-n", "-2", base + ".key"])
    return [l for l in out.splitlines() if l.strip()]


def zone_text(dirn, world, z):
    n = z["name"]
    lines = ["; generated by tests/world/world.py: zone %s (%s)" % (n, z["mode"])]
    if z["mode"] != "nosoa":
        lines.append("%s %d IN SOA %s %s %d 3600 600 86400 %d" % (
            n, NEG_TTL, sub("ns", n), sub("hostmaster", n), z["serial"], NEG_TTL))
    lines.append("%s %d IN NS %s" % (n, TTL, sub("ns", n)))
    lines.append("%s %d IN A %s" % (sub("ns", n), TTL, LOOPBACK))
    for owner, ttl, rtype, rdata in z["records"]:
        lines.append("%s %d IN %s %s" % (owner, ttl, rtype, rdata))
    # delegations to direct children
    for c in world["zones"]:
        if c is z or parent_of(world, c["name"]) is not z:
            continue
        lines.append("%s %d IN NS %s" % (c["name"], TTL, sub("ns", c["name"])))
        lines.append("%s %d IN A %s" % (sub("ns", c["name"]), TTL, LOOPBACK))
        if c["mode"] == "signed" and c["ds"] != "none":
            for ds in ds_records(dirn, c):
                f = ds.split()
                lines.append("%s %d IN DS %s" % (c["name"], TTL, " ".join(f[-4:])))
    return "\n".join(lines) + "\n"


def build_zone(dirn, world, z):
    """Write the source zone, sign it, apply tampering.  Returns the served file name."""
    zd = os.path.join(dirn, "zones")
    src = os.path.join(zd, zfile(z))
    write(src, zone_text(dirn, world, z))
    if z["mode"] != "signed":
        return zfile(z)
    now = int(time.time())
    out = src + ".signed"
    cmd = ["ldns-signzone", "-i", str(now + z["inception"]), "-e", str(now + z["expiration"]),
           "-o", z["name"], "-f", out + ".tmp"]
    if z["nsec3"]:
        cmd += ["-n", "-t", "0"]          # RFC 9276: no extra iterations, no salt
    cmd += [src, key_base(dirn, z)]
    run(cmd, cwd=zd)
    if z["tamper"]:
        towner, ttype, trdata = z["tamper"]
        lines, hit = [], 0
        with open(out + ".tmp") as f:
            for line in f:
                fl = line.split(None, 4)
                if (len(fl) == 5 and parse_name(fl[0]) == parse_name(towner)
                        and fl[3].upper() == ttype):
                    line = "%s\t%s\t%s\t%s\t%s\n" % (fl[0], fl[1], fl[2], fl[3], trdata)
                    hit += 1
                lines.append(line)
        if hit != 1:
            raise RuntimeError("tampering %s %s: %d matches" % (towner, ttype, hit))
        write(out + ".tmp", "".join(lines))
    # NSD reloads on SIGHUP only if the mtime changed: make sure it does.
    old = os.stat(out).st_mtime_ns if os.path.exists(out) else 0
    os.replace(out + ".tmp", out)
    if os.stat(out).st_mtime_ns <= old:
        t = old + 1_000_000_000
        os.utime(out, ns=(t, t))
    return zfile(z) + ".signed"


def start_dkim_keygen(dirn):
    """Start generating the RSA-2048 DKIM key (slowest step: 0.1-0.5 s) in the background."""
    dd = os.path.join(dirn, "dkim")
    os.makedirs(dd, exist_ok=True)
    return subprocess.Popen(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt",
                             "rsa_keygen_bits:2048", "-out", os.path.join(dd, "sel.private.pem")],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)


def build_dkim(dirn, world, rsa_proc):
    """Generate real DKIM keys (RSA-2048 and Ed25519) and add their TXT records."""
    dd = os.path.join(dirn, "dkim")
    run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", os.path.join(dd, "ed.private.pem")])
    if rsa_proc.wait(timeout=60) != 0:
        raise RuntimeError("openssl genpkey RSA failed: %s" % rsa_proc.stderr.read().decode())
    der = lambda k: subprocess.run(
        ["openssl", "pkey", "-in", os.path.join(dd, k), "-pubout", "-outform", "DER"],
        stdout=subprocess.PIPE, check=True).stdout
    rsa_p = base64.b64encode(der("sel.private.pem")).decode()
    ed_p = base64.b64encode(der("ed.private.pem")[-32:]).decode()   # RFC 8463: raw key
    rsa_strings = [b"v=DKIM1; k=rsa; ", ("p=" + rsa_p[:253]).encode(), rsa_p[253:].encode()]
    ed_text = "v=DKIM1; k=ed25519; p=" + ed_p
    with open(os.path.join(dd, "sel.txt"), "wb") as f:
        f.write(b"".join(rsa_strings))
    with open(os.path.join(dd, "ed.txt"), "wb") as f:
        f.write(ed_text.encode())
    sec = find_zone(world, "secure.pcw.")
    sec["records"] += [
        ["sel._domainkey.secure.pcw.", TTL, "TXT", txt_rdata(rsa_strings)],
        ["ed._domainkey.secure.pcw.", TTL, "TXT", txt_rdata([ed_text])],
    ]


# ---------------------------------------------------------------------------
# configuration files


def nsd_conf(dirn, world, port, ident, zonefiles):
    nd = os.path.join(dirn, "nsd")
    s = ["# generated by tests/world/world.py", "server:",
         "    ip-address: %s" % LOOPBACK, "    port: %d" % port, "    do-ip4: yes",
         "    do-ip6: no", "    reuseport: no", "    server-count: 1", "    tcp-count: 200",
         "    verbosity: 1", '    username: ""', '    chroot: ""', '    database: ""',
         '    zonesdir: "%s"' % os.path.join(dirn, "zones"),
         '    zonelistfile: "%s"' % os.path.join(nd, "zone.list"),
         '    xfrdfile: "%s"' % os.path.join(nd, "xfrd.state"),
         '    xfrdir: "%s"' % os.path.join(nd, "xfr"),
         '    pidfile: "%s"' % os.path.join(nd, "nsd.pid"),
         '    logfile: "%s"' % os.path.join(nd, "nsd.log"),
         '    cookie-secret-file: "%s"' % os.path.join(nd, "cookiesecrets.txt"),
         '    identity: "%s"' % ident, "    hide-identity: no", "    hide-version: no",
         "    rrl-ratelimit: 0", "    rrl-whitelist-ratelimit: 0", "    rrl-slip: 0",
         "    zonefiles-check: yes", "    zonefiles-write: 0",
         "remote-control:", "    control-enable: no"]
    for z in served(world):
        s += ["zone:", '    name: "%s"' % z["name"], '    zonefile: "%s"' % zonefiles[z["name"]]]
    return "\n".join(s) + "\n"


def unbound_server_common(dirn, st):
    s = [
        "    # the world lives on 127.0.0.1 (notes: pitfall 2)",
        "    do-not-query-localhost: no",
        "    do-ip6: no",
        "    # fast failure on a silent server: SERVFAIL after ~0.75 s (notes: pitfalls 4-6)",
        "    infra-cache-max-rtt: 1000",
        "    outbound-msg-retry: 1",
        "    infra-host-ttl: 2",
        "    infra-keep-probing: yes",
        "    # why_bogus details; validation failures go to the log file",
        "    val-log-level: 2",
        "    log-servfail: yes",
        "    # no RFC 8145 key-tag queries (_ta-xxxx. NULL) to the world's root",
        "    trust-anchor-signaling: no",
        "    # unbound's built-in zones must not shadow the world (notes: 1, 16)",
        "    unblock-lan-zones: yes",
        "    # not yes: it would mark the signed reverse zones of the world insecure",
        "    insecure-lan-zones: no",
    ]
    s += ['    local-zone: "%s" nodefault' % z for z in NODEFAULT_ZONES]
    s += ['    trust-anchor-file: "%s"' % os.path.join(dirn, "root.ds")]
    return s


def unbound_zones(st):
    s = []
    for z in st.get("silent_zones", ["silent.pcw."]):
        s += ["stub-zone:", '    name: "%s"' % z,
              "    stub-addr: %s@%d" % (LOOPBACK, st["silent_port"]), "    stub-prime: no",
              "    stub-first: no"]
    for z in st.get("nsd_stubs", []):
        s += ["stub-zone:", '    name: "%s"' % z,
              "    stub-addr: %s@%d" % (LOOPBACK, st["port"]), "    stub-prime: no",
              "    stub-first: no"]
    return s + ["forward-zone:", '    name: "."',
            "    forward-addr: %s@%d" % (LOOPBACK, st["port"]), "    forward-first: no"]


def unbound_conf(dirn, st):
    s = ["# generated by tests/world/world.py: for libunbound's ub_ctx_config()",
         "# (no cache settings here: the daemon sets its own)", "server:",
         "    verbosity: 1", "    use-syslog: no",
         '    logfile: "%s"' % os.path.join(dirn, "libunbound.log")]
    s += unbound_server_common(dirn, st) + unbound_zones(st)
    return "\n".join(s) + "\n"


def unbound_daemon_conf(dirn, st, port=None, threads=1, options=()):
    s = ["# generated by tests/world/world.py: a standalone unbound on the world",
         "# (`world.py unbound-start DIR` fills in the port and starts it)", "server:",
         "    interface: %s" % LOOPBACK,
         ("    port: %d" % port) if port else "    # port: set by world.py unbound-start",
         "    do-daemonize: no", '    username: ""', '    chroot: ""',
         '    directory: "%s"' % dirn,
         '    pidfile: "%s"' % os.path.join(dirn, "unbound-daemon.pid"),
         "    use-syslog: no", '    logfile: "%s"' % os.path.join(dirn, "unbound-daemon.log"),
         "    verbosity: 1", "    num-threads: %d" % threads, "    so-reuseport: no",
         '    identity: "%s"' % st["unbound_identity"], "    hide-identity: no",
         "    access-control: 127.0.0.0/8 allow"]
    s += ["    " + o for o in options]  # unbound-start --option
    s += unbound_server_common(dirn, st)
    s += ["remote-control:", "    control-enable: no"] + unbound_zones(st)
    return "\n".join(s) + "\n"


def write_env(dirn, st):
    env = [("PC_WORLD_DIR", dirn), ("PC_WORLD_PORT", st["port"]),
           ("PC_WORLD_SILENT_PORT", st["silent_port"]),
           ("PC_WORLD_TA", os.path.join(dirn, "root.ds")),
           ("PC_WORLD_UNBOUND_CONF", os.path.join(dirn, "unbound.conf")),
           ("PC_WORLD_FWD", "%s@%d" % (LOOPBACK, st["port"])),
           ("PC_WORLD_CASES", os.path.join(dirn, "cases.tsv")),
           ("PC_WORLD_NSD_IDENTITY", st["identity"]),
           ("PC_WORLD_UNBOUND_DAEMON_CONF", os.path.join(dirn, "unbound-daemon.conf"))]
    if st.get("unbound_port"):
        env.append(("PC_WORLD_UNBOUND_PORT", st["unbound_port"]))
    write(os.path.join(dirn, "world.env"), "".join("%s=%s\n" % kv for kv in env))


def load_state(dirn):
    try:
        with open(os.path.join(dirn, "state.json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def save_state(dirn, st):
    write(os.path.join(dirn, "state.json"), json.dumps(st, indent=1))


def load_world(dirn):
    with open(os.path.join(dirn, "world.json")) as f:
        return json.load(f)


def save_world(dirn, world):
    write(os.path.join(dirn, "world.json"), json.dumps(world, indent=1))


# ---------------------------------------------------------------------------
# cases


def load_cases(dirn=None, path=STATIC_CASES):
    cases = []
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            f5 = line.split("\t")
            name, qtype, outcome, dnssec, text = f5[:5]
            note = f5[5] if len(f5) > 5 else ""
            if dirn and text.startswith("@"):
                with open(os.path.join(dirn, text[1:]), "rb") as g:
                    text = enc_text(g.read())
            cases.append(dict(name=name, qtype=qtype, outcome=outcome, dnssec=dnssec,
                              text=text, note=note))
    return cases


def write_cases(dirn):
    out = ["# generated by world.py from tests/world/cases.tsv (@file texts expanded)",
           "# name\tqtype\toutcome\tdnssec\ttext\tnote"]
    for c in load_cases(dirn):
        out.append("\t".join([c["name"], c["qtype"], c["outcome"], c["dnssec"], c["text"],
                              c["note"]]))
    write(os.path.join(dirn, "cases.tsv"), "\n".join(out) + "\n")


# ---------------------------------------------------------------------------
# silent server


def start_silent(dirn, avoid=()):
    """Bind UDP+TCP on a free port, then double-fork a server that never answers."""
    for port in port_candidates():
        if port in avoid:
            continue
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            u.bind((LOOPBACK, port))
            t.bind((LOOPBACK, port))
            t.listen(128)
            break
        except OSError:
            u.close()
            t.close()
    else:
        raise RuntimeError("no free port for the silent server")
    pidfile = os.path.join(dirn, "silent.pid")
    for s in (u, t):
        s.set_inheritable(True)
    pid = os.fork()
    if pid == 0:
        try:
            os.setsid()
            if os.fork() != 0:
                os._exit(0)
            fd = os.open(os.devnull, os.O_RDWR)
            log = os.open(os.path.join(dirn, "silent.log"), os.O_WRONLY | os.O_CREAT | os.O_APPEND)
            os.dup2(fd, 0)
            os.dup2(log, 1)
            os.dup2(log, 2)
            os.execv(sys.executable, [sys.executable, os.path.abspath(__file__), "_silent", dirn,
                                      str(u.fileno()), str(t.fileno())])
        finally:
            os._exit(1)
    os.waitpid(pid, 0)
    u.close()
    t.close()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            with open(pidfile) as f:
                spid = int(f.read().strip())
            return port, spid
        except (OSError, ValueError):
            time.sleep(0.005)
    raise RuntimeError("silent server did not start")


def silent_main(dirn, ufd, tfd):
    u = socket.socket(fileno=ufd)
    t = socket.socket(fileno=tfd)
    pidfile = os.path.join(dirn, "silent.pid")
    write(pidfile, "%d\n" % os.getpid())
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    sel = selectors.DefaultSelector()
    sel.register(u, selectors.EVENT_READ, "udp")
    sel.register(t, selectors.EVENT_READ, "listen")
    conns = []
    while True:
        for key, _ in sel.select(timeout=2.0):
            if key.data == "udp":
                try:
                    u.recvfrom(65535)            # and never answer
                except OSError:
                    pass
            elif key.data == "listen":
                try:
                    c, _ = t.accept()            # accept, read, never answer
                except OSError:
                    continue
                c.setblocking(False)
                conns.append(c)
                sel.register(c, selectors.EVENT_READ, "conn")
                if len(conns) > 500:
                    old = conns.pop(0)
                    sel.unregister(old)
                    old.close()
            else:
                c = key.fileobj
                try:
                    data = c.recv(65535)
                except OSError:
                    data = b""
                if not data:
                    sel.unregister(c)
                    conns.remove(c)
                    c.close()
        # exit by itself once the world is gone (pid file removed)
        try:
            with open(pidfile) as f:
                if int(f.read().strip()) != os.getpid():
                    sys.exit(0)
        except (OSError, ValueError):
            sys.exit(0)


# ---------------------------------------------------------------------------
# NSD


def start_nsd(dirn, world, st, zonefiles, fixed_port=None):
    nd = os.path.join(dirn, "nsd")
    os.makedirs(os.path.join(nd, "xfr"), exist_ok=True)
    attempts = 1 if fixed_port else 8
    last = "?"
    for _ in range(attempts):
        if fixed_port:
            if not port_free(fixed_port):
                raise RuntimeError("port %d is in use (UDP or TCP) on %s" % (fixed_port, LOOPBACK))
            port = fixed_port
        else:
            port = pick_port(avoid=(st.get("silent_port"),))
        write(os.path.join(dirn, "nsd.conf"), nsd_conf(dirn, world, port, st["identity"], zonefiles))
        log = open(os.path.join(nd, "nsd.stderr"), "ab")
        p = subprocess.Popen(["nsd", "-d", "-c", os.path.join(dirn, "nsd.conf")],
                             stdin=subprocess.DEVNULL, stdout=log, stderr=log, cwd=dirn,
                             start_new_session=True)
        log.close()
        st["nsd_pid"], st["port"] = p.pid, port
        ok, last = wait_nsd(p, port, world, st["identity"])
        if ok:
            return
        kill_and_wait(p.pid, True, "nsd")
        p.poll()
    raise RuntimeError("NSD did not become ready: %s (see %s/nsd/nsd.log)" % (last, dirn))


def wait_nsd(p, port, world, ident, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if p is not None and p.poll() is not None:
            return False, "nsd exited with %s" % p.returncode
        if probe_zones(port, served(world)):
            got = nsd_identity(port)
            if got != ident:
                return False, "identity mismatch on port %d: %r" % (port, got)
            return True, ""
        time.sleep(0.02)
    return False, "timeout"


def reload_nsd(dirn, world, st, zone):
    """SIGHUP NSD and wait until the zone's new serial is served; restart as a fallback."""
    want = zone["serial"]
    if alive(st["nsd_pid"]):
        os.kill(st["nsd_pid"], signal.SIGHUP)
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            if soa_serial(st["port"], zone["name"]) == want:
                return "sighup"
            time.sleep(0.02)
    # fallback: restart on the same port
    kill_and_wait(st["nsd_pid"], True, "nsd")
    zonefiles = {z["name"]: served_file(z) for z in served(world)}
    start_nsd(dirn, world, st, zonefiles, fixed_port=st["port"])
    save_state(dirn, st)
    if soa_serial(st["port"], zone["name"]) != want:
        raise RuntimeError("NSD restarted but does not serve serial %d" % want)
    return "restart"


def served_file(z):
    return zfile(z) + (".signed" if z["mode"] == "signed" else "")


# ---------------------------------------------------------------------------
# commands


def require(*tools):
    missing = [t for t in tools if not shutil.which(t)]
    if missing:
        die("missing program(s): %s (Debian: apt-get install -y nsd ldnsutils bind9-dnsutils "
            "unbound unbound-host openssl)" % " ".join(missing))


def check_dir(dirn):
    dirn = os.path.abspath(dirn)
    if not SAFE_PATH.match(dirn):
        die("DIR must match %s (no spaces or shell metacharacters): %r" % (SAFE_PATH.pattern, dirn))
    return dirn


def cmd_start(a):
    t0 = time.monotonic()
    dirn = check_dir(a.dir)
    require("nsd", "ldns-keygen", "ldns-signzone", "ldns-key2ds", "dig", "openssl")
    if a.port and not port_free(a.port):
        die("port %d is in use (UDP or TCP) on %s" % (a.port, LOOPBACK))
    if os.path.exists(dirn):
        stop_all(dirn)
        shutil.rmtree(dirn)
    os.makedirs(dirn)
    now = int(time.time())
    world = model(now)
    silent_zones, nsd_stubs = ["silent.pcw."], []
    if getattr(a, "extra", None):
        more, nsd_stubs = add_extra(world, a.extra, now)
        silent_zones += more
    st = {"silent_zones": silent_zones, "nsd_stubs": nsd_stubs, "identity": "pcw-" + secrets.token_hex(8),
          "unbound_identity": "pcw-ub-" + secrets.token_hex(8), "created": now}
    try:
        rsa = start_dkim_keygen(dirn)
        gen_keys(dirn, world)
        build_dkim(dirn, world, rsa)
        os.makedirs(os.path.join(dirn, "zones"))
        zonefiles = {z["name"]: build_zone(dirn, world, z) for z in served(world)}
        root = find_zone(world, ".")
        shutil.copy(key_base(dirn, root) + ".key", os.path.join(dirn, "root.key"))
        write(os.path.join(dirn, "root.ds"), "".join(l + "\n" for l in ds_records(dirn, root)))
        save_world(dirn, world)
        write_cases(dirn)
        st["silent_port"], st["silent_pid"] = start_silent(dirn, avoid=(a.port,))
        save_state(dirn, st)
        start_nsd(dirn, world, st, zonefiles, fixed_port=a.port)
        save_state(dirn, st)
        write(os.path.join(dirn, "unbound.conf"), unbound_conf(dirn, st))
        write(os.path.join(dirn, "unbound-daemon.conf"), unbound_daemon_conf(dirn, st))
        write_env(dirn, st)
    except Exception as e:
        stop_all(dirn)
        die("start failed: %s" % e)
    print("world up in %s: NSD on %s@%d, silent on %s@%d (%.2f s)" % (
        dirn, LOOPBACK, st["port"], LOOPBACK, st["silent_port"], time.monotonic() - t0))


def stop_all(dirn):
    st = load_state(dirn)
    if not st:
        return True
    ok = True
    ok &= kill_and_wait(st.get("unbound_pid"), True, os.path.join(dirn, "unbound-daemon.conf"))
    ok &= kill_and_wait(st.get("nsd_pid"), True, os.path.join(dirn, "nsd.conf"))
    ok &= kill_and_wait(st.get("silent_pid"), False, dirn)
    try:
        os.unlink(os.path.join(dirn, "silent.pid"))
    except OSError:
        pass
    return ok


def cmd_stop(a):
    dirn = check_dir(a.dir)
    if not os.path.isdir(dirn):
        return
    if not stop_all(dirn):
        die("some processes of the world in %s did not exit" % dirn)
    st = load_state(dirn)
    if st:
        st.pop("unbound_pid", None)
        st.pop("unbound_port", None)
        save_state(dirn, st)
        if os.path.exists(os.path.join(dirn, "world.env")):
            write_env(dirn, st)


def need_running(dirn):
    st = load_state(dirn)
    if not st or not st.get("nsd_pid") or not alive(st["nsd_pid"]):
        die("no running world in %s (run `world.py start %s`)" % (dirn, dirn))
    return st


def cmd_set(a):
    dirn = check_dir(a.dir)
    st = need_running(dirn)
    world = load_world(dirn)
    owner = absname(a.owner)
    rtype = a.type.upper()
    z = zone_for_owner(world, owner, rtype)
    if z is None or z["mode"] in ("external", "nosoa"):
        die("%s is not in a zone that world.py can change" % owner)
    if a.raw or rtype != "TXT":
        rdatas = list(a.values)
    else:
        rdatas = [txt_rdata(split255(v.encode("utf-8", "surrogateescape"))) for v in a.values]
    key = parse_name(owner)
    z["records"] = [r for r in z["records"] if not (parse_name(r[0]) == key and r[2].upper() == rtype)]
    z["records"] += [[owner, a.ttl, rtype, rd] for rd in rdatas]
    if z["tamper"] and parse_name(z["tamper"][0]) == key and z["tamper"][1] == rtype:
        z["tamper"] = None            # an explicit set replaces the tampered data
    z["serial"] = max(z["serial"] + 1, int(time.time()))
    build_zone(dirn, world, z)
    save_world(dirn, world)
    how = reload_nsd(dirn, world, st, z)
    print("set %s %s in zone %s (serial %d, %s, %d record(s))" % (
        owner, rtype, z["name"], z["serial"], how, len(rdatas)))


# ---- check


def unbound_host(conf, name, qtype):
    t0 = time.monotonic()
    try:
        out = run(["unbound-host", "-C", conf, "-v", "-t", qtype, name], timeout=20, check=False)
    except subprocess.TimeoutExpired:
        out = "(unbound-host timed out)"
    return out, time.monotonic() - t0


def classify(out):
    """unbound-host -v output -> (outcome, dnssec, [rdata texts], why)."""
    sec, why, datas, outcome = "-", "", [], None
    for line in out.splitlines():
        m = re.search(r"\((secure|insecure|BOGUS \(security failure\))\)\s*$", line)
        if m:
            sec = "bogus" if m.group(1).startswith("BOGUS") else m.group(1)
            line = line[:m.start()].rstrip()
        if line.startswith("validation failure"):
            why = line[len("validation failure"):].strip()
            continue
        m = re.match(r"Host .* not found: (\d+)\((\w+)\)\.?", line)
        if m:
            outcome = {"NXDOMAIN": "nxdomain", "SERVFAIL": "servfail"}.get(m.group(2),
                                                                          m.group(2).lower())
            continue
        if re.search(r" has no (address|IPv6 address|domain name ptr|mail handler record|"
                     r"\S+ record)$", line):
            outcome = outcome or "nodata"
            continue
        m = re.search(r" has TXT record (.*)$", line)
        if m:
            datas.append(enc_text(b"".join(parse_txt_strings(m.group(1)))))
            outcome = "answer"
            continue
        for pat in (r" has address (\S+)$", r" has IPv6 address (\S+)$",
                    r" mail is handled by (.*)$", r" domain name pointer (\S+)$",
                    r" has \S+ record (.*)$"):
            m = re.search(pat, line)
            if m:
                datas.append(m.group(1))
                outcome = "answer"
                break
    return outcome or "?", sec, sorted(datas), why


def cmd_check(a):
    dirn = check_dir(a.dir)
    require("unbound-host", "unbound-checkconf", "dig")
    st = need_running(dirn)
    t0 = time.monotonic()
    bad = 0
    if nsd_identity(st["port"]) != st["identity"]:
        print("NSD identity mismatch on port %d" % st["port"])
        bad += 1
    conf = os.path.join(dirn, "unbound.conf")
    for c in (conf, os.path.join(dirn, "unbound-daemon.conf")):
        p = subprocess.run(["unbound-checkconf", c], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT)
        if p.returncode != 0:
            print("unbound-checkconf %s: %s" % (c, p.stdout.decode().strip()))
            bad += 1
    cases = load_cases(dirn, os.path.join(dirn, "cases.tsv"))
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as ex:
        results = list(ex.map(lambda c: unbound_host(conf, c["name"], c["qtype"]), cases))
    rows = []
    for c, (out, dt) in zip(cases, results):
        outcome, sec, datas, why = classify(out)
        want_text = "-" if c["text"] == "-" else "|".join(sorted(c["text"].split("|")))
        got_text = "|".join(datas) if datas else "-"
        ok = outcome == c["outcome"] and sec == c["dnssec"]
        if c["text"] != "-" and c["outcome"] == "answer":
            ok = ok and got_text == want_text
        if c["outcome"] == "timeout":
            # libunbound reports a silent server as SERVFAIL after the fast-fail period
            ok = outcome == "servfail" and sec == "-" and dt < 3.0
            outcome = "timeout" if ok else outcome
        if not ok:
            bad += 1
        rows.append((c, outcome, sec, got_text, want_text, why, dt, ok, out))
    short = lambda s, n=34: s if len(s) <= n else s[:n - 3] + "..."
    print("%-4s %-38s %-5s %-24s %-24s %6s  %s" % ("", "name", "type", "expected", "observed",
                                                  "ms", "text / why"))
    for c, outcome, sec, got_text, want_text, why, dt, ok, out in rows:
        print("%-4s %-38s %-5s %-24s %-24s %6.0f  %s" % (
            "ok" if ok else "FAIL", short(c["name"], 38), c["qtype"],
            c["outcome"] + "/" + c["dnssec"], outcome + "/" + sec, dt * 1000,
            short(got_text if not why else "why: " + why, 60)))
        if not ok:
            print("     expected text: %s\n     observed text: %s\n     unbound-host said:\n%s" % (
                short(want_text, 200), short(got_text, 200),
                "\n".join("       " + l for l in out.splitlines())))
    print("%d cases, %d mismatches, %.1f s" % (len(rows), bad, time.monotonic() - t0))
    sys.exit(1 if bad else 0)


# ---- unbound daemon


def cmd_unbound_start(a):
    dirn = check_dir(a.dir)
    require("unbound", "dig")
    st = need_running(dirn)
    if st.get("unbound_pid") and alive(st["unbound_pid"]):
        die("an unbound daemon already runs for %s on port %s" % (dirn, st.get("unbound_port")))
    conf = os.path.join(dirn, "unbound-daemon.conf")
    last = "?"
    for _ in range(1 if a.port else 6):
        port = a.port or pick_port(avoid=(st["port"], st["silent_port"]))
        if not port_free(port):
            die("port %d is in use" % port)
        write(conf, unbound_daemon_conf(dirn, st, port, a.threads, a.option or ()))
        log = open(os.path.join(dirn, "unbound-daemon.stderr"), "ab")
        p = subprocess.Popen(["unbound", "-d", "-c", conf], stdin=subprocess.DEVNULL,
                             stdout=log, stderr=log, cwd=dirn, start_new_session=True)
        log.close()
        deadline = time.monotonic() + 10
        ok = False
        while time.monotonic() < deadline and p.poll() is None:
            if dig(port, "+short", "CH", "TXT", "id.server").strip().strip('"') == \
                    st["unbound_identity"]:
                ok = True
                break
            time.sleep(0.02)
        if ok:
            h = dig_headers(dig(port, "+dnssec", "_dmarc.secure.pcw.", "TXT"))
            if h and h[0]["status"] == "NOERROR" and "ad" in h[0]["flags"] and h[0]["answer"]:
                st["unbound_pid"], st["unbound_port"] = p.pid, port
                save_state(dirn, st)
                write_env(dirn, st)
                print("unbound daemon on %s@%d (pid %d)" % (LOOPBACK, port, p.pid))
                return
            last = "validation probe failed: %r" % (h[:1],)
        else:
            last = "not ready (exit %s)" % p.poll()
        kill_and_wait(p.pid, True, conf)
        p.poll()
    die("unbound daemon did not start: %s (see %s/unbound-daemon.log)" % (last, dirn))


def cmd_unbound_stop(a):
    dirn = check_dir(a.dir)
    st = load_state(dirn)
    if not st:
        return
    if not kill_and_wait(st.get("unbound_pid"), True, os.path.join(dirn, "unbound-daemon.conf")):
        die("unbound daemon did not exit")
    st.pop("unbound_pid", None)
    st.pop("unbound_port", None)
    save_state(dirn, st)
    if os.path.exists(os.path.join(dirn, "world.env")):
        write_env(dirn, st)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sp = ap.add_subparsers(dest="cmd", required=True)
    p = sp.add_parser("start")
    p.add_argument("dir")
    p.add_argument("--port", type=int, help="NSD port (refused if bound); default: a free one")
    p.add_argument("--extra", help="JSON file of extra zones and silent stub zones "
                   "(see README: Extra zones)")
    sp.add_parser("stop").add_argument("dir")
    p = sp.add_parser("set")
    p.add_argument("dir")
    p.add_argument("owner")
    p.add_argument("type")
    p.add_argument("values", nargs="*")
    p.add_argument("--ttl", type=int, default=TTL)
    p.add_argument("--raw", action="store_true",
                   help="VALUEs are rdata in zone-file format (default for TXT: plain text)")
    sp.add_parser("check").add_argument("dir")
    p = sp.add_parser("unbound-start")
    p.add_argument("dir")
    p.add_argument("--port", type=int)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--option", action="append", help="one more server: line, e.g. 'so-rcvbuf: 4m'")
    sp.add_parser("unbound-stop").add_argument("dir")
    p = sp.add_parser("_silent")
    p.add_argument("dir")
    p.add_argument("ufd", type=int)
    p.add_argument("tfd", type=int)
    a = ap.parse_args()
    {"start": cmd_start, "stop": cmd_stop, "set": cmd_set, "check": cmd_check,
     "unbound-start": cmd_unbound_start, "unbound-stop": cmd_unbound_stop,
     "_silent": lambda a: silent_main(a.dir, a.ufd, a.tfd)}[a.cmd](a)


if __name__ == "__main__":
    main()
