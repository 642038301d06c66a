// SPDX-License-Identifier: Apache-2.0
/* Routes: at PHP's end, the client's path (the slot's, read at PHP's
 * start) is made into a route (phpbpf_route.h) and the request is counted
 * in its vhost's row of `routes`: PHP and Apache time, status class, PHP
 * errors, exceptions and, with CPU tracing, on/off-CPU time and waits.
 *
 * Here and not in Apache: the module's part of a request is budgeted in
 * instructions, and the normaliser's are a loop over the path.  In the
 * probe PHP already pays for, making a route is one bpf_loop over the
 * path's bytes (the verifier checks the callback once, not each byte),
 * and only when the task's last route was another URL's; then a hash
 * lookup finds its row.
 *
 * Each vhost holds at most max_routes routes (its "(other)" row counts
 * them); the requests of any other route are counted in that row, so a
 * client with 10,000 URLs cannot take the table from the other vhosts. */
#ifndef PHP_ROUTES_BPF_H
#define PHP_ROUTES_BPF_H

#include "phpbpf.bpf.h"

const volatile __u32 max_routes = 0;        /* per vhost; 0: no routes */
const volatile __u32 route_npatterns = 0;   /* PhpBpfRoute patterns in route_patterns */

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, PHPBPF_ROUTE_PATTERNS);
    __type(key, __u32);
    __type(value, struct phpbpf_route_pattern);
} route_patterns SEC(".maps");

struct phpbpf_route_scratch {
    char path[PHPBPF_ROUTE_PATH_READ];
    char query[PHPBPF_ROUTE_QUERY_READ];
    struct phpbpf_route_norm n;
    __u64 hash;
    __u64 acc;              /* the hashes' accumulator (their loops are callbacks) */
    /* A new row: zero but for its text and ordinal, which are all that
     * is ever written here (taken is 0 in every row made). */
    struct phpbpf_route init;
};

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct phpbpf_route_scratch);
} route_scratch SEC(".maps");

/* A per-CPU array lookup is inlined by the verifier: a few instructions
 * per byte, where a pointer passed through the loop's context would have
 * to be proven again. */
static __always_inline struct phpbpf_route_scratch *route_scratch_get(void)
{
    __u32 zero = 0;

    return bpf_map_lookup_elem(&route_scratch, &zero);
}

static long route_path_cb(__u32 i, void *ctx)
{
    struct phpbpf_route_scratch *s = route_scratch_get();

    (void)ctx;
    if (!s)
        return 1;
    phpbpf_route_path_byte(&s->n, (unsigned char)s->path[i & (PHPBPF_ROUTE_PATH_READ - 1)]);
    return 0;
}

static long route_query_cb(__u32 i, void *ctx)
{
    struct phpbpf_route_scratch *s = route_scratch_get();

    (void)ctx;
    if (!s)
        return 1;
    phpbpf_route_query_byte(&s->n, (unsigned char)s->query[i & (PHPBPF_ROUTE_QUERY_READ - 1)]);
    return 0;
}

/* Hashes in bpf_loop callbacks, into s->acc: a loop in the program
 * itself would be followed by the verifier once per length.  A task's last
 * route is known again by this hash of its URL, so it is keyed with the
 * helper's random route_seed and each word mixed down as well as up (a
 * multiply alone carries a byte's change only upward, and URLs that
 * differ in two bytes collided): two URLs that share it by design would
 * count one's request under the other's route. */
static __always_inline __u64 mix_word(__u64 acc, __u64 w)
{
    acc = (acc ^ w) * 0xff51afd7ed558ccdULL;
    return acc ^ (acc >> 33);
}

static long hash_path_cb(__u32 i, void *ctx)
{
    struct phpbpf_route_scratch *s = route_scratch_get();

    (void)ctx;
    if (!s)
        return 1;
    s->acc = mix_word(s->acc, ((const __u64 *)s->path)[i & (PHPBPF_ROUTE_PATH_READ / 8 - 1)]);
    return 0;
}

