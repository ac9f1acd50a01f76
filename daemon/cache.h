/*
 * cache.h - polcached's answer cache: LMDB behind a small interface. This
 * module is the only one that includes lmdb.h; LMDB errors are translated
 * into the PC_E* table in exactly one function of cache.c.
 *
 * Keys are name-key || 0x00 || rtype (see docs/ARCHITECTURE.md), so a name
 * and everything below it is one key range. Values are pc_cval_t (proto/
 * cval.h), checked on every read. The cache is used from one thread (the
 * daemon's loop); it is not thread-safe.
 *
 * Writes are batched: pc_cache_put() writes into an open write transaction
 * that pc_cache_commit() commits (the daemon commits once per loop pass).
 * Reads see uncommitted puts of the open transaction.
 */
#ifndef PC_CACHE_H
#define PC_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "cval.h"
#include "name.h"
#include "polcache/types.h"

typedef struct pc_cache pc_cache_t;

typedef struct pc_cache_opts {
    const char *dir;      /* state directory; created (0750) if missing */
    size_t map_size;      /* LMDB map size in octets (0 = 256 MiB) */
    unsigned max_readers; /* LMDB reader slots (0 = 126) */
    int nosync;           /* 1 = MDB_NOSYNC-style durability (see docs) */
} pc_cache_opts_t;

/*
 * pc_cache_open - open (or create) the cache in opts->dir.
 * A missing file is created. A file of another format version, or one LMDB
 * cannot open as a valid environment, is moved aside or removed and rebuilt
 * empty, with a log line saying why; that is not an error.
 * On success *out owns the environment until pc_cache_close().
 * Returns 0, PC_EINVAL, PC_ENOMEM, PC_EPERM (directory not writable),
 * PC_ECACHE (LMDB failure that a rebuild did not cure).
 */
int pc_cache_open(pc_cache_t **out, const pc_cache_opts_t *opts);

/* Commit pending writes and close. NULL is a no-op. */
void pc_cache_close(pc_cache_t *c);

/*
 * pc_cache_get - look up (qname, rtype). On success *out is decoded and
 * its body points into *buf, a malloc'd copy of the stored value that the
 * caller frees with free() (no LMDB pointer escapes).
 * Returns 0; PC_ENOENT (absent); PC_ECORRUPT (a stored value failed its
 * check: it is deleted and logged, and the caller treats it as a miss);
 * PC_ECACHE; PC_EINVAL.
 */
int pc_cache_get(pc_cache_t *c, const pc_name_t *qname, pc_rtype_t rtype,
                 pc_cval_t *out, uint8_t **buf);

/*
 * pc_cache_put - store a value for (qname, rtype), replacing any previous
 * one, unless a flush happened since generation gen was read with
 * pc_cache_generation(): then nothing is written and PC_ECANCELED is
 * returned. The write becomes durable at the next pc_cache_commit().
 * On PC_EMAPFULL the daemon keeps serving (the entry is not cached).
 * Returns 0, PC_ECANCELED, PC_EMAPFULL, PC_ETOOBIG, PC_ECACHE, PC_EINVAL.
 */
int pc_cache_put(pc_cache_t *c, const pc_name_t *qname, pc_rtype_t rtype,
                 const pc_cval_t *v, uint64_t gen);

/* Commit the open write transaction, if any. Returns 0 or PC_ECACHE /
 * PC_EMAPFULL (the batch is then lost; the cache stays consistent). */
int pc_cache_commit(pc_cache_t *c);

/* 1 if puts are waiting for pc_cache_commit(). */
int pc_cache_dirty(const pc_cache_t *c);

/* The flush generation: incremented by every flush. */
uint64_t pc_cache_generation(const pc_cache_t *c);

/*
 * pc_cache_flush - delete name and everything below it, of every rtype; or
 * everything if name is NULL. Commits at once and increments the
 * generation. *count (may be NULL) gets the number of entries deleted.
 * Returns 0, PC_ECACHE, PC_EINVAL.
 */
int pc_cache_flush(pc_cache_t *c, const pc_name_t *name, uint64_t *count);

/* Dump filters; 0 / NULL fields mean "any". */
typedef struct pc_cache_filter {
    pc_rtype_t rtype;          /* 0 = any */
    const pc_name_t *suffix;   /* this name and below; NULL = any */
    int dnssec;                /* -1 = any, else pc_dnssec_t */
    int expired;               /* -1 = any, 0 = only fresh, 1 = only expired */
    uint64_t now;              /* time for the expired filter */
} pc_cache_filter_t;

/* Called once per dumped entry; return 0 to go on, non-zero to stop. */
typedef int (*pc_cache_dump_cb)(void *arg, const pc_name_t *qname,
                                pc_rtype_t rtype, const pc_cval_t *v);

/*
 * pc_cache_dump - one page of at most limit matching entries, in key order,
 * starting after cursor (cursor_len 0 = from the start). No read
 * transaction is held between pages. If more entries may follow, the
 * resume point is written to next (PC_CURSOR_MAX octets) and *next_len set;
 * otherwise *next_len is 0. Corrupt values are skipped (and logged).
 * Returns the number of entries passed to cb, or PC_EINVAL / PC_ECACHE.
 */
int pc_cache_dump(pc_cache_t *c, const pc_cache_filter_t *f,
                  const uint8_t *cursor, size_t cursor_len, unsigned limit,
                  pc_cache_dump_cb cb, void *arg, uint8_t *next,
                  size_t *next_len);

typedef struct pc_cache_stats {
    uint64_t entries;     /* values stored */
    uint64_t live_pages;  /* branch + leaf + overflow pages of all DBs */
    uint64_t map_pages;   /* map size / page size */
    uint64_t page_size;
    uint64_t rebuilds;    /* times the file was rebuilt since open */
    uint64_t corrupt;     /* corrupt values found and deleted */
    uint64_t map_full;    /* MDB_MAP_FULL seen */
} pc_cache_stats_t;

int pc_cache_stats(pc_cache_t *c, pc_cache_stats_t *out);

/* Key helpers, exposed for tests and the dump cursor. */
int pc_cache_key(const pc_name_t *qname, pc_rtype_t rtype, uint8_t *key,
                 size_t cap);

#endif /* PC_CACHE_H */
