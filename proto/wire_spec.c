/*
 * wire_spec.c - the tables of protocol v1: for every message type, the
 * fields its body may carry. docs/PROTOCOL.md describes the same tables in
 * prose; the golden-vector test keeps the two in step.
 */
#include "polcache/error.h"
#include "polcache/types.h"
#include "wire_spec.h"

#define ARRLEN(a) (sizeof(a) / sizeof((a)[0]))
#define SET(name, arr, chk) { name, arr, ARRLEN(arr), chk }

/* {type, class, required, max_count, min_len, max_len, min_val, max_val, nested} */
#define U8(t, req, cnt, lo, hi) { t, PC_V_U8, req, cnt, 1, 1, lo, hi, NULL }
#define U32(t, req, cnt) { t, PC_V_U32, req, cnt, 4, 4, 0, 0, NULL }
#define I32(t, req, cnt) { t, PC_V_I32, req, cnt, 4, 4, 0, 0, NULL }
#define U64(t, req, cnt) { t, PC_V_U64, req, cnt, 8, 8, 0, 0, NULL }
#define TEXT(t, req, cnt, lo, hi) { t, PC_V_TEXT, req, cnt, lo, hi, 0, 0, NULL }
#define NAME(t, req, cnt) { t, PC_V_NAME, req, cnt, 1, PC_TEXT_MAX, 0, 0, NULL }
#define BYTES(t, req, cnt, lo, hi) { t, PC_V_BYTES, req, cnt, lo, hi, 0, 0, NULL }
#define IP(t, req, cnt) { t, PC_V_IP, req, cnt, 4, 16, 0, 0, NULL }
#define NEST(t, req, cnt, spec) { t, PC_V_NESTED, req, cnt, 0, 0xffff, 0, 0, spec }

static int count_of(const pc_tlv_t *tlv, size_t n, uint16_t type)
{
    int c = 0;
    for (size_t i = 0; i < n; i++)
        c += tlv[i].type == type;
    return c;
}

/* ---- nested sets ---- */

static const pc_field_spec_t field_fields[] = {
    TEXT(PC_T_FIELD_NAME, 1, 1, 1, 64),
    BYTES(PC_T_FIELD_VALUE, 1, 1, 0, 4096),
    U8(PC_T_FIELD_FLAGS, 0, 1, 0, 1),
};
static const pc_set_spec_t field_set = SET("field", field_fields, NULL);

static const pc_field_spec_t stat_fields[] = {
    TEXT(PC_T_STAT_NAME, 1, 1, 1, 64),
    U64(PC_T_STAT_VALUE, 1, 1),
};
static const pc_set_spec_t stat_set = SET("stat", stat_fields, NULL);

static const pc_field_spec_t dkim_fields[] = {
    NAME(PC_T_DKIM_D, 1, 1),
    NAME(PC_T_DKIM_S, 0, 1),
    U8(PC_T_DKIM_RESULT, 1, 1, 1, PC_DKIM_MAX_),
};
static const pc_set_spec_t dkim_set = SET("dkim", dkim_fields, NULL);

static const pc_field_spec_t entry_fields[] = {
    U8(PC_T_RTYPE, 1, 1, 1, PC_RT_MAX_),
    NAME(PC_T_QNAME, 1, 1),
    U8(PC_T_OUTCOME, 1, 1, 1, PC_OUTCOME_MAX_),
    U8(PC_T_DNSSEC, 0, 1, 0, PC_DNSSEC_MAX_),
    U32(PC_T_TTL, 0, 1),
    U32(PC_T_AGE, 0, 1),
    BYTES(PC_T_RAW, 0, 1, 0, 16384),
    TEXT(PC_T_WHY, 0, 1, 0, PC_TEXT_MAX),
};
static const pc_set_spec_t entry_set = SET("entry", entry_fields, NULL);

/* ---- requests ---- */

static const pc_field_spec_t no_fields[1] = { U8(0, 0, 0, 0, 0) };
static const pc_set_spec_t empty_set = { "empty", no_fields, 0, NULL };

