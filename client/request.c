/*
 * request.c - from the public call's arguments to one request frame,
 * through the protocol encoder of proto/wire.c (never by hand). Names are
 * sent as text; the daemon parses them (escapes, IDNA) and answers an
 * error reply for a bad one. Client addresses are parsed here.
 */
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include "client.h"

/* A name argument: present, not empty, within the protocol's text limit. */
static int check_name(const char *s)
{
    size_t n;

    if (s == NULL)
        return PC_EINVAL;
    n = strlen(s);
    if (n == 0)
        return PC_EINVAL;
    return n > PC_TEXT_MAX ? PC_ETOOBIG : 0;
}

/* The cache flags of a query, for the frame header. */
static uint16_t header_flags(unsigned flags)
{
    return (uint16_t)(((flags & PC_QUERY_NOCACHE) ? PC_F_NOCACHE : 0) |
                      ((flags & PC_QUERY_NOSTALE) ? PC_F_NOSTALE : 0));
}

int pcc_query_spec(const pc_query_t *q, pcc_reqspec_t *spec)
{
    const unsigned discovery = PC_QUERY_DISCOVER | PC_QUERY_TREEWALK | PC_QUERY_PSL;
    int rc;

    if (q == NULL || spec == NULL)
        return PC_EINVAL;
    if ((q->flags & ~(PC_QUERY_NOCACHE | PC_QUERY_NOSTALE | discovery)) != 0)
        return PC_EINVAL;
    if ((q->flags & discovery) != 0 && q->rtype != PC_RT_DMARC)
        return PC_EINVAL;
    if ((q->flags & PC_QUERY_TREEWALK) && (q->flags & PC_QUERY_PSL))
        return PC_EINVAL;
    memset(spec, 0, sizeof(*spec));
    /* DISCOVER on the wire: 0 the daemon's method, 1 walk, 2 PSL */
    if (q->flags & PC_QUERY_TREEWALK)
        spec->discover = PC_METHOD_TREEWALK + 1;
    else if (q->flags & PC_QUERY_PSL)
        spec->discover = PC_METHOD_PSL + 1;
    else if (q->flags & PC_QUERY_DISCOVER)
        spec->discover = 1;
    switch (q->rtype) {
    case PC_RT_DMARC:
        spec->type = PC_MSG_DMARC;
        break;
    case PC_RT_SPF:
        spec->type = PC_MSG_SPF;
        break;
    case PC_RT_DKIM:
        spec->type = PC_MSG_DKIM;
        if ((rc = check_name(q->selector)) != 0)
            return rc;
        spec->selector = q->selector;
        break;
    default:
        return PC_EINVAL;
    }
    if ((rc = check_name(q->domain)) != 0)
        return rc;
    spec->domain = q->domain;
    /* the cache flags go in the frame header */
    spec->flags = header_flags(q->flags);
    return 0;
}

/* A text argument that may be empty: within the protocol's text limit. */
static int check_text(const char *s)
{
    return s != NULL && strlen(s) > PC_TEXT_MAX ? PC_ETOOBIG : 0;
}

/* The client address: IPv4 or IPv6 text into 4 or 16 octets. */
static int parse_ip(const char *text, pcc_reqspec_t *spec)
{
    if (text == NULL)
        return PC_EINVAL;
    if (inet_pton(AF_INET, text, spec->ip) == 1)
        spec->ip_len = 4;
    else if (inet_pton(AF_INET6, text, spec->ip) == 1)
        spec->ip_len = 16;
    else
        return PC_EINVAL;
    return 0;
}

/* MAIL FROM and HELO of an SPF check: at least one; "" needs HELO. */
static int spf_inputs(const char *ip, const char *mailfrom, const char *helo,
                      pcc_reqspec_t *spec)
{
    int rc;

    if ((rc = parse_ip(ip, spec)) != 0)
        return rc;
    if ((mailfrom == NULL || mailfrom[0] == '\0') && (helo == NULL || helo[0] == '\0'))
        return PC_EINVAL;
    if ((rc = check_text(mailfrom)) != 0 || (rc = check_text(helo)) != 0)
        return rc;
    spec->mailfrom = mailfrom;
    spec->helo = helo != NULL && helo[0] != '\0' ? helo : NULL;
    return 0;
}

int pcc_spf_spec(const pc_spf_query_t *q, pcc_reqspec_t *spec)
{
    if (q == NULL || spec == NULL)
        return PC_EINVAL;
    if ((q->flags & ~(PC_QUERY_NOCACHE | PC_QUERY_NOSTALE)) != 0)
        return PC_EINVAL;
    memset(spec, 0, sizeof(*spec));
    spec->type = PC_MSG_SPF_CHECK;
    spec->flags = header_flags(q->flags);
    return spf_inputs(q->ip, q->mailfrom, q->helo, spec);
}

