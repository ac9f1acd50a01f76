/*
 * lg_loop.h - the load generator's workers: each thread runs one epoll
 * loop over its share of the clients. A client is one connection (a Unix
 * stream socket to polcached, or a connected UDP socket to a DNS server)
 * keeping `depth` requests in flight; the requests a read frees are
 * written back together, in one write(2) or one sendmmsg(2).
 */
#ifndef LG_LOOP_H
#define LG_LOOP_H

#include <pthread.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "lg_hist.h"
#include "lg_names.h"
#include "lg_proto.h"

#define LG_SLOT_BITS 12
#define LG_DEPTH_MAX (1u << LG_SLOT_BITS)

typedef enum lg_target { LG_PC, LG_DNS } lg_target_t;
typedef enum lg_phase { LG_WARMUP, LG_MEASURE, LG_DRAIN } lg_phase_t;

/* What every worker shares; only phase and next_once change during a run. */
typedef struct lg_run {
    lg_target_t target;
    char sock[108];                 /* LG_PC */
    struct sockaddr_storage addr;   /* LG_DNS */
    socklen_t addrlen;
    unsigned clients, depth, threads;
    unsigned timeout_ms;
    int once;                       /* each name once, in order */
    int expect_hit;                 /* polcached must answer from its cache */
    lg_names_t names;
    int phase;                      /* lg_phase_t, atomic */
    uint64_t next_once;             /* atomic */
    unsigned done;                  /* workers finished, atomic */
    unsigned err_printed;           /* atomic: error details printed */
} lg_run_t;

typedef struct lg_client lg_client_t;

typedef struct lg_worker {
    lg_run_t *run;
    pthread_t th;
    int ep;
    lg_client_t *cl;
    unsigned ncl;
    lg_hist_t hist;                 /* latency of replies completed while measuring */
    uint64_t measured;              /* replies completed while measuring */
    uint64_t sent, completed;       /* whole run (read racily for progress) */
    uint64_t errors[LG_E_KINDS];
    uint64_t hits, misses, late;
    pc_msg_t msg;
} lg_worker_t;

/* Open the worker's clients (connect) and its epoll set. 0 or -1 (message printed). */
int lg_worker_open(lg_worker_t *w, lg_run_t *run, unsigned first_client, unsigned nclients);
/* The thread body: fill every client, run until drained or out of names. */
void *lg_worker_main(void *arg);
void lg_worker_close(lg_worker_t *w);

#endif
