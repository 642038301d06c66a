/* The four encodings of a report (report.h), and mod_status's section.
 * Pure functions of what they are given: they write through o (out.h),
 * take scratch memory (escaped strings) from p, and escape every string
 * for their own format.  APR only, unit-tested on hand-made reports. */
#ifndef PHPBPF_RENDER_H
#define PHPBPF_RENDER_H

#include "apr_pools.h"
#include "out.h"
#include "report.h"

void phpbpf_render_html(const struct phpbpf_report *r, struct phpbpf_out *o, apr_pool_t *p);
void phpbpf_render_auto(const struct phpbpf_report *r, struct phpbpf_out *o, apr_pool_t *p);
void phpbpf_render_json(const struct phpbpf_report *r, struct phpbpf_out *o, apr_pool_t *p);

/* The Prometheus text format (0.0.4), or OpenMetrics 1.0. */
void phpbpf_render_metrics(const struct phpbpf_report *r, struct phpbpf_out *o, apr_pool_t *p,
                           int openmetrics);

/* ?profile: the folded stacks of vhost index `vhost`, or of every vhost
 * with the vhost's name as the root frame when it is -1. */
void phpbpf_render_folded(const struct phpbpf_report *r, struct phpbpf_out *o, apr_pool_t *p,
                          int vhost);

/* /server-status's section: a few lines from the shared memory alone
 * (mod_status pages are polled often: no helper round trip). */
struct phpbpf_status_section {
    const char *state;            /* "active", "off" or "unavailable" */
    const char *reason;           /* or NULL */
    uint64_t requests, php5xx;
};

void phpbpf_render_status(const struct phpbpf_status_section *s, struct phpbpf_out *o,
                          apr_pool_t *p, int short_form);

#endif
