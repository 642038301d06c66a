#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <linux/perf_event.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "stacks.h"
#include "php_layout.h"
#include "phpbpf.skel.h"
#include "profile.h"

static struct phpbpf_stacks_cfg cfg;
static struct phpbpf *skel;
static uint32_t state = PHPBPF_STACKS_OFF;
static char reason[PHPBPF_STR_MAX];
static struct bpf_link **perf_links;
static int nperf;
static struct bpf_link *iter_link;
static int timer_fd = -1;
static struct phpbpf_profile prof;
static int prof_ready;

void phpbpf_stacks_prepare(struct phpbpf *s, const struct phpbpf_stacks_cfg *c)
{
    const char *why = c->php->layout_why;
    int sample, trace;

    skel = s;
    cfg = *c;
    sample = cfg.hz > 0;
    trace = cfg.trace_depth > 0 && cfg.slow_us > 0;
    if ((sample || trace) && why) {
        state = PHPBPF_STACKS_UNAVAILABLE;
        snprintf(reason, sizeof(reason), "%s", why);
        cfg.log("warn", "PHP stacks unavailable: %s; everything else is traced", why);
        sample = trace = 0;
    }
    else if (sample || trace)
        state = PHPBPF_STACKS_ACTIVE;
    if (!sample)
        bpf_program__set_autoload(skel->progs.php_profile, false);
    if (!trace)
        bpf_program__set_autoload(skel->progs.php_backtrace, false);
    /* Waits' call sites are read with the sampler's walker, with it. */
    if (!sample || !cfg.cpu)
        bpf_map__set_max_entries(skel->maps.wait_sites, 1);
    if (!sample && !trace && !(cfg.queries && !why)) {
        bpf_map__set_max_entries(skel->maps.funcs, 1);
        return;
    }
    skel->rodata->wait_sites_on = sample && cfg.cpu;
    skel->rodata->eg_addr = c->php->eg;
    skel->rodata->execute_ex_lo = c->php->ex_lo;
    skel->rodata->execute_ex_hi = c->php->ex_hi;
    skel->rodata->backtrace_depth = trace ? cfg.trace_depth : 0;
    if (phpbpf_profile_init(&prof, cfg.vhosts) == 0)
        prof_ready = 1;
}

/* ------------------------------------------------------------ events */

/* (function, name, kind) -> function id, so that the funcs map is read
 * once per function, not once per frame.  Open addressing; a full table
 * only means more map reads. */
#define FID_SLOTS 16384

struct fid_slot {
    uint64_t func, name;
    uint32_t kind, fid;
};

static struct fid_slot fid_cache[FID_SLOTS];

static uint32_t frame_fid(const struct phpbpf_frame *fr)
{
    uint64_t h = (fr->func * 0x9E3779B97F4A7C15ULL) ^ (fr->name * 31) ^ fr->kind;
    struct phpbpf_func_key key = { fr->func, fr->name };
    struct phpbpf_func_info info;
    struct phpbpf_func f;
    uint32_t i, k, fid;

    for (k = 0; k < 8; k++) {
        struct fid_slot *s = &fid_cache[(h + k) % FID_SLOTS];

        if (s->fid && s->func == fr->func && s->name == fr->name && s->kind == fr->kind)
            return s->fid;
        if (!s->fid)
            break;
    }
    if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.funcs), &key, &info) != 0)
        return 0;               /* its names could not be read: "(unknown)" */
    info.name[sizeof(info.name) - 1] = info.scope[sizeof(info.scope) - 1] = '\0';
    info.file[sizeof(info.file) - 1] = '\0';
    f = (struct phpbpf_func){ fr->kind, info.static_method, info.line_start, info.name, info.scope,
                               info.file };
    if (!(fid = phpbpf_profile_func(&prof, &f)))
        return 0;
    i = (uint32_t)(h % FID_SLOTS);
    for (k = 0; k < 8 && fid_cache[(i + k) % FID_SLOTS].fid; k++)
        ;
    fid_cache[(i + (k < 8 ? k : 0)) % FID_SLOTS] = (struct fid_slot){ fr->func, fr->name, fr->kind, fid };
    return fid;
}

