/*
 * test_dmarc.c - unit tests of the DMARC record grammar (proto/dmarc.c):
 * hand-written cases, then every case of the third-party conformance file
 * dmarc/record_vectors.json, each with our own stated expectation.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "polcache/error.h"
#include "dmarc.h"
#include "grammar_testutil.h"
#include "testutil.h"

/* ---- helpers ------------------------------------------------------------ */

static int parse_n(const char *s, size_t n, pc_dmarc_t *d, pc_perr_t *e)
{
    return pc_dmarc_parse(s, n, d, e);
}

static int parse(const char *s, pc_dmarc_t *d)
{
    return pc_dmarc_parse(s, strlen(s), d, NULL);
}

/* has_warning, field (the visitor's value of one field; asserts it
 * exists), assert_field */
GT_RECORD_HELPERS(pc_dmarc_t, pc_dmarc_fields)

/* The longest value the visitor gives: a full rua or ruf list. */
_Static_assert(sizeof(((gt_probe_t *)0)->value) > PC_DMARC_URIS_MAX * (PC_DMARC_URI_LEN + 24),
               "gt_probe_t holds every DMARC field");

/* ---- arguments and the version prefix ---------------------------------- */

static void test_args(void **state)
{
    pc_dmarc_t *d = malloc(sizeof(*d));
    pc_perr_t e;

    (void)state;
    assert_non_null(d);
    assert_int_equal(pc_dmarc_parse("v=DMARC1", 8, NULL, &e), PC_EINVAL);
    assert_int_equal(pc_dmarc_parse(NULL, 3, d, &e), PC_EINVAL);
    assert_int_equal(pc_dmarc_parse(NULL, 0, d, &e), PC_ENOENT);
    assert_int_equal(d->status, PC_DMARC_NOT_DMARC);
    assert_int_equal(pc_dmarc_parse("v=DMARC1; p=none", 16, d, NULL), 0);
    assert_int_equal(pc_dmarc_fields(NULL, gt_probe_cb, NULL), PC_EINVAL);
    assert_int_equal(pc_dmarc_fields(d, NULL, NULL), PC_EINVAL);
    assert_string_equal(pc_dmarc_policy_name((pc_dmarc_policy_t)9), "?");
    assert_string_equal(pc_dmarc_status_name((pc_dmarc_status_t)9), "?");
    assert_string_equal(pc_dmarc_status_name(PC_DMARC_AS_NONE), "as-none");
    free(d);
}

static void test_version(void **state)
{
    pc_dmarc_t *d = malloc(sizeof(*d));
    pc_perr_t e;

    (void)state;
    assert_non_null(d);
    /* not first, wrong case, trailing junk, leading space: not DMARC */
    assert_int_equal(parse("p=none; v=DMARC1", d), PC_ENOENT);
    assert_int_equal(parse_n("v=Dmarc1; p=none", 16, d, &e), PC_ENOENT);
    assert_int_equal(e.pos, 2);
    assert_int_equal(parse("v=DMARC1x; p=none", d), PC_ENOENT);
    assert_int_equal(parse("v=DMARC1 x; p=none", d), PC_ENOENT);
    assert_int_equal(parse(" v=DMARC1; p=none", d), PC_ENOENT);
    assert_int_equal(parse("v;DMARC1; p=none", d), PC_ENOENT);
    assert_int_equal(parse("v=DMARC", d), PC_ENOENT);
    assert_int_equal(parse("spf1", d), PC_ENOENT);
    assert_int_equal(d->status, PC_DMARC_NOT_DMARC);
    /* the tag name is case-insensitive, WSP allowed around '=' and ';' */
    assert_int_equal(parse("V=DMARC1;p=none", d), 0);
    assert_int_equal(parse("v \t= \tDMARC1 \t; p=none", d), 0);
    assert_int_equal(parse("v=DMARC1 ", d), PC_ERECORD);
    assert_int_equal(d->status, PC_DMARC_NO_POLICY);
    /* a second v= makes the tag-list invalid */
    assert_int_equal(parse_n("v=DMARC1; p=none; v=DMARC1", 26, d, &e),
                     PC_ERECORD);
    assert_int_equal(d->status, PC_DMARC_INVALID);
    assert_int_equal(e.pos, 18);
    free(d);
}

