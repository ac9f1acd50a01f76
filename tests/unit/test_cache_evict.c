/*
 * test_cache_evict.c - unit tests of access stamps and eviction
 * (daemon/evict.c, daemon/touchset.c): the touch set; stamps of new,
 * replaced and touched entries, written in batches and never one write per
 * hit; eviction order by stamp with expired entries first; bounded steps
 * that keep a small map from ever filling under a flood; MDB_MAP_FULL
 * caused by a stale reader (cleared) and by a live one (dropped or rebuilt,
 * and the cache keeps working); the periodic stale-reader check. The
 * scenario with the lookup engine is test_cache_lru.c.
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
#include <unistd.h>

#include <cmocka.h>

#include "cache.h"
#include "cache_testutil.h"
#include "evict.h"
#include "log.h"
#include "polcache/error.h"
#include "touchset.h"

#define MIN_NOW ((uint32_t)(CT_NOW / 60))

/* Reopen with the fixture's fake clock and the given map and options. */
static void reopen_clocked(ct_fix_t *f, size_t map, unsigned evict_at, unsigned batch)
{
    f->opts.clock = ct_clock;
    f->opts.clock_arg = f;
    f->opts.evict_at = evict_at;
    f->opts.evict_batch = batch;
    f->opts.nosync = 1; /* thousands of commits: no fsync each */
    ct_reopen(f, map);
}

static void test_touchset(void **state)
{
    pc_touchset_t *t = NULL;
    uint8_t key[PC_TOUCHSET_KEY_MAX + 1];
    (void)state;

    assert_int_equal(pc_touchset_new(NULL, 4), PC_EINVAL);
    assert_int_equal(pc_touchset_new(&t, 0), PC_EINVAL);
    assert_null(t);
    assert_int_equal(pc_touchset_new(&t, 4), 0);
    assert_int_equal(pc_touchset_cap(t), 4);
    memset(key, 'k', sizeof(key));
    assert_int_equal(pc_touchset_add(t, key, 0, 1), PC_EINVAL);
    assert_int_equal(pc_touchset_add(t, key, sizeof(key), 1), PC_EINVAL);
    assert_int_equal(pc_touchset_add(NULL, key, 1, 1), PC_EINVAL);
    for (uint8_t i = 1; i <= 4; i++)
        assert_int_equal(pc_touchset_add(t, &i, 1, 10u * i), 0);
    /* a key already present keeps the larger stamp; a fifth key is refused */
    key[0] = 2;
    assert_int_equal(pc_touchset_add(t, key, 1, 5), 0);
    assert_int_equal(pc_touchset_add(t, key, 1, 25), 0);
    assert_int_equal(pc_touchset_count(t), 4);
    key[0] = 9;
    assert_int_equal(pc_touchset_add(t, key, 1, 1), PC_ETOOBIG);
    assert_int_equal(pc_touchset_add(t, key, PC_TOUCHSET_KEY_MAX, 1), PC_ETOOBIG);
    assert_int_equal(pc_touchset_each(t, NULL, NULL), 0);
    for (uint8_t i = 1; i <= 4; i++) {
        key[0] = i;
        assert_int_equal(pc_touchset_add(t, key, 1, 0), 0); /* present: no change */
    }
    assert_int_equal(pc_touchset_count(t), 4);
    pc_touchset_clear(t);
    assert_int_equal(pc_touchset_count(t), 0);
    key[0] = 9;
    assert_int_equal(pc_touchset_add(t, key, 1, 7), 0);
    assert_int_equal(pc_touchset_count(t), 1);
    pc_touchset_free(t);
    pc_touchset_free(NULL);
    pc_touchset_clear(NULL);
    assert_int_equal(pc_touchset_count(NULL), 0);
}

static int sum_cb(void *arg, const uint8_t *key, size_t klen, uint32_t stamp)
{
    uint32_t *s = arg;
    assert_int_equal(klen, 1);
    *s = *s * 100 + key[0] * 10 + stamp / 10;
    return stamp == 99 ? 7 : 0;
}

