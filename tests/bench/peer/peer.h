/*
 * peer.h - the per-message comparison of polcached with what mail filters
 * use today: libspf2 for SPF check_host(), libopendmarc 1.4.2 (with
 * libspf2 supplying SPF) for DMARC. One workload of messages, three
 * engines behind one interface, so the driver asks each engine the same
 * question and compares the verdicts as text before it times anything.
 */
#ifndef PEER_H
#define PEER_H

#include <stddef.h>

#define PEER_DKIM_MAX 4
#define PEER_VERDICT_MAX 160

/* One DKIM result as the filter found it (the comparison gives both sides
 * the same results; neither verifies signatures). */
typedef struct peer_dkim {
    char d[256];
    char s[64];
    int pass;   /* 1 pass, 0 fail */
} peer_dkim_t;

/* One message of the workload (a line of the messages file, see
 * peer_msgs_load). Strings are NUL-terminated; mailfrom "" is the null
 * reverse-path. */
typedef struct peer_msg {
    char id[32];
    char set[16];        /* "main" (must agree, timed) or "edge" */
    char ip[64];
    char mailfrom[256];
    char helo[256];
    char from[256];      /* the RFC 5322 From domain */
    peer_dkim_t dkim[PEER_DKIM_MAX];
    int ndkim;
    char expect[PEER_VERDICT_MAX]; /* the agreed verdict of the task, or "" */
} peer_msg_t;

typedef enum peer_task { PEER_SPF, PEER_DMARC } peer_task_t;

/* What an engine needs to start. */
typedef struct peer_opts {
    peer_task_t task;
    const char *sock;      /* pc: polcached's socket */
    int spf2_cache_bits;   /* spf2/odmarc: 0 no cache layer (SPF_DNS_RESOLV),
                              else SPF_dns_cache_new(..., bits) over it */
    const char *psl;       /* odmarc: the public suffix list file */
    const char *ns;        /* odmarc: nsaddr_list[0], IPv4 (port 53) */
    unsigned answer_cache; /* pc: libpolcache's answer cache, entries per
                              context (0: off, every question goes to
                              polcached) */
} peer_opts_t;

/*
 * An engine: open once, one thread state per client thread, then
 * eval() answers one message with its verdict text (see peer_verdict_*).
 * eval returns 0, or -1 when no verdict was obtained (a client error,
 * with the reason in the verdict buffer).
 */
typedef struct peer_engine {
    const char *name;
    int (*open)(const peer_opts_t *o, void **shared);
    int (*thread_open)(void *shared, void **state);
    int (*eval)(void *state, const peer_msg_t *m, char *verdict, size_t cap);
    void (*thread_close)(void *state);
    void (*close)(void *shared);
    /* A server counter (polcached's STATS, e.g. "upstream.queries"), or
     * for polcached also "answer_cache.hits" / "answer_cache.misses"
     * (summed over the client states closed so far), or -1; NULL for
     * engines without one. */
    long long (*counter)(void *shared, const char *name);
} peer_engine_t;

extern const peer_engine_t peer_engine_pc;     /* polcached via libpolcache */
extern const peer_engine_t peer_engine_spf2;   /* libspf2 (SPF only) */
extern const peer_engine_t peer_engine_odmarc; /* libopendmarc + libspf2 */

/* ---- the libspf2 check, shared by peer_spf2.c and peer_odmarc.c ---- */

/* A libspf2 server, with or without its cache layer (bits 0: none). NULL on failure. */
void *peer_spf2_server_new(int cache_bits);
void peer_spf2_server_free(void *server);
/* check_host() for the message's ip / MAIL FROM / HELO. Returns the
 * result as a name ("pass", "fail", ..., "permerror"), and the domain
 * checked in dom (cap octets). */
const char *peer_spf2_check(void *server, const peer_msg_t *m, char *dom, size_t cap);

/* ---- verdict text, the same for every engine ---- */

/* "pass", "fail", ... for PC_SPF_* values (types.h); "?" for others. */
const char *peer_spf_name(int pc_spf_result);
/*
 * The DMARC verdict: "dmarc=RESULT spf=SPF" and, for pass and fail,
 * " disp=DISPOSITION align=SD" (S, D: y/n for an aligned SPF and an
 * aligned DKIM identifier).
 */
void peer_dmarc_verdict(char *out, size_t cap, const char *result, const char *spf,
                        const char *disposition, int spf_aligned, int dkim_aligned);

/* ---- the workload ---- */

typedef struct peer_msgs {
    peer_msg_t *m;
    size_t n;
} peer_msgs_t;

/*
 * Load a messages file: TAB-separated lines
 *   id set ip mailfrom helo from dkim [expect]
 * where "-" is an empty field (mailfrom "-" is the null reverse-path
 * "<>"), dkim is "-" or comma-separated d:s:pass|fail, and expect is the
 * verdict the timed runs must see. '#' lines are comments. With only_set
 * not NULL, other sets are skipped. 0, or -1 with a message on stderr.
 */
int peer_msgs_load(peer_msgs_t *ms, const char *path, const char *only_set);
void peer_msgs_free(peer_msgs_t *ms);

#endif
