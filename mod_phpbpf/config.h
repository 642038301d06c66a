/* Directives: the server-wide configuration, its defaults and checks.
 * Every bad value fails `apachectl configtest` with the directive's name. */
#ifndef PHPBPF_CONFIG_H
#define PHPBPF_CONFIG_H

#include "httpd.h"
#include "http_config.h"
#include "../bpf/phpbpf.h"

#ifndef PHPBPF_DEFAULT_HELPER
#define PHPBPF_DEFAULT_HELPER "/usr/lib/apache2/phpbpf-helper"
#endif

/* Below the runtime dir, with ".<parent pid>" appended, so two httpd
 * instances sharing a runtime dir never talk to each other's helper: a
 * directory only root can write, the socket "sock" in it (sockdir.h). */
#define PHPBPF_DEFAULT_SOCKET "phpbpf"

/* 1024 vhosts cost about 4 MB of shared memory here and 4 MB of BPF map in
 * the kernel; both are sized once, when the server starts. */
#define PHPBPF_DEFAULT_MAX_VHOSTS 1024
/* PHPBPF_MAX_VHOSTS (phpbpf.h), 4096: with every bucket of its three
 * histograms in use, a vhost takes about 15.5 KB of a snapshot; that keeps
 * the largest one under PHPBPF_MAX_REPLY. */

/* As php-fpm's slowlog keeps a screenful. */
#define PHPBPF_DEFAULT_SLOW_SIZE 20
#define PHPBPF_DEFAULT_MAX_SCRIPTS 1024

/* 99 Hz, as perf and bpftrace profile by default: not a multiple of the
 * kernel's tick, so samples do not lock step with timers.  Up to 999. */
#define PHPBPF_DEFAULT_PROFILE_HZ 99
#define PHPBPF_MAX_PROFILE_HZ 999
/* php-fpm's request_slowlog_trace_depth. */
#define PHPBPF_DEFAULT_TRACE_DEPTH 20
/* See README, "Overhead": what sampling costs on the bench's page. */
#define PHPBPF_DEFAULT_PROFILE 1

/* The tables (the profile's stacks, call sites, exception classes,
 * scripts) hold the last half to whole of this: long enough for a
 * profile of a few thousand requests, short enough to show what changed
 * after a deploy within minutes. */
#define PHPBPF_DEFAULT_WINDOW_S 600

/* PhpBpfPeer lines: the helper's maps hold twice as many with the
 * defaults, and each is two arguments on its command line. */
#define PHPBPF_MAX_PEER_LINES 48

typedef struct {
    int enabled;                  /* -1 unset */
    const char *library;
    const char *helper;
    const char *socket;
    int max_vhosts;
    int compile;                  /* PhpBpfCompileTracing */
    int cpu;                      /* PhpBpfCpuTracing, -1 unset (Off) */
    apr_interval_time_t slow;     /* PhpBpfSlowThreshold, 0 = Off */
    apr_interval_time_t window;   /* PhpBpfWindow, 0 unset */
    int slow_size;
    int record_query;
    int max_scripts;
    int profile;                  /* PhpBpfProfile, -1 unset */
    int profile_hz;               /* PhpBpfProfileHz, 0 unset */
    int trace_depth;              /* PhpBpfSlowTraceDepth, -1 unset */
    apr_array_header_t *peers;    /* PhpBpfPeer, as "WHERE=CLASS" (const char *) */
    __u32 vhost_idx;              /* per server_rec, set in post_config */
} phpbpf_server_conf;

extern module AP_MODULE_DECLARE_DATA phpbpf_module;

extern const command_rec phpbpf_cmds[];

void *phpbpf_create_server_conf(apr_pool_t *p, server_rec *s);
void *phpbpf_merge_server_conf(apr_pool_t *p, void *basev, void *addv);

static inline phpbpf_server_conf *phpbpf_sconf(const server_rec *s)
{
    return ap_get_module_config(s->module_config, &phpbpf_module);
}

/* Takes out a USE_ZEND_DTRACE an older build set, before mod_php starts the engine. */
int phpbpf_env_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp, server_rec *s);

#endif
