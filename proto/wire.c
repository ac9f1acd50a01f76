/*
 * wire.c - encoder and decoder of protocol v1 frames. The decoder never
 * reads outside its buffer, never allocates, and checks every field against
 * the tables in wire_spec.c. The encoder grows a buffer up to a hard limit.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "polcache/error.h"
#include "utf8.h"
#include "wire.h"
#include "wire_spec.h"

#define MAX_SPEC_FIELDS 32

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

int pc_hdr_decode(const uint8_t *buf, size_t len, pc_hdr_t *out)
{
    if (buf == NULL || out == NULL)
        return PC_EINVAL;
    if (len < PC_WIRE_HDR_LEN)
        return PC_ETRUNC;
    if (buf[0] != PC_WIRE_MAGIC0 || buf[1] != PC_WIRE_MAGIC1)
        return PC_EMAGIC;
    out->version = buf[2];
    out->type = buf[3];
    out->flags = get16(buf + 4);
    out->id = get32(buf + 8);
    out->length = get32(buf + 12);
    if (out->version != PC_WIRE_VERSION)
        return PC_EVERSION;
    if (out->length > PC_WIRE_MAX_BODY)
        return PC_ETOOBIG;
    if (buf[6] != 0 || buf[7] != 0)
        return PC_EMALFORMED;
    if (pc_wire_spec(out->type) == NULL)
        return PC_EMSGTYPE;
    if (out->flags & ~PC_F_KNOWN)
        return PC_EFLAGS;
    return 0;
}

void pc_hdr_encode(const pc_hdr_t *h, uint8_t *out)
{
    out[0] = PC_WIRE_MAGIC0;
    out[1] = PC_WIRE_MAGIC1;
    out[2] = h->version;
    out[3] = h->type;
    put16(out + 4, h->flags);
    out[6] = 0;
    out[7] = 0;
    put32(out + 8, h->id);
    put32(out + 12, h->length);
}

static int check_value(const pc_field_spec_t *f, const pc_tlv_t *t)
{
    int nonascii;

    if (t->len < f->min_len || t->len > f->max_len)
        return t->len > f->max_len ? PC_ETOOBIG : PC_EMALFORMED;
    switch (f->vclass) {
    case PC_V_U8:
        if (t->val[0] < f->min_val || t->val[0] > f->max_val)
            return PC_EMALFORMED;
        return 0;
    case PC_V_U32:
    case PC_V_I32:
    case PC_V_U64:
    case PC_V_BYTES:
        return 0;
    case PC_V_IP:
        return (t->len == 4 || t->len == 16) ? 0 : PC_EMALFORMED;
    case PC_V_NAME:
        return memchr(t->val, 0, t->len) == NULL ? 0 : PC_EBADSTR;
    case PC_V_TEXT:
        for (uint16_t i = 0; i < t->len; i++) {
            if ((t->val[i] < 0x20 && t->val[i] != '\t') || t->val[i] == 0x7f)
                return PC_EBADSTR;
        }
        return pc_utf8_valid(t->val, t->len, &nonascii) ? 0 : PC_EBADSTR;
    default:
        return PC_EMALFORMED;
    }
}

/*
 * Decode and check one TLV sequence against a set spec. Known TLVs are
 * stored in out (if not NULL, up to cap); nested sets are checked
 * recursively (depth 1 only: a nested set has no nested fields).
 */
