/*
 * fakesrv.c - the misbehaving stand-in daemon of the client tests.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "fakesrv.h"
#include "polcache/error.h"
#include "polcache/types.h"
#include "wire.h"

#define MAXC 64

typedef struct fconn {
    int fd;
    uint8_t in[2 * PC_WIRE_MAX_FRAME];
    size_t len;
    int npend;
    uint32_t pend_id[256];
    uint8_t pend_type[256];
    char pend_dom[256][64];
} fconn_t;

static void die(const char *what)
{
    fprintf(stderr, "fakesrv: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void send_all(int fd, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n > 0) {
        ssize_t w = send(fd, b, n, MSG_NOSIGNAL);
        if (w <= 0)
            return;
        b += w;
        n -= (size_t)w;
    }
}

static void send_error(int fd, uint32_t id, int err)
{
    pc_wbuf_t b;
    pc_wbuf_init(&b, 0);
    pc_wbuf_frame_begin(&b, PC_MSG_ERROR_REPLY, 0, id);
    pc_wbuf_i32(&b, PC_T_ERROR_CODE, err);
    pc_wbuf_str(&b, PC_T_MESSAGE, pc_strerror(err));
    if (pc_wbuf_frame_end(&b) == 0)
        send_all(fd, b.data, b.len);
    pc_wbuf_free(&b);
}

static void send_record(int fd, uint8_t type, uint32_t id, const char *dom)
{
    pc_wbuf_t b;
    pc_wbuf_init(&b, 0);
    pc_wbuf_frame_begin(&b, (uint8_t)(type | PC_MSG_REPLY), 0, id);
    pc_wbuf_u8(&b, PC_T_OUTCOME, PC_OUTCOME_FOUND);
    pc_wbuf_u8(&b, PC_T_DNSSEC, PC_DNSSEC_SECURE);
    pc_wbuf_u8(&b, PC_T_CACHE, PC_CACHE_HIT);
    pc_wbuf_u32(&b, PC_T_TTL, 3600);
    pc_wbuf_u32(&b, PC_T_AGE, 12);
    pc_wbuf_str(&b, PC_T_QNAME, dom);
    pc_wbuf_str(&b, PC_T_RAW, dom);
    pc_wbuf_nest_begin(&b, PC_T_FIELD);
    pc_wbuf_str(&b, PC_T_FIELD_NAME, "p");
    pc_wbuf_str(&b, PC_T_FIELD_VALUE, "reject");
    pc_wbuf_u8(&b, PC_T_FIELD_FLAGS, 1);
    pc_wbuf_nest_end(&b);
    pc_wbuf_nest_begin(&b, PC_T_FIELD);
    pc_wbuf_str(&b, PC_T_FIELD_NAME, "sp");
    pc_wbuf_str(&b, PC_T_FIELD_VALUE, "reject");
    pc_wbuf_u8(&b, PC_T_FIELD_FLAGS, 0);
    pc_wbuf_nest_end(&b);
    pc_wbuf_str(&b, PC_T_WARNING, "no-rua: no rua tag");
    if (pc_wbuf_frame_end(&b) == 0)
        send_all(fd, b.data, b.len);
    pc_wbuf_free(&b);
}

static void send_ping(int fd, uint32_t id)
{
    pc_wbuf_t b;
    pc_wbuf_init(&b, 0);
    pc_wbuf_frame_begin(&b, PC_MSG_PING | PC_MSG_REPLY, 0, id);
    pc_wbuf_str(&b, PC_T_VERSION, "fakesrv 1");
    pc_wbuf_u8(&b, PC_T_PROTO_VERSION, 1);
    if (pc_wbuf_frame_end(&b) == 0)
        send_all(fd, b.data, b.len);
    pc_wbuf_free(&b);
}

/* One request frame: count it and act as the mode says. Returns 0 to keep
 * the connection, -1 to close it. */
static int on_frame(fakesrv_t *f, fconn_t *c, const uint8_t *fr, size_t len)
{
    static pc_msg_t m; /* only the server thread uses it */
    const pc_tlv_t *t;
    int n;

    if (pc_msg_decode(fr, len, &m) != 0)
        return -1;
    pthread_mutex_lock(&f->mu);
    n = f->frames++;
    if (n < FAKE_MAX_SEEN) {
        f->seen_type[n] = m.hdr.type;
        f->seen_id[n] = m.hdr.id;
    }
    if (m.hdr.type == PC_MSG_CANCEL && f->cancels < FAKE_MAX_SEEN)
        f->cancel_target[f->cancels++] = pc_tlv_u32(pc_msg_find(&m, PC_T_TARGET_ID));
    pthread_mutex_unlock(&f->mu);
    switch (f->mode) {
    case FAKE_GARBAGE: {
        uint8_t bad[PC_WIRE_HDR_LEN] = {'X', 'X', 1, 0x81};
        send_all(c->fd, bad, sizeof(bad));
        return 0;
    }
    case FAKE_ERROR:
        if (m.hdr.type != PC_MSG_CANCEL)
            send_error(c->fd, m.hdr.id, f->err);
        return 0;
    case FAKE_CLOSE:
        return -1;
    case FAKE_RECORD:
        if (m.hdr.type == PC_MSG_PING) {
            send_ping(c->fd, m.hdr.id);
            return 0;
        }
        if (m.hdr.type == PC_MSG_CANCEL || c->npend >= 256)
            return 0;
        t = pc_msg_find(&m, PC_T_DOMAIN);
        c->pend_id[c->npend] = m.hdr.id;
        c->pend_type[c->npend] = m.hdr.type;
        snprintf(c->pend_dom[c->npend], sizeof(c->pend_dom[0]), "%.*s",
                 t != NULL ? (int)t->len : 0, t != NULL ? (const char *)t->val : "");
        if (++c->npend >= f->batch) {
            while (c->npend > 0) {
                c->npend--;
                send_record(c->fd, c->pend_type[c->npend], c->pend_id[c->npend],
                            c->pend_dom[c->npend]);
            }
        }
        return 0;
    default:
        return 0;
    }
}

