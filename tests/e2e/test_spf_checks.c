/*
 * test_spf_checks.c - SPF checks beyond the RFC 7208 suite, through the
 * real polcached in a private signed world (tests/world/world.py --extra):
 * IPv6 clients and IPv4-mapped addresses; records and explanations split
 * across strings; every limit (10 DNS-querying terms over includes and a
 * redirect, 2 void lookups, 10 MX records) reached and exceeded; an
 * include loop; a redirect to a name without SPF and to one that does not
 * exist; a bogus zone in the chain (a signed zone whose parent holds the
 * DS of another key: its SPF record, an exp= TXT and a PTR name's address
 * are all bogus); insecure and secure chains; the HELO identity and the
 * null sender. Each reply's Authentication-Results fragment and
 * Received-SPF value are checked too, and the reply's TTL: the least
 * freshness left among the answers used, never growing from the cache,
 * 0 for temperror, a bogus answer and an explanation with %{t}.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon_proc.h"
#include "pcclient.h"
#include "polcache/error.h"
#include "polcache/types.h"
#include "testutil.h"

#define REC(o, t, v) " [\"" o "\", 300, \"" t "\", " v "],"
#define TXT(o, v) REC(o, "TXT", "\"" v "\"")
#define RECT(o, ttl, t, v) " [\"" o "\", " #ttl ", \"" t "\", " v "],"

static const char spf_world[] =
    "{\"zones\": ["
    "{\"name\": \"sx.\", \"mode\": \"signed\", \"records\": ["
    TXT("v4.sx.", "v=spf1 ip4:192.0.2.0/24 -all")
    TXT("v6.sx.", "v=spf1 ip6:2001:db8:6::/48 a:h6.v6.sx -all exp=why.v6.sx")
    REC("h6.v6.sx.", "AAAA", "\"2001:db8:7::1\"")
    TXT("why.v6.sx.", "%{c} may not send for %{d}, says %{r}")
    TXT("mapped.sx.", "v=spf1 ip6:::ffff:192.0.2.0/120 -all")
    REC("split.sx.", "TXT", "[\"v=spf1 ip4:203.0.\", \"113.0/24 \", \"-all exp=why.split.sx\"]")
    REC("why.split.sx.", "TXT", "[\"You (%{i}) are not \", \"welcome at %{o}\"]")
    /* 10 DNS-querying terms: include c1 (a, mx, exists: void 1), redirect r
     * (a, mx, include c2 (exists: void 2, a)) */
    TXT("ten.sx.", "v=spf1 include:c1.sx redirect=r.sx")
    TXT("c1.sx.", "v=spf1 a:h.sx mx:h.sx exists:nx1.sx ?all")
    TXT("r.sx.", "v=spf1 a:h.sx mx:h.sx include:c2.sx ip4:192.0.2.20 -all")
    TXT("c2.sx.", "v=spf1 exists:nx2.sx a:h.sx ?all")
    TXT("eleven.sx.", "v=spf1 include:c1.sx redirect=r11.sx")
    TXT("r11.sx.", "v=spf1 a:h.sx mx:h.sx include:c2.sx a:h.sx ip4:192.0.2.20 -all")
    REC("h.sx.", "A", "\"198.51.100.99\"")
    REC("h.sx.", "MX", "\"10 h.sx.\"")
    TXT("voids.sx.", "v=spf1 include:c2.sx exists:nx3.sx ip4:192.0.2.20 -all")
    TXT("voids3.sx.", "v=spf1 include:c2.sx exists:nx3.sx a:nx4.sx ip4:192.0.2.20 -all")
    TXT("mx10.sx.", "v=spf1 mx:m10.sx -all")
    REC("m10.sx.", "MX", "\"1 x1.sx.\"") REC("m10.sx.", "MX", "\"2 x2.sx.\"")
    REC("m10.sx.", "MX", "\"3 x3.sx.\"") REC("m10.sx.", "MX", "\"4 x4.sx.\"")
    REC("m10.sx.", "MX", "\"5 x5.sx.\"") REC("m10.sx.", "MX", "\"6 x6.sx.\"")
    REC("m10.sx.", "MX", "\"7 x7.sx.\"") REC("m10.sx.", "MX", "\"8 x8.sx.\"")
    REC("m10.sx.", "MX", "\"9 x9.sx.\"") REC("m10.sx.", "MX", "\"10 x10.sx.\"")
    REC("x10.sx.", "A", "\"192.0.2.30\"")
    TXT("mx11.sx.", "v=spf1 mx:m11.sx -all")
    REC("m11.sx.", "MX", "\"1 x1.sx.\"") REC("m11.sx.", "MX", "\"2 x2.sx.\"")
    REC("m11.sx.", "MX", "\"3 x3.sx.\"") REC("m11.sx.", "MX", "\"4 x4.sx.\"")
    REC("m11.sx.", "MX", "\"5 x5.sx.\"") REC("m11.sx.", "MX", "\"6 x6.sx.\"")
    REC("m11.sx.", "MX", "\"7 x7.sx.\"") REC("m11.sx.", "MX", "\"8 x8.sx.\"")
    REC("m11.sx.", "MX", "\"9 x9.sx.\"") REC("m11.sx.", "MX", "\"10 x10.sx.\"")
    REC("m11.sx.", "MX", "\"11 x11.sx.\"")
    TXT("loop1.sx.", "v=spf1 include:loop2.sx -all")
    TXT("loop2.sx.", "v=spf1 include:loop1.sx -all")
    TXT("redir.sx.", "v=spf1 redirect=nospf.sx")
    TXT("nospf.sx.", "site-verification=4f1c2a")
    TXT("redirnx.sx.", "v=spf1 redirect=gone.sx")
    TXT("mta.sx.", "v=spf1 a -all")
    REC("mta.sx.", "A", "\"192.0.2.40\"")
    TXT("mixed.sx.", "v=spf1 include:us.sx -all")
    TXT("chain.sx.", "v=spf1 ip4:198.51.100.0/24 include:bg.sx -all")
    TXT("expbg.sx.", "v=spf1 -all exp=why.bg.sx")
    TXT("ptrbg.sx.", "v=spf1 ptr:bg.sx ip4:192.0.2.0/24 -all")
    /* the TTL of a check: several lookups, the least TTL 120 s */
    TXT("ttl.sx.", "v=spf1 a:h120.sx mx:h.sx include:v4.sx -all")
    RECT("h120.sx.", 120, "A", "\"198.51.100.120\"")
    TXT("tf.sx.", "v=spf1 a:x.servfail.pcw -all")
    TXT("expt.sx.", "v=spf1 -all exp=whyt.sx")
    TXT("whyt.sx.", "%{i} was refused at %{t}")
    " [\"end.sx.\", 300, \"A\", \"192.0.2.1\"]]},"
    "{\"name\": \"us.sx.\", \"mode\": \"unsigned\", \"records\": ["
    " [\"us.sx.\", 300, \"TXT\", \"v=spf1 ip4:192.0.2.0/24 -all\"]]},"
    "{\"name\": \"bg.sx.\", \"mode\": \"signed\", \"ds\": \"wrong\", \"records\": ["
    TXT("bg.sx.", "v=spf1 +all")
    TXT("why.bg.sx.", "forged explanation")
    " [\"h.bg.sx.\", 300, \"A\", \"192.0.2.50\"]]},"
    "{\"name\": \"50.2.0.192.in-addr.arpa.\", \"mode\": \"signed\", \"records\": ["
    " [\"50.2.0.192.in-addr.arpa.\", 300, \"PTR\", \"h.bg.sx.\"]]}"
    "]}";

