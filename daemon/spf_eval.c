/*
 * spf_eval.c - the check_host() state machine (RFC 7208 §4-§7): a stack
 * of frames (the checked domain, each include, each redirect), one term at
 * a time, every DNS answer through the lookup engine (spf_query.c). A step
 * that needs DNS starts its lookups and returns; the last answer drives
 * the machine on. Answers found in the cache arrive during pc_lookup_start
 * itself, so the driver loops instead of recursing.
 */
#include <arpa/inet.h>

#include "polcache/error.h"
#include "spf_eval_impl.h"

const char *pc_spf_result_name(pc_spf_result_t r)
{
    switch (r) {
    case PC_SPF_NONE: return "none";
    case PC_SPF_NEUTRAL: return "neutral";
    case PC_SPF_PASS: return "pass";
    case PC_SPF_FAIL: return "fail";
    case PC_SPF_SOFTFAIL: return "softfail";
    case PC_SPF_TEMPERROR: return "temperror";
    case PC_SPF_PERMERROR: return "permerror";
    default: return "?";
    }
}

/* "'a:x.org' in the SPF record of y.org": names the term for reasons. */
const char *pc_spf_term_ref(pc_spf_eval_t *e, const pc_spf_term_t *t, char *buf, size_t cap)
{
    frame_t *f = spf_top(e);
    spf_printf(buf, cap, "'%.*s' in the SPF record of %s", (int)t->text.len,
               f->rec->text + t->text.off, f->domain);
    return buf;
}

/* End the evaluation with an error result; why names the cause. */
__attribute__((format(printf, 3, 4))) void pc_spf_fail(pc_spf_eval_t *e,
                                                       pc_spf_result_t r,
                                                       const char *fmt, ...)
{
    va_list ap;

    if (e->exp == EXP_NAME || e->exp == EXP_TEXT) {
        pc_spf_exp_drop(e); /* the result stands (§6.2) */
        return;
    }
    pc_spf_cancel_slots(e);
    e->out.result = r;
    e->out.matched[0] = e->out.term_domain[0] = '\0';
    va_start(ap, fmt);
    vsnprintf(e->out.why, sizeof(e->out.why), fmt, ap);
    va_end(ap);
    e->done = 1;
}

static void on_closed(uv_handle_t *h)
{
    pc_spf_eval_t *e = h->data;
    for (unsigned i = 0; i < FRAMES_MAX; i++)
        spf_free_frame(&e->frames[i]);
    free(e);
}

static void release(pc_spf_eval_t *e)
{
    e->finished = 1;
    uv_timer_stop(&e->timer);
    uv_close((uv_handle_t *)&e->timer, on_closed);
}

/* The two header texts of the outcome (proto/spf_header.h). */
static void write_headers(pc_spf_eval_t *e)
{
    pc_spf_hdr_in_t h;
    char ip[INET6_ADDRSTRLEN];

    if (inet_ntop(e->family == 4 ? AF_INET : AF_INET6, e->ip, ip, sizeof(ip)) == NULL)
        ip[0] = '\0';
    memset(&h, 0, sizeof(h));
    h.result = e->out.result;
    h.helo_scope = e->out.scope == PC_SPF_SCOPE_HELO;
    h.receiver = e->receiver;
    h.client_ip = ip;
    h.sender = e->sender;
    h.domain = e->out.domain;
    h.helo = e->helo;
    h.null_sender = e->null_sender;
    h.mechanism = e->out.matched;
    h.problem = e->out.why;
    pc_spf_auth_results(&h, e->out.auth_results, sizeof(e->out.auth_results));
    pc_spf_received_spf(&h, e->out.received_spf, sizeof(e->out.received_spf));
}

/* Seconds the same question keeps this outcome (pc_spf_outcome_t.ttl). */
static uint32_t outcome_ttl(const pc_spf_eval_t *e)
{
    if (e->out.result == PC_SPF_TEMPERROR || e->no_reuse)
        return 0;
    if (!e->any_lookup)
        return e->env.ttl_max;
    return e->ttl_least;
}

