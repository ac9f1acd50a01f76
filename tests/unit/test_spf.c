/*
 * test_spf.c - unit tests of the SPF grammar (proto/spf.h, proto/spf_macro.h):
 * record selection, terms, CIDR lengths, addresses, domain-specs, modifiers,
 * macros, counts, warnings, limits and the field visitor; then a syntax-only
 * pass over every record of the RFC 7208 test suite, read in place.
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
#include "polcache/types.h" /* must coexist with spf.h */
#include "spf.h"
#include "testutil.h"

/* ---- helpers ------------------------------------------------------------ */

static int parse(const char *s, pc_spf_record_t *rec, pc_warnings_t *w,
                 pc_perr_t *e)
{
    return pc_spf_parse(s, strlen(s), rec, w, e);
}

/* A record and where its permerror is: OK (valid) or ANY (any offset). */
typedef struct rcase {
    const char *rec;
    size_t pos;
} rcase_t;
#define OK ((size_t)-1)
#define ANY ((size_t)-2)
#define RUN(cases) run_cases((cases), sizeof(cases) / sizeof((cases)[0]))

static void run_cases(const rcase_t *c, size_t n)
{
    pc_spf_record_t rec;
    pc_perr_t e;
    size_t i;
    int rc;

    for (i = 0; i < n; i++) {
        rc = parse(c[i].rec, &rec, NULL, &e);
        if (rc != (c[i].pos == OK ? 0 : PC_ERECORD) ||
            (c[i].pos != OK && c[i].pos != ANY && e.pos != c[i].pos))
            print_error("\"%s\": rc %d at %zu (%s), expected %s at %zu\n",
                        c[i].rec, rc, e.pos, e.reason,
                        c[i].pos == OK ? "valid" : "permerror", c[i].pos);
        if (c[i].pos == OK) {
            assert_int_equal(rc, 0);
            continue;
        }
        assert_int_equal(rc, PC_ERECORD);
        assert_true(e.reason[0] != '\0');
        if (c[i].pos != ANY)
            assert_int_equal(e.pos, c[i].pos);
        assert_int_equal(rec.nterms, 0);
        assert_int_equal(rec.all, -1);
    }
}

static int has_warn(const pc_warnings_t *w, const char *code)
{
    unsigned i;

    for (i = 0; i < w->n; i++)
        if (strcmp(w->w[i].code, code) == 0)
            return 1;
    return 0;
}

/* The terms of rec, one word each: [qualifier if written]kind, then
 * (name) for unknown modifiers, [arg], /cidr4 and //cidr6 if written. */
static const char *describe(const pc_spf_record_t *r, char *out, size_t cap)
{
    size_t n = 0;
    unsigned i;

    out[0] = '\0';
    for (i = 0; i < r->nterms && n < cap; i++) {
        const pc_spf_term_t *t = &r->terms[i];

        n += (size_t)snprintf(out + n, cap - n, "%s%s%s%s%.*s%s[%.*s]",
                              i ? " " : "", t->flags & PC_SPF_TF_QUAL ?
                              (const char[]){(char)t->qual, 0} : "",
                              pc_spf_kind_name(t->kind),
                              t->kind == PC_SPF_MOD_UNKNOWN ? "(" : "",
                              t->kind == PC_SPF_MOD_UNKNOWN ? t->name.len : 0,
                              r->text + t->name.off,
                              t->kind == PC_SPF_MOD_UNKNOWN ? ")" : "",
                              t->arg.len, r->text + t->arg.off);
        if (t->flags & PC_SPF_TF_CIDR4 && n < cap)
            n += (size_t)snprintf(out + n, cap - n, "/%u", t->cidr4);
        if (t->flags & PC_SPF_TF_CIDR6 && n < cap)
            n += (size_t)snprintf(out + n, cap - n, "//%u", t->cidr6);
    }
    assert_true(n < cap);
    return out;
}

/* Select from an RRset written "rec|rec|...", the character-strings of a
 * record separated by '^'. */
static int select_spec(const char *spec, char *buf, size_t cap, size_t *idx)
{
    pc_spf_str_t strs[16];
    pc_spf_txt_t rrs[8] = {{strs, 0}};
    size_t nr = 0, ns = 0, n;
    const char *p = spec;

    for (;;) {
        assert_true(ns < 16 && nr < 8);
        n = strcspn(p, "|^");
        strs[ns].ptr = p;
        strs[ns++].len = n;
        rrs[nr].nstrs++;
        p += n;
        if (*p == '^') {
            p++;
            continue;
        }
        nr++;
        if (*p++ == '\0')
            break;
        rrs[nr].strs = &strs[ns];
    }
    return pc_spf_select(rrs, nr, buf, cap, NULL, idx);
}

/* ---- selection ---------------------------------------------------------- */

static void test_select(void **state)
{
    static const struct {
        const char *spec;
        int rc;
        const char *text;
        size_t idx;
    } cases[] = {
        {"hello world|v=spf1 -all|v=spf10 +all", 0, "v=spf1 -all", 1},
        {"V=SpF1", 0, "V=SpF1", 0}, /* any case; "v=spf1" ends the record */
        {"v=spf1 ", 0, "v=spf1 ", 0},
        {"\x96|v=spf1  \x80garbage", 0, "v=spf1  \x80garbage", 1},
        {"v=spf1^ ip4:^192.0.2.5 -all", 0, "v=spf1 ip4:192.0.2.5 -all", 0},
        {"v^^=sP^f1^ a", 0, "v=sPf1 a", 0},
        {"v=spf1^mx", PC_ENOENT, NULL, 0}, /* joined without a space */
        {"v=spf10", PC_ENOENT, NULL, 0},
        {"v=spf1\t-all", PC_ENOENT, NULL, 0},
        {" v=spf1 -all", PC_ENOENT, NULL, 0},
        {"v=spf|spf1 -all|v = spf1|v=spf1-all", PC_ENOENT, NULL, 0},
        {"v=spf2.0/pra -all|v=spf1\r\n|", PC_ENOENT, NULL, 0},
        {"v=spf1 -all|\x96|V=sPf1 +all", PC_EDUP, NULL, 0},
        {"v=spf1 -all|v=spf1 -all", PC_EDUP, NULL, 0},
    };
    char buf[64];
    size_t i, idx;
    int rc;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        idx = 99;
        rc = select_spec(cases[i].spec, buf, sizeof(buf), &idx);
        if (rc != cases[i].rc)
            print_error("\"%s\": %d\n", cases[i].spec, rc);
        assert_int_equal(rc, cases[i].rc);
        if (rc == 0) {
            assert_string_equal(buf, cases[i].text);
            assert_int_equal(idx, cases[i].idx);
        }
    }
}

