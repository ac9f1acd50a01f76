/*
 * marker.h - the cache's clean-shutdown marker: a small text file beside
 * data.mdb saying whether the last writer closed the cache cleanly, under
 * which durability, and in which boot of the system (the kernel's boot
 * id). Under MDB_NOSYNC a system crash or power loss can leave data.mdb
 * corrupt, but a process crash cannot (the kernel still holds every write);
 * so a file that was open under NOSYNC when the boot id changed is rebuilt
 * before LMDB ever maps it. Used by cache.c only; no LMDB here.
 *
 * The file, DIR/PC_MARKER_FILE, is four lines:
 *
 *   polcache-marker-1
 *   state open|closed
 *   durability nosync|nometasync
 *   boot <boot id, or - when unknown>
 *
 * It is replaced atomically (a temporary file, fsync, rename, fsync of the
 * directory), so it is either the old or the new content after any crash.
 */
#ifndef PC_MARKER_H
#define PC_MARKER_H

#include <stddef.h>

#define PC_MARKER_FILE "cache.marker"
#define PC_MARKER_MAGIC "polcache-marker-1"
/* Linux's boot id: a random UUID made at every boot. */
#define PC_BOOT_ID_PATH "/proc/sys/kernel/random/boot_id"
/* Octets of a boot id we keep, with its NUL. */
#define PC_BOOT_ID_MAX 64

typedef enum pc_marker_state {
    PC_MARKER_MISSING = 0, /* no marker file */
    PC_MARKER_OPEN = 1,    /* a writer has (or had, until it died) the cache open */
    PC_MARKER_CLOSED = 2,  /* the last writer synced and closed it */
    PC_MARKER_BAD = 3      /* unreadable or not in the format above */
} pc_marker_state_t;

typedef struct pc_marker {
    pc_marker_state_t state;
    int nosync;                    /* the writer used MDB_NOSYNC */
    char boot_id[PC_BOOT_ID_MAX];  /* "" when unknown */
} pc_marker_t;

/*
 * pc_marker_read - read DIR/PC_MARKER_FILE into *out. A missing file gives
 * state PC_MARKER_MISSING, one that cannot be read or parsed
 * PC_MARKER_BAD; both return 0. Returns PC_EINVAL for NULL arguments.
 */
int pc_marker_read(const char *dir, pc_marker_t *out);

/*
 * pc_marker_write - replace DIR/PC_MARKER_FILE with m (state OPEN or
 * CLOSED), durably: when it returns 0 the new content survives a power
 * loss. Returns 0, PC_EINVAL, PC_ETOOBIG (path too long), or the errno
 * translation of the failing call (PC_EPERM, PC_EIO, ...).
 */
int pc_marker_write(const char *dir, const pc_marker_t *m);

/*
 * pc_boot_id_read - the boot id from path (NULL = PC_BOOT_ID_PATH): its
 * first line, which must be 1..PC_BOOT_ID_MAX-1 octets of letters, digits
 * and '-'. Writes it NUL-terminated to out (cap octets). Returns 0,
 * PC_EINVAL (NULL, cap too small, or content of another shape), or the
 * errno translation (PC_ENOENT when the file does not exist).
 */
int pc_boot_id_read(const char *path, char *out, size_t cap);

/*
 * pc_marker_check - may a cache whose marker is m be trusted, now that the
 * system's boot id is boot_id ("" = unknown)? Only for a data.mdb that
 * exists and is not empty. Returns 0 (trust it) or 1 (rebuild it; why,
 * cap octets, says why, for the log):
 *   - closed cleanly: trusted, whatever the boot;
 *   - open under NOMETASYNC: trusted (LMDB stays consistent after a crash);
 *   - open under NOSYNC in this very boot: trusted (only the process died);
 *   - open under NOSYNC in another or an unknown boot: rebuilt;
 *   - no marker or a bad one: rebuilt (how it was closed is unknown).
 */
int pc_marker_check(const pc_marker_t *m, const char *boot_id, char *why, size_t cap);

#endif /* PC_MARKER_H */
