/*
 * test_prod_reload.c - SIGHUP against the real polcached and the signed
 * world: a good config is applied (and a restart-only change is logged as
 * ignored); bad configs (a syntax error, an unknown allow-user, a resolver
 * that cannot be built) are logged and the old config stays in force; a
 * changed forwarder builds a new libunbound context that then answers,
 * while a query in flight on the old one is still answered (it drains);
 * a trust anchor file that cannot be read stops the start and fails a
 * reload at once (libunbound alone would notice it only at the first
 * query); negative-ttl-max also bounds libunbound's own negative cache, so
 * a record published after an NXDOMAIN is seen once LMDB's copy expires.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon_proc.h"
#include "pcclient.h"
#include "polcache/error.h"
#include "polcache/types.h"
#include "produtil.h"
#include "testutil.h"

static const char *user_line(void)
{
    return getuid() == 0 ? "user: root\n" : "";
}

/* A DMARC request; returns tc_read's result. */
static int ask(tc_t *c, const char *domain, uint32_t id, uint16_t flags)
{
    if (tc_send_record(c, PC_MSG_DMARC, id, flags, domain, NULL) != 0)
        return -1;
    return tc_read(c, 10000);
}

static void test_reload_good_and_bad(void **state)
{
    tc_t *c = malloc(sizeof(*c));
    char base[1500], conf[2000], want[600];
    dproc_t d;
    (void)state;

    dproc_init(&d, NULL);
    snprintf(base, sizeof(base), "%s%s", user_line(), dproc_world_conf());
    pu_write_conf(&d, base);
    dproc_start(&d);
    assert_int_equal(tc_connect(c, d.sock, 2000), 0);
    assert_int_equal(ask(c, "secure.pcw", 1, 0), 0);
    assert_int_equal(tc_u8(c, PC_T_OUTCOME), PC_OUTCOME_FOUND);

    /* a good config: ttl-min applies to the next lookups; map-size needs a restart */
    snprintf(conf, sizeof(conf), "%sttl-min: 1000\nttl-max: 1h\nmap-size: 2G\n", base);
    pu_write_conf(&d, conf);
    assert_int_equal(pu_reload(&d), 1);
    assert_true(pu_log_has(&d, "reload: map-size changed; needs a restart, ignored"));
    snprintf(want, sizeof(want), "configuration reloaded from %s", d.conf);
    assert_true(pu_log_has(&d, want));
    assert_int_equal(pu_ping(c, 2, 5000), 0); /* the open connection goes on */
    assert_int_equal(ask(c, "insecure.pcw", 3, 0), 0);
    assert_int_equal(tc_u8(c, PC_T_CACHE), PC_CACHE_MISS);
    assert_int_equal(tc_u32(c, PC_T_TTL), 1000); /* 300 clamped up to the new ttl-min */

    /* bad configs: logged, counted, the running one stays */
    snprintf(conf, sizeof(conf), "%sttl-min: 2000\nttl-min: abc\n", base);
    pu_write_conf(&d, conf);
    assert_int_equal(pu_reload(&d), 0);
    {
        unsigned n = 4; /* the lines pu_write_conf writes before base */
        for (const char *p = base; *p != '\0'; p++)
            n += *p == '\n';
        snprintf(want, sizeof(want),
                 "reload failed, keeping the running configuration: %s:%u: ttl-min: already set "
                 "on line %u", d.conf, n + 2, n + 1);
    }
    if (!pu_log_has(&d, want))
        fail_msg("no \"%s\" in %s/daemon.log", want, d.dir);

    snprintf(conf, sizeof(conf), "%sallow-user: pc-no-such-user\nttl-min: 2000\n", base);
    pu_write_conf(&d, conf);
    assert_int_equal(pu_reload(&d), 0);
    assert_true(pu_log_has(&d, "reload failed, keeping the running configuration: "
                               "allow-user: no user \"pc-no-such-user\""));

    /* a resolver that cannot be built: an unbound-config that does not exist */
    snprintf(conf, sizeof(conf), "user: %s\nunbound-config: /nonexistent/pc-unbound.conf\n"
             "ttl-min: 2000\n", getuid() == 0 ? "root" : "\"\"");
    pu_write_conf(&d, conf);
    assert_int_equal(pu_reload(&d), 0);
    assert_true(pu_log_has(&d, "reload failed, keeping the running configuration: resolver:"));

    assert_int_equal(pu_stat(d.sock, "daemon.reloads"), 1);
    assert_int_equal(pu_stat(d.sock, "daemon.reload_errors"), 3);
    /* still the config of the good reload: ttl-min 1000, not 2000 or 60 */
    assert_int_equal(ask(c, "cname.secure.pcw", 4, 0), 0);
    assert_int_equal(tc_u8(c, PC_T_OUTCOME), PC_OUTCOME_FOUND);
    assert_int_equal(tc_u8(c, PC_T_CACHE), PC_CACHE_MISS);
    assert_int_equal(tc_u32(c, PC_T_TTL), 1000);
    assert_int_equal(ask(c, "secure.pcw", 5, 0), 0);
    assert_int_equal(tc_u8(c, PC_T_CACHE), PC_CACHE_HIT);

    tc_close(c);
    free(c);
    assert_int_equal(dproc_stop(&d), 0);
    dproc_cleanup(&d);
}

