// SPDX-License-Identifier: Apache-2.0
/* PHP request latency per Apache vhost, from mod_php's own USDT probes.
 *
 * Exactly two probe hits per PHP request: request__startup records the start
 * time and the vhost the Apache module wrote into its slot; request__shutdown
 * adds the PHP time to that vhost's histogram.  Both programs are attached
 * once, system-wide, to the libphp file; processes that are not children of
 * our httpd parent are rejected first, with one task_struct read.
 *
 * A request in flight lives in task-local storage, not a hash keyed by tid:
 * finding it is a pointer load from the task instead of a hash lookup, the
 * entry is made once per httpd child and reused for all its requests
 * instead of inserted and deleted each time, and it goes away with the
 * task, so a child that dies mid-request leaves nothing behind.
 */
#include "phpbpf.bpf.h"
#include "php_routes.bpf.h"

/* Once in the linked object: the files are parts of one program. */
char LICENSE[] SEC("license") = "GPL";

/* Run once by the helper (BPF_PROG_RUN), in its own context: its parent is
 * the httpd parent. */
SEC("syscall")
int php_whoami(void *ctx)
{
    struct task_struct *self = bpf_get_current_task_btf();

    (void)ctx;
    httpd_pid = BPF_CORE_READ(self, real_parent, tgid);
    return 0;
}

struct fpm_token {
    __u64 seq, req_time_us, uri, script;
    __u32 vhost, apid;
};

/* A FastCGI parameter of php-fpm's request req (a fcgi_request): the
 * hash php-fpm files it under, its name's length and first (up to) 8
 * bytes; its value and length, or -1. */
static __always_inline int fcgi_param(__u64 req, __u32 hash, __u32 name_len, __u64 name8,
                                      __u64 *val, __u32 *val_len)
{
    /* fcgi_hash_bucket, read whole: each read of another process's page
     * is most of a read's cost, whatever its size. */
    struct {
        __u32 hash, var_len;
        __u64 var;
        __u32 val_len, pad;
        __u64 val, next;
    } bk;
    __u64 b = 0;
    int i;

    if (bpf_probe_read_user(&b, sizeof(b), (void *)(req + PHPBPF_FCGI_REQ_ENV
                                                   + (hash & PHPBPF_FCGI_HASH_MASK) * 8)))
        return -1;
    /* The bucket's chain: a few parameters share a slot of 128. */
    for (i = 0; i < 8 && b; i++) {
        __u64 var = 0;

        if (bpf_probe_read_user(&bk, sizeof(bk), (void *)b))
            return -1;
        if (bk.hash == hash && bk.var_len == name_len
            && !bpf_probe_read_user(&var, name_len < 8 ? name_len + 1 : 8, (void *)bk.var)
            && var == name8) {
            *val = bk.val;
            *val_len = bk.val_len;
            return 0;
        }
        b = bk.next;
    }
    return -1;
}

/* FCGI_HASH_FUNC of "REQUEST_URI", and its first 8 bytes, little-endian. */
#define FCGI_REQUEST_URI_HASH (('U' << 2) + ('R' << 4) + ('I' << 2) + 11)
#define FCGI_REQUEST_URI_8 0x5f54534555514552ULL
/* "PHPBPF" and its NUL. */
#define FCGI_PHPBPF_8 0x465042504850ULL
/* "SCRIPT_FILENAME", its first 8 bytes. */
#define FCGI_SCRIPT_FILENAME_HASH (('I' << 2) + ('M' << 4) + ('E' << 2) + 15)
#define FCGI_SCRIPT_FILENAME_8 0x465f545049524353ULL

/* The token of this php-fpm request, if it is ours (phpbpf.h): binary k
 * (the attach cookie), whose load address is the probe's own address less
 * its file address.  PHP's globals are worked out the same way, and the
 * route's path is the client's, REQUEST_URI (its query string after a
 * '?', which the route reader splits off). */
static __always_inline int fpm_token(struct pt_regs *ctx, __u64 k, struct phpbpf_inflight *f,
                                     struct fpm_token *t)
{
    char tok[PHPBPF_FPM_TOKEN_BUF] = {};
    const volatile struct phpbpf_fpm_target *tg;
    __u64 bias, req = 0, val = 0;
    __u32 len = 0;

