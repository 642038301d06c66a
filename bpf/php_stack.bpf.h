/* The PHP stack walker, included by stacks.bpf.c and waits.bpf.c.
 *
 * It follows EG(current_execute_data) through prev_execute_data, innermost
 * frame first, as zend_fetch_debug_backtrace() does, with the offsets of
 * php_layout.h (generated from the PHP headers at build time).  Per frame
 * it reads the execute_data head (opline, func, prev), the zend_function
 * head (type, flags, name, scope) and the line from the opline: three
 * reads.  Names are read only the first time a function is seen, into the
 * `funcs` map, which the helper resolves frames through.
 *
 * A function's address names it only while it lives: opcache's functions
 * (ZEND_ACC_IMMUTABLE) and PHP's own live as long as the server, but code
 * compiled for one request (opcache off, a file changed a moment ago,
 * eval) is freed at its end and its memory used again for other code.
 * Those are keyed with the request's number too, so that a name is never
 * taken for another function's.
 *
 * One walker, walk_frame(), entered two ways: walk_current_frame() for the
 * sampled task (bpf_probe_read_user) and walk_task_frame() for a task the
 * backtrace iterator visits (bpf_copy_from_user_task, sleepable); see
 * walk_read().  Every read can fail, on a page
 * that is not resident for instance: the frame and what follows are then
 * dropped and counted. */
#ifndef PHPBPF_PHP_STACK_BPF_H
#define PHPBPF_PHP_STACK_BPF_H

#include "php_layout.h"

/* Filled in by the helper before load (where PHP is: phpbpf.bpf.h). */
const volatile __u32 stack_depth __weak = PHPBPF_STACK_MAX;    /* samples */
const volatile __u32 backtrace_depth __weak = 20;  /* PhpBpfSlowTraceDepth */


/* An event and a function's names are too big for the BPF stack.  One set
 * for each walker: a sample (in interrupt context) can land on the CPU
 * where the sleepable iterator is between two reads. */
struct walk_scratch {
    struct phpbpf_stack_event e;
    struct phpbpf_func_info info;
};

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 4);         /* 0: samples, 1: backtraces, 2: waits' call sites, 3: SQL */
    __type(key, __u32);
    __type(value, struct walk_scratch);
} walk_scratch __weak SEC(".maps");

struct walk {
    struct walk_scratch *s;
    struct task_struct *task;       /* the task read, for walk_task() */
    __u64 ex;                       /* the next execute_data to read */
    __u64 opline_reg;               /* the innermost frame's opline, if in a register */
    __u32 max;                      /* frames to take */
    __u32 bad;                      /* a read failed */
};

static __always_inline __u32 include_kind(__u32 ext)
{
    switch (ext) {
    case PHPBPF_EVAL: return PHPBPF_FK_EVAL;
    case PHPBPF_INCLUDE: return PHPBPF_FK_INCLUDE;
    case PHPBPF_INCLUDE_ONCE: return PHPBPF_FK_INCLUDE_ONCE;
    case PHPBPF_REQUIRE: return PHPBPF_FK_REQUIRE;
    case PHPBPF_REQUIRE_ONCE: return PHPBPF_FK_REQUIRE_ONCE;
    default: return PHPBPF_FK_MAIN;
    }
}

/* The task's memory, as the program may read it: the current task's
 * with bpf_probe_read_user() (a perf event), or the iterated task's with
 * bpf_copy_from_user_task() (a sleepable iterator).  `task` is a constant
 * at every call: each program keeps only the helper it may call.  0 on
 * success. */
static __always_inline long walk_read(const struct walk *w, const int task, void *dst,
                                      __u32 size, __u64 addr)
{
    if (task)
        return bpf_copy_from_user_task(dst, size, (void *)addr, w->task, 0);
    return bpf_probe_read_user(dst, size, (void *)addr);
}

