/*
 * name.h - DNS names (not hostnames) as polcache handles them.
 *
 * A label may hold any octet: underscores, '%', spaces, NUL. Names are kept
 * in uncompressed wire form, ASCII letters folded to lower case. Text enters
 * at the request boundary through pc_name_from_text() (escapes, optional
 * IDNA) and leaves for libunbound through pc_name_to_text() (presentation
 * form, every unusual octet as \DDD). Cache keys use pc_name_to_key(), whose
 * byte order makes "a name and everything below it" one key prefix.
 */
#ifndef PC_NAME_H
#define PC_NAME_H

#include <stddef.h>
#include <stdint.h>

#define PC_NAME_WIRE_MAX 255   /* wire octets, including the root label */
#define PC_NAME_LABEL_MAX 63   /* octets per label */
#define PC_NAME_LABELS_MAX 127 /* labels, excluding the root */
#define PC_NAME_INPUT_MAX 1024 /* octets accepted by pc_name_from_text */
#define PC_NAME_TEXT_MAX 1025  /* buffer for any pc_name_to_text output
                                  (63*4 per label + dots + NUL) */
#define PC_NAME_KEY_MAX 254    /* octets of a cache key from a name */

/* A name in wire form: len octets of wire[], ending with the root label. */
typedef struct pc_name {
    uint8_t len;
    uint8_t wire[PC_NAME_WIRE_MAX];
} pc_name_t;

/* Flags for pc_name_from_text. */
#define PC_NAME_IDNA 0x01u    /* convert labels of valid UTF-8 containing
                                 non-ASCII characters to A-labels (IDNA2008,
                                 UTS#46 non-transitional, via libidn2) */
#define PC_NAME_ESCAPES 0x02u /* honour presentation escapes \DDD and \X;
                                 an escaped octet is never IDNA-converted */

/*
 * pc_name_from_text - parse a name given as text at the request boundary.
 * in/len: the text, not necessarily NUL-terminated; a NUL octet inside is an
 *         ordinary label octet only when written as \000 (a literal NUL is
 *         rejected as PC_ENAME, since no client means it).
 * A single trailing dot is accepted and ignored; "." alone and "" give the
 * root name (callers that need a domain check pc_name_labels() > 0).
 * Returns 0, or PC_EINVAL (NULL argument), PC_ETOOBIG (len over
 * PC_NAME_INPUT_MAX), PC_ENAME (empty label, bad escape, literal NUL),
 * PC_ENAMELEN (label over 63 octets or name over 255 wire octets after
 * conversion), PC_EIDNA (IDNA refused a UTF-8 label). out is undefined on
 * error.
 */
int pc_name_from_text(pc_name_t *out, const char *in, size_t len, unsigned flags);

/*
 * pc_name_from_wire - copy and validate an uncompressed wire-form name of
 * exactly len octets (label lengths <= 63, ends with the root label, total
 * <= 255). ASCII letters are folded to lower case.
 * Returns 0, PC_EINVAL, PC_ENAME or PC_ENAMELEN.
 */
int pc_name_from_wire(pc_name_t *out, const uint8_t *wire, size_t len);

/*
 * pc_name_to_text - presentation form for libunbound and for humans: labels
 * joined by '.', no trailing dot ("." for the root). Octets outside
 * 0x21..0x7e and the specials . \ " ; ( ) @ $ are written as \DDD.
 * Writes a NUL-terminated string into out (cap octets; PC_NAME_TEXT_MAX is
 * always enough). Returns its length (>= 1), or PC_EINVAL, or PC_ETOOBIG
 * when cap is too small.
 */
int pc_name_to_text(const pc_name_t *n, char *out, size_t cap);

/* Number of labels, not counting the root label. */
unsigned pc_name_labels(const pc_name_t *n);

/* 1 if a and b are the same name (already case-folded), else 0. */
int pc_name_equal(const pc_name_t *a, const pc_name_t *b);

/* 1 if n equals ancestor or lies below it, else 0. */
int pc_name_is_below(const pc_name_t *n, const pc_name_t *ancestor);

/*
 * pc_name_suffix - the last keep labels of n (keep >= labels copies n).
 * out may equal n. Returns 0 or PC_EINVAL.
 */
int pc_name_suffix(pc_name_t *out, const pc_name_t *n, unsigned keep);

/*
 * pc_name_prepend - out = label "." n, e.g. "_dmarc" before a domain.
 * label is raw octets (1..63, case-folded here). out may equal n.
 * Returns 0, PC_EINVAL, PC_ENAME (empty label) or PC_ENAMELEN.
 */
int pc_name_prepend(pc_name_t *out, const pc_name_t *n, const char *label,
                    size_t len);

/*
 * pc_name_label - pointer to the i-th label (0 = leftmost) and its length,
 * pointing into n. Returns 0 or PC_EINVAL (no such label).
 */
int pc_name_label(const pc_name_t *n, unsigned i, const uint8_t **label,
                  size_t *len);

/*
 * pc_name_to_key - the cache-key form: the labels from the root down, each
 * as one length octet followed by its octets (the root name is the empty
 * key). The key of a name is a prefix of the key of every name below it,
 * and of no other name. Writes at most PC_NAME_KEY_MAX octets.
 * Returns the key length, or PC_EINVAL / PC_ETOOBIG (cap too small).
 */
int pc_name_to_key(const pc_name_t *n, uint8_t *key, size_t cap);

/* pc_name_from_key - inverse of pc_name_to_key. Returns 0, PC_EINVAL,
 * PC_ENAME or PC_ENAMELEN (malformed key). */
int pc_name_from_key(pc_name_t *out, const uint8_t *key, size_t len);

#endif /* PC_NAME_H */
