/*
 * spf_mech.h - what the SPF mechanisms (RFC 7208 §5) need from the lookup
 * engine's answers: the addresses, MX exchanges and PTR names held in a
 * cached body (RDATA fields), CIDR matching, the reverse name of <ip>, the
 * choice of the %{p} name, and target names from expanded text. Pure
 * helpers with no I/O; spf_eval.c drives them.
 */
#ifndef PC_SPF_MECH_H
#define PC_SPF_MECH_H

#include <stddef.h>
#include <stdint.h>

#include "name.h"

#define PC_SPF_NAMES_MAX 10 /* MX exchanges and PTR names looked at (§4.6.4) */

/*
 * pc_spf_cidr_match - 1 if the first bits of a and b (network order,
 * 4 or 16 octets) are equal, else 0. bits is at most 32 or 128.
 */
int pc_spf_cidr_match(const uint8_t *a, const uint8_t *b, unsigned bits);

/*
 * pc_spf_body_addrs - scan the RDATA fields of an A or AAAA answer body
 * for an address of alen octets (4 or 16) within bits of ip. *count (if
 * not NULL) gets the number of addresses of that size in the body.
 * Returns 1 on a match, else 0.
 */
int pc_spf_body_addrs(const uint8_t *body, size_t len, const uint8_t *ip, size_t alen,
                      unsigned bits, unsigned *count);

/*
 * pc_spf_body_field - the first field of type in a lookup body (a TLV
 * block), e.g. PC_T_RAW or PC_T_WHY: *val points into body, *n its
 * length. Returns 1 if found, else 0 (*val NULL, *n 0).
 */
int pc_spf_body_field(const uint8_t *body, size_t len, uint16_t type, const uint8_t **val,
                      size_t *n);

/* pc_spf_body_count - how many fields of type a lookup body holds (e.g.
 * PC_T_RDATA: one per record of a plain TXT answer). */
unsigned pc_spf_body_count(const uint8_t *body, size_t len, uint16_t type);

/*
 * pc_spf_body_names - the names in the RDATA fields of an MX (mx = 1: a
 * 2-octet preference, then the exchange) or PTR (mx = 0) answer body, in
 * answer order, without repeats and at most max of them, into out. A null
 * MX (exchange ".") and malformed rdata are skipped. *total (if not NULL)
 * gets the number of records in the body, repeats and skipped ones
 * included. Returns the number of names written.
 */
unsigned pc_spf_body_names(const uint8_t *body, size_t len, int mx, pc_name_t *out, unsigned max,
                           unsigned *total);

/*
 * pc_spf_reverse_name - the PTR owner of ip: d.c.b.a.in-addr.arpa for
 * family 4, the 32 nibbles reversed under ip6.arpa for family 6.
 * Returns 0 or PC_EINVAL.
 */
int pc_spf_reverse_name(const uint8_t *ip, int family, pc_name_t *out);

/*
 * pc_spf_target_name - a target name from expanded text (a trailing dot
 * already removed or not): labels split at ".", any other octet literal,
 * UTF-8 labels converted with IDNA. Returns 0, or a pc_name_from_text
 * error (empty label, label over 63 octets, too long, IDNA refused): such
 * a name cannot be queried and is treated as one that does not exist.
 */
int pc_spf_target_name(const char *text, size_t len, pc_name_t *out);

/*
 * pc_spf_pick_ptr - which validated name %{p} stands for (§7.3): the first
 * equal to domain, else the first below it, else the first. names[0..n)
 * are the validated names in answer order. Returns an index, or -1 when n
 * is 0 ("unknown").
 */
int pc_spf_pick_ptr(const pc_name_t *names, unsigned n, const pc_name_t *domain);

#endif /* PC_SPF_MECH_H */
