/*
 * test_prod_bounds.c - every bound of polcached hit end to end, while
 * another client goes on being served (a ping, a cache hit): garbage
 * frames; a client that never reads its replies (max-buffer-per-
 * connection, and idle-timeout once its replies stop moving); too many requests in flight on one connection (PC_EBUSY);
 * 1,000 idle connections, max-connections (PC_EBUSY) and idle-timeout;
 * a burst of 5,000 random names with a low max-upstream (PC_EBUSY) and a
 * low cache-insert-rate (answers served, not cached). Each hit is
 * counted in the stats.
 */
#include <errno.h>
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
#include <unistd.h>

#include <cmocka.h>

#include "daemon_proc.h"
#include "pcclient.h"
#include "polcache/error.h"
#include "polcache/types.h"
#include "produtil.h"
#include "testutil.h"

#define IDLE_CONNS 1000
#define EXTRA_CONNS 20
#define MAX_CONNS 1010
#define BURST 5000
#define BURST_CONNS 5
#define BURST_CHUNK 100
#define INSERT_RATE 2

static dproc_t A; /* the small limits */
static tc_t *good;

static const char *user_line(void)
{
    return getuid() == 0 ? "user: root\n" : "";
}

static int setup(void **state)
{
    char conf[2000];
    (void)state;

    if (pu_raise_nofile(IDLE_CONNS + EXTRA_CONNS + 100) != 0) {
        printf("SKIPPED: the open-file hard limit is below %d\n", IDLE_CONNS + EXTRA_CONNS + 100);
        exit(PC_TEST_SKIP);
    }
    dproc_init(&A, NULL);
    snprintf(conf, sizeof(conf),
             "%s%smax-connections: %d\nmax-requests-per-connection: 8\n"
             "max-buffer-per-connection: 128K\nidle-timeout: 3\n",
             user_line(), dproc_world_conf(), MAX_CONNS);
    pu_write_conf(&A, conf);
    dproc_start(&A);
    good = malloc(sizeof(*good));
    return good == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    free(good);
    assert_int_equal(dproc_stop(&A), 0);
    dproc_cleanup(&A);
    return 0;
}

/* A fresh connection that answers a ping: the others are still served. */
static void served(uint32_t id)
{
    assert_int_equal(tc_connect(good, A.sock, 2000), 0);
    assert_int_equal(pu_ping(good, id, 5000), 0);
    tc_close(good);
}

