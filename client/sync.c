/*
 * sync.c - the blocking calls. The library has no thread of its own: of
 * the threads waiting in blocking calls on one context, one at a time is
 * the reader (it sleeps in poll() on the socket and a wake descriptor,
 * then reads and dispatches every reply); the others sleep on their own
 * condition variable until their reply is handed to them or their
 * deadline passes. When the reader's own request completes it hands the
 * role to the next waiter.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client.h"

static void drain(int fd)
{
    uint64_t v;
    while (fd >= 0 && read(fd, &v, sizeof(v)) > 0)
        ;
}

void pcc_sync_wake(pc_client_t *c, pcc_req_t *r)
{
    if (r == c->reader) {
        uint64_t one = 1;
        ssize_t n;
        do {
            n = write(c->wakefd, &one, sizeof(one));
        } while (n < 0 && errno == EINTR);
    } else {
        pthread_cond_signal(&r->cond);
    }
}

/* Give the reader's role to a waiter whose request is still pending. */
static void hand_off(pc_client_t *c)
{
    for (pcc_req_t *w = c->waiters.head; w != NULL; w = w->next) {
        if (!w->done) {
            pthread_cond_signal(&w->cond);
            return;
        }
    }
}

/* As the reader: sleep in poll() until the socket or the wake descriptor
 * is ready or the deadline passes; then do the connection's work. */
static void read_once(pc_client_t *c, pcc_req_t *r, uint64_t now)
{
    struct pollfd pfd[2];
    uint64_t left = r->deadline - now;
    int sock = c->sock, n = 0, wait = left > INT_MAX ? INT_MAX : (int)left;

    pfd[n].fd = c->wakefd;
    pfd[n].events = POLLIN;
    pfd[n++].revents = 0;
    if (sock >= 0) {
        pfd[n].fd = sock;
        pfd[n].events = (short)(POLLIN | (c->out.len > 0 ? POLLOUT : 0));
        pfd[n++].revents = 0;
    }
    c->reader = r;
    pcc_unlock(c);
    (void)poll(pfd, (nfds_t)n, wait);
    pthread_mutex_lock(&c->mu);
    c->reader = NULL;
    drain(c->wakefd);
    if (c->sock >= 0 && c->sock == sock) {
        pcc_conn_read(c);
        pcc_conn_flush(c);
    }
    pcc_req_expire(c, pcc_now_ms());
}

/* Wait, with c locked, until r completes; r is among the waiters. */
static void wait_done(pc_client_t *c, pcc_req_t *r)
{
    while (!r->done) {
        uint64_t now = pcc_now_ms();
        if (now >= r->deadline) {
            pcc_req_timeout(c, r);
            break;
        }
        if (c->reader == NULL) {
            read_once(c, r, now);
        } else {
            struct timespec ts;
            ts.tv_sec = (time_t)(r->deadline / 1000u);
            ts.tv_nsec = (long)(r->deadline % 1000u) * 1000000L;
            (void)pthread_cond_timedwait(&r->cond, &c->mu, &ts);
        }
    }
    if (c->reader == NULL)
        hand_off(c);
}

int pcc_sync_call(pc_client_t *c, const pcc_reqspec_t *spec, unsigned timeout_ms,
                  pcc_reply_t *reply)
{
    pcc_req_t *r;
    int rc;

    memset(reply, 0, sizeof(*reply));
    if (c == NULL)
        return PC_EINVAL;
    pcc_lock(c); /* an answer kept in memory needs no request */
    rc = pcc_acache_try(c, NULL, spec, reply);
    pcc_unlock(c);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    r = pcc_req_new(PCC_MODE_SYNC);
    if (r == NULL)
        return PC_ENOMEM;
    pcc_lock(c);
    rc = pcc_req_submit(c, r, spec, timeout_ms);
    if (rc != 0) {
        pcc_unlock(c);
        pcc_req_free(r, 1);
        return rc;
    }
    pcc_list_push(&c->waiters, r);
    wait_done(c, r);
    pcc_list_remove(&c->waiters, r);
    pcc_unlock(c);
    rc = r->err;
    if (rc == 0) {
        *reply = r->reply;
        memset(&r->reply, 0, sizeof(r->reply));
    }
    pcc_req_free(r, 1);
    return rc;
}

/* ---- the public blocking calls ---- */

int pc_client_query(pc_client_t *c, const pc_query_t *q, unsigned timeout_ms,
                    pc_result_t **out)
{
    pcc_reqspec_t spec;
    pcc_reply_t reply;
    int rc;

    if (out == NULL)
        return PC_EINVAL;
    *out = NULL;
    if (c == NULL)
        return PC_EINVAL;
    if ((rc = pcc_query_spec(q, &spec)) != 0)
        return rc;
    rc = pcc_sync_call(c, &spec, timeout_ms, &reply);
    if (rc == 0) {
        *out = reply.record;
        reply.record = NULL;
    }
    pcc_reply_clear(&reply);
    return rc;
}

int pc_client_dmarc(pc_client_t *c, const char *domain, unsigned timeout_ms, pc_result_t **out)
{
    pc_query_t q = {PC_RT_DMARC, domain, NULL, 0};
    return pc_client_query(c, &q, timeout_ms, out);
}

