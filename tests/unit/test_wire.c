/*
 * test_wire.c - unit tests of the frame codec (proto/wire.c) and the error
 * table (proto/error.c): every decoder rejection path, the encoder's limits
 * and sanitising, and batching of several frames in one buffer.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "polcache/error.h"
#include "polcache/types.h"
#include "wire.h"

static pc_msg_t msg;

/* Build a frame from a type and a raw body. */
static size_t frame(uint8_t *out, uint8_t type, uint16_t flags, const uint8_t *body,
                    size_t blen)
{
    pc_hdr_t h = {PC_WIRE_VERSION, type, flags, 77, (uint32_t)blen};
    pc_hdr_encode(&h, out);
    if (blen > 0)
        memcpy(out + PC_WIRE_HDR_LEN, body, blen);
    return PC_WIRE_HDR_LEN + blen;
}

static size_t tlv(uint8_t *out, uint16_t type, const void *v, uint16_t len)
{
    out[0] = (uint8_t)(type >> 8);
    out[1] = (uint8_t)type;
    out[2] = (uint8_t)(len >> 8);
    out[3] = (uint8_t)len;
    memcpy(out + 4, v, len);
    return 4u + len;
}

static int decode_body(uint8_t type, const uint8_t *body, size_t blen)
{
    static uint8_t buf[PC_WIRE_MAX_FRAME];
    size_t n = frame(buf, type, 0, body, blen);
    return pc_msg_decode(buf, n, &msg);
}

static void test_header_errors(void **state)
{
    uint8_t b[32];
    pc_hdr_t h;
    (void)state;

    frame(b, PC_MSG_PING, 0, NULL, 0);
    assert_int_equal(pc_hdr_decode(b, 15, &h), PC_ETRUNC);
    assert_int_equal(pc_hdr_decode(b, 16, &h), 0);
    assert_int_equal(h.id, 77);
    assert_int_equal(pc_hdr_decode(NULL, 16, &h), PC_EINVAL);
    b[0] = 'X';
    assert_int_equal(pc_hdr_decode(b, 16, &h), PC_EMAGIC);
    frame(b, PC_MSG_PING, 0, NULL, 0);
    b[2] = 2;
    assert_int_equal(pc_hdr_decode(b, 16, &h), PC_EVERSION);
    frame(b, 0x33, 0, NULL, 0);
    assert_int_equal(pc_hdr_decode(b, 16, &h), PC_EMSGTYPE);
    assert_int_equal(h.id, 77); /* id still usable for the error reply */
    frame(b, PC_MSG_PING, 0x0100, NULL, 0);
    assert_int_equal(pc_hdr_decode(b, 16, &h), PC_EFLAGS);
    frame(b, PC_MSG_PING, 0, NULL, 0);
    b[7] = 1;
    assert_int_equal(pc_hdr_decode(b, 16, &h), PC_EMALFORMED);
    frame(b, PC_MSG_PING, 0, NULL, 0);
    b[12] = 0x01; /* 16 MiB body */
    assert_int_equal(pc_hdr_decode(b, 16, &h), PC_ETOOBIG);
    /* the reply-only error type is not a request but decodes as a frame */
    frame(b, PC_MSG_ERROR, 0, NULL, 0);
    assert_int_equal(pc_hdr_decode(b, 16, &h), PC_EMSGTYPE);
}

static void test_body_length_mismatch(void **state)
{
    uint8_t b[64], body[32];
    size_t bl = tlv(body, PC_T_DOMAIN, "a.org", 5);
    size_t n = frame(b, PC_MSG_DMARC, 0, body, bl);
    (void)state;

    assert_int_equal(pc_msg_decode(b, n, &msg), 0);
    assert_int_equal(pc_msg_decode(b, n - 1, &msg), PC_ETRUNC);
    b[n] = 0;
    assert_int_equal(pc_msg_decode(b, n + 1, &msg), PC_EMALFORMED);
}

