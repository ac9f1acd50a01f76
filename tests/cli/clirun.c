/*
 * clirun.c - run dmarc-query as a child process for the CLI tests, with
 * its output captured through pipes (or a pseudo-terminal), and check the
 * form of what it wrote.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pty.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "clirun.h"
#include "testutil.h"

#define MAX_ARGS 32

typedef struct buf {
    char *p;
    size_t len, cap;
} buf_t;

static void buf_add(buf_t *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

/* ---- the form checks ---- */

static const char *man_page(void)
{
    static char *text;
    char path[1024];

    if (text == NULL) {
        snprintf(path, sizeof(path), "%s/man/dmarc-query.1", pc_test_source_dir());
        text = pc_test_read_file(path, NULL);
        if (text == NULL)
            fail_msg("cannot read %s", path);
    }
    return text;
}

/* Every key of every object is documented as a ".B key" line; the names of
 * the daemon's counters are its own. */
static void check_keys(json_t *v, const char *parent)
{
    const char *key;
    json_t *m;
    size_t i;

    if (json_is_object(v)) {
        json_object_foreach(v, key, m) {
            char line[200];
            if (parent != NULL && strcmp(parent, "counters") == 0)
                continue;
            snprintf(line, sizeof(line), "\n.B %s\n", key);
            if (strstr(man_page(), line) == NULL)
                fail_msg("JSON key \"%s\" is not documented in man/dmarc-query.1", key);
            check_keys(m, key);
        }
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, m)
            check_keys(m, parent);
    }
}

static void check_text(const char *out, int color)
{
    const char *line = out;

    if (!color && strchr(out, '\033') != NULL)
        fail_msg("an escape sequence in output without colour:\n%s", out);
    while (*line != '\0') {
        const char *end = strchr(line, '\n');
        size_t cols = 0;
        if (end == NULL)
            end = line + strlen(line);
        for (const char *p = line; p < end; p++) {
            if (*p == '\033') { /* an SGR sequence takes no column */
                while (p < end && *p != 'm')
                    p++;
                continue;
            }
            cols += ((unsigned char)*p & 0xc0) != 0x80;
        }
        if (cols > 80)
            fail_msg("a line of %zu columns:\n%.*s", cols, (int)(end - line), line);
        line = *end != '\0' ? end + 1 : end;
    }
}

/* ---- running ---- */

static void child(const cliopt_t *opt, char **argv, int out_fd, int err_fd)
{
    dup2(out_fd, STDOUT_FILENO);
    dup2(err_fd, STDERR_FILENO);
    for (const char *const *e = opt != NULL ? opt->env : NULL; e != NULL && *e != NULL; e++) {
        const char *eq = strchr(*e, '=');
        if (eq == NULL) {
            unsetenv(*e);
        } else {
            char name[128];
            snprintf(name, sizeof(name), "%.*s", (int)(eq - *e), *e);
            setenv(name, eq + 1, 1);
        }
    }
    if (opt != NULL && opt->as_nobody &&
        (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0)) {
        perror("setuid");
        _exit(126);
    }
    execv(argv[0], argv);
    perror(argv[0]);
    _exit(127);
}

