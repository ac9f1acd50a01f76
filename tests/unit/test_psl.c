/*
 * test_psl.c - RFC 7489 mode's organizational domain (pc_psl_org_domain,
 * libpsl with Debian's publicsuffix list) against the Public Suffix List
 * project's checkPublicSuffix cases, read in place. Inputs pass through
 * our request-boundary name parsing (IDNA to A-labels), as in the daemon.
 * The cases date from 2016; where the current list differs, the case says
 * so below with the reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "discover.h"
#include "polcache/error.h"
#include "testutil.h"

/* Parse one quoted argument or null; returns the position after it. */
static const char *arg(const char *p, char *out, size_t cap, int *is_null)
{
    size_t n = 0;

    while (*p == ' ' || *p == ',')
        p++;
    if (strncmp(p, "null", 4) == 0) {
        *is_null = 1;
        return p + 4;
    }
    *is_null = 0;
    if (*p != '\'')
        return NULL;
    for (p++; *p != '\0' && *p != '\''; p++) {
        if (n + 1 < cap)
            out[n++] = *p;
    }
    out[n] = '\0';
    return *p == '\'' ? p + 1 : NULL;
}

static void test_psl_cases(void **state)
{
    char *text = pc_test_read_file(pc_test_conformance_file("psl/test_psl.txt"), NULL);
    psl_ctx_t *psl = pc_psl_load(PC_DEFAULT_PSL);
    char *line, *save = NULL;
    unsigned n = 0, nulls = 0;
    (void)state;

    assert_non_null(text);
    assert_non_null(psl);
    for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
        char in[512], want[512], got[PC_NAME_TEXT_MAX] = "";
        int in_null, want_null, rc;
        const char *p;
        pc_name_t name, org, w;

        if (strncmp(line, "checkPublicSuffix(", 18) != 0)
            continue; /* comments, and the commented-out cases */
        p = arg(line + 18, in, sizeof(in), &in_null);
        assert_non_null(p);
        p = arg(p, want, sizeof(want), &want_null);
        assert_non_null(p);
        n++;
        if (in_null) {
            /* a null input is not a name: our API takes no NULL name */
            assert_int_equal(pc_psl_org_domain(psl, NULL, &org), PC_EINVAL);
            nulls++;
            continue;
        }
        rc = pc_name_from_text(&name, in, strlen(in), PC_NAME_IDNA);
        if (rc == 0)
            rc = pc_psl_org_domain(psl, &name, &org);
        if (rc == 0)
            pc_name_to_text(&org, got, sizeof(got));
        if (want_null) {
            if (rc == 0)
                fail_msg("%s: expected no registrable domain, got %s", in, got);
            continue;
        }
        assert_int_equal(pc_name_from_text(&w, want, strlen(want), PC_NAME_IDNA), 0);
        if (rc != 0 || !pc_name_equal(&w, &org))
            fail_msg("%s: expected %s, got %s (%s)", in, want, got, pc_err_name(rc));
    }
    printf("PSL cases: %u checked (%u with a null input), all as expected\n", n, nulls);
    assert_true(n >= 70);
    pc_psl_free(psl);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_psl_cases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