static int on_readable(fakesrv_t *f, fconn_t *c)
{
    ssize_t r = recv(c->fd, c->in + c->len, sizeof(c->in) - c->len, 0);
    size_t off = 0;

    if (r <= 0)
        return -1;
    c->len += (size_t)r;
    while (c->len - off >= PC_WIRE_HDR_LEN) {
        pc_hdr_t h;
        size_t total;
        memset(&h, 0, sizeof(h));
        (void)pc_hdr_decode(c->in + off, c->len - off, &h);
        total = PC_WIRE_HDR_LEN + (size_t)h.length;
        if (total > PC_WIRE_MAX_FRAME)
            return -1;
        if (c->len - off < total)
            break;
        if (on_frame(f, c, c->in + off, total) != 0)
            return -1;
        off += total;
    }
    memmove(c->in, c->in + off, c->len - off);
    c->len -= off;
    return 0;
}

static void *serve(void *arg)
{
    fakesrv_t *f = arg;
    fconn_t **cs = calloc(MAXC, sizeof(*cs));
    int nc = 0;

    for (;;) {
        struct pollfd p[MAXC + 2];
        int n = 0;
        p[n].fd = f->stop[0];
        p[n++].events = POLLIN;
        p[n].fd = f->lfd;
        p[n++].events = POLLIN;
        for (int i = 0; i < nc; i++) {
            p[n].fd = cs[i]->fd;
            p[n++].events = f->mode == FAKE_NOREAD ? 0 : POLLIN;
        }
        if (poll(p, (nfds_t)n, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (p[0].revents)
            break;
        if ((p[1].revents & POLLIN) && nc < MAXC) {
            int fd = accept4(f->lfd, NULL, NULL, SOCK_CLOEXEC);
            if (fd >= 0) {
                pthread_mutex_lock(&f->mu);
                f->conns++;
                pthread_mutex_unlock(&f->mu);
                if (f->mode == FAKE_REFUSE) {
                    send_error(fd, 0, PC_EBUSY);
                    close(fd);
                } else {
                    cs[nc] = calloc(1, sizeof(fconn_t));
                    cs[nc++]->fd = fd;
                }
            }
        }
        for (int i = nc - 1; i >= 0; i--) {
            if (p[2 + i].revents == 0)
                continue;
            if (on_readable(f, cs[i]) != 0) {
                close(cs[i]->fd);
                free(cs[i]);
                cs[i] = cs[--nc];
            }
        }
    }
    for (int i = 0; i < nc; i++) {
        close(cs[i]->fd);
        free(cs[i]);
    }
    free(cs);
    return NULL;
}

static void start(fakesrv_t *f, fake_mode_t mode, int batch)
{
    struct sockaddr_un sa;

    memset(f, 0, sizeof(*f));
    f->mode = mode;
    f->batch = batch;
    f->err = PC_ENOTIMPL;
    snprintf(f->dir, sizeof(f->dir), "/tmp/pc-fake-XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        die("mkdtemp");
    snprintf(f->path, sizeof(f->path), "%s/sock", f->dir);
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->path);
    f->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (f->lfd < 0 || bind(f->lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
        listen(f->lfd, 64) != 0)
        die("listen");
    if (pipe(f->stop) != 0)
        die("pipe");
    pthread_mutex_init(&f->mu, NULL);
    if (pthread_create(&f->th, NULL, serve, f) != 0)
        die("pthread_create");
}

void fake_start(fakesrv_t *f, fake_mode_t mode)
{
    start(f, mode, 1);
}

void fake_start_record(fakesrv_t *f, int batch)
{
    start(f, FAKE_RECORD, batch);
}

void fake_stop(fakesrv_t *f)
{
    if (write(f->stop[1], "x", 1) != 1)
        die("write");
    pthread_join(f->th, NULL);
    close(f->stop[0]);
    close(f->stop[1]);
    close(f->lfd);
    unlink(f->path);
    rmdir(f->dir);
    pthread_mutex_destroy(&f->mu);
}

static int get(fakesrv_t *f, const int *v)
{
    int n;
    pthread_mutex_lock(&f->mu);
    n = *v;
    pthread_mutex_unlock(&f->mu);
    return n;
}

int fake_conns(fakesrv_t *f)
{
    return get(f, &f->conns);
}

int fake_frames(fakesrv_t *f)
{
    return get(f, &f->frames);
}

int fake_cancels(fakesrv_t *f)
{
    return get(f, &f->cancels);
}

int fake_saw_cancel(fakesrv_t *f, uint32_t target)
{
    for (int tries = 0; tries < 100; tries++) {
        int found = 0;
        pthread_mutex_lock(&f->mu);
        for (int i = 0; i < f->cancels; i++)
            found |= f->cancel_target[i] == target;
        pthread_mutex_unlock(&f->mu);
        if (found)
            return 1;
        usleep(10000);
    }
    return 0;
}
