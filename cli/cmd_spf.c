/*
 * cmd_spf.c - `dmarc-query spf DOMAIN`: the SPF record of DOMAIN
 * (pc_client_spf), its terms in order with what each mechanism's
 * qualifier gives, which terms cost a DNS lookup, the daemon's count of
 * them against the RFC 7208 limit of 10, and its warnings.
 */
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cli.h"

#define SPF_LOOKUP_LIMIT 10 /* RFC 7208 §4.6.4 */

static const char *const mechanisms[] = {"all", "include", "a",  "mx",
                                         "ptr", "ip4",     "ip6", "exists"};
/* The terms that query the DNS and count against the limit (§4.6.4). */
static const char *const querying[] = {"include", "a", "mx", "ptr", "exists", "redirect"};

static int in_list(const char *const *list, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(list[i], name) == 0)
            return 1;
    }
    return 0;
}

/* One term, from the parsed field the daemon sent: name "ip4" with value
 * "+192.0.2.0/24" (a mechanism's value starts with its qualifier, which
 * was written in the record when in_record is 1), or a modifier's name
 * and value. */
typedef struct term {
    const char *name;
    int mechanism;
    char qualifier;   /* '+', '-', '~', '?'; 0 for a modifier */
    int explicit_q;   /* the qualifier was written */
    const char *arg;  /* the rest ("" when none) */
    size_t arg_len;
    int dns;          /* costs a DNS lookup */
} term_t;

static term_t term_of(const pc_field_t *f)
{
    term_t t;

    memset(&t, 0, sizeof(t));
    t.name = f->name;
    t.mechanism = in_list(mechanisms, sizeof(mechanisms) / sizeof(mechanisms[0]), f->name);
    t.dns = in_list(querying, sizeof(querying) / sizeof(querying[0]), f->name);
    t.arg = f->value;
    t.arg_len = f->value_len;
    if (t.mechanism && t.arg_len > 0 && strchr("+-~?", t.arg[0]) != NULL) {
        t.qualifier = t.arg[0];
        t.explicit_q = f->in_record;
        t.arg++;
        t.arg_len--;
    }
    return t;
}

/* The term as written: [qualifier]name[:arg|/cidr], or name=value. */
static size_t term_text(const term_t *t, char *buf, size_t cap)
{
    size_t n = 0, nl = strlen(t->name);

    if (cap < nl + t->arg_len + 3)
        return 0;
    if (t->explicit_q)
        buf[n++] = t->qualifier;
    memcpy(buf + n, t->name, nl);
    n += nl;
    if (t->arg_len > 0) {
        if (!t->mechanism)
            buf[n++] = '=';
        else if (t->arg[0] != '/')
            buf[n++] = ':';
        memcpy(buf + n, t->arg, t->arg_len);
        n += t->arg_len;
    } else if (!t->mechanism) {
        buf[n++] = '=';
    }
    buf[n] = '\0';
    return n;
}

static const char *qualifier_result(char q)
{
    switch (q) {
    case '+': return "pass";
    case '-': return "fail";
    case '~': return "softfail";
    case '?': return "neutral";
    default: return NULL;
    }
}

static int is_term(const pc_result_t *r, const pc_field_t *f)
{
    return strcmp(f->name, "v") != 0 && !cli_record_is_finding(r, f->name);
}

static void json_terms(cli_t *cli, const pc_result_t *r, const char *lookups)
{
    cli_json_t *w = &cli->jw;
    char buf[4200];

    cli_json_arr_begin(w, "terms");
    for (size_t i = 0; i < r->nfields; i++) {
        term_t t;
        size_t n;
        if (!is_term(r, &r->fields[i]))
            continue;
        t = term_of(&r->fields[i]);
        n = term_text(&t, buf, sizeof(buf));
        cli_json_obj_begin(w, NULL);
        cli_json_strn(w, "term", buf, n);
        cli_json_str(w, "name", t.name);
        cli_json_str(w, "kind", t.mechanism ? "mechanism" : "modifier");
        if (t.qualifier != 0)
            cli_json_strn(w, "qualifier", &t.qualifier, 1);
        else
            cli_json_null(w, "qualifier");
        cli_json_str(w, "result", qualifier_result(t.qualifier));
        if (t.arg_len > 0)
            cli_json_strn(w, "value", t.arg, t.arg_len);
        else
            cli_json_null(w, "value");
        cli_json_bool(w, "dns_lookup", t.dns);
        cli_json_obj_end(w);
    }
    cli_json_arr_end(w);
    if (lookups != NULL)
        cli_json_uint(w, "dns_lookups", strtoull(lookups, NULL, 10));
    else
        cli_json_null(w, "dns_lookups");
    cli_json_uint(w, "dns_lookups_limit", SPF_LOOKUP_LIMIT);
}

static void print_terms(cli_t *cli, const pc_result_t *r, const char *lookups)
{
    size_t nterms = 0, k = 0;
    char buf[4200];

    for (size_t i = 0; i < r->nfields; i++)
        nterms += is_term(r, &r->fields[i]);
    if (nterms == 0)
        return;
    fputc('\n', cli->out);
    if (lookups != NULL)
        cli_out_heading(cli, "Terms (%zu; DNS lookups: %s of %d)", nterms, lookups,
                        SPF_LOOKUP_LIMIT);
    else
        cli_out_heading(cli, "Terms (%zu)", nterms);
    for (size_t i = 0; i < r->nfields; i++) {
        term_t t;
        size_t n, col;
        const char *res;
        if (!is_term(r, &r->fields[i]))
            continue;
        t = term_of(&r->fields[i]);
        n = term_text(&t, buf, sizeof(buf));
        col = (size_t)fprintf(cli->out, "  %2zu. ", ++k);
        col = cli_out_wrap(cli->out, col, 6, buf, n);
        if (col > 48) {
            fputc('\n', cli->out);
            col = 0;
        }
        for (; col < 50; col++)
            fputc(' ', cli->out);
        res = qualifier_result(t.qualifier);
        cli_out_color(cli, CLI_C_DIM);
        if (t.dns)
            fprintf(cli->out, "%-9s dns-lookup", res != NULL ? res : "modifier");
        else
            fputs(res != NULL ? res : "modifier", cli->out);
        cli_out_reset(cli, CLI_C_DIM);
        fputc('\n', cli->out);
    }
}

int cli_cmd_spf(cli_t *cli, int argc, char **argv)
{
    const char *domain = argv[argc - 1];
    pc_query_t q = {PC_RT_SPF, domain, NULL, 0};
    pc_result_t *r = NULL;
    const char *lookups;
    int rc, ex;

    if (cli->seen & CLI_O_NOCACHE)
        q.flags |= PC_QUERY_NOCACHE;
    rc = pc_client_query(cli->client, &q, cli->timeout_ms, &r);
    if (rc != 0)
        return cli_fail(cli, rc, domain);
    lookups = pc_result_field(r, "dns-lookups");
    if (cli->json) {
        cli_record_json_head(cli, domain, r);
        json_terms(cli, r, lookups);
        cli_record_json_tail(cli, r);
    } else {
        char title[1200];
        snprintf(title, sizeof(title), "SPF record of %s", domain);
        cli_record_print_head(cli, title, r);
        print_terms(cli, r, lookups);
        cli_record_print_tail(cli, r);
    }
    ex = cli_record_exit(r);
    pc_result_free(r);
    return ex;
}
