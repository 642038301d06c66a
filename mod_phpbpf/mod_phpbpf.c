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
 *
 * The rooms, one job each:
 *   config.c      directives          libphp.c     which libphp to trace
 *   state.c       what outlives a generation (process pool)
 *   shm.c         the shared segment: layout, writers, the copy a page reads
 *   supervise.c   the helper's life   cmdline.c    its command line
 *   hooks.c       the request hooks   client.c     the helper's socket
 *   handler.c     /server-bpf         report.c     the report a page shows
 *   render_*.c    its four formats (and mod_status's section)
 * This file: the module record, and post_config, which ties them up.
 */
#include <unistd.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_main.h"
#include "http_protocol.h"
#include "http_request.h"
#include "ap_mpm.h"
#include "mod_status.h"
#include "mpm_common.h"
#include "unixd.h"
#include "apr_strings.h"

#include "config.h"
#include "handler.h"
#include "cmdline.h"
#include "fpm.h"
#include "hooks.h"
#include "libphp.h"
#include "sockdir.h"
#include "state.h"
#include "supervise.h"

APLOG_USE_MODULE(phpbpf);

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
    struct phpbpf_shared *sh = phpbpf_st->sh;
    server_rec *s;
    __u32 i, untracked = 0;

    for (s = main_s; s; s = s->next) {
        const char *name = vhost_name(p, s);

        if ((i = phpbpf_shm_vhost_index(sh, name)) == PHPBPF_VHOST_OTHER)
            untracked++;
        phpbpf_sconf(s)->vhost_idx = i;
        phpbpf_fpm_hex8(phpbpf_sconf(s)->vhost_hex, i);
    }
    sh->untracked_vhosts = untracked;
    if (untracked)
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, main_s,
                     "mod_phpbpf: %u vhosts beyond PhpBpfMaxVhosts %u are counted as (other)",
                     untracked, sh->cap);
}

/* What the helper is told: the directives it needs, and only those of a
 * feature that is on, so that a setting of one that is off does not make
 * a new helper at a graceful restart. */
static const char *const *helper_argv(apr_pool_t *p, server_rec *s, const phpbpf_lib *lib,
                                      const char *sock, const struct phpbpf_fpm_pool *pools,
                                      int npools)
{
    phpbpf_server_conf *c = phpbpf_sconf(s);
    struct phpbpf_options o = {
        .library = lib->attach ? lib->attach : "", .socket = sock, .build = PHPBPF_BUILD_ID,
        .uid = (uint64_t)ap_unixd_config.user_id, .gid = (uint64_t)ap_unixd_config.group_id,
        .httpd_pid = (uint64_t)phpbpf_st->parent_pid,
        .slot = (uint64_t)(uintptr_t)phpbpf_st->slot, .vhosts = phpbpf_st->sh->cap,
        .libphp_base = lib->base, .cpu = c->cpu,
        .profile_hz = c->profile ? (uint64_t)c->profile_hz : 0,
        .compile = c->compile, .window_s = (uint64_t)c->window_s,
        .debug = APLOG_IS_LEVEL(s, APLOG_DEBUG), .use_syslog = !s->error_log,
    };
    int i;

    if (c->slow > 0) {
        o.slow_us = (uint64_t)c->slow;
        o.slow_size = (uint64_t)c->slow_size;
        o.trace_depth = (uint64_t)c->trace_depth;
    }
    if (c->compile)
        o.max_scripts = (uint64_t)c->max_scripts;
    for (i = 0; c->peers && i < c->peers->nelts && i < PHPBPF_OPT_LIST_MAX; i++)
        o.peer.v[o.peer.n++] = APR_ARRAY_IDX(c->peers, i, const char *);
    o.max_routes = (uint64_t)c->max_routes;
    /* configtest bounds PhpBpfMaxVhosts x (routes + 1); a graceful restart
     * keeps the segment's (larger) vhost capacity, so bound by that. */
    if (c->max_routes && (uint64_t)phpbpf_st->sh->cap * (o.max_routes + 1) > PHPBPF_MAX_ROUTE_ROWS) {
        o.max_routes = PHPBPF_MAX_ROUTE_ROWS / phpbpf_st->sh->cap - 1;
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                     "mod_phpbpf: PhpBpfMaxRoutes %d for the %u vhosts this server's memory was "
                     "made for would be more than %d rows: %u routes per vhost until a full "
                     "restart", c->max_routes, phpbpf_st->sh->cap, PHPBPF_MAX_ROUTE_ROWS,
                     (unsigned)o.max_routes);
    }
    /* Statements: in the mysqlnd and libpq PHP loaded, if it did (pgsql's
     * and PDO_pgsql's extensions link libpq).  A site without a database
     * is not an error: on by default, so said at info level (and on the
     * page). */
    /* php-fpm: each binary once; its master's extensions, where mod_php
     * has loaded none. */
    for (i = 0; i < npools; i++) {
        int k;

        if (!pools[i].binary)
            continue;
        for (k = 0; k < (int)o.fpm.n && strcmp(o.fpm.v[k], pools[i].binary) != 0; k++)
            ;
        if (k == (int)o.fpm.n && o.fpm.n < PHPBPF_FPM_MAX)
            o.fpm.v[o.fpm.n++] = pools[i].binary;
    }
    if (c->queries) {
        o.mysqlnd = phpbpf_find_loaded(p, "mysqlnd.so", 0);
        o.libpq = phpbpf_find_loaded(p, "libpq.so.5", 1);
        for (i = 0; i < npools; i++)
            if (pools[i].master) {
                if (!o.mysqlnd)
                    o.mysqlnd = phpbpf_find_loaded_by(p, pools[i].master, "mysqlnd.so", 0);
                if (!o.libpq)
                    o.libpq = phpbpf_find_loaded_by(p, pools[i].master, "libpq.so.5", 1);
            }
        if (!o.mysqlnd && !o.libpq)
            ap_log_error(APLOG_MARK, APLOG_INFO, 0, s,
                         "mod_phpbpf: PhpBpfQueries On, but PHP has loaded neither mysqlnd.so nor "
                         "libpq (php-mysql, php-pgsql): no SQL statements");
    }
    for (i = 0; (o.mysqlnd || o.libpq) && c->db_layer && i < c->db_layer->nelts && i < PHPBPF_OPT_LIST_MAX; i++)
        o.db_layer.v[o.db_layer.n++] = APR_ARRAY_IDX(c->db_layer, i, const char *);
    for (i = 0; c->max_routes && c->routes && i < c->routes->nelts && i < PHPBPF_OPT_LIST_MAX; i++)
        o.route.v[o.route.n++] = APR_ARRAY_IDX(c->routes, i, const char *);
    return phpbpf_helper_argv(p, c->helper, &o);
}

