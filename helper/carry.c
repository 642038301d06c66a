#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "carry.h"

#ifndef PHPBPF_LAYOUT_ID
#error "PHPBPF_LAYOUT_ID: the build's hash of the carried maps' definitions"
#endif

#define CARRY_MAGIC 0x31594143u     /* "CAY1" */
#define PIDFD_NAME "(pidfd)"

struct carry_msg {
    uint32_t magic;
    uint32_t n;                   /* descriptors, the pidfd first */
    uint64_t gen;                 /* the sender's: its programs count while active_gen is this */
    char layout[32];              /* the sender's PHPBPF_LAYOUT_ID */
    char name[PHPBPF_CARRY_MAX + 1][16];
};

struct carry_set {
    struct carry_msg m;
    int fd[PHPBPF_CARRY_MAX + 1];
    int nfd;
};

static void close_set(struct carry_set *s)
{
    int i;

    for (i = 0; i < s->nfd; i++)
        if (s->fd[i] >= 0)
            close(s->fd[i]);
    s->nfd = 0;
}

/* One set from the mailbox; 0, or -1 when there is none (or it is not a
 * set: its descriptors are closed). */
static int recv_set(int rd, struct carry_set *s)
{
    char cbuf[CMSG_SPACE(sizeof(int) * (PHPBPF_CARRY_MAX + 1))];
    struct iovec iov = { &s->m, sizeof(s->m) };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
                         .msg_controllen = sizeof(cbuf) };
    struct cmsghdr *cm;
    ssize_t got = recvmsg(rd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

    s->nfd = 0;
    if (got < 0)
        return -1;
    for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
        if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
            int n = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));

            if (n > PHPBPF_CARRY_MAX + 1)
                n = PHPBPF_CARRY_MAX + 1;
            memcpy(s->fd, CMSG_DATA(cm), (size_t)n * sizeof(int));
            s->nfd = n;
        }
    if (got != (ssize_t)sizeof(s->m) || s->m.magic != CARRY_MAGIC || s->m.n != (uint32_t)s->nfd
        || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
        close_set(s);
        return 0;               /* not a set: read on */
    }
    s->m.layout[sizeof(s->m.layout) - 1] = '\0';
    return 0;
}

static int send_set(int wr, const struct carry_msg *m, const int *fd)
{
    char cbuf[CMSG_SPACE(sizeof(int) * (PHPBPF_CARRY_MAX + 1))];
    struct iovec iov = { (void *)m, sizeof(*m) };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
                         .msg_controllen = CMSG_SPACE(sizeof(int) * m->n) };
    struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

    memset(cbuf, 0, sizeof(cbuf));
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int) * m->n);
    memcpy(CMSG_DATA(cm), fd, sizeof(int) * m->n);
    return sendmsg(wr, &mh, MSG_DONTWAIT) == (ssize_t)sizeof(*m) ? 0 : -1;
}

/* Whether the predecessor's map fd can stand for ours: libbpf's
 * bpf_map__reuse_fd() takes any map and adopts its definition. */
static int compatible(const struct bpf_map *map, int fd)
{
    struct bpf_map_info info;
    __u32 len = sizeof(info);

    memset(&info, 0, sizeof(info));
    if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0)
        return 0;
    return info.type == bpf_map__type(map) && info.key_size == bpf_map__key_size(map)
           && info.value_size == bpf_map__value_size(map)
           && info.max_entries == bpf_map__max_entries(map)
           && info.map_flags == bpf_map__map_flags(map);
}

