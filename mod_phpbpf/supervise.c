#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_main.h"
#include "ap_mpm.h"
#include "mpm_common.h"
#include "apr_strings.h"
#include "apr_thread_proc.h"

#include "cmdline.h"
#include "sockdir.h"
#include "snapshot.h"
#include "state.h"
#include "supervise.h"

APLOG_USE_MODULE(phpbpf);

/* A helper that keeps dying is restarted with a delay that doubles up to a
 * minute, and resets after it has stayed up that long. */
#define PHPBPF_BACKOFF_MAX_S 60

static void set_state(enum phpbpf_helper_state st, const char *reason)
{
    phpbpf_shm_set_state(phpbpf_st->sh, st, reason);
}

static void helper_maint(int reason, void *data, apr_wait_t status);

/* The socket, and with it its directory when the server stops; by
 * descriptor, never through a link (sockdir.h). */
static void remove_socket(int keep_dir)
{
    char *dir;

    if (!phpbpf_st->socket_path)
        return;
    dir = apr_pstrdup(phpbpf_st->pool, phpbpf_st->socket_path);
    *strrchr(dir, '/') = '\0';
    phpbpf_sockdir_remove(dir, keep_dir);
}

/* The helper being replaced, if it is still there.  retired_pool is
 * cleared first: unregistering calls retired_maint() back. */
static void retired_stop(void)
{
    apr_pool_t *p = phpbpf_st->retired_pool;

    if (!p)
        return;
    phpbpf_st->retired_pool = NULL;
    apr_proc_other_child_unregister(&phpbpf_st->retired);
    phpbpf_stop_process(phpbpf_st->retired.pid);
    apr_pool_destroy(p);
}

/* Its successor stopped it, once it had taken its maps over. */
static void retired_maint(int reason, void *data, apr_wait_t status)
{
    apr_pool_t *p = phpbpf_st->retired_pool;

    (void)status;
    if (!p)
        return;
    phpbpf_st->retired_pool = NULL;
    if (reason == APR_OC_REASON_DEATH || reason == APR_OC_REASON_LOST)
        apr_proc_other_child_unregister(data);
    else if (reason == APR_OC_REASON_UNREGISTER)
        /* pconf going away: it should long be gone; it goes now. */
        phpbpf_stop_process(phpbpf_st->retired.pid);
    else {
        phpbpf_st->retired_pool = p;    /* APR_OC_REASON_RESTART and the like */
        return;
    }
    apr_pool_destroy(p);
}

/* New settings: the running helper keeps tracing until the new one has
 * taken over its maps and stops it (helper/carry.h); its pipes stay open
 * until then, or it would take the closed stdin for httpd going away. */
static void helper_retire(void)
{
    if (!phpbpf_st->helper_running)
        return;
    retired_stop();
    phpbpf_st->helper_running = 0;
    if (phpbpf_st->registered)
        apr_proc_other_child_unregister(phpbpf_st);
    phpbpf_st->registered = 0;
    phpbpf_st->retired = phpbpf_st->helper;
    phpbpf_st->retired_pool = phpbpf_st->head.hpool;
    phpbpf_st->head.hpool = NULL;
    apr_proc_other_child_register(&phpbpf_st->retired, retired_maint, &phpbpf_st->retired, NULL,
                                  phpbpf_st->gen_pool);
}

static void helper_kill(void)
{
    retired_stop();
    phpbpf_state_mailbox_drop(phpbpf_st->pool);
    if (!phpbpf_st->helper_running)
        return;
    phpbpf_st->helper_running = 0;
    if (phpbpf_st->registered)
        apr_proc_other_child_unregister(phpbpf_st);
    phpbpf_stop_process(phpbpf_st->helper.pid);
    remove_socket(0);
    apr_pool_destroy(phpbpf_st->head.hpool);
    phpbpf_st->head.hpool = NULL;
    phpbpf_state_remember_helper(0);
}

/* The helper's stdin: one line per Apache generation. */
static void tell_generation(void)
{
    char line[32];
    apr_size_t n = (apr_size_t)apr_snprintf(line, sizeof(line), "generation %u\n",
                                            phpbpf_st->sh->generation);

    apr_file_write(phpbpf_st->to_helper, line, &n);
}

static void helper_register(void)
{
    apr_proc_other_child_register(&phpbpf_st->helper, helper_maint, phpbpf_st, NULL, phpbpf_st->gen_pool);
    phpbpf_st->registered = 1;
}

