"""workload.py - the signed world and the messages of the peer comparison.

make(seed) returns (extra, messages, notes):

  extra     the --extra JSON of tests/world/world.py: zones com. and uk.
            (signed), net. (unsigned) and org. (signed with a wrong DS, so
            every answer from it is bogus);
  messages  dicts with id, set, ip, mailfrom, helo, from, dkim: the "main"
            set is what a mail host sees every day (SPF records with ip4,
            a, mx, include, redirect, exists and macros, nested includes,
            a record split over two strings; DMARC records with p, sp, np,
            strict and relaxed alignment; aligned and unaligned SPF and
            DKIM identifiers, subdomains that exist and that do not); the
            "edge" set holds the messages where RFC 7208 / RFC 9989 and
            the peers' older RFCs may answer differently;
  notes     for each edge message, what it tests and why the two sides
            may differ.

Everything is deterministic for one seed. Organizations sit under com.
and co.uk, so the Public Suffix List gives their organizational domains
(libopendmarc needs a listed suffix); every record has TTL 86400, so the
caches stay warm for any run length.
"""

import random

TTL = 86400
ESP_IP = "198.51.100.7"        # in _spf.esp.net
RELAY_IP = "203.0.113.201"     # out2.relay.net, in _spf.relay.net
UNAUTH_IP = "198.18.0.99"      # in nobody's SPF record

SPF_PROFILES = ["ip4", "a", "mx", "esp", "mixed", "redirect", "nested", "neutral",
                "softfail", "none", "exists", "long"]
DMARC_PROFILES = [
    "v=DMARC1; p=reject; rua=mailto:agg@{d}",
    "v=DMARC1; p=quarantine; sp=none",
    "v=DMARC1; p=none; rua=mailto:dmarc@{d}",
    "v=DMARC1; p=reject; adkim=s; aspf=s",
    "v=DMARC1; p=reject; sp=quarantine; aspf=s",
    None,
    "v=DMARC1; p=quarantine; np=reject",  # np != sp: RFC 9989 only
    "v=DMARC1; p=none; sp=reject; adkim=s",
]


def spf_records(d, n, profile):
    """(records, authorized IP) of one organization's SPF profile; n is its /24."""
    def txt(owner, text):
        return [owner, TTL, "TXT", text]
    if profile == "ip4":
        return [txt(d, "v=spf1 ip4:%s.0/24 -all" % n)], n + ".10"
    if profile == "a":
        return [txt(d, "v=spf1 a -all")], n + ".20"
    if profile == "mx":
        return [txt(d, "v=spf1 mx -all")], n + ".31"
    if profile == "esp":
        return [txt(d, "v=spf1 include:_spf.esp.net ~all")], ESP_IP
    if profile == "mixed":
        return [txt(d, "v=spf1 ip4:%s.0/28 a:smtp.%s mx include:_spf.esp.net "
                       "include:_spf.relay.net -all" % (n, d))], RELAY_IP
    if profile == "redirect":
        return [txt(d, "v=spf1 redirect=_spf.%s" % d),
                txt("_spf." + d, "v=spf1 ip4:%s.64/26 mx -all" % n)], n + ".31"
    if profile == "nested":
        return [txt(d, "v=spf1 include:_s1.%s -all" % d),
                txt("_s1." + d, "v=spf1 include:_s2.%s ip4:%s.128/25 -all" % (d, n)),
                txt("_s2." + d, "v=spf1 a:smtp.%s ip4:%s.0/28 -all" % (d, n))], n + ".40"
    if profile == "neutral":
        return [txt(d, "v=spf1 ip4:%s.0/28 ?all" % n)], n + ".5"
    if profile == "softfail":
        return [txt(d, "v=spf1 a mx ~all")], n + ".20"
    if profile == "none":
        return [], n + ".20"
    if profile == "exists":
        return [txt(d, "v=spf1 exists:%%{i}._spf.%s -all" % d),
                [n + ".10._spf." + d, TTL, "A", "127.0.0.2"]], n + ".10"
    if profile == "long":  # over 255 octets: two strings in one TXT record
        ips = " ".join("ip4:%s.%d/32" % (n, i) for i in range(100, 124))
        return [txt(d, "v=spf1 %s mx -all" % ips)], n + ".31"
    raise ValueError(profile)


