/*
 * test_config.c - unit tests of daemon/config.c: the defaults, every key
 * with good and bad values, the checks across keys, the print/parse round
 * trip, hostile octets, and the golden files under tests/config:
 *   good/X.conf must load, and pc_config_print must equal good/X.out;
 *   bad/X.conf must fail with exactly the first line of bad/X.err.
 * The golden files are loaded by relative path after a chdir into
 * tests/config, so messages read "bad/X.conf:3: ...". Run with
 * PC_CONFIG_GOLDEN_UPDATE=1 to rewrite the .out/.err files from the
 * current code (then review the diff).
 *
 * The defaults depend on the effective uid, which a test cannot switch:
 * test_defaults checks the branch for the uid it runs as (root in the
 * containers, a normal user on a workstation). The golden files set
 * user, listen and state-dir so their output is the same for both.
 */
#include <dirent.h>
#include <errno.h>
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

#include "config.h"
#include "paths.h"
#include "polcache/error.h"
#include "testutil.h"

static char err[PC_CONFIG_ERR_MAX];

static int parse(pc_config_t *c, const char *text)
{
    return pc_config_parse(c, "t.conf", text, strlen(text), err, sizeof(err));
}

/* pc_config_print into a malloc'd string with a leading newline, so a
 * whole line can be found with strstr("\nkey: value\n"). */
static char *printed(const pc_config_t *c)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    assert_non_null(f);
    fputc('\n', f);
    pc_config_print(c, f);
    assert_int_equal(fclose(f), 0);
    return buf;
}

