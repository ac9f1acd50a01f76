/*
 * cmd_cache.c - the cache commands: `flush NAME|--all` (pc_client_flush,
 * pc_client_flush_all) and `dump` (pc_client_dump, every page, filtered by
 * --type, --suffix, --dnssec, --expired or --fresh). Both need an admin
 * peer of polcached.
 */
#include <string.h>
#include <sysexits.h>

#include "cli.h"

int cli_check_flush(cli_t *cli, int argc, char **argv)
{
    (void)argv;
    if (((cli->seen & CLI_O_ALL) != 0) == (argc > 1)) {
        fprintf(stderr, "dmarc-query: flush takes a NAME or --all (one of the two)\n");
        return EX_USAGE;
    }
    return EX_OK;
}

int cli_cmd_flush(cli_t *cli, int argc, char **argv)
{
    int all = (cli->seen & CLI_O_ALL) != 0, rc;
    const char *name = argc > 1 ? argv[1] : NULL;
    uint32_t count = 0;

    rc = all ? pc_client_flush_all(cli->client, cli->timeout_ms, &count)
             : pc_client_flush(cli->client, name, cli->timeout_ms, &count);
    if (rc != 0)
        return cli_fail(cli, rc, all ? "flush --all" : name);
    if (cli->json) {
        cli_json_str(&cli->jw, "name", name);
        cli_json_bool(&cli->jw, "all", all);
        cli_json_uint(&cli->jw, "flushed", count);
    } else if (all) {
        fprintf(cli->out, "flushed the whole cache: %u %s\n", (unsigned)count,
                count == 1 ? "entry" : "entries");
    } else {
        char line[1200];
        snprintf(line, sizeof(line), "flushed %u %s at and below %s", (unsigned)count,
                 count == 1 ? "entry" : "entries", name);
        cli_out_wrap(cli->out, 0, 2, line, strlen(line));
        fputc('\n', cli->out);
    }
    return EX_OK;
}

/* ---- dump ---- */

#define NAME_COL 38 /* width of the name column of a dump line */

static void json_filter(cli_t *cli)
{
    const pc_dump_filter_t *f = &cli->filter;
    cli_json_t *w = &cli->jw;

    cli_json_obj_begin(w, "filter");
    cli_json_str(w, "type", f->rtype != PC_RT_NONE ? cli_rtype_name(f->rtype) : NULL);
    cli_json_str(w, "suffix", f->suffix);
    cli_json_str(w, "dnssec", f->dnssec >= 0 ? cli_dnssec_name((pc_dnssec_t)f->dnssec) : NULL);
    if (f->expired < 0)
        cli_json_null(w, "expired");
    else
        cli_json_bool(w, "expired", f->expired);
    cli_json_obj_end(w);
}

static void json_entry(cli_t *cli, const pc_dump_entry_t *e)
{
    cli_json_t *w = &cli->jw;

    cli_json_obj_begin(w, NULL);
    cli_json_str(w, "type", cli_rtype_name(e->rtype));
    cli_json_str(w, "qname", e->qname);
    cli_json_str(w, "outcome", cli_outcome_name(e->outcome));
    cli_json_str(w, "dnssec", cli_dnssec_name(e->dnssec));
    cli_json_uint(w, "ttl", e->ttl);
    cli_json_uint(w, "age", e->age);
    cli_json_bool(w, "expired", e->ttl == 0);
    if (e->raw_len > 0)
        cli_json_strn(w, "record", e->raw, e->raw_len);
    else
        cli_json_null(w, "record");
    cli_json_str(w, "why", e->why[0] != '\0' ? e->why : NULL);
    cli_json_obj_end(w);
}

/* "dmarc  _dmarc.example.org   found     secure      287     13", then the
 * record (or the reason of a failure) on the next line, cut to one line
 * unless -v. */
