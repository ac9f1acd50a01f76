/*
 * resolver.c - the libunbound resolver behind the pc_resolver_ops table:
 * thread-mode libunbound driven by a uv_poll on ub_fd(), a uv_timer per
 * query for our own timeout, and context replacement for flushes. The one
 * place where libunbound's error codes are translated.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unbound.h>
#include <unistd.h>

#include "log.h"
#include "polcache/error.h"
#include "resolver.h"

#define QTABLE_SIZE 1024

struct ub_inst;

typedef struct query {
    struct pc_ubres *r;
    struct ub_inst *inst;
    uint64_t id;
    int async_id;
    int live;          /* ub query outstanding */
    uv_timer_t timer;
    pc_resolver_cb cb;
    void *arg;
    struct query *next; /* hash chain */
} query_t;

typedef struct ub_inst {
    struct pc_ubres *r;
    struct ub_ctx *ctx;
    uv_poll_t poll;
    unsigned inflight;
    int draining;
    struct ub_inst *next; /* draining list */
} ub_inst_t;

typedef struct pc_ubres {
    pc_resolver_t base;
    uv_loop_t *loop;
    pc_resolver_conf_t conf;
    ub_inst_t *cur;
    ub_inst_t *draining;
    uint64_t next_id;
    int closing;
    unsigned open_handles; /* timers and polls not yet closed */
    query_t *table[QTABLE_SIZE];
} pc_ubres_t;

/* The one translation of libunbound errors. */
static int ub_err(int e)
{
    switch (e) {
    case UB_NOERROR:
        return 0;
    case UB_NOMEM:
        return PC_ENOMEM;
    case UB_SYNTAX:
    case UB_INITFAIL:
    case UB_READFILE:
        return PC_ECONFIG;
    case UB_SERVFAIL:
        return PC_EDNS;
    case UB_AFTERFINAL:
        return PC_ESTATE;
    case UB_NOID:
        return PC_ENOENT;
    case UB_SOCKET:
    case UB_FORKFAIL:
    case UB_PIPE:
    default:
        return PC_EIO;
    }
}

static void maybe_free(pc_ubres_t *r)
{
    if (r->closing && r->open_handles == 0 && r->cur == NULL && r->draining == NULL) {
        pc_resolver_conf_free(&r->conf);
        free(r);
    }
}

static void inst_poll_closed(uv_handle_t *h)
{
    ub_inst_t *inst = h->data;
    pc_ubres_t *r = inst->r;

    ub_ctx_delete(inst->ctx);
    free(inst);
    r->open_handles--;
    maybe_free(r);
}

static void inst_close(ub_inst_t *inst)
{
    pc_ubres_t *r = inst->r;
    ub_inst_t **pp;

    for (pp = &r->draining; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == inst) {
            *pp = inst->next;
            break;
        }
    }
    if (r->cur == inst)
        r->cur = NULL;
    uv_poll_stop(&inst->poll);
    uv_close((uv_handle_t *)&inst->poll, inst_poll_closed);
}

static void on_readable(uv_poll_t *h, int status, int events)
{
    ub_inst_t *inst = h->data;
    (void)events;
    if (status < 0) {
        pc_log_err("resolver: poll on libunbound fd failed: %s", uv_strerror(status));
        return;
    }
    /* callbacks run from inside ub_process; they may close other queries,
     * but never this instance while it is processing (see query_done) */
    inst->inflight++;
    ub_process(inst->ctx);
    inst->inflight--;
    if (inst->draining && inst->inflight == 0)
        inst_close(inst);
}

static int set_opt(struct ub_ctx *ctx, const char *opt, const char *val, char *why, size_t cap)
{
    int rc = ub_ctx_set_option(ctx, opt, val);
    if (rc != 0) {
        snprintf(why, cap, "libunbound option %s %s: %s", opt, val, ub_strerror(rc));
        return PC_ECONFIG;
    }
    return 0;
}

static int has_anchor(struct ub_ctx *ctx)
{
    static const char *const opts[] = {"trust-anchor-file", "auto-trust-anchor-file",
                                       "trust-anchor", "trusted-keys-file"};
    for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
        char *v = NULL;
        int found = 0;
        if (ub_ctx_get_option(ctx, opts[i], &v) == 0 && v != NULL && v[0] != '\0')
            found = 1;
        free(v);
        if (found)
            return 1;
    }
    return 0;
}

/* A trust anchor file that libunbound would only open at its first query:
 * every file it was given (by the unbound config, by us, or the default)
 * must be a readable regular file now. 0, or PC_ECONFIG with why. */