static void test_select_buffers(void **state)
{
    pc_spf_str_t a = {"v=spf1 -all", 11}, nul = {"v=spf1 a\0b", 10};
    pc_spf_str_t bad = {NULL, 3};
    pc_spf_txt_t rr = {&a, 1}, rnul = {&nul, 1}, rbad = {&bad, 1};
    pc_spf_txt_t nostrs = {NULL, 2}, empty = {NULL, 0};
    char buf[64];
    size_t len = 0, idx = 9;

    (void)state;
    /* selection only, no copy */
    assert_int_equal(pc_spf_select(&rr, 1, NULL, 0, &len, &idx), 0);
    assert_int_equal(len, 11);
    assert_int_equal(idx, 0);
    /* too small a buffer: the NUL must fit too */
    len = 0;
    assert_int_equal(pc_spf_select(&rr, 1, buf, 11, &len, NULL), PC_ETOOBIG);
    assert_int_equal(len, 11);
    assert_int_equal(pc_spf_select(&rr, 1, buf, 12, NULL, NULL), 0);
    /* an embedded NUL is copied; the parser then refuses it */
    assert_int_equal(pc_spf_select(&rnul, 1, buf, sizeof(buf), &len, NULL), 0);
    assert_int_equal(len, 10);
    assert_memory_equal(buf, "v=spf1 a\0b", 11);
    /* a TXT record without strings is no SPF record (and no crash) */
    assert_int_equal(pc_spf_select(&empty, 1, buf, 8, NULL, NULL), PC_ENOENT);
    assert_int_equal(pc_spf_select(NULL, 0, NULL, 0, NULL, NULL), PC_ENOENT);
    /* invalid arguments */
    assert_int_equal(pc_spf_select(NULL, 1, buf, 8, NULL, NULL), PC_EINVAL);
    assert_int_equal(pc_spf_select(&rbad, 1, buf, 8, NULL, NULL), PC_EINVAL);
    assert_int_equal(pc_spf_select(&nostrs, 1, buf, 8, NULL, NULL), PC_EINVAL);
    assert_int_equal(pc_spf_select(&empty, 1, NULL, 8, NULL, NULL), PC_EINVAL);
    assert_int_equal(pc_spf_select_rdata(NULL, 1, buf, 8, NULL, NULL),
                     PC_EINVAL);
    assert_int_equal(pc_spf_select_rdata(&bad, 1, buf, 8, NULL, NULL),
                     PC_EINVAL);
}

static void test_select_rdata(void **state)
{
#define RD(s) {s, sizeof(s) - 1} /* wire format: length octet + string... */
    pc_spf_str_t rd[] = {RD("\x0bhello world"), RD("\x06v=spf1\x05 -all"),
                         RD("\x06v=spf1\x02mx"), RD("")};
    pc_spf_str_t bad[] = {RD("\x06v=spf1\x05 -all"), RD("\x06v=spf1\x09 -all")};
    pc_spf_str_t nul[] = {RD("\x08v=spf1 \0")};
    pc_spf_str_t dup[] = {RD("\x06v=spf1\x05 -all"), RD("\x0bv=spf1 -all")};
#undef RD
    char buf[64];
    size_t len, idx;

    (void)state;
    assert_int_equal(pc_spf_select_rdata(rd, 4, buf, sizeof(buf), &len, &idx),
                     0);
    assert_string_equal(buf, "v=spf1 -all");
    assert_int_equal(idx, 1);
    assert_int_equal(pc_spf_select_rdata(bad, 2, buf, 64, NULL, NULL),
                     PC_EMALFORMED);
    assert_int_equal(pc_spf_select_rdata(nul, 1, buf, 64, &len, NULL), 0);
    assert_int_equal(len, 8);
    assert_int_equal(pc_spf_select_rdata(dup, 2, buf, 64, NULL, NULL), PC_EDUP);
}

/* ---- terms -------------------------------------------------------------- */

static void test_parse_structure(void **state)
{
    pc_spf_record_t rec;
    pc_warnings_t w;
    pc_perr_t e;
    char d[512];
    const char *r = "v=spf1 ip4:192.0.2.0/24  -include:_spf.example.com "
                    "~mx:mx.example.com//64 ?a exp=why.%{d} redirect=x.example"
                    " foo=bar ";

    (void)state;
    assert_int_equal(pc_spf_parse("v=spf1", 6, NULL, NULL, NULL), PC_EINVAL);
    assert_int_equal(pc_spf_parse(NULL, 3, &rec, NULL, NULL), PC_EINVAL);
    /* NULL text of length 0 is an empty string: not an SPF record */
    assert_int_equal(pc_spf_parse(NULL, 0, &rec, NULL, NULL), PC_ERECORD);
    assert_int_equal(parse(r, &rec, &w, &e), 0);
    assert_string_equal(e.reason, "");
    assert_int_equal(rec.len, strlen(r));
    assert_string_equal(rec.text, r);
    assert_string_equal(describe(&rec, d, sizeof(d)), "ip4[192.0.2.0]/24 "
                        "-include[_spf.example.com] ~mx[mx.example.com]//64 "
                        "?a[] exp[why.%{d}] redirect[x.example] "
                        "unknown-modifier(foo)[bar]");
    assert_int_equal(rec.nterms, 7);
    assert_int_equal(rec.all, -1);
    assert_int_equal(rec.exp, 4);
    assert_int_equal(rec.redirect, 5);
    assert_int_equal(rec.terms[0].qual, PC_SPF_QUAL_PASS);
    assert_memory_equal(rec.terms[0].addr, "\xc0\x00\x02\x00", 4);
    assert_int_equal(rec.terms[0].text.len, strlen("ip4:192.0.2.0/24"));
    assert_int_equal(rec.terms[1].qual, PC_SPF_QUAL_FAIL);
    assert_int_equal(rec.terms[2].qual, PC_SPF_QUAL_SOFTFAIL);
    assert_int_equal(rec.terms[2].cidr4, 32); /* the default */
    assert_int_equal(rec.terms[3].qual, PC_SPF_QUAL_NEUTRAL);
    assert_int_equal(rec.terms[3].cidr6, 128);
    /* include, mx, a and redirect */
    assert_int_equal(rec.lookups, 4);
    assert_true(has_warn(&w, "unknown-modifier"));
}

