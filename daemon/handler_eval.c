/*
 * handler_eval.c - the DMARC evaluation request: decode the From domain,
 * the SPF part (a given result, or the inputs to run SPF here) and the
 * DKIM results; run dmarc_eval.c; encode the verdict, ending in the TTL:
 * how long the same evaluation keeps it.
 */
#include <string.h>

#include "daemon.h"
#include "dmarc_eval.h"
#include "handler.h"
#include "polcache/error.h"

static int name_of(const pc_tlv_t *t, pc_name_t *out)
{
    int rc = pc_name_from_text(out, (const char *)t->val, t->len, PC_NAME_IDNA | PC_NAME_ESCAPES);
    return rc == 0 && pc_name_labels(out) == 0 ? PC_ENAME : rc;
}

static void on_verdict(void *arg, const pc_dmarc_verdict_t *v)
{
    pc_req_t *req = arg;
    pc_wbuf_t *b = pc_conn_out(req->conn);

    req->eval = NULL;
    pc_wbuf_frame_begin(b, PC_MSG_DMARC_EVAL | PC_MSG_REPLY, 0, req->id);
    pc_wbuf_u8(b, PC_T_DMARC_RESULT, (uint8_t)v->result);
    pc_wbuf_u8(b, PC_T_DNSSEC, (uint8_t)v->dnssec);
    if (v->why[0] != '\0')
        pc_wbuf_str(b, PC_T_WHY, v->why);
    if (v->policy[0] != '\0') {
        pc_wbuf_str(b, PC_T_POLICY_TAG, v->policy_tag);
        pc_wbuf_str(b, PC_T_POLICY, v->policy);
        pc_wbuf_str(b, PC_T_DISPOSITION, v->disposition);
        pc_wbuf_str(b, PC_T_RECOMMENDED, v->recommended);
        pc_wbuf_u8(b, PC_T_TESTING, (uint8_t)v->testing);
        pc_wbuf_u8(b, PC_T_PCT, (uint8_t)v->pct);
        pc_wbuf_u8(b, PC_T_SAMPLED_OUT, (uint8_t)v->sampled_out);
    }
    for (unsigned i = 0; i < v->nalign; i++) {
        const pc_dmarc_ident_t *a = &v->align[i];
        pc_wbuf_nest_begin(b, PC_T_ALIGN);
        pc_wbuf_u8(b, PC_T_ALIGN_KIND, (uint8_t)a->kind);
        if (a->domain[0] != '\0' && strcmp(a->domain, ".") != 0)
            pc_wbuf_str(b, PC_T_QNAME, a->domain);
        if (a->selector[0] != '\0')
            pc_wbuf_str(b, PC_T_DKIM_S, a->selector);
        pc_wbuf_u8(b, PC_T_ALIGN_RESULT, (uint8_t)a->result);
        pc_wbuf_u8(b, PC_T_ALIGN_MODE, (uint8_t)a->mode);
        pc_wbuf_u8(b, PC_T_ALIGNED, (uint8_t)(a->aligned < 0 ? 2 : a->aligned));
        if (a->org[0] != '\0' && a->org[0] != '?')
            pc_wbuf_str(b, PC_T_ORG_DOMAIN, a->org);
        pc_wbuf_nest_end(b);
    }
    if (v->rua[0] != '\0')
        pc_wbuf_str(b, PC_T_RUA, v->rua);
    if (v->ruf[0] != '\0')
        pc_wbuf_str(b, PC_T_RUF, v->ruf);
    pc_wbuf_str(b, PC_T_AUTH_RESULTS, v->ar);
    if (v->method != 0)
        pc_wbuf_u8(b, PC_T_METHOD, (uint8_t)v->method);
    if (v->org_domain[0] != '\0')
        pc_wbuf_str(b, PC_T_ORG_DOMAIN, v->org_domain);
    if (v->policy_domain[0] != '\0')
        pc_wbuf_str(b, PC_T_POLICY_DOMAIN, v->policy_domain);
    if (v->spf_ran) {
        pc_wbuf_u8(b, PC_T_SPF_RESULT, (uint8_t)v->spf.result);
        if (v->spf.domain[0] != '\0')
            pc_wbuf_str(b, PC_T_SPF_DOMAIN, v->spf.domain);
    }
    pc_wbuf_u32(b, PC_T_TTL, v->ttl); /* last: how long the verdict holds */
    /* free the request first: a reply over the buffer limit closes the
     * connection, which frees every request still on it */
    {
        pc_conn_t *conn = req->conn;
        pc_req_free(req);
        pc_conn_replied(conn, pc_wbuf_frame_end(b));
    }
}