/* A UDP socket on 127.0.0.1 that never answers; returns its port. */
static int silent_udp(int *fd)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);

    *fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(*fd >= 0);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(*fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(getsockname(*fd, (struct sockaddr *)&sa, &len), 0);
    return ntohs(sa.sin_port);
}

static void test_reload_changed_forwarder(void **state)
{
    tc_t *old = malloc(sizeof(*old)), *c = malloc(sizeof(*c));
    char conf[2000];
    dproc_t d;
    int fd, port;
    uint64_t t0;
    (void)state;

    pc_test_world_load();
    port = silent_udp(&fd);
    dproc_init(&d, NULL);
    /* a forwarder that never answers */
    snprintf(conf, sizeof(conf),
             "%sforward-addr: 127.0.0.1@%d\ntrust-anchor-file: %s\ntimeout: 2500ms\n"
             "fail-hold: 1\n",
             user_line(), port, pc_test_env("PC_WORLD_TA"));
    pu_write_conf(&d, conf);
    dproc_start(&d);
    assert_int_equal(tc_connect(old, d.sock, 2000), 0);
    assert_int_equal(tc_connect(c, d.sock, 2000), 0);
    t0 = pu_now_ms();
    assert_int_equal(tc_send_record(old, PC_MSG_DMARC, 1, 0, "secure.pcw", NULL), 0);
    usleep(100000); /* the query is in flight on the first context */

    /* the right forwarder: the world's NSD */
    snprintf(conf, sizeof(conf),
             "%sforward-addr: %s\ntrust-anchor-file: %s\ntimeout: 2500ms\nfail-hold: 1\n",
             user_line(), pc_test_env("PC_WORLD_FWD"), pc_test_env("PC_WORLD_TA"));
    pu_write_conf(&d, conf);
    assert_int_equal(pu_reload(&d), 1);
    assert_true(pu_log_has(&d, "reload: resolver settings changed, new libunbound context"));
    assert_true(pu_now_ms() - t0 < 2000); /* the old query is still in flight */

    /* new lookups go to the new context */
    assert_int_equal(ask(c, "insecure.pcw", 2, 0), 0);
    assert_int_equal(tc_u8(c, PC_T_OUTCOME), PC_OUTCOME_FOUND);
    assert_int_equal(tc_u8(c, PC_T_DNSSEC), PC_DNSSEC_INSECURE);
    assert_int_equal(ask(c, "cname.secure.pcw", 3, 0), 0);
    assert_int_equal(tc_u8(c, PC_T_OUTCOME), PC_OUTCOME_FOUND);
    assert_int_equal(tc_u8(c, PC_T_DNSSEC), PC_DNSSEC_SECURE);

    /* the old context drained: its query was answered (a timeout), not dropped */
    assert_int_equal(tc_read(old, 10000), 0);
    assert_int_equal(old->msg.hdr.id, 1);
    assert_int_equal(tc_u8(old, PC_T_OUTCOME), PC_OUTCOME_TEMPFAIL);
    assert_true(pu_now_ms() - t0 >= 2000);

    /* and the same name now resolves through the new forwarder */
    assert_int_equal(ask(old, "secure.pcw", 4, PC_F_NOCACHE), 0);
    assert_int_equal(tc_u8(old, PC_T_OUTCOME), PC_OUTCOME_FOUND);
    assert_int_equal(tc_u8(old, PC_T_DNSSEC), PC_DNSSEC_SECURE);

    tc_close(old);
    tc_close(c);
    free(old);
    free(c);
    close(fd);
    assert_int_equal(dproc_stop(&d), 0);
    dproc_cleanup(&d);
}

