/*
 * test_evict.c - eviction through the real polcached, against the signed
 * test world, with the smallest map the configuration allows (1 MiB):
 *
 *  - hot names, looked up FIRST, are asked for on a second connection while
 *    a flood of random names under secure.pcw (NXDOMAIN, each a cache
 *    write) fills the map several times over on a first one; a third
 *    connection pings throughout. Every hot lookup must be a hit: FIFO
 *    eviction would have dropped the hot names first, random eviction most
 *    of them at least once. The deterministic, larger version of this is
 *    tests/unit/test_cache_lru.c.
 *  - MDB_MAP_FULL on purpose: a process holds a read transaction on the
 *    cache file, so no page the daemon frees can be reused; with a stale
 *    reader (the process was killed) the daemon clears the slot, with a
 *    live one it rebuilds the file; either way every request is answered.
 */
#include <lmdb.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon_proc.h"
#include "pcclient.h"
#include "polcache/error.h"
#include "polcache/types.h"
#include "testutil.h"

#define NHOT 24
#define FLOOD 256          /* requests in flight per round */
#define BUDGET_SECS 90     /* the flood gives up after this */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long long stat_of(tc_t *c, const char *name)
{
    pc_hdr_t h = {PC_WIRE_VERSION, PC_MSG_STATS, 0, 99, 0};
    uint8_t f[PC_WIRE_HDR_LEN];

    pc_hdr_encode(&h, f);
    if (tc_send(c, f, sizeof(f)) != 0 || tc_read(c, 5000) != 0)
        return -1;
    return tc_stat(c, name);
}

static int ping(tc_t *c, uint32_t id)
{
    pc_hdr_t h = {PC_WIRE_VERSION, PC_MSG_PING, 0, id, 0};
    uint8_t f[PC_WIRE_HDR_LEN];

    pc_hdr_encode(&h, f);
    if (tc_send(c, f, sizeof(f)) != 0 || tc_read(c, 5000) != 0)
        return -1;
    return c->msg.hdr.type == (PC_MSG_PING | PC_MSG_REPLY) && c->msg.hdr.id == id ? 0 : -1;
}

/* The hot set: real records of the world and names that do not exist. */
static void hot_name(int i, char *out, size_t cap, uint8_t *type, int *outcome)
{
    static const struct {
        uint8_t type;
        const char *domain;
        int outcome;
    } real[] = {
        {PC_MSG_DMARC, "secure.pcw", PC_OUTCOME_FOUND},
        {PC_MSG_SPF, "secure.pcw", PC_OUTCOME_FOUND},
        {PC_MSG_DMARC, "insecure.pcw", PC_OUTCOME_FOUND},
        {PC_MSG_SPF, "insecure.pcw", PC_OUTCOME_FOUND},
        {PC_MSG_DMARC, "cname.secure.pcw", PC_OUTCOME_FOUND},
        {PC_MSG_SPF, "twospf.secure.pcw", PC_OUTCOME_PERMERROR},
        {PC_MSG_SPF, "nodata.secure.pcw", PC_OUTCOME_NORECORD},
        {PC_MSG_DMARC, "twodmarc.secure.pcw", PC_OUTCOME_NORECORD},
    };
    if ((size_t)i < sizeof(real) / sizeof(real[0])) {
        snprintf(out, cap, "%s", real[i].domain);
        *type = real[i].type;
        *outcome = real[i].outcome;
    } else {
        snprintf(out, cap, "hot%d.secure.pcw", i);
        *type = PC_MSG_SPF;
        *outcome = PC_OUTCOME_NXDOMAIN;
    }
}

/* Ask every hot name once on c; returns how many were not cache hits.
 * Any other outcome than the expected one fails the test. */
static int ask_hot(tc_t *c, uint32_t base)
{
    char name[64];
    uint8_t type;
    int outcome, misses = 0;

    for (int i = 0; i < NHOT; i++) {
        hot_name(i, name, sizeof(name), &type, &outcome);
        assert_int_equal(tc_send_record(c, type, base + (uint32_t)i, 0, name, NULL), 0);
        assert_int_equal(tc_read(c, 10000), 0);
        assert_int_equal(c->msg.hdr.id, base + (uint32_t)i);
        if (tc_u8(c, PC_T_OUTCOME) != outcome)
            fail_msg("hot %s: outcome %ld, expected %d", name, tc_u8(c, PC_T_OUTCOME), outcome);
        misses += tc_u8(c, PC_T_CACHE) != PC_CACHE_HIT;
    }
    return misses;
}

