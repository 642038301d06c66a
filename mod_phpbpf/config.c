/* The directives.  All are server-wide (GLOBAL_ONLY): the helper and the
 * shared memory serve the whole server. */
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "apr_lib.h"
#include "apr_strings.h"

#include "config.h"
#include "fpm.h"
#include "peers.h"
#include "route.h"
#include "snapshot.h"

APLOG_USE_MODULE(phpbpf);

const phpbpf_directive phpbpf_directives[PHPBPF_NDIRECTIVES] = {
#define PHPBPF_DIRECTIVE_DESC(name, kind, field, dflt, min, max, shown, help) \
    { #name, PHPBPF_DIRECTIVE_##kind, APR_OFFSETOF(phpbpf_server_conf, field), dflt, min, max, \
      shown },
    PHPBPF_DIRECTIVES(PHPBPF_DIRECTIVE_DESC)
#undef PHPBPF_DIRECTIVE_DESC
};

static void *field_of(const server_rec *s, const phpbpf_directive *d)
{
    return (char *)phpbpf_sconf(s) + d->offset;
}

/* Every field at its directive's default: a number or a flag as the
 * table gives it, a path as it is written there (PhpBpfLibrary's, "":
 * NULL, found at start); a time in microseconds; no peers and no routes. */
void *phpbpf_create_server_conf(apr_pool_t *p, server_rec *s)
{
    phpbpf_server_conf *c = apr_pcalloc(p, sizeof(*c));
    int i;

    (void)s;
    for (i = 0; i < PHPBPF_NDIRECTIVES; i++) {
        const phpbpf_directive *d = &phpbpf_directives[i];

        if (d->kind == PHPBPF_DIRECTIVE_FLAG || d->kind == PHPBPF_DIRECTIVE_NUM
            || d->kind == PHPBPF_DIRECTIVE_WINDOW)
            *(int *)((char *)c + d->offset) = (int)d->dflt;
        else if (d->kind == PHPBPF_DIRECTIVE_SLOW)
            *(apr_interval_time_t *)((char *)c + d->offset) = (apr_interval_time_t)d->dflt;
        else if (d->kind == PHPBPF_DIRECTIVE_FILE || d->kind == PHPBPF_DIRECTIVE_EXEC
                 || d->kind == PHPBPF_DIRECTIVE_SOCKET)
            *(const char **)((char *)c + d->offset) = *d->shown ? d->shown : NULL;
    }
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

/* The setters, one per kind, each named for it (PHPBPF_DIRECTIVES builds
 * the command table from the names); cmd->info is the directive.  Every
 * directive is server-wide: outside <VirtualHost> and <Directory>. */
static const char *set_FLAG(cmd_parms *cmd, void *dummy, int flag)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);

    (void)dummy;
    if (err)
        return err;
    *(int *)field_of(cmd->server, cmd->info) = flag;
    return NULL;
}

/* A whole number within bounds. */
static const char *set_NUM(cmd_parms *cmd, void *dummy, const char *arg)
{
    const phpbpf_directive *d = cmd->info;
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    char *end;
    long n;

    (void)dummy;
    if (err)
        return err;
    n = strtol(arg, &end, 10);
    if (!*arg || *end || n < d->min || n > d->max)
        return apr_psprintf(cmd->pool, "%s: '%s' is not a number from %ld to %ld",
                            d->name, arg, d->min, d->max);
    *(int *)field_of(cmd->server, d) = (int)n;
    return NULL;
}

static const char *set_FILE(cmd_parms *cmd, void *dummy, const char *arg)
{
    const phpbpf_directive *d = cmd->info;
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    struct stat st;

    (void)dummy;
    if (err)
        return err;
    if (arg[0] != '/')
        return apr_psprintf(cmd->pool, "%s: '%s' is not an absolute path", d->name, arg);
    if (stat(arg, &st) != 0 || !S_ISREG(st.st_mode))
        return apr_psprintf(cmd->pool, "%s: '%s' is not a readable file", d->name, arg);
    *(const char **)field_of(cmd->server, d) = arg;
    return NULL;
}

static const char *set_EXEC(cmd_parms *cmd, void *dummy, const char *arg)
{
    const phpbpf_directive *d = cmd->info;
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    const char *path = ap_server_root_relative(cmd->pool, arg);

    (void)dummy;
    if (err)
        return err;
    if (!path || access(path, X_OK) != 0)
        return apr_psprintf(cmd->pool, "%s: '%s' is not an executable file", d->name, arg);
    *(const char **)field_of(cmd->server, d) = path;
    return NULL;
}

