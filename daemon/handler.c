/*
 * handler.c - request semantics: record lookups, ping, stats, flush, dump
 * and cancel; "not implemented" for the SPF check and DMARC evaluation
 * until their issues land. One helper per message type.
 */
#include <stdio.h>
#include <string.h>

#include "daemon.h"
#include "discover.h"
#include "dmarc_eval.h"
#include "spf_eval.h"
#include "handler.h"
#include "log.h"
#include "polcache/error.h"
#include "record.h"

#ifndef PC_VERSION
#define PC_VERSION "0"
#endif

#define DUMP_DEFAULT 100
#define DUMP_BUDGET 48000 /* octets of entries per dump reply */

void pc_reply_error(pc_conn_t *c, uint32_t id, int err, const char *msg)
{
    pc_wbuf_t *b = pc_conn_out(c);
    pc_wbuf_frame_begin(b, PC_MSG_ERROR_REPLY, 0, id);
    pc_wbuf_i32(b, PC_T_ERROR_CODE, err);
    pc_wbuf_str(b, PC_T_MESSAGE, msg != NULL ? msg : pc_strerror(err));
    pc_conn_replied(c, pc_wbuf_frame_end(b));
}

pc_req_t *pc_handler_req(pc_conn_t *c, const pc_msg_t *m)
{
    pc_req_t *req;

    if (pc_req_admit(c) != 0) {
        pc_reply_error(c, m->hdr.id, PC_EBUSY, "too many requests in flight on this connection");
        return NULL;
    }
    if ((req = pc_req_new(c, m->hdr.id, m->hdr.type, m->hdr.flags)) == NULL)
        pc_reply_error(c, m->hdr.id, PC_ENOMEM, NULL);
    return req;
}

/* Parse a name field at the request boundary (escapes, IDNA). */
static int get_name(const pc_msg_t *m, uint16_t type, pc_name_t *out)
{
    const pc_tlv_t *t = pc_msg_find(m, type);
    if (t == NULL)
        return PC_EMISSING;
    return pc_name_from_text(out, (const char *)t->val, t->len, PC_NAME_IDNA | PC_NAME_ESCAPES);
}

/* ---- record lookups ---- */

static void on_lookup(void *arg, const pc_lookup_result_t *r)
{
    pc_req_t *req = arg;
    pc_wbuf_t *b = pc_conn_out(req->conn);

    pc_wbuf_frame_begin(b, (uint8_t)(req->type | PC_MSG_REPLY), 0, req->id);
    pc_wbuf_u8(b, PC_T_OUTCOME, (uint8_t)r->outcome);
    pc_wbuf_u8(b, PC_T_DNSSEC, (uint8_t)r->dnssec);
    pc_wbuf_u8(b, PC_T_CACHE, (uint8_t)r->cache);
    pc_wbuf_u32(b, PC_T_TTL, r->ttl);
    pc_wbuf_u32(b, PC_T_AGE, r->age);
    pc_wbuf_raw(b, r->body, r->body_len);
    /* free the request first: a reply over the buffer limit closes the
     * connection, which frees every request still on it */
    {
        pc_conn_t *conn = req->conn;
        pc_req_free(req);
        pc_conn_replied(conn, pc_wbuf_frame_end(b));
    }
}

static void handle_record(pc_daemon_t *d, pc_conn_t *c, const pc_msg_t *m, pc_rtype_t rt)
{
    pc_name_t domain, selector, qname;
    pc_waiter_t *w = NULL;
    pc_req_t *req;
    int rc;

    rc = get_name(m, PC_T_DOMAIN, &domain);
    if (rc == 0 && pc_name_labels(&domain) == 0)
        rc = PC_ENAME;
    if (rc == 0 && rt == PC_RT_DKIM) {
        rc = get_name(m, PC_T_SELECTOR, &selector);
        if (rc == 0 && pc_name_labels(&selector) == 0)
            rc = PC_ENAME;
    }
    if (rc == 0)
        rc = pc_record_qname(&qname, rt, &domain, rt == PC_RT_DKIM ? &selector : NULL);
    if (rc != 0) {
        pc_reply_error(c, m->hdr.id, rc, NULL);
        return;
    }
    if ((req = pc_handler_req(c, m)) == NULL)
        return;
    rc = pc_lookup_start(d->lookups, &qname, rt, m->hdr.flags & (PC_F_NOCACHE | PC_F_NOSTALE),
                         on_lookup, req, &w);
    if (rc != 0) {
        pc_req_free(req);
        pc_reply_error(c, m->hdr.id, rc, NULL);
        return;
    }
    if (w != NULL)
        req->waiter = w; /* else answered already and req is gone */
}

