#include <math.h>
#include "hist.h"

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

/* The rank of the q-quantile among total samples, or 0 if there is none. */
static uint64_t quantile_rank(uint64_t total, double q)
{
    uint64_t rank;

    if (total == 0 || !(q > 0))
        return 0;
    if (q > 1)
        q = 1;
    rank = (uint64_t)ceil(q * (double)total);
    return rank < 1 ? 1 : rank;
}

static double clamp_max(double mid, uint64_t max_us)
{
    return max_us && mid > (double)max_us ? (double)max_us : mid;
}

double phpbpf_hist_quantile(const struct phpbpf_hist *h, double q)
{
    uint64_t total = 0, rank, seen = 0;
    uint32_t i;

    /* The buckets, not h->count, are the population: in BPF they are
     * updated separately and a copy can catch them a few samples apart. */
    for (i = 0; i < PHPBPF_HIST_BUCKETS; i++)
        total += h->bucket[i];
    if (!(rank = quantile_rank(total, q)))
        return 0;
    for (i = 0; i < PHPBPF_HIST_BUCKETS; i++) {
        seen += h->bucket[i];
        if (seen >= rank)
            break;
    }
    if (i == PHPBPF_HIST_BUCKETS)
        i = PHPBPF_HIST_BUCKETS - 1;
    return clamp_max(phpbpf_bucket_mid(i), h->max_us);
}

double phpbpf_hist_mean(const struct phpbpf_hist *h)
{
    return h->count ? (double)h->sum_us / (double)h->count : 0;
}

uint32_t phpbpf_sparse_from(struct phpbpf_sparse *s, const struct phpbpf_hist *h,
                            struct phpbpf_sparse_bucket *room)
{
    s->count = h->count;
    s->sum_us = h->sum_us;
    s->max_us = h->max_us;
    return phpbpf_sparse_from_buckets(s, h->bucket, room);
}

uint32_t phpbpf_sparse_from_buckets(struct phpbpf_sparse *s, const __u64 *bucket,
                                    struct phpbpf_sparse_bucket *room)
{
    uint32_t j, n = 0;

    _Static_assert(PHPBPF_HIST_BUCKETS % 4 == 0, "buckets are taken four at a time");
    /* Four at a time: most buckets are empty, and this runs for every
     * histogram of a snapshot and of a page. */
    for (j = 0; j < PHPBPF_HIST_BUCKETS; j += 4) {
        uint64_t c[4] = { bucket[j], bucket[j + 1], bucket[j + 2], bucket[j + 3] };
        uint32_t k;

        if (!(c[0] | c[1] | c[2] | c[3]))
            continue;
        for (k = 0; k < 4; k++)
            if (c[k]) {
                room[n].idx = j + k;
                room[n++].count = c[k];
            }
    }
    s->nnz = n;
    s->bucket = room;
    return n;
}

double phpbpf_sparse_quantile(const struct phpbpf_sparse *h, double q)
{
    uint64_t total = 0, rank, seen = 0;
    uint32_t i, b = PHPBPF_HIST_BUCKETS - 1;

    for (i = 0; i < h->nnz; i++)
        total += h->bucket[i].count;
    if (!(rank = quantile_rank(total, q)))
        return 0;
    for (i = 0; i < h->nnz; i++) {
        seen += h->bucket[i].count;
        if (seen >= rank) {
            b = h->bucket[i].idx;
            break;
        }
    }
    return clamp_max(phpbpf_bucket_mid(b), h->max_us);
}

void phpbpf_sparse_quantiles(const struct phpbpf_sparse *h, const double *q, double *out,
                             unsigned n)
{
    uint64_t total = 0, seen = 0;
    uint32_t i = 0;
    unsigned k;

    for (i = 0; i < h->nnz; i++)
        total += h->bucket[i].count;
    for (k = 0, i = 0; k < n; k++) {
        uint64_t rank = quantile_rank(total, q[k]);
        uint32_t b = PHPBPF_HIST_BUCKETS - 1;

        if (!rank) {
            out[k] = 0;
            continue;
        }
        /* q increases, so the walk goes on from where the last one stopped. */
        for (; i < h->nnz; i++) {
            if (seen + h->bucket[i].count >= rank) {
                b = h->bucket[i].idx;
                break;
            }
            seen += h->bucket[i].count;
        }
        out[k] = clamp_max(phpbpf_bucket_mid(b), h->max_us);
    }
}

double phpbpf_sparse_mean(const struct phpbpf_sparse *h)
{
    return h->count ? (double)h->sum_us / (double)h->count : 0;
}

uint64_t phpbpf_metric_bound(unsigned i)
{
    unsigned k = 7 + i / 2;

    return i % 2 ? (uint64_t)3 << (k - 1) : (uint64_t)1 << k;
}
