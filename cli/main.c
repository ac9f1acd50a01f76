/*
 * main.c - dmarc-query's command line: one table of options and one table
 * of commands (in the manner of OpenBSD unwindctl's parser.c). Options may
 * come before or after the words; each command lists the options it
 * takes. A first word that names no command is a domain: the DMARC
 * command. Everything the commands ask goes through libpolcache.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

/* ---------------------------------------------------------------- options */

typedef int (*cli_opt_fn)(cli_t *cli, const char *arg);

static int opt_json(cli_t *cli, const char *arg);
static int opt_socket(cli_t *cli, const char *arg);
static int opt_timeout(cli_t *cli, const char *arg);
static int opt_verbose(cli_t *cli, const char *arg);
static int opt_color(cli_t *cli, const char *arg);
static int opt_method(cli_t *cli, const char *arg);
static int opt_type(cli_t *cli, const char *arg);
static int opt_suffix(cli_t *cli, const char *arg);
static int opt_dnssec(cli_t *cli, const char *arg);
static int opt_page(cli_t *cli, const char *arg);

typedef struct cli_opt {
    const char *name;  /* long name */
    int letter;        /* short option, or 0 */
    const char *arg;   /* the argument's name, NULL for a flag */
    unsigned bit;      /* CLI_O_*; 0: a global option */
    cli_opt_fn parse;  /* NULL: only the bit is set */
    const char *help;
} cli_opt_t;

static const cli_opt_t options[] = {
    {"json", 'j', NULL, 0, opt_json, "JSON output (keys in dmarc-query(1))"},
    {"socket", 's', "PATH", 0, opt_socket, "polcached's socket"},
    {"timeout", 't', "SECONDS", 0, opt_timeout, "wait at most this long (default 5)"},
    {"verbose", 'v', NULL, 0, opt_verbose, "show long values in full; timing on stderr"},
    {"color", 0, "WHEN", 0, opt_color, "auto (default), always or never"},
    {"help", 'h', NULL, 0, NULL, "this help"},
    {"version", 'V', NULL, 0, NULL, "the program's version"},
    {"exact", 'x', NULL, CLI_O_EXACT, NULL, "the record at _dmarc.DOMAIN, no discovery"},
    {"method", 'm', "walk|psl", CLI_O_METHOD, opt_method, "discovery method (default: the daemon's)"},
    {"no-cache", 'n', NULL, CLI_O_NOCACHE, NULL, "resolve anew instead of reading the cache"},
    {"all", 'a', NULL, CLI_O_ALL, NULL, "the whole cache"},
    {"type", 'T', "TYPE", CLI_O_TYPE, opt_type, "dmarc, spf, dkim, a, aaaa, mx, ptr or txt"},
    {"suffix", 'S', "NAME", CLI_O_SUFFIX, opt_suffix, "NAME and the names below it"},
    {"dnssec", 'd', "STATE", CLI_O_DNSSEC, opt_dnssec, "secure, insecure, bogus or none"},
    {"expired", 'e', NULL, CLI_O_EXPIRED, NULL, "only expired entries"},
    {"fresh", 'f', NULL, CLI_O_FRESH, NULL, "only entries within their TTL"},
    {"page-size", 0, "N", CLI_O_PAGE, opt_page, "entries per request, 1..256"},
    {"from", 0, "DOMAIN", CLI_O_FROM, cli_opt_from, "eval: the RFC 5322 From domain"},
    {"spf", 0, "RESULT:DOMAIN", CLI_O_SPF, cli_opt_spf, "eval: the filter's SPF result"},
    {"spf-scope", 0, "mailfrom|helo", CLI_O_SCOPE, cli_opt_scope, "eval: what --spf checked"},
    {"dkim", 0, "RESULT:D[:S]", CLI_O_DKIM, cli_opt_dkim, "eval: a DKIM result (up to 16)"},
    {"ip", 0, "ADDRESS", CLI_O_IP, cli_opt_ip, "eval: polcached runs SPF for"},
    {"mailfrom", 0, "ADDRESS", CLI_O_MAILFROM, cli_opt_mailfrom, "eval: ... this MAIL FROM"},
    {"helo", 0, "NAME", CLI_O_HELO, cli_opt_helo, "eval: ... and this HELO"},
    {"pct-roll", 0, "N", CLI_O_ROLL, cli_opt_roll, "eval: the pct= draw, 0..99 (tests)"},
};
#define NOPTIONS (sizeof(options) / sizeof(options[0]))

/* ---------------------------------------------------------------- commands */

