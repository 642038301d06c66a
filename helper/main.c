/* phpbpf-helper: the privileged half of mod_phpbpf.
 *
 * Started by the httpd parent in post_config (never by children), it loads
 * the BPF skeleton, attaches php:request__startup/shutdown once with pid -1
 * to the libphp file, then drops every capability and answers snapshot
 * requests on a Unix socket only Apache's User can open.
 *
 * fd 0 is a pipe from the httpd parent: one line per new Apache generation,
 * EOF when the parent is gone.  fd 1 is a pipe the parent reads only when we
 * exit, for the reason of a startup failure.  fd 2 is Apache's error log.
 * Exit status PHPBPF_EXIT_STARTUP means "do not respawn me".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/signalfd.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include "helper.h"
#include "log.h"
#include "serve.h"
#include "stacks.h"
#include "queries.h"
#include "tables.h"
#include "phpbpf.skel.h"

static struct phpbpf_helper H = {
    .opt = &H.args.o,
    .carry = { .rd = -1, .wr = -1, .pidfd = -1 },
};
static int listen_fd = -1;

static void snapshot(struct phpbpf_snapshot *s)
{
    phpbpf_collect(&H, s);
}

/* The parent writes "generation N" after every graceful or plain restart;
 * the counters stay, since the vhost table indexes never change meaning. */
static int read_parent(void)
{
    char buf[256];
    ssize_t n = read(STDIN_FILENO, buf, sizeof(buf) - 1);
    unsigned int g;

    if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
        return -1;
    if (n < 0)
        return 0;
    buf[n] = '\0';
    for (char *save, *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
        if (sscanf(line, "generation %u", &g) == 1) {
            H.generation = g;
            logmsg("info", "Apache generation %u: counters kept", g);
        }
    return 0;
}

static int on_parent(void)
{
    if (read_parent() != 0) {
        logmsg("info", "httpd parent went away; stopping");
        return 1;
    }
    return 0;
}

static int sig_fd = -1;

static int on_signal(void)
{
    logmsg("info", "stopping on signal");
    return 1;
}

static int on_slow(void)
{
    ring_buffer__consume(H.rings);
    return 0;
}

static int on_timer(void)
{
    phpbpf_stacks_tick();
    return 0;
}

/* A new period of the tables (PhpBpfWindow / 2). */
static int period_fd = -1;

static int on_period(void)
{
    uint64_t expirations;

    if (read(period_fd, &expirations, sizeof(expirations)) < 0)
        return 0;
    ring_buffer__consume(H.rings);
    phpbpf_stacks_age();
    phpbpf_tables_age();
    phpbpf_queries_age();
    H.period_start[1] = H.period_start[0];
    H.period_start[0] = phpbpf_now_us();
    return 0;
}

/* The statements' events wake no one (queries.bpf.c): read them every
 * 100 ms, so that the ring never fills between two snapshots. */
static int poll_fd = -1;

static int on_poll(void)
{
    uint64_t expirations;

    if (read(poll_fd, &expirations, sizeof(expirations)) >= 0)
        ring_buffer__consume(H.rings);
    return 0;
}

static void start_poll(void)
{
    struct itimerspec its = { { 0, 100000000 }, { 0, 100000000 } };

    poll_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    if (poll_fd < 0 || timerfd_settime(poll_fd, 0, &its, NULL) != 0)
        startup_failure("cannot start the statements' timer: %s", strerror(errno));
    phpbpf_serve_watch(poll_fd, on_poll);
}

static void start_periods(void)
{
    unsigned half = H.opt->window_s / 2 ? H.opt->window_s / 2 : 1;
    struct itimerspec its = { { half, 0 }, { half, 0 } };

    H.period_start[0] = H.started_us;
    period_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    if (period_fd < 0 || timerfd_settime(period_fd, 0, &its, NULL) != 0)
        startup_failure("cannot start the tables' period timer: %s", strerror(errno));
}

static int serve(void)
{
    static const struct phpbpf_serve_cfg sc = { 0, 0, snapshot, logmsg };
    struct phpbpf_serve_cfg c = sc;
    sigset_t sigs;

    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigprocmask(SIG_BLOCK, &sigs, NULL);
    sig_fd = signalfd(-1, &sigs, SFD_CLOEXEC);
    if (sig_fd < 0)
        startup_failure("signalfd: %s", strerror(errno));
    c.uid = (uid_t)H.opt->uid;
    c.httpd_pid = (pid_t)H.opt->httpd_pid;
    phpbpf_serve_watch(sig_fd, on_signal);
    phpbpf_serve_watch(STDIN_FILENO, on_parent);
    phpbpf_serve_watch(ring_buffer__epoll_fd(H.rings), on_slow);
    phpbpf_serve_watch(phpbpf_stacks_timer_fd(), on_timer);
    start_periods();
    phpbpf_serve_watch(period_fd, on_period);
    if (H.probes & (PHPBPF_PROBE_QUERIES | PHPBPF_PROBE_LIBPQ))
        start_poll();
    return phpbpf_serve(listen_fd, &c);
}

int main(int argc, char **argv)
{
    char why[1024];
    int rc;

    phpbpf_args_mailbox(argc, argv, &H.args);
    phpbpf_sanitize_process(H.args.mailbox);
    phpbpf_args_parse(argc, argv, &H.args);
    phpbpf_log_setup(H.opt->use_syslog, H.opt->debug);
    if (H.opt->use_syslog)
        openlog("phpbpf-helper", LOG_PID, LOG_DAEMON);
    if ((uint64_t)getppid() != H.opt->httpd_pid)
        startup_failure("parent is not httpd pid %d", (int)H.opt->httpd_pid);
    libbpf_set_print(phpbpf_libbpf_log);
    if (H.opt->delay_s)
        sleep((unsigned)H.opt->delay_s);
    phpbpf_attach(&H);
    phpbpf_collect_init(&H);
    phpbpf_hand_over(&H);
    listen_fd = phpbpf_serve_listen(H.opt->socket, (uid_t)H.opt->uid, (gid_t)H.opt->gid, why,
                                    sizeof(why));
    if (listen_fd < 0)
        startup_failure("%s", why);
    phpbpf_drop_privileges();
    H.started_us = phpbpf_now_us();
    {
        static const char *const names[] = { PHPBPF_PROBE_NAMES };
        char list[512] = "";
        size_t n = 0;
        unsigned k;

        for (k = 0; k < PHPBPF_NPROBES; k++)
            if (H.probes & (1u << k))
                n += (size_t)snprintf(list + n, n < sizeof(list) ? sizeof(list) - n : 0, "%s%s",
                                      n ? " " : "", names[k]);
        for (k = 0; k < H.opt->fpm.n; k++)
            if (H.fpm_ok & (1u << k))
                n += (size_t)snprintf(list + n, n < sizeof(list) ? sizeof(list) - n : 0,
                                      " php-fpm:%s", H.opt->fpm.v[k]);
        logmsg("notice", "tracing %s (%s) for httpd pid %d, %u vhost slots; socket %s",
               *H.opt->library ? H.opt->library : "php-fpm", list, (int)H.opt->httpd_pid, (unsigned)H.opt->vhosts, H.opt->socket);
    }

    rc = serve();

    /* As nobody we may not remove the socket from root's directory: the
     * httpd parent does, when it reaps us. */
    ring_buffer__free(H.rings);
    phpbpf__destroy(H.skel);
    return rc;
}
