/*
 * test_cli_cache.c - `dmarc-query stats`, `dump` and `flush` against a
 * fresh polcached on the signed DNS world, in both output forms: the
 * counters, a dump of what a few lookups cached with every filter and with
 * paging, an expired entry, flush of a name and of everything; then the
 * refusals: a peer that is not an admin (77) and a daemon at its
 * connection limit (69).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "clirun.h"
#include "daemon_proc.h"
#include "pcclient.h"
#include "produtil.h"
#include "testutil.h"

static dproc_t D;
static char SOCK[400];

static int setup(void **state)
{
    char conf[1400];

    /* failures held for 1 s, so that one expires within the test */
    snprintf(conf, sizeof(conf), "%sfail-hold: 1\n", dproc_world_conf());
    dproc_init(&D, conf);
    cli_daemon_start(&D, SOCK, sizeof(SOCK));
    *state = &D;
    return 0;
}

#define RUN(r, want, ...) CLI_RUN(r, want, SOCK, __VA_ARGS__)

static void test_stats(void **state)
{
    const json_t *counters;
    clires_t r;
    (void)state;

    RUN(&r, 0, "--json", "stats");
    assert_string_equal(cli_jstr(r.json, "command"), "stats");
    assert_string_equal(cli_jstr(r.json, "version"), "polcached " PC_VERSION);
    assert_int_equal(cli_jint(r.json, "protocol"), 1);
    counters = json_object_get(r.json, "counters");
    assert_true(json_object_size(counters) > 10);
    assert_int_equal(cli_jint(counters, "requests.ping"), 1);
    assert_int_equal(cli_jint(counters, "cache.entries"), 0);
    assert_true(cli_jint(counters, "daemon.uptime") >= 0);
    cli_res_free(&r);

    RUN(&r, 0, "stats");
    assert_non_null(strstr(r.out, "polcached " PC_VERSION " (protocol 1): "));
    assert_non_null(strstr(r.out, " counters\n"));
    assert_non_null(strstr(r.out, "\n  requests.stats "));
    /* the counter it asked for the JSON run, right-aligned after its name */
    {
        char buf[64];
        const char *v = cli_kv(r.out, "requests.stats", buf, sizeof(buf));
        assert_non_null(v);
        assert_string_equal(v, "2"); /* this one counts too */
    }
    cli_res_free(&r);
}

/* Fill the cache: five answers, one of them bogus, one a held failure. */
static void fill(void)
{
    clires_t r;
    RUN(&r, 0, "--exact", "secure.pcw");
    cli_res_free(&r);
    RUN(&r, 0, "spf", "secure.pcw");
    cli_res_free(&r);
    RUN(&r, 0, "dkim", "ed", "secure.pcw");
    cli_res_free(&r);
    RUN(&r, 75, "--exact", "bogus-ds.pcw");
    cli_res_free(&r);
    RUN(&r, 75, "--exact", "servfail.pcw");
    cli_res_free(&r);
}