static int str_same(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Every setting equal; source and user_explicit are not compared. */
static void assert_same(const pc_config_t *a, const pc_config_t *b)
{
    assert_true(str_same(a->user, b->user));
    assert_true(str_same(a->state_dir, b->state_dir));
    assert_int_equal(a->log_target, b->log_target);
    assert_int_equal(a->log_level, b->log_level);
    assert_int_equal(a->nlisten, b->nlisten);
    for (size_t i = 0; i < a->nlisten; i++) {
        assert_string_equal(a->listen[i].path, b->listen[i].path);
        assert_int_equal(a->listen[i].mode, b->listen[i].mode);
        assert_true(str_same(a->listen[i].group, b->listen[i].group));
    }
    assert_true(pc_resolver_conf_equal(&a->resolver, &b->resolver));
    assert_int_equal(a->lookup.ttl_min, b->lookup.ttl_min);
    assert_int_equal(a->lookup.ttl_max, b->lookup.ttl_max);
    assert_int_equal(a->lookup.neg_ttl_min, b->lookup.neg_ttl_min);
    assert_int_equal(a->lookup.neg_ttl_max, b->lookup.neg_ttl_max);
    assert_int_equal(a->lookup.fail_hold, b->lookup.fail_hold);
    assert_int_equal(a->lookup.bogus_hold, b->lookup.bogus_hold);
    assert_int_equal(a->lookup.timeout_ms, b->lookup.timeout_ms);
    assert_int_equal(a->lookup.max_upstream, b->lookup.max_upstream);
    assert_int_equal(a->map_size, b->map_size);
    assert_int_equal(a->durability, b->durability);
}

/* Print c, parse the output, compare, and print again: same text. */
static void assert_round_trip(const pc_config_t *c)
{
    pc_config_t d;
    char *one = printed(c), *two;
    int rc = pc_config_parse(&d, "printed", one + 1, strlen(one + 1), err, sizeof(err));

    if (rc != 0)
        fail_msg("printed config does not parse: %s\n%s", err, one);
    assert_same(c, &d);
    two = printed(&d);
    assert_string_equal(one, two);
    free(one);
    free(two);
    pc_config_free(&d);
}

static void set_test_env(void)
{
    setenv("XDG_RUNTIME_DIR", "/run/user/4242", 1);
    setenv("XDG_STATE_HOME", "/home/tester/.local/state", 1);
    setenv("HOME", "/home/tester", 1);
}

static void test_defaults(void **state)
{
    pc_config_t c;
    (void)state;

    set_test_env();
    assert_int_equal(pc_config_defaults(&c), 0);
    assert_null(c.source);
    assert_int_equal(c.user_explicit, 0);
    assert_int_equal(c.nlisten, 1);
    assert_int_equal(c.listen[0].mode, 0660);
    assert_null(c.listen[0].group);
    if (geteuid() == 0) {
        assert_string_equal(c.user, "polcache");
        assert_string_equal(c.listen[0].path, PC_ROOT_SOCKET);
        assert_string_equal(c.state_dir, PC_ROOT_STATE_DIR);
    } else {
        assert_null(c.user);
        assert_string_equal(c.listen[0].path, "/run/user/4242/polcache/polcached.sock");
        assert_string_equal(c.state_dir, "/home/tester/.local/state/polcache");
    }
    assert_int_equal(c.log_target, PC_LOG_STDERR);
    assert_int_equal(c.log_level, PC_LOG_NOTICE);
    assert_int_equal(c.resolver.nforwarders, 0);
    assert_int_equal(c.resolver.nstubs, 0);
    assert_null(c.resolver.trust_anchor_file);
    assert_null(c.resolver.auto_trust_anchor_file);
    assert_null(c.resolver.unbound_conf);
    assert_int_equal(c.resolver.cache_max_ttl, 86400);
    assert_int_equal(c.lookup.ttl_min, 60);
    assert_int_equal(c.lookup.ttl_max, 86400);
    assert_int_equal(c.lookup.neg_ttl_min, 60);
    assert_int_equal(c.lookup.neg_ttl_max, 3600);
    assert_int_equal(c.lookup.fail_hold, 5);
    assert_int_equal(c.lookup.bogus_hold, 10);
    assert_int_equal(c.lookup.timeout_ms, 3000);
    assert_int_equal(c.lookup.max_upstream, 1000);
    assert_int_equal(c.map_size, 1u << 30);
    assert_int_equal(c.durability, PC_DURABLE_NOSYNC);
    /* an empty file gives the defaults, with its name as source */
    {
        pc_config_t e;
        assert_int_equal(pc_config_parse(&e, "empty", "", 0, err, sizeof(err)), 0);
        assert_string_equal(e.source, "empty");
        assert_same(&c, &e);
        assert_int_equal(e.user_explicit, 0);
        pc_config_free(&e);
        assert_int_equal(pc_config_parse(&e, "empty", NULL, 0, err, sizeof(err)), 0);
        pc_config_free(&e);
    }
    assert_round_trip(&c);
    pc_config_free(&c);
    pc_config_free(&c); /* zeroed: safe twice */
}

static void test_null_args(void **state)
{
    pc_config_t c;
    (void)state;

    assert_int_equal(pc_config_defaults(NULL), PC_EINVAL);
    assert_int_equal(pc_config_parse(NULL, "n", "", 0, err, sizeof(err)), PC_EINVAL);
    assert_int_equal(pc_config_parse(&c, NULL, "", 0, err, sizeof(err)), PC_EINVAL);
    assert_int_equal(pc_config_parse(&c, "n", NULL, 3, err, sizeof(err)), PC_EINVAL);
    assert_int_equal(pc_config_load(NULL, "x", err, sizeof(err)), PC_EINVAL);
    assert_int_equal(pc_config_load(&c, NULL, err, sizeof(err)), PC_EINVAL);
    pc_config_free(&c);
    pc_config_free(NULL);
    pc_config_print(NULL, stdout);
    assert_int_equal(pc_config_defaults(&c), 0);
    pc_config_print(&c, NULL);
    pc_config_free(&c);
    /* no error buffer, or a tiny one */
    assert_int_equal(pc_config_parse(&c, "n", "x", 1, NULL, 0), PC_ECONFIG);
    assert_int_equal(pc_config_parse(&c, "n", "x", 1, err, 1), PC_ECONFIG);
    assert_string_equal(err, "");
    assert_int_equal(pc_config_parse(&c, "n", "x", 1, err, 5), PC_ECONFIG);
    assert_string_equal(err, "n:1:");
}

/* One line per case; want is a line that pc_config_print must write. */
static const struct good_case {
    const char *in, *want;
} good_cases[] = {
    {"user: mail", "user: mail"},
    {"user: _polcache$", "user: _polcache$"},
    {"user: \"\"", "user: \"\""},
    {"state-dir: /var/lib/polcache", "state-dir: /var/lib/polcache"},
    {"state-dir: /srv/x y", "state-dir: \"/srv/x y\""},
    {"state-dir: \"/srv/ x # y \"", "state-dir: \"/srv/ x # y \""},
    {"state-dir: /srv/a#b", "state-dir: \"/srv/a#b\""},
    {"state-dir: /srv/a #b", "state-dir: /srv/a"},
    {"state-dir:/srv/a", "state-dir: /srv/a"},
    {"state-dir: /srv/caf\xc3\xa9", "state-dir: /srv/caf\xc3\xa9"},
    {"\t state-dir \t:\t/srv/a\t", "state-dir: /srv/a"},
    {"state-dir: /srv/a\r", "state-dir: /srv/a"},
    {"state-dir: \"/srv/a\"# comment", "state-dir: /srv/a"},
    {"log-target: syslog", "log-target: syslog"},
    {"log-target: stderr", "log-target: stderr"},
    {"log-level: err", "log-level: err"},
    {"log-level: warning", "log-level: warning"},
    {"log-level: info", "log-level: info"},
    {"log-level: debug", "log-level: debug"},
    {"listen: /tmp/p.sock", "listen: /tmp/p.sock\nsocket-mode: 0660\nsocket-group: \"\""},
    {"listen: /tmp/p.sock\nsocket-mode: 600\nsocket-group: mail",
     "listen: /tmp/p.sock\nsocket-mode: 0600\nsocket-group: mail"},
    {"socket-mode: 0\nsocket-group: postfix", "socket-mode: 0000\nsocket-group: postfix"},
    {"socket-mode: 0777", "socket-mode: 0777"},
    {"socket-mode: 00640", "socket-mode: 0640"},
    {"socket-group: \"\"", "socket-group: \"\""},
    {"forward-addr: 192.0.2.1", "forward-addr: 192.0.2.1"},
    {"forward-addr: 192.0.2.1@5353", "forward-addr: 192.0.2.1@5353"},
    {"forward-addr: 2001:db8::53@65535", "forward-addr: 2001:db8::53@65535"},
    {"forward-addr: ::1", "forward-addr: ::1"},
    {"forward-addr: 192.0.2.1\nforward-addr: 192.0.2.2@1",
     "forward-addr: 192.0.2.1\nforward-addr: 192.0.2.2@1"},
    {"stub-zone: Example.ORG. 192.0.2.1 \t 2001:db8::1@5353",
     "stub-zone: example.org 192.0.2.1 2001:db8::1@5353"},
    {"stub-zone: .  192.0.2.1", "stub-zone: . 192.0.2.1"},
    {"stub-zone: a\\032b.test 192.0.2.1", "stub-zone: a\\032b.test 192.0.2.1"},
    {"stub-zone: \"a.test 192.0.2.1\"", "stub-zone: a.test 192.0.2.1"},
    {"stub-zone:#a.test 192.0.2.1", "stub-zone: \"#a.test 192.0.2.1\""},
    {"trust-anchor-file: /usr/share/dns/root.key", "trust-anchor-file: /usr/share/dns/root.key"},
    {"trust-anchor-file: \"\"", "trust-anchor-file: \"\""},
    {"auto-trust-anchor-file: /var/lib/unbound/root.key",
     "auto-trust-anchor-file: /var/lib/unbound/root.key"},
    {"unbound-config: /etc/polcache/unbound.conf", "unbound-config: /etc/polcache/unbound.conf"},
    {"resolver-cache-max-ttl: 3600", "resolver-cache-max-ttl: 3600"},
    {"resolver-cache-max-ttl: 1h", "resolver-cache-max-ttl: 3600"},
    {"resolver-cache-max-ttl: 0", "resolver-cache-max-ttl: 0"},
    {"resolver-cache-max-ttl: 1d",
     "# resolver-cache-max-ttl: 86400 (follows ttl-max and negative-ttl-max)"},
    {"timeout: 1500", "timeout: 1500ms"},
    {"timeout: 1500ms", "timeout: 1500ms"},
    {"timeout: 2000", "timeout: 2s"},
    {"timeout: 3s", "timeout: 3s"},
    {"timeout: 50ms", "timeout: 50ms"},
    {"timeout: 60s", "timeout: 60s"},
    {"max-upstream: 0", "max-upstream: 0"},
    {"max-upstream: 1000000", "max-upstream: 1000000"},
    {"ttl-min: 0", "ttl-min: 0"},
    {"ttl-min: 5m", "ttl-min: 300"},
    {"ttl-min: 30s", "ttl-min: 30"},
    {"ttl-min: \"60\"", "ttl-min: 60"},
    {"ttl-min: 0060 # leading zeros", "ttl-min: 60"},
    {"ttl-max: 2d", "ttl-max: 172800"},
    {"ttl-max: 7d", "ttl-max: 604800"},
    {"ttl-max: 168h", "ttl-max: 604800"},
    {"ttl-max: 60", "ttl-max: 60"},
    {"negative-ttl-min: 0", "negative-ttl-min: 0"},
    {"negative-ttl-max: 1d", "negative-ttl-max: 86400"},
    {"negative-ttl-max: 60", "negative-ttl-max: 60"},
    {"fail-hold: 1", "fail-hold: 1"},
    {"fail-hold: 5m", "fail-hold: 300"},
    {"bogus-hold: 300s", "bogus-hold: 300"},
    {"map-size: 1M", "map-size: 1M"},
    {"map-size: 1048576", "map-size: 1M"},
    {"map-size: 1048577", "map-size: 1048577"},
    {"map-size: 512m", "map-size: 512M"},
    {"map-size: 1536M", "map-size: 1536M"},
    {"map-size: 2g", "map-size: 2G"},
    {"map-size: 1024G", "map-size: 1T"},
    {"map-size: 1t", "map-size: 1T"},
    {"map-size: 4096K", "map-size: 4M"},
    {"durability: nosync", "durability: nosync"},
    {"durability: nometasync", "durability: nometasync"},
    {"# only a comment\n\n   \n\t# another\n", "ttl-min: 60"},
};

static void test_keys_good(void **state)
{
    (void)state;
    set_test_env();
    for (size_t i = 0; i < sizeof(good_cases) / sizeof(good_cases[0]); i++) {
        const struct good_case *t = &good_cases[i];
        char want[1024];
        pc_config_t c;
        char *out;

        if (parse(&c, t->in) != 0)
            fail_msg("case %zu \"%s\": %s", i, t->in, err);
        assert_string_equal(err, "");
        snprintf(want, sizeof(want), "\n%s\n", t->want);
        out = printed(&c);
        if (strstr(out, want) == NULL)
            fail_msg("case %zu \"%s\": no \"%s\" in:%s", i, t->in, t->want, out);
        assert_round_trip(&c);
        free(out);
        pc_config_free(&c);
    }
}

static void test_fields(void **state)
{
    pc_config_t c;
    (void)state;

    assert_int_equal(parse(&c, "user: mail\nstate-dir: /s\nlog-target: syslog\n"
                               "log-level: debug\ndurability: nosync\nmap-size: 2G\n"
                               "timeout: 1500\nmax-upstream: 7\nttl-min: 1\nttl-max: 2h\n"
                               "negative-ttl-min: 2\nnegative-ttl-max: 3\nfail-hold: 4\n"
                               "bogus-hold: 6\nforward-addr: 192.0.2.1@53\n"
                               "stub-zone: a.test 192.0.2.2 192.0.2.3\n"
                               "trust-anchor-file: /t\nauto-trust-anchor-file: /a\n"
                               "unbound-config: /u\n"),
                     0);
    assert_string_equal(c.source, "t.conf");
    assert_string_equal(c.user, "mail");
    assert_int_equal(c.user_explicit, 1);
    assert_string_equal(c.state_dir, "/s");
    assert_int_equal(c.log_target, PC_LOG_SYSLOG);
    assert_int_equal(c.log_level, PC_LOG_DEBUG);
    assert_int_equal(c.durability, PC_DURABLE_NOSYNC);
    assert_int_equal(c.map_size, (size_t)2 << 30);
    assert_int_equal(c.lookup.timeout_ms, 1500);
    assert_int_equal(c.lookup.max_upstream, 7);
    assert_int_equal(c.lookup.ttl_min, 1);
    assert_int_equal(c.lookup.ttl_max, 7200);
    assert_int_equal(c.lookup.neg_ttl_min, 2);
    assert_int_equal(c.lookup.neg_ttl_max, 3);
    assert_int_equal(c.lookup.fail_hold, 4);
    assert_int_equal(c.lookup.bogus_hold, 6);
    assert_int_equal(c.resolver.cache_max_ttl, 7200);
    assert_int_equal(c.resolver.nforwarders, 1);
    assert_string_equal(c.resolver.forwarders[0], "192.0.2.1@53");
    assert_int_equal(c.resolver.nstubs, 1);
    assert_string_equal(c.resolver.stubs[0].name, "a.test");
    assert_int_equal(c.resolver.stubs[0].naddrs, 2);
    assert_string_equal(c.resolver.stubs[0].addrs[1], "192.0.2.3");
    assert_string_equal(c.resolver.trust_anchor_file, "/t");
    assert_string_equal(c.resolver.auto_trust_anchor_file, "/a");
    assert_string_equal(c.resolver.unbound_conf, "/u");
    pc_config_free(&c);

    /* user "" is explicit: keep the current user */
    assert_int_equal(parse(&c, "user: \"\""), 0);
    assert_null(c.user);
    assert_int_equal(c.user_explicit, 1);
    pc_config_free(&c);
}

/* One input per case and the exact message it must give. */
static const struct bad_case {
    const char *in, *want;
} bad_cases[] = {
    {"ttl-mn: 60", "t.conf:1: unknown key \"ttl-mn\""},
    {"TTL-MIN: 60", "t.conf:1: unknown key \"TTL-MIN\""},
    {"\n\nttl min: 60", "t.conf:3: unknown key \"ttl min\""},
    {"ttl-min 60", "t.conf:1: missing ':' (expected \"key: value\")"},
    {"ttl-min # : 60", "t.conf:1: missing ':' (expected \"key: value\")"},
    {": 60", "t.conf:1: missing key before ':'"},
    {"::1", "t.conf:1: missing key before ':'"},
    {"ttl-min:", "t.conf:1: ttl-min: missing value"},
    {"ttl-min:   # none", "t.conf:1: ttl-min: missing value"},
    {"ttl-min: \"\"", "t.conf:1: ttl-min: missing value"},
    {"state-dir: \"\"", "t.conf:1: state-dir: missing value"},
    {"listen: \"\"", "t.conf:1: listen: missing value"},
    {"ttl-min: \"60", "t.conf:1: ttl-min: missing closing quote"},
    {"ttl-min: \"60\" s", "t.conf:1: ttl-min: text after the closing quote"},
    {"user: a\"b\"", "t.conf:1: user: stray '\"' in the value"},
    {"ttl-min: 60\nttl-min: 60", "t.conf:2: ttl-min: already set on line 1"},
    {"user: a\n#\nuser: \"\"", "t.conf:3: user: already set on line 1"},
    {"ttl-min: abc", "t.conf:1: ttl-min: \"abc\" is not a number"},
    {"ttl-min: -1", "t.conf:1: ttl-min: \"-1\" is not a number"},
    {"ttl-min: +1", "t.conf:1: ttl-min: \"+1\" is not a number"},
    {"ttl-min: 1.5", "t.conf:1: ttl-min: \"1.5\" has an unknown unit (use s, m, h or d)"},
    {"ttl-min: 5 m", "t.conf:1: ttl-min: \"5 m\" has an unknown unit (use s, m, h or d)"},
    {"ttl-min: 5ms", "t.conf:1: ttl-min: \"5ms\" has an unknown unit (use s, m, h or d)"},
    {"ttl-min: 1w", "t.conf:1: ttl-min: \"1w\" has an unknown unit (use s, m, h or d)"},
    {"ttl-min: 8d", "t.conf:1: ttl-min: \"8d\" is out of range 0..604800"},
    {"ttl-min: 99999999999999999999999",
     "t.conf:1: ttl-min: \"99999999999999999999999\" is out of range 0..604800"},
    {"ttl-max: 0", "t.conf:1: ttl-max: \"0\" is out of range 1..604800"},
    {"negative-ttl-max: 0", "t.conf:1: negative-ttl-max: \"0\" is out of range 1..86400"},
    {"negative-ttl-min: 2d", "t.conf:1: negative-ttl-min: \"2d\" is out of range 0..86400"},
    {"fail-hold: 0", "t.conf:1: fail-hold: \"0\" is out of range 1..300"},
    {"bogus-hold: 301", "t.conf:1: bogus-hold: \"301\" is out of range 1..300"},
    {"resolver-cache-max-ttl: 8d",
     "t.conf:1: resolver-cache-max-ttl: \"8d\" is out of range 0..604800"},
    {"timeout: 49", "t.conf:1: timeout: \"49\" is out of range 50ms..60s"},
    {"timeout: 61s", "t.conf:1: timeout: \"61s\" is out of range 50ms..60s"},
    {"timeout: 3m", "t.conf:1: timeout: \"3m\" has an unknown unit (use ms or s)"},
    {"timeout: 3S", "t.conf:1: timeout: \"3S\" has an unknown unit (use ms or s)"},
    {"max-upstream: 1000001", "t.conf:1: max-upstream: \"1000001\" is out of range 0..1000000"},
    {"max-upstream: 10k", "t.conf:1: max-upstream: \"10k\" is not a number"},
    {"map-size: 1023K", "t.conf:1: map-size: \"1023K\" is out of range 1M..1T"},
    {"map-size: 1025G", "t.conf:1: map-size: \"1025G\" is out of range 1M..1T"},
    {"map-size: 18446744073709551615T",
     "t.conf:1: map-size: \"18446744073709551615T\" is out of range 1M..1T"},
    {"map-size: 1MB", "t.conf:1: map-size: \"1MB\" has an unknown unit (use K, M, G or T)"},
    {"map-size: lots", "t.conf:1: map-size: \"lots\" is not a number"},
    {"log-target: file", "t.conf:1: log-target: \"file\" is not one of stderr or syslog"},
    {"log-level: warn",
     "t.conf:1: log-level: \"warn\" is not one of err, warning, notice, info or debug"},
    {"durability: sync", "t.conf:1: durability: \"sync\" is not one of nometasync or nosync"},
    {"user: \"a b\"", "t.conf:1: user: \"a b\" is not a valid user name"},
    {"user: -x", "t.conf:1: user: \"-x\" is not a valid user name"},
    {"user: a$b", "t.conf:1: user: \"a$b\" is not a valid user name"},
    {"user: abcdefghijklmnopqrstuvwxyz0123456",
     "t.conf:1: user: \"abcdefghijklmnopqrstuvwxyz0123456\" is not a valid user name"},
    {"user: caf\xc3\xa9", "t.conf:1: user: \"caf\xc3\xa9\" is not a valid user name"},
    {"socket-group: a:b", "t.conf:1: socket-group: \"a:b\" is not a valid group name"},
    {"state-dir: var/lib", "t.conf:1: state-dir: \"var/lib\" is not an absolute path"},
    {"trust-anchor-file: root.key",
     "t.conf:1: trust-anchor-file: \"root.key\" is not an absolute path"},
    {"auto-trust-anchor-file: ./k",
     "t.conf:1: auto-trust-anchor-file: \"./k\" is not an absolute path"},
    {"unbound-config: ~/u.conf", "t.conf:1: unbound-config: \"~/u.conf\" is not an absolute path"},
    {"listen: p.sock", "t.conf:1: listen: \"p.sock\" is not an absolute path"},
    {"listen: /a\nlisten: /b\nlisten: /a", "t.conf:3: listen: \"/a\" is already listed on line 1"},
    {"listen: /1\nlisten: /2\nlisten: /3\nlisten: /4\nlisten: /5\nlisten: /6\nlisten: /7\n"
     "listen: /8\nlisten: /9",
     "t.conf:9: listen: more than 8 sockets"},
    {"socket-mode: 0600\nlisten: /a",
     "t.conf:2: listen: the first listen replaces the default socket, which line 1 configured; "
     "put listen first"},
    {"socket-group: mail\n\nlisten: /a",
     "t.conf:3: listen: the first listen replaces the default socket, which line 1 configured; "
     "put listen first"},
    {"listen: /a\nsocket-mode: 0600\nsocket-mode: 0660",
     "t.conf:3: socket-mode: already set on line 2 for this socket"},
    {"socket-group: a\nsocket-group: b",
     "t.conf:2: socket-group: already set on line 1 for this socket"},
    {"socket-mode: 0680", "t.conf:1: socket-mode: \"0680\" is not an octal mode"},
    {"socket-mode: rw", "t.conf:1: socket-mode: \"rw\" is not an octal mode"},
    {"socket-mode: 01777", "t.conf:1: socket-mode: \"01777\" is out of range 0..0777"},
    {"socket-mode: 77777777777777777777777",
     "t.conf:1: socket-mode: \"77777777777777777777777\" is out of range 0..0777"},
    {"forward-addr: dns.example", "t.conf:1: forward-addr: \"dns.example\" is not an IPv4 or "
                                  "IPv6 address"},
    {"forward-addr: 192.0.2.256", "t.conf:1: forward-addr: \"192.0.2.256\" is not an IPv4 or "
                                  "IPv6 address"},
    {"forward-addr: @53", "t.conf:1: forward-addr: \"@53\" is not an IPv4 or IPv6 address"},
    {"forward-addr: [::1]:53", "t.conf:1: forward-addr: \"[::1]:53\" is not an IPv4 or IPv6 "
                               "address"},
    {"forward-addr: 192.0.2.1@0",
     "t.conf:1: forward-addr: \"192.0.2.1@0\" has a bad port (use 1..65535)"},
    {"forward-addr: 192.0.2.1@65536",
     "t.conf:1: forward-addr: \"192.0.2.1@65536\" has a bad port (use 1..65535)"},
    {"forward-addr: 192.0.2.1@",
     "t.conf:1: forward-addr: \"192.0.2.1@\" has a bad port (use 1..65535)"},
    {"forward-addr: 192.0.2.1@5x",
     "t.conf:1: forward-addr: \"192.0.2.1@5x\" has a bad port (use 1..65535)"},
    {"forward-addr: 192.0.2.1@5@3",
     "t.conf:1: forward-addr: \"192.0.2.1@5@3\" has a bad port (use 1..65535)"},
    {"forward-addr: 192.0.2.1\nforward-addr: 192.0.2.1",
     "t.conf:2: forward-addr: \"192.0.2.1\" is already listed on line 1"},
    {"stub-zone: a.test", "t.conf:1: stub-zone: expected a zone name and an address"},
    {"stub-zone: a..test 192.0.2.1", "t.conf:1: stub-zone: \"a..test\" is not a valid zone name"},
    {"stub-zone: a.test 192.0.2.1 b.test",
     "t.conf:1: stub-zone: \"b.test\" is not an IPv4 or IPv6 address"},
    {"stub-zone: a.test 192.0.2.1\nstub-zone: A.Test. 192.0.2.2",
     "t.conf:2: stub-zone: zone \"a.test\" is already defined on line 1"},
    {"stub-zone: a.test 1.1.1.1 1.1.1.2 1.1.1.3 1.1.1.4 1.1.1.5 1.1.1.6 1.1.1.7 1.1.1.8 1.1.1.9 "
     "1.1.1.10 1.1.1.11 1.1.1.12 1.1.1.13 1.1.1.14 1.1.1.15 1.1.1.16 1.1.1.17",
     "t.conf:1: stub-zone: more than 16 addresses"},
    {"ttl-min: 600\nttl-max: 300", "t.conf:2: ttl-min (600) is greater than ttl-max (300)"},
    {"ttl-max: 300\n\nttl-min: 600", "t.conf:3: ttl-min (600) is greater than ttl-max (300)"},
    {"ttl-max: 30", "t.conf:1: ttl-min (60) is greater than ttl-max (30)"},
    {"negative-ttl-min: 2h",
     "t.conf:1: negative-ttl-min (7200) is greater than negative-ttl-max (3600)"},
    {"resolver-cache-max-ttl: 2d",
     "t.conf:1: resolver-cache-max-ttl (172800) is greater than the longest cache lifetime, "
     "max(ttl-max, negative-ttl-max) = 86400"},
    {"resolver-cache-max-ttl: 1d\nttl-max: 1h",
     "t.conf:2: resolver-cache-max-ttl (86400) is greater than the longest cache lifetime, "
     "max(ttl-max, negative-ttl-max) = 3600"},
    {"ttl-max: 1h\nnegative-ttl-max: 2h\nresolver-cache-max-ttl: 3h",
     "t.conf:3: resolver-cache-max-ttl (10800) is greater than the longest cache lifetime, "
     "max(ttl-max, negative-ttl-max) = 7200"},
    /* octets */
    {"ttl-min: 6\x01", "t.conf:1: invalid octet 0x01"},
    {"ttl-min: 60\x7f", "t.conf:1: invalid octet 0x7f"},
    {"ttl-min: 60\r\r", "t.conf:1: invalid octet 0x0d"},
    {"ttl-min: 60\rttl-max: 70", "t.conf:1: invalid octet 0x0d"},
    {"\x1b[31m", "t.conf:1: invalid octet 0x1b"},
    {"state-dir: /x\xff", "t.conf:1: invalid UTF-8"},
    {"state-dir: /x\xc3", "t.conf:1: invalid UTF-8"},
    {"# \xed\xa0\x80 surrogate in a comment", "t.conf:1: invalid UTF-8"},
};

static void test_keys_bad(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        const struct bad_case *t = &bad_cases[i];
        pc_config_t c;
        int rc = parse(&c, t->in);

        if (rc != PC_ECONFIG)
            fail_msg("case %zu \"%s\": rc %d, err \"%s\"", i, t->in, rc, err);
        if (strcmp(err, t->want) != 0)
            fail_msg("case %zu \"%s\":\n got \"%s\"\nwant \"%s\"", i, t->in, err, t->want);
        /* c is freed and zeroed on error */
        assert_null(c.source);
        assert_null(c.state_dir);
        assert_int_equal(c.nlisten, 0);
        pc_config_free(&c);
    }
}

