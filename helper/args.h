/* The helper's command line, read with the table the module writes it
 * from (common/options.h). */
#ifndef PHPBPF_HELPER_ARGS_H
#define PHPBPF_HELPER_ARGS_H

#include "options.h"
#include "peers.h"

/* What the helper runs with: the options, and what they say parsed. */
struct phpbpf_helper_args {
    struct phpbpf_options o;
    struct phpbpf_peer peer[PHPBPF_MAX_PEERS / 2];  /* --peer WHERE=CLASS */
    unsigned npeers;
    int mailbox[2];               /* --mailbox RD,WR (carry.h), or -1 -1 */
    uint64_t fpm_nonce;           /* PHPBPF_FPM_NONCE_ENV's, 0 if none */
};

/* --mailbox alone, before any descriptor is closed: those two are the
 * only ones besides 0-2 that the helper keeps from httpd. */
void phpbpf_args_mailbox(int argc, char **argv, struct phpbpf_helper_args *a);

/* The rest, with the defaults and bounds of options.h; a bad or missing
 * one, or a module of another build, is a startup failure.  php-fpm's
 * nonce is taken from the environment, and its text there cleared: the
 * process's environment stays readable (/proc/PID/environ) by root, and
 * shows no nonce. */
void phpbpf_args_parse(int argc, char **argv, struct phpbpf_helper_args *a);

#endif