static int decode_set(const pc_set_spec_t *spec, const uint8_t *p, size_t len,
                      pc_tlv_t *out, size_t cap, uint16_t *nout,
                      uint16_t *skipped, int depth)
{
    unsigned counts[MAX_SPEC_FIELDS] = {0};
    size_t pos = 0, n = 0;
    int rc;

    if (spec->nfields > MAX_SPEC_FIELDS)
        return PC_EINVAL;
    while (pos < len) {
        const pc_field_spec_t *f = NULL;
        pc_tlv_t t;
        uint16_t raw;
        size_t i;

        if (len - pos < PC_TLV_HDR_LEN)
            return PC_EMALFORMED;
        raw = get16(p + pos);
        t.type = raw & (uint16_t)~PC_TLV_CRITICAL;
        t.len = get16(p + pos + 2);
        if (len - pos - PC_TLV_HDR_LEN < t.len)
            return PC_EMALFORMED;
        t.val = p + pos + PC_TLV_HDR_LEN;
        pos += PC_TLV_HDR_LEN + (size_t)t.len;

        for (i = 0; i < spec->nfields; i++) {
            if (spec->fields[i].type == t.type) {
                f = &spec->fields[i];
                break;
            }
        }
        if (f == NULL) {
            if (raw & PC_TLV_CRITICAL)
                return PC_ECRITICAL;
            if (skipped != NULL && *skipped < UINT16_MAX)
                (*skipped)++;
            continue;
        }
        if (++counts[i] > f->max_count)
            return PC_EDUP;
        if (n >= cap)
            return PC_ETOOBIG;
        if (f->vclass == PC_V_NESTED) {
            pc_tlv_t inner[PC_WIRE_MAX_NESTED];
            uint16_t ninner = 0;
            if (depth > 0 || f->nested == NULL)
                return PC_EMALFORMED;
            rc = decode_set(f->nested, t.val, t.len, inner, PC_WIRE_MAX_NESTED,
                            &ninner, NULL, depth + 1);
            if (rc != 0)
                return rc;
        } else if ((rc = check_value(f, &t)) != 0) {
            return rc;
        }
        if (out != NULL)
            out[n] = t;
        n++;
    }
    for (size_t i = 0; i < spec->nfields; i++) {
        if (spec->fields[i].required && counts[i] == 0)
            return PC_EMISSING;
    }
    if (nout != NULL)
        *nout = (uint16_t)n;
    if (spec->check != NULL && out != NULL)
        return spec->check(out, n);
    return 0;
}

int pc_msg_decode(const uint8_t *buf, size_t len, pc_msg_t *out)
{
    const pc_set_spec_t *spec;
    int rc;

    if (buf == NULL || out == NULL)
        return PC_EINVAL;
    out->ntlv = 0;
    out->skipped = 0;
    rc = pc_hdr_decode(buf, len, &out->hdr);
    if (rc != 0)
        return rc;
    if (len - PC_WIRE_HDR_LEN < out->hdr.length)
        return PC_ETRUNC;
    if (len - PC_WIRE_HDR_LEN > out->hdr.length)
        return PC_EMALFORMED;
    spec = pc_wire_spec(out->hdr.type);
    rc = decode_set(spec, buf + PC_WIRE_HDR_LEN, out->hdr.length, out->tlv,
                    PC_WIRE_MAX_TLVS, &out->ntlv, &out->skipped, 0);
    if (rc != 0)
        out->ntlv = 0;
    return rc;
}

int pc_wire_check_set(const pc_set_spec_t *spec, const uint8_t *p, size_t len)
{
    uint16_t n = 0;

    /* without an output array the cross-field rule is not run: only sets
     * without one (the cache body) are checked this way */
    if (spec == NULL || spec->check != NULL || (p == NULL && len > 0))
        return PC_EINVAL;
    return decode_set(spec, p, len, NULL, SIZE_MAX, &n, NULL, 0);
}

int pc_wire_check_cache_body(const uint8_t *p, size_t len)
{
    return pc_wire_check_set(pc_wire_cache_spec(), p, len);
}

const pc_tlv_t *pc_msg_find(const pc_msg_t *m, uint16_t type)
{
    if (m == NULL)
        return NULL;
    for (uint16_t i = 0; i < m->ntlv; i++) {
        if (m->tlv[i].type == type)
            return &m->tlv[i];
    }
    return NULL;
}

uint8_t pc_tlv_u8(const pc_tlv_t *t)
{
    return (t != NULL && t->len >= 1) ? t->val[0] : 0;
}

uint32_t pc_tlv_u32(const pc_tlv_t *t)
{
    return (t != NULL && t->len >= 4) ? get32(t->val) : 0;
}

int32_t pc_tlv_i32(const pc_tlv_t *t)
{
    uint32_t u = pc_tlv_u32(t);
    /* two's complement without implementation-defined conversion */
    return u <= INT32_MAX ? (int32_t)u : (int32_t)(u - 2147483648u) - 2147483647 - 1;
}

uint64_t pc_tlv_u64(const pc_tlv_t *t)
{
    if (t == NULL || t->len < 8)
        return 0;
    return (uint64_t)get32(t->val) << 32 | get32(t->val + 4);
}

