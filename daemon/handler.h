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

/* The connection of r is closing: detach r from its lookup, if any. */
void pc_handler_abort(struct pc_daemon *d, pc_req_t *r);

#endif
