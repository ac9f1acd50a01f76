/*
 * evict.c - access stamps and eviction of the cache (design in evict.h):
 * hits become a touch set written in batches; live pages over the high mark
 * start a run of bounded steps that delete the oldest entries ahead of a
 * sweeping hand; MDB_MAP_FULL escalates from stale readers to a drop.
 */
#include <inttypes.h>
#include <string.h>

#include "cache_impl.h"
#include "log.h"
#include "polcache/error.h"

#define EVICT_DEAD (PC_EVICT_BUCKETS - 1)
#define EVICT_DEFAULT_AT 85u       /* per cent of the map */
#define EVICT_DEFAULT_BATCH 256u   /* deletions per step */
#define EVICT_DEFAULT_STALE 86400u /* seconds (RFC 8767 suggests 1 to 3 days) */
#define EVICT_EXAMINE_PER_DELETE 8u /* a step examines at most 8 x batch entries */
#define EVICT_SAMPLE 2048u         /* entries sampled to set a cut-off */
#define EVICT_RESERVE 160u         /* pages kept free: a batch of PC_CACHE_BATCH_MAX
                                    * random puts and an eviction step need about
                                    * 100, and a page freed by one commit is
                                    * reusable only two commits later */
#define EVICT_REAP_SECS 60u        /* stale-reader check interval */
#define EVICT_EMERGENCY_SHARE 4u   /* a map-full run deletes at least 1/4 */

static uint32_t now_stamp(const pc_cache_t *c)
{
    return (uint32_t)(pc_cache_now(c) / 60);
}

void pc_evict_setup(pc_cache_t *c, const pc_cache_opts_t *o, uint64_t map_pages)
{
    pc_evict_t *e = &c->ev;
    unsigned at = o->evict_at != 0 ? o->evict_at : EVICT_DEFAULT_AT;

    e->last_reap = pc_cache_now(c); /* the open cleared stale readers */
    e->batch = o->evict_batch != 0 ? o->evict_batch : EVICT_DEFAULT_BATCH;
    e->stale_window = o->stale_window != 0 ? o->stale_window : EVICT_DEFAULT_STALE;
    if (at >= 100) { /* only when the map is full */
        e->high = e->hard = UINT64_MAX;
        e->low = map_pages * 3 / 4;
        e->margin = 0;
    } else {
        /* at most at% of the map, with room for two batches of writes
         * (a page freed by one commit is reusable only two commits later),
         * and never below a quarter of the map */
        uint64_t room = map_pages > EVICT_RESERVE ? map_pages - EVICT_RESERVE : 0;

        e->high = map_pages * at / 100;
        if (e->high > room)
            e->high = room;
        if (e->high < map_pages / 4)
            e->high = map_pages / 4;
        e->low = e->high - (e->high > map_pages / 10 ? map_pages / 10 : e->high / 2);
        e->hard = room > e->high ? e->high + (room - e->high) / 2 : e->high;
        e->margin = room > e->high + 16 ? (room - e->high) / 4 : 4;
    }
    pc_evict_reset(c);
}

void pc_evict_reset(pc_cache_t *c)
{
    c->ev.running = 0;
    c->ev.settle = 0;
    c->ev.hand_len = 0;
    c->ev.full_streak = 0;
    c->ev.have_hist = 0;
    memset(c->ev.lap_hist, 0, sizeof(c->ev.lap_hist));
}

uint32_t pc_evict_put_stamp(pc_cache_t *c, MDB_txn *txn, const MDB_val *key, uint32_t given)
{
    uint32_t now = now_stamp(c), stamp = given, old;
    MDB_val k = *key, d;

    if (stamp == 0)
        stamp = now > PC_EVICT_PROBATION ? now - PC_EVICT_PROBATION : 1;
    if (mdb_get(txn, c->cache_dbi, &k, &d) == 0 &&
        pc_cval_get_stamp(d.mv_data, d.mv_size, &old) == 0 &&
        old > stamp && old <= now) /* a stamp from the future is not trusted */
        stamp = old;
    return stamp;
}