uint32_t phpbpf_stacks_fid(const struct phpbpf_frame *fr)
{
    return prof_ready ? frame_fid(fr) : 0;
}

int phpbpf_stacks_named(void)
{
    return prof_ready;
}

const struct phpbpf_func *phpbpf_stacks_func(uint32_t fid)
{
    return prof_ready && fid && fid < prof.nfuncs ? &prof.func[fid] : NULL;
}

void phpbpf_stacks_sink(uint64_t *stacks, uint32_t stride)
{
    prof.stacks.sink = stacks;
    prof.stacks.sink_stride = stride;
}

void phpbpf_stacks_event(const void *data, size_t len)
{
    const struct phpbpf_stack_event *e = data;
    struct phpbpf_pframe fr[PHPBPF_STACK_MAX];
    uint32_t i, n;

    if (!prof_ready || len < offsetof(struct phpbpf_stack_event, frame))
        return;
    n = e->nframes < PHPBPF_STACK_MAX ? e->nframes : PHPBPF_STACK_MAX;
    if (len < offsetof(struct phpbpf_stack_event, frame) + n * sizeof(e->frame[0]))
        return;
    for (i = 0; i < n; i++)
        fr[i] = (struct phpbpf_pframe){ frame_fid(&e->frame[i]), e->frame[i].line };
    if (e->source == PHPBPF_SRC_SAMPLE)
        phpbpf_profile_sample(&prof, e->vhost, fr, n);
    else {
        struct phpbpf_backtrace bt = { e->pid, n, e->seq, e->elapsed_us, e->truncated, { { 0, 0 } } };

        memcpy(bt.frame, fr, n * sizeof(fr[0]));
        phpbpf_profile_backtrace(&prof, &bt);
    }
}

/* A software CPU-clock event on every CPU, at hz samples a second. */
static void attach_sampler(uint32_t *probes)
{
    int ncpu = libbpf_num_possible_cpus(), cpu;
    struct perf_event_attr attr = {
        .type = PERF_TYPE_SOFTWARE, .size = sizeof(attr), .config = PERF_COUNT_SW_CPU_CLOCK,
        .sample_freq = cfg.hz, .freq = 1,
    };

    if (ncpu <= 0 || !(perf_links = calloc((size_t)ncpu, sizeof(*perf_links))))
        return;
    for (cpu = 0; cpu < ncpu; cpu++) {
        int fd = (int)syscall(__NR_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);

        if (fd < 0) {
            if (errno != ENODEV)            /* an offline CPU */
                cfg.log("warn", "cannot sample CPU %d: %s", cpu, strerror(errno));
            continue;
        }
        if (!(perf_links[nperf] = bpf_program__attach_perf_event(skel->progs.php_profile, fd))) {
            cfg.log("warn", "cannot attach the sampler to CPU %d: %s", cpu, strerror(errno));
            close(fd);
            continue;
        }
        nperf++;
    }
    if (nperf)
        *probes |= PHPBPF_PROBE_PROFILE;
}

/* As often as a quarter of the slow threshold, within 10 ms .. 250 ms: a
 * backtrace is taken within that time of the threshold being crossed. */
static void attach_iterator(uint32_t *probes)
{
    uint64_t ns = cfg.slow_us * 1000 / 4;
    struct itimerspec its;

    if (!(iter_link = bpf_program__attach_iter(skel->progs.php_backtrace, NULL))) {
        cfg.log("warn", "cannot attach the backtrace iterator: %s", strerror(errno));
        return;
    }
    if (ns < 10000000)
        ns = 10000000;
    if (ns > 250000000)
        ns = 250000000;
    its.it_interval.tv_sec = its.it_value.tv_sec = (time_t)(ns / 1000000000);
    its.it_interval.tv_nsec = its.it_value.tv_nsec = (long)(ns % 1000000000);
    timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    if (timer_fd < 0 || timerfd_settime(timer_fd, 0, &its, NULL) != 0) {
        cfg.log("warn", "cannot start the backtrace timer: %s", strerror(errno));
        return;
    }
    *probes |= PHPBPF_PROBE_BACKTRACE;
}