static __always_inline int walk_str(struct walk *w, const int task, char *dst, __u32 size,
                                    __u64 str)
{
    __u64 len = 0;

    dst[0] = '\0';
    if (!str)
        return 0;
    if (walk_read(w, task, &len, sizeof(len), str + PHPBPF_STR_LEN))
        return -1;
    if (len > size - 1)
        len = size - 1;
    len &= size - 1;            /* for the verifier: size is a power of two */
    if (len && walk_read(w, task, dst, len, str + PHPBPF_STR_VAL))
        return -1;
    dst[len & (size - 1)] = '\0';
    return 0;
}

/* The names of a function not seen yet, into funcs under (func, key_name). */
static __always_inline void walk_names(struct walk *w, const int task, __u64 func,
                                       __u64 key_name, __u64 name, __u64 scope, __u32 type,
                                       __u32 flags)
{
    struct phpbpf_func_key key = { func, key_name };
    struct phpbpf_func_info *info = &w->s->info;
    __u64 p = 0;
    int bad = 0;

    if (bpf_map_lookup_elem(&funcs, &key))
        return;
    bad |= walk_str(w, task, info->name, PHPBPF_FUNC_NAME_LEN, name);
    info->scope[0] = '\0';
    if (scope && !walk_read(w, task, &p, sizeof(p), scope + PHPBPF_CE_NAME))
        bad |= walk_str(w, task, info->scope, PHPBPF_FUNC_NAME_LEN, p);
    info->file[0] = '\0';
    info->line_start = 0;
    if (type != PHPBPF_INTERNAL_FUNCTION) {
        p = 0;
        bad |= walk_read(w, task, &p, sizeof(p), func + PHPBPF_OPARRAY_FILENAME) != 0;
        bad |= walk_str(w, task, info->file, PHPBPF_FUNC_FILE_LEN, p);
        walk_read(w, task, &info->line_start, sizeof(info->line_start), func + PHPBPF_OPARRAY_LINE_START);
    }
    info->static_method = (flags & PHPBPF_ACC_STATIC) != 0;
    if (bad)
        __sync_fetch_and_add(&counters.names_unreadable, 1);
    else
        bpf_map_update_elem(&funcs, &key, info, BPF_NOEXIST);
}

