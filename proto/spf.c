/*
 * spf.c - SPF record selection from a TXT RRset (RFC 7208 §4.5) and the
 * record grammar (§4.6, §5, §6, ABNF §12): terms, CIDR lengths, addresses,
 * lookup counts, warnings and the field visitor. Macro-strings are checked
 * by spf_macro.c.
 */
#include <arpa/inet.h>
#include <string.h>

#include "polcache/error.h"
#include "spf.h"

/* ---- Selection ---------------------------------------------------------- */

/* Walks the character-strings of one TXT record, in either input form. */
typedef struct txt_cursor {
    const pc_spf_txt_t *rr;  /* string-array form, or NULL */
    const pc_spf_str_t *rd;  /* raw RDATA form, or NULL */
    size_t i;                /* next string index / RDATA offset */
} txt_cursor_t;

/* Returns 1 with the next string, 0 at the end, or a negative error. */
static int cursor_next(txt_cursor_t *c, const char **p, size_t *n)
{
    if (c->rr != NULL) {
        const pc_spf_str_t *s;

        if (c->i >= c->rr->nstrs)
            return 0;
        s = &c->rr->strs[c->i++];
        if (s->ptr == NULL && s->len > 0)
            return PC_EINVAL;
        *p = s->ptr;
        *n = s->len;
        return 1;
    } else {
        size_t l;

        if (c->i >= c->rd->len)
            return 0;
        l = (unsigned char)c->rd->ptr[c->i];
        if (l > c->rd->len - c->i - 1)
            return PC_EMALFORMED;
        *p = c->rd->ptr + c->i + 1;
        *n = l;
        c->i += 1 + l;
        return 1;
    }
}

static unsigned char lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

/* "v=spf1" in any case, then SP or the end (§4.5). */
static int has_version(const char *s, size_t len)
{
    static const char v[] = "v=spf1";
    size_t i;

    if (len < 6)
        return 0;
    for (i = 0; i < 6; i++)
        if (lower((unsigned char)s[i]) != (unsigned char)v[i])
            return 0;
    return len == 6 || s[6] == ' ';
}

/* Classify one record: total joined length, and whether it is SPF. */
static int txt_scan(txt_cursor_t c, size_t *total, int *is_spf)
{
    char head[7];
    size_t got = 0, sum = 0, n;
    const char *p;
    int rc;

    while ((rc = cursor_next(&c, &p, &n)) == 1) {
        size_t take = n < sizeof(head) - got ? n : sizeof(head) - got;

        if (take > 0)
            memcpy(head + got, p, take);
        got += take;
        sum += n;
    }
    if (rc < 0)
        return rc;
    *total = sum;
    *is_spf = has_version(head, got);
    return 0;
}

static int select_common(const pc_spf_txt_t *rrs, const pc_spf_str_t *rds,
                         size_t nrrs, char *buf, size_t cap, size_t *len,
                         size_t *index)
{
    txt_cursor_t c;
    size_t i, found = 0, pick = 0, pick_len = 0, total, n, off;
    const char *p;
    int rc, is_spf;

    if ((nrrs > 0 && rrs == NULL && rds == NULL) || (buf == NULL && cap > 0))
        return PC_EINVAL;
    for (i = 0; i < nrrs; i++) {
        memset(&c, 0, sizeof(c));
        if (rrs != NULL) {
            if (rrs[i].strs == NULL && rrs[i].nstrs > 0)
                return PC_EINVAL;
            c.rr = &rrs[i];
        } else {
            if (rds[i].ptr == NULL && rds[i].len > 0)
                return PC_EINVAL;
            c.rd = &rds[i];
        }
        rc = txt_scan(c, &total, &is_spf);
        if (rc < 0)
            return rc;
        if (is_spf) {
            if (found++ == 0) {
                pick = i;
                pick_len = total;
            }
        }
    }
    if (found == 0)
        return PC_ENOENT;
    if (found > 1)
        return PC_EDUP;
    if (len != NULL)
        *len = pick_len;
    if (index != NULL)
        *index = pick;
    if (buf == NULL)
        return 0;
    if (pick_len >= cap)
        return PC_ETOOBIG;
    memset(&c, 0, sizeof(c));
    if (rrs != NULL)
        c.rr = &rrs[pick];
    else
        c.rd = &rds[pick];
    off = 0;
    while (cursor_next(&c, &p, &n) == 1) {
        if (n > 0)
            memcpy(buf + off, p, n);
        off += n;
    }
    buf[off] = '\0';
    return 0;
}

