/*
 * config.c - polcached's configuration file: "key: value" lines parsed into
 * a pc_config_t through the table of keys (config_keys.c), checked across
 * keys once the whole file is read. Printing is config_print.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include "config.h"
#include "config_impl.h"
#include "name.h"
#include "paths.h"
#include "polcache/error.h"
#include "utf8.h"

typedef struct parser {
    pc_config_t *c;
    const char *name;                      /* file name in messages */
    unsigned lineno;                       /* current line, 1-based */
    unsigned line[K_COUNT];                /* last line setting each key */
    size_t cur;                            /* listen entry socket-* applies to */
    int listen_seen;                       /* a listen line replaced the default */
    unsigned listen_line[PC_CONFIG_MAX_LISTEN];
    unsigned mode_line[PC_CONFIG_MAX_LISTEN];
    unsigned group_line[PC_CONFIG_MAX_LISTEN];
    unsigned fwd_line[PC_CONFIG_MAX_FORWARD];
    unsigned stub_line[PC_CONFIG_MAX_STUB];
    unsigned peer_line[PC_PEER_LISTS][PC_ACCESS_MAX_NAMES];
    char *err;
    size_t cap;
} parser_t;

/* Write "name:line: message" (or "name: message" for line 0); return rc. */
__attribute__((format(printf, 4, 5))) static int fail(parser_t *p, unsigned line, int rc,
                                                      const char *fmt, ...)
{
    va_list ap;
    int n;

    if (p->err == NULL || p->cap == 0)
        return rc;
    if (line > 0)
        n = snprintf(p->err, p->cap, "%s:%u: ", p->name, line);
    else
        n = snprintf(p->err, p->cap, "%s: ", p->name);
    if (n < 0 || (size_t)n >= p->cap)
        return rc;
    va_start(ap, fmt);
    vsnprintf(p->err + n, p->cap - (size_t)n, fmt, ap);
    va_end(ap);
    return rc;
}

/* K: "V" what, on the current line. */
static int bad_value(parser_t *p, const cfg_key_t *k, const char *v, const char *what)
{
    return fail(p, p->lineno, PC_ECONFIG, "%s: \"%s\" %s", k->name, v, what);
}

static int is_ws(char ch)
{
    return ch == ' ' || ch == '\t';
}

static char *trim(char *s)
{
    size_t n;
    while (is_ws(*s))
        s++;
    n = strlen(s);
    while (n > 0 && is_ws(s[n - 1]))
        s[--n] = '\0';
    return s;
}

static const cfg_key_t *find_key(const char *name)
{
    for (size_t i = 0; i < pc_cfg_nkeys; i++) {
        if (strcmp(pc_cfg_keys[i].name, name) == 0)
            return &pc_cfg_keys[i];
    }
    return NULL;
}

/* ---- one helper per kind of value ---- */

static int valid_name(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > NAME_MAX_LEN || s[0] == '-')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            ch == '.' || ch == '_' || ch == '-' || (ch == '$' && i == n - 1))
            continue;
        return 0;
    }
    return 1;
}

/* Replace *slot with a copy of v, or with NULL for "". */
static int set_string(parser_t *p, char **slot, const char *v)
{
    char *d = NULL;

    if (v[0] != '\0' && (d = strdup(v)) == NULL)
        return fail(p, 0, PC_ENOMEM, "out of memory");
    free(*slot);
    *slot = d;
    return 0;
}

static int set_name(parser_t *p, const cfg_key_t *k, const char *v)
{
    if (v[0] != '\0' && !valid_name(v))
        return bad_value(p, k, v, k->id == K_USER ? "is not a valid user name"
                                                  : "is not a valid group name");
    if (k->id == K_USER)
        p->c->user_explicit = 1;
    return set_string(p, pc_cfg_str_slot(p->c, k->id, p->cur), v);
}

