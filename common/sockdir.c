#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "sockdir.h"

/* A name that keeps being replaced between our mkdir and our open is an
 * attack, not a race to win by trying forever. */
#define SOCKDIR_TRIES 5

/* The runtime dir (the path's parent) and the last component. */
static int split(const char *dir, char *parent, size_t n, const char **base)
{
    const char *slash = strrchr(dir, '/');

    if (!slash || dir[0] != '/' || !slash[1] || (size_t)(slash - dir) + 2 > n)
        return -1;
    memcpy(parent, dir, (size_t)(slash - dir));
    parent[slash == dir ? 1 : slash - dir] = '\0';
    *base = slash + 1;
    return 0;
}

static int ours(int fd)
{
    struct stat st;

    return fstat(fd, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == 0
           && !(st.st_mode & (S_IWGRP | S_IWOTH));
}

/* Out of the way, under a name nobody uses: renameat2 never replaces. */
static int move_aside(int rfd, const char *base)
{
    char aside[512];
    int i;

    for (i = 0; i < 100; i++) {
        snprintf(aside, sizeof(aside), "%s.stale.%d.%d", base, (int)getpid(), i);
        if (renameat2(rfd, base, rfd, aside, RENAME_NOREPLACE) == 0)
            return 0;
        if (errno != EEXIST)
            return -1;
    }
    return -1;
}

int phpbpf_sockdir_make(const char *dir, char *why, size_t whylen)
{
    char parent[512];
    const char *base;
    int rfd, fd = -1, tries;
    struct stat st;

    if (split(dir, parent, sizeof(parent), &base) != 0) {
        snprintf(why, whylen, "%s is not an absolute path", dir);
        return -1;
    }
    rfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rfd < 0) {
        snprintf(why, whylen, "cannot open the runtime directory %s: %s", parent, strerror(errno));
        return -1;
    }
    for (tries = 0; tries < SOCKDIR_TRIES; tries++) {
        if (mkdirat(rfd, base, 0700) != 0 && errno != EEXIST)
            break;
        fd = openat(rfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0 && ours(fd))
            break;
        /* A symlink (ELOOP, ENOTDIR), a file, or a directory that is not
         * root's alone: somebody else's, moved aside untouched. */
        if (fd >= 0)
            close(fd);
        fd = -1;
        if (fstatat(rfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 && move_aside(rfd, base) != 0)
            break;
    }
    if (fd < 0) {
        int err = errno;

        if (fstat(rfd, &st) == 0 && (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH))))
            snprintf(why, whylen, "cannot make a directory of root's own for the socket in %s, "
                     "which uid %u can write: %s keeps being replaced (%s)", parent,
                     (unsigned)st.st_uid, base, strerror(err));
        else
            snprintf(why, whylen, "cannot make the socket's directory %s: %s", dir, strerror(err));
        close(rfd);
        return -1;
    }
    close(rfd);
    /* Made under umask 077, or left by an earlier helper: 0711 lets the
     * User reach the socket and nothing else. */
    if (fchmod(fd, 0711) != 0) {
        snprintf(why, whylen, "cannot chmod %s: %s", dir, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

int phpbpf_sockdir_bind(int dfd, int sock, uid_t uid, gid_t gid)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    mode_t old;
    int rc;

    /* The directory by its descriptor, not its path: whatever is renamed
     * in the runtime dir meanwhile, the socket goes where we checked. */
    snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/" PHPBPF_SOCK_FILE, dfd);
    if (unlinkat(dfd, PHPBPF_SOCK_FILE, 0) != 0 && errno != ENOENT)
        return -1;
    /* No moment in which the socket exists with looser permissions. */
    old = umask(0177);
    rc = bind(sock, (struct sockaddr *)&sa, sizeof(sa));
    umask(old);
    if (rc != 0)
        return -1;
    /* Only root writes in dfd, so this is the socket just bound; and
     * AT_SYMLINK_NOFOLLOW would change a link itself, never its target. */
    return fchownat(dfd, PHPBPF_SOCK_FILE, uid, gid, AT_SYMLINK_NOFOLLOW);
}

void phpbpf_sockdir_remove(const char *dir, int keep_dir)
{
    char parent[512];
    const char *base;
    int rfd, fd;

    if (split(dir, parent, sizeof(parent), &base) != 0)
        return;
    if ((rfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
        return;
    fd = openat(rfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0 && ours(fd)) {
        unlinkat(fd, PHPBPF_SOCK_FILE, 0);
        /* By name again: if that is no longer ours, it is a symlink
         * (ENOTDIR) or somebody's directory, which rmdir leaves unless
         * empty. */
        if (!keep_dir)
            unlinkat(rfd, base, AT_REMOVEDIR);
    }
    if (fd >= 0)
        close(fd);
    close(rfd);
}
