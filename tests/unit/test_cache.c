/*
 * test_cache.c - unit tests of the LMDB cache (daemon/cache.c): the batch
 * and read paths, persistence, the flush generation, subtree flushes, dump
 * paging with filters, corrupt values, files that must be rebuilt, a full
 * map, stats. Each test works in its own mkdtemp directory under /tmp; the
 * test writes broken files with the LMDB API directly.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <lmdb.h>

#include "cache.h"
#include "log.h"
#include "polcache/error.h"
#include "polcache/types.h"
#include "wire.h"

#define T_NOW 1800000000u

typedef struct fix {
    char dir[64];
    pc_cache_t *c;
} fix_t;

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

static int setup(void **state)
{
    fix_t *f = calloc(1, sizeof(*f));
    pc_cache_opts_t o = {0};

    if (f == NULL)
        return -1;
    strcpy(f->dir, "/tmp/pc-test-cache-XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    o.dir = f->dir;
    if (pc_cache_open(&f->c, &o) != 0)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fix_t *f = *state;

    pc_cache_close(f->c);
    nftw(f->dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

static void shut(fix_t *f)
{
    pc_cache_close(f->c);
    f->c = NULL;
}

static void reopen(fix_t *f, size_t map_size)
{
    pc_cache_opts_t o = {0};

    shut(f);
    o.dir = f->dir;
    o.map_size = map_size;
    assert_int_equal(pc_cache_open(&f->c, &o), 0);
}

static pc_name_t nm(const char *s)
{
    pc_name_t n;
    assert_int_equal(pc_name_from_text(&n, s, strlen(s), PC_NAME_ESCAPES), 0);
    return n;
}

/* Store a value whose RAW text is raw; fetched/ttl as given. */
static int put_full(pc_cache_t *c, const char *name, pc_rtype_t rt, int dnssec,
                    uint64_t fetched, uint32_t ttl, const char *raw)
{
    size_t len = strlen(raw);
    uint8_t body[4096] = {0, PC_T_RAW, (uint8_t)(len >> 8), (uint8_t)len};
    pc_name_t n = nm(name);
    pc_cval_t v = {.rtype = (uint8_t)rt, .outcome = PC_OUTCOME_FOUND,
                   .dnssec = (uint8_t)dnssec, .fetched = fetched, .ttl = ttl,
                   .expires = fetched + ttl, .body = body, .body_len = (uint32_t)len + 4};

    assert_true(len + 4 <= sizeof(body));
    memcpy(body + 4, raw, len);
    return pc_cache_put(c, &n, rt, &v, pc_cache_generation(c));
}

static void put(pc_cache_t *c, const char *name, pc_rtype_t rt, const char *raw)
{
    assert_int_equal(put_full(c, name, rt, PC_DNSSEC_SECURE, T_NOW, 300, raw), 0);
}

/* Get and compare the RAW text; raw NULL expects PC_ENOENT. */
static void expect(pc_cache_t *c, const char *name, pc_rtype_t rt, const char *raw)
{
    pc_name_t n = nm(name);
    pc_cval_t v;
    uint8_t *buf = (uint8_t *)&v;
    int rc = pc_cache_get(c, &n, rt, &v, &buf);

    if (raw == NULL) {
        assert_int_equal(rc, PC_ENOENT);
        assert_null(buf);
        return;
    }
    assert_int_equal(rc, 0);
    assert_non_null(buf);
    assert_int_equal(v.rtype, rt);
    assert_int_equal(v.body_len, strlen(raw) + 4);
    assert_memory_equal(v.body + 4, raw, strlen(raw));
    free(buf);
}

static pc_cache_stats_t stats(pc_cache_t *c)
{
    pc_cache_stats_t st;
    assert_int_equal(pc_cache_stats(c, &st), 0);
    return st;
}

/* Put something under the given key into database db (NULL = main) of the
 * environment in dir, through the LMDB API, with the cache closed. */
static void raw_put(const char *dir, const char *db, const void *key, size_t klen,
                    const void *val, size_t vlen)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    uint8_t kb[512], vb[512];
    MDB_val k = {klen, kb}, v = {vlen, vb};

    assert_true(klen <= sizeof(kb) && vlen <= sizeof(vb));
    memcpy(kb, key, klen);
    memcpy(vb, val, vlen);
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 4), 0);
    assert_int_equal(mdb_env_open(env, dir, 0, 0640), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, db, MDB_CREATE, &dbi), 0);
    assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
}

