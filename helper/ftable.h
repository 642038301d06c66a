/* A bounded table of things counted per vhost (the profile's stacks, the
 * exception classes thrown, the scripts compiled) that stays fair between
 * vhosts and describes recent traffic.  Pure C (malloc), unit-tested.
 *
 * Fair.  Once full, a newcomer takes the place of the least counted entry
 * (the longest unhit among equals) of the vhost furthest above its share,
 * the table divided among the vhosts in it; that is the newcomer's own
 * vhost when it holds its share already.  So one vhost's flood of distinct
 * entries never keeps another vhost's out, and a new hot entry is in from
 * its first hit.  What a vhost loses this way is counted for it.
 *
 * Recent.  Counts are kept by period, this one and the one before.  A new
 * period drops the older counts, and the entries with none left: what the
 * table holds is the last one to two periods.  Before, the tables filled in
 * the first minutes after a start and never changed again. */
#ifndef PHPBPF_FTABLE_H
#define PHPBPF_FTABLE_H

#include <stddef.h>
#include <stdint.h>

/* Entries of the vhost to replace compared to choose one: a sample, not a
 * scan, so that a flood costs the same per hit however big the table. */
#define PHPBPF_FTAB_SAMPLE 8

struct phpbpf_fent {
    uint64_t count[2];            /* [t->cur]: this period's, the other: the one before */
    uint64_t last;                /* the table's tick when last hit */
    uint64_t hash;
    uint32_t vhost, klen;
    uint32_t next;                /* hash chain: entry index + 1, 0 ends it */
    uint32_t vpos;                /* where it is in its vhost's list */
    void *key;                    /* klen bytes; NULL: a free entry */
    void *val;                    /* the owner's, made by it, freed with free() */
};

struct phpbpf_fvhost {
    uint32_t *e, n, cap;          /* its entries */
    uint64_t evicted;             /* hits of its entries taken out for others' */
    uint64_t dropped;             /* hits no entry could be had for (memory) */
};

struct phpbpf_ftab {
    uint32_t cap, vhosts;
    uint32_t n;                   /* entries in use */
    uint32_t nactive;             /* vhosts with entries */
    int cur;                      /* which count[] is this period's */
    uint64_t tick, rnd;
    struct phpbpf_fent *ent;      /* cap of them */
    uint32_t *bucket, nbuckets;   /* heads of the hash chains: entry index + 1 */
    uint32_t *free_e, nfree;
    struct phpbpf_fvhost *v;      /* per vhost */
    /* Where else to add what a vhost loses, if set: sink[vhost * stride]
     * (a map that outlives the helper). */
    uint64_t *sink;
    uint32_t sink_stride;
};

/* 0, or -1 out of memory. */
int phpbpf_ftab_init(struct phpbpf_ftab *t, uint32_t cap, uint32_t vhosts);
void phpbpf_ftab_free(struct phpbpf_ftab *t);

/* n hits of (vhost, key) counted in this period: its entry, made if need
 * be (in another's place when full: *made is 1, and its val NULL for the
 * owner to fill).  NULL if no entry could be had (counted as dropped). */
struct phpbpf_fent *phpbpf_ftab_hit(struct phpbpf_ftab *t, uint32_t vhost, const void *key,
                                    uint32_t klen, uint64_t n, int *made);

/* The entry of (vhost, key), or NULL. */
struct phpbpf_fent *phpbpf_ftab_find(const struct phpbpf_ftab *t, uint32_t vhost, const void *key,
                                     uint32_t klen);

/* A new period: the older counts go, and entries with none left.  age(val,
 * cur) lets the owner do the same to what it keeps per entry by period. */
void phpbpf_ftab_age(struct phpbpf_ftab *t, void (*age)(void *val, int cur));

/* What an entry shows: its last one to two periods. */
static inline uint64_t phpbpf_fent_count(const struct phpbpf_fent *e)
{
    return e->count[0] + e->count[1];
}

#endif
