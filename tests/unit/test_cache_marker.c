/*
 * test_cache_marker.c - unit tests of the clean-shutdown marker and the
 * boot id (daemon/marker.c) and of what the cache does with them at open:
 * a cache left open under NOSYNC by a process that died is trusted in the
 * same boot and rebuilt after a "reboot" (a changed boot id, injected
 * through pc_cache_opts_t.boot_id_path); a clean close or NOMETASYNC is
 * trusted across reboots; a missing or damaged marker means a rebuild.
 * A crash is a forked child that opens the cache, writes, and _exits.
 */
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

#include "cache.h"
#include "cache_testutil.h"
#include "marker.h"
#include "polcache/error.h"

#define BOOT_A "0b1e3a9c-aaaa-4d6e-8f00-000000000001"
#define BOOT_B "0b1e3a9c-bbbb-4d6e-8f00-000000000002"

typedef struct mfix {
    ct_fix_t *f;
    char boot[128];
} mfix_t;

static void write_text(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    assert_true(fputs(text, fp) >= 0);
    assert_int_equal(fclose(fp), 0);
}

/* The fixture's cache, reopened with a boot-id file of its own. */
static int msetup(void **state)
{
    mfix_t *m = calloc(1, sizeof(*m));
    void *inner;

    if (m == NULL || ct_setup(&inner) != 0)
        return -1;
    m->f = inner;
    snprintf(m->boot, sizeof(m->boot), "%s/boot_id", m->f->dir);
    write_text(m->boot, BOOT_A "\n");
    m->f->opts.boot_id_path = m->boot;
    m->f->opts.nosync = 1;
    ct_reopen(m->f, 0);
    *state = m;
    return 0;
}

static int mteardown(void **state)
{
    mfix_t *m = *state;
    void *inner = m->f;

    free(m);
    return ct_teardown(&inner);
}

static void read_marker(const ct_fix_t *f, pc_marker_t *out)
{
    assert_int_equal(pc_marker_read(f->dir, out), 0);
}

/* A process that opens the cache, stores n entries, commits and dies
 * without closing it (as kill -9 would). */
static void crash_child(ct_fix_t *f, int n)
{
    pid_t pid;
    int st;

    ct_shut(f);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        pc_cache_t *c = NULL;
        char name[64];
        if (pc_cache_open(&c, &f->opts) != 0)
            _exit(2);
        for (int i = 0; i < n; i++) {
            snprintf(name, sizeof(name), "crash%d.test", i);
            if (ct_put_full(c, name, PC_RT_SPF, 0, CT_NOW, 300, "v=spf1 -all") != 0)
                _exit(3);
        }
        if (pc_cache_commit(c) != 0)
            _exit(4);
        _exit(0);
    }
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}

/* Open; expect a rebuild (one warning naming why) or not. */
static void open_expect(ct_fix_t *f, int rebuilt, const char *why, uint64_t entries)
{
    ct_log_count(rebuilt ? why : "rebuilding");
    assert_int_equal(pc_cache_open(&f->c, &f->opts), 0);
    assert_int_equal(ct_log_count_end(), rebuilt ? 1 : 0);
    assert_int_equal(ct_stats(f->c).rebuilds, (uint64_t)rebuilt);
    assert_int_equal(ct_stats(f->c).entries, entries);
}

static void test_boot_id(void **state)
{
    mfix_t *m = *state;
    char id[PC_BOOT_ID_MAX], path[200];

    assert_int_equal(pc_boot_id_read(m->boot, id, sizeof(id)), 0);
    assert_string_equal(id, BOOT_A);
    assert_int_equal(pc_boot_id_read(m->boot, id, 10), PC_EINVAL);
    assert_int_equal(pc_boot_id_read(m->boot, NULL, 10), PC_EINVAL);
    snprintf(path, sizeof(path), "%s/none", m->f->dir);
    assert_int_equal(pc_boot_id_read(path, id, sizeof(id)), PC_ENOENT);
    assert_string_equal(id, "");
    write_text(m->boot, "not a boot id\n");
    assert_int_equal(pc_boot_id_read(m->boot, id, sizeof(id)), PC_EINVAL);
    write_text(m->boot, "");
    assert_int_equal(pc_boot_id_read(m->boot, id, sizeof(id)), PC_EINVAL);
    /* the kernel's, where there is one */
    if (access(PC_BOOT_ID_PATH, R_OK) == 0) {
        assert_int_equal(pc_boot_id_read(NULL, id, sizeof(id)), 0);
        assert_int_equal(strlen(id), 36);
    }
}

