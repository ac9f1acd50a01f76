/*
 * test_dmarc_eval.c - DMARC evaluation through the real polcached, one
 * test per branch, in a private signed world: pass through DKIM and
 * through SPF; strict versus relaxed alignment with subdomain identifiers;
 * fail with p=reject; sp and np; t=y; pct in RFC 7489 mode; psd=y and
 * psd=n organizations; no record; multiple records; temperror in the SPF
 * part and in the discovery part; a bogus policy record; and the reply's
 * TTL (reusable with PCT_ROLL, 0 after a random pct draw, for temperror
 * and for a bogus policy).
 */
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

static const char eval_world[] =
    "{\"zones\": [{\"name\": \"ev.\", \"mode\": \"signed\", \"records\": ["
    " [\"_dmarc.rel.ev.\", 300, \"TXT\", \"v=DMARC1; p=reject; sp=quarantine; np=none; rua=mailto:agg@rel.ev\"],"
    " [\"mail.rel.ev.\", 300, \"A\", \"192.0.2.1\"],"
    " [\"sub.rel.ev.\", 300, \"A\", \"192.0.2.2\"],"
    " [\"_dmarc.strict.ev.\", 300, \"TXT\", \"v=DMARC1; p=reject; adkim=s; aspf=s; rua=mailto:agg@strict.ev\"],"
    " [\"_dmarc.testing.ev.\", 300, \"TXT\", \"v=DMARC1; p=reject; t=y; rua=mailto:agg@testing.ev\"],"
    " [\"_dmarc.pct.ev.\", 300, \"TXT\", \"v=DMARC1; p=reject; pct=50; rua=mailto:agg@pct.ev\"],"
    " [\"_dmarc.psdy.ev.\", 300, \"TXT\", \"v=DMARC1; p=reject; psd=y; rua=mailto:agg@psdy.ev\"],"
    " [\"a.b.psdy.ev.\", 300, \"A\", \"192.0.2.3\"],"
    " [\"_dmarc.psdn.ev.\", 300, \"TXT\", \"v=DMARC1; p=quarantine; psd=n; rua=mailto:agg@psdn.ev\"],"
    " [\"x.psdn.ev.\", 300, \"A\", \"192.0.2.4\"],"
    " [\"_dmarc.multi.ev.\", 300, \"TXT\", \"v=DMARC1; p=reject\"],"
    " [\"_dmarc.multi.ev.\", 300, \"TXT\", \"v=DMARC1; p=none\"],"
    " [\"norec.ev.\", 300, \"A\", \"192.0.2.5\"],"
    " [\"rel.ev.\", 300, \"TXT\", \"v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 -all\"]"
    "]},"
    " {\"name\": \"slow.ev.\", \"mode\": \"unsigned\", \"records\": []},"
    " {\"name\": \"spfslow.ev.\", \"mode\": \"unsigned\", \"records\": []}],"
    " \"silent\": [\"_dmarc.slow.ev.\", \"spfslow.ev.\"]}";

static pworld_t W;
static dproc_t D, P; /* tree-walk daemon, PSL-mode daemon */
static tc_t *C;

typedef struct verdict {
    int result, testing, pct, sampled;
    long ttl;
    char policy[16], tag[4], dis[16], rec[16], ar[600], org[256], why[600];
    unsigned nalign, aligned;
} verdict_t;

typedef struct dk {
    const char *d, *s;
    uint8_t result;
} dk_t;

