/*
 * test_cache_lru.c - scenario test of eviction through the lookup engine:
 * the fake resolver, a fake clock and a real 2 MiB LMDB cache. Hot names
 * are looked up FIRST, then queried after every batch while a flood of
 * cold names fills the map several times over. The hot names must be hits
 * every time: FIFO eviction would have dropped them first (they are the
 * oldest inserts), and random eviction would have dropped most of them at
 * least once (each entry faces several map-fulls of evictions). A control
 * set inserted right after the hot names and never asked for again must be
 * gone, and every lookup of the flood is answered, with its own data.
 * The end-to-end variant through the real daemon is tests/e2e/test_evict.c.
 */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include <cmocka.h>

#include "evict.h"
#include "fake_resolver.h"
#include "log.h"
#include "lookup.h"
#include "polcache/error.h"
#include "wire.h"

#define NHOT 64
#define NCONTROL 64
#define FLOOD_BATCH 200
#define MAP_SIZE (2u << 20)

typedef struct world {
    uv_loop_t loop;
    char dir[64];
    pc_cache_t *cache;
    fake_resolver_t *fake;
    pc_lookups_t *l;
    uint64_t now;
} world_t;

typedef struct tally {
    unsigned calls, hits, wrong;
    char expect[128]; /* the RAW text the answer must carry */
} tally_t;

static const pc_lookup_conf_t conf = {
    .ttl_min = 3600, .ttl_max = 86400, .neg_ttl_min = 3600, .neg_ttl_max = 3600,
    .fail_hold = 5, .bogus_hold = 10, .timeout_ms = 1000, .max_upstream = 0,
    .insert_rate = 0,
};

static uint64_t fake_clock(void *arg)
{
    return ((world_t *)arg)->now;
}

static void on_result(void *arg, const pc_lookup_result_t *r)
{
    tally_t *t = arg;
    pc_tlv_t parent = {0, (uint16_t)r->body_len, r->body}, it = {0, 0, NULL};
    char raw[256] = "";

    t->calls++;
    t->hits += r->cache == PC_CACHE_HIT;
    while (pc_tlv_next(&parent, &it)) {
        if (it.type == PC_T_RAW)
            pc_tlv_copy_text(&it, raw, sizeof(raw));
    }
    if (r->outcome != PC_OUTCOME_FOUND || strcmp(raw, t->expect) != 0)
        t->wrong++;
}

static int setup(void **state)
{
    world_t *w = calloc(1, sizeof(*w));
    pc_cache_opts_t opts = {0};

    strcpy(w->dir, "/tmp/pc-lru-XXXXXX");
    assert_non_null(mkdtemp(w->dir));
    w->now = 1800000000;
    opts.dir = w->dir;
    opts.map_size = MAP_SIZE;
    opts.nosync = 1;
    opts.clock = fake_clock;
    opts.clock_arg = w;
    if (getenv("LRU_DEBUG")) pc_log_set_level(PC_LOG_INFO);
    assert_int_equal(uv_loop_init(&w->loop), 0);
    assert_int_equal(pc_cache_open(&w->cache, &opts), 0);
    w->fake = calloc(1, sizeof(*w->fake));
    fake_resolver_init(w->fake);
    assert_int_equal(pc_lookups_new(&w->l, &w->loop, w->cache, &w->fake->base, &conf,
                                    fake_clock, w), 0);
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    world_t *w = *state;
    char cmd[128];

    pc_lookups_close(w->l);
    uv_run(&w->loop, UV_RUN_DEFAULT);
    pc_cache_close(w->cache);
    assert_int_equal(uv_loop_close(&w->loop), 0);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", w->dir);
    assert_int_equal(system(cmd), 0);
    free(w->fake);
    free(w);
    return 0;
}

/* The TXT data the fake upstream serves for a name: unique per name. */
static void record_of(const char *name, char *out, size_t cap)
{
    snprintf(out, cap, "v=spf1 include:%s ip4:192.0.2.0/24 ~all", name);
}

/* Look name up; if it misses, answer it from the fake upstream. Returns 1
 * for a hit. */