int pcc_eval_spec(const pc_eval_query_t *q, pcc_reqspec_t *spec)
{
    int rc;

    if (q == NULL || spec == NULL)
        return PC_EINVAL;
    if ((q->flags & ~(PC_QUERY_NOCACHE | PC_QUERY_NOSTALE)) != 0 || q->pct_roll < 0 ||
        q->pct_roll > 100 || q->ndkim > PC_EVAL_DKIM_MAX || (q->dkim == NULL && q->ndkim > 0))
        return PC_EINVAL;
    memset(spec, 0, sizeof(*spec));
    spec->type = PC_MSG_DMARC_EVAL;
    spec->flags = header_flags(q->flags);
    if ((rc = check_name(q->from)) != 0)
        return rc;
    spec->domain = q->from;
    if (q->spf_result != PC_SPF_UNSET) {
        /* the filter's own SPF result: no SPF inputs with it */
        if ((int)q->spf_result < PC_SPF_NONE || (int)q->spf_result > PC_SPF_MAX_ ||
            q->ip != NULL || q->mailfrom != NULL || q->helo != NULL ||
            (q->spf_scope != 0 && q->spf_scope != PC_SPF_CHECK_MAILFROM &&
             q->spf_scope != PC_SPF_CHECK_HELO))
            return PC_EINVAL;
        if ((rc = check_name(q->spf_domain)) != 0)
            return rc;
        spec->spf_result = (uint8_t)q->spf_result;
        spec->spf_domain = q->spf_domain;
        spec->spf_scope = (uint8_t)(q->spf_scope != 0 ? q->spf_scope : PC_SPF_CHECK_MAILFROM);
    } else if (q->spf_domain != NULL ||
               (rc = spf_inputs(q->ip, q->mailfrom, q->helo, spec)) != 0) {
        return rc != 0 ? rc : PC_EINVAL;
    }
    for (size_t i = 0; i < q->ndkim; i++) {
        const pc_eval_dkim_t *k = &q->dkim[i];
        if ((int)k->result < PC_DKIM_NONE || (int)k->result > PC_DKIM_MAX_)
            return PC_EINVAL;
        if ((rc = check_name(k->d)) != 0 || (k->s != NULL && (rc = check_name(k->s)) != 0))
            return rc;
    }
    spec->dkim = q->dkim;
    spec->ndkim = q->ndkim;
    spec->pct_roll = q->pct_roll;
    return 0;
}

static void put_eval(pc_wbuf_t *b, const pcc_reqspec_t *s)
{
    pc_wbuf_str(b, PC_T_DOMAIN, s->domain);
    if (s->spf_result != 0) {
        pc_wbuf_u8(b, PC_T_SPF_RESULT, s->spf_result);
        pc_wbuf_str(b, PC_T_SPF_DOMAIN, s->spf_domain);
        pc_wbuf_u8(b, PC_T_SPF_SCOPE, s->spf_scope);
    } else {
        pc_wbuf_bytes(b, PC_T_CLIENT_IP, s->ip, s->ip_len);
        if (s->mailfrom != NULL)
            pc_wbuf_str(b, PC_T_MAILFROM, s->mailfrom);
        if (s->helo != NULL)
            pc_wbuf_str(b, PC_T_HELO, s->helo);
    }
    for (size_t i = 0; i < s->ndkim; i++) {
        pc_wbuf_nest_begin(b, PC_T_DKIM);
        pc_wbuf_str(b, PC_T_DKIM_D, s->dkim[i].d);
        if (s->dkim[i].s != NULL)
            pc_wbuf_str(b, PC_T_DKIM_S, s->dkim[i].s);
        pc_wbuf_u8(b, PC_T_DKIM_RESULT, (uint8_t)s->dkim[i].result);
        pc_wbuf_nest_end(b);
    }
    if (s->pct_roll > 0) /* critical: the draw must not be ignored */
        pc_wbuf_u8(b, PC_T_PCT_ROLL | PC_TLV_CRITICAL, (uint8_t)(s->pct_roll - 1));
}