    if (k == 0 || k > PHPBPF_FPM_MAX)
        return -1;
    tg = &fpm_targets[(k - 1) & (PHPBPF_FPM_MAX - 1)];
    bias = PT_REGS_IP(ctx) - tg->startup_pc;
    f->eg = tg->eg ? bias + tg->eg : 0;
    f->sg = tg->sg ? bias + tg->sg : 0;
    f->ex_lo = bias + tg->ex_lo;
    f->ex_hi = bias + tg->ex_hi;
    if (!f->sg || bpf_probe_read_user(&req, sizeof(req), (void *)(f->sg + PHPBPF_SG_SERVER_CONTEXT))
        || !req
        || fcgi_param(req, PHPBPF_FPM_PARAM_HASH, sizeof(PHPBPF_FPM_PARAM) - 1, FCGI_PHPBPF_8, &val,
                      &len)
        || len != PHPBPF_FPM_TOKEN_LEN
        || bpf_probe_read_user(tok, PHPBPF_FPM_TOKEN_LEN, (void *)val)
        || phpbpf_fpm_hex_field(tok, 0, 16) != fpm_nonce)
        return -1;
    t->vhost = (__u32)phpbpf_fpm_hex_field(tok, 16, 8);
    t->apid = (__u32)phpbpf_fpm_hex_field(tok, 24, 8);
    t->seq = phpbpf_fpm_hex_field(tok, 32, 8);
    t->req_time_us = phpbpf_fpm_time(phpbpf_fpm_hex_field(tok, 40, 8),
                                     (bpf_ktime_get_ns() + (__u64)wall_offset_ns) / 1000);
    t->uri = 0;
    /* php-fpm's request__shutdown names no script: by then php-fpm has
     * closed the request (its parameters' hash cleared, path_translated
     * freed).  The parameters' strings stay in their memory until the
     * worker reads its next request: SCRIPT_FILENAME's pointer now, for
     * the slow log, its text at the end, as REQUEST_URI's for routes. */
    t->script = 0;
    if (slow_us && !fcgi_param(req, FCGI_SCRIPT_FILENAME_HASH, 15, FCGI_SCRIPT_FILENAME_8, &val, &len))
        t->script = val;
    if (!fcgi_param(req, FCGI_REQUEST_URI_HASH, 11, FCGI_REQUEST_URI_8, &val, &len))
        t->uri = val;
    return 0;
}

/* A php-fpm worker's request: ours if it carries our token, and then its
 * master is one of ours (task_is_ours). */
static __always_inline struct phpbpf_inflight *fpm_startup(struct pt_regs *ctx, struct task_struct *task,
                                                           __u64 k)
{
    struct phpbpf_inflight *f, scratch = {};
    struct fpm_token t;
    __u32 master = (__u32)task->real_parent->tgid, i, known = 0;

    f = task_state(task);
    if (fpm_token(ctx, k, f ? f : &scratch, &t) != 0) {
        __sync_fetch_and_add(&counters.fpm_foreign, 1);
        if (f)
            f->start_ns = 0;
        return NULL;
    }
    if (!f) {
        if (!(f = task_state_make(task)))
            return NULL;
        f->eg = scratch.eg;
        f->sg = scratch.sg;
        f->ex_lo = scratch.ex_lo;
        f->ex_hi = scratch.ex_hi;
    }
    for (i = 0; i < PHPBPF_FPM_MASTERS; i++)
        if (fpm_masters[i] == master)
            known = 1;
    if (!known)
        fpm_masters[__sync_fetch_and_add(&fpm_next, 1) % PHPBPF_FPM_MASTERS] = master;
    f->fpm = 1;
    f->apid = t.apid;
    f->vhost = t.vhost;
    f->seq = t.seq;
    f->req_time_us = t.req_time_us;
    f->path = t.uri;
    f->query = 0;
    f->script = t.script;
    f->errors_at = 0;
    return f;
}