def org_records(d, n, spf, dmarc):
    """Every record of one organization d (net n); returns (records, auth IP)."""
    recs = [[d, TTL, "A", n + ".20"], [d, TTL, "MX", "10 mx1.%s." % d],
            [d, TTL, "MX", "20 mx2.%s." % d], ["mx1." + d, TTL, "A", n + ".30"],
            ["mx2." + d, TTL, "A", n + ".31"], ["smtp." + d, TTL, "A", n + ".40"],
            ["news." + d, TTL, "A", n + ".50"]]
    srecs, auth = spf_records(d, n, spf)
    recs += srecs
    if spf != "none":
        recs.append(["bounce." + d, TTL, "TXT", "v=spf1 redirect=%s" % d])
    if dmarc is not None:
        recs.append(["_dmarc." + d, TTL, "TXT", dmarc.format(d=d)])
    return recs, auth


def make(seed=7):
    rng = random.Random(seed)
    com, uk, net, bad = [], [], [], []
    orgs = []  # {d, auth: an IP its SPF passes, dmarc: record or None, spf: profile}
    for k in range(1, 31):
        d, n = "s%02d.com" % k, "100.64.%d" % k
        spf = SPF_PROFILES[k % len(SPF_PROFILES)]
        dmarc = DMARC_PROFILES[(k * 3) % len(DMARC_PROFILES)]
        recs, auth = org_records(d, n, spf, dmarc)
        if k % 4 == 0:  # a subdomain with its own policy
            recs.append(["_dmarc.news." + d, TTL, "TXT", "v=DMARC1; p=none"])
        com += recs
        orgs.append({"d": d, "auth": auth, "dmarc": dmarc, "spf": spf})
    for d, n, spf, dmarc in (("shop.co.uk", "100.65.1", "mixed", DMARC_PROFILES[4]),
                             ("bank.co.uk", "100.65.2", "ip4", DMARC_PROFILES[1])):
        recs, auth = org_records(d, n, spf, dmarc)
        uk += recs
        orgs.append({"d": d, "auth": auth, "dmarc": dmarc, "spf": spf})
    # The two-SPF-records misconfiguration: permerror on both sides (RFC 4408 too).
    com += [["twospf.com", TTL, "TXT", "v=spf1 ip4:100.64.99.0/24 -all"],
            ["twospf.com", TTL, "TXT", "v=spf1 mx -all"],
            ["_dmarc.twospf.com", TTL, "TXT", "v=DMARC1; p=reject"]]
    net += [["esp.net", TTL, "A", "198.51.100.1"],
            ["esp.net", TTL, "TXT", "v=spf1 include:_spf.esp.net -all"],
            ["_spf.esp.net", TTL, "TXT", "v=spf1 ip4:198.51.100.0/24 ip4:203.0.113.0/25 -all"],
            ["_dmarc.esp.net", TTL, "TXT", "v=DMARC1; p=none"],
            ["_spf.relay.net", TTL, "TXT", "v=spf1 a:out1.relay.net a:out2.relay.net -all"],
            ["out1.relay.net", TTL, "A", "203.0.113.200"],
            ["out2.relay.net", TTL, "A", RELAY_IP]]
    # The edge organizations (see EDGE below).
    com += [["void.com", TTL, "TXT", "v=spf1 a:nx1.void.com a:nx2.void.com a:nx3.void.com "
                                      "ip4:100.64.200.0/24 -all"],
            ["_dmarc.void.com", TTL, "TXT", "v=DMARC1; p=reject"],
            ["nospf.com", TTL, "TXT", "site-verification=4f1c2a"],
            ["_dmarc.nospf.com", TTL, "TXT", "v=DMARC1; p=none"],
            ["inclnx.com", TTL, "TXT", "v=spf1 include:nothing.inclnx.com -all"],
            ["redirnx.com", TTL, "TXT", "v=spf1 redirect=nothing.redirnx.com"],
            ["syntax.com", TTL, "TXT", "v=spf1 ip4:300.1.1.1 -all"],
            ["badp.com", TTL, "TXT", "v=spf1 ip4:100.64.201.0/24 -all"],
            ["_dmarc.badp.com", TTL, "TXT", "v=DMARC1; p=bogus"]]
    bad += [["bad.org", TTL, "TXT", "v=spf1 ip4:100.66.0.0/24 -all"],
            ["_dmarc.bad.org", TTL, "TXT", "v=DMARC1; p=reject"]]
    extra = {"zones": [
        {"name": "com.", "mode": "signed", "records": com},
        {"name": "uk.", "mode": "signed", "records": uk},
        {"name": "net.", "mode": "unsigned", "records": net},
        {"name": "org.", "mode": "signed", "ds": "wrong", "records": bad},
    ]}
    msgs = [main_message(rng, i, orgs) for i in range(300)]
    msgs.append(msg("m300", "main", "100.64.99.1", "user@twospf.com", "mta.twospf.com",
                    "twospf.com", []))
    edge, notes = edge_messages()
    for m in msgs:
        why = m.pop("why", None)
        if why:
            notes[m["id"]] = why
    return extra, msgs + edge, notes


