/*
 * polcache.h - libpolcache, the client library of polcached.
 *
 * A mail filter links libpolcache instead of doing DNS itself: it asks the
 * local polcached daemon for the DMARC policy that applies to a domain (or
 * the record at one name), the SPF record, a DKIM key, and gets a
 * validated, cached answer with its DNSSEC state. Link with
 * `pkg-config --cflags --libs polcache`; examples/dmarc_policy.c is a
 * complete small filter.
 *
 * Contexts and threads
 *   A pc_client_t is one connection to polcached (opened lazily, reopened
 *   after the daemon restarts). One context is safe to share between any
 *   number of threads: the requests of all threads are multiplexed over
 *   the one connection, matched by request id, under an internal lock. So
 *   a libmilter filter creates one context at start-up and uses it from
 *   every connection thread.
 *
 *   The library starts no thread. The socket is read by the calling
 *   threads themselves: a thread waiting in a blocking call reads replies
 *   for every waiting thread (one reader at a time; the others sleep until
 *   their reply is handed to them), and pc_client_process() reads it in
 *   the thread of the caller's event loop. Non-blocking callbacks run only
 *   inside pc_client_process(), in the thread that calls it, never in a
 *   thread that is waiting in a blocking call.
 *
 * Errors
 *   A function that can fail returns 0 (or the count or descriptor it
 *   states) or a negative PC_E* code from polcache/error.h (pc_strerror()
 *   gives the text). An error means that no answer was obtained. PC_EUNAVAIL (daemon not running or gone),
 *   PC_EBUSY (daemon or this context overloaded), PC_ETIMEDOUT and
 *   PC_ECANCELED are the usual ones, and a result whose outcome is
 *   PC_OUTCOME_TEMPFAIL is the same thing said by the daemon: a filter
 *   maps all of them to a temporary failure (SMTP 4xx, milter TEMPFAIL),
 *   never to a verdict. Argument errors (PC_EINVAL, PC_ETOOBIG, PC_ENAME,
 *   PC_ENAMELEN, PC_EIDNA) mean that the name itself is unusable.
 *
 * Daemon down or restarting
 *   A call made while polcached is not running returns PC_EUNAVAIL at once
 *   (well within its timeout); requests in flight when the daemon goes away
 *   complete with PC_EUNAVAIL; the next call connects again by itself.
 *
 * fork()
 *   A child process never shares its parent's connection. After fork() the
 *   child's first call on an inherited context opens a connection of its
 *   own; the requests the parent had in flight are dropped in the child
 *   without their callbacks (they complete in the parent). The descriptor
 *   of pc_client_fd() keeps its number in the child, but a child that uses
 *   the non-blocking API must register it again in its own event loop.
 */
#ifndef POLCACHE_H
#define POLCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "polcache/error.h"
#include "polcache/export.h"
#include "polcache/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- context */

/* An opaque client context. */
typedef struct pc_client pc_client_t;

/* Default timeout of a call that passes timeout_ms 0, in milliseconds. */
#define PC_CLIENT_TIMEOUT_DEFAULT 5000u
/* Default bounds of one context (pc_client_set_limits). */
#define PC_CLIENT_MAX_INFLIGHT_DEFAULT 1000u
#define PC_CLIENT_MAX_QUEUED_DEFAULT (1024u * 1024u)

/*
 * pc_client_create - make a context for the daemon listening at
 * socket_path. socket_path NULL means the default: $POLCACHE_SOCKET if set
 * and not empty, else /run/polcache/polcached.sock for root and
 * $XDG_RUNTIME_DIR/polcache/polcached.sock (fallback
 * /tmp/polcache-<uid>/polcached.sock) for other users, the daemon's own
 * rule. The path is copied. No connection is made yet, so this succeeds
 * while the daemon is down.
 * Returns 0 and sets *out (free it with pc_client_destroy), or PC_EINVAL
 * (out NULL), PC_ETOOBIG (path longer than a Unix socket address holds),
 * PC_ENOMEM, or PC_EBUSY (out of file descriptors). *out is NULL on error.
 */
PC_EXPORT int pc_client_create(pc_client_t **out, const char *socket_path);

/*
 * pc_client_destroy - close the connection and free the context. Every
 * pending callback is called before this returns, in the calling thread:
 * requests still in flight complete with PC_ECANCELED, completed ones with
 * their answer. Calls made from those callbacks fail with PC_ESTATE. No
 * other thread may be using the context, and it may not be called from a
 * callback. NULL is ignored.
 */
PC_EXPORT void pc_client_destroy(pc_client_t *c);

/*
 * pc_client_socket_path - the socket path the context connects to. The
 * string belongs to the context and lives as long as it.
 * Returns NULL if c is NULL.
 */
PC_EXPORT const char *pc_client_socket_path(const pc_client_t *c);

