/*
 * test_client_restart.c - polcached killed (SIGKILL) and restarted while
 * requests are in flight: every accepted non-blocking callback fires
 * exactly once (PC_EUNAVAIL for those the daemon had not answered), long
 * before their timeouts; blocking calls in other threads get
 * PC_EUNAVAIL at once while the daemon is down, never hang; after the
 * restart the same context reconnects by itself and every call succeeds.
 * Then the same across a clean stop (SIGTERM).
 */
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cutil.h"

#define NSLOW 20
#define NFAST 20
#define THREADS 4

static pc_client_t *C;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int phase;             /* 0 running, 1 killed, 2 restarted, 3 stop */

typedef struct hit {
    int calls, err;
    uint64_t when;
} hit_t;

static void on_done(void *arg, int err, pc_result_t *r)
{
    hit_t *h = arg;
    h->calls++;
    h->err = err;
    h->when = cu_now_ms();
    pc_result_free(r);
}

static int get_phase(void)
{
    int p;
    pthread_mutex_lock(&mu);
    p = phase;
    pthread_mutex_unlock(&mu);
    return p;
}

static void set_phase(int p)
{
    pthread_mutex_lock(&mu);
    phase = p;
    pthread_mutex_unlock(&mu);
}

/* Blocking calls throughout. Counts: [0] successes after the restart,
 * [1] unexpected results, [2] PC_EUNAVAIL seen, [3] slowest call in ms. */
static void *worker(void *arg)
{
    long *st = arg;
    int p;

    while ((p = get_phase()) != 3) {
        pc_result_t *r = NULL;
        uint64_t t0 = cu_now_ms(), dt;
        int rc = pc_client_dmarc(C, "secure.pcw", 3000, &r);
        dt = cu_now_ms() - t0;
        if ((long)dt > st[3])
            st[3] = (long)dt;
        if (rc == 0 && r->outcome == PC_OUTCOME_FOUND) {
            if (p == 2)
                st[0]++;
        } else if (rc == PC_EUNAVAIL) {
            st[2]++;
            usleep(5000);
        } else {
            fprintf(stderr, "worker: %s\n", pc_strerror(rc));
            st[1]++;
        }
        pc_result_free(r);
    }
    return NULL;
}

static int pump(int n, unsigned ms)
{
    uint64_t end = cu_now_ms() + ms;
    int got = 0;

    while (got < n && cu_now_ms() < end) {
        struct pollfd p = {pc_client_fd(C), POLLIN, 0};
        if (poll(&p, 1, 50) > 0)
            got += pc_client_process(C);
    }
    return got;
}

static void test_kill9_restart(void **state)
{
    dproc_t *d = cu_daemon();
    pthread_t th[THREADS];
    long st[THREADS][4];
    hit_t slow[NSLOW], fast[NFAST];
    uint64_t t_kill;
    int got, unavail = 0;
    (void)state;

    memset(st, 0, sizeof(st));
    memset(slow, 0, sizeof(slow));
    memset(fast, 0, sizeof(fast));
    assert_int_equal(pc_client_create(&C, d->sock), 0);
    assert_int_equal(pc_client_ping(C, 5000, NULL), 0);
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, worker, st[i]), 0);
    /* slow: the daemon waits ~0.75 s for the silent upstream; fast: hits */
    for (int i = 0; i < NSLOW; i++) {
        char name[64];
        pc_query_t q = {PC_RT_DMARC, name, NULL, 0};
        snprintf(name, sizeof(name), "k%d-%d.silent.pcw", (int)getpid(), i);
        assert_int_equal(pc_client_query_async(C, &q, 20000, on_done, &slow[i], NULL), 0);
    }
    for (int i = 0; i < NFAST; i++) {
        pc_query_t q = {PC_RT_SPF, "secure.pcw", NULL, 0};
        assert_int_equal(pc_client_query_async(C, &q, 20000, on_done, &fast[i], NULL), 0);
    }
    usleep(150000);
    t_kill = cu_now_ms();
    dproc_kill9(d);
    set_phase(1);
    got = pump(NSLOW + NFAST, 10000);
    assert_int_equal(got, NSLOW + NFAST);
    for (int i = 0; i < NSLOW; i++) {
        assert_int_equal(slow[i].calls, 1);
        assert_int_equal(slow[i].err, PC_EUNAVAIL);
        assert_true(slow[i].when - t_kill < 2000); /* not the 20 s timeout */
    }
    for (int i = 0; i < NFAST; i++) {
        assert_int_equal(fast[i].calls, 1);
        assert_true(fast[i].err == 0 || fast[i].err == PC_EUNAVAIL);
    }
    /* while it is down: errors at once, and submits refused outright */
    {
        pc_query_t q = {PC_RT_DMARC, "secure.pcw", NULL, 0};
        hit_t h = {0, 0, 0};
        uint64_t t0 = cu_now_ms();
        pc_result_t *r = NULL;
        assert_int_equal(pc_client_dmarc(C, "secure.pcw", 5000, &r), PC_EUNAVAIL);
        assert_true(cu_now_ms() - t0 < 1000);
        assert_int_equal(pc_client_query_async(C, &q, 5000, on_done, &h, NULL), PC_EUNAVAIL);
        assert_int_equal(pump(1, 200), 0);
        assert_int_equal(h.calls, 0);
    }
    usleep(100000);
    dproc_start(d); /* same socket path, same cache */
    set_phase(2);
    {
        pc_result_t *r = NULL;
        hit_t h = {0, 0, 0};
        pc_query_t q = {PC_RT_DKIM, "secure.pcw", "sel", 0};
        assert_int_equal(pc_client_dmarc(C, "secure.pcw", 5000, &r), 0);
        assert_int_equal(r->outcome, PC_OUTCOME_FOUND);
        pc_result_free(r);
        assert_int_equal(pc_client_query_async(C, &q, 5000, on_done, &h, NULL), 0);
        assert_int_equal(pump(1, 5000), 1);
        assert_int_equal(h.calls, 1);
        assert_int_equal(h.err, 0);
    }
    usleep(200000);
    set_phase(3);
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(st[i][1], 0);
        assert_true(st[i][0] > 0);
        assert_true(st[i][3] < 3000); /* no call waited for its timeout */
        unavail += (int)st[i][2];
    }
    printf("threads saw PC_EUNAVAIL %d times while the daemon was down\n", unavail);
    assert_true(unavail > 0);
    assert_int_equal(pc_client_pending(C), 0);
    pc_client_destroy(C);
}

static void test_clean_restart(void **state)
{
    dproc_t *d = cu_daemon();
    pc_client_t *c = NULL;
    pc_ping_t ping;
    (void)state;

    assert_int_equal(pc_client_create(&c, d->sock), 0);
    assert_int_equal(pc_client_ping(c, 5000, NULL), 0);
    assert_int_equal(dproc_stop(d), 0);
    assert_int_equal(pc_client_ping(c, 5000, NULL), PC_EUNAVAIL);
    dproc_start(d);
    assert_int_equal(pc_client_ping(c, 5000, &ping), 0);
    assert_int_equal(ping.proto_version, 1);
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
        cmocka_unit_test(test_kill9_restart),
        cmocka_unit_test(test_clean_restart),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