#define RECEIVER "mx.sx.test"

static pworld_t W;
static dproc_t D;
static tc_t *C;

typedef struct reply {
    long result, lookups, voids, dnssec, ttl;
    char matched[1100], term_domain[300], why[1100], exp[1100], ar[2100], rspf[4200];
} reply_t;

static const char *const names[] = {"?", "none", "neutral", "pass", "fail", "softfail",
                                    "temperror", "permerror"};

/* One SPF check; mailfrom or helo NULL leaves that field out. */
static void spf(const char *ip, const char *mailfrom, const char *helo, reply_t *r)
{
    uint8_t addr[16];
    size_t alen = 4;
    pc_wbuf_t b;

    memset(r, 0, sizeof(*r));
    if (inet_pton(AF_INET, ip, addr) != 1) {
        assert_int_equal(inet_pton(AF_INET6, ip, addr), 1);
        alen = 16;
    }
    assert_int_equal(tc_connect(C, D.sock, 2000), 0);
    pc_wbuf_init(&b, 0);
    pc_wbuf_frame_begin(&b, PC_MSG_SPF_CHECK, 0, 7);
    pc_wbuf_bytes(&b, PC_T_CLIENT_IP, addr, alen);
    if (mailfrom != NULL)
        pc_wbuf_bytes(&b, PC_T_MAILFROM, mailfrom, strlen(mailfrom));
    if (helo != NULL)
        pc_wbuf_str(&b, PC_T_HELO, helo);
    assert_int_equal(pc_wbuf_frame_end(&b), 0);
    assert_int_equal(tc_send_wbuf(C, &b), 0);
    pc_wbuf_free(&b);
    assert_int_equal(tc_read(C, 20000), 0);
    assert_int_equal(C->msg.hdr.type, PC_MSG_SPF_CHECK | PC_MSG_REPLY);
    r->result = tc_u8(C, PC_T_SPF_RESULT);
    r->lookups = tc_u32(C, PC_T_SPF_LOOKUPS);
    r->voids = tc_u32(C, PC_T_SPF_VOID_LOOKUPS);
    r->dnssec = tc_u8(C, PC_T_DNSSEC);
    r->ttl = tc_u32(C, PC_T_TTL);
    /* the TTL is always there, and always the last field */
    assert_true(C->msg.ntlv > 0);
    assert_int_equal(C->msg.tlv[C->msg.ntlv - 1].type, PC_T_TTL);
    tc_text(C, PC_T_SPF_MATCHED, r->matched, sizeof(r->matched));
    tc_text(C, PC_T_SPF_TERM_DOMAIN, r->term_domain, sizeof(r->term_domain));
    tc_text(C, PC_T_WHY, r->why, sizeof(r->why));
    tc_text(C, PC_T_SPF_EXPLANATION, r->exp, sizeof(r->exp));
    tc_text(C, PC_T_AUTH_RESULTS, r->ar, sizeof(r->ar));
    tc_text(C, PC_T_RECEIVED_SPF, r->rspf, sizeof(r->rspf));
    tc_close(C);
    printf("  %-22s %-26s %-9s lookups %ld voids %ld dnssec %ld ttl %ld '%s' %s%s%s\n", ip,
           mailfrom != NULL ? mailfrom : "(helo)", names[r->result >= 1 && r->result <= 7 ?
                                                         r->result : 0],
           r->lookups, r->voids, r->dnssec, r->ttl, r->matched, r->why,
           r->exp[0] ? "exp: " : "", r->exp);
}