int pc_tlv_copy_text(const pc_tlv_t *t, char *out, size_t cap)
{
    if (t == NULL || out == NULL || cap == 0)
        return PC_EINVAL;
    if ((size_t)t->len + 1 > cap) {
        out[0] = '\0';
        return PC_ETOOBIG;
    }
    memcpy(out, t->val, t->len);
    out[t->len] = '\0';
    return t->len;
}

int pc_tlv_next(const pc_tlv_t *parent, pc_tlv_t *it)
{
    size_t pos;

    if (parent == NULL || it == NULL)
        return 0;
    pos = it->val == NULL ? 0 : (size_t)(it->val - parent->val) + it->len;
    while (pos + PC_TLV_HDR_LEN <= parent->len) {
        uint16_t len = get16(parent->val + pos + 2);
        if (pos + PC_TLV_HDR_LEN + len > parent->len)
            return 0;
        it->type = get16(parent->val + pos) & (uint16_t)~PC_TLV_CRITICAL;
        it->len = len;
        it->val = parent->val + pos + PC_TLV_HDR_LEN;
        return 1;
    }
    return 0;
}

int pc_tlv_find(const pc_tlv_t *parent, uint16_t type, pc_tlv_t *out)
{
    pc_tlv_t it = {0, 0, NULL};

    while (pc_tlv_next(parent, &it)) {
        if (it.type == type) {
            if (out != NULL)
                *out = it;
            return 1;
        }
    }
    return 0;
}

/* ---- encoder ---- */

void pc_wbuf_init(pc_wbuf_t *b, size_t limit)
{
    memset(b, 0, sizeof(*b));
    b->limit = limit ? limit : PC_WIRE_MAX_FRAME;
}

void pc_wbuf_free(pc_wbuf_t *b)
{
    if (b == NULL)
        return;
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void pc_wbuf_reset(pc_wbuf_t *b)
{
    b->len = 0;
    b->depth = 0;
    b->open = 0;
    b->err = 0;
}

void pc_wbuf_consume(pc_wbuf_t *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
    if (b->open)
        b->frame -= n;
}

static uint8_t *reserve(pc_wbuf_t *b, size_t n)
{
    if (b->err != 0)
        return NULL;
    if (!b->open) {
        b->err = PC_EINVAL;
        return NULL;
    }
    if (b->len + n - b->frame > PC_WIRE_MAX_FRAME || b->len + n > b->limit) {
        b->err = PC_ETOOBIG;
        return NULL;
    }
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        uint8_t *p;
        while (cap < b->len + n)
            cap *= 2;
        if (cap > b->limit)
            cap = b->limit;
        p = realloc(b->data, cap);
        if (p == NULL) {
            b->err = PC_ENOMEM;
            return NULL;
        }
        b->data = p;
        b->cap = cap;
    }
    b->len += n;
    return b->data + b->len - n;
}

void pc_wbuf_frame_begin(pc_wbuf_t *b, uint8_t type, uint16_t flags, uint32_t id)
{
    pc_hdr_t h = {PC_WIRE_VERSION, type, flags, id, 0};
    uint8_t *p;

    if (b->open) {
        b->err = PC_EINVAL;
        return;
    }
    b->frame = b->len;
    b->open = 1;
    b->depth = 0;
    b->err = 0;
    p = reserve(b, PC_WIRE_HDR_LEN);
    if (p != NULL)
        pc_hdr_encode(&h, p);
}

void pc_wbuf_block_begin(pc_wbuf_t *b)
{
    if (b->open) {
        b->err = PC_EINVAL;
        return;
    }
    b->frame = b->len;
    b->open = 1;
    b->depth = 0;
    b->err = 0;
}

int pc_wbuf_block_end(pc_wbuf_t *b)
{
    int rc;

    if (!b->open)
        return PC_EINVAL;
    if (b->err == 0 && b->depth != 0)
        b->err = PC_EINVAL;
    rc = b->err != 0 ? b->err : (int)(b->len - b->frame);
    if (b->err != 0)
        b->len = b->frame;
    b->open = 0;
    b->depth = 0;
    b->err = 0;
    return rc;
}

