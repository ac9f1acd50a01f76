/*
 * name.c - parsing, printing and comparing DNS names; the request-boundary
 * IDNA conversion (libidn2) and its error translation live here.
 */
#include <idn2.h>
#include <stdlib.h>
#include <string.h>

#include "polcache/error.h"
#include "name.h"
#include "utf8.h"

static uint8_t fold(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + ('a' - 'A')) : c;
}

/* 1 if the label is valid UTF-8 with at least one non-ASCII octet. */
static int utf8_nonascii(const uint8_t *s, size_t n)
{
    int high = 0;
    return pc_utf8_valid(s, n, &high) && high;
}

/* The one place where libidn2 errors are translated. */
static int idna_label(const uint8_t *in, size_t n, uint8_t *out, size_t *outlen)
{
    char buf[4 * PC_NAME_LABEL_MAX + 1];
    char *ace = NULL;
    size_t alen;
    int rc;

    if (n >= sizeof(buf))
        return PC_ENAMELEN;
    memcpy(buf, in, n);
    buf[n] = '\0';
    rc = idn2_to_ascii_8z(buf, &ace, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
    if (rc != IDN2_OK) {
        /* Retry with UTS#46 transitional off but lenient mapping, as
         * browsers and MTAs do for inputs like capital letters. */
        rc = idn2_to_ascii_8z(buf, &ace, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL |
                                             IDN2_USE_STD3_ASCII_RULES);
        if (rc != IDN2_OK)
            return rc == IDN2_MALLOC ? PC_ENOMEM : PC_EIDNA;
    }
    alen = strlen(ace);
    if (alen == 0 || alen > PC_NAME_LABEL_MAX || strchr(ace, '.') != NULL) {
        idn2_free(ace);
        return alen > PC_NAME_LABEL_MAX ? PC_ENAMELEN : PC_EIDNA;
    }
    for (size_t i = 0; i < alen; i++)
        out[i] = fold((uint8_t)ace[i]);
    *outlen = alen;
    idn2_free(ace);
    return 0;
}

/* Append one label; the caller has checked its length. */
static int put_label(pc_name_t *out, size_t *pos, const uint8_t *lab, size_t n)
{
    if (n == 0)
        return PC_ENAME;
    if (n > PC_NAME_LABEL_MAX)
        return PC_ENAMELEN;
    if (*pos + 1 + n + 1 > PC_NAME_WIRE_MAX)
        return PC_ENAMELEN;
    out->wire[(*pos)++] = (uint8_t)n;
    for (size_t i = 0; i < n; i++)
        out->wire[(*pos)++] = fold(lab[i]);
    return 0;
}

int pc_name_from_text(pc_name_t *out, const char *in, size_t len, unsigned flags)
{
    const uint8_t *s = (const uint8_t *)in;
    uint8_t lab[4 * PC_NAME_LABEL_MAX + 4];
    size_t pos = 0, i = 0;
    int rc;

    if (out == NULL || (in == NULL && len > 0))
        return PC_EINVAL;
    if (len > PC_NAME_INPUT_MAX)
        return PC_ETOOBIG;
    if (len == 0 || (len == 1 && s[0] == '.')) {
        out->len = 1;
        out->wire[0] = 0;
        return 0;
    }
    while (i < len) {
        size_t n = 0;
        int escaped = 0;
        while (i < len && s[i] != '.') {
            uint8_t c = s[i];
            if (c == '\0')
                return PC_ENAME;
            if (c == '\\' && (flags & PC_NAME_ESCAPES)) {
                escaped = 1;
                if (i + 1 >= len)
                    return PC_ENAME;
                if (s[i + 1] >= '0' && s[i + 1] <= '9') {
                    unsigned v = 0;
                    for (size_t j = 1; j <= 3; j++) {
                        if (i + j >= len || s[i + j] < '0' || s[i + j] > '9')
                            return PC_ENAME;
                        v = v * 10 + (unsigned)(s[i + j] - '0');
                    }
                    if (v > 255)
                        return PC_ENAME;
                    c = (uint8_t)v;
                    i += 4;
                } else {
                    c = s[i + 1];
                    i += 2;
                }
            } else {
                i++;
            }
            if (n >= sizeof(lab))
                return PC_ENAMELEN;
            lab[n++] = c;
        }
        /* s[i] is '.' or the end; a trailing dot ends the loop */
        if (n == 0)
            return PC_ENAME;
        if (i < len)
            i++;
        if ((flags & PC_NAME_IDNA) && !escaped && utf8_nonascii(lab, n)) {
            uint8_t ace[PC_NAME_LABEL_MAX];
            size_t alen;
            rc = idna_label(lab, n, ace, &alen);
            if (rc != 0)
                return rc;
            rc = put_label(out, &pos, ace, alen);
        } else {
            rc = put_label(out, &pos, lab, n);
        }
        if (rc != 0)
            return rc;
    }
    out->wire[pos++] = 0;
    out->len = (uint8_t)pos;
    return 0;
}

int pc_name_from_wire(pc_name_t *out, const uint8_t *wire, size_t len)
{
    size_t pos = 0;

    if (out == NULL || wire == NULL || len == 0)
        return PC_EINVAL;
    if (len > PC_NAME_WIRE_MAX)
        return PC_ENAMELEN;
    while (pos < len) {
        uint8_t n = wire[pos];
        if (n == 0) {
            if (pos + 1 != len)
                return PC_ENAME;
            out->wire[pos] = 0;
            out->len = (uint8_t)len;
            return 0;
        }
        if (n > PC_NAME_LABEL_MAX)
            return PC_ENAME;
        if (pos + 1 + n >= len)
            return PC_ENAME;
        out->wire[pos] = n;
        for (size_t j = 1; j <= n; j++)
            out->wire[pos + j] = fold(wire[pos + j]);
        pos += 1 + (size_t)n;
    }
    return PC_ENAME;
}

static int is_special(uint8_t c)
{
    return c == '.' || c == '\\' || c == '"' || c == ';' || c == '(' ||
           c == ')' || c == '@' || c == '$';
}

int pc_name_to_text(const pc_name_t *n, char *out, size_t cap)
{
    size_t pos = 0, o = 0;

    if (n == NULL || out == NULL || cap == 0 || n->len == 0)
        return PC_EINVAL;
    if (n->wire[0] == 0) {
        if (cap < 2)
            return PC_ETOOBIG;
        out[0] = '.';
        out[1] = '\0';
        return 1;
    }
    while (pos < n->len && n->wire[pos] != 0) {
        uint8_t l = n->wire[pos++];
        if (o > 0) {
            if (o + 1 >= cap)
                return PC_ETOOBIG;
            out[o++] = '.';
        }
        for (uint8_t j = 0; j < l; j++) {
            uint8_t c = n->wire[pos + j];
            if (c < 0x21 || c > 0x7e || is_special(c)) {
                if (o + 4 >= cap)
                    return PC_ETOOBIG;
                out[o++] = '\\';
                out[o++] = (char)('0' + c / 100);
                out[o++] = (char)('0' + (c / 10) % 10);
                out[o++] = (char)('0' + c % 10);
            } else {
                if (o + 1 >= cap)
                    return PC_ETOOBIG;
                out[o++] = (char)c;
            }
        }
        pos += l;
    }
    out[o] = '\0';
    return (int)o;
}

unsigned pc_name_labels(const pc_name_t *n)
{
    unsigned count = 0;
    size_t pos = 0;

    if (n == NULL)
        return 0;
    while (pos < n->len && n->wire[pos] != 0) {
        pos += 1 + (size_t)n->wire[pos];
        count++;
    }
    return count;
}

int pc_name_equal(const pc_name_t *a, const pc_name_t *b)
{
    return a != NULL && b != NULL && a->len == b->len &&
           memcmp(a->wire, b->wire, a->len) == 0;
}

int pc_name_is_below(const pc_name_t *n, const pc_name_t *ancestor)
{
    size_t pos = 0;

    if (n == NULL || ancestor == NULL || ancestor->len > n->len)
        return 0;
    /* walk label boundaries of n until the remaining length matches */
    while (pos < n->len) {
        if ((size_t)n->len - pos == ancestor->len)
            return memcmp(n->wire + pos, ancestor->wire, ancestor->len) == 0;
        if (n->wire[pos] == 0)
            break;
        pos += 1 + (size_t)n->wire[pos];
    }
    return 0;
}

int pc_name_suffix(pc_name_t *out, const pc_name_t *n, unsigned keep)
{
    unsigned labels, skip;
    size_t pos = 0;

    if (out == NULL || n == NULL)
        return PC_EINVAL;
    labels = pc_name_labels(n);
    skip = keep >= labels ? 0 : labels - keep;
    for (unsigned i = 0; i < skip; i++)
        pos += 1 + (size_t)n->wire[pos];
    memmove(out->wire, n->wire + pos, n->len - pos);
    out->len = (uint8_t)(n->len - pos);
    return 0;
}

int pc_name_prepend(pc_name_t *out, const pc_name_t *n, const char *label,
                    size_t len)
{
    pc_name_t tmp;

    if (out == NULL || n == NULL || label == NULL)
        return PC_EINVAL;
    if (len == 0)
        return PC_ENAME;
    if (len > PC_NAME_LABEL_MAX || (size_t)n->len + 1 + len > PC_NAME_WIRE_MAX)
        return PC_ENAMELEN;
    tmp.wire[0] = (uint8_t)len;
    for (size_t i = 0; i < len; i++)
        tmp.wire[1 + i] = fold((uint8_t)label[i]);
    memcpy(tmp.wire + 1 + len, n->wire, n->len);
    tmp.len = (uint8_t)(1 + len + n->len);
    *out = tmp;
    return 0;
}

int pc_name_label(const pc_name_t *n, unsigned i, const uint8_t **label,
                  size_t *len)
{
    size_t pos = 0;

    if (n == NULL || label == NULL || len == NULL)
        return PC_EINVAL;
    while (pos < n->len && n->wire[pos] != 0) {
        if (i == 0) {
            *label = n->wire + pos + 1;
            *len = n->wire[pos];
            return 0;
        }
        i--;
        pos += 1 + (size_t)n->wire[pos];
    }
    return PC_EINVAL;
}

int pc_name_to_key(const pc_name_t *n, uint8_t *key, size_t cap)
{
    size_t starts[PC_NAME_LABELS_MAX + 1];
    unsigned count = 0;
    size_t pos = 0, o = 0;

    if (n == NULL || key == NULL)
        return PC_EINVAL;
    while (pos < n->len && n->wire[pos] != 0) {
        if (count > PC_NAME_LABELS_MAX)
            return PC_EINVAL;
        starts[count++] = pos;
        pos += 1 + (size_t)n->wire[pos];
    }
    if ((size_t)n->len - 1 > cap)
        return PC_ETOOBIG;
    while (count > 0) {
        size_t s = starts[--count];
        size_t l = (size_t)n->wire[s] + 1;
        memcpy(key + o, n->wire + s, l);
        o += l;
    }
    return (int)o;
}

int pc_name_from_key(pc_name_t *out, const uint8_t *key, size_t len)
{
    size_t starts[PC_NAME_LABELS_MAX + 1];
    unsigned count = 0;
    size_t pos = 0, o = 0;

    if (out == NULL || (key == NULL && len > 0))
        return PC_EINVAL;
    if (len + 1 > PC_NAME_WIRE_MAX)
        return PC_ENAMELEN;
    while (pos < len) {
        uint8_t l = key[pos];
        if (l == 0 || l > PC_NAME_LABEL_MAX || pos + 1 + l > len ||
            count > PC_NAME_LABELS_MAX)
            return PC_ENAME;
        starts[count++] = pos;
        pos += 1 + (size_t)l;
    }
    while (count > 0) {
        size_t s = starts[--count];
        size_t l = (size_t)key[s] + 1;
        for (size_t j = 0; j < l; j++)
            out->wire[o + j] = j == 0 ? key[s] : fold(key[s + j]);
        o += l;
    }
    out->wire[o++] = 0;
    out->len = (uint8_t)o;
    return 0;
}
