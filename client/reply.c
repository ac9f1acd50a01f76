/*
 * reply.c - the reply decoder: from a reply frame that pc_msg_decode has
 * checked against the protocol's tables to the public result structures.
 * Each result is one malloc'd block (the struct, its arrays, then its
 * strings), counted in a first pass and filled in a second, so the
 * paired _free is a single free() and nothing points into the frame.
 */
#include <stdalign.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"

#define ALIGN_UP(n) (((n) + alignof(max_align_t) - 1) & ~(alignof(max_align_t) - 1))

/* A block being filled: arrays first, then NUL-terminated strings. */
typedef struct blk {
    char *base;
    size_t off;   /* next free octet for arrays */
    char *str;    /* next free octet for strings */
} blk_t;

static void *blk_alloc(size_t head, size_t strings, blk_t *b)
{
    size_t total = ALIGN_UP(head) + strings;

    b->base = calloc(1, total > 0 ? total : 1);
    b->off = 0;
    b->str = b->base != NULL ? b->base + ALIGN_UP(head) : NULL;
    return b->base;
}

/* Take n octets of array space, aligned for any type. */
static void *blk_take(blk_t *b, size_t n)
{
    void *p = b->base + b->off;
    b->off += ALIGN_UP(n);
    return p;
}

static const char *blk_str(blk_t *b, const pc_tlv_t *t)
{
    char *s = b->str;
    size_t n = t != NULL ? t->len : 0;

    if (n > 0)
        memcpy(s, t->val, n);
    s[n] = '\0';
    b->str += n + 1;
    return s;
}

/* Space for one string copy of a field (its NUL included). */
static size_t str_need(const pc_tlv_t *t)
{
    return (t != NULL ? t->len : 0) + 1;
}

static int nested(const pc_tlv_t *parent, uint16_t type, pc_tlv_t *out)
{
    memset(out, 0, sizeof(*out));
    return pc_tlv_find(parent, type, out);
}

/* ---- record replies ---- */

static pc_rtype_t rtype_of(uint8_t req_type)
{
    switch (req_type) {
    case PC_MSG_DMARC:
        return PC_RT_DMARC;
    case PC_MSG_SPF:
        return PC_RT_SPF;
    case PC_MSG_DKIM:
        return PC_RT_DKIM;
    default:
        return PC_RT_NONE;
    }
}

