/*
 * loadgen.c - the benchmark load generator: N clients with D requests in
 * flight each, against polcached (DMARC requests over its Unix socket) or
 * a DNS server (TXT queries for _dmarc.DOMAIN over UDP), the same names
 * for both. Every reply is checked (lg_proto.h). It prints one JSON line:
 * requests/s, latency percentiles, errors by kind, the server's CPU
 * seconds (utime+stime from /proc/PID/stat), and for polcached the change
 * of a stats counter over the whole run.
 *
 *   loadgen (--pc SOCKET | --dns ADDR:PORT)
 *           (--names FILE | --gen FMT:START:COUNT --text TEXT [--insecure])
 *           [-c CLIENTS] [-d DEPTH] [-t THREADS] [--warmup S] [--duration S]
 *           [--once] [--timeout MS] [--pid PID] [--expect-hit]
 *           [--stat NAME] [--label TEXT] [--progress S]
 *
 * Without --once, clients ask names drawn uniformly at random; replies
 * completed during the --warmup seconds are not measured, then --duration
 * seconds are. With --once, every name is asked exactly once, in order
 * (a cold fill), and the whole run is measured; --duration, if given,
 * stops it early. Either way the run ends by waiting for every reply in
 * flight, so "completed" is exact. Exit status: 0, 1 if any reply was
 * wrong or missing, 2 on a usage or set-up error.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "lg_loop.h"

typedef struct opts {
    const char *names_file, *gen, *text, *label, *stat;
    int insecure;
    double warmup, duration, progress;
    long pid;
} opts_t;

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
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

    if (pid <= 0)
        return -1;
    snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
    if ((f = fopen(path, "r")) == NULL)
        return -1;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    p = strrchr(buf, ')'); /* the command name may hold spaces */
    /* after ")": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime */
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

static int parse_addr(lg_run_t *r, const char *s)
{
    struct sockaddr_in *a = (struct sockaddr_in *)&r->addr;
    char host[64];
    const char *colon = strrchr(s, ':');

    if (colon == NULL || (size_t)(colon - s) >= sizeof(host))
        return -1;
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = '\0';
    memset(a, 0, sizeof(*a));
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)atoi(colon + 1));
    r->addrlen = sizeof(*a);
    return inet_pton(AF_INET, host, &a->sin_addr) == 1 && a->sin_port != 0 ? 0 : -1;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: loadgen (--pc SOCKET | --dns ADDR:PORT) (--names FILE | --gen FMT:START:COUNT "
            "--text TEXT [--insecure])\n"
            "       [-c CLIENTS] [-d DEPTH] [-t THREADS] [--warmup S] [--duration S] [--once]\n"
            "       [--timeout MS] [--pid PID] [--expect-hit] [--stat NAME] [--label TEXT] "
            "[--progress S]\n");
    exit(2);
}

static void parse(int argc, char **argv, lg_run_t *r, opts_t *o)
{
    static const struct option lo[] = {
        {"pc", 1, 0, 'P'}, {"dns", 1, 0, 'D'}, {"names", 1, 0, 'n'}, {"gen", 1, 0, 'g'},
        {"text", 1, 0, 'x'}, {"insecure", 0, 0, 'i'}, {"clients", 1, 0, 'c'},
        {"depth", 1, 0, 'd'}, {"threads", 1, 0, 't'}, {"warmup", 1, 0, 'w'},
        {"duration", 1, 0, 'T'}, {"once", 0, 0, 'o'}, {"timeout", 1, 0, 'm'},
        {"pid", 1, 0, 'p'}, {"expect-hit", 0, 0, 'h'}, {"stat", 1, 0, 's'},
        {"label", 1, 0, 'l'}, {"progress", 1, 0, 'r'}, {0, 0, 0, 0}};
    int ch, have_target = 0;

    memset(o, 0, sizeof(*o));
    o->warmup = 1;
    o->duration = -1;
    o->stat = "requests.dmarc";
    o->label = "";
    r->clients = 1;
    r->depth = 1;
    r->threads = 1;
    r->timeout_ms = 3000;
    while ((ch = getopt_long(argc, argv, "c:d:t:", lo, NULL)) != -1) {
        switch (ch) {
        case 'P':
            r->target = LG_PC;
            snprintf(r->sock, sizeof(r->sock), "%s", optarg);
            have_target = 1;
            break;
        case 'D':
            r->target = LG_DNS;
            if (parse_addr(r, optarg) != 0)
                usage();
            have_target = 1;
            break;
        case 'n': o->names_file = optarg; break;
        case 'g': o->gen = optarg; break;
        case 'x': o->text = optarg; break;
        case 'i': o->insecure = 1; break;
        case 'c': r->clients = (unsigned)atoi(optarg); break;
        case 'd': r->depth = (unsigned)atoi(optarg); break;
        case 't': r->threads = (unsigned)atoi(optarg); break;
        case 'w': o->warmup = atof(optarg); break;
        case 'T': o->duration = atof(optarg); break;
        case 'o': r->once = 1; break;
        case 'm': r->timeout_ms = (unsigned)atoi(optarg); break;
        case 'p': o->pid = atol(optarg); break;
        case 'h': r->expect_hit = 1; break;
        case 's': o->stat = optarg; break;
        case 'l': o->label = optarg; break;
        case 'r': o->progress = atof(optarg); break;
        default: usage();
        }
    }
    if (!have_target || optind != argc || (o->names_file == NULL) == (o->gen == NULL) ||
        (o->gen != NULL && o->text == NULL) || r->clients < 1 || r->depth < 1 ||
        r->depth > LG_DEPTH_MAX || r->threads < 1 || r->timeout_ms < 1)
        usage();
    if (r->threads > r->clients)
        r->threads = r->clients;
    if (!r->once && o->duration < 0)
        o->duration = 5;
}

