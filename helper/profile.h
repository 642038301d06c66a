/* The helper's side of PHP stacks: the functions it has seen, each vhost's
 * sampled stacks with their counts, and the backtraces of slow requests,
 * all bounded, with what did not fit counted.  Pure C (malloc), so the
 * unit tests drive it alone. */
#ifndef PHPBPF_PROFILE_H
#define PHPBPF_PROFILE_H

#include <stddef.h>
#include <stdint.h>
#include "../bpf/phpbpf.h"
#include "ftable.h"
#include "snapshot.h"

/* Distinct functions kept; more are "(unknown)", function 0. */
#define PHPBPF_PROFILE_FUNCS 8192
/* Distinct stacks kept, all vhosts together, shared fairly and by period
 * (ftable.h); what a vhost loses is counted for it. */
#define PHPBPF_PROFILE_STACKS 16384
/* Backtraces of requests still running, waiting for their slow event. */
#define PHPBPF_PROFILE_BACKTRACES 64

struct phpbpf_backtrace {
    uint32_t pid;
    uint32_t nframes;
    uint64_t seq;
    uint64_t elapsed_us;          /* into the request, when taken */
    uint32_t truncated;
    struct phpbpf_pframe frame[PHPBPF_STACK_MAX];
};

struct phpbpf_profile {
    uint32_t vhosts;
    /* functions, 0 is "(unknown)" */
    struct phpbpf_func func[PHPBPF_PROFILE_FUNCS];
    uint32_t nfuncs;
    uint64_t funcs_full;          /* frames that found the function table full */
    /* the stacks: an entry's key is its frames (struct phpbpf_pframe[],
     * innermost first), its count the samples of the last periods */
    struct phpbpf_ftab stacks;
    uint32_t *func_slot;          /* open addressing, 2 x PHPBPF_PROFILE_FUNCS */
    struct phpbpf_backtrace bt[PHPBPF_PROFILE_BACKTRACES];
    uint64_t nbt;
};

/* 0, or -1 out of memory. */
int phpbpf_profile_init(struct phpbpf_profile *p, uint32_t vhosts);
void phpbpf_profile_free(struct phpbpf_profile *p);

/* The id of a function (interned by kind, name, class and file): 0 if the
 * table is full. */
uint32_t phpbpf_profile_func(struct phpbpf_profile *p, const struct phpbpf_func *f);

/* One sample of vhost's stack. */
void phpbpf_profile_sample(struct phpbpf_profile *p, uint32_t vhost, const struct phpbpf_pframe *fr,
                           uint32_t n);

/* A new period (ftable.h): samples of the one before last go. */
void phpbpf_profile_age(struct phpbpf_profile *p);

/* Samples of a vhost the table did not keep: taken out for other stacks
 * while still in the period, or with no memory for them; from the sink,
 * when there is one, which an earlier helper added to too. */
static inline uint64_t phpbpf_profile_lost(const struct phpbpf_profile *p, uint32_t vhost)
{
    if (p->stacks.sink)
        return p->stacks.sink[(size_t)vhost * p->stacks.sink_stride];
    return p->stacks.v[vhost].evicted + p->stacks.v[vhost].dropped;
}

/* A backtrace of a running request, kept until its slow event claims it. */
void phpbpf_profile_backtrace(struct phpbpf_profile *p, const struct phpbpf_backtrace *bt);

/* The backtrace of request (pid, seq), or NULL. */
const struct phpbpf_backtrace *phpbpf_profile_find_backtrace(const struct phpbpf_profile *p,
                                                             uint32_t pid, uint64_t seq);

#endif
