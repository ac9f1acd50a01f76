/*
 * test_spf_eval.c - scenario tests of the SPF evaluator (daemon/spf_eval.c,
 * spf_query.c) with the fake resolver, a fake clock and a real LMDB cache:
 * the state machine (include, redirect, mx, ptr, exists, %{p}), the §4.6.4
 * limits, temperror on DNS failures and bogus answers, the time limit,
 * cancellation, concurrent evaluations, parallel exchange lookups, a
 * warm cache answering a whole evaluation synchronously with no query,
 * exp= explanations (§6.2) and every way they are dropped, the DNSSEC
 * state when a bogus answer only took a ptr or %{p} match away, and the
 * header texts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <uv.h>

#include <cmocka.h>

#include "polcache/error.h"
#include "spf_mech.h"
#include "spfworld.h"

/* ---- the world: a small zone answered by the fake resolver, TTL 300 ---- */

static const pc_lookup_conf_t conf = {
    .ttl_min = 60, .ttl_max = 3600, .neg_ttl_min = 60, .neg_ttl_max = 600,
    .fail_hold = 5, .bogus_hold = 10, .timeout_ms = 1000, .max_upstream = 0,
};

static int setup(void **state)
{
    *state = sw_new(&conf, "spfeval");
    return 0;
}

/* ---- the tests ---- */

static const sw_zrec_t basic[] = {
    {"example.org", PC_QT_TXT, Z_DATA, 300,
     {"v=spf1 ip4:192.0.2.0/24 include:_spf.example.net mx -all exp=why.example.org", NULL}},
    {"example.org", PC_QT_MX, Z_DATA, 300, {"10 mail.example.org", "20 mail2.example.org", NULL}},
    {"mail.example.org", PC_QT_A, Z_DATA, 300, {"198.51.100.7", NULL}},
    {"mail2.example.org", PC_QT_AAAA, Z_DATA, 300, {"2001:db8::25", NULL}},
    {"_spf.example.net", PC_QT_TXT, Z_DATA, 300,
     {"v=spf1 ip6:2001:db8:1::/48 redirect=_r.example.net", NULL}},
    {"_r.example.net", PC_QT_TXT, Z_DATA, 300, {"v=spf1 a:host.example.net ~all", NULL}},
    {"host.example.net", PC_QT_A, Z_DATA, 300, {"203.0.113.9", NULL}},
};

static void test_results_and_terms(void **state)
{
    sw_world_t *w = *state;
    sw_got_t g;

    SW_ZONE(w, basic);
    sw_run(w, "192.0.2.1", "user@example.org", &g);
    assert_int_equal(g.o.result, PC_SPF_PASS);
    assert_string_equal(g.o.matched, "ip4:192.0.2.0/24");
    assert_string_equal(g.o.term_domain, "example.org");
    assert_string_equal(g.o.domain, "example.org");
    assert_int_equal(g.o.scope, PC_SPF_SCOPE_MAILFROM);
    assert_int_equal(g.o.lookups, 0);
    assert_int_equal(g.o.cache, PC_CACHE_MISS);
    assert_int_equal(g.o.dnssec, PC_DNSSEC_SECURE);

    /* through include and redirect: the include decides, with its qualifier */
    sw_run(w, "2001:db8:1::5", "user@example.org", &g);
    assert_int_equal(g.o.result, PC_SPF_PASS);
    assert_string_equal(g.o.matched, "include:_spf.example.net");
    assert_int_equal(g.o.lookups, 1);

    /* the included record's redirect gives softfail: no match, on to mx */
    sw_run(w, "198.51.100.7", "user@example.org", &g);
    assert_int_equal(g.o.result, PC_SPF_PASS);
    assert_string_equal(g.o.matched, "mx");
    assert_int_equal(g.o.lookups, 4); /* include, redirect, a, mx */

    /* nothing matches: -all, and the exp= of that record is handed on */
    sw_run(w, "203.0.113.200", "user@example.org", &g);
    assert_int_equal(g.o.result, PC_SPF_FAIL);
    assert_string_equal(g.o.matched, "-all");
    assert_string_equal(g.o.exp_spec, "why.example.org");
    assert_string_equal(g.o.exp_domain, "example.org");
    assert_string_equal(g.o.why, "");
}

