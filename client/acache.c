/*
 * acache.c - the answer cache: a context may keep the replies to SPF
 * checks, DMARC evaluations and record requests in its own memory and
 * answer the same question again from there, without a round trip to
 * polcached, while three things hold:
 *
 *   - the answer is within the TTL polcached gave it (for a check or an
 *     evaluation, the least freshness left among the DNS answers it used;
 *     polcached gives 0, "do not keep", for temperror, stale or bogus
 *     data, a random pct draw, a %{t} explanation) and within max_age;
 *   - polcached's epoch page (proto/epoch_page.h), mapped read-only, still
 *     shows the value read before the question was first sent: a flush,
 *     a reload, a start or a stop changes it and every kept answer is
 *     dropped; the file's identity is checked at most once a second, so a
 *     page that was removed and created again is noticed within a second;
 *   - the question is the same octets: the request frame encoded with id
 *     0 is the key, so anything that changes the question changes the key.
 *
 * An entry is one block: the key, the reply frame, and the reply's TLV
 * index pointing into that frame copy, so a hit decodes the public result
 * from the index (pcc_reply_decode) without checking the frame again.
 * Entries are in a hash table and an LRU list; the least recently used
 * goes when the table is full. Everything runs with the context locked.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "epoch_page.h"

typedef struct entry entry_t;
struct entry {
    entry_t *hnext;         /* hash chain */
    entry_t *prev, *next;   /* LRU list, most recent first */
    uint64_t hash;
    uint64_t epoch;         /* the page's value before the request was sent */
    uint64_t stored_ms;     /* monotonic, when the reply arrived */
    uint64_t expires_ms;
    uint8_t req_type;
    pc_hdr_t hdr;
    uint16_t ntlv;
    size_t key_len;
    pc_tlv_t *tlv;          /* ntlv, pointing into frame */
    uint8_t *key;
    uint8_t *frame;
};

struct pcc_acache {
    size_t max_entries;
    unsigned max_age_s;
    entry_t **buckets;
    size_t nbuckets;        /* a power of two */
    size_t n;
    entry_t *head, *tail;   /* LRU */
    pc_wbuf_t keybuf;       /* scratch: the key being looked up */
    /* the epoch page */
    pc_epoch_page_t *page;  /* mapped read-only */
    dev_t page_dev;
    ino_t page_ino;
    uint64_t page_checked_ms; /* last attempt to open or check it */
    pc_answer_cache_stats_t st;
};

#define PAGE_RECHECK_MS 1000u

/* Milliseconds of a coarse monotonic clock (a few ms of resolution are
 * plenty for TTLs in seconds, and it costs less than pcc_now_ms). */
static uint64_t coarse_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* A multiply-xor hash, eight octets at a time (keys are request frames). */
static uint64_t hash_key(const uint8_t *p, size_t n)
{
    const uint64_t k = 0x9e3779b97f4a7c15ull;
    uint64_t h = (uint64_t)n * k, w;

    for (; n >= 8; p += 8, n -= 8) {
        memcpy(&w, p, 8);
        h = (h ^ w) * k;
        h ^= h >> 29;
    }
    w = 0;
    memcpy(&w, p, n);
    h = (h ^ w) * k;
    return h ^ (h >> 32);
}

/* ---- the epoch page ---- */

static void page_unmap(pcc_acache_t *a)
{
    if (a->page != NULL)
        munmap(a->page, PC_EPOCH_SIZE);
    a->page = NULL;
}

static void drop_all(pcc_acache_t *a);

/* Map the page beside the socket if it is not mapped, or if the file
 * there is no longer the one mapped (then everything kept goes). */
static void page_check(pcc_acache_t *a, const char *sock_path, uint64_t now)
{
    char path[sizeof(((pc_client_t *)0)->path) + sizeof(PC_EPOCH_SUFFIX)];
    struct stat st;
    void *m;
    int fd;

    if (a->page_checked_ms != 0 && now - a->page_checked_ms < PAGE_RECHECK_MS)
        return;
    a->page_checked_ms = now;
    memcpy(path, sock_path, strlen(sock_path));
    memcpy(path + strlen(sock_path), PC_EPOCH_SUFFIX, sizeof(PC_EPOCH_SUFFIX));
    if (a->page != NULL) {
        if (stat(path, &st) == 0 && st.st_dev == a->page_dev && st.st_ino == a->page_ino)
            return;
        page_unmap(a);
        drop_all(a);
    }
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < (off_t)PC_EPOCH_SIZE) {
        close(fd);
        return;
    }
    m = mmap(NULL, PC_EPOCH_SIZE, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (m == MAP_FAILED)
        return;
    if (pc_epoch_read(m) == 0) {
        munmap(m, PC_EPOCH_SIZE);
        return;
    }
    a->page = m;
    a->page_dev = st.st_dev;
    a->page_ino = st.st_ino;
}

/* ---- entries ---- */