static void test_parse_whitespace_case(void **state)
{
    static const rcase_t cases[] = {
        {"v=spf1", OK}, {"v=spf1 ", OK}, {"v=spf1    ", OK},
        {"v=spf1 a  -all", OK}, {"v=spf1   a -all   ", OK},
        /* not an SPF record at all */
        {"v=spf10 -all", 0}, {"v=spf1\t-all", 0}, {" v=spf1 -all", 0}, {"", 0},
        /* spaces only: tab, CR, LF and non-ASCII octets are permerror */
        {"v=spf1 a\t-all", 8}, {"v=spf1 a:ctrl.example.com\rptr -all", 25},
        {"v=spf1 ip4:192.0.2.5\n include:x.example ~all", 20},
        {"v=spf1 a:\xEF\xBB\xBFgarbage.example.net -all", 9},
        {"v=spf1 \x80" "a:example.net -all", 7},
        {"v=spf1 a:example.net \x96" "all", 21},
    };
    static const char nul[] = "v=spf1 a:foo.example.com\0";
    pc_spf_record_t rec;
    pc_perr_t e;
    char d[128];

    (void)state;
    RUN(cases);
    assert_int_equal(parse("V=SPF1 IP4:192.0.2.1 MX:EXAMPLE.COM -ALL "
                           "REDIRECT=X.ORG", &rec, NULL, NULL), 0);
    assert_string_equal(describe(&rec, d, sizeof(d)), "ip4[192.0.2.1] "
                        "mx[EXAMPLE.COM] -all[] redirect[X.ORG]");
    assert_int_equal(pc_spf_parse(nul, sizeof(nul) - 1, &rec, NULL, &e),
                     PC_ERECORD);
    assert_int_equal(e.pos, 24);
    assert_int_equal(pc_spf_parse("v=spf1 -all\0", 12, &rec, NULL, &e),
                     PC_ERECORD);
    assert_int_equal(e.pos, 11);
}

static void test_mechanism_syntax(void **state)
{
    static const rcase_t cases[] = {
        {"v=spf1 all +all -all ~all ?all", OK},
        {"v=spf1 include:example.com exists:%{i}.bl.example.com", OK},
        {"v=spf1 ptr ptr:example.com a mx a:example.com mx:example.com", OK},
        {"v=spf1 a:foo:bar/baz.example.com mx:foo:bar/baz.example.com", OK},
        {"v=spf1 a:foo.example.xn--zckzah -all", OK},
        {"v=spf1 a:mail.example...com a:%{H}.bar", OK},
        {"v=spf1 moo.cow-far_out=man:dog/cat ip4:1.2.3.4 -all", OK},
        {"v=spf1 -all.", 11}, {"v=spf1 -all:foobar", 11}, {"v=spf1 -all/8", 11},
        {"v=spf1 ip4:1.2.3.4 -all moo", 24},
        {"v=spf1 moo.cow/far_out=man:dog/cat ip4:1.2.3.4 -all", 7},
        {"v=spf1 moo.cow:far_out=man:dog/cat ip4:1.2.3.4 -all", 7},
        {"v=spf1 ip4:1.2.3.4 redirect:t2.example.com", 19},
        {"v=spf1 include +all", 14}, {"v=spf1 include:", 15},
        {"v=spf1 include: -all", 15},
        {"v=spf1 include:ip5.example.com/24 -all", ANY}, {"v=spf1 exists", 13},
        {"v=spf1 exists:", 14}, {"v=spf1 exists:mail.example.com/24", ANY},
        {"v=spf1 ptr/0 -all", 10}, {"v=spf1 ptr:", 11}, {"v=spf1 a:", 9},
        {"v=spf1 mx: -all", 10}, {"v=spf1 a.example.com", 8}, {"v=spf1 +", 8},
        {"v=spf1 -:example.com", 8}, {"v=spf1 !a:yahoo.com", 7},
        {"v=spf1 ++all", 8}, {"v=spf1 ip4", 10}, {"v=spf1 -all ip6", 15},
    };
    (void)state;
    RUN(cases);
}

static void test_cidr(void **state)
{
    char d[256];
    static const rcase_t cases[] = {
        {"v=spf1 a/33 -all", 9}, {"v=spf1 a//129 -all", 10},
        {"v=spf1 mx/33 -all", 10}, {"v=spf1 mx//129 -all", 11},
        {"v=spf1 a/24/64 -all", 11}, {"v=spf1 a/032", 9}, {"v=spf1 a/00", 9},
        {"v=spf1 a//064", 10}, {"v=spf1 a/", 8}, {"v=spf1 a//", 10},
        {"v=spf1 a/24/", 11}, {"v=spf1 a/24//64/", 15}, {"v=spf1 a/x", 9},
        {"v=spf1 a:x.example/33", 19}, {"v=spf1 a:x.example/24/64", ANY},
        {"v=spf1 a:/24", 9}, {"v=spf1 ip4:1.2.3.4/33 -all", 19},
        {"v=spf1 ip4:1.2.3.4/032 -all", 19}, {"v=spf1 ip4:1.2.3.4//32", 18},
        {"v=spf1 ip4:1.2.3.4/", 19}, {"v=spf1 ip6:::1.1.1.1/129", 21},
        {"v=spf1 ip6:::1.1.1.1//33", 20}, {"v=spf1 ip6:::1/0128", 15},
        {"v=spf1 ip6:::1/1x", 16},
    };
    pc_spf_record_t rec;

    (void)state;
    assert_int_equal(parse("v=spf1 a/24//64 mx//0 a:x.example/0 "
                           "mx:x.example/32//128 a//33 ip4:1.1.1.1/0 "
                           "ip6:::1/128", &rec, NULL, NULL), 0);
    assert_string_equal(describe(&rec, d, sizeof(d)), "a[]/24//64 mx[]//0 "
                        "a[x.example]/0 mx[x.example]/32//128 a[]//33 "
                        "ip4[1.1.1.1]/0 ip6[::1]//128");
    assert_int_equal(rec.terms[1].cidr4, 32);
    assert_int_equal(rec.terms[5].cidr6, 128);
    RUN(cases);
}