static void finish(pc_spf_eval_t *e)
{
    if (e->finished)
        return;
    if (e->env.headers)
        write_headers(e);
    e->out.cache = !e->any_lookup ? PC_CACHE_NONE : e->any_miss ? PC_CACHE_MISS : PC_CACHE_HIT;
    e->out.dnssec = e->seen_bogus ? PC_DNSSEC_BOGUS : e->seen_insecure ? PC_DNSSEC_INSECURE :
                    e->seen_secure ? PC_DNSSEC_SECURE : PC_DNSSEC_NONE;
    e->out.ttl = outcome_ttl(e);
    e->finished = 1;
    e->cb(e->arg, &e->out);
    release(e);
}

/* ---- macro expansion ---- */

void pc_spf_macro_env(pc_spf_eval_t *e, const frame_t *f, pc_spf_macro_env_t *m, char *ptext,
                      size_t pcap)
{
    memset(m, 0, sizeof(*m));
    m->sender = e->sender;
    m->sender_len = e->sender_len;
    m->local = e->sender;
    m->local_len = e->local_len;
    m->sdomain = e->sender + e->sdomain_off;
    m->sdomain_len = e->sdomain_len;
    m->domain = f->domain;
    m->domain_len = strlen(f->domain);
    m->helo = e->helo;
    m->helo_len = e->helo_len;
    if (e->receiver_len > 0) { /* else %{r} is "unknown" */
        m->receiver = e->receiver;
        m->receiver_len = e->receiver_len;
    }
    memcpy(m->ip, e->ip, sizeof(m->ip));
    m->family = e->family;
    m->now = e->env.clock != NULL ? e->env.clock(e->env.clock_arg) : pc_clock_wall(NULL);
    if (e->p_state == 2) {
        pc_name_t valid[SLOTS];
        unsigned n = 0;
        int i;
        for (unsigned k = 0; k < e->p_n; k++) {
            if (e->p_valid[k])
                valid[n++] = e->p_names[k];
        }
        i = pc_spf_pick_ptr(valid, n, &f->dname);
        if (i >= 0 && pc_name_to_text(&valid[i], ptext, pcap) > 0) {
            m->ptr = ptext;
            m->ptr_len = strlen(ptext);
        }
    }
}

/*
 * The target of a term: its expanded domain-spec, or <domain> when none
 * was written. Returns 1 when *text holds it; 0 when %{p} must be resolved
 * first (a lookup was started); -1 on an error (the evaluation ended).
 */
static int target_text(pc_spf_eval_t *e, const pc_spf_term_t *t, char *text, size_t cap)
{
    frame_t *f = spf_top(e);
    const char *spec = f->rec->text + t->arg.off;
    pc_spf_macro_env_t m;
    char ptext[PC_NAME_TEXT_MAX], ref[PC_SPF_TEXT_OUT];
    pc_perr_t perr;
    size_t n;
    int uses_p = 0;

    if (t->arg.len == 0) {
        spf_printf(text, cap, "%s", f->domain);
        return 1;
    }
    pc_spf_macro_check(spec, t->arg.len, 0, &uses_p, NULL);
    if (uses_p && e->p_state != 2) {
        if (e->out.lookups >= PC_SPF_LOOKUPS_MAX) {
            pc_spf_fail(e, PC_SPF_PERMERROR, "%s: resolving %%{p} would exceed %d DNS-querying "
                        "terms (RFC 7208 §4.6.4)", pc_spf_term_ref(e, t, ref, sizeof(ref)),
                        PC_SPF_LOOKUPS_MAX);
            return -1;
        }
        e->out.lookups++;
        pc_spf_p_start(e);
        return e->done ? -1 : 0;
    }
    pc_spf_macro_env(e, f, &m, ptext, sizeof(ptext));
    if (pc_spf_expand(spec, t->arg.len, PC_SPF_EXPAND_DOMAIN, &m, text, cap, &n, &perr) != 0) {
        pc_spf_fail(e, PC_SPF_PERMERROR, "%s: bad macro: %s",
                    pc_spf_term_ref(e, t, ref, sizeof(ref)),
                    perr.reason);
        return -1;
    }
    return 1;
}