static void lru_unlink(pcc_acache_t *a, entry_t *e)
{
    if (e->prev != NULL)
        e->prev->next = e->next;
    else
        a->head = e->next;
    if (e->next != NULL)
        e->next->prev = e->prev;
    else
        a->tail = e->prev;
    e->prev = e->next = NULL;
}

static void lru_front(pcc_acache_t *a, entry_t *e)
{
    e->next = a->head;
    e->prev = NULL;
    if (a->head != NULL)
        a->head->prev = e;
    a->head = e;
    if (a->tail == NULL)
        a->tail = e;
}

static void entry_remove(pcc_acache_t *a, entry_t *e)
{
    entry_t **pp = &a->buckets[e->hash & (a->nbuckets - 1)];

    while (*pp != e)
        pp = &(*pp)->hnext;
    *pp = e->hnext;
    lru_unlink(a, e);
    a->n--;
    free(e);
}

static void drop_all(pcc_acache_t *a)
{
    while (a->head != NULL)
        entry_remove(a, a->head);
}

static entry_t *find(pcc_acache_t *a, const uint8_t *key, size_t n, uint64_t h)
{
    for (entry_t *e = a->buckets[h & (a->nbuckets - 1)]; e != NULL; e = e->hnext)
        if (e->hash == h && e->key_len == n && memcmp(e->key, key, n) == 0)
            return e;
    return NULL;
}

/* ---- which questions and answers ---- */

static int cacheable(const pcc_reqspec_t *s)
{
    if (s->flags & PC_F_NOCACHE)
        return 0;
    switch (s->type) {
    case PC_MSG_SPF_CHECK:
    case PC_MSG_DMARC_EVAL:
    case PC_MSG_SPF:
    case PC_MSG_DKIM:
        return 1;
    case PC_MSG_DMARC:
        return s->discover == 0; /* a discovery's walk has many TTLs */
    default:
        return 0;
    }
}

/* How long the reply m may be kept, in seconds (0: not at all). */
static uint32_t reply_ttl(uint8_t req_type, const pc_msg_t *m)
{
    const pc_tlv_t *ttl = pc_msg_find(m, PC_T_TTL);

    if (ttl == NULL || m->hdr.type != (req_type | PC_MSG_REPLY))
        return 0; /* an error reply, or a daemon that does not say */
    if (req_type == PC_MSG_DMARC || req_type == PC_MSG_SPF || req_type == PC_MSG_DKIM) {
        uint8_t o = pc_tlv_u8(pc_msg_find(m, PC_T_OUTCOME));
        uint8_t cs = pc_tlv_u8(pc_msg_find(m, PC_T_CACHE));
        if (o == PC_OUTCOME_TEMPFAIL || o == PC_OUTCOME_UNSET || cs == PC_CACHE_STALE)
            return 0;
    }
    return pc_tlv_u32(ttl);
}

/* A reply from memory says so: nothing went upstream for it, and a
 * record's TTL and age are brought up to date. */
static void refresh(pcc_reply_t *rep, const entry_t *e, uint64_t now)
{
    uint32_t left = (uint32_t)((e->expires_ms - now) / 1000u);
    uint32_t aged = (uint32_t)((now - e->stored_ms) / 1000u);

    if (rep->record != NULL) {
        rep->record->cache = PC_CACHE_HIT;
        rep->record->ttl = left;
        rep->record->age += aged;
    } else if (rep->spf != NULL) {
        if (rep->spf->cache == PC_CACHE_MISS)
            rep->spf->cache = PC_CACHE_HIT;
        rep->spf->ttl = left;
    } else if (rep->eval != NULL) {
        rep->eval->ttl = left;
    }
}

/* ---- the context's side ---- */

int pcc_acache_try(pc_client_t *c, pcc_req_t *r, const pcc_reqspec_t *spec, pcc_reply_t *reply)
{
    pcc_acache_t *a = c->ac;
    uint64_t now, h, epoch;
    entry_t *e;
    int rc;

    if (a == NULL || !cacheable(spec))
        return 0;
    now = coarse_ms();
    page_check(a, c->path, now); /* at most once a second */
    epoch = pc_epoch_read(a->page);
    if (epoch == 0)
        return 0; /* no page: nothing is kept */
    pc_wbuf_reset(&a->keybuf);
    if ((rc = pcc_req_encode(&a->keybuf, 0, spec)) != 0)
        return rc;
    h = hash_key(a->keybuf.data, a->keybuf.len);
    e = find(a, a->keybuf.data, a->keybuf.len, h);
    if (e != NULL && (e->epoch != epoch || now >= e->expires_ms)) {
        a->st.dropped++;
        entry_remove(a, e);
        e = NULL;
    }
    if (e != NULL) {
        c->msg->hdr = e->hdr;
        c->msg->ntlv = e->ntlv;
        c->msg->skipped = 0;
        memcpy(c->msg->tlv, e->tlv, e->ntlv * sizeof(pc_tlv_t));
        memset(reply, 0, sizeof(*reply));
        if ((rc = pcc_reply_decode(e->req_type, c->msg, reply)) != 0)
            return rc;
        refresh(reply, e, now);
        lru_unlink(a, e);
        lru_front(a, e);
        a->st.hits++;
        return 1;
    }
    if (r == NULL)
        return 0; /* only a look */
    a->st.misses++;
    r->key = malloc(a->keybuf.len);
    if (r->key != NULL) {
        memcpy(r->key, a->keybuf.data, a->keybuf.len);
        r->key_len = a->keybuf.len;
        r->key_hash = h;
        r->key_epoch = epoch;
    }
    return 0;
}

