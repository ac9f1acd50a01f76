/*
 * fuzz_cval.c - libFuzzer target for the cache-value decoder: whatever the
 * octets (a damaged or foreign LMDB file), pc_cval_decode must refuse them
 * cleanly or accept a value that the freshness helpers handle. A read
 * checks a CRC, not the body's TLVs (proto/cval.h), so every input is also
 * decoded a second time with its CRC made to match: then the body is any
 * octets at all, and the code that reads TLVs out of cached bodies (the
 * generic walk, the daemon's SPF readers) must stay within them; the body
 * check that encoding runs must agree with re-encoding, which gives back
 * the same octets exactly when the body is valid.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cval.h"
#include "polcache/error.h"
#include "spf_mech.h"
#include "wire.h"

#define WALK_DEPTH 4 /* FIELDs nest once; deeper is only more of the same */
#define NAMES 4

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Read every TLV, nested ones too, as the daemon's readers do. */
static unsigned walk(const pc_tlv_t *parent, int depth)
{
    pc_tlv_t it = {0, 0, NULL};
    unsigned sum = 0;

    while (pc_tlv_next(parent, &it)) {
        if (it.len > 0)
            sum += it.val[0] + it.val[it.len - 1]; /* ASan sees both ends */
        if (depth > 0)
            sum += walk(&it, depth - 1);
    }
    return sum;
}

/* What the daemon's consumers of a cached body do with it. */
static void read_body(const pc_cval_t *v)
{
    static const uint8_t ip4[4] = {192, 0, 2, 1}, ip6[16] = {0x20, 0x01, 0x0d, 0xb8};
    pc_tlv_t body = {0, (uint16_t)(v->body_len > 0xffff ? 0xffff : v->body_len), v->body};
    pc_name_t names[NAMES];
    const uint8_t *val = NULL;
    unsigned count = 0, total = 0;
    size_t n = 0;

    (void)walk(&body, WALK_DEPTH);
    (void)pc_tlv_find(&body, PC_T_RAW, NULL);
    if (pc_spf_body_field(v->body, v->body_len, PC_T_RAW, &val, &n) &&
        (val < v->body || val + n > v->body + v->body_len))
        abort();
    (void)pc_spf_body_field(v->body, v->body_len, PC_T_WHY, &val, &n);
    count = pc_spf_body_count(v->body, v->body_len, PC_T_RDATA);
    (void)pc_spf_body_addrs(v->body, v->body_len, ip4, sizeof(ip4), 24, &total);
    if (total > count)
        abort();
    (void)pc_spf_body_addrs(v->body, v->body_len, ip6, sizeof(ip6), 32, NULL);
    for (int mx = 0; mx <= 1; mx++) {
        if (pc_spf_body_names(v->body, v->body_len, mx, names, NAMES, &total) > NAMES ||
            total != count)
            abort();
    }
}

/* buf (len octets, an exact-size allocation) decoded into v: check it. */
static void check(uint8_t *buf, size_t size, pc_cval_t *v)
{
    uint64_t probes[6];
    uint8_t *again;
    int n, full;

    if (v->body < buf || v->body + v->body_len != buf + size || pc_cval_size(v) != size ||
        v->expires - v->fetched != v->ttl)
        abort();
    probes[0] = 0;
    probes[1] = v->fetched - 1;
    probes[2] = v->fetched;
    probes[3] = v->fetched + v->ttl / 2;
    probes[4] = v->expires;
    probes[5] = UINT64_MAX;
    for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
        uint64_t now = probes[i];
        pc_cval_age_t age = pc_cval_age_at(v, now);
        uint32_t left = pc_cval_ttl_left(v, now);
        /* fresh only while fetched <= now < expires; never beyond the TTL */
        if ((age == PC_CVAL_FRESH) != (now >= v->fetched && now < v->expires))
            abort();
        if (left > v->ttl || (age == PC_CVAL_EXPIRED && left != 0) ||
            (age == PC_CVAL_FRESH && left == 0))
            abort();
        if (now < v->fetched && pc_cval_age_secs(v, now) != 0)
            abort();
    }
    read_body(v);
    /* encoding checks the body in full: a valid one encodes back to the
     * same octets (CRC included), anything else is refused */
    full = pc_wire_check_cache_body(v->body, v->body_len);
    again = malloc(size);
    if (again == NULL)
        return;
    n = pc_cval_encode(v, again, size);
    if (full == 0 && (n < 0 || (size_t)n != size || memcmp(again, buf, size) != 0))
        abort();
    if (full != 0 && n != PC_EINVAL)
        abort();
    free(again);
    /* an access-stamp rewrite keeps it valid */
    pc_cval_set_stamp(buf, size, v->stamp ^ 0x5a5a5a5au);
    if (pc_cval_decode(buf, size, v) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* decode from an exact-size copy so ASan sees any over-read */
    uint8_t *copy = malloc(size ? size : 1);
    pc_cval_t v;
    uint32_t crc;

    if (copy == NULL)
        return 0;
    memcpy(copy, data, size);
    if (pc_cval_decode(copy, size, &v) == 0)
        check(copy, size, &v);
    /* the same octets with a CRC that matches them */
    if (size >= PC_CVAL_HDR_LEN) {
        memcpy(copy, data, size);
        crc = pc_cval_crc(copy, size);
        copy[36] = (uint8_t)(crc >> 24);
        copy[37] = (uint8_t)(crc >> 16);
        copy[38] = (uint8_t)(crc >> 8);
        copy[39] = (uint8_t)crc;
        if (pc_cval_decode(copy, size, &v) == 0)
            check(copy, size, &v);
    }
    free(copy);
    return 0;
}
