#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "apr_strings.h"

#include "state.h"

APLOG_USE_MODULE(phpbpf);

phpbpf_proc *phpbpf_st;
int phpbpf_on;
int phpbpf_fpm_on;
int phpbpf_threaded;
int phpbpf_slot_on;

#define PHPBPF_HELPER_PID_KEY "phpbpf_helper_pid"
/* Every build reads this key alike: {read end, write end}, or NULL. */
#define PHPBPF_MAILBOX_KEY "phpbpf_mailbox"

const int *phpbpf_state_mailbox(apr_pool_t *pp)
{
    int *mb = NULL;

    apr_pool_userdata_get((void **)&mb, PHPBPF_MAILBOX_KEY, pp);
    if (mb && mb[0] >= 0)
        return mb;
    if (!mb)
        mb = apr_palloc(pp, 2 * sizeof(int));
    /* Datagrams, so each helper's set is one message; CLOEXEC, so nothing
     * httpd execs inherits it (the spawn clears it for the helper alone). */
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, mb) != 0)
        mb[0] = mb[1] = -1;
    apr_pool_userdata_set(mb, PHPBPF_MAILBOX_KEY, apr_pool_cleanup_null, pp);
    return mb[0] >= 0 ? mb : NULL;
}

void phpbpf_state_mailbox_drop(apr_pool_t *pp)
{
    int *mb = NULL;

    apr_pool_userdata_get((void **)&mb, PHPBPF_MAILBOX_KEY, pp);
    if (!mb || mb[0] < 0)
        return;
    close(mb[0]);
    close(mb[1]);
    mb[0] = mb[1] = -1;
}

void phpbpf_state_remember_helper(pid_t pid)
{
    apr_pool_userdata_set((void *)(intptr_t)pid, PHPBPF_HELPER_PID_KEY, apr_pool_cleanup_null,
                          phpbpf_st->pool);
}

/* A parent that waited without a bound could hang on a stuck helper. */
void phpbpf_stop_process(pid_t pid)
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
        phpbpf_stop_process(pid);
    }
    apr_pool_userdata_set(NULL, PHPBPF_HELPER_PID_KEY, apr_pool_cleanup_null, s->process->pool);
}

/* One key for every build: what is stored under it says which build made
 * it, so reuse is decided by its magic and sizes, never by the key alone. */
#define PHPBPF_STATE_KEY "phpbpf_state"

static int state_is_ours(const phpbpf_proc *ps)
{
    return ps->head.magic == PHPBPF_SHM_MAGIC && ps->head.size == sizeof(*ps) && ps->head.shm
           && phpbpf_shm_is_ours(apr_shm_baseaddr_get(ps->head.shm),
                                 apr_shm_size_get(ps->head.shm));
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
    /* Its helper's maps go with it: PHP-side counters start again too. */
    phpbpf_state_mailbox_drop(s->process->pool);
    if (old->shm)
        apr_shm_destroy(old->shm);
    memset(old, 0, sizeof(*old));
}

phpbpf_proc *phpbpf_state_open(server_rec *s, int cap)
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
    phpbpf_shm_init(ps->sh, size, (__u32)cap, (__u64)apr_time_now());
    /* Allocated once from the process pool, so every child of every
     * generation has it at this same address: the helper learns it once. */
    ps->slot = apr_pcalloc(pp, sizeof(*ps->slot));
    /* php-fpm's nonce (bpf/phpbpf.h): for as long as this httpd runs, so
     * a request in flight through a helper's replacement still counts. */
    while (!ps->fpm_nonce)
        if (apr_generate_random_bytes((unsigned char *)&ps->fpm_nonce, sizeof(ps->fpm_nonce))
            != APR_SUCCESS)
            ps->fpm_nonce = (apr_uint64_t)apr_time_now() ^ ((apr_uint64_t)getpid() << 40);
    apr_pool_userdata_set(ps, PHPBPF_STATE_KEY, apr_pool_cleanup_null, pp);
    return ps;
}