static void test_garbage_frames(void **state)
{
#define G(s) {s, sizeof(s) - 1}
    static const struct { const char *p; size_t n; } garbage[] = {
        G("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
        G("\x50\x43\x09\x01\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00"), /* version 9 */
        G("\x50\x43\x01\x02\x00\x00\x00\x00\x00\x00\x00\x02\x7f\xff\xff\xff"), /* 2 GB */
        G("\x50\x43\x01\x02\x00\x00\xff\xff\x00\x00\x00\x03\x00\x00\x00\x00"), /* reserved */
        G("\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8\xf7\xf6\xf5\xf4\xf3\xf2\xf1\xf0\xef"),
    };
#undef G
    tc_t *bad = malloc(sizeof(*bad));
    long long before = pu_stat(A.sock, "requests.bad");
    (void)state;

    assert_int_equal(tc_connect(good, A.sock, 2000), 0);
    for (size_t i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++) {
        assert_int_equal(tc_connect(bad, A.sock, 2000), 0);
        assert_int_equal(tc_send(bad, garbage[i].p, garbage[i].n), 0);
        assert_int_equal(tc_read(bad, 5000), 0);
        assert_true(pu_error_code(bad) < 0);
        assert_int_equal(tc_read(bad, 5000), -1000); /* closed: the header cannot be trusted */
        tc_close(bad);
        assert_int_equal(pu_ping(good, (uint32_t)(10 + i), 5000), 0);
    }
    tc_close(good);
    assert_true(pu_stat(A.sock, "requests.bad") >= before + 5);
    free(bad);
}

static void test_client_never_reads(void **state)
{
    tc_t *slow = malloc(sizeof(*slow));
    uint8_t *frames = malloc(4000 * PC_WIRE_HDR_LEN);
    long long before = pu_stat(A.sock, "connections.slow_closed");
    (void)state;

    /* 4000 STATS requests (about 8 MB of replies), never reading one */
    for (uint32_t i = 0; i < 4000; i++) {
        pc_hdr_t h = {PC_WIRE_VERSION, PC_MSG_STATS, 0, i + 1, 0};
        pc_hdr_encode(&h, frames + (size_t)i * PC_WIRE_HDR_LEN);
    }
    assert_int_equal(tc_connect(slow, A.sock, 2000), 0);
    (void)tc_send(slow, frames, 4000 * PC_WIRE_HDR_LEN); /* may fail once cut off */
    assert_true(pu_wait_stat(A.sock, "connections.slow_closed", before + 1, 10000) >= before + 1);
    served(20);
    assert_true(pu_log_has(&A, "unread replies (max-buffer-per-connection)"));
    tc_close(slow);
    free(slow);
    free(frames);
}

/* A client that reads nothing while its replies stay under the buffer limit:
 * polcached stops reading it, and when its replies have not moved for
 * idle-timeout, closes it. The client sends small batches until its own
 * sends block (EAGAIN): then the daemon has stopped reading it, whatever
 * the size of the kernel's socket buffers. */
static void test_client_stalls(void **state)
{
    tc_t *slow = malloc(sizeof(*slow));
    uint8_t frames[5 * PC_WIRE_HDR_LEN];
    long long before = pu_stat(A.sock, "connections.slow_closed");
    uint32_t id = 1;
    int batches = 0, full = 0;
    (void)state;

    assert_int_equal(tc_connect(slow, A.sock, 2000), 0);
    while (!full && batches < 20000) {
        /* 5 STATS requests, about 10 KB of replies */
        for (uint32_t i = 0; i < 5; i++) {
            pc_hdr_t h = {PC_WIRE_VERSION, PC_MSG_STATS, 0, id++, 0};
            pc_hdr_encode(&h, frames + (size_t)i * PC_WIRE_HDR_LEN);
        }
        if (send(slow->fd, frames, sizeof(frames), MSG_DONTWAIT | MSG_NOSIGNAL) !=
            (ssize_t)sizeof(frames))
            full = errno == EAGAIN || errno == EWOULDBLOCK;
        batches++;
        usleep(2000);
    }
    if (!full)
        fail_msg("sent %d batches and polcached still reads: is it cut off?", batches);
    served(25); /* meanwhile */
    assert_true(pu_wait_stat(A.sock, "connections.slow_closed", before + 1, 10000) >= before + 1);
    assert_true(pu_log_has(&A, "it has not read its replies for 3000 ms (idle-timeout)"));
    served(26);
    tc_close(slow);
    free(slow);
}

static void test_inflight_per_connection(void **state)
{
    tc_t *c = malloc(sizeof(*c));
    pc_wbuf_t b;
    char name[64];
    int busy = 0, answered = 0;
    long long before = pu_stat(A.sock, "requests.busy");
    (void)state;

    /* 40 misses pipelined in one write: 8 wait upstream, the rest are busy */
    pc_wbuf_init(&b, 0);
    for (uint32_t i = 0; i < 40; i++) {
        snprintf(name, sizeof(name), "inflight-%u-%d.insecure.pcw", i, (int)getpid());
        pc_wbuf_frame_begin(&b, PC_MSG_DMARC, 0, 100 + i);
        pc_wbuf_str(&b, PC_T_DOMAIN, name);
        assert_int_equal(pc_wbuf_frame_end(&b), 0);
    }
    assert_int_equal(tc_connect(c, A.sock, 2000), 0);
    assert_int_equal(tc_send_wbuf(c, &b), 0);
    pc_wbuf_free(&b);
    for (int i = 0; i < 40; i++) {
        assert_int_equal(tc_read(c, 10000), 0);
        if (pu_error_code(c) == PC_EBUSY)
            busy++;
        else if (tc_u8(c, PC_T_OUTCOME) == PC_OUTCOME_NXDOMAIN)
            answered++;
    }
    assert_int_equal(busy + answered, 40);
    assert_true(busy >= 1);
    assert_true(answered >= 8);
    assert_int_equal(pu_stat(A.sock, "requests.busy"), before + busy);
    /* the same connection is served again once its requests are answered */
    assert_int_equal(pu_ping(c, 1, 5000), 0);
    tc_close(c);
    free(c);
    served(30);
}

/* A bare connection: socket and connect, nothing more. */
static int raw_connect(const char *path)
{
    struct sockaddr_un sa;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return -1;
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(sa.sun_path)) {
        close(fd);
        return -1;
    }
    memcpy(sa.sun_path, path, strlen(path) + 1);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* What happened to a bare connection within timeout_ms: 1 an error frame
 * PC_EBUSY then EOF, 0 EOF without a frame, -1 nothing or something else. */
static int raw_fate(int fd, unsigned timeout_ms)
{
    uint8_t buf[256];
    size_t len = 0;
    uint64_t end = pu_now_ms() + timeout_ms;

    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        uint64_t now = pu_now_ms();
        ssize_t r;
        if (now >= end || poll(&p, 1, (int)(end - now)) <= 0)
            return -1;
        r = recv(fd, buf + len, sizeof(buf) - len, 0);
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        len += (size_t)r;
        if (len == sizeof(buf))
            return -1;
    }
    if (len == 0)
        return 0;
    {
        pc_msg_t m;
        const pc_tlv_t *t;
        if (pc_msg_decode(buf, len, &m) != 0 || m.hdr.type != PC_MSG_ERROR_REPLY)
            return -1;
        t = pc_msg_find(&m, PC_T_ERROR_CODE);
        return t != NULL && (int)pc_tlv_i32(t) == PC_EBUSY ? 1 : -1;
    }
}

