/*
 * marker.c - the cache's clean-shutdown marker and the boot id (interface
 * and file format in marker.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "marker.h"
#include "polcache/error.h"

#define MARKER_TEXT_MAX 256
#define MARKER_MODE 0640

/* dir/name into out. Returns 0 or PC_ETOOBIG. */
static int path_join(char *out, size_t cap, const char *dir, const char *name)
{
    int n = snprintf(out, cap, "%s/%s", dir, name);
    return (n < 0 || (size_t)n >= cap) ? PC_ETOOBIG : 0;
}

/* 1 if s (n octets) is a plausible boot id: letters, digits and '-'. */
static int id_ok(const char *s, size_t n)
{
    if (n == 0 || n >= PC_BOOT_ID_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
              (ch >= 'A' && ch <= 'Z') || ch == '-'))
            return 0;
    }
    return 1;
}

/* Read up to cap-1 octets of path, NUL-terminated. Returns the length or a
 * negative PC_E* code. */
static long read_small(const char *path, char *buf, size_t cap)
{
    size_t got = 0;
    ssize_t n;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return pc_err_from_errno(errno);
    while (got + 1 < cap && (n = read(fd, buf + got, cap - 1 - got)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            close(fd);
            return pc_err_from_errno(e);
        }
        got += (size_t)n;
    }
    close(fd);
    buf[got] = '\0';
    return (long)got;
}

int pc_boot_id_read(const char *path, char *out, size_t cap)
{
    char buf[PC_BOOT_ID_MAX + 2];
    long n;
    size_t len;

    if (out == NULL || cap == 0)
        return PC_EINVAL;
    out[0] = '\0';
    n = read_small(path != NULL ? path : PC_BOOT_ID_PATH, buf, sizeof(buf));
    if (n < 0)
        return (int)n;
    len = strcspn(buf, "\n");
    if (!id_ok(buf, len) || len >= cap)
        return PC_EINVAL;
    memcpy(out, buf, len);
    out[len] = '\0';
    return 0;
}

/* Parse the marker text into *m (state BAD on any deviation). */
static void parse(const char *text, pc_marker_t *m)
{
    char state[16], dur[16], boot[PC_BOOT_ID_MAX + 8];
    int end = 0;

    m->state = PC_MARKER_BAD;
    if (sscanf(text, PC_MARKER_MAGIC "\nstate %15[a-z]\ndurability %15[a-z]\nboot %70[^\n]\n%n",
               state, dur, boot, &end) != 3 || end == 0 || text[end] != '\0')
        return;
    if (strcmp(dur, "nosync") == 0)
        m->nosync = 1;
    else if (strcmp(dur, "nometasync") != 0)
        return;
    if (strcmp(boot, "-") == 0)
        m->boot_id[0] = '\0';
    else if (id_ok(boot, strlen(boot)))
        memcpy(m->boot_id, boot, strlen(boot) + 1);
    else
        return;
    if (strcmp(state, "open") == 0)
        m->state = PC_MARKER_OPEN;
    else if (strcmp(state, "closed") == 0)
        m->state = PC_MARKER_CLOSED;
}

int pc_marker_read(const char *dir, pc_marker_t *out)
{
    char path[PATH_MAX], text[MARKER_TEXT_MAX];
    long n;

    if (dir == NULL || out == NULL)
        return PC_EINVAL;
    memset(out, 0, sizeof(*out));
    if (path_join(path, sizeof(path), dir, PC_MARKER_FILE) != 0) {
        out->state = PC_MARKER_BAD;
        return 0;
    }
    n = read_small(path, text, sizeof(text));
    if (n == PC_ENOENT)
        out->state = PC_MARKER_MISSING;
    else if (n < 0 || (size_t)n + 1 >= sizeof(text))
        out->state = PC_MARKER_BAD;
    else
        parse(text, out);
    return 0;
}

/* Write all of p to fd. Returns 0 or an errno value. */
static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return errno;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int pc_marker_write(const char *dir, const pc_marker_t *m)
{
    char path[PATH_MAX], tmp[PATH_MAX], text[MARKER_TEXT_MAX];
    int fd, e = 0, n;

    if (dir == NULL || m == NULL || (m->state != PC_MARKER_OPEN && m->state != PC_MARKER_CLOSED) ||
        (m->boot_id[0] != '\0' && !id_ok(m->boot_id, strnlen(m->boot_id, PC_BOOT_ID_MAX))))
        return PC_EINVAL;
    if (path_join(path, sizeof(path), dir, PC_MARKER_FILE) != 0 ||
        path_join(tmp, sizeof(tmp), dir, PC_MARKER_FILE ".tmp") != 0)
        return PC_ETOOBIG;
    n = snprintf(text, sizeof(text), PC_MARKER_MAGIC "\nstate %s\ndurability %s\nboot %s\n",
                 m->state == PC_MARKER_OPEN ? "open" : "closed",
                 m->nosync ? "nosync" : "nometasync", m->boot_id[0] ? m->boot_id : "-");
    if (n < 0 || (size_t)n >= sizeof(text))
        return PC_ETOOBIG;
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, MARKER_MODE);
    if (fd < 0)
        return pc_err_from_errno(errno);
    e = write_all(fd, text, (size_t)n);
    if (e == 0 && fsync(fd) != 0)
        e = errno;
    if (close(fd) != 0 && e == 0)
        e = errno;
    if (e == 0 && rename(tmp, path) != 0)
        e = errno;
    if (e != 0) {
        (void)unlink(tmp);
        return pc_err_from_errno(e);
    }
    /* the rename itself must survive a power loss */
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return pc_err_from_errno(errno);
    if (fsync(fd) != 0)
        e = errno;
    close(fd);
    return e != 0 ? pc_err_from_errno(e) : 0;
}

int pc_marker_check(const pc_marker_t *m, const char *boot_id, char *why, size_t cap)
{
    if (why != NULL && cap > 0)
        why[0] = '\0';
    if (m == NULL || boot_id == NULL)
        return 1;
    switch (m->state) {
    case PC_MARKER_CLOSED:
        return 0;
    case PC_MARKER_OPEN:
        if (!m->nosync)
            return 0;
        if (m->boot_id[0] != '\0' && strcmp(m->boot_id, boot_id) == 0)
            return 0;
        if (why != NULL)
            snprintf(why, cap, "it was open under nosync when the system went down (%s)",
                     m->boot_id[0] == '\0' || boot_id[0] == '\0' ? "boot id unknown"
                                                                 : "the boot id changed");
        return 1;
    case PC_MARKER_MISSING:
        if (why != NULL)
            snprintf(why, cap, "no %s: how it was last closed is unknown", PC_MARKER_FILE);
        return 1;
    default:
        if (why != NULL)
            snprintf(why, cap, "%s is unreadable or damaged", PC_MARKER_FILE);
        return 1;
    }
}