/* The fixups hook, only for a server with php-fpm pools: every request
 * of a mod_php server would pay its call (about 20 instructions, against
 * the Apache side's budget of 420: README, Overhead).  Hooked here, after
 * apr_hook_sort_all(), it runs after every other module's fixups, which
 * is where it belongs (after mod_proxy's, which moves a unix socket out
 * of the URL, and mod_dir's, whose index.php comes to the request).  Each
 * generation registers its hooks afresh (they live in pconf): once per
 * generation. */
static void hook_fixups(int want)
{
    static int gen = -1;
    int now = ap_state_query(AP_SQ_CONFIG_GEN);

    if (!want || gen == now)
        return;
    gen = now;
    ap_hook_fixups(phpbpf_fixups, NULL, NULL, APR_HOOK_REALLY_LAST);
}

/* What post_config started the helper with, for the monitor. */
static struct last_start {
    server_rec *s;
    const phpbpf_lib *lib;
    const char *sock;
} last;

/* The binaries behind the pools, as the helper's identity knows them:
 * "dev:ino" of each, in pool order. */
static const char *fpm_identity(apr_pool_t *p, const struct phpbpf_fpm_pool *pools, int n)
{
    const char *id = "";
    int i;

    for (i = 0; i < n; i++)
        if (pools[i].identity)
            id = apr_pstrcat(p, id, *id ? " " : "", pools[i].identity, NULL);
    return id;
}

/* The pools and what was found behind each, for the page. */
static void fpm_show(struct phpbpf_shared *sh, const struct phpbpf_fpm_pool *pools, int n)
{
    int i;

    for (i = 0; i < n; i++) {
        apr_cpystrn(sh->fpm_pool[i], pools[i].name, sizeof(sh->fpm_pool[i]));
        if (pools[i].binary)
            apr_snprintf(sh->fpm_state[i], sizeof(sh->fpm_state[i]), "php-fpm %s, master pid %d",
                         pools[i].binary, (int)pools[i].master);
        else
            apr_snprintf(sh->fpm_state[i], sizeof(sh->fpm_state[i]),
                         "no php-fpm master found: %s; Apache time only", pools[i].why);
    }
    sh->fpm_npools = (__u32)n;
}

/* Everything that decides whether tracing can run, as one error line and
 * one banner reason; NULL when the helper should run. */