/* Send n requests for fresh random names under secure.pcw, in one write. */
static void flood_send(tc_t *c, unsigned round, unsigned n)
{
    char name[64];
    pc_wbuf_t b;

    pc_wbuf_init(&b, 1u << 20);
    for (unsigned i = 0; i < n; i++) {
        snprintf(name, sizeof(name), "%08x-%u.secure.pcw",
                 (unsigned)((round * 7919u + i) * 2654435761u), i % 10);
        pc_wbuf_frame_begin(&b, PC_MSG_SPF, 0, round * 100000u + i);
        pc_wbuf_str(&b, PC_T_DOMAIN, name);
        assert_int_equal(pc_wbuf_frame_end(&b), 0);
    }
    assert_int_equal(tc_send_wbuf(c, &b), 0);
    pc_wbuf_free(&b);
}

/* Read n flood replies: each NXDOMAIN (secure), or a temporary failure if
 * the daemon is shedding load; returns the NXDOMAIN count. */
static unsigned flood_read(tc_t *c, unsigned n)
{
    unsigned nx = 0;

    for (unsigned i = 0; i < n; i++) {
        assert_int_equal(tc_read(c, 20000), 0);
        if (c->msg.hdr.type != (PC_MSG_SPF | PC_MSG_REPLY))
            fail_msg("flood reply of type %u", c->msg.hdr.type);
        if (tc_u8(c, PC_T_OUTCOME) == PC_OUTCOME_NXDOMAIN) {
            assert_int_equal(tc_u8(c, PC_T_DNSSEC), PC_DNSSEC_SECURE);
            nx++;
        } else {
            assert_int_equal(tc_u8(c, PC_T_OUTCOME), PC_OUTCOME_TEMPFAIL);
        }
    }
    return nx;
}

static const char *conf_lines(char *buf, size_t cap)
{
    snprintf(buf, cap,
             "%smap-size: 1M\ncache-insert-rate: 0\nttl-min: 1h\nnegative-ttl-min: 1h\n"
             "negative-ttl-max: 1h\n",
             dproc_world_conf());
    return buf;
}

static void test_hot_names_survive_a_flood(void **state)
{
    tc_t *flood = malloc(sizeof(*flood)), *hot = malloc(sizeof(*hot)),
         *other = malloc(sizeof(*other));
    long long most = 0, evicted = 0, entries;
    unsigned round, nx = 0, hot_misses = 0;
    double t0;
    char conf[1600];
    dproc_t d;
    (void)state;

    dproc_init(&d, conf_lines(conf, sizeof(conf)));
    dproc_start(&d);
    assert_int_equal(tc_connect(flood, d.sock, 2000), 0);
    assert_int_equal(tc_connect(hot, d.sock, 2000), 0);
    assert_int_equal(tc_connect(other, d.sock, 2000), 0);
    /* the hot names go in first: the oldest entries of the cache */
    assert_int_equal(ask_hot(hot, 1), NHOT);
    assert_int_equal(ask_hot(hot, 1), 0);
    t0 = now_s();
    for (round = 1; now_s() - t0 < BUDGET_SECS; round++) {
        flood_send(flood, round, FLOOD);
        /* while the flood is being resolved: the hot names, and a ping */
        hot_misses += (unsigned)ask_hot(hot, 1000 + round * 100);
        assert_int_equal(ping(other, round), 0);
        nx += flood_read(flood, FLOOD);
        entries = stat_of(other, "cache.entries");
        evicted = tc_stat(other, "cache.evicted");
        if (entries > most)
            most = entries;
        if (evicted > 3 * most && round >= 8)
            break;
    }
    print_message("%u rounds in %.1f s: %u names resolved, at most %lld entries, %lld evicted "
                  "in %lld runs, map full %lld\n", round, now_s() - t0, nx, most, evicted,
                  stat_of(other, "cache.evict_runs"), tc_stat(other, "cache.map_full"));
    assert_true(evicted > 3 * most); /* filled several times over */
    assert_int_equal(hot_misses, 0);
    assert_int_equal(ask_hot(hot, 900000), 0);
    assert_true(nx > 3 * (unsigned)most);
    assert_int_equal(stat_of(other, "cache.rebuilds"), 0);
    assert_int_equal(tc_stat(other, "cache.drops"), 0);
    tc_close(flood);
    tc_close(hot);
    tc_close(other);
    assert_int_equal(dproc_stop(&d), 0);
    dproc_cleanup(&d);
    free(flood);
    free(hot);
    free(other);
}

