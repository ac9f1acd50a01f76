/*
 * touchset.h - the cache's record of recent hits: a bounded in-memory set of
 * cache keys, each with the access stamp it should get. A hit adds its key
 * here instead of writing LMDB; the cache writes the whole set into one
 * write transaction later (evict.c), so a hot entry costs at most one write
 * per PC_EVICT_TOUCH_AGE minutes (evict.h), never one per hit. No I/O, no
 * LMDB.
 */
#ifndef PC_TOUCHSET_H
#define PC_TOUCHSET_H

#include <stddef.h>
#include <stdint.h>

/* Octets of the longest key kept (PC_CACHE_KEY_MAX fits). */
#define PC_TOUCHSET_KEY_MAX 260

typedef struct pc_touchset pc_touchset_t;

/*
 * pc_touchset_new - a set holding at most cap keys (1..1048576). On success
 * *out is owned by the caller until pc_touchset_free(). Returns 0,
 * PC_EINVAL or PC_ENOMEM.
 */
int pc_touchset_new(pc_touchset_t **out, unsigned cap);

/* Free the set. NULL is a no-op. */
void pc_touchset_free(pc_touchset_t *t);

/*
 * pc_touchset_add - remember key (klen octets, copied) with stamp; a key
 * already present keeps the larger of its two stamps. Returns 0, PC_EINVAL
 * (NULL, klen 0 or over PC_TOUCHSET_KEY_MAX) or PC_ETOOBIG (the set is full
 * and the key is new: it is not added).
 */
int pc_touchset_add(pc_touchset_t *t, const uint8_t *key, size_t klen, uint32_t stamp);

/* Keys in the set; 0 for NULL. */
size_t pc_touchset_count(const pc_touchset_t *t);

/* The capacity given to pc_touchset_new; 0 for NULL. */
size_t pc_touchset_cap(const pc_touchset_t *t);

/* Called once per key by pc_touchset_each; key is valid during the call.
 * A non-zero return stops the walk and is returned by pc_touchset_each. */
typedef int (*pc_touchset_cb)(void *arg, const uint8_t *key, size_t klen, uint32_t stamp);

/* Call cb for every key, in insertion order. The callback must not change
 * the set. Returns 0 or the callback's non-zero value. */
int pc_touchset_each(const pc_touchset_t *t, pc_touchset_cb cb, void *arg);

/* Forget every key (cost proportional to the keys held). NULL is a no-op. */
void pc_touchset_clear(pc_touchset_t *t);

#endif /* PC_TOUCHSET_H */
