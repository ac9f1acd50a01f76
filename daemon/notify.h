/*
 * notify.h - readiness and state messages to the service manager, the
 * sd_notify(3) protocol without libsystemd: one datagram to the Unix
 * socket named by $NOTIFY_SOCKET (a path, or "@name" in the abstract
 * namespace). Without $NOTIFY_SOCKET (not started by systemd with
 * Type=notify) nothing is sent.
 *
 * polcached sends READY=1 once its sockets are bound and privileges are
 * dropped, RELOADING=1 when a SIGHUP reload starts (and READY=1 when it
 * ends, whatever its result), and STOPPING=1 when it begins to stop.
 */
#ifndef PC_NOTIFY_H
#define PC_NOTIFY_H

/*
 * pc_notify - send state (e.g. "READY=1\nSTATUS=serving") as one datagram
 * to $NOTIFY_SOCKET. Returns 1 when sent, 0 when $NOTIFY_SOCKET is unset
 * or empty, or PC_EINVAL (state NULL, or a socket name too long or not
 * absolute), PC_EIO (socket or send failed; errno-based codes through
 * pc_err_from_errno).
 */
int pc_notify(const char *state);

/*
 * pc_notify_reloading - RELOADING=1 with MONOTONIC_USEC (the current
 * CLOCK_MONOTONIC time, which systemd 253's Type=notify-reload wants),
 * and a STATUS line. Same results as pc_notify.
 */
int pc_notify_reloading(void);

#endif /* PC_NOTIFY_H */
