/*
 * test_cli_checks.c - `dmarc-query check-spf` and `dmarc-query eval`
 * against the real polcached and the signed DNS world, in both output
 * forms: SPF pass, fail, none, permerror and temperror with the term that
 * decided and the lookup counts; DMARC pass through SPF run by polcached
 * and through DKIM, fail with p=reject and sp for a subdomain, none, a
 * temporary failure, and the usage errors of eval.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "clirun.h"
#include "daemon_proc.h"
#include "testutil.h"

static dproc_t D;
static char SOCK[400];

static int setup(void **state)
{
    dproc_init(&D, dproc_world_conf());
    cli_daemon_start(&D, SOCK, sizeof(SOCK));
    *state = &D;
    return 0;
}

#define RUN(r, want, ...) CLI_RUN(r, want, SOCK, __VA_ARGS__)

/* ---- check-spf ---- */

static void test_spf_pass_fail(void **state)
{
    clires_t r;
    (void)state;

    RUN(&r, 0, "--json", "check-spf", "192.0.2.1", "user@secure.pcw", "mx.secure.pcw");
    assert_string_equal(cli_jstr(r.json, "command"), "check-spf");
    assert_string_equal(cli_jstr(r.json, "ip"), "192.0.2.1");
    assert_string_equal(cli_jstr(r.json, "mailfrom"), "user@secure.pcw");
    assert_string_equal(cli_jstr(r.json, "helo"), "mx.secure.pcw");
    assert_string_equal(cli_jstr(r.json, "result"), "pass");
    assert_string_equal(cli_jstr(r.json, "scope"), "mailfrom");
    assert_string_equal(cli_jstr(r.json, "spf_domain"), "secure.pcw");
    assert_string_equal(cli_jstr(r.json, "matched"), "ip4:192.0.2.0/24");
    assert_string_equal(cli_jstr(r.json, "term_domain"), "secure.pcw");
    assert_int_equal(cli_jint(r.json, "dns_lookups"), 0);
    assert_int_equal(cli_jint(r.json, "void_lookups"), 0);
    assert_true(cli_jnull(r.json, "why"));
    assert_string_equal(cli_jstr(r.json, "dnssec"), "secure");
    assert_string_equal(cli_jstr(r.json, "cache"), "miss");
    assert_true(cli_jint(r.json, "ttl") > 0); /* the SPF record's 300 s at most */
    assert_true(cli_jint(r.json, "ttl") <= 300);
    cli_res_free(&r);
    RUN(&r, 0, "check-spf", "192.0.2.1", "user@secure.pcw");
    assert_true(cli_has_line(r.out, "SPF check of 192.0.2.1 for user@secure.pcw"));
    cli_check_kv(r.out, "result", "pass");
    cli_check_kv(r.out, "identity", "MAIL FROM secure.pcw");
    cli_check_kv(r.out, "matched", "ip4:192.0.2.0/24 (in the record of secure.pcw)");
    cli_check_kv(r.out, "lookups", "0 of 10 DNS-querying terms, 0 of 2 void");
    cli_check_kv(r.out, "dnssec", "secure: validated from the trust anchor");
    cli_check_kv(r.out, "cache", "hit: every answer from the cache");
    assert_non_null(strstr(r.out, " s: the same question may reuse this answer\n"));
    cli_res_free(&r);

    /* another client, IPv6, fails on -all */
    RUN(&r, 0, "--json", "check-spf", "2001:db8::99", "user@secure.pcw");
    assert_string_equal(cli_jstr(r.json, "result"), "fail");
    assert_string_equal(cli_jstr(r.json, "matched"), "-all");
    cli_res_free(&r);
    RUN(&r, 0, "check-spf", "203.0.113.5", "user@secure.pcw");
    cli_check_kv(r.out, "result", "fail");
    cli_check_kv(r.out, "matched", "-all (in the record of secure.pcw)");
    assert_non_null(strstr(r.out, "\n  A-R          spf=fail ("));
    assert_non_null(strstr(r.out, "\n  Received-SPF fail ("));
    cli_res_free(&r);
    /* both header texts, and no explanation without exp= */
    RUN(&r, 0, "--json", "check-spf", "203.0.113.5", "user@secure.pcw", "mx.secure.pcw");
    assert_true(cli_jnull(r.json, "explanation"));
    assert_int_equal(strncmp(cli_jstr(r.json, "auth_results"), "spf=fail (", 10), 0);
    assert_non_null(strstr(cli_jstr(r.json, "auth_results"), " smtp.mailfrom=secure.pcw"));
    assert_int_equal(strncmp(cli_jstr(r.json, "received_spf"), "fail (", 6), 0);
    assert_non_null(strstr(cli_jstr(r.json, "received_spf"), "client-ip=203.0.113.5;"));
    assert_non_null(strstr(cli_jstr(r.json, "received_spf"), "helo=mx.secure.pcw;"));
    cli_res_free(&r);

    /* the null reverse-path: postmaster@HELO */
    RUN(&r, 0, "--json", "check-spf", "192.0.2.7", "<>", "secure.pcw");
    assert_string_equal(cli_jstr(r.json, "mailfrom"), "");
    assert_string_equal(cli_jstr(r.json, "result"), "pass");
    assert_string_equal(cli_jstr(r.json, "spf_domain"), "secure.pcw");
    cli_res_free(&r);
}

