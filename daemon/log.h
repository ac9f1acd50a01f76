/*
 * log.h - polcached's logging: levels, stderr or syslog. The sink is the
 * one piece of process-wide state in the daemon, set once by main() (and by
 * tests, which may capture lines with pc_log_set_capture).
 */
#ifndef PC_LOG_H
#define PC_LOG_H

#include <stdarg.h>

typedef enum pc_log_level {
    PC_LOG_ERR = 0,
    PC_LOG_WARNING = 1,
    PC_LOG_NOTICE = 2,
    PC_LOG_INFO = 3,
    PC_LOG_DEBUG = 4
} pc_log_level_t;

/* Where lines go. */
typedef enum pc_log_target {
    PC_LOG_STDERR = 0,
    PC_LOG_SYSLOG = 1
} pc_log_target_t;

/* Configure: target, maximum level written, syslog ident. */
void pc_log_open(pc_log_target_t target, pc_log_level_t max, const char *ident);
void pc_log_set_level(pc_log_level_t max);
pc_log_level_t pc_log_get_level(void);

/* Parse "err", "warning", "notice", "info", "debug"; -1 if unknown. */
int pc_log_level_parse(const char *s);
const char *pc_log_level_name(pc_log_level_t l);

/* A test hook: every line (after level filtering) is also passed to cb. */
typedef void (*pc_log_capture_cb)(void *arg, pc_log_level_t level, const char *line);
void pc_log_set_capture(pc_log_capture_cb cb, void *arg);

void pc_log(pc_log_level_t level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void pc_vlog(pc_log_level_t level, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

#define pc_log_err(...) pc_log(PC_LOG_ERR, __VA_ARGS__)
#define pc_log_warn(...) pc_log(PC_LOG_WARNING, __VA_ARGS__)
#define pc_log_notice(...) pc_log(PC_LOG_NOTICE, __VA_ARGS__)
#define pc_log_info(...) pc_log(PC_LOG_INFO, __VA_ARGS__)
#define pc_log_debug(...) pc_log(PC_LOG_DEBUG, __VA_ARGS__)

#endif /* PC_LOG_H */