void pc_handle_dmarc_eval(pc_daemon_t *d, pc_conn_t *c, const pc_msg_t *m)
{
    pc_dmarc_input_t in;
    pc_dmarc_env_t env;
    pc_dmarc_eval_t *h = NULL;
    const pc_tlv_t *t;
    pc_req_t *req;
    int rc;

    memset(&in, 0, sizeof(in));
    in.pct_roll = -1;
    in.flags = m->hdr.flags & (PC_F_NOCACHE | PC_F_NOSTALE);
    rc = name_of(pc_msg_find(m, PC_T_DOMAIN), &in.from);
    if (rc == 0 && (t = pc_msg_find(m, PC_T_SPF_RESULT)) != NULL) {
        in.spf_result = (pc_spf_result_t)pc_tlv_u8(t);
        rc = name_of(pc_msg_find(m, PC_T_SPF_DOMAIN), &in.spf_domain);
        t = pc_msg_find(m, PC_T_SPF_SCOPE);
        in.spf_scope = t != NULL ? (pc_spf_scope_t)pc_tlv_u8(t) : PC_SPF_SCOPE_MAILFROM;
    } else if (rc == 0) {
        const pc_tlv_t *ip = pc_msg_find(m, PC_T_CLIENT_IP), *mf = pc_msg_find(m, PC_T_MAILFROM),
                       *helo = pc_msg_find(m, PC_T_HELO);
        static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        in.run_spf = 1;
        if (ip->len == 16 && memcmp(ip->val, mapped, 12) == 0) {
            memcpy(in.spf_in.ip, ip->val + 12, 4); /* IPv4-mapped: IPv4 (§5) */
            in.spf_in.family = 4;
        } else {
            memcpy(in.spf_in.ip, ip->val, ip->len);
            in.spf_in.family = ip->len == 4 ? 4 : 6;
        }
        if (mf != NULL) {
            in.spf_in.mailfrom = (const char *)mf->val;
            in.spf_in.mailfrom_len = mf->len;
        }
        if (helo != NULL) {
            in.spf_in.helo = (const char *)helo->val;
            in.spf_in.helo_len = helo->len;
        }
        in.spf_in.flags = in.flags;
    }
    for (uint16_t i = 0; rc == 0 && i < m->ntlv; i++) {
        pc_tlv_t dd, ss, rr;
        pc_dmarc_dkim_in_t *k;
        if (m->tlv[i].type != PC_T_DKIM || in.ndkim >= PC_DKIM_MAX)
            continue;
        k = &in.dkim[in.ndkim];
        pc_tlv_find(&m->tlv[i], PC_T_DKIM_D, &dd);
        rc = name_of(&dd, &k->d);
        if (pc_tlv_find(&m->tlv[i], PC_T_DKIM_S, &ss))
            pc_tlv_copy_text(&ss, k->s, sizeof(k->s));
        pc_tlv_find(&m->tlv[i], PC_T_DKIM_RESULT, &rr);
        k->result = (pc_dkim_result_t)pc_tlv_u8(&rr);
        in.ndkim++;
    }
    if ((t = pc_msg_find(m, PC_T_PCT_ROLL)) != NULL)
        in.pct_roll = pc_tlv_u8(t);
    if (rc != 0) {
        pc_reply_error(c, m->hdr.id, rc, NULL);
        return;
    }
    if ((req = pc_handler_req(c, m)) == NULL)
        return;
    memset(&env, 0, sizeof(env));
    env.disc.lookups = d->lookups;
    env.disc.method = d->cfg.dmarc_mode;
    env.disc.psl = d->psl;
    env.spf.loop = d->loop;
    env.spf.lookups = d->lookups;
    env.spf.time_limit_ms = d->cfg.spf_time_limit_ms;
    env.spf.ttl_max = d->cfg.lookup.ttl_max;
    rc = pc_dmarc_eval_start(&env, &in, on_verdict, req, &h);
    if (rc != 0) {
        pc_req_free(req);
        pc_reply_error(c, m->hdr.id, rc, NULL);
        return;
    }
    if (h != NULL)
        req->eval = h;
}
