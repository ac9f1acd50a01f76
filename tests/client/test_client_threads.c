/*
 * test_client_threads.c - one context shared by many threads, against the
 * real polcached: blocking callers with checked results (some NOCACHE,
 * some timing out on a silent upstream, so the reader role changes hands
 * under load), other threads submitting non-blocking requests while one
 * event-loop thread runs pc_client_process(); every callback runs exactly
 * once, and only in the loop thread.
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

#include <cmocka.h>

#include "cutil.h"

#define SYNC_THREADS 12
#define ASYNC_THREADS 3
#define PER_THREAD 150
#define NASYNC (ASYNC_THREADS * PER_THREAD)

static pc_client_t *C;
static pthread_t loop_thread, loop_self; /* loop_self: set by the loop itself */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int async_left;            /* callbacks still to come */
static int async_bad;             /* wrong thread, wrong result, twice */
static unsigned char async_calls[NASYNC];
static char bad_why[512];

typedef struct actx {
    int slot;
    const ccase_t *k;
} actx_t;

static actx_t actx[NASYNC];

static unsigned next_rand(unsigned *s)
{
    *s = *s * 1103515245u + 12345u;
    return *s >> 8;
}

/* A blocking caller: world cases with checked answers; every tenth a
 * NOCACHE lookup; every twenty-fifth a name under silent.pcw with a short
 * timeout that must end in PC_ETIMEDOUT. Returns failures. */
static void *sync_worker(void *arg)
{
    unsigned seed = (unsigned)(uintptr_t)arg * 7919u + 1;
    long bad = 0;
    char why[512];

    for (int i = 0; i < PER_THREAD; i++) {
        unsigned n = next_rand(&seed);
        pc_result_t *r = NULL;
        int rc;
        if (i % 25 == 24) {
            char name[64];
            pc_query_t q = {PC_RT_DMARC, name, NULL, 0};
            snprintf(name, sizeof(name), "t%lu-%d.silent.pcw", (unsigned long)(uintptr_t)arg, i);
            rc = pc_client_query(C, &q, 100, &r);
            if (rc != PC_ETIMEDOUT) {
                fprintf(stderr, "silent: %s\n", pc_strerror(rc));
                bad++;
            }
            pc_result_free(r);
            continue;
        }
        {
            const ccase_t *k = &cu_cases[n % cu_ncases];
            pc_query_t q = cu_query(k, i % 10 == 9 ? PC_QUERY_NOCACHE : 0);
            rc = pc_client_query(C, &q, 10000, &r);
            if (rc != 0 || !cu_check(k, r, why, sizeof(why))) {
                fprintf(stderr, "sync: %s %s\n", pc_strerror(rc), rc == 0 ? why : "");
                bad++;
            }
            pc_result_free(r);
        }
    }
    return (void *)bad;
}

static void on_async(void *arg, int err, pc_result_t *r)
{
    actx_t *a = arg;
    char why[512] = "";
    int ok = pthread_equal(pthread_self(), loop_self) && err == 0 &&
             cu_check(a->k, r, why, sizeof(why));

    pthread_mutex_lock(&mu);
    if (!ok || async_calls[a->slot]++ != 0) {
        async_bad++;
        snprintf(bad_why, sizeof(bad_why), "slot %d err %s %s", a->slot, pc_strerror(err), why);
    }
    async_left--;
    pthread_mutex_unlock(&mu);
    pc_result_free(r);
}

/* Submits from a thread that is not the loop thread. */
static void *async_worker(void *arg)
{
    int t = (int)(uintptr_t)arg;
    unsigned seed = (unsigned)t * 31u + 5u;
    long bad = 0;

    for (int i = 0; i < PER_THREAD; i++) {
        int slot = t * PER_THREAD + i;
        pc_query_t q;
        actx[slot].slot = slot;
        actx[slot].k = &cu_cases[next_rand(&seed) % cu_ncases];
        q = cu_query(actx[slot].k, 0);
        if (pc_client_query_async(C, &q, 10000, on_async, &actx[slot], NULL) != 0) {
            bad++;
            pthread_mutex_lock(&mu);
            async_left--; /* its callback never comes */
            pthread_mutex_unlock(&mu);
        }
    }
    return (void *)bad;
}

