/* mod_phpbpf: per-vhost PHP latency from mod_php's own USDT probes.
 *
 *   LoadModule phpbpf_module modules/mod_phpbpf.so
 *   <Location /server-bpf>
 *       SetHandler server-bpf
 *       Require local
 *   </Location>
 *
 * The httpd parent starts a small privileged helper (phpbpf-helper) in
 * post_config, the way mod_cgid starts its daemon.  The helper attaches BPF
 * programs to php:request__startup/shutdown in the libphp that mod_php was
 * loaded from, and keeps PHP time per vhost in BPF maps.
 *
 * The module's part in the children is cheap and probe-free: after reading
 * a request it writes the vhost into a "slot" that the BPF programs read
 * from user memory, and at log time it adds Apache's own request time and
 * final status to a shared-memory table.  The server-bpf handler joins the
 * two: Apache's view from shared memory, PHP's view from the helper.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <dlfcn.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_main.h"
#include "http_protocol.h"
#include "http_request.h"
#include "ap_mpm.h"
#include "mpm_common.h"
#include "mod_status.h"
#include "unixd.h"
#include "apr_strings.h"
#include "apr_shm.h"
#include "apr_thread_proc.h"

#include "mod_phpbpf.h"
#include "helper_args.h"
#include "text.h"

/* APR's formatter has no %llu. */
#define U64 "%" APR_UINT64_T_FMT

APLOG_USE_MODULE(phpbpf);

#ifndef PHPBPF_DEFAULT_HELPER
#define PHPBPF_DEFAULT_HELPER "/usr/lib/apache2/phpbpf-helper"
#endif

/* Below the runtime dir, with ".<parent pid>" appended, so two httpd
 * instances sharing a runtime dir never talk to each other's helper. */
#define PHPBPF_DEFAULT_SOCKET "phpbpf.sock"

/* 1024 vhosts cost about 4 MB of shared memory here and 4 MB of BPF map in
 * the kernel; both are sized once, when the server starts. */
#define PHPBPF_DEFAULT_MAX_VHOSTS 1024
/* With every bucket of its three histograms in use, a vhost takes about
 * 15.5 KB of a snapshot; this keeps the largest one under PHPBPF_MAX_REPLY. */
#define PHPBPF_MAX_VHOSTS 4096

/* A helper that keeps dying is restarted with a delay that doubles up to a
 * minute, and resets after it has stayed up that long. */
#define PHPBPF_BACKOFF_MAX_S 60

/* How long the handler waits for the helper.  The helper answers from
 * memory in well under a millisecond; anything slower means it is stuck,
 * and the page must not hold an Apache child for long. */
#define PHPBPF_CONNECT_TRIES 3
#define PHPBPF_IO_TIMEOUT_MS 2000

typedef struct {
    int enabled;                  /* -1 unset */
    const char *library;
    const char *helper;
    const char *socket;
    int max_vhosts;
    int compile;                  /* PhpBpfCompileTracing */
    int cpu;                      /* PhpBpfCpuTracing, -1 unset (Off) */
    apr_interval_time_t slow;     /* PhpBpfSlowThreshold, 0 = Off */
    int slow_size;
    int record_query;
    int max_scripts;
    __u32 vhost_idx;              /* per server_rec, set in post_config */
} phpbpf_server_conf;

/* What every build of the module finds first in the state it leaves in
 * the process pool, whatever follows: a build loaded by a graceful restart
 * after an upgrade reads it to tell whether the state is its own, and to
 * retire it when it is not. */
typedef struct {
    apr_uint64_t magic;           /* PHPBPF_SHM_MAGIC of the build that made it */
    apr_uint64_t size;            /* sizeof its phpbpf_proc */
    apr_shm_t *shm;
    apr_pool_t *hpool;            /* the helper's pipes, or NULL */
} phpbpf_proc_head;

/* Lives in the process pool: outlives generations, so the helper, its
 * counters and the slot address survive graceful and plain restarts. */
typedef struct {
    phpbpf_proc_head head;        /* first, always */
    pid_t parent_pid;
    apr_pool_t *pool;             /* the process pool */
    apr_pool_t *gen_pool;         /* this generation's pconf */
    struct phpbpf_shared *sh;
    struct phpbpf_slot *slot;
    /* the running helper, if any (its pool is head.hpool) */
    apr_proc_t helper;
    int helper_running;
    int registered;               /* with the other-child API, in gen_pool */
    apr_file_t *to_helper, *from_helper;
    const char *helper_cmd;       /* full command line: if it changes, respawn */
    const char *socket_path;
    apr_time_t helper_spawned;
    int backoff_s;
    int stopping;
    /* what the next spawn uses, refreshed each generation */
    const char *const *argv;
    const char *helper_path;
} phpbpf_proc;

static phpbpf_proc *proc;

/* Set in post_config, before the children fork: 0 with PhpBpf Off.  A
 * static beside `proc`, so that with PhpBpf Off the request hooks touch no
 * page but the module's own: a prefork child finds every other page cold
 * (its own TLB, caches shared with the children that ran since). */
static int phpbpf_on;

static int module_enabled(void)
{
    return phpbpf_on && proc && proc->sh && proc->sh->helper_state != PHPBPF_HELPER_OFF;
}

/* ------------------------------------------------------------ directives */

static void *create_server_conf(apr_pool_t *p, server_rec *s)
{
    phpbpf_server_conf *c = apr_pcalloc(p, sizeof(*c));

    (void)s;
    c->enabled = -1;
    c->cpu = -1;
    c->max_vhosts = 0;
    return c;
}

/* Every vhost needs a config of its own to hold its index, even one with
 * no PhpBpf directive: hence the merge, and AP_MODULE_FLAG_ALWAYS_MERGE. */
static void *merge_server_conf(apr_pool_t *p, void *basev, void *addv)
{
    phpbpf_server_conf *c = apr_pmemdup(p, basev, sizeof(*c));

    (void)addv;                 /* all directives are GLOBAL_ONLY */
    c->vhost_idx = PHPBPF_VHOST_OTHER;
    return c;
}

static phpbpf_server_conf *sconf(server_rec *s)
{
    return ap_get_module_config(s->module_config, &phpbpf_module);
}

/* Every directive is server-wide: outside <VirtualHost> and <Directory>. */
static const char *set_flag(cmd_parms *cmd, void *dummy, int flag)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);

    (void)dummy;
    if (err)
        return err;
    *(int *)((char *)sconf(cmd->server) + (apr_size_t)cmd->info) = flag;
    return NULL;
}

/* A whole number within bounds, into the field cmd->info names. */
typedef struct {
    apr_size_t offset;
    long min, max;
} phpbpf_int_arg;

static const char *set_int(cmd_parms *cmd, void *dummy, const char *arg)
{
    const phpbpf_int_arg *a = cmd->info;
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    char *end;
    long n;

    (void)dummy;
    if (err)
        return err;
    n = strtol(arg, &end, 10);
    if (!*arg || *end || n < a->min || n > a->max)
        return apr_psprintf(cmd->pool, "%s: '%s' is not a number from %ld to %ld",
                            cmd->directive->directive, arg, a->min, a->max);
    *(int *)((char *)sconf(cmd->server) + a->offset) = (int)n;
    return NULL;
}

#define FLAG_FIELD(f) ((void *)APR_OFFSETOF(phpbpf_server_conf, f))

static const phpbpf_int_arg max_vhosts_arg = {
    APR_OFFSETOF(phpbpf_server_conf, max_vhosts), 2, PHPBPF_MAX_VHOSTS };
static const phpbpf_int_arg slow_size_arg = {
    APR_OFFSETOF(phpbpf_server_conf, slow_size), 1, PHPBPF_SLOW_MAX };
/* Each tracked script costs about 4 KB of kernel memory and a copy in the
 * helper. */