static void helper_spawn(server_rec *s)
{
    apr_procattr_t *attr;
    apr_file_t *err;
    apr_status_t rv;
    /* A clean environment: the helper needs nothing from httpd's.  But
     * php-fpm's nonce, which the command line would show every user. */
    const char *env[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL, NULL };
    const char **argv;
    const int *mb = phpbpf_state_mailbox(phpbpf_st->pool);
    struct phpbpf_options spawn = { .delay_s = (uint64_t)phpbpf_st->backoff_s };
    int n = 0;

    apr_pool_create(&phpbpf_st->head.hpool, phpbpf_st->pool);
    env[1] = apr_psprintf(phpbpf_st->head.hpool, PHPBPF_FPM_NONCE_ENV "=%" APR_UINT64_T_HEX_FMT,
                          phpbpf_st->fpm_nonce);
    argv = apr_pcalloc(phpbpf_st->head.hpool, (PHPBPF_MAX_ARGS + 4) * sizeof(char *));
    while (phpbpf_st->argv[n]) {
        argv[n] = phpbpf_st->argv[n];
        n++;
    }
    /* What this spawn adds, which is not part of the helper's identity:
     * its backoff, and the maps of the helper before and the place for
     * this one's. */
    if (mb) {
        spawn.mailbox = apr_psprintf(phpbpf_st->head.hpool, "%d,%d", mb[1], mb[0]);
        fcntl(mb[0], F_SETFD, 0);
        fcntl(mb[1], F_SETFD, 0);
    }
    n = phpbpf_helper_arg(phpbpf_st->head.hpool, argv, n, &spawn, PHPBPF_OPT_delay_s);
    n = phpbpf_helper_arg(phpbpf_st->head.hpool, argv, n, &spawn, PHPBPF_OPT_mailbox);

    /* With ErrorLog syslog there is no error log file; a pipe nobody
     * reads would block the helper once full, so give it /dev/null and
     * let it log to syslog itself (--syslog). */
    err = s->error_log;
    if (!err && (rv = apr_file_open(&err, "/dev/null", APR_FOPEN_WRITE, APR_OS_DEFAULT,
                                    phpbpf_st->head.hpool)) != APR_SUCCESS)
        err = NULL;
    if ((rv = apr_procattr_create(&attr, phpbpf_st->head.hpool)) != APR_SUCCESS
        || (rv = apr_procattr_io_set(attr, APR_FULL_BLOCK, APR_FULL_BLOCK, APR_NO_PIPE))
           != APR_SUCCESS
        || (err && (rv = apr_procattr_child_err_set(attr, err, NULL)) != APR_SUCCESS)
        || (rv = apr_procattr_cmdtype_set(attr, APR_PROGRAM)) != APR_SUCCESS
        || (rv = apr_procattr_error_check_set(attr, 1)) != APR_SUCCESS
        || (rv = apr_proc_create(&phpbpf_st->helper, phpbpf_st->helper_path, argv, env, attr,
                                 phpbpf_st->head.hpool)) != APR_SUCCESS) {
        if (mb) {
            fcntl(mb[0], F_SETFD, FD_CLOEXEC);
            fcntl(mb[1], F_SETFD, FD_CLOEXEC);
        }
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s,
                     "mod_phpbpf: cannot start the helper %s; PHP tracing is unavailable",
                     phpbpf_st->helper_path);
        set_state(PHPBPF_HELPER_FAILED,
                  apr_psprintf(phpbpf_st->head.hpool, "cannot start the helper %s", phpbpf_st->helper_path));
        apr_pool_destroy(phpbpf_st->head.hpool);
        phpbpf_st->head.hpool = NULL;
        return;
    }
    if (mb) {
        fcntl(mb[0], F_SETFD, FD_CLOEXEC);
        fcntl(mb[1], F_SETFD, FD_CLOEXEC);
    }
    phpbpf_st->to_helper = phpbpf_st->helper.in;
    phpbpf_st->from_helper = phpbpf_st->helper.out;
    phpbpf_state_remember_helper(phpbpf_st->helper.pid);
    phpbpf_st->helper_running = 1;
    phpbpf_st->helper_spawned = apr_time_now();
    phpbpf_st->sh->helper_pid = (__u32)phpbpf_st->helper.pid;
    phpbpf_st->sh->helper_spawned_us = (__u64)phpbpf_st->helper_spawned;
    set_state(PHPBPF_HELPER_STARTING, NULL);
    tell_generation();
    helper_register();
}