/*
 * pc_client_set_timeout - the timeout, in milliseconds, of calls made
 * with timeout_ms 0 (initially PC_CLIENT_TIMEOUT_DEFAULT).
 * Returns 0, or PC_EINVAL (c NULL or timeout_ms 0).
 */
PC_EXPORT int pc_client_set_timeout(pc_client_t *c, unsigned timeout_ms);

/*
 * pc_client_set_limits - bound the requests in flight on the context
 * (blocking and non-blocking together, initially
 * PC_CLIENT_MAX_INFLIGHT_DEFAULT; 1..65536; the daemon serves at most
 * 1024 at a time per connection) and the octets of requests queued while
 * the daemon does not read them (initially PC_CLIENT_MAX_QUEUED_DEFAULT;
 * 4096..2^30). A call made beyond either bound fails with PC_EBUSY. 0
 * keeps a value as it is.
 * Returns 0, or PC_EINVAL (c NULL or a value out of range).
 */
PC_EXPORT int pc_client_set_limits(pc_client_t *c, unsigned max_inflight,
                                   size_t max_queued);

/* The most answers one context may keep (pc_client_set_answer_cache). */
#define PC_ANSWER_CACHE_MAX (1u << 20)

/*
 * pc_client_set_answer_cache - keep answers in this context's memory and
 * answer the same question again from there, without a round trip to
 * polcached. Off by default. Kept: SPF checks (pc_client_spf_check),
 * DMARC evaluations (pc_client_eval) and record requests without
 * discovery and without PC_QUERY_NOCACHE, blocking or not. An answer is
 * used again only for the very same question, only within the TTL
 * polcached gave it (for a check or an evaluation the least freshness
 * left among the DNS answers it used; never a temperror, an answer that
 * used stale or bogus data, a random pct draw, or a %{t} explanation)
 * and at most max_age_s seconds (0: no bound but the TTL), and only while
 * polcached's epoch page (PATH.epoch beside its socket) shows no flush,
 * reload or restart since the question was sent. Without that page
 * (older daemon, no permission to read it) nothing is kept. A result from
 * memory has cache PC_CACHE_HIT (where it was PC_CACHE_MISS) and its
 * remaining ttl. At most max_entries answers (least recently used go
 * first); 0 turns the cache off and frees what it held.
 * Returns 0, or PC_EINVAL (c NULL, max_entries over PC_ANSWER_CACHE_MAX),
 * PC_ENOMEM.
 */
PC_EXPORT int pc_client_set_answer_cache(pc_client_t *c, size_t max_entries,
                                         unsigned max_age_s);

/* What the answer cache did (pc_client_answer_cache_stats). */
typedef struct pc_answer_cache_stats {
    uint64_t hits;     /* questions answered from memory */
    uint64_t misses;   /* questions that could be kept but went to polcached */
    uint64_t stored;   /* answers kept */
    uint64_t dropped;  /* answers found expired or from an older epoch */
    uint64_t evicted;  /* answers dropped for room */
    size_t entries;    /* answers held now */
    int active;        /* 1 if polcached's epoch page is mapped */
} pc_answer_cache_stats_t;

/* pc_client_answer_cache_stats - fill *out (all 0 when the cache is off).
 * Returns 0 or PC_EINVAL (c or out NULL). */
PC_EXPORT int pc_client_answer_cache_stats(pc_client_t *c, pc_answer_cache_stats_t *out);

/* ---------------------------------------------------------------- results */

/* Flags of a query (pc_query_t.flags). */
#define PC_QUERY_NOCACHE 0x0001u  /* do not answer from the cache: resolve
                                     anew (the answer is still cached) */
#define PC_QUERY_NOSTALE 0x0002u  /* never answer from an expired entry */
#define PC_QUERY_DISCOVER 0x0004u /* DMARC only: discover the policy that
                                     applies to the domain, by the daemon's
                                     configured method, instead of reading
                                     _dmarc.<domain> alone */
#define PC_QUERY_TREEWALK 0x0008u /* DMARC only: discover by the RFC 9989
                                     tree walk (implies DISCOVER) */
#define PC_QUERY_PSL 0x0010u      /* DMARC only: discover in RFC 7489 mode,
                                     with the Public Suffix List (implies
                                     DISCOVER); not with TREEWALK */

/* pc_result_t.method: how a DMARC policy was discovered. */
#define PC_METHOD_NONE 0     /* no discovery: the record at _dmarc.<domain> */
#define PC_METHOD_TREEWALK 1 /* RFC 9989 tree walk */
#define PC_METHOD_PSL 2      /* RFC 7489, organizational domain from the PSL */

/* pc_result_t.exists: whether the author domain exists (decides between
 * the sp and np tags when the policy is not the domain's own). */
#define PC_EXISTS_UNKNOWN 0 /* not asked (the policy is the domain's own) */
#define PC_EXISTS_YES 1     /* it exists: sp applies */
#define PC_EXISTS_NO 2      /* NXDOMAIN: np applies */

