/*
 * spf_header.h - the two header texts an SPF result is recorded with: the
 * spf fragment of an Authentication-Results field (RFC 8601 §2.7.2) and
 * the value of a Received-SPF field (RFC 7208 §9.1), with the RFC 5322
 * quoting of their values and comments. Pure code: no I/O, no allocation,
 * no globals. The texts never hold a control character, and every octet
 * that came from the SMTP client is made safe (RFC 7208 §9.1: no invalid
 * characters, nothing excessively long, no malicious data).
 */
#ifndef PC_SPF_HEADER_H
#define PC_SPF_HEADER_H

#include <stddef.h>

#include "polcache/types.h"

/* Buffer sizes that always suffice (the inputs are cut, see below). */
#define PC_SPF_AR_MAX 2048       /* Authentication-Results fragment, NUL included */
#define PC_SPF_RECEIVED_MAX 4096 /* Received-SPF value, NUL included */
/* Octets kept of one input string (sender, HELO, term, problem, receiver);
 * a longer one is cut at a UTF-8 boundary and ends in "...". */
#define PC_SPF_HDR_VALUE_MAX 192

/* What the headers state about one check. Strings are NUL-terminated. */
typedef struct pc_spf_hdr_in {
    pc_spf_result_t result;
    int helo_scope;        /* 1: the HELO identity was checked (RFC 7208 §2.3);
                              0: the MAIL FROM identity (§2.4) */
    const char *receiver;  /* the verifier's host name; NULL or "" = "unknown" */
    const char *client_ip; /* <ip> in text form (IPv4-mapped given as IPv4) */
    const char *sender;    /* <sender> as checked: local-part "@" domain, with
                              "postmaster" for a null reverse-path or an empty
                              local-part */
    const char *domain;    /* the <domain> checked */
    const char *helo;      /* HELO/EHLO as sent; NULL or "" when unknown */
    int null_sender;       /* MAIL FROM was the null reverse-path "<>" */
    const char *mechanism; /* the term that decided, as written; NULL or ""
                              when none did */
    const char *problem;   /* why a none/temperror/permerror; NULL or "" */
} pc_spf_hdr_in_t;

/* Value syntaxes for pc_spf_hdr_value. */
#define PC_SPF_HDR_KV 1 /* Received-SPF key-value: dot-atom, else quoted-string */
#define PC_SPF_HDR_AR 2 /* Authentication-Results pvalue: a token or
                           [local-part "@"] domain-name, else quoted-string */

/*
 * pc_spf_hdr_value - write v[0..n) as one header value of syntax mode into
 * out (cap octets, NUL included): bare when the syntax allows, else as a
 * quoted-string with '"' and '\' escaped. Octets that are neither printable
 * ASCII nor part of valid UTF-8 (RFC 6532) become '?'; a value longer than
 * PC_SPF_HDR_VALUE_MAX is cut first. Returns the length written, or 0 when
 * it does not fit (out is then ""), or mode, out or cap is invalid.
 */
size_t pc_spf_hdr_value(char *out, size_t cap, const char *v, size_t n, int mode);

/*
 * pc_spf_hdr_comment - write text as the inside of an RFC 5322 comment
 * (without the parentheses): '(' ')' '\' escaped, other octets as in
 * pc_spf_hdr_value, cut at PC_SPF_HDR_VALUE_MAX. Same returns.
 */
size_t pc_spf_hdr_comment(char *out, size_t cap, const char *text, size_t n);

/*
 * pc_spf_auth_results - the spf method of an Authentication-Results field,
 * e.g. "spf=pass (mx.example.net: domain of user@example.org designates
 * 192.0.2.1 as permitted sender) smtp.mailfrom=example.org". The property
 * is smtp.helo=HELO for a HELO check; smtp.mailfrom=<domain> for MAIL FROM;
 * smtp.mailfrom=postmaster@HELO for the null reverse-path (the MAIL FROM
 * identity of RFC 7208 §2.4). The comment says why; for temperror and
 * permerror it holds the problem. Without the field name, the authserv-id
 * and a trailing ";".
 * out/cap: at least PC_SPF_AR_MAX octets always suffice.
 * Returns 0, PC_EINVAL (NULL in, out, client_ip or sender; a result out of
 * range), PC_ETOOBIG (cap too small; out is "").
 */
int pc_spf_auth_results(const pc_spf_hdr_in_t *in, char *out, size_t cap);

/*
 * pc_spf_received_spf - the value of a Received-SPF field (RFC 7208 §9.1):
 * result, a comment, and the key-value pairs receiver, client-ip,
 * envelope-from (MAIL FROM checks: <sender>), helo (when known), identity
 * (mailfrom or helo), mechanism (pass, fail, softfail, neutral: the term,
 * or "default" when none matched) and problem (temperror, permerror). One
 * line: a filter writes "Received-SPF: " before it and may fold it at any
 * space. Same arguments and returns as pc_spf_auth_results, with
 * PC_SPF_RECEIVED_MAX.
 */
int pc_spf_received_spf(const pc_spf_hdr_in_t *in, char *out, size_t cap);

#endif /* PC_SPF_HEADER_H */
