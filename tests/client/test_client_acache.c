/*
 * test_client_acache.c - libpolcache's answer cache against the real
 * polcached and the signed DNS world: a repeated SPF check, evaluation or
 * record request is answered from the context's memory (the daemon's
 * request counters do not move), with the same result; a flush, a reload
 * and a restart of the daemon (its epoch page) make the next question go
 * to the daemon again; temperror answers and NOCACHE questions are never
 * kept; the least recently used answer goes when the cache is full; the
 * non-blocking calls deliver a remembered answer exactly once; threads
 * sharing one context share its answers (also run under ThreadSanitizer
 * by client.tsan); without an epoch page nothing is kept; off by default.
 */
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cutil.h"

static pc_client_t *C;

static int setup(void **state)
{
    (void)state;
    if (pc_client_create(&C, cu_daemon()->sock) != 0)
        return -1;
    return pc_client_set_answer_cache(C, 64, 0);
}

static int teardown(void **state)
{
    (void)state;
    pc_client_destroy(C);
    cu_daemon_stop();
    return 0;
}

/* The daemon's count of requests of one type ("requests.spf-check" ...). */
static uint64_t daemon_requests(const char *name)
{
    pc_client_t *c = NULL;
    pc_stats_t *st = NULL;
    uint64_t v = 0;

    assert_int_equal(pc_client_create(&c, cu_daemon()->sock), 0);
    assert_int_equal(pc_client_stats(c, 10000, &st), 0);
    assert_int_equal(pc_stats_get(st, name, &v), 0);
    pc_stats_free(st);
    pc_client_destroy(c);
    return v;
}

static pc_answer_cache_stats_t ac_stats(void)
{
    pc_answer_cache_stats_t s;
    assert_int_equal(pc_client_answer_cache_stats(C, &s), 0);
    return s;
}

static pc_spf_check_t *spf(const pc_spf_query_t *q)
{
    pc_spf_check_t *r = NULL;
    assert_int_equal(pc_client_spf_check(C, q, 10000, &r), 0);
    return r;
}

static const pc_spf_query_t PASS_Q = {"192.0.2.1", "user@secure.pcw", "mx.secure.pcw", 0};

static void test_spf_repeat(void **state)
{
    pc_spf_check_t *a, *b;
    pc_answer_cache_stats_t s0, s1;
    uint64_t n0;
    (void)state;

    assert_int_equal(ac_stats().active, 1);
    s0 = ac_stats();
    a = spf(&PASS_Q);
    assert_int_equal(a->result, PC_SPF_PASS);
    assert_true(a->ttl > 0);
    s1 = ac_stats();
    assert_int_equal(s1.misses, s0.misses + 1);
    assert_int_equal(s1.stored, s0.stored + 1);

    n0 = daemon_requests("requests.spf-check");
    b = spf(&PASS_Q);
    assert_int_equal(daemon_requests("requests.spf-check"), n0); /* not asked */
    assert_int_equal(ac_stats().hits, s1.hits + 1);
    assert_int_equal(b->result, a->result);
    assert_int_equal(b->scope, a->scope);
    assert_string_equal(b->domain, a->domain);
    assert_string_equal(b->matched, a->matched);
    assert_string_equal(b->auth_results, a->auth_results);
    assert_string_equal(b->received_spf, a->received_spf);
    assert_int_equal(b->dnssec, a->dnssec);
    assert_int_equal(b->cache, PC_CACHE_HIT);
    assert_true(b->ttl <= a->ttl);
    pc_spf_check_free(a);
    pc_spf_check_free(b);

    /* another question (a different HELO) is not the same question */
    {
        pc_spf_query_t q = PASS_Q;
        q.helo = "other.secure.pcw";
        a = spf(&q);
        assert_int_equal(daemon_requests("requests.spf-check"), n0 + 1);
        pc_spf_check_free(a);
    }
}

