/*
 * log.c - logging to stderr or syslog with levels.
 */
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

static struct {
    pc_log_target_t target;
    pc_log_level_t max;
    pc_log_capture_cb capture;
    void *capture_arg;
} sink = {PC_LOG_STDERR, PC_LOG_NOTICE, NULL, NULL};

static const char *const level_names[] = {"err", "warning", "notice", "info", "debug"};

void pc_log_open(pc_log_target_t target, pc_log_level_t max, const char *ident)
{
    sink.target = target;
    sink.max = max;
    if (target == PC_LOG_SYSLOG)
        openlog(ident != NULL ? ident : "polcached", LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void pc_log_set_level(pc_log_level_t max)
{
    sink.max = max;
}

pc_log_level_t pc_log_get_level(void)
{
    return sink.max;
}

int pc_log_level_parse(const char *s)
{
    for (int i = 0; i < 5; i++) {
        if (s != NULL && strcmp(s, level_names[i]) == 0)
            return i;
    }
    return -1;
}

const char *pc_log_level_name(pc_log_level_t l)
{
    return (l >= PC_LOG_ERR && l <= PC_LOG_DEBUG) ? level_names[l] : "?";
}

void pc_log_set_capture(pc_log_capture_cb cb, void *arg)
{
    sink.capture = cb;
    sink.capture_arg = arg;
}

void pc_vlog(pc_log_level_t level, const char *fmt, va_list ap)
{
    static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG};
    char line[1024];

    if (level > sink.max)
        return;
    vsnprintf(line, sizeof(line), fmt, ap);
    if (sink.capture != NULL)
        sink.capture(sink.capture_arg, level, line);
    if (sink.target == PC_LOG_SYSLOG) {
        syslog(prio[level], "%s", line);
    } else {
        struct timespec ts;
        struct tm tm;
        char stamp[32];
        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
        fprintf(stderr, "%s.%03ldZ polcached[%s]: %s\n", stamp, ts.tv_nsec / 1000000,
                level_names[level], line);
    }
}

void pc_log(pc_log_level_t level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pc_vlog(level, fmt, ap);
    va_end(ap);
}
