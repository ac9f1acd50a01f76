/*
 * spf.h - the SPF record grammar (RFC 7208): choosing the one v=spf1 record
 * of a TXT RRset (§4.5) and parsing it into terms (§4.6, §5, §6, ABNF §12),
 * with lookup counts and warnings for the ops CLI. Macros are checked here
 * and tokenised by spf_macro.h, never expanded. Pure code: no I/O, no
 * allocation, no globals. docs/grammars/spf.md explains every decision.
 *
 * Inputs are (pointer, length) pairs, never assumed NUL-terminated, and may
 * hold any octet. Error positions are byte offsets into the record text.
 */
#ifndef PC_SPF_H
#define PC_SPF_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "spf_macro.h"

/* Limits. A record beyond them is refused with PC_ERECORD (= permerror). */
#define PC_SPF_TEXT_MAX 4096   /* octets of record text, "v=spf1" included */
#define PC_SPF_TERMS_MAX 128   /* mechanisms + modifiers per record */
#define PC_SPF_FIELD_NAME_MAX 64 /* pc_spf_fields() names are cut to this */

/* RFC 7208 §4.6.4: at most 10 DNS-querying terms per check_host(). */
#define PC_SPF_LOOKUP_LIMIT 10
#define PC_SPF_LOOKUP_NEAR 8   /* "lookups-near-limit" from here on */
#define PC_SPF_LONG_RECORD 450 /* "record-long" above this (§3.4) */

/* ---- Record selection (§4.5) ------------------------------------------ */

/* One character-string of a TXT record (pointer + length, any octets). */
typedef struct pc_spf_str {
    const char *ptr;
    size_t len;
} pc_spf_str_t;

/* One TXT record: its character-strings in wire order. */
typedef struct pc_spf_txt {
    const pc_spf_str_t *strs;
    size_t nstrs;
} pc_spf_txt_t;

/*
 * pc_spf_select - choose the SPF record of a TXT RRset (§4.5).
 * rrs[0..nrrs) are the records; the strings of each are joined with no
 * separator (§3.3). A record is an SPF record when the joined text begins
 * with "v=spf1" (any case) followed by SP or the end of the record.
 * buf/cap: where the chosen record's joined text is copied, followed by a
 * NUL (the text itself may hold NUL octets: use *len). buf may be NULL with
 * cap 0 to select without copying. PC_SPF_TEXT_MAX + 1 is a sensible cap.
 * *len (if not NULL) gets the joined length and *index (if not NULL) the
 * position of the chosen record in rrs, when the result is 0 or PC_ETOOBIG.
 * The function borrows rrs only for the call.
 * Returns:
 *   0            exactly one SPF record; it is in buf.
 *   PC_ENOENT    no SPF record: SPF result "none".
 *   PC_EDUP      more than one SPF record: SPF result "permerror".
 *   PC_ETOOBIG   exactly one, but buf cannot hold its text and a NUL
 *                (*len says how much is needed); nothing is copied.
 *   PC_EINVAL    rrs NULL with nrrs > 0, a record with strs NULL and
 *                nstrs > 0, a string with ptr NULL and len > 0, or buf NULL
 *                with cap > 0.
 */
int pc_spf_select(const pc_spf_txt_t *rrs, size_t nrrs, char *buf, size_t cap,
                  size_t *len, size_t *index);

/*
 * pc_spf_select_rdata - the same, for TXT records given as raw RDATA in
 * wire format (a sequence of length-prefixed character-strings), as
 * libunbound returns them in ub_result->data[i] / len[i] and ldns in
 * ldns_rr_rdf(). rdatas[i] is the RDATA of record i. An empty RDATA is an
 * empty record. Same outputs and results as pc_spf_select, plus:
 *   PC_EMALFORMED  a length octet runs past the end of its RDATA.
 */
int pc_spf_select_rdata(const pc_spf_str_t *rdatas, size_t nrrs, char *buf,
                        size_t cap, size_t *len, size_t *index);

/* ---- Parsed record ----------------------------------------------------- */

/* Term kinds: mechanisms 1-8 (§5), then modifiers (§6). Stable values.
 * (Named _MECH_/_MOD_/_QUAL_ so they never clash with the SPF results of
 * polcache/types.h, pc_spf_result_t.) */
typedef enum pc_spf_kind {
    PC_SPF_MECH_ALL = 1,
    PC_SPF_MECH_INCLUDE = 2,
    PC_SPF_MECH_A = 3,
    PC_SPF_MECH_MX = 4,
    PC_SPF_MECH_PTR = 5,
    PC_SPF_MECH_IP4 = 6,
    PC_SPF_MECH_IP6 = 7,
    PC_SPF_MECH_EXISTS = 8,
    PC_SPF_MOD_REDIRECT = 9, /* modifier redirect= */
    PC_SPF_MOD_EXP = 10,     /* modifier exp= */
    PC_SPF_MOD_UNKNOWN = 11  /* any other name=value: ignored (§6) */
} pc_spf_kind_t;

