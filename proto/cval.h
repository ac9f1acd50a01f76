/*
 * cval.h - the cache-value codec, format version 2. It lives in proto/ so
 * that a client reading the LMDB file directly decodes values with the same
 * code as the daemon. A value is checked in full when it is encoded (every
 * header field, and the body against the protocol's field tables); a read
 * checks the header fields, the length and a CRC-32 of the value, which
 * costs a fraction of the full check of the body.
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
 *       28    4 body_len  octets of the TLV block that follows the header
 *       32    4 stamp     coarse last-access stamp (for eviction), minutes
 *       36    4 crc       CRC-32 (zlib's crc32(), the ISO-HDLC polynomial
 *                         of gzip and PNG) of octets 0..31 followed by the
 *                         body: every octet but the stamp and the crc
 *       40    n body      protocol TLVs: RAW, FIELD, WARNING, WHY, QNAME,
 *                         RDATA (checked like a message body when encoded)
 *
 * The value is exactly 40 + body_len octets; expires must equal
 * fetched + ttl. An entry is fresh only while fetched <= now < expires, so a
 * clock stepped back before the fetch makes it expired, never longer-lived.
 * The stamp is outside the CRC so that eviction rewrites it in place
 * (pc_cval_set_stamp) without touching the rest; any stamp is valid.
 *
 * The CRC detects damage (a torn or stray write, a bad disk), not forgery:
 * whoever can write the LMDB file can write a matching CRC. So code that
 * reads the TLVs of a decoded body must stay memory-safe on any octets:
 * each TLV's length is checked against what is left of its parent
 * (pc_tlv_next, pc_tlv_find, and spf_mech.c's walk do), and no reader
 * relies on the body having passed the field tables.
 */
#ifndef PC_CVAL_H
#define PC_CVAL_H

#include <stddef.h>
#include <stdint.h>

#define PC_CVAL_VERSION 2
#define PC_CVAL_HDR_LEN 40
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
 * pc_cval_encode - check v in full and write it into out (cap octets),
 * with its CRC. Returns the length, or PC_EINVAL (bad field values,
 * expires != fetched + ttl, a body that is not a valid TLV block) or
 * PC_ETOOBIG.
 */
int pc_cval_encode(const pc_cval_t *v, uint8_t *out, size_t cap);

/*
 * pc_cval_decode - check and decode a stored value of exactly len octets.
 * out->body points into buf. Returns 0, PC_EINVAL, or PC_ECORRUPT for
 * anything wrong: another version, bad enums, lengths, times, or a CRC
 * that does not match (a damaged header or body). The body's TLVs are not
 * checked again here (see above: readers bound every TLV themselves).
 */
int pc_cval_decode(const uint8_t *buf, size_t len, pc_cval_t *out);

/* Freshness at now (Unix seconds), per the rule above. */
pc_cval_age_t pc_cval_age_at(const pc_cval_t *v, uint64_t now);

/* Seconds of freshness left at now (0 when expired). */
uint32_t pc_cval_ttl_left(const pc_cval_t *v, uint64_t now);

/* Seconds since the fetch at now (0 if the clock is behind the fetch). */
uint32_t pc_cval_age_secs(const pc_cval_t *v, uint64_t now);

/* Rewrite the access stamp of an encoded value in place (eviction); the
 * CRC does not cover it. A no-op unless buf holds a whole header of this
 * version. */
void pc_cval_set_stamp(uint8_t *buf, size_t len, uint32_t stamp);

/*
 * pc_cval_get_stamp - the access stamp of a stored value, read without
 * decoding it. Returns 0, or PC_ECORRUPT (shorter than a header, another
 * version), or PC_EINVAL (NULL).
 */
int pc_cval_get_stamp(const uint8_t *buf, size_t len, uint32_t *stamp);

/*
 * pc_cval_crc - the CRC that the header of the len-octet value in buf
 * should hold (octets 0..31 and 40..len-1). For tests and the fuzz target,
 * which change a value and then seal it again. len must be at least
 * PC_CVAL_HDR_LEN (else 0 is returned).
 */
uint32_t pc_cval_crc(const uint8_t *buf, size_t len);

#endif /* PC_CVAL_H */