static void eval(dproc_t *d, const char *from, uint8_t spf, const char *spf_domain,
                 const dk_t *dkim, unsigned ndkim, int roll, verdict_t *v)
{
    pc_wbuf_t b;

    memset(v, 0, sizeof(*v));
    assert_int_equal(tc_connect(C, d->sock, 2000), 0);
    pc_wbuf_init(&b, 0);
    pc_wbuf_frame_begin(&b, PC_MSG_DMARC_EVAL, 0, 9);
    pc_wbuf_str(&b, PC_T_DOMAIN, from);
    pc_wbuf_u8(&b, PC_T_SPF_RESULT, spf);
    pc_wbuf_str(&b, PC_T_SPF_DOMAIN, spf_domain);
    pc_wbuf_u8(&b, PC_T_SPF_SCOPE, 1);
    for (unsigned i = 0; i < ndkim; i++) {
        pc_wbuf_nest_begin(&b, PC_T_DKIM);
        pc_wbuf_str(&b, PC_T_DKIM_D, dkim[i].d);
        pc_wbuf_str(&b, PC_T_DKIM_S, dkim[i].s);
        pc_wbuf_u8(&b, PC_T_DKIM_RESULT, dkim[i].result);
        pc_wbuf_nest_end(&b);
    }
    if (roll >= 0)
        pc_wbuf_u8(&b, PC_T_PCT_ROLL | PC_TLV_CRITICAL, (uint8_t)roll);
    assert_int_equal(pc_wbuf_frame_end(&b), 0);
    assert_int_equal(tc_send_wbuf(C, &b), 0);
    pc_wbuf_free(&b);
    assert_int_equal(tc_read(C, 15000), 0);
    assert_int_equal(C->msg.hdr.type, PC_MSG_DMARC_EVAL | PC_MSG_REPLY);
    v->result = (int)tc_u8(C, PC_T_DMARC_RESULT);
    v->testing = (int)tc_u8(C, PC_T_TESTING);
    v->pct = (int)tc_u8(C, PC_T_PCT);
    v->sampled = (int)tc_u8(C, PC_T_SAMPLED_OUT);
    v->ttl = tc_u32(C, PC_T_TTL);
    /* the TTL is always there, and always the last field */
    assert_int_equal(C->msg.tlv[C->msg.ntlv - 1].type, PC_T_TTL);
    tc_text(C, PC_T_POLICY, v->policy, sizeof(v->policy));
    tc_text(C, PC_T_POLICY_TAG, v->tag, sizeof(v->tag));
    tc_text(C, PC_T_DISPOSITION, v->dis, sizeof(v->dis));
    tc_text(C, PC_T_RECOMMENDED, v->rec, sizeof(v->rec));
    tc_text(C, PC_T_AUTH_RESULTS, v->ar, sizeof(v->ar));
    tc_text(C, PC_T_ORG_DOMAIN, v->org, sizeof(v->org));
    tc_text(C, PC_T_WHY, v->why, sizeof(v->why));
    for (uint16_t i = 0; i < C->msg.ntlv; i++) {
        pc_tlv_t a;
        if (C->msg.tlv[i].type != PC_T_ALIGN)
            continue;
        v->nalign++;
        if (pc_tlv_find(&C->msg.tlv[i], PC_T_ALIGNED, &a) && pc_tlv_u8(&a) == 1)
            v->aligned++;
    }
    printf("  %-14s spf %u:%-14s dkim %u -> %s %s (ttl %ld)\n", from, spf, spf_domain, ndkim,
           v->ar, v->why, v->ttl);
    tc_close(C);
}

static int setup(void **state)
{
    char conf[800];
    (void)state;
    C = malloc(sizeof(*C));
    pc_test_world_load();
    pworld_start(&W, eval_world);
    dproc_init(&D, pworld_conf(&W));
    dproc_start(&D);
    snprintf(conf, sizeof(conf), "%sdmarc-mode: psl\n", pworld_conf(&W));
    dproc_init(&P, conf);
    dproc_start(&P);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    assert_int_equal(dproc_stop(&D), 0);
    assert_int_equal(dproc_stop(&P), 0);
    dproc_cleanup(&D);
    dproc_cleanup(&P);
    pworld_stop(&W);
    free(C);
    return 0;
}

static void test_pass_paths(void **state)
{
    verdict_t v;
    const dk_t sub_pass = {"mail.rel.ev", "s1", PC_DKIM_PASS};
    const dk_t other_fail = {"rel.ev", "s2", PC_DKIM_FAIL};
    (void)state;

    /* pass through DKIM: relaxed, a subdomain signer, its own walk */
    eval(&D, "rel.ev", PC_SPF_FAIL, "bounce.example", &sub_pass, 1, -1, &v);
    assert_int_equal(v.result, PC_DMARC_R_PASS);
    assert_string_equal(v.ar, "dmarc=pass (p=reject dis=none) header.from=rel.ev policy.dmarc=none");
    assert_int_equal(v.aligned, 1);
    /* pass through SPF: relaxed, a subdomain MAIL FROM */
    eval(&D, "rel.ev", PC_SPF_PASS, "bounce.rel.ev", &other_fail, 1, -1, &v);
    assert_int_equal(v.result, PC_DMARC_R_PASS);
    assert_int_equal(v.nalign, 2);
    assert_int_equal(v.aligned, 1);
}

