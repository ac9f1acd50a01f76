/*
 * wire_spec.h - the message and field tables of protocol v1 (internal).
 * One table row per message type says which fields it may carry, their
 * value class, length and repeat limits, and which are required; the one
 * validation routine in wire.c is driven entirely by these tables.
 */
#ifndef PC_WIRE_SPEC_H
#define PC_WIRE_SPEC_H

#include <stddef.h>
#include <stdint.h>

#include "wire.h"

struct pc_set_spec;

typedef struct pc_field_spec {
    uint16_t type;       /* pc_tlv_type_t */
    uint8_t vclass;      /* pc_vclass_t */
    uint8_t required;    /* 1 = must be present */
    uint16_t max_count;  /* repeats allowed */
    uint16_t min_len;    /* value octets, for TEXT/NAME/BYTES */
    uint16_t max_len;
    uint8_t min_val;     /* for U8: allowed range */
    uint8_t max_val;
    const struct pc_set_spec *nested; /* for NESTED */
} pc_field_spec_t;

/* A set of fields: a message body or a nested TLV's contents. */
typedef struct pc_set_spec {
    const char *name;
    const pc_field_spec_t *fields;
    size_t nfields;
    /* cross-field rule, run after the per-field checks; may be NULL.
     * Gets the set's TLVs; returns 0 or a PC_E* code. */
    int (*check)(const pc_tlv_t *tlv, size_t n);
} pc_set_spec_t;

/* The body spec of a message type (request or reply), or NULL if unknown. */
const pc_set_spec_t *pc_wire_spec(uint8_t type);

/* The spec of the TLV block inside a cache value. */
const pc_set_spec_t *pc_wire_cache_spec(void);

/* Check a TLV sequence against a set spec (see wire.c). */
int pc_wire_check_set(const pc_set_spec_t *spec, const uint8_t *p, size_t len);

#endif /* PC_WIRE_SPEC_H */
