/*
 * epoch.h - polcached's side of the epoch page (proto/epoch_page.h): create or
 * reuse the file beside a listening socket, map it shared, bump its
 * counter. One pc_epoch_t per listening socket; the server owns them.
 */
#ifndef PC_DAEMON_EPOCH_H
#define PC_DAEMON_EPOCH_H

#include <sys/types.h>

typedef struct pc_epoch pc_epoch_t;

/*
 * pc_epoch_open - open (creating if needed) SOCKET_PATH PC_EPOCH_SUFFIX,
 * give it mode (sock_mode & 0444) | 0200 and group gid (unless
 * (gid_t)-1), map it, and bump its counter (a fresh file starts from the
 * wall clock in nanoseconds).
 * Never follows a symbolic link and never replaces an existing file.
 * Returns 0 and *out, or PC_ETOOBIG, PC_ENOMEM, PC_ESTATE (the path is not
 * a regular file), or the errno translation of what failed; *out is NULL
 * then.
 */
int pc_epoch_open(pc_epoch_t **out, const char *sock_path, unsigned sock_mode, gid_t gid);

/* Change the counter: every answer a client kept before is invalid. */
void pc_epoch_bump(pc_epoch_t *e);

/* The current counter (tests, logging). */
unsigned long long pc_epoch_value(const pc_epoch_t *e);

/* Bump, unmap and close; the file stays. NULL is ignored. */
void pc_epoch_close(pc_epoch_t *e);

#endif