static const char *tracing_blocker(apr_pool_t *p, server_rec *s, phpbpf_lib *lib, int npools,
                                   int nbinaries)
{
    phpbpf_server_conf *c = phpbpf_sconf(s);

    memset(lib, 0, sizeof(*lib));
    if (c->library)
        phpbpf_configured_lib(p, c->library, lib);
    else if (!phpbpf_find_libphp(p, lib) && !npools)
        return "neither mod_php nor a php-fpm pool (mod_proxy_fcgi) is configured; nothing to "
               "trace";
    if (!lib->attach && !nbinaries)
        return "no php-fpm master listens on the pools this server proxies to (see the pools "
               "below); only Apache time is counted";
    if (geteuid() != 0)
        return "httpd was not started as root, so the helper cannot load BPF programs";
    return NULL;
}

static int phpbpf_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                              server_rec *s)
{
    phpbpf_server_conf *c = phpbpf_sconf(s);
    phpbpf_proc *proc;
    const char *blocker, *cmd, *sock;
    phpbpf_lib lib;
    const char *const *argv;

    struct phpbpf_fpm_pool *pools;
    int npools, nbinaries = 0, i, threaded = 0;

    (void)plog;
    /* Like mod_cgid: the first pass only checks the config, and -t/-S/-M
     * never serve, so none of them may start a privileged helper. */
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG
        || ap_state_query(AP_SQ_RUN_MODE) != AP_SQ_RM_NORMAL)
        return OK;

    phpbpf_on = phpbpf_slot_on = phpbpf_fpm_on = 0;
    last.s = NULL;              /* the last generation's, in its pconf */
    proc = phpbpf_st = phpbpf_state_open(s, c->max_vhosts);
    if (!proc)
        return HTTP_INTERNAL_SERVER_ERROR;
    if ((__u32)c->max_vhosts != proc->sh->cap)
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                     "mod_phpbpf: PhpBpfMaxVhosts changes only on a full stop and start; "
                     "keeping %u", proc->sh->cap);
    proc->gen_pool = pconf;
    map_vhosts(pconf, s);
    proc->sh->generation = (__u32)ap_state_query(AP_SQ_CONFIG_GEN);
    proc->sh->compile_tracing = c->compile;
    proc->sh->cpu_tracing = c->cpu;
    proc->sh->slow_us = (__u64)c->slow;
    proc->sh->slow_size = (__u32)c->slow_size;
    proc->sh->record_query = c->record_query;

    phpbpf_on = c->enabled != 0;
    if (!phpbpf_on) {
        phpbpf_helper_stop();
        phpbpf_shm_set_state(proc->sh, PHPBPF_HELPER_OFF, "PhpBpf Off");
        return OK;
    }
    /* php-fpm pools, found from the configuration; their masters now. */
    ap_mpm_query(AP_MPMQ_IS_THREADED, &threaded);
    phpbpf_threaded = proc->sh->threaded = threaded != AP_MPMQ_NOT_SUPPORTED;
    pools = apr_pcalloc(pconf, PHPBPF_FPM_POOLS * sizeof(*pools));
    npools = phpbpf_fpm_pools(pconf, c->fpm, pools);
    for (i = 0; i < npools; i++) {
        phpbpf_fpm_find(pconf, &pools[i]);
        nbinaries += pools[i].binary != NULL;
    }
    phpbpf_fpm_set_pools(pools, npools);
    phpbpf_fpm_on = npools > 0;
    phpbpf_slot_on = phpbpf_on && !phpbpf_threaded;
    hook_fixups(npools > 0);
    fpm_show(proc->sh, pools, npools);
    blocker = tracing_blocker(ptemp, s, &lib, npools, nbinaries);
    apr_cpystrn(proc->sh->library, lib.shown ? lib.shown : "", sizeof(proc->sh->library));
    /* ".<pid>" of this parent, which is proc->parent_pid: two servers
     * sharing a runtime dir never share a helper.  A directory only root
     * can write, with the socket in it (sockdir.h). */
    sock = apr_pstrcat(pconf, ap_append_pid(ptemp, ap_runtime_dir_relative(ptemp, c->socket), "."),
                       "/" PHPBPF_SOCK_FILE, NULL);
    /* Known to the children from now on, as they fork: a helper the
     * monitor starts later listens there. */
    proc->socket_path = apr_pstrdup(proc->pool, sock);
    /* No php-fpm master yet (started after httpd): the monitor looks
     * again, and starts the helper once one listens. */
    if (!blocker || (!lib.attach && npools && !nbinaries && geteuid() == 0))
        last = (struct last_start){ s, apr_pmemdup(pconf, &lib, sizeof(lib)), sock };
    proc->fpm_identity = apr_pstrdup(proc->pool, fpm_identity(ptemp, pools, npools));
    if (blocker) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, "mod_phpbpf: PHP tracing unavailable: %s",
                     blocker);
        phpbpf_helper_stop();
        phpbpf_shm_set_state(proc->sh, PHPBPF_HELPER_FAILED, blocker);
        return OK;
    }
    /* Only prefork children may write the slot: the BPF side trusts it
     * only when it carries the magic. */
    proc->slot->magic = PHPBPF_SLOT_MAGIC;

    argv = helper_argv(ptemp, s, &lib, sock, pools, npools);
    cmd = phpbpf_helper_identity(ptemp, lib.identity ? lib.identity : "", argv);
    cmd = apr_pstrcat(ptemp, cmd, " fpm=", proc->fpm_identity, NULL);

    phpbpf_supervise(s, cmd, argv, sock, lib.shown ? lib.shown : "php-fpm");
    return OK;
}