int pc_spf_select(const pc_spf_txt_t *rrs, size_t nrrs, char *buf, size_t cap,
                  size_t *len, size_t *index)
{
    if (rrs == NULL && nrrs > 0)
        return PC_EINVAL;
    return select_common(rrs, NULL, nrrs, buf, cap, len, index);
}

int pc_spf_select_rdata(const pc_spf_str_t *rdatas, size_t nrrs, char *buf,
                        size_t cap, size_t *len, size_t *index)
{
    if (rdatas == NULL && nrrs > 0)
        return PC_EINVAL;
    return select_common(NULL, rdatas, nrrs, buf, cap, len, index);
}

/* ---- Term grammar --------------------------------------------------------- */

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ) */
static int is_name_char(unsigned char c)
{
    return is_alpha(c) || is_digit(c) || c == '-' || c == '_' || c == '.';
}

/* Case-insensitive comparison of s[0..n) with a lower-case word. */
static int word_eq(const char *s, size_t n, const char *word)
{
    size_t i;

    if (strlen(word) != n)
        return 0;
    for (i = 0; i < n; i++)
        if (lower((unsigned char)s[i]) != (unsigned char)word[i])
            return 0;
    return 1;
}

static const struct {
    const char *name;
    pc_spf_kind_t kind;
} mechanisms[] = {
    {"all", PC_SPF_MECH_ALL},     {"include", PC_SPF_MECH_INCLUDE},
    {"a", PC_SPF_MECH_A},         {"mx", PC_SPF_MECH_MX},
    {"ptr", PC_SPF_MECH_PTR},     {"ip4", PC_SPF_MECH_IP4},
    {"ip6", PC_SPF_MECH_IP6},     {"exists", PC_SPF_MECH_EXISTS},
};

const char *pc_spf_kind_name(pc_spf_kind_t kind)
{
    size_t i;

    for (i = 0; i < sizeof(mechanisms) / sizeof(mechanisms[0]); i++)
        if (mechanisms[i].kind == kind)
            return mechanisms[i].name;
    switch (kind) {
    case PC_SPF_MOD_REDIRECT:
        return "redirect";
    case PC_SPF_MOD_EXP:
        return "exp";
    case PC_SPF_MOD_UNKNOWN:
        return "unknown-modifier";
    default:
        return "?";
    }
}

/* Parsing context of one term: the record text and the term's bounds. */
typedef struct term_ctx {
    const char *s;       /* rec->text */
    size_t a;            /* the term starts at s[a] */
    pc_spf_term_t *t;
    pc_perr_t *err;
} term_ctx_t;

static int perr(term_ctx_t *c, size_t pos, const char *reason)
{
    pc_perr_set(c->err, pos, "%s", reason);
    return PC_ERECORD;
}

static void set_span(pc_spf_span_t *sp, size_t a, size_t b)
{
    sp->off = (uint16_t)a;
    sp->len = (uint16_t)(b - a);
}

/* A domain-spec at s[a..b) of a record (c, r, t refused; §7). */
static int domain_spec(term_ctx_t *c, size_t a, size_t b)
{
    int rc = pc_spf_domain_spec_check(c->s + a, b - a, 0, NULL, c->err);

    if (rc < 0 && c->err != NULL)
        c->err->pos += a;
    set_span(&c->t->arg, a, b);
    return rc;
}

/*
 * A CIDR length at s[p..b) after its '/': "0" or a nonzero digit and up to
 * maxdigits-1 more, value at most max (ABNF ip4-/ip6-cidr-length). Stops at
 * the first non-digit; *end gets its offset.
 */
