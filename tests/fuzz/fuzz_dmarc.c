/*
 * fuzz_dmarc.c - libFuzzer target for the DMARC record grammar: parses the
 * input as a record, checks the invariants the header promises, and runs
 * the field visitor over the result.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "polcache/error.h"
#include "dmarc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int visit(void *arg, const char *name, const char *value,
                 unsigned flags)
{
    size_t *total = arg;

    if (flags & ~PC_FIELD_EXPLICIT)
        abort();
    *total += strlen(name) + strlen(value);
    return 0;
}

static void check_list(const pc_dmarc_urilist_t *l)
{
    unsigned i;

    if (l->n > PC_DMARC_URIS_MAX || l->n > l->valid)
        abort();
    for (i = 0; i < l->n; i++)
        if (memchr(l->uri[i].uri, '\0', sizeof(l->uri[i].uri)) == NULL)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pc_dmarc_t d;
    pc_perr_t err;
    size_t total = 0;
    int rc;

    rc = pc_dmarc_parse((const char *)data, size, &d, &err);
    switch (rc) {
    case 0:
        if (!d.usable || (d.status != PC_DMARC_OK &&
                          d.status != PC_DMARC_AS_NONE))
            abort();
        break;
    case PC_ENOENT:
        if (d.status != PC_DMARC_NOT_DMARC || d.usable)
            abort();
        break;
    case PC_ERECORD:
        if (d.usable || (d.status != PC_DMARC_NO_POLICY &&
                         d.status != PC_DMARC_INVALID))
            abort();
        break;
    default:
        abort();
    }
    if (rc != 0 && (err.pos > size || err.reason[0] == '\0'))
        abort();
    if (d.warnings.n > PC_WARN_MAX || d.pct > 100 ||
        (d.explicit_tags & d.invalid_tags) != 0)
        abort();
    check_list(&d.rua);
    check_list(&d.ruf);
    if (pc_dmarc_fields(&d, visit, &total) != 0)
        abort();
    return 0;
}
