// SPDX-License-Identifier: Apache-2.0
/* SQL statements (PhpBpfQueries), from PHP's two client libraries:
 * mysqlnd, which mysqli and PDO_MySQL both run on, and libpq, which pgsql
 * and PDO_pgsql run on.
 *
 * mysqlnd exports no function to probe, but its method tables are data:
 * the helper finds three methods in them (helper/mysqlnd_elf.c).  libpq
 * exports its functions.  Each is probed at entry and return, attached
 * once with pid -1 to the library file:
 *
 *   mysqlnd conn_data::query(conn, text, len)   every statement sent as
 *                              text: mysqli_query, multi_query, PDO's query
 *                              and exec, its emulated prepares (its default)
 *   mysqlnd stmt::prepare(stmt, text, len)       a prepared statement's text
 *   mysqlnd stmt::execute(stmt)                  each run of one
 *   libpq PQexec(conn, text), PQexecParams(conn, text, ...)   pg_query,
 *                              pg_query_params, PDO_pgsql without prepares
 *   libpq PQprepare(conn, name, text, ...)       pg_prepare, PDO_pgsql's
 *   libpq PQexecPrepared(conn, name, ...)        pg_execute, PDO_pgsql's
 *
 * Each statement costs two probe hits, entry and return, which are one trap
 * each (their first instruction is a push, which the kernel emulates).  At
 * the return, the statement is counted in its vhost's vstats, here, and sent
 * to the helper as an event with its text (as far as PHPBPF_SQL_READ) and
 * the PHP stack that ran it; the helper normalises the text before it keeps
 * anything (common/sqlnorm.h) and counts it by statement.  A prepare is
 * only sent: its executes are the statement's runs, and the helper knows
 * their text by the statement (mysqlnd's pointer, libpq's connection and
 * name).  Asynchronous queries (MYSQLI_ASYNC, pg_send_query) go through
 * other functions and are not probed. */
#include "phpbpf.bpf.h"
#include "php_stack.bpf.h"

/* Set by the helper: read mysqlnd's connection's scheme (unix:///path,
 * tcp://host:port); where PGresult's status is (libpq's PQresultStatus
 * reads it there), 0 if not known: then only a NULL result fails. */
const volatile bool queries_server __weak = true;
const volatile __u32 pq_status_off __weak = 0;

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct phpbpf_query_event);
} query_scratch SEC(".maps");

/* A quarter of the events ring (phpbpf_state.bpf.h). */
#define PHPBPF_RING_WAKE (256 * 1024)
/* libpq's texts are C strings: their length is not known before. */
#define PHPBPF_LEN_CSTR (~0ULL)

/* ExecStatusType (libpq-fe.h): what a statement that failed left. */
#define PGRES_BAD_RESPONSE 5
#define PGRES_FATAL_ERROR 7

static __always_inline struct phpbpf_inflight *query_task(void)
{
    struct task_struct *task = bpf_get_current_task_btf();
    struct phpbpf_inflight *f;

    __sync_fetch_and_add(&counters.hits, 1);
    f = task_state(task);
    if (!f || !f->start_ns) {
        /* Ours outside a request, or another PHP's: the libraries are
         * every SAPI's (php-cli, php-fpm). */
        count_outside(task, f, &counters.queries_outside);
        return NULL;
    }
    return f;
}

static __always_inline int query_begin(__u32 sys, __u64 text, __u64 len, __u64 conn, __u64 name)
{
    struct phpbpf_inflight *f;

    PHPBPF_GATE();
    if (!(f = query_task()))
        return 0;
    /* A statement inside another (an error handler that logs to the
     * database while mysqlnd reports a warning): not counted, and the
     * outer one's end stays its own. */
    if (f->q_start_ns) {
        f->q_depth++;
        return 0;
    }
    f->q_sys = sys;
    f->q_text = text;
    f->q_len = len;
    f->q_conn = conn;
    f->q_name = name;
    f->q_start_ns = bpf_ktime_get_ns();
    return 0;
}

/* The event of the statement that ends now (or of a prepare): its stack,
 * text, server and name. */