/* pc_walk_t.psd: what a _dmarc name asked by a discovery held. */
#define PC_PSD_NONE 0  /* no usable DMARC record */
#define PC_PSD_UNSET 1 /* a record without psd=y or psd=n */
#define PC_PSD_YES 2   /* a record with psd=y (a public suffix domain) */
#define PC_PSD_NO 3    /* a record with psd=n (an organizational domain) */

/* One _dmarc name asked by a policy discovery, in the order asked. */
typedef struct pc_walk {
    const char *qname;      /* e.g. "_dmarc.mail.example.com" */
    pc_outcome_t outcome;   /* what the name held */
    pc_dnssec_t dnssec;
    pc_cache_state_t cache;
    int psd;                /* PC_PSD_* */
} pc_walk_t;

/* One parsed field of a record, e.g. DMARC "p" or a DKIM key's "k". */
typedef struct pc_field {
    const char *name;  /* the tag name, e.g. "p"; never NULL */
    const char *value; /* its value as written in the record, or the RFC
                          default when in_record is 0; NUL-terminated,
                          never NULL */
    size_t value_len;  /* octets of value (a value may hold a NUL octet) */
    int in_record;     /* 1: written in the record; 0: the default */
} pc_field_t;

/*
 * The answer to a DMARC, SPF or DKIM record request. Allocated by the
 * library in one block and freed with pc_result_free(); every pointer
 * inside lives exactly as long as the result. Never allocate or copy one
 * yourself: later versions may append fields.
 */
typedef struct pc_result {
    pc_rtype_t rtype;       /* PC_RT_DMARC, PC_RT_SPF or PC_RT_DKIM */
    /*
     * What the lookup found (polcache/types.h):
     *  PC_OUTCOME_FOUND      a usable record, in raw and fields: use it;
     *  PC_OUTCOME_NORECORD   the name exists but holds no such record (or,
     *                        for DMARC, two records, with a warning): no
     *                        policy;
     *  PC_OUTCOME_NXDOMAIN   the queried name does not exist: no policy;
     *  PC_OUTCOME_TEMPFAIL   SERVFAIL, an upstream timeout or a bogus
     *                        answer: tempfail, never a verdict;
     *  PC_OUTCOME_PERMERROR  the record exists but is unusable (e.g. two
     *                        v=spf1 records): SPF permerror.
     */
    pc_outcome_t outcome;
    /*
     * The DNSSEC state of the answer the outcome rests on:
     *  PC_DNSSEC_SECURE    validated from the trust anchor down: the
     *                      record (or the proof that there is none) is
     *                      authentic, and a policy may rely on it;
     *  PC_DNSSEC_INSECURE  an answer that no chain of trust covers (the
     *                      domain is not signed): it is what the DNS said,
     *                      like any unsigned lookup, and an attacker on
     *                      the path could have forged it;
     *  PC_DNSSEC_BOGUS     validation failed: the data was discarded, the
     *                      outcome is always PC_OUTCOME_TEMPFAIL and why
     *                      says what failed. Treat as a temporary failure;
     *  PC_DNSSEC_NONE      no DNS answer was obtained (timeout, SERVFAIL):
     *                      nothing is claimed either way.
     * "Neither secure nor bogus" (insecure) is the normal state of most
     * domains today and is no reason to reject mail.
     */
    pc_dnssec_t dnssec;
    /* Where the answer came from: PC_CACHE_MISS (resolved for this
     * request), PC_CACHE_HIT (from the cache within its TTL) or
     * PC_CACHE_STALE (past its TTL because upstream failed, RFC 8767). */
    pc_cache_state_t cache;
    uint32_t ttl;           /* seconds the answer stays fresh (0 if stale) */
    uint32_t age;           /* seconds since it was fetched upstream */
    const char *qname;      /* the DNS name that was queried, e.g.
                               "_dmarc.example.org" (presentation form,
                               unusual octets as \DDD); "" if not sent */
    const char *raw;        /* the record text (the TXT record's strings
                               joined), NUL-terminated; "" when there is
                               none */
    size_t raw_len;         /* octets of raw (it may hold a NUL octet) */
    const pc_field_t *fields; /* the parsed fields, in record order, with
                                 the defaults of absent tags after them */
    size_t nfields;
    const char *const *warnings; /* "code: sentence" lines, e.g.
                                    "no-rua: no rua tag, ..." */
    size_t nwarnings;
    const char *why;        /* why the outcome is a failure (e.g. the
                               DNSSEC validation error); "" otherwise */
    /*
     * DMARC policy discovery (PC_QUERY_DISCOVER, _TREEWALK, _PSL). The
     * fields above then describe the policy record that applies (outcome
     * PC_OUTCOME_NORECORD when none does, with dnssec the weakest state
     * over the names asked; PC_OUTCOME_TEMPFAIL if any name on the way
     * failed). Without discovery: 0, "" and no walk.
     */
    int method;             /* PC_METHOD_* */
    const char *org_domain; /* the organizational domain; "" if not sent */
    const char *policy_domain; /* the domain whose _dmarc record applies;
                                  "" when none does */
    int exists;             /* PC_EXISTS_*: the author domain's existence,
                               when the policy is not its own */
    const pc_walk_t *walk;  /* every _dmarc name asked, in order */
    size_t nwalk;
} pc_result_t;

