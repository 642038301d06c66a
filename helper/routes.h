/* Routes: the helper's part (routes.c). */
#ifndef PHPBPF_HELPER_ROUTES_H
#define PHPBPF_HELPER_ROUTES_H

#include "helper.h"

/* Before load: the settings and the maps' sizes. */
void phpbpf_routes_prepare(struct phpbpf_helper *h);
/* After load, as root: the patterns, and each vhost's count of the routes
 * a predecessor left.  0, or -1. */
int phpbpf_routes_loaded(struct phpbpf_helper *h);
/* The offset from the programs' clock to the wall clock, again. */
void phpbpf_routes_clock(struct phpbpf_helper *h);
/* The routes into s (rows kept until the next call). */
void phpbpf_routes_snapshot(struct phpbpf_helper *h, struct phpbpf_snapshot *s);

#endif
