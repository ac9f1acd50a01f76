/*
 * record.c - from a DNS answer to the cached outcome and body of a record
 * type: DMARC selection (RFC 9989 §4.7, §4.10), SPF selection (RFC 7208
 * §4.5), DKIM key records (RFC 6376 §3.6.2.2), plain TXT and address data.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dkim.h"
#include "dmarc.h"
#include "polcache/error.h"
#include "record.h"
#include "spf.h"

#define TEXT_MAX 8192 /* joined TXT record text kept per record */

uint16_t pc_record_qtype(pc_rtype_t rtype)
{
    switch (rtype) {
    case PC_RT_A: return PC_QT_A;
    case PC_RT_AAAA: return PC_QT_AAAA;
    case PC_RT_MX: return PC_QT_MX;
    case PC_RT_PTR: return PC_QT_PTR;
    default: return PC_QT_TXT;
    }
}

int pc_record_qname(pc_name_t *out, pc_rtype_t rtype, const pc_name_t *domain,
                    const pc_name_t *selector)
{
    pc_name_t tmp;
    int rc;

    if (out == NULL || domain == NULL)
        return PC_EINVAL;
    switch (rtype) {
    case PC_RT_DMARC:
        return pc_name_prepend(out, domain, "_dmarc", 6);
    case PC_RT_DKIM:
        if (selector == NULL || pc_name_labels(selector) == 0)
            return PC_EINVAL;
        if ((rc = pc_name_prepend(&tmp, domain, "_domainkey", 10)) != 0)
            return rc;
        if ((size_t)selector->len - 1 + tmp.len > PC_NAME_WIRE_MAX)
            return PC_ENAMELEN;
        memcpy(out->wire, selector->wire, selector->len - 1u);
        memcpy(out->wire + selector->len - 1, tmp.wire, tmp.len);
        out->len = (uint8_t)(selector->len - 1 + tmp.len);
        return 0;
    default:
        *out = *domain;
        return 0;
    }
}

/* Join the character-strings of one TXT rdata into out; returns length. */
static size_t join_txt(const uint8_t *d, size_t len, char *out, size_t cap)
{
    size_t p = 0, o = 0;

    while (p < len) {
        size_t sl = d[p++];
        if (sl > len - p)
            sl = len - p;
        if (o + sl > cap)
            sl = cap - o;
        memcpy(out + o, d + p, sl);
        o += sl;
        p += sl;
    }
    return o;
}

typedef struct field_ctx {
    pc_wbuf_t *b;
    unsigned n;
} field_ctx_t;

static int put_field(void *arg, const char *name, const char *value, unsigned flags)
{
    field_ctx_t *f = arg;
    if (f->n >= PC_FIELDS_MAX)
        return 0; /* more fields than a reply carries: the rest are dropped */
    f->n++;
    pc_wbuf_nest_begin(f->b, PC_T_FIELD);
    pc_wbuf_str(f->b, PC_T_FIELD_NAME, name);
    pc_wbuf_bytes(f->b, PC_T_FIELD_VALUE, value, strlen(value));
    pc_wbuf_u8(f->b, PC_T_FIELD_FLAGS, (uint8_t)(flags & 1u));
    pc_wbuf_nest_end(f->b);
    return 0;
}

static void put_warnings(pc_wbuf_t *b, const pc_warnings_t *w)
{
    char line[PC_DIAG_TEXT_MAX + 64];
    for (unsigned i = 0; i < w->n && i < 32; i++) {
        snprintf(line, sizeof(line), "%s: %s", w->w[i].code, w->w[i].text);
        pc_wbuf_str(b, PC_T_WARNING, line);
    }
}

static void put_why(pc_wbuf_t *b, const char *what, const pc_perr_t *e)
{
    char why[PC_DIAG_TEXT_MAX + 96];
    snprintf(why, sizeof(why), "%s: %s at offset %zu", what, e->reason, e->pos);
    pc_wbuf_str(b, PC_T_WHY, why);
}

