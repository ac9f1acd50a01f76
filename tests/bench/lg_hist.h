/*
 * lg_hist.h - the load generator's latency histogram: log-linear buckets
 * (HdrHistogram's idea) over nanoseconds, 64 sub-buckets per power of two,
 * so any percentile is within 1.6% of the true sample. Fixed size, no
 * allocation; one per thread, merged at the end.
 */
#ifndef LG_HIST_H
#define LG_HIST_H

#include <stdint.h>

#define LG_HIST_SUB_BITS 6
#define LG_HIST_LINEAR 128u /* values below are exact */
#define LG_HIST_BUCKETS (LG_HIST_LINEAR + (64u - 7u) * (1u << LG_HIST_SUB_BITS))

typedef struct lg_hist {
    uint64_t count;
    uint64_t sum_ns;
    uint64_t max_ns;
    uint64_t b[LG_HIST_BUCKETS];
} lg_hist_t;

/* Record one sample of v nanoseconds. */
void lg_hist_add(lg_hist_t *h, uint64_t v);
/* Add every sample of src to dst. */
void lg_hist_merge(lg_hist_t *dst, const lg_hist_t *src);
/* The q-quantile (0 < q <= 1) in nanoseconds, 0 for an empty histogram:
 * the middle of the bucket holding the sample of rank ceil(q * count). */
uint64_t lg_hist_quantile(const lg_hist_t *h, double q);

#endif
