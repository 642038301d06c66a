/* Shared between the BPF program, the helper and the Apache module: only
 * the structs and constants that more than one side reads.
 *
 * The Apache side of the correlation is a "slot": a small struct the module
 * allocates once from the httpd parent's process pool, so it has the same
 * address in every child of every generation.  Each child writes its current
 * request into its own copy-on-write copy; the BPF program reads it with
 * bpf_probe_read_user() when PHP's request probes fire.  No extra uprobe is
 * needed to learn which vhost a PHP request belongs to.
 */
#ifndef PHPBPF_H
#define PHPBPF_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#include "phpbpf_hist.h"

/* Changes whenever struct phpbpf_slot changes layout, so a BPF object from
 * one build never trusts a slot written by another. */
#define PHPBPF_SLOT_MAGIC 0x31746f6c73706870ULL /* "phpslot1" */

/* Index 0 of every per-vhost table is "(other)": requests whose vhost could
 * not be attributed, and vhosts beyond the configured capacity. */
#define PHPBPF_VHOST_OTHER 0

struct phpbpf_slot {
    __u64 magic;
    __u64 seq;              /* bumped for every request read */
    __u32 vhost;            /* index into the vhost table */
    __u32 pad;
    __u64 request_time_us;  /* r->request_time */
};

/* BPF-side event counters, kept in .bss and read by the helper through the
 * skeleton's mmap: every event that is not aggregated normally is counted
 * here, so the page can show it instead of silently dropping it. */
struct phpbpf_counters {
    __u64 hits;             /* every probe hit, ours or not: the trap cost */
    __u64 startups;         /* request__startup in our httpd's processes */
    __u64 shutdowns;        /* request__shutdown matched to a startup */
    __u64 foreign;          /* probe hits from processes of other programs */
    __u64 unattributed;     /* slot unreadable or not ours: vhost (other) */
    __u64 vhost_overflow;   /* slot named a vhost beyond the map */
    __u64 orphans;          /* shutdown with no recorded startup */
    __u64 inflight_errors;  /* no task storage could be allocated */
    __u64 compiles;         /* compile__file__return in our requests */
    __u64 compiles_outside; /* compiles outside a traced request */
    __u64 script_inserts;   /* scripts added to the LRU; minus its size = evicted */
    __u64 script_errors;    /* script path unreadable or map update failed */
    __u64 class_overflow;   /* thrown with the class table full: "other" */
    __u64 slow_lost;        /* slow-log events the ring buffer had no room for */
};

#define PHPBPF_COUNTER_NAMES \
    "hits", "startups", "shutdowns", "foreign", "unattributed", \
    "vhost_overflow", "orphans", "inflight_errors", "compiles", \
    "compiles_outside", "script_inserts", "script_errors", "class_overflow", "slow_lost"

#define PHPBPF_NCOUNTERS (sizeof(struct phpbpf_counters) / sizeof(__u64))

/* In-flight PHP request, keyed by thread id in an LRU hash, so a process
 * killed mid-request can never fill the map up.  The helper sizes it so
 * LRU's per-CPU free lists can never crowd out live entries. */
struct phpbpf_inflight {
    __u64 start_ns;
    __u32 vhost;
    __u32 pad0;
    __u64 compile_start_ns; /* 0 when not compiling */
    __u64 cpu_ts;           /* last switch in (or start) while on CPU, out while off */
    __u64 on_ns, off_ns;    /* so far in this request */
    __u64 seq;              /* the slot's request number: joins Apache's record */
    __u64 compile_us;       /* this request's, for the slow log */
    __u32 exc_thrown, pad;
};

/* A slow request, sent through a BPF ring buffer when its PHP time reached
 * PhpBpfSlowThreshold.  The module joins it with Apache's record of the
 * same request by (pid, seq). */
#define PHPBPF_EV_STR 256
struct phpbpf_slow_event {
    __u64 seq;
    __u32 pid, vhost;
    __u64 php_us, compile_us, on_us, off_us;
    __u32 exc_thrown, pad;
    char method[16];
    char uri[PHPBPF_EV_STR];
    char script[PHPBPF_EV_STR];
};

/* On-CPU and off-CPU time of PHP requests, per vhost (sched_switch). */
struct phpbpf_cpu {
    struct phpbpf_hist on, off;
};

/* Per-vhost figures beside the PHP time histogram. */
struct phpbpf_vstats {
    __u64 compiles;
    __u64 compile_us;
    __u64 exc_thrown;
};

/* Exception classes thrown, counted by name in a plain hash of this many
 * entries: when it is full, further classes are counted as "other" (the
 * class_overflow counter), never silently dropped. */
#define PHPBPF_MAX_CLASSES 256
#define PHPBPF_CLASS_LEN 128

struct phpbpf_class_key {
    char name[PHPBPF_CLASS_LEN];
};

/* Scripts are keyed by their full path, truncated to this many bytes; the
 * key is zero-padded so equal paths hash equal. */
#define PHPBPF_PATH_LEN 256

struct phpbpf_script_key {
    char path[PHPBPF_PATH_LEN];
};

#endif
