/* SQL statements: see queries.h.  The text of a statement reaches this
 * process only in its event, and is normalised at once: what the table
 * keeps, and what a snapshot sends, never holds a literal. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>
#include "ftable.h"
#include "helper.h"
#include "log.h"
#include "mysqlnd_elf.h"
#include "period.h"
#include "queries.h"
#include "sqlnorm.h"
#include "stacks.h"
#include "phpbpf.skel.h"

_Static_assert(PHPBPF_STMT_TEXT == PHPBPF_SQL_TEXT, "the wire carries the normaliser's text");

/* A statement of the table.  Its key is the system and the text. */
struct stmt_val {
    struct phpbpf_period p[2];    /* its runs, indexed as the table's counts */
    uint64_t ns[2], errors[2];
    uint32_t flags;
    char server[PHPBPF_SERVER_LEN];
    struct phpbpf_pframe caller;
    uint64_t slowest_ns;          /* in the last two periods */
    uint32_t nframes;
    struct phpbpf_pframe frame[PHPBPF_STMT_FRAMES];
};

struct stmt_key {
    uint8_t system;
    char text[PHPBPF_SQL_TEXT];
};

/* Prepared statements by (pid, statement): their text, for their
 * executes.  A statement is used again for the next prepare, which
 * overwrites; a full slot is taken over (that statement's executes are
 * then counted as "(prepared before tracing began)"). */
#define PREPARED_SLOTS 4096

struct prepared {
    uint32_t pid, flags;
    uint64_t stmt;
    char server[PHPBPF_SERVER_LEN];
    struct stmt_key key;
    uint32_t klen;
};

/* What each process's requests ran, for the slow log: distinct
 * statements in the order they first ran.  A process (prefork runs one
 * request at a time) keeps its current request and the one before: a
 * slow request's event comes through another ring than its statements',
 * and its process may have begun the next request by the time it is
 * read.  Processes by pid, open addressing; made on first use. */
#define PROC_SLOTS 1024
#define PROC_PROBES 32

struct req {
    uint64_t seq, count, ns;
    uint32_t n;
    struct phpbpf_snap_req_stmt s[PHPBPF_SLOW_STMTS];
};

struct proc {
    uint32_t pid, cur;          /* r[cur]: the request under way */
    struct req r[2];
};

/* The slow requests' copies, and those whose copy is still to be taken
 * (their slow event came before the last of their statements' events
 * had been read: the two come through different rings). */
struct slow_req {
    uint32_t pid, taken;
    uint64_t seq;
    struct req r;
};

static struct proc **procs;             /* PROC_SLOTS */
static struct slow_req *slow_reqs;      /* PHPBPF_SLOW_MAX, a ring */
static uint64_t nslow_reqs;
static struct phpbpf_snap_slow_stmts *snap_slow;

static struct phpbpf_ftab table;
static struct prepared *prepared;
static int ready;
static uint32_t state = PHPBPF_QUERIES_OFF;
static char reason[PHPBPF_STR_MAX];
static struct phpbpf_mysqlnd mysqlnd;
static const struct phpbpf_options *opt;
static struct phpbpf_snap_stmt *snap;
static struct phpbpf_sparse_bucket *snap_buckets;
static struct phpbpf_snap_stmt_lost *snap_lost;
static uint32_t *order;

/* The database layer: classes whose methods only pass a statement on, so
 * that the caller shown is the code that wanted it (WP_Query::get_posts,
 * not wpdb::_do_query).  A name ending in a backslash is a namespace. */
static const char *const db_layer[] = {
    "wpdb", "PDO", "PDOStatement", "mysqli", "mysqli_stmt", "mysqli_result",
    "Doctrine\\DBAL\\", "Illuminate\\Database\\", "Drupal\\Core\\Database\\",
};

static int layer_match(const char *scope, const char *pattern)
{
    size_t n = strlen(pattern);

    if (n && pattern[n - 1] == '\\')
        return strncmp(scope, pattern, n) == 0;
    return strcmp(scope, pattern) == 0;
}

static int in_db_layer(const struct phpbpf_func *f)
{
    size_t i;

    if (f->kind == PHPBPF_FK_INTERNAL)
        return 1;
    if (!f->scope || !f->scope[0])
        return 0;
    for (i = 0; i < sizeof(db_layer) / sizeof(db_layer[0]); i++)
        if (layer_match(f->scope, db_layer[i]))
            return 1;
    for (i = 0; opt && i < opt->db_layer.n; i++)
        if (layer_match(f->scope, opt->db_layer.v[i]))
            return 1;
    return 0;
}

