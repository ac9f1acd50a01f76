/*
 * spf_expand.h - the inputs of an SPF check_host() and the expansion of its
 * macros (RFC 7208 §4.3, §7): splitting a MAIL FROM into local-part and
 * domain, the §4.3 domain check, and the expansion of a macro-string with
 * its transformers, delimiters and URL escaping, including the §7.3 left
 * truncation of domain names. Pure code: no I/O, no allocation, no
 * globals. The %{p} value needs DNS, so the caller supplies it.
 *
 * Inputs are (pointer, length) pairs, never assumed NUL-terminated.
 */
#ifndef PC_SPF_EXPAND_H
#define PC_SPF_EXPAND_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"

#define PC_SPF_DOMAIN_MAX 253  /* octets of a domain name in text, no final dot */
#define PC_SPF_EXPAND_MIN 512  /* smallest output buffer for domain mode */

/* The value of each macro letter (§7.2). A string with ptr NULL is empty. */
typedef struct pc_spf_macro_env {
    const char *sender;     /* s: <sender>, local-part "@" domain */
    size_t sender_len;
    const char *local;      /* l: local-part of <sender> */
    size_t local_len;
    const char *sdomain;    /* o: domain of <sender> */
    size_t sdomain_len;
    const char *domain;     /* d: the current <domain> */
    size_t domain_len;
    const char *helo;       /* h: HELO/EHLO domain, as given */
    size_t helo_len;
    const char *ptr;        /* p: validated name of <ip>; NULL gives "unknown" */
    size_t ptr_len;
    const char *receiver;   /* r: the checking host; NULL gives "unknown" */
    size_t receiver_len;
    uint8_t ip[16];         /* i, c, v: <ip>; IPv4 in ip[0..4) */
    int family;             /* 4 or 6 (IPv4-mapped IPv6 is already IPv4) */
    uint64_t now;           /* t: Unix seconds */
} pc_spf_macro_env_t;

/* Expansion modes. */
#define PC_SPF_EXPAND_DOMAIN 0x01u /* the result names a domain: drop one
                                      trailing dot, then remove labels from
                                      the left until it is at most 253
                                      octets (§7.3); the buffer then only
                                      needs PC_SPF_EXPAND_MIN octets */
#define PC_SPF_EXPAND_EXPLAIN 0x02u /* an explanation string: SP and the
                                       letters c, r, t are allowed (§6.2) */

/*
 * pc_spf_expand - expand the macro-string s[0..len) with env.
 * mode: PC_SPF_EXPAND_DOMAIN for a domain-spec, PC_SPF_EXPAND_EXPLAIN for
 *   an explanation string, 0 for a plain macro-string.
 * out/cap: receives the expansion and a NUL; *out_len its length. In domain
 *   mode cap must be at least PC_SPF_EXPAND_MIN, and an expansion of any
 *   length fits (only its last labels are kept). A result whose last label
 *   alone exceeds 253 octets becomes "" (no name can be formed).
 * err: on PC_ERECORD, the offset and reason of the syntax error; out is
 *   then "" and *out_len 0.
 * Returns 0; PC_ERECORD (syntax error: the string was not validated by the
 * grammar); PC_ETOOBIG (not domain mode, and the expansion does not fit in
 * cap; out then holds a cut, NUL-terminated prefix); PC_EINVAL (NULL
 * arguments, bad mode, cap too small, env->family not 4 or 6).
 */
int pc_spf_expand(const char *s, size_t len, unsigned mode, const pc_spf_macro_env_t *env,
                  char *out, size_t cap, size_t *out_len, pc_perr_t *err);

/*
 * pc_spf_sender_split - split a MAIL FROM address as received (RFC 5321
 * reverse-path, angle brackets optional) into local-part and domain at its
 * last "@". An address without "@" is taken as a domain. An empty
 * local-part becomes "postmaster" (§4.3). Results point into addr, or to a
 * static "postmaster". Returns 0 or PC_EINVAL (NULL arguments).
 */
int pc_spf_sender_split(const char *addr, size_t len, const char **local, size_t *local_len,
                        const char **domain, size_t *domain_len);

/*
 * pc_spf_domain_check - is name[0..len) usable as a check_host() <domain>
 * (§4.3)? One trailing dot is ignored; *trimmed_len (if not NULL) gets the
 * length without it. Usable: at most 253 octets, at least two labels, each
 * of 1 to 63 octets, no octet below 0x21 or equal to 0x7f, and not a
 * domain literal ("[...]"). Returns 0, or PC_ENAME with a static reason in
 * *why (if not NULL).
 */
int pc_spf_domain_check(const char *name, size_t len, size_t *trimmed_len, const char **why);

#endif /* PC_SPF_EXPAND_H */
