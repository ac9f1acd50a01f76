/*
 * walkutil.h - helpers of the DMARC discovery end-to-end tests: ask a
 * running polcached for a discovery, build a world from vector records.
 */
#ifndef PC_TEST_WALKUTIL_H
#define PC_TEST_WALKUTIL_H

#include <jansson.h>

#include "daemon_proc.h"
#include "pcclient.h"

typedef struct reply {
    int outcome, dnssec, exists;
    char org[300], policy_domain[300], why[300];
    char p[16], sp[16], np[16];
    unsigned nwalk;
    char walk[16][300];
    char warning[300];
} reply_t;

typedef struct env {
    pworld_t w;
    dproc_t d;
} env_t;

extern tc_t *C; /* the client connection object, set up by main */

/* A DMARC request with DISCOVER (method 0 daemon's, 1 walk, 2 PSL). */
void ask(dproc_t *d, const char *domain, uint8_t method, reply_t *r);
/* 1 if qname was asked on the walk. */
int walked(const reply_t *r, const char *qname);
/* The policy applied: p, sp or np, or "no-record". */
const char *applied(const reply_t *r, const char *author);
/* --extra JSON from vector records, "exists" names and a silent zone. */
char *extra_from(json_t *records, json_t *exists, const char *silent);
/* A private world and a daemon on it with the given dmarc-mode. */
void env_start(env_t *e, const char *extra, const char *mode);
void env_stop(env_t *e);
/* The author domain of a vector (lower case). */
const char *author_of(json_t *v);

#endif
