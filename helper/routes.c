/* Routes (bpf/php_routes.bpf.h): the settings before load, the patterns
 * and the vhosts' route counts after it, and the map into a snapshot. */
#include <errno.h>
#include <sys/random.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "helper.h"
#include "log.h"
#include "route.h"
#include "routes.h"
#include "phpbpf.skel.h"

static struct phpbpf_snap_route *rows;
static struct phpbpf_sparse_bucket *row_buckets;
static struct phpbpf_route_key *keys;
static struct phpbpf_route *vals;
static size_t cap;

void phpbpf_routes_prepare(struct phpbpf_helper *h)
{
    struct phpbpf *skel = h->skel;
    uint32_t per = (uint32_t)h->opt->max_routes;

    skel->rodata->max_routes = per;
    skel->rodata->route_npatterns = per ? h->opt->route.n : 0;
    /* Every row there may be, whatever PhpBpfMaxRoutes (rows take memory
     * only once made): a graceful restart that changes it, or turns
     * routes off and on, keeps the map, and the routes' counts go on as
     * the other PHP-side counters do.  The module bounds vhosts x
     * (routes + 1) to this, so each vhost's routes and (other) fit. */
    bpf_map__set_max_entries(skel->maps.routes, PHPBPF_MAX_ROUTE_ROWS);
}

/* CLOCK_REALTIME - CLOCK_MONOTONIC, which the programs add to their clock
 * to compare it with Apache's r->request_time. */
void phpbpf_routes_clock(struct phpbpf_helper *h)
{
    struct timespec rt, mono;

    if (!h->opt->max_routes)
        return;
    clock_gettime(CLOCK_REALTIME, &rt);
    clock_gettime(CLOCK_MONOTONIC, &mono);
    h->skel->bss->wall_offset_ns = ((int64_t)rt.tv_sec - (int64_t)mono.tv_sec) * 1000000000
                                   + ((int64_t)rt.tv_nsec - (int64_t)mono.tv_nsec);
}

/* Reads the whole routes map into keys/vals; how many rows. */
static size_t read_all(int fd)
{
    __u32 count;
    size_t n = 0;
    __u64 in_tok = 0, out_tok = 0;
    void *in = NULL;

    for (;;) {
        int err;

        count = (__u32)(cap - n);
        if (!count)
            break;
        err = bpf_map_lookup_batch(fd, in, &out_tok, keys + n, vals + n, &count, NULL);
        n += count;
        if (err) {
            if (errno != ENOENT)
                logmsg("warn", "cannot read the routes map: %s", strerror(errno));
            break;
        }
        in_tok = out_tok;
        in = &in_tok;
    }
    return n;
}

int phpbpf_routes_loaded(struct phpbpf_helper *h)
{
    int pfd = bpf_map__fd(h->skel->maps.route_patterns);
    unsigned i;

    if (!h->opt->max_routes)
        return 0;
    if (getrandom(&h->skel->bss->route_seed, sizeof(h->skel->bss->route_seed), 0)
        != sizeof(h->skel->bss->route_seed))
        return -1;
    /* Every row the map can hold, reserved once: calloc's pages are
     * touched only as rows come. */
    cap = PHPBPF_MAX_ROUTE_ROWS;
    keys = calloc(cap, sizeof(*keys));
    vals = calloc(cap, sizeof(*vals));
    rows = calloc(cap, sizeof(*rows));
    row_buckets = calloc(cap * 2, PHPBPF_RHIST_BUCKETS * sizeof(*row_buckets));
    if (!keys || !vals || !rows || !row_buckets)
        return -1;
    for (i = 0; i < h->opt->route.n && i < PHPBPF_ROUTE_PATTERNS; i++) {
        struct phpbpf_route_pattern p;
        const char *why = phpbpf_route_pattern_parse(h->opt->route.v[i], &p);
        __u32 k = i;

        /* The module checked them at configtest: a bad one here is a
         * helper started by hand. */
        if (why)
            startup_failure("--route %s: %s", h->opt->route.v[i], why);
        if (bpf_map_update_elem(pfd, &k, &p, 0) != 0)
            return -1;
    }
    phpbpf_routes_clock(h);
    return 0;
}

/* A route histogram in the vhost's bucket layout: each of its buckets is
 * four of the vhost's, counted at the second of them. */
static uint32_t rsparse(struct phpbpf_sparse *s, const struct phpbpf_rhist *h,
                        struct phpbpf_sparse_bucket *room)
{
    uint32_t k, n = 0;

    s->count = h->count;
    s->sum_us = h->sum_us;
    s->max_us = h->max_us;
    for (k = 0; k < PHPBPF_RHIST_BUCKETS; k++)
        if (h->bucket[k]) {
            room[n].idx = (k << PHPBPF_RHIST_SHIFT) + 1;
            room[n].count = h->bucket[k];
            n++;
        }
    s->nnz = n;
    s->bucket = room;
    return n;
}

static int by_vhost_time(const void *a, const void *b)
{
    const struct phpbpf_snap_route *x = a, *y = b;

    if (x->vhost != y->vhost)
        return x->vhost < y->vhost ? -1 : 1;
    if (x->php.sum_us != y->php.sum_us)
        return x->php.sum_us > y->php.sum_us ? -1 : 1;
    return strcmp(x->text, y->text);
}

void phpbpf_routes_snapshot(struct phpbpf_helper *h, struct phpbpf_snapshot *s)
{
    struct phpbpf_sparse_bucket *b = row_buckets;
    size_t n, i, m = 0;

    s->max_routes = (uint32_t)h->opt->max_routes;
    if (!h->opt->max_routes || !keys)
        return;
    phpbpf_routes_clock(h);
    n = read_all(bpf_map__fd(h->skel->maps.routes));
    for (i = 0; i < n; i++) {
        struct phpbpf_snap_route *r;
        const struct phpbpf_route *v = &vals[i];

        if (!v->php.count)
            continue;
        r = &rows[m++];
        r->vhost = keys[i].vhost;
        memcpy(r->text, v->text, sizeof(r->text));
        r->text[sizeof(r->text) - 1] = '\0';
        r->ordinal = v->ordinal;
        b += rsparse(&r->php, &v->php, b);
        b += rsparse(&r->apache, &v->apache, b);
        memcpy(r->status, v->status, sizeof(r->status));
        r->exc_thrown = v->exc_thrown;
        r->errors = v->errors;
        r->on_us = v->on_us;
        r->off_us = v->off_us;
        memcpy(r->wait_us, v->wait_us, sizeof(r->wait_us));
    }
    qsort(rows, m, sizeof(*rows), by_vhost_time);
    s->routes = rows;
    s->nroutes = (uint32_t)m;
}
