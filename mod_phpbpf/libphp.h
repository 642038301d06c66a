/* Which libphp to trace: the file mod_php was really loaded from. */
#ifndef PHPBPF_LIBPHP_H
#define PHPBPF_LIBPHP_H

#include <sys/types.h>

#include "apr_pools.h"

/* The PHP library to trace.  `attach` is the path the helper opens, `shown`
 * what the page calls it, and `identity` the file's device and inode: the
 * uprobes live on the inode, so that is what must not change for a running
 * helper to be kept. */
typedef struct {
    const char *attach;
    const char *shown;
    const char *identity;
    /* Where the file's offset 0 is in this process, and so in every child
     * (they fork from it and never reload libphp); 0 if it is not the
     * libphp this process loaded.  The helper takes PHP's globals' runtime
     * addresses from it, with no need to find the file in /proc/PID/maps
     * by device and inode, which overlayfs on 6.1 reports otherwise. */
    apr_uint64_t base;
} phpbpf_lib;

/* 1 and *lib filled in if mod_php is loaded, else 0. */
int phpbpf_find_libphp(apr_pool_t *p, phpbpf_lib *lib);

/* The file PhpBpfLibrary names. */
void phpbpf_configured_lib(apr_pool_t *p, const char *path, phpbpf_lib *lib);

/* The path of a library this process loaded whose file is called name
 * (mysqlnd.so), or whose name begins with it (prefix: libpq.so.5), for the
 * helper to attach to; NULL if none. */
const char *phpbpf_find_loaded(apr_pool_t *p, const char *name, int prefix);

/* The same, in process pid (a php-fpm master, whose workers inherit its
 * extensions; root reads its maps). */
const char *phpbpf_find_loaded_by(apr_pool_t *p, pid_t pid, const char *name, int prefix);

#endif