static int cidr_len(term_ctx_t *c, size_t p, size_t b, unsigned maxdigits,
                    unsigned max, uint8_t *out, size_t *end)
{
    size_t q = p;
    unsigned v = 0;

    while (q < b && is_digit((unsigned char)c->s[q]) && q - p <= maxdigits) {
        v = v * 10 + (unsigned)(c->s[q] - '0');
        q++;
    }
    if (q == p) {
        pc_perr_set(c->err, p, "CIDR length expected after '/'");
        return PC_ERECORD;
    }
    if (q - p > maxdigits || (c->s[p] == '0' && q - p > 1) || v > max) {
        pc_perr_set(c->err, p, "invalid %s CIDR length '%.*s' (0-%u, no"
                    " leading zeros; section 5.6)", max == 32 ? "ip4" : "ip6",
                    (int)(q - p), c->s + p, max);
        return PC_ERECORD;
    }
    *out = (uint8_t)v;
    *end = q;
    return 0;
}

/* dual-cidr-length = [ ip4-cidr-length ] [ "/" ip6-cidr-length ], exactly
 * filling s[p..b), which starts with '/'. */
static int dual_cidr(term_ctx_t *c, size_t p, size_t b)
{
    size_t q;
    int rc;

    if (p + 1 < b && c->s[p + 1] != '/') {
        rc = cidr_len(c, p + 1, b, 2, 32, &c->t->cidr4, &q);
        if (rc < 0)
            return rc;
        c->t->flags |= PC_SPF_TF_CIDR4;
        p = q;
        if (p == b)
            return 0;
        if (p + 1 >= b || c->s[p] != '/' || c->s[p + 1] != '/')
            return perr(c, p, "unexpected text after the ip4 CIDR length"
                        " (an ip6 length is written '//n')");
    }
    if (p + 1 >= b || c->s[p] != '/' || c->s[p + 1] != '/')
        return perr(c, p, "CIDR length expected after '/'");
    rc = cidr_len(c, p + 2, b, 3, 128, &c->t->cidr6, &q);
    if (rc < 0)
        return rc;
    c->t->flags |= PC_SPF_TF_CIDR6;
    if (q != b)
        return perr(c, q, "unexpected text after the ip6 CIDR length");
    return 0;
}

/* After "a:"/"mx:": domain-spec, then an optional dual-cidr-length. A
 * domain-end never ends in "/" DIGIT, so a trailing "/n" or "//n" is CIDR. */
static int domain_and_cidr(term_ctx_t *c, size_t p, size_t b)
{
    const char *s = c->s;
    size_t e = b, d;
    int rc;

    for (d = e; d > p && is_digit((unsigned char)s[d - 1]); d--)
        ;
    if (d < e && d > p && s[d - 1] == '/') {
        e = d - 1;
        if (e > p && s[e - 1] == '/') {
            e--; /* "//n": an ip6 length; maybe "/m" before it */
            for (d = e; d > p && is_digit((unsigned char)s[d - 1]); d--)
                ;
            if (d < e && d > p && s[d - 1] == '/')
                e = d - 1;
        }
    }
    if (e == p)
        return perr(c, p, "empty domain-spec");
    rc = domain_spec(c, p, e);
    if (rc < 0)
        return rc;
    return e < b ? dual_cidr(c, e, b) : 0;
}

/* qnum "." qnum "." qnum "." qnum; qnum 0-255 without leading zeros. */
static int ip4_network(term_ctx_t *c, size_t p, size_t b, size_t *end)
{
    size_t start = p;
    unsigned part;

    for (part = 0; part < 4; part++) {
        size_t q = p;
        unsigned v = 0;

        if (part > 0) {
            if (p >= b || c->s[p] != '.')
                goto bad;
            q = ++p;
        }
        while (q < b && is_digit((unsigned char)c->s[q]) && q - p < 4) {
            v = v * 10 + (unsigned)(c->s[q] - '0');
            q++;
        }
        if (q == p || q - p > 3 || v > 255 || (c->s[p] == '0' && q - p > 1))
            goto bad;
        c->t->addr[part] = (uint8_t)v;
        p = q;
    }
    *end = p;
    return 0;
bad:
    while (p < b && c->s[p] != '/')
        p++;
    pc_perr_set(c->err, start, "invalid ip4-network '%.*s' (four decimal"
                " numbers 0-255 without leading zeros; section 5.6)",
                (int)(p - start > 60 ? 60 : p - start), c->s + start);
    return PC_ERECORD;
}

