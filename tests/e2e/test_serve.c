/*
 * test_serve.c - end-to-end tests of the real polcached through its socket
 * against the signed DNS world: every world case as a DMARC, SPF or DKIM
 * request; cache hits; pipelining with out-of-order replies; cancel;
 * flush; dump; stats; bad frames on some connections while another is
 * served; SIGTERM exits 0.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon_proc.h"
#include "pcclient.h"
#include "polcache/error.h"
#include "polcache/types.h"
#include "testutil.h"

static dproc_t D;

static int setup(void **state)
{
    (void)state;
    dproc_init(&D, dproc_world_conf());
    dproc_start(&D);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    assert_int_equal(dproc_stop(&D), 0); /* SIGTERM: clean exit 0 */
    dproc_cleanup(&D);
    return 0;
}

typedef struct rcase {
    uint8_t type;
    const char *domain;
    const char *selector;
    int outcome;
    int dnssec;
    const char *raw;      /* substring of RAW, or NULL */
    const char *field;    /* "name=value" that must be present, or NULL */
    const char *why;      /* substring of WHY, or NULL */
    const char *warning;  /* substring of a WARNING, or NULL */
} rcase_t;

static const rcase_t cases[] = {
    {PC_MSG_DMARC, "secure.pcw", NULL, PC_OUTCOME_FOUND, PC_DNSSEC_SECURE, "v=DMARC1; p=reject", "p=reject", NULL, NULL},
    {PC_MSG_DMARC, "SECURE.pcw.", NULL, PC_OUTCOME_FOUND, PC_DNSSEC_SECURE, NULL, "p=reject", NULL, NULL},
    {PC_MSG_DMARC, "insecure.pcw", NULL, PC_OUTCOME_FOUND, PC_DNSSEC_INSECURE, "p=none", "p=none", NULL, NULL},
    {PC_MSG_DMARC, "cname.secure.pcw", NULL, PC_OUTCOME_FOUND, PC_DNSSEC_SECURE, "p=quarantine", "pct=50", NULL, NULL},
    {PC_MSG_DMARC, "cnameinsec.secure.pcw", NULL, PC_OUTCOME_FOUND, PC_DNSSEC_INSECURE, NULL, "p=none", NULL, NULL},
    {PC_MSG_DMARC, "cnamebogus.secure.pcw", NULL, PC_OUTCOME_TEMPFAIL, PC_DNSSEC_BOGUS, NULL, NULL, "validation failure", NULL},
    {PC_MSG_DMARC, "twodmarc.secure.pcw", NULL, PC_OUTCOME_NORECORD, PC_DNSSEC_SECURE, NULL, NULL, "multiple", "multiple-records"},
    {PC_MSG_DMARC, "bogus-ds.pcw", NULL, PC_OUTCOME_TEMPFAIL, PC_DNSSEC_BOGUS, NULL, NULL, "validation failure", NULL},
    {PC_MSG_DMARC, "expired.pcw", NULL, PC_OUTCOME_TEMPFAIL, PC_DNSSEC_BOGUS, NULL, NULL, "expired", NULL},
    {PC_MSG_DMARC, "tampered.pcw", NULL, PC_OUTCOME_TEMPFAIL, PC_DNSSEC_BOGUS, NULL, NULL, "validation failure", NULL},
    {PC_MSG_DMARC, "nonexistent.secure.pcw", NULL, PC_OUTCOME_NXDOMAIN, PC_DNSSEC_SECURE, NULL, NULL, NULL, NULL},
    {PC_MSG_DMARC, "silent.pcw", NULL, PC_OUTCOME_TEMPFAIL, PC_DNSSEC_NONE, NULL, NULL, NULL, NULL},
    {PC_MSG_DMARC, "servfail.pcw", NULL, PC_OUTCOME_TEMPFAIL, PC_DNSSEC_NONE, NULL, NULL, NULL, NULL},
    {PC_MSG_SPF, "secure.pcw", NULL, PC_OUTCOME_FOUND, PC_DNSSEC_SECURE, "v=spf1 ip4:192.0.2.0/24 -all", "ip4=+192.0.2.0/24", NULL, NULL},
    {PC_MSG_SPF, "insecure.pcw", NULL, PC_OUTCOME_FOUND, PC_DNSSEC_INSECURE, "v=spf1", NULL, NULL, NULL},
    {PC_MSG_SPF, "twospf.secure.pcw", NULL, PC_OUTCOME_PERMERROR, PC_DNSSEC_SECURE, NULL, NULL, "more than one v=spf1", NULL},
    {PC_MSG_SPF, "nodata.secure.pcw", NULL, PC_OUTCOME_NORECORD, PC_DNSSEC_SECURE, NULL, NULL, NULL, NULL},
    {PC_MSG_SPF, "nonexistent.insecure.pcw", NULL, PC_OUTCOME_NXDOMAIN, PC_DNSSEC_INSECURE, NULL, NULL, NULL, NULL},
    {PC_MSG_SPF, "big.secure.pcw", NULL, PC_OUTCOME_NORECORD, PC_DNSSEC_SECURE, NULL, NULL, NULL, NULL},
    {PC_MSG_SPF, "a\\032space.secure.pcw", NULL, PC_OUTCOME_NORECORD, PC_DNSSEC_SECURE, NULL, NULL, NULL, NULL},
    {PC_MSG_SPF, "a space.secure.pcw", NULL, PC_OUTCOME_NORECORD, PC_DNSSEC_SECURE, NULL, NULL, NULL, NULL},
    {PC_MSG_SPF, "oct\\200et.secure.pcw", NULL, PC_OUTCOME_NORECORD, PC_DNSSEC_SECURE, NULL, NULL, NULL, NULL},
    {PC_MSG_SPF, "pct%41.secure.pcw", NULL, PC_OUTCOME_NORECORD, PC_DNSSEC_SECURE, NULL, NULL, NULL, NULL},
    {PC_MSG_SPF, "a\\.dot.secure.pcw", NULL, PC_OUTCOME_NORECORD, PC_DNSSEC_SECURE, NULL, NULL, NULL, NULL},
    {PC_MSG_SPF, "under_score.secure.pcw", NULL, PC_OUTCOME_NORECORD, PC_DNSSEC_SECURE, NULL, NULL, NULL, NULL},
    {PC_MSG_SPF, "MiXeDcAsE.secure.pcw", NULL, PC_OUTCOME_NORECORD, PC_DNSSEC_SECURE, NULL, NULL, NULL, NULL},
    {PC_MSG_DKIM, "secure.pcw", "sel", PC_OUTCOME_FOUND, PC_DNSSEC_SECURE, "v=DKIM1; k=rsa", "key-bits=2048", NULL, NULL},
    {PC_MSG_DKIM, "secure.pcw", "ed", PC_OUTCOME_FOUND, PC_DNSSEC_SECURE, "k=ed25519", "key-type=ed25519", NULL, NULL},
    {PC_MSG_DKIM, "secure.pcw", "missing", PC_OUTCOME_NXDOMAIN, PC_DNSSEC_SECURE, NULL, NULL, NULL, NULL},
};

