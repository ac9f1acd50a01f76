/*
 * spf_exp.c - the explanation of a fail (RFC 7208 §6.2): after the result,
 * the exp= domain-spec of the record that produced it is expanded, its TXT
 * looked up through the lookup engine (PC_RT_TXT, so it is cached like
 * every other answer), and the one record found is expanded as an
 * explain-string with the letters c, r and t. If anything about it fails
 * (no TXT, several, a DNS error, a syntax error, a name that cannot be
 * queried) the explanation is quietly dropped and the fail stands. These
 * lookups count neither as DNS-querying terms nor as void lookups
 * (§4.6.4); a %{p} they need is resolved here, uncounted, if the
 * evaluation has not resolved it already. An explanation that expands
 * %{t} makes the outcome one not to reuse (ttl 0).
 */
#include "polcache/error.h"
#include "spf_eval_impl.h"
#include "wire.h"

int pc_spf_exp_begin(pc_spf_eval_t *e)
{
    if (!e->env.explain || e->exp != EXP_NONE || e->out.result != PC_SPF_FAIL ||
        e->out.exp_spec[0] == '\0') {
        e->exp = EXP_DONE;
        return 0;
    }
    e->exp = EXP_NAME;
    e->done = 0;
    return 1;
}

void pc_spf_exp_drop(pc_spf_eval_t *e)
{
    pc_spf_cancel_slots(e);
    e->op = OP_NONE;
    e->out.explanation[0] = '\0';
    e->exp = EXP_DONE;
    e->done = 1;
}

/* Does s[0..n) (an explain-string if flags say so) need %{p} not yet known?
 * Then start resolving it and return 1. A syntax error drops the
 * explanation and returns -1. */
static int need_p(pc_spf_eval_t *e, const char *s, size_t n, unsigned flags)
{
    int uses_p = 0;

    if (pc_spf_macro_check(s, n, flags, &uses_p, NULL) != 0) {
        pc_spf_exp_drop(e);
        return -1;
    }
    if (!uses_p || e->p_state == 2)
        return 0;
    pc_spf_p_start(e);
    return 1;
}

/* Expand the exp= domain-spec and look up its TXT. */
static void exp_name(pc_spf_eval_t *e)
{
    frame_t *f = &e->frames[0]; /* the frame that returned the fail */
    const char *spec = e->out.exp_spec;
    size_t len = strlen(spec), n;
    char text[PC_SPF_EXPAND_MIN], ptext[PC_NAME_TEXT_MAX];
    pc_spf_macro_env_t m;
    pc_name_t target;

    if (need_p(e, spec, len, 0) != 0)
        return;
    pc_spf_macro_env(e, f, &m, ptext, sizeof(ptext));
    if (pc_spf_expand(spec, len, PC_SPF_EXPAND_DOMAIN, &m, text, sizeof(text), &n, NULL) != 0 ||
        pc_spf_target_name(text, n, &target) != 0) {
        pc_spf_exp_drop(e);
        return;
    }
    e->exp = EXP_TEXT;
    e->exp_found = 0;
    pc_spf_begin_op(e, OP_EXP_TXT);
    pc_spf_note_wait(e, PC_RT_TXT, &target, "exp=");
    pc_spf_lookup(e, 0, &target, PC_RT_TXT);
}

/* Does the explain-string s[0..n) hold a %{t} macro (the time of the check)? */
static int uses_time(const char *s, size_t n)
{
    pc_spf_macro_iter_t it;
    pc_spf_mtok_t tok;

    if (pc_spf_macro_init(&it, s, n, PC_SPF_MACRO_EXPLAIN) != 0)
        return 0;
    while (pc_spf_macro_next(&it, &tok, NULL) == 1) {
        if (tok.kind == PC_SPF_MTOK_MACRO && tok.letter == 't')
            return 1;
    }
    return 0;
}

/* Expand the one TXT record found as an explain-string (§6.2). */
static void exp_text(pc_spf_eval_t *e)
{
    frame_t *f = &e->frames[0];
    char ptext[PC_NAME_TEXT_MAX];
    pc_spf_macro_env_t m;
    size_t n;
    int rc;

    if (!e->exp_found) {
        pc_spf_exp_drop(e);
        return;
    }
    if (need_p(e, e->exp_text, e->exp_len, PC_SPF_MACRO_EXPLAIN) != 0)
        return;
    pc_spf_macro_env(e, f, &m, ptext, sizeof(ptext));
    rc = pc_spf_expand(e->exp_text, e->exp_len, PC_SPF_EXPAND_EXPLAIN, &m, e->out.explanation,
                       sizeof(e->out.explanation), &n, NULL);
    if (rc != 0 && rc != PC_ETOOBIG) { /* too long: the cut text is kept */
        pc_spf_exp_drop(e);
        return;
    }
    if (uses_time(e->exp_text, e->exp_len))
        e->no_reuse = 1; /* a timestamp: the same question explains otherwise */
    e->exp = EXP_DONE;
    e->done = 1;
}

void pc_spf_exp_advance(pc_spf_eval_t *e)
{
    if (e->exp == EXP_NAME)
        exp_name(e);
    else if (e->exp == EXP_TEXT)
        exp_text(e);
    else
        e->done = 1;
}
