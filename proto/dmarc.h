/*
 * dmarc.h - the DMARC policy record grammar (RFC 9989 §4.7 and §4.8, with
 * the historic RFC 7489 tags pct, rf and ri kept for RFC 7489 readers).
 * Pure: no I/O, no allocation, no globals. The parsed record is a
 * fixed-size struct that owns copies of everything it refers to.
 * docs/grammars/dmarc.md lists every decision and warning code.
 */
#ifndef PC_DMARC_H
#define PC_DMARC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

#define PC_DMARC_URIS_MAX 8   /* URIs kept per list (rua, ruf) */
#define PC_DMARC_URI_LEN 256  /* bytes per kept URI, including the NUL */
#define PC_DMARC_RF_LEN 64    /* bytes of the historic rf= value, with NUL */
#define PC_DMARC_PCT_DEFAULT 100u
#define PC_DMARC_RI_DEFAULT 86400u

/* p=, sp=, np= values, in increasing strictness. */
typedef enum pc_dmarc_policy {
    PC_DMARC_NONE = 0,
    PC_DMARC_QUARANTINE = 1,
    PC_DMARC_REJECT = 2
} pc_dmarc_policy_t;

/* adkim=, aspf= values. */
typedef enum pc_dmarc_align {
    PC_DMARC_RELAXED = 0, /* "r", the default */
    PC_DMARC_STRICT = 1   /* "s" */
} pc_dmarc_align_t;

/* psd= values. */
typedef enum pc_dmarc_psd {
    PC_DMARC_PSD_U = 0, /* "u", the default: use the DNS tree walk */
    PC_DMARC_PSD_Y = 1, /* "y": a Public Suffix Domain */
    PC_DMARC_PSD_N = 2  /* "n": an Organizational Domain, not a PSD */
} pc_dmarc_psd_t;

/* What a receiver does with the record (RFC 9989 §4.7 v, §4.10.1). */
typedef enum pc_dmarc_status {
    PC_DMARC_NOT_DMARC = 0, /* not a DMARC record: ignore it (PC_ENOENT) */
    PC_DMARC_OK = 1,        /* usable; apply p, sp, np as published */
    PC_DMARC_AS_NONE = 2,   /* usable; p missing or p/sp/np invalid but a
                               valid rua URI exists: act as p=none */
    PC_DMARC_NO_POLICY = 3, /* p missing or p/sp/np invalid and no valid
                               rua URI: apply no DMARC processing
                               (PC_ERECORD) */
    PC_DMARC_INVALID = 4    /* the tag-list is invalid (a tag repeated,
                               RFC 6376 §3.2): unusable (PC_ERECORD) */
} pc_dmarc_status_t;

/* Bits of pc_dmarc_t.fo (fo= failure reporting options). */
#define PC_DMARC_FO_0 0x01u /* "0": report if all mechanisms fail */
#define PC_DMARC_FO_1 0x02u /* "1": report if any mechanism fails */
#define PC_DMARC_FO_D 0x04u /* "d": DKIM failure reports */
#define PC_DMARC_FO_S 0x08u /* "s": SPF failure reports */

/* Tag bits of pc_dmarc_t.explicit_tags and .invalid_tags. */
#define PC_DMARC_TAG_V 0x0001u
#define PC_DMARC_TAG_P 0x0002u
#define PC_DMARC_TAG_SP 0x0004u
#define PC_DMARC_TAG_NP 0x0008u
#define PC_DMARC_TAG_PSD 0x0010u
#define PC_DMARC_TAG_T 0x0020u
#define PC_DMARC_TAG_ADKIM 0x0040u
#define PC_DMARC_TAG_ASPF 0x0080u
#define PC_DMARC_TAG_FO 0x0100u
#define PC_DMARC_TAG_RUA 0x0200u
#define PC_DMARC_TAG_RUF 0x0400u
#define PC_DMARC_TAG_PCT 0x0800u /* historic (RFC 7489) */
#define PC_DMARC_TAG_RF 0x1000u  /* historic (RFC 7489) */
#define PC_DMARC_TAG_RI 0x2000u  /* historic (RFC 7489) */

/* One reporting URI, copied out of the record. */
typedef struct pc_dmarc_uri {
    char uri[PC_DMARC_URI_LEN]; /* NUL-terminated, without "!size" */
    uint64_t size;              /* obsolete "!size" number; 0 if absent */
    char size_unit;             /* '\0' (bytes), 'k', 'm', 'g' or 't' */
    bool has_size;              /* a "!size" suffix was given */
} pc_dmarc_uri_t;

