/*
 * cval.c - encode and check cache values (layout in cval.h): the full check
 * when a value is written, header fields and a CRC-32 (zlib) when it is
 * read.
 */
#include <string.h>

#include <zlib.h>

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

/* Header offsets (cval.h). */
#define OFF_BODY_LEN 28
#define OFF_STAMP 32
#define OFF_CRC 36

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

uint32_t pc_cval_crc(const uint8_t *buf, size_t len)
{
    uLong crc;

    if (buf == NULL || len < PC_CVAL_HDR_LEN)
        return 0;
    /* everything but the stamp and the CRC itself */
    crc = crc32_z(0L, buf, OFF_STAMP);
    crc = crc32_z(crc, buf + PC_CVAL_HDR_LEN, len - PC_CVAL_HDR_LEN);
    return (uint32_t)crc;
}

int pc_cval_encode(const pc_cval_t *v, uint8_t *out, size_t cap)
{
    size_t len;

    if (v == NULL || out == NULL || !fields_valid(v) || (v->body == NULL && v->body_len > 0))
        return PC_EINVAL;
    /* the full check of the body, once, on the way in */
    if (v->body_len > 0 && pc_wire_check_cache_body(v->body, v->body_len) != 0)
        return PC_EINVAL;
    len = pc_cval_size(v);
    if (cap < len)
        return PC_ETOOBIG;
    out[0] = PC_CVAL_VERSION;
    out[1] = v->rtype;
    out[2] = v->outcome;
    out[3] = v->dnssec;
    put32(out + 4, v->flags);
    put64(out + 8, v->fetched);
    put64(out + 16, v->expires);
    put32(out + 24, v->ttl);
    put32(out + OFF_BODY_LEN, v->body_len);
    put32(out + OFF_STAMP, v->stamp);
    if (v->body_len > 0)
        memcpy(out + PC_CVAL_HDR_LEN, v->body, v->body_len);
    put32(out + OFF_CRC, pc_cval_crc(out, len));
    return (int)len;
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
    out->body_len = get32(buf + OFF_BODY_LEN);
    out->stamp = get32(buf + OFF_STAMP);
    out->body = buf + PC_CVAL_HDR_LEN;
    if (!fields_valid(out) || len - PC_CVAL_HDR_LEN != out->body_len)
        return PC_ECORRUPT;
    /* the body was checked in full when it was encoded; any change since
     * (of the body or a header field) shows in the CRC */
    if (get32(buf + OFF_CRC) != pc_cval_crc(buf, len))
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
        put32(buf + OFF_STAMP, stamp);
}

int pc_cval_get_stamp(const uint8_t *buf, size_t len, uint32_t *stamp)
{
    if (buf == NULL || stamp == NULL)
        return PC_EINVAL;
    if (len < PC_CVAL_HDR_LEN || buf[0] != PC_CVAL_VERSION)
        return PC_ECORRUPT;
    *stamp = get32(buf + OFF_STAMP);
    return 0;
}
