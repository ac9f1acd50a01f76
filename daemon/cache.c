/*
 * cache.c - polcached's answer cache on LMDB (interface in cache.h): the
 * environment, transactions, get/put/commit/flush and stats. With
 * cache_dump.c and evict.c it is the only code that includes lmdb.h, and
 * pc_cache_err() is the one place where LMDB results become PC_E* codes.
 * The file is a versioned format: a file LMDB refuses, a truncated one, one
 * of another format or one left open under NOSYNC by a crashed system is
 * removed and rebuilt empty, with a warning that says why.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "cache_impl.h"
#include "log.h"
#include "marker.h"
#include "polcache/error.h"

#define CACHE_DEFAULT_MAP ((size_t)256 << 20)
#define CACHE_DEFAULT_READERS 126u
#define CACHE_DIR_MODE 0750
#define CACHE_FILE_MODE 0640
#define CACHE_FORMAT_KEY "format"
#define CACHE_FLUSH_BATCH 4096u /* deletions per write txn in a name flush */
#define CACHE_TOUCH_CAP 4096u   /* hits remembered between commits */
#define CACHE_WHY_MAX 256       /* a rebuild reason for the log */

uint64_t pc_cache_now(const pc_cache_t *c)
{
    return c->clock != NULL ? c->clock(c->clock_arg) : (uint64_t)time(NULL);
}

/*
 * The one translation of LMDB results into the PC_E* table. The class of
 * damaged or foreign files becomes PC_ECORRUPT, which callers answer with a
 * rebuild; errno values go through pc_err_from_errno.
 */
int pc_cache_err(int rc)
{
    switch (rc) {
    case MDB_SUCCESS:
        return 0;
    case MDB_NOTFOUND:
        return PC_ENOENT;
    case MDB_MAP_FULL:
        return PC_EMAPFULL;
    case MDB_READERS_FULL:
        return PC_EBUSY;
    case MDB_PAGE_NOTFOUND:
    case MDB_CORRUPTED:
    case MDB_PANIC:
    case MDB_VERSION_MISMATCH:
    case MDB_INVALID:
    case MDB_INCOMPATIBLE:
        return PC_ECORRUPT;
    default:
        return rc > 0 ? pc_err_from_errno(rc) : PC_ECACHE;
    }
}

void pc_cache_txn_abort(pc_cache_t *c)
{
    if (c->wtxn != NULL)
        mdb_txn_abort(c->wtxn);
    c->wtxn = NULL;
    c->dirty = 0;
    c->batch_puts = 0;
}

int pc_cache_fail(pc_cache_t *c, int rc, const char *what)
{
    char why[CACHE_WHY_MAX];
    int err = pc_cache_err(rc);

    if (err == PC_ENOENT)
        return err;
    pc_cache_txn_abort(c);
    switch (err) {
    case PC_EMAPFULL:
        c->counters.map_full++;
        pc_log_warn("cache %s: %s: map full (map size %zu octets); the "
                    "uncommitted batch is dropped", c->dir, what, c->map_size);
        pc_evict_map_full(c);
        return err;
    case PC_EBUSY:
        pc_log_warn("cache %s: %s: no free LMDB reader slot", c->dir, what);
        return err;
    case PC_ECORRUPT:
        snprintf(why, sizeof(why), "%s: %s", what, mdb_strerror(rc));
        (void)pc_cache_rebuild(c, why);
        return PC_ECACHE;
    default:
        pc_log_err("cache %s: %s: %s", c->dir, what, mdb_strerror(rc));
        return PC_ECACHE;
    }
}

int pc_cache_readers_reap(pc_cache_t *c)
{
    int dead = 0;

    if (c->env == NULL || mdb_reader_check(c->env, &dead) != 0 || dead <= 0)
        return 0;
    c->counters.stale_readers += (uint64_t)dead;
    pc_log_notice("cache %s: cleared %d stale reader slot(s)", c->dir, dead);
    return dead;
}