/* Start resolving %{p}: the PTR of <ip>, then the names' addresses. */
void pc_spf_p_start(pc_spf_eval_t *e)
{
    pc_name_t rev;

    e->p_state = 1;
    pc_spf_reverse_name(e->ip, e->family, &rev);
    pc_spf_begin_op(e, OP_P_PTR);
    pc_spf_note_wait(e, PC_RT_PTR, &rev, "%{p}");
    pc_spf_lookup(e, 0, &rev, PC_RT_PTR);
}

/* ---- the steps ---- */

static pc_spf_result_t qual_result(pc_spf_qual_t q)
{
    switch (q) {
    case PC_SPF_QUAL_FAIL: return PC_SPF_FAIL;
    case PC_SPF_QUAL_SOFTFAIL: return PC_SPF_SOFTFAIL;
    case PC_SPF_QUAL_NEUTRAL: return PC_SPF_NEUTRAL;
    default: return PC_SPF_PASS;
    }
}

/* The current frame's check_host() returns r (§4.7: a match or the default). */
static void frame_return(pc_spf_eval_t *e, pc_spf_result_t r)
{
    frame_t *f = spf_top(e);

    e->counted = 0;
    if (e->depth == 1) {
        e->out.result = r;
        if (r == PC_SPF_FAIL && f->rec != NULL && f->rec->exp >= 0) {
            const pc_spf_term_t *x = &f->rec->terms[f->rec->exp];
            spf_copy_text(e->out.exp_spec, f->rec->text + x->arg.off, x->arg.len);
            spf_printf(e->out.exp_domain, sizeof(e->out.exp_domain), "%s", f->domain);
        }
        e->done = 1;
        return;
    }
    /* an include: pass matches, fail/softfail/neutral do not (§5.2) */
    spf_free_frame(f);
    e->depth--;
    e->tres = r == PC_SPF_PASS ? TR_MATCH : TR_NOMATCH;
}

static void conclude_match(pc_spf_eval_t *e, const pc_spf_term_t *t)
{
    frame_t *f = spf_top(e);
    spf_copy_text(e->out.matched, f->rec->text + t->text.off, t->text.len);
    spf_printf(e->out.term_domain, sizeof(e->out.term_domain), "%s", f->domain);
    frame_return(e, qual_result(t->qual));
}

/* Start a new check_host() for domain text in frame f. */
static int set_frame(pc_spf_eval_t *e, frame_t *f, const char *domain, frame_kind_t kind,
                     const char *via, size_t via_len)
{
    const char *why = NULL;
    char via_copy[PC_SPF_TEXT_OUT + 1];
    size_t n;

    spf_copy_text(via_copy, via, via_len); /* via may point into f->rec */
    spf_free_frame(f);
    memset(f, 0, sizeof(*f));
    f->kind = kind;
    memcpy(f->via_buf, via_copy, sizeof(via_copy));
    f->via = f->via_buf;
    if (pc_spf_domain_check(domain, strlen(domain), &n, &why) != 0 ||
        pc_spf_target_name(domain, n, &f->dname) != 0) {
        spf_printf(f->domain, sizeof(f->domain), "%.*s", (int)(n < 255 ? n : 255), domain);
        if (why == NULL)
            why = "the domain cannot be used as a DNS name";
        if (kind == FR_TOP) {
            e->out.result = PC_SPF_NONE;
            spf_printf(e->out.why, sizeof(e->out.why), "%s: %s (RFC 7208 §4.3)", f->domain, why);
            e->done = 1;
        } else {
            pc_spf_fail(e, PC_SPF_PERMERROR, "%s: target %s: %s", f->via, f->domain, why);
        }
        return -1;
    }
    memcpy(f->domain, domain, n);
    f->domain[n] = '\0';
    return 0;
}

