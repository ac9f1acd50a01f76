/*
 * client.h - libpolcache internals: the context, the request record, and
 * the functions the client's files share. Nothing here is exported; the
 * prefix pcc_ keeps these names apart from the daemon's, since tests link
 * both.
 *
 * Locking: one mutex per context (mu) guards every field below except
 * the path, which never changes. No function in this
 * header takes or releases it unless it says so; all expect it held.
 */
#ifndef PC_CLIENT_INT_H
#define PC_CLIENT_INT_H

#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/un.h>

#include "polcache.h"
#include "wire.h"

#define PCC_HASH_BUCKETS 1024u /* request table; a power of two */

/* How a completed request reaches its caller. */
typedef enum pcc_req_mode {
    PCC_MODE_SYNC = 1,  /* a thread waits on cond */
    PCC_MODE_ASYNC = 2  /* the callback runs from pc_client_process */
} pcc_req_mode_t;

/* What a request asks (the input of pcc_req_encode). */
typedef struct pcc_reqspec {
    uint8_t type;                /* PC_MSG_* request type */
    uint16_t flags;              /* PC_F_NOCACHE | PC_F_NOSTALE */
    uint8_t discover;            /* DMARC: 0 none, else the DISCOVER value
                                    plus one */
    const char *domain;          /* record requests, flush of a name */
    const char *selector;        /* DKIM */
    int flush_all;               /* flush: everything */
    const pc_dump_filter_t *filter; /* dump, may be NULL */
    const uint8_t *cursor;       /* dump: resume point, may be NULL */
    size_t cursor_len;
    uint32_t target_id;          /* cancel */
    /* SPF check, and DMARC evaluation when polcached runs SPF */
    uint8_t ip[16];              /* the client address, ip_len octets */
    size_t ip_len;               /* 4 or 16; 0: none */
    const char *mailfrom;        /* NULL: absent */
    const char *helo;            /* NULL: absent */
    /* DMARC evaluation (domain is the From domain) */
    uint8_t spf_result;          /* a given SPF result; 0: none */
    const char *spf_domain;
    uint8_t spf_scope;           /* 1 mailfrom, 2 helo */
    const pc_eval_dkim_t *dkim;
    size_t ndkim;
    int pct_roll;                /* 0: none; 1..100: PCT_ROLL + 1 */
} pcc_reqspec_t;

/* A decoded reply, owned by whoever holds the request. */
typedef struct pcc_reply {
    pc_result_t *record;  /* DMARC, SPF, DKIM */
    pc_spf_check_t *spf;  /* SPF check */
    pc_eval_result_t *eval; /* DMARC evaluation */
    pc_stats_t *stats;
    pc_dump_page_t *page;
    pc_ping_t ping;
    uint32_t count;       /* flush */
} pcc_reply_t;

typedef struct pcc_req pcc_req_t;
struct pcc_req {
    uint32_t id;
    uint8_t type;           /* request type */
    pcc_req_mode_t mode;
    uint64_t deadline;      /* monotonic milliseconds */
    size_t heap_idx;        /* position in the deadline heap */
    int queued;             /* in the table and the heap */
    int done;               /* completed: err and reply are final */
    int err;
    pcc_reply_t reply;
    pc_result_cb cb;        /* async: a record request */
    pc_spf_check_cb spf_cb; /* async: an SPF check */
    pc_eval_cb eval_cb;     /* async: a DMARC evaluation */
    void *arg;
    pthread_cond_t cond;    /* sync: signalled on completion */
    uint8_t *key;           /* answer cache: the question, when its answer
                               may be kept (acache.c); NULL otherwise */
    size_t key_len;
    uint64_t key_hash;
    uint64_t key_epoch;     /* the epoch page before the request was sent */
    pcc_req_t *hnext;        /* hash chain */
    pcc_req_t *next, *prev;  /* the done list (async) or the waiters (sync) */
};

