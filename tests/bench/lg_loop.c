/*
 * lg_loop.c - the load generator's workers (see lg_loop.h): connections,
 * request slots, the epoll loop, reply matching by id, timeouts.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "lg_loop.h"
#include "polcache/types.h"

#define IN_CAP (4u * PC_WIRE_MAX_FRAME)
#define MMSG 64
#define TICK_MS 20

typedef struct slot {
    uint64_t name;     /* index into the name list */
    uint64_t sent_ns;
    uint32_t id;       /* 0: free */
    uint16_t qlen;     /* DNS: the query, kept to check the reply's question */
    uint8_t q[LG_DNS_QMAX];
} slot_t;

struct lg_client {
    lg_worker_t *w;
    int fd;
    int dead;
    int want_out;       /* EPOLLOUT is armed */
    uint32_t seq;
    uint64_t rng;
    slot_t *slots;
    unsigned *freel;    /* free slot numbers (a stack) */
    unsigned nfree;
    unsigned *pend;     /* DNS: slots whose query is not sent yet */
    unsigned npend;
    pc_wbuf_t out;      /* polcached: frames not written yet */
    uint8_t *in;        /* polcached: octets of incomplete frames */
    size_t in_len;
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int phase(const lg_run_t *r)
{
    return __atomic_load_n(&r->phase, __ATOMIC_ACQUIRE);
}

static int open_fd(const lg_run_t *r)
{
    int fd;

    if (r->target == LG_PC) {
        struct sockaddr_un sa;
        memset(&sa, 0, sizeof(sa));
        sa.sun_family = AF_UNIX;
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", r->sock);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
            perror(r->sock);
            close(fd);
            return -1;
        }
    } else {
        fd = socket(r->addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd >= 0 && connect(fd, (const struct sockaddr *)&r->addr, r->addrlen) != 0) {
            perror("connect (DNS)");
            close(fd);
            return -1;
        }
    }
    if (fd < 0) {
        perror("socket");
        return -1;
    }
    if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int lg_worker_open(lg_worker_t *w, lg_run_t *run, unsigned first, unsigned n)
{
    memset(w, 0, sizeof(*w));
    w->run = run;
    w->ncl = n;
    w->ep = epoll_create1(EPOLL_CLOEXEC);
    w->cl = calloc(n, sizeof(*w->cl));
    if (w->ep < 0 || w->cl == NULL)
        return -1;
    for (unsigned i = 0; i < n; i++) {
        lg_client_t *c = &w->cl[i];
        struct epoll_event ev;
        c->w = w;
        c->fd = -1;
        c->seq = 1;
        c->rng = 0x9e3779b97f4a7c15ull * (first + i + 1);
        c->slots = calloc(run->depth, sizeof(*c->slots));
        c->freel = calloc(run->depth, sizeof(*c->freel));
        c->pend = calloc(run->depth, sizeof(*c->pend));
        if (c->slots == NULL || c->freel == NULL || c->pend == NULL)
            return -1;
        for (unsigned s = 0; s < run->depth; s++)
            c->freel[c->nfree++] = run->depth - 1 - s;
        pc_wbuf_init(&c->out, 64u * 1024 * 1024);
        if (run->target == LG_PC && (c->in = malloc(IN_CAP)) == NULL)
            return -1;
        if ((c->fd = open_fd(run)) < 0)
            return -1;
        memset(&ev, 0, sizeof(ev));
        ev.events = EPOLLIN;
        ev.data.ptr = c;
        if (epoll_ctl(w->ep, EPOLL_CTL_ADD, c->fd, &ev) != 0)
            return -1;
    }
    return 0;
}

void lg_worker_close(lg_worker_t *w)
{
    for (unsigned i = 0; w->cl != NULL && i < w->ncl; i++) {
        lg_client_t *c = &w->cl[i];
        if (c->fd >= 0)
            close(c->fd);
        free(c->slots);
        free(c->freel);
        free(c->pend);
        free(c->in);
        pc_wbuf_free(&c->out);
    }
    free(w->cl);
    if (w->ep >= 0)
        close(w->ep);
}

static void report(lg_worker_t *w, lg_err_t e, const char *detail)
{
    w->errors[e]++;
    if (__atomic_fetch_add(&w->run->err_printed, 1, __ATOMIC_RELAXED) < 10)
        fprintf(stderr, "loadgen: %s: %s\n", lg_err_name(e), detail);
}

static void slot_free(lg_client_t *c, unsigned s)
{
    c->slots[s].id = 0;
    c->freel[c->nfree++] = s;
}

/* A reply (or its absence) for slot s: count it, time it, free the slot. */
static void complete(lg_client_t *c, unsigned s, lg_err_t e, const char *detail, uint64_t now)
{
    lg_worker_t *w = c->w;

    if (e == LG_E_TIMEOUT || e == LG_E_IO) {
        report(w, e, detail);
    } else {
        __atomic_store_n(&w->completed, w->completed + 1, __ATOMIC_RELAXED);
        if (e != LG_OK)
            report(w, e, detail);
        else if (phase(w->run) == LG_MEASURE) {
            w->measured++;
            lg_hist_add(&w->hist, now - c->slots[s].sent_ns);
        }
    }
    slot_free(c, s);
}

static int next_name(lg_client_t *c, uint64_t *idx)
{
    lg_run_t *r = c->w->run;

    if (r->once) {
        *idx = __atomic_fetch_add(&r->next_once, 1, __ATOMIC_RELAXED);
        return *idx < r->names.count;
    }
    c->rng ^= c->rng >> 12; /* xorshift64* */
    c->rng ^= c->rng << 25;
    c->rng ^= c->rng >> 27;
    *idx = (c->rng * 0x2545f4914f6cdd1dull) % r->names.count;
    return 1;
}

/* Fill every free slot with a new request (not yet written). */
static void refill(lg_client_t *c, uint64_t now)
{
    lg_run_t *r = c->w->run;
    char dom[LG_NAME_MAX];

    if (c->dead || phase(r) == LG_DRAIN)
        return;
    while (c->nfree > 0) {
        uint64_t idx;
        unsigned s;
        slot_t *sl;
        if (!next_name(c, &idx))
            return;
        s = c->freel[--c->nfree];
        sl = &c->slots[s];
        if (++c->seq >= (1u << (32 - LG_SLOT_BITS)))
            c->seq = 1;
        sl->id = c->seq << LG_SLOT_BITS | s;
        if (r->target == LG_DNS)
            sl->id &= 0xffff;
        if (sl->id == 0)
            sl->id = 1u << LG_SLOT_BITS | s; /* DNS id 0 | slot 0: keep 0 for "free" */
        sl->name = idx;
        sl->sent_ns = now;
        lg_names_get(&r->names, idx, dom);
        if (r->target == LG_PC) {
            if (lg_pc_encode(&c->out, sl->id, dom) != 0) {
                fprintf(stderr, "loadgen: cannot encode a request for %s\n", dom);
                exit(2);
            }
        } else {
            sl->qlen = (uint16_t)lg_dns_encode(sl->q, (uint16_t)sl->id, dom);
            if (sl->qlen == 0) {
                fprintf(stderr, "loadgen: cannot encode a query for %s\n", dom);
                exit(2);
            }
            c->pend[c->npend++] = s;
        }
        c->w->sent++;
    }
}

static void fail_client(lg_client_t *c, const char *why, uint64_t now)
{
    c->dead = 1;
    for (unsigned s = 0; s < c->w->run->depth; s++) {
        if (c->slots[s].id != 0)
            complete(c, s, LG_E_IO, why, now);
    }
    epoll_ctl(c->w->ep, EPOLL_CTL_DEL, c->fd, NULL);
    c->npend = 0;
    pc_wbuf_reset(&c->out);
}

static void arm_out(lg_client_t *c, int want)
{
    struct epoll_event ev;

    if (c->want_out == want || c->dead)
        return;
    memset(&ev, 0, sizeof(ev));
    ev.events = EPOLLIN | (want ? EPOLLOUT : 0);
    ev.data.ptr = c;
    epoll_ctl(c->w->ep, EPOLL_CTL_MOD, c->fd, &ev);
    c->want_out = want;
}

/* Write what is pending: one write(2) or one sendmmsg(2) per call. */
static void flush_out(lg_client_t *c, uint64_t now)
{
    if (c->dead)
        return;
    if (c->w->run->target == LG_PC) {
        while (c->out.len > 0) {
            ssize_t n = write(c->fd, c->out.data, c->out.len);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && errno == EAGAIN)
                break;
            if (n <= 0) {
                fail_client(c, "write failed", now);
                return;
            }
            pc_wbuf_consume(&c->out, (size_t)n);
        }
        arm_out(c, c->out.len > 0);
        return;
    }
    while (c->npend > 0) {
        struct mmsghdr mm[MMSG];
        struct iovec iov[MMSG];
        unsigned n = c->npend < MMSG ? c->npend : MMSG;
        int sent;
        memset(mm, 0, sizeof(mm[0]) * n);
        for (unsigned i = 0; i < n; i++) {
            slot_t *sl = &c->slots[c->pend[i]];
            iov[i].iov_base = sl->q;
            iov[i].iov_len = sl->qlen;
            mm[i].msg_hdr.msg_iov = &iov[i];
            mm[i].msg_hdr.msg_iovlen = 1;
        }
        sent = sendmmsg(c->fd, mm, n, 0);
        if (sent < 0 && errno == EINTR)
            continue;
        if (sent < 0 && (errno == EAGAIN || errno == ENOBUFS))
            break;
        if (sent <= 0) {
            fail_client(c, "sendmmsg failed", now);
            return;
        }
        memmove(c->pend, c->pend + sent, (c->npend - (unsigned)sent) * sizeof(*c->pend));
        c->npend -= (unsigned)sent;
    }
    arm_out(c, c->npend > 0);
}

