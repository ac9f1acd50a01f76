/*
 * handler_dmarc.c - the DMARC request with DISCOVER: run the policy
 * discovery (discover.c) and answer with the applicable record, the
 * organizational domain, the method and every name asked with what it
 * held.
 */
#include <string.h>

#include "daemon.h"
#include "discover.h"
#include "handler.h"
#include "polcache/error.h"

static uint8_t psd_code(int psd)
{
    switch (psd) {
    case PC_WALK_NONE: return 0;
    case PC_WALK_PSD_Y: return 2;
    case PC_WALK_PSD_N: return 3;
    default: return 1;
    }
}

/* The weakest DNSSEC state over every answer the discovery relied on. */
static pc_dnssec_t weakest(const pc_discovery_t *d)
{
    pc_dnssec_t w = PC_DNSSEC_SECURE;

    for (unsigned i = 0; i < d->nsteps; i++) {
        pc_dnssec_t s = d->steps[i].dnssec;
        if (s == PC_DNSSEC_BOGUS)
            return PC_DNSSEC_BOGUS;
        if (s == PC_DNSSEC_NONE)
            w = PC_DNSSEC_NONE;
        else if (s == PC_DNSSEC_INSECURE && w == PC_DNSSEC_SECURE)
            w = PC_DNSSEC_INSECURE;
    }
    return w;
}

static void on_discovery(void *arg, const pc_discovery_t *d)
{
    pc_req_t *req = arg;
    pc_wbuf_t *b = pc_conn_out(req->conn);
    const pc_walk_step_t *pol = d->policy_step >= 0 ? &d->steps[d->policy_step] : NULL;
    char text[PC_NAME_TEXT_MAX];
    pc_outcome_t outcome;

    req->disc = NULL;
    if (d->status != 0)
        outcome = PC_OUTCOME_TEMPFAIL;
    else if (pol != NULL)
        outcome = pol->outcome;
    else
        outcome = PC_OUTCOME_NORECORD;
    pc_wbuf_frame_begin(b, PC_MSG_DMARC | PC_MSG_REPLY, 0, req->id);
    pc_wbuf_u8(b, PC_T_OUTCOME, (uint8_t)outcome);
    pc_wbuf_u8(b, PC_T_DNSSEC, (uint8_t)(pol != NULL && d->status == 0 ? pol->dnssec : weakest(d)));
    if (pol != NULL) {
        pc_wbuf_u8(b, PC_T_CACHE, (uint8_t)pol->cache);
        pc_wbuf_u32(b, PC_T_TTL, pol->ttl);
        pc_wbuf_u32(b, PC_T_AGE, pol->age);
        pc_wbuf_raw(b, pol->body, pol->body_len);
        pc_name_to_text(&pol->domain, text, sizeof(text));
        pc_wbuf_str(b, PC_T_POLICY_DOMAIN, text);
    }
    if (d->status != 0)
        pc_wbuf_str(b, PC_T_WHY, d->why);
    pc_wbuf_u8(b, PC_T_METHOD, (uint8_t)d->method);
    if (d->status == 0) {
        pc_name_to_text(&d->org_domain, text, sizeof(text));
        pc_wbuf_str(b, PC_T_ORG_DOMAIN, text);
    }
    if (d->exists >= 0)
        pc_wbuf_u8(b, PC_T_EXISTS, d->exists ? 1 : 2);
    for (unsigned i = 0; i < d->nsteps; i++) {
        pc_name_t q;
        pc_wbuf_nest_begin(b, PC_T_WALK);
        if (pc_name_prepend(&q, &d->steps[i].domain, "_dmarc", 6) != 0)
            q = d->steps[i].domain;
        pc_name_to_text(&q, text, sizeof(text));
        pc_wbuf_str(b, PC_T_QNAME, text);
        pc_wbuf_u8(b, PC_T_OUTCOME, (uint8_t)d->steps[i].outcome);
        pc_wbuf_u8(b, PC_T_DNSSEC, (uint8_t)d->steps[i].dnssec);
        pc_wbuf_u8(b, PC_T_CACHE, (uint8_t)d->steps[i].cache);
        pc_wbuf_u8(b, PC_T_PSD, psd_code(d->steps[i].psd));
        pc_wbuf_nest_end(b);
    }
    /* free the request first: a reply over the buffer limit closes the
     * connection, which frees every request still on it */
    {
        pc_conn_t *conn = req->conn;
        pc_req_free(req);
        pc_conn_replied(conn, pc_wbuf_frame_end(b));
    }
}

void pc_handle_discover(pc_daemon_t *d, pc_conn_t *c, const pc_msg_t *m)
{
    const pc_tlv_t *t = pc_msg_find(m, PC_T_DOMAIN);
    uint8_t want = pc_tlv_u8(pc_msg_find(m, PC_T_DISCOVER));
    pc_discover_env_t env;
    pc_discover_t *h = NULL;
    pc_name_t author;
    pc_req_t *req;
    int rc;

    rc = pc_name_from_text(&author, (const char *)t->val, t->len, PC_NAME_IDNA | PC_NAME_ESCAPES);
    if (rc == 0 && pc_name_labels(&author) == 0)
        rc = PC_ENAME;
    if (rc != 0) {
        pc_reply_error(c, m->hdr.id, rc, NULL);
        return;
    }
    if ((req = pc_handler_req(c, m)) == NULL)
        return;
    env.lookups = d->lookups;
    env.method = want != 0 ? (pc_disc_method_t)want : d->cfg.dmarc_mode;
    env.psl = d->psl;
    rc = pc_discover_start(&env, &author, PC_DISC_EXISTS, on_discovery, req, &h);
    if (rc != 0) {
        pc_req_free(req);
        pc_reply_error(c, m->hdr.id, rc, NULL);
        return;
    }
    if (h != NULL)
        req->disc = h; /* else answered already and req is gone */
}