void phpbpf_stacks_attach(struct phpbpf *s, uint32_t *probes)
{
    (void)s;
    if (state != PHPBPF_STACKS_ACTIVE || !prof_ready)
        return;
    if (cfg.hz)
        attach_sampler(probes);
    if (cfg.trace_depth && cfg.slow_us)
        attach_iterator(probes);
}

int phpbpf_stacks_timer_fd(void)
{
    return timer_fd;
}

/* One pass of the iterator over every task: its program does the work. */
void phpbpf_stacks_tick(void)
{
    uint64_t expirations;
    char buf[64];
    int fd;

    if (read(timer_fd, &expirations, sizeof(expirations)) < 0 || !iter_link)
        return;
    fd = bpf_iter_create(bpf_link__fd(iter_link));
    if (fd < 0)
        return;
    while (read(fd, buf, sizeof(buf)) > 0)
        ;
    close(fd);
}

uint32_t phpbpf_read_map(int fd, void *keys, size_t key_size, void *vals, size_t val_size,
                         uint32_t max)
{
    LIBBPF_OPTS(bpf_map_batch_opts, opts);
    __u64 token[PHPBPF_PATH_LEN / 8];   /* the kernel's position: a bucket number */
    void *in = NULL;
    uint32_t got = 0;

    while (got < max) {
        __u32 count = max - got;
        int err = bpf_map_lookup_batch(fd, in, token, (char *)keys + got * key_size,
                                       (char *)vals + got * val_size, &count, &opts);

        if (err && errno != ENOENT) {
            if (cfg.log)
                cfg.log("warn", "reading map %d: %s", fd, strerror(errno));
            break;
        }
        got += count;
        if (err)            /* ENOENT: that was the last bucket */
            break;
        in = token;
    }
    return got;
}

/* ---------------------------------------------------------- snapshot */

/* A snapshot's functions are the profile's own, all of them, numbered as
 * they are there: the stacks' frames go out as the table keeps them, with
 * no copy (a full table's frames are 4.5 MB). */
static struct phpbpf_snap_profile *snap_profiles;
static struct phpbpf_snap_stack *snap_stacks;
static struct phpbpf_snap_backtrace snap_bt[PHPBPF_SLOW_MAX];
static uint32_t *by_vhost;
#define ALL_SITES (PHPBPF_SITE_PARTS * PHPBPF_MAX_WAIT_SITES)
static struct phpbpf_site_key site_keys[ALL_SITES];
static struct phpbpf_site site_vals[ALL_SITES];
static struct phpbpf_snap_site snap_sites[ALL_SITES];

static int by_vhost_count(const void *a, const void *b)
{
    const struct phpbpf_fent *x = &prof.stacks.ent[*(const uint32_t *)a];
    const struct phpbpf_fent *y = &prof.stacks.ent[*(const uint32_t *)b];
    uint64_t cx = phpbpf_fent_count(x), cy = phpbpf_fent_count(y);

    if (x->vhost != y->vhost)
        return x->vhost < y->vhost ? -1 : 1;
    return cx < cy ? 1 : cx > cy ? -1 : 0;
}


static int by_vhost_ns(const void *a, const void *b)
{
    const struct phpbpf_snap_site *x = a, *y = b;

    if (x->vhost != y->vhost)
        return x->vhost < y->vhost ? -1 : 1;
    return x->ns < y->ns ? 1 : x->ns > y->ns ? -1 : 0;
}

