/*
 * walkutil.c - helpers of the DMARC discovery end-to-end tests.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "polcache/types.h"
#include "walkutil.h"


tc_t *C;

void ask(dproc_t *d, const char *domain, uint8_t method, reply_t *r)
{
    pc_wbuf_t b;

    memset(r, 0, sizeof(*r));
    assert_int_equal(tc_connect(C, d->sock, 2000), 0);
    pc_wbuf_init(&b, 0);
    pc_wbuf_frame_begin(&b, PC_MSG_DMARC, 0, 1);
    pc_wbuf_str(&b, PC_T_DOMAIN, domain);
    pc_wbuf_u8(&b, PC_T_DISCOVER | PC_TLV_CRITICAL, method);
    assert_int_equal(pc_wbuf_frame_end(&b), 0);
    assert_int_equal(tc_send_wbuf(C, &b), 0);
    pc_wbuf_free(&b);
    assert_int_equal(tc_read(C, 15000), 0);
    assert_int_equal(C->msg.hdr.type, PC_MSG_DMARC | PC_MSG_REPLY);
    r->outcome = (int)tc_u8(C, PC_T_OUTCOME);
    r->dnssec = (int)tc_u8(C, PC_T_DNSSEC);
    r->exists = (int)tc_u8(C, PC_T_EXISTS);
    tc_text(C, PC_T_ORG_DOMAIN, r->org, sizeof(r->org));
    tc_text(C, PC_T_POLICY_DOMAIN, r->policy_domain, sizeof(r->policy_domain));
    tc_text(C, PC_T_WHY, r->why, sizeof(r->why));
    tc_field(C, "p", r->p, sizeof(r->p));
    tc_field(C, "sp", r->sp, sizeof(r->sp));
    tc_field(C, "np", r->np, sizeof(r->np));
    for (uint16_t i = 0; i < C->msg.ntlv; i++) {
        pc_tlv_t q;
        if (C->msg.tlv[i].type == PC_T_WALK && r->nwalk < 16 &&
            pc_tlv_find(&C->msg.tlv[i], PC_T_QNAME, &q))
            pc_tlv_copy_text(&q, r->walk[r->nwalk++], sizeof(r->walk[0]));
        if (C->msg.tlv[i].type == PC_T_WARNING)
            pc_tlv_copy_text(&C->msg.tlv[i], r->warning, sizeof(r->warning));
    }
    tc_close(C);
}

int walked(const reply_t *r, const char *qname)
{
    for (unsigned i = 0; i < r->nwalk; i++) {
        if (strcmp(r->walk[i], qname) == 0)
            return 1;
    }
    return 0;
}

/* The policy a receiver applies: p at the policy domain itself, else sp
 * for an existing subdomain, np for a non-existent one. */
const char *applied(const reply_t *r, const char *author)
{
    if (r->outcome != PC_OUTCOME_FOUND)
        return "no-record";
    if (strcmp(r->policy_domain, author) == 0)
        return r->p;
    return r->exists == 2 ? r->np : r->sp;
}

/* ---- building a world from a vector ---- */

static void lower(char *s)
{
    for (; *s; s++)
        if (*s >= 'A' && *s <= 'Z')
            *s = (char)(*s - 'A' + 'a');
}

static const char *tld_of(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot != NULL ? dot + 1 : name;
}

/* zones: one signed zone per TLD holding the vector's records. */
char *extra_from(json_t *records, json_t *exists, const char *silent)
{
    json_t *root = json_object(), *zones = json_array(), *zmap = json_object();
    const char *owner;
    json_t *val;
    char *out;

    json_object_foreach(records, owner, val) {
        char tld[260];
        json_t *z, *recs;
        snprintf(tld, sizeof(tld), "%s.", tld_of(owner));
        z = json_object_get(zmap, tld);
        if (z == NULL) {
            z = json_pack("{s:s, s:s, s:[]}", "name", tld, "mode", "signed", "records");
            json_object_set_new(zmap, tld, z);
        }
        recs = json_object_get(z, "records");
        if (json_is_string(val)) {
            json_array_append_new(recs, json_pack("[s, i, s, s]", owner, 300, "TXT",
                                                  json_string_value(val)));
        } else {
            size_t i;
            json_t *v;
            json_array_foreach(val, i, v)
                json_array_append_new(recs, json_pack("[s, i, s, s]", owner, 300, "TXT",
                                                      json_string_value(v)));
        }
    }
    if (exists != NULL) {
        size_t i;
        json_t *v;
        json_array_foreach(exists, i, v) {
            char name[256], tld[260];
            json_t *z;
            snprintf(name, sizeof(name), "%s", json_string_value(v));
            name[strcspn(name, " ")] = '\0';
            snprintf(tld, sizeof(tld), "%s.", tld_of(name));
            z = json_object_get(zmap, tld);
            if (z == NULL) {
                z = json_pack("{s:s, s:s, s:[]}", "name", tld, "mode", "signed", "records");
                json_object_set_new(zmap, tld, z);
            }
            json_array_append_new(json_object_get(z, "records"),
                                  json_pack("[s, i, s, s]", name, 300, "A", "192.0.2.1"));
        }
    }
    json_object_foreach(zmap, owner, val)
        json_array_append(zones, val);
    json_object_set_new(root, "zones", zones);
    if (silent != NULL)
        json_object_set_new(root, "silent", json_pack("[s]", silent));
    out = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    json_decref(zmap);
    return out;
}


void env_start(env_t *e, const char *extra, const char *mode)
{
    char conf[800];
    pworld_start(&e->w, extra);
    snprintf(conf, sizeof(conf), "%sdmarc-mode: %s\n", pworld_conf(&e->w), mode);
    dproc_init(&e->d, conf);
    dproc_start(&e->d);
}

void env_stop(env_t *e)
{
    assert_int_equal(dproc_stop(&e->d), 0);
    dproc_cleanup(&e->d);
    pworld_stop(&e->w);
}

const char *author_of(json_t *v)
{
    static char buf[300];
    const char *s = json_string_value(json_object_get(v, "author_domain"));
    if (s == NULL)
        s = json_string_value(json_object_get(v, "start"));
    if (s == NULL) {
        const char *from = json_string_value(json_object_get(v, "from"));
        s = from != NULL ? strchr(from, '@') + 1 : NULL;
    }
    snprintf(buf, sizeof(buf), "%s", s != NULL ? s : "");
    lower(buf);
    return buf;
}

