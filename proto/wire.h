/*
 * wire.h - polcache protocol v1: the frame header, the TLV body, the
 * message and field tables, and a bounded encoder/decoder. This header and
 * docs/PROTOCOL.md are the protocol; the document carries golden vectors
 * that the tests check against this code.
 *
 * Frame header, 16 octets, every integer big-endian (network order):
 *
 *   offset size field
 *        0    2 magic    0x50 0x43 ("PC")
 *        2    1 version  PC_WIRE_VERSION (1)
 *        3    1 type     pc_msg_type_t; replies set PC_MSG_REPLY (0x80)
 *        4    2 flags    PC_F_*; unknown bits are rejected (PC_EFLAGS)
 *        6    2 reserved must be 0 (else PC_EMALFORMED)
 *        8    4 id       chosen by the client, echoed in the reply
 *       12    4 length   body octets after the header, <= PC_WIRE_MAX_BODY
 *
 * Body: a sequence of TLVs, each
 *
 *        0    2 type     bit 15 (PC_TLV_CRITICAL) = critical, bits 0..14 id
 *        2    2 length   value octets that follow
 *        4    n value
 *
 * A receiver skips TLVs it does not know unless the critical bit is set, in
 * which case the whole message is rejected with PC_ECRITICAL. Integers in
 * values are big-endian and of the exact width the field table states.
 */
#ifndef PC_WIRE_H
#define PC_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define PC_WIRE_MAGIC0 0x50
#define PC_WIRE_MAGIC1 0x43
#define PC_WIRE_VERSION 1
#define PC_WIRE_HDR_LEN 16
#define PC_WIRE_MAX_BODY 65536u  /* octets */
#define PC_WIRE_MAX_FRAME (PC_WIRE_HDR_LEN + PC_WIRE_MAX_BODY)
#define PC_WIRE_MAX_TLVS 512     /* top-level TLVs per message */
#define PC_WIRE_MAX_NESTED 32    /* TLVs inside one nested TLV */
#define PC_TLV_HDR_LEN 4
#define PC_TLV_CRITICAL 0x8000u

/* Message types. A reply has the request's type | PC_MSG_REPLY. */
typedef enum pc_msg_type {
    PC_MSG_PING = 0x01,       /* liveness and version */
    PC_MSG_DMARC = 0x02,      /* DMARC record at _dmarc.<domain> */
    PC_MSG_SPF = 0x03,        /* SPF record at <domain> */
    PC_MSG_DKIM = 0x04,       /* DKIM key at <selector>._domainkey.<domain> */
    PC_MSG_SPF_CHECK = 0x05,  /* SPF check_host(ip, mailfrom, helo) */
    PC_MSG_DMARC_EVAL = 0x06, /* DMARC evaluation of one message */
    PC_MSG_STATS = 0x07,      /* counters */
    PC_MSG_FLUSH = 0x08,      /* drop a name and everything below, or all */
    PC_MSG_DUMP = 0x09,       /* one page of cache entries */
    PC_MSG_CANCEL = 0x0a,     /* detach the waiter of an earlier request */
    PC_MSG_ERROR = 0x7f       /* only as a reply: 0xff */
} pc_msg_type_t;
#define PC_MSG_REPLY 0x80u
#define PC_MSG_ERROR_REPLY (PC_MSG_ERROR | PC_MSG_REPLY)

/* Header flags. */
#define PC_F_NOCACHE 0x0001u /* request: skip the cache read, resolve anew
                                (the answer is still written to the cache) */
#define PC_F_NOSTALE 0x0002u /* request: never answer from a stale entry */
#define PC_F_MORE 0x0004u    /* reply to DUMP: more pages follow */
#define PC_F_KNOWN (PC_F_NOCACHE | PC_F_NOSTALE | PC_F_MORE)

