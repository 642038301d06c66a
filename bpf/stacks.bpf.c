// SPDX-License-Identifier: Apache-2.0
/* PHP stacks: the sampler (PhpBpfProfile) and the slow requests'
 * backtraces (PhpBpfSlowTraceDepth), both through the walker of
 * php_stack.bpf.h. */
#include "phpbpf.bpf.h"
#include "php_stack.bpf.h"

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
    if (!f || !f->start_ns || !f->eg)
        return 0;
    w.s = bpf_map_lookup_elem(&walk_scratch, &zero);
    if (!w.s)
        return 0;
    walk_begin(&w, f, task->tgid, PHPBPF_SRC_SAMPLE, stack_depth);
    if (bpf_probe_read_user(&w.ex, sizeof(w.ex), (void *)(f->eg + PHPBPF_EG_CURRENT_EXECUTE_DATA))) {
        __sync_fetch_and_add(&counters.samples_unreadable, 1);
        return 0;
    }
    /* The user registers, whether the sample hit PHP itself or a syscall. */
    regs = (struct pt_regs *)bpf_task_pt_regs(task);
    if (regs && regs->ip >= f->ex_lo && regs->ip < f->ex_hi)
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
    if (!task || !slow_us || !backtrace_depth || task->pid != task->tgid)
        return 0;
    f = bpf_task_storage_get(&inflight, task, 0, 0);
    if (!f || !f->start_ns || !f->eg || f->bt_taken || bpf_ktime_get_ns() - f->start_ns < slow_us * 1000)
        return 0;
    f->bt_taken = 1;
    w.s = bpf_map_lookup_elem(&walk_scratch, &one);
    if (!w.s)
        return 0;
    w.task = task;
    walk_begin(&w, f, task->tgid, PHPBPF_SRC_BACKTRACE, backtrace_depth);
    if (bpf_copy_from_user_task(&w.ex, sizeof(w.ex), (void *)(f->eg + PHPBPF_EG_CURRENT_EXECUTE_DATA),
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
