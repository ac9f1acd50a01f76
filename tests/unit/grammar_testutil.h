/*
 * grammar_testutil.h - pieces shared by the record grammar tests
 * (tests/unit/test_dmarc.c, test_dkim.c): a probe of the field visitor,
 * warnings, and the scaffolding of a third-party conformance vector file
 * checked against the test's own table of stated expectations (each case
 * identified by its index, length and FNV-1a hash, so that a changed case
 * is never judged by a stale expectation). Helpers fail the running
 * cmocka test on any surprise.
 */
#ifndef PC_GRAMMAR_TESTUTIL_H
#define PC_GRAMMAR_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "diag.h"

/* ---- the field visitor ---- */

/* The value and flags of one field, filled in by gt_probe_cb. */
typedef struct gt_probe {
    const char *name;
    char value[4096];
    unsigned flags;
    int found;
} gt_probe_t;

/* A pc_field_cb whose arg is a gt_probe_t: keeps the field p->name. */
int gt_probe_cb(void *arg, const char *name, const char *value, unsigned flags);

/* A record type's field visitor (pc_dmarc_fields, pc_dkim_fields) with the
 * record as a const void *. */
typedef int (*gt_fields_fn)(const void *rec, pc_field_cb cb, void *arg);

/* The visitor's value of one field of rec, in p; asserts it exists. */
const char *gt_field(gt_fields_fn fields, const void *rec, const char *name, gt_probe_t *p);
/* Assert that the field has this value and these flags. */
void gt_assert_field(gt_fields_fn fields, const void *rec, const char *name, const char *value,
                     unsigned flags);

/* The names of the fields a visit gave, in order ("v p sp ..."). */
typedef struct gt_order {
    char names[256];
    int stop_after; /* stop the visit at this call (0: never) ... */
    int stop_rc;    /* ... returning this code */
    int calls;
} gt_order_t;

/* A pc_field_cb whose arg is a gt_order_t. */
int gt_order_cb(void *arg, const char *name, const char *value, unsigned flags);

/* 1 if a warning with this code is in w. */
int gt_has_warning(const pc_warnings_t *w, const char *code);

/*
 * The typed helpers of a test of record type T (with a pc_warnings_t
 * warnings member) and its visitor FIELDS: has_warning(d, code),
 * field(d, name, p), assert_field(d, name, value, flags), and visit, FIELDS
 * as a gt_fields_fn.
 */
#define GT_RECORD_HELPERS(T, FIELDS)                                                       \
    static int visit(const void *d, pc_field_cb cb, void *arg)                             \
    {                                                                                      \
        return FIELDS((const T *)d, cb, arg);                                              \
    }                                                                                      \
    static int has_warning(const T *d, const char *code)                                   \
    {                                                                                      \
        return gt_has_warning(&d->warnings, code);                                         \
    }                                                                                      \
    static const char *field(const T *d, const char *name, gt_probe_t *p)                  \
    {                                                                                      \
        return gt_field(visit, d, name, p);                                                \
    }                                                                                      \
    static void assert_field(const T *d, const char *name, const char *value,              \
                             unsigned flags)                                               \
    {                                                                                      \
        gt_assert_field(visit, d, name, value, flags);                                     \
    }

/* ---- conformance vectors ---- */

/* The counts of a run over a vector file. */
typedef struct gt_tally {
    unsigned agree;      /* our verdict is the source's */
    unsigned differ;     /* it is not, for a stated reason */
    unsigned unexpected; /* anything not stated in the table */
    unsigned compared;   /* "parsed" values compared with ours */
    unsigned fdiff;      /* of those, the ones that differ */
} gt_tally_t;

/* One case of the file. */
typedef struct gt_vector {
    const char *text; /* "record" (may hold NUL octets) */
    size_t len;
    json_t *parsed;   /* "parsed", or NULL */
    const char *src;  /* "source_expect" */
} gt_vector_t;

/* Load the vector file at path: a JSON array of exactly ncases cases
 * (else the table states no expectation for some: fail). */
json_t *gt_vectors_load(const char *path, size_t ncases);

/* Case i of root into v; it must be the one the table row (idx, len, fnv)
 * states an expectation for. */
void gt_vector_get(json_t *root, size_t i, const char *path, unsigned idx, size_t len,
                   uint32_t fnv, gt_vector_t *v);

/* Count one case whose outcome was as the table states: agree when our
 * verdict (ours_ok) is the source's (src_ok), which must not come with a
 * stated difference; differ when it is not and differs says why; else
 * unexpected, printed with "we <verb> <ours>". */
void gt_judge(gt_tally_t *t, size_t i, const char *what, const char *src, int src_ok,
              int ours_ok, const char *differs, const char *verb, const char *ours);

/* A "parsed" value as text: a string, an integer, or a list joined like
 * ours (',' for rua and ruf, ':' otherwise). */
void gt_parsed_text(const char *key, json_t *v, char *buf, size_t cap);

/* Print the summary line "<label> vectors: ..."; note follows the number
 * of differing fields. */
void gt_report(const char *label, json_t *root, const gt_tally_t *t, const char *note);

/*
 * main() of a grammar test: run the hand-written tests as group name,
 * then, only if they all passed, the vector tests as "<name> vectors". The
 * vector files may be absent (exit 77, skipped): run apart and last, a
 * skip never hides a failure of the hand-written cases.
 */
struct CMUnitTest;
int gt_run_groups(const char *name, const struct CMUnitTest *tests, size_t ntests,
                  const struct CMUnitTest *vectors, size_t nvectors);
#define GT_RUN_GROUPS(name, tests, vectors)                                                \
    gt_run_groups((name), (tests), sizeof(tests) / sizeof((tests)[0]), (vectors),          \
                  sizeof(vectors) / sizeof((vectors)[0]))

#endif