/* spf-receiver: a host name, or "" for the system's host name. */
static int set_host(parser_t *p, const cfg_key_t *k, const char *v)
{
    size_t n = strlen(v), label = 0;
    int ok = n <= 253;

    for (size_t i = 0; ok && i <= n && n > 0; i++) {
        char ch = i < n ? v[i] : '.';
        if (ch == '.') {
            ok = label > 0 && label <= 63 && v[i - 1] != '-';
            label = 0;
        } else {
            ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                 ch == '_' || (ch == '-' && label > 0);
            label++;
        }
    }
    if (!ok)
        return bad_value(p, k, v, "is not a valid host name");
    return set_string(p, pc_cfg_str_slot(p->c, k->id, 0), v);
}

static int check_path(parser_t *p, const cfg_key_t *k, const char *v)
{
    return v[0] == '/' ? 0 : bad_value(p, k, v, "is not an absolute path");
}

static int set_path(parser_t *p, const cfg_key_t *k, const char *v)
{
    int rc;
    if (v[0] != '\0' && (rc = check_path(p, k, v)) != 0)
        return rc;
    return set_string(p, pc_cfg_str_slot(p->c, k->id, 0), v);
}

static int set_enum(parser_t *p, const cfg_key_t *k, const char *v)
{
    char list[128] = "";

    for (int i = 0; k->choices[i] != NULL; i++) {
        if (strcmp(k->choices[i], v) == 0) {
            pc_cfg_num_set(p->c, k->id, (uint64_t)i);
            return 0;
        }
    }
    for (int i = 0; k->choices[i] != NULL; i++) {
        if (i > 0)
            strcat(list, k->choices[i + 1] != NULL ? ", " : " or ");
        strcat(list, k->choices[i]);
    }
    return fail(p, p->lineno, PC_ECONFIG, "%s: \"%s\" is not one of %s", k->name, v, list);
}

static int set_number(parser_t *p, const cfg_key_t *k, const char *v)
{
    char lo[32], hi[32];
    uint64_t x = 0;

    switch (pc_cfg_scan_number(v, k->unit, &x)) {
    case NUM_NAN:
        return bad_value(p, k, v, "is not a number");
    case NUM_UNIT:
        return fail(p, p->lineno, PC_ECONFIG, "%s: \"%s\" has an unknown unit (use %s)", k->name,
                    v, pc_cfg_unit_hint[k->unit]);
    default:
        break;
    }
    if (x < k->min || x > k->max) {
        pc_cfg_fmt_number(lo, sizeof(lo), k->unit, k->min);
        pc_cfg_fmt_number(hi, sizeof(hi), k->unit, k->max);
        return fail(p, p->lineno, PC_ECONFIG, "%s: \"%s\" is out of range %s..%s", k->name, v,
                    lo, hi);
    }
    pc_cfg_num_set(p->c, k->id, x);
    return 0;
}

static int set_mode(parser_t *p, const cfg_key_t *k, const char *v)
{
    unsigned long m = 0;

    for (const char *s = v; *s != '\0'; s++) {
        if (*s < '0' || *s > '7')
            return bad_value(p, k, v, "is not an octal mode");
        if (m <= k->max)
            m = m * 8 + (unsigned long)(*s - '0');
    }
    if (m > k->max)
        return bad_value(p, k, v, "is out of range 0..0777");
    p->c->listen[p->cur].mode = (unsigned)m;
    return 0;
}

