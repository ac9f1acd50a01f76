/*
 * lg_names.c - the load generator's name list (see lg_names.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lg_names.h"

static int set_expect(lg_expect_t *e, const char *text, int secure)
{
    size_t len = strlen(text);

    if (len >= sizeof(e->text))
        return -1;
    memcpy(e->text, text, len + 1);
    e->text_len = len;
    e->secure = secure;
    return 0;
}

int lg_names_load(lg_names_t *n, const char *path)
{
    FILE *f = fopen(path, "r");
    char line[LG_NAME_MAX + LG_TEXT_MAX + 32];
    size_t cap = 0;
    unsigned lineno = 0;

    memset(n, 0, sizeof(*n));
    if (f == NULL) {
        perror(path);
        return -1;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        char *dom = line, *sec, *text, *end;
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        sec = strchr(dom, '\t');
        text = sec != NULL ? strchr(sec + 1, '\t') : NULL;
        if (text == NULL) {
            fprintf(stderr, "%s:%u: expected DOMAIN<TAB>DNSSEC<TAB>TEXT\n", path, lineno);
            goto err;
        }
        *sec++ = '\0';
        *text++ = '\0';
        end = strchr(text, '\t'); /* later columns are ignored */
        if (end != NULL)
            *end = '\0';
        if (n->count == cap) {
            size_t nc = cap ? cap * 2 : 64;
            char **d = realloc(n->domain, nc * sizeof(*d));
            lg_expect_t *e;
            if (d == NULL)
                goto nomem;
            n->domain = d;
            e = realloc(n->expect, nc * sizeof(*e));
            if (e == NULL)
                goto nomem;
            n->expect = e;
            cap = nc;
        }
        if (strlen(dom) >= LG_NAME_MAX || (strcmp(sec, "secure") != 0 && strcmp(sec, "insecure") != 0) ||
            set_expect(&n->expect[n->count], text, strcmp(sec, "secure") == 0) != 0) {
            fprintf(stderr, "%s:%u: bad name, DNSSEC state or text\n", path, lineno);
            goto err;
        }
        if ((n->domain[n->count] = strdup(dom)) == NULL)
            goto nomem;
        n->count++;
    }
    fclose(f);
    if (n->count == 0) {
        fprintf(stderr, "%s: no names\n", path);
        return -1;
    }
    return 0;
nomem:
    fprintf(stderr, "out of memory\n");
err:
    fclose(f);
    lg_names_free(n);
    return -1;
}

int lg_names_gen(lg_names_t *n, const char *spec, const char *text, int secure)
{
    const char *c1 = strchr(spec, ':'), *c2, *pct;
    char *end;

    memset(n, 0, sizeof(*n));
    c2 = c1 != NULL ? strchr(c1 + 1, ':') : NULL;
    if (c2 == NULL || (size_t)(c1 - spec) >= sizeof(n->fmt) - 32) {
        fprintf(stderr, "--gen: expected FMT:START:COUNT\n");
        return -1;
    }
    memcpy(n->fmt, spec, (size_t)(c1 - spec));
    pct = strstr(n->fmt, "%u");
    if (pct == NULL || strchr(n->fmt, '%') != pct || strchr(pct + 1, '%') != NULL) {
        fprintf(stderr, "--gen: FMT must hold exactly one %%u\n");
        return -1;
    }
    n->start = strtoull(c1 + 1, &end, 10);
    if (end != c2)
        return -1;
    n->count = strtoull(c2 + 1, &end, 10);
    if (*end != '\0' || n->count == 0 || set_expect(&n->gen_expect, text, secure) != 0) {
        fprintf(stderr, "--gen: bad COUNT or expected text\n");
        return -1;
    }
    return 0;
}

const lg_expect_t *lg_names_get(const lg_names_t *n, uint64_t i, char *out)
{
    i %= n->count;
    if (n->domain != NULL) {
        snprintf(out, LG_NAME_MAX, "%s", n->domain[i]);
        return &n->expect[i];
    }
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    snprintf(out, LG_NAME_MAX, n->fmt, (unsigned)(n->start + i));
#pragma GCC diagnostic pop
    return &n->gen_expect;
}

void lg_names_free(lg_names_t *n)
{
    for (uint64_t i = 0; n->domain != NULL && i < n->count; i++)
        free(n->domain[i]);
    free(n->domain);
    free(n->expect);
    memset(n, 0, sizeof(*n));
}
