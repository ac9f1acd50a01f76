/*
 * fakesrv.h - a scripted stand-in for polcached in a thread of the test
 * process, for the client tests that need a daemon misbehaving on purpose:
 * one that never answers, never reads, refuses, sends garbage, answers
 * with errors, or answers record requests out of order.
 */
#ifndef PC_TEST_FAKESRV_H
#define PC_TEST_FAKESRV_H

#include <pthread.h>
#include <stdint.h>

typedef enum fake_mode {
    FAKE_SILENT,  /* read every frame, never answer */
    FAKE_NOREAD,  /* accept, never read */
    FAKE_REFUSE,  /* answer the connection with PC_EBUSY (id 0), close */
    FAKE_GARBAGE, /* answer the first frame with a frame of bad magic */
    FAKE_ERROR,   /* answer every request with an error reply (err) */
    FAKE_CLOSE,   /* close the connection after the first frame */
    FAKE_RECORD   /* answer record requests in batches of `batch`, in
                     reverse order, RAW = the requested domain; ping too */
} fake_mode_t;

#define FAKE_MAX_SEEN 4096

typedef struct fakesrv {
    char dir[64];
    char path[108];
    fake_mode_t mode;
    int err;                 /* FAKE_ERROR: the code to answer */
    int batch;               /* FAKE_RECORD */
    int lfd;
    int stop[2];
    pthread_t th;
    pthread_mutex_t mu;      /* guards the counters below */
    int conns;               /* connections accepted */
    int frames;              /* request frames read */
    int cancels;             /* CANCEL frames read */
    uint32_t cancel_target[FAKE_MAX_SEEN];
    uint8_t seen_type[FAKE_MAX_SEEN];
    uint32_t seen_id[FAKE_MAX_SEEN];
} fakesrv_t;

/* Listen on a fresh /tmp/pc-fake-XXXXXX/sock and serve in a thread.
 * Exits the process on failure. */
void fake_start(fakesrv_t *f, fake_mode_t mode);
/* The same in FAKE_RECORD mode with this batch size. */
void fake_start_record(fakesrv_t *f, int batch);
/* Stop the thread, close everything, remove the directory. */
void fake_stop(fakesrv_t *f);
/* Counters, read under the lock. */
int fake_conns(fakesrv_t *f);
int fake_frames(fakesrv_t *f);
int fake_cancels(fakesrv_t *f);
/* 1 if a CANCEL for target was read (waits up to 1 s for it). */
int fake_saw_cancel(fakesrv_t *f, uint32_t target);

#endif
