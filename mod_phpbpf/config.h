/* Directives: the server-wide configuration, its defaults and checks.
 * Every bad value fails `apachectl configtest` with the directive's name. */
#ifndef PHPBPF_CONFIG_H
#define PHPBPF_CONFIG_H

#include "httpd.h"
#include "http_config.h"
#include "../bpf/phpbpf.h"
#include "options.h"
#include "component.h"

#ifndef PHPBPF_DEFAULT_HELPER
#define PHPBPF_DEFAULT_HELPER "/usr/lib/apache2/phpbpf-helper"
#endif

/* Below the runtime dir, with ".<parent pid>" appended, so two httpd
 * instances sharing a runtime dir never talk to each other's helper: a
 * directory only root can write, the socket "sock" in it (sockdir.h). */
#define PHPBPF_DEFAULT_SOCKET "phpbpf"

/* 1024 vhosts cost about 4 MB of shared memory here and 4 MB of BPF map in
 * the kernel; both are sized once, when the server starts.
 * PHPBPF_MAX_VHOSTS (phpbpf.h), 4096: with every bucket of its three
 * histograms in use, a vhost takes about 15.5 KB of a snapshot; that keeps
 * the largest one under PHPBPF_MAX_REPLY. */
#define PHPBPF_DEFAULT_MAX_VHOSTS 1024

/* Every directive, once:
 *
 *   X(Name, KIND, field, default, min, max, "default as written", "help")
 *
 * KIND is how it is written and kept (phpbpf_server_conf's field):
 *   FLAG    On|Off                        int, 1 or 0
 *   NUM     a whole number, min to max    int
 *   FILE    an absolute path to a file    const char *, NULL: found
 *   EXEC    an executable, ServerRoot-relative   const char *
 *   SOCKET  a path below the runtime dir  const char *
 *   SLOW    Off or a time (500ms, 2s), up to max seconds   apr_interval_time_t
 *   WINDOW  whole seconds (10min, 600), min to max          int, seconds
 *   PEER    WHERE CLASS, up to max of them      apr_array_header_t * of "WHERE=CLASS"
 *   ROUTE   a route pattern, up to max of them  apr_array_header_t * of the patterns
 *   COMPONENT  PREFIX NAME, up to max of them   apr_array_header_t * of struct phpbpf_component_rule
 *   LAYER   a PHP class or namespace (Name\), up to max   apr_array_header_t * of the names
 *   FPM     a php-fpm pool (fpm.h), up to max   apr_array_header_t * of the pools as written
 * conf/phpbpf.conf lists each, commented out at "default as written", and
 * README's Directives describes each (t/04directives.t checks both).  What
 * the helper is told of them is common/options.h. */
