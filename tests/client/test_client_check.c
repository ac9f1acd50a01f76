/*
 * test_client_check.c - the SPF check and DMARC evaluation calls of
 * libpolcache against the real polcached and the signed DNS world:
 * pc_client_spf_check and pc_client_eval (every field of the results,
 * the TTL that says how long an answer may be reused included),
 * their non-blocking forms in a poll() loop (with a cancel and a mix of
 * the three callback types), and every argument error.
 */
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cutil.h"

static pc_client_t *C;

static int setup(void **state)
{
    (void)state;
    return pc_client_create(&C, cu_daemon()->sock);
}

static int teardown(void **state)
{
    (void)state;
    pc_client_destroy(C);
    cu_daemon_stop();
    return 0;
}

static void test_spf_check(void **state)
{
    pc_spf_query_t q = {"192.0.2.1", "user@secure.pcw", "mx.secure.pcw", PC_QUERY_NOCACHE};
    pc_spf_check_t *r = NULL;
    (void)state;

    assert_int_equal(pc_client_spf_check(C, &q, 10000, &r), 0);
    assert_int_equal(r->result, PC_SPF_PASS);
    assert_int_equal(r->scope, PC_SPF_CHECK_MAILFROM);
    assert_string_equal(r->domain, "secure.pcw");
    assert_string_equal(r->matched, "ip4:192.0.2.0/24");
    assert_string_equal(r->term_domain, "secure.pcw");
    assert_int_equal(r->lookups, 0);
    assert_int_equal(r->void_lookups, 0);
    assert_string_equal(r->why, "");
    assert_int_equal(r->dnssec, PC_DNSSEC_SECURE);
    assert_int_equal(r->cache, PC_CACHE_MISS);
    assert_string_equal(r->explanation, "");
    assert_int_equal(strncmp(r->auth_results, "spf=pass (", 10), 0);
    assert_int_equal(strncmp(r->received_spf, "pass (", 6), 0);
    /* one lookup, the SPF record of secure.pcw (TTL 300) */
    assert_true(r->ttl > 0);
    assert_true(r->ttl <= 300);
    pc_spf_check_free(r);

    /* the HELO identity; IPv4-mapped IPv6 is IPv4 */
    q = (pc_spf_query_t){"::ffff:192.0.2.9", NULL, "secure.pcw", 0};
    assert_int_equal(pc_client_spf_check(C, &q, 10000, &r), 0);
    assert_int_equal(r->result, PC_SPF_PASS);
    assert_int_equal(r->scope, PC_SPF_CHECK_HELO);
    assert_int_equal(r->cache, PC_CACHE_HIT);
    pc_spf_check_free(r);

    /* no SPF record: none, with the reason */
    q = (pc_spf_query_t){"2001:db8::1", "a@nodata.secure.pcw", NULL, 0};
    assert_int_equal(pc_client_spf_check(C, &q, 10000, &r), 0);
    assert_int_equal(r->result, PC_SPF_NONE);
    assert_string_equal(r->matched, "");
    assert_true(r->why[0] != '\0');
    pc_spf_check_free(r);

    /* a silent upstream: temperror, not an error */
    q = (pc_spf_query_t){"192.0.2.1", "a@silent.pcw", NULL, 0};
    assert_int_equal(pc_client_spf_check(C, &q, 10000, &r), 0);
    assert_int_equal(r->result, PC_SPF_TEMPERROR);
    assert_int_equal(r->ttl, 0); /* never reused */
    pc_spf_check_free(r);
    /* no lookup at all: the daemon's ttl-max (86400 by default) */
    q = (pc_spf_query_t){"192.0.2.1", "a@localhost", NULL, 0};
    assert_int_equal(pc_client_spf_check(C, &q, 10000, &r), 0);
    assert_int_equal(r->result, PC_SPF_NONE);
    assert_int_equal(r->ttl, 86400);
    pc_spf_check_free(r);
}

