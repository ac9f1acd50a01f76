/*
 * dkim.h - the DKIM key record grammar (RFC 6376 §3.2 tag-lists and §3.6.1
 * key records, RFC 8301 algorithm and key-size rules, RFC 8463 ed25519).
 * Pure: no I/O and no globals. The parsed record is a fixed-size struct
 * that owns a copy of the decoded key. RSA keys are read with OpenSSL
 * libcrypto, which allocates internally during the call and frees before
 * returning. docs/grammars/dkim.md lists every decision and warning code.
 */
#ifndef PC_DKIM_H
#define PC_DKIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

#define PC_DKIM_KEY_MAX 2600    /* decoded p= octets kept: an RSA key of
                                   up to 16384 bits in SPKI form */
#define PC_DKIM_NAMES_MAX 8     /* names kept per h=, s=, t= list */
#define PC_DKIM_NAME_LEN 32     /* bytes per kept name, including the NUL */
#define PC_DKIM_NOTES_LEN 128   /* bytes of n= kept, including the NUL */
#define PC_DKIM_RSA_MIN_BITS 1024 /* RFC 8301 §3.2: shorter keys unusable */

/* k= key types. */
typedef enum pc_dkim_ktype {
    PC_DKIM_K_RSA = 0,     /* "rsa", the default */
    PC_DKIM_K_ED25519 = 1, /* "ed25519" (RFC 8463) */
    PC_DKIM_K_UNKNOWN = 2  /* anything else; the key is unusable */
} pc_dkim_ktype_t;

/* Why a parsed key is unusable for verifying mail (the first that applies,
 * in this order). Every applicable reason also has a warning. */
typedef enum pc_dkim_reason {
    PC_DKIM_USABLE = 0,
    PC_DKIM_REVOKED = 1,       /* empty p= (RFC 6376 §3.6.1) */
    PC_DKIM_UNKNOWN_KTYPE = 2, /* k= names no supported key type */
    PC_DKIM_NOT_EMAIL = 3,     /* s= lists neither "email" nor "*" */
    PC_DKIM_SHA1_ONLY = 4,     /* h= allows sha1 but not sha256 (RFC 8301) */
    PC_DKIM_NO_HASH = 5,       /* h= allows no known hash algorithm */
    PC_DKIM_WEAK_KEY = 6       /* RSA key under PC_DKIM_RSA_MIN_BITS */
} pc_dkim_reason_t;

/* Bits of pc_dkim_t.hashes. */
#define PC_DKIM_H_SHA1 0x01u
#define PC_DKIM_H_SHA256 0x02u

/* Bits of pc_dkim_t.services. */
#define PC_DKIM_S_ANY 0x01u   /* "*" */
#define PC_DKIM_S_EMAIL 0x02u /* "email" */

/* Bits of pc_dkim_t.flags (t=). */
#define PC_DKIM_T_TESTING 0x01u /* "y": the domain is testing DKIM */
#define PC_DKIM_T_STRICT 0x02u  /* "s": i= domain must equal d= exactly */

/* Tag bits of pc_dkim_t.explicit_tags. */
#define PC_DKIM_TAG_V 0x01u
#define PC_DKIM_TAG_H 0x02u
#define PC_DKIM_TAG_K 0x04u
#define PC_DKIM_TAG_N 0x08u
#define PC_DKIM_TAG_P 0x10u
#define PC_DKIM_TAG_S 0x20u
#define PC_DKIM_TAG_T 0x40u

/* A ':' list (h=, s=, t=) as written: recognised or not, in order. */
typedef struct pc_dkim_names {
    unsigned n;       /* names stored, at most PC_DKIM_NAMES_MAX */
    unsigned dropped; /* names that did not fit (count or length) */
    char name[PC_DKIM_NAMES_MAX][PC_DKIM_NAME_LEN];
} pc_dkim_names_t;

/*
 * A parsed DKIM key record. Values absent from the record hold the RFC
 * defaults: k=rsa, all hashes, services "*", no flags.
 */
