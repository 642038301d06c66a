/* What of php-fpm's support is plain C and APR (mod_phpbpf/fpm_token.c):
 * a pool as the configuration writes it, and each request's token
 * (bpf/phpbpf.h), which the unit tests check against the BPF side's
 * parser. */
#ifndef PHPBPF_FPM_TOKEN_H
#define PHPBPF_FPM_TOKEN_H

#include <sys/types.h>

#include "apr.h"
#include "apr_pools.h"
#include "apr_network_io.h"

/* mod_proxy_fcgi's port when a fcgi:// URL names none. */
#define PHPBPF_FCGI_DEFAULT_PORT 8000

/* A pool, as mod_proxy_fcgi reaches it. */
struct phpbpf_fpm_pool {
    const char *name;             /* "unix:/run/php/php8.2-fpm.sock" or "127.0.0.1:9000" */
    const char *path;             /* a unix socket's path, else NULL */
    apr_size_t path_len;          /* set by phpbpf_fpm_set_pools() */
    const char *host;             /* a TCP pool's host and port, else NULL */
    apr_port_t port;
    /* Found by phpbpf_fpm_find(): the master, its binary (the path to
     * attach to) and that file's device:inode; 0 and NULL if none. */
    pid_t master;
    const char *binary;
    const char *identity;
    const char *why;              /* why none was found */
};

/* Parses a pool as written in the configuration ("unix:PATH" or
 * "HOST:PORT", either after "proxy:" or as a fcgi:// URL); NULL on
 * success, else why not. */
const char *phpbpf_fpm_parse(apr_pool_t *p, const char *arg, struct phpbpf_fpm_pool *out);

/* What of a token is the process's: the nonce and the pid, 24 digits,
 * made once per child. */
#define PHPBPF_FPM_PREFIX_LEN 24
void phpbpf_fpm_token_prefix(char *out, apr_uint64_t nonce, apr_uint32_t pid);

/* 8 hex digits (no NUL): a vhost's part of the token, made once. */
void phpbpf_fpm_hex8(char *out, apr_uint32_t v);

/* The token (PHPBPF_FPM_TOKEN_LEN hex digits and a NUL) into out: the
 * prefix's, the vhost's 8 digits, and the request number's and
 * request_time's low 32 bits. */
void phpbpf_fpm_token(char *out, const char *prefix, const char *vhost_hex, apr_uint64_t seq,
                      apr_uint64_t request_time_us);

#endif