static void test_eval(void **state)
{
    pc_eval_dkim_t dkim[2] = {{"secure.pcw", "sel", PC_DKIM_PASS},
                              {"other.example", NULL, PC_DKIM_FAIL}};
    pc_eval_query_t q;
    pc_eval_result_t *r = NULL;
    (void)state;

    /* the filter's SPF result fails; DKIM passes and aligns */
    memset(&q, 0, sizeof(q));
    q.from = "secure.pcw";
    q.spf_result = PC_SPF_FAIL;
    q.spf_domain = "other.example";
    q.dkim = dkim;
    q.ndkim = 2;
    assert_int_equal(pc_client_eval(C, &q, 10000, &r), 0);
    assert_int_equal(r->result, PC_DMARC_R_PASS);
    assert_int_equal(r->dnssec, PC_DNSSEC_SECURE);
    assert_string_equal(r->policy_tag, "p");
    assert_string_equal(r->policy, "reject");
    assert_string_equal(r->disposition, "none");
    assert_string_equal(r->recommended, "none");
    assert_int_equal(r->testing, 0);
    assert_int_equal(r->pct, 100);
    assert_int_equal(r->method, PC_METHOD_TREEWALK);
    assert_string_equal(r->org_domain, "secure.pcw");
    assert_string_equal(r->policy_domain, "secure.pcw");
    assert_string_equal(r->rua, "mailto:d@secure.pcw");
    assert_string_equal(r->ruf, "");
    assert_string_equal(r->auth_results,
                        "dmarc=pass (p=reject dis=none) header.from=secure.pcw policy.dmarc=none");
    assert_int_equal(r->spf_result, PC_SPF_UNSET);
    assert_int_equal(r->nidents, 3);
    assert_int_equal(r->idents[0].kind, PC_EVAL_SPF);
    assert_string_equal(r->idents[0].domain, "other.example");
    assert_int_equal(r->idents[0].result, PC_SPF_FAIL);
    assert_int_equal(r->idents[0].aligned, PC_ALIGNED_NO);
    assert_int_equal(r->idents[1].kind, PC_EVAL_DKIM);
    assert_string_equal(r->idents[1].selector, "sel");
    assert_int_equal(r->idents[1].mode, 'r');
    assert_int_equal(r->idents[1].aligned, PC_ALIGNED_YES);
    assert_string_equal(r->idents[2].selector, "");
    assert_int_equal(r->idents[2].aligned, PC_ALIGNED_NO);
    /* the walk's answers (300 s records, 60 s negative answers) */
    assert_true(r->ttl > 0);
    assert_true(r->ttl <= 300);
    pc_eval_result_free(r);

    /* polcached runs SPF; RFC 7489 pct with a fixed draw is ignored in
     * RFC 9989 mode; a subdomain that exists gets sp */
    memset(&q, 0, sizeof(q));
    q.from = "mail.secure.pcw";
    q.ip = "203.0.113.1";
    q.mailfrom = "bounce@secure.pcw";
    q.pct_roll = 100;
    assert_int_equal(pc_client_eval(C, &q, 10000, &r), 0);
    assert_int_equal(r->result, PC_DMARC_R_FAIL);
    assert_string_equal(r->policy_tag, "sp");
    assert_string_equal(r->disposition, "reject");
    assert_int_equal(r->spf_result, PC_SPF_FAIL);
    assert_string_equal(r->spf_domain, "secure.pcw");
    assert_true(r->ttl > 0); /* pct_roll given, and RFC 9989 mode */
    assert_true(r->ttl <= 300);
    pc_eval_result_free(r);
}

