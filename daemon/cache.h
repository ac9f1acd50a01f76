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
 * Reads see uncommitted puts of the open transaction. No read transaction
 * is held between calls.
 *
 * Files: opts->dir holds data.mdb and lock.mdb (LMDB's defaults). The
 * "meta" database holds the key "format" = PC_CACHE_FORMAT; the "cache"
 * database holds the entries.
 */
#ifndef PC_CACHE_H
#define PC_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "cval.h"
#include "name.h"
#include "polcache/types.h"

/* The format string in the meta database; another value means rebuild. */
#define PC_CACHE_FORMAT "polcache-cache-1"
/* Octets of the longest key pc_cache_key() writes. */
#define PC_CACHE_KEY_MAX (PC_NAME_KEY_MAX + 2)

typedef struct pc_cache pc_cache_t;

typedef struct pc_cache_opts {
    const char *dir;      /* state directory; created (0750) if missing;
                             copied, so it need not outlive the call */
    size_t map_size;      /* LMDB map size in octets (0 = 256 MiB) */
    unsigned max_readers; /* LMDB reader slots (0 = 126) */
    int nosync;           /* 0 (default) = MDB_NOMETASYNC: a system crash
                             may lose the last commits but never corrupts
                             the file. 1 = MDB_NOSYNC: much faster commits,
                             safe against a process crash but not against
                             a system crash or power loss (the file may
                             then be corrupt; a clean-shutdown marker is
                             still to come) */
} pc_cache_opts_t;

/*
 * pc_cache_open - open (or create) the cache in opts->dir.
 * A missing (or empty) data.mdb is created. A file that LMDB refuses, one
 * shorter than its own meta page says (truncated), one without the format
 * key although not empty, or one of another format is removed together
 * with lock.mdb and rebuilt empty, with a warning saying why; that is not
 * an error (stats.rebuilds counts it). Stale reader slots are cleared.
 * On success *out owns the environment until pc_cache_close().
 * Returns 0, PC_EINVAL, PC_ENOMEM, PC_EPERM (directory not writable),
 * PC_ECACHE (any other failure, logged, including one a rebuild did not
 * cure).
 */
int pc_cache_open(pc_cache_t **out, const pc_cache_opts_t *opts);

/* Commit pending writes and close. NULL is a no-op. */
void pc_cache_close(pc_cache_t *c);

/*
 * pc_cache_get - look up (qname, rtype). On success *out is decoded and
 * its body points into *buf, a malloc'd copy of the stored value that the
 * caller frees with free() (no LMDB pointer escapes). On error *buf is
 * NULL.
 * Returns 0; PC_ENOENT (absent); PC_ECORRUPT (a stored value failed its
 * check or holds another rtype: it is deleted in the open write batch,
 * logged and counted, and the caller treats it as a miss); PC_EBUSY (no
 * free reader slot even after clearing stale ones); PC_ENOMEM; PC_ECACHE;
 * PC_EINVAL.
 */
int pc_cache_get(pc_cache_t *c, const pc_name_t *qname, pc_rtype_t rtype,
                 pc_cval_t *out, uint8_t **buf);

/*
 * pc_cache_put - store a value for (qname, rtype), replacing any previous
 * one, unless a flush happened since generation gen was read with
 * pc_cache_generation(): then nothing is written and PC_ECANCELED is
 * returned. v->rtype must equal rtype. The write becomes durable at the
 * next pc_cache_commit().
 * On PC_EMAPFULL the whole open batch (every put since the last commit) is
 * lost, the cache stays consistent and usable, and the daemon keeps
 * serving (those entries are simply not cached).
 * Returns 0, PC_ECANCELED, PC_EMAPFULL, PC_ETOOBIG (body over
 * PC_CVAL_MAX_BODY), PC_ECACHE, PC_EINVAL (NULL, bad rtype, a value
 * pc_cval_encode refuses).
 */
int pc_cache_put(pc_cache_t *c, const pc_name_t *qname, pc_rtype_t rtype,
                 const pc_cval_t *v, uint64_t gen);

/* Commit the open write transaction, if any. Returns 0, PC_EINVAL (NULL),
 * or PC_ECACHE / PC_EMAPFULL (the batch is then lost; the cache stays
 * consistent). */
int pc_cache_commit(pc_cache_t *c);

/* 1 if writes (puts, deletions of corrupt values) are waiting for
 * pc_cache_commit(); 0 otherwise or for NULL. */
int pc_cache_dirty(const pc_cache_t *c);

/* The flush generation: starts at 0, incremented by every flush and every
 * rebuild. 0 for NULL. */
uint64_t pc_cache_generation(const pc_cache_t *c);

/*
 * pc_cache_flush - delete name and everything below it, of every rtype; or
 * everything if name is NULL (or the root). Commits pending writes first,
 * then the deletions (a large subtree in several transactions), and
 * increments the generation even if it fails. If the map is too full to
 * record the deletions, the whole cache is dropped instead (the file is
 * rebuilt) and *count includes every entry dropped. *count (may be NULL)
 * gets the number of entries deleted.
 * Returns 0, PC_ECACHE, PC_EINVAL.
 */
int pc_cache_flush(pc_cache_t *c, const pc_name_t *name, uint64_t *count);

/* Dump filters. rtype 0 and suffix NULL mean "any"; dnssec and expired
 * use -1 for "any" (0 there is a real filter). A NULL filter matches all. */
typedef struct pc_cache_filter {
    pc_rtype_t rtype;          /* 0 = any */
    const pc_name_t *suffix;   /* this name and below; NULL = any */
    int dnssec;                /* -1 = any, else pc_dnssec_t */
    int expired;               /* -1 = any, 0 = only fresh, 1 = only expired */
    uint64_t now;              /* time for the expired filter */
} pc_cache_filter_t;

/* Called once per dumped entry; return 0 to go on, non-zero to stop (the
 * entry just passed counts as dumped). qname and v (and v->body) are valid
 * only during the call. cb must not call any pc_cache_* function. */
typedef int (*pc_cache_dump_cb)(void *arg, const pc_name_t *qname,
                                pc_rtype_t rtype, const pc_cval_t *v);

/*
 * pc_cache_dump - one page of at most limit (1..PC_DUMP_MAX) matching
 * entries, in key order, starting after cursor (cursor_len 0 = from the
 * start; any octets are accepted, but one longer than any LMDB key, 511
 * octets, is PC_EINVAL). No read
 * transaction is held between pages; the open write batch is visible. If
 * more entries may follow, the resume point (the last key examined) is
 * written to next (PC_CURSOR_MAX octets) and *next_len set; otherwise
 * *next_len is 0. A page examines at most a few thousand entries, so with a
 * selective filter it may hold fewer than limit entries (even none) while
 * *next_len is set. Corrupt values are skipped (and logged).
 * Returns the number of entries passed to cb, or PC_EINVAL, PC_EBUSY,
 * PC_ECACHE.
 */
int pc_cache_dump(pc_cache_t *c, const pc_cache_filter_t *f,
                  const uint8_t *cursor, size_t cursor_len, unsigned limit,
                  pc_cache_dump_cb cb, void *arg, uint8_t *next,
                  size_t *next_len);

typedef struct pc_cache_stats {
    uint64_t entries;     /* values stored */
    uint64_t live_pages;  /* branch + leaf + overflow pages of the cache,
                             meta and main DBs (not the file's high-water
                             mark) */
    uint64_t map_pages;   /* map size / page size */
    uint64_t page_size;
    uint64_t rebuilds;    /* times the file was rebuilt since open */
    uint64_t corrupt;     /* corrupt values found and deleted */
    uint64_t map_full;    /* MDB_MAP_FULL seen */
} pc_cache_stats_t;

/* pc_cache_stats - fill *out; entries and pages include the open write
 * batch. Returns 0, PC_EINVAL, PC_EBUSY, PC_ECACHE. */
int pc_cache_stats(pc_cache_t *c, pc_cache_stats_t *out);

/*
 * pc_cache_key - the key of (qname, rtype): pc_name_to_key(qname) || 0x00
 * || rtype, written to key (cap octets; PC_CACHE_KEY_MAX is enough).
 * Returns the key length, or PC_EINVAL (NULL, rtype outside
 * 1..PC_RT_MAX_) or PC_ETOOBIG (cap too small).
 */
int pc_cache_key(const pc_name_t *qname, pc_rtype_t rtype, uint8_t *key,
                 size_t cap);

#endif /* PC_CACHE_H */