static const char *set_SOCKET(cmd_parms *cmd, void *dummy, const char *arg)
{
    const phpbpf_directive *d = cmd->info;
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    struct sockaddr_un sa;

    (void)dummy;
    if (err)
        return err;
    /* 17 bytes for ".<pid>", "/sock" and the NUL. */
    if (!*arg || strlen(ap_runtime_dir_relative(cmd->pool, arg)) + 17 > sizeof(sa.sun_path))
        return apr_psprintf(cmd->pool, "%s: '%s' is empty or too long for a Unix socket path "
                            "(at most %d bytes with the runtime dir)",
                            d->name, arg, (int)sizeof(sa.sun_path) - 17);
    *(const char **)field_of(cmd->server, d) = arg;
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

static const char *set_SLOW(cmd_parms *cmd, void *dummy, const char *arg)
{
    const phpbpf_directive *d = cmd->info;
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    apr_interval_time_t t;

    (void)dummy;
    if (err)
        return err;
    if (strcasecmp(arg, "Off") == 0) {
        *(apr_interval_time_t *)field_of(cmd->server, d) = 0;
        return NULL;
    }
    /* ap_timeout_parameter_parse: "500ms", "2s", "1min"; a bare number is
     * seconds, as for Timeout. */
    if (ap_timeout_parameter_parse(arg, &t, "s") != APR_SUCCESS || t <= 0
        || t > apr_time_from_sec(d->max))
        return apr_psprintf(cmd->pool, "%s: '%s' is not Off or a time such as 500ms or 2s "
                            "(up to %ld s)", d->name, arg, d->max);
    *(apr_interval_time_t *)field_of(cmd->server, d) = t;
    return NULL;
}

static const char *set_WINDOW(cmd_parms *cmd, void *dummy, const char *arg)
{
    const phpbpf_directive *d = cmd->info;
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    apr_interval_time_t t;

    (void)dummy;
    if (err)
        return err;
    /* Whole seconds: the periods are half of it, at least a second each. */
    if (ap_timeout_parameter_parse(arg, &t, "s") != APR_SUCCESS || t < apr_time_from_sec(d->min)
        || t > apr_time_from_sec(d->max) || t % APR_USEC_PER_SEC)
        return apr_psprintf(cmd->pool, "%s: '%s' is not a whole number of seconds such as "
                            "10min or 600 (%ld to %ld)", d->name, arg, d->min, d->max);
    *(int *)field_of(cmd->server, d) = (int)apr_time_sec(t);
    return NULL;
}

/* Room for one more item of a repeated directive's list, made on first
 * use; NULL with *err set once it holds d->max. */
static void *list_push(cmd_parms *cmd, const phpbpf_directive *d, apr_size_t size, const char **err)
{
    apr_array_header_t **list = field_of(cmd->server, d);

    if (!*list)
        *list = apr_array_make(cmd->pool, 4, (int)size);
    if ((*list)->nelts >= d->max) {
        *err = apr_psprintf(cmd->pool, "%s: at most %ld of them", d->name, d->max);
        return NULL;
    }
    return apr_array_push(*list);
}

static const char *set_PEER(cmd_parms *cmd, void *dummy, const char *where, const char *cls)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY), *why;
    const phpbpf_directive *d = cmd->info;
    struct phpbpf_peer p;
    const char **item;

    (void)dummy;
    if (err)
        return err;
    if ((why = phpbpf_peer_parse(where, cls, &p)) != NULL)
        return apr_psprintf(cmd->pool, "%s %s %s: %s", d->name, where, cls, why);
    if (!(item = list_push(cmd, d, sizeof(*item), &err)))
        return err;
    *item = apr_pstrcat(cmd->pool, where, "=", cls, NULL);
    return NULL;
}

static const char *set_ROUTE(cmd_parms *cmd, void *dummy, const char *pattern)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY), *why;
    const phpbpf_directive *d = cmd->info;
    struct phpbpf_route_pattern p;
    const char **item;

    (void)dummy;
    if (err)
        return err;
    if ((why = phpbpf_route_pattern_parse(pattern, &p)) != NULL)
        return apr_psprintf(cmd->pool, "%s %s: %s", d->name, pattern, why);
    if (!(item = list_push(cmd, d, sizeof(*item), &err)))
        return err;
    *item = pattern;
    return NULL;
}

