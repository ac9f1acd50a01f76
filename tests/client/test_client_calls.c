/*
 * test_client_calls.c - every blocking call of libpolcache against the
 * real polcached and the signed DNS world: DMARC, SPF and DKIM records
 * with every field checked, cache states and NOCACHE, a name the daemon
 * refuses, DMARC policy discovery (tree walk and PSL), ping, stats, dump (filters and paging), flush of a name and of
 * everything.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cutil.h"

static pc_client_t *C;

static int setup(void **state)
{
    (void)state;
    return pc_client_create(&C, cu_daemon()->sock);
}

static int teardown(void **state)
{
    (void)state;
    pc_client_destroy(C);
    cu_daemon_stop();
    return 0;
}

static void test_records(void **state)
{
    char why[512];
    (void)state;

    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < cu_ncases; i++) {
            const ccase_t *k = &cu_cases[i];
            pc_query_t q = cu_query(k, 0);
            pc_result_t *r = NULL;
            assert_int_equal(pc_client_query(C, &q, 10000, &r), 0);
            if (!cu_check(k, r, why, sizeof(why)))
                fail_msg("%s", why);
            /* the second time everything is a hit (failures are held) */
            if (pass == 1 && r->cache != PC_CACHE_HIT)
                fail_msg("%s: cache %d on the second pass", k->domain, r->cache);
            pc_result_free(r);
        }
    }
}

static void test_record_fields(void **state)
{
    pc_query_t q = {PC_RT_DMARC, "secure.pcw", NULL, PC_QUERY_NOCACHE};
    pc_result_t *r = NULL;
    int explicit_p = 0, default_seen = 0;
    (void)state;

    assert_int_equal(pc_client_query(C, &q, 10000, &r), 0);
    assert_int_equal(r->cache, PC_CACHE_MISS); /* NOCACHE resolves anew */
    assert_int_equal(r->rtype, PC_RT_DMARC);
    assert_string_equal(r->qname, "_dmarc.secure.pcw");
    assert_string_equal(r->raw, "v=DMARC1; p=reject; rua=mailto:d@secure.pcw");
    assert_int_equal(r->raw_len, strlen(r->raw));
    assert_true(r->ttl > 0 && r->ttl <= 300);
    assert_true(r->age <= 2);
    assert_string_equal(r->why, "");
    for (size_t i = 0; i < r->nfields; i++) {
        const pc_field_t *f = &r->fields[i];
        assert_int_equal(strlen(f->value), f->value_len);
        if (strcmp(f->name, "p") == 0)
            explicit_p = f->in_record;
        if (strcmp(f->name, "adkim") == 0)
            default_seen = !f->in_record && strcmp(f->value, "r") == 0;
    }
    assert_true(explicit_p);
    assert_true(default_seen); /* adkim=r by default */
    pc_result_free(r);
    r = (pc_result_t *)&r;
    assert_int_equal(pc_client_dmarc(C, "a..b", 5000, &r), PC_ENAME);
    assert_null(r);
    assert_int_equal(pc_client_dkim(C, "sel", "secure.pcw", 5000, &r), 0);
    assert_string_equal(r->qname, "sel._domainkey.secure.pcw");
    assert_string_equal(pc_result_field(r, "key-type"), "rsa");
    pc_result_free(r);
    assert_int_equal(pc_client_spf(C, "twospf.secure.pcw", 5000, &r), 0);
    assert_int_equal(r->outcome, PC_OUTCOME_PERMERROR);
    pc_result_free(r);
}

