/*
 * cache_env.c - the life of the cache's LMDB environment: open (the
 * clean-shutdown marker first, then LMDB, then the size and format
 * checks), rebuild of a file that cannot be trusted, and the clean close.
 * The file is a versioned format: a file LMDB refuses, a truncated one, one
 * of another format or one left open under NOSYNC by a system that went
 * down is removed and rebuilt empty, with a warning that says why.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "cache_impl.h"
#include "log.h"
#include "marker.h"
#include "polcache/error.h"

#define CACHE_DEFAULT_MAP ((size_t)256 << 20)
#define CACHE_DEFAULT_READERS 126u
#define CACHE_DIR_MODE 0750
#define CACHE_FILE_MODE 0640
#define CACHE_TOUCH_MAX 4096u   /* hits remembered between commits, at most */
#define CACHE_TOUCH_MIN 64u     /* ... and at least (map pages / 16 between) */

/* Close the environment and every transaction. */
static void env_close(pc_cache_t *c)
{
    pc_cache_txn_abort(c);
    if (c->rtxn != NULL)
        mdb_txn_abort(c->rtxn);
    c->rtxn = NULL;
    if (c->env != NULL)
        mdb_env_close(c->env);
    c->env = NULL;
}

/* Copy n octets of p into out as printable ASCII for a log line. */
static void printable(char *out, size_t cap, const void *p, size_t n)
{
    const unsigned char *s = p;
    size_t i;

    for (i = 0; i < n && i + 1 < cap; i++)
        out[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? (char)s[i] : '?';
    out[i] = '\0';
}

/*
 * A file whose meta page names pages beyond its end would make LMDB read
 * past the end of the mapped file (SIGBUS): treat it as truncated.
 * Returns 0, PC_ECORRUPT (why set) or another code.
 */
static int env_check_size(pc_cache_t *c, char *why, size_t cap)
{
    MDB_envinfo info;
    MDB_stat st;
    mdb_filehandle_t fd;
    struct stat sb;
    uint64_t need;
    int rc;

    if ((rc = mdb_env_info(c->env, &info)) != 0 ||
        (rc = mdb_env_stat(c->env, &st)) != 0 ||
        (rc = mdb_env_get_fd(c->env, &fd)) != 0) {
        snprintf(why, cap, "cannot inspect the file: %s", mdb_strerror(rc));
        return pc_cache_err(rc);
    }
    if (fstat(fd, &sb) != 0) {
        rc = errno;
        snprintf(why, cap, "cannot stat data.mdb: %s", strerror(rc));
        return pc_err_from_errno(rc);
    }
    need = ((uint64_t)info.me_last_pgno + 1) * st.ms_psize;
    if ((uint64_t)sb.st_size < need) {
        snprintf(why, cap, "data.mdb is %jd octets but its pages reach %" PRIu64
                 " (truncated)", (intmax_t)sb.st_size, need);
        return PC_ECORRUPT;
    }
    return 0;
}

/*
 * Open the databases and check the format key; a fresh file (empty main
 * database) gets it. Returns 0, PC_ECORRUPT (why set: foreign or other
 * format) or another code.
 */
static int env_check_format(pc_cache_t *c, char *why, size_t cap)
{
    char format[] = PC_CACHE_FORMAT, fkey[] = PC_CACHE_FORMAT_KEY, found[64];
    MDB_txn *txn = NULL;
    MDB_stat st;
    MDB_val k = {sizeof(fkey) - 1, fkey}, d;
    int rc, fresh;

    rc = mdb_txn_begin(c->env, NULL, 0, &txn);
    if (rc != 0) {
        txn = NULL;
        goto lmdb_err;
    }
    if ((rc = mdb_dbi_open(txn, NULL, 0, &c->main_dbi)) != 0 ||
        (rc = mdb_stat(txn, c->main_dbi, &st)) != 0)
        goto lmdb_err;
    fresh = st.ms_entries == 0;
    if ((rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &c->meta_dbi)) != 0 ||
        (rc = mdb_dbi_open(txn, "cache", MDB_CREATE, &c->cache_dbi)) != 0)
        goto lmdb_err;
    rc = mdb_get(txn, c->meta_dbi, &k, &d);
    if (rc == MDB_NOTFOUND && !fresh) {
        snprintf(why, cap, "no format key in a non-empty file (foreign file?)");
        rc = PC_ECORRUPT;
        goto out;
    }
    if (rc == MDB_NOTFOUND) {
        d.mv_size = sizeof(format) - 1;
        d.mv_data = format;
        if ((rc = mdb_put(txn, c->meta_dbi, &k, &d, 0)) != 0)
            goto lmdb_err;
        pc_log_notice("cache %s: created an empty cache, format %s", c->dir,
                      PC_CACHE_FORMAT);
    } else if (rc != 0) {
        goto lmdb_err;
    } else if (d.mv_size != sizeof(format) - 1 ||
               memcmp(d.mv_data, format, d.mv_size) != 0) {
        printable(found, sizeof(found), d.mv_data, d.mv_size);
        snprintf(why, cap, "format \"%s\", this version uses \"%s\"", found,
                 PC_CACHE_FORMAT);
        rc = PC_ECORRUPT;
        goto out;
    }
    rc = mdb_txn_commit(txn);
    txn = NULL;
    if (rc == 0)
        goto out;
lmdb_err:
    snprintf(why, cap, "LMDB: %s", mdb_strerror(rc));
    rc = pc_cache_err(rc);
out:
    if (txn != NULL)
        mdb_txn_abort(txn);
    return rc;
}

