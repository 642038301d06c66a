#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "serve.h"
#include "sockdir.h"
#include "sockio.h"

#define MAX_WATCH 8
/* epoll tags: below MAX_WATCH a watch, then the listening socket, then a
 * client's slot + WATCH_BASE. */
#define TAG_LISTEN MAX_WATCH
#define TAG_CLIENT (MAX_WATCH + 1)

struct client {
    int fd;                       /* -1: free */
    pid_t pid;
    uint64_t order;               /* accept order: the oldest goes first */
    int64_t deadline;
    size_t got;
    unsigned char req[sizeof(struct phpbpf_request) + 1];
    unsigned char *out;           /* what is left of the reply, or NULL */
    size_t out_len, out_off;
};

static struct { int fd; phpbpf_watch_fn fn; } watches[MAX_WATCH];
static int nwatch;
static struct client clients[PHPBPF_MAX_CLIENTS];
static const struct phpbpf_serve_cfg *cfg;
static int ep = -1;
static uint64_t accepted;
static size_t pending_bytes;      /* sum of out_len - out_off */
/* The reply buffer is kept from one reply to the next, so its pages are
 * not faulted in again for every page view; a reply a client cannot take
 * at once gets a copy of what is left. */
static struct phpbpf_buf reply;

void phpbpf_serve_watch(int fd, phpbpf_watch_fn fn)
{
    if (nwatch < MAX_WATCH && fd >= 0)
        watches[nwatch++] = (typeof(watches[0])){ fd, fn };
}

/* At most one warning a second, so a client can't flood the error log. */
static void warn_limited(const char *fmt, ...)
{
    static int64_t last;
    static unsigned long suppressed;
    int64_t t = phpbpf_now_ms();
    char msg[512];
    va_list ap;

    if (last && t - last < 1000) {
        suppressed++;
        return;
    }
    if (suppressed)
        cfg->log("warn", "%lu more refused requests not logged", suppressed);
    suppressed = 0;
    last = t;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    cfg->log("warn", "%s", msg);
}

/* Only httpd's own children (or the parent, under -X) may ask: the uid
 * alone would let any program running as User read the numbers. */
static int peer_is_ours(const struct ucred *cred)
{
    char path[64], buf[512], *close_paren;
    FILE *f;
    int ppid = -1;

    if (cred->uid == 0)
        return 1;
    if (cred->uid != cfg->uid)
        return 0;
    if (cred->pid == cfg->httpd_pid)
        return 1;
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)cred->pid);
    if (!(f = fopen(path, "re")))
        return 0;
    if (fgets(buf, sizeof(buf), f) && (close_paren = strrchr(buf, ')')) != NULL)
        sscanf(close_paren + 1, " %*c %d", &ppid);
    fclose(f);
    return ppid == cfg->httpd_pid;
}

static void drop(struct client *c)
{
    if (c->fd < 0)
        return;
    close(c->fd);               /* which takes it out of the epoll set */
    pending_bytes -= c->out_len - c->out_off;
    free(c->out);
    memset(c, 0, sizeof(*c));
    c->fd = -1;
}

static struct client *oldest(int with_reply)
{
    struct client *o = NULL;
    int i;

    for (i = 0; i < PHPBPF_MAX_CLIENTS; i++)
        if (clients[i].fd >= 0 && (!with_reply || clients[i].out)
            && (!o || clients[i].order < o->order))
            o = &clients[i];
    return o;
}

/* A free slot for a peer, or NULL if it has its share already; a full
 * table gives up its oldest connection, whose deadline is near anyway. */
static struct client *slot_for(pid_t pid)
{
    struct client *free_slot = NULL;
    int i, same = 0;

    for (i = 0; i < PHPBPF_MAX_CLIENTS; i++) {
        if (clients[i].fd < 0)
            free_slot = free_slot ? free_slot : &clients[i];
        else if (clients[i].pid == pid)
            same++;
    }
    if (same >= PHPBPF_MAX_CLIENTS_PER_PEER)
        return NULL;
    if (!free_slot) {
        free_slot = oldest(0);
        drop(free_slot);
    }
    return free_slot;
}

static void accept_all(int listen_fd)
{
    for (;;) {
        int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        struct ucred cred;
        socklen_t clen = sizeof(cred);
        struct client *c;
        struct epoll_event ev = { .events = EPOLLIN };

        if (fd < 0)
            return;             /* EAGAIN: all taken; anything else: next time */
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) != 0 || !peer_is_ours(&cred)) {
            warn_limited("refused a connection from uid %d pid %d: not a process of httpd %d",
                         (int)cred.uid, (int)cred.pid, (int)cfg->httpd_pid);
            close(fd);
            continue;
        }
        if (!(c = slot_for(cred.pid))) {
            warn_limited("refused a connection from pid %d: it holds %d already",
                         (int)cred.pid, PHPBPF_MAX_CLIENTS_PER_PEER);
            close(fd);
            continue;
        }
        *c = (struct client){ .fd = fd, .pid = cred.pid, .order = ++accepted,
                              .deadline = phpbpf_now_ms() + PHPBPF_CLIENT_DEADLINE_MS };
        ev.data.u64 = TAG_CLIENT + (uint64_t)(c - clients);
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0)
            drop(c);
    }
}

/* Writes what it can; 1 when the reply is all out, 0 when the rest must
 * wait, -1 when the client is gone. */
static int send_some(struct client *c, const unsigned char *p, size_t n, size_t *off)
{
    int rc = phpbpf_io_some(c->fd, 1, (void *)p, n, off);

    return rc == PHPBPF_IO_DONE ? 1 : rc == PHPBPF_IO_AGAIN ? 0 : -1;
}

