/* The report's PHP stacks: function names once per snapshot, each vhost's
 * profile (top functions, folded stacks), its waits by call site, and the
 * slow requests' backtraces. */
#include <stdlib.h>
#include <string.h>

#include "apr_hash.h"
#include "apr_strings.h"

#include "peers.h"
#include "component.h"
#include "report_stacks.h"

void phpbpf_report_names_init(struct phpbpf_report_names *n, apr_pool_t *p,
                              const struct phpbpf_snapshot *snap,
                              const apr_array_header_t *components)
{
    n->component_rules = components;
    n->snap = snap;
    n->name = snap ? apr_pcalloc(p, (snap->nfuncs + 1) * sizeof(*n->name)) : NULL;
    n->component_id = snap ? apr_pcalloc(p, (snap->nfuncs + 1) * sizeof(*n->component_id)) : NULL;
    n->component_name = NULL;
    n->ncomponents = n->component_cap = 0;
    n->interned = apr_hash_make(p);
}

static const char *const include_names[PHPBPF_FK_KINDS] = {
    [PHPBPF_FK_MAIN] = "{main}", [PHPBPF_FK_INCLUDE] = "include",
    [PHPBPF_FK_INCLUDE_ONCE] = "include_once", [PHPBPF_FK_REQUIRE] = "require",
    [PHPBPF_FK_REQUIRE_ONCE] = "require_once", [PHPBPF_FK_EVAL] = "eval",
};


static const char *func_name(apr_pool_t *p, const struct phpbpf_func *f)
{
    if (!f->name[0])
        return include_names[f->kind] ? include_names[f->kind] : "{main}";
    if (f->scope[0])
        return apr_pstrcat(p, f->scope, "::", f->name, NULL);
    return f->name;
}

static const char *name_of(struct phpbpf_report_names *n, apr_pool_t *p, uint32_t fid)
{
    if (!n->name[fid]) {
        const char *s = func_name(p, &n->snap->funcs[fid]), *known;

        if (!(known = apr_hash_get(n->interned, s, APR_HASH_KEY_STRING)))
            apr_hash_set(n->interned, known = s, APR_HASH_KEY_STRING, s);
        n->name[fid] = known;
    }
    return n->name[fid];
}

struct phpbpf_report_frame phpbpf_report_frame_of(struct phpbpf_report_names *n, apr_pool_t *p,
                                                  const struct phpbpf_pframe *fr)
{
    const struct phpbpf_func *f = &n->snap->funcs[fr->fid];
    int internal = f->kind == PHPBPF_FK_INTERNAL;

    return (struct phpbpf_report_frame){ name_of(n, p, fr->fid), f->file, internal ? 0 : fr->line,
                                         internal };
}

/* Per function of the snapshot, while one vhost's stacks are counted. */
struct tally {
    uint64_t self, total;
    uint32_t line, in_stack;      /* in_stack: index + 1 of the last stack counting it */
};

static int by_self(const void *a, const void *b)
{
    const struct phpbpf_report_func *x = a, *y = b;

    return x->self < y->self ? 1 : x->self > y->self ? -1
         : x->total < y->total ? 1 : x->total > y->total ? -1 : strcmp(x->f.function, y->f.function);
}

static int by_total(const void *a, const void *b)
{
    const struct phpbpf_report_func *x = a, *y = b;

    return x->total < y->total ? 1 : x->total > y->total ? -1
         : x->self < y->self ? 1 : x->self > y->self ? -1 : strcmp(x->f.function, y->f.function);
}

static int by_frames(const void *a, const void *b)
{
    const struct phpbpf_report_folded *x = a, *y = b;
    uint32_t i;

    for (i = 0; i < x->nframes && i < y->nframes; i++) {
        int c = x->frame[i] == y->frame[i] ? 0 : strcmp(x->frame[i], y->frame[i]);

        if (c)
            return c;
    }
    return (x->nframes > y->nframes) - (x->nframes < y->nframes);
}

