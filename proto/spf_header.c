/*
 * spf_header.c - the Authentication-Results fragment (RFC 8601) and the
 * Received-SPF value (RFC 7208 §9.1) of an SPF result: the sentences of the
 * comment, and the RFC 5322 / RFC 2045 rules for bare and quoted values.
 */
#include <string.h>

#include "polcache/error.h"
#include "spf_header.h"
#include "utf8.h"

/* An output buffer that records whether anything did not fit. */
typedef struct hbuf {
    char *p;
    size_t cap, len;
    int full;
} hbuf_t;

static void put_mem(hbuf_t *b, const char *s, size_t n)
{
    if (b->full || n >= b->cap - b->len) {
        b->full = 1;
        return;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void put(hbuf_t *b, const char *s)
{
    put_mem(b, s, strlen(s));
}

/* Length of the valid UTF-8 sequence starting at s[0..n), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    size_t want = s[0] >= 0xc2 && s[0] <= 0xdf ? 2 : s[0] >= 0xe0 && s[0] <= 0xef ? 3 :
                  s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : 0;
    return want != 0 && want <= n && pc_utf8_valid(s, want, NULL) ? want : 0;
}

/*
 * The safe text of v[0..n) in tmp (PC_SPF_HDR_VALUE_MAX + 1 octets):
 * printable ASCII and valid UTF-8 kept, anything else '?', cut with "..."
 * when longer than PC_SPF_HDR_VALUE_MAX. Returns its length.
 */
static size_t clean(const char *v, size_t n, char *tmp)
{
    const unsigned char *s = (const unsigned char *)v;
    size_t o = 0, room = n > PC_SPF_HDR_VALUE_MAX ? PC_SPF_HDR_VALUE_MAX - 3 : n;

    for (size_t i = 0; i < n;) {
        size_t k = s[i] >= 0x20 && s[i] < 0x7f ? 1 : s[i] >= 0x80 ? utf8_seq(s + i, n - i) : 0;
        if (o + (k == 0 ? 1 : k) > room)
            break;
        if (k == 0) {
            tmp[o++] = '?';
            i++;
        } else {
            memcpy(tmp + o, s + i, k);
            o += k;
            i += k;
        }
    }
    if (n > PC_SPF_HDR_VALUE_MAX) {
        memcpy(tmp + o, "...", 3);
        o += 3;
    }
    tmp[o] = '\0';
    return o;
}

/* RFC 5322 atext (ASCII). */
static int is_atext(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* RFC 5322 dot-atom-text: 1*atext *("." 1*atext). */
static int is_dot_atom(const char *s, size_t n)
{
    size_t run = 0;

    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '.') {
            if (run == 0)
                return 0;
            run = 0;
        } else if (is_atext((unsigned char)s[i])) {
            run++;
        } else {
            return 0;
        }
    }
    return run > 0;
}

/* RFC 2045 token: printable ASCII except SP and tspecials. */
static int is_token(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c >= 0x7f || strchr("()<>@,;:\\\"/[]?=", c) != NULL)
            return 0;
    }
    return 1;
}

/* RFC 6376 domain-name: LDH labels joined by dots. */
static int is_domain_name(const char *s, size_t n)
{
    size_t run = 0;

    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '.') {
            if (run == 0)
                return 0;
            run = 0;
        } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                   (c >= '0' && c <= '9') || c == '-') {
            run++;
        } else {
            return 0;
        }
    }
    return run > 0;
}

/* May s[0..n) stand bare as an RFC 8601 pvalue? */
static int ar_bare(const char *s, size_t n)
{
    const char *at = NULL;

    if (is_token(s, n))
        return 1;
    for (size_t i = n; i-- > 0;) {
        if (s[i] == '@') {
            at = s + i;
            break;
        }
    }
    if (at == NULL)
        return 0;
    return (at == s || is_dot_atom(s, (size_t)(at - s))) &&
           is_domain_name(at + 1, n - (size_t)(at + 1 - s));
}

/* The cleaned value, bare or quoted, appended to b. */
static void put_value(hbuf_t *b, const char *v, int mode)
{
    char tmp[PC_SPF_HDR_VALUE_MAX + 1];
    size_t n = clean(v != NULL ? v : "", v != NULL ? strlen(v) : 0, tmp);

    if (mode == PC_SPF_HDR_KV ? is_dot_atom(tmp, n) : ar_bare(tmp, n)) {
        put_mem(b, tmp, n);
        return;
    }
    put_mem(b, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        if (tmp[i] == '"' || tmp[i] == '\\')
            put_mem(b, "\\", 1);
        put_mem(b, tmp + i, 1);
    }
    put_mem(b, "\"", 1);
}

/* The cleaned text inside a comment, with ( ) \ escaped, appended to b. */
static void put_ctext(hbuf_t *b, const char *text)
{
    char tmp[PC_SPF_HDR_VALUE_MAX + 1];
    size_t n = clean(text != NULL ? text : "", text != NULL ? strlen(text) : 0, tmp);

    for (size_t i = 0; i < n; i++) {
        if (tmp[i] == '(' || tmp[i] == ')' || tmp[i] == '\\')
            put_mem(b, "\\", 1);
        put_mem(b, tmp + i, 1);
    }
}

size_t pc_spf_hdr_value(char *out, size_t cap, const char *v, size_t n, int mode)
{
    hbuf_t b = {out, cap, 0, 0};
    char tmp[PC_SPF_HDR_VALUE_MAX + 1];

    if (out == NULL || cap == 0 || (mode != PC_SPF_HDR_KV && mode != PC_SPF_HDR_AR) ||
        (v == NULL && n > 0))
        return 0;
    out[0] = '\0';
    /* v may hold NULs: clean it first, then treat it as a string */
    clean(v != NULL ? v : "", n, tmp);
    put_value(&b, tmp, mode);
    if (b.full) {
        out[0] = '\0';
        return 0;
    }
    return b.len;
}