typedef struct cli_cmd {
    const char *name;    /* the first word; NULL: the default (a domain) */
    const char *args;    /* the words after it, for the usage */
    int min_args, max_args;
    unsigned opts;       /* the CLI_O_* options it takes */
    cli_run_fn check;    /* more checks of the command line, or NULL */
    cli_run_fn run;
    const char *help;
} cli_cmd_t;

static const cli_cmd_t commands[] = {
    {NULL, "DOMAIN", 1, 1, CLI_O_EXACT | CLI_O_METHOD | CLI_O_NOCACHE, cli_check_dmarc, cli_cmd_dmarc,
     "the DMARC policy for DOMAIN, and its discovery"},
    {"dmarc", "DOMAIN", 1, 1, CLI_O_EXACT | CLI_O_METHOD | CLI_O_NOCACHE, cli_check_dmarc, cli_cmd_dmarc,
     "the same (for a DOMAIN named like a command)"},
    {"spf", "DOMAIN", 1, 1, CLI_O_NOCACHE, NULL, cli_cmd_spf,
     "SPF record: terms, DNS lookups, warnings"},
    {"dkim", "SELECTOR DOMAIN", 2, 2, CLI_O_NOCACHE, NULL, cli_cmd_dkim,
     "DKIM key at SELECTOR._domainkey.DOMAIN"},
    {"stats", "", 0, 0, 0, NULL, cli_cmd_stats, "the daemon's version and counters"},
    {"flush", "NAME | --all", 0, 1, CLI_O_ALL, cli_check_flush, cli_cmd_flush,
     "drop NAME and below (or all) from the cache"},
    {"dump", "[--type T] [--suffix S] [--dnssec STATE] [--expired|--fresh]", 0, 0,
     CLI_O_TYPE | CLI_O_SUFFIX | CLI_O_DNSSEC | CLI_O_EXPIRED | CLI_O_FRESH | CLI_O_PAGE,
     cli_check_dump, cli_cmd_dump, "list the cache's entries"},
    {"check-spf", "IP MAILFROM [HELO]", 2, 3, CLI_O_NOCACHE, NULL, cli_cmd_check_spf,
     "SPF check_host() for a client and sender"},
    {"eval", "--from D (--spf R:D | --ip IP --mailfrom M) [--dkim R:D:S]", 0, 0,
     CLI_O_FROM | CLI_O_SPF | CLI_O_SCOPE | CLI_O_DKIM | CLI_O_IP | CLI_O_MAILFROM |
         CLI_O_HELO | CLI_O_ROLL | CLI_O_NOCACHE,
     cli_check_eval, cli_cmd_eval, "the DMARC verdict for one message"},
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

/* ---------------------------------------------------------------- parsing */

static int opt_json(cli_t *cli, const char *arg)
{
    (void)arg;
    cli->json = 1;
    return 0;
}

static int opt_socket(cli_t *cli, const char *arg)
{
    cli->socket = arg;
    return arg[0] != '\0' ? 0 : -1;
}

static int opt_timeout(cli_t *cli, const char *arg)
{
    char *end;
    double s;

    errno = 0;
    s = strtod(arg, &end);
    if (errno != 0 || end == arg || *end != '\0' || !(s >= 0.001 && s <= 3600.0))
        return -1;
    cli->timeout_ms = (unsigned)(s * 1000.0 + 0.5);
    return 0;
}

static int opt_verbose(cli_t *cli, const char *arg)
{
    (void)arg;
    cli->verbose++;
    return 0;
}

static int opt_color(cli_t *cli, const char *arg)
{
    if (strcmp(arg, "always") == 0)
        cli->color = 1;
    else if (strcmp(arg, "never") == 0)
        cli->color = 0;
    else if (strcmp(arg, "auto") == 0)
        cli->color = -1;
    else
        return -1;
    return 0;
}

static int opt_method(cli_t *cli, const char *arg)
{
    if (strcmp(arg, "walk") == 0 || strcmp(arg, "treewalk") == 0)
        cli->method = PC_METHOD_TREEWALK;
    else if (strcmp(arg, "psl") == 0)
        cli->method = PC_METHOD_PSL;
    else
        return -1;
    return 0;
}

static int opt_type(cli_t *cli, const char *arg)
{
    int t = cli_rtype_parse(arg);

    if (t < 0)
        return -1;
    cli->filter.rtype = (pc_rtype_t)t;
    return 0;
}

static int opt_suffix(cli_t *cli, const char *arg)
{
    cli->filter.suffix = arg;
    return arg[0] != '\0' ? 0 : -1;
}

static int opt_dnssec(cli_t *cli, const char *arg)
{
    cli->filter.dnssec = cli_dnssec_parse(arg);
    return cli->filter.dnssec >= 0 ? 0 : -1;
}

static int opt_page(cli_t *cli, const char *arg)
{
    char *end;
    unsigned long n;

    errno = 0;
    n = strtoul(arg, &end, 10);
    if (errno != 0 || end == arg || *end != '\0' || n < 1 || n > 256)
        return -1;
    cli->filter.limit = (unsigned)n;
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: dmarc-query [options] DOMAIN\n"
               "       dmarc-query [options] COMMAND [ARGS]\n\ncommands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++) {
        char words[160];
        snprintf(words, sizeof(words), "%s%s%s", commands[i].name != NULL ? commands[i].name : "",
                 commands[i].name != NULL && commands[i].args[0] != '\0' ? " " : "",
                 commands[i].args);
        if (strlen(words) > 26)
            fprintf(f, "  %s\n  %-26s  %s\n", words, "", commands[i].help);
        else
            fprintf(f, "  %-26s  %s\n", words, commands[i].help);
    }
    fprintf(f, "\noptions:\n");
    for (size_t i = 0; i < NOPTIONS; i++) {
        char flag[48];
        snprintf(flag, sizeof(flag), "%c%c%s--%s%s%s", options[i].letter ? '-' : ' ',
                 options[i].letter ? options[i].letter : ' ', options[i].letter ? ", " : "  ",
                 options[i].name, options[i].arg != NULL ? " " : "",
                 options[i].arg != NULL ? options[i].arg : "");
        fprintf(f, "  %-26s  %s\n", flag, options[i].help);
    }
    fprintf(f, "\nexit: 0 found, 1 no record, 64 usage, 65 unusable record, 69 daemon\n"
               "unavailable or busy, 75 temporary failure, 77 not an admin (dmarc-query(1))\n");
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "dmarc-query: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n(dmarc-query --help lists the commands and options)\n");
    return EX_USAGE;
}