static void test_not_kept(void **state)
{
    pc_spf_query_t silent = {"192.0.2.1", "a@silent.pcw", NULL, 0};
    pc_spf_query_t nocache = PASS_Q;
    pc_answer_cache_stats_t s0 = ac_stats();
    pc_spf_check_t *r;
    uint64_t n0;
    (void)state;

    /* temperror: the daemon says TTL 0, so it is asked every time */
    r = spf(&silent);
    assert_int_equal(r->result, PC_SPF_TEMPERROR);
    assert_int_equal(r->ttl, 0);
    pc_spf_check_free(r);
    n0 = daemon_requests("requests.spf-check");
    r = spf(&silent);
    assert_int_equal(r->result, PC_SPF_TEMPERROR);
    pc_spf_check_free(r);
    assert_int_equal(daemon_requests("requests.spf-check"), n0 + 1);
    assert_int_equal(ac_stats().stored, s0.stored);

    /* NOCACHE questions skip the answer cache both ways */
    nocache.flags = PC_QUERY_NOCACHE;
    r = spf(&PASS_Q); /* kept (or already there) */
    pc_spf_check_free(r);
    n0 = daemon_requests("requests.spf-check");
    r = spf(&nocache);
    assert_int_equal(r->result, PC_SPF_PASS);
    assert_int_equal(r->cache, PC_CACHE_MISS);
    pc_spf_check_free(r);
    assert_int_equal(daemon_requests("requests.spf-check"), n0 + 1);
}

/* A flush from any client, a reload and a restart change the epoch: the
 * next question goes to the daemon. */
static void test_epoch(void **state)
{
    pc_client_t *admin = NULL;
    pc_spf_check_t *r;
    uint64_t n0;
    uint32_t count;
    (void)state;

    {   /* the page: a regular file, the socket's read bits plus owner write */
        char path[400];
        struct stat ss, es;
        snprintf(path, sizeof(path), "%s.epoch", cu_daemon()->sock);
        assert_int_equal(stat(cu_daemon()->sock, &ss), 0);
        assert_int_equal(lstat(path, &es), 0);
        assert_true(S_ISREG(es.st_mode));
        assert_int_equal(es.st_mode & 07777, (ss.st_mode & 0444) | 0200);
        assert_int_equal(es.st_size, 4096);
    }
    r = spf(&PASS_Q);
    pc_spf_check_free(r);
    n0 = daemon_requests("requests.spf-check");
    r = spf(&PASS_Q);
    pc_spf_check_free(r);
    assert_int_equal(daemon_requests("requests.spf-check"), n0); /* remembered */

    /* a flush of an unrelated name drops everything kept */
    assert_int_equal(pc_client_create(&admin, cu_daemon()->sock), 0);
    assert_int_equal(pc_client_flush(admin, "unrelated.example", 10000, &count), 0);
    pc_client_destroy(admin);
    r = spf(&PASS_Q);
    pc_spf_check_free(r);
    assert_int_equal(daemon_requests("requests.spf-check"), n0 + 1);
    assert_true(ac_stats().dropped >= 1);

    /* a reload (SIGHUP) */
    r = spf(&PASS_Q);
    pc_spf_check_free(r);
    assert_int_equal(daemon_requests("requests.spf-check"), n0 + 1);
    assert_int_equal(kill(cu_daemon()->pid, SIGHUP), 0);
    for (int i = 0; i < 200; i++) { /* until the reload is done */
        pc_client_t *c = NULL;
        pc_stats_t *st = NULL;
        uint64_t reloads = 0;
        assert_int_equal(pc_client_create(&c, cu_daemon()->sock), 0);
        assert_int_equal(pc_client_stats(c, 10000, &st), 0);
        (void)pc_stats_get(st, "daemon.reloads", &reloads);
        pc_stats_free(st);
        pc_client_destroy(c);
        if (reloads > 0)
            break;
        usleep(10000);
    }
    r = spf(&PASS_Q);
    pc_spf_check_free(r);
    assert_int_equal(daemon_requests("requests.spf-check"), n0 + 2);

    /* a restart: the new daemon bumps the same page */
    assert_int_equal(dproc_stop(cu_daemon()), 0);
    dproc_start(cu_daemon());
    n0 = daemon_requests("requests.spf-check"); /* 0 in the new daemon */
    r = spf(&PASS_Q);
    assert_int_equal(r->result, PC_SPF_PASS);
    pc_spf_check_free(r);
    assert_int_equal(daemon_requests("requests.spf-check"), n0 + 1);
}

