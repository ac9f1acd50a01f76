/*
 * polcache/error.h - the single error-code table of polcache.
 *
 * Every polcache function that can fail returns 0 on success or one of the
 * negative PC_E* codes below. The same numbers travel on the wire in error
 * replies (docs/PROTOCOL.md), so they are stable: never renumber, only add.
 * Errors from dependencies (errno, LMDB, libunbound, libuv, libidn2) are
 * translated into this table in exactly one function per dependency.
 */
#ifndef POLCACHE_ERROR_H
#define POLCACHE_ERROR_H

#include "polcache/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* XX(name, value, message). Values are stable wire values. */
#define PC_ERRNO_MAP(XX)                                                        \
    XX(EINVAL,     -1,  "invalid argument")                                     \
    XX(ENOMEM,     -2,  "out of memory")                                        \
    XX(ETRUNC,     -3,  "truncated input")                                      \
    XX(EMAGIC,     -4,  "bad frame magic")                                      \
    XX(EVERSION,   -5,  "unsupported protocol version")                         \
    XX(ETOOBIG,    -6,  "size or count exceeds its limit")                      \
    XX(EMSGTYPE,   -7,  "unknown message type")                                 \
    XX(ECRITICAL,  -8,  "unknown critical field")                               \
    XX(EMALFORMED, -9,  "malformed frame")                                      \
    XX(EMISSING,   -10, "required field missing")                               \
    XX(EDUP,       -11, "field repeated more often than allowed")               \
    XX(EBADSTR,    -12, "invalid string content")                               \
    XX(EFLAGS,     -13, "unknown frame flags")                                  \
    XX(ENAME,      -14, "invalid domain name")                                  \
    XX(ENAMELEN,   -15, "domain name or label too long")                        \
    XX(EIDNA,      -16, "IDNA conversion failed")                               \
    XX(ERECORD,    -17, "record syntax error")                                  \
    XX(ENOTIMPL,   -18, "not implemented")                                      \
    XX(EBUSY,      -19, "daemon busy, try again later")                         \
    XX(EUNAVAIL,   -20, "daemon unavailable")                                   \
    XX(ETIMEDOUT,  -21, "timed out")                                            \
    XX(ECANCELED,  -22, "canceled")                                             \
    XX(EDNS,       -23, "temporary DNS failure")                                \
    XX(EBOGUS,     -24, "DNSSEC validation failed (bogus)")                     \
    XX(ECACHE,     -25, "cache error")                                          \
    XX(ECORRUPT,   -26, "corrupt or foreign-format data")                       \
    XX(EMAPFULL,   -27, "cache map full")                                       \
    XX(EIO,        -28, "input/output error")                                   \
    XX(EPERM,      -29, "permission denied")                                    \
    XX(ECONFIG,    -30, "configuration error")                                  \
    XX(ENOENT,     -31, "not found")                                            \
    XX(ELIMIT,     -32, "processing limit exceeded")                            \
    XX(ECLOSED,    -33, "connection closed")                                    \
    XX(EKEY,       -34, "invalid key material")                                 \
    XX(ESTATE,     -35, "operation not valid in this state")

typedef enum pc_err {
    PC_OK = 0,
#define PC_ERR_ENUM_(name, value, msg) PC_##name = (value),
    PC_ERRNO_MAP(PC_ERR_ENUM_)
#undef PC_ERR_ENUM_
    PC_ERR_MIN_ = -35
} pc_err_t;

/*
 * pc_strerror - human-readable text for an error code.
 * Returns a static string; never NULL. Unknown codes give "unknown error".
 */
PC_EXPORT const char *pc_strerror(int err);

/*
 * pc_err_name - the symbolic name of an error code, e.g. "PC_EINVAL".
 * Returns a static string; never NULL. Unknown codes give "PC_EUNKNOWN";
 * 0 gives "PC_OK".
 */
PC_EXPORT const char *pc_err_name(int err);

/*
 * pc_err_from_errno - translate a positive errno value into the table.
 * Values without a closer match become PC_EIO. 0 gives 0.
 */
PC_EXPORT int pc_err_from_errno(int errnum);

#ifdef __cplusplus
}
#endif

#endif /* POLCACHE_ERROR_H */