/* The slot of a reply id, or -1 when no request in flight has that id. */
static int slot_of(const lg_client_t *c, uint32_t id)
{
    unsigned s = id & (LG_DEPTH_MAX - 1u);
    if (s >= c->w->run->depth || c->slots[s].id == 0 || c->slots[s].id != id)
        return -1;
    return (int)s;
}

static void read_pc(lg_client_t *c)
{
    lg_worker_t *w = c->w;
    char dom[LG_NAME_MAX], detail[300];
    size_t off = 0;
    uint64_t now;
    ssize_t n;

    n = read(c->fd, c->in + c->in_len, IN_CAP - c->in_len);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    now = now_ns();
    if (n <= 0) {
        fail_client(c, n == 0 ? "polcached closed the connection" : "read failed", now);
        return;
    }
    c->in_len += (size_t)n;
    while (c->in_len - off >= PC_WIRE_HDR_LEN) {
        pc_hdr_t h;
        size_t total;
        int rc = pc_hdr_decode(c->in + off, c->in_len - off, &h), s;
        const lg_expect_t *e;
        if (rc != 0) {
            w->errors[LG_E_DECODE]++;
            fail_client(c, "bad frame header", now);
            return;
        }
        total = PC_WIRE_HDR_LEN + (size_t)h.length;
        if (c->in_len - off < total)
            break;
        rc = pc_msg_decode(c->in + off, total, &w->msg);
        off += total;
        s = slot_of(c, h.id);
        if (s < 0) {
            snprintf(detail, sizeof(detail), "reply id %u matches no request", h.id);
            report(w, LG_E_ID, detail);
            continue;
        }
        if (rc != 0) {
            snprintf(detail, sizeof(detail), "reply does not decode (%d)", rc);
            complete(c, (unsigned)s, LG_E_DECODE, detail, now);
            continue;
        }
        {
            int cache;
            lg_err_t err;
            e = lg_names_get(&w->run->names, c->slots[s].name, dom);
            err = lg_pc_check(&w->msg, dom, e, &cache, detail, sizeof(detail));
            if (cache == PC_CACHE_HIT)
                w->hits++;
            else if (cache == PC_CACHE_MISS)
                w->misses++;
            if (err == LG_OK && w->run->expect_hit && cache != PC_CACHE_HIT) {
                snprintf(detail, sizeof(detail), "cache state %d for %s", cache, dom);
                err = LG_E_CACHE;
            }
            complete(c, (unsigned)s, err, detail, now);
        }
    }
    if (off > 0) {
        memmove(c->in, c->in + off, c->in_len - off);
        c->in_len -= off;
    }
}

