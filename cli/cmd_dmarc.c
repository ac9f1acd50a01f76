/*
 * cmd_dmarc.c - `dmarc-query DOMAIN`: the DMARC policy that applies to
 * mail from DOMAIN, discovered by polcached as a filter would get it
 * (pc_client_dmarc_policy: the tree walk or the PSL, every name asked),
 * or with --exact the record at _dmarc.DOMAIN alone (pc_client_dmarc).
 */
#include <string.h>
#include <strings.h>
#include <sysexits.h>

#include "cli.h"

static const char *method_name(int m)
{
    switch (m) {
    case PC_METHOD_TREEWALK: return "treewalk";
    case PC_METHOD_PSL: return "psl";
    default: return NULL;
    }
}

static const char *method_text(int m)
{
    switch (m) {
    case PC_METHOD_TREEWALK: return "RFC 9989 tree walk";
    case PC_METHOD_PSL: return "RFC 7489, organizational domain from the Public Suffix List";
    default: return "none";
    }
}

static const char *psd_name(int psd)
{
    switch (psd) {
    case PC_PSD_UNSET: return "u";
    case PC_PSD_YES: return "y";
    case PC_PSD_NO: return "n";
    default: return NULL;
    }
}

static int same_name(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);

    if (na > 0 && a[na - 1] == '.')
        na--;
    if (nb > 0 && b[nb - 1] == '.')
        nb--;
    return na == nb && strncasecmp(a, b, na) == 0;
}

/* Which tag of the policy record applies to the author domain: p for its
 * own record, else sp when it exists and np when it does not (RFC 9989
 * §4.10). NULL when no policy applies or it is not known. */
static const char *policy_tag(const char *domain, const pc_result_t *r)
{
    if (r->outcome != PC_OUTCOME_FOUND || r->policy_domain[0] == '\0')
        return NULL;
    if (same_name(r->policy_domain, domain))
        return "p";
    if (r->exists == PC_EXISTS_YES)
        return "sp";
    if (r->exists == PC_EXISTS_NO)
        return "np";
    return NULL;
}

static void json_discovery(cli_t *cli, const char *domain, const pc_result_t *r)
{
    cli_json_t *w = &cli->jw;
    const char *tag = policy_tag(domain, r);

    cli_json_obj_begin(w, "discovery");
    cli_json_str(w, "method", method_name(r->method));
    cli_json_str(w, "org_domain", r->org_domain[0] != '\0' ? r->org_domain : NULL);
    cli_json_str(w, "policy_domain", r->policy_domain[0] != '\0' ? r->policy_domain : NULL);
    if (r->exists == PC_EXISTS_UNKNOWN)
        cli_json_null(w, "domain_exists");
    else
        cli_json_bool(w, "domain_exists", r->exists == PC_EXISTS_YES);
    cli_json_str(w, "policy_tag", tag);
    cli_json_str(w, "policy", tag != NULL ? pc_result_field(r, tag) : NULL);
    cli_json_arr_begin(w, "walk");
    for (size_t i = 0; i < r->nwalk; i++) {
        const pc_walk_t *s = &r->walk[i];
        cli_json_obj_begin(w, NULL);
        cli_json_str(w, "qname", s->qname);
        cli_json_str(w, "outcome", cli_outcome_name(s->outcome));
        cli_json_str(w, "dnssec", cli_dnssec_name(s->dnssec));
        cli_json_str(w, "cache", cli_cache_name(s->cache));
        cli_json_str(w, "psd", psd_name(s->psd));
        cli_json_obj_end(w);
    }
    cli_json_arr_end(w);
    cli_json_obj_end(w);
}

/* One name asked by the walk: "  1. qname  outcome  dnssec  cache  psd=x",
 * the name on a line of its own when the columns would not fit. */
static void print_step(cli_t *cli, size_t i, const pc_walk_t *s, size_t name_w)
{
    size_t col, w = cli_out_width(s->qname, strlen(s->qname));
    const char *psd = psd_name(s->psd);

    col = (size_t)fprintf(cli->out, "  %2zu. ", i + 1);
    col += cli_out_escaped(cli->out, s->qname, strlen(s->qname));
    if (col + (name_w - w) + 34 > CLI_WIDTH) {
        fputc('\n', cli->out);
        col = (size_t)fprintf(cli->out, "      ");
    } else {
        for (; w < name_w; w++, col++)
            fputc(' ', cli->out);
    }
    fputs("  ", cli->out);
    cli_out_color(cli, cli_outcome_color(s->outcome));
    fprintf(cli->out, "%-9s", cli_outcome_name(s->outcome));
    cli_out_reset(cli, cli_outcome_color(s->outcome));
    fputc(' ', cli->out);
    cli_out_color(cli, cli_dnssec_color(s->dnssec));
    fprintf(cli->out, "%-8s", cli_dnssec_name(s->dnssec));
    cli_out_reset(cli, cli_dnssec_color(s->dnssec));
    if (psd != NULL)
        fprintf(cli->out, " %-5s psd=%s", cli_cache_name(s->cache), psd);
    else
        fprintf(cli->out, " %s", cli_cache_name(s->cache));
    fputc('\n', cli->out);
}

