/*
 * dmarc.c - the DMARC policy record grammar of RFC 9989 §4.7/§4.8: the fixed
 * v=DMARC1 prefix, a tag table with one value parser per tag, the
 * §4.10.1 rule for missing or invalid policies, and the field visitor.
 */
#include <stdio.h>
#include <string.h>

#include "polcache/error.h"
#include "dmarc.h"

/* Parsing state shared by the helpers of one pc_dmarc_parse call. */
typedef struct dmarc_ctx {
    const char *t;     /* the record */
    size_t len;
    pc_dmarc_t *d;
    unsigned seen;     /* PC_DMARC_TAG_* met so far, valid or not */
    unsigned ntags;    /* non-empty tag segments after v */
    unsigned p_index;  /* ntags value of the p= segment, 0 if none */
    size_t policy_pos; /* offset of the first missing/invalid p, sp, np */
} dmarc_ctx_t;

typedef int (*dmarc_tag_fn)(dmarc_ctx_t *c, const char *v, size_t n);

/* One known tag: its name, bit, value parser and default, as printed. */
typedef struct dmarc_tag {
    const char *name;
    unsigned bit;
    dmarc_tag_fn parse;
    const char *deflt;
} dmarc_tag_t;

static int is_wsp(char ch)
{
    return ch == ' ' || ch == '\t';
}

static int is_alpha(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static int is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

static char lower(char ch)
{
    return (ch >= 'A' && ch <= 'Z') ? (char)(ch + ('a' - 'A')) : ch;
}

/* 1 if s[0..n) equals the lower-case literal lit, ignoring ASCII case. */
static int ieq(const char *s, size_t n, const char *lit)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (lit[i] == '\0' || lower(s[i]) != lit[i])
            return 0;
    return lit[n] == '\0';
}

/* Trim WSP on both ends of [*a, *b). */
static void trim(const char *t, size_t *a, size_t *b)
{
    while (*a < *b && is_wsp(t[*a]))
        (*a)++;
    while (*b > *a && is_wsp(t[*b - 1]))
        (*b)--;
}

/* Next token of a sep-separated list, WSP-trimmed; returns 0 at the end. */
static int next_item(const char *v, size_t n, char sep, size_t *pos,
                     size_t *a, size_t *b)
{
    size_t i = *pos;

    if (i > n)
        return 0;
    *a = i;
    while (i < n && v[i] != sep)
        i++;
    *b = i;
    *pos = i + 1;
    trim(v, a, b);
    return 1;
}

static int parse_policy(const char *v, size_t n, pc_dmarc_policy_t *out)
{
    if (ieq(v, n, "none"))
        *out = PC_DMARC_NONE;
    else if (ieq(v, n, "quarantine"))
        *out = PC_DMARC_QUARANTINE;
    else if (ieq(v, n, "reject"))
        *out = PC_DMARC_REJECT;
    else
        return -1;
    return 0;
}

static int tag_p(dmarc_ctx_t *c, const char *v, size_t n)
{
    return parse_policy(v, n, &c->d->p);
}

static int tag_sp(dmarc_ctx_t *c, const char *v, size_t n)
{
    return parse_policy(v, n, &c->d->sp);
}

static int tag_np(dmarc_ctx_t *c, const char *v, size_t n)
{
    return parse_policy(v, n, &c->d->np);
}

static int tag_psd(dmarc_ctx_t *c, const char *v, size_t n)
{
    if (ieq(v, n, "y"))
        c->d->psd = PC_DMARC_PSD_Y;
    else if (ieq(v, n, "n"))
        c->d->psd = PC_DMARC_PSD_N;
    else if (ieq(v, n, "u"))
        c->d->psd = PC_DMARC_PSD_U;
    else
        return -1;
    return 0;
}

static int tag_t(dmarc_ctx_t *c, const char *v, size_t n)
{
    if (ieq(v, n, "y"))
        c->d->testing = true;
    else if (ieq(v, n, "n"))
        c->d->testing = false;
    else
        return -1;
    return 0;
}

static int parse_align(const char *v, size_t n, pc_dmarc_align_t *out)
{
    if (ieq(v, n, "r"))
        *out = PC_DMARC_RELAXED;
    else if (ieq(v, n, "s"))
        *out = PC_DMARC_STRICT;
    else
        return -1;
    return 0;
}

