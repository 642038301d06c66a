// SPDX-License-Identifier: Apache-2.0
/* Exceptions thrown, per vhost and by class. */
#include "phpbpf.bpf.h"

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
