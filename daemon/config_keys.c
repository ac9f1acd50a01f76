/*
 * config_keys.c - the table of configuration keys, typed access to the
 * fields behind them, and numbers with units. The user's reference is
 * docs/CONFIG.md; keep it in step with the table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_impl.h"
#include "polcache/error.h"

static const char *const log_targets[] = {"stderr", "syslog", NULL};
static const char *const log_levels[] = {"err", "warning", "notice", "info", "debug", NULL};
static const char *const durabilities[] = {"nometasync", "nosync", NULL};
/* by pc_disc_method_t value - 1 */
static const char *const dmarc_modes[] = {"treewalk", "psl", NULL};

#define TTL_LIMIT 604800u  /* 7 days */
#define NEG_LIMIT 86400u   /* RFC 2308 section 5: over a day is problematic */
#define HOLD_LIMIT 300u    /* RFC 9520: failures cached at most 5 minutes */
#define KIB 1024ull

/* The keys, in the order pc_config_print writes them and CONFIG.md lists them. */
const cfg_key_t pc_cfg_keys[] = {
    {"user", K_USER, KIND_NAME, F_OPTIONAL, U_COUNT, 0, 0, NULL},
    {"state-dir", K_STATE_DIR, KIND_PATH, 0, U_COUNT, 0, 0, NULL},
    {"log-target", K_LOG_TARGET, KIND_ENUM, 0, U_COUNT, 0, 0, log_targets},
    {"log-level", K_LOG_LEVEL, KIND_ENUM, 0, U_COUNT, 0, 0, log_levels},
    {"listen", K_LISTEN, KIND_LISTEN, F_LIST, U_COUNT, 0, 0, NULL},
    {"socket-mode", K_SOCKET_MODE, KIND_MODE, F_PER_LISTEN, U_COUNT, 0, 0777, NULL},
    {"socket-group", K_SOCKET_GROUP, KIND_NAME, F_PER_LISTEN | F_OPTIONAL, U_COUNT, 0, 0, NULL},
    {"allow-user", K_ALLOW_USER, KIND_PEER, F_LIST, U_COUNT, 0, 0, NULL},
    {"allow-group", K_ALLOW_GROUP, KIND_PEER, F_LIST, U_COUNT, 0, 0, NULL},
    {"admin-user", K_ADMIN_USER, KIND_PEER, F_LIST, U_COUNT, 0, 0, NULL},
    {"admin-group", K_ADMIN_GROUP, KIND_PEER, F_LIST, U_COUNT, 0, 0, NULL},
    {"max-connections", K_MAX_CONNECTIONS, KIND_NUMBER, 0, U_COUNT, 1, 1000000, NULL},
    {"max-requests-per-connection", K_MAX_REQUESTS, KIND_NUMBER, 0, U_COUNT, 1, 65536, NULL},
    {"max-buffer-per-connection", K_MAX_BUFFER, KIND_NUMBER, 0, U_OCTETS, 128 * KIB,
     KIB * KIB * KIB, NULL},
    {"idle-timeout", K_IDLE_TIMEOUT, KIND_NUMBER, 0, U_SECONDS, 0, 86400, NULL},
    {"forward-addr", K_FORWARD_ADDR, KIND_FORWARD, F_LIST, U_COUNT, 0, 0, NULL},
    {"stub-zone", K_STUB_ZONE, KIND_STUB, F_LIST, U_COUNT, 0, 0, NULL},
    {"trust-anchor-file", K_TRUST_ANCHOR_FILE, KIND_PATH, F_OPTIONAL, U_COUNT, 0, 0, NULL},
    {"auto-trust-anchor-file", K_AUTO_TRUST_ANCHOR_FILE, KIND_PATH, F_OPTIONAL, U_COUNT, 0, 0,
     NULL},
    {"unbound-config", K_UNBOUND_CONFIG, KIND_PATH, F_OPTIONAL, U_COUNT, 0, 0, NULL},
    {"resolver-cache-max-ttl", K_RESOLVER_CACHE_MAX_TTL, KIND_NUMBER, 0, U_SECONDS, 0,
     TTL_LIMIT, NULL},
    {"timeout", K_TIMEOUT, KIND_NUMBER, 0, U_MS, 50, 60000, NULL},
    {"max-upstream", K_MAX_UPSTREAM, KIND_NUMBER, 0, U_COUNT, 0, 1000000, NULL},
    {"cache-insert-rate", K_CACHE_INSERT_RATE, KIND_NUMBER, 0, U_COUNT, 0, 10000000, NULL},
    {"ttl-min", K_TTL_MIN, KIND_NUMBER, 0, U_SECONDS, 0, TTL_LIMIT, NULL},
    {"ttl-max", K_TTL_MAX, KIND_NUMBER, 0, U_SECONDS, 1, TTL_LIMIT, NULL},
    {"negative-ttl-min", K_NEG_TTL_MIN, KIND_NUMBER, 0, U_SECONDS, 0, NEG_LIMIT, NULL},
    {"negative-ttl-max", K_NEG_TTL_MAX, KIND_NUMBER, 0, U_SECONDS, 1, NEG_LIMIT, NULL},
    {"fail-hold", K_FAIL_HOLD, KIND_NUMBER, 0, U_SECONDS, 1, HOLD_LIMIT, NULL},
    {"bogus-hold", K_BOGUS_HOLD, KIND_NUMBER, 0, U_SECONDS, 1, HOLD_LIMIT, NULL},
    {"map-size", K_MAP_SIZE, KIND_NUMBER, 0, U_OCTETS, KIB * KIB, KIB * KIB * KIB * KIB, NULL},
    {"durability", K_DURABILITY, KIND_ENUM, 0, U_COUNT, 0, 0, durabilities},
    {"dmarc-mode", K_DMARC_MODE, KIND_ENUM, 0, U_COUNT, 0, 0, dmarc_modes},
    {"psl-file", K_PSL_FILE, KIND_PATH, 0, U_COUNT, 0, 0, NULL},
    {"spf-time-limit", K_SPF_TIME_LIMIT, KIND_NUMBER, 0, U_MS, 100, 600000, NULL},
    {"spf-receiver", K_SPF_RECEIVER, KIND_HOST, F_OPTIONAL, U_COUNT, 0, 0, NULL},
};
const size_t pc_cfg_nkeys = sizeof(pc_cfg_keys) / sizeof(pc_cfg_keys[0]);

