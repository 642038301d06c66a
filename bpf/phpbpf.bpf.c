// SPDX-License-Identifier: Apache-2.0
/* PHP request latency per Apache vhost, from mod_php's own USDT probes.
 *
 * Exactly two probe hits per PHP request: request__startup records the start
 * time and the vhost the Apache module wrote into its slot; request__shutdown
 * adds the PHP time to that vhost's histogram.  Both programs are attached
 * once, system-wide, to the libphp file; processes that are not children of
 * our httpd parent are rejected first, with one task_struct read.
 *
 * A request in flight lives in task-local storage, not a hash keyed by tid:
 * finding it is a pointer load from the task instead of a hash lookup, the
 * entry is made once per httpd child and reused for all its requests
 * instead of inserted and deleted each time, and it goes away with the
 * task, so a child that dies mid-request leaves nothing behind.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
/* Pulls in the USDT spec maps libbpf's attach_usdt() fills in. */
#include <bpf/usdt.bpf.h>
#include "phpbpf.h"
#include "php_layout.h"
#include "phpbpf_state.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Filled in by the helper before load. */
const volatile __u64 slot_addr = 0;
/* httpd's pid namespace (st_dev, st_ino of /proc/self/ns/pid): the pids
 * Apache logs are of that namespace. */
const volatile __u64 pidns_dev = 0, pidns_ino = 0;
const volatile bool cpu_tracing = false;
const volatile __u64 slow_us = 0;      /* 0: no slow log */
/* true: php_request_startup/shutdown are USDT probes, whose arguments name
 * the request; false: uprobes on the functions, and SG(request_info) at
 * sg_addr (&sapi_globals, 0 if its layout is not this build's) does. */
const volatile bool usdt_args = true;
const volatile __u64 sg_addr = 0;


/* Run once by the helper (BPF_PROG_RUN), in its own context: its parent is
 * the httpd parent. */
SEC("syscall")
int php_whoami(void *ctx)
{
    struct task_struct *self = bpf_get_current_task_btf();

    (void)ctx;
    httpd_pid = BPF_CORE_READ(self, real_parent, tgid);
    return 0;
}



static __always_inline int task_is_ours(struct task_struct *t)
{
    /* prefork children are direct children of the parent; the parent
     * itself serves requests only under -X. */
    return (__u32)t->tgid == httpd_pid || (__u32)t->real_parent->tgid == httpd_pid;
}

/* This task's request state, if it is one of our httpd's processes. */
static __always_inline struct phpbpf_inflight *task_state(struct task_struct *t)
{
    return bpf_task_storage_get(&inflight, t, 0, 0);
}

/* The request running on this thread, or NULL (counted as foreign when the
 * thread is not ours at all). */
static __always_inline struct phpbpf_inflight *current_request(void)
{
    struct task_struct *task = bpf_get_current_task_btf();
    struct phpbpf_inflight *f = task_state(task);

    if (f && f->start_ns)
        return f;
    if (!f && !task_is_ours(task))
        __sync_fetch_and_add(&counters.foreign, 1);
    return NULL;
}

/* A probe hit with no request of ours in flight: `ours` counts it if the
 * task is one of this httpd's (a request whose start was missed, a compile
 * outside a request), else it is foreign.  Foreign processes never get an
 * entry, so the parent check runs only on this slow path. */
static __always_inline void count_outside(struct task_struct *t, struct phpbpf_inflight *f,
                                          __u64 *ours)
{
    __sync_fetch_and_add(f || task_is_ours(t) ? ours : &counters.foreign, 1);
}

static __always_inline void hist_add(struct phpbpf_hist *h, __u64 us)
{
    __u64 old;
    __u32 idx;
    int i;

    __sync_fetch_and_add(&h->count, 1);
    __sync_fetch_and_add(&h->sum_us, us);
    /* clang knows the index is already clamped and would drop the mask;
     * the barrier makes it keep one the verifier can see. */
    idx = phpbpf_hist_bucket(us);
    barrier_var(idx);
    __sync_fetch_and_add(&h->bucket[idx & (PHPBPF_HIST_BUCKETS - 1)], 1);
    /* Bounded compare-and-swap, so a racing larger max is never lost to a
     * smaller one. */
    for (i = 0; i < 4; i++) {
        old = h->max_us;
        if (us <= old)
            break;
        if (__sync_val_compare_and_swap(&h->max_us, old, us) == old)
            break;
    }
}

