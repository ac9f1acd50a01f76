/*
 * output.c - dmarc-query's human output: "key  value" lines that fit 80
 * columns, DNS text escaped so that no record can put a control sequence
 * on an operator's terminal, colour only when cli_t.color says so, and the
 * names of the library's enumerations shared with the JSON output.
 */
#include <stdarg.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

/* One display unit at s: a character, or an octet written as \DDD.
 * Puts its rendering in out (NUL-terminated), the octets it takes in *in;
 * returns its columns. */
static size_t unit(const unsigned char *s, size_t n, size_t *in, char out[8])
{
    size_t len;
    unsigned cp;

    *in = 1;
    if (s[0] == '\\') {
        memcpy(out, "\\\\", 3);
        return 2;
    }
    if (s[0] >= 0x20 && s[0] < 0x7f) {
        out[0] = (char)s[0];
        out[1] = '\0';
        return 1;
    }
    len = s[0] >= 0x80 ? cli_utf8_len(s, n) : 0;
    if (len >= 2) {
        cp = len == 2 ? (s[0] & 0x1fu) << 6 | (s[1] & 0x3fu)
             : len == 3 ? (s[0] & 0x0fu) << 12 | (s[1] & 0x3fu) << 6 | (s[2] & 0x3fu)
                        : 0x10000u; /* beyond the BMP: printable enough */
        /* C1 controls and the bidirectional overrides are escaped too */
        if (!(cp >= 0x80 && cp <= 0x9f) && !(cp >= 0x202a && cp <= 0x202e) &&
            !(cp >= 0x2066 && cp <= 0x2069)) {
            memcpy(out, s, len);
            out[len] = '\0';
            *in = len;
            return 1;
        }
    }
    snprintf(out, 8, "\\%03u", (unsigned)s[0]);
    return 4;
}

size_t cli_out_width(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, w = 0, in;
    char buf[8];

    while (i < n) {
        w += unit(u + i, n - i, &in, buf);
        i += in;
    }
    return w;
}

size_t cli_out_fit(const char *s, size_t n, size_t cols)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, w = 0, in, cw;
    char buf[8];

    while (i < n) {
        cw = unit(u + i, n - i, &in, buf);
        if (w + cw > cols)
            break;
        w += cw;
        i += in;
    }
    return i;
}

size_t cli_out_escaped(FILE *f, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, w = 0, in;
    char buf[8];

    while (i < n) {
        w += unit(u + i, n - i, &in, buf);
        fputs(buf, f);
        i += in;
    }
    return w;
}

static size_t newline(FILE *f, size_t indent)
{
    fputc('\n', f);
    for (size_t i = 0; i < indent; i++)
        fputc(' ', f);
    return indent;
}

size_t cli_out_wrap(FILE *f, size_t col, size_t indent, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, in;
    int started = 0;
    char buf[8];

    while (i < n) {
        size_t sp = 0, j, end, w;
        while (i + sp < n && s[i + sp] == ' ')
            sp++;
        j = i + sp;
        for (end = j; end < n && s[end] != ' '; end++)
            ;
        w = cli_out_width(s + j, end - j);
        if (started && end > j && col + sp + w > CLI_WIDTH) {
            col = newline(f, indent); /* the spaces at a break are dropped */
        } else {
            for (size_t k = 0; k < sp; k++)
                fputc(' ', f);
            col += sp;
        }
        while (j < end) {
            size_t cw = unit(u + j, end - j, &in, buf);
            if (col + cw > CLI_WIDTH && col > indent)
                col = newline(f, indent); /* a word longer than a line */
            fputs(buf, f);
            col += cw;
            j += in;
        }
        started = 1;
        i = end;
    }
    return col;
}

static const char *const sgr[] = {
    [CLI_C_NONE] = "", [CLI_C_BOLD] = "\033[1m", [CLI_C_GOOD] = "\033[32m",
    [CLI_C_WARN] = "\033[33m", [CLI_C_BAD] = "\033[31m", [CLI_C_DIM] = "\033[2m",
};

void cli_out_color(cli_t *cli, enum cli_color c)
{
    if (cli->color && c != CLI_C_NONE)
        fputs(sgr[c], cli->out);
}

