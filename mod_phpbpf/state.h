/* What outlives an Apache generation, in the process pool: the shared
 * segment, the slot, and the helper's supervision state.  The helper, its
 * counters and the slot address survive graceful and plain restarts; an
 * upgrade to a build with another layout retires them. */
#ifndef PHPBPF_STATE_H
#define PHPBPF_STATE_H

#include <sys/types.h>

#include "httpd.h"
#include "apr_shm.h"
#include "apr_thread_proc.h"

#include "shm.h"

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
    /* the helper being replaced: it traces on until its successor has
     * taken its maps over, and is then stopped by it (helper/carry.h) */
    apr_proc_t retired;
    apr_pool_t *retired_pool;
    const char *socket_path;
    apr_time_t helper_spawned;
    int backoff_s;
    int stopping;
    /* what the next spawn uses, refreshed each generation */
    const char *const *argv;
    const char *helper_path;
    apr_uint64_t fpm_nonce;       /* php-fpm requests' (bpf/phpbpf.h); never 0 */
    /* php-fpm: the binaries the helper traces, as "dev:ino ...", which the
     * parent's monitor compares with what the pools run now (fpm.h). */
    const char *fpm_identity;
} phpbpf_proc;

/* This process's state: NULL before the first post_config that serves. */
extern phpbpf_proc *phpbpf_st;

/* Set in post_config, before the children fork: 0 with PhpBpf Off.  A
 * static of its own, so that with PhpBpf Off the request hooks touch no
 * page but the module's: a prefork child finds every other page cold (its
 * own TLB, caches shared with the children that ran since). */
extern int phpbpf_on;

/* Set in post_config too: the server proxies PHP to php-fpm pools
 * (fpm.h); a threaded MPM, where the slot (one per process) is not used;
 * and phpbpf_on without a threaded MPM, the one load post_read_request
 * makes. */
extern int phpbpf_fpm_on;
extern int phpbpf_threaded;
extern int phpbpf_slot_on;

/* Set only once phpbpf_st is: one load on every request. */
static inline int phpbpf_enabled(void)
{
    return phpbpf_on;
}

/* This build's state, found or made in s->process->pool with a segment for
 * cap vhosts; another build's is retired and its helper stopped.  NULL if
 * no shared memory could be had (logged). */
phpbpf_proc *phpbpf_state_open(server_rec *s, int cap);

/* Where the running helper's pid is kept, in a form every build of the
 * module can read, so that a new build can stop an old build's helper. */
void phpbpf_state_remember_helper(pid_t pid);

/* SIGTERM, then SIGKILL if it has not gone in a second, and reaped. */
void phpbpf_stop_process(pid_t pid);

/* The helpers' mailbox (helper/carry.h): a socketpair the parent keeps,
 * both ends, for as long as httpd runs and traces, whatever build of the
 * module is loaded; made on first use.  NULL if none can be had. */
const int *phpbpf_state_mailbox(apr_pool_t *process_pool);

/* Closes it: the maps in it, and their history, go (PhpBpf Off, another
 * layout).  In children: they must never hold it. */
void phpbpf_state_mailbox_drop(apr_pool_t *process_pool);

#endif
