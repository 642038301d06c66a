/* The socket's directory (sockdir.c) against what a User who can write the
 * runtime dir could plant there: a symlink to a file of root's, a file, a
 * directory of its own.  Nothing planted is followed or changed, and the
 * socket ends up the User's, mode 0600, in a directory of root's.  Run as
 * root, as the whole suite is. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sockdir.h"
#include "sockdir_tests.h"
#include "tap.h"

#define USER 65534

static char top[64], dir[128], victim[128], sock[160];

static int is_ours(void)
{
    struct stat st;

    return lstat(dir, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == 0
           && (st.st_mode & 07777) == 0711;
}

static int victim_intact(void)
{
    struct stat st;

    return stat(victim, &st) == 0 && st.st_uid == 0 && (st.st_mode & 07777) == 0640
           && st.st_size == 6;
}

/* Makes the directory, binds a socket in it for USER; 0 if all went right. */
static int make_and_bind(const char *what)
{
    char why[512] = "";
    int fd = phpbpf_sockdir_make(dir, why, sizeof(why)), s, rc;
    struct stat st;

    ok(fd >= 0, "%s: the directory is made (%s)", what, why);
    if (fd < 0)
        return -1;
    ok(is_ours(), "%s: it is root's, mode 0711, and no link", what);
    s = socket(AF_UNIX, SOCK_STREAM, 0);
    rc = phpbpf_sockdir_bind(fd, s, USER, USER);
    ok(rc == 0 && lstat(sock, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_uid == USER
       && st.st_gid == USER && (st.st_mode & 07777) == 0600,
       "%s: the socket in it is the User's, mode 0600", what);
    ok(victim_intact(), "%s: the victim file is unchanged", what);
    close(s);
    close(fd);
    return 0;
}

static int stale_entries(void)
{
    char cmd[256];
    FILE *p;
    int n = 0;

    snprintf(cmd, sizeof(cmd), "ls -d %s/phpbpf.1.stale.* 2>/dev/null | wc -l", top);
    if ((p = popen(cmd, "r"))) {
        if (fscanf(p, "%d", &n) != 1)
            n = -1;
        pclose(p);
    }
    return n;
}

void sockdir_tests(void)
{
    struct stat before, after;
    int fd;

    ok(geteuid() == 0, "the unit tests run as root, as the suite does");
    snprintf(top, sizeof(top), "/tmp/phpbpf-sockdir-XXXXXX");
    if (!mkdtemp(top)) {
        ok(0, "mkdtemp");
        return;
    }
    chmod(top, 0777);               /* as the official images' runtime dir */
    snprintf(dir, sizeof(dir), "%s/phpbpf.1", top);
    snprintf(sock, sizeof(sock), "%s/" PHPBPF_SOCK_FILE, dir);
    snprintf(victim, sizeof(victim), "%s/shadow", top);
    fd = open(victim, O_WRONLY | O_CREAT | O_TRUNC, 0640);
    if (fd < 0 || write(fd, "secret", 6) != 6)
        ok(0, "victim file");
    close(fd);
    chmod(victim, 0640);

    make_and_bind("fresh");
    stat(dir, &before);
    make_and_bind("made again");
    stat(dir, &after);
    ok(before.st_ino == after.st_ino, "an earlier helper's directory is used again");

    phpbpf_sockdir_remove(dir, 0);
    ok(access(dir, F_OK) != 0, "removed, with its socket");

    /* What an attacker plants under the name before the helper starts. */
    ok(symlink(victim, dir) == 0, "planted: a symlink to the victim");
    make_and_bind("a symlink to a file of root's");
    ok(stale_entries() == 1, "the symlink is moved aside, not followed");
    phpbpf_sockdir_remove(dir, 0);

    fd = open(dir, O_WRONLY | O_CREAT, 0666);
    close(fd);
    make_and_bind("a file");
    phpbpf_sockdir_remove(dir, 0);

    ok(mkdir(dir, 0777) == 0 && chown(dir, USER, USER) == 0, "planted: a directory of the User's");
    make_and_bind("a directory of the User's");
    ok(stale_entries() == 3, "each was moved aside");
    phpbpf_sockdir_remove(dir, 0);

    /* A symlink where the directory was: removing follows nothing. */
    ok(symlink(top, dir) == 0, "planted: a symlink to the runtime dir");
    phpbpf_sockdir_remove(dir, 0);
    ok(victim_intact() && lstat(dir, &after) == 0 && S_ISLNK(after.st_mode),
       "removing a symlink planted at the name touches neither it nor its target");
    unlink(dir);

    {
        char why[512] = "";
        char bad[160];

        snprintf(bad, sizeof(bad), "%s/missing/phpbpf.1", top);
        ok(phpbpf_sockdir_make(bad, why, sizeof(why)) < 0 && strstr(why, "runtime directory"),
           "a missing runtime directory is refused with a reason: %s", why);
    }
    {
        char cmd[128];

        snprintf(cmd, sizeof(cmd), "rm -rf %s", top);
        if (system(cmd) != 0)
            ok(0, "cleanup");
    }
}
