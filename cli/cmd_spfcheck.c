/*
 * cmd_spfcheck.c - `dmarc-query check-spf IP MAILFROM [HELO]`: SPF
 * check_host() run by polcached (pc_client_spf_check) for a client
 * address and its MAIL FROM ("" or "<>" for the null reverse-path, which
 * checks postmaster@HELO): the result, the term that decided it and where,
 * the lookup counts, the reason of an error, the DNSSEC and cache state
 * of the answers it used, how long the answer holds (TTL), and, when the
 * daemon sends them, the exp= explanation and the Authentication-Results
 * and Received-SPF texts.
 */
#include <string.h>
#include <sysexits.h>

#include "cli.h"

/* A definitive result is "found"; none is no record; the errors follow
 * the record commands. */
static int spf_exit(pc_spf_result_t r)
{
    switch (r) {
    case PC_SPF_PASS:
    case PC_SPF_FAIL:
    case PC_SPF_SOFTFAIL:
    case PC_SPF_NEUTRAL: return EX_OK;
    case PC_SPF_NONE: return CLI_EXIT_NORECORD;
    case PC_SPF_TEMPERROR: return EX_TEMPFAIL;
    case PC_SPF_PERMERROR: return EX_DATAERR;
    default: return EX_SOFTWARE;
    }
}

static enum cli_color spf_color(pc_spf_result_t r)
{
    switch (r) {
    case PC_SPF_PASS: return CLI_C_GOOD;
    case PC_SPF_FAIL:
    case PC_SPF_TEMPERROR:
    case PC_SPF_PERMERROR: return CLI_C_BAD;
    default: return CLI_C_WARN;
    }
}

static void json_check(cli_t *cli, const pc_spf_query_t *q, const pc_spf_check_t *r)
{
    cli_json_t *w = &cli->jw;

    cli_json_str(w, "ip", q->ip);
    cli_json_str(w, "mailfrom", q->mailfrom);
    cli_json_str(w, "helo", q->helo);
    cli_json_str(w, "result", cli_spf_result_name(r->result));
    cli_json_str(w, "scope", r->scope == PC_SPF_CHECK_HELO ? "helo" : "mailfrom");
    cli_json_str(w, "spf_domain", r->domain[0] != '\0' ? r->domain : NULL);
    cli_json_str(w, "matched", r->matched[0] != '\0' ? r->matched : NULL);
    cli_json_str(w, "term_domain", r->term_domain[0] != '\0' ? r->term_domain : NULL);
    cli_json_uint(w, "dns_lookups", r->lookups);
    cli_json_uint(w, "void_lookups", r->void_lookups);
    cli_json_str(w, "why", r->why[0] != '\0' ? r->why : NULL);
    cli_json_str(w, "dnssec", cli_dnssec_name(r->dnssec));
    cli_json_str(w, "cache", cli_cache_name(r->cache));
    cli_json_str(w, "explanation", r->explanation[0] != '\0' ? r->explanation : NULL);
    cli_json_str(w, "auth_results", r->auth_results[0] != '\0' ? r->auth_results : NULL);
    cli_json_str(w, "received_spf", r->received_spf[0] != '\0' ? r->received_spf : NULL);
    cli_json_uint(w, "ttl", r->ttl);
}

static void print_check(cli_t *cli, const pc_spf_query_t *q, const pc_spf_check_t *r)
{
    const char *cache;

    if (q->mailfrom != NULL && q->mailfrom[0] != '\0')
        cli_out_heading(cli, "SPF check of %s for %s", q->ip, q->mailfrom);
    else
        cli_out_heading(cli, "SPF check of %s for HELO %s", q->ip, q->helo);
    cli_out_kv(cli, "result", spf_color(r->result), "%s", cli_spf_result_name(r->result));
    cli_out_kv(cli, "identity", CLI_C_NONE, "%s %s",
               r->scope == PC_SPF_CHECK_HELO ? "HELO" : "MAIL FROM",
               r->domain[0] != '\0' ? r->domain : "(none)");
    if (r->matched[0] != '\0')
        cli_out_kv(cli, "matched", CLI_C_NONE, "%s (in the record of %s)", r->matched,
                   r->term_domain);
    else
        cli_out_kv(cli, "matched", CLI_C_NONE, "no term");
    if (r->why[0] != '\0')
        cli_out_kv(cli, "why", CLI_C_NONE, "%s", r->why);
    cli_out_kv(cli, "lookups", CLI_C_NONE, "%u of 10 DNS-querying terms, %u of 2 void",
               (unsigned)r->lookups, (unsigned)r->void_lookups);
    cli_out_kv(cli, "dnssec", cli_dnssec_color(r->dnssec), "%s", cli_dnssec_text(r->dnssec));
    switch (r->cache) {
    case PC_CACHE_HIT: cache = "hit: every answer from the cache"; break;
    case PC_CACHE_MISS: cache = "miss: some answers resolved for this check"; break;
    default: cache = "none: no lookup"; break;
    }
    cli_out_kv(cli, "cache", CLI_C_NONE, "%s", cache);
    cli_out_ttl(cli, r->ttl);
    if (r->explanation[0] != '\0')
        cli_out_kv(cli, "explanation", CLI_C_NONE, "%s", r->explanation);
    if (r->auth_results[0] != '\0')
        cli_out_kv(cli, "A-R", CLI_C_NONE, "%s", r->auth_results);
    if (r->received_spf[0] != '\0')
        cli_out_kv(cli, "Received-SPF", CLI_C_NONE, "%s", r->received_spf);
}

int cli_cmd_check_spf(cli_t *cli, int argc, char **argv)
{
    pc_spf_query_t q;
    pc_spf_check_t *r = NULL;
    int rc, ex;

    memset(&q, 0, sizeof(q));
    q.ip = argv[1];
    q.mailfrom = strcmp(argv[2], "<>") == 0 ? "" : argv[2];
    q.helo = argc > 3 ? argv[3] : NULL;
    if (cli->seen & CLI_O_NOCACHE)
        q.flags |= PC_QUERY_NOCACHE;
    rc = pc_client_spf_check(cli->client, &q, cli->timeout_ms, &r);
    if (rc != 0)
        return cli_fail(cli, rc, "check-spf");
    if (cli->json)
        json_check(cli, &q, r);
    else
        print_check(cli, &q, r);
    ex = spf_exit(r->result);
    pc_spf_check_free(r);
    return ex;
}
