/*
 * test_lookup.c - deterministic scenario tests of the lookup engine with
 * the fake resolver, a fake clock and a real LMDB cache in a temporary
 * directory: TTL clamping and expiry, negative TTLs, a clock step, the
 * flush/generation race, hold-down of failures and bogus answers,
 * coalescing (N waiters, one resolver call), cancel, and the record
 * outcomes (two SPF records, two DMARC records).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include <cmocka.h>

#include "fake_resolver.h"
#include "lookup.h"
#include "polcache/error.h"
#include "wire.h"

typedef struct world {
    uv_loop_t loop;
    char dir[64];
    pc_cache_t *cache;
    fake_resolver_t *fake;
    pc_lookups_t *l;
    uint64_t now;
} world_t;

typedef struct got {
    int calls;
    pc_lookup_result_t r;
    char why[256];
    char raw[512];
    unsigned warnings;
} got_t;

static const pc_lookup_conf_t conf = {
    .ttl_min = 60, .ttl_max = 3600, .neg_ttl_min = 30, .neg_ttl_max = 600,
    .fail_hold = 5, .bogus_hold = 10, .timeout_ms = 1000, .max_upstream = 0,
};

static uint64_t fake_clock(void *arg)
{
    return ((world_t *)arg)->now;
}

static void on_result(void *arg, const pc_lookup_result_t *r)
{
    got_t *g = arg;
    pc_tlv_t parent, it = {0, 0, NULL};

    g->calls++;
    g->r = *r;
    g->r.body = NULL;
    g->why[0] = g->raw[0] = '\0';
    g->warnings = 0;
    parent.type = 0;
    parent.len = (uint16_t)r->body_len;
    parent.val = r->body;
    while (pc_tlv_next(&parent, &it)) {
        if (it.type == PC_T_WHY)
            pc_tlv_copy_text(&it, g->why, sizeof(g->why));
        else if (it.type == PC_T_RAW)
            pc_tlv_copy_text(&it, g->raw, sizeof(g->raw));
        else if (it.type == PC_T_WARNING)
            g->warnings++;
    }
}

static int setup(void **state)
{
    world_t *w = calloc(1, sizeof(*w));
    pc_cache_opts_t opts = {0};

    strcpy(w->dir, "/tmp/pc-lookup-XXXXXX");
    assert_non_null(mkdtemp(w->dir));
    opts.dir = w->dir;
    opts.map_size = 16u << 20;
    assert_int_equal(uv_loop_init(&w->loop), 0);
    assert_int_equal(pc_cache_open(&w->cache, &opts), 0);
    w->fake = calloc(1, sizeof(*w->fake));
    fake_resolver_init(w->fake);
    w->now = 1800000000;
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

static int start(world_t *w, const char *name, pc_rtype_t rt, got_t *g, pc_waiter_t **wt)
{
    pc_name_t n;
    pc_waiter_t *dummy;
    assert_int_equal(pc_name_from_text(&n, name, strlen(name), 0), 0);
    return pc_lookup_start(w->l, &n, rt, 0, on_result, g, wt != NULL ? wt : &dummy);
}

/* Run one loop pass so batched writes are committed. */
static void pass(world_t *w)
{
    uv_run(&w->loop, UV_RUN_NOWAIT);
}

static const char *const dmarc_rec[] = {"v=DMARC1; p=reject; rua=mailto:a@b.example", NULL};

