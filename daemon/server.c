/*
 * server.c - listening sockets and client connections: reading and
 * framing, request tracking, limits, and one write per connection per loop
 * pass (a connection alone in its pass writes every EARLY_BATCH replies of
 * a large read). libuv errors are translated here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "access.h"
#include "epoch.h"
#include "handler.h"
#include "log.h"
#include "polcache/error.h"
#include "ratelimit.h"
#include "server.h"

#define READ_CHUNK 16384
/* Replies are written once per connection per loop pass, except that a
 * connection alone in its pass writes every EARLY_BATCH replies while more
 * of its requests wait in the same read (see write_early). */
#define EARLY_BATCH 8

/* Kinds of rate-limited log lines: limits hit (notice), peers refused (info). */
enum { LOG_REFUSED, LOG_SLOW, LOG_BUSY, LOG_DENIED, LOG_NOT_ADMIN, LOG_KINDS };
#define IN_MAX (2 * PC_WIRE_MAX_FRAME)

typedef struct listener {
    uv_pipe_t pipe;
    pc_server_t *s;
    char *path;
    pc_epoch_t *epoch; /* the epoch page beside the socket, or NULL */
    struct listener *next;
} listener_t;

struct pc_conn {
    uv_pipe_t pipe;
    uv_timer_t idle;
    pc_server_t *s;
    uint8_t *in;
    size_t in_len, in_cap;
    pc_wbuf_t out;    /* replies of this loop pass */
    pc_wbuf_t wr;     /* being written */
    uv_write_t wreq;
    int writing, closing, reading, dirty, close_after_flush, nclosed;
    pc_req_t *reqs;
    unsigned nreq;
    pid_t pid;
    uid_t uid;
    gid_t gid;
    unsigned role;            /* PC_PEER_ALLOWED, PC_PEER_ADMIN */
    int wrote;                /* a write completed since the last idle tick */
    size_t max_outbuf;        /* the limit when it was accepted */
    pc_conn_t *next, **pprev; /* all connections */
    pc_conn_t *dnext;         /* dirty list */
};

struct pc_server {
    uv_loop_t *loop;
    struct pc_daemon *d;
    pc_server_limits_t lim;
    listener_t *listeners;
    pc_conn_t *conns;
    pc_conn_t *dirty;
    uv_check_t flush;
    int closing;
    unsigned handles;
    pc_server_stats_t st;
    const pc_access_t *access;   /* peer checks, or NULL: everyone */
    pc_ratelimit_t log_rl[LOG_KINDS]; /* one budget of log lines per kind */
    pc_msg_t msg; /* decoded request, reused */
};

/* The one translation of libuv error codes. */
static int uv_to_pc(int e)
{
    return e == 0 ? 0 : pc_err_from_errno(-e);
}

static void maybe_free_server(pc_server_t *s)
{
    if (s->closing && s->handles == 0)
        free(s);
}

static void handle_closed(uv_handle_t *h)
{
    pc_server_t *s = h->data;
    s->handles--;
    maybe_free_server(s);
}

/* ---- connections ---- */

static void conn_closed(uv_handle_t *h)
{
    pc_conn_t *c = h->data;
    pc_server_t *s = c->s;

    if (++c->nclosed < 2)
        return;
    pc_wbuf_free(&c->out);
    pc_wbuf_free(&c->wr);
    free(c->in);
    free(c);
    s->handles--;
    maybe_free_server(s);
}

static void conn_close(pc_conn_t *c)
{
    pc_server_t *s = c->s;

    if (c->closing)
        return;
    c->closing = 1;
    while (c->reqs != NULL) {
        pc_req_t *r = c->reqs;
        pc_handler_abort(s->d, r);
        pc_req_free(r);
    }
    *c->pprev = c->next;
    if (c->next != NULL)
        c->next->pprev = c->pprev;
    s->st.closed++;
    s->st.open--;
    uv_timer_stop(&c->idle);
    uv_close((uv_handle_t *)&c->idle, conn_closed);
    uv_close((uv_handle_t *)&c->pipe, conn_closed);
}

