/* The wire format, read: a snapshot's routes (snapshot_decode.c reads
 * the rest), every count and length checked as there. */
#include "wire_read.h"

/* Buckets of the next n routes, or SIZE_MAX.  A first pass. */
static size_t route_buckets(struct cursor c, uint32_t n)
{
    size_t nb = 0;
    uint32_t i;

    for (i = 0; i < n && !c.bad; i++) {
        skip(&c, 4);
        skip(&c, get16(&c));
        skip(&c, 4);
        nb += skiphist(&c);
        nb += skiphist(&c);
        skip(&c, PHPBPF_WIRE_ROUTE_NUMS - 4);
    }
    return c.bad ? SIZE_MAX : nb;
}

int phpbpf_decode_routes(struct cursor *c, struct phpbpf_snapshot *s, phpbpf_alloc_fn alloc,
                         void *ctx, const char **err)
{
    struct phpbpf_sparse_bucket *b;
    uint32_t i, k, n;
    size_t nb;

    s->max_routes = get32(c);
    if (get_count(c, PHPBPF_SNAP_ROUTES, 4 + 2 + 2 * PHPBPF_WIRE_HIST_HEAD + PHPBPF_WIRE_ROUTE_NUMS,
                  &n, "too many routes", err) != 0)
        return -1;
    if ((nb = route_buckets(*c, n)) == SIZE_MAX) {
        *err = "truncated or corrupt route entry";
        return -1;
    }
    if (get_room(alloc, ctx, n, sizeof(*s->routes), nb, (void **)&s->routes, &b, err) != 0)
        return -1;
    for (i = 0; i < n && !c->bad; i++) {
        struct phpbpf_snap_route *r = &s->routes[i];

        r->vhost = get32(c);
        getstr(c, r->text, sizeof(r->text));
        r->ordinal = get32(c);
        gethist(c, &r->php, &b);
        gethist(c, &r->apache, &b);
        for (k = 0; k < 5; k++)
            r->status[k] = get64(c);
        r->exc_thrown = get64(c);
        r->errors = get64(c);
        r->on_us = get64(c);
        r->off_us = get64(c);
        for (k = 0; k < PHPBPF_WAIT_CLASSES; k++)
            r->wait_us[k] = get64(c);
    }
    if (c->bad) {
        *err = "truncated or corrupt route entry";
        return -1;
    }
    s->nroutes = n;
    return 0;
}
