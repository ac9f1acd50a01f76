/*
 * test_resolver.c - the libunbound resolver module against the real signed
 * world (NSD): every case of the world's cases.tsv through
 * pc_resolver_ub_new / resolve, checking outcome, DNSSEC state and text;
 * our own per-query timeout against the silent server; cancel; and a flush
 * (context replacement) that makes the next query reach NSD again.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include <cmocka.h>

#include "name.h"
#include "polcache/error.h"
#include "resolver.h"
#include "testutil.h"

typedef struct got {
    int done;
    int status, rcode;
    pc_dnssec_t dnssec;
    uint32_t ttl;
    unsigned ndata;
    char text[8192];
    char why[512];
} got_t;

static uv_loop_t loop;
static pc_resolver_t *res;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Render rdata like cases.tsv: TXT strings joined, records sorted, '|'. */
static void render(uint16_t qtype, const pc_answer_t *a, char *out, size_t cap)
{
    char *recs[PC_RESOLVER_MAX_RR];
    size_t o = 0;

    for (unsigned i = 0; i < a->ndata; i++) {
        char buf[4096];
        size_t b = 0;
        const uint8_t *d = a->data[i];
        size_t len = a->len[i];
        if (qtype == PC_QT_TXT) {
            size_t p = 0;
            while (p < len) {
                size_t sl = d[p++];
                for (size_t k = 0; k < sl && p + k < len && b + 5 < sizeof(buf); k++) {
                    uint8_t c = d[p + k];
                    if (c < 0x20 || c > 0x7e || c == '\\' || c == '|')
                        b += (size_t)snprintf(buf + b, sizeof(buf) - b, "\\%03u", c);
                    else
                        buf[b++] = (char)c;
                }
                p += sl;
            }
            buf[b] = '\0';
        } else if (qtype == PC_QT_A && len == 4) {
            inet_ntop(AF_INET, d, buf, sizeof(buf));
        } else if (qtype == PC_QT_AAAA && len == 16) {
            inet_ntop(AF_INET6, d, buf, sizeof(buf));
        } else if (qtype == PC_QT_MX || qtype == PC_QT_PTR) {
            pc_name_t n;
            size_t off = qtype == PC_QT_MX ? 2 : 0;
            int pref = qtype == PC_QT_MX ? (d[0] << 8 | d[1]) : -1;
            assert_int_equal(pc_name_from_wire(&n, d + off, len - off), 0);
            if (pref >= 0)
                b = (size_t)snprintf(buf, sizeof(buf), "%d ", pref);
            pc_name_to_text(&n, buf + b, sizeof(buf) - b);
            strcat(buf, ".");
        } else {
            snprintf(buf, sizeof(buf), "?");
        }
        recs[i] = strdup(buf);
    }
    qsort(recs, a->ndata, sizeof(recs[0]), cmp_str);
    out[0] = '\0';
    for (unsigned i = 0; i < a->ndata; i++) {
        o += (size_t)snprintf(out + o, cap - o, "%s%s", i ? "|" : "", recs[i]);
        free(recs[i]);
    }
}

static uint16_t cur_qtype;

static void on_answer(void *arg, const pc_answer_t *a)
{
    got_t *g = arg;
    g->done++;
    g->status = a->status;
    g->rcode = a->rcode;
    g->dnssec = a->dnssec;
    g->ttl = a->ttl;
    g->ndata = a->ndata;
    render(cur_qtype, a, g->text, sizeof(g->text));
    snprintf(g->why, sizeof(g->why), "%s", a->why ? a->why : "");
}

static void run_until(got_t *g)
{
    while (!g->done)
        uv_run(&loop, UV_RUN_ONCE);
}

static uint16_t qtype_of(const char *s)
{
    if (strcmp(s, "TXT") == 0) return PC_QT_TXT;
    if (strcmp(s, "A") == 0) return PC_QT_A;
    if (strcmp(s, "AAAA") == 0) return PC_QT_AAAA;
    if (strcmp(s, "MX") == 0) return PC_QT_MX;
    if (strcmp(s, "PTR") == 0) return PC_QT_PTR;
    return 0;
}