/* Why a library is not traced, into the page's reason and the log. */
static void untraced(const char *lib, const char *why)
{
    size_t n = strlen(reason);

    snprintf(reason + n, sizeof(reason) - n, "%s%s: %s", n ? "; " : "", lib, why);
    logmsg("warn", "SQL statements of %s not traced: %s", lib, why);
}

static int mysql_on, pq_on;
static struct phpbpf_libpq libpq;

/* A library's probes: (program, where, return probe, what it is). */
struct qprobe {
    struct bpf_program *prog;
    uint64_t off;
    int ret;
    const char *what;
};

static void autoload(const struct qprobe *q, unsigned n, int on)
{
    unsigned i;

    for (i = 0; i < n; i++)
        bpf_program__set_autoload(q[i].prog, on);
}

static unsigned mysql_probes(struct phpbpf *s, struct qprobe *q)
{
    q[0] = (struct qprobe){ s->progs.php_mysql_query, mysqlnd.query, 0, "mysqlnd_conn_data::query" };
    q[1] = (struct qprobe){ s->progs.php_mysql_query_return, mysqlnd.query, 1, "its return" };
    q[2] = (struct qprobe){ s->progs.php_mysql_execute, mysqlnd.stmt_execute, 0, "mysqlnd_stmt::execute" };
    q[3] = (struct qprobe){ s->progs.php_mysql_execute_return, mysqlnd.stmt_execute, 1, "its return" };
    q[4] = (struct qprobe){ s->progs.php_mysql_prepare, mysqlnd.stmt_prepare, 0, "mysqlnd_stmt::prepare" };
    return 5;
}

/* PQexec and PQexecParams share programs: their arguments (conn, text)
 * and results are alike. */
static unsigned pq_probes(struct phpbpf *s, struct qprobe *q)
{
    q[0] = (struct qprobe){ s->progs.php_pq_exec, libpq.off[PHPBPF_PQ_EXEC], 0, "PQexec" };
    q[1] = (struct qprobe){ s->progs.php_pq_exec_return, libpq.off[PHPBPF_PQ_EXEC], 1, "its return" };
    q[2] = (struct qprobe){ s->progs.php_pq_exec, libpq.off[PHPBPF_PQ_EXEC_PARAMS], 0, "PQexecParams" };
    q[3] = (struct qprobe){ s->progs.php_pq_exec_return, libpq.off[PHPBPF_PQ_EXEC_PARAMS], 1, "its return" };
    q[4] = (struct qprobe){ s->progs.php_pq_exec_prepared, libpq.off[PHPBPF_PQ_EXEC_PREPARED], 0,
                            "PQexecPrepared" };
    q[5] = (struct qprobe){ s->progs.php_pq_exec_prepared_return, libpq.off[PHPBPF_PQ_EXEC_PREPARED], 1,
                            "its return" };
    q[6] = (struct qprobe){ s->progs.php_pq_prepare, libpq.off[PHPBPF_PQ_PREPARE], 0, "PQprepare" };
    return 7;
}

void phpbpf_queries_prepare(struct phpbpf_helper *h)
{
    struct phpbpf *skel = h->skel;
    struct qprobe q[8];

    opt = h->opt;
    if (h->opt->mysqlnd) {
        if (phpbpf_mysqlnd_inspect(h->opt->mysqlnd, &mysqlnd) != 0)
            untraced("mysqlnd", mysqlnd.why);
        else
            mysql_on = 1;
    }
    if (h->opt->libpq) {
        if (phpbpf_libpq_inspect(h->opt->libpq, &libpq) != 0)
            untraced("libpq", libpq.why);
        else {
            pq_on = 1;
            skel->rodata->pq_status_off = libpq.status_off;
            if (!libpq.status_off)
                logmsg("warn", "%s: PGresult's status not found in PQresultStatus's code: only a "
                       "NULL result counts as a failed statement", h->opt->libpq);
        }
    }
    /* The callers are read with the stack walker, at this PHP's layout. */
    if ((mysql_on || pq_on) && h->php.layout_why) {
        untraced("PHP", h->php.layout_why);
        mysql_on = pq_on = 0;
    }
    if (h->opt->mysqlnd || h->opt->libpq)
        state = PHPBPF_QUERIES_UNAVAILABLE;     /* until attached */
    autoload(q, mysql_probes(skel, q), mysql_on);
    autoload(q, pq_probes(skel, q), pq_on);
    if (!mysql_on && !pq_on)
        return;
    skel->rodata->eg_addr = h->php.eg;
    if (phpbpf_ftab_init(&table, PHPBPF_MAX_STMTS, (uint32_t)h->opt->vhosts) != 0
        || !(prepared = calloc(PREPARED_SLOTS, sizeof(*prepared)))
        || !(snap = calloc(PHPBPF_MAX_STMTS, sizeof(*snap)))
        || !(snap_buckets = calloc((size_t)PHPBPF_MAX_STMTS * PHPBPF_HIST_BUCKETS,
                                   sizeof(*snap_buckets)))
        || !(snap_lost = calloc(h->opt->vhosts, sizeof(*snap_lost)))
        || !(order = calloc(PHPBPF_MAX_STMTS, sizeof(*order)))
        || !(procs = calloc(PROC_SLOTS, sizeof(*procs)))
        || !(slow_reqs = calloc(PHPBPF_SLOW_MAX, sizeof(*slow_reqs)))
        || !(snap_slow = calloc(PHPBPF_SLOW_MAX, sizeof(*snap_slow))))
        startup_failure("out of memory for the statement table");
    ready = 1;
}

