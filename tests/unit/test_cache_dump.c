/*
 * test_cache_dump.c - unit tests of the cache's paged dump
 * (daemon/cache_dump.c): every filter alone and combined against a
 * brute-force selection, paging with inserts and deletions between pages,
 * the scan budget of a selective filter, a callback that stops, and cursor
 * checks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cache.h"
#include "cache_testutil.h"
#include "polcache/error.h"
#include "polcache/types.h"
#include "wire.h"

#define SEEN_MAX 6000

typedef struct seen {
    size_t n;
    int stop;                          /* cb returns 1 (stop) if set */
    uint8_t key[SEEN_MAX][PC_CACHE_KEY_MAX];
    size_t klen[SEEN_MAX];
} seen_t;

static int seen_cb(void *arg, const pc_name_t *qname, pc_rtype_t rtype, const pc_cval_t *v)
{
    seen_t *s = arg;
    int n = s->n < SEEN_MAX ? pc_cache_key(qname, rtype, s->key[s->n], PC_CACHE_KEY_MAX) : -1;

    assert_true(n > 0);
    assert_int_equal(v->rtype, rtype);
    s->klen[s->n++] = (size_t)n;
    return s->stop;
}

/* Record the key of (name, rt) in s, as the callback does. */
static void seen_add(seen_t *s, const char *name, pc_rtype_t rt)
{
    pc_name_t n = ct_nm(name);
    int k = pc_cache_key(&n, rt, s->key[s->n], PC_CACHE_KEY_MAX);

    assert_true(k > 0 && s->n < SEEN_MAX);
    s->klen[s->n++] = (size_t)k;
}

/* LMDB's default order: memcmp, then the shorter key first. */
static int key_cmp(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
    int r = memcmp(a, b, al < bl ? al : bl);
    if (r != 0)
        return r;
    return al < bl ? -1 : al > bl;
}

/* Index of key in s, or -1. */
static long seen_find(const seen_t *s, const uint8_t *key, size_t klen)
{
    for (size_t i = 0; i < s->n; i++) {
        if (s->klen[i] == klen && memcmp(s->key[i], key, klen) == 0)
            return (long)i;
    }
    return -1;
}

static void seen_check_sorted(const seen_t *s)
{
    for (size_t i = 1; i < s->n; i++)
        assert_true(key_cmp(s->key[i - 1], s->klen[i - 1], s->key[i], s->klen[i]) < 0);
}

/* Dump everything matching f in pages of limit; returns the pages used. */
static int dump_all(pc_cache_t *c, const pc_cache_filter_t *f, unsigned limit, seen_t *s)
{
    uint8_t cursor[PC_CURSOR_MAX];
    size_t clen = 0;
    int pages = 0, rc;

    s->n = 0;
    do {
        size_t before = s->n;
        rc = pc_cache_dump(c, f, cursor, clen, limit, seen_cb, s, cursor, &clen);
        assert_true(rc >= 0);
        assert_int_equal((size_t)rc, s->n - before);
        assert_true((unsigned)rc <= limit);
        assert_true(++pages < 10000);
    } while (clen > 0);
    seen_check_sorted(s);
    return pages;
}

#define DNAMES 12
static const char *const dump_names[DNAMES] = {
    "example.org", "www.example.org", "a.b.example.org", "_dmarc.example.org",
    "anexample.org", "org", "example.com", "x.example.com", "deep.a.b.example.org",
    "e\\000xample.org", "zz.example.org", "example.org.test",
};
static const pc_rtype_t dump_rtypes[4] = {PC_RT_DMARC, PC_RT_SPF, PC_RT_DKIM, PC_RT_A};

static void dump_entry(int i, int j, int *dnssec, uint64_t *fetched)
{
    *dnssec = (i + j) % 4;
    *fetched = (i * 7 + j) % 9 == 0 ? CT_NOW + 50 : CT_NOW - 100 * (uint64_t)((i * (j + 1)) % 5);
}

/* Compare one filter's dump with a brute-force selection. */
static void check_filter(pc_cache_t *c, const pc_cache_filter_t *f, seen_t *s)
{
    size_t want = 0;

    dump_all(c, f, 3, s);
    for (int i = 0; i < DNAMES; i++) {
        pc_name_t n = ct_nm(dump_names[i]);
        for (int j = 0; j < 4; j++) {
            uint8_t key[PC_CACHE_KEY_MAX];
            int dnssec, klen, expired, match;
            uint64_t fetched;

            dump_entry(i, j, &dnssec, &fetched);
            expired = !(fetched <= f->now && f->now < fetched + 250);
            match = (f->rtype == PC_RT_NONE || f->rtype == dump_rtypes[j]) &&
                    (f->suffix == NULL || pc_name_is_below(&n, f->suffix)) &&
                    (f->dnssec < 0 || f->dnssec == dnssec) &&
                    (f->expired < 0 || f->expired == expired);
            klen = pc_cache_key(&n, dump_rtypes[j], key, sizeof(key));
            assert_int_equal(seen_find(s, key, (size_t)klen) >= 0, match);
            want += (size_t)match;
        }
    }
    assert_int_equal(s->n, want);
}

