/*
 * spf_macro.h - the SPF macro-string grammar (RFC 7208 §7.1): a token
 * iterator over macro-strings, domain-specs and explanation strings, and
 * validators built on it. Syntax only: expanding a macro is the evaluator's
 * job, and it does so by walking the tokens with pc_spf_macro_next().
 * Pure code: no I/O, no allocation, no globals.
 *
 * Inputs are (pointer, length) pairs, never assumed NUL-terminated, and may
 * hold any octet. Positions in tokens and in pc_perr_t are byte offsets from
 * the start of the string that was passed in.
 */
#ifndef PC_SPF_MACRO_H
#define PC_SPF_MACRO_H

#include <stddef.h>

#include "diag.h"

/* Flags for pc_spf_macro_init() and the validators. */
#define PC_SPF_MACRO_CRT 0x01u /* allow the letters c, r and t (§7: only
                                  valid in explanation text) */
#define PC_SPF_MACRO_SP 0x02u  /* allow SP as a literal (explain-string) */
/* An explanation string fetched by exp= (§6.2, explain-string). */
#define PC_SPF_MACRO_EXPLAIN (PC_SPF_MACRO_CRT | PC_SPF_MACRO_SP)

/*
 * The DIGIT transformer is kept as a count of right-hand parts. Values above
 * this saturate to it; since a domain name has at most 127 labels and a
 * local-part at most 64 octets, a saturated count keeps every part, exactly
 * as the written value would (§7 asks for support of at least 128).
 */
#define PC_SPF_MACRO_KEEP_MAX 255u

typedef enum pc_spf_mtok_kind {
    PC_SPF_MTOK_LITERAL = 1, /* a run of literal octets, copied as is */
    PC_SPF_MTOK_ESCAPE = 2,  /* "%%", "%_" or "%-": copy text as is */
    PC_SPF_MTOK_MACRO = 3    /* "%{" letter transformers delimiters "}" */
} pc_spf_mtok_kind_t;

/*
 * One token. For LITERAL and ESCAPE the evaluator appends text/text_len to
 * its output: for LITERAL text points into the input string, for ESCAPE it
 * points to a static string ("%", " " or "%20"). For MACRO text is NULL and
 * the remaining fields describe the expansion (§7).
 */
typedef struct pc_spf_mtok {
    pc_spf_mtok_kind_t kind;
    size_t off;           /* span of the token in the input */
    size_t len;
    const char *text;     /* LITERAL/ESCAPE: octets to append; MACRO: NULL */
    size_t text_len;
    char letter;          /* MACRO: lower-case macro letter, one of
                             "slodiphcrtv" */
    unsigned char upper;  /* MACRO: letter was written in upper case, so the
                             expansion is URL-escaped (§7) */
    unsigned char reverse; /* MACRO: the "r" transformer was given */
    unsigned keep;        /* MACRO: right-hand parts to keep, 1 to
                             PC_SPF_MACRO_KEEP_MAX; 0 = all (no DIGIT) */
    char delims[8];       /* MACRO: NUL-terminated set of delimiters, in
                             written order without repeats; "" means the
                             default "." */
} pc_spf_mtok_t;

/* Iterator state. Plain data; initialise with pc_spf_macro_init(). */
typedef struct pc_spf_macro_iter {
    const char *s;
    size_t len;
    size_t pos;
    unsigned flags;
    int failed;           /* a syntax error was returned; stays at end */
} pc_spf_macro_iter_t;

/*
 * pc_spf_macro_init - start iterating over the macro-string s[0..len).
 * flags: 0 for domain-specs, PC_SPF_MACRO_CRT for unknown-modifier values,
 * PC_SPF_MACRO_EXPLAIN for explanation strings.
 * The iterator borrows s: it must stay valid and unchanged while in use.
 * Returns 0, or PC_EINVAL if it is NULL, s is NULL with len > 0, or flags
 * holds unknown bits.
 */
int pc_spf_macro_init(pc_spf_macro_iter_t *it, const char *s, size_t len,
                      unsigned flags);

/*
 * pc_spf_macro_next - produce the next token into *tok.
 * Returns 1 when a token was produced, 0 at the end of the string, or:
 *   PC_ERECORD  syntax error (lone '%', '%' not followed by '{', '%', '_'
 *               or '-', unknown or disallowed letter, zero DIGIT, bad
 *               character inside "%{...}", unterminated "%{", octet outside
 *               %x21-7E, or SP without PC_SPF_MACRO_SP); *err (if not NULL)
 *               gets the offset and a reason. After an error the iterator
 *               keeps returning PC_ERECORD.
 *   PC_EINVAL   it or tok is NULL, or it was not initialised.
 */
int pc_spf_macro_next(pc_spf_macro_iter_t *it, pc_spf_mtok_t *tok,
                      pc_perr_t *err);

/*
 * pc_spf_macro_check - validate a whole macro-string (or, with
 * PC_SPF_MACRO_EXPLAIN, an explain-string). The empty string is valid.
 * If found_p is not NULL it is set to 1 when a %{p} macro occurs (§7
 * discourages it), else 0.
 * Returns 0, PC_ERECORD (with *err set) or PC_EINVAL (s NULL with len > 0,
 * bad flags).
 */
int pc_spf_macro_check(const char *s, size_t len, unsigned flags,
                       int *found_p, pc_perr_t *err);

/*
 * pc_spf_domain_spec_check - validate a domain-spec (§7.1, ABNF §12):
 * a non-empty macro-string that ends either in a macro-expand or in "."
 * toplabel with an optional trailing ".". toplabel is letters, digits and
 * '-', neither starts nor ends with '-', and is not all digits unless it
 * holds a '-'. flags as for pc_spf_macro_check (0 for every domain-spec of
 * a record: c, r and t are refused there). found_p as above.
 * Returns 0, PC_ERECORD (with *err set) or PC_EINVAL.
 */
int pc_spf_domain_spec_check(const char *s, size_t len, unsigned flags,
                             int *found_p, pc_perr_t *err);

#endif /* PC_SPF_MACRO_H */
