/*
 * test_cache.c - unit tests of the LMDB cache (daemon/cache.c): the batch
 * and read paths, persistence, the flush generation, subtree flushes,
 * corrupt values, files that must be rebuilt, a full map, stats. The dump
 * is tested in test_cache_dump.c, eviction in test_cache_evict.c and
 * test_cache_lru.c, the clean-shutdown marker in test_cache_marker.c.
 * Each test works in its own mkdtemp directory under /tmp
 * (cache_testutil.h); broken files are written with the LMDB API directly.
 */
#include <errno.h>
#include <fcntl.h>
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

#include "cache.h"
#include "cache_testutil.h"
#include "log.h"
#include "polcache/error.h"
#include "polcache/types.h"
#include "wire.h"

static int count_cb(void *arg, const pc_name_t *qname, pc_rtype_t rtype, const pc_cval_t *v)
{
    (void)qname, (void)rtype, (void)v;
    ++*(unsigned *)arg;
    return 0;
}

static void test_args(void **state)
{
    ct_fix_t *f = *state;
    pc_cache_opts_t o = {0};
    pc_cache_t *c = (pc_cache_t *)f;
    pc_name_t n = ct_nm("example.org");
    uint8_t key[PC_CACHE_KEY_MAX], *buf = key, next[PC_CURSOR_MAX];
    pc_cval_t v = {.rtype = PC_RT_SPF, .outcome = PC_OUTCOME_NXDOMAIN, .fetched = CT_NOW,
                   .expires = CT_NOW};
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
    v.expires = CT_NOW + 1; /* expires != fetched + ttl */
    assert_int_equal(pc_cache_put(f->c, &n, PC_RT_SPF, &v, 0), PC_EINVAL);
    v.expires = CT_NOW;
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
    ct_fix_t *f = *state;
    pc_name_t n = ct_nm("Example.ORG");
    pc_cval_t v;
    uint8_t *buf;

    ct_expect(f->c, "example.org", PC_RT_SPF, NULL);
    ct_put(f->c, "example.org", PC_RT_SPF, "v=spf1 -all");
    assert_int_equal(pc_cache_dirty(f->c), 1);
    /* the open batch is visible to reads */
    ct_expect(f->c, "example.org", PC_RT_SPF, "v=spf1 -all");
    ct_expect(f->c, "example.org", PC_RT_DMARC, NULL);
    ct_expect(f->c, "www.example.org", PC_RT_SPF, NULL);
    assert_int_equal(ct_stats(f->c).entries, 1);
    assert_int_equal(pc_cache_commit(f->c), 0);
    assert_int_equal(pc_cache_dirty(f->c), 0);
    assert_int_equal(pc_cache_commit(f->c), 0); /* nothing open: no-op */
    ct_expect(f->c, "example.org", PC_RT_SPF, "v=spf1 -all");

    /* replace; all fields come back */
    assert_int_equal(ct_put_full(f->c, "example.org", PC_RT_SPF, PC_DNSSEC_INSECURE,
                              CT_NOW - 10, 60, "v=spf1 +all"), 0);
    assert_int_equal(pc_cache_get(f->c, &n, PC_RT_SPF, &v, &buf), 0);
    assert_int_equal(v.dnssec, PC_DNSSEC_INSECURE);
    assert_int_equal(v.fetched, CT_NOW - 10);
    assert_int_equal(v.ttl, 60);
    assert_int_equal(v.expires, CT_NOW + 50);
    assert_int_equal(v.outcome, PC_OUTCOME_FOUND);
    assert_true(v.body >= buf);
    free(buf);
    assert_int_equal(pc_cache_commit(f->c), 0);
    assert_int_equal(ct_stats(f->c).entries, 1);

    /* the root name is a name too */
    ct_put(f->c, ".", PC_RT_TXT, "root");
    ct_expect(f->c, ".", PC_RT_TXT, "root");
}

