/*
 * async.c - the non-blocking API: submit with a callback, cancel, and
 * pc_client_process(), which does the connection's work for the caller's
 * event loop and then runs the callbacks of completed requests, outside
 * the lock, in the caller's thread.
 */
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "client.h"

static void drain(int fd)
{
    uint64_t v;
    while (fd >= 0 && read(fd, &v, sizeof(v)) > 0)
        ;
}

/* The callbacks of one non-blocking request: exactly one is set. */
typedef struct cbs {
    pc_result_cb rec;
    pc_spf_check_cb spf;
    pc_eval_cb eval;
    void *arg;
} cbs_t;

/* Accept a non-blocking request: spec_rc is what filling spec returned;
 * then make the request, submit it under the lock, or free it. */
static int submit(pc_client_t *c, int spec_rc, const pcc_reqspec_t *spec, unsigned timeout_ms,
                  const cbs_t *cb, uint32_t *id)
{
    pcc_req_t *r;
    int rc;

    if (id != NULL)
        *id = 0;
    if (c == NULL || (cb->rec == NULL && cb->spf == NULL && cb->eval == NULL))
        return PC_EINVAL;
    if (spec_rc != 0)
        return spec_rc;
    if ((r = pcc_req_new(PCC_MODE_ASYNC)) == NULL)
        return PC_ENOMEM;
    r->cb = cb->rec;
    r->spf_cb = cb->spf;
    r->eval_cb = cb->eval;
    r->arg = cb->arg;
    pcc_lock(c);
    rc = pcc_req_submit(c, r, spec, timeout_ms);
    if (rc == 0 && id != NULL)
        *id = r->id; /* r may already be done (daemon gone), still unfreed */
    pcc_unlock(c);
    if (rc != 0)
        pcc_req_free(r, 1);
    return rc;
}

int pc_client_query_async(pc_client_t *c, const pc_query_t *q, unsigned timeout_ms,
                          pc_result_cb cb, void *arg, uint32_t *id)
{
    pcc_reqspec_t spec;
    cbs_t cbs = {cb, NULL, NULL, arg};

    return submit(c, cb != NULL ? pcc_query_spec(q, &spec) : PC_EINVAL, &spec, timeout_ms,
                  &cbs, id);
}

int pc_client_spf_check_async(pc_client_t *c, const pc_spf_query_t *q, unsigned timeout_ms,
                              pc_spf_check_cb cb, void *arg, uint32_t *id)
{
    pcc_reqspec_t spec;
    cbs_t cbs = {NULL, cb, NULL, arg};

    return submit(c, cb != NULL ? pcc_spf_spec(q, &spec) : PC_EINVAL, &spec, timeout_ms, &cbs,
                  id);
}

int pc_client_eval_async(pc_client_t *c, const pc_eval_query_t *q, unsigned timeout_ms,
                         pc_eval_cb cb, void *arg, uint32_t *id)
{
    pcc_reqspec_t spec;
    cbs_t cbs = {NULL, NULL, cb, arg};

    return submit(c, cb != NULL ? pcc_eval_spec(q, &spec) : PC_EINVAL, &spec, timeout_ms, &cbs,
                  id);
}

int pc_client_cancel(pc_client_t *c, uint32_t id)
{
    pcc_req_t *r;
    int rc = PC_ENOENT;

    if (pcc_lock(c) != 0)
        return PC_EINVAL;
    r = pcc_req_find(c, id);
    if (r != NULL && r->mode == PCC_MODE_ASYNC) {
        /* async requests are record requests: the daemon drops its waiter */
        pcc_req_finish(c, r, PC_ECANCELED, NULL);
        pcc_conn_send_cancel(c, id);
        rc = 0;
    }
    pcc_unlock(c);
    return rc;
}

/* Call r's callback with its result, which passes to the callee (an
 * error never carries one). */
static void deliver(pcc_req_t *r)
{
    pcc_reply_t *rep = &r->reply;

    if (r->spf_cb != NULL) {
        pc_spf_check_t *res = r->err == 0 ? rep->spf : NULL;
        rep->spf = r->err == 0 ? NULL : rep->spf;
        r->spf_cb(r->arg, r->err, res);
    } else if (r->eval_cb != NULL) {
        pc_eval_result_t *res = r->err == 0 ? rep->eval : NULL;
        rep->eval = r->err == 0 ? NULL : rep->eval;
        r->eval_cb(r->arg, r->err, res);
    } else {
        pc_result_t *res = r->err == 0 ? rep->record : NULL;
        rep->record = r->err == 0 ? NULL : rep->record;
        r->cb(r->arg, r->err, res);
    }
}

int pc_client_process(pc_client_t *c)
{
    pcc_reqlist_t done;
    pcc_req_t *r;
    int n = 0;

    if (pcc_lock(c) != 0)
        return PC_EINVAL;
    drain(c->notifyfd);
    if (c->timerfd >= 0) {
        uint64_t ticks;
        if (read(c->timerfd, &ticks, sizeof(ticks)) > 0)
            c->armed = 0; /* it fired: arm again below */
    }
    if (c->sock >= 0) {
        pcc_conn_read(c);
        pcc_conn_flush(c);
    }
    pcc_req_expire(c, pcc_now_ms());
    pcc_req_arm_timer(c);
    done = c->done;
    memset(&c->done, 0, sizeof(c->done));
    pcc_unlock(c);

    while ((r = done.head) != NULL) {
        pcc_list_remove(&done, r);
        deliver(r);
        pcc_req_free(r, 1);
        n++;
        pthread_mutex_lock(&c->mu);
        c->pending_async--;
        pthread_mutex_unlock(&c->mu);
    }
    return n;
}