int pc_cache_touch(pc_cache_t *c, const pc_name_t *qname, pc_rtype_t rtype, const pc_cval_t *v)
{
    uint8_t key[PC_CACHE_KEY_MAX];
    uint32_t now;
    int klen, rc;

    if (c == NULL || qname == NULL || v == NULL || (int)rtype < 1 || (int)rtype > PC_RT_MAX_)
        return PC_EINVAL;
    now = now_stamp(c);
    /* stamped recently enough (or in the future: the clock stepped back),
     * nothing to write; see PC_EVICT_TOUCH_AGE. Most hits end here, before
     * the key is built. */
    if (v->stamp > now || now - v->stamp < PC_EVICT_TOUCH_AGE)
        return 0;
    klen = pc_cache_key(qname, rtype, key, sizeof(key));
    if (klen < 0)
        return PC_EINVAL;
    rc = pc_touchset_add(c->touched, key, (size_t)klen, now);
    if (rc == PC_ETOOBIG)
        c->counters.touches_dropped++;
    else if (rc != 0)
        return rc;
    return pc_evict_touches_due(c);
}

int pc_evict_touches_due(const pc_cache_t *c)
{
    size_t cap = pc_touchset_cap(c->touched);
    return cap > 0 && pc_touchset_count(c->touched) >= cap / 2;
}

typedef struct touch_ctx {
    pc_cache_t *c;
    MDB_txn *txn;
} touch_ctx_t;

static int touch_one(void *arg, const uint8_t *key, size_t klen, uint32_t stamp)
{
    touch_ctx_t *t = arg;
    uint8_t kb[PC_TOUCHSET_KEY_MAX];
    MDB_val k = {klen, kb}, d;
    uint32_t old;
    int rc;

    memcpy(kb, key, klen); /* LMDB takes keys by non-const pointer */

    rc = mdb_get(t->txn, t->c->cache_dbi, &k, &d);
    if (rc == MDB_NOTFOUND)
        return 0; /* evicted or flushed since the hit */
    if (rc != 0)
        return rc;
    if (d.mv_size > PC_CACHE_VALUE_MAX || pc_cval_get_stamp(d.mv_data, d.mv_size, &old) != 0 ||
        old >= stamp)
        return 0;
    memcpy(t->c->scratch, d.mv_data, d.mv_size);
    pc_cval_set_stamp(t->c->scratch, d.mv_size, stamp);
    d.mv_data = t->c->scratch;
    rc = mdb_put(t->txn, t->c->cache_dbi, &k, &d, 0);
    if (rc == 0)
        t->c->counters.touches++;
    return rc;
}

int pc_evict_flush_touches(pc_cache_t *c, MDB_txn *txn)
{
    touch_ctx_t t = {c, txn};
    return pc_touchset_each(c->touched, touch_one, &t);
}

/* The age bucket of a stored value at now (see PC_EVICT_BUCKETS). A value
 * that fails its check is dead: it goes first. */
static unsigned bucket_of(const pc_cache_t *c, const MDB_val *d, uint64_t now, uint32_t stamp_now)
{
    pc_cval_t v;
    uint32_t age;
    unsigned b = 0;

    if (d->mv_size > PC_CACHE_VALUE_MAX || pc_cval_decode(d->mv_data, d->mv_size, &v) != 0)
        return EVICT_DEAD;
    if (now >= v.expires && now - v.expires >= c->ev.stale_window)
        return EVICT_DEAD;
    age = stamp_now > v.stamp ? stamp_now - v.stamp : 0;
    while (age != 0) {
        b++;
        age >>= 1;
    }
    return b;
}

/* Position cur at the hand (or the first key). Returns an LMDB code. */
static int hand_seek(pc_cache_t *c, MDB_cursor *cur, MDB_val *k, MDB_val *d)
{
    if (c->ev.hand_len == 0)
        return mdb_cursor_get(cur, k, d, MDB_FIRST);
    k->mv_size = c->ev.hand_len;
    k->mv_data = c->ev.hand;
    return mdb_cursor_get(cur, k, d, MDB_SET_RANGE);
}

/* Remember the key the cursor is at as the hand (or the start at the end). */
static void hand_save(pc_cache_t *c, int rc, const MDB_val *k)
{
    if (rc == 0 && k->mv_size <= sizeof(c->ev.hand)) {
        memcpy(c->ev.hand, k->mv_data, k->mv_size);
        c->ev.hand_len = k->mv_size;
    } else {
        c->ev.hand_len = 0;
    }
}

/* The highest bucket b such that buckets >= b hold at least the share
 * num / den of the entries counted in hist (0 if only all of them do). The
 * histogram is a distribution: entries inserted behind the hand are not in
 * it, so its total is not the cache's. */