static int check_dump(const pcc_reqspec_t *s)
{
    const pc_dump_filter_t *f = s->filter;
    int rc;

    if (s->cursor_len > PC_CURSOR_MAX || (s->cursor == NULL && s->cursor_len > 0))
        return PC_EINVAL;
    if (f == NULL)
        return 0;
    if ((int)f->rtype < PC_RT_NONE || (int)f->rtype > PC_RT_MAX_ || f->dnssec < -1 ||
        f->dnssec > PC_DNSSEC_MAX_ || f->expired < -1 || f->expired > 1 ||
        f->limit > PC_DUMP_MAX)
        return PC_EINVAL;
    if (f->suffix != NULL && (rc = check_name(f->suffix)) != 0)
        return rc;
    return 0;
}

static void put_dump(pc_wbuf_t *b, const pcc_reqspec_t *s)
{
    const pc_dump_filter_t *f = s->filter;

    if (f != NULL) {
        if (f->rtype != PC_RT_NONE)
            pc_wbuf_u8(b, PC_T_RTYPE, (uint8_t)f->rtype);
        if (f->suffix != NULL)
            pc_wbuf_str(b, PC_T_SUFFIX, f->suffix);
        if (f->dnssec >= 0)
            pc_wbuf_u8(b, PC_T_DNSSEC_FILTER, (uint8_t)f->dnssec);
        if (f->expired >= 0)
            pc_wbuf_u8(b, PC_T_EXPIRED, (uint8_t)f->expired);
        if (f->limit > 0)
            pc_wbuf_u32(b, PC_T_LIMIT, f->limit);
    }
    if (s->cursor_len > 0)
        pc_wbuf_bytes(b, PC_T_CURSOR, s->cursor, s->cursor_len);
}

int pcc_req_check(const pcc_reqspec_t *s)
{
    int rc = 0;

    switch (s->type) {
    case PC_MSG_DMARC:
        rc = s->discover > PC_METHOD_PSL + 1 ? PC_EINVAL : check_name(s->domain);
        break;
    case PC_MSG_SPF:
        rc = check_name(s->domain);
        break;
    case PC_MSG_DKIM:
        if ((rc = check_name(s->selector)) == 0)
            rc = check_name(s->domain);
        break;
    case PC_MSG_FLUSH:
        if (!s->flush_all)
            rc = check_name(s->domain);
        break;
    case PC_MSG_DUMP:
        rc = check_dump(s);
        break;
    case PC_MSG_SPF_CHECK:
        rc = s->ip_len == 4 || s->ip_len == 16 ? 0 : PC_EINVAL;
        break;
    case PC_MSG_DMARC_EVAL:
        rc = check_name(s->domain);
        if (rc == 0 && s->spf_result == 0 && s->ip_len != 4 && s->ip_len != 16)
            rc = PC_EINVAL;
        break;
    case PC_MSG_PING:
    case PC_MSG_STATS:
    case PC_MSG_CANCEL:
        break;
    default:
        rc = PC_EINVAL;
        break;
    }
    return rc;
}

int pcc_req_encode(pc_wbuf_t *b, uint32_t id, const pcc_reqspec_t *s)
{
    int rc = pcc_req_check(s);

    if (rc != 0)
        return rc;
    pc_wbuf_frame_begin(b, s->type, s->flags, id);
    switch (s->type) {
    case PC_MSG_DKIM:
        pc_wbuf_str(b, PC_T_SELECTOR, s->selector);
        pc_wbuf_str(b, PC_T_DOMAIN, s->domain);
        break;
    case PC_MSG_DMARC:
        pc_wbuf_str(b, PC_T_DOMAIN, s->domain);
        if (s->discover > 0) /* critical: an older daemon must refuse it */
            pc_wbuf_u8(b, PC_T_DISCOVER | PC_TLV_CRITICAL, (uint8_t)(s->discover - 1));
        break;
    case PC_MSG_SPF:
        pc_wbuf_str(b, PC_T_DOMAIN, s->domain);
        break;
    case PC_MSG_FLUSH:
        if (s->flush_all)
            pc_wbuf_u8(b, PC_T_ALL, 1);
        else
            pc_wbuf_str(b, PC_T_DOMAIN, s->domain);
        break;
    case PC_MSG_DUMP:
        put_dump(b, s);
        break;
    case PC_MSG_CANCEL:
        pc_wbuf_u32(b, PC_T_TARGET_ID, s->target_id);
        break;
    case PC_MSG_SPF_CHECK:
        pc_wbuf_bytes(b, PC_T_CLIENT_IP, s->ip, s->ip_len);
        if (s->mailfrom != NULL)
            pc_wbuf_str(b, PC_T_MAILFROM, s->mailfrom);
        if (s->helo != NULL)
            pc_wbuf_str(b, PC_T_HELO, s->helo);
        break;
    case PC_MSG_DMARC_EVAL:
        put_eval(b, s);
        break;
    default:
        break;
    }
    return pc_wbuf_frame_end(b);
}