static const pc_field_spec_t domain_fields[] = {
    NAME(PC_T_DOMAIN, 1, 1),
};
static const pc_field_spec_t dmarc_req_fields[] = {
    NAME(PC_T_DOMAIN, 1, 1),
    U8(PC_T_DISCOVER, 0, 1, 0, 2),
};
static const pc_set_spec_t dmarc_req = SET("dmarc", dmarc_req_fields, NULL);
static const pc_set_spec_t spf_req = SET("spf", domain_fields, NULL);

static const pc_field_spec_t dkim_req_fields[] = {
    NAME(PC_T_SELECTOR, 1, 1),
    NAME(PC_T_DOMAIN, 1, 1),
};
static const pc_set_spec_t dkim_req = SET("dkim", dkim_req_fields, NULL);

static int spf_check_rule(const pc_tlv_t *tlv, size_t n)
{
    /* a HELO check needs HELO; a MAIL FROM check may have an empty
     * MAIL FROM only together with HELO (postmaster@helo) */
    if (count_of(tlv, n, PC_T_MAILFROM) == 0 && count_of(tlv, n, PC_T_HELO) == 0)
        return PC_EMISSING;
    return 0;
}
static const pc_field_spec_t spf_check_fields[] = {
    IP(PC_T_CLIENT_IP, 1, 1),
    TEXT(PC_T_MAILFROM, 0, 1, 0, PC_TEXT_MAX),
    NAME(PC_T_HELO, 0, 1),
};
static const pc_set_spec_t spf_check_req = SET("spf-check", spf_check_fields, spf_check_rule);

static int dmarc_eval_rule(const pc_tlv_t *tlv, size_t n)
{
    int given = count_of(tlv, n, PC_T_SPF_RESULT) + count_of(tlv, n, PC_T_SPF_DOMAIN);
    int run = count_of(tlv, n, PC_T_CLIENT_IP);

    if (given == 1)
        return PC_EMISSING; /* result and its domain go together */
    if (given == 2 && (run || count_of(tlv, n, PC_T_MAILFROM) || count_of(tlv, n, PC_T_HELO)))
        return PC_EINVAL;   /* either a given SPF result or the SPF inputs */
    if (given == 0 && run == 0)
        return PC_EMISSING;
    if (run && count_of(tlv, n, PC_T_MAILFROM) == 0 && count_of(tlv, n, PC_T_HELO) == 0)
        return PC_EMISSING;
    return 0;
}
static const pc_field_spec_t dmarc_eval_fields[] = {
    NAME(PC_T_DOMAIN, 1, 1),
    U8(PC_T_SPF_RESULT, 0, 1, 1, PC_SPF_MAX_),
    NAME(PC_T_SPF_DOMAIN, 0, 1),
    U8(PC_T_SPF_SCOPE, 0, 1, 1, 2),
    IP(PC_T_CLIENT_IP, 0, 1),
    TEXT(PC_T_MAILFROM, 0, 1, 0, PC_TEXT_MAX),
    NAME(PC_T_HELO, 0, 1),
    NEST(PC_T_DKIM, 0, PC_DKIM_MAX, &dkim_set),
    U8(PC_T_PCT_ROLL, 0, 1, 0, 99),
};
static const pc_set_spec_t dmarc_eval_req = SET("dmarc-eval", dmarc_eval_fields, dmarc_eval_rule);

static int flush_rule(const pc_tlv_t *tlv, size_t n)
{
    int d = count_of(tlv, n, PC_T_DOMAIN), a = count_of(tlv, n, PC_T_ALL);
    return d + a == 1 ? 0 : (d + a == 0 ? PC_EMISSING : PC_EINVAL);
}
static const pc_field_spec_t flush_fields[] = {
    NAME(PC_T_DOMAIN, 0, 1),
    U8(PC_T_ALL, 0, 1, 1, 1),
};
static const pc_set_spec_t flush_req = SET("flush", flush_fields, flush_rule);