static int add_listen(parser_t *p, const cfg_key_t *k, const char *v)
{
    pc_config_t *c = p->c;
    pc_listen_t *l;
    int rc;

    if ((rc = check_path(p, k, v)) != 0)
        return rc;
    if (strlen(v) > SOCKET_PATH_MAX)
        return fail(p, p->lineno, PC_ECONFIG, "%s: \"%s\" is longer than %zu octets", k->name, v,
                    SOCKET_PATH_MAX);
    if (!p->listen_seen) {
        /* The first listen replaces the default socket. */
        unsigned prev = p->mode_line[0] > p->group_line[0] ? p->mode_line[0] : p->group_line[0];
        if (prev > 0)
            return fail(p, p->lineno, PC_ECONFIG,
                        "%s: the first listen replaces the default socket, "
                        "which line %u configured; put listen first", k->name, prev);
        for (size_t i = 0; i < c->nlisten; i++) {
            free(c->listen[i].path);
            free(c->listen[i].group);
        }
        memset(c->listen, 0, sizeof(c->listen));
        c->nlisten = 0;
        p->listen_seen = 1;
    }
    for (size_t i = 0; i < c->nlisten; i++) {
        if (strcmp(c->listen[i].path, v) == 0)
            return fail(p, p->lineno, PC_ECONFIG, "%s: \"%s\" is already listed on line %u",
                        k->name, v, p->listen_line[i]);
    }
    if (c->nlisten == PC_CONFIG_MAX_LISTEN)
        return fail(p, p->lineno, PC_ECONFIG, "%s: more than %d sockets", k->name,
                    PC_CONFIG_MAX_LISTEN);
    l = &c->listen[c->nlisten];
    if ((l->path = strdup(v)) == NULL)
        return fail(p, 0, PC_ENOMEM, "out of memory");
    l->mode = 0660;
    l->group = NULL;
    p->listen_line[c->nlisten] = p->lineno;
    p->cur = c->nlisten++;
    return 0;
}

/* "addr" or "addr@port" with a numeric IPv4 or IPv6 address. */
static int check_addr(parser_t *p, const cfg_key_t *k, const char *v)
{
    char addr[INET6_ADDRSTRLEN + 1];
    unsigned char bin[16];
    const char *at = strchr(v, '@');
    size_t n = at != NULL ? (size_t)(at - v) : strlen(v);
    uint64_t port = 0;

    if (n == 0 || n >= sizeof(addr))
        return bad_value(p, k, v, "is not an IPv4 or IPv6 address");
    memcpy(addr, v, n);
    addr[n] = '\0';
    if (inet_pton(AF_INET, addr, bin) != 1 && inet_pton(AF_INET6, addr, bin) != 1)
        return bad_value(p, k, v, "is not an IPv4 or IPv6 address");
    if (at != NULL && (pc_cfg_scan_number(at + 1, U_COUNT, &port) != NUM_OK || port < 1 || port > 65535))
        return bad_value(p, k, v, "has a bad port (use 1..65535)");
    return 0;
}

static int add_forward(parser_t *p, const cfg_key_t *k, const char *v)
{
    pc_resolver_conf_t *r = &p->c->resolver;
    char **l;
    int rc;

    if ((rc = check_addr(p, k, v)) != 0)
        return rc;
    for (size_t i = 0; i < r->nforwarders; i++) {
        if (strcmp(r->forwarders[i], v) == 0)
            return fail(p, p->lineno, PC_ECONFIG, "%s: \"%s\" is already listed on line %u",
                        k->name, v, p->fwd_line[i]);
    }
    if (r->nforwarders == PC_CONFIG_MAX_FORWARD)
        return fail(p, p->lineno, PC_ECONFIG, "%s: more than %d addresses", k->name,
                    PC_CONFIG_MAX_FORWARD);
    if ((l = realloc(r->forwarders, (r->nforwarders + 1) * sizeof(*l))) == NULL)
        return fail(p, 0, PC_ENOMEM, "out of memory");
    r->forwarders = l;
    if ((l[r->nforwarders] = strdup(v)) == NULL)
        return fail(p, 0, PC_ENOMEM, "out of memory");
    p->fwd_line[r->nforwarders++] = p->lineno;
    return 0;
}

/* Split v in place into words separated by blanks; returns the count. */
static size_t split_words(char *v, char **words, size_t max)
{
    size_t n = 0;

    while (*v != '\0') {
        while (is_ws(*v))
            *v++ = '\0';
        if (*v == '\0')
            break;
        if (n == max)
            return max + 1;
        words[n++] = v;
        while (*v != '\0' && !is_ws(*v))
            v++;
    }
    return n;
}

