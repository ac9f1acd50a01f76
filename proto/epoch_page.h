/*
 * epoch_page.h - the epoch page: a small file beside each listening socket
 * (the socket's path followed by PC_EPOCH_SUFFIX) that polcached maps
 * shared and writes, and that clients map read-only. Its counter changes
 * whenever answers a client may keep in its own memory stop being valid:
 * when polcached starts and stops, on every FLUSH (of a name or of
 * everything) and on every reload. A client that keeps answers (libpolcache's answer
 * cache) remembers the counter it read before it sent the request and
 * uses the answer only while the counter still holds that value.
 *
 * The file is PC_EPOCH_SIZE octets; this header is at offset 0, in the
 * host's byte order (the file never leaves the host). polcached creates
 * it with the socket's read permissions plus owner write, and never
 * removes or replaces it, so a mapping stays valid across restarts.
 * A client that cannot open, map or recognise the file keeps no answers.
 */
#ifndef PC_EPOCH_PAGE_H
#define PC_EPOCH_PAGE_H

#include <stdint.h>

#define PC_EPOCH_SUFFIX ".epoch"
#define PC_EPOCH_MAGIC "PCEPOCH" /* 8 octets with its NUL */
#define PC_EPOCH_VERSION 1u
#define PC_EPOCH_SIZE 4096u

typedef struct pc_epoch_page {
    char magic[8];      /* PC_EPOCH_MAGIC */
    uint32_t version;   /* PC_EPOCH_VERSION */
    uint32_t reserved;  /* 0 */
    uint64_t epoch;     /* never 0 once written; read and written only
                           with __atomic builtins (acquire / release) */
} pc_epoch_page_t;

/* The epoch in a mapped page, or 0 if the page is not one of ours. */
static inline uint64_t pc_epoch_read(const pc_epoch_page_t *p)
{
    if (p == NULL || p->version != PC_EPOCH_VERSION ||
        __builtin_memcmp(p->magic, PC_EPOCH_MAGIC, sizeof(p->magic)) != 0)
        return 0;
    return __atomic_load_n(&p->epoch, __ATOMIC_ACQUIRE);
}

#endif /* PC_EPOCH_PAGE_H */
