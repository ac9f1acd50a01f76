/*
 * test_cli_records.c - `dmarc-query DOMAIN`, `spf` and `dkim` against the
 * real polcached and the signed DNS world, in both output forms, field by
 * field: DMARC discovery (own record, np for a name that does not exist,
 * sp for one that does, no policy, the PSL method) and the exact record
 * (warnings, two records, NXDOMAIN, bogus, a silent server, insecure); SPF
 * terms and lookups, permerror, no record, a record with control octets;
 * DKIM keys (RSA, Ed25519, revoked, flags) and a missing one; colour.
 * A few records are added to the shared world for the run and removed at
 * the end.
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

/* Records this test adds to the world (owner, type, value as rdata). */
static const char *const added[][3] = {
    {"cli-spf.secure.pcw", "", "'v=spf1 a mx include:secure.pcw ptr ?exists:%{i}.x.secure.pcw "
                               "ip6:2001:db8::/32 ~all'"},
    {"cli-ctl.secure.pcw", "--raw", "'\"v=spf1 \\027[2J\\027]0;owned\\007 -all\"'"},
    {"cli-revoked._domainkey.secure.pcw", "", "'v=DKIM1; k=rsa; p='"},
    {"cli-flags._domainkey.secure.pcw", "",
     "'v=DKIM1; k=ed25519; t=y:s; h=sha256; s=email; "
     "p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo='"},
};

/* world.py set [FLAGS] DIR OWNER TXT [VALUE]: no VALUE deletes the RRset */
static void world_set(const char *owner, const char *flags, const char *value)
{
    char args[1600];

    snprintf(args, sizeof(args), "set %s %s %s TXT %s", flags, pc_test_env("PC_WORLD_DIR"), owner,
             value);
    if (world_py(args) != 0)
        fail_msg("world.py set failed: %s", args);
}

static int setup(void **state)
{
    dproc_init(&D, dproc_world_conf());
    for (size_t i = 0; i < sizeof(added) / sizeof(added[0]); i++)
        world_set(added[i][0], added[i][1], added[i][2]);
    cli_daemon_start(&D, SOCK, sizeof(SOCK));
    *state = &D;
    return 0;
}

static int teardown(void **state)
{
    for (size_t i = 0; i < sizeof(added) / sizeof(added[0]); i++)
        world_set(added[i][0], "", "");
    return cli_daemon_teardown(state);
}

/* run dmarc-query against the daemon; expect status */
#define RUN(r, want, ...) CLI_RUN(r, want, SOCK, __VA_ARGS__)

static const json_t *tag(const json_t *doc, const char *name)
{
    const json_t *t = cli_jfind(json_object_get(doc, "tags"), "name", name);
    if (t == NULL)
        fail_msg("no tag %s", name);
    return t;
}

static void check_tag(const json_t *doc, const char *name, const char *value, int dflt)
{
    const json_t *t = tag(doc, name);
    assert_string_equal(cli_jstr(t, "value"), value);
    assert_int_equal(cli_jbool(t, "default"), dflt);
}

static void check_kv_prefix(const char *out, const char *key, const char *want)
{
    char buf[512];
    const char *v = cli_kv(out, key, buf, sizeof(buf));
    if (v == NULL || strncmp(v, want, strlen(want)) != 0)
        fail_msg("\"%s\": \"%s\", not \"%s...\" in:\n%s", key, v ? v : "(none)", want, out);
}

/* ---- DMARC ---- */

