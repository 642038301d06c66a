/* The wire format, read: a snapshot's SQL statements (snapshot_decode.c
 * reads the rest), every count and length checked as there. */
#include "wire_read.h"

/* The smallest statement: its numbers, two empty strings, an empty
 * histogram and no frames. */
#define STMT_MIN (3 * 4 + 2 * 2 + PHPBPF_WIRE_HIST_HEAD + 2 * 8 + 2 * 4 + 8 + 2)

/* Buckets and frames of the next n statements; nonzero if corrupt. */
static int stmt_room(struct cursor c, uint32_t n, size_t *nb, size_t *nf)
{
    uint32_t i;

    *nb = *nf = 0;
    for (i = 0; i < n && !c.bad; i++) {
        skip(&c, 3 * 4);
        skip(&c, get16(&c));
        skip(&c, get16(&c));
        *nb += skiphist(&c);
        skip(&c, 2 * 8 + 2 * 4 + 8);
        *nf += skipframes(&c);
    }
    return c.bad;
}

int phpbpf_decode_stmts(struct cursor *c, struct phpbpf_snapshot *s, uint32_t max_vhosts,
                        phpbpf_alloc_fn alloc, void *ctx, const char **err)
{
    struct phpbpf_sparse_bucket *b = NULL;
    struct phpbpf_pframe *fr = NULL;
    unsigned char *mem = NULL;
    uint32_t i, n;
    size_t nb, nf;

    s->queries_state = get32(c);
    getstr(c, s->queries_reason, sizeof(s->queries_reason));
    if (get_count(c, PHPBPF_SNAP_STMTS, STMT_MIN, &n, "too many statements", err) != 0)
        return -1;
    if (stmt_room(*c, n, &nb, &nf)) {
        *err = "truncated or corrupt statement";
        return -1;
    }
    if (n && !(mem = alloc(ctx, n * sizeof(*s->stmts) + nb * sizeof(*b) + nf * sizeof(*fr)))) {
        *err = "out of memory";
        return -1;
    }
    s->stmts = (struct phpbpf_snap_stmt *)mem;
    if (mem) {
        b = (struct phpbpf_sparse_bucket *)(s->stmts + n);
        fr = (struct phpbpf_pframe *)(b + nb);
    }
    for (i = 0; i < n && !c->bad; i++) {
        struct phpbpf_snap_stmt *x = &s->stmts[i];
        uint32_t j;

        x->vhost = get32(c);
        x->system = get32(c);
        x->flags = get32(c);
        getstr(c, x->text, sizeof(x->text));
        getstr(c, x->server, sizeof(x->server));
        gethist(c, &x->time, &b);
        x->ns = get64(c);
        x->errors = get64(c);
        x->caller.fid = get32(c);
        x->caller.line = get32(c);
        x->slowest_ns = get64(c);
        x->nframes = getframes(c, &fr, &x->frame);
        if (x->vhost >= max_vhosts || x->system >= PHPBPF_DB_SYSTEMS
            || x->nframes > PHPBPF_STMT_FRAMES || (x->caller.fid && x->caller.fid >= s->nfuncs))
            c->bad = 1;
        for (j = 0; j < x->nframes; j++)
            if (x->frame[j].fid && x->frame[j].fid >= s->nfuncs)
                c->bad = 1;
    }
    if (c->bad) {
        *err = "truncated or corrupt statement";
        return -1;
    }
    s->nstmts = n;
    if (get_count(c, max_vhosts, 4 + 8, &n, "statements lost by more vhosts than configured", err) != 0
        || get_room(alloc, ctx, n, sizeof(*s->stmts_lost), 0, (void **)&s->stmts_lost, NULL, err) != 0)
        return -1;
    for (i = 0; i < n; i++) {
        s->stmts_lost[i].vhost = get32(c);
        s->stmts_lost[i].lost = get64(c);
        if (s->stmts_lost[i].vhost >= max_vhosts)
            c->bad = 1;
    }
    if (c->bad) {
        *err = "truncated statements lost";
        return -1;
    }
    s->nstmts_lost = n;
    return 0;
}