static int setup(void **state)
{
    char conf[800];
    (void)state;
    C = malloc(sizeof(*C));
    pc_test_world_load();
    pworld_start(&W, spf_world);
    snprintf(conf, sizeof(conf), "%sspf-receiver: " RECEIVER "\n", pworld_conf(&W));
    dproc_init(&D, conf);
    dproc_start(&D);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    assert_int_equal(dproc_stop(&D), 0);
    dproc_cleanup(&D);
    pworld_stop(&W);
    free(C);
    return 0;
}

static void test_ipv6_and_mapped(void **state)
{
    reply_t r;
    (void)state;

    spf("2001:db8:6::5", "user@v6.sx", "mx.client.example", &r);
    assert_int_equal(r.result, PC_SPF_PASS);
    assert_string_equal(r.matched, "ip6:2001:db8:6::/48");
    assert_int_equal(r.dnssec, PC_DNSSEC_SECURE);
    assert_string_equal(r.ar, "spf=pass (" RECEIVER ": domain of user@v6.sx designates "
                        "2001:db8:6::5 as permitted sender) smtp.mailfrom=v6.sx");
    assert_string_equal(r.rspf, "pass (" RECEIVER ": domain of user@v6.sx designates "
                        "2001:db8:6::5 as permitted sender) receiver=" RECEIVER "; "
                        "client-ip=\"2001:db8:6::5\"; envelope-from=\"user@v6.sx\"; "
                        "helo=mx.client.example; identity=mailfrom; "
                        "mechanism=\"ip6:2001:db8:6::/48\"");
    /* a: AAAA for an IPv6 client */
    spf("2001:db8:7::1", "user@v6.sx", "mx.client.example", &r);
    assert_int_equal(r.result, PC_SPF_PASS);
    assert_string_equal(r.matched, "a:h6.v6.sx");
    assert_int_equal(r.lookups, 1);
    /* fail, explained with %{c} in RFC 5952 form and %{r} */
    spf("2001:DB8:9:0::1", "user@v6.sx", "mx.client.example", &r);
    assert_int_equal(r.result, PC_SPF_FAIL);
    assert_string_equal(r.exp, "2001:db8:9::1 may not send for v6.sx, says " RECEIVER);
    assert_non_null(strstr(r.rspf, "client-ip=\"2001:db8:9::1\"; "));
    assert_non_null(strstr(r.rspf, "; mechanism=-all"));
    /* IPv4-mapped is IPv4 (§5): ip4 matches, and the headers name the IPv4 */
    spf("::ffff:192.0.2.10", "user@v4.sx", "mx.client.example", &r);
    assert_int_equal(r.result, PC_SPF_PASS);
    assert_string_equal(r.matched, "ip4:192.0.2.0/24");
    assert_string_equal(r.rspf, "pass (" RECEIVER ": domain of user@v4.sx designates "
                        "192.0.2.10 as permitted sender) receiver=" RECEIVER "; "
                        "client-ip=192.0.2.10; envelope-from=\"user@v4.sx\"; "
                        "helo=mx.client.example; identity=mailfrom; "
                        "mechanism=\"ip4:192.0.2.0/24\"");
    /* ... so an ip6 term written for the mapped range does not match it */
    spf("::ffff:192.0.2.10", "user@mapped.sx", "mx.client.example", &r);
    assert_int_equal(r.result, PC_SPF_FAIL);
    assert_string_equal(r.matched, "-all");
}