static void test_touchset_walk(void **state)
{
    pc_touchset_t *t = NULL;
    uint32_t s = 0;
    uint8_t k;
    (void)state;

    assert_int_equal(pc_touchset_new(&t, 1000), 0);
    for (k = 1; k <= 3; k++)
        assert_int_equal(pc_touchset_add(t, &k, 1, 10u * k), 0);
    assert_int_equal(pc_touchset_each(t, sum_cb, &s), 0);
    assert_int_equal(s, ((11 * 100) + 22) * 100 + 33); /* insertion order */
    k = 4;
    assert_int_equal(pc_touchset_add(t, &k, 1, 99), 0);
    s = 0;
    assert_int_equal(pc_touchset_each(t, sum_cb, &s), 7); /* stopped by the callback */
    /* many keys: all found again after collisions */
    for (unsigned i = 0; i < 996; i++) {
        uint8_t kk[4] = {(uint8_t)(i >> 8), (uint8_t)i, 'x', 'y'};
        assert_int_equal(pc_touchset_add(t, kk, sizeof(kk), i), 0);
    }
    assert_int_equal(pc_touchset_count(t), 1000);
    for (unsigned i = 0; i < 996; i++) {
        uint8_t kk[4] = {(uint8_t)(i >> 8), (uint8_t)i, 'x', 'y'};
        assert_int_equal(pc_touchset_add(t, kk, sizeof(kk), 0), 0); /* present */
    }
    pc_touchset_free(t);
}

static void test_stamps(void **state)
{
    ct_fix_t *f = *state;
    pc_name_t hot = ct_nm("hot.test");
    uint32_t stamp = 0;
    pc_cval_t v;
    uint8_t *buf;

    reopen_clocked(f, 0, 0, 0);
    /* a new entry starts on probation; an explicit stamp is kept */
    ct_put(f->c, "hot.test", PC_RT_SPF, "x");
    assert_int_equal(ct_put_stamped(f->c, "set.test", PC_RT_SPF, CT_NOW, 300, 1234, "y"), 0);
    assert_true(ct_has(f->c, "hot.test", PC_RT_SPF, &stamp));
    assert_int_equal(stamp, MIN_NOW - PC_EVICT_PROBATION);
    assert_true(ct_has(f->c, "set.test", PC_RT_SPF, &stamp));
    assert_int_equal(stamp, 1234);
    assert_int_equal(pc_cache_commit(f->c), 0);

    /* a hit is remembered, not written */
    assert_int_equal(pc_cache_get(f->c, &hot, PC_RT_SPF, &v, &buf), 0);
    assert_int_equal(pc_cache_touch(f->c, &hot, PC_RT_SPF, &v), 0);
    free(buf);
    assert_int_equal(pc_cache_dirty(f->c), 0);
    assert_int_equal(pc_cache_commit(f->c), 0); /* nothing due: no write */
    assert_true(ct_has(f->c, "hot.test", PC_RT_SPF, &stamp));
    assert_int_equal(stamp, MIN_NOW - PC_EVICT_PROBATION);
    assert_int_equal(ct_stats(f->c).touches, 0);
    /* the next batch carries it */
    ct_put(f->c, "other.test", PC_RT_SPF, "z");
    assert_int_equal(pc_cache_commit(f->c), 0);
    assert_true(ct_has(f->c, "hot.test", PC_RT_SPF, &stamp));
    assert_int_equal(stamp, MIN_NOW);
    assert_int_equal(ct_stats(f->c).touches, 1);
    /* more hits in the same minute write nothing */
    for (int i = 0; i < 100; i++) {
        assert_int_equal(pc_cache_get(f->c, &hot, PC_RT_SPF, &v, &buf), 0);
        assert_int_equal(pc_cache_touch(f->c, &hot, PC_RT_SPF, &v), 0);
        free(buf);
    }
    ct_put(f->c, "other2.test", PC_RT_SPF, "z");
    assert_int_equal(pc_cache_commit(f->c), 0);
    assert_int_equal(ct_stats(f->c).touches, 1);
    /* a refresh of a hot entry keeps its newer stamp */
    ct_put(f->c, "hot.test", PC_RT_SPF, "x2");
    assert_true(ct_has(f->c, "hot.test", PC_RT_SPF, &stamp));
    assert_int_equal(stamp, MIN_NOW);
    /* a stamp from the future is not kept */
    assert_int_equal(ct_put_stamped(f->c, "set.test", PC_RT_SPF, CT_NOW, 300, MIN_NOW + 99, "y"),
                     0);
    ct_put(f->c, "set.test", PC_RT_SPF, "y2");
    assert_true(ct_has(f->c, "set.test", PC_RT_SPF, &stamp));
    assert_int_equal(stamp, MIN_NOW - PC_EVICT_PROBATION);

    /* up to PC_EVICT_TOUCH_AGE minutes later, hits write nothing */
    for (unsigned m = 1; m < PC_EVICT_TOUCH_AGE; m++) {
        f->now += 60;
        assert_int_equal(pc_cache_get(f->c, &hot, PC_RT_SPF, &v, &buf), 0);
        assert_int_equal(pc_cache_touch(f->c, &hot, PC_RT_SPF, &v), 0);
        free(buf);
        ct_put(f->c, "other3.test", PC_RT_SPF, "z");
        assert_int_equal(pc_cache_commit(f->c), 0);
        assert_int_equal(ct_stats(f->c).touches, 1);
        assert_true(ct_has(f->c, "hot.test", PC_RT_SPF, &stamp));
        assert_int_equal(stamp, MIN_NOW);
    }
    /* then a touch is due; one pending at close is written by the close */
    f->now += 60;
    assert_int_equal(pc_cache_get(f->c, &hot, PC_RT_SPF, &v, &buf), 0);
    assert_int_equal(pc_cache_touch(f->c, &hot, PC_RT_SPF, &v), 0);
    free(buf);
    ct_reopen(f, 0);
    assert_true(ct_has(f->c, "hot.test", PC_RT_SPF, &stamp));
    assert_int_equal(stamp, MIN_NOW + PC_EVICT_TOUCH_AGE);

    /* arguments */
    assert_int_equal(pc_cache_touch(NULL, &hot, PC_RT_SPF, &v), PC_EINVAL);
    assert_int_equal(pc_cache_touch(f->c, NULL, PC_RT_SPF, &v), PC_EINVAL);
    assert_int_equal(pc_cache_touch(f->c, &hot, PC_RT_NONE, &v), PC_EINVAL);
    assert_int_equal(pc_cache_touch(f->c, &hot, PC_RT_SPF, NULL), PC_EINVAL);
}

