/*
 * test_cli_usage.c - dmarc-query without a working daemon: the command
 * line (every usage error exits 64 and writes no JSON), --help and
 * --version, every command with the daemon down (69, with the socket
 * named and a JSON error), $POLCACHE_SOCKET, and a daemon that never
 * answers (--timeout, 75).
 */
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

#include "clirun.h"

#define DOWN "--socket=/tmp/pc-cli-no-such-dir/polcached.sock"

static void expect_usage(const char *why, ...)
{
    clires_t r;
    const char *args[16] = {NULL};
    int n = 0;
    va_list ap;

    va_start(ap, why);
    for (const char *a; n < 15 && (a = va_arg(ap, const char *)) != NULL;)
        args[n++] = a;
    va_end(ap);
    args[n] = NULL;
    cli_run(&r, NULL, DOWN, "--json", args[0], args[1], args[2], args[3], args[4], args[5],
            (const char *)NULL);
    if (r.status != 64)
        fail_msg("%s: status %d, stderr: %s", why, r.status, r.err);
    if (strstr(r.err, "dmarc-query: ") == NULL)
        fail_msg("%s: no message: %s", why, r.err);
    if (r.out[0] != '\0')
        fail_msg("%s: output on a usage error: %s", why, r.out);
    cli_res_free(&r);
}

static void test_usage_errors(void **state)
{
    (void)state;
    expect_usage("no words", NULL);
    expect_usage("unknown option", "--frobnicate", "secure.pcw", NULL);
    expect_usage("unknown short option", "-z", "secure.pcw", NULL);
    expect_usage("missing value", "secure.pcw", "--timeout", NULL);
    expect_usage("bad timeout", "--timeout", "soon", "secure.pcw", NULL);
    expect_usage("zero timeout", "--timeout=0", "secure.pcw", NULL);
    expect_usage("huge timeout", "--timeout=9999", "secure.pcw", NULL);
    expect_usage("bad colour", "--color=sometimes", "secure.pcw", NULL);
    expect_usage("two domains", "a.example", "b.example", NULL);
    expect_usage("spf without domain", "spf", NULL);
    expect_usage("dkim without domain", "dkim", "sel", NULL);
    expect_usage("stats with a word", "stats", "now", NULL);
    expect_usage("--exact with spf", "spf", "--exact", "secure.pcw", NULL);
    expect_usage("--all with dump", "dump", "--all", NULL);
    expect_usage("--type with dmarc", "--type", "spf", "secure.pcw", NULL);
    expect_usage("--exact and --method", "--exact", "--method", "psl", "secure.pcw", NULL);
    expect_usage("bad method", "--method", "guess", "secure.pcw", NULL);
    expect_usage("flush with neither", "flush", NULL);
    expect_usage("flush with both", "flush", "secure.pcw", "--all", NULL);
    expect_usage("dump --expired --fresh", "dump", "--expired", "--fresh", NULL);
    expect_usage("dump bad type", "dump", "--type", "soa", NULL);
    expect_usage("dump bad state", "dump", "--dnssec", "maybe", NULL);
    expect_usage("dump bad page", "dump", "--page-size", "0", NULL);
    expect_usage("dump big page", "dump", "--page-size=257", NULL);
    expect_usage("empty socket", "--socket=", "secure.pcw", NULL);
}

static void test_help_version(void **state)
{
    clires_t r;
    (void)state;

    cli_run(&r, NULL, "--help", (const char *)NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "usage: dmarc-query [options] DOMAIN"));
    for (const char *c = "spf\0dkim\0stats\0flush\0dump\0"; *c != '\0'; c += strlen(c) + 1) {
        char line[32];
        snprintf(line, sizeof(line), "\n  %s ", c);
        if (strstr(r.out, line) == NULL)
            fail_msg("--help lacks %s:\n%s", c, r.out);
    }
    assert_non_null(strstr(r.out, "--json"));
    assert_non_null(strstr(r.out, "75 temporary failure"));
    cli_res_free(&r);

    cli_run(&r, NULL, "-V", (const char *)NULL);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "dmarc-query " PC_VERSION "\n");
    cli_res_free(&r);
}

/* Every command, the daemon down: 69 in both output forms. */
static void test_daemon_down(void **state)
{
    static const char *const cmds[][4] = {
        {"secure.pcw", NULL},         {"--exact", "secure.pcw", NULL},
        {"spf", "secure.pcw", NULL},  {"dkim", "sel", "secure.pcw", NULL},
        {"stats", NULL},              {"flush", "secure.pcw", NULL},
        {"flush", "--all", NULL},     {"dump", "--type", "dmarc", NULL},
    };
    static const char *const names[] = {"dmarc", "dmarc", "spf", "dkim",
                                        "stats", "flush", "flush", "dump"};
    (void)state;

    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        clires_t r;
        json_t *e;
        cli_run(&r, NULL, DOWN, cmds[i][0], cmds[i][1], cmds[i][2], (const char *)NULL);
        if (r.status != 69)
            fail_msg("%s: status %d: %s", cmds[i][0], r.status, r.err);
        assert_non_null(strstr(r.err, "daemon unavailable (PC_EUNAVAIL) at "
                                      "/tmp/pc-cli-no-such-dir/polcached.sock"));
        assert_string_equal(r.out, "");
        cli_res_free(&r);

        cli_run(&r, NULL, DOWN, "--json", cmds[i][0], cmds[i][1], cmds[i][2],
                (const char *)NULL);
        assert_int_equal(r.status, 69);
        assert_string_equal(cli_jstr(r.json, "command"), names[i]);
        e = json_object_get(r.json, "error");
        assert_non_null(e);
        assert_string_equal(cli_jstr(e, "name"), "PC_EUNAVAIL");
        assert_int_equal(cli_jint(e, "code"), -20);
        assert_string_equal(cli_jstr(e, "message"), "daemon unavailable");
        assert_int_equal(cli_jint(r.json, "exit"), 69);
        cli_res_free(&r);
    }
}

static void test_env_socket(void **state)
{
    const char *env[] = {"POLCACHE_SOCKET=/tmp/pc-cli-env-socket/x.sock", NULL};
    cliopt_t opt = {env, 0, 0, 0};
    clires_t r;
    (void)state;

    cli_run(&r, &opt, "spf", "secure.pcw", (const char *)NULL);
    assert_int_equal(r.status, 69);
    assert_non_null(strstr(r.err, "at /tmp/pc-cli-env-socket/x.sock"));
    cli_res_free(&r);
}

/* A socket that accepts connections (in the backlog) but never answers. */
static void test_timeout(void **state)
{
    char dir[] = "/tmp/pc-cli-XXXXXX", path[64], arg[80];
    struct sockaddr_un sa;
    clires_t r;
    int fd;
    (void)state;

    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/mute.sock", dir);
    snprintf(arg, sizeof(arg), "--socket=%s", path);
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(fd, 8), 0);

    cli_run(&r, NULL, arg, "--timeout=0.3", "secure.pcw", (const char *)NULL);
    assert_int_equal(r.status, 75);
    assert_non_null(strstr(r.err, "timed out (PC_ETIMEDOUT)"));
    cli_res_free(&r);
    cli_run(&r, NULL, arg, "-t", "0.2", "--json", "stats", (const char *)NULL);
    assert_int_equal(r.status, 75);
    assert_string_equal(cli_jstr(json_object_get(r.json, "error"), "name"), "PC_ETIMEDOUT");
    cli_res_free(&r);

    close(fd);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_help_version),
        cmocka_unit_test(test_daemon_down),
        cmocka_unit_test(test_env_socket),
        cmocka_unit_test(test_timeout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
