/* The helper's part in SQL statements (PhpBpfQueries): finding mysqlnd's
 * methods and probing them (bpf/queries.bpf.c), normalising each
 * statement's text as its event arrives (common/sqlnorm.h), and counting
 * statements per vhost in a table that is fair between vhosts and by
 * period (ftable.h), with the caller of each and the stack of its slowest
 * run.  The per-vhost totals are the BPF side's (vstats), which outlive
 * the helper; the table starts again with a new helper, as the exception
 * and script tables do. */
#ifndef PHPBPF_HELPER_QUERIES_H
#define PHPBPF_HELPER_QUERIES_H

#include <stddef.h>
#include <stdint.h>
#include "snapshot.h"

struct phpbpf_helper;

/* Before load: which programs load, from --mysqlnd and what its ELF says. */
void phpbpf_queries_prepare(struct phpbpf_helper *h);
/* After load, while privileged: the probes. */
void phpbpf_queries_attach(struct phpbpf_helper *h);
/* What the table loses, per vhost, also into lost[vhost * stride] (a map
 * that outlives the helper). */
void phpbpf_queries_sink(uint64_t *lost, uint32_t stride);
/* A PHPBPF_SRC_QUERY event. */
void phpbpf_queries_event(const void *data, size_t len);
/* A slow request's event (the slow log's ring): its statements are kept
 * for the slow log. */
void phpbpf_queries_slow(uint32_t pid, uint64_t seq);
/* A new period. */
void phpbpf_queries_age(void);
/* The statements into s, and the slow requests' (s->slow must be set
 * first).  Valid until the next call. */
void phpbpf_queries_snapshot(struct phpbpf_snapshot *s);

#endif