/* The parent, about once a second: every few seconds, whether the pools
 * still run the binaries the helper traces.  A php-fpm started after
 * httpd, or upgraded (a new file: uprobes belong to the old one), gets a
 * new helper, which takes its predecessor's counters over; a plain
 * restart of php-fpm (same file, new master) needs nothing. */
static int phpbpf_monitor(apr_pool_t *pconf, server_rec *s)
{
    static apr_time_t next;
    struct phpbpf_fpm_pool *pools;
    const char *id, *cmd;
    apr_pool_t *p;
    int npools, i;

    (void)s;
    if (!phpbpf_on || !phpbpf_fpm_on || !phpbpf_st || !last.s || apr_time_now() < next)
        return DECLINED;
    next = apr_time_now() + apr_time_from_sec(PHPBPF_FPM_RECHECK_S);
    /* Not pconf, which lives as long as the generation: a look every few
     * seconds would grow it for good.  What outlives this look is copied
     * (the page's strings into the segment, a new helper's argv into the
     * process pool). */
    apr_pool_create(&p, pconf);
    pools = apr_pcalloc(p, PHPBPF_FPM_POOLS * sizeof(*pools));
    npools = phpbpf_fpm_pools(p, phpbpf_sconf(last.s)->fpm, pools);
    for (i = 0; i < npools; i++)
        phpbpf_fpm_find(p, &pools[i]);
    fpm_show(phpbpf_st->sh, pools, npools);
    id = fpm_identity(p, pools, npools);
    if (strcmp(id, phpbpf_st->fpm_identity ? phpbpf_st->fpm_identity : "") != 0
        && (last.lib->attach || *id)) {
        const char *const *argv = helper_argv(p, last.s, last.lib, last.sock, pools, npools);

        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, last.s,
                     "mod_phpbpf: the php-fpm binaries behind the pools changed (%s, was %s)",
                     *id ? id : "none", phpbpf_st->fpm_identity);
        cmd = phpbpf_helper_identity(p, last.lib->identity ? last.lib->identity : "", argv);
        phpbpf_st->fpm_identity = apr_pstrdup(phpbpf_st->pool, id);
        cmd = apr_pstrcat(p, cmd, " fpm=", id, NULL);
        phpbpf_supervise(last.s, cmd, argv, last.sock,
                         last.lib->shown ? last.lib->shown : "php-fpm");
    }
    apr_pool_destroy(p);
    return DECLINED;
}

/* post_config runs after mod_php's, which loads PHP's extensions
 * (mysqlnd.so) in this process. */
static const char *const after_php[] = { "mod_php.c", "mod_php7.c", NULL };

static void register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_check_config(phpbpf_check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(phpbpf_env_post_config, NULL, NULL, APR_HOOK_REALLY_FIRST);
    ap_hook_post_config(phpbpf_post_config, after_php, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(phpbpf_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_read_request(phpbpf_post_read_request, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_log_transaction(phpbpf_log_transaction, NULL, NULL, APR_HOOK_MIDDLE);
    /* phpbpf_fixups: in post_config, where there are php-fpm pools. */
    ap_hook_monitor(phpbpf_monitor, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_error_log(phpbpf_error_log, NULL, NULL, APR_HOOK_MIDDLE);
    /* After mod_php's (MIDDLE), which takes PHP's requests and so spares
     * them a call and a compare here. */
    ap_hook_handler(phpbpf_handler, NULL, NULL, APR_HOOK_LAST);
    APR_OPTIONAL_HOOK(ap, status_hook, phpbpf_status_hook, NULL, NULL, APR_HOOK_MIDDLE);
}

module AP_MODULE_DECLARE_DATA phpbpf_module = {
    STANDARD20_MODULE_STUFF,
    NULL,                       /* dir config */
    NULL,                       /* merge dir config */
    phpbpf_create_server_conf,
    phpbpf_merge_server_conf,
    phpbpf_cmds,
    register_hooks,
    AP_MODULE_FLAG_ALWAYS_MERGE
};