static void test_dump(void **state)
{
    const json_t *entries, *e, *filter;
    clires_t r;
    (void)state;

    fill();
    RUN(&r, 0, "--json", "dump");
    assert_string_equal(cli_jstr(r.json, "command"), "dump");
    filter = json_object_get(r.json, "filter");
    assert_true(cli_jnull(filter, "type") && cli_jnull(filter, "suffix") &&
                cli_jnull(filter, "dnssec") && cli_jnull(filter, "expired"));
    entries = json_object_get(r.json, "entries");
    assert_int_equal(json_array_size(entries), 5);
    assert_int_equal(cli_jint(r.json, "count"), 5);
    assert_int_equal(cli_jint(r.json, "pages"), 1);
    assert_int_equal(cli_jbool(r.json, "complete"), 1);
    e = cli_jfind(entries, "qname", "_dmarc.secure.pcw");
    assert_non_null(e);
    assert_string_equal(cli_jstr(e, "type"), "dmarc");
    assert_string_equal(cli_jstr(e, "outcome"), "found");
    assert_string_equal(cli_jstr(e, "dnssec"), "secure");
    assert_in_range(cli_jint(e, "ttl"), 1, 300);
    assert_in_range(cli_jint(e, "age"), 0, 10);
    assert_int_equal(cli_jbool(e, "expired"), 0);
    assert_string_equal(cli_jstr(e, "record"), "v=DMARC1; p=reject; rua=mailto:d@secure.pcw");
    assert_true(cli_jnull(e, "why"));
    e = cli_jfind(entries, "qname", "ed._domainkey.secure.pcw");
    assert_string_equal(cli_jstr(e, "type"), "dkim");
    e = cli_jfind(entries, "qname", "_dmarc.bogus-ds.pcw");
    assert_string_equal(cli_jstr(e, "outcome"), "tempfail");
    assert_string_equal(cli_jstr(e, "dnssec"), "bogus");
    assert_true(cli_jnull(e, "record"));
    assert_non_null(cli_jstr(e, "why"));
    cli_res_free(&r);

    RUN(&r, 0, "dump");
    assert_non_null(strstr(r.out, "TYPE   NAME "));
    assert_non_null(strstr(r.out, "\ndmarc  _dmarc.secure.pcw "));
    assert_non_null(strstr(r.out, " found      secure  "));
    assert_true(cli_has_line(r.out, "       v=DMARC1; p=reject; rua=mailto:d@secure.pcw"));
    assert_non_null(strstr(r.out, "\nspf    secure.pcw "));
    assert_true(cli_has_line(r.out, "5 entries"));
    cli_res_free(&r);

    /* each filter */
    RUN(&r, 0, "--json", "dump", "--type", "spf");
    assert_string_equal(cli_jstr(json_object_get(r.json, "filter"), "type"), "spf");
    assert_int_equal(cli_jint(r.json, "count"), 1);
    assert_string_equal(cli_jstr(json_array_get(json_object_get(r.json, "entries"), 0), "qname"),
                        "secure.pcw");
    cli_res_free(&r);
    RUN(&r, 0, "--json", "dump", "--suffix", "secure.pcw");
    assert_string_equal(cli_jstr(json_object_get(r.json, "filter"), "suffix"), "secure.pcw");
    assert_int_equal(cli_jint(r.json, "count"), 3);
    cli_res_free(&r);
    RUN(&r, 0, "--json", "dump", "--dnssec", "bogus");
    assert_int_equal(cli_jint(r.json, "count"), 1);
    assert_string_equal(cli_jstr(json_array_get(json_object_get(r.json, "entries"), 0), "qname"),
                        "_dmarc.bogus-ds.pcw");
    cli_res_free(&r);
    RUN(&r, 0, "dump", "-d", "bogus");
    assert_non_null(strstr(r.out, "\ndmarc  _dmarc.bogus-ds.pcw "));
    assert_non_null(strstr(r.out, " tempfail   bogus   "));
    assert_non_null(strstr(r.out, "\n       validation failure"));
    assert_true(cli_has_line(r.out, "1 entry"));
    cli_res_free(&r);
    RUN(&r, 1, "--json", "dump", "--suffix", "nonexistent.example");
    assert_int_equal(cli_jint(r.json, "count"), 0);
    assert_int_equal(json_array_size(json_object_get(r.json, "entries")), 0);
    cli_res_free(&r);
    RUN(&r, 1, "dump", "--type", "ptr");
    assert_true(cli_has_line(r.out, "0 entries"));
    cli_res_free(&r);

    /* paging: two entries per request, the same five */
    RUN(&r, 0, "--json", "dump", "--page-size", "2");
    assert_int_equal(cli_jint(r.json, "count"), 5);
    assert_int_equal(cli_jint(r.json, "pages"), 3);
    cli_res_free(&r);

    /* the held SERVFAIL expires after a second */
    sleep(2);
    RUN(&r, 0, "--json", "dump", "--expired");
    assert_int_equal(cli_jbool(json_object_get(r.json, "filter"), "expired"), 1);
    entries = json_object_get(r.json, "entries");
    e = cli_jfind(entries, "qname", "_dmarc.servfail.pcw");
    assert_non_null(e);
    assert_int_equal(cli_jbool(e, "expired"), 1);
    assert_int_equal(cli_jint(e, "ttl"), 0);
    assert_null(cli_jfind(entries, "qname", "_dmarc.secure.pcw"));
    cli_res_free(&r);
    RUN(&r, 0, "dump", "--expired");
    assert_non_null(strstr(r.out, " expired "));
    cli_res_free(&r);
    RUN(&r, 0, "--json", "dump", "--fresh");
    assert_int_equal(cli_jbool(json_object_get(r.json, "filter"), "expired"), 0);
    assert_null(cli_jfind(json_object_get(r.json, "entries"), "qname", "_dmarc.servfail.pcw"));
    assert_non_null(cli_jfind(json_object_get(r.json, "entries"), "qname", "_dmarc.secure.pcw"));
    cli_res_free(&r);
}