static void test_spf_errors(void **state)
{
    clires_t r;
    (void)state;

    RUN(&r, 1, "--json", "check-spf", "192.0.2.1", "user@nodata.secure.pcw");
    assert_string_equal(cli_jstr(r.json, "result"), "none");
    assert_true(cli_jnull(r.json, "matched"));
    assert_non_null(cli_jstr(r.json, "why"));
    cli_res_free(&r);
    RUN(&r, 1, "check-spf", "192.0.2.1", "user@nodata.secure.pcw");
    cli_check_kv(r.out, "result", "none");
    cli_check_kv(r.out, "matched", "no term");
    cli_res_free(&r);

    RUN(&r, 65, "--json", "check-spf", "192.0.2.1", "user@twospf.secure.pcw");
    assert_string_equal(cli_jstr(r.json, "result"), "permerror");
    cli_res_free(&r);

    RUN(&r, 75, "--json", "check-spf", "192.0.2.1", "user@silent.pcw");
    assert_string_equal(cli_jstr(r.json, "result"), "temperror");
    assert_non_null(cli_jstr(r.json, "why"));
    assert_int_equal(cli_jint(r.json, "ttl"), 0);
    cli_res_free(&r);
    RUN(&r, 75, "check-spf", "192.0.2.1", "user@silent.pcw");
    cli_check_kv(r.out, "result", "temperror");
    cli_check_kv(r.out, "ttl", "0: do not reuse this answer");
    cli_res_free(&r);

    /* an address that is not one: a usage error, from the library */
    RUN(&r, 64, "--json", "check-spf", "192.0.2.300", "user@secure.pcw");
    assert_string_equal(cli_jstr(json_object_get(r.json, "error"), "name"), "PC_EINVAL");
    cli_res_free(&r);
    RUN(&r, 64, "check-spf", "192.0.2.1");
    cli_res_free(&r);
}

/* ---- eval ---- */

static const json_t *ident(const json_t *doc, size_t i)
{
    const json_t *v = json_array_get(json_object_get(doc, "identifiers"), i);
    if (v == NULL)
        fail_msg("no identifier %zu", i);
    return v;
}

