/*
 * cache.c - polcached's answer cache on LMDB (interface in cache.h):
 * transactions, get/put/commit/flush and stats, and pc_cache_err(), the one
 * place where LMDB results become PC_E* codes. Opening, checking,
 * rebuilding and closing the environment is cache_env.c; the dump is
 * cache_dump.c; stamps and eviction are evict.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache_impl.h"
#include "log.h"
#include "polcache/error.h"

#define CACHE_FLUSH_BATCH 4096u /* deletions per write txn in a name flush */

uint64_t pc_cache_now(const pc_cache_t *c)
{
    return c->clock != NULL ? c->clock(c->clock_arg) : (uint64_t)time(NULL);
}

/*
 * The one translation of LMDB results into the PC_E* table. The class of
 * damaged or foreign files becomes PC_ECORRUPT, which callers answer with a
 * rebuild; errno values go through pc_err_from_errno.
 */
int pc_cache_err(int rc)
{
    switch (rc) {
    case MDB_SUCCESS:
        return 0;
    case MDB_NOTFOUND:
        return PC_ENOENT;
    case MDB_MAP_FULL:
        return PC_EMAPFULL;
    case MDB_READERS_FULL:
        return PC_EBUSY;
    case MDB_PAGE_NOTFOUND:
    case MDB_CORRUPTED:
    case MDB_PANIC:
    case MDB_VERSION_MISMATCH:
    case MDB_INVALID:
    case MDB_INCOMPATIBLE:
        return PC_ECORRUPT;
    default:
        return rc > 0 ? pc_err_from_errno(rc) : PC_ECACHE;
    }
}

void pc_cache_txn_abort(pc_cache_t *c)
{
    if (c->wtxn != NULL)
        mdb_txn_abort(c->wtxn);
    c->wtxn = NULL;
    c->dirty = 0;
    c->batch_puts = 0;
}

int pc_cache_fail(pc_cache_t *c, int rc, const char *what)
{
    char why[PC_CACHE_WHY_MAX];
    int err = pc_cache_err(rc);

    if (err == PC_ENOENT)
        return err;
    pc_cache_txn_abort(c);
    switch (err) {
    case PC_EMAPFULL:
        c->counters.map_full++;
        pc_log_warn("cache %s: %s: map full (map size %zu octets); the "
                    "uncommitted batch is dropped", c->dir, what, c->map_size);
        pc_evict_map_full(c);
        return err;
    case PC_EBUSY:
        pc_log_warn("cache %s: %s: no free LMDB reader slot", c->dir, what);
        return err;
    case PC_ECORRUPT:
        snprintf(why, sizeof(why), "%s: %s", what, mdb_strerror(rc));
        (void)pc_cache_rebuild(c, why);
        return PC_ECACHE;
    default:
        pc_log_err("cache %s: %s: %s", c->dir, what, mdb_strerror(rc));
        return PC_ECACHE;
    }
}

int pc_cache_readers_reap(pc_cache_t *c)
{
    int dead = 0;

    if (c->env == NULL || mdb_reader_check(c->env, &dead) != 0 || dead <= 0)
        return 0;
    c->counters.stale_readers += (uint64_t)dead;
    pc_log_notice("cache %s: cleared %d stale reader slot(s)", c->dir, dead);
    return dead;
}

/*
 * Get a transaction to read with: the open write batch if there is one (so
 * its puts are visible), else the reused read txn, renewed. On
 * MDB_READERS_FULL stale slots are cleared and it is tried once more.
 */
int pc_cache_txn_read(pc_cache_t *c, MDB_txn **txn)
{
    MDB_txn *t = NULL;
    int rc = 0;

    if (c->wtxn != NULL) {
        *txn = c->wtxn;
        return 0;
    }
    if (c->env == NULL)
        return PC_ECACHE;
    for (int attempt = 0; attempt < 2; attempt++) {
        if (c->rtxn != NULL) {
            rc = mdb_txn_renew(c->rtxn);
            if (rc != 0) {
                mdb_txn_abort(c->rtxn);
                c->rtxn = NULL;
            }
        } else {
            rc = mdb_txn_begin(c->env, NULL, MDB_RDONLY, &t);
            if (rc == 0)
                c->rtxn = t;
        }
        if (rc != MDB_READERS_FULL)
            break;
        (void)pc_cache_readers_reap(c);
    }
    if (rc != 0)
        return pc_cache_fail(c, rc, "read txn");
    *txn = c->rtxn;
    return 0;
}

