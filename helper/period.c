#include <stdlib.h>
#include <string.h>

#include "period.h"

void phpbpf_period_add(struct phpbpf_period *p, uint64_t us)
{
    uint32_t idx = phpbpf_hist_bucket(us), lo = 0, hi = p->nnz;

    p->count++;
    p->sum_us += us;
    if (us > p->max_us)
        p->max_us = us;
    while (lo < hi) {           /* the first bucket at or above idx */
        uint32_t mid = (lo + hi) / 2;

        if (p->b[mid].idx < idx)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < p->nnz && p->b[lo].idx == idx) {
        p->b[lo].count++;
        return;
    }
    if (p->nnz == p->cap) {
        uint32_t cap = p->cap ? 2 * p->cap : 4;
        struct phpbpf_sparse_bucket *b = realloc(p->b, cap * sizeof(*b));

        if (!b)
            return;             /* the totals are right; one bucket short */
        p->b = b;
        p->cap = cap;
    }
    memmove(&p->b[lo + 1], &p->b[lo], (p->nnz - lo) * sizeof(*p->b));
    p->b[lo] = (struct phpbpf_sparse_bucket){ idx, 1 };
    p->nnz++;
}

void phpbpf_period_clear(struct phpbpf_period *p)
{
    free(p->b);
    memset(p, 0, sizeof(*p));
}

uint32_t phpbpf_period_merge(struct phpbpf_sparse *out, const struct phpbpf_period p[2],
                             struct phpbpf_sparse_bucket *room)
{
    const struct phpbpf_period *a = &p[0], *b = &p[1];
    uint32_t i = 0, j = 0, n = 0;

    out->count = a->count + b->count;
    out->sum_us = a->sum_us + b->sum_us;
    out->max_us = a->max_us > b->max_us ? a->max_us : b->max_us;
    while (i < a->nnz || j < b->nnz) {
        if (j >= b->nnz || (i < a->nnz && a->b[i].idx < b->b[j].idx))
            room[n++] = a->b[i++];
        else if (i >= a->nnz || b->b[j].idx < a->b[i].idx)
            room[n++] = b->b[j++];
        else {
            room[n] = a->b[i++];
            room[n++].count += b->b[j++].count;
        }
    }
    out->nnz = n;
    out->bucket = room;
    return n;
}