static void print_discovery(cli_t *cli, const char *domain, const pc_result_t *r)
{
    const char *tag = policy_tag(domain, r);
    size_t name_w = 0;

    fputc('\n', cli->out);
    cli_out_heading(cli, "Discovery (the default; --exact asks _dmarc.%s alone)", domain);
    cli_out_kv(cli, "method", CLI_C_NONE, "%s", method_text(r->method));
    cli_out_kv(cli, "org domain", CLI_C_NONE, "%s",
               r->org_domain[0] != '\0' ? r->org_domain : "(none)");
    cli_out_kv(cli, "policy from", CLI_C_NONE, "%s",
               r->policy_domain[0] != '\0' ? r->policy_domain : "(no record applies)");
    if (r->exists != PC_EXISTS_UNKNOWN)
        cli_out_kv(cli, "domain", CLI_C_NONE, "%s %s", domain,
                   r->exists == PC_EXISTS_YES ? "exists" : "does not exist (NXDOMAIN)");
    if (tag != NULL) {
        const char *v = pc_result_field(r, tag);
        cli_out_kv(cli, "applies", CLI_C_BOLD, "%s=%s (%s)", tag, v != NULL ? v : "?",
                   tag[0] == 'p' ? "the domain's own record"
                   : tag[0] == 's' ? "the subdomain policy: the domain exists"
                                   : "the policy for non-existent subdomains");
    }
    for (size_t i = 0; i < r->nwalk; i++) {
        size_t w = cli_out_width(r->walk[i].qname, strlen(r->walk[i].qname));
        name_w = w > name_w ? w : name_w;
    }
    fprintf(cli->out, "  names asked (%zu):\n", r->nwalk);
    for (size_t i = 0; i < r->nwalk; i++)
        print_step(cli, i, &r->walk[i], name_w);
}

int cli_check_dmarc(cli_t *cli, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    if ((cli->seen & CLI_O_EXACT) && (cli->seen & CLI_O_METHOD)) {
        fprintf(stderr, "dmarc-query: --method is for discovery, not with --exact\n");
        return EX_USAGE;
    }
    return EX_OK;
}

int cli_cmd_dmarc(cli_t *cli, int argc, char **argv)
{
    const char *domain = argv[argc - 1];
    int exact = (cli->seen & CLI_O_EXACT) != 0, rc, ex;
    pc_query_t q = {PC_RT_DMARC, domain, NULL, 0};
    pc_result_t *r = NULL;

    if (!exact)
        q.flags |= cli->method == PC_METHOD_TREEWALK ? PC_QUERY_TREEWALK
                   : cli->method == PC_METHOD_PSL    ? PC_QUERY_PSL
                                                     : PC_QUERY_DISCOVER;
    if (cli->seen & CLI_O_NOCACHE)
        q.flags |= PC_QUERY_NOCACHE;
    rc = pc_client_query(cli->client, &q, cli->timeout_ms, &r);
    if (rc != 0)
        return cli_fail(cli, rc, domain);
    if (cli->json) {
        cli_record_json_head(cli, domain, r);
        cli_json_str(&cli->jw, "mode", exact ? "exact" : "discover");
        cli_record_json_tags(cli, r);
        if (exact)
            cli_json_null(&cli->jw, "discovery");
        else
            json_discovery(cli, domain, r);
        cli_record_json_tail(cli, r);
    } else {
        char title[1200];
        if (exact)
            snprintf(title, sizeof(title), "DMARC record at _dmarc.%s", domain);
        else
            snprintf(title, sizeof(title), "DMARC policy for %s", domain);
        cli_record_print_head(cli, title, r);
        if (!exact)
            print_discovery(cli, domain, r);
        cli_record_print_tags(cli, r);
        cli_record_print_tail(cli, r);
    }
    ex = cli_record_exit(r);
    pc_result_free(r);
    return ex;
}
