/* The helper's log: lines in the shape of Apache's error log on stderr
 * (which is Apache's error log), or syslog where Apache logs there. */
#ifndef PHPBPF_HELPER_LOG_H
#define PHPBPF_HELPER_LOG_H

#include <stdarg.h>
#include <bpf/libbpf.h>

/* --syslog and --debug; until called, stderr and no debug lines. */
void phpbpf_log_setup(int use_syslog, int debug);

/* level: "error", "warn", "notice", "info" or "debug". */
void logmsg(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One clear line in the error log and the same line on stdout for the
 * module, which shows it on /server-bpf; then exit(PHPBPF_EXIT_STARTUP),
 * which stops respawning. */
void startup_failure(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* libbpf's messages, the debug ones only with --debug. */
int phpbpf_libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap);

#endif