static void test_hit_after_miss_and_clamping(void **state)
{
    world_t *w = *state;
    got_t g = {0};

    assert_int_equal(start(w, "_dmarc.example.org", PC_RT_TXT, &g, NULL), 0);
    assert_int_equal(g.calls, 0);
    assert_int_equal(w->fake->n, 1);
    /* TTL 5 is raised to the floor of 60 */
    fake_answer_txt(w->fake, 0, 0, 0, PC_DNSSEC_SECURE, 5, dmarc_rec);
    assert_int_equal(g.calls, 1);
    assert_int_equal(g.r.cache, PC_CACHE_MISS);
    assert_int_equal(g.r.ttl, 60);
    pass(w);
    w->now += 59;
    assert_int_equal(start(w, "_dmarc.example.org", PC_RT_TXT, &g, NULL), 0);
    assert_int_equal(g.calls, 2); /* answered synchronously */
    assert_int_equal(g.r.cache, PC_CACHE_HIT);
    assert_int_equal(g.r.ttl, 1);
    assert_int_equal(g.r.age, 59);
    assert_int_equal(g.r.dnssec, PC_DNSSEC_SECURE);
    assert_int_equal(w->fake->n, 1);
    /* expiry at exactly fetched + ttl */
    w->now += 1;
    assert_int_equal(start(w, "_dmarc.example.org", PC_RT_TXT, &g, NULL), 0);
    assert_int_equal(g.calls, 2);
    assert_int_equal(w->fake->n, 2);
    /* a huge TTL is lowered to the ceiling */
    fake_answer_txt(w->fake, 1, 0, 0, PC_DNSSEC_SECURE, 999999, dmarc_rec);
    assert_int_equal(g.r.ttl, 3600);
}

static void test_negative_ttls(void **state)
{
    world_t *w = *state;
    got_t g = {0};

    assert_int_equal(start(w, "gone.example.org", PC_RT_SPF, &g, NULL), 0);
    fake_answer_txt(w->fake, 0, 0, 3, PC_DNSSEC_SECURE, 10, NULL);
    assert_int_equal(g.r.outcome, PC_OUTCOME_NXDOMAIN);
    assert_int_equal(g.r.ttl, 30); /* raised to the negative floor */
    pass(w);
    assert_int_equal(start(w, "nodata.example.org", PC_RT_SPF, &g, NULL), 0);
    fake_answer_txt(w->fake, 1, 0, 0, PC_DNSSEC_INSECURE, 86400, NULL);
    assert_int_equal(g.r.outcome, PC_OUTCOME_NORECORD);
    assert_int_equal(g.r.ttl, 600); /* lowered to the negative ceiling */
    pass(w);
    w->now += 29;
    assert_int_equal(start(w, "gone.example.org", PC_RT_SPF, &g, NULL), 0);
    assert_int_equal(g.r.cache, PC_CACHE_HIT);
    assert_int_equal(g.r.outcome, PC_OUTCOME_NXDOMAIN);
    w->now += 1;
    assert_int_equal(start(w, "gone.example.org", PC_RT_SPF, &g, NULL), 0);
    assert_int_equal(w->fake->n, 3);
}

static void test_clock_step_back_never_extends(void **state)
{
    world_t *w = *state;
    got_t g = {0};

    assert_int_equal(start(w, "_dmarc.step.example", PC_RT_DMARC, &g, NULL), 0);
    fake_answer_txt(w->fake, 0, 0, 0, PC_DNSSEC_SECURE, 300, dmarc_rec);
    pass(w);
    w->now += 100;
    assert_int_equal(start(w, "_dmarc.step.example", PC_RT_DMARC, &g, NULL), 0);
    assert_int_equal(g.r.ttl, 200);
    /* the clock steps back by an hour: the entry is treated as expired */
    w->now -= 3600;
    assert_int_equal(start(w, "_dmarc.step.example", PC_RT_DMARC, &g, NULL), 0);
    assert_int_equal(g.calls, 2);
    assert_int_equal(w->fake->n, 2);
}

static void test_flush_generation_race(void **state)
{
    world_t *w = *state;
    got_t g = {0};
    uint64_t count = 0;
    pc_name_t n;

    assert_int_equal(start(w, "_dmarc.race.example", PC_RT_DMARC, &g, NULL), 0);
    assert_int_equal(pc_name_from_text(&n, "race.example", 12, 0), 0);
    assert_int_equal(pc_lookups_flush(w->l, &n, &count), 0);
    assert_int_equal(w->fake->flushes, 1);
    /* the answer of the lookup started before the flush reaches its waiter
     * but is not written back */
    fake_answer_txt(w->fake, 0, 0, 0, PC_DNSSEC_SECURE, 300, dmarc_rec);
    assert_int_equal(g.calls, 1);
    assert_int_equal(g.r.outcome, PC_OUTCOME_FOUND);
    pass(w);
    assert_int_equal(start(w, "_dmarc.race.example", PC_RT_DMARC, &g, NULL), 0);
    assert_int_equal(g.calls, 1);
    assert_int_equal(w->fake->n, 2);
    fake_answer_txt(w->fake, 1, 0, 0, PC_DNSSEC_SECURE, 300, dmarc_rec);
    pass(w);
    assert_int_equal(start(w, "_dmarc.race.example", PC_RT_DMARC, &g, NULL), 0);
    assert_int_equal(g.r.cache, PC_CACHE_HIT);
    {
        pc_lookup_stats_t st;
        pc_lookups_stats(w->l, &st);
        assert_int_equal(st.not_written, 1);
    }
}

