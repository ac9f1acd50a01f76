/*
 * handler.h - what polcached does with each decoded request: one helper
 * per message type, called from pc_handle() by the table in handler.c.
 */
#ifndef PC_HANDLER_H
#define PC_HANDLER_H

#include "server.h"
#include "wire.h"

struct pc_daemon;

/* Handle one decoded, validated request from connection c. Every request
 * gets exactly one reply (now or later), except a cancelled one. */
void pc_handle(struct pc_daemon *d, pc_conn_t *c, const pc_msg_t *m);

/* A DMARC request with DISCOVER: policy discovery (handler_dmarc.c). */
void pc_handle_discover(struct pc_daemon *d, pc_conn_t *c, const pc_msg_t *m);

/* The DMARC evaluation request (handler_eval.c). */
void pc_handle_dmarc_eval(struct pc_daemon *d, pc_conn_t *c, const pc_msg_t *m);

/* The SPF check request (handler_spf.c). */
void pc_handle_spf_check(struct pc_daemon *d, pc_conn_t *c, const pc_msg_t *m);

/* Take request m on c as a waiting request: NULL (with its error reply
 * sent) when c has max-requests-per-connection waiting already
 * (pc_req_admit: counted and logged) or memory runs out. */
pc_req_t *pc_handler_req(pc_conn_t *c, const pc_msg_t *m);

/* Encode an error reply for request id on c. */
void pc_reply_error(pc_conn_t *c, uint32_t id, int err, const char *msg);

/* The connection of r is closing: detach r from its lookup, if any. */
void pc_handler_abort(struct pc_daemon *d, pc_req_t *r);

#endif
