/*
 * produtil.h - helpers of the production end-to-end tests (test_prod_*.c):
 * writing a daemon's config file, one-shot pings and stats, SIGHUP with a
 * wait for its outcome, the daemon's log, and error replies.
 */
#ifndef PC_TEST_PRODUTIL_H
#define PC_TEST_PRODUTIL_H

#include <stdint.h>

#include "daemon_proc.h"
#include "pcclient.h"

/* Rewrite d->conf: listen, state-dir, log-level info, then text (may be
 * NULL); no user line (add one in text). Exits the process on failure. */
void pu_write_conf(dproc_t *d, const char *text);

/* Send a PING with id and wait for its reply: 0, or -1. */
int pu_ping(tc_t *c, uint32_t id, unsigned timeout_ms);

/* Milliseconds of a monotonic clock. */
uint64_t pu_now_ms(void);

/* Connect to sock, ask STATS, return the counter (or -1 on any failure). */
long long pu_stat(const char *sock, const char *name);

/* Poll the counter until it is at least want (or timeout_ms passed);
 * returns the last value read. */
long long pu_wait_stat(const char *sock, const char *name, long long want, unsigned timeout_ms);

/*
 * SIGHUP the daemon and wait until daemon.reloads or daemon.reload_errors
 * grew. Returns 1 for a reload, 0 for a reload error, -1 on timeout.
 */
int pu_reload(dproc_t *d);

/* 1 if the daemon's log (DIR/daemon.log) contains needle. */
int pu_log_has(const dproc_t *d, const char *needle);

/* ERROR_CODE of c->msg when it is an error reply, else 0. */
int pu_error_code(const tc_t *c);

/* Raise this process's open-file limit to at least n (soft up to hard):
 * 0, or -1 when the hard limit is lower. Children inherit it. */
int pu_raise_nofile(unsigned n);

#endif