static void test_dmarc_discover(void **state)
{
    const json_t *disc, *walk, *w;
    clires_t r;
    (void)state;

    RUN(&r, 0, "--json", "--no-cache", "secure.pcw");
    assert_string_equal(cli_jstr(r.json, "command"), "dmarc");
    assert_string_equal(cli_jstr(r.json, "domain"), "secure.pcw");
    assert_string_equal(cli_jstr(r.json, "qname"), "_dmarc.secure.pcw");
    assert_string_equal(cli_jstr(r.json, "outcome"), "found");
    assert_string_equal(cli_jstr(r.json, "dnssec"), "secure");
    assert_string_equal(cli_jstr(r.json, "cache"), "miss");
    assert_in_range(cli_jint(r.json, "ttl"), 1, 300);
    assert_in_range(cli_jint(r.json, "age"), 0, 5);
    assert_string_equal(cli_jstr(r.json, "record"), "v=DMARC1; p=reject; rua=mailto:d@secure.pcw");
    assert_true(cli_jnull(r.json, "why"));
    assert_string_equal(cli_jstr(r.json, "mode"), "discover");
    check_tag(r.json, "v", "DMARC1", 0);
    check_tag(r.json, "p", "reject", 0);
    check_tag(r.json, "rua", "mailto:d@secure.pcw", 0);
    check_tag(r.json, "sp", "reject", 1);
    check_tag(r.json, "adkim", "r", 1);
    check_tag(r.json, "pct", "100", 1);
    assert_true(json_is_array(json_object_get(r.json, "warnings")));
    disc = json_object_get(r.json, "discovery");
    assert_string_equal(cli_jstr(disc, "method"), "treewalk");
    assert_string_equal(cli_jstr(disc, "org_domain"), "secure.pcw");
    assert_string_equal(cli_jstr(disc, "policy_domain"), "secure.pcw");
    assert_true(cli_jnull(disc, "domain_exists")); /* its own record: not asked */
    assert_string_equal(cli_jstr(disc, "policy_tag"), "p");
    assert_string_equal(cli_jstr(disc, "policy"), "reject");
    walk = json_object_get(disc, "walk");
    assert_true(json_array_size(walk) >= 1);
    w = json_array_get(walk, 0);
    assert_string_equal(cli_jstr(w, "qname"), "_dmarc.secure.pcw");
    assert_string_equal(cli_jstr(w, "outcome"), "found");
    assert_string_equal(cli_jstr(w, "dnssec"), "secure");
    assert_string_equal(cli_jstr(w, "psd"), "u");
    assert_int_equal(cli_jint(r.json, "exit"), 0);
    cli_res_free(&r);

    RUN(&r, 0, "secure.pcw");
    assert_true(cli_has_line(r.out, "DMARC policy for secure.pcw"));
    cli_check_kv(r.out, "name", "_dmarc.secure.pcw");
    cli_check_kv(r.out, "outcome", "found");
    cli_check_kv(r.out, "record", "v=DMARC1; p=reject; rua=mailto:d@secure.pcw");
    cli_check_kv(r.out, "dnssec", "secure: validated from the trust anchor");
    cli_check_kv(r.out, "cache", "hit: from the cache");
    check_kv_prefix(r.out, "ttl", "");
    assert_non_null(strstr(r.out, " s left, fetched "));
    assert_true(cli_has_line(r.out, "Discovery (the default; --exact asks _dmarc.secure.pcw alone)"));
    cli_check_kv(r.out, "method", "RFC 9989 tree walk");
    cli_check_kv(r.out, "org domain", "secure.pcw");
    cli_check_kv(r.out, "policy from", "secure.pcw");
    cli_check_kv(r.out, "applies", "p=reject (the domain's own record)");
    assert_non_null(strstr(r.out, "   1. _dmarc.secure.pcw  found     secure   hit   psd=u\n"));
    assert_true(cli_has_line(r.out, "Tags (3 in the record, 11 by default)"));
    assert_true(cli_has_line(r.out, "  p        reject"));
    assert_true(cli_has_line(r.out, "  sp       reject  (default)"));
    assert_true(cli_has_line(r.out, "  ruf      (none)  (default)"));
    cli_res_free(&r);
}

