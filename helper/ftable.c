#include <stdlib.h>
#include <string.h>

#include "ftable.h"

static uint64_t hash_of(uint32_t vhost, const void *key, uint32_t klen)
{
    const unsigned char *s = key;
    uint64_t h = 0xcbf29ce484222325ULL ^ vhost;
    uint32_t i;

    for (i = 0; i < klen; i++)
        h = (h ^ s[i]) * 0x100000001b3ULL;
    return h ^ (h >> 29);
}

int phpbpf_ftab_init(struct phpbpf_ftab *t, uint32_t cap, uint32_t vhosts)
{
    uint32_t i;

    memset(t, 0, sizeof(*t));
    t->cap = cap ? cap : 1;
    t->vhosts = vhosts ? vhosts : 1;
    for (t->nbuckets = 16; t->nbuckets < 2 * t->cap; t->nbuckets *= 2)
        ;
    t->rnd = 0x9E3779B97F4A7C15ULL;
    t->ent = calloc(t->cap, sizeof(*t->ent));
    t->bucket = calloc(t->nbuckets, sizeof(*t->bucket));
    t->free_e = malloc(t->cap * sizeof(*t->free_e));
    t->v = calloc(t->vhosts, sizeof(*t->v));
    if (!t->ent || !t->bucket || !t->free_e || !t->v) {
        phpbpf_ftab_free(t);
        return -1;
    }
    /* Lowest index first, so a table filled in order is dense. */
    for (i = 0; i < t->cap; i++)
        t->free_e[i] = t->cap - 1 - i;
    t->nfree = t->cap;
    return 0;
}

void phpbpf_ftab_free(struct phpbpf_ftab *t)
{
    uint32_t i;

    for (i = 0; t->ent && i < t->cap; i++) {
        free(t->ent[i].key);
        free(t->ent[i].val);
    }
    for (i = 0; t->v && i < t->vhosts; i++)
        free(t->v[i].e);
    free(t->ent);
    free(t->bucket);
    free(t->free_e);
    free(t->v);
    memset(t, 0, sizeof(*t));
}

struct phpbpf_fent *phpbpf_ftab_find(const struct phpbpf_ftab *t, uint32_t vhost, const void *key,
                                     uint32_t klen)
{
    uint64_t h = hash_of(vhost, key, klen);
    uint32_t i = t->bucket[h & (t->nbuckets - 1)];

    for (; i; i = t->ent[i - 1].next) {
        struct phpbpf_fent *e = &t->ent[i - 1];

        if (e->hash == h && e->vhost == vhost && e->klen == klen && memcmp(e->key, key, klen) == 0)
            return e;
    }
    return NULL;
}

static void take_out(struct phpbpf_ftab *t, uint32_t idx)
{
    struct phpbpf_fent *e = &t->ent[idx];
    struct phpbpf_fvhost *v = &t->v[e->vhost];
    uint32_t *at = &t->bucket[e->hash & (t->nbuckets - 1)];

    while (*at != idx + 1)
        at = &t->ent[*at - 1].next;
    *at = e->next;
    v->e[e->vpos] = v->e[--v->n];
    t->ent[v->e[e->vpos]].vpos = e->vpos;
    if (!v->n)
        t->nactive--;
    free(e->key);
    free(e->val);
    memset(e, 0, sizeof(*e));
    t->free_e[t->nfree++] = idx;
    t->n--;
}

static uint64_t next_rnd(struct phpbpf_ftab *t)
{
    t->rnd ^= t->rnd << 13;
    t->rnd ^= t->rnd >> 7;
    t->rnd ^= t->rnd << 17;
    return t->rnd;
}

/* The vhost to give up an entry for a newcomer of vhost `for_v`: its own
 * if it holds its share, else the one furthest above its share. */
static uint32_t victim_vhost(const struct phpbpf_ftab *t, uint32_t for_v)
{
    uint32_t share = t->cap / (t->nactive + (t->v[for_v].n ? 0 : 1)), i, best = for_v;
    uint32_t most = 0;

    if (!share)
        share = 1;
    if (t->v[for_v].n >= share)
        return for_v;
    for (i = 0; i < t->vhosts; i++)
        if (t->v[i].n > most) {
            most = t->v[i].n;
            best = i;
        }
    return best;
}