static void read_dns(lg_client_t *c)
{
    lg_worker_t *w = c->w;
    static __thread uint8_t buf[MMSG][1500];
    struct mmsghdr mm[MMSG];
    struct iovec iov[MMSG];
    char dom[LG_NAME_MAX], detail[300];
    uint64_t now;
    int n;

    for (unsigned i = 0; i < MMSG; i++) {
        iov[i].iov_base = buf[i];
        iov[i].iov_len = sizeof(buf[i]);
        memset(&mm[i], 0, sizeof(mm[i]));
        mm[i].msg_hdr.msg_iov = &iov[i];
        mm[i].msg_hdr.msg_iovlen = 1;
    }
    n = recvmmsg(c->fd, mm, MMSG, MSG_DONTWAIT, NULL);
    if (n <= 0)
        return; /* EAGAIN; an ICMP error shows as a timeout */
    now = now_ns();
    for (int i = 0; i < n; i++) {
        int id = lg_dns_id(buf[i], mm[i].msg_len), s;
        const lg_expect_t *e;
        lg_err_t err;
        s = id < 0 ? -1 : slot_of(c, (uint32_t)id);
        if (s < 0) {
            w->late++; /* an answer after its timeout (counted there) */
            continue;
        }
        e = lg_names_get(&w->run->names, c->slots[s].name, dom);
        err = lg_dns_check(buf[i], mm[i].msg_len, c->slots[s].q, c->slots[s].qlen, e, detail,
                           sizeof(detail));
        if (err != LG_OK) {
            size_t l = strlen(detail);
            snprintf(detail + l, sizeof(detail) - l, " for %s", dom);
        }
        complete(c, (unsigned)s, err, detail, now);
    }
}

