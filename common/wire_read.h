/* Reading the wire format: a cursor over a payload whose every read is
 * checked against what is left (a short read sets `bad`, and reads zeros
 * from then on), for the decoder's files (snapshot_decode.c,
 * snapshot_decode_routes.c) alone. */
#ifndef PHPBPF_WIRE_READ_H
#define PHPBPF_WIRE_READ_H

#include <stdint.h>
#include <string.h>
#include "snapshot.h"

struct cursor {
    const unsigned char *p;
    size_t left;
    int bad;
};

static inline void get(struct cursor *c, void *out, size_t n)
{
    if (c->bad || c->left < n) {
        c->bad = 1;
        memset(out, 0, n);
        return;
    }
    memcpy(out, c->p, n);
    c->p += n;
    c->left -= n;
}

static inline uint16_t get16(struct cursor *c) { uint16_t v; get(c, &v, 2); return v; }
static inline uint32_t get32(struct cursor *c) { uint32_t v; get(c, &v, 4); return v; }
static inline uint64_t get64(struct cursor *c) { uint64_t v; get(c, &v, 8); return v; }

static inline void skip(struct cursor *c, size_t n)
{
    if (c->bad || c->left < n) {
        c->bad = 1;
        return;
    }
    c->p += n;
    c->left -= n;
}

static inline void getstr(struct cursor *c, char *out, size_t outlen)
{
    uint16_t n = get16(c);

    if (n >= outlen || n > c->left) {
        c->bad = 1;
        out[0] = '\0';
        return;
    }
    get(c, out, n);
    out[n] = '\0';
}

/* Its buckets go to *room, which the caller sized by counting them first
 * (skiphist()); indexes must increase, so each bucket comes once. */
static inline void gethist(struct cursor *c, struct phpbpf_sparse *h, struct phpbpf_sparse_bucket **room)
{
    struct phpbpf_sparse_bucket *b = *room;
    uint16_t nnz, j;

    h->count = get64(c);
    h->sum_us = get64(c);
    h->max_us = get64(c);
    nnz = get16(c);
    h->nnz = 0;
    h->bucket = b;
    if (c->bad || nnz > PHPBPF_HIST_BUCKETS || (size_t)nnz * PHPBPF_WIRE_HIST_PAIR > c->left) {
        c->bad = 1;
        return;
    }
    for (j = 0; j < nnz; j++, c->p += PHPBPF_WIRE_HIST_PAIR) {
        uint16_t idx;

        memcpy(&idx, c->p, 2);
        if (idx >= PHPBPF_HIST_BUCKETS || (j && idx <= b[j - 1].idx)) {
            c->bad = 1;
            return;
        }
        b[j].idx = idx;
        memcpy(&b[j].count, c->p + 2, 8);
    }
    c->left -= (size_t)nnz * PHPBPF_WIRE_HIST_PAIR;
    h->nnz = nnz;
    *room = b + nnz;
}

static inline size_t skiphist(struct cursor *c)
{
    uint16_t nnz;

    skip(c, PHPBPF_WIRE_HIST_HEAD - 2);
    nnz = get16(c);
    skip(c, (size_t)nnz * PHPBPF_WIRE_HIST_PAIR);
    return nnz;
}

/* An entry count, refused if it exceeds max, or if the rest of the
 * payload cannot hold that many entries of at least min_size bytes:
 * nothing is allocated for a count a corrupt or hostile reply merely
 * claims. */
static inline int get_count(struct cursor *c, uint32_t max, size_t min_size, uint32_t *n,
                     const char *too_many, const char **err)
{
    *n = get32(c);
    if (c->bad) {
        *err = "truncated snapshot";
        return -1;
    }
    if (*n > max) {
        *err = too_many;
        return -1;
    }
    if ((uint64_t)*n * min_size > c->left) {
        *err = "truncated snapshot entries";
        return -1;
    }
    return 0;
}

/* Room for n entries of `size` bytes followed by nb buckets, in one
 * allocation: a decode makes at most four. */
static inline int get_room(phpbpf_alloc_fn alloc, void *ctx, uint32_t n, size_t size, size_t nb,
                    void **out, struct phpbpf_sparse_bucket **buckets, const char **err)
{
    unsigned char *p = NULL;

    if (n && !(p = alloc(ctx, (size_t)n * size + nb * sizeof(struct phpbpf_sparse_bucket)))) {
        *err = "out of memory";
        return -1;
    }
    *out = p;
    if (buckets)
        *buckets = p ? (struct phpbpf_sparse_bucket *)(p + (size_t)n * size) : NULL;
    return 0;
}

/* A run of frames: their count, then (function, line) pairs. */
static inline size_t skipframes(struct cursor *c)
{
    uint16_t n = get16(c);

    skip(c, (size_t)n * 8);
    return n;
}

/* Frames into **room (sized by a first pass), each naming a function below
 * nfuncs (or any, with nfuncs 0: checked once the functions are known). */
static inline uint32_t getframes(struct cursor *c, struct phpbpf_pframe **room, const struct phpbpf_pframe **out)
{
    uint16_t n = get16(c), j;

    *out = *room;
    if (c->bad || n > PHPBPF_STACK_MAX || (size_t)n * 8 > c->left) {
        c->bad = 1;
        return 0;
    }
    for (j = 0; j < n; j++) {
        (*room)[j].fid = get32(c);
        (*room)[j].line = get32(c);
    }
    *room += n;
    return n;
}

/* The routes' part of a payload into s (snapshot_decode_routes.c). */
int phpbpf_decode_routes(struct cursor *c, struct phpbpf_snapshot *s, phpbpf_alloc_fn alloc,
                         void *ctx, const char **err);

/* The statements' part (snapshot_decode_queries.c), after the functions
 * its frames name. */
int phpbpf_decode_stmts(struct cursor *c, struct phpbpf_snapshot *s, uint32_t max_vhosts,
                        phpbpf_alloc_fn alloc, void *ctx, const char **err);

#endif