static int decode_record(uint8_t req_type, const pc_msg_t *m, pc_result_t **out)
{
    size_t nf = 0, nw = 0, nwalk = 0, strings = 0, head;
    const pc_tlv_t *t;
    pc_field_t *fields;
    const char **warns;
    pc_walk_t *walk;
    pc_result_t *r;
    blk_t b;

    strings += str_need(pc_msg_find(m, PC_T_QNAME)) + str_need(pc_msg_find(m, PC_T_RAW)) +
               str_need(pc_msg_find(m, PC_T_WHY)) + str_need(pc_msg_find(m, PC_T_ORG_DOMAIN)) +
               str_need(pc_msg_find(m, PC_T_POLICY_DOMAIN));
    for (uint16_t i = 0; i < m->ntlv; i++) {
        pc_tlv_t n, v;
        t = &m->tlv[i];
        if (t->type == PC_T_FIELD) {
            nested(t, PC_T_FIELD_NAME, &n);
            nested(t, PC_T_FIELD_VALUE, &v);
            strings += str_need(&n) + str_need(&v);
            nf++;
        } else if (t->type == PC_T_WARNING) {
            strings += str_need(t);
            nw++;
        } else if (t->type == PC_T_WALK) {
            nested(t, PC_T_QNAME, &n);
            strings += str_need(&n);
            nwalk++;
        }
    }
    head = ALIGN_UP(sizeof(*r)) + ALIGN_UP(nf * sizeof(*fields)) +
           ALIGN_UP(nw * sizeof(*warns)) + ALIGN_UP(nwalk * sizeof(*walk));
    if (blk_alloc(head, strings, &b) == NULL)
        return PC_ENOMEM;
    r = blk_take(&b, sizeof(*r));
    fields = blk_take(&b, nf * sizeof(*fields));
    warns = blk_take(&b, nw * sizeof(*warns));
    walk = blk_take(&b, nwalk * sizeof(*walk));
    r->rtype = rtype_of(req_type);
    r->outcome = (pc_outcome_t)pc_tlv_u8(pc_msg_find(m, PC_T_OUTCOME));
    r->dnssec = (pc_dnssec_t)pc_tlv_u8(pc_msg_find(m, PC_T_DNSSEC));
    r->cache = (pc_cache_state_t)pc_tlv_u8(pc_msg_find(m, PC_T_CACHE));
    r->ttl = pc_tlv_u32(pc_msg_find(m, PC_T_TTL));
    r->age = pc_tlv_u32(pc_msg_find(m, PC_T_AGE));
    r->qname = blk_str(&b, pc_msg_find(m, PC_T_QNAME));
    t = pc_msg_find(m, PC_T_RAW);
    r->raw_len = t != NULL ? t->len : 0;
    r->raw = blk_str(&b, t);
    r->why = blk_str(&b, pc_msg_find(m, PC_T_WHY));
    r->method = pc_tlv_u8(pc_msg_find(m, PC_T_METHOD));
    r->org_domain = blk_str(&b, pc_msg_find(m, PC_T_ORG_DOMAIN));
    r->policy_domain = blk_str(&b, pc_msg_find(m, PC_T_POLICY_DOMAIN));
    r->exists = pc_tlv_u8(pc_msg_find(m, PC_T_EXISTS));
    r->fields = fields;
    r->warnings = warns;
    r->walk = walk;
    for (uint16_t i = 0; i < m->ntlv; i++) {
        t = &m->tlv[i];
        if (t->type == PC_T_FIELD) {
            pc_field_t *f = &fields[r->nfields++];
            pc_tlv_t n, v, fl;
            nested(t, PC_T_FIELD_NAME, &n);
            nested(t, PC_T_FIELD_VALUE, &v);
            f->name = blk_str(&b, &n);
            f->value = blk_str(&b, &v);
            f->value_len = v.len;
            f->in_record = nested(t, PC_T_FIELD_FLAGS, &fl) && pc_tlv_u8(&fl) == 1;
        } else if (t->type == PC_T_WARNING) {
            warns[r->nwarnings++] = blk_str(&b, t);
        } else if (t->type == PC_T_WALK) {
            pc_walk_t *w = &walk[r->nwalk++];
            pc_tlv_t v;
            nested(t, PC_T_QNAME, &v);
            w->qname = blk_str(&b, &v);
            w->outcome = nested(t, PC_T_OUTCOME, &v) ? (pc_outcome_t)pc_tlv_u8(&v) : PC_OUTCOME_UNSET;
            w->dnssec = nested(t, PC_T_DNSSEC, &v) ? (pc_dnssec_t)pc_tlv_u8(&v) : PC_DNSSEC_NONE;
            w->cache = nested(t, PC_T_CACHE, &v) ? (pc_cache_state_t)pc_tlv_u8(&v) : PC_CACHE_NONE;
            w->psd = nested(t, PC_T_PSD, &v) ? pc_tlv_u8(&v) : PC_PSD_NONE;
        }
    }
    *out = r;
    return 0;
}

/* ---- stats ---- */

static int decode_stats(const pc_msg_t *m, pc_stats_t **out)
{
    size_t n = 0, strings = 0;
    pc_stats_t *s;
    pc_stat_t *items;
    blk_t b;

    for (uint16_t i = 0; i < m->ntlv; i++) {
        pc_tlv_t name;
        if (m->tlv[i].type != PC_T_STAT)
            continue;
        nested(&m->tlv[i], PC_T_STAT_NAME, &name);
        strings += str_need(&name);
        n++;
    }
    if (blk_alloc(ALIGN_UP(sizeof(*s)) + ALIGN_UP(n * sizeof(*items)), strings, &b) == NULL)
        return PC_ENOMEM;
    s = blk_take(&b, sizeof(*s));
    items = blk_take(&b, n * sizeof(*items));
    s->items = items;
    for (uint16_t i = 0; i < m->ntlv; i++) {
        pc_tlv_t name, val;
        if (m->tlv[i].type != PC_T_STAT)
            continue;
        nested(&m->tlv[i], PC_T_STAT_NAME, &name);
        items[s->count].name = blk_str(&b, &name);
        items[s->count].value = nested(&m->tlv[i], PC_T_STAT_VALUE, &val) ? pc_tlv_u64(&val) : 0;
        s->count++;
    }
    *out = s;
    return 0;
}

/* ---- dump ---- */