static void test_discovery(void **state)
{
    pc_query_t q = {PC_RT_DMARC, "x.secure.pcw", NULL, PC_QUERY_PSL};
    pc_result_t *r = NULL;
    (void)state;

    /* the daemon's method (the tree walk by default) */
    assert_int_equal(pc_client_dmarc_policy(C, "x.secure.pcw", 10000, &r), 0);
    assert_int_equal(r->outcome, PC_OUTCOME_FOUND);
    assert_int_equal(r->dnssec, PC_DNSSEC_SECURE);
    assert_int_equal(r->method, PC_METHOD_TREEWALK);
    assert_string_equal(r->org_domain, "secure.pcw");
    assert_string_equal(r->policy_domain, "secure.pcw");
    assert_int_equal(r->exists, PC_EXISTS_NO); /* x.secure.pcw: np applies */
    assert_string_equal(r->qname, "_dmarc.secure.pcw");
    assert_string_equal(pc_result_field(r, "p"), "reject");
    assert_true(r->nwalk >= 2);
    assert_string_equal(r->walk[0].qname, "_dmarc.x.secure.pcw");
    assert_int_equal(r->walk[0].outcome, PC_OUTCOME_NXDOMAIN);
    assert_int_equal(r->walk[0].psd, PC_PSD_NONE);
    assert_string_equal(r->walk[1].qname, "_dmarc.secure.pcw");
    assert_int_equal(r->walk[1].outcome, PC_OUTCOME_FOUND);
    assert_int_equal(r->walk[1].psd, PC_PSD_UNSET);
    assert_int_equal(r->walk[1].dnssec, PC_DNSSEC_SECURE);
    pc_result_free(r);
    /* RFC 7489 mode */
    assert_int_equal(pc_client_query(C, &q, 10000, &r), 0);
    assert_int_equal(r->method, PC_METHOD_PSL);
    assert_int_equal(r->outcome, PC_OUTCOME_FOUND);
    assert_string_equal(r->policy_domain, "secure.pcw");
    pc_result_free(r);
    /* a bogus answer on the way is a temporary failure, never "no policy" */
    assert_int_equal(pc_client_dmarc_policy(C, "bogus-ds.pcw", 10000, &r), 0);
    assert_int_equal(r->outcome, PC_OUTCOME_TEMPFAIL);
    assert_int_equal(r->dnssec, PC_DNSSEC_BOGUS);
    assert_true(r->why[0] != '\0');
    pc_result_free(r);
    /* without discovery: none of it */
    assert_int_equal(pc_client_dmarc(C, "secure.pcw", 10000, &r), 0);
    assert_int_equal(r->method, PC_METHOD_NONE);
    assert_int_equal(r->nwalk, 0);
    assert_string_equal(r->org_domain, "");
    assert_string_equal(r->policy_domain, "");
    assert_int_equal(r->exists, PC_EXISTS_UNKNOWN);
    pc_result_free(r);
    /* discovery is for DMARC only, and one method at a time */
    q.flags = PC_QUERY_TREEWALK | PC_QUERY_PSL;
    assert_int_equal(pc_client_query(C, &q, 10000, &r), PC_EINVAL);
    q.rtype = PC_RT_SPF;
    q.flags = PC_QUERY_DISCOVER;
    assert_int_equal(pc_client_query(C, &q, 10000, &r), PC_EINVAL);
}

static void test_ping_stats(void **state)
{
    pc_ping_t ping;
    pc_stats_t *s = NULL;
    uint64_t v = 0;
    (void)state;

    assert_int_equal(pc_client_ping(C, 5000, &ping), 0);
    assert_string_equal(ping.version, "polcached " PC_VERSION);
    assert_int_equal(ping.proto_version, 1);
    assert_int_equal(pc_client_ping(C, 5000, NULL), 0);
    assert_int_equal(pc_client_stats(C, 5000, &s), 0);
    assert_true(s->count > 10);
    assert_int_equal(pc_stats_get(s, "requests.dmarc", &v), 0);
    assert_true(v >= 10);
    assert_int_equal(pc_stats_get(s, "cache.hits", &v), 0);
    assert_true(v >= cu_ncases);
    assert_int_equal(pc_stats_get(s, "no.such.counter", &v), PC_ENOENT);
    assert_int_equal(pc_stats_get(s, "connections.open", NULL), 0);
    pc_stats_free(s);
}

