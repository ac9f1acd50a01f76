/*
 * spf_query.c - the lookups of one SPF evaluation: up to ten in flight at
 * once (the addresses of MX exchanges and PTR names are asked in
 * parallel), what each answer contributes to the current step, taken
 * while its body is valid, and the conclusion of each step: match, no
 * match, a void lookup (§4.6.4), the next batch of lookups, or an error.
 */
#include "polcache/error.h"
#include "spf_eval_impl.h"
#include "wire.h"

static const char *rtype_name(pc_rtype_t rt)
{
    switch (rt) {
    case PC_RT_SPF: return "SPF (TXT)";
    case PC_RT_A: return "A";
    case PC_RT_AAAA: return "AAAA";
    case PC_RT_MX: return "MX";
    case PC_RT_PTR: return "PTR";
    default: return "TXT";
    }
}

static void consume(pc_spf_eval_t *e, unsigned idx, const pc_lookup_result_t *r);

/* How long the outcome may be reused is the least freshness left among the
 * answers; a DNS failure, a bogus or a stale answer allows no reuse, even
 * where the check went on without it (ptr, %{p}, one MX exchange). */
static void note_ttl(pc_spf_eval_t *e, const pc_lookup_result_t *r)
{
    uint32_t t = r->ttl;

    if (r->outcome == PC_OUTCOME_TEMPFAIL || r->dnssec == PC_DNSSEC_BOGUS ||
        r->cache == PC_CACHE_STALE)
        t = 0;
    if (t < e->ttl_least)
        e->ttl_least = t;
}

static void on_answer(void *arg, const pc_lookup_result_t *r)
{
    slot_t *s = arg;
    pc_spf_eval_t *e = s->e;

    s->busy = 0;
    s->w = NULL;
    e->pending--;
    e->any_lookup = 1;
    if (r->cache != PC_CACHE_HIT)
        e->any_miss = 1;
    if (r->dnssec == PC_DNSSEC_BOGUS)
        e->seen_bogus = 1;
    else if (r->dnssec == PC_DNSSEC_INSECURE)
        e->seen_insecure = 1;
    else if (r->dnssec == PC_DNSSEC_SECURE)
        e->seen_secure = 1;
    note_ttl(e, r);
    consume(e, s->idx, r);
    if (e->pending == 0)
        pc_spf_drive(e);
}

/* Start one lookup in slot idx. On failure the evaluation ends in temperror. */
int pc_spf_lookup(pc_spf_eval_t *e, unsigned idx, const pc_name_t *name, pc_rtype_t rt)
{
    slot_t *s = &e->slots[idx];
    pc_waiter_t *w = NULL;
    char text[PC_NAME_TEXT_MAX];
    int rc;

    s->e = e;
    s->idx = idx;
    s->busy = 1;
    e->pending++;
    rc = pc_lookup_start(e->env.lookups, name, rt, e->flags, on_answer, s, &w);
    if (rc != 0) {
        s->busy = 0;
        e->pending--;
        e->no_reuse = 1; /* busy or out of memory now, not later */
        pc_name_to_text(name, text, sizeof(text));
        pc_spf_fail(e, PC_SPF_TEMPERROR, "cannot look up %s %s: %s", rtype_name(rt), text,
                    pc_strerror(rc));
        return rc;
    }
    if (s->busy)
        s->w = w; /* else answered from the cache already */
    return 0;
}

/* Describe the lookups about to start, for the time-limit message. */
void pc_spf_note_wait(pc_spf_eval_t *e, pc_rtype_t rt, const pc_name_t *name, const char *what)
{
    char text[PC_NAME_TEXT_MAX];
    pc_name_to_text(name, text, sizeof(text));
    spf_printf(e->wait, sizeof(e->wait), "the %s lookup of %s%s%s", rtype_name(rt), text,
               what != NULL ? " for " : "", what != NULL ? what : "");
}

static void save_dns_why(pc_spf_eval_t *e, const pc_lookup_result_t *r)
{
    const uint8_t *v;
    size_t n;

    if (pc_spf_body_field(r->body, r->body_len, PC_T_WHY, &v, &n))
        spf_copy_text(e->dns_why, (const char *)v, n);
    else
        spf_printf(e->dns_why, sizeof(e->dns_why), "%s",
                   r->outcome == PC_OUTCOME_TEMPFAIL ? "DNS failure" : "unusable answer");
}

/* An answer arrives: take what the current step needs from it now, since
 * the body is valid only during the callback. */
