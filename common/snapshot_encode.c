/* The wire format, written: the helper's snapshot as the reply a child
 * reads (snapshot.h describes it; snapshot_decode.c reads it back). */
#include <stdlib.h>
#include <string.h>
#include "snapshot.h"

void phpbpf_buf_free(struct phpbpf_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->oom = 0;
}

/* Room for n more bytes at the end, or NULL once out of memory. */
static unsigned char *grow(struct phpbpf_buf *b, size_t n)
{
    unsigned char *at;

    if (b->oom)
        return NULL;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        unsigned char *d;

        while (cap < b->len + n)
            cap *= 2;
        d = realloc(b->data, cap);
        if (!d) {
            b->oom = 1;
            return NULL;
        }
        b->data = d;
        b->cap = cap;
    }
    at = b->data + b->len;
    b->len += n;
    return at;
}

static void put(struct phpbpf_buf *b, const void *p, size_t n)
{
    unsigned char *at = grow(b, n);

    if (at)
        memcpy(at, p, n);
}

static void put32(struct phpbpf_buf *b, uint32_t v) { put(b, &v, 4); }
static void put64(struct phpbpf_buf *b, uint64_t v) { put(b, &v, 8); }
static void put16(struct phpbpf_buf *b, uint16_t v) { put(b, &v, 2); }

static void putstr(struct phpbpf_buf *b, const char *s, size_t max)
{
    size_t n = strnlen(s, max - 1);

    put16(b, (uint16_t)n);
    put(b, s, n);
}

static void puthist(struct phpbpf_buf *b, const struct phpbpf_sparse *h)
{
    uint32_t nnz = h->nnz < PHPBPF_HIST_BUCKETS ? h->nnz : PHPBPF_HIST_BUCKETS, j;
    unsigned char *at = grow(b, PHPBPF_WIRE_HIST_HEAD + (size_t)nnz * PHPBPF_WIRE_HIST_PAIR);
    uint16_t n16 = (uint16_t)nnz;

    if (!at)
        return;
    memcpy(at, &h->count, 8);
    memcpy(at + 8, &h->sum_us, 8);
    memcpy(at + 16, &h->max_us, 8);
    memcpy(at + 24, &n16, 2);
    at += PHPBPF_WIRE_HIST_HEAD;
    for (j = 0; j < nnz; j++, at += PHPBPF_WIRE_HIST_PAIR) {
        uint16_t idx = (uint16_t)h->bucket[j].idx;

        memcpy(at, &idx, 2);
        memcpy(at + 2, &h->bucket[j].count, 8);
    }
}

/* Writes the header with a placeholder length, patched by finish(). */
static size_t begin(struct phpbpf_buf *b, uint32_t status)
{
    size_t at = b->len;

    put32(b, PHPBPF_RSP_MAGIC);
    put32(b, PHPBPF_PROTO_VERSION);
    put32(b, status);
    put32(b, 0);
    return at;
}

static int finish(struct phpbpf_buf *b, size_t at)
{
    uint32_t n;

    if (b->oom)
        return -1;
    n = (uint32_t)(b->len - at - PHPBPF_RSP_HDR_LEN);
    memcpy(b->data + at + 12, &n, 4);
    return 0;
}

/* A vhost's off-CPU time and waits by class, or 0 without CPU tracing. */
static void putwaits(struct phpbpf_buf *b, const struct phpbpf_waits *w)
{
    uint32_t k;

    put32(b, w != NULL);
    for (k = 0; w && k < PHPBPF_WAIT_CLASSES; k++) {
        put64(b, w->ns[k]);
        put64(b, w->count[k]);
    }
}

static void putframes(struct phpbpf_buf *b, const struct phpbpf_pframe *f, uint32_t n)
{
    uint32_t i;

    put16(b, (uint16_t)n);
    for (i = 0; i < n; i++) {
        put32(b, f[i].fid);
        put32(b, f[i].line);
    }
}

static void putbacktrace(struct phpbpf_buf *b, const struct phpbpf_snap_backtrace *bt)
{
    put32(b, bt && bt->taken);
    if (!bt || !bt->taken)
        return;
    put32(b, bt->truncated);
    put64(b, bt->elapsed_us);
    putframes(b, bt->frame, bt->nframes < PHPBPF_STACK_MAX ? bt->nframes : PHPBPF_STACK_MAX);
}

