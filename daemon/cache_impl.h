/*
 * cache_impl.h - the inside of the cache module, shared by its files:
 * cache.c (transactions, get/put/flush/stats, the one LMDB error
 * translation), cache_env.c (open, checks, rebuild, close), cache_dump.c
 * (the paged dump) and evict.c (access stamps and eviction). These are the
 * only files that include lmdb.h. Nothing here is for other modules: they
 * use cache.h.
 */
#ifndef PC_CACHE_IMPL_H
#define PC_CACHE_IMPL_H

#include <lmdb.h>

#include "cache.h"
#include "evict.h"
#include "marker.h"
#include "touchset.h"

#define PC_CACHE_VALUE_MAX (PC_CVAL_HDR_LEN + PC_CVAL_MAX_BODY)
#define PC_CACHE_FORMAT_KEY "format" /* in the meta database */
#define PC_CACHE_WHY_MAX 256         /* a rebuild reason for the log */

struct pc_cache {
    char *dir;
    size_t map_size;
    unsigned max_readers;
    int nosync;
    char *boot_id_path;  /* NULL = marker.h's PC_BOOT_ID_PATH */
    char boot_id[PC_BOOT_ID_MAX]; /* this boot's, "" if unknown */
    int marked;          /* our "open" marker is written */
    pc_cache_clock_fn clock;
    void *clock_arg;
    MDB_env *env;        /* NULL only after a failed rebuild: calls fail */
    MDB_dbi main_dbi;
    MDB_dbi meta_dbi;
    MDB_dbi cache_dbi;
    MDB_txn *rtxn;       /* the one read txn handle, reset between calls */
    MDB_txn *wtxn;       /* the open write batch, or NULL */
    int dirty;
    unsigned batch_puts; /* puts in the open batch */
    unsigned last_batch_puts; /* puts in the last batch committed */
    uint64_t gen;
    uint8_t *scratch;    /* PC_CACHE_VALUE_MAX octets: put encoding, copies */
    pc_cache_stats_t counters; /* rebuilds, corrupt, map_full, evictions */
    pc_touchset_t *touched;    /* hits whose stamps are still to be written */
    pc_evict_t ev;
};

/* Wall-clock seconds from the cache's clock. */
uint64_t pc_cache_now(const pc_cache_t *c);

/*
 * A failed LMDB call at run time: translate, log, and leave the cache
 * usable. The write batch is aborted, a damaged file is rebuilt, and a full
 * map starts the emergency path of evict.c. Callers have closed their
 * cursors and ended their read txn first. Returns PC_ENOENT, PC_EMAPFULL,
 * PC_EBUSY or PC_ECACHE.
 */
int pc_cache_fail(pc_cache_t *c, int rc, const char *what);

/* The translation of an LMDB result into a PC_E* code, without logging. */
int pc_cache_err(int rc);

/* A transaction to read with (the open batch, else the reset read txn
 * renewed) and its end. Returns 0 or a pc_cache_fail() code. */
int pc_cache_txn_read(pc_cache_t *c, MDB_txn **txn);
void pc_cache_txn_read_end(pc_cache_t *c, MDB_txn *txn);

/* Abort the open write batch, if any; its writes are lost. */
void pc_cache_txn_abort(pc_cache_t *c);

/*
 * Commit the write batch with the pending access stamps. With no batch
 * open, the stamps alone are committed when force is set or enough are
 * pending. After a good commit, evict.c may run a step (unless evict is
 * 0). Returns 0 or a pc_cache_fail() code.
 */
int pc_cache_commit_batch(pc_cache_t *c, const char *what, int force, int evict);

/* Clear the reader slots of dead processes; returns how many. */
int pc_cache_readers_reap(pc_cache_t *c);

/*
 * Live pages of every database in txn: branch + leaf + overflow pages of
 * the free-page, main, meta and cache databases. *entries (may be NULL)
 * gets the entries of the cache database. Returns an LMDB code.
 */
int pc_cache_live_pages(pc_cache_t *c, MDB_txn *txn, uint64_t *live, uint64_t *entries);

/* Discard the file and start an empty one (logs why). Returns 0 or the
 * reopen's error. */
int pc_cache_rebuild(pc_cache_t *c, const char *why);

/* 1 if key k starts with the plen octets of prefix. */
int pc_cache_has_prefix(const MDB_val *k, const uint8_t *prefix, size_t plen);

#endif /* PC_CACHE_IMPL_H */
