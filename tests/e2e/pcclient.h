/*
 * pcclient.h - a small blocking test client built on proto/: connect to a
 * polcached socket, send frames, read frames. For end-to-end tests only;
 * the real client library is libpolcache.
 */
#ifndef PC_TEST_PCCLIENT_H
#define PC_TEST_PCCLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "wire.h"

typedef struct tc {
    int fd;
    uint8_t in[2 * PC_WIRE_MAX_FRAME];
    size_t in_len;
    uint8_t frame[PC_WIRE_MAX_FRAME];
    size_t frame_len;
    pc_msg_t msg;
} tc_t;

/* Connect (retrying up to timeout_ms while the daemon starts). 0 or -1. */
int tc_connect(tc_t *c, const char *path, unsigned timeout_ms);
void tc_close(tc_t *c);
/* Send raw octets. 0 or -1. */
int tc_send(tc_t *c, const void *p, size_t n);
/* Send the frames in b and reset it. */
int tc_send_wbuf(tc_t *c, pc_wbuf_t *b);
/*
 * Read one frame (timeout_ms) into c->frame and decode it into c->msg.
 * Returns the decode result (0 ok), -1000 on EOF/close, -1001 on timeout.
 */
int tc_read(tc_t *c, unsigned timeout_ms);

/* Build and send a record request (type DMARC/SPF/DKIM); selector may be NULL. */
int tc_send_record(tc_t *c, uint8_t type, uint32_t id, uint16_t flags,
                   const char *domain, const char *selector);
/* Copy a text/bytes field of c->msg (NUL-terminated); "" when absent. */
const char *tc_text(tc_t *c, uint16_t type, char *buf, size_t cap);
/* u8/u32 field of c->msg, or -1 when absent. */
long tc_u8(tc_t *c, uint16_t type);
long tc_u32(tc_t *c, uint16_t type);
/* Value of a FIELD with this name, or NULL. */
const char *tc_field(tc_t *c, const char *name, char *buf, size_t cap);
/* Value of a STAT counter in a stats reply, or -1. */
long long tc_stat(tc_t *c, const char *name);

/* Send a record request (no flags) and read its reply (10 s): 0, or -1
 * when either fails or the reply does not carry id. */
int tc_ask(tc_t *c, uint8_t type, const char *domain, const char *selector, uint32_t id);
/* Ask STATS (id 99) and return the counter of that name; -1 on any
 * failure. c->msg is the stats reply, for tc_stat of other counters. */
long long tc_stat_of(tc_t *c, const char *name);

#endif
