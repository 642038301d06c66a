// SPDX-License-Identifier: Apache-2.0
/* What every program file (one .bpf.c a feature) shares: the
 * maps and globals that outlive a helper (phpbpf_state.bpf.h), the
 * settings, and finding the request a task runs.
 *
 * The files are compiled one by one and linked into one object with
 * libbpf's static linker (bpftool gen object), so the helper loads one
 * skeleton.  Whatever more than one file uses is defined here __weak: the
 * linker keeps one definition of each (all the same), and no file owns
 * what another reads.  Every file includes this first, so the first one
 * linked defines every global of phpbpf_state.bpf.h, in that file's
 * order, and the later ones' copies are dropped: .bss is laid out by
 * phpbpf_state.bpf.h alone, which PHPBPF_LAYOUT_ID hashes. */
#ifndef PHPBPF_BPF_H
#define PHPBPF_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
/* Pulls in the USDT spec maps libbpf's attach_usdt() fills in (weak). */
#include <bpf/usdt.bpf.h>
#include "phpbpf.h"
#include "php_layout.h"
#include "phpbpf_state.bpf.h"

/* The settings, filled in by the helper before load (skel->rodata). */
const volatile __u64 slot_addr __weak = 0;
/* httpd's pid namespace (st_dev, st_ino of /proc/self/ns/pid): the pids
 * Apache logs are of that namespace. */
const volatile __u64 pidns_dev __weak = 0;
const volatile __u64 pidns_ino __weak = 0;
const volatile bool cpu_tracing __weak = false;
const volatile __u64 slow_us __weak = 0;      /* 0: no slow log */
/* true: php_request_startup/shutdown are USDT probes, whose arguments name
 * the request; false: uprobes on the functions, and SG(request_info) at
 * sg_addr (&sapi_globals, 0 if its layout is not this build's) does. */
const volatile bool usdt_args __weak = true;
const volatile __u64 sg_addr __weak = 0;
/* Where libphp is in every child: its executor_globals (0: no stacks) and
 * execute_ex(), which keeps the current opline in a register. */
const volatile __u64 eg_addr __weak = 0;
const volatile __u64 execute_ex_lo __weak = 0;
const volatile __u64 execute_ex_hi __weak = 0;
/* php-fpm (phpbpf.h): the binaries, by attach cookie - 1, and this
 * httpd's nonce; fpm_on false: no binary, and no master is looked for. */
const volatile bool fpm_on __weak = false;
const volatile __u64 fpm_nonce __weak = 0;
const volatile struct phpbpf_fpm_target fpm_targets[PHPBPF_FPM_MAX] __weak;

static __always_inline int task_is_ours(struct task_struct *t)
{
    __u32 ptgid = (__u32)t->real_parent->tgid;
    int i;

    /* prefork children are direct children of the parent; the parent
     * itself serves requests only under -X. */
    if ((__u32)t->tgid == httpd_pid || ptgid == httpd_pid)
        return 1;
    /* php-fpm workers are their master's children: a master is ours once
     * one of its workers ran a request for us (requests.bpf.c). */
    if (!fpm_on)
        return 0;
    for (i = 0; i < PHPBPF_FPM_MASTERS; i++)
        if (fpm_masters[i] == ptgid && ptgid)
            return 1;
    return 0;
}


/* This task's request state, if it is one of our httpd's processes. */
static __always_inline struct phpbpf_inflight *task_state(struct task_struct *t)
{
    return bpf_task_storage_get(&inflight, t, 0, 0);
}

/* A new entry for a task of ours (mod_php's child, or a php-fpm worker
 * running our request); NULL, counted, if none can be had. */
static __always_inline struct phpbpf_inflight *task_state_make(struct task_struct *t)
{
    struct phpbpf_inflight *f = bpf_task_storage_get(&inflight, t, 0,
                                                     BPF_LOCAL_STORAGE_GET_F_CREATE);

    if (!f)
        __sync_fetch_and_add(&counters.inflight_errors, 1);
    return f;
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

/* One sample into a histogram's totals and its bucket (the caller's, its
 * index masked where the verifier sees it): a vhost's histogram and a
 * route's, whose buckets are four of the vhost's, alike. */
static __always_inline void hist_count(__u64 *count, __u64 *sum_us, __u64 *max_us, __u64 *bucket,
                                       __u64 us)
{
    __u64 old;
    int i;

    __sync_fetch_and_add(count, 1);
    __sync_fetch_and_add(sum_us, us);
    __sync_fetch_and_add(bucket, 1);
    /* Bounded compare-and-swap, so a racing larger max is never lost to a
     * smaller one. */
    for (i = 0; i < 4; i++) {
        old = *max_us;
        if (us <= old)
            break;
        if (__sync_val_compare_and_swap(max_us, old, us) == old)
            break;
    }
}

static __always_inline void hist_add(struct phpbpf_hist *h, __u64 us)
{
    /* clang knows the index is already clamped and would drop the mask;
     * the barrier makes it keep one the verifier can see. */
    __u32 idx = phpbpf_hist_bucket(us);

    barrier_var(idx);
    hist_count(&h->count, &h->sum_us, &h->max_us, &h->bucket[idx & (PHPBPF_HIST_BUCKETS - 1)], us);
}

#endif
