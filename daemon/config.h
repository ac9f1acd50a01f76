/*
 * config.h - polcached's configuration: a plain struct, parsed from a file
 * of "key: value" lines (the reference is docs/CONFIG.md), validated, and
 * printed back (polcached -n -v). Errors read "file:line: message".
 * A reload parses into a new struct and swaps it in only if it is valid.
 */
#ifndef PC_CONFIG_H
#define PC_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "access.h"
#include "discover.h"
#include "log.h"
#include "lookup.h"
#include "resolver.h"
#include "server.h"

#define PC_CONFIG_MAX_LISTEN 8       /* listen sockets */
#define PC_CONFIG_MAX_FORWARD 64      /* forward-addr lines */
#define PC_CONFIG_MAX_STUB 64         /* stub-zone lines */
#define PC_CONFIG_MAX_STUB_ADDR 16    /* addresses on one stub-zone line */
#define PC_CONFIG_FILE_MAX 1048576    /* octets of a config file */
#define PC_CONFIG_LINE_MAX 4096       /* octets of one line, without its end */
#define PC_CONFIG_ERR_MAX 512         /* enough for any error message */
#define PC_CONFIG_DEFAULT_USER "polcache" /* the user when started as root */

/* Cache durability choices (docs/ARCHITECTURE.md). */
typedef enum pc_durability {
    PC_DURABLE_NOMETASYNC = 0, /* every commit synced: consistent after any crash */
    PC_DURABLE_NOSYNC = 1      /* default: 6-29x cheaper commits; rebuilt after an
                                  unclean shutdown across a reboot */
} pc_durability_t;

typedef struct pc_listen {
    char *path;          /* Unix socket path */
    unsigned mode;       /* permission bits, e.g. 0660 */
    char *group;         /* group owning the socket, NULL = daemon's */
} pc_listen_t;

typedef struct pc_config {
    char *source;                   /* file read, or NULL for built-ins */
    /* process */
    char *user;                     /* drop privileges to this user */
    int user_explicit;              /* user set in the file: missing is fatal */
    char *state_dir;                /* LMDB files live here */
    pc_log_target_t log_target;
    pc_log_level_t log_level;
    /* sockets */
    pc_listen_t listen[PC_CONFIG_MAX_LISTEN];
    size_t nlisten;
    /* peers allowed, and admins (names; resolved by access.c) */
    pc_access_conf_t access;
    /* connections: max-connections, per-connection bounds, idle-timeout */
    pc_server_limits_t limits;
    /* resolver */
    pc_resolver_conf_t resolver;
    /* cache and TTL policy; lookup.timeout_ms is the upstream timeout */
    pc_lookup_conf_t lookup;
    size_t map_size;
    pc_durability_t durability;
    /* DMARC policy discovery */
    pc_disc_method_t dmarc_mode;    /* tree walk (RFC 9989) or PSL (RFC 7489) */
    char *psl_file;                 /* Public Suffix List for PSL mode */
    /* SPF check_host() */
    unsigned spf_time_limit_ms;     /* one evaluation, all its lookups */
    char *spf_receiver;             /* %{r} and Received-SPF receiver=; NULL =
                                       the host name (gethostname) */
} pc_config_t;

/*
 * pc_config_defaults - fill c (its old contents are not freed) with the
 * built-in defaults for this process: as root, production paths
 * (/run/polcache/polcached.sock, /var/lib/polcache) and user
 * PC_CONFIG_DEFAULT_USER with user_explicit 0; otherwise the paths of
 * proto/paths.h under $XDG_RUNTIME_DIR and $XDG_STATE_HOME (or their
 * fallbacks) and no user. source is NULL. The caller frees c with
 * pc_config_free. Returns 0, PC_EINVAL (c NULL), PC_ENOMEM, or PC_ETOOBIG
 * (a default path does not fit 4096 octets); on error c is zeroed.
 */
int pc_config_defaults(pc_config_t *c);

/*
 * pc_config_load - defaults, then the file at path (at most
 * PC_CONFIG_FILE_MAX octets), checked as a whole. c need not be
 * initialised. On success the caller owns c (pc_config_free) and
 * c->source is a copy of path. On an error c is freed and zeroed, and err
 * (if not NULL) gets one line "file:line: message", or "file: message"
 * for errors of the whole file (cap octets, truncated, NUL-terminated;
 * PC_CONFIG_ERR_MAX is enough). Returns 0, PC_EINVAL (c or path NULL),
 * PC_ENOENT (file missing), PC_ECONFIG (unreadable, too large, syntax or
 * value error), PC_ENOMEM.
 */
int pc_config_load(pc_config_t *c, const char *path, char *err, size_t cap);

/*
 * pc_config_parse - defaults, then text (len octets, any content; need not
 * be NUL-terminated) as if read from a file named name, which is copied
 * into c->source and starts every message. Same results and ownership as
 * pc_config_load, except PC_ENOENT; PC_EINVAL also when name is NULL or
 * text is NULL with len > 0. Used by reload tests and the fuzzer.
 */
int pc_config_parse(pc_config_t *c, const char *name, const char *text, size_t len,
                    char *err, size_t cap);

/*
 * pc_config_print - every setting, one "key: value" per line, in file
 * syntax, in the order of docs/CONFIG.md; parsing the output gives the same
 * settings (user_explicit becomes 1, source differs). Unset optional
 * strings print as "", each listen is followed by its socket-mode and
 * socket-group, and empty lists and a resolver-cache-max-ttl that follows
 * ttl-max / negative-ttl-max print as comments. Does nothing if c or out
 * is NULL.
 */
void pc_config_print(const pc_config_t *c, FILE *out);

/* pc_config_free - free every string and list in c and zero it. Safe on a
 * zeroed struct and on NULL; c itself is the caller's. */
void pc_config_free(pc_config_t *c);

#endif /* PC_CONFIG_H */
