/*
 * paths.h - the default locations that the daemon and the client library
 * agree on. As root (euid 0): /run/polcache/polcached.sock and
 * /var/lib/polcache. Otherwise: $XDG_RUNTIME_DIR/polcache/polcached.sock
 * (fallback /tmp/polcache-<uid>/polcached.sock) and
 * $XDG_STATE_HOME/polcache (fallback $HOME/.local/state/polcache, then
 * /tmp/polcache-<uid>/state). $POLCACHE_SOCKET overrides the socket for
 * clients (the daemon takes -s or the config file instead).
 */
#ifndef PC_PATHS_H
#define PC_PATHS_H

#include <stddef.h>

#define PC_ROOT_SOCKET "/run/polcache/polcached.sock"
#define PC_ROOT_STATE_DIR "/var/lib/polcache"
#define PC_ROOT_CONFIG "/etc/polcache/polcached.conf"
#define PC_SOCKET_ENV "POLCACHE_SOCKET"

/* Each writes a NUL-terminated path into buf and returns 0, or PC_ETOOBIG. */
int pc_path_socket(char *buf, size_t cap);
int pc_path_state_dir(char *buf, size_t cap);
/* Root: PC_ROOT_CONFIG; others: $XDG_CONFIG_HOME/polcache/polcached.conf
 * (fallback $HOME/.config/polcache/polcached.conf). */
int pc_path_config(char *buf, size_t cap);
/* The client's choice: $POLCACHE_SOCKET if set and non-empty, else
 * pc_path_socket. */
int pc_path_client_socket(char *buf, size_t cap);

#endif