static void test_eval_pass(void **state)
{
    const json_t *id, *spf;
    clires_t r;
    (void)state;

    /* SPF run by polcached passes and aligns */
    RUN(&r, 0, "--json", "eval", "--from", "secure.pcw", "--ip", "192.0.2.1", "--mailfrom",
        "bounce@secure.pcw", "--helo", "mail.secure.pcw");
    assert_string_equal(cli_jstr(r.json, "command"), "eval");
    assert_string_equal(cli_jstr(r.json, "from"), "secure.pcw");
    assert_string_equal(cli_jstr(r.json, "result"), "pass");
    assert_string_equal(cli_jstr(r.json, "auth_results"),
                        "dmarc=pass (p=reject dis=none) header.from=secure.pcw policy.dmarc=none");
    assert_string_equal(cli_jstr(r.json, "policy_tag"), "p");
    assert_string_equal(cli_jstr(r.json, "policy"), "reject");
    assert_string_equal(cli_jstr(r.json, "disposition"), "none");
    assert_string_equal(cli_jstr(r.json, "recommended"), "none");
    assert_int_equal(cli_jbool(r.json, "testing"), 0);
    assert_int_equal(cli_jint(r.json, "pct"), 100);
    assert_int_equal(cli_jbool(r.json, "sampled_out"), 0);
    assert_string_equal(cli_jstr(r.json, "method"), "treewalk");
    assert_string_equal(cli_jstr(r.json, "org_domain"), "secure.pcw");
    assert_string_equal(cli_jstr(r.json, "policy_domain"), "secure.pcw");
    assert_string_equal(cli_jstr(r.json, "dnssec"), "secure");
    assert_string_equal(cli_jstr(r.json, "rua"), "mailto:d@secure.pcw");
    assert_true(cli_jnull(r.json, "ruf"));
    assert_true(cli_jint(r.json, "ttl") > 0);
    assert_true(cli_jint(r.json, "ttl") <= 300);
    spf = json_object_get(r.json, "spf");
    assert_string_equal(cli_jstr(spf, "result"), "pass");
    assert_string_equal(cli_jstr(spf, "spf_domain"), "secure.pcw");
    id = ident(r.json, 0);
    assert_string_equal(cli_jstr(id, "kind"), "spf");
    assert_string_equal(cli_jstr(id, "domain"), "secure.pcw");
    assert_true(cli_jnull(id, "selector"));
    assert_string_equal(cli_jstr(id, "result"), "pass");
    assert_string_equal(cli_jstr(id, "alignment"), "relaxed");
    assert_int_equal(cli_jbool(id, "aligned"), 1);
    cli_res_free(&r);
    RUN(&r, 0, "eval", "--from", "secure.pcw", "--ip", "192.0.2.1", "--mailfrom",
        "bounce@secure.pcw");
    assert_true(cli_has_line(r.out, "DMARC evaluation of mail from secure.pcw"));
    cli_check_kv(r.out, "result", "pass");
    cli_check_kv(r.out, "A-R", "dmarc=pass (p=reject dis=none) header.from=secure.pcw");
    assert_true(cli_has_line(r.out, "               policy.dmarc=none"));
    cli_check_kv(r.out, "policy", "p=reject, from the record of secure.pcw");
    cli_check_kv(r.out, "disposition", "none (recommended: none)");
    cli_check_kv(r.out, "spf", "pass for secure.pcw (run by polcached)");
    assert_non_null(strstr(r.out, "\n  ttl "));
    assert_true(cli_has_line(r.out, "Identifiers (1)"));
    assert_true(cli_has_line(r.out, "  spf  pass      secure.pcw: aligned, relaxed"));
    cli_res_free(&r);

    /* pass through DKIM, the given SPF result failing */
    RUN(&r, 0, "--json", "eval", "--from", "secure.pcw", "--spf", "fail:other.example",
        "--dkim", "pass:secure.pcw:sel", "--dkim", "fail:secure.pcw:ed");
    assert_string_equal(cli_jstr(r.json, "result"), "pass");
    assert_true(cli_jnull(r.json, "spf"));
    assert_int_equal(json_array_size(json_object_get(r.json, "identifiers")), 3);
    id = ident(r.json, 0);
    assert_string_equal(cli_jstr(id, "result"), "fail");
    assert_int_equal(cli_jbool(id, "aligned"), 0);
    id = ident(r.json, 1);
    assert_string_equal(cli_jstr(id, "kind"), "dkim");
    assert_string_equal(cli_jstr(id, "selector"), "sel");
    assert_int_equal(cli_jbool(id, "aligned"), 1);
    id = ident(r.json, 2);
    assert_string_equal(cli_jstr(id, "selector"), "ed");
    assert_int_equal(cli_jbool(id, "aligned"), 0);
    cli_res_free(&r);
    RUN(&r, 0, "eval", "--from", "secure.pcw", "--spf", "fail:other.example", "--dkim",
        "pass:secure.pcw:sel");
    assert_true(cli_has_line(r.out, "  dkim pass      secure.pcw s=sel: aligned, relaxed"));
    cli_res_free(&r);
}