/* A PHP class name, or a namespace ending in a backslash: what PHP's
 * names are made of, so that a typo is refused at configtest. */
static const char *set_LAYER(cmd_parms *cmd, void *dummy, const char *name)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    const phpbpf_directive *d = cmd->info;
    const unsigned char *c;
    const char **item;

    (void)dummy;
    if (err)
        return err;
    if (!*name || strlen(name) >= PHPBPF_FUNC_NAME_LEN || *name == '\\')
        return apr_psprintf(cmd->pool, "%s %s: a class name, or a namespace ending in \\",
                            d->name, name);
    for (c = (const unsigned char *)name; *c; c++)
        if (!(apr_isalnum(*c) || *c == '_' || *c == '\\' || *c >= 0x80))
            return apr_psprintf(cmd->pool, "%s %s: a class name, or a namespace ending in \\",
                                d->name, name);
    if (!(item = list_push(cmd, d, sizeof(*item), &err)))
        return err;
    *item = name;
    return NULL;
}

/* A pool as mod_proxy_fcgi would reach it. */
static const char *set_FPM(cmd_parms *cmd, void *dummy, const char *pool)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY), *why;
    const phpbpf_directive *d = cmd->info;
    struct phpbpf_fpm_pool q;
    const char **item;

    (void)dummy;
    if (err)
        return err;
    if ((why = phpbpf_fpm_parse(cmd->pool, pool, &q)) != NULL)
        return apr_psprintf(cmd->pool, "%s %s: %s", d->name, pool, why);
    if (!(item = list_push(cmd, d, sizeof(*item), &err)))
        return err;
    *item = pool;
    return NULL;
}

static const char *set_COMPONENT(cmd_parms *cmd, void *dummy, const char *prefix, const char *name)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY), *why;
    const phpbpf_directive *d = cmd->info;
    struct phpbpf_component_rule rule, *item;

    (void)dummy;
    if (err)
        return err;
    if ((why = phpbpf_component_rule_parse(cmd->pool, prefix, name, &rule)) != NULL)
        return apr_psprintf(cmd->pool, "%s %s %s: %s", d->name, prefix, name, why);
    if (!(item = list_push(cmd, d, sizeof(*item), &err)))
        return err;
    *item = rule;
    return NULL;
}

/* What no single directive can check: PhpBpfMaxVhosts x (PhpBpfMaxRoutes
 * + 1) rows bound the route table, the helper's copy and a snapshot. */
int phpbpf_check_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp, server_rec *s)
{
    phpbpf_server_conf *c = phpbpf_sconf(s);

    (void)pconf;
    (void)plog;
    (void)ptemp;
    if (c->max_routes && (long)c->max_vhosts * (c->max_routes + 1) > PHPBPF_MAX_ROUTE_ROWS) {
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_ERR, 0, s,
                     "PhpBpfMaxRoutes %d with PhpBpfMaxVhosts %d: the route table would have %ld "
                     "rows, more than %d; lower one of them", c->max_routes, c->max_vhosts,
                     (long)c->max_vhosts * (c->max_routes + 1), PHPBPF_MAX_ROUTE_ROWS);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

#define PHPBPF_CMD_FLAG AP_INIT_FLAG
#define PHPBPF_CMD_NUM AP_INIT_TAKE1
#define PHPBPF_CMD_FILE AP_INIT_TAKE1
#define PHPBPF_CMD_EXEC AP_INIT_TAKE1
#define PHPBPF_CMD_SOCKET AP_INIT_TAKE1
#define PHPBPF_CMD_SLOW AP_INIT_TAKE1
#define PHPBPF_CMD_WINDOW AP_INIT_TAKE1
#define PHPBPF_CMD_PEER AP_INIT_TAKE2
#define PHPBPF_CMD_ROUTE AP_INIT_TAKE1
#define PHPBPF_CMD_COMPONENT AP_INIT_TAKE2
#define PHPBPF_CMD_LAYER AP_INIT_TAKE1
#define PHPBPF_CMD_FPM AP_INIT_TAKE1

const command_rec phpbpf_cmds[] = {
#define PHPBPF_DIRECTIVE_CMD(name, kind, field, dflt, min, max, shown, help) \
    PHPBPF_CMD_##kind(#name, set_##kind, (void *)&phpbpf_directives[PHPBPF_D_##name], RSRC_CONF, \
                      help),
    PHPBPF_DIRECTIVES(PHPBPF_DIRECTIVE_CMD)
#undef PHPBPF_DIRECTIVE_CMD
    { NULL }
};