static void consume(pc_spf_eval_t *e, unsigned idx, const pc_lookup_result_t *r)
{
    int is_void = r->outcome == PC_OUTCOME_NXDOMAIN || r->outcome == PC_OUTCOME_NORECORD;
    int found = r->outcome == PC_OUTCOME_FOUND;
    unsigned total = 0;

    switch (e->op) {
    case OP_RECORD: {
        frame_t *f = spf_top(e);
        const uint8_t *raw;
        size_t n;
        pc_perr_t perr;
        e->rec_outcome = r->outcome;
        if (!found) {
            save_dns_why(e, r);
            break;
        }
        f->rec = malloc(sizeof(*f->rec));
        if (f->rec == NULL) {
            e->rec_outcome = PC_OUTCOME_TEMPFAIL;
            spf_printf(e->dns_why, sizeof(e->dns_why), "out of memory");
            break;
        }
        pc_spf_body_field(r->body, r->body_len, PC_T_RAW, &raw, &n);
        if (pc_spf_parse((const char *)raw, n, f->rec, NULL, &perr) != 0) {
            e->rec_outcome = PC_OUTCOME_PERMERROR;
            spf_printf(e->dns_why, sizeof(e->dns_why), "SPF syntax error: %s at offset %zu",
                       perr.reason, perr.pos);
            spf_free_frame(f);
        }
        break;
    }
    case OP_ADDR:
    case OP_EXISTS:
        e->is_void = is_void;
        if (found)
            e->any_match = pc_spf_body_addrs(r->body, r->body_len, e->ip,
                                             e->op == OP_EXISTS ? 4 : e->alen,
                                             e->op == OP_EXISTS ? 0 : e->bits, &total);
        else if (!is_void)
            e->any_error = 1, save_dns_why(e, r);
        break;
    case OP_MX:
    case OP_PTR:
    case OP_P_PTR:
        e->is_void = is_void;
        if (found) {
            pc_name_t *dst = e->op == OP_P_PTR ? e->p_names : e->names;
            unsigned n = pc_spf_body_names(r->body, r->body_len, e->op == OP_MX, dst, SLOTS,
                                           &total);
            if (e->op == OP_P_PTR)
                e->p_n = n;
            else
                e->nnames = n;
            e->too_many = e->op == OP_MX && total > PC_SPF_NAMES_MAX;
        } else if (!is_void) {
            e->any_error = 1;
            save_dns_why(e, r);
        }
        break;
    case OP_MX_ADDR:
    case OP_PTR_ADDR:
    case OP_P_ADDR:
        if (found && pc_spf_body_addrs(r->body, r->body_len, e->ip, e->alen,
                                       e->op == OP_MX_ADDR ? e->bits : e->alen * 8, NULL)) {
            e->any_match = 1;
            if (e->op == OP_P_ADDR)
                e->p_valid[idx] = 1;
        } else if (!found && !is_void && e->op == OP_MX_ADDR && !e->any_error) {
            e->any_error = 1;
            save_dns_why(e, r);
        }
        break;
    case OP_EXP_TXT:
        /* §6.2: exactly one record, else no explanation */
        e->exp_found = found && pc_spf_body_count(r->body, r->body_len, PC_T_RDATA) == 1;
        if (e->exp_found) {
            const uint8_t *v;
            size_t n;
            pc_spf_body_field(r->body, r->body_len, PC_T_RDATA, &v, &n);
            e->exp_len = n < EXP_TEXT_MAX ? n : EXP_TEXT_MAX;
            memcpy(e->exp_text, v, e->exp_len);
            e->exp_text[e->exp_len] = '\0';
        }
        break;
    default:
        break;
    }
}

void pc_spf_begin_op(pc_spf_eval_t *e, op_t op)
{
    e->op = op;
    e->any_match = e->any_error = e->is_void = e->too_many = 0;
    e->dns_why[0] = '\0';
}

/* Start a batch of address lookups (A or AAAA by <ip>) for names[0..n). */
static void start_batch(pc_spf_eval_t *e, op_t op, const pc_name_t *names, unsigned n,
                        const char *what)
{
    pc_rtype_t rt = e->family == 4 ? PC_RT_A : PC_RT_AAAA;

    pc_spf_begin_op(e, op);
    if (n > 0)
        pc_spf_note_wait(e, rt, &names[0], what);
    for (unsigned i = 0; i < n && !e->done; i++)
        pc_spf_lookup(e, i, &names[i], rt);
}

