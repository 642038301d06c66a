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

/* Pools one server can name: more are not told apart (their requests are
 * not counted as PHP). */
#define PHPBPF_FPM_POOLS PHPBPF_FPM_POOLS_MAX

/* How often the parent looks again at the masters behind the pools. */
#define PHPBPF_FPM_RECHECK_S 5

/* A pool, as mod_proxy_fcgi reaches it. */
struct phpbpf_fpm_pool {
    const char *name;             /* "unix:/run/php/php8.2-fpm.sock" or "127.0.0.1:9000" */
    const char *path;             /* a unix socket's path, else NULL */
    const char *host;             /* a TCP pool's host and port, else NULL */
    apr_port_t port;
    /* Found by phpbpf_fpm_find(): the master, its binary (the path to
     * attach to) and that file's device:inode; 0 and NULL if none. */
    pid_t master;
    const char *binary;
    const char *identity;
    const char *why;              /* why none was found */
};

/* The pools of the configuration (ap_conftree) and of PhpBpfFpm, once
 * each, into pools; returns how many. */
int phpbpf_fpm_pools(apr_pool_t *p, const apr_array_header_t *configured,
                     struct phpbpf_fpm_pool *pools);

/* Parses a pool as written in the configuration ("unix:PATH" or
 * "HOST:PORT", either after "proxy:" or as a fcgi:// URL); NULL on
 * success, else why not. */
const char *phpbpf_fpm_parse(apr_pool_t *p, const char *arg, struct phpbpf_fpm_pool *out);

/* Finds the master listening on the pool and its binary (root: reads
 * other users' /proc/PID/fd). */
void phpbpf_fpm_find(apr_pool_t *p, struct phpbpf_fpm_pool *pool);

/* For the request hooks: the pools, in this process's memory, which the
 * children inherit.  Set in post_config. */
void phpbpf_fpm_set_pools(const struct phpbpf_fpm_pool *pools, int n);

/* The index of the pool r is proxied to, or -1 if it goes to none of
 * them (not PHP in php-fpm, as far as we know). */
int phpbpf_fpm_pool_of(const request_rec *r);

/* The token (PHPBPF_FPM_TOKEN_LEN hex digits and a NUL) into out. */
void phpbpf_fpm_token(char *out, apr_uint64_t nonce, apr_uint32_t vhost, apr_uint32_t pid,
                      apr_uint64_t seq, apr_uint64_t request_time_us);

#endif
