/*
 * spf_eval_impl.h - the insides of one SPF evaluation, shared by its two
 * halves: the state machine (spf_eval.c: frames, terms, results) and its
 * lookups (spf_query.c: the lookups in flight and what each answer
 * contributes). Private to those two files.
 */
#ifndef PC_SPF_EVAL_IMPL_H
#define PC_SPF_EVAL_IMPL_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spf.h"
#include "spf_eval.h"
#include "spf_expand.h"
#include "spf_mech.h"

#define FRAMES_MAX (PC_SPF_LOOKUPS_MAX + 2) /* each include costs a lookup */
#define SLOTS PC_SPF_NAMES_MAX              /* lookups in flight at once */
#define SENDER_MAX (2 * PC_SPF_TEXT_OUT + 16)

typedef enum frame_kind { FR_TOP, FR_INCLUDE, FR_REDIRECT } frame_kind_t;

/* One check_host() invocation: the checked domain, an include or a redirect. */
typedef struct frame {
    pc_spf_record_t *rec;        /* NULL until fetched */
    char domain[PC_SPF_EXPAND_MIN]; /* <domain>, no trailing dot */
    pc_name_t dname;
    unsigned next;               /* next term to evaluate */
    int redirecting;             /* next is the redirect= being evaluated */
    frame_kind_t kind;
    const char *via;             /* "include:x" / "redirect=x" of the parent, for reasons */
    char via_buf[PC_SPF_TEXT_OUT + 1];
} frame_t;

/* What the lookups in flight are for. */
typedef enum op {
    OP_NONE,
    OP_RECORD,   /* the SPF record of the top frame */
    OP_ADDR,     /* "a": A or AAAA of the target */
    OP_EXISTS,   /* "exists": A of the target */
    OP_MX,       /* "mx": MX of the target */
    OP_MX_ADDR,  /* "mx": addresses of the exchanges */
    OP_PTR,      /* "ptr": PTR of <ip> */
    OP_PTR_ADDR, /* "ptr": addresses of the candidate names */
    OP_P_PTR,    /* %{p}: PTR of <ip> */
    OP_P_ADDR,   /* %{p}: addresses of the names */
    OP_EXP_TXT   /* exp=: the TXT of the explanation (§6.2) */
} op_t;

/* The explanation phase, after a fail (spf_exp.c). */
typedef enum exp_step {
    EXP_NONE, /* not begun */
    EXP_NAME, /* expanding the exp= domain-spec (%{p} first if it needs it) */
    EXP_TEXT, /* the TXT is in exp_text: check and expand it */
    EXP_DONE  /* over, with or without an explanation */
} exp_step_t;

#define EXP_TEXT_MAX 512 /* octets of a plain TXT record the cache keeps */

typedef enum term_res { TR_NONE, TR_MATCH, TR_NOMATCH } term_res_t;

typedef struct slot {
    pc_spf_eval_t *e;
    pc_waiter_t *w;
    unsigned idx;
    int busy;
} slot_t;

struct pc_spf_eval {
    pc_spf_env_t env;
    pc_spf_cb cb;
    void *arg;
    uv_timer_t timer;
    pc_spf_outcome_t out;
    /* the inputs, normalised */
    uint8_t ip[16];
    int family;
    size_t alen;
    char sender[SENDER_MAX];
    size_t sender_len, local_len, sdomain_off, sdomain_len;
    char helo[PC_SPF_TEXT_OUT + 1];
    size_t helo_len;
    unsigned flags;
    /* the machine */
    frame_t frames[FRAMES_MAX];
    unsigned depth;
    op_t op;
    slot_t slots[SLOTS];
    unsigned pending;
    int counted;         /* the current term's lookup is counted */
    term_res_t tres;     /* result of the current mechanism */
    int driving, done, finished;
    char wait[PC_SPF_TEXT_OUT + 1]; /* what the lookups in flight are, for the time limit */
    /* the current mechanism */
    pc_name_t target;
    unsigned bits;
    pc_name_t names[SLOTS];
    unsigned nnames;
    int any_match, any_error, is_void, too_many;
    pc_outcome_t rec_outcome;
    char dns_why[PC_SPF_TEXT_OUT + 1];
    /* %{p}: 0 not asked, 1 resolving, 2 known */
    int p_state;
    pc_name_t p_names[SLOTS];
    int p_valid[SLOTS];
    unsigned p_n;
    /* the answers used */
    int any_lookup, any_miss, seen_bogus, seen_insecure, seen_secure;
    uint32_t ttl_least;  /* least freshness left among them (0 for a failed,
                            bogus or stale one); UINT32_MAX before the first */
    int no_reuse;        /* the outcome may differ on the same cached data:
                            its ttl is 0 (pc_spf_outcome_t.ttl) */
    /* the explanation (spf_exp.c) and the headers */
    char receiver[PC_SPF_RECEIVER_MAX + 1];
    size_t receiver_len;
    int null_sender;     /* MAIL FROM was "" */
    exp_step_t exp;
    int exp_found;       /* OP_EXP_TXT gave exactly one record */
    char exp_text[EXP_TEXT_MAX + 1];
    size_t exp_len;
};