/* Wait for the workers: until all are done (--once), or the phases end. */
static void run_phases(lg_run_t *r, const opts_t *o, lg_worker_t *w, double *t0, double *t1,
                       double *cpu0, double *cpu1, double *self0, double *self1)
{
    double start = mono(), last = start;

    if (!r->once) {
        sleep_s(o->warmup);
        *cpu0 = proc_cpu(o->pid);
        *self0 = self_cpu();
        *t0 = mono();
        __atomic_store_n(&r->phase, LG_MEASURE, __ATOMIC_RELEASE);
        sleep_s(o->duration);
        *t1 = mono();
        *cpu1 = proc_cpu(o->pid);
        *self1 = self_cpu();
        __atomic_store_n(&r->phase, LG_DRAIN, __ATOMIC_RELEASE);
        return;
    }
    *t0 = start;
    while (__atomic_load_n(&r->done, __ATOMIC_ACQUIRE) < r->threads) {
        double now = mono();
        if (o->duration > 0 && now - start >= o->duration &&
            __atomic_load_n(&r->phase, __ATOMIC_RELAXED) != LG_DRAIN)
            __atomic_store_n(&r->phase, LG_DRAIN, __ATOMIC_RELEASE);
        if (o->progress > 0 && now - last >= o->progress) {
            uint64_t done = 0;
            for (unsigned i = 0; i < r->threads; i++)
                done += __atomic_load_n(&w[i].completed, __ATOMIC_RELAXED);
            fprintf(stderr, "loadgen: %.0f s: %llu replies (%.0f/s)\n", now - start,
                    (unsigned long long)done, (double)done / (now - start));
            last = now;
        }
        sleep_s(0.005);
    }
    *t1 = mono();
    *cpu1 = proc_cpu(o->pid);
    *self1 = self_cpu();
}