/*
 * Get a transaction to read with: the open write batch if there is one (so
 * its puts are visible), else the reused read txn, renewed. On
 * MDB_READERS_FULL stale slots are cleared and it is tried once more.
 */
int pc_cache_txn_read(pc_cache_t *c, MDB_txn **txn)
{
    MDB_txn *t = NULL;
    int rc = 0;

    if (c->wtxn != NULL) {
        *txn = c->wtxn;
        return 0;
    }
    if (c->env == NULL)
        return PC_ECACHE;
    for (int attempt = 0; attempt < 2; attempt++) {
        if (c->rtxn != NULL) {
            rc = mdb_txn_renew(c->rtxn);
            if (rc != 0) {
                mdb_txn_abort(c->rtxn);
                c->rtxn = NULL;
            }
        } else {
            rc = mdb_txn_begin(c->env, NULL, MDB_RDONLY, &t);
            if (rc == 0)
                c->rtxn = t;
        }
        if (rc != MDB_READERS_FULL)
            break;
        (void)pc_cache_readers_reap(c);
    }
    if (rc != 0)
        return pc_cache_fail(c, rc, "read txn");
    *txn = c->rtxn;
    return 0;
}

/* End a read started with pc_cache_txn_read(): reset the read txn (never
 * held). */
void pc_cache_txn_read_end(pc_cache_t *c, MDB_txn *txn)
{
    if (txn != NULL && txn == c->rtxn)
        mdb_txn_reset(txn);
}

/* Open the write batch if it is not open. Returns 0 or a pc_cache_fail()
 * code. */
static int txn_write(pc_cache_t *c)
{
    MDB_txn *t = NULL;
    int rc;

    if (c->wtxn != NULL)
        return 0;
    if (c->env == NULL)
        return PC_ECACHE;
    rc = mdb_txn_begin(c->env, NULL, 0, &t);
    if (rc != 0)
        return pc_cache_fail(c, rc, "write txn");
    c->wtxn = t;
    return 0;
}

/*
 * Commit the write batch with the pending access stamps. With no batch
 * open, the stamps alone are committed when force is set or enough are
 * pending. After a good commit, evict.c may run a step (unless evict is 0).
 */
static int txn_write_commit(pc_cache_t *c, const char *what, int force, int evict)
{
    int rc;

    if (c->env == NULL)
        return c->wtxn != NULL ? PC_ECACHE : 0;
    if (c->wtxn == NULL && (pc_touchset_count(c->touched) == 0 ||
                            (!force && !pc_evict_touches_due(c))))
        return 0;
    if (pc_touchset_count(c->touched) > 0) {
        if ((rc = txn_write(c)) != 0)
            return rc;
        if ((rc = pc_evict_flush_touches(c, c->wtxn)) != 0)
            return pc_cache_fail(c, rc, "writing access stamps");
    }
    rc = mdb_txn_commit(c->wtxn);
    c->wtxn = NULL; /* freed by LMDB even on failure */
    c->dirty = 0;
    c->last_batch_puts = c->batch_puts;
    c->batch_puts = 0;
    if (rc != 0)
        return pc_cache_fail(c, rc, what);
    if (evict)
        pc_evict_after_commit(c);
    else
        pc_touchset_clear(c->touched);
    return 0;
}

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
    char format[] = PC_CACHE_FORMAT, fkey[] = CACHE_FORMAT_KEY, found[64];
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
    char again[CACHE_WHY_MAX] = "cannot remove the old files";
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
    char why[CACHE_WHY_MAX];
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
    char why[CACHE_WHY_MAX] = "";
    pc_cache_t *c = NULL;
    MDB_stat st;
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
        (opts->boot_id_path != NULL && c->boot_id_path == NULL) ||
        pc_touchset_new(&c->touched, CACHE_TOUCH_CAP) != 0) {
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
    pc_evict_setup(c, opts, st.ms_psize > 0 ? c->map_size / st.ms_psize : 0);
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
    if (c->env != NULL && txn_write_commit(c, "commit at close", 1, 0) == 0)
        marker_close(c);
    env_close(c);
    pc_touchset_free(c->touched);
    free(c->boot_id_path);
    free(c->scratch);
    free(c->dir);
    free(c);
}

