/*
 * test_spf_expand.c - SPF macro expansion and check_host() inputs
 * (proto/spf_expand.c): the RFC 7208 §7.4 examples, URL escaping, the
 * escapes, explanation letters, the §7.3 truncation (also of expansions far
 * longer than the buffer), sender splitting and the §4.3 domain check.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "polcache/error.h"
#include "spf_expand.h"

static pc_spf_macro_env_t env;

/* The RFC 7208 §7.4 example: strong-bad@email.example.com from 192.0.2.3. */
static void set_env(const char *sender, const char *ip)
{
    static char buf[2048];
    const char *at;

    memset(&env, 0, sizeof(env));
    snprintf(buf, sizeof(buf), "%s", sender);
    at = strrchr(buf, '@');
    env.sender = buf;
    env.sender_len = strlen(buf);
    env.local = buf;
    env.local_len = (size_t)(at - buf);
    env.sdomain = at + 1;
    env.sdomain_len = strlen(at + 1);
    env.domain = env.sdomain;
    env.domain_len = env.sdomain_len;
    env.helo = "mx.example.org";
    env.helo_len = strlen(env.helo);
    if (inet_pton(AF_INET, ip, env.ip) == 1) {
        env.family = 4;
    } else {
        assert_int_equal(inet_pton(AF_INET6, ip, env.ip), 1);
        env.family = 6;
    }
}

static const char *expand(const char *s, unsigned mode)
{
    static char out[1024];
    size_t n;
    pc_perr_t err;
    int rc = pc_spf_expand(s, strlen(s), mode, &env, out, sizeof(out), &n, &err);
    if (rc != 0)
        fail_msg("expanding '%s': %d %s", s, rc, err.reason);
    assert_int_equal(n, strlen(out));
    return out;
}

static void test_rfc_examples(void **state)
{
    static const struct { const char *in, *out; } ex[] = {
        {"%{s}", "strong-bad@email.example.com"},
        {"%{o}", "email.example.com"},
        {"%{d}", "email.example.com"},
        {"%{d4}", "email.example.com"},
        {"%{d3}", "email.example.com"},
        {"%{d2}", "example.com"},
        {"%{d1}", "com"},
        {"%{dr}", "com.example.email"},
        {"%{d2r}", "example.email"},
        {"%{l}", "strong-bad"},
        {"%{l-}", "strong.bad"},
        {"%{lr}", "strong-bad"},
        {"%{lr-}", "bad.strong"},
        {"%{l1r-}", "strong"},
        {"%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com"},
        {"%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com"},
        {"%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com"},
        {"%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com"},
        {"%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net"},
        {"%{h}", "mx.example.org"},
        {"%{d200}", "email.example.com"},
        {"%{D}", "email.example.com"},
    };
    (void)state;
    set_env("strong-bad@email.example.com", "192.0.2.3");
    for (size_t i = 0; i < sizeof(ex) / sizeof(ex[0]); i++)
        assert_string_equal(expand(ex[i].in, 0), ex[i].out);
    set_env("strong-bad@email.example.com", "2001:db8::cb01");
    /* the RFC's example writes the nibbles in lower case; §7.3 only says
     * "dot-format" and DNS names ignore case (RFC 4343), so we write them
     * in upper case, as the RFC 7208 suite's v-macro-ip6 explanation wants */
    assert_int_equal(strcasecmp(expand("%{ir}.%{v}._spf.%{d2}", 0),
                                "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6."
                                "_spf.example.com"), 0);
    assert_string_equal(expand("%{ir}.%{v}", 0),
                        "1.0.B.C.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.B.D.0.1.0.0.2.ip6");
    assert_string_equal(expand("%{c}", PC_SPF_EXPAND_EXPLAIN), "2001:db8::cb01");
}

static void test_delimiters_escapes_url(void **state)
{
    (void)state;
    set_env("philip-gladstone-test@e11.example.com", "1.2.3.4");
    assert_string_equal(expand("%{i}.%{l2r-}.user.%{d2}", 0),
                        "1.2.3.4.gladstone.philip.user.example.com");
    set_env("foo-bar+zip+quux@e12.example.com", "1.2.3.4");
    assert_string_equal(expand("%{l2r+-}.user.%{d2}", 0), "bar.foo.user.example.com");
    assert_string_equal(expand("%{l+-}", 0), "foo.bar.zip.quux");
    set_env("~jack&jill=up-a_b3.c@e8.example.com", "192.168.218.42");
    assert_string_equal(expand("http://example.com/why.html?l=%{L}", PC_SPF_EXPAND_EXPLAIN),
                        "http://example.com/why.html?l=~jack%26jill%3Dup-a_b3.c");
    assert_string_equal(expand("macro%%percent%_%_space%-url-space.example.com", 0),
                        "macro%percent  space%20url-space.example.com");
    /* empty parts survive splitting and reversal */
    set_env("a..b@x.example", "1.2.3.4");
    assert_string_equal(expand("%{lr}", 0), "b..a");
    assert_string_equal(expand("%{l1}", 0), "b");
}