static int decode_dump(const pc_msg_t *m, pc_dump_page_t **out)
{
    size_t n = 0, strings = 0;
    const pc_tlv_t *cur = pc_msg_find(m, PC_T_NEXT_CURSOR);
    pc_dump_entry_t *entries;
    pc_dump_page_t *p;
    blk_t b;

    if (cur != NULL && (cur->len == 0 || cur->len > PC_DUMP_CURSOR_MAX))
        return PC_EMALFORMED;
    if ((m->hdr.flags & PC_F_MORE) && cur == NULL)
        return PC_EMALFORMED; /* "more" with no way to ask for it */
    for (uint16_t i = 0; i < m->ntlv; i++) {
        pc_tlv_t q, raw, why;
        if (m->tlv[i].type != PC_T_ENTRY)
            continue;
        nested(&m->tlv[i], PC_T_QNAME, &q);
        nested(&m->tlv[i], PC_T_RAW, &raw);
        nested(&m->tlv[i], PC_T_WHY, &why);
        strings += str_need(&q) + str_need(&raw) + str_need(&why);
        n++;
    }
    if (blk_alloc(ALIGN_UP(sizeof(*p)) + ALIGN_UP(n * sizeof(*entries)), strings, &b) == NULL)
        return PC_ENOMEM;
    p = blk_take(&b, sizeof(*p));
    entries = blk_take(&b, n * sizeof(*entries));
    p->entries = entries;
    for (uint16_t i = 0; i < m->ntlv; i++) {
        const pc_tlv_t *e = &m->tlv[i];
        pc_dump_entry_t *d;
        pc_tlv_t v;
        if (e->type != PC_T_ENTRY)
            continue;
        d = &entries[p->count++];
        d->rtype = nested(e, PC_T_RTYPE, &v) ? (pc_rtype_t)pc_tlv_u8(&v) : PC_RT_NONE;
        d->outcome = nested(e, PC_T_OUTCOME, &v) ? (pc_outcome_t)pc_tlv_u8(&v) : PC_OUTCOME_UNSET;
        d->dnssec = nested(e, PC_T_DNSSEC, &v) ? (pc_dnssec_t)pc_tlv_u8(&v) : PC_DNSSEC_NONE;
        d->ttl = nested(e, PC_T_TTL, &v) ? pc_tlv_u32(&v) : 0;
        d->age = nested(e, PC_T_AGE, &v) ? pc_tlv_u32(&v) : 0;
        nested(e, PC_T_QNAME, &v);
        d->qname = blk_str(&b, &v);
        nested(e, PC_T_RAW, &v);
        d->raw_len = v.len;
        d->raw = blk_str(&b, &v);
        nested(e, PC_T_WHY, &v);
        d->why = blk_str(&b, &v);
    }
    if (cur != NULL) {
        memcpy(p->cursor, cur->val, cur->len);
        p->cursor_len = cur->len;
        p->more = (m->hdr.flags & PC_F_MORE) != 0;
    }
    *out = p;
    return 0;
}

/* ---- SPF check ---- */

static int decode_spf_check(const pc_msg_t *m, pc_spf_check_t **out)
{
    static const uint16_t texts[] = {PC_T_SPF_DOMAIN,      PC_T_SPF_MATCHED,
                                     PC_T_SPF_TERM_DOMAIN, PC_T_WHY,
                                     PC_T_SPF_EXPLANATION, PC_T_AUTH_RESULTS,
                                     PC_T_RECEIVED_SPF};
    size_t strings = 0;
    pc_spf_check_t *r;
    blk_t b;

    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
        strings += str_need(pc_msg_find(m, texts[i]));
    if (blk_alloc(ALIGN_UP(sizeof(*r)), strings, &b) == NULL)
        return PC_ENOMEM;
    r = blk_take(&b, sizeof(*r));
    r->result = (pc_spf_result_t)pc_tlv_u8(pc_msg_find(m, PC_T_SPF_RESULT));
    r->scope = pc_tlv_u8(pc_msg_find(m, PC_T_SPF_SCOPE));
    r->domain = blk_str(&b, pc_msg_find(m, PC_T_SPF_DOMAIN));
    r->matched = blk_str(&b, pc_msg_find(m, PC_T_SPF_MATCHED));
    r->term_domain = blk_str(&b, pc_msg_find(m, PC_T_SPF_TERM_DOMAIN));
    r->why = blk_str(&b, pc_msg_find(m, PC_T_WHY));
    r->explanation = blk_str(&b, pc_msg_find(m, PC_T_SPF_EXPLANATION));
    r->auth_results = blk_str(&b, pc_msg_find(m, PC_T_AUTH_RESULTS));
    r->received_spf = blk_str(&b, pc_msg_find(m, PC_T_RECEIVED_SPF));
    r->lookups = pc_tlv_u32(pc_msg_find(m, PC_T_SPF_LOOKUPS));
    r->void_lookups = pc_tlv_u32(pc_msg_find(m, PC_T_SPF_VOID_LOOKUPS));
    r->cache = (pc_cache_state_t)pc_tlv_u8(pc_msg_find(m, PC_T_CACHE));
    r->dnssec = (pc_dnssec_t)pc_tlv_u8(pc_msg_find(m, PC_T_DNSSEC));
    r->ttl = pc_tlv_u32(pc_msg_find(m, PC_T_TTL)); /* 0 (no reuse) from an older daemon */
    *out = r;
    return 0;
}

