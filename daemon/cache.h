/*
 * cache.h - polcached's answer cache: LMDB behind a small interface. This
 * module (cache.c, cache_env.c, cache_dump.c, evict.c) is the only one that
 * includes lmdb.h; LMDB errors are translated into the PC_E* table in
 * exactly one function of cache.c.
 *
 * Keys are name-key || 0x00 || rtype (see docs/ARCHITECTURE.md), so a name
 * and everything below it is one key range. Values are pc_cval_t (proto/
 * cval.h), checked on every read. The cache is used from one thread (the
 * daemon's loop); it is not thread-safe.
 *
 * Writes are batched: pc_cache_put() writes into an open write transaction
 * that pc_cache_commit() commits (the daemon commits once per loop pass; a
 * batch of PC_CACHE_BATCH_MAX puts is committed early). Reads see
 * uncommitted puts of the open transaction. No read transaction is held
 * between calls.
 *
 * The cache keeps itself from filling: hits are recorded with
 * pc_cache_touch() and their access stamps written in batches, and after a
 * commit that leaves live pages over the high mark (85% of the map by
 * default) a bounded step of approximate-LRU eviction runs (evict.h). A
 * full map (MDB_MAP_FULL) is survived: stale readers are cleared, entries
 * evicted, and as last resorts all entries dropped or the file rebuilt.
 *
 * Files: opts->dir holds data.mdb and lock.mdb (LMDB's defaults) and the
 * clean-shutdown marker (marker.h). The "meta" database holds the key
 * "format" = PC_CACHE_FORMAT; the "cache" database holds the entries.
 */
#ifndef PC_CACHE_H
#define PC_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "cval.h"
#include "name.h"
#include "polcache/types.h"

/* The format string in the meta database; another value means rebuild. */
#define PC_CACHE_FORMAT "polcache-cache-2"
/* Octets of the longest key pc_cache_key() writes. */
#define PC_CACHE_KEY_MAX (PC_NAME_KEY_MAX + 2)
/* Puts in one write transaction; the next put commits the batch first. */
#define PC_CACHE_BATCH_MAX 64u

typedef struct pc_cache pc_cache_t;

/* Wall clock in Unix seconds (replaceable for tests); arg is the opts'
 * clock_arg. */
typedef uint64_t (*pc_cache_clock_fn)(void *arg);

typedef struct pc_cache_opts {
    const char *dir;      /* state directory; created (0750) if missing;
                             copied, so it need not outlive the call */
    size_t map_size;      /* LMDB map size in octets (0 = 256 MiB) */
    unsigned max_readers; /* LMDB reader slots (0 = 126) */
    int nosync;           /* 0 = MDB_NOMETASYNC: every commit syncs the data,
                             a system crash may lose the last commits but
                             never corrupts the file. 1 = MDB_NOSYNC: 6-29x
                             cheaper commits (docs/ARCHITECTURE.md), safe
                             against a process crash; after a system crash
                             the file may be corrupt, so one that was open
                             under NOSYNC when the boot id changed is
                             rebuilt at open (marker.h) */
    const char *boot_id_path; /* NULL = /proc/sys/kernel/random/boot_id;
                             tests name a file of their own (copied) */
    unsigned evict_at;    /* eviction starts when live pages reach this per
                             cent of the map (0 = 85; 100 or more = only
                             when the map is full); small maps start lower,
                             keeping room for two batches of writes */
    unsigned evict_batch; /* entries deleted per eviction step (0 = 256) */
    uint32_t stale_window; /* seconds after expiry an entry is still worth
                             keeping (serve-stale); beyond it, it is the
                             first to be evicted (0 = 86400) */
    pc_cache_clock_fn clock; /* NULL = the real wall clock */
    void *clock_arg;
} pc_cache_opts_t;

/*
 * pc_cache_open - open (or create) the cache in opts->dir.
 * A missing (or empty) data.mdb is created. First the clean-shutdown
 * marker is read: a file that the last writer did not close cleanly, under
 * NOSYNC and in another boot (or with no readable marker at all), is
 * removed before LMDB maps it and rebuilt empty, with a warning; then the
 * marker is set to "open" (durably) until pc_cache_close(). A file that
 * LMDB refuses, one
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

/* Commit pending writes and stamps, sync the file to disk, mark it closed
 * cleanly, and close. NULL is a no-op. */
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
 * next pc_cache_commit() (made by this call first when the batch already
 * holds PC_CACHE_BATCH_MAX puts). The stored access stamp is v->stamp, or
 * for 0 a new entry's stamp (on probation: evict.h), raised to the stamp
 * of the value replaced if that is newer.
 * On PC_EMAPFULL the whole open batch (every put since the last commit) is
 * lost, the cache stays consistent and usable, and the daemon keeps
 * serving (those entries are simply not cached).
 * Returns 0, PC_ECANCELED, PC_EMAPFULL, PC_ETOOBIG (body over
 * PC_CVAL_MAX_BODY), PC_ECACHE, PC_EINVAL (NULL, bad rtype, a value
 * pc_cval_encode refuses).
 */
int pc_cache_put(pc_cache_t *c, const pc_name_t *qname, pc_rtype_t rtype,
                 const pc_cval_t *v, uint64_t gen);

/* Commit the open write transaction, if any, with the pending access
 * stamps; then, if live pages call for it, one eviction step (its own
 * transaction; its failures are logged, not returned). Returns 0,
 * PC_EINVAL (NULL), or PC_ECACHE / PC_EMAPFULL (the batch is then lost; the
 * cache stays consistent and makes room). */
int pc_cache_commit(pc_cache_t *c);

/* 1 if writes (puts, deletions of corrupt values, or enough access stamps)
 * are waiting for pc_cache_commit(); 0 otherwise or for NULL. */
int pc_cache_dirty(const pc_cache_t *c);

/*
 * pc_cache_touch - record a hit on (qname, rtype) whose stored value is v
 * (as pc_cache_get returned it). Nothing is written now: if v's stamp is
 * PC_EVICT_TOUCH_AGE minutes old or more (evict.h: 4), the key joins the
 * in-memory touch set, whose stamps go into the next commit. A stamp from
 * the future (the clock stepped back) is left alone. When the set is full
 * the touch is dropped and counted (stats.touches_dropped). Returns 1 when
 * so many touches are pending (half the set) that the caller should commit
 * (pc_cache_dirty() is then 1 too), 0 otherwise, or PC_EINVAL.
 */
int pc_cache_touch(pc_cache_t *c, const pc_name_t *qname, pc_rtype_t rtype,
                   const pc_cval_t *v);

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
                             meta, main and free-page DBs (not the file's
                             high-water mark) */
    uint64_t map_pages;   /* map size / page size */
    uint64_t page_size;
    uint64_t evict_high;  /* live pages at which eviction starts */
    uint64_t rebuilds;    /* times the file was rebuilt since open,
                             including at open */
    uint64_t corrupt;     /* corrupt values found and deleted */
    uint64_t map_full;    /* MDB_MAP_FULL seen */
    uint64_t evicted;     /* entries deleted by eviction (and drops) */
    uint64_t evict_runs;  /* eviction runs started */
    uint64_t drops;       /* map full, nothing freed: all entries dropped */
    uint64_t stale_readers; /* reader slots of dead processes cleared */
    uint64_t touches;     /* access stamps written */
    uint64_t touches_dropped; /* hits not recorded: the touch set was full */
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
