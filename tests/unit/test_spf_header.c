/*
 * test_spf_header.c - the header builders of proto/spf_header.c: the
 * Authentication-Results fragment (RFC 8601) and the Received-SPF value
 * (RFC 7208 §9.1) for every result and both identities, the null sender,
 * IPv6 clients, the quoting of values and comments, hostile input (control
 * octets, invalid UTF-8, quotes, parentheses, overlong values), and NULL
 * and invalid arguments.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "polcache/error.h"
#include "spf_header.h"

static pc_spf_hdr_in_t base(pc_spf_result_t r)
{
    pc_spf_hdr_in_t in;
    memset(&in, 0, sizeof(in));
    in.result = r;
    in.receiver = "mx.example.net";
    in.client_ip = "192.0.2.1";
    in.sender = "user@example.org";
    in.domain = "example.org";
    in.helo = "mail.example.org";
    return in;
}

static const char *ar(const pc_spf_hdr_in_t *in)
{
    static char buf[PC_SPF_AR_MAX];
    assert_int_equal(pc_spf_auth_results(in, buf, sizeof(buf)), 0);
    return buf;
}

static const char *rs(const pc_spf_hdr_in_t *in)
{
    static char buf[PC_SPF_RECEIVED_MAX];
    assert_int_equal(pc_spf_received_spf(in, buf, sizeof(buf)), 0);
    return buf;
}

static void test_every_result(void **state)
{
    pc_spf_hdr_in_t in;
    (void)state;

    in = base(PC_SPF_PASS);
    in.mechanism = "ip4:192.0.2.0/24";
    assert_string_equal(ar(&in), "spf=pass (mx.example.net: domain of user@example.org "
                        "designates 192.0.2.1 as permitted sender) smtp.mailfrom=example.org");
    assert_string_equal(rs(&in), "pass (mx.example.net: domain of user@example.org designates "
                        "192.0.2.1 as permitted sender) receiver=mx.example.net; "
                        "client-ip=192.0.2.1; envelope-from=\"user@example.org\"; "
                        "helo=mail.example.org; identity=mailfrom; "
                        "mechanism=\"ip4:192.0.2.0/24\"");
    in = base(PC_SPF_FAIL);
    in.mechanism = "-all";
    assert_string_equal(ar(&in), "spf=fail (mx.example.net: domain of user@example.org does "
                        "not designate 192.0.2.1 as permitted sender) smtp.mailfrom=example.org");
    assert_non_null(strstr(rs(&in), "; mechanism=-all"));
    in = base(PC_SPF_SOFTFAIL);
    in.mechanism = "~all";
    assert_string_equal(ar(&in), "spf=softfail (mx.example.net: domain of transitioning "
                        "user@example.org does not designate 192.0.2.1 as permitted sender) "
                        "smtp.mailfrom=example.org");
    in = base(PC_SPF_NEUTRAL);
    assert_string_equal(ar(&in), "spf=neutral (mx.example.net: 192.0.2.1 is neither permitted "
                        "nor denied by domain of user@example.org) smtp.mailfrom=example.org");
    /* no term decided: the mechanism is "default" (§9.1) */
    assert_non_null(strstr(rs(&in), "; identity=mailfrom; mechanism=default"));
    in = base(PC_SPF_NONE);
    in.problem = "example.org has no SPF record";
    assert_string_equal(ar(&in), "spf=none (mx.example.net: domain of user@example.org does "
                        "not designate permitted sender hosts) smtp.mailfrom=example.org");
    /* none is not an error: no problem, no mechanism */
    assert_null(strstr(rs(&in), "problem="));
    assert_null(strstr(rs(&in), "mechanism="));
    in = base(PC_SPF_TEMPERROR);
    in.problem = "DNS failure looking up the SPF record of example.org: SERVFAIL";
    assert_string_equal(ar(&in), "spf=temperror (mx.example.net: error in processing during "
                        "lookup of user@example.org: DNS failure looking up the SPF record of "
                        "example.org: SERVFAIL) smtp.mailfrom=example.org");
    assert_string_equal(rs(&in), "temperror (mx.example.net: error in processing during "
                        "lookup of user@example.org) receiver=mx.example.net; "
                        "client-ip=192.0.2.1; envelope-from=\"user@example.org\"; "
                        "helo=mail.example.org; identity=mailfrom; problem=\"DNS failure "
                        "looking up the SPF record of example.org: SERVFAIL\"");
    in = base(PC_SPF_PERMERROR);
    in.problem = "'a' in the SPF record of example.org: more than 10 DNS-querying terms "
                 "(RFC 7208 §4.6.4)";
    /* parentheses in a comment are escaped; UTF-8 stays (RFC 6532) */
    assert_string_equal(ar(&in), "spf=permerror (mx.example.net: permanent error in "
                        "processing domain of user@example.org: 'a' in the SPF record of "
                        "example.org: more than 10 DNS-querying terms \\(RFC 7208 §4.6.4\\)) "
                        "smtp.mailfrom=example.org");
    assert_non_null(strstr(rs(&in), "; problem=\"'a' in the SPF record of example.org: more "
                           "than 10 DNS-querying terms (RFC 7208 §4.6.4)\""));
}

