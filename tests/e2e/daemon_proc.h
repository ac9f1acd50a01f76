/*
 * daemon_proc.h - start and stop a real polcached for end-to-end tests:
 * a private directory with a config file, a socket and a state dir, the
 * daemon's stderr in DIR/daemon.log.
 */
#ifndef PC_TEST_DAEMON_PROC_H
#define PC_TEST_DAEMON_PROC_H

#include <sys/types.h>

typedef struct dproc {
    char dir[256];
    char sock[300];
    char conf[300];
    char state[300];
    pid_t pid;
} dproc_t;

/* Make a fresh directory under /tmp and write DIR/polcached.conf with the
 * given extra lines (may be NULL) after listen/state-dir/log lines. */
void dproc_init(dproc_t *d, const char *extra_conf);
/* Start polcached -f -c DIR/polcached.conf; wait until its socket accepts. */
void dproc_start(dproc_t *d);
/* SIGTERM and wait; returns the exit status (or 128+signal). */
int dproc_stop(dproc_t *d);
/* SIGKILL and reap. */
void dproc_kill9(dproc_t *d);
/* Remove the directory. */
void dproc_cleanup(dproc_t *d);
/* The world's unbound config line for the config file. */
const char *dproc_world_conf(void);
/* python3 tests/world/world.py ARGS, its output discarded: system()'s
 * status, 0 for success. */
int world_py(const char *args);



/* A private test world (tests/world/world.py) in its own directory. */
typedef struct pworld {
    char dir[256];
    char unbound_conf[300];
} pworld_t;

/* Start a world in a fresh temp dir; extra_json (may be NULL) is the text
 * of a --extra file. Exits the process on failure. */
void pworld_start(pworld_t *w, const char *extra_json);
/* Stop it and remove its directory (unless $PC_KEEP_TMP is set): 0, or -1
 * (with a message) when either failed. */
int pworld_stop(pworld_t *w);
/* world.py CMD DIR ARGS on it ("set", "stop", "start" again; args may be
 * NULL): system()'s status, 0 for success. */
int pworld_cmd(const pworld_t *w, const char *cmd, const char *args);
/* "unbound-config: DIR/unbound.conf\n" for a daemon config. */
const char *pworld_conf(const pworld_t *w);

#endif
