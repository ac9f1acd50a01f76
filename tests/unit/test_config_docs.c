/*
 * test_config_docs.c - the configuration's documentation is checked
 * against the parser: every key that pc_config_print writes (it writes
 * every key of the parser's table, as a setting or a comment) has a row in
 * the key table of docs/CONFIG.md, a paragraph there, and an entry (".TP" then ".B key:") in
 * man/polcached.conf.5; and every key those two name is a key of the
 * parser. The new production keys parse, print and read back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "polcache/error.h"
#include "testutil.h"

#define MAX_KEYS 128

static char keys[MAX_KEYS][64];
static size_t nkeys;

static int is_key_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-';
}

static int known(const char *k, size_t n)
{
    for (size_t i = 0; i < nkeys; i++) {
        if (strlen(keys[i]) == n && strncmp(keys[i], k, n) == 0)
            return 1;
    }
    return 0;
}

/* The parser's keys, from pc_config_print of the defaults. */
static void load_keys(void)
{
    pc_config_t c;
    char *buf = NULL, *line, *save = NULL;
    size_t len = 0;
    FILE *f;

    assert_int_equal(pc_config_defaults(&c), 0);
    assert_non_null(f = open_memstream(&buf, &len));
    pc_config_print(&c, f);
    assert_int_equal(fclose(f), 0);
    pc_config_free(&c);
    nkeys = 0;
    for (line = strtok_r(buf, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
        size_t n = 0;
        if (line[0] == '#')
            line += line[1] == ' ' ? 2 : 1;
        while (is_key_char(line[n]))
            n++;
        if (n == 0 || line[n] != ':' || n >= sizeof(keys[0]))
            fail_msg("pc_config_print wrote an unexpected line: %s", line);
        if (!known(line, n)) {
            assert_true(nkeys < MAX_KEYS);
            memcpy(keys[nkeys], line, n);
            keys[nkeys++][n] = '\0';
        }
    }
    free(buf);
    assert_true(nkeys >= 30); /* not vacuous: the table has at least this many */
}

static char *read_source(const char *rel)
{
    char path[4096];
    char *text;

    snprintf(path, sizeof(path), "%s/%s", pc_test_source_dir(), rel);
    text = pc_test_read_file(path, NULL);
    if (text == NULL)
        fail_msg("cannot read %s", path);
    return text;
}

/* "allow-user" as roff writes it: "allow\-user". */
static void roff_key(const char *k, char *out, size_t cap)
{
    size_t o = 0;
    for (; *k != '\0' && o + 3 < cap; k++) {
        if (*k == '-')
            out[o++] = '\\';
        out[o++] = *k;
    }
    out[o] = '\0';
}

static void test_keys_documented(void **state)
{
    char *md = read_source("docs/CONFIG.md"), *man = read_source("man/polcached.conf.5");
    char *table, *end, want[300], esc[140];
    (void)state;

    load_keys();
    /* the key table of CONFIG.md: its header row after "## Keys", to a blank line */
    assert_non_null(table = strstr(md, "\n## Keys\n"));
    assert_non_null(table = strstr(table, "\n| key |"));
    end = strstr(table, "\n\n");
    assert_non_null(end);
    for (size_t i = 0; i < nkeys; i++) {
        snprintf(want, sizeof(want), "\n| `%.63s` |", keys[i]);
        char *hit = strstr(table, want);
        if (hit == NULL || hit > end)
            fail_msg("docs/CONFIG.md: no row for key \"%s\" in its key table", keys[i]);
        snprintf(want, sizeof(want), "**`%.63s`**", keys[i]);
        if (strstr(md, want) == NULL)
            fail_msg("docs/CONFIG.md: key \"%s\" is not described (**`%s`**)", keys[i],
                     keys[i]);
        roff_key(keys[i], esc, sizeof(esc));
        snprintf(want, sizeof(want), "\n.TP\n.B %.139s:\n", esc);
        if (strstr(man, want) == NULL)
            fail_msg("man/polcached.conf.5: no entry \".TP\\n.B %s:\" for key \"%s\"", esc,
                     keys[i]);
    }
    /* and nothing documented that the parser does not know */
    for (char *p = table; (p = strstr(p, "\n| `")) != NULL && p < end; p++) {
        char *k = p + 4;
        size_t n = 0;
        while (is_key_char(k[n]))
            n++;
        if (k[n] == '`' && !known(k, n))
            fail_msg("docs/CONFIG.md documents \"%.*s\", which the parser does not know",
                     (int)n, k);
    }
    for (char *p = man; (p = strstr(p, "\n.TP\n.B ")) != NULL; p++) {
        char *k = p + 8, plain[64];
        size_t n = 0;
        while (n + 1 < sizeof(plain) && (is_key_char(*k) || *k == '\\')) {
            if (*k != '\\')
                plain[n++] = *k;
            k++;
        }
        if (*k == ':' && !known(plain, n))
            fail_msg("man/polcached.conf.5 documents \"%.*s\", which the parser does not know",
                     (int)n, plain);
    }
    free(md);
    free(man);
}

/* The production keys: values, defaults, print and read back. */
static void test_prod_keys(void **state)
{
    static const char text[] = "allow-user: postfix\nallow-user: 65534\nallow-group: mail\n"
                                "admin-user: root\nadmin-group: adm\nadmin-group: 4\n"
                                "max-connections: 2000\nmax-requests-per-connection: 7\n"
                                "max-buffer-per-connection: 256K\nidle-timeout: 1m\n"
                                "cache-insert-rate: 0\n";
    char err[PC_CONFIG_ERR_MAX], *buf = NULL;
    pc_config_t c, d;
    size_t len = 0;
    FILE *f;
    (void)state;

    assert_int_equal(pc_config_defaults(&c), 0);
    assert_int_equal(c.limits.max_conns, 1024);
    assert_int_equal(c.limits.max_inflight, 1024);
    assert_int_equal(c.limits.max_outbuf, 8u << 20);
    assert_int_equal(c.limits.idle_ms, 300000);
    assert_int_equal(c.lookup.insert_rate, 10000);
    for (int k = 0; k < PC_PEER_LISTS; k++)
        assert_int_equal(c.access.list[k].n, 0);
    pc_config_free(&c);

    if (pc_config_parse(&c, "p.conf", text, strlen(text), err, sizeof(err)) != 0)
        fail_msg("%s", err);
    assert_int_equal(c.access.list[PC_ALLOW_USER].n, 2);
    assert_string_equal(c.access.list[PC_ALLOW_USER].v[1], "65534");
    assert_int_equal(c.access.list[PC_ALLOW_GROUP].n, 1);
    assert_int_equal(c.access.list[PC_ADMIN_USER].n, 1);
    assert_int_equal(c.access.list[PC_ADMIN_GROUP].n, 2);
    assert_int_equal(c.limits.max_conns, 2000);
    assert_int_equal(c.limits.max_inflight, 7);
    assert_int_equal(c.limits.max_outbuf, 256 * 1024);
    assert_int_equal(c.limits.idle_ms, 60000);
    assert_int_equal(c.lookup.insert_rate, 0);
    assert_non_null(f = open_memstream(&buf, &len));
    pc_config_print(&c, f);
    assert_int_equal(fclose(f), 0);
    assert_non_null(strstr(buf, "\nallow-user: postfix\nallow-user: 65534\nallow-group: mail\n"
                                "admin-user: root\nadmin-group: adm\nadmin-group: 4\n"
                                "max-connections: 2000\nmax-requests-per-connection: 7\n"
                                "max-buffer-per-connection: 256K\nidle-timeout: 60\n"));
    if (pc_config_parse(&d, "printed", buf, len, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    assert_int_equal(d.access.list[PC_ADMIN_GROUP].n, 2);
    assert_int_equal(d.limits.idle_ms, 60000);
    assert_int_equal(d.lookup.insert_rate, 0);
    pc_config_free(&d);
    pc_config_free(&c);
    free(buf);

    /* errors name the line */
    assert_int_equal(pc_config_parse(&c, "p.conf", "allow-user: a\nallow-user: a\n", 28, err,
                                     sizeof(err)),
                     PC_ECONFIG);
    assert_string_equal(err, "p.conf:2: allow-user: \"a\" is already listed on line 1");
    assert_int_equal(pc_config_parse(&c, "p.conf", "admin-user: x y\n", 16, err, sizeof(err)),
                     PC_ECONFIG);
    assert_string_equal(err, "p.conf:1: admin-user: \"x y\" is not a valid user name");
    assert_int_equal(pc_config_parse(&c, "p.conf", "idle-timeout: 1ms\n", 18, err, sizeof(err)),
                     PC_ECONFIG);
    assert_string_equal(err,
                        "p.conf:1: idle-timeout: \"1ms\" has an unknown unit (use s, m, h or d)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys_documented),
        cmocka_unit_test(test_prod_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
