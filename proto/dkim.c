/*
 * dkim.c - the DKIM key record grammar: the RFC 6376 §3.2 tag-list, one
 * value parser per §3.6.1 tag, base64 and key decoding (OpenSSL libcrypto
 * reads RSA DER; its errors are translated in rsa_key_bits() alone), the
 * RFC 8301 usability rules and the field visitor.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "polcache/error.h"
#include "dkim.h"

/* Base64 characters that can encode PC_DKIM_KEY_MAX octets. */
#define DKIM_B64_MAX (4 * ((PC_DKIM_KEY_MAX + 2) / 3))

/* Parsing state shared by the helpers of one pc_dkim_parse call. */
typedef struct dkim_ctx {
    const char *t;  /* the record */
    size_t len;
    pc_dkim_t *d;
    pc_perr_t *err;
    unsigned seen;  /* PC_DKIM_TAG_* met so far */
    unsigned ntags; /* non-empty segments so far */
    size_t p_at;    /* offset and length of the p= value */
    size_t p_len;
} dkim_ctx_t;

typedef int (*dkim_tag_fn)(dkim_ctx_t *c, size_t at, const char *v,
                           size_t n);

typedef struct dkim_tag {
    const char *name;
    unsigned bit;
    dkim_tag_fn parse;
} dkim_tag_t;

/* FWS octets; RFC 6376 §3.2 allows folding whitespace around and inside
 * values. CR and LF are accepted alone, as TXT data has no real folding. */
