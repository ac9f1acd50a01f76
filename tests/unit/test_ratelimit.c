/*
 * test_ratelimit.c - unit tests of daemon/ratelimit.c: the token bucket
 * on a given millisecond clock (burst, refill, a clock going back, no
 * limit, a period longer than a second, changing the rate), and the
 * rate-limited log lines with their "suppressed" count.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "log.h"
#include "ratelimit.h"

static int takes(pc_ratelimit_t *rl, uint64_t now, int n)
{
    int got = 0;
    for (int i = 0; i < n; i++)
        got += pc_ratelimit_take(rl, now);
    return got;
}

static void test_bucket(void **state)
{
    pc_ratelimit_t rl;
    (void)state;

    pc_ratelimit_init(&rl, 10, 1000, 0); /* 10 per second, burst 10 */
    assert_int_equal(takes(&rl, 5000, 15), 10);
    assert_int_equal(takes(&rl, 5000, 1), 0);
    assert_int_equal(takes(&rl, 5099, 1), 0); /* 0.99 token */
    assert_int_equal(takes(&rl, 5100, 2), 1); /* one token per 100 ms */
    assert_int_equal(takes(&rl, 5350, 5), 2); /* 2.5 tokens: the half is kept */
    assert_int_equal(takes(&rl, 5400, 1), 1);
    assert_int_equal(takes(&rl, 4000, 1), 0); /* the clock went back: nothing */
    assert_int_equal(takes(&rl, 4100, 1), 0); /* and time before last does not count */
    assert_int_equal(takes(&rl, 999999, 20), 10); /* a long pause fills it, no more */

    pc_ratelimit_init(&rl, 3, 1000, 7); /* burst larger than the rate */
    assert_int_equal(takes(&rl, 0, 10), 7);
    assert_int_equal(takes(&rl, 1000, 10), 3);

    pc_ratelimit_init(&rl, 1, 10000, 5); /* one per 10 s: fractions accumulate */
    assert_int_equal(takes(&rl, 100, 9), 5);
    for (uint64_t t = 101; t < 10100; t += 7)
        assert_int_equal(takes(&rl, t, 1), 0);
    assert_int_equal(takes(&rl, 10100, 2), 1);
}

static void test_no_limit_and_set(void **state)
{
    pc_ratelimit_t rl;
    (void)state;

    pc_ratelimit_init(&rl, 0, 1000, 0);
    assert_int_equal(takes(&rl, 0, 100000), 100000);
    pc_ratelimit_set(&rl, 4, 0); /* from no limit: starts full */
    assert_int_equal(takes(&rl, 10, 10), 4);
    pc_ratelimit_set(&rl, 100, 0); /* more: the tokens held stay (none) */
    assert_int_equal(takes(&rl, 10, 1), 0);
    assert_int_equal(takes(&rl, 20, 5), 1);
    pc_ratelimit_set(&rl, 2, 0); /* less: capped at the new burst */
    assert_int_equal(takes(&rl, 5000, 10), 2);
    pc_ratelimit_set(&rl, 0, 0);
    assert_int_equal(takes(&rl, 5000, 10), 10);
    /* huge values are capped, not overflowed */
    pc_ratelimit_init(&rl, UINT64_MAX, UINT64_MAX, UINT64_MAX);
    assert_int_equal(rl.rate, PC_RATELIMIT_MAX);
    assert_int_equal(rl.burst, PC_RATELIMIT_MAX);
    assert_int_equal(rl.per_ms, PC_RATELIMIT_MAX_PERIOD);
    assert_int_equal(takes(&rl, UINT64_MAX - 1, 3), 3);
    assert_int_equal(takes(&rl, UINT64_MAX, 3), 3);
}

static char lines[8][1024];
static int nlines;

static void capture(void *arg, pc_log_level_t level, const char *line)
{
    (void)arg;
    (void)level;
    if (nlines < 8)
        snprintf(lines[nlines++], sizeof(lines[0]), "%s", line);
}

static void test_log(void **state)
{
    pc_ratelimit_t rl;
    (void)state;

    pc_log_open(PC_LOG_STDERR, PC_LOG_INFO, "test");
    pc_log_set_capture(capture, NULL);
    pc_ratelimit_init_log(&rl); /* 5 at once, then one per 10 s */
    for (int i = 0; i < 20; i++)
        pc_ratelimit_log(&rl, 1000, PC_LOG_NOTICE, "flood %d", i);
    assert_int_equal(nlines, 5);
    assert_string_equal(lines[4], "flood 4");
    assert_int_equal(pc_ratelimit_log(&rl, 5000, PC_LOG_NOTICE, "again"), 0);
    assert_int_equal(pc_ratelimit_log(&rl, 11000, PC_LOG_NOTICE, "later %s", "x"), 1);
    assert_int_equal(nlines, 6);
    assert_string_equal(lines[5], "later x (16 similar messages suppressed)");
    /* a level that is filtered spends no token */
    for (int i = 0; i < 10; i++)
        assert_int_equal(pc_ratelimit_log(&rl, 11000, PC_LOG_DEBUG, "quiet"), 1);
    assert_int_equal(nlines, 6);
    pc_log_set_capture(NULL, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bucket),
        cmocka_unit_test(test_no_limit_and_set),
        cmocka_unit_test(test_log),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
