// SPDX-License-Identifier: Apache-2.0
/* On-CPU and off-CPU time, and what requests waited on, by class and by
 * PHP call site (PhpBpfCpuTracing): one program on sched_switch. */
#include "phpbpf.bpf.h"
#include "php_stack.bpf.h"
#include "php_waits.bpf.h"

/* Every context switch on the machine lands here, so the common case must
 * be cheap: three loads through task_struct decide that a task is not one
 * of this httpd's, and only its processes pay for the storage lookup. */
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