static int mech_ip4(term_ctx_t *c, size_t p, size_t b)
{
    size_t q;
    int rc = ip4_network(c, p, b, &q);

    if (rc < 0)
        return rc;
    set_span(&c->t->arg, p, q);
    if (q == b)
        return 0;
    if (c->s[q] != '/')
        return perr(c, q, "unexpected text after the ip4 address");
    if (q + 1 < b && c->s[q + 1] == '/')
        return perr(c, q, "ip4 takes one CIDR length '/n' (0-32), not '//'");
    rc = cidr_len(c, q + 1, b, 2, 32, &c->t->cidr4, &q);
    if (rc < 0)
        return rc;
    c->t->flags |= PC_SPF_TF_CIDR4;
    return q == b ? 0 : perr(c, q, "unexpected text after the ip4 CIDR length");
}

static int mech_ip6(term_ctx_t *c, size_t p, size_t b)
{
    char buf[48];
    size_t q;
    int rc;

    for (q = p; q < b && c->s[q] != '/'; q++)
        ;
    if (q == p || q - p >= sizeof(buf))
        goto bad;
    memcpy(buf, c->s + p, q - p);
    buf[q - p] = '\0';
    if (inet_pton(AF_INET6, buf, c->t->addr) != 1)
        goto bad;
    set_span(&c->t->arg, p, q);
    if (q == b)
        return 0;
    if (q + 1 < b && c->s[q + 1] == '/')
        return perr(c, q, "ip6 takes one CIDR length '/n' (0-128), not '//'");
    rc = cidr_len(c, q + 1, b, 3, 128, &c->t->cidr6, &q);
    if (rc < 0)
        return rc;
    c->t->flags |= PC_SPF_TF_CIDR6;
    return q == b ? 0 : perr(c, q, "unexpected text after the ip6 CIDR length");
bad:
    pc_perr_set(c->err, p, "invalid ip6-network '%.*s' (RFC 4291 section 2.2)",
                (int)(q - p > 60 ? 60 : q - p), c->s + p);
    return PC_ERECORD;
}

/* The argument of a mechanism: s[p..b) follows the mechanism name. */
static int mechanism_arg(term_ctx_t *c, size_t p, size_t b)
{
    const char *s = c->s;
    const char *name = pc_spf_kind_name(c->t->kind);
    int colon = p < b && s[p] == ':';

    switch (c->t->kind) {
    case PC_SPF_MECH_ALL:
        return p == b ? 0 : perr(c, p, "'all' takes no argument (section 5.1)");
    case PC_SPF_MECH_INCLUDE:
    case PC_SPF_MECH_EXISTS:
        if (!colon) {
            pc_perr_set(c->err, p, "%s requires ':' and a domain-spec", name);
            return PC_ERECORD;
        }
        return domain_spec(c, p + 1, b);
    case PC_SPF_MECH_PTR:
        if (p == b)
            return 0;
        if (!colon)
            return perr(c, p, "ptr takes only ':' and a domain-spec; no CIDR"
                        " length (section 5.5)");
        return domain_spec(c, p + 1, b);
    case PC_SPF_MECH_A:
    case PC_SPF_MECH_MX:
        if (p == b)
            return 0;
        if (colon)
            return domain_and_cidr(c, p + 1, b);
        if (s[p] == '/')
            return dual_cidr(c, p, b);
        pc_perr_set(c->err, p, "%s must be followed by ':', '/' or a space",
                    name);
        return PC_ERECORD;
    case PC_SPF_MECH_IP4:
    case PC_SPF_MECH_IP6:
        if (!colon) {
            pc_perr_set(c->err, p, "%s requires ':' and an address", name);
            return PC_ERECORD;
        }
        return c->t->kind == PC_SPF_MECH_IP4 ? mech_ip4(c, p + 1, b)
                                        : mech_ip6(c, p + 1, b);
    default:
        return perr(c, p, "internal: not a mechanism");
    }
}

/* modifier = name "=" value, with the name already checked; s[v..b) is the
 * value. redirect= and exp= take a domain-spec and appear at most once. */
