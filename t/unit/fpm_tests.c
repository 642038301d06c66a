/* php-fpm's plain C (mod_phpbpf/fpm_token.c): a request's token, made by
 * the module and read back with the startup program's own parser
 * (phpbpf_fpm_hex_field, bpf/phpbpf.h), and the pools as SetHandler,
 * ProxyPass and PhpBpfFpm write them. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "apr_general.h"
#include "apr_pools.h"

#include "../../bpf/phpbpf.h"
#include "fpm_token.h"
#include "fpm_tests.h"
#include "tap.h"

/* What the module writes, as the startup program reads it back. */
static void token(char *t, uint64_t nonce, uint32_t vhost, uint32_t pid, uint64_t seq, uint64_t time)
{
    char prefix[PHPBPF_FPM_PREFIX_LEN], vh[8];

    phpbpf_fpm_token_prefix(prefix, nonce, pid);
    phpbpf_fpm_hex8(vh, vhost);
    phpbpf_fpm_token(t, prefix, vh, seq, time);
}

static void test_token(void)
{
    char t[PHPBPF_FPM_TOKEN_BUF];
    char bad[PHPBPF_FPM_TOKEN_BUF];
    static const struct { uint64_t nonce; uint32_t vhost, pid; uint64_t seq, time; } v[] = {
        { 0x0123456789abcdefULL, 0xfedcba98, 7, 0xa5a5a5a500000001ULL, 0xffffffffffffffffULL },
        { 1, 0, 0, 0, 0 },
        { 0xffffffffffffffffULL, 1023, 4194304, 1796264587000000ULL << 8, 1796264587123456ULL },
    };
    unsigned i;

    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        token(t, v[i].nonce, v[i].vhost, v[i].pid, v[i].seq, v[i].time);
        ok(strlen(t) == PHPBPF_FPM_TOKEN_LEN && strspn(t, "0123456789abcdef") == PHPBPF_FPM_TOKEN_LEN,
           "token %u: %d lowercase hex digits", i, PHPBPF_FPM_TOKEN_LEN);
        ok(phpbpf_fpm_hex_field(t, 0, 16) == v[i].nonce && phpbpf_fpm_hex_field(t, 16, 8) == v[i].vhost
           && phpbpf_fpm_hex_field(t, 24, 8) == v[i].pid
           && phpbpf_fpm_hex_field(t, 32, 8) == (uint32_t)v[i].seq
           && phpbpf_fpm_hex_field(t, 40, 8) == (uint32_t)v[i].time,
           "token %u: the BPF parser reads back nonce, vhost, pid, and the number's and time's low bits", i);
    }
    token(t, 0x0123456789abcdefULL, 0xfedcba98, 7, 0xa5a5a5a500000001ULL, 0xffffffffffffffffULL);
    ok(strcmp(t, "0123456789abcdeffedcba980000000700000001ffffffff") == 0,
       "the token's digits, field by field, most significant first: %s", t);
    memcpy(bad, t, sizeof(bad));
    bad[3] = 'G';
    ok(phpbpf_fpm_hex_field(bad, 0, 16) == ~0ULL, "a digit that is not hex: the field is all ones");
    bad[3] = 'A';
    ok(phpbpf_fpm_hex_field(bad, 0, 16) == ~0ULL, "nor is an uppercase one (the module writes none)");
    /* The request's time from its low 32 bits and the clock a little after. */
    ok(phpbpf_fpm_time(1796264587123456ULL & 0xffffffffULL, 1796264587123456ULL + 250000)
       == 1796264587123456ULL, "the request's time, from its low bits and the clock 250 ms later");
    ok(phpbpf_fpm_time(0xfffffff0ULL, 0x1700000010ULL) == 0x16fffffff0ULL,
       "and across the low bits' wrap (every 71 minutes)");
}

static void test_pools(apr_pool_t *p)
{
    static const struct { const char *in, *name, *why; } c[] = {
        { "proxy:unix:/run/php/php8.2-fpm.sock|fcgi://localhost", "unix:/run/php/php8.2-fpm.sock", NULL },
        { "unix:/run/php/a.sock|fcgi://localhost/", "unix:/run/php/a.sock", NULL },
        { "unix:/run/php/a.sock", "unix:/run/php/a.sock", NULL },
        { "PROXY:UNIX:/run/x.sock|FCGI://localhost", "unix:/run/x.sock", NULL },
        { "proxy:fcgi://127.0.0.1:9000", "127.0.0.1:9000", NULL },
        { "fcgi://127.0.0.1:9000/var/www/$1", "127.0.0.1:9000", NULL },
        { "fcgi://php/", "php:8000", NULL },
        { "10.0.0.7:9000", "10.0.0.7:9000", NULL },
        { "unix:run/php.sock", NULL, "a unix socket's path must be absolute" },
        { "unix:/run/x.sock|http://localhost/", NULL, "not a FastCGI (fcgi://) backend" },
        { "http://127.0.0.1:8080/", NULL, "not a FastCGI (fcgi://) backend" },
        { "fcgi://127.0.0.1:0/", NULL, "expected unix:/PATH or HOST:PORT" },
        { ":9000", NULL, "expected unix:/PATH or HOST:PORT" },
    };
    unsigned i;

    for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        struct phpbpf_fpm_pool q;
        const char *why = phpbpf_fpm_parse(p, c[i].in, &q);

        if (c[i].why)
            ok(why && strcmp(why, c[i].why) == 0, "pool %s: refused, %s", c[i].in, why ? why : "(accepted)");
        else
            ok(!why && strcmp(q.name, c[i].name) == 0, "pool %s: %s", c[i].in, why ? why : q.name);
    }
}

void fpm_tests(void)
{
    apr_pool_t *p;

    apr_initialize();
    apr_pool_create(&p, NULL);
    test_token();
    test_pools(p);
    apr_pool_destroy(p);
}
