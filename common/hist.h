/* Histogram arithmetic, all of it: bucket bounds and middles, the sparse
 * form pages and snapshots hold, quantiles and means.  The BPF side keeps
 * bucket placement (bpf/phpbpf_hist.h); everything else is here.  Pure C,
 * no APR, so the unit tests link it alone. */
#ifndef PHPBPF_HIST_FUNCS_H
#define PHPBPF_HIST_FUNCS_H

#include <stdint.h>
#include <linux/types.h>
#include "../bpf/phpbpf_hist.h"

/* Smallest value (us) that falls in bucket idx, the bucket's width, and
 * its middle: values are whole microseconds, so a bucket of width w holds
 * lower .. lower+w-1 and its middle is lower + (w-1)/2. */
static inline uint64_t phpbpf_bucket_lower(uint32_t idx)
{
    if (idx < PHPBPF_HIST_SUB)
        return idx;
    return (uint64_t)(PHPBPF_HIST_SUB + (idx & (PHPBPF_HIST_SUB - 1)))
           << ((idx >> PHPBPF_HIST_SUB_BITS) - 1);
}

static inline uint64_t phpbpf_bucket_width(uint32_t idx)
{
    return idx < PHPBPF_HIST_SUB ? 1 : (uint64_t)1 << ((idx >> PHPBPF_HIST_SUB_BITS) - 1);
}

static inline double phpbpf_bucket_mid(uint32_t idx)
{
    return (double)phpbpf_bucket_lower(idx) + (double)(phpbpf_bucket_width(idx) - 1) / 2.0;
}

/* Adds one sample: the user-space twin of the BPF program's hist_add(). */
void phpbpf_hist_record(struct phpbpf_hist *h, uint64_t us);

/* dst += src, bucket by bucket. */
void phpbpf_hist_merge(struct phpbpf_hist *dst, const struct phpbpf_hist *src);

/* The q-quantile (0 < q <= 1) in microseconds: the middle of the bucket
 * holding the ceil(q*count)-th smallest sample, clamped to max.  0 when the
 * histogram is empty. */
double phpbpf_hist_quantile(const struct phpbpf_hist *h, double q);

double phpbpf_hist_mean(const struct phpbpf_hist *h);

/* A histogram as snapshots and pages hold it: the totals, and only the
 * buckets in use, by increasing index.  A vhost's histogram uses a handful
 * of its 512 buckets; held whole, a thousand vhosts' histograms were 16 MB
 * that a child had to fault in, and every percentile a scan of 512
 * buckets, on each page view. */
struct phpbpf_sparse_bucket {
    uint32_t idx;
    uint64_t count;
};

struct phpbpf_sparse {
    uint64_t count;
    uint64_t sum_us;
    uint64_t max_us;
    uint32_t nnz;
    const struct phpbpf_sparse_bucket *bucket;  /* nnz of them */
};

/* h's totals and non-empty buckets into s, the buckets into room (at most
 * PHPBPF_HIST_BUCKETS of them): returns how many.  h is read once, so it
 * may be a BPF map that changes meanwhile. */
uint32_t phpbpf_sparse_from(struct phpbpf_sparse *s, const struct phpbpf_hist *h,
                            struct phpbpf_sparse_bucket *room);

/* The same for buckets kept apart from their totals: sets s->nnz and
 * s->bucket only. */
uint32_t phpbpf_sparse_from_buckets(struct phpbpf_sparse *s, const __u64 *bucket,
                                    struct phpbpf_sparse_bucket *room);

/* What phpbpf_hist_quantile() and phpbpf_hist_mean() give for the same
 * buckets: a walk over the buckets in use instead of two scans of all 512
 * per percentile. */
double phpbpf_sparse_quantile(const struct phpbpf_sparse *h, double q);
double phpbpf_sparse_mean(const struct phpbpf_sparse *h);

/* out[i] = phpbpf_sparse_quantile(h, q[i]) for n increasing q, in one walk
 * over the buckets: a page takes three quantiles of every histogram. */
void phpbpf_sparse_quantiles(const struct phpbpf_sparse *h, const double *q, double *out,
                             unsigned n);

/* The exported (Prometheus) bucket bounds, in us: 2^k and 3 * 2^(k-1) for
 * k = 7..24, i.e. 128 us to 25.2 s.  Each is the lower bound of one of our
 * buckets, so the exported cumulative counts are exact. */
#define PHPBPF_METRIC_BOUNDS 36
uint64_t phpbpf_metric_bound(unsigned i);

#endif