static int resolve(const char *name, uint16_t qtype, unsigned timeout_ms, got_t *g)
{
    pc_name_t n;
    uint64_t id;
    int rc;

    memset(g, 0, sizeof(*g));
    assert_int_equal(pc_name_from_text(&n, name, strlen(name), PC_NAME_ESCAPES), 0);
    cur_qtype = qtype;
    rc = res->ops->resolve(res, &n, qtype, timeout_ms, on_answer, g, &id);
    if (rc == 0)
        run_until(g);
    return rc;
}

static int setup(void **state)
{
    pc_resolver_conf_t conf;
    char why[256];
    (void)state;

    pc_test_world_load();
    memset(&conf, 0, sizeof(conf));
    conf.unbound_conf = (char *)(uintptr_t)pc_test_env("PC_WORLD_UNBOUND_CONF");
    conf.cache_max_ttl = 86400;
    uv_loop_init(&loop);
    if (pc_resolver_ub_new(&res, &loop, &conf, why, sizeof(why)) != 0) {
        fprintf(stderr, "resolver: %s\n", why);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    res->ops->close(res);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    return 0;
}

static void test_world_cases(void **state)
{
    char *text = pc_test_read_file(pc_test_env("PC_WORLD_CASES"), NULL);
    char *line, *save = NULL;
    unsigned n = 0, bad = 0;
    (void)state;

    assert_non_null(text);
    for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
        char *f[6] = {0};
        char *p = line;
        got_t g;
        int ok;
        uint16_t qt;
        if (line[0] == '#')
            continue;
        for (int i = 0; i < 6 && p != NULL; i++) {
            f[i] = p;
            p = strchr(p, '\t');
            if (p != NULL)
                *p++ = '\0';
        }
        assert_non_null(f[4]);
        qt = qtype_of(f[1]);
        assert_true(qt != 0);
        assert_int_equal(resolve(f[0], qt, 5000, &g), 0);
        if (strcmp(f[3], "bogus") == 0) {
            ok = g.status == PC_EBOGUS && g.dnssec == PC_DNSSEC_BOGUS && g.ndata == 0 && g.why[0];
        } else if (strcmp(f[2], "timeout") == 0 || strcmp(f[2], "servfail") == 0) {
            ok = (g.status == PC_EDNS || g.status == PC_ETIMEDOUT) && g.dnssec == PC_DNSSEC_NONE;
        } else {
            pc_dnssec_t want = strcmp(f[3], "secure") == 0 ? PC_DNSSEC_SECURE : PC_DNSSEC_INSECURE;
            ok = g.status == 0 && g.dnssec == want;
            if (strcmp(f[2], "answer") == 0)
                ok = ok && g.rcode == 0 && g.ndata > 0 && strcmp(g.text, f[4]) == 0;
            else if (strcmp(f[2], "nodata") == 0)
                ok = ok && g.rcode == 0 && g.ndata == 0;
            else if (strcmp(f[2], "nxdomain") == 0)
                ok = ok && g.rcode == PC_RCODE_NXDOMAIN && g.ndata == 0;
            else
                ok = 0;
            /* negative answers carry the SOA minimum (60 s) as TTL */
            if (ok && strcmp(f[2], "answer") != 0 && (g.ttl == 0 || g.ttl > 60)) {
                printf("  negative TTL %u out of range\n", g.ttl);
                ok = 0;
            }
        }
        printf("%s %-40s %-4s %-8s/%-8s -> status %s rcode %d dnssec %d n %u ttl %u%s%s\n",
               ok ? "ok  " : "FAIL", f[0], f[1], f[2], f[3], pc_err_name(g.status), g.rcode,
               g.dnssec, g.ndata, g.ttl, g.why[0] ? " why: " : "", g.why);
        if (!ok && strcmp(f[2], "answer") == 0)
            printf("     expected text: %.200s\n     got text:      %.200s\n", f[4], g.text);
        n++;
        bad += !ok;
    }
    free(text);
    printf("world cases: %u, mismatches: %u\n", n, bad);
    assert_true(n >= 40);
    assert_int_equal(bad, 0);
}