static int modifier(term_ctx_t *c, pc_spf_record_t *rec, size_t v, size_t b)
{
    pc_spf_term_t *t = c->t;
    int *seen = NULL;
    int rc;

    if (word_eq(c->s + t->name.off, t->name.len, "redirect")) {
        t->kind = PC_SPF_MOD_REDIRECT;
        seen = &rec->redirect;
    } else if (word_eq(c->s + t->name.off, t->name.len, "exp")) {
        t->kind = PC_SPF_MOD_EXP;
        seen = &rec->exp;
    } else {
        t->kind = PC_SPF_MOD_UNKNOWN;
        set_span(&t->arg, v, b);
        rc = pc_spf_macro_check(c->s + v, b - v, PC_SPF_MACRO_CRT, NULL, c->err);
        if (rc < 0 && c->err != NULL)
            c->err->pos += v;
        return rc;
    }
    if (*seen >= 0) {
        pc_perr_set(c->err, c->a, "%s= appears more than once (section 6)",
                    pc_spf_kind_name(t->kind));
        return PC_ERECORD;
    }
    *seen = (int)rec->nterms;
    return domain_spec(c, v, b);
}

/* One term s[a..b), already known to hold no SP. */
static int parse_term(pc_spf_record_t *rec, size_t a, size_t b, pc_perr_t *err)
{
    const char *s = rec->text;
    pc_spf_term_t *t = &rec->terms[rec->nterms];
    term_ctx_t c = {s, a, t, err};
    size_t p, q, i;

    memset(t, 0, sizeof(*t));
    t->qual = PC_SPF_QUAL_PASS;
    t->cidr4 = 32;
    t->cidr6 = 128;
    set_span(&t->text, a, b);
    for (p = a; p < b; p++) {
        unsigned char o = (unsigned char)s[p];

        if (o < 0x21 || o > 0x7e) {
            pc_perr_set(err, p, o >= 0x80 ? "non-ASCII octet 0x%02x: SPF"
                        " records are 7-bit ASCII (section 3.1)" :
                        "control octet 0x%02x: terms are separated by spaces"
                        " only (section 4.6.1)", o);
            return PC_ERECORD;
        }
    }
    /* modifier: name "=" ... with '=' before any ':' or '/' (§4.6.1) */
    if (is_alpha((unsigned char)s[a])) {
        for (q = a + 1; q < b && is_name_char((unsigned char)s[q]); q++)
            ;
        if (q < b && s[q] == '=') {
            set_span(&t->name, a, q);
            return modifier(&c, rec, q + 1, b);
        }
    }
    p = a;
    if (strchr("+-~?", s[p]) != NULL) {
        t->qual = (pc_spf_qual_t)s[p];
        t->flags |= PC_SPF_TF_QUAL;
        p++;
    }
    for (q = p; q < b && (is_alpha((unsigned char)s[q]) ||
                          is_digit((unsigned char)s[q])); q++)
        ;
    set_span(&t->name, p, q);
    for (i = 0; i < sizeof(mechanisms) / sizeof(mechanisms[0]); i++) {
        if (word_eq(s + p, q - p, mechanisms[i].name)) {
            t->kind = mechanisms[i].kind;
            return mechanism_arg(&c, q, b);
        }
    }
    if (q == p && q < b && s[q] == '=')
        return perr(&c, a, "modifier name missing before '='");
    if (q < b && s[q] == '=')
        return perr(&c, a, p > a ? "modifiers take no qualifier" :
                    "a modifier name must start with a letter (section 12)");
    if (word_eq(s + p, q - p, "redirect") || word_eq(s + p, q - p, "exp")) {
        pc_perr_set(err, p, "'%.*s' is a modifier: write %.*s=domain",
                    (int)(q - p), s + p, (int)(q - p), s + p);
        return PC_ERECORD;
    }
    if (q == p)
        return perr(&c, p, "mechanism name expected");
    pc_perr_set(err, p, "unknown mechanism '%.*s' (section 5)",
                (int)(q - p > 40 ? 40 : q - p), s + p);
    return PC_ERECORD;
}

/* ---- Warnings ------------------------------------------------------------- */

static int term_has_p_macro(const pc_spf_record_t *rec, const pc_spf_term_t *t)
{
    int found = 0;

    if (t->kind == PC_SPF_MECH_IP4 || t->kind == PC_SPF_MECH_IP6 || t->arg.len == 0)
        return 0;
    (void)pc_spf_macro_check(rec->text + t->arg.off, t->arg.len,
                             t->kind == PC_SPF_MOD_UNKNOWN ? PC_SPF_MACRO_CRT : 0,
                             &found, NULL);
    return found;
}