SEC("usdt")
int php_request_startup(struct pt_regs *ctx)
{
    struct task_struct *task = bpf_get_current_task_btf();
    struct phpbpf_inflight *f;
    struct phpbpf_slot slot;
    __u64 now;

    (void)ctx; /* the probe arguments are not needed: the slot has more */
    PHPBPF_GATE();
    __sync_fetch_and_add(&counters.hits, 1);
    f = task_state(task);
    if (!f) {
        /* The first request of this process since the helper started:
         * the only time the parent check runs for one of ours. */
        if (!task_is_ours(task)) {
            __sync_fetch_and_add(&counters.foreign, 1);
            return 0;
        }
        f = bpf_task_storage_get(&inflight, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
        if (!f) {
            __sync_fetch_and_add(&counters.inflight_errors, 1);
            return 0;
        }
    }
    /* The last request of this task started and never ended, as far as
     * any program of ours saw: its end fell between a helper's death and
     * its successor. */
    if (f->start_ns) {
        struct phpbpf_vstats *v = bpf_map_lookup_elem(&vstats, &f->vhost);

        __sync_fetch_and_add(&counters.unfinished, 1);
        if (v)
            __sync_fetch_and_add(&v->lost, 1);
    }
    now = bpf_ktime_get_ns();
    f->start_ns = now;
    f->cpu_ts = now;
    f->on_ns = f->off_ns = 0;
    f->compile_start_ns = f->compile_us = 0;
    f->exc_thrown = 0;
    f->bt_taken = 0;
    if (cpu_tracing) {
        __builtin_memset(f->wait_ns, 0, sizeof(f->wait_ns));
        __builtin_memset(f->waits, 0, sizeof(f->waits));
    }
    if (bpf_probe_read_user(&slot, sizeof(slot), (void *)slot_addr) == 0
        && slot.magic == PHPBPF_SLOT_MAGIC) {
        /* What this child logged since the last startup seen here, beyond
         * that one request, no program of ours saw at all. */
        __s64 missed = (__s64)(slot.php_logged - (f->seen ? f->logged + 1 : 0));

        if (missed > 0)
            __sync_fetch_and_add(&counters.missed, (__u64)missed);
        f->seen = 1;
        f->logged = slot.php_logged;
        f->vhost = slot.vhost;
        f->seq = slot.seq;
    }
    else {
        f->vhost = PHPBPF_VHOST_OTHER;
        f->seq = 0;
        __sync_fetch_and_add(&counters.unattributed, 1);
    }
    __sync_fetch_and_add(&counters.startups, 1);
    return 0;
}

/* A request whose start no program of ours saw (it fell between a
 * helper's death and its successor), charged to the vhost in the slot. */
static __always_inline void lost_in_slot_vhost(void)
{
    struct phpbpf_vstats *v;
    struct phpbpf_slot slot;

    if (bpf_probe_read_user(&slot, sizeof(slot), (void *)slot_addr) == 0
        && slot.magic == PHPBPF_SLOT_MAGIC && (v = bpf_map_lookup_elem(&vstats, &slot.vhost)))
        __sync_fetch_and_add(&v->lost, 1);
}

/* The probe's own arguments name the request: file, URI (PHP's
 * request_uri, r->uri: no query string) and method.  Read only for the
 * rare slow request. */
/* Where the request's script, URI or method is: the USDT probe's argument
 * i, or without USDT notes the same field of SG(request_info), at sg_off.
 * 0 if neither can be had. */
static __always_inline __u64 request_str(struct pt_regs *ctx, int i, __u64 sg_off)
{
    long arg = 0;
    __u64 p = 0;

    if (usdt_args)
        return bpf_usdt_arg(ctx, i, &arg) == 0 ? (__u64)arg : 0;
    if (!sg_addr || bpf_probe_read_user(&p, sizeof(p), (void *)(sg_addr + sg_off)) != 0)
        return 0;
    return p;
}

static __always_inline void slow_event(struct pt_regs *ctx, struct phpbpf_inflight *f, __u32 pid,
                                       __u64 php_us, __u64 on_us, __u64 off_us)
{
    struct phpbpf_slow_event *e;
    __u64 str;

    e = bpf_ringbuf_reserve(&slow_events, sizeof(*e), 0);
    if (!e) {
        __sync_fetch_and_add(&counters.slow_lost, 1);
        return;
    }
    e->seq = f->seq;
    e->pid = pid;
    e->ns_pid = pid;
    if (pidns_ino) {            /* as Apache's record has it */
        struct bpf_pidns_info ns;

        if (!bpf_get_ns_current_pid_tgid(pidns_dev, pidns_ino, &ns, sizeof(ns)))
            e->ns_pid = ns.tgid;
    }
    e->vhost = f->vhost;
    e->php_us = php_us;
    e->compile_us = f->compile_us;
    e->on_us = cpu_tracing ? on_us : 0;
    e->off_us = cpu_tracing ? off_us : 0;
    if (cpu_tracing) {
        int k;

        for (k = 0; k < PHPBPF_WAIT_CLASSES; k++) {
            e->wait_us[k] = f->wait_ns[k] / 1000;
            e->waits[k] = f->waits[k];
        }
    }
    else {
        __builtin_memset(e->wait_us, 0, sizeof(e->wait_us));
        __builtin_memset(e->waits, 0, sizeof(e->waits));
    }
    e->exc_thrown = f->exc_thrown;
    e->script[0] = e->uri[0] = e->method[0] = '\0';
    if ((str = request_str(ctx, 0, PHPBPF_SG_PATH_TRANSLATED)))
        bpf_probe_read_user_str(e->script, sizeof(e->script), (void *)str);
    if ((str = request_str(ctx, 1, PHPBPF_SG_REQUEST_URI)))
        bpf_probe_read_user_str(e->uri, sizeof(e->uri), (void *)str);
    if ((str = request_str(ctx, 2, PHPBPF_SG_REQUEST_METHOD)))
        bpf_probe_read_user_str(e->method, sizeof(e->method), (void *)str);
    bpf_ringbuf_submit(e, 0);
}

SEC("usdt")
int php_request_shutdown(struct pt_regs *ctx)
{
    struct task_struct *task = bpf_get_current_task_btf();
    struct phpbpf_inflight *f;
    struct phpbpf_hist *h;
    struct phpbpf_cpu *c;
    __u32 vhost;
    __u64 us, now, on_us, off_us;

    PHPBPF_GATE();
    __sync_fetch_and_add(&counters.hits, 1);
    f = task_state(task);
    if (!f || !f->start_ns) {
        count_outside(task, f, &counters.orphans);
        if (f || task_is_ours(task))
            lost_in_slot_vhost();
        return 0;
    }
    now = bpf_ktime_get_ns();
    us = (now - f->start_ns) / 1000;
    vhost = f->vhost;
    /* We are on CPU: the last slice ends now. */
    on_us = (f->on_ns + now - f->cpu_ts) / 1000;
    off_us = f->off_ns / 1000;
    if (slow_us && us >= slow_us)
        slow_event(ctx, f, task->tgid, us, on_us, off_us);
    f->start_ns = 0;

    h = bpf_map_lookup_elem(&php_hist, &vhost);
    if (!h) {
        __sync_fetch_and_add(&counters.vhost_overflow, 1);
        vhost = PHPBPF_VHOST_OTHER;
        h = bpf_map_lookup_elem(&php_hist, &vhost);
        if (!h)
            return 0;
    }
    hist_add(h, us);
    if (cpu_tracing) {
        struct phpbpf_waits *wt = bpf_map_lookup_elem(&wait_hist, &vhost);
        int k;

        c = bpf_map_lookup_elem(&cpu_hist, &vhost);
        if (c) {
            hist_add(&c->on, on_us);
            hist_add(&c->off, off_us);
        }
        for (k = 0; wt && k < PHPBPF_WAIT_CLASSES; k++)
            if (f->waits[k]) {
                __sync_fetch_and_add(&wt->ns[k], f->wait_ns[k]);
                __sync_fetch_and_add(&wt->count[k], f->waits[k]);
            }
    }
    __sync_fetch_and_add(&counters.shutdowns, 1);
    return 0;
}

/* compile_file() runs only on an opcache miss (opcache's
 * persistent_compile_file calls it then, and only then), so an entry and a
 * return probe on it see every real compile and cost nothing on a hit.  No
 * USE_ZEND_DTRACE, which would switch off the JIT and route every PHP call
 * through dtrace_execute_ex. */
SEC("uprobe")
int php_compile_entry(struct pt_regs *ctx)
{
    struct phpbpf_inflight *f;

    PHPBPF_GATE();
    __sync_fetch_and_add(&counters.hits, 1);
    f = current_request();
    if (f) {
        f->compile_start_ns = bpf_ktime_get_ns();
        f->compile_fh = PT_REGS_PARM1(ctx);
    }
    return 0;
}

/* The file as PHP resolved it (opened_path, set while compiling; the name
 * as included when there is none), from the handle saved at entry, with
 * its compile time, to the helper, which counts scripts by vhost. */
static __always_inline void script_add(__u32 vhost, __u64 fh, __u64 us)
{
    struct phpbpf_compile_event *e;
    __u64 zs = 0;

    if (bpf_probe_read_user(&zs, sizeof(zs), (void *)(fh + PHPBPF_FH_OPENED_PATH)) != 0 || !zs)
        bpf_probe_read_user(&zs, sizeof(zs), (void *)(fh + PHPBPF_FH_FILENAME));
    if (!zs) {
        __sync_fetch_and_add(&counters.script_errors, 1);
        return;
    }
    if (!(e = bpf_ringbuf_reserve(&events, sizeof(*e), 0))) {
        __sync_fetch_and_add(&counters.scripts_lost, 1);
        return;
    }
    e->source = PHPBPF_SRC_COMPILE;
    e->vhost = vhost;
    e->us = us;
    if (bpf_probe_read_user_str(e->path, sizeof(e->path), (void *)(zs + PHPBPF_STR_VAL)) <= 0) {
        __sync_fetch_and_add(&counters.script_errors, 1);
        bpf_ringbuf_discard(e, 0);
        return;
    }
    bpf_ringbuf_submit(e, 0);
}

SEC("uretprobe")
int php_compile_return(struct pt_regs *ctx)
{
    struct task_struct *task = bpf_get_current_task_btf();
    struct phpbpf_inflight *f;
    struct phpbpf_vstats *v;
    struct phpbpf_hist *ch;
    __u64 us;
    __u32 vhost;

    (void)ctx;
    PHPBPF_GATE();
    __sync_fetch_and_add(&counters.hits, 1);
    f = task_state(task);
    if (!f || !f->start_ns || !f->compile_start_ns) {
        count_outside(task, f, &counters.compiles_outside);
        return 0;
    }
    us = (bpf_ktime_get_ns() - f->compile_start_ns) / 1000;
    f->compile_start_ns = 0;
    f->compile_us += us;
    vhost = f->vhost;
    v = bpf_map_lookup_elem(&vstats, &vhost);
    if (v) {
        __sync_fetch_and_add(&v->compiles, 1);
        __sync_fetch_and_add(&v->compile_us, us);
    }
    ch = bpf_map_lookup_elem(&compile_hist, &vhost);
    if (ch)
        hist_add(ch, us);
    __sync_fetch_and_add(&counters.compiles, 1);
    script_add(vhost, f->compile_fh, us);
    return 0;
}

/* Every context switch on the machine lands here, so the common case must
 * be cheap: three loads through task_struct decide that a task is not one
 * of this httpd's, and only its processes pay for the storage lookup. */
#include "php_stack.bpf.h"
#include "php_waits.bpf.h"

SEC("tp_btf/sched_switch")
int BPF_PROG(php_sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
    struct phpbpf_inflight *f;
    __u64 now = 0;

    (void)ctx;
    PHPBPF_GATE();
    f = task_is_ours(prev) ? task_state(prev) : NULL;
    if (f && f->start_ns) {
        now = bpf_ktime_get_ns();
        f->on_ns += now - f->cpu_ts;
        f->cpu_ts = now;
#ifndef PHPBPF_BENCH_NO_WAITS      /* the bench's baseline: CPU tracing as it was */
        f->wait_class = wait_class(prev, preempt);
#ifndef PHPBPF_BENCH_NO_SITES      /* the bench's split without call sites */
        if (f->wait_class != PHPBPF_W_RUNQUEUE)
            wait_site(f, f->wait_class);
        else
#endif
            f->site = 0;
#endif
    }
    f = task_is_ours(next) ? task_state(next) : NULL;
    if (f && f->start_ns) {
        __u64 d;
        __u32 c;

        if (!now)
            now = bpf_ktime_get_ns();
        d = now - f->cpu_ts;
        f->off_ns += d;
#ifndef PHPBPF_BENCH_NO_WAITS
        c = f->wait_class < PHPBPF_WAIT_CLASSES ? f->wait_class : PHPBPF_W_OTHER;
        f->wait_ns[c] += d;
        f->waits[c]++;
        charge_site(f, d);
#else
        (void)c;
#endif
        f->cpu_ts = now;
    }
    return 0;
}

/* A thrown exception's class name, counted for its request's vhost, and
 * sent to the helper, which counts classes by vhost. */
static __always_inline void exception_add(__u64 name)
{
    struct phpbpf_class_event *e;
    struct phpbpf_inflight *f;
    struct phpbpf_vstats *v;
    __u32 vhost;

    if (!(f = current_request()))
        return;
    f->exc_thrown++;
    vhost = f->vhost;
    v = bpf_map_lookup_elem(&vstats, &vhost);
    if (v)
        __sync_fetch_and_add(&v->exc_thrown, 1);
    if (!(e = bpf_ringbuf_reserve(&events, sizeof(*e), 0))) {
        __sync_fetch_and_add(&counters.classes_lost, 1);
        return;
    }
    e->source = PHPBPF_SRC_CLASS;
    e->vhost = vhost;
    if (!name || bpf_probe_read_user_str(e->name, sizeof(e->name), (void *)name) <= 0)
        __builtin_memcpy(e->name, "(unknown)", 10);
    bpf_ringbuf_submit(e, 0);
}

/* exception__thrown fires without USE_ZEND_DTRACE and costs a probe hit
 * only when PHP throws.  exception__caught is not used: PHP fires it for
 * every catch clause it tries, matching or not, so it does not count
 * catches. */
SEC("usdt")
int php_exception_thrown(struct pt_regs *ctx)
{
    long name = 0;

    PHPBPF_GATE();
    __sync_fetch_and_add(&counters.hits, 1);
    /* The probe site that passes no class re-raises an exception already
     * counted when it was thrown. */
    if (bpf_usdt_arg(ctx, 0, &name) != 0 || !name)
        return 0;
    exception_add((__u64)name);
    return 0;
}

/* Without USDT notes: the function the probe sits in, at its entry, where
 * the probe fires too.  NULL is the same re-raise. */
SEC("uprobe")
int php_exception_fn(struct pt_regs *ctx)
{
    __u64 obj = PT_REGS_PARM1(ctx), ce = 0, name = 0;

    PHPBPF_GATE();
    __sync_fetch_and_add(&counters.hits, 1);
    if (!obj)
        return 0;
    if (bpf_probe_read_user(&ce, sizeof(ce), (void *)(obj + PHPBPF_OBJ_CE)) != 0 || !ce
        || bpf_probe_read_user(&name, sizeof(name), (void *)(ce + PHPBPF_CE_NAME)) != 0 || !name)
        name = 0;
    exception_add(name ? name + PHPBPF_STR_VAL : 0);
    return 0;
}

/* ---------------------------------------------------------- PHP stacks */

/* A sample of every CPU, PhpBpfProfileHz times a second (a perf event of
 * the software CPU clock): only a PHP request of this httpd's children is
 * walked, found by its task-local storage, which no other task has. */
SEC("perf_event")
int php_profile(struct bpf_perf_event_data *ctx)
{
    struct task_struct *task = bpf_get_current_task_btf();
    struct phpbpf_inflight *f = task_state(task);
    struct pt_regs *regs;
    struct walk w = {};
    __u32 zero = 0;

    (void)ctx;
    PHPBPF_GATE();
    if (!f || !f->start_ns || !eg_addr)
        return 0;
    w.s = bpf_map_lookup_elem(&walk_scratch, &zero);
    if (!w.s)
        return 0;
    walk_begin(&w, f, task->tgid, PHPBPF_SRC_SAMPLE, stack_depth);
    if (bpf_probe_read_user(&w.ex, sizeof(w.ex), (void *)(eg_addr + PHPBPF_EG_CURRENT_EXECUTE_DATA))) {
        __sync_fetch_and_add(&counters.samples_unreadable, 1);
        return 0;
    }
    /* The user registers, whether the sample hit PHP itself or a syscall. */
    regs = (struct pt_regs *)bpf_task_pt_regs(task);
    if (regs && regs->ip >= execute_ex_lo && regs->ip < execute_ex_hi)
        w.opline_reg = regs->r15;
    bpf_loop(PHPBPF_STACK_MAX + 8, walk_current_frame, &w, 0);
    if (w.bad && !w.s->e.nframes) {
        __sync_fetch_and_add(&counters.samples_unreadable, 1);
        return 0;
    }
    if (w.s->e.truncated)
        __sync_fetch_and_add(&counters.stacks_truncated, 1);
    if (walk_send(&w))
        __sync_fetch_and_add(&counters.samples_lost, 1);
    else {
        struct phpbpf_vstats *v = bpf_map_lookup_elem(&vstats, &f->vhost);

        __sync_fetch_and_add(&counters.samples, 1);
        if (v)
            __sync_fetch_and_add(&v->samples, 1);
    }
    return 0;
}

/* Run by the helper a few times per slow threshold: every request of ours
 * that has run for longer than it and has no backtrace yet gets one, taken
 * while it runs, wherever it is stuck (a sleep, a socket read) -- which no
 * CPU sample can see.  Sleepable, to read another task's memory. */
SEC("iter.s/task")
int php_backtrace(struct bpf_iter__task *ctx)
{
    struct task_struct *task = ctx->task;
    struct phpbpf_inflight *f;
    struct walk w = {};
    __u32 one = 1;

    PHPBPF_GATE();
    if (!task || !slow_us || !eg_addr || !backtrace_depth || task->pid != task->tgid)
        return 0;
    f = bpf_task_storage_get(&inflight, task, 0, 0);
    if (!f || !f->start_ns || f->bt_taken || bpf_ktime_get_ns() - f->start_ns < slow_us * 1000)
        return 0;
    f->bt_taken = 1;
    w.s = bpf_map_lookup_elem(&walk_scratch, &one);
    if (!w.s)
        return 0;
    w.task = task;
    walk_begin(&w, f, task->tgid, PHPBPF_SRC_BACKTRACE, backtrace_depth);
    if (bpf_copy_from_user_task(&w.ex, sizeof(w.ex), (void *)(eg_addr + PHPBPF_EG_CURRENT_EXECUTE_DATA),
                                task, 0)) {
        __sync_fetch_and_add(&counters.samples_unreadable, 1);
        return 0;
    }
    bpf_loop(PHPBPF_STACK_MAX + 8, walk_task_frame, &w, 0);
    if (walk_send(&w))
        __sync_fetch_and_add(&counters.backtraces_lost, 1);
    else
        __sync_fetch_and_add(&counters.backtraces, 1);
    return 0;
}
