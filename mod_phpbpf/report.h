/* The report: everything one page of /server-bpf shows, in one plain
 * structure, built once per page from a private copy of the shared memory
 * and the helper's snapshot.  The page, ?auto, ?json and ?metrics are four
 * encodings of it (render.h): pure functions that never reach back into
 * the collection side, and can be tested on a report made by hand.
 *
 * Every number is already computed (quantiles, rates, shares), every row
 * validated, joined and ordered; strings are raw, as Apache or PHP gave
 * them: escaping is the renderer's job, for its own format. */
#ifndef PHPBPF_REPORT_H
#define PHPBPF_REPORT_H

#include <stdint.h>
#include "hist.h"
#include "../bpf/phpbpf.h"

/* A latency, summarised.  Quantiles are bucket middles (within 3.2%), and
 * 0 unless the report has `quantiles`; count, sum and max are exact, in
 * hist. */
struct phpbpf_report_lat {
    const struct phpbpf_sparse *hist;   /* totals and the buckets in use; never NULL */
    double mean, p50, p90, p99;
};

enum { PHPBPF_REPORT_STATUS = 5, PHPBPF_REPORT_METHODS = 4, PHPBPF_REPORT_LEVELS = 4 };

/* A frame as php-fpm's slowlog prints one: "Class::method", "usleep",
 * "{closure}", "{main}", "include" ...; internal functions have no file. */
struct phpbpf_report_frame {
    const char *function, *file;
    uint32_t line;                /* 0 for internal functions */
    int internal;
};

/* A function's share of a vhost's samples. */
struct phpbpf_report_func {
    struct phpbpf_report_frame f; /* line: where most of its samples were */
    uint64_t self;                /* samples with it innermost */
    uint64_t total;               /* samples with it anywhere on the stack */
};

/* One distinct stack by function names, root first: "{main};Outer::run;Hot::crunch". */
struct phpbpf_report_folded {
    /* nframes names, root first; interned: equal names are one pointer,
     * so that a renderer can tell frames apart by pointer */
    const char *const *frame;
    /* each frame's component (component.h), root first; NULL for an
     * internal function: the flame graph colours by it */
    const char *const *component;
    uint32_t nframes;
    uint64_t count;
};

struct phpbpf_report_profile {
    uint64_t samples;             /* all taken, including dropped */
    uint64_t dropped;             /* of stacks the helper had no room for */
    const struct phpbpf_report_func *by_self, *by_total;   /* most first */
    unsigned nfuncs;              /* in each list */
    const struct phpbpf_report_folded *folded;  /* sorted by their names */
    unsigned nfolded;
    /* Time by component (component.h): a sample's self goes to the
     * innermost frame's component (an internal function's, to the
     * nearest user frame's that called it), its total once to each
     * component in the stack.  Most self first. */
    const struct phpbpf_report_component *components;
    unsigned ncomponents;
};

struct phpbpf_report_component {
    const char *name;             /* "plugin akismet", "vendor/package", "(application)" */
    uint64_t self, total;
};

#define PHPBPF_REPORT_TOP_FUNCS 20
/* The helper's stack table (profile.h's PHPBPF_PROFILE_STACKS), as the page says it. */
#define PHPBPF_REPORT_STACKS 16384

/* Off-CPU time of one class of what requests waited on. */
struct phpbpf_report_wait {
    uint64_t total_us, count;
    double mean_us;               /* per PHP request */
    double share;                 /* of PHP time, 0..1 */
};

/* Waits charged to the innermost PHP function's frame: "wpdb::query
 * class-wpdb.php:2056 -- mysql, 120 waits, 35 ms". */
struct phpbpf_report_site {
    struct phpbpf_report_frame f;
    const char *wait_class;
    uint64_t count, total_us;
    const char *component;        /* the frame's file's (component.h) */
};

/* A vhost's waits by the component of their call site (of the sites the
 * snapshot sends it, the most time first): "plugin woocommerce, mysql,
 * 310 waits, 1.2 s". */
struct phpbpf_report_component_wait {
    const char *component, *wait_class;
    uint64_t count, total_us;
};

