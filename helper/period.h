/* A time histogram by period, as the helper's tables keep one per entry
 * (a script's compiles, a statement's runs): sparse, growing with the
 * buckets used, since an entry sees few distinct times and a full
 * histogram per entry and period would be 8 KB.  Pure C (malloc). */
#ifndef PHPBPF_HELPER_PERIOD_H
#define PHPBPF_HELPER_PERIOD_H

#include <stdint.h>
#include "snapshot.h"

struct phpbpf_period {
    uint64_t count, sum_us, max_us;
    uint32_t nnz, cap;
    struct phpbpf_sparse_bucket *b;   /* by idx */
};

/* One time of us; out of memory, the totals are still right. */
void phpbpf_period_add(struct phpbpf_period *p, uint64_t us);
/* Empty again, for a new period. */
void phpbpf_period_clear(struct phpbpf_period *p);
/* Two periods (p[0], p[1]) as one histogram, its buckets into room (room
 * for both); the buckets used. */
uint32_t phpbpf_period_merge(struct phpbpf_sparse *out, const struct phpbpf_period p[2],
                             struct phpbpf_sparse_bucket *room);

#endif
