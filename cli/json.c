/*
 * json.c - the small JSON writer of dmarc-query's --json output. It writes
 * as it goes (a dump of a large cache never sits in memory), pretty-printed
 * with two spaces per level. Strings are escaped per RFC 8259; DNS data may
 * hold any octet, so octets that are not well-formed UTF-8 become U+FFFD
 * and the output is always valid JSON.
 */
#include <inttypes.h>
#include <string.h>

#include "cli.h"

void cli_json_init(cli_json_t *w, FILE *f)
{
    memset(w, 0, sizeof(*w));
    w->f = f;
    w->first[0] = 1;
}

static void indent(cli_json_t *w)
{
    fputc('\n', w->f);
    for (int i = 0; i < w->depth; i++)
        fputs("  ", w->f);
}

/* RFC 3629: no overlongs, no surrogates, no code point above U+10FFFF. */
size_t cli_utf8_len(const unsigned char *s, size_t n)
{
    size_t len;
    unsigned char lo = 0x80, hi = 0xbf;

    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        len = 2;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        len = 3;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        len = 4;
    else
        return 0;
    if (n < len)
        return 0;
    if (s[0] == 0xe0)
        lo = 0xa0;
    else if (s[0] == 0xed)
        hi = 0x9f;
    else if (s[0] == 0xf0)
        lo = 0x90;
    else if (s[0] == 0xf4)
        hi = 0x8f;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++) {
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    }
    return len;
}

static void put_string(FILE *f, const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;

    fputc('"', f);
    while (i < n) {
        unsigned char c = s[i];
        size_t len;
        if (c == '"' || c == '\\') {
            fputc('\\', f);
            fputc(c, f);
            i++;
        } else if (c == '\n') {
            fputs("\\n", f);
            i++;
        } else if (c == '\t') {
            fputs("\\t", f);
            i++;
        } else if (c == '\r') {
            fputs("\\r", f);
            i++;
        } else if (c < 0x20 || c == 0x7f) {
            fprintf(f, "\\u%04x", c);
            i++;
        } else if ((len = cli_utf8_len(s + i, n - i)) == 0) {
            fputs("\\ufffd", f); /* not UTF-8: the replacement character */
            i++;
        } else {
            fwrite(s + i, 1, len, f);
            i += len;
        }
    }
    fputc('"', f);
}

/* Before a value: the comma, the line break and the member name. */
static void member(cli_json_t *w, const char *key)
{
    if (w->depth > 0) {
        if (!w->first[w->depth])
            fputc(',', w->f);
        indent(w);
    }
    w->first[w->depth] = 0;
    if (key != NULL) {
        put_string(w->f, key, strlen(key));
        fputs(": ", w->f);
    }
}

static void open_level(cli_json_t *w, const char *key, char c)
{
    member(w, key);
    fputc(c, w->f);
    if (w->depth + 1 < CLI_JSON_DEPTH)
        w->depth++;
    w->first[w->depth] = 1;
}

static void close_level(cli_json_t *w, char c)
{
    int empty = w->first[w->depth];

    if (w->depth > 0)
        w->depth--;
    if (!empty)
        indent(w);
    fputc(c, w->f);
}

void cli_json_obj_begin(cli_json_t *w, const char *key)
{
    open_level(w, key, '{');
}

void cli_json_obj_end(cli_json_t *w)
{
    close_level(w, '}');
}

void cli_json_arr_begin(cli_json_t *w, const char *key)
{
    open_level(w, key, '[');
}

void cli_json_arr_end(cli_json_t *w)
{
    close_level(w, ']');
}

void cli_json_strn(cli_json_t *w, const char *key, const char *s, size_t n)
{
    member(w, key);
    if (s == NULL)
        fputs("null", w->f);
    else
        put_string(w->f, s, n);
}

void cli_json_str(cli_json_t *w, const char *key, const char *s)
{
    cli_json_strn(w, key, s, s != NULL ? strlen(s) : 0);
}

void cli_json_uint(cli_json_t *w, const char *key, uint64_t v)
{
    member(w, key);
    fprintf(w->f, "%" PRIu64, v);
}

void cli_json_int(cli_json_t *w, const char *key, int64_t v)
{
    member(w, key);
    fprintf(w->f, "%" PRId64, v);
}

void cli_json_bool(cli_json_t *w, const char *key, int v)
{
    member(w, key);
    fputs(v ? "true" : "false", w->f);
}

void cli_json_null(cli_json_t *w, const char *key)
{
    member(w, key);
    fputs("null", w->f);
}

void cli_json_finish(cli_json_t *w)
{
    fputc('\n', w->f);
}