void pcc_acache_store(pc_client_t *c, const pcc_req_t *r, const pc_msg_t *m,
                      const uint8_t *frame, size_t len)
{
    pcc_acache_t *a = c->ac;
    uint64_t now, ttl_ms;
    size_t tlv_off, key_off, frame_off;
    uint32_t ttl;
    entry_t *e;

    if (a == NULL || r->key == NULL || (ttl = reply_ttl(r->type, m)) == 0)
        return;
    if (pc_epoch_read(a->page) != r->key_epoch)
        return; /* flushed, reloaded or restarted meanwhile */
    now = coarse_ms();
    if (a->max_age_s != 0 && ttl > a->max_age_s)
        ttl = a->max_age_s;
    ttl_ms = (uint64_t)ttl * 1000u;
    if ((e = find(a, r->key, r->key_len, r->key_hash)) != NULL)
        entry_remove(a, e); /* asked twice before an answer came */
    while (a->n >= a->max_entries && a->tail != NULL) {
        a->st.evicted++;
        entry_remove(a, a->tail);
    }
    tlv_off = sizeof(entry_t);
    tlv_off = (tlv_off + alignof(pc_tlv_t) - 1) & ~(alignof(pc_tlv_t) - 1);
    key_off = tlv_off + (size_t)m->ntlv * sizeof(pc_tlv_t);
    frame_off = key_off + r->key_len;
    e = malloc(frame_off + len);
    if (e == NULL)
        return;
    memset(e, 0, sizeof(*e));
    e->tlv = (pc_tlv_t *)((char *)e + tlv_off);
    e->key = (uint8_t *)e + key_off;
    e->frame = (uint8_t *)e + frame_off;
    memcpy(e->key, r->key, r->key_len);
    memcpy(e->frame, frame, len);
    for (uint16_t i = 0; i < m->ntlv; i++) {
        e->tlv[i] = m->tlv[i];
        e->tlv[i].val = e->frame + (m->tlv[i].val - frame); /* into the copy */
    }
    e->ntlv = m->ntlv;
    e->hdr = m->hdr;
    e->key_len = r->key_len;
    e->hash = r->key_hash;
    e->epoch = r->key_epoch;
    e->req_type = r->type;
    e->stored_ms = now;
    e->expires_ms = now + ttl_ms;
    e->hnext = a->buckets[e->hash & (a->nbuckets - 1)];
    a->buckets[e->hash & (a->nbuckets - 1)] = e;
    lru_front(a, e);
    a->n++;
    a->st.stored++;
}

void pcc_acache_free(pcc_acache_t *a)
{
    if (a == NULL)
        return;
    drop_all(a);
    page_unmap(a);
    pc_wbuf_free(&a->keybuf);
    free(a->buckets);
    free(a);
}

/* ---- the public calls ---- */

int pc_client_set_answer_cache(pc_client_t *c, size_t max_entries, unsigned max_age_s)
{
    pcc_acache_t *a = NULL;
    size_t nb = 16;

    if (c == NULL || max_entries > PC_ANSWER_CACHE_MAX)
        return PC_EINVAL;
    if (max_entries > 0) {
        while (nb < max_entries)
            nb <<= 1;
        a = calloc(1, sizeof(*a));
        if (a == NULL || (a->buckets = calloc(nb, sizeof(entry_t *))) == NULL) {
            free(a);
            return PC_ENOMEM;
        }
        a->nbuckets = nb;
        a->max_entries = max_entries;
        a->max_age_s = max_age_s;
        pc_wbuf_init(&a->keybuf, PC_WIRE_MAX_FRAME);
    }
    pcc_lock(c);
    if (a != NULL && c->ac != NULL)
        a->st = c->ac->st; /* the counters go on */
    pcc_acache_free(c->ac);
    c->ac = a;
    if (a != NULL)
        page_check(a, c->path, coarse_ms());
    pcc_unlock(c);
    return 0;
}

int pc_client_answer_cache_stats(pc_client_t *c, pc_answer_cache_stats_t *out)
{
    if (out == NULL || pcc_lock(c) != 0)
        return PC_EINVAL;
    memset(out, 0, sizeof(*out));
    if (c->ac != NULL) {
        *out = c->ac->st;
        out->entries = c->ac->n;
        out->active = pc_epoch_read(c->ac->page) != 0;
    }
    pcc_unlock(c);
    return 0;
}