static int tag_adkim(dmarc_ctx_t *c, const char *v, size_t n)
{
    return parse_align(v, n, &c->d->adkim);
}

static int tag_aspf(dmarc_ctx_t *c, const char *v, size_t n)
{
    return parse_align(v, n, &c->d->aspf);
}

/* fo: a ':' list of 0, 1, d, s; each at most once, 0 and 1 exclusive. */
static int tag_fo(dmarc_ctx_t *c, const char *v, size_t n)
{
    unsigned fo = 0, bit;
    size_t pos = 0, a, b;

    while (next_item(v, n, ':', &pos, &a, &b)) {
        if (b - a != 1)
            return -1;
        switch (lower(v[a])) {
        case '0': bit = PC_DMARC_FO_0; break;
        case '1': bit = PC_DMARC_FO_1; break;
        case 'd': bit = PC_DMARC_FO_D; break;
        case 's': bit = PC_DMARC_FO_S; break;
        default: return -1;
        }
        if (fo & bit)
            return -1;
        fo |= bit;
    }
    if ((fo & PC_DMARC_FO_0) && (fo & PC_DMARC_FO_1))
        return -1;
    c->d->fo = fo;
    return 0;
}

/* Decimal digits into a u64; -1 on no digits or overflow. */
static int parse_u64(const char *v, size_t n, uint64_t *out)
{
    uint64_t x = 0;
    size_t i;

    if (n == 0)
        return -1;
    for (i = 0; i < n; i++) {
        if (!is_digit(v[i]) || x > (UINT64_MAX - 9) / 10)
            return -1;
        x = x * 10 + (uint64_t)(v[i] - '0');
    }
    *out = x;
    return 0;
}

/* pct (historic): 1*3DIGIT, 0..100 (RFC 7489 §6.4). */
static int tag_pct(dmarc_ctx_t *c, const char *v, size_t n)
{
    uint64_t x;

    if (n > 3 || parse_u64(v, n, &x) != 0 || x > 100)
        return -1;
    c->d->pct = (unsigned)x;
    return 0;
}

/* ri (historic): 1*DIGIT, a 32-bit unsigned number of seconds. */
static int tag_ri(dmarc_ctx_t *c, const char *v, size_t n)
{
    uint64_t x;

    if (parse_u64(v, n, &x) != 0 || x > UINT32_MAX)
        return -1;
    c->d->ri = (uint32_t)x;
    return 0;
}

/* rf (historic): Keyword *(":" Keyword), Keyword from RFC 5321; kept
 * with the WSP around the colons removed. */
static int tag_rf(dmarc_ctx_t *c, const char *v, size_t n)
{
    char rf[PC_DMARC_RF_LEN];
    size_t pos = 0, a, b, i, o = 0;

    while (next_item(v, n, ':', &pos, &a, &b)) {
        if (a == b || !(is_alpha(v[a]) || is_digit(v[a])) ||
            !(is_alpha(v[b - 1]) || is_digit(v[b - 1])))
            return -1;
        for (i = a; i < b; i++)
            if (!is_alpha(v[i]) && !is_digit(v[i]) && v[i] != '-')
                return -1;
        if (o + (o > 0) + (b - a) >= sizeof(rf))
            return -1;
        if (o > 0)
            rf[o++] = ':';
        memcpy(rf + o, v + a, b - a);
        o += b - a;
    }
    rf[o] = '\0';
    memcpy(c->d->rf, rf, o + 1);
    return 0;
}

/* RFC 3986 URI octets a DMARC URI may hold outside the scheme: unreserved,
 * reserved minus ',' and '!' (RFC 9989 §4.8), and '%' for pct-encoding. */
static int uri_char(char ch)
{
    return is_alpha(ch) || is_digit(ch) || (ch != '\0' &&
           strchr("-._~:/?#[]@$&'()*+;=", ch) != NULL);
}

static int is_hex(char ch)
{
    return is_digit(ch) || (lower(ch) >= 'a' && lower(ch) <= 'f');
}