void phpbpf_carry_take(struct phpbpf_carry *c, struct bpf_map *const *maps, unsigned n)
{
    struct carry_set s, best = { .nfd = 0 };
    int have = 0, i, used[PHPBPF_CARRY_MAX + 1] = { 0 }, taken[PHPBPF_CARRY_MAX] = { 0 };
    unsigned k;

    c->gen = 1;
    c->pidfd = -1;
    c->queued = 0;
    c->ndormant = 0;
    c->reused = 0;
    if (c->rd < 0)
        return;
    while (recv_set(c->rd, &s) == 0) {
        if (!s.nfd)
            continue;
        if (s.m.gen >= c->gen)
            c->gen = s.m.gen + 1;
        if (have && s.m.gen <= best.m.gen) {
            close_set(&s);
            continue;
        }
        if (have)
            close_set(&best);
        best = s;
        have = 1;
    }
    if (!have)
        return;
    if (strcmp(best.m.layout, PHPBPF_LAYOUT_ID) != 0) {
        c->log("notice", "the running helper's maps have another layout (%s, this build %s): "
               "PHP-side counters start again from zero", best.m.layout, PHPBPF_LAYOUT_ID);
        if (best.m.n && strcmp(best.m.name[0], PIDFD_NAME) == 0)
            c->pidfd = dup(best.fd[0]);  /* it still has to go */
        close_set(&best);
        return;
    }
    /* Back in the mailbox at once: if this helper dies before it hands
     * its own on, the next one finds the history still there. */
    if (send_set(c->wr, &best.m, best.fd) == 0)
        c->queued = 1;
    for (i = 0; i < best.nfd; i++) {
        const char *name = best.m.name[i];

        if (i == 0 && strcmp(name, PIDFD_NAME) == 0) {
            c->pidfd = best.fd[0];
            used[0] = 1;
            continue;
        }
        for (k = 0; k < n && k < PHPBPF_CARRY_MAX; k++)
            if (!taken[k] && strncmp(bpf_map__name(maps[k]), name, 15) == 0
                && compatible(maps[k], best.fd[i]) && bpf_map__reuse_fd(maps[k], best.fd[i]) == 0) {
                taken[k] = used[i] = 1;
                c->reused = 1;
                break;
            }
        /* Not ours to use, with these settings: passed on as it is. */
        if (!used[i] && c->ndormant < PHPBPF_CARRY_MAX) {
            c->dormant_fd[c->ndormant] = best.fd[i];
            memcpy(c->dormant_name[c->ndormant], name, 16);
            c->ndormant++;
            used[i] = 2;
        }
    }
    /* reuse_fd took copies; the pidfd and the dormant ones are kept. */
    for (i = 0; i < best.nfd; i++)
        if (used[i] == 1 && i > 0)
            close(best.fd[i]);
    if (c->reused)
        c->log("info", "took over the maps of helper generation %llu: counters go on",
               (unsigned long long)best.m.gen);
}

int phpbpf_carry_give(struct phpbpf_carry *c, struct bpf_map *const *maps, unsigned n)
{
    struct carry_msg m;
    int fd[PHPBPF_CARRY_MAX + 1], self, i, rc;
    unsigned k;
    struct carry_set old;

    if (c->wr < 0)
        return -1;
    memset(&m, 0, sizeof(m));
    m.magic = CARRY_MAGIC;
    m.gen = c->gen;
    snprintf(m.layout, sizeof(m.layout), "%s", PHPBPF_LAYOUT_ID);
    self = (int)syscall(SYS_pidfd_open, getpid(), 0);
    fd[m.n] = self;
    snprintf(m.name[m.n++], 16, "%s", PIDFD_NAME);
    for (k = 0; k < n && m.n < PHPBPF_CARRY_MAX + 1; k++) {
        fd[m.n] = bpf_map__fd(maps[k]);
        snprintf(m.name[m.n++], 16, "%s", bpf_map__name(maps[k]));
    }
    /* A dormant map of a name we now carry a live one of is kept once. */
    for (i = 0; i < c->ndormant && m.n < PHPBPF_CARRY_MAX + 1; i++) {
        fd[m.n] = c->dormant_fd[i];
        memcpy(m.name[m.n++], c->dormant_name[i], 16);
    }
    if (self < 0) {
        c->log("warn", "pidfd_open: %s", strerror(errno));
        return -1;
    }
    rc = send_set(c->wr, &m, fd);
    close(self);
    if (rc != 0) {
        c->log("warn", "cannot hand the maps on to the next helper: %s", strerror(errno));
        return -1;
    }
    /* What was there before ours goes: the predecessor's set, put back. */
    for (; c->queued > 0; c->queued--)
        if (recv_set(c->rd, &old) == 0)
            close_set(&old);
    for (i = 0; i < c->ndormant; i++)
        close(c->dormant_fd[i]);
    c->ndormant = 0;
    return 0;
}

void phpbpf_carry_retire(struct phpbpf_carry *c)
{
    struct pollfd p;

    if (c->pidfd < 0)
        return;
    p = (struct pollfd){ .fd = c->pidfd, .events = POLLIN };
    if (syscall(SYS_pidfd_send_signal, c->pidfd, SIGTERM, NULL, 0) == 0
        && poll(&p, 1, 3000) != 1) {
        c->log("warn", "the helper before this one did not stop in 3 s: killing it");
        syscall(SYS_pidfd_send_signal, c->pidfd, SIGKILL, NULL, 0);
        poll(&p, 1, 1000);
    }
    close(c->pidfd);
    c->pidfd = -1;
}
