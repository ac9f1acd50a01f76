/*
 * diag.h - diagnostics shared by the record grammars: a parse error with its
 * position, a bounded list of warnings, and a field visitor that turns a
 * parsed record into (name, value, explicit) triples for the wire and CLI.
 * Pure data; no I/O and no allocation.
 */
#ifndef PC_DIAG_H
#define PC_DIAG_H

#include <stddef.h>

#define PC_DIAG_TEXT_MAX 160
#define PC_WARN_MAX 16

/* A precise parse error: byte offset into the record text and a reason. */
typedef struct pc_perr {
    size_t pos;                   /* offset of the offending byte */
    char reason[PC_DIAG_TEXT_MAX]; /* NUL-terminated, human readable */
} pc_perr_t;

/* One warning: a stable short code (e.g. "no-rua") and a sentence. */
typedef struct pc_warning {
    const char *code;              /* static string, stable across versions */
    char text[PC_DIAG_TEXT_MAX];   /* NUL-terminated */
} pc_warning_t;

typedef struct pc_warnings {
    unsigned n;        /* warnings stored, at most PC_WARN_MAX */
    unsigned dropped;  /* warnings that did not fit */
    pc_warning_t w[PC_WARN_MAX];
} pc_warnings_t;

/* Field flags for the visitor. */
#define PC_FIELD_EXPLICIT 0x01u /* the value was written in the record */
#define PC_FIELD_DEFAULT 0x00u  /* the value is the RFC default */

/*
 * Field visitor: called once per field, in a stable order. name and value are
 * NUL-terminated and valid only during the call. Return 0 to go on, or a
 * negative code to stop; the visiting function then returns that code.
 */
typedef int (*pc_field_cb)(void *arg, const char *name, const char *value,
                           unsigned flags);

/*
 * pc_diag_show - a printable, bounded rendering of record octets for
 * messages: printable ASCII as is, others (and backslash) as \xHH, "..."
 * when cut. Writes a NUL-terminated string into buf; returns buf.
 */
const char *pc_diag_show(char *buf, size_t cap, const char *s, size_t n);

void pc_perr_set(pc_perr_t *e, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void pc_warn_add(pc_warnings_t *w, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif /* PC_DIAG_H */
