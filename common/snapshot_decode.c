/* The wire format, read: a reply's header and payload into a snapshot,
 * every count and length checked against what is left, so that a short or
 * hostile reply is an error, never a read past it (t/fuzz).  And the
 * request a client sends, checked by the helper. */
#include <stdlib.h>
#include <string.h>
#include "wire_read.h"

int phpbpf_reply_header(const unsigned char *hdr, size_t len, uint32_t *status,
                        uint32_t *payload_len)
{
    uint32_t v[4];

    if (len < PHPBPF_RSP_HDR_LEN)
        return -1;
    memcpy(v, hdr, sizeof(v));
    if (v[0] != PHPBPF_RSP_MAGIC || v[1] != PHPBPF_PROTO_VERSION
        || v[3] > PHPBPF_MAX_REPLY)
        return -1;
    *status = v[2];
    *payload_len = v[3];
    return 0;
}

/* Buckets of the next n vhost entries, or SIZE_MAX if they run past the
 * payload.  The cursor is a copy: this is a first pass. */
static size_t vhost_buckets(struct cursor c, uint32_t n)
{
    size_t nb = 0;
    uint32_t i;

    for (i = 0; i < n && !c.bad; i++) {
        skip(&c, 4);
        nb += skiphist(&c);
        skip(&c, PHPBPF_NVSTATS * 8);
        nb += skiphist(&c);
        nb += skiphist(&c);
        nb += skiphist(&c);
        if (get32(&c))
            skip(&c, PHPBPF_WIRE_WAITS_LEN);
        skip(&c, 2 * 8);
    }
    return c.bad ? SIZE_MAX : nb;
}

static size_t script_buckets(struct cursor c, uint32_t n)
{
    size_t nb = 0;
    uint32_t i;

    for (i = 0; i < n && !c.bad; i++) {
        skip(&c, 4);
        skip(&c, get16(&c));
        nb += skiphist(&c);
    }
    return c.bad ? SIZE_MAX : nb;
}

static void getwaits(struct cursor *c, uint32_t *has, struct phpbpf_waits *w)
{
    uint32_t k;

    memset(w, 0, sizeof(*w));
    *has = get32(c) != 0;
    for (k = 0; *has && k < PHPBPF_WAIT_CLASSES; k++) {
        w->ns[k] = get64(c);
        w->count[k] = get64(c);
    }
}

/* Smallest encoded slow request: the numbers, three empty strings and
 * "no backtrace". */
#define SLOW_MIN (8 + 4 + 4 + 4 * 8 + 4 + PHPBPF_WIRE_SLOW_WAITS_LEN + 4 * 2 + 4)

/* Frames of n slow requests' backtraces, or SIZE_MAX.  A first pass, on a
 * copy of the cursor. */
static size_t slow_frames(struct cursor c, uint32_t n)
{
    size_t nf = 0;
    uint32_t i;

    for (i = 0; i < n && !c.bad; i++) {
        skip(&c, 8 + 4 + 4 + 4 * 8 + 4 + PHPBPF_WIRE_SLOW_WAITS_LEN);
        skip(&c, get16(&c));
        skip(&c, get16(&c));
        skip(&c, get16(&c));
        skip(&c, get16(&c));
        if (get32(&c)) {
            skip(&c, 4 + 8);
            nf += skipframes(&c);
        }
    }
    return c.bad ? SIZE_MAX : nf;
}

static int get_room_frames(phpbpf_alloc_fn alloc, void *ctx, uint32_t n, size_t size, size_t nf,
                           void **out, struct phpbpf_pframe **frames, const char **err)
{
    unsigned char *p = NULL;

    if ((n || nf) && !(p = alloc(ctx, (size_t)n * size + nf * sizeof(struct phpbpf_pframe)))) {
        *err = "out of memory";
        return -1;
    }
    *out = n ? p : NULL;
    *frames = p ? (struct phpbpf_pframe *)(p + (size_t)n * size) : NULL;
    return 0;
}

static void getbacktrace(struct cursor *c, struct phpbpf_snap_backtrace *bt, struct phpbpf_pframe **room)
{
    memset(bt, 0, sizeof(*bt));
    if (!(bt->taken = get32(c) != 0))
        return;
    bt->truncated = get32(c);
    bt->elapsed_us = get64(c);
    bt->nframes = getframes(c, room, &bt->frame);
}