/* A route of a vhost (bpf/phpbpf_route.h): its requests since the
 * PHP-side counters started.  Apache time runs from the request read to
 * PHP's end (the response's last write and the log are the vhost's, not a
 * route's); status is what PHP left for Apache to send. */
struct phpbpf_report_route {
    const char *route;            /* "/product/{id}", "/?s=", or "(other)" */
    int other;                    /* the requests of routes beyond the table */
    uint32_t ordinal;             /* the order the vhost took it in (?metrics) */
    uint64_t requests;
    double per_s;
    struct phpbpf_report_lat apache, php;   /* quantiles within 1/8 (4 buckets in one) */
    double share;                 /* of the vhost's PHP time, 0..1 */
    uint64_t status[5];           /* 1xx .. 5xx */
    uint64_t exceptions;
    uint64_t errors;              /* PHP errors logged (Apache's error log lines) */
    uint64_t on_us, off_us;       /* with CPU tracing */
    const uint64_t *wait_us;      /* by wait class, with CPU tracing; else NULL */
};

/* An SQL statement of a vhost, normalised (no literal ever): its runs in
 * the last one to two periods of the window. */
struct phpbpf_report_stmt {
    const char *text;             /* "SELECT * FROM wp_posts WHERE ID = ?" */
    int truncated;                /* the first part of a longer one */
    const char *system;           /* "mysql" */
    const char *server;           /* "unix:///run/mysqld/mysqld.sock", "tcp://127.0.0.1:3306", or "" */
    uint64_t count, errors;
    struct phpbpf_report_lat time;          /* per run, us */
    uint64_t total_us;
    double share;                 /* of the vhost's PHP time in the same window, 0..1 (an estimate) */
    int caller_known;
    struct phpbpf_report_frame caller;      /* the first frame outside the database layer */
    uint64_t slowest_us;
    const struct phpbpf_report_frame *frame;    /* the slowest run's stack, innermost first */
    unsigned nframes;
};

/* mysql pgsql redis memcached http dns other-net file sleep lock runqueue other */
#define PHPBPF_REPORT_WAIT_CLASSES 12
#define PHPBPF_REPORT_RUNQUEUE 10     /* its index: preempted, not a wait for anything */
extern const char *const phpbpf_wait_names[PHPBPF_REPORT_WAIT_CLASSES];

struct phpbpf_report_vhost {
    const char *name;             /* ServerName:port, from the configuration */
    uint64_t requests;            /* PHP requests Apache logged */
    double per_s;                 /* requests per second since the counters started */
    struct phpbpf_report_lat apache;  /* request read -> logged, as %D */
    struct phpbpf_report_lat php;     /* request__startup -> request__shutdown */
    struct phpbpf_report_lat compile; /* per compile */
    struct phpbpf_report_lat on_cpu, off_cpu;   /* per request */
    uint64_t status[PHPBPF_REPORT_STATUS];      /* 1xx .. 5xx */
    uint64_t method[PHPBPF_REPORT_METHODS];     /* GET HEAD POST other */
    uint64_t errors[PHPBPF_REPORT_LEVELS];      /* error warning notice other */
    uint64_t errors_total;
    uint64_t uncaught;            /* uncaught exception and a 5xx */
    /* How its PHP ran: "mod_php", "php-fpm unix:/run/php/php8.2-fpm.sock",
     * both joined by ", " if both; "" before its first PHP request. */
    const char *php_runs;
    /* What the BPF programs counted of it (PHPBPF_VSTATS): compiles,
     * exceptions thrown, stack samples, requests seen to start or end only
     * (a helper's gap), call sites' waits the table did not keep. */
    struct phpbpf_vstats bpf;
    /* what the helper's tables did not keep of it (taken out for others,
     * or full) */
    uint64_t classes_lost, scripts_lost;
    double compiles_per_request;
    double compile_share;         /* of PHP time, 0..1 */
    double on_share;              /* on-CPU share of the time traced, 0..1 */
    const struct phpbpf_report_profile *profile;    /* NULL: no samples */
    const struct phpbpf_report_wait *wait;  /* per class, or NULL without CPU tracing */
    const struct phpbpf_report_site *sites; /* most time first */
    unsigned nsites;
    const struct phpbpf_report_component_wait *component_waits;   /* most time first */
    unsigned ncomponent_waits;
    const struct phpbpf_report_route *routes;   /* most PHP time first, (other) last */
    unsigned nroutes;
    const struct phpbpf_report_stmt *stmts;     /* most time first */
    unsigned nstmts;
    uint64_t stmts_lost;          /* runs of statements the table had no room for */
    /* Its SQL statements of every system (bpf's my_ and pg_ counters),
     * exact since php_since. */
    uint64_t queries, queries_us, query_errors;
};

