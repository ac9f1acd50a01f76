/*
 * daemon.c - wiring one polcached together: cache, resolver, lookup
 * engine, server and signals on one loop; orderly stop; reload; privilege
 * drop.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "notify.h"
#include "polcache/error.h"

static void on_signal(uv_signal_t *h, int signum)
{
    pc_daemon_t *d = h->data;

    if (signum == SIGHUP) {
        pc_daemon_reload(d);
        return;
    }
    pc_log_notice("received %s, shutting down", signum == SIGTERM ? "SIGTERM" : "SIGINT");
    pc_daemon_stop(d);
}

static int mkdir_p(const char *path, mode_t mode)
{
    char buf[4096];
    size_t n = strlen(path);

    if (n == 0 || n >= sizeof(buf))
        return PC_EINVAL;
    memcpy(buf, path, n + 1);
    for (char *p = buf + 1; *p != '\0'; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return pc_err_from_errno(errno);
        *p = '/';
    }
    if (mkdir(buf, mode) != 0 && errno != EEXIST)
        return pc_err_from_errno(errno);
    return 0;
}

static gid_t group_id(const char *name)
{
    struct group *g;
    if (name == NULL)
        return (gid_t)-1;
    g = getgrnam(name);
    return g != NULL ? g->gr_gid : (gid_t)-2;
}

/* Room in the open-file limit for every connection and upstream query,
 * as far as the hard limit allows (systemd's soft limit is 1024). */
static void raise_nofile(const pc_config_t *c)
{
    rlim_t want = (rlim_t)c->limits.max_conns + c->lookup.max_upstream + 128;
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
        return;
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want ? want : rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < want)
        pc_log_warn("max-connections and max-upstream need %llu open files, the limit is %llu",
                    (unsigned long long)want, (unsigned long long)rl.rlim_cur);
}

/* The SPF receiver name (%{r}, Received-SPF receiver=): spf-receiver, or
 * the host name, looked up here at start and on reload, not per check. */
static void set_receiver(pc_daemon_t *d)
{
    const char *r = d->cfg.spf_receiver;

    if (r != NULL && r[0] != '\0')
        snprintf(d->receiver, sizeof(d->receiver), "%s", r);
    else if (gethostname(d->receiver, sizeof(d->receiver) - 1) != 0)
        d->receiver[0] = '\0';
    d->receiver[sizeof(d->receiver) - 1] = '\0';
}

int pc_daemon_start(pc_daemon_t *d, uv_loop_t *loop, pc_config_t *cfg)
{
    pc_cache_opts_t copts;
    char why[512] = "";
    int rc;

    memset(d, 0, sizeof(*d));
    d->loop = loop;
    d->cfg = *cfg;
    memset(cfg, 0, sizeof(*cfg));
    d->started = pc_clock_wall(NULL);
    d->server_limits = d->cfg.limits;
    raise_nofile(&d->cfg);
    set_receiver(d);

    if ((rc = mkdir_p(d->cfg.state_dir, 0750)) != 0) {
        pc_log_err("cannot create state directory %s: %s", d->cfg.state_dir, pc_strerror(rc));
        goto err;
    }
    memset(&copts, 0, sizeof(copts));
    copts.dir = d->cfg.state_dir;
    copts.map_size = d->cfg.map_size;
    copts.nosync = d->cfg.durability == PC_DURABLE_NOSYNC;
    if ((rc = pc_cache_open(&d->cache, &copts)) != 0) {
        pc_log_err("cannot open the cache in %s: %s", d->cfg.state_dir, pc_strerror(rc));
        goto err;
    }
    if ((rc = pc_resolver_ub_new(&d->resolver, loop, &d->cfg.resolver, why, sizeof(why))) != 0) {
        pc_log_err("cannot set up the resolver: %s", why[0] ? why : pc_strerror(rc));
        goto err;
    }
    d->psl = pc_psl_load(d->cfg.psl_file);
    if (d->psl == NULL)
        pc_log_warn("cannot load the Public Suffix List %s; PSL mode uses libpsl's built-in list",
                    d->cfg.psl_file);
    if ((rc = pc_lookups_new(&d->lookups, loop, d->cache, d->resolver, &d->cfg.lookup, NULL,
                             NULL)) != 0)
        goto err;
    if ((rc = pc_access_build(&d->access, &d->cfg.access, geteuid(), why, sizeof(why))) != 0) {
        pc_log_err("peer checks: %s", why[0] ? why : pc_strerror(rc));
        goto err;
    }
    if ((rc = pc_server_new(&d->server, loop, d, &d->server_limits)) != 0)
        goto err;
    pc_server_set_access(d->server, &d->access);
    for (size_t i = 0; i < d->cfg.nlisten; i++) {
        gid_t gid = group_id(d->cfg.listen[i].group);
        if (gid == (gid_t)-2) {
            pc_log_err("socket group %s does not exist", d->cfg.listen[i].group);
            rc = PC_ECONFIG;
            goto err;
        }
        rc = pc_server_listen(d->server, d->cfg.listen[i].path, d->cfg.listen[i].mode, gid);
        if (rc != 0) {
            pc_log_err("cannot listen on %s: %s", d->cfg.listen[i].path, pc_strerror(rc));
            goto err;
        }
    }
    uv_signal_init(loop, &d->sig_term);
    uv_signal_init(loop, &d->sig_int);
    uv_signal_init(loop, &d->sig_hup);
    d->sig_term.data = d->sig_int.data = d->sig_hup.data = d;
    uv_signal_start(&d->sig_term, on_signal, SIGTERM);
    uv_signal_start(&d->sig_int, on_signal, SIGINT);
    uv_signal_start(&d->sig_hup, on_signal, SIGHUP);
    signal(SIGPIPE, SIG_IGN);
    pc_log_notice("polcached %s started: state %s, %s", PC_VERSION, d->cfg.state_dir,
                  d->cfg.resolver.nforwarders > 0 ? "forwarding" : "full recursion");
    return 0;
err:
    if (rc == 0)
        rc = PC_EIO;
    d->stopping = 1;
    if (d->server != NULL)
        pc_server_close(d->server);
    if (d->lookups != NULL)
        pc_lookups_close(d->lookups);
    if (d->resolver != NULL)
        d->resolver->ops->close(d->resolver);
    uv_run(loop, UV_RUN_DEFAULT);
    pc_access_free(&d->access);
    pc_cache_close(d->cache);
    d->cache = NULL;
    pc_psl_free(d->psl);
    d->psl = NULL;
    pc_config_free(&d->cfg);
    return rc;
}