void pc_handler_abort(pc_daemon_t *d, pc_req_t *r)
{
    if (r->waiter != NULL) {
        pc_lookup_cancel(d->lookups, r->waiter);
        r->waiter = NULL;
    }
    if (r->disc != NULL) {
        pc_discover_cancel(r->disc);
        r->disc = NULL;
    }
    if (r->eval != NULL) {
        pc_dmarc_eval_cancel(r->eval);
        r->eval = NULL;
    }
    if (r->spf != NULL) {
        pc_spf_check_cancel(r->spf);
        r->spf = NULL;
    }
}

/* ---- ping, stats ---- */

static void handle_ping(pc_conn_t *c, const pc_msg_t *m)
{
    pc_wbuf_t *b = pc_conn_out(c);
    pc_wbuf_frame_begin(b, PC_MSG_PING | PC_MSG_REPLY, 0, m->hdr.id);
    pc_wbuf_str(b, PC_T_VERSION, "polcached " PC_VERSION);
    pc_wbuf_u8(b, PC_T_PROTO_VERSION, PC_WIRE_VERSION);
    pc_conn_replied(c, pc_wbuf_frame_end(b));
}

static void put_stat(pc_wbuf_t *b, const char *name, uint64_t v)
{
    pc_wbuf_nest_begin(b, PC_T_STAT);
    pc_wbuf_str(b, PC_T_STAT_NAME, name);
    pc_wbuf_u64(b, PC_T_STAT_VALUE, v);
    pc_wbuf_nest_end(b);
}

static void handle_stats(pc_daemon_t *d, pc_conn_t *c, const pc_msg_t *m)
{
    const pc_server_stats_t *ss = pc_server_stats(d->server);
    pc_wbuf_t *b = pc_conn_out(c);
    pc_lookup_stats_t ls;
    pc_cache_stats_t cs;
    char name[64];

    pc_lookups_stats(d->lookups, &ls);
    memset(&cs, 0, sizeof(cs));
    pc_cache_stats(d->cache, &cs);
    pc_wbuf_frame_begin(b, PC_MSG_STATS | PC_MSG_REPLY, 0, m->hdr.id);
    for (uint8_t t = PC_MSG_PING; t <= PC_MSG_CANCEL; t++) {
        snprintf(name, sizeof(name), "requests.%s", pc_msg_type_name(t));
        put_stat(b, name, ss->requests[t]);
    }
    put_stat(b, "requests.bad", ss->bad_frames);
    put_stat(b, "replies", ss->replies);
    put_stat(b, "connections.open", ss->open);
    put_stat(b, "connections.accepted", ss->accepted);
    put_stat(b, "connections.refused", ss->refused);
    put_stat(b, "connections.slow_closed", ss->slow_closed);
    put_stat(b, "connections.idle_closed", ss->idle_closed);
    put_stat(b, "connections.denied", ss->denied);
    put_stat(b, "requests.denied", ss->requests_denied);
    put_stat(b, "requests.busy", ss->requests_busy);
    put_stat(b, "cache.hits", ls.hits);
    put_stat(b, "cache.misses", ls.misses);
    put_stat(b, "cache.coalesced", ls.coalesced);
    put_stat(b, "cache.not_written", ls.not_written);
    put_stat(b, "cache.errors", ls.cache_errors);
    put_stat(b, "cache.entries", cs.entries);
    put_stat(b, "cache.live_pages", cs.live_pages);
    put_stat(b, "cache.map_pages", cs.map_pages);
    put_stat(b, "cache.page_size", cs.page_size);
    put_stat(b, "cache.map_full", cs.map_full);
    put_stat(b, "cache.corrupt", cs.corrupt);
    put_stat(b, "cache.rebuilds", cs.rebuilds);
    put_stat(b, "cache.evicted", cs.evicted);
    put_stat(b, "cache.evict_runs", cs.evict_runs);
    put_stat(b, "cache.evict_high", cs.evict_high);
    put_stat(b, "cache.drops", cs.drops);
    put_stat(b, "cache.stale_readers", cs.stale_readers);
    put_stat(b, "cache.touches", cs.touches);
    put_stat(b, "upstream.queries", ls.upstream);
    put_stat(b, "upstream.inflight", ls.inflight);
    put_stat(b, "upstream.timeouts", ls.timeouts);
    put_stat(b, "upstream.servfail", ls.servfail);
    put_stat(b, "upstream.bogus", ls.bogus);
    put_stat(b, "upstream.busy", ls.busy);
    put_stat(b, "cache.insert_limited", ls.insert_limited);
    put_stat(b, "daemon.uptime", (uint64_t)pc_clock_wall(NULL) - d->started);
    put_stat(b, "daemon.reloads", d->reloads);
    put_stat(b, "daemon.reload_errors", d->reload_errors);
    pc_conn_replied(c, pc_wbuf_frame_end(b));
}