/* One frame: 0 to go on, 1 to stop. */
static __always_inline long walk_frame(__u32 i, void *ctx, const int task)
{
    struct walk *w = ctx;
    struct phpbpf_stack_event *e = &w->s->e;
    __u64 ex[PHPBPF_EX_HEAD / 8], fn[PHPBPF_FUNC_HEAD / 8], opline, func, prev, name;
    __u32 n = e->nframes, type, kind, line = 0, op[3], flags;

    (void)i;
    if (!w->ex)
        return 1;
    if (n >= w->max || n >= PHPBPF_STACK_MAX) {
        e->truncated = 1;
        return 1;
    }
    if (walk_read(w, task, ex, sizeof(ex), w->ex)) {
        w->bad = 1;
        return 1;
    }
    opline = ex[PHPBPF_EX_OPLINE / 8];
    func = ex[PHPBPF_EX_FUNC / 8];
    prev = ex[PHPBPF_EX_PREV / 8];
    w->ex = prev;
    if (!func)                  /* a frame the engine made for itself */
        return 0;
    if (walk_read(w, task, fn, sizeof(fn), func)) {
        w->bad = 1;
        return 1;
    }
    type = (__u8)(fn[PHPBPF_FUNC_TYPE / 8] >> (8 * (PHPBPF_FUNC_TYPE % 8)));
    if (type == PHPBPF_INTERNAL_FUNCTION)
        kind = PHPBPF_FK_INTERNAL;
    else if (type == PHPBPF_USER_FUNCTION || type == PHPBPF_EVAL_CODE) {
        __u64 at = opline;

        /* On CPU in execute_ex(), the innermost frame's saved opline can be     */
        /* behind the one in the register: take that if it is this op_array's.  */
        if (n == 0 && w->opline_reg) {
            struct { __u32 last, pad; __u64 opcodes; } oa = {};

            if (!walk_read(w, task, &oa, sizeof(oa), func + PHPBPF_OPARRAY_LAST)
                && w->opline_reg >= oa.opcodes
                && w->opline_reg < oa.opcodes + (__u64)oa.last * PHPBPF_OP_SIZE)
                at = w->opline_reg;
        }
        if (at && !walk_read(w, task, op, sizeof(op), at + PHPBPF_OP_EXTENDED_VALUE))
            line = op[(PHPBPF_OP_LINENO - PHPBPF_OP_EXTENDED_VALUE) / 4];
        kind = PHPBPF_FK_USER;
        if (!fn[PHPBPF_FUNC_NAME / 8]) {
            __u64 pex = 0;

            /* A file's code: the script, or what its caller's opline included. */
            kind = PHPBPF_FK_MAIN;
            if (prev && !walk_read(w, task, &pex, sizeof(pex), prev + PHPBPF_EX_OPLINE) && pex
                && !walk_read(w, task, op, sizeof(op), pex + PHPBPF_OP_EXTENDED_VALUE)
                && (__u8)(op[(PHPBPF_OP_OPCODE - PHPBPF_OP_EXTENDED_VALUE) / 4]
                          >> (8 * (PHPBPF_OP_OPCODE % 4))) == PHPBPF_OP_INCLUDE_OR_EVAL)
                kind = include_kind(op[0]);
        }
    }
    else
        return 0;
    flags = (__u32)(fn[PHPBPF_FUNC_FLAGS / 8] >> (8 * (PHPBPF_FUNC_FLAGS % 8)));
    name = fn[PHPBPF_FUNC_NAME / 8];
    if (type != PHPBPF_INTERNAL_FUNCTION && !(flags & PHPBPF_ACC_IMMUTABLE))
        name ^= (e->seq | 1) * 0x9E3779B97F4A7C15ULL;    /* this request's only */
    walk_names(w, task, func, name, fn[PHPBPF_FUNC_NAME / 8], fn[PHPBPF_FUNC_SCOPE / 8],
                 type, flags);
    e->frame[n & (PHPBPF_STACK_MAX - 1)] = (struct phpbpf_frame){ func, name, line, kind };
    e->nframes = n + 1;
    return 0;
}

_Static_assert(PHPBPF_EX_OPLINE % 8 == 0 && PHPBPF_EX_FUNC % 8 == 0 && PHPBPF_EX_PREV % 8 == 0
               && PHPBPF_FUNC_NAME % 8 == 0 && PHPBPF_FUNC_SCOPE % 8 == 0,
               "the walker reads these as 64-bit words");
_Static_assert(PHPBPF_OPARRAY_OPCODES == PHPBPF_OPARRAY_LAST + 8, "last, then opcodes");
_Static_assert(PHPBPF_OP_LINENO == PHPBPF_OP_EXTENDED_VALUE + 4
               && PHPBPF_OP_OPCODE == PHPBPF_OP_EXTENDED_VALUE + 8,
               "extended_value, lineno and opcode in one read");
_Static_assert((PHPBPF_FUNC_NAME_LEN & (PHPBPF_FUNC_NAME_LEN - 1)) == 0
               && (PHPBPF_FUNC_FILE_LEN & (PHPBPF_FUNC_FILE_LEN - 1)) == 0,
               "string lengths are bounded with a mask the verifier follows");

/* The walk's end, for both programs: the event, as long as its frames,
 * into the events ring.  0 once sent; what it counts is the caller's. */
static __always_inline long walk_send(struct walk *w)
{
    __u32 size = w->s->e.nframes;

    if (size > PHPBPF_STACK_MAX)
        size = PHPBPF_STACK_MAX;
    size = offsetof(struct phpbpf_stack_event, frame) + size * sizeof(struct phpbpf_frame);
    return bpf_ringbuf_output(&events, &w->s->e, size, 0);
}

/* The walker's two ways in, for bpf_loop(): the sampled task, and a task
 * the backtrace iterator visits (unused: not every file that includes
 * this takes both). */
static __attribute__((unused)) long walk_current_frame(__u32 i, void *ctx)
{
    return walk_frame(i, ctx, 0);
}