static void test_listen(void **state)
{
    pc_config_t c;
    (void)state;

    /* socket-* before any listen: the default socket */
    assert_int_equal(parse(&c, "socket-mode: 0600\nsocket-group: mail"), 0);
    assert_int_equal(c.nlisten, 1);
    assert_int_equal(c.listen[0].mode, 0600);
    assert_string_equal(c.listen[0].group, "mail");
    pc_config_free(&c);
    /* the first listen replaces the default, later ones add; socket-*
     * applies to the most recent listen */
    assert_int_equal(parse(&c, "listen: /a\nlisten: /b\nsocket-mode: 0666\n"
                               "socket-group: g\nlisten: /c\nsocket-mode: 0600\n"),
                     0);
    assert_int_equal(c.nlisten, 3);
    assert_string_equal(c.listen[0].path, "/a");
    assert_int_equal(c.listen[0].mode, 0660);
    assert_null(c.listen[0].group);
    assert_string_equal(c.listen[1].path, "/b");
    assert_int_equal(c.listen[1].mode, 0666);
    assert_string_equal(c.listen[1].group, "g");
    assert_string_equal(c.listen[2].path, "/c");
    assert_int_equal(c.listen[2].mode, 0600);
    assert_null(c.listen[2].group);
    assert_round_trip(&c);
    pc_config_free(&c);
    /* eight is the limit; a path must fit sockaddr_un */
    assert_int_equal(parse(&c, "listen: /1\nlisten: /2\nlisten: /3\nlisten: /4\n"
                               "listen: /5\nlisten: /6\nlisten: /7\nlisten: /8\n"),
                     0);
    assert_int_equal(c.nlisten, PC_CONFIG_MAX_LISTEN);
    assert_round_trip(&c);
    pc_config_free(&c);
    {
        char text[256], path[128];
        memset(path, 'p', sizeof(path));
        path[0] = '/';
        path[107] = '\0';
        snprintf(text, sizeof(text), "listen: %s", path);
        assert_int_equal(parse(&c, text), 0);
        pc_config_free(&c);
        path[107] = 'p';
        path[108] = '\0';
        snprintf(text, sizeof(text), "listen: %s", path);
        assert_int_equal(parse(&c, text), PC_ECONFIG);
        assert_non_null(strstr(err, "t.conf:1: listen: \"/ppp"));
        assert_non_null(strstr(err, "\" is longer than 107 octets"));
    }
}

