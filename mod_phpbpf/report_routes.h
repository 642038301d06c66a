/* The report's routes (report_routes.c), for report.c. */
#ifndef PHPBPF_REPORT_ROUTES_H
#define PHPBPF_REPORT_ROUTES_H

#include "apr_pools.h"
#include "report.h"
#include "snapshot.h"

/* Each vhost's routes from the snapshot into v[] (r->nvhosts of them),
 * and the report's route settings. */
void phpbpf_report_routes(apr_pool_t *p, struct phpbpf_report *r, const struct phpbpf_snapshot *s,
                          struct phpbpf_report_vhost *v);

#endif
