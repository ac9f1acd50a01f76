/* dmarc_policy.c - a filter's use of libpolcache: the DMARC policy of a
 * domain. Exit 0 with the policy, 1 for "no policy", 75 (EX_TEMPFAIL)
 * when no answer could be had, which is never a verdict. */
#include <polcache.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    pc_client_t *c = NULL;
    pc_result_t *r = NULL;
    int rc, ex = 75;

    if (argc != 2) {
        fprintf(stderr, "usage: %s DOMAIN\n", argv[0]);
        return 64;
    }
    rc = pc_client_create(&c, NULL); /* $POLCACHE_SOCKET or the default */
    if (rc == 0)
        rc = pc_client_dmarc(c, argv[1], 2000, &r);
    if (rc != 0) { /* daemon down or busy, timeout: tempfail */
        fprintf(stderr, "tempfail: %s\n", pc_strerror(rc));
    } else if (r->outcome == PC_OUTCOME_FOUND) {
        printf("p=%s dnssec=%s\n", pc_result_field(r, "p"),
               r->dnssec == PC_DNSSEC_SECURE ? "secure" : "insecure");
        ex = 0;
    } else if (r->outcome == PC_OUTCOME_NORECORD || r->outcome == PC_OUTCOME_NXDOMAIN) {
        printf("no policy\n");
        ex = 1;
    } else { /* SERVFAIL, upstream timeout, DNSSEC bogus: tempfail */
        fprintf(stderr, "tempfail: %s\n", r->why);
    }
    pc_result_free(r);
    pc_client_destroy(c);
    return ex;
}
