/* The maps into a snapshot: counters, histograms straight from the
 * arrays' memory, the helper's tables and the slow log. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include "helper.h"
#include "log.h"
#include "queries.h"
#include "routes.h"
#include "stacks.h"
#include "tables.h"
#include "phpbpf.skel.h"

static struct phpbpf_snap_vhost *snap_room;
/* Every bucket a snapshot could hold, reserved once: only the pages that
 * the buckets in use reach are ever touched. */
static struct phpbpf_sparse_bucket *bucket_room;
static struct phpbpf_slow_event slow_out[PHPBPF_SLOW_MAX];

void phpbpf_collect_init(struct phpbpf_helper *h)
{
    snap_room = calloc(h->opt->vhosts, sizeof(*snap_room));
    bucket_room = calloc((size_t)h->opt->vhosts * 4 + PHPBPF_SNAP_SCRIPTS,
                         PHPBPF_HIST_BUCKETS * sizeof(*bucket_room));
    if (!snap_room || !bucket_room
        || phpbpf_tables_init((unsigned)h->opt->vhosts, (unsigned)h->opt->max_scripts) != 0)
        startup_failure("out of memory for %u vhosts and %u scripts", (unsigned)h->opt->vhosts,
                        (unsigned)h->opt->max_scripts);
}

/* Straight from the maps' memory into the sparse form the reply sends:
 * each histogram is read once, whole copies of them (4 KB each) were most
 * of a snapshot's cost. */
void phpbpf_collect(struct phpbpf_helper *h, struct phpbpf_snapshot *s)
{
    /* What the programs sent until now, in. */
    ring_buffer__consume(h->rings);
    const volatile __u64 *c = (const volatile __u64 *)&h->skel->bss->counters;
    struct phpbpf_sparse_bucket *b = bucket_room;
    unsigned int i;

    memset(s, 0, sizeof(*s));
    s->state = PHPBPF_STATE_ACTIVE;
    s->helper_pid = (uint32_t)getpid();
    s->started_us = h->started_us;
    s->php_since_us = h->skel->bss->php_since_us;
    s->now_us = phpbpf_now_us();
    s->generation = h->generation;
    s->probes = h->probes;
    snprintf(s->untraced, sizeof(s->untraced), "%s", h->untraced);
    for (i = 0; i < PHPBPF_NCOUNTERS; i++)
        s->counters[i] = c[i];
    snprintf(s->library, sizeof(s->library), "%s", h->opt->library);
    s->vhosts = snap_room;
    for (i = 0; i < h->opt->vhosts; i++) {
        struct phpbpf_snap_vhost *v = &snap_room[s->nvhosts];

        if (!h->hists[i].count && !phpbpf_vstats_any(&h->vstats[i]))
            continue;
        memset(v, 0, sizeof(*v));
        v->idx = i;
        b += phpbpf_sparse_from(&v->php, &h->hists[i], b);
        v->v = h->vstats[i];
        if (h->cpus && (h->probes & PHPBPF_PROBE_SCHED_SWITCH)) {
            b += phpbpf_sparse_from(&v->cpu.on, &h->cpus[i].on, b);
            b += phpbpf_sparse_from(&v->cpu.off, &h->cpus[i].off, b);
            v->has_waits = 1;
            v->waits = h->waits[i];
        }
        if (h->compiles)
            b += phpbpf_sparse_from(&v->compile, &h->compiles[i], b);
        s->nvhosts++;
    }
    phpbpf_tables_snapshot(s);
    phpbpf_routes_snapshot(h, s);
    s->window_s = h->opt->window_s;
    s->window_since_us = h->period_start[1] ? h->period_start[1] : h->started_us;
    if (h->opt->slow_us) {
        uint64_t k, n, have;

        n = h->slow_log->n;
        have = n < h->opt->slow_size ? n : h->opt->slow_size;
        for (k = 0; k < have; k++)      /* newest first */
            slow_out[k] = h->slow_log->ev[(n - 1 - k) % PHPBPF_SLOW_MAX];
        s->slow = slow_out;
        s->nslow = (uint32_t)have;
    }
    phpbpf_queries_snapshot(s);
    phpbpf_stacks_snapshot(s);
}
