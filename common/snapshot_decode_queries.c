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

/* A slow request's statement: its text, count, flags, time and caller. */
#define REQ_STMT_MIN (2 + 4 + 4 + 8 + 4 + 4)

/* The slow requests' statements: as many as the slow log sent, or none. */
static int decode_slow_stmts(struct cursor *c, struct phpbpf_snapshot *s, phpbpf_alloc_fn alloc,
                             void *ctx, const char **err)
{
    struct phpbpf_snap_req_stmt *room = NULL;
    struct cursor pass;
    uint32_t i, j, n;
    size_t total = 0;

    if (get_count(c, s->nslow, 4 + 8 + 8 + 4, &n, "statements of more slow requests than sent", err) != 0)
        return -1;
    if (!n)
        return 0;
    if (n != s->nslow) {
        *err = "statements of fewer slow requests than sent";
        return -1;
    }
    pass = *c;
    for (i = 0; i < n && !pass.bad; i++) {
        uint32_t m;

        skip(&pass, 4 + 8 + 8);
        m = get32(&pass);
        if (m > PHPBPF_SLOW_STMTS || (uint64_t)m * REQ_STMT_MIN > pass.left) {
            pass.bad = 1;
            break;
        }
        total += m;
        for (j = 0; j < m && !pass.bad; j++) {
            skip(&pass, get16(&pass));
            skip(&pass, REQ_STMT_MIN - 2);
        }
    }
    if (pass.bad || !(s->slow_stmts = alloc(ctx, n * sizeof(*s->slow_stmts) + total * sizeof(*room)))) {
        *err = pass.bad ? "truncated or corrupt slow request statements" : "out of memory";
        return -1;
    }
    room = (struct phpbpf_snap_req_stmt *)(s->slow_stmts + n);
    for (i = 0; i < n; i++) {
        struct phpbpf_snap_slow_stmts *q = &s->slow_stmts[i];

        q->known = get32(c);
        q->count = get64(c);
        q->ns = get64(c);
        q->n = get32(c);
        q->stmt = room;
        for (j = 0; j < q->n; j++, room++) {
            getstr(c, room->text, sizeof(room->text));
            room->count = get32(c);
            room->flags = get32(c);
            room->ns = get64(c);
            room->caller.fid = get32(c);
            room->caller.line = get32(c);
            if (room->caller.fid && room->caller.fid >= s->nfuncs)
                c->bad = 1;
        }
    }
    if (c->bad) {
        *err = "truncated or corrupt slow request statements";
        return -1;
    }
    return 0;
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
        /* A frame names a function of the snapshot, (unknown) included. */
        for (j = 0; j < x->nframes; j++)
            if (x->frame[j].fid >= s->nfuncs)
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
    return decode_slow_stmts(c, s, alloc, ctx, err);
}