/* A function's component number (-1: internal), looked up once per
 * snapshot function; few components, so their list is searched in order. */
static int component_id(struct phpbpf_report_names *n, apr_pool_t *p, uint32_t fid)
{
    if (!n->component_id[fid]) {
        const char *name = phpbpf_component_of(p, n->snap->funcs[fid].file, n->component_rules);
        unsigned k;

        for (k = 0; name && k < n->ncomponents && strcmp(n->component_name[k], name) != 0; k++)
            ;
        if (name && k == n->ncomponents) {
            if (k == n->component_cap) {
                const char **more;

                n->component_cap = k ? 2 * k : 8;
                more = apr_palloc(p, n->component_cap * sizeof(*more));
                if (k)
                    memcpy(more, n->component_name, k * sizeof(*more));
                n->component_name = more;
            }
            n->component_name[n->ncomponents++] = name;
        }
        n->component_id[fid] = name ? (int)k + 1 : -1;
    }
    return n->component_id[fid] - 1;
}

static int by_wait_total(const void *a, const void *b)
{
    const struct phpbpf_report_component_wait *x = a, *y = b;

    return x->total_us < y->total_us ? 1 : x->total_us > y->total_us ? -1 : 0;
}

/* The vhost's sites summed by (component, class): a few dozen at most. */
static void component_waits(apr_pool_t *p, struct phpbpf_report_vhost *vh)
{
    struct phpbpf_report_component_wait *w = apr_palloc(p, (vh->nsites + 1) * sizeof(*w));
    unsigned i, k, n = 0;

    for (i = 0; i < vh->nsites; i++) {
        const struct phpbpf_report_site *x = &vh->sites[i];
        const char *c = x->component ? x->component : "(internal)";

        for (k = 0; k < n && (strcmp(w[k].component, c) != 0 || w[k].wait_class != x->wait_class); k++)
            ;
        if (k == n)
            w[n++] = (struct phpbpf_report_component_wait){ c, x->wait_class, 0, 0 };
        w[k].count += x->count;
        w[k].total_us += x->total_us;
    }
    qsort(w, n, sizeof(*w), by_wait_total);
    vh->component_waits = w;
    vh->ncomponent_waits = n;
}

static int by_component_self(const void *a, const void *b)
{
    const struct phpbpf_report_component *x = a, *y = b;

    return x->self < y->self ? 1 : x->self > y->self ? -1
         : x->total < y->total ? 1 : x->total > y->total ? -1 : strcmp(x->name, y->name);
}

/* Time by component.  Each component remembers the last stack that
 * counted it, so a frame costs a few array reads however many stacks
 * there are; the counts are sized by the components seen (few), not by
 * the functions. */
static void components(apr_pool_t *p, struct phpbpf_report_profile *r,
                       struct phpbpf_report_names *n, const struct phpbpf_snap_profile *sp)
{
    struct phpbpf_report_component *c = NULL;
    uint32_t *last = NULL;            /* per component: index + 1 of the last stack counting it */
    const int *ids = n->component_id; /* filled in place by component_id() */
    unsigned nc = 0, size = 0, k;
    uint32_t i, j;

