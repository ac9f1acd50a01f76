/*
 * discover.c - DMARC policy discovery: the RFC 9989 tree walk and the RFC
 * 7489 PSL mode, as an asynchronous state machine over the lookup engine.
 * Queries are made one at a time, in order, so the walk never asks a name
 * past the point where the rules stop it.
 */
#include <stdlib.h>
#include <string.h>

#include "discover.h"
#include "log.h"
#include "polcache/error.h"
#include "record.h"
#include "wire.h"

enum phase { PH_WALK, PH_ORG, PH_EXISTS, PH_EXISTS_WAIT, PH_DONE };

struct pc_discover {
    pc_discover_env_t env;
    unsigned flags;
    pc_discover_cb cb;
    void *arg;
    pc_discovery_t d;
    pc_name_t plan[PC_WALK_MAX];
    unsigned nplan, next;
    enum phase phase;
    pc_waiter_t *w;
    int pending;    /* a lookup is outstanding */
    int advancing;  /* inside advance(): callbacks must not recurse */
    int cancelled;
};

unsigned pc_walk_plan(const pc_name_t *a, pc_name_t out[PC_WALK_MAX])
{
    unsigned labels = pc_name_labels(a), n = 0, k;

    if (labels == 0)
        return 0;
    out[n++] = *a;
    k = labels - 1;
    if (labels >= PC_WALK_JUMP + 1)
        k = PC_WALK_JUMP; /* the jump to the last 7 labels */
    for (; k >= 1 && n < PC_WALK_MAX; k--)
        pc_name_suffix(&out[n++], a, k);
    return n;
}

psl_ctx_t *pc_psl_load(const char *path)
{
    return psl_load_file(path);
}

void pc_psl_free(psl_ctx_t *p)
{
    psl_free(p);
}

/* psd= of a cached DMARC body: PC_WALK_PSD_Y/N/U. */
static int body_psd(const uint8_t *body, size_t len)
{
    pc_tlv_t parent = {0, (uint16_t)(len > 0xffff ? 0xffff : len), body};
    pc_tlv_t it = {0, 0, NULL};

    while (pc_tlv_next(&parent, &it)) {
        pc_tlv_t n, v;
        if (it.type != PC_T_FIELD || !pc_tlv_find(&it, PC_T_FIELD_NAME, &n) ||
            !pc_tlv_find(&it, PC_T_FIELD_VALUE, &v))
            continue;
        if (n.len == 3 && memcmp(n.val, "psd", 3) == 0 && v.len == 1)
            return v.val[0] == 'y' ? PC_WALK_PSD_Y : v.val[0] == 'n' ? PC_WALK_PSD_N : PC_WALK_PSD_U;
    }
    return PC_WALK_PSD_U;
}

static void free_steps(pc_discovery_t *d)
{
    for (unsigned i = 0; i < d->nsteps; i++) {
        free(d->steps[i].body);
        d->steps[i].body = NULL;
    }
}

static void fail(pc_discover_t *x, int status, const char *why)
{
    x->d.status = status;
    x->d.ttl = 0; /* a lookup failed or could not start */
    snprintf(x->d.why, sizeof(x->d.why), "%s", why);
    x->phase = PH_DONE;
}

static int find_step(const pc_discovery_t *d, const pc_name_t *n)
{
    for (unsigned i = 0; i < d->nsteps; i++) {
        if (pc_name_equal(&d->steps[i].domain, n))
            return (int)i;
    }
    return -1;
}

/* After the walk: organizational domain and policy record (§4.10.2). */
static void conclude_walk(pc_discover_t *x)
{
    pc_discovery_t *d = &x->d;
    int fewest = -1;

    d->org_domain = d->author;
    d->org_step = -1;
    for (unsigned i = 0; i < d->nsteps; i++) {
        const pc_walk_step_t *s = &d->steps[i];
        if (s->psd == PC_WALK_PSD_N) {
            d->org_domain = s->domain;
            d->org_step = (int)i;
            break;
        }
        if (s->psd == PC_WALK_PSD_Y && i > 0) {
            pc_name_suffix(&d->org_domain, &d->author, pc_name_labels(&s->domain) + 1);
            d->psd_step = (int)i;
            d->org_step = find_step(d, &d->org_domain);
            if (d->org_step >= 0 && d->steps[d->org_step].psd == PC_WALK_NONE)
                d->org_step = -1;
            break;
        }
        if (s->psd != PC_WALK_NONE)
            fewest = (int)i;
    }
    if (d->org_step < 0 && d->psd_step < 0 && fewest >= 0) {
        d->org_domain = d->steps[fewest].domain;
        d->org_step = fewest;
    }
}

static int lookup(pc_discover_t *x, const pc_name_t *domain, pc_rtype_t rt, pc_lookup_cb cb);

static void on_step(void *arg, const pc_lookup_result_t *r);
static void on_exists(void *arg, const pc_lookup_result_t *r);
static int advance(pc_discover_t *x);