static void check_case(tc_t *c, const rcase_t *k, int want_cache)
{
    char buf[4096], fname[64];
    int ok = 1;

    ok &= tc_u8(c, PC_T_OUTCOME) == k->outcome;
    ok &= tc_u8(c, PC_T_DNSSEC) == k->dnssec;
    if (want_cache >= 0)
        ok &= tc_u8(c, PC_T_CACHE) == want_cache;
    if (k->raw != NULL)
        ok &= strstr(tc_text(c, PC_T_RAW, buf, sizeof(buf)), k->raw) != NULL;
    if (k->why != NULL)
        ok &= strstr(tc_text(c, PC_T_WHY, buf, sizeof(buf)), k->why) != NULL;
    if (k->field != NULL) {
        const char *eq = strchr(k->field, '=');
        snprintf(fname, sizeof(fname), "%.*s", (int)(eq - k->field), k->field);
        ok &= tc_field(c, fname, buf, sizeof(buf)) != NULL && strcmp(buf, eq + 1) == 0;
    }
    if (k->warning != NULL) {
        int found = 0;
        for (uint16_t i = 0; i < c->msg.ntlv; i++) {
            if (c->msg.tlv[i].type == PC_T_WARNING) {
                pc_tlv_copy_text(&c->msg.tlv[i], buf, sizeof(buf));
                found |= strstr(buf, k->warning) != NULL;
            }
        }
        ok &= found;
    }
    if (!ok) {
        fail_msg("%s %s%s%s: outcome %ld dnssec %ld cache %ld raw [%s] why [%s]",
                 pc_msg_type_name(k->type), k->selector ? k->selector : "", k->selector ? "/" : "",
                 k->domain, tc_u8(c, PC_T_OUTCOME), tc_u8(c, PC_T_DNSSEC), tc_u8(c, PC_T_CACHE),
                 tc_text(c, PC_T_RAW, buf, sizeof(buf)),
                 tc_text(c, PC_T_WHY, fname, sizeof(fname)));
    }
}

