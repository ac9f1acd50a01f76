/*
 * test_client_api.c - libpolcache without a real daemon: argument checks,
 * the socket path rule, "daemon unavailable", timeouts with no traffic
 * (blocking, and through a poll() loop woken only by the timer),
 * cancel, write back-pressure, the daemon refusing or breaking the
 * connection, error replies, out-of-order replies matched by id, and
 * destroy completing every pending callback. The daemon is a scripted
 * fake in a thread (fakesrv.c).
 */
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "fakesrv.h"
#include "paths.h"
#include "polcache.h"

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* A callback recorder: how often each request's callback ran, with what. */
typedef struct rec {
    int calls;
    int err;
    uint64_t when;
    char raw[128];
} rec_t;

static void on_result(void *arg, int err, pc_result_t *r)
{
    rec_t *x = arg;
    x->calls++;
    x->err = err;
    x->when = now_ms();
    if (r != NULL) {
        snprintf(x->raw, sizeof(x->raw), "%s", r->raw);
        pc_result_free(r);
    }
    assert_true((err == 0) == (r != NULL));
}

static pc_client_t *client_for(const char *path)
{
    pc_client_t *c = NULL;
    assert_int_equal(pc_client_create(&c, path), 0);
    assert_non_null(c);
    return c;
}

static void test_args(void **state)
{
    pc_client_t *c;
    pc_result_t *r = (pc_result_t *)&r;
    pc_stats_t *s = (pc_stats_t *)&s;
    pc_dump_page_t *p = NULL, after;
    pc_dump_filter_t f = PC_DUMP_FILTER_INIT;
    pc_query_t q = {PC_RT_DMARC, "example.org", NULL, 0};
    char longname[1100], longpath[200];
    uint32_t id = 7;
    (void)state;

    assert_int_equal(pc_client_create(NULL, NULL), PC_EINVAL);
    memset(longpath, 'a', sizeof(longpath) - 1);
    longpath[0] = '/';
    longpath[sizeof(longpath) - 1] = '\0';
    c = (pc_client_t *)&c;
    assert_int_equal(pc_client_create(&c, longpath), PC_ETOOBIG);
    assert_null(c);
    assert_int_equal(pc_client_create(&c, ""), PC_EINVAL);
    pc_client_destroy(NULL);
    assert_null(pc_client_socket_path(NULL));
    assert_int_equal(pc_client_fd(NULL), PC_EINVAL);
    assert_int_equal(pc_client_process(NULL), PC_EINVAL);
    assert_int_equal(pc_client_pending(NULL), 0);
    assert_int_equal(pc_client_cancel(NULL, 1), PC_EINVAL);
    assert_int_equal(pc_client_set_timeout(NULL, 10), PC_EINVAL);
    assert_int_equal(pc_client_dmarc(NULL, "example.org", 0, &r), PC_EINVAL);
    assert_null(r);
    assert_int_equal(pc_client_ping(NULL, 0, NULL), PC_EINVAL);
    pc_result_free(NULL);
    pc_stats_free(NULL);
    pc_dump_page_free(NULL);
    assert_null(pc_result_field(NULL, "p"));
    assert_int_equal(pc_stats_get(NULL, "x", NULL), PC_EINVAL);

    /* argument errors come before any connection attempt: the socket
     * below does not exist, so anything else would be PC_EUNAVAIL */
    c = client_for("/nonexistent/polcached.sock");
    assert_int_equal(pc_client_set_timeout(c, 0), PC_EINVAL);
    assert_int_equal(pc_client_set_limits(c, 70000, 0), PC_EINVAL);
    assert_int_equal(pc_client_set_limits(c, 0, 100), PC_EINVAL);
    assert_int_equal(pc_client_set_limits(c, 0, 0), 0);
    assert_int_equal(pc_client_dmarc(c, NULL, 0, &r), PC_EINVAL);
    assert_int_equal(pc_client_dmarc(c, "", 0, &r), PC_EINVAL);
    assert_int_equal(pc_client_dmarc(c, "example.org", 0, NULL), PC_EINVAL);
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    assert_int_equal(pc_client_spf(c, longname, 0, &r), PC_ETOOBIG);
    assert_int_equal(pc_client_dkim(c, NULL, "example.org", 0, &r), PC_EINVAL);
    assert_int_equal(pc_client_dkim(c, "sel", NULL, 0, &r), PC_EINVAL);
    q.rtype = PC_RT_A;
    assert_int_equal(pc_client_query(c, &q, 0, &r), PC_EINVAL);
    q.rtype = PC_RT_DMARC;
    q.flags = 0x80;
    assert_int_equal(pc_client_query(c, &q, 0, &r), PC_EINVAL);
    q.flags = PC_QUERY_TREEWALK | PC_QUERY_PSL;
    assert_int_equal(pc_client_query(c, &q, 0, &r), PC_EINVAL);
    q.rtype = PC_RT_SPF;
    q.flags = PC_QUERY_DISCOVER;
    assert_int_equal(pc_client_query(c, &q, 0, &r), PC_EINVAL);
    q.rtype = PC_RT_DMARC;
    q.flags = 0;
    assert_int_equal(pc_client_query(c, NULL, 0, &r), PC_EINVAL);
    assert_int_equal(pc_client_query_async(c, &q, 0, NULL, NULL, &id), PC_EINVAL);
    assert_int_equal(id, 0);
    assert_int_equal(pc_client_stats(c, 0, NULL), PC_EINVAL);
    assert_int_equal(pc_client_flush(c, NULL, 0, NULL), PC_EINVAL);
    assert_int_equal(pc_client_flush(c, "", 0, NULL), PC_EINVAL);
    assert_int_equal(pc_client_dump(c, NULL, NULL, 0, NULL), PC_EINVAL);
    f.dnssec = 4;
    assert_int_equal(pc_client_dump(c, &f, NULL, 0, &p), PC_EINVAL);
    f.dnssec = -1;
    f.limit = 257;
    assert_int_equal(pc_client_dump(c, &f, NULL, 0, &p), PC_EINVAL);
    f.limit = 0;
    f.expired = 2;
    assert_int_equal(pc_client_dump(c, &f, NULL, 0, &p), PC_EINVAL);
    f.expired = -1;
    memset(&after, 0, sizeof(after));
    assert_int_equal(pc_client_dump(c, &f, &after, 0, &p), PC_EINVAL); /* no more */
    assert_null(p);
    assert_int_equal(pc_client_cancel(c, 12345), PC_ENOENT);
    assert_int_equal(pc_client_stats(c, 0, &s), PC_EUNAVAIL);
    assert_null(s);
    pc_client_destroy(c);
}