static void test_lists_limits(void **state)
{
    char *text = malloc(PC_CONFIG_MAX_STUB * 64 + 64);
    size_t n = 0;
    pc_config_t c;
    (void)state;

    assert_non_null(text);
    for (int i = 0; i < PC_CONFIG_MAX_FORWARD; i++)
        n += (size_t)sprintf(text + n, "forward-addr: 192.0.2.%d@%d\n", i % 250, 1 + i);
    assert_int_equal(parse(&c, text), 0);
    assert_int_equal(c.resolver.nforwarders, PC_CONFIG_MAX_FORWARD);
    assert_round_trip(&c);
    pc_config_free(&c);
    sprintf(text + n, "forward-addr: 192.0.2.1@999\n");
    assert_int_equal(parse(&c, text), PC_ECONFIG);
    assert_string_equal(err, "t.conf:65: forward-addr: more than 64 addresses");

    n = 0;
    for (int i = 0; i < PC_CONFIG_MAX_STUB; i++)
        n += (size_t)sprintf(text + n, "stub-zone: z%d.test 192.0.2.1 192.0.2.2\n", i);
    assert_int_equal(parse(&c, text), 0);
    assert_int_equal(c.resolver.nstubs, PC_CONFIG_MAX_STUB);
    assert_round_trip(&c);
    pc_config_free(&c);
    sprintf(text + n, "stub-zone: more.test 192.0.2.1\n");
    assert_int_equal(parse(&c, text), PC_ECONFIG);
    assert_string_equal(err, "t.conf:65: stub-zone: more than 64 zones");
    free(text);
}