/* Any octet may appear, NUL included; the length is what counts. */
static void test_nul_octets(void **state)
{
    static const char a[] = "v=DMARC1\0; p=reject";
    static const char b[] = "v=DMARC1; p=reject\0";
    static const char c[] = "v=DMARC1; p=reject; rua=mailto:x@example.org\0";
    static const char f[] = "v=DMARC1; p=reject; x\0y=1; fo=\0";
    static const char g[] = "v=DMARC1; p=none";
    pc_dmarc_t *d = malloc(sizeof(*d));
    pc_perr_t e;

    (void)state;
    assert_non_null(d);
    assert_int_equal(parse_n(a, sizeof(a) - 1, d, &e), PC_ENOENT);
    assert_int_equal(e.pos, 8);
    assert_int_equal(parse_n(b, sizeof(b) - 1, d, &e), PC_ERECORD);
    assert_true(d->invalid_tags & PC_DMARC_TAG_P);
    assert_int_equal(e.pos, 12);
    assert_int_equal(parse_n(c, sizeof(c) - 1, d, &e), 0);
    assert_int_equal(d->rua.valid, 0);
    assert_true(has_warning(d, "invalid-value"));
    assert_true(has_warning(d, "no-rua"));
    assert_int_equal(parse_n(f, sizeof(f) - 1, d, &e), 0);
    assert_true(has_warning(d, "malformed-tag"));
    assert_true(d->invalid_tags & PC_DMARC_TAG_FO);
    /* only len octets are read: the text need not be NUL-terminated */
    assert_int_equal(parse_n(g, 12, d, &e), PC_ERECORD); /* "v=DMARC1; p=" */
    assert_int_equal(parse_n(g, 14, d, &e), PC_ERECORD); /* "...p=no" */
    assert_int_equal(parse_n(g, 16, d, &e), 0);
    free(d);
}

/* ---- tag values --------------------------------------------------------- */

static void test_minimal_and_defaults(void **state)
{
    pc_dmarc_t *d = malloc(sizeof(*d));

    (void)state;
    assert_non_null(d);
    assert_int_equal(parse("v=DMARC1; p=reject", d), 0);
    assert_int_equal(d->status, PC_DMARC_OK);
    assert_true(d->usable);
    assert_int_equal(d->p, PC_DMARC_REJECT);
    assert_int_equal(d->sp, PC_DMARC_REJECT); /* sp defaults to p */
    assert_int_equal(d->np, PC_DMARC_REJECT); /* np defaults to sp */
    assert_int_equal(d->psd, PC_DMARC_PSD_U);
    assert_false(d->testing);
    assert_int_equal(d->adkim, PC_DMARC_RELAXED);
    assert_int_equal(d->aspf, PC_DMARC_RELAXED);
    assert_int_equal(d->fo, PC_DMARC_FO_0);
    assert_int_equal(d->pct, 100);
    assert_int_equal(d->ri, 86400);
    assert_string_equal(d->rf, "afrf");
    assert_int_equal(d->explicit_tags, PC_DMARC_TAG_V | PC_DMARC_TAG_P);
    assert_int_equal(d->invalid_tags, 0);
    assert_true(has_warning(d, "no-rua"));
    assert_field(d, "v", "DMARC1", PC_FIELD_EXPLICIT);
    assert_field(d, "p", "reject", PC_FIELD_EXPLICIT);
    assert_field(d, "sp", "reject", PC_FIELD_DEFAULT);
    assert_field(d, "np", "reject", PC_FIELD_DEFAULT);
    assert_field(d, "fo", "0", PC_FIELD_DEFAULT);
    assert_field(d, "rua", "", PC_FIELD_DEFAULT);
    assert_field(d, "pct", "100", PC_FIELD_DEFAULT);
    assert_field(d, "ri", "86400", PC_FIELD_DEFAULT);

    assert_int_equal(parse("v=DMARC1; p=reject; sp=quarantine", d), 0);
    assert_int_equal(d->np, PC_DMARC_QUARANTINE); /* np follows sp */
    assert_true(has_warning(d, "sp-weaker-than-p"));
    assert_int_equal(parse("v=DMARC1; p=quarantine; sp=reject; np=none", d), 0);
    assert_false(has_warning(d, "sp-weaker-than-p"));
    assert_true(has_warning(d, "np-weaker-than-sp"));
    free(d);
}

static void test_case_and_whitespace(void **state)
{
    pc_dmarc_t *d = malloc(sizeof(*d));

    (void)state;
    assert_non_null(d);
    assert_int_equal(parse("v=DMARC1;P=Reject;SP=QUARANTINE;Np=NONE;"
                           "ADKIM=S;aspf=s;PSD=Y;T=Y;Fo=D:1", d), 0);
    assert_int_equal(d->p, PC_DMARC_REJECT);
    assert_int_equal(d->sp, PC_DMARC_QUARANTINE);
    assert_int_equal(d->np, PC_DMARC_NONE);
    assert_int_equal(d->adkim, PC_DMARC_STRICT);
    assert_int_equal(d->aspf, PC_DMARC_STRICT);
    assert_int_equal(d->psd, PC_DMARC_PSD_Y);
    assert_true(d->testing);
    assert_true(has_warning(d, "testing"));
    assert_int_equal(d->fo, PC_DMARC_FO_1 | PC_DMARC_FO_D);
    assert_field(d, "fo", "1:d", PC_FIELD_EXPLICIT);

    assert_int_equal(parse("v=DMARC1 ;\tp = quarantine\t;  rua = "
                           "mailto:a@example.org ,\tmailto:b@example.org ; ",
                           d), 0);
    assert_int_equal(d->p, PC_DMARC_QUARANTINE);
    assert_int_equal(d->rua.n, 2);
    assert_string_equal(d->rua.uri[0].uri, "mailto:a@example.org");
    assert_string_equal(d->rua.uri[1].uri, "mailto:b@example.org");
    assert_field(d, "rua", "mailto:a@example.org,mailto:b@example.org",
                 PC_FIELD_EXPLICIT);
    /* CR and LF are not WSP in DMARC: the p tag is malformed, so lost */
    assert_int_equal(parse("v=DMARC1;\r\np=reject", d), PC_ERECORD);
    assert_true(has_warning(d, "malformed-tag"));
    free(d);
}