static const phpbpf_int_arg max_scripts_arg = {
    APR_OFFSETOF(phpbpf_server_conf, max_scripts), 1, 8192 };

static const char *set_library(cmd_parms *cmd, void *dummy, const char *arg)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    struct stat st;

    (void)dummy;
    if (err)
        return err;
    if (arg[0] != '/')
        return apr_psprintf(cmd->pool, "PhpBpfLibrary: '%s' is not an absolute path", arg);
    if (stat(arg, &st) != 0 || !S_ISREG(st.st_mode))
        return apr_psprintf(cmd->pool, "PhpBpfLibrary: '%s' is not a readable file", arg);
    sconf(cmd->server)->library = arg;
    return NULL;
}

static const char *set_helper(cmd_parms *cmd, void *dummy, const char *arg)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    const char *path = ap_server_root_relative(cmd->pool, arg);

    (void)dummy;
    if (err)
        return err;
    if (!path || access(path, X_OK) != 0)
        return apr_psprintf(cmd->pool, "PhpBpfHelper: '%s' is not an executable file", arg);
    sconf(cmd->server)->helper = path;
    return NULL;
}

static const char *set_socket(cmd_parms *cmd, void *dummy, const char *arg)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    struct sockaddr_un sa;

    (void)dummy;
    if (err)
        return err;
    /* 12 bytes for ".<pid>" and the NUL. */
    if (!*arg || strlen(ap_runtime_dir_relative(cmd->pool, arg)) + 12 > sizeof(sa.sun_path))
        return apr_psprintf(cmd->pool, "PhpBpfSocket: '%s' is empty or too long for a "
                            "Unix socket path (at most %d bytes with the runtime dir)",
                            arg, (int)sizeof(sa.sun_path) - 12);
    sconf(cmd->server)->socket = arg;
    return NULL;
}

/* USE_ZEND_DTRACE is read once per generation, by zend_startup(), which
 * mod_php runs in its own post_config (APR_HOOK_MIDDLE).  This hook runs
 * before it, in the parent, in every pass, with the whole configuration
 * known: it sets the variable only when compile tracing can really run
 * (it also switches off the opcache JIT), and takes it back out when it
 * was ours and is no longer wanted.  Children inherit it. */
#define PHPBPF_ENV_KEY "phpbpf_set_zend_dtrace"

static int phpbpf_env_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                                  server_rec *s)
{
    phpbpf_server_conf *c = sconf(s);
    void *ours = NULL;
    const char *now = getenv("USE_ZEND_DTRACE");
    int want = c->compile > 0 && c->enabled != 0 && geteuid() == 0;

    (void)pconf;
    (void)plog;
    (void)ptemp;
    apr_pool_userdata_get(&ours, PHPBPF_ENV_KEY, s->process->pool);
    if (want && !now) {
        setenv("USE_ZEND_DTRACE", "1", 1);
        apr_pool_userdata_set((void *)1, PHPBPF_ENV_KEY, apr_pool_cleanup_null, s->process->pool);
    }
    else if (want && strcmp(now, "1") != 0)
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "mod_phpbpf: USE_ZEND_DTRACE=%s is set "
                     "in httpd's environment; compile probes will not fire", now);
    else if (!want && ours) {
        unsetenv("USE_ZEND_DTRACE");
        apr_pool_userdata_set(NULL, PHPBPF_ENV_KEY, apr_pool_cleanup_null, s->process->pool);
    }
    return OK;
}

static const char *set_slow(cmd_parms *cmd, void *dummy, const char *arg)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    apr_interval_time_t t;

    (void)dummy;
    if (err)
        return err;
    if (strcasecmp(arg, "Off") == 0) {
        sconf(cmd->server)->slow = 0;
        return NULL;
    }
    /* ap_timeout_parameter_parse: "500ms", "2s", "1min"; a bare number is
     * seconds, as for Timeout. */
    if (ap_timeout_parameter_parse(arg, &t, "s") != APR_SUCCESS || t <= 0
        || t > apr_time_from_sec(86400))
        return apr_psprintf(cmd->pool, "PhpBpfSlowThreshold: '%s' is not Off or a time such "
                            "as 500ms or 2s (up to a day)", arg);
    sconf(cmd->server)->slow = t;
    return NULL;
}

static const command_rec phpbpf_cmds[] = {
    AP_INIT_FLAG("PhpBpf", set_flag, FLAG_FIELD(enabled), RSRC_CONF,
                 "On to trace PHP requests with BPF (default), Off to do nothing"),
    AP_INIT_TAKE1("PhpBpfLibrary", set_library, NULL, RSRC_CONF,
                  "libphp file to attach to (default: the one mod_php was loaded from)"),
    AP_INIT_TAKE1("PhpBpfHelper", set_helper, NULL, RSRC_CONF,
                  "path of the phpbpf-helper program"),
    AP_INIT_TAKE1("PhpBpfSocket", set_socket, NULL, RSRC_CONF,
                  "helper socket, relative to the runtime dir; the parent's pid is appended"),
    AP_INIT_TAKE1("PhpBpfMaxVhosts", set_int, (void *)&max_vhosts_arg, RSRC_CONF,
                  "vhosts tracked one by one (default 1024); more are counted as (other)"),
    AP_INIT_FLAG("PhpBpfCompileTracing", set_flag, FLAG_FIELD(compile), RSRC_CONF,
                 "On to start PHP with USE_ZEND_DTRACE=1 and trace compile time per "
                 "script (switches off the opcache JIT); default Off"),
    AP_INIT_FLAG("PhpBpfCpuTracing", set_flag, FLAG_FIELD(cpu), RSRC_CONF,
                 "On to split PHP time into on-CPU and off-CPU with sched:sched_switch "
                 "(a BPF program on every context switch of the machine); default Off"),
    AP_INIT_TAKE1("PhpBpfSlowThreshold", set_slow, NULL, RSRC_CONF,
                  "PHP time from which a request goes to the slow log, e.g. 500ms; default Off"),
    AP_INIT_TAKE1("PhpBpfSlowLogSize", set_int, (void *)&slow_size_arg, RSRC_CONF,
                  "how many slow requests the slow log keeps (default 20)"),
    AP_INIT_FLAG("PhpBpfRecordQueryString", set_flag, FLAG_FIELD(record_query), RSRC_CONF,
                 "On to keep query strings in the slow log; default Off (they often hold "
                 "tokens and personal data)"),
    AP_INIT_TAKE1("PhpBpfMaxScripts", set_int, (void *)&max_scripts_arg, RSRC_CONF,
                  "scripts whose compile time is tracked (default 1024, least recent evicted)"),
    { NULL }
};

/* ------------------------------------------------------- shared state */

static void set_state(enum phpbpf_helper_state st, const char *reason)
{
    proc->sh->helper_state = st;
    apr_cpystrn(proc->sh->reason, reason ? reason : "", sizeof(proc->sh->reason));
}

/* Where the running helper's pid is kept, in a form every build of the
 * module can read, so a new build can stop an old build's helper. */
#define PHPBPF_HELPER_PID_KEY "phpbpf_helper_pid"

static void remember_helper(pid_t pid)
{
    apr_pool_userdata_set((void *)(intptr_t)pid, PHPBPF_HELPER_PID_KEY, apr_pool_cleanup_null,
                          proc->pool);
}

/* SIGTERM, then SIGKILL if it has not gone in a second: a parent that
 * waited without a bound could hang on a stuck helper. */