static void test_tlv_overrun_and_short_header(void **state)
{
    uint8_t body[16];
    (void)state;

    tlv(body, PC_T_DOMAIN, "abc", 3);
    body[3] = 4; /* claims 4, has 3 */
    assert_int_equal(decode_body(PC_MSG_DMARC, body, 7), PC_EMALFORMED);
    assert_int_equal(decode_body(PC_MSG_DMARC, body, 3), PC_EMALFORMED);
}

static void test_required_dup_unknown(void **state)
{
    uint8_t body[128];
    size_t n = 0;
    (void)state;

    assert_int_equal(decode_body(PC_MSG_DMARC, body, 0), PC_EMISSING);
    n = tlv(body, PC_T_DOMAIN, "a.org", 5);
    n += tlv(body + n, PC_T_DOMAIN, "b.org", 5);
    assert_int_equal(decode_body(PC_MSG_DMARC, body, n), PC_EDUP);
    n = tlv(body, 0x0200, "x", 1);
    n += tlv(body + n, PC_T_DOMAIN, "a.org", 5);
    n += tlv(body + n, 0x0201, "", 0);
    assert_int_equal(decode_body(PC_MSG_DMARC, body, n), 0);
    assert_int_equal(msg.skipped, 2);
    assert_int_equal(msg.ntlv, 1);
    n = tlv(body, 0x8200, "x", 1);
    n += tlv(body + n, PC_T_DOMAIN, "a.org", 5);
    assert_int_equal(decode_body(PC_MSG_DMARC, body, n), PC_ECRITICAL);
    /* the critical bit on a known field is fine */
    n = tlv(body, PC_T_DOMAIN | PC_TLV_CRITICAL, "a.org", 5);
    assert_int_equal(decode_body(PC_MSG_DMARC, body, n), 0);
    assert_int_equal(pc_msg_find(&msg, PC_T_DOMAIN)->len, 5);
    /* a field of another message is unknown here */
    n = tlv(body, PC_T_DOMAIN, "a.org", 5);
    n += tlv(body + n, PC_T_TARGET_ID | PC_TLV_CRITICAL, "\0\0\0\1", 4);
    assert_int_equal(decode_body(PC_MSG_DMARC, body, n), PC_ECRITICAL);
}

static void test_value_classes(void **state)
{
    uint8_t body[4096];
    uint8_t big[2000];
    size_t n;
    (void)state;

    n = tlv(body, PC_T_DOMAIN, "a\0b", 3);
    assert_int_equal(decode_body(PC_MSG_DMARC, body, n), PC_EBADSTR);
    n = tlv(body, PC_T_DOMAIN, "", 0);
    assert_int_equal(decode_body(PC_MSG_DMARC, body, n), PC_EMALFORMED);
    memset(big, 'a', sizeof(big));
    n = tlv(body, PC_T_DOMAIN, big, PC_TEXT_MAX + 1);
    assert_int_equal(decode_body(PC_MSG_DMARC, body, n), PC_ETOOBIG);
    /* u8 out of range */
    n = tlv(body, PC_T_ALL, "\2", 1);
    assert_int_equal(decode_body(PC_MSG_FLUSH, body, n), PC_EMALFORMED);
    /* u8 of wrong width */
    n = tlv(body, PC_T_ALL, "\1\1", 2);
    assert_int_equal(decode_body(PC_MSG_FLUSH, body, n), PC_ETOOBIG);
    /* text with a control character and invalid UTF-8 */
    n = tlv(body, PC_T_CLIENT_IP, "\1\2\3\4", 4);
    n += tlv(body + n, PC_T_MAILFROM, "a\nb", 3);
    assert_int_equal(decode_body(PC_MSG_SPF_CHECK, body, n), PC_EBADSTR);
    n = tlv(body, PC_T_CLIENT_IP, "\1\2\3\4", 4);
    n += tlv(body + n, PC_T_MAILFROM, "\xc3\x28", 2);
    assert_int_equal(decode_body(PC_MSG_SPF_CHECK, body, n), PC_EBADSTR);
    n = tlv(body, PC_T_CLIENT_IP, "\1\2\3\4", 4);
    n += tlv(body + n, PC_T_MAILFROM, "j\xc3\xb6rg@example.org", 17);
    assert_int_equal(decode_body(PC_MSG_SPF_CHECK, body, n), 0);
    /* IP of 5 octets */
    n = tlv(body, PC_T_CLIENT_IP, "\1\2\3\4\5", 5);
    n += tlv(body + n, PC_T_HELO, "h", 1);
    assert_int_equal(decode_body(PC_MSG_SPF_CHECK, body, n), PC_EMALFORMED);
    /* SPF check needs MAILFROM or HELO */
    n = tlv(body, PC_T_CLIENT_IP, "\1\2\3\4", 4);
    assert_int_equal(decode_body(PC_MSG_SPF_CHECK, body, n), PC_EMISSING);
}