static long hash_query_cb(__u32 i, void *ctx)
{
    struct phpbpf_route_scratch *s = route_scratch_get();

    (void)ctx;
    if (!s)
        return 1;
    s->acc = mix_word(s->acc, ((const __u64 *)s->query)[i & (PHPBPF_ROUTE_QUERY_READ / 8 - 1)]);
    return 0;
}

/* phpbpf_route_finish()'s hash of the route's text, byte by byte. */
static long hash_out_cb(__u32 i, void *ctx)
{
    struct phpbpf_route_scratch *s = route_scratch_get();

    (void)ctx;
    if (!s || i >= PHPBPF_ROUTE_LEN)
        return 1;
    s->acc = (s->acc ^ (unsigned char)s->n.out[i]) * PHPBPF_ROUTE_HASH_MUL;
    return 0;
}

/* php-fpm's REQUEST_URI holds the query string too: the path ends at its
 * '?' (ctx: the path's length so far, cut there), and what follows it is
 * cleared, for the hash reads the path in words. */
static long route_cut_cb(__u32 i, void *ctx)
{
    struct phpbpf_route_scratch *s = route_scratch_get();
    long *cut = ctx;

    if (!s || i >= PHPBPF_ROUTE_PATH_READ)
        return 1;
    if (i >= (__u32)*cut)
        s->path[i] = '\0';
    else if (s->path[i] == '?')
        *cut = i, s->path[i] = '\0';
    return 0;
}

/* The request's path (and, for a front controller, its query string)
 * into s, and a hash of their bytes into *raw: what the task's last
 * route is known by.  -1 if the path cannot be read. */
static __always_inline int route_read(struct phpbpf_route_scratch *s, struct phpbpf_inflight *f,
                                      __u64 *raw, long *plen, long *qlen)
{
    __u64 query = f->query;
    long len;
    __u32 at;

    *qlen = 0;
    /* Zero first: a string read leaves what was after its NUL. */
    __builtin_memset(s->path, 0, sizeof(s->path));
    len = f->path ? bpf_probe_read_user_str(s->path, sizeof(s->path), (void *)f->path) : -1;
    if (len <= 1)
        return -1;
    *plen = len - 1;
    if (f->fpm) {
        long cut = *plen;

        bpf_loop((__u32)*plen, route_cut_cb, &cut, 0);
        if (cut < *plen)
            query = f->path + (__u64)cut + 1;
        *plen = cut;
        len = cut + 1;
        if (cut < 1)
            return -1;
    }
    s->acc = mix_word(route_seed, (__u64)len);
    bpf_loop((__u32)(*plen + 7) / 8, hash_path_cb, NULL, 0);
    /* A front controller ("/" or a .php script): its query string is part
     * of its route (the names of its parameters). */
    at = (__u32)(*plen - 4) & (PHPBPF_ROUTE_PATH_READ - 1);
    if (query && (*plen == 1 || (*plen >= 4 && at + 4 <= PHPBPF_ROUTE_PATH_READ
                                    && s->path[at] == '.' && s->path[(at + 1) & 255] == 'p'
                                    && s->path[(at + 2) & 255] == 'h'
                                    && s->path[(at + 3) & 255] == 'p'))) {
        __builtin_memset(s->query, 0, sizeof(s->query));
        len = bpf_probe_read_user_str(s->query, sizeof(s->query), (void *)query);
        if (len > 1) {
            *qlen = len - 1;
            s->acc ^= (__u64)len << 32;
            bpf_loop((__u32)(*qlen + 7) / 8, hash_query_cb, NULL, 0);
        }
    }
    *raw = s->acc;
    return 0;
}