static void stop_pid(pid_t pid)
{
    int i;

    if (pid <= 0 || kill(pid, SIGTERM) != 0)
        return;
    for (i = 0; i < 100; i++) {
        if (waitpid(pid, NULL, WNOHANG) != 0)
            return;
        apr_sleep(apr_time_from_msec(10));
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

static void stop_stale_helper(server_rec *s)
{
    void *v = NULL;
    pid_t pid;

    apr_pool_userdata_get(&v, PHPBPF_HELPER_PID_KEY, s->process->pool);
    pid = (pid_t)(intptr_t)v;
    if (pid > 0 && kill(pid, 0) == 0) {
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s, "mod_phpbpf: stopping helper pid %d "
                     "of another build of the module", (int)pid);
        stop_pid(pid);
    }
    apr_pool_userdata_set(NULL, PHPBPF_HELPER_PID_KEY, apr_pool_cleanup_null, s->process->pool);
}

/* One key for every build: what is stored under it says which build made
 * it, so reuse is decided by its magic and sizes, never by the key alone. */
#define PHPBPF_STATE_KEY "phpbpf_state"

static int state_is_ours(const phpbpf_proc *ps)
{
    const struct phpbpf_shared *sh = ps->head.shm ? apr_shm_baseaddr_get(ps->head.shm) : NULL;

    return ps->head.magic == PHPBPF_SHM_MAGIC && ps->head.size == sizeof(*ps) && sh
           && sh->magic == PHPBPF_SHM_MAGIC && apr_shm_size_get(ps->head.shm) >= sh->size
           && sh->size == PHPBPF_SHM_SIZE(sh->cap);
}

/* Another build's state: its helper is stopped by the caller; its pipes
 * are closed and its segment unmapped here.  Only the parent's mapping
 * goes: that build's children, still finishing their requests after a
 * graceful restart, keep theirs and write to it until they exit. */
static void retire_state(server_rec *s, phpbpf_proc_head *old)
{
    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s, "mod_phpbpf: the shared memory of the running "
                 "build has another layout (magic %" APR_UINT64_T_HEX_FMT ", this build %"
                 APR_UINT64_T_HEX_FMT "): an upgrade; counters start again from zero",
                 old->magic, (apr_uint64_t)PHPBPF_SHM_MAGIC);
    if (old->hpool)
        apr_pool_destroy(old->hpool);
    if (old->shm)
        apr_shm_destroy(old->shm);
    memset(old, 0, sizeof(*old));
}

static phpbpf_proc *proc_state(server_rec *s, int cap)
{
    apr_pool_t *pp = s->process->pool;
    phpbpf_proc *ps = NULL;
    apr_size_t size;
    apr_status_t rv;

    apr_pool_userdata_get((void **)&ps, PHPBPF_STATE_KEY, pp);
    if (ps && state_is_ours(ps))
        return ps;
    stop_stale_helper(s);
    if (ps)
        retire_state(s, &ps->head);
    ps = apr_pcalloc(pp, sizeof(*ps));
    ps->head.magic = PHPBPF_SHM_MAGIC;
    ps->head.size = sizeof(*ps);
    ps->pool = pp;
    ps->parent_pid = getpid();
    size = PHPBPF_SHM_SIZE(cap);
    rv = apr_shm_create(&ps->head.shm, size, NULL, pp);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                     "mod_phpbpf: cannot create %" APR_SIZE_T_FMT " bytes of shared memory", size);
        return NULL;
    }
    ps->sh = apr_shm_baseaddr_get(ps->head.shm);
    memset(ps->sh, 0, size);
    ps->sh->magic = PHPBPF_SHM_MAGIC;
    ps->sh->size = size;
    ps->sh->cap = (__u32)cap;
    ps->sh->nvhosts = 1;
    apr_cpystrn(ps->sh->vhost[PHPBPF_VHOST_OTHER].name, "(other)", PHPBPF_NAME_MAX);
    ps->sh->since_us = (__u64)apr_time_now();
    /* Allocated once from the process pool, so every child of every
     * generation has it at this same address: the helper learns it once. */
    ps->slot = apr_pcalloc(pp, sizeof(*ps->slot));
    apr_pool_userdata_set(ps, PHPBPF_STATE_KEY, apr_pool_cleanup_null, pp);
    return ps;
}

static const char *vhost_name(apr_pool_t *p, server_rec *s)
{
    apr_port_t port = s->port;

    if (!port && s->addrs)
        port = s->addrs->host_port;
    if (!port && ap_listeners)
        port = ap_listeners->bind_addr->port;
    return apr_psprintf(p, "%s:%u", s->server_hostname ? s->server_hostname : "(unnamed)",
                        (unsigned)port);
}

/* Indexes are append-only across generations: a vhost keeps its counters
 * through a graceful restart, and one that disappears keeps its history. */
static void map_vhosts(apr_pool_t *p, server_rec *main_s)
{
    struct phpbpf_shared *sh = proc->sh;
    server_rec *s;
    __u32 i, untracked = 0;

    for (s = main_s; s; s = s->next) {
        const char *name = vhost_name(p, s);

        for (i = 1; i < sh->nvhosts; i++)
            if (strncmp(sh->vhost[i].name, name, PHPBPF_NAME_MAX - 1) == 0)
                break;
        if (i == sh->nvhosts) {
            if (sh->nvhosts < sh->cap) {
                apr_cpystrn(sh->vhost[i].name, name, PHPBPF_NAME_MAX);
                sh->nvhosts++;
            }
            else {
                i = PHPBPF_VHOST_OTHER;
                untracked++;
            }
        }
        sconf(s)->vhost_idx = i;
    }
    sh->untracked_vhosts = untracked;
    if (untracked)
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, main_s,
                     "mod_phpbpf: %u vhosts beyond PhpBpfMaxVhosts %u are counted as (other)",
                     untracked, sh->cap);
}

/* The PHP library to trace.  `attach` is the path the helper opens, `shown`
 * what the page calls it, and `identity` the file's device and inode: the
 * uprobes live on the inode, so that is what must not change for a running
 * helper to be kept. */
typedef struct {
    const char *attach;
    const char *shown;
    const char *identity;
} phpbpf_lib;

/* The mapping of this process that holds addr, from /proc/self/maps:
 * its address range, device and inode. */
static int mapping_of(const void *addr, char *range, size_t rlen, unsigned *maj,
                      unsigned *min, unsigned long *ino)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[4096];
    int found = 0;

    if (!f)
        return 0;
    while (!found && fgets(line, sizeof(line), f)) {
        unsigned long lo, hi;

        if (sscanf(line, "%lx-%lx %*s %*s %x:%x %lu", &lo, &hi, maj, min, ino) == 5
            && (uintptr_t)addr >= lo && (uintptr_t)addr < hi) {
            snprintf(range, rlen, "%lx-%lx", lo, hi);
            found = 1;
        }
    }
    fclose(f);
    return found;
}

/* The libphp mod_php was really loaded from: ask the dynamic linker where
 * mod_php's module record lives, rather than trusting a path in a config.
 *
 * A package upgrade renames a new libphp over the old one, but httpd never
 * unloads libphp (it cannot be dlclose()d), so after a graceful or plain
 * restart the children still run the old, deleted file.  Attaching to the
 * path would then trace nothing: attach to the inode actually mapped, via
 * /proc/<pid>/map_files, and say so on the page. */
static int find_libphp(apr_pool_t *p, phpbpf_lib *lib)
{
    module *m;
    Dl_info info;
    char range[64];
    unsigned maj, min;
    unsigned long ino;
    struct stat st;

    for (m = ap_top_module; m; m = m->next) {
        /* mod_php.c in PHP 8, mod_php7.c and mod_php5.c before */
        if (strncmp(m->name, "mod_php", 7) != 0
            || strspn(m->name + 7, "0123456789") > 1
            || strcmp(m->name + 7 + strspn(m->name + 7, "0123456789"), ".c") != 0)
            continue;
        if (!dladdr(m, &info) || !info.dli_fname)
            continue;
        lib->shown = lib->attach = apr_pstrdup(p, info.dli_fname);
        if (!mapping_of(m, range, sizeof(range), &maj, &min, &ino)) {
            lib->identity = "";
            return 1;
        }
        lib->identity = apr_psprintf(p, "dev=%u:%u ino=%lu", maj, min, ino);
        if (stat(info.dli_fname, &st) != 0 || st.st_ino != ino
            || major(st.st_dev) != maj || minor(st.st_dev) != min) {
            lib->attach = apr_psprintf(p, "/proc/%ld/map_files/%s", (long)getpid(), range);
            lib->shown = apr_pstrcat(p, info.dli_fname, " (replaced on disk since httpd "
                                     "started: PHP runs the old file until a full stop and "
                                     "start)", NULL);
        }
        return 1;
    }
    return 0;
}

