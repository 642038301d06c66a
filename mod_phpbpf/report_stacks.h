/* The report's stacks part (report_stacks.c), for report.c. */
#ifndef PHPBPF_REPORT_STACKS_H
#define PHPBPF_REPORT_STACKS_H

#include "apr_hash.h"
#include "apr_pools.h"
#include "apr_tables.h"
#include "report.h"
#include "snapshot.h"

/* Function names, once per snapshot function. */
struct phpbpf_report_names {
    const char **name;
    const struct phpbpf_snapshot *snap;
    apr_hash_t *interned;         /* each name once: one pointer a name */
    /* Components (component.h), numbered once per snapshot: per function
     * 0 not looked up yet, -1 internal, else its number + 1. */
    int *component_id;
    const char **component_name;
    unsigned ncomponents, component_cap;
    const apr_array_header_t *component_rules;  /* PhpBpfComponent, or NULL */
};

void phpbpf_report_names_init(struct phpbpf_report_names *n, apr_pool_t *p,
                              const struct phpbpf_snapshot *snap,
                              const apr_array_header_t *components);

/* A frame as the report names it. */
struct phpbpf_report_frame phpbpf_report_frame_of(struct phpbpf_report_names *n, apr_pool_t *p,
                                                  const struct phpbpf_pframe *fr);

/* The stacks' state and counters, each vhost's profile and call sites. */
void phpbpf_report_stacks(apr_pool_t *p, struct phpbpf_report *r, const struct phpbpf_snapshot *s,
                          struct phpbpf_report_vhost *v, struct phpbpf_report_names *n);

/* A slow request's backtrace, if the helper took one. */
void phpbpf_report_backtrace(apr_pool_t *p, struct phpbpf_report_slow *q,
                             struct phpbpf_report_names *n, const struct phpbpf_snap_backtrace *bt);

#endif
