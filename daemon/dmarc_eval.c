/*
 * dmarc_eval.c - DMARC evaluation of one message: a small asynchronous
 * state machine. Phase 1 runs the From domain's policy discovery and, if
 * asked, SPF, side by side. Phase 2 checks the alignment of each passing
 * identifier, one organizational-domain discovery at a time, within a
 * query budget. Phase 3 applies the policy and writes the verdict.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmarc.h"
#include "dmarc_eval.h"
#include "polcache/error.h"

struct pc_dmarc_eval {
    pc_dmarc_env_t env;
    pc_dmarc_input_t in;
    pc_dmarc_cb cb;
    void *arg;
    pc_dmarc_verdict_t v;
    pc_dmarc_t rec;          /* the policy record, parsed */
    int have_rec;
    pc_name_t org;           /* the From domain's organizational domain */
    int exists;              /* From domain: 1, 0, -1 not asked */
    int disc_status;
    pc_discover_t *disc_h;   /* the discovery in flight, if any */
    pc_spf_eval_t *spf_h;
    int pending_disc, pending_spf;
    unsigned next_id;        /* next identifier to check for alignment */
    pc_name_t ids[PC_DMARC_IDS_MAX];
    int advancing;
    int ids_ready;
    uint32_t ttl_least;      /* least freshness left of the answers used;
                                UINT32_MAX before the first */
    int no_reuse;            /* the verdict may differ on the same data */
};

const char *pc_dmarc_result_name(pc_dmarc_result_t r)
{
    static const char *const n[] = {"?", "none", "pass", "fail", "temperror", "permerror"};
    return (r >= 1 && r <= 5) ? n[r] : "?";
}

static int advance(pc_dmarc_eval_t *x);

static void note_ttl(pc_dmarc_eval_t *x, uint32_t ttl)
{
    if (ttl < x->ttl_least)
        x->ttl_least = ttl;
}

/* The record fields of a cached DMARC body, parsed again from RAW. */
static int parse_body(const pc_walk_step_t *s, pc_dmarc_t *rec)
{
    pc_tlv_t parent = {0, (uint16_t)(s->body_len > 0xffff ? 0xffff : s->body_len), s->body};
    pc_tlv_t raw;

    if (s->body == NULL || !pc_tlv_find(&parent, PC_T_RAW, &raw))
        return PC_ENOENT;
    return pc_dmarc_parse((const char *)raw.val, raw.len, rec, NULL);
}

static void on_policy(void *arg, const pc_discovery_t *d)
{
    pc_dmarc_eval_t *x = arg;
    pc_dmarc_verdict_t *v = &x->v;

    x->pending_disc = 0;
    x->disc_h = NULL;
    x->disc_status = d->status;
    v->method = d->method;
    v->queries += d->queries;
    note_ttl(x, d->ttl);
    x->exists = d->exists;
    if (d->status != 0) {
        v->result = PC_DMARC_R_TEMPERROR;
        snprintf(v->why, sizeof(v->why), "policy discovery: %s", d->why);
    } else {
        x->org = d->org_domain;
        pc_name_to_text(&d->org_domain, v->org_domain, sizeof(v->org_domain));
        if (d->policy_step >= 0) {
            const pc_walk_step_t *s = &d->steps[d->policy_step];
            int rc = parse_body(s, &x->rec);
            pc_name_to_text(&s->domain, v->policy_domain, sizeof(v->policy_domain));
            v->dnssec = s->dnssec;
            if (s->outcome == PC_OUTCOME_FOUND && rc == 0) {
                x->have_rec = 1;
            } else {
                v->result = PC_DMARC_R_PERMERROR;
                snprintf(v->why, sizeof(v->why), "the DMARC record at _dmarc.%s is unusable",
                         v->policy_domain);
            }
        } else {
            v->result = PC_DMARC_R_NONE;
            snprintf(v->why, sizeof(v->why), "no DMARC policy applies to %s", v->from);
        }
    }
    if (!x->advancing)
        advance(x);
}

