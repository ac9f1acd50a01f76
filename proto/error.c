/*
 * error.c - the error table: names, messages and the errno translation.
 * This is the only place where errno values become polcache codes.
 */
#include <errno.h>

#include "polcache/error.h"

const char *pc_strerror(int err)
{
    switch (err) {
    case PC_OK:
        return "success";
#define PC_ERR_MSG_(name, value, msg) \
    case PC_##name:                   \
        return msg;
        PC_ERRNO_MAP(PC_ERR_MSG_)
#undef PC_ERR_MSG_
    default:
        return "unknown error";
    }
}

const char *pc_err_name(int err)
{
    switch (err) {
    case PC_OK:
        return "PC_OK";
#define PC_ERR_NAME_(name, value, msg) \
    case PC_##name:                    \
        return "PC_" #name;
        PC_ERRNO_MAP(PC_ERR_NAME_)
#undef PC_ERR_NAME_
    default:
        return "PC_EUNKNOWN";
    }
}

int pc_err_from_errno(int errnum)
{
    switch (errnum) {
    case 0:
        return PC_OK;
    case EINVAL:
        return PC_EINVAL;
    case ENOMEM:
        return PC_ENOMEM;
    case ENOENT:
        return PC_ENOENT;
    case EACCES:
    case EPERM:
        return PC_EPERM;
    case ETIMEDOUT:
        return PC_ETIMEDOUT;
    case ECANCELED:
        return PC_ECANCELED;
    case EAGAIN:
    case EMFILE:
    case ENFILE:
        return PC_EBUSY;
    case ECONNREFUSED:
    case ECONNRESET:
    case EPIPE:
    case ENOTCONN:
        return PC_EUNAVAIL;
    case ENAMETOOLONG:
    case E2BIG:
    case EMSGSIZE:
        return PC_ETOOBIG;
    case ENOSPC:
        return PC_EMAPFULL;
    case ENOSYS:
    case EOPNOTSUPP:
        return PC_ENOTIMPL;
    default:
        return PC_EIO;
    }
}