#define PHPBPF_DIRECTIVES(X) \
    X(PhpBpf, FLAG, enabled, 1, 0, 0, "On", \
      "On to trace PHP requests with BPF (default), Off to do nothing") \
    X(PhpBpfLibrary, FILE, library, 0, 0, 0, "", \
      "libphp file to attach to (default: the one mod_php was loaded from)") \
    X(PhpBpfHelper, EXEC, helper, 0, 0, 0, PHPBPF_DEFAULT_HELPER, \
      "path of the phpbpf-helper program") \
    X(PhpBpfSocket, SOCKET, socket, 0, 0, 0, PHPBPF_DEFAULT_SOCKET, \
      "directory of the helper's socket, relative to the runtime dir; the parent's pid is " \
      "appended") \
    X(PhpBpfMaxVhosts, NUM, max_vhosts, PHPBPF_DEFAULT_MAX_VHOSTS, 2, PHPBPF_MAX_VHOSTS, "1024", \
      "vhosts tracked one by one (default 1024); more are counted as (other)") \
    X(PhpBpfCompileTracing, FLAG, compile, 0, 0, 0, "Off", \
      "On to trace compile time per script (probes on libphp's compile_file, which runs only " \
      "on an opcache miss); default Off") \
    X(PhpBpfMaxScripts, NUM, max_scripts, PHPBPF_DEFAULT_MAX_SCRIPTS, 1, PHPBPF_MAX_MAX_SCRIPTS, \
      "1024", "scripts whose compile time is tracked (default 1024, shared among vhosts)") \
    X(PhpBpfWindow, WINDOW, window_s, PHPBPF_DEFAULT_WINDOW_S, PHPBPF_MIN_WINDOW_S, \
      PHPBPF_MAX_WINDOW_S, "10min", \
      "the tables (profile, call sites, exception classes, scripts) show the last half to " \
      "whole of this, e.g. 10min (the default)") \
    X(PhpBpfCpuTracing, FLAG, cpu, 0, 0, 0, "Off", \
      "On to split PHP time into on-CPU and off-CPU with sched:sched_switch (a BPF program " \
      "on every context switch of the machine); default Off") \
    X(PhpBpfPeer, PEER, peers, 0, 0, PHPBPF_OPT_LIST_MAX, "", \
      "a peer and what it is, e.g. 10.0.0.5:3307 mysql or unix:/run/db.sock pgsql " \
      "(classes: mysql pgsql redis memcached http dns other-net)") \
    X(PhpBpfProfile, FLAG, profile, 1, 0, 0, "On", \
      "On to sample PHP stacks (where PHP spends its time, per vhost); Off not to") \
    X(PhpBpfProfileHz, NUM, profile_hz, PHPBPF_DEFAULT_PROFILE_HZ, 1, PHPBPF_MAX_PROFILE_HZ, "99", \
      "stack samples per second and CPU, 1 to 999 (default 99)") \
    X(PhpBpfSlowThreshold, SLOW, slow, PHPBPF_DEFAULT_SLOW_US, 0, 86400, "1s", \
      "PHP time from which a request goes to the slow log, e.g. 500ms; default 1s; Off for none") \
    X(PhpBpfSlowLogSize, NUM, slow_size, PHPBPF_DEFAULT_SLOW_SIZE, 1, PHPBPF_SLOW_MAX, "20", \
      "how many slow requests the slow log keeps (default 20)") \
    X(PhpBpfSlowTraceDepth, NUM, trace_depth, PHPBPF_DEFAULT_TRACE_DEPTH, 0, PHPBPF_STACK_MAX, \
      "20", "frames of a slow request's PHP backtrace, 0 to 64 (default 20; 0: none)") \
    X(PhpBpfMaxRoutes, NUM, max_routes, PHPBPF_DEFAULT_MAX_ROUTES, 0, PHPBPF_MAX_MAX_ROUTES, "20", \
      "routes each vhost's table holds (default 20); the rest are counted as (other); 0: no " \
      "routes") \
    X(PhpBpfRoute, ROUTE, routes, 0, 0, PHPBPF_ROUTE_PATTERNS, "", \
      "a route of your own, tried before the heuristic: /shop/{slug}/reviews ({name} is one " \
      "path segment), /api/v1/* (* any further ones); up to 16, first match wins") \
    X(PhpBpfMetricsRoutes, NUM, metrics_routes, PHPBPF_DEFAULT_METRICS_ROUTES, 0, \
      PHPBPF_MAX_MAX_ROUTES, "6", \
      "routes ?metrics labels one by one per vhost, the first it took (default 6); the rest " \
      "as route=\"(other)\"") \
    X(PhpBpfMetricsFineBuckets, FLAG, metrics_fine, 0, 0, 0, "Off", \
      "On for 36 buckets per latency histogram in ?metrics (128 us to 25 s); Off (default): " \
      "11 for PHP time, as client libraries, and Apache time as its sum and count") \
    X(PhpBpfComponent, COMPONENT, components, 0, 0, PHPBPF_COMPONENT_RULES_MAX, "", \
      "a component of your own for time by component, tried first: PREFIX (a part of a path; " \
      "a * directory stands for each) and NAME, e.g. /modules/contrib/*/ \"module *\"") \
    X(PhpBpfQueries, FLAG, queries, 1, 0, 0, "On", \
      "On (default) to count SQL statements by normalised text, with the PHP code that ran each " \
      "(probes in PHP's mysqlnd, which mysqli and PDO_MySQL use); Off not to") \
    X(PhpBpfDbLayer, LAYER, db_layer, 0, 0, PHPBPF_OPT_LIST_MAX, "", \
      "a class (or a namespace, ending in \\) that only passes statements on, so that the " \
      "caller shown is the code above it; wpdb, PDO, mysqli, Doctrine\\DBAL\\, " \
      "Illuminate\\Database\\ and Drupal\\Core\\Database\\ are already") \
    X(PhpBpfFpm, FPM, fpm, 0, 0, PHPBPF_FPM_POOLS_MAX, "", \
      "a php-fpm pool the configuration does not show (unix:/PATH or HOST:PORT); its requests " \
      "are counted as PHP's, and traced if a php-fpm master on this machine listens there") \
    X(PhpBpfRecordQueryString, FLAG, record_query, 0, 0, 0, "Off", \
      "On to keep query strings in the slow log; default Off (they often hold tokens and " \
      "personal data)")

