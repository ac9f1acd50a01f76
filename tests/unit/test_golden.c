/*
 * test_golden.c - the golden vectors of docs/PROTOCOL.md. Every block
 * fenced as ```hex golden=NAME is extracted from the document; each NAME
 * must have a row below. Positive vectors are encoded with the encoder and
 * compared byte for byte, then decoded and re-encoded; negative vectors
 * must fail to decode with the stated error. Run with PC_GOLDEN_PRINT=1 to
 * print the encoder's bytes for the document.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "polcache/error.h"
#include "polcache/types.h"
#include "testutil.h"
#include "wire.h"

typedef void (*builder_fn)(pc_wbuf_t *b);

static void b_ping_req(pc_wbuf_t *b)
{
    pc_wbuf_frame_begin(b, PC_MSG_PING, 0, 1);
}

static void b_ping_rep(pc_wbuf_t *b)
{
    pc_wbuf_frame_begin(b, PC_MSG_PING | PC_MSG_REPLY, 0, 1);
    pc_wbuf_str(b, PC_T_VERSION, "polcached 0.1.0");
    pc_wbuf_u8(b, PC_T_PROTO_VERSION, 1);
}

static void b_dmarc_req(pc_wbuf_t *b)
{
    pc_wbuf_frame_begin(b, PC_MSG_DMARC, 0, 0x2a);
    pc_wbuf_str(b, PC_T_DOMAIN, "example.org");
}

static void field(pc_wbuf_t *b, const char *name, const char *value, uint8_t flags)
{
    pc_wbuf_nest_begin(b, PC_T_FIELD);
    pc_wbuf_str(b, PC_T_FIELD_NAME, name);
    pc_wbuf_bytes(b, PC_T_FIELD_VALUE, value, strlen(value));
    pc_wbuf_u8(b, PC_T_FIELD_FLAGS, flags);
    pc_wbuf_nest_end(b);
}

static void b_dmarc_rep(pc_wbuf_t *b)
{
    static const char raw[] = "v=DMARC1; p=reject";
    pc_wbuf_frame_begin(b, PC_MSG_DMARC | PC_MSG_REPLY, 0, 0x2a);
    pc_wbuf_u8(b, PC_T_OUTCOME, PC_OUTCOME_FOUND);
    pc_wbuf_u8(b, PC_T_DNSSEC, PC_DNSSEC_SECURE);
    pc_wbuf_u8(b, PC_T_CACHE, PC_CACHE_HIT);
    pc_wbuf_u32(b, PC_T_TTL, 3600);
    pc_wbuf_u32(b, PC_T_AGE, 12);
    pc_wbuf_str(b, PC_T_QNAME, "_dmarc.example.org");
    pc_wbuf_bytes(b, PC_T_RAW, raw, sizeof(raw) - 1);
    field(b, "p", "reject", 1);
    field(b, "sp", "reject", 0);
    pc_wbuf_str(b, PC_T_WARNING, "no-rua: no rua tag, so no aggregate reports");
}

static void b_dmarc_discover(pc_wbuf_t *b)
{
    pc_wbuf_frame_begin(b, PC_MSG_DMARC, 0, 0x2b);
    pc_wbuf_str(b, PC_T_DOMAIN, "a.mail.example.com");
    pc_wbuf_u8(b, PC_T_DISCOVER | PC_TLV_CRITICAL, 0);
}

static void b_dkim_req(pc_wbuf_t *b)
{
    pc_wbuf_frame_begin(b, PC_MSG_DKIM, PC_F_NOCACHE, 7);
    pc_wbuf_str(b, PC_T_SELECTOR, "sel");
    pc_wbuf_str(b, PC_T_DOMAIN, "example.org");
}

static void b_spf_check_req(pc_wbuf_t *b)
{
    static const uint8_t ip[4] = {192, 0, 2, 1};
    pc_wbuf_frame_begin(b, PC_MSG_SPF_CHECK, 0, 8);
    pc_wbuf_bytes(b, PC_T_CLIENT_IP, ip, 4);
    pc_wbuf_str(b, PC_T_MAILFROM, "user@example.org");
    pc_wbuf_str(b, PC_T_HELO, "mx.example.org");
}

static void b_spf_check_rep(pc_wbuf_t *b)
{
    pc_wbuf_frame_begin(b, PC_MSG_SPF_CHECK | PC_MSG_REPLY, 0, 8);
    pc_wbuf_u8(b, PC_T_SPF_RESULT, PC_SPF_PASS);
    pc_wbuf_u8(b, PC_T_SPF_SCOPE, 1);
    pc_wbuf_str(b, PC_T_SPF_DOMAIN, "example.org");
    pc_wbuf_str(b, PC_T_SPF_MATCHED, "include:_spf.example.net");
    pc_wbuf_str(b, PC_T_SPF_TERM_DOMAIN, "example.org");
    pc_wbuf_u32(b, PC_T_SPF_LOOKUPS, 2);
    pc_wbuf_u32(b, PC_T_SPF_VOID_LOOKUPS, 0);
    pc_wbuf_u8(b, PC_T_CACHE, PC_CACHE_HIT);
    pc_wbuf_u8(b, PC_T_DNSSEC, PC_DNSSEC_SECURE);
    pc_wbuf_u32(b, PC_T_TTL, 3600);
}

static void b_spf_check_rep_temperror(pc_wbuf_t *b)
{
    pc_wbuf_frame_begin(b, PC_MSG_SPF_CHECK | PC_MSG_REPLY, 0, 9);
    pc_wbuf_u8(b, PC_T_SPF_RESULT, PC_SPF_TEMPERROR);
    pc_wbuf_u8(b, PC_T_SPF_SCOPE, 2);
    pc_wbuf_str(b, PC_T_SPF_DOMAIN, "mx.example.org");
    pc_wbuf_u32(b, PC_T_SPF_LOOKUPS, 1);
    pc_wbuf_u32(b, PC_T_SPF_VOID_LOOKUPS, 0);
    pc_wbuf_str(b, PC_T_WHY, "'a:relay.example.net' in the SPF record of mx.example.org: "
                "DNS failure: upstream timeout");
    pc_wbuf_u8(b, PC_T_CACHE, PC_CACHE_MISS);
    pc_wbuf_u8(b, PC_T_DNSSEC, PC_DNSSEC_SECURE);
    pc_wbuf_u32(b, PC_T_TTL, 0);
}

static void b_spf_check_rep_explained(pc_wbuf_t *b)
{
    pc_wbuf_frame_begin(b, PC_MSG_SPF_CHECK | PC_MSG_REPLY, 0, 10);
    pc_wbuf_u8(b, PC_T_SPF_RESULT, PC_SPF_FAIL);
    pc_wbuf_u8(b, PC_T_SPF_SCOPE, 1);
    pc_wbuf_str(b, PC_T_SPF_DOMAIN, "example.org");
    pc_wbuf_str(b, PC_T_SPF_MATCHED, "-all");
    pc_wbuf_str(b, PC_T_SPF_TERM_DOMAIN, "example.org");
    pc_wbuf_u32(b, PC_T_SPF_LOOKUPS, 1);
    pc_wbuf_u32(b, PC_T_SPF_VOID_LOOKUPS, 0);
    pc_wbuf_u8(b, PC_T_CACHE, PC_CACHE_MISS);
    pc_wbuf_u8(b, PC_T_DNSSEC, PC_DNSSEC_SECURE);
    pc_wbuf_str(b, PC_T_SPF_EXPLANATION, "192.0.2.9 may not send mail for example.org");
    pc_wbuf_str(b, PC_T_AUTH_RESULTS, "spf=fail (mx.example.net: domain of user@example.org "
                "does not designate 192.0.2.9 as permitted sender) smtp.mailfrom=example.org");
    pc_wbuf_str(b, PC_T_RECEIVED_SPF, "fail (mx.example.net: domain of user@example.org does "
                "not designate 192.0.2.9 as permitted sender) receiver=mx.example.net; "
                "client-ip=192.0.2.9; envelope-from=\"user@example.org\"; helo=mx.example.org; "
                "identity=mailfrom; mechanism=-all");
    pc_wbuf_u32(b, PC_T_TTL, 300);
}

static void b_dmarc_eval_req(pc_wbuf_t *b)
{
    pc_wbuf_frame_begin(b, PC_MSG_DMARC_EVAL, 0, 9);
    pc_wbuf_str(b, PC_T_DOMAIN, "example.org");
    pc_wbuf_u8(b, PC_T_SPF_RESULT, PC_SPF_PASS);
    pc_wbuf_str(b, PC_T_SPF_DOMAIN, "bounce.example.org");
    pc_wbuf_u8(b, PC_T_SPF_SCOPE, 1);
    pc_wbuf_nest_begin(b, PC_T_DKIM);
    pc_wbuf_str(b, PC_T_DKIM_D, "example.org");
    pc_wbuf_str(b, PC_T_DKIM_S, "sel");
    pc_wbuf_u8(b, PC_T_DKIM_RESULT, PC_DKIM_PASS);
    pc_wbuf_nest_end(b);
}

static void b_flush_all(pc_wbuf_t *b)
{
    pc_wbuf_frame_begin(b, PC_MSG_FLUSH, 0, 10);
    pc_wbuf_u8(b, PC_T_ALL, 1);
}

static void b_dump_req(pc_wbuf_t *b)
{
    pc_wbuf_frame_begin(b, PC_MSG_DUMP, 0, 11);
    pc_wbuf_u8(b, PC_T_RTYPE, PC_RT_DMARC);
    pc_wbuf_str(b, PC_T_SUFFIX, "example.org");
    pc_wbuf_u32(b, PC_T_LIMIT, 10);
}

static void b_cancel_req(pc_wbuf_t *b)
{
    pc_wbuf_frame_begin(b, PC_MSG_CANCEL, 0, 12);
    pc_wbuf_u32(b, PC_T_TARGET_ID, 0x2a);
}

static void b_stats_rep(pc_wbuf_t *b)
{
    pc_wbuf_frame_begin(b, PC_MSG_STATS | PC_MSG_REPLY, 0, 13);
    pc_wbuf_nest_begin(b, PC_T_STAT);
    pc_wbuf_str(b, PC_T_STAT_NAME, "cache.hits");
    pc_wbuf_u64(b, PC_T_STAT_VALUE, 1000);
    pc_wbuf_nest_end(b);
}

static void b_error_rep(pc_wbuf_t *b)
{
    pc_wbuf_frame_begin(b, PC_MSG_ERROR_REPLY, 0, 8);
    pc_wbuf_i32(b, PC_T_ERROR_CODE, PC_ENOTIMPL);
    pc_wbuf_str(b, PC_T_MESSAGE, "not implemented");
}

struct golden {
    const char *name;
    builder_fn build; /* NULL: decode-only vector */
    int decode_rc;    /* expected pc_msg_decode result */
    uint16_t skipped; /* expected skipped unknown TLVs */
    int critical;     /* carries a critical bit: re-encoding drops it */
};