static void test_warm_cache_is_synchronous(void **state)
{
    sw_world_t *w = *state;
    pc_spf_eval_t *e = (pc_spf_eval_t *)1;
    unsigned queries;
    sw_got_t g;

    SW_ZONE(w, basic);
    sw_run(w, "203.0.113.200", "user@example.org", &g);
    queries = w->fake->n;
    memset(&g, 0, sizeof(g));
    /* every answer is in the cache: the result arrives before start returns */
    assert_int_equal(sw_check(w, "203.0.113.200", "user@example.org", NULL, &g, &e), 0);
    assert_null(e);
    assert_int_equal(g.calls, 1);
    assert_int_equal(g.o.result, PC_SPF_FAIL);
    assert_int_equal(g.o.cache, PC_CACHE_HIT);
    assert_int_equal(w->fake->n, queries);
    uv_run(&w->loop, UV_RUN_NOWAIT); /* the evaluation is freed by the loop */
}

static const sw_zrec_t helo_zone[] = {
    {"mx.example.org", PC_QT_TXT, Z_DATA, 300, {"v=spf1 a -all", NULL}},
    {"mx.example.org", PC_QT_A, Z_DATA, 300, {"192.0.2.25", NULL}},
};

static void test_helo_and_null_sender(void **state)
{
    sw_world_t *w = *state;
    sw_got_t g;

    SW_ZONE(w, helo_zone);
    memset(&g, 0, sizeof(g));
    assert_int_equal(sw_check(w, "192.0.2.25", NULL, "mx.example.org", &g, NULL), 0);
    sw_serve(w);
    assert_int_equal(g.o.result, PC_SPF_PASS);
    assert_int_equal(g.o.scope, PC_SPF_SCOPE_HELO);
    assert_string_equal(g.o.domain, "mx.example.org");
    /* the null reverse-path is postmaster@helo, in the mailfrom scope */
    memset(&g, 0, sizeof(g));
    assert_int_equal(sw_check(w, "192.0.2.26", "", "mx.example.org", &g, NULL), 0);
    sw_serve(w);
    assert_int_equal(g.o.result, PC_SPF_FAIL);
    assert_int_equal(g.o.scope, PC_SPF_SCOPE_MAILFROM);
    assert_string_equal(g.o.domain, "mx.example.org");
    /* a domain literal or a single label is "none" at once, with no query */
    memset(&g, 0, sizeof(g));
    assert_int_equal(sw_check(w, "192.0.2.25", "", "[192.0.2.25]", &g, NULL), 0);
    assert_int_equal(g.calls, 1);
    assert_int_equal(g.o.result, PC_SPF_NONE);
    assert_non_null(strstr(g.o.why, "4.3"));
    assert_int_equal(g.o.cache, PC_CACHE_NONE);
    memset(&g, 0, sizeof(g));
    assert_int_equal(sw_check(w, "192.0.2.25", "a@localhost", NULL, &g, NULL), 0);
    assert_int_equal(g.o.result, PC_SPF_NONE);
    uv_run(&w->loop, UV_RUN_NOWAIT);
    /* bad arguments */
    assert_int_equal(sw_check(w, "192.0.2.25", NULL, NULL, &g, NULL), PC_EINVAL);
    assert_int_equal(pc_spf_check_start(NULL, NULL, sw_on_done, &g, NULL), PC_EINVAL);
}

static const sw_zrec_t limits[] = {
    {"eleven.example", PC_QT_TXT, Z_DATA, 300,
     {"v=spf1 a a a a a a a a a a a -all", NULL}},
    {"ten.example", PC_QT_TXT, Z_DATA, 300,
     {"v=spf1 a a a a a a a a a a ip4:192.0.2.1 -all", NULL}},
    {"eleven.example", PC_QT_A, Z_DATA, 300, {"198.51.100.1", NULL}},
    {"ten.example", PC_QT_A, Z_DATA, 300, {"198.51.100.1", NULL}},
    {"voids.example", PC_QT_TXT, Z_DATA, 300,
     {"v=spf1 a:n1.voids.example a:n2.voids.example a:n3.voids.example ?all", NULL}},
    {"twovoids.example", PC_QT_TXT, Z_DATA, 300,
     {"v=spf1 a:n1.voids.example mx:n2.voids.example ?all", NULL}},
    {"manymx.example", PC_QT_TXT, Z_DATA, 300, {"v=spf1 mx -all", NULL}},
    {"manymx.example", PC_QT_MX, Z_DATA, 300,
     {"1 a.example", "2 b.example", "3 c.example", "4 d.example", "5 e.example", "6 f.example",
      "7 g.example", "8 h.example", "9 i.example", "10 j.example", "11 k.example", NULL}},
    {"loop.example", PC_QT_TXT, Z_DATA, 300, {"v=spf1 include:loop.example -all", NULL}},
};