/* Length of the scheme of a syntactically valid URI, or 0 if not valid. */
static size_t uri_check(const char *s, size_t n)
{
    size_t i = 0, scheme;

    if (n == 0 || !is_alpha(s[0]))
        return 0;
    while (i < n && (is_alpha(s[i]) || is_digit(s[i]) || s[i] == '+' ||
                     s[i] == '-' || s[i] == '.'))
        i++;
    if (i >= n || s[i] != ':')
        return 0;
    scheme = i;
    for (i++; i < n; i++) {
        if (s[i] == '%') {
            if (i + 2 >= n || !is_hex(s[i + 1]) || !is_hex(s[i + 2]))
                return 0;
            i += 2;
        } else if (!uri_char(s[i])) {
            return 0;
        }
    }
    return scheme;
}

/* The obsolete "!" 1*DIGIT [k/m/g/t] suffix after the bang. */
static int parse_size(const char *s, size_t n, pc_dmarc_uri_t *u)
{
    size_t digits = n;

    if (n > 0 && strchr("kmgtKMGT", s[n - 1]) != NULL && !is_digit(s[n - 1]))
        digits = n - 1;
    if (parse_u64(s, digits, &u->size) != 0)
        return -1;
    u->size_unit = digits < n ? lower(s[n - 1]) : '\0';
    u->has_size = true;
    return 0;
}

/* One element of a rua/ruf list. */
static void uri_item(dmarc_ctx_t *c, pc_dmarc_urilist_t *l, const char *tag,
                     const char *s, size_t n)
{
    char shown[64];
    pc_dmarc_uri_t u;
    size_t ulen = n, scheme;
    const char *bang = n > 0 ? memchr(s, '!', n) : NULL;

    memset(&u, 0, sizeof(u));
    if (bang != NULL)
        ulen = (size_t)(bang - s);
    scheme = uri_check(s, ulen);
    if (scheme == 0 || (bang != NULL &&
        parse_size(bang + 1, n - ulen - 1, &u) != 0)) {
        l->invalid++;
        pc_warn_add(&c->d->warnings, "uri-invalid",
                    "%s: '%s' is not a valid DMARC URI; dropped", tag,
                    pc_diag_show(shown, sizeof(shown), s, n));
        return;
    }
    l->valid++;
    if (u.has_size)
        pc_warn_add(&c->d->warnings, "uri-size-limit",
                    "%s: the '!size' suffix of '%s' is obsolete and ignored "
                    "by RFC 9989 reporters", tag,
                    pc_diag_show(shown, sizeof(shown), s, n));
    if (!ieq(s, scheme, "mailto"))
        pc_warn_add(&c->d->warnings, "uri-scheme",
                    "%s: '%s' is not a mailto: URI; receivers need not "
                    "support it", tag, pc_diag_show(shown, sizeof(shown), s, ulen));
    if (l->n >= PC_DMARC_URIS_MAX || ulen >= PC_DMARC_URI_LEN) {
        pc_warn_add(&c->d->warnings, "uri-limit",
                    "%s: '%s' not kept (at most %d URIs of %d bytes)", tag,
                    pc_diag_show(shown, sizeof(shown), s, ulen), PC_DMARC_URIS_MAX,
                    PC_DMARC_URI_LEN - 1);
        return;
    }
    memcpy(u.uri, s, ulen);
    u.uri[ulen] = '\0';
    l->uri[l->n++] = u;
}

static int parse_urilist(dmarc_ctx_t *c, pc_dmarc_urilist_t *l,
                         const char *tag, const char *v, size_t n)
{
    size_t pos = 0, a, b;

    while (next_item(v, n, ',', &pos, &a, &b))
        uri_item(c, l, tag, v + a, b - a);
    return l->valid > 0 ? 0 : -1;
}

static int tag_rua(dmarc_ctx_t *c, const char *v, size_t n)
{
    return parse_urilist(c, &c->d->rua, "rua", v, n);
}

static int tag_ruf(dmarc_ctx_t *c, const char *v, size_t n)
{
    return parse_urilist(c, &c->d->ruf, "ruf", v, n);
}

