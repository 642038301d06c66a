/* The helper's tables of exception classes thrown and scripts compiled,
 * per vhost, from the BPF programs' events: fair between vhosts and by
 * period (ftable.h), so that one vhost's flood never hides another's, and
 * the page shows recent traffic.  The per-vhost totals (exceptions thrown,
 * compiles, compile time) are the BPF maps', which outlive the helper;
 * these tables start again with a new helper. */
#ifndef PHPBPF_HELPER_TABLES_H
#define PHPBPF_HELPER_TABLES_H

#include <stddef.h>
#include <stdint.h>

#include "snapshot.h"

/* 0, or -1 out of memory. */
int phpbpf_tables_init(uint32_t vhosts, uint32_t max_scripts);

/* What the tables lose, per vhost, also into lost[vhost] (a map that
 * outlives the helper); the snapshot reports those. */
void phpbpf_tables_sink(struct phpbpf_table_lost *lost);

/* A PHPBPF_SRC_CLASS or PHPBPF_SRC_COMPILE event. */
void phpbpf_tables_event(const void *data, size_t len);

/* A new period. */
void phpbpf_tables_age(void);

/* The classes (all, most thrown first) and the scripts (the
 * PHPBPF_SNAP_SCRIPTS with the most compile time) into s, and per vhost
 * what the tables lost of it.  Valid until the next call. */
void phpbpf_tables_snapshot(struct phpbpf_snapshot *s);

#endif