static int add_stub(parser_t *p, const cfg_key_t *k, char *v)
{
    pc_resolver_conf_t *r = &p->c->resolver;
    char *w[PC_CONFIG_MAX_STUB_ADDR + 1], text[PC_NAME_TEXT_MAX];
    size_t n = split_words(v, w, PC_CONFIG_MAX_STUB_ADDR + 1);
    pc_name_t zone;
    pc_stub_t *s;
    int rc;

    if (n < 2)
        return fail(p, p->lineno, PC_ECONFIG, "%s: expected a zone name and an address",
                    k->name);
    if (n > PC_CONFIG_MAX_STUB_ADDR + 1)
        return fail(p, p->lineno, PC_ECONFIG, "%s: more than %d addresses", k->name,
                    PC_CONFIG_MAX_STUB_ADDR);
    if (pc_name_from_text(&zone, w[0], strlen(w[0]), PC_NAME_ESCAPES) != 0 ||
        pc_name_to_text(&zone, text, sizeof(text)) < 0)
        return bad_value(p, k, w[0], "is not a valid zone name");
    for (size_t i = 1; i < n; i++) {
        if ((rc = check_addr(p, k, w[i])) != 0)
            return rc;
    }
    for (size_t i = 0; i < r->nstubs; i++) {
        if (strcmp(r->stubs[i].name, text) == 0)
            return fail(p, p->lineno, PC_ECONFIG, "%s: zone \"%s\" is already defined on line %u",
                        k->name, text, p->stub_line[i]);
    }
    if (r->nstubs == PC_CONFIG_MAX_STUB)
        return fail(p, p->lineno, PC_ECONFIG, "%s: more than %d zones", k->name,
                    PC_CONFIG_MAX_STUB);
    if ((s = realloc(r->stubs, (r->nstubs + 1) * sizeof(*s))) == NULL)
        return fail(p, 0, PC_ENOMEM, "out of memory");
    r->stubs = s;
    s = &r->stubs[r->nstubs];
    memset(s, 0, sizeof(*s));
    p->stub_line[r->nstubs++] = p->lineno; /* counted now, so a partial entry is freed */
    if ((s->name = strdup(text)) == NULL || (s->addrs = calloc(n - 1, sizeof(char *))) == NULL)
        return fail(p, 0, PC_ENOMEM, "out of memory");
    for (size_t i = 1; i < n; i++) {
        if ((s->addrs[s->naddrs] = strdup(w[i])) == NULL)
            return fail(p, 0, PC_ENOMEM, "out of memory");
        s->naddrs++;
    }
    return 0;
}

/* allow-user, allow-group, admin-user, admin-group: names, resolved by access.c. */
static int add_peer(parser_t *p, const cfg_key_t *k, const char *v)
{
    size_t li = (size_t)(k->id - K_ALLOW_USER);
    pc_names_t *l = &p->c->access.list[li];
    long dup = pc_names_find(l, v);

    if (!valid_name(v))
        return bad_value(p, k, v, li == PC_ALLOW_USER || li == PC_ADMIN_USER
                                      ? "is not a valid user name" : "is not a valid group name");
    if (dup >= 0)
        return fail(p, p->lineno, PC_ECONFIG, "%s: \"%s\" is already listed on line %u",
                    k->name, v, p->peer_line[li][dup]);
    if (l->n == PC_ACCESS_MAX_NAMES)
        return fail(p, p->lineno, PC_ECONFIG, "%s: more than %d names", k->name,
                    PC_ACCESS_MAX_NAMES);
    if (pc_names_add(l, v) != 0)
        return fail(p, 0, PC_ENOMEM, "out of memory");
    p->peer_line[li][l->n - 1] = p->lineno;
    return 0;
}

static int apply(parser_t *p, const cfg_key_t *k, char *v)
{
    switch (k->kind) {
    case KIND_NAME: return set_name(p, k, v);
    case KIND_PATH: return set_path(p, k, v);
    case KIND_ENUM: return set_enum(p, k, v);
    case KIND_NUMBER: return set_number(p, k, v);
    case KIND_MODE: return set_mode(p, k, v);
    case KIND_LISTEN: return add_listen(p, k, v);
    case KIND_FORWARD: return add_forward(p, k, v);
    case KIND_STUB: return add_stub(p, k, v);
    case KIND_PEER: return add_peer(p, k, v);
    case KIND_HOST: return set_host(p, k, v);
    }
    return PC_ECONFIG;
}

/* ---- lines ---- */