static __attribute__((unused)) long walk_task_frame(__u32 i, void *ctx)
{
    return walk_frame(i, ctx, 1);
}


_Static_assert((PHPBPF_MAX_WAIT_SITES & (PHPBPF_MAX_WAIT_SITES - 1)) == 0
               && (PHPBPF_MAX_VHOSTS & (PHPBPF_MAX_VHOSTS - 1)) == 0,
               "site and vhost indexes are bounded with a mask the verifier follows");

/* Call sites are read with the sampler's walker: on with PhpBpfProfile. */
const volatile bool wait_sites_on __weak = false;

/* What wait_site() reads under the innermost frame: its head and, when the
 * caller's frame is small enough, the caller's (page.php's {main} is 192
 * bytes under the usleep it calls).  Each 256 bytes more cost about 40 ns
 * a read here; a head read on its own, about 100. */
#define PHPBPF_SITE_WINDOW 256

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64[PHPBPF_SITE_WINDOW / 8]);
} site_window __weak SEC(".maps");

/* A site already known for the frame whose head is h, into f->site: its
 * opline is in opcache's shared memory, where an address is never another
 * function's code (as the sampler assumes of ZEND_ACC_IMMUTABLE), and the
 * frame runs that code: a file's (main, include) or the same function.
 * The last such site of the task is known again without a lookup. */
static __always_inline int site_known(struct phpbpf_inflight *f, struct phpbpf_site_key *k,
                                      const __u64 *h, __u32 epoch)
{
    struct phpbpf_site *s;
    __u32 info = (__u32)(h[PHPBPF_EX_CALL_INFO / 8] >> (8 * (PHPBPF_EX_CALL_INFO % 8)));
    __u64 func = h[PHPBPF_EX_FUNC / 8];

    k->opline = h[PHPBPF_EX_OPLINE / 8];
    if (!k->opline)
        return 0;
    if (k->opline == f->sc_opline && k->vhost == f->sc_vhost && k->wait_class == f->sc_class
        && f->sc_epoch == epoch && ((info & PHPBPF_CALL_CODE) || func == f->sc_func)) {
        f->site = f->sc_site;
        return 1;
    }
    if (!(s = bpf_map_lookup_elem(&wait_sites, k)) || !s->persisted
        || !((info & PHPBPF_CALL_CODE) || s->func == func))
        return 0;
    f->site = s->idx + 1;
    f->sc_opline = k->opline;
    f->sc_vhost = k->vhost;
    f->sc_class = k->wait_class;
    f->sc_func = s->func;
    f->sc_site = f->site;
    f->sc_epoch = epoch;
    return 1;
}

/* A new site for vhost k->vhost in the period's part, if the part has
 * room and the vhost is below its share: its global index, or -1. */
static __always_inline int site_claim(struct phpbpf_site_key *k, __u32 part)
{
    __u32 v = k->vhost & (PHPBPF_MAX_VHOSTS - 1), p = part, active, share, idx;
    struct phpbpf_vstats *vs;

    /* clang knows part < 3 and would drop the mask the verifier needs. */
    barrier_var(p);
    p &= PHPBPF_SITE_PARTS_ROOM - 1;
    active = site_vhosts[p];
    share = PHPBPF_MAX_WAIT_SITES / (active + 1);
    if (vhost_sites[p][v] < share) {
        idx = __sync_fetch_and_add(&sites_next[p], 1);
        if (idx < PHPBPF_MAX_WAIT_SITES) {
            if (__sync_fetch_and_add(&vhost_sites[p][v], 1) == 0)
                __sync_fetch_and_add(&site_vhosts[p], 1);
            return (int)(p * PHPBPF_MAX_WAIT_SITES + idx);
        }
    }
    __sync_fetch_and_add(&counters.sites_lost, 1);
    if ((vs = bpf_map_lookup_elem(&vstats, &k->vhost)))
        __sync_fetch_and_add(&vs->sites_lost, 1);
    return -1;
}

