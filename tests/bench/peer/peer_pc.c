/*
 * peer_pc.c - polcached's side of the comparison, as a filter would ask
 * it: libpolcache's blocking pc_client_spf_check() for an SPF check and
 * pc_client_eval() for a DMARC evaluation (polcached runs SPF itself from
 * the client address, MAIL FROM and HELO). One context, that is one
 * connection, per client thread; with --answer-cache each context keeps
 * answers in its own memory (pc_client_set_answer_cache).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peer.h"
#include "polcache.h"

typedef struct pc_shared {
    peer_task_t task;
    char sock[108];
    unsigned answer_cache;
    uint64_t ac_hits, ac_misses; /* atomic: from closed client states */
} pc_shared_t;

typedef struct pc_thread {
    pc_shared_t *sh;
    pc_client_t *c;
} pc_thread_t;

static int pc_open(const peer_opts_t *o, void **shared)
{
    pc_shared_t *sh;

    if (o->sock == NULL || strlen(o->sock) >= sizeof(sh->sock)) {
        fprintf(stderr, "peerbench: the polcached engine needs --sock\n");
        return -1;
    }
    if ((sh = calloc(1, sizeof(*sh))) == NULL)
        return -1;
    sh->task = o->task;
    sh->answer_cache = o->answer_cache;
    strcpy(sh->sock, o->sock);
    *shared = sh;
    return 0;
}

static int pc_thread_open(void *shared, void **state)
{
    pc_thread_t *t = calloc(1, sizeof(*t));
    int rc;

    if (t == NULL)
        return -1;
    t->sh = shared;
    if ((rc = pc_client_create(&t->c, t->sh->sock)) != 0 ||
        (rc = pc_client_ping(t->c, 0, NULL)) != 0 ||
        (rc = pc_client_set_answer_cache(t->c, t->sh->answer_cache, 0)) != 0) {
        fprintf(stderr, "peerbench: polcached at %s: %s\n", t->sh->sock, pc_strerror(rc));
        pc_client_destroy(t->c);
        free(t);
        return -1;
    }
    *state = t;
    return 0;
}

static int pc_spf(pc_thread_t *t, const peer_msg_t *m, char *verdict, size_t cap)
{
    pc_spf_query_t q = {m->ip, m->mailfrom, m->helo[0] ? m->helo : NULL, 0};
    pc_spf_check_t *r = NULL;
    int rc = pc_client_spf_check(t->c, &q, 0, &r);

    if (rc != 0) {
        snprintf(verdict, cap, "error %s", pc_err_name(rc));
        return -1;
    }
    snprintf(verdict, cap, "%s", peer_spf_name(r->result));
    pc_spf_check_free(r);
    return 0;
}

static const char *dmarc_name(pc_dmarc_result_t r)
{
    switch (r) {
    case PC_DMARC_R_NONE: return "none";
    case PC_DMARC_R_PASS: return "pass";
    case PC_DMARC_R_FAIL: return "fail";
    case PC_DMARC_R_TEMPERROR: return "temperror";
    case PC_DMARC_R_PERMERROR: return "permerror";
    default: return "unset";
    }
}

static int pc_dmarc(pc_thread_t *t, const peer_msg_t *m, char *verdict, size_t cap)
{
    pc_eval_dkim_t dk[PEER_DKIM_MAX];
    pc_eval_query_t q;
    pc_eval_result_t *r = NULL;
    int rc, spf_al = 0, dkim_al = 0;

    memset(&q, 0, sizeof(q));
    for (int i = 0; i < m->ndkim; i++) {
        dk[i].d = m->dkim[i].d;
        dk[i].s = m->dkim[i].s[0] ? m->dkim[i].s : NULL;
        dk[i].result = m->dkim[i].pass ? PC_DKIM_PASS : PC_DKIM_FAIL;
    }
    q.from = m->from;
    q.spf_result = PC_SPF_UNSET; /* polcached runs SPF */
    q.ip = m->ip;
    q.mailfrom = m->mailfrom;
    q.helo = m->helo[0] ? m->helo : NULL;
    q.dkim = m->ndkim ? dk : NULL;
    q.ndkim = (size_t)m->ndkim;
    q.pct_roll = 1; /* the workload has no pct below 100; keep it deterministic anyway */
    if ((rc = pc_client_eval(t->c, &q, 0, &r)) != 0) {
        snprintf(verdict, cap, "error %s", pc_err_name(rc));
        return -1;
    }
    for (size_t i = 0; i < r->nidents; i++) {
        if (r->idents[i].aligned != PC_ALIGNED_YES)
            continue;
        if (r->idents[i].kind == PC_EVAL_SPF)
            spf_al = 1;
        else
            dkim_al = 1;
    }
    peer_dmarc_verdict(verdict, cap, dmarc_name(r->result), peer_spf_name(r->spf_result),
                       r->disposition[0] ? r->disposition : "-", spf_al, dkim_al);
    pc_eval_result_free(r);
    return 0;
}

static int pc_eval(void *state, const peer_msg_t *m, char *verdict, size_t cap)
{
    pc_thread_t *t = state;

    return t->sh->task == PEER_SPF ? pc_spf(t, m, verdict, cap) : pc_dmarc(t, m, verdict, cap);
}

static void pc_thread_close(void *state)
{
    pc_thread_t *t = state;
    pc_answer_cache_stats_t st;

    if (t != NULL) {
        if (pc_client_answer_cache_stats(t->c, &st) == 0) {
            __atomic_fetch_add(&t->sh->ac_hits, st.hits, __ATOMIC_RELAXED);
            __atomic_fetch_add(&t->sh->ac_misses, st.misses, __ATOMIC_RELAXED);
        }
        pc_client_destroy(t->c);
        free(t);
    }
}

static void pc_close(void *shared)
{
    free(shared);
}

static long long pc_counter(void *shared, const char *name)
{
    const pc_shared_t *sh = shared;
    pc_client_t *c = NULL;
    pc_stats_t *st = NULL;
    uint64_t v = 0;
    long long out = -1;

    if (strcmp(name, "answer_cache.hits") == 0)
        return (long long)__atomic_load_n(&sh->ac_hits, __ATOMIC_RELAXED);
    if (strcmp(name, "answer_cache.misses") == 0)
        return (long long)__atomic_load_n(&sh->ac_misses, __ATOMIC_RELAXED);
    if (pc_client_create(&c, sh->sock) == 0 && pc_client_stats(c, 0, &st) == 0 &&
        pc_stats_get(st, name, &v) == 0)
        out = (long long)v;
    pc_stats_free(st);
    pc_client_destroy(c);
    return out;
}

const peer_engine_t peer_engine_pc = {
    "polcached", pc_open, pc_thread_open, pc_eval, pc_thread_close, pc_close, pc_counter,
};