static unsigned cutoff_for(const uint64_t *hist, uint64_t num, uint64_t den)
{
    uint64_t total = 0, acc = 0, need;

    for (int b = 0; b < PC_EVICT_BUCKETS; b++)
        total += hist[b];
    need = den > 0 ? (total * num + den - 1) / den : total;
    for (int b = EVICT_DEAD; b > 0; b--) {
        acc += hist[b];
        if (acc >= need && acc > 0)
            return (unsigned)b;
    }
    return 0;
}

/*
 * A cut-off without the histogram of a whole lap (right after the start,
 * in a map-full emergency): from the ages of up to EVICT_SAMPLE entries
 * ahead of the hand. Key order groups names, so this sample is biased;
 * a lap corrects it. Returns an LMDB code.
 */
static int cutoff_sampled(pc_cache_t *c, MDB_txn *txn, uint64_t entries, unsigned *cutoff)
{
    uint64_t hist[PC_EVICT_BUCKETS] = {0}, sampled = 0, now = pc_cache_now(c);
    uint32_t snow = now_stamp(c);
    MDB_cursor *cur;
    MDB_val k, d;
    int rc, wrapped = 0;

    rc = mdb_cursor_open(txn, c->cache_dbi, &cur);
    if (rc != 0)
        return rc;
    rc = hand_seek(c, cur, &k, &d);
    while (sampled < EVICT_SAMPLE && sampled < entries) {
        if (rc == MDB_NOTFOUND && !wrapped) {
            wrapped = 1;
            rc = mdb_cursor_get(cur, &k, &d, MDB_FIRST);
            continue;
        }
        if (rc != 0)
            break;
        hist[bucket_of(c, &d, now, snow)]++;
        sampled++;
        rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    if (rc != 0 && rc != MDB_NOTFOUND)
        return rc;
    *cutoff = cutoff_for(hist, c->ev.target, entries);
    return 0;
}

/*
 * Start a run: the number of entries to delete follows from how far live
 * pages are over the low mark (at least a quarter in an emergency); the
 * cut-off from the last lap's histogram. Without one, a run deletes only
 * dead entries until its first lap has measured the ages (an emergency
 * samples instead).
 */
static int run_start(pc_cache_t *c, MDB_txn *txn, uint64_t live, uint64_t entries, int emergency)
{
    pc_evict_t *e = &c->ev;
    int rc;

    e->target = live > e->low ? entries * (live - e->low) / live : 0;
    if (emergency && e->target < entries / EVICT_EMERGENCY_SHARE)
        e->target = entries / EVICT_EMERGENCY_SHARE;
    if (e->target == 0)
        e->target = entries < e->batch ? entries : e->batch;
    e->entries = entries;
    if (e->have_hist) {
        e->cutoff = cutoff_for(e->hist, e->target, entries);
    } else if (emergency) {
        if ((rc = cutoff_sampled(c, txn, entries, &e->cutoff)) != 0)
            return rc;
    } else {
        e->cutoff = EVICT_DEAD;
    }
    e->running = 1;
    e->deleted = 0;
    c->counters.evict_runs++;
    pc_log_info("cache %s: eviction: %" PRIu64 " pages live (start at %" PRIu64 ", aim at %"
                PRIu64 "), deleting about %" PRIu64 " of %" PRIu64 " entries, age bucket %u "
                "and older%s", c->dir, live, e->high, e->low, e->target, entries, e->cutoff,
                emergency ? " (map full)" : "");
    return 0;
}

/* The hand passed the last key: the lap's histogram becomes the picture
 * of the whole cache, and the cut-off is set again from it for the rest
 * of the run. */
static void lap_done(pc_evict_t *e)
{
    memcpy(e->hist, e->lap_hist, sizeof(e->hist));
    memset(e->lap_hist, 0, sizeof(e->lap_hist));
    e->have_hist = 1;
    if (e->running && e->deleted < e->target)
        e->cutoff = cutoff_for(e->hist, e->target - e->deleted,
                               e->entries > e->deleted ? e->entries - e->deleted : 1);
}

/*
 * One step: examine entries from the hand, delete those that qualify, at
 * most limit of them; all go into the lap's histogram. Returns an LMDB
 * code.
 */
static int run_step(pc_cache_t *c, MDB_txn *txn, unsigned limit)
{
    uint64_t now = pc_cache_now(c);
    uint32_t snow = now_stamp(c);
    pc_evict_t *e = &c->ev;
    unsigned examined = 0, removed = 0, wraps = 0, b;
    MDB_cursor *cur;
    MDB_val k, d;
    int rc;

    rc = mdb_cursor_open(txn, c->cache_dbi, &cur);
    if (rc != 0)
        return rc;
    rc = hand_seek(c, cur, &k, &d);
    while (e->deleted < e->target && removed < limit &&
           examined < limit * EVICT_EXAMINE_PER_DELETE) {
        if (rc == MDB_NOTFOUND) {
            if (wraps++ > 0)
                break; /* empty */
            lap_done(e);
            rc = mdb_cursor_get(cur, &k, &d, MDB_FIRST);
            continue;
        }
        if (rc != 0)
            break;
        examined++;
        b = bucket_of(c, &d, now, snow);
        e->lap_hist[b]++; /* the ages of what is there, deleted or not */
        if (b >= e->cutoff) {
            rc = mdb_cursor_del(cur, 0);
            if (rc != 0)
                break;
            removed++;
            e->deleted++;
        }
        rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT);
    }
    if (rc == MDB_NOTFOUND && wraps == 0)
        lap_done(e);
    if (rc == 0 || rc == MDB_NOTFOUND) {
        hand_save(c, rc, &k);
        rc = 0;
    }
    mdb_cursor_close(cur);
    if (rc == 0)
        c->counters.evicted += removed;
    return rc;
}