static void put_tlv(pc_wbuf_t *b, uint16_t type, const void *v, size_t n)
{
    uint8_t *p;

    if (n > 0xffff) {
        if (b->err == 0)
            b->err = PC_ETOOBIG;
        return;
    }
    p = reserve(b, PC_TLV_HDR_LEN + n);
    if (p == NULL)
        return;
    put16(p, type);
    put16(p + 2, (uint16_t)n);
    if (n > 0)
        memcpy(p + PC_TLV_HDR_LEN, v, n);
}

void pc_wbuf_raw(pc_wbuf_t *b, const void *p, size_t n)
{
    uint8_t *o = reserve(b, n);
    if (o != NULL && n > 0)
        memcpy(o, p, n);
}

void pc_wbuf_u8(pc_wbuf_t *b, uint16_t type, uint8_t v)
{
    put_tlv(b, type, &v, 1);
}

void pc_wbuf_u32(pc_wbuf_t *b, uint16_t type, uint32_t v)
{
    uint8_t o[4];
    put32(o, v);
    put_tlv(b, type, o, 4);
}

void pc_wbuf_i32(pc_wbuf_t *b, uint16_t type, int32_t v)
{
    pc_wbuf_u32(b, type, (uint32_t)v);
}

void pc_wbuf_u64(pc_wbuf_t *b, uint16_t type, uint64_t v)
{
    uint8_t o[8];
    put32(o, (uint32_t)(v >> 32));
    put32(o + 4, (uint32_t)v);
    put_tlv(b, type, o, 8);
}

void pc_wbuf_bytes(pc_wbuf_t *b, uint16_t type, const void *p, size_t n)
{
    put_tlv(b, type, p, n);
}

void pc_wbuf_str(pc_wbuf_t *b, uint16_t type, const char *s)
{
    size_t n = s != NULL ? strlen(s) : 0;
    uint8_t *p;

    if (n > 0xffff) {
        if (b->err == 0)
            b->err = PC_ETOOBIG;
        return;
    }
    p = reserve(b, PC_TLV_HDR_LEN + n);
    if (p == NULL)
        return;
    put16(p, type);
    put16(p + 2, (uint16_t)n);
    /* Text fields must decode as PC_V_TEXT: replace control characters and
     * octets that are not valid UTF-8 with '?'. */
    for (size_t i = 0; i < n;) {
        const uint8_t *c = (const uint8_t *)s + i;
        size_t k = *c < 0x80 ? 1 : (*c >= 0xf0 ? 4 : (*c >= 0xe0 ? 3 : 2));
        if (*c < 0x80) {
            p[PC_TLV_HDR_LEN + i] = ((*c < 0x20 && *c != '\t') || *c == 0x7f) ? '?' : *c;
        } else if (k <= n - i && pc_utf8_valid(c, k, NULL)) {
            memcpy(p + PC_TLV_HDR_LEN + i, c, k);
            i += k;
            continue;
        } else {
            p[PC_TLV_HDR_LEN + i] = '?';
        }
        i++;
    }
}

void pc_wbuf_nest_begin(pc_wbuf_t *b, uint16_t type)
{
    uint8_t *p;

    if (b->err != 0)
        return;
    if (b->depth >= 2) {
        b->err = PC_EINVAL;
        return;
    }
    p = reserve(b, PC_TLV_HDR_LEN);
    if (p == NULL)
        return;
    put16(p, type);
    put16(p + 2, 0);
    b->nest[b->depth++] = b->len - PC_TLV_HDR_LEN;
}

void pc_wbuf_nest_end(pc_wbuf_t *b)
{
    size_t at, n;

    if (b->err != 0)
        return;
    if (b->depth == 0) {
        b->err = PC_EINVAL;
        return;
    }
    at = b->nest[--b->depth];
    n = b->len - at - PC_TLV_HDR_LEN;
    if (n > 0xffff) {
        b->err = PC_ETOOBIG;
        return;
    }
    put16(b->data + at + 2, (uint16_t)n);
}

int pc_wbuf_frame_end(pc_wbuf_t *b)
{
    int rc;

    if (!b->open)
        return PC_EINVAL;
    if (b->err == 0 && b->depth != 0)
        b->err = PC_EINVAL;
    rc = b->err;
    if (rc == 0)
        put32(b->data + b->frame + 12, (uint32_t)(b->len - b->frame - PC_WIRE_HDR_LEN));
    else
        b->len = b->frame; /* drop the failed frame */
    b->open = 0;
    b->depth = 0;
    b->err = 0;
    return rc;
}

