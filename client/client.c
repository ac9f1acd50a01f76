/*
 * client.c - the libpolcache context: create and destroy, settings, the
 * descriptors behind pc_client_fd(), and fork safety (a pthread_atfork
 * registry that keeps the locks consistent, and a reset in the child so
 * it opens a connection of its own).
 */
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "paths.h"

/* Every live context, so that fork() can take and release their locks.
 * Lock order: reg_mu, then a context's mu. */
static pthread_mutex_t reg_mu = PTHREAD_MUTEX_INITIALIZER;
static pc_client_t *reg_head;
static pthread_once_t reg_once = PTHREAD_ONCE_INIT;

uint64_t pcc_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void atfork_prepare(void)
{
    pthread_mutex_lock(&reg_mu);
    for (pc_client_t *c = reg_head; c != NULL; c = c->reg_next)
        pthread_mutex_lock(&c->mu);
}

static void atfork_parent(void)
{
    for (pc_client_t *c = reg_head; c != NULL; c = c->reg_next)
        pthread_mutex_unlock(&c->mu);
    pthread_mutex_unlock(&reg_mu);
}

static void atfork_child(void)
{
    for (pc_client_t *c = reg_head; c != NULL; c = c->reg_next) {
        c->forked = 1;
        pthread_mutex_unlock(&c->mu);
    }
    pthread_mutex_unlock(&reg_mu);
}

