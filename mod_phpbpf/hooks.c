#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_protocol.h"
#include "apr_strings.h"

#include "config.h"
#include "fpm.h"
#include "hooks.h"
#include "phperror.h"
#include "state.h"

/* Set by phpbpf_error_log() on a request that died of an uncaught
 * exception; counted at log time if the request ended 5xx. */
#define PHPBPF_NOTE_UNCAUGHT "phpbpf-uncaught-exception"

/* The errors PHP logged for this request (phpbpf_error_log counts them). */
#define PHPBPF_NOTE_ERRORS "phpbpf-errors"

/* This child's part of every php-fpm token: the nonce and its pid. */
static char fpm_prefix[PHPBPF_FPM_PREFIX_LEN];

void phpbpf_child_init(apr_pool_t *p, server_rec *s)
{
    phpbpf_proc *st = phpbpf_st;

    (void)p;
    (void)s;
    if (!st)
        return;
    phpbpf_fpm_token_prefix(fpm_prefix, st->fpm_nonce, (__u32)getpid());
    /* Request numbers unique across children and time, not just within
     * this child: the slow log joins on (pid, seq), and pids are reused. */
    st->slot->seq = (__u64)apr_time_now() << 8;
    /* The helper's pipes are the parent's business only (under -X the
     * parent is the child, and keeps them). */
    if (st->helper_running && getpid() != st->parent_pid) {
        apr_file_close(st->to_helper);
        apr_file_close(st->from_helper);
    }
    /* Nor the helpers' mailbox: it holds the BPF maps' descriptors, which
     * PHP code must never get at.  Before any request runs. */
    if (getpid() != st->parent_pid)
        phpbpf_state_mailbox_drop(st->pool);
}

/* The vhost's index in the shared table, (other) if it has none. */
static __u32 vhost_of(const server_rec *s)
{
    __u32 idx = phpbpf_sconf(s)->vhost_idx;

    return idx < phpbpf_st->sh->nvhosts ? idx : PHPBPF_VHOST_OTHER;
}

/* A plain store into this child's copy of the slot: the BPF programs read
 * it when PHP starts, which costs no probe of our own.  The vhost is
 * looked up here once; log_transaction takes it from the slot, so both
 * sides count the request under the same vhost. */
int phpbpf_post_read_request(request_rec *r)
{
    struct phpbpf_slot *slot;

    /* A threaded MPM runs no mod_php: no program reads the slot, which
     * is one per process (phpbpf_slot_on is 0 then). */
    if (!phpbpf_slot_on || r->main || r->prev)
        return DECLINED;
    slot = phpbpf_st->slot;
    slot->vhost = vhost_of(r->server);
    slot->request_time_us = (__u64)r->request_time;
    /* The route is the BPF side's to make from these (bpf/php_routes.bpf.h). */
    slot->path = (__u64)(uintptr_t)r->parsed_uri.path;
    slot->query = (__u64)(uintptr_t)r->parsed_uri.query;
    slot->seq++;
    return DECLINED;
}

static __u32 method_of(const request_rec *r)
{
    if (r->header_only && r->method_number == M_GET)
        return PHPBPF_M_HEAD;
    switch (r->method_number) {
    case M_GET: return PHPBPF_M_GET;
    case M_POST: return PHPBPF_M_POST;
    default: return PHPBPF_M_OTHER;
    }
}

/* A note on the request or on any internal redirect of it. */
static int chain_has_note(request_rec *r, const char *key)
{
    for (; r; r = r->next)
        if (apr_table_get(r->notes, key))
            return 1;
    return 0;
}

#define PHPBPF_NOTE_PHP "mod_php_memory_usage"

/* mod_php leaves this note on every request it ran, when PHP is done: on
 * the request it ran in (the last of a redirect chain), nearly always the
 * newest note there.  Looked for there first, which is one compare, not a
 * table lookup; then everywhere. */
static int ran_php(request_rec *r, request_rec *last)
{
    const apr_array_header_t *a = apr_table_elts(last->notes);

    if (a->nelts > 0) {
        const apr_table_entry_t *e = &((const apr_table_entry_t *)(void *)a->elts)[a->nelts - 1];

        if (e->key && strcmp(e->key, PHPBPF_NOTE_PHP) == 0)
            return 1;
    }
    return chain_has_note(r, PHPBPF_NOTE_PHP);
}

/* The path the client asked for (see phpbpf_shm_request). */
static inline const char *client_path(const request_rec *r)
{
    return r->parsed_uri.path ? r->parsed_uri.path : r->uri ? r->uri : "";
}

