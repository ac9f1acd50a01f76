/*
 * test_spf_ttl.c - scenario tests of how long an SPF outcome may be
 * reused (pc_spf_outcome_t.ttl, the TTL of the SPF check reply): the
 * least freshness left among every answer the check obtained, negative
 * answers with their negative TTL, a decreasing TTL from a warm cache,
 * the positive ceiling when no lookup was made, and 0 for temperror, a
 * DNS failure or a bogus answer skipped under the ptr / %{p} / MX exchange
 * rules, a lookup that could not start, the time limit, and an
 * explanation that expands %{t}. The fake resolver gives each record its
 * own TTL; the clock is fake and the cache a real LMDB.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <uv.h>

#include <cmocka.h>

#include "polcache/error.h"
#include "spfworld.h"

#define TTL_MAX 3600
#define NEG_DEFAULT 45 /* negative TTL of a name the zone does not hold */

static const pc_lookup_conf_t conf = {
    .ttl_min = 60, .ttl_max = TTL_MAX, .neg_ttl_min = 30, .neg_ttl_max = 600,
    .fail_hold = 5, .bogus_hold = 10, .timeout_ms = 1000, .max_upstream = 0,
};

/* The zone entries carry their own TTLs (the negative TTL for NXDOMAIN
 * and NODATA); a name the zone does not hold is NXDOMAIN with NEG_DEFAULT. */
static int setup(void **state)
{
    sw_world_t *w = sw_new(&conf, "spfttl");

    w->neg_ttl = NEG_DEFAULT;
    w->helo = "mx.client.example";
    w->env.explain = 1;
    w->env.ttl_max = TTL_MAX;
    *state = w;
    return 0;
}

/* Clear g and start a check (HELO w->helo). */
static int start(sw_world_t *w, const char *ip, const char *mailfrom, sw_got_t *g)
{
    memset(g, 0, sizeof(*g));
    return sw_check(w, ip, mailfrom, w->helo, g, NULL);
}

/* One check to its end with the zone answering. */
static void run(sw_world_t *w, const char *ip, const char *mailfrom, sw_got_t *g)
{
    sw_run(w, ip, mailfrom, g);
    uv_run(&w->loop, UV_RUN_NOWAIT); /* free the evaluation */
}

/* ---- the tests ---- */

static const sw_zrec_t chain[] = {
    {"ex.example", PC_QT_TXT, Z_DATA, 300, {"v=spf1 a:h.ex.example mx include:inc.example -all"}},
    {"h.ex.example", PC_QT_A, Z_DATA, 900, {"198.51.100.1"}},
    {"ex.example", PC_QT_MX, Z_DATA, 600, {"10 mx.ex.example"}},
    {"mx.ex.example", PC_QT_A, Z_DATA, 240, {"198.51.100.2"}},
    {"inc.example", PC_QT_TXT, Z_DATA, 1200, {"v=spf1 ip4:192.0.2.0/24 -all"}},
    /* a void lookup: NODATA at a name that exists, with its negative TTL */
    {"void.example", PC_QT_TXT, Z_DATA, 300,
     {"v=spf1 a:nodata.void.example ip4:192.0.2.0/24 -all"}},
    {"nodata.void.example", PC_QT_TXT, Z_DATA, 75, {"not an address"}},
    /* a redirect to a name that does not exist: permerror, from cached data */
    {"rdx.example", PC_QT_TXT, Z_DATA, 500, {"v=spf1 redirect=gone.rdx.example"}},
    {"gone.rdx.example", PC_QT_TXT, Z_NXDOMAIN, 90, {NULL}},
};

static void test_least_freshness(void **state)
{
    sw_world_t *w = *state;
    sw_got_t g;

    SW_ZONE(w, chain);
    /* a, mx (and its exchange), include: the least TTL is the exchange's */
    run(w, "192.0.2.1", "u@ex.example", &g);
    assert_int_equal(g.o.result, PC_SPF_PASS);
    assert_string_equal(g.o.matched, "include:inc.example");
    assert_int_equal(g.o.lookups, 3);
    assert_int_equal(g.o.cache, PC_CACHE_MISS);
    assert_int_equal(g.o.ttl, 240);
    /* from the cache 100 s later: what is left, never more */
    w->now += 100;
    run(w, "192.0.2.1", "u@ex.example", &g);
    assert_int_equal(g.o.cache, PC_CACHE_HIT);
    assert_int_equal(g.o.ttl, 140);
    /* the same for a fail decided by -all in the same records */
    run(w, "203.0.113.1", "u@ex.example", &g);
    assert_int_equal(g.o.result, PC_SPF_FAIL);
    assert_int_equal(g.o.ttl, 140);
    /* a NODATA counts with its negative TTL (clamped to 30..600) */
    run(w, "192.0.2.1", "u@void.example", &g);
    assert_int_equal(g.o.result, PC_SPF_PASS);
    assert_int_equal(g.o.voids, 1);
    assert_int_equal(g.o.ttl, 75);
    /* so does an NXDOMAIN, here behind a permerror */
    run(w, "192.0.2.1", "u@rdx.example", &g);
    assert_int_equal(g.o.result, PC_SPF_PERMERROR);
    assert_int_equal(g.o.ttl, 90);
    /* a domain with no SPF record at all: none, for the NXDOMAIN's TTL */
    run(w, "192.0.2.1", "u@absent.example", &g);
    assert_int_equal(g.o.result, PC_SPF_NONE);
    assert_int_equal(g.o.ttl, NEG_DEFAULT);
}