static void test_persistence(void **state)
{
    ct_fix_t *f = *state;
    char name[64], raw[64];

    for (int i = 0; i < 300; i++) {
        snprintf(name, sizeof(name), "d%d.example.net", i);
        snprintf(raw, sizeof(raw), "v=DMARC1; p=none; n=%d", i);
        ct_put(f->c, name, PC_RT_DMARC, raw);
        if (i % 50 == 49)
            assert_int_equal(pc_cache_commit(f->c), 0);
    }
    /* the last puts are uncommitted: close commits them */
    ct_reopen(f, 0);
    assert_int_equal(ct_stats(f->c).rebuilds, 0);
    assert_int_equal(ct_stats(f->c).entries, 300);
    for (int i = 0; i < 300; i++) {
        snprintf(name, sizeof(name), "d%d.example.net", i);
        snprintf(raw, sizeof(raw), "v=DMARC1; p=none; n=%d", i);
        ct_expect(f->c, name, PC_RT_DMARC, raw);
        ct_expect(f->c, name, PC_RT_SPF, NULL);
    }
}

static void test_generation(void **state)
{
    ct_fix_t *f = *state;
    pc_name_t n = ct_nm("race.test");
    uint64_t gen = pc_cache_generation(f->c), count = 99;
    pc_cval_t v = {.rtype = PC_RT_A, .outcome = PC_OUTCOME_NORECORD};

    /* a lookup reads gen, then a flush happens, then it wants to write */
    assert_int_equal(pc_cache_flush(f->c, NULL, &count), 0);
    assert_int_equal(count, 0);
    assert_int_equal(pc_cache_generation(f->c), gen + 1);
    assert_int_equal(pc_cache_put(f->c, &n, PC_RT_A, &v, gen), PC_ECANCELED);
    assert_int_equal(pc_cache_dirty(f->c), 0);
    ct_expect(f->c, "race.test", PC_RT_A, NULL);
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
    ct_fix_t *f = *state;
    pc_name_t n = ct_nm("example.org");
    uint64_t count = 0;
    size_t i;

    for (i = 0; i < sizeof(flush_names) / sizeof(flush_names[0]); i++) {
        ct_put(f->c, flush_names[i], PC_RT_SPF, flush_names[i]);
        ct_put(f->c, flush_names[i], PC_RT_DMARC, flush_names[i]);
        ct_put(f->c, flush_names[i], PC_RT_TXT, flush_names[i]);
    }
    /* uncommitted puts are committed first, then deleted */
    assert_int_equal(pc_cache_flush(f->c, &n, &count), 0);
    assert_int_equal(count, 4 * 3);
    assert_int_equal(pc_cache_dirty(f->c), 0);
    for (i = 0; i < sizeof(flush_names) / sizeof(flush_names[0]); i++) {
        int below = i < 4;
        ct_expect(f->c, flush_names[i], PC_RT_SPF, below ? NULL : flush_names[i]);
        ct_expect(f->c, flush_names[i], PC_RT_DMARC, below ? NULL : flush_names[i]);
        ct_expect(f->c, flush_names[i], PC_RT_TXT, below ? NULL : flush_names[i]);
    }
    assert_int_equal(ct_stats(f->c).entries, (sizeof(flush_names) / sizeof(flush_names[0]) - 4) * 3);
    /* flushing a name that is absent deletes nothing */
    n = ct_nm("nothing.example.org");
    assert_int_equal(pc_cache_flush(f->c, &n, &count), 0);
    assert_int_equal(count, 0);
    /* durable */
    ct_reopen(f, 0);
    ct_expect(f->c, "www.example.org", PC_RT_SPF, NULL);
    ct_expect(f->c, "anexample.org", PC_RT_SPF, "anexample.org");
}