static void test_arguments(void **state)
{
    pc_spf_query_t s = {"192.0.2.1", "a@secure.pcw", NULL, 0};
    pc_eval_dkim_t k = {NULL, NULL, PC_DKIM_PASS};
    pc_eval_query_t e;
    pc_spf_check_t *sr = (pc_spf_check_t *)&s;
    pc_eval_result_t *er = (pc_eval_result_t *)&e;
    char big[1100];
    (void)state;

    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(pc_client_spf_check(NULL, &s, 0, &sr), PC_EINVAL);
    assert_null(sr);
    assert_int_equal(pc_client_spf_check(C, NULL, 0, &sr), PC_EINVAL);
    assert_int_equal(pc_client_spf_check(C, &s, 0, NULL), PC_EINVAL);
    s.ip = "192.0.2.256";
    assert_int_equal(pc_client_spf_check(C, &s, 0, &sr), PC_EINVAL);
    s.ip = NULL;
    assert_int_equal(pc_client_spf_check(C, &s, 0, &sr), PC_EINVAL);
    s.ip = "192.0.2.1";
    s.mailfrom = NULL;
    assert_int_equal(pc_client_spf_check(C, &s, 0, &sr), PC_EINVAL); /* neither */
    s.mailfrom = "";
    assert_int_equal(pc_client_spf_check(C, &s, 0, &sr), PC_EINVAL); /* <> without HELO */
    s.mailfrom = big;
    assert_int_equal(pc_client_spf_check(C, &s, 0, &sr), PC_ETOOBIG);
    s.mailfrom = "a@secure.pcw";
    s.flags = PC_QUERY_DISCOVER;
    assert_int_equal(pc_client_spf_check(C, &s, 0, &sr), PC_EINVAL);
    s.flags = 0;
    s.mailfrom = "bad\001text@secure.pcw"; /* sent with '?' for the control */
    assert_int_equal(pc_client_spf_check(C, &s, 5000, &sr), 0);
    assert_string_equal(sr->domain, "secure.pcw");
    pc_spf_check_free(sr);

    memset(&e, 0, sizeof(e));
    assert_int_equal(pc_client_eval(C, &e, 0, &er), PC_EINVAL); /* no from */
    assert_null(er);
    e.from = "secure.pcw";
    assert_int_equal(pc_client_eval(C, &e, 0, &er), PC_EINVAL); /* no SPF part */
    e.spf_result = PC_SPF_PASS;
    assert_int_equal(pc_client_eval(C, &e, 0, &er), PC_EINVAL); /* no SPF domain */
    e.spf_domain = "secure.pcw";
    e.ip = "192.0.2.1";
    assert_int_equal(pc_client_eval(C, &e, 0, &er), PC_EINVAL); /* both */
    e.ip = NULL;
    e.spf_scope = 3;
    assert_int_equal(pc_client_eval(C, &e, 0, &er), PC_EINVAL);
    e.spf_scope = PC_SPF_CHECK_HELO;
    e.spf_result = (pc_spf_result_t)9;
    assert_int_equal(pc_client_eval(C, &e, 0, &er), PC_EINVAL);
    e.spf_result = PC_SPF_PASS;
    e.ndkim = 1;
    assert_int_equal(pc_client_eval(C, &e, 0, &er), PC_EINVAL); /* dkim NULL */
    e.dkim = &k;
    assert_int_equal(pc_client_eval(C, &e, 0, &er), PC_EINVAL); /* no d= */
    k.d = "secure.pcw";
    k.result = (pc_dkim_result_t)0;
    assert_int_equal(pc_client_eval(C, &e, 0, &er), PC_EINVAL);
    k.result = PC_DKIM_PASS;
    e.ndkim = PC_EVAL_DKIM_MAX + 1;
    assert_int_equal(pc_client_eval(C, &e, 0, &er), PC_EINVAL);
    e.ndkim = 1;
    e.pct_roll = 101;
    assert_int_equal(pc_client_eval(C, &e, 0, &er), PC_EINVAL);
    e.pct_roll = 0;
    e.from = big;
    assert_int_equal(pc_client_eval(C, &e, 0, &er), PC_ETOOBIG);
    e.from = "a..b";
    assert_int_equal(pc_client_eval(C, &e, 5000, &er), PC_ENAME);
    e.from = "secure.pcw";
    assert_int_equal(pc_client_eval(C, &e, 5000, &er), 0); /* now all is well */
    assert_int_equal(er->result, PC_DMARC_R_PASS);
    pc_eval_result_free(er);
    pc_spf_check_free(NULL);
    pc_eval_result_free(NULL);
}