static void test_identities(void **state)
{
    pc_spf_hdr_in_t in;
    (void)state;

    /* the HELO identity: smtp.helo, no envelope-from */
    in = base(PC_SPF_PASS);
    in.helo_scope = 1;
    in.sender = "postmaster@mail.example.org";
    in.domain = "mail.example.org";
    in.mechanism = "a";
    assert_string_equal(ar(&in), "spf=pass (mx.example.net: domain of "
                        "postmaster@mail.example.org designates 192.0.2.1 as permitted sender) "
                        "smtp.helo=mail.example.org");
    assert_string_equal(rs(&in), "pass (mx.example.net: domain of postmaster@mail.example.org "
                        "designates 192.0.2.1 as permitted sender) receiver=mx.example.net; "
                        "client-ip=192.0.2.1; helo=mail.example.org; identity=helo; "
                        "mechanism=a");
    /* the null reverse-path: the MAIL FROM identity postmaster@HELO (§2.4) */
    in.helo_scope = 0;
    in.null_sender = 1;
    assert_string_equal(ar(&in), "spf=pass (mx.example.net: domain of "
                        "postmaster@mail.example.org designates 192.0.2.1 as permitted sender) "
                        "smtp.mailfrom=postmaster@mail.example.org");
    assert_non_null(strstr(rs(&in), "envelope-from=\"postmaster@mail.example.org\"; "
                           "helo=mail.example.org; identity=mailfrom"));
    /* an IPv6 client: colons need a quoted-string in a key-value pair */
    in = base(PC_SPF_FAIL);
    in.client_ip = "2001:db8::1";
    in.mechanism = "-all";
    assert_non_null(strstr(rs(&in), "client-ip=\"2001:db8::1\";"));
    assert_non_null(strstr(ar(&in), "does not designate 2001:db8::1 as permitted sender"));
    /* no HELO known, no receiver configured */
    in = base(PC_SPF_NEUTRAL);
    in.helo = NULL;
    in.receiver = NULL;
    assert_string_equal(rs(&in), "neutral (unknown: 192.0.2.1 is neither permitted nor denied "
                        "by domain of user@example.org) receiver=unknown; client-ip=192.0.2.1; "
                        "envelope-from=\"user@example.org\"; identity=mailfrom; "
                        "mechanism=default");
}

static void test_value_quoting(void **state)
{
    char out[600];
    (void)state;

    /* dot-atom stays bare; anything else is a quoted-string */
    assert_int_equal(pc_spf_hdr_value(out, sizeof(out), "mx.example.org", 14, PC_SPF_HDR_KV),
                     14);
    assert_string_equal(out, "mx.example.org");
    pc_spf_hdr_value(out, sizeof(out), "-all", 4, PC_SPF_HDR_KV);
    assert_string_equal(out, "-all");
    pc_spf_hdr_value(out, sizeof(out), "a.b.", 4, PC_SPF_HDR_KV);
    assert_string_equal(out, "\"a.b.\"");
    pc_spf_hdr_value(out, sizeof(out), "a..b", 4, PC_SPF_HDR_KV);
    assert_string_equal(out, "\"a..b\"");
    pc_spf_hdr_value(out, sizeof(out), "", 0, PC_SPF_HDR_KV);
    assert_string_equal(out, "\"\"");
    pc_spf_hdr_value(out, sizeof(out), "JUMPIN' JUPITER", 15, PC_SPF_HDR_KV);
    assert_string_equal(out, "\"JUMPIN' JUPITER\"");
    pc_spf_hdr_value(out, sizeof(out), "say \"hi\" \\o/", 12, PC_SPF_HDR_KV);
    assert_string_equal(out, "\"say \\\"hi\\\" \\\\o/\"");
    /* control octets, NUL, DEL and invalid UTF-8 become '?'; valid UTF-8 stays */
    pc_spf_hdr_value(out, sizeof(out), "a\r\nb\tc\0d\x7f" "e\xff" "f\xc3\xa9", 14, PC_SPF_HDR_KV);
    assert_string_equal(out, "\"a??b?c?d?e?f\xc3\xa9\"");
    /* RFC 8601: a token or [local-part@]domain-name stands bare */
    pc_spf_hdr_value(out, sizeof(out), "example.org", 11, PC_SPF_HDR_AR);
    assert_string_equal(out, "example.org");
    pc_spf_hdr_value(out, sizeof(out), "_spf.example.org", 16, PC_SPF_HDR_AR);
    assert_string_equal(out, "_spf.example.org");
    pc_spf_hdr_value(out, sizeof(out), "postmaster@mx.example.org", 25, PC_SPF_HDR_AR);
    assert_string_equal(out, "postmaster@mx.example.org");
    pc_spf_hdr_value(out, sizeof(out), "[192.0.2.1]", 11, PC_SPF_HDR_AR);
    assert_string_equal(out, "\"[192.0.2.1]\"");
    pc_spf_hdr_value(out, sizeof(out), "a b@x.org", 9, PC_SPF_HDR_AR);
    assert_string_equal(out, "\"a b@x.org\"");
    pc_spf_hdr_value(out, sizeof(out), "x=y;z", 5, PC_SPF_HDR_AR);
    assert_string_equal(out, "\"x=y;z\"");
    /* comments escape ( ) and \ */
    assert_int_equal(pc_spf_hdr_comment(out, sizeof(out), "a (b) \\c", 8), 11);
    assert_string_equal(out, "a \\(b\\) \\\\c");
}