/* pc_result_free - free a result. NULL is ignored. */
PC_EXPORT void pc_result_free(pc_result_t *r);

/*
 * pc_result_field - the value of the first parsed field called name
 * (exact, case-sensitive match), or NULL when there is none or an
 * argument is NULL. The string belongs to r.
 */
PC_EXPORT const char *pc_result_field(const pc_result_t *r, const char *name);

/* A record request: what pc_client_query() and pc_client_query_async()
 * ask for. The strings are only read during the call. */
typedef struct pc_query {
    pc_rtype_t rtype;     /* PC_RT_DMARC, PC_RT_SPF or PC_RT_DKIM */
    const char *domain;   /* the domain: DMARC is looked up at
                             _dmarc.<domain>, SPF at <domain>, DKIM at
                             <selector>._domainkey.<domain>. Text, 1..1024
                             octets; \DDD escapes and UTF-8 (IDNA) allowed;
                             the daemon checks it (PC_ENAME, PC_ENAMELEN,
                             PC_EIDNA) */
    const char *selector; /* the DKIM selector; NULL for other types */
    unsigned flags;       /* PC_QUERY_* */
} pc_query_t;

/* ----------------------------------------------------------- blocking calls
 *
 * Each call waits at most timeout_ms milliseconds (0: the context's
 * timeout, see pc_client_set_timeout) and can be made from any thread.
 * On timeout it returns PC_ETIMEDOUT and tells the daemon to drop the
 * request. Besides the errors named, each can return PC_EINVAL (c or a
 * required pointer NULL), PC_EUNAVAIL, PC_EBUSY, PC_ETIMEDOUT, PC_ENOMEM,
 * PC_ESTATE (during pc_client_destroy), the code of an error reply of the
 * daemon, and PC_EMAGIC, PC_EVERSION or PC_EMALFORMED when its replies
 * cannot be understood (a daemon of another protocol version).
 */

/*
 * pc_client_query - look up a DMARC, SPF or DKIM record.
 * On success returns 0 and sets *out to a result (the caller frees it with
 * pc_result_free); whatever the DNS said, including NXDOMAIN, SERVFAIL and
 * bogus answers, is a result with its outcome, not an error. Errors:
 * PC_EINVAL (rtype not DMARC/SPF/DKIM, domain NULL or empty, selector
 * NULL for DKIM, an unknown flag, a discovery flag on a request other
 * than DMARC, TREEWALK with PSL), PC_ETOOBIG (domain or selector over
 * 1024 octets),
 * PC_ENAME, PC_ENAMELEN, PC_EIDNA (the daemon refused the name). *out is
 * NULL on error.
 */
PC_EXPORT int pc_client_query(pc_client_t *c, const pc_query_t *q,
                              unsigned timeout_ms, pc_result_t **out);

/* pc_client_dmarc - pc_client_query() for the DMARC record at
 * _dmarc.<domain>, flags 0. */
PC_EXPORT int pc_client_dmarc(pc_client_t *c, const char *domain,
                              unsigned timeout_ms, pc_result_t **out);

/* pc_client_dmarc_policy - pc_client_query() for the DMARC policy that
 * applies to mail from <domain>, discovered by the daemon's configured
 * method (PC_QUERY_DISCOVER): what a filter asks. */
PC_EXPORT int pc_client_dmarc_policy(pc_client_t *c, const char *domain,
                                     unsigned timeout_ms, pc_result_t **out);

/* pc_client_spf - pc_client_query() for the SPF record at <domain>,
 * flags 0. */
PC_EXPORT int pc_client_spf(pc_client_t *c, const char *domain,
                            unsigned timeout_ms, pc_result_t **out);

/* pc_client_dkim - pc_client_query() for the DKIM key at
 * <selector>._domainkey.<domain>, flags 0. The parsed fields include the
 * key's tags and the daemon's findings such as "key-type" and "key-bits". */
PC_EXPORT int pc_client_dkim(pc_client_t *c, const char *selector,
                             const char *domain, unsigned timeout_ms,
                             pc_result_t **out);

/* -------------------------------------------------------------- SPF check */

/* pc_spf_check_t.scope: which identity was checked (RFC 7208 §2.3, §2.4). */
#define PC_SPF_CHECK_MAILFROM 1 /* MAIL FROM, or postmaster@HELO for "<>" */
#define PC_SPF_CHECK_HELO 2     /* the HELO identity */

/*
 * An SPF check, RFC 7208 check_host(): what pc_client_spf_check() asks.
 * The strings are only read during the call.
 */