static void path_of(char *out, size_t cap, const fix_t *f, const char *file)
{
    snprintf(out, cap, "%s/%s", f->dir, file);
}

static void write_file(const fix_t *f, const char *file, const void *p, size_t n)
{
    char path[128];
    FILE *fp;

    path_of(path, sizeof(path), f, file);
    fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(p, 1, n, fp), n);
    assert_int_equal(fclose(fp), 0);
}

static int rebuild_lines;

static void count_rebuild(void *arg, pc_log_level_t level, const char *line)
{
    (void)arg;
    if (level == PC_LOG_WARNING && strstr(line, "rebuilding") != NULL)
        rebuild_lines++;
}

/* Open the cache whose files the caller broke: it must have been rebuilt
 * once, with a warning, and be empty and usable, also after a reopen. */
static void expect_rebuilt(fix_t *f)
{
    pc_cache_opts_t o = {0};

    rebuild_lines = 0;
    pc_log_set_capture(count_rebuild, NULL);
    o.dir = f->dir;
    assert_int_equal(pc_cache_open(&f->c, &o), 0);
    pc_log_set_capture(NULL, NULL);
    assert_int_equal(stats(f->c).rebuilds, 1);
    assert_int_equal(rebuild_lines, 1);
    assert_int_equal(stats(f->c).entries, 0);
    put(f->c, "after.test", PC_RT_SPF, "v=spf1 -all");
    assert_int_equal(pc_cache_commit(f->c), 0);
    expect(f->c, "after.test", PC_RT_SPF, "v=spf1 -all");
    reopen(f, 0);
    assert_int_equal(stats(f->c).rebuilds, 0);
    expect(f->c, "after.test", PC_RT_SPF, "v=spf1 -all");
}

/* Fill the cache with n entries and close it. */
static void fill_and_close(fix_t *f, int n)
{
    char name[64], raw[256];

    memset(raw, 'r', sizeof(raw) - 1);
    raw[sizeof(raw) - 1] = '\0';
    for (int i = 0; i < n; i++) {
        snprintf(name, sizeof(name), "n%04d.example.org", i);
        put(f->c, name, PC_RT_DKIM, raw);
    }
    shut(f);
}

