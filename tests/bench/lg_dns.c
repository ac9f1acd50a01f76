/*
 * lg_dns.c - the load generator's DNS side: a TXT query for _dmarc.DOMAIN
 * written by hand (RFC 1035 §4.1; RD, and AD to ask for the AD bit as RFC
 * 6840 §5.7 allows, no EDNS: the answers are far below 512 octets), and the
 * check of every reply: id, question, rcode, AD bit, the TXT text.
 */
#include <stdio.h>
#include <string.h>

#include "lg_proto.h"

#define HDR 12
#define T_TXT 16
#define T_CNAME 5
#define C_IN 1
#define F_QR 0x8000u
#define F_TC 0x0200u
#define F_RD 0x0100u
#define F_AD 0x0020u

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* Append the labels of text (no escapes; a trailing dot is ignored). */
static size_t put_labels(uint8_t *q, size_t off, const char *text)
{
    while (*text != '\0') {
        size_t l = strcspn(text, ".");
        if (l == 0 || l > 63 || off + 1 + l > LG_DNS_QMAX - 5)
            return 0;
        q[off++] = (uint8_t)l;
        memcpy(q + off, text, l);
        off += l;
        text += l;
        if (*text == '.')
            text++;
    }
    return off;
}

size_t lg_dns_encode(uint8_t *q, uint16_t id, const char *domain)
{
    size_t off;

    memset(q, 0, HDR);
    put16(q, id);
    put16(q + 2, F_RD | F_AD);
    put16(q + 4, 1); /* QDCOUNT */
    off = put_labels(q, HDR, "_dmarc");
    if (off == 0 || (off = put_labels(q, off, domain)) == 0)
        return 0;
    q[off++] = 0;
    put16(q + off, T_TXT);
    put16(q + off + 2, C_IN);
    return off + 4;
}

int lg_dns_id(const uint8_t *r, size_t len)
{
    return len >= HDR ? get16(r) : -1;
}

/* Skip a possibly compressed name at off; the offset after it, or 0. */
static size_t skip_name(const uint8_t *r, size_t len, size_t off)
{
    while (off < len) {
        uint8_t l = r[off];
        if (l == 0)
            return off + 1;
        if ((l & 0xc0) == 0xc0)
            return off + 2 <= len ? off + 2 : 0;
        if (l & 0xc0)
            return 0;
        off += 1u + l;
    }
    return 0;
}

/* Join the character-strings of a TXT rdata into out; its length, or -1. */
static long join_txt(const uint8_t *d, size_t dlen, char *out, size_t cap)
{
    size_t p = 0, o = 0;

    while (p < dlen) {
        size_t sl = d[p++];
        if (sl > dlen - p || o + sl > cap)
            return -1;
        memcpy(out + o, d + p, sl);
        o += sl;
        p += sl;
    }
    return (long)o;
}

lg_err_t lg_dns_check(const uint8_t *r, size_t rlen, const uint8_t *q, size_t qlen,
                      const lg_expect_t *e, char *detail, size_t cap)
{
    char text[LG_TEXT_MAX];
    uint16_t flags, an;
    size_t off;
    int ntxt = 0;
    long tl = 0;

    if (rlen < qlen || qlen < HDR + 5)
        goto decode;
    flags = get16(r + 2);
    if (!(flags & F_QR) || get16(r + 4) != 1)
        goto decode;
    /* the question, as sent (unbound echoes its octets) */
    if (memcmp(r + HDR, q + HDR, qlen - HDR) != 0) {
        snprintf(detail, cap, "question differs");
        return LG_E_NAME;
    }
    if ((flags & 0x000f) != 0 || (flags & F_TC)) {
        snprintf(detail, cap, "rcode %u%s", flags & 0x000fu, (flags & F_TC) ? " TC" : "");
        return LG_E_REPLY;
    }
    an = get16(r + 6);
    off = qlen;
    for (uint16_t i = 0; i < an; i++) {
        size_t rd;
        uint16_t type, dl;
        off = skip_name(r, rlen, off);
        if (off == 0 || off + 10 > rlen)
            goto decode;
        type = get16(r + off);
        dl = get16(r + off + 8);
        rd = off + 10;
        if (rd + dl > rlen)
            goto decode;
        if (type == T_TXT && get16(r + off + 2) == C_IN) {
            ntxt++;
            tl = join_txt(r + rd, dl, text, sizeof(text));
            if (tl < 0)
                goto decode;
        } else if (type != T_CNAME) {
            goto decode;
        }
        off = rd + dl;
    }
    if (ntxt != 1) {
        snprintf(detail, cap, "%d TXT records", ntxt);
        return LG_E_OUTCOME;
    }
    if ((size_t)tl != e->text_len || memcmp(text, e->text, e->text_len) != 0) {
        snprintf(detail, cap, "text \"%.*s\"", (int)tl, text);
        return LG_E_TEXT;
    }
    if (!!(flags & F_AD) != !!e->secure) {
        snprintf(detail, cap, "AD bit %d", !!(flags & F_AD));
        return LG_E_DNSSEC;
    }
    return LG_OK;
decode:
    snprintf(detail, cap, "undecodable reply (%zu octets)", rlen);
    return LG_E_DECODE;
}
