/*
 * cutil.c - the world cases as the client sees them, and the daemon of a
 * client end-to-end test program.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cutil.h"

const ccase_t cu_cases[] = {
    {PC_RT_DMARC, "secure.pcw", NULL, PC_OUTCOME_FOUND, PC_DNSSEC_SECURE, "v=DMARC1; p=reject", "p=reject", NULL},
    {PC_RT_DMARC, "SECURE.pcw.", NULL, PC_OUTCOME_FOUND, PC_DNSSEC_SECURE, NULL, "p=reject", NULL},
    {PC_RT_DMARC, "insecure.pcw", NULL, PC_OUTCOME_FOUND, PC_DNSSEC_INSECURE, "p=none", "p=none", NULL},
    {PC_RT_DMARC, "cname.secure.pcw", NULL, PC_OUTCOME_FOUND, PC_DNSSEC_SECURE, "p=quarantine", "pct=50", NULL},
    {PC_RT_DMARC, "cnameinsec.secure.pcw", NULL, PC_OUTCOME_FOUND, PC_DNSSEC_INSECURE, NULL, "p=none", NULL},
    {PC_RT_DMARC, "bogus-ds.pcw", NULL, PC_OUTCOME_TEMPFAIL, PC_DNSSEC_BOGUS, NULL, NULL, "validation failure"},
    {PC_RT_DMARC, "expired.pcw", NULL, PC_OUTCOME_TEMPFAIL, PC_DNSSEC_BOGUS, NULL, NULL, "expired"},
    {PC_RT_DMARC, "nonexistent.secure.pcw", NULL, PC_OUTCOME_NXDOMAIN, PC_DNSSEC_SECURE, NULL, NULL, NULL},
    {PC_RT_DMARC, "twodmarc.secure.pcw", NULL, PC_OUTCOME_NORECORD, PC_DNSSEC_SECURE, NULL, NULL, "multiple"},
    {PC_RT_DMARC, "servfail.pcw", NULL, PC_OUTCOME_TEMPFAIL, PC_DNSSEC_NONE, NULL, NULL, NULL},
    {PC_RT_SPF, "secure.pcw", NULL, PC_OUTCOME_FOUND, PC_DNSSEC_SECURE, "v=spf1 ip4:192.0.2.0/24 -all", NULL, NULL},
    {PC_RT_SPF, "insecure.pcw", NULL, PC_OUTCOME_FOUND, PC_DNSSEC_INSECURE, "v=spf1", NULL, NULL},
    {PC_RT_SPF, "twospf.secure.pcw", NULL, PC_OUTCOME_PERMERROR, PC_DNSSEC_SECURE, NULL, NULL, "more than one v=spf1"},
    {PC_RT_SPF, "nodata.secure.pcw", NULL, PC_OUTCOME_NORECORD, PC_DNSSEC_SECURE, NULL, NULL, NULL},
    {PC_RT_SPF, "nonexistent.insecure.pcw", NULL, PC_OUTCOME_NXDOMAIN, PC_DNSSEC_INSECURE, NULL, NULL, NULL},
    {PC_RT_DKIM, "secure.pcw", "sel", PC_OUTCOME_FOUND, PC_DNSSEC_SECURE, "v=DKIM1; k=rsa", "key-bits=2048", NULL},
    {PC_RT_DKIM, "secure.pcw", "ed", PC_OUTCOME_FOUND, PC_DNSSEC_SECURE, "k=ed25519", "key-type=ed25519", NULL},
    {PC_RT_DKIM, "secure.pcw", "missing", PC_OUTCOME_NXDOMAIN, PC_DNSSEC_SECURE, NULL, NULL, NULL},
};
const size_t cu_ncases = sizeof(cu_cases) / sizeof(cu_cases[0]);

int cu_check(const ccase_t *k, const pc_result_t *r, char *why, size_t cap)
{
    const char *v;

    if (r == NULL) {
        snprintf(why, cap, "no result");
        return 0;
    }
    if (r->rtype != k->rtype || r->outcome != k->outcome || r->dnssec != k->dnssec) {
        snprintf(why, cap, "%s: rtype %d outcome %d dnssec %d (want %d %d %d) why [%s]",
                 k->domain, r->rtype, r->outcome, r->dnssec, k->rtype, k->outcome,
                 k->dnssec, r->why);
        return 0;
    }
    if (k->raw != NULL && strstr(r->raw, k->raw) == NULL) {
        snprintf(why, cap, "%s: raw [%s] lacks [%s]", k->domain, r->raw, k->raw);
        return 0;
    }
    if (k->why != NULL && strstr(r->why, k->why) == NULL) {
        snprintf(why, cap, "%s: why [%s] lacks [%s]", k->domain, r->why, k->why);
        return 0;
    }
    if (k->field != NULL) {
        const char *eq = strchr(k->field, '=');
        char name[64];
        snprintf(name, sizeof(name), "%.*s", (int)(eq - k->field), k->field);
        v = pc_result_field(r, name);
        if (v == NULL || strcmp(v, eq + 1) != 0) {
            snprintf(why, cap, "%s: field %s is [%s]", k->domain, k->field, v ? v : "(none)");
            return 0;
        }
    }
    return 1;
}

pc_query_t cu_query(const ccase_t *k, unsigned flags)
{
    pc_query_t q;
    q.rtype = k->rtype;
    q.domain = k->domain;
    q.selector = k->selector;
    q.flags = flags;
    return q;
}

uint64_t cu_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static dproc_t daemon_proc;
static int daemon_started;

dproc_t *cu_daemon(void)
{
    if (!daemon_started) {
        dproc_init(&daemon_proc, dproc_world_conf());
        dproc_start(&daemon_proc);
        daemon_started = 1;
    }
    return &daemon_proc;
}

void cu_daemon_stop(void)
{
    if (!daemon_started)
        return;
    dproc_stop(&daemon_proc);
    dproc_cleanup(&daemon_proc);
    daemon_started = 0;
}