static void test_world_cases(void **state)
{
    tc_t *c = malloc(sizeof(*c));
    size_t n = sizeof(cases) / sizeof(cases[0]);
    (void)state;

    assert_int_equal(tc_connect(c, D.sock, 2000), 0);
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < n; i++) {
            const rcase_t *k = &cases[i];
            assert_int_equal(tc_send_record(c, k->type, (uint32_t)(100 + i), 0, k->domain, k->selector), 0);
            assert_int_equal(tc_read(c, 10000), 0);
            assert_int_equal(c->msg.hdr.type, k->type | PC_MSG_REPLY);
            assert_int_equal(c->msg.hdr.id, 100 + i);
            /* second pass: everything comes from the cache (failures are
             * held briefly, so they are hits too) */
            check_case(c, k, pass == 0 ? -1 : PC_CACHE_HIT);
        }
    }
    printf("world cases through polcached: %zu, each asked twice\n", n);
    /* names that are not valid DNS names get a clear error */
    assert_int_equal(tc_send_record(c, PC_MSG_DMARC, 7, 0, "a..b", NULL), 0);
    assert_int_equal(tc_read(c, 5000), 0);
    assert_int_equal(c->msg.hdr.type, PC_MSG_ERROR_REPLY);
    assert_int_equal((int)pc_tlv_i32(pc_msg_find(&c->msg, PC_T_ERROR_CODE)), PC_ENAME);
    tc_close(c);
    free(c);
}

static void test_pipelining_out_of_order(void **state)
{
    tc_t *c = malloc(sizeof(*c));
    pc_wbuf_t b;
    int seen_slow_at = -1, got = 0;
    (void)state;

    assert_int_equal(tc_connect(c, D.sock, 2000), 0);
    /* warm one fast name */
    assert_int_equal(tc_send_record(c, PC_MSG_DMARC, 1, 0, "secure.pcw", NULL), 0);
    assert_int_equal(tc_read(c, 10000), 0);
    /* one slow request (a silent server), then 64 cached ones, all in one write */
    pc_wbuf_init(&b, 1u << 20);
    pc_wbuf_frame_begin(&b, PC_MSG_DMARC, 0, 1000);
    pc_wbuf_str(&b, PC_T_DOMAIN, "pipeline.silent.pcw");
    assert_int_equal(pc_wbuf_frame_end(&b), 0);
    for (uint32_t i = 0; i < 64; i++) {
        pc_wbuf_frame_begin(&b, PC_MSG_DMARC, 0, 2000 + i);
        pc_wbuf_str(&b, PC_T_DOMAIN, "secure.pcw");
        assert_int_equal(pc_wbuf_frame_end(&b), 0);
    }
    assert_int_equal(tc_send_wbuf(c, &b), 0);
    pc_wbuf_free(&b);
    while (got < 65) {
        assert_int_equal(tc_read(c, 10000), 0);
        if (c->msg.hdr.id == 1000) {
            seen_slow_at = got;
            assert_int_equal(tc_u8(c, PC_T_OUTCOME), PC_OUTCOME_TEMPFAIL);
        } else {
            assert_true(c->msg.hdr.id >= 2000 && c->msg.hdr.id < 2064);
            assert_int_equal(tc_u8(c, PC_T_CACHE), PC_CACHE_HIT);
        }
        got++;
    }
    /* the slow answer came last: replies are not in request order */
    assert_int_equal(seen_slow_at, 64);
    tc_close(c);
    free(c);
}