static void test_cross_checks(void **state)
{
    pc_config_t c;
    (void)state;

    /* resolver-cache-max-ttl follows max(ttl-max, negative-ttl-max) */
    assert_int_equal(parse(&c, "ttl-max: 600\nnegative-ttl-max: 2h"), 0);
    assert_int_equal(c.resolver.cache_max_ttl, 7200);
    pc_config_free(&c);
    assert_int_equal(parse(&c, "ttl-max: 2h\nnegative-ttl-max: 600"), 0);
    assert_int_equal(c.resolver.cache_max_ttl, 7200);
    pc_config_free(&c);
    assert_int_equal(parse(&c, "ttl-max: 60\nttl-min: 60\nnegative-ttl-max: 60"), 0);
    assert_int_equal(c.resolver.cache_max_ttl, 60);
    pc_config_free(&c);
    /* unless set explicitly, and then never above it */
    assert_int_equal(parse(&c, "resolver-cache-max-ttl: 300\nttl-max: 600"), 0);
    assert_int_equal(c.resolver.cache_max_ttl, 300);
    assert_round_trip(&c);
    pc_config_free(&c);
    assert_int_equal(parse(&c, "resolver-cache-max-ttl: 600\nttl-max: 600"), 0);
    assert_int_equal(c.resolver.cache_max_ttl, 600);
    pc_config_free(&c);
    /* equal min and max are fine */
    assert_int_equal(parse(&c, "ttl-min: 300\nttl-max: 300\nnegative-ttl-min: 1h"), 0);
    pc_config_free(&c);
}

