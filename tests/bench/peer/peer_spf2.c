/*
 * peer_spf2.c - the libspf2 baseline: RFC 7208 check_host() for a
 * message's client address, MAIL FROM and HELO, through libspf2's
 * resolv DNS layer (res_ninit/res_nquery: /etc/resolv.conf, port 53),
 * with or without its in-process cache layer on top. One SPF_server is
 * shared by every client thread, as a milter shares it; each check is
 * one SPF_request.
 */
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <spf2/spf.h>
#include <spf2/spf_dns_cache.h>
#include <spf2/spf_dns_resolv.h>

#include "peer.h"

void *peer_spf2_server_new(int cache_bits)
{
    SPF_dns_server_t *resolv, *cache;

    if (cache_bits == 0)
        return SPF_server_new(SPF_DNS_RESOLV, 0);
    if (cache_bits == 8) /* exactly what SPF_DNS_CACHE builds */
        return SPF_server_new(SPF_DNS_CACHE, 0);
    if (cache_bits < 1 || cache_bits > 16)
        return NULL;
    if ((resolv = SPF_dns_resolv_new(NULL, NULL, 0)) == NULL)
        return NULL;
    if ((cache = SPF_dns_cache_new(resolv, NULL, 0, cache_bits)) == NULL)
        return NULL;
    return SPF_server_new_dns(cache, 0);
}

void peer_spf2_server_free(void *server)
{
    if (server != NULL)
        SPF_server_free(server);
}

static const char *result_name(SPF_response_t *r)
{
    switch (SPF_response_result(r)) {
    case SPF_RESULT_NEUTRAL: return "neutral";
    case SPF_RESULT_PASS: return "pass";
    case SPF_RESULT_FAIL: return "fail";
    case SPF_RESULT_SOFTFAIL: return "softfail";
    case SPF_RESULT_NONE: return "none";
    case SPF_RESULT_TEMPERROR: return "temperror";
    case SPF_RESULT_PERMERROR: return "permerror";
    default: {
        /* SPF_RESULT_INVALID: libspf2 gave up before a result (a DNS
         * error or an unusable record at the top level). Reported as it
         * is, with the first error libspf2 recorded, never mapped. */
        static _Thread_local char buf[64];
        int code = SPF_response_messages(r) > 0
                       ? (int)SPF_error_code(SPF_response_message(r, 0))
                       : (int)SPF_response_errcode(r);
        snprintf(buf, sizeof(buf), "invalid(%d)", code);
        return buf;
    }
    }
}

const char *peer_spf2_check(void *server, const peer_msg_t *m, char *dom, size_t cap)
{
    SPF_request_t *req = SPF_request_new(server);
    SPF_response_t *resp = NULL;
    const char *res = "internal-error", *at;

    dom[0] = '\0';
    if (req == NULL)
        return res;
    if ((strchr(m->ip, ':') ? SPF_request_set_ipv6_str(req, m->ip)
                            : SPF_request_set_ipv4_str(req, m->ip)) != SPF_E_SUCCESS)
        goto out;
    if (m->helo[0] != '\0' && SPF_request_set_helo_dom(req, m->helo) != SPF_E_SUCCESS)
        goto out;
    /* "" (the null reverse-path) makes libspf2 check postmaster@HELO. */
    if (SPF_request_set_env_from(req, m->mailfrom) != 0)
        goto out;
    SPF_request_query_mailfrom(req, &resp);
    if (resp == NULL)
        goto out;
    res = result_name(resp);
    at = strrchr(m->mailfrom, '@');
    snprintf(dom, cap, "%s", m->mailfrom[0] == '\0' ? m->helo : at ? at + 1 : m->mailfrom);
out:
    if (resp != NULL)
        SPF_response_free(resp);
    SPF_request_free(req);
    return res;
}

/* ---- the engine: SPF checks only ---- */

static int spf2_open(const peer_opts_t *o, void **shared)
{
    if (o->task != PEER_SPF) {
        fprintf(stderr, "peerbench: the spf2 engine answers SPF checks only\n");
        return -1;
    }
    if ((*shared = peer_spf2_server_new(o->spf2_cache_bits)) == NULL) {
        fprintf(stderr, "peerbench: cannot make a libspf2 server\n");
        return -1;
    }
    return 0;
}

static int spf2_thread_open(void *shared, void **state)
{
    *state = shared;
    return 0;
}

static int spf2_eval(void *state, const peer_msg_t *m, char *verdict, size_t cap)
{
    char dom[256];

    snprintf(verdict, cap, "%s", peer_spf2_check(state, m, dom, sizeof(dom)));
    return 0;
}

static void spf2_thread_close(void *state)
{
    (void)state;
}

const peer_engine_t peer_engine_spf2 = {
    "libspf2", spf2_open, spf2_thread_open, spf2_eval, spf2_thread_close, peer_spf2_server_free,
    NULL,
};