static const struct golden goldens[] = {
    {"ping-request", b_ping_req, 0, 0, 0},
    {"ping-reply", b_ping_rep, 0, 0, 0},
    {"dmarc-request", b_dmarc_req, 0, 0, 0},
    {"dmarc-reply", b_dmarc_rep, 0, 0, 0},
    {"dmarc-discover-request", b_dmarc_discover, 0, 0, 1},
    {"dkim-request-nocache", b_dkim_req, 0, 0, 0},
    {"spf-check-request", b_spf_check_req, 0, 0, 0},
    {"spf-check-reply", b_spf_check_rep, 0, 0, 0},
    {"spf-check-reply-temperror", b_spf_check_rep_temperror, 0, 0, 0},
    {"spf-check-reply-explained", b_spf_check_rep_explained, 0, 0, 0},
    {"dmarc-eval-request", b_dmarc_eval_req, 0, 0, 0},
    {"flush-all-request", b_flush_all, 0, 0, 0},
    {"dump-request", b_dump_req, 0, 0, 0},
    {"cancel-request", b_cancel_req, 0, 0, 0},
    {"stats-reply", b_stats_rep, 0, 0, 0},
    {"error-reply", b_error_rep, 0, 0, 0},
    {"dmarc-request-unknown-optional", NULL, 0, 1, 0},
    {"dmarc-request-unknown-critical", NULL, PC_ECRITICAL, 0, 0},
    {"dmarc-request-truncated-tlv", NULL, PC_EMALFORMED, 0, 0},
    {"bad-version", NULL, PC_EVERSION, 0, 0},
};
#define NGOLDEN (sizeof(goldens) / sizeof(goldens[0]))

