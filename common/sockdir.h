/* Where the helper's socket lives: a directory of its own that only root
 * can write, "<runtime dir>/<PhpBpfSocket>.<httpd pid>/", with the socket
 * "sock" in it.  Both the helper (which makes it) and the httpd parent
 * (which removes it) go through here, and neither ever follows a link.
 *
 * Why a directory: the runtime dir may be writable by Apache's User (the
 * official php:*-apache images make it mode 777).  A socket bound straight
 * in it, then chown()ed and chmod()ed by path, could be swapped for a
 * symlink between the bind and the chown, and root would hand the link's
 * target (/etc/shadow, say) to the User.  In a directory only root can
 * write, nobody can swap anything; the directory itself is opened with
 * O_NOFOLLOW and checked to be root's before anything is done in it. */
#ifndef PHPBPF_SOCKDIR_H
#define PHPBPF_SOCKDIR_H

#include <stddef.h>
#include <sys/types.h>

#define PHPBPF_SOCK_FILE "sock"

/* The directory `dir` (an absolute path), made if it is not there: owned
 * by root, mode 0711 (the User can reach the socket, not list or write the
 * directory), opened without following a link.  Whatever else is under
 * that name (a symlink, a file, somebody else's directory) is renamed
 * aside to "<name>.stale.<n>": never followed, never changed.  Returns an
 * O_DIRECTORY descriptor, or -1 with a reason in why. */
int phpbpf_sockdir_make(const char *dir, char *why, size_t whylen);

/* Binds the unbound Unix socket `sock` as PHPBPF_SOCK_FILE in the
 * directory dfd, under umask 0177, then gives it to uid:gid without
 * following a link: mode 0600, owner the User.  0, or -1 with errno. */
int phpbpf_sockdir_bind(int dfd, int sock, uid_t uid, gid_t gid);

/* Removes the socket in `dir` and, unless keep_dir, the directory, when
 * the directory is root's; never through a link, and nothing that is not
 * ours. */
void phpbpf_sockdir_remove(const char *dir, int keep_dir);

#endif