static void on_spf(void *arg, const pc_spf_outcome_t *o)
{
    pc_dmarc_eval_t *x = arg;

    x->pending_spf = 0;
    x->spf_h = NULL;
    x->v.spf_ran = 1;
    x->v.spf = *o;
    note_ttl(x, o->ttl);
    if (!x->advancing)
        advance(x);
}

/* Fill the identifier list (SPF first, then DKIM in order). */
static void collect_ids(pc_dmarc_eval_t *x)
{
    pc_dmarc_verdict_t *v = &x->v;
    pc_dmarc_ident_t *a;

    a = &v->align[v->nalign];
    memset(a, 0, sizeof(*a));
    a->kind = 1;
    a->mode = x->rec.aspf == PC_DMARC_STRICT ? 's' : 'r';
    if (x->in.run_spf) {
        a->result = x->v.spf.result;
        pc_name_from_text(&x->ids[v->nalign], x->v.spf.domain, strlen(x->v.spf.domain),
                          PC_NAME_ESCAPES);
    } else {
        a->result = x->in.spf_result;
        x->ids[v->nalign] = x->in.spf_domain;
    }
    a->passed = a->result == PC_SPF_PASS;
    pc_name_to_text(&x->ids[v->nalign], a->domain, sizeof(a->domain));
    v->nalign++;
    for (unsigned i = 0; i < x->in.ndkim && v->nalign < PC_DMARC_IDS_MAX; i++) {
        a = &v->align[v->nalign];
        memset(a, 0, sizeof(*a));
        a->kind = 2;
        a->mode = x->rec.adkim == PC_DMARC_STRICT ? 's' : 'r';
        a->result = x->in.dkim[i].result;
        a->passed = a->result == PC_DKIM_PASS;
        x->ids[v->nalign] = x->in.dkim[i].d;
        pc_name_to_text(&x->ids[v->nalign], a->domain, sizeof(a->domain));
        snprintf(a->selector, sizeof(a->selector), "%s", x->in.dkim[i].s);
        v->nalign++;
    }
}

static void on_org(void *arg, const pc_discovery_t *d)
{
    pc_dmarc_eval_t *x = arg;
    pc_dmarc_ident_t *a = &x->v.align[x->next_id];

    x->pending_disc = 0;
    x->disc_h = NULL;
    x->v.queries += d->queries;
    note_ttl(x, d->ttl);
    if (d->status != 0) {
        /* the identifier's organization is unknown: a temporary failure
         * only matters if nothing else aligns (decided in conclude) */
        snprintf(a->org, sizeof(a->org), "?");
        a->aligned = -1;
    } else {
        pc_name_to_text(&d->org_domain, a->org, sizeof(a->org));
        a->aligned = pc_name_equal(&d->org_domain, &x->org);
    }
    x->next_id++;
    if (!x->advancing)
        advance(x);
}

/* Check the next identifier; returns 1 if a discovery is now pending. */
static int align_next(pc_dmarc_eval_t *x)
{
    pc_dmarc_ident_t *a = &x->v.align[x->next_id];
    const pc_name_t *id = &x->ids[x->next_id];
    pc_discover_t *h = NULL;
    int rc;

    if (!a->passed || pc_name_labels(id) == 0) {
        a->aligned = 0;
    } else if (pc_name_equal(id, &x->in.from)) {
        a->aligned = 1; /* the same name aligns in either mode */
    } else if (a->mode == 's') {
        a->aligned = 0;
    } else if (!pc_name_is_below(id, &x->org)) {
        /* relaxed needs org(id) == org(From); org(id) is a suffix of id,
         * so if org(From) is not, they cannot be equal: no walk needed */
        a->aligned = 0;
    } else if (x->v.method == PC_DISC_PSL) {
        pc_name_t o;
        if (pc_psl_org_domain(x->env.disc.psl, id, &o) != 0)
            o = *id;
        pc_name_to_text(&o, a->org, sizeof(a->org));
        a->aligned = pc_name_equal(&o, &x->org);
    } else if (x->v.queries + PC_DISC_STEPS > PC_DMARC_QUERY_CAP) {
        snprintf(a->org, sizeof(a->org), "?");
        a->aligned = -1; /* budget spent */
    } else {
        x->pending_disc = 1;
        rc = pc_discover_start(&x->env.disc, id, PC_DISC_ORG_ONLY, on_org, x, &h);
        if (rc != 0) {
            x->pending_disc = 0;
            a->aligned = -1;
            x->no_reuse = 1; /* could not start now, may later */
        } else if (x->pending_disc) {
            x->disc_h = h;
            return 1;
        } else {
            return 0; /* on_org ran already and moved next_id */
        }
    }
    x->next_id++;
    return 0;
}