/* A library's probes, all or none: a statement counted at its entry and
 * never at its return would be in flight for ever.  1 if attached. */
static int attach_lib(const char *lib, const char *path, const struct qprobe *q, unsigned n,
                      struct bpf_link **links)
{
    unsigned i;

    for (i = 0; i < n; i++) {
        LIBBPF_OPTS(bpf_uprobe_opts, o, .retprobe = q[i].ret);

        if (!(links[i] = bpf_program__attach_uprobe_opts(q[i].prog, -1, path, q[i].off, &o))) {
            char why[PHPBPF_STR_MAX];

            snprintf(why, sizeof(why), "cannot probe %s%s in %s: %s", q[i].what,
                     q[i].ret ? "" : " (entry)", path, strerror(errno));
            untraced(lib, why);
            while (i--)
                bpf_link__destroy(links[i]);
            return 0;
        }
    }
    return 1;
}

void phpbpf_queries_attach(struct phpbpf_helper *h)
{
    static struct bpf_link *mysql_links[8], *pq_links[8];
    struct qprobe q[8];
    unsigned n;

    if (!ready)
        return;
    n = mysql_probes(h->skel, q);
    if (mysql_on && attach_lib("mysqlnd", h->opt->mysqlnd, q, n, mysql_links)) {
        h->probes |= PHPBPF_PROBE_QUERIES;
        logmsg("info", "SQL statements: %s, query +0x%llx, prepare +0x%llx, execute +0x%llx",
               h->opt->mysqlnd, (unsigned long long)mysqlnd.query,
               (unsigned long long)mysqlnd.stmt_prepare, (unsigned long long)mysqlnd.stmt_execute);
    }
    n = pq_probes(h->skel, q);
    if (pq_on && attach_lib("libpq", h->opt->libpq, q, n, pq_links)) {
        h->probes |= PHPBPF_PROBE_LIBPQ;
        logmsg("info", "SQL statements: %s, PGresult's status at +%u", h->opt->libpq,
               (unsigned)libpq.status_off);
    }
    if (h->probes & (PHPBPF_PROBE_QUERIES | PHPBPF_PROBE_LIBPQ))
        state = PHPBPF_QUERIES_ACTIVE;
    else
        ready = 0;
}

void phpbpf_queries_sink(uint64_t *lost, uint32_t stride)
{
    table.sink = lost;
    table.sink_stride = stride;
}

/* A prepared statement's identity: mysqlnd's MYSQLND_STMT *, libpq's
 * connection and name (hashed together). */
static uint64_t stmt_id(const struct phpbpf_query_event *e)
{
    uint64_t h = e->stmt;
    size_t i;

    if (e->system == PHPBPF_DB_PGSQL)
        for (i = 0; i < sizeof(e->name) && e->name[i]; i++)
            h = (h ^ (unsigned char)e->name[i]) * 0x100000001b3ULL;
    return h;
}

static struct prepared *prepared_slot(uint32_t pid, uint64_t stmt)
{
    uint64_t h = (stmt * 0x9E3779B97F4A7C15ULL) ^ pid;

    return &prepared[(h >> 20) % PREPARED_SLOTS];
}

