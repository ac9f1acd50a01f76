/*
 * record.c - what the DMARC, SPF and DKIM commands share: the exit code of
 * an outcome, and the parts of a record answer every one of them shows
 * (the name asked, outcome, record text, DNSSEC and cache state, TTL and
 * age; warnings and the reason of a failure), in both output forms.
 */
#include <string.h>
#include <sysexits.h>

#include "cli.h"

int cli_record_exit(const pc_result_t *r)
{
    switch (r->outcome) {
    case PC_OUTCOME_FOUND: return EX_OK;
    case PC_OUTCOME_NORECORD:
    case PC_OUTCOME_NXDOMAIN: return CLI_EXIT_NORECORD;
    case PC_OUTCOME_TEMPFAIL: return EX_TEMPFAIL;
    case PC_OUTCOME_PERMERROR: return EX_DATAERR;
    case PC_OUTCOME_UNSET: break;
    }
    return EX_SOFTWARE;
}

/* Fields the daemon adds to a record's tags: what it found out about the
 * record rather than what the record says. */
static const struct finding {
    pc_rtype_t rtype;
    const char *name;
} findings[] = {
    {PC_RT_SPF, "dns-lookups"},
    {PC_RT_DKIM, "key-type"},
    {PC_RT_DKIM, "key-bits"},
    {PC_RT_DKIM, "usable"},
    {PC_RT_DKIM, "reason"},
};

int cli_record_is_finding(const pc_result_t *r, const char *name)
{
    for (size_t i = 0; i < sizeof(findings) / sizeof(findings[0]); i++) {
        if (findings[i].rtype == r->rtype && strcmp(findings[i].name, name) == 0)
            return 1;
    }
    return 0;
}

void cli_record_json_head(cli_t *cli, const char *domain, const pc_result_t *r)
{
    cli_json_t *w = &cli->jw;

    cli_json_str(w, "domain", domain);
    cli_json_str(w, "qname", r->qname[0] != '\0' ? r->qname : NULL);
    cli_json_str(w, "outcome", cli_outcome_name(r->outcome));
    cli_json_str(w, "dnssec", cli_dnssec_name(r->dnssec));
    cli_json_str(w, "cache", cli_cache_name(r->cache));
    cli_json_uint(w, "ttl", r->ttl);
    cli_json_uint(w, "age", r->age);
    if (r->raw_len > 0)
        cli_json_strn(w, "record", r->raw, r->raw_len);
    else
        cli_json_null(w, "record");
    cli_json_str(w, "why", r->why[0] != '\0' ? r->why : NULL);
}

void cli_record_json_tail(cli_t *cli, const pc_result_t *r)
{
    cli_json_t *w = &cli->jw;

    cli_json_arr_begin(w, "warnings");
    for (size_t i = 0; i < r->nwarnings; i++) {
        const char *s = r->warnings[i], *colon = strstr(s, ": ");
        cli_json_obj_begin(w, NULL);
        if (colon != NULL) {
            cli_json_strn(w, "code", s, (size_t)(colon - s));
            cli_json_str(w, "text", colon + 2);
        } else {
            cli_json_null(w, "code");
            cli_json_str(w, "text", s);
        }
        cli_json_obj_end(w);
    }
    cli_json_arr_end(w);
}

/* Record texts longer than this are cut in human output unless -v. */
#define LONG_RECORD 200

