/*
 * testutil.c - helpers shared by the unit tests.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "testutil.h"

char *pc_test_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;

    if (f == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
        goto out;
    buf = malloc((size_t)n + 1);
    if (buf == NULL)
        goto out;
    if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
        goto out;
    }
    buf[n] = '\0';
    if (len != NULL)
        *len = (size_t)n;
out:
    fclose(f);
    return buf;
}

const char *pc_test_source_dir(void)
{
    const char *s = getenv("PC_SOURCE_DIR");
    return (s != NULL && *s != '\0') ? s : ".";
}

const char *pc_test_conformance_file(const char *rel)
{
    static char path[4096];
    const char *dir = getenv("PC_CONFORMANCE_DIR");
    struct stat st;

    if (dir != NULL && *dir != '\0')
        snprintf(path, sizeof(path), "%s/%s", dir, rel);
    else
        snprintf(path, sizeof(path), "%s/../shared/conformance/%s",
                 pc_test_source_dir(), rel);
    if (stat(path, &st) != 0) {
        printf("SKIPPED: conformance data %s not found (set PC_CONFORMANCE_DIR)\n", path);
        fflush(stdout);
        exit(PC_TEST_SKIP);
    }
    return path;
}

long pc_test_unhex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    int hi = -1;

    for (; *hex != '\0'; hex++) {
        int v;
        if (isspace((unsigned char)*hex))
            continue;
        if (!isxdigit((unsigned char)*hex))
            return -1;
        v = isdigit((unsigned char)*hex) ? *hex - '0' : (tolower((unsigned char)*hex) - 'a' + 10);
        if (hi < 0) {
            hi = v;
        } else {
            if (n >= cap)
                return -1;
            out[n++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    return hi < 0 ? (long)n : -1;
}

void pc_test_world_load(void)
{
    const char *path = getenv("PC_WORLD_ENV");
    char *text, *line, *save = NULL;

    if (path == NULL || (text = pc_test_read_file(path, NULL)) == NULL) {
        fprintf(stderr, "test world not available: PC_WORLD_ENV=%s\n", path ? path : "(unset)");
        exit(1);
    }
    for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
        char *eq = strchr(line, '=');
        if (line[0] == '#' || eq == NULL)
            continue;
        *eq = '\0';
        setenv(line, eq + 1, 1);
    }
    free(text);
}

const char *pc_test_env(const char *name)
{
    const char *v = getenv(name);
    if (v == NULL) {
        fprintf(stderr, "required environment variable %s is not set\n", name);
        exit(1);
    }
    return v;
}
