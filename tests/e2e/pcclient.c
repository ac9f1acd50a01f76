/*
 * pcclient.c - the end-to-end tests' blocking protocol client.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "pcclient.h"

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int tc_connect(tc_t *c, const char *path, unsigned timeout_ms)
{
    struct sockaddr_un sa;
    uint64_t end = now_ms() + timeout_ms;

    memset(c, 0, sizeof(*c));
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    for (;;) {
        c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (c->fd < 0)
            return -1;
        if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
            return 0;
        close(c->fd);
        c->fd = -1;
        if (now_ms() >= end)
            return -1;
        usleep(20000);
    }
}

void tc_close(tc_t *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

int tc_send(tc_t *c, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n > 0) {
        ssize_t w = send(c->fd, b, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

int tc_send_wbuf(tc_t *c, pc_wbuf_t *b)
{
    int rc = tc_send(c, b->data, b->len);
    pc_wbuf_reset(b);
    return rc;
}

int tc_read(tc_t *c, unsigned timeout_ms)
{
    uint64_t end = now_ms() + timeout_ms;

    for (;;) {
        if (c->in_len >= PC_WIRE_HDR_LEN) {
            pc_hdr_t h;
            size_t total;
            memset(&h, 0, sizeof(h));
            (void)pc_hdr_decode(c->in, c->in_len, &h);
            total = PC_WIRE_HDR_LEN + (size_t)h.length;
            if (total > sizeof(c->frame))
                return -1002; /* an oversized reply: a daemon bug */
            if (total <= c->in_len) {
                memcpy(c->frame, c->in, total);
                c->frame_len = total;
                memmove(c->in, c->in + total, c->in_len - total);
                c->in_len -= total;
                return pc_msg_decode(c->frame, total, &c->msg);
            }
        }
        {
            struct pollfd pfd = {c->fd, POLLIN, 0};
            uint64_t t = now_ms();
            ssize_t r;
            if (t >= end)
                return -1001;
            if (poll(&pfd, 1, (int)(end - t)) <= 0)
                return -1001;
            r = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, 0);
            if (r <= 0)
                return -1000;
            c->in_len += (size_t)r;
        }
    }
}

int tc_send_record(tc_t *c, uint8_t type, uint32_t id, uint16_t flags,
                   const char *domain, const char *selector)
{
    pc_wbuf_t b;
    int rc;

    pc_wbuf_init(&b, 0);
    pc_wbuf_frame_begin(&b, type, flags, id);
    if (selector != NULL)
        pc_wbuf_str(&b, PC_T_SELECTOR, selector);
    pc_wbuf_str(&b, PC_T_DOMAIN, domain);
    rc = pc_wbuf_frame_end(&b);
    if (rc == 0)
        rc = tc_send(c, b.data, b.len);
    pc_wbuf_free(&b);
    return rc;
}

const char *tc_text(tc_t *c, uint16_t type, char *buf, size_t cap)
{
    const pc_tlv_t *t = pc_msg_find(&c->msg, type);
    buf[0] = '\0';
    if (t != NULL)
        pc_tlv_copy_text(t, buf, cap);
    return buf;
}

long tc_u8(tc_t *c, uint16_t type)
{
    const pc_tlv_t *t = pc_msg_find(&c->msg, type);
    return t != NULL ? (long)pc_tlv_u8(t) : -1;
}

long tc_u32(tc_t *c, uint16_t type)
{
    const pc_tlv_t *t = pc_msg_find(&c->msg, type);
    return t != NULL ? (long)pc_tlv_u32(t) : -1;
}

const char *tc_field(tc_t *c, const char *name, char *buf, size_t cap)
{
    for (uint16_t i = 0; i < c->msg.ntlv; i++) {
        pc_tlv_t n, v;
        char nb[80];
        if (c->msg.tlv[i].type != PC_T_FIELD)
            continue;
        if (!pc_tlv_find(&c->msg.tlv[i], PC_T_FIELD_NAME, &n) ||
            !pc_tlv_find(&c->msg.tlv[i], PC_T_FIELD_VALUE, &v))
            continue;
        pc_tlv_copy_text(&n, nb, sizeof(nb));
        if (strcmp(nb, name) == 0) {
            pc_tlv_copy_text(&v, buf, cap);
            return buf;
        }
    }
    return NULL;
}

long long tc_stat(tc_t *c, const char *name)
{
    for (uint16_t i = 0; i < c->msg.ntlv; i++) {
        pc_tlv_t n, v;
        char nb[80];
        if (c->msg.tlv[i].type != PC_T_STAT)
            continue;
        if (!pc_tlv_find(&c->msg.tlv[i], PC_T_STAT_NAME, &n) ||
            !pc_tlv_find(&c->msg.tlv[i], PC_T_STAT_VALUE, &v))
            continue;
        pc_tlv_copy_text(&n, nb, sizeof(nb));
        if (strcmp(nb, name) == 0)
            return (long long)pc_tlv_u64(&v);
    }
    return -1;
}

int tc_ask(tc_t *c, uint8_t type, const char *domain, const char *selector, uint32_t id)
{
    if (tc_send_record(c, type, id, 0, domain, selector) != 0 || tc_read(c, 10000) != 0)
        return -1;
    return c->msg.hdr.id == id ? 0 : -1;
}

long long tc_stat_of(tc_t *c, const char *name)
{
    pc_hdr_t h = {PC_WIRE_VERSION, PC_MSG_STATS, 0, 99, 0};
    uint8_t f[PC_WIRE_HDR_LEN];

    pc_hdr_encode(&h, f);
    if (tc_send(c, f, sizeof(f)) != 0 || tc_read(c, 5000) != 0)
        return -1;
    return tc_stat(c, name);
}