/* Known tags in visiting order. v is handled before the loop. */
static const dmarc_tag_t dmarc_tags[] = {
    {"v", PC_DMARC_TAG_V, NULL, "DMARC1"},
    {"p", PC_DMARC_TAG_P, tag_p, "none"},
    {"sp", PC_DMARC_TAG_SP, tag_sp, "none"},
    {"np", PC_DMARC_TAG_NP, tag_np, "none"},
    {"psd", PC_DMARC_TAG_PSD, tag_psd, "u"},
    {"t", PC_DMARC_TAG_T, tag_t, "n"},
    {"adkim", PC_DMARC_TAG_ADKIM, tag_adkim, "r"},
    {"aspf", PC_DMARC_TAG_ASPF, tag_aspf, "r"},
    {"fo", PC_DMARC_TAG_FO, tag_fo, "0"},
    {"rua", PC_DMARC_TAG_RUA, tag_rua, ""},
    {"ruf", PC_DMARC_TAG_RUF, tag_ruf, ""},
    {"pct", PC_DMARC_TAG_PCT, tag_pct, "100"},
    {"rf", PC_DMARC_TAG_RF, tag_rf, "afrf"},
    {"ri", PC_DMARC_TAG_RI, tag_ri, "86400"},
};
#define DMARC_NTAGS (sizeof(dmarc_tags) / sizeof(dmarc_tags[0]))
#define DMARC_HISTORIC (PC_DMARC_TAG_PCT | PC_DMARC_TAG_RF | PC_DMARC_TAG_RI)
#define DMARC_POLICIES (PC_DMARC_TAG_P | PC_DMARC_TAG_SP | PC_DMARC_TAG_NP)

static void set_defaults(pc_dmarc_t *d)
{
    memset(d, 0, sizeof(*d));
    d->status = PC_DMARC_NOT_DMARC;
    d->fo = PC_DMARC_FO_0;
    d->pct = PC_DMARC_PCT_DEFAULT;
    d->ri = PC_DMARC_RI_DEFAULT;
    memcpy(d->rf, "afrf", 5);
}

/* dmarc-version at the very start: "v" equals %s"DMARC1", then the end, a
 * separator or WSP. Sets *end after it and returns 0, or -1 with err set. */
static int parse_version(const char *t, size_t len, size_t *end,
                         pc_perr_t *err)
{
    size_t i = 1;

    if (len == 0 || lower(t[0]) != 'v') {
        pc_perr_set(err, 0, "does not begin with the v= tag");
        return -1;
    }
    while (i < len && is_wsp(t[i]))
        i++;
    if (i >= len || t[i] != '=') {
        pc_perr_set(err, i, "v tag without '='");
        return -1;
    }
    i++;
    while (i < len && is_wsp(t[i]))
        i++;
    if (len - i < 6 || memcmp(t + i, "DMARC1", 6) != 0) {
        pc_perr_set(err, i, "v= value is not DMARC1 (case-sensitive)");
        return -1;
    }
    i += 6;
    while (i < len && is_wsp(t[i]))
        i++;
    if (i < len && t[i] != ';') {
        pc_perr_set(err, i, "v= value is not exactly DMARC1");
        return -1;
    }
    *end = i;
    return 0;
}

/* 1 if every octet is a dmarc-value octet (%x20-3A / %x3C-7E) or HTAB,
 * which dmarc-urilist allows as WSP around its commas. */
static int value_ok(const char *v, size_t n)
{
    size_t i;

    if (n == 0)
        return 0;
    for (i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)v[i];
        if ((ch < 0x20 && ch != '\t') || ch > 0x7e || ch == ';')
            return 0;
    }
    return 1;
}

static const dmarc_tag_t *find_tag(const char *name, size_t n)
{
    size_t i;

    for (i = 0; i < DMARC_NTAGS; i++)
        if (ieq(name, n, dmarc_tags[i].name))
            return &dmarc_tags[i];
    return NULL;
}

