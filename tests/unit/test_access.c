/*
 * test_access.c - unit tests of daemon/access.c: name lists, resolving
 * names (and numeric ids) to ids, the allow and admin decisions for peers
 * by uid, primary group and supplementary groups, and reading a real
 * peer's credentials from a socket pair.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "access.h"
#include "polcache/error.h"

static void add(pc_access_conf_t *c, pc_peer_list_t k, const char *name)
{
    assert_int_equal(pc_names_add(&c->list[k], name), 0);
}

static pc_peer_t peer(uid_t uid, gid_t gid, gid_t supplementary)
{
    pc_peer_t p;
    memset(&p, 0, sizeof(p));
    p.pid = 1234;
    p.uid = uid;
    p.gid = gid;
    if (supplementary != (gid_t)-1) {
        p.groups[0] = supplementary;
        p.ngroups = 1;
    }
    return p;
}

static void test_names(void **state)
{
    pc_access_conf_t c;
    (void)state;

    memset(&c, 0, sizeof(c));
    assert_int_equal(pc_names_add(NULL, "a"), PC_EINVAL);
    assert_int_equal(pc_names_add(&c.list[0], NULL), PC_EINVAL);
    add(&c, PC_ALLOW_USER, "alice");
    add(&c, PC_ALLOW_USER, "bob");
    assert_int_equal(pc_names_find(&c.list[PC_ALLOW_USER], "bob"), 1);
    assert_int_equal(pc_names_find(&c.list[PC_ALLOW_USER], "carol"), -1);
    assert_int_equal(pc_names_find(NULL, "bob"), -1);
    pc_access_conf_free(&c);
    assert_int_equal(c.list[PC_ALLOW_USER].n, 0);
    pc_access_conf_free(&c);
    pc_access_conf_free(NULL);
}

static void test_open_by_default(void **state)
{
    pc_access_conf_t c;
    pc_access_t a;
    pc_peer_t p;
    (void)state;

    memset(&c, 0, sizeof(c));
    assert_int_equal(pc_access_build(&a, &c, 4242, NULL, 0), 0);
    assert_int_equal(a.restricted, 0);
    p = peer(1000, 1000, (gid_t)-1);
    assert_int_equal(pc_access_check(&a, &p), PC_PEER_ALLOWED);
    p = peer(0, 0, (gid_t)-1); /* root is always an admin */
    assert_int_equal(pc_access_check(&a, &p), PC_PEER_ALLOWED | PC_PEER_ADMIN);
    p = peer(4242, 5, (gid_t)-1); /* so is the daemon's own uid */
    assert_int_equal(pc_access_check(&a, &p), PC_PEER_ALLOWED | PC_PEER_ADMIN);
    pc_access_set_self(&a, 4243);
    assert_int_equal(pc_access_check(&a, &p), PC_PEER_ALLOWED);
    /* unknown credentials are nobody */
    p = peer((uid_t)-1, (gid_t)-1, (gid_t)-1);
    pc_access_set_self(&a, (uid_t)-1);
    assert_int_equal(pc_access_check(&a, &p), PC_PEER_ALLOWED);
    assert_int_equal(pc_access_check(NULL, &p), 0);
    assert_int_equal(pc_access_check(&a, NULL), 0);
    pc_access_free(&a);
    pc_access_free(&a);
    pc_access_free(NULL);
}

