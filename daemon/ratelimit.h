/*
 * ratelimit.h - a token bucket on a millisecond clock, and rate-limited
 * log lines built on it. polcached uses one bucket for cache inserts
 * (cache-insert-rate) and one per kind of overload or denial message, so
 * a flood of bad clients cannot flood the log. Pure functions of the
 * times passed in: no clock is read here, so tests drive them directly.
 */
#ifndef PC_RATELIMIT_H
#define PC_RATELIMIT_H

#include <stdint.h>

#include "log.h"

#define PC_RATELIMIT_MAX (1u << 24)      /* largest rate and burst */
#define PC_RATELIMIT_MAX_PERIOD 3600000u /* longest period, ms */

typedef struct pc_ratelimit {
    uint64_t rate;       /* tokens added per period; 0 = no limit */
    uint64_t per_ms;     /* the period, milliseconds */
    uint64_t burst;      /* most tokens held at once */
    uint64_t units;      /* tokens held, in 1/per_ms: a token is per_ms units */
    uint64_t last_ms;    /* time of the last refill */
    uint64_t suppressed; /* pc_ratelimit_log lines dropped since the last one written */
    int started;         /* last_ms is valid */
} pc_ratelimit_t;

/*
 * pc_ratelimit_init - a bucket allowing rate events per per_ms
 * milliseconds on average and burst at once (burst 0 means burst = rate).
 * It starts full. rate 0 disables the limit: every pc_ratelimit_take
 * succeeds. rate and burst are capped at PC_RATELIMIT_MAX, per_ms at
 * PC_RATELIMIT_MAX_PERIOD (0 counts as 1000). Earlier contents of rl are
 * overwritten; there is nothing to free.
 */
void pc_ratelimit_init(pc_ratelimit_t *rl, uint64_t rate, uint64_t per_ms, uint64_t burst);

/*
 * pc_ratelimit_set - change rate and burst (reload), keeping the period:
 * the tokens held are kept, capped at the new burst; a bucket that had no
 * limit starts full.
 */
void pc_ratelimit_set(pc_ratelimit_t *rl, uint64_t rate, uint64_t burst);

/*
 * pc_ratelimit_take - refill for the time since the last call (now_ms is
 * a monotonic millisecond clock; a clock that goes back refills nothing),
 * then take one token. Returns 1 if a token was taken (the event may
 * happen), 0 if the bucket is empty.
 */
int pc_ratelimit_take(pc_ratelimit_t *rl, uint64_t now_ms);

/* A bucket for overload and denial log lines: 5 at once, then one per 10 s. */
void pc_ratelimit_init_log(pc_ratelimit_t *rl);

/*
 * pc_ratelimit_log - write one log line (pc_log at level) if rl has a
 * token at now_ms; otherwise count it as suppressed. The first line
 * written after suppressed ones ends with "(N similar messages
 * suppressed)". Returns 1 if the line was written (or filtered by the log
 * level), 0 if it was suppressed.
 */
int pc_ratelimit_log(pc_ratelimit_t *rl, uint64_t now_ms, pc_log_level_t level,
                     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif /* PC_RATELIMIT_H */
