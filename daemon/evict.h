/*
 * evict.h - access stamps and eviction: the part of the cache module that
 * keeps the LMDB map from filling up (docs/ARCHITECTURE.md, "Eviction").
 * Internal to the cache module: cache.c calls these with its own state
 * (cache_impl.h); other modules use cache.h.
 *
 * Stamps are minutes of the cache's clock. A new entry starts "on
 * probation", PC_EVICT_PROBATION minutes in the past, so an entry that
 * nobody asked for again ranks below every entry hit in the last hour (a
 * flood of one-off names cannot push out what is hot). Hits are collected
 * in a touch set and written in batches, and only for entries whose stored
 * stamp is PC_EVICT_TOUCH_AGE minutes old or more.
 *
 * Eviction is approximate LRU in bounded steps: when live pages reach the
 * high mark, a run starts to delete about (live - low) / live of the
 * entries. A hand sweeps the key space, at most one step (a batch of
 * deletions) after each commit, and deletes the entries whose age bucket
 * (log2 of minutes since the stamp) is at or above a cut-off; expired
 * entries beyond the stale window are in the oldest bucket, so they go
 * first. Every entry the hand passes is counted in a histogram of ages;
 * each completed lap gives the picture of the whole cache from which the
 * cut-off is chosen so that just enough entries qualify. Until the first
 * lap is complete only expired entries qualify (a map-full emergency
 * samples the entries ahead of the hand instead). A full map (MDB_MAP_FULL)
 * clears stale readers, runs a step at once, then drops every entry, then
 * rebuilds the file, as each fails in turn.
 */
#ifndef PC_EVICT_H
#define PC_EVICT_H

#include <stddef.h>
#include <stdint.h>

#include <lmdb.h>

#include "cache.h"

#define PC_EVICT_PROBATION 60u  /* minutes a new entry's stamp lies back */
/*
 * A hit rewrites the stamp only when the stored one is at least this many
 * minutes old: a hot entry costs one rewrite (its value and page copied
 * into a commit) per 4 minutes instead of one per minute, and its stored
 * stamp lags its last hit by at most 3 minutes. Eviction compares log2 age
 * buckets (0, 1, 2-3, 4-7, 8-15 ... minutes), so that lag moves an entry 4
 * minutes old or older at most one bucket up; an entry hit in the last 4
 * minutes still reads as under 8 minutes old, 3 buckets younger than a new
 * entry on probation (60 minutes: the 32-63 bucket).
 */
#define PC_EVICT_TOUCH_AGE 4u
#define PC_EVICT_BUCKETS 34     /* ages 0, [1,2), [2,4) ... [2^31,2^32), dead */
#define PC_EVICT_KEY_MAX 512    /* longest LMDB key (the hand) */

typedef struct pc_evict {
    /* marks in live pages, from the map size and pc_cache_opts_t */
    uint64_t high;        /* a run starts here */
    uint64_t low;         /* a run aims to bring live pages down to here */
    uint64_t hard;        /* a run starts here even right after another */
    uint64_t margin;      /* growth after a run before the next one */
    unsigned batch;       /* deletions per step */
    uint32_t stale_window;
    /* the run */
    int running;
    unsigned cutoff;      /* entries in buckets >= cutoff qualify */
    uint64_t target;      /* entries this run deletes */
    uint64_t deleted;
    uint64_t entries;     /* entries in the cache when the run started */
    uint64_t settle;      /* live pages after the last run (0 = none) */
    /* the ages the hand saw: entries kept per bucket in the last whole lap
     * (the picture of the cache that sets the cut-off) and in this lap */
    uint64_t hist[PC_EVICT_BUCKETS];
    uint64_t lap_hist[PC_EVICT_BUCKETS];
    int have_hist;
    uint8_t hand[PC_EVICT_KEY_MAX];
    size_t hand_len;      /* 0 = from the first key */
    /* map full */
    int emergency;        /* inside the MAP_FULL path */
    unsigned full_streak; /* MAP_FULLs since the last good batch commit */
    uint64_t last_reap;   /* clock seconds of the last reader check */
} pc_evict_t;

/* Compute the marks for map_pages pages from the options (once the page
 * size is known) and forget any run. */
void pc_evict_setup(pc_cache_t *c, const pc_cache_opts_t *o, uint64_t map_pages);

/* Forget the run and the hand (after a flush or a rebuild). */
void pc_evict_reset(pc_cache_t *c);

/*
 * The stamp to store for a put of key in txn: given (0 = a new entry's
 * stamp, on probation), or the stamp of the value it replaces if that is
 * newer (a refreshed hot entry stays hot).
 */
uint32_t pc_evict_put_stamp(pc_cache_t *c, MDB_txn *txn, const MDB_val *key, uint32_t given);

/* Write the pending touches into txn (stamps only rise). They stay pending
 * until pc_evict_after_commit. Returns 0 or an LMDB code. */
int pc_evict_flush_touches(pc_cache_t *c, MDB_txn *txn);

/* 1 if enough touches are pending that a commit just for them is due. */
int pc_evict_touches_due(const pc_cache_t *c);

/*
 * After a successful commit of the batch: forget the touches written,
 * clear stale readers once a minute, and run one eviction step (its own
 * transaction) when the marks say so. Errors are logged and counted, never
 * returned: the batch is already safe.
 */
void pc_evict_after_commit(pc_cache_t *c);

/* MDB_MAP_FULL was returned (the batch is already aborted): log, clear
 * stale readers, evict, drop, rebuild, as each fails in turn. */
void pc_evict_map_full(pc_cache_t *c);

#endif /* PC_EVICT_H */