/* The call site of a wait that starts now, in class c: the innermost user
 * function's frame of the current task, at most six frames up (usleep,
 * mysqli::query and the like are internal), into f->site.  This runs at
 * every switch-out of a request, and each read of user memory costs about
 * 100 ns here, so the common case is two: EG(current_execute_data), then
 * the 256 bytes under it, which hold the innermost frame and, for a caller
 * with a small frame, the caller's too (a call's frame is pushed on the VM
 * stack right above its caller's); else one more read, for the caller's
 * head.  Whether the innermost function is internal comes from the
 * last two internal functions this task waited in; the site from
 * site_known().  Anything else takes the full walk: two reads a frame,
 * and the names and line with the sampler's frame reader when the site is
 * new, or when the names it has are no longer in funcs. */
static __always_inline void wait_site(struct phpbpf_inflight *f, __u32 c)
{
    __u32 epoch = sites_epoch, part = epoch % PHPBPF_SITE_PARTS;
    struct phpbpf_site_key k = { f->vhost, (__u16)c, (__u16)part, 0 };
    __u64 ex = 0, head[PHPBPF_EX_HEAD / 8], fn[PHPBPF_FUNC_HEAD / 8], func = 0, name, lo, *win;
    __u64 cur_func, prev, at, refcount = 0;
    struct phpbpf_site *s;
    struct walk w = {};
    __u32 two = 2, zero = 0, i, type = 0, flags, persisted = 0;
    int idx;

    f->site = 0;
    f->site_epoch = epoch;
    if (!wait_sites_on || !f->eg
        || bpf_probe_read_user(&ex, sizeof(ex), (void *)(f->eg + PHPBPF_EG_CURRENT_EXECUTE_DATA))
        || !ex)
        return;
    lo = ex - (PHPBPF_SITE_WINDOW - PHPBPF_EX_HEAD);
    if (ex > PHPBPF_SITE_WINDOW && (win = bpf_map_lookup_elem(&site_window, &zero))
        && !bpf_probe_read_user(win, PHPBPF_SITE_WINDOW, (void *)lo)) {
        const __u64 *cur = win + (PHPBPF_SITE_WINDOW - PHPBPF_EX_HEAD) / 8;

        cur_func = cur[PHPBPF_EX_FUNC / 8];
        if (cur_func && (cur_func == f->site_internal[0] || cur_func == f->site_internal[1])) {
            prev = cur[PHPBPF_EX_PREV / 8];
            at = (prev - lo) / 8;
            if (prev >= lo && prev < ex && !(prev & 7)
                && at <= (PHPBPF_SITE_WINDOW - PHPBPF_EX_HEAD) / 8) {
                barrier_var(at);
                if (at <= (PHPBPF_SITE_WINDOW - PHPBPF_EX_HEAD) / 8 && site_known(f, &k, win + at, epoch))
                    return;
            }
            /* A caller with a bigger frame than the window holds: one read
             * more, for its head. */
            else if (prev && !bpf_probe_read_user(head, sizeof(head), (void *)prev)
                     && site_known(f, &k, head, epoch))
                return;
        }
        else if (site_known(f, &k, cur, epoch))
            return;
    }
    for (i = 0; i < 6 && ex; i++) {
        if (bpf_probe_read_user(head, sizeof(head), (void *)ex))
            return;
        func = head[PHPBPF_EX_FUNC / 8];
        if (func) {
            if (bpf_probe_read_user(fn, sizeof(fn), (void *)func))
                return;
            type = (__u8)(fn[PHPBPF_FUNC_TYPE / 8] >> (8 * (PHPBPF_FUNC_TYPE % 8)));
            if (type == PHPBPF_USER_FUNCTION || type == PHPBPF_EVAL_CODE)
                break;
            if (i == 0 && type == PHPBPF_INTERNAL_FUNCTION)
                f->site_internal[f->site_next++ & 1] = func;
        }
        ex = head[PHPBPF_EX_PREV / 8];
    }
    if (i == 6 || !ex || !(k.opline = head[PHPBPF_EX_OPLINE / 8]))
        return;
    /* The key the walker gives this function's names (see walk_frame()). */
    flags = (__u32)(fn[PHPBPF_FUNC_FLAGS / 8] >> (8 * (PHPBPF_FUNC_FLAGS % 8)));
    name = fn[PHPBPF_FUNC_NAME / 8];
    if (!(flags & PHPBPF_ACC_IMMUTABLE))
        name ^= (f->seq | 1) * 0x9E3779B97F4A7C15ULL;
    s = bpf_map_lookup_elem(&wait_sites, &k);
    if (s) {
        struct phpbpf_func_key fk = { s->func, s->name };

        /* Another copy of the function (a script's main code is copied for
         * each request) keeps the names of the first while they are known. */
        if ((s->func == func && s->name == name) || bpf_map_lookup_elem(&funcs, &fk)) {
            f->site = s->idx + 1;
            return;
        }
    }
    if (!(w.s = bpf_map_lookup_elem(&walk_scratch, &two)))
        return;
    w.s->e.nframes = 0;
    w.s->e.seq = f->seq;
    w.ex = ex;
    w.max = 1;
    walk_current_frame(0, &w);
    if (w.s->e.nframes != 1)
        return;
    if (s) {                    /* the same site, a new copy of its function */
        s->func = w.s->e.frame[0].func;
        s->name = w.s->e.frame[0].name;
        f->site = s->idx + 1;
        return;
    }
    /* Code in opcache's memory: a function of its (immutable), or a file's
     * code, whose per-request copy keeps the refcount opcache cleared. */
    if (type == PHPBPF_USER_FUNCTION)
        persisted = (flags & PHPBPF_ACC_IMMUTABLE)
                    || (!fn[PHPBPF_FUNC_NAME / 8]
                        && !bpf_probe_read_user(&refcount, sizeof(refcount),
                                                (void *)(func + PHPBPF_OPARRAY_REFCOUNT))
                        && !refcount);
    if ((idx = site_claim(&k, part)) >= 0) {
        struct phpbpf_site v = { w.s->e.frame[0].func, w.s->e.frame[0].name,
                                 w.s->e.frame[0].line, w.s->e.frame[0].kind, persisted, (__u32)idx };

        if (!bpf_map_update_elem(&wait_sites, &k, &v, BPF_NOEXIST)) {
            f->site = (__u32)idx + 1;
            return;
        }
    }
    /* Another CPU inserted it first: then it is there (and the index
     * taken here stays unused). */
    if ((s = bpf_map_lookup_elem(&wait_sites, &k)))
        f->site = s->idx + 1;
}