static void print_entry(cli_t *cli, const pc_dump_entry_t *e)
{
    size_t col, w = cli_out_width(e->qname, strlen(e->qname));
    const char *text = e->raw_len > 0 ? e->raw : e->why;
    size_t n = e->raw_len > 0 ? e->raw_len : strlen(e->why);
    char ttl[16];

    col = (size_t)fprintf(cli->out, "%-5s  ", cli_rtype_name(e->rtype));
    col += cli_out_escaped(cli->out, e->qname, strlen(e->qname));
    if (w > NAME_COL) {
        fputc('\n', cli->out);
        col = 0;
    }
    for (; col < 7 + NAME_COL + 1; col++)
        fputc(' ', cli->out);
    cli_out_color(cli, cli_outcome_color(e->outcome));
    fprintf(cli->out, "%-10s", cli_outcome_name(e->outcome));
    cli_out_reset(cli, cli_outcome_color(e->outcome));
    fputc(' ', cli->out);
    cli_out_color(cli, cli_dnssec_color(e->dnssec));
    fprintf(cli->out, "%-8s", cli_dnssec_name(e->dnssec));
    cli_out_reset(cli, cli_dnssec_color(e->dnssec));
    if (e->ttl == 0)
        snprintf(ttl, sizeof(ttl), "expired");
    else
        snprintf(ttl, sizeof(ttl), "%u", (unsigned)e->ttl);
    fprintf(cli->out, " %7s %6u\n", ttl, (unsigned)e->age);
    if (n == 0)
        return;
    fputs("       ", cli->out);
    cli_out_color(cli, CLI_C_DIM);
    if (cli->verbose == 0 && cli_out_width(text, n) > CLI_WIDTH - 7) {
        cli_out_escaped(cli->out, text, cli_out_fit(text, n, CLI_WIDTH - 7 - 3));
        fputs("...", cli->out);
    } else {
        cli_out_wrap(cli->out, 7, 7, text, n);
    }
    cli_out_reset(cli, CLI_C_DIM);
    fputc('\n', cli->out);
}

int cli_check_dump(cli_t *cli, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    if ((cli->seen & CLI_O_EXPIRED) && (cli->seen & CLI_O_FRESH)) {
        fprintf(stderr, "dmarc-query: --expired and --fresh exclude each other\n");
        return EX_USAGE;
    }
    if (cli->seen & (CLI_O_EXPIRED | CLI_O_FRESH))
        cli->filter.expired = (cli->seen & CLI_O_EXPIRED) ? 1 : 0;
    return EX_OK;
}

int cli_cmd_dump(cli_t *cli, int argc, char **argv)
{
    pc_dump_page_t *page = NULL, *prev = NULL;
    size_t count = 0, pages = 0;
    int rc;

    (void)argc;
    (void)argv;
    if (cli->json) {
        json_filter(cli);
        cli_json_arr_begin(&cli->jw, "entries");
    }
    do {
        rc = pc_client_dump(cli->client, &cli->filter, prev, cli->timeout_ms, &page);
        pc_dump_page_free(prev);
        prev = page;
        if (rc != 0)
            break;
        if (pages++ == 0 && !cli->json) /* the heading once the daemon answers */
            cli_out_heading(cli, "%-5s  %-*s %-10s %-8s %7s %6s", "TYPE", NAME_COL, "NAME",
                            "OUTCOME", "DNSSEC", "TTL", "AGE");
        for (size_t i = 0; i < page->count; i++) {
            if (cli->json)
                json_entry(cli, &page->entries[i]);
            else
                print_entry(cli, &page->entries[i]);
        }
        count += page->count;
    } while (page->more);
    pc_dump_page_free(prev);
    if (cli->json) {
        cli_json_arr_end(&cli->jw);
        cli_json_uint(&cli->jw, "count", count);
        cli_json_uint(&cli->jw, "pages", pages);
        cli_json_bool(&cli->jw, "complete", rc == 0);
    } else if (pages > 0) {
        fprintf(cli->out, "%zu %s%s\n", count, count == 1 ? "entry" : "entries",
                rc == 0 ? "" : " (incomplete: the dump failed)");
    }
    if (rc != 0)
        return cli_fail(cli, rc, "dump");
    return count > 0 ? EX_OK : CLI_EXIT_NORECORD;
}
