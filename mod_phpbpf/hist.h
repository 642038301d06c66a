/* Histogram arithmetic shared by the module and the helper: bucket bounds,
 * merging and percentiles.  Pure C, no APR, so the unit tests link it alone. */
#ifndef PHPBPF_HIST_FUNCS_H
#define PHPBPF_HIST_FUNCS_H

#include <stdint.h>
#include "../bpf/phpbpf.h"

/* Smallest value (us) that falls in bucket idx, and the bucket's width. */
uint64_t phpbpf_bucket_lower(uint32_t idx);
uint64_t phpbpf_bucket_width(uint32_t idx);

/* Adds one sample: the user-space twin of the BPF program's hist_add(). */
void phpbpf_hist_record(struct phpbpf_hist *h, uint64_t us);

/* dst += src, bucket by bucket. */
void phpbpf_hist_merge(struct phpbpf_hist *dst, const struct phpbpf_hist *src);

/* The q-quantile (0 < q <= 1) in microseconds: the middle of the bucket
 * holding the ceil(q*count)-th smallest sample, clamped to max.  0 when the
 * histogram is empty. */
double phpbpf_hist_quantile(const struct phpbpf_hist *h, double q);

double phpbpf_hist_mean(const struct phpbpf_hist *h);

/* The exported (Prometheus) bucket bounds, in us: 2^k and 3 * 2^(k-1) for
 * k = 7..24, i.e. 128 us to 25.2 s.  Each is the lower bound of one of our
 * buckets, so the exported cumulative counts are exact. */
#define PHPBPF_METRIC_BOUNDS 36
uint64_t phpbpf_metric_bound(unsigned i);

#endif