/* Field (TLV) types, without the critical bit. */
typedef enum pc_tlv_type {
    /* request fields */
    PC_T_DOMAIN = 1,       /* text: domain name */
    PC_T_SELECTOR = 2,     /* text: DKIM selector (one or more labels) */
    PC_T_CLIENT_IP = 3,    /* 4 or 16 octets: IPv4 or IPv6 address */
    PC_T_MAILFROM = 4,     /* text: RFC 5321 MAIL FROM, may be empty */
    PC_T_HELO = 5,         /* text: HELO/EHLO name */
    PC_T_SPF_RESULT = 6,   /* u8: pc_spf_result value (DMARC eval input) */
    PC_T_SPF_DOMAIN = 7,   /* text: domain the SPF result is for */
    PC_T_SPF_SCOPE = 8,    /* u8: 1 mailfrom, 2 helo */
    PC_T_DKIM = 9,         /* nested: one DKIM result (D, S, RESULT) */
    PC_T_DKIM_D = 10,      /* text: d= domain */
    PC_T_DKIM_S = 11,      /* text: s= selector */
    PC_T_DKIM_RESULT = 12, /* u8: pc_dkim_result value */
    PC_T_ALL = 13,         /* u8: 1 = flush everything */
    PC_T_RTYPE = 14,       /* u8: pc_rtype_t (dump filter, dump entry) */
    PC_T_SUFFIX = 15,      /* text: name suffix (dump filter) */
    PC_T_DNSSEC_FILTER = 16, /* u8: pc_dnssec_t (dump filter) */
    PC_T_EXPIRED = 17,     /* u8: 1 = only expired, 0 = only fresh */
    PC_T_CURSOR = 18,      /* octets: opaque resume point from NEXT_CURSOR */
    PC_T_LIMIT = 19,       /* u32: entries per page, 1..PC_DUMP_MAX */
    PC_T_TARGET_ID = 20,   /* u32: request id to cancel */
    PC_T_DISCOVER = 21,    /* u8: DMARC request: discover the applicable
                              policy (0 the daemon's method, 1 RFC 9989 tree
                              walk, 2 RFC 7489 PSL); sent critical */
    /* reply fields */
    PC_T_OUTCOME = 64,     /* u8: pc_outcome_t */
    PC_T_DNSSEC = 65,      /* u8: pc_dnssec_t */
    PC_T_CACHE = 66,       /* u8: pc_cache_state_t */
    PC_T_TTL = 67,         /* u32: seconds of freshness left (0 if stale) */
    PC_T_AGE = 68,         /* u32: seconds since the answer was fetched */
    PC_T_RAW = 69,         /* octets: the record text (TXT strings joined) */
    PC_T_FIELD = 70,       /* nested: one parsed field (NAME, VALUE, FLAGS) */
    PC_T_FIELD_NAME = 71,  /* text */
    PC_T_FIELD_VALUE = 72, /* text */
    PC_T_FIELD_FLAGS = 73, /* u8: PC_FIELD_EXPLICIT or 0 (default) */
    PC_T_WARNING = 74,     /* text: "code: sentence" */
    PC_T_WHY = 75,         /* text: reason for a failure, e.g. why bogus */
    PC_T_QNAME = 76,       /* text: the name that was queried */
    PC_T_ERROR_CODE = 77,  /* i32: negative PC_E* code */
    PC_T_MESSAGE = 78,     /* text: human-readable detail */
    PC_T_VERSION = 79,     /* text: daemon version string */
    PC_T_STAT = 80,        /* nested: one counter (STAT_NAME, STAT_VALUE) */
    PC_T_STAT_NAME = 81,   /* text */
    PC_T_STAT_VALUE = 82,  /* u64 */
    PC_T_ENTRY = 83,       /* nested: one dump entry */
    PC_T_NEXT_CURSOR = 84, /* octets: pass back as CURSOR for the next page */
    PC_T_COUNT = 85,       /* u32: entries affected (flush) */
    PC_T_PROTO_VERSION = 86, /* u8: highest protocol version spoken */
    PC_T_RDATA = 87,       /* octets: one address/MX/PTR rdata (cache values) */
    PC_T_METHOD = 88,      /* u8: discovery method, 1 tree walk, 2 PSL */
    PC_T_ORG_DOMAIN = 89,  /* text: the organizational domain */
    PC_T_POLICY_DOMAIN = 90, /* text: where the applicable record was found */
    PC_T_WALK = 91,        /* nested: one name asked (QNAME, OUTCOME, DNSSEC,
                              CACHE, PSD) */
    PC_T_PSD = 92,         /* u8: 0 no record, 1 record without psd=y/n,
                              2 psd=y, 3 psd=n */
    PC_T_EXISTS = 93,      /* u8: author domain 1 exists, 2 NXDOMAIN */
    /* DMARC evaluation reply (94..109) */
    PC_T_DMARC_RESULT = 94, /* u8: 1 none, 2 pass, 3 fail, 4 temperror, 5 permerror */
    PC_T_POLICY_TAG = 95,  /* text: "p", "sp" or "np" */
    PC_T_POLICY = 96,      /* text: the published policy that applies */
    PC_T_DISPOSITION = 97, /* text: what the policy asks for this message */
    PC_T_RECOMMENDED = 98, /* text: the disposition after t= and pct= */
    PC_T_TESTING = 99,     /* u8: t=y */
    PC_T_PCT = 100,        /* u8: pct= (RFC 7489 mode) */
    PC_T_ALIGN = 101,      /* nested: one identifier (ALIGN_KIND, QNAME,
                              DKIM_S, ALIGN_RESULT, ALIGN_MODE, ALIGNED,
                              ORG_DOMAIN) */
    PC_T_ALIGN_KIND = 102, /* u8: 1 SPF, 2 DKIM */
    PC_T_ALIGN_RESULT = 103, /* u8: the SPF or DKIM result */
    PC_T_ALIGN_MODE = 104, /* u8: 's' strict or 'r' relaxed */
    PC_T_ALIGNED = 105,    /* u8: 0 no, 1 yes, 2 unknown */
    PC_T_RUA = 106,        /* text */
    PC_T_RUF = 107,        /* text */
    PC_T_AUTH_RESULTS = 108, /* text: Authentication-Results fragment */
    PC_T_SAMPLED_OUT = 109, /* u8: RFC 7489 pct sampling lowered the policy */
    PC_T_PCT_ROLL = 22,    /* request u8 0..99: use instead of a random draw
                              for pct= sampling (sent critical) */
    /* SPF check reply (110..119), with SPF_RESULT, SPF_DOMAIN, SPF_SCOPE */
    PC_T_SPF_MATCHED = 110, /* text: the term that decided the result */
    PC_T_SPF_TERM_DOMAIN = 111, /* name: whose SPF record holds that term */
    PC_T_SPF_LOOKUPS = 112, /* u32: DNS-querying terms evaluated (§4.6.4) */
    PC_T_SPF_VOID_LOOKUPS = 113, /* u32: lookups with no answer (§4.6.4) */
    PC_T_SPF_EXPLANATION = 114, /* text: the exp= explanation of a fail (§6.2) */
    PC_T_RECEIVED_SPF = 115 /* text: the Received-SPF value (RFC 7208 §9.1);
                               the reply also carries AUTH_RESULTS (108) */
    /* 116..127 are free */
} pc_tlv_type_t;