static int is_lookup(pc_spf_kind_t k)
{
    return k == PC_SPF_MECH_INCLUDE || k == PC_SPF_MECH_A || k == PC_SPF_MECH_MX ||
           k == PC_SPF_MECH_PTR || k == PC_SPF_MECH_EXISTS;
}

static void add_warnings(const pc_spf_record_t *rec, pc_warnings_t *w)
{
    unsigned i, after_all = 0;
    int ptr = 0, pmac = 0;

    for (i = 0; i < rec->nterms; i++) {
        const pc_spf_term_t *t = &rec->terms[i];

        if (t->kind == PC_SPF_MECH_PTR && !ptr++)
            pc_warn_add(w, "ptr-used", "the ptr mechanism is slow and"
                        " unreliable and SHOULD NOT be used (section 5.5)");
        if (!pmac && term_has_p_macro(rec, t)) {
            pmac = 1;
            pc_warn_add(w, "p-macro-used", "the %%{p} macro is slow and"
                        " unreliable and SHOULD NOT be used (section 7)");
        }
        if (t->kind == PC_SPF_MOD_UNKNOWN)
            pc_warn_add(w, "unknown-modifier", "unknown modifier '%.*s=' is"
                        " ignored (section 6)",
                        (int)(t->name.len > 60 ? 60 : t->name.len),
                        rec->text + t->name.off);
        if ((t->kind == PC_SPF_MECH_IP4 && t->cidr4 == 0) ||
            (t->kind == PC_SPF_MECH_IP6 && t->cidr6 == 0)) {
            if (t->qual == PC_SPF_QUAL_PASS)
                pc_warn_add(w, "plus-any-ip", "'%.*s' passes every %s address",
                            (int)(t->text.len > 60 ? 60 : t->text.len),
                            rec->text + t->text.off,
                            t->kind == PC_SPF_MECH_IP4 ? "IPv4" : "IPv6");
        }
        if (rec->all >= 0 && i > (unsigned)rec->all && t->kind <= PC_SPF_MECH_EXISTS)
            after_all++;
    }
    if (rec->all >= 0 && rec->terms[rec->all].qual == PC_SPF_QUAL_PASS)
        pc_warn_add(w, "plus-all", "%s: every host on the Internet passes",
                    (rec->terms[rec->all].flags & PC_SPF_TF_QUAL) ? "'+all'"
                    : "'all' without a qualifier means '+all'");
    if (after_all > 0)
        pc_warn_add(w, "terms-after-all", "%u mechanism%s after 'all' %s never"
                    " evaluated (section 5.1)", after_all,
                    after_all == 1 ? "" : "s", after_all == 1 ? "is" : "are");
    if (rec->all >= 0 && rec->redirect >= 0)
        pc_warn_add(w, "redirect-with-all", "redirect= is ignored because the"
                    " record has an 'all' mechanism (section 6.1)");
    if (rec->all < 0 && rec->redirect < 0)
        pc_warn_add(w, "no-all-no-redirect", "no 'all' and no redirect=:"
                    " unmatched hosts get the default result neutral"
                    " (section 4.7)");
    if (rec->lookups > PC_SPF_LOOKUP_LIMIT)
        pc_warn_add(w, "lookups-over-limit", "%u DNS-querying terms in this"
                    " record alone; an evaluation that reaches the %uth gives"
                    " permerror (section 4.6.4)", rec->lookups,
                    PC_SPF_LOOKUP_LIMIT + 1);
    else if (rec->lookups >= PC_SPF_LOOKUP_NEAR)
        pc_warn_add(w, "lookups-near-limit", "%u of the %u allowed DNS-querying"
                    " terms in this record alone, before nested includes"
                    " (section 4.6.4)", rec->lookups, PC_SPF_LOOKUP_LIMIT);
    if (rec->len > PC_SPF_LONG_RECORD)
        pc_warn_add(w, "record-long", "record is %zu octets; keep it under %d"
                    " so the DNS answer fits in 512 octets (section 3.4)",
                    rec->len, PC_SPF_LONG_RECORD);
}

/* ---- Record --------------------------------------------------------------- */