static void test_no_lookup_gets_the_ceiling(void **state)
{
    sw_world_t *w = *state;
    sw_got_t g;

    SW_ZONE(w, chain);
    /* a single label is not a domain SPF can check: none, with no query */
    assert_int_equal(start(w, "192.0.2.1", "u@localhost", &g), 0);
    assert_int_equal(g.calls, 1);
    assert_int_equal(g.o.result, PC_SPF_NONE);
    assert_int_equal(g.o.cache, PC_CACHE_NONE);
    assert_int_equal(g.o.ttl, TTL_MAX);
    assert_int_equal(w->fake->n, 0);
    uv_run(&w->loop, UV_RUN_NOWAIT);
}

static const sw_zrec_t failing[] = {
    {"sf.example", PC_QT_TXT, Z_DATA, 300, {"v=spf1 a:broken.example -all"}},
    {"broken.example", PC_QT_A, Z_SERVFAIL, 300, {NULL}},
    /* ptr fails (SERVFAIL), the next term decides: pass, but no reuse */
    {"pf.example", PC_QT_TXT, Z_DATA, 300, {"v=spf1 ptr ip4:192.0.2.0/24 -all"}},
    {"3.2.0.192.in-addr.arpa", PC_QT_PTR, Z_SERVFAIL, 300, {NULL}},
    /* a bogus PTR answer skipped under §5.5: pass, but no reuse */
    {"7.2.0.192.in-addr.arpa", PC_QT_PTR, Z_BOGUS, 300, {"mail.pf.example"}},
    /* one MX exchange fails, another matches: pass, but no reuse */
    {"mxf.example", PC_QT_TXT, Z_DATA, 300, {"v=spf1 mx -all"}},
    {"mxf.example", PC_QT_MX, Z_DATA, 300, {"10 a.mxf.example", "20 b.mxf.example"}},
    {"a.mxf.example", PC_QT_A, Z_SERVFAIL, 300, {NULL}},
    {"b.mxf.example", PC_QT_A, Z_DATA, 300, {"192.0.2.4"}},
    /* the exp= TXT fails: the fail stands, unexplained, no reuse */
    {"ef.example", PC_QT_TXT, Z_DATA, 300, {"v=spf1 -all exp=why.ef.example"}},
    {"why.ef.example", PC_QT_TXT, Z_SERVFAIL, 300, {NULL}},
    {"slow.example", PC_QT_TXT, Z_DATA, 300, {"v=spf1 -all exp=why.slow.example"}},
    {"why.slow.example", PC_QT_TXT, Z_SILENT, 300, {NULL}},
};

static void test_failures_are_not_reused(void **state)
{
    sw_world_t *w = *state;
    sw_got_t g;

    SW_ZONE(w, failing);
    run(w, "192.0.2.1", "u@sf.example", &g);
    assert_int_equal(g.o.result, PC_SPF_TEMPERROR);
    assert_int_equal(g.o.ttl, 0);
    /* ... also when the failure is cached (fail-hold) and asked again */
    run(w, "192.0.2.1", "u@sf.example", &g);
    assert_int_equal(g.o.cache, PC_CACHE_HIT);
    assert_int_equal(g.o.ttl, 0);
    run(w, "192.0.2.3", "u@pf.example", &g);
    assert_int_equal(g.o.result, PC_SPF_PASS);
    assert_string_equal(g.o.matched, "ip4:192.0.2.0/24");
    assert_int_equal(g.o.ttl, 0);
    run(w, "192.0.2.7", "u@pf.example", &g);
    assert_int_equal(g.o.result, PC_SPF_PASS);
    assert_int_equal(g.o.dnssec, PC_DNSSEC_BOGUS);
    assert_int_equal(g.o.ttl, 0);
    run(w, "192.0.2.4", "u@mxf.example", &g);
    assert_int_equal(g.o.result, PC_SPF_PASS);
    assert_string_equal(g.o.matched, "mx");
    assert_int_equal(g.o.ttl, 0);
    run(w, "192.0.2.9", "u@ef.example", &g);
    assert_int_equal(g.o.result, PC_SPF_FAIL);
    assert_string_equal(g.o.explanation, "");
    assert_int_equal(g.o.ttl, 0);
    /* a lookup that cannot start (the resolver refuses it): temperror, 0 */
    w->fake->fail_next = PC_ENOMEM;
    run(w, "192.0.2.1", "u@fresh.example", &g);
    assert_int_equal(g.o.result, PC_SPF_TEMPERROR);
    assert_int_equal(g.o.ttl, 0);
}