/* The record of the top frame has been looked up. */
void pc_spf_record_done(pc_spf_eval_t *e)
{
    frame_t *f = spf_top(e);

    switch (e->rec_outcome) {
    case PC_OUTCOME_FOUND:
        if (f->rec != NULL)
            return;
        /* fall back to the permerror below */
        pc_spf_fail(e, PC_SPF_PERMERROR, "the SPF record of %s is unusable", f->domain);
        return;
    case PC_OUTCOME_NORECORD:
    case PC_OUTCOME_NXDOMAIN: {
        const char *what = e->rec_outcome == PC_OUTCOME_NXDOMAIN ? "does not exist" :
                           "has no SPF record";
        if (f->kind == FR_TOP) {
            e->out.result = PC_SPF_NONE;
            spf_printf(e->out.why, sizeof(e->out.why), "%s %s", f->domain, what);
            e->done = 1;
        } else {
            pc_spf_fail(e, PC_SPF_PERMERROR, "%s: %s %s (RFC 7208 %s)", f->via, f->domain, what,
                        f->kind == FR_INCLUDE ? "§5.2" : "§6.1");
        }
        return;
    }
    case PC_OUTCOME_PERMERROR:
        pc_spf_fail(e, PC_SPF_PERMERROR, "%s%sthe SPF record of %s: %s", f->via,
                    f->via[0] ? ": " : "", f->domain, e->dns_why);
        return;
    default:
        pc_spf_fail(e, PC_SPF_TEMPERROR, "%s%sDNS failure looking up the SPF record of %s: %s",
                    f->via, f->via[0] ? ": " : "", f->domain, e->dns_why);
        return;
    }
}

/* Count a DNS-querying term once (§4.6.4). Returns 0, or -1 past the limit. */
static int count_term(pc_spf_eval_t *e, const pc_spf_term_t *t)
{
    char ref[PC_SPF_TEXT_OUT];

    if (e->counted)
        return 0;
    if (e->out.lookups >= PC_SPF_LOOKUPS_MAX) {
        pc_spf_fail(e, PC_SPF_PERMERROR, "%s: more than %d DNS-querying terms (RFC 7208 §4.6.4)",
                    pc_spf_term_ref(e, t, ref, sizeof(ref)), PC_SPF_LOOKUPS_MAX);
        return -1;
    }
    e->out.lookups++;
    e->counted = 1;
    return 0;
}

/* A DNS-querying mechanism or redirect=: count it, find its target, start. */
static void dns_term(pc_spf_eval_t *e, const pc_spf_term_t *t)
{
    frame_t *f = spf_top(e);
    char text[PC_SPF_EXPAND_MIN], ref[PC_SPF_TEXT_OUT];
    const char *tt = f->rec->text + t->text.off;
    int rc;

    if (count_term(e, t) != 0)
        return;
    if ((rc = target_text(e, t, text, sizeof(text))) <= 0)
        return;
    pc_spf_term_ref(e, t, ref, sizeof(ref));
    if (t->kind == PC_SPF_MECH_INCLUDE || t->kind == PC_SPF_MOD_REDIRECT) {
        frame_t *child;
        if (t->kind == PC_SPF_MOD_REDIRECT) {
            child = f; /* redirect replaces this check_host() (§6.1) */
        } else {
            if (e->depth >= FRAMES_MAX) {
                pc_spf_fail(e, PC_SPF_PERMERROR, "%s: includes nested too deeply", ref);
                return;
            }
            child = &e->frames[e->depth++];
        }
        if (set_frame(e, child, text, t->kind == PC_SPF_MOD_REDIRECT ? FR_REDIRECT : FR_INCLUDE,
                      tt, t->text.len) == 0)
            e->counted = 0;
        return;
    }
    if (pc_spf_target_name(text, strlen(text), &e->target) != 0) {
        /* a name no query can be made for does not exist (§4.3): no match */
        e->tres = TR_NOMATCH;
        return;
    }
    switch (t->kind) {
    case PC_SPF_MECH_A:
        e->bits = e->family == 4 ? t->cidr4 : t->cidr6;
        pc_spf_begin_op(e, OP_ADDR);
        pc_spf_note_wait(e, e->family == 4 ? PC_RT_A : PC_RT_AAAA, &e->target, ref);
        pc_spf_lookup(e, 0, &e->target, e->family == 4 ? PC_RT_A : PC_RT_AAAA);
        break;
    case PC_SPF_MECH_EXISTS:
        pc_spf_begin_op(e, OP_EXISTS);
        pc_spf_note_wait(e, PC_RT_A, &e->target, ref);
        pc_spf_lookup(e, 0, &e->target, PC_RT_A);
        break;
    case PC_SPF_MECH_MX:
        e->bits = e->family == 4 ? t->cidr4 : t->cidr6;
        pc_spf_begin_op(e, OP_MX);
        pc_spf_note_wait(e, PC_RT_MX, &e->target, ref);
        pc_spf_lookup(e, 0, &e->target, PC_RT_MX);
        break;
    case PC_SPF_MECH_PTR: {
        pc_name_t rev;
        pc_spf_reverse_name(e->ip, e->family, &rev);
        pc_spf_begin_op(e, OP_PTR);
        pc_spf_note_wait(e, PC_RT_PTR, &rev, ref);
        pc_spf_lookup(e, 0, &rev, PC_RT_PTR);
        break;
    }
    default:
        pc_spf_fail(e, PC_SPF_PERMERROR, "%s: not a DNS mechanism", ref);
        break;
    }
}