static void test_invalid_values_fall_back(void **state)
{
    static const struct {
        const char *rec;
        unsigned bit;
        const char *name, *value;
    } cases[] = {
        {"v=DMARC1; p=reject; adkim=x", PC_DMARC_TAG_ADKIM, "adkim", "r"},
        {"v=DMARC1; p=reject; aspf=rs", PC_DMARC_TAG_ASPF, "aspf", "r"},
        {"v=DMARC1; p=reject; psd=yes", PC_DMARC_TAG_PSD, "psd", "u"},
        {"v=DMARC1; p=reject; t=true", PC_DMARC_TAG_T, "t", "n"},
        {"v=DMARC1; p=reject; fo=0:1", PC_DMARC_TAG_FO, "fo", "0"},
        {"v=DMARC1; p=reject; fo=d:d", PC_DMARC_TAG_FO, "fo", "0"},
        {"v=DMARC1; p=reject; fo=d:", PC_DMARC_TAG_FO, "fo", "0"},
        {"v=DMARC1; p=reject; fo=2", PC_DMARC_TAG_FO, "fo", "0"},
        {"v=DMARC1; p=reject; pct=101", PC_DMARC_TAG_PCT, "pct", "100"},
        {"v=DMARC1; p=reject; pct=0050", PC_DMARC_TAG_PCT, "pct", "100"},
        {"v=DMARC1; p=reject; pct=-1", PC_DMARC_TAG_PCT, "pct", "100"},
        {"v=DMARC1; p=reject; ri=4294967296", PC_DMARC_TAG_RI, "ri", "86400"},
        {"v=DMARC1; p=reject; ri=1h", PC_DMARC_TAG_RI, "ri", "86400"},
        {"v=DMARC1; p=reject; rf=afrf-", PC_DMARC_TAG_RF, "rf", "afrf"},
        {"v=DMARC1; p=reject; rf=a::b", PC_DMARC_TAG_RF, "rf", "afrf"},
        {"v=DMARC1; p=reject; rua=", PC_DMARC_TAG_RUA, "rua", ""},
        {"v=DMARC1; p=reject; ruf=nope", PC_DMARC_TAG_RUF, "ruf", ""},
    };
    pc_dmarc_t *d = malloc(sizeof(*d));
    size_t i;

    (void)state;
    assert_non_null(d);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(parse(cases[i].rec, d), 0);
        assert_int_equal(d->status, PC_DMARC_OK);
        assert_true(d->invalid_tags & cases[i].bit);
        assert_false(d->explicit_tags & cases[i].bit);
        assert_true(has_warning(d, "invalid-value"));
        assert_field(d, cases[i].name, cases[i].value, PC_FIELD_DEFAULT);
    }
    /* valid edge values */
    assert_int_equal(parse("v=DMARC1; p=none; pct=0; ri=4294967295; "
                           "rf=afrf : iodef", d), 0);
    assert_int_equal(d->pct, 0);
    assert_int_equal(d->ri, 4294967295u);
    assert_string_equal(d->rf, "afrf:iodef");
    assert_true(has_warning(d, "historic-tag"));
    assert_int_equal(d->invalid_tags, 0);
    free(d);
}

/* RFC 9989 §4.10.1: a missing or invalid p, or an invalid sp or np. */
static void test_policy_fallback(void **state)
{
    pc_dmarc_t *d = malloc(sizeof(*d));
    pc_perr_t e;

    (void)state;
    assert_non_null(d);
    assert_int_equal(parse("v=DMARC1; rua=mailto:r@example.org", d), 0);
    assert_int_equal(d->status, PC_DMARC_AS_NONE);
    assert_true(d->usable);
    assert_int_equal(d->p, PC_DMARC_NONE);
    assert_true(has_warning(d, "p-missing"));
    assert_true(has_warning(d, "policy-as-none"));
    assert_field(d, "p", "none", PC_FIELD_DEFAULT);

    assert_int_equal(parse("v=DMARC1; p=reject; sp=rejekt; "
                           "rua=mailto:r@example.org", d), 0);
    assert_int_equal(d->status, PC_DMARC_AS_NONE);
    assert_int_equal(d->p, PC_DMARC_NONE);
    assert_int_equal(d->sp, PC_DMARC_NONE);
    assert_int_equal(d->np, PC_DMARC_NONE);
    assert_field(d, "p", "none", PC_FIELD_DEFAULT);

    assert_int_equal(parse("v=DMARC1; p=reject; np=x; rua=mailto:r@example.org",
                           d), 0);
    assert_int_equal(d->status, PC_DMARC_AS_NONE);

    assert_int_equal(parse_n("v=DMARC1; p=rejct", 17, d, &e), PC_ERECORD);
    assert_int_equal(d->status, PC_DMARC_NO_POLICY);
    assert_false(d->usable);
    assert_int_equal(e.pos, 12);
    assert_non_null(strstr(e.reason, "4.10.1"));

    assert_int_equal(parse("v=DMARC1; p=reject; np=bogus", d), PC_ERECORD);
    assert_int_equal(d->status, PC_DMARC_NO_POLICY);
    /* an invalid rua does not rescue the record */
    assert_int_equal(parse("v=DMARC1; rua=example.org", d), PC_ERECORD);
    /* a valid URI of any scheme does */
    assert_int_equal(parse("v=DMARC1; rua=https://example.org/r", d), 0);
    assert_true(has_warning(d, "uri-scheme"));
    /* ruf does not count */
    assert_int_equal(parse("v=DMARC1; ruf=mailto:f@example.org", d), PC_ERECORD);
    free(d);
}