static void test_ip_addresses(void **state)
{
    static const rcase_t cases[] = {
        {"v=spf1 ip6:1:2:3:4:5:6:7:8 ip6:::1.1.1.1/0 ip6:::", OK},
        {"v=spf1 ip4:1.2.3", 11}, {"v=spf1 ip4:1.2.3.4:8080", 18},
        {"v=spf1 ip4:01.2.3.4", 11}, {"v=spf1 ip4:1.2.3.04", 11},
        {"v=spf1 ip4:1.2.3.256", 11}, {"v=spf1 ip4:1.2.3.4.5", 18},
        {"v=spf1 ip4:1..3.4", 11}, {"v=spf1 ip4:", 11},
        {"v=spf1 ip4:1.2.3.4a", 18}, {"v=spf1 ip4:::1", 11},
        {"v=spf1 ip6::CAFE::BABE", 11}, {"v=spf1 ip6:1.2.3.4", 11},
        {"v=spf1 ip6:", 11}, {"v=spf1 ip6:1:2:3:4:5:6:7:8:9", 11},
        {"v=spf1 ip6:::01.1.1.1", 11}, {"v=spf1 ip6:fe80::1%eth0", 11},
        {"v=spf1 ip6:11111::", 11},
    };
    pc_spf_record_t rec;
    static const uint8_t v6[16] = {0xca, 0xfe, 0xba, 0xbe, 0x80};
    static const uint8_t mapped[16] = {[10] = 0xff, [11] = 0xff, 1, 2, 3, 4};

    (void)state;
    assert_int_equal(parse("v=spf1 ip4:255.249.0.10 ip6:Cafe:Babe:8000::/33 "
                           "ip6:::FFFF:1.2.3.4", &rec, NULL, NULL), 0);
    assert_memory_equal(rec.terms[0].addr, "\xff\xf9\x00\x0a", 4);
    assert_memory_equal(rec.terms[1].addr, v6, 16);
    assert_int_equal(rec.terms[1].cidr6, 33);
    assert_memory_equal(rec.terms[2].addr, mapped, 16);
    RUN(cases);
}

static void test_domain_spec(void **state)
{
    static const rcase_t cases[] = {
        {"v=spf1 a:a.b a:.museum a:x.y. a:x.1-2 a:x.a1 a:x.1a a:x.xn--p1ai", OK},
        {"v=spf1 a:%{d} a:%{d}.x a:x.%{d} a:%%.com a:%_ a:x%-", OK},
        {"v=spf1 include:_spf.google.com exists:%{ir}.%{l1r+-}._spf.%{d}", OK},
        {"v=spf1 a:macro%%percent%_%_space%-url-space.example.com -all", OK},
        {"v=spf1 a:foo-bar -all", 9}, {"v=spf1 a:museum", 9},
        {"v=spf1 a:museum.", 9}, {"v=spf1 a:abc.123", 13},
        {"v=spf1 mx:abc.123", 14}, {"v=spf1 a:111.222.33.44", 9},
        {"v=spf1 a:example.-com", 17}, {"v=spf1 a:example.com-", 20},
        {"v=spf1 a:example.com:8080", 20}, {"v=spf1 a:example.com..", 21},
        {"v=spf1 a:example.c_m", 18}, {"v=spf1 a:%{d}.", 13},
        {"v=spf1 a:%{d}com", 13}, {"v=spf1 a:x.%%com", 13},
        {"v=spf1 exists:%(ir).sbl.example.com", 14},
        {"v=spf1 exists:foo%(ir).sbl.example.com", 17},
        {"v=spf1 exists:foo%.sbl.example.com", 17},
        {"v=spf1 a:%{a}.example.com", 11},
        {"v=spf1 -exists:%{c}.x.example", 17},
    };
    (void)state;
    RUN(cases);
}

static void test_modifiers(void **state)
{
    static const rcase_t cases[] = {
        {"v=spf1 exp=explain.%{d} redirect=_spf.%{d2}", OK},
        {"v=spf1 default=pass default=+ a.b_c-d.9=x foo= bar=%{c}%{r}%{t}", OK},
        {"v=spf1 exp=a.example -all exp=b.example", 26},
        {"v=spf1 redirect=a.example -all REDIRECT=a.example", 31},
        {"v=spf1 exp= -all", 11}, {"v=spf1 ?all redirect=", 21},
        {"v=spf1 exp=-all", 11}, {"v=spf1 redirect=-all ?all", 16},
        {"v=spf1 -all exp=%{r}.example.com", 18}, {"v=spf1 -all foo=%abc", 16},
        {"v=spf1 1up=foo", 7}, {"v=spf1 =all", 7}, {"v=spf1 _x=y", 7},
        {"v=spf1 -redirect=x.example", 7}, {"v=spf1 exp:x.example", 7},
        {"v=spf1 foo=a b=%", 15},
    };
    pc_spf_record_t rec;
    char d[128];

    (void)state;
    RUN(cases);
    /* modifier names are case-insensitive; a mechanism-named modifier is an
     * (ignored) unknown modifier */
    assert_int_equal(parse("v=spf1 Exp=x.example ip4=1.2.3.4", &rec, NULL,
                           NULL), 0);
    assert_string_equal(describe(&rec, d, sizeof(d)),
                        "exp[x.example] unknown-modifier(ip4)[1.2.3.4]");
}

/* ---- macros --------------------------------------------------------------- */

/* All tokens of s, one word each: L'text'@off+len for literals, E for
 * escapes, M<letter>[U]<keep>[r][delims]@off+len for macros. */
