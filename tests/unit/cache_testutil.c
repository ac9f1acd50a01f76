/*
 * cache_testutil.c - the cache tests' fixture and helpers (see
 * cache_testutil.h).
 */
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

#include "cache_testutil.h"
#include "log.h"
#include "polcache/error.h"
#include "wire.h"

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

int ct_setup(void **state)
{
    ct_fix_t *f = calloc(1, sizeof(*f));

    if (f == NULL)
        return -1;
    strcpy(f->dir, "/tmp/pc-test-cache-XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    f->opts.dir = f->dir;
    f->now = CT_NOW;
    if (pc_cache_open(&f->c, &f->opts) != 0)
        return -1;
    *state = f;
    return 0;
}

int ct_teardown(void **state)
{
    ct_fix_t *f = *state;

    pc_cache_close(f->c);
    nftw(f->dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

uint64_t ct_clock(void *arg)
{
    return ((const ct_fix_t *)arg)->now;
}

void ct_shut(ct_fix_t *f)
{
    pc_cache_close(f->c);
    f->c = NULL;
}

void ct_reopen(ct_fix_t *f, size_t map_size)
{
    ct_shut(f);
    f->opts.dir = f->dir;
    f->opts.map_size = map_size;
    assert_int_equal(pc_cache_open(&f->c, &f->opts), 0);
}

pc_name_t ct_nm(const char *s)
{
    pc_name_t n;
    assert_int_equal(pc_name_from_text(&n, s, strlen(s), PC_NAME_ESCAPES), 0);
    return n;
}

static int put_value(pc_cache_t *c, const char *name, pc_rtype_t rt, int dnssec, uint64_t fetched,
                     uint32_t ttl, uint32_t stamp, const char *raw)
{
    size_t len = strlen(raw);
    uint8_t body[4096] = {0, PC_T_RAW, (uint8_t)(len >> 8), (uint8_t)len};
    pc_name_t n = ct_nm(name);
    pc_cval_t v = {.rtype = (uint8_t)rt, .outcome = PC_OUTCOME_FOUND,
                   .dnssec = (uint8_t)dnssec, .fetched = fetched, .ttl = ttl,
                   .expires = fetched + ttl, .stamp = stamp, .body = body,
                   .body_len = (uint32_t)len + 4};

    assert_true(len + 4 <= sizeof(body));
    memcpy(body + 4, raw, len);
    return pc_cache_put(c, &n, rt, &v, pc_cache_generation(c));
}

int ct_put_full(pc_cache_t *c, const char *name, pc_rtype_t rt, int dnssec, uint64_t fetched,
                uint32_t ttl, const char *raw)
{
    return put_value(c, name, rt, dnssec, fetched, ttl, 0, raw);
}

int ct_put_stamped(pc_cache_t *c, const char *name, pc_rtype_t rt, uint64_t fetched,
                   uint32_t ttl, uint32_t stamp, const char *raw)
{
    return put_value(c, name, rt, PC_DNSSEC_SECURE, fetched, ttl, stamp, raw);
}

void ct_put(pc_cache_t *c, const char *name, pc_rtype_t rt, const char *raw)
{
    assert_int_equal(ct_put_full(c, name, rt, PC_DNSSEC_SECURE, CT_NOW, 300, raw), 0);
}

void ct_expect(pc_cache_t *c, const char *name, pc_rtype_t rt, const char *raw)
{
    pc_name_t n = ct_nm(name);
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

int ct_has(pc_cache_t *c, const char *name, pc_rtype_t rt, uint32_t *stamp)
{
    pc_name_t n = ct_nm(name);
    pc_cval_t v;
    uint8_t *buf = NULL;
    int rc = pc_cache_get(c, &n, rt, &v, &buf);

    assert_true(rc == 0 || rc == PC_ENOENT);
    if (rc == 0 && stamp != NULL)
        *stamp = v.stamp;
    free(buf);
    return rc == 0;
}

pc_cache_stats_t ct_stats(pc_cache_t *c)
{
    pc_cache_stats_t st;
    assert_int_equal(pc_cache_stats(c, &st), 0);
    return st;
}

void ct_raw_put(const char *dir, const char *db, const void *key, size_t klen, const void *val,
                size_t vlen)
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

void ct_path_of(char *out, size_t cap, const ct_fix_t *f, const char *file)
{
    snprintf(out, cap, "%s/%s", f->dir, file);
}

void ct_write_file(const ct_fix_t *f, const char *file, const void *p, size_t n)
{
    char path[128];
    FILE *fp;

    ct_path_of(path, sizeof(path), f, file);
    fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(p, 1, n, fp), n);
    assert_int_equal(fclose(fp), 0);
}

void ct_fill_and_close(ct_fix_t *f, int n)
{
    char name[64], raw[256];

    memset(raw, 'r', sizeof(raw) - 1);
    raw[sizeof(raw) - 1] = '\0';
    for (int i = 0; i < n; i++) {
        snprintf(name, sizeof(name), "n%04d.example.org", i);
        ct_put(f->c, name, PC_RT_DKIM, raw);
    }
    ct_shut(f);
}

static const char *count_what;
static int count_lines;

static void count_line(void *arg, pc_log_level_t level, const char *line)
{
    (void)arg;
    if (level <= PC_LOG_WARNING && strstr(line, count_what) != NULL)
        count_lines++;
}

void ct_log_count(const char *what)
{
    count_what = what;
    count_lines = 0;
    pc_log_set_capture(count_line, NULL);
}

int ct_log_count_end(void)
{
    pc_log_set_capture(NULL, NULL);
    return count_lines;
}

void ct_expect_rebuilt(ct_fix_t *f)
{
    ct_log_count("rebuilding");
    assert_int_equal(pc_cache_open(&f->c, &f->opts), 0);
    assert_int_equal(ct_log_count_end(), 1);
    assert_int_equal(ct_stats(f->c).rebuilds, 1);
    assert_int_equal(ct_stats(f->c).entries, 0);
    ct_put(f->c, "after.test", PC_RT_SPF, "v=spf1 -all");
    assert_int_equal(pc_cache_commit(f->c), 0);
    ct_expect(f->c, "after.test", PC_RT_SPF, "v=spf1 -all");
    ct_reopen(f, 0);
    assert_int_equal(ct_stats(f->c).rebuilds, 0);
    ct_expect(f->c, "after.test", PC_RT_SPF, "v=spf1 -all");
}