/* A string into the arena: NUL-terminated, at most max - 1 bytes. */
static const char *getarena(struct cursor *c, char **arena, size_t max)
{
    uint16_t n = get16(c);
    char *s = *arena;

    if (c->bad || n >= max || n > c->left) {
        c->bad = 1;
        return "";
    }
    get(c, s, n);
    s[n] = '\0';
    *arena += n + 1;
    return s;
}

static int frames_valid(const struct phpbpf_pframe *f, uint32_t n, uint32_t nfuncs)
{
    uint32_t j;

    for (j = 0; j < n; j++)
        if (f[j].fid >= nfuncs)
            return 0;
    return 1;
}

#define SITE_LEN (4 * 4 + 2 * 8)

static int getsites(struct cursor *c, struct phpbpf_snapshot *s, uint32_t max_vhosts,
                    uint32_t nfuncs, phpbpf_alloc_fn alloc, void *ctx, const char **err)
{
    uint32_t n, i;

    if (get_count(c, PHPBPF_SNAP_SITES, SITE_LEN, &n, "too many call sites", err) != 0
        || get_room(alloc, ctx, n, sizeof(*s->sites), 0, (void **)&s->sites, NULL, err) != 0)
        return -1;
    for (i = 0; i < n; i++) {
        struct phpbpf_snap_site *x = &s->sites[i];

        x->vhost = get32(c);
        x->wait_class = get32(c);
        x->frame.fid = get32(c);
        x->frame.line = get32(c);
        x->count = get64(c);
        x->ns = get64(c);
        if (x->vhost >= max_vhosts || x->wait_class >= PHPBPF_WAIT_CLASSES || x->frame.fid >= nfuncs)
            c->bad = 1;
    }
    if (c->bad) {
        *err = "truncated or corrupt call sites";
        return -1;
    }
    s->nsites = n;
    return 0;
}

/* The stacks section: a first pass sizes one allocation for the functions,
 * their names, the profiles, their stacks and the stacks' frames. */
static int getstacks(struct cursor *c, struct phpbpf_snapshot *s, uint32_t max_vhosts,
                     phpbpf_alloc_fn alloc, void *ctx, const char **err)
{
    struct cursor pass;
    uint32_t nfuncs, nprof, i, j, nstacks = 0;
    size_t strbytes = 0, nframes = 0, size;
    struct phpbpf_snap_stack *st;
    struct phpbpf_pframe *fr;
    unsigned char *mem;
    char *arena;

    s->stacks_state = get32(c);
    s->profile_hz = get32(c);
    getstr(c, s->stacks_reason, sizeof(s->stacks_reason));
    getstr(c, s->untraced, sizeof(s->untraced));
    if (get_count(c, PHPBPF_SNAP_FUNCS, 3 * 4 + 3 * 2, &nfuncs, "too many functions", err) != 0)
        return -1;
    pass = *c;
    for (i = 0; i < nfuncs && !pass.bad; i++) {
        skip(&pass, 3 * 4);
        for (j = 0; j < 3; j++) {
            uint16_t n = get16(&pass);

            strbytes += n + 1;
            skip(&pass, n);
        }
    }
    nprof = get32(&pass);
    if (pass.bad || nprof > max_vhosts || (uint64_t)nprof * (4 + 8 + 8 + 4) > pass.left) {
        *err = "truncated or corrupt stacks";
        return -1;
    }
    for (i = 0; i < nprof && !pass.bad; i++) {
        uint32_t n;

        skip(&pass, 4 + 8 + 8);
        n = get32(&pass);
        if ((nstacks += n) > PHPBPF_SNAP_STACKS || (uint64_t)n * (8 + 2) > pass.left) {
            pass.bad = 1;
            break;
        }
        for (j = 0; j < n && !pass.bad; j++) {
            skip(&pass, 8);
            nframes += skipframes(&pass);
        }
    }
    if (pass.bad) {
        *err = "truncated or corrupt stacks";
        return -1;
    }
    size = nfuncs * sizeof(*s->funcs) + nprof * sizeof(*s->profiles) + nstacks * sizeof(*st)
           + nframes * sizeof(*fr) + strbytes;
    if (!size) {
        get32(c);               /* nprof: 0 */
        return getsites(c, s, max_vhosts, 0, alloc, ctx, err);
    }
    if (!(mem = alloc(ctx, size))) {
        *err = "out of memory";
        return -1;
    }
    s->funcs = (struct phpbpf_func *)mem;
    s->profiles = (struct phpbpf_snap_profile *)(s->funcs + nfuncs);
    st = (struct phpbpf_snap_stack *)(s->profiles + nprof);
    fr = (struct phpbpf_pframe *)(st + nstacks);
    arena = (char *)(fr + nframes);
    for (i = 0; i < nfuncs; i++) {
        struct phpbpf_func *f = &s->funcs[i];

        f->kind = get32(c);
        f->static_method = get32(c);
        f->line_start = get32(c);
        f->name = getarena(c, &arena, PHPBPF_FUNC_NAME_LEN);
        f->scope = getarena(c, &arena, PHPBPF_FUNC_NAME_LEN);
        f->file = getarena(c, &arena, PHPBPF_FUNC_FILE_LEN);
        if (f->kind >= PHPBPF_FK_KINDS)
            c->bad = 1;
    }
    s->nfuncs = nfuncs;
    get32(c);                   /* nprof, read by the first pass */
    for (i = 0; i < nprof && !c->bad; i++) {
        struct phpbpf_snap_profile *p = &s->profiles[i];

        p->vhost = get32(c);
        p->samples = get64(c);
        p->dropped = get64(c);
        p->nstacks = get32(c);
        p->stack = st;
        if (p->vhost >= max_vhosts)
            c->bad = 1;
        for (j = 0; j < p->nstacks && !c->bad; j++, st++) {
            st->count = get64(c);
            st->nframes = getframes(c, &fr, &st->frame);
            if (!frames_valid(st->frame, st->nframes, nfuncs))
                c->bad = 1;
        }
    }
    s->nprofiles = nprof;
    for (i = 0; i < s->nslow && !c->bad; i++)
        if (!frames_valid(s->backtraces[i].frame, s->backtraces[i].nframes, nfuncs))
            c->bad = 1;
    if (c->bad) {
        *err = "truncated or corrupt stacks";
        return -1;
    }
    return getsites(c, s, max_vhosts, nfuncs, alloc, ctx, err);
}

