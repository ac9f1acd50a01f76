/*
 * bench_commit.c - what one LMDB write commit costs on this machine under
 * each durability choice polcached could make: the default (full sync),
 * MDB_NOMETASYNC, MDB_NOSYNC and MDB_NOSYNC|MDB_WRITEMAP. The numbers in
 * docs/ARCHITECTURE.md (the Durability bullet) come from this program.
 *
 *   bench_commit [DIR] [RUNS]
 *
 * DIR (default /var/tmp) must be on the disk the cache will live on: a
 * tmpfs makes every sync free. Each run uses a fresh environment in a
 * scratch directory below DIR, prefilled with 50,000 entries (25-octet
 * keys, 200-octet values, like polcached's), then times COMMITS write
 * transactions of B random puts each (B = 1 and 32). It prints, per mode
 * and batch size, the median over the runs of each run's median and 90th
 * percentile commit time (the put calls included), and commits per second.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <lmdb.h>

#define PREFILL 50000u
#define KEY_LEN 25
#define VAL_LEN 200
#define MAX_RUNS 15

typedef struct mode {
    const char *name;
    unsigned flags;
    unsigned commits; /* per run: fewer for the slow modes */
} bench_mode_t;

static const bench_mode_t modes[] = {
    {"sync (default)", 0, 400},
    {"NOMETASYNC", MDB_NOMETASYNC, 400},
    {"NOSYNC", MDB_NOSYNC, 4000},
    {"NOSYNC|WRITEMAP", MDB_NOSYNC | MDB_WRITEMAP, 4000},
};
static const unsigned batches[] = {1, 32};

static uint64_t rng_state = 88172645463325252ull;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void check(int rc, const char *what)
{
    if (rc != 0) {
        fprintf(stderr, "bench_commit: %s: %s\n", what, mdb_strerror(rc));
        exit(1);
    }
}

static void put_random(MDB_txn *txn, MDB_dbi dbi)
{
    uint8_t k[KEY_LEN], v[VAL_LEN];
    MDB_val key = {sizeof(k), k}, val = {sizeof(v), v};

    for (size_t i = 0; i < sizeof(k); i += 8) {
        uint64_t r = rng();
        memcpy(k + i, &r, sizeof(k) - i < 8 ? sizeof(k) - i : 8);
    }
    memset(v, (int)(k[0] | 1), sizeof(v));
    check(mdb_put(txn, dbi, &key, &val, 0), "put");
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(double *v, size_t n, double p)
{
    qsort(v, n, sizeof(*v), cmp_double);
    return v[(size_t)(p * (double)(n - 1))];
}

/* One run: returns the median commit time; *p90 gets the 90th percentile. */
static double run_once(const char *base, const bench_mode_t *m, unsigned batch, double *p90)
{
    char dir[512], cmd[600];
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    double *t = calloc(m->commits, sizeof(*t)), med;

    if (t == NULL)
        exit(1);
    snprintf(dir, sizeof(dir), "%s/pc-bench-commit-XXXXXX", base);
    if (mkdtemp(dir) == NULL) {
        fprintf(stderr, "bench_commit: mkdtemp in %s: %s\n", base, strerror(errno));
        exit(1);
    }
    check(mdb_env_create(&env), "env_create");
    check(mdb_env_set_mapsize(env, (size_t)256 << 20), "mapsize");
    check(mdb_env_open(env, dir, m->flags | MDB_NOTLS, 0600), "env_open");
    check(mdb_txn_begin(env, NULL, 0, &txn), "begin");
    check(mdb_dbi_open(txn, NULL, 0, &dbi), "dbi");
    for (unsigned i = 0; i < PREFILL; i++)
        put_random(txn, dbi);
    check(mdb_txn_commit(txn), "prefill commit");
    check(mdb_env_sync(env, 1), "sync");
    for (unsigned c = 0; c < m->commits; c++) {
        double t0 = now_us();
        check(mdb_txn_begin(env, NULL, 0, &txn), "begin");
        for (unsigned i = 0; i < batch; i++)
            put_random(txn, dbi);
        check(mdb_txn_commit(txn), "commit");
        t[c] = now_us() - t0;
    }
    mdb_env_close(env);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_commit: cannot remove %s\n", dir);
    med = pct(t, m->commits, 0.5);
    *p90 = pct(t, m->commits, 0.9);
    free(t);
    return med;
}

int main(int argc, char **argv)
{
    const char *base = argc > 1 ? argv[1] : "/var/tmp";
    int runs = argc > 2 ? atoi(argv[2]) : 5;
    double meds[MAX_RUNS], p90s[MAX_RUNS];

    if (runs < 1 || runs > MAX_RUNS) {
        fprintf(stderr, "usage: bench_commit [DIR] [RUNS 1..%d]\n", MAX_RUNS);
        return 2;
    }
    printf("%s, %u prefilled entries, %d runs in %s; medians over runs\n",
           MDB_VERSION_STRING, PREFILL, runs, base);
    printf("%-18s %5s %12s %12s %12s\n", "mode", "puts", "median us", "p90 us", "commits/s");
    for (size_t mi = 0; mi < sizeof(modes) / sizeof(modes[0]); mi++) {
        for (size_t bi = 0; bi < sizeof(batches) / sizeof(batches[0]); bi++) {
            double med, p90;
            for (int r = 0; r < runs; r++)
                meds[r] = run_once(base, &modes[mi], batches[bi], &p90s[r]);
            med = pct(meds, (size_t)runs, 0.5);
            p90 = pct(p90s, (size_t)runs, 0.5);
            printf("%-18s %5u %12.1f %12.1f %12.0f\n", modes[mi].name, batches[bi], med, p90,
                   1e6 / med);
            fflush(stdout);
        }
    }
    return 0;
}
