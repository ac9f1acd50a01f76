/*
 * resolver.h - the resolver interface of polcached, and its libunbound
 * implementation. The daemon talks to a pc_resolver_t through the ops
 * table only, so scenario tests can put a fake in its place.
 *
 * The libunbound implementation runs libunbound in thread mode
 * (ub_ctx_async(ctx, 1)) and drives it from a libuv loop: ub_fd() is
 * watched with a uv_poll and ub_process() delivers results on the loop
 * thread. DNSSEC validation is always on. libunbound has no per-query
 * timeout, so each query has a uv_timer of ours; on expiry the query is
 * cancelled with ub_cancel() and reported as PC_ETIMEDOUT.
 */
#ifndef PC_RESOLVER_H
#define PC_RESOLVER_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "name.h"
#include "polcache/types.h"

/* DNS types and rcodes we use. */
#define PC_QT_A 1
#define PC_QT_PTR 12
#define PC_QT_MX 15
#define PC_QT_TXT 16
#define PC_QT_AAAA 28
#define PC_RCODE_NOERROR 0
#define PC_RCODE_SERVFAIL 2
#define PC_RCODE_NXDOMAIN 3

#define PC_RESOLVER_MAX_RR 256 /* rdata kept per answer */

/*
 * The classified result of one query, valid only during the callback.
 * status 0: a DNS answer: rcode NOERROR (with ndata > 0, or NODATA when
 *   ndata == 0) or NXDOMAIN; dnssec is SECURE or INSECURE.
 * status PC_EBOGUS: validation failed; dnssec is BOGUS, why holds the
 *   reason; the data has been dropped (ndata == 0).
 * status PC_EDNS: SERVFAIL or another error rcode, or a resolver failure.
 * status PC_ETIMEDOUT: our per-query timeout fired.
 * For CNAME chains libunbound follows the chain; dnssec is then the state
 * of the whole chain, i.e. the weakest link.
 */
typedef struct pc_answer {
    int status;
    int rcode;
    pc_dnssec_t dnssec;
    uint32_t ttl;            /* answer TTL, or the negative TTL (RFC 2308) */
    unsigned ndata;
    const uint8_t *const *data; /* rdata of the final RRset */
    const size_t *len;
    const char *why;         /* NUL-terminated reason, or NULL */
    const char *canon;       /* canonical name after CNAMEs, or NULL */
} pc_answer_t;

/* Called exactly once per accepted query, on the loop thread, unless the
 * query was cancelled with ops->cancel first. */
typedef void (*pc_resolver_cb)(void *arg, const pc_answer_t *ans);

typedef struct pc_resolver pc_resolver_t;

typedef struct pc_resolver_ops {
    /*
     * resolve - start one query. On success *id identifies it for cancel.
     * Returns 0 (cb will be called exactly once, never from inside this
     * call), or a PC_E* code (then cb is never called).
     */
    int (*resolve)(pc_resolver_t *r, const pc_name_t *qname, uint16_t qtype,
                   unsigned timeout_ms, pc_resolver_cb cb, void *arg,
                   uint64_t *id);
    /* cancel - stop a query; its cb is not called. Unknown ids are ignored. */
    void (*cancel)(pc_resolver_t *r, uint64_t id);
    /* flush - drop every cached answer the resolver holds itself, so the
     * next query reaches the network. In-flight queries complete. */
    int (*flush)(pc_resolver_t *r);
    /* close - cancel everything and free the resolver once its handles are
     * closed on the loop; no callback fires afterwards. */
    void (*close)(pc_resolver_t *r);
    /* retire - accept no new queries, let the in-flight ones complete
     * (their callbacks fire as usual), then free the resolver. */
    void (*retire)(pc_resolver_t *r);
} pc_resolver_ops_t;

struct pc_resolver {
    const pc_resolver_ops_t *ops;
    uint64_t queries;  /* queries started */
    uint64_t timeouts; /* queries that timed out */
    uint64_t inflight; /* queries started and not yet completed */
};

/* A stub zone: name and "addr[@port]" entries. */
typedef struct pc_stub {
    char *name;
    char **addrs;
    size_t naddrs;
} pc_stub_t;

/* libunbound settings; every string is copied by pc_resolver_ub_new. */
typedef struct pc_resolver_conf {
    char **forwarders;        /* "addr[@port]" for ".", none = full recursion */
    size_t nforwarders;
    pc_stub_t *stubs;
    size_t nstubs;
    char *trust_anchor_file;  /* DS/DNSKEY file (ub_ctx_add_ta_file) */
    char *auto_trust_anchor_file; /* RFC 5011 file (ub_ctx_add_ta_autr) */
    char *unbound_conf;       /* unbound-format file for ub_ctx_config */
    unsigned cache_max_ttl;   /* libunbound's own cache ceiling, seconds */
    unsigned cache_max_negative_ttl; /* ... for NXDOMAIN/NODATA: derived
                                        from negative-ttl-max */
} pc_resolver_conf_t;

/* Debian's root trust anchor (package dns-root-data). */
#define PC_DEFAULT_ROOT_ANCHOR "/usr/share/dns/root.key"

/*
 * pc_resolver_ub_new - create the libunbound resolver on loop.
 * Applies conf: the unbound config file first, then forwarders, stubs and
 * trust anchors. With neither a trust anchor, an auto trust anchor nor a
 * config file, PC_DEFAULT_ROOT_ANCHOR is used. Every trust anchor file
 * (ours or the unbound config's) must be a readable regular file now,
 * since libunbound itself opens them only at the first query. Returns 0
 * and *out, or PC_ECONFIG (libunbound refused a setting, or an anchor
 * file cannot be read; why, if not NULL, gets the reason, cap octets),
 * PC_ENOMEM, PC_EIO.
 */
int pc_resolver_ub_new(pc_resolver_t **out, uv_loop_t *loop,
                       const pc_resolver_conf_t *conf, char *why, size_t cap);

/* Deep copy / free of a conf (for reload). */
int pc_resolver_conf_copy(pc_resolver_conf_t *dst, const pc_resolver_conf_t *src);
void pc_resolver_conf_free(pc_resolver_conf_t *c);
/* 1 if two confs would build the same libunbound context. */
int pc_resolver_conf_equal(const pc_resolver_conf_t *a, const pc_resolver_conf_t *b);

#endif /* PC_RESOLVER_H */