/* Qualifiers (§4.6.2), valued as the character that writes them. */
typedef enum pc_spf_qual {
    PC_SPF_QUAL_PASS = '+',
    PC_SPF_QUAL_FAIL = '-',
    PC_SPF_QUAL_SOFTFAIL = '~',
    PC_SPF_QUAL_NEUTRAL = '?'
} pc_spf_qual_t;

/* A span of the record's own text copy: rec->text + off, len octets. */
typedef struct pc_spf_span {
    uint16_t off;
    uint16_t len;
} pc_spf_span_t;

#define PC_SPF_TF_QUAL 0x01u  /* the qualifier was written */
#define PC_SPF_TF_CIDR4 0x02u /* an ip4 CIDR length was written */
#define PC_SPF_TF_CIDR6 0x04u /* an ip6 CIDR length was written */

typedef struct pc_spf_term {
    pc_spf_kind_t kind;
    pc_spf_qual_t qual;  /* mechanisms: '+' when not written; modifiers: '+' */
    unsigned flags;      /* PC_SPF_TF_* */
    uint8_t cidr4;       /* a, mx, ip4: prefix length, 32 when not written */
    uint8_t cidr6;       /* a, mx, ip6: prefix length, 128 when not written */
    uint8_t addr[16];    /* ip4: addr[0..4), network byte order;
                            ip6: all 16 octets; others: zero */
    pc_spf_span_t text;  /* the whole term as written */
    pc_spf_span_t name;  /* mechanism or modifier name as written */
    pc_spf_span_t arg;   /* include, a, mx, ptr, exists, redirect, exp: the
                            domain-spec (len 0: none written, use <domain>);
                            ip4/ip6: the address text without the CIDR;
                            unknown modifier: the value (may be empty);
                            all: empty */
} pc_spf_term_t;

/*
 * A parsed record. Self-contained: terms point into rec->text by offset, so
 * the record may be copied with memcpy, cached and kept as long as wanted;
 * nothing refers to the caller's input after pc_spf_parse returns.
 * About 10 KiB; fine on a thread stack.
 */
typedef struct pc_spf_record {
    char text[PC_SPF_TEXT_MAX + 1]; /* copy of the record, NUL-terminated;
                                       holds only %x20-7E once parsed */
    size_t len;
    unsigned nterms;
    pc_spf_term_t terms[PC_SPF_TERMS_MAX];
    int all;          /* index of the first "all" mechanism, or -1 */
    int redirect;     /* index of redirect=, or -1 */
    int exp;          /* index of exp=, or -1 */
    unsigned lookups; /* DNS-querying terms (include, a, mx, ptr, exists,
                         redirect; §4.6.4) that evaluation can reach: those
                         up to the first "all", plus redirect= when there is
                         no "all" (§6.1). Nested includes are not counted. */
} pc_spf_record_t;

/*
 * pc_spf_parse - parse and fully syntax-check one SPF record (§4.6: a
 * syntax error anywhere is a permerror before any evaluation).
 * text/len: the record as selected, "v=spf1" included; borrowed for the
 * call only (it is copied into rec).
 * rec: receives the record. On failure it is reset to an empty record
 * (nterms 0, len 0, indexes -1).
 * warn: if not NULL, cleared and then filled with warnings (codes in
 * docs/grammars/spf.md) when the record parses; left empty on failure.
 * err: if not NULL, gets the offset of the offending octet and a reason on
 * PC_ERECORD; on success its reason is "".
 * Returns:
 *   0           the record is valid.
 *   PC_ERECORD  permerror: syntax error, a repeated redirect= or exp=
 *               (§6), or a limit above exceeded (text or term count).
 *   PC_EINVAL   rec NULL, or text NULL with len > 0.
 */
int pc_spf_parse(const char *text, size_t len, pc_spf_record_t *rec,
                 pc_warnings_t *warn, pc_perr_t *err);

/*
 * pc_spf_fields - visit a parsed record for the wire and the CLI.
 * First field: name "v", value "spf1". Then one field per term, in record
 * order, so at most PC_SPF_TERMS_MAX + 1 fields: name = the lower-case
 * mechanism or modifier name, cut to PC_SPF_FIELD_NAME_MAX octets (only an
 * unknown modifier's name can be that long); value =
 *   mechanisms: the qualifier character followed by what was written after
 *     the name, less a leading ':' ("-all" -> "-", "include:x.org" ->
 *     "+x.org", "a:x.org/24//64" -> "+x.org/24//64", "mx/24" -> "+/24");
 *     flags PC_FIELD_EXPLICIT when the qualifier was written, else
 *     PC_FIELD_DEFAULT (the '+' shown is the RFC default);
 *   modifiers: the value after '=', flags PC_FIELD_EXPLICIT.
 * Strings passed to cb are valid only during the call.
 * Returns 0, the first negative value cb returned (visiting stops), or
 * PC_EINVAL if rec or cb is NULL or rec is inconsistent.
 */
int pc_spf_fields(const pc_spf_record_t *rec, pc_field_cb cb, void *arg);

/* pc_spf_kind_name - "all", "include", ..., "redirect", "exp", or
 * "unknown-modifier"; "?" for values outside the enum. Static string. */
const char *pc_spf_kind_name(pc_spf_kind_t kind);

#endif /* PC_SPF_H */