/* The route of what route_read() read, into s->n.out and s->hash. */
static __always_inline void route_make(struct phpbpf_route_scratch *s, long plen, long qlen)
{
    __u32 i, l;
    int fc;

    phpbpf_route_init(&s->n);
    bpf_loop((__u32)plen, route_path_cb, NULL, 0);
    fc = phpbpf_route_path_end(&s->n);
    /* The operator's patterns first: the first that matches names it. */
    for (i = 0; i < PHPBPF_ROUTE_PATTERNS && i < route_npatterns; i++) {
        __u32 k = i;
        struct phpbpf_route_pattern *p = bpf_map_lookup_elem(&route_patterns, &k);

        if (p && phpbpf_route_match(&s->n, p)) {
            __builtin_memcpy(s->n.out, p->text, sizeof(s->n.out));
            s->hash = p->hash;
            return;
        }
    }
    if (fc && qlen > 0) {
        bpf_loop((__u32)qlen, route_query_cb, NULL, 0);
        phpbpf_route_query_end(&s->n);
    }
    /* phpbpf_route_finish(), its loop a callback. */
    l = s->n.len;
    if (l > PHPBPF_ROUTE_LEN - 1)
        l = PHPBPF_ROUTE_LEN - 1;
    s->n.len = l;
    s->n.out[l] = '\0';
    s->acc = PHPBPF_ROUTE_HASH_INIT;
    bpf_loop(l, hash_out_cb, NULL, 0);
    s->hash = s->acc | 1;
}

/* The vhost's (other) row, made if it is not there yet. */
static __always_inline struct phpbpf_route *other_row(struct phpbpf_route_scratch *s, __u32 vhost)
{
    struct phpbpf_route_key k = { .vhost = vhost, .hash = PHPBPF_ROUTE_OTHER_HASH };
    struct phpbpf_route *r = bpf_map_lookup_elem(&routes, &k);

    if (r)
        return r;
    __builtin_memcpy(s->init.text, PHPBPF_ROUTE_OTHER, sizeof(PHPBPF_ROUTE_OTHER));
    s->init.ordinal = PHPBPF_ROUTE_ORDINAL_OTHER;
    bpf_map_update_elem(&routes, &k, &s->init, BPF_NOEXIST);
    return bpf_map_lookup_elem(&routes, &k);
}

/* The row of (vhost, hash), the text in s->n.out; a new one while the
 * vhost holds fewer than max_routes (its (other) row counts them), else
 * (other).  A request that ends 4xx takes no new row: a scanner's 404s
 * would fill the table with paths that are not pages. */
static __always_inline struct phpbpf_route *route_row(struct phpbpf_route_scratch *s,
                                                      struct phpbpf_route_key *k, __u32 status)
{
    struct phpbpf_route *r = bpf_map_lookup_elem(&routes, k), *other;
    __u32 ord;

    if (r)
        return r;
    other = other_row(s, k->vhost);
    if (!other || k->hash == PHPBPF_ROUTE_OTHER_HASH || status / 100 == 4
        || other->taken >= max_routes)
        return other;
    /* Taken first, so that two CPUs adding routes at once never hold more
     * than the share between them; given back only if nobody took one
     * since, so that no two routes share an ordinal. */
    ord = __sync_fetch_and_add(&other->taken, 1);
    if (ord >= max_routes) {
        __sync_val_compare_and_swap(&other->taken, ord + 1, ord);
        return other;
    }
    __builtin_memcpy(s->init.text, s->n.out, sizeof(s->init.text));
    s->init.ordinal = ord;
    if (bpf_map_update_elem(&routes, k, &s->init, BPF_NOEXIST) == 0
        && (r = bpf_map_lookup_elem(&routes, k)))
        return r;
    __sync_val_compare_and_swap(&other->taken, ord + 1, ord);
    r = bpf_map_lookup_elem(&routes, k);        /* another CPU made it */
    return r ? r : other;
}