static __always_inline void query_send(struct phpbpf_inflight *f, __u32 kind, __u64 ns, __u32 failed)
{
    __u32 zero = 0, three = 3, len = 0, size;
    struct phpbpf_query_event *e = bpf_map_lookup_elem(&query_scratch, &zero);
    struct walk w = {};
    __u64 p = 0;
    long n;

    if (!e)
        return;
    e->source = PHPBPF_SRC_QUERY;
    e->kind = kind;
    e->vhost = f->vhost;
    e->pid = bpf_get_current_pid_tgid() >> 32;
    e->seq = f->seq;
    e->ns = ns;
    e->failed = failed;
    e->system = f->q_sys;
    e->stmt = kind == PHPBPF_Q_TEXT ? 0 : f->q_conn;
    e->len = 0;
    e->server[0] = '\0';
    e->name[0] = '\0';
    e->nframes = 0;
    /* The caller: the walker's frames, into its own scratch (a sample or
     * a wait's site may run on this CPU between two reads). */
    if (f->eg && (w.s = bpf_map_lookup_elem(&walk_scratch, &three))) {
        w.s->e.nframes = 0;
        w.s->e.seq = f->seq;
        w.max = PHPBPF_QUERY_FRAMES;
        if (!bpf_probe_read_user(&w.ex, sizeof(w.ex), (void *)(f->eg + PHPBPF_EG_CURRENT_EXECUTE_DATA))) {
            bpf_loop(PHPBPF_QUERY_FRAMES, walk_current_frame, &w, 0);
            __builtin_memcpy(e->frame, w.s->e.frame, sizeof(e->frame));
            e->nframes = w.s->e.nframes;
        }
    }
    if (f->q_sys == PHPBPF_DB_PGSQL_ID) {
        if (f->q_name)
            bpf_probe_read_user_str(e->name, sizeof(e->name), (void *)f->q_name);
        if (kind != PHPBPF_Q_EXECUTE && f->q_text
            && (n = bpf_probe_read_user_str(e->text, PHPBPF_SQL_READ, (void *)f->q_text)) > 0) {
            len = (__u32)n - 1;
            /* Filled: longer than read, by how much is not known. */
            e->len = len == PHPBPF_SQL_READ - 1 ? PHPBPF_SQL_READ : len;
        }
    }
    else {
        /* Which server: mysqlnd's connection's scheme, a prepared
         * statement's through its data (stmt->data->conn).  An execute's
         * is its prepare's. */
        if (queries_server && kind != PHPBPF_Q_EXECUTE && (p = f->q_conn)) {
            if (kind == PHPBPF_Q_PREPARE
                && (bpf_probe_read_user(&p, sizeof(p), (void *)(p + PHPBPF_MYSQLND_STMT_DATA)) || !p
                    || bpf_probe_read_user(&p, sizeof(p), (void *)(p + PHPBPF_MYSQLND_STMT_DATA_CONN))))
                p = 0;
            if (p && !bpf_probe_read_user(&p, sizeof(p), (void *)(p + PHPBPF_MYSQLND_CONN_SCHEME)) && p)
                bpf_probe_read_user_str(e->server, sizeof(e->server), (void *)p);
        }
        if (kind != PHPBPF_Q_EXECUTE) {
            e->len = (__u32)f->q_len;
            len = e->len < PHPBPF_SQL_READ - 1 ? e->len : PHPBPF_SQL_READ - 1;
            barrier_var(len);
            len &= PHPBPF_SQL_READ - 1;
            if (len && bpf_probe_read_user(e->text, len, (void *)f->q_text))
                len = 0;
        }
    }
    barrier_var(len);
    len &= PHPBPF_SQL_READ - 1;
    size = offsetof(struct phpbpf_query_event, text) + len;
    /* No wakeup per statement: waking the helper is an interrupt to
     * itself (irq_work), measured at 20 us a statement in a VM.  The
     * helper reads the ring on its own every 100 ms, before every
     * snapshot, and when a quarter of the ring is waiting. */
    if (bpf_ringbuf_output(&events, e, size,
                           bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) > PHPBPF_RING_WAKE
                           ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP))
        __sync_fetch_and_add(&counters.queries_lost, 1);
}

/* A prepare: its text (and libpq's name), for the executes to come;
 * nothing is counted. */
static __always_inline int query_prepare(__u32 sys, __u64 conn, __u64 text, __u64 len, __u64 name)
{
    struct phpbpf_inflight *f;

    PHPBPF_GATE();
    /* Not inside a statement, whose text and connection these would
     * overwrite. */
    if (!(f = query_task()) || f->q_start_ns)
        return 0;
    f->q_sys = sys;
    f->q_conn = conn;
    f->q_text = text;
    f->q_len = len;
    f->q_name = name;
    query_send(f, PHPBPF_Q_PREPARE, 0, 0);
    return 0;
}