/* A doubly-linked list of requests. */
typedef struct pcc_reqlist {
    pcc_req_t *head, *tail;
    size_t n;
} pcc_reqlist_t;

struct pc_client {
    pthread_mutex_t mu;
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    pid_t pid;              /* the process that owns sock and the fds */
    int forked;             /* set by the atfork child handler */
    int closing;            /* pc_client_destroy runs: accept nothing */
    /* descriptors */
    int epfd;               /* the public descriptor (pc_client_fd) */
    int timerfd;            /* armed for the earliest deadline */
    int notifyfd;           /* eventfd: the done list is not empty */
    int wakefd;             /* eventfd: wakes the thread reading in poll */
    int sock;               /* the daemon connection, -1 when closed */
    uint32_t sock_events;   /* its epoll interest */
    uint64_t armed;         /* deadline the timer is armed for, 0 = none */
    /* settings */
    unsigned timeout_ms;
    unsigned max_inflight;
    size_t max_queued;
    /* connection state */
    uint8_t *in;            /* received octets not yet parsed */
    size_t in_len;
    pc_wbuf_t out;          /* encoded requests not yet written */
    pc_msg_t *msg;          /* decode scratch */
    /* requests */
    uint32_t next_id;
    pcc_req_t *table[PCC_HASH_BUCKETS];
    size_t ninflight;       /* in the table */
    pcc_req_t **heap;       /* by deadline */
    size_t heap_len, heap_cap;
    pcc_reqlist_t done;     /* completed async requests awaiting callbacks */
    pcc_reqlist_t waiters;  /* sync requests whose threads are in a call */
    size_t pending_async;   /* async accepted, callback not yet called */
    pcc_req_t *reader;      /* the sync request whose thread reads in poll */
    struct pcc_acache *ac;  /* the answer cache, NULL when off */
    pc_client_t *reg_next, *reg_prev; /* the atfork registry (its own lock) */
};

/* ---- client.c ---- */
uint64_t pcc_now_ms(void);
/* Reset a context inherited over fork() if this process is a child. */
void pcc_fork_check(pc_client_t *c);
/* Lock c (and run the fork check). Returns 0 or PC_EINVAL (c NULL). */
int pcc_lock(pc_client_t *c);
void pcc_unlock(pc_client_t *c);

/* ---- conn.c ---- */
/* Connect if not connected; first read what is pending, so a connection
 * the daemon closed is noticed and replaced. 0 or PC_E*. */
int pcc_conn_ensure(pc_client_t *c);
/* Read and dispatch every reply that is available, without blocking. */
void pcc_conn_read(pc_client_t *c);
/* Write queued requests until done or the socket is full. */
void pcc_conn_flush(pc_client_t *c);
/* Close the connection; every request in flight completes with err. */
void pcc_conn_fail(pc_client_t *c, int err);
/* Keep the socket's epoll interest in step with the output queue. */
void pcc_conn_update_events(pc_client_t *c);
/* Write a CANCEL for request id, if connected and there is room. */
void pcc_conn_send_cancel(pc_client_t *c, uint32_t id);
/*
 * Split one frame off the start of buf: returns its total length when
 * a whole frame is there, 0 when more octets are needed, or a PC_E*
 * code when the header cannot be trusted (then *id is its id field).
 */
long pcc_frame_len(const uint8_t *buf, size_t len, uint32_t *id);

/* ---- req.c ---- */
pcc_req_t *pcc_req_new(pcc_req_mode_t mode);
/* Free a request and whatever reply it still holds. */
void pcc_req_free(pcc_req_t *r, int destroy_cond);
/*
 * Accept a request: check the bounds, connect, encode the frame, insert
 * it in the table and the heap, and try to write it. Returns 0 or PC_E*
 * (then nothing was queued and r is untouched).
 */
int pcc_req_submit(pc_client_t *c, pcc_req_t *r, const pcc_reqspec_t *spec,
                   unsigned timeout_ms);