/*
 * The value after "key:": either "quoted" (kept verbatim, may be empty) or
 * the rest of the line up to a comment, trimmed. Sets *out to it.
 */
static int read_value(parser_t *p, const cfg_key_t *k, char *rest, char **out)
{
    char *v = rest, *e;

    while (is_ws(*v))
        v++;
    if (*v == '"') {
        char *after;
        if ((e = strchr(v + 1, '"')) == NULL)
            return fail(p, p->lineno, PC_ECONFIG, "%s: missing closing quote", k->name);
        *e = '\0';
        for (after = e + 1; is_ws(*after); after++)
            ;
        if (*after != '\0' && *after != '#')
            return fail(p, p->lineno, PC_ECONFIG, "%s: text after the closing quote", k->name);
        if (v[1] == '\0' && !(k->flags & F_OPTIONAL))
            return fail(p, p->lineno, PC_ECONFIG, "%s: missing value", k->name);
        *out = v + 1;
        return 0;
    }
    for (e = v; *e != '\0'; e++) {
        if (*e == '#' && e > rest && is_ws(e[-1])) {
            *e = '\0';
            break;
        }
    }
    v = trim(v);
    if (*v == '\0')
        return fail(p, p->lineno, PC_ECONFIG, "%s: missing value", k->name);
    if (strchr(v, '"') != NULL)
        return fail(p, p->lineno, PC_ECONFIG, "%s: stray '\"' in the value", k->name);
    *out = v;
    return 0;
}

static int parse_line(parser_t *p, char *s)
{
    const cfg_key_t *k;
    char *colon, *v = NULL;
    unsigned *seen;
    int rc;

    s = trim(s);
    if (*s == '\0' || *s == '#')
        return 0;
    for (colon = s; *colon != '\0' && *colon != ':'; colon++) {
        if (*colon == '#' && is_ws(colon[-1]))
            break;
    }
    if (*colon != ':')
        return fail(p, p->lineno, PC_ECONFIG, "missing ':' (expected \"key: value\")");
    *colon = '\0';
    s = trim(s);
    if (*s == '\0')
        return fail(p, p->lineno, PC_ECONFIG, "missing key before ':'");
    if ((k = find_key(s)) == NULL)
        return fail(p, p->lineno, PC_ECONFIG, "unknown key \"%s\"", s);
    if ((rc = read_value(p, k, colon + 1, &v)) != 0)
        return rc;
    if (k->id == K_SOCKET_MODE)
        seen = &p->mode_line[p->cur];
    else if (k->id == K_SOCKET_GROUP)
        seen = &p->group_line[p->cur];
    else
        seen = &p->line[k->id];
    if (*seen > 0 && !(k->flags & F_LIST))
        return fail(p, p->lineno, PC_ECONFIG, "%s: already set on line %u%s", k->name, *seen,
                    (k->flags & F_PER_LISTEN) ? " for this socket" : "");
    *seen = p->lineno;
    p->line[k->id] = p->lineno;
    return apply(p, k, v);
}

/* ---- checks across keys ---- */

/* The later of the lines that set a and b (0 if neither is in the file). */
static unsigned later(const parser_t *p, key_id_t a, key_id_t b)
{
    return p->line[a] > p->line[b] ? p->line[a] : p->line[b];
}

