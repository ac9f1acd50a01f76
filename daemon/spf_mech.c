/*
 * spf_mech.c - the mechanisms' view of DNS answers (see spf_mech.h): RDATA
 * fields of cached bodies, CIDR matching, reverse names, %{p} choice.
 */
#include <string.h>

#include "polcache/error.h"
#include "spf_mech.h"
#include "wire.h"

/* Walk the TLVs of a body; calls fn for each value of the wanted type.
 * Stops when fn returns non-zero and returns that value. */
typedef int (*rdata_fn)(void *arg, const uint8_t *p, size_t n);

static int each_field(const uint8_t *body, size_t len, unsigned want, rdata_fn fn, void *arg)
{
    size_t pos = 0;

    while (body != NULL && pos + PC_TLV_HDR_LEN <= len) {
        unsigned type = ((unsigned)body[pos] << 8 | body[pos + 1]) & 0x7fffu;
        size_t n = (size_t)body[pos + 2] << 8 | body[pos + 3];
        int rc;

        pos += PC_TLV_HDR_LEN;
        if (n > len - pos)
            break;
        if (type == want && (rc = fn(arg, body + pos, n)) != 0)
            return rc;
        pos += n;
    }
    return 0;
}

static int each_rdata(const uint8_t *body, size_t len, rdata_fn fn, void *arg)
{
    return each_field(body, len, PC_T_RDATA, fn, arg);
}

typedef struct field_find {
    const uint8_t *val;
    size_t n;
} field_find_t;

static int take_field(void *arg, const uint8_t *p, size_t n)
{
    field_find_t *f = arg;
    f->val = p;
    f->n = n;
    return 1;
}

int pc_spf_body_field(const uint8_t *body, size_t len, uint16_t type, const uint8_t **val,
                      size_t *n)
{
    field_find_t f = {NULL, 0};
    int found = each_field(body, len, type, take_field, &f);

    if (val != NULL)
        *val = f.val;
    if (n != NULL)
        *n = f.n;
    return found;
}

static int count_field(void *arg, const uint8_t *p, size_t n)
{
    (void)p;
    (void)n;
    ++*(unsigned *)arg;
    return 0;
}

unsigned pc_spf_body_count(const uint8_t *body, size_t len, uint16_t type)
{
    unsigned c = 0;
    each_field(body, len, type, count_field, &c);
    return c;
}

int pc_spf_cidr_match(const uint8_t *a, const uint8_t *b, unsigned bits)
{
    unsigned full = bits / 8, rest = bits % 8;

    if (memcmp(a, b, full) != 0)
        return 0;
    if (rest == 0)
        return 1;
    uint8_t mask = (uint8_t)(0xffu << (8 - rest));
    return (a[full] & mask) == (b[full] & mask);
}

typedef struct addr_scan {
    const uint8_t *ip;
    size_t alen;
    unsigned bits;
    unsigned count;
    int match;
} addr_scan_t;

static int scan_addr(void *arg, const uint8_t *p, size_t n)
{
    addr_scan_t *s = arg;
    if (n != s->alen)
        return 0;
    s->count++;
    if (pc_spf_cidr_match(p, s->ip, s->bits))
        s->match = 1;
    return 0;
}

int pc_spf_body_addrs(const uint8_t *body, size_t len, const uint8_t *ip, size_t alen,
                      unsigned bits, unsigned *count)
{
    addr_scan_t s = {ip, alen, bits, 0, 0};

    if (ip != NULL && (alen == 4 || alen == 16) && bits <= alen * 8)
        each_rdata(body, len, scan_addr, &s);
    if (count != NULL)
        *count = s.count;
    return s.match;
}

typedef struct name_scan {
    int mx;
    pc_name_t *out;
    unsigned max, n, total;
} name_scan_t;

static int scan_name(void *arg, const uint8_t *p, size_t n)
{
    name_scan_t *s = arg;
    pc_name_t name;

    s->total++;
    if (s->mx) {
        if (n < 3)
            return 0;
        p += 2;
        n -= 2;
    }
    if (s->n >= s->max || pc_name_from_wire(&name, p, n) != 0 || pc_name_labels(&name) == 0)
        return 0;
    for (unsigned i = 0; i < s->n; i++) {
        if (pc_name_equal(&s->out[i], &name))
            return 0;
    }
    s->out[s->n++] = name;
    return 0;
}

unsigned pc_spf_body_names(const uint8_t *body, size_t len, int mx, pc_name_t *out, unsigned max,
                           unsigned *total)
{
    name_scan_t s = {mx, out, out != NULL ? max : 0, 0, 0};

    each_rdata(body, len, scan_name, &s);
    if (total != NULL)
        *total = s.total;
    return s.n;
}

int pc_spf_reverse_name(const uint8_t *ip, int family, pc_name_t *out)
{
    static const char hex[] = "0123456789abcdef";
    char text[80];
    size_t n = 0;

    if (ip == NULL || out == NULL || (family != 4 && family != 6))
        return PC_EINVAL;
    if (family == 4) {
        for (int i = 3; i >= 0; i--) {
            unsigned v = ip[i];
            if (v >= 100)
                text[n++] = (char)('0' + v / 100);
            if (v >= 10)
                text[n++] = (char)('0' + v / 10 % 10);
            text[n++] = (char)('0' + v % 10);
            text[n++] = '.';
        }
        memcpy(text + n, "in-addr.arpa", 12);
        n += 12;
    } else {
        for (int i = 15; i >= 0; i--) {
            text[n++] = hex[ip[i] & 15];
            text[n++] = '.';
            text[n++] = hex[ip[i] >> 4];
            text[n++] = '.';
        }
        memcpy(text + n, "ip6.arpa", 8);
        n += 8;
    }
    return pc_name_from_text(out, text, n, 0);
}

int pc_spf_target_name(const char *text, size_t len, pc_name_t *out)
{
    int rc;

    if (text == NULL || out == NULL)
        return PC_EINVAL;
    if (len == 0 || text[0] == '.')
        return PC_ENAME; /* "" or ".": the root, or an empty first label */
    rc = pc_name_from_text(out, text, len, PC_NAME_IDNA);
    if (rc == 0 && pc_name_labels(out) == 0)
        rc = PC_ENAME;
    return rc;
}

int pc_spf_pick_ptr(const pc_name_t *names, unsigned n, const pc_name_t *domain)
{
    if (names == NULL || n == 0)
        return -1;
    for (unsigned i = 0; domain != NULL && i < n; i++) {
        if (pc_name_equal(&names[i], domain))
            return (int)i;
    }
    for (unsigned i = 0; domain != NULL && i < n; i++) {
        if (pc_name_is_below(&names[i], domain))
            return (int)i;
    }
    return 0;
}