static void test_lookup_limits(void **state)
{
    sw_world_t *w = *state;
    sw_got_t g;

    SW_ZONE(w, limits);
    sw_run(w, "192.0.2.1", "a@eleven.example", &g);
    assert_int_equal(g.o.result, PC_SPF_PERMERROR);
    assert_int_equal(g.o.lookups, 10);
    assert_non_null(strstr(g.o.why, "more than 10 DNS-querying terms"));
    assert_non_null(strstr(g.o.why, "'a' in the SPF record of eleven.example"));
    sw_run(w, "192.0.2.1", "a@ten.example", &g);
    assert_int_equal(g.o.result, PC_SPF_PASS);
    assert_int_equal(g.o.lookups, 10);
    sw_run(w, "192.0.2.1", "a@voids.example", &g);
    assert_int_equal(g.o.result, PC_SPF_PERMERROR);
    assert_int_equal(g.o.voids, 3);
    assert_non_null(strstr(g.o.why, "a:n3.voids.example"));
    sw_run(w, "192.0.2.1", "a@twovoids.example", &g);
    assert_int_equal(g.o.result, PC_SPF_NEUTRAL);
    assert_int_equal(g.o.voids, 2);
    sw_run(w, "192.0.2.1", "a@manymx.example", &g);
    assert_int_equal(g.o.result, PC_SPF_PERMERROR);
    assert_non_null(strstr(g.o.why, "more than 10 MX records"));
    sw_run(w, "192.0.2.1", "a@loop.example", &g);
    assert_int_equal(g.o.result, PC_SPF_PERMERROR);
    assert_int_equal(g.o.lookups, 10);
}

static const sw_zrec_t ptr_zone[] = {
    {"ptr.example", PC_QT_TXT, Z_DATA, 300, {"v=spf1 ptr -all", NULL}},
    {"p.example", PC_QT_TXT, Z_DATA, 300, {"v=spf1 exists:%{p}.ok.example -all", NULL}},
    {"1.2.0.192.in-addr.arpa", PC_QT_PTR, Z_DATA, 300,
     {"h1.other.example", "h2.other.example", "h3.other.example", "h4.other.example",
      "h5.other.example", "h6.other.example", "h7.other.example", "h8.other.example",
      "h9.other.example", "h10.other.example", "mail.ptr.example", NULL}},
    {"mail.ptr.example", PC_QT_A, Z_DATA, 300, {"192.0.2.1", NULL}},
    {"2.2.0.192.in-addr.arpa", PC_QT_PTR, Z_DATA, 300, {"fake.ptr.example", "mx.p.example", NULL}},
    {"fake.ptr.example", PC_QT_A, Z_DATA, 300, {"198.51.100.1", NULL}},
    {"mx.p.example", PC_QT_A, Z_DATA, 300, {"192.0.2.2", NULL}},
    {"mx.p.example.ok.example", PC_QT_A, Z_DATA, 300, {"127.0.0.2", NULL}},
    {"3.2.0.192.in-addr.arpa", PC_QT_PTR, Z_SERVFAIL, 300, {NULL}},
};

static void test_ptr_and_p_macro(void **state)
{
    sw_world_t *w = *state;
    sw_got_t g;

    SW_ZONE(w, ptr_zone);
    /* the 11th PTR name would match, but only the first 10 are looked at */
    sw_run(w, "192.0.2.1", "a@ptr.example", &g);
    assert_int_equal(g.o.result, PC_SPF_FAIL);
    assert_int_equal(g.o.lookups, 1);
    /* %{p}: the validated name, its PTR lookup counted */
    sw_run(w, "192.0.2.2", "a@p.example", &g);
    assert_int_equal(g.o.result, PC_SPF_PASS);
    assert_string_equal(g.o.matched, "exists:%{p}.ok.example");
    assert_int_equal(g.o.lookups, 2);
    /* a PTR failure is no match for ptr (§5.5), and %{p} becomes "unknown" */
    sw_run(w, "192.0.2.3", "a@ptr.example", &g);
    assert_int_equal(g.o.result, PC_SPF_FAIL);
    sw_run(w, "192.0.2.3", "a@p.example", &g);
    assert_int_equal(g.o.result, PC_SPF_FAIL);
}

