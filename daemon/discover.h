/*
 * discover.h - DMARC policy discovery: the RFC 9989 §4.10 DNS tree walk
 * (the default) and the RFC 7489 mode with the Public Suffix List
 * (libpsl). Both find the policy record that applies to an author domain
 * and the organizational domain; every _dmarc lookup and the existence
 * check go through the lookup engine, so a warm daemon walks with no
 * network traffic. The number of queries per discovery is bounded.
 */
#ifndef PC_DISCOVER_H
#define PC_DISCOVER_H

#include <libpsl.h>

#include "lookup.h"
#include "name.h"

#define PC_WALK_MAX 8       /* _dmarc queries of one tree walk (§4.10) */
#define PC_WALK_JUMP 7      /* labels kept by the jump after the first query */
#define PC_DISC_STEPS (PC_WALK_MAX + 1) /* plus a possible org-domain query */

typedef enum pc_disc_method {
    PC_DISC_TREEWALK = 1, /* RFC 9989 §4.10 */
    PC_DISC_PSL = 2       /* RFC 7489 §3.2 with the Public Suffix List */
} pc_disc_method_t;

/* What a discovery is asked for. */
#define PC_DISC_ORG_ONLY 0x01u   /* only the organizational domain (alignment) */
#define PC_DISC_EXISTS 0x02u     /* also check that the author domain exists */

/* psd= of a record seen on the walk. */
#define PC_WALK_NONE (-1) /* no usable DMARC record at this name */
#define PC_WALK_PSD_U 0   /* a record without psd=y/n */
#define PC_WALK_PSD_Y 'y'
#define PC_WALK_PSD_N 'n'

/* One _dmarc name queried, and what it held. */
typedef struct pc_walk_step {
    pc_name_t domain;      /* the name below _dmarc */
    pc_outcome_t outcome;
    pc_dnssec_t dnssec;
    pc_cache_state_t cache;
    uint32_t ttl, age;
    int psd;               /* PC_WALK_* */
    uint8_t *body;         /* copy of the cached body (malloc'd), or NULL */
    size_t body_len;
} pc_walk_step_t;

typedef struct pc_discovery {
    pc_disc_method_t method;
    int status;            /* 0, or PC_EDNS: a temporary failure on the path
                              (timeout, SERVFAIL, bogus): temperror, never a
                              verdict; PC_ELIMIT: query budget exhausted */
    char why[160];         /* reason when status != 0 */
    unsigned nsteps;
    pc_walk_step_t steps[PC_DISC_STEPS];
    int policy_step;       /* step holding the policy record, or -1 */
    int org_step;          /* step of the organizational domain's record, or -1 */
    int psd_step;          /* step of a psd=y record that ended the walk, or -1 */
    pc_name_t author;
    pc_name_t org_domain;  /* always set when status == 0 */
    int exists;            /* author domain: 1 exists, 0 NXDOMAIN, -1 not asked */
    pc_dnssec_t exists_dnssec;
    unsigned queries;      /* lookups made (cache hits included) */
    uint32_t ttl;          /* least freshness left among the answers it
                              relied on (every _dmarc name asked, the
                              existence check), negative answers with their
                              TTL; 0 when one was a DNS failure, bogus or
                              stale, or a lookup could not start;
                              UINT32_MAX when no answer came */
} pc_discovery_t;

/* Called once, unless cancelled. d and its bodies are valid during the call. */
typedef void (*pc_discover_cb)(void *arg, const pc_discovery_t *d);

typedef struct pc_discover pc_discover_t;

/* What discoveries need: the lookup engine, the method, the PSL. */
typedef struct pc_discover_env {
    pc_lookups_t *lookups;
    pc_disc_method_t method;
    const psl_ctx_t *psl;  /* for PC_DISC_PSL; NULL falls back to the
                              built-in list of libpsl */
} pc_discover_env_t;

/*
 * pc_discover_start - discover for author domain a. The callback may run
 * before this returns (everything cached); *h is then NULL. Otherwise *h
 * can cancel. Returns 0, PC_EINVAL, PC_ENOMEM, or a lookup error (then cb
 * never fires).
 */
int pc_discover_start(const pc_discover_env_t *env, const pc_name_t *a, unsigned flags,
                      pc_discover_cb cb, void *arg, pc_discover_t **h);

/* Stop a discovery: its callback is never called. */
void pc_discover_cancel(pc_discover_t *h);

/*
 * The tree walk's query plan for a domain: the names whose _dmarc records
 * are asked, in order (at most PC_WALK_MAX). Pure; exposed for tests.
 */
unsigned pc_walk_plan(const pc_name_t *a, pc_name_t out[PC_WALK_MAX]);

/*
 * pc_psl_org_domain - the RFC 7489 organizational domain of n: its
 * registrable domain under the Public Suffix List (psl NULL: libpsl's
 * built-in list). Returns 0 with *out set, PC_ENOENT when n is itself a
 * public suffix (or shorter), PC_EINVAL.
 */
int pc_psl_org_domain(const psl_ctx_t *psl, const pc_name_t *n, pc_name_t *out);

/* Load the PSL from a file (psl_load_file); NULL on failure. */
psl_ctx_t *pc_psl_load(const char *path);
void pc_psl_free(psl_ctx_t *p);

#define PC_DEFAULT_PSL "/usr/share/publicsuffix/public_suffix_list.dat"

#endif /* PC_DISCOVER_H */