static void test_cross_field_rules(void **state)
{
    uint8_t body[256];
    size_t n;
    (void)state;

    assert_int_equal(decode_body(PC_MSG_FLUSH, body, 0), PC_EMISSING);
    n = tlv(body, PC_T_ALL, "\1", 1);
    n += tlv(body + n, PC_T_DOMAIN, "a.org", 5);
    assert_int_equal(decode_body(PC_MSG_FLUSH, body, n), PC_EINVAL);
    n = tlv(body, PC_T_LIMIT, "\0\0\0\0", 4);
    assert_int_equal(decode_body(PC_MSG_DUMP, body, n), PC_ETOOBIG);
    n = tlv(body, PC_T_LIMIT, "\0\0\1\1", 4);
    assert_int_equal(decode_body(PC_MSG_DUMP, body, n), PC_ETOOBIG);
    n = tlv(body, PC_T_LIMIT, "\0\0\1\0", 4);
    assert_int_equal(decode_body(PC_MSG_DUMP, body, n), 0);
    /* DMARC eval: SPF result without its domain */
    n = tlv(body, PC_T_DOMAIN, "a.org", 5);
    n += tlv(body + n, PC_T_SPF_RESULT, "\3", 1);
    assert_int_equal(decode_body(PC_MSG_DMARC_EVAL, body, n), PC_EMISSING);
    /* both a given result and the inputs */
    n += tlv(body + n, PC_T_SPF_DOMAIN, "a.org", 5);
    assert_int_equal(decode_body(PC_MSG_DMARC_EVAL, body, n), 0);
    n += tlv(body + n, PC_T_CLIENT_IP, "\1\2\3\4", 4);
    assert_int_equal(decode_body(PC_MSG_DMARC_EVAL, body, n), PC_EINVAL);
}

static void test_nested(void **state)
{
    uint8_t body[8192], inner[256];
    size_t n, in;
    (void)state;

    in = tlv(inner, PC_T_DKIM_D, "a.org", 5);
    in += tlv(inner + in, PC_T_DKIM_RESULT, "\2", 1);
    n = tlv(body, PC_T_DOMAIN, "a.org", 5);
    n += tlv(body + n, PC_T_SPF_RESULT, "\3", 1);
    n += tlv(body + n, PC_T_SPF_DOMAIN, "a.org", 5);
    for (int i = 0; i < PC_DKIM_MAX; i++)
        n += tlv(body + n, PC_T_DKIM, inner, (uint16_t)in);
    assert_int_equal(decode_body(PC_MSG_DMARC_EVAL, body, n), 0);
    {
        const pc_tlv_t *d = pc_msg_find(&msg, PC_T_DKIM);
        pc_tlv_t it;
        assert_non_null(d);
        assert_true(pc_tlv_find(d, PC_T_DKIM_RESULT, &it));
        assert_int_equal(pc_tlv_u8(&it), PC_DKIM_PASS);
    }
    n += tlv(body + n, PC_T_DKIM, inner, (uint16_t)in);
    assert_int_equal(decode_body(PC_MSG_DMARC_EVAL, body, n), PC_EDUP);
    /* nested missing its required result */
    in = tlv(inner, PC_T_DKIM_D, "a.org", 5);
    n = tlv(body, PC_T_DOMAIN, "a.org", 5);
    n += tlv(body + n, PC_T_SPF_RESULT, "\3", 1);
    n += tlv(body + n, PC_T_SPF_DOMAIN, "a.org", 5);
    n += tlv(body + n, PC_T_DKIM, inner, (uint16_t)in);
    assert_int_equal(decode_body(PC_MSG_DMARC_EVAL, body, n), PC_EMISSING);
    /* unknown critical inside a nested field */
    in = tlv(inner, PC_T_DKIM_D, "a.org", 5);
    in += tlv(inner + in, PC_T_DKIM_RESULT, "\2", 1);
    in += tlv(inner + in, 0x8123, "", 0);
    n = tlv(body, PC_T_DOMAIN, "a.org", 5);
    n += tlv(body + n, PC_T_SPF_RESULT, "\3", 1);
    n += tlv(body + n, PC_T_SPF_DOMAIN, "a.org", 5);
    n += tlv(body + n, PC_T_DKIM, inner, (uint16_t)in);
    assert_int_equal(decode_body(PC_MSG_DMARC_EVAL, body, n), PC_ECRITICAL);
}