/* ---- flush, cancel ---- */

static void handle_flush(pc_daemon_t *d, pc_conn_t *c, const pc_msg_t *m)
{
    pc_name_t name;
    uint64_t count = 0;
    pc_wbuf_t *b;
    int rc = 0;

    if (pc_msg_find(m, PC_T_DOMAIN) != NULL)
        rc = get_name(m, PC_T_DOMAIN, &name);
    if (rc == 0)
        rc = pc_lookups_flush(d->lookups, pc_msg_find(m, PC_T_DOMAIN) != NULL ? &name : NULL,
                              &count);
    if (rc != 0) {
        pc_reply_error(c, m->hdr.id, rc, NULL);
        return;
    }
    pc_server_bump_epoch(d->server); /* and what clients kept in memory */
    b = pc_conn_out(c);
    pc_wbuf_frame_begin(b, PC_MSG_FLUSH | PC_MSG_REPLY, 0, m->hdr.id);
    pc_wbuf_u32(b, PC_T_COUNT, count > UINT32_MAX ? UINT32_MAX : (uint32_t)count);
    pc_conn_replied(c, pc_wbuf_frame_end(b));
}

static void handle_cancel(pc_daemon_t *d, pc_conn_t *c, const pc_msg_t *m)
{
    uint32_t target = pc_tlv_u32(pc_msg_find(m, PC_T_TARGET_ID));
    pc_req_t *r = pc_req_find(c, target);
    pc_wbuf_t *b;
    uint32_t n = 0;

    if (r != NULL) {
        /* every pending request waits on exactly one piece of work */
        pc_handler_abort(d, r);
        pc_req_free(r);
        n = 1;
    }
    b = pc_conn_out(c);
    pc_wbuf_frame_begin(b, PC_MSG_CANCEL | PC_MSG_REPLY, 0, m->hdr.id);
    pc_wbuf_u32(b, PC_T_COUNT, n);
    pc_conn_replied(c, pc_wbuf_frame_end(b));
}

/* ---- dump ---- */

typedef struct dump_ctx {
    pc_wbuf_t *b;
    size_t start;
    unsigned n;
    int full;
    uint8_t last[PC_NAME_KEY_MAX + 2];
    int last_len;
    uint64_t now;
} dump_ctx_t;

static int dump_entry(void *arg, const pc_name_t *qname, pc_rtype_t rtype, const pc_cval_t *v)
{
    dump_ctx_t *x = arg;
    char text[PC_NAME_TEXT_MAX];
    pc_tlv_t body = {0, 0, NULL}, it = {0, 0, NULL};

    if (x->b->len - x->start > DUMP_BUDGET) {
        x->full = 1;
        return 1;
    }
    pc_name_to_text(qname, text, sizeof(text));
    pc_wbuf_nest_begin(x->b, PC_T_ENTRY);
    pc_wbuf_u8(x->b, PC_T_RTYPE, (uint8_t)rtype);
    pc_wbuf_str(x->b, PC_T_QNAME, text);
    pc_wbuf_u8(x->b, PC_T_OUTCOME, v->outcome);
    pc_wbuf_u8(x->b, PC_T_DNSSEC, v->dnssec);
    pc_wbuf_u32(x->b, PC_T_TTL, pc_cval_ttl_left(v, x->now));
    pc_wbuf_u32(x->b, PC_T_AGE, pc_cval_age_secs(v, x->now));
    body.len = (uint16_t)(v->body_len > 0xffff ? 0xffff : v->body_len);
    body.val = v->body;
    while (pc_tlv_next(&body, &it)) {
        if (it.type == PC_T_RAW)
            pc_wbuf_bytes(x->b, PC_T_RAW, it.val, it.len > 2048 ? 2048 : it.len);
        else if (it.type == PC_T_WHY)
            pc_wbuf_bytes(x->b, PC_T_WHY, it.val, it.len);
    }
    pc_wbuf_nest_end(x->b);
    x->last_len = pc_cache_key(qname, rtype, x->last, sizeof(x->last));
    x->n++;
    return 0;
}

