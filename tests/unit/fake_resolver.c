/*
 * fake_resolver.c - the scenario tests' resolver (see fake_resolver.h).
 */
#include <string.h>

#include "fake_resolver.h"
#include "polcache/error.h"

static int fake_resolve(pc_resolver_t *r, const pc_name_t *qname, uint16_t qtype,
                        unsigned timeout_ms, pc_resolver_cb cb, void *arg, uint64_t *id)
{
    fake_resolver_t *f = (fake_resolver_t *)r;
    fake_query_t *q;
    (void)timeout_ms;

    if (f->fail_next != 0) {
        int rc = f->fail_next;
        f->fail_next = 0;
        return rc;
    }
    if (f->n >= FAKE_MAX_QUERIES)
        return PC_EBUSY;
    q = &f->q[f->n];
    memset(q, 0, sizeof(*q));
    q->qname = *qname;
    q->qtype = qtype;
    q->cb = cb;
    q->arg = arg;
    q->id = ++f->n;
    *id = q->id;
    r->queries++;
    r->inflight++;
    return 0;
}

static void fake_cancel(pc_resolver_t *r, uint64_t id)
{
    fake_resolver_t *f = (fake_resolver_t *)r;
    if (id >= 1 && id <= f->n && f->q[id - 1].state == 0) {
        f->q[id - 1].state = 2;
        r->inflight--;
    }
}

static int fake_flush(pc_resolver_t *r)
{
    ((fake_resolver_t *)r)->flushes++;
    return 0;
}

static void fake_close(pc_resolver_t *r)
{
    (void)r;
}

static const pc_resolver_ops_t fake_ops = {fake_resolve, fake_cancel, fake_flush, fake_close,
                                           fake_close};

void fake_resolver_init(fake_resolver_t *f)
{
    memset(f, 0, sizeof(*f));
    f->base.ops = &fake_ops;
}

void fake_answer_txt(fake_resolver_t *f, unsigned i, int status, int rcode,
                     pc_dnssec_t dnssec, uint32_t ttl, const char *const *txt)
{
    static uint8_t rd[64][300];
    const uint8_t *data[64];
    size_t lens[64];
    pc_answer_t a;
    fake_query_t *q = &f->q[i];
    unsigned n = 0;

    if (i >= f->n || q->state != 0)
        return;
    for (; txt != NULL && txt[n] != NULL && n < 64; n++) {
        size_t l = strlen(txt[n]);
        if (l > 255)
            l = 255;
        rd[n][0] = (uint8_t)l;
        memcpy(rd[n] + 1, txt[n], l);
        data[n] = rd[n];
        lens[n] = l + 1;
    }
    memset(&a, 0, sizeof(a));
    a.status = status;
    a.rcode = rcode;
    a.dnssec = dnssec;
    a.ttl = ttl;
    a.ndata = status == 0 ? n : 0;
    a.data = data;
    a.len = lens;
    a.why = status == PC_EBOGUS ? "fake bogus" : status != 0 ? "fake failure" : NULL;
    q->state = 1;
    f->base.inflight--;
    q->cb(q->arg, &a);
}

unsigned fake_pending(const fake_resolver_t *f)
{
    unsigned p = 0;
    for (unsigned i = 0; i < f->n; i++)
        p += f->q[i].state == 0;
    return p;
}