static const sw_zrec_t fail_zone[] = {
    {"sf.example", PC_QT_TXT, Z_DATA, 300, {"v=spf1 a:broken.example -all", NULL}},
    {"broken.example", PC_QT_A, Z_SERVFAIL, 300, {NULL}},
    {"bogus.example", PC_QT_TXT, Z_DATA, 300, {"v=spf1 include:signed.example -all", NULL}},
    {"signed.example", PC_QT_TXT, Z_BOGUS, 300, {"v=spf1 +all", NULL}},
    {"slow.example", PC_QT_TXT, Z_SILENT, 300, {NULL}},
    {"fast.example", PC_QT_TXT, Z_DATA, 300, {"v=spf1 -all", NULL}},
};

static void test_dns_failures_are_temperror(void **state)
{
    sw_world_t *w = *state;
    sw_got_t g;

    SW_ZONE(w, fail_zone);
    sw_run(w, "192.0.2.1", "a@sf.example", &g);
    assert_int_equal(g.o.result, PC_SPF_TEMPERROR);
    assert_non_null(strstr(g.o.why, "a:broken.example"));
    assert_non_null(strstr(g.o.why, "SERVFAIL from the fake"));
    assert_string_equal(g.o.matched, "");
    /* a bogus answer is never used, and never a verdict */
    sw_run(w, "192.0.2.1", "a@bogus.example", &g);
    assert_int_equal(g.o.result, PC_SPF_TEMPERROR);
    assert_int_equal(g.o.dnssec, PC_DNSSEC_BOGUS);
    assert_non_null(strstr(g.o.why, "include:signed.example"));
}

static void test_time_limit_and_concurrency(void **state)
{
    sw_world_t *w = *state;
    sw_got_t slow, fast, cancelled;
    pc_spf_eval_t *e_slow = NULL, *e_cancel = NULL, *e_fast = NULL;

    SW_ZONE(w, fail_zone);
    w->env.time_limit_ms = 30;
    memset(&slow, 0, sizeof(slow));
    memset(&fast, 0, sizeof(fast));
    memset(&cancelled, 0, sizeof(cancelled));
    assert_int_equal(sw_check(w, "192.0.2.1", "a@slow.example", NULL, &slow, &e_slow), 0);
    assert_int_equal(sw_check(w, "192.0.2.1", "b@slow.example", NULL, &cancelled, &e_cancel), 0);
    assert_int_equal(sw_check(w, "192.0.2.1", "a@fast.example", NULL, &fast, &e_fast), 0);
    assert_non_null(e_slow);
    assert_non_null(e_fast);
    /* the two slow checks share one upstream query */
    assert_int_equal(w->fake->n, 2);
    sw_serve(w);
    /* the dead chain delays only its own sender */
    assert_int_equal(fast.calls, 1);
    assert_int_equal(fast.o.result, PC_SPF_FAIL);
    assert_int_equal(slow.calls, 0);
    pc_spf_check_cancel(e_cancel);
    uv_run(&w->loop, UV_RUN_DEFAULT); /* the 30 ms timer fires */
    assert_int_equal(slow.calls, 1);
    assert_int_equal(slow.o.result, PC_SPF_TEMPERROR);
    assert_non_null(strstr(slow.o.why, "time limit of 30 ms"));
    assert_non_null(strstr(slow.o.why, "slow.example"));
    assert_int_equal(cancelled.calls, 0);
    /* the upstream query goes on; its late answer reaches nobody */
    assert_int_equal(fake_pending(w->fake), 1);
}

static const sw_zrec_t mx_zone[] = {
    {"mxp.example", PC_QT_TXT, Z_DATA, 300, {"v=spf1 mx/24 -all", NULL}},
    {"mxp.example", PC_QT_MX, Z_DATA, 300,
     {"10 a.mxp.example", "20 b.mxp.example", "30 c.mxp.example", "30 c.mxp.example", NULL}},
    {"a.mxp.example", PC_QT_A, Z_DATA, 300, {"198.51.100.1", NULL}},
    {"b.mxp.example", PC_QT_A, Z_SERVFAIL, 300, {NULL}},
    {"c.mxp.example", PC_QT_A, Z_DATA, 300, {"192.0.2.77", NULL}},
};