/* A rua= or ruf= list. */
typedef struct pc_dmarc_urilist {
    unsigned n;       /* URIs stored in uri[], at most PC_DMARC_URIS_MAX */
    unsigned valid;   /* syntactically valid URIs in the record, >= n: a
                         valid URI is counted even if it did not fit */
    unsigned invalid; /* list elements dropped as not a valid URI */
    pc_dmarc_uri_t uri[PC_DMARC_URIS_MAX];
} pc_dmarc_urilist_t;

/*
 * A parsed DMARC record. Every field holds a value: the one written in the
 * record when it was valid, else the RFC default. p, sp and np are the
 * policies to apply: sp defaults to p, np to sp, and all three are
 * PC_DMARC_NONE when status is PC_DMARC_AS_NONE.
 */
typedef struct pc_dmarc {
    pc_dmarc_status_t status;
    bool usable;             /* status is PC_DMARC_OK or PC_DMARC_AS_NONE */
    unsigned explicit_tags;  /* PC_DMARC_TAG_* written with a valid value */
    unsigned invalid_tags;   /* PC_DMARC_TAG_* written with an invalid value
                                (the default was used instead) */
    pc_dmarc_policy_t p, sp, np;
    pc_dmarc_psd_t psd;
    bool testing;            /* t=y */
    pc_dmarc_align_t adkim, aspf;
    unsigned fo;             /* PC_DMARC_FO_* bits; default PC_DMARC_FO_0 */
    pc_dmarc_urilist_t rua, ruf;
    unsigned pct;            /* historic, 0..100, default 100 */
    uint32_t ri;             /* historic, seconds, default 86400 */
    char rf[PC_DMARC_RF_LEN]; /* historic, as written, default "afrf" */
    pc_warnings_t warnings;  /* codes listed in docs/grammars/dmarc.md */
} pc_dmarc_t;

/*
 * pc_dmarc_parse - parse one DMARC record (the TXT strings already joined).
 * text/len: the record; not NUL-terminated, may hold any octet. text may be
 *           NULL when len is 0.
 * out:      filled on every return except PC_EINVAL; owns copies of all
 *           data, so text may be freed right after the call.
 * err:      optional (may be NULL); cleared, then on PC_ENOENT or
 *           PC_ERECORD set to the byte offset and reason of the first
 *           problem.
 * Returns:
 *   0           a usable policy record (out->status PC_DMARC_OK or
 *               PC_DMARC_AS_NONE); warnings may still be present;
 *   PC_ENOENT   not a DMARC record: it does not begin with v=DMARC1
 *               (out->status PC_DMARC_NOT_DMARC); RFC 9989 §4.7 says to
 *               ignore it;
 *   PC_ERECORD  a DMARC record that is not a usable policy: out->status is
 *               PC_DMARC_NO_POLICY or PC_DMARC_INVALID; the other fields
 *               still show what was parsed;
 *   PC_EINVAL   out is NULL, or text is NULL with len > 0.
 */
int pc_dmarc_parse(const char *text, size_t len, pc_dmarc_t *out,
                   pc_perr_t *err);

/*
 * pc_dmarc_fields - visit every tag of a parsed record in this fixed order:
 * v p sp np psd t adkim aspf fo rua ruf pct rf ri. Each value is the one in
 * force (the default when the tag was absent or invalid), with
 * PC_FIELD_EXPLICIT when it was written in the record. rua and ruf are
 * their URIs joined by ',' (each with "!size" if given), empty when none.
 * Returns 0, the first non-zero value returned by cb, or PC_EINVAL (d or cb
 * NULL).
 */
int pc_dmarc_fields(const pc_dmarc_t *d, pc_field_cb cb, void *arg);

/* pc_dmarc_policy_name - "none", "quarantine" or "reject"; "?" otherwise. */
const char *pc_dmarc_policy_name(pc_dmarc_policy_t p);

/* pc_dmarc_status_name - "not-dmarc", "ok", "as-none", "no-policy",
 * "invalid"; "?" otherwise. Static strings. */
const char *pc_dmarc_status_name(pc_dmarc_status_t s);

#endif /* PC_DMARC_H */