static void configured_lib(apr_pool_t *p, const char *path, phpbpf_lib *lib)
{
    struct stat st;

    lib->attach = lib->shown = path;
    lib->identity = stat(path, &st) == 0
        ? apr_psprintf(p, "dev=%u:%u ino=%lu", major(st.st_dev), minor(st.st_dev),
                       (unsigned long)st.st_ino)
        : "";
}

/* --------------------------------------------------- helper supervision */

static void helper_maint(int reason, void *data, apr_wait_t status);

static void helper_kill(void)
{
    if (!proc->helper_running)
        return;
    proc->helper_running = 0;
    if (proc->registered)
        apr_proc_other_child_unregister(proc);
    stop_pid(proc->helper.pid);
    if (proc->socket_path)
        unlink(proc->socket_path);
    apr_pool_destroy(proc->head.hpool);
    proc->head.hpool = NULL;
    remember_helper(0);
}

/* The helper's stdin: one line per Apache generation. */
static void tell_generation(void)
{
    char line[32];
    apr_size_t n = (apr_size_t)apr_snprintf(line, sizeof(line), "generation %u\n",
                                            proc->sh->generation);

    apr_file_write(proc->to_helper, line, &n);
}

static void helper_register(void)
{
    apr_proc_other_child_register(&proc->helper, helper_maint, proc, NULL, proc->gen_pool);
    proc->registered = 1;
}

static void helper_spawn(server_rec *s)
{
    apr_procattr_t *attr;
    apr_file_t *err;
    apr_status_t rv;
    /* A clean environment: the helper needs nothing from httpd's. */
    static const char *const env[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
    const char **argv;
    int n = 0;

    apr_pool_create(&proc->head.hpool, proc->pool);
    argv = apr_pcalloc(proc->head.hpool, (PHPBPF_MAX_ARGS + 2) * sizeof(char *));
    while (proc->argv[n]) {
        argv[n] = proc->argv[n];
        n++;
    }
    if (proc->backoff_s) {
        argv[n++] = "--delay";
        argv[n++] = apr_itoa(proc->head.hpool, proc->backoff_s);
    }
    argv[n] = NULL;

    /* With ErrorLog syslog there is no error log file; a pipe nobody
     * reads would block the helper once full, so give it /dev/null and
     * let it log to syslog itself (--syslog). */
    err = s->error_log;
    if (!err && (rv = apr_file_open(&err, "/dev/null", APR_FOPEN_WRITE, APR_OS_DEFAULT,
                                    proc->head.hpool)) != APR_SUCCESS)
        err = NULL;
    if ((rv = apr_procattr_create(&attr, proc->head.hpool)) != APR_SUCCESS
        || (rv = apr_procattr_io_set(attr, APR_FULL_BLOCK, APR_FULL_BLOCK, APR_NO_PIPE))
           != APR_SUCCESS
        || (err && (rv = apr_procattr_child_err_set(attr, err, NULL)) != APR_SUCCESS)
        || (rv = apr_procattr_cmdtype_set(attr, APR_PROGRAM)) != APR_SUCCESS
        || (rv = apr_procattr_error_check_set(attr, 1)) != APR_SUCCESS
        || (rv = apr_proc_create(&proc->helper, proc->helper_path, argv, env, attr,
                                 proc->head.hpool)) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s,
                     "mod_phpbpf: cannot start the helper %s; PHP tracing is unavailable",
                     proc->helper_path);
        set_state(PHPBPF_HELPER_FAILED,
                  apr_psprintf(proc->head.hpool, "cannot start the helper %s", proc->helper_path));
        apr_pool_destroy(proc->head.hpool);
        proc->head.hpool = NULL;
        return;
    }
    proc->to_helper = proc->helper.in;
    proc->from_helper = proc->helper.out;
    remember_helper(proc->helper.pid);
    proc->helper_running = 1;
    proc->helper_spawned = apr_time_now();
    proc->sh->helper_pid = (__u32)proc->helper.pid;
    proc->sh->helper_spawned_us = (__u64)proc->helper_spawned;
    set_state(PHPBPF_HELPER_STARTING, NULL);
    tell_generation();
    helper_register();
}

/* The one line a failed helper left on its stdout. */
static const char *helper_failure_reason(apr_pool_t *p)
{
    char buf[512];
    apr_size_t n = sizeof(buf) - 1;

    apr_file_pipe_timeout_set(proc->from_helper, 0);
    if (apr_file_read(proc->from_helper, buf, &n) != APR_SUCCESS || n == 0)
        return "the helper exited at startup without a reason";
    buf[n] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    return apr_pstrdup(p, buf);
}

/* PHPBPF_EXIT_STARTUP is above every signal number, so an exit code and a
 * signal that killed the helper are never confused. */
static void helper_maint(int reason, void *data, apr_wait_t status)
{
    server_rec *s = ap_server_conf;
    int mpm_state = 0;

    (void)data;
    switch (reason) {
    case APR_OC_REASON_DEATH:
    case APR_OC_REASON_LOST:
        if (!proc->helper_running)
            return;
        proc->helper_running = 0;
        remember_helper(0);
        if (proc->registered)
            apr_proc_other_child_unregister(proc);
        /* The MPM hands over the exit code; apr_proc_other_child_refresh()
         * (at restart) the raw wait status. */
        if (reason == APR_OC_REASON_DEATH
            && (status == PHPBPF_EXIT_STARTUP || status == PHPBPF_EXIT_STARTUP << 8)) {
            /* Retrying would fail the same way; the helper logged why. */
            set_state(PHPBPF_HELPER_FAILED, helper_failure_reason(proc->pool));
            apr_pool_destroy(proc->head.hpool);
            proc->head.hpool = NULL;
            return;
        }
        if (proc->socket_path)
            unlink(proc->socket_path);
        apr_pool_destroy(proc->head.hpool);
        proc->head.hpool = NULL;
        if (apr_time_now() - proc->helper_spawned > apr_time_from_sec(PHPBPF_BACKOFF_MAX_S))
            proc->backoff_s = 0;
        else
            proc->backoff_s = proc->backoff_s ? proc->backoff_s * 2 : 1;
        if (proc->backoff_s > PHPBPF_BACKOFF_MAX_S)
            proc->backoff_s = PHPBPF_BACKOFF_MAX_S;
        ap_mpm_query(AP_MPMQ_MPM_STATE, &mpm_state);
        if (proc->stopping || mpm_state == AP_MPMQ_STOPPING)
            return;
        proc->sh->restarts++;
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s,
                     "mod_phpbpf: helper pid %d died (exit code or signal %d); "
                     "PHP requests in flight are not counted; restarting it%s%s",
                     (int)proc->helper.pid, (int)status, proc->backoff_s ? " in " : "",
                     proc->backoff_s ? apr_psprintf(proc->pool, "%ds", proc->backoff_s) : "");
        helper_spawn(s);
        if (proc->helper_running)
            set_state(PHPBPF_HELPER_RESTARTING, "the helper died and is being restarted");
        break;
    case APR_OC_REASON_RESTART:
        /* The helper outlives generations on purpose: post_config tells
         * it about the new one, or replaces it if its command changed. */
        break;
    case APR_OC_REASON_UNREGISTER:
        /* The registration lives in pconf, not the process pool, because
         * this callback lives in our DSO, which httpd unloads between
         * generations.  So pconf going away is either a restart (the next
         * post_config registers again) or httpd exiting (stop the helper). */
        proc->registered = 0;
        if (proc->helper_running && getpid() == proc->parent_pid
            && ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_EXITING) {
            proc->stopping = 1;
            proc->helper_running = 0;
            stop_pid(proc->helper.pid);
            if (proc->socket_path)
                unlink(proc->socket_path);
        }
        break;
    }
}