static void record_reset(pc_spf_record_t *rec)
{
    memset(rec, 0, sizeof(*rec));
    rec->all = rec->redirect = rec->exp = -1;
}

int pc_spf_parse(const char *text, size_t len, pc_spf_record_t *rec,
                 pc_warnings_t *warn, pc_perr_t *err)
{
    size_t p, a;
    unsigned i;
    int rc;

    if (rec == NULL || (text == NULL && len > 0))
        return PC_EINVAL;
    record_reset(rec);
    if (warn != NULL)
        memset(warn, 0, sizeof(*warn));
    if (err != NULL)
        memset(err, 0, sizeof(*err));
    if (len > PC_SPF_TEXT_MAX) {
        pc_perr_set(err, PC_SPF_TEXT_MAX, "record is %zu octets; the limit is"
                    " %d", len, PC_SPF_TEXT_MAX);
        return PC_ERECORD;
    }
    if (!has_version(text, len)) {
        pc_perr_set(err, 0, "record does not begin with \"v=spf1\" followed by"
                    " a space or the end (section 4.5)");
        return PC_ERECORD;
    }
    memcpy(rec->text, text, len);
    rec->text[len] = '\0';
    rec->len = len;
    for (p = 6;;) {
        while (p < len && rec->text[p] == ' ')
            p++;
        if (p == len)
            break;
        for (a = p; p < len && rec->text[p] != ' '; p++)
            ;
        if (rec->nterms == PC_SPF_TERMS_MAX) {
            pc_perr_set(err, a, "more than %d terms (limit)", PC_SPF_TERMS_MAX);
            rc = PC_ERECORD;
            goto fail;
        }
        rc = parse_term(rec, a, p, err);
        if (rc < 0)
            goto fail;
        if (rec->terms[rec->nterms].kind == PC_SPF_MECH_ALL && rec->all < 0)
            rec->all = (int)rec->nterms;
        rec->nterms++;
    }
    for (i = 0; i < rec->nterms; i++) {
        if (rec->all >= 0 && i > (unsigned)rec->all)
            break;
        if (is_lookup(rec->terms[i].kind))
            rec->lookups++;
    }
    if (rec->redirect >= 0 && rec->all < 0)
        rec->lookups++;
    add_warnings(rec, warn);
    return 0;
fail:
    record_reset(rec);
    return rc;
}

/* ---- Field visitor -------------------------------------------------------- */

int pc_spf_fields(const pc_spf_record_t *rec, pc_field_cb cb, void *arg)
{
    char name[PC_SPF_FIELD_NAME_MAX + 1], value[PC_SPF_TEXT_MAX + 2];
    unsigned i;
    size_t j, n;
    int rc;

    if (rec == NULL || cb == NULL || rec->len > PC_SPF_TEXT_MAX ||
        rec->nterms > PC_SPF_TERMS_MAX)
        return PC_EINVAL;
    rc = cb(arg, "v", "spf1", PC_FIELD_EXPLICIT);
    if (rc < 0)
        return rc;
    for (i = 0; i < rec->nterms; i++) {
        const pc_spf_term_t *t = &rec->terms[i];
        size_t rest = (size_t)t->name.off + t->name.len;
        size_t end = (size_t)t->text.off + t->text.len;
        unsigned flags = PC_FIELD_EXPLICIT;

        if (end > rec->len || rest > end)
            return PC_EINVAL;
        for (j = 0; j < t->name.len && j < PC_SPF_FIELD_NAME_MAX; j++)
            name[j] = (char)lower((unsigned char)rec->text[t->name.off + j]);
        name[j] = '\0';
        n = 0;
        if (t->kind <= PC_SPF_MECH_EXISTS) {
            value[n++] = (char)t->qual;
            if (!(t->flags & PC_SPF_TF_QUAL))
                flags = PC_FIELD_DEFAULT;
            if (rest < end && rec->text[rest] == ':')
                rest++;
        } else {
            rest++; /* '=' */
        }
        if (rest < end) {
            memcpy(value + n, rec->text + rest, end - rest);
            n += end - rest;
        }
        value[n] = '\0';
        rc = cb(arg, name, value, flags);
        if (rc < 0)
            return rc;
    }
    return 0;
}