static const struct golden *find_golden(const char *name, size_t len)
{
    for (size_t i = 0; i < NGOLDEN; i++) {
        if (strlen(goldens[i].name) == len && memcmp(goldens[i].name, name, len) == 0)
            return &goldens[i];
    }
    return NULL;
}

static void print_hex(const char *name, const uint8_t *p, size_t n)
{
    printf("```hex golden=%s\n", name);
    for (size_t i = 0; i < n; i++)
        printf("%02x%s", p[i], (i % 16 == 15 || i + 1 == n) ? "\n" : " ");
    printf("```\n\n");
}

/* Re-encode a decoded message from its TLVs (nested values copied raw). */
static int reencode(const pc_msg_t *m, pc_wbuf_t *b)
{
    pc_wbuf_frame_begin(b, m->hdr.type, m->hdr.flags, m->hdr.id);
    for (uint16_t i = 0; i < m->ntlv; i++)
        pc_wbuf_bytes(b, m->tlv[i].type, m->tlv[i].val, m->tlv[i].len);
    return pc_wbuf_frame_end(b);
}

static void test_document_vectors(void **state)
{
    char path[4096];
    char *doc, *p;
    unsigned seen[NGOLDEN] = {0};
    unsigned checked = 0;
    int print = getenv("PC_GOLDEN_PRINT") != NULL;
    (void)state;

    if (print) {
        for (size_t i = 0; i < NGOLDEN; i++) {
            pc_wbuf_t b;
            if (goldens[i].build == NULL)
                continue;
            pc_wbuf_init(&b, 0);
            goldens[i].build(&b);
            assert_int_equal(pc_wbuf_frame_end(&b), 0);
            print_hex(goldens[i].name, b.data, b.len);
            pc_wbuf_free(&b);
        }
    }

    snprintf(path, sizeof(path), "%s/docs/PROTOCOL.md", pc_test_source_dir());
    doc = pc_test_read_file(path, NULL);
    assert_non_null(doc);
    for (p = doc; (p = strstr(p, "```hex golden=")) != NULL;) {
        const char *name = p + strlen("```hex golden=");
        size_t nlen = strcspn(name, "\n");
        const char *body = name + nlen + 1;
        const char *end = strstr(body, "```");
        const struct golden *g = find_golden(name, nlen);
        uint8_t bytes[4096];
        char hex[16384];
        long n;
        pc_msg_t *m;
        int rc;

        assert_non_null(end);
        if (g == NULL) {
            fail_msg("document vector %.*s has no row in test_golden.c", (int)nlen, name);
            free(doc);
            return;
        }
        assert_true((size_t)(end - body) < sizeof(hex));
        memcpy(hex, body, (size_t)(end - body));
        hex[end - body] = '\0';
        n = pc_test_unhex(hex, bytes, sizeof(bytes));
        assert_true(n >= 0);
        seen[g - goldens]++;

        m = malloc(sizeof(*m));
        assert_non_null(m);
        rc = pc_msg_decode(bytes, (size_t)n, m);
        if (rc != g->decode_rc)
            fail_msg("%s: decode gave %s, expected %s", g->name, pc_err_name(rc),
                     pc_err_name(g->decode_rc));
        if (rc == 0)
            assert_int_equal(m->skipped, g->skipped);
        if (g->build != NULL) {
            pc_wbuf_t b, r;
            pc_wbuf_init(&b, 0);
            g->build(&b);
            assert_int_equal(pc_wbuf_frame_end(&b), 0);
            if (b.len != (size_t)n || memcmp(b.data, bytes, b.len) != 0) {
                print_hex(g->name, b.data, b.len);
                fail_msg("%s: encoder output differs from docs/PROTOCOL.md", g->name);
            }
            pc_wbuf_init(&r, 0);
            assert_int_equal(reencode(m, &r), 0);
            assert_int_equal(r.len, (size_t)n);
            if (!g->critical)
                assert_memory_equal(r.data, bytes, r.len);
            pc_wbuf_free(&r);
            pc_wbuf_free(&b);
        }
        free(m);
        checked++;
        p = doc + (end - doc) + 3;
    }
    for (size_t i = 0; i < NGOLDEN; i++) {
        if (seen[i] != 1)
            fail_msg("vector %s appears %u times in docs/PROTOCOL.md", goldens[i].name, seen[i]);
    }
    printf("golden vectors: %u checked from docs/PROTOCOL.md\n", checked);
    free(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_document_vectors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