void cli_out_reset(cli_t *cli, enum cli_color c)
{
    if (cli->color && c != CLI_C_NONE)
        fputs("\033[0m", cli->out);
}

void cli_out_heading(cli_t *cli, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    cli_out_color(cli, CLI_C_BOLD);
    cli_out_wrap(cli->out, 0, 2, buf, strlen(buf));
    cli_out_reset(cli, CLI_C_BOLD);
    fputc('\n', cli->out);
}

void cli_out_kvn(cli_t *cli, const char *key, enum cli_color c, const char *s, size_t n)
{
    size_t col = 2 + strlen(key);

    fprintf(cli->out, "  %s", key);
    for (; col < 2 + CLI_KEY_WIDTH + 1; col++)
        fputc(' ', cli->out);
    if (col == 2 + strlen(key)) {
        fputc(' ', cli->out);
        col++;
    }
    cli_out_color(cli, c);
    cli_out_wrap(cli->out, col, 2 + CLI_KEY_WIDTH + 1, s, n);
    cli_out_reset(cli, c);
    fputc('\n', cli->out);
}

void cli_out_kv(cli_t *cli, const char *key, enum cli_color c, const char *fmt, ...)
{
    char buf[4096];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    cli_out_kvn(cli, key, c, buf, strlen(buf));
}

void cli_out_ttl(cli_t *cli, uint32_t ttl)
{
    if (ttl > 0)
        cli_out_kv(cli, "ttl", CLI_C_NONE, "%u s: the same question may reuse this answer",
                   (unsigned)ttl);
    else
        cli_out_kv(cli, "ttl", CLI_C_NONE, "0: do not reuse this answer");
}

/* ---- enumerations ---- */

const char *cli_outcome_name(pc_outcome_t o)
{
    switch (o) {
    case PC_OUTCOME_FOUND: return "found";
    case PC_OUTCOME_NORECORD: return "no-record";
    case PC_OUTCOME_NXDOMAIN: return "nxdomain";
    case PC_OUTCOME_TEMPFAIL: return "tempfail";
    case PC_OUTCOME_PERMERROR: return "permerror";
    case PC_OUTCOME_UNSET: break;
    }
    return "unset";
}

const char *cli_outcome_text(pc_outcome_t o)
{
    switch (o) {
    case PC_OUTCOME_FOUND: return "found";
    case PC_OUTCOME_NORECORD: return "no record";
    case PC_OUTCOME_NXDOMAIN: return "no record: the name does not exist (NXDOMAIN)";
    case PC_OUTCOME_TEMPFAIL: return "temporary failure: try again later";
    case PC_OUTCOME_PERMERROR: return "permanent error: the record is unusable";
    case PC_OUTCOME_UNSET: break;
    }
    return "unset";
}

enum cli_color cli_outcome_color(pc_outcome_t o)
{
    switch (o) {
    case PC_OUTCOME_FOUND: return CLI_C_GOOD;
    case PC_OUTCOME_NORECORD:
    case PC_OUTCOME_NXDOMAIN: return CLI_C_WARN;
    default: return CLI_C_BAD;
    }
}

const char *cli_dnssec_name(pc_dnssec_t d)
{
    switch (d) {
    case PC_DNSSEC_SECURE: return "secure";
    case PC_DNSSEC_INSECURE: return "insecure";
    case PC_DNSSEC_BOGUS: return "bogus";
    case PC_DNSSEC_NONE: break;
    }
    return "none";
}

const char *cli_dnssec_text(pc_dnssec_t d)
{
    switch (d) {
    case PC_DNSSEC_SECURE: return "secure: validated from the trust anchor";
    case PC_DNSSEC_INSECURE: return "insecure: not signed, as the DNS said it";
    case PC_DNSSEC_BOGUS: return "bogus: validation failed, the data was discarded";
    case PC_DNSSEC_NONE: break;
    }
    return "none: no DNS answer was obtained";
}

enum cli_color cli_dnssec_color(pc_dnssec_t d)
{
    switch (d) {
    case PC_DNSSEC_SECURE: return CLI_C_GOOD;
    case PC_DNSSEC_INSECURE: return CLI_C_WARN;
    case PC_DNSSEC_BOGUS: return CLI_C_BAD;
    case PC_DNSSEC_NONE: break;
    }
    return CLI_C_DIM;
}

