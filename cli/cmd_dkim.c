/*
 * cmd_dkim.c - `dmarc-query dkim SELECTOR DOMAIN`: the DKIM key record at
 * SELECTOR._domainkey.DOMAIN (pc_client_dkim), its key type and size, its
 * flags (t=), hash algorithms (h=) and service types (s=), and whether the
 * key can verify anything: the daemon's findings key-type, key-bits,
 * usable and reason.
 */
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cli.h"

static int has_flag(const char *list, const char *flag)
{
    size_t n = strlen(flag);

    for (const char *p = list; p != NULL && *p != '\0';) {
        const char *e = strchr(p, ':');
        size_t len = e != NULL ? (size_t)(e - p) : strlen(p);
        if (len == n && strncmp(p, flag, n) == 0)
            return 1;
        p = e != NULL ? e + 1 : NULL;
    }
    return 0;
}

/* A ':'-separated tag value as a JSON array of strings. */
static void json_list(cli_json_t *w, const char *key, const char *list)
{
    cli_json_arr_begin(w, key);
    for (const char *p = list; p != NULL && *p != '\0';) {
        const char *e = strchr(p, ':');
        size_t len = e != NULL ? (size_t)(e - p) : strlen(p);
        cli_json_strn(w, NULL, p, len);
        p = e != NULL ? e + 1 : NULL;
    }
    cli_json_arr_end(w);
}

static const char *reason_text(const char *reason)
{
    static const struct {
        const char *name, *text;
    } reasons[] = {
        {"usable", "usable"},
        {"revoked", "revoked: empty p="},
        {"unknown-key-type", "the key type (k=) is unknown"},
        {"not-for-email", "s= excludes email"},
        {"sha1-only", "h= allows only SHA-1"},
        {"no-usable-hash", "h= allows no usable hash"},
        {"weak-key", "RSA key under 1024 bits"},
    };

    for (size_t i = 0; reason != NULL && i < sizeof(reasons) / sizeof(reasons[0]); i++) {
        if (strcmp(reasons[i].name, reason) == 0)
            return reasons[i].text;
    }
    return reason != NULL ? reason : "?";
}

static void json_key(cli_t *cli, const pc_result_t *r)
{
    cli_json_t *w = &cli->jw;
    const char *type = pc_result_field(r, "key-type"), *bits = pc_result_field(r, "key-bits"),
               *usable = pc_result_field(r, "usable"), *reason = pc_result_field(r, "reason"),
               *t = pc_result_field(r, "t");

    if (r->outcome != PC_OUTCOME_FOUND || type == NULL) {
        cli_json_null(w, "key");
        return;
    }
    cli_json_obj_begin(w, "key");
    cli_json_str(w, "type", type);
    cli_json_uint(w, "bits", bits != NULL ? strtoull(bits, NULL, 10) : 0);
    cli_json_bool(w, "usable", usable != NULL && strcmp(usable, "yes") == 0);
    cli_json_str(w, "reason", reason);
    cli_json_bool(w, "revoked", reason != NULL && strcmp(reason, "revoked") == 0);
    cli_json_bool(w, "testing", has_flag(t, "y"));
    cli_json_bool(w, "strict", has_flag(t, "s"));
    json_list(w, "flags", t);
    json_list(w, "hashes", pc_result_field(r, "h"));
    json_list(w, "services", pc_result_field(r, "s"));
    cli_json_obj_end(w);
}

static void print_key(cli_t *cli, const pc_result_t *r)
{
    const char *type = pc_result_field(r, "key-type"), *bits = pc_result_field(r, "key-bits"),
               *usable = pc_result_field(r, "usable"), *reason = pc_result_field(r, "reason"),
               *t = pc_result_field(r, "t"), *h = pc_result_field(r, "h"),
               *s = pc_result_field(r, "s");
    int ok = usable != NULL && strcmp(usable, "yes") == 0;
    char flags[256] = "";

    if (r->outcome != PC_OUTCOME_FOUND || type == NULL)
        return;
    fputc('\n', cli->out);
    cli_out_heading(cli, "Key");
    cli_out_kv(cli, "type", CLI_C_NONE, "%s, %s bits", type, bits != NULL ? bits : "?");
    cli_out_kv(cli, "usable", ok ? CLI_C_GOOD : CLI_C_BAD, "%s", ok ? "yes" : "no");
    if (!ok)
        cli_out_kv(cli, "reason", CLI_C_BAD, "%s", reason_text(reason));
    if (has_flag(t, "y"))
        strcat(flags, "y: testing, verifiers may treat signatures as unsigned; ");
    if (has_flag(t, "s"))
        strcat(flags, "s: strict, i= must be in d= exactly; ");
    if (flags[0] != '\0')
        flags[strlen(flags) - 2] = '\0';
    cli_out_kv(cli, "flags", CLI_C_NONE, "%s", flags[0] != '\0' ? flags : "none");
    cli_out_kv(cli, "hashes", CLI_C_NONE, "%s", h == NULL || strcmp(h, "*") == 0 ? "any" : h);
    cli_out_kv(cli, "services", CLI_C_NONE, "%s", s == NULL || strcmp(s, "*") == 0 ? "any" : s);
}

int cli_cmd_dkim(cli_t *cli, int argc, char **argv)
{
    const char *selector = argv[argc - 2], *domain = argv[argc - 1];
    pc_query_t q = {PC_RT_DKIM, domain, selector, 0};
    pc_result_t *r = NULL;
    int rc, ex;

    if (cli->seen & CLI_O_NOCACHE)
        q.flags |= PC_QUERY_NOCACHE;
    rc = pc_client_query(cli->client, &q, cli->timeout_ms, &r);
    if (rc != 0)
        return cli_fail(cli, rc, domain);
    if (cli->json) {
        cli_record_json_head(cli, domain, r);
        cli_json_str(&cli->jw, "selector", selector);
        json_key(cli, r);
        cli_record_json_tags(cli, r);
        cli_record_json_tail(cli, r);
    } else {
        char title[2200];
        snprintf(title, sizeof(title), "DKIM key %s for %s", selector, domain);
        cli_record_print_head(cli, title, r);
        print_key(cli, r);
        cli_record_print_tags(cli, r);
        cli_record_print_tail(cli, r);
    }
    ex = cli_record_exit(r);
    pc_result_free(r);
    return ex;
}