#define PHPBPF_DIRECTIVE_TYPE_FLAG int
#define PHPBPF_DIRECTIVE_TYPE_NUM int
#define PHPBPF_DIRECTIVE_TYPE_FILE const char *
#define PHPBPF_DIRECTIVE_TYPE_EXEC const char *
#define PHPBPF_DIRECTIVE_TYPE_SOCKET const char *
#define PHPBPF_DIRECTIVE_TYPE_SLOW apr_interval_time_t
#define PHPBPF_DIRECTIVE_TYPE_WINDOW int
#define PHPBPF_DIRECTIVE_TYPE_PEER apr_array_header_t *
#define PHPBPF_DIRECTIVE_TYPE_ROUTE apr_array_header_t *
#define PHPBPF_DIRECTIVE_TYPE_COMPONENT apr_array_header_t *
#define PHPBPF_DIRECTIVE_TYPE_LAYER apr_array_header_t *
#define PHPBPF_DIRECTIVE_TYPE_FPM apr_array_header_t *

/* The server-wide configuration: a field per directive, at its default
 * until the directive is read. */
typedef struct {
#define PHPBPF_DIRECTIVE_FIELD(name, kind, field, dflt, min, max, shown, help) \
    PHPBPF_DIRECTIVE_TYPE_##kind field;
    PHPBPF_DIRECTIVES(PHPBPF_DIRECTIVE_FIELD)
#undef PHPBPF_DIRECTIVE_FIELD
    __u32 vhost_idx;              /* per server_rec, set in post_config */
    char vhost_hex[8];            /* the same in a php-fpm token's digits (fpm_token.h) */
} phpbpf_server_conf;

enum phpbpf_directive_kind { PHPBPF_DIRECTIVE_FLAG, PHPBPF_DIRECTIVE_NUM, PHPBPF_DIRECTIVE_FILE,
                             PHPBPF_DIRECTIVE_EXEC, PHPBPF_DIRECTIVE_SOCKET,
                             PHPBPF_DIRECTIVE_SLOW, PHPBPF_DIRECTIVE_WINDOW,
                             PHPBPF_DIRECTIVE_PEER, PHPBPF_DIRECTIVE_ROUTE,
                             PHPBPF_DIRECTIVE_COMPONENT, PHPBPF_DIRECTIVE_LAYER,
                             PHPBPF_DIRECTIVE_FPM };

enum phpbpf_directive_id {
#define PHPBPF_DIRECTIVE_ID(name, kind, field, dflt, min, max, shown, help) PHPBPF_D_##name,
    PHPBPF_DIRECTIVES(PHPBPF_DIRECTIVE_ID)
#undef PHPBPF_DIRECTIVE_ID
    PHPBPF_NDIRECTIVES
};

/* One directive, as its setter finds it in cmd->info. */
typedef struct {
    const char *name;
    enum phpbpf_directive_kind kind;
    apr_size_t offset;            /* in phpbpf_server_conf */
    long dflt, min, max;
    const char *shown;            /* the default as conf/phpbpf.conf writes it */
} phpbpf_directive;

extern const phpbpf_directive phpbpf_directives[PHPBPF_NDIRECTIVES];

extern module AP_MODULE_DECLARE_DATA phpbpf_module;

extern const command_rec phpbpf_cmds[];

void *phpbpf_create_server_conf(apr_pool_t *p, server_rec *s);
void *phpbpf_merge_server_conf(apr_pool_t *p, void *basev, void *addv);

static inline phpbpf_server_conf *phpbpf_sconf(const server_rec *s)
{
    return ap_get_module_config(s->module_config, &phpbpf_module);
}

/* Settings checked together, at configtest too. */
int phpbpf_check_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp, server_rec *s);

/* Takes out a USE_ZEND_DTRACE an older build set, before mod_php starts the engine. */
int phpbpf_env_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp, server_rec *s);

#endif