int phpbpf_snapshot_decode(const unsigned char *p, size_t len, struct phpbpf_snapshot *s,
                           uint32_t max_vhosts, phpbpf_alloc_fn alloc, void *ctx,
                           const char **err)
{
    struct cursor c = { p, len, 0 };
    struct phpbpf_sparse_bucket *b;
    struct phpbpf_pframe *fr;
    uint32_t i, k, nc, n;
    size_t nb, nf;

    memset(s, 0, sizeof(*s));
    s->state = get32(&c);
    s->helper_pid = get32(&c);
    s->started_us = get64(&c);
    s->php_since_us = get64(&c);
    s->now_us = get64(&c);
    s->generation = get32(&c);
    s->probes = get32(&c);
    nc = get32(&c);
    for (i = 0; i < nc && !c.bad; i++) {
        uint64_t v = get64(&c);

        if (i < PHPBPF_NCOUNTERS)
            s->counters[i] = v;
    }
    getstr(&c, s->library, sizeof(s->library));
    getstr(&c, s->reason, sizeof(s->reason));
    if (get_count(&c, max_vhosts, 4 + 4 * PHPBPF_WIRE_HIST_HEAD + PHPBPF_NVSTATS * 8 + 4 + 2 * 8, &n,
                  "snapshot has more vhosts than configured", err) != 0)
        return -1;
    if ((nb = vhost_buckets(c, n)) == SIZE_MAX) {
        *err = "truncated or corrupt vhost entry";
        return -1;
    }
    if (get_room(alloc, ctx, n, sizeof(*s->vhosts), nb, (void **)&s->vhosts, &b, err) != 0)
        return -1;
    for (i = 0; i < n; i++) {
        struct phpbpf_snap_vhost *v = &s->vhosts[i];

        v->idx = get32(&c);
        gethist(&c, &v->php, &b);
        for (k = 0; k < PHPBPF_NVSTATS; k++)
            ((__u64 *)&v->v)[k] = get64(&c);
        gethist(&c, &v->cpu.on, &b);
        gethist(&c, &v->cpu.off, &b);
        gethist(&c, &v->compile, &b);
        getwaits(&c, &v->has_waits, &v->waits);
        v->classes_lost = get64(&c);
        v->scripts_lost = get64(&c);
        if (c.bad) {
            *err = "truncated or corrupt vhost entry";
            return -1;
        }
    }
    s->nvhosts = n;
    s->window_s = get32(&c);
    s->window_since_us = get64(&c);
    s->scripts_tracked = get32(&c);
    s->scripts_evicted = get64(&c);
    if (get_count(&c, PHPBPF_SNAP_SCRIPTS, 4 + 2 + PHPBPF_WIRE_HIST_HEAD, &n, "snapshot has too many scripts",
                  err) != 0)
        return -1;
    if ((nb = script_buckets(c, n)) == SIZE_MAX) {
        *err = "truncated or corrupt script entry";
        return -1;
    }
    if (get_room(alloc, ctx, n, sizeof(*s->scripts), nb, (void **)&s->scripts, &b, err) != 0)
        return -1;
    for (i = 0; i < n && !c.bad; i++) {
        s->scripts[i].vhost = get32(&c);
        getstr(&c, s->scripts[i].path, sizeof(s->scripts[i].path));
        gethist(&c, &s->scripts[i].compile, &b);
    }
    if (c.bad) {
        *err = "truncated or corrupt script entry";
        return -1;
    }
    s->nscripts = n;
    if (get_count(&c, PHPBPF_MAX_CLASSES, 4 + 2 + 8, &n, "too many exception classes", err) != 0
        || get_room(alloc, ctx, n, sizeof(*s->classes), 0, (void **)&s->classes, NULL, err) != 0)
        return -1;
    for (i = 0; i < n && !c.bad; i++) {
        s->classes[i].vhost = get32(&c);
        getstr(&c, s->classes[i].name, sizeof(s->classes[i].name));
        s->classes[i].count = get64(&c);
    }
    if (c.bad) {
        *err = "truncated exception class entry";
        return -1;
    }
    s->nclasses = n;
    if (get_count(&c, PHPBPF_SLOW_MAX, SLOW_MIN, &n, "too many slow requests", err) != 0)
        return -1;
    if ((nf = slow_frames(c, n)) == SIZE_MAX) {
        *err = "truncated slow request entry";
        return -1;
    }
    if (get_room_frames(alloc, ctx, n, sizeof(*s->slow) + sizeof(*s->backtraces), nf,
                        (void **)&s->slow, &fr, err) != 0)
        return -1;
    s->backtraces = n ? (struct phpbpf_snap_backtrace *)(s->slow + n) : NULL;
    for (i = 0; i < n && !c.bad; i++) {
        struct phpbpf_slow_event *e = &s->slow[i];

        e->seq = get64(&c);
        e->pid = get32(&c);
        e->vhost = get32(&c);
        e->php_us = get64(&c);
        e->compile_us = get64(&c);
        e->on_us = get64(&c);
        e->off_us = get64(&c);
        e->exc_thrown = get32(&c);
        for (k = 0; k < PHPBPF_WAIT_CLASSES; k++) {
            e->wait_us[k] = get64(&c);
            e->waits[k] = get32(&c);
        }
        getstr(&c, e->method, sizeof(e->method));
        getstr(&c, e->uri, sizeof(e->uri));
        getstr(&c, e->script, sizeof(e->script));
        getstr(&c, e->route, sizeof(e->route));
        getbacktrace(&c, &s->backtraces[i], &fr);
    }
    if (c.bad) {
        *err = "truncated slow request entry";
        return -1;
    }
    s->nslow = n;
    if (getstacks(&c, s, max_vhosts, alloc, ctx, err) != 0 || phpbpf_decode_routes(&c, s, alloc, ctx, err) != 0
        || phpbpf_decode_stmts(&c, s, max_vhosts, alloc, ctx, err) != 0)
        return -1;
    if (c.left) {
        *err = "trailing bytes after snapshot";
        return -1;
    }
    return 0;
}

int phpbpf_error_decode(const unsigned char *p, size_t len, char *msg, size_t msglen)
{
    struct cursor c = { p, len, 0 };

    getstr(&c, msg, msglen);
    return c.bad ? -1 : 0;
}

const char *phpbpf_request_check(const void *p, size_t len, uint32_t httpd_pid)
{
    struct phpbpf_request r;

    if (len != sizeof(r))
        return "request has the wrong size";
    memcpy(&r, p, sizeof(r));
    if (r.magic != PHPBPF_REQ_MAGIC)
        return "request has a bad magic number";
    if (r.version != PHPBPF_PROTO_VERSION)
        return "request has an unsupported protocol version";
    if (r.type != PHPBPF_REQ_SNAPSHOT)
        return "unknown request type";
    if (r.httpd_pid != httpd_pid)
        return "request comes from another server instance";
    return NULL;
}
