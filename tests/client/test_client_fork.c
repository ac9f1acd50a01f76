/*
 * test_client_fork.c - fork() with a context in use: threads of the
 * parent keep making blocking calls and the parent has non-blocking
 * requests in flight while the main thread forks. The child uses the
 * inherited context (blocking and non-blocking, on a connection of its
 * own, with none of the parent's requests), the parent carries on, and
 * every parent callback fires exactly once, in the parent.
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
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "cutil.h"

#define THREADS 4
#define FORKS 3

static pc_client_t *C;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int stop_flag;

static int stopping(void)
{
    int s;
    pthread_mutex_lock(&mu);
    s = stop_flag;
    pthread_mutex_unlock(&mu);
    return s;
}

static void *worker(void *arg)
{
    long bad = 0, n = 0;
    char why[512];
    (void)arg;

    while (!stopping() || n < 20) {
        const ccase_t *k = &cu_cases[(size_t)n % cu_ncases];
        pc_query_t q = cu_query(k, 0);
        pc_result_t *r = NULL;
        int rc = pc_client_query(C, &q, 10000, &r);
        if (rc != 0 || !cu_check(k, r, why, sizeof(why))) {
            fprintf(stderr, "parent thread: %s %s\n", pc_strerror(rc), rc == 0 ? why : "");
            bad++;
        }
        pc_result_free(r);
        n++;
    }
    return (void *)bad;
}

typedef struct hit {
    int calls, err;
} hit_t;

static void on_done(void *arg, int err, pc_result_t *r)
{
    hit_t *h = arg;
    h->calls++;
    h->err = err;
    pc_result_free(r);
}

/* Drive the context's fd until n callbacks ran or ms passed. */
static int pump(pc_client_t *c, int n, unsigned ms)
{
    uint64_t end = cu_now_ms() + ms;
    int got = 0;

    while (got < n && cu_now_ms() < end) {
        struct pollfd p = {pc_client_fd(c), POLLIN, 0};
        if (poll(&p, 1, 50) > 0)
            got += pc_client_process(c);
    }
    return got;
}

/* The child: exit status 0 when everything worked, else the step. */
static int child(void)
{
    pc_result_t *r = NULL;
    pc_query_t q = {PC_RT_DKIM, "secure.pcw", "ed", 0};
    hit_t h = {0, 0};
    char why[512];

    /* the parent's in-flight requests are not ours */
    if (pc_client_pending(C) != 0)
        return 2;
    for (size_t i = 0; i < cu_ncases; i++) {
        const ccase_t *k = &cu_cases[i];
        pc_query_t qq = cu_query(k, 0);
        if (pc_client_query(C, &qq, 10000, &r) != 0 || !cu_check(k, r, why, sizeof(why))) {
            fprintf(stderr, "child: %s\n", why);
            return 3;
        }
        pc_result_free(r);
        r = NULL;
    }
    if (pc_client_query_async(C, &q, 5000, on_done, &h, NULL) != 0)
        return 4;
    if (pump(C, 1, 5000) != 1 || h.calls != 1 || h.err != 0)
        return 5;
    if (pc_client_ping(C, 5000, NULL) != 0)
        return 6;
    pc_client_destroy(C);
    return 0;
}

static void test_fork(void **state)
{
    pthread_t th[THREADS];
    hit_t slow[FORKS][4];
    long bad = 0;
    (void)state;

    memset(slow, 0, sizeof(slow));
    assert_int_equal(pc_client_create(&C, cu_daemon()->sock), 0);
    for (uintptr_t i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, worker, (void *)i), 0);
    for (int f = 0; f < FORKS; f++) {
        int st = 0;
        pid_t pid;
        /* in flight at the fork: they complete in the parent only */
        for (int j = 0; j < 4; j++) {
            char name[64];
            pc_query_t q = {PC_RT_SPF, name, NULL, 0};
            snprintf(name, sizeof(name), "f%d-%d-%d.silent.pcw", (int)getpid(), f, j);
            assert_int_equal(pc_client_query_async(C, &q, 300, on_done, &slow[f][j], NULL), 0);
        }
        usleep(20000);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
            _exit(child());
        assert_int_equal(waitpid(pid, &st, 0), pid);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
            fail_msg("fork %d: child status %d", f, st);
        /* the parent's own requests: each callback once, here */
        assert_int_equal(pump(C, 4, 5000), 4);
        for (int j = 0; j < 4; j++) {
            assert_int_equal(slow[f][j].calls, 1);
            assert_int_equal(slow[f][j].err, PC_ETIMEDOUT);
        }
    }
    pthread_mutex_lock(&mu);
    stop_flag = 1;
    pthread_mutex_unlock(&mu);
    for (int i = 0; i < THREADS; i++) {
        void *rv;
        pthread_join(th[i], &rv);
        bad += (long)rv;
    }
    assert_int_equal(bad, 0);
    assert_int_equal(pc_client_ping(C, 5000, NULL), 0);
    assert_int_equal(pc_client_pending(C), 0);
    pc_client_destroy(C);
}

/* A context used only in the child, created before the fork and never
 * used by the parent: the child's first call connects. */
static void test_fork_fresh(void **state)
{
    pc_client_t *c = NULL;
    int st = 0;
    pid_t pid;
    (void)state;

    assert_int_equal(pc_client_create(&c, cu_daemon()->sock), 0);
    assert_int_equal(pc_client_ping(c, 5000, NULL), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        pc_result_t *r = NULL;
        int ok = pc_client_dmarc(c, "secure.pcw", 5000, &r) == 0 &&
                 r->outcome == PC_OUTCOME_FOUND;
        pc_result_free(r);
        pc_client_destroy(c);
        _exit(ok ? 0 : 1);
    }
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    /* the parent's connection was not disturbed by the child's exit */
    assert_int_equal(pc_client_ping(c, 5000, NULL), 0);
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
        cmocka_unit_test(test_fork),
        cmocka_unit_test(test_fork_fresh),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
