/* The helper's part in PHP stacks: finding PHP's executor in libphp and
 * checking its layout, attaching the sampler (a perf event per CPU) and
 * the backtrace iterator, turning their events into the profile
 * (profile.h), and putting it in snapshots. */
#ifndef PHPBPF_HELPER_STACKS_H
#define PHPBPF_HELPER_STACKS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "snapshot.h"
#include "libphp_elf.h"

struct phpbpf;

struct phpbpf_stacks_cfg {
    const struct phpbpf_libphp *php;
    unsigned hz;                  /* PhpBpfProfileHz; 0: no sampling */
    unsigned trace_depth;         /* PhpBpfSlowTraceDepth; 0: no backtraces */
    uint64_t slow_us;             /* PhpBpfSlowThreshold; 0: no backtraces */
    unsigned vhosts;
    int cpu;                      /* PhpBpfCpuTracing: waits by call site */
    int queries;                  /* PhpBpfQueries: statements' callers */
    void (*log)(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
};

/* Before the skeleton is loaded: checks that libphp has the layout this
 * build was made for and sets the programs' knobs; programs that cannot
 * run are not loaded, and the reason is kept for the page. */
void phpbpf_stacks_prepare(struct phpbpf *skel, const struct phpbpf_stacks_cfg *cfg);

/* After load, while privileged: the perf events and the iterator.  Adds
 * PHPBPF_PROBE_*. */
void phpbpf_stacks_attach(struct phpbpf *skel, uint32_t *probes);

/* What the stack table loses, per vhost, also into *stacks, every
 * stride'th __u64 (a map that outlives the helper). */
void phpbpf_stacks_sink(uint64_t *stacks, uint32_t stride);

/* A frame's function, interned for the snapshot (0: its names are not
 * known), and the function of an id; for the statements' callers. */
uint32_t phpbpf_stacks_fid(const struct phpbpf_frame *fr);
/* Whether frames can be named at all (the profile's table is there). */
int phpbpf_stacks_named(void);
const struct phpbpf_func *phpbpf_stacks_func(uint32_t fid);
/* A PHPBPF_SRC_SAMPLE or PHPBPF_SRC_BACKTRACE event of the events ring. */
void phpbpf_stacks_event(const void *data, size_t len);

/* A new period: the profile's samples of the one before last go, and the
 * call sites' part of the table for the next period is emptied. */
void phpbpf_stacks_age(void);

/* A timer to poll, -1 if none: call phpbpf_stacks_tick() when it fires. */
int phpbpf_stacks_timer_fd(void);
void phpbpf_stacks_tick(void);

/* Up to max entries of a hash map, in as few syscalls as the kernel
 * allows: one bpf_map_lookup_batch() reads whole buckets, so nothing is
 * seen twice or skipped while programs update the map (get_next_key starts
 * over from the first key when the one it stands on is evicted). */
uint32_t phpbpf_read_map(int fd, void *keys, size_t key_size, void *vals, size_t val_size,
                         uint32_t max);

/* The stacks part of a snapshot; slow events (s->slow) get their
 * backtraces.  Valid until the next call. */
void phpbpf_stacks_snapshot(struct phpbpf_snapshot *s);

#endif
