/*
 * fuzz_dkim.c - libFuzzer target for the DKIM key record grammar: parses
 * the input as a key record, checks the invariants the header promises,
 * and runs the field visitor over the result.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "polcache/error.h"
#include "dkim.h"

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pc_dkim_t d;
    pc_perr_t err;
    size_t total = 0;
    int rc;

    rc = pc_dkim_parse((const char *)data, size, &d, &err);
    switch (rc) {
    case 0:
        if (d.usable != (d.reason == PC_DKIM_USABLE))
            abort();
        if (d.usable && (d.revoked || d.key_len == 0 ||
                         (d.ktype == PC_DKIM_K_ED25519 && d.key_len != 32) ||
                         (d.ktype == PC_DKIM_K_RSA && d.bits < 1024)))
            abort();
        break;
    case PC_ENOENT:
    case PC_ERECORD:
    case PC_EKEY:
    case PC_ETOOBIG:
        if (d.usable || err.pos > size || err.reason[0] == '\0')
            abort();
        break;
    default:
        abort();
    }
    if (d.warnings.n > PC_WARN_MAX || d.key_len > PC_DKIM_KEY_MAX ||
        d.h.n > PC_DKIM_NAMES_MAX || d.s.n > PC_DKIM_NAMES_MAX ||
        d.t.n > PC_DKIM_NAMES_MAX)
        abort();
    if (pc_dkim_fields(&d, visit, &total) != 0)
        abort();
    return 0;
}