static void test_socket_path(void **state)
{
    pc_client_t *c;
    char def[200];
    (void)state;

    setenv("POLCACHE_SOCKET", "/tmp/from-env.sock", 1);
    c = client_for(NULL);
    assert_string_equal(pc_client_socket_path(c), "/tmp/from-env.sock");
    pc_client_destroy(c);
    c = client_for("/tmp/explicit.sock"); /* an explicit path wins */
    assert_string_equal(pc_client_socket_path(c), "/tmp/explicit.sock");
    pc_client_destroy(c);
    setenv("POLCACHE_SOCKET", "", 1); /* empty: the default rule */
    c = client_for(NULL);
    assert_int_equal(pc_path_socket(def, sizeof(def)), 0);
    assert_string_equal(pc_client_socket_path(c), def);
    pc_client_destroy(c);
    unsetenv("POLCACHE_SOCKET");
}

static void test_unavailable(void **state)
{
    pc_client_t *c = client_for("/nonexistent/polcached.sock");
    pc_query_t q = {PC_RT_DMARC, "example.org", NULL, 0};
    rec_t x = {0};
    uint64_t t0 = now_ms();
    pc_result_t *r = NULL;
    char dir[] = "/tmp/pc-stale-XXXXXX", path[100];
    struct sockaddr_un sa;
    int fd;
    (void)state;

    assert_int_equal(pc_client_dmarc(c, "example.org", 5000, &r), PC_EUNAVAIL);
    assert_true(now_ms() - t0 < 1000); /* at once, not after the timeout */
    /* a refused submit never calls its callback */
    assert_int_equal(pc_client_query_async(c, &q, 0, on_result, &x, NULL), PC_EUNAVAIL);
    assert_int_equal(pc_client_process(c), 0);
    assert_int_equal(pc_client_pending(c), 0);
    assert_int_equal(x.calls, 0);
    pc_client_destroy(c);
    assert_int_equal(x.calls, 0);

    /* a socket file nobody listens on (a daemon killed with -9) */
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/sock", dir);
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    close(fd);
    c = client_for(path);
    assert_int_equal(pc_client_ping(c, 0, NULL), PC_EUNAVAIL);
    pc_client_destroy(c);
    unlink(path);
    rmdir(dir);
}