static void test_eval_fail_none(void **state)
{
    clires_t r;
    (void)state;

    /* a subdomain that exists: sp (defaults to p=reject); SPF fails */
    RUN(&r, 0, "--json", "eval", "--from", "mail.secure.pcw", "--ip", "203.0.113.5",
        "--mailfrom", "x@secure.pcw");
    assert_string_equal(cli_jstr(r.json, "result"), "fail");
    assert_string_equal(cli_jstr(r.json, "policy_tag"), "sp");
    assert_string_equal(cli_jstr(r.json, "disposition"), "reject");
    assert_string_equal(cli_jstr(json_object_get(r.json, "spf"), "result"), "fail");
    assert_string_equal(cli_jstr(r.json, "auth_results"),
                        "dmarc=fail (p=reject dis=reject) header.from=mail.secure.pcw "
                        "policy.dmarc=reject");
    cli_res_free(&r);
    RUN(&r, 0, "eval", "--from", "mail.secure.pcw", "--spf", "pass:other.example");
    cli_check_kv(r.out, "result", "fail");
    cli_check_kv(r.out, "disposition", "reject (recommended: reject)");
    cli_res_free(&r);

    /* no policy */
    RUN(&r, 1, "--json", "eval", "--from", "nonexistent.pcw", "--spf", "pass:nonexistent.pcw");
    assert_string_equal(cli_jstr(r.json, "result"), "none");
    assert_true(cli_jnull(r.json, "policy"));
    assert_string_equal(cli_jstr(r.json, "auth_results"), "dmarc=none header.from=nonexistent.pcw");
    cli_res_free(&r);
    RUN(&r, 1, "eval", "--from", "nonexistent.pcw", "--spf", "pass:nonexistent.pcw");
    cli_check_kv(r.out, "result", "none");
    cli_res_free(&r);

    /* a bogus policy record: temperror, never a verdict */
    RUN(&r, 75, "--json", "eval", "--from", "bogus-ds.pcw", "--spf", "pass:bogus-ds.pcw");
    assert_string_equal(cli_jstr(r.json, "result"), "temperror");
    assert_non_null(cli_jstr(r.json, "why"));
    cli_res_free(&r);
    RUN(&r, 75, "eval", "--from", "bogus-ds.pcw", "--spf", "pass:bogus-ds.pcw");
    cli_check_kv(r.out, "result", "temperror");
    cli_res_free(&r);
}

static void test_eval_usage(void **state)
{
    static const char *const bad[][6] = {
        {"--spf", "pass:secure.pcw", NULL},                         /* no --from */
        {"--from", "secure.pcw", NULL},                             /* no SPF part */
        {"--from", "secure.pcw", "--spf", "pass:a", "--ip", "192.0.2.1"}, /* both */
        {"--from", "secure.pcw", "--mailfrom", "a@b", NULL},        /* no --ip */
        {"--from", "secure.pcw", "--spf", "great:a", NULL},         /* bad result */
        {"--from", "secure.pcw", "--spf", "pass", NULL},            /* no domain */
        {"--from", "secure.pcw", "--spf", "pass:a", "--dkim", "ok:a"},
        {"--from", "secure.pcw", "--spf", "pass:a", "--pct-roll", "100"},
        {"--from", "secure.pcw", "--ip", "192.0.2.1", "--spf-scope", "helo"},
    };
    (void)state;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        clires_t r;
        cli_run(&r, NULL, SOCK, "--json", "eval", bad[i][0], bad[i][1], bad[i][2], bad[i][3],
                bad[i][4], bad[i][5], (const char *)NULL);
        if (r.status != 64 || r.out[0] != '\0')
            fail_msg("case %zu: status %d, output %s", i, r.status, r.out);
        cli_res_free(&r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spf_pass_fail), cmocka_unit_test(test_spf_errors),
        cmocka_unit_test(test_eval_pass),     cmocka_unit_test(test_eval_fail_none),
        cmocka_unit_test(test_eval_usage),
    };
    pc_test_world_load();
    return cmocka_run_group_tests(tests, setup, cli_daemon_teardown);
}