def msg(mid, mset, ip, mailfrom, helo, frm, dkim):
    return {"id": mid, "set": mset, "ip": ip, "mailfrom": mailfrom, "helo": helo,
            "from": frm, "dkim": dkim}


def pick(rng, weighted):
    r, acc = rng.random(), 0.0
    for w, v in weighted:
        acc += w
        if r < acc:
            return v
    return weighted[-1][1]


def main_message(rng, i, orgs):
    o = orgs[rng.randrange(len(orgs))]
    other = orgs[rng.randrange(len(orgs))]
    d = o["d"]
    mf = pick(rng, [(0.45, "org"), (0.2, "bounce"), (0.2, "esp"), (0.05, "null"),
                    (0.1, "other")])
    if mf == "bounce" and o["spf"] == "none":
        mf = "org"  # bounce.<d> redirects to d's record, which d does not publish
    mdom, mauth = {"org": (d, o["auth"]), "bounce": ("bounce." + d, o["auth"]),
                   "esp": ("esp.net", ESP_IP), "null": (d, o["auth"]),
                   "other": (other["d"], other["auth"])}[mf]
    ip = pick(rng, [(0.6, mauth), (0.25, UNAUTH_IP), (0.15, ESP_IP)])
    sub = "m%03d.%s" % (i, d)
    frm = pick(rng, [(0.55, d), (0.25, "news." + d), (0.2, sub)])
    dkim = pick(rng, [(0.3, []), (0.3, [(d, "sel", "pass")]), (0.15, [("esp.net", "k1", "pass")]),
                      (0.1, [(d, "sel", "fail")]), (0.1, [("mail." + d, "sel", "pass")]),
                      (0.05, [("esp.net", "k1", "pass"), (d, "sel", "pass")])])
    mset, why = "main", None
    if o["dmarc"] and "np=" in o["dmarc"] and frm == sub:
        mset, why = "dmarc-edge", "np, as e01: %s does not exist" % frm
    elif frm == d and strict_subdomain(o["dmarc"], d, mdom, dkim):
        mset, why = "dmarc-edge", STRICT_NOTE
    mailfrom = "" if mf == "null" else ("bounces@" if mf == "esp" else "user@") + mdom
    m = msg("m%03d" % i, mset, ip, mailfrom, mdom if mf == "null" else "mta." + mdom, frm, dkim)
    m["why"] = why
    return m


STRICT_NOTE = ("strict alignment, identifier a subdomain of the From domain: RFC 7489 §3.1 "
               "says not aligned; libopendmarc 1.4.2 reduces the identifier to its "
               "organizational domain and then calls the exact match aligned even in strict "
               "mode (the strict-mode fall-through of opendmarc_policy_check_alignment that "
               "OpenDMARC pull request #354 removed, after 1.4.2).")


def strict_subdomain(dmarc, frm, spf_dom, dkim):
    """An identifier below frm under a strict aspf/adkim of frm's own record."""
    if not dmarc:
        return False
    below = lambda x: x != frm and x.endswith("." + frm)
    return ("aspf=s" in dmarc and below(spf_dom)) or \
        ("adkim=s" in dmarc and any(below(t[0]) for t in dkim))


