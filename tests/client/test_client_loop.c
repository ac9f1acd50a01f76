/*
 * test_client_loop.c - the non-blocking API driven by a caller's event
 * loop against the real polcached: a libuv loop (uv_poll on
 * pc_client_fd) and a plain poll() loop. In each: every world case as a
 * request with checked results, requests submitted from inside callbacks,
 * a timeout on a silent upstream that fires with no traffic at all, and a
 * cancel; the loop ends when nothing is pending, so a callback that does
 * not come would hang it (the test's own timer catches that).
 */
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include <cmocka.h>

#include "cutil.h"

#define CHAIN 10

typedef struct run {
    pc_client_t *c;
    int calls[64];
    int errs[64];
    int bad;
    int chained;          /* requests submitted from callbacks */
    int chain_done;
    int timeout_err, timeout_calls;
    uint64_t timeout_at, t0;
    int cancel_err, cancel_calls;
    char why[512];
} run_t;

typedef struct tag {
    run_t *run;
    int i;                /* case index, or -1 chain, -2 timeout, -3 cancel */
} tag_t;

static tag_t tags[64];
static tag_t chain_tag, timeout_tag, cancel_tag;

static void on_result(void *arg, int err, pc_result_t *r);

static void submit_chain(run_t *x)
{
    pc_query_t q = {PC_RT_SPF, "secure.pcw", NULL, 0};
    assert_int_equal(pc_client_query_async(x->c, &q, 5000, on_result, &chain_tag, NULL), 0);
    x->chained++;
}

static void on_result(void *arg, int err, pc_result_t *r)
{
    tag_t *t = arg;
    run_t *x = t->run;

    if (t->i >= 0) {
        x->calls[t->i]++;
        x->errs[t->i] = err;
        if (err != 0 || !cu_check(&cu_cases[t->i], r, x->why, sizeof(x->why)))
            x->bad++;
    } else if (t->i == -1) {
        if (err != 0 || r->outcome != PC_OUTCOME_FOUND)
            x->bad++;
        if (++x->chain_done < CHAIN)
            submit_chain(x); /* from inside a callback */
    } else if (t->i == -2) {
        x->timeout_calls++;
        x->timeout_err = err;
        x->timeout_at = cu_now_ms();
    } else {
        x->cancel_calls++;
        x->cancel_err = err;
    }
    pc_result_free(r);
}

/* Submit everything: the cases, the head of the chain, a silent name with
 * a 150 ms timeout, and one request cancelled at once. */
static void start(run_t *x, pc_client_t *c)
{
    char name[64];
    pc_query_t q = {PC_RT_DMARC, name, NULL, 0};
    uint32_t id = 0;

    memset(x, 0, sizeof(*x));
    x->c = c;
    x->t0 = cu_now_ms();
    for (size_t i = 0; i < cu_ncases; i++) {
        pc_query_t qq = cu_query(&cu_cases[i], 0);
        tags[i].run = x;
        tags[i].i = (int)i;
        assert_int_equal(pc_client_query_async(c, &qq, 10000, on_result, &tags[i], NULL), 0);
    }
    chain_tag.run = timeout_tag.run = cancel_tag.run = x;
    chain_tag.i = -1;
    timeout_tag.i = -2;
    cancel_tag.i = -3;
    submit_chain(x);
    snprintf(name, sizeof(name), "loop%d-%llu.silent.pcw", (int)getpid(),
             (unsigned long long)x->t0);
    assert_int_equal(pc_client_query_async(c, &q, 150, on_result, &timeout_tag, NULL), 0);
    q.domain = "insecure.pcw";
    assert_int_equal(pc_client_query_async(c, &q, 10000, on_result, &cancel_tag, &id), 0);
    assert_int_equal(pc_client_cancel(c, id), 0);
}

static void check(run_t *x)
{
    if (x->bad != 0)
        fail_msg("%d bad results, last: %s", x->bad, x->why);
    for (size_t i = 0; i < cu_ncases; i++)
        assert_int_equal(x->calls[i], 1);
    assert_int_equal(x->chain_done, CHAIN);
    assert_int_equal(x->chained, CHAIN);
    assert_int_equal(x->timeout_calls, 1);
    assert_int_equal(x->timeout_err, PC_ETIMEDOUT);
    assert_true(x->timeout_at - x->t0 >= 150);
    assert_true(x->timeout_at - x->t0 < 700); /* before the daemon's ~750 ms */
    assert_int_equal(x->cancel_calls, 1);
    assert_int_equal(x->cancel_err, PC_ECANCELED);
    assert_int_equal(pc_client_pending(x->c), 0);
}

/* ---- libuv ---- */

typedef struct uvrun {
    uv_poll_t poll;
    uv_timer_t guard;
    run_t run;
    int expired;
} uvrun_t;

static void on_closed(uv_handle_t *h)
{
    (void)h;
}

static void stop_all(uvrun_t *u)
{
    uv_close((uv_handle_t *)&u->poll, on_closed);
    uv_close((uv_handle_t *)&u->guard, on_closed);
}

static void on_readable(uv_poll_t *p, int status, int events)
{
    uvrun_t *u = p->data;
    (void)events;
    assert_int_equal(status, 0);
    (void)pc_client_process(u->run.c);
    if (pc_client_pending(u->run.c) == 0)
        stop_all(u);
}

static void on_guard(uv_timer_t *t)
{
    uvrun_t *u = t->data;
    u->expired = 1;
    stop_all(u);
}

static void test_libuv(void **state)
{
    uv_loop_t loop;
    uvrun_t u;
    pc_client_t *c = NULL;
    (void)state;

    memset(&u, 0, sizeof(u));
    assert_int_equal(pc_client_create(&c, cu_daemon()->sock), 0);
    assert_int_equal(uv_loop_init(&loop), 0);
    assert_int_equal(uv_poll_init(&loop, &u.poll, pc_client_fd(c)), 0);
    assert_int_equal(uv_timer_init(&loop, &u.guard), 0);
    u.poll.data = &u;
    u.guard.data = &u;
    start(&u.run, c);
    assert_int_equal(uv_poll_start(&u.poll, UV_READABLE, on_readable), 0);
    assert_int_equal(uv_timer_start(&u.guard, on_guard, 20000, 0), 0);
    assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(u.expired, 0);
    check(&u.run);
    assert_int_equal(uv_loop_close(&loop), 0);
    pc_client_destroy(c);
}

/* ---- poll() ---- */

static void test_poll(void **state)
{
    pc_client_t *c = NULL;
    run_t x;
    uint64_t end;
    (void)state;

    assert_int_equal(pc_client_create(&c, cu_daemon()->sock), 0);
    start(&x, c);
    end = cu_now_ms() + 20000;
    while (pc_client_pending(c) > 0 && cu_now_ms() < end) {
        struct pollfd p = {pc_client_fd(c), POLLIN, 0};
        int n = poll(&p, 1, 1000);
        assert_true(n >= 0);
        if (n > 0)
            (void)pc_client_process(c);
    }
    check(&x);
    pc_client_destroy(c);
}

static int teardown(void **state)
{
    (void)state;
    cu_daemon_stop();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_libuv),
        cmocka_unit_test(test_poll),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
