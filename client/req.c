/*
 * req.c - the requests in flight on one context: the table by id, the
 * heap by deadline behind the timer descriptor, the done list, and the one
 * place where a request completes (pcc_req_finish), so each completes
 * exactly once.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "client.h"

/* ---- lists ---- */

void pcc_list_push(pcc_reqlist_t *l, pcc_req_t *r)
{
    r->next = NULL;
    r->prev = l->tail;
    if (l->tail != NULL)
        l->tail->next = r;
    else
        l->head = r;
    l->tail = r;
    l->n++;
}

void pcc_list_remove(pcc_reqlist_t *l, pcc_req_t *r)
{
    if (r->prev != NULL)
        r->prev->next = r->next;
    else
        l->head = r->next;
    if (r->next != NULL)
        r->next->prev = r->prev;
    else
        l->tail = r->prev;
    r->next = r->prev = NULL;
    l->n--;
}

/* ---- the deadline heap ---- */

static void heap_set(pc_client_t *c, size_t i, pcc_req_t *r)
{
    c->heap[i] = r;
    r->heap_idx = i;
}

static void heap_up(pc_client_t *c, size_t i)
{
    pcc_req_t *r = c->heap[i];

    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (c->heap[p]->deadline <= r->deadline)
            break;
        heap_set(c, i, c->heap[p]);
        i = p;
    }
    heap_set(c, i, r);
}

static void heap_down(pc_client_t *c, size_t i)
{
    pcc_req_t *r = c->heap[i];

    for (;;) {
        size_t l = 2 * i + 1, m = l + 1, k;
        if (l >= c->heap_len)
            break;
        k = (m < c->heap_len && c->heap[m]->deadline < c->heap[l]->deadline) ? m : l;
        if (r->deadline <= c->heap[k]->deadline)
            break;
        heap_set(c, i, c->heap[k]);
        i = k;
    }
    heap_set(c, i, r);
}

static int heap_reserve(pc_client_t *c)
{
    pcc_req_t **h;
    size_t cap;

    if (c->heap_len < c->heap_cap)
        return 0;
    cap = c->heap_cap ? 2 * c->heap_cap : 64;
    h = realloc(c->heap, cap * sizeof(*h));
    if (h == NULL)
        return PC_ENOMEM;
    c->heap = h;
    c->heap_cap = cap;
    return 0;
}

static void heap_remove(pc_client_t *c, pcc_req_t *r)
{
    size_t i = r->heap_idx, last = --c->heap_len;

    if (i != last) {
        pcc_req_t *m = c->heap[last];
        heap_set(c, i, m);
        heap_up(c, i);
        heap_down(c, m->heap_idx);
    }
}

/* ---- the table ---- */

static pcc_req_t **bucket(pc_client_t *c, uint32_t id)
{
    return &c->table[id & (PCC_HASH_BUCKETS - 1)];
}

pcc_req_t *pcc_req_find(pc_client_t *c, uint32_t id)
{
    for (pcc_req_t *r = *bucket(c, id); r != NULL; r = r->hnext) {
        if (r->id == id)
            return r;
    }
    return NULL;
}

static void table_remove(pc_client_t *c, pcc_req_t *r)
{
    pcc_req_t **pp = bucket(c, r->id);

    while (*pp != NULL && *pp != r)
        pp = &(*pp)->hnext;
    if (*pp == r)
        *pp = r->hnext;
    r->hnext = NULL;
}

/* A fresh id: never 0 (the daemon's connection-level errors use it), never
 * one still in flight, and not reused soon after (a late reply to a
 * request that timed out is dropped, never taken for another's). */
uint32_t pcc_req_alloc_id(pc_client_t *c)
{
    uint32_t id;

    do {
        id = c->next_id++;
    } while (id == 0 || pcc_req_find(c, id) != NULL);
    return id;
}

/* ---- requests ---- */

pcc_req_t *pcc_req_new(pcc_req_mode_t mode)
{
    pcc_req_t *r = calloc(1, sizeof(*r));

    if (r == NULL)
        return NULL;
    r->mode = mode;
    if (mode == PCC_MODE_SYNC) {
        pthread_condattr_t a;
        pthread_condattr_init(&a);
        pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
        if (pthread_cond_init(&r->cond, &a) != 0) {
            pthread_condattr_destroy(&a);
            free(r);
            return NULL;
        }
        pthread_condattr_destroy(&a);
    }
    return r;
}

void pcc_req_free(pcc_req_t *r, int destroy_cond)
{
    if (r == NULL)
        return;
    pcc_reply_clear(&r->reply);
    free(r->key);
    if (r->mode == PCC_MODE_SYNC && destroy_cond)
        pthread_cond_destroy(&r->cond);
    free(r);
}

static void notify(int fd);

/* r was answered from the answer cache (its reply is set): complete it
 * without the daemon, as pcc_req_finish would. */
static int complete_local(pc_client_t *c, pcc_req_t *r)
{
    r->err = 0;
    r->done = 1;
    if (r->mode == PCC_MODE_ASYNC) {
        r->id = pcc_req_alloc_id(c);
        c->pending_async++;
        pcc_list_push(&c->done, r);
        if (c->done.n == 1 && c->notifyfd >= 0)
            notify(c->notifyfd);
    }
    return 0;
}