static void test_duplicates(void **state)
{
    pc_dmarc_t *d = malloc(sizeof(*d));
    pc_perr_t e;

    (void)state;
    assert_non_null(d);
    assert_int_equal(parse_n("v=DMARC1; p=none; P=reject", 26, d, &e),
                     PC_ERECORD);
    assert_int_equal(d->status, PC_DMARC_INVALID);
    assert_false(d->usable);
    assert_int_equal(e.pos, 18);
    assert_int_equal(parse("v=DMARC1; p=none; rua=mailto:a@example.org; "
                           "rua=mailto:b@example.org", d), PC_ERECORD);
    /* an invalid value still counts as an occurrence */
    assert_int_equal(parse("v=DMARC1; p=none; adkim=x; adkim=s", d),
                     PC_ERECORD);
    /* unknown tags are ignored, repeated or not */
    assert_int_equal(parse("v=DMARC1; p=none; foo=1; foo=2", d), 0);
    assert_true(has_warning(d, "unknown-tag"));
    free(d);
}

static void test_uris(void **state)
{
    char rec[4096];
    char big[400];
    pc_dmarc_t *d = malloc(sizeof(*d));
    int i, o;

    (void)state;
    assert_non_null(d);
    assert_int_equal(parse("v=DMARC1; p=none; rua=mailto:a@example.org!10m,"
                           "mailto:b@example.org!0G, mailto:c@example.org!7,"
                           "mailto:d%21@example.org", d), 0);
    assert_int_equal(d->rua.n, 4);
    assert_int_equal(d->rua.valid, 4);
    assert_true(d->rua.uri[0].has_size);
    assert_int_equal(d->rua.uri[0].size, 10);
    assert_int_equal(d->rua.uri[0].size_unit, 'm');
    assert_int_equal(d->rua.uri[1].size_unit, 'g');
    assert_int_equal(d->rua.uri[2].size, 7);
    assert_int_equal(d->rua.uri[2].size_unit, '\0');
    assert_false(d->rua.uri[3].has_size);
    assert_string_equal(d->rua.uri[3].uri, "mailto:d%21@example.org");
    assert_true(has_warning(d, "uri-size-limit"));
    assert_false(has_warning(d, "uri-scheme"));
    assert_field(d, "rua", "mailto:a@example.org!10m,mailto:b@example.org!0g,"
                 "mailto:c@example.org!7,mailto:d%21@example.org",
                 PC_FIELD_EXPLICIT);

    /* invalid elements are dropped, valid ones kept */
    assert_int_equal(parse("v=DMARC1; p=none; rua=mailto:a@example.org!,"
                           "mailto:b@example.org!10x,,1x:y,:z,"
                           "mailto:c@example.org!99999999999999999999,"
                           "mailto:a b@example.org,mailto:%zz,"
                           "mailto:ok@example.org", d), 0);
    assert_int_equal(d->rua.valid, 1);
    assert_int_equal(d->rua.invalid, 8);
    assert_string_equal(d->rua.uri[0].uri, "mailto:ok@example.org");
    assert_true(has_warning(d, "uri-invalid"));

    /* more than PC_DMARC_URIS_MAX, and one too long to keep */
    o = snprintf(rec, sizeof(rec), "v=DMARC1; p=none; ruf=");
    for (i = 0; i < PC_DMARC_URIS_MAX + 2; i++)
        o += snprintf(rec + o, sizeof(rec) - (size_t)o, "%smailto:u%d@example.org",
                      i ? "," : "", i);
    assert_int_equal(parse(rec, d), 0);
    assert_int_equal(d->ruf.n, PC_DMARC_URIS_MAX);
    assert_int_equal(d->ruf.valid, PC_DMARC_URIS_MAX + 2);
    assert_true(has_warning(d, "uri-limit"));
    assert_true(has_warning(d, "ruf-without-fo"));

    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    snprintf(rec, sizeof(rec), "v=DMARC1; rua=mailto:%s@example.org", big);
    assert_int_equal(parse(rec, d), 0); /* counted as valid: acts as p=none */
    assert_int_equal(d->status, PC_DMARC_AS_NONE);
    assert_int_equal(d->rua.n, 0);
    assert_int_equal(d->rua.valid, 1);
    assert_true(has_warning(d, "uri-limit"));
    free(d);
}