static void test_strict_versus_relaxed(void **state)
{
    verdict_t v;
    const dk_t sub = {"mail.strict.ev", "s", PC_DKIM_PASS};
    const dk_t exact = {"strict.ev", "s", PC_DKIM_PASS};
    (void)state;

    eval(&D, "strict.ev", PC_SPF_PASS, "bounce.strict.ev", &sub, 1, -1, &v);
    assert_int_equal(v.result, PC_DMARC_R_FAIL); /* strict: subdomains do not align */
    assert_int_equal(v.aligned, 0);
    eval(&D, "strict.ev", PC_SPF_NONE, "other.example", &exact, 1, -1, &v);
    assert_int_equal(v.result, PC_DMARC_R_PASS); /* the exact name does */
}

static void test_fail_and_policies(void **state)
{
    verdict_t v;
    (void)state;

    /* p=reject at the domain itself */
    eval(&D, "rel.ev", PC_SPF_PASS, "other.example", NULL, 0, -1, &v);
    assert_int_equal(v.result, PC_DMARC_R_FAIL);
    assert_string_equal(v.tag, "p");
    assert_string_equal(v.rec, "reject");
    assert_string_equal(v.ar, "dmarc=fail (p=reject dis=reject) header.from=rel.ev policy.dmarc=reject");
    /* an existing subdomain: sp */
    eval(&D, "sub.rel.ev", PC_SPF_FAIL, "sub.rel.ev", NULL, 0, -1, &v);
    assert_string_equal(v.tag, "sp");
    assert_string_equal(v.rec, "quarantine");
    /* a subdomain that does not exist: np */
    eval(&D, "ghost.rel.ev", PC_SPF_FAIL, "ghost.rel.ev", NULL, 0, -1, &v);
    assert_string_equal(v.tag, "np");
    assert_string_equal(v.rec, "none");
    /* t=y lowers the disposition one step */
    eval(&D, "testing.ev", PC_SPF_FAIL, "testing.ev", NULL, 0, -1, &v);
    assert_int_equal(v.result, PC_DMARC_R_FAIL);
    assert_int_equal(v.testing, 1);
    assert_string_equal(v.dis, "reject");
    assert_string_equal(v.rec, "quarantine");
    assert_string_equal(v.ar,
                        "dmarc=fail (p=reject dis=quarantine) header.from=testing.ev policy.dmarc=quarantine");
}

static void test_pct_modes(void **state)
{
    verdict_t v;
    (void)state;

    /* RFC 7489 mode: pct=50 samples; a roll below 50 applies the policy */
    eval(&P, "pct.ev", PC_SPF_FAIL, "pct.ev", NULL, 0, 10, &v);
    assert_string_equal(v.rec, "reject");
    assert_int_equal(v.sampled, 0);
    assert_int_equal(v.pct, 50);
    eval(&P, "pct.ev", PC_SPF_FAIL, "pct.ev", NULL, 0, 70, &v);
    assert_string_equal(v.rec, "quarantine"); /* the next lower policy */
    assert_int_equal(v.sampled, 1);
    /* RFC 9989 mode ignores pct */
    eval(&D, "pct.ev", PC_SPF_FAIL, "pct.ev", NULL, 0, 70, &v);
    assert_string_equal(v.rec, "reject");
    assert_int_equal(v.pct, 100);
}

static void test_psd_organizations(void **state)
{
    verdict_t v;
    const dk_t sibling = {"c.psdy.ev", "s", PC_DKIM_PASS};
    const dk_t below = {"x.b.psdy.ev", "s", PC_DKIM_PASS};
    const dk_t peer = {"y.psdn.ev", "s", PC_DKIM_PASS};
    (void)state;

    /* psd=y at psdy.ev: the org domain of a.b.psdy.ev is b.psdy.ev */
    eval(&D, "a.b.psdy.ev", PC_SPF_NONE, "x.example", &sibling, 1, -1, &v);
    assert_string_equal(v.org, "b.psdy.ev");
    assert_int_equal(v.result, PC_DMARC_R_FAIL); /* c.psdy.ev is another org */
    eval(&D, "a.b.psdy.ev", PC_SPF_NONE, "x.example", &below, 1, -1, &v);
    assert_int_equal(v.result, PC_DMARC_R_PASS);
    /* psd=n at psdn.ev: both names belong to psdn.ev */
    eval(&D, "x.psdn.ev", PC_SPF_NONE, "x.example", &peer, 1, -1, &v);
    assert_string_equal(v.org, "psdn.ev");
    assert_int_equal(v.result, PC_DMARC_R_PASS);
}

