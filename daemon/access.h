/*
 * access.h - who may talk to polcached: the allow and admin lists of the
 * configuration (user and group names), resolved to ids, checked against
 * a peer's SO_PEERCRED credentials and SO_PEERGROUPS groups.
 *
 * The socket's mode and group are the first gate. With no allow list,
 * every peer that can open the socket is allowed. With one, a peer is
 * allowed when its uid is in allow-user, its primary or a supplementary
 * group is in allow-group, or it is an admin. Admins (who may FLUSH and
 * DUMP) are root, the daemon's own uid, and the peers matching admin-user
 * or admin-group.
 */
#ifndef PC_ACCESS_H
#define PC_ACCESS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define PC_ACCESS_MAX_NAMES 64 /* names in each list */
#define PC_PEER_MAX_GROUPS 256 /* supplementary groups read from a peer */

/* The four lists, in the order of their configuration keys. */
typedef enum pc_peer_list {
    PC_ALLOW_USER = 0,
    PC_ALLOW_GROUP = 1,
    PC_ADMIN_USER = 2,
    PC_ADMIN_GROUP = 3,
    PC_PEER_LISTS = 4
} pc_peer_list_t;

/* A list of user or group names as written in the configuration. */
typedef struct pc_names {
    char **v;
    size_t n;
} pc_names_t;

/* The configuration's part: names, not yet resolved. */
typedef struct pc_access_conf {
    pc_names_t list[PC_PEER_LISTS];
} pc_access_conf_t;

/* A peer's credentials at connect time. */
typedef struct pc_peer {
    pid_t pid;
    uid_t uid;
    gid_t gid;                          /* primary group */
    gid_t groups[PC_PEER_MAX_GROUPS];   /* supplementary groups */
    size_t ngroups;
} pc_peer_t;

/* The resolved lists. */
typedef struct pc_access {
    int restricted;                     /* an allow list is configured */
    uid_t self;                         /* the daemon's uid: always admin */
    uint32_t *ids[PC_PEER_LISTS];       /* uids or gids */
    size_t nids[PC_PEER_LISTS];
} pc_access_t;

/* Role bits of a peer (pc_access_check). */
#define PC_PEER_ALLOWED 0x1u
#define PC_PEER_ADMIN 0x2u

/*
 * pc_names_add - append a copy of name to l (duplicates are the caller's
 * business: see pc_names_find). Returns 0, PC_EINVAL (NULL argument) or
 * PC_ENOMEM (l unchanged).
 */
int pc_names_add(pc_names_t *l, const char *name);

/* pc_names_find - the index of name in l, or -1. */
long pc_names_find(const pc_names_t *l, const char *name);

/* pc_access_conf_free - free every name and zero c; safe on a zeroed c. */
void pc_access_conf_free(pc_access_conf_t *c);

/*
 * pc_access_build - resolve every name of c (getpwnam/getgrnam; a name
 * of digits only that is not a known name is taken as a numeric id) into
 * a, which need not be initialised; self is the daemon's uid (see
 * pc_access_set_self). On success the caller frees a with
 * pc_access_free. Returns 0, PC_EINVAL (NULL argument), PC_ENOMEM, or
 * PC_ENOENT when a user or group does not exist: err (cap octets, if not
 * NULL) then says which, e.g. `allow-user: no user "bob"`. On error a is
 * zeroed.
 */
int pc_access_build(pc_access_t *a, const pc_access_conf_t *c, uid_t self, char *err,
                    size_t cap);

/* pc_access_set_self - the daemon's uid changed (privilege drop). */
void pc_access_set_self(pc_access_t *a, uid_t self);

/* pc_access_free - free the resolved lists and zero a; safe when zeroed. */
void pc_access_free(pc_access_t *a);

/*
 * pc_access_check - the role of peer p: PC_PEER_ALLOWED and/or
 * PC_PEER_ADMIN bits (0: refuse the connection). An admin is always
 * allowed.
 */
unsigned pc_access_check(const pc_access_t *a, const pc_peer_t *p);

/*
 * pc_peer_read - read the credentials of the peer of a connected Unix
 * socket fd: SO_PEERCRED, and SO_PEERGROUPS where the kernel has it
 * (Linux 4.13). A peer with more than PC_PEER_MAX_GROUPS supplementary
 * groups, or a kernel without SO_PEERGROUPS, gives ngroups 0: only its
 * primary group counts. Returns 0, or PC_EIO when SO_PEERCRED fails (p is
 * then zeroed except uid and gid, which are (uid_t)-1 and (gid_t)-1 and
 * match no list).
 */
int pc_peer_read(int fd, pc_peer_t *p);

#endif /* PC_ACCESS_H */
