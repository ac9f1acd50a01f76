/*
 * spf_macro.c - the SPF macro-string grammar (RFC 7208 §7.1): tokenizer,
 * macro-string and domain-spec validators. Syntax only; no expansion.
 */
#include <string.h>

#include "polcache/error.h"
#include "spf_macro.h"

#define MACRO_FLAGS_ALL (PC_SPF_MACRO_CRT | PC_SPF_MACRO_SP)

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static unsigned char to_lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

/* macro-literal = %x21-24 / %x26-7E, plus SP in an explain-string. */
static int is_literal(unsigned char c, unsigned flags)
{
    if (c == ' ')
        return (flags & PC_SPF_MACRO_SP) != 0;
    return c >= 0x21 && c <= 0x7e && c != '%';
}

/* Printable description of an arbitrary octet for error reasons. */
static const char *octet_desc(char buf[8], unsigned char c)
{
    static const char hex[] = "0123456789abcdef";

    if (c >= 0x21 && c <= 0x7e) {
        buf[0] = '\'';
        buf[1] = (char)c;
        buf[2] = '\'';
        buf[3] = '\0';
    } else {
        buf[0] = '0';
        buf[1] = 'x';
        buf[2] = hex[c >> 4];
        buf[3] = hex[c & 15];
        buf[4] = '\0';
    }
    return buf;
}

int pc_spf_macro_init(pc_spf_macro_iter_t *it, const char *s, size_t len,
                      unsigned flags)
{
    if (it == NULL)
        return PC_EINVAL;
    memset(it, 0, sizeof(*it));
    if ((s == NULL && len > 0) || (flags & ~MACRO_FLAGS_ALL) != 0) {
        it->failed = 1;
        return PC_EINVAL;
    }
    it->s = s;
    it->len = len;
    it->flags = flags;
    return 0;
}

static int fail(pc_spf_macro_iter_t *it, pc_perr_t *err, size_t pos,
                const char *what, unsigned char c)
{
    char d[8];

    it->failed = 1;
    pc_perr_set(err, pos, "%s %s", what, octet_desc(d, c));
    return PC_ERECORD;
}

/* Parse "%{" ... "}" starting at it->pos (which holds the '%'). */
static int next_macro(pc_spf_macro_iter_t *it, pc_spf_mtok_t *tok,
                      pc_perr_t *err)
{
    const unsigned char *s = (const unsigned char *)it->s;
    size_t start = it->pos, p = it->pos + 2;
    unsigned keep = 0;
    int digits = 0;
    unsigned char c;
    char d[8];

    if (p >= it->len) {
        it->failed = 1;
        pc_perr_set(err, start, "unterminated macro: '%%{' at end of string");
        return PC_ERECORD;
    }
    c = to_lower(s[p]);
    if (c == '\0' || strchr("slodiphcrtv", c) == NULL) {
        it->failed = 1;
        pc_perr_set(err, p, "unknown macro letter %s (valid: s l o d i p h v,"
                    " and c r t in explanations)", octet_desc(d, s[p]));
        return PC_ERECORD;
    }
    if ((c == 'c' || c == 'r' || c == 't') && !(it->flags & PC_SPF_MACRO_CRT)) {
        it->failed = 1;
        pc_perr_set(err, p, "macro letter '%c' is only allowed in explanation"
                    " text (section 7)", (char)s[p]);
        return PC_ERECORD;
    }
    tok->letter = (char)c;
    tok->upper = (unsigned char)(s[p] != c);
    p++;
    while (p < it->len && is_digit(s[p])) {
        keep = keep * 10 + (unsigned)(s[p] - '0');
        if (keep > PC_SPF_MACRO_KEEP_MAX)
            keep = PC_SPF_MACRO_KEEP_MAX;
        digits = 1;
        p++;
    }
    if (digits && keep == 0) {
        it->failed = 1;
        pc_perr_set(err, p - 1, "macro DIGIT transformer must be nonzero");
        return PC_ERECORD;
    }
    tok->keep = keep;
    if (p < it->len && to_lower(s[p]) == 'r') {
        tok->reverse = 1;
        p++;
    }
    while (p < it->len && s[p] != '\0' && strchr(".-+,/_=", s[p]) != NULL) {
        if (strchr(tok->delims, s[p]) == NULL) {
            size_t n = strlen(tok->delims);
            tok->delims[n] = (char)s[p];
            tok->delims[n + 1] = '\0';
        }
        p++;
    }
    if (p >= it->len) {
        it->failed = 1;
        pc_perr_set(err, start, "unterminated macro: missing '}'");
        return PC_ERECORD;
    }
    if (s[p] != '}')
        return fail(it, err, p, "unexpected character in macro (expected a"
                    " digit, 'r', a delimiter .-+,/_= or '}'):", s[p]);
    p++;
    tok->kind = PC_SPF_MTOK_MACRO;
    tok->off = start;
    tok->len = p - start;
    it->pos = p;
    return 1;
}

