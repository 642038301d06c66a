/* Building the report (report.h) from what the collection side has: a
 * private copy of the shared memory and the helper's snapshot. */
#ifndef PHPBPF_REPORT_BUILD_H
#define PHPBPF_REPORT_BUILD_H

#include "apr_pools.h"
#include "apr_tables.h"
#include "report.h"
#include "shm.h"
#include "snapshot.h"

/* snap is NULL when the helper gave none; unavailable says why tracing is
 * not active (NULL when it is).  now_us is the page's clock.  With
 * `quantiles` 0, p50/p90/p99 are left at 0: ?metrics exports buckets, and
 * with a thousand vhosts their quantiles were a twentieth of its work.
 * components: PhpBpfComponent's rules (component.h), or NULL.
 * Everything the report points to lives in p. */
struct phpbpf_report *phpbpf_report_build(apr_pool_t *p, const struct phpbpf_shm_copy *c,
                                          const struct phpbpf_snapshot *snap,
                                          const char *unavailable, uint64_t now_us,
                                          int quantiles, const apr_array_header_t *components);

/* A histogram summarised: its mean and, with quantiles, p50/p90/p99.
 * Here, for report.c and report_routes.c alike. */
static inline void phpbpf_report_lat_of(struct phpbpf_report_lat *l, const struct phpbpf_sparse *h,
                                        int quantiles)
{
    static const double q[3] = { 0.50, 0.90, 0.99 };
    double v[3] = { 0, 0, 0 };

    /* Most are empty, with compile or CPU tracing off. */
    if (quantiles && h->nnz)
        phpbpf_sparse_quantiles(h, q, v, 3);
    *l = (struct phpbpf_report_lat){ h, phpbpf_sparse_mean(h), v[0], v[1], v[2] };
}

#endif
