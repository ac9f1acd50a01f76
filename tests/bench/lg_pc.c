/*
 * lg_pc.c - the load generator's polcached side: DMARC request frames,
 * the check of every reply, and the STATS counter read before and after a
 * run.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "lg_proto.h"
#include "polcache/types.h"

const char *lg_err_name(lg_err_t e)
{
    static const char *const names[LG_E_KINDS] = {
        "ok", "bad_id", "decode", "error_reply", "outcome", "name",
        "text", "dnssec", "cache", "timeout", "io"};
    return (unsigned)e < LG_E_KINDS ? names[e] : "?";
}

int lg_pc_encode(pc_wbuf_t *b, uint32_t id, const char *domain)
{
    pc_wbuf_frame_begin(b, PC_MSG_DMARC, 0, id);
    pc_wbuf_str(b, PC_T_DOMAIN, domain);
    return pc_wbuf_frame_end(b);
}

/* "_dmarc." + domain equals qname, ignoring case and a trailing dot. */
static int qname_matches(const pc_tlv_t *t, const char *domain)
{
    size_t dl = strlen(domain), ql = t->len;
    const char *q = (const char *)t->val;

    if (dl > 0 && domain[dl - 1] == '.')
        dl--;
    if (ql > 0 && q[ql - 1] == '.')
        ql--;
    return ql == 7 + dl && strncasecmp(q, "_dmarc.", 7) == 0 &&
           strncasecmp(q + 7, domain, dl) == 0;
}

lg_err_t lg_pc_check(const pc_msg_t *m, const char *domain, const lg_expect_t *e,
                     int *cache, char *detail, size_t cap)
{
    const pc_tlv_t *t;

    *cache = 0;
    if (m->hdr.type == PC_MSG_ERROR_REPLY) {
        t = pc_msg_find(m, PC_T_ERROR_CODE);
        snprintf(detail, cap, "error reply %d for %s", t != NULL ? (int)pc_tlv_i32(t) : 0, domain);
        return LG_E_REPLY;
    }
    if (m->hdr.type != (PC_MSG_DMARC | PC_MSG_REPLY)) {
        snprintf(detail, cap, "reply type 0x%02x", m->hdr.type);
        return LG_E_DECODE;
    }
    if ((t = pc_msg_find(m, PC_T_CACHE)) != NULL)
        *cache = pc_tlv_u8(t);
    t = pc_msg_find(m, PC_T_OUTCOME);
    if (t == NULL || pc_tlv_u8(t) != PC_OUTCOME_FOUND) {
        snprintf(detail, cap, "outcome %d for %s", t != NULL ? pc_tlv_u8(t) : -1, domain);
        return LG_E_OUTCOME;
    }
    t = pc_msg_find(m, PC_T_QNAME);
    if (t == NULL || !qname_matches(t, domain)) {
        snprintf(detail, cap, "qname %.*s for %s", t != NULL ? (int)t->len : 0,
                 t != NULL ? (const char *)t->val : "", domain);
        return LG_E_NAME;
    }
    t = pc_msg_find(m, PC_T_RAW);
    if (t == NULL || t->len != e->text_len || memcmp(t->val, e->text, e->text_len) != 0) {
        snprintf(detail, cap, "text \"%.*s\" for %s", t != NULL ? (int)t->len : 0,
                 t != NULL ? (const char *)t->val : "", domain);
        return LG_E_TEXT;
    }
    t = pc_msg_find(m, PC_T_DNSSEC);
    if (t == NULL || pc_tlv_u8(t) != (e->secure ? PC_DNSSEC_SECURE : PC_DNSSEC_INSECURE)) {
        snprintf(detail, cap, "dnssec %d for %s", t != NULL ? pc_tlv_u8(t) : -1, domain);
        return LG_E_DNSSEC;
    }
    return LG_OK;
}

long long lg_pc_stat(const char *path, const char *name)
{
    struct sockaddr_un sa;
    static uint8_t in[PC_WIRE_MAX_FRAME];
    static pc_msg_t msg;
    size_t have = 0;
    long long val = -1;
    pc_wbuf_t b;
    int fd;

    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
        goto out;
    pc_wbuf_init(&b, 0);
    pc_wbuf_frame_begin(&b, PC_MSG_STATS, 0, 1);
    if (pc_wbuf_frame_end(&b) != 0 || send(fd, b.data, b.len, MSG_NOSIGNAL) != (ssize_t)b.len) {
        pc_wbuf_free(&b);
        goto out;
    }
    pc_wbuf_free(&b);
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        pc_hdr_t h;
        ssize_t r;
        if (have >= PC_WIRE_HDR_LEN && pc_hdr_decode(in, have, &h) == 0 &&
            have >= PC_WIRE_HDR_LEN + (size_t)h.length)
            break;
        if (poll(&p, 1, 5000) != 1)
            goto out;
        r = read(fd, in + have, sizeof(in) - have);
        if (r <= 0)
            goto out;
        have += (size_t)r;
    }
    if (pc_msg_decode(in, PC_WIRE_HDR_LEN + ((size_t)in[12] << 24 | (size_t)in[13] << 16 |
                                             (size_t)in[14] << 8 | in[15]), &msg) != 0)
        goto out;
    for (uint16_t i = 0; i < msg.ntlv; i++) {
        pc_tlv_t n, v;
        char nb[80];
        if (msg.tlv[i].type != PC_T_STAT || !pc_tlv_find(&msg.tlv[i], PC_T_STAT_NAME, &n) ||
            !pc_tlv_find(&msg.tlv[i], PC_T_STAT_VALUE, &v))
            continue;
        pc_tlv_copy_text(&n, nb, sizeof(nb));
        if (strcmp(nb, name) == 0)
            val = (long long)pc_tlv_u64(&v);
    }
out:
    if (fd >= 0)
        close(fd);
    return val;
}
