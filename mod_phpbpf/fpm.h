/* php-fpm behind mod_proxy_fcgi: which pools this httpd sends PHP to, the
 * php-fpm binary behind each, and each request's token (bpf/phpbpf.h).
 *
 * The pools come from the configuration itself, as mod_proxy reads it:
 * SetHandler "proxy:unix:PATH|fcgi://..." or "proxy:fcgi://HOST:PORT",
 * ProxyPass and ProxyPassMatch to such a URL; PhpBpfFpm adds one it
 * cannot see.  A pool's socket leads to the php-fpm master listening on
 * it (/proc/net/unix or /proc/net/tcp, then the process holding that
 * socket), and the master to its binary, which the helper attaches to. */
#ifndef PHPBPF_FPM_H
#define PHPBPF_FPM_H

#include <sys/types.h>

#include "httpd.h"
#include "apr_tables.h"

#include "shm.h"
#include "fpm_token.h"

/* Pools one server can name: more are not told apart (their requests are
 * not counted as PHP). */
#define PHPBPF_FPM_POOLS PHPBPF_FPM_POOLS_MAX

/* How often the parent looks again at the masters behind the pools. */
#define PHPBPF_FPM_RECHECK_S 5

/* The pools of the configuration (ap_conftree) and of PhpBpfFpm, once
 * each, into pools; returns how many. */
int phpbpf_fpm_pools(apr_pool_t *p, const apr_array_header_t *configured,
                     struct phpbpf_fpm_pool *pools);

/* Finds the master listening on the pool and its binary (root: reads
 * other users' /proc/PID/fd). */
void phpbpf_fpm_find(apr_pool_t *p, struct phpbpf_fpm_pool *pool);

/* For the request hooks: the pools, in this process's memory, which the
 * children inherit.  Set in post_config. */
void phpbpf_fpm_set_pools(const struct phpbpf_fpm_pool *pools, int n);

/* The index of the pool r is proxied to, or -1 if it goes to none of
 * them (not PHP in php-fpm, as far as we know). */
int phpbpf_fpm_pool_of(const request_rec *r);

#endif