/* Parser state: where each setting came from, for messages and checks. */
/* ---- typed access to the fields behind the keys ---- */

char **pc_cfg_str_slot(pc_config_t *c, key_id_t id, size_t li)
{
    switch (id) {
    case K_USER: return &c->user;
    case K_STATE_DIR: return &c->state_dir;
    case K_SOCKET_GROUP: return &c->listen[li].group;
    case K_TRUST_ANCHOR_FILE: return &c->resolver.trust_anchor_file;
    case K_AUTO_TRUST_ANCHOR_FILE: return &c->resolver.auto_trust_anchor_file;
    case K_UNBOUND_CONFIG: return &c->resolver.unbound_conf;
    case K_PSL_FILE: return &c->psl_file;
    case K_SPF_RECEIVER: return &c->spf_receiver;
    default: return NULL;
    }
}

const char *pc_cfg_str_get(const pc_config_t *c, key_id_t id, size_t li)
{
    pc_config_t view = *c; /* a shallow copy, so str_slot can serve both */
    char **slot = pc_cfg_str_slot(&view, id, li);
    return slot != NULL ? *slot : NULL;
}

/* Numbers, and enums as the index of their name in choices[]. */
uint64_t pc_cfg_num_get(const pc_config_t *c, key_id_t id)
{
    switch (id) {
    case K_LOG_TARGET: return (uint64_t)c->log_target;
    case K_LOG_LEVEL: return (uint64_t)c->log_level;
    case K_DURABILITY: return (uint64_t)c->durability;
    case K_DMARC_MODE: return (uint64_t)c->dmarc_mode - 1;
    case K_RESOLVER_CACHE_MAX_TTL: return c->resolver.cache_max_ttl;
    case K_TIMEOUT: return c->lookup.timeout_ms;
    case K_MAX_UPSTREAM: return c->lookup.max_upstream;
    case K_CACHE_INSERT_RATE: return c->lookup.insert_rate;
    case K_MAX_CONNECTIONS: return c->limits.max_conns;
    case K_MAX_REQUESTS: return c->limits.max_inflight;
    case K_MAX_BUFFER: return c->limits.max_outbuf;
    case K_IDLE_TIMEOUT: return c->limits.idle_ms / 1000;
    case K_TTL_MIN: return c->lookup.ttl_min;
    case K_TTL_MAX: return c->lookup.ttl_max;
    case K_NEG_TTL_MIN: return c->lookup.neg_ttl_min;
    case K_NEG_TTL_MAX: return c->lookup.neg_ttl_max;
    case K_FAIL_HOLD: return c->lookup.fail_hold;
    case K_BOGUS_HOLD: return c->lookup.bogus_hold;
    case K_MAP_SIZE: return c->map_size;
    case K_SPF_TIME_LIMIT: return c->spf_time_limit_ms;
    default: return 0;
    }
}