static void test_mx_exchanges_in_parallel(void **state)
{
    sw_world_t *w = *state;
    sw_got_t g;
    unsigned before;

    SW_ZONE(w, mx_zone);
    memset(&g, 0, sizeof(g));
    assert_int_equal(sw_check(w, "192.0.2.1", "a@mxp.example", NULL, &g, NULL), 0);
    assert_int_equal(sw_answer(w, 0), 1); /* the record */
    assert_int_equal(sw_answer(w, 1), 1); /* the MX RRset */
    before = w->fake->n;
    assert_int_equal(before, 5);       /* 3 distinct exchanges asked at once */
    sw_serve(w);
    /* a match wins over a failed exchange lookup */
    assert_int_equal(g.o.result, PC_SPF_PASS);
    assert_string_equal(g.o.matched, "mx/24");
    /* with no match, the failed exchange is a temperror */
    sw_run(w, "203.0.113.1", "a@mxp.example", &g);
    assert_int_equal(g.o.result, PC_SPF_TEMPERROR);
}

static const sw_zrec_t exp_zone[] = {
    {"e.example", PC_QT_TXT, Z_DATA, 300, {"v=spf1 ip4:192.0.2.1 -all exp=why.e.example", NULL}},
    {"why.e.example", PC_QT_TXT, Z_DATA, 300,
     {"%{i} is not one of %{d}'s senders, says %{r}", NULL}},
    {"two.example", PC_QT_TXT, Z_DATA, 300, {"v=spf1 -all exp=tw.example", NULL}},
    {"tw.example", PC_QT_TXT, Z_DATA, 300, {"one", "two", NULL}},
    {"nx.example", PC_QT_TXT, Z_DATA, 300,
     {"v=spf1 a:n1.nx.example a:n2.nx.example -all exp=gone.example", NULL}},
    {"sf.example", PC_QT_TXT, Z_DATA, 300, {"v=spf1 -all exp=sfw.example", NULL}},
    {"sfw.example", PC_QT_TXT, Z_SERVFAIL, 300, {NULL}},
    {"bg.example", PC_QT_TXT, Z_DATA, 300, {"v=spf1 -all exp=bgw.example", NULL}},
    {"bgw.example", PC_QT_TXT, Z_BOGUS, 300, {"forged", NULL}},
    {"syn.example", PC_QT_TXT, Z_DATA, 300, {"v=spf1 -all exp=synw.example", NULL}},
    {"synw.example", PC_QT_TXT, Z_DATA, 300, {"the %{x}-files", NULL}},
    {"soft.example", PC_QT_TXT, Z_DATA, 300, {"v=spf1 ~all exp=why.e.example", NULL}},
    {"rd.example", PC_QT_TXT, Z_DATA, 300, {"v=spf1 exp=why.e.example redirect=tg.example", NULL}},
    {"tg.example", PC_QT_TXT, Z_DATA, 300, {"v=spf1 -all exp=%{d}.w.example", NULL}},
    {"tg.example.w.example", PC_QT_TXT, Z_DATA, 300, {"target %{d}, sender %{o}", NULL}},
    {"pp.example", PC_QT_TXT, Z_DATA, 300, {"v=spf1 -all exp=ppw.example", NULL}},
    {"ppw.example", PC_QT_TXT, Z_DATA, 300, {"connect from %{p}", NULL}},
    {"5.2.0.192.in-addr.arpa", PC_QT_PTR, Z_DATA, 300, {"host.pp.example", NULL}},
    {"host.pp.example", PC_QT_A, Z_DATA, 300, {"192.0.2.5", NULL}},
    {"slow.example", PC_QT_TXT, Z_DATA, 300, {"v=spf1 -all exp=sloww.example", NULL}},
    {"fresh.example", PC_QT_TXT, Z_DATA, 300, {"v=spf1 -all exp=why.fresh.example", NULL}},
    {"why.fresh.example", PC_QT_TXT, Z_DATA, 300, {"never asked", NULL}},
    {"sloww.example", PC_QT_TXT, Z_SILENT, 300, {NULL}},
};