static const pc_field_spec_t dump_fields[] = {
    U8(PC_T_RTYPE, 0, 1, 1, PC_RT_MAX_),
    NAME(PC_T_SUFFIX, 0, 1),
    U8(PC_T_DNSSEC_FILTER, 0, 1, 0, PC_DNSSEC_MAX_),
    U8(PC_T_EXPIRED, 0, 1, 0, 1),
    BYTES(PC_T_CURSOR, 0, 1, 1, PC_CURSOR_MAX),
    U32(PC_T_LIMIT, 0, 1),
};
static int dump_rule(const pc_tlv_t *tlv, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (tlv[i].type == PC_T_LIMIT) {
            uint32_t v = pc_tlv_u32(&tlv[i]);
            if (v == 0 || v > PC_DUMP_MAX)
                return PC_ETOOBIG;
        }
    }
    return 0;
}
static const pc_set_spec_t dump_req = SET("dump", dump_fields, dump_rule);

static const pc_field_spec_t cancel_fields[] = {
    U32(PC_T_TARGET_ID, 1, 1),
};
static const pc_set_spec_t cancel_req = SET("cancel", cancel_fields, NULL);

/* ---- replies ---- */

static const pc_field_spec_t ping_rep_fields[] = {
    TEXT(PC_T_VERSION, 0, 1, 0, 64),
    U8(PC_T_PROTO_VERSION, 0, 1, 1, 255),
};
static const pc_set_spec_t ping_rep = SET("ping-reply", ping_rep_fields, NULL);

/* DMARC, SPF and DKIM records; SPF check and DMARC evaluation add their
 * own fields in later protocol revisions as non-critical TLVs. */
static const pc_field_spec_t record_rep_fields[] = {
    U8(PC_T_OUTCOME, 1, 1, 1, PC_OUTCOME_MAX_),
    U8(PC_T_DNSSEC, 0, 1, 0, PC_DNSSEC_MAX_),
    U8(PC_T_CACHE, 0, 1, 0, PC_CACHE_MAX_),
    U32(PC_T_TTL, 0, 1),
    U32(PC_T_AGE, 0, 1),
    BYTES(PC_T_RAW, 0, 1, 0, 60000),
    NEST(PC_T_FIELD, 0, PC_FIELDS_MAX, &field_set),
    TEXT(PC_T_WARNING, 0, 32, 1, PC_TEXT_MAX),
    TEXT(PC_T_WHY, 0, 1, 0, PC_TEXT_MAX),
    NAME(PC_T_QNAME, 0, 1),
};
static const pc_set_spec_t record_rep = SET("record-reply", record_rep_fields, NULL);

/* One name asked by a DMARC discovery. */
static const pc_field_spec_t walk_fields[] = {
    NAME(PC_T_QNAME, 1, 1),
    U8(PC_T_OUTCOME, 1, 1, 1, PC_OUTCOME_MAX_),
    U8(PC_T_DNSSEC, 0, 1, 0, PC_DNSSEC_MAX_),
    U8(PC_T_CACHE, 0, 1, 0, PC_CACHE_MAX_),
    U8(PC_T_PSD, 0, 1, 0, 3),
};
static const pc_set_spec_t walk_set = SET("walk", walk_fields, NULL);

/* A DMARC record reply; with DISCOVER, also the walk and its conclusions. */
static const pc_field_spec_t dmarc_rep_fields[] = {
    U8(PC_T_OUTCOME, 1, 1, 1, PC_OUTCOME_MAX_),
    U8(PC_T_DNSSEC, 0, 1, 0, PC_DNSSEC_MAX_),
    U8(PC_T_CACHE, 0, 1, 0, PC_CACHE_MAX_),
    U32(PC_T_TTL, 0, 1),
    U32(PC_T_AGE, 0, 1),
    BYTES(PC_T_RAW, 0, 1, 0, 60000),
    NEST(PC_T_FIELD, 0, PC_FIELDS_MAX, &field_set),
    TEXT(PC_T_WARNING, 0, 32, 1, PC_TEXT_MAX),
    TEXT(PC_T_WHY, 0, 1, 0, PC_TEXT_MAX),
    NAME(PC_T_QNAME, 0, 1),
    U8(PC_T_METHOD, 0, 1, 1, 2),
    NAME(PC_T_ORG_DOMAIN, 0, 1),
    NAME(PC_T_POLICY_DOMAIN, 0, 1),
    NEST(PC_T_WALK, 0, 16, &walk_set),
    U8(PC_T_EXISTS, 0, 1, 1, 2),
};
static const pc_set_spec_t dmarc_rep = SET("dmarc-reply", dmarc_rep_fields, NULL);