static void test_none_temperror_bogus(void **state)
{
    verdict_t v;
    char conf[400];
    dproc_t m;
    (void)state;

    eval(&D, "norec.ev", PC_SPF_PASS, "norec.ev", NULL, 0, -1, &v);
    assert_int_equal(v.result, PC_DMARC_R_NONE);
    assert_string_equal(v.ar, "dmarc=none header.from=norec.ev");
    eval(&D, "multi.ev", PC_SPF_FAIL, "multi.ev", NULL, 0, -1, &v);
    assert_int_equal(v.result, PC_DMARC_R_NONE); /* several records: none */
    /* a temporary failure in the SPF part: temperror, never fail */
    eval(&D, "rel.ev", PC_SPF_TEMPERROR, "rel.ev", NULL, 0, -1, &v);
    assert_int_equal(v.result, PC_DMARC_R_TEMPERROR);
    /* ... unless DKIM aligns anyway */
    {
        const dk_t ok = {"rel.ev", "s", PC_DKIM_PASS};
        eval(&D, "rel.ev", PC_SPF_TEMPERROR, "rel.ev", &ok, 1, -1, &v);
        assert_int_equal(v.result, PC_DMARC_R_PASS);
    }
    /* in the discovery part: a silent server at _dmarc.slow.ev (below an
     * unsigned delegation, so no NSEC proof of ev. can answer for it) */
    eval(&D, "slow.ev", PC_SPF_FAIL, "slow.ev", NULL, 0, -1, &v);
    assert_int_equal(v.result, PC_DMARC_R_TEMPERROR);
    assert_string_equal(v.ar, "dmarc=temperror header.from=slow.ev");
    /* a bogus policy record (the shared world's bogus-ds zone) is never
     * applied: temperror */
    snprintf(conf, sizeof(conf), "unbound-config: %s\n", pc_test_env("PC_WORLD_UNBOUND_CONF"));
    dproc_init(&m, conf);
    dproc_start(&m);
    eval(&m, "bogus-ds.pcw", PC_SPF_FAIL, "bogus-ds.pcw", NULL, 0, -1, &v);
    assert_int_equal(v.result, PC_DMARC_R_TEMPERROR);
    assert_non_null(strstr(v.why, "bogus"));
    assert_int_equal(v.ttl, 0);
    assert_int_equal(dproc_stop(&m), 0);
    dproc_cleanup(&m);
}

/* The SPF part run by polcached itself from the client IP, MAIL FROM, HELO. */
static void eval_run(dproc_t *d, const char *from, const uint8_t *ip, size_t iplen,
                     const char *mailfrom, const char *helo, verdict_t *v, long *spf)
{
    pc_wbuf_t b;

    memset(v, 0, sizeof(*v));
    assert_int_equal(tc_connect(C, d->sock, 2000), 0);
    pc_wbuf_init(&b, 0);
    pc_wbuf_frame_begin(&b, PC_MSG_DMARC_EVAL, 0, 10);
    pc_wbuf_str(&b, PC_T_DOMAIN, from);
    pc_wbuf_bytes(&b, PC_T_CLIENT_IP, ip, iplen);
    pc_wbuf_str(&b, PC_T_MAILFROM, mailfrom);
    pc_wbuf_str(&b, PC_T_HELO, helo);
    assert_int_equal(pc_wbuf_frame_end(&b), 0);
    assert_int_equal(tc_send_wbuf(C, &b), 0);
    pc_wbuf_free(&b);
    assert_int_equal(tc_read(C, 20000), 0);
    assert_int_equal(C->msg.hdr.type, PC_MSG_DMARC_EVAL | PC_MSG_REPLY);
    v->result = (int)tc_u8(C, PC_T_DMARC_RESULT);
    v->ttl = tc_u32(C, PC_T_TTL);
    tc_text(C, PC_T_AUTH_RESULTS, v->ar, sizeof(v->ar));
    tc_text(C, PC_T_RECOMMENDED, v->rec, sizeof(v->rec));
    *spf = tc_u8(C, PC_T_SPF_RESULT);
    printf("  run-spf %-10s %-22s -> spf %ld, %s\n", from, mailfrom, *spf, v->ar);
    tc_close(C);
}