int pc_spf_macro_next(pc_spf_macro_iter_t *it, pc_spf_mtok_t *tok,
                      pc_perr_t *err)
{
    const unsigned char *s;
    size_t p;

    if (it == NULL || tok == NULL || (it->s == NULL && it->len > 0))
        return PC_EINVAL;
    if (it->failed)
        return PC_ERECORD;
    memset(tok, 0, sizeof(*tok));
    if (it->pos >= it->len)
        return 0;
    s = (const unsigned char *)it->s;
    p = it->pos;
    if (s[p] == '%') {
        static const char pct[] = "%", sp[] = " ", url_sp[] = "%20";

        if (p + 1 >= it->len) {
            it->failed = 1;
            pc_perr_set(err, p, "lone '%%' at end of string (write %%%% for a"
                        " literal percent sign)");
            return PC_ERECORD;
        }
        switch (s[p + 1]) {
        case '{':
            return next_macro(it, tok, err);
        case '%':
            tok->text = pct;
            break;
        case '_':
            tok->text = sp;
            break;
        case '-':
            tok->text = url_sp;
            break;
        default:
            return fail(it, err, p, "'%' must be followed by '{', '%', '_' or"
                        " '-', not", s[p + 1]);
        }
        tok->kind = PC_SPF_MTOK_ESCAPE;
        tok->text_len = strlen(tok->text);
        tok->off = p;
        tok->len = 2;
        it->pos = p + 2;
        return 1;
    }
    if (!is_literal(s[p], it->flags)) {
        if (s[p] == ' ')
            return fail(it, err, p, "space not allowed here:", s[p]);
        return fail(it, err, p, "invalid octet in macro-string:", s[p]);
    }
    while (p < it->len && is_literal(s[p], it->flags))
        p++;
    tok->kind = PC_SPF_MTOK_LITERAL;
    tok->off = it->pos;
    tok->len = p - it->pos;
    tok->text = it->s + it->pos;
    tok->text_len = tok->len;
    it->pos = p;
    return 1;
}

/* Walk all tokens; report the last one and whether %{p} occurred. */
static int walk(const char *s, size_t len, unsigned flags, int *found_p,
                pc_spf_mtok_t *last, pc_perr_t *err)
{
    pc_spf_macro_iter_t it;
    pc_spf_mtok_t tok;
    int rc;

    if (found_p != NULL)
        *found_p = 0;
    rc = pc_spf_macro_init(&it, s, len, flags);
    if (rc < 0)
        return rc;
    memset(last, 0, sizeof(*last));
    while ((rc = pc_spf_macro_next(&it, &tok, err)) == 1) {
        if (tok.kind == PC_SPF_MTOK_MACRO && tok.letter == 'p' &&
            found_p != NULL)
            *found_p = 1;
        *last = tok;
    }
    return rc;
}

