/*
 * fuzz_cval.c - libFuzzer target for the cache-value decoder: whatever the
 * octets (a damaged or foreign LMDB file), pc_cval_decode must refuse them
 * cleanly or accept a value that the freshness helpers handle and that
 * encodes back to the same octets.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cval.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* decode from an exact-size copy so ASan sees any over-read */
    uint8_t *copy = malloc(size ? size : 1), *again = NULL;
    uint64_t probes[6];
    pc_cval_t v;
    int n;

    if (copy == NULL)
        return 0;
    memcpy(copy, data, size);
    if (pc_cval_decode(copy, size, &v) != 0)
        goto out;
    if (v.body < copy || v.body + v.body_len != copy + size ||
        pc_cval_size(&v) != size || v.expires - v.fetched != v.ttl)
        abort();
    probes[0] = 0;
    probes[1] = v.fetched - 1;
    probes[2] = v.fetched;
    probes[3] = v.fetched + v.ttl / 2;
    probes[4] = v.expires;
    probes[5] = UINT64_MAX;
    for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
        uint64_t now = probes[i];
        pc_cval_age_t age = pc_cval_age_at(&v, now);
        uint32_t left = pc_cval_ttl_left(&v, now);
        /* fresh only while fetched <= now < expires; never beyond the TTL */
        if ((age == PC_CVAL_FRESH) != (now >= v.fetched && now < v.expires))
            abort();
        if (left > v.ttl || (age == PC_CVAL_EXPIRED && left != 0) ||
            (age == PC_CVAL_FRESH && left == 0))
            abort();
        if (now < v.fetched && pc_cval_age_secs(&v, now) != 0)
            abort();
    }
    /* the decoded value encodes back to the same octets */
    again = malloc(size);
    if (again == NULL)
        goto out;
    n = pc_cval_encode(&v, again, size);
    if (n < 0 || (size_t)n != size || memcmp(again, copy, size) != 0)
        abort();
    /* an access-stamp rewrite keeps it valid */
    pc_cval_set_stamp(again, size, v.stamp ^ 0x5a5a5a5au);
    if (pc_cval_decode(again, size, &v) != 0)
        abort();
out:
    free(again);
    free(copy);
    return 0;
}