static pc_outcome_t build_dmarc(const pc_answer_t *a, pc_wbuf_t *b, char *text)
{
    pc_dmarc_t *d = malloc(sizeof(*d)), *chosen = NULL;
    pc_perr_t perr, chosen_err;
    size_t len = 0, chosen_len = 0;
    unsigned count = 0;
    int chosen_rc = 0;
    char *chosen_text = NULL;
    pc_outcome_t out = PC_OUTCOME_NORECORD;

    if (d == NULL)
        return PC_OUTCOME_TEMPFAIL;
    for (unsigned i = 0; i < a->ndata; i++) {
        int rc;
        len = join_txt(a->data[i], a->len[i], text, TEXT_MAX);
        rc = pc_dmarc_parse(text, len, d, &perr);
        if (rc == PC_ENOENT)
            continue; /* not a DMARC record: ignored (§4.7) */
        if (++count == 1) {
            chosen = malloc(sizeof(*chosen));
            chosen_text = malloc(len + 1);
            if (chosen == NULL || chosen_text == NULL)
                break;
            *chosen = *d;
            memcpy(chosen_text, text, len);
            chosen_len = len;
            chosen_rc = rc;
            chosen_err = perr;
        }
    }
    if (count > 1) {
        char w[160];
        snprintf(w, sizeof(w), "multiple-records: %u DMARC records at this name; all are "
                 "discarded (RFC 9989 §4.10)", count);
        pc_wbuf_str(b, PC_T_WARNING, w);
        pc_wbuf_str(b, PC_T_WHY, "multiple DMARC records");
    } else if (count == 1 && chosen != NULL && chosen_text != NULL) {
        field_ctx_t f = {b, 0};
        pc_wbuf_bytes(b, PC_T_RAW, chosen_text, chosen_len);
        pc_dmarc_fields(chosen, put_field, &f);
        put_warnings(b, &chosen->warnings);
        if (chosen_rc == 0) {
            out = PC_OUTCOME_FOUND;
        } else {
            out = PC_OUTCOME_PERMERROR;
            put_why(b, "unusable DMARC record", &chosen_err);
        }
    } else if (count == 1) {
        out = PC_OUTCOME_TEMPFAIL;
        pc_wbuf_str(b, PC_T_WHY, "out of memory");
    }
    free(chosen);
    free(chosen_text);
    free(d);
    return out;
}

static pc_outcome_t build_spf(const pc_answer_t *a, pc_wbuf_t *b, char *text)
{
    pc_spf_str_t rd[PC_RESOLVER_MAX_RR];
    pc_spf_record_t *rec;
    pc_warnings_t warn;
    pc_perr_t perr;
    size_t len = 0;
    int rc;
    pc_outcome_t out;

    for (unsigned i = 0; i < a->ndata; i++) {
        rd[i].ptr = (const char *)a->data[i];
        rd[i].len = a->len[i];
    }
    rc = pc_spf_select_rdata(rd, a->ndata, text, TEXT_MAX, &len, NULL);
    if (rc == PC_ENOENT)
        return PC_OUTCOME_NORECORD;
    if (rc == PC_EDUP) {
        pc_wbuf_str(b, PC_T_WHY, "more than one v=spf1 record (RFC 7208 §4.5): permerror");
        return PC_OUTCOME_PERMERROR;
    }
    if (rc != 0) {
        pc_wbuf_str(b, PC_T_WHY, rc == PC_ETOOBIG ? "SPF record too long" : "malformed TXT rdata");
        return PC_OUTCOME_PERMERROR;
    }
    pc_wbuf_bytes(b, PC_T_RAW, text, len);
    rec = malloc(sizeof(*rec));
    if (rec == NULL) {
        pc_wbuf_str(b, PC_T_WHY, "out of memory");
        return PC_OUTCOME_TEMPFAIL;
    }
    rc = pc_spf_parse(text, len, rec, &warn, &perr);
    if (rc == 0) {
        field_ctx_t f = {b, 0};
        char n[16];
        pc_spf_fields(rec, put_field, &f);
        snprintf(n, sizeof(n), "%u", rec->lookups);
        put_field(&f, "dns-lookups", n, 0);
        put_warnings(b, &warn);
        out = PC_OUTCOME_FOUND;
    } else {
        put_why(b, "SPF syntax error", &perr);
        out = PC_OUTCOME_PERMERROR;
    }
    free(rec);
    return out;
}

