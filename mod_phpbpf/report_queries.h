/* The report's SQL statements (report_queries.c), for report.c. */
#ifndef PHPBPF_REPORT_QUERIES_H
#define PHPBPF_REPORT_QUERIES_H

#include "apr_pools.h"
#include "report.h"
#include "report_stacks.h"
#include "snapshot.h"

/* Each vhost's statements from the snapshot into v[] (r->nvhosts of
 * them), and the report's statement state. */
void phpbpf_report_queries(apr_pool_t *p, struct phpbpf_report *r, const struct phpbpf_snapshot *s,
                           struct phpbpf_report_vhost *v, struct phpbpf_report_names *n);

/* A slow request's statements (snap->slow_stmts[i]), if the helper
 * followed them. */
void phpbpf_report_slow_queries(apr_pool_t *p, struct phpbpf_report_slow *q,
                                struct phpbpf_report_names *n,
                                const struct phpbpf_snap_slow_stmts *ss);

#endif
