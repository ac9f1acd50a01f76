/*
 * testutil.h - small helpers shared by the unit tests: reading files,
 * locating the source tree and the third-party conformance data.
 */
#ifndef PC_TESTUTIL_H
#define PC_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

/* Exit code that CTest reports as "skipped" (SKIP_RETURN_CODE). */
#define PC_TEST_SKIP 77

/* Read a whole file into a NUL-terminated malloc'd buffer; NULL on error. */
char *pc_test_read_file(const char *path, size_t *len);

/* $PC_SOURCE_DIR, or "." when unset. Static string. */
const char *pc_test_source_dir(void);

/*
 * Path of a conformance file (relative to $PC_CONFORMANCE_DIR, default
 * ../shared/conformance beside the source tree). If it does not exist, print
 * "SKIPPED: <reason>" and exit with PC_TEST_SKIP: never reported as passed.
 * Returns a static buffer.
 */
const char *pc_test_conformance_file(const char *rel);

/* Parse hex digits (whitespace ignored) into out; returns octets or -1. */
long pc_test_unhex(const char *hex, uint8_t *out, size_t cap);



/*
 * Load $PC_WORLD_ENV (the test world's world.env) into the environment.
 * Fails the process (exit 1, with a message) if it is missing: the world is
 * a fixture the test command always starts.
 */
void pc_test_world_load(void);

/* getenv() that fails the process when the variable is unset. */
const char *pc_test_env(const char *name);

#endif