int pc_cache_key(const pc_name_t *qname, pc_rtype_t rtype, uint8_t *key, size_t cap)
{
    int n;

    if (qname == NULL || key == NULL || (int)rtype < 1 || (int)rtype > PC_RT_MAX_)
        return PC_EINVAL;
    n = pc_name_to_key(qname, key, cap);
    if (n < 0)
        return n;
    if ((size_t)n + 2 > cap)
        return PC_ETOOBIG;
    key[n] = 0x00;
    key[n + 1] = (uint8_t)rtype;
    return n + 2;
}

/* A stored value failed its check: delete it in the write batch, log it. */
static void corrupt_drop(pc_cache_t *c, uint8_t *key, size_t klen,
                         const pc_name_t *qname, pc_rtype_t rtype, int err)
{
    char text[PC_NAME_TEXT_MAX] = "?";
    MDB_val k = {klen, key};
    int rc;

    c->counters.corrupt++;
    (void)pc_name_to_text(qname, text, sizeof(text));
    pc_log_warn("cache %s: corrupt value for %s type %d (%s): deleted", c->dir,
                text, (int)rtype, pc_strerror(err));
    if (txn_write(c) != 0)
        return;
    rc = mdb_del(c->wtxn, c->cache_dbi, &k, NULL);
    if (rc != 0 && rc != MDB_NOTFOUND)
        (void)pc_cache_fail(c, rc, "delete corrupt value");
    else
        c->dirty = 1;
}

int pc_cache_get(pc_cache_t *c, const pc_name_t *qname, pc_rtype_t rtype,
                 pc_cval_t *out, uint8_t **buf)
{
    uint8_t key[PC_CACHE_KEY_MAX], *copy = NULL;
    MDB_txn *txn = NULL;
    MDB_val k, d;
    int klen, rc, err;

    if (buf != NULL)
        *buf = NULL;
    if (c == NULL || out == NULL || buf == NULL)
        return PC_EINVAL;
    klen = pc_cache_key(qname, rtype, key, sizeof(key));
    if (klen < 0)
        return PC_EINVAL;
    if (c->env == NULL)
        return PC_ECACHE;
    err = pc_cache_txn_read(c, &txn);
    if (err != 0)
        return err;
    k.mv_size = (size_t)klen;
    k.mv_data = key;
    rc = mdb_get(txn, c->cache_dbi, &k, &d);
    if (rc == 0) {
        copy = malloc(d.mv_size > 0 ? d.mv_size : 1);
        if (copy != NULL)
            memcpy(copy, d.mv_data, d.mv_size);
    }
    pc_cache_txn_read_end(c, txn);
    if (rc != 0)
        return pc_cache_fail(c, rc, "get");
    if (copy == NULL)
        return PC_ENOMEM;
    err = pc_cval_decode(copy, d.mv_size, out);
    if (err == 0 && out->rtype != (uint8_t)rtype)
        err = PC_ECORRUPT;
    if (err != 0) {
        free(copy);
        corrupt_drop(c, key, (size_t)klen, qname, rtype, err);
        return PC_ECORRUPT;
    }
    *buf = copy;
    return 0;
}