static void test_split_strings(void **state)
{
    reply_t r;
    (void)state;

    /* the strings of one TXT record are joined with nothing between (§3.3),
     * here even inside a term */
    spf("203.0.113.7", "someone@split.sx", "mx.client.example", &r);
    assert_int_equal(r.result, PC_SPF_PASS);
    assert_string_equal(r.matched, "ip4:203.0.113.0/24");
    spf("198.51.100.1", "someone@split.sx", "mx.client.example", &r);
    assert_int_equal(r.result, PC_SPF_FAIL);
    assert_string_equal(r.exp, "You (198.51.100.1) are not welcome at split.sx");
    assert_string_equal(r.ar, "spf=fail (" RECEIVER ": domain of someone@split.sx does not "
                        "designate 198.51.100.1 as permitted sender) smtp.mailfrom=split.sx");
}

static void test_limits(void **state)
{
    reply_t r;
    (void)state;

    /* exactly 10 DNS-querying terms and 2 void lookups: allowed */
    spf("192.0.2.20", "a@ten.sx", "mx.client.example", &r);
    assert_int_equal(r.result, PC_SPF_PASS);
    assert_int_equal(r.lookups, 10);
    assert_int_equal(r.voids, 2);
    assert_string_equal(r.matched, "ip4:192.0.2.20");
    assert_string_equal(r.term_domain, "r.sx");
    assert_non_null(strstr(r.rspf, "; mechanism=\"ip4:192.0.2.20\""));
    /* the 11th: permerror naming it */
    spf("192.0.2.20", "a@eleven.sx", "mx.client.example", &r);
    assert_int_equal(r.result, PC_SPF_PERMERROR);
    assert_int_equal(r.lookups, 10);
    assert_string_equal(r.why, "'a:h.sx' in the SPF record of r11.sx: more than 10 "
                        "DNS-querying terms (RFC 7208 §4.6.4)");
    assert_string_equal(r.ar, "spf=permerror (" RECEIVER ": permanent error in processing "
                        "domain of a@eleven.sx: 'a:h.sx' in the SPF record of r11.sx: more than "
                        "10 DNS-querying terms \\(RFC 7208 §4.6.4\\)) smtp.mailfrom=eleven.sx");
    assert_non_null(strstr(r.rspf, "; identity=mailfrom; problem=\"'a:h.sx' in the SPF record "
                           "of r11.sx: more than 10 DNS-querying terms (RFC 7208 §4.6.4)\""));
    assert_null(strstr(r.rspf, "mechanism="));
    /* two void lookups pass, the third is a permerror */
    spf("192.0.2.20", "a@voids.sx", "mx.client.example", &r);
    assert_int_equal(r.result, PC_SPF_PASS);
    assert_int_equal(r.voids, 2);
    spf("192.0.2.20", "a@voids3.sx", "mx.client.example", &r);
    assert_int_equal(r.result, PC_SPF_PERMERROR);
    assert_int_equal(r.voids, 3);
    assert_non_null(strstr(r.why, "'a:nx4.sx' in the SPF record of voids3.sx: more than 2 "
                           "void lookups"));
    /* 10 MX records: each exchange looked up; 11: permerror */
    spf("192.0.2.30", "a@mx10.sx", "mx.client.example", &r);
    assert_int_equal(r.result, PC_SPF_PASS);
    assert_string_equal(r.matched, "mx:m10.sx");
    spf("192.0.2.30", "a@mx11.sx", "mx.client.example", &r);
    assert_int_equal(r.result, PC_SPF_PERMERROR);
    assert_non_null(strstr(r.why, "more than 10 MX records"));
}