/* v is already within the key's range (or choices[]), which fits every field. */
void pc_cfg_num_set(pc_config_t *c, key_id_t id, uint64_t v)
{
    switch (id) {
    case K_LOG_TARGET: c->log_target = (pc_log_target_t)v; break;
    case K_LOG_LEVEL: c->log_level = (pc_log_level_t)v; break;
    case K_DURABILITY: c->durability = (pc_durability_t)v; break;
    case K_DMARC_MODE: c->dmarc_mode = (pc_disc_method_t)(v + 1); break;
    case K_SPF_TIME_LIMIT: c->spf_time_limit_ms = (unsigned)v; break;
    case K_RESOLVER_CACHE_MAX_TTL: c->resolver.cache_max_ttl = (unsigned)v; break;
    case K_TIMEOUT: c->lookup.timeout_ms = (unsigned)v; break;
    case K_MAX_UPSTREAM: c->lookup.max_upstream = (unsigned)v; break;
    case K_CACHE_INSERT_RATE: c->lookup.insert_rate = (unsigned)v; break;
    case K_MAX_CONNECTIONS: c->limits.max_conns = (unsigned)v; break;
    case K_MAX_REQUESTS: c->limits.max_inflight = (unsigned)v; break;
    case K_MAX_BUFFER: c->limits.max_outbuf = (size_t)v; break;
    case K_IDLE_TIMEOUT: c->limits.idle_ms = (unsigned)v * 1000; break;
    case K_TTL_MIN: c->lookup.ttl_min = (uint32_t)v; break;
    case K_TTL_MAX: c->lookup.ttl_max = (uint32_t)v; break;
    case K_NEG_TTL_MIN: c->lookup.neg_ttl_min = (uint32_t)v; break;
    case K_NEG_TTL_MAX: c->lookup.neg_ttl_max = (uint32_t)v; break;
    case K_FAIL_HOLD: c->lookup.fail_hold = (uint32_t)v; break;
    case K_BOGUS_HOLD: c->lookup.bogus_hold = (uint32_t)v; break;
    case K_MAP_SIZE: c->map_size = (size_t)v; break;
    default: break;
    }
}

/* ---- numbers ---- */


static uint64_t unit_scale(unit_t u, const char *s)
{
    static const struct { unit_t u; const char *sfx; uint64_t mul; } tab[] = {
        {U_COUNT, "", 1},
        {U_SECONDS, "", 1}, {U_SECONDS, "s", 1}, {U_SECONDS, "m", 60},
        {U_SECONDS, "h", 3600}, {U_SECONDS, "d", 86400},
        {U_MS, "", 1}, {U_MS, "ms", 1}, {U_MS, "s", 1000},
        {U_OCTETS, "", 1}, {U_OCTETS, "K", KIB}, {U_OCTETS, "k", KIB},
        {U_OCTETS, "M", KIB * KIB}, {U_OCTETS, "m", KIB * KIB},
        {U_OCTETS, "G", KIB * KIB * KIB}, {U_OCTETS, "g", KIB * KIB * KIB},
        {U_OCTETS, "T", KIB * KIB * KIB * KIB}, {U_OCTETS, "t", KIB * KIB * KIB * KIB},
    };
    for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
        if (tab[i].u == u && strcmp(tab[i].sfx, s) == 0)
            return tab[i].mul;
    }
    return 0;
}

/* By unit_t, for messages. */
const char *const pc_cfg_unit_hint[] = {"none", "s, m, h or d", "ms or s", "K, M, G or T"};

/* Decimal digits and an optional unit suffix, scaled to the base unit;
 * a value too large for 64 bits becomes UINT64_MAX, out of every range. */
int pc_cfg_scan_number(const char *s, unit_t u, uint64_t *out)
{
    uint64_t v = 0, mul;
    int big = 0;

    if (*s < '0' || *s > '9')
        return NUM_NAN;
    for (; *s >= '0' && *s <= '9'; s++) {
        unsigned d = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - d) / 10)
            big = 1;
        else
            v = v * 10 + d;
    }
    if ((mul = unit_scale(u, s)) == 0)
        return u == U_COUNT ? NUM_NAN : NUM_UNIT;
    *out = (big || v > UINT64_MAX / mul) ? UINT64_MAX : v * mul; /* saturate */
    return NUM_OK;
}

/* The printed form of a value: what pc_config_print writes and the parser
 * reads back to the same number. */
void pc_cfg_fmt_number(char *buf, size_t cap, unit_t u, uint64_t v)
{
    static const char *const sfx[] = {"", "K", "M", "G", "T"};
    unsigned long long x = v;
    int i = 0;

    if (u == U_MS && v > 0 && v % 1000 == 0) {
        snprintf(buf, cap, "%llus", x / 1000);
    } else if (u == U_MS) {
        snprintf(buf, cap, "%llums", x);
    } else {
        while (u == U_OCTETS && x > 0 && x % KIB == 0 && i < 4) {
            x /= KIB;
            i++;
        }
        snprintf(buf, cap, "%llu%s", x, sfx[i]);
    }
}

