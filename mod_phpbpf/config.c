/* The directives.  All are server-wide (GLOBAL_ONLY): the helper and the
 * shared memory serve the whole server. */
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "apr_strings.h"

#include "config.h"
#include "peers.h"
#include "snapshot.h"

APLOG_USE_MODULE(phpbpf);

void *phpbpf_create_server_conf(apr_pool_t *p, server_rec *s)
{
    phpbpf_server_conf *c = apr_pcalloc(p, sizeof(*c));

    (void)s;
    c->enabled = -1;
    c->cpu = -1;
    c->profile = -1;
    c->trace_depth = -1;
    c->max_vhosts = 0;
    return c;
}

/* Every vhost needs a config of its own to hold its index, even one with
 * no PhpBpf directive: hence the merge, and AP_MODULE_FLAG_ALWAYS_MERGE. */
void *phpbpf_merge_server_conf(apr_pool_t *p, void *basev, void *addv)
{
    phpbpf_server_conf *c = apr_pmemdup(p, basev, sizeof(*c));

    (void)addv;                 /* all directives are GLOBAL_ONLY */
    c->vhost_idx = PHPBPF_VHOST_OTHER;
    return c;
}

/* Every directive is server-wide: outside <VirtualHost> and <Directory>. */
static const char *set_flag(cmd_parms *cmd, void *dummy, int flag)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);

    (void)dummy;
    if (err)
        return err;
    *(int *)((char *)phpbpf_sconf(cmd->server) + (apr_size_t)cmd->info) = flag;
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
    *(int *)((char *)phpbpf_sconf(cmd->server) + a->offset) = (int)n;
    return NULL;
}

#define FLAG_FIELD(f) ((void *)APR_OFFSETOF(phpbpf_server_conf, f))

static const phpbpf_int_arg max_vhosts_arg = {
    APR_OFFSETOF(phpbpf_server_conf, max_vhosts), 2, PHPBPF_MAX_VHOSTS };
static const phpbpf_int_arg slow_size_arg = {
    APR_OFFSETOF(phpbpf_server_conf, slow_size), 1, PHPBPF_SLOW_MAX };
/* Each tracked script costs the helper a few hundred bytes. */
static const phpbpf_int_arg max_scripts_arg = {
    APR_OFFSETOF(phpbpf_server_conf, max_scripts), 1, 8192 };
/* A sample walks a stack (a few microseconds for a deep one) on every CPU:
 * more than a thousand a second buys nothing but cost. */
static const phpbpf_int_arg profile_hz_arg = {
    APR_OFFSETOF(phpbpf_server_conf, profile_hz), 1, PHPBPF_MAX_PROFILE_HZ };
/* 0 takes no backtraces; the walker holds at most PHPBPF_STACK_MAX frames. */
static const phpbpf_int_arg trace_depth_arg = {
    APR_OFFSETOF(phpbpf_server_conf, trace_depth), 0, PHPBPF_STACK_MAX };

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
    phpbpf_sconf(cmd->server)->library = arg;
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
    phpbpf_sconf(cmd->server)->helper = path;
    return NULL;
}

static const char *set_socket(cmd_parms *cmd, void *dummy, const char *arg)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    struct sockaddr_un sa;

    (void)dummy;
    if (err)
        return err;
    /* 17 bytes for ".<pid>", "/sock" and the NUL. */
    if (!*arg || strlen(ap_runtime_dir_relative(cmd->pool, arg)) + 17 > sizeof(sa.sun_path))
        return apr_psprintf(cmd->pool, "PhpBpfSocket: '%s' is empty or too long for a "
                            "Unix socket path (at most %d bytes with the runtime dir)",
                            arg, (int)sizeof(sa.sun_path) - 17);
    phpbpf_sconf(cmd->server)->socket = arg;
    return NULL;
}

/* Compile tracing once needed USE_ZEND_DTRACE=1, which an older build of
 * this module set in the parent (it also switches off the opcache JIT and
 * sends every PHP call through dtrace_execute_ex).  It now probes
 * compile_file() itself; what an older build set in this process, before a
 * graceful restart onto this one, is taken back out before mod_php reads
 * it (zend_startup, in mod_php's own post_config). */
#define PHPBPF_ENV_KEY "phpbpf_set_zend_dtrace"

int phpbpf_env_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                                  server_rec *s)
{
    void *ours = NULL;

    (void)pconf;
    (void)plog;
    (void)ptemp;
    apr_pool_userdata_get(&ours, PHPBPF_ENV_KEY, s->process->pool);
    if (ours) {
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
        phpbpf_sconf(cmd->server)->slow = 0;
        return NULL;
    }
    /* ap_timeout_parameter_parse: "500ms", "2s", "1min"; a bare number is
     * seconds, as for Timeout. */
    if (ap_timeout_parameter_parse(arg, &t, "s") != APR_SUCCESS || t <= 0
        || t > apr_time_from_sec(86400))
        return apr_psprintf(cmd->pool, "PhpBpfSlowThreshold: '%s' is not Off or a time such "
                            "as 500ms or 2s (up to a day)", arg);
    phpbpf_sconf(cmd->server)->slow = t;
    return NULL;
}

