#ifndef PHPBPF_FPM_TESTS_H
#define PHPBPF_FPM_TESTS_H

/* php-fpm's plain C (mod_phpbpf/fpm_token.c): the token each proxied
 * request carries, read back with the BPF side's own parser, and the
 * pools as the configuration writes them. */
void fpm_tests(void);

#endif