#define PC_DUMP_MAX 256     /* entries per dump page */
#define PC_FIELDS_MAX 160   /* parsed fields per record reply */
#define PC_DKIM_MAX 16      /* DKIM results per DMARC evaluation */
#define PC_CURSOR_MAX 512   /* octets of a dump cursor */
#define PC_TEXT_MAX 1024    /* octets of a text field unless stated */

/* The value classes the decoder checks. */
typedef enum pc_vclass {
    PC_V_U8,     /* exactly 1 octet */
    PC_V_U32,    /* exactly 4 octets */
    PC_V_I32,    /* exactly 4 octets, two's complement */
    PC_V_U64,    /* exactly 8 octets */
    PC_V_TEXT,   /* UTF-8 without NUL or other C0 controls except TAB */
    PC_V_NAME,   /* any octet except NUL (a name as text, escapes allowed) */
    PC_V_BYTES,  /* any octets */
    PC_V_IP,     /* 4 or 16 octets */
    PC_V_NESTED  /* a TLV sequence, checked against its own table */
} pc_vclass_t;

/* One decoded TLV: a view into the decoded buffer. */
typedef struct pc_tlv {
    uint16_t type;      /* without the critical bit */
    uint16_t len;
    const uint8_t *val; /* points into the buffer given to the decoder */
} pc_tlv_t;