static int by_site(const void *a, const void *b)
{
    const struct phpbpf_snap_site *x = a, *y = b;

    if (x->vhost != y->vhost)
        return x->vhost < y->vhost ? -1 : 1;
    if (x->wait_class != y->wait_class)
        return x->wait_class < y->wait_class ? -1 : 1;
    if (x->frame.fid != y->frame.fid)
        return x->frame.fid < y->frame.fid ? -1 : 1;
    return x->frame.line < y->frame.line ? -1 : x->frame.line > y->frame.line;
}

/* Waits by call site, the most time first, PHPBPF_SNAP_SITES_VHOST a vhost.
 * Two oplines of one line (two calls on it), or of code compiled anew for
 * each request, are one site on the page. */
static uint32_t sites(void)
{
    uint32_t n = phpbpf_read_map(bpf_map__fd(skel->maps.wait_sites), site_keys, sizeof(*site_keys),
                                 site_vals, sizeof(*site_vals), ALL_SITES), i, k, m, kept;
    uint32_t cur = UINT32_MAX, run = 0, epoch = skel->bss->sites_epoch;
    /* This period's part of the table and the one before's. */
    uint32_t now = epoch % PHPBPF_SITE_PARTS, before = (epoch + PHPBPF_SITE_PARTS - 1) % PHPBPF_SITE_PARTS;

    for (i = k = 0; i < n; i++) {
        const struct phpbpf_site *v = &site_vals[i];
        struct phpbpf_frame fr = { v->func, v->name, v->line, v->kind };
        const struct phpbpf_site_total *t;

        if (site_keys[i].wait_class >= PHPBPF_WAIT_CLASSES || site_keys[i].vhost >= cfg.vhosts
            || v->idx >= ALL_SITES || (site_keys[i].part != now && site_keys[i].part != before))
            continue;
        /* Read in place while BPF adds to them: ns and count may be one
         * wait apart, never more. */
        t = &skel->bss->site_totals[v->idx];
        if (!t->count)
            continue;
        snap_sites[k++] = (struct phpbpf_snap_site){ site_keys[i].vhost, site_keys[i].wait_class,
                                                     { frame_fid(&fr), v->line },
                                                     __atomic_load_n(&t->count, __ATOMIC_RELAXED),
                                                     __atomic_load_n(&t->ns, __ATOMIC_RELAXED) };
    }
    qsort(snap_sites, k, sizeof(*snap_sites), by_site);
    for (i = m = 0; i < k; i++) {
        if (m && !by_site(&snap_sites[m - 1], &snap_sites[i])) {
            snap_sites[m - 1].count += snap_sites[i].count;
            snap_sites[m - 1].ns += snap_sites[i].ns;
        }
        else
            snap_sites[m++] = snap_sites[i];
    }
    k = m;
    qsort(snap_sites, k, sizeof(*snap_sites), by_vhost_ns);
    for (i = kept = 0; i < k; i++) {
        if (snap_sites[i].vhost != cur) {
            cur = snap_sites[i].vhost;
            run = 0;
        }
        if (run++ >= PHPBPF_SNAP_SITES_VHOST)
            continue;
        snap_sites[kept++] = snap_sites[i];
    }
    return kept;
}



/* The part of the call-site table the next period will use, emptied: its
 * sites are of the period before last (the BPF side no longer charges
 * waits that began then), then the period moves on. */
static void sites_age(void)
{
    uint32_t epoch = skel->bss->sites_epoch, next = (epoch + 1) % PHPBPF_SITE_PARTS, n, i;
    int fd = bpf_map__fd(skel->maps.wait_sites);

    n = phpbpf_read_map(fd, site_keys, sizeof(*site_keys), site_vals, sizeof(*site_vals), ALL_SITES);
    for (i = 0; i < n; i++)
        if (site_keys[i].part == next)
            bpf_map_delete_elem(fd, &site_keys[i]);
    memset(&skel->bss->site_totals[next * PHPBPF_MAX_WAIT_SITES], 0,
           PHPBPF_MAX_WAIT_SITES * sizeof(skel->bss->site_totals[0]));
    memset(skel->bss->vhost_sites[next], 0, sizeof(skel->bss->vhost_sites[next]));
    skel->bss->site_vhosts[next] = 0;
    skel->bss->sites_next[next] = 0;
    __atomic_store_n(&skel->bss->sites_epoch, epoch + 1, __ATOMIC_SEQ_CST);
}