static int left(void)
{
    int n;
    pthread_mutex_lock(&mu);
    n = async_left;
    pthread_mutex_unlock(&mu);
    return n;
}

/* The caller's event loop: poll the context's fd, process. */
static void *loop_worker(void *arg)
{
    uint64_t end = cu_now_ms() + 60000;
    (void)arg;

    loop_self = pthread_self();
    while (left() > 0 && cu_now_ms() < end) {
        struct pollfd p = {pc_client_fd(C), POLLIN, 0};
        if (poll(&p, 1, 100) > 0)
            (void)pc_client_process(C);
    }
    return NULL;
}

static void test_threads(void **state)
{
    pthread_t sync_th[SYNC_THREADS], async_th[ASYNC_THREADS];
    long bad = 0;
    uint64_t t0 = cu_now_ms();
    (void)state;

    assert_int_equal(pc_client_create(&C, cu_daemon()->sock), 0);
    async_left = NASYNC;
    assert_int_equal(pthread_create(&loop_thread, NULL, loop_worker, NULL), 0);
    for (uintptr_t i = 0; i < SYNC_THREADS; i++)
        assert_int_equal(pthread_create(&sync_th[i], NULL, sync_worker, (void *)i), 0);
    for (uintptr_t i = 0; i < ASYNC_THREADS; i++)
        assert_int_equal(pthread_create(&async_th[i], NULL, async_worker, (void *)i), 0);
    for (int i = 0; i < SYNC_THREADS; i++) {
        void *rv;
        pthread_join(sync_th[i], &rv);
        bad += (long)rv;
    }
    for (int i = 0; i < ASYNC_THREADS; i++) {
        void *rv;
        pthread_join(async_th[i], &rv);
        bad += (long)rv;
    }
    pthread_join(loop_thread, NULL);
    printf("%d blocking calls in %d threads and %d non-blocking requests from %d threads: %lu ms\n",
           SYNC_THREADS * PER_THREAD, SYNC_THREADS, NASYNC, ASYNC_THREADS,
           (unsigned long)(cu_now_ms() - t0));
    assert_int_equal(bad, 0);
    if (async_bad != 0)
        fail_msg("%d bad callbacks, last: %s", async_bad, bad_why);
    assert_int_equal(left(), 0);
    for (int i = 0; i < NASYNC; i++)
        assert_int_equal(async_calls[i], 1);
    assert_int_equal(pc_client_pending(C), 0);
    pc_client_destroy(C);
}

/* Many threads, each with its own context, and contexts created and
 * destroyed while others are in use. */
static void *churn_worker(void *arg)
{
    long bad = 0;
    (void)arg;
    for (int i = 0; i < 20; i++) {
        pc_client_t *c = NULL;
        pc_result_t *r = NULL;
        if (pc_client_create(&c, cu_daemon()->sock) != 0 ||
            pc_client_spf(c, "secure.pcw", 5000, &r) != 0 || r->outcome != PC_OUTCOME_FOUND)
            bad++;
        pc_result_free(r);
        pc_client_destroy(c);
    }
    return (void *)bad;
}

static void test_context_churn(void **state)
{
    pthread_t th[6];
    long bad = 0;
    (void)state;

    for (uintptr_t i = 0; i < 6; i++)
        assert_int_equal(pthread_create(&th[i], NULL, churn_worker, (void *)i), 0);
    for (int i = 0; i < 6; i++) {
        void *rv;
        pthread_join(th[i], &rv);
        bad += (long)rv;
    }
    assert_int_equal(bad, 0);
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
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_context_churn),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
