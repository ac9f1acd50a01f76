/*
 * cval.c - encode and check cache values (layout in cval.h).
 */
#include <string.h>

#include "cval.h"
#include "polcache/error.h"
#include "polcache/types.h"
#include "wire.h"

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)(v >> 32));
    put32(p + 4, (uint32_t)v);
}

static uint64_t get64(const uint8_t *p)
{
    return (uint64_t)get32(p) << 32 | get32(p + 4);
}

static int fields_valid(const pc_cval_t *v)
{
    return v->rtype >= 1 && v->rtype <= PC_RT_MAX_ && v->outcome >= 1 &&
           v->outcome <= PC_OUTCOME_MAX_ && v->dnssec <= PC_DNSSEC_MAX_ &&
           v->flags == 0 && v->expires >= v->fetched &&
           v->expires - v->fetched == v->ttl && v->body_len <= PC_CVAL_MAX_BODY;
}

size_t pc_cval_size(const pc_cval_t *v)
{
    return PC_CVAL_HDR_LEN + (size_t)v->body_len;
}

int pc_cval_encode(const pc_cval_t *v, uint8_t *out, size_t cap)
{
    if (v == NULL || out == NULL || !fields_valid(v) || (v->body == NULL && v->body_len > 0))
        return PC_EINVAL;
    if (cap < pc_cval_size(v))
        return PC_ETOOBIG;
    out[0] = PC_CVAL_VERSION;
    out[1] = v->rtype;
    out[2] = v->outcome;
    out[3] = v->dnssec;
    put32(out + 4, v->flags);
    put64(out + 8, v->fetched);
    put64(out + 16, v->expires);
    put32(out + 24, v->ttl);
    put32(out + 28, v->stamp);
    put32(out + 32, v->body_len);
    if (v->body_len > 0)
        memcpy(out + PC_CVAL_HDR_LEN, v->body, v->body_len);
    return (int)pc_cval_size(v);
}

int pc_cval_decode(const uint8_t *buf, size_t len, pc_cval_t *out)
{
    if (buf == NULL || out == NULL)
        return PC_EINVAL;
    if (len < PC_CVAL_HDR_LEN || buf[0] != PC_CVAL_VERSION)
        return PC_ECORRUPT;
    out->rtype = buf[1];
    out->outcome = buf[2];
    out->dnssec = buf[3];
    out->flags = get32(buf + 4);
    out->fetched = get64(buf + 8);
    out->expires = get64(buf + 16);
    out->ttl = get32(buf + 24);
    out->stamp = get32(buf + 28);
    out->body_len = get32(buf + 32);
    out->body = buf + PC_CVAL_HDR_LEN;
    if (!fields_valid(out) || len - PC_CVAL_HDR_LEN != out->body_len)
        return PC_ECORRUPT;
    if (pc_wire_check_cache_body(out->body, out->body_len) != 0)
        return PC_ECORRUPT;
    return 0;
}

pc_cval_age_t pc_cval_age_at(const pc_cval_t *v, uint64_t now)
{
    return (now >= v->fetched && now < v->expires) ? PC_CVAL_FRESH : PC_CVAL_EXPIRED;
}

uint32_t pc_cval_ttl_left(const pc_cval_t *v, uint64_t now)
{
    if (pc_cval_age_at(v, now) != PC_CVAL_FRESH)
        return 0;
    return (uint32_t)(v->expires - now);
}

uint32_t pc_cval_age_secs(const pc_cval_t *v, uint64_t now)
{
    if (now <= v->fetched)
        return 0;
    return now - v->fetched > UINT32_MAX ? UINT32_MAX : (uint32_t)(now - v->fetched);
}

void pc_cval_set_stamp(uint8_t *buf, size_t len, uint32_t stamp)
{
    if (buf != NULL && len >= PC_CVAL_HDR_LEN && buf[0] == PC_CVAL_VERSION)
        put32(buf + 28, stamp);
}