static void test_long_and_hostile(void **state)
{
    static char big[3000], out[PC_SPF_RECEIVED_MAX], arb[PC_SPF_AR_MAX];
    pc_spf_hdr_in_t in;
    size_t n;
    (void)state;

    /* a value is cut to PC_SPF_HDR_VALUE_MAX octets, ending in "..." */
    memset(big, 'a', sizeof(big) - 1);
    n = pc_spf_hdr_value(out, sizeof(out), big, 1000, PC_SPF_HDR_AR); /* a bare token */
    assert_int_equal(n, PC_SPF_HDR_VALUE_MAX);
    assert_memory_equal(out + n - 3, "...", 3);
    /* never inside a UTF-8 sequence */
    for (size_t i = 0; i + 1 < 400; i += 2)
        memcpy(big + i, "\xc3\xa9", 2);
    n = pc_spf_hdr_value(out, sizeof(out), big, 400, PC_SPF_HDR_KV);
    assert_string_equal(out + n - 4, "...\"");
    assert_true((unsigned char)out[n - 5] == 0xa9);
    /* worst case: every input overlong and all quotes, parentheses and
     * backslashes: both texts still fit their documented buffers */
    for (size_t i = 0; i < sizeof(big) - 1; i++)
        big[i] = "\"()\\"[i % 4];
    in = base(PC_SPF_PERMERROR);
    in.receiver = big;
    in.sender = big;
    in.domain = big;
    in.helo = big;
    in.problem = big;
    in.client_ip = "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255";
    assert_int_equal(pc_spf_received_spf(&in, out, sizeof(out)), 0);
    assert_int_equal(pc_spf_auth_results(&in, arb, sizeof(arb)), 0);
    in.result = PC_SPF_SOFTFAIL;
    in.mechanism = big;
    assert_int_equal(pc_spf_received_spf(&in, out, sizeof(out)), 0);
    for (size_t i = 0; out[i] != '\0'; i++)
        assert_true((unsigned char)out[i] >= 0x20 && out[i] != 0x7f);
    /* too small a buffer: PC_ETOOBIG and an empty text */
    in = base(PC_SPF_PASS);
    assert_int_equal(pc_spf_received_spf(&in, out, 40), PC_ETOOBIG);
    assert_string_equal(out, "");
    assert_int_equal(pc_spf_auth_results(&in, arb, 20), PC_ETOOBIG);
    assert_string_equal(arb, "");
    assert_int_equal(pc_spf_hdr_value(out, 3, "abcd", 4, PC_SPF_HDR_KV), 0);
    assert_string_equal(out, "");
}

static void test_invalid_arguments(void **state)
{
    char out[64];
    pc_spf_hdr_in_t in = base(PC_SPF_PASS);
    (void)state;

    assert_int_equal(pc_spf_auth_results(NULL, out, sizeof(out)), PC_EINVAL);
    assert_int_equal(pc_spf_received_spf(&in, NULL, 10), PC_EINVAL);
    assert_int_equal(pc_spf_received_spf(&in, out, 0), PC_EINVAL);
    in.client_ip = NULL;
    assert_int_equal(pc_spf_received_spf(&in, out, sizeof(out)), PC_EINVAL);
    in = base(PC_SPF_PASS);
    in.sender = NULL;
    assert_int_equal(pc_spf_auth_results(&in, out, sizeof(out)), PC_EINVAL);
    in = base((pc_spf_result_t)0);
    assert_int_equal(pc_spf_auth_results(&in, out, sizeof(out)), PC_EINVAL);
    in = base((pc_spf_result_t)8);
    assert_int_equal(pc_spf_received_spf(&in, out, sizeof(out)), PC_EINVAL);
    assert_int_equal(pc_spf_hdr_value(NULL, 10, "a", 1, PC_SPF_HDR_KV), 0);
    assert_int_equal(pc_spf_hdr_value(out, sizeof(out), "a", 1, 7), 0);
    assert_int_equal(pc_spf_hdr_value(out, sizeof(out), NULL, 1, PC_SPF_HDR_KV), 0);
    assert_int_equal(pc_spf_hdr_comment(out, sizeof(out), NULL, 2), 0);
    assert_int_equal(pc_spf_hdr_comment(NULL, 1, "a", 1), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_result),
        cmocka_unit_test(test_identities),
        cmocka_unit_test(test_value_quoting),
        cmocka_unit_test(test_long_and_hostile),
        cmocka_unit_test(test_invalid_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