static int check_anchor_files(struct ub_ctx *ctx, char *why, size_t cap)
{
    static const char *const opts[] = {"trust-anchor-file", "auto-trust-anchor-file",
                                       "trusted-keys-file"};
    int rc = 0;

    for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]) && rc == 0; i++) {
        char *v = NULL, *save = NULL;
        if (ub_ctx_get_option(ctx, opts[i], &v) != 0 || v == NULL) {
            free(v);
            continue;
        }
        for (char *f = strtok_r(v, " \t\n", &save); f != NULL && rc == 0;
             f = strtok_r(NULL, " \t\n", &save)) {
            struct stat st;
            int fd = open(f, O_RDONLY | O_CLOEXEC);
            if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
                snprintf(why, cap, "%s %s: %s", opts[i], f,
                         fd < 0 ? strerror(errno) : "not a regular file");
                rc = PC_ECONFIG;
            }
            if (fd >= 0)
                close(fd);
        }
        free(v);
    }
    return rc;
}

/* Apply conf to a fresh libunbound context: the unbound config file, our
 * cache ceilings, forwarders, stubs, trust anchors (Debian's root anchor
 * when none is given), then check the anchor files. 0 or PC_ECONFIG. */
static int ctx_configure(struct ub_ctx *ctx, const pc_resolver_conf_t *c, char *why, size_t cap)
{
    char num[32];
    int e;

    if (c->unbound_conf != NULL && (e = ub_ctx_config(ctx, c->unbound_conf)) != 0) {
        snprintf(why, cap, "unbound config %s: %s", c->unbound_conf, ub_strerror(e));
        return PC_ECONFIG;
    }
    snprintf(num, sizeof(num), "%u", c->cache_max_ttl);
    if (set_opt(ctx, "cache-max-ttl:", num, why, cap) != 0)
        return PC_ECONFIG;
    snprintf(num, sizeof(num), "%u",
             c->cache_max_negative_ttl != 0 ? c->cache_max_negative_ttl : c->cache_max_ttl);
    if (set_opt(ctx, "cache-max-negative-ttl:", num, why, cap) != 0 ||
        set_opt(ctx, "val-log-level:", "2", why, cap) != 0)
        return PC_ECONFIG;
    if ((c->nforwarders > 0 || c->nstubs > 0) &&
        set_opt(ctx, "do-not-query-localhost:", "no", why, cap) != 0)
        return PC_ECONFIG;
    for (size_t i = 0; i < c->nforwarders; i++) {
        if ((e = ub_ctx_set_fwd(ctx, c->forwarders[i])) != 0) {
            snprintf(why, cap, "forwarder %s: %s", c->forwarders[i], ub_strerror(e));
            return PC_ECONFIG;
        }
    }
    for (size_t i = 0; i < c->nstubs; i++) {
        for (size_t j = 0; j < c->stubs[i].naddrs; j++) {
            if ((e = ub_ctx_set_stub(ctx, c->stubs[i].name, c->stubs[i].addrs[j], 0)) != 0) {
                snprintf(why, cap, "stub zone %s %s: %s", c->stubs[i].name,
                         c->stubs[i].addrs[j], ub_strerror(e));
                return PC_ECONFIG;
            }
        }
    }
    if (c->trust_anchor_file != NULL && (e = ub_ctx_add_ta_file(ctx, c->trust_anchor_file)) != 0) {
        snprintf(why, cap, "trust anchor %s: %s", c->trust_anchor_file, ub_strerror(e));
        return PC_ECONFIG;
    }
    if (c->auto_trust_anchor_file != NULL &&
        (e = ub_ctx_add_ta_autr(ctx, c->auto_trust_anchor_file)) != 0) {
        snprintf(why, cap, "auto trust anchor %s: %s", c->auto_trust_anchor_file, ub_strerror(e));
        return PC_ECONFIG;
    }
    /* DNSSEC validation is always on: without any anchor, use Debian's. */
    if (c->trust_anchor_file == NULL && c->auto_trust_anchor_file == NULL &&
        !has_anchor(ctx)) {
        if ((e = ub_ctx_add_ta_file(ctx, PC_DEFAULT_ROOT_ANCHOR)) != 0) {
            snprintf(why, cap, "root trust anchor %s: %s", PC_DEFAULT_ROOT_ANCHOR, ub_strerror(e));
            return PC_ECONFIG;
        }
    }
    return check_anchor_files(ctx, why, cap);
}