static void test_dmarc_subdomains(void **state)
{
    const json_t *disc, *w;
    clires_t r;
    (void)state;

    /* a name that does not exist: np */
    RUN(&r, 0, "--json", "nosuch.secure.pcw");
    disc = json_object_get(r.json, "discovery");
    assert_string_equal(cli_jstr(r.json, "qname"), "_dmarc.secure.pcw");
    assert_string_equal(cli_jstr(disc, "policy_domain"), "secure.pcw");
    assert_int_equal(cli_jbool(disc, "domain_exists"), 0);
    assert_string_equal(cli_jstr(disc, "policy_tag"), "np");
    assert_string_equal(cli_jstr(disc, "policy"), "reject");
    w = json_array_get(json_object_get(disc, "walk"), 0);
    assert_string_equal(cli_jstr(w, "qname"), "_dmarc.nosuch.secure.pcw");
    assert_string_equal(cli_jstr(w, "outcome"), "nxdomain");
    assert_true(cli_jnull(w, "psd"));
    cli_res_free(&r);
    RUN(&r, 0, "nosuch.secure.pcw");
    cli_check_kv(r.out, "domain", "nosuch.secure.pcw does not exist (NXDOMAIN)");
    cli_check_kv(r.out, "applies", "np=reject (the policy for non-existent subdomains)");
    assert_non_null(strstr(r.out, "   1. _dmarc.nosuch.secure.pcw  nxdomain  secure   "));
    cli_res_free(&r);

    /* a name that exists (it has an A record): sp */
    RUN(&r, 0, "--json", "mail.secure.pcw");
    disc = json_object_get(r.json, "discovery");
    assert_int_equal(cli_jbool(disc, "domain_exists"), 1);
    assert_string_equal(cli_jstr(disc, "policy_tag"), "sp");
    cli_res_free(&r);
    RUN(&r, 0, "mail.secure.pcw");
    cli_check_kv(r.out, "domain", "mail.secure.pcw exists");
    check_kv_prefix(r.out, "applies", "sp=reject (the subdomain policy");
    cli_res_free(&r);

    /* no policy anywhere on the way */
    RUN(&r, 1, "--json", "nonexistent.pcw");
    assert_string_equal(cli_jstr(r.json, "outcome"), "no-record");
    disc = json_object_get(r.json, "discovery");
    assert_true(cli_jnull(disc, "policy_domain"));
    assert_true(cli_jnull(disc, "policy_tag"));
    assert_true(json_array_size(json_object_get(disc, "walk")) >= 2);
    cli_res_free(&r);
    RUN(&r, 1, "nonexistent.pcw");
    cli_check_kv(r.out, "outcome", "no record");
    cli_check_kv(r.out, "policy from", "(no record applies)");
    cli_res_free(&r);

    /* RFC 7489 mode, asked for */
    RUN(&r, 0, "--json", "--method", "psl", "mail.secure.pcw");
    assert_string_equal(cli_jstr(json_object_get(r.json, "discovery"), "method"), "psl");
    assert_string_equal(cli_jstr(json_object_get(r.json, "discovery"), "org_domain"),
                        "secure.pcw");
    cli_res_free(&r);
    RUN(&r, 0, "-m", "psl", "mail.secure.pcw");
    cli_check_kv(r.out, "method", "RFC 7489, organizational domain from the Public Suffix List");
    cli_res_free(&r);
}