static void on_flush_check(uv_check_t *h);

static void mark_dirty(pc_conn_t *c)
{
    pc_server_t *s = c->s;
    if (c->dirty || c->closing)
        return;
    c->dirty = 1;
    c->dnext = s->dirty;
    s->dirty = c;
    if (!uv_is_active((uv_handle_t *)&s->flush))
        uv_check_start(&s->flush, on_flush_check);
}

static void update_reading(pc_conn_t *c);

static void on_write(uv_write_t *req, int status)
{
    pc_conn_t *c = req->data;

    c->writing = 0;
    if (c->closing)
        return;
    if (status < 0) {
        c->s->st.write_errors++;
        pc_log_debug("server: write failed: %s", uv_strerror(status));
        conn_close(c);
        return;
    }
    pc_wbuf_reset(&c->wr);
    c->wrote = 1;
    if (c->out.len > 0) {
        mark_dirty(c);
    } else if (c->close_after_flush) {
        conn_close(c);
        return;
    }
    update_reading(c);
}

/* Write what c->out holds, as far as the socket takes it now, without a
 * write request. Returns 0 or a libuv error other than UV_EAGAIN. */
static int write_now(pc_conn_t *c)
{
    uv_buf_t b = uv_buf_init((char *)c->out.data, (unsigned)c->out.len);
    int n = uv_try_write((uv_stream_t *)&c->pipe, &b, 1);

    if (n > 0) {
        pc_wbuf_consume(&c->out, (size_t)n);
        c->wrote = 1;
        return 0;
    }
    return n == UV_EAGAIN ? 0 : n;
}

static void conn_flush(pc_conn_t *c)
{
    pc_wbuf_t tmp;
    uv_buf_t b;
    int rc;

    if (c->closing || c->writing || c->out.len == 0)
        return;
    /* Most writes complete at once: then there is no write request, no
     * callback, and none of the epoll_ctl that libuv spends after each
     * completed request (one per reply when clients do not pipeline). */
    rc = write_now(c);
    if (rc != 0) {
        c->s->st.write_errors++;
        pc_log_debug("server: write failed: %s", uv_strerror(rc));
        conn_close(c);
        return;
    }
    if (c->out.len == 0) {
        if (c->close_after_flush)
            conn_close(c);
        else
            update_reading(c);
        return;
    }
    tmp = c->wr;
    c->wr = c->out;
    c->out = tmp;
    b = uv_buf_init((char *)c->wr.data, (unsigned)c->wr.len);
    c->wreq.data = c;
    rc = uv_write(&c->wreq, (uv_stream_t *)&c->pipe, &b, 1, on_write);
    if (rc != 0) {
        c->s->st.write_errors++;
        conn_close(c);
        return;
    }
    c->writing = 1;
}

static void on_flush_check(uv_check_t *h)
{
    pc_server_t *s = h->data;
    pc_conn_t *c = s->dirty;

    s->dirty = NULL;
    while (c != NULL) {
        pc_conn_t *next = c->dnext;
        c->dirty = 0;
        c->dnext = NULL;
        conn_flush(c);
        c = next;
    }
    if (s->dirty == NULL)
        uv_check_stop(&s->flush);
}

pc_wbuf_t *pc_conn_out(pc_conn_t *c)
{
    return &c->out;
}

void pc_conn_replied(pc_conn_t *c, int rc)
{
    if (rc != 0) {
        pc_log_warn("server: reply dropped: %s", pc_strerror(rc));
        return;
    }
    c->s->st.replies++;
    if (c->out.len + c->wr.len > c->max_outbuf) {
        /* a client that does not read its replies is cut off */
        c->s->st.slow_closed++;
        pc_ratelimit_log(&c->s->log_rl[LOG_SLOW], uv_now(c->s->loop), PC_LOG_NOTICE,
                         "server: closing the connection of pid %ld uid %lu: %zu octets of "
                         "unread replies (max-buffer-per-connection)",
                         (long)c->pid, (unsigned long)c->uid, c->out.len + c->wr.len);
        conn_close(c);
        return;
    }
    mark_dirty(c);
}

