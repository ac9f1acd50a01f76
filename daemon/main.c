/*
 * main.c - polcached's command line: parse flags, load the configuration,
 * check it (-n), start the daemon, drop privileges, run the loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "notify.h"
#include "paths.h"
#include "polcache/error.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: polcached [-fnvV] [-c config] [-s socket] [-d state-dir] [-l level]\n"
            "  -c FILE  configuration file (default: %s for root,\n"
            "           $XDG_CONFIG_HOME/polcache/polcached.conf otherwise; built-in\n"
            "           defaults when the default file does not exist)\n"
            "  -s PATH  listen on this socket instead of the configured ones\n"
            "  -d DIR   state directory (the LMDB cache)\n"
            "  -f       stay in the foreground and log to stderr\n"
            "  -l LEVEL log level: err, warning, notice, info, debug\n"
            "  -n       check the configuration and exit; with -v print it\n"
            "  -v       verbose\n"
            "  -V       print the version and exit\n",
            PC_ROOT_CONFIG);
}

static int daemonize(void)
{
    pid_t pid = fork();
    int fd;

    if (pid < 0)
        return -1;
    if (pid > 0)
        _exit(0);
    if (setsid() < 0)
        return -1;
    pid = fork();
    if (pid < 0)
        return -1;
    if (pid > 0)
        _exit(0);
    if (chdir("/") != 0)
        return -1;
    fd = open("/dev/null", O_RDWR);
    if (fd >= 0) {
        dup2(fd, 0);
        dup2(fd, 1);
        dup2(fd, 2);
        if (fd > 2)
            close(fd);
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *config = NULL, *sock = NULL, *state = NULL, *level = NULL;
    int check = 0, verbose = 0, foreground = 0, opt, rc, explicit_config;
    char defpath[4096], err[PC_CONFIG_ERR_MAX];
    pc_config_t cfg;
    pc_daemon_t d;
    uv_loop_t loop;

    while ((opt = getopt(argc, argv, "c:s:d:l:fnvVh")) != -1) {
        switch (opt) {
        case 'c': config = optarg; break;
        case 's': sock = optarg; break;
        case 'd': state = optarg; break;
        case 'l': level = optarg; break;
        case 'f': foreground = 1; break;
        case 'n': check = 1; break;
        case 'v': verbose = 1; break;
        case 'V': printf("polcached %s\n", PC_VERSION); return 0;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    explicit_config = config != NULL;
    if (config == NULL) {
        if (pc_path_config(defpath, sizeof(defpath)) != 0)
            return 1;
        config = defpath;
    }
    rc = pc_config_load(&cfg, config, err, sizeof(err));
    if (rc == PC_ENOENT && !explicit_config) {
        rc = pc_config_defaults(&cfg);
        config = NULL;
    }
    if (rc != 0) {
        fprintf(stderr, "polcached: %s\n", rc == PC_ENOMEM ? pc_strerror(rc) : err);
        return 1;
    }
    if (sock != NULL) {
        for (size_t i = 0; i < cfg.nlisten; i++) {
            free(cfg.listen[i].path);
            free(cfg.listen[i].group);
        }
        memset(cfg.listen, 0, sizeof(cfg.listen));
        cfg.listen[0].path = strdup(sock);
        cfg.listen[0].mode = 0660;
        cfg.nlisten = 1;
    }
    if (state != NULL) {
        free(cfg.state_dir);
        cfg.state_dir = strdup(state);
    }
    if (level != NULL) {
        int l = pc_log_level_parse(level);
        if (l < 0) {
            fprintf(stderr, "polcached: unknown log level %s\n", level);
            pc_config_free(&cfg);
            return 2;
        }
        cfg.log_level = (pc_log_level_t)l;
    }
    if (check) {
        if (verbose)
            pc_config_print(&cfg, stdout);
        else
            printf("%s: ok\n", config != NULL ? config : "built-in defaults");
        pc_config_free(&cfg);
        return 0;
    }
    if (!foreground && daemonize() != 0) {
        fprintf(stderr, "polcached: cannot daemonize: %s\n", strerror(errno));
        return 1;
    }
    /* in the background stderr is /dev/null: always syslog there */
    pc_log_open(foreground ? cfg.log_target : PC_LOG_SYSLOG,
                verbose && cfg.log_level < PC_LOG_INFO ? PC_LOG_INFO : cfg.log_level,
                "polcached");
    if (config == NULL)
        pc_log_notice("no configuration file, using built-in defaults");
    uv_loop_init(&loop);
    rc = pc_daemon_start(&d, &loop, &cfg);
    if (rc != 0) {
        uv_loop_close(&loop);
        return 1;
    }
    if (pc_daemon_drop_privileges(&d) != 0) {
        pc_daemon_stop(&d);
        uv_run(&loop, UV_RUN_DEFAULT);
        pc_daemon_finish(&d);
        uv_loop_close(&loop);
        return 1;
    }
    /* sockets bound, privileges dropped: ready for systemd (Type=notify) */
    pc_notify("READY=1\nSTATUS=serving");
    uv_run(&loop, UV_RUN_DEFAULT);
    pc_daemon_finish(&d);
    rc = uv_loop_close(&loop);
    if (rc != 0)
        pc_log_warn("loop closed with handles still open: %s", uv_strerror(rc));
    return 0;
}