static void test_flush_big_subtree_and_all(void **state)
{
    ct_fix_t *f = *state;
    pc_name_t n = ct_nm("big.test");
    uint64_t count = 0;
    char name[64];

    /* more than one deletion batch */
    for (int i = 0; i < 5000; i++) {
        snprintf(name, sizeof(name), "h%d.big.test", i);
        ct_put(f->c, name, PC_RT_A, "x");
    }
    ct_put(f->c, "small.test", PC_RT_A, "x");
    ct_put(f->c, "bigger.test", PC_RT_A, "x");
    assert_int_equal(pc_cache_commit(f->c), 0);
    assert_int_equal(pc_cache_flush(f->c, &n, &count), 0);
    assert_int_equal(count, 5000);
    assert_int_equal(ct_stats(f->c).entries, 2);
    ct_expect(f->c, "h0.big.test", PC_RT_A, NULL);
    ct_expect(f->c, "h4999.big.test", PC_RT_A, NULL);
    ct_expect(f->c, "bigger.test", PC_RT_A, "x");

    /* flush of everything, with an uncommitted put, and of the root */
    ct_put(f->c, "more.test", PC_RT_A, "x");
    assert_int_equal(pc_cache_flush(f->c, NULL, &count), 0);
    assert_int_equal(count, 3);
    assert_int_equal(ct_stats(f->c).entries, 0);
    ct_put(f->c, "again.test", PC_RT_A, "x");
    n = ct_nm(".");
    assert_int_equal(pc_cache_flush(f->c, &n, &count), 0);
    assert_int_equal(count, 1);
    ct_put(f->c, "again.test", PC_RT_A, "y");
    assert_int_equal(pc_cache_commit(f->c), 0);
    ct_expect(f->c, "again.test", PC_RT_A, "y");
    assert_int_equal(ct_stats(f->c).rebuilds, 0);
}

static void test_corrupt_value(void **state)
{
    ct_fix_t *f = *state;
    pc_name_t bad = ct_nm("bad.test"), bad2 = ct_nm("bad2.test"), bad3 = ct_nm("bad3.test");
    uint8_t key[PC_CACHE_KEY_MAX], val[PC_CVAL_HDR_LEN], *buf;
    uint8_t body[8] = {0, PC_T_RAW, 0, 4, 'b', 'a', 'd', '3'}, val3[PC_CVAL_HDR_LEN + 8];
    pc_cval_t v = {.rtype = PC_RT_DMARC, .outcome = PC_OUTCOME_NXDOMAIN};
    pc_cval_t v3 = {.rtype = PC_RT_SPF, .outcome = PC_OUTCOME_FOUND, .fetched = CT_NOW,
                    .ttl = 300, .expires = CT_NOW + 300, .body = body, .body_len = 8};
    int klen;

    ct_put(f->c, "good.test", PC_RT_SPF, "good");
    ct_put(f->c, "bad.test", PC_RT_SPF, "bad");
    ct_put(f->c, "bad2.test", PC_RT_SPF, "bad2");
    ct_put(f->c, "bad3.test", PC_RT_SPF, "bad3");
    ct_shut(f);

    /* garbage under bad.test; a valid DMARC value under bad2.test's SPF key */
    klen = pc_cache_key(&bad, PC_RT_SPF, key, sizeof(key));
    ct_raw_put(f->dir, "cache", key, (size_t)klen, "\001garbage", 8);
    assert_int_equal(pc_cval_encode(&v, val, sizeof(val)), PC_CVAL_HDR_LEN);
    klen = pc_cache_key(&bad2, PC_RT_SPF, key, sizeof(key));
    ct_raw_put(f->dir, "cache", key, (size_t)klen, val, sizeof(val));
    /* a valid SPF value under bad3.test, one body octet damaged after it
     * was written (its CRC no longer matches) */
    assert_int_equal(pc_cval_encode(&v3, val3, sizeof(val3)), (int)sizeof(val3));
    val3[PC_CVAL_HDR_LEN + 6] ^= 0x20;
    klen = pc_cache_key(&bad3, PC_RT_SPF, key, sizeof(key));
    ct_raw_put(f->dir, "cache", key, (size_t)klen, val3, sizeof(val3));
    ct_reopen(f, 0);

    /* a dump skips both */
    {
        uint8_t next[PC_CURSOR_MAX];
        size_t next_len = 1;
        unsigned seen = 0;
        assert_int_equal(pc_cache_dump(f->c, NULL, NULL, 0, 10, count_cb, &seen, next, &next_len),
                         1);
        assert_int_equal(seen, 1);
        assert_int_equal(next_len, 0);
    }
    buf = val;
    assert_int_equal(pc_cache_get(f->c, &bad, PC_RT_SPF, &v, &buf), PC_ECORRUPT);
    assert_null(buf);
    assert_int_equal(pc_cache_dirty(f->c), 1); /* the deletion is in the batch */
    ct_expect(f->c, "bad.test", PC_RT_SPF, NULL);
    assert_int_equal(pc_cache_get(f->c, &bad2, PC_RT_SPF, &v, &buf), PC_ECORRUPT);
    assert_int_equal(pc_cache_get(f->c, &bad3, PC_RT_SPF, &v, &buf), PC_ECORRUPT);
    assert_null(buf);
    ct_expect(f->c, "good.test", PC_RT_SPF, "good");
    assert_int_equal(ct_stats(f->c).corrupt, 3);
    assert_int_equal(ct_stats(f->c).entries, 1);
    ct_reopen(f, 0);
    ct_expect(f->c, "bad.test", PC_RT_SPF, NULL);
    ct_expect(f->c, "bad2.test", PC_RT_SPF, NULL);
    ct_expect(f->c, "bad3.test", PC_RT_SPF, NULL);
    ct_expect(f->c, "good.test", PC_RT_SPF, "good");
}