/* ---- DMARC evaluation ---- */

static const uint16_t eval_texts[] = {
    PC_T_WHY, PC_T_POLICY_TAG, PC_T_POLICY, PC_T_DISPOSITION, PC_T_RECOMMENDED, PC_T_RUA,
    PC_T_RUF, PC_T_AUTH_RESULTS, PC_T_ORG_DOMAIN, PC_T_POLICY_DOMAIN, PC_T_SPF_DOMAIN,
};
#define EVAL_NTEXTS (sizeof(eval_texts) / sizeof(eval_texts[0]))

static void decode_ident(blk_t *b, const pc_tlv_t *t, pc_eval_ident_t *d)
{
    pc_tlv_t v;

    d->kind = nested(t, PC_T_ALIGN_KIND, &v) ? pc_tlv_u8(&v) : 0;
    nested(t, PC_T_QNAME, &v);
    d->domain = blk_str(b, &v);
    nested(t, PC_T_DKIM_S, &v);
    d->selector = blk_str(b, &v);
    d->result = nested(t, PC_T_ALIGN_RESULT, &v) ? pc_tlv_u8(&v) : 0;
    d->mode = nested(t, PC_T_ALIGN_MODE, &v) ? (char)pc_tlv_u8(&v) : 0;
    if (d->mode != 's' && d->mode != 'r')
        d->mode = 0;
    d->aligned = nested(t, PC_T_ALIGNED, &v) ? pc_tlv_u8(&v) : PC_ALIGNED_UNKNOWN;
    nested(t, PC_T_ORG_DOMAIN, &v);
    d->org_domain = blk_str(b, &v);
}

static int decode_eval(const pc_msg_t *m, pc_eval_result_t **out)
{
    const char **dst[EVAL_NTEXTS];
    size_t n = 0, strings = 0;
    pc_eval_ident_t *idents;
    pc_eval_result_t *r;
    blk_t b;

    for (size_t i = 0; i < EVAL_NTEXTS; i++)
        strings += str_need(pc_msg_find(m, eval_texts[i]));
    for (uint16_t i = 0; i < m->ntlv; i++) {
        pc_tlv_t v;
        if (m->tlv[i].type != PC_T_ALIGN)
            continue;
        strings += str_need(nested(&m->tlv[i], PC_T_QNAME, &v) ? &v : NULL);
        strings += str_need(nested(&m->tlv[i], PC_T_DKIM_S, &v) ? &v : NULL);
        strings += str_need(nested(&m->tlv[i], PC_T_ORG_DOMAIN, &v) ? &v : NULL);
        n++;
    }
    if (blk_alloc(ALIGN_UP(sizeof(*r)) + ALIGN_UP(n * sizeof(*idents)), strings, &b) == NULL)
        return PC_ENOMEM;
    r = blk_take(&b, sizeof(*r));
    idents = blk_take(&b, n * sizeof(*idents));
    dst[0] = &r->why;
    dst[1] = &r->policy_tag;
    dst[2] = &r->policy;
    dst[3] = &r->disposition;
    dst[4] = &r->recommended;
    dst[5] = &r->rua;
    dst[6] = &r->ruf;
    dst[7] = &r->auth_results;
    dst[8] = &r->org_domain;
    dst[9] = &r->policy_domain;
    dst[10] = &r->spf_domain;
    for (size_t i = 0; i < EVAL_NTEXTS; i++)
        *dst[i] = blk_str(&b, pc_msg_find(m, eval_texts[i]));
    r->result = (pc_dmarc_result_t)pc_tlv_u8(pc_msg_find(m, PC_T_DMARC_RESULT));
    r->dnssec = (pc_dnssec_t)pc_tlv_u8(pc_msg_find(m, PC_T_DNSSEC));
    r->testing = pc_tlv_u8(pc_msg_find(m, PC_T_TESTING));
    r->pct = pc_msg_find(m, PC_T_PCT) != NULL ? pc_tlv_u8(pc_msg_find(m, PC_T_PCT)) : 100;
    r->sampled_out = pc_tlv_u8(pc_msg_find(m, PC_T_SAMPLED_OUT));
    r->method = pc_tlv_u8(pc_msg_find(m, PC_T_METHOD));
    r->spf_result = (pc_spf_result_t)pc_tlv_u8(pc_msg_find(m, PC_T_SPF_RESULT));
    r->ttl = pc_tlv_u32(pc_msg_find(m, PC_T_TTL)); /* 0 (no reuse) from an older daemon */
    r->idents = idents;
    for (uint16_t i = 0; i < m->ntlv; i++) {
        if (m->tlv[i].type == PC_T_ALIGN)
            decode_ident(&b, &m->tlv[i], &idents[r->nidents++]);
    }
    *out = r;
    return 0;
}

