/* The helper's privileges: it starts as root in httpd's parent, with
 * what httpd left it; it ends as nobody with no capabilities, holding only
 * descriptors (links, maps, the socket) that need none. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "helper.h"
#include "log.h"

static void close_from(int lo, int hi)
{
    if (lo > hi)
        return;
    if (syscall(SYS_close_range, (unsigned)lo, (unsigned)hi, 0U) != 0)
        for (int fd = lo; fd <= hi && fd < 65536; fd++)
            close(fd);
}

/* Before anything else: we may have inherited descriptors and signal
 * settings from httpd that are not ours.  Keep 0-2 (and the mailbox)
 * only, leave the server's process group so its graceful/restart signals
 * are not ours, and die with the parent. */
void phpbpf_sanitize_process(const int mailbox[2])
{
    int lo = mailbox[0] < mailbox[1] ? mailbox[0] : mailbox[1];
    int hi = mailbox[0] < mailbox[1] ? mailbox[1] : mailbox[0];
    sigset_t none;
    int sig;

    if (lo < 0)
        close_from(3, (int)(~0U >> 1));
    else {
        close_from(3, lo - 1);
        close_from(lo + 1, hi - 1);
        close_from(hi + 1, (int)(~0U >> 1));
        fcntl(lo, F_SETFD, FD_CLOEXEC);
        fcntl(hi, F_SETFD, FD_CLOEXEC);
    }
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (sig = 1; sig < NSIG; sig++)
        signal(sig, SIG_DFL);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    signal(SIGUSR1, SIG_IGN);
    signal(SIGWINCH, SIG_IGN);
    setsid();
    prctl(PR_SET_PDEATHSIG, SIGTERM);
}

/* Whether this process is in a user namespace other than the initial one,
 * whose uid_map is the identity over all 2^32 - 1 ids: there, root is root
 * only in the namespace, and the kernel lets no BPF program load. */
int phpbpf_in_user_namespace(void)
{
    unsigned long inner, outer, count;
    FILE *f = fopen("/proc/self/uid_map", "r");
    int n;

    if (!f)
        return 0;
    n = fscanf(f, "%lu %lu %lu", &inner, &outer, &count);
    fclose(f);
    return n == 3 && !(inner == 0 && outer == 0 && count == 4294967295UL);
}

/* Everything privileged is done: links, maps and the socket are open
 * descriptors now, and using them needs no capability and no particular
 * uid.  So become "nobody" with no capabilities at all: not root, whose
 * files a compromised helper could still write, and not Apache's User,
 * whose processes (PHP code included) could then signal or trace it. */
void phpbpf_drop_privileges(void)
{
    struct passwd *pw = getpwnam("nobody");
    uid_t uid = pw ? pw->pw_uid : 65534;
    gid_t gid = pw ? pw->pw_gid : 65534;
    cap_t none;
    cap_value_t c;

    for (c = 0; c <= CAP_LAST_CAP; c++)
        if (cap_drop_bound(c) != 0 && errno != EINVAL)
            startup_failure("cannot drop capability %d from the bounding set: %s",
                            (int)c, strerror(errno));
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    if (setgroups(0, NULL) != 0 || setresgid(gid, gid, gid) != 0
        || setresuid(uid, uid, uid) != 0)
        startup_failure("cannot switch to user nobody: %s", strerror(errno));
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        startup_failure("PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
    none = cap_init();
    if (!none || cap_set_proc(none) != 0)
        startup_failure("cannot drop capabilities: %s", strerror(errno));
    cap_free(none);
    /* setresuid() already makes us undumpable; say so for clarity. */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}