static const char *lower_one(const char *p)
{
    if (strcmp(p, "reject") == 0)
        return "quarantine";
    return "none";
}

static void conclude(pc_dmarc_eval_t *x)
{
    pc_dmarc_verdict_t *v = &x->v;
    const pc_dmarc_t *r = &x->rec;
    int any = 0, unknown = 0, temp_auth = 0;
    pc_dmarc_policy_t pol;

    for (unsigned i = 0; i < v->nalign; i++) {
        any |= v->align[i].aligned == 1;
        unknown |= v->align[i].aligned == -1;
        if ((v->align[i].kind == 1 && v->align[i].result == PC_SPF_TEMPERROR) ||
            (v->align[i].kind == 2 && v->align[i].result == PC_DKIM_TEMPERROR))
            temp_auth = 1;
    }
    /* p for the policy domain itself, sp for an existing subdomain, np
     * for one that does not exist (sp and np default as parsed) */
    if (strcmp(v->policy_domain, v->from) == 0) {
        pol = r->p;
        snprintf(v->policy_tag, sizeof(v->policy_tag), "p");
    } else if (x->exists == 0) {
        pol = r->np;
        snprintf(v->policy_tag, sizeof(v->policy_tag), "np");
    } else {
        pol = r->sp;
        snprintf(v->policy_tag, sizeof(v->policy_tag), "sp");
    }
    snprintf(v->policy, sizeof(v->policy), "%s", pc_dmarc_policy_name(pol));
    v->testing = r->testing;
    v->pct = v->method == PC_DISC_PSL ? r->pct : 100;
    for (unsigned i = 0; i < r->rua.n; i++)
        snprintf(v->rua + strlen(v->rua), sizeof(v->rua) - strlen(v->rua), "%s%s", i ? "," : "",
                 r->rua.uri[i].uri);
    for (unsigned i = 0; i < r->ruf.n; i++)
        snprintf(v->ruf + strlen(v->ruf), sizeof(v->ruf) - strlen(v->ruf), "%s%s", i ? "," : "",
                 r->ruf.uri[i].uri);
    if (any) {
        v->result = PC_DMARC_R_PASS;
        snprintf(v->disposition, sizeof(v->disposition), "none");
        snprintf(v->recommended, sizeof(v->recommended), "none");
        return;
    }
    if (temp_auth || unknown) {
        /* a temporary failure on the path may hide an aligned pass */
        v->result = PC_DMARC_R_TEMPERROR;
        snprintf(v->why, sizeof(v->why), "%s", unknown ? "organizational domain of an "
                 "identifier not determined (temporary failure or query budget)"
                 : "a temporary SPF or DKIM failure: alignment unknown");
        snprintf(v->disposition, sizeof(v->disposition), "none");
        snprintf(v->recommended, sizeof(v->recommended), "none");
        return;
    }
    v->result = PC_DMARC_R_FAIL;
    snprintf(v->disposition, sizeof(v->disposition), "%s", v->policy);
    snprintf(v->recommended, sizeof(v->recommended), "%s", v->policy);
    if (v->method == PC_DISC_PSL && v->pct < 100 && strcmp(v->recommended, "none") != 0) {
        unsigned roll = x->in.pct_roll >= 0 ? (unsigned)x->in.pct_roll
                        : x->env.rand100 != NULL ? x->env.rand100(x->env.rand_arg) % 100
                                                 : (unsigned)(random() % 100);
        if (x->in.pct_roll < 0)
            x->no_reuse = 1; /* a random draw: asked again, it may go the other way */
        if (roll >= v->pct) {
            /* RFC 7489 §6.6.4: not selected: the next lower policy */
            snprintf(v->recommended, sizeof(v->recommended), "%s", lower_one(v->recommended));
            v->sampled_out = 1;
        }
    }
    if (v->testing && strcmp(v->recommended, "none") != 0)
        snprintf(v->recommended, sizeof(v->recommended), "%s", lower_one(v->recommended));
}