static int validate(parser_t *p)
{
    pc_config_t *c = p->c;
    const pc_lookup_conf_t *l = &c->lookup;
    uint32_t longest = l->ttl_max > l->neg_ttl_max ? l->ttl_max : l->neg_ttl_max;
    unsigned line;

    if (l->ttl_min > l->ttl_max)
        return fail(p, later(p, K_TTL_MIN, K_TTL_MAX), PC_ECONFIG,
                    "ttl-min (%u) is greater than ttl-max (%u)", (unsigned)l->ttl_min,
                    (unsigned)l->ttl_max);
    if (l->neg_ttl_min > l->neg_ttl_max)
        return fail(p, later(p, K_NEG_TTL_MIN, K_NEG_TTL_MAX), PC_ECONFIG,
                    "negative-ttl-min (%u) is greater than negative-ttl-max (%u)",
                    (unsigned)l->neg_ttl_min, (unsigned)l->neg_ttl_max);
    /* libunbound's cache must never hold an answer longer than LMDB would */
    if (p->line[K_RESOLVER_CACHE_MAX_TTL] == 0) {
        c->resolver.cache_max_ttl = longest;
    } else if (c->resolver.cache_max_ttl > longest) {
        line = later(p, K_RESOLVER_CACHE_MAX_TTL,
                     l->ttl_max >= l->neg_ttl_max ? K_TTL_MAX : K_NEG_TTL_MAX);
        return fail(p, line, PC_ECONFIG,
                    "resolver-cache-max-ttl (%u) is greater than the longest cache lifetime, "
                    "max(ttl-max, negative-ttl-max) = %u",
                    c->resolver.cache_max_ttl, (unsigned)longest);
    }
    /* ... and a negative answer no longer than negative-ttl-max, so that
     * when LMDB's copy expires the next lookup really asks again */
    c->resolver.cache_max_negative_ttl =
        l->neg_ttl_max < c->resolver.cache_max_ttl ? l->neg_ttl_max : c->resolver.cache_max_ttl;
    return 0;
}

/* ---- whole texts and files ---- */

static int parse_text(parser_t *p, const char *text, size_t len)
{
    char line[PC_CONFIG_LINE_MAX + 1];
    size_t off = 0;
    int rc;

    if (len > PC_CONFIG_FILE_MAX)
        return fail(p, 0, PC_ECONFIG, "larger than %d octets", PC_CONFIG_FILE_MAX);
    while (off < len) {
        const char *s = text + off, *nl = memchr(s, '\n', len - off);
        size_t n = nl != NULL ? (size_t)(nl - s) : len - off;

        off += n + (nl != NULL);
        p->lineno++;
        if (n > 0 && s[n - 1] == '\r')
            n--;
        if (n > PC_CONFIG_LINE_MAX)
            return fail(p, p->lineno, PC_ECONFIG, "line longer than %d octets",
                        PC_CONFIG_LINE_MAX);
        for (size_t i = 0; i < n; i++) {
            unsigned char ch = (unsigned char)s[i];
            if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
                return fail(p, p->lineno, PC_ECONFIG, "invalid octet 0x%02x", ch);
        }
        if (!pc_utf8_valid((const uint8_t *)s, n, NULL))
            return fail(p, p->lineno, PC_ECONFIG, "invalid UTF-8");
        memcpy(line, s, n);
        line[n] = '\0';
        if ((rc = parse_line(p, line)) != 0)
            return rc;
    }
    return validate(p);
}

static int read_file(parser_t *p, const char *path, char **out, size_t *len)
{
    FILE *f = fopen(path, "rbe");
    char *buf;
    size_t n;
    int e;

    if (f == NULL) {
        e = errno;
        return fail(p, 0, e == ENOENT ? PC_ENOENT : e == ENOMEM ? PC_ENOMEM : PC_ECONFIG,
                    "cannot open: %s", strerror(e));
    }
    if ((buf = malloc(PC_CONFIG_FILE_MAX + 1)) == NULL) {
        fclose(f);
        return fail(p, 0, PC_ENOMEM, "out of memory");
    }
    n = fread(buf, 1, PC_CONFIG_FILE_MAX + 1, f); /* one more, to see a file too large */
    e = ferror(f) ? errno : 0;
    fclose(f);
    if (e != 0 || n > PC_CONFIG_FILE_MAX) {
        free(buf);
        return e != 0 ? fail(p, 0, PC_ECONFIG, "cannot read: %s", strerror(e))
                      : fail(p, 0, PC_ECONFIG, "larger than %d octets", PC_CONFIG_FILE_MAX);
    }
    *out = buf;
    *len = n;
    return 0;
}

/* ---- the public functions ---- */