/* ---- non-blocking ---- */

typedef struct loop {
    int spf_calls, eval_calls, rec_calls, cancel_calls;
    int bad;
} loop_t;

static void on_spf(void *arg, int err, pc_spf_check_t *r)
{
    loop_t *l = arg;
    l->spf_calls++;
    if (err != 0 || r == NULL || r->result != PC_SPF_PASS)
        l->bad++;
    pc_spf_check_free(r);
}

static void on_eval(void *arg, int err, pc_eval_result_t *r)
{
    loop_t *l = arg;
    l->eval_calls++;
    if (err != 0 || r == NULL || r->result != PC_DMARC_R_PASS)
        l->bad++;
    pc_eval_result_free(r);
}

static void on_cancelled(void *arg, int err, pc_eval_result_t *r)
{
    loop_t *l = arg;
    l->cancel_calls++;
    if (err != PC_ECANCELED || r != NULL)
        l->bad++;
}

static void on_record(void *arg, int err, pc_result_t *r)
{
    loop_t *l = arg;
    l->rec_calls++;
    if (err != 0 || r->outcome != PC_OUTCOME_FOUND)
        l->bad++;
    pc_result_free(r);
}

static void test_async(void **state)
{
    pc_spf_query_t s = {"192.0.2.1", "a@secure.pcw", NULL, 0};
    pc_eval_dkim_t k = {"secure.pcw", "sel", PC_DKIM_PASS};
    pc_eval_query_t e;
    pc_query_t q = {PC_RT_DKIM, "secure.pcw", "ed", 0};
    uint64_t t0 = cu_now_ms();
    uint32_t id = 0;
    loop_t l = {0};
    (void)state;

    memset(&e, 0, sizeof(e));
    e.from = "secure.pcw";
    e.spf_result = PC_SPF_NONE;
    e.spf_domain = "secure.pcw";
    e.dkim = &k;
    e.ndkim = 1;
    for (int i = 0; i < 5; i++) {
        assert_int_equal(pc_client_spf_check_async(C, &s, 5000, on_spf, &l, NULL), 0);
        assert_int_equal(pc_client_eval_async(C, &e, 5000, on_eval, &l, NULL), 0);
        assert_int_equal(pc_client_query_async(C, &q, 5000, on_record, &l, NULL), 0);
    }
    e.from = "silent.pcw"; /* slow: cancelled before it answers */
    assert_int_equal(pc_client_eval_async(C, &e, 5000, on_cancelled, &l, &id), 0);
    assert_int_equal(pc_client_cancel(C, id), 0);
    assert_int_equal(pc_client_spf_check_async(C, &s, 0, NULL, &l, NULL), PC_EINVAL);
    assert_int_equal(pc_client_eval_async(C, NULL, 0, on_eval, &l, NULL), PC_EINVAL);
    while (pc_client_pending(C) > 0) {
        struct pollfd p = {pc_client_fd(C), POLLIN, 0};
        assert_true(cu_now_ms() - t0 < 20000);
        (void)poll(&p, 1, 1000);
        (void)pc_client_process(C);
    }
    assert_int_equal(l.spf_calls, 5);
    assert_int_equal(l.eval_calls, 5);
    assert_int_equal(l.rec_calls, 5);
    assert_int_equal(l.cancel_calls, 1);
    assert_int_equal(l.bad, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spf_check),
        cmocka_unit_test(test_eval),
        cmocka_unit_test(test_arguments),
        cmocka_unit_test(test_async),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