int pc_cache_put(pc_cache_t *c, const pc_name_t *qname, pc_rtype_t rtype,
                 const pc_cval_t *v, uint64_t gen)
{
    uint8_t key[PC_CACHE_KEY_MAX];
    MDB_val k, d;
    int klen, len, rc;

    if (c == NULL || v == NULL || v->rtype != (uint8_t)rtype)
        return PC_EINVAL;
    klen = pc_cache_key(qname, rtype, key, sizeof(key));
    if (klen < 0)
        return PC_EINVAL;
    if (gen != c->gen)
        return PC_ECANCELED;
    if (v->body_len > PC_CVAL_MAX_BODY)
        return PC_ETOOBIG;
    if (c->env == NULL)
        return PC_ECACHE;
    if (c->wtxn != NULL && c->batch_puts >= PC_CACHE_BATCH_MAX) {
        rc = txn_write_commit(c, "commit of a full batch", 0, 1);
        if (rc != 0)
            return rc;
        if (gen != c->gen || c->env == NULL) /* rebuilt meanwhile */
            return c->env == NULL ? PC_ECACHE : PC_ECANCELED;
    }
    len = pc_cval_encode(v, c->scratch, PC_CACHE_VALUE_MAX);
    if (len < 0)
        return len == PC_ETOOBIG ? PC_ETOOBIG : PC_EINVAL;
    rc = txn_write(c);
    if (rc != 0)
        return rc;
    k.mv_size = (size_t)klen;
    k.mv_data = key;
    d.mv_size = (size_t)len;
    d.mv_data = c->scratch;
    pc_cval_set_stamp(c->scratch, d.mv_size, pc_evict_put_stamp(c, c->wtxn, &k, v->stamp));
    rc = mdb_put(c->wtxn, c->cache_dbi, &k, &d, 0);
    if (rc != 0)
        return pc_cache_fail(c, rc, "put");
    c->dirty = 1;
    c->batch_puts++;
    return 0;
}

int pc_cache_commit(pc_cache_t *c)
{
    if (c == NULL)
        return PC_EINVAL;
    return txn_write_commit(c, "commit", 0, 1);
}

int pc_cache_dirty(const pc_cache_t *c)
{
    return c != NULL && (c->dirty || pc_evict_touches_due(c));
}

uint64_t pc_cache_generation(const pc_cache_t *c)
{
    return c != NULL ? c->gen : 0;
}

int pc_cache_has_prefix(const MDB_val *k, const uint8_t *prefix, size_t plen)
{
    return k->mv_size >= plen && (plen == 0 || memcmp(k->mv_data, prefix, plen) == 0);
}

/*
 * Empty the cache database in one transaction. If the map is too full even
 * for that, rebuild the file instead. Adds the entries dropped to *count.
 */
static int flush_all(pc_cache_t *c, uint64_t *count)
{
    MDB_stat st;
    int rc;

    rc = txn_write(c);
    if (rc != 0)
        return rc;
    rc = mdb_stat(c->wtxn, c->cache_dbi, &st);
    if (rc == 0) {
        *count += st.ms_entries;
        rc = mdb_drop(c->wtxn, c->cache_dbi, 0);
    }
    if (rc == 0) {
        rc = mdb_txn_commit(c->wtxn);
        c->wtxn = NULL;
        c->dirty = 0;
    }
    if (rc == MDB_MAP_FULL) {
        c->counters.map_full++;
        return pc_cache_rebuild(c, "the map is too full to record a flush") == 0 ? 0 : PC_ECACHE;
    }
    return rc != 0 ? pc_cache_fail(c, rc, "flush") : 0;
}

/*
 * Delete the key range of a name, CACHE_FLUSH_BATCH deletions per
 * transaction. If the map is too full to record the deletions, fall back to
 * flush_all(). Adds the entries deleted to *count.
 */
