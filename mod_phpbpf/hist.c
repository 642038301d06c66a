#include <math.h>
#include "hist.h"

uint64_t phpbpf_bucket_lower(uint32_t idx)
{
    uint32_t oct, sub;

    if (idx < PHPBPF_HIST_SUB)
        return idx;
    oct = idx >> PHPBPF_HIST_SUB_BITS;
    sub = idx & (PHPBPF_HIST_SUB - 1);
    return (uint64_t)(PHPBPF_HIST_SUB + sub) << (oct - 1);
}

uint64_t phpbpf_bucket_width(uint32_t idx)
{
    if (idx < PHPBPF_HIST_SUB)
        return 1;
    return (uint64_t)1 << ((idx >> PHPBPF_HIST_SUB_BITS) - 1);
}

void phpbpf_hist_record(struct phpbpf_hist *h, uint64_t us)
{
    h->count++;
    h->sum_us += us;
    h->bucket[phpbpf_hist_bucket(us)]++;
    if (us > h->max_us)
        h->max_us = us;
}

void phpbpf_hist_merge(struct phpbpf_hist *dst, const struct phpbpf_hist *src)
{
    uint32_t i;

    dst->count += src->count;
    dst->sum_us += src->sum_us;
    if (src->max_us > dst->max_us)
        dst->max_us = src->max_us;
    for (i = 0; i < PHPBPF_HIST_BUCKETS; i++)
        dst->bucket[i] += src->bucket[i];
}

double phpbpf_hist_quantile(const struct phpbpf_hist *h, double q)
{
    uint64_t total = 0, rank, seen = 0;
    uint32_t i;
    double mid;

    /* The buckets, not h->count, are the population: in BPF they are
     * updated separately and a copy can catch them a few samples apart. */
    for (i = 0; i < PHPBPF_HIST_BUCKETS; i++)
        total += h->bucket[i];
    if (total == 0 || !(q > 0))
        return 0;
    if (q > 1)
        q = 1;
    rank = (uint64_t)ceil(q * (double)total);
    if (rank < 1)
        rank = 1;
    for (i = 0; i < PHPBPF_HIST_BUCKETS; i++) {
        seen += h->bucket[i];
        if (seen >= rank)
            break;
    }
    if (i == PHPBPF_HIST_BUCKETS)
        i = PHPBPF_HIST_BUCKETS - 1;
    /* Values are whole microseconds, so a bucket of width w holds
     * lower .. lower+w-1 and its middle is lower + (w-1)/2. */
    mid = (double)phpbpf_bucket_lower(i) + (double)(phpbpf_bucket_width(i) - 1) / 2.0;
    if (h->max_us && mid > (double)h->max_us)
        mid = (double)h->max_us;
    return mid;
}

double phpbpf_hist_mean(const struct phpbpf_hist *h)
{
    return h->count ? (double)h->sum_us / (double)h->count : 0;
}

uint64_t phpbpf_metric_bound(unsigned i)
{
    unsigned k = 7 + i / 2;

    return i % 2 ? (uint64_t)3 << (k - 1) : (uint64_t)1 << k;
}