void cli_run(clires_t *r, const cliopt_t *opt, ...)
{
    char *argv[MAX_ARGS + 2];
    int out[2], err[2], n = 0, json = 0, st = 0, open_fds = 2;
    buf_t bo = {0}, be = {0};
    va_list ap;
    pid_t pid;
    time_t start = time(NULL);

    memset(r, 0, sizeof(*r));
    argv[n++] = strdup(pc_test_env("PC_DMARC_QUERY"));
    va_start(ap, opt);
    for (const char *a; n < MAX_ARGS && (a = va_arg(ap, const char *)) != NULL;) {
        argv[n++] = strdup(a);
        json |= strcmp(a, "--json") == 0 || strcmp(a, "-j") == 0;
    }
    va_end(ap);
    argv[n] = NULL;
    if (opt != NULL && opt->pty) {
        struct termios raw;
        assert_int_equal(openpty(&out[0], &out[1], NULL, NULL, NULL), 0);
        tcgetattr(out[1], &raw);
        cfmakeraw(&raw);
        tcsetattr(out[1], TCSANOW, &raw);
    } else {
        assert_int_equal(pipe(out), 0);
    }
    assert_int_equal(pipe(err), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(out[0]);
        close(err[0]);
        child(opt, argv, out[1], err[1]);
    }
    close(out[1]);
    close(err[1]);
    while (open_fds > 0) {
        struct pollfd p[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
        char chunk[4096];
        if (time(NULL) - start > 60) {
            kill(pid, SIGKILL);
            fail_msg("dmarc-query ran for more than 60 s");
        }
        if (poll(p, 2, 1000) < 0 && errno != EINTR)
            fail_msg("poll: %s", strerror(errno));
        for (int i = 0; i < 2; i++) {
            ssize_t got;
            if (p[i].fd < 0 || p[i].revents == 0)
                continue;
            got = read(p[i].fd, chunk, sizeof(chunk));
            if (got > 0) {
                buf_add(i == 0 ? &bo : &be, chunk, (size_t)got);
            } else if (got == 0 || errno != EINTR) { /* EOF, or EIO of a pty */
                close(i == 0 ? out[0] : err[0]);
                if (i == 0)
                    out[0] = -1;
                else
                    err[0] = -1;
                open_fds--;
            }
        }
    }
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    for (int i = 0; i < n; i++)
        free(argv[i]);
    r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    buf_add(&bo, "", 0);
    buf_add(&be, "", 0);
    r->out = bo.p;
    r->err = be.p;
    if (r->status >= 128 || ((r->status == 126 || r->status == 127) &&
                             (opt == NULL || !opt->as_nobody)))
        fail_msg("dmarc-query died (status %d): %s", r->status, r->err);
    if (opt != NULL && opt->as_nobody && (r->status == 126 || r->status == 127))
        return; /* uid 65534 cannot run it here (the caller skips) */
    if (json && r->status != 64 && r->out[0] == '\0')
        fail_msg("status %d and no JSON: %s", r->status, r->err);
    if (json && r->out[0] != '\0') {
        json_error_t je;
        r->json = json_loads(r->out, JSON_REJECT_DUPLICATES, &je);
        if (r->json == NULL || !json_is_object(r->json))
            fail_msg("not a JSON object (%s, line %d):\n%s", je.text, je.line, r->out);
        check_keys(r->json, NULL);
        if (cli_jint(r->json, "exit") != r->status)
            fail_msg("JSON \"exit\" %lld but the status is %d", cli_jint(r->json, "exit"),
                     r->status);
    } else if (!json) {
        check_text(r->out, opt != NULL && opt->color);
    }
}

void cli_res_free(clires_t *r)
{
    free(r->out);
    free(r->err);
    json_decref(r->json);
    memset(r, 0, sizeof(*r));
}

const char *cli_sock(const char *path)
{
    static char arg[400];
    snprintf(arg, sizeof(arg), "--socket=%s", path);
    return arg;
}

void cli_daemon_start(dproc_t *d, char *sock, size_t cap)
{
    dproc_start(d);
    snprintf(sock, cap, "%s", cli_sock(d->sock));
}

int cli_daemon_teardown(void **state)
{
    dproc_t *d = *state;

    dproc_stop(d);
    dproc_cleanup(d);
    return 0;
}

/* ---- reading the output ---- */

const char *cli_kv(const char *out, const char *key, char *buf, size_t cap)
{
    size_t n = strlen(key);

    for (const char *line = out; line != NULL && *line != '\0';) {
        const char *end = strchr(line, '\n');
        if (end == NULL)
            end = line + strlen(line);
        if (end - line > (ptrdiff_t)(n + 2) && strncmp(line, "  ", 2) == 0 &&
            strncmp(line + 2, key, n) == 0 && line[2 + n] == ' ') {
            const char *v = line + 2 + n;
            while (v < end && *v == ' ')
                v++;
            snprintf(buf, cap, "%.*s", (int)(end - v), v);
            return buf;
        }
        line = *end != '\0' ? end + 1 : NULL;
    }
    return NULL;
}

int cli_has_line(const char *out, const char *want)
{
    size_t n = strlen(want);

    for (const char *line = out; line != NULL && *line != '\0';) {
        const char *end = strchr(line, '\n');
        if (end == NULL)
            end = line + strlen(line);
        if ((size_t)(end - line) == n && strncmp(line, want, n) == 0)
            return 1;
        line = *end != '\0' ? end + 1 : NULL;
    }
    return 0;
}

void cli_check_kv(const char *out, const char *key, const char *want)
{
    char buf[512];
    const char *v = cli_kv(out, key, buf, sizeof(buf));
    if (v == NULL || strcmp(v, want) != 0)
        fail_msg("\"%s\": \"%s\", not \"%s\" in:\n%s", key, v ? v : "(none)", want, out);
}

const char *cli_jstr(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

long long cli_jint(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? json_integer_value(v) : -1;
}

int cli_jbool(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_boolean(v) ? json_is_true(v) : -1;
}

int cli_jnull(const json_t *o, const char *key)
{
    return json_is_null(json_object_get(o, key));
}

json_t *cli_jfind(const json_t *arr, const char *key, const char *value)
{
    size_t i;
    json_t *e;

    json_array_foreach(arr, i, e) {
        const char *s = cli_jstr(e, key);
        if (s != NULL && strcmp(s, value) == 0)
            return e;
    }
    return NULL;
}