/* A trust anchor file that is not there: the daemon refuses to start, and a
 * reload to such a file keeps the running configuration. */
static void test_missing_anchor(void **state)
{
    char base[1500], conf[2000], cmd[1500];
    tc_t *c = malloc(sizeof(*c));
    int st;
    dproc_t d;
    (void)state;

    dproc_init(&d, NULL);
    snprintf(base, sizeof(base), "%s%s", user_line(), dproc_world_conf());
    snprintf(conf, sizeof(conf), "%strust-anchor-file: /nonexistent/pc-root.key\n", base);
    pu_write_conf(&d, conf);
    snprintf(cmd, sizeof(cmd), "'%s' -f -c '%s' >>'%s/daemon.log' 2>&1",
             pc_test_env("PC_POLCACHED"), d.conf, d.dir);
    st = system(cmd);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 1);
    assert_true(pu_log_has(&d, "cannot set up the resolver: trust-anchor-file "
                               "/nonexistent/pc-root.key: No such file or directory"));
    assert_int_not_equal(access(d.sock, F_OK), 0); /* it never listened */

    /* started with the world's anchor, reloaded to the missing one */
    pu_write_conf(&d, base);
    dproc_start(&d);
    pu_write_conf(&d, conf);
    assert_int_equal(pu_reload(&d), 0);
    assert_true(pu_log_has(&d, "reload failed, keeping the running configuration: resolver: "
                               "trust-anchor-file /nonexistent/pc-root.key"));
    assert_int_equal(tc_connect(c, d.sock, 2000), 0);
    assert_int_equal(ask(c, "secure.pcw", 1, 0), 0);
    assert_int_equal(tc_u8(c, PC_T_OUTCOME), PC_OUTCOME_FOUND);
    assert_int_equal(tc_u8(c, PC_T_DNSSEC), PC_DNSSEC_SECURE);
    tc_close(c);
    free(c);
    assert_int_equal(dproc_stop(&d), 0);
    dproc_cleanup(&d);
}

/* world.py set DIR OWNER TXT [VALUE] on the shared world. */
static void world_txt(const char *owner, const char *value)
{
    char args[800];

    snprintf(args, sizeof(args), "set %s %s TXT %s", pc_test_env("PC_WORLD_DIR"), owner, value);
    if (world_py(args) != 0)
        fail_msg("world.py %s failed", args);
}

static void test_negative_ttl_max(void **state)
{
    char conf[2000], dom[64], owner[80];
    tc_t *c = malloc(sizeof(*c));
    dproc_t d;
    (void)state;

    /* an unsigned zone, so no NSEC can answer for the name later */
    snprintf(dom, sizeof(dom), "negttl-%ld.insecure.pcw", (long)getpid());
    snprintf(owner, sizeof(owner), "_dmarc.%s", dom);
    dproc_init(&d, NULL);
    snprintf(conf, sizeof(conf), "%s%snegative-ttl-min: 0\nnegative-ttl-max: 1\n", user_line(),
             dproc_world_conf());
    pu_write_conf(&d, conf);
    dproc_start(&d);
    assert_int_equal(tc_connect(c, d.sock, 2000), 0);
    assert_int_equal(ask(c, dom, 1, 0), 0);
    assert_int_equal(tc_u8(c, PC_T_OUTCOME), PC_OUTCOME_NXDOMAIN);
    assert_true(tc_u32(c, PC_T_TTL) <= 1);

    /* published now; the world's SOA minimum is 60 s, but neither LMDB nor
     * libunbound may keep the NXDOMAIN longer than 1 s */
    world_txt(owner, "'v=DMARC1; p=none'");
    usleep(2200 * 1000);
    assert_int_equal(ask(c, dom, 2, 0), 0);
    world_txt(owner, "");
    assert_int_equal(tc_u8(c, PC_T_OUTCOME), PC_OUTCOME_FOUND);
    assert_int_equal(tc_u8(c, PC_T_CACHE), PC_CACHE_MISS);
    tc_close(c);
    free(c);
    assert_int_equal(dproc_stop(&d), 0);
    dproc_cleanup(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reload_good_and_bad),
        cmocka_unit_test(test_reload_changed_forwarder),
        cmocka_unit_test(test_missing_anchor),
        cmocka_unit_test(test_negative_ttl_max),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
