/*
 * lookup.c - the lookup engine: cache read, coalescing of identical
 * misses, one resolver query per key, TTL policy, batched cache writes.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "lookup.h"
#include "polcache/error.h"
#include "ratelimit.h"
#include "record.h"

#define INFLIGHT_BUCKETS 4096
#define KEY_MAX (PC_NAME_KEY_MAX + 2)

typedef struct inflight inflight_t;

struct pc_waiter {
    pc_lookup_cb cb;
    void *arg;
    inflight_t *f;
    pc_waiter_t *next;
    pc_waiter_t **pprev;
};

struct inflight {
    pc_lookups_t *l;
    pc_resolver_t *res;
    uint8_t key[KEY_MAX];
    size_t klen;
    uint32_t hash;
    pc_name_t qname;
    pc_rtype_t rtype;
    uint64_t gen;
    uint64_t qid;
    pc_waiter_t *waiters;
    inflight_t *next;
};

struct pc_lookups {
    uv_loop_t *loop;
    pc_cache_t *cache;
    pc_resolver_t *res;
    pc_lookup_conf_t conf;
    pc_clock_fn clock;
    void *clock_arg;
    uv_check_t check;
    int closing;
    pc_lookup_stats_t st;
    pc_ratelimit_t inserts; /* conf.insert_rate */
    pc_ratelimit_t log_rl;  /* overload log lines */
    pc_wbuf_t body;
    inflight_t *table[INFLIGHT_BUCKETS];
};

uint64_t pc_clock_wall(void *arg)
{
    (void)arg;
    return (uint64_t)time(NULL);
}

static uint32_t fnv1a(const uint8_t *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    return h;
}

static void on_check(uv_check_t *h)
{
    pc_lookups_t *l = h->data;
    int rc;

    if (pc_cache_dirty(l->cache)) {
        rc = pc_cache_commit(l->cache);
        if (rc != 0) {
            l->st.cache_errors++;
            pc_log_warn("cache: commit failed: %s", pc_strerror(rc));
        }
    }
    uv_check_stop(&l->check);
}

static void want_commit(pc_lookups_t *l)
{
    if (!uv_is_active((uv_handle_t *)&l->check))
        uv_check_start(&l->check, on_check);
}

int pc_lookups_new(pc_lookups_t **out, uv_loop_t *loop, pc_cache_t *cache,
                   pc_resolver_t *resolver, const pc_lookup_conf_t *conf,
                   pc_clock_fn clock, void *clock_arg)
{
    pc_lookups_t *l;

    if (out == NULL || loop == NULL || cache == NULL || resolver == NULL || conf == NULL)
        return PC_EINVAL;
    l = calloc(1, sizeof(*l));
    if (l == NULL)
        return PC_ENOMEM;
    l->loop = loop;
    l->cache = cache;
    l->res = resolver;
    l->conf = *conf;
    l->clock = clock != NULL ? clock : pc_clock_wall;
    l->clock_arg = clock_arg;
    pc_ratelimit_init(&l->inserts, conf->insert_rate, 1000, 0);
    pc_ratelimit_init_log(&l->log_rl);
    pc_wbuf_init(&l->body, PC_WIRE_MAX_FRAME);
    uv_check_init(loop, &l->check);
    l->check.data = l;
    *out = l;
    return 0;
}

void pc_lookups_set_resolver(pc_lookups_t *l, pc_resolver_t *resolver)
{
    l->res = resolver;
}

void pc_lookups_set_conf(pc_lookups_t *l, const pc_lookup_conf_t *conf)
{
    l->conf = *conf;
    pc_ratelimit_set(&l->inserts, conf->insert_rate, 0);
}

static void check_closed(uv_handle_t *h)
{
    pc_lookups_t *l = h->data;
    pc_wbuf_free(&l->body);
    free(l);
}

static void unlink_inflight(pc_lookups_t *l, inflight_t *f)
{
    inflight_t **pp = &l->table[f->hash % INFLIGHT_BUCKETS];
    while (*pp != NULL && *pp != f)
        pp = &(*pp)->next;
    if (*pp == f)
        *pp = f->next;
    l->st.inflight--;
}