/* Apply the §4.6.4 void-lookup limit after a mechanism's first query. */
static int check_void(pc_spf_eval_t *e)
{
    char ref[PC_SPF_TEXT_OUT];

    if (!e->is_void)
        return 0;
    if (++e->out.voids > PC_SPF_VOIDS_MAX) {
        pc_spf_fail(e, PC_SPF_PERMERROR, "%s: more than %d void lookups (RFC 7208 §4.6.4)",
                    pc_spf_term_ref(e, spf_cur_term(e), ref, sizeof(ref)), PC_SPF_VOIDS_MAX);
        return -1;
    }
    return 0;
}

/* Every lookup of the current step has answered. */
void pc_spf_op_done(pc_spf_eval_t *e)
{
    op_t op = e->op;
    char ref[PC_SPF_TEXT_OUT];

    e->op = OP_NONE;
    switch (op) {
    case OP_RECORD:
        pc_spf_record_done(e);
        return;
    case OP_ADDR:
    case OP_EXISTS:
        if (check_void(e) != 0)
            return;
        if (e->any_error) {
            pc_spf_fail(e, PC_SPF_TEMPERROR, "%s: DNS failure: %s",
                        pc_spf_term_ref(e, spf_cur_term(e), ref, sizeof(ref)), e->dns_why);
            return;
        }
        e->tres = e->any_match ? TR_MATCH : TR_NOMATCH;
        return;
    case OP_MX:
        if (check_void(e) != 0)
            return;
        if (e->any_error) {
            pc_spf_fail(e, PC_SPF_TEMPERROR, "%s: DNS failure: %s",
                        pc_spf_term_ref(e, spf_cur_term(e), ref, sizeof(ref)), e->dns_why);
            return;
        }
        if (e->too_many) {
            pc_spf_fail(e, PC_SPF_PERMERROR, "%s: more than %d MX records (RFC 7208 §4.6.4)",
                        pc_spf_term_ref(e, spf_cur_term(e), ref, sizeof(ref)), PC_SPF_NAMES_MAX);
            return;
        }
        if (e->nnames == 0) {
            e->tres = TR_NOMATCH;
            return;
        }
        start_batch(e, OP_MX_ADDR, e->names, e->nnames,
                    pc_spf_term_ref(e, spf_cur_term(e), ref, sizeof(ref)));
        return;
    case OP_MX_ADDR:
        /* a match wins; otherwise a failed exchange lookup is a temperror */
        if (!e->any_match && e->any_error) {
            pc_spf_fail(e, PC_SPF_TEMPERROR, "%s: DNS failure looking up an exchange: %s",
                        pc_spf_term_ref(e, spf_cur_term(e), ref, sizeof(ref)), e->dns_why);
            return;
        }
        e->tres = e->any_match ? TR_MATCH : TR_NOMATCH;
        return;
    case OP_PTR: {
        /* §5.5: a PTR failure is no match; only names ending in the target
         * need validating, at most the first 10 */
        unsigned n = 0;
        if (check_void(e) != 0)
            return;
        for (unsigned i = 0; i < e->nnames; i++) {
            if (pc_name_is_below(&e->names[i], &e->target))
                e->names[n++] = e->names[i];
        }
        e->nnames = n;
        if (n == 0) {
            e->tres = TR_NOMATCH;
            return;
        }
        start_batch(e, OP_PTR_ADDR, e->names, n,
                    pc_spf_term_ref(e, spf_cur_term(e), ref, sizeof(ref)));
        return;
    }
    case OP_PTR_ADDR:
        e->tres = e->any_match ? TR_MATCH : TR_NOMATCH;
        return;
    case OP_P_PTR:
        if (e->p_n == 0) {
            e->p_state = 2;
            return;
        }
        memset(e->p_valid, 0, sizeof(e->p_valid));
        start_batch(e, OP_P_ADDR, e->p_names, e->p_n, "%{p}");
        return;
    case OP_P_ADDR:
        e->p_state = 2; /* the term is evaluated again, now with %{p} known */
        return;
    case OP_EXP_TXT:
        return; /* spf_exp.c takes the text, or drops the explanation */
    default:
        return;
    }
}

void pc_spf_cancel_slots(pc_spf_eval_t *e)
{
    for (unsigned i = 0; i < SLOTS; i++) {
        if (e->slots[i].busy) {
            pc_lookup_cancel(e->env.lookups, e->slots[i].w);
            e->slots[i].busy = 0;
            e->slots[i].w = NULL;
        }
    }
    e->pending = 0;
}