static void test_failure_hold_down(void **state)
{
    world_t *w = *state;
    got_t g = {0};

    assert_int_equal(start(w, "_dmarc.fail.example", PC_RT_DMARC, &g, NULL), 0);
    fake_answer_txt(w->fake, 0, PC_EDNS, 2, PC_DNSSEC_NONE, 0, NULL);
    assert_int_equal(g.r.outcome, PC_OUTCOME_TEMPFAIL);
    assert_int_equal(g.r.ttl, 5);
    assert_string_equal(g.why, "fake failure");
    pass(w);
    w->now += 4;
    assert_int_equal(start(w, "_dmarc.fail.example", PC_RT_DMARC, &g, NULL), 0);
    assert_int_equal(g.r.cache, PC_CACHE_HIT);
    assert_int_equal(g.r.outcome, PC_OUTCOME_TEMPFAIL);
    assert_int_equal(w->fake->n, 1);
    w->now += 1;
    assert_int_equal(start(w, "_dmarc.fail.example", PC_RT_DMARC, &g, NULL), 0);
    assert_int_equal(w->fake->n, 2);
    /* bogus: held for bogus_hold, the data never used */
    fake_answer_txt(w->fake, 1, PC_EBOGUS, 0, PC_DNSSEC_BOGUS, 300, dmarc_rec);
    assert_int_equal(g.r.outcome, PC_OUTCOME_TEMPFAIL);
    assert_int_equal(g.r.dnssec, PC_DNSSEC_BOGUS);
    assert_int_equal(g.r.ttl, 10);
    assert_string_equal(g.raw, "");
    pass(w);
    w->now += 9;
    assert_int_equal(start(w, "_dmarc.fail.example", PC_RT_DMARC, &g, NULL), 0);
    assert_int_equal(g.r.cache, PC_CACHE_HIT);
    assert_int_equal(g.r.dnssec, PC_DNSSEC_BOGUS);
    assert_int_equal(g.r.outcome, PC_OUTCOME_TEMPFAIL);
    /* timeouts count as failures too */
    w->now += 1;
    assert_int_equal(start(w, "_dmarc.fail.example", PC_RT_DMARC, &g, NULL), 0);
    fake_answer_txt(w->fake, 2, PC_ETIMEDOUT, 2, PC_DNSSEC_NONE, 0, NULL);
    assert_int_equal(g.r.outcome, PC_OUTCOME_TEMPFAIL);
    assert_int_equal(g.r.ttl, 5);
}

#define NWAIT 50