void pc_lookups_close(pc_lookups_t *l)
{
    if (l == NULL)
        return;
    l->closing = 1;
    for (size_t i = 0; i < INFLIGHT_BUCKETS; i++) {
        while (l->table[i] != NULL) {
            inflight_t *f = l->table[i];
            while (f->waiters != NULL) {
                pc_waiter_t *w = f->waiters;
                f->waiters = w->next;
                free(w);
            }
            unlink_inflight(l, f);
            f->res->ops->cancel(f->res, f->qid);
            free(f);
        }
    }
    if (pc_cache_dirty(l->cache))
        pc_cache_commit(l->cache);
    uv_close((uv_handle_t *)&l->check, check_closed);
}

static uint32_t clamp(uint32_t v, uint32_t lo, uint32_t hi)
{
    if (v < lo)
        v = lo;
    if (hi > 0 && v > hi)
        v = hi;
    return v;
}

static uint32_t policy_ttl(const pc_lookup_conf_t *c, const pc_answer_t *a, pc_outcome_t o)
{
    if (a->status == PC_EBOGUS)
        return c->bogus_hold;
    if (a->status != 0)
        return c->fail_hold;
    if (o == PC_OUTCOME_NXDOMAIN || (o == PC_OUTCOME_NORECORD && a->ndata == 0))
        return clamp(a->ttl, c->neg_ttl_min, c->neg_ttl_max);
    return clamp(a->ttl, c->ttl_min, c->ttl_max);
}

static void deliver(inflight_t *f, const pc_lookup_result_t *r)
{
    /* pop each waiter before its callback: a callback may cancel others */
    while (f->waiters != NULL) {
        pc_waiter_t *w = f->waiters;
        f->waiters = w->next;
        if (w->next != NULL)
            w->next->pprev = &f->waiters;
        w->cb(w->arg, r);
        free(w);
    }
}

static void on_answer(void *arg, const pc_answer_t *a)
{
    inflight_t *f = arg;
    pc_lookups_t *l = f->l;
    pc_lookup_result_t r;
    pc_outcome_t outcome = PC_OUTCOME_TEMPFAIL;
    int blen;

    unlink_inflight(l, f);
    if (a->status == PC_ETIMEDOUT)
        l->st.timeouts++;
    else if (a->status == PC_EBOGUS)
        l->st.bogus++;
    else if (a->status != 0)
        l->st.servfail++;

    pc_wbuf_reset(&l->body);
    blen = pc_record_build(f->rtype, &f->qname, a, &l->body, &outcome);
    memset(&r, 0, sizeof(r));
    r.rtype = f->rtype;
    r.cache = PC_CACHE_MISS;
    r.dnssec = a->dnssec;
    if (blen < 0) {
        /* the body could not be encoded: answer without caching */
        pc_log_warn("lookup: cannot encode answer: %s", pc_strerror(blen));
        r.outcome = PC_OUTCOME_TEMPFAIL;
    } else {
        pc_cval_t v;
        uint64_t now = l->clock(l->clock_arg);
        int rc;

        r.outcome = outcome;
        r.ttl = policy_ttl(&l->conf, a, outcome);
        r.body = l->body.data;
        r.body_len = (size_t)blen;
        memset(&v, 0, sizeof(v));
        v.rtype = (uint8_t)f->rtype;
        v.outcome = (uint8_t)outcome;
        v.dnssec = (uint8_t)a->dnssec;
        v.fetched = now;
        v.ttl = r.ttl;
        v.expires = now + r.ttl;
        v.stamp = 0; /* the cache stamps new entries (eviction policy) */
        v.body = r.body;
        v.body_len = (uint32_t)blen;
        if (r.ttl > 0 && !pc_ratelimit_take(&l->inserts, uv_now(l->loop))) {
            l->st.insert_limited++; /* served below, not cached */
            pc_ratelimit_log(&l->log_rl, uv_now(l->loop), PC_LOG_NOTICE,
                             "cache: more than %u inserts per second (cache-insert-rate); "
                             "answers are served but not cached", l->conf.insert_rate);
        } else if (r.ttl > 0) { /* pc_cache_put encodes and checks the value */
            rc = pc_cache_put(l->cache, &f->qname, f->rtype, &v, f->gen);
            if (rc == 0) {
                want_commit(l);
            } else if (rc == PC_ECANCELED) {
                l->st.not_written++;
            } else {
                l->st.cache_errors++;
                pc_log_warn("cache: put failed: %s", pc_strerror(rc));
            }
        }
    }
    deliver(f, &r);
    free(f);
}