int pc_client_dmarc_policy(pc_client_t *c, const char *domain, unsigned timeout_ms,
                           pc_result_t **out)
{
    pc_query_t q = {PC_RT_DMARC, domain, NULL, PC_QUERY_DISCOVER};
    return pc_client_query(c, &q, timeout_ms, out);
}

int pc_client_spf(pc_client_t *c, const char *domain, unsigned timeout_ms, pc_result_t **out)
{
    pc_query_t q = {PC_RT_SPF, domain, NULL, 0};
    return pc_client_query(c, &q, timeout_ms, out);
}

int pc_client_dkim(pc_client_t *c, const char *selector, const char *domain,
                   unsigned timeout_ms, pc_result_t **out)
{
    pc_query_t q = {PC_RT_DKIM, domain, selector, 0};
    return pc_client_query(c, &q, timeout_ms, out);
}

int pc_client_spf_check(pc_client_t *c, const pc_spf_query_t *q, unsigned timeout_ms,
                        pc_spf_check_t **out)
{
    pcc_reqspec_t spec;
    pcc_reply_t reply;
    int rc;

    if (out == NULL)
        return PC_EINVAL;
    *out = NULL;
    if (c == NULL)
        return PC_EINVAL;
    if ((rc = pcc_spf_spec(q, &spec)) != 0)
        return rc;
    rc = pcc_sync_call(c, &spec, timeout_ms, &reply);
    if (rc == 0) {
        *out = reply.spf;
        reply.spf = NULL;
    }
    pcc_reply_clear(&reply);
    return rc;
}

int pc_client_eval(pc_client_t *c, const pc_eval_query_t *q, unsigned timeout_ms,
                   pc_eval_result_t **out)
{
    pcc_reqspec_t spec;
    pcc_reply_t reply;
    int rc;

    if (out == NULL)
        return PC_EINVAL;
    *out = NULL;
    if (c == NULL)
        return PC_EINVAL;
    if ((rc = pcc_eval_spec(q, &spec)) != 0)
        return rc;
    rc = pcc_sync_call(c, &spec, timeout_ms, &reply);
    if (rc == 0) {
        *out = reply.eval;
        reply.eval = NULL;
    }
    pcc_reply_clear(&reply);
    return rc;
}

int pc_client_ping(pc_client_t *c, unsigned timeout_ms, pc_ping_t *out)
{
    pcc_reqspec_t spec;
    pcc_reply_t reply;
    int rc;

    memset(&spec, 0, sizeof(spec));
    spec.type = PC_MSG_PING;
    rc = pcc_sync_call(c, &spec, timeout_ms, &reply);
    if (rc == 0 && out != NULL)
        *out = reply.ping;
    pcc_reply_clear(&reply);
    return rc;
}

int pc_client_stats(pc_client_t *c, unsigned timeout_ms, pc_stats_t **out)
{
    pcc_reqspec_t spec;
    pcc_reply_t reply;
    int rc;

    if (out == NULL)
        return PC_EINVAL;
    *out = NULL;
    memset(&spec, 0, sizeof(spec));
    spec.type = PC_MSG_STATS;
    rc = pcc_sync_call(c, &spec, timeout_ms, &reply);
    if (rc == 0) {
        *out = reply.stats;
        reply.stats = NULL;
    }
    pcc_reply_clear(&reply);
    return rc;
}

static int flush(pc_client_t *c, const char *name, int all, unsigned timeout_ms,
                 uint32_t *count)
{
    pcc_reqspec_t spec;
    pcc_reply_t reply;
    int rc;

    if (count != NULL)
        *count = 0;
    memset(&spec, 0, sizeof(spec));
    spec.type = PC_MSG_FLUSH;
    spec.domain = name;
    spec.flush_all = all;
    rc = pcc_sync_call(c, &spec, timeout_ms, &reply);
    if (rc == 0 && count != NULL)
        *count = reply.count;
    pcc_reply_clear(&reply);
    return rc;
}

int pc_client_flush(pc_client_t *c, const char *name, unsigned timeout_ms, uint32_t *count)
{
    if (name == NULL)
        return PC_EINVAL;
    return flush(c, name, 0, timeout_ms, count);
}

int pc_client_flush_all(pc_client_t *c, unsigned timeout_ms, uint32_t *count)
{
    return flush(c, NULL, 1, timeout_ms, count);
}

int pc_client_dump(pc_client_t *c, const pc_dump_filter_t *filter, const pc_dump_page_t *after,
                   unsigned timeout_ms, pc_dump_page_t **out)
{
    pcc_reqspec_t spec;
    pcc_reply_t reply;
    int rc;

    if (out == NULL)
        return PC_EINVAL;
    *out = NULL;
    if (after != NULL && (!after->more || after->cursor_len == 0 ||
                          after->cursor_len > PC_DUMP_CURSOR_MAX))
        return PC_EINVAL;
    memset(&spec, 0, sizeof(spec));
    spec.type = PC_MSG_DUMP;
    spec.filter = filter;
    if (after != NULL) {
        spec.cursor = after->cursor;
        spec.cursor_len = after->cursor_len;
    }
    rc = pcc_sync_call(c, &spec, timeout_ms, &reply);
    if (rc == 0) {
        *out = reply.page;
        reply.page = NULL;
    }
    pcc_reply_clear(&reply);
    return rc;
}