static void test_touches_due(void **state)
{
    ct_fix_t *f = *state;
    char name[64];
    pc_cval_t v = {.stamp = 0};
    int due = 0, i;

    reopen_clocked(f, 0, 0, 0);
    for (i = 0; i < 3000; i++) {
        snprintf(name, sizeof(name), "t%d.test", i);
        ct_put(f->c, name, PC_RT_A, "x");
    }
    assert_int_equal(pc_cache_commit(f->c), 0);
    /* enough pending touches make the cache dirty: the caller commits them */
    for (i = 0; i < 3000 && !due; i++) {
        pc_name_t n;
        snprintf(name, sizeof(name), "t%d.test", i);
        n = ct_nm(name);
        due = pc_cache_touch(f->c, &n, PC_RT_A, &v);
        assert_true(due == 0 || due == 1);
    }
    assert_int_equal(due, 1);
    assert_int_equal(pc_cache_dirty(f->c), 1);
    assert_int_equal(pc_cache_commit(f->c), 0);
    assert_int_equal(pc_cache_dirty(f->c), 0);
    assert_int_equal(ct_stats(f->c).touches, (uint64_t)i);
}

/* Names whose key order does not follow their age. */
static void name_of(char *out, size_t cap, const char *kind, int i)
{
    snprintf(out, cap, "%c%04x-%s.evict.test", 'a' + (i * 7) % 26, (unsigned)(i * 2654435761u) >> 16,
             kind);
}