static void test_marker_file(void **state)
{
    mfix_t *m = *state;
    pc_marker_t w = {PC_MARKER_CLOSED, 1, BOOT_B}, r;
    char path[200];

    /* the open cache is marked open, with its mode and boot */
    read_marker(m->f, &r);
    assert_int_equal(r.state, PC_MARKER_OPEN);
    assert_int_equal(r.nosync, 1);
    assert_string_equal(r.boot_id, BOOT_A);
    ct_shut(m->f);
    read_marker(m->f, &r);
    assert_int_equal(r.state, PC_MARKER_CLOSED);
    /* round trip, unknown boot id */
    assert_int_equal(pc_marker_write(m->f->dir, &w), 0);
    read_marker(m->f, &r);
    assert_int_equal(r.state, PC_MARKER_CLOSED);
    assert_string_equal(r.boot_id, BOOT_B);
    w.state = PC_MARKER_OPEN;
    w.nosync = 0;
    w.boot_id[0] = '\0';
    assert_int_equal(pc_marker_write(m->f->dir, &w), 0);
    read_marker(m->f, &r);
    assert_int_equal(r.state, PC_MARKER_OPEN);
    assert_int_equal(r.nosync, 0);
    assert_string_equal(r.boot_id, "");
    /* damaged, missing */
    ct_path_of(path, sizeof(path), m->f, PC_MARKER_FILE);
    write_text(path, PC_MARKER_MAGIC "\nstate open\ndurability nosync\nboot x y\n");
    read_marker(m->f, &r);
    assert_int_equal(r.state, PC_MARKER_BAD);
    write_text(path, PC_MARKER_MAGIC "\nstate ajar\ndurability nosync\nboot -\n");
    read_marker(m->f, &r);
    assert_int_equal(r.state, PC_MARKER_BAD);
    write_text(path, PC_MARKER_MAGIC "\nstate open\ndurability nosync\nboot -\nmore\n");
    read_marker(m->f, &r);
    assert_int_equal(r.state, PC_MARKER_BAD);
    write_text(path, PC_MARKER_MAGIC "\nstate closed\ndurability nometasync\nboot -\n");
    read_marker(m->f, &r);
    assert_int_equal(r.state, PC_MARKER_CLOSED);
    assert_int_equal(unlink(path), 0);
    read_marker(m->f, &r);
    assert_int_equal(r.state, PC_MARKER_MISSING);
    /* arguments */
    assert_int_equal(pc_marker_read(NULL, &r), PC_EINVAL);
    assert_int_equal(pc_marker_read(m->f->dir, NULL), PC_EINVAL);
    w.state = PC_MARKER_MISSING;
    assert_int_equal(pc_marker_write(m->f->dir, &w), PC_EINVAL);
    w.state = PC_MARKER_OPEN;
    strcpy(w.boot_id, "bad id");
    assert_int_equal(pc_marker_write(m->f->dir, &w), PC_EINVAL);
    assert_int_equal(pc_marker_write(NULL, &w), PC_EINVAL);
    assert_int_equal(pc_marker_write("/nonexistent/dir", &(pc_marker_t){PC_MARKER_OPEN, 0, ""}),
                     PC_ENOENT);
}

static void test_marker_check(void **state)
{
    static const struct {
        pc_marker_state_t st;
        int nosync;
        const char *was, *now;
        int rebuild;
    } cases[] = {
        {PC_MARKER_CLOSED, 1, BOOT_A, BOOT_B, 0},   {PC_MARKER_CLOSED, 1, "", "", 0},
        {PC_MARKER_OPEN, 0, BOOT_A, BOOT_B, 0},     {PC_MARKER_OPEN, 0, "", "", 0},
        {PC_MARKER_OPEN, 1, BOOT_A, BOOT_A, 0},     {PC_MARKER_OPEN, 1, BOOT_A, BOOT_B, 1},
        {PC_MARKER_OPEN, 1, "", BOOT_A, 1},         {PC_MARKER_OPEN, 1, BOOT_A, "", 1},
        {PC_MARKER_OPEN, 1, "", "", 1},             {PC_MARKER_MISSING, 0, "", BOOT_A, 1},
        {PC_MARKER_BAD, 0, "", BOOT_A, 1},
    };
    char why[200];
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        pc_marker_t m = {cases[i].st, cases[i].nosync, ""};
        strcpy(m.boot_id, cases[i].was);
        assert_int_equal(pc_marker_check(&m, cases[i].now, why, sizeof(why)), cases[i].rebuild);
        assert_int_equal(why[0] != '\0', cases[i].rebuild);
    }
    assert_int_equal(pc_marker_check(NULL, BOOT_A, NULL, 0), 1);
}