static void test_round_trip(void **state)
{
    pc_config_t c;
    (void)state;

    assert_int_equal(parse(&c, "user: \"\"\nstate-dir: \"/var/lib/a b#c\"\n"
                               "log-target: syslog\nlog-level: info\n"
                               "socket-mode: 0\nlisten: /x/ 1.sock\nsocket-group: mail\n"
                               "listen: /y.sock\nsocket-mode: 0640\n"
                               "forward-addr: 192.0.2.53@5353\nforward-addr: 2001:db8::35\n"
                               "stub-zone: b.test 192.0.2.9 192.0.2.10@54\n"
                               "stub-zone: c.test 2001:db8::9\n"
                               "trust-anchor-file: /k1\nauto-trust-anchor-file: /k 2\n"
                               "unbound-config: /u#3\nresolver-cache-max-ttl: 10m\n"
                               "timeout: 1234ms\nmax-upstream: 0\nttl-min: 0\nttl-max: 1h\n"
                               "negative-ttl-min: 5\nnegative-ttl-max: 50m\nfail-hold: 1\n"
                               "bogus-hold: 300\nmap-size: 3000000\ndurability: nosync\n"),
                     PC_ECONFIG);
    /* socket-mode on line 5 set the default socket, replaced on line 6 */
    assert_string_equal(err, "t.conf:6: listen: the first listen replaces the default socket, "
                             "which line 5 configured; put listen first");
    assert_int_equal(parse(&c, "user: \"\"\nstate-dir: \"/var/lib/a b#c\"\n"
                               "log-target: syslog\nlog-level: info\n"
                               "listen: /x/ 1.sock\nsocket-mode: 0\nsocket-group: mail\n"
                               "listen: /y.sock\nsocket-mode: 0640\n"
                               "forward-addr: 192.0.2.53@5353\nforward-addr: 2001:db8::35\n"
                               "stub-zone: b.test 192.0.2.9 192.0.2.10@54\n"
                               "stub-zone: c.test 2001:db8::9\n"
                               "trust-anchor-file: /k1\nauto-trust-anchor-file: /k 2\n"
                               "unbound-config: /u#3\nresolver-cache-max-ttl: 10m\n"
                               "timeout: 1234ms\nmax-upstream: 0\nttl-min: 0\nttl-max: 1h\n"
                               "negative-ttl-min: 5\nnegative-ttl-max: 50m\nfail-hold: 1\n"
                               "bogus-hold: 300\nmap-size: 3000000\ndurability: nosync\n"),
                     0);
    assert_round_trip(&c);
    pc_config_free(&c);
}