static int inst_new(pc_ubres_t *r, ub_inst_t **out, char *why, size_t cap)
{
    const pc_resolver_conf_t *c = &r->conf;
    ub_inst_t *inst = calloc(1, sizeof(*inst));
    int rc = PC_ECONFIG, e;

    if (inst == NULL)
        return PC_ENOMEM;
    inst->r = r;
    inst->ctx = ub_ctx_create();
    if (inst->ctx == NULL) {
        free(inst);
        return PC_ENOMEM;
    }
    if ((rc = ctx_configure(inst->ctx, c, why, cap)) != 0)
        goto err;
    if ((e = ub_ctx_async(inst->ctx, 1)) != 0) {
        snprintf(why, cap, "libunbound thread mode: %s", ub_strerror(e));
        rc = ub_err(e);
        goto err;
    }
    if ((e = uv_poll_init(r->loop, &inst->poll, ub_fd(inst->ctx))) != 0) {
        snprintf(why, cap, "uv_poll_init: %s", uv_strerror(e));
        rc = PC_EIO;
        goto err;
    }
    inst->poll.data = inst;
    r->open_handles++;
    if ((e = uv_poll_start(&inst->poll, UV_READABLE, on_readable)) != 0) {
        snprintf(why, cap, "uv_poll_start: %s", uv_strerror(e));
        uv_close((uv_handle_t *)&inst->poll, inst_poll_closed);
        return PC_EIO; /* freed in the close callback */
    }
    *out = inst;
    return 0;
err:
    ub_ctx_delete(inst->ctx);
    free(inst);
    return rc;
}

static query_t **slot(pc_ubres_t *r, uint64_t id)
{
    query_t **pp = &r->table[id % QTABLE_SIZE];
    while (*pp != NULL && (*pp)->id != id)
        pp = &(*pp)->next;
    return pp;
}

static void timer_closed(uv_handle_t *h)
{
    query_t *q = h->data;
    pc_ubres_t *r = q->r;
    free(q);
    r->open_handles--;
    maybe_free(r);
}

/* Remove a query: stop its ub query if live, unlink, release its instance. */
static void query_done(query_t *q)
{
    pc_ubres_t *r = q->r;
    ub_inst_t *inst = q->inst;
    query_t **pp = slot(r, q->id);

    if (q->live) {
        ub_cancel(inst->ctx, q->async_id);
        q->live = 0;
    }
    if (*pp == q)
        *pp = q->next;
    r->base.inflight--;
    uv_timer_stop(&q->timer);
    uv_close((uv_handle_t *)&q->timer, timer_closed);
    if (--inst->inflight == 0 && inst->draining)
        inst_close(inst);
}

static void classify(struct ub_result *res, int err, pc_answer_t *a, size_t *lens)
{
    memset(a, 0, sizeof(*a));
    if (err != 0 || res == NULL) {
        a->status = err != 0 ? ub_err(err) : PC_EDNS;
        if (a->status == 0 || a->status == PC_ENOENT)
            a->status = PC_EDNS;
        a->rcode = PC_RCODE_SERVFAIL;
        a->why = err != 0 ? ub_strerror(err) : "no result";
        return;
    }
    a->rcode = res->rcode;
    a->canon = res->canonname;
    if (res->bogus) {
        a->status = PC_EBOGUS;
        a->dnssec = PC_DNSSEC_BOGUS;
        a->why = res->why_bogus != NULL ? res->why_bogus : "validation failure";
        return;
    }
    if (res->was_ratelimited || (res->rcode != PC_RCODE_NOERROR && res->rcode != PC_RCODE_NXDOMAIN)) {
        a->status = PC_EDNS;
        a->why = res->rcode == PC_RCODE_SERVFAIL ? "SERVFAIL" : "DNS error rcode";
        return;
    }
    a->dnssec = res->secure ? PC_DNSSEC_SECURE : PC_DNSSEC_INSECURE;
    a->ttl = res->ttl > 0 ? (uint32_t)res->ttl : 0;
    if (res->rcode == PC_RCODE_NOERROR && res->havedata) {
        unsigned n = 0;
        while (n < PC_RESOLVER_MAX_RR && res->data[n] != NULL) {
            lens[n] = res->len[n] > 0 ? (size_t)res->len[n] : 0;
            n++;
        }
        a->ndata = n;
        a->data = (const uint8_t *const *)res->data;
        a->len = lens;
    }
}

static void ub_result_cb(void *mydata, int err, struct ub_result *res)
{
    query_t *q = mydata;
    size_t lens[PC_RESOLVER_MAX_RR];
    pc_answer_t a;

    q->live = 0;
    classify(res, err, &a, lens);
    if (q->cb != NULL)
        q->cb(q->arg, &a);
    ub_resolve_free(res);
    query_done(q);
}

static void on_timeout(uv_timer_t *t)
{
    query_t *q = t->data;
    pc_answer_t a;

    memset(&a, 0, sizeof(a));
    a.status = PC_ETIMEDOUT;
    a.rcode = PC_RCODE_SERVFAIL;
    a.why = "upstream timeout";
    q->r->base.timeouts++;
    if (q->live) {
        ub_cancel(q->inst->ctx, q->async_id);
        q->live = 0;
    }
    if (q->cb != NULL)
        q->cb(q->arg, &a);
    query_done(q);
}