static void test_explain_letters(void **state)
{
    (void)state;
    set_env("test@e4.example.com", "192.168.218.40");
    env.now = 1234567890;
    assert_string_equal(expand("%{c} is queried as %{ir}.%{v}.arpa", PC_SPF_EXPAND_EXPLAIN),
                        "192.168.218.40 is queried as 40.218.168.192.in-addr.arpa");
    assert_string_equal(expand("%{t} %{r} %{p}", PC_SPF_EXPAND_EXPLAIN),
                        "1234567890 unknown unknown");
    env.ptr = "mx.example.com";
    env.ptr_len = strlen(env.ptr);
    env.receiver = "mta.example.net";
    env.receiver_len = strlen(env.receiver);
    assert_string_equal(expand("connect from %{p} to %{r}", PC_SPF_EXPAND_EXPLAIN),
                        "connect from mx.example.com to mta.example.net");
    /* c, r and t are refused outside explanations */
    {
        char out[PC_SPF_EXPAND_MIN];
        size_t n;
        pc_perr_t err;
        assert_int_equal(pc_spf_expand("%{c}.x.com", 10, PC_SPF_EXPAND_DOMAIN, &env, out,
                                       sizeof(out), &n, &err), PC_ERECORD);
        assert_int_equal(pc_spf_expand("%", 1, 0, &env, out, sizeof(out), &n, &err), PC_ERECORD);
    }
}

static void test_domain_truncation(void **state)
{
    char spec[600], out[PC_SPF_EXPAND_MIN];
    size_t n;
    int len = 0;
    (void)state;

    /* the suite's case: 8 x "somewhat.long.exp.example.com" */
    set_env("test@somewhat.long.exp.example.com", "192.168.218.40");
    assert_string_equal(expand("foobar.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.example.com",
                               PC_SPF_EXPAND_DOMAIN),
                        "somewhat.long.exp.example.com.somewhat.long.exp.example.com."
                        "somewhat.long.exp.example.com.somewhat.long.exp.example.com."
                        "somewhat.long.exp.example.com.somewhat.long.exp.example.com."
                        "somewhat.long.exp.example.com.somewhat.long.exp.example.com."
                        "example.com");
    /* one trailing dot goes in domain mode, not in an explanation */
    set_env("a@example.com", "1.2.3.4");
    assert_string_equal(expand("%{d}.d.spf.example.com.", PC_SPF_EXPAND_DOMAIN),
                        "example.com.d.spf.example.com");
    assert_string_equal(expand("This is a test.", PC_SPF_EXPAND_EXPLAIN), "This is a test.");
    /* an expansion far longer than the buffer: only its tail is kept */
    {
        static char sender[1100];
        memset(sender, 'x', 1000);
        memcpy(sender + 1000, "@a.b", 5);
        for (int i = 0; i < 300; i++)
            sender[i * 3 + 2] = '.';
        set_env(sender, "1.2.3.4");
    }
    for (int i = 0; i < 100; i++)
        len += snprintf(spec + len, sizeof(spec) - (size_t)len, "%%{L}");
    snprintf(spec + len, sizeof(spec) - (size_t)len, ".tail.example");
    assert_int_equal(pc_spf_expand(spec, strlen(spec), PC_SPF_EXPAND_DOMAIN, &env, out,
                                   sizeof(out), &n, NULL), 0);
    assert_true(n <= 253 && n > 200);
    assert_true(strlen(out) == n);
    assert_true(n > 13 && strcmp(out + n - 13, ".tail.example") == 0);
    assert_true(out[0] != '.');
    /* a last label longer than any name: nothing is left */
    set_env("a@example.com", "1.2.3.4");
    memset(spec, 'a', 300);
    spec[300] = '\0';
    assert_int_equal(pc_spf_expand(spec, 300, PC_SPF_EXPAND_DOMAIN, &env, out, sizeof(out), &n,
                                   NULL), 0);
    assert_int_equal(n, 0);
    assert_string_equal(out, "");
}