/* The one line a failed helper left on its stdout. */
static const char *helper_failure_reason(apr_pool_t *p)
{
    char buf[512];
    apr_size_t n = sizeof(buf) - 1;

    apr_file_pipe_timeout_set(phpbpf_st->from_helper, 0);
    if (apr_file_read(phpbpf_st->from_helper, buf, &n) != APR_SUCCESS || n == 0)
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
        if (!phpbpf_st->helper_running)
            return;
        phpbpf_st->helper_running = 0;
        phpbpf_state_remember_helper(0);
        if (phpbpf_st->registered)
            apr_proc_other_child_unregister(phpbpf_st);
        /* The MPM hands over the exit code; apr_proc_other_child_refresh()
         * (at restart) the raw wait status. */
        if (reason == APR_OC_REASON_DEATH
            && (status == PHPBPF_EXIT_STARTUP || status == PHPBPF_EXIT_STARTUP << 8)) {
            /* Retrying would fail the same way; the helper logged why.
             * The one it was to replace goes too: its settings are not
             * the configured ones. */
            retired_stop();
            set_state(PHPBPF_HELPER_FAILED, helper_failure_reason(phpbpf_st->pool));
            apr_pool_destroy(phpbpf_st->head.hpool);
            phpbpf_st->head.hpool = NULL;
            return;
        }
        remove_socket(1);
        apr_pool_destroy(phpbpf_st->head.hpool);
        phpbpf_st->head.hpool = NULL;
        if (apr_time_now() - phpbpf_st->helper_spawned > apr_time_from_sec(PHPBPF_BACKOFF_MAX_S))
            phpbpf_st->backoff_s = 0;
        else
            phpbpf_st->backoff_s = phpbpf_st->backoff_s ? phpbpf_st->backoff_s * 2 : 1;
        if (phpbpf_st->backoff_s > PHPBPF_BACKOFF_MAX_S)
            phpbpf_st->backoff_s = PHPBPF_BACKOFF_MAX_S;
        ap_mpm_query(AP_MPMQ_MPM_STATE, &mpm_state);
        if (phpbpf_st->stopping || mpm_state == AP_MPMQ_STOPPING)
            return;
        phpbpf_st->sh->restarts++;
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s,
                     "mod_phpbpf: helper pid %d died (exit code or signal %d); "
                     "PHP requests in flight are not counted; restarting it%s%s",
                     (int)phpbpf_st->helper.pid, (int)status, phpbpf_st->backoff_s ? " in " : "",
                     phpbpf_st->backoff_s ? apr_psprintf(phpbpf_st->pool, "%ds", phpbpf_st->backoff_s) : "");
        helper_spawn(s);
        if (phpbpf_st->helper_running)
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
        phpbpf_st->registered = 0;
        if (getpid() == phpbpf_st->parent_pid && ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_EXITING)
            retired_stop();
        if (phpbpf_st->helper_running && getpid() == phpbpf_st->parent_pid
            && ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_EXITING) {
            phpbpf_st->stopping = 1;
            phpbpf_st->helper_running = 0;
            phpbpf_stop_process(phpbpf_st->helper.pid);
            remove_socket(0);
        }
        break;
    }
}

/* Into the process pool: a respawned helper may need these long after this
 * generation's pools are gone. */
static void store_argv(const char *const *argv)
{
    const char **copy = apr_pcalloc(phpbpf_st->pool, PHPBPF_MAX_ARGS * sizeof(char *));
    int i;

    for (i = 0; argv[i]; i++)
        copy[i] = apr_pstrdup(phpbpf_st->pool, argv[i]);
    phpbpf_st->argv = copy;
    phpbpf_st->helper_path = copy[0];
}

void phpbpf_helper_stop(void)
{
    helper_kill();
}

void phpbpf_supervise(server_rec *s, const char *cmd, const char *const *argv,
                      const char *sock, const char *lib_shown)
{
    /* It may have died between generations, while nobody was registered
     * to hear of it. */
    if (phpbpf_st->helper_running && kill(phpbpf_st->helper.pid, 0) != 0)
        phpbpf_st->helper_running = 0;
    if (phpbpf_st->helper_running && phpbpf_st->helper_cmd && strcmp(phpbpf_st->helper_cmd, cmd) == 0) {
        tell_generation();
        helper_register();
        /* Same file, maybe by another path: a respawn must use this one. */
        if (strcmp(phpbpf_st->argv[PHPBPF_ARG_LIBRARY], argv[PHPBPF_ARG_LIBRARY]) != 0)
            store_argv(argv);
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, s,
                     "mod_phpbpf: keeping helper pid %d and its counters", (int)phpbpf_st->helper.pid);
        return;
    }
    if (phpbpf_st->helper_running)
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s,
                     "mod_phpbpf: helper settings or %s changed; a new helper takes over", lib_shown);
    helper_retire();
    store_argv(argv);
    phpbpf_st->helper_cmd = apr_pstrdup(phpbpf_st->pool, cmd);
    phpbpf_st->socket_path = apr_pstrdup(phpbpf_st->pool, sock);
    phpbpf_st->backoff_s = 0;
    helper_spawn(s);
}
