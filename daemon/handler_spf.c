/*
 * handler_spf.c - the SPF check request (PC_MSG_SPF_CHECK): the request's
 * fields become a check_host() input, one evaluation runs per request
 * (spf_eval.c, with the exp= explanation and the two header texts), and
 * its outcome becomes the SPF check reply of docs/PROTOCOL.md, ending in
 * the TTL: how long the same check keeps this answer.
 */
#include <string.h>

#include "daemon.h"
#include "handler.h"
#include "polcache/error.h"
#include "spf_eval.h"
#include "utf8.h"

/* Put a reason as a text field: octets a text field may not carry (from a
 * HELO name, say) are written as \xHH. */
static void put_text(pc_wbuf_t *b, uint16_t type, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    char buf[4 * PC_SPF_TEXT_OUT + 1];
    size_t n = strlen(s), o = 0;
    int clean = pc_utf8_valid((const uint8_t *)s, n, NULL);

    for (size_t i = 0; i < n && clean; i++)
        clean = (unsigned char)s[i] >= 0x20 && s[i] != 0x7f;
    if (clean) {
        pc_wbuf_str(b, type, s);
        return;
    }
    for (size_t i = 0; i < n && o + 4 < sizeof(buf); i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f) {
            buf[o++] = (char)c;
        } else {
            buf[o++] = '\\';
            buf[o++] = 'x';
            buf[o++] = hex[c >> 4];
            buf[o++] = hex[c & 15];
        }
    }
    buf[o > PC_TEXT_MAX ? PC_TEXT_MAX : o] = '\0';
    pc_wbuf_str(b, type, buf);
}

static void on_spf_done(void *arg, const pc_spf_outcome_t *o)
{
    pc_req_t *req = arg;
    pc_conn_t *c = req->conn;
    uint32_t id = req->id;
    pc_wbuf_t *b;

    /* the request is finished before the reply is queued: queueing may
     * close a slow connection, which aborts the requests it still holds */
    req->spf = NULL;
    pc_req_free(req);
    b = pc_conn_out(c);
    pc_wbuf_frame_begin(b, PC_MSG_SPF_CHECK | PC_MSG_REPLY, 0, id);
    pc_wbuf_u8(b, PC_T_SPF_RESULT, (uint8_t)o->result);
    pc_wbuf_u8(b, PC_T_SPF_SCOPE, (uint8_t)o->scope);
    if (o->domain[0] != '\0')
        pc_wbuf_str(b, PC_T_SPF_DOMAIN, o->domain);
    if (o->matched[0] != '\0') {
        pc_wbuf_str(b, PC_T_SPF_MATCHED, o->matched);
        pc_wbuf_str(b, PC_T_SPF_TERM_DOMAIN, o->term_domain);
    }
    pc_wbuf_u32(b, PC_T_SPF_LOOKUPS, o->lookups);
    pc_wbuf_u32(b, PC_T_SPF_VOID_LOOKUPS, o->voids);
    if (o->why[0] != '\0')
        put_text(b, PC_T_WHY, o->why);
    pc_wbuf_u8(b, PC_T_CACHE, (uint8_t)o->cache);
    pc_wbuf_u8(b, PC_T_DNSSEC, (uint8_t)o->dnssec);
    if (o->explanation[0] != '\0')
        put_text(b, PC_T_SPF_EXPLANATION, o->explanation);
    /* the header builders write printable ASCII and valid UTF-8 only */
    if (o->auth_results[0] != '\0')
        pc_wbuf_str(b, PC_T_AUTH_RESULTS, o->auth_results);
    if (o->received_spf[0] != '\0')
        pc_wbuf_str(b, PC_T_RECEIVED_SPF, o->received_spf);
    pc_wbuf_u32(b, PC_T_TTL, o->ttl); /* last: how long the answer holds */
    pc_conn_replied(c, pc_wbuf_frame_end(b));
}

/*
 * The request fields, checked by the decoder against the message table:
 * CLIENT_IP (4 or 16 octets), MAILFROM (text) and HELO (taken literally:
 * the SPF macros need the name exactly as the client sent it).
 */
static void input_of(const pc_msg_t *m, pc_spf_input_t *in)
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    const pc_tlv_t *ip = pc_msg_find(m, PC_T_CLIENT_IP);
    const pc_tlv_t *mf = pc_msg_find(m, PC_T_MAILFROM);
    const pc_tlv_t *helo = pc_msg_find(m, PC_T_HELO);

    memset(in, 0, sizeof(*in));
    if (ip->len == 16 && memcmp(ip->val, mapped, 12) == 0) {
        memcpy(in->ip, ip->val + 12, 4); /* IPv4-mapped is IPv4 (RFC 7208 §5) */
        in->family = 4;
    } else {
        memcpy(in->ip, ip->val, ip->len);
        in->family = ip->len == 4 ? 4 : 6;
    }
    if (mf != NULL) {
        in->mailfrom = mf->len > 0 ? (const char *)mf->val : "";
        in->mailfrom_len = mf->len;
    }
    if (helo != NULL) {
        in->helo = (const char *)helo->val;
        in->helo_len = helo->len;
    }
    in->flags = m->hdr.flags & (PC_F_NOCACHE | PC_F_NOSTALE);
}

void pc_handle_spf_check(pc_daemon_t *d, pc_conn_t *c, const pc_msg_t *m)
{
    pc_spf_input_t in;
    pc_spf_env_t env;
    pc_spf_eval_t *e = NULL;
    pc_req_t *req;
    int rc;

    input_of(m, &in);
    if ((req = pc_handler_req(c, m)) == NULL)
        return;
    memset(&env, 0, sizeof(env));
    env.loop = d->loop;
    env.lookups = d->lookups;
    env.time_limit_ms = d->cfg.spf_time_limit_ms;
    env.receiver = d->receiver; /* the evaluation copies it */
    env.explain = 1;
    env.headers = 1;
    env.ttl_max = d->cfg.lookup.ttl_max;
    rc = pc_spf_check_start(&env, &in, on_spf_done, req, &e);
    if (rc != 0) {
        pc_req_free(req);
        pc_reply_error(c, m->hdr.id, rc, NULL);
        return;
    }
    if (e != NULL)
        req->spf = e; /* else answered already and req is gone */
}
