/*
 * fuzz_reply.c - libFuzzer target for libpolcache's reply side: the input
 * is a byte stream from "the daemon"; it is split into frames as the
 * client's connection does (pcc_frame_len), each frame is decoded
 * (pc_msg_decode) and turned into the public result of every request type
 * (pcc_reply_decode). Every string of every result must be NUL-terminated
 * within its block and every length must match.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t req_types[] = {
    PC_MSG_PING, PC_MSG_DMARC, PC_MSG_SPF, PC_MSG_DKIM, PC_MSG_STATS,
    PC_MSG_FLUSH, PC_MSG_DUMP, PC_MSG_CANCEL, PC_MSG_SPF_CHECK, PC_MSG_DMARC_EVAL,
};

static void walk_record(const pc_result_t *r)
{
    if (strlen(r->raw) > r->raw_len || strlen(r->qname) + strlen(r->why) > 2 * PC_WIRE_MAX_BODY)
        abort();
    for (size_t i = 0; i < r->nfields; i++) {
        if (strlen(r->fields[i].value) > r->fields[i].value_len || r->fields[i].name == NULL)
            abort();
        (void)pc_result_field(r, r->fields[i].name);
    }
    for (size_t i = 0; i < r->nwarnings; i++)
        (void)strlen(r->warnings[i]);
    for (size_t i = 0; i < r->nwalk; i++)
        (void)strlen(r->walk[i].qname);
    (void)strlen(r->org_domain);
    (void)strlen(r->policy_domain);
}

static void walk(const pcc_reply_t *rep)
{
    uint64_t v;

    if (rep->record != NULL)
        walk_record(rep->record);
    if (rep->stats != NULL) {
        for (size_t i = 0; i < rep->stats->count; i++)
            (void)pc_stats_get(rep->stats, rep->stats->items[i].name, &v);
    }
    if (rep->page != NULL) {
        const pc_dump_page_t *p = rep->page;
        if (p->cursor_len > PC_DUMP_CURSOR_MAX || (p->more && p->cursor_len == 0))
            abort();
        for (size_t i = 0; i < p->count; i++) {
            if (strlen(p->entries[i].raw) > p->entries[i].raw_len)
                abort();
            (void)strlen(p->entries[i].qname);
            (void)strlen(p->entries[i].why);
        }
    }
    if (strlen(rep->ping.version) >= sizeof(rep->ping.version))
        abort();
    if (rep->spf != NULL)
        (void)(strlen(rep->spf->domain) + strlen(rep->spf->matched) +
               strlen(rep->spf->term_domain) + strlen(rep->spf->why) +
               strlen(rep->spf->explanation) + strlen(rep->spf->auth_results) +
               strlen(rep->spf->received_spf));
    if (rep->eval != NULL) {
        const pc_eval_result_t *e = rep->eval;
        (void)(strlen(e->why) + strlen(e->policy_tag) + strlen(e->policy) +
               strlen(e->disposition) + strlen(e->recommended) + strlen(e->rua) +
               strlen(e->ruf) + strlen(e->auth_results) + strlen(e->org_domain) +
               strlen(e->policy_domain) + strlen(e->spf_domain));
        for (size_t i = 0; i < e->nidents; i++)
            (void)(strlen(e->idents[i].domain) + strlen(e->idents[i].selector) +
                   strlen(e->idents[i].org_domain));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static pc_msg_t m;
    uint8_t *copy = malloc(size ? size : 1);
    size_t off = 0;

    if (copy == NULL)
        return 0;
    memcpy(copy, data, size); /* exactly size octets, so ASan sees over-reads */
    while (off < size) {
        uint32_t id;
        long n = pcc_frame_len(copy + off, size - off, &id);
        if (n <= 0)
            break;
        if (pc_msg_decode(copy + off, (size_t)n, &m) == 0) {
            for (size_t t = 0; t < sizeof(req_types); t++) {
                pcc_reply_t rep;
                if (pcc_reply_decode(req_types[t], &m, &rep) == 0)
                    walk(&rep);
                pcc_reply_clear(&rep);
            }
        }
        off += (size_t)n;
    }
    free(copy);
    return 0;
}