pc_req_t *pc_req_new(pc_conn_t *c, uint32_t id, uint8_t type, uint16_t flags)
{
    pc_req_t *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return NULL;
    r->conn = c;
    r->id = id;
    r->type = type;
    r->flags = flags;
    r->next = c->reqs;
    if (r->next != NULL)
        r->next->pprev = &r->next;
    r->pprev = &c->reqs;
    c->reqs = r;
    c->nreq++;
    return r;
}

void pc_req_free(pc_req_t *r)
{
    pc_conn_t *c = r->conn;

    *r->pprev = r->next;
    if (r->next != NULL)
        r->next->pprev = r->pprev;
    c->nreq--;
    free(r);
    if (!c->closing)
        update_reading(c);
}

pc_req_t *pc_req_find(pc_conn_t *c, uint32_t id)
{
    for (pc_req_t *r = c->reqs; r != NULL; r = r->next) {
        if (r->id == id)
            return r;
    }
    return NULL;
}

int pc_req_admit(pc_conn_t *c)
{
    pc_server_t *s = c->s;

    if (c->nreq < s->lim.max_inflight)
        return 0;
    s->st.requests_busy++;
    pc_ratelimit_log(&s->log_rl[LOG_BUSY], uv_now(s->loop), PC_LOG_NOTICE,
                     "server: pid %ld uid %lu has %u requests in flight "
                     "(max-requests-per-connection); answering busy",
                     (long)c->pid, (unsigned long)c->uid, c->nreq);
    return PC_EBUSY;
}

int pc_conn_require_admin(pc_conn_t *c)
{
    pc_server_t *s = c->s;

    if (c->role & PC_PEER_ADMIN)
        return 0;
    s->st.requests_denied++;
    pc_ratelimit_log(&s->log_rl[LOG_NOT_ADMIN], uv_now(s->loop), PC_LOG_INFO,
                     "server: denied a flush or dump to pid %ld uid %lu: not an admin",
                     (long)c->pid, (unsigned long)c->uid);
    return PC_EPERM;
}

void pc_conn_peer(const pc_conn_t *c, pid_t *pid, uid_t *uid, gid_t *gid)
{
    if (pid != NULL)
        *pid = c->pid;
    if (uid != NULL)
        *uid = c->uid;
    if (gid != NULL)
        *gid = c->gid;
}

static void error_reply(pc_conn_t *c, uint32_t id, int err)
{
    pc_wbuf_t *b = &c->out;
    pc_wbuf_frame_begin(b, PC_MSG_ERROR_REPLY, 0, id);
    pc_wbuf_i32(b, PC_T_ERROR_CODE, err);
    pc_wbuf_str(b, PC_T_MESSAGE, pc_strerror(err));
    pc_conn_replied(c, pc_wbuf_frame_end(b));
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    pc_conn_t *c = h->data;
    (void)suggested;

    if (c->in_cap - c->in_len < READ_CHUNK && c->in_cap < IN_MAX) {
        size_t cap = c->in_cap ? c->in_cap * 2 : READ_CHUNK * 2;
        uint8_t *p;
        if (cap > IN_MAX)
            cap = IN_MAX;
        p = realloc(c->in, cap);
        if (p != NULL) {
            c->in = p;
            c->in_cap = cap;
        }
    }
    *buf = uv_buf_init((char *)c->in + c->in_len, (unsigned)(c->in_cap - c->in_len));
}

/*
 * Write the replies made so far at once, when c is the only connection
 * with replies in this loop pass. With one connection and many requests
 * in flight (a multiplexing client), the client then works on the first
 * replies while the rest are made, instead of the two sides taking turns
 * and each turn waking an idle CPU. With other connections in the pass the
 * loop has work anyway, and their replies keep one write per pass.
 */