int pc_config_defaults(pc_config_t *c)
{
    char path[4096];
    int rc;

    if (c == NULL)
        return PC_EINVAL;
    memset(c, 0, sizeof(*c));
    c->log_target = PC_LOG_STDERR;
    c->log_level = PC_LOG_NOTICE;
    c->lookup = (pc_lookup_conf_t){.ttl_min = 60, .ttl_max = 86400, .neg_ttl_min = 60,
                                   .neg_ttl_max = 3600, .fail_hold = 5, .bogus_hold = 10,
                                   .timeout_ms = 3000, .max_upstream = 1000,
                                   .insert_rate = 10000};
    c->limits = (pc_server_limits_t){.max_conns = 1024, .max_inflight = 1024,
                                     .max_outbuf = 8u << 20, .idle_ms = 300000};
    c->resolver.cache_max_ttl = 86400; /* max(ttl_max, neg_ttl_max) */
    c->resolver.cache_max_negative_ttl = 3600; /* neg_ttl_max */
    c->map_size = (size_t)1 << 30;
    c->durability = PC_DURABLE_NOSYNC; /* measured: docs/ARCHITECTURE.md */
    c->dmarc_mode = PC_DISC_TREEWALK;
    c->spf_time_limit_ms = 20000; /* RFC 7208 §4.6.4: at least 20 s */
    if ((c->psl_file = strdup(PC_DEFAULT_PSL)) == NULL) {
        rc = PC_ENOMEM;
        goto err;
    }
    if ((rc = pc_path_socket(path, sizeof(path))) != 0)
        goto err;
    rc = PC_ENOMEM;
    if ((c->listen[0].path = strdup(path)) == NULL)
        goto err;
    c->listen[0].mode = 0660;
    c->nlisten = 1;
    if ((rc = pc_path_state_dir(path, sizeof(path))) != 0)
        goto err;
    rc = PC_ENOMEM;
    if ((c->state_dir = strdup(path)) == NULL)
        goto err;
    if (geteuid() == 0 && (c->user = strdup(PC_CONFIG_DEFAULT_USER)) == NULL)
        goto err;
    return 0;
err:
    pc_config_free(c);
    return rc;
}

int pc_config_parse(pc_config_t *c, const char *name, const char *text, size_t len,
                    char *err, size_t cap)
{
    parser_t p;
    int rc;

    if (err != NULL && cap > 0)
        err[0] = '\0';
    if (c == NULL)
        return PC_EINVAL;
    memset(c, 0, sizeof(*c));
    if (name == NULL || (text == NULL && len > 0))
        return PC_EINVAL;
    p = (parser_t){.c = c, .name = name, .err = err, .cap = cap};
    if ((rc = pc_config_defaults(c)) != 0) {
        fail(&p, 0, rc, "built-in defaults: %s", pc_strerror(rc));
        goto err;
    }
    if ((c->source = strdup(name)) == NULL) {
        rc = fail(&p, 0, PC_ENOMEM, "out of memory");
        goto err;
    }
    if ((rc = parse_text(&p, text, len)) != 0)
        goto err;
    return 0;
err:
    pc_config_free(c);
    return rc;
}

int pc_config_load(pc_config_t *c, const char *path, char *err, size_t cap)
{
    parser_t p;
    char *text = NULL;
    size_t len = 0;
    int rc;

    if (err != NULL && cap > 0)
        err[0] = '\0';
    if (c == NULL)
        return PC_EINVAL;
    memset(c, 0, sizeof(*c));
    if (path == NULL)
        return PC_EINVAL;
    p = (parser_t){.name = path, .err = err, .cap = cap};
    if ((rc = read_file(&p, path, &text, &len)) != 0)
        return rc;
    rc = pc_config_parse(c, path, text, len, err, cap);
    free(text);
    return rc;
}

/* A string value, quoted when it is empty or would not read back as is. */
void pc_config_free(pc_config_t *c)
{
    if (c == NULL)
        return;
    free(c->source);
    free(c->user);
    free(c->state_dir);
    free(c->psl_file);
    free(c->spf_receiver);
    for (size_t i = 0; i < c->nlisten && i < PC_CONFIG_MAX_LISTEN; i++) {
        free(c->listen[i].path);
        free(c->listen[i].group);
    }
    pc_resolver_conf_free(&c->resolver);
    pc_access_conf_free(&c->access);
    memset(c, 0, sizeof(*c));
}