/* One known tag with its value [va, vb). Returns 0 or PC_ERECORD. */
static int known_tag(dmarc_ctx_t *c, const dmarc_tag_t *tag, size_t at,
                     size_t va, size_t vb, pc_perr_t *err)
{
    char shown[64];
    pc_dmarc_t *d = c->d;

    if (c->seen & tag->bit) {
        d->status = PC_DMARC_INVALID;
        pc_perr_set(err, at, "tag '%s' repeated: the tag-list is invalid "
                    "(RFC 6376 §3.2)", tag->name);
        return PC_ERECORD;
    }
    c->seen |= tag->bit;
    if (tag->bit == PC_DMARC_TAG_P)
        c->p_index = c->ntags;
    if (tag->bit & DMARC_HISTORIC)
        pc_warn_add(&d->warnings, "historic-tag",
                    "%s= is historic (removed by RFC 9989); only RFC 7489 "
                    "readers use it", tag->name);
    if (value_ok(c->t + va, vb - va) &&
        tag->parse(c, c->t + va, vb - va) == 0) {
        d->explicit_tags |= tag->bit;
        return 0;
    }
    d->invalid_tags |= tag->bit;
    if ((tag->bit & DMARC_POLICIES) && c->policy_pos == SIZE_MAX)
        c->policy_pos = va;
    pc_warn_add(&d->warnings, "invalid-value",
                "%s='%s' is not valid; %s%s", tag->name,
                pc_diag_show(shown, sizeof(shown), c->t + va, vb - va),
                tag->deflt[0] != '\0' ? "using the default " : "ignored",
                tag->deflt);
    return 0;
}

/* One segment [a, b) between separators. Returns 0 or PC_ERECORD. */
static int segment(dmarc_ctx_t *c, size_t a, size_t b, int last,
                   pc_perr_t *err)
{
    char shown[64];
    const char *t = c->t;
    const dmarc_tag_t *tag;
    size_t at, eq, ne, va;

    trim(t, &a, &b);
    if (a == b) {
        if (!last)
            pc_warn_add(&c->d->warnings, "empty-tag",
                        "empty tag at offset %zu ignored", a);
        return 0;
    }
    c->ntags++;
    at = a;
    for (eq = a; eq < b && t[eq] != '='; eq++)
        ;
    ne = eq;
    while (ne > a && is_wsp(t[ne - 1]))
        ne--;
    for (va = a; va < ne && is_alpha(t[va]); va++)
        ;
    if (eq == b || ne == a || va != ne) {
        pc_warn_add(&c->d->warnings, "malformed-tag",
                    "'%s' at offset %zu is not a tag=value pair; ignored",
                    pc_diag_show(shown, sizeof(shown), t + a, b - a), a);
        return 0;
    }
    va = eq + 1;
    while (va < b && is_wsp(t[va]))
        va++;
    tag = find_tag(t + a, ne - a);
    if (tag == NULL) {
        pc_warn_add(&c->d->warnings, "unknown-tag",
                    "unknown tag '%s' ignored",
                    pc_diag_show(shown, sizeof(shown), t + a, ne - a));
        return 0;
    }
    if (tag->parse == NULL) { /* a second v= */
        c->d->status = PC_DMARC_INVALID;
        pc_perr_set(err, at, "tag 'v' repeated: the tag-list is invalid "
                    "(RFC 6376 §3.2)");
        return PC_ERECORD;
    }
    return known_tag(c, tag, at, va, b, err);
}