static void test_spf_run_by_daemon(void **state)
{
    static const uint8_t in4[4] = {192, 0, 2, 55}, out4[4] = {198, 51, 100, 7};
    static const uint8_t mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 56};
    static const uint8_t in6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9};
    verdict_t v;
    long spf;
    (void)state;

    eval_run(&D, "rel.ev", in4, 4, "bounce@rel.ev", "mx.example", &v, &spf);
    assert_int_equal(spf, PC_SPF_PASS);
    assert_int_equal(v.result, PC_DMARC_R_PASS);
    assert_true(v.ttl > 0); /* the SPF record and the walk: 300 s at most */
    assert_true(v.ttl <= 300);
    eval_run(&D, "rel.ev", mapped, 16, "bounce@rel.ev", "mx.example", &v, &spf);
    assert_int_equal(spf, PC_SPF_PASS); /* IPv4-mapped is checked as IPv4 */
    eval_run(&D, "rel.ev", in6, 16, "bounce@rel.ev", "mx.example", &v, &spf);
    assert_int_equal(spf, PC_SPF_PASS);
    eval_run(&D, "rel.ev", out4, 4, "bounce@rel.ev", "mx.example", &v, &spf);
    assert_int_equal(spf, PC_SPF_FAIL);
    assert_int_equal(v.result, PC_DMARC_R_FAIL);
    assert_string_equal(v.rec, "reject");
    /* the SPF part times out: temperror, never fail */
    eval_run(&D, "rel.ev", out4, 4, "bounce@spfslow.ev", "mx.example", &v, &spf);
    assert_int_equal(spf, PC_SPF_TEMPERROR);
    assert_int_equal(v.result, PC_DMARC_R_TEMPERROR);
    assert_int_equal(v.ttl, 0);
}

static void test_ttl(void **state)
{
    verdict_t v, again;
    const dk_t ok = {"rel.ev", "s", PC_DKIM_PASS};
    (void)state;

    /* a pass through the tree walk: at most the records' 300 s, and asked
     * again from the cache, never more than before */
    eval(&D, "rel.ev", PC_SPF_PASS, "bounce.rel.ev", NULL, 0, -1, &v);
    assert_int_equal(v.result, PC_DMARC_R_PASS);
    assert_true(v.ttl > 0);
    assert_true(v.ttl <= 300);
    eval(&D, "rel.ev", PC_SPF_PASS, "bounce.rel.ev", NULL, 0, -1, &again);
    assert_true(again.ttl > 0);
    assert_true(again.ttl <= v.ttl);
    /* RFC 7489 mode, pct=50, with PCT_ROLL: the draw is the request's, so
     * the verdict may be reused, whichever way the roll goes */
    eval(&P, "pct.ev", PC_SPF_FAIL, "pct.ev", NULL, 0, 10, &v);
    assert_string_equal(v.rec, "reject");
    assert_true(v.ttl > 0);
    assert_true(v.ttl <= 300);
    eval(&P, "pct.ev", PC_SPF_FAIL, "pct.ev", NULL, 0, 70, &v);
    assert_int_equal(v.sampled, 1);
    assert_true(v.ttl > 0);
    /* ... without it a random draw was made: 0, whichever way it went */
    for (int i = 0; i < 4; i++) {
        eval(&P, "pct.ev", PC_SPF_FAIL, "pct.ev", NULL, 0, -1, &v);
        assert_int_equal(v.result, PC_DMARC_R_FAIL);
        assert_int_equal(v.pct, 50);
        assert_int_equal(v.ttl, 0);
    }
    /* no draw when the message passes: reusable again */
    eval(&P, "pct.ev", PC_SPF_PASS, "pct.ev", NULL, 0, -1, &v);
    assert_int_equal(v.result, PC_DMARC_R_PASS);
    assert_true(v.ttl > 0);
    /* temperror: 0, in the SPF part given by the filter and in discovery */
    eval(&D, "rel.ev", PC_SPF_TEMPERROR, "rel.ev", NULL, 0, -1, &v);
    assert_int_equal(v.result, PC_DMARC_R_TEMPERROR);
    assert_int_equal(v.ttl, 0);
    eval(&D, "slow.ev", PC_SPF_FAIL, "slow.ev", NULL, 0, -1, &v);
    assert_int_equal(v.result, PC_DMARC_R_TEMPERROR);
    assert_int_equal(v.ttl, 0);
    /* a DKIM pass over a given SPF temperror is a pass from cached data */
    eval(&D, "rel.ev", PC_SPF_TEMPERROR, "rel.ev", &ok, 1, -1, &v);
    assert_int_equal(v.result, PC_DMARC_R_PASS);
    assert_true(v.ttl > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pass_paths),
        cmocka_unit_test(test_strict_versus_relaxed),
        cmocka_unit_test(test_fail_and_policies),
        cmocka_unit_test(test_pct_modes),
        cmocka_unit_test(test_psd_organizations),
        cmocka_unit_test(test_none_temperror_bogus),
        cmocka_unit_test(test_spf_run_by_daemon),
        cmocka_unit_test(test_ttl),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
