/*
 * daemon.h - one running polcached: its configuration and the modules it
 * owns, wired together on one libuv loop. main.c creates one; tests may
 * create several in one process (there are no hidden globals).
 */
#ifndef PC_DAEMON_H
#define PC_DAEMON_H

#include <uv.h>

#include "access.h"
#include "cache.h"
#include "config.h"
#include "discover.h"
#include "lookup.h"
#include "resolver.h"
#include "server.h"

typedef struct pc_daemon {
    uv_loop_t *loop;
    pc_config_t cfg;
    pc_cache_t *cache;
    pc_resolver_t *resolver;
    pc_lookups_t *lookups;
    pc_server_t *server;
    psl_ctx_t *psl;     /* Public Suffix List (RFC 7489 mode) */
    pc_server_limits_t server_limits; /* = cfg.limits */
    pc_access_t access;     /* cfg.access resolved; the server borrows it */
    uv_signal_t sig_term, sig_int, sig_hup;
    uint64_t started;   /* wall-clock start, Unix seconds */
    uint64_t reloads, reload_errors;
    char receiver[256]; /* spf-receiver or the host name, set at start and
                           on reload (SPF %{r} and Received-SPF) */
    int stopping;
} pc_daemon_t;

/*
 * pc_daemon_start - open the cache, build the resolver and the lookup
 * engine, bind every listen socket, install signal handlers. cfg is moved
 * into d (the caller must not free it). Privileges are not dropped here
 * (see pc_daemon_drop_privileges). Returns 0 or a PC_E* code with a log
 * line saying what failed; on error everything opened is closed.
 */
int pc_daemon_start(pc_daemon_t *d, uv_loop_t *loop, pc_config_t *cfg);

/* Drop to cfg.user when running as root (after the sockets are bound). */
int pc_daemon_drop_privileges(pc_daemon_t *d);

/* Begin an orderly stop: close sockets and connections, cancel lookups,
 * close the resolver; uv_run returns when everything is closed; then call
 * pc_daemon_finish. */
void pc_daemon_stop(pc_daemon_t *d);

/* Commit and close the cache and free the configuration. */
void pc_daemon_finish(pc_daemon_t *d);

/*
 * pc_daemon_reload - re-read the configuration file (SIGHUP), telling the
 * service manager RELOADING=1 and then READY=1 (notify.h). A file that
 * does not parse, a user or group of the peer lists that does not exist,
 * or a resolver that cannot be built keeps the running configuration
 * (logged, counted in daemon.reload_errors); settings that need a restart
 * are logged as ignored.
 */
void pc_daemon_reload(pc_daemon_t *d);

#endif