    for (i = 0; i < sp->nstacks; i++) {
        const struct phpbpf_snap_stack *st = &sp->stack[i];
        int self_done = 0, id;

        for (j = 0; j < st->nframes; j++) {
            uint32_t fid = st->frame[j].fid;

            if ((id = ids[fid] - 1) == -1)
                id = component_id(n, p, fid);
            if (id < 0)
                continue;               /* internal: its caller's */
            if ((unsigned)id >= size) { /* a component new to this snapshot */
                struct phpbpf_report_component *more_c;
                uint32_t *more_last;
                unsigned grown = n->component_cap;

                more_c = apr_pcalloc(p, grown * sizeof(*more_c));
                more_last = apr_pcalloc(p, grown * sizeof(*more_last));
                if (size) {
                    memcpy(more_c, c, size * sizeof(*c));
                    memcpy(more_last, last, size * sizeof(*last));
                }
                c = more_c;
                last = more_last;
                size = grown;
            }
            if (!self_done) {
                c[id].self += st->count;
                self_done = 1;
            }
            if (last[id] != i + 1) {    /* once per stack */
                last[id] = i + 1;
                c[id].total += st->count;
            }
        }
    }
    /* Only this profile's, most self first. */
    for (k = 0; k < size && k < n->ncomponents; k++)
        if (c[k].total) {
            c[k].name = n->component_name[k];
            c[nc++] = c[k];
        }
    if (nc)
        qsort(c, nc, sizeof(*c), by_component_self);
    r->components = c;
    r->ncomponents = nc;
}

/* The folded stacks, root first by name, equal ones merged: a stack keeps
 * each frame's line, which the names leave out. */
static void fold(apr_pool_t *p, struct phpbpf_report_profile *r, struct phpbpf_report_names *n,
                 const struct phpbpf_snap_profile *sp)
{
    struct phpbpf_report_folded *f = apr_palloc(p, (sp->nstacks + 1) * sizeof(*f));
    uint32_t i, j, k;

    for (i = 0; i < sp->nstacks; i++) {
        const struct phpbpf_snap_stack *st = &sp->stack[i];
        const char **names = apr_palloc(p, (st->nframes + 1) * sizeof(*names));
        const char **comps = apr_palloc(p, (st->nframes + 1) * sizeof(*comps));

        for (j = 0; j < st->nframes; j++) {
            uint32_t fid = st->frame[st->nframes - 1 - j].fid;
            int c = fid < n->snap->nfuncs ? component_id(n, p, fid) : -1;

            names[j] = name_of(n, p, fid);
            comps[j] = c >= 0 ? n->component_name[c] : NULL;
        }
        f[i] = (struct phpbpf_report_folded){ names, comps, st->nframes, st->count };
    }
    qsort(f, sp->nstacks, sizeof(*f), by_frames);
    for (i = k = 0; i < sp->nstacks; i++) {
        if (k && by_frames(&f[k - 1], &f[i]) == 0)
            f[k - 1].count += f[i].count;
        else
            f[k++] = f[i];
    }
    r->folded = f;
    r->nfolded = k;
}

static const struct phpbpf_report_profile *profile(apr_pool_t *p, struct phpbpf_report_names *n,
                                                   const struct phpbpf_snap_profile *sp,
                                                   struct tally *t)
{
    struct phpbpf_report_profile *r = apr_pcalloc(p, sizeof(*r));
    struct phpbpf_report_func *all;
    uint32_t *used, nused = 0, i, j;

    r->samples = sp->samples;
    r->dropped = sp->dropped;
    used = apr_palloc(p, (n->snap->nfuncs + 1) * sizeof(*used));
    /* Stacks come most samples first: the first line seen is the one
     * where a function spent the most. */
    for (i = 0; i < sp->nstacks; i++) {
        const struct phpbpf_snap_stack *st = &sp->stack[i];

        for (j = 0; j < st->nframes; j++) {
            struct tally *x = &t[st->frame[j].fid];

            if (!x->in_stack && !x->total)
                used[nused++] = st->frame[j].fid;
            if (j == 0) {
                if (!x->self)
                    x->line = st->frame[0].line;
                x->self += st->count;
            }
            if (x->in_stack != i + 1) {     /* recursion counts once */
                if (!x->total && !x->self)
                    x->line = st->frame[j].line;
                x->total += st->count;
                x->in_stack = i + 1;
            }
        }
    }
    all = apr_palloc(p, (nused + 1) * sizeof(*all));
    for (i = 0; i < nused; i++) {
        struct tally *x = &t[used[i]];
        struct phpbpf_pframe fr = { used[i], x->line };

        all[i] = (struct phpbpf_report_func){ phpbpf_report_frame_of(n, p, &fr), x->self, x->total };
        memset(x, 0, sizeof(*x));   /* ready for the next vhost */
    }
    r->nfuncs = nused < PHPBPF_REPORT_TOP_FUNCS ? nused : PHPBPF_REPORT_TOP_FUNCS;
    qsort(all, nused, sizeof(*all), by_self);
    r->by_self = apr_pmemdup(p, all, (r->nfuncs + 1) * sizeof(*all));
    qsort(all, nused, sizeof(*all), by_total);
    r->by_total = all;
    fold(p, r, n, sp);
    components(p, r, n, sp);
    return r;
}