static void test_dump_filters(void **state)
{
    ct_fix_t *f = *state;
    seen_t *s = calloc(1, sizeof(*s));
    pc_name_t ex = ct_nm("example.org"), org = ct_nm("org"), none = ct_nm("nothing.test");

    assert_non_null(s);
    for (int i = 0; i < DNAMES; i++) {
        for (int j = 0; j < 4; j++) {
            int dnssec;
            uint64_t fetched;
            dump_entry(i, j, &dnssec, &fetched);
            assert_int_equal(ct_put_full(f->c, dump_names[i], dump_rtypes[j], dnssec,
                                      fetched, 250, "x"), 0);
        }
        if (i == 5)
            assert_int_equal(pc_cache_commit(f->c), 0); /* half committed */
    }
    /* each filter alone and combined, against a brute-force selection;
     * a count of -1 means "whatever the selection says" */
    const pc_cache_filter_t flts[] = {
        {PC_RT_NONE, NULL, -1, -1, CT_NOW}, {PC_RT_SPF, NULL, -1, -1, CT_NOW},
        {PC_RT_NONE, &ex, -1, -1, CT_NOW}, {PC_RT_NONE, &org, -1, -1, CT_NOW},
        {PC_RT_NONE, &none, -1, -1, CT_NOW}, {PC_RT_NONE, NULL, 0, -1, CT_NOW},
        {PC_RT_NONE, NULL, 1, -1, CT_NOW}, {PC_RT_NONE, NULL, 2, -1, CT_NOW},
        {PC_RT_NONE, NULL, 3, -1, CT_NOW}, {PC_RT_NONE, NULL, -1, 0, CT_NOW},
        {PC_RT_NONE, NULL, -1, 1, CT_NOW}, {PC_RT_NONE, NULL, -1, 0, CT_NOW + 1000},
        {PC_RT_NONE, NULL, -1, 1, CT_NOW + 1000}, {PC_RT_DMARC, &ex, 1, 0, CT_NOW},
        {PC_RT_DMARC, &ex, -1, 0, CT_NOW},
    };
    const long counts[] = {DNAMES * 4, DNAMES, 6 * 4 /* not e\000xample.org */, -1, 0,
                           DNAMES, DNAMES, DNAMES, DNAMES, -1, -1, 0, DNAMES * 4, -1, -1};
    for (size_t i = 0; i < sizeof(flts) / sizeof(flts[0]); i++) {
        check_filter(f->c, &flts[i], s);
        assert_true(counts[i] < 0 || s->n == (size_t)counts[i]);
        assert_true(counts[i] >= 0 || (s->n > 0 && s->n < DNAMES * 4));
    }
    /* a NULL filter; the page count follows from limit: no empty last page */
    assert_int_equal(dump_all(f->c, NULL, 3, s), DNAMES * 4 / 3);
    assert_int_equal(s->n, DNAMES * 4);
    assert_int_equal(dump_all(f->c, NULL, PC_DUMP_MAX, s), 1);
    free(s);
}

