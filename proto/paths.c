/*
 * paths.c - default socket, state and config locations (see paths.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "paths.h"
#include "polcache/error.h"

static int out(size_t cap, int n)
{
    return (n < 0 || (size_t)n >= cap) ? PC_ETOOBIG : 0;
}

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return (v != NULL && v[0] == '/') ? v : NULL;
}

int pc_path_socket(char *buf, size_t cap)
{
    const char *rt;

    if (geteuid() == 0)
        return out(cap, snprintf(buf, cap, "%s", PC_ROOT_SOCKET));
    if ((rt = env("XDG_RUNTIME_DIR")) != NULL)
        return out(cap, snprintf(buf, cap, "%s/polcache/polcached.sock", rt));
    return out(cap, snprintf(buf, cap, "/tmp/polcache-%u/polcached.sock", (unsigned)getuid()));
}

int pc_path_state_dir(char *buf, size_t cap)
{
    const char *s;

    if (geteuid() == 0)
        return out(cap, snprintf(buf, cap, "%s", PC_ROOT_STATE_DIR));
    if ((s = env("XDG_STATE_HOME")) != NULL)
        return out(cap, snprintf(buf, cap, "%s/polcache", s));
    if ((s = env("HOME")) != NULL)
        return out(cap, snprintf(buf, cap, "%s/.local/state/polcache", s));
    return out(cap, snprintf(buf, cap, "/tmp/polcache-%u/state", (unsigned)getuid()));
}

int pc_path_config(char *buf, size_t cap)
{
    const char *s;

    if (geteuid() == 0)
        return out(cap, snprintf(buf, cap, "%s", PC_ROOT_CONFIG));
    if ((s = env("XDG_CONFIG_HOME")) != NULL)
        return out(cap, snprintf(buf, cap, "%s/polcache/polcached.conf", s));
    if ((s = env("HOME")) != NULL)
        return out(cap, snprintf(buf, cap, "%s/.config/polcache/polcached.conf", s));
    return out(cap, snprintf(buf, cap, "/tmp/polcache-%u/polcached.conf", (unsigned)getuid()));
}

int pc_path_client_socket(char *buf, size_t cap)
{
    const char *s = getenv(PC_SOCKET_ENV);

    if (s != NULL && s[0] != '\0')
        return out(cap, snprintf(buf, cap, "%s", s));
    return pc_path_socket(buf, cap);
}
