/*
 * clirun.h - run the dmarc-query binary in the end-to-end tests and look
 * at what it did: its exit status, its standard output and error, and in
 * JSON mode the parsed object (jansson). Every run's output is checked
 * for what holds of all output: JSON that parses and whose every key is
 * documented in man/dmarc-query.1, or text whose every line fits 80
 * columns and carries no escape sequence unless colour was asked for.
 */
#ifndef PC_TEST_CLIRUN_H
#define PC_TEST_CLIRUN_H

#include <jansson.h>
#include <stddef.h>

#include "daemon_proc.h"

typedef struct clires {
    int status;   /* exit status, or 128 + signal */
    char *out;    /* standard output, NUL-terminated */
    char *err;    /* standard error */
    json_t *json; /* the parsed output of a --json run, else NULL */
} clires_t;

/* Options of one run. */
typedef struct cliopt {
    const char *const *env; /* "NAME=value" to set, "NAME" to unset; NULL-ended */
    int as_nobody;          /* run as uid/gid 65534 (the caller is root);
                               status 126 or 127: it cannot run as that
                               user here (a build tree it cannot read) */
    int pty;                /* standard output is a terminal */
    int color;              /* colour is expected: skip the escape check */
} cliopt_t;

/*
 * Run $PC_DMARC_QUERY with the NULL-terminated arguments and wait for it
 * (at most 60 s). Fails the test (cmocka) on anything unexpected about the
 * run itself or about its output's form. opt may be NULL.
 */
void cli_run(clires_t *r, const cliopt_t *opt, ...);
void cli_res_free(clires_t *r);

/* "--socket PATH" arguments for the daemon at path (static storage). */
const char *cli_sock(const char *path);

/* Start the daemon d (dproc_init done) and copy its "--socket=PATH"
 * argument into sock (cap octets). */
void cli_daemon_start(dproc_t *d, char *sock, size_t cap);
/* cmocka group teardown: stop the daemon *state (a dproc_t) and remove
 * its directory. */
int cli_daemon_teardown(void **state);

/* Run dmarc-query (no options) with the daemon's "--socket=PATH" argument
 * sock and the other arguments; it must exit with status want, else the
 * test fails there, with its output. */
#define CLI_RUN(r, want, sock, ...)                                                        \
    do {                                                                                   \
        cli_run((r), NULL, (sock), __VA_ARGS__, (const char *)NULL);                       \
        if ((r)->status != (want))                                                         \
            fail_msg("status %d, not %d\nstdout:\n%s\nstderr:\n%s", (r)->status, (want),   \
                     (r)->out, (r)->err);                                                  \
    } while (0)

/*
 * The value of the first human output line "  KEY   value" (KEY at
 * column 2, the value after the spaces that follow it), copied into buf;
 * NULL when there is no such line. Continuation lines are not included.
 */
const char *cli_kv(const char *out, const char *key, char *buf, size_t cap);
/* 1 if out has a line that equals line (without its newline). */
int cli_has_line(const char *out, const char *line);
/* The value of KEY (cli_kv) must be want, else the test fails. */
void cli_check_kv(const char *out, const char *key, const char *want);

/* Shorthands on the parsed JSON: a member of an object (NULL if absent). */
const char *cli_jstr(const json_t *o, const char *key); /* NULL also for null */
long long cli_jint(const json_t *o, const char *key);   /* -1 if absent */
int cli_jbool(const json_t *o, const char *key);        /* -1 if absent */
int cli_jnull(const json_t *o, const char *key);        /* 1 if present and null */
/* The element of array arr whose member key equals value, or NULL. */
json_t *cli_jfind(const json_t *arr, const char *key, const char *value);

#endif
