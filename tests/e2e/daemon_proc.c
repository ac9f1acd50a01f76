/*
 * daemon_proc.c - run a real polcached for end-to-end tests.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon_proc.h"
#include "pcclient.h"
#include "testutil.h"

static void die(const char *what)
{
    fprintf(stderr, "daemon_proc: %s: %s\n", what, strerror(errno));
    exit(1);
}

const char *dproc_world_conf(void)
{
    static char line[1200];
    pc_test_world_load();
    snprintf(line, sizeof(line), "unbound-config: %s\n", pc_test_env("PC_WORLD_UNBOUND_CONF"));
    return line;
}

void dproc_init(dproc_t *d, const char *extra)
{
    FILE *f;

    memset(d, 0, sizeof(*d));
    snprintf(d->dir, sizeof(d->dir), "/tmp/pc-e2e-XXXXXX");
    if (mkdtemp(d->dir) == NULL)
        die("mkdtemp");
    snprintf(d->sock, sizeof(d->sock), "%s/polcached.sock", d->dir);
    snprintf(d->conf, sizeof(d->conf), "%s/polcached.conf", d->dir);
    snprintf(d->state, sizeof(d->state), "%s/state", d->dir);
    f = fopen(d->conf, "w");
    if (f == NULL)
        die("config");
    fprintf(f, "# written by the end-to-end tests\nlisten: %s\nstate-dir: %s\nlog-level: info\n",
            d->sock, d->state);
    if (getuid() == 0)
        fprintf(f, "user: root\n");
    if (extra != NULL)
        fputs(extra, f);
    fclose(f);
}

void dproc_start(dproc_t *d)
{
    const char *bin = pc_test_env("PC_POLCACHED");
    char log[400];
    tc_t c;
    pid_t pid;

    snprintf(log, sizeof(log), "%s/daemon.log", d->dir);
    pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 2);
            dup2(fd, 1);
        }
        execl(bin, "polcached", "-f", "-c", d->conf, (char *)NULL);
        _exit(127);
    }
    d->pid = pid;
    if (tc_connect(&c, d->sock, 15000) != 0) {
        char cmd[600];
        snprintf(cmd, sizeof(cmd), "cat %s >&2", log);
        if (system(cmd) != 0)
            fprintf(stderr, "(no daemon log)\n");
        fprintf(stderr, "daemon_proc: polcached did not open %s\n", d->sock);
        kill(pid, SIGKILL);
        exit(1);
    }
    tc_close(&c);
}

int dproc_stop(dproc_t *d)
{
    int st = 0;

    if (d->pid <= 0)
        return -1;
    kill(d->pid, SIGTERM);
    while (waitpid(d->pid, &st, 0) < 0 && errno == EINTR)
        ;
    d->pid = 0;
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    return 128 + WTERMSIG(st);
}

void dproc_kill9(dproc_t *d)
{
    int st;
    if (d->pid <= 0)
        return;
    kill(d->pid, SIGKILL);
    waitpid(d->pid, &st, 0);
    d->pid = 0;
}

void dproc_cleanup(dproc_t *d)
{
    char cmd[400];
    if (d->pid > 0)
        dproc_kill9(d);
    if (getenv("PC_KEEP_TMP") != NULL)
        return;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", d->dir);
}

int world_py(const char *args)
{
    char cmd[2000];

    snprintf(cmd, sizeof(cmd), "python3 %s/tests/world/world.py %s >/dev/null",
             pc_test_source_dir(), args);
    return system(cmd);
}

int pworld_cmd(const pworld_t *w, const char *cmd, const char *args)
{
    char line[1600];

    snprintf(line, sizeof(line), "%s %s/w %s", cmd, w->dir, args != NULL ? args : "");
    return world_py(line);
}

void pworld_start(pworld_t *w, const char *extra_json)
{
    char extra[400] = "";

    memset(w, 0, sizeof(*w));
    snprintf(w->dir, sizeof(w->dir), "/tmp/pc-world-XXXXXX");
    if (mkdtemp(w->dir) == NULL)
        die("mkdtemp");
    if (extra_json != NULL) {
        char path[300];
        FILE *f;
        snprintf(path, sizeof(path), "%s/extra.json", w->dir);
        f = fopen(path, "w");
        if (f == NULL)
            die("extra.json");
        fputs(extra_json, f);
        fclose(f);
        snprintf(extra, sizeof(extra), "--extra %s", path);
    }
    if (pworld_cmd(w, "start", extra) != 0) {
        fprintf(stderr, "pworld: cannot start a world in %s/w %s\n", w->dir, extra);
        exit(1);
    }
    snprintf(w->unbound_conf, sizeof(w->unbound_conf), "%s/w/unbound.conf", w->dir);
}

int pworld_stop(pworld_t *w)
{
    char cmd[400];
    int rc = 0;

    if (pworld_cmd(w, "stop", NULL) != 0) {
        fprintf(stderr, "pworld: stop failed for %s\n", w->dir);
        rc = -1;
    }
    if (getenv("PC_KEEP_TMP") == NULL) {
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", w->dir);
        if (system(cmd) != 0) {
            fprintf(stderr, "pworld: cannot remove %s\n", w->dir);
            rc = -1;
        }
    }
    return rc;
}

const char *pworld_conf(const pworld_t *w)
{
    static char line[400];
    snprintf(line, sizeof(line), "unbound-config: %s\n", w->unbound_conf);
    return line;
}
