/*
 * test_name.c - unit tests of DNS-name handling (proto/name.c): parsing at
 * the request boundary, escapes, IDNA, limits, printing, keys and suffixes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "name.h"
#include "polcache/error.h"

static int parse(pc_name_t *n, const char *s, unsigned flags)
{
    return pc_name_from_text(n, s, strlen(s), flags);
}

static const char *text(const pc_name_t *n)
{
    static char buf[PC_NAME_TEXT_MAX];
    assert_true(pc_name_to_text(n, buf, sizeof(buf)) > 0);
    return buf;
}

static void test_basic_and_case(void **state)
{
    pc_name_t n;
    (void)state;

    assert_int_equal(parse(&n, "Example.ORG", 0), 0);
    assert_string_equal(text(&n), "example.org");
    assert_int_equal(n.len, 13);
    assert_int_equal(pc_name_labels(&n), 2);
    assert_int_equal(parse(&n, "example.org.", 0), 0);
    assert_string_equal(text(&n), "example.org");
    assert_int_equal(parse(&n, ".", 0), 0);
    assert_string_equal(text(&n), ".");
    assert_int_equal(pc_name_labels(&n), 0);
    assert_int_equal(parse(&n, "", 0), 0);
    assert_int_equal(pc_name_labels(&n), 0);
    assert_int_equal(parse(&n, "a..b", 0), PC_ENAME);
    assert_int_equal(parse(&n, ".a", 0), PC_ENAME);
    assert_int_equal(parse(&n, "a.b..", 0), PC_ENAME);
    assert_int_equal(pc_name_from_text(&n, "a\0b", 3, 0), PC_ENAME);
    assert_int_equal(pc_name_from_text(NULL, "a", 1, 0), PC_EINVAL);
    assert_int_equal(pc_name_from_text(&n, NULL, 1, 0), PC_EINVAL);
}

static void test_dns_not_hostname(void **state)
{
    pc_name_t n;
    (void)state;

    /* underscores, percent, spaces and high octets are legal DNS labels */
    assert_int_equal(parse(&n, "_dmarc.ex_ample.org", 0), 0);
    assert_string_equal(text(&n), "_dmarc.ex_ample.org");
    assert_int_equal(parse(&n, "a%b c.org", 0), 0);
    assert_string_equal(text(&n), "a%b\\032c.org");
    assert_int_equal(parse(&n, "x\xff.org", 0), 0);
    assert_string_equal(text(&n), "x\\255.org");
    /* specials are escaped for libunbound */
    assert_int_equal(parse(&n, "a\\.b.org", PC_NAME_ESCAPES), 0);
    assert_int_equal(pc_name_labels(&n), 2);
    assert_string_equal(text(&n), "a\\046b.org");
    assert_int_equal(parse(&n, "a;(b)@$\".org", 0), 0);
    assert_string_equal(text(&n), "a\\059\\040b\\041\\064\\036\\034.org");
}

static void test_escapes(void **state)
{
    pc_name_t n, m;
    (void)state;

    assert_int_equal(parse(&n, "\\000x.org", PC_NAME_ESCAPES), 0);
    assert_int_equal(n.wire[1], 0);
    assert_string_equal(text(&n), "\\000x.org");
    /* round trip of every octet through the printed form */
    for (int c = 0; c < 256; c++) {
        uint8_t w[5] = {2, 'a', (uint8_t)c, 0, 0};
        char buf[PC_NAME_TEXT_MAX];
        int len;
        assert_int_equal(pc_name_from_wire(&n, w, 4), 0);
        len = pc_name_to_text(&n, buf, sizeof(buf));
        assert_true(len > 0);
        assert_int_equal(pc_name_from_text(&m, buf, (size_t)len, PC_NAME_ESCAPES), 0);
        assert_true(pc_name_equal(&n, &m));
    }
    assert_int_equal(parse(&n, "\\256.org", PC_NAME_ESCAPES), PC_ENAME);
    assert_int_equal(parse(&n, "\\25", PC_NAME_ESCAPES), PC_ENAME);
    assert_int_equal(parse(&n, "ab\\", PC_NAME_ESCAPES), PC_ENAME);
    assert_int_equal(parse(&n, "\\065B.org", PC_NAME_ESCAPES), 0);
    assert_string_equal(text(&n), "ab.org");
    /* without the flag a backslash is an ordinary octet */
    assert_int_equal(parse(&n, "a\\b.org", 0), 0);
    assert_string_equal(text(&n), "a\\092b.org");
}

static void test_limits(void **state)
{
    pc_name_t n;
    char buf[1100];
    (void)state;

    memset(buf, 'a', 63);
    strcpy(buf + 63, ".org");
    assert_int_equal(parse(&n, buf, 0), 0);
    memset(buf, 'a', 64);
    strcpy(buf + 64, ".org");
    assert_int_equal(parse(&n, buf, 0), PC_ENAMELEN);
    /* 255 octets in wire form is the maximum: 4 labels of 63 = 4*64+1 = 257 */
    for (int i = 0; i < 4; i++) {
        memset(buf + i * 64, 'a', 63);
        buf[i * 64 + 63] = '.';
    }
    buf[4 * 64 - 1] = '\0';
    assert_int_equal(parse(&n, buf, 0), PC_ENAMELEN);
    buf[4 * 64 - 3] = '\0'; /* last label 61: 3*64 + 62 + 1 = 255 */
    assert_int_equal(parse(&n, buf, 0), 0);
    assert_int_equal(n.len, 255);
    memset(buf, 'a', sizeof(buf));
    assert_int_equal(pc_name_from_text(&n, buf, PC_NAME_INPUT_MAX + 1, 0), PC_ETOOBIG);
    /* escapes count after decoding: \\097 is one octet */
    buf[0] = '\0';
    for (int i = 0; i < 63; i++)
        strcat(buf, "\\097");
    assert_int_equal(parse(&n, buf, PC_NAME_ESCAPES), 0);
    strcat(buf, "\\097");
    assert_int_equal(parse(&n, buf, PC_NAME_ESCAPES), PC_ENAMELEN);
}