/* The statement's key from the event's text; its length. */
static uint32_t key_of(const struct phpbpf_query_event *e, size_t len, struct stmt_key *k,
                       uint32_t *flags)
{
    size_t have = len > offsetof(struct phpbpf_query_event, text)
                  ? len - offsetof(struct phpbpf_query_event, text) : 0;

    if (have > e->len)
        have = e->len;
    k->system = (uint8_t)e->system;
    *flags = phpbpf_sql_normalize(e->text, have, (have < e->len ? PHPBPF_SQL_TRUNCATED : 0)
                                  | (e->system == PHPBPF_DB_PGSQL ? PHPBPF_SQL_PG : 0),
                                  k->text, sizeof(k->text)) & PHPBPF_SQL_TRUNCATED
             ? PHPBPF_STMT_TRUNCATED : 0;
    if (!k->text[0])            /* not read (a page not resident), or empty */
        snprintf(k->text, sizeof(k->text), "%s", e->len ? "(text not readable)" : "(empty)");
    return (uint32_t)(offsetof(struct stmt_key, text) + strlen(k->text));
}

/* The caller: the first frame outside the database layer. */
static void callers(const struct phpbpf_query_event *e, struct phpbpf_pframe *fr, uint32_t *n,
                    struct phpbpf_pframe *caller)
{
    uint32_t i, m = e->nframes < PHPBPF_STMT_FRAMES ? e->nframes : PHPBPF_STMT_FRAMES;

    *caller = (struct phpbpf_pframe){ 0, 0 };
    if (!phpbpf_stacks_named())
        m = 0;                  /* no table to name them in: no stack at all */
    for (i = 0; i < m; i++) {
        const struct phpbpf_func *f;

        fr[i] = (struct phpbpf_pframe){ phpbpf_stacks_fid(&e->frame[i]), e->frame[i].line };
        if (!caller->fid && fr[i].fid && (f = phpbpf_stacks_func(fr[i].fid)) && !in_db_layer(f))
            *caller = fr[i];
    }
    *n = m;
}

/* A slow request's copy of what it ran, once its statements are all in. */
static void slow_take(struct slow_req *w, const struct req *r)
{
    w->r = *r;
    w->taken = 1;
}

/* The process pid's entry; with make, made (or another's taken, when
 * PROC_PROBES slots on are all in use), else NULL if there is none. */
static struct proc *proc_of(uint32_t pid, int make)
{
    uint32_t h = (pid * 2654435761u) % PROC_SLOTS, k;
    struct proc **slot = NULL;

    for (k = 0; k < PROC_PROBES; k++) {
        struct proc **p = &procs[(h + k) % PROC_SLOTS];

        if (*p && (*p)->pid == pid)
            return *p;
        if (!*p && !slot)
            slot = p;
    }
    if (!make)
        return NULL;
    if (!slot)
        slot = &procs[h];
    if (!*slot && !(*slot = malloc(sizeof(**slot))))
        return NULL;
    memset(*slot, 0, offsetof(struct proc, r));
    (*slot)->r[0].seq = (*slot)->r[1].seq = UINT64_MAX;
    (*slot)->r[0].n = (*slot)->r[1].n = 0;
    (*slot)->pid = pid;
    return *slot;
}

/* The slow log's request of pid and seq still waiting for its copy. */
static struct slow_req *slow_wanted(uint32_t pid, uint64_t seq)
{
    uint64_t i;

    for (i = nslow_reqs > PHPBPF_SLOW_MAX ? nslow_reqs - PHPBPF_SLOW_MAX : 0; i < nslow_reqs; i++) {
        struct slow_req *w = &slow_reqs[i % PHPBPF_SLOW_MAX];

        if (!w->taken && w->pid == pid && w->seq == seq)
            return w;
    }
    return NULL;
}

/* The request (pid, seq) whose statements are being followed: a new one
 * when the process starts another, the one before kept (and copied now
 * if the slow log wants it: it is complete). */
static struct req *req_of(uint32_t pid, uint64_t seq)
{
    struct proc *p = proc_of(pid, 1);
    struct slow_req *w;
    struct req *r;

    if (!p)
        return NULL;
    r = &p->r[p->cur];
    if (r->seq == seq)
        return r;
    if (r->seq != UINT64_MAX && (w = slow_wanted(pid, r->seq)))
        slow_take(w, r);
    p->cur ^= 1;
    r = &p->r[p->cur];
    memset(r, 0, offsetof(struct req, s));
    r->seq = seq;
    return r;
}