static int is_fws(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
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

/* 1 if s[0..n) is exactly the literal lit. */
static int eq(const char *s, size_t n, const char *lit)
{
    return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

/* 1 if s[0..n) equals lit ignoring ASCII case (for "did you mean"). */
static int ieq(const char *s, size_t n, const char *lit)
{
    size_t i;

    if (strlen(lit) != n)
        return 0;
    for (i = 0; i < n; i++)
        if (lower(s[i]) != lower(lit[i]))
            return 0;
    return 1;
}

static void trim(const char *t, size_t *a, size_t *b)
{
    while (*a < *b && is_fws(t[*a]))
        (*a)++;
    while (*b > *a && is_fws(t[*b - 1]))
        (*b)--;
}

/* hyphenated-word = ALPHA [ *(ALPHA / DIGIT / "-") (ALPHA / DIGIT) ] */
static int hyphenated_word(const char *s, size_t n)
{
    size_t i;

    if (n == 0 || !is_alpha(s[0]) || s[n - 1] == '-')
        return 0;
    for (i = 1; i < n; i++)
        if (!is_alpha(s[i]) && !is_digit(s[i]) && s[i] != '-')
            return 0;
    return 1;
}

static int syntax(dkim_ctx_t *c, size_t at, const char *what,
                  const char *s, size_t n)
{
    char shown[64];

    pc_perr_set(c->err, at, "%s: '%s'", what,
                pc_diag_show(shown, sizeof(shown), s, n));
    return PC_ERECORD;
}

static void keep_name(dkim_ctx_t *c, pc_dkim_names_t *l, const char *tag,
                      const char *s, size_t n)
{
    char shown[64];

    if (l->n >= PC_DKIM_NAMES_MAX || n >= PC_DKIM_NAME_LEN) {
        l->dropped++;
        pc_warn_add(&c->d->warnings, "list-limit",
                    "%s: '%s' not kept (at most %d names of %d bytes)", tag,
                    pc_diag_show(shown, sizeof(shown), s, n), PC_DKIM_NAMES_MAX,
                    PC_DKIM_NAME_LEN - 1);
        return;
    }
    memcpy(l->name[l->n], s, n);
    l->name[l->n][n] = '\0';
    l->n++;
}

/* Warn about an unrecognised list member, hinting at a case mistake. */
static void unknown_name(dkim_ctx_t *c, const char *code, const char *tag,
                         const char *s, size_t n, const char *const *known)
{
    char shown[64];
    const char *hint = NULL;

    for (; *known != NULL; known++)
        if (ieq(s, n, *known))
            hint = *known;
    pc_diag_show(shown, sizeof(shown), s, n);
    if (hint != NULL)
        pc_warn_add(&c->d->warnings, code, "%s: '%s' ignored: values are "
                    "case-sensitive (RFC 6376 §3.2), '%s' was meant?", tag,
                    shown, hint);
    else
        pc_warn_add(&c->d->warnings, code, "%s: unknown '%s' ignored", tag,
                    shown);
}

/*
 * A ':' list of hyphenated-words (or "*" when star) with FWS around the
 * colons. Calls each(c, word, len) per member. Returns 0 or PC_ERECORD.
 */
static int parse_list(dkim_ctx_t *c, size_t at, const char *v, size_t n,
                      int star, pc_dkim_names_t *l, const char *tag,
                      void (*each)(dkim_ctx_t *, const char *, size_t))
{
    size_t pos = 0, a, b;

    for (;;) {
        a = pos;
        while (pos < n && v[pos] != ':')
            pos++;
        b = pos;
        trim(v, &a, &b);
        if (!hyphenated_word(v + a, b - a) &&
            !(star && b - a == 1 && v[a] == '*'))
            return syntax(c, at + a, "bad list member", v + a, b - a);
        keep_name(c, l, tag, v + a, b - a);
        each(c, v + a, b - a);
        if (pos >= n)
            break;
        pos++;
    }
    return 0;
}

static void each_hash(dkim_ctx_t *c, const char *s, size_t n)
{
    static const char *const known[] = {"sha1", "sha256", NULL};

    if (eq(s, n, "sha1"))
        c->d->hashes |= PC_DKIM_H_SHA1;
    else if (eq(s, n, "sha256"))
        c->d->hashes |= PC_DKIM_H_SHA256;
    else
        unknown_name(c, "h-unknown", "h", s, n, known);
}

static void each_service(dkim_ctx_t *c, const char *s, size_t n)
{
    static const char *const known[] = {"email", NULL};

    if (eq(s, n, "*"))
        c->d->services |= PC_DKIM_S_ANY;
    else if (eq(s, n, "email"))
        c->d->services |= PC_DKIM_S_EMAIL;
    else
        unknown_name(c, "s-unknown", "s", s, n, known);
}

static void each_flag(dkim_ctx_t *c, const char *s, size_t n)
{
    static const char *const known[] = {"y", "s", NULL};

    if (eq(s, n, "y"))
        c->d->flags |= PC_DKIM_T_TESTING;
    else if (eq(s, n, "s"))
        c->d->flags |= PC_DKIM_T_STRICT;
    else
        unknown_name(c, "t-unknown", "t", s, n, known);
}

/* v= is checked in segment(): only "first" and "DKIM1" matter. */
static int tag_v(dkim_ctx_t *c, size_t at, const char *v, size_t n)
{
    if (c->ntags != 1)
        return syntax(c, at, "v= must be the first tag", v, n);
    if (!eq(v, n, "DKIM1")) {
        syntax(c, at, "v= value is not DKIM1 (case-sensitive)", v, n);
        return PC_ENOENT;
    }
    return 0;
}

static int tag_h(dkim_ctx_t *c, size_t at, const char *v, size_t n)
{
    c->d->hashes = 0;
    return parse_list(c, at, v, n, 0, &c->d->h, "h", each_hash);
}

static int tag_k(dkim_ctx_t *c, size_t at, const char *v, size_t n)
{
    static const char *const known[] = {"rsa", "ed25519", NULL};
    pc_dkim_t *d = c->d;
    size_t keep = n < PC_DKIM_NAME_LEN ? n : PC_DKIM_NAME_LEN - 1;

    if (!hyphenated_word(v, n))
        return syntax(c, at, "bad k= key type", v, n);
    memcpy(d->k, v, keep);
    d->k[keep] = '\0';
    if (eq(v, n, "rsa")) {
        d->ktype = PC_DKIM_K_RSA;
    } else if (eq(v, n, "ed25519")) {
        d->ktype = PC_DKIM_K_ED25519;
    } else {
        d->ktype = PC_DKIM_K_UNKNOWN;
        unknown_name(c, "k-unknown", "k", v, n, known);
    }
    return 0;
}

static int tag_n(dkim_ctx_t *c, size_t at, const char *v, size_t n)
{
    size_t keep = n < PC_DKIM_NOTES_LEN ? n : PC_DKIM_NOTES_LEN - 1;

    (void)at;
    memcpy(c->d->notes, v, keep);
    c->d->notes[keep] = '\0';
    if (keep < n)
        pc_warn_add(&c->d->warnings, "notes-truncated",
                    "n= kept only in its first %d bytes",
                    PC_DKIM_NOTES_LEN - 1);
    return 0;
}

static int tag_p(dkim_ctx_t *c, size_t at, const char *v, size_t n)
{
    (void)v;
    c->p_at = at;
    c->p_len = n;
    return 0;
}

static int tag_s(dkim_ctx_t *c, size_t at, const char *v, size_t n)
{
    c->d->services = 0;
    return parse_list(c, at, v, n, 1, &c->d->s, "s", each_service);
}

static int tag_t(dkim_ctx_t *c, size_t at, const char *v, size_t n)
{
    return parse_list(c, at, v, n, 0, &c->d->t, "t", each_flag);
}

/* Known tags in visiting order; names are case-sensitive (§3.2). */
static const dkim_tag_t dkim_tags[] = {
    {"v", PC_DKIM_TAG_V, tag_v},
    {"h", PC_DKIM_TAG_H, tag_h},
    {"k", PC_DKIM_TAG_K, tag_k},
    {"n", PC_DKIM_TAG_N, tag_n},
    {"p", PC_DKIM_TAG_P, tag_p},
    {"s", PC_DKIM_TAG_S, tag_s},
    {"t", PC_DKIM_TAG_T, tag_t},
};
#define DKIM_NTAGS (sizeof(dkim_tags) / sizeof(dkim_tags[0]))

/* One segment [a, b) between ';'. Returns 0 or a negative code. */
static int segment(dkim_ctx_t *c, size_t a, size_t b, int last)
{
    char shown[64];
    const char *t = c->t;
    size_t at, e, ne, i;

    if (a == b && last)
        return 0;
    trim(t, &a, &b);
    if (a == b) {
        pc_warn_add(&c->d->warnings, "empty-tag",
                    "empty tag at offset %zu ignored", a);
        return 0;
    }
    c->ntags++;
    at = a;
    for (e = a; e < b && t[e] != '='; e++)
        ;
    if (e == b)
        return syntax(c, a, "not a tag=value pair", t + a, b - a);
    ne = e;
    while (ne > a && is_fws(t[ne - 1]))
        ne--;
    if (ne == a || !is_alpha(t[a]))
        return syntax(c, a, "bad tag name", t + a, ne - a);
    for (i = a; i < ne; i++)
        if (!is_alpha(t[i]) && !is_digit(t[i]) && t[i] != '_')
            return syntax(c, a, "bad tag name", t + a, ne - a);
    for (e++; e < b && is_fws(t[e]); e++)
        ;
    for (i = e; i < b; i++) {
        unsigned char ch = (unsigned char)t[i];
        if (!is_fws(t[i]) && (ch < 0x21 || ch > 0x7e))
            return syntax(c, i, "invalid octet in tag value", t + i, 1);
    }
    for (i = 0; i < DKIM_NTAGS; i++)
        if (eq(t + a, ne - a, dkim_tags[i].name))
            break;
    if (i == DKIM_NTAGS) {
        pc_warn_add(&c->d->warnings, "unknown-tag", "unknown tag '%s' "
                    "ignored", pc_diag_show(shown, sizeof(shown), t + a, ne - a));
        return 0;
    }
    if (c->seen & dkim_tags[i].bit)
        return syntax(c, at, "tag repeated, the tag-list is invalid "
                      "(RFC 6376 §3.2)", t + a, ne - a);
    c->seen |= dkim_tags[i].bit;
    c->d->explicit_tags |= dkim_tags[i].bit;
    return dkim_tags[i].parse(c, e, t + e, b - e);
}

static int b64_value(char ch)
{
    if (ch >= 'A' && ch <= 'Z') return ch - 'A';
    if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9') return ch - '0' + 52;
    if (ch == '+') return 62;
    if (ch == '/') return 63;
    return -1;
}

/*
 * Decode the p= base64 (FWS allowed anywhere, padding required) into
 * d->key. Returns 0, PC_EKEY or PC_ETOOBIG.
 */
static int decode_p(dkim_ctx_t *c)
{
    unsigned char b64[DKIM_B64_MAX + 4];
    unsigned char raw[3 * (DKIM_B64_MAX / 4) + 3];
    const char *v = c->t + c->p_at;
    size_t n = 0, i, pad = 0;
    int got;

    for (i = 0; i < c->p_len; i++) {
        if (is_fws(v[i]))
            continue;
        if (v[i] == '=') {
            pad++;
        } else if (b64_value(v[i]) < 0 || pad > 0) {
            pc_perr_set(c->err, c->p_at + i, "p= is not base64");
            return PC_EKEY;
        }
        if (n > DKIM_B64_MAX + 2)
            goto toobig;
        b64[n++] = (unsigned char)v[i];
    }
    if (n == 0) {
        c->d->revoked = true;
        return 0;
    }
    if (n % 4 != 0 || pad > 2) {
        pc_perr_set(c->err, c->p_at, "p= base64 length or padding is wrong");
        return PC_EKEY;
    }
    b64[n] = '\0';
    got = EVP_DecodeBlock(raw, b64, (int)n);
    if (got < 0 || (size_t)got < pad) {
        pc_perr_set(c->err, c->p_at, "p= is not base64");
        return PC_EKEY;
    }
    if ((size_t)got - pad > PC_DKIM_KEY_MAX)
        goto toobig;
    c->d->key_len = (size_t)got - pad;
    memcpy(c->d->key, raw, c->d->key_len);
    return 0;
toobig:
    pc_perr_set(c->err, c->p_at, "p= decodes to more than %d octets",
                PC_DKIM_KEY_MAX);
    return PC_ETOOBIG;
}

/*
 * The one place libcrypto is asked about a key: RSA DER as
 * SubjectPublicKeyInfo or PKCS#1 RSAPublicKey, all octets consumed.
 * OpenSSL's error queue is left as it was. Returns bits, or 0 if not RSA.
 */
static unsigned rsa_key_bits(const uint8_t *der, size_t n, bool *spki)
{
    const unsigned char *q = der;
    EVP_PKEY *pk;
    unsigned bits = 0;

    ERR_set_mark();
    pk = d2i_PUBKEY(NULL, &q, (long)n);
    *spki = true;
    if (pk == NULL || q != der + n ||
        EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA) {
        EVP_PKEY_free(pk);
        q = der;
        pk = d2i_PublicKey(EVP_PKEY_RSA, NULL, &q, (long)n);
        *spki = false;
        if (pk != NULL && q != der + n) {
            EVP_PKEY_free(pk);
            pk = NULL;
        }
    }
    if (pk != NULL && EVP_PKEY_get_bits(pk) > 0)
        bits = (unsigned)EVP_PKEY_get_bits(pk);
    EVP_PKEY_free(pk);
    ERR_pop_to_mark();
    return bits;
}

/* Check the decoded key against k=. Returns 0 or PC_EKEY. */
static int check_key(dkim_ctx_t *c)
{
    pc_dkim_t *d = c->d;

    if (d->revoked)
        return 0;
    if (d->ktype == PC_DKIM_K_RSA) {
        d->bits = rsa_key_bits(d->key, d->key_len, &d->key_spki);
        if (d->bits == 0) {
            pc_perr_set(c->err, c->p_at, "p= is not an RSA public key "
                        "(SubjectPublicKeyInfo or RSAPublicKey DER)");
            return PC_EKEY;
        }
        if (!d->key_spki)
            pc_warn_add(&d->warnings, "rsa-pkcs1", "p= is a bare PKCS#1 "
                        "RSAPublicKey; some verifiers accept only "
                        "SubjectPublicKeyInfo");
    } else if (d->ktype == PC_DKIM_K_ED25519) {
        if (d->key_len != 32) {
            pc_perr_set(c->err, c->p_at, "ed25519 p= must be 32 octets, "
                        "not %zu (RFC 8463 §4)", d->key_len);
            return PC_EKEY;
        }
        d->bits = 256;
    }
    return 0;
}

/* Record why the key is unusable: the first reason wins, all warn. */
static void unusable(pc_dkim_t *d, pc_dkim_reason_t r, const char *code,
                     const char *text)
{
    if (d->reason == PC_DKIM_USABLE)
        d->reason = r;
    pc_warn_add(&d->warnings, code, "%s", text);
}

static void judge(pc_dkim_t *d)
{
    if (d->revoked)
        unusable(d, PC_DKIM_REVOKED, "revoked", "empty p=: the key is "
                 "revoked (RFC 6376 §3.6.1)");
    if (d->ktype == PC_DKIM_K_UNKNOWN)
        unusable(d, PC_DKIM_UNKNOWN_KTYPE, "unknown-key-type", "k= names "
                 "no supported key type: the key cannot verify anything");
    if (!(d->services & (PC_DKIM_S_ANY | PC_DKIM_S_EMAIL)))
        unusable(d, PC_DKIM_NOT_EMAIL, "not-for-email", "s= lists neither "
                 "email nor *: mail verifiers ignore this key");
    if (!(d->hashes & PC_DKIM_H_SHA256)) {
        if (d->hashes & PC_DKIM_H_SHA1)
            unusable(d, PC_DKIM_SHA1_ONLY, "sha1-only", "h= allows only "
                     "sha1, which verifiers must reject (RFC 8301 §3.1)");
        else
            unusable(d, PC_DKIM_NO_HASH, "no-usable-hash", "h= allows no "
                     "known hash algorithm");
    } else if ((d->explicit_tags & PC_DKIM_TAG_H) &&
               (d->hashes & PC_DKIM_H_SHA1)) {
        pc_warn_add(&d->warnings, "h-sha1", "h= still allows sha1 "
                    "(RFC 8301 §3.1: verifiers must not accept it)");
    }
    if (d->ktype == PC_DKIM_K_RSA && !d->revoked) {
        if (d->bits < PC_DKIM_RSA_MIN_BITS)
            unusable(d, PC_DKIM_WEAK_KEY, "rsa-weak", "RSA key under 1024 "
                     "bits: verifiers must reject it (RFC 8301 §3.2)");
        else if (d->bits < 2048)
            pc_warn_add(&d->warnings, "rsa-short", "RSA key of %u bits; "
                        "RFC 8301 §3.2 asks signers for at least 2048",
                        d->bits);
        else if (d->bits > 4096)
            pc_warn_add(&d->warnings, "rsa-large", "RSA key of %u bits; "
                        "verifiers need support only up to 4096 "
                        "(RFC 8301 §3.2)", d->bits);
    }
    if (d->flags & PC_DKIM_T_TESTING)
        pc_warn_add(&d->warnings, "testing", "t=y: the domain is testing "
                    "DKIM; verifiers must not treat failures differently");
    d->usable = d->reason == PC_DKIM_USABLE;
}

int pc_dkim_parse(const char *text, size_t len, pc_dkim_t *out,
                  pc_perr_t *err)
{
    dkim_ctx_t c;
    size_t i, e;
    int rc = 0;

    if (out == NULL || (text == NULL && len > 0))
        return PC_EINVAL;
    memset(out, 0, sizeof(*out));
    memcpy(out->k, "rsa", 4);
    out->ktype = PC_DKIM_K_RSA;
    out->hashes = PC_DKIM_H_SHA1 | PC_DKIM_H_SHA256;
    out->services = PC_DKIM_S_ANY;
    if (err != NULL)
        memset(err, 0, sizeof(*err));
    memset(&c, 0, sizeof(c));
    c.t = text;
    c.len = len;
    c.d = out;
    c.err = err;
    for (i = 0; rc == 0 && i <= len; i = e + 1) {
        for (e = i; e < len && text[e] != ';'; e++)
            ;
        rc = segment(&c, i, e, e == len);
    }
    if (rc == 0 && !(c.seen & PC_DKIM_TAG_P)) {
        pc_perr_set(err, len, "required tag p= missing (RFC 6376 §3.6.1)");
        rc = PC_ERECORD;
    }
    if (rc == 0)
        rc = decode_p(&c);
    if (rc == 0)
        rc = check_key(&c);
    if (rc == 0)
        judge(out);
    else
        out->usable = false;
    return rc;
}

const char *pc_dkim_reason_name(pc_dkim_reason_t r)
{
    switch (r) {
    case PC_DKIM_USABLE: return "usable";
    case PC_DKIM_REVOKED: return "revoked";
    case PC_DKIM_UNKNOWN_KTYPE: return "unknown-key-type";
    case PC_DKIM_NOT_EMAIL: return "not-for-email";
    case PC_DKIM_SHA1_ONLY: return "sha1-only";
    case PC_DKIM_NO_HASH: return "no-usable-hash";
    case PC_DKIM_WEAK_KEY: return "weak-key";
    }
    return "?";
}

/* A names list joined by ':' into buf, or dflt when the tag was absent. */
static const char *join(const pc_dkim_names_t *l, const char *dflt,
                        int present, char *buf, size_t cap)
{
    size_t o = 0;
    unsigned i;

    if (!present)
        return dflt;
    buf[0] = '\0';
    for (i = 0; i < l->n && i < PC_DKIM_NAMES_MAX; i++) {
        int w = snprintf(buf + o, cap - o, "%s%.*s", i ? ":" : "",
                         PC_DKIM_NAME_LEN - 1, l->name[i]);
        if (w < 0 || (size_t)w >= cap - o)
            break;
        o += (size_t)w;
    }
    return buf;
}

int pc_dkim_fields(const pc_dkim_t *d, pc_field_cb cb, void *arg)
{
    char buf[DKIM_B64_MAX + 1];
    const char *val;
    size_t i;
    int rc;

    if (d == NULL || cb == NULL)
        return PC_EINVAL;
    for (i = 0; i < DKIM_NTAGS; i++) {
        unsigned bit = dkim_tags[i].bit, present = d->explicit_tags & bit;
        buf[0] = '\0';
        switch (bit) {
        case PC_DKIM_TAG_V: val = "DKIM1"; break;
        case PC_DKIM_TAG_H:
            val = join(&d->h, "*", present, buf, sizeof(buf));
            break;
        case PC_DKIM_TAG_K:
            snprintf(buf, sizeof(buf), "%.*s", PC_DKIM_NAME_LEN - 1, d->k);
            val = buf;
            break;
        case PC_DKIM_TAG_N:
            snprintf(buf, sizeof(buf), "%.*s", PC_DKIM_NOTES_LEN - 1,
                     d->notes);
            val = buf;
            break;
        case PC_DKIM_TAG_P:
            if (d->key_len > 0 && d->key_len <= PC_DKIM_KEY_MAX)
                EVP_EncodeBlock((unsigned char *)buf, d->key,
                                (int)d->key_len);
            val = buf;
            break;
        case PC_DKIM_TAG_S:
            val = join(&d->s, "*", present, buf, sizeof(buf));
            break;
        default:
            val = join(&d->t, "", present, buf, sizeof(buf));
            break;
        }
        rc = cb(arg, dkim_tags[i].name, val,
                present ? PC_FIELD_EXPLICIT : PC_FIELD_DEFAULT);
        if (rc != 0)
            return rc;
    }
    return 0;
}