typedef struct pc_spf_query {
    const char *ip;       /* the SMTP client's address as text, IPv4
                             ("192.0.2.1") or IPv6; an IPv4-mapped IPv6
                             address is checked as the IPv4 address */
    const char *mailfrom; /* the RFC 5321 MAIL FROM address (angle brackets
                             allowed; no "@": the whole text is the domain);
                             "" for the null reverse-path, which checks
                             postmaster@<helo>; NULL to check the HELO
                             identity. Control characters and octets that
                             are not UTF-8 are sent as '?' */
    const char *helo;     /* the HELO/EHLO name exactly as the client sent
                             it, or NULL; required when mailfrom is NULL
                             or "" */
    unsigned flags;       /* PC_QUERY_NOCACHE, PC_QUERY_NOSTALE */
} pc_spf_query_t;

/* The result of an SPF check. Allocated by the library in one block and
 * freed with pc_spf_check_free(); every pointer inside lives as long as
 * it. Later versions may append fields. */
typedef struct pc_spf_check {
    pc_spf_result_t result; /* PC_SPF_NONE .. PC_SPF_PERMERROR; temperror
                               means: try again later, never a verdict */
    int scope;              /* PC_SPF_CHECK_MAILFROM or PC_SPF_CHECK_HELO */
    const char *domain;     /* the <domain> checked; "" if not sent */
    const char *matched;    /* the term that decided, as written ("-all",
                               "include:_spf.example.net"); "" when none did
                               (default neutral, none, an error) */
    const char *term_domain; /* the domain whose record holds matched; "" */
    uint32_t lookups;       /* DNS-querying terms evaluated (at most 10) */
    uint32_t void_lookups;  /* lookups of those that found no data */
    const char *why;        /* with none, temperror and permerror: the term
                               or lookup that caused it; "" otherwise */
    pc_cache_state_t cache; /* PC_CACHE_HIT: every answer came from the
                               cache; PC_CACHE_MISS: some went upstream;
                               PC_CACHE_NONE: no lookup was made */
    pc_dnssec_t dnssec;     /* the weakest state among the answers used:
                               BOGUS if a bogus answer was seen (its data is
                               never used), else INSECURE if any was, else
                               SECURE; NONE when no answer was obtained */
    const char *explanation; /* with fail: the record's exp= explanation,
                               macro-expanded; "" when there is none */
    const char *auth_results; /* the spf method of an Authentication-Results
                                field, e.g. "spf=pass (...)
                                smtp.mailfrom=example.org"; "" if not sent */
    const char *received_spf; /* the value of a Received-SPF field (RFC
                                 7208 §9.1); "" if not sent */
    uint32_t ttl;             /* seconds this answer stays valid for the
                                 same question; 0: do not reuse (see
                                 docs/PROTOCOL.md) */
} pc_spf_check_t;

/*
 * pc_client_spf_check - run SPF check_host() in polcached for a client
 * address and its MAIL FROM and/or HELO. Blocking, as the calls above.
 * On success returns 0 and sets *out (free it with pc_spf_check_free);
 * DNS failures are the result PC_SPF_TEMPERROR, not an error. Errors:
 * PC_EINVAL (q or ip NULL, ip not an address, neither mailfrom nor helo,
 * an empty mailfrom without helo, an unknown flag), PC_ETOOBIG (mailfrom
 * or helo over 1024 octets). *out is NULL on error.
 */
PC_EXPORT int pc_client_spf_check(pc_client_t *c, const pc_spf_query_t *q,
                                  unsigned timeout_ms, pc_spf_check_t **out);

/* pc_spf_check_free - free an SPF check result. NULL is ignored. */
PC_EXPORT void pc_spf_check_free(pc_spf_check_t *r);

/* ------------------------------------------------------- DMARC evaluation */

/* The most DKIM results one evaluation takes (pc_eval_query_t.ndkim). */
#define PC_EVAL_DKIM_MAX 16

/* One DKIM signature's verification result, as the filter found it. */
typedef struct pc_eval_dkim {
    const char *d;           /* the signature's d= domain */
    const char *s;           /* its s= selector, or NULL */
    pc_dkim_result_t result; /* PC_DKIM_NONE .. PC_DKIM_PERMERROR */
} pc_eval_dkim_t;

/*
 * A DMARC evaluation of one message: what pc_client_eval() asks. The SPF
 * part is either the filter's own SPF result (spf_result set, with
 * spf_domain and spf_scope) or, with spf_result PC_SPF_UNSET, the inputs
 * for polcached to run SPF itself (ip with mailfrom and/or helo, as in
 * pc_spf_query_t). The strings and the dkim array are only read during
 * the call.
 */