static void test_explanations(void **state)
{
    sw_world_t *w = *state;
    sw_got_t g;
    unsigned before;

    SW_ZONE(w, exp_zone);
    w->env.explain = 1;
    w->env.receiver = "mx.test.example";
    sw_run(w, "192.0.2.9", "u@e.example", &g);
    assert_int_equal(g.o.result, PC_SPF_FAIL);
    assert_string_equal(g.o.explanation, "192.0.2.9 is not one of e.example's senders, says "
                        "mx.test.example");
    assert_int_equal(g.o.lookups, 0); /* the exp= lookup is no DNS-querying term */
    /* a pass is never explained, and looks nothing up for it */
    before = w->fake->n;
    sw_run(w, "192.0.2.1", "u@e.example", &g);
    assert_int_equal(g.o.result, PC_SPF_PASS);
    assert_string_equal(g.o.explanation, "");
    assert_int_equal(w->fake->n, before);
    /* neither is a softfail (§6.2: only fail) */
    sw_run(w, "192.0.2.9", "u@soft.example", &g);
    assert_int_equal(g.o.result, PC_SPF_SOFTFAIL);
    assert_string_equal(g.o.explanation, "");
    /* dropped quietly: two records, NXDOMAIN (no void counted), SERVFAIL,
     * a bogus answer, a syntax error; the fail stands each time */
    sw_run(w, "192.0.2.9", "u@two.example", &g);
    assert_int_equal(g.o.result, PC_SPF_FAIL);
    assert_string_equal(g.o.explanation, "");
    sw_run(w, "192.0.2.9", "u@nx.example", &g);
    assert_int_equal(g.o.result, PC_SPF_FAIL);
    assert_int_equal(g.o.voids, 2);
    assert_string_equal(g.o.explanation, "");
    sw_run(w, "192.0.2.9", "u@sf.example", &g);
    assert_int_equal(g.o.result, PC_SPF_FAIL);
    assert_string_equal(g.o.why, "");
    assert_string_equal(g.o.explanation, "");
    sw_run(w, "192.0.2.9", "u@bg.example", &g);
    assert_int_equal(g.o.result, PC_SPF_FAIL);
    assert_string_equal(g.o.explanation, "");
    assert_int_equal(g.o.dnssec, PC_DNSSEC_BOGUS); /* seen, though not relied on */
    sw_run(w, "192.0.2.9", "u@syn.example", &g);
    assert_int_equal(g.o.result, PC_SPF_FAIL);
    assert_string_equal(g.o.explanation, "");
    /* after a redirect the target's exp= applies, with its <domain> (§6.2) */
    sw_run(w, "192.0.2.9", "u@rd.example", &g);
    assert_int_equal(g.o.result, PC_SPF_FAIL);
    assert_string_equal(g.o.explanation, "target tg.example, sender rd.example");
    /* %{p} in the text: resolved for the explanation, counted nowhere */
    sw_run(w, "192.0.2.5", "u@pp.example", &g);
    assert_string_equal(g.o.explanation, "connect from host.pp.example");
    assert_int_equal(g.o.lookups, 0);
    sw_run(w, "192.0.2.6", "u@pp.example", &g);
    assert_string_equal(g.o.explanation, "connect from unknown");
    /* no receiver given: %{r} is "unknown" */
    w->env.receiver = NULL;
    sw_run(w, "192.0.2.9", "u@e.example", &g);
    assert_string_equal(g.o.explanation, "192.0.2.9 is not one of e.example's senders, says "
                        "unknown");
    /* without env.explain nothing is looked up for it */
    w->env.explain = 0;
    before = w->fake->n;
    sw_run(w, "192.0.2.9", "u@fresh.example", &g);
    assert_int_equal(w->fake->n, before + 1); /* the SPF record only */
    assert_string_equal(g.o.exp_spec, "why.fresh.example");
    assert_string_equal(g.o.explanation, "");
}

static void test_explanation_time_limit(void **state)
{
    sw_world_t *w = *state;
    sw_got_t g;

    SW_ZONE(w, exp_zone);
    w->env.explain = 1;
    w->env.time_limit_ms = 30;
    memset(&g, 0, sizeof(g));
    assert_int_equal(sw_check(w, "192.0.2.9", "u@slow.example", NULL, &g, NULL), 0);
    sw_serve(w);
    assert_int_equal(g.calls, 0); /* waiting for the silent exp= TXT */
    uv_run(&w->loop, UV_RUN_DEFAULT);
    /* the time limit takes the explanation, never the result */
    assert_int_equal(g.calls, 1);
    assert_int_equal(g.o.result, PC_SPF_FAIL);
    assert_string_equal(g.o.explanation, "");
    assert_string_equal(g.o.why, "");
}

