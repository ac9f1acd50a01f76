/*
 * lg_proto.h - what the load generator sends and how it checks each reply,
 * for its two targets: polcached (protocol v1 over a Unix stream socket,
 * frames built and decoded with proto/wire.h) and a DNS server over UDP
 * (TXT queries written by hand). Every reply is checked: its id, the name
 * it answers, the outcome, the DNSSEC state and the record text.
 */
#ifndef LG_PROTO_H
#define LG_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "lg_names.h"
#include "wire.h"

/* Why a reply was counted as an error. */
typedef enum lg_err {
    LG_OK = 0,
    LG_E_ID,       /* no request in flight has this id */
    LG_E_DECODE,   /* the frame or datagram does not decode */
    LG_E_REPLY,    /* an error reply (polcached) or a non-zero rcode / TC (DNS) */
    LG_E_OUTCOME,  /* not "found" / no TXT record in the answer */
    LG_E_NAME,     /* the reply is for another name */
    LG_E_TEXT,     /* the record text differs */
    LG_E_DNSSEC,   /* not the expected DNSSEC state (polcached DNSSEC, DNS AD bit) */
    LG_E_CACHE,    /* polcached: not a cache hit although --expect-hit */
    LG_E_TIMEOUT,  /* no reply within the timeout */
    LG_E_IO,       /* the connection failed */
    LG_E_KINDS
} lg_err_t;

const char *lg_err_name(lg_err_t e);

/* ---- polcached ---- */

/* Append a DMARC request for domain with this id. 0 or a PC_E* code. */
int lg_pc_encode(pc_wbuf_t *b, uint32_t id, const char *domain);
/*
 * Check a decoded reply m (already matched to its request by id) against
 * the domain asked and its expected answer. *cache gets the CACHE field
 * (0 when absent). Returns LG_OK or the error kind; detail (cap octets)
 * says what differed.
 */
lg_err_t lg_pc_check(const pc_msg_t *m, const char *domain, const lg_expect_t *e,
                     int *cache, char *detail, size_t cap);
/*
 * Connect to path, ask STATS, return the counter `name` (e.g.
 * "requests.dmarc"), or -1 on any failure.
 */
long long lg_pc_stat(const char *path, const char *name);

/* ---- DNS ---- */

#define LG_DNS_QMAX 300 /* octets of one query */

/* Write a TXT query for _dmarc.domain (RD and AD set, no EDNS) into q.
 * Returns its length, or 0 if the name does not fit. */
size_t lg_dns_encode(uint8_t *q, uint16_t id, const char *domain);
/* The id of a reply, or -1 when it is too short to have one. */
int lg_dns_id(const uint8_t *r, size_t len);
/* Check reply r against the query q that it answers (same id). */
lg_err_t lg_dns_check(const uint8_t *r, size_t rlen, const uint8_t *q, size_t qlen,
                      const lg_expect_t *e, char *detail, size_t cap);

#endif