static const char *set_window(cmd_parms *cmd, void *dummy, const char *arg)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    apr_interval_time_t t;

    (void)dummy;
    if (err)
        return err;
    /* Whole seconds: the periods are half of it, at least a second each. */
    if (ap_timeout_parameter_parse(arg, &t, "s") != APR_SUCCESS || t < apr_time_from_sec(2)
        || t > apr_time_from_sec(86400) || t % APR_USEC_PER_SEC)
        return apr_psprintf(cmd->pool, "PhpBpfWindow: '%s' is not a whole number of seconds "
                            "such as 10min or 600 (2s to a day)", arg);
    phpbpf_sconf(cmd->server)->window = t;
    return NULL;
}

static const char *set_peer(cmd_parms *cmd, void *dummy, const char *where, const char *cls)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY), *why;
    phpbpf_server_conf *c = phpbpf_sconf(cmd->server);
    struct phpbpf_peer p;

    (void)dummy;
    if (err)
        return err;
    if ((why = phpbpf_peer_parse(where, cls, &p)) != NULL)
        return apr_psprintf(cmd->pool, "PhpBpfPeer %s %s: %s", where, cls, why);
    if (!c->peers)
        c->peers = apr_array_make(cmd->pool, 4, sizeof(const char *));
    if (c->peers->nelts >= PHPBPF_MAX_PEER_LINES)
        return apr_psprintf(cmd->pool, "PhpBpfPeer: at most %d of them", PHPBPF_MAX_PEER_LINES);
    APR_ARRAY_PUSH(c->peers, const char *) = apr_pstrcat(cmd->pool, where, "=", cls, NULL);
    return NULL;
}

const command_rec phpbpf_cmds[] = {
    AP_INIT_FLAG("PhpBpf", set_flag, FLAG_FIELD(enabled), RSRC_CONF,
                 "On to trace PHP requests with BPF (default), Off to do nothing"),
    AP_INIT_TAKE1("PhpBpfLibrary", set_library, NULL, RSRC_CONF,
                  "libphp file to attach to (default: the one mod_php was loaded from)"),
    AP_INIT_TAKE1("PhpBpfHelper", set_helper, NULL, RSRC_CONF,
                  "path of the phpbpf-helper program"),
    AP_INIT_TAKE1("PhpBpfSocket", set_socket, NULL, RSRC_CONF,
                  "directory of the helper's socket, relative to the runtime dir; the parent's pid is appended"),
    AP_INIT_TAKE1("PhpBpfMaxVhosts", set_int, (void *)&max_vhosts_arg, RSRC_CONF,
                  "vhosts tracked one by one (default 1024); more are counted as (other)"),
    AP_INIT_FLAG("PhpBpfCompileTracing", set_flag, FLAG_FIELD(compile), RSRC_CONF,
                 "On to trace compile time per script (probes on libphp's compile_file, "
                 "which runs only on an opcache miss); default Off"),
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
    AP_INIT_FLAG("PhpBpfProfile", set_flag, FLAG_FIELD(profile), RSRC_CONF,
                 "On to sample PHP stacks (where PHP spends its time, per vhost); Off not to"),
    AP_INIT_TAKE1("PhpBpfProfileHz", set_int, (void *)&profile_hz_arg, RSRC_CONF,
                  "stack samples per second and CPU, 1 to 999 (default 99)"),
    AP_INIT_TAKE1("PhpBpfSlowTraceDepth", set_int, (void *)&trace_depth_arg, RSRC_CONF,
                  "frames of a slow request's PHP backtrace, 0 to 64 (default 20; 0: none)"),
    AP_INIT_TAKE2("PhpBpfPeer", set_peer, NULL, RSRC_CONF,
                  "a peer and what it is, e.g. 10.0.0.5:3307 mysql or unix:/run/db.sock pgsql "
                  "(classes: mysql pgsql redis memcached http dns other-net)"),
    AP_INIT_TAKE1("PhpBpfMaxScripts", set_int, (void *)&max_scripts_arg, RSRC_CONF,
                  "scripts whose compile time is tracked (default 1024, shared among vhosts)"),
    AP_INIT_TAKE1("PhpBpfWindow", set_window, NULL, RSRC_CONF,
                  "the tables (profile, call sites, exception classes, scripts) show the last "
                  "half to whole of this, e.g. 10min (the default)"),
    { NULL }
};