static const sw_zrec_t bogus_ptr_zone[] = {
    {"bp.example", PC_QT_TXT, Z_DATA, 300, {"v=spf1 ptr ip4:192.0.2.0/24 -all", NULL}},
    {"bpa.example", PC_QT_TXT, Z_DATA, 300, {"v=spf1 ptr:bpa.example ip4:192.0.2.0/24 -all", NULL}},
    {"bpp.example", PC_QT_TXT, Z_DATA, 300, {"v=spf1 exists:%{p}.ok.bpp.example -all", NULL}},
    {"7.2.0.192.in-addr.arpa", PC_QT_PTR, Z_BOGUS, 300, {"mail.bp.example", NULL}},
    {"8.2.0.192.in-addr.arpa", PC_QT_PTR, Z_DATA, 300, {"h.bpa.example", NULL}},
    {"h.bpa.example", PC_QT_A, Z_BOGUS, 300, {"192.0.2.8", NULL}},
    {"unknown.ok.bpp.example", PC_QT_A, Z_DATA, 300, {"127.0.0.2", NULL}},
    {"sec.example", PC_QT_TXT, Z_DATA, 300, {"v=spf1 ip4:192.0.2.0/24 -all", NULL}},
};

static void test_bogus_seen_when_skipped(void **state)
{
    sw_world_t *w = *state;
    sw_got_t g;

    SW_ZONE(w, bogus_ptr_zone);
    sw_run(w, "192.0.2.7", "u@sec.example", &g);
    assert_int_equal(g.o.dnssec, PC_DNSSEC_SECURE); /* all secure */
    /* a bogus PTR answer is no match (§5.5): the next term decides, and
     * the reply still says a bogus answer was seen */
    sw_run(w, "192.0.2.7", "u@bp.example", &g);
    assert_int_equal(g.o.result, PC_SPF_PASS);
    assert_string_equal(g.o.matched, "ip4:192.0.2.0/24");
    assert_int_equal(g.o.dnssec, PC_DNSSEC_BOGUS);
    /* a bogus address of a PTR name: not validated, no match, bogus seen */
    sw_run(w, "192.0.2.8", "u@bpa.example", &g);
    assert_int_equal(g.o.result, PC_SPF_PASS);
    assert_string_equal(g.o.matched, "ip4:192.0.2.0/24");
    assert_int_equal(g.o.dnssec, PC_DNSSEC_BOGUS);
    /* %{p} with a bogus PTR answer: "unknown", bogus seen */
    sw_run(w, "192.0.2.7", "u@bpp.example", &g);
    assert_int_equal(g.o.result, PC_SPF_PASS);
    assert_int_equal(g.o.dnssec, PC_DNSSEC_BOGUS);
    /* warm: the same from the cache */
    sw_run(w, "192.0.2.7", "u@bp.example", &g);
    assert_int_equal(g.o.cache, PC_CACHE_HIT);
    assert_int_equal(g.o.dnssec, PC_DNSSEC_BOGUS);
}

static void test_headers(void **state)
{
    sw_world_t *w = *state;
    sw_got_t g;

    SW_ZONE(w, basic);
    w->env.headers = 1;
    w->env.receiver = "mx.test.example";
    sw_run(w, "192.0.2.1", "user@example.org", &g);
    assert_string_equal(g.o.auth_results, "spf=pass (mx.test.example: domain of "
                        "user@example.org designates 192.0.2.1 as permitted sender) "
                        "smtp.mailfrom=example.org");
    assert_string_equal(g.o.received_spf, "pass (mx.test.example: domain of user@example.org "
                        "designates 192.0.2.1 as permitted sender) receiver=mx.test.example; "
                        "client-ip=192.0.2.1; envelope-from=\"user@example.org\"; "
                        "helo=mx.example.org; identity=mailfrom; mechanism=\"ip4:192.0.2.0/24\"");
    SW_ZONE(w, helo_zone);
    memset(&g, 0, sizeof(g));
    assert_int_equal(sw_check(w, "192.0.2.26", "", "mx.example.org", &g, NULL), 0);
    sw_serve(w);
    assert_string_equal(g.o.auth_results, "spf=fail (mx.test.example: domain of "
                        "postmaster@mx.example.org does not designate 192.0.2.26 as permitted "
                        "sender) smtp.mailfrom=postmaster@mx.example.org");
    memset(&g, 0, sizeof(g));
    assert_int_equal(sw_check(w, "2001:db8::1", NULL, "mx.example.org", &g, NULL), 0);
    sw_serve(w);
    assert_int_equal(g.o.result, PC_SPF_FAIL);
    assert_non_null(strstr(g.o.received_spf, "client-ip=\"2001:db8::1\"; helo=mx.example.org; "
                           "identity=helo; mechanism=-all"));
    assert_non_null(strstr(g.o.auth_results, " smtp.helo=mx.example.org"));
    /* without env.headers the texts stay empty */
    w->env.headers = 0;
    sw_run(w, "192.0.2.25", "a@mx.example.org", &g);
    assert_string_equal(g.o.auth_results, "");
    assert_string_equal(g.o.received_spf, "");
}