/* One step forward when no lookup is in flight. */
static void advance(pc_spf_eval_t *e)
{
    frame_t *f = spf_top(e);
    const pc_spf_term_t *t;

    if (e->op != OP_NONE) {
        pc_spf_op_done(e);
        return;
    }
    if (e->exp == EXP_NAME || e->exp == EXP_TEXT) {
        pc_spf_exp_advance(e);
        return;
    }
    if (f->rec == NULL) {
        pc_spf_begin_op(e, OP_RECORD);
        pc_spf_note_wait(e, PC_RT_SPF, &f->dname, f->via[0] ? f->via : NULL);
        pc_spf_lookup(e, 0, &f->dname, PC_RT_SPF);
        return;
    }
    if (e->tres != TR_NONE) {
        term_res_t r = e->tres;
        e->tres = TR_NONE;
        e->counted = 0;
        if (r == TR_MATCH)
            conclude_match(e, spf_cur_term(e));
        else
            f->next++;
        return;
    }
    if (f->next >= f->rec->nterms || f->redirecting) {
        /* no mechanism matched: redirect= if any (§6.1), else neutral (§4.7);
         * after a %{p} lookup the redirect is taken up again here */
        if (f->rec->redirect >= 0) {
            f->redirecting = 1;
            f->next = (unsigned)f->rec->redirect;
            dns_term(e, spf_cur_term(e));
            return;
        }
        e->out.matched[0] = e->out.term_domain[0] = '\0';
        frame_return(e, PC_SPF_NEUTRAL);
        return;
    }
    t = spf_cur_term(e);
    switch (t->kind) {
    case PC_SPF_MECH_ALL:
        conclude_match(e, t);
        break;
    case PC_SPF_MECH_IP4:
    case PC_SPF_MECH_IP6:
        if ((t->kind == PC_SPF_MECH_IP4) == (e->family == 4) &&
            pc_spf_cidr_match(e->ip, t->addr, e->family == 4 ? t->cidr4 : t->cidr6))
            conclude_match(e, t);
        else
            f->next++;
        break;
    case PC_SPF_MECH_A:
    case PC_SPF_MECH_MX:
    case PC_SPF_MECH_PTR:
    case PC_SPF_MECH_EXISTS:
    case PC_SPF_MECH_INCLUDE:
        dns_term(e, t);
        break;
    default:
        f->next++; /* modifiers act elsewhere (redirect, exp) or not at all */
        break;
    }
}

void pc_spf_drive(pc_spf_eval_t *e)
{
    if (e->driving || e->finished)
        return;
    e->driving = 1;
    for (;;) {
        while (!e->done && e->pending == 0)
            advance(e);
        /* a fail with an exp= goes on to its explanation (spf_exp.c) */
        if (!e->done || !pc_spf_exp_begin(e))
            break;
    }
    e->driving = 0;
    if (e->done)
        finish(e);
}

static void on_timer(uv_timer_t *h)
{
    pc_spf_eval_t *e = h->data;

    if (e->finished)
        return;
    e->no_reuse = 1; /* asked again, the answers may all be cached */
    /* while explaining a fail, this drops only the explanation (§6.2) */
    pc_spf_fail(e, PC_SPF_TEMPERROR, "the evaluation exceeded its time limit of %u ms, "
                "waiting for %s", e->env.time_limit_ms, e->wait[0] ? e->wait : "DNS");
    finish(e);
}