static void test_idna(void **state)
{
    pc_name_t n;
    (void)state;

    assert_int_equal(parse(&n, "b\xc3\xbc" "cher.example", PC_NAME_IDNA), 0);
    assert_string_equal(text(&n), "xn--bcher-kva.example");
    assert_int_equal(parse(&n, "B\xc3\x9c" "CHER.example", PC_NAME_IDNA), 0);
    assert_string_equal(text(&n), "xn--bcher-kva.example");
    /* only labels with non-ASCII UTF-8 are converted */
    assert_int_equal(parse(&n, "_dmarc.b\xc3\xbc" "cher.example", PC_NAME_IDNA), 0);
    assert_string_equal(text(&n), "_dmarc.xn--bcher-kva.example");
    /* invalid UTF-8 passes as raw octets */
    assert_int_equal(parse(&n, "\xff\xfe.example", PC_NAME_IDNA), 0);
    assert_string_equal(text(&n), "\\255\\254.example");
    /* without the flag, UTF-8 stays raw */
    assert_int_equal(parse(&n, "b\xc3\xbc.example", 0), 0);
    assert_string_equal(text(&n), "b\\195\\188.example");
    /* escaped octets are never converted */
    assert_int_equal(parse(&n, "b\\195\\188.example", PC_NAME_IDNA | PC_NAME_ESCAPES), 0);
    assert_string_equal(text(&n), "b\\195\\188.example");
    /* IDNA rejects a disallowed code point (U+2028 line separator) */
    assert_int_equal(parse(&n, "a\xe2\x80\xa8.example", PC_NAME_IDNA), PC_EIDNA);
}

static void test_keys_and_relations(void **state)
{
    pc_name_t a, b, c, r;
    uint8_t ka[PC_NAME_KEY_MAX], kb[PC_NAME_KEY_MAX];
    int la, lb;
    (void)state;

    assert_int_equal(parse(&a, "example.org", 0), 0);
    assert_int_equal(parse(&b, "_dmarc.mail.example.org", 0), 0);
    assert_int_equal(parse(&c, "anexample.org", 0), 0);
    la = pc_name_to_key(&a, ka, sizeof(ka));
    lb = pc_name_to_key(&b, kb, sizeof(kb));
    assert_int_equal(la, 12);
    assert_true(lb > la);
    assert_memory_equal(ka, kb, (size_t)la); /* subtree = key prefix */
    lb = pc_name_to_key(&c, kb, sizeof(kb));
    assert_false(lb >= la && memcmp(ka, kb, (size_t)la) == 0);
    assert_int_equal(pc_name_from_key(&r, ka, (size_t)la), 0);
    assert_true(pc_name_equal(&r, &a));
    assert_int_equal(pc_name_to_key(&a, ka, 3), PC_ETOOBIG);
    assert_int_equal(pc_name_from_key(&r, (const uint8_t *)"\5ab", 3), PC_ENAME);
    assert_int_equal(pc_name_from_key(&r, (const uint8_t *)"\0", 1), PC_ENAME);
    assert_int_equal(pc_name_from_key(&r, NULL, 0), 0);
    assert_int_equal(pc_name_labels(&r), 0);

    assert_true(pc_name_is_below(&b, &a));
    assert_true(pc_name_is_below(&a, &a));
    assert_false(pc_name_is_below(&c, &a));
    assert_false(pc_name_is_below(&a, &b));

    assert_int_equal(pc_name_suffix(&r, &b, 2), 0);
    assert_true(pc_name_equal(&r, &a));
    assert_int_equal(pc_name_suffix(&r, &b, 9), 0);
    assert_true(pc_name_equal(&r, &b));
    assert_int_equal(pc_name_suffix(&r, &b, 0), 0);
    assert_int_equal(pc_name_labels(&r), 0);

    assert_int_equal(pc_name_prepend(&r, &a, "_DMARC", 6), 0);
    assert_string_equal(text(&r), "_dmarc.example.org");
    assert_int_equal(pc_name_prepend(&r, &a, "", 0), PC_ENAME);
    {
        const uint8_t *l;
        size_t ll;
        assert_int_equal(pc_name_label(&b, 1, &l, &ll), 0);
        assert_int_equal(ll, 4);
        assert_memory_equal(l, "mail", 4);
        assert_int_equal(pc_name_label(&b, 4, &l, &ll), PC_EINVAL);
    }
}

static void test_from_wire(void **state)
{
    pc_name_t n;
    (void)state;

    assert_int_equal(pc_name_from_wire(&n, (const uint8_t *)"\3ORG\0", 5), 0);
    assert_string_equal(text(&n), "org");
    assert_int_equal(pc_name_from_wire(&n, (const uint8_t *)"\3org", 4), PC_ENAME);
    assert_int_equal(pc_name_from_wire(&n, (const uint8_t *)"\5org\0", 5), PC_ENAME);
    assert_int_equal(pc_name_from_wire(&n, (const uint8_t *)"\0\0", 2), PC_ENAME);
    assert_int_equal(pc_name_from_wire(&n, (const uint8_t *)"\x40", 1), PC_ENAME);
    assert_int_equal(pc_name_from_wire(&n, NULL, 1), PC_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic_and_case),
        cmocka_unit_test(test_dns_not_hostname),
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_idna),
        cmocka_unit_test(test_keys_and_relations),
        cmocka_unit_test(test_from_wire),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