static void test_dmarc_exact(void **state)
{
    const json_t *warn;
    clires_t r;
    (void)state;

    RUN(&r, 0, "--json", "--exact", "cname.secure.pcw");
    assert_string_equal(cli_jstr(r.json, "mode"), "exact");
    assert_true(cli_jnull(r.json, "discovery"));
    assert_string_equal(cli_jstr(r.json, "qname"), "_dmarc.cname.secure.pcw");
    assert_string_equal(cli_jstr(r.json, "record"), "v=DMARC1; p=quarantine; pct=50");
    check_tag(r.json, "pct", "50", 0);
    check_tag(r.json, "sp", "quarantine", 1);
    warn = cli_jfind(json_object_get(r.json, "warnings"), "code", "no-rua");
    assert_non_null(warn);
    assert_non_null(strstr(cli_jstr(warn, "text"), "aggregate reports"));
    assert_non_null(cli_jfind(json_object_get(r.json, "warnings"), "code", "historic-tag"));
    cli_res_free(&r);
    RUN(&r, 0, "-x", "cname.secure.pcw");
    assert_true(cli_has_line(r.out, "DMARC record at _dmarc.cname.secure.pcw"));
    assert_null(strstr(r.out, "Discovery"));
    assert_true(cli_has_line(r.out, "Warnings (2)"));
    assert_non_null(strstr(r.out, "\n  no-rua: no valid rua= URI"));
    cli_res_free(&r);

    /* two records: no record, with the warning */
    RUN(&r, 1, "--json", "--exact", "twodmarc.secure.pcw");
    assert_string_equal(cli_jstr(r.json, "outcome"), "no-record");
    assert_string_equal(cli_jstr(r.json, "why"), "multiple DMARC records");
    assert_non_null(cli_jfind(json_object_get(r.json, "warnings"), "code", "multiple-records"));
    assert_true(cli_jnull(r.json, "record"));
    cli_res_free(&r);
    RUN(&r, 1, "--exact", "twodmarc.secure.pcw");
    cli_check_kv(r.out, "outcome", "no record");
    cli_check_kv(r.out, "why", "multiple DMARC records");
    cli_res_free(&r);

    /* NXDOMAIN */
    RUN(&r, 1, "--json", "--exact", "nonexistent.secure.pcw");
    assert_string_equal(cli_jstr(r.json, "outcome"), "nxdomain");
    assert_string_equal(cli_jstr(r.json, "dnssec"), "secure");
    cli_res_free(&r);
    RUN(&r, 1, "--exact", "nonexistent.secure.pcw");
    cli_check_kv(r.out, "outcome", "no record: the name does not exist (NXDOMAIN)");
    cli_res_free(&r);

    /* insecure */
    RUN(&r, 0, "--json", "--exact", "insecure.pcw");
    assert_string_equal(cli_jstr(r.json, "dnssec"), "insecure");
    check_tag(r.json, "p", "none", 0);
    cli_res_free(&r);
    RUN(&r, 0, "--exact", "insecure.pcw");
    cli_check_kv(r.out, "dnssec", "insecure: not signed, as the DNS said it");
    cli_res_free(&r);
}

static void test_dmarc_tempfail(void **state)
{
    clires_t r;
    (void)state;

    RUN(&r, 75, "--json", "--exact", "bogus-ds.pcw");
    assert_string_equal(cli_jstr(r.json, "outcome"), "tempfail");
    assert_string_equal(cli_jstr(r.json, "dnssec"), "bogus");
    assert_non_null(strstr(cli_jstr(r.json, "why"), "DS"));
    assert_true(cli_jnull(r.json, "record"));
    cli_res_free(&r);
    RUN(&r, 75, "--exact", "bogus-ds.pcw");
    cli_check_kv(r.out, "outcome", "temporary failure: try again later");
    cli_check_kv(r.out, "dnssec", "bogus: validation failed, the data was discarded");
    cli_res_free(&r);

    /* the discovery of a bogus domain is a temporary failure too */
    RUN(&r, 75, "--json", "bogus-ds.pcw");
    assert_string_equal(cli_jstr(r.json, "outcome"), "tempfail");
    cli_res_free(&r);

    RUN(&r, 75, "--json", "--exact", "silent.pcw");
    assert_string_equal(cli_jstr(r.json, "outcome"), "tempfail");
    assert_string_equal(cli_jstr(r.json, "dnssec"), "none");
    cli_res_free(&r);
    RUN(&r, 75, "--exact", "silent.pcw");
    cli_check_kv(r.out, "dnssec", "none: no DNS answer was obtained");
    cli_res_free(&r);
}

static void test_dmarc_bad_name(void **state)
{
    clires_t r;
    (void)state;

    RUN(&r, 64, "--json", "a..b.example");
    assert_string_equal(cli_jstr(json_object_get(r.json, "error"), "name"), "PC_ENAME");
    cli_res_free(&r);
}

/* ---- SPF ---- */