static void test_cancel_flush_dump_stats(void **state)
{
    tc_t *c = malloc(sizeof(*c));
    pc_wbuf_t b;
    char buf[512];
    long long misses;
    int entries = 0;
    (void)state;

    assert_int_equal(tc_connect(c, D.sock, 2000), 0);
    /* cancel: the slow request gets no reply; the cancel gets count 1 */
    assert_int_equal(tc_send_record(c, PC_MSG_DMARC, 50, 0, "cancelme.silent.pcw", NULL), 0);
    pc_wbuf_init(&b, 0);
    pc_wbuf_frame_begin(&b, PC_MSG_CANCEL, 0, 51);
    pc_wbuf_u32(&b, PC_T_TARGET_ID, 50);
    assert_int_equal(pc_wbuf_frame_end(&b), 0);
    assert_int_equal(tc_send_wbuf(c, &b), 0);
    assert_int_equal(tc_read(c, 5000), 0);
    assert_int_equal(c->msg.hdr.id, 51);
    assert_int_equal(tc_u32(c, PC_T_COUNT), 1);
    /* nothing else arrives for id 50, even after the upstream timeout */
    assert_int_equal(tc_read(c, 2500), -1001);

    /* a hit, then flush the domain: the next request is a miss again */
    assert_int_equal(tc_send_record(c, PC_MSG_SPF, 60, 0, "secure.pcw", NULL), 0);
    assert_int_equal(tc_read(c, 5000), 0);
    assert_int_equal(tc_send_record(c, PC_MSG_SPF, 61, 0, "secure.pcw", NULL), 0);
    assert_int_equal(tc_read(c, 5000), 0);
    assert_int_equal(tc_u8(c, PC_T_CACHE), PC_CACHE_HIT);
    pc_wbuf_frame_begin(&b, PC_MSG_FLUSH, 0, 62);
    pc_wbuf_str(&b, PC_T_DOMAIN, "secure.pcw");
    assert_int_equal(pc_wbuf_frame_end(&b), 0);
    assert_int_equal(tc_send_wbuf(c, &b), 0);
    assert_int_equal(tc_read(c, 5000), 0);
    assert_int_equal(c->msg.hdr.type, PC_MSG_FLUSH | PC_MSG_REPLY);
    assert_true(tc_u32(c, PC_T_COUNT) >= 1);
    assert_int_equal(tc_send_record(c, PC_MSG_SPF, 63, 0, "secure.pcw", NULL), 0);
    assert_int_equal(tc_read(c, 5000), 0);
    assert_int_equal(tc_u8(c, PC_T_CACHE), PC_CACHE_MISS);
    assert_int_equal(tc_u8(c, PC_T_OUTCOME), PC_OUTCOME_FOUND);

    /* dump the DMARC entries under pcw., two per page */
    assert_int_equal(tc_send_record(c, PC_MSG_DMARC, 64, 0, "secure.pcw", NULL), 0);
    assert_int_equal(tc_read(c, 5000), 0);
    assert_int_equal(tc_send_record(c, PC_MSG_DMARC, 65, 0, "insecure.pcw", NULL), 0);
    assert_int_equal(tc_read(c, 5000), 0);
    assert_int_equal(tc_send_record(c, PC_MSG_DMARC, 66, 0, "cname.secure.pcw", NULL), 0);
    assert_int_equal(tc_read(c, 5000), 0);
    {
        uint8_t cursor[PC_CURSOR_MAX];
        size_t clen = 0;
        int pages = 0;
        do {
            pc_wbuf_frame_begin(&b, PC_MSG_DUMP, 0, 70);
            pc_wbuf_u8(&b, PC_T_RTYPE, PC_RT_DMARC);
            pc_wbuf_str(&b, PC_T_SUFFIX, "pcw");
            pc_wbuf_u32(&b, PC_T_LIMIT, 2);
            if (clen > 0)
                pc_wbuf_bytes(&b, PC_T_CURSOR, cursor, clen);
            assert_int_equal(pc_wbuf_frame_end(&b), 0);
            assert_int_equal(tc_send_wbuf(c, &b), 0);
            assert_int_equal(tc_read(c, 5000), 0);
            assert_int_equal(c->msg.hdr.type, PC_MSG_DUMP | PC_MSG_REPLY);
            for (uint16_t i = 0; i < c->msg.ntlv; i++) {
                pc_tlv_t q;
                if (c->msg.tlv[i].type != PC_T_ENTRY)
                    continue;
                assert_true(pc_tlv_find(&c->msg.tlv[i], PC_T_QNAME, &q));
                pc_tlv_copy_text(&q, buf, sizeof(buf));
                assert_non_null(strstr(buf, "_dmarc."));
                entries++;
            }
            clen = 0;
            if (c->msg.hdr.flags & PC_F_MORE) {
                const pc_tlv_t *t = pc_msg_find(&c->msg, PC_T_NEXT_CURSOR);
                assert_non_null(t);
                memcpy(cursor, t->val, t->len);
                clen = t->len;
            }
            pages++;
        } while (clen > 0 && pages < 50);
        assert_true(pages >= 2);
        assert_true(entries >= 3);
    }

    /* stats count what happened */
    pc_wbuf_frame_begin(&b, PC_MSG_STATS, 0, 80);
    assert_int_equal(pc_wbuf_frame_end(&b), 0);
    assert_int_equal(tc_send_wbuf(c, &b), 0);
    assert_int_equal(tc_read(c, 5000), 0);
    misses = tc_stat(c, "cache.misses");
    assert_true(misses >= 3);
    assert_true(tc_stat(c, "cache.hits") >= 1);
    assert_true(tc_stat(c, "requests.cancel") >= 1);
    assert_true(tc_stat(c, "cache.entries") >= 3);
    assert_true(tc_stat(c, "cache.live_pages") >= 1);

    /* an SPF check (HELO scope) gets an SPF check reply: secure.pcw has
     * "v=spf1 ip4:192.0.2.0/24 -all" (the RFC 7208 suite is test_spf_suite) */
    {
        static const uint8_t ip[4] = {192, 0, 2, 1};
        pc_wbuf_frame_begin(&b, PC_MSG_SPF_CHECK, 0, 90);
        pc_wbuf_bytes(&b, PC_T_CLIENT_IP, ip, 4);
        pc_wbuf_str(&b, PC_T_HELO, "secure.pcw");
        assert_int_equal(pc_wbuf_frame_end(&b), 0);
        assert_int_equal(tc_send_wbuf(c, &b), 0);
        assert_int_equal(tc_read(c, 5000), 0);
        assert_int_equal(c->msg.hdr.type, PC_MSG_SPF_CHECK | PC_MSG_REPLY);
        assert_int_equal(tc_u8(c, PC_T_SPF_RESULT), PC_SPF_PASS);
        assert_int_equal(tc_u8(c, PC_T_SPF_SCOPE), 2);
        assert_int_equal(tc_u8(c, PC_T_DNSSEC), PC_DNSSEC_SECURE);
        assert_string_equal(tc_text(c, PC_T_SPF_MATCHED, buf, sizeof(buf)), "ip4:192.0.2.0/24");
        assert_string_equal(tc_text(c, PC_T_SPF_DOMAIN, buf, sizeof(buf)), "secure.pcw");
    }
    pc_wbuf_free(&b);
    tc_close(c);
    free(c);
}

