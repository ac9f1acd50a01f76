/*
 * fuzz_config.c - libFuzzer target for the configuration parser: any
 * octets either parse or fail with one "fuzz.conf..." message and a zeroed
 * struct; a parsed config printed and parsed again gives the same text.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *print_config(const pc_config_t *c, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);

    if (f == NULL)
        abort();
    pc_config_print(c, f);
    if (fclose(f) != 0)
        abort();
    return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[PC_CONFIG_ERR_MAX];
    pc_config_t c, d;
    char *one, *two;
    size_t n1, n2;
    int rc;

    /* the parser must honour len: copy into a buffer of exactly size octets */
    char *text = malloc(size ? size : 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    rc = pc_config_parse(&c, "fuzz.conf", text, size, err, sizeof(err));
    free(text);
    if (rc != 0) {
        /* one NUL-terminated line naming the file; c zeroed */
        if (strnlen(err, sizeof(err)) == sizeof(err) || strncmp(err, "fuzz.conf", 9) != 0 ||
            strchr(err, '\n') != NULL || c.source != NULL || c.nlisten != 0)
            abort();
        return 0;
    }
    one = print_config(&c, &n1);
    if (pc_config_parse(&d, "printed", one, n1, err, sizeof(err)) != 0) {
        fprintf(stderr, "printed config does not parse: %s\n%s", err, one);
        abort();
    }
    two = print_config(&d, &n2);
    if (n1 != n2 || memcmp(one, two, n1) != 0 ||
        !pc_resolver_conf_equal(&c.resolver, &d.resolver) || c.nlisten != d.nlisten)
        abort();
    free(one);
    free(two);
    pc_config_free(&c);
    pc_config_free(&d);
    return 0;
}