typedef struct pc_eval_query {
    const char *from;            /* the RFC 5322 From domain */
    pc_spf_result_t spf_result;  /* the filter's SPF result, or
                                    PC_SPF_UNSET to have polcached run SPF */
    const char *spf_domain;      /* the domain that SPF result is for */
    int spf_scope;               /* PC_SPF_CHECK_MAILFROM (also 0) or
                                    PC_SPF_CHECK_HELO */
    const char *ip;              /* polcached runs SPF: the client address */
    const char *mailfrom;        /* ... its MAIL FROM, or NULL */
    const char *helo;            /* ... its HELO name, or NULL */
    const pc_eval_dkim_t *dkim;  /* ndkim DKIM results (NULL when 0) */
    size_t ndkim;                /* 0..PC_EVAL_DKIM_MAX */
    int pct_roll;                /* 0: a random draw for RFC 7489 pct=
                                    sampling; 1..100: the draw is
                                    pct_roll - 1 (deterministic tests) */
    unsigned flags;              /* PC_QUERY_NOCACHE, PC_QUERY_NOSTALE */
} pc_eval_query_t;

/* pc_eval_ident_t.kind */
#define PC_EVAL_SPF 1
#define PC_EVAL_DKIM 2

/* pc_eval_ident_t.aligned */
#define PC_ALIGNED_NO 0
#define PC_ALIGNED_YES 1
#define PC_ALIGNED_UNKNOWN 2 /* its organizational domain could not be found
                                (a temporary failure) */

/* How one identifier (the SPF domain, or a DKIM d=) aligned. */
typedef struct pc_eval_ident {
    int kind;               /* PC_EVAL_SPF or PC_EVAL_DKIM */
    const char *domain;     /* the identifier; "" if not sent */
    const char *selector;   /* DKIM s=; "" */
    int result;             /* its pc_spf_result_t or pc_dkim_result_t */
    char mode;              /* 's' strict, 'r' relaxed; 0 if not sent */
    int aligned;            /* PC_ALIGNED_* */
    const char *org_domain; /* its organizational domain; "" if unknown */
} pc_eval_ident_t;

/*
 * The verdict of a DMARC evaluation (docs/DMARC.md). Allocated by the
 * library in one block and freed with pc_eval_result_free(); every
 * pointer inside lives as long as it. Later versions may append fields.
 */
typedef struct pc_eval_result {
    pc_dmarc_result_t result; /* PC_DMARC_R_NONE .. PC_DMARC_R_PERMERROR;
                                 temperror: defer, never a verdict */
    pc_dnssec_t dnssec;       /* the DNSSEC state of the policy record */
    const char *why;          /* why temperror, permerror or none; "" */
    const char *policy_tag;   /* "p", "sp" or "np": the tag that applied;
                                 "" when no policy applied */
    const char *policy;       /* its value: none, quarantine, reject; "" */
    const char *disposition;  /* what the policy asks for this message
                                 (none on pass); "" */
    const char *recommended;  /* the disposition after t= and pct=; "" */
    int testing;              /* 1 with t=y */
    int pct;                  /* pct= in RFC 7489 mode, else 100 */
    int sampled_out;          /* 1 when pct= sampling lowered the policy */
    const pc_eval_ident_t *idents; /* the SPF identifier, then each DKIM
                                      d=, in the order given */
    size_t nidents;
    const char *rua;          /* aggregate report URIs, comma-separated; "" */
    const char *ruf;          /* failure report URIs; "" */
    const char *auth_results; /* the Authentication-Results fragment, e.g.
                                 "dmarc=pass (p=none dis=none)
                                 header.from=example.org" */
    int method;               /* PC_METHOD_TREEWALK or PC_METHOD_PSL; 0 */
    const char *org_domain;   /* the From domain's organizational domain */
    const char *policy_domain; /* the domain whose record applied; "" */
    pc_spf_result_t spf_result; /* when polcached ran SPF: its result
                                   (else PC_SPF_UNSET) */
    const char *spf_domain;   /* ... and the domain it checked; "" */
    uint32_t ttl;             /* seconds this answer stays valid for the
                                 same question; 0: do not reuse (see
                                 docs/PROTOCOL.md) */
} pc_eval_result_t;

/*
 * pc_client_eval - evaluate DMARC for one message in polcached: policy
 * discovery for the From domain, SPF if asked, alignment of every
 * identifier, the policy and disposition, and the Authentication-Results
 * fragment. Blocking, as the calls above. On success returns 0 and sets
 * *out (free it with pc_eval_result_free); DNS failures are the result
 * PC_DMARC_R_TEMPERROR, not an error. Errors: PC_EINVAL (q or from NULL or
 * empty; neither an SPF result with its domain nor an ip with mailfrom or
 * helo; both; an ip that is not an address; ndkim over PC_EVAL_DKIM_MAX
 * or dkim NULL with ndkim > 0; a DKIM result without d= or out of range;
 * pct_roll out of range; an unknown flag), PC_ETOOBIG (a name over 1024
 * octets), and the daemon's errors for the names (PC_ENAME, PC_ENAMELEN,
 * PC_EIDNA). *out is NULL on error.
 */