static void test_eval_and_records(void **state)
{
    pc_eval_query_t q;
    pc_eval_result_t *a = NULL, *b = NULL;
    pc_result_t *ra = NULL, *rb = NULL;
    uint64_t n0;
    (void)state;

    memset(&q, 0, sizeof(q));
    q.from = "secure.pcw";
    q.ip = "192.0.2.1";
    q.mailfrom = "user@secure.pcw";
    q.pct_roll = 1;
    assert_int_equal(pc_client_eval(C, &q, 10000, &a), 0);
    assert_int_equal(a->result, PC_DMARC_R_PASS);
    assert_true(a->ttl > 0);
    n0 = daemon_requests("requests.dmarc-eval");
    assert_int_equal(pc_client_eval(C, &q, 10000, &b), 0);
    assert_int_equal(daemon_requests("requests.dmarc-eval"), n0);
    assert_int_equal(b->result, a->result);
    assert_string_equal(b->auth_results, a->auth_results);
    assert_int_equal(b->nidents, a->nidents);
    assert_string_equal(b->idents[0].domain, a->idents[0].domain);
    pc_eval_result_free(a);
    pc_eval_result_free(b);

    /* a record request */
    assert_int_equal(pc_client_spf(C, "secure.pcw", 10000, &ra), 0);
    assert_int_equal(ra->outcome, PC_OUTCOME_FOUND);
    n0 = daemon_requests("requests.spf");
    assert_int_equal(pc_client_spf(C, "secure.pcw", 10000, &rb), 0);
    assert_int_equal(daemon_requests("requests.spf"), n0);
    assert_string_equal(rb->raw, ra->raw);
    assert_int_equal(rb->cache, PC_CACHE_HIT);
    assert_true(rb->ttl <= ra->ttl);
    assert_true(rb->age >= ra->age);
    pc_result_free(ra);
    pc_result_free(rb);
}

/* The non-blocking call gets a remembered answer through
 * pc_client_process, exactly once. */
static int async_calls;
static pc_spf_result_t async_result;

static void on_spf(void *arg, int err, pc_spf_check_t *r)
{
    (void)arg;
    assert_int_equal(err, 0);
    async_calls++;
    async_result = r->result;
    pc_spf_check_free(r);
}

static void test_async(void **state)
{
    struct pollfd p = {pc_client_fd(C), POLLIN, 0};
    uint32_t id = 0;
    uint64_t n0;
    (void)state;

    pc_spf_check_free(spf(&PASS_Q)); /* kept */
    n0 = daemon_requests("requests.spf-check");
    async_calls = 0;
    assert_int_equal(pc_client_spf_check_async(C, &PASS_Q, 10000, on_spf, NULL, &id), 0);
    assert_true(id != 0);
    assert_int_equal(async_calls, 0); /* never from inside the submit */
    assert_int_equal(pc_client_pending(C), 1);
    assert_int_equal(poll(&p, 1, 5000), 1);
    assert_int_equal(pc_client_process(C), 1);
    assert_int_equal(async_calls, 1);
    assert_int_equal(async_result, PC_SPF_PASS);
    assert_int_equal(pc_client_pending(C), 0);
    assert_int_equal(pc_client_process(C), 0);
    assert_int_equal(async_calls, 1);
    assert_int_equal(daemon_requests("requests.spf-check"), n0);
}

static void test_lru(void **state)
{
    pc_client_t *c = NULL;
    pc_spf_check_t *r = NULL;
    pc_answer_cache_stats_t s;
    const char *ips[3] = {"192.0.2.11", "192.0.2.12", "192.0.2.13"};
    (void)state;

    assert_int_equal(pc_client_create(&c, cu_daemon()->sock), 0);
    assert_int_equal(pc_client_set_answer_cache(c, 2, 0), 0);
    for (int i = 0; i < 3; i++) {
        pc_spf_query_t q = {ips[i], "user@secure.pcw", NULL, 0};
        assert_int_equal(pc_client_spf_check(c, &q, 10000, &r), 0);
        pc_spf_check_free(r);
    }
    assert_int_equal(pc_client_answer_cache_stats(c, &s), 0);
    assert_int_equal(s.entries, 2);
    assert_int_equal(s.evicted, 1);
    {   /* the first went; the last two are there */
        pc_spf_query_t q0 = {ips[0], "user@secure.pcw", NULL, 0};
        pc_spf_query_t q2 = {ips[2], "user@secure.pcw", NULL, 0};
        assert_int_equal(pc_client_spf_check(c, &q2, 10000, &r), 0);
        pc_spf_check_free(r);
        assert_int_equal(pc_client_answer_cache_stats(c, &s), 0);
        assert_int_equal(s.hits, 1);
        assert_int_equal(pc_client_spf_check(c, &q0, 10000, &r), 0);
        pc_spf_check_free(r);
        assert_int_equal(pc_client_answer_cache_stats(c, &s), 0);
        assert_int_equal(s.hits, 1);
        assert_int_equal(s.misses, 4);
    }
    /* 0 turns it off */
    assert_int_equal(pc_client_set_answer_cache(c, 0, 0), 0);
    assert_int_equal(pc_client_answer_cache_stats(c, &s), 0);
    assert_int_equal(s.entries, 0);
    assert_int_equal(s.active, 0);
    assert_int_equal(pc_client_set_answer_cache(c, PC_ANSWER_CACHE_MAX + 1, 0), PC_EINVAL);
    pc_client_destroy(c);
}

