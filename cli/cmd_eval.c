/*
 * cmd_eval.c - `dmarc-query eval --from DOMAIN (--spf RESULT:DOMAIN |
 * --ip IP --mailfrom M [--helo H]) [--dkim RESULT:DOMAIN[:SELECTOR]]...`:
 * the DMARC verdict polcached gives for one message (pc_client_eval): the
 * result, the policy that applied and the disposition, how each
 * identifier aligned, and the Authentication-Results fragment.
 */
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cli.h"

/* ---- the options of eval (parsed by main.c's table) ---- */

int cli_opt_from(cli_t *cli, const char *arg)
{
    cli->eval.from = arg;
    return arg[0] != '\0' ? 0 : -1;
}

int cli_opt_spf(cli_t *cli, const char *arg)
{
    char *colon;
    int r;

    if (strlen(arg) >= sizeof(cli->spf_arg))
        return -1;
    strcpy(cli->spf_arg, arg);
    colon = strchr(cli->spf_arg, ':');
    if (colon == NULL || colon[1] == '\0')
        return -1;
    *colon = '\0';
    if ((r = cli_spf_result_parse(cli->spf_arg)) < 0)
        return -1;
    cli->eval.spf_result = (pc_spf_result_t)r;
    cli->eval.spf_domain = colon + 1;
    return 0;
}

int cli_opt_scope(cli_t *cli, const char *arg)
{
    if (strcmp(arg, "mailfrom") == 0)
        cli->eval.spf_scope = PC_SPF_CHECK_MAILFROM;
    else if (strcmp(arg, "helo") == 0)
        cli->eval.spf_scope = PC_SPF_CHECK_HELO;
    else
        return -1;
    return 0;
}

/* RESULT:DOMAIN[:SELECTOR], split in a copy kept in cli. */
int cli_opt_dkim(cli_t *cli, const char *arg)
{
    char *buf, *c1, *c2;
    pc_eval_dkim_t *k;
    int r;

    if (cli->eval.ndkim >= PC_EVAL_DKIM_MAX || strlen(arg) >= sizeof(cli->dkim_arg[0]))
        return -1;
    buf = cli->dkim_arg[cli->eval.ndkim];
    strcpy(buf, arg);
    if ((c1 = strchr(buf, ':')) == NULL)
        return -1;
    *c1++ = '\0';
    if ((r = cli_dkim_result_parse(buf, strlen(buf))) < 0)
        return -1;
    if ((c2 = strchr(c1, ':')) != NULL)
        *c2++ = '\0';
    if (c1[0] == '\0' || (c2 != NULL && c2[0] == '\0'))
        return -1;
    k = &cli->dkim[cli->eval.ndkim++];
    k->result = (pc_dkim_result_t)r;
    k->d = c1;
    k->s = c2;
    cli->eval.dkim = cli->dkim;
    return 0;
}

int cli_opt_ip(cli_t *cli, const char *arg)
{
    cli->eval.ip = arg;
    return 0;
}

int cli_opt_mailfrom(cli_t *cli, const char *arg)
{
    cli->eval.mailfrom = strcmp(arg, "<>") == 0 ? "" : arg;
    return 0;
}

int cli_opt_helo(cli_t *cli, const char *arg)
{
    cli->eval.helo = arg;
    return arg[0] != '\0' ? 0 : -1;
}

int cli_opt_roll(cli_t *cli, const char *arg)
{
    char *end;
    long n = strtol(arg, &end, 10);

    if (end == arg || *end != '\0' || n < 0 || n > 99)
        return -1;
    cli->eval.pct_roll = (int)n + 1;
    return 0;
}