void phpbpf_report_stacks(apr_pool_t *p, struct phpbpf_report *r, const struct phpbpf_snapshot *s,
                          struct phpbpf_report_vhost *v, struct phpbpf_report_names *n)
{
    struct tally *t = apr_pcalloc(p, (s->nfuncs + 1) * sizeof(*t));
    uint32_t i;

    r->stacks_state = (int)s->stacks_state;
    r->stacks_reason = s->stacks_reason[0] ? s->stacks_reason : NULL;
    r->untraced = s->untraced[0] ? s->untraced : NULL;
    r->profile_hz = s->profile_hz;
    r->samples = s->counters[PHPBPF_CTR(samples)];
    r->samples_lost = s->counters[PHPBPF_CTR(samples_lost)];
    r->samples_unreadable = s->counters[PHPBPF_CTR(samples_unreadable)];
    r->backtraces = s->counters[PHPBPF_CTR(backtraces)];
    r->backtraces_lost = s->counters[PHPBPF_CTR(backtraces_lost)];
    for (i = 0; i < s->nprofiles; i++) {
        const struct phpbpf_snap_profile *sp = &s->profiles[i];

        if (sp->vhost >= r->nvhosts)
            continue;
        r->samples_dropped += sp->dropped;
        v[sp->vhost].profile = profile(p, n, sp, t);
    }
    /* Call sites come grouped by vhost, most time first. */
    for (i = 0; i < s->nsites; i++) {
        const struct phpbpf_snap_site *x = &s->sites[i];
        struct phpbpf_report_vhost *vh;
        uint32_t k;

        if (x->vhost >= r->nvhosts || (vh = &v[x->vhost])->sites)
            continue;
        for (k = i; k < s->nsites && s->sites[k].vhost == x->vhost; k++)
            ;
        {
            struct phpbpf_report_site *q = apr_palloc(p, (k - i) * sizeof(*q));
            uint32_t j;

            for (j = i; j < k; j++) {
                q[j - i] = (struct phpbpf_report_site){ phpbpf_report_frame_of(n, p, &s->sites[j].frame),
                                                        phpbpf_wait_names[s->sites[j].wait_class],
                                                        s->sites[j].count, s->sites[j].ns / 1000,
                                                        NULL };
                q[j - i].component = phpbpf_component_of(p, q[j - i].f.file, n->component_rules);
            }
            vh->sites = q;
            vh->nsites = k - i;
            component_waits(p, vh);
        }
    }
}

void phpbpf_report_backtrace(apr_pool_t *p, struct phpbpf_report_slow *q,
                             struct phpbpf_report_names *n, const struct phpbpf_snap_backtrace *bt)
{
    struct phpbpf_report_frame *f;
    uint32_t i;

    if (!bt || !bt->taken)
        return;
    f = apr_palloc(p, (bt->nframes + 1) * sizeof(*f));
    for (i = 0; i < bt->nframes; i++)
        f[i] = phpbpf_report_frame_of(n, p, &bt->frame[i]);
    q->backtrace = 1;
    q->backtrace_at_us = bt->elapsed_us;
    q->backtrace_truncated = bt->truncated != 0;
    q->frame = f;
    q->nframes = bt->nframes;
}
