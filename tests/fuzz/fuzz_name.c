/*
 * fuzz_name.c - libFuzzer target for DNS-name handling: text parsing with
 * every flag combination, printing, re-parsing of the printed form, cache
 * keys, wire-form validation and the name relations.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "name.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = malloc(size ? size : 1);
    pc_name_t n, m;
    char text[PC_NAME_TEXT_MAX];
    uint8_t key[PC_NAME_KEY_MAX];

    if (copy == NULL)
        return 0;
    memcpy(copy, data, size);
    for (unsigned flags = 0; flags < 4; flags++) {
        int len, klen;
        if (pc_name_from_text(&n, copy, size, flags) != 0)
            continue;
        len = pc_name_to_text(&n, text, sizeof(text));
        if (len <= 0)
            abort();
        /* the printed form parses back to the same name */
        if (pc_name_from_text(&m, text, (size_t)len, PC_NAME_ESCAPES) != 0 ||
            !pc_name_equal(&n, &m))
            abort();
        klen = pc_name_to_key(&n, key, sizeof(key));
        if (klen < 0 || pc_name_from_key(&m, key, (size_t)klen) != 0 ||
            !pc_name_equal(&n, &m))
            abort();
        if (!pc_name_is_below(&n, &n))
            abort();
        for (unsigned k = 0; k <= pc_name_labels(&n); k++) {
            if (pc_name_suffix(&m, &n, k) != 0 || !pc_name_is_below(&n, &m))
                abort();
        }
        (void)pc_name_prepend(&m, &n, "_dmarc", 6);
    }
    if (size > 0 && pc_name_from_wire(&n, data, size) == 0) {
        if (pc_name_to_text(&n, text, sizeof(text)) <= 0)
            abort();
    }
    free(copy);
    return 0;
}