/* The discovery holds as long as the least fresh answer it used. */
static void note_ttl(pc_discover_t *x, const pc_lookup_result_t *r)
{
    uint32_t t = r->ttl;

    if (r->outcome == PC_OUTCOME_TEMPFAIL || r->dnssec == PC_DNSSEC_BOGUS ||
        r->cache == PC_CACHE_STALE)
        t = 0;
    if (t < x->d.ttl)
        x->d.ttl = t;
}

static void record_step(pc_discover_t *x, const pc_lookup_result_t *r)
{
    pc_walk_step_t *s = &x->d.steps[x->d.nsteps];

    s->outcome = r->outcome;
    s->dnssec = r->dnssec;
    s->cache = r->cache;
    s->ttl = r->ttl;
    s->age = r->age;
    s->psd = r->outcome == PC_OUTCOME_FOUND ? body_psd(r->body, r->body_len) : PC_WALK_NONE;
    s->body = NULL;
    s->body_len = 0;
    note_ttl(x, r);
    if (r->body_len > 0 && (s->body = malloc(r->body_len)) != NULL) {
        memcpy(s->body, r->body, r->body_len);
        s->body_len = r->body_len;
    }
    x->d.nsteps++;
}

static void on_step(void *arg, const pc_lookup_result_t *r)
{
    pc_discover_t *x = arg;
    const pc_walk_step_t *s;

    x->pending = 0;
    x->w = NULL;
    record_step(x, r);
    s = &x->d.steps[x->d.nsteps - 1];
    if (r->outcome == PC_OUTCOME_TEMPFAIL) {
        fail(x, PC_EDNS, r->dnssec == PC_DNSSEC_BOGUS ? "bogus DNSSEC answer on the walk"
                                                      : "DNS failure on the walk");
    } else if (x->phase == PH_WALK) {
        unsigned i = x->d.nsteps - 1;
        int stop = (x->d.method == PC_DISC_TREEWALK) &&
                   (s->psd == PC_WALK_PSD_N || (s->psd == PC_WALK_PSD_Y && i > 0));
        if (stop)
            x->next = x->nplan; /* the rules end the walk here */
    } else if (x->phase == PH_ORG) {
        x->d.org_step = s->psd != PC_WALK_NONE ? (int)(x->d.nsteps - 1) : -1;
    }
    if (!x->advancing)
        advance(x);
}

static void on_exists(void *arg, const pc_lookup_result_t *r)
{
    pc_discover_t *x = arg;

    x->pending = 0;
    x->w = NULL;
    x->d.queries++;
    note_ttl(x, r);
    if (r->outcome == PC_OUTCOME_TEMPFAIL)
        fail(x, PC_EDNS, "DNS failure checking that the author domain exists");
    else {
        /* NXDOMAIN means it does not exist (RFC 8020); NOERROR, with or
         * without data, means it exists; see docs for RFC 9824 */
        x->d.exists = r->outcome == PC_OUTCOME_NXDOMAIN ? 0 : 1;
        x->d.exists_dnssec = r->dnssec;
        x->phase = PH_DONE;
    }
    if (!x->advancing)
        advance(x);
}

static int lookup(pc_discover_t *x, const pc_name_t *domain, pc_rtype_t rt, pc_lookup_cb cb)
{
    pc_name_t q;
    pc_waiter_t *w = NULL;
    int rc;

    if (rt == PC_RT_DMARC) {
        if (x->d.nsteps >= PC_DISC_STEPS)
            return PC_ELIMIT;
        x->d.steps[x->d.nsteps].domain = *domain;
        if ((rc = pc_record_qname(&q, PC_RT_DMARC, domain, NULL)) != 0)
            return rc;
        x->d.queries++;
    } else {
        q = *domain;
    }
    x->pending = 1;
    rc = pc_lookup_start(x->env.lookups, &q, rt, 0, cb, x, &w);
    if (rc != 0) {
        x->pending = 0;
        return rc;
    }
    if (x->pending)
        x->w = w;
    return 0;
}

static void finish(pc_discover_t *x)
{
    if (!x->cancelled)
        x->cb(x->arg, &x->d);
    free_steps(&x->d);
    free(x);
}

int pc_psl_org_domain(const psl_ctx_t *psl, const pc_name_t *n, pc_name_t *out)
{
    char text[PC_NAME_TEXT_MAX];
    const psl_ctx_t *p = psl != NULL ? psl : psl_builtin();
    const char *reg;

    if (n == NULL || out == NULL || p == NULL)
        return PC_EINVAL;
    /* names are A-labels in lower case here, as libpsl wants them */
    if (pc_name_labels(n) == 0 || pc_name_to_text(n, text, sizeof(text)) <= 0)
        return PC_ENOENT;
    reg = psl_registrable_domain(p, text);
    if (reg == NULL)
        return PC_ENOENT;
    return pc_name_from_text(out, reg, strlen(reg), PC_NAME_ESCAPES) == 0 ? 0 : PC_ENOENT;
}