static void test_evict_order(void **state)
{
    ct_fix_t *f = *state;
    char name[80], raw[200];
    pc_cache_stats_t st;
    int old_left = 0, young_left = 0, dead_left = 0;

    memset(raw, 'v', sizeof(raw) - 1);
    raw[sizeof(raw) - 1] = '\0';
    reopen_clocked(f, 2u << 20, 0, 64);
    /* old (a day), expired beyond the stale window (but recently used) and
     * young entries, mixed in key order */
    for (int i = 0; i < 3000; i++) {
        name_of(name, sizeof(name), i % 3 == 0 ? "dead" : "old", i);
        if (i % 3 == 0)
            assert_int_equal(ct_put_stamped(f->c, name, PC_RT_TXT, CT_NOW - 200000, 60, MIN_NOW,
                                            raw), 0);
        else
            assert_int_equal(ct_put_stamped(f->c, name, PC_RT_TXT, CT_NOW, 3600,
                                            MIN_NOW - 1440, raw), 0);
    }
    assert_int_equal(pc_cache_commit(f->c), 0);
    st = ct_stats(f->c);
    assert_int_equal(st.evict_runs, 0); /* below the high mark so far */
    for (int i = 0; i < 2500; i++) {
        name_of(name, sizeof(name), "young", i);
        assert_int_equal(ct_put_stamped(f->c, name, PC_RT_TXT, CT_NOW, 3600, MIN_NOW, raw), 0);
        assert_int_equal(pc_cache_commit(f->c), 0);
        assert_true(ct_stats(f->c).live_pages < ct_stats(f->c).map_pages);
    }
    st = ct_stats(f->c);
    assert_true(st.evict_runs >= 1);
    assert_true(st.evicted >= 1000);
    assert_int_equal(st.map_full, 0);
    assert_true(st.live_pages <= st.evict_high + st.map_pages / 10);
    for (int i = 0; i < 3000; i++) {
        name_of(name, sizeof(name), i % 3 == 0 ? "dead" : "old", i);
        if (ct_has(f->c, name, PC_RT_TXT, NULL))
            *(i % 3 == 0 ? &dead_left : &old_left) += 1;
    }
    for (int i = 0; i < 2500; i++) {
        name_of(name, sizeof(name), "young", i);
        young_left += ct_has(f->c, name, PC_RT_TXT, NULL);
    }
    /* dead ones first, then old ones; no young one while old ones remain */
    assert_int_equal(dead_left, 0);
    assert_true(old_left < 2000);
    assert_int_equal(young_left, 2500);
    assert_int_equal(st.entries, (uint64_t)(old_left + young_left));
}

static void test_evict_bounded_flood(void **state)
{
    ct_fix_t *f = *state;
    char name[80], raw[120];
    pc_cache_stats_t st, prev;
    uint64_t cap = 0;

    memset(raw, 'f', sizeof(raw) - 1);
    raw[sizeof(raw) - 1] = '\0';
    reopen_clocked(f, 1u << 20, 0, 64);
    prev = ct_stats(f->c);
    /* batches of 40 puts, each followed by a commit: a step deletes at
     * most 32, and the map never fills */
    for (int i = 0; i < 40000; i++) {
        name_of(name, sizeof(name), "flood", i);
        assert_int_equal(ct_put_full(f->c, name, PC_RT_TXT, 0, CT_NOW, 3600, raw), 0);
        if (i % 40 == 39) {
            assert_int_equal(pc_cache_commit(f->c), 0);
            st = ct_stats(f->c);
            assert_true(st.evicted - prev.evicted <= 4 * 80); /* 2 x the puts */
            if (st.entries > cap)
                cap = st.entries;
            prev = st;
            if (i % 400 == 399)
                f->now += 30;
        }
    }
    st = ct_stats(f->c);
    assert_int_equal(st.map_full, 0);
    assert_int_equal(st.drops + st.rebuilds, 0);
    /* filled several times over */
    assert_true(st.evicted > 3 * cap);
    assert_true(st.live_pages < st.map_pages);
    /* the newest survive */
    name_of(name, sizeof(name), "flood", 39999);
    ct_expect(f->c, name, PC_RT_TXT, raw);
}

/* Fork a process that opens the cache's environment, starts a read
 * transaction, writes a byte to fd, and waits to be killed. */
static pid_t reader_child(const char *dir, int fd)
{
    pid_t pid = fork();

    assert_true(pid >= 0);
    if (pid == 0) {
        MDB_env *env;
        MDB_txn *txn;
        if (mdb_env_create(&env) != 0 || mdb_env_set_maxdbs(env, 4) != 0 ||
            mdb_env_open(env, dir, MDB_RDONLY, 0640) != 0 ||
            mdb_txn_begin(env, NULL, MDB_RDONLY, &txn) != 0)
            _exit(1);
        if (write(fd, "r", 1) != 1)
            _exit(1);
        pause();
        _exit(0);
    }
    return pid;
}

