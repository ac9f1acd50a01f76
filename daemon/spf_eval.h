/*
 * spf_eval.h - SPF check_host() (RFC 7208) on the daemon loop: one
 * asynchronous state machine per request. Every DNS answer it needs (the
 * SPF TXT records, and the A, AAAA, MX and PTR answers of the mechanisms)
 * comes through the lookup engine, so it is cached in LMDB with its TTL,
 * coalesced with identical lookups in flight, and a warm cache answers
 * with no network traffic. Nothing blocks; many evaluations run at once,
 * each bounded by the §4.6.4 limits and an overall time limit.
 * docs/SPF.md describes the decisions.
 */
#ifndef PC_SPF_EVAL_H
#define PC_SPF_EVAL_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "lookup.h"
#include "polcache/types.h"
#include "spf_header.h"

#define PC_SPF_LOOKUPS_MAX 10   /* DNS-querying terms per check (§4.6.4) */
#define PC_SPF_VOIDS_MAX 2      /* void lookups per check (§4.6.4) */
#define PC_SPF_TIME_LIMIT_DEFAULT 20000 /* ms; §4.6.4 asks for at least 20 s */
#define PC_SPF_TEXT_OUT 1024    /* octets kept of a term, domain or reason */
#define PC_SPF_RECEIVER_MAX 253 /* octets of the receiver name (%{r}) */

/* Which identity is checked (RFC 7208 §2.3, §2.4). Wire values. */
typedef enum pc_spf_scope {
    PC_SPF_SCOPE_MAILFROM = 1, /* MAIL FROM, or postmaster@HELO for "<>" */
    PC_SPF_SCOPE_HELO = 2      /* the HELO identity alone */
} pc_spf_scope_t;

/* What to check. Strings are borrowed for the pc_spf_check_start call only. */
typedef struct pc_spf_input {
    uint8_t ip[16];        /* <ip>; IPv4 in ip[0..4) */
    int family;            /* 4 or 6; an IPv4-mapped IPv6 address must be
                              passed as IPv4 (§5: it "MUST be considered
                              an IPv4 address") */
    const char *mailfrom;  /* the MAIL FROM address, or NULL for a HELO
                              check; "" is the null reverse-path */
    size_t mailfrom_len;
    const char *helo;      /* HELO/EHLO name, or NULL when unknown */
    size_t helo_len;
    unsigned flags;        /* PC_LOOKUP_NOCACHE / PC_LOOKUP_NOSTALE */
} pc_spf_input_t;

/* The settings of the evaluator; the caller keeps them alive. */
typedef struct pc_spf_env {
    uv_loop_t *loop;
    pc_lookups_t *lookups;
    unsigned time_limit_ms;   /* whole evaluation; 0 = PC_SPF_TIME_LIMIT_DEFAULT */
    pc_clock_fn clock;        /* %{t}; NULL = wall clock */
    void *clock_arg;
    const char *receiver;     /* the checking host: %{r} in explanations and
                                 the headers' receiver; copied at start (cut to
                                 PC_SPF_RECEIVER_MAX); NULL = "unknown" */
    int explain;              /* on fail, look up the exp= explanation (§6.2) */
    int headers;              /* fill auth_results and received_spf */
    uint32_t ttl_max;         /* the outcome's ttl when the check made no DNS
                                 lookup: the cache's positive TTL ceiling
                                 (pc_lookup_conf_t.ttl_max); 0 gives 0 */
} pc_spf_env_t;

/*
 * The result. Text fields are NUL-terminated, cut to PC_SPF_TEXT_OUT.
 * matched is the term that decided the result, as written (e.g.
 * "-all", "include:_spf.example.org"), found in the record of
 * term_domain; both are "" when the result is a default (neutral when no
 * term matched, none, or an error). why is set for none, temperror and
 * permerror and names the term or lookup that caused it.
 */
typedef struct pc_spf_outcome {
    pc_spf_result_t result;
    pc_spf_scope_t scope;
    char domain[PC_SPF_TEXT_OUT + 1];      /* the <domain> checked */
    char matched[PC_SPF_TEXT_OUT + 1];
    char term_domain[PC_SPF_TEXT_OUT + 1];
    char why[PC_SPF_TEXT_OUT + 1];
    unsigned lookups;        /* DNS-querying terms evaluated, %{p} included */
    unsigned voids;          /* void lookups (NODATA or NXDOMAIN) */
    pc_cache_state_t cache;  /* HIT if every answer came from the cache,
                                MISS if any went upstream, NONE if no lookup */
    pc_dnssec_t dnssec;      /* the answers the check obtained, the exp=
                                and %{p} lookups included: BOGUS if any was
                                bogus (its data is never used, even where a
                                DNS error only means "no match"), else
                                INSECURE if any was insecure, else SECURE;
                                NONE when no answer was obtained */
    /* For explanations (§6.2): on a fail, the exp= domain-spec of the
     * record that produced it and the <domain> to expand it with; "" when
     * that record has no exp=. */
    char exp_spec[PC_SPF_TEXT_OUT + 1];
    char exp_domain[PC_SPF_TEXT_OUT + 1];
    /* With env.explain: the explanation of a fail (§6.2), macro-expanded,
     * cut to PC_SPF_TEXT_OUT octets; "" when none applies or anything
     * about it failed (no TXT, several, a DNS error, a syntax error). */
    char explanation[PC_SPF_TEXT_OUT + 1];
    /* With env.headers: the Authentication-Results fragment and the
     * Received-SPF value (proto/spf_header.h); "" otherwise. */
    char auth_results[PC_SPF_AR_MAX];
    char received_spf[PC_SPF_RECEIVED_MAX];
    /* Seconds the same question keeps this outcome (docs/PROTOCOL.md, the
     * SPF check reply): the least freshness left among every DNS answer
     * the check obtained (the exp= and %{p} lookups included; NXDOMAIN and
     * NODATA with their negative TTL); env.ttl_max when it made no lookup;
     * 0 for temperror, when an answer was a DNS failure, bogus or stale,
     * when a lookup could not start or the time limit struck, and when the
     * explanation expanded %{t}. */
    uint32_t ttl;
} pc_spf_outcome_t;

typedef struct pc_spf_eval pc_spf_eval_t;

/* Called once per evaluation that was not cancelled; o is valid during
 * the call only. */
typedef void (*pc_spf_cb)(void *arg, const pc_spf_outcome_t *o);

/*
 * pc_spf_check_start - evaluate check_host() for in.
 * A result reached at once (bad input giving none, or every answer from
 * the cache) calls cb before returning and sets *out to NULL. Otherwise
 * *out identifies the evaluation for pc_spf_check_cancel and cb is called
 * exactly once later, on the loop thread. Either way the evaluation's
 * memory is released by the loop after cb returns. With env->explain a
 * fail waits for its explanation (§6.2) before cb; the time limit, if it
 * strikes then, drops the explanation and keeps the fail.
 * Returns 0, or PC_EINVAL (NULL arguments, family not 4 or 6, neither
 * mailfrom nor helo) or PC_ENOMEM; on error cb is never called.
 */
int pc_spf_check_start(const pc_spf_env_t *env, const pc_spf_input_t *in, pc_spf_cb cb,
                       void *arg, pc_spf_eval_t **out);

/* Stop an evaluation: its lookups are detached (they still fill the
 * cache) and cb is never called. */
void pc_spf_check_cancel(pc_spf_eval_t *e);

/* "none", "neutral", "pass", "fail", "softfail", "temperror",
 * "permerror"; "?" for other values. Static string. */
const char *pc_spf_result_name(pc_spf_result_t r);

#endif /* PC_SPF_EVAL_H */