/* One identifier of a DMARC evaluation. */
static const pc_field_spec_t align_fields[] = {
    U8(PC_T_ALIGN_KIND, 1, 1, 1, 2),
    NAME(PC_T_QNAME, 0, 1),
    TEXT(PC_T_DKIM_S, 0, 1, 0, 256),
    U8(PC_T_ALIGN_RESULT, 0, 1, 0, 7),
    U8(PC_T_ALIGN_MODE, 0, 1, 0, 's'),
    U8(PC_T_ALIGNED, 0, 1, 0, 2),
    NAME(PC_T_ORG_DOMAIN, 0, 1),
};
static const pc_set_spec_t align_set = SET("align", align_fields, NULL);

static const pc_field_spec_t dmarc_eval_rep_fields[] = {
    U8(PC_T_DMARC_RESULT, 1, 1, 1, 5),
    U8(PC_T_DNSSEC, 0, 1, 0, PC_DNSSEC_MAX_),
    TEXT(PC_T_WHY, 0, 1, 0, PC_TEXT_MAX + 128),
    TEXT(PC_T_POLICY_TAG, 0, 1, 0, 2),
    TEXT(PC_T_POLICY, 0, 1, 0, 16),
    TEXT(PC_T_DISPOSITION, 0, 1, 0, 16),
    TEXT(PC_T_RECOMMENDED, 0, 1, 0, 16),
    U8(PC_T_TESTING, 0, 1, 0, 1),
    U8(PC_T_PCT, 0, 1, 0, 100),
    U8(PC_T_SAMPLED_OUT, 0, 1, 0, 1),
    NEST(PC_T_ALIGN, 0, PC_DKIM_MAX + 1, &align_set),
    TEXT(PC_T_RUA, 0, 1, 0, PC_TEXT_MAX),
    TEXT(PC_T_RUF, 0, 1, 0, PC_TEXT_MAX),
    TEXT(PC_T_AUTH_RESULTS, 0, 1, 0, PC_TEXT_MAX + 256),
    U8(PC_T_METHOD, 0, 1, 1, 2),
    NAME(PC_T_ORG_DOMAIN, 0, 1),
    NAME(PC_T_POLICY_DOMAIN, 0, 1),
    U8(PC_T_EXISTS, 0, 1, 1, 2),
    U8(PC_T_SPF_RESULT, 0, 1, 1, PC_SPF_MAX_),
    NAME(PC_T_SPF_DOMAIN, 0, 1),
    U32(PC_T_TTL, 0, 1),
};
static const pc_set_spec_t dmarc_eval_rep = SET("dmarc-eval-reply", dmarc_eval_rep_fields, NULL);

/* The result of an SPF check_host() (docs/SPF.md). */
static const pc_field_spec_t spf_check_rep_fields[] = {
    U8(PC_T_SPF_RESULT, 1, 1, 1, PC_SPF_MAX_),
    U8(PC_T_SPF_SCOPE, 0, 1, 1, 2),
    NAME(PC_T_SPF_DOMAIN, 0, 1),
    TEXT(PC_T_SPF_MATCHED, 0, 1, 1, PC_TEXT_MAX),
    NAME(PC_T_SPF_TERM_DOMAIN, 0, 1),
    U32(PC_T_SPF_LOOKUPS, 0, 1),
    U32(PC_T_SPF_VOID_LOOKUPS, 0, 1),
    TEXT(PC_T_WHY, 0, 1, 0, PC_TEXT_MAX),
    U8(PC_T_CACHE, 0, 1, 0, PC_CACHE_MAX_),
    U8(PC_T_DNSSEC, 0, 1, 0, PC_DNSSEC_MAX_),
    TEXT(PC_T_SPF_EXPLANATION, 0, 1, 1, PC_TEXT_MAX),
    TEXT(PC_T_AUTH_RESULTS, 0, 1, 1, 2048),
    TEXT(PC_T_RECEIVED_SPF, 0, 1, 1, 4096),
    U32(PC_T_TTL, 0, 1),
};
static const pc_set_spec_t spf_check_rep = SET("spf-check-reply", spf_check_rep_fields, NULL);