static void test_crash_same_boot_trusted(void **state)
{
    mfix_t *m = *state;
    pc_marker_t r;

    crash_child(m->f, 50);
    read_marker(m->f, &r);
    assert_int_equal(r.state, PC_MARKER_OPEN);
    open_expect(m->f, 0, NULL, 50);
    ct_expect(m->f->c, "crash49.test", PC_RT_SPF, "v=spf1 -all");
}

static void test_crash_other_boot_rebuilt(void **state)
{
    mfix_t *m = *state;
    pc_marker_t r;

    crash_child(m->f, 50);
    write_text(m->boot, BOOT_B "\n"); /* the system rebooted */
    open_expect(m->f, 1, "the boot id changed", 0);
    ct_expect(m->f->c, "crash0.test", PC_RT_SPF, NULL);
    read_marker(m->f, &r);
    assert_int_equal(r.state, PC_MARKER_OPEN);
    assert_string_equal(r.boot_id, BOOT_B);
    /* the rebuilt cache works and is trusted from then on */
    ct_put(m->f->c, "new.test", PC_RT_SPF, "v=spf1 -all");
    ct_reopen(m->f, 0);
    assert_int_equal(ct_stats(m->f->c).rebuilds, 0);
    ct_expect(m->f->c, "new.test", PC_RT_SPF, "v=spf1 -all");
}

static void test_clean_close_other_boot_trusted(void **state)
{
    mfix_t *m = *state;

    ct_put(m->f->c, "kept.test", PC_RT_SPF, "v=spf1 -all");
    ct_shut(m->f);
    write_text(m->boot, BOOT_B "\n");
    open_expect(m->f, 0, NULL, 1);
    ct_expect(m->f->c, "kept.test", PC_RT_SPF, "v=spf1 -all");
}

static void test_nometasync_crash_other_boot_trusted(void **state)
{
    mfix_t *m = *state;

    m->f->opts.nosync = 0;
    crash_child(m->f, 20);
    write_text(m->boot, BOOT_B "\n");
    m->f->opts.nosync = 1; /* the mode of the writer that crashed counts */
    open_expect(m->f, 0, NULL, 20);
}

static void test_unknown_boot_id(void **state)
{
    mfix_t *m = *state;
    char missing[200];

    snprintf(missing, sizeof(missing), "%s/no-boot-id", m->f->dir);
    m->f->opts.boot_id_path = missing;
    crash_child(m->f, 10); /* warned: after a crash it rebuilds */
    open_expect(m->f, 1, "boot id unknown", 0);
    /* a clean close is trusted even so */
    ct_put(m->f->c, "x.test", PC_RT_SPF, "v=spf1 -all");
    ct_shut(m->f);
    open_expect(m->f, 0, NULL, 1);
}

static void test_marker_missing_or_damaged(void **state)
{
    mfix_t *m = *state;
    char path[200], data[200];

    ct_put(m->f->c, "x.test", PC_RT_SPF, "v=spf1 -all");
    ct_shut(m->f);
    ct_path_of(path, sizeof(path), m->f, PC_MARKER_FILE);
    write_text(path, "garbage\n");
    open_expect(m->f, 1, "damaged", 0);
    ct_put(m->f->c, "x.test", PC_RT_SPF, "v=spf1 -all");
    ct_shut(m->f);
    assert_int_equal(unlink(path), 0);
    open_expect(m->f, 1, "how it was last closed is unknown", 0);
    /* no data.mdb, or an empty one: a new cache, not a rebuild */
    ct_shut(m->f);
    assert_int_equal(unlink(path), 0);
    ct_path_of(data, sizeof(data), m->f, "data.mdb");
    assert_int_equal(unlink(data), 0);
    open_expect(m->f, 0, NULL, 0);
    ct_shut(m->f);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(truncate(data, 0), 0);
    open_expect(m->f, 0, NULL, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_boot_id, msetup, mteardown),
        cmocka_unit_test_setup_teardown(test_marker_file, msetup, mteardown),
        cmocka_unit_test(test_marker_check),
        cmocka_unit_test_setup_teardown(test_crash_same_boot_trusted, msetup, mteardown),
        cmocka_unit_test_setup_teardown(test_crash_other_boot_rebuilt, msetup, mteardown),
        cmocka_unit_test_setup_teardown(test_clean_close_other_boot_trusted, msetup, mteardown),
        cmocka_unit_test_setup_teardown(test_nometasync_crash_other_boot_trusted, msetup,
                                        mteardown),
        cmocka_unit_test_setup_teardown(test_unknown_boot_id, msetup, mteardown),
        cmocka_unit_test_setup_teardown(test_marker_missing_or_damaged, msetup, mteardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
