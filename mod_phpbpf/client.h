/* The helper's socket, from an Apache child: connect without blocking,
 * send one request, read one snapshot, every step bounded in time, so
 * that a stuck helper cannot hold a child (the page answers 503). */
#ifndef PHPBPF_CLIENT_H
#define PHPBPF_CLIENT_H

#include "httpd.h"
#include "snapshot.h"

/* Sends the helper at sock a snapshot request on behalf of httpd parent
 * httpd_pid: the connection to read the answer from, or -1 with *err set
 * (starting says whether the helper was just spawned).  The socket must be
 * helper_pid's, which listened on it as root: anything else there is not
 * the helper, whoever put it there. */
int phpbpf_client_ask(request_rec *r, const char *sock, pid_t httpd_pid, pid_t helper_pid,
                      int starting, const char **err);

/* Reads and decodes the answer on fd (at most max_vhosts vhosts), and
 * closes it; NULL on success, else why not. */
const char *phpbpf_client_answer(request_rec *r, int fd, struct phpbpf_snapshot *snap,
                                 uint32_t max_vhosts);

#endif