extern const char *const phpbpf_status_names[PHPBPF_REPORT_STATUS];
extern const char *const phpbpf_method_names[PHPBPF_REPORT_METHODS];
extern const char *const phpbpf_level_names[PHPBPF_REPORT_LEVELS];

/* One row of "Last PHP requests": the query string was never stored.
 * The URL is the client's (its request line), as mod_status shows it; a
 * front controller's script (FallbackResource, DirectoryIndex, a rewrite)
 * is beside it. */
struct phpbpf_report_request {
    uint64_t time_us, apache_us;
    const char *vhost, *host, *method;
    const char *uri;              /* the path the client asked for */
    uint32_t status;
    const char *script;           /* the script's URI where it is not that path, or NULL */
};

/* A statement a slow request ran, with its runs in the request; n_plus_one
 * when it ran PHPBPF_N_PLUS_ONE times or more from one caller. */
struct phpbpf_report_req_stmt {
    const char *text;
    int truncated;
    uint64_t count, total_us;
    int caller_known;
    struct phpbpf_report_frame caller;
    int n_plus_one;
};

/* A slow request: the helper's event joined with Apache's record of it. */
struct phpbpf_report_slow {
    const char *vhost, *method, *uri, *script;
    const char *route;            /* its route, NULL without routes */
    int apache_known;             /* Apache's record was found; else the next four are unknown */
    uint64_t time_us, apache_us;
    uint32_t status, errors;
    uint64_t php_us, compile_us;
    uint64_t on_us, off_us;       /* meaningful only with cpu_traced */
    uint64_t wait_us[PHPBPF_REPORT_WAIT_CLASSES];  /* off_us by class, likewise */
    uint32_t waits[PHPBPF_REPORT_WAIT_CLASSES];
    uint32_t exceptions;
    int backtrace;                /* taken: the four below are set */
    uint64_t backtrace_at_us;     /* into the request, when it was taken */
    int backtrace_truncated;      /* deeper than PhpBpfSlowTraceDepth */
    const struct phpbpf_report_frame *frame;    /* innermost first */
    unsigned nframes;
    /* Its SQL statements (PhpBpfQueries): queries_known when followed;
     * then all of them (count, time), and the distinct ones in the order
     * they first ran, at most PHPBPF_SLOW_STMTS. */
    int queries_known;
    uint64_t queries, queries_us;
    const struct phpbpf_report_req_stmt *stmts;
    unsigned nstmts;
};

struct phpbpf_report_error {
    const char *level, *msg, *file;
    uint32_t line;
    uint64_t count;
};

struct phpbpf_report_count {
    const char *name;
    uint64_t count;
};

struct phpbpf_report_script {
    uint32_t vidx;                /* the vhost's index */
    const char *vhost;            /* and name */
    const char *path;
    struct phpbpf_report_lat compile;
};

/* An exception class thrown in a vhost's requests. */
struct phpbpf_report_class {
    uint32_t vidx;
    const char *vhost;
    const char *name;
    uint64_t count;
};

struct phpbpf_report_probe {
    const char *name;
    const char *kind;             /* usdt, uprobe, uretprobe, tracepoint, perf_event, iterator */
    int attached;
};

struct phpbpf_report {
    /* The page itself: filled in by whoever serves it. */
    const char *server_name, *server_version;
    uint64_t now_us;
    int refresh;                  /* seconds, 0 = none */

    int quantiles;                /* p50/p90/p99 are filled in */