/* The wait that ends now, d ns long, onto its site's totals; not if it
 * began two periods ago or more, when its part of the table may have been
 * emptied for another period's sites. */
static __always_inline void charge_site(struct phpbpf_inflight *f, __u64 d)
{
    __u32 idx = f->site - 1;

    if (!f->site)
        return;
    f->site = 0;
    if (f->site_epoch + 1 < sites_epoch || idx >= PHPBPF_SITE_PARTS * PHPBPF_MAX_WAIT_SITES)
        return;
    barrier_var(idx);
    if (idx >= PHPBPF_SITE_PARTS * PHPBPF_MAX_WAIT_SITES)
        return;
    __sync_fetch_and_add(&site_totals[idx].ns, d);
    __sync_fetch_and_add(&site_totals[idx].count, 1);
}

/* The stack of a request: 0, or -1 if not even EG could be read. */
static __always_inline int walk_begin(struct walk *w, struct phpbpf_inflight *f, __u32 pid,
                                      __u32 source, __u32 max)
{
    struct phpbpf_stack_event *e = &w->s->e;

    e->source = source;
    e->pid = pid;
    e->vhost = f->vhost;
    e->seq = f->seq;
    e->elapsed_us = (bpf_ktime_get_ns() - f->start_ns) / 1000;
    e->nframes = 0;
    e->truncated = 0;
    w->max = max;
    w->bad = 0;
    return 0;
}

#endif
