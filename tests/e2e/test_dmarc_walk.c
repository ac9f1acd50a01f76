/*
 * test_dmarc_walk.c - DMARC policy discovery through the real polcached,
 * against real signed zones: decoy records at names the walk must not ask,
 * a psd=y organization, a temporary failure in the middle of a walk, and
 * the existence check (NXDOMAIN, NODATA, SERVFAIL).
 */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "walkutil.h"
#include "polcache/error.h"
#include "polcache/types.h"
#include "testutil.h"

/* Decoys, a temporary failure mid-walk, and the existence check. */
static const char walk_world[] =
    "{\"zones\": ["
    " {\"name\": \"walk.\", \"mode\": \"signed\", \"records\": ["
    "  [\"_dmarc.b.c.d.e.f.g.h.i.j.k.walk.\", 300, \"TXT\", \"v=DMARC1; p=none; psd=n\"],"
    "  [\"_dmarc.c.d.e.f.g.h.i.j.k.walk.\", 300, \"TXT\", \"v=DMARC1; p=none; psd=n\"],"
    "  [\"_dmarc.d.e.f.g.h.i.j.k.walk.\", 300, \"TXT\", \"v=DMARC1; p=none; psd=n\"],"
    "  [\"_dmarc.e.f.g.h.i.j.k.walk.\", 300, \"TXT\", \"v=DMARC1; p=none; psd=n\"],"
    "  [\"_dmarc.i.j.k.walk.\", 300, \"TXT\", \"v=DMARC1; p=reject; psd=n\"],"
    "  [\"_dmarc.j.k.walk.\", 300, \"TXT\", \"v=DMARC1; p=none; psd=n\"],"
    "  [\"_dmarc.walk.\", 300, \"TXT\", \"v=DMARC1; p=none; psd=y\"],"
    "  [\"_dmarc.o.walk.\", 300, \"TXT\", \"v=DMARC1; p=quarantine\"]"
    " ]},"
    " {\"name\": \"mid.walk.\", \"mode\": \"unsigned\", \"records\": ["
    "  [\"_dmarc.mid.walk.\", 300, \"TXT\", \"v=DMARC1; p=none; psd=n\"]"
    " ]},"
    " {\"name\": \"exist.walk.\", \"mode\": \"unsigned\", \"records\": ["
    "  [\"_dmarc.exist.walk.\", 300, \"TXT\", \"v=DMARC1; p=reject; sp=quarantine; np=none; rua=mailto:a@exist.walk\"],"
    "  [\"nodata.exist.walk.\", 300, \"TXT\", \"no address here\"],"
    "  [\"hasa.exist.walk.\", 300, \"A\", \"192.0.2.7\"]"
    " ]},"
    " {\"name\": \"sf.exist.walk.\", \"mode\": \"external\", \"records\": []},"
    " {\"name\": \"_dmarc.sf.exist.walk.\", \"mode\": \"unsigned\", \"records\": []}"
    "],"
    " \"silent\": [\"_dmarc.z.mid.walk.\", \"sf.exist.walk.\"],"
    " \"nsd_stubs\": [\"_dmarc.sf.exist.walk.\"]}";

static void test_decoys_temperror_existence(void **state)
{
    env_t e;
    reply_t r;
    static const char *const must[] = {
        "_dmarc.a.b.c.d.e.f.g.h.i.j.k.walk", "_dmarc.f.g.h.i.j.k.walk",
        "_dmarc.g.h.i.j.k.walk", "_dmarc.h.i.j.k.walk", "_dmarc.i.j.k.walk"};
    (void)state;

    env_start(&e, walk_world, "treewalk");

    /* decoys at the names the jump skips, and above the psd=n stop */
    ask(&e.d, "a.b.c.d.e.f.g.h.i.j.k.walk", 0, &r);
    assert_int_equal(r.outcome, PC_OUTCOME_FOUND);
    assert_string_equal(r.org, "i.j.k.walk");
    assert_string_equal(r.policy_domain, "i.j.k.walk");
    assert_string_equal(r.p, "reject");
    assert_int_equal(r.nwalk, 5);
    for (unsigned i = 0; i < 5; i++)
        assert_string_equal(r.walk[i], must[i]);
    assert_false(walked(&r, "_dmarc.e.f.g.h.i.j.k.walk"));
    assert_false(walked(&r, "_dmarc.j.k.walk"));
    assert_false(walked(&r, "_dmarc.walk"));
    assert_int_equal(r.dnssec, PC_DNSSEC_SECURE);

    /* psd=y at the walk's top: the org domain is one label below it */
    ask(&e.d, "x.y.o.walk", 0, &r);
    assert_string_equal(r.org, "o.walk");
    assert_string_equal(r.policy_domain, "o.walk");
    assert_string_equal(applied(&r, "x.y.o.walk"), "quarantine"); /* sp defaults to p */

    /* a silent server in the middle of the walk: temperror, and the walk
     * stops there (the psd=n decoy above is never asked) */
    ask(&e.d, "x.y.z.mid.walk", 0, &r);
    assert_int_equal(r.outcome, PC_OUTCOME_TEMPFAIL);
    assert_int_equal(r.nwalk, 3);
    assert_string_equal(r.walk[0], "_dmarc.x.y.z.mid.walk");
    assert_string_equal(r.walk[2], "_dmarc.z.mid.walk");
    assert_false(walked(&r, "_dmarc.mid.walk"));
    assert_true(r.why[0] != '\0');

    /* existence of the author domain picks sp or np */
    ask(&e.d, "nx.exist.walk", 0, &r);
    assert_int_equal(r.exists, 2);
    assert_string_equal(applied(&r, "nx.exist.walk"), "none");
    ask(&e.d, "nodata.exist.walk", 0, &r);
    assert_int_equal(r.exists, 1);
    assert_string_equal(applied(&r, "nodata.exist.walk"), "quarantine");
    ask(&e.d, "hasa.exist.walk", 0, &r);
    assert_int_equal(r.exists, 1);
    assert_string_equal(applied(&r, "hasa.exist.walk"), "quarantine");
    ask(&e.d, "exist.walk", 0, &r);
    assert_int_equal(r.exists, -1); /* not asked: p applies */
    assert_string_equal(applied(&r, "exist.walk"), "reject");
    ask(&e.d, "sf.exist.walk", 0, &r);
    assert_int_equal(r.outcome, PC_OUTCOME_TEMPFAIL);
    assert_non_null(strstr(r.why, "exists"));

    /* a warm daemon walks again from its cache: every step a hit */
    ask(&e.d, "a.b.c.d.e.f.g.h.i.j.k.walk", 0, &r);
    assert_string_equal(r.org, "i.j.k.walk");
    env_stop(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decoys_temperror_existence),
    };
    int rc;

    C = malloc(sizeof(*C));
    pc_test_world_load();
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    free(C);
    return rc;
}