static void tokens(const char *s, size_t len, unsigned flags, char *out,
                   size_t cap)
{
    pc_spf_macro_iter_t it;
    pc_spf_mtok_t t;
    size_t n = 0;
    int rc;

    out[0] = '\0';
    assert_int_equal(pc_spf_macro_init(&it, s, len, flags), 0);
    while ((rc = pc_spf_macro_next(&it, &t, NULL)) == 1) {
        if (t.kind == PC_SPF_MTOK_MACRO)
            n += (size_t)snprintf(out + n, cap - n, "%sM%c%s%u%s[%s]@%zu+%zu",
                                  n ? " " : "", t.letter, t.upper ? "U" : "",
                                  t.keep, t.reverse ? "r" : "", t.delims,
                                  t.off, t.len);
        else
            n += (size_t)snprintf(out + n, cap - n, "%s%c'%.*s'@%zu+%zu",
                                  n ? " " : "",
                                  t.kind == PC_SPF_MTOK_LITERAL ? 'L' : 'E',
                                  (int)t.text_len, t.text, t.off, t.len);
        assert_true(n < cap);
        assert_true(t.kind == PC_SPF_MTOK_MACRO ? t.text == NULL
                                                 : t.text_len > 0);
    }
    assert_int_equal(rc, 0);
    assert_int_equal(pc_spf_macro_next(&it, &t, NULL), 0);
}

static void test_macro_tokens(void **state)
{
    const char *s = "a%{L2r+-.}.%%%_%-%{ir}%{d}%{h999}%{v..-}x";
    char out[512];

    (void)state;
    tokens(s, strlen(s), 0, out, sizeof(out));
    assert_string_equal(out, "L'a'@0+1 MlU2r[+-.]@1+9 L'.'@10+1 E'%'@11+2 "
                        "E' '@13+2 E'%20'@15+2 Mi0r[]@17+5 Md0[]@22+4 "
                        "Mh255[]@26+7 Mv0[.-]@33+7 L'x'@40+1");
    tokens("x %{C}y%{t1} z", 14, PC_SPF_MACRO_EXPLAIN, out, sizeof(out));
    assert_string_equal(out, "L'x '@0+2 McU0[]@2+4 L'y'@6+1 Mt1[]@7+5 "
                        "L' z'@12+2");
    tokens("", 0, 0, out, sizeof(out));
    assert_string_equal(out, "");
}

static void test_macro_errors(void **state)
{
    static const rcase_t bad[] = { /* macro-string, offset of the error */
        {"%", 0},      {"ab%", 2},    {"%x", 0},      {"%{", 0},
        {"%{d", 0},    {"%{a}", 2},   {"%{d0}", 3},   {"%{d00}", 4},
        {"%{dr2}", 4}, {"%{d2 }", 4}, {"%{c}", 2},    {"%{R}", 2},
        {"%{t}", 2},   {"a b", 1},    {"a\x80", 1},  {"%{d}%", 4},
        {"%{}", 2},    {"%{d.-x}", 5}, {"x%{D", 1},   {"%{\xff}", 2},
    };
    pc_spf_macro_iter_t it;
    pc_spf_mtok_t t;
    pc_perr_t e;
    size_t i;
    int rc;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&e, 0, sizeof(e));
        rc = pc_spf_macro_check(bad[i].rec, strlen(bad[i].rec), 0, NULL, &e);
        if (rc != PC_ERECORD || e.pos != bad[i].pos)
            print_error("\"%s\": rc %d pos %zu (%s)\n", bad[i].rec, rc, e.pos,
                        e.reason);
        assert_int_equal(rc, PC_ERECORD);
        assert_int_equal(e.pos, bad[i].pos);
        assert_true(e.reason[0] != '\0');
    }
    assert_int_equal(pc_spf_macro_check("a\0b", 3, 0, NULL, &e), PC_ERECORD);
    assert_int_equal(e.pos, 1);
    assert_int_equal(pc_spf_macro_check("%{d}}{", 6, 0, NULL, &e), 0);
    /* the iterator stays failed */
    assert_int_equal(pc_spf_macro_init(&it, "%x%%", 4, 0), 0);
    assert_int_equal(pc_spf_macro_next(&it, &t, NULL), PC_ERECORD);
    assert_int_equal(pc_spf_macro_next(&it, &t, NULL), PC_ERECORD);
    /* invalid arguments */
    assert_int_equal(pc_spf_macro_init(NULL, "a", 1, 0), PC_EINVAL);
    assert_int_equal(pc_spf_macro_init(&it, NULL, 1, 0), PC_EINVAL);
    assert_int_equal(pc_spf_macro_next(&it, &t, NULL), PC_ERECORD);
    assert_int_equal(pc_spf_macro_init(&it, "a", 1, 0x80), PC_EINVAL);
    assert_int_equal(pc_spf_macro_next(NULL, &t, NULL), PC_EINVAL);
    assert_int_equal(pc_spf_macro_init(&it, "a", 1, 0), 0);
    assert_int_equal(pc_spf_macro_next(&it, NULL, NULL), PC_EINVAL);
    assert_int_equal(pc_spf_macro_check(NULL, 1, 0, NULL, NULL), PC_EINVAL);
    assert_int_equal(pc_spf_macro_check(NULL, 0, 0, NULL, NULL), 0);
    assert_int_equal(pc_spf_domain_spec_check(NULL, 1, 0, NULL, NULL),
                     PC_EINVAL);
    assert_int_equal(pc_spf_domain_spec_check("", 0, 0, NULL, &e), PC_ERECORD);
}

static void test_macro_explain(void **state)
{
    static const rcase_t cases[] = { /* explain-string, OK or error offset */
        {"", OK}, {"This is a test.", OK}, {"%{l} in implementation", OK},
        {"%{c} is queried as %{ir}.%{v}.arpa", OK},
        {"http://example.com/why.html?l=%{L}", OK},
        {"%{S} %{C} %{R} %{t}  x ", OK}, {"The %{x}-files.", 6},
        {"\xEF\xBB\xBF" "E", 0}, {"50%", 2}, {"tab\there", 3},
    };
    pc_perr_t e;
    size_t i;
    int p;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int rc = pc_spf_macro_check(cases[i].rec, strlen(cases[i].rec),
                                    PC_SPF_MACRO_EXPLAIN, NULL, &e);
        assert_int_equal(rc, cases[i].pos == OK ? 0 : PC_ERECORD);
        if (rc != 0)
            assert_int_equal(e.pos, cases[i].pos);
    }
    assert_int_equal(pc_spf_macro_check("a %{p}", 6, PC_SPF_MACRO_EXPLAIN, &p,
                                        NULL), 0);
    assert_int_equal(p, 1);
    assert_int_equal(pc_spf_macro_check("a %{d}", 6, PC_SPF_MACRO_EXPLAIN, &p,
                                        NULL), 0);
    assert_int_equal(p, 0);
    assert_int_equal(pc_spf_domain_spec_check("%{P}.x", 6, 0, &p, NULL), 0);
    assert_int_equal(p, 1);
}

