/*
 * peerbench.c - one program for both sides of the per-message comparison
 * (tests/bench/peer/README.md): polcached through libpolcache, libspf2,
 * and libopendmarc with libspf2. It either prints every message's
 * verdict (--verdicts), or times the messages with N client threads,
 * each making one blocking evaluation after another, and prints one JSON
 * line: evaluations/s, latency percentiles, wrong verdicts, CPU.
 *
 *   peerbench --engine pc|spf2|odmarc --task spf|dmarc --msgs FILE [--set SET]
 *             [--sock PATH] [--answer-cache N] [--spf2-cache BITS] [--psl FILE]
 *             [--ns ADDR]
 *             (--verdicts | [-c CLIENTS] [--warmup S] [--duration S]
 *              [--pid PID]... [--label TEXT])
 *
 * Timed runs first evaluate every message once in one thread (unmeasured,
 * so an in-process cache such as libspf2's is warm like the servers'),
 * then run the clients: --warmup seconds unmeasured, --duration measured.
 * Each client walks the messages in order from its own offset. A message
 * with an expected verdict (the messages file's 8th column) must get
 * exactly that verdict every time; any other answer counts as wrong.
 * Exit status: 0, 1 if any evaluation failed or was wrong, 2 on a usage
 * or set-up error.
 */
#include <getopt.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "lg_hist.h"
#include "peer.h"

#define MAX_PIDS 4
enum { PH_WARMUP, PH_MEASURE, PH_STOP };

typedef struct run {
    const peer_engine_t *eng;
    void *shared;
    peer_msgs_t msgs;
    unsigned clients;
    int phase;                    /* atomic */
    unsigned err_printed;         /* atomic */
} run_t;

typedef struct worker {
    run_t *run;
    unsigned idx;
    pthread_t th;
    void *state;
    lg_hist_t hist;
    uint64_t measured, done, failed, wrong;
} worker_t;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_s(double s)
{
    struct timespec ts;
    if (s <= 0)
        return;
    ts.tv_sec = (time_t)s;
    ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
    nanosleep(&ts, NULL);
}