static int lookup(world_t *w, const char *name, tally_t *t)
{
    pc_name_t n;
    pc_waiter_t *wt = NULL;
    unsigned hits = t->hits, q = w->fake->n;
    const char *txt[2] = {t->expect, NULL};

    record_of(name, t->expect, sizeof(t->expect));
    assert_int_equal(pc_name_from_text(&n, name, strlen(name), 0), 0);
    assert_int_equal(pc_lookup_start(w->l, &n, PC_RT_SPF, 0, on_result, t, &wt), 0);
    if (t->hits > hits)
        return 1;
    assert_int_equal(w->fake->n, q + 1);
    fake_answer_txt(w->fake, q, 0, 0, PC_DNSSEC_SECURE, 3600, txt);
    return 0;
}

/* One loop pass: the lookup engine commits (and eviction takes a step). */
static void pass(world_t *w)
{
    uv_run(&w->loop, UV_RUN_NOWAIT);
    w->fake->n = 0; /* every query was answered */
}

static pc_cache_stats_t stats(world_t *w)
{
    pc_cache_stats_t st;
    assert_int_equal(pc_cache_stats(w->cache, &st), 0);
    return st;
}

static void test_hot_names_survive_a_flood(void **state)
{
    world_t *w = *state;
    tally_t t = {0};
    pc_cache_stats_t st;
    pc_lookup_stats_t ls;
    uint64_t most = 0, lookups = 0;
    unsigned hot_misses = 0, control_left = 0, round;
    char name[96];

    /* the hot names first, then the control set */
    for (int i = 0; i < NHOT; i++) {
        snprintf(name, sizeof(name), "hot%d.mail.example", i);
        assert_int_equal(lookup(w, name, &t), 0);
    }
    pass(w);
    for (int i = 0; i < NCONTROL; i++) {
        snprintf(name, sizeof(name), "ctl%d.once.example", i);
        assert_int_equal(lookup(w, name, &t), 0);
    }
    pass(w);
    lookups = NHOT + NCONTROL;
    /* then a flood, with every hot name asked for after each batch */
    for (round = 0; round < 1000; round++) {
        for (int i = 0; i < FLOOD_BATCH; i++) {
            /* label lengths and key order unrelated to insertion order */
            snprintf(name, sizeof(name), "%x%s.c%u.flood%u.example",
                     (unsigned)((round * FLOOD_BATCH + (unsigned)i) * 2654435761u),
                     i % 3 ? "-x" : "", (unsigned)i % 7, round % 5);
            assert_int_equal(lookup(w, name, &t), 0);
        }
        pass(w);
        for (int i = 0; i < NHOT; i++) {
            snprintf(name, sizeof(name), "hot%d.mail.example", i);
            if (!lookup(w, name, &t)) { hot_misses++; if (getenv("LRU_DEBUG")) print_message("miss %s round %u\n", name, round); }
        }
        pass(w);
        lookups += FLOOD_BATCH + NHOT;
        w->now += 7;
        st = stats(w);
        if (st.entries > most)
            most = st.entries;
        /* the map filled several times over */
        if (st.evicted > 4 * most && round >= 20)
            break;
    }
    st = stats(w);
    pc_lookups_stats(w->l, &ls);
    print_message("%u rounds, %" PRIu64 " lookups, at most %" PRIu64 " entries, %" PRIu64
                  " evicted in %" PRIu64 " runs, %" PRIu64 " stamps written\n", round + 1,
                  lookups, most, st.evicted, st.evict_runs, st.touches);
    assert_true(round < 1000);
    assert_int_equal(hot_misses, 0);
    assert_int_equal(t.calls, lookups); /* every lookup answered once */
    assert_int_equal(t.wrong, 0);       /* with its own data */
    assert_int_equal(st.map_full, 0);
    assert_int_equal(st.drops + st.rebuilds, 0);
    assert_int_equal(ls.cache_errors, 0);
    /* hits never wrote one stamp each: at most one per name per
     * PC_EVICT_TOUCH_AGE minutes */
    assert_true(st.touches <=
                (uint64_t)NHOT * (1 + (round + 1) * 7 / (60 * PC_EVICT_TOUCH_AGE) + 1));
    for (int i = 0; i < NCONTROL; i++) {
        pc_name_t n;
        pc_cval_t v;
        uint8_t *buf = NULL;
        snprintf(name, sizeof(name), "ctl%d.once.example", i);
        assert_int_equal(pc_name_from_text(&n, name, strlen(name), 0), 0);
        control_left += pc_cache_get(w->cache, &n, PC_RT_SPF, &v, &buf) == 0;
        free(buf);
    }
    assert_int_equal(control_left, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_hot_names_survive_a_flood, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