static void test_spf(void **state)
{
    const json_t *terms, *t;
    clires_t r;
    (void)state;

    RUN(&r, 0, "--json", "spf", "secure.pcw");
    assert_string_equal(cli_jstr(r.json, "command"), "spf");
    assert_string_equal(cli_jstr(r.json, "qname"), "secure.pcw");
    assert_string_equal(cli_jstr(r.json, "outcome"), "found");
    assert_string_equal(cli_jstr(r.json, "dnssec"), "secure");
    assert_string_equal(cli_jstr(r.json, "record"), "v=spf1 ip4:192.0.2.0/24 -all");
    terms = json_object_get(r.json, "terms");
    assert_int_equal(json_array_size(terms), 2);
    t = json_array_get(terms, 0);
    assert_string_equal(cli_jstr(t, "term"), "ip4:192.0.2.0/24");
    assert_string_equal(cli_jstr(t, "name"), "ip4");
    assert_string_equal(cli_jstr(t, "kind"), "mechanism");
    assert_string_equal(cli_jstr(t, "qualifier"), "+");
    assert_string_equal(cli_jstr(t, "result"), "pass");
    assert_string_equal(cli_jstr(t, "value"), "192.0.2.0/24");
    assert_int_equal(cli_jbool(t, "dns_lookup"), 0);
    t = json_array_get(terms, 1);
    assert_string_equal(cli_jstr(t, "term"), "-all");
    assert_string_equal(cli_jstr(t, "result"), "fail");
    assert_true(cli_jnull(t, "value"));
    assert_int_equal(cli_jint(r.json, "dns_lookups"), 0);
    assert_int_equal(cli_jint(r.json, "dns_lookups_limit"), 10);
    assert_null(json_object_get(r.json, "tags"));
    cli_res_free(&r);
    RUN(&r, 0, "spf", "secure.pcw");
    assert_true(cli_has_line(r.out, "SPF record of secure.pcw"));
    cli_check_kv(r.out, "record", "v=spf1 ip4:192.0.2.0/24 -all");
    assert_true(cli_has_line(r.out, "Terms (2; DNS lookups: 0 of 10)"));
    assert_true(cli_has_line(r.out, "   1. ip4:192.0.2.0/24                            pass"));
    assert_true(cli_has_line(r.out, "   2. -all                                        fail"));
    cli_res_free(&r);
}

static void test_spf_lookups(void **state)
{
    const json_t *terms, *t;
    clires_t r;
    (void)state;

    RUN(&r, 0, "--json", "spf", "cli-spf.secure.pcw");
    terms = json_object_get(r.json, "terms");
    assert_int_equal(json_array_size(terms), 7);
    assert_int_equal(cli_jint(r.json, "dns_lookups"), 5);
    t = cli_jfind(terms, "name", "include");
    assert_string_equal(cli_jstr(t, "term"), "include:secure.pcw");
    assert_int_equal(cli_jbool(t, "dns_lookup"), 1);
    t = cli_jfind(terms, "name", "exists");
    assert_string_equal(cli_jstr(t, "term"), "?exists:%{i}.x.secure.pcw");
    assert_string_equal(cli_jstr(t, "result"), "neutral");
    t = cli_jfind(terms, "name", "ip6");
    assert_string_equal(cli_jstr(t, "value"), "2001:db8::/32");
    assert_int_equal(cli_jbool(t, "dns_lookup"), 0);
    t = cli_jfind(terms, "name", "all");
    assert_string_equal(cli_jstr(t, "term"), "~all");
    assert_string_equal(cli_jstr(t, "result"), "softfail");
    /* ptr is discouraged (RFC 7208 §5.5): the daemon warns */
    assert_true(json_array_size(json_object_get(r.json, "warnings")) >= 1);
    cli_res_free(&r);
    RUN(&r, 0, "spf", "cli-spf.secure.pcw");
    assert_true(cli_has_line(r.out, "Terms (7; DNS lookups: 5 of 10)"));
    assert_true(cli_has_line(r.out, "   3. include:secure.pcw                          pass      dns-lookup"));
    assert_non_null(strstr(r.out, "\nWarnings ("));
    cli_res_free(&r);
}

