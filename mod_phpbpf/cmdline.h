/* The helper's command line, and the identity that decides whether a
 * running helper can be kept across a restart of Apache.  APR only, no
 * httpd: the unit tests check the text it formats.  Which flags there are
 * and how each is written is common/options.h's table. */
#ifndef PHPBPF_CMDLINE_H
#define PHPBPF_CMDLINE_H

#include "apr_pools.h"
#include "options.h"

/* Every option once, each list in full, and argv[0] and the NULL. */
#define PHPBPF_MAX_ARGS (2 * PHPBPF_NOPTS + 2 * PHPBPF_OPT_LIST_MAX + 2)

/* argv[0] and then every setting of o that is not 0 or NULL, in the
 * table's order: the library first (PHPBPF_ARG_LIBRARY). */
const char **phpbpf_helper_argv(apr_pool_t *p, const char *helper,
                                const struct phpbpf_options *o);

/* Appends option i of o to argv, which holds n arguments and has room:
 * nothing if it is 0 or NULL.  Returns the new count; argv stays
 * NULL-terminated. */
int phpbpf_helper_arg(apr_pool_t *p, const char **argv, int n, const struct phpbpf_options *o,
                      int i);

/* What must not change for the running helper to be kept: its arguments
 * (but the library's path, which lib_identity, the file's device and
 * inode, stands for: the path to the same inode can change), the
 * protocol, the shared-memory layout and the build of the module. */
const char *phpbpf_helper_identity(apr_pool_t *p, const char *lib_identity,
                                   const char *const *argv);

#endif