/*
 * Create and open the environment in c->dir, clear stale readers, check the
 * file's size and format. On failure the environment is closed and why
 * says what went wrong. Returns 0, PC_ECORRUPT (rebuild it) or another code.
 */
static int env_setup(pc_cache_t *c, char *why, size_t cap)
{
    unsigned flags = MDB_NOTLS | (c->nosync ? MDB_NOSYNC : MDB_NOMETASYNC);
    MDB_env *env = NULL;
    int rc;

    rc = mdb_env_create(&env);
    if (rc != 0) {
        snprintf(why, cap, "mdb_env_create: %s", mdb_strerror(rc));
        return pc_cache_err(rc);
    }
    if ((rc = mdb_env_set_mapsize(env, c->map_size)) != 0 ||
        (rc = mdb_env_set_maxreaders(env, c->max_readers)) != 0 ||
        (rc = mdb_env_set_maxdbs(env, 2)) != 0 ||
        (rc = mdb_env_open(env, c->dir, flags, CACHE_FILE_MODE)) != 0) {
        snprintf(why, cap, "LMDB cannot open it: %s", mdb_strerror(rc));
        mdb_env_close(env);
        return pc_cache_err(rc);
    }
    c->env = env;
    (void)pc_cache_readers_reap(c);
    rc = env_check_size(c, why, cap);
    if (rc == 0)
        rc = env_check_format(c, why, cap);
    if (rc != 0)
        env_close(c);
    return rc;
}

/* Remove data.mdb and lock.mdb from dir. Returns 0 or a PC_E* code. */
static int files_remove(const char *dir)
{
    static const char *const names[] = {"data.mdb", "lock.mdb"};
    char path[PATH_MAX];

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        int n = snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        if (n < 0 || (size_t)n >= sizeof(path))
            return PC_ETOOBIG;
        if (unlink(path) != 0 && errno != ENOENT) {
            int e = errno;
            pc_log_err("cache %s: cannot remove %s: %s", dir, names[i], strerror(e));
            return pc_err_from_errno(e);
        }
    }
    return 0;
}

/*
 * Discard the file and start an empty one: close, remove data.mdb and
 * lock.mdb, reopen. Bumps the generation (in-flight lookups must not write
 * back into the new file). Returns 0 or the reopen's error.
 */
int pc_cache_rebuild(pc_cache_t *c, const char *why)
{
    char again[PC_CACHE_WHY_MAX] = "cannot remove the old files";
    int rc;

    pc_log_warn("cache %s: rebuilding an empty cache: %s", c->dir, why);
    env_close(c);
    c->gen++;
    pc_touchset_clear(c->touched);
    pc_evict_reset(c);
    rc = files_remove(c->dir);
    if (rc == 0)
        rc = env_setup(c, again, sizeof(again));
    if (rc != 0) {
        pc_log_err("cache %s: rebuild failed: %s", c->dir, again);
        return rc;
    }
    c->counters.rebuilds++;
    return 0;
}

/* Create dir (0750) if it does not exist. Returns 0 or an errno code. */
static int dir_ensure(const char *dir)
{
    struct stat sb;
    int e;

    if (mkdir(dir, CACHE_DIR_MODE) == 0)
        return 0;
    e = errno;
    if (e == EEXIST && stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode))
        return 0;
    if (e == EEXIST)
        e = ENOTDIR;
    pc_log_err("cache %s: cannot create the directory: %s", dir, strerror(e));
    return pc_err_from_errno(e);
}

/* 1 if dir/data.mdb exists and is not empty. */
static int data_exists(const char *dir)
{
    char path[PATH_MAX];
    struct stat sb;

    snprintf(path, sizeof(path), "%s/data.mdb", dir);
    return stat(path, &sb) == 0 && sb.st_size > 0;
}

/*
 * Before LMDB maps the file: read the clean-shutdown marker and the boot
 * id; remove a file that cannot be trusted (marker.h); then mark the cache
 * open, durably. Returns 0 or a PC_E* code (logged).
 */