static void test_flush(void **state)
{
    clires_t r;
    (void)state;

    fill();
    RUN(&r, 0, "--json", "flush", "secure.pcw");
    assert_string_equal(cli_jstr(r.json, "command"), "flush");
    assert_string_equal(cli_jstr(r.json, "name"), "secure.pcw");
    assert_int_equal(cli_jbool(r.json, "all"), 0);
    assert_int_equal(cli_jint(r.json, "flushed"), 3);
    cli_res_free(&r);
    RUN(&r, 1, "dump", "--suffix", "secure.pcw");
    cli_res_free(&r);
    RUN(&r, 0, "flush", "secure.pcw");
    assert_string_equal(r.out, "flushed 0 entries at and below secure.pcw\n");
    cli_res_free(&r);

    RUN(&r, 0, "flush", "--all");
    assert_string_equal(r.out, "flushed the whole cache: 2 entries\n");
    cli_res_free(&r);
    RUN(&r, 1, "dump");
    cli_res_free(&r);
    RUN(&r, 0, "--json", "flush", "-a");
    assert_true(cli_jnull(r.json, "name"));
    assert_int_equal(cli_jbool(r.json, "all"), 1);
    assert_int_equal(cli_jint(r.json, "flushed"), 0);
    cli_res_free(&r);
}

/* flush and dump from a user who is not an admin: 77 */
static void test_not_admin(void **state)
{
    cliopt_t nobody = {NULL, 1, 0, 0};
    clires_t r;
    (void)state;

    if (getuid() != 0)
        skip(); /* cannot be another user */
    /* let uid 65534 reach the socket */
    assert_int_equal(chmod(D.dir, 0711), 0);
    assert_int_equal(chmod(D.sock, 0666), 0);
    cli_run(&r, &nobody, "--version", (const char *)NULL);
    if (r.status != 0) { /* e.g. a build tree under a private home directory */
        cli_res_free(&r);
        skip();
    }
    cli_res_free(&r);
    cli_run(&r, &nobody, SOCK, "--json", "flush", "--all", (const char *)NULL);
    assert_int_equal(r.status, 77);
    assert_string_equal(cli_jstr(json_object_get(r.json, "error"), "name"), "PC_EPERM");
    assert_non_null(strstr(r.err, "admin"));
    cli_res_free(&r);
    cli_run(&r, &nobody, SOCK, "dump", (const char *)NULL);
    assert_int_equal(r.status, 77);
    cli_res_free(&r);
    /* lookups are for everyone */
    cli_run(&r, &nobody, SOCK, "--exact", "secure.pcw", (const char *)NULL);
    assert_int_equal(r.status, 0);
    cli_res_free(&r);
}

/* a daemon at its connection limit: 69, like one that is down */
static void test_busy(void **state)
{
    char conf[1400], arg[400];
    dproc_t busy;
    clires_t r;
    tc_t held;
    (void)state;

    snprintf(conf, sizeof(conf), "%smax-connections: 1\n", dproc_world_conf());
    dproc_init(&busy, conf);
    dproc_start(&busy);
    /* the one connection it allows: held once it has answered (the probe
     * of dproc_start may still count for a moment) */
    for (int tries = 0;; tries++) {
        assert_int_equal(tc_connect(&held, busy.sock, 5000), 0);
        if (pu_ping(&held, 1, 2000) == 0)
            break;
        tc_close(&held);
        assert_true(tries < 50);
        usleep(20000);
    }
    snprintf(arg, sizeof(arg), "--socket=%s", busy.sock);
    cli_run(&r, NULL, arg, "--json", "stats", (const char *)NULL);
    assert_int_equal(r.status, 69);
    assert_string_equal(cli_jstr(json_object_get(r.json, "error"), "name"), "PC_EBUSY");
    cli_res_free(&r);
    cli_run(&r, NULL, arg, "spf", "secure.pcw", (const char *)NULL);
    assert_int_equal(r.status, 69);
    assert_non_null(strstr(r.err, "(PC_EBUSY)"));
    cli_res_free(&r);
    tc_close(&held);
    dproc_stop(&busy);
    dproc_cleanup(&busy);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stats),     cmocka_unit_test(test_dump),
        cmocka_unit_test(test_flush),     cmocka_unit_test(test_not_admin),
        cmocka_unit_test(test_busy),
    };
    pc_test_world_load();
    return cmocka_run_group_tests(tests, setup, cli_daemon_teardown);
}