static void test_spf_failures(void **state)
{
    clires_t r;
    (void)state;

    RUN(&r, 65, "--json", "spf", "twospf.secure.pcw");
    assert_string_equal(cli_jstr(r.json, "outcome"), "permerror");
    assert_non_null(strstr(cli_jstr(r.json, "why"), "more than one v=spf1 record"));
    assert_int_equal(json_array_size(json_object_get(r.json, "terms")), 0);
    cli_res_free(&r);
    RUN(&r, 65, "spf", "twospf.secure.pcw");
    cli_check_kv(r.out, "outcome", "permanent error: the record is unusable");
    cli_res_free(&r);

    RUN(&r, 1, "--json", "spf", "nodata.secure.pcw");
    assert_string_equal(cli_jstr(r.json, "outcome"), "no-record");
    assert_true(cli_jnull(r.json, "dns_lookups"));
    cli_res_free(&r);
    RUN(&r, 1, "spf", "nonexistent.secure.pcw");
    cli_check_kv(r.out, "outcome", "no record: the name does not exist (NXDOMAIN)");
    cli_res_free(&r);

    /* a record with terminal controls: escaped in text, exact in JSON */
    RUN(&r, 65, "spf", "cli-ctl.secure.pcw");
    cli_check_kv(r.out, "record", "v=spf1 \\027[2J\\027]0;owned\\007 -all");
    cli_res_free(&r);
    RUN(&r, 65, "--json", "spf", "cli-ctl.secure.pcw");
    assert_string_equal(cli_jstr(r.json, "record"), "v=spf1 \033[2J\033]0;owned\007 -all");
    cli_res_free(&r);
}

/* ---- DKIM ---- */

static void test_dkim(void **state)
{
    const json_t *key;
    clires_t r;
    (void)state;

    RUN(&r, 0, "--json", "dkim", "sel", "secure.pcw");
    assert_string_equal(cli_jstr(r.json, "command"), "dkim");
    assert_string_equal(cli_jstr(r.json, "selector"), "sel");
    assert_string_equal(cli_jstr(r.json, "qname"), "sel._domainkey.secure.pcw");
    assert_string_equal(cli_jstr(r.json, "outcome"), "found");
    key = json_object_get(r.json, "key");
    assert_string_equal(cli_jstr(key, "type"), "rsa");
    assert_int_equal(cli_jint(key, "bits"), 2048);
    assert_int_equal(cli_jbool(key, "usable"), 1);
    assert_string_equal(cli_jstr(key, "reason"), "usable");
    assert_int_equal(cli_jbool(key, "revoked"), 0);
    assert_int_equal(cli_jbool(key, "testing"), 0);
    assert_int_equal(cli_jbool(key, "strict"), 0);
    assert_int_equal(json_array_size(json_object_get(key, "flags")), 0);
    assert_string_equal(json_string_value(json_array_get(json_object_get(key, "hashes"), 0)), "*");
    check_tag(r.json, "k", "rsa", 0);
    check_tag(r.json, "h", "*", 1);
    assert_true(strlen(cli_jstr(tag(r.json, "p"), "value")) > 300);
    assert_null(cli_jfind(json_object_get(r.json, "tags"), "name", "key-bits"));
    cli_res_free(&r);
    RUN(&r, 0, "dkim", "sel", "secure.pcw");
    assert_true(cli_has_line(r.out, "DKIM key sel for secure.pcw"));
    cli_check_kv(r.out, "type", "rsa, 2048 bits");
    cli_check_kv(r.out, "usable", "yes");
    cli_check_kv(r.out, "flags", "none");
    cli_check_kv(r.out, "hashes", "any");
    cli_check_kv(r.out, "services", "any");
    assert_non_null(strstr(r.out, "... (410 octets, -v shows all)"));
    assert_true(cli_has_line(r.out, "  k        rsa"));
    cli_res_free(&r);
    RUN(&r, 0, "-v", "dkim", "sel", "secure.pcw");
    assert_null(strstr(r.out, "-v shows all"));
    assert_non_null(strstr(r.err, "dmarc-query: dkim via "));
    cli_res_free(&r);

    RUN(&r, 0, "--json", "dkim", "ed", "secure.pcw");
    key = json_object_get(r.json, "key");
    assert_string_equal(cli_jstr(key, "type"), "ed25519");
    assert_int_equal(cli_jint(key, "bits"), 256);
    cli_res_free(&r);
}