void pc_wbuf_frame_abort(pc_wbuf_t *b)
{
    if (!b->open)
        return;
    b->len = b->frame;
    b->open = 0;
    b->depth = 0;
    b->err = 0;
}

void pc_wbuf_frame_flags(pc_wbuf_t *b, uint16_t flags)
{
    if (b->open && b->err == 0 && b->len >= b->frame + PC_WIRE_HDR_LEN)
        put16(b->data + b->frame + 4, flags);
}

const char *pc_msg_type_name(uint8_t type)
{
    static const char *const names[] = {
        "?", "ping", "dmarc", "spf", "dkim", "spf-check", "dmarc-eval",
        "stats", "flush", "dump", "cancel"};
    uint8_t base = type & (uint8_t)~PC_MSG_REPLY;

    if (base == PC_MSG_ERROR)
        return "error";
    if (base >= 1 && base < sizeof(names) / sizeof(names[0]))
        return names[base];
    return "unknown";
}

const char *pc_tlv_type_name(uint16_t type)
{
    switch (type & (uint16_t)~PC_TLV_CRITICAL) {
#define N(t, s) case t: return s;
    N(PC_T_DOMAIN, "domain") N(PC_T_SELECTOR, "selector")
    N(PC_T_CLIENT_IP, "client-ip") N(PC_T_MAILFROM, "mailfrom")
    N(PC_T_HELO, "helo") N(PC_T_SPF_RESULT, "spf-result")
    N(PC_T_SPF_DOMAIN, "spf-domain") N(PC_T_SPF_SCOPE, "spf-scope")
    N(PC_T_DKIM, "dkim") N(PC_T_DKIM_D, "dkim-d") N(PC_T_DKIM_S, "dkim-s")
    N(PC_T_DKIM_RESULT, "dkim-result") N(PC_T_ALL, "all")
    N(PC_T_RTYPE, "rtype") N(PC_T_SUFFIX, "suffix")
    N(PC_T_DNSSEC_FILTER, "dnssec-filter") N(PC_T_EXPIRED, "expired")
    N(PC_T_CURSOR, "cursor") N(PC_T_LIMIT, "limit")
    N(PC_T_TARGET_ID, "target-id") N(PC_T_OUTCOME, "outcome")
    N(PC_T_DNSSEC, "dnssec") N(PC_T_CACHE, "cache") N(PC_T_TTL, "ttl")
    N(PC_T_AGE, "age") N(PC_T_RAW, "raw") N(PC_T_FIELD, "field")
    N(PC_T_FIELD_NAME, "field-name") N(PC_T_FIELD_VALUE, "field-value")
    N(PC_T_FIELD_FLAGS, "field-flags") N(PC_T_WARNING, "warning")
    N(PC_T_WHY, "why") N(PC_T_QNAME, "qname")
    N(PC_T_ERROR_CODE, "error-code") N(PC_T_MESSAGE, "message")
    N(PC_T_VERSION, "version") N(PC_T_STAT, "stat")
    N(PC_T_STAT_NAME, "stat-name") N(PC_T_STAT_VALUE, "stat-value")
    N(PC_T_ENTRY, "entry") N(PC_T_NEXT_CURSOR, "next-cursor")
    N(PC_T_COUNT, "count") N(PC_T_PROTO_VERSION, "proto-version")
    N(PC_T_RDATA, "rdata") N(PC_T_DISCOVER, "discover") N(PC_T_METHOD, "method")
    N(PC_T_ORG_DOMAIN, "org-domain") N(PC_T_POLICY_DOMAIN, "policy-domain")
    N(PC_T_WALK, "walk") N(PC_T_PSD, "psd") N(PC_T_EXISTS, "exists")
    N(PC_T_SPF_MATCHED, "spf-matched") N(PC_T_SPF_TERM_DOMAIN, "spf-term-domain")
    N(PC_T_SPF_LOOKUPS, "spf-lookups") N(PC_T_SPF_VOID_LOOKUPS, "spf-void-lookups")
#undef N
    default:
        return "unknown";
    }
}