static void test_warnings(void **state)
{
    char rec[2048];
    pc_dmarc_t *d = malloc(sizeof(*d));
    int i, o;

    (void)state;
    assert_non_null(d);
    assert_int_equal(parse("v=DMARC1; p=none; rua=mailto:a@example.org", d), 0);
    assert_true(has_warning(d, "p-none"));
    assert_false(has_warning(d, "no-rua"));
    assert_int_equal(parse("v=DMARC1; sp=none; p=reject; fo=1;;; x y; =1", d), 0);
    assert_true(has_warning(d, "p-not-second"));
    assert_true(has_warning(d, "fo-without-ruf"));
    assert_true(has_warning(d, "empty-tag"));
    assert_true(has_warning(d, "malformed-tag"));
    assert_true(has_warning(d, "sp-weaker-than-p"));
    assert_int_equal(parse("v=DMARC1; p=reject; pct=50; rf=afrf; ri=3600", d), 0);
    assert_int_equal(d->pct, 50);
    assert_int_equal(d->ri, 3600);
    assert_field(d, "pct", "50", PC_FIELD_EXPLICIT);
    /* a trailing separator is no empty tag */
    assert_int_equal(parse("v=DMARC1; p=reject;", d), 0);
    assert_false(has_warning(d, "empty-tag"));

    /* the list is bounded and counts what it dropped */
    o = snprintf(rec, sizeof(rec), "v=DMARC1; p=reject");
    for (i = 0; i < PC_WARN_MAX + 4; i++)
        o += snprintf(rec + o, sizeof(rec) - (size_t)o, "; x%c=1", 'a' + i);
    assert_int_equal(parse(rec, d), 0);
    assert_int_equal(d->warnings.n, PC_WARN_MAX);
    assert_true(d->warnings.dropped >= 4);
    for (i = 0; i < (int)d->warnings.n; i++)
        assert_true(strlen(d->warnings.w[i].text) > 0);
    free(d);
}

static void test_fields_order(void **state)
{
    pc_dmarc_t *d = malloc(sizeof(*d));
    gt_order_t p;

    (void)state;
    assert_non_null(d);
    assert_int_equal(parse("v=DMARC1; ri=5; rua=mailto:a@example.org; "
                           "p=none", d), 0);
    memset(&p, 0, sizeof(p));
    assert_int_equal(pc_dmarc_fields(d, gt_order_cb, &p), 0);
    assert_string_equal(p.names, "v p sp np psd t adkim aspf fo rua ruf pct "
                        "rf ri");
    memset(&p, 0, sizeof(p));
    p.stop_after = 3;
    p.stop_rc = -42;
    assert_int_equal(pc_dmarc_fields(d, gt_order_cb, &p), -42);
    assert_int_equal(p.calls, 3);
    /* the visitor works on a record that is not DMARC, too */
    assert_int_equal(parse("hello", d), PC_ENOENT);
    memset(&p, 0, sizeof(p));
    assert_int_equal(pc_dmarc_fields(d, gt_order_cb, &p), 0);
    free(d);
}

/* ---- conformance vectors ------------------------------------------------ */

enum { V_OK, V_ASNONE, V_NOPOL, V_INVAL, V_NOTD };

/*
 * Our expectation for every case of dmarc/record_vectors.json, by index.
 * The record is identified by its length and FNV-1a hash (so that a changed
 * file fails the test) rather than copied here. fields: values the visitor
 * must give. differs: when our verdict (usable or not) differs from
 * source_expect, the RFC reason. field_note: when a field in "parsed"
 * differs from ours, the RFC reason.
 */
typedef struct vcase {
    unsigned idx;
    size_t len;
    uint32_t fnv;
    int verdict;
    const char *what;
    const char *fields;
    const char *differs;
    const char *field_note;
} vcase_t;

