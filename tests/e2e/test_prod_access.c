/*
 * test_prod_access.c - peer checks of the real polcached: a client running
 * as another uid (a forked child that setuid()s to 65534, so this test
 * needs root and skips without it) is refused by allow-user with an error
 * reply PC_EPERM and a closed connection; allowed by its uid, its primary
 * group or a supplementary group after a reload; and, not being an
 * admin, refused FLUSH and DUMP (PC_EPERM, the connection stays open)
 * until admin-user names it. Root is always an admin.
 */
#include <grp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon_proc.h"
#include "pcclient.h"
#include "polcache/error.h"
#include "polcache/types.h"
#include "produtil.h"
#include "testutil.h"

#define OTHER_ID 65534 /* nobody / nogroup */

/* What the child checks, as another uid. */
enum child_check {
    EXPECT_DENIED,       /* error reply PC_EPERM with id 0, then EOF */
    EXPECT_NOT_ADMIN,    /* ping ok; flush and dump PC_EPERM; ping still ok */
    EXPECT_ADMIN         /* flush answered with COUNT */
};

static int child_run(const char *sock, enum child_check what)
{
    tc_t *c = malloc(sizeof(*c));
    pc_wbuf_t b;

    if (c == NULL || tc_connect(c, sock, 2000) != 0)
        return 10;
    if (what == EXPECT_DENIED) {
        if (tc_read(c, 5000) != 0 || pu_error_code(c) != PC_EPERM || c->msg.hdr.id != 0)
            return 11;
        return tc_read(c, 5000) == -1000 ? 0 : 12; /* closed */
    }
    if (pu_ping(c, 1, 5000) != 0)
        return 13;
    pc_wbuf_init(&b, 0);
    pc_wbuf_frame_begin(&b, PC_MSG_FLUSH, 0, 2);
    pc_wbuf_u8(&b, PC_T_ALL, 1);
    if (pc_wbuf_frame_end(&b) != 0 || tc_send_wbuf(c, &b) != 0 || tc_read(c, 5000) != 0)
        return 14;
    if (what == EXPECT_ADMIN)
        return c->msg.hdr.type == (PC_MSG_FLUSH | PC_MSG_REPLY) && c->msg.hdr.id == 2 ? 0 : 15;
    if (pu_error_code(c) != PC_EPERM || c->msg.hdr.id != 2)
        return 16;
    pc_wbuf_frame_begin(&b, PC_MSG_DUMP, 0, 3);
    if (pc_wbuf_frame_end(&b) != 0 || tc_send_wbuf(c, &b) != 0 || tc_read(c, 5000) != 0 ||
        pu_error_code(c) != PC_EPERM || c->msg.hdr.id != 3)
        return 17;
    pc_wbuf_free(&b);
    /* the connection stays open and is served */
    if (pu_ping(c, 4, 5000) != 0)
        return 18;
    if (tc_send_record(c, PC_MSG_DMARC, 5, 0, "secure.pcw", NULL) != 0 || tc_read(c, 10000) != 0 ||
        tc_u8(c, PC_T_OUTCOME) != PC_OUTCOME_FOUND)
        return 19;
    tc_close(c);
    return 0;
}

/* Fork, become uid OTHER_ID with primary group gid and the given
 * supplementary group (or none), run the check; the child's exit code. */
static int as_other(const char *sock, gid_t gid, gid_t supplementary, enum child_check what)
{
    int st = 0;
    pid_t pid = fork();

    assert_true(pid >= 0);
    if (pid == 0) {
        gid_t groups[1] = {supplementary};
        if (setgroups(supplementary != (gid_t)-1 ? 1 : 0, groups) != 0 || setgid(gid) != 0 ||
            setuid(OTHER_ID) != 0)
            _exit(9);
        _exit(child_run(sock, what));
    }
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    return WEXITSTATUS(st);
}