static void test_args(void **state)
{
    fix_t *f = *state;
    pc_cache_opts_t o = {0};
    pc_cache_t *c = (pc_cache_t *)f;
    pc_name_t n = nm("example.org");
    uint8_t key[PC_CACHE_KEY_MAX], *buf = key, next[PC_CURSOR_MAX];
    pc_cval_t v = {.rtype = PC_RT_SPF, .outcome = PC_OUTCOME_NXDOMAIN, .fetched = T_NOW,
                   .expires = T_NOW};
    size_t next_len = 99;
    pc_cache_stats_t st;

    assert_int_equal(pc_cache_open(NULL, &o), PC_EINVAL);
    assert_int_equal(pc_cache_open(&c, NULL), PC_EINVAL);
    assert_null(c);
    assert_int_equal(pc_cache_open(&c, &o), PC_EINVAL); /* dir NULL, then "" */
    o.dir = "";
    assert_int_equal(pc_cache_open(&c, &o), PC_EINVAL);
    pc_cache_close(NULL);
    assert_int_equal(pc_cache_generation(NULL), 0);
    assert_int_equal(pc_cache_dirty(NULL), 0);
    assert_int_equal(pc_cache_commit(NULL), PC_EINVAL);
    assert_int_equal(pc_cache_stats(NULL, &st), PC_EINVAL);
    assert_int_equal(pc_cache_stats(f->c, NULL), PC_EINVAL);
    assert_int_equal(pc_cache_flush(NULL, NULL, NULL), PC_EINVAL);

    assert_int_equal(pc_cache_get(NULL, &n, PC_RT_SPF, &v, &buf), PC_EINVAL);
    assert_null(buf);
    assert_int_equal(pc_cache_get(f->c, NULL, PC_RT_SPF, &v, &buf), PC_EINVAL);
    assert_int_equal(pc_cache_get(f->c, &n, PC_RT_NONE, &v, &buf), PC_EINVAL);
    assert_int_equal(pc_cache_get(f->c, &n, (pc_rtype_t)(PC_RT_MAX_ + 1), &v, &buf), PC_EINVAL);
    assert_int_equal(pc_cache_get(f->c, &n, PC_RT_SPF, NULL, &buf), PC_EINVAL);
    assert_int_equal(pc_cache_get(f->c, &n, PC_RT_SPF, &v, NULL), PC_EINVAL);

    /* put: v->rtype must match, values must encode, bodies have a limit */
    assert_int_equal(pc_cache_put(NULL, &n, PC_RT_SPF, &v, 0), PC_EINVAL);
    assert_int_equal(pc_cache_put(f->c, NULL, PC_RT_SPF, &v, 0), PC_EINVAL);
    assert_int_equal(pc_cache_put(f->c, &n, PC_RT_SPF, NULL, 0), PC_EINVAL);
    assert_int_equal(pc_cache_put(f->c, &n, PC_RT_DMARC, &v, 0), PC_EINVAL);
    v.expires = T_NOW + 1; /* expires != fetched + ttl */
    assert_int_equal(pc_cache_put(f->c, &n, PC_RT_SPF, &v, 0), PC_EINVAL);
    v.expires = T_NOW;
    v.body = key;
    v.body_len = PC_CVAL_MAX_BODY + 1;
    assert_int_equal(pc_cache_put(f->c, &n, PC_RT_SPF, &v, 0), PC_ETOOBIG);
    assert_int_equal(pc_cache_dirty(f->c), 0);
    v.body_len = 0;
    assert_int_equal(pc_cache_put(f->c, &n, PC_RT_SPF, &v, 0), 0);
    assert_int_equal(pc_cache_dirty(f->c), 1);

    /* key helper */
    assert_int_equal(pc_cache_key(&n, PC_RT_SPF, key, sizeof(key)), 14);
    assert_memory_equal(key, "\003org\007example\000\002", 14);
    assert_int_equal(pc_cache_key(&n, PC_RT_SPF, key, 13), PC_ETOOBIG);
    assert_int_equal(pc_cache_key(&n, PC_RT_SPF, key, 5), PC_ETOOBIG);
    assert_int_equal(pc_cache_key(NULL, PC_RT_SPF, key, sizeof(key)), PC_EINVAL);
    assert_int_equal(pc_cache_key(&n, PC_RT_SPF, NULL, sizeof(key)), PC_EINVAL);
    assert_int_equal(pc_cache_key(&n, PC_RT_NONE, key, sizeof(key)), PC_EINVAL);

    /* dump arguments */
    assert_int_equal(pc_cache_dump(f->c, NULL, NULL, 0, 0, NULL, NULL, next, &next_len), PC_EINVAL);
    assert_int_equal(next_len, 0);
    assert_int_equal(pc_cache_dump(NULL, NULL, NULL, 0, 1, NULL, NULL, next, &next_len), PC_EINVAL);
}

static void test_put_get_commit(void **state)
{
    fix_t *f = *state;
    pc_name_t n = nm("Example.ORG");
    pc_cval_t v;
    uint8_t *buf;

    expect(f->c, "example.org", PC_RT_SPF, NULL);
    put(f->c, "example.org", PC_RT_SPF, "v=spf1 -all");
    assert_int_equal(pc_cache_dirty(f->c), 1);
    /* the open batch is visible to reads */
    expect(f->c, "example.org", PC_RT_SPF, "v=spf1 -all");
    expect(f->c, "example.org", PC_RT_DMARC, NULL);
    expect(f->c, "www.example.org", PC_RT_SPF, NULL);
    assert_int_equal(stats(f->c).entries, 1);
    assert_int_equal(pc_cache_commit(f->c), 0);
    assert_int_equal(pc_cache_dirty(f->c), 0);
    assert_int_equal(pc_cache_commit(f->c), 0); /* nothing open: no-op */
    expect(f->c, "example.org", PC_RT_SPF, "v=spf1 -all");

    /* replace; all fields come back */
    assert_int_equal(put_full(f->c, "example.org", PC_RT_SPF, PC_DNSSEC_INSECURE,
                              T_NOW - 10, 60, "v=spf1 +all"), 0);
    assert_int_equal(pc_cache_get(f->c, &n, PC_RT_SPF, &v, &buf), 0);
    assert_int_equal(v.dnssec, PC_DNSSEC_INSECURE);
    assert_int_equal(v.fetched, T_NOW - 10);
    assert_int_equal(v.ttl, 60);
    assert_int_equal(v.expires, T_NOW + 50);
    assert_int_equal(v.outcome, PC_OUTCOME_FOUND);
    assert_true(v.body >= buf);
    free(buf);
    assert_int_equal(pc_cache_commit(f->c), 0);
    assert_int_equal(stats(f->c).entries, 1);

    /* the root name is a name too */
    put(f->c, ".", PC_RT_TXT, "root");
    expect(f->c, ".", PC_RT_TXT, "root");
}