static void test_rebuild_damaged(void **state)
{
    ct_fix_t *f = *state;
    static uint8_t junk[65536], zero[65536];
    long psize = sysconf(_SC_PAGESIZE);
    char path[128];
    struct stat sb;
    int fd;

    /* random bytes in data.mdb, then in both files */
    ct_fill_and_close(f, 10);
    srand(1234);
    for (size_t i = 0; i < sizeof(junk); i++)
        junk[i] = (uint8_t)rand();
    ct_write_file(f, "data.mdb", junk, sizeof(junk));
    ct_expect_rebuilt(f);
    ct_shut(f);
    ct_write_file(f, "data.mdb", junk, 5000);
    ct_write_file(f, "lock.mdb", junk + 5000, 8192);
    ct_expect_rebuilt(f);
    /* truncated to half; to less than the meta pages */
    ct_fill_and_close(f, 400);
    ct_path_of(path, sizeof(path), f, "data.mdb");
    assert_int_equal(stat(path, &sb), 0);
    assert_true(sb.st_size > 20 * psize);
    assert_int_equal(truncate(path, sb.st_size / 2), 0);
    ct_expect_rebuilt(f);
    ct_fill_and_close(f, 10);
    assert_int_equal(truncate(path, 100), 0);
    ct_expect_rebuilt(f);
    /* every page but the two meta pages zeroed (LMDB: MDB_CORRUPTED) */
    ct_fill_and_close(f, 100);
    assert_int_equal(stat(path, &sb), 0);
    assert_true(psize <= (long)sizeof(zero) && sb.st_size > 2 * psize);
    fd = open(path, O_WRONLY);
    assert_true(fd >= 0);
    for (off_t o = 2 * psize; o < sb.st_size; o += psize)
        assert_int_equal(pwrite(fd, zero, (size_t)psize, o), psize);
    close(fd);
    ct_expect_rebuilt(f);
}

static void test_rebuild_foreign(void **state)
{
    ct_fix_t *f = *state;
    static const char old[] = "polcache-cache-0", prev[] = "polcache-cache-1";
    uint8_t junk[8192];

    /* another format string */
    ct_fill_and_close(f, 5);
    ct_raw_put(f->dir, "meta", "format", 6, old, sizeof(old) - 1);
    ct_expect_rebuilt(f);
    /* the format before values carried a CRC (cval version 1) */
    ct_fill_and_close(f, 5);
    ct_raw_put(f->dir, "meta", "format", 6, prev, sizeof(prev) - 1);
    ct_expect_rebuilt(f);
    /* no format key in a non-empty file: a foreign LMDB file */
    ct_shut(f);
    ct_write_file(f, "data.mdb", "", 0);
    ct_raw_put(f->dir, NULL, "hello", 5, "world", 5);
    ct_expect_rebuilt(f);
    /* a main-database key "meta" that is not a database */
    ct_shut(f);
    ct_write_file(f, "data.mdb", "", 0);
    ct_raw_put(f->dir, NULL, "meta", 4, "plain", 5);
    ct_expect_rebuilt(f);
    /* a "cache" database but no meta */
    ct_shut(f);
    ct_write_file(f, "data.mdb", "", 0);
    ct_raw_put(f->dir, "cache", "k", 1, "v", 1);
    ct_expect_rebuilt(f);

    /* an empty data.mdb is a new file, not a rebuild */
    ct_shut(f);
    ct_write_file(f, "data.mdb", "", 0);
    ct_reopen(f, 0);
    assert_int_equal(ct_stats(f->c).rebuilds, 0);
    ct_put(f->c, "x.test", PC_RT_A, "x");
    /* a garbage lock file is reinitialised; the data survive */
    ct_shut(f);
    memset(junk, 0xa5, sizeof(junk));
    ct_write_file(f, "lock.mdb", junk, sizeof(junk));
    ct_reopen(f, 0);
    ct_expect(f->c, "x.test", PC_RT_A, "x");
}