/* RFC 9989 §4.10.1 and the record-level warnings. */
static int finish(dmarc_ctx_t *c, pc_perr_t *err)
{
    pc_dmarc_t *d = c->d;
    int rc = 0;

    if (!(d->explicit_tags & PC_DMARC_TAG_SP))
        d->sp = d->p;
    if (!(d->explicit_tags & PC_DMARC_TAG_NP))
        d->np = d->sp;
    if (!(c->seen & PC_DMARC_TAG_P))
        pc_warn_add(&d->warnings, "p-missing",
                    "no p= tag; RFC 7489 readers require one");
    if (!(d->explicit_tags & PC_DMARC_TAG_P) ||
        (d->invalid_tags & (PC_DMARC_TAG_SP | PC_DMARC_TAG_NP))) {
        if (d->rua.valid > 0) {
            d->status = PC_DMARC_AS_NONE;
            d->p = d->sp = d->np = PC_DMARC_NONE;
            pc_warn_add(&d->warnings, "policy-as-none",
                        "p= missing or p/sp/np invalid, but rua= is valid: "
                        "acting as p=none (RFC 9989 §4.10.1)");
        } else {
            d->status = PC_DMARC_NO_POLICY;
            pc_perr_set(err, c->policy_pos == SIZE_MAX ? c->len
                        : c->policy_pos, "%s and no valid rua= URI: no DMARC "
                        "processing (RFC 9989 §4.10.1)",
                        (d->explicit_tags & PC_DMARC_TAG_P) ?
                        "invalid sp= or np=" : "no valid p=");
            rc = PC_ERECORD;
        }
    } else {
        d->status = PC_DMARC_OK;
    }
    d->usable = rc == 0;
    if (d->rua.valid == 0)
        pc_warn_add(&d->warnings, "no-rua",
                    "no valid rua= URI: nobody receives aggregate reports");
    if (d->status == PC_DMARC_OK && d->p == PC_DMARC_NONE)
        pc_warn_add(&d->warnings, "p-none",
                    "p=none: monitoring only, failing mail is not acted on");
    if (d->status == PC_DMARC_OK && (d->explicit_tags & PC_DMARC_TAG_SP) &&
        d->sp < d->p)
        pc_warn_add(&d->warnings, "sp-weaker-than-p",
                    "sp=%s is weaker than p=%s", pc_dmarc_policy_name(d->sp),
                    pc_dmarc_policy_name(d->p));
    if (d->status == PC_DMARC_OK && (d->explicit_tags & PC_DMARC_TAG_NP) &&
        d->np < d->sp)
        pc_warn_add(&d->warnings, "np-weaker-than-sp",
                    "np=%s is weaker than the policy for existing "
                    "subdomains (%s)", pc_dmarc_policy_name(d->np),
                    pc_dmarc_policy_name(d->sp));
    if ((d->explicit_tags & PC_DMARC_TAG_P) && c->p_index != 1)
        pc_warn_add(&d->warnings, "p-not-second",
                    "p= is not the tag right after v=; RFC 7489 readers "
                    "require that order");
    if (d->ruf.valid > 0 && !(d->explicit_tags & PC_DMARC_TAG_FO))
        pc_warn_add(&d->warnings, "ruf-without-fo",
                    "ruf= without fo=: failure reports only when every "
                    "mechanism fails (fo=0)");
    if ((d->explicit_tags & PC_DMARC_TAG_FO) && d->ruf.valid == 0)
        pc_warn_add(&d->warnings, "fo-without-ruf",
                    "fo= is ignored without a valid ruf= (RFC 9989 §4.7)");
    if (d->testing && d->usable)
        pc_warn_add(&d->warnings, "testing",
                    "t=y: receivers apply one level below the published "
                    "policy");
    return rc;
}

int pc_dmarc_parse(const char *text, size_t len, pc_dmarc_t *out,
                   pc_perr_t *err)
{
    dmarc_ctx_t c;
    size_t i, e, v;
    int rc;

    if (out == NULL || (text == NULL && len > 0))
        return PC_EINVAL;
    set_defaults(out);
    if (err != NULL)
        memset(err, 0, sizeof(*err));
    if (parse_version(text, len, &v, err) != 0)
        return PC_ENOENT;
    memset(&c, 0, sizeof(c));
    c.t = text;
    c.len = len;
    c.d = out;
    c.seen = PC_DMARC_TAG_V;
    c.policy_pos = SIZE_MAX;
    out->explicit_tags = PC_DMARC_TAG_V;
    for (i = v; i < len; i = e) {
        for (e = i + 1; e < len && text[e] != ';'; e++)
            ;
        rc = segment(&c, i + 1, e, e == len, err);
        if (rc != 0) {
            out->usable = false;
            return rc;
        }
    }
    return finish(&c, err);
}

const char *pc_dmarc_policy_name(pc_dmarc_policy_t p)
{
    switch (p) {
    case PC_DMARC_NONE: return "none";
    case PC_DMARC_QUARANTINE: return "quarantine";
    case PC_DMARC_REJECT: return "reject";
    }
    return "?";
}

const char *pc_dmarc_status_name(pc_dmarc_status_t s)
{
    switch (s) {
    case PC_DMARC_NOT_DMARC: return "not-dmarc";
    case PC_DMARC_OK: return "ok";
    case PC_DMARC_AS_NONE: return "as-none";
    case PC_DMARC_NO_POLICY: return "no-policy";
    case PC_DMARC_INVALID: return "invalid";
    }
    return "?";
}