static const char *const *helper_argv(apr_pool_t *p, server_rec *s, const char *helper,
                                      const char *library, const char *sock)
{
    phpbpf_server_conf *c = sconf(s);
    struct phpbpf_helper_settings hs = {
        .helper = helper, .library = library, .socket = sock, .build = PHPBPF_BUILD_ID,
        .uid = (long)ap_unixd_config.user_id, .gid = (long)ap_unixd_config.group_id,
        .httpd_pid = (long)proc->parent_pid, .slot = (apr_uint64_t)(uintptr_t)proc->slot,
        .vhosts = proc->sh->cap, .cpu = c->cpu > 0,
        .slow_us = c->slow > 0 ? (apr_int64_t)c->slow : 0,
        .slow_size = c->slow_size ? c->slow_size : 20,
        .compile = c->compile > 0, .max_scripts = c->max_scripts ? c->max_scripts : 1024,
        .debug = APLOG_IS_LEVEL(s, APLOG_DEBUG), .syslog = !s->error_log,
    };

    return phpbpf_helper_argv(p, &hs);
}

/* Everything that decides whether tracing can run, as one error line and
 * one banner reason; NULL when the helper should run. */
static const char *tracing_blocker(apr_pool_t *p, server_rec *s, phpbpf_lib *lib)
{
    phpbpf_server_conf *c = sconf(s);
    int threaded = 0;

    memset(lib, 0, sizeof(*lib));
    if (c->library)
        configured_lib(p, c->library, lib);
    else if (!find_libphp(p, lib))
        return "mod_php is not loaded (no php_module found); nothing to trace";
    ap_mpm_query(AP_MPMQ_IS_THREADED, &threaded);
    if (threaded != AP_MPMQ_NOT_SUPPORTED)
        return "a threaded MPM is in use; mod_php and mod_phpbpf need mpm_prefork";
    if (geteuid() != 0)
        return "httpd was not started as root, so the helper cannot load BPF programs";
    return NULL;
}

/* Into the process pool: a respawned helper may need these long after this
 * generation's pools are gone. */
static void store_argv(const char *const *argv)
{
    const char **copy = apr_pcalloc(proc->pool, PHPBPF_MAX_ARGS * sizeof(char *));
    int i;

    for (i = 0; argv[i]; i++)
        copy[i] = apr_pstrdup(proc->pool, argv[i]);
    proc->argv = copy;
    proc->helper_path = copy[0];
}

static int phpbpf_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                              server_rec *s)
{
    phpbpf_server_conf *c = sconf(s);
    const char *blocker, *cmd, *sock;
    phpbpf_lib lib;
    const char *const *argv;

    (void)plog;
    /* Like mod_cgid: the first pass only checks the config, and -t/-S/-M
     * never serve, so none of them may start a privileged helper. */
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG
        || ap_state_query(AP_SQ_RUN_MODE) != AP_SQ_RM_NORMAL)
        return OK;

    proc = proc_state(s, c->max_vhosts ? c->max_vhosts : PHPBPF_DEFAULT_MAX_VHOSTS);
    if (!proc)
        return HTTP_INTERNAL_SERVER_ERROR;
    if (c->max_vhosts && (__u32)c->max_vhosts != proc->sh->cap)
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                     "mod_phpbpf: PhpBpfMaxVhosts changes only on a full stop and start; "
                     "keeping %u", proc->sh->cap);
    proc->gen_pool = pconf;
    map_vhosts(pconf, s);
    proc->sh->generation = (__u32)ap_state_query(AP_SQ_CONFIG_GEN);
    proc->sh->compile_tracing = c->compile > 0;
    proc->sh->cpu_tracing = c->cpu > 0;
    proc->sh->slow_us = c->slow > 0 ? (__u64)c->slow : 0;
    proc->sh->slow_size = c->slow_size ? (__u32)c->slow_size : 20;
    proc->sh->record_query = c->record_query > 0;

    phpbpf_on = c->enabled != 0;
    if (!phpbpf_on) {
        helper_kill();
        set_state(PHPBPF_HELPER_OFF, "PhpBpf Off");
        return OK;
    }
    blocker = tracing_blocker(ptemp, s, &lib);
    apr_cpystrn(proc->sh->library, lib.shown ? lib.shown : "", sizeof(proc->sh->library));
    if (blocker) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, "mod_phpbpf: PHP tracing unavailable: %s",
                     blocker);
        helper_kill();
        set_state(PHPBPF_HELPER_FAILED, blocker);
        return OK;
    }
    /* Only prefork children may write the slot: the BPF side trusts it
     * only when it carries the magic. */
    proc->slot->magic = PHPBPF_SLOT_MAGIC;

    sock = apr_psprintf(ptemp, "%s.%ld",
                        ap_runtime_dir_relative(ptemp, c->socket ? c->socket : PHPBPF_DEFAULT_SOCKET),
                        (long)proc->parent_pid);
    argv = helper_argv(ptemp, s, c->helper ? c->helper : PHPBPF_DEFAULT_HELPER, lib.attach, sock);
    cmd = phpbpf_helper_identity(ptemp, lib.identity, argv);

    /* It may have died between generations, while nobody was registered
     * to hear of it. */
    if (proc->helper_running && kill(proc->helper.pid, 0) != 0)
        proc->helper_running = 0;
    if (proc->helper_running && proc->helper_cmd && strcmp(proc->helper_cmd, cmd) == 0) {
        tell_generation();
        helper_register();
        /* Same file, maybe by another path: a respawn must use this one. */
        if (strcmp(proc->argv[PHPBPF_ARG_LIBRARY], argv[PHPBPF_ARG_LIBRARY]) != 0)
            store_argv(argv);
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, s,
                     "mod_phpbpf: keeping helper pid %d and its counters", (int)proc->helper.pid);
        return OK;
    }
    if (proc->helper_running)
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s,
                     "mod_phpbpf: helper settings or %s changed; restarting the helper", lib.shown);
    helper_kill();
    store_argv(argv);
    proc->helper_cmd = apr_pstrdup(proc->pool, cmd);
    proc->socket_path = apr_pstrdup(proc->pool, sock);
    proc->backoff_s = 0;
    helper_spawn(s);
    return OK;
}

static void phpbpf_child_init(apr_pool_t *p, server_rec *s)
{
    (void)p;
    (void)s;
    /* Request numbers unique across children and time, not just within
     * this child: the slow log joins on (pid, seq), and pids are reused. */
    if (proc)
        proc->slot->seq = (__u64)apr_time_now() << 8;
    /* The helper's pipes are the parent's business only (under -X the
     * parent is the child, and keeps them). */
    if (proc && proc->helper_running && getpid() != proc->parent_pid) {
        apr_file_close(proc->to_helper);
        apr_file_close(proc->from_helper);
    }
}

/* ------------------------------------------------------ request hooks */

static __u32 method_class(int m)
{
    switch (m) {
    case M_GET: return PHPBPF_M_GET;
    case M_POST: return PHPBPF_M_POST;
    default: return PHPBPF_M_OTHER;
    }
}

static __u32 method_of(const request_rec *r)
{
    return r->header_only && r->method_number == M_GET ? PHPBPF_M_HEAD
                                                        : method_class(r->method_number);
}

/* A plain store into this child's copy of the slot: the BPF programs read
 * it when PHP starts, which costs no probe of our own. */
