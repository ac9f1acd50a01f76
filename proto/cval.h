/*
 * cval.h - the cache-value codec, format version 1. It lives in proto/ so
 * that a client reading the LMDB file directly decodes values with the same
 * code as the daemon. Every read checks the whole value.
 *
 * Layout, integers big-endian:
 *
 *   offset size field
 *        0    1 version   PC_CVAL_VERSION; anything else is PC_ECORRUPT
 *        1    1 rtype     pc_rtype_t (1..PC_RT_MAX_)
 *        2    1 outcome   pc_outcome_t (1..PC_OUTCOME_MAX_)
 *        3    1 dnssec    pc_dnssec_t (0..PC_DNSSEC_MAX_)
 *        4    4 flags     reserved, 0
 *        8    8 fetched   wall-clock seconds (Unix time) of the upstream answer
 *       16    8 expires   absolute expiry, fetched + ttl
 *       24    4 ttl       the TTL applied (after clamping), seconds
 *       28    4 stamp     coarse last-access stamp (for eviction), minutes
 *       32    4 body_len  octets of the TLV block that follows
 *       36    n body      protocol TLVs: RAW, FIELD, WARNING, WHY, QNAME,
 *                         RDATA (checked like a message body)
 *
 * The value is exactly 36 + body_len octets; expires must equal
 * fetched + ttl. An entry is fresh only while fetched <= now < expires, so a
 * clock stepped back before the fetch makes it expired, never longer-lived.
 */
#ifndef PC_CVAL_H
#define PC_CVAL_H

#include <stddef.h>
#include <stdint.h>

#define PC_CVAL_VERSION 1
#define PC_CVAL_HDR_LEN 36
#define PC_CVAL_MAX_BODY 65536u

typedef struct pc_cval {
    uint8_t rtype;
    uint8_t outcome;
    uint8_t dnssec;
    uint32_t flags;
    uint64_t fetched;
    uint64_t expires;
    uint32_t ttl;
    uint32_t stamp;
    const uint8_t *body; /* encode: caller's; decode: points into the input */
    uint32_t body_len;
} pc_cval_t;

/* Freshness of a value at a given time. */
typedef enum pc_cval_age {
    PC_CVAL_FRESH = 0,
    PC_CVAL_EXPIRED = 1
} pc_cval_age_t;

/* Octets pc_cval_encode writes for v. */
size_t pc_cval_size(const pc_cval_t *v);

/*
 * pc_cval_encode - write v into out (cap octets). Returns the length, or
 * PC_EINVAL (bad field values, expires != fetched + ttl) or PC_ETOOBIG.
 */
int pc_cval_encode(const pc_cval_t *v, uint8_t *out, size_t cap);

/*
 * pc_cval_decode - check and decode a stored value of exactly len octets.
 * out->body points into buf. Returns 0, PC_EINVAL, or PC_ECORRUPT for
 * anything wrong: another version, bad enums, lengths, times, or a body
 * that is not a valid TLV block.
 */
int pc_cval_decode(const uint8_t *buf, size_t len, pc_cval_t *out);

/* Freshness at now (Unix seconds), per the rule above. */
pc_cval_age_t pc_cval_age_at(const pc_cval_t *v, uint64_t now);

/* Seconds of freshness left at now (0 when expired). */
uint32_t pc_cval_ttl_left(const pc_cval_t *v, uint64_t now);

/* Seconds since the fetch at now (0 if the clock is behind the fetch). */
uint32_t pc_cval_age_secs(const pc_cval_t *v, uint64_t now);

/* Rewrite the access stamp of an encoded value in place (eviction). */
void pc_cval_set_stamp(uint8_t *buf, size_t len, uint32_t stamp);

#endif /* PC_CVAL_H */
