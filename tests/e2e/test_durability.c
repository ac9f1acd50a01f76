/*
 * test_durability.c - the cache across crashes and reboots, through the
 * real polcached against the signed test world, with the default
 * durability (nosync) unless said otherwise:
 *
 *  - kill -9 under write load, 20 times: each restart opens the cache
 *    without a rebuild or a corrupt value, and answers correctly, from the
 *    cache, everything earlier rounds saw stored;
 *  - an unclean shutdown across a reboot, simulated by changing the boot id
 *    in the clean-shutdown marker after a kill -9: the restart rebuilds the
 *    cache empty (logged, counted) and answers correctly;
 *  - a clean shutdown across a reboot, and a kill -9 across a reboot under
 *    durability nometasync: the cache is trusted, its entries are hits.
 *
 * A reply can leave before the loop pass that stored its answer commits,
 * so "stored" means: asked again later and answered from the cache.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon_proc.h"
#include "marker.h"
#include "pcclient.h"
#include "polcache/error.h"
#include "polcache/types.h"
#include "testutil.h"

#define ROUNDS 20
#define LOAD 300        /* requests in flight when the daemon is killed */
#define CONFIRM 10      /* names of each round checked as stored */

typedef struct q {
    uint8_t type;
    const char *domain, *sel;
    int outcome;
} q_t;

static const q_t known[] = {
    {PC_MSG_DMARC, "secure.pcw", NULL, PC_OUTCOME_FOUND},
    {PC_MSG_DMARC, "insecure.pcw", NULL, PC_OUTCOME_FOUND},
    {PC_MSG_DMARC, "cname.secure.pcw", NULL, PC_OUTCOME_FOUND},
    {PC_MSG_DMARC, "nonexistent.secure.pcw", NULL, PC_OUTCOME_NXDOMAIN},
    {PC_MSG_SPF, "secure.pcw", NULL, PC_OUTCOME_FOUND},
    {PC_MSG_SPF, "twospf.secure.pcw", NULL, PC_OUTCOME_PERMERROR},
    {PC_MSG_SPF, "big.secure.pcw", NULL, PC_OUTCOME_NORECORD},
    {PC_MSG_DKIM, "secure.pcw", "sel", PC_OUTCOME_FOUND},
    {PC_MSG_DKIM, "secure.pcw", "ed", PC_OUTCOME_FOUND},
};
#define NKNOWN (sizeof(known) / sizeof(known[0]))

/* Ask every known name; each must have its outcome. Returns the hits. */
static unsigned ask_known(tc_t *c)
{
    unsigned hits = 0;

    for (size_t i = 0; i < NKNOWN; i++) {
        assert_int_equal(tc_ask(c, known[i].type, known[i].domain, known[i].sel,
                                (uint32_t)i + 1), 0);
        if (tc_u8(c, PC_T_OUTCOME) != known[i].outcome)
            fail_msg("%s %s: outcome %ld, expected %d", pc_msg_type_name(known[i].type),
                     known[i].domain, tc_u8(c, PC_T_OUTCOME), known[i].outcome);
        hits += tc_u8(c, PC_T_CACHE) == PC_CACHE_HIT;
    }
    return hits;
}

static void load_name(char *out, size_t cap, int round, int i)
{
    snprintf(out, cap, "r%d-%d.durab.secure.pcw", round, i);
}

/* Ask name (NXDOMAIN in the world); returns 1 if it was a cache hit. */
static int ask_load(tc_t *c, int round, int i, uint32_t id)
{
    char name[96];

    load_name(name, sizeof(name), round, i);
    assert_int_equal(tc_ask(c, PC_MSG_SPF, name, NULL, id), 0);
    assert_int_equal(tc_u8(c, PC_T_OUTCOME), PC_OUTCOME_NXDOMAIN);
    assert_int_equal(tc_u8(c, PC_T_DNSSEC), PC_DNSSEC_SECURE);
    return tc_u8(c, PC_T_CACHE) == PC_CACHE_HIT;
}

static const char *conf_lines(char *buf, size_t cap, const char *extra)
{
    snprintf(buf, cap, "%scache-insert-rate: 0\nttl-min: 1h\nnegative-ttl-min: 1h\n"
             "negative-ttl-max: 1h\n%s", dproc_world_conf(), extra);
    return buf;
}

/* Start the daemon and connect c to it. */
static void start_connected(dproc_t *d, tc_t *c)
{
    dproc_start(d);
    assert_int_equal(tc_connect(c, d->sock, 2000), 0);
}

/* Close c, stop the daemon (it must exit 0) and remove its directory. */
static void stop_clean(dproc_t *d, tc_t *c)
{
    tc_close(c);
    assert_int_equal(dproc_stop(d), 0);
    dproc_cleanup(d);
}

