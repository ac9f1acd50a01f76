/*
 * cli.h - dmarc-query, the operator's command line tool: the state one run
 * shares between the command table (main.c), the commands (cmd_*.c) and
 * the two output forms (output.c for people, json.c for programs). The
 * tool talks to polcached through libpolcache only (polcache.h).
 */
#ifndef PC_CLI_H
#define PC_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "polcache.h"

/* ---------------------------------------------------------------- JSON */

#define CLI_JSON_DEPTH 16

/* A streaming JSON writer: pretty-printed, two spaces per level, strings
 * escaped (RFC 8259), octets that are not UTF-8 written as U+FFFD. */
typedef struct cli_json {
    FILE *f;
    int depth;
    int first[CLI_JSON_DEPTH]; /* no member written yet at this level */
} cli_json_t;

void cli_json_init(cli_json_t *w, FILE *f);
/* The length of the well-formed UTF-8 sequence at s (n octets available),
 * or 0 when s does not start one. */
size_t cli_utf8_len(const unsigned char *s, size_t n);
/* key is the member name inside an object, NULL inside an array or at the
 * top. */
void cli_json_obj_begin(cli_json_t *w, const char *key);
void cli_json_obj_end(cli_json_t *w);
void cli_json_arr_begin(cli_json_t *w, const char *key);
void cli_json_arr_end(cli_json_t *w);
/* s NULL writes null */
void cli_json_str(cli_json_t *w, const char *key, const char *s);
void cli_json_strn(cli_json_t *w, const char *key, const char *s, size_t n);
void cli_json_uint(cli_json_t *w, const char *key, uint64_t v);
void cli_json_int(cli_json_t *w, const char *key, int64_t v);
void cli_json_bool(cli_json_t *w, const char *key, int v);
void cli_json_null(cli_json_t *w, const char *key);
/* The end of the document: a newline. */
void cli_json_finish(cli_json_t *w);

/* ------------------------------------------------------------- one run */

/* Command options (cli_t.seen); each command lists the ones it takes. */
enum {
    CLI_O_EXACT = 1u << 0,   /* --exact: the record at _dmarc.DOMAIN only */
    CLI_O_METHOD = 1u << 1,  /* --method walk|psl */
    CLI_O_NOCACHE = 1u << 2, /* --no-cache */
    CLI_O_ALL = 1u << 3,     /* --all (flush) */
    CLI_O_TYPE = 1u << 4,    /* --type T (dump) */
    CLI_O_SUFFIX = 1u << 5,  /* --suffix S (dump) */
    CLI_O_DNSSEC = 1u << 6,  /* --dnssec STATE (dump) */
    CLI_O_EXPIRED = 1u << 7, /* --expired (dump) */
    CLI_O_FRESH = 1u << 8,   /* --fresh (dump) */
    CLI_O_PAGE = 1u << 9,    /* --page-size N (dump) */
    CLI_O_FROM = 1u << 10,   /* --from DOMAIN (eval) */
    CLI_O_SPF = 1u << 11,    /* --spf RESULT:DOMAIN (eval) */
    CLI_O_SCOPE = 1u << 12,  /* --spf-scope mailfrom|helo (eval) */
    CLI_O_DKIM = 1u << 13,   /* --dkim RESULT:DOMAIN[:SELECTOR] (eval) */
    CLI_O_IP = 1u << 14,     /* --ip ADDRESS (eval) */
    CLI_O_MAILFROM = 1u << 15, /* --mailfrom ADDRESS (eval) */
    CLI_O_HELO = 1u << 16,   /* --helo NAME (eval) */
    CLI_O_ROLL = 1u << 17    /* --pct-roll N (eval) */
};

typedef struct cli {
    pc_client_t *client;
    const char *socket;    /* --socket, NULL: the library's default */
    unsigned timeout_ms;   /* --timeout */
    int json;              /* --json */
    int verbose;           /* -v, counted */
    int color;             /* colour escapes in human output */
    FILE *out;             /* stdout */
    cli_json_t jw;
    unsigned seen;         /* CLI_O_* given on the command line */
    int method;            /* --method: PC_METHOD_* (0: the daemon's) */
    pc_dump_filter_t filter; /* dump options */
    pc_eval_query_t eval;  /* eval options */
    pc_eval_dkim_t dkim[PC_EVAL_DKIM_MAX];
    char spf_arg[1100];    /* --spf, split into result and domain */
    char dkim_arg[PC_EVAL_DKIM_MAX][1100]; /* each --dkim, split */
    const char *cmd_name;  /* the command, for messages and "command" */
} cli_t;

/*
 * Exit codes (sysexits.h where one fits): documented in dmarc-query(1).
 *   0            found / done
 *   1            no record (or no entry matched)
 *   EX_USAGE     64: bad command line, or a name the daemon refuses
 *   EX_DATAERR   65: the record exists but is unusable (permerror)
 *   EX_UNAVAILABLE 69: polcached not running, busy, or refusing us
 *   EX_SOFTWARE  70: a reply this program cannot understand
 *   EX_TEMPFAIL  75: a temporary failure (DNS, bogus, timeout)
 *   EX_NOPERM    77: flush or dump from a peer that is not an admin
 */
#define CLI_EXIT_NORECORD 1

/* A command: the words after the program name, already split from the
 * options. Returns the exit code. */
typedef int (*cli_run_fn)(cli_t *cli, int argc, char **argv);

/* The exit code of a failed library call, after reporting it (stderr, and
 * an "error" object in JSON mode). what names the request. */
int cli_fail(cli_t *cli, int err, const char *what);