static int log_php(request_rec *r) __attribute__((noinline));

static void note_slow(request_rec *r, __u64 apache_us, __u32 vhost, __u32 status, __u64 seq)
    __attribute__((noinline, cold));

/* Out of line, with the request built again: on the path of every request
 * the record stays in registers (nothing takes its address). */
static void note_slow(request_rec *r, __u64 apache_us, __u32 vhost, __u32 status, __u64 seq)
{
    const char *errs = apr_table_get(r->notes, PHPBPF_NOTE_ERRORS);
    struct phpbpf_shm_request q = {
        .time_us = (__u64)r->request_time,
        .apache_us = apache_us,
        .vhost = vhost,
        .status = status,
        .method_name = r->method ? r->method : "",
        .uri = client_path(r),
        .args = r->parsed_uri.query,
    };

    phpbpf_shm_note_slow(phpbpf_st->sh, &q, (__u32)getpid(), seq, errs ? (__u32)atoi(errs) : 0);
}

/* A request proxied to a php-fpm pool: what its token said, for the log. */
struct phpbpf_fpm_req {
    __u64 seq;
    __u32 vhost, pool;
    char token[PHPBPF_FPM_TOKEN_LEN + 1];
};

/* Before mod_proxy's handler: a request for one of our pools gets its
 * token, as a FastCGI parameter (mod_proxy_fcgi sends subprocess_env).
 * A subrequest's (mod_dir's lookup of index.php) comes to the request
 * with it, by ap_internal_fast_redirect.  Hooked only where there are
 * pools (mod_phpbpf.c), so that mod_php's requests do not pay the call. */
int phpbpf_fixups(request_rec *r)
{
    struct phpbpf_fpm_req *q;
    int pool;

    if (!phpbpf_enabled() || !phpbpf_fpm_on
        || ap_get_module_config(r->request_config, &phpbpf_module)
        || (pool = phpbpf_fpm_pool_of(r)) < 0)
        return DECLINED;
    q = apr_palloc(r->pool, sizeof(*q));
    q->vhost = vhost_of(r->server);
    q->pool = (__u32)pool;
    /* Unique in this process, among its threads, for 2^32 requests: the
     * token carries the low 32 bits, and the slow log joins on them. */
    q->seq = (__u32)__atomic_add_fetch(&phpbpf_st->slot->seq, 1, __ATOMIC_RELAXED);
    phpbpf_fpm_token(q->token, fpm_prefix, phpbpf_sconf(r->server)->vhost_hex, q->seq,
                     (__u64)r->request_time);
    /* addn: nothing has set it (the config check above), no scan. */
    apr_table_addn(r->subprocess_env, PHPBPF_FPM_PARAM, q->token);
    ap_set_module_config(r->request_config, &phpbpf_module, q);
    return DECLINED;
}

/* One PHP request as Apache logged it, into the shared counters, the
 * recent ring and, if slow, the slow log: mod_php's (the slot's vhost and
 * number) and php-fpm's (its token's) alike.  Inlined in each, so that
 * the record stays in registers. */
static inline __attribute__((always_inline)) int log_request(request_rec *r, request_rec *last,
                                                             __u32 vhost, __u32 via, __u64 seq)
{
    struct phpbpf_shared *sh = phpbpf_st->sh;
    struct phpbpf_shm_request q;
    /* Wall-clock time, as %D: if the clock stepped back, count 0 rather
     * than a sample of 584,000 years that would own max forever. */
    apr_time_t now = apr_time_now();

    q = (struct phpbpf_shm_request){
        .time_us = (__u64)r->request_time,
        .apache_us = now > r->request_time ? (__u64)(now - r->request_time) : 0,
        .vhost = vhost,
        .status = (__u32)last->status,
        .method = method_of(r),
        .uncaught = last->status >= 500 && chain_has_note(r, PHPBPF_NOTE_UNCAUGHT),
        .via = via,
        .method_name = r->method ? r->method : "",
        .host = r->hostname ? r->hostname : "",
        .uri = client_path(r),
        .args = r->parsed_uri.query,
        .script = r->uri,
    };
    phpbpf_shm_count_request(sh, &q);
    phpbpf_shm_note_recent(sh, &q);
    if (sh->slow_us && q.apache_us >= sh->slow_us)
        note_slow(r, q.apache_us, q.vhost, q.status, seq);
    return DECLINED;
}

static int log_fpm(request_rec *r, request_rec *last, const struct phpbpf_fpm_req *fq)
    __attribute__((noinline));