static int flush_name(pc_cache_t *c, const pc_name_t *name, uint64_t *count)
{
    uint8_t prefix[PC_NAME_KEY_MAX];
    MDB_cursor *cur = NULL;
    MDB_val k, d;
    unsigned batch;
    int plen, rc;

    plen = pc_name_to_key(name, prefix, sizeof(prefix));
    if (plen < 0)
        return PC_EINVAL;
    if (plen == 0)
        return flush_all(c, count);
    do {
        batch = 0;
        rc = txn_write(c);
        if (rc != 0)
            return rc;
        rc = mdb_cursor_open(c->wtxn, c->cache_dbi, &cur);
        if (rc != 0)
            break;
        k.mv_size = (size_t)plen;
        k.mv_data = prefix;
        rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE);
        while (rc == 0 && pc_cache_has_prefix(&k, prefix, (size_t)plen) && batch < CACHE_FLUSH_BATCH) {
            rc = mdb_cursor_del(cur, 0);
            if (rc == 0) {
                batch++;
                rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT);
            }
        }
        mdb_cursor_close(cur);
        if (rc == MDB_NOTFOUND)
            rc = 0;
        if (rc == 0) {
            rc = mdb_txn_commit(c->wtxn);
            c->wtxn = NULL;
            c->dirty = 0;
        }
        if (rc == 0)
            *count += batch;
    } while (rc == 0 && batch == CACHE_FLUSH_BATCH);
    if (rc == MDB_MAP_FULL) {
        c->counters.map_full++;
        pc_cache_txn_abort(c);
        pc_log_warn("cache %s: map too full to delete a subtree: flushing everything", c->dir);
        return flush_all(c, count);
    }
    return rc != 0 ? pc_cache_fail(c, rc, "flush") : 0;
}

int pc_cache_flush(pc_cache_t *c, const pc_name_t *name, uint64_t *count)
{
    uint64_t n = 0;
    int rc;

    if (count != NULL)
        *count = 0;
    if (c == NULL)
        return PC_EINVAL;
    c->gen++;
    if (c->env == NULL)
        return PC_ECACHE;
    rc = txn_write_commit(c, "commit before flush", 1, 0);
    if (rc != 0 && rc != PC_EMAPFULL) /* a lost batch does not stop a flush */
        return rc;
    if (c->env == NULL)
        return PC_ECACHE;
    rc = name != NULL ? flush_name(c, name, &n) : flush_all(c, &n);
    pc_evict_reset(c);
    if (count != NULL)
        *count = n;
    return rc;
}

/* Pages in use by one database. */
static uint64_t stat_pages(const MDB_stat *st)
{
    return (uint64_t)st->ms_branch_pages + st->ms_leaf_pages + st->ms_overflow_pages;
}

int pc_cache_live_pages(pc_cache_t *c, MDB_txn *txn, uint64_t *live, uint64_t *entries)
{
    MDB_stat fs, ms, mains, cs;
    int rc;

    /* database 0 is LMDB's free-page database: its own pages are in use */
    if ((rc = mdb_stat(txn, 0, &fs)) != 0 || (rc = mdb_stat(txn, c->main_dbi, &mains)) != 0 ||
        (rc = mdb_stat(txn, c->meta_dbi, &ms)) != 0 ||
        (rc = mdb_stat(txn, c->cache_dbi, &cs)) != 0)
        return rc;
    *live = stat_pages(&fs) + stat_pages(&mains) + stat_pages(&ms) + stat_pages(&cs);
    if (entries != NULL)
        *entries = cs.ms_entries;
    return 0;
}

int pc_cache_stats(pc_cache_t *c, pc_cache_stats_t *out)
{
    uint64_t live = 0, entries = 0;
    MDB_envinfo info;
    MDB_stat st;
    MDB_txn *txn = NULL;
    int rc;

    if (c == NULL || out == NULL)
        return PC_EINVAL;
    if (c->env == NULL)
        return PC_ECACHE;
    rc = pc_cache_txn_read(c, &txn);
    if (rc != 0)
        return rc;
    if ((rc = pc_cache_live_pages(c, txn, &live, &entries)) == 0 &&
        (rc = mdb_env_stat(c->env, &st)) == 0)
        rc = mdb_env_info(c->env, &info);
    pc_cache_txn_read_end(c, txn);
    if (rc != 0)
        return pc_cache_fail(c, rc, "stats");
    *out = c->counters;
    out->entries = entries;
    out->live_pages = live;
    out->page_size = st.ms_psize;
    out->map_pages = st.ms_psize > 0 ? info.me_mapsize / st.ms_psize : 0;
    out->evict_high = c->ev.high;
    return 0;
}