typedef struct pc_dkim {
    unsigned explicit_tags;     /* PC_DKIM_TAG_* present in the record */
    pc_dkim_ktype_t ktype;
    char k[PC_DKIM_NAME_LEN];   /* k= as written (truncated), or "rsa" */
    unsigned hashes;            /* PC_DKIM_H_* allowed */
    pc_dkim_names_t h;          /* h= names; n == 0 when h= is absent */
    unsigned services;          /* PC_DKIM_S_* listed */
    pc_dkim_names_t s;          /* s= names; n == 0 when s= is absent */
    unsigned flags;             /* PC_DKIM_T_* set */
    pc_dkim_names_t t;          /* t= names; n == 0 when t= is absent */
    char notes[PC_DKIM_NOTES_LEN]; /* n= as written (not QP-decoded),
                                      truncated with a warning */
    bool revoked;               /* p= is empty */
    unsigned bits;              /* RSA modulus bits; 256 for ed25519; 0 if
                                   revoked or of unknown type */
    size_t key_len;             /* octets in key[] */
    uint8_t key[PC_DKIM_KEY_MAX]; /* decoded p=: DER (SubjectPublicKeyInfo
                                     or PKCS#1 RSAPublicKey, as published)
                                     for RSA, the raw 32 octets for ed25519 */
    bool key_spki;              /* RSA key[] is SubjectPublicKeyInfo (else
                                   PKCS#1) */
    bool usable;                /* the key may verify mail signatures */
    pc_dkim_reason_t reason;    /* PC_DKIM_USABLE when usable */
    pc_warnings_t warnings;     /* codes listed in docs/grammars/dkim.md */
} pc_dkim_t;

/*
 * pc_dkim_parse - parse one DKIM key record (the TXT strings joined).
 * text/len: the record; not NUL-terminated, may hold any octet. text may be
 *           NULL when len is 0.
 * out:      filled on every return except PC_EINVAL, with what was parsed
 *           up to the error; owns copies of all data.
 * err:      optional (may be NULL); cleared, then on any error other than
 *           PC_EINVAL set to the byte offset and reason of the problem.
 * Returns:
 *   0           the record is well-formed; out->usable and out->reason say
 *               whether the key can verify mail (revoked, unknown k=, s=
 *               without email, h= without sha256 and weak RSA keys parse
 *               but are unusable);
 *   PC_ENOENT   the record begins with v= and its value is not "DKIM1": not
 *               a DKIM key record, to be discarded (RFC 6376 §3.6.1);
 *   PC_ERECORD  a syntax error: malformed tag-list, a repeated tag, v= not
 *               first, p= missing, or a bad h=, k=, s=, t= value (RFC 6376
 *               §6.1.2: key syntax error);
 *   PC_EKEY     p= is not valid base64, or its content is not a key of the
 *               k= type (not RSA DER; ed25519 not exactly 32 octets);
 *   PC_ETOOBIG  the decoded key exceeds PC_DKIM_KEY_MAX octets;
 *   PC_EINVAL   out is NULL, or text is NULL with len > 0.
 * On any error out->usable is false.
 */
int pc_dkim_parse(const char *text, size_t len, pc_dkim_t *out,
                  pc_perr_t *err);

/*
 * pc_dkim_fields - visit every tag in this fixed order: v h k n p s t. Each
 * value is the one in force (the default when absent: v "DKIM1", h "*",
 * k "rsa", n "", s "*", t ""), with PC_FIELD_EXPLICIT when written in the
 * record. Lists are joined by ':' as written; p is the key re-encoded as
 * base64 without whitespace ("" when revoked).
 * Returns 0, the first non-zero value returned by cb, or PC_EINVAL (d or cb
 * NULL).
 */
int pc_dkim_fields(const pc_dkim_t *d, pc_field_cb cb, void *arg);

/* pc_dkim_reason_name - "usable", "revoked", "unknown-key-type",
 * "not-for-email", "sha1-only", "no-usable-hash", "weak-key"; "?" otherwise.
 * Static strings. */
const char *pc_dkim_reason_name(pc_dkim_reason_t r);

#endif /* PC_DKIM_H */
