/*
 * test_prod_notify.c - polcached's sd_notify messages, received on a fake
 * $NOTIFY_SOCKET: READY=1 once the socket accepts (and, when the test
 * runs as root, once privileges are dropped: the daemon's uid is already
 * 65534 while the socket it bound is root's); RELOADING=1 with
 * MONOTONIC_USEC and then READY=1 around a SIGHUP; STOPPING=1 on SIGTERM.
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
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon_proc.h"
#include "pcclient.h"
#include "polcache/error.h"
#include "produtil.h"
#include "testutil.h"

/* A datagram socket at DIR/notify that anyone may write to. */
static int notify_socket(const dproc_t *d, char *path, size_t cap)
{
    struct sockaddr_un sa;
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

    assert_true(fd >= 0);
    snprintf(path, cap, "%s/notify", d->dir);
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    assert_true(strlen(path) < sizeof(sa.sun_path));
    memcpy(sa.sun_path, path, strlen(path) + 1);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(chmod(path, 0777), 0);
    assert_int_equal(chmod(d->dir, 0711), 0);
    return fd;
}

/* The next datagram within timeout_ms into buf (NUL-terminated); 0 or -1. */
static int next_msg(int fd, char *buf, size_t cap, unsigned timeout_ms)
{
    struct pollfd p = {fd, POLLIN, 0};
    ssize_t n;

    if (poll(&p, 1, (int)timeout_ms) <= 0)
        return -1;
    n = recv(fd, buf, cap - 1, 0);
    if (n < 0)
        return -1;
    buf[n] = '\0';
    return 0;
}

/* The real uid of a process, from /proc (its files have no size: read lines). */
static long proc_uid(pid_t pid)
{
    char path[64], line[256];
    long uid = -1;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
    if ((f = fopen(path, "r")) == NULL)
        return -1;
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, "Uid:", 4) == 0) {
            uid = strtol(line + 4, NULL, 10);
            break;
        }
    }
    fclose(f);
    return uid;
}

static void run(const char *user, long want_uid)
{
    char path[400], msg[512], conf[1500];
    struct stat st;
    dproc_t d;
    int fd;

    dproc_init(&d, NULL);
    fd = notify_socket(&d, path, sizeof(path));
    snprintf(conf, sizeof(conf), "%s%s", user, dproc_world_conf());
    pu_write_conf(&d, conf);
    assert_int_equal(setenv("NOTIFY_SOCKET", path, 1), 0);
    dproc_start(&d);
    unsetenv("NOTIFY_SOCKET");

    assert_int_equal(next_msg(fd, msg, sizeof(msg), 5000), 0);
    assert_non_null(strstr(msg, "READY=1"));
    if (want_uid >= 0) {
        /* ready means dropped: the socket was bound as root, the daemon is not root */
        assert_int_equal(proc_uid(d.pid), want_uid);
        assert_int_equal(stat(d.sock, &st), 0);
        assert_int_equal(st.st_uid, 0);
    }
    assert_int_equal(next_msg(fd, msg, sizeof(msg), 200), -1); /* nothing else yet */

    if (want_uid < 0 || want_uid == (long)getuid()) {
        /* (a daemon that dropped to another user cannot read its config in DIR) */
        assert_int_equal(pu_reload(&d), 1);
        assert_int_equal(next_msg(fd, msg, sizeof(msg), 5000), 0);
        assert_non_null(strstr(msg, "RELOADING=1"));
        assert_non_null(strstr(msg, "MONOTONIC_USEC="));
        assert_int_equal(next_msg(fd, msg, sizeof(msg), 5000), 0);
        assert_non_null(strstr(msg, "READY=1"));
    }
    assert_int_equal(dproc_stop(&d), 0); /* SIGTERM; the datagram waits in fd */
    assert_int_equal(next_msg(fd, msg, sizeof(msg), 5000), 0);
    assert_non_null(strstr(msg, "STOPPING=1"));
    close(fd);
    dproc_cleanup(&d);
}

static void test_notify_ready_reload_stop(void **state)
{
    (void)state;
    run(getuid() == 0 ? "user: root\n" : "", -1);
}

static void test_notify_after_privilege_drop(void **state)
{
    (void)state;
    if (geteuid() != 0) {
        printf("SKIPPED: the privilege drop needs root\n");
        skip();
    }
    run("user: nobody\n", 65534);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_notify_ready_reload_stop),
        cmocka_unit_test(test_notify_after_privilege_drop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
