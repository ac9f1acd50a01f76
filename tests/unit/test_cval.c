/*
 * test_cval.c - unit tests of the cache-value codec (proto/cval.c): round
 * trips, every kind of corruption (header fields with and without a CRC
 * that matches them, damage anywhere the CRC covers), bodies refused when
 * written, and the freshness rules including a clock stepped back before
 * the fetch.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cval.h"
#include "polcache/error.h"
#include "polcache/types.h"
#include "wire.h"

/* Append one TLV (type with or without the critical bit) to buf at *off. */
static void tlv(uint8_t *buf, size_t *off, uint16_t type, const void *val, size_t len)
{
    buf[*off] = (uint8_t)(type >> 8);
    buf[*off + 1] = (uint8_t)type;
    buf[*off + 2] = (uint8_t)(len >> 8);
    buf[*off + 3] = (uint8_t)len;
    if (len > 0)
        memcpy(buf + *off + 4, val, len);
    *off += 4 + len;
}

/* A typical SPF value: RAW text and a warning. */
static size_t spf_body(uint8_t *buf)
{
    size_t off = 0;
    tlv(buf, &off, PC_T_RAW, "v=spf1 -all", 11);
    tlv(buf, &off, PC_T_WARNING, "w1: a warning", 13);
    return off;
}