static void test_mech_helpers(void **state)
{
    uint8_t a[4] = {192, 0, 2, 1}, b[4] = {192, 0, 2, 200};
    uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8};
    pc_name_t n, d;
    char text[PC_NAME_TEXT_MAX];
    (void)state;

    assert_true(pc_spf_cidr_match(a, b, 24));
    assert_false(pc_spf_cidr_match(a, b, 25));
    assert_true(pc_spf_cidr_match(a, b, 0));
    v6[15] = 0x10;
    assert_int_equal(pc_spf_reverse_name(v6, 6, &n), 0);
    pc_name_to_text(&n, text, sizeof(text));
    assert_string_equal(text,
                        "0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
    assert_int_equal(pc_spf_reverse_name(a, 4, &n), 0);
    pc_name_to_text(&n, text, sizeof(text));
    assert_string_equal(text, "1.2.0.192.in-addr.arpa");
    assert_int_equal(pc_spf_reverse_name(a, 5, &n), PC_EINVAL);
    assert_int_equal(pc_spf_target_name("a..b", 4, &n), PC_ENAME);
    assert_int_equal(pc_spf_target_name(".", 1, &n), PC_ENAME);
    assert_int_equal(pc_spf_target_name("", 0, &n), PC_ENAME);
    assert_int_equal(pc_spf_target_name("JUMPIN%27%20JUPITER", 19, &n), 0);
    {
        pc_name_t names[3];
        assert_int_equal(pc_name_from_text(&names[0], "a.other", 7, 0), 0);
        assert_int_equal(pc_name_from_text(&names[1], "mx.e7.example", 13, 0), 0);
        assert_int_equal(pc_name_from_text(&names[2], "e7.example", 10, 0), 0);
        assert_int_equal(pc_name_from_text(&d, "e7.example", 10, 0), 0);
        assert_int_equal(pc_spf_pick_ptr(names, 3, &d), 2);
        assert_int_equal(pc_spf_pick_ptr(names, 2, &d), 1);
        assert_int_equal(pc_spf_pick_ptr(names, 1, &d), 0);
        assert_int_equal(pc_spf_pick_ptr(names, 0, &d), -1);
    }
    assert_string_equal(pc_spf_result_name(PC_SPF_SOFTFAIL), "softfail");
    assert_string_equal(pc_spf_result_name((pc_spf_result_t)99), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_results_and_terms, setup, sw_teardown),
        cmocka_unit_test_setup_teardown(test_warm_cache_is_synchronous, setup, sw_teardown),
        cmocka_unit_test_setup_teardown(test_helo_and_null_sender, setup, sw_teardown),
        cmocka_unit_test_setup_teardown(test_lookup_limits, setup, sw_teardown),
        cmocka_unit_test_setup_teardown(test_ptr_and_p_macro, setup, sw_teardown),
        cmocka_unit_test_setup_teardown(test_dns_failures_are_temperror, setup, sw_teardown),
        cmocka_unit_test_setup_teardown(test_time_limit_and_concurrency, setup, sw_teardown),
        cmocka_unit_test_setup_teardown(test_mx_exchanges_in_parallel, setup, sw_teardown),
        cmocka_unit_test_setup_teardown(test_explanations, setup, sw_teardown),
        cmocka_unit_test_setup_teardown(test_explanation_time_limit, setup, sw_teardown),
        cmocka_unit_test_setup_teardown(test_bogus_seen_when_skipped, setup, sw_teardown),
        cmocka_unit_test_setup_teardown(test_headers, setup, sw_teardown),
        cmocka_unit_test(test_mech_helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