static void test_dump_resume_with_inserts(void **state)
{
    ct_fix_t *f = *state;
    seen_t *s = calloc(1, sizeof(*s)), *want = calloc(1, sizeof(*want));
    uint8_t cursor[PC_CURSOR_MAX], junk[PC_CURSOR_MAX];
    size_t clen = 0;
    char name[64];
    int rc, page = 0;

    assert_true(s != NULL && want != NULL);
    for (int i = 0; i < 30; i++) {
        snprintf(name, sizeof(name), "h%02d.test", i);
        ct_put(f->c, name, PC_RT_SPF, "x");
        seen_add(want, name, PC_RT_SPF);
    }
    assert_int_equal(pc_cache_commit(f->c), 0);
    do {
        /* next may be the cursor's own buffer */
        rc = pc_cache_dump(f->c, NULL, cursor, clen, 5, seen_cb, s, cursor, &clen);
        assert_true(rc >= 0 && rc <= 5);
        if (clen > 0) { /* the cursor is the last key returned */
            assert_int_equal(rc, 5);
            assert_int_equal(clen, s->klen[s->n - 1]);
            assert_memory_equal(cursor, s->key[s->n - 1], clen);
        }
        /* inserts between pages, before and after the cursor; some
         * committed, some still in the open batch */
        for (int k = 0; k < 2 && clen > 0; k++) {
            snprintf(name, sizeof(name), k ? "i%d.test" : "zz%dzzzz.test", page);
            ct_put(f->c, name, PC_RT_DKIM, "ins");
            seen_add(want, name, PC_RT_DKIM);
            if (key_cmp(want->key[want->n - 1], want->klen[want->n - 1], cursor, clen) < 0)
                want->n--; /* before the cursor: must not show up */
        }
        if (page % 2 == 1)
            assert_int_equal(pc_cache_commit(f->c), 0);
        if (page == 2) { /* the cursor's own entry vanishes */
            pc_name_t n;
            assert_int_equal(pc_name_from_key(&n, cursor, clen - 2), 0);
            assert_int_equal(pc_cache_flush(f->c, &n, NULL), 0);
        }
        assert_true(++page < 100);
    } while (clen > 0);
    seen_check_sorted(s);
    assert_int_equal(s->n, want->n);
    for (size_t i = 0; i < want->n; i++)
        assert_true(seen_find(s, want->key[i], want->klen[i]) >= 0);

    /* any cursor octets are accepted; too long ones are not */
    memset(junk, 0xff, sizeof(junk));
    assert_int_equal(pc_cache_dump(f->c, NULL, junk, 300, 5, seen_cb, s, cursor, &clen), 0);
    assert_int_equal(clen, 0);
    memset(junk, 0x00, sizeof(junk));
    assert_int_equal(pc_cache_dump(f->c, NULL, junk, 1, 5, seen_cb, s, cursor, &clen), 5);
    assert_int_equal(pc_cache_dump(f->c, NULL, junk, PC_CURSOR_MAX, 5, seen_cb, s, cursor,
                                   &clen), PC_EINVAL);
    assert_int_equal(pc_cache_dump(f->c, NULL, NULL, 3, 5, seen_cb, s, cursor, &clen),
                     PC_EINVAL);
    assert_int_equal(pc_cache_dump(f->c, NULL, NULL, 0, PC_DUMP_MAX + 1, seen_cb, s, cursor,
                                   &clen), PC_EINVAL);
    free(s);
    free(want);
}

static void test_dump_scan_budget_and_stop(void **state)
{
    ct_fix_t *f = *state;
    seen_t *s = calloc(1, sizeof(*s));
    pc_cache_filter_t flt = {PC_RT_SPF, NULL, -1, -1, CT_NOW};
    pc_name_t few = ct_nm("few.test");
    uint8_t cursor[PC_CURSOR_MAX];
    size_t clen = 0;
    char name[64];
    int rc;

    assert_non_null(s);
    for (int i = 0; i < 5000; i++) {
        snprintf(name, sizeof(name), "a%d.scan.test", i);
        ct_put(f->c, name, PC_RT_A, "x");
    }
    ct_put(f->c, "zzzzzzzz.scan.test", PC_RT_SPF, "x");
    assert_int_equal(pc_cache_commit(f->c), 0);
    /* a selective filter: a page may come back empty with a cursor */
    rc = pc_cache_dump(f->c, &flt, NULL, 0, 10, seen_cb, s, cursor, &clen);
    assert_int_equal(rc, 0);
    assert_true(clen > 0);
    rc = pc_cache_dump(f->c, &flt, cursor, clen, 10, seen_cb, s, cursor, &clen);
    assert_int_equal(rc, 1);
    assert_int_equal(clen, 0);
    assert_int_equal(dump_all(f->c, NULL, PC_DUMP_MAX, s), (5001 + PC_DUMP_MAX - 1) / PC_DUMP_MAX);
    assert_int_equal(s->n, 5001);

    /* a callback that stops after each entry */
    ct_put(f->c, "a.few.test", PC_RT_SPF, "x");
    ct_put(f->c, "b.few.test", PC_RT_SPF, "x");
    ct_put(f->c, "few.test", PC_RT_DMARC, "x");
    flt.rtype = PC_RT_NONE;
    flt.suffix = &few;
    s->stop = 1;
    assert_int_equal(dump_all(f->c, &flt, 10, s), 3);
    assert_int_equal(s->n, 3);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_dump_filters, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_dump_resume_with_inserts, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_dump_scan_budget_and_stop, ct_setup, ct_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
