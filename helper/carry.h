/* What a helper takes over from the one before it, and hands on to the
 * next: the BPF maps that hold history (bpf/phpbpf_state.bpf.h), so that
 * PHP-side totals continue across a helper's crash, a graceful restart
 * with other settings, and an upgrade of the module, as Apache's do.
 *
 * The httpd parent keeps a mailbox: a socketpair of which it holds both
 * ends and never reads.  Each helper, once loaded, sends its maps' file
 * descriptors into it (SCM_RIGHTS) with a pidfd of itself; descriptors in
 * a message waiting in a socket keep their maps alive while no helper
 * runs (between a crash and the respawn), and cost the parent nothing.
 * The next helper receives the newest set, loads its programs on those
 * maps where their layout is its own, attaches them, then switches the
 * maps' generation to its own (the old programs stop counting at that
 * instant, the new ones start: nothing is counted twice or missed) and
 * stops its predecessor through the pidfd. */
#ifndef PHPBPF_HELPER_CARRY_H
#define PHPBPF_HELPER_CARRY_H

#include <stdint.h>

struct bpf_map;

/* At most this many maps carried (one message). */
#define PHPBPF_CARRY_MAX 40

struct phpbpf_carry {
    int rd, wr;                   /* the mailbox: received from, sent to */
    uint64_t gen;                 /* ours: one more than the newest set found */
    int reused;                   /* our maps are a predecessor's (its history goes on) */
    int pidfd;                    /* the predecessor, or -1 */
    int queued;                   /* sets left in the mailbox before ours */
    /* maps of a predecessor that ours could not use (sized for other
     * settings): passed on, so that a later helper with those settings
     * finds their history again */
    int ndormant;
    int dormant_fd[PHPBPF_CARRY_MAX];
    char dormant_name[PHPBPF_CARRY_MAX][16];
    void (*log)(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
};

/* Before load: the newest set in the mailbox, if any, and each of maps[]
 * (n of them) made to reuse its predecessor's map of the same name when
 * the predecessor's layout is this build's and the map's type and sizes
 * match.  Sets c->gen, c->reused, c->pidfd.  The set stays in the mailbox
 * (put back) until phpbpf_carry_give(). */
void phpbpf_carry_take(struct phpbpf_carry *c, struct bpf_map *const *maps, unsigned n);

/* After load and attach: our set into the mailbox, the sets before it
 * out.  -1 if ours could not be sent (then the old ones stay). */
int phpbpf_carry_give(struct phpbpf_carry *c, struct bpf_map *const *maps, unsigned n);

/* After the generation switch: the predecessor is told to stop (SIGTERM),
 * and waited for, so that two helpers never read one ring buffer. */
void phpbpf_carry_retire(struct phpbpf_carry *c);

#endif