PC_EXPORT int pc_client_eval(pc_client_t *c, const pc_eval_query_t *q,
                             unsigned timeout_ms, pc_eval_result_t **out);

/* pc_eval_result_free - free an evaluation result. NULL is ignored. */
PC_EXPORT void pc_eval_result_free(pc_eval_result_t *r);

/* What the daemon says about itself. Filled in by pc_client_ping(). */
typedef struct pc_ping {
    char version[65];       /* e.g. "polcached 0.1.0"; "" if not sent */
    unsigned proto_version; /* highest protocol version it speaks (0 if
                               not sent) */
} pc_ping_t;

/*
 * pc_client_ping - check that the daemon answers. out may be NULL.
 * Returns 0 or an error as above.
 */
PC_EXPORT int pc_client_ping(pc_client_t *c, unsigned timeout_ms, pc_ping_t *out);

/* One counter of the daemon, e.g. "cache.hits". */
typedef struct pc_stat {
    const char *name;
    uint64_t value;
} pc_stat_t;

/* The daemon's counters, in the order it sent them. Allocated in one
 * block, freed with pc_stats_free(). */
typedef struct pc_stats {
    const pc_stat_t *items;
    size_t count;
} pc_stats_t;

/*
 * pc_client_stats - the daemon's counters. On success *out is set (free
 * with pc_stats_free); NULL on error.
 */
PC_EXPORT int pc_client_stats(pc_client_t *c, unsigned timeout_ms, pc_stats_t **out);

/*
 * pc_stats_get - the value of the counter called name.
 * Returns 0 and sets *value (if value is not NULL), PC_ENOENT (no such
 * counter) or PC_EINVAL (s or name NULL).
 */
PC_EXPORT int pc_stats_get(const pc_stats_t *s, const char *name, uint64_t *value);

/* pc_stats_free - free counters. NULL is ignored. */
PC_EXPORT void pc_stats_free(pc_stats_t *s);

/*
 * pc_client_flush - drop the cached answers for name and for every name
 * below it, of every record type, so the next request resolves anew.
 * count (may be NULL) gets the number of entries dropped.
 * Errors as for pc_client_query's domain.
 */
PC_EXPORT int pc_client_flush(pc_client_t *c, const char *name,
                              unsigned timeout_ms, uint32_t *count);

/* pc_client_flush_all - drop the whole cache; count as above. */
PC_EXPORT int pc_client_flush_all(pc_client_t *c, unsigned timeout_ms,
                                  uint32_t *count);

/* Which cache entries pc_client_dump() lists. */
typedef struct pc_dump_filter {
    pc_rtype_t rtype;   /* only this record type; PC_RT_NONE: any */
    const char *suffix; /* only this name and names below it; NULL: any */
    int dnssec;         /* only this pc_dnssec_t state; -1: any */
    int expired;        /* 1: only expired entries, 0: only fresh ones,
                           -1: both */
    unsigned limit;     /* entries per page, 1..256; 0: the daemon's
                           default (100) */
} pc_dump_filter_t;

/* A filter that lists everything. */
#define PC_DUMP_FILTER_INIT { PC_RT_NONE, NULL, -1, -1, 0 }

/* One cache entry of a dump page. */
typedef struct pc_dump_entry {
    pc_rtype_t rtype;
    const char *qname;    /* the cached name, presentation form */
    pc_outcome_t outcome;
    pc_dnssec_t dnssec;
    uint32_t ttl;         /* seconds of freshness left, 0 when expired */
    uint32_t age;         /* seconds since it was fetched */
    const char *raw;      /* the record text (at most 2048 octets of it);
                             "" if none */
    size_t raw_len;
    const char *why;      /* failure reason; "" if none */
} pc_dump_entry_t;

#define PC_DUMP_CURSOR_MAX 512

/* One page of a dump. Allocated in one block, freed with
 * pc_dump_page_free(). */
typedef struct pc_dump_page {
    const pc_dump_entry_t *entries;
    size_t count;
    int more;                               /* 1: another page follows */
    uint8_t cursor[PC_DUMP_CURSOR_MAX];     /* opaque resume point */
    size_t cursor_len;
} pc_dump_page_t;

/*
 * pc_client_dump - one page of the cache's entries, in key order (by name
 * from the root down, then record type). filter NULL lists everything.
 * after is NULL for the first page, and the previous page (with more set)
 * for the next one:
 *
 *   pc_dump_page_t *p = NULL, *prev = NULL;
 *   do {
 *       rc = pc_client_dump(c, &f, prev, 0, &p);
 *       pc_dump_page_free(prev);
 *       prev = p;
 *       ... use p->entries[0 .. p->count-1] unless rc != 0 ...
 *   } while (rc == 0 && p->more);
 *   pc_dump_page_free(prev);
 *
 * Errors: PC_EINVAL (a filter value out of range, or after without more),
 * PC_ETOOBIG (suffix over 1024 octets), and the daemon's errors for the
 * suffix name. *out is NULL on error.
 */