/* ---- entry points ---- */

static void set_inputs(pc_spf_eval_t *e, const pc_spf_input_t *in)
{
    const char *local, *dom;
    size_t llen, dlen;

    memcpy(e->ip, in->ip, 16);
    e->family = in->family;
    e->alen = in->family == 4 ? 4 : 16;
    e->flags = in->flags;
    if (in->helo != NULL) {
        spf_copy_text(e->helo, in->helo, in->helo_len);
        e->helo_len = strlen(e->helo);
    }
    e->null_sender = in->mailfrom != NULL && in->mailfrom_len == 0;
    if (in->mailfrom != NULL && in->mailfrom_len > 0) {
        e->out.scope = PC_SPF_SCOPE_MAILFROM;
        pc_spf_sender_split(in->mailfrom, in->mailfrom_len, &local, &llen, &dom, &dlen);
    } else {
        /* the null reverse-path and the HELO check: postmaster@helo (§2.4) */
        e->out.scope = in->mailfrom != NULL ? PC_SPF_SCOPE_MAILFROM : PC_SPF_SCOPE_HELO;
        local = "postmaster";
        llen = 10;
        dom = e->helo;
        dlen = e->helo_len;
    }
    if (llen > PC_SPF_TEXT_OUT)
        llen = PC_SPF_TEXT_OUT;
    if (dlen > PC_SPF_TEXT_OUT)
        dlen = PC_SPF_TEXT_OUT;
    memcpy(e->sender, local, llen);
    e->sender[llen] = '@';
    memcpy(e->sender + llen + 1, dom, dlen);
    e->sender_len = llen + 1 + dlen;
    e->sender[e->sender_len] = '\0';
    e->local_len = llen;
    e->sdomain_off = llen + 1;
    e->sdomain_len = dlen;
}

int pc_spf_check_start(const pc_spf_env_t *env, const pc_spf_input_t *in, pc_spf_cb cb,
                       void *arg, pc_spf_eval_t **out)
{
    pc_spf_eval_t *e;
    char domain[PC_SPF_TEXT_OUT + 1];

    if (env == NULL || env->loop == NULL || env->lookups == NULL || in == NULL || cb == NULL ||
        out == NULL || (in->family != 4 && in->family != 6) ||
        (in->mailfrom == NULL && in->helo == NULL) ||
        (in->mailfrom == NULL && in->mailfrom_len > 0) || (in->helo == NULL && in->helo_len > 0))
        return PC_EINVAL;
    *out = NULL;
    e = calloc(1, sizeof(*e));
    if (e == NULL)
        return PC_ENOMEM;
    e->env = *env;
    if (e->env.time_limit_ms == 0)
        e->env.time_limit_ms = PC_SPF_TIME_LIMIT_DEFAULT;
    e->cb = cb;
    e->arg = arg;
    e->ttl_least = UINT32_MAX;
    if (env->receiver != NULL) {
        e->receiver_len = strnlen(env->receiver, PC_SPF_RECEIVER_MAX);
        memcpy(e->receiver, env->receiver, e->receiver_len);
    }
    e->env.receiver = NULL; /* the copy in e->receiver is used */
    uv_timer_init(env->loop, &e->timer);
    e->timer.data = e;
    set_inputs(e, in);
    spf_copy_text(domain, e->sender + e->sdomain_off, e->sdomain_len);
    spf_copy_text(e->out.domain, domain, strlen(domain));
    if (e->out.domain[0] != '\0' && e->out.domain[strlen(e->out.domain) - 1] == '.')
        e->out.domain[strlen(e->out.domain) - 1] = '\0';
    e->depth = 1;
    if (set_frame(e, &e->frames[0], domain, FR_TOP, "", 0) == 0)
        uv_timer_start(&e->timer, on_timer, e->env.time_limit_ms, 0);
    pc_spf_drive(e);
    if (!e->finished)
        *out = e;
    return 0;
}

void pc_spf_check_cancel(pc_spf_eval_t *e)
{
    if (e == NULL || e->finished)
        return;
    pc_spf_cancel_slots(e);
    e->done = 1;
    release(e);
}