/* ---- small helpers ---- */

/* snprintf that cuts long texts quietly (reasons are cut to their field). */
__attribute__((format(printf, 3, 4))) static inline void spf_printf(char *buf, size_t cap,
                                                         const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, cap, fmt, ap);
    va_end(ap);
}

static inline void spf_copy_text(char *dst, const char *src, size_t n)
{
    if (n > PC_SPF_TEXT_OUT)
        n = PC_SPF_TEXT_OUT;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static inline frame_t *spf_top(pc_spf_eval_t *e)
{
    return &e->frames[e->depth - 1];
}

static inline const pc_spf_term_t *spf_cur_term(pc_spf_eval_t *e)
{
    frame_t *f = spf_top(e);
    return &f->rec->terms[f->next];
}

static inline void spf_free_frame(frame_t *f)
{
    free(f->rec);
    f->rec = NULL;
}

/* ---- the state machine (spf_eval.c) ---- */

/* End the evaluation with an error result; why names the cause. Lookups in
 * flight are detached. */
__attribute__((format(printf, 3, 4))) void pc_spf_fail(pc_spf_eval_t *e, pc_spf_result_t r,
                                                       const char *fmt, ...);
/* "'a:x.org' in the SPF record of y.org": names a term of the top frame. */
const char *pc_spf_term_ref(pc_spf_eval_t *e, const pc_spf_term_t *t, char *buf, size_t cap);
/* Run the machine until it waits for DNS or ends (re-entry is a no-op). */
void pc_spf_drive(pc_spf_eval_t *e);
/* The macro values of frame f (ptext/pcap hold a resolved %{p}). */
void pc_spf_macro_env(pc_spf_eval_t *e, const frame_t *f, pc_spf_macro_env_t *m, char *ptext,
                      size_t pcap);
/* Start resolving %{p} (PTR, then the names' addresses); counts nothing. */
void pc_spf_p_start(pc_spf_eval_t *e);
/* The SPF record of the top frame has been looked up (op OP_RECORD). */
void pc_spf_record_done(pc_spf_eval_t *e);

/* ---- the lookups (spf_query.c) ---- */

/* Set the current step to op and clear what the previous one collected. */
void pc_spf_begin_op(pc_spf_eval_t *e, op_t op);
/* Describe the lookups about to start, for the time-limit message. */
void pc_spf_note_wait(pc_spf_eval_t *e, pc_rtype_t rt, const pc_name_t *name, const char *what);
/* Start one lookup in slot idx; on failure the evaluation ends in temperror
 * and the error is returned. The answer may arrive before this returns. */
int pc_spf_lookup(pc_spf_eval_t *e, unsigned idx, const pc_name_t *name, pc_rtype_t rt);
/* Every lookup of the current step has answered: conclude the step. */
void pc_spf_op_done(pc_spf_eval_t *e);
/* Detach every lookup in flight. */
void pc_spf_cancel_slots(pc_spf_eval_t *e);

/* ---- the explanation (spf_exp.c) ---- */

/* The check has its result: start explaining a fail that has an exp=
 * (env.explain). Returns 1 when the explanation phase began (the machine
 * runs on), 0 when there is nothing to explain. */
int pc_spf_exp_begin(pc_spf_eval_t *e);
/* One step of the explanation phase when no lookup is in flight. */
void pc_spf_exp_advance(pc_spf_eval_t *e);
/* Anything about exp= failed: no explanation, the result stands (§6.2). */
void pc_spf_exp_drop(pc_spf_eval_t *e);

#endif /* PC_SPF_EVAL_IMPL_H */
