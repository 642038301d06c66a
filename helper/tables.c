#include <stdlib.h>
#include <string.h>

#include "ftable.h"
#include "period.h"
#include "tables.h"

struct script_val {
    struct phpbpf_period p[2];           /* indexed as the table's counts */
};

static struct phpbpf_ftab classes, scripts;
static int ready;
static const struct phpbpf_table_lost *sink;
/* What a snapshot holds: made once, the size of the tables. */
static struct phpbpf_snap_class *snap_classes;
static struct phpbpf_snap_script *snap_scripts;
static struct phpbpf_sparse_bucket *snap_buckets;
static uint32_t *order;

int phpbpf_tables_init(uint32_t vhosts, uint32_t max_scripts)
{
    uint32_t n = max_scripts > PHPBPF_MAX_CLASSES ? max_scripts : PHPBPF_MAX_CLASSES;

    if (phpbpf_ftab_init(&classes, PHPBPF_MAX_CLASSES, vhosts) != 0
        || phpbpf_ftab_init(&scripts, max_scripts ? max_scripts : 1, vhosts) != 0)
        return -1;
    snap_classes = calloc(PHPBPF_MAX_CLASSES, sizeof(*snap_classes));
    snap_scripts = calloc(PHPBPF_SNAP_SCRIPTS, sizeof(*snap_scripts));
    snap_buckets = calloc((size_t)PHPBPF_SNAP_SCRIPTS * PHPBPF_HIST_BUCKETS, sizeof(*snap_buckets));
    order = calloc(n, sizeof(*order));
    if (!snap_classes || !snap_scripts || !snap_buckets || !order)
        return -1;
    ready = 1;
    return 0;
}

void phpbpf_tables_sink(struct phpbpf_table_lost *lost)
{
    const uint32_t stride = sizeof(*lost) / sizeof(uint64_t);

    classes.sink = (uint64_t *)&lost->classes;
    classes.sink_stride = stride;
    scripts.sink = (uint64_t *)&lost->scripts;
    scripts.sink_stride = stride;
    sink = lost;
}

/* The table's new period is p[cur]: what it held goes. */
static void script_age(void *val, int cur)
{
    phpbpf_period_clear(&((struct script_val *)val)->p[cur]);
}

void phpbpf_tables_event(const void *data, size_t len)
{
    uint32_t source;
    int made;

    if (!ready || len < sizeof(source))
        return;
    memcpy(&source, data, sizeof(source));
    if (source == PHPBPF_SRC_CLASS && len >= sizeof(struct phpbpf_class_event)) {
        const struct phpbpf_class_event *e = data;

        phpbpf_ftab_hit(&classes, e->vhost, e->name, (uint32_t)strnlen(e->name, PHPBPF_CLASS_LEN - 1),
                        1, &made);
    }
    else if (source == PHPBPF_SRC_COMPILE && len >= sizeof(struct phpbpf_compile_event)) {
        const struct phpbpf_compile_event *e = data;
        struct phpbpf_fent *f = phpbpf_ftab_hit(&scripts, e->vhost, e->path,
                                                (uint32_t)strnlen(e->path, PHPBPF_PATH_LEN - 1),
                                                1, &made);

        if (f && !f->val)
            f->val = calloc(1, sizeof(struct script_val));
        if (f && f->val)
            phpbpf_period_add(&((struct script_val *)f->val)->p[scripts.cur], e->us);
    }
}

void phpbpf_tables_age(void)
{
    if (!ready)
        return;
    phpbpf_ftab_age(&classes, NULL);
    phpbpf_ftab_age(&scripts, script_age);
}

static const struct phpbpf_ftab *sorting;

static uint64_t script_us(const struct phpbpf_fent *e)
{
    const struct script_val *v = e->val;

    return v ? v->p[0].sum_us + v->p[1].sum_us : 0;
}

static int by_count(const void *a, const void *b)
{
    const struct phpbpf_fent *x = &sorting->ent[*(const uint32_t *)a];
    const struct phpbpf_fent *y = &sorting->ent[*(const uint32_t *)b];
    uint64_t cx = sorting == &scripts ? script_us(x) : phpbpf_fent_count(x);
    uint64_t cy = sorting == &scripts ? script_us(y) : phpbpf_fent_count(y);

    if (cx != cy)
        return cx < cy ? 1 : -1;
    if (x->vhost != y->vhost)
        return x->vhost < y->vhost ? -1 : 1;
    return x->klen != y->klen ? (x->klen < y->klen ? -1 : 1) : memcmp(x->key, y->key, x->klen);
}

static uint32_t sorted(const struct phpbpf_ftab *t)
{
    uint32_t i, n = 0;

    for (i = 0; i < t->cap; i++)
        if (t->ent[i].key)
            order[n++] = i;
    sorting = t;
    qsort(order, n, sizeof(*order), by_count);
    return n;
}

void phpbpf_tables_snapshot(struct phpbpf_snapshot *s)
{
    uint32_t i, n;
    struct phpbpf_sparse_bucket *room = snap_buckets;

    if (!ready)
        return;
    n = sorted(&classes);
    for (i = 0; i < n; i++) {
        const struct phpbpf_fent *e = &classes.ent[order[i]];

        snap_classes[i].vhost = e->vhost;
        memcpy(snap_classes[i].name, e->key, e->klen);
        snap_classes[i].name[e->klen] = '\0';
        snap_classes[i].count = phpbpf_fent_count(e);
    }
    s->classes = snap_classes;
    s->nclasses = n;
    n = sorted(&scripts);
    s->scripts_tracked = n;
    s->nscripts = n < PHPBPF_SNAP_SCRIPTS ? n : PHPBPF_SNAP_SCRIPTS;
    for (i = 0; i < s->nscripts; i++) {
        const struct phpbpf_fent *e = &scripts.ent[order[i]];

        snap_scripts[i].vhost = e->vhost;
        memcpy(snap_scripts[i].path, e->key, e->klen);
        snap_scripts[i].path[e->klen] = '\0';
        if (e->val)
            room += phpbpf_period_merge(&snap_scripts[i].compile, ((const struct script_val *)e->val)->p, room);
        else
            memset(&snap_scripts[i].compile, 0, sizeof(snap_scripts[i].compile));
    }
    s->scripts = snap_scripts;
    for (i = 0; i < s->nvhosts; i++) {
        uint32_t v = s->vhosts[i].idx;

        if (v < classes.vhosts && sink) {
            s->vhosts[i].classes_lost = sink[v].classes;
            s->vhosts[i].scripts_lost = sink[v].scripts;
        }
    }
    s->scripts_evicted = 0;
    for (i = 0; sink && i < scripts.vhosts; i++)
        s->scripts_evicted += sink[i].scripts;
}
