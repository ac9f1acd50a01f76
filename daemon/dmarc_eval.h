/*
 * dmarc_eval.h - DMARC evaluation of one message (RFC 9989, and RFC 7489
 * in PSL mode): policy discovery for the From domain, SPF (given, or run
 * here), identifier alignment (strict: exact; relaxed: organizational
 * domains, each found with its own bounded discovery), the policy that
 * applies (p, sp or np), t= and pct=, and an Authentication-Results
 * fragment. Asynchronous on the daemon loop; docs/DMARC.md explains it.
 */
#ifndef PC_DMARC_EVAL_H
#define PC_DMARC_EVAL_H

#include <stddef.h>
#include <stdint.h>

#include "discover.h"
#include "spf_eval.h"
#include "wire.h"

#define PC_DMARC_IDS_MAX (PC_DKIM_MAX + 1) /* identifiers: SPF + DKIM */
#define PC_DMARC_QUERY_CAP 64  /* _dmarc and existence queries per evaluation */
#define PC_DMARC_TEXT 256

/* One DKIM result as the filter reports it. */
typedef struct pc_dmarc_dkim_in {
    pc_name_t d;
    char s[PC_DMARC_TEXT];
    pc_dkim_result_t result;
} pc_dmarc_dkim_in_t;

typedef struct pc_dmarc_input {
    pc_name_t from;                 /* RFC 5322.From domain */
    int run_spf;                    /* 1: run SPF with spf_in; 0: use given */
    pc_spf_input_t spf_in;          /* borrowed until pc_dmarc_eval_start returns */
    pc_spf_result_t spf_result;     /* given SPF result */
    pc_name_t spf_domain;           /* given: the domain it is for */
    pc_spf_scope_t spf_scope;       /* given: mailfrom or helo */
    unsigned ndkim;
    pc_dmarc_dkim_in_t dkim[PC_DKIM_MAX];
    int pct_roll;                   /* 0..99 to use instead of a random draw
                                       for pct= sampling; -1 = draw */
    unsigned flags;                 /* PC_LOOKUP_* */
} pc_dmarc_input_t;

/* Alignment of one identifier. */
typedef struct pc_dmarc_ident {
    int kind;                       /* 1 SPF, 2 DKIM */
    char domain[PC_NAME_TEXT_MAX];
    char selector[PC_DMARC_TEXT];   /* DKIM s=, "" for SPF */
    int result;                     /* pc_spf_result_t or pc_dkim_result_t */
    int passed;                     /* the identifier authenticated */
    int aligned;                    /* passed and aligned with From */
    char org[PC_NAME_TEXT_MAX];     /* its organizational domain, if walked */
    char mode;                      /* 's' strict or 'r' relaxed */
} pc_dmarc_ident_t;

typedef struct pc_dmarc_verdict {
    pc_dmarc_result_t result;
    char why[PC_NAME_TEXT_MAX + 96]; /* for temperror, permerror, none */
    char policy_tag[4];             /* "p", "sp" or "np"; "" without policy */
    char policy[16];                /* the published policy that applies */
    char disposition[16];           /* what the policy asks for this message:
                                       "none" on pass, else the policy */
    char recommended[16];           /* after t=y and pct: what to do */
    int testing;                    /* t=y */
    unsigned pct;                   /* pct= (RFC 7489 mode only), 100 */
    int sampled_out;                /* RFC 7489: pct sampling lowered it */
    unsigned nalign;
    pc_dmarc_ident_t align[PC_DMARC_IDS_MAX];
    char from[PC_NAME_TEXT_MAX];
    char org_domain[PC_NAME_TEXT_MAX];
    char policy_domain[PC_NAME_TEXT_MAX];
    pc_disc_method_t method;
    char rua[PC_DMARC_TEXT * 2];
    char ruf[PC_DMARC_TEXT * 2];
    pc_dnssec_t dnssec;             /* of the policy record */
    char ar[PC_NAME_TEXT_MAX + 160]; /* Authentication-Results fragment */
    int spf_ran;                    /* SPF was run here: spf holds it */
    pc_spf_outcome_t spf;
    unsigned queries;
    uint32_t ttl;                   /* seconds the same question keeps this
                                       verdict: the least freshness left among
                                       the answers of every discovery (the
                                       From domain's, its existence check, the
                                       identifiers' organizational domains)
                                       and of the SPF check run here;
                                       env.spf.ttl_max when none was needed;
                                       0 for temperror, after a random pct=
                                       draw, and when an answer was a DNS
                                       failure, bogus or stale */
} pc_dmarc_verdict_t;

typedef void (*pc_dmarc_cb)(void *arg, const pc_dmarc_verdict_t *v);

typedef struct pc_dmarc_eval pc_dmarc_eval_t;

typedef struct pc_dmarc_env {
    pc_discover_env_t disc;         /* lookups, method, PSL */
    pc_spf_env_t spf;               /* its ttl_max is also the verdict's ttl
                                       when no DNS answer was needed */
    unsigned (*rand100)(void *arg); /* 0..99 for pct; NULL = random() */
    void *rand_arg;
} pc_dmarc_env_t;

/*
 * pc_dmarc_eval_start - evaluate. The callback may run before this
 * returns (*h is then NULL). Returns 0, PC_EINVAL, PC_ENOMEM; on error cb
 * never fires.
 */
int pc_dmarc_eval_start(const pc_dmarc_env_t *env, const pc_dmarc_input_t *in,
                        pc_dmarc_cb cb, void *arg, pc_dmarc_eval_t **h);
void pc_dmarc_eval_cancel(pc_dmarc_eval_t *h);

const char *pc_dmarc_result_name(pc_dmarc_result_t r);

#endif /* PC_DMARC_EVAL_H */
