/*
 * config_print.c - print a configuration back in file syntax (polcached
 * -n -v): every key, in table order, such that the output parses back to
 * the same settings.
 */
#include <stdio.h>
#include <string.h>

#include "config_impl.h"

static void print_string(FILE *out, const char *key, const char *v)
{
    if (v == NULL || v[0] == '\0' || strpbrk(v, " \t#") != NULL)
        fprintf(out, "%s: \"%s\"\n", key, v != NULL ? v : "");
    else
        fprintf(out, "%s: %s\n", key, v);
}

static void print_number(const pc_config_t *c, const cfg_key_t *k, FILE *out)
{
    const pc_lookup_conf_t *l = &c->lookup;
    uint32_t longest = l->ttl_max > l->neg_ttl_max ? l->ttl_max : l->neg_ttl_max;
    char num[32];

    pc_cfg_fmt_number(num, sizeof(num), k->unit, pc_cfg_num_get(c, k->id));
    if (k->id == K_RESOLVER_CACHE_MAX_TTL && c->resolver.cache_max_ttl == longest)
        fprintf(out, "# %s: %s (follows ttl-max and negative-ttl-max)\n", k->name, num);
    else
        fprintf(out, "%s: %s\n", k->name, num);
}

static void print_enum(const pc_config_t *c, const cfg_key_t *k, FILE *out)
{
    uint64_t v = pc_cfg_num_get(c, k->id), n = 0;

    while (k->choices[n] != NULL)
        n++;
    if (v < n)
        fprintf(out, "%s: %s\n", k->name, k->choices[v]);
    else
        fprintf(out, "%s: %llu\n", k->name, (unsigned long long)v); /* a bug: unreadable */
}

static void print_listen(const pc_config_t *c, FILE *out)
{
    for (size_t i = 0; i < c->nlisten && i < PC_CONFIG_MAX_LISTEN; i++) {
        print_string(out, "listen", c->listen[i].path);
        fprintf(out, "socket-mode: %04o\n", c->listen[i].mode);
        print_string(out, "socket-group", c->listen[i].group);
    }
}

/* allow-user and friends: one line per name, or a comment for none. */
static void print_names(const pc_config_t *c, const cfg_key_t *k, FILE *out)
{
    const pc_names_t *l = &c->access.list[k->id - K_ALLOW_USER];

    if (l->n == 0)
        fprintf(out, "# %s: none%s\n", k->name,
                k->id == K_ALLOW_USER || k->id == K_ALLOW_GROUP
                    ? " (every peer that can open the socket)"
                    : " (root and polcached's own user only)");
    for (size_t i = 0; i < l->n; i++)
        fprintf(out, "%s: %s\n", k->name, l->v[i]);
}

static void print_resolver_lists(const pc_config_t *c, key_id_t id, FILE *out)
{
    const pc_resolver_conf_t *r = &c->resolver;

    if (id == K_FORWARD_ADDR) {
        if (r->nforwarders == 0)
            fprintf(out, "# forward-addr: none (full recursion)\n");
        for (size_t i = 0; i < r->nforwarders; i++)
            fprintf(out, "forward-addr: %s\n", r->forwarders[i]);
        return;
    }
    if (r->nstubs == 0)
        fprintf(out, "# stub-zone: none\n");
    for (size_t i = 0; i < r->nstubs; i++) {
        /* a zone name may hold '#' (no blanks: those print as \032) */
        const char *q = strchr(r->stubs[i].name, '#') != NULL ? "\"" : "";
        fprintf(out, "stub-zone: %s%s", q, r->stubs[i].name);
        for (size_t j = 0; j < r->stubs[i].naddrs; j++)
            fprintf(out, " %s", r->stubs[i].addrs[j]);
        fprintf(out, "%s\n", q);
    }
}

void pc_config_print(const pc_config_t *c, FILE *out)
{
    if (c == NULL || out == NULL)
        return;
    for (size_t i = 0; i < pc_cfg_nkeys; i++) {
        const cfg_key_t *k = &pc_cfg_keys[i];
        if (k->flags & F_PER_LISTEN)
            continue; /* printed under each listen */
        switch (k->kind) {
        case KIND_NAME:
        case KIND_HOST:
        case KIND_PATH: print_string(out, k->name, pc_cfg_str_get(c, k->id, 0)); break;
        case KIND_ENUM: print_enum(c, k, out); break;
        case KIND_NUMBER: print_number(c, k, out); break;
        case KIND_LISTEN: print_listen(c, out); break;
        case KIND_FORWARD:
        case KIND_STUB: print_resolver_lists(c, k->id, out); break;
        case KIND_PEER: print_names(c, k, out); break;
        case KIND_MODE: break;
        }
    }
}

