/*
 * ratelimit.c - token buckets on a millisecond clock, and log lines that
 * a flood cannot multiply. Tokens are counted in units of 1/per_ms so
 * each elapsed millisecond adds exactly rate units: no rounding.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ratelimit.h"

void pc_ratelimit_init(pc_ratelimit_t *rl, uint64_t rate, uint64_t per_ms, uint64_t burst)
{
    memset(rl, 0, sizeof(*rl));
    rl->per_ms = per_ms == 0 ? 1000 : per_ms > PC_RATELIMIT_MAX_PERIOD ? PC_RATELIMIT_MAX_PERIOD
                                                                        : per_ms;
    pc_ratelimit_set(rl, rate, burst); /* no limit before: starts full */
}

void pc_ratelimit_init_log(pc_ratelimit_t *rl)
{
    pc_ratelimit_init(rl, 1, 10000, 5);
}

void pc_ratelimit_set(pc_ratelimit_t *rl, uint64_t rate, uint64_t burst)
{
    int was_unlimited = rl->rate == 0;

    rl->rate = rate > PC_RATELIMIT_MAX ? PC_RATELIMIT_MAX : rate;
    rl->burst = burst > 0 ? burst : rl->rate;
    if (rl->burst > PC_RATELIMIT_MAX)
        rl->burst = PC_RATELIMIT_MAX;
    if (was_unlimited || rl->units > rl->burst * rl->per_ms)
        rl->units = rl->burst * rl->per_ms;
}

int pc_ratelimit_take(pc_ratelimit_t *rl, uint64_t now_ms)
{
    uint64_t cap = rl->burst * rl->per_ms;

    if (rl->rate == 0)
        return 1;
    if (!rl->started) {
        rl->started = 1;
        rl->last_ms = now_ms;
    } else if (now_ms > rl->last_ms) {
        uint64_t dt = now_ms - rl->last_ms;
        uint64_t fill_ms = cap / rl->rate + 1; /* an empty bucket is full after this */
        if (dt >= fill_ms)
            rl->units = cap;
        else if ((rl->units += dt * rl->rate) > cap)
            rl->units = cap;
        rl->last_ms = now_ms;
    }
    if (rl->units < rl->per_ms)
        return 0;
    rl->units -= rl->per_ms;
    return 1;
}

int pc_ratelimit_log(pc_ratelimit_t *rl, uint64_t now_ms, pc_log_level_t level,
                     const char *fmt, ...)
{
    char line[900];
    va_list ap;

    if (level > pc_log_get_level())
        return 1; /* filtered anyway: spend no token */
    if (!pc_ratelimit_take(rl, now_ms)) {
        rl->suppressed++;
        return 0;
    }
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (rl->suppressed > 0) {
        pc_log(level, "%s (%llu similar messages suppressed)", line,
               (unsigned long long)rl->suppressed);
        rl->suppressed = 0;
    } else {
        pc_log(level, "%s", line);
    }
    return 1;
}