typedef struct pc_hdr {
    uint8_t version;
    uint8_t type;
    uint16_t flags;
    uint32_t id;
    uint32_t length;
} pc_hdr_t;

/*
 * A decoded message: the header and the known TLVs, in order of arrival.
 * Unknown non-critical TLVs are skipped and counted. Every pointer is into
 * the buffer passed to pc_msg_decode and lives as long as that buffer.
 */
typedef struct pc_msg {
    pc_hdr_t hdr;
    uint16_t ntlv;
    uint16_t skipped;
    pc_tlv_t tlv[PC_WIRE_MAX_TLVS];
} pc_msg_t;

/*
 * pc_hdr_decode - decode and check a frame header.
 * Returns 0; PC_ETRUNC if len < PC_WIRE_HDR_LEN (read more); PC_EMAGIC,
 * PC_EVERSION, PC_EMSGTYPE (type not in the table), PC_EFLAGS,
 * PC_EMALFORMED (reserved octets not zero) or PC_ETOOBIG (length over
 * PC_WIRE_MAX_BODY). On PC_EMSGTYPE and PC_EFLAGS the header fields are
 * filled so the receiver can answer with the request id.
 */
int pc_hdr_decode(const uint8_t *buf, size_t len, pc_hdr_t *out);

/* pc_hdr_encode - write PC_WIRE_HDR_LEN octets. */
void pc_hdr_encode(const pc_hdr_t *h, uint8_t *out);

/*
 * pc_msg_decode - decode one whole frame (header and body) of exactly
 * len octets and check every field against the message's table: lengths,
 * value classes, repeat limits, required fields, nested tables.
 * Returns 0, a pc_hdr_decode error, PC_ETRUNC (len shorter than the header
 * says), PC_EMALFORMED (len longer, or a TLV overruns the body),
 * PC_ECRITICAL, PC_ETOOBIG (too many TLVs, field too long), PC_EDUP,
 * PC_EMISSING or PC_EBADSTR. On error after the header, out->hdr is valid.
 * Allocates nothing.
 */
int pc_msg_decode(const uint8_t *buf, size_t len, pc_msg_t *out);

/* First TLV of a type, or NULL. */
const pc_tlv_t *pc_msg_find(const pc_msg_t *m, uint16_t type);

/* Accessors for checked values (the decoder has verified the width). */
uint8_t pc_tlv_u8(const pc_tlv_t *t);
uint32_t pc_tlv_u32(const pc_tlv_t *t);
int32_t pc_tlv_i32(const pc_tlv_t *t);
uint64_t pc_tlv_u64(const pc_tlv_t *t);

/*
 * pc_tlv_copy_text - copy a text value into out (cap octets) with a NUL.
 * Returns the length, or PC_ETOOBIG if it does not fit (out gets "").
 */
int pc_tlv_copy_text(const pc_tlv_t *t, char *out, size_t cap);

/*
 * Iterating a nested TLV already checked by pc_msg_decode:
 *   pc_tlv_t it = {0}; while (pc_tlv_next(parent, &it)) use(&it);
 * Every inner TLV is returned; callers ignore types they do not know.
 */
