/* The helper's log.  Lines in the shape of Apache's own error log, so they
 * sort and grep with everything else in it. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE             /* vasprintf; APR's flags define it too */
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "snapshot.h"

static int log_syslog, log_debug;

void phpbpf_log_setup(int use_syslog, int debug)
{
    log_syslog = use_syslog;
    log_debug = debug;
}

static void vlogmsg(const char *level, const char *fmt, va_list ap)
{
    char ts[64], *msg, *save;
    struct timeval tv;
    struct tm tm;

    gettimeofday(&tv, NULL);
    localtime_r(&tv.tv_sec, &tm);
    strftime(ts, sizeof(ts), "%a %b %d %H:%M:%S", &tm);
    if (vasprintf(&msg, fmt, ap) < 0)
        return;
    if (log_syslog) {
        int prio = level[0] == 'e' ? LOG_ERR : level[0] == 'w' ? LOG_WARNING
                 : level[0] == 'n' ? LOG_NOTICE : level[0] == 'i' ? LOG_INFO : LOG_DEBUG;

        for (char *line = strtok_r(msg, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
            syslog(prio, "%s", line);
        free(msg);
        return;
    }
    /* libbpf hands over a verifier log as one multi-line message. */
    for (char *line = strtok_r(msg, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
        fprintf(stderr, "[%s.%06ld %d] [phpbpf:%s] [pid %d] phpbpf-helper: %s\n",
                ts, (long)tv.tv_usec, tm.tm_year + 1900, level, (int)getpid(), line);
    free(msg);
}

void logmsg(const char *level, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vlogmsg(level, fmt, ap);
    va_end(ap);
}

void startup_failure(const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    ssize_t unused;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg) - 1, fmt, ap);   /* room for the newline */
    va_end(ap);
    logmsg("error", "tracing unavailable: %s", msg);
    strcat(msg, "\n");
    unused = write(STDOUT_FILENO, msg, strlen(msg));
    (void)unused;
    exit(PHPBPF_EXIT_STARTUP);
}

int phpbpf_libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
    if (level == LIBBPF_DEBUG && !log_debug)
        return 0;
    vlogmsg(level == LIBBPF_WARN ? "warn" : level == LIBBPF_INFO ? "info" : "debug", fmt, ap);
    return 0;
}
