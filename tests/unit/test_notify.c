/*
 * test_notify.c - unit tests of daemon/notify.c: nothing is sent without
 * $NOTIFY_SOCKET; a datagram reaches a socket named by path or in the
 * abstract namespace ("@name"); bad names and missing sockets are
 * errors, never crashes.
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
#include <unistd.h>

#include <cmocka.h>

#include "notify.h"
#include "polcache/error.h"

/* Bind a datagram socket: a path, or abstract when name starts with '@'. */
static int listen_at(const char *name)
{
    struct sockaddr_un sa;
    size_t n = strlen(name);
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

    assert_true(fd >= 0);
    assert_true(n < sizeof(sa.sun_path));
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, name, n);
    if (name[0] == '@')
        sa.sun_path[0] = '\0';
    assert_int_equal(bind(fd, (struct sockaddr *)&sa,
                          (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n +
                                      (name[0] == '/'))),
                     0);
    return fd;
}

static void expect(int fd, const char *needle)
{
    char buf[256];
    struct pollfd p = {fd, POLLIN, 0};
    ssize_t n;

    assert_int_equal(poll(&p, 1, 2000), 1);
    n = recv(fd, buf, sizeof(buf) - 1, 0);
    assert_true(n > 0);
    buf[n] = '\0';
    assert_non_null(strstr(buf, needle));
}

static void test_unset(void **state)
{
    (void)state;
    unsetenv("NOTIFY_SOCKET");
    assert_int_equal(pc_notify("READY=1"), 0);
    setenv("NOTIFY_SOCKET", "", 1);
    assert_int_equal(pc_notify("READY=1"), 0);
    assert_int_equal(pc_notify(NULL), PC_EINVAL);
}

static void test_path_and_abstract(void **state)
{
    char dir[] = "/tmp/pc-notify-XXXXXX", path[64], abstract[64];
    int fd;
    (void)state;

    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/notify", dir);
    fd = listen_at(path);
    setenv("NOTIFY_SOCKET", path, 1);
    assert_int_equal(pc_notify("READY=1\nSTATUS=serving"), 1);
    expect(fd, "READY=1\nSTATUS=serving");
    assert_int_equal(pc_notify_reloading(), 1);
    expect(fd, "RELOADING=1\nMONOTONIC_USEC=");
    close(fd);
    unlink(path);
    /* the socket is gone: an error code */
    assert_true(pc_notify("STOPPING=1") < 0);
    rmdir(dir);

    snprintf(abstract, sizeof(abstract), "@pc-notify-test-%d", (int)getpid());
    fd = listen_at(abstract);
    setenv("NOTIFY_SOCKET", abstract, 1);
    assert_int_equal(pc_notify("STOPPING=1"), 1);
    expect(fd, "STOPPING=1");
    close(fd);
}

static void test_bad_names(void **state)
{
    char big[200];
    (void)state;

    setenv("NOTIFY_SOCKET", "relative/path", 1);
    assert_int_equal(pc_notify("READY=1"), PC_EINVAL);
    memset(big, 'a', sizeof(big) - 1);
    big[0] = '/';
    big[sizeof(big) - 1] = '\0';
    setenv("NOTIFY_SOCKET", big, 1);
    assert_int_equal(pc_notify("READY=1"), PC_EINVAL);
    unsetenv("NOTIFY_SOCKET");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unset),
        cmocka_unit_test(test_path_and_abstract),
        cmocka_unit_test(test_bad_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
