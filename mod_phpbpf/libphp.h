/* Which libphp to trace: the file mod_php was really loaded from. */
#ifndef PHPBPF_LIBPHP_H
#define PHPBPF_LIBPHP_H

#include "apr_pools.h"

/* The PHP library to trace.  `attach` is the path the helper opens, `shown`
 * what the page calls it, and `identity` the file's device and inode: the
 * uprobes live on the inode, so that is what must not change for a running
 * helper to be kept. */
typedef struct {
    const char *attach;
    const char *shown;
    const char *identity;
} phpbpf_lib;

/* 1 and *lib filled in if mod_php is loaded, else 0. */
int phpbpf_find_libphp(apr_pool_t *p, phpbpf_lib *lib);

/* The file PhpBpfLibrary names. */
void phpbpf_configured_lib(apr_pool_t *p, const char *path, phpbpf_lib *lib);

#endif