/* Parse the options into cli; the words are left in argv[optind..].
 * Returns -1 to go on, or an exit code. */
static int parse_options(cli_t *cli, int argc, char **argv)
{
    struct option longopts[NOPTIONS + 1];
    char shortopts[2 * NOPTIONS * 2 + 2];
    size_t n = 0;
    int c, idx;

    shortopts[n++] = ':';
    for (size_t i = 0; i < NOPTIONS; i++) {
        longopts[i].name = options[i].name;
        longopts[i].has_arg = options[i].arg != NULL ? required_argument : no_argument;
        longopts[i].flag = NULL;
        longopts[i].val = 256 + (int)i;
        if (options[i].letter != 0) {
            shortopts[n++] = (char)options[i].letter;
            if (options[i].arg != NULL)
                shortopts[n++] = ':';
        }
    }
    memset(&longopts[NOPTIONS], 0, sizeof(longopts[NOPTIONS]));
    shortopts[n] = '\0';
    opterr = 0;
    while ((c = getopt_long(argc, argv, shortopts, longopts, &idx)) != -1) {
        const cli_opt_t *o = NULL;
        if (c == '?')
            return usage_error("unknown option %s", argv[optind - 1]);
        if (c == ':')
            return usage_error("option %s needs a value", argv[optind - 1]);
        for (size_t i = 0; i < NOPTIONS && o == NULL; i++) {
            if (c == 256 + (int)i || (options[i].letter != 0 && c == options[i].letter))
                o = &options[i];
        }
        if (o == NULL) /* getopt returned a value of no option of ours */
            return usage_error("cannot parse the options");
        if (strcmp(o->name, "help") == 0) {
            usage(stdout);
            return EX_OK;
        }
        if (strcmp(o->name, "version") == 0) {
            printf("dmarc-query %s\n", PC_VERSION);
            return EX_OK;
        }
        cli->seen |= o->bit;
        if (o->parse != NULL && o->parse(cli, optarg) != 0) {
            return usage_error("bad value for --%s: %s", o->name, optarg);
        }
    }
    return -1;
}

static const cli_cmd_t *find_command(int nwords, char **words)
{
    for (size_t i = 0; nwords > 0 && i < NCOMMANDS; i++) {
        if (commands[i].name != NULL && strcmp(commands[i].name, words[0]) == 0)
            return &commands[i];
    }
    return &commands[0]; /* a domain */
}

/* ---------------------------------------------------------------- errors */