static void test_timeout_blocking(void **state)
{
    fakesrv_t f;
    pc_client_t *c;
    pc_result_t *r = NULL;
    uint64_t t0, dt;
    (void)state;

    fake_start(&f, FAKE_SILENT);
    c = client_for(f.path);
    t0 = now_ms();
    assert_int_equal(pc_client_dmarc(c, "example.org", 150, &r), PC_ETIMEDOUT);
    dt = now_ms() - t0;
    assert_null(r);
    assert_true(dt >= 150 && dt < 1500);
    /* the daemon is told to drop the request */
    assert_true(fake_saw_cancel(&f, f.seen_id[0]));
    assert_int_equal(f.seen_type[0], 0x02);
    /* the context's default timeout */
    assert_int_equal(pc_client_set_timeout(c, 100), 0);
    t0 = now_ms();
    assert_int_equal(pc_client_ping(c, 0, NULL), PC_ETIMEDOUT);
    assert_true(now_ms() - t0 >= 100);
    pc_client_destroy(c);
    fake_stop(&f);
}

/* Three requests, a poll() loop with no timeout of its own: only the
 * context's timer can wake it, and each callback fires after its deadline,
 * in deadline order, with PC_ETIMEDOUT. */
static void test_timeout_poll_loop(void **state)
{
    fakesrv_t f;
    pc_client_t *c;
    pc_query_t q = {PC_RT_SPF, "example.org", NULL, 0};
    rec_t x[3];
    uint32_t id[3];
    unsigned tmo[3] = {300, 100, 200};
    uint64_t t0;
    int fired = 0;
    (void)state;

    memset(x, 0, sizeof(x));
    fake_start(&f, FAKE_SILENT);
    c = client_for(f.path);
    t0 = now_ms();
    for (int i = 0; i < 3; i++)
        assert_int_equal(pc_client_query_async(c, &q, tmo[i], on_result, &x[i], &id[i]), 0);
    assert_int_equal(pc_client_pending(c), 3);
    while (fired < 3) {
        struct pollfd p = {pc_client_fd(c), POLLIN, 0};
        assert_int_equal(poll(&p, 1, -1), 1);
        fired += pc_client_process(c);
    }
    for (int i = 0; i < 3; i++) {
        assert_int_equal(x[i].calls, 1);
        assert_int_equal(x[i].err, PC_ETIMEDOUT);
        assert_true(x[i].when - t0 >= tmo[i]);
        assert_true(x[i].when - t0 < tmo[i] + 1000);
    }
    assert_true(x[1].when <= x[2].when && x[2].when <= x[0].when);
    assert_int_equal(pc_client_pending(c), 0);
    for (int i = 0; i < 3; i++)
        assert_true(fake_saw_cancel(&f, id[i]));
    pc_client_destroy(c);
    fake_stop(&f);
}