static void test_lists(void **state)
{
    char err[200];
    pc_access_conf_t c;
    pc_access_t a;
    pc_peer_t p;
    (void)state;

    memset(&c, 0, sizeof(c));
    add(&c, PC_ALLOW_USER, "root");   /* a name: uid 0 */
    add(&c, PC_ALLOW_USER, "1001");   /* digits, no such user: uid 1001 */
    add(&c, PC_ALLOW_GROUP, "2002");
    add(&c, PC_ADMIN_USER, "3003");
    add(&c, PC_ADMIN_GROUP, "4004");
    assert_int_equal(pc_access_build(&a, &c, 9999, err, sizeof(err)), 0);
    assert_string_equal(err, "");
    assert_int_equal(a.restricted, 1);
    assert_int_equal(a.nids[PC_ALLOW_USER], 2);
    assert_int_equal(a.ids[PC_ALLOW_USER][0], 0);
    assert_int_equal(a.ids[PC_ALLOW_USER][1], 1001);

    p = peer(1001, 1, (gid_t)-1);
    assert_int_equal(pc_access_check(&a, &p), PC_PEER_ALLOWED);
    p = peer(1002, 1, (gid_t)-1);
    assert_int_equal(pc_access_check(&a, &p), 0);
    p = peer(1002, 2002, (gid_t)-1); /* primary group */
    assert_int_equal(pc_access_check(&a, &p), PC_PEER_ALLOWED);
    p = peer(1002, 1, 2002); /* supplementary group */
    assert_int_equal(pc_access_check(&a, &p), PC_PEER_ALLOWED);
    p = peer(3003, 1, (gid_t)-1); /* an admin is allowed without allow-user */
    assert_int_equal(pc_access_check(&a, &p), PC_PEER_ALLOWED | PC_PEER_ADMIN);
    p = peer(1002, 1, 4004);
    assert_int_equal(pc_access_check(&a, &p), PC_PEER_ALLOWED | PC_PEER_ADMIN);
    p = peer(1002, 4004, (gid_t)-1);
    assert_int_equal(pc_access_check(&a, &p), PC_PEER_ALLOWED | PC_PEER_ADMIN);
    p = peer(9999, 1, (gid_t)-1); /* self */
    assert_int_equal(pc_access_check(&a, &p), PC_PEER_ALLOWED | PC_PEER_ADMIN);
    p = peer((uid_t)-1, (gid_t)-1, (gid_t)-1);
    assert_int_equal(pc_access_check(&a, &p), 0);
    pc_access_free(&a);

    /* a name that exists nowhere fails, and says which */
    add(&c, PC_ADMIN_GROUP, "pc-no-such-group");
    assert_int_equal(pc_access_build(&a, &c, 0, err, sizeof(err)), PC_ENOENT);
    assert_string_equal(err, "admin-group: no group \"pc-no-such-group\"");
    assert_null(a.ids[PC_ALLOW_USER]);
    pc_access_conf_free(&c);
    add(&c, PC_ALLOW_USER, "pc-no-such-user");
    assert_int_equal(pc_access_build(&a, &c, 0, err, 10), PC_ENOENT);
    assert_string_equal(err, "allow-use"); /* truncated to cap */
    pc_access_conf_free(&c);
    add(&c, PC_ALLOW_USER, "99999999999"); /* digits, but too large for an id */
    assert_int_equal(pc_access_build(&a, &c, 0, NULL, 0), PC_ENOENT);
    pc_access_conf_free(&c);
    assert_int_equal(pc_access_build(NULL, &c, 0, NULL, 0), PC_EINVAL);
    assert_int_equal(pc_access_build(&a, NULL, 0, NULL, 0), PC_EINVAL);
}

static void test_peer_read(void **state)
{
    int sv[2];
    pc_peer_t p;
    (void)state;

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_int_equal(pc_peer_read(sv[0], &p), 0);
    assert_int_equal(p.uid, getuid());
    assert_int_equal(p.gid, getgid());
    assert_int_equal(p.pid, getpid());
    {
        gid_t mine[PC_PEER_MAX_GROUPS];
        int n = getgroups(PC_PEER_MAX_GROUPS, mine);
        if (n >= 0 && p.ngroups > 0)
            assert_int_equal(p.ngroups, (size_t)n);
    }
    close(sv[0]);
    close(sv[1]);
    /* not a socket: an error, and ids that match nothing */
    assert_int_equal(pc_peer_read(-1, &p), PC_EIO);
    assert_int_equal(p.uid, (uid_t)-1);
    assert_int_equal(p.gid, (gid_t)-1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_open_by_default),
        cmocka_unit_test(test_lists),
        cmocka_unit_test(test_peer_read),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