/* Hostile input: NUL, control and high octets, long lines, big files. */
static void test_octets(void **state)
{
    static const char nul[] = "ttl-min: 60\nstate-dir: /a\0b\n";
    size_t big = PC_CONFIG_FILE_MAX + 1, n;
    char *text = malloc(big);
    pc_config_t c;
    (void)state;

    assert_int_equal(pc_config_parse(&c, "t.conf", nul, sizeof(nul) - 1, err, sizeof(err)),
                     PC_ECONFIG);
    assert_string_equal(err, "t.conf:2: invalid octet 0x00");
    /* not NUL-terminated: only len octets are read */
    assert_int_equal(pc_config_parse(&c, "t.conf", "ttl-min: 61x", 11, err, sizeof(err)), 0);
    assert_int_equal(c.lookup.ttl_min, 61);
    pc_config_free(&c);
    /* every single octet after a key: never a crash */
    for (int o = 0; o < 256; o++) {
        char line[16];
        int len = snprintf(line, sizeof(line), "user: a");
        line[len++] = (char)o;
        int rc = pc_config_parse(&c, "t.conf", line, (size_t)len, err, sizeof(err));
        assert_true(rc == 0 || rc == PC_ECONFIG);
        pc_config_free(&c);
    }
    /* a line of exactly PC_CONFIG_LINE_MAX octets is read; one more is not */
    assert_non_null(text);
    memset(text, ' ', big);
    memcpy(text, "# ", 2);
    assert_int_equal(pc_config_parse(&c, "t.conf", text, PC_CONFIG_LINE_MAX, err, sizeof(err)),
                     0);
    pc_config_free(&c);
    text[PC_CONFIG_LINE_MAX] = '\r';
    assert_int_equal(
        pc_config_parse(&c, "t.conf", text, PC_CONFIG_LINE_MAX + 1, err, sizeof(err)), 0);
    pc_config_free(&c);
    text[PC_CONFIG_LINE_MAX] = ' ';
    assert_int_equal(
        pc_config_parse(&c, "t.conf", text, PC_CONFIG_LINE_MAX + 1, err, sizeof(err)),
        PC_ECONFIG);
    assert_string_equal(err, "t.conf:1: line longer than 4096 octets");
    /* a file of exactly PC_CONFIG_FILE_MAX octets is read; one more is not */
    for (n = 0; n + 64 <= big; n += 64) {
        memset(text + n, ' ', 63);
        text[n + 63] = '\n';
    }
    assert_int_equal(pc_config_parse(&c, "t.conf", text, PC_CONFIG_FILE_MAX, err, sizeof(err)),
                     0);
    pc_config_free(&c);
    assert_int_equal(pc_config_parse(&c, "t.conf", text, big, err, sizeof(err)), PC_ECONFIG);
    assert_string_equal(err, "t.conf: larger than 1048576 octets");
    free(text);
}

