/*
 * test_restart.c - polcached across restarts, against a private signed
 * world of its own (so NSD can be stopped without disturbing other tests):
 * a flush after a record changed at NSD returns the new value; after a
 * restart with NSD stopped every cached name is a hit with no upstream
 * query (kill -9 under write load is tests/e2e/test_durability.c); and
 * polcached started with its built-in defaults
 * answers a ping and exits 0 on SIGTERM (the README's first command).
 */
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

#include "daemon_proc.h"
#include "paths.h"
#include "pcclient.h"
#include "polcache/error.h"
#include "polcache/types.h"
#include "testutil.h"

static pworld_t W; /* the private world */

static void world_cmd(const char *cmd, const char *args)
{
    assert_int_equal(pworld_cmd(&W, cmd, args), 0);
}

static int setup(void **state)
{
    (void)state;
    pworld_start(&W, NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return pworld_stop(&W);
}

typedef struct q {
    uint8_t type;
    const char *domain, *sel;
    int outcome;
} q_t;

static const q_t names[] = {
    {PC_MSG_DMARC, "secure.pcw", NULL, PC_OUTCOME_FOUND},
    {PC_MSG_DMARC, "insecure.pcw", NULL, PC_OUTCOME_FOUND},
    {PC_MSG_DMARC, "cname.secure.pcw", NULL, PC_OUTCOME_FOUND},
    {PC_MSG_DMARC, "twodmarc.secure.pcw", NULL, PC_OUTCOME_NORECORD},
    {PC_MSG_DMARC, "nonexistent.secure.pcw", NULL, PC_OUTCOME_NXDOMAIN},
    {PC_MSG_SPF, "secure.pcw", NULL, PC_OUTCOME_FOUND},
    {PC_MSG_SPF, "twospf.secure.pcw", NULL, PC_OUTCOME_PERMERROR},
    {PC_MSG_SPF, "nodata.secure.pcw", NULL, PC_OUTCOME_NORECORD},
    {PC_MSG_SPF, "big.secure.pcw", NULL, PC_OUTCOME_NORECORD},
    {PC_MSG_DKIM, "secure.pcw", "sel", PC_OUTCOME_FOUND},
    {PC_MSG_DKIM, "secure.pcw", "ed", PC_OUTCOME_FOUND},
};
#define NNAMES (sizeof(names) / sizeof(names[0]))

static void test_flush_then_persistence_without_nsd(void **state)
{
    char buf[512];
    tc_t *c = malloc(sizeof(*c));
    dproc_t d;
    pc_wbuf_t b;
    (void)state;

    dproc_init(&d, pworld_conf(&W));
    dproc_start(&d);
    assert_int_equal(tc_connect(c, d.sock, 2000), 0);

    /* flush: a record changed at NSD is seen after a flush, not before */
    world_cmd("set", "_dmarc.change.secure.pcw TXT 'v=DMARC1; p=none; rua=mailto:a@secure.pcw'");
    assert_int_equal(tc_ask(c, PC_MSG_DMARC, "change.secure.pcw", NULL, 1), 0);
    assert_string_equal(tc_field(c, "p", buf, sizeof(buf)), "none");
    world_cmd("set", "_dmarc.change.secure.pcw TXT 'v=DMARC1; p=reject; rua=mailto:a@secure.pcw'");
    assert_int_equal(tc_ask(c, PC_MSG_DMARC, "change.secure.pcw", NULL, 2), 0);
    assert_int_equal(tc_u8(c, PC_T_CACHE), PC_CACHE_HIT);
    assert_string_equal(tc_field(c, "p", buf, sizeof(buf)), "none");
    pc_wbuf_init(&b, 0);
    pc_wbuf_frame_begin(&b, PC_MSG_FLUSH, 0, 3);
    pc_wbuf_str(&b, PC_T_DOMAIN, "change.secure.pcw");
    assert_int_equal(pc_wbuf_frame_end(&b), 0);
    assert_int_equal(tc_send_wbuf(c, &b), 0);
    pc_wbuf_free(&b);
    assert_int_equal(tc_read(c, 5000), 0);
    assert_int_equal(tc_u32(c, PC_T_COUNT), 1);
    assert_int_equal(tc_ask(c, PC_MSG_DMARC, "change.secure.pcw", NULL, 4), 0);
    assert_int_equal(tc_u8(c, PC_T_CACHE), PC_CACHE_MISS);
    assert_string_equal(tc_field(c, "p", buf, sizeof(buf)), "reject");
    assert_int_equal(tc_u8(c, PC_T_DNSSEC), PC_DNSSEC_SECURE);

    /* fill the cache */
    for (size_t i = 0; i < NNAMES; i++) {
        assert_int_equal(tc_ask(c, names[i].type, names[i].domain, names[i].sel,
                                (uint32_t)(10 + i)), 0);
        assert_int_equal(tc_u8(c, PC_T_OUTCOME), names[i].outcome);
    }
    tc_close(c);
    assert_int_equal(dproc_stop(&d), 0);

    /* stop everything, NSD included, and start polcached again */
    world_cmd("stop", NULL);
    dproc_start(&d);
    assert_int_equal(tc_connect(c, d.sock, 2000), 0);
    for (size_t i = 0; i < NNAMES; i++) {
        assert_int_equal(tc_ask(c, names[i].type, names[i].domain, names[i].sel,
                                (uint32_t)(30 + i)), 0);
        if (tc_u8(c, PC_T_CACHE) != PC_CACHE_HIT || tc_u8(c, PC_T_OUTCOME) != names[i].outcome)
            fail_msg("%s %s: cache %ld outcome %ld after restart", pc_msg_type_name(names[i].type),
                     names[i].domain, tc_u8(c, PC_T_CACHE), tc_u8(c, PC_T_OUTCOME));
    }
    assert_int_equal(tc_ask(c, PC_MSG_DMARC, "change.secure.pcw", NULL, 50), 0);
    assert_string_equal(tc_field(c, "p", buf, sizeof(buf)), "reject");
    assert_int_equal(tc_stat_of(c, "upstream.queries"), 0);
    assert_int_equal(tc_stat(c, "cache.hits"), NNAMES + 1);
    tc_close(c);
    assert_int_equal(dproc_stop(&d), 0);
    dproc_cleanup(&d);
    world_cmd("start", NULL); /* for the next test */
    free(c);
}

static void test_builtin_defaults(void **state)
{
    const char *bin = pc_test_env("PC_POLCACHED");
    char sock[512], tmp[64] = "/tmp/pc-e2e-defaults-XXXXXX", rt[128], st[128], cmd[200];
    tc_t *c = malloc(sizeof(*c));
    pid_t pid;
    int status;
    (void)state;

    /* a non-root run uses these; as root the production paths apply */
    assert_non_null(mkdtemp(tmp));
    snprintf(rt, sizeof(rt), "%s/run", tmp);
    snprintf(st, sizeof(st), "%s/state", tmp);
    setenv("XDG_RUNTIME_DIR", rt, 1);
    setenv("XDG_STATE_HOME", st, 1);
    setenv("XDG_CONFIG_HOME", tmp, 1);
    assert_int_equal(pc_path_socket(sock, sizeof(sock)), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        execl(bin, "polcached", "-f", (char *)NULL);
        _exit(127);
    }
    if (tc_connect(c, sock, 15000) != 0) {
        kill(pid, SIGKILL);
        fail_msg("polcached with defaults did not open %s", sock);
    }
    {
        pc_hdr_t h = {PC_WIRE_VERSION, PC_MSG_PING, 0, 5, 0};
        uint8_t f[PC_WIRE_HDR_LEN];
        char v[80];
        pc_hdr_encode(&h, f);
        assert_int_equal(tc_send(c, f, sizeof(f)), 0);
        assert_int_equal(tc_read(c, 5000), 0);
        assert_int_equal(c->msg.hdr.type, PC_MSG_PING | PC_MSG_REPLY);
        assert_non_null(strstr(tc_text(c, PC_T_VERSION, v, sizeof(v)), "polcached"));
    }
    tc_close(c);
    kill(pid, SIGTERM);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    /* the socket is removed on exit */
    assert_int_not_equal(access(sock, F_OK), 0);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
    assert_int_equal(system(cmd), 0);
    free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flush_then_persistence_without_nsd),
        cmocka_unit_test(test_builtin_defaults),
    };
    pc_test_world_load(); /* for PC_SOURCE_DIR-relative tools only */
    return cmocka_run_group_tests(tests, setup, teardown);
}