int cli_check_eval(cli_t *cli, int argc, char **argv)
{
    int given = (cli->seen & CLI_O_SPF) != 0;
    int run = (cli->seen & (CLI_O_IP | CLI_O_MAILFROM | CLI_O_HELO)) != 0;

    (void)argc;
    (void)argv;
    if (!(cli->seen & CLI_O_FROM)) {
        fprintf(stderr, "dmarc-query: eval needs --from DOMAIN\n");
        return EX_USAGE;
    }
    if (given == run) {
        fprintf(stderr, "dmarc-query: eval takes either --spf RESULT:DOMAIN or --ip with "
                        "--mailfrom and/or --helo\n");
        return EX_USAGE;
    }
    if (run && !(cli->seen & CLI_O_IP)) {
        fprintf(stderr, "dmarc-query: --mailfrom and --helo need --ip\n");
        return EX_USAGE;
    }
    if ((cli->seen & CLI_O_SCOPE) && !given) {
        fprintf(stderr, "dmarc-query: --spf-scope goes with --spf\n");
        return EX_USAGE;
    }
    return EX_OK;
}

/* ---- output ---- */

static int eval_exit(pc_dmarc_result_t r)
{
    switch (r) {
    case PC_DMARC_R_PASS:
    case PC_DMARC_R_FAIL: return EX_OK; /* a verdict */
    case PC_DMARC_R_NONE: return CLI_EXIT_NORECORD;
    case PC_DMARC_R_TEMPERROR: return EX_TEMPFAIL;
    case PC_DMARC_R_PERMERROR: return EX_DATAERR;
    default: return EX_SOFTWARE;
    }
}

static const char *ident_result(const pc_eval_ident_t *d)
{
    return d->kind == PC_EVAL_SPF ? cli_spf_result_name((pc_spf_result_t)d->result)
                                  : cli_dkim_result_name((pc_dkim_result_t)d->result);
}

static const char *empty_null(const char *s)
{
    return s[0] != '\0' ? s : NULL;
}

static void json_eval(cli_t *cli, const pc_eval_result_t *r)
{
    cli_json_t *w = &cli->jw;

    cli_json_str(w, "from", cli->eval.from);
    cli_json_str(w, "result", cli_dmarc_result_name(r->result));
    cli_json_str(w, "auth_results", empty_null(r->auth_results));
    cli_json_str(w, "why", empty_null(r->why));
    cli_json_str(w, "policy_tag", empty_null(r->policy_tag));
    cli_json_str(w, "policy", empty_null(r->policy));
    cli_json_str(w, "disposition", empty_null(r->disposition));
    cli_json_str(w, "recommended", empty_null(r->recommended));
    cli_json_bool(w, "testing", r->testing);
    cli_json_uint(w, "pct", (unsigned)r->pct);
    cli_json_bool(w, "sampled_out", r->sampled_out);
    cli_json_str(w, "method", r->method == PC_METHOD_TREEWALK ? "treewalk"
                              : r->method == PC_METHOD_PSL    ? "psl"
                                                              : NULL);
    cli_json_str(w, "org_domain", empty_null(r->org_domain));
    cli_json_str(w, "policy_domain", empty_null(r->policy_domain));
    cli_json_str(w, "dnssec", cli_dnssec_name(r->dnssec));
    cli_json_str(w, "rua", empty_null(r->rua));
    cli_json_str(w, "ruf", empty_null(r->ruf));
    cli_json_uint(w, "ttl", r->ttl);
    if (r->spf_result != PC_SPF_UNSET) {
        cli_json_obj_begin(w, "spf");
        cli_json_str(w, "result", cli_spf_result_name(r->spf_result));
        cli_json_str(w, "spf_domain", empty_null(r->spf_domain));
        cli_json_obj_end(w);
    } else {
        cli_json_null(w, "spf");
    }
    cli_json_arr_begin(w, "identifiers");
    for (size_t i = 0; i < r->nidents; i++) {
        const pc_eval_ident_t *d = &r->idents[i];
        cli_json_obj_begin(w, NULL);
        cli_json_str(w, "kind", d->kind == PC_EVAL_SPF ? "spf" : "dkim");
        cli_json_str(w, "domain", empty_null(d->domain));
        cli_json_str(w, "selector", empty_null(d->selector));
        cli_json_str(w, "result", ident_result(d));
        cli_json_str(w, "alignment", d->mode == 's' ? "strict" : d->mode == 'r' ? "relaxed" : NULL);
        if (d->aligned == PC_ALIGNED_UNKNOWN)
            cli_json_null(w, "aligned");
        else
            cli_json_bool(w, "aligned", d->aligned == PC_ALIGNED_YES);
        cli_json_str(w, "org_domain", empty_null(d->org_domain));
        cli_json_obj_end(w);
    }
    cli_json_arr_end(w);
}