static pc_cval_t value(const uint8_t *body, uint32_t body_len)
{
    pc_cval_t v;
    memset(&v, 0, sizeof(v));
    v.rtype = PC_RT_SPF;
    v.outcome = PC_OUTCOME_FOUND;
    v.dnssec = PC_DNSSEC_SECURE;
    v.fetched = 1700000000u;
    v.ttl = 300;
    v.expires = v.fetched + v.ttl;
    v.stamp = 42;
    v.body = body;
    v.body_len = body_len;
    return v;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Give a changed value of n octets the CRC that matches it again. */
static void reseal(uint8_t *buf, size_t n)
{
    put32(buf + 36, pc_cval_crc(buf, n));
}

/* Encode v into out (which must be big enough); returns the length. */
static size_t enc(const pc_cval_t *v, uint8_t *out, size_t cap)
{
    int n = pc_cval_encode(v, out, cap);
    assert_true(n > 0);
    assert_int_equal((size_t)n, pc_cval_size(v));
    return (size_t)n;
}

static void test_round_trip(void **state)
{
    uint8_t body[128], buf[256];
    pc_cval_t v, w;
    size_t n;
    (void)state;

    v = value(body, (uint32_t)spf_body(body));
    n = enc(&v, buf, sizeof(buf));
    assert_int_equal(n, PC_CVAL_HDR_LEN + v.body_len);
    assert_int_equal(buf[0], PC_CVAL_VERSION);
    assert_int_equal(pc_cval_decode(buf, n, &w), 0);
    assert_int_equal(w.rtype, v.rtype);
    assert_int_equal(w.outcome, v.outcome);
    assert_int_equal(w.dnssec, v.dnssec);
    assert_int_equal(w.flags, 0);
    assert_int_equal(w.fetched, v.fetched);
    assert_int_equal(w.expires, v.expires);
    assert_int_equal(w.ttl, v.ttl);
    assert_int_equal(w.stamp, v.stamp);
    assert_int_equal(w.body_len, v.body_len);
    assert_ptr_equal(w.body, buf + PC_CVAL_HDR_LEN);
    assert_memory_equal(w.body, body, v.body_len);

    /* empty body, every outcome and DNSSEC state, big times */
    for (uint8_t o = 1; o <= PC_OUTCOME_MAX_; o++) {
        for (uint8_t s = 0; s <= PC_DNSSEC_MAX_; s++) {
            v = value(NULL, 0);
            v.outcome = o;
            v.dnssec = s;
            v.rtype = (uint8_t)(1 + (o + s) % PC_RT_MAX_);
            v.fetched = UINT64_MAX - 1000;
            v.ttl = 1000;
            v.expires = UINT64_MAX;
            n = enc(&v, buf, sizeof(buf));
            assert_int_equal(n, PC_CVAL_HDR_LEN);
            assert_int_equal(pc_cval_decode(buf, n, &w), 0);
            assert_int_equal(w.outcome, o);
            assert_int_equal(w.dnssec, s);
            assert_int_equal(w.expires, UINT64_MAX);
        }
    }

    /* the access stamp is rewritten in place and the value stays valid */
    v = value(body, (uint32_t)spf_body(body));
    n = enc(&v, buf, sizeof(buf));
    pc_cval_set_stamp(buf, n, 0xdeadbeef);
    assert_int_equal(pc_cval_decode(buf, n, &w), 0);
    assert_int_equal(w.stamp, 0xdeadbeef);
    pc_cval_set_stamp(NULL, n, 1);          /* no-ops */
    pc_cval_set_stamp(buf, 10, 1);
    assert_int_equal(pc_cval_decode(buf, n, &w), 0);
    assert_int_equal(w.stamp, 0xdeadbeef);
    {
        uint32_t st = 0;
        assert_int_equal(pc_cval_get_stamp(buf, n, &st), 0);
        assert_int_equal(st, 0xdeadbeef);
        assert_int_equal(pc_cval_get_stamp(buf, PC_CVAL_HDR_LEN - 1, &st), PC_ECORRUPT);
        assert_int_equal(pc_cval_get_stamp(NULL, n, &st), PC_EINVAL);
        assert_int_equal(pc_cval_get_stamp(buf, n, NULL), PC_EINVAL);
        buf[0] = PC_CVAL_VERSION - 1;
        assert_int_equal(pc_cval_get_stamp(buf, n, &st), PC_ECORRUPT);
        pc_cval_set_stamp(buf, n, 7); /* another version: left alone */
        buf[0] = PC_CVAL_VERSION;
        assert_int_equal(pc_cval_get_stamp(buf, n, &st), 0);
        assert_int_equal(st, 0xdeadbeef);
    }
}

static void test_encode_rejects(void **state)
{
    uint8_t body[128], buf[256];
    pc_cval_t v;
    size_t blen = spf_body(body);
    (void)state;

    v = value(body, (uint32_t)blen);
    assert_int_equal(pc_cval_encode(NULL, buf, sizeof(buf)), PC_EINVAL);
    assert_int_equal(pc_cval_encode(&v, NULL, sizeof(buf)), PC_EINVAL);
    assert_int_equal(pc_cval_encode(&v, buf, PC_CVAL_HDR_LEN + blen - 1), PC_ETOOBIG);
    v.expires++;
    assert_int_equal(pc_cval_encode(&v, buf, sizeof(buf)), PC_EINVAL);
    v = value(body, (uint32_t)blen);
    v.rtype = 0;
    assert_int_equal(pc_cval_encode(&v, buf, sizeof(buf)), PC_EINVAL);
    v = value(body, (uint32_t)blen);
    v.outcome = PC_OUTCOME_MAX_ + 1;
    assert_int_equal(pc_cval_encode(&v, buf, sizeof(buf)), PC_EINVAL);
    v = value(body, (uint32_t)blen);
    v.flags = 1;
    assert_int_equal(pc_cval_encode(&v, buf, sizeof(buf)), PC_EINVAL);
    v = value(NULL, 5);
    assert_int_equal(pc_cval_encode(&v, buf, sizeof(buf)), PC_EINVAL);
    v = value(body, PC_CVAL_MAX_BODY + 1);
    assert_int_equal(pc_cval_encode(&v, buf, sizeof(buf)), PC_EINVAL);
}

/* Encode a valid value, apply one change, expect PC_ECORRUPT: first
 * because the CRC no longer matches, then, with a CRC that matches the
 * change, from the field checks themselves. */
static void expect_corrupt(size_t at, uint8_t octet)
{
    uint8_t body[128], buf[256];
    pc_cval_t v, w;
    size_t n;

    v = value(body, (uint32_t)spf_body(body));
    n = enc(&v, buf, sizeof(buf));
    assert_true(buf[at] != octet);
    buf[at] = octet;
    assert_int_equal(pc_cval_decode(buf, n, &w), PC_ECORRUPT);
    reseal(buf, n);
    assert_int_equal(pc_cval_decode(buf, n, &w), PC_ECORRUPT);
}

static void test_decode_corrupt_header(void **state)
{
    uint8_t body[128], buf[256];
    pc_cval_t v, w;
    size_t n;
    (void)state;

    expect_corrupt(0, 0);                      /* version 0 */
    expect_corrupt(0, PC_CVAL_VERSION + 1);    /* a future version */
    expect_corrupt(1, 0);                      /* rtype 0 */
    expect_corrupt(1, PC_RT_MAX_ + 1);
    expect_corrupt(2, 0);                      /* outcome unset */
    expect_corrupt(2, PC_OUTCOME_MAX_ + 1);
    expect_corrupt(3, PC_DNSSEC_MAX_ + 1);
    expect_corrupt(7, 1);                      /* reserved flags */
    expect_corrupt(23, 0x2d);                  /* expires != fetched + ttl */
    expect_corrupt(27, 0x2d);                  /* ttl changed alone */
    expect_corrupt(15, 0x01);                  /* fetched changed alone */
    expect_corrupt(31, 0x00);                  /* body_len != rest */

    v = value(body, (uint32_t)spf_body(body));
    n = enc(&v, buf, sizeof(buf));
    assert_int_equal(pc_cval_decode(buf, n - 1, &w), PC_ECORRUPT);  /* short */
    buf[n] = 0;
    assert_int_equal(pc_cval_decode(buf, n + 1, &w), PC_ECORRUPT);  /* long */
    for (size_t i = 0; i < PC_CVAL_HDR_LEN; i++)
        assert_int_equal(pc_cval_decode(buf, i, &w), PC_ECORRUPT);
    assert_int_equal(pc_cval_decode(NULL, n, &w), PC_EINVAL);
    assert_int_equal(pc_cval_decode(buf, n, NULL), PC_EINVAL);

    /* expires before fetched, and a body_len over the maximum */
    v = value(NULL, 0);
    n = enc(&v, buf, sizeof(buf));
    memset(buf + 16, 0, 8);
    memset(buf + 24, 0, 4);
    reseal(buf, n);
    assert_int_equal(pc_cval_decode(buf, n, &w), PC_ECORRUPT);
    v = value(NULL, 0);
    n = enc(&v, buf, sizeof(buf));
    buf[28] = 0xff;
    reseal(buf, n);
    assert_int_equal(pc_cval_decode(buf, n, &w), PC_ECORRUPT);
}

/* Any change the CRC covers (every octet but the stamp) is caught. */
static void test_decode_crc(void **state)
{
    uint8_t body[128], buf[256];
    pc_cval_t v, w;
    size_t n;
    (void)state;

    v = value(body, (uint32_t)spf_body(body));
    n = enc(&v, buf, sizeof(buf));
    assert_int_equal(pc_cval_crc(buf, n), (uint32_t)buf[36] << 24 | (uint32_t)buf[37] << 16 |
                                              (uint32_t)buf[38] << 8 | buf[39]);
    assert_int_equal(pc_cval_crc(buf, PC_CVAL_HDR_LEN - 1), 0);
    assert_int_equal(pc_cval_crc(NULL, n), 0);
    for (size_t i = 0; i < n; i++) {
        for (unsigned bit = 0; bit < 8; bit++) {
            buf[i] ^= (uint8_t)(1u << bit);
            if (i >= 32 && i < 36)
                assert_int_equal(pc_cval_decode(buf, n, &w), 0); /* the stamp */
            else
                assert_int_equal(pc_cval_decode(buf, n, &w), PC_ECORRUPT);
            buf[i] ^= (uint8_t)(1u << bit);
        }
    }
    assert_int_equal(pc_cval_decode(buf, n, &w), 0);
    /* a body octet changed and the CRC recomputed by the writer of the
     * damage: accepted (the CRC is no security boundary, see cval.h) */
    buf[PC_CVAL_HDR_LEN + 4] ^= 0x01;
    assert_int_equal(pc_cval_decode(buf, n, &w), PC_ECORRUPT);
    reseal(buf, n);
    assert_int_equal(pc_cval_decode(buf, n, &w), 0);
}

/* A body of the given octets is refused when written (the full check),
 * and a stored value whose body became these octets is refused when read
 * (the CRC). */
static void expect_bad_body(const uint8_t *b, size_t len)
{
    uint8_t buf[512], good[512];
    pc_cval_t v = value(b, (uint32_t)len), w;
    size_t n;

    assert_int_equal(pc_cval_encode(&v, buf, sizeof(buf)), PC_EINVAL);
    if (len < 4)
        return; /* no valid body is this short */
    /* a valid value of the same length, then damaged into this one */
    assert_true(len <= sizeof(good));
    memset(good, 'x', len); /* one RAW TLV of 'x's */
    good[0] = (uint8_t)(PC_T_RAW >> 8);
    good[1] = (uint8_t)PC_T_RAW;
    good[2] = (uint8_t)((len - 4) >> 8);
    good[3] = (uint8_t)(len - 4);
    v = value(good, (uint32_t)len);
    n = enc(&v, buf, sizeof(buf));
    memcpy(buf + PC_CVAL_HDR_LEN, b, len);
    assert_int_equal(pc_cval_decode(buf, n, &w), PC_ECORRUPT);
}

static void test_decode_bad_body(void **state)
{
    uint8_t b[256];
    size_t off;
    (void)state;

    off = 0; /* a TLV that overruns the body */
    tlv(b, &off, PC_T_RAW, "abc", 3);
    expect_bad_body(b, off - 1);
    expect_bad_body(b, 3);                              /* half a TLV header */
    {   /* half a TLV header after a good TLV */
        size_t good = 0;
        tlv(b, &good, PC_T_RAW, "a", 1);
        expect_bad_body(b, good + 3);
    }
    off = 0; /* RAW twice */
    tlv(b, &off, PC_T_RAW, "a", 1);
    tlv(b, &off, PC_T_RAW, "b", 1);
    expect_bad_body(b, off);
    off = 0; /* a control character in a text field */
    tlv(b, &off, PC_T_WARNING, "bad\x01", 4);
    expect_bad_body(b, off);
    off = 0; /* invalid UTF-8 in a text field */
    tlv(b, &off, PC_T_WHY, "\xc3(", 2);
    expect_bad_body(b, off);
    off = 0; /* an unknown critical TLV */
    tlv(b, &off, 0x8000u | 999u, "x", 1);
    expect_bad_body(b, off);
    off = 0; /* a FIELD without its required name */
    {
        uint8_t inner[16];
        size_t ioff = 0;
        tlv(inner, &ioff, PC_T_FIELD_VALUE, "v", 1);
        tlv(b, &off, PC_T_FIELD, inner, ioff);
    }
    expect_bad_body(b, off);

    /* and good bodies of each kind pass */
    {
        uint8_t buf[512], inner[32];
        size_t ioff = 0;
        pc_cval_t v, w;
        off = 0;
        tlv(inner, &ioff, PC_T_FIELD_NAME, "p", 1);
        tlv(inner, &ioff, PC_T_FIELD_VALUE, "reject", 6);
        tlv(b, &off, PC_T_RAW, "v=DMARC1; p=reject", 18);
        tlv(b, &off, PC_T_FIELD, inner, ioff);
        tlv(b, &off, PC_T_WHY, "because", 7);
        tlv(b, &off, PC_T_QNAME, "_dmarc.example.org", 18);
        tlv(b, &off, PC_T_RDATA, "\x7f\x00\x00\x01", 4);
        tlv(b, &off, 999u, "unknown, not critical", 21);
        v = value(b, (uint32_t)off);
        v.rtype = PC_RT_DMARC;
        assert_int_equal(pc_cval_decode(buf, enc(&v, buf, sizeof(buf)), &w), 0);
    }
}

static void test_freshness(void **state)
{
    pc_cval_t v = value(NULL, 0);
    uint64_t f = v.fetched;
    (void)state;

    assert_int_equal(pc_cval_age_at(&v, f), PC_CVAL_FRESH);
    assert_int_equal(pc_cval_age_at(&v, f + 299), PC_CVAL_FRESH);
    assert_int_equal(pc_cval_age_at(&v, f + 300), PC_CVAL_EXPIRED);
    assert_int_equal(pc_cval_age_at(&v, UINT64_MAX), PC_CVAL_EXPIRED);
    /* a clock stepped back before the fetch: expired, never extended */
    assert_int_equal(pc_cval_age_at(&v, f - 1), PC_CVAL_EXPIRED);
    assert_int_equal(pc_cval_age_at(&v, 0), PC_CVAL_EXPIRED);
    assert_int_equal(pc_cval_ttl_left(&v, f - 1), 0);
    assert_int_equal(pc_cval_ttl_left(&v, 0), 0);
    assert_int_equal(pc_cval_age_secs(&v, f - 1), 0);

    assert_int_equal(pc_cval_ttl_left(&v, f), 300);
    assert_int_equal(pc_cval_ttl_left(&v, f + 100), 200);
    assert_int_equal(pc_cval_ttl_left(&v, f + 299), 1);
    assert_int_equal(pc_cval_ttl_left(&v, f + 300), 0);
    assert_int_equal(pc_cval_ttl_left(&v, f + 100000), 0);
    assert_int_equal(pc_cval_age_secs(&v, f), 0);
    assert_int_equal(pc_cval_age_secs(&v, f + 100), 100);
    assert_int_equal(pc_cval_age_secs(&v, f + 100000), 100000);
    assert_int_equal(pc_cval_age_secs(&v, UINT64_MAX), UINT32_MAX);

    /* a zero TTL is never fresh */
    v.ttl = 0;
    v.expires = v.fetched;
    assert_int_equal(pc_cval_age_at(&v, f), PC_CVAL_EXPIRED);
    assert_int_equal(pc_cval_ttl_left(&v, f), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_encode_rejects),
        cmocka_unit_test(test_decode_corrupt_header),
        cmocka_unit_test(test_decode_crc),
        cmocka_unit_test(test_decode_bad_body),
        cmocka_unit_test(test_freshness),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