SEC("usdt")
int php_request_startup(struct pt_regs *ctx)
{
    struct task_struct *task = bpf_get_current_task_btf();
    struct phpbpf_inflight *f;
    struct phpbpf_slot slot;
    __u64 now, k = fpm_on && usdt_args ? bpf_usdt_cookie(ctx) : 0;

    PHPBPF_GATE();
    __sync_fetch_and_add(&counters.hits, 1);
    if (k) {
        /* An unfinished request of this worker is not counted lost: a
         * foreign one leaves start_ns 0, and fpm kills a worker
         * mid-request only past request_terminate_timeout. */
        f = fpm_startup(ctx, task, k);
        if (!f)
            return 0;
        goto started;
    }
    f = task_state(task);
    if (!f) {
        /* The first request of this process since the helper started:
         * the only time the parent check runs for one of ours. */
        if (!task_is_ours(task)) {
            __sync_fetch_and_add(&counters.foreign, 1);
            return 0;
        }
        if (!(f = task_state_make(task)))
            return 0;
    }
    /* The last request of this task started and never ended, as far as
     * any program of ours saw: its end fell between a helper's death and
     * its successor. */
    if (f->start_ns) {
        struct phpbpf_vstats *v = bpf_map_lookup_elem(&vstats, &f->vhost);

        __sync_fetch_and_add(&counters.unfinished, 1);
        if (v)
            __sync_fetch_and_add(&v->lost, 1);
    }
    f->fpm = 0;
    f->eg = eg_addr;
    f->sg = sg_addr;
    f->ex_lo = execute_ex_lo;
    f->ex_hi = execute_ex_hi;
    if (bpf_probe_read_user(&slot, sizeof(slot), (void *)slot_addr) == 0
        && slot.magic == PHPBPF_SLOT_MAGIC) {
        /* What this child logged since the last startup seen here, beyond
         * that one request, no program of ours saw at all. */
        __s64 missed = (__s64)(slot.php_logged - (f->seen ? f->logged + 1 : 0));

        if (missed > 0)
            __sync_fetch_and_add(&counters.missed, (__u64)missed);
        f->seen = 1;
        f->logged = slot.php_logged;
        f->vhost = slot.vhost;
        f->seq = slot.seq;
        f->req_time_us = slot.request_time_us;
        f->path = slot.path;
        f->query = slot.query;
        f->errors_at = slot.php_errors;
    }
    else {
        f->vhost = PHPBPF_VHOST_OTHER;
        f->seq = 0;
        f->req_time_us = f->path = f->query = 0;
        __sync_fetch_and_add(&counters.unattributed, 1);
    }
started:
    now = bpf_ktime_get_ns();
    f->start_ns = now;
    f->cpu_ts = now;
    f->on_ns = f->off_ns = 0;
    f->compile_start_ns = f->compile_us = 0;
    f->q_start_ns = 0;          /* a statement a bailout left open */
    f->q_depth = 0;
    f->exc_thrown = 0;
    f->bt_taken = 0;
    if (cpu_tracing) {
        __builtin_memset(f->wait_ns, 0, sizeof(f->wait_ns));
        __builtin_memset(f->waits, 0, sizeof(f->waits));
    }
    __sync_fetch_and_add(&counters.startups, 1);
    return 0;
}

/* A request whose start no program of ours saw (it fell between a
 * helper's death and its successor), charged to the vhost in the slot. */
static __always_inline void lost_in_slot_vhost(void)
{
    struct phpbpf_vstats *v;
    struct phpbpf_slot slot;

    if (bpf_probe_read_user(&slot, sizeof(slot), (void *)slot_addr) == 0
        && slot.magic == PHPBPF_SLOT_MAGIC && (v = bpf_map_lookup_elem(&vstats, &slot.vhost)))
        __sync_fetch_and_add(&v->lost, 1);
}

/* The probe's own arguments name the request: file, URI (PHP's
 * request_uri, r->uri: no query string) and method.  Read only for the
 * rare slow request. */
/* Where the request's script, URI or method is: the USDT probe's argument
 * i, or without USDT notes the same field of SG(request_info), at sg_off.
 * 0 if neither can be had. */
static __always_inline __u64 request_str(struct pt_regs *ctx, const struct phpbpf_inflight *f,
                                         int i, __u64 sg_off)
{
    long arg = 0;
    __u64 p = 0;

    if (usdt_args)
        return bpf_usdt_arg(ctx, i, &arg) == 0 ? (__u64)arg : 0;
    if (!f->sg || bpf_probe_read_user(&p, sizeof(p), (void *)(f->sg + sg_off)) != 0)
        return 0;
    return p;
}

