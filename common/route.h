/* Routes in user space: PhpBpfRoute patterns, checked by the module at
 * configtest and made into the BPF side's form by the helper, and the
 * normaliser (bpf/phpbpf_route.h) driven over a whole path, as the BPF
 * side drives it a byte at a time. */
#ifndef PHPBPF_COMMON_ROUTE_H
#define PHPBPF_COMMON_ROUTE_H

#include <stddef.h>
#include "../bpf/phpbpf_route.h"

/* Parses a PhpBpfRoute pattern ("/shop/{slug}/reviews", "/api/v1/" then "*") into
 * p; NULL, or why it is not one (a static string). */
const char *phpbpf_route_pattern_parse(const char *text, struct phpbpf_route_pattern *p);

/* The route of a path and query string (NULL: none), after the patterns:
 * its text into out (PHPBPF_ROUTE_LEN bytes); returns its key. */
__u64 phpbpf_route_of(const char *path, const char *query, const struct phpbpf_route_pattern *pat,
                      unsigned npat, char *out);

#endif