/* End the run, remembering where live pages settled. */
static void run_end(pc_cache_t *c, uint64_t live)
{
    pc_log_info("cache %s: eviction done: %" PRIu64 " entries deleted, %" PRIu64
                " pages live", c->dir, c->ev.deleted, live);
    c->ev.running = 0;
    c->ev.settle = live;
}

/* Live pages and entries now, read with the cache's reused read txn (no
 * batch is open here). Returns an LMDB code. */
static int measure(pc_cache_t *c, uint64_t *live, uint64_t *entries)
{
    MDB_txn *txn = c->rtxn;
    int rc;

    if (c->wtxn != NULL)
        return pc_cache_live_pages(c, c->wtxn, live, entries);
    rc = txn != NULL ? mdb_txn_renew(txn) : mdb_txn_begin(c->env, NULL, MDB_RDONLY, &txn);
    if (rc != 0) {
        if (txn != NULL)
            mdb_txn_abort(txn);
        c->rtxn = NULL;
        return rc;
    }
    c->rtxn = txn;
    rc = pc_cache_live_pages(c, txn, live, entries);
    mdb_txn_reset(txn);
    return rc;
}

/*
 * One eviction step in its own write transaction: pending touches first
 * (so a hit in this very pass protects its entry), a run start if none is
 * going on, the step, the commit. Returns an LMDB code.
 */
static int evict_pass(pc_cache_t *c, int emergency)
{
    uint64_t live = 0, entries = 0;
    MDB_txn *txn = NULL;
    unsigned limit;
    int rc;

    rc = mdb_txn_begin(c->env, NULL, 0, &txn);
    if (rc != 0)
        return rc;
    if ((rc = pc_evict_flush_touches(c, txn)) != 0 ||
        (rc = pc_cache_live_pages(c, txn, &live, &entries)) != 0)
        goto abort;
    if ((!c->ev.running || emergency) && (rc = run_start(c, txn, live, entries, emergency)) != 0)
        goto abort;
    /* delete faster than the batches insert; falling behind (the map is
     * getting tight), four times as fast */
    limit = c->ev.batch > 2 * c->last_batch_puts ? c->ev.batch : 2 * c->last_batch_puts;
    if ((rc = run_step(c, txn, live >= c->ev.hard ? 4 * limit : limit)) != 0)
        goto abort;
    rc = mdb_txn_commit(txn);
    if (rc != 0)
        return rc;
    pc_touchset_clear(c->touched);
    if (measure(c, &live, &entries) == 0 &&
        (c->ev.deleted >= c->ev.target || live < c->ev.low || entries == 0))
        run_end(c, live);
    return 0;
abort:
    mdb_txn_abort(txn);
    return rc;
}

/* Log an LMDB failure of eviction; a damaged file goes the usual way. */
static void evict_failed(pc_cache_t *c, int rc, const char *what)
{
    if (rc == MDB_MAP_FULL) {
        pc_evict_map_full(c);
        return;
    }
    c->ev.running = 0;
    if (pc_cache_err(rc) == PC_ECORRUPT) {
        (void)pc_cache_fail(c, rc, what);
        return;
    }
    pc_log_err("cache %s: %s: %s", c->dir, what, mdb_strerror(rc));
}