static void test_cancel(void **state)
{
    fakesrv_t f;
    pc_client_t *c;
    pc_query_t q = {PC_RT_DKIM, "example.org", "sel", PC_QUERY_NOCACHE};
    rec_t x = {0}, y = {0};
    uint32_t id = 0, id2 = 0;
    (void)state;

    fake_start(&f, FAKE_SILENT);
    c = client_for(f.path);
    assert_int_equal(pc_client_query_async(c, &q, 5000, on_result, &x, &id), 0);
    assert_int_equal(pc_client_query_async(c, &q, 5000, on_result, &y, &id2), 0);
    assert_true(id != 0 && id2 != 0 && id != id2);
    assert_int_equal(pc_client_cancel(c, id), 0);
    assert_int_equal(pc_client_cancel(c, id), PC_ENOENT);
    assert_int_equal(x.calls, 0); /* only from pc_client_process */
    {
        struct pollfd p = {pc_client_fd(c), POLLIN, 0};
        assert_int_equal(poll(&p, 1, 1000), 1); /* the fd says so */
    }
    assert_int_equal(pc_client_process(c), 1);
    assert_int_equal(x.calls, 1);
    assert_int_equal(x.err, PC_ECANCELED);
    assert_true(fake_saw_cancel(&f, id));
    assert_int_equal(pc_client_pending(c), 1);
    /* destroy completes the other one */
    pc_client_destroy(c);
    assert_int_equal(y.calls, 1);
    assert_int_equal(y.err, PC_ECANCELED);
    assert_int_equal(x.calls, 1);
    fake_stop(&f);
}

/* A daemon that does not read: requests queue up to the bound, then
 * PC_EBUSY; every accepted one completes exactly once. */