/* End a read started with pc_cache_txn_read(): reset the read txn (never
 * held). */
void pc_cache_txn_read_end(pc_cache_t *c, MDB_txn *txn)
{
    if (txn != NULL && txn == c->rtxn)
        mdb_txn_reset(txn);
}

/* Open the write batch if it is not open. Returns 0 or a pc_cache_fail()
 * code. */
static int txn_write(pc_cache_t *c)
{
    MDB_txn *t = NULL;
    int rc;

    if (c->wtxn != NULL)
        return 0;
    if (c->env == NULL)
        return PC_ECACHE;
    rc = mdb_txn_begin(c->env, NULL, 0, &t);
    if (rc != 0)
        return pc_cache_fail(c, rc, "write txn");
    c->wtxn = t;
    return 0;
}

int pc_cache_commit_batch(pc_cache_t *c, const char *what, int force, int evict)
{
    int rc;

    if (c->env == NULL)
        return c->wtxn != NULL ? PC_ECACHE : 0;
    if (c->wtxn == NULL && (pc_touchset_count(c->touched) == 0 ||
                            (!force && !pc_evict_touches_due(c))))
        return 0;
    if (pc_touchset_count(c->touched) > 0) {
        if ((rc = txn_write(c)) != 0)
            return rc;
        if ((rc = pc_evict_flush_touches(c, c->wtxn)) != 0)
            return pc_cache_fail(c, rc, "writing access stamps");
    }
    rc = mdb_txn_commit(c->wtxn);
    c->wtxn = NULL; /* freed by LMDB even on failure */
    c->dirty = 0;
    c->last_batch_puts = c->batch_puts;
    c->batch_puts = 0;
    if (rc != 0)
        return pc_cache_fail(c, rc, what);
    if (evict)
        pc_evict_after_commit(c);
    else
        pc_touchset_clear(c->touched);
    return 0;
}

int pc_cache_key(const pc_name_t *qname, pc_rtype_t rtype, uint8_t *key, size_t cap)
{
    int n;

    if (qname == NULL || key == NULL || (int)rtype < 1 || (int)rtype > PC_RT_MAX_)
        return PC_EINVAL;
    n = pc_name_to_key(qname, key, cap);
    if (n < 0)
        return n;
    if ((size_t)n + 2 > cap)
        return PC_ETOOBIG;
    key[n] = 0x00;
    key[n + 1] = (uint8_t)rtype;
    return n + 2;
}

/* A stored value failed its check: delete it in the write batch, log it. */
static void corrupt_drop(pc_cache_t *c, uint8_t *key, size_t klen,
                         const pc_name_t *qname, pc_rtype_t rtype, int err)
{
    char text[PC_NAME_TEXT_MAX] = "?";
    MDB_val k = {klen, key};
    int rc;

    c->counters.corrupt++;
    (void)pc_name_to_text(qname, text, sizeof(text));
    pc_log_warn("cache %s: corrupt value for %s type %d (%s): deleted", c->dir,
                text, (int)rtype, pc_strerror(err));
    if (txn_write(c) != 0)
        return;
    rc = mdb_del(c->wtxn, c->cache_dbi, &k, NULL);
    if (rc != 0 && rc != MDB_NOTFOUND)
        (void)pc_cache_fail(c, rc, "delete corrupt value");
    else
        c->dirty = 1;
}

int pc_cache_get(pc_cache_t *c, const pc_name_t *qname, pc_rtype_t rtype,
                 pc_cval_t *out, uint8_t **buf)
{
    uint8_t key[PC_CACHE_KEY_MAX], *copy = NULL;
    MDB_txn *txn = NULL;
    MDB_val k, d;
    int klen, rc, err;

    if (buf != NULL)
        *buf = NULL;
    if (c == NULL || out == NULL || buf == NULL)
        return PC_EINVAL;
    klen = pc_cache_key(qname, rtype, key, sizeof(key));
    if (klen < 0)
        return PC_EINVAL;
    if (c->env == NULL)
        return PC_ECACHE;
    err = pc_cache_txn_read(c, &txn);
    if (err != 0)
        return err;
    k.mv_size = (size_t)klen;
    k.mv_data = key;
    rc = mdb_get(txn, c->cache_dbi, &k, &d);
    if (rc == 0) {
        copy = malloc(d.mv_size > 0 ? d.mv_size : 1);
        if (copy != NULL)
            memcpy(copy, d.mv_data, d.mv_size);
    }
    pc_cache_txn_read_end(c, txn);
    if (rc != 0)
        return pc_cache_fail(c, rc, "get");
    if (copy == NULL)
        return PC_ENOMEM;
    err = pc_cval_decode(copy, d.mv_size, out);
    if (err == 0 && out->rtype != (uint8_t)rtype)
        err = PC_ECORRUPT;
    if (err != 0) {
        free(copy);
        corrupt_drop(c, key, (size_t)klen, qname, rtype, err);
        return PC_ECORRUPT;
    }
    *buf = copy;
    return 0;
}