# The edge set: (id, set, ip, MAIL FROM, HELO, From, DKIM, why). "edge" is
# left out of both comparisons' timing, "dmarc-edge" only out of DMARC's.
EDGE = [
    ("e01", "dmarc-edge", UNAUTH_IP, "user@s02.com", "mta.s02.com", "nx-e01.s02.com", [],
     "np: s02.com publishes p=quarantine; np=reject and the From domain does not exist. "
     "RFC 9989 applies np (reject); libopendmarc 1.4.2 predates np and applies sp, which "
     "defaults to p (quarantine)."),
    ("e02", "edge", "100.64.200.5", "user@void.com", "mta.void.com", "void.com", [],
     "void lookups: three a: terms naming nothing before the matching ip4. RFC 7208 §4.6.4 "
     "makes the third void lookup a permerror; libspf2 (RFC 4408) has no void limit and "
     "passes, so DMARC passes through SPF there and fails in polcached."),
    ("e03", "edge", "100.64.1.10", "user@nospf.com", "mta.nospf.com", "nospf.com", [],
     "a TXT record that is not SPF: none (RFC 7208 §4.5)."),
    ("e04", "edge", "100.64.1.10", "user@inclnx.com", "mta.inclnx.com", "s01.com", [],
     "include: of a name without an SPF record: permerror (RFC 7208 §5.2)."),
    ("e05", "edge", "100.64.1.10", "user@redirnx.com", "mta.redirnx.com", "s01.com", [],
     "redirect= to a name without an SPF record: permerror (RFC 7208 §6.1)."),
    ("e06", "edge", "100.64.1.10", "user@syntax.com", "mta.syntax.com", "s01.com", [],
     "a syntax error (ip4:300.1.1.1): permerror in RFC 7208; libspf2 cannot compile the "
     "record and returns SPF_RESULT_INVALID, no result at all."),
    ("e07", "dmarc-edge", "100.64.201.5", "user@badp.com", "mta.badp.com", "badp.com", [],
     "a DMARC record with an invalid p= and no rua: libopendmarc refuses to parse it "
     "(permerror); polcached's discovery treats it as no usable policy (none)."),
    ("e08", "edge", "100.66.0.5", "user@bad.org", "mta.bad.org", "s01.com",
     [("s01.com", "sel", "fail")],
     "SPF domain in a DNSSEC-bogus zone: both validating resolvers answer SERVFAIL; polcached "
     "gives SPF temperror and DMARC temperror (RFC 9989: a temporary failure could hide an "
     "aligned pass), libspf2 SPF_RESULT_INVALID and libopendmarc then fails the message."),
    ("e09", "edge", "100.66.0.5", "user@bad.org", "mta.bad.org", "bad.org",
     [("bad.org", "sel", "pass")],
     "From domain in a DNSSEC-bogus zone: the _dmarc answer is SERVFAIL on both sides."),
    ("e10", "dmarc-edge", "100.64.1.10", "user@s01.com", "mta.s01.com", "news.s01.com",
     [("s01.com", "sel", "pass")],
     "strict alignment (s01.com: adkim=s; aspf=s), identifiers the organizational domain of "
     "a subdomain From: not aligned (RFC 7489 §3.1); libopendmarc 1.4.2 gets this direction "
     "right."),
    ("e11", "dmarc-edge", "100.64.1.10", "user@bounce.s01.com", "mta.bounce.s01.com", "s01.com",
     [("mail.s01.com", "sel", "pass")], STRICT_NOTE),
]


def edge_messages():
    msgs, notes = [], {}
    for mid, mset, ip, mailfrom, helo, frm, dkim, note in EDGE:
        msgs.append(msg(mid, mset, ip, mailfrom, helo, frm, dkim))
        notes[mid] = note
    return msgs, notes


def tsv(m, expect=None):
    """One line of the messages file read by peerbench (peer_msgs.c)."""
    dk = ",".join("%s:%s:%s" % t for t in m["dkim"]) or "-"
    f = [m["id"], m["set"], m["ip"], m["mailfrom"] or "-", m["helo"] or "-", m["from"], dk]
    if expect is not None:
        f.append(expect)
    return "\t".join(f) + "\n"