pcc_req_t *pcc_req_find(pc_client_t *c, uint32_t id);
/* A fresh request id: never 0, never one in flight. */
uint32_t pcc_req_alloc_id(pc_client_t *c);
/* Complete a queued request: remove it from the table and the heap, keep
 * err and the reply, and hand it to its waiter or the done list. */
void pcc_req_finish(pc_client_t *c, pcc_req_t *r, int err, pcc_reply_t *reply);
/* Complete r with PC_ETIMEDOUT and, for a record request, tell the
 * daemon to drop it. */
void pcc_req_timeout(pc_client_t *c, pcc_req_t *r);
/* Complete with PC_ETIMEDOUT every request whose deadline has passed. */
void pcc_req_expire(pc_client_t *c, uint64_t now);
/* Arm the timer descriptor for the earliest deadline (or disarm it). */
void pcc_req_arm_timer(pc_client_t *c);
/* Drop every request of the context without completing it (fork child,
 * destroy after the callbacks): frees them. */
void pcc_req_drop_all(pc_client_t *c, int destroy_cond);

void pcc_list_push(pcc_reqlist_t *l, pcc_req_t *r);
void pcc_list_remove(pcc_reqlist_t *l, pcc_req_t *r);

/* ---- request.c ---- */
/* Check a spec's arguments (names, dump filter). 0 or PC_E*. */
int pcc_req_check(const pcc_reqspec_t *spec);
/* Check and encode one request frame with this id into b. 0 or PC_E*. */
int pcc_req_encode(pc_wbuf_t *b, uint32_t id, const pcc_reqspec_t *spec);
/* Check a query's arguments and fill a spec from it. 0 or PC_E*. */
int pcc_query_spec(const pc_query_t *q, pcc_reqspec_t *spec);
/* The same for an SPF check and a DMARC evaluation. */
int pcc_spf_spec(const pc_spf_query_t *q, pcc_reqspec_t *spec);
int pcc_eval_spec(const pc_eval_query_t *q, pcc_reqspec_t *spec);

/* ---- reply.c ---- */
/*
 * Turn a decoded reply frame to a request of type req_type into a
 * pcc_reply_t (copied out: nothing points into m afterwards). Returns 0,
 * the daemon's code for an error reply, PC_EMALFORMED (a reply of another
 * type) or PC_ENOMEM.
 */
int pcc_reply_decode(uint8_t req_type, const pc_msg_t *m, pcc_reply_t *out);
/* Free what a reply holds and zero it. */
void pcc_reply_clear(pcc_reply_t *r);

/* ---- acache.c ---- */
typedef struct pcc_acache pcc_acache_t;
/*
 * Before r is sent: if the answer cache holds a valid answer to spec,
 * decode it into *reply and return 1. Otherwise return 0 (r goes to the
 * daemon; r->key is set when its answer may be kept) or PC_E*. With r
 * NULL it only looks: a miss is neither counted nor prepared.
 */
int pcc_acache_try(pc_client_t *c, pcc_req_t *r, const pcc_reqspec_t *spec,
                   pcc_reply_t *reply);
/* The reply frame to r arrived and decoded into m: keep it if allowed. */
void pcc_acache_store(pc_client_t *c, const pcc_req_t *r, const pc_msg_t *m,
                      const uint8_t *frame, size_t len);
void pcc_acache_free(pcc_acache_t *a);

/* ---- sync.c ---- */
/* Run one blocking request to completion; on 0, *reply holds the answer. */
int pcc_sync_call(pc_client_t *c, const pcc_reqspec_t *spec, unsigned timeout_ms,
                  pcc_reply_t *reply);
/* Wake the thread waiting for r (its cond, or the wake fd if it reads). */
void pcc_sync_wake(pc_client_t *c, pcc_req_t *r);

#endif /* PC_CLIENT_INT_H */