/* Count the entries a filter lists, page by page; check each one. */
static size_t dump_all(const pc_dump_filter_t *f, size_t *pages)
{
    pc_dump_page_t *p = NULL, *prev = NULL;
    size_t n = 0;
    int rc;

    *pages = 0;
    do {
        rc = pc_client_dump(C, f, prev, 5000, &p);
        pc_dump_page_free(prev);
        prev = p;
        assert_int_equal(rc, 0);
        (*pages)++;
        if (f->limit > 0)
            assert_true(p->count <= f->limit);
        for (size_t i = 0; i < p->count; i++) {
            const pc_dump_entry_t *e = &p->entries[i];
            if (f->rtype != PC_RT_NONE)
                assert_int_equal(e->rtype, f->rtype);
            if (f->dnssec >= 0)
                assert_int_equal(e->dnssec, f->dnssec);
            if (f->suffix != NULL) {
                size_t ql = strlen(e->qname), sl = strlen(f->suffix);
                assert_true(ql >= sl && strcmp(e->qname + ql - sl, f->suffix) == 0);
            }
            assert_true(e->outcome >= PC_OUTCOME_FOUND && e->outcome <= PC_OUTCOME_PERMERROR);
            assert_int_equal(strlen(e->raw), e->raw_len);
        }
        n += p->count;
        assert_true(*pages < 1000);
    } while (p->more);
    pc_dump_page_free(prev);
    return n;
}

static void test_dump(void **state)
{
    pc_dump_filter_t f = PC_DUMP_FILTER_INIT;
    size_t all, dmarc, pages, secure, one;
    (void)state;

    all = dump_all(&f, &pages);
    assert_true(all >= 14);
    f.rtype = PC_RT_DMARC;
    f.suffix = "secure.pcw";
    f.limit = 2;
    dmarc = dump_all(&f, &pages);
    /* _dmarc of secure, cname, cname's target, cnameinsec, nonexistent,
     * twodmarc under secure.pcw */
    assert_true(dmarc >= 5);
    assert_true(pages >= 3);
    f.limit = 0;
    f.dnssec = PC_DNSSEC_SECURE;
    secure = dump_all(&f, &pages);
    assert_true(secure >= 4 && secure < dmarc);
    f.dnssec = -1;
    f.expired = 0;
    assert_int_equal(dump_all(&f, &pages), dmarc);
    f.expired = 1;
    assert_int_equal(dump_all(&f, &pages), 0);
    f.expired = -1;
    f.rtype = PC_RT_DKIM;
    f.suffix = "sel._domainkey.secure.pcw";
    one = dump_all(&f, &pages);
    assert_int_equal(one, 1);
}

static void test_flush(void **state)
{
    pc_dump_filter_t f = PC_DUMP_FILTER_INIT;
    pc_result_t *r = NULL;
    uint32_t count = 0;
    size_t pages;
    (void)state;

    assert_int_equal(pc_client_flush(C, "insecure.pcw", 5000, &count), 0);
    assert_true(count >= 2); /* its DMARC and SPF entries at least */
    f.suffix = "insecure.pcw";
    assert_int_equal(dump_all(&f, &pages), 0);
    assert_int_equal(pc_client_dmarc(C, "insecure.pcw", 5000, &r), 0);
    assert_int_equal(r->cache, PC_CACHE_MISS);
    pc_result_free(r);
    assert_int_equal(pc_client_flush_all(C, 5000, &count), 0);
    assert_true(count >= 10);
    f.suffix = NULL;
    assert_int_equal(dump_all(&f, &pages), 0);
    assert_int_equal(pc_client_flush_all(C, 5000, NULL), 0);
    assert_int_equal(pc_client_flush(C, "a..b", 5000, &count), PC_ENAME);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_records),
        cmocka_unit_test(test_record_fields),
        cmocka_unit_test(test_discovery),
        cmocka_unit_test(test_ping_stats),
        cmocka_unit_test(test_dump),
        cmocka_unit_test(test_flush),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