/* ---- counts, warnings, limits ---------------------------------------------- */

static void test_counts_warnings(void **state)
{
    /* record, DNS-querying terms, "+code" warned and "-code" not warned */
    static const struct {
        const char *rec;
        unsigned lookups;
        const char *warn;
    } cases[] = {
        {"v=spf1 a mx ptr include:x.example exists:%{i}.x.example "
         "ip4:192.0.2.1 ip6:::1 exp=x.example redirect=y.example", 6,
         "+ptr-used -lookups-near-limit -p-macro-used -no-all-no-redirect"},
        /* redirect and mechanisms after "all" are unreachable: not counted */
        {"v=spf1 a -all mx redirect=y.example", 1,
         "+redirect-with-all +terms-after-all -plus-all"},
        {"v=spf1 a mx a mx a mx a mx a ptr ip4:1.2.3.4 -all", 10,
         "+lookups-near-limit -lookups-over-limit"},
        {"v=spf1 a mx a mx a mx a mx a ptr a ip4:1.2.3.4 -all", 11,
         "+lookups-over-limit -lookups-near-limit"},
        {"v=spf1 a a a a a a a redirect=x.example", 8, "+lookups-near-limit"},
        {"v=spf1 a a a a a a a -all", 7, "-lookups-near-limit"},
        {"v=spf1 +all", 0, "+plus-all -no-all-no-redirect"},
        {"v=spf1 all", 0, "+plus-all"},
        {"v=spf1 ?all", 0, "-plus-all"},
        {"v=spf1 -all +all", 0, "-plus-all +terms-after-all"},
        {"v=spf1 ip4:192.0.2.1", 0, "+no-all-no-redirect"},
        {"v=spf1", 0, "+no-all-no-redirect"},
        {"v=spf1 redirect=x.example ~all", 0, "+redirect-with-all"},
        {"v=spf1 -all exp=x.example foo=bar", 0, "-terms-after-all"},
        {"v=spf1 ptr:x.example -all", 1, "+ptr-used"},
        {"v=spf1 exists:%{p}.x.example -all", 1, "+p-macro-used"},
        {"v=spf1 -all foo=%{p}", 0, "+p-macro-used +unknown-modifier"},
        {"v=spf1 -all default=pass", 0, "+unknown-modifier"},
        {"v=spf1 ip4:0.0.0.0/0 -all", 0, "+plus-any-ip"},
        {"v=spf1 -ip6:::/0 ip6:::/1 -all", 0, "-plus-any-ip"},
        {"v=spf1 ip6:::/0 -all", 0, "+plus-any-ip -record-long"},
    };
    pc_spf_record_t rec;
    pc_warnings_t w;
    size_t i;
    const char *p;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(parse(cases[i].rec, &rec, &w, NULL), 0);
        assert_int_equal(rec.lookups, cases[i].lookups);
        for (p = cases[i].warn; *p != '\0'; p += strspn(p, " ")) {
            char code[32];
            size_t n = strcspn(p + 1, " ");

            snprintf(code, sizeof(code), "%.*s", (int)n, p + 1);
            if (has_warn(&w, code) != (*p == '+'))
                print_error("\"%s\": warning %s: %d\n", cases[i].rec, code,
                            has_warn(&w, code));
            assert_int_equal(has_warn(&w, code), *p == '+');
            p += n + 1;
        }
        assert_true(w.n == 0 || w.w[0].text[0] != '\0');
    }
    /* failure leaves the warnings empty */
    assert_int_equal(parse("v=spf1 ptr +all moo", &rec, &w, NULL), PC_ERECORD);
    assert_int_equal(w.n, 0);
}

static void test_limits(void **state)
{
    static char buf[PC_SPF_TEXT_MAX + 16];
    pc_spf_record_t rec;
    pc_warnings_t w;
    pc_perr_t e;
    size_t n;
    int i;

    (void)state;
    n = (size_t)snprintf(buf, sizeof(buf), "v=spf1");
    for (i = 0; i < PC_SPF_TERMS_MAX; i++)
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, " ?a:xx.example");
    assert_int_equal(pc_spf_parse(buf, n, &rec, &w, &e), 0);
    assert_int_equal(rec.nterms, PC_SPF_TERMS_MAX);
    assert_int_equal(rec.lookups, PC_SPF_TERMS_MAX);
    assert_true(has_warn(&w, "record-long"));
    assert_true(has_warn(&w, "lookups-over-limit"));
    n += (size_t)snprintf(buf + n, sizeof(buf) - n, " -all");
    assert_int_equal(pc_spf_parse(buf, n, &rec, &w, &e), PC_ERECORD);
    assert_int_equal(e.pos, n - 4);
    /* text length */
    memset(buf, 'x', sizeof(buf));
    memcpy(buf, "v=spf1 exp=", 11);
    memcpy(buf + PC_SPF_TEXT_MAX - 4, ".org", 4);
    assert_int_equal(pc_spf_parse(buf, PC_SPF_TEXT_MAX, &rec, NULL, &e), 0);
    assert_int_equal(rec.len, PC_SPF_TEXT_MAX);
    assert_int_equal(pc_spf_parse(buf, PC_SPF_TEXT_MAX + 1, &rec, NULL, &e),
                     PC_ERECORD);
    assert_int_equal(e.pos, PC_SPF_TEXT_MAX);
    /* warnings beyond PC_WARN_MAX are counted as dropped */
    n = (size_t)snprintf(buf, sizeof(buf), "v=spf1");
    for (i = 0; i < 20; i++)
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, " m%d=x", i);
    assert_int_equal(pc_spf_parse(buf, n, &rec, &w, &e), 0);
    assert_int_equal(w.n, PC_WARN_MAX);
    assert_true(w.dropped >= 5);
}