static void test_coalescing_and_cancel(void **state)
{
    world_t *w = *state;
    got_t g[NWAIT];
    pc_waiter_t *wt[NWAIT];
    pc_lookup_stats_t st;

    memset(g, 0, sizeof(g));
    for (int i = 0; i < NWAIT; i++)
        assert_int_equal(start(w, "_dmarc.hot.example", PC_RT_DMARC, &g[i], &wt[i]), 0);
    assert_int_equal(w->fake->n, 1); /* N waiters, exactly one resolver call */
    pc_lookup_cancel(w->l, wt[7]);
    pc_lookup_cancel(w->l, wt[NWAIT - 1]);
    fake_answer_txt(w->fake, 0, 0, 0, PC_DNSSEC_SECURE, 300, dmarc_rec);
    for (int i = 0; i < NWAIT; i++) {
        int cancelled = i == 7 || i == NWAIT - 1;
        assert_int_equal(g[i].calls, cancelled ? 0 : 1);
        if (!cancelled)
            assert_int_equal(g[i].r.outcome, PC_OUTCOME_FOUND);
    }
    pc_lookups_stats(w->l, &st);
    assert_int_equal(st.coalesced, NWAIT - 1);
    assert_int_equal(st.upstream, 1);
    /* every waiter cancelled: the lookup still fills the cache */
    assert_int_equal(start(w, "_dmarc.cold.example", PC_RT_DMARC, &g[0], &wt[0]), 0);
    pc_lookup_cancel(w->l, wt[0]);
    fake_answer_txt(w->fake, 1, 0, 0, PC_DNSSEC_SECURE, 300, dmarc_rec);
    assert_int_equal(g[0].calls, 1);
    pass(w);
    assert_int_equal(start(w, "_dmarc.cold.example", PC_RT_DMARC, &g[0], &wt[0]), 0);
    assert_int_equal(g[0].calls, 2);
    assert_int_equal(g[0].r.cache, PC_CACHE_HIT);
    /* a resolver refusal is returned and no callback fires */
    w->fake->fail_next = PC_EBUSY;
    assert_int_equal(start(w, "_dmarc.refused.example", PC_RT_DMARC, &g[1], &wt[1]), PC_EBUSY);
    assert_int_equal(g[1].calls, 1);
}

static void test_record_outcomes(void **state)
{
    world_t *w = *state;
    got_t g = {0};
    static const char *const two_spf[] = {"v=spf1 -all", "v=spf1 +all", NULL};
    static const char *const two_dmarc[] = {"v=DMARC1; p=none", "v=DMARC1; p=reject", NULL};
    static const char *const other_txt[] = {"google-site-verification=x", "v=spf1 ip4:192.0.2.0/24 -all", NULL};
    static const char *const bad_spf[] = {"v=spf1 ip4:300.1.1.1 -all", NULL};

    assert_int_equal(start(w, "two.example", PC_RT_SPF, &g, NULL), 0);
    fake_answer_txt(w->fake, 0, 0, 0, PC_DNSSEC_SECURE, 300, two_spf);
    assert_int_equal(g.r.outcome, PC_OUTCOME_PERMERROR);
    assert_non_null(strstr(g.why, "more than one"));
    assert_int_equal(start(w, "_dmarc.two.example", PC_RT_DMARC, &g, NULL), 0);
    fake_answer_txt(w->fake, 1, 0, 0, PC_DNSSEC_SECURE, 300, two_dmarc);
    assert_int_equal(g.r.outcome, PC_OUTCOME_NORECORD);
    assert_int_equal(g.warnings, 1);
    assert_int_equal(start(w, "one.example", PC_RT_SPF, &g, NULL), 0);
    fake_answer_txt(w->fake, 2, 0, 0, PC_DNSSEC_INSECURE, 300, other_txt);
    assert_int_equal(g.r.outcome, PC_OUTCOME_FOUND);
    assert_string_equal(g.raw, "v=spf1 ip4:192.0.2.0/24 -all");
    assert_int_equal(start(w, "bad.example", PC_RT_SPF, &g, NULL), 0);
    fake_answer_txt(w->fake, 3, 0, 0, PC_DNSSEC_INSECURE, 300, bad_spf);
    assert_int_equal(g.r.outcome, PC_OUTCOME_PERMERROR);
    assert_non_null(strstr(g.why, "SPF syntax error"));
    assert_int_equal(start(w, "nospf.example", PC_RT_SPF, &g, NULL), 0);
    fake_answer_txt(w->fake, 4, 0, 0, PC_DNSSEC_INSECURE, 300, two_dmarc);
    assert_int_equal(g.r.outcome, PC_OUTCOME_NORECORD);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_hit_after_miss_and_clamping, setup, teardown),
        cmocka_unit_test_setup_teardown(test_negative_ttls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_clock_step_back_never_extends, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flush_generation_race, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failure_hold_down, setup, teardown),
        cmocka_unit_test_setup_teardown(test_coalescing_and_cancel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_record_outcomes, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