/* ---- dispatch ---- */

int pcc_reply_decode(uint8_t req_type, const pc_msg_t *m, pcc_reply_t *out)
{
    const pc_tlv_t *t;

    memset(out, 0, sizeof(*out));
    if (m->hdr.type == PC_MSG_ERROR_REPLY) {
        int code = pc_tlv_i32(pc_msg_find(m, PC_T_ERROR_CODE));
        return code < 0 ? code : PC_EMALFORMED;
    }
    if (m->hdr.type != (uint8_t)(req_type | PC_MSG_REPLY))
        return PC_EMALFORMED;
    switch (req_type) {
    case PC_MSG_DMARC:
    case PC_MSG_SPF:
    case PC_MSG_DKIM:
        if (pc_msg_find(m, PC_T_OUTCOME) == NULL)
            return PC_EMALFORMED;
        return decode_record(req_type, m, &out->record);
    case PC_MSG_PING:
        if ((t = pc_msg_find(m, PC_T_VERSION)) != NULL &&
            pc_tlv_copy_text(t, out->ping.version, sizeof(out->ping.version)) < 0)
            return PC_EMALFORMED;
        out->ping.proto_version = pc_tlv_u8(pc_msg_find(m, PC_T_PROTO_VERSION));
        return 0;
    case PC_MSG_STATS:
        return decode_stats(m, &out->stats);
    case PC_MSG_FLUSH:
    case PC_MSG_CANCEL:
        if ((t = pc_msg_find(m, PC_T_COUNT)) == NULL)
            return PC_EMALFORMED;
        out->count = pc_tlv_u32(t);
        return 0;
    case PC_MSG_DUMP:
        return decode_dump(m, &out->page);
    case PC_MSG_SPF_CHECK:
        return decode_spf_check(m, &out->spf);
    case PC_MSG_DMARC_EVAL:
        return decode_eval(m, &out->eval);
    default:
        return PC_EMALFORMED;
    }
}

void pcc_reply_clear(pcc_reply_t *r)
{
    if (r == NULL)
        return;
    pc_result_free(r->record);
    pc_stats_free(r->stats);
    pc_dump_page_free(r->page);
    pc_spf_check_free(r->spf);
    pc_eval_result_free(r->eval);
    memset(r, 0, sizeof(*r));
}

/* ---- the public free functions and lookups ---- */

void pc_result_free(pc_result_t *r)
{
    free(r);
}

const char *pc_result_field(const pc_result_t *r, const char *name)
{
    if (r == NULL || name == NULL)
        return NULL;
    for (size_t i = 0; i < r->nfields; i++) {
        if (strcmp(r->fields[i].name, name) == 0)
            return r->fields[i].value;
    }
    return NULL;
}

void pc_stats_free(pc_stats_t *s)
{
    free(s);
}

int pc_stats_get(const pc_stats_t *s, const char *name, uint64_t *value)
{
    if (s == NULL || name == NULL)
        return PC_EINVAL;
    for (size_t i = 0; i < s->count; i++) {
        if (strcmp(s->items[i].name, name) == 0) {
            if (value != NULL)
                *value = s->items[i].value;
            return 0;
        }
    }
    return PC_ENOENT;
}

void pc_dump_page_free(pc_dump_page_t *p)
{
    free(p);
}

void pc_spf_check_free(pc_spf_check_t *r)
{
    free(r);
}

void pc_eval_result_free(pc_eval_result_t *r)
{
    free(r);
}