static pid_t pinned; /* the reader process, killed by teardown if a test fails */

/* A process that opens the daemon's cache file, takes a read snapshot and
 * waits; killed, it leaves a stale reader slot behind. */
static pid_t pin_reader(const char *dir)
{
    int p[2];
    char ch;
    pid_t pid;

    assert_int_equal(pipe(p), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        MDB_env *env;
        MDB_txn *txn;
        if (mdb_env_create(&env) != 0 || mdb_env_set_maxdbs(env, 4) != 0 ||
            mdb_env_set_mapsize(env, 1u << 20) != 0 ||
            mdb_env_open(env, dir, MDB_RDONLY, 0640) != 0 ||
            mdb_txn_begin(env, NULL, MDB_RDONLY, &txn) != 0)
            _exit(1);
        if (write(p[1], "r", 1) != 1)
            _exit(1);
        pause();
        _exit(0);
    }
    pinned = pid;
    close(p[1]);
    assert_int_equal(read(p[0], &ch, 1), 1);
    close(p[0]);
    return pid;
}

static void unpin(pid_t pid)
{
    int st;
    kill(pid, SIGKILL);
    assert_int_equal(waitpid(pid, &st, 0), pid);
    pinned = 0;
}

static int unpin_teardown(void **state)
{
    (void)state;
    if (pinned > 0)
        unpin(pinned);
    return 0;
}

/* Flood until the stats counter name exceeds its value at the start (or
 * rounds run out); every reply is checked. Returns the last round. */
static unsigned flood_until(tc_t *flood, tc_t *other, unsigned first, const char *name)
{
    long long before = stat_of(other, name);
    unsigned round;

    for (round = first; round < first + 60; round++) {
        flood_send(flood, round, FLOOD);
        assert_int_equal(ping(other, round), 0);
        (void)flood_read(flood, FLOOD);
        if (stat_of(other, name) > before)
            break;
    }
    return round;
}

static void test_map_full_keeps_serving(void **state)
{
    tc_t *flood = malloc(sizeof(*flood)), *hot = malloc(sizeof(*hot)),
         *other = malloc(sizeof(*other));
    unsigned round;
    char conf[1600];
    dproc_t d;
    pid_t pid;
    (void)state;

    dproc_init(&d, conf_lines(conf, sizeof(conf)));
    dproc_start(&d);
    assert_int_equal(tc_connect(flood, d.sock, 2000), 0);
    assert_int_equal(tc_connect(hot, d.sock, 2000), 0);
    assert_int_equal(tc_connect(other, d.sock, 2000), 0);
    assert_int_equal(ask_hot(hot, 1), NHOT);
    assert_int_equal(ask_hot(hot, 100), 0); /* hits: stamped as used */

    /* a reader that died holding a snapshot: cleared when the map fills */
    pid = pin_reader(d.state);
    unpin(pid);
    round = flood_until(flood, other, 1, "cache.map_full");
    assert_true(stat_of(other, "cache.map_full") > 0);
    assert_int_equal(tc_stat(other, "cache.stale_readers"), 1);
    assert_int_equal(tc_stat(other, "cache.rebuilds"), 0);
    assert_int_equal(ask_hot(hot, 1000), 0); /* nothing hot was lost */

    /* a live reader holding a snapshot: nothing can be freed; eviction,
     * then a drop, then a new file, and requests are answered all along */
    pid = pin_reader(d.state);
    (void)flood_until(flood, other, round + 1, "cache.rebuilds");
    assert_true(stat_of(other, "cache.map_full") > 1);
    assert_int_equal(tc_stat(other, "cache.rebuilds"), 1);
    unpin(pid);
    (void)ask_hot(hot, 2000); /* refills: the rebuilt cache is empty */
    assert_int_equal(ask_hot(hot, 3000), 0);
    assert_int_equal(ping(other, 7), 0);
    tc_close(flood);
    tc_close(hot);
    tc_close(other);
    assert_int_equal(dproc_stop(&d), 0);
    dproc_cleanup(&d);
    free(flood);
    free(hot);
    free(other);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_hot_names_survive_a_flood, unpin_teardown),
        cmocka_unit_test_teardown(test_map_full_keeps_serving, unpin_teardown),
    };
    pc_test_world_load();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
