/*
 * polcache/export.h - the one symbol-export macro of polcache.
 *
 * Everything is built with -fvisibility=hidden; only declarations marked
 * PC_EXPORT are visible from the shared client library.
 */
#ifndef POLCACHE_EXPORT_H
#define POLCACHE_EXPORT_H

#if defined(__GNUC__) || defined(__clang__)
#define PC_EXPORT __attribute__((visibility("default")))
#else
#define PC_EXPORT
#endif

#endif /* POLCACHE_EXPORT_H */