void phpbpf_stacks_age(void)
{
    if (prof_ready)
        phpbpf_profile_age(&prof);
    if (cfg.cpu && cfg.hz && state == PHPBPF_STACKS_ACTIVE)
        sites_age();
}

void phpbpf_stacks_snapshot(struct phpbpf_snapshot *s)
{
    uint32_t i, k, np = 0;

    s->stacks_state = state;
    s->profile_hz = state == PHPBPF_STACKS_ACTIVE && nperf ? cfg.hz : 0;
    snprintf(s->stacks_reason, sizeof(s->stacks_reason), "%s", reason);
    if (!prof_ready)
        return;
    if (!snap_profiles) {
        snap_profiles = calloc(cfg.vhosts, sizeof(*snap_profiles));
        snap_stacks = calloc(PHPBPF_PROFILE_STACKS, sizeof(*snap_stacks));
        by_vhost = calloc(PHPBPF_PROFILE_STACKS, sizeof(*by_vhost));
        if (!snap_profiles || !snap_stacks || !by_vhost)
            return;
    }
    /* Each vhost's stacks together, most samples first. */
    for (i = k = 0; i < prof.stacks.cap; i++)
        if (prof.stacks.ent[i].key)
            by_vhost[k++] = i;
    qsort(by_vhost, k, sizeof(*by_vhost), by_vhost_count);
    for (i = 0; i < k; i++) {
        const struct phpbpf_fent *st = &prof.stacks.ent[by_vhost[i]];
        uint32_t nfr = st->klen / (uint32_t)sizeof(struct phpbpf_pframe);

        if (!np || snap_profiles[np - 1].vhost != st->vhost) {
            snap_profiles[np] = (struct phpbpf_snap_profile){ st->vhost, 0,
                                                              phpbpf_profile_lost(&prof, st->vhost), 0,
                                                              snap_stacks + i };
            np++;
        }
        snap_stacks[i] = (struct phpbpf_snap_stack){ phpbpf_fent_count(st), nfr, st->key };
        snap_profiles[np - 1].samples += phpbpf_fent_count(st);
        snap_profiles[np - 1].nstacks++;
    }
    /* Vhosts with samples lost and none in the table. */
    for (i = 0; i < cfg.vhosts && np < cfg.vhosts; i++)
        if (phpbpf_profile_lost(&prof, i) && !prof.stacks.v[i].n)
            snap_profiles[np++] = (struct phpbpf_snap_profile){ i, 0, phpbpf_profile_lost(&prof, i),
                                                                0, NULL };
    for (i = 0; i < s->nslow; i++) {
        const struct phpbpf_backtrace *bt = phpbpf_profile_find_backtrace(&prof, s->slow[i].pid,
                                                                          s->slow[i].seq);

        snap_bt[i] = (struct phpbpf_snap_backtrace){ 0, 0, 0, 0, NULL };
        if (bt)
            snap_bt[i] = (struct phpbpf_snap_backtrace){ 1, bt->truncated, bt->elapsed_us,
                                                         bt->nframes, bt->frame };
    }
    s->backtraces = s->nslow ? snap_bt : NULL;
    s->nsites = cfg.cpu ? sites() : 0;
    s->sites = snap_sites;
    /* Last: the call sites may have named new functions. */
    s->funcs = prof.func;
    s->nfuncs = prof.nfuncs;
    s->profiles = snap_profiles;
    s->nprofiles = np;
}