static void test_persistence(void **state)
{
    fix_t *f = *state;
    char name[64], raw[64];

    for (int i = 0; i < 300; i++) {
        snprintf(name, sizeof(name), "d%d.example.net", i);
        snprintf(raw, sizeof(raw), "v=DMARC1; p=none; n=%d", i);
        put(f->c, name, PC_RT_DMARC, raw);
        if (i % 50 == 49)
            assert_int_equal(pc_cache_commit(f->c), 0);
    }
    /* the last puts are uncommitted: close commits them */
    reopen(f, 0);
    assert_int_equal(stats(f->c).rebuilds, 0);
    assert_int_equal(stats(f->c).entries, 300);
    for (int i = 0; i < 300; i++) {
        snprintf(name, sizeof(name), "d%d.example.net", i);
        snprintf(raw, sizeof(raw), "v=DMARC1; p=none; n=%d", i);
        expect(f->c, name, PC_RT_DMARC, raw);
        expect(f->c, name, PC_RT_SPF, NULL);
    }
}

static void test_generation(void **state)
{
    fix_t *f = *state;
    pc_name_t n = nm("race.test");
    uint64_t gen = pc_cache_generation(f->c), count = 99;
    pc_cval_t v = {.rtype = PC_RT_A, .outcome = PC_OUTCOME_NORECORD};

    /* a lookup reads gen, then a flush happens, then it wants to write */
    assert_int_equal(pc_cache_flush(f->c, NULL, &count), 0);
    assert_int_equal(count, 0);
    assert_int_equal(pc_cache_generation(f->c), gen + 1);
    assert_int_equal(pc_cache_put(f->c, &n, PC_RT_A, &v, gen), PC_ECANCELED);
    assert_int_equal(pc_cache_dirty(f->c), 0);
    expect(f->c, "race.test", PC_RT_A, NULL);
    assert_int_equal(pc_cache_put(f->c, &n, PC_RT_A, &v, gen + 1), 0);
    /* a name flush bumps it too, even if nothing is below the name */
    assert_int_equal(pc_cache_flush(f->c, &n, NULL), 0);
    assert_int_equal(pc_cache_generation(f->c), gen + 2);
    assert_int_equal(pc_cache_put(f->c, &n, PC_RT_A, &v, gen + 1), PC_ECANCELED);
}

static const char *const flush_names[] = {
    "example.org", "www.example.org", "a.b.example.org", "_dmarc.example.org",
    "anexample.org", "xexample.org", "example.org.evil.test", "org",
    "example.com", "exampl.org", "example.orga",
};

static void test_flush_name(void **state)
{
    fix_t *f = *state;
    pc_name_t n = nm("example.org");
    uint64_t count = 0;
    size_t i;

    for (i = 0; i < sizeof(flush_names) / sizeof(flush_names[0]); i++) {
        put(f->c, flush_names[i], PC_RT_SPF, flush_names[i]);
        put(f->c, flush_names[i], PC_RT_DMARC, flush_names[i]);
        put(f->c, flush_names[i], PC_RT_TXT, flush_names[i]);
    }
    /* uncommitted puts are committed first, then deleted */
    assert_int_equal(pc_cache_flush(f->c, &n, &count), 0);
    assert_int_equal(count, 4 * 3);
    assert_int_equal(pc_cache_dirty(f->c), 0);
    for (i = 0; i < sizeof(flush_names) / sizeof(flush_names[0]); i++) {
        int below = i < 4;
        expect(f->c, flush_names[i], PC_RT_SPF, below ? NULL : flush_names[i]);
        expect(f->c, flush_names[i], PC_RT_DMARC, below ? NULL : flush_names[i]);
        expect(f->c, flush_names[i], PC_RT_TXT, below ? NULL : flush_names[i]);
    }
    assert_int_equal(stats(f->c).entries, (sizeof(flush_names) / sizeof(flush_names[0]) - 4) * 3);
    /* flushing a name that is absent deletes nothing */
    n = nm("nothing.example.org");
    assert_int_equal(pc_cache_flush(f->c, &n, &count), 0);
    assert_int_equal(count, 0);
    /* durable */
    reopen(f, 0);
    expect(f->c, "www.example.org", PC_RT_SPF, NULL);
    expect(f->c, "anexample.org", PC_RT_SPF, "anexample.org");
}