static void req_add(const struct phpbpf_query_event *e, const struct stmt_key *k,
                    const struct phpbpf_pframe *caller)
{
    struct req *r = req_of(e->pid, e->seq);
    uint32_t i;

    if (!r)
        return;
    r->count++;
    r->ns += e->ns;
    for (i = 0; i < r->n; i++)
        if (r->s[i].caller.fid == caller->fid && r->s[i].caller.line == caller->line
            && strcmp(r->s[i].text, k->text) == 0)
            break;
    if (i == r->n) {
        if (r->n == PHPBPF_SLOW_STMTS)
            return;             /* counted in the request's totals */
        memcpy(r->s[i].text, k->text, sizeof(r->s[i].text));
        r->s[i].count = 0;
        r->s[i].ns = 0;
        r->s[i].caller = *caller;
        r->n++;
    }
    r->s[i].count++;
    r->s[i].ns += e->ns;
}

static void count(const struct phpbpf_query_event *e, const struct stmt_key *k, uint32_t klen,
                  uint32_t flags, const char *server)
{
    struct phpbpf_pframe fr[PHPBPF_STMT_FRAMES], caller;
    struct phpbpf_fent *ent;
    struct stmt_val *v;
    uint32_t nfr;
    int made;

    callers(e, fr, &nfr, &caller);
    req_add(e, k, &caller);
    if (!(ent = phpbpf_ftab_hit(&table, e->vhost, k, klen, 1, &made)))
        return;
    if (!ent->val && !(ent->val = calloc(1, sizeof(struct stmt_val))))
        return;
    v = ent->val;
    phpbpf_period_add(&v->p[table.cur], e->ns / 1000);
    v->ns[table.cur] += e->ns;
    v->errors[table.cur] += e->failed != 0;
    v->flags |= flags;
    if (server[0])
        snprintf(v->server, sizeof(v->server), "%s", server);
    if (caller.fid || !v->caller.fid)
        v->caller = caller;
    if (e->ns >= v->slowest_ns) {
        v->slowest_ns = e->ns;
        v->nframes = nfr;
        memcpy(v->frame, fr, nfr * sizeof(fr[0]));
    }
}

void phpbpf_queries_event(const void *data, size_t len)
{
    const struct phpbpf_query_event *e = data;
    struct stmt_key k;
    struct prepared *p;
    uint32_t klen, flags;
    char server[PHPBPF_SERVER_LEN];

    if (!ready || len < offsetof(struct phpbpf_query_event, text) || e->vhost >= table.vhosts
        || e->system >= PHPBPF_DB_SYSTEMS)
        return;
    snprintf(server, sizeof(server), "%.*s", (int)sizeof(e->server), e->server);
    /* mysqlnd's scheme, read at a fixed offset: anything else (a layout
     * that moved, and the password beside it) is not shown. */
    if (strncmp(server, "unix://", 7) && strncmp(server, "tcp://", 6) && strncmp(server, "pipe://", 7))
        server[0] = '\0';
    switch (e->kind) {
    case PHPBPF_Q_TEXT:
        klen = key_of(e, len, &k, &flags);
        count(e, &k, klen, flags, server);
        break;
    case PHPBPF_Q_PREPARE:
        p = prepared_slot(e->pid, stmt_id(e));
        p->klen = key_of(e, len, &p->key, &p->flags);
        p->pid = e->pid;
        p->stmt = stmt_id(e);
        memcpy(p->server, server, sizeof(server));
        break;
    case PHPBPF_Q_EXECUTE:
        p = prepared_slot(e->pid, stmt_id(e));
        if (p->pid == e->pid && p->stmt == stmt_id(e) && p->klen)
            count(e, &p->key, p->klen, p->flags, p->server);
        else {
            /* Prepared before this helper, or its slot taken since. */
            k.system = (uint8_t)e->system;
            strcpy(k.text, "(prepared before tracing began)");
            count(e, &k, (uint32_t)(offsetof(struct stmt_key, text) + strlen(k.text)), 0, "");
        }
        break;
    }
}

void phpbpf_queries_slow(uint32_t pid, uint64_t seq)
{
    struct slow_req *w;
    struct proc *p;

    if (!ready)
        return;
    w = &slow_reqs[nslow_reqs++ % PHPBPF_SLOW_MAX];
    memset(w, 0, sizeof(*w));
    w->pid = pid;
    w->seq = seq;
    /* Its process has begun another request: this one is complete.  Else
     * it is taken when that happens, or at the next snapshot, which reads
     * the rings first. */
    if ((p = proc_of(pid, 0)) && p->r[p->cur ^ 1].seq == seq)
        slow_take(w, &p->r[p->cur ^ 1]);
}