static void test_peer_checks(void **state)
{
    char base[1500], conf[2000];
    tc_t *root = malloc(sizeof(*root));
    dproc_t d;
    (void)state;

    if (geteuid() != 0) {
        printf("SKIPPED: needs root to run a client as another uid (setuid)\n");
        exit(PC_TEST_SKIP);
    }
    dproc_init(&d, NULL);
    /* the socket is open to all (mode 0666): the allow lists are the gate */
    assert_int_equal(chmod(d.dir, 0711), 0);
    snprintf(base, sizeof(base), "user: root\n%ssocket-mode: 0666\n", dproc_world_conf());
    snprintf(conf, sizeof(conf), "%sallow-user: 1\nallow-group: 2\n", base);
    pu_write_conf(&d, conf);
    dproc_start(&d);
    assert_int_equal(tc_connect(root, d.sock, 2000), 0);

    /* not allowed: PC_EPERM and closed, while root goes on being served */
    assert_int_equal(as_other(d.sock, OTHER_ID, (gid_t)-1, EXPECT_DENIED), 0);
    assert_int_equal(pu_ping(root, 1, 5000), 0);
    assert_int_equal(pu_stat(d.sock, "connections.denied"), 1);
    assert_true(pu_log_has(&d, "denied a connection from pid"));

    /* allowed by uid (a reload; new connections get it), but not an admin */
    snprintf(conf, sizeof(conf), "%sallow-user: 1\nallow-user: %d\nallow-group: 2\n", base,
             OTHER_ID);
    pu_write_conf(&d, conf);
    assert_int_equal(pu_reload(&d), 1);
    assert_int_equal(as_other(d.sock, OTHER_ID, OTHER_ID, EXPECT_NOT_ADMIN), 0);
    assert_int_equal(pu_stat(d.sock, "requests.denied"), 2);

    /* allowed by primary group, and by a supplementary group (SO_PEERGROUPS) */
    snprintf(conf, sizeof(conf), "%sallow-user: 1\nallow-group: %d\n", base, OTHER_ID);
    pu_write_conf(&d, conf);
    assert_int_equal(pu_reload(&d), 1);
    assert_int_equal(as_other(d.sock, OTHER_ID, (gid_t)-1, EXPECT_NOT_ADMIN), 0);
    assert_int_equal(as_other(d.sock, 3, (gid_t)-1, EXPECT_DENIED), 0);
    snprintf(conf, sizeof(conf), "%sallow-group: 4242\n", base);
    pu_write_conf(&d, conf);
    assert_int_equal(pu_reload(&d), 1);
    assert_int_equal(as_other(d.sock, 3, 4242, EXPECT_NOT_ADMIN), 0);
    assert_int_equal(as_other(d.sock, 3, 4243, EXPECT_DENIED), 0);

    /* an admin by admin-user: flush works; admins are allowed without allow-user */
    snprintf(conf, sizeof(conf), "%sallow-user: 1\nadmin-user: %d\n", base, OTHER_ID);
    pu_write_conf(&d, conf);
    assert_int_equal(pu_reload(&d), 1);
    assert_int_equal(as_other(d.sock, OTHER_ID, OTHER_ID, EXPECT_ADMIN), 0);
    /* and by admin-group */
    snprintf(conf, sizeof(conf), "%sadmin-group: 4242\n", base);
    pu_write_conf(&d, conf);
    assert_int_equal(pu_reload(&d), 1);
    assert_int_equal(as_other(d.sock, 3, 4242, EXPECT_ADMIN), 0);
    assert_int_equal(as_other(d.sock, 3, (gid_t)-1, EXPECT_NOT_ADMIN), 0);

    assert_int_equal(pu_stat(d.sock, "connections.denied"), 3);
    assert_int_equal(pu_stat(d.sock, "requests.denied"), 8);
    /* the connection root opened first is still served */
    assert_int_equal(pu_ping(root, 2, 5000), 0);
    tc_close(root);
    free(root);
    assert_int_equal(dproc_stop(&d), 0);
    dproc_cleanup(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_peer_checks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
