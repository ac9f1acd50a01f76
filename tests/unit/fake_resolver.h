/*
 * fake_resolver.h - a resolver for scenario tests: it records every query
 * and answers only when the test says so, with the answer the test builds.
 */
#ifndef PC_FAKE_RESOLVER_H
#define PC_FAKE_RESOLVER_H

#include "resolver.h"

#define FAKE_MAX_QUERIES 4096

typedef struct fake_query {
    pc_name_t qname;
    uint16_t qtype;
    pc_resolver_cb cb;
    void *arg;
    uint64_t id;
    int state; /* 0 pending, 1 answered, 2 cancelled */
} fake_query_t;

typedef struct fake_resolver {
    pc_resolver_t base;
    fake_query_t q[FAKE_MAX_QUERIES];
    unsigned n;
    unsigned flushes;
    int fail_next; /* resolve returns this error once, if non-zero */
} fake_resolver_t;

void fake_resolver_init(fake_resolver_t *f);

/* Answer query i with status/rcode/dnssec/ttl and TXT strings (one string
 * per record, NULL-terminated list; NULL for no data). */
void fake_answer_txt(fake_resolver_t *f, unsigned i, int status, int rcode,
                     pc_dnssec_t dnssec, uint32_t ttl, const char *const *txt);

/* Number of queries still pending. */
unsigned fake_pending(const fake_resolver_t *f);

#endif