void cli_record_print_head(cli_t *cli, const char *title, const pc_result_t *r)
{
    const char *cache;

    cli_out_heading(cli, "%s", title);
    if (r->qname[0] != '\0')
        cli_out_kv(cli, "name", CLI_C_NONE, "%s", r->qname);
    cli_out_kv(cli, "outcome", cli_outcome_color(r->outcome), "%s",
               cli_outcome_text(r->outcome));
    if (r->why[0] != '\0')
        cli_out_kv(cli, "why", CLI_C_NONE, "%s", r->why);
    if (r->raw_len > LONG_RECORD && cli->verbose == 0) {
        char cut[LONG_RECORD + 64];
        int n;
        memcpy(cut, r->raw, LONG_RECORD - 40);
        n = snprintf(cut + LONG_RECORD - 40, sizeof(cut) - (LONG_RECORD - 40),
                     "... (%zu octets, -v shows all)", r->raw_len);
        cli_out_kvn(cli, "record", CLI_C_NONE, cut, LONG_RECORD - 40 + (n > 0 ? (size_t)n : 0));
    } else if (r->raw_len > 0) {
        cli_out_kvn(cli, "record", CLI_C_NONE, r->raw, r->raw_len);
    }
    cli_out_kv(cli, "dnssec", cli_dnssec_color(r->dnssec), "%s", cli_dnssec_text(r->dnssec));
    switch (r->cache) {
    case PC_CACHE_HIT: cache = "hit: from the cache"; break;
    case PC_CACHE_MISS: cache = "miss: resolved for this request"; break;
    case PC_CACHE_STALE: cache = "stale: past its TTL, upstream failed"; break;
    default: cache = "none"; break;
    }
    cli_out_kv(cli, "cache", r->cache == PC_CACHE_STALE ? CLI_C_WARN : CLI_C_NONE, "%s", cache);
    cli_out_kv(cli, "ttl", CLI_C_NONE, "%u s left, fetched %u s ago", (unsigned)r->ttl,
               (unsigned)r->age);
}

void cli_record_print_tail(cli_t *cli, const pc_result_t *r)
{
    if (r->nwarnings == 0)
        return;
    fputc('\n', cli->out);
    cli_out_heading(cli, "Warnings (%zu)", r->nwarnings);
    for (size_t i = 0; i < r->nwarnings; i++) {
        const char *s = r->warnings[i], *colon = strstr(s, ": ");
        size_t col = 2;
        fputs("  ", cli->out);
        if (colon != NULL) {
            cli_out_color(cli, CLI_C_WARN);
            col += cli_out_escaped(cli->out, s, (size_t)(colon - s));
            cli_out_reset(cli, CLI_C_WARN);
            fputs(": ", cli->out);
            col += 2;
            s = colon + 2;
        }
        cli_out_wrap(cli->out, col, 4, s, strlen(s));
        fputc('\n', cli->out);
    }
}

void cli_record_json_tags(cli_t *cli, const pc_result_t *r)
{
    cli_json_t *w = &cli->jw;

    cli_json_arr_begin(w, "tags");
    for (size_t i = 0; i < r->nfields; i++) {
        const pc_field_t *f = &r->fields[i];
        if (cli_record_is_finding(r, f->name))
            continue;
        cli_json_obj_begin(w, NULL);
        cli_json_str(w, "name", f->name);
        cli_json_strn(w, "value", f->value, f->value_len);
        cli_json_bool(w, "default", !f->in_record);
        cli_json_obj_end(w);
    }
    cli_json_arr_end(w);
}

/* Values longer than this are cut in human output unless -v is given. */
#define LONG_VALUE 48

void cli_record_print_tags(cli_t *cli, const pc_result_t *r)
{
    size_t ntags = 0, ndefault = 0;

    for (size_t i = 0; i < r->nfields; i++) {
        if (!cli_record_is_finding(r, r->fields[i].name)) {
            ntags++;
            ndefault += !r->fields[i].in_record;
        }
    }
    if (ntags == 0)
        return;
    fputc('\n', cli->out);
    cli_out_heading(cli, "Tags (%zu in the record, %zu by default)", ntags - ndefault, ndefault);
    for (size_t i = 0; i < r->nfields; i++) {
        const pc_field_t *f = &r->fields[i];
        size_t col = 2, n = f->value_len;
        int cut = cli->verbose == 0 && n > LONG_VALUE;
        if (cli_record_is_finding(r, f->name))
            continue;
        fputs("  ", cli->out);
        col += cli_out_escaped(cli->out, f->name, strlen(f->name));
        for (; col < 10; col++)
            fputc(' ', cli->out);
        fputc(' ', cli->out);
        col++;
        if (n == 0)
            col = cli_out_wrap(cli->out, col, 11, "(none)", 6);
        else
            col = cli_out_wrap(cli->out, col, 11, f->value, cut ? LONG_VALUE : n);
        if (cut)
            col = cli_out_wrap(cli->out, col, 11, "... (-v shows all)", 18);
        if (!f->in_record) {
            cli_out_color(cli, CLI_C_DIM);
            cli_out_wrap(cli->out, col, 11, "  (default)", 11);
            cli_out_reset(cli, CLI_C_DIM);
        }
        fputc('\n', cli->out);
    }
}
