/* What the helper's jobs share: one struct, filled by attach.c, read by
 * collect.c, driven by main.c.
 *
 *   main.c        the order of things, and the event loop
 *   args.c        the command line (common/options.h)    log.c   the log
 *   privileges.c  a clean process first, nobody with no capabilities last
 *   libphp_elf.c  what libphp's ELF says
 *   attach.c      load, attach, map, hand over to the next helper (carry.c)
 *   collect.c     the maps into a snapshot
 *   serve.c       the socket                  stacks.c, tables.c   the tables
 */
#ifndef PHPBPF_HELPER_H
#define PHPBPF_HELPER_H

#include <stdint.h>
#include <sys/time.h>

#include "args.h"
#include "carry.h"
#include "libphp_elf.h"
#include "snapshot.h"

struct phpbpf;
struct ring_buffer;

struct phpbpf_helper {
    struct phpbpf_helper_args args;
    const struct phpbpf_options *opt;      /* &args.o */
    struct phpbpf *skel;
    uint32_t probes;                       /* PHPBPF_PROBE_* attached */
    struct phpbpf_libphp php;              /* what libphp has besides USDT notes */
    int usdt_request;                      /* request probes are USDT notes, not functions */
    uint32_t fpm_ok;                       /* bit k: php-fpm binary k (--fpm) is traced */
    struct bpf_link *fpm_links[PHPBPF_FPM_MAX][5];
    char untraced[PHPBPF_STR_MAX];         /* configured, but not on this libphp */
    /* The slow events' ring buffer and the events' (stack samples,
     * backtraces, exceptions, compiles), polled together. */
    struct ring_buffer *rings;
    /* The last slow_size slow requests, as a ring in the slow_log map,
     * which outlives this helper; n counts all. */
    struct phpbpf_slow_log *slow_log;
    struct phpbpf_carry carry;
    /* The arrays' memory (mmap of the maps), NULL where a feature is off. */
    const struct phpbpf_hist *hists;       /* php_hist */
    const struct phpbpf_vstats *vstats;    /* vstats */
    const struct phpbpf_cpu *cpus;         /* cpu_hist */
    const struct phpbpf_waits *waits;      /* wait_hist */
    const struct phpbpf_hist *compiles;    /* compile_hist */
    uint64_t started_us;
    uint32_t generation;                   /* Apache's, from the parent */
    uint64_t period_start[2];              /* the tables' period, the one before (0: none) */
};

/* Unix time in microseconds: what the page shows "since" with. */
static inline uint64_t phpbpf_now_us(void)
{
    struct timeval tv;

    gettimeofday(&tv, NULL);
    return (uint64_t)tv.tv_sec * 1000000 + (uint64_t)tv.tv_usec;
}

/* attach.c.  As root: checks libphp and the kernel, loads the programs
 * (on the predecessor's maps where they fit), attaches them, maps the
 * arrays.  A failure is a startup failure. */
void phpbpf_attach(struct phpbpf_helper *h);
/* Attached: the maps to the next helper, the generation switched to
 * ours, the predecessor stopped. */
void phpbpf_hand_over(struct phpbpf_helper *h);

/* collect.c.  Room for a snapshot of opt->vhosts vhosts; then one. */
void phpbpf_collect_init(struct phpbpf_helper *h);
void phpbpf_collect(struct phpbpf_helper *h, struct phpbpf_snapshot *s);

/* privileges.c */
/* Before anything else: only fds 0-2 and the mailbox, default signals,
 * out of httpd's process group, dying with the parent. */
void phpbpf_sanitize_process(const int mailbox[2]);
/* After attaching and binding: user nobody, no capabilities. */
void phpbpf_drop_privileges(void);
/* In a user namespace other than the initial one (a rootless container). */
int phpbpf_in_user_namespace(void);

#endif