/* ---- field visitor ---------------------------------------------------------- */

typedef struct collect {
    unsigned n, stop_at;
    char out[1024];
} collect_t;

static int collect_cb(void *arg, const char *name, const char *value,
                      unsigned flags)
{
    collect_t *c = arg;
    size_t used = strlen(c->out);

    snprintf(c->out + used, sizeof(c->out) - used, "%s%s=%s%s", c->n ? "|" : "",
             name, value, flags & PC_FIELD_EXPLICIT ? "" : "(d)");
    if (++c->n == c->stop_at)
        return PC_ECANCELED;
    return 0;
}

static void test_fields(void **state)
{
    pc_spf_record_t rec;
    collect_t c;

    (void)state;
    assert_int_equal(parse("v=spf1 -ALL include:_spf.x.org a:x.org/24//64 mx/24 "
                           "ip6:::1 ~ptr Redirect=r.org Foo.Bar=%{d}", &rec,
                           NULL, NULL), 0);
    memset(&c, 0, sizeof(c));
    assert_int_equal(pc_spf_fields(&rec, collect_cb, &c), 0);
    assert_string_equal(c.out, "v=spf1|all=-|include=+_spf.x.org(d)|"
                        "a=+x.org/24//64(d)|mx=+/24(d)|ip6=+::1(d)|ptr=~|"
                        "redirect=r.org|foo.bar=%{d}");
    memset(&c, 0, sizeof(c));
    c.stop_at = 2;
    assert_int_equal(pc_spf_fields(&rec, collect_cb, &c), PC_ECANCELED);
    assert_int_equal(c.n, 2);
    assert_int_equal(pc_spf_fields(NULL, collect_cb, &c), PC_EINVAL);
    assert_int_equal(pc_spf_fields(&rec, NULL, &c), PC_EINVAL);
    assert_int_equal(parse("v=spf1", &rec, NULL, NULL), 0);
    memset(&c, 0, sizeof(c));
    assert_int_equal(pc_spf_fields(&rec, collect_cb, &c), 0);
    assert_string_equal(c.out, "v=spf1");
    /* field names are cut to PC_SPF_FIELD_NAME_MAX */
    assert_int_equal(parse("v=spf1 a23456789.123456789.123456789.123456789."
                           "123456789.123456789.123456789=X", &rec, NULL,
                           NULL), 0);
    memset(&c, 0, sizeof(c));
    assert_int_equal(pc_spf_fields(&rec, collect_cb, &c), 0);
    assert_string_equal(c.out, "v=spf1|a23456789.123456789.123456789.123456789."
                        "123456789.123456789.1234=X");
    assert_string_equal(pc_spf_kind_name(PC_SPF_MOD_UNKNOWN), "unknown-modifier");
    assert_string_equal(pc_spf_kind_name((pc_spf_kind_t)99), "?");
}



/* ---- RFC 7208 test suite, syntax only ---------------------------------------
 * Every TXT/SPF string of the suite's zone data is fed to the grammar: each
 * v=spf1 record must parse unless it is listed below as a syntax permerror,
 * and every other TXT record must be a valid explain-string unless listed.
 * Lists name the section (prefix of its description) and the first labels of
 * <label>.example.com zones; only names are written here, no suite text. */
static const struct {
    const char *section, *names, *warn;
} suite_list[] = {
    {"Initial processing", "hosed hosed2 hosed3 ctrl badip", NULL},
    {"Record evaluation", "t1 t3 t4 t8 t9", NULL},
    {"ALL mechanism", "e1 e2 e3", NULL},
    {"PTR mechanism", "e1 e5", NULL},
    {"A mechanism", "e3 e4 e5 e5a e5b e6a e7 e8e e9 e12 e13", NULL},
    {"Include mechanism", "e6 e8 e9", NULL},
    {"MX mechanism", "e3 e5 e6a e7 e9 e12 e13", NULL},
    {"EXISTS mechanism", "e1 e2 e3", NULL},
    {"IP4 mechanism", "e3 e4 e5 e6 e8 e9", NULL},
    {"IP6 mechanism", "e1 e3 e4 e6", NULL},
    {"Semantics of exp", "e5 e6 e9 e12 e14 e15 e16 e17 e18", NULL},
    {"Macro expansion", "e1 e1e e1t e2 e5", NULL},
    /* explanation strings that are not valid explain-strings */
    {"Initial processing", "nothosed", "explain"},
    {"Semantics of exp", "e13msg badexp", "explain"},
    /* warnings expected on valid records */
    {"Processing limits", "e7", "lookups-over-limit"},
    {"Processing limits", "e6", "lookups-near-limit"},
    {"Record evaluation", "t5", "redirect-with-all"},
    {"PTR mechanism", "e3 e4", "ptr-used"},
};

typedef struct yrec {
    char buf[1024];
    size_t used, n;
    pc_spf_str_t strs[8];
} yrec_t;

/* Is (section, zone) listed with this warn value (NULL: syntax error)? */
static int suite_listed(const char *sec, const char *zone, const char *warn)
{
    const char *dot = strchr(zone, '.');
    size_t i, l = dot != NULL ? (size_t)(dot - zone) : 0;

    if (dot == NULL || strcmp(dot, ".example.com") != 0)
        return 0;
    for (i = 0; i < sizeof(suite_list) / sizeof(suite_list[0]); i++) {
        const char *w = suite_list[i].names;

        if (strncmp(sec, suite_list[i].section, strlen(suite_list[i].section)) ||
            (warn == NULL) != (suite_list[i].warn == NULL) ||
            (warn != NULL && strcmp(warn, suite_list[i].warn) != 0))
            continue;
        for (; *w != '\0'; w += strcspn(w, " "), w += *w == ' ')
            if (strcspn(w, " ") == l && strncmp(w, zone, l) == 0)
                return 1;
    }
    return 0;
}