static int phpbpf_post_read_request(request_rec *r)
{
    struct phpbpf_slot *slot;

    if (!module_enabled() || r->main || r->prev)
        return DECLINED;
    slot = proc->slot;
    slot->vhost = sconf(r->server)->vhost_idx;
    slot->request_time_us = (__u64)r->request_time;
    slot->seq++;
    return DECLINED;
}

/* Set by phpbpf_error_log() on a request that died of an uncaught
 * exception; counted at log time if the request ended 5xx. */
#define PHPBPF_NOTE_UNCAUGHT "phpbpf-uncaught-exception"

/* A note on the request or on any internal redirect of it. */
static int chain_has_note(request_rec *r, const char *key)
{
    for (; r; r = r->next)
        if (apr_table_get(r->notes, key))
            return 1;
    return 0;
}

/* mod_php leaves this note on every request it ran. */
static int ran_php(request_rec *r)
{
    return chain_has_note(r, "mod_php_memory_usage");
}

static void add_max(__u64 *slot, __u64 v)
{
    __u64 old = __atomic_load_n(slot, __ATOMIC_RELAXED);

    while (v > old && !__atomic_compare_exchange_n(slot, &old, v, 1, __ATOMIC_RELAXED,
                                                   __ATOMIC_RELAXED))
        ;
}