static void test_own_timeout_and_cancel(void **state)
{
    got_t g, g2;
    pc_name_t n;
    uint64_t id;
    uint64_t t0 = uv_hrtime();
    (void)state;

    /* 150 ms is shorter than libunbound's fast-fail SERVFAIL (~0.75 s);
     * a fresh context, since libunbound remembers a dead server for 5 s */
    assert_int_equal(res->ops->flush(res), 0);
    t0 = uv_hrtime();
    assert_int_equal(resolve("other._dmarc.silent.pcw", PC_QT_TXT, 150, &g), 0);
    assert_int_equal(g.status, PC_ETIMEDOUT);
    assert_int_equal(g.done, 1);
    assert_true(uv_hrtime() - t0 < 2000000000ull);
    assert_true(res->timeouts >= 1);

    /* a cancelled query never calls back; another one still does */
    memset(&g, 0, sizeof(g));
    memset(&g2, 0, sizeof(g2));
    assert_int_equal(pc_name_from_text(&n, "_dmarc.secure.pcw", 17, 0), 0);
    cur_qtype = PC_QT_TXT;
    assert_int_equal(res->ops->resolve(res, &n, PC_QT_TXT, 5000, on_answer, &g, &id), 0);
    res->ops->cancel(res, id);
    res->ops->cancel(res, id + 1000); /* unknown: ignored */
    assert_int_equal(res->ops->resolve(res, &n, PC_QT_TXT, 5000, on_answer, &g2, &id), 0);
    run_until(&g2);
    assert_int_equal(g.done, 0);
    assert_int_equal(g2.done, 1);
    assert_int_equal(g2.status, 0);
}

static void test_flush_reaches_network(void **state)
{
    got_t g;
    char cmd[2048];
    const char *dir = pc_test_env("PC_WORLD_DIR");
    (void)state;

    snprintf(cmd, sizeof(cmd), "python3 %s/tests/world/world.py set %s flushprobe.secure.pcw TXT 'probe one' >/dev/null",
             pc_test_source_dir(), dir);
    assert_int_equal(system(cmd), 0);
    /* earlier NXDOMAIN proofs may cover the new name (aggressive NSEC) */
    assert_int_equal(res->ops->flush(res), 0);
    assert_int_equal(resolve("flushprobe.secure.pcw", PC_QT_TXT, 5000, &g), 0);
    assert_string_equal(g.text, "probe one");
    snprintf(cmd, sizeof(cmd), "python3 %s/tests/world/world.py set %s flushprobe.secure.pcw TXT 'probe two' >/dev/null",
             pc_test_source_dir(), dir);
    assert_int_equal(system(cmd), 0);
    /* libunbound's own cache still holds "probe one" ... */
    assert_int_equal(resolve("flushprobe.secure.pcw", PC_QT_TXT, 5000, &g), 0);
    assert_string_equal(g.text, "probe one");
    /* ... until the resolver is flushed: the next query reaches NSD */
    assert_int_equal(res->ops->flush(res), 0);
    assert_int_equal(resolve("flushprobe.secure.pcw", PC_QT_TXT, 5000, &g), 0);
    assert_string_equal(g.text, "probe two");
    assert_int_equal(g.dnssec, PC_DNSSEC_SECURE);
    snprintf(cmd, sizeof(cmd), "python3 %s/tests/world/world.py set %s flushprobe.secure.pcw TXT >/dev/null",
             pc_test_source_dir(), dir);
    assert_int_equal(system(cmd), 0);
}

static void test_bad_config(void **state)
{
    pc_resolver_conf_t conf;
    pc_resolver_t *r = NULL;
    char why[256];
    char *fwd[] = {(char *)(uintptr_t)"not an address"};
    (void)state;

    memset(&conf, 0, sizeof(conf));
    conf.unbound_conf = (char *)(uintptr_t)"/nonexistent/unbound.conf";
    assert_int_equal(pc_resolver_ub_new(&r, &loop, &conf, why, sizeof(why)), PC_ECONFIG);
    assert_non_null(strstr(why, "/nonexistent/unbound.conf"));
    memset(&conf, 0, sizeof(conf));
    conf.forwarders = fwd;
    conf.nforwarders = 1;
    assert_int_equal(pc_resolver_ub_new(&r, &loop, &conf, why, sizeof(why)), PC_ECONFIG);
    assert_int_equal(pc_resolver_ub_new(NULL, &loop, &conf, why, sizeof(why)), PC_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_world_cases),
        cmocka_unit_test(test_own_timeout_and_cancel),
        cmocka_unit_test(test_flush_reaches_network),
        cmocka_unit_test(test_bad_config),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