static void reg_init(void)
{
    (void)pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

static void reg_add(pc_client_t *c)
{
    pthread_once(&reg_once, reg_init);
    pthread_mutex_lock(&reg_mu);
    c->reg_next = reg_head;
    if (reg_head != NULL)
        reg_head->reg_prev = c;
    reg_head = c;
    pthread_mutex_unlock(&reg_mu);
}

static void reg_remove(pc_client_t *c)
{
    pthread_mutex_lock(&reg_mu);
    if (c->reg_prev != NULL)
        c->reg_prev->reg_next = c->reg_next;
    else
        reg_head = c->reg_next;
    if (c->reg_next != NULL)
        c->reg_next->reg_prev = c->reg_prev;
    pthread_mutex_unlock(&reg_mu);
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/*
 * Make the timer, notify and wake descriptors and an epoll set watching
 * the first two. If keep_epfd >= 0 the new epoll descriptor is moved to
 * that number (a child keeps the number its parent registered).
 * Returns 0 or PC_E* (with everything made here closed).
 */
static int fds_open(pc_client_t *c, int keep_epfd)
{
    struct epoll_event ev;
    int ep, rc = 0;

    c->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    c->notifyfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    c->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    ep = epoll_create1(EPOLL_CLOEXEC);
    if (c->timerfd < 0 || c->notifyfd < 0 || c->wakefd < 0 || ep < 0)
        goto err;
    if (keep_epfd >= 0) {
        if (dup3(ep, keep_epfd, O_CLOEXEC) < 0)
            goto err;
        close(ep);
        ep = keep_epfd;
    }
    memset(&ev, 0, sizeof(ev));
    ev.events = EPOLLIN;
    ev.data.fd = c->timerfd;
    if (epoll_ctl(ep, EPOLL_CTL_ADD, c->timerfd, &ev) != 0)
        goto err;
    ev.data.fd = c->notifyfd;
    if (epoll_ctl(ep, EPOLL_CTL_ADD, c->notifyfd, &ev) != 0)
        goto err;
    c->epfd = ep;
    return 0;
err:
    rc = pc_err_from_errno(errno != 0 ? errno : EIO);
    if (ep >= 0)
        close(ep);
    if (keep_epfd >= 0 && ep == keep_epfd)
        c->epfd = -1; /* the number was already given to the new set */
    close_fd(&c->timerfd);
    close_fd(&c->notifyfd);
    close_fd(&c->wakefd);
    return rc;
}

/*
 * The child side of fork(): the inherited socket, epoll set and timer are
 * shared with the parent, so they must not be touched (an epoll_ctl here
 * would change the parent's set). Drop our references, make new ones, and
 * forget the parent's requests without completing them.
 */
void pcc_fork_check(pc_client_t *c)
{
    if (!c->forked)
        return; /* set by the atfork child handler (no getpid() per call) */
    close_fd(&c->sock);
    close_fd(&c->timerfd);
    close_fd(&c->notifyfd);
    close_fd(&c->wakefd);
    pcc_req_drop_all(c, 0); /* their waiters live only in the parent */
    c->in_len = 0;
    pc_wbuf_reset(&c->out);
    c->sock_events = 0;
    c->armed = 0;
    c->reader = NULL;
    c->forked = 0;
    c->pid = getpid();
    if (fds_open(c, c->epfd) != 0) {
        /* out of descriptors in the child: never touch the parent's
         * epoll set; every later request fails with PC_EBUSY */
        close_fd(&c->epfd);
    }
}

int pcc_lock(pc_client_t *c)
{
    if (c == NULL)
        return PC_EINVAL;
    pthread_mutex_lock(&c->mu);
    pcc_fork_check(c);
    return 0;
}

void pcc_unlock(pc_client_t *c)
{
    pthread_mutex_unlock(&c->mu);
}

int pc_client_create(pc_client_t **out, const char *socket_path)
{
    pc_client_t *c;
    int rc = PC_ENOMEM;

    if (out == NULL)
        return PC_EINVAL;
    *out = NULL;
    c = calloc(1, sizeof(*c));
    if (c == NULL)
        return PC_ENOMEM;
    c->sock = c->epfd = c->timerfd = c->notifyfd = c->wakefd = -1;
    if (socket_path == NULL)
        rc = pc_path_client_socket(c->path, sizeof(c->path));
    else if (strlen(socket_path) >= sizeof(c->path))
        rc = PC_ETOOBIG;
    else
        rc = snprintf(c->path, sizeof(c->path), "%s", socket_path) < 0 ? PC_EINVAL : 0;
    if (rc == 0 && c->path[0] == '\0')
        rc = PC_EINVAL;
    if (rc != 0)
        goto err;
    c->in = malloc(2 * PC_WIRE_MAX_FRAME);
    c->msg = malloc(sizeof(*c->msg));
    if (c->in == NULL || c->msg == NULL) {
        rc = PC_ENOMEM;
        goto err;
    }
    if ((rc = fds_open(c, -1)) != 0)
        goto err;
    c->timeout_ms = PC_CLIENT_TIMEOUT_DEFAULT;
    c->max_inflight = PC_CLIENT_MAX_INFLIGHT_DEFAULT;
    c->max_queued = PC_CLIENT_MAX_QUEUED_DEFAULT;
    pc_wbuf_init(&c->out, c->max_queued + PC_WIRE_MAX_FRAME);
    c->next_id = 1;
    c->pid = getpid();
    pthread_mutex_init(&c->mu, NULL);
    reg_add(c);
    *out = c;
    return 0;
err:
    free(c->in);
    free(c->msg);
    free(c);
    return rc;
}

void pc_client_destroy(pc_client_t *c)
{
    if (c == NULL)
        return;
    /* complete what is pending, then deliver the callbacks */
    pcc_lock(c);
    c->closing = 1;
    pcc_conn_fail(c, PC_ECANCELED);
    pcc_unlock(c);
    (void)pc_client_process(c);
    reg_remove(c);
    pthread_mutex_lock(&c->mu);
    pcc_req_drop_all(c, 1);
    close_fd(&c->sock);
    close_fd(&c->timerfd);
    close_fd(&c->notifyfd);
    close_fd(&c->wakefd);
    close_fd(&c->epfd);
    pthread_mutex_unlock(&c->mu);
    pthread_mutex_destroy(&c->mu);
    pcc_acache_free(c->ac);
    pc_wbuf_free(&c->out);
    free(c->heap);
    free(c->in);
    free(c->msg);
    free(c);
}

const char *pc_client_socket_path(const pc_client_t *c)
{
    return c != NULL ? c->path : NULL;
}

int pc_client_set_timeout(pc_client_t *c, unsigned timeout_ms)
{
    if (c == NULL || timeout_ms == 0)
        return PC_EINVAL;
    pcc_lock(c);
    c->timeout_ms = timeout_ms;
    pcc_unlock(c);
    return 0;
}

int pc_client_set_limits(pc_client_t *c, unsigned max_inflight, size_t max_queued)
{
    if (c == NULL || max_inflight > 65536 || (max_queued != 0 && max_queued < 4096) ||
        max_queued > ((size_t)1 << 30))
        return PC_EINVAL;
    pcc_lock(c);
    if (max_inflight != 0)
        c->max_inflight = max_inflight;
    if (max_queued != 0) {
        c->max_queued = max_queued;
        c->out.limit = max_queued + PC_WIRE_MAX_FRAME;
    }
    pcc_unlock(c);
    return 0;
}

int pc_client_fd(pc_client_t *c)
{
    int fd;

    if (pcc_lock(c) != 0)
        return PC_EINVAL;
    fd = c->epfd;
    pcc_unlock(c);
    return fd;
}

size_t pc_client_pending(pc_client_t *c)
{
    size_t n;

    if (pcc_lock(c) != 0)
        return 0;
    n = c->pending_async;
    pcc_unlock(c);
    return n;
}