int pc_spf_macro_check(const char *s, size_t len, unsigned flags,
                       int *found_p, pc_perr_t *err)
{
    pc_spf_mtok_t last;

    return walk(s, len, flags, found_p, &last, err);
}

/* Is s[0..len) a dotted quad of decimal numbers (a common mistake)? */
static int looks_like_ip4(const char *s, size_t len)
{
    unsigned dots = 0, run = 0;
    size_t i;

    for (i = 0; i < len; i++) {
        if (s[i] == '.') {
            if (run == 0)
                return 0;
            dots++;
            run = 0;
        } else if (is_digit((unsigned char)s[i]) && run < 3) {
            run++;
        } else {
            return 0;
        }
    }
    return dots == 3 && run > 0;
}

/*
 * toplabel = ( *alphanum ALPHA *alphanum ) /
 *            ( 1*alphanum "-" *( alphanum / "-" ) alphanum )
 * i.e. letters, digits and '-', alphanumeric at both ends, and either a
 * letter or a '-' somewhere.
 */
static int check_toplabel(const char *s, size_t off, size_t len, pc_perr_t *err)
{
    const unsigned char *l = (const unsigned char *)s + off;
    int alpha = 0, dash = 0;
    size_t i;

    if (len == 0) {
        pc_perr_set(err, off, "domain-spec ends in an empty label; it must end"
                    " in a macro or a top-level label (section 7.1)");
        return PC_ERECORD;
    }
    for (i = 0; i < len; i++) {
        if (is_alpha(l[i])) {
            alpha = 1;
        } else if (l[i] == '-') {
            dash = 1;
        } else if (!is_digit(l[i])) {
            pc_perr_set(err, off + i, "top-level label '%.*s' holds '%c'; only"
                        " letters, digits and '-' are allowed (section 7.1)",
                        (int)(len > 40 ? 40 : len), (const char *)l, (char)l[i]);
            return PC_ERECORD;
        }
    }
    if (l[0] == '-' || l[len - 1] == '-') {
        pc_perr_set(err, l[0] == '-' ? off : off + len - 1,
                    "top-level label '%.*s' must not begin or end with '-'",
                    (int)(len > 40 ? 40 : len), (const char *)l);
        return PC_ERECORD;
    }
    if (!alpha && !dash) {
        pc_perr_set(err, off, "top-level label '%.*s' is all-numeric (section"
                    " 7.1)", (int)(len > 40 ? 40 : len), (const char *)l);
        return PC_ERECORD;
    }
    return 0;
}

int pc_spf_domain_spec_check(const char *s, size_t len, unsigned flags,
                             int *found_p, pc_perr_t *err)
{
    pc_spf_mtok_t last;
    size_t end, dot;
    int rc;

    if (s == NULL && len > 0)
        return PC_EINVAL;
    if (len == 0) {
        if (found_p != NULL)
            *found_p = 0;
        if ((flags & ~MACRO_FLAGS_ALL) != 0)
            return PC_EINVAL;
        pc_perr_set(err, 0, "empty domain-spec");
        return PC_ERECORD;
    }
    rc = walk(s, len, flags, found_p, &last, err);
    if (rc < 0)
        return rc;
    if (last.kind != PC_SPF_MTOK_LITERAL)
        return 0; /* domain-end = macro-expand */
    if (looks_like_ip4(s, len)) {
        pc_perr_set(err, 0, "'%.*s' is an IPv4 address, not a domain name;"
                    " use ip4:", (int)len, s);
        return PC_ERECORD;
    }
    /* domain-end = "." toplabel [ "." ], inside the final literal run */
    end = last.off + last.len;
    if (s[end - 1] == '.')
        end--;
    for (dot = end; dot > last.off && s[dot - 1] != '.'; dot--)
        ;
    if (dot == last.off) {
        pc_perr_set(err, last.off, "domain-spec must end in a macro or in '.'"
                    " and a top-level label (section 7.1)");
        return PC_ERECORD;
    }
    return check_toplabel(s, dot, end - dot, err);
}
