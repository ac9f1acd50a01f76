/*
 * peer_msgs.c - the workload file of the peer comparison (peer.h) and the
 * verdict text every engine prints, so that "the same verdict" is a plain
 * string comparison.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peer.h"

const char *peer_spf_name(int r)
{
    static const char *const names[] = {"unset", "none", "neutral", "pass", "fail",
                                        "softfail", "temperror", "permerror"};
    return r >= 0 && r < (int)(sizeof(names) / sizeof(names[0])) ? names[r] : "?";
}

void peer_dmarc_verdict(char *out, size_t cap, const char *result, const char *spf,
                        const char *disposition, int spf_aligned, int dkim_aligned)
{
    if (strcmp(result, "pass") == 0 || strcmp(result, "fail") == 0)
        snprintf(out, cap, "dmarc=%s spf=%s disp=%s align=%c%c", result, spf, disposition,
                 spf_aligned ? 'y' : 'n', dkim_aligned ? 'y' : 'n');
    else
        snprintf(out, cap, "dmarc=%s spf=%s", result, spf);
}

/* Copy field f into dst (cap octets); "-" is empty. -1 if it does not fit. */
static int field(char *dst, size_t cap, const char *f)
{
    if (strcmp(f, "-") == 0)
        f = "";
    if (strlen(f) >= cap)
        return -1;
    strcpy(dst, f);
    return 0;
}

static int parse_dkim(peer_msg_t *m, char *s)
{
    char *save = NULL, *tok;

    m->ndkim = 0;
    if (strcmp(s, "-") == 0)
        return 0;
    for (tok = strtok_r(s, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
        char *c1 = strchr(tok, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        peer_dkim_t *d;

        if (c2 == NULL || m->ndkim == PEER_DKIM_MAX)
            return -1;
        d = &m->dkim[m->ndkim++];
        *c1 = *c2 = '\0';
        if (field(d->d, sizeof(d->d), tok) != 0 || field(d->s, sizeof(d->s), c1 + 1) != 0)
            return -1;
        if (strcmp(c2 + 1, "pass") == 0)
            d->pass = 1;
        else if (strcmp(c2 + 1, "fail") == 0)
            d->pass = 0;
        else
            return -1;
    }
    return 0;
}

/* Split line into at most max TAB-separated fields; returns the count. */
static int split(char *line, char **f, int max)
{
    int n = 0;

    f[n++] = line;
    for (char *p = line; *p != '\0' && n < max; p++) {
        if (*p == '\t') {
            *p = '\0';
            f[n++] = p + 1;
        }
    }
    return n;
}

static int parse_line(peer_msg_t *m, char *line)
{
    char *f[9];
    int n = split(line, f, 9);

    memset(m, 0, sizeof(*m));
    if (n < 7)
        return -1;
    if (field(m->id, sizeof(m->id), f[0]) || field(m->set, sizeof(m->set), f[1]) ||
        field(m->ip, sizeof(m->ip), f[2]) || field(m->mailfrom, sizeof(m->mailfrom), f[3]) ||
        field(m->helo, sizeof(m->helo), f[4]) || field(m->from, sizeof(m->from), f[5]) ||
        parse_dkim(m, f[6]) != 0)
        return -1;
    if (n >= 8 && field(m->expect, sizeof(m->expect), f[7]) != 0)
        return -1;
    return m->id[0] && m->ip[0] && m->from[0] ? 0 : -1;
}

int peer_msgs_load(peer_msgs_t *ms, const char *path, const char *only_set)
{
    FILE *f = fopen(path, "r");
    char line[2048];
    size_t cap = 0, lineno = 0;

    memset(ms, 0, sizeof(*ms));
    if (f == NULL) {
        perror(path);
        return -1;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        size_t len = strlen(line);
        peer_msg_t m;

        lineno++;
        if (len > 0 && line[len - 1] == '\n')
            line[--len] = '\0';
        if (len == 0 || line[0] == '#')
            continue;
        if (parse_line(&m, line) != 0) {
            fprintf(stderr, "%s:%zu: bad message line\n", path, lineno);
            goto err;
        }
        if (only_set != NULL && strcmp(m.set, only_set) != 0)
            continue;
        if (ms->n == cap) {
            peer_msg_t *nm;
            cap = cap ? 2 * cap : 256;
            if ((nm = realloc(ms->m, cap * sizeof(*nm))) == NULL)
                goto err;
            ms->m = nm;
        }
        ms->m[ms->n++] = m;
    }
    fclose(f);
    if (ms->n == 0) {
        fprintf(stderr, "%s: no messages\n", path);
        peer_msgs_free(ms);
        return -1;
    }
    return 0;
err:
    fclose(f);
    peer_msgs_free(ms);
    return -1;
}

void peer_msgs_free(peer_msgs_t *ms)
{
    free(ms->m);
    ms->m = NULL;
    ms->n = 0;
}