PC_EXPORT int pc_client_dump(pc_client_t *c, const pc_dump_filter_t *filter,
                             const pc_dump_page_t *after, unsigned timeout_ms,
                             pc_dump_page_t **out);

/* pc_dump_page_free - free a page. NULL is ignored. */
PC_EXPORT void pc_dump_page_free(pc_dump_page_t *p);

/* ------------------------------------------------------- non-blocking API
 *
 * For a caller with its own event loop, in the spirit of libunbound's
 * ub_fd()/ub_process(): watch pc_client_fd() for readability
 * (level-triggered: EPOLLIN without EPOLLET, UV_READABLE, POLLIN) and call
 * pc_client_process() whenever it is readable. That fd becomes readable
 * when replies arrive, when a request's timeout passes (even with no
 * traffic at all), when queued requests can be written, and when a
 * request completes in another thread. Callbacks run inside
 * pc_client_process().
 */

/*
 * A completion callback. err is 0 and result a record result (the callee
 * owns it and frees it with pc_result_free), or err is an error code and
 * result NULL: PC_ETIMEDOUT, PC_ECANCELED (pc_client_cancel or
 * pc_client_destroy), PC_EUNAVAIL (the daemon went away), PC_EBUSY, or
 * the code of the daemon's error reply. The callback may submit, cancel
 * and make blocking calls on the same context.
 */
typedef void (*pc_result_cb)(void *arg, int err, pc_result_t *result);

/*
 * pc_client_fd - the descriptor to watch for readability. It belongs to
 * the context (an epoll descriptor: never the daemon socket, which is
 * replaced on reconnects): do not read, close or dup2 over it. It stays the
 * same for the context's life. Returns it, or PC_EINVAL if c is NULL.
 */
PC_EXPORT int pc_client_fd(pc_client_t *c);

/*
 * pc_client_query_async - submit a record request; cb(arg, ...) is called
 * exactly once, from pc_client_process() (or pc_client_destroy()), with the
 * result or an error, at the latest when timeout_ms (0: the context's
 * timeout) has passed. id (may be NULL) gets the request's id for
 * pc_client_cancel. If this call returns an error, the request was not
 * accepted and cb is never called. Errors as for pc_client_query (the
 * daemon's answers, including its error replies, reach the callback),
 * and PC_EINVAL when cb is NULL.
 */
PC_EXPORT int pc_client_query_async(pc_client_t *c, const pc_query_t *q,
                                    unsigned timeout_ms, pc_result_cb cb,
                                    void *arg, uint32_t *id);

/* Completion callbacks of the SPF check and the DMARC evaluation: as
 * pc_result_cb, with their own result types (the callee frees them with
 * pc_spf_check_free and pc_eval_result_free). */
typedef void (*pc_spf_check_cb)(void *arg, int err, pc_spf_check_t *result);
typedef void (*pc_eval_cb)(void *arg, int err, pc_eval_result_t *result);

/*
 * pc_client_spf_check_async, pc_client_eval_async - submit an SPF check or
 * a DMARC evaluation; cb is called exactly once, as for
 * pc_client_query_async, which these follow in every respect (ids,
 * pc_client_cancel, errors: those of the blocking call, and PC_EINVAL
 * when cb is NULL; if the call returns an error cb is never called).
 */
PC_EXPORT int pc_client_spf_check_async(pc_client_t *c, const pc_spf_query_t *q,
                                        unsigned timeout_ms, pc_spf_check_cb cb,
                                        void *arg, uint32_t *id);
PC_EXPORT int pc_client_eval_async(pc_client_t *c, const pc_eval_query_t *q,
                                   unsigned timeout_ms, pc_eval_cb cb, void *arg,
                                   uint32_t *id);

/*
 * pc_client_cancel - cancel a non-blocking request: the daemon is told to
 * drop it and its callback is called with PC_ECANCELED from the next
 * pc_client_process() (the descriptor becomes readable).
 * Returns 0, PC_EINVAL (c NULL), or PC_ENOENT when no such request is
 * pending: it was never submitted, or it has already completed and its
 * callback has run or will run with the real answer.
 */
PC_EXPORT int pc_client_cancel(pc_client_t *c, uint32_t id);

/*
 * pc_client_process - do the pending work without blocking: read replies,
 * write queued requests, expire timeouts, then call the callbacks of every
 * completed request (without the context lock held). Never blocks; a
 * readable descriptor with nothing to do is harmless.
 * Returns the number of callbacks called (>= 0), or PC_EINVAL if c is NULL.
 */
PC_EXPORT int pc_client_process(pc_client_t *c);

/*
 * pc_client_pending - the number of non-blocking requests accepted whose
 * callbacks have not been called yet (0 if c is NULL).
 */
PC_EXPORT size_t pc_client_pending(pc_client_t *c);

#ifdef __cplusplus
}
#endif

#endif /* POLCACHE_H */