static const pc_field_spec_t stats_rep_fields[] = {
    NEST(PC_T_STAT, 0, 256, &stat_set),
};
static const pc_set_spec_t stats_rep = SET("stats-reply", stats_rep_fields, NULL);

static const pc_field_spec_t count_rep_fields[] = {
    U32(PC_T_COUNT, 1, 1),
};
static const pc_set_spec_t count_rep = SET("count-reply", count_rep_fields, NULL);

static const pc_field_spec_t dump_rep_fields[] = {
    NEST(PC_T_ENTRY, 0, PC_DUMP_MAX, &entry_set),
    BYTES(PC_T_NEXT_CURSOR, 0, 1, 1, PC_CURSOR_MAX),
};
static const pc_set_spec_t dump_rep = SET("dump-reply", dump_rep_fields, NULL);

static const pc_field_spec_t error_rep_fields[] = {
    I32(PC_T_ERROR_CODE, 1, 1),
    TEXT(PC_T_MESSAGE, 0, 1, 0, PC_TEXT_MAX),
};
static const pc_set_spec_t error_rep = SET("error-reply", error_rep_fields, NULL);

/* The TLV block of a cache value: what a record reply carries besides the
 * per-request OUTCOME/DNSSEC/CACHE/TTL/AGE, plus address rdata. */
static const pc_field_spec_t cache_body_fields[] = {
    BYTES(PC_T_RAW, 0, 1, 0, 60000),
    NEST(PC_T_FIELD, 0, PC_FIELDS_MAX, &field_set),
    TEXT(PC_T_WARNING, 0, 32, 1, PC_TEXT_MAX),
    TEXT(PC_T_WHY, 0, 1, 0, PC_TEXT_MAX),
    NAME(PC_T_QNAME, 0, 1),
    BYTES(PC_T_RDATA, 0, 256, 0, 512),
};
static const pc_set_spec_t cache_body = SET("cache-body", cache_body_fields, NULL);

const pc_set_spec_t *pc_wire_cache_spec(void)
{
    return &cache_body;
}

const pc_set_spec_t *pc_wire_spec(uint8_t type)
{
    switch (type) {
    case PC_MSG_PING: return &empty_set;
    case PC_MSG_DMARC: return &dmarc_req;
    case PC_MSG_SPF: return &spf_req;
    case PC_MSG_DKIM: return &dkim_req;
    case PC_MSG_SPF_CHECK: return &spf_check_req;
    case PC_MSG_DMARC_EVAL: return &dmarc_eval_req;
    case PC_MSG_STATS: return &empty_set;
    case PC_MSG_FLUSH: return &flush_req;
    case PC_MSG_DUMP: return &dump_req;
    case PC_MSG_CANCEL: return &cancel_req;
    case PC_MSG_PING | PC_MSG_REPLY: return &ping_rep;
    case PC_MSG_DMARC | PC_MSG_REPLY: return &dmarc_rep;
    case PC_MSG_SPF | PC_MSG_REPLY:
    case PC_MSG_DKIM | PC_MSG_REPLY: return &record_rep;
    case PC_MSG_SPF_CHECK | PC_MSG_REPLY: return &spf_check_rep;
    case PC_MSG_DMARC_EVAL | PC_MSG_REPLY: return &dmarc_eval_rep;
    case PC_MSG_STATS | PC_MSG_REPLY: return &stats_rep;
    case PC_MSG_FLUSH | PC_MSG_REPLY:
    case PC_MSG_CANCEL | PC_MSG_REPLY: return &count_rep;
    case PC_MSG_DUMP | PC_MSG_REPLY: return &dump_rep;
    case PC_MSG_ERROR_REPLY: return &error_rep;
    default: return NULL;
    }
}
