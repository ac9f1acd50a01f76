/*
 * record.h - turns one classified DNS answer into what the cache stores for
 * a record type: the outcome and the TLV body (raw text, parsed fields,
 * warnings, reason, rdata), using the grammars of proto/.
 */
#ifndef PC_RECORD_H
#define PC_RECORD_H

#include "name.h"
#include "polcache/types.h"
#include "resolver.h"
#include "wire.h"

/* The DNS query type that serves a record type (TXT for DMARC/SPF/DKIM). */
uint16_t pc_record_qtype(pc_rtype_t rtype);

/*
 * pc_record_qname - the name queried for a request: _dmarc.<domain> for
 * DMARC, <selector>._domainkey.<domain> for DKIM (selector may have several
 * labels; NULL otherwise), <domain> for the rest.
 * Returns 0, PC_EINVAL, PC_ENAME or PC_ENAMELEN.
 */
int pc_record_qname(pc_name_t *out, pc_rtype_t rtype, const pc_name_t *domain,
                    const pc_name_t *selector);

/*
 * pc_record_build - classify answer a for rtype and append the value body
 * as a headerless TLV block to body (pc_wbuf_block_begin/end are done
 * here). *outcome gets the outcome:
 *   answer with data   -> FOUND, NORECORD (no qualifying TXT string, or
 *                         several DMARC records: with a warning) or
 *                         PERMERROR (several v=spf1 records, a syntax
 *                         error; WHY says which)
 *   NODATA / NXDOMAIN  -> NORECORD / NXDOMAIN
 *   bogus, SERVFAIL, timeout -> TEMPFAIL (WHY keeps the reason; the data
 *                         of a bogus answer is never used)
 * Returns the body length (>= 0) or a PC_E* code from the encoder.
 */
int pc_record_build(pc_rtype_t rtype, const pc_name_t *qname, const pc_answer_t *a,
                    pc_wbuf_t *body, pc_outcome_t *outcome);

#endif /* PC_RECORD_H */