static void test_too_many_known(void **state)
{
    /* 257 stats in a reply: over the repeat limit */
    pc_wbuf_t b;
    (void)state;

    pc_wbuf_init(&b, 0);
    pc_wbuf_frame_begin(&b, PC_MSG_STATS | PC_MSG_REPLY, 0, 1);
    for (int i = 0; i < 257; i++) {
        pc_wbuf_nest_begin(&b, PC_T_STAT);
        pc_wbuf_str(&b, PC_T_STAT_NAME, "x");
        pc_wbuf_u64(&b, PC_T_STAT_VALUE, (uint64_t)i);
        pc_wbuf_nest_end(&b);
    }
    assert_int_equal(pc_wbuf_frame_end(&b), 0);
    assert_int_equal(pc_msg_decode(b.data, b.len, &msg), PC_EDUP);
    pc_wbuf_free(&b);
}

static void test_encoder_limits_and_batching(void **state)
{
    pc_wbuf_t b;
    static char big[70000];
    size_t first;
    (void)state;

    pc_wbuf_init(&b, 4 * PC_WIRE_MAX_FRAME);
    pc_wbuf_frame_begin(&b, PC_MSG_PING | PC_MSG_REPLY, 0, 1);
    pc_wbuf_str(&b, PC_T_VERSION, "v");
    assert_int_equal(pc_wbuf_frame_end(&b), 0);
    first = b.len;
    /* a frame over the protocol limit fails and is removed */
    memset(big, 'a', sizeof(big) - 1);
    pc_wbuf_frame_begin(&b, PC_MSG_DMARC | PC_MSG_REPLY, 0, 2);
    pc_wbuf_u8(&b, PC_T_OUTCOME, PC_OUTCOME_FOUND);
    pc_wbuf_bytes(&b, PC_T_RAW, big, 60000);
    pc_wbuf_bytes(&b, PC_T_RAW, big, 10000);
    assert_int_equal(pc_wbuf_frame_end(&b), PC_ETOOBIG);
    assert_int_equal(b.len, first);
    pc_wbuf_frame_begin(&b, PC_MSG_DMARC | PC_MSG_REPLY, 0, 3);
    pc_wbuf_str(&b, PC_T_WARNING, big); /* over 65535 in one field */
    assert_int_equal(pc_wbuf_frame_end(&b), PC_ETOOBIG);
    assert_int_equal(b.len, first);
    /* unbalanced nesting */
    pc_wbuf_frame_begin(&b, PC_MSG_STATS | PC_MSG_REPLY, 0, 4);
    pc_wbuf_nest_begin(&b, PC_T_STAT);
    assert_int_equal(pc_wbuf_frame_end(&b), PC_EINVAL);
    assert_int_equal(b.len, first);
    /* a second good frame; both decode from the batch */
    pc_wbuf_frame_begin(&b, PC_MSG_ERROR_REPLY, 0, 5);
    pc_wbuf_i32(&b, PC_T_ERROR_CODE, PC_EBUSY);
    assert_int_equal(pc_wbuf_frame_end(&b), 0);
    assert_int_equal(pc_msg_decode(b.data, first, &msg), 0);
    assert_int_equal(pc_msg_decode(b.data + first, b.len - first, &msg), 0);
    assert_int_equal(pc_tlv_i32(pc_msg_find(&msg, PC_T_ERROR_CODE)), PC_EBUSY);
    pc_wbuf_consume(&b, first);
    assert_int_equal(pc_msg_decode(b.data, b.len, &msg), 0);
    pc_wbuf_free(&b);
}