static void handle_dump(pc_daemon_t *d, pc_conn_t *c, const pc_msg_t *m)
{
    const pc_tlv_t *t;
    pc_cache_filter_t f;
    pc_name_t suffix;
    dump_ctx_t x;
    uint8_t next[PC_CURSOR_MAX];
    size_t next_len = 0;
    unsigned limit = DUMP_DEFAULT;
    const uint8_t *cursor = NULL;
    size_t cursor_len = 0;
    pc_wbuf_t *b = pc_conn_out(c);
    int rc;

    memset(&f, 0, sizeof(f));
    f.dnssec = -1;
    f.expired = -1;
    f.now = pc_clock_wall(NULL);
    if ((t = pc_msg_find(m, PC_T_RTYPE)) != NULL)
        f.rtype = pc_tlv_u8(t);
    if ((t = pc_msg_find(m, PC_T_DNSSEC_FILTER)) != NULL)
        f.dnssec = pc_tlv_u8(t);
    if ((t = pc_msg_find(m, PC_T_EXPIRED)) != NULL)
        f.expired = pc_tlv_u8(t);
    if ((t = pc_msg_find(m, PC_T_LIMIT)) != NULL)
        limit = pc_tlv_u32(t);
    if ((t = pc_msg_find(m, PC_T_CURSOR)) != NULL) {
        cursor = t->val;
        cursor_len = t->len;
    }
    if (pc_msg_find(m, PC_T_SUFFIX) != NULL) {
        if ((rc = get_name(m, PC_T_SUFFIX, &suffix)) != 0) {
            pc_reply_error(c, m->hdr.id, rc, NULL);
            return;
        }
        f.suffix = &suffix;
    }
    memset(&x, 0, sizeof(x));
    x.b = b;
    x.now = f.now;
    pc_wbuf_frame_begin(b, PC_MSG_DUMP | PC_MSG_REPLY, 0, m->hdr.id);
    x.start = b->len;
    rc = pc_cache_dump(d->cache, &f, cursor, cursor_len, limit, dump_entry, &x, next, &next_len);
    if (rc < 0) {
        pc_wbuf_frame_abort(b);
        pc_reply_error(c, m->hdr.id, rc, NULL);
        return;
    }
    if ((x.full || next_len > 0) && x.last_len > 0) {
        /* resume after the last entry actually sent */
        pc_wbuf_bytes(b, PC_T_NEXT_CURSOR, x.last, (size_t)x.last_len);
        pc_wbuf_frame_flags(b, PC_F_MORE);
    } else if (next_len > 0) {
        /* the cache's scan budget ended the page before a match */
        pc_wbuf_bytes(b, PC_T_NEXT_CURSOR, next, next_len);
        pc_wbuf_frame_flags(b, PC_F_MORE);
    }
    pc_conn_replied(c, pc_wbuf_frame_end(b));
}

/* ---- dispatch ---- */

void pc_handle(pc_daemon_t *d, pc_conn_t *c, const pc_msg_t *m)
{
    if ((m->hdr.type == PC_MSG_FLUSH || m->hdr.type == PC_MSG_DUMP) &&
        pc_conn_require_admin(c) != 0) {
        pc_reply_error(c, m->hdr.id, PC_EPERM, "flush and dump need an admin peer");
        return;
    }
    switch (m->hdr.type) {
    case PC_MSG_PING:
        handle_ping(c, m);
        break;
    case PC_MSG_DMARC:
        if (pc_msg_find(m, PC_T_DISCOVER) != NULL)
            pc_handle_discover(d, c, m);
        else
            handle_record(d, c, m, PC_RT_DMARC);
        break;
    case PC_MSG_SPF:
        handle_record(d, c, m, PC_RT_SPF);
        break;
    case PC_MSG_DKIM:
        handle_record(d, c, m, PC_RT_DKIM);
        break;
    case PC_MSG_STATS:
        handle_stats(d, c, m);
        break;
    case PC_MSG_FLUSH:
        handle_flush(d, c, m);
        break;
    case PC_MSG_DUMP:
        handle_dump(d, c, m);
        break;
    case PC_MSG_CANCEL:
        handle_cancel(d, c, m);
        break;
    case PC_MSG_SPF_CHECK:
        pc_handle_spf_check(d, c, m);
        break;
    case PC_MSG_DMARC_EVAL:
        pc_handle_dmarc_eval(d, c, m);
        break;
    default:
        /* replies sent to the daemon, or the error type */
        pc_reply_error(c, m->hdr.id, PC_EMSGTYPE, "not a request type");
        break;
    }
}