static void test_load(void **state)
{
    char dir[] = "/tmp/pc-config-XXXXXX", path[64];
    pc_config_t c;
    FILE *f;
    (void)state;

    assert_int_equal(pc_config_load(&c, "/nonexistent/polcached.conf", err, sizeof(err)),
                     PC_ENOENT);
    assert_string_equal(err, "/nonexistent/polcached.conf: cannot open: No such file or "
                             "directory");
    assert_null(c.source);
    assert_non_null(mkdtemp(dir));
    assert_int_equal(pc_config_load(&c, dir, err, sizeof(err)), PC_ECONFIG);
    assert_non_null(strstr(err, ": cannot read: Is a directory"));

    snprintf(path, sizeof(path), "%s/p.conf", dir);
    assert_non_null(f = fopen(path, "w"));
    fputs("# test\nttl-min: 30\n", f);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(pc_config_load(&c, path, err, sizeof(err)), 0);
    assert_string_equal(c.source, path);
    assert_int_equal(c.lookup.ttl_min, 30);
    pc_config_free(&c);

    /* grow it past the limit */
    assert_non_null(f = fopen(path, "a"));
    for (int i = 0; i < PC_CONFIG_FILE_MAX / 16; i++)
        fputs("# padding line.\n", f);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(pc_config_load(&c, path, err, sizeof(err)), PC_ECONFIG);
    assert_non_null(strstr(err, "p.conf: larger than 1048576 octets"));

    assert_non_null(f = fopen(path, "w"));
    fputs("ttl-min: 30\nbogus: 1\n", f);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(pc_config_load(&c, path, err, sizeof(err)), PC_ECONFIG);
    assert_non_null(strstr(err, "p.conf:2: unknown key \"bogus\""));
    assert_int_equal(unlink(path), 0);
    assert_int_equal(rmdir(dir), 0);
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names of dir/X.conf, sorted; returns the count. */
static size_t list_confs(const char *dir, char ***out)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char **names = NULL;
    size_t n = 0;

    assert_non_null(d);
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        if (len < 6 || strcmp(de->d_name + len - 5, ".conf") != 0)
            continue;
        names = realloc(names, (n + 1) * sizeof(*names));
        assert_non_null(names);
        names[n++] = strndup(de->d_name, len - 5);
    }
    closedir(d);
    if (n > 0)
        qsort(names, n, sizeof(*names), name_cmp);
    *out = names;
    return n;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static void test_golden(void **state)
{
    int update = getenv("PC_CONFIG_GOLDEN_UPDATE") != NULL;
    char dir[4096], path[512], **names;
    size_t n;
    (void)state;

    set_test_env();
    snprintf(dir, sizeof(dir), "%s/tests/config", pc_test_source_dir());
    assert_int_equal(chdir(dir), 0);

    n = list_confs("good", &names);
    assert_true(n >= 5);
    for (size_t i = 0; i < n; i++) {
        pc_config_t c;
        char *out, *want;
        snprintf(path, sizeof(path), "good/%s.conf", names[i]);
        if (pc_config_load(&c, path, err, sizeof(err)) != 0)
            fail_msg("%s: %s", path, err);
        out = printed(&c);
        snprintf(path, sizeof(path), "good/%s.out", names[i]);
        if (update)
            write_file(path, out + 1);
        want = pc_test_read_file(path, NULL);
        if (want == NULL)
            fail_msg("%s: missing", path);
        if (strcmp(out + 1, want) != 0)
            fail_msg("good/%s.conf: printed config differs from %s:\n%s", names[i], path,
                     out + 1);
        assert_round_trip(&c);
        free(want);
        free(out);
        free(names[i]);
        pc_config_free(&c);
    }
    free(names);

    n = list_confs("bad", &names);
    assert_true(n >= 20);
    for (size_t i = 0; i < n; i++) {
        pc_config_t c;
        char *want, *nl;
        int rc;
        snprintf(path, sizeof(path), "bad/%s.conf", names[i]);
        rc = pc_config_load(&c, path, err, sizeof(err));
        if (rc != PC_ECONFIG)
            fail_msg("%s: rc %d (%s), want PC_ECONFIG", path, rc, err);
        snprintf(path, sizeof(path), "bad/%s.err", names[i]);
        if (update) {
            char line[PC_CONFIG_ERR_MAX + 1];
            snprintf(line, sizeof(line), "%s\n", err);
            write_file(path, line);
        }
        want = pc_test_read_file(path, NULL);
        if (want == NULL)
            fail_msg("%s: missing", path);
        if ((nl = strchr(want, '\n')) != NULL)
            *nl = '\0';
        if (strcmp(err, want) != 0)
            fail_msg("bad/%s.conf:\n got \"%s\"\nwant \"%s\"", names[i], err, want);
        free(want);
        free(names[i]);
    }
    free(names);
}

/* etc/polcached.conf, the sample installed as /etc/polcache/polcached.conf */
static void test_sample(void **state)
{
    char path[4096];
    pc_config_t c;
    (void)state;

    snprintf(path, sizeof(path), "%s/etc/polcached.conf", pc_test_source_dir());
    if (pc_config_load(&c, path, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    assert_string_equal(c.user, PC_CONFIG_DEFAULT_USER);
    assert_int_equal(c.user_explicit, 1);
    assert_string_equal(c.state_dir, PC_ROOT_STATE_DIR);
    assert_int_equal(c.nlisten, 1);
    assert_string_equal(c.listen[0].path, PC_ROOT_SOCKET);
    assert_round_trip(&c);
    pc_config_free(&c);
}

/* The example at the end of docs/CONFIG.md */
static void test_doc_example(void **state)
{
    char path[4096], *doc, *start, *end;
    pc_config_t c;
    (void)state;

    snprintf(path, sizeof(path), "%s/docs/CONFIG.md", pc_test_source_dir());
    assert_non_null(doc = pc_test_read_file(path, NULL));
    assert_non_null(start = strstr(doc, "## Example\n\n```\n"));
    start += strlen("## Example\n\n```\n");
    assert_non_null(end = strstr(start, "```"));
    if (pc_config_parse(&c, "CONFIG.md", start, (size_t)(end - start), err, sizeof(err)) != 0)
        fail_msg("%s", err);
    assert_int_equal(c.nlisten, 2);
    assert_string_equal(c.listen[1].group, "postfix");
    assert_int_equal(c.lookup.timeout_ms, 2000);
    assert_round_trip(&c);
    pc_config_free(&c);
    free(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),     cmocka_unit_test(test_null_args),
        cmocka_unit_test(test_keys_good),    cmocka_unit_test(test_fields),
        cmocka_unit_test(test_keys_bad),     cmocka_unit_test(test_listen),
        cmocka_unit_test(test_lists_limits), cmocka_unit_test(test_cross_checks),
        cmocka_unit_test(test_round_trip),   cmocka_unit_test(test_octets),
        cmocka_unit_test(test_load),         cmocka_unit_test(test_sample),
        cmocka_unit_test(test_doc_example),  cmocka_unit_test(test_golden),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