static int marker_open(pc_cache_t *c)
{
    char why[PC_CACHE_WHY_MAX];
    pc_marker_t m;
    int rc;

    rc = pc_boot_id_read(c->boot_id_path, c->boot_id, sizeof(c->boot_id));
    if (rc != 0 && c->nosync)
        pc_log_warn("cache %s: cannot read the boot id from %s (%s): after a crash the "
                    "cache will be rebuilt", c->dir,
                    c->boot_id_path != NULL ? c->boot_id_path : PC_BOOT_ID_PATH,
                    pc_strerror(rc));
    (void)pc_marker_read(c->dir, &m);
    if (data_exists(c->dir) && pc_marker_check(&m, c->boot_id, why, sizeof(why)) != 0) {
        pc_log_warn("cache %s: rebuilding an empty cache: %s", c->dir, why);
        rc = files_remove(c->dir);
        if (rc != 0)
            return rc;
        c->counters.rebuilds++;
    }
    memset(&m, 0, sizeof(m));
    m.state = PC_MARKER_OPEN;
    m.nosync = c->nosync;
    memcpy(m.boot_id, c->boot_id, sizeof(m.boot_id));
    rc = pc_marker_write(c->dir, &m);
    if (rc != 0) {
        pc_log_err("cache %s: cannot write %s: %s", c->dir, PC_MARKER_FILE, pc_strerror(rc));
        return rc;
    }
    c->marked = 1;
    return 0;
}

/* At a clean close: everything committed is synced to disk; say so. */
static void marker_close(pc_cache_t *c)
{
    pc_marker_t m;
    int rc;

    if (!c->marked || c->env == NULL)
        return;
    rc = mdb_env_sync(c->env, 1);
    if (rc != 0) {
        pc_log_err("cache %s: cannot sync at close: %s", c->dir, mdb_strerror(rc));
        return;
    }
    memset(&m, 0, sizeof(m));
    m.state = PC_MARKER_CLOSED;
    m.nosync = c->nosync;
    memcpy(m.boot_id, c->boot_id, sizeof(m.boot_id));
    rc = pc_marker_write(c->dir, &m);
    if (rc != 0)
        pc_log_err("cache %s: cannot write %s: %s", c->dir, PC_MARKER_FILE, pc_strerror(rc));
}

int pc_cache_open(pc_cache_t **out, const pc_cache_opts_t *opts)
{
    char why[PC_CACHE_WHY_MAX] = "";
    pc_cache_t *c = NULL;
    MDB_stat st;
    uint64_t pages;
    unsigned touch_cap;
    int rc;

    if (out == NULL)
        return PC_EINVAL;
    *out = NULL;
    if (opts == NULL || opts->dir == NULL || opts->dir[0] == '\0' ||
        strlen(opts->dir) > PATH_MAX - 16)
        return PC_EINVAL;
    c = calloc(1, sizeof(*c));
    if (c == NULL)
        return PC_ENOMEM;
    c->dir = strdup(opts->dir);
    c->scratch = malloc(PC_CACHE_VALUE_MAX);
    if (opts->boot_id_path != NULL)
        c->boot_id_path = strdup(opts->boot_id_path);
    if (c->dir == NULL || c->scratch == NULL ||
        (opts->boot_id_path != NULL && c->boot_id_path == NULL)) {
        rc = PC_ENOMEM;
        goto err;
    }
    c->map_size = opts->map_size != 0 ? opts->map_size : CACHE_DEFAULT_MAP;
    c->max_readers = opts->max_readers != 0 ? opts->max_readers : CACHE_DEFAULT_READERS;
    c->nosync = opts->nosync != 0;
    c->clock = opts->clock;
    c->clock_arg = opts->clock_arg;
    rc = dir_ensure(c->dir);
    if (rc == 0)
        rc = marker_open(c);
    if (rc != 0)
        goto err;
    rc = env_setup(c, why, sizeof(why));
    if (rc == PC_ECORRUPT)
        rc = pc_cache_rebuild(c, why);
    else if (rc != 0)
        pc_log_err("cache %s: cannot open: %s", c->dir, why);
    if (rc == 0 && (rc = mdb_env_stat(c->env, &st)) != 0)
        rc = pc_cache_err(rc);
    if (rc != 0)
        goto err;
    /* the stamps of one commit must fit the room eviction keeps free */
    pages = st.ms_psize > 0 ? c->map_size / st.ms_psize : 0;
    touch_cap = pages / 16 < CACHE_TOUCH_MIN ? CACHE_TOUCH_MIN
              : pages / 16 > CACHE_TOUCH_MAX ? CACHE_TOUCH_MAX : (unsigned)(pages / 16);
    if ((rc = pc_touchset_new(&c->touched, touch_cap)) != 0)
        goto err;
    pc_evict_setup(c, opts, pages);
    *out = c;
    return 0;
err:
    pc_cache_close(c);
    return (rc == PC_EPERM || rc == PC_ENOMEM || rc == PC_EINVAL) ? rc : PC_ECACHE;
}

void pc_cache_close(pc_cache_t *c)
{
    if (c == NULL)
        return;
    if (c->env != NULL && pc_cache_commit_batch(c, "commit at close", 1, 0) == 0)
        marker_close(c);
    env_close(c);
    pc_touchset_free(c->touched);
    free(c->boot_id_path);
    free(c->scratch);
    free(c->dir);
    free(c);
}