static void test_backpressure(void **state)
{
    fakesrv_t f;
    pc_client_t *c;
    char name[1001];
    pc_query_t q = {PC_RT_DMARC, name, NULL, 0};
    rec_t *x = calloc(4000, sizeof(*x));
    int accepted = 0, rc = 0;
    (void)state;

    memset(name, 'a', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    fake_start(&f, FAKE_NOREAD);
    c = client_for(f.path);
    assert_int_equal(pc_client_set_limits(c, 65536, 8192), 0);
    while (accepted < 4000) {
        rc = pc_client_query_async(c, &q, 10000, on_result, &x[accepted], NULL);
        if (rc != 0)
            break;
        accepted++;
    }
    assert_int_equal(rc, PC_EBUSY);
    assert_true(accepted > 8);
    assert_int_equal(pc_client_pending(c), (size_t)accepted);
    assert_int_equal(pc_client_process(c), 0);
    pc_client_destroy(c);
    for (int i = 0; i < accepted; i++) {
        assert_int_equal(x[i].calls, 1);
        assert_int_equal(x[i].err, PC_ECANCELED);
    }
    assert_int_equal(x[accepted].calls, 0);
    fake_stop(&f);

    /* the in-flight bound */
    fake_start(&f, FAKE_SILENT);
    c = client_for(f.path);
    assert_int_equal(pc_client_set_limits(c, 5, 0), 0);
    for (int i = 0; i < 5; i++)
        assert_int_equal(pc_client_query_async(c, &q, 10000, on_result, &x[i], NULL), 0);
    assert_int_equal(pc_client_query_async(c, &q, 10000, on_result, &x[5], NULL), PC_EBUSY);
    assert_int_equal(pc_client_ping(c, 100, NULL), PC_EBUSY);
    pc_client_destroy(c);
    fake_stop(&f);
    free(x);
}

static void test_refused_and_broken(void **state)
{
    fakesrv_t f;
    pc_client_t *c;
    pc_query_t q = {PC_RT_DMARC, "example.org", NULL, 0};
    rec_t x = {0};
    pc_ping_t ping;
    (void)state;

    /* at its connection limit the daemon answers PC_EBUSY and closes */
    fake_start(&f, FAKE_REFUSE);
    c = client_for(f.path);
    assert_int_equal(pc_client_ping(c, 2000, &ping), PC_EBUSY);
    pc_client_destroy(c);
    fake_stop(&f);

    /* a stream that cannot be followed */
    fake_start(&f, FAKE_GARBAGE);
    c = client_for(f.path);
    assert_int_equal(pc_client_ping(c, 2000, NULL), PC_EMAGIC);
    pc_client_destroy(c);
    fake_stop(&f);

    /* error replies reach the caller as codes, also through callbacks */
    fake_start(&f, FAKE_ERROR);
    c = client_for(f.path);
    assert_int_equal(pc_client_ping(c, 2000, NULL), PC_ENOTIMPL);
    assert_int_equal(pc_client_query_async(c, &q, 2000, on_result, &x, NULL), 0);
    while (x.calls == 0) {
        struct pollfd p = {pc_client_fd(c), POLLIN, 0};
        assert_int_equal(poll(&p, 1, 3000), 1);
        pc_client_process(c);
    }
    assert_int_equal(x.err, PC_ENOTIMPL);
    pc_client_destroy(c);
    fake_stop(&f);

    /* the daemon goes away: in-flight requests fail with PC_EUNAVAIL and
     * the next call connects again */
    fake_start(&f, FAKE_CLOSE);
    c = client_for(f.path);
    assert_int_equal(pc_client_ping(c, 2000, NULL), PC_EUNAVAIL);
    assert_int_equal(pc_client_ping(c, 2000, NULL), PC_EUNAVAIL);
    assert_int_equal(fake_conns(&f), 2);
    pc_client_destroy(c);
    fake_stop(&f);
}

/* Replies in reverse order reach the right requests, blocking or not, and
 * every field of a record reply is decoded. */
static void test_out_of_order(void **state)
{
    fakesrv_t f;
    pc_client_t *c;
    char names[8][32];
    rec_t x[8];
    pc_ping_t ping;
    pc_result_t *r = NULL;
    int fired = 0;
    (void)state;

    memset(x, 0, sizeof(x));
    fake_start_record(&f, 8);
    c = client_for(f.path);
    for (int i = 0; i < 8; i++) {
        pc_query_t q = {PC_RT_DMARC, names[i], NULL, 0};
        snprintf(names[i], sizeof(names[i]), "d%d.example", i);
        assert_int_equal(pc_client_query_async(c, &q, 5000, on_result, &x[i], NULL), 0);
    }
    while (fired < 8) {
        struct pollfd p = {pc_client_fd(c), POLLIN, 0};
        assert_int_equal(poll(&p, 1, 3000), 1);
        fired += pc_client_process(c);
    }
    for (int i = 0; i < 8; i++) {
        assert_int_equal(x[i].calls, 1);
        assert_int_equal(x[i].err, 0);
        assert_string_equal(x[i].raw, names[i]);
    }
    assert_int_equal(pc_client_ping(c, 2000, &ping), 0);
    assert_string_equal(ping.version, "fakesrv 1");
    assert_int_equal(ping.proto_version, 1);
    pc_client_destroy(c);
    fake_stop(&f);

    fake_start_record(&f, 1);
    c = client_for(f.path);
    assert_int_equal(pc_client_dkim(c, "sel", "x.example", 2000, &r), 0);
    assert_int_equal(r->rtype, PC_RT_DKIM);
    assert_int_equal(r->outcome, PC_OUTCOME_FOUND);
    assert_int_equal(r->dnssec, PC_DNSSEC_SECURE);
    assert_int_equal(r->cache, PC_CACHE_HIT);
    assert_int_equal(r->ttl, 3600);
    assert_int_equal(r->age, 12);
    assert_string_equal(r->qname, "x.example");
    assert_string_equal(r->raw, "x.example");
    assert_int_equal(r->raw_len, 9);
    assert_int_equal(r->nfields, 2);
    assert_string_equal(r->fields[0].name, "p");
    assert_string_equal(r->fields[0].value, "reject");
    assert_int_equal(r->fields[0].value_len, 6);
    assert_int_equal(r->fields[0].in_record, 1);
    assert_int_equal(r->fields[1].in_record, 0);
    assert_string_equal(pc_result_field(r, "sp"), "reject");
    assert_null(pc_result_field(r, "rua"));
    assert_int_equal(r->nwarnings, 1);
    assert_string_equal(r->warnings[0], "no-rua: no rua tag");
    assert_string_equal(r->why, "");
    pc_result_free(r);
    pc_client_destroy(c);
    fake_stop(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_args),
        cmocka_unit_test(test_socket_path),
        cmocka_unit_test(test_unavailable),
        cmocka_unit_test(test_timeout_blocking),
        cmocka_unit_test(test_timeout_poll_loop),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_backpressure),
        cmocka_unit_test(test_refused_and_broken),
        cmocka_unit_test(test_out_of_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
