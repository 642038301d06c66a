// SPDX-License-Identifier: Apache-2.0
/* Compile time per vhost and per script (PhpBpfCompileTracing). */
#include "phpbpf.bpf.h"

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
