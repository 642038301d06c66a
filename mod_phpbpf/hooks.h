/* The module's part in each request, in the children: cheap and probe-free.
 * After reading a request it writes the vhost into the slot that the BPF
 * programs read from user memory; at log time it adds Apache's request
 * time and final status to the shared memory; PHP's lines in the error log
 * count as errors. */
#ifndef PHPBPF_HOOKS_H
#define PHPBPF_HOOKS_H

#include "httpd.h"
#include "http_core.h"
#include "http_log.h"

void phpbpf_child_init(apr_pool_t *p, server_rec *s);
int phpbpf_post_read_request(request_rec *r);
int phpbpf_fixups(request_rec *r);
int phpbpf_log_transaction(request_rec *r);
void phpbpf_error_log(const ap_errorlog_info *info, const char *errstr);

#endif