/* The least counted of a few of the vhost's entries, the longest unhit
 * among equals. */
static uint32_t victim_entry(struct phpbpf_ftab *t, uint32_t vhost)
{
    const struct phpbpf_fvhost *v = &t->v[vhost];
    uint32_t k, best = v->e[0];

    for (k = 0; k < PHPBPF_FTAB_SAMPLE && k < v->n; k++) {
        uint32_t i = v->n <= PHPBPF_FTAB_SAMPLE ? v->e[k] : v->e[next_rnd(t) % v->n];
        const struct phpbpf_fent *a = &t->ent[i], *b = &t->ent[best];

        if (phpbpf_fent_count(a) < phpbpf_fent_count(b)
            || (phpbpf_fent_count(a) == phpbpf_fent_count(b) && a->last < b->last))
            best = i;
    }
    return best;
}

static void lose(struct phpbpf_ftab *t, uint32_t vhost, uint64_t n, int evicted)
{
    if (evicted)
        t->v[vhost].evicted += n;
    else
        t->v[vhost].dropped += n;
    if (t->sink)
        t->sink[(size_t)vhost * t->sink_stride] += n;
}

static int vhost_add(struct phpbpf_ftab *t, uint32_t vhost, uint32_t idx)
{
    struct phpbpf_fvhost *v = &t->v[vhost];

    if (v->n == v->cap) {
        uint32_t cap = v->cap ? 2 * v->cap : 16;
        uint32_t *e = realloc(v->e, cap * sizeof(*e));

        if (!e)
            return -1;
        v->e = e;
        v->cap = cap;
    }
    if (!v->n)
        t->nactive++;
    t->ent[idx].vpos = v->n;
    v->e[v->n++] = idx;
    return 0;
}

struct phpbpf_fent *phpbpf_ftab_hit(struct phpbpf_ftab *t, uint32_t vhost, const void *key,
                                    uint32_t klen, uint64_t n, int *made)
{
    struct phpbpf_fent *e;
    uint32_t idx;
    uint64_t h;
    void *copy;

    *made = 0;
    if (vhost >= t->vhosts)
        vhost = 0;
    t->tick++;
    if ((e = phpbpf_ftab_find(t, vhost, key, klen)) != NULL) {
        e->count[t->cur] += n;
        e->last = t->tick;
        return e;
    }
    if (!(copy = malloc(klen ? klen : 1))) {
        lose(t, vhost, n, 0);
        return NULL;
    }
    memcpy(copy, key, klen);
    if (!t->nfree) {
        uint32_t vv = victim_vhost(t, vhost), vi = victim_entry(t, vv);

        lose(t, vv, phpbpf_fent_count(&t->ent[vi]), 1);
        take_out(t, vi);
    }
    idx = t->free_e[--t->nfree];
    if (vhost_add(t, vhost, idx) != 0) {
        t->free_e[t->nfree++] = idx;
        free(copy);
        lose(t, vhost, n, 0);
        return NULL;
    }
    h = hash_of(vhost, key, klen);
    e = &t->ent[idx];
    e->hash = h;
    e->vhost = vhost;
    e->klen = klen;
    e->key = copy;
    e->val = NULL;
    e->last = t->tick;
    e->count[t->cur] = n;
    e->count[t->cur ^ 1] = 0;
    e->next = t->bucket[h & (t->nbuckets - 1)];
    t->bucket[h & (t->nbuckets - 1)] = idx + 1;
    t->n++;
    *made = 1;
    return e;
}

void phpbpf_ftab_age(struct phpbpf_ftab *t, void (*age)(void *val, int cur))
{
    uint32_t i;

    t->cur ^= 1;
    for (i = 0; i < t->cap; i++) {
        struct phpbpf_fent *e = &t->ent[i];

        if (!e->key)
            continue;
        e->count[t->cur] = 0;
        if (!e->count[t->cur ^ 1])
            take_out(t, i);
        else if (age && e->val)
            age(e->val, t->cur);
    }
}
