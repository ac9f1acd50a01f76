/*
 * spf_expand.c - check_host() inputs and SPF macro expansion (RFC 7208
 * §4.3, §7): the tokens of spf_macro.c turned into text, with the letter
 * values of a pc_spf_macro_env_t, transformers, URL escaping and the §7.3
 * truncation of long domain names.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "polcache/error.h"
#include "spf_expand.h"
#include "spf_macro.h"

static const char postmaster[] = "postmaster";

/* The output: a bounded buffer; in domain mode a window over the tail. */
typedef struct out {
    char *buf;
    size_t cap;     /* octets, the NUL included */
    size_t len;
    int domain;     /* keep only the tail when full */
    int overflow;   /* not domain mode: something did not fit */
} out_t;

static void put_char(out_t *o, char c)
{
    if (o->len + 1 >= o->cap) {
        if (!o->domain) {
            o->overflow = 1;
            return;
        }
        /* Only the last 254 octets can survive the truncation: keep half. */
        size_t keep = o->cap / 2;
        memmove(o->buf, o->buf + o->len - keep, keep);
        o->len = keep;
    }
    o->buf[o->len++] = c;
}

static void put_mem(out_t *o, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put_char(o, p[i]);
}

/* RFC 3986 unreserved characters stay; everything else becomes %XX (§7.3). */
static void put_escaped(out_t *o, char c, int upper)
{
    static const char hex[] = "0123456789ABCDEF";
    unsigned char u = (unsigned char)c;

    if (!upper || (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') ||
        u == '-' || u == '.' || u == '_' || u == '~') {
        put_char(o, c);
        return;
    }
    put_char(o, '%');
    put_char(o, hex[u >> 4]);
    put_char(o, hex[u & 15]);
}

static int is_delim(char c, const char *delims)
{
    return c != '\0' && strchr(delims, c) != NULL;
}

/*
 * One macro: split v on the delimiters, reverse if asked, keep the
 * rightmost keep parts, join with ".", URL-escape if upper (§7.3).
 * Linear in the value: parts are found by scanning, never stored.
 */
static void put_macro(out_t *o, const char *v, size_t vl, const pc_spf_mtok_t *t)
{
    const char *delims = t->delims[0] != '\0' ? t->delims : ".";
    size_t n = 1, k, pos = 0, seen = 0;

    for (size_t i = 0; i < vl; i++)
        n += is_delim(v[i], delims);
    k = (t->keep == 0 || t->keep >= n) ? n : t->keep;
    if (!t->reverse) {
        /* parts n-k .. n-1, in order: skip the first n-k parts */
        while (seen < n - k && pos < vl) {
            if (is_delim(v[pos], delims))
                seen++;
            pos++;
        }
        for (; pos < vl; pos++)
            put_escaped(o, is_delim(v[pos], delims) ? '.' : v[pos], t->upper);
        return;
    }
    /* reversed: parts k-1 .. 0; find where part k-1 ends */
    size_t end = 0;
    while (end < vl) {
        if (is_delim(v[end], delims) && ++seen == k)
            break;
        end++;
    }
    /* walk back from end, one part at a time */
    for (size_t p = k; p-- > 0;) {
        size_t start = end;
        while (start > 0 && !is_delim(v[start - 1], delims))
            start--;
        for (size_t i = start; i < end; i++)
            put_escaped(o, v[i], t->upper);
        if (p > 0)
            put_escaped(o, '.', t->upper);
        end = start > 0 ? start - 1 : 0;
    }
}

/* <ip> in its usual text form: dotted quad, or RFC 5952 for IPv6. */
static size_t addr_text(const pc_spf_macro_env_t *e, char *scratch, size_t cap)
{
    if (inet_ntop(e->family == 4 ? AF_INET : AF_INET6, e->ip, scratch, (socklen_t)cap) == NULL)
        scratch[0] = '\0';
    return strlen(scratch);
}

/* The value of a macro letter into (*v, *vl); scratch holds computed ones. */
static void letter_value(const pc_spf_macro_env_t *e, char letter, char *scratch, size_t cap,
                         const char **v, size_t *vl)
{
    /* upper-case nibbles, as the RFC 7208 test suite expects (v-macro-ip6);
     * §7.3 only says "dot-format", and DNS names ignore case (RFC 4343) */
    static const char hex[] = "0123456789ABCDEF";
    size_t n = 0;

    *v = scratch;
    switch (letter) {
    case 's': *v = e->sender; *vl = e->sender_len; break;
    case 'l': *v = e->local; *vl = e->local_len; break;
    case 'o': *v = e->sdomain; *vl = e->sdomain_len; break;
    case 'd': *v = e->domain; *vl = e->domain_len; break;
    case 'h': *v = e->helo; *vl = e->helo_len; break;
    case 'p':
        if (e->ptr != NULL) {
            *v = e->ptr;
            *vl = e->ptr_len;
        } else {
            *v = "unknown";
            *vl = 7;
        }
        break;
    case 'r':
        if (e->receiver != NULL) {
            *v = e->receiver;
            *vl = e->receiver_len;
        } else {
            *v = "unknown";
            *vl = 7;
        }
        break;
    case 'v':
        *v = e->family == 4 ? "in-addr" : "ip6";
        *vl = strlen(*v);
        break;
    case 't':
        snprintf(scratch, cap, "%llu", (unsigned long long)e->now);
        *vl = strlen(scratch);
        break;
    case 'i':
        if (e->family == 6) {
            /* 32 nibbles, dot-separated (§7.3) */
            for (unsigned i = 0; i < 16; i++) {
                scratch[n++] = hex[e->ip[i] >> 4];
                scratch[n++] = '.';
                scratch[n++] = hex[e->ip[i] & 15];
                scratch[n++] = '.';
            }
            *vl = n - 1;
        } else {
            *vl = addr_text(e, scratch, cap); /* IPv4 "i" is the dotted quad */
        }
        break;
    case 'c':
        *vl = addr_text(e, scratch, cap);
        break;
    default:
        *v = NULL;
        *vl = 0;
        break;
    }
    if (*v == NULL)
        *vl = 0;
}

/* §7.3: drop one trailing dot; remove labels from the left until <= 253. */
static void truncate_domain(out_t *o)
{
    if (o->len > 0 && o->buf[o->len - 1] == '.')
        o->len--;
    while (o->len > PC_SPF_DOMAIN_MAX) {
        char *dot = memchr(o->buf, '.', o->len);
        if (dot == NULL) {
            o->len = 0; /* a single label longer than any name */
            break;
        }
        size_t cut = (size_t)(dot - o->buf) + 1;
        memmove(o->buf, o->buf + cut, o->len - cut);
        o->len -= cut;
    }
}

int pc_spf_expand(const char *s, size_t len, unsigned mode, const pc_spf_macro_env_t *env,
                  char *buf, size_t cap, size_t *out_len, pc_perr_t *err)
{
    pc_spf_macro_iter_t it;
    pc_spf_mtok_t tok;
    out_t o;
    char scratch[80];
    int rc;

    if (buf == NULL || env == NULL || out_len == NULL || (s == NULL && len > 0) ||
        (mode & ~(PC_SPF_EXPAND_DOMAIN | PC_SPF_EXPAND_EXPLAIN)) != 0 ||
        (env->family != 4 && env->family != 6) || cap == 0 ||
        ((mode & PC_SPF_EXPAND_DOMAIN) && cap < PC_SPF_EXPAND_MIN))
        return PC_EINVAL;
    memset(&o, 0, sizeof(o));
    o.buf = buf;
    o.cap = cap;
    o.domain = (mode & PC_SPF_EXPAND_DOMAIN) != 0;
    *out_len = 0;
    buf[0] = '\0';
    rc = pc_spf_macro_init(&it, s, len, (mode & PC_SPF_EXPAND_EXPLAIN) ? PC_SPF_MACRO_EXPLAIN : 0);
    if (rc != 0)
        return rc;
    while ((rc = pc_spf_macro_next(&it, &tok, err)) == 1) {
        if (tok.kind == PC_SPF_MTOK_MACRO) {
            const char *v;
            size_t vl;
            letter_value(env, tok.letter, scratch, sizeof(scratch), &v, &vl);
            put_macro(&o, v, vl, &tok);
        } else {
            put_mem(&o, tok.text, tok.text_len);
        }
    }
    if (rc < 0) {
        buf[0] = '\0';
        return rc;
    }
    if (o.domain)
        truncate_domain(&o);
    buf[o.len] = '\0';
    *out_len = o.len;
    return o.overflow ? PC_ETOOBIG : 0;
}

int pc_spf_sender_split(const char *addr, size_t len, const char **local, size_t *local_len,
                        const char **domain, size_t *domain_len)
{
    const char *at = NULL;

    if ((addr == NULL && len > 0) || local == NULL || local_len == NULL || domain == NULL ||
        domain_len == NULL)
        return PC_EINVAL;
    if (len >= 2 && addr[0] == '<' && addr[len - 1] == '>') {
        addr++;
        len -= 2;
    }
    for (size_t i = len; i-- > 0;) {
        if (addr[i] == '@') {
            at = addr + i;
            break;
        }
    }
    if (at == NULL || at == addr) {
        *local = postmaster;
        *local_len = sizeof(postmaster) - 1;
    } else {
        *local = addr;
        *local_len = (size_t)(at - addr);
    }
    *domain = at != NULL ? at + 1 : addr;
    *domain_len = at != NULL ? len - (size_t)(at + 1 - addr) : len;
    if (*domain == NULL)
        *domain = "";
    return 0;
}

int pc_spf_domain_check(const char *name, size_t len, size_t *trimmed_len, const char **why)
{
    const char *reason = NULL;
    size_t label = 0, labels = 0;

    if (name == NULL)
        len = 0;
    if (len > 0 && name[len - 1] == '.')
        len--;
    if (trimmed_len != NULL)
        *trimmed_len = len;
    if (len == 0)
        reason = "the domain is empty";
    else if (name[0] == '[')
        reason = "the domain is an address literal";
    else if (len > PC_SPF_DOMAIN_MAX)
        reason = "the domain is longer than 253 octets";
    for (size_t i = 0; reason == NULL && i <= len; i++) {
        unsigned char c = i < len ? (unsigned char)name[i] : '.';
        if (c == '.') {
            if (label == 0)
                reason = "the domain has an empty label";
            else if (label > 63)
                reason = "the domain has a label longer than 63 octets";
            labels++;
            label = 0;
        } else if (c < 0x21 || c == 0x7f) {
            reason = "the domain holds a space or a control character";
        } else {
            label++;
        }
    }
    if (reason == NULL && labels < 2)
        reason = "the domain is not a multi-label domain name";
    if (why != NULL)
        *why = reason;
    return reason == NULL ? 0 : PC_ENAME;
}