/* rua/ruf as "uri[!size],..." into buf (always large enough). */
static void print_urilist(const pc_dmarc_urilist_t *l, char *buf, size_t cap)
{
    size_t o = 0;
    unsigned i;

    buf[0] = '\0';
    for (i = 0; i < l->n && i < PC_DMARC_URIS_MAX; i++) {
        const pc_dmarc_uri_t *u = &l->uri[i];
        int w;
        if (u->has_size)
            w = snprintf(buf + o, cap - o, "%s%.*s!%llu%.*s", i ? "," : "",
                         PC_DMARC_URI_LEN - 1, u->uri,
                         (unsigned long long)u->size,
                         u->size_unit != '\0' ? 1 : 0, &u->size_unit);
        else
            w = snprintf(buf + o, cap - o, "%s%.*s", i ? "," : "",
                         PC_DMARC_URI_LEN - 1, u->uri);
        if (w < 0 || (size_t)w >= cap - o)
            break;
        o += (size_t)w;
    }
}

/* The value in force of one tag, as text; buf holds at least 8 bytes. */
static const char *tag_value(const pc_dmarc_t *d, unsigned bit, char *buf,
                             size_t cap)
{
    static const char *const psd[] = {"u", "y", "n"};
    size_t o = 0;
    unsigned i;

    switch (bit) {
    case PC_DMARC_TAG_V: return "DMARC1";
    case PC_DMARC_TAG_P: return pc_dmarc_policy_name(d->p);
    case PC_DMARC_TAG_SP: return pc_dmarc_policy_name(d->sp);
    case PC_DMARC_TAG_NP: return pc_dmarc_policy_name(d->np);
    case PC_DMARC_TAG_PSD: return (unsigned)d->psd < 3 ? psd[d->psd] : "?";
    case PC_DMARC_TAG_T: return d->testing ? "y" : "n";
    case PC_DMARC_TAG_ADKIM: return d->adkim == PC_DMARC_STRICT ? "s" : "r";
    case PC_DMARC_TAG_ASPF: return d->aspf == PC_DMARC_STRICT ? "s" : "r";
    case PC_DMARC_TAG_FO:
        for (i = 0; i < 4; i++) {
            if (d->fo & (1u << i)) {
                if (o > 0)
                    buf[o++] = ':';
                buf[o++] = "01ds"[i];
            }
        }
        buf[o] = '\0';
        return buf;
    case PC_DMARC_TAG_RUA: print_urilist(&d->rua, buf, cap); return buf;
    case PC_DMARC_TAG_RUF: print_urilist(&d->ruf, buf, cap); return buf;
    case PC_DMARC_TAG_PCT: snprintf(buf, cap, "%u", d->pct); return buf;
    case PC_DMARC_TAG_RI:
        snprintf(buf, cap, "%lu", (unsigned long)d->ri);
        return buf;
    case PC_DMARC_TAG_RF:
        snprintf(buf, cap, "%.*s", PC_DMARC_RF_LEN - 1, d->rf);
        return buf;
    }
    return "";
}

int pc_dmarc_fields(const pc_dmarc_t *d, pc_field_cb cb, void *arg)
{
    char buf[PC_DMARC_URIS_MAX * (PC_DMARC_URI_LEN + 24) + 1];
    size_t i;
    int rc;

    if (d == NULL || cb == NULL)
        return PC_EINVAL;
    for (i = 0; i < DMARC_NTAGS; i++) {
        unsigned bit = dmarc_tags[i].bit;
        unsigned flags = (d->explicit_tags & bit) ? PC_FIELD_EXPLICIT
                                                  : PC_FIELD_DEFAULT;
        if ((bit & DMARC_POLICIES) && d->status == PC_DMARC_AS_NONE)
            flags = PC_FIELD_DEFAULT;
        buf[0] = '\0';
        rc = cb(arg, dmarc_tags[i].name,
                tag_value(d, bit, buf, sizeof(buf)), flags);
        if (rc != 0)
            return rc;
    }
    return 0;
}
