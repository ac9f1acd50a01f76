/*
 * touchset.c - a bounded set of cache keys with access stamps (interface in
 * touchset.h): an array of entries in insertion order plus an
 * open-addressing index (linear probing, at most half full), cleared in
 * time proportional to the entries held.
 */
#include <stdlib.h>
#include <string.h>

#include "polcache/error.h"
#include "touchset.h"

#define TOUCHSET_CAP_MAX 1048576u
#define SLOT_EMPTY UINT32_MAX

typedef struct touch {
    uint32_t stamp;
    uint32_t slot;      /* its index slot, to clear it */
    uint16_t klen;
    uint8_t key[PC_TOUCHSET_KEY_MAX];
} touch_t;

struct pc_touchset {
    touch_t *e;         /* cap entries, n used */
    uint32_t *slots;    /* nslots (a power of two >= 2 * cap) entry indexes */
    size_t n, cap, nslots;
};

static uint32_t fnv1a(const uint8_t *p, size_t n)
{
    uint32_t h = 2166136261u;

    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    return h;
}

int pc_touchset_new(pc_touchset_t **out, unsigned cap)
{
    pc_touchset_t *t;

    if (out == NULL)
        return PC_EINVAL;
    *out = NULL;
    if (cap == 0 || cap > TOUCHSET_CAP_MAX)
        return PC_EINVAL;
    t = calloc(1, sizeof(*t));
    if (t == NULL)
        return PC_ENOMEM;
    t->cap = cap;
    t->nslots = 2;
    while (t->nslots < 2 * (size_t)cap)
        t->nslots *= 2;
    t->e = malloc(cap * sizeof(*t->e));
    t->slots = malloc(t->nslots * sizeof(*t->slots));
    if (t->e == NULL || t->slots == NULL) {
        pc_touchset_free(t);
        return PC_ENOMEM;
    }
    memset(t->slots, 0xff, t->nslots * sizeof(*t->slots)); /* SLOT_EMPTY */
    *out = t;
    return 0;
}

void pc_touchset_free(pc_touchset_t *t)
{
    if (t == NULL)
        return;
    free(t->e);
    free(t->slots);
    free(t);
}

int pc_touchset_add(pc_touchset_t *t, const uint8_t *key, size_t klen, uint32_t stamp)
{
    size_t mask, i;
    touch_t *e;

    if (t == NULL || key == NULL || klen == 0 || klen > PC_TOUCHSET_KEY_MAX)
        return PC_EINVAL;
    mask = t->nslots - 1;
    for (i = fnv1a(key, klen) & mask; t->slots[i] != SLOT_EMPTY; i = (i + 1) & mask) {
        e = &t->e[t->slots[i]];
        if (e->klen == klen && memcmp(e->key, key, klen) == 0) {
            if (stamp > e->stamp)
                e->stamp = stamp;
            return 0;
        }
    }
    if (t->n == t->cap)
        return PC_ETOOBIG;
    e = &t->e[t->n];
    e->stamp = stamp;
    e->slot = (uint32_t)i;
    e->klen = (uint16_t)klen;
    memcpy(e->key, key, klen);
    t->slots[i] = (uint32_t)t->n++;
    return 0;
}

size_t pc_touchset_count(const pc_touchset_t *t)
{
    return t != NULL ? t->n : 0;
}

size_t pc_touchset_cap(const pc_touchset_t *t)
{
    return t != NULL ? t->cap : 0;
}

int pc_touchset_each(const pc_touchset_t *t, pc_touchset_cb cb, void *arg)
{
    int rc;

    if (t == NULL || cb == NULL)
        return 0;
    for (size_t i = 0; i < t->n; i++) {
        rc = cb(arg, t->e[i].key, t->e[i].klen, t->e[i].stamp);
        if (rc != 0)
            return rc;
    }
    return 0;
}

void pc_touchset_clear(pc_touchset_t *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->n; i++)
        t->slots[t->e[i].slot] = SLOT_EMPTY;
    t->n = 0;
}