int pc_cache_put(pc_cache_t *c, const pc_name_t *qname, pc_rtype_t rtype,
                 const pc_cval_t *v, uint64_t gen)
{
    uint8_t key[PC_CACHE_KEY_MAX];
    MDB_val k, d;
    int klen, len, rc;

    if (c == NULL || v == NULL || v->rtype != (uint8_t)rtype)
        return PC_EINVAL;
    klen = pc_cache_key(qname, rtype, key, sizeof(key));
    if (klen < 0)
        return PC_EINVAL;
    if (gen != c->gen)
        return PC_ECANCELED;
    if (v->body_len > PC_CVAL_MAX_BODY)
        return PC_ETOOBIG;
    if (c->env == NULL)
        return PC_ECACHE;
    if (c->wtxn != NULL && c->batch_puts >= PC_CACHE_BATCH_MAX) {
        rc = pc_cache_commit_batch(c, "commit of a full batch", 0, 1);
        if (rc != 0)
            return rc;
        if (gen != c->gen || c->env == NULL) /* rebuilt meanwhile */
            return c->env == NULL ? PC_ECACHE : PC_ECANCELED;
    }
    len = pc_cval_encode(v, c->scratch, PC_CACHE_VALUE_MAX);
    if (len < 0)
        return len == PC_ETOOBIG ? PC_ETOOBIG : PC_EINVAL;
    rc = txn_write(c);
    if (rc != 0)
        return rc;
    k.mv_size = (size_t)klen;
    k.mv_data = key;
    d.mv_size = (size_t)len;
    d.mv_data = c->scratch;
    pc_cval_set_stamp(c->scratch, d.mv_size, pc_evict_put_stamp(c, c->wtxn, &k, v->stamp));
    rc = mdb_put(c->wtxn, c->cache_dbi, &k, &d, 0);
    if (rc != 0)
        return pc_cache_fail(c, rc, "put");
    c->dirty = 1;
    c->batch_puts++;
    return 0;
}

int pc_cache_commit(pc_cache_t *c)
{
    if (c == NULL)
        return PC_EINVAL;
    return pc_cache_commit_batch(c, "commit", 0, 1);
}

int pc_cache_dirty(const pc_cache_t *c)
{
    return c != NULL && (c->dirty || pc_evict_touches_due(c));
}

uint64_t pc_cache_generation(const pc_cache_t *c)
{
    return c != NULL ? c->gen : 0;
}

int pc_cache_has_prefix(const MDB_val *k, const uint8_t *prefix, size_t plen)
{
    return k->mv_size >= plen && (plen == 0 || memcmp(k->mv_data, prefix, plen) == 0);
}

/*
 * Empty the cache database in one transaction. If the map is too full even
 * for that, rebuild the file instead. Adds the entries dropped to *count.
 */
static int flush_all(pc_cache_t *c, uint64_t *count)
{
    MDB_stat st;
    int rc;

    rc = txn_write(c);
    if (rc != 0)
        return rc;
    rc = mdb_stat(c->wtxn, c->cache_dbi, &st);
    if (rc == 0) {
        *count += st.ms_entries;
        rc = mdb_drop(c->wtxn, c->cache_dbi, 0);
    }
    if (rc == 0) {
        rc = mdb_txn_commit(c->wtxn);
        c->wtxn = NULL;
        c->dirty = 0;
    }
    if (rc == MDB_MAP_FULL) {
        c->counters.map_full++;
        return pc_cache_rebuild(c, "the map is too full to record a flush") == 0 ? 0 : PC_ECACHE;
    }
    return rc != 0 ? pc_cache_fail(c, rc, "flush") : 0;
}

/*
 * Delete the key range of a name, CACHE_FLUSH_BATCH deletions per
 * transaction. If the map is too full to record the deletions, fall back to
 * flush_all(). Adds the entries deleted to *count.
 */
