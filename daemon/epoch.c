/*
 * epoch.c - the epoch page beside a listening socket (proto/epoch_page.h).
 * The file is opened without following links, sized, mapped shared and
 * written through the mapping, so clients that mapped it earlier (from a
 * previous run of the daemon, too) see every change.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "epoch.h"
#include "epoch_page.h"
#include "polcache.h"

struct pc_epoch {
    int fd;
    pc_epoch_page_t *page;
};

int pc_epoch_open(pc_epoch_t **out, const char *sock_path, unsigned sock_mode, gid_t gid)
{
    char path[4096];
    struct stat st;
    pc_epoch_t *e;
    uint64_t cur;
    int fd, rc;

    *out = NULL;
    if ((size_t)snprintf(path, sizeof(path), "%s%s", sock_path, PC_EPOCH_SUFFIX) >= sizeof(path))
        return PC_ETOOBIG;
    fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return pc_err_from_errno(errno);
    if (fstat(fd, &st) != 0) {
        rc = pc_err_from_errno(errno);
        goto err;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = PC_ESTATE;
        goto err;
    }
    if (fchmod(fd, (mode_t)((sock_mode & 0444u) | 0200u)) != 0 ||
        (gid != (gid_t)-1 && fchown(fd, (uid_t)-1, gid) != 0) ||
        (st.st_size < (off_t)PC_EPOCH_SIZE && ftruncate(fd, PC_EPOCH_SIZE) != 0)) {
        rc = pc_err_from_errno(errno);
        goto err;
    }
    e = calloc(1, sizeof(*e));
    if (e == NULL) {
        rc = PC_ENOMEM;
        goto err;
    }
    e->page = mmap(NULL, PC_EPOCH_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (e->page == MAP_FAILED) {
        rc = pc_err_from_errno(errno);
        free(e);
        goto err;
    }
    e->fd = fd;
    cur = pc_epoch_read(e->page);
    if (cur == 0) { /* new, or not ours: start over from the clock, so a
                     * page made again does not repeat an older one's values */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        memset(e->page, 0, sizeof(*e->page));
        memcpy(e->page->magic, PC_EPOCH_MAGIC, sizeof(e->page->magic));
        e->page->version = PC_EPOCH_VERSION;
        e->page->epoch = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    }
    pc_epoch_bump(e);
    *out = e;
    return 0;
err:
    close(fd);
    return rc;
}

void pc_epoch_bump(pc_epoch_t *e)
{
    uint64_t v;

    if (e == NULL)
        return;
    v = __atomic_load_n(&e->page->epoch, __ATOMIC_RELAXED) + 1;
    if (v == 0)
        v = 1;
    __atomic_store_n(&e->page->epoch, v, __ATOMIC_RELEASE);
}

unsigned long long pc_epoch_value(const pc_epoch_t *e)
{
    return e != NULL ? (unsigned long long)pc_epoch_read(e->page) : 0;
}

void pc_epoch_close(pc_epoch_t *e)
{
    if (e == NULL)
        return;
    pc_epoch_bump(e); /* nothing kept while no daemon runs is trusted later */
    munmap(e->page, PC_EPOCH_SIZE);
    close(e->fd);
    free(e);
}