static void test_time_limit_on_the_explanation(void **state)
{
    sw_world_t *w = *state;
    sw_got_t g;

    SW_ZONE(w, failing);
    w->env.time_limit_ms = 30;
    assert_int_equal(start(w, "192.0.2.9", "u@slow.example", &g), 0);
    sw_serve(w);
    assert_int_equal(g.calls, 0); /* waiting for the silent exp= TXT */
    uv_run(&w->loop, UV_RUN_DEFAULT);
    /* the fail stands without its explanation; asked again, the explanation
     * may arrive: no reuse */
    assert_int_equal(g.calls, 1);
    assert_int_equal(g.o.result, PC_SPF_FAIL);
    assert_string_equal(g.o.explanation, "");
    assert_int_equal(g.o.ttl, 0);
}

static const sw_zrec_t explained[] = {
    {"ts.example", PC_QT_TXT, Z_DATA, 300, {"v=spf1 -all exp=why.ts.example"}},
    {"why.ts.example", PC_QT_TXT, Z_DATA, 300, {"%{i} refused at %{t}"}},
    {"up.example", PC_QT_TXT, Z_DATA, 300, {"v=spf1 -all exp=why.up.example"}},
    {"why.up.example", PC_QT_TXT, Z_DATA, 300, {"%{i} refused at %{T}"}},
    {"plain.example", PC_QT_TXT, Z_DATA, 300, {"v=spf1 -all exp=why.plain.example"}},
    {"why.plain.example", PC_QT_TXT, Z_DATA, 150, {"%{i} is not one of %{d}'s (100%% sure)"}},
    {"pp.example", PC_QT_TXT, Z_DATA, 300, {"v=spf1 -all exp=why.pp.example"}},
    {"why.pp.example", PC_QT_TXT, Z_DATA, 300, {"connect from %{p}"}},
    {"5.2.0.192.in-addr.arpa", PC_QT_PTR, Z_DATA, 200, {"host.pp.example"}},
    {"host.pp.example", PC_QT_A, Z_DATA, 100, {"192.0.2.5"}},
};

static void test_explanations(void **state)
{
    sw_world_t *w = *state;
    sw_got_t g;

    SW_ZONE(w, explained);
    /* %{t} is the time of the check: the same question explains otherwise */
    run(w, "192.0.2.9", "u@ts.example", &g);
    assert_int_equal(g.o.result, PC_SPF_FAIL);
    assert_string_equal(g.o.explanation, "192.0.2.9 refused at 1800000000");
    assert_int_equal(g.o.ttl, 0);
    run(w, "192.0.2.9", "u@up.example", &g);
    assert_string_equal(g.o.explanation, "192.0.2.9 refused at 1800000000");
    assert_int_equal(g.o.ttl, 0);
    /* the same records from the cache: still 0 */
    w->now += 10;
    run(w, "192.0.2.9", "u@ts.example", &g);
    assert_int_equal(g.o.cache, PC_CACHE_HIT);
    assert_string_equal(g.o.explanation, "192.0.2.9 refused at 1800000010");
    assert_int_equal(g.o.ttl, 0);
    /* without %{t} (a literal "%%" is no macro): the explanation's TXT
     * counts like any answer */
    run(w, "192.0.2.9", "u@plain.example", &g);
    assert_string_equal(g.o.explanation, "192.0.2.9 is not one of plain.example's (100% sure)");
    assert_int_equal(g.o.ttl, 150);
    /* so do the PTR and address lookups of %{p} */
    run(w, "192.0.2.5", "u@pp.example", &g);
    assert_string_equal(g.o.explanation, "connect from host.pp.example");
    assert_int_equal(g.o.ttl, 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_least_freshness, setup, sw_teardown),
        cmocka_unit_test_setup_teardown(test_no_lookup_gets_the_ceiling, setup, sw_teardown),
        cmocka_unit_test_setup_teardown(test_failures_are_not_reused, setup, sw_teardown),
        cmocka_unit_test_setup_teardown(test_time_limit_on_the_explanation, setup, sw_teardown),
        cmocka_unit_test_setup_teardown(test_explanations, setup, sw_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
