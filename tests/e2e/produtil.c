/*
 * produtil.c - helpers of the production end-to-end tests.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "produtil.h"
#include "testutil.h"

void pu_write_conf(dproc_t *d, const char *text)
{
    char tmp[400];
    FILE *f;

    snprintf(tmp, sizeof(tmp), "%s.new", d->conf);
    f = fopen(tmp, "w");
    if (f == NULL) {
        fprintf(stderr, "produtil: cannot write %s: %s\n", tmp, strerror(errno));
        exit(1);
    }
    fprintf(f, "# written by the production tests\nlisten: %s\nstate-dir: %s\nlog-level: info\n",
            d->sock, d->state);
    if (text != NULL)
        fputs(text, f);
    if (fclose(f) != 0 || rename(tmp, d->conf) != 0) {
        fprintf(stderr, "produtil: cannot write %s: %s\n", d->conf, strerror(errno));
        exit(1);
    }
}

uint64_t pu_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int pu_ping(tc_t *c, uint32_t id, unsigned timeout_ms)
{
    pc_hdr_t h = {PC_WIRE_VERSION, PC_MSG_PING, 0, id, 0};
    uint8_t f[PC_WIRE_HDR_LEN];

    pc_hdr_encode(&h, f);
    if (tc_send(c, f, sizeof(f)) != 0 || tc_read(c, timeout_ms) != 0)
        return -1;
    return c->msg.hdr.type == (PC_MSG_PING | PC_MSG_REPLY) && c->msg.hdr.id == id ? 0 : -1;
}

long long pu_stat(const char *sock, const char *name)
{
    tc_t *c = malloc(sizeof(*c));
    pc_hdr_t h = {PC_WIRE_VERSION, PC_MSG_STATS, 0, 77, 0};
    uint8_t f[PC_WIRE_HDR_LEN];
    long long v = -1;

    if (c == NULL)
        return -1;
    pc_hdr_encode(&h, f);
    if (tc_connect(c, sock, 2000) == 0 && tc_send(c, f, sizeof(f)) == 0 &&
        tc_read(c, 5000) == 0 && c->msg.hdr.type == (PC_MSG_STATS | PC_MSG_REPLY))
        v = tc_stat(c, name);
    tc_close(c);
    free(c);
    return v;
}

long long pu_wait_stat(const char *sock, const char *name, long long want, unsigned timeout_ms)
{
    uint64_t end = pu_now_ms() + timeout_ms;
    long long v;

    for (;;) {
        v = pu_stat(sock, name);
        if (v >= want || pu_now_ms() >= end)
            return v;
        usleep(20000);
    }
}

int pu_reload(dproc_t *d)
{
    long long ok = pu_stat(d->sock, "daemon.reloads");
    long long bad = pu_stat(d->sock, "daemon.reload_errors");
    uint64_t end = pu_now_ms() + 10000;

    if (ok < 0 || bad < 0 || kill(d->pid, SIGHUP) != 0)
        return -1;
    while (pu_now_ms() < end) {
        if (pu_stat(d->sock, "daemon.reloads") > ok)
            return 1;
        if (pu_stat(d->sock, "daemon.reload_errors") > bad)
            return 0;
        usleep(20000);
    }
    return -1;
}

int pu_log_has(const dproc_t *d, const char *needle)
{
    char path[400];
    char *text;
    int found;

    snprintf(path, sizeof(path), "%s/daemon.log", d->dir);
    text = pc_test_read_file(path, NULL);
    found = text != NULL && strstr(text, needle) != NULL;
    free(text);
    return found;
}

int pu_error_code(const tc_t *c)
{
    const pc_tlv_t *t;

    if (c->msg.hdr.type != PC_MSG_ERROR_REPLY)
        return 0;
    t = pc_msg_find(&c->msg, PC_T_ERROR_CODE);
    return t != NULL ? (int)pc_tlv_i32(t) : 0;
}

int pu_raise_nofile(unsigned n)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return -1;
    if (rl.rlim_cur >= n)
        return 0;
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < n)
        return -1;
    rl.rlim_cur = n;
    return setrlimit(RLIMIT_NOFILE, &rl);
}