int cli_fail(cli_t *cli, int err, const char *what)
{
    int ex;

    switch (err) {
    case PC_EUNAVAIL:
    case PC_EBUSY:
    case PC_ECLOSED:
        ex = EX_UNAVAILABLE;
        break;
    case PC_ETIMEDOUT:
    case PC_EDNS:
    case PC_EBOGUS:
        ex = EX_TEMPFAIL;
        break;
    case PC_EPERM:
        ex = EX_NOPERM;
        break;
    case PC_EINVAL:
    case PC_ETOOBIG:
    case PC_ENAME:
    case PC_ENAMELEN:
    case PC_EIDNA:
        ex = EX_USAGE;
        break;
    case PC_ENOMEM:
        ex = EX_OSERR;
        break;
    default:
        ex = EX_SOFTWARE;
        break;
    }
    if (cli->json) {
        cli_json_obj_begin(&cli->jw, "error");
        cli_json_str(&cli->jw, "name", pc_err_name(err));
        cli_json_int(&cli->jw, "code", err);
        cli_json_str(&cli->jw, "message", pc_strerror(err));
        cli_json_obj_end(&cli->jw);
    }
    fprintf(stderr, "dmarc-query: %s: %s (%s)", what, pc_strerror(err), pc_err_name(err));
    if (ex == EX_UNAVAILABLE)
        fprintf(stderr, " at %s", pc_client_socket_path(cli->client));
    if (ex == EX_NOPERM)
        fprintf(stderr, ": flush and dump need an admin peer (admin-user in polcached.conf)");
    fputc('\n', stderr);
    return ex;
}

/* ---------------------------------------------------------------- main */

static int use_color(int setting)
{
    const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");

    if (setting >= 0)
        return setting;
    if (nc != NULL && nc[0] != '\0')
        return 0; /* https://no-color.org */
    if (term != NULL && strcmp(term, "dumb") == 0)
        return 0;
    return isatty(STDOUT_FILENO);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
    cli_t cli;
    const cli_cmd_t *cmd;
    pc_dump_filter_t all = PC_DUMP_FILTER_INIT;
    int ex, nwords, rc;
    char **words;
    double t0;

    memset(&cli, 0, sizeof(cli));
    cli.out = stdout;
    cli.color = -1;
    cli.filter = all;
    if ((ex = parse_options(&cli, argc, argv)) >= 0)
        return ex;
    nwords = argc - optind;
    words = argv + optind;
    if (nwords == 0)
        return usage_error("%s", "no DOMAIN and no command");
    cmd = find_command(nwords, words);
    cli.cmd_name = cmd->name != NULL ? cmd->name : "dmarc";
    if (cmd->name == NULL) { /* the words are the arguments */
        words--;
        nwords++;
    }
    if (nwords - 1 < cmd->min_args || nwords - 1 > cmd->max_args)
        return usage_error("wrong number of words for %s", cli.cmd_name);
    for (size_t i = 0; i < NOPTIONS; i++) {
        if ((cli.seen & options[i].bit & ~cmd->opts) != 0) {
            return usage_error("--%s is not an option of %s", options[i].name, cli.cmd_name);
        }
    }
    if (cmd->check != NULL && (ex = cmd->check(&cli, nwords, words)) != EX_OK)
        return ex;
    cli.color = cli.json ? 0 : use_color(cli.color);
    rc = pc_client_create(&cli.client, cli.socket);
    if (rc != 0) {
        fprintf(stderr, "dmarc-query: %s: %s\n", cli.socket != NULL ? cli.socket : "socket",
                pc_strerror(rc));
        return rc == PC_ETOOBIG || rc == PC_EINVAL ? EX_USAGE : EX_OSERR;
    }
    if (cli.json) {
        cli_json_init(&cli.jw, stdout);
        cli_json_obj_begin(&cli.jw, NULL);
        cli_json_str(&cli.jw, "command", cli.cmd_name);
    }
    t0 = now_ms();
    ex = cmd->run(&cli, nwords, words);
    if (cli.verbose > 0)
        fprintf(stderr, "dmarc-query: %s via %s: %.1f ms, exit %d\n", cli.cmd_name,
                pc_client_socket_path(cli.client), now_ms() - t0, ex);
    if (cli.json) {
        cli_json_int(&cli.jw, "exit", ex);
        cli_json_obj_end(&cli.jw);
        cli_json_finish(&cli.jw);
    }
    pc_client_destroy(cli.client);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "dmarc-query: writing the output: %s\n", strerror(errno));
        return EX_IOERR;
    }
    return ex;
}