static void test_idle_connections(void **state)
{
    int *fds = malloc((IDLE_CONNS + EXTRA_CONNS) * sizeof(int));
    long long idle_before = pu_stat(A.sock, "connections.idle_closed");
    long long refused_before = pu_stat(A.sock, "connections.refused");
    int refused = 0, idle = 0;
    uint64_t t0, rtt;
    (void)state;

    for (int i = 0; i < IDLE_CONNS; i++) {
        fds[i] = raw_connect(A.sock);
        assert_true(fds[i] >= 0);
    }
    assert_true(pu_wait_stat(A.sock, "connections.open", IDLE_CONNS + 1, 5000) >= IDLE_CONNS + 1);
    /* another client is served while 1000 connections sit idle */
    assert_int_equal(tc_connect(good, A.sock, 2000), 0);
    t0 = pu_now_ms();
    assert_int_equal(pu_ping(good, 40, 5000), 0);
    rtt = pu_now_ms() - t0;
    assert_int_equal(tc_send_record(good, PC_MSG_DMARC, 41, 0, "secure.pcw", NULL), 0);
    assert_int_equal(tc_read(good, 10000), 0);
    assert_int_equal(tc_u8(good, PC_T_OUTCOME), PC_OUTCOME_FOUND);
    tc_close(good);
    printf("ping with %d idle connections: %llu ms\n", IDLE_CONNS, (unsigned long long)rtt);

    /* beyond max-connections: PC_EBUSY and closed; those that fit go idle */
    for (int i = IDLE_CONNS; i < IDLE_CONNS + EXTRA_CONNS; i++) {
        fds[i] = raw_connect(A.sock);
        assert_true(fds[i] >= 0);
    }
    for (int i = IDLE_CONNS; i < IDLE_CONNS + EXTRA_CONNS; i++) {
        int fate = raw_fate(fds[i], 6000);
        assert_true(fate >= 0);
        refused += fate == 1;
        idle += fate == 0;
    }
    assert_true(refused >= 1); /* about EXTRA_CONNS - (MAX_CONNS - IDLE_CONNS) */
    assert_int_equal(pu_stat(A.sock, "connections.refused"), refused_before + refused);

    /* idle-timeout (3 s) closes the idle ones */
    assert_true(pu_wait_stat(A.sock, "connections.idle_closed", idle_before + IDLE_CONNS + idle,
                             10000) >= idle_before + IDLE_CONNS + idle);
    for (int i = 0; i < IDLE_CONNS; i++) {
        assert_int_equal(raw_fate(fds[i], 2000), 0);
        close(fds[i]);
    }
    for (int i = IDLE_CONNS; i < IDLE_CONNS + EXTRA_CONNS; i++)
        close(fds[i]);
    assert_true(pu_log_has(&A, "connections open (max-connections); refusing"));
    served(42);
    free(fds);
}

