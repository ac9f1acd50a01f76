/*
 * access.c - peer credentials (SO_PEERCRED, SO_PEERGROUPS) checked against
 * the allow and admin lists of the configuration.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "access.h"
#include "polcache/error.h"

#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS 59 /* Linux 4.13; older headers lack it */
#endif

static const char *const list_key[PC_PEER_LISTS] = {"allow-user", "allow-group", "admin-user",
                                                    "admin-group"};

int pc_names_add(pc_names_t *l, const char *name)
{
    char **v, *d;

    if (l == NULL || name == NULL)
        return PC_EINVAL;
    if ((d = strdup(name)) == NULL)
        return PC_ENOMEM;
    if ((v = realloc(l->v, (l->n + 1) * sizeof(*v))) == NULL) {
        free(d);
        return PC_ENOMEM;
    }
    v[l->n++] = d;
    l->v = v;
    return 0;
}

long pc_names_find(const pc_names_t *l, const char *name)
{
    for (size_t i = 0; l != NULL && name != NULL && i < l->n; i++) {
        if (strcmp(l->v[i], name) == 0)
            return (long)i;
    }
    return -1;
}

void pc_access_conf_free(pc_access_conf_t *c)
{
    if (c == NULL)
        return;
    for (int k = 0; k < PC_PEER_LISTS; k++) {
        for (size_t i = 0; i < c->list[k].n; i++)
            free(c->list[k].v[i]);
        free(c->list[k].v);
    }
    memset(c, 0, sizeof(*c));
}

/* Digits only, fitting 32 bits: a numeric id. */
static int numeric_id(const char *s, uint32_t *out)
{
    uint64_t v = 0;

    if (*s == '\0')
        return 0;
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9')
            return 0;
        v = v * 10 + (uint64_t)(*s - '0');
        if (v >= UINT32_MAX) /* (uid_t)-1 is no id */
            return 0;
    }
    *out = (uint32_t)v;
    return 1;
}

/* One name to its uid or gid: 0, PC_ENOENT or PC_ENOMEM. */
static int resolve(const char *name, int is_group, uint32_t *id)
{
    char stack[4096], *buf = stack;
    size_t cap = sizeof(stack);
    int rc, e;

    for (;;) {
        if (is_group) {
            struct group g, *res = NULL;
            e = getgrnam_r(name, &g, buf, cap, &res);
            if (e == 0 && res != NULL)
                *id = (uint32_t)g.gr_gid;
            rc = e == 0 && res != NULL ? 0 : PC_ENOENT;
        } else {
            struct passwd pw, *res = NULL;
            e = getpwnam_r(name, &pw, buf, cap, &res);
            if (e == 0 && res != NULL)
                *id = (uint32_t)pw.pw_uid;
            rc = e == 0 && res != NULL ? 0 : PC_ENOENT;
        }
        if (e != ERANGE || cap >= (1u << 20))
            break;
        cap *= 4;
        if (buf != stack)
            free(buf);
        if ((buf = malloc(cap)) == NULL)
            return PC_ENOMEM;
    }
    if (buf != stack)
        free(buf);
    if (rc != 0 && numeric_id(name, id))
        rc = 0;
    return rc;
}

int pc_access_build(pc_access_t *a, const pc_access_conf_t *c, uid_t self, char *err,
                    size_t cap)
{
    int rc = 0;

    if (err != NULL && cap > 0)
        err[0] = '\0';
    if (a == NULL)
        return PC_EINVAL;
    memset(a, 0, sizeof(*a));
    if (c == NULL)
        return PC_EINVAL;
    a->self = self;
    a->restricted = c->list[PC_ALLOW_USER].n > 0 || c->list[PC_ALLOW_GROUP].n > 0;
    for (int k = 0; k < PC_PEER_LISTS && rc == 0; k++) {
        int is_group = k == PC_ALLOW_GROUP || k == PC_ADMIN_GROUP;
        if (c->list[k].n == 0)
            continue;
        if ((a->ids[k] = calloc(c->list[k].n, sizeof(uint32_t))) == NULL) {
            rc = PC_ENOMEM;
            break;
        }
        for (size_t i = 0; i < c->list[k].n; i++) {
            rc = resolve(c->list[k].v[i], is_group, &a->ids[k][a->nids[k]]);
            if (rc != 0) {
                if (err != NULL && cap > 0)
                    snprintf(err, cap, "%s: no %s \"%s\"", list_key[k],
                             is_group ? "group" : "user", c->list[k].v[i]);
                break;
            }
            a->nids[k]++;
        }
    }
    if (rc != 0)
        pc_access_free(a);
    return rc;
}

void pc_access_set_self(pc_access_t *a, uid_t self)
{
    if (a != NULL)
        a->self = self;
}

void pc_access_free(pc_access_t *a)
{
    if (a == NULL)
        return;
    for (int k = 0; k < PC_PEER_LISTS; k++)
        free(a->ids[k]);
    memset(a, 0, sizeof(*a));
}

static int has_id(const pc_access_t *a, pc_peer_list_t k, uint32_t id)
{
    for (size_t i = 0; i < a->nids[k]; i++) {
        if (a->ids[k][i] == id)
            return 1;
    }
    return 0;
}

/* The peer's uid is in list uk, or one of its groups in list gk. */
static int peer_in(const pc_access_t *a, const pc_peer_t *p, pc_peer_list_t uk,
                   pc_peer_list_t gk)
{
    if (p->uid != (uid_t)-1 && has_id(a, uk, (uint32_t)p->uid))
        return 1;
    if (p->gid != (gid_t)-1 && has_id(a, gk, (uint32_t)p->gid))
        return 1;
    for (size_t i = 0; i < p->ngroups && i < PC_PEER_MAX_GROUPS; i++) {
        if (has_id(a, gk, (uint32_t)p->groups[i]))
            return 1;
    }
    return 0;
}

unsigned pc_access_check(const pc_access_t *a, const pc_peer_t *p)
{
    unsigned role = 0;

    if (a == NULL || p == NULL)
        return 0;
    if (p->uid == 0 || (p->uid == a->self && p->uid != (uid_t)-1) ||
        peer_in(a, p, PC_ADMIN_USER, PC_ADMIN_GROUP))
        role |= PC_PEER_ADMIN | PC_PEER_ALLOWED;
    if (!a->restricted || peer_in(a, p, PC_ALLOW_USER, PC_ALLOW_GROUP))
        role |= PC_PEER_ALLOWED;
    return role;
}

int pc_peer_read(int fd, pc_peer_t *p)
{
    struct ucred cred;
    socklen_t len = sizeof(cred);

    memset(p, 0, sizeof(*p));
    p->uid = (uid_t)-1;
    p->gid = (gid_t)-1;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || len != sizeof(cred))
        return PC_EIO;
    p->pid = cred.pid;
    p->uid = cred.uid;
    p->gid = cred.gid;
    len = (socklen_t)sizeof(p->groups);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, p->groups, &len) == 0)
        p->ngroups = len / sizeof(gid_t);
    else
        p->ngroups = 0; /* ERANGE (too many) or an old kernel: primary group only */
    return 0;
}
