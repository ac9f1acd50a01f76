/*
 * spfworld.h - the scenario world of the SPF evaluator tests
 * (tests/unit/test_spf_eval.c, test_spf_ttl.c): a real LMDB cache in its
 * own mkdtemp directory under /tmp, the fake resolver answering from a
 * small zone the test names, a fake clock, and helpers that start a check
 * and run it to its end. Helpers fail the running cmocka test on any
 * surprise.
 */
#ifndef PC_SPFWORLD_H
#define PC_SPFWORLD_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "fake_resolver.h"
#include "lookup.h"
#include "spf_eval.h"

/* What the fake resolver answers for a zone entry. */
enum { Z_DATA, Z_NXDOMAIN, Z_SERVFAIL, Z_BOGUS, Z_SILENT };

/* One RRset (or NXDOMAIN, or a failure) of the fake zone. A name absent
 * from the zone is NXDOMAIN; a name present without the type, NODATA. */
typedef struct sw_zrec {
    const char *name;
    uint16_t qtype;
    int kind;
    uint32_t ttl;         /* of the answer (the negative TTL for NXDOMAIN
                             and NODATA) */
    const char *data[16]; /* TXT text, address text, "pref name" or a name */
} sw_zrec_t;

typedef struct sw_world {
    uv_loop_t loop;
    char dir[64];
    pc_cache_t *cache;
    fake_resolver_t *fake;
    pc_lookups_t *l;
    uint64_t now; /* the fake clock */
    const sw_zrec_t *zone;
    size_t nzone;
    uint32_t neg_ttl; /* negative TTL of a name the zone lacks (300) */
    const char *helo; /* HELO name of sw_run ("mx.example.org") */
    pc_spf_env_t env; /* time limit 5000 ms, the fake clock */
} sw_world_t;

/* What sw_on_done saw of a check. */
typedef struct sw_got {
    int calls;
    pc_spf_outcome_t o;
} sw_got_t;

/* Point the world at a zone table. */
#define SW_ZONE(w, z) ((w)->zone = (z), (w)->nzone = sizeof(z) / sizeof((z)[0]))

/* A world at now 1800000000 whose lookups use conf (it must outlive the
 * world); the cache directory is /tmp/pc-<tag>-XXXXXX. */
sw_world_t *sw_new(const pc_lookup_conf_t *conf, const char *tag);
/* cmocka teardown: closes the lookups and the cache, removes the
 * directory, frees the world in *state. */
int sw_teardown(void **state);

/* The pc_spf_cb of the checks: counts the calls, keeps the outcome. */
void sw_on_done(void *arg, const pc_spf_outcome_t *o);
/* The fake clock: the world's now. */
uint64_t sw_clock(void *arg);

/* Answer query i from the zone. Returns 0 if the entry is silent. */
int sw_answer(sw_world_t *w, unsigned i);
/* Answer every answerable query, including those the answers cause, then
 * let the loop commit the cache writes. */
void sw_serve(sw_world_t *w);
/* Start a check from ip (IPv4 or IPv6) with mailfrom and helo (either may
 * be NULL), reporting to g; *e gets the evaluation (e may be NULL).
 * Returns pc_spf_check_start's result. g is not cleared. */
int sw_check(sw_world_t *w, const char *ip, const char *mailfrom, const char *helo,
             sw_got_t *g, pc_spf_eval_t **e);
/* Clear g and run one check (HELO w->helo) to its end with the zone
 * answering: it must start, and end exactly once. */
void sw_run(sw_world_t *w, const char *ip, const char *mailfrom, sw_got_t *g);

#endif