static int ping(tc_t *c, uint32_t id)
{
    pc_hdr_t h = {PC_WIRE_VERSION, PC_MSG_PING, 0, id, 0};
    uint8_t f[PC_WIRE_HDR_LEN];
    pc_hdr_encode(&h, f);
    if (tc_send(c, f, sizeof(f)) != 0 || tc_read(c, 5000) != 0)
        return -1;
    return c->msg.hdr.type == (PC_MSG_PING | PC_MSG_REPLY) && c->msg.hdr.id == id ? 0 : -1;
}

static void test_bad_frames(void **state)
{
    tc_t *good = malloc(sizeof(*good)), *bad = malloc(sizeof(*bad));
    uint8_t frame[64];
    pc_hdr_t h;
    (void)state;

    assert_int_equal(tc_connect(good, D.sock, 2000), 0);
    assert_int_equal(ping(good, 1), 0);

    /* garbage: an error reply with id 0, then the connection is closed */
    assert_int_equal(tc_connect(bad, D.sock, 2000), 0);
    assert_int_equal(tc_send(bad, "GET / HTTP/1.0\r\n\r\n", 18), 0);
    assert_int_equal(tc_read(bad, 5000), 0);
    assert_int_equal(bad->msg.hdr.type, PC_MSG_ERROR_REPLY);
    assert_int_equal((int)pc_tlv_i32(pc_msg_find(&bad->msg, PC_T_ERROR_CODE)), PC_EMAGIC);
    assert_int_equal(tc_read(bad, 5000), -1000);
    tc_close(bad);
    assert_int_equal(ping(good, 2), 0);

    /* an oversized body announced: error and close */
    assert_int_equal(tc_connect(bad, D.sock, 2000), 0);
    h = (pc_hdr_t){PC_WIRE_VERSION, PC_MSG_DMARC, 0, 9, 16u << 20};
    pc_hdr_encode(&h, frame);
    assert_int_equal(tc_send(bad, frame, PC_WIRE_HDR_LEN), 0);
    assert_int_equal(tc_read(bad, 5000), 0);
    assert_int_equal((int)pc_tlv_i32(pc_msg_find(&bad->msg, PC_T_ERROR_CODE)), PC_ETOOBIG);
    assert_int_equal(bad->msg.hdr.id, 9);
    assert_int_equal(tc_read(bad, 5000), -1000);
    tc_close(bad);

    /* an unknown critical field: an error reply, the connection stays */
    assert_int_equal(tc_connect(bad, D.sock, 2000), 0);
    {
        pc_wbuf_t b;
        pc_wbuf_init(&b, 0);
        pc_wbuf_frame_begin(&b, PC_MSG_DMARC, 0, 11);
        pc_wbuf_str(&b, PC_T_DOMAIN, "secure.pcw");
        pc_wbuf_u8(&b, 0x8123, 1);
        assert_int_equal(pc_wbuf_frame_end(&b), 0);
        /* and a truncated field in the next frame */
        pc_wbuf_frame_begin(&b, PC_MSG_DMARC, 0, 12);
        pc_wbuf_str(&b, PC_T_DOMAIN, "secure.pcw");
        assert_int_equal(pc_wbuf_frame_end(&b), 0);
        b.data[b.len - 11] = 0x20; /* DOMAIN length now overruns the body */
        assert_int_equal(tc_send_wbuf(bad, &b), 0);
        pc_wbuf_free(&b);
    }
    assert_int_equal(tc_read(bad, 5000), 0);
    assert_int_equal(bad->msg.hdr.id, 11);
    assert_int_equal((int)pc_tlv_i32(pc_msg_find(&bad->msg, PC_T_ERROR_CODE)), PC_ECRITICAL);
    assert_int_equal(tc_read(bad, 5000), 0);
    assert_int_equal(bad->msg.hdr.id, 12);
    assert_int_equal((int)pc_tlv_i32(pc_msg_find(&bad->msg, PC_T_ERROR_CODE)), PC_EMALFORMED);
    assert_int_equal(ping(bad, 13), 0);
    tc_close(bad);

    /* a client that goes away mid-frame */
    assert_int_equal(tc_connect(bad, D.sock, 2000), 0);
    h = (pc_hdr_t){PC_WIRE_VERSION, PC_MSG_DMARC, 0, 14, 100};
    pc_hdr_encode(&h, frame);
    assert_int_equal(tc_send(bad, frame, PC_WIRE_HDR_LEN + 10), 0);
    tc_close(bad);

    assert_int_equal(ping(good, 3), 0);
    tc_close(good);
    free(good);
    free(bad);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_world_cases),
        cmocka_unit_test(test_pipelining_out_of_order),
        cmocka_unit_test(test_cancel_flush_dump_stats),
        cmocka_unit_test(test_bad_frames),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
