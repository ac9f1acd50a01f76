/*
 * spfworld.c - the scenario world of the SPF evaluator tests: a real LMDB
 * cache, the fake resolver answering from a zone table, a fake clock.
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

#include "polcache/error.h"
#include "spfworld.h"

uint64_t sw_clock(void *arg)
{
    return ((sw_world_t *)arg)->now;
}

sw_world_t *sw_new(const pc_lookup_conf_t *conf, const char *tag)
{
    sw_world_t *w = calloc(1, sizeof(*w));
    pc_cache_opts_t opts;

    memset(&opts, 0, sizeof(opts));
    snprintf(w->dir, sizeof(w->dir), "/tmp/pc-%s-XXXXXX", tag);
    assert_non_null(mkdtemp(w->dir));
    opts.dir = w->dir;
    opts.map_size = 16u << 20;
    assert_int_equal(uv_loop_init(&w->loop), 0);
    assert_int_equal(pc_cache_open(&w->cache, &opts), 0);
    w->fake = calloc(1, sizeof(*w->fake));
    fake_resolver_init(w->fake);
    w->now = 1800000000;
    w->neg_ttl = 300;
    w->helo = "mx.example.org";
    assert_int_equal(pc_lookups_new(&w->l, &w->loop, w->cache, &w->fake->base, conf,
                                    sw_clock, w), 0);
    w->env.loop = &w->loop;
    w->env.lookups = w->l;
    w->env.time_limit_ms = 5000;
    w->env.clock = sw_clock;
    w->env.clock_arg = w;
    return w;
}

int sw_teardown(void **state)
{
    sw_world_t *w = *state;
    char cmd[128];

    pc_lookups_close(w->l);
    uv_run(&w->loop, UV_RUN_DEFAULT);
    pc_cache_close(w->cache);
    assert_int_equal(uv_loop_close(&w->loop), 0);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", w->dir);
    assert_int_equal(system(cmd), 0);
    free(w->fake);
    free(w);
    return 0;
}

void sw_on_done(void *arg, const pc_spf_outcome_t *o)
{
    sw_got_t *g = arg;
    g->calls++;
    g->o = *o;
}

/* Encode the rdata of one zone entry. */
static size_t rdata_of(uint16_t qtype, const char *text, uint8_t *out)
{
    pc_name_t n;
    size_t len;

    switch (qtype) {
    case PC_QT_A:
        assert_int_equal(inet_pton(AF_INET, text, out), 1);
        return 4;
    case PC_QT_AAAA:
        assert_int_equal(inet_pton(AF_INET6, text, out), 1);
        return 16;
    case PC_QT_MX: {
        const char *sp = strchr(text, ' ');
        unsigned pref = (unsigned)atoi(text);
        out[0] = (uint8_t)(pref >> 8);
        out[1] = (uint8_t)pref;
        assert_int_equal(pc_name_from_text(&n, sp + 1, strlen(sp + 1), 0), 0);
        memcpy(out + 2, n.wire, n.len);
        return 2 + (size_t)n.len;
    }
    case PC_QT_PTR:
        assert_int_equal(pc_name_from_text(&n, text, strlen(text), 0), 0);
        memcpy(out, n.wire, n.len);
        return n.len;
    default: /* TXT: one string (the tests keep them under 256 octets) */
        len = strlen(text);
        out[0] = (uint8_t)len;
        memcpy(out + 1, text, len);
        return len + 1;
    }
}

int sw_answer(sw_world_t *w, unsigned i)
{
    fake_query_t *q = &w->fake->q[i];
    static uint8_t rd[16][300];
    const uint8_t *data[16];
    size_t lens[16];
    pc_answer_t a;
    const sw_zrec_t *z = NULL, *seen = NULL;

    for (size_t k = 0; k < w->nzone; k++) {
        pc_name_t n;
        assert_int_equal(pc_name_from_text(&n, w->zone[k].name, strlen(w->zone[k].name), 0), 0);
        if (!pc_name_equal(&n, &q->qname))
            continue;
        seen = &w->zone[k];
        if (w->zone[k].qtype == q->qtype || w->zone[k].kind == Z_SILENT ||
            w->zone[k].kind == Z_NXDOMAIN)
            z = &w->zone[k];
    }
    if (z != NULL && z->kind == Z_SILENT)
        return 0;
    memset(&a, 0, sizeof(a));
    a.dnssec = PC_DNSSEC_SECURE;
    a.ttl = z != NULL ? z->ttl : seen != NULL ? seen->ttl : w->neg_ttl;
    a.data = data;
    a.len = lens;
    if (seen == NULL || (z != NULL && z->kind == Z_NXDOMAIN)) {
        a.rcode = PC_RCODE_NXDOMAIN;
    } else if (z != NULL && z->kind == Z_SERVFAIL) {
        a.status = PC_EDNS;
        a.dnssec = PC_DNSSEC_NONE;
        a.why = "SERVFAIL from the fake";
    } else if (z != NULL && z->kind == Z_BOGUS) {
        a.status = PC_EBOGUS;
        a.dnssec = PC_DNSSEC_BOGUS;
        a.why = "signature expired (fake)";
    } else if (z != NULL) {
        for (; a.ndata < 16 && z->data[a.ndata] != NULL; a.ndata++) {
            lens[a.ndata] = rdata_of(q->qtype, z->data[a.ndata], rd[a.ndata]);
            data[a.ndata] = rd[a.ndata];
        }
    }
    q->state = 1;
    w->fake->base.inflight--;
    q->cb(q->arg, &a);
    return 1;
}

void sw_serve(sw_world_t *w)
{
    int progress = 1;
    while (progress) {
        progress = 0;
        for (unsigned i = 0; i < w->fake->n; i++) {
            if (w->fake->q[i].state == 0 && sw_answer(w, i))
                progress = 1;
        }
    }
    uv_run(&w->loop, UV_RUN_NOWAIT); /* commit the cache writes */
}

int sw_check(sw_world_t *w, const char *ip, const char *mailfrom, const char *helo,
             sw_got_t *g, pc_spf_eval_t **e)
{
    pc_spf_input_t in;
    pc_spf_eval_t *dummy;

    memset(&in, 0, sizeof(in));
    if (inet_pton(AF_INET, ip, in.ip) == 1) {
        in.family = 4;
    } else {
        assert_int_equal(inet_pton(AF_INET6, ip, in.ip), 1);
        in.family = 6;
    }
    in.mailfrom = mailfrom;
    in.mailfrom_len = mailfrom != NULL ? strlen(mailfrom) : 0;
    in.helo = helo;
    in.helo_len = helo != NULL ? strlen(helo) : 0;
    return pc_spf_check_start(&w->env, &in, sw_on_done, g, e != NULL ? e : &dummy);
}

void sw_run(sw_world_t *w, const char *ip, const char *mailfrom, sw_got_t *g)
{
    memset(g, 0, sizeof(*g));
    assert_int_equal(sw_check(w, ip, mailfrom, w->helo, g, NULL), 0);
    sw_serve(w);
    assert_int_equal(g->calls, 1);
}