int pc_daemon_drop_privileges(pc_daemon_t *d)
{
    struct passwd *pw;

    if (geteuid() != 0 || d->cfg.user == NULL)
        return 0;
    pw = getpwnam(d->cfg.user);
    if (pw == NULL) {
        if (d->cfg.user_explicit) {
            pc_log_err("user %s does not exist", d->cfg.user);
            return PC_ECONFIG;
        }
        pc_log_warn("WARNING: user %s does not exist; polcached keeps running as root. "
                    "Install polcache (its sysusers.d file creates the user) or set `user:`.",
                    d->cfg.user);
        return 0;
    }
    if (chown(d->cfg.state_dir, pw->pw_uid, pw->pw_gid) != 0)
        pc_log_warn("cannot chown %s: %s", d->cfg.state_dir, strerror(errno));
    /* the LMDB files were created by root: hand them over too */
    {
        char p[4200];
        snprintf(p, sizeof(p), "%s/data.mdb", d->cfg.state_dir);
        if (chown(p, pw->pw_uid, pw->pw_gid) != 0 && errno != ENOENT)
            pc_log_warn("cannot chown %s: %s", p, strerror(errno));
        snprintf(p, sizeof(p), "%s/lock.mdb", d->cfg.state_dir);
        if (chown(p, pw->pw_uid, pw->pw_gid) != 0 && errno != ENOENT)
            pc_log_warn("cannot chown %s: %s", p, strerror(errno));
    }
    if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
        setuid(pw->pw_uid) != 0) {
        pc_log_err("cannot drop privileges to %s: %s", d->cfg.user, strerror(errno));
        return PC_EPERM;
    }
    pc_log_notice("running as user %s", d->cfg.user);
    pc_access_set_self(&d->access, geteuid());
    return 0;
}

void pc_daemon_stop(pc_daemon_t *d)
{
    if (d->stopping)
        return;
    d->stopping = 1;
    pc_notify("STOPPING=1\nSTATUS=stopping");
    pc_server_close(d->server);
    pc_lookups_close(d->lookups);
    d->resolver->ops->close(d->resolver);
    uv_close((uv_handle_t *)&d->sig_term, NULL);
    uv_close((uv_handle_t *)&d->sig_int, NULL);
    uv_close((uv_handle_t *)&d->sig_hup, NULL);
}

void pc_daemon_finish(pc_daemon_t *d)
{
    pc_cache_close(d->cache);
    d->cache = NULL;
    pc_psl_free(d->psl);
    d->psl = NULL;
    pc_config_free(&d->cfg);
    pc_access_free(&d->access);
    pc_log_notice("polcached stopped");
}