/* utime+stime of a process in seconds, or -1. */
static double proc_cpu(long pid)
{
    char path[64], buf[2048], *p;
    unsigned long long ut, st;
    FILE *f;
    size_t n;

    snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
    if ((f = fopen(path, "r")) == NULL)
        return -1;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    p = strrchr(buf, ')');
    if (p == NULL || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
                            &ut, &st) != 2)
        return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static double self_cpu(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void report_error(run_t *r, const peer_msg_t *m, const char *what, const char *got)
{
    if (__atomic_fetch_add(&r->err_printed, 1, __ATOMIC_RELAXED) < 10)
        fprintf(stderr, "peerbench: %s %s: %s (expected %s)\n", m->id, what, got,
                m->expect[0] ? m->expect : "-");
}

static void *worker_main(void *arg)
{
    worker_t *w = arg;
    run_t *r = w->run;
    size_t i = (size_t)w->idx * r->msgs.n / r->clients;
    char verdict[PEER_VERDICT_MAX];

    for (;;) {
        int ph = __atomic_load_n(&r->phase, __ATOMIC_ACQUIRE);
        const peer_msg_t *m = &r->msgs.m[i];
        uint64_t t0, t1;
        int rc;

        if (ph == PH_STOP)
            break;
        t0 = now_ns();
        rc = r->eng->eval(w->state, m, verdict, sizeof(verdict));
        t1 = now_ns();
        w->done++;
        if (rc != 0) {
            w->failed++;
            report_error(r, m, "failed", verdict);
        } else if (m->expect[0] != '\0' && strcmp(verdict, m->expect) != 0) {
            w->wrong++;
            report_error(r, m, "wrong verdict", verdict);
        }
        if (ph == PH_MEASURE && __atomic_load_n(&r->phase, __ATOMIC_ACQUIRE) == PH_MEASURE) {
            lg_hist_add(&w->hist, t1 - t0);
            w->measured++;
        }
        if (++i == r->msgs.n)
            i = 0;
    }
    return NULL;
}

static int print_verdicts(run_t *r)
{
    char verdict[PEER_VERDICT_MAX];
    void *st;
    int bad = 0;

    if (r->eng->thread_open(r->shared, &st) != 0)
        return 2;
    for (size_t i = 0; i < r->msgs.n; i++) {
        const peer_msg_t *m = &r->msgs.m[i];
        if (r->eng->eval(st, m, verdict, sizeof(verdict)) != 0) {
            bad = 1;
            printf("%s\tERROR %s\n", m->id, verdict);
        } else {
            printf("%s\t%s\n", m->id, verdict);
        }
    }
    r->eng->thread_close(st);
    fflush(stdout);
    return bad;
}

typedef struct opts {
    const char *label;
    double warmup, duration;
    long pids[MAX_PIDS];
    int npids;
} opts_t;

static int timed(run_t *r, const opts_t *o, const char *engine, const char *task)
{
    static lg_hist_t h;
    worker_t *w = calloc(r->clients, sizeof(*w));
    char verdict[PEER_VERDICT_MAX];
    double srv0 = 0, srv1 = 0, self0, self1, secs;
    long long up0 = -1, up1 = -1, miss0 = -1, miss1 = -1, ac_hits = -1, ac_misses = -1;
    uint64_t t0, t1, measured = 0, done = 0, failed = 0, wrong = 0;
    void *st;

    if (w == NULL || r->eng->thread_open(r->shared, &st) != 0)
        return 2;
    for (size_t i = 0; i < r->msgs.n; i++) /* warm every cache once */
        r->eng->eval(st, &r->msgs.m[i], verdict, sizeof(verdict));
    r->eng->thread_close(st);
    for (unsigned i = 0; i < r->clients; i++) {
        w[i].run = r;
        w[i].idx = i;
        if (r->eng->thread_open(r->shared, &w[i].state) != 0)
            return 2;
    }
    r->phase = PH_WARMUP;
    for (unsigned i = 0; i < r->clients; i++) {
        if (pthread_create(&w[i].th, NULL, worker_main, &w[i]) != 0)
            return 2;
    }
    sleep_s(o->warmup);
    for (int i = 0; i < o->npids; i++)
        srv0 += proc_cpu(o->pids[i]);
    if (r->eng->counter != NULL) {
        up0 = r->eng->counter(r->shared, "upstream.queries");
        miss0 = r->eng->counter(r->shared, "cache.misses");
    }
    self0 = self_cpu();
    t0 = now_ns();
    __atomic_store_n(&r->phase, PH_MEASURE, __ATOMIC_RELEASE);
    sleep_s(o->duration);
    __atomic_store_n(&r->phase, PH_STOP, __ATOMIC_RELEASE);
    t1 = now_ns();
    if (r->eng->counter != NULL) {
        up1 = r->eng->counter(r->shared, "upstream.queries");
        miss1 = r->eng->counter(r->shared, "cache.misses");
    }
    for (int i = 0; i < o->npids; i++)
        srv1 += proc_cpu(o->pids[i]);
    self1 = self_cpu();
    for (unsigned i = 0; i < r->clients; i++) {
        pthread_join(w[i].th, NULL);
        lg_hist_merge(&h, &w[i].hist);
        measured += w[i].measured;
        done += w[i].done;
        failed += w[i].failed;
        wrong += w[i].wrong;
        r->eng->thread_close(w[i].state);
    }
    free(w);
    if (r->eng->counter != NULL) { /* the client states are closed now */
        ac_hits = r->eng->counter(r->shared, "answer_cache.hits");
        ac_misses = r->eng->counter(r->shared, "answer_cache.misses");
    }
    secs = (double)(t1 - t0) / 1e9;
    printf("{\"label\":\"%s\",\"engine\":\"%s\",\"task\":\"%s\",\"clients\":%u,\"messages\":%zu,"
           "\"seconds\":%.3f,\"requests\":%llu,\"rps\":%.0f,",
           o->label, engine, task, r->clients, r->msgs.n, secs, (unsigned long long)measured,
           secs > 0 ? (double)measured / secs : 0.0);
    printf("\"p50_us\":%.1f,\"p90_us\":%.1f,\"p99_us\":%.1f,\"p999_us\":%.1f,\"max_us\":%.1f,"
           "\"mean_us\":%.1f,",
           (double)lg_hist_quantile(&h, 0.5) / 1e3, (double)lg_hist_quantile(&h, 0.9) / 1e3,
           (double)lg_hist_quantile(&h, 0.99) / 1e3, (double)lg_hist_quantile(&h, 0.999) / 1e3,
           (double)h.max_ns / 1e3, h.count ? (double)h.sum_ns / (double)h.count / 1e3 : 0.0);
    printf("\"evaluations\":%llu,\"failed\":%llu,\"wrong\":%llu,\"errors\":%llu,"
           "\"client_cpu_s\":%.2f,\"server_cpu_s\":%.2f,\"cpu_us_per_eval\":%.1f,"
           "\"upstream_queries\":%lld,\"cache_misses\":%lld,"
           "\"answer_cache_hits\":%lld,\"answer_cache_misses\":%lld}\n",
           (unsigned long long)done, (unsigned long long)failed, (unsigned long long)wrong,
           (unsigned long long)(failed + wrong), self1 - self0, srv1 - srv0,
           measured ? (self1 - self0 + srv1 - srv0) * 1e6 / (double)measured : -1.0,
           up0 >= 0 && up1 >= 0 ? up1 - up0 : -1, miss0 >= 0 && miss1 >= 0 ? miss1 - miss0 : -1,
           ac_hits, ac_misses);
    fflush(stdout);
    return failed || wrong ? 1 : 0;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: peerbench --engine pc|spf2|odmarc --task spf|dmarc --msgs FILE [--set SET]\n"
            "       [--sock PATH] [--answer-cache N] [--spf2-cache BITS] [--psl FILE] "
            "[--ns ADDR]\n"
            "       (--verdicts | [-c CLIENTS] [--warmup S] [--duration S] [--pid PID]... "
            "[--label TEXT])\n");
    exit(2);
}

