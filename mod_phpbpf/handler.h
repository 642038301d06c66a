/* The server-bpf handler and the mod_status section. */
#ifndef PHPBPF_HANDLER_H
#define PHPBPF_HANDLER_H

#include "httpd.h"

int phpbpf_handler(request_rec *r);

/* mod_status's optional status_hook: a short section from the shared
 * memory alone, since mod_status pages are polled often. */
int phpbpf_status_hook(request_rec *r, int flags);

#endif