static void putstacks(struct phpbpf_buf *b, const struct phpbpf_snapshot *s)
{
    uint32_t i, j, n;

    put32(b, s->stacks_state);
    put32(b, s->profile_hz);
    putstr(b, s->stacks_reason, PHPBPF_STR_MAX);
    putstr(b, s->untraced, PHPBPF_STR_MAX);
    n = s->nfuncs < PHPBPF_SNAP_FUNCS ? s->nfuncs : PHPBPF_SNAP_FUNCS;
    put32(b, n);
    for (i = 0; i < n; i++) {
        const struct phpbpf_func *f = &s->funcs[i];

        put32(b, f->kind);
        put32(b, f->static_method);
        put32(b, f->line_start);
        putstr(b, f->name, PHPBPF_FUNC_NAME_LEN);
        putstr(b, f->scope, PHPBPF_FUNC_NAME_LEN);
        putstr(b, f->file, PHPBPF_FUNC_FILE_LEN);
    }
    put32(b, s->nprofiles);
    for (i = 0; i < s->nprofiles; i++) {
        const struct phpbpf_snap_profile *p = &s->profiles[i];

        put32(b, p->vhost);
        put64(b, p->samples);
        put64(b, p->dropped);
        put32(b, p->nstacks);
        for (j = 0; j < p->nstacks; j++) {
            put64(b, p->stack[j].count);
            putframes(b, p->stack[j].frame,
                      p->stack[j].nframes < PHPBPF_STACK_MAX ? p->stack[j].nframes : PHPBPF_STACK_MAX);
        }
    }
    n = s->nsites < PHPBPF_SNAP_SITES ? s->nsites : PHPBPF_SNAP_SITES;
    put32(b, n);
    for (i = 0; i < n; i++) {
        const struct phpbpf_snap_site *x = &s->sites[i];

        put32(b, x->vhost);
        put32(b, x->wait_class);
        put32(b, x->frame.fid);
        put32(b, x->frame.line);
        put64(b, x->count);
        put64(b, x->ns);
    }
}

/* The statements' part: the table, then what it lost per vhost. */
static void putstmts(struct phpbpf_buf *b, const struct phpbpf_snapshot *s)
{
    uint32_t i, n = s->nstmts < PHPBPF_SNAP_STMTS ? s->nstmts : PHPBPF_SNAP_STMTS;

    put32(b, s->queries_state);
    putstr(b, s->queries_reason, PHPBPF_STR_MAX);
    put32(b, n);
    for (i = 0; i < n; i++) {
        const struct phpbpf_snap_stmt *x = &s->stmts[i];

        put32(b, x->vhost);
        put32(b, x->system);
        put32(b, x->flags);
        putstr(b, x->text, PHPBPF_STMT_TEXT);
        putstr(b, x->server, PHPBPF_SERVER_LEN);
        puthist(b, &x->time);
        put64(b, x->ns);
        put64(b, x->errors);
        put32(b, x->caller.fid);
        put32(b, x->caller.line);
        put64(b, x->slowest_ns);
        putframes(b, x->frame, x->nframes < PHPBPF_STMT_FRAMES ? x->nframes : PHPBPF_STMT_FRAMES);
    }
    n = s->nstmts_lost < PHPBPF_MAX_VHOSTS ? s->nstmts_lost : PHPBPF_MAX_VHOSTS;
    put32(b, n);
    for (i = 0; i < n; i++) {
        put32(b, s->stmts_lost[i].vhost);
        put64(b, s->stmts_lost[i].lost);
    }
    /* The slow requests', in the slow log's order. */
    n = s->slow_stmts ? (s->nslow < PHPBPF_SLOW_MAX ? s->nslow : PHPBPF_SLOW_MAX) : 0;
    put32(b, n);
    for (i = 0; i < n; i++) {
        const struct phpbpf_snap_slow_stmts *q = &s->slow_stmts[i];
        uint32_t j, m = q->known ? (q->n < PHPBPF_SLOW_STMTS ? q->n : PHPBPF_SLOW_STMTS) : 0;

        put32(b, q->known);
        put64(b, q->count);
        put64(b, q->ns);
        put32(b, m);
        for (j = 0; j < m; j++) {
            putstr(b, q->stmt[j].text, PHPBPF_STMT_TEXT);
            put32(b, q->stmt[j].count);
            put32(b, q->stmt[j].flags);
            put64(b, q->stmt[j].ns);
            put32(b, q->stmt[j].caller.fid);
            put32(b, q->stmt[j].caller.line);
        }
    }
}

