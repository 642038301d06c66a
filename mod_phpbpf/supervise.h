/* The helper's life: spawned by the parent in post_config, supervised
 * with APR's other-child API (as mod_cgid supervises its daemon), kept
 * across generations while its identity is unchanged, restarted with a
 * backoff when it dies, and stopped, with a bounded wait, when httpd
 * stops or the configuration no longer wants it. */
#ifndef PHPBPF_SUPERVISE_H
#define PHPBPF_SUPERVISE_H

#include "httpd.h"

/* Keeps the running helper if its identity (phpbpf_helper_identity()) is
 * unchanged, else starts one with argv; sock is its socket's path. */
void phpbpf_supervise(server_rec *s, const char *identity, const char *const *argv,
                      const char *sock, const char *lib_shown);

/* Stops the helper, if one runs. */
void phpbpf_helper_stop(void);

#endif
