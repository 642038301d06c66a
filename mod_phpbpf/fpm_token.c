/* What of php-fpm's support is plain C, for the unit tests too: a pool as
 * written in the configuration, and a request's token (bpf/phpbpf.h). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "apr_strings.h"

#include "../bpf/phpbpf.h"
#include "fpm_token.h"

const char *phpbpf_fpm_parse(apr_pool_t *p, const char *arg, struct phpbpf_fpm_pool *out)
{
    const char *s = arg, *e;

    memset(out, 0, sizeof(*out));
    if (strncasecmp(s, "proxy:", 6) == 0)
        s += 6;
    if (strncasecmp(s, "unix:", 5) == 0) {
        /* unix:/run/php/php8.2-fpm.sock|fcgi://localhost/ */
        s += 5;
        e = strchr(s, '|');
        out->path = e ? apr_pstrmemdup(p, s, (apr_size_t)(e - s)) : apr_pstrdup(p, s);
        if (out->path[0] != '/')
            return "a unix socket's path must be absolute";
        if (e && strncasecmp(e + 1, "fcgi://", 7) != 0)
            return "not a FastCGI (fcgi://) backend";
        out->name = apr_pstrcat(p, "unix:", out->path, NULL);
        return NULL;
    }
    if (strncasecmp(s, "fcgi://", 7) == 0)
        s += 7;
    else if (s != arg || strchr(s, '/'))
        return "not a FastCGI (fcgi://) backend";
    e = s + strcspn(s, "/");
    out->host = apr_pstrmemdup(p, s, (apr_size_t)(e - s));
    {
        char *colon = strrchr((char *)out->host, ':');

        if (colon && !strchr(colon, ']')) {
            out->port = (apr_port_t)atoi(colon + 1);
            *colon = '\0';
        }
        else
            out->port = PHPBPF_FCGI_DEFAULT_PORT;
    }
    if (!*out->host || !out->port)
        return "expected unix:/PATH or HOST:PORT";
    out->name = apr_psprintf(p, "%s:%u", out->host, (unsigned)out->port);
    return NULL;
}

/* 32 bits as 8 lowercase hex digits, all at once: each nibble spread to
 * a byte, then '0' + n, and 'a' - '0' - 10 more where n > 9 (its byte
 * carries into bit 4 when 6 is added), then most significant first.  A
 * digit at a time was 550 instructions a token; this is 36 for 8 digits,
 * and a request writes 16 (README, Overhead). */
static inline char *hex8(char *o, apr_uint32_t x)
{
    apr_uint64_t v = x, big;

    v = ((v & 0xFFFF0000ULL) << 16) | (v & 0xFFFFULL);
    v = ((v & 0x0000FF000000FF00ULL) << 8) | (v & 0x000000FF000000FFULL);
    v = ((v & 0x00F000F000F000F0ULL) << 4) | (v & 0x000F000F000F000FULL);
    big = ((v + 0x0606060606060606ULL) >> 4) & 0x0101010101010101ULL;
    v += 0x3030303030303030ULL + big * ('a' - '0' - 10);
    v = __builtin_bswap64(v);
    memcpy(o, &v, 8);
    return o + 8;
}

void phpbpf_fpm_token_prefix(char *out, apr_uint64_t nonce, apr_uint32_t pid)
{
    hex8(out, (apr_uint32_t)(nonce >> 32));
    hex8(out + 8, (apr_uint32_t)nonce);
    hex8(out + 16, pid);
}

void phpbpf_fpm_hex8(char *out, apr_uint32_t v)
{
    hex8(out, v);
}

void phpbpf_fpm_token(char *out, const char *prefix, const char *vhost_hex, apr_uint64_t seq,
                      apr_uint64_t request_time_us)
{
    memcpy(out, prefix, 16);
    memcpy(out + 16, vhost_hex, 8);
    memcpy(out + 24, prefix + 16, 8);
    hex8(out + 32, (apr_uint32_t)seq);
    hex8(out + 40, (apr_uint32_t)request_time_us);
    out[PHPBPF_FPM_TOKEN_LEN] = '\0';
}