static void test_loop_and_redirects(void **state)
{
    reply_t r;
    (void)state;

    spf("192.0.2.1", "a@loop1.sx", "mx.client.example", &r);
    assert_int_equal(r.result, PC_SPF_PERMERROR);
    assert_int_equal(r.lookups, 10);
    assert_non_null(strstr(r.why, "include:loop"));
    assert_non_null(strstr(r.why, "more than 10 DNS-querying terms"));
    /* redirect to a name with TXT but no SPF record: permerror (§6.1) */
    spf("192.0.2.1", "a@redir.sx", "mx.client.example", &r);
    assert_int_equal(r.result, PC_SPF_PERMERROR);
    assert_string_equal(r.why, "redirect=nospf.sx: nospf.sx has no SPF record (RFC 7208 §6.1)");
    assert_non_null(strstr(r.rspf, "problem=\"redirect=nospf.sx: nospf.sx has no SPF record "
                           "(RFC 7208 §6.1)\""));
    spf("192.0.2.1", "a@redirnx.sx", "mx.client.example", &r);
    assert_int_equal(r.result, PC_SPF_PERMERROR);
    assert_string_equal(r.why, "redirect=gone.sx: gone.sx does not exist (RFC 7208 §6.1)");
}

static void test_dnssec_states(void **state)
{
    reply_t r;
    (void)state;

    /* all secure */
    spf("192.0.2.1", "a@v4.sx", "mx.client.example", &r);
    assert_int_equal(r.dnssec, PC_DNSSEC_SECURE);
    /* some insecure: an include from an unsigned zone */
    spf("192.0.2.1", "a@mixed.sx", "mx.client.example", &r);
    assert_int_equal(r.result, PC_SPF_PASS);
    assert_int_equal(r.dnssec, PC_DNSSEC_INSECURE);
    /* bogus seen: the included record is bogus, so temperror (never +all) */
    spf("192.0.2.1", "a@chain.sx", "mx.client.example", &r);
    assert_int_equal(r.result, PC_SPF_TEMPERROR);
    assert_int_equal(r.dnssec, PC_DNSSEC_BOGUS);
    assert_non_null(strstr(r.why, "include:bg.sx: DNS failure looking up the SPF record of "
                           "bg.sx"));
    assert_non_null(strstr(r.ar, "spf=temperror (" RECEIVER ": error in processing during "
                           "lookup of a@chain.sx: include:bg.sx: DNS failure"));
    assert_non_null(strstr(r.rspf, "; identity=mailfrom; problem=\"include:bg.sx: DNS failure"));
    /* ... a term before it still decides */
    spf("198.51.100.5", "a@chain.sx", "mx.client.example", &r);
    assert_int_equal(r.result, PC_SPF_PASS);
    assert_int_equal(r.dnssec, PC_DNSSEC_SECURE);
    /* a bogus exp= TXT: the fail stands, unexplained, and bogus was seen */
    spf("192.0.2.1", "a@expbg.sx", "mx.client.example", &r);
    assert_int_equal(r.result, PC_SPF_FAIL);
    assert_string_equal(r.exp, "");
    assert_int_equal(r.dnssec, PC_DNSSEC_BOGUS);
    /* ptr: the PTR name's address is bogus, so no match (§5.5); ip4 decides,
     * and the reply still says a bogus answer was seen */
    spf("192.0.2.50", "a@ptrbg.sx", "mx.client.example", &r);
    assert_int_equal(r.result, PC_SPF_PASS);
    assert_string_equal(r.matched, "ip4:192.0.2.0/24");
    assert_int_equal(r.dnssec, PC_DNSSEC_BOGUS);
}