/* Threads sharing one context: answers go in and out under its lock
 * while a reader waits for the daemon. */
typedef struct tctx {
    int id;
    int bad;
} tctx_t;

static void *thread_main(void *arg)
{
    tctx_t *t = arg;
    char ip[32];

    for (int i = 0; i < 400; i++) {
        pc_spf_check_t *r = NULL;
        pc_spf_query_t q = {ip, "user@secure.pcw", NULL, 0};
        snprintf(ip, sizeof(ip), "192.0.2.%d", 100 + (i + t->id) % 8);
        if (pc_client_spf_check(C, &q, 10000, &r) != 0 || r->result != PC_SPF_PASS)
            t->bad++;
        pc_spf_check_free(r);
    }
    return NULL;
}

static void test_threads(void **state)
{
    pthread_t th[4];
    tctx_t t[4];
    pc_answer_cache_stats_t s0 = ac_stats(), s1;
    (void)state;

    for (int i = 0; i < 4; i++) {
        t[i] = (tctx_t){i, 0};
        assert_int_equal(pthread_create(&th[i], NULL, thread_main, &t[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_int_equal(t[i].bad, 0);
    }
    s1 = ac_stats();
    /* 1600 questions, 8 distinct: each missed at most once per thread */
    assert_int_equal((s1.hits - s0.hits) + (s1.misses - s0.misses), 1600);
    assert_true(s1.misses - s0.misses <= 8 * 4);
}

/* Off by default; and through a path with no epoch page beside it (a
 * symbolic link to the socket elsewhere) nothing is kept. */
static void test_no_page(void **state)
{
    char link[400];
    pc_client_t *c = NULL;
    pc_spf_check_t *r = NULL;
    pc_answer_cache_stats_t s;
    uint64_t n0;
    (void)state;

    assert_int_equal(pc_client_create(&c, cu_daemon()->sock), 0);
    pc_spf_check_free(spf(&PASS_Q));
    assert_int_equal(pc_client_spf_check(c, &PASS_Q, 10000, &r), 0);
    pc_spf_check_free(r);
    assert_int_equal(pc_client_answer_cache_stats(c, &s), 0);
    assert_int_equal(s.hits + s.misses + s.entries, 0); /* off by default */
    pc_client_destroy(c);

    snprintf(link, sizeof(link), "%s/elsewhere.sock", cu_daemon()->dir);
    assert_int_equal(symlink(cu_daemon()->sock, link), 0);
    assert_int_equal(pc_client_create(&c, link), 0);
    assert_int_equal(pc_client_set_answer_cache(c, 64, 0), 0);
    n0 = daemon_requests("requests.spf-check");
    for (int i = 0; i < 2; i++) {
        assert_int_equal(pc_client_spf_check(c, &PASS_Q, 10000, &r), 0);
        assert_int_equal(r->result, PC_SPF_PASS);
        pc_spf_check_free(r);
    }
    assert_int_equal(daemon_requests("requests.spf-check"), n0 + 2);
    assert_int_equal(pc_client_answer_cache_stats(c, &s), 0);
    assert_int_equal(s.active, 0);
    assert_int_equal(s.entries, 0);
    pc_client_destroy(c);
    unlink(link);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spf_repeat),
        cmocka_unit_test(test_not_kept),
        cmocka_unit_test(test_eval_and_records),
        cmocka_unit_test(test_async),
        cmocka_unit_test(test_lru),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_no_page),
        cmocka_unit_test(test_epoch),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