static __always_inline void slow_event(struct pt_regs *ctx, struct phpbpf_inflight *f, __u32 pid,
                                       __u64 php_us, __u64 on_us, __u64 off_us,
                                       const char *route)
{
    struct phpbpf_slow_event *e;
    __u64 str;

    e = bpf_ringbuf_reserve(&slow_events, sizeof(*e), 0);
    if (!e) {
        __sync_fetch_and_add(&counters.slow_lost, 1);
        return;
    }
    e->seq = f->seq;
    e->pid = pid;
    /* The helper joins the request's events by pid, the module joins it
     * with Apache's record by ns_pid: the pid as httpd's namespace has it,
     * and for php-fpm the Apache child's, from the token. */
    e->ns_pid = f->fpm ? f->apid : pid;
    if (pidns_ino && !f->fpm) {
        struct bpf_pidns_info ns;

        if (!bpf_get_ns_current_pid_tgid(pidns_dev, pidns_ino, &ns, sizeof(ns)))
            e->ns_pid = ns.tgid;
    }
    e->vhost = f->vhost;
    e->php_us = php_us;
    e->compile_us = f->compile_us;
    e->on_us = cpu_tracing ? on_us : 0;
    e->off_us = cpu_tracing ? off_us : 0;
    if (cpu_tracing) {
        int k;

        for (k = 0; k < PHPBPF_WAIT_CLASSES; k++) {
            e->wait_us[k] = f->wait_ns[k] / 1000;
            e->waits[k] = f->waits[k];
        }
    }
    else {
        __builtin_memset(e->wait_us, 0, sizeof(e->wait_us));
        __builtin_memset(e->waits, 0, sizeof(e->waits));
    }
    e->exc_thrown = f->exc_thrown;
    if (route)
        __builtin_memcpy(e->route, route, sizeof(e->route));
    else
        e->route[0] = '\0';
    e->script[0] = e->uri[0] = e->method[0] = '\0';
    if (f->fpm) {
        if (f->script)
            bpf_probe_read_user_str(e->script, sizeof(e->script), (void *)f->script);
    }
    else if ((str = request_str(ctx, f, 0, PHPBPF_SG_PATH_TRANSLATED)))
        bpf_probe_read_user_str(e->script, sizeof(e->script), (void *)str);
    if ((str = request_str(ctx, f, 1, PHPBPF_SG_REQUEST_URI)))
        bpf_probe_read_user_str(e->uri, sizeof(e->uri), (void *)str);
    if ((str = request_str(ctx, f, 2, PHPBPF_SG_REQUEST_METHOD)))
        bpf_probe_read_user_str(e->method, sizeof(e->method), (void *)str);
    bpf_ringbuf_submit(e, 0);
}

SEC("usdt")
int php_request_shutdown(struct pt_regs *ctx)
{
    struct task_struct *task = bpf_get_current_task_btf();
    struct phpbpf_inflight *f;
    const char *route;
    struct phpbpf_hist *h;
    struct phpbpf_cpu *c;
    __u32 vhost;
    __u64 us, now, on_us, off_us;

    PHPBPF_GATE();
    __sync_fetch_and_add(&counters.hits, 1);
    f = task_state(task);
    if (!f || !f->start_ns) {
        /* php-fpm: a foreign request, counted at its start. */
        if (fpm_on && usdt_args && bpf_usdt_cookie(ctx))
            return 0;
        count_outside(task, f, &counters.orphans);
        if (f || task_is_ours(task))
            lost_in_slot_vhost();
        return 0;
    }
    now = bpf_ktime_get_ns();
    us = (now - f->start_ns) / 1000;
    vhost = f->vhost;
    /* We are on CPU: the last slice ends now. */
    on_us = (f->on_ns + now - f->cpu_ts) / 1000;
    off_us = f->off_ns / 1000;
    h = bpf_map_lookup_elem(&php_hist, &vhost);
    if (!h) {
        __sync_fetch_and_add(&counters.vhost_overflow, 1);
        vhost = PHPBPF_VHOST_OTHER;
        h = bpf_map_lookup_elem(&php_hist, &vhost);
    }
    route = h ? route_count(f, vhost, now, us, on_us, off_us) : NULL;
    if (slow_us && us >= slow_us)
        slow_event(ctx, f, task->tgid, us, on_us, off_us, route);
    f->start_ns = 0;
    if (!h)
        return 0;
    hist_add(h, us);
    if (cpu_tracing) {
        struct phpbpf_waits *wt = bpf_map_lookup_elem(&wait_hist, &vhost);
        int k;

        c = bpf_map_lookup_elem(&cpu_hist, &vhost);
        if (c) {
            hist_add(&c->on, on_us);
            hist_add(&c->off, off_us);
        }
        for (k = 0; wt && k < PHPBPF_WAIT_CLASSES; k++)
            if (f->waits[k]) {
                __sync_fetch_and_add(&wt->ns[k], f->wait_ns[k]);
                __sync_fetch_and_add(&wt->count[k], f->waits[k]);
            }
    }
    __sync_fetch_and_add(&counters.shutdowns, 1);
    return 0;
}
