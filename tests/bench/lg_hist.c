/*
 * lg_hist.c - log-linear latency histogram (see lg_hist.h).
 */
#include <math.h>

#include "lg_hist.h"

static unsigned bucket_of(uint64_t v)
{
    unsigned msb, shift;

    if (v < LG_HIST_LINEAR)
        return (unsigned)v;
    msb = 63u - (unsigned)__builtin_clzll(v); /* >= 7 */
    shift = msb - LG_HIST_SUB_BITS;
    return LG_HIST_LINEAR + (msb - 7u) * (1u << LG_HIST_SUB_BITS) +
           (unsigned)((v >> shift) & ((1u << LG_HIST_SUB_BITS) - 1u));
}

/* Middle of bucket i. */
static uint64_t value_of(unsigned i)
{
    unsigned msb, sub, shift;
    uint64_t lo;

    if (i < LG_HIST_LINEAR)
        return i;
    msb = (i - LG_HIST_LINEAR) / (1u << LG_HIST_SUB_BITS) + 7u;
    sub = (i - LG_HIST_LINEAR) % (1u << LG_HIST_SUB_BITS);
    shift = msb - LG_HIST_SUB_BITS;
    lo = ((uint64_t)(1u << LG_HIST_SUB_BITS) + sub) << shift;
    return lo + ((1ull << shift) >> 1);
}

void lg_hist_add(lg_hist_t *h, uint64_t v)
{
    h->b[bucket_of(v)]++;
    h->count++;
    h->sum_ns += v;
    if (v > h->max_ns)
        h->max_ns = v;
}

void lg_hist_merge(lg_hist_t *dst, const lg_hist_t *src)
{
    for (unsigned i = 0; i < LG_HIST_BUCKETS; i++)
        dst->b[i] += src->b[i];
    dst->count += src->count;
    dst->sum_ns += src->sum_ns;
    if (src->max_ns > dst->max_ns)
        dst->max_ns = src->max_ns;
}

uint64_t lg_hist_quantile(const lg_hist_t *h, double q)
{
    uint64_t rank, seen = 0;

    if (h->count == 0)
        return 0;
    rank = (uint64_t)ceil(q * (double)h->count);
    if (rank < 1)
        rank = 1;
    for (unsigned i = 0; i < LG_HIST_BUCKETS; i++) {
        seen += h->b[i];
        if (seen >= rank) {
            uint64_t v = value_of(i);
            return v > h->max_ns ? h->max_ns : v;
        }
    }
    return h->max_ns;
}
