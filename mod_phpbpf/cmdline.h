/* The helper's command line, and the identity that decides whether a
 * running helper can be kept across a restart of Apache.  APR only, no
 * httpd: the unit tests check the text it formats. */
#ifndef PHPBPF_CMDLINE_H
#define PHPBPF_CMDLINE_H

#include "apr_pools.h"

/* The helper's command line, with room to spare; a spawn adds --delay N. */
#define PHPBPF_MAX_ARGS 160

/* argv[] index of the library path: see phpbpf_helper_identity(). */
#define PHPBPF_ARG_LIBRARY 2

/* What the module tells the helper; 0 or NULL where a setting is off. */
struct phpbpf_helper_settings {
    const char *helper;           /* argv[0] */
    const char *library;
    const char *socket;
    const char *build;            /* PHPBPF_BUILD_ID of this module */
    long uid, gid, httpd_pid;
    apr_uint64_t slot;            /* address of the slot in every child */
    apr_uint64_t libphp_base;     /* libphp's offset 0 in every child, or 0 */
    unsigned vhosts;
    int cpu;
    apr_int64_t slow_us;          /* 0: no slow log */
    int slow_size;
    int compile;
    int max_scripts;
    int window_s;                 /* PhpBpfWindow */
    int profile_hz;               /* 0: no sampling */
    int trace_depth;              /* 0: no backtraces */
    const char *const *peers;     /* "WHERE=CLASS", npeers of them */
    int npeers;
    int debug;
    int syslog;
};

const char *const *phpbpf_helper_argv(apr_pool_t *p, const struct phpbpf_helper_settings *s);

/* What must not change for the running helper to be kept: its arguments
 * (but the library's path, which lib_identity, the file's device and
 * inode, stands for: the path to the same inode can change), the
 * protocol, the shared-memory layout and the build of the module. */
const char *phpbpf_helper_identity(apr_pool_t *p, const char *lib_identity,
                                   const char *const *argv);

#endif