static void write_ar(pc_dmarc_verdict_t *v)
{
    if (v->policy[0] != '\0' && (v->result == PC_DMARC_R_PASS || v->result == PC_DMARC_R_FAIL ||
                                 v->result == PC_DMARC_R_NONE))
        snprintf(v->ar, sizeof(v->ar), "dmarc=%s (p=%s dis=%s) header.from=%s policy.dmarc=%s",
                 pc_dmarc_result_name(v->result), v->policy, v->recommended, v->from,
                 v->recommended);
    else
        snprintf(v->ar, sizeof(v->ar), "dmarc=%s header.from=%s", pc_dmarc_result_name(v->result),
                 v->from);
}

/* Seconds the same question keeps this verdict (pc_dmarc_verdict_t.ttl). */
static uint32_t verdict_ttl(const pc_dmarc_eval_t *x)
{
    if (x->v.result == PC_DMARC_R_TEMPERROR || x->no_reuse)
        return 0;
    if (x->ttl_least == UINT32_MAX)
        return x->env.spf.ttl_max; /* no DNS answer was needed */
    return x->ttl_least;
}

static void finish(pc_dmarc_eval_t *x)
{
    write_ar(&x->v);
    x->v.ttl = verdict_ttl(x);
    x->cb(x->arg, &x->v);
    free(x);
}

static int advance(pc_dmarc_eval_t *x)
{
    x->advancing = 1;
    while (!x->pending_disc && !x->pending_spf) {
        if (!x->ids_ready) {
            collect_ids(x);
            x->ids_ready = 1;
            if (x->v.result != 0)
                x->next_id = x->v.nalign; /* no policy to align against */
        }
        if (x->next_id < x->v.nalign) {
            align_next(x);
            continue;
        }
        if (x->v.result == 0)
            conclude(x);
        x->advancing = 0;
        finish(x);
        return 1;
    }
    x->advancing = 0;
    return 0;
}

int pc_dmarc_eval_start(const pc_dmarc_env_t *env, const pc_dmarc_input_t *in,
                        pc_dmarc_cb cb, void *arg, pc_dmarc_eval_t **h)
{
    pc_dmarc_eval_t *x;
    int rc;

    if (env == NULL || in == NULL || cb == NULL || h == NULL || pc_name_labels(&in->from) == 0 ||
        in->ndkim > PC_DKIM_MAX)
        return PC_EINVAL;
    *h = NULL;
    x = calloc(1, sizeof(*x));
    if (x == NULL)
        return PC_ENOMEM;
    x->env = *env;
    x->in = *in;
    x->cb = cb;
    x->arg = arg;
    x->exists = -1;
    x->ttl_least = UINT32_MAX;
    pc_name_to_text(&in->from, x->v.from, sizeof(x->v.from));
    x->advancing = 1; /* callbacks during the starts below do not advance */
    if (in->run_spf) {
        x->pending_spf = 1;
        rc = pc_spf_check_start(&env->spf, &in->spf_in, on_spf, x, &x->spf_h);
        if (rc != 0) {
            free(x);
            return rc;
        }
    }
    x->pending_disc = 1;
    rc = pc_discover_start(&env->disc, &in->from, PC_DISC_EXISTS, on_policy, x, &x->disc_h);
    if (rc != 0) {
        if (x->spf_h != NULL)
            pc_spf_check_cancel(x->spf_h);
        free(x);
        return rc;
    }
    if (!advance(x))
        *h = x;
    return 0;
}

void pc_dmarc_eval_cancel(pc_dmarc_eval_t *h)
{
    if (h == NULL)
        return;
    if (h->disc_h != NULL)
        pc_discover_cancel(h->disc_h);
    if (h->spf_h != NULL)
        pc_spf_check_cancel(h->spf_h);
    free(h);
}
