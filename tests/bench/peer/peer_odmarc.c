/*
 * peer_odmarc.c - the libopendmarc baseline: one DMARC evaluation of a
 * message the way the OpenDMARC filter does it, with libspf2 supplying
 * SPF (peer_spf2.c, the same shared SPF_server as the SPF baseline).
 * libopendmarc 1.4.2 implements RFC 7489 only: the From domain's record,
 * else the organizational domain's from the Public Suffix List
 * (opendmarc_tld_read_file, as the filter's PublicSuffixList option). It
 * has no cache: every evaluation runs res_ninit and res_nquery for each
 * _dmarc name, against the name server in OPENDMARC_LIB_T.nsaddr_list.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/types.h>
#include <opendmarc/dmarc.h>

#include "peer.h"

typedef struct odmarc {
    OPENDMARC_LIB_T lib;
    void *spf;      /* the libspf2 server */
} odmarc_t;

static int od_open(const peer_opts_t *o, void **shared)
{
    odmarc_t *od;
    int rc;

    if (o->task != PEER_DMARC) {
        fprintf(stderr, "peerbench: the opendmarc engine answers DMARC evaluations only\n");
        return -1;
    }
    if ((od = calloc(1, sizeof(*od))) == NULL)
        return -1;
    od->lib.tld_type = OPENDMARC_TLD_TYPE_MOZILLA;
    snprintf((char *)od->lib.tld_source_file, sizeof(od->lib.tld_source_file), "%s",
             o->psl ? o->psl : "/usr/share/publicsuffix/public_suffix_list.dat");
    od->lib.nscount = 1;
    od->lib.nsaddr_list[0].sin_family = AF_INET;
    od->lib.nsaddr_list[0].sin_port = htons(53);
    if (inet_pton(AF_INET, o->ns ? o->ns : "127.0.0.1", &od->lib.nsaddr_list[0].sin_addr) != 1) {
        fprintf(stderr, "peerbench: --ns must be an IPv4 address\n");
        goto err;
    }
    if ((rc = opendmarc_policy_library_init(&od->lib)) != DMARC_PARSE_OKAY) {
        fprintf(stderr, "peerbench: opendmarc_policy_library_init: %s\n",
                opendmarc_policy_status_to_str(rc));
        goto err;
    }
    /* The OpenDMARC filter loads its PublicSuffixList like this. */
    if ((rc = opendmarc_tld_read_file((char *)od->lib.tld_source_file, "//", "*.", "!")) != 0) {
        fprintf(stderr, "peerbench: cannot read %s (%d)\n", od->lib.tld_source_file, rc);
        goto err;
    }
    if ((od->spf = peer_spf2_server_new(o->spf2_cache_bits)) == NULL) {
        fprintf(stderr, "peerbench: cannot make a libspf2 server\n");
        goto err;
    }
    *shared = od;
    return 0;
err:
    free(od);
    return -1;
}

static int od_thread_open(void *shared, void **state)
{
    *state = shared;
    return 0;
}

/* libspf2's result as the OpenDMARC filter hands it to libopendmarc. */
static int spf_outcome(const char *r)
{
    if (strcmp(r, "pass") == 0)
        return DMARC_POLICY_SPF_OUTCOME_PASS;
    if (strcmp(r, "none") == 0)
        return DMARC_POLICY_SPF_OUTCOME_NONE;
    if (strcmp(r, "temperror") == 0)
        return DMARC_POLICY_SPF_OUTCOME_TMPFAIL;
    return DMARC_POLICY_SPF_OUTCOME_FAIL;
}

static int od_eval(void *state, const peer_msg_t *msg, char *verdict, size_t cap)
{
    odmarc_t *od = state;
    peer_msg_t copy = *msg; /* libopendmarc takes writable strings */
    peer_msg_t *m = &copy;
    DMARC_POLICY_T *p;
    char spfdom[256];
    const char *spf, *disp = "-";
    int st, pol, dkim_al = 0, spf_al = 0, rc = 0;

    spf = peer_spf2_check(od->spf, m, spfdom, sizeof(spfdom));
    p = opendmarc_policy_connect_init((u_char *)m->ip, strchr(m->ip, ':') != NULL);
    if (p == NULL) {
        snprintf(verdict, cap, "opendmarc_policy_connect_init failed");
        return -1;
    }
    if (opendmarc_policy_store_from_domain(p, (u_char *)m->from) != DMARC_PARSE_OKAY) {
        snprintf(verdict, cap, "opendmarc_policy_store_from_domain failed");
        rc = -1;
        goto out;
    }
    st = opendmarc_policy_query_dmarc(p, (u_char *)m->from);
    switch (st) {
    case DMARC_PARSE_OKAY:
        break;
    case DMARC_DNS_ERROR_NO_RECORD:
    case DMARC_DNS_ERROR_NXDOMAIN:
        peer_dmarc_verdict(verdict, cap, "none", spf, "", 0, 0);
        goto out;
    case DMARC_DNS_ERROR_TMPERR:
        peer_dmarc_verdict(verdict, cap, "temperror", spf, "", 0, 0);
        goto out;
    default: /* the record is there but does not parse */
        peer_dmarc_verdict(verdict, cap, "permerror", spf, "", 0, 0);
        goto out;
    }
    if (spfdom[0] != '\0')
        opendmarc_policy_store_spf(p, (u_char *)spfdom, spf_outcome(spf),
                                   m->mailfrom[0] ? DMARC_POLICY_SPF_ORIGIN_MAILFROM
                                                  : DMARC_POLICY_SPF_ORIGIN_HELO,
                                   NULL);
    for (int i = 0; i < m->ndkim; i++)
        opendmarc_policy_store_dkim(p, (u_char *)m->dkim[i].d, (u_char *)m->dkim[i].s,
                                    m->dkim[i].pass ? DMARC_POLICY_DKIM_OUTCOME_PASS
                                                    : DMARC_POLICY_DKIM_OUTCOME_FAIL,
                                    NULL);
    pol = opendmarc_get_policy_to_enforce(p);
    opendmarc_policy_fetch_alignment(p, &dkim_al, &spf_al);
    switch (pol) {
    case DMARC_POLICY_ABSENT:
        peer_dmarc_verdict(verdict, cap, "none", spf, "", 0, 0);
        goto out;
    case DMARC_POLICY_PASS: disp = "none"; break;
    case DMARC_POLICY_REJECT: disp = "reject"; break;
    case DMARC_POLICY_QUARANTINE: disp = "quarantine"; break;
    case DMARC_POLICY_NONE: disp = "none"; break;
    default:
        snprintf(verdict, cap, "opendmarc_get_policy_to_enforce: %s",
                 opendmarc_policy_status_to_str(pol));
        rc = -1;
        goto out;
    }
    peer_dmarc_verdict(verdict, cap, pol == DMARC_POLICY_PASS ? "pass" : "fail", spf, disp,
                       spf_al == DMARC_POLICY_SPF_ALIGNMENT_PASS,
                       dkim_al == DMARC_POLICY_DKIM_ALIGNMENT_PASS);
out:
    opendmarc_policy_connect_shutdown(p);
    return rc;
}

static void od_thread_close(void *state)
{
    (void)state;
}

static void od_close(void *shared)
{
    odmarc_t *od = shared;

    if (od == NULL)
        return;
    peer_spf2_server_free(od->spf);
    opendmarc_policy_library_shutdown(&od->lib);
    free(od);
}

const peer_engine_t peer_engine_odmarc = {
    "libopendmarc", od_open, od_thread_open, od_eval, od_thread_close, od_close, NULL,
};