static pc_outcome_t build_dkim(const pc_answer_t *a, pc_wbuf_t *b, char *text)
{
    pc_dkim_t *k = malloc(sizeof(*k));
    pc_perr_t perr, first_err;
    int first_rc = PC_ENOENT;
    size_t len = 0, first_len = 0;
    unsigned first = 0;
    pc_outcome_t out = PC_OUTCOME_NORECORD;

    if (k == NULL)
        return PC_OUTCOME_TEMPFAIL;
    memset(&first_err, 0, sizeof(first_err));
    /* RFC 6376 §3.6.2.2: strings are joined; with several records, use the
     * first that is a valid key record */
    for (unsigned i = 0; i < a->ndata; i++) {
        int rc;
        len = join_txt(a->data[i], a->len[i], text, TEXT_MAX);
        rc = pc_dkim_parse(text, len, k, &perr);
        if (rc == 0) {
            field_ctx_t f = {b, 0};
            char n[16];
            pc_wbuf_bytes(b, PC_T_RAW, text, len);
            pc_dkim_fields(k, put_field, &f);
            put_field(&f, "key-type", k->ktype == PC_DKIM_K_RSA ? "rsa" :
                      k->ktype == PC_DKIM_K_ED25519 ? "ed25519" : "unknown", 0);
            snprintf(n, sizeof(n), "%u", k->bits);
            put_field(&f, "key-bits", n, 0);
            put_field(&f, "usable", k->usable ? "yes" : "no", 0);
            put_field(&f, "reason", pc_dkim_reason_name(k->reason), 0);
            put_warnings(b, &k->warnings);
            free(k);
            return PC_OUTCOME_FOUND;
        }
        if (first_rc == PC_ENOENT && rc != PC_ENOENT) {
            first_rc = rc;
            first_err = perr;
            first = i;
            first_len = len;
        }
    }
    if (first_rc != PC_ENOENT) {
        len = join_txt(a->data[first], a->len[first], text, TEXT_MAX);
        pc_wbuf_bytes(b, PC_T_RAW, text, first_len);
        put_why(b, "invalid DKIM key record", &first_err);
        out = PC_OUTCOME_PERMERROR;
    }
    free(k);
    return out;
}

static pc_outcome_t build_data(pc_rtype_t rtype, const pc_answer_t *a, pc_wbuf_t *b, char *text)
{
    for (unsigned i = 0; i < a->ndata; i++) {
        if (rtype == PC_RT_TXT) {
            size_t len = join_txt(a->data[i], a->len[i], text, 512);
            pc_wbuf_bytes(b, PC_T_RDATA, text, len);
        } else if (a->len[i] > 0 && a->len[i] <= 512) {
            pc_wbuf_bytes(b, PC_T_RDATA, a->data[i], a->len[i]);
        }
    }
    return PC_OUTCOME_FOUND;
}

int pc_record_build(pc_rtype_t rtype, const pc_name_t *qname, const pc_answer_t *a,
                    pc_wbuf_t *body, pc_outcome_t *outcome)
{
    char qtext[PC_NAME_TEXT_MAX];
    char *text;
    pc_outcome_t out;

    if (qname == NULL || a == NULL || body == NULL || outcome == NULL)
        return PC_EINVAL;
    text = malloc(TEXT_MAX + 1);
    if (text == NULL)
        return PC_ENOMEM;
    pc_wbuf_block_begin(body);
    if (pc_name_to_text(qname, qtext, sizeof(qtext)) > 0)
        pc_wbuf_str(body, PC_T_QNAME, qtext);
    if (a->status != 0) {
        out = PC_OUTCOME_TEMPFAIL;
        pc_wbuf_str(body, PC_T_WHY, a->why != NULL ? a->why :
                    a->status == PC_ETIMEDOUT ? "upstream timeout" : "DNS failure");
    } else if (a->rcode == PC_RCODE_NXDOMAIN) {
        out = PC_OUTCOME_NXDOMAIN;
    } else if (a->ndata == 0) {
        out = PC_OUTCOME_NORECORD;
    } else {
        switch (rtype) {
        case PC_RT_DMARC: out = build_dmarc(a, body, text); break;
        case PC_RT_SPF: out = build_spf(a, body, text); break;
        case PC_RT_DKIM: out = build_dkim(a, body, text); break;
        default: out = build_data(rtype, a, body, text); break;
        }
    }
    free(text);
    *outcome = out;
    return pc_wbuf_block_end(body);
}
