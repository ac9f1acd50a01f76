/*
 * polcache/types.h - enumerations shared by the daemon, the client library
 * and the wire protocol. Their numeric values travel on the wire
 * (docs/PROTOCOL.md) and are stored in the cache, so they are stable.
 */
#ifndef POLCACHE_TYPES_H
#define POLCACHE_TYPES_H

#ifdef __cplusplus
extern "C" {
#endif

/* What a lookup found. */
typedef enum pc_outcome {
    PC_OUTCOME_UNSET = 0,
    PC_OUTCOME_FOUND = 1,     /* a usable record was found */
    PC_OUTCOME_NORECORD = 2,  /* the name exists but holds no such record
                                 (NODATA, or no TXT string that qualifies) */
    PC_OUTCOME_NXDOMAIN = 3,  /* the queried name does not exist */
    PC_OUTCOME_TEMPFAIL = 4,  /* DNS failure, timeout or bogus: try later;
                                 never a verdict */
    PC_OUTCOME_PERMERROR = 5  /* the record exists but is unusable, e.g. two
                                 v=spf1 records or a syntax error */
} pc_outcome_t;
#define PC_OUTCOME_MAX_ 5

/*
 * The DNSSEC state of the answer the result rests on, as libunbound reports
 * it. There is no "indeterminate": libunbound knows only these three, plus
 * the case where no answer was obtained at all.
 */
typedef enum pc_dnssec {
    PC_DNSSEC_NONE = 0,     /* no DNS answer was obtained (timeout, SERVFAIL,
                               not applicable): nothing is claimed */
    PC_DNSSEC_INSECURE = 1, /* answered, but no chain of trust covers it
                               (e.g. an unsigned delegation); it may be
                               forged on the path */
    PC_DNSSEC_SECURE = 2,   /* validated from the trust anchor down */
    PC_DNSSEC_BOGUS = 3     /* validation failed; the data was discarded and
                               the outcome is always PC_OUTCOME_TEMPFAIL */
} pc_dnssec_t;
#define PC_DNSSEC_MAX_ 3

/* Where the answer came from. */
typedef enum pc_cache_state {
    PC_CACHE_NONE = 0,  /* not applicable (ping, stats, errors) */
    PC_CACHE_MISS = 1,  /* resolved upstream for this request */
    PC_CACHE_HIT = 2,   /* served from the cache within its TTL */
    PC_CACHE_STALE = 3  /* served past its TTL because upstream failed
                           (RFC 8767) */
} pc_cache_state_t;
#define PC_CACHE_MAX_ 3

/* The kinds of answer the cache holds. */
typedef enum pc_rtype {
    PC_RT_NONE = 0,
    PC_RT_DMARC = 1, /* TXT at _dmarc.<domain>, DMARC selection applied */
    PC_RT_SPF = 2,   /* TXT at <domain>, SPF selection applied */
    PC_RT_DKIM = 3,  /* TXT at <selector>._domainkey.<domain> */
    PC_RT_A = 4,
    PC_RT_AAAA = 5,
    PC_RT_MX = 6,
    PC_RT_PTR = 7,
    PC_RT_TXT = 8    /* plain TXT, e.g. SPF exp= */
} pc_rtype_t;
#define PC_RT_MAX_ 8

/* SPF results (RFC 7208 §2.6). */
typedef enum pc_spf_result {
    PC_SPF_UNSET = 0,
    PC_SPF_NONE = 1,
    PC_SPF_NEUTRAL = 2,
    PC_SPF_PASS = 3,
    PC_SPF_FAIL = 4,
    PC_SPF_SOFTFAIL = 5,
    PC_SPF_TEMPERROR = 6,
    PC_SPF_PERMERROR = 7
} pc_spf_result_t;
#define PC_SPF_MAX_ 7

/* DKIM verification results as a filter reports them (RFC 8601 §2.7.1). */
typedef enum pc_dkim_result {
    PC_DKIM_UNSET = 0,
    PC_DKIM_NONE = 1,
    PC_DKIM_PASS = 2,
    PC_DKIM_FAIL = 3,
    PC_DKIM_POLICY = 4,
    PC_DKIM_NEUTRAL = 5,
    PC_DKIM_TEMPERROR = 6,
    PC_DKIM_PERMERROR = 7
} pc_dkim_result_t;
#define PC_DKIM_MAX_ 7

/* DMARC evaluation results (RFC 9989 §4.3, RFC 8601). */
typedef enum pc_dmarc_result {
    PC_DMARC_R_UNSET = 0,
    PC_DMARC_R_NONE = 1,      /* no DMARC policy applies */
    PC_DMARC_R_PASS = 2,
    PC_DMARC_R_FAIL = 3,
    PC_DMARC_R_TEMPERROR = 4, /* a temporary failure on the path: defer */
    PC_DMARC_R_PERMERROR = 5  /* the policy record is unusable */
} pc_dmarc_result_t;
#define PC_DMARC_R_MAX_ 5

#ifdef __cplusplus
}
#endif

#endif /* POLCACHE_TYPES_H */
