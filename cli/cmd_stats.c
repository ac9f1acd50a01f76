/*
 * cmd_stats.c - `dmarc-query stats`: the daemon's version (pc_client_ping)
 * and its counters (pc_client_stats), in the order it sends them.
 */
#include <string.h>
#include <sysexits.h>

#include "cli.h"

int cli_cmd_stats(cli_t *cli, int argc, char **argv)
{
    pc_ping_t ping;
    pc_stats_t *s = NULL;
    size_t name_w = 0;
    int val_w = 1;
    int rc;

    (void)argc;
    (void)argv;
    if ((rc = pc_client_ping(cli->client, cli->timeout_ms, &ping)) != 0 ||
        (rc = pc_client_stats(cli->client, cli->timeout_ms, &s)) != 0)
        return cli_fail(cli, rc, "stats");
    if (cli->json) {
        cli_json_str(&cli->jw, "version", ping.version[0] != '\0' ? ping.version : NULL);
        cli_json_uint(&cli->jw, "protocol", ping.proto_version);
        cli_json_obj_begin(&cli->jw, "counters");
        for (size_t i = 0; i < s->count; i++)
            cli_json_uint(&cli->jw, s->items[i].name, s->items[i].value);
        cli_json_obj_end(&cli->jw);
    } else {
        cli_out_heading(cli, "%s (protocol %u): %zu counters",
                        ping.version[0] != '\0' ? ping.version : "polcached",
                        ping.proto_version, s->count);
        for (size_t i = 0; i < s->count; i++) {
            size_t w = strlen(s->items[i].name);
            name_w = w > name_w ? w : name_w;
        }
        for (size_t i = 0; i < s->count; i++) {
            char num[24];
            int w = snprintf(num, sizeof(num), "%llu", (unsigned long long)s->items[i].value);
            val_w = w > val_w ? w : val_w;
        }
        name_w = name_w > 56 ? 56 : name_w;
        for (size_t i = 0; i < s->count; i++) {
            size_t col = 2;
            fputs("  ", cli->out);
            col += cli_out_escaped(cli->out, s->items[i].name, strlen(s->items[i].name));
            for (; col < 2 + name_w; col++)
                fputc(' ', cli->out);
            fprintf(cli->out, "  %*llu\n", val_w, (unsigned long long)s->items[i].value);
        }
    }
    pc_stats_free(s);
    return EX_OK;
}