static const vcase_t dmarc_cases[] = {
    {0, 0, 0x811c9dc5u, V_NOTD, "empty text", NULL, NULL, NULL},
    {1, 2, 0x904a401cu, V_NOTD, "version tag without value", NULL, NULL, NULL},
    {2, 9, 0x897c1fe6u, V_NOTD,
     "version value with an extra digit", NULL, NULL, NULL},
    {3, 8, 0x44c86870u, V_NOPOL,
     "bare version, no p, no rua", NULL, NULL, NULL},
    {4, 16, 0xfc0b8dfeu, V_NOTD, "lower-case version value", NULL, NULL, NULL},
    {5, 15, 0xc5cb6039u, V_NOTD,
     "no separator after the version", NULL, NULL, NULL},
    {6, 9, 0x927c2e11u, V_NOPOL,
     "version and separator only", NULL, NULL, NULL},
    {7, 20, 0x4518174eu, V_NOPOL, "invalid sp, no p, no rua", NULL, NULL, NULL},
    {8, 29, 0x6f2ba45bu, V_OK, "sp before p", "p=reject sp=reject",
     "RFC 9989 §4.8: tags after v may come in any order", NULL},
    {9, 24, 0x0cff9184u, V_INVAL, "p repeated, same value", NULL, NULL, NULL},
    {10, 26, 0xb7c86e4du, V_INVAL, "p repeated, other value", NULL, NULL, NULL},
    {11, 10, 0xc37cac1eu, V_NOPOL, "empty tag, no p, no rua", NULL, NULL, NULL},
    {12, 17, 0x4a0ba9a0u, V_NOPOL, "invalid adkim, no p", NULL, NULL, NULL},
    {13, 18, 0x564df53cu, V_NOPOL, "invalid aspf, no p", NULL, NULL, NULL},
    {14, 13, 0x277c9fd9u, V_NOPOL, "empty ri, no p", NULL, NULL, NULL},
    {15, 15, 0x1f3ffdd7u, V_NOPOL, "negative ri, no p", NULL, NULL, NULL},
    {16, 51, 0xa07edc3fu, V_NOPOL, "ri overflow, no p", NULL, NULL, NULL},
    {17, 19, 0x3e9c6c4au, V_NOPOL, "ri with letters, no p", NULL, NULL, NULL},
    {18, 16, 0x7e44c86cu, V_NOPOL, "ri word, no p", NULL, NULL, NULL},
    {19, 13, 0x0875d917u, V_NOPOL, "empty fo, no p", NULL, NULL, NULL},
    {20, 15, 0x0d208c3cu, V_NOPOL, "fo without colon, no p", NULL, NULL, NULL},
    {21, 16, 0x14fe2aeau, V_NOPOL, "fo word, no p", NULL, NULL, NULL},
    {22, 31, 0x8232944au, V_NOPOL,
     "rf keyword ending in a dash, no p", NULL, NULL, NULL},
    {23, 13, 0x276fd3e6u, V_NOPOL, "empty rf, no p", NULL, NULL, NULL},
    {24, 35, 0x3a0afa0eu, V_NOPOL, "rf with a dot, no p", NULL, NULL, NULL},
    {25, 20, 0xdffd5e74u, V_NOPOL, "invalid p, no rua", NULL, NULL, NULL},
    {26, 16, 0xecddcafau, V_NOPOL, "invalid sp, no p", NULL, NULL, NULL},
    {27, 17, 0xc9d09761u, V_NOPOL, "pct over 100, no p", NULL, NULL, NULL},
    {28, 19, 0x90454e4fu, V_NOPOL, "pct word, no p", NULL, NULL, NULL},
    {29, 14, 0x3d46e1b9u, V_NOPOL, "empty pct, no p", NULL, NULL, NULL},
    {30, 14, 0xa7a6e4acu, V_NOPOL, "empty rua, no p", NULL, NULL, NULL},
    {31, 19, 0x6e3ba3dcu, V_NOPOL,
     "rua without scheme, no p", NULL, NULL, NULL},
    {32, 48, 0x9e6f87c9u, V_NOPOL,
     "size bang without digits: URI invalid", NULL, NULL, NULL},
    {33, 95, 0xdc01b4dau, V_NOPOL,
     "size over 64 bits: URI invalid", NULL, NULL, NULL},
    {34, 51, 0xaf684768u, V_NOPOL,
     "size unit not k/m/g/t: URI invalid", NULL, NULL, NULL},
    {35, 36, 0xc99000a1u, V_ASNONE,
     "rua only: act as p=none", "p=none sp=none np=none", NULL, NULL},
    {36, 58, 0xef2e8844u, V_ASNONE, "invalid sp with rua: whole record as p=none",
     "p=none sp=none np=none", NULL, NULL},
    {37, 55, 0xc4ab2018u, V_OK, "p=none with rua", "p=none", NULL, NULL},
    {38, 91, 0x31546f7eu, V_OK, "rua and ruf", "p=none fo=0", NULL, NULL},
    {39, 112, 0x4587e82cu, V_OK,
     "two rua URIs, one with size; pct", "p=quarantine pct=25", NULL, NULL},
    {40, 308, 0x66aacdcfu, V_OK, "upper-case tags, WSP everywhere, every tag",
     "p=reject sp=none np=none adkim=s aspf=s fo=0 pct=0 ri=123 "
     "rf=afrf:other", NULL,
     "fo: RFC 9989 §4.7/§4.8 make 0 and 1 mutually exclusive, so fo=0:1:d:s "
     "is invalid and falls back to 0"},
    {41, 85, 0x1cd469fdu, V_OK,
     "rf with rua and ruf", "p=none rf=afrf", NULL, NULL},
    {42, 17, 0xf776eebfu, V_OK,
     "p=none and a trailing separator", "p=none", NULL, NULL},
    {43, 19, 0x3b0c0ed4u, V_OK, "p=reject", "p=reject np=reject", NULL, NULL},
    {44, 23, 0x497409edu, V_OK, "p=quarantine", "p=quarantine", NULL, NULL},
    {45, 14, 0xc6b65917u, V_NOPOL, "abbreviated policy word", NULL,
     "RFC 9989 §4.8: dmarc-request is exactly none/quarantine/reject; an "
     "invalid p without rua means no DMARC processing (§4.10.1)", NULL},
    {46, 0, 0x811c9dc5u, V_NOTD, "empty text", NULL, NULL, NULL},
    {47, 5, 0xe8933c37u, V_NOTD, "wrong version word", NULL, NULL, NULL},
    {48, 16, 0x49c72184u, V_NOPOL, "invalid p", NULL, NULL, NULL},
    {49, 25, 0x572f4f39u, V_NOPOL, "invalid sp, no rua", NULL, NULL, NULL},
    {50, 28, 0x47a6df8eu, V_OK, "invalid adkim", "p=none adkim=r",
     "RFC 9989 §4.8: an invalid adkim is discarded for its default r", NULL},
    {51, 27, 0x5b23e812u, V_OK, "invalid aspf", "p=none aspf=r",
     "RFC 9989 §4.8: an invalid aspf is discarded for its default r", NULL},
    {52, 25, 0x8af9cb0cu, V_OK, "rf with an unregistered keyword", "p=none rf=bob",
     "rf is historic (RFC 9989 App. C.5.2) and the value is a valid RFC 7489 "
     "Keyword; it is never fatal", NULL},
    {53, 25, 0xfbe89bdbu, V_OK, "ri word", "p=none ri=86400",
     "ri is historic; RFC 9989 §4.8 discards the invalid value for the "
     "default", NULL},
    {54, 26, 0xa52f271fu, V_OK, "pct over 100", "p=none pct=100",
     "pct is historic; RFC 9989 §4.8 discards the invalid value for the "
     "default", NULL},
    {55, 18, 0x9f89c459u, V_NOPOL, "pct only", NULL, NULL, NULL},
    {56, 37, 0xdab1c835u, V_OK, "rua with an ftp URI", "p=none", NULL, NULL},
    {57, 40, 0x4445b81eu, V_OK,
     "ruf mailto with slashes", "p=none", NULL, NULL},
    {58, 62, 0xa9db9af7u, V_OK, "unknown tags", "p=none", NULL, NULL},
    {59, 54, 0x7475589cu, V_OK, "rf made of digits", "p=none",
     "rf is historic (RFC 9989 App. C.5.2); digits form a valid RFC 7489 "
     "Keyword, and rf is never fatal", NULL},
    {60, 55, 0xc4ab2018u, V_OK, "defaults of every tag",
     "p=none sp=none np=none adkim=r aspf=r fo=0 psd=u t=n", NULL, NULL},
    {61, 91, 0x31546f7eu, V_OK, "rua and ruf", "p=none", NULL, NULL},
    {62, 120, 0x5079a3dau, V_OK, "size suffix, pct, fo=d:s",
     "p=quarantine fo=d:s pct=25", NULL, NULL},
    {63, 105, 0x7059ece6u, V_OK, "np value in mixed case",
     "p=reject sp=quarantine np=none adkim=s aspf=s fo=1", NULL, NULL},
    {64, 160, 0x2faaa41eu, V_OK, "WSP inside size suffixes: both URIs dropped",
     "p=reject fo=s ri=3600 rua=", NULL, NULL},
    {65, 122, 0xce3dd9fcu, V_OK, "t and psd, doubled trailing separator",
     "p=quarantine t=y psd=y fo=d:s", NULL, NULL},
    {66, 8, 0x44c86870u, V_NOPOL, "bare version", NULL, NULL, NULL},
    {67, 21, 0xbd4d022au, V_NOTD, "backslash before the separators", NULL,
     "RFC 9989 §4.7: the v value must be exactly DMARC1; the backslash is "
     "TXT data (a zone-file quoting mistake)", NULL},
    {68, 34, 0x3e6bf361u, V_OK, "unknown tag", "p=reject", NULL, NULL},
    {69, 17, 0xf9ba58ccu, V_NOPOL, "invalid p", NULL, NULL, NULL},
    {70, 18, 0xe16d4a67u, V_OK, "smallest policy", "p=reject", NULL, NULL},
    {71, 35, 0x0926f27eu, V_ASNONE, "no p, rua with an ftp URI", "p=none",
     "RFC 9989 §4.10.1 asks only for a syntactically valid URI; scheme "
     "support matters for sending reports (§4.7)", NULL},
    {72, 37, 0x1d6ca2f5u, V_ASNONE, "no p, mailto rua", "p=none", NULL, NULL},
    {73, 15, 0x1b1d6300u, V_NOPOL, "psd=y alone", NULL,
     "RFC 9989 §4.10.1: no valid p and no valid rua means no DMARC "
     "processing; psd=y does not change that", NULL},
    {74, 34, 0x12763cdeu, V_OK, "np stricter than p, psd=n",
     "p=none np=reject psd=n", NULL, NULL},
    {75, 26, 0x995dec96u, V_NOPOL, "invalid np, no rua", NULL, NULL, NULL},
};
#define DMARC_NCASES (sizeof(dmarc_cases) / sizeof(dmarc_cases[0]))