static void note_recent(request_rec *r, request_rec *last, __u32 idx, __u64 us)
{
    struct phpbpf_shared *sh = proc->sh;
    __u64 n = __atomic_fetch_add(&sh->recent_head, 1, __ATOMIC_RELAXED);
    struct phpbpf_recent *e = &sh->recent[n % PHPBPF_RECENT];
    __u64 seq = __atomic_load_n(&e->seq, __ATOMIC_ACQUIRE);

    /* A seqlock with one writer at a time: take the entry by moving seq
     * from even to odd, or leave it to the child that got there first. */
    if ((seq & 1) || !__atomic_compare_exchange_n(&e->seq, &seq, seq + 1, 0,
                                                  __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
        return;
    e->time_us = (__u64)r->request_time;
    e->apache_us = us;
    e->vhost = idx;
    e->status = (__u32)last->status;
    apr_cpystrn(e->method, r->method ? r->method : "", sizeof(e->method));
    apr_cpystrn(e->host, r->hostname ? r->hostname : "", sizeof(e->host));
    /* r->uri has no query string: query strings often carry tokens and
     * personal data, so the page never stores them. */
    apr_cpystrn(e->uri, r->uri ? r->uri : "", sizeof(e->uri));
    if (r->args)
        apr_cpystrn(e->uri + strnlen(e->uri, sizeof(e->uri) - 18), "?[query removed]", 17);
    __atomic_store_n(&e->seq, seq + 2, __ATOMIC_RELEASE);
}

/* The errors PHP logged for this request (phpbpf_error_log counts them). */
#define PHPBPF_NOTE_ERRORS "phpbpf-errors"

static void note_slow(request_rec *r, request_rec *last, __u32 idx, __u64 us)
{
    struct phpbpf_shared *sh = proc->sh;
    __u64 n = __atomic_fetch_add(&sh->slow_head, 1, __ATOMIC_RELAXED);
    struct phpbpf_slow_rec *e = &sh->slow[n % PHPBPF_SLOW_APACHE];
    __u64 lock = __atomic_load_n(&e->lock, __ATOMIC_ACQUIRE);
    const char *errs = apr_table_get(r->notes, PHPBPF_NOTE_ERRORS);

    if ((lock & 1) || !__atomic_compare_exchange_n(&e->lock, &lock, lock + 1, 0,
                                                   __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
        return;
    e->req_seq = proc->slot->seq;
    e->pid = (__u32)getpid();
    e->time_us = (__u64)r->request_time;
    e->apache_us = us;
    e->status = (__u32)last->status;
    e->errors = errs ? (__u32)atoi(errs) : 0;
    e->vhost = idx;
    apr_cpystrn(e->method, r->method ? r->method : "", sizeof(e->method));
    apr_cpystrn(e->uri, r->uri ? r->uri : "", sizeof(e->uri));
    if (r->args) {
        size_t at = strnlen(e->uri, sizeof(e->uri) - 1);

        if (sh->record_query)
            apr_snprintf(e->uri + at, sizeof(e->uri) - at, "?%s", r->args);
        else
            apr_cpystrn(e->uri + strnlen(e->uri, sizeof(e->uri) - 18), "?[query removed]", 17);
    }
    __atomic_store_n(&e->lock, lock + 2, __ATOMIC_RELEASE);
}

static int phpbpf_log_transaction(request_rec *r)
{
    struct phpbpf_vhost_rec *v;
    request_rec *last = r;
    apr_time_t now;
    __u32 idx;
    __u64 us;
    int cls;

    if (!module_enabled() || !ran_php(r))
        return DECLINED;
    while (last->next)
        last = last->next;
    idx = sconf(r->server)->vhost_idx;
    if (idx >= proc->sh->nvhosts)
        idx = PHPBPF_VHOST_OTHER;
    v = &proc->sh->vhost[idx];
    /* Wall-clock time, as %D: if the clock stepped back, count 0 rather
     * than a sample of 584,000 years that would own max forever. */
    now = apr_time_now();
    us = now > r->request_time ? (__u64)(now - r->request_time) : 0;
    cls = last->status / 100;
    if (cls >= 1 && cls <= 5)
        __atomic_fetch_add(&v->status[cls - 1], 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&v->method[method_of(r)], 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&phpbpf_apache_buckets(proc->sh, idx)[phpbpf_hist_bucket(us)], 1,
                       __ATOMIC_RELAXED);
    __atomic_fetch_add(&v->apache.sum_us, us, __ATOMIC_RELAXED);
    add_max(&v->apache.max_us, us);
    __atomic_fetch_add(&v->apache.count, 1, __ATOMIC_RELAXED);
    if (last->status >= 500 && chain_has_note(r, PHPBPF_NOTE_UNCAUGHT))
        __atomic_fetch_add(&v->uncaught, 1, __ATOMIC_RELAXED);
    note_recent(r, last, idx, us);
    if (proc->sh->slow_us && us >= proc->sh->slow_us)
        note_slow(r, last, idx, us);
    return DECLINED;
}

static __u64 fnv1a(__u64 h, const char *p, size_t n)
{
    while (n--)
        h = (h ^ (unsigned char)*p++) * 0x100000001b3ULL;
    return h;
}

/* Finds or claims the table entry of one distinct error.  Lock-free: a
 * child claims a free entry by CAS on its hash, writes the text, then sets
 * ready; others with the same hash may count before that, and readers skip
 * entries that are not ready yet. */
static void count_error(const struct phpbpf_php_error *e)
{
    struct phpbpf_shared *sh = proc->sh;
    __u64 h = fnv1a(0xcbf29ce484222325ULL, e->msg, e->msg_len);
    unsigned i, k;

    h = fnv1a(h, e->file ? e->file : "", e->file_len);
    h = fnv1a(h, (const char *)&e->line, sizeof(e->line)) | 1;   /* never 0 */
    for (k = 0; k < PHPBPF_ERRORS; k++) {
        struct phpbpf_error_rec *rec = &sh->errors[(h + k) % PHPBPF_ERRORS];
        __u64 cur = __atomic_load_n(&rec->hash, __ATOMIC_ACQUIRE);

        if (cur == 0 && __atomic_compare_exchange_n(&rec->hash, &cur, h, 0, __ATOMIC_ACQ_REL,
                                                    __ATOMIC_ACQUIRE)) {
            i = e->msg_len < PHPBPF_MSG_MAX - 1 ? (unsigned)e->msg_len : PHPBPF_MSG_MAX - 1;
            memcpy(rec->msg, e->msg, i);
            rec->msg[i] = '\0';
            i = e->file_len < PHPBPF_ERRFILE_MAX - 1 ? (unsigned)e->file_len : PHPBPF_ERRFILE_MAX - 1;
            if (e->file)
                memcpy(rec->file, e->file, i);
            rec->file[e->file ? i : 0] = '\0';
            rec->line = e->line;
            rec->level = (__u32)e->level;
            __atomic_fetch_add(&rec->count, 1, __ATOMIC_RELAXED);
            __atomic_store_n(&rec->ready, 1, __ATOMIC_RELEASE);
            return;
        }
        if (cur == h) {
            __atomic_fetch_add(&rec->count, 1, __ATOMIC_RELAXED);
            return;
        }
    }
    __atomic_fetch_add(&sh->errors_other, 1, __ATOMIC_RELAXED);
}

/* PHP's errors reach us as mod_php's lines in the error log (log_errors
 * On, at or above LogLevel): count them per vhost and per message, and
 * mark requests that died of an uncaught exception. */
static void phpbpf_error_log(const ap_errorlog_info *info, const char *errstr)
{
    struct phpbpf_php_error e;
    __u32 idx;

    if (!info->r || !module_enabled() || phpbpf_parse_php_error(errstr, &e) != 0)
        return;
    idx = sconf(info->r->server)->vhost_idx;
    if (idx >= proc->sh->nvhosts)
        idx = PHPBPF_VHOST_OTHER;
    __atomic_fetch_add(&proc->sh->vhost[idx].errors[e.level], 1, __ATOMIC_RELAXED);
    count_error(&e);
    /* Notes go on the initial request, which log_transaction sees, also
     * when PHP ran in an internal redirect (front controllers). */
    {
        request_rec *top = (request_rec *)info->r;
        const char *n;

        while (top->main)
            top = top->main;
        while (top->prev)
            top = top->prev;
        n = apr_table_get(top->notes, PHPBPF_NOTE_ERRORS);
        apr_table_set(top->notes, PHPBPF_NOTE_ERRORS, apr_itoa(top->pool, n ? atoi(n) + 1 : 1));
        if (e.uncaught)
            apr_table_setn(top->notes, PHPBPF_NOTE_UNCAUGHT, "1");
    }
}

/* --------------------------------------------------------- the handler */

static int fd_wait(int fd, short ev)
{
    struct pollfd pfd = { fd, ev, 0 };

    return poll(&pfd, 1, PHPBPF_IO_TIMEOUT_MS) == 1 ? 0 : -1;
}

static int read_full(int fd, unsigned char *p, size_t n)
{
    while (n) {
        ssize_t r;

        if (fd_wait(fd, POLLIN) != 0)
            return -1;
        r = read(fd, p, n);
        if (r < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (r <= 0)
            return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

static int connect_helper(request_rec *r)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int i, fd;

    apr_cpystrn(sa.sun_path, proc->socket_path, sizeof(sa.sun_path));
    for (i = 0; i < PHPBPF_CONNECT_TRIES; i++) {
        /* Non-blocking: a blocking connect() to a helper whose backlog is
         * full waits forever, and would pin this child with it. */
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
            return -1;
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
            return fd;
        close(fd);
        if (errno != ECONNREFUSED && errno != ENOENT && errno != EAGAIN)
            break;
        apr_sleep(apr_time_from_msec(50));
    }
    ap_log_rerror(APLOG_MARK, APLOG_WARNING, errno, r,
                  "mod_phpbpf: cannot reach the helper at %s", proc->socket_path);
    return -1;
}

static void *pool_alloc(void *pool, size_t size)
{
    return apr_palloc(pool, size);
}

/* Sends the helper a snapshot request: the connection to read the answer
 * from, or -1 with *err set. */
static int ask_helper(request_rec *r, const char **err)
{
    struct phpbpf_request req = { PHPBPF_REQ_MAGIC, PHPBPF_PROTO_VERSION,
                                  PHPBPF_REQ_SNAPSHOT, (uint32_t)proc->parent_pid };
    int fd;

    if (!proc->socket_path || (fd = connect_helper(r)) < 0) {
        *err = proc->sh->helper_state == PHPBPF_HELPER_STARTING
                   ? "the helper is starting and not answering yet"
                   : "the helper is not running or not reachable; see the error log";
        return -1;
    }
    if (fd_wait(fd, POLLOUT) != 0
        || write(fd, &req, sizeof(req)) != (ssize_t)sizeof(req)
        || shutdown(fd, SHUT_WR) != 0) {
        close(fd);
        *err = "the helper did not answer";
        return -1;
    }
    return fd;
}

/* Reads and decodes the helper's answer on fd, and closes it; NULL on
 * success, else why not. */
static const char *helper_answer(request_rec *r, int fd, struct phpbpf_snapshot *snap)
{
    unsigned char hdr[PHPBPF_RSP_HDR_LEN], *payload;
    uint32_t status, len;
    const char *err = NULL;

    if (read_full(fd, hdr, sizeof(hdr)) != 0
        || phpbpf_reply_header(hdr, sizeof(hdr), &status, &len) != 0) {
        close(fd);
        return "the helper did not answer";
    }
    payload = apr_palloc(r->pool, len + 1);
    if (read_full(fd, payload, len) != 0) {
        close(fd);
        return "the helper's answer was cut short";
    }
    close(fd);
    if (status != 0) {
        char msg[PHPBPF_STR_MAX];

        if (phpbpf_error_decode(payload, len, msg, sizeof(msg)) != 0)
            return "the helper refused the request";
        return apr_pstrcat(r->pool, "the helper refused the request: ", msg, NULL);
    }
    if (phpbpf_snapshot_decode(payload, len, snap, proc->sh->nvhosts, pool_alloc, r->pool,
                               &err) != 0) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "mod_phpbpf: bad snapshot from helper: %s", err);
        return apr_pstrcat(r->pool, "bad snapshot from the helper: ", err, NULL);
    }
    return NULL;
}

/* mod_status-style options: a small table, and refresh takes digits only
 * (mod_status's refresh XSS is why). */
static int parse_args(request_rec *r, enum phpbpf_format *fmt, int *refresh, const char **err)
{
    char *args, *tok, *last;

    *fmt = PHPBPF_FMT_HTML;
    *refresh = 0;
    if (!r->args)
        return 0;
    args = apr_pstrdup(r->pool, r->args);
    for (tok = apr_strtok(args, "&;", &last); tok; tok = apr_strtok(NULL, "&;", &last)) {
        /* "metrics=" too: Prometheus' params: {metrics: [""]} sends that. */
        size_t n = strcspn(tok, "=");

        if (n == 4 && strncmp(tok, "auto", 4) == 0)
            *fmt = PHPBPF_FMT_AUTO;
        else if (n == 4 && strncmp(tok, "json", 4) == 0)
            *fmt = PHPBPF_FMT_JSON;
        else if (n == 7 && strncmp(tok, "metrics", 7) == 0)
            *fmt = PHPBPF_FMT_METRICS;
        else if (strncmp(tok, "refresh=", 8) == 0) {
            const char *d = tok + 8;
            long n;

            if (!*d || strspn(d, "0123456789") != strlen(d) || strlen(d) > 5
                || (n = atol(d)) < 1 || n > 86400) {
                *err = "refresh must be a number of seconds from 1 to 86400";
                return -1;
            }
            *refresh = (int)n;
        }
        /* Unknown options are ignored, as mod_status does, so cache
         * busters and old bookmarks keep working. */
    }
    return 0;
}

static void copy_view(request_rec *r, struct phpbpf_view *v)
{
    apr_size_t n = proc->sh->nvhosts;
    apr_size_t size = sizeof(struct phpbpf_shared) + n * sizeof(struct phpbpf_vhost_rec);
    int i;

    v->sh = apr_palloc(r->pool, size);
    memcpy(v->sh, proc->sh, size);
    v->sh->nvhosts = (__u32)n;
    /* Drop ring entries caught mid-write, or rewritten while copied. */
    for (i = 0; i < PHPBPF_RECENT; i++)
        if (v->sh->recent[i].seq & 1 || v->sh->recent[i].seq != proc->sh->recent[i].seq)
            v->sh->recent[i].time_us = 0;
    for (i = 0; i < PHPBPF_SLOW_APACHE; i++)
        if (v->sh->slow[i].lock != proc->sh->slow[i].lock)
            v->sh->slow[i].lock = 1;        /* odd: skipped by the join */
    v->bpf = apr_pcalloc(r->pool, n * sizeof(*v->bpf));
    /* Apache time in the snapshot's sparse form, so both sides render
     * alike: the buckets straight from the live segment, read once each.
     * The totals were copied first and log_transaction adds to a bucket
     * before the totals, so the buckets never hold fewer requests; a vhost
     * with none yet (most of a thousand, often) is not scanned at all. */
    {
        struct phpbpf_snap_hist *h = apr_pcalloc(r->pool, n * sizeof(*h));
        struct phpbpf_snap_bucket room[PHPBPF_HIST_BUCKETS];
        apr_size_t k;

        for (k = 0; k < n; k++) {
            h[k].count = v->sh->vhost[k].apache.count;
            if (!h[k].count)
                continue;
            h[k].sum_us = v->sh->vhost[k].apache.sum_us;
            h[k].max_us = v->sh->vhost[k].apache.max_us;
            phpbpf_snap_buckets_from(&h[k], phpbpf_apache_buckets(proc->sh, (__u32)k), room);
            h[k].bucket = apr_pmemdup(r->pool, room, h[k].nnz * sizeof(*room));
        }
        v->apache = h;
    }
}

static const char *state_reason(const struct phpbpf_shared *sh)
{
    switch (sh->helper_state) {
    case PHPBPF_HELPER_OFF: return "PhpBpf Off";
    case PHPBPF_HELPER_FAILED: return sh->reason[0] ? sh->reason : "the helper failed";
    default: return NULL;
    }
}

static int phpbpf_handler(request_rec *r)
{
    enum phpbpf_format fmt;
    struct phpbpf_view v = { 0 };
    struct phpbpf_snapshot *snap;
    const char *err = NULL;
    __u32 i;
    int fd = -1;

    if (strcmp(r->handler, "server-bpf") != 0)
        return DECLINED;
    ap_allow_standard_methods(r, REPLACE_ALLOW, M_GET, -1);
    if (r->method_number != M_GET)
        return HTTP_METHOD_NOT_ALLOWED;
    if (parse_args(r, &fmt, &v.refresh, &err) != 0) {
        ap_set_content_type(r, "text/plain; charset=utf-8");
        r->status = HTTP_BAD_REQUEST;
        ap_rprintf(r, "Bad request: %s\n", err);
        return OK;
    }
    if (!proc || !proc->sh) {
        ap_set_content_type(r, "text/plain; charset=utf-8");
        r->status = HTTP_SERVICE_UNAVAILABLE;
        ap_rputs("mod_phpbpf is not initialised\n", r);
        return OK;
    }
    v.now = apr_time_now();
    /* Asked first, the helper takes its snapshot while this child copies
     * the shared table: with a thousand vhosts each takes a millisecond
     * or more, and the machine has another CPU. */
    if (!state_reason(proc->sh))
        fd = ask_helper(r, &err);
    copy_view(r, &v);
    v.unavailable = state_reason(v.sh);
    if (v.unavailable && fd >= 0)
        close(fd);
    if (!v.unavailable) {
        snap = apr_pcalloc(r->pool, sizeof(*snap));
        if (fd < 0 && !err)             /* the state changed while we copied */
            fd = ask_helper(r, &err);
        if (fd >= 0)
            err = helper_answer(r, fd, snap);
        if (err) {
            v.unavailable = err;
            v.helper_unreachable = 1;
        }
        else {
            v.snap = snap;
            for (i = 0; i < snap->nvhosts; i++)
                if (snap->vhosts[i].idx < v.sh->nvhosts)
                    v.bpf[snap->vhosts[i].idx] = &snap->vhosts[i];
        }
    }
    phpbpf_view_order(r->pool, &v);
    if (v.helper_unreachable)
        r->status = HTTP_SERVICE_UNAVAILABLE;
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    switch (fmt) {
    case PHPBPF_FMT_AUTO:
        ap_set_content_type(r, "text/plain; charset=utf-8");
        if (!r->header_only)
            phpbpf_render_auto(r, &v);
        break;
    case PHPBPF_FMT_JSON:
        ap_set_content_type(r, "application/json");
        if (!r->header_only)
            phpbpf_render_json(r, &v);
        break;
    case PHPBPF_FMT_METRICS: {
        /* A scrape always succeeds while Apache is up: a missing helper
         * shows as phpbpf_tracing_active 0, not as a failed target. */
        const char *accept = apr_table_get(r->headers_in, "Accept");
        int om = accept && ap_strstr_c(accept, "application/openmetrics-text") != NULL;

        r->status = HTTP_OK;
        ap_set_content_type(r, om ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
                                  : "text/plain; version=0.0.4; charset=utf-8");
        if (!r->header_only)
            phpbpf_render_metrics(r, &v, om);
        break;
    }
    default:
        ap_set_content_type(r, "text/html; charset=utf-8");
        if (!r->header_only)
            phpbpf_render_html(r, &v);
    }
    return OK;
}

/* A short section on /server-status, from shared memory only: mod_status
 * pages are polled often, so no helper round trip here. */
static int phpbpf_status_hook(request_rec *r, int flags)
{
    struct phpbpf_shared *sh;
    __u64 req = 0, php5xx = 0;
    __u32 i;
    const char *state;

    if (!proc || !proc->sh)
        return OK;
    sh = proc->sh;
    for (i = 0; i < sh->nvhosts; i++) {
        req += sh->vhost[i].apache.count;
        php5xx += sh->vhost[i].status[4];
    }
    state = sh->helper_state == PHPBPF_HELPER_OFF ? "off"
          : sh->helper_state == PHPBPF_HELPER_FAILED ? "unavailable" : "active";
    if (flags & AP_STATUS_SHORT) {
        ap_rprintf(r, "PhpBpfTracing: %s\nPhpBpfPhpRequests: " U64 "\nPhpBpfPhp5xx: " U64 "\n",
                   state, (apr_uint64_t)req, (apr_uint64_t)php5xx);
        return OK;
    }
    ap_rprintf(r, "<hr /><h2>PHP tracing (mod_phpbpf)</h2>\n<dl><dt>Tracing: %s%s%s</dt>\n"
               "<dt>PHP requests: " U64 ", of which 5xx: " U64 "</dt>\n"
               "<dt>Per-vhost latency: see the server-bpf handler</dt></dl>\n",
               state, state_reason(sh) ? " &mdash; " : "",
               state_reason(sh) ? ap_escape_html(r->pool, state_reason(sh)) : "",
               (apr_uint64_t)req, (apr_uint64_t)php5xx);
    return OK;
}

static void register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_post_config(phpbpf_env_post_config, NULL, NULL, APR_HOOK_REALLY_FIRST);
    ap_hook_post_config(phpbpf_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(phpbpf_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_read_request(phpbpf_post_read_request, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_log_transaction(phpbpf_log_transaction, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_error_log(phpbpf_error_log, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(phpbpf_handler, NULL, NULL, APR_HOOK_MIDDLE);
    APR_OPTIONAL_HOOK(ap, status_hook, phpbpf_status_hook, NULL, NULL, APR_HOOK_MIDDLE);
}

module AP_MODULE_DECLARE_DATA phpbpf_module = {
    STANDARD20_MODULE_STUFF,
    NULL,                       /* dir config */
    NULL,                       /* merge dir config */
    create_server_conf,
    merge_server_conf,
    phpbpf_cmds,
    register_hooks,
    AP_MODULE_FLAG_ALWAYS_MERGE
};