static void test_dkim_unusable(void **state)
{
    const json_t *key, *arr;
    clires_t r;
    (void)state;

    RUN(&r, 0, "--json", "dkim", "cli-revoked", "secure.pcw");
    key = json_object_get(r.json, "key");
    assert_int_equal(cli_jbool(key, "usable"), 0);
    assert_string_equal(cli_jstr(key, "reason"), "revoked");
    assert_int_equal(cli_jbool(key, "revoked"), 1);
    cli_res_free(&r);
    RUN(&r, 0, "dkim", "cli-revoked", "secure.pcw");
    cli_check_kv(r.out, "usable", "no");
    cli_check_kv(r.out, "reason", "revoked: empty p=");
    cli_res_free(&r);

    RUN(&r, 0, "--json", "dkim", "cli-flags", "secure.pcw");
    key = json_object_get(r.json, "key");
    assert_int_equal(cli_jbool(key, "usable"), 1);
    assert_int_equal(cli_jbool(key, "testing"), 1);
    assert_int_equal(cli_jbool(key, "strict"), 1);
    arr = json_object_get(key, "flags");
    assert_int_equal(json_array_size(arr), 2);
    assert_string_equal(json_string_value(json_array_get(arr, 0)), "y");
    assert_string_equal(json_string_value(json_array_get(arr, 1)), "s");
    assert_string_equal(json_string_value(json_array_get(json_object_get(key, "hashes"), 0)),
                        "sha256");
    assert_string_equal(json_string_value(json_array_get(json_object_get(key, "services"), 0)),
                        "email");
    cli_res_free(&r);
    RUN(&r, 0, "dkim", "cli-flags", "secure.pcw");
    check_kv_prefix(r.out, "flags", "y: testing");
    cli_check_kv(r.out, "hashes", "sha256");
    cli_check_kv(r.out, "services", "email");
    cli_res_free(&r);

    RUN(&r, 1, "--json", "dkim", "nosuch", "secure.pcw");
    assert_string_equal(cli_jstr(r.json, "outcome"), "nxdomain");
    assert_true(cli_jnull(r.json, "key"));
    cli_res_free(&r);
    RUN(&r, 1, "dkim", "nosuch", "secure.pcw");
    assert_null(strstr(r.out, "\nKey\n"));
    cli_res_free(&r);
}

/* ---- colour ---- */

static void test_color(void **state)
{
    const char *no_color[] = {"NO_COLOR=1", "TERM=xterm", NULL};
    const char *dumb[] = {"NO_COLOR", "TERM=dumb", NULL};
    const char *term[] = {"NO_COLOR", "TERM=xterm", NULL};
    cliopt_t forced = {NULL, 0, 0, 1}, tty = {term, 0, 1, 1};
    cliopt_t tty_nc = {no_color, 0, 1, 0}, tty_dumb = {dumb, 0, 1, 0};
    clires_t r;
    (void)state;

    cli_run(&r, &forced, SOCK, "--color=always", "--exact", "secure.pcw", (const char *)NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "\033[1mDMARC record at _dmarc.secure.pcw\033[0m"));
    assert_non_null(strstr(r.out, "\033[32mfound\033[0m"));
    cli_res_free(&r);
    /* a terminal: colour by default */
    cli_run(&r, &tty, SOCK, "--exact", "secure.pcw", (const char *)NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "\033[32msecure: validated"));
    cli_res_free(&r);
    /* ... but not with NO_COLOR, nor for a dumb terminal, nor in JSON */
    cli_run(&r, &tty_nc, SOCK, "--exact", "secure.pcw", (const char *)NULL);
    assert_int_equal(r.status, 0);
    cli_res_free(&r);
    cli_run(&r, &tty_dumb, SOCK, "--exact", "secure.pcw", (const char *)NULL);
    assert_int_equal(r.status, 0);
    cli_res_free(&r);
    cli_run(&r, &tty_nc, SOCK, "--json", "--color=always", "secure.pcw", (const char *)NULL);
    assert_int_equal(r.status, 0);
    assert_null(strchr(r.out, '\033'));
    cli_res_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dmarc_discover),  cmocka_unit_test(test_dmarc_subdomains),
        cmocka_unit_test(test_dmarc_exact),     cmocka_unit_test(test_dmarc_tempfail),
        cmocka_unit_test(test_dmarc_bad_name),  cmocka_unit_test(test_spf),
        cmocka_unit_test(test_spf_lookups),     cmocka_unit_test(test_spf_failures),
        cmocka_unit_test(test_dkim),            cmocka_unit_test(test_dkim_unusable),
        cmocka_unit_test(test_color),
    };
    pc_test_world_load();
    return cmocka_run_group_tests(tests, setup, teardown);
}