/* A request PHP ran in php-fpm: the vhost and number are the token's,
 * and the slot is not touched (threads share it). */
static int log_fpm(request_rec *r, request_rec *last, const struct phpbpf_fpm_req *fq)
{
    return log_request(r, last, fq->vhost, 2u << fq->pool, fq->seq);
}

/* The request's token, on it or on the request it was redirected to. */
static const struct phpbpf_fpm_req *fpm_req(request_rec *r)
{
    const struct phpbpf_fpm_req *q = NULL;

    for (; r && !q; r = r->next)
        q = ap_get_module_config(r->request_config, &phpbpf_module);
    return q;
}

/* The hook itself is only the test, so that PhpBpf Off (and a request
 * that is not PHP's) pays for no frame of the work below. */
int phpbpf_log_transaction(request_rec *r)
{
    const struct phpbpf_fpm_req *fq;

    if (!phpbpf_enabled())
        return DECLINED;
    if (phpbpf_fpm_on && (fq = fpm_req(r))) {
        request_rec *last = r;

        while (last->next)
            last = last->next;
        return log_fpm(r, last, fq);
    }
    return log_php(r);
}

static int log_php(request_rec *r)
{
    struct phpbpf_slot *slot;
    request_rec *last = r;

    while (last->next)
        last = last->next;
    if (!ran_php(r, last))
        return DECLINED;
    slot = phpbpf_st->slot;
    /* The BPF side counts what it did not see of this child from this
     * (a helper's gap): see phpbpf_slot. */
    slot->php_logged++;
    return log_request(r, last, slot->vhost, 1, slot->seq);
}

/* PHP's errors reach us as mod_php's lines in the error log (log_errors
 * On, at or above LogLevel): count them per vhost and per message, and
 * mark requests that died of an uncaught exception. */
/* One of PHP's error lines, of request r. */
static void count_error(request_rec *r, const char *text)
{
    struct phpbpf_php_error e;
    request_rec *top;
    const char *n;

    if (phpbpf_parse_php_error(text, &e) != 0)
        return;
    phpbpf_shm_count_error(phpbpf_st->sh, vhost_of(r->server), &e);
    /* For the request's route, which the BPF side counts: see phpbpf_slot. */
    if (!phpbpf_threaded)
        phpbpf_st->slot->php_errors++;
    /* Notes go on the initial request, which log_transaction sees, also
     * when PHP ran in an internal redirect (front controllers). */
    top = r;
    while (top->main)
        top = top->main;
    while (top->prev)
        top = top->prev;
    n = apr_table_get(top->notes, PHPBPF_NOTE_ERRORS);
    apr_table_set(top->notes, PHPBPF_NOTE_ERRORS, apr_itoa(top->pool, n ? atoi(n) + 1 : 1));
    if (e.uncaught)
        apr_table_setn(top->notes, PHPBPF_NOTE_UNCAUGHT, "1");
}

/* php-fpm sends PHP's lines on FastCGI's stderr, and mod_proxy_fcgi logs
 * those of a request as one line: AH01071: Got error 'PHP message: LINE;
 * PHP message: LINE...'. */
#define PHPBPF_FCGI_ERRORS "AH01071: Got error 'PHP message: "
#define PHPBPF_FCGI_NEXT "; PHP message: "

void phpbpf_error_log(const ap_errorlog_info *info, const char *errstr)
{
    char text[MAX_STRING_LEN], *p, *next;
    size_t n;

    if (!info->r || !phpbpf_enabled())
        return;
    /* PHP's text, not Apache's escaped copy of it: every format escapes
     * it once, its own way. */
    if (strncmp(errstr, "PHP ", 4) == 0) {
        phpbpf_log_unescape(errstr, text, sizeof(text));
        count_error((request_rec *)info->r, text);
        return;
    }
    if (!phpbpf_fpm_on || strncmp(errstr, PHPBPF_FCGI_ERRORS, sizeof(PHPBPF_FCGI_ERRORS) - 1) != 0)
        return;
    phpbpf_log_unescape(errstr + sizeof(PHPBPF_FCGI_ERRORS) - 1, text, sizeof(text));
    if ((n = strlen(text)) && text[n - 1] == '\'')
        text[n - 1] = '\0';
    for (p = text; p; p = next) {
        if ((next = strstr(p, PHPBPF_FCGI_NEXT))) {
            *next = '\0';
            next += sizeof(PHPBPF_FCGI_NEXT) - 1;
        }
        count_error((request_rec *)info->r, p);
    }
}