static int ub_resolve_op(pc_resolver_t *base, const pc_name_t *qname, uint16_t qtype,
                         unsigned timeout_ms, pc_resolver_cb cb, void *arg, uint64_t *id)
{
    pc_ubres_t *r = (pc_ubres_t *)base;
    char text[PC_NAME_TEXT_MAX];
    query_t *q;
    int e;

    if (r->closing || r->cur == NULL)
        return PC_ESTATE;
    if (pc_name_to_text(qname, text, sizeof(text)) < 0)
        return PC_EINVAL;
    q = calloc(1, sizeof(*q));
    if (q == NULL)
        return PC_ENOMEM;
    q->r = r;
    q->inst = r->cur;
    q->id = ++r->next_id;
    q->cb = cb;
    q->arg = arg;
    e = ub_resolve_async(r->cur->ctx, text, qtype, 1 /* IN */, q, ub_result_cb, &q->async_id);
    if (e != 0) {
        free(q);
        pc_log_warn("resolver: ub_resolve_async(%s): %s", text, ub_strerror(e));
        return ub_err(e);
    }
    q->live = 1;
    uv_timer_init(r->loop, &q->timer);
    q->timer.data = q;
    r->open_handles++;
    uv_timer_start(&q->timer, on_timeout, timeout_ms, 0);
    q->next = r->table[q->id % QTABLE_SIZE];
    r->table[q->id % QTABLE_SIZE] = q;
    q->inst->inflight++;
    r->base.queries++;
    r->base.inflight++;
    *id = q->id;
    return 0;
}

static void ub_cancel_op(pc_resolver_t *base, uint64_t id)
{
    pc_ubres_t *r = (pc_ubres_t *)base;
    query_t *q = *slot(r, id);

    if (q != NULL) {
        q->cb = NULL;
        query_done(q);
    }
}

/* Replace the context: the old one drains its in-flight queries. */
static int ub_flush_op(pc_resolver_t *base)
{
    pc_ubres_t *r = (pc_ubres_t *)base;
    ub_inst_t *fresh = NULL, *old = r->cur;
    char why[256] = "";
    int rc;

    if (r->closing)
        return PC_ESTATE;
    rc = inst_new(r, &fresh, why, sizeof(why));
    if (rc != 0) {
        pc_log_err("resolver: cannot build a new libunbound context: %s", why);
        return rc;
    }
    r->cur = fresh;
    if (old != NULL) {
        old->draining = 1;
        if (old->inflight == 0) {
            inst_close(old);
        } else {
            old->next = r->draining;
            r->draining = old;
        }
    }
    return 0;
}

static void ub_close_op(pc_resolver_t *base)
{
    pc_ubres_t *r = (pc_ubres_t *)base;

    r->closing = 1;
    for (size_t i = 0; i < QTABLE_SIZE; i++) {
        while (r->table[i] != NULL) {
            r->table[i]->cb = NULL;
            query_done(r->table[i]);
        }
    }
    if (r->cur != NULL)
        inst_close(r->cur);
    while (r->draining != NULL)
        inst_close(r->draining);
    maybe_free(r);
}

static void ub_retire_op(pc_resolver_t *base)
{
    pc_ubres_t *r = (pc_ubres_t *)base;
    ub_inst_t *old = r->cur;

    r->closing = 1;
    r->cur = NULL;
    if (old != NULL) {
        old->draining = 1;
        if (old->inflight == 0) {
            /* inst_close looks for it in the draining list */
            old->next = r->draining;
            r->draining = old;
            inst_close(old);
        } else {
            old->next = r->draining;
            r->draining = old;
        }
    }
    maybe_free(r);
}

static const pc_resolver_ops_t ub_ops = {
    ub_resolve_op, ub_cancel_op, ub_flush_op, ub_close_op, ub_retire_op,
};

int pc_resolver_ub_new(pc_resolver_t **out, uv_loop_t *loop,
                       const pc_resolver_conf_t *conf, char *why, size_t cap)
{
    pc_ubres_t *r;
    char dummy[8];
    int rc;

    if (why == NULL) {
        why = dummy;
        cap = sizeof(dummy);
    }
    why[0] = '\0';
    if (out == NULL || loop == NULL || conf == NULL)
        return PC_EINVAL;
    r = calloc(1, sizeof(*r));
    if (r == NULL)
        return PC_ENOMEM;
    r->base.ops = &ub_ops;
    r->loop = loop;
    if ((rc = pc_resolver_conf_copy(&r->conf, conf)) != 0) {
        free(r);
        return rc;
    }
    rc = inst_new(r, &r->cur, why, cap);
    if (rc != 0) {
        /* an instance whose poll failed frees itself in its close cb */
        pc_resolver_conf_free(&r->conf);
        if (r->open_handles == 0)
            free(r);
        else
            r->closing = 1;
        return rc;
    }
    *out = &r->base;
    return 0;
}