int pcc_req_submit(pc_client_t *c, pcc_req_t *r, const pcc_reqspec_t *spec, unsigned timeout_ms)
{
    uint32_t id;
    int rc;

    if ((rc = pcc_req_check(spec)) != 0)
        return rc;
    if (c->closing)
        return PC_ESTATE;
    if ((rc = pcc_acache_try(c, r, spec, &r->reply)) != 0)
        return rc < 0 ? rc : complete_local(c, r);
    if (c->epfd < 0 || c->timerfd < 0)
        return PC_EBUSY;
    if (c->ninflight >= c->max_inflight)
        return PC_EBUSY;
    if ((rc = heap_reserve(c)) != 0)
        return rc;
    if ((rc = pcc_conn_ensure(c)) != 0)
        return rc;
    if (c->out.len >= c->max_queued)
        return PC_EBUSY;
    id = pcc_req_alloc_id(c);
    if ((rc = pcc_req_encode(&c->out, id, spec)) != 0)
        return rc;
    r->id = id;
    r->type = spec->type;
    r->deadline = pcc_now_ms() + (timeout_ms != 0 ? timeout_ms : c->timeout_ms);
    r->hnext = *bucket(c, id);
    *bucket(c, id) = r;
    heap_set(c, c->heap_len++, r);
    heap_up(c, c->heap_len - 1);
    r->queued = 1;
    c->ninflight++;
    if (r->mode == PCC_MODE_ASYNC)
        c->pending_async++;
    pcc_conn_flush(c); /* may fail the connection, completing r */
    if (c->out.len > 0 && c->reader != NULL)
        pcc_sync_wake(c, c->reader); /* it must poll for POLLOUT too */
    if (r->queued && (c->armed == 0 || r->deadline < c->armed))
        pcc_req_arm_timer(c);
    return 0;
}

static void notify(int fd)
{
    uint64_t one = 1;
    ssize_t n;

    do {
        n = write(fd, &one, sizeof(one));
    } while (n < 0 && errno == EINTR);
}

void pcc_req_finish(pc_client_t *c, pcc_req_t *r, int err, pcc_reply_t *reply)
{
    if (!r->queued)
        return;
    table_remove(c, r);
    heap_remove(c, r);
    r->queued = 0;
    c->ninflight--;
    r->err = err;
    if (reply != NULL) {
        r->reply = *reply;
        memset(reply, 0, sizeof(*reply));
    }
    r->done = 1;
    if (r->mode == PCC_MODE_SYNC) {
        pcc_sync_wake(c, r);
    } else {
        pcc_list_push(&c->done, r);
        if (c->done.n == 1 && c->notifyfd >= 0)
            notify(c->notifyfd);
    }
}

static int is_record(uint8_t type)
{
    return type == PC_MSG_DMARC || type == PC_MSG_SPF || type == PC_MSG_DKIM ||
           type == PC_MSG_SPF_CHECK || type == PC_MSG_DMARC_EVAL;
}

void pcc_req_timeout(pc_client_t *c, pcc_req_t *r)
{
    uint32_t id = r->id;
    int record = is_record(r->type);

    pcc_req_finish(c, r, PC_ETIMEDOUT, NULL);
    if (record)
        pcc_conn_send_cancel(c, id); /* the daemon drops its waiter */
}

void pcc_req_expire(pc_client_t *c, uint64_t now)
{
    while (c->heap_len > 0 && c->heap[0]->deadline <= now)
        pcc_req_timeout(c, c->heap[0]);
}

void pcc_req_arm_timer(pc_client_t *c)
{
    struct itimerspec its;
    uint64_t want = c->heap_len > 0 ? c->heap[0]->deadline : 0;

    if (want == c->armed || c->timerfd < 0)
        return;
    memset(&its, 0, sizeof(its));
    if (want != 0) {
        its.it_value.tv_sec = (time_t)(want / 1000u);
        its.it_value.tv_nsec = (long)(want % 1000u) * 1000000L;
    }
    if (timerfd_settime(c->timerfd, TFD_TIMER_ABSTIME, &its, NULL) == 0)
        c->armed = want;
}

void pcc_req_drop_all(pc_client_t *c, int destroy_cond)
{
    pcc_req_t *r;

    for (size_t i = 0; i < PCC_HASH_BUCKETS; i++) {
        while ((r = c->table[i]) != NULL) {
            c->table[i] = r->hnext;
            r->queued = 0;
            if (r->mode == PCC_MODE_ASYNC)
                pcc_req_free(r, destroy_cond); /* sync ones are waiters */
        }
    }
    while ((r = c->done.head) != NULL) {
        pcc_list_remove(&c->done, r);
        pcc_req_free(r, destroy_cond);
    }
    while ((r = c->waiters.head) != NULL) {
        pcc_list_remove(&c->waiters, r);
        pcc_req_free(r, destroy_cond);
    }
    c->heap_len = 0;
    c->ninflight = 0;
    c->pending_async = 0;
}