static void test_encoder_sanitises_text(void **state)
{
    pc_wbuf_t b;
    char out[64];
    (void)state;

    pc_wbuf_init(&b, 0);
    pc_wbuf_frame_begin(&b, PC_MSG_ERROR_REPLY, 0, 1);
    pc_wbuf_i32(&b, PC_T_ERROR_CODE, PC_EINVAL);
    pc_wbuf_str(&b, PC_T_MESSAGE, "a\x01\xff\xc3\xa9\n\tz");
    assert_int_equal(pc_wbuf_frame_end(&b), 0);
    assert_int_equal(pc_msg_decode(b.data, b.len, &msg), 0);
    assert_int_equal(pc_tlv_copy_text(pc_msg_find(&msg, PC_T_MESSAGE), out, sizeof(out)), 8);
    assert_string_equal(out, "a??\xc3\xa9?\tz");
    assert_int_equal(pc_tlv_copy_text(pc_msg_find(&msg, PC_T_MESSAGE), out, 3), PC_ETOOBIG);
    assert_int_equal(pc_tlv_i32(pc_msg_find(&msg, PC_T_ERROR_CODE)), PC_EINVAL);
    pc_wbuf_free(&b);
    /* misuse */
    pc_wbuf_init(&b, 0);
    assert_int_equal(pc_wbuf_frame_end(&b), PC_EINVAL);
    pc_wbuf_u8(&b, PC_T_OUTCOME, 1);
    pc_wbuf_frame_begin(&b, PC_MSG_PING, 0, 1);
    assert_int_equal(pc_wbuf_frame_end(&b), 0);
    pc_wbuf_free(&b);
}

static void test_error_table(void **state)
{
    (void)state;
    assert_string_equal(pc_err_name(PC_EINVAL), "PC_EINVAL");
    assert_string_equal(pc_err_name(0), "PC_OK");
    assert_string_equal(pc_err_name(-9999), "PC_EUNKNOWN");
    assert_string_equal(pc_strerror(PC_ECRITICAL), "unknown critical field");
    assert_string_equal(pc_strerror(12345), "unknown error");
    for (int e = -1; e >= PC_ERR_MIN_; e--) {
        assert_string_not_equal(pc_err_name(e), "PC_EUNKNOWN");
        assert_string_not_equal(pc_strerror(e), "unknown error");
    }
    assert_int_equal(pc_err_from_errno(0), 0);
    assert_int_equal(pc_err_from_errno(ENOMEM), PC_ENOMEM);
    assert_int_equal(pc_err_from_errno(ECONNREFUSED), PC_EUNAVAIL);
    assert_int_equal(pc_err_from_errno(EXDEV), PC_EIO);
    assert_string_equal(pc_msg_type_name(PC_MSG_DMARC | PC_MSG_REPLY), "dmarc");
    assert_string_equal(pc_msg_type_name(PC_MSG_ERROR_REPLY), "error");
    assert_string_equal(pc_tlv_type_name(PC_T_DOMAIN | PC_TLV_CRITICAL), "domain");
    assert_string_equal(pc_tlv_type_name(999), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_errors),
        cmocka_unit_test(test_body_length_mismatch),
        cmocka_unit_test(test_tlv_overrun_and_short_header),
        cmocka_unit_test(test_required_dup_unknown),
        cmocka_unit_test(test_value_classes),
        cmocka_unit_test(test_cross_field_rules),
        cmocka_unit_test(test_nested),
        cmocka_unit_test(test_too_many_known),
        cmocka_unit_test(test_encoder_limits_and_batching),
        cmocka_unit_test(test_encoder_sanitises_text),
        cmocka_unit_test(test_error_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