static void reload(pc_daemon_t *d)
{
    pc_access_t access;
    pc_config_t next;
    char err[PC_CONFIG_ERR_MAX];
    int rc;

    if (d->cfg.source == NULL) {
        pc_log_notice("SIGHUP: running on built-in defaults, nothing to reload");
        return;
    }
    rc = pc_config_load(&next, d->cfg.source, err, sizeof(err));
    if (rc != 0) {
        d->reload_errors++;
        pc_log_err("reload failed, keeping the running configuration: %s", err);
        return;
    }
    if ((rc = pc_access_build(&access, &next.access, d->access.self, err, sizeof(err))) != 0) {
        d->reload_errors++;
        pc_log_err("reload failed, keeping the running configuration: %s", err);
        pc_config_free(&next);
        return;
    }
    if (!pc_resolver_conf_equal(&next.resolver, &d->cfg.resolver)) {
        pc_resolver_t *fresh = NULL;
        char why[512] = "";
        rc = pc_resolver_ub_new(&fresh, d->loop, &next.resolver, why, sizeof(why));
        if (rc != 0) {
            d->reload_errors++;
            pc_log_err("reload failed, keeping the running configuration: resolver: %s", why);
            pc_access_free(&access);
            pc_config_free(&next);
            return;
        }
        /* the old context drains: its in-flight queries still answer */
        pc_lookups_set_resolver(d->lookups, fresh);
        d->resolver->ops->retire(d->resolver);
        d->resolver = fresh;
        pc_resolver_conf_free(&d->cfg.resolver);
        pc_resolver_conf_copy(&d->cfg.resolver, &next.resolver);
        pc_log_notice("reload: resolver settings changed, new libunbound context in use");
    }
    pc_lookups_set_conf(d->lookups, &next.lookup);
    d->cfg.lookup = next.lookup;
    pc_access_free(&d->access);
    d->access = access; /* in place: the server holds &d->access */
    pc_access_conf_free(&d->cfg.access);
    d->cfg.access = next.access;
    memset(&next.access, 0, sizeof(next.access));
    d->cfg.limits = d->server_limits = next.limits;
    pc_server_set_limits(d->server, &next.limits);
    raise_nofile(&d->cfg);
    d->cfg.dmarc_mode = next.dmarc_mode;
    d->cfg.spf_time_limit_ms = next.spf_time_limit_ms;
    free(d->cfg.spf_receiver); /* each check copies it when it starts */
    d->cfg.spf_receiver = next.spf_receiver;
    next.spf_receiver = NULL;
    set_receiver(d);
    {
        /* the PSL is read again on every reload; a bad file keeps the old */
        psl_ctx_t *psl = pc_psl_load(next.psl_file);
        if (psl == NULL) {
            pc_log_err("reload: cannot load the Public Suffix List %s; keeping the one in force",
                       next.psl_file);
        } else {
            pc_psl_free(d->psl);
            d->psl = psl;
            free(d->cfg.psl_file);
            d->cfg.psl_file = next.psl_file;
            next.psl_file = NULL;
        }
    }
    if (next.log_level != d->cfg.log_level) {
        pc_log_set_level(next.log_level);
        d->cfg.log_level = next.log_level;
    }
    /* settings that need a restart are reported, never silently dropped */
    if (strcmp(next.state_dir, d->cfg.state_dir) != 0)
        pc_log_warn("reload: state-dir changed; needs a restart, ignored");
    if (next.map_size != d->cfg.map_size)
        pc_log_warn("reload: map-size changed; needs a restart, ignored");
    if (next.durability != d->cfg.durability)
        pc_log_warn("reload: durability changed; needs a restart, ignored");
    if (next.log_target != d->cfg.log_target)
        pc_log_warn("reload: log-target changed; needs a restart, ignored");
    if (next.nlisten != d->cfg.nlisten)
        pc_log_warn("reload: listen sockets changed; needs a restart, ignored");
    for (size_t i = 0; i < next.nlisten && i < d->cfg.nlisten; i++) {
        if (strcmp(next.listen[i].path, d->cfg.listen[i].path) != 0 ||
            next.listen[i].mode != d->cfg.listen[i].mode ||
            (next.listen[i].group == NULL) != (d->cfg.listen[i].group == NULL) ||
            (next.listen[i].group != NULL &&
             strcmp(next.listen[i].group, d->cfg.listen[i].group) != 0))
            pc_log_warn("reload: listen %s changed; needs a restart, ignored", next.listen[i].path);
    }
    if ((next.user == NULL) != (d->cfg.user == NULL) ||
        (next.user != NULL && strcmp(next.user, d->cfg.user) != 0))
        pc_log_warn("reload: user changed; needs a restart, ignored");
    pc_config_free(&next);
    d->reloads++;
    pc_server_bump_epoch(d->server); /* answers clients kept may differ now */
    pc_log_notice("configuration reloaded from %s", d->cfg.source);
}

void pc_daemon_reload(pc_daemon_t *d)
{
    pc_notify_reloading();
    reload(d);
    pc_notify("READY=1\nSTATUS=serving");
}