static void stmt_age(void *val, int cur)
{
    struct stmt_val *v = val;

    phpbpf_period_clear(&v->p[cur]);
    v->ns[cur] = v->errors[cur] = 0;
}

void phpbpf_queries_age(void)
{
    if (ready)
        phpbpf_ftab_age(&table, stmt_age);
}

static uint64_t stmt_ns(const struct phpbpf_fent *e)
{
    const struct stmt_val *v = e->val;

    return v ? v->ns[0] + v->ns[1] : 0;
}

/* By vhost, then most time first, then by text: the same table always
 * reads the same. */
static int by_time(const void *a, const void *b)
{
    const struct phpbpf_fent *x = &table.ent[*(const uint32_t *)a];
    const struct phpbpf_fent *y = &table.ent[*(const uint32_t *)b];
    uint64_t cx = stmt_ns(x), cy = stmt_ns(y);

    if (x->vhost != y->vhost)
        return x->vhost < y->vhost ? -1 : 1;
    if (cx != cy)
        return cx < cy ? 1 : -1;
    return x->klen != y->klen ? (x->klen < y->klen ? -1 : 1) : memcmp(x->key, y->key, x->klen);
}

void phpbpf_queries_snapshot(struct phpbpf_snapshot *s)
{
    struct phpbpf_sparse_bucket *room = snap_buckets;
    uint32_t i, n = 0;

    s->queries_state = state;
    snprintf(s->queries_reason, sizeof(s->queries_reason), "%s", reason);
    if (!ready)
        return;
    for (i = 0; i < table.cap; i++)
        if (table.ent[i].key && table.ent[i].val)
            order[n++] = i;
    qsort(order, n, sizeof(*order), by_time);
    for (i = 0; i < n; i++) {
        const struct phpbpf_fent *e = &table.ent[order[i]];
        const struct stmt_key *k = e->key;
        const struct stmt_val *v = e->val;
        struct phpbpf_snap_stmt *x = &snap[i];
        uint32_t tl = e->klen - (uint32_t)offsetof(struct stmt_key, text);

        x->vhost = e->vhost;
        x->system = k->system;
        x->flags = v->flags;
        memcpy(x->text, k->text, tl);
        x->text[tl] = '\0';
        memcpy(x->server, v->server, sizeof(x->server));
        room += phpbpf_period_merge(&x->time, v->p, room);
        x->ns = v->ns[0] + v->ns[1];
        x->errors = v->errors[0] + v->errors[1];
        x->caller = v->caller;
        x->slowest_ns = v->slowest_ns;
        x->nframes = v->nframes;
        x->frame = v->frame;
    }
    s->stmts = snap;
    s->nstmts = n;
    /* The slow requests', in the slow log's order; their events are all
     * in (the rings were read before the snapshot), so a request still
     * followed is complete. */
    for (i = 0; i < s->nslow; i++) {
        const struct phpbpf_slow_event *ev = &s->slow[i];
        uint64_t k;

        memset(&snap_slow[i], 0, sizeof(snap_slow[i]));
        for (k = nslow_reqs; k-- > (nslow_reqs > PHPBPF_SLOW_MAX ? nslow_reqs - PHPBPF_SLOW_MAX : 0);) {
            struct slow_req *w = &slow_reqs[k % PHPBPF_SLOW_MAX];
            const struct proc *p;

            if (w->pid != ev->pid || w->seq != ev->seq)
                continue;
            /* Still the process's current or last request: complete now.
             * Neither: it ran no statement (w->r is empty). */
            if (!w->taken && (p = proc_of(w->pid, 0))) {
                if (p->r[p->cur].seq == w->seq)
                    slow_take(w, &p->r[p->cur]);
                else if (p->r[p->cur ^ 1].seq == w->seq)
                    slow_take(w, &p->r[p->cur ^ 1]);
            }
            w->taken = 1;
            snap_slow[i] = (struct phpbpf_snap_slow_stmts){ 1, w->r.count, w->r.ns, w->r.n, w->r.s };
            break;
        }
    }
    s->slow_stmts = s->nslow ? snap_slow : NULL;
    s->stmts_lost = snap_lost;
    s->nstmts_lost = 0;
    for (i = 0; i < table.vhosts; i++) {
        uint64_t lost = table.sink ? table.sink[(size_t)i * table.sink_stride]
                                   : table.v[i].evicted + table.v[i].dropped;

        if (lost)
            snap_lost[s->nstmts_lost++] = (struct phpbpf_snap_stmt_lost){ i, lost };
    }
}