static void print_json(const lg_run_t *r, const opts_t *o, const lg_worker_t *w, double secs,
                       double cpu, double self, long long stat_delta)
{
    static lg_hist_t h;
    uint64_t sent = 0, completed = 0, measured = 0, hits = 0, misses = 0, late = 0, errs = 0;
    uint64_t kinds[LG_E_KINDS] = {0};

    for (unsigned i = 0; i < r->threads; i++) {
        lg_hist_merge(&h, &w[i].hist);
        sent += w[i].sent;
        completed += w[i].completed;
        measured += w[i].measured;
        hits += w[i].hits;
        misses += w[i].misses;
        late += w[i].late;
        for (int k = 1; k < LG_E_KINDS; k++)
            kinds[k] += w[i].errors[k];
    }
    printf("{\"label\":\"%s\",\"target\":\"%s\",\"clients\":%u,\"depth\":%u,\"threads\":%u,"
           "\"mode\":\"%s\",\"names\":%llu,\"seconds\":%.3f,\"requests\":%llu,\"rps\":%.0f,",
           o->label, r->target == LG_PC ? "polcached" : "dns", r->clients, r->depth, r->threads,
           r->once ? "once" : "repeat", (unsigned long long)r->names.count, secs,
           (unsigned long long)measured, secs > 0 ? (double)measured / secs : 0.0);
    printf("\"p50_us\":%.1f,\"p90_us\":%.1f,\"p99_us\":%.1f,\"p999_us\":%.1f,\"max_us\":%.1f,"
           "\"mean_us\":%.1f,",
           (double)lg_hist_quantile(&h, 0.5) / 1e3, (double)lg_hist_quantile(&h, 0.9) / 1e3,
           (double)lg_hist_quantile(&h, 0.99) / 1e3, (double)lg_hist_quantile(&h, 0.999) / 1e3,
           (double)h.max_ns / 1e3, h.count ? (double)h.sum_ns / (double)h.count / 1e3 : 0.0);
    for (int k = 1; k < LG_E_KINDS; k++)
        errs += kinds[k];
    printf("\"errors\":%llu,\"error_kinds\":{", (unsigned long long)errs);
    for (int k = 1, first = 1; k < LG_E_KINDS; k++) {
        if (kinds[k] == 0)
            continue;
        printf("%s\"%s\":%llu", first ? "" : ",", lg_err_name((lg_err_t)k),
               (unsigned long long)kinds[k]);
        first = 0;
    }
    printf("},\"late\":%llu,\"sent\":%llu,\"completed\":%llu,\"hits\":%llu,\"misses\":%llu,",
           (unsigned long long)late, (unsigned long long)sent, (unsigned long long)completed,
           (unsigned long long)hits, (unsigned long long)misses);
    printf("\"server_cpu_s\":%.2f,\"server_cpu_us_per_req\":%.2f,\"client_cpu_s\":%.2f,"
           "\"stat\":\"%s\",\"stat_delta\":%lld}\n",
           cpu, cpu >= 0 && measured ? cpu * 1e6 / (double)measured : -1.0, self, o->stat,
           stat_delta);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    static lg_run_t run;
    lg_worker_t *w;
    opts_t o;
    double t0 = 0, t1 = 0, cpu0 = -1, cpu1 = -1, self0 = 0, self1 = 0;
    long long stat0 = -1, stat1 = -1;
    unsigned first = 0;
    uint64_t errs = 0, missing;

    parse(argc, argv, &run, &o);
    if (o.names_file != NULL ? lg_names_load(&run.names, o.names_file) != 0
                             : lg_names_gen(&run.names, o.gen, o.text, !o.insecure) != 0)
        return 2;
    if (run.target == LG_PC && (stat0 = lg_pc_stat(run.sock, o.stat)) < 0) {
        fprintf(stderr, "loadgen: no stats counter %s from %s\n", o.stat, run.sock);
        return 2;
    }
    w = calloc(run.threads, sizeof(*w));
    if (w == NULL)
        return 2;
    for (unsigned i = 0; i < run.threads; i++) {
        unsigned n = run.clients / run.threads + (i < run.clients % run.threads);
        if (lg_worker_open(&w[i], &run, first, n) != 0) {
            fprintf(stderr, "loadgen: cannot set up the clients\n");
            return 2;
        }
        first += n;
    }
    run.phase = run.once ? LG_MEASURE : LG_WARMUP;
    cpu0 = proc_cpu(o.pid);
    self0 = self_cpu();
    for (unsigned i = 0; i < run.threads; i++) {
        if (pthread_create(&w[i].th, NULL, lg_worker_main, &w[i]) != 0)
            return 2;
    }
    run_phases(&run, &o, w, &t0, &t1, &cpu0, &cpu1, &self0, &self1);
    for (unsigned i = 0; i < run.threads; i++)
        pthread_join(w[i].th, NULL);
    if (run.target == LG_PC)
        stat1 = lg_pc_stat(run.sock, o.stat);
    print_json(&run, &o, w, t1 - t0, cpu0 >= 0 && cpu1 >= 0 ? cpu1 - cpu0 : -1,
               self1 - self0, stat0 >= 0 && stat1 >= 0 ? stat1 - stat0 : -1);
    missing = 0;
    for (unsigned i = 0; i < run.threads; i++) {
        for (int k = 1; k < LG_E_KINDS; k++)
            errs += w[i].errors[k];
        missing += w[i].sent - w[i].completed;
        lg_worker_close(&w[i]);
    }
    free(w);
    lg_names_free(&run.names);
    return errs == 0 && missing == 0 ? 0 : 1;
}
