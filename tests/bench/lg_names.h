/*
 * lg_names.h - the names the load generator asks for and the answer each
 * must get. Both targets get the same list: polcached a DMARC request for
 * DOMAIN, a DNS server a TXT query for _dmarc.DOMAIN.
 *
 * Two sources: a file of lines "DOMAIN<TAB>DNSSEC<TAB>TEXT" (DNSSEC is
 * "secure" or "insecure"; '#' lines are comments), or a generator
 * "FMT:START:COUNT" whose FMT holds one %u (e.g. "b%u.wild.pcw"), every
 * generated name sharing one expected answer.
 */
#ifndef LG_NAMES_H
#define LG_NAMES_H

#include <stddef.h>
#include <stdint.h>

#define LG_NAME_MAX 256
#define LG_TEXT_MAX 2048

typedef struct lg_expect {
    int secure;              /* 1: DNSSEC secure (AD bit), 0: insecure */
    size_t text_len;
    char text[LG_TEXT_MAX];  /* the TXT record, strings joined */
} lg_expect_t;

typedef struct lg_names {
    uint64_t count;
    /* a file: count entries */
    char **domain;
    lg_expect_t *expect;
    /* a generator */
    char fmt[LG_NAME_MAX];
    uint64_t start;
    lg_expect_t gen_expect;
} lg_names_t;

/* Load a file. Returns 0, or -1 with a message on stderr. */
int lg_names_load(lg_names_t *n, const char *path);
/* Set up a generator "FMT:START:COUNT" answered by text (secure or not). */
int lg_names_gen(lg_names_t *n, const char *spec, const char *text, int secure);
/* Domain of entry i into out (LG_NAME_MAX); its expected answer. */
const lg_expect_t *lg_names_get(const lg_names_t *n, uint64_t i, char *out);
void lg_names_free(lg_names_t *n);

#endif