static void test_bad_arguments(void **state)
{
    char out[PC_SPF_EXPAND_MIN];
    size_t n;
    (void)state;

    set_env("a@example.com", "1.2.3.4");
    assert_int_equal(pc_spf_expand(NULL, 1, 0, &env, out, sizeof(out), &n, NULL), PC_EINVAL);
    assert_int_equal(pc_spf_expand("x", 1, 0, NULL, out, sizeof(out), &n, NULL), PC_EINVAL);
    assert_int_equal(pc_spf_expand("x", 1, 0, &env, NULL, 10, &n, NULL), PC_EINVAL);
    assert_int_equal(pc_spf_expand("x", 1, 0, &env, out, sizeof(out), NULL, NULL), PC_EINVAL);
    assert_int_equal(pc_spf_expand("x", 1, 0x80, &env, out, sizeof(out), &n, NULL), PC_EINVAL);
    assert_int_equal(pc_spf_expand("x", 1, PC_SPF_EXPAND_DOMAIN, &env, out, 100, &n, NULL),
                     PC_EINVAL);
    env.family = 5;
    assert_int_equal(pc_spf_expand("x", 1, 0, &env, out, sizeof(out), &n, NULL), PC_EINVAL);
    env.family = 4;
    /* outside domain mode a long expansion does not fit: cut, NUL-terminated */
    assert_int_equal(pc_spf_expand("%{d}%{d}%{d}", 12, 0, &env, out, 20, &n, NULL), PC_ETOOBIG);
    assert_int_equal(n, 19);
    assert_int_equal(strlen(out), 19);
    assert_int_equal(pc_spf_expand("", 0, 0, &env, out, sizeof(out), &n, NULL), 0);
    assert_int_equal(n, 0);
}

static void test_sender_split(void **state)
{
    const char *l, *d;
    size_t ll, dl;
    (void)state;

#define SPLIT(s, wl, wd)                                                                          \
    do {                                                                                          \
        assert_int_equal(pc_spf_sender_split(s, strlen(s), &l, &ll, &d, &dl), 0);                 \
        assert_int_equal(ll, strlen(wl));                                                         \
        assert_memory_equal(l, wl, ll);                                                           \
        assert_int_equal(dl, strlen(wd));                                                         \
        assert_memory_equal(d, wd, dl);                                                           \
    } while (0)
    SPLIT("user@example.org", "user", "example.org");
    SPLIT("<user@example.org>", "user", "example.org");
    SPLIT("@example.net", "postmaster", "example.net");
    SPLIT("example.net", "postmaster", "example.net");
    SPLIT("\"a@b\"@example.org", "\"a@b\"", "example.org");
    SPLIT("Macro Error@e8.example.com", "Macro Error", "e8.example.com");
    SPLIT("", "postmaster", "");
#undef SPLIT
    assert_int_equal(pc_spf_sender_split(NULL, 1, &l, &ll, &d, &dl), PC_EINVAL);
    assert_int_equal(pc_spf_sender_split("a", 1, NULL, &ll, &d, &dl), PC_EINVAL);
}

static void test_domain_check(void **state)
{
    char name[300];
    const char *why = NULL;
    size_t n;
    (void)state;

    assert_int_equal(pc_spf_domain_check("example.org", 11, &n, &why), 0);
    assert_null(why);
    assert_int_equal(pc_spf_domain_check("example.org.", 12, &n, NULL), 0);
    assert_int_equal(n, 11);
    assert_int_equal(pc_spf_domain_check("under_score.example", 19, NULL, NULL), 0);
    assert_int_equal(pc_spf_domain_check("A2345678", 8, NULL, &why), PC_ENAME);
    assert_non_null(why);
    assert_int_equal(pc_spf_domain_check("A...example.com", 15, NULL, NULL), PC_ENAME);
    assert_int_equal(pc_spf_domain_check("[1.2.3.5]", 9, NULL, NULL), PC_ENAME);
    assert_int_equal(pc_spf_domain_check("", 0, NULL, NULL), PC_ENAME);
    assert_int_equal(pc_spf_domain_check(".", 1, NULL, NULL), PC_ENAME);
    assert_int_equal(pc_spf_domain_check(".example.org", 12, NULL, NULL), PC_ENAME);
    assert_int_equal(pc_spf_domain_check("a b.example", 11, NULL, NULL), PC_ENAME);
    assert_int_equal(pc_spf_domain_check(NULL, 5, NULL, NULL), PC_ENAME);
    memset(name, 'a', 64);
    memcpy(name + 64, ".example.com", 13);
    assert_int_equal(pc_spf_domain_check(name, strlen(name), NULL, NULL), PC_ENAME);
    memcpy(name + 63, ".example.com", 13);
    assert_int_equal(pc_spf_domain_check(name, strlen(name), NULL, NULL), 0);
    /* 253 octets is the longest */
    for (int i = 0; i < 300; i++)
        name[i] = (i % 50 == 49) ? '.' : 'a';
    assert_int_equal(pc_spf_domain_check(name, 253, NULL, NULL), 0);
    assert_int_equal(pc_spf_domain_check(name, 254, NULL, NULL), PC_ENAME);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc_examples),
        cmocka_unit_test(test_delimiters_escapes_url),
        cmocka_unit_test(test_explain_letters),
        cmocka_unit_test(test_domain_truncation),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_sender_split),
        cmocka_unit_test(test_domain_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