static void test_helo_and_null_sender(void **state)
{
    reply_t r;
    (void)state;

    spf("192.0.2.40", NULL, "mta.sx", &r);
    assert_int_equal(r.result, PC_SPF_PASS);
    assert_string_equal(r.ar, "spf=pass (" RECEIVER ": domain of postmaster@mta.sx designates "
                        "192.0.2.40 as permitted sender) smtp.helo=mta.sx");
    assert_string_equal(r.rspf, "pass (" RECEIVER ": domain of postmaster@mta.sx designates "
                        "192.0.2.40 as permitted sender) receiver=" RECEIVER "; "
                        "client-ip=192.0.2.40; helo=mta.sx; identity=helo; mechanism=a");
    spf("192.0.2.41", "", "mta.sx", &r);
    assert_int_equal(r.result, PC_SPF_FAIL);
    assert_string_equal(r.ar, "spf=fail (" RECEIVER ": domain of postmaster@mta.sx does not "
                        "designate 192.0.2.41 as permitted sender) "
                        "smtp.mailfrom=postmaster@mta.sx");
    assert_string_equal(r.rspf, "fail (" RECEIVER ": domain of postmaster@mta.sx does not "
                        "designate 192.0.2.41 as permitted sender) receiver=" RECEIVER "; "
                        "client-ip=192.0.2.41; envelope-from=\"postmaster@mta.sx\"; "
                        "helo=mta.sx; identity=mailfrom; mechanism=-all");
    /* none: no record; neutral by default; a hostile HELO stays quoted */
    spf("192.0.2.1", "a@end.sx", "bad \"helo\"", &r);
    assert_int_equal(r.result, PC_SPF_NONE);
    assert_string_equal(r.rspf, "none (" RECEIVER ": domain of a@end.sx does not designate "
                        "permitted sender hosts) receiver=" RECEIVER "; client-ip=192.0.2.1; "
                        "envelope-from=\"a@end.sx\"; helo=\"bad \\\"helo\\\"\"; "
                        "identity=mailfrom");
}

