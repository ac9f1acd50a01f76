/*
 * cutil.h - shared pieces of the client's end-to-end tests: the world
 * cases with what the library must return for them, a checker, a clock,
 * and a daemon started for the whole test program.
 */
#ifndef PC_TEST_CUTIL_H
#define PC_TEST_CUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "daemon_proc.h"
#include "polcache.h"

typedef struct ccase {
    pc_rtype_t rtype;
    const char *domain;
    const char *selector;
    pc_outcome_t outcome;
    pc_dnssec_t dnssec;
    const char *raw;   /* substring of raw, or NULL */
    const char *field; /* "name=value" that must be present, or NULL */
    const char *why;   /* substring of why, or NULL */
} ccase_t;

extern const ccase_t cu_cases[];
extern const size_t cu_ncases;

/* 1 if r answers k as expected; else 0 and a reason in why (cap octets). */
int cu_check(const ccase_t *k, const pc_result_t *r, char *why, size_t cap);
/* pc_query_t for a case. */
pc_query_t cu_query(const ccase_t *k, unsigned flags);
uint64_t cu_now_ms(void);

/* The daemon of the test program: started on first use with the world's
 * config, stopped (and its directory removed) by cu_daemon_stop. */
dproc_t *cu_daemon(void);
void cu_daemon_stop(void);

#endif