static void test_flush_big_subtree_and_all(void **state)
{
    fix_t *f = *state;
    pc_name_t n = nm("big.test");
    uint64_t count = 0;
    char name[64];

    /* more than one deletion batch */
    for (int i = 0; i < 5000; i++) {
        snprintf(name, sizeof(name), "h%d.big.test", i);
        put(f->c, name, PC_RT_A, "x");
    }
    put(f->c, "small.test", PC_RT_A, "x");
    put(f->c, "bigger.test", PC_RT_A, "x");
    assert_int_equal(pc_cache_commit(f->c), 0);
    assert_int_equal(pc_cache_flush(f->c, &n, &count), 0);
    assert_int_equal(count, 5000);
    assert_int_equal(stats(f->c).entries, 2);
    expect(f->c, "h0.big.test", PC_RT_A, NULL);
    expect(f->c, "h4999.big.test", PC_RT_A, NULL);
    expect(f->c, "bigger.test", PC_RT_A, "x");

    /* flush of everything, with an uncommitted put, and of the root */
    put(f->c, "more.test", PC_RT_A, "x");
    assert_int_equal(pc_cache_flush(f->c, NULL, &count), 0);
    assert_int_equal(count, 3);
    assert_int_equal(stats(f->c).entries, 0);
    put(f->c, "again.test", PC_RT_A, "x");
    n = nm(".");
    assert_int_equal(pc_cache_flush(f->c, &n, &count), 0);
    assert_int_equal(count, 1);
    put(f->c, "again.test", PC_RT_A, "y");
    assert_int_equal(pc_cache_commit(f->c), 0);
    expect(f->c, "again.test", PC_RT_A, "y");
    assert_int_equal(stats(f->c).rebuilds, 0);
}

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
    pc_name_t n = nm(name);
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
    *fetched = (i * 7 + j) % 9 == 0 ? T_NOW + 50 : T_NOW - 100 * (uint64_t)((i * (j + 1)) % 5);
}