const char *cli_cache_name(pc_cache_state_t c)
{
    switch (c) {
    case PC_CACHE_MISS: return "miss";
    case PC_CACHE_HIT: return "hit";
    case PC_CACHE_STALE: return "stale";
    case PC_CACHE_NONE: break;
    }
    return "none";
}

static const char *const rtypes[] = {
    [PC_RT_NONE] = "none", [PC_RT_DMARC] = "dmarc", [PC_RT_SPF] = "spf",
    [PC_RT_DKIM] = "dkim", [PC_RT_A] = "a",         [PC_RT_AAAA] = "aaaa",
    [PC_RT_MX] = "mx",     [PC_RT_PTR] = "ptr",     [PC_RT_TXT] = "txt",
};

const char *cli_rtype_name(pc_rtype_t t)
{
    if ((int)t < 0 || (size_t)t >= sizeof(rtypes) / sizeof(rtypes[0]))
        return "unknown";
    return rtypes[t];
}

int cli_rtype_parse(const char *s)
{
    for (size_t i = 1; i < sizeof(rtypes) / sizeof(rtypes[0]); i++) {
        if (strcasecmp(s, rtypes[i]) == 0)
            return (int)i;
    }
    return -1;
}

int cli_dnssec_parse(const char *s)
{
    for (int d = PC_DNSSEC_NONE; d <= PC_DNSSEC_MAX_; d++) {
        if (strcasecmp(s, cli_dnssec_name((pc_dnssec_t)d)) == 0)
            return d;
    }
    return -1;
}

static const char *const spf_results[] = {
    [PC_SPF_UNSET] = "unset",       [PC_SPF_NONE] = "none",   [PC_SPF_NEUTRAL] = "neutral",
    [PC_SPF_PASS] = "pass",         [PC_SPF_FAIL] = "fail",   [PC_SPF_SOFTFAIL] = "softfail",
    [PC_SPF_TEMPERROR] = "temperror", [PC_SPF_PERMERROR] = "permerror",
};

const char *cli_spf_result_name(pc_spf_result_t r)
{
    return (int)r >= 0 && r <= PC_SPF_MAX_ ? spf_results[r] : "unknown";
}

int cli_spf_result_parse(const char *s)
{
    for (int i = PC_SPF_NONE; i <= PC_SPF_MAX_; i++) {
        if (strcasecmp(s, spf_results[i]) == 0)
            return i;
    }
    return -1;
}

static const char *const dkim_results[] = {
    [PC_DKIM_UNSET] = "unset",   [PC_DKIM_NONE] = "none",       [PC_DKIM_PASS] = "pass",
    [PC_DKIM_FAIL] = "fail",     [PC_DKIM_POLICY] = "policy",   [PC_DKIM_NEUTRAL] = "neutral",
    [PC_DKIM_TEMPERROR] = "temperror", [PC_DKIM_PERMERROR] = "permerror",
};

const char *cli_dkim_result_name(pc_dkim_result_t r)
{
    return (int)r >= 0 && r <= PC_DKIM_MAX_ ? dkim_results[r] : "unknown";
}

int cli_dkim_result_parse(const char *s, size_t n)
{
    for (int i = PC_DKIM_NONE; i <= PC_DKIM_MAX_; i++) {
        if (strlen(dkim_results[i]) == n && strncasecmp(s, dkim_results[i], n) == 0)
            return i;
    }
    return -1;
}

static const char *const dmarc_results[] = {
    [PC_DMARC_R_UNSET] = "unset", [PC_DMARC_R_NONE] = "none", [PC_DMARC_R_PASS] = "pass",
    [PC_DMARC_R_FAIL] = "fail",   [PC_DMARC_R_TEMPERROR] = "temperror",
    [PC_DMARC_R_PERMERROR] = "permerror",
};

const char *cli_dmarc_result_name(pc_dmarc_result_t r)
{
    return (int)r >= 0 && r <= PC_DMARC_R_MAX_ ? dmarc_results[r] : "unknown";
}
