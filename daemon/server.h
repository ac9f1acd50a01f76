/*
 * server.h - polcached's listening Unix sockets and client connections:
 * framing, per-connection request tracking, limits, and batched replies
 * (all replies produced for a connection in one loop pass go out in one
 * uv_write). Message semantics live in handler.c.
 */
#ifndef PC_SERVER_H
#define PC_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#include "wire.h"

struct pc_access;
typedef struct pc_server pc_server_t;
typedef struct pc_conn pc_conn_t;
struct pc_daemon;
struct pc_waiter;

typedef struct pc_server_limits {
    unsigned max_conns;      /* open connections; one more is answered PC_EBUSY */
    unsigned max_inflight;   /* requests waiting per connection (pc_req_admit) */
    size_t max_outbuf;       /* reply octets buffered per connection; more: cut off */
    unsigned idle_ms;        /* close a connection idle this long, or one whose
                              * replies have not moved for this long (0 = never) */
} pc_server_limits_t;

typedef struct pc_server_stats {
    uint64_t accepted, refused, closed, frames, bad_frames;
    uint64_t replies, write_errors, slow_closed, idle_closed;
    uint64_t denied;          /* connections refused by the peer checks */
    uint64_t requests_denied; /* FLUSH/DUMP from a peer that is not an admin */
    uint64_t requests_busy;   /* requests refused: max_inflight on the connection */
    uint64_t requests[16];    /* by message type (index = type) */
    uint64_t open;
} pc_server_stats_t;

/* One request waiting for an answer on a connection. */
typedef struct pc_req {
    pc_conn_t *conn;
    uint32_t id;
    uint8_t type;
    uint16_t flags;
    struct pc_waiter *waiter;  /* the lookup it waits for, if any */
    struct pc_discover *disc;  /* the DMARC discovery it waits for, if any */
    struct pc_dmarc_eval *eval; /* the DMARC evaluation it waits for, if any */
    struct pc_spf_eval *spf;   /* the SPF check it waits for, if any */
    struct pc_req *next;
    struct pc_req **pprev;
} pc_req_t;

/* Create the server; d is passed to the handler for every message. */
int pc_server_new(pc_server_t **out, uv_loop_t *loop, struct pc_daemon *d,
                  const pc_server_limits_t *limits);

/*
 * pc_server_set_limits - new limits (reload). max_conns and max_inflight
 * apply at once; max_outbuf and idle_ms to connections accepted later.
 */
void pc_server_set_limits(pc_server_t *s, const pc_server_limits_t *limits);

/*
 * pc_server_set_access - check each new connection's peer against a
 * (access.h), borrowed: it must stay valid while the server runs (the
 * daemon rebuilds it in place on reload). A peer that is not allowed gets
 * an error reply PC_EPERM (id 0) and is closed. Without a call, or with
 * NULL, every peer is allowed and is an admin.
 */
void pc_server_set_access(pc_server_t *s, const struct pc_access *a);

/*
 * pc_server_listen - bind and listen on a Unix socket path. The socket is
 * created under umask 0177, then given mode and (if gid != -1) the group.
 * A stale socket file nobody listens on is replaced; a live one is an
 * error (PC_EBUSY). The parent directory is created (0755) if missing.
 * Beside it the epoch page PATH.epoch (epoch.h) is opened and bumped; if
 * that fails it is logged and the socket works without one (clients then
 * keep no answers).
 * Returns 0 or PC_EBUSY, PC_EPERM, PC_EIO, PC_ETOOBIG (path too long).
 */
int pc_server_listen(pc_server_t *s, const char *path, unsigned mode, gid_t gid);

/* Bump the epoch page of every listening socket: answers that clients
 * keep (libpolcache's answer cache) stop being used. After a flush and a
 * reload. */
void pc_server_bump_epoch(pc_server_t *s);

/* Stop accepting, close every connection (their waiters are cancelled,
 * no more callbacks), unlink the socket files; free when all handles are
 * closed. */
void pc_server_close(pc_server_t *s);

const pc_server_stats_t *pc_server_stats(const pc_server_t *s);

/* ---- for the handler ---- */

/* The output buffer of a connection, to encode one reply frame into with
 * pc_wbuf_frame_begin ... pc_wbuf_frame_end; then call pc_conn_replied. */
pc_wbuf_t *pc_conn_out(pc_conn_t *c);
/* After a reply frame was written (rc from pc_wbuf_frame_end). */
void pc_conn_replied(pc_conn_t *c, int rc);

/* Track a waiting request (for cancel and connection close). */
pc_req_t *pc_req_new(pc_conn_t *c, uint32_t id, uint8_t type, uint16_t flags);
void pc_req_free(pc_req_t *r);
pc_req_t *pc_req_find(pc_conn_t *c, uint32_t id);

/* Peer credentials of a connection (SO_PEERCRED). */
void pc_conn_peer(const pc_conn_t *c, pid_t *pid, uid_t *uid, gid_t *gid);

/*
 * pc_req_admit - may connection c take one more waiting request? Returns
 * 0, or PC_EBUSY when max_inflight requests are waiting already: the
 * refusal is counted (requests.busy) and logged (rate-limited); the caller
 * answers the request with an error reply.
 */
int pc_req_admit(pc_conn_t *c);

/*
 * pc_conn_require_admin - for FLUSH and DUMP: 0 when the peer of c is an
 * admin (root, polcached's own uid, admin-user, admin-group), PC_EPERM
 * otherwise, counted (requests.denied) and logged (rate-limited); the
 * caller answers with an error reply and the connection stays open.
 */
int pc_conn_require_admin(pc_conn_t *c);

#endif /* PC_SERVER_H */