static void test_directory(void **state)
{
    ct_fix_t *f = *state;
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
    ct_fix_t *f = *state;
    pc_cache_stats_t st;
    char name[64], raw[2001];
    int i, rc = 0, committed = 0, present = 0;
    uint64_t count;

    memset(raw, 'm', sizeof(raw) - 1);
    raw[sizeof(raw) - 1] = '\0';
    f->opts.evict_at = 100; /* no eviction before the map is full */
    ct_reopen(f, 32 * 4096);
    for (i = 0; i < 1000 && rc == 0; i++) {
        snprintf(name, sizeof(name), "m%d.test", i);
        rc = ct_put_full(f->c, name, PC_RT_TXT, PC_DNSSEC_NONE, CT_NOW, 60, raw);
        if (rc == 0 && i % 4 == 3) {
            rc = pc_cache_commit(f->c);
            if (rc == 0)
                committed = i + 1;
        }
    }
    assert_int_equal(rc, PC_EMAPFULL);
    assert_true(committed > 0);
    assert_int_equal(pc_cache_dirty(f->c), 0); /* the batch was dropped */
    st = ct_stats(f->c);
    assert_true(st.map_full >= 1);
    assert_int_equal(st.map_pages, 32);
    /* a full map evicts at once, at least a quarter of the entries */
    assert_int_equal(st.evict_runs, 1);
    assert_true(st.evicted >= (uint64_t)committed / 4);
    assert_int_equal(st.entries + st.evicted, (uint64_t)committed);
    assert_int_equal(st.drops + st.rebuilds, 0);
    /* still answering: what is left is intact, what was dropped is absent */
    for (i = 0; i < committed + 4; i++) {
        snprintf(name, sizeof(name), "m%d.test", i);
        if (ct_has(f->c, name, PC_RT_TXT, NULL)) {
            ct_expect(f->c, name, PC_RT_TXT, raw);
            present++;
        }
    }
    assert_int_equal(present, st.entries);
    /* and taking new entries without a flush */
    for (i = 0; i < 4; i++) {
        snprintf(name, sizeof(name), "again%d.test", i);
        assert_int_equal(ct_put_full(f->c, name, PC_RT_TXT, 0, CT_NOW, 60, raw), 0);
    }
    assert_int_equal(pc_cache_commit(f->c), 0);
    ct_expect(f->c, "again3.test", PC_RT_TXT, raw);

    /* fill again, then flush one name: the cache stays usable */
    rc = 0;
    for (i = 0; i < 1000 && rc == 0; i++) {
        snprintf(name, sizeof(name), "n%d.sub.test", i);
        rc = ct_put_full(f->c, name, PC_RT_TXT, 0, CT_NOW, 60, raw);
        if (rc == 0)
            rc = pc_cache_commit(f->c);
    }
    assert_int_equal(rc, PC_EMAPFULL);
    {
        pc_name_t sub = ct_nm("sub.test");
        assert_int_equal(pc_cache_flush(f->c, &sub, &count), 0);
        assert_true(count > 0);
    }
    ct_expect(f->c, "n0.sub.test", PC_RT_TXT, NULL);
    ct_put(f->c, "n0.sub.test", PC_RT_TXT, "fits");
    assert_int_equal(pc_cache_commit(f->c), 0);
    ct_expect(f->c, "n0.sub.test", PC_RT_TXT, "fits");
}

static void test_stats(void **state)
{
    ct_fix_t *f = *state;
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
        ct_put(f->c, name, PC_RT_MX, "a body that takes some room in the pages");
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
    assert_true(st2.live_pages <= st.live_pages + 3); /* + the free-page DB's */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_args, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_put_get_commit, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_persistence, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_generation, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_flush_name, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_flush_big_subtree_and_all, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_value, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_rebuild_damaged, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_rebuild_foreign, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_directory, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_map_full, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_stats, ct_setup, ct_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