int phpbpf_snapshot_encode(struct phpbpf_buf *b, const struct phpbpf_snapshot *s)
{
    size_t at = begin(b, 0);
    uint32_t i, j, n = 0;

    put32(b, s->state);
    put32(b, s->helper_pid);
    put64(b, s->started_us);
    put64(b, s->php_since_us);
    put64(b, s->now_us);
    put32(b, s->generation);
    put32(b, s->probes);
    put32(b, PHPBPF_NCOUNTERS);
    for (i = 0; i < PHPBPF_NCOUNTERS; i++)
        put64(b, s->counters[i]);
    putstr(b, s->library, PHPBPF_STR_MAX);
    putstr(b, s->reason, PHPBPF_STR_MAX);
    for (i = 0; i < s->nvhosts; i++)
        n += phpbpf_snap_vhost_has_data(&s->vhosts[i]);
    put32(b, n);
    for (i = 0; i < s->nvhosts; i++) {
        if (!phpbpf_snap_vhost_has_data(&s->vhosts[i]))
            continue;
        put32(b, s->vhosts[i].idx);
        puthist(b, &s->vhosts[i].php);
        for (j = 0; j < PHPBPF_NVSTATS; j++)
            put64(b, ((const __u64 *)&s->vhosts[i].v)[j]);
        puthist(b, &s->vhosts[i].cpu.on);
        puthist(b, &s->vhosts[i].cpu.off);
        puthist(b, &s->vhosts[i].compile);
        putwaits(b, s->vhosts[i].has_waits ? &s->vhosts[i].waits : NULL);
        put64(b, s->vhosts[i].classes_lost);
        put64(b, s->vhosts[i].scripts_lost);
    }
    put32(b, s->window_s);
    put64(b, s->window_since_us);
    n = s->nscripts < PHPBPF_SNAP_SCRIPTS ? s->nscripts : PHPBPF_SNAP_SCRIPTS;
    put32(b, s->scripts_tracked);
    put64(b, s->scripts_evicted);
    put32(b, n);
    for (i = 0; i < n; i++) {
        put32(b, s->scripts[i].vhost);
        putstr(b, s->scripts[i].path, PHPBPF_PATH_LEN);
        puthist(b, &s->scripts[i].compile);
    }
    n = s->nclasses < PHPBPF_MAX_CLASSES ? s->nclasses : PHPBPF_MAX_CLASSES;
    put32(b, n);
    for (i = 0; i < n; i++) {
        put32(b, s->classes[i].vhost);
        putstr(b, s->classes[i].name, PHPBPF_CLASS_LEN);
        put64(b, s->classes[i].count);
    }
    n = s->nslow < PHPBPF_SLOW_MAX ? s->nslow : PHPBPF_SLOW_MAX;
    put32(b, n);
    for (i = 0; i < n; i++) {
        const struct phpbpf_slow_event *e = &s->slow[i];

        put64(b, e->seq);
        put32(b, e->ns_pid ? e->ns_pid : e->pid);   /* the module joins it with Apache's */
        put32(b, e->vhost);
        put64(b, e->php_us);
        put64(b, e->compile_us);
        put64(b, e->on_us);
        put64(b, e->off_us);
        put32(b, e->exc_thrown);
        for (j = 0; j < PHPBPF_WAIT_CLASSES; j++) {
            put64(b, e->wait_us[j]);
            put32(b, e->waits[j]);
        }
        putstr(b, e->method, sizeof(e->method));
        putstr(b, e->uri, sizeof(e->uri));
        putstr(b, e->script, sizeof(e->script));
        putstr(b, e->route, sizeof(e->route));
        putbacktrace(b, s->backtraces ? &s->backtraces[i] : NULL);
    }
    putstacks(b, s);
    put32(b, s->max_routes);
    n = s->nroutes < PHPBPF_SNAP_ROUTES ? s->nroutes : PHPBPF_SNAP_ROUTES;
    put32(b, n);
    for (i = 0; i < n; i++) {
        const struct phpbpf_snap_route *r = &s->routes[i];

        put32(b, r->vhost);
        putstr(b, r->text, sizeof(r->text));
        put32(b, r->ordinal);
        puthist(b, &r->php);
        puthist(b, &r->apache);
        for (j = 0; j < 5; j++)
            put64(b, r->status[j]);
        put64(b, r->exc_thrown);
        put64(b, r->errors);
        put64(b, r->on_us);
        put64(b, r->off_us);
        for (j = 0; j < PHPBPF_WAIT_CLASSES; j++)
            put64(b, r->wait_us[j]);
    }
    putstmts(b, s);
    return finish(b, at);
}

int phpbpf_error_encode(struct phpbpf_buf *b, const char *msg)
{
    size_t at = begin(b, 1);

    putstr(b, msg, PHPBPF_STR_MAX);
    return finish(b, at);
}