static void write_early(pc_conn_t *c)
{
    if (c->writing || c->closing || c->out.len == 0 || c->s->dirty != c || c->dnext != NULL)
        return;
    (void)write_now(c); /* an error shows again in the pass's write */
}

/* Parse and handle every complete frame in the input buffer. */
static void process_input(pc_conn_t *c)
{
    pc_server_t *s = c->s;
    size_t off = 0;
    unsigned handled = 0;

    while (!c->closing && !c->close_after_flush && c->in_len - off >= PC_WIRE_HDR_LEN) {
        pc_hdr_t h;
        size_t total;
        int rc = pc_hdr_decode(c->in + off, c->in_len - off, &h);

        if (rc == PC_EMAGIC || rc == PC_EVERSION || rc == PC_ETOOBIG || rc == PC_EMALFORMED) {
            /* the header cannot be trusted: answer and close */
            s->st.bad_frames++;
            error_reply(c, rc == PC_EMAGIC ? 0 : h.id, rc);
            c->close_after_flush = 1;
            break;
        }
        total = PC_WIRE_HDR_LEN + (size_t)h.length;
        if (c->in_len - off < total)
            break;
        s->st.frames++;
        if (rc == 0)
            rc = pc_msg_decode(c->in + off, total, &s->msg);
        off += total;
        if (rc != 0) {
            s->st.bad_frames++;
            error_reply(c, h.id, rc);
            continue;
        }
        if (s->msg.hdr.type < 16)
            s->st.requests[s->msg.hdr.type]++;
        pc_handle(s->d, c, &s->msg);
        if (++handled % EARLY_BATCH == 0 && c->in_len - off >= PC_WIRE_HDR_LEN)
            write_early(c);
    }
    if (c->closing)
        return;
    if (off > 0) {
        memmove(c->in, c->in + off, c->in_len - off);
        c->in_len -= off;
    }
    if (c->in_len == c->in_cap && c->in_cap >= IN_MAX) {
        c->close_after_flush = 1; /* cannot happen with valid headers */
    }
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    pc_conn_t *c = st->data;
    (void)buf;

    if (nread < 0) {
        conn_close(c);
        return;
    }
    if (nread == 0)
        return;
    c->in_len += (size_t)nread;
    if (c->s->lim.idle_ms > 0)
        uv_timer_again(&c->idle);
    process_input(c);
    if (!c->closing)
        update_reading(c);
}

static void update_reading(pc_conn_t *c)
{
    pc_server_t *s = c->s;
    int want = !c->close_after_flush && c->nreq < s->lim.max_inflight &&
               c->out.len + c->wr.len < c->max_outbuf / 2;

    if (want && !c->reading) {
        if (uv_read_start((uv_stream_t *)&c->pipe, alloc_cb, on_read) == 0)
            c->reading = 1;
    } else if (!want && c->reading) {
        uv_read_stop((uv_stream_t *)&c->pipe);
        c->reading = 0;
    }
}

static void on_idle(uv_timer_t *t)
{
    pc_conn_t *c = t->data;
    pc_server_t *s = c->s;

    if (c->nreq == 0 && !c->writing) {
        s->st.idle_closed++;
        conn_close(c);
    } else if (c->writing && !c->wrote) {
        /* its replies have not moved for a whole period: it does not read */
        s->st.slow_closed++;
        pc_ratelimit_log(&s->log_rl[LOG_SLOW], uv_now(s->loop), PC_LOG_NOTICE,
                         "server: closing the connection of pid %ld uid %lu: it has not read "
                         "its replies for %u ms (idle-timeout)",
                         (long)c->pid, (unsigned long)c->uid, s->lim.idle_ms);
        conn_close(c);
    } else {
        c->wrote = 0;
    }
}