static int flush_name(pc_cache_t *c, const pc_name_t *name, uint64_t *count)
{
    uint8_t prefix[PC_NAME_KEY_MAX];
    MDB_cursor *cur = NULL;
    MDB_val k, d;
    unsigned batch;
    int plen, rc;

    plen = pc_name_to_key(name, prefix, sizeof(prefix));
    if (plen < 0)
        return PC_EINVAL;
    if (plen == 0)
        return flush_all(c, count);
    do {
        batch = 0;
        rc = txn_write(c);
        if (rc != 0)
            return rc;
        rc = mdb_cursor_open(c->wtxn, c->cache_dbi, &cur);
        if (rc != 0)
            break;
        k.mv_size = (size_t)plen;
        k.mv_data = prefix;
        rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE);
        while (rc == 0 && pc_cache_has_prefix(&k, prefix, (size_t)plen) && batch < CACHE_FLUSH_BATCH) {
            rc = mdb_cursor_del(cur, 0);
            if (rc == 0) {
                batch++;
                rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT);
            }
        }
        mdb_cursor_close(cur);
        if (rc == MDB_NOTFOUND)
            rc = 0;
        if (rc == 0) {
            rc = mdb_txn_commit(c->wtxn);
            c->wtxn = NULL;
            c->dirty = 0;
        }
        if (rc == 0)
            *count += batch;
    } while (rc == 0 && batch == CACHE_FLUSH_BATCH);
    if (rc == MDB_MAP_FULL) {
        c->counters.map_full++;
        pc_cache_txn_abort(c);
        pc_log_warn("cache %s: map too full to delete a subtree: flushing everything", c->dir);
        return flush_all(c, count);
    }
    return rc != 0 ? pc_cache_fail(c, rc, "flush") : 0;
}

int pc_cache_flush(pc_cache_t *c, const pc_name_t *name, uint64_t *count)
{
    uint64_t n = 0;
    int rc;

    if (count != NULL)
        *count = 0;
    if (c == NULL)
        return PC_EINVAL;
    c->gen++;
    if (c->env == NULL)
        return PC_ECACHE;
    rc = pc_cache_commit_batch(c, "commit before flush", 1, 0);
    if (rc != 0 && rc != PC_EMAPFULL) /* a lost batch does not stop a flush */
        return rc;
    if (c->env == NULL)
        return PC_ECACHE;
    rc = name != NULL ? flush_name(c, name, &n) : flush_all(c, &n);
    pc_evict_reset(c);
    if (count != NULL)
        *count = n;
    return rc;
}

/* Pages in use by one database. */
static uint64_t stat_pages(const MDB_stat *st)
{
    return (uint64_t)st->ms_branch_pages + st->ms_leaf_pages + st->ms_overflow_pages;
}

int pc_cache_live_pages(pc_cache_t *c, MDB_txn *txn, uint64_t *live, uint64_t *entries)
{
    MDB_stat fs, ms, mains, cs;
    int rc;

    /* database 0 is LMDB's free-page database: its own pages are in use */
    if ((rc = mdb_stat(txn, 0, &fs)) != 0 || (rc = mdb_stat(txn, c->main_dbi, &mains)) != 0 ||
        (rc = mdb_stat(txn, c->meta_dbi, &ms)) != 0 ||
        (rc = mdb_stat(txn, c->cache_dbi, &cs)) != 0)
        return rc;
    *live = stat_pages(&fs) + stat_pages(&mains) + stat_pages(&ms) + stat_pages(&cs);
    if (entries != NULL)
        *entries = cs.ms_entries;
    return 0;
}

int pc_cache_stats(pc_cache_t *c, pc_cache_stats_t *out)
{
    uint64_t live = 0, entries = 0;
    MDB_envinfo info;
    MDB_stat st;
    MDB_txn *txn = NULL;
    int rc;

    if (c == NULL || out == NULL)
        return PC_EINVAL;
    if (c->env == NULL)
        return PC_ECACHE;
    rc = pc_cache_txn_read(c, &txn);
    if (rc != 0)
        return rc;
    if ((rc = pc_cache_live_pages(c, txn, &live, &entries)) == 0 &&
        (rc = mdb_env_stat(c->env, &st)) == 0)
        rc = mdb_env_info(c->env, &info);
    pc_cache_txn_read_end(c, txn);
    if (rc != 0)
        return pc_cache_fail(c, rc, "stats");
    *out = c->counters;
    out->entries = entries;
    out->live_pages = live;
    out->page_size = st.ms_psize;
    out->map_pages = st.ms_psize > 0 ? info.me_mapsize / st.ms_psize : 0;
    out->evict_high = c->ev.high;
    return 0;
}