static void answer_hit(pc_lookup_cb cb, void *arg, const pc_cval_t *v, uint64_t now)
{
    pc_lookup_result_t r;

    r.rtype = v->rtype;
    r.outcome = v->outcome;
    r.dnssec = v->dnssec;
    r.cache = PC_CACHE_HIT;
    r.ttl = pc_cval_ttl_left(v, now);
    r.age = pc_cval_age_secs(v, now);
    r.body = v->body;
    r.body_len = v->body_len;
    cb(arg, &r);
}

int pc_lookup_start(pc_lookups_t *l, const pc_name_t *qname, pc_rtype_t rtype,
                    unsigned flags, pc_lookup_cb cb, void *arg, pc_waiter_t **wout)
{
    uint8_t key[KEY_MAX];
    int klen, rc;
    uint32_t hash;
    inflight_t *f;
    pc_waiter_t *w;

    if (l == NULL || qname == NULL || cb == NULL || wout == NULL || l->closing ||
        rtype < 1 || rtype > PC_RT_MAX_)
        return PC_EINVAL;
    *wout = NULL;
    if (!(flags & PC_LOOKUP_NOCACHE)) {
        pc_cval_t v;
        uint8_t *buf = NULL;
        rc = pc_cache_get(l->cache, qname, rtype, &v, &buf);
        if (rc == 0) {
            uint64_t now = l->clock(l->clock_arg);
            if (pc_cval_age_at(&v, now) == PC_CVAL_FRESH) {
                l->st.hits++;
                if (pc_cache_touch(l->cache, qname, rtype, &v) > 0)
                    want_commit(l); /* many access stamps pending */
                answer_hit(cb, arg, &v, now);
                free(buf);
                return 0;
            }
        } else if (rc != PC_ENOENT && rc != PC_ECORRUPT) {
            l->st.cache_errors++;
        }
        free(buf);
    }
    klen = pc_cache_key(qname, rtype, key, sizeof(key));
    if (klen < 0)
        return klen;
    hash = fnv1a(key, (size_t)klen);
    w = calloc(1, sizeof(*w));
    if (w == NULL)
        return PC_ENOMEM;
    w->cb = cb;
    w->arg = arg;
    for (f = l->table[hash % INFLIGHT_BUCKETS]; f != NULL; f = f->next) {
        if (f->klen == (size_t)klen && memcmp(f->key, key, f->klen) == 0)
            break;
    }
    if (f != NULL) {
        l->st.coalesced++;
    } else {
        if (l->conf.max_upstream > 0 && l->st.inflight >= l->conf.max_upstream) {
            l->st.busy++;
            pc_ratelimit_log(&l->log_rl, uv_now(l->loop), PC_LOG_NOTICE,
                             "lookup: %u upstream queries in flight (max-upstream); "
                             "new misses are answered busy", l->conf.max_upstream);
            free(w);
            return PC_EBUSY;
        }
        f = calloc(1, sizeof(*f));
        if (f == NULL) {
            free(w);
            return PC_ENOMEM;
        }
        f->l = l;
        f->res = l->res;
        memcpy(f->key, key, (size_t)klen);
        f->klen = (size_t)klen;
        f->hash = hash;
        f->qname = *qname;
        f->rtype = rtype;
        f->gen = pc_cache_generation(l->cache);
        rc = l->res->ops->resolve(l->res, qname, pc_record_qtype(rtype), l->conf.timeout_ms,
                                  on_answer, f, &f->qid);
        if (rc != 0) {
            free(f);
            free(w);
            return rc;
        }
        f->next = l->table[hash % INFLIGHT_BUCKETS];
        l->table[hash % INFLIGHT_BUCKETS] = f;
        l->st.misses++;
        l->st.upstream++;
        l->st.inflight++;
    }
    w->f = f;
    w->next = f->waiters;
    if (w->next != NULL)
        w->next->pprev = &w->next;
    w->pprev = &f->waiters;
    f->waiters = w;
    *wout = w;
    return 0;
}

void pc_lookup_cancel(pc_lookups_t *l, pc_waiter_t *w)
{
    (void)l;
    if (w == NULL)
        return;
    *w->pprev = w->next;
    if (w->next != NULL)
        w->next->pprev = w->pprev;
    free(w);
}

int pc_lookups_flush(pc_lookups_t *l, const pc_name_t *name, uint64_t *count)
{
    int rc;

    if (l == NULL)
        return PC_EINVAL;
    rc = pc_cache_flush(l->cache, name, count);
    if (rc != 0)
        return rc;
    return l->res->ops->flush(l->res);
}

void pc_lookups_stats(const pc_lookups_t *l, pc_lookup_stats_t *out)
{
    *out = l->st;
}