static void check_timeouts(lg_worker_t *w, uint64_t now, int all)
{
    uint64_t limit = (uint64_t)w->run->timeout_ms * 1000000u;

    for (unsigned i = 0; i < w->ncl; i++) {
        lg_client_t *c = &w->cl[i];
        for (unsigned s = 0; s < w->run->depth && !c->dead; s++) {
            if (c->slots[s].id != 0 && (all || now - c->slots[s].sent_ns > limit)) {
                char detail[LG_NAME_MAX + 40], dom[LG_NAME_MAX];
                lg_names_get(&w->run->names, c->slots[s].name, dom);
                snprintf(detail, sizeof(detail), "no reply for %s", dom);
                complete(c, s, LG_E_TIMEOUT, detail, now);
            }
        }
        if (c->nfree > 0) {
            refill(c, now);
            flush_out(c, now);
        }
    }
}

/* 1 when no client has a request in flight or could send one. */
static int finished(const lg_worker_t *w)
{
    const lg_run_t *r = w->run;

    for (unsigned i = 0; i < w->ncl; i++) {
        const lg_client_t *c = &w->cl[i];
        if (c->dead)
            continue;
        if (c->nfree < r->depth)
            return 0;
        if (phase(r) != LG_DRAIN &&
            (!r->once || __atomic_load_n(&r->next_once, __ATOMIC_RELAXED) < r->names.count))
            return 0;
    }
    return 1;
}

void *lg_worker_main(void *arg)
{
    lg_worker_t *w = arg;
    lg_run_t *r = w->run;
    struct epoll_event ev[256];
    uint64_t now = now_ns(), next_tick = now + TICK_MS * 1000000ull, drain_end = 0;

    for (unsigned i = 0; i < w->ncl; i++) {
        refill(&w->cl[i], now);
        flush_out(&w->cl[i], now);
    }
    while (!finished(w)) {
        int n = epoll_wait(w->ep, ev, 256, TICK_MS);
        for (int i = 0; i < n; i++) {
            lg_client_t *c = ev[i].data.ptr;
            if (c->dead)
                continue;
            if (ev[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
                if (r->target == LG_PC)
                    read_pc(c);
                else
                    read_dns(c);
            }
            now = now_ns();
            refill(c, now);
            flush_out(c, now);
        }
        now = now_ns();
        if (now >= next_tick) {
            next_tick = now + TICK_MS * 1000000ull;
            if (phase(r) == LG_DRAIN && drain_end == 0)
                drain_end = now + (uint64_t)r->timeout_ms * 1000000u;
            check_timeouts(w, now, drain_end != 0 && now > drain_end);
        }
    }
    __atomic_fetch_add(&r->done, 1, __ATOMIC_RELEASE);
    return NULL;
}