static int verdict_of(int rc, const pc_dmarc_t *d)
{
    if (rc == PC_ENOENT)
        return V_NOTD;
    if (rc == 0)
        return d->status == PC_DMARC_AS_NONE ? V_ASNONE : V_OK;
    return d->status == PC_DMARC_INVALID ? V_INVAL : V_NOPOL;
}

/* Check "name=value name=value" against the visitor. */
static void check_fields(const pc_dmarc_t *d, const char *spec, unsigned idx)
{
    char buf[256], *tok, *save = NULL;
    gt_probe_t *p = malloc(sizeof(*p));

    assert_non_null(p);
    snprintf(buf, sizeof(buf), "%s", spec);
    for (tok = strtok_r(buf, " ", &save); tok != NULL;
         tok = strtok_r(NULL, " ", &save)) {
        char *eq = strchr(tok, '=');
        assert_non_null(eq);
        *eq = '\0';
        field(d, tok, p);
        if (strcmp(p->value, eq + 1) != 0)
            fail_msg("case %u: %s is '%s', expected '%s'", idx, tok,
                     p->value, eq + 1);
    }
    free(p);
}

/* Compare the vector's "parsed" values with ours; returns mismatches. */
static unsigned compare_parsed(const pc_dmarc_t *d, json_t *parsed,
                               const vcase_t *vc, unsigned *compared)
{
    gt_probe_t *p = malloc(sizeof(*p));
    const char *key;
    json_t *v;
    unsigned bad = 0;
    char want[1024];

    assert_non_null(p);
    json_object_foreach(parsed, key, v) {
        gt_parsed_text(key, v, want, sizeof(want));
        field(d, key, p);
        (*compared)++;
        if (strcmp(p->value, want) != 0) {
            bad++;
            if (vc->field_note == NULL)
                fail_msg("case %u: parsed %s: source '%s', ours '%s', no "
                         "reason stated", vc->idx, key, want, p->value);
            printf("case %u: %s differs from the source (%s)\n", vc->idx,
                   key, vc->field_note);
        }
    }
    free(p);
    if (bad == 0 && vc->field_note != NULL)
        fail_msg("case %u: a field difference is stated but none found",
                 vc->idx);
    return bad;
}

