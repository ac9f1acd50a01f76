/*
 * cache_testutil.h - the fixture and helpers shared by the cache tests
 * (tests/unit/test_cache*.c): a cache in its own mkdtemp directory under
 * /tmp, values with a RAW text body, reads compared with what was put, and
 * writes into the LMDB file behind the cache's back. Helpers fail the
 * running cmocka test on any surprise.
 */
#ifndef PC_CACHE_TESTUTIL_H
#define PC_CACHE_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "cache.h"
#include "name.h"
#include "polcache/types.h"

/* A fixed "now" for values: 2027-01-15. */
#define CT_NOW 1800000000u

typedef struct ct_fix {
    char dir[64];
    pc_cache_t *c;
    pc_cache_opts_t opts; /* used by ct_reopen; opts.dir is dir */
    uint64_t now;         /* ct_clock's time, CT_NOW at setup */
} ct_fix_t;

/* cmocka setup/teardown: *state becomes a ct_fix_t with an open cache
 * (default options, the wall clock); teardown closes it and removes dir. */
int ct_setup(void **state);
int ct_teardown(void **state);

/* A pc_cache_clock_fn reading the ct_fix_t passed as its arg. */
uint64_t ct_clock(void *arg);

/* Close the cache (f->c becomes NULL). */
void ct_shut(ct_fix_t *f);
/* Close and open again with f->opts and the given map size (0 = default). */
void ct_reopen(ct_fix_t *f, size_t map_size);

/* The name s (presentation format, escapes allowed). */
pc_name_t ct_nm(const char *s);

/* Store a value whose RAW text is raw, fetched/ttl as given, stamp 0 (the
 * cache's choice). Returns pc_cache_put's result. */
int ct_put_full(pc_cache_t *c, const char *name, pc_rtype_t rt, int dnssec, uint64_t fetched,
                uint32_t ttl, const char *raw);
/* The same with a given stamp and expiry; returns pc_cache_put's result. */
int ct_put_stamped(pc_cache_t *c, const char *name, pc_rtype_t rt, uint64_t fetched,
                   uint32_t ttl, uint32_t stamp, const char *raw);
/* Store raw, secure, fetched CT_NOW, TTL 300; must succeed. */
void ct_put(pc_cache_t *c, const char *name, pc_rtype_t rt, const char *raw);
/* Get and compare the RAW text; raw NULL expects PC_ENOENT. */
void ct_expect(pc_cache_t *c, const char *name, pc_rtype_t rt, const char *raw);
/* 1 if (name, rt) is stored; *stamp (may be NULL) gets its access stamp. */
int ct_has(pc_cache_t *c, const char *name, pc_rtype_t rt, uint32_t *stamp);
/* The cache's stats; must succeed. */
pc_cache_stats_t ct_stats(pc_cache_t *c);

/* Put something under key into database db (NULL = main) of the
 * environment in dir through the LMDB API, with the cache closed. */
void ct_raw_put(const char *dir, const char *db, const void *key, size_t klen, const void *val,
                size_t vlen);
/* dir/file into out. */
void ct_path_of(char *out, size_t cap, const ct_fix_t *f, const char *file);
/* Replace dir/file by n octets of p. */
void ct_write_file(const ct_fix_t *f, const char *file, const void *p, size_t n);
/* Fill the cache with n DKIM entries of 255 octets and close it. */
void ct_fill_and_close(ct_fix_t *f, int n);
/* Open the cache whose files the caller broke: it must have been rebuilt
 * once, with one "rebuilding" warning, and be empty and usable, also after
 * a reopen. */
void ct_expect_rebuilt(ct_fix_t *f);
/* Count the warnings containing what until the next call (capture on). */
void ct_log_count(const char *what);
/* Stop counting; returns the count. */
int ct_log_count_end(void);

#endif /* PC_CACHE_TESTUTIL_H */