/* The reply as far as the socket takes it at once; the rest is copied for
 * later, within the budget: over it, older slow readers go first. */
static void answer(struct client *c)
{
    const char *bad = phpbpf_request_check(c->req, c->got, (uint32_t)cfg->httpd_pid);
    struct phpbpf_snapshot s;
    struct epoll_event ev = { .events = EPOLLOUT };
    size_t off = 0, rest;
    struct client *o;
    int done;

    reply.len = 0;
    reply.oom = 0;
    if (bad) {
        warn_limited("bad request from pid %d: %s", (int)c->pid, bad);
        phpbpf_error_encode(&reply, bad);
    }
    else {
        cfg->snapshot(&s);
        if (phpbpf_snapshot_encode(&reply, &s) != 0) {
            phpbpf_buf_free(&reply);
            phpbpf_error_encode(&reply, "out of memory");
        }
    }
    done = send_some(c, reply.data, reply.len, &off);
    if (done != 0) {
        drop(c);
        return;
    }
    rest = reply.len - off;
    while (pending_bytes + rest > PHPBPF_REPLY_BUDGET && (o = oldest(1)) != NULL)
        drop(o);
    if (!(c->out = malloc(rest))) {
        drop(c);
        return;
    }
    memcpy(c->out, reply.data + off, rest);
    c->out_len = rest;
    pending_bytes += rest;
    ev.data.u64 = TAG_CLIENT + (uint64_t)(c - clients);
    if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) != 0)
        drop(c);
}

/* One request per connection, ended by the client's shutdown(SHUT_WR); a
 * client that sends more than a request is refused, not trusted. */
static void on_client(struct client *c, uint32_t events)
{
    if (c->out) {
        if (send_some(c, c->out, c->out_len, &c->out_off) != 0) {
            drop(c);
            return;
        }
        return;
    }
    switch (phpbpf_io_some(c->fd, 0, c->req, sizeof(c->req), &c->got)) {
    case PHPBPF_IO_DONE:        /* one byte too many: refused */
    case PHPBPF_IO_EOF:         /* the request is all in */
        answer(c);
        return;
    case PHPBPF_IO_AGAIN:
        if (events & (EPOLLHUP | EPOLLRDHUP))
            answer(c);
        return;
    default:
        drop(c);
    }
}

/* Closes what has run out of time; the wait until the next deadline. */
static int expire(void)
{
    int64_t t = phpbpf_now_ms(), next = -1;
    int i;

    for (i = 0; i < PHPBPF_MAX_CLIENTS; i++) {
        if (clients[i].fd < 0)
            continue;
        if (clients[i].deadline <= t)
            drop(&clients[i]);
        else if (next < 0 || clients[i].deadline - t < next)
            next = clients[i].deadline - t;
    }
    return (int)next;
}

int phpbpf_serve(int listen_fd, const struct phpbpf_serve_cfg *c)
{
    struct epoll_event ev = { .events = EPOLLIN }, got[64];
    int i;

    cfg = c;
    for (i = 0; i < PHPBPF_MAX_CLIENTS; i++)
        clients[i].fd = -1;
    if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0) {
        cfg->log("error", "epoll_create1: %s", strerror(errno));
        return 1;
    }
    ev.data.u64 = TAG_LISTEN;
    if (epoll_ctl(ep, EPOLL_CTL_ADD, listen_fd, &ev) != 0) {
        cfg->log("error", "epoll_ctl: %s", strerror(errno));
        return 1;
    }
    for (i = 0; i < nwatch; i++) {
        ev.data.u64 = (uint64_t)i;
        if (epoll_ctl(ep, EPOLL_CTL_ADD, watches[i].fd, &ev) != 0) {
            cfg->log("error", "epoll_ctl: %s", strerror(errno));
            return 1;
        }
    }
    for (;;) {
        int n = epoll_wait(ep, got, 64, expire());

        if (n < 0 && errno != EINTR) {
            cfg->log("error", "epoll_wait: %s", strerror(errno));
            return 1;
        }
        for (i = 0; i < n; i++) {
            uint64_t tag = got[i].data.u64;
            int rc;

            if (tag < MAX_WATCH) {
                if ((rc = watches[tag].fn()) != 0)
                    return rc - 1;
            }
            else if (tag == TAG_LISTEN)
                accept_all(listen_fd);
            else if (clients[tag - TAG_CLIENT].fd >= 0)
                on_client(&clients[tag - TAG_CLIENT], got[i].events);
        }
    }
}

/* The socket in a directory only root can write (sockdir.h says why),
 * then given to the User without following a link. */
int phpbpf_serve_listen(const char *path, uid_t uid, gid_t gid, char *why, size_t len)
{
    char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
    size_t n = strlen(path), tail = strlen("/" PHPBPF_SOCK_FILE);
    int dfd, fd;

    if (n >= sizeof(dir) || n <= tail || strcmp(path + n - tail, "/" PHPBPF_SOCK_FILE) != 0) {
        snprintf(why, len, "bad socket path %s", path);
        return -1;
    }
    memcpy(dir, path, n - tail);
    dir[n - tail] = '\0';
    if ((dfd = phpbpf_sockdir_make(dir, why, len)) < 0)
        return -1;
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        snprintf(why, len, "socket: %s", strerror(errno));
    else if (phpbpf_sockdir_bind(dfd, fd, uid, gid) != 0)
        snprintf(why, len, "cannot bind %s for uid %u: %s", path, (unsigned)uid, strerror(errno));
    else if (listen(fd, 128) != 0)
        snprintf(why, len, "listen on %s: %s", path, strerror(errno));
    else {
        close(dfd);
        return fd;
    }
    if (fd >= 0)
        close(fd);
    close(dfd);
    return -1;
}
