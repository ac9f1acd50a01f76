/*
 * fuzz_spf_expand.c - libFuzzer target for SPF macro expansion and the
 * check_host() input helpers (proto/spf_expand.h). Input: one control
 * octet (mode, address family), then NUL-separated fields: the
 * macro-string, the sender, the HELO name, the %{p} name, a domain. Checks:
 * results and lengths stay in bounds and NUL-terminated; domain mode with
 * the smallest buffer (a sliding window) equals a plain expansion into a
 * large buffer truncated by hand per RFC 7208 §7.3; expansion is
 * deterministic; sender splitting and the domain check stay inside their
 * input. Broken invariants abort().
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "polcache/error.h"
#include "spf_expand.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FIELDS 5
#define FIELD_MAX 512
#define BIG (1u << 20)

static void require(int cond)
{
    if (!cond)
        abort();
}

/* The §7.3 rule on a plain expansion, as the reference. */
static size_t truncate_ref(char *s, size_t n)
{
    if (n > 0 && s[n - 1] == '.')
        n--;
    while (n > PC_SPF_DOMAIN_MAX) {
        char *dot = memchr(s, '.', n);
        if (dot == NULL)
            return 0;
        size_t cut = (size_t)(dot - s) + 1;
        memmove(s, s + cut, n - cut);
        n -= cut;
    }
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char big[BIG], small[PC_SPF_EXPAND_MIN], again[PC_SPF_EXPAND_MIN];
    const char *f[FIELDS] = {"", "", "", "", ""};
    size_t fl[FIELDS] = {0};
    pc_spf_macro_env_t env;
    unsigned ctl, mode;
    size_t n1, n2, n3, pos = 1;
    pc_perr_t err;
    int rc1, rc2, rc3;

    if (size < 1)
        return 0;
    ctl = data[0];
    for (int i = 0; i < FIELDS && pos <= size; i++) {
        const uint8_t *end = memchr(data + pos, 0, size - pos);
        size_t n = end != NULL ? (size_t)(end - (data + pos)) : size - pos;
        f[i] = (const char *)data + pos;
        fl[i] = n > FIELD_MAX ? FIELD_MAX : n;
        pos += n + 1;
    }
    memset(&env, 0, sizeof(env));
    require(pc_spf_sender_split(f[1], fl[1], &env.local, &env.local_len, &env.sdomain,
                                &env.sdomain_len) == 0);
    require(env.local_len <= fl[1] || env.local_len == 10);
    require(env.sdomain_len <= fl[1]);
    env.sender = f[1];
    env.sender_len = fl[1];
    env.domain = f[4];
    env.domain_len = fl[4];
    env.helo = f[2];
    env.helo_len = fl[2];
    if (ctl & 4) {
        env.ptr = f[3];
        env.ptr_len = fl[3];
    }
    env.family = (ctl & 8) ? 6 : 4;
    for (int i = 0; i < 16; i++)
        env.ip[i] = (uint8_t)(ctl * 7 + i * 13);
    env.now = 1700000000u + ctl;

    {
        size_t trimmed = 0;
        const char *why = NULL;
        int rc = pc_spf_domain_check(f[4], fl[4], &trimmed, &why);
        require(trimmed <= fl[4]);
        require(rc == 0 ? why == NULL : (rc == PC_ENAME && why != NULL));
    }

    /* explanation or plain mode, into a large buffer */
    mode = (ctl & 1) ? PC_SPF_EXPAND_EXPLAIN : 0;
    rc1 = pc_spf_expand(f[0], fl[0], mode, &env, big, BIG, &n1, &err);
    require(rc1 == 0 || rc1 == PC_ERECORD || rc1 == PC_ETOOBIG);
    require(n1 < BIG && big[n1] == '\0');
    if (rc1 == PC_ERECORD)
        require(err.pos <= fl[0]);

    /* domain mode through the smallest buffer equals the reference */
    rc2 = pc_spf_expand(f[0], fl[0], PC_SPF_EXPAND_DOMAIN, &env, small, sizeof(small), &n2,
                        &err);
    require(rc2 == 0 || rc2 == PC_ERECORD);
    require(n2 <= PC_SPF_DOMAIN_MAX && small[n2] == '\0');
    if (mode == 0)
        require(rc1 == rc2);
    if (rc2 == 0 && mode == 0) {
        size_t ref = truncate_ref(big, n1);
        require(ref == n2 && memcmp(big, small, n2) == 0);
    }
    rc3 = pc_spf_expand(f[0], fl[0], PC_SPF_EXPAND_DOMAIN, &env, again, sizeof(again), &n3,
                        NULL);
    require(rc3 == rc2 && n3 == n2 && memcmp(again, small, n2) == 0);
    return 0;
}