static void test_burst_of_random_names(void **state)
{
    tc_t *burst[BURST_CONNS], *p = malloc(sizeof(*p));
    char conf[2000], name[80];
    dproc_t B;
    pc_wbuf_t b;
    int busy = 0, answered = 0, sent[BURST_CONNS] = {0};
    uint64_t t0, max_rtt = 0, elapsed;
    long long entries0, entries1, limited;
    unsigned seed = (unsigned)getpid();
    (void)state;

    dproc_init(&B, NULL);
    snprintf(conf, sizeof(conf), "%s%smax-upstream: 20\ncache-insert-rate: %d\n", user_line(),
             dproc_world_conf(), INSERT_RATE);
    pu_write_conf(&B, conf);
    dproc_start(&B);
    assert_int_equal(tc_connect(p, B.sock, 2000), 0);
    assert_int_equal(tc_send_record(p, PC_MSG_DMARC, 1, 0, "secure.pcw", NULL), 0);
    assert_int_equal(tc_read(p, 10000), 0); /* now cached */
    usleep(1100000);                        /* the insert bucket is full again */
    entries0 = pu_stat(B.sock, "cache.entries");
    for (int i = 0; i < BURST_CONNS; i++) {
        burst[i] = malloc(sizeof(*burst[i]));
        assert_int_equal(tc_connect(burst[i], B.sock, 2000), 0);
    }
    pc_wbuf_init(&b, 0);
    t0 = pu_now_ms();
    for (int n = 0; n < BURST;) {
        uint64_t q;
        for (int k = 0; k < BURST_CHUNK; k++, n++) {
            int ci = n % BURST_CONNS;
            snprintf(name, sizeof(name), "r%08x-%d.insecure.pcw", rand_r(&seed), n);
            pc_wbuf_frame_begin(&b, PC_MSG_DMARC, 0, (uint32_t)n + 1);
            pc_wbuf_str(&b, PC_T_DOMAIN, name);
            assert_int_equal(pc_wbuf_frame_end(&b), 0);
            assert_int_equal(tc_send_wbuf(burst[ci], &b), 0);
            sent[ci]++;
        }
        /* another client throughout: a ping and a cache hit */
        q = pu_now_ms();
        assert_int_equal(pu_ping(p, 2, 5000), 0);
        assert_int_equal(tc_send_record(p, PC_MSG_DMARC, 3, 0, "secure.pcw", NULL), 0);
        assert_int_equal(tc_read(p, 5000), 0);
        assert_int_equal(tc_u8(p, PC_T_CACHE), PC_CACHE_HIT);
        if (pu_now_ms() - q > max_rtt)
            max_rtt = pu_now_ms() - q;
    }
    pc_wbuf_free(&b);
    for (int i = 0; i < BURST_CONNS; i++) {
        for (int k = 0; k < sent[i]; k++) {
            assert_int_equal(tc_read(burst[i], 15000), 0);
            if (pu_error_code(burst[i]) == PC_EBUSY)
                busy++;
            else if (burst[i]->msg.hdr.type == (PC_MSG_DMARC | PC_MSG_REPLY))
                answered++;
        }
        tc_close(burst[i]);
        free(burst[i]);
    }
    elapsed = pu_now_ms() - t0;
    entries1 = pu_stat(B.sock, "cache.entries");
    limited = pu_stat(B.sock, "cache.insert_limited");
    printf("burst: %d names in %llu ms: %d answered, %d busy; cache +%lld entries, %lld not "
           "cached; slowest ping+hit %llu ms\n",
           BURST, (unsigned long long)elapsed, answered, busy, entries1 - entries0, limited,
           (unsigned long long)max_rtt);
    assert_int_equal(busy + answered, BURST);
    assert_true(busy > 0);
    assert_true(answered >= 20);
    assert_int_equal(pu_stat(B.sock, "upstream.busy"), busy);
    /* served, but at most INSERT_RATE per second (plus the burst) cached */
    assert_true(limited > 0);
    assert_true(entries1 - entries0 <= (long long)(INSERT_RATE * (elapsed / 1000 + 2)));
    assert_true(max_rtt < 2000);
    assert_int_equal(pu_ping(p, 4, 5000), 0);
    tc_close(p);
    free(p);
    assert_int_equal(dproc_stop(&B), 0);
    dproc_cleanup(&B);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_garbage_frames),
        cmocka_unit_test(test_client_never_reads),
        cmocka_unit_test(test_client_stalls),
        cmocka_unit_test(test_inflight_per_connection),
        cmocka_unit_test(test_idle_connections),
        cmocka_unit_test(test_burst_of_random_names),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
