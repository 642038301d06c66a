/* The helper's event loop: its socket's clients, many at once, and the
 * other descriptors it watches (the httpd parent's pipe, signals, ring
 * buffers, timers).
 *
 * Every PHP script runs as the server's User in a child of this httpd, so
 * it passes the socket's peer check: no client may hold the helper.  Each
 * connection has its own deadline for all of its I/O, a peer process may
 * hold only a few at once, the table of connections is bounded and its
 * oldest goes first when full, and replies a client does not read are
 * bounded in bytes. */
#ifndef PHPBPF_HELPER_SERVE_H
#define PHPBPF_HELPER_SERVE_H

#include <sys/types.h>

#include "snapshot.h"

/* Each connection's deadline for reading its request and writing its reply:
 * a reply is taken from memory in a few milliseconds. */
#define PHPBPF_CLIENT_DEADLINE_MS 500
/* Connections served at once, and of those from one process.  A page view
 * is one connection of one child. */
#define PHPBPF_MAX_CLIENTS 128
#define PHPBPF_MAX_CLIENTS_PER_PEER 4
/* Bytes of replies waiting for slow readers; past it the oldest goes. */
#define PHPBPF_REPLY_BUDGET (8u << 20)

struct phpbpf_serve_cfg {
    uid_t uid;                    /* the server's User */
    pid_t httpd_pid;
    /* One reply's snapshot, in the helper's memory until the next call. */
    void (*snapshot)(struct phpbpf_snapshot *s);
    void (*log)(const char *level, const char *fmt, ...);
};

/* The socket at path (".../sock", in a directory of root's that this
 * makes), for uid:gid only, listening and non-blocking; -1 and why. */
int phpbpf_serve_listen(const char *path, uid_t uid, gid_t gid, char *why, size_t len);

/* A descriptor to watch besides the clients: fn runs when it is readable
 * and returns 0 to go on, or 1 + the exit code to stop serving. */
typedef int (*phpbpf_watch_fn)(void);

/* At most 8; before phpbpf_serve(). */
void phpbpf_serve_watch(int fd, phpbpf_watch_fn fn);

/* Serves listen_fd (non-blocking, listening) until a watch says stop;
 * returns its exit code. */
int phpbpf_serve(int listen_fd, const struct phpbpf_serve_cfg *cfg);

#endif