int pc_tlv_next(const pc_tlv_t *parent, pc_tlv_t *it);

/* First inner TLV of a type in a nested TLV, or 0 if absent. */
int pc_tlv_find(const pc_tlv_t *parent, uint16_t type, pc_tlv_t *out);

/*
 * Encoder: a growable output buffer with a hard cap. Several frames can be
 * written one after another (a connection's batched replies). Errors are
 * sticky: after the first failure every call is a no-op and
 * pc_wbuf_frame_end returns the error.
 */
typedef struct pc_wbuf {
    uint8_t *data;      /* owned; free with pc_wbuf_free */
    size_t len;
    size_t cap;
    size_t limit;       /* maximum total octets */
    size_t frame;       /* offset of the open frame's header */
    size_t nest[2];     /* offsets of open nested TLV headers */
    int depth;          /* open nested TLVs */
    int open;           /* a frame is open */
    int err;
} pc_wbuf_t;

/* Initialise an empty buffer that may grow to limit octets (0 = one max frame). */
void pc_wbuf_init(pc_wbuf_t *b, size_t limit);
void pc_wbuf_free(pc_wbuf_t *b);
/* Drop the contents, keep the memory. */
void pc_wbuf_reset(pc_wbuf_t *b);
/* Remove the first n octets (after a partial write). */
void pc_wbuf_consume(pc_wbuf_t *b, size_t n);

void pc_wbuf_frame_begin(pc_wbuf_t *b, uint8_t type, uint16_t flags, uint32_t id);
/*
 * A headerless TLV block (e.g. the body stored in a cache value): opened
 * like a frame but without a header; pc_wbuf_block_end returns the block's
 * length or the first error (the block is then removed).
 */
void pc_wbuf_block_begin(pc_wbuf_t *b);
int pc_wbuf_block_end(pc_wbuf_t *b);
void pc_wbuf_u8(pc_wbuf_t *b, uint16_t type, uint8_t v);
void pc_wbuf_u32(pc_wbuf_t *b, uint16_t type, uint32_t v);
void pc_wbuf_i32(pc_wbuf_t *b, uint16_t type, int32_t v);
void pc_wbuf_u64(pc_wbuf_t *b, uint16_t type, uint64_t v);
void pc_wbuf_bytes(pc_wbuf_t *b, uint16_t type, const void *p, size_t n);
/* Raw octets appended inside the open frame or block (pre-encoded TLVs). */
void pc_wbuf_raw(pc_wbuf_t *b, const void *p, size_t n);
/* NUL-terminated text. */
void pc_wbuf_str(pc_wbuf_t *b, uint16_t type, const char *s);
void pc_wbuf_nest_begin(pc_wbuf_t *b, uint16_t type);
void pc_wbuf_nest_end(pc_wbuf_t *b);
/*
 * Close the open frame, filling in its length. Returns 0, or the first
 * error: PC_ETOOBIG (frame over the protocol limit or buffer over its
 * limit), PC_ENOMEM, PC_EINVAL (misuse). A failed frame is removed from the
 * buffer entirely, so earlier frames stay intact.
 */
int pc_wbuf_frame_end(pc_wbuf_t *b);
/* Drop the open frame (or block) entirely. */
void pc_wbuf_frame_abort(pc_wbuf_t *b);
/* Set the flags of the open frame's header. */
void pc_wbuf_frame_flags(pc_wbuf_t *b, uint16_t flags);

/*
 * pc_wire_check_cache_body - check a TLV block stored in a cache value
 * (RAW, FIELD, WARNING, WHY, QNAME, RDATA) with the same rules as a
 * message body. Returns 0 or a pc_msg_decode error.
 */
int pc_wire_check_cache_body(const uint8_t *p, size_t len);

/* Name of a message or field type for logs ("dmarc", "domain"); never NULL. */
const char *pc_msg_type_name(uint8_t type);
const char *pc_tlv_type_name(uint16_t type);

#endif /* PC_WIRE_H */
