/*
 * conn.c - the one connection of a context to polcached: connect, write
 * the queued requests, read and split the reply stream into frames, hand
 * each reply to its request by id, and fail every request in flight when
 * the daemon goes away. All functions run with the context lock held and
 * never block.
 */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "client.h"

/* The errno translation of this file: a socket path that does not exist
 * means that no daemon runs; everything else is the table's business. */
static int sock_err(int e)
{
    return e == ENOENT ? PC_EUNAVAIL : pc_err_from_errno(e);
}

static int conn_open(pc_client_t *c)
{
    struct sockaddr_un sa;
    struct epoll_event ev;
    int fd, rc;

    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return sock_err(errno);
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, c->path, strlen(c->path));
    while (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        if (errno == EINTR)
            continue;
        /* EAGAIN: the daemon's listen backlog is full (PC_EBUSY) */
        rc = sock_err(errno);
        close(fd);
        return rc;
    }
    memset(&ev, 0, sizeof(ev));
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    if (epoll_ctl(c->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
        rc = sock_err(errno);
        close(fd);
        return rc;
    }
    c->sock = fd;
    c->sock_events = EPOLLIN;
    c->in_len = 0;
    pc_wbuf_reset(&c->out);
    return 0;
}

int pcc_conn_ensure(pc_client_t *c)
{
    if (c->sock >= 0) {
        pcc_conn_read(c); /* notices a daemon that went away meanwhile */
        if (c->sock >= 0)
            return 0;
    }
    return conn_open(c);
}

void pcc_conn_fail(pc_client_t *c, int err)
{
    if (c->sock >= 0) {
        (void)epoll_ctl(c->epfd, EPOLL_CTL_DEL, c->sock, NULL);
        close(c->sock);
        c->sock = -1;
    }
    c->sock_events = 0;
    c->in_len = 0;
    pc_wbuf_reset(&c->out);
    while (c->heap_len > 0)
        pcc_req_finish(c, c->heap[0], err, NULL);
    pcc_req_arm_timer(c);
}

void pcc_conn_update_events(pc_client_t *c)
{
    struct epoll_event ev;
    uint32_t want = EPOLLIN | (c->out.len > 0 ? (uint32_t)EPOLLOUT : 0u);

    if (c->sock < 0 || want == c->sock_events)
        return;
    memset(&ev, 0, sizeof(ev));
    ev.events = want;
    ev.data.fd = c->sock;
    if (epoll_ctl(c->epfd, EPOLL_CTL_MOD, c->sock, &ev) == 0)
        c->sock_events = want;
}

void pcc_conn_flush(pc_client_t *c)
{
    while (c->sock >= 0 && c->out.len > 0) {
        ssize_t n = send(c->sock, c->out.data, c->out.len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            pc_wbuf_consume(&c->out, (size_t)n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        /* the daemon closed: read what it said last (e.g. PC_EBUSY when it
         * refused the connection), then give up on the connection */
        pcc_conn_read(c);
        if (c->sock >= 0)
            pcc_conn_fail(c, PC_EUNAVAIL);
        return;
    }
    pcc_conn_update_events(c);
}

void pcc_conn_send_cancel(pc_client_t *c, uint32_t id)
{
    pcc_reqspec_t s;
    uint32_t cid;

    if (c->sock < 0 || c->out.len >= c->max_queued)
        return; /* a late reply to id is dropped anyway */
    memset(&s, 0, sizeof(s));
    s.type = PC_MSG_CANCEL;
    s.target_id = id;
    cid = pcc_req_alloc_id(c);
    if (pcc_req_encode(&c->out, cid, &s) == 0)
        pcc_conn_flush(c);
}

long pcc_frame_len(const uint8_t *buf, size_t len, uint32_t *id)
{
    pc_hdr_t h;
    int rc;

    if (len < PC_WIRE_HDR_LEN)
        return 0;
    memset(&h, 0, sizeof(h));
    rc = pc_hdr_decode(buf, len, &h);
    *id = h.id;
    if (rc == PC_EMAGIC || rc == PC_EVERSION || rc == PC_ETOOBIG || rc == PC_EMALFORMED)
        return rc; /* the stream cannot be followed */
    /* 0, or PC_EMSGTYPE / PC_EFLAGS with a usable length */
    if (len - PC_WIRE_HDR_LEN < (size_t)h.length)
        return 0;
    return (long)(PC_WIRE_HDR_LEN + (size_t)h.length);
}

/* Hand one complete frame to the request it answers. */
static void dispatch(pc_client_t *c, const uint8_t *frame, size_t len)
{
    pc_msg_t *m = c->msg;
    pcc_reply_t reply;
    pcc_req_t *r;
    uint32_t id = 0;
    int rc;

    (void)pcc_frame_len(frame, len, &id);
    rc = pc_msg_decode(frame, len, m);
    if (rc == 0 && id == 0) {
        /* a connection-level error: the daemon refused us (PC_EBUSY when
         * it is at its connection limit) and closes */
        if (m->hdr.type == PC_MSG_ERROR_REPLY) {
            int code = pc_tlv_i32(pc_msg_find(m, PC_T_ERROR_CODE));
            pcc_conn_fail(c, code < 0 ? code : PC_EMALFORMED);
        }
        return;
    }
    r = pcc_req_find(c, id);
    if (r == NULL)
        return; /* the answer to a request that timed out or was cancelled */
    memset(&reply, 0, sizeof(reply));
    if (rc == 0)
        rc = pcc_reply_decode(r->type, m, &reply);
    if (rc == 0)
        pcc_acache_store(c, r, m, frame, len);
    pcc_req_finish(c, r, rc, rc == 0 ? &reply : NULL);
}

/* Dispatch every complete frame in the input buffer. */
static void parse_input(pc_client_t *c)
{
    size_t off = 0;

    while (c->sock >= 0) {
        uint32_t id;
        long n = pcc_frame_len(c->in + off, c->in_len - off, &id);
        if (n == 0)
            break;
        if (n < 0) {
            pcc_conn_fail(c, (int)n);
            return;
        }
        dispatch(c, c->in + off, (size_t)n);
        off += (size_t)n;
    }
    if (c->sock < 0)
        return; /* the connection was failed: its input is gone */
    memmove(c->in, c->in + off, c->in_len - off);
    c->in_len -= off;
}

void pcc_conn_read(pc_client_t *c)
{
    while (c->sock >= 0) {
        /* after parse_input less than one frame is left, so there is
         * always room for a whole frame */
        ssize_t n = recv(c->sock, c->in + c->in_len, 2 * PC_WIRE_MAX_FRAME - c->in_len,
                         MSG_DONTWAIT);
        if (n > 0) {
            c->in_len += (size_t)n;
            parse_input(c);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        pcc_conn_fail(c, PC_EUNAVAIL); /* EOF or a reset: the daemon is gone */
        return;
    }
}