static __always_inline void rhist_add(struct phpbpf_rhist *h, __u64 us)
{
    __u32 idx = phpbpf_hist_bucket(us) >> PHPBPF_RHIST_SHIFT;

    barrier_var(idx);
    hist_count(&h->count, &h->sum_us, &h->max_us, &h->bucket[idx & (PHPBPF_RHIST_BUCKETS - 1)], us);
}

/* The status PHP leaves for Apache to send: 0 if it cannot be read. */
static __always_inline __u32 php_status(const struct phpbpf_inflight *f)
{
    int code = 0;

    if (!f->sg
        || bpf_probe_read_user(&code, sizeof(code), (void *)(f->sg + PHPBPF_SG_RESPONSE_CODE)))
        return 0;
    return (__u32)code;
}

/* Counts the request that ends now in its route's row, and returns the
 * route's text (for the slow log); NULL without routes.  vhost is one the
 * vhost tables have (the slot is the child's memory, which PHP code could
 * write): no row is made for another. */
static __always_inline const char *
route_count(struct phpbpf_inflight *f, __u32 vhost, __u64 now_ns, __u64 php_us, __u64 on_us,
            __u64 off_us)
{
    struct phpbpf_route_scratch *s;
    struct phpbpf_route_key k = { .vhost = vhost };
    struct phpbpf_route *r = NULL;
    __u64 wall_us, apache_us, raw = 0;
    long plen = 0, qlen = 0;
    __u32 cls;

    if (!max_routes || !(s = route_scratch_get()))
        return NULL;
    cls = php_status(f);
    if (route_read(s, f, &raw, &plen, &qlen) != 0) {
        __builtin_memcpy(s->n.out, PHPBPF_ROUTE_OTHER, sizeof(PHPBPF_ROUTE_OTHER));
        k.hash = PHPBPF_ROUTE_OTHER_HASH;
        r = route_row(s, &k, cls);
    }
    else {
        /* The task's last route, if this is the same URL: its row is
         * there for good (rows are never taken out). */
        if (f->rc_raw == raw && f->rc_vhost == vhost) {
            k.hash = f->rc_route;
            r = bpf_map_lookup_elem(&routes, &k);
        }
        if (!r) {
            route_make(s, plen, qlen);
            k.hash = s->hash;
            r = route_row(s, &k, cls);
            if (r && r->ordinal != PHPBPF_ROUTE_ORDINAL_OTHER) {
                f->rc_raw = raw;
                f->rc_route = k.hash;
                f->rc_vhost = vhost;
            }
        }
    }
    if (!r) {
        __sync_fetch_and_add(&counters.routes_lost, 1);
        return s->n.out;
    }
    rhist_add(&r->php, php_us);
    wall_us = (now_ns + (__u64)wall_offset_ns) / 1000;
    apache_us = wall_us > f->req_time_us && f->req_time_us ? wall_us - f->req_time_us : php_us;
    rhist_add(&r->apache, apache_us);
    cls = cls / 100 - 1;
    barrier_var(cls);
    if (cls < 5)
        __sync_fetch_and_add(&r->status[cls], 1);
    if (f->exc_thrown)
        __sync_fetch_and_add(&r->exc_thrown, f->exc_thrown);
    if (f->path && !f->fpm) {
        __u64 errs = 0;

        if (bpf_probe_read_user(&errs, sizeof(errs),
                                (void *)(slot_addr + __builtin_offsetof(struct phpbpf_slot, php_errors))) == 0
            && errs > f->errors_at && errs - f->errors_at < 1000000)
            __sync_fetch_and_add(&r->errors, errs - f->errors_at);
    }
    if (cpu_tracing) {
        int c;

        __sync_fetch_and_add(&r->on_us, on_us);
        __sync_fetch_and_add(&r->off_us, off_us);
        for (c = 0; c < PHPBPF_WAIT_CLASSES; c++)
            if (f->waits[c])
                __sync_fetch_and_add(&r->wait_us[c], f->wait_ns[c] / 1000);
    }
    return r->text;
}

#endif