int main(int argc, char **argv)
{
    static const struct option lo[] = {
        {"engine", 1, 0, 'e'}, {"task", 1, 0, 'k'}, {"msgs", 1, 0, 'm'}, {"set", 1, 0, 'S'},
        {"sock", 1, 0, 's'}, {"spf2-cache", 1, 0, 'C'}, {"psl", 1, 0, 'P'}, {"ns", 1, 0, 'n'},
        {"verdicts", 0, 0, 'v'}, {"clients", 1, 0, 'c'}, {"warmup", 1, 0, 'w'},
        {"duration", 1, 0, 'd'}, {"pid", 1, 0, 'p'}, {"label", 1, 0, 'l'},
        {"answer-cache", 1, 0, 'A'}, {0, 0, 0, 0}};
    static run_t run;
    peer_opts_t po = {PEER_SPF, NULL, 0, NULL, NULL, 0};
    opts_t o = {"", 0.5, 3, {0}, 0};
    const char *engine = NULL, *task = NULL, *msgs = NULL, *set = NULL;
    int ch, verdicts = 0, rc;

    run.clients = 1;
    while ((ch = getopt_long(argc, argv, "c:", lo, NULL)) != -1) {
        switch (ch) {
        case 'e': engine = optarg; break;
        case 'k': task = optarg; break;
        case 'm': msgs = optarg; break;
        case 'S': set = optarg; break;
        case 's': po.sock = optarg; break;
        case 'C': po.spf2_cache_bits = atoi(optarg); break;
        case 'A': po.answer_cache = (unsigned)atoi(optarg); break;
        case 'P': po.psl = optarg; break;
        case 'n': po.ns = optarg; break;
        case 'v': verdicts = 1; break;
        case 'c': run.clients = (unsigned)atoi(optarg); break;
        case 'w': o.warmup = atof(optarg); break;
        case 'd': o.duration = atof(optarg); break;
        case 'p':
            if (o.npids == MAX_PIDS)
                usage();
            o.pids[o.npids++] = atol(optarg);
            break;
        case 'l': o.label = optarg; break;
        default: usage();
        }
    }
    if (optind != argc || engine == NULL || task == NULL || msgs == NULL || run.clients < 1 ||
        run.clients > 256 || o.duration <= 0)
        usage();
    if (strcmp(task, "spf") == 0)
        po.task = PEER_SPF;
    else if (strcmp(task, "dmarc") == 0)
        po.task = PEER_DMARC;
    else
        usage();
    if (strcmp(engine, "pc") == 0)
        run.eng = &peer_engine_pc;
    else if (strcmp(engine, "spf2") == 0)
        run.eng = &peer_engine_spf2;
    else if (strcmp(engine, "odmarc") == 0)
        run.eng = &peer_engine_odmarc;
    else
        usage();
    if (peer_msgs_load(&run.msgs, msgs, set) != 0)
        return 2;
    if (run.eng->open(&po, &run.shared) != 0)
        return 2;
    rc = verdicts ? print_verdicts(&run) : timed(&run, &o, run.eng->name, task);
    run.eng->close(run.shared);
    peer_msgs_free(&run.msgs);
    return rc;
}
