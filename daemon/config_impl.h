/*
 * config_impl.h - the key table of the configuration file and typed
 * access to the fields behind the keys, shared by config.c (parsing),
 * config_keys.c (the table) and config_print.c (printing). Internal.
 */
#ifndef PC_CONFIG_IMPL_H
#define PC_CONFIG_IMPL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/un.h>

#include "config.h"

/* Octets of a socket path, without its NUL (struct sockaddr_un). */
#define SOCKET_PATH_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)
#define NAME_MAX_LEN 32 /* user and group names */

typedef enum key_id {
    K_USER, K_STATE_DIR, K_LOG_TARGET, K_LOG_LEVEL,
    K_LISTEN, K_SOCKET_MODE, K_SOCKET_GROUP,
    K_ALLOW_USER, K_ALLOW_GROUP, K_ADMIN_USER, K_ADMIN_GROUP, /* as pc_peer_list_t */
    K_MAX_CONNECTIONS, K_MAX_REQUESTS, K_MAX_BUFFER, K_IDLE_TIMEOUT, K_CACHE_INSERT_RATE,
    K_FORWARD_ADDR, K_STUB_ZONE, K_TRUST_ANCHOR_FILE, K_AUTO_TRUST_ANCHOR_FILE,
    K_UNBOUND_CONFIG, K_RESOLVER_CACHE_MAX_TTL, K_TIMEOUT, K_MAX_UPSTREAM,
    K_TTL_MIN, K_TTL_MAX, K_NEG_TTL_MIN, K_NEG_TTL_MAX, K_FAIL_HOLD, K_BOGUS_HOLD,
    K_MAP_SIZE, K_DURABILITY, K_DMARC_MODE, K_PSL_FILE, K_SPF_TIME_LIMIT, K_SPF_RECEIVER,
    K_COUNT
} key_id_t;

/* How a key's value is read (one helper per kind, see apply()). */
typedef enum key_kind {
    KIND_NAME,    /* user or group name */
    KIND_PATH,    /* absolute path */
    KIND_ENUM,    /* one word of choices[] */
    KIND_NUMBER,  /* number with the unit's suffixes, in min..max */
    KIND_MODE,    /* octal permission bits */
    KIND_LISTEN,  /* a socket path, list */
    KIND_FORWARD, /* addr[@port], list */
    KIND_STUB,    /* NAME ADDR[@PORT]..., list */
    KIND_PEER,    /* user or group name, list (access.h) */
    KIND_HOST     /* host name: LDH or '_' labels, at most 253 octets */
} key_kind_t;

typedef enum unit {
    U_COUNT,   /* plain number */
    U_SECONDS, /* s m h d */
    U_MS,      /* ms s; a plain number is milliseconds */
    U_OCTETS   /* K M G T, binary */
} unit_t;

#define F_LIST 0x1u       /* may repeat */
#define F_PER_LISTEN 0x2u /* once per listen socket */
#define F_OPTIONAL 0x4u   /* "" leaves it unset */

typedef struct cfg_key {
    const char *name;
    key_id_t id;
    key_kind_t kind;
    unsigned flags;
    unit_t unit;
    uint64_t min, max;
    const char *const *choices; /* KIND_ENUM: names by value, NULL-ended */
} cfg_key_t;

/* The keys, in the order pc_config_print writes them and CONFIG.md lists them. */
extern const cfg_key_t pc_cfg_keys[];
extern const size_t pc_cfg_nkeys;
/* Hint of the suffixes a unit takes, by unit_t. */
extern const char *const pc_cfg_unit_hint[];

/* The string field behind a key (li: the listen entry for per-listen keys). */
char **pc_cfg_str_slot(pc_config_t *c, key_id_t id, size_t li);
const char *pc_cfg_str_get(const pc_config_t *c, key_id_t id, size_t li);
/* Numbers, and enums as the index of their name in choices[]. */
uint64_t pc_cfg_num_get(const pc_config_t *c, key_id_t id);
void pc_cfg_num_set(pc_config_t *c, key_id_t id, uint64_t v);

enum { NUM_OK, NUM_NAN, NUM_UNIT };
/* Read a number with the unit's suffixes: NUM_OK, NUM_NAN or NUM_UNIT. */
int pc_cfg_scan_number(const char *s, unit_t u, uint64_t *out);
/* Print a number with the largest exact suffix of its unit. */
void pc_cfg_fmt_number(char *buf, size_t cap, unit_t u, uint64_t v);

#endif /* PC_CONFIG_IMPL_H */
