/*
 * resolver_conf.c - deep copy, comparison and release of the resolver
 * settings, so a reload can tell whether libunbound must be rebuilt.
 */
#include <stdlib.h>
#include <string.h>

#include "polcache/error.h"
#include "resolver.h"

static char *dup_or_null(const char *s, int *fail)
{
    char *d;
    if (s == NULL)
        return NULL;
    d = strdup(s);
    if (d == NULL)
        *fail = 1;
    return d;
}

static char **dup_list(char *const *src, size_t n, int *fail)
{
    char **d;
    if (n == 0)
        return NULL;
    d = calloc(n, sizeof(*d));
    if (d == NULL) {
        *fail = 1;
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        d[i] = dup_or_null(src[i], fail);
    return d;
}

static void free_list(char **l, size_t n)
{
    for (size_t i = 0; l != NULL && i < n; i++)
        free(l[i]);
    free(l);
}

int pc_resolver_conf_copy(pc_resolver_conf_t *dst, const pc_resolver_conf_t *src)
{
    int fail = 0;

    if (dst == NULL || src == NULL)
        return PC_EINVAL;
    memset(dst, 0, sizeof(*dst));
    dst->forwarders = dup_list(src->forwarders, src->nforwarders, &fail);
    dst->nforwarders = dst->forwarders != NULL ? src->nforwarders : 0;
    if (src->nstubs > 0) {
        dst->stubs = calloc(src->nstubs, sizeof(*dst->stubs));
        if (dst->stubs == NULL) {
            fail = 1;
        } else {
            dst->nstubs = src->nstubs;
            for (size_t i = 0; i < src->nstubs; i++) {
                dst->stubs[i].name = dup_or_null(src->stubs[i].name, &fail);
                dst->stubs[i].addrs = dup_list(src->stubs[i].addrs, src->stubs[i].naddrs, &fail);
                dst->stubs[i].naddrs = dst->stubs[i].addrs != NULL ? src->stubs[i].naddrs : 0;
            }
        }
    }
    dst->trust_anchor_file = dup_or_null(src->trust_anchor_file, &fail);
    dst->auto_trust_anchor_file = dup_or_null(src->auto_trust_anchor_file, &fail);
    dst->unbound_conf = dup_or_null(src->unbound_conf, &fail);
    dst->cache_max_ttl = src->cache_max_ttl;
    dst->cache_max_negative_ttl = src->cache_max_negative_ttl;
    if (fail) {
        pc_resolver_conf_free(dst);
        return PC_ENOMEM;
    }
    return 0;
}

void pc_resolver_conf_free(pc_resolver_conf_t *c)
{
    if (c == NULL)
        return;
    free_list(c->forwarders, c->nforwarders);
    for (size_t i = 0; c->stubs != NULL && i < c->nstubs; i++) {
        free(c->stubs[i].name);
        free_list(c->stubs[i].addrs, c->stubs[i].naddrs);
    }
    free(c->stubs);
    free(c->trust_anchor_file);
    free(c->auto_trust_anchor_file);
    free(c->unbound_conf);
    memset(c, 0, sizeof(*c));
}

static int str_eq(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static int list_eq(char *const *a, size_t na, char *const *b, size_t nb)
{
    if (na != nb)
        return 0;
    for (size_t i = 0; i < na; i++) {
        if (!str_eq(a[i], b[i]))
            return 0;
    }
    return 1;
}

int pc_resolver_conf_equal(const pc_resolver_conf_t *a, const pc_resolver_conf_t *b)
{
    if (!list_eq(a->forwarders, a->nforwarders, b->forwarders, b->nforwarders) ||
        a->nstubs != b->nstubs || !str_eq(a->trust_anchor_file, b->trust_anchor_file) ||
        !str_eq(a->auto_trust_anchor_file, b->auto_trust_anchor_file) ||
        !str_eq(a->unbound_conf, b->unbound_conf) || a->cache_max_ttl != b->cache_max_ttl ||
        a->cache_max_negative_ttl != b->cache_max_negative_ttl)
        return 0;
    for (size_t i = 0; i < a->nstubs; i++) {
        if (!str_eq(a->stubs[i].name, b->stubs[i].name) ||
            !list_eq(a->stubs[i].addrs, a->stubs[i].naddrs, b->stubs[i].addrs, b->stubs[i].naddrs))
            return 0;
    }
    return 1;
}