    /* Tracing. */
    const char *reason;           /* why tracing is not active, or NULL */
    int helper_unreachable;       /* the helper should be there and did not answer */
    const char *library;
    /* The php-fpm pools this server proxies to, and what was found behind
     * each (the master and binary traced, or why none is). */
    unsigned nfpm;
    const char *fpm_pool[PHPBPF_FPM_POOLS_MAX], *fpm_state[PHPBPF_FPM_POOLS_MAX];
    uint32_t helper_restarts;
    int helper;                   /* the helper answered: the fields down to counters are its */
    uint64_t helper_started_us, uptime_s;
    /* PHP-side counters count since this (the first helper whose maps
     * this one took over); what a helper's gap kept from them: */
    uint64_t php_since_us;
    uint64_t requests_lost;       /* unfinished + missed + orphans */
    uint32_t helper_pid, generation;
    double hits_per_request;      /* probe hits in this server's processes per PHP request */
    const struct phpbpf_report_probe *probes;   /* every probe there is, attached or not */
    unsigned nprobes;
    const struct phpbpf_report_count *counters; /* the BPF side's event counters */
    unsigned ncounters;

    /* Modes. */
    int compile_tracing;          /* PhpBpfCompileTracing On */
    int cpu_configured;
    int cpu_traced;               /* configured and sched_switch really attached */
    int compile_traced;           /* configured and compile_file's probes really attached */
    uint64_t slow_threshold_us;   /* 0: no slow log */
    uint32_t slow_size;
    int record_query;

    /* PHP stacks. */
    int stacks_state;             /* 0 off, 1 active, 2 unavailable (below) */
    const char *stacks_reason;
    const char *untraced;         /* configured, but not on this libphp: why; NULL */
    uint32_t profile_hz;          /* 0: not sampling */
    uint64_t samples, samples_lost, samples_unreadable, samples_dropped;
    uint64_t backtraces, backtraces_lost;

    /* Apache's side. */
    uint64_t since_us;            /* when the Apache counters started */
    double elapsed_s;             /* since then, at least 1 ms */
    uint32_t vhosts_configured, vhosts_untracked;
    const struct phpbpf_report_vhost *vhost;    /* table order; 0 is (other) */
    uint32_t nvhosts;
    const uint32_t *shown;        /* vhosts with traffic, by name, (other) last */
    uint32_t nshown;
    const uint32_t *exported;     /* for ?metrics: every configured vhost, (other) once used */
    uint32_t nexported;

    const struct phpbpf_report_request *recent; /* newest first */
    unsigned nrecent;
    const struct phpbpf_report_slow *slow;      /* newest first */
    unsigned nslow;
    uint64_t slow_lost;           /* slow events the ring buffer had no room for */

    const struct phpbpf_report_error *errors;   /* most frequent first */
    unsigned nerrors;
    uint64_t errors_other;        /* distinct errors beyond the table */
    unsigned errors_max, message_max;

    /* The tables (profile, call sites, classes, scripts) describe the last
     * one to two periods of window_s / 2, since window_since_us. */
    uint32_t window_s;
    uint64_t window_since_us;
    const struct phpbpf_report_class *classes;  /* (vhost, class), most thrown first */
    unsigned nclasses;
    uint64_t classes_other;       /* what the table did not keep, all vhosts */
    unsigned classes_max;
    uint64_t sites_lost;        /* waits the call-site table had no room for */
    unsigned sites_max;

    uint32_t max_routes;          /* PhpBpfMaxRoutes: rows per vhost; 0: no routes */
    /* ?metrics: the routes labelled one by one per vhost, the first
     * PhpBpfMetricsRoutes it took (the rest as "(other)"), and whether
     * latency histograms have every exported bucket (PhpBpfMetricsFineBuckets). */
    uint32_t metrics_routes;
    int metrics_fine;
    uint64_t routes_lost;         /* requests not counted in any route (not even (other)) */

    /* SQL statements (PhpBpfQueries). */
    int queries_configured;
    int queries_state;            /* 0 off, 1 active, 2 unavailable (below) */
    const char *queries_reason;

    const struct phpbpf_report_script *scripts; /* most compile time first */
    unsigned nscripts;
    uint32_t scripts_tracked;
    uint64_t scripts_evicted, compiles_outside;

    uint64_t orphans, vhost_overflow, inflight_errors;
};

#endif