static enum cli_color result_color(pc_dmarc_result_t r)
{
    return r == PC_DMARC_R_PASS ? CLI_C_GOOD : r == PC_DMARC_R_NONE ? CLI_C_WARN : CLI_C_BAD;
}

static void print_eval(cli_t *cli, const pc_eval_result_t *r)
{
    cli_out_heading(cli, "DMARC evaluation of mail from %s", cli->eval.from);
    cli_out_kv(cli, "result", result_color(r->result), "%s", cli_dmarc_result_name(r->result));
    if (r->why[0] != '\0')
        cli_out_kv(cli, "why", CLI_C_NONE, "%s", r->why);
    cli_out_kv(cli, "A-R", CLI_C_NONE, "%s", r->auth_results);
    if (r->policy[0] != '\0') {
        cli_out_kv(cli, "policy", CLI_C_NONE, "%s=%s, from the record of %s", r->policy_tag,
                   r->policy, r->policy_domain);
        cli_out_kv(cli, "disposition", CLI_C_BOLD, "%s (recommended: %s)", r->disposition,
                   r->recommended);
        cli_out_kv(cli, "t and pct", CLI_C_NONE, "t=%s, pct=%d%s", r->testing ? "y" : "n",
                   r->pct, r->sampled_out ? ", sampled out" : "");
    }
    if (r->org_domain[0] != '\0')
        cli_out_kv(cli, "org domain", CLI_C_NONE, "%s (%s)", r->org_domain,
                   r->method == PC_METHOD_PSL ? "RFC 7489, PSL" : "RFC 9989 tree walk");
    cli_out_kv(cli, "dnssec", cli_dnssec_color(r->dnssec), "%s", cli_dnssec_text(r->dnssec));
    cli_out_ttl(cli, r->ttl);
    if (r->spf_result != PC_SPF_UNSET)
        cli_out_kv(cli, "spf", CLI_C_NONE, "%s for %s (run by polcached)",
                   cli_spf_result_name(r->spf_result), r->spf_domain);
    if (r->rua[0] != '\0')
        cli_out_kv(cli, "rua", CLI_C_NONE, "%s", r->rua);
    if (r->ruf[0] != '\0')
        cli_out_kv(cli, "ruf", CLI_C_NONE, "%s", r->ruf);
    if (r->nidents == 0)
        return;
    fputc('\n', cli->out);
    cli_out_heading(cli, "Identifiers (%zu)", r->nidents);
    for (size_t i = 0; i < r->nidents; i++) {
        const pc_eval_ident_t *d = &r->idents[i];
        char line[1200];
        snprintf(line, sizeof(line), "%-4s %-9s %s%s%s: %s, %s%s%s", d->kind == PC_EVAL_SPF ? "spf" : "dkim",
                 ident_result(d), d->domain, d->selector[0] != '\0' ? " s=" : "", d->selector,
                 d->aligned == PC_ALIGNED_YES ? "aligned"
                 : d->aligned == PC_ALIGNED_NO ? "not aligned"
                                               : "alignment unknown",
                 d->mode == 's' ? "strict" : "relaxed",
                 d->org_domain[0] != '\0' ? ", org " : "", d->org_domain);
        fputs("  ", cli->out);
        cli_out_wrap(cli->out, 2, 17, line, strlen(line));
        fputc('\n', cli->out);
    }
}

int cli_cmd_eval(cli_t *cli, int argc, char **argv)
{
    pc_eval_result_t *r = NULL;
    int rc, ex;

    (void)argc;
    (void)argv;
    if (cli->seen & CLI_O_NOCACHE)
        cli->eval.flags |= PC_QUERY_NOCACHE;
    rc = pc_client_eval(cli->client, &cli->eval, cli->timeout_ms, &r);
    if (rc != 0)
        return cli_fail(cli, rc, "eval");
    if (cli->json)
        json_eval(cli, r);
    else
        print_eval(cli, r);
    ex = eval_exit(r->result);
    pc_eval_result_free(r);
    return ex;
}