/* One YAML scalar (plain, '...' or "..." with \xHH \0 \\ \" escapes). */
static int y_scalar(const char **pp, yrec_t *y)
{
    const char *p = *pp;
    char *o = y->buf + y->used, *start = o, *lim = y->buf + sizeof(y->buf);
    char q = (*p == '"' || *p == '\'') ? *p++ : '\n';
    unsigned v;

    if (y->n == sizeof(y->strs) / sizeof(y->strs[0]))
        return -1;
    for (; *p != q && *p != '\0' && (*p != '\n' || q == '\n'); o++) {
        if (o == lim || (*p == '\\' && q != '"'))
            return -1; /* plain and '...' scalars: no escapes in the suite */
        if (*p != '\\')
            *o = *p++;
        else if (p[1] == 'x' && sscanf(p + 2, "%2x", &v) == 1)
            *o = (char)v, p += 4;
        else if (p[1] == '0' || p[1] == '\\' || p[1] == '"')
            *o = p[1] == '0' ? '\0' : p[1], p += 2;
        else
            return -1;
    }
    if (q != '\n' && *p++ != q)
        return -1;
    while (q == '\n' && o > start && o[-1] == ' ')
        o--;
    y->strs[y->n].ptr = start;
    y->strs[y->n++].len = (size_t)(o - start);
    y->used = (size_t)(o - y->buf);
    *pp = p;
    return 0;
}

static void suite_record(const char *sec, const char *zone, const yrec_t *y,
                         unsigned *parsed, unsigned *listed)
{
    pc_spf_txt_t rr = {y->strs, y->n};
    pc_spf_record_t rec;
    pc_warnings_t w;
    pc_perr_t e = {0, ""};
    char text[1024];
    size_t len, i;
    int rc, bad;

    rc = pc_spf_select(&rr, 1, text, sizeof(text), &len, NULL);
    if (rc == PC_ENOENT) {
        bad = suite_listed(sec, zone, "explain");
        rc = pc_spf_macro_check(y->buf, y->used, PC_SPF_MACRO_EXPLAIN, NULL, &e);
    } else {
        bad = suite_listed(sec, zone, NULL);
        rc = pc_spf_parse(text, len, &rec, &w, &e);
        (*parsed)++;
        for (i = 0; i < sizeof(suite_list) / sizeof(suite_list[0]); i++) {
            const char *code = suite_list[i].warn;

            if (rc == 0 && code != NULL && strcmp(code, "explain") != 0 &&
                suite_listed(sec, zone, code)) {
                assert_true(has_warn(&w, code));
                (*listed)++;
            }
        }
    }
    if ((rc != 0) != bad)
        print_error("suite [%.30s] %s: \"%.*s\": rc %d (%s at %zu)\n", sec,
                    zone, (int)y->used, y->buf, rc, e.reason, e.pos);
    assert_int_equal(rc != 0, bad);
    assert_true(rc == 0 || rc == PC_ERECORD);
    *listed += (unsigned)bad;
}

static void test_rfc7208_suite(void **state)
{
    const char *path = *state, *p, *sec = "";
    char zone[256] = "";
    unsigned parsed = 0, listed = 0, want = 0;
    size_t i, n;
    char *data = pc_test_read_file(path, NULL);

    assert_non_null(data);
    for (i = 0; i < sizeof(suite_list) / sizeof(suite_list[0]); i++)
        for (p = suite_list[i].names; *p != '\0'; p += *p == ' ')
            want++, p += strcspn(p, " ");
    for (p = data; *p != '\0'; p += strcspn(p, "\n"), p += *p == '\n') {
        if (strncmp(p, "description: ", 13) == 0) {
            sec = p + 13;
        } else if (p[0] == ' ' && p[1] == ' ' && p[2] != ' ' && p[2] != '-') {
            n = strcspn(p + 2, ":\n");
            if (p[2] == '"')
                n = strcspn(p + 3, "\"\n") + 2;
            snprintf(zone, sizeof(zone), "%.*s", (int)(p[2] == '"' ? n - 2 : n),
                     p + 2 + (p[2] == '"'));
        } else if (strncmp(p, "    - SPF:", 10) == 0 ||
                   strncmp(p, "    - TXT:", 10) == 0) {
            yrec_t y;
            const char *v = p + 10 + strspn(p + 10, " ");

            memset(&y, 0, sizeof(y));
            if (strncmp(v, "NONE", 4) == 0)
                continue;
            if (*v == '[') {
                for (v++;;) {
                    v += strspn(v, " ,");
                    if (*v == ']')
                        break;
                    assert_int_equal(y_scalar(&v, &y), 0);
                }
            } else {
                assert_int_equal(y_scalar(&v, &y), 0);
            }
            suite_record(sec, zone, &y, &parsed, &listed);
        }
    }
    free(data);
    print_message("RFC 7208 suite: %u v=spf1 records parsed, %u of %u listed"
                  " expectations met\n", parsed, listed, want);
    assert_true(parsed > 100);
    assert_int_equal(listed, want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_select),
        cmocka_unit_test(test_select_buffers),
        cmocka_unit_test(test_select_rdata),
        cmocka_unit_test(test_parse_structure),
        cmocka_unit_test(test_parse_whitespace_case),
        cmocka_unit_test(test_mechanism_syntax),
        cmocka_unit_test(test_cidr),
        cmocka_unit_test(test_ip_addresses),
        cmocka_unit_test(test_domain_spec),
        cmocka_unit_test(test_modifiers),
        cmocka_unit_test(test_macro_tokens),
        cmocka_unit_test(test_macro_errors),
        cmocka_unit_test(test_macro_explain),
        cmocka_unit_test(test_counts_warnings),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_fields),
    };
    const char *path;
    int rc = cmocka_run_group_tests_name("spf", tests, NULL, NULL);

    if (rc != 0)
        return rc;
    /* exits with PC_TEST_SKIP (reported as skipped) if the suite is absent */
    path = pc_test_conformance_file("spf/rfc7208-tests.yml");
    {
        const struct CMUnitTest suite[] = {
            cmocka_unit_test_prestate(test_rfc7208_suite, (void *)(uintptr_t)path),
        };
        return cmocka_run_group_tests_name("spf-rfc7208", suite, NULL, NULL);
    }
}
