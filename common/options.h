/* What the module tells the helper: its command line, one line a setting.
 * Each flag is spelled here and nowhere else: the module writes the
 * command line from this table (mod_phpbpf/cmdline.c), the helper reads it
 * with the same table (helper/args.c), and the defaults and bounds both
 * sides apply are below it.
 *
 *   X(field, "flag", kind)
 *     STR   a string
 *     NUM   a whole number, written in decimal
 *     ADDR  an address, written as 0x... hex
 *     ON    no value: present or not
 *     LIST  a string, the flag repeated for each (at most PHPBPF_OPT_LIST_MAX)
 *
 * A setting that is 0 or NULL is left off the command line, and the helper
 * takes it as 0 or NULL (or its default, below).  The library comes first:
 * the identity of a running helper skips it (PHPBPF_ARG_LIBRARY); it is ""
 * when PHP runs only in php-fpm (no mod_php).
 *
 * Not on the command line, which every user can read: php-fpm's nonce
 * (bpf/phpbpf.h), in the helper's environment as PHPBPF_FPM_NONCE_ENV. */
#define PHPBPF_FPM_NONCE_ENV "PHPBPF_FPM_NONCE"
#ifndef PHPBPF_OPTIONS_H
#define PHPBPF_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

#define PHPBPF_OPTIONS(X) \
    X(library,     "library",     STR)  /* the libphp to attach to */                     \
    X(socket,      "socket",      STR)  /* the socket's path (common/sockdir.h) */         \
    X(build,       "build",       STR)  /* the module's PHPBPF_BUILD_ID */                \
    X(uid,         "uid",         NUM)  /* User: who may connect */                       \
    X(gid,         "gid",         NUM)                                                    \
    X(httpd_pid,   "httpd-pid",   NUM)  /* the parent, whose children are traced */        \
    X(slot,        "slot",        ADDR) /* the slot's address in every child */            \
    X(vhosts,      "vhosts",      NUM)  /* vhost slots, (other) included */               \
    X(libphp_base, "libphp-base", ADDR) /* libphp's offset 0 in every child */            \
    X(cpu,         "cpu",         ON)   /* PhpBpfCpuTracing */                            \
    X(slow_us,     "slow-us",     NUM)  /* PhpBpfSlowThreshold; 0: no slow log */         \
    X(slow_size,   "slow-log",    NUM)  /* PhpBpfSlowLogSize */                           \
    X(trace_depth, "trace-depth", NUM)  /* PhpBpfSlowTraceDepth; 0: no backtraces */      \
    X(profile_hz,  "profile-hz",  NUM)  /* PhpBpfProfileHz; 0: no sampling */             \
    X(peer,        "peer",        LIST) /* PhpBpfPeer, as WHERE=CLASS */                  \
    X(compile,     "compile",     ON)   /* PhpBpfCompileTracing */                        \
    X(max_scripts, "max-scripts", NUM)  /* PhpBpfMaxScripts */                            \
    X(window_s,    "window-s",    NUM)  /* PhpBpfWindow, in seconds */                    \
    X(max_routes,  "max-routes",  NUM)  /* PhpBpfMaxRoutes; 0: no routes */               \
    X(route,       "route",       LIST) /* PhpBpfRoute patterns, in order */              \
    X(mysqlnd,     "mysqlnd",     STR)  /* PhpBpfQueries: the mysqlnd.so PHP loaded */      \
    X(libpq,       "libpq",       STR)  /* PhpBpfQueries: the libpq.so.5 PHP loaded */      \
    X(db_layer,    "db-layer",    LIST) /* PhpBpfDbLayer: more classes a caller is not */  \
    X(fpm,         "fpm",         LIST) /* php-fpm binaries of the pools httpd proxies to */ \
    X(debug,       "debug",       ON)   /* LogLevel debug: libbpf's own messages too */   \
    X(use_syslog,  "syslog",      ON)   /* ErrorLog syslog: no file to write to */        \
    X(delay_s,     "delay",       NUM)  /* a respawn's backoff (supervise.c) */           \
    X(mailbox,     "mailbox",     STR)  /* RD,WR: the maps' mailbox (helper/carry.h) */

/* argv[] index of the library's path: argv[0], then --library PATH. */
#define PHPBPF_ARG_LIBRARY 2

/* PhpBpfPeer lines: the helper's maps hold twice as many with the
 * defaults (PHPBPF_MAX_PEERS), and each is two arguments. */
#define PHPBPF_OPT_LIST_MAX 48

/* The defaults and bounds of the settings, which the directives
 * (mod_phpbpf/config.h) and the helper both apply. */