static void test_ttl(void **state)
{
    reply_t r, again;
    (void)state;

    /* pass after a, mx (and its exchange) and include: valid for at most the
     * least TTL of the records used (h120.sx, 120 s) */
    spf("192.0.2.1", "a@ttl.sx", "mx.client.example", &r);
    assert_int_equal(r.result, PC_SPF_PASS);
    assert_string_equal(r.matched, "include:v4.sx");
    assert_int_equal(r.lookups, 3);
    assert_true(r.ttl > 0);
    assert_true(r.ttl <= 120);
    /* asked again, every answer from the cache: the TTL has not grown */
    spf("192.0.2.1", "a@ttl.sx", "mx.client.example", &again);
    assert_int_equal(again.result, PC_SPF_PASS);
    assert_true(again.ttl > 0);
    assert_true(again.ttl <= r.ttl);
    /* an explained fail without %{t}: the records' 300 s at most */
    spf("2001:DB8:9:0::1", "user@v6.sx", "mx.client.example", &r);
    assert_int_equal(r.result, PC_SPF_FAIL);
    assert_true(r.exp[0] != '\0');
    assert_true(r.ttl > 0);
    assert_true(r.ttl <= 300);
    /* ... with %{t}, the time of the check: not to be reused */
    spf("192.0.2.1", "a@expt.sx", "mx.client.example", &r);
    assert_int_equal(r.result, PC_SPF_FAIL);
    assert_non_null(strstr(r.exp, "192.0.2.1 was refused at "));
    assert_int_equal(r.ttl, 0);
    /* temperror (SERVFAIL from servfail.pcw): 0, also asked again */
    spf("192.0.2.1", "a@tf.sx", "mx.client.example", &r);
    assert_int_equal(r.result, PC_SPF_TEMPERROR);
    assert_int_equal(r.ttl, 0);
    spf("192.0.2.1", "a@tf.sx", "mx.client.example", &r);
    assert_int_equal(r.result, PC_SPF_TEMPERROR);
    assert_int_equal(r.ttl, 0);
    /* a bogus include: temperror, 0; a bogus PTR name skipped under §5.5:
     * pass, but 0 too */
    spf("192.0.2.1", "a@chain.sx", "mx.client.example", &r);
    assert_int_equal(r.result, PC_SPF_TEMPERROR);
    assert_int_equal(r.ttl, 0);
    spf("192.0.2.50", "a@ptrbg.sx", "mx.client.example", &r);
    assert_int_equal(r.result, PC_SPF_PASS);
    assert_int_equal(r.dnssec, PC_DNSSEC_BOGUS);
    assert_int_equal(r.ttl, 0);
    /* no lookup at all (a single label is no SPF domain): ttl-max */
    spf("192.0.2.1", "a@localhost", "mx.client.example", &r);
    assert_int_equal(r.result, PC_SPF_NONE);
    assert_int_equal(r.ttl, 86400);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ipv6_and_mapped),
        cmocka_unit_test(test_split_strings),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_loop_and_redirects),
        cmocka_unit_test(test_dnssec_states),
        cmocka_unit_test(test_helo_and_null_sender),
        cmocka_unit_test(test_ttl),
    };
    setvbuf(stdout, NULL, _IONBF, 0);
    return cmocka_run_group_tests(tests, setup, teardown);
}