void pc_evict_after_commit(pc_cache_t *c)
{
    pc_evict_t *e = &c->ev;
    uint64_t now = pc_cache_now(c), live, entries;
    int rc;

    pc_touchset_clear(c->touched);
    if (e->emergency || c->env == NULL)
        return;
    e->full_streak = 0;
    if (now - e->last_reap >= EVICT_REAP_SECS || now < e->last_reap) {
        (void)pc_cache_readers_reap(c);
        e->last_reap = now;
    }
    rc = measure(c, &live, &entries);
    if (rc != 0) {
        evict_failed(c, rc, "eviction: measuring live pages");
        return;
    }
    if (!e->running) {
        if (live < e->high) {
            e->settle = 0;
            return;
        }
        /* pages emptied by a run fill again before live pages grow: after a
         * run wait for real growth, unless the map is getting tight */
        if (e->settle != 0 && live < e->settle + e->margin && live < e->hard)
            return;
    } else if (live < e->low) {
        run_end(c, live);
        return;
    }
    rc = evict_pass(c, 0);
    if (rc != 0)
        evict_failed(c, rc, "eviction");
}

/* Empty the cache database in one transaction. Returns an LMDB code. */
static int drop_all(pc_cache_t *c)
{
    MDB_txn *txn = NULL;
    MDB_stat st;
    int rc = mdb_txn_begin(c->env, NULL, 0, &txn);

    if (rc != 0)
        return rc;
    if ((rc = mdb_stat(txn, c->cache_dbi, &st)) != 0 ||
        (rc = mdb_drop(txn, c->cache_dbi, 0)) != 0) {
        mdb_txn_abort(txn);
        return rc;
    }
    rc = mdb_txn_commit(txn);
    if (rc != 0)
        return rc;
    c->counters.drops++;
    c->counters.evicted += st.ms_entries;
    pc_log_warn("cache %s: map full and eviction could not free it: dropped all %zu entries",
                c->dir, st.ms_entries);
    return 0;
}

/*
 * A page freed by transaction T can be reused from T + 2 on (LMDB keeps
 * the last two snapshots). After freeing pages in an emergency, commit one
 * small write (the format key, rewritten) so that the next batch may use
 * them. Failure is harmless: the batch after that may.
 */
static void freelist_advance(pc_cache_t *c)
{
    char fkey[] = PC_CACHE_FORMAT_KEY, format[] = PC_CACHE_FORMAT;
    MDB_val k = {sizeof(fkey) - 1, fkey}, d = {sizeof(format) - 1, format};
    MDB_txn *txn = NULL;

    if (mdb_txn_begin(c->env, NULL, 0, &txn) != 0)
        return;
    if (mdb_put(txn, c->meta_dbi, &k, &d, 0) != 0) {
        mdb_txn_abort(txn);
        return;
    }
    (void)mdb_txn_commit(txn);
}

void pc_evict_map_full(pc_cache_t *c)
{
    pc_evict_t *e = &c->ev;
    uint64_t live = 0, entries = 1, before = c->counters.evicted;
    int rc = MDB_MAP_FULL;

    if (e->emergency || c->env == NULL)
        return; /* the outer call escalates */
    e->emergency = 1;
    e->full_streak++;
    if (pc_cache_readers_reap(c) == 0) {
        /* evict at once; when that frees nothing or does not help twice,
         * drop every entry; when there is nothing to drop or that does not
         * help either, a new file */
        (void)measure(c, &live, &entries);
        if (entries > 0 && e->full_streak <= 2) {
            rc = evict_pass(c, 1);
            if (rc == 0 && c->counters.evicted == before)
                rc = MDB_MAP_FULL;
            if (rc == 0)
                pc_log_warn("cache %s: map full: evicted %" PRIu64 " entries at once", c->dir,
                            c->counters.evicted - before);
        }
        if (rc != 0 && entries > 0 && e->full_streak <= 3)
            rc = drop_all(c);
        if (rc == 0)
            freelist_advance(c);
        else if (c->env != NULL)
            (void)pc_cache_rebuild(c, "the map is full and neither eviction nor a drop freed it");
    }
    e->emergency = 0;
}