/* A new connection's peer: credentials and role; 0 or PC_EPERM. */
static int check_peer(pc_conn_t *c)
{
    pc_server_t *s = c->s;
    pc_peer_t peer;
    uv_os_fd_t fd;

    if (uv_fileno((uv_handle_t *)&c->pipe, &fd) != 0 || pc_peer_read(fd, &peer) != 0) {
        peer.pid = 0;
        peer.uid = (uid_t)-1;
        peer.gid = (gid_t)-1;
        peer.ngroups = 0;
    }
    c->pid = peer.pid;
    c->uid = peer.uid;
    c->gid = peer.gid;
    c->role = s->access != NULL ? pc_access_check(s->access, &peer)
                                : PC_PEER_ALLOWED | PC_PEER_ADMIN;
    if (c->role & PC_PEER_ALLOWED)
        return 0;
    s->st.denied++;
    pc_ratelimit_log(&s->log_rl[LOG_DENIED], uv_now(s->loop), PC_LOG_INFO,
                     "server: denied a connection from pid %ld uid %lu gid %lu: "
                     "not in allow-user or allow-group",
                     (long)peer.pid, (unsigned long)peer.uid, (unsigned long)peer.gid);
    return PC_EPERM;
}

static void on_connection(uv_stream_t *server, int status)
{
    listener_t *l = server->data;
    pc_server_t *s = l->s;
    pc_conn_t *c;

    if (status < 0 || s->closing)
        return;
    c = calloc(1, sizeof(*c));
    if (c == NULL)
        return;
    c->s = s;
    c->max_outbuf = s->lim.max_outbuf; /* fixed for this connection's buffers */
    pc_wbuf_init(&c->out, 4 * PC_WIRE_MAX_FRAME + c->max_outbuf);
    pc_wbuf_init(&c->wr, 4 * PC_WIRE_MAX_FRAME + c->max_outbuf);
    uv_pipe_init(s->loop, &c->pipe, 0);
    uv_timer_init(s->loop, &c->idle);
    c->pipe.data = c;
    c->idle.data = c;
    s->handles++;
    c->next = s->conns;
    if (c->next != NULL)
        c->next->pprev = &c->next;
    c->pprev = &s->conns;
    s->conns = c;
    s->st.open++;
    if (uv_accept(server, (uv_stream_t *)&c->pipe) != 0) {
        conn_close(c);
        return;
    }
    s->st.accepted++;
    if (check_peer(c) != 0) {
        error_reply(c, 0, PC_EPERM);
        c->close_after_flush = 1;
        return;
    }
    if (s->st.open > s->lim.max_conns) {
        s->st.refused++;
        pc_ratelimit_log(&s->log_rl[LOG_REFUSED], uv_now(s->loop), PC_LOG_NOTICE,
                         "server: %u connections open (max-connections); refusing pid %ld "
                         "uid %lu", s->lim.max_conns, (long)c->pid, (unsigned long)c->uid);
        error_reply(c, 0, PC_EBUSY);
        c->close_after_flush = 1;
        return;
    }
    if (s->lim.idle_ms > 0) {
        uv_timer_start(&c->idle, on_idle, s->lim.idle_ms, s->lim.idle_ms);
    }
    update_reading(c);
}

/* ---- listeners ---- */

static int stale_socket(const char *path)
{
    struct sockaddr_un sa;
    struct stat st;
    int fd, rc;

    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : PC_EIO;
    if (!S_ISSOCK(st.st_mode))
        return PC_EBUSY; /* never remove something that is not a socket */
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return PC_EIO;
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, path, strlen(path) + 1);
    rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
    close(fd);
    if (rc == 0)
        return PC_EBUSY; /* someone is listening */
    return unlink(path) == 0 ? 0 : pc_err_from_errno(errno);
}

static int ensure_parent(const char *path)
{
    char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
    char *slash;

    snprintf(dir, sizeof(dir), "%s", path);
    slash = strrchr(dir, '/');
    if (slash == NULL || slash == dir)
        return 0;
    *slash = '\0';
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return pc_err_from_errno(errno);
    return 0;
}