static void test_vectors(void **state)
{
    const char *path = pc_test_conformance_file("dmarc/record_vectors.json");
    pc_dmarc_t *d = malloc(sizeof(*d));
    json_t *root;
    gt_tally_t t = {0};
    gt_vector_t c;
    size_t i;

    (void)state;
    assert_non_null(d);
    root = gt_vectors_load(path, DMARC_NCASES);
    for (i = 0; i < json_array_size(root); i++) {
        const vcase_t *vc = &dmarc_cases[i];
        int rc, v, src_ok, ours_ok;

        gt_vector_get(root, i, path, vc->idx, vc->len, vc->fnv, &c);
        rc = pc_dmarc_parse(c.text, c.len, d, NULL);
        v = verdict_of(rc, d);
        if (v != vc->verdict) {
            t.unexpected++;
            printf("case %zu (%s): verdict %d, expected %d\n", i, vc->what,
                   v, vc->verdict);
            continue;
        }
        if (vc->fields != NULL)
            check_fields(d, vc->fields, vc->idx);
        src_ok = strcmp(c.src, "valid") == 0 || strcmp(c.src, "OKAY") == 0;
        ours_ok = rc == 0;
        gt_judge(&t, i, vc->what, c.src, src_ok, ours_ok, vc->differs, "say",
                 ours_ok ? "usable" : "not");
        if (json_is_object(c.parsed) && ours_ok)
            t.fdiff += compare_parsed(d, c.parsed, vc, &t.compared);
    }
    gt_report("dmarc", root, &t, " (reasoned)");
    json_decref(root);
    free(d);
    assert_int_equal(t.unexpected, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_args),
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_nul_octets),
        cmocka_unit_test(test_minimal_and_defaults),
        cmocka_unit_test(test_case_and_whitespace),
        cmocka_unit_test(test_invalid_values_fall_back),
        cmocka_unit_test(test_policy_fallback),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_uris),
        cmocka_unit_test(test_warnings),
        cmocka_unit_test(test_fields_order),
    };
    const struct CMUnitTest vectors[] = {
        cmocka_unit_test(test_vectors),
    };

    return GT_RUN_GROUPS("dmarc", tests, vectors);
}
