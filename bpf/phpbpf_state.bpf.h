/* What outlives a helper: every map and global whose contents are
 * history (PHP time, CPU, waits, exceptions, compiles, the requests in
 * flight, unread events, the slow log).  A new helper (a crash's
 * respawn, a graceful with other settings, an upgrade of the module) takes
 * these over through the httpd parent's mailbox (helper/carry.c) instead
 * of starting from zero, when its layout is the same: the build hashes
 * this file, phpbpf.h and phpbpf_hist.h into PHPBPF_LAYOUT_ID.
 *
 * So every map with history and every global (they make up .bss) is
 * defined here and nowhere else; scratch maps and the peer tables, which a
 * helper fills from its own configuration, are not.  No global may have an
 * initial value other than 0 (that would make a .data section, not
 * carried). */
#ifndef PHPBPF_STATE_BPF_H
#define PHPBPF_STATE_BPF_H

/* Which helper's programs count: its generation.  A new helper loads and
 * attaches its programs while the old one's still run, then sets
 * active_gen to its own: from that moment on the old ones return at once
 * and the new ones count, with nothing counted twice or missed. */
const volatile __u64 my_gen __weak = 0;
__u64 active_gen __weak;
/* When the first helper of these maps started (unix time, us): PHP-side
 * counters are since then. */
__u64 php_since_us __weak;
/* CLOCK_REALTIME - CLOCK_MONOTONIC, in ns, set by the helper (and kept up
 * to date across clock steps): a route's Apache time runs from Apache's
 * r->request_time, which is wall-clock, to PHP's end. */
__s64 wall_offset_ns __weak;
/* The key of the hash a task knows its last route by (php_routes.bpf.h),
 * from getrandom() when a helper starts. */
__u64 route_seed __weak;

#define PHPBPF_GATE()                   \
    do {                                \
        if (active_gen != my_gen)       \
            return 0;                   \
    } while (0)

struct phpbpf_counters counters __weak;

/* php-fpm masters whose workers ran requests for us (task_is_ours), most
 * recent PHPBPF_FPM_MASTERS: a restarted master takes the oldest's place. */
__u32 fpm_masters[PHPBPF_FPM_MASTERS] __weak;
__u32 fpm_next __weak;

/* The httpd parent's pid as the kernel knows it (the initial namespace's),
 * which is what task_struct holds: inside a container httpd and its helper
 * see another.  Set by the helper through php_whoami, after load and
 * before any probe is attached. */
__u32 httpd_pid __weak = 0;

/* start_ns == 0: this task is ours but not inside a PHP request. */
struct {
    __uint(type, BPF_MAP_TYPE_TASK_STORAGE);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, int);
    __type(value, struct phpbpf_inflight);
} inflight __weak SEC(".maps");

/* max_entries is the vhost capacity, set by the helper before load.
 * Mmapable so the helper can copy it without a syscall per vhost. */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(map_flags, BPF_F_MMAPABLE);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct phpbpf_hist);
} php_hist __weak SEC(".maps");

/* Same capacity as php_hist. */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(map_flags, BPF_F_MMAPABLE);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct phpbpf_vstats);
} vstats __weak SEC(".maps");

/* Same capacity as php_hist. */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(map_flags, BPF_F_MMAPABLE);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct phpbpf_cpu);
} cpu_hist __weak SEC(".maps");

/* Off-CPU time by what was waited on, per vhost; one entry unless CPU
 * tracing is on.  Same capacity as php_hist. */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(map_flags, BPF_F_MMAPABLE);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct phpbpf_waits);
} wait_hist __weak SEC(".maps");

/* Compile time per vhost; one entry unless compile tracing is on. */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(map_flags, BPF_F_MMAPABLE);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct phpbpf_hist);
} compile_hist __weak SEC(".maps");


struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 256 * 1024);
} slow_events __weak SEC(".maps");


/* What the helper's tables could not keep, per vhost (max_entries: the
 * vhosts, set by the helper).  No program touches it. */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(map_flags, BPF_F_MMAPABLE);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct phpbpf_table_lost);
} table_lost __weak SEC(".maps");

/* The slow log: what the helper keeps of slow events, here so that it
 * outlives the helper.  No program touches it. */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(map_flags, BPF_F_MMAPABLE);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct phpbpf_slow_log);
} slow_log __weak SEC(".maps");

/* Routes by vhost (php_routes.bpf.h): max_entries is the vhosts times
 * (PhpBpfMaxRoutes + 1), set by the helper, so that each vhost's routes
 * and its (other) always fit.  Entries are made as routes appear, and
 * only then take memory (2.3 KB each). */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __uint(max_entries, 1);
    __type(key, struct phpbpf_route_key);
    __type(value, struct phpbpf_route);
} routes __weak SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 8192);
    __type(key, struct phpbpf_func_key);
    __type(value, struct phpbpf_func_info);
} funcs __weak SEC(".maps");

/* Stack samples, slow requests' backtraces, exceptions thrown and
 * compiles, for the helper to count (PHPBPF_SRC_*). */
struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 1024 * 1024);
} events __weak SEC(".maps");

/* Waits by call site (php_stack.bpf.h).  Not an LRU: an evicted site
 * would take its totals with it unseen.  Its key's part is the period's
 * (sites_epoch % PHPBPF_SITE_PARTS): the helper empties the part of the
 * period before last, and then moves sites_epoch on, so that the table
 * holds the last one to two periods.  Their totals are site_totals[],
 * allocated in order per part (sites_next); a full part, or a vhost at its
 * share, counts what it could not take (sites_lost). */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, PHPBPF_SITE_PARTS * PHPBPF_MAX_WAIT_SITES);
    __type(key, struct phpbpf_site_key);
    __type(value, struct phpbpf_site);
} wait_sites __weak SEC(".maps");

struct phpbpf_site_total site_totals[PHPBPF_SITE_PARTS * PHPBPF_MAX_WAIT_SITES] __weak;
__u32 sites_epoch __weak;
__u32 sites_next[PHPBPF_SITE_PARTS_ROOM] __weak;
__u32 site_vhosts[PHPBPF_SITE_PARTS_ROOM] __weak;          /* vhosts with a site, per part */
__u32 vhost_sites[PHPBPF_SITE_PARTS_ROOM][PHPBPF_MAX_VHOSTS] __weak;   /* their sites */

#endif