static void start_reader(ct_fix_t *f, pid_t *pid)
{
    int p[2];
    char ch;

    assert_int_equal(pipe(p), 0);
    *pid = reader_child(f->dir, p[1]);
    assert_int_equal(read(p[0], &ch, 1), 1);
    close(p[0]);
    close(p[1]);
}

static void stop_reader(pid_t pid)
{
    int st;
    kill(pid, SIGKILL);
    assert_int_equal(waitpid(pid, &st, 0), pid);
}

/* Put and commit up to n entries; returns how many commits failed. */
static int flood(ct_fix_t *f, const char *kind, int n)
{
    char name[80], raw[400];
    int failed = 0;

    memset(raw, 'p', sizeof(raw) - 1);
    raw[sizeof(raw) - 1] = '\0';
    for (int i = 0; i < n; i++) {
        name_of(name, sizeof(name), kind, i);
        if (ct_put_full(f->c, name, PC_RT_TXT, 0, CT_NOW, 3600, raw) != 0) {
            failed++;
            continue;
        }
        if (i % 8 == 7 && pc_cache_commit(f->c) != 0)
            failed++;
    }
    return failed + (pc_cache_commit(f->c) != 0);
}

static void test_map_full_stale_reader(void **state)
{
    ct_fix_t *f = *state;
    pc_cache_stats_t st;
    pid_t pid;

    reopen_clocked(f, 1u << 20, 0, 0);
    (void)flood(f, "before", 200);
    /* a reader that died holding a snapshot: nothing freed after it can be
     * reused, so the file grows until the map is full */
    start_reader(f, &pid);
    stop_reader(pid);
    (void)flood(f, "pinned", 6000);
    st = ct_stats(f->c);
    assert_true(st.map_full >= 1);
    assert_int_equal(st.stale_readers, 1); /* cleared by the map-full path */
    assert_int_equal(st.drops + st.rebuilds, 0);
    /* afterwards eviction keeps up again */
    assert_int_equal(flood(f, "after", 6000), 0);
    st = ct_stats(f->c);
    assert_int_equal(st.stale_readers, 1);
    assert_int_equal(st.drops + st.rebuilds, 0);
    assert_true(st.evicted > 0);
}

static void test_map_full_live_reader(void **state)
{
    ct_fix_t *f = *state;
    pc_cache_stats_t st;
    pid_t pid;
    char name[80];

    reopen_clocked(f, 1u << 20, 0, 0);
    (void)flood(f, "before", 200);
    /* a live reader holding a snapshot: neither eviction nor a drop can
     * free pages; the file is rebuilt and the cache goes on */
    start_reader(f, &pid);
    (void)flood(f, "pinned", 6000);
    st = ct_stats(f->c);
    assert_true(st.map_full >= 1);
    assert_int_equal(st.stale_readers, 0);
    assert_true(st.rebuilds >= 1);
    stop_reader(pid);
    assert_int_equal(flood(f, "after", 300), 0);
    name_of(name, sizeof(name), "after", 299);
    assert_true(ct_has(f->c, name, PC_RT_TXT, NULL));
    ct_reopen(f, 1u << 20);
    assert_true(ct_has(f->c, name, PC_RT_TXT, NULL));
}

static void test_periodic_reader_check(void **state)
{
    ct_fix_t *f = *state;
    pid_t pid;

    reopen_clocked(f, 0, 0, 0);
    start_reader(f, &pid);
    stop_reader(pid);
    ct_put(f->c, "a.test", PC_RT_A, "x");
    assert_int_equal(pc_cache_commit(f->c), 0);
    assert_int_equal(ct_stats(f->c).stale_readers, 0); /* checked once a minute */
    f->now += 61;
    ct_put(f->c, "b.test", PC_RT_A, "x");
    assert_int_equal(pc_cache_commit(f->c), 0);
    assert_int_equal(ct_stats(f->c).stale_readers, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_touchset),
        cmocka_unit_test(test_touchset_walk),
        cmocka_unit_test_setup_teardown(test_stamps, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_touches_due, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_evict_order, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_evict_bounded_flood, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_map_full_stale_reader, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_map_full_live_reader, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_periodic_reader_check, ct_setup, ct_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
