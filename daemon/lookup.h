/*
 * lookup.h - the lookup engine between requests and the two back ends:
 * read the cache; on a miss join an identical lookup already in flight
 * (coalescing) or start one resolver query; classify the answer with
 * record.c; apply TTL policy; write the cache; answer every waiter.
 * Runs on the daemon's loop thread only.
 */
#ifndef PC_LOOKUP_H
#define PC_LOOKUP_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "cache.h"
#include "name.h"
#include "polcache/types.h"
#include "resolver.h"

/* TTL policy and timeouts. Times in seconds unless stated. */
typedef struct pc_lookup_conf {
    uint32_t ttl_min;      /* floor for positive answers */
    uint32_t ttl_max;      /* ceiling for positive answers */
    uint32_t neg_ttl_min;  /* floor for NXDOMAIN / NODATA (RFC 2308) */
    uint32_t neg_ttl_max;  /* ceiling for NXDOMAIN / NODATA */
    uint32_t fail_hold;    /* SERVFAIL / timeout kept this long */
    uint32_t bogus_hold;   /* bogus answers kept this long */
    unsigned timeout_ms;   /* per upstream query */
    unsigned max_upstream; /* concurrent upstream queries (0 = no limit) */
    unsigned insert_rate;  /* cache inserts per second, burst as many (0 = no
                            * limit); answers beyond it are served, not cached */
} pc_lookup_conf_t;

/* Wall clock in Unix seconds; replaceable for scenario tests. */
typedef uint64_t (*pc_clock_fn)(void *arg);

typedef struct pc_lookup_result {
    pc_rtype_t rtype;
    pc_outcome_t outcome;
    pc_dnssec_t dnssec;
    pc_cache_state_t cache;
    uint32_t ttl;           /* seconds of freshness left */
    uint32_t age;           /* seconds since fetched */
    const uint8_t *body;    /* TLV block (cval body); valid during the cb */
    size_t body_len;
} pc_lookup_result_t;

/* Called exactly once per accepted lookup, unless it was cancelled. */
typedef void (*pc_lookup_cb)(void *arg, const pc_lookup_result_t *r);

typedef struct pc_lookups pc_lookups_t;
typedef struct pc_waiter pc_waiter_t;

typedef struct pc_lookup_stats {
    uint64_t hits, misses, coalesced, upstream, timeouts, bogus, servfail;
    uint64_t cache_errors, not_written, busy, inflight;
    uint64_t insert_limited; /* answers not cached: over insert_rate */
} pc_lookup_stats_t;

/*
 * pc_lookups_new - create the engine. cache and resolver are borrowed and
 * must outlive it; clock NULL means the real wall clock. loop gets a
 * uv_check handle that commits batched cache writes once per loop pass.
 * Returns 0, PC_EINVAL or PC_ENOMEM.
 */
int pc_lookups_new(pc_lookups_t **out, uv_loop_t *loop, pc_cache_t *cache,
                   pc_resolver_t *resolver, const pc_lookup_conf_t *conf,
                   pc_clock_fn clock, void *clock_arg);

/* Replace the resolver or the TTL policy (reload). In-flight queries on the
 * old resolver complete normally. */
void pc_lookups_set_resolver(pc_lookups_t *l, pc_resolver_t *resolver);
void pc_lookups_set_conf(pc_lookups_t *l, const pc_lookup_conf_t *conf);

/*
 * pc_lookups_close - cancel all waiters (no callbacks), cancel in-flight
 * queries, commit the cache, and free once the loop has closed the handle.
 */
void pc_lookups_close(pc_lookups_t *l);

/* Lookup flags (the protocol's header flags). */
#define PC_LOOKUP_NOCACHE 0x0001u
#define PC_LOOKUP_NOSTALE 0x0002u

/*
 * pc_lookup_start - look up (qname, rtype).
 * A fresh cache hit calls cb before returning and sets *w to NULL.
 * Otherwise the request waits: *w identifies it for pc_lookup_cancel, and
 * cb is called exactly once later (on the loop thread).
 * Returns 0, or PC_EINVAL, PC_ENOMEM, PC_EBUSY (too many upstream queries
 * in flight), or a resolver error; on error cb is never called.
 */
int pc_lookup_start(pc_lookups_t *l, const pc_name_t *qname, pc_rtype_t rtype,
                    unsigned flags, pc_lookup_cb cb, void *arg, pc_waiter_t **w);

/* Detach a waiting request: its cb is never called; the upstream query goes
 * on and still fills the cache. */
void pc_lookup_cancel(pc_lookups_t *l, pc_waiter_t *w);

/* Flush the cache (name and below, or all when name is NULL) and the
 * resolver's own cache. *count gets the entries removed. */
int pc_lookups_flush(pc_lookups_t *l, const pc_name_t *name, uint64_t *count);

void pc_lookups_stats(const pc_lookups_t *l, pc_lookup_stats_t *out);

/* The real wall clock, Unix seconds. */
uint64_t pc_clock_wall(void *arg);

#endif /* PC_LOOKUP_H */