/* PhpBpfSlowThreshold: 1 s, near what APMs take for a slow trace, so that
 * an operator who just enabled the module sees slow requests.  What it
 * costs when nothing is slow: a compare per request on each side, and the
 * backtrace iterator every 250 ms, measured at 11 us of CPU a second
 * (README, Overhead). */
#define PHPBPF_DEFAULT_SLOW_US 1000000
/* As php-fpm's slowlog keeps a screenful. */
#define PHPBPF_DEFAULT_SLOW_SIZE 20
/* Each tracked script costs the helper a few hundred bytes. */
#define PHPBPF_DEFAULT_MAX_SCRIPTS 1024
#define PHPBPF_MAX_MAX_SCRIPTS 8192
/* Routes per vhost: enough for the pages of a WordPress or a shop (front
 * page, posts, search, feed, REST, admin-ajax, cart...) with room to
 * spare; each costs 2.3 KB of BPF map, once used, and 2 series of
 * ?metrics within PhpBpfMetricsRoutes. */
#define PHPBPF_DEFAULT_MAX_ROUTES 20
#define PHPBPF_MAX_MAX_ROUTES 200
/* Rows of the route table in all: PhpBpfMaxVhosts x (PhpBpfMaxRoutes + 1),
 * checked at configtest (1,024 x 21 by default).  It bounds the BPF map
 * (2.3 KB a row, as used), the helper's copy and a snapshot. */
#define PHPBPF_MAX_ROUTE_ROWS 36864
/* ?metrics' series budget: at most 40 per vhost by default (README,
 * Prometheus and Grafana): 14 of PHP time, 3 of Apache time, 4 of status,
 * 1 of profile samples, 3 of errors and exceptions, and 2 for each of 6
 * routes and (other): 39; and 3 of SQL for a vhost that runs any: 42. */
#define PHPBPF_DEFAULT_METRICS_ROUTES 6
/* 99 Hz, as perf and bpftrace profile by default: not a multiple of the
 * kernel's tick, so samples do not lock step with timers.  A sample walks a
 * stack (a few microseconds for a deep one) on every CPU: more than a
 * thousand a second buys nothing but cost. */
#define PHPBPF_DEFAULT_PROFILE_HZ 99
#define PHPBPF_MAX_PROFILE_HZ 999
/* php-fpm's request_slowlog_trace_depth. */
#define PHPBPF_DEFAULT_TRACE_DEPTH 20
/* The tables (the profile's stacks, call sites, exception classes,
 * scripts) hold the last half to whole of this: long enough for a
 * profile of a few thousand requests, short enough to show what changed
 * after a deploy within minutes. */
#define PHPBPF_DEFAULT_WINDOW_S 600
#define PHPBPF_MIN_WINDOW_S 2
#define PHPBPF_MAX_WINDOW_S 86400

enum phpbpf_opt_kind { PHPBPF_KIND_STR, PHPBPF_KIND_NUM, PHPBPF_KIND_ADDR, PHPBPF_KIND_ON,
                       PHPBPF_KIND_LIST };

struct phpbpf_opt_list {
    const char *v[PHPBPF_OPT_LIST_MAX];
    unsigned n;
};

#define PHPBPF_OPT_TYPE_STR const char *
#define PHPBPF_OPT_TYPE_NUM uint64_t
#define PHPBPF_OPT_TYPE_ADDR uint64_t
#define PHPBPF_OPT_TYPE_ON int
#define PHPBPF_OPT_TYPE_LIST struct phpbpf_opt_list

struct phpbpf_options {
#define PHPBPF_OPT_FIELD(f, flag, kind) PHPBPF_OPT_TYPE_##kind f;
    PHPBPF_OPTIONS(PHPBPF_OPT_FIELD)
#undef PHPBPF_OPT_FIELD
};

enum phpbpf_opt_id {
#define PHPBPF_OPT_ID(f, flag, kind) PHPBPF_OPT_##f,
    PHPBPF_OPTIONS(PHPBPF_OPT_ID)
#undef PHPBPF_OPT_ID
    PHPBPF_NOPTS
};

struct phpbpf_opt_desc {
    const char *flag;             /* without its "--" */
    enum phpbpf_opt_kind kind;
    size_t offset;                /* in struct phpbpf_options */
};

static const struct phpbpf_opt_desc phpbpf_opts[PHPBPF_NOPTS] = {
#define PHPBPF_OPT_DESC(f, flag, kind) \
    { flag, PHPBPF_KIND_##kind, offsetof(struct phpbpf_options, f) },
    PHPBPF_OPTIONS(PHPBPF_OPT_DESC)
#undef PHPBPF_OPT_DESC
};

/* The field of option i in o. */
static inline void *phpbpf_opt_at(const struct phpbpf_options *o, int i)
{
    return (char *)o + phpbpf_opts[i].offset;
}

#endif