static void test_kill9_rounds(void **state)
{
    tc_t *c = malloc(sizeof(*c));
    char conf[1600], name[96];
    dproc_t d;
    pc_wbuf_t b;
    (void)state;

    dproc_init(&d, conf_lines(conf, sizeof(conf), ""));
    for (int round = 0; round < ROUNDS; round++) {
        unsigned got = 0;

        start_connected(&d, c);
        /* the cache opened as it was left, and answers from it */
        assert_int_equal(tc_stat_of(c, "cache.rebuilds"), 0);
        assert_int_equal(tc_stat(c, "cache.corrupt"), 0);
        if (round == 0) {
            assert_int_equal(ask_known(c), 0);
            assert_int_equal(ask_known(c), NKNOWN); /* stored */
        }
        assert_int_equal(ask_known(c), NKNOWN);
        for (int r = 0; r < round; r++) {
            for (int i = 0; i < CONFIRM; i++) {
                if (!ask_load(c, r, i, 50))
                    fail_msg("round %d: %d of round %d is no longer cached", round, i, r);
            }
        }
        /* write load: LOAD new names in flight, this round's first CONFIRM
         * of them confirmed stored, then kill -9 with the rest arriving */
        for (int i = 0; i < CONFIRM; i++)
            (void)ask_load(c, round, i, 60);
        for (int i = 0; i < CONFIRM; i++)
            assert_int_equal(ask_load(c, round, i, 70), 1);
        pc_wbuf_init(&b, 1u << 20);
        for (int i = CONFIRM; i < CONFIRM + LOAD; i++) {
            load_name(name, sizeof(name), round, i);
            pc_wbuf_frame_begin(&b, PC_MSG_SPF, 0, 1000u + (uint32_t)i);
            pc_wbuf_str(&b, PC_T_DOMAIN, name);
            assert_int_equal(pc_wbuf_frame_end(&b), 0);
        }
        assert_int_equal(tc_send_wbuf(c, &b), 0);
        pc_wbuf_free(&b);
        while (got < (unsigned)(round * 13) % LOAD) {
            assert_int_equal(tc_read(c, 10000), 0);
            got++;
        }
        dproc_kill9(&d);
        tc_close(c);
    }
    start_connected(&d, c);
    assert_int_equal(tc_stat_of(c, "cache.rebuilds"), 0);
    assert_int_equal(ask_known(c), NKNOWN);
    assert_true(tc_stat_of(c, "cache.entries") >= (long long)(NKNOWN + ROUNDS * CONFIRM));
    stop_clean(&d, c);
    free(c);
}

/* Rewrite the marker as if it had been written in another boot. */
static void marker_other_boot(const dproc_t *d, pc_marker_state_t want)
{
    pc_marker_t m;

    assert_int_equal(pc_marker_read(d->state, &m), 0);
    assert_int_equal(m.state, want);
    assert_true(m.boot_id[0] != '\0');
    m.boot_id[0] = m.boot_id[0] == '0' ? '1' : '0';
    assert_int_equal(pc_marker_write(d->state, &m), 0);
}

/* Lines of DIR/daemon.log containing what. */
static int log_count(const dproc_t *d, const char *what)
{
    char path[400];
    char *text, *p;
    int n = 0;

    snprintf(path, sizeof(path), "%s/daemon.log", d->dir);
    text = pc_test_read_file(path, NULL);
    assert_non_null(text);
    for (p = text; (p = strstr(p, what)) != NULL; p++)
        n++;
    free(text);
    return n;
}

/* A daemon with conf_lines(extra), started and filled with the known names
 * (stored); then stopped, cleanly or by kill -9, and its marker (saying
 * want) moved to another boot, as if the system had rebooted; then started
 * again with c connected. */
static void across_reboot(dproc_t *d, tc_t *c, const char *extra, int clean)
{
    char conf[1600];
    pc_marker_state_t want = clean ? PC_MARKER_CLOSED : PC_MARKER_OPEN;

    dproc_init(d, conf_lines(conf, sizeof(conf), extra));
    start_connected(d, c);
    (void)ask_known(c);
    assert_int_equal(ask_known(c), NKNOWN);
    if (clean) {
        tc_close(c);
        assert_int_equal(dproc_stop(d), 0);
    } else {
        dproc_kill9(d);
        tc_close(c);
    }
    marker_other_boot(d, want);
    start_connected(d, c);
}

static void test_unclean_reboot_rebuilds(void **state)
{
    tc_t *c = malloc(sizeof(*c));
    dproc_t d;
    (void)state;

    across_reboot(&d, c, "", 0);
    assert_int_equal(log_count(&d, "rebuilding an empty cache: it was open under nosync when "
                                   "the system went down (the boot id changed)"), 1);
    assert_int_equal(tc_stat_of(c, "cache.rebuilds"), 1);
    assert_int_equal(tc_stat(c, "cache.entries"), 0);
    assert_int_equal(ask_known(c), 0);     /* correct answers, from upstream */
    assert_int_equal(ask_known(c), NKNOWN); /* and cached again */
    stop_clean(&d, c);
    free(c);
}

static void test_clean_or_synced_across_reboot_trusted(void **state)
{
    tc_t *c = malloc(sizeof(*c));
    dproc_t d;
    (void)state;

    /* a clean stop, then a reboot */
    across_reboot(&d, c, "", 1);
    assert_int_equal(tc_stat_of(c, "cache.rebuilds"), 0);
    assert_int_equal(ask_known(c), NKNOWN);
    stop_clean(&d, c);

    /* durability nometasync: a kill -9, then a reboot */
    across_reboot(&d, c, "durability: nometasync\n", 0);
    assert_int_equal(tc_stat_of(c, "cache.rebuilds"), 0);
    assert_int_equal(ask_known(c), NKNOWN);
    assert_int_equal(log_count(&d, "rebuilding"), 0);
    stop_clean(&d, c);
    free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kill9_rounds),
        cmocka_unit_test(test_unclean_reboot_rebuilds),
        cmocka_unit_test(test_clean_or_synced_across_reboot_trusted),
    };
    pc_test_world_load();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