size_t pc_spf_hdr_comment(char *out, size_t cap, const char *text, size_t n)
{
    hbuf_t b = {out, cap, 0, 0};
    char tmp[PC_SPF_HDR_VALUE_MAX + 1];

    if (out == NULL || cap == 0 || (text == NULL && n > 0))
        return 0;
    out[0] = '\0';
    clean(text != NULL ? text : "", n, tmp);
    put_ctext(&b, tmp);
    if (b.full) {
        out[0] = '\0';
        return 0;
    }
    return b.len;
}

static const char *result_word(pc_spf_result_t r)
{
    static const char *const w[] = {"", "none", "neutral", "pass", "fail", "softfail",
                                    "temperror", "permerror"};
    return r >= PC_SPF_NONE && r <= PC_SPF_PERMERROR ? w[r] : NULL;
}

static int is_error(pc_spf_result_t r)
{
    return r == PC_SPF_TEMPERROR || r == PC_SPF_PERMERROR;
}

/* The comment, parentheses included: the sentences of RFC 7208 §9.1's
 * examples, with the problem after errors when with_problem is set. */
static void put_comment(hbuf_t *b, const pc_spf_hdr_in_t *in, int with_problem)
{
    const char *recv = in->receiver != NULL && in->receiver[0] != '\0' ? in->receiver : "unknown";

    put(b, "(");
    put_ctext(b, recv);
    put(b, ": ");
    switch (in->result) {
    case PC_SPF_PASS:
    case PC_SPF_FAIL:
    case PC_SPF_SOFTFAIL:
        put(b, in->result == PC_SPF_SOFTFAIL ? "domain of transitioning " : "domain of ");
        put_ctext(b, in->sender);
        put(b, in->result == PC_SPF_PASS ? " designates " : " does not designate ");
        put_ctext(b, in->client_ip);
        put(b, " as permitted sender");
        break;
    case PC_SPF_NEUTRAL:
        put_ctext(b, in->client_ip);
        put(b, " is neither permitted nor denied by domain of ");
        put_ctext(b, in->sender);
        break;
    case PC_SPF_NONE:
        put(b, "domain of ");
        put_ctext(b, in->sender);
        put(b, " does not designate permitted sender hosts");
        break;
    default:
        put(b, in->result == PC_SPF_TEMPERROR ? "error in processing during lookup of "
                                              : "permanent error in processing domain of ");
        put_ctext(b, in->sender);
        if (with_problem && in->problem != NULL && in->problem[0] != '\0') {
            put(b, ": ");
            put_ctext(b, in->problem);
        }
        break;
    }
    put(b, ")");
}

static int check_in(const pc_spf_hdr_in_t *in, char *out, size_t cap)
{
    if (out != NULL && cap > 0)
        out[0] = '\0';
    if (in == NULL || out == NULL || cap == 0 || in->client_ip == NULL || in->sender == NULL ||
        result_word(in->result) == NULL)
        return PC_EINVAL;
    return 0;
}

static int done(hbuf_t *b)
{
    if (!b->full)
        return 0;
    b->p[0] = '\0';
    return PC_ETOOBIG;
}

int pc_spf_auth_results(const pc_spf_hdr_in_t *in, char *out, size_t cap)
{
    hbuf_t b = {out, cap, 0, 0};
    int rc = check_in(in, out, cap);

    if (rc != 0)
        return rc;
    put(&b, "spf=");
    put(&b, result_word(in->result));
    put(&b, " ");
    put_comment(&b, in, 1);
    if (in->helo_scope) {
        put(&b, " smtp.helo=");
        put_value(&b, in->helo, PC_SPF_HDR_AR);
    } else if (in->null_sender) {
        put(&b, " smtp.mailfrom=");
        put_value(&b, in->sender, PC_SPF_HDR_AR); /* postmaster@HELO */
    } else {
        put(&b, " smtp.mailfrom=");
        put_value(&b, in->domain, PC_SPF_HDR_AR);
    }
    return done(&b);
}

int pc_spf_received_spf(const pc_spf_hdr_in_t *in, char *out, size_t cap)
{
    hbuf_t b = {out, cap, 0, 0};
    const char *recv;
    int rc = check_in(in, out, cap);

    if (rc != 0)
        return rc;
    recv = in->receiver != NULL && in->receiver[0] != '\0' ? in->receiver : "unknown";
    put(&b, result_word(in->result));
    put(&b, " ");
    put_comment(&b, in, 0);
    put(&b, " receiver=");
    put_value(&b, recv, PC_SPF_HDR_KV);
    put(&b, "; client-ip=");
    put_value(&b, in->client_ip, PC_SPF_HDR_KV);
    if (!in->helo_scope) {
        put(&b, "; envelope-from=");
        put_value(&b, in->sender, PC_SPF_HDR_KV);
    }
    if (in->helo != NULL && in->helo[0] != '\0') {
        put(&b, "; helo=");
        put_value(&b, in->helo, PC_SPF_HDR_KV);
    }
    put(&b, in->helo_scope ? "; identity=helo" : "; identity=mailfrom");
    if (in->result != PC_SPF_NONE && !is_error(in->result)) {
        put(&b, "; mechanism=");
        put_value(&b, in->mechanism != NULL && in->mechanism[0] != '\0' ? in->mechanism
                                                                        : "default",
                  PC_SPF_HDR_KV);
    }
    if (is_error(in->result) && in->problem != NULL && in->problem[0] != '\0') {
        put(&b, "; problem=");
        put_value(&b, in->problem, PC_SPF_HDR_KV);
    }
    return done(&b);
}