/* A statement's end: counted in its vhost, and sent. */
static __always_inline int query_end(__u32 kind, __u32 failed)
{
    struct phpbpf_inflight *f;
    struct phpbpf_vstats *v;
    __u32 vhost;
    __u64 ns;

    PHPBPF_GATE();
    __sync_fetch_and_add(&counters.hits, 1);
    f = current_request();
    if (!f || !f->q_start_ns)
        return 0;
    if (f->q_depth) {
        f->q_depth--;
        return 0;
    }
    ns = bpf_ktime_get_ns() - f->q_start_ns;
    f->q_start_ns = 0;
    vhost = f->vhost;
    if ((v = bpf_map_lookup_elem(&vstats, &vhost))) {
        if (f->q_sys == PHPBPF_DB_PGSQL_ID) {
            __sync_fetch_and_add(&v->pg_queries, 1);
            __sync_fetch_and_add(&v->pg_query_ns, ns);
            if (failed)
                __sync_fetch_and_add(&v->pg_query_errors, 1);
        }
        else {
            __sync_fetch_and_add(&v->my_queries, 1);
            __sync_fetch_and_add(&v->my_query_ns, ns);
            if (failed)
                __sync_fetch_and_add(&v->my_query_errors, 1);
        }
    }
    query_send(f, kind, ns, failed);
    return 0;
}

/* ------------------------------------------------------------ mysqlnd */

SEC("uprobe")
int php_mysql_query(struct pt_regs *ctx)
{
    return query_begin(PHPBPF_DB_MYSQL_ID, PT_REGS_PARM2(ctx), PT_REGS_PARM3(ctx), PT_REGS_PARM1(ctx), 0);
}

/* enum_func_status: PASS 0, FAIL 1. */
SEC("uretprobe")
int php_mysql_query_return(struct pt_regs *ctx)
{
    return query_end(PHPBPF_Q_TEXT, (__u32)PT_REGS_RC(ctx) != 0);
}

SEC("uprobe")
int php_mysql_execute(struct pt_regs *ctx)
{
    return query_begin(PHPBPF_DB_MYSQL_ID, 0, 0, PT_REGS_PARM1(ctx), 0);
}

SEC("uretprobe")
int php_mysql_execute_return(struct pt_regs *ctx)
{
    return query_end(PHPBPF_Q_EXECUTE, (__u32)PT_REGS_RC(ctx) != 0);
}

SEC("uprobe")
int php_mysql_prepare(struct pt_regs *ctx)
{
    return query_prepare(PHPBPF_DB_MYSQL_ID, PT_REGS_PARM1(ctx), PT_REGS_PARM2(ctx), PT_REGS_PARM3(ctx), 0);
}

/* -------------------------------------------------------------- libpq */

SEC("uprobe")
int php_pq_exec(struct pt_regs *ctx)
{
    return query_begin(PHPBPF_DB_PGSQL_ID, PT_REGS_PARM2(ctx), PHPBPF_LEN_CSTR, PT_REGS_PARM1(ctx), 0);
}

SEC("uprobe")
int php_pq_exec_prepared(struct pt_regs *ctx)
{
    return query_begin(PHPBPF_DB_PGSQL_ID, 0, 0, PT_REGS_PARM1(ctx), PT_REGS_PARM2(ctx));
}

/* Their PGresult: NULL (out of memory, no connection) or an error status
 * is a failure. */
static __always_inline __u32 pq_failed(struct pt_regs *ctx)
{
    __u64 res = PT_REGS_RC(ctx);
    __u32 status = 0;

    if (!res)
        return 1;
    if (pq_status_off && !bpf_probe_read_user(&status, sizeof(status), (void *)(res + pq_status_off)))
        return status == PGRES_BAD_RESPONSE || status == PGRES_FATAL_ERROR;
    return 0;
}

SEC("uretprobe")
int php_pq_exec_return(struct pt_regs *ctx)
{
    return query_end(PHPBPF_Q_TEXT, pq_failed(ctx));
}

SEC("uretprobe")
int php_pq_exec_prepared_return(struct pt_regs *ctx)
{
    return query_end(PHPBPF_Q_EXECUTE, pq_failed(ctx));
}

/* PQprepare(conn, name, text, ...) */
SEC("uprobe")
int php_pq_prepare(struct pt_regs *ctx)
{
    return query_prepare(PHPBPF_DB_PGSQL_ID, PT_REGS_PARM1(ctx), PT_REGS_PARM3(ctx), PHPBPF_LEN_CSTR,
                         PT_REGS_PARM2(ctx));
}