/* RFC 7489: the organizational domain from the Public Suffix List. */
static void conclude_psl(pc_discover_t *x)
{
    x->d.org_domain = x->d.author;
    if (pc_psl_org_domain(x->env.psl, &x->d.author, &x->d.org_domain) != 0)
        x->d.org_domain = x->d.author;
    x->d.org_step = find_step(&x->d, &x->d.org_domain);
    if (x->d.org_step >= 0 && x->d.steps[x->d.org_step].psd == PC_WALK_NONE)
        x->d.org_step = -1;
}

/*
 * After the walk: the organizational domain, then the policy record: the
 * author domain's own, else the organizational domain's (asked now if the
 * walk did not ask it), else the public suffix domain's. Returns 1 when a
 * query was issued.
 */
static int conclude(pc_discover_t *x)
{
    pc_discovery_t *d = &x->d;
    int rc;

    if (d->method == PC_DISC_TREEWALK)
        conclude_walk(x);
    else
        conclude_psl(x);
    x->phase = PH_EXISTS;
    if (x->flags & PC_DISC_ORG_ONLY) {
        x->phase = PH_DONE;
        return 0;
    }
    if (d->nsteps > 0 && d->steps[0].psd != PC_WALK_NONE) {
        d->policy_step = 0;
    } else if (d->org_step >= 0) {
        d->policy_step = d->org_step;
    } else if (find_step(d, &d->org_domain) < 0) {
        x->phase = PH_ORG;
        if ((rc = lookup(x, &d->org_domain, PC_RT_DMARC, on_step)) != 0)
            fail(x, rc, "lookup failed");
        return 1;
    }
    return 0;
}

/* Issue the next query, or conclude. Runs until a lookup is pending.
 * Returns 1 if the discovery finished (and x is freed). */
static int advance(pc_discover_t *x)
{
    int rc;

    x->advancing = 1;
    while (!x->pending && x->phase != PH_DONE) {
        if (x->phase == PH_WALK) {
            if (x->next >= x->nplan) {
                conclude(x);
                continue;
            }
            rc = lookup(x, &x->plan[x->next++], PC_RT_DMARC, on_step);
            if (rc != 0)
                fail(x, rc, "lookup failed");
            continue;
        }
        if (x->phase == PH_ORG) {
            /* the answer to the organizational domain's query arrived */
            x->phase = PH_EXISTS;
            continue;
        }
        if (x->phase == PH_EXISTS_WAIT)
            break; /* cannot happen: the lookup is pending or answered */
        /* PH_EXISTS */
        if (x->d.policy_step < 0)
            x->d.policy_step = x->d.org_step >= 0 ? x->d.org_step : x->d.psd_step;
        x->phase = PH_DONE;
        if ((x->flags & PC_DISC_EXISTS) && x->d.policy_step >= 0 &&
            !pc_name_equal(&x->d.steps[x->d.policy_step].domain, &x->d.author)) {
            x->phase = PH_EXISTS_WAIT;
            if ((rc = lookup(x, &x->d.author, PC_RT_A, on_exists)) != 0)
                fail(x, rc, "lookup failed");
        }
    }
    x->advancing = 0;
    if (x->phase == PH_DONE && !x->pending) {
        finish(x);
        return 1;
    }
    return 0;
}

int pc_discover_start(const pc_discover_env_t *env, const pc_name_t *a, unsigned flags,
                      pc_discover_cb cb, void *arg, pc_discover_t **h)
{
    pc_discover_t *x;

    if (env == NULL || env->lookups == NULL || a == NULL || cb == NULL || h == NULL ||
        pc_name_labels(a) == 0)
        return PC_EINVAL;
    *h = NULL;
    x = calloc(1, sizeof(*x));
    if (x == NULL)
        return PC_ENOMEM;
    x->env = *env;
    x->flags = flags;
    x->cb = cb;
    x->arg = arg;
    x->d.method = env->method == PC_DISC_PSL ? PC_DISC_PSL : PC_DISC_TREEWALK;
    x->d.author = *a;
    x->d.policy_step = x->d.org_step = x->d.psd_step = -1;
    x->d.exists = -1;
    x->d.ttl = UINT32_MAX;
    if (x->d.method == PC_DISC_TREEWALK) {
        x->nplan = pc_walk_plan(a, x->plan);
    } else {
        x->plan[0] = *a;
        x->nplan = 1;
    }
    x->phase = PH_WALK;
    /* advance() frees x when everything was answered synchronously */
    if (!advance(x))
        *h = x;
    return 0;
}

void pc_discover_cancel(pc_discover_t *h)
{
    if (h == NULL)
        return;
    if (h->w != NULL)
        pc_lookup_cancel(h->env.lookups, h->w);
    free_steps(&h->d);
    free(h);
}
