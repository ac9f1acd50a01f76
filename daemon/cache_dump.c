/*
 * cache_dump.c - the paged dump of the cache (pc_cache_dump in cache.h):
 * one page of entries in key order from a cursor, filtered, each value
 * copied out of the map and checked before the callback sees it.
 */
#include <string.h>

#include "cache_impl.h"
#include "log.h"
#include "polcache/error.h"
#include "wire.h"

#define CACHE_DUMP_SCAN 4096u /* entries examined per dump page */

/*
 * One entry of a dump: parse the key, filter, copy the value out of the map,
 * check it, filter again, and pass it to cb. Returns 1 if cb was called
 * (*stop set if it asked to stop), 0 if the entry was filtered or skipped.
 */
static int dump_one(pc_cache_t *c, const pc_cache_filter_t *f, const MDB_val *k,
                    const MDB_val *d, pc_cache_dump_cb cb, void *arg, int *stop)
{
    const uint8_t *kp = k->mv_data;
    pc_name_t name;
    pc_cval_t v;
    uint8_t rtype;
    int expired;

    if (k->mv_size < 2 || kp[k->mv_size - 2] != 0x00 ||
        pc_name_from_key(&name, kp, k->mv_size - 2) != 0) {
        pc_log_warn("cache %s: dump: skipping a malformed key", c->dir);
        return 0;
    }
    rtype = kp[k->mv_size - 1];
    if (f->rtype != PC_RT_NONE && rtype != (uint8_t)f->rtype)
        return 0;
    if (d->mv_size > PC_CACHE_VALUE_MAX)
        goto corrupt;
    memcpy(c->scratch, d->mv_data, d->mv_size);
    if (pc_cval_decode(c->scratch, d->mv_size, &v) != 0 || v.rtype != rtype)
        goto corrupt;
    if (f->dnssec >= 0 && v.dnssec != f->dnssec)
        return 0;
    expired = pc_cval_age_at(&v, f->now) == PC_CVAL_EXPIRED;
    if (f->expired >= 0 && expired != (f->expired != 0))
        return 0;
    *stop = cb(arg, &name, (pc_rtype_t)rtype, &v) != 0;
    return 1;
corrupt:
    {
        char text[PC_NAME_TEXT_MAX] = "?";
        (void)pc_name_to_text(&name, text, sizeof(text));
        pc_log_warn("cache %s: dump: skipping the corrupt value of %s type %d",
                    c->dir, text, (int)rtype);
    }
    return 0;
}

int pc_cache_dump(pc_cache_t *c, const pc_cache_filter_t *f, const uint8_t *cursor,
                  size_t cursor_len, unsigned limit, pc_cache_dump_cb cb, void *arg,
                  uint8_t *next, size_t *next_len)
{
    static const pc_cache_filter_t any = {PC_RT_NONE, NULL, -1, -1, 0};
    uint8_t prefix[PC_NAME_KEY_MAX], start[PC_CURSOR_MAX], last[PC_CURSOR_MAX];
    size_t slen = 0, last_len = 0;
    int plen = 0, rc, skip = 0, more = 0, stop = 0;
    unsigned returned = 0, scanned = 0;
    MDB_txn *txn = NULL;
    MDB_cursor *cur = NULL;
    MDB_val k, d;

    if (next_len != NULL)
        *next_len = 0;
    if (c == NULL || cb == NULL || next == NULL || next_len == NULL || limit == 0 ||
        limit > PC_DUMP_MAX || (cursor_len > 0 && cursor == NULL))
        return PC_EINVAL;
    if (c->env == NULL)
        return PC_ECACHE;
    if (cursor_len > (size_t)mdb_env_get_maxkeysize(c->env) || cursor_len > sizeof(start))
        return PC_EINVAL;
    if (f == NULL)
        f = &any;
    if (f->suffix != NULL && (plen = pc_name_to_key(f->suffix, prefix, sizeof(prefix))) < 0)
        return PC_EINVAL;
    rc = pc_cache_txn_read(c, &txn);
    if (rc != 0)
        return rc;
    rc = mdb_cursor_open(txn, c->cache_dbi, &cur);
    if (rc != 0) {
        cur = NULL;
        goto out;
    }
    if (cursor_len > 0) {
        memcpy(start, cursor, cursor_len);
        slen = cursor_len;
        skip = 1;
    }
    if (plen > 0) {
        MDB_val a = {slen, start}, b = {(size_t)plen, prefix};
        if (slen == 0 || mdb_cmp(txn, c->cache_dbi, &a, &b) < 0) {
            memcpy(start, prefix, (size_t)plen);
            slen = (size_t)plen;
            skip = 0;
        }
    }
    k.mv_size = slen;
    k.mv_data = start;
    rc = mdb_cursor_get(cur, &k, &d, slen > 0 ? MDB_SET_RANGE : MDB_FIRST);
    if (rc == 0 && skip && k.mv_size == slen && memcmp(k.mv_data, start, slen) == 0)
        rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT);
    while (rc == 0 && pc_cache_has_prefix(&k, prefix, (size_t)plen)) {
        if (returned == limit || scanned == CACHE_DUMP_SCAN || stop) {
            more = 1;
            break;
        }
        scanned++;
        if (k.mv_size <= sizeof(last)) {
            memcpy(last, k.mv_data, k.mv_size);
            last_len = k.mv_size;
        }
        returned += (unsigned)dump_one(c, f, &k, &d, cb, arg, &stop);
        rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT);
    }
    if (rc == MDB_NOTFOUND)
        rc = 0;
out:
    if (cur != NULL)
        mdb_cursor_close(cur);
    pc_cache_txn_read_end(c, txn);
    if (rc != 0)
        return pc_cache_fail(c, rc, "dump");
    if (more && last_len > 0) {
        memcpy(next, last, last_len);
        *next_len = last_len;
    }
    return (int)returned;
}