/* ---- the commands (cmd_*.c) ----
 * cli_check_* look at the command line before anything is sent and
 * return EX_OK or EX_USAGE (with a message); cli_cmd_* run a command. */
int cli_check_dmarc(cli_t *cli, int argc, char **argv);
int cli_check_flush(cli_t *cli, int argc, char **argv);
int cli_check_dump(cli_t *cli, int argc, char **argv);
int cli_cmd_dmarc(cli_t *cli, int argc, char **argv);
int cli_cmd_spf(cli_t *cli, int argc, char **argv);
int cli_cmd_dkim(cli_t *cli, int argc, char **argv);
int cli_cmd_stats(cli_t *cli, int argc, char **argv);
int cli_cmd_flush(cli_t *cli, int argc, char **argv);
int cli_cmd_dump(cli_t *cli, int argc, char **argv);
int cli_cmd_check_spf(cli_t *cli, int argc, char **argv);
int cli_check_eval(cli_t *cli, int argc, char **argv);
/* the parsers of eval's options (cmd_eval.c): 0, or -1 for a bad value */
int cli_opt_from(cli_t *cli, const char *arg);
int cli_opt_spf(cli_t *cli, const char *arg);
int cli_opt_scope(cli_t *cli, const char *arg);
int cli_opt_dkim(cli_t *cli, const char *arg);
int cli_opt_ip(cli_t *cli, const char *arg);
int cli_opt_mailfrom(cli_t *cli, const char *arg);
int cli_opt_helo(cli_t *cli, const char *arg);
int cli_opt_roll(cli_t *cli, const char *arg);
int cli_cmd_eval(cli_t *cli, int argc, char **argv);

/* ---- record.c: what the three record commands share ---- */
/* The exit code a record result's outcome gives. */
int cli_record_exit(const pc_result_t *r);
/* JSON: the members every record answer has (opened object). */
void cli_record_json_head(cli_t *cli, const char *domain, const pc_result_t *r);
/* JSON: "warnings". */
void cli_record_json_tail(cli_t *cli, const pc_result_t *r);
/* Human: the lines every record answer has. */
void cli_record_print_head(cli_t *cli, const char *title, const pc_result_t *r);
/* Human: the warnings. */
void cli_record_print_tail(cli_t *cli, const pc_result_t *r);
/* JSON: "tags", the fields that are not findings. */
void cli_record_json_tags(cli_t *cli, const pc_result_t *r);
/* Human: the same as a section. */
void cli_record_print_tags(cli_t *cli, const pc_result_t *r);
/* Is this field one of the daemon's findings rather than a tag? */
int cli_record_is_finding(const pc_result_t *r, const char *name);

/* ---- output.c: human output ---- */
enum cli_color { CLI_C_NONE, CLI_C_BOLD, CLI_C_GOOD, CLI_C_WARN, CLI_C_BAD, CLI_C_DIM };

#define CLI_WIDTH 80     /* human output fits this many columns */
#define CLI_KEY_WIDTH 12 /* the key column of "  key   value" lines */

/* Write text for a terminal: octets below 0x20, 0x7f, C1 controls and
 * invalid UTF-8 as \DDD, a backslash as \\ (so the output is unambiguous
 * and cannot carry terminal escapes). Returns the columns written. */
size_t cli_out_escaped(FILE *f, const char *s, size_t n);
/* The columns cli_out_escaped would use for s. */
size_t cli_out_width(const char *s, size_t n);
/* The octets of s whose escaped form fits in cols columns. */
size_t cli_out_fit(const char *s, size_t n, size_t cols);
/* Write s (n octets), escaped, wrapped at CLI_WIDTH: the first line
 * continues at column col, later lines start at column indent. Breaks at
 * spaces (dropping them), inside a word only when it does not fit a line.
 * No newline at the end; returns the column reached. */
size_t cli_out_wrap(FILE *f, size_t col, size_t indent, const char *s, size_t n);
void cli_out_color(cli_t *cli, enum cli_color c);
void cli_out_reset(cli_t *cli, enum cli_color c);
/* A heading line (bold on a terminal). */
void cli_out_heading(cli_t *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "  key         value": the value formatted, escaped and wrapped. */
void cli_out_kv(cli_t *cli, const char *key, enum cli_color c, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* "  key         value" with a value of n octets taken as is (escaped). */
void cli_out_kvn(cli_t *cli, const char *key, enum cli_color c, const char *s, size_t n);
/* The "ttl" line of an SPF check or a DMARC evaluation: how long the same
 * question may reuse the answer, or that it must not be reused (0). */
void cli_out_ttl(cli_t *cli, uint32_t ttl);

/* Names of the library's enumerations, as JSON and the text show them. */
const char *cli_outcome_name(pc_outcome_t o);
const char *cli_outcome_text(pc_outcome_t o);
enum cli_color cli_outcome_color(pc_outcome_t o);
const char *cli_dnssec_name(pc_dnssec_t d);
const char *cli_dnssec_text(pc_dnssec_t d);
enum cli_color cli_dnssec_color(pc_dnssec_t d);
const char *cli_cache_name(pc_cache_state_t c);
const char *cli_rtype_name(pc_rtype_t t);
/* The value of a name, or -1: the inverses for option values. */
int cli_rtype_parse(const char *s);
int cli_dnssec_parse(const char *s);
const char *cli_spf_result_name(pc_spf_result_t r);
int cli_spf_result_parse(const char *s);
const char *cli_dkim_result_name(pc_dkim_result_t r);
int cli_dkim_result_parse(const char *s, size_t n);
const char *cli_dmarc_result_name(pc_dmarc_result_t r);

#endif /* PC_CLI_H */