/* Compare one filter's dump with a brute-force selection. */
static void check_filter(pc_cache_t *c, const pc_cache_filter_t *f, seen_t *s)
{
    size_t want = 0;

    dump_all(c, f, 3, s);
    for (int i = 0; i < DNAMES; i++) {
        pc_name_t n = nm(dump_names[i]);
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
    fix_t *f = *state;
    seen_t *s = calloc(1, sizeof(*s));
    pc_name_t ex = nm("example.org"), org = nm("org"), none = nm("nothing.test");

    assert_non_null(s);
    for (int i = 0; i < DNAMES; i++) {
        for (int j = 0; j < 4; j++) {
            int dnssec;
            uint64_t fetched;
            dump_entry(i, j, &dnssec, &fetched);
            assert_int_equal(put_full(f->c, dump_names[i], dump_rtypes[j], dnssec,
                                      fetched, 250, "x"), 0);
        }
        if (i == 5)
            assert_int_equal(pc_cache_commit(f->c), 0); /* half committed */
    }
    /* each filter alone and combined, against a brute-force selection;
     * a count of -1 means "whatever the selection says" */
    const pc_cache_filter_t flts[] = {
        {PC_RT_NONE, NULL, -1, -1, T_NOW}, {PC_RT_SPF, NULL, -1, -1, T_NOW},
        {PC_RT_NONE, &ex, -1, -1, T_NOW}, {PC_RT_NONE, &org, -1, -1, T_NOW},
        {PC_RT_NONE, &none, -1, -1, T_NOW}, {PC_RT_NONE, NULL, 0, -1, T_NOW},
        {PC_RT_NONE, NULL, 1, -1, T_NOW}, {PC_RT_NONE, NULL, 2, -1, T_NOW},
        {PC_RT_NONE, NULL, 3, -1, T_NOW}, {PC_RT_NONE, NULL, -1, 0, T_NOW},
        {PC_RT_NONE, NULL, -1, 1, T_NOW}, {PC_RT_NONE, NULL, -1, 0, T_NOW + 1000},
        {PC_RT_NONE, NULL, -1, 1, T_NOW + 1000}, {PC_RT_DMARC, &ex, 1, 0, T_NOW},
        {PC_RT_DMARC, &ex, -1, 0, T_NOW},
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
    fix_t *f = *state;
    seen_t *s = calloc(1, sizeof(*s)), *want = calloc(1, sizeof(*want));
    uint8_t cursor[PC_CURSOR_MAX], junk[PC_CURSOR_MAX];
    size_t clen = 0;
    char name[64];
    int rc, page = 0;

    assert_true(s != NULL && want != NULL);
    for (int i = 0; i < 30; i++) {
        snprintf(name, sizeof(name), "h%02d.test", i);
        put(f->c, name, PC_RT_SPF, "x");
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
            put(f->c, name, PC_RT_DKIM, "ins");
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
    fix_t *f = *state;
    seen_t *s = calloc(1, sizeof(*s));
    pc_cache_filter_t flt = {PC_RT_SPF, NULL, -1, -1, T_NOW};
    pc_name_t few = nm("few.test");
    uint8_t cursor[PC_CURSOR_MAX];
    size_t clen = 0;
    char name[64];
    int rc;

    assert_non_null(s);
    for (int i = 0; i < 5000; i++) {
        snprintf(name, sizeof(name), "a%d.scan.test", i);
        put(f->c, name, PC_RT_A, "x");
    }
    put(f->c, "zzzzzzzz.scan.test", PC_RT_SPF, "x");
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
    put(f->c, "a.few.test", PC_RT_SPF, "x");
    put(f->c, "b.few.test", PC_RT_SPF, "x");
    put(f->c, "few.test", PC_RT_DMARC, "x");
    flt.rtype = PC_RT_NONE;
    flt.suffix = &few;
    s->stop = 1;
    assert_int_equal(dump_all(f->c, &flt, 10, s), 3);
    assert_int_equal(s->n, 3);
    free(s);
}

static void test_corrupt_value(void **state)
{
    fix_t *f = *state;
    pc_name_t bad = nm("bad.test"), bad2 = nm("bad2.test");
    uint8_t key[PC_CACHE_KEY_MAX], val[PC_CVAL_HDR_LEN], *buf;
    pc_cval_t v = {.rtype = PC_RT_DMARC, .outcome = PC_OUTCOME_NXDOMAIN};
    int klen;

    put(f->c, "good.test", PC_RT_SPF, "good");
    put(f->c, "bad.test", PC_RT_SPF, "bad");
    put(f->c, "bad2.test", PC_RT_SPF, "bad2");
    shut(f);

    /* garbage under bad.test; a valid DMARC value under bad2.test's SPF key */
    klen = pc_cache_key(&bad, PC_RT_SPF, key, sizeof(key));
    raw_put(f->dir, "cache", key, (size_t)klen, "\001garbage", 8);
    assert_int_equal(pc_cval_encode(&v, val, sizeof(val)), PC_CVAL_HDR_LEN);
    klen = pc_cache_key(&bad2, PC_RT_SPF, key, sizeof(key));
    raw_put(f->dir, "cache", key, (size_t)klen, val, sizeof(val));
    reopen(f, 0);

    /* a dump skips both */
    {
        seen_t *s = calloc(1, sizeof(*s));
        assert_non_null(s);
        assert_int_equal(dump_all(f->c, NULL, 10, s), 1);
        assert_int_equal(s->n, 1);
        free(s);
    }
    buf = val;
    assert_int_equal(pc_cache_get(f->c, &bad, PC_RT_SPF, &v, &buf), PC_ECORRUPT);
    assert_null(buf);
    assert_int_equal(pc_cache_dirty(f->c), 1); /* the deletion is in the batch */
    expect(f->c, "bad.test", PC_RT_SPF, NULL);
    assert_int_equal(pc_cache_get(f->c, &bad2, PC_RT_SPF, &v, &buf), PC_ECORRUPT);
    expect(f->c, "good.test", PC_RT_SPF, "good");
    assert_int_equal(stats(f->c).corrupt, 2);
    assert_int_equal(stats(f->c).entries, 1);
    reopen(f, 0);
    expect(f->c, "bad.test", PC_RT_SPF, NULL);
    expect(f->c, "bad2.test", PC_RT_SPF, NULL);
    expect(f->c, "good.test", PC_RT_SPF, "good");
}

static void test_rebuild_damaged(void **state)
{
    fix_t *f = *state;
    static uint8_t junk[65536], zero[65536];
    long psize = sysconf(_SC_PAGESIZE);
    char path[128];
    struct stat sb;
    int fd;

    /* random bytes in data.mdb, then in both files */
    fill_and_close(f, 10);
    srand(1234);
    for (size_t i = 0; i < sizeof(junk); i++)
        junk[i] = (uint8_t)rand();
    write_file(f, "data.mdb", junk, sizeof(junk));
    expect_rebuilt(f);
    shut(f);
    write_file(f, "data.mdb", junk, 5000);
    write_file(f, "lock.mdb", junk + 5000, 8192);
    expect_rebuilt(f);
    /* truncated to half; to less than the meta pages */
    fill_and_close(f, 400);
    path_of(path, sizeof(path), f, "data.mdb");
    assert_int_equal(stat(path, &sb), 0);
    assert_true(sb.st_size > 20 * psize);
    assert_int_equal(truncate(path, sb.st_size / 2), 0);
    expect_rebuilt(f);
    fill_and_close(f, 10);
    assert_int_equal(truncate(path, 100), 0);
    expect_rebuilt(f);
    /* every page but the two meta pages zeroed (LMDB: MDB_CORRUPTED) */
    fill_and_close(f, 100);
    assert_int_equal(stat(path, &sb), 0);
    assert_true(psize <= (long)sizeof(zero) && sb.st_size > 2 * psize);
    fd = open(path, O_WRONLY);
    assert_true(fd >= 0);
    for (off_t o = 2 * psize; o < sb.st_size; o += psize)
        assert_int_equal(pwrite(fd, zero, (size_t)psize, o), psize);
    close(fd);
    expect_rebuilt(f);
}

static void test_rebuild_foreign(void **state)
{
    fix_t *f = *state;
    static const char old[] = "polcache-cache-0";
    uint8_t junk[8192];

    /* another format string */
    fill_and_close(f, 5);
    raw_put(f->dir, "meta", "format", 6, old, sizeof(old) - 1);
    expect_rebuilt(f);
    /* no format key in a non-empty file: a foreign LMDB file */
    shut(f);
    write_file(f, "data.mdb", "", 0);
    raw_put(f->dir, NULL, "hello", 5, "world", 5);
    expect_rebuilt(f);
    /* a main-database key "meta" that is not a database */
    shut(f);
    write_file(f, "data.mdb", "", 0);
    raw_put(f->dir, NULL, "meta", 4, "plain", 5);
    expect_rebuilt(f);
    /* a "cache" database but no meta */
    shut(f);
    write_file(f, "data.mdb", "", 0);
    raw_put(f->dir, "cache", "k", 1, "v", 1);
    expect_rebuilt(f);

    /* an empty data.mdb is a new file, not a rebuild */
    shut(f);
    write_file(f, "data.mdb", "", 0);
    reopen(f, 0);
    assert_int_equal(stats(f->c).rebuilds, 0);
    put(f->c, "x.test", PC_RT_A, "x");
    /* a garbage lock file is reinitialised; the data survive */
    shut(f);
    memset(junk, 0xa5, sizeof(junk));
    write_file(f, "lock.mdb", junk, sizeof(junk));
    reopen(f, 0);
    expect(f->c, "x.test", PC_RT_A, "x");
}

static void test_directory(void **state)
{
    fix_t *f = *state;
    pc_cache_opts_t o = {0};
    pc_cache_t *c = NULL;
    char sub[96], file[192];
    struct stat sb;

    snprintf(sub, sizeof(sub), "%s/state", f->dir);
    umask(022);
    o.dir = sub;
    o.nosync = 1;
    assert_int_equal(pc_cache_open(&c, &o), 0);
    assert_int_equal(stat(sub, &sb), 0);
    assert_true(S_ISDIR(sb.st_mode));
    assert_int_equal(sb.st_mode & 0777, 0750);
    snprintf(file, sizeof(file), "%s/data.mdb", sub);
    assert_int_equal(stat(file, &sb), 0);
    pc_cache_close(c);
    c = NULL;
    /* a regular file where the directory should be; a missing parent */
    o.dir = file;
    assert_int_equal(pc_cache_open(&c, &o), PC_ECACHE);
    assert_null(c);
    snprintf(file, sizeof(file), "%s/no/such/dir", f->dir);
    assert_int_equal(pc_cache_open(&c, &o), PC_ECACHE);
    /* a directory we may not write (meaningless as root) */
    if (geteuid() != 0) {
        snprintf(file, sizeof(file), "%s/ro", f->dir);
        assert_int_equal(mkdir(file, 0500), 0);
        assert_int_equal(pc_cache_open(&c, &o), PC_EPERM);
        assert_null(c);
    }
}

static void test_map_full(void **state)
{
    fix_t *f = *state;
    pc_cache_stats_t st;
    char name[64], raw[2001];
    int i, rc = 0, committed = 0;
    uint64_t count;

    memset(raw, 'm', sizeof(raw) - 1);
    raw[sizeof(raw) - 1] = '\0';
    reopen(f, 32 * 4096);
    for (i = 0; i < 1000 && rc == 0; i++) {
        snprintf(name, sizeof(name), "m%d.test", i);
        rc = put_full(f->c, name, PC_RT_TXT, PC_DNSSEC_NONE, T_NOW, 60, raw);
        if (rc == 0 && i % 4 == 3) {
            rc = pc_cache_commit(f->c);
            if (rc == 0)
                committed = i + 1;
        }
    }
    assert_int_equal(rc, PC_EMAPFULL);
    assert_true(committed > 0);
    assert_int_equal(pc_cache_dirty(f->c), 0); /* the batch was dropped */
    st = stats(f->c);
    assert_true(st.map_full >= 1);
    assert_int_equal(st.entries, (uint64_t)committed);
    assert_int_equal(st.map_pages, 32);
    /* still answering */
    expect(f->c, "m0.test", PC_RT_TXT, raw);
    snprintf(name, sizeof(name), "m%d.test", committed - 1);
    expect(f->c, name, PC_RT_TXT, raw);
    snprintf(name, sizeof(name), "m%d.test", committed);
    expect(f->c, name, PC_RT_TXT, NULL);
    /* small puts may or may not fit; after a flush, puts work again */
    assert_int_equal(pc_cache_flush(f->c, NULL, &count), 0);
    assert_true(count >= (uint64_t)committed);
    assert_int_equal(stats(f->c).entries, 0);
    for (i = 0; i < 4; i++) {
        snprintf(name, sizeof(name), "again%d.test", i);
        assert_int_equal(put_full(f->c, name, PC_RT_TXT, 0, T_NOW, 60, raw), 0);
    }
    assert_int_equal(pc_cache_commit(f->c), 0);
    expect(f->c, "again3.test", PC_RT_TXT, raw);

    /* fill again, then flush one name: the cache stays usable */
    rc = 0;
    for (i = 0; i < 1000 && rc == 0; i++) {
        snprintf(name, sizeof(name), "n%d.sub.test", i);
        rc = put_full(f->c, name, PC_RT_TXT, 0, T_NOW, 60, raw);
        if (rc == 0)
            rc = pc_cache_commit(f->c);
    }
    assert_int_equal(rc, PC_EMAPFULL);
    {
        pc_name_t sub = nm("sub.test");
        assert_int_equal(pc_cache_flush(f->c, &sub, &count), 0);
        assert_true(count >= (uint64_t)i - 1);
    }
    expect(f->c, "n0.sub.test", PC_RT_TXT, NULL);
    put(f->c, "n0.sub.test", PC_RT_TXT, "fits");
    assert_int_equal(pc_cache_commit(f->c), 0);
    expect(f->c, "n0.sub.test", PC_RT_TXT, "fits");
}

static void test_stats(void **state)
{
    fix_t *f = *state;
    pc_cache_stats_t st, st2;
    char name[64];

    assert_int_equal(pc_cache_stats(f->c, &st), 0);
    assert_int_equal(st.entries, 0);
    assert_true(st.page_size >= 512);
    assert_int_equal(st.map_pages, ((uint64_t)256 << 20) / st.page_size);
    assert_true(st.live_pages >= 2 && st.live_pages < 10);
    assert_int_equal(st.rebuilds + st.corrupt + st.map_full, 0);
    for (int i = 0; i < 2000; i++) {
        snprintf(name, sizeof(name), "s%d.stats.test", i);
        put(f->c, name, PC_RT_MX, "a body that takes some room in the pages");
    }
    assert_int_equal(pc_cache_stats(f->c, &st2), 0); /* sees the batch */
    assert_int_equal(st2.entries, 2000);
    assert_int_equal(pc_cache_commit(f->c), 0);
    assert_int_equal(pc_cache_stats(f->c, &st2), 0);
    assert_int_equal(st2.entries, 2000);
    assert_true(st2.live_pages > st.live_pages + 20);
    assert_true(st2.live_pages < st2.map_pages);
    /* live pages shrink after a flush (the file does not) */
    assert_int_equal(pc_cache_flush(f->c, NULL, NULL), 0);
    assert_int_equal(pc_cache_stats(f->c, &st2), 0);
    assert_int_equal(st2.entries, 0);
    assert_true(st2.live_pages <= st.live_pages + 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_args, setup, teardown),
        cmocka_unit_test_setup_teardown(test_put_get_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_persistence, setup, teardown),
        cmocka_unit_test_setup_teardown(test_generation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flush_name, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flush_big_subtree_and_all, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dump_filters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dump_resume_with_inserts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dump_scan_budget_and_stop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_value, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rebuild_damaged, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rebuild_foreign, setup, teardown),
        cmocka_unit_test_setup_teardown(test_directory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_map_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stats, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