int pc_server_listen(pc_server_t *s, const char *path, unsigned mode, gid_t gid)
{
    listener_t *l;
    mode_t old;
    int rc;

    if (strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path))
        return PC_ETOOBIG;
    if ((rc = ensure_parent(path)) != 0 || (rc = stale_socket(path)) != 0)
        return rc;
    l = calloc(1, sizeof(*l));
    if (l == NULL || (l->path = strdup(path)) == NULL) {
        free(l);
        return PC_ENOMEM;
    }
    l->s = s;
    uv_pipe_init(s->loop, &l->pipe, 0);
    l->pipe.data = l;
    old = umask(0177);
    rc = uv_pipe_bind(&l->pipe, path);
    umask(old);
    if (rc == 0 && chmod(path, (mode_t)mode) != 0)
        rc = -errno;
    if (rc == 0 && gid != (gid_t)-1 && chown(path, (uid_t)-1, gid) != 0)
        rc = -errno;
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&l->pipe, 511, on_connection);
    if (rc != 0) {
        pc_log_err("server: cannot listen on %s: %s", path, uv_strerror(rc));
        l->pipe.data = s;
        s->handles++;
        uv_close((uv_handle_t *)&l->pipe, handle_closed);
        free(l->path);
        free(l);
        return uv_to_pc(rc);
    }
    s->handles++;
    l->next = s->listeners;
    s->listeners = l;
    pc_log_notice("listening on %s (mode %04o)", path, mode);
    if ((rc = pc_epoch_open(&l->epoch, path, mode, gid)) != 0)
        pc_log_warn("cannot set up the epoch page %s%s (clients will keep no answers): %s",
                    path, ".epoch", pc_strerror(rc));
    return 0;
}

int pc_server_new(pc_server_t **out, uv_loop_t *loop, struct pc_daemon *d,
                  const pc_server_limits_t *limits)
{
    pc_server_t *s = calloc(1, sizeof(*s));

    if (s == NULL)
        return PC_ENOMEM;
    s->loop = loop;
    s->d = d;
    s->lim = *limits;
    if (s->lim.max_outbuf < PC_WIRE_MAX_FRAME)
        s->lim.max_outbuf = PC_WIRE_MAX_FRAME;
    uv_check_init(loop, &s->flush);
    s->flush.data = s;
    s->handles = 1;
    for (int k = 0; k < LOG_KINDS; k++)
        pc_ratelimit_init_log(&s->log_rl[k]);
    *out = s;
    return 0;
}

void pc_server_set_limits(pc_server_t *s, const pc_server_limits_t *limits)
{
    s->lim = *limits;
    if (s->lim.max_outbuf < PC_WIRE_MAX_FRAME)
        s->lim.max_outbuf = PC_WIRE_MAX_FRAME;
    for (pc_conn_t *c = s->conns; c != NULL; c = c->next)
        update_reading(c); /* max_inflight may have changed */
}

void pc_server_set_access(pc_server_t *s, const pc_access_t *a)
{
    s->access = a;
}

void pc_server_bump_epoch(pc_server_t *s)
{
    for (listener_t *l = s->listeners; l != NULL; l = l->next)
        pc_epoch_bump(l->epoch);
}

static void listener_closed(uv_handle_t *h)
{
    listener_t *l = h->data;
    pc_server_t *s = l->s;
    pc_epoch_close(l->epoch);
    free(l->path);
    free(l);
    s->handles--;
    maybe_free_server(s);
}

void pc_server_close(pc_server_t *s)
{
    if (s == NULL || s->closing)
        return;
    s->closing = 1;
    while (s->listeners != NULL) {
        listener_t *l = s->listeners;
        s->listeners = l->next;
        unlink(l->path);
        uv_close((uv_handle_t *)&l->pipe, listener_closed);
    }
    while (s->conns != NULL)
        conn_close(s->conns);
    s->dirty = NULL;
    uv_close((uv_handle_t *)&s->flush, handle_closed);
}

const pc_server_stats_t *pc_server_stats(const pc_server_t *s)
{
    return &s->st;
}
