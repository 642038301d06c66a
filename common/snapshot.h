/* The helper's Unix-socket protocol: one fixed-size request, one snapshot
 * reply.  Both ends run on the same host, so fields are in host byte order;
 * every length is checked on decode because the reply crosses a privilege
 * boundary.  Pure C (malloc-free on decode: the caller supplies memory) so
 * the unit tests and a fuzzer can drive it alone. */
#ifndef PHPBPF_SNAPSHOT_H
#define PHPBPF_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>
#include "../bpf/phpbpf.h"
#include "hist.h"
#include "options.h"

#define PHPBPF_PROTO_VERSION 8      /* 8: SQL statements */
#define PHPBPF_REQ_MAGIC 0x31514250u  /* "PBQ1" */
#define PHPBPF_RSP_MAGIC 0x31534250u  /* "PBS1" */
#define PHPBPF_REQ_SNAPSHOT 1

/* Exit status of a helper that could not start tracing (no BTF, no probes,
 * BPF refused...): the module shows the reason and does not respawn it,
 * since trying again would fail the same way. */
#define PHPBPF_EXIT_STARTUP 78

/* Largest reply a client accepts: a vhost with every bucket of its three
 * histograms in use takes about 15.5 KB, so 4096 vhosts (PhpBpfMaxVhosts'
 * limit) fit, and a bad length cannot make an Apache child allocate more. */
#define PHPBPF_MAX_REPLY (64u << 20)
#define PHPBPF_RSP_HDR_LEN 16
#define PHPBPF_STR_MAX 4096

enum phpbpf_state {
    PHPBPF_STATE_ACTIVE = 1,
    PHPBPF_STATE_UNAVAILABLE = 2
};

/* Bits of phpbpf_snapshot.probes.  A probe's name says how it is attached:
 * provider:name for a USDT note, uprobe:/uretprobe: and the function for a
 * probe on an exported function of libphp (a PHP without USDT notes). */
#define PHPBPF_PROBE_REQUEST_STARTUP  (1u << 0)
#define PHPBPF_PROBE_REQUEST_SHUTDOWN (1u << 1)
#define PHPBPF_PROBE_COMPILE_ENTRY    (1u << 2)
#define PHPBPF_PROBE_COMPILE_RETURN   (1u << 3)
#define PHPBPF_PROBE_SCHED_SWITCH     (1u << 4)
#define PHPBPF_PROBE_EXC_THROWN       (1u << 5)
#define PHPBPF_PROBE_PROFILE          (1u << 6)
#define PHPBPF_PROBE_BACKTRACE        (1u << 7)
#define PHPBPF_PROBE_FN_STARTUP       (1u << 8)
#define PHPBPF_PROBE_FN_SHUTDOWN      (1u << 9)
#define PHPBPF_PROBE_FN_THROW         (1u << 10)
#define PHPBPF_PROBE_QUERIES          (1u << 11)
#define PHPBPF_PROBE_LIBPQ            (1u << 12)
#define PHPBPF_PROBE_NAMES \
    "php:request__startup", "php:request__shutdown", \
    "uprobe:compile_file", "uretprobe:compile_file", "sched:sched_switch", \
    "php:exception__thrown", "perf:cpu-clock", "iter:task", \
    "uprobe:php_request_startup", "uretprobe:php_request_shutdown", \
    "uprobe:zend_throw_exception_internal", "uprobe:mysqlnd", "uprobe:libpq"
/* How each is attached, as ?json says it. */
#define PHPBPF_PROBE_KINDS \
    "usdt", "usdt", "uprobe", "uretprobe", "tracepoint", "usdt", "perf_event", "iterator", \
    "uprobe", "uretprobe", "uprobe", "uprobe", "uprobe"
#define PHPBPF_NPROBES 13

/* The helper sends at most this many scripts, the ones with the most
 * compile time; it tracks up to PhpBpfMaxScripts. */
#define PHPBPF_SNAP_SCRIPTS 50

struct phpbpf_request {
    uint32_t magic;
    uint32_t version;
    uint32_t type;
    uint32_t httpd_pid;   /* rejects a client of another server instance */
};

/* Index of a struct phpbpf_counters field in phpbpf_snapshot.counters[]. */
#define PHPBPF_CTR(field) (offsetof(struct phpbpf_counters, field) / sizeof(__u64))

/* Histograms travel in their sparse form (hist.h). */
struct phpbpf_snap_cpu {
    struct phpbpf_sparse on, off;
};

struct phpbpf_snap_vhost {
    uint32_t idx;
    struct phpbpf_sparse php;
    struct phpbpf_vstats v;
    struct phpbpf_snap_cpu cpu;
    struct phpbpf_sparse compile;
    uint32_t has_waits;         /* CPU tracing: off-CPU time by class */
    struct phpbpf_waits waits;
    /* what the helper's tables (helper/tables.h) did not keep of it */
    uint64_t classes_lost, scripts_lost;
};

struct phpbpf_snap_class {
    uint32_t vhost;
    char name[PHPBPF_CLASS_LEN];
    uint64_t count;
};

struct phpbpf_snap_script {
    uint32_t vhost;
    char path[PHPBPF_PATH_LEN];
    struct phpbpf_sparse compile;
};

/* PHP stacks in a snapshot.  Functions are numbered densely within one
 * snapshot; a frame is a function and a line. */
struct phpbpf_pframe {
    uint32_t fid;
    uint32_t line;
};

/* A PHP function, one form for all of user space: the helper's profile
 * keeps it (helper/profile.h), the wire carries it, the report names it
 * (a frame of the report is a function at a line: report.h).  The BPF
 * side's names of it are struct phpbpf_func_info, in a map. */
struct phpbpf_func {
    uint32_t kind;              /* enum phpbpf_frame_kind */
    uint32_t static_method;
    uint32_t line_start;
    const char *name, *scope, *file;
};

struct phpbpf_snap_stack {
    uint64_t count;
    uint32_t nframes;           /* innermost first */
    const struct phpbpf_pframe *frame;
};

/* One vhost's sampled stacks. */
struct phpbpf_snap_profile {
    uint32_t vhost;
    uint64_t samples;           /* all, including dropped */
    uint64_t dropped;           /* samples of stacks the helper had no room for */
    uint32_t nstacks;
    const struct phpbpf_snap_stack *stack;
};

/* A slow request's backtrace, taken while it ran. */
struct phpbpf_snap_backtrace {
    uint32_t taken;
    uint32_t truncated;         /* deeper than PhpBpfSlowTraceDepth */
    uint64_t elapsed_us;        /* into the request, when taken */
    uint32_t nframes;           /* innermost first */
    const struct phpbpf_pframe *frame;
};

/* Waits by PHP call site: a vhost's, most time first. */
struct phpbpf_snap_site {
    uint32_t vhost;
    uint32_t wait_class;
    struct phpbpf_pframe frame;
    uint64_t count;
    uint64_t ns;
};

/* A route of a vhost (bpf/phpbpf_route.h): its row of the routes map,
 * histograms in the vhost's bucket layout. */
struct phpbpf_snap_route {
    uint32_t vhost;
    char text[PHPBPF_ROUTE_LEN];      /* "(other)": what the vhost's table had no room for */
    uint32_t ordinal;                 /* the order the vhost took it in; PHPBPF_ROUTE_ORDINAL_OTHER */
    struct phpbpf_sparse php, apache;
    uint64_t status[5];
    uint64_t exc_thrown;
    uint64_t errors;
    uint64_t on_us, off_us;
    uint64_t wait_us[PHPBPF_WAIT_CLASSES];
};

/* An SQL statement of a vhost (helper/queries.c): its text normalised
 * (common/sqlnorm.h), never a literal; what ran it; how long it took. */
#define PHPBPF_STMT_TEXT 512            /* = PHPBPF_SQL_TEXT */
#define PHPBPF_STMT_TRUNCATED 1         /* the text is the first part of a longer one */
#define PHPBPF_STMT_FRAMES PHPBPF_QUERY_FRAMES
enum phpbpf_db_system { PHPBPF_DB_MYSQL = PHPBPF_DB_MYSQL_ID, PHPBPF_DB_PGSQL = PHPBPF_DB_PGSQL_ID,
                        PHPBPF_DB_SYSTEMS };
#define PHPBPF_DB_SYSTEM_NAMES "mysql", "pgsql"

struct phpbpf_snap_stmt {
    uint32_t vhost;
    uint32_t system;                  /* enum phpbpf_db_system */
    uint32_t flags;                   /* PHPBPF_STMT_* */
    char text[PHPBPF_STMT_TEXT];
    char server[PHPBPF_SERVER_LEN];   /* "unix:///run/mysqld/mysqld.sock", "tcp://127.0.0.1:3306" */
    struct phpbpf_sparse time;        /* us, by run */
    uint64_t ns;                      /* all runs' time, ns */
    uint64_t errors;                  /* runs that failed */
    struct phpbpf_pframe caller;      /* the first frame outside the database layer; fid 0: unknown */
    uint64_t slowest_ns;              /* the slowest run, and its stack: */
    uint32_t nframes;                 /* innermost first */
    const struct phpbpf_pframe *frame;
};

/* What the statement table did not keep of a vhost's statements. */
struct phpbpf_snap_stmt_lost {
    uint32_t vhost;
    uint64_t lost;
};

/* A slow request's statements: the distinct ones in the order each first
 * ran, at most PHPBPF_SLOW_STMTS, each with its runs in the request; a
 * statement run PHPBPF_N_PLUS_ONE times or more from one caller is an
 * "N+1" (a query in a loop that one query could have done). */
#define PHPBPF_SLOW_STMTS 24
#define PHPBPF_N_PLUS_ONE 10

struct phpbpf_snap_req_stmt {
    char text[PHPBPF_STMT_TEXT];
    uint32_t count, flags;
    uint64_t ns;
    struct phpbpf_pframe caller;
};

struct phpbpf_snap_slow_stmts {
    uint32_t known;                   /* the helper saw this request's statements */
    uint64_t count, ns;               /* all of them */
    uint32_t n;
    const struct phpbpf_snap_req_stmt *stmt;
};

/* Statements the helper's table keeps, all vhosts together; a snapshot
 * holds it whole. */
#define PHPBPF_MAX_STMTS 2048
#define PHPBPF_SNAP_STMTS PHPBPF_MAX_STMTS

enum phpbpf_queries_state { PHPBPF_QUERIES_OFF = 0, PHPBPF_QUERIES_ACTIVE, PHPBPF_QUERIES_UNAVAILABLE };

/* Routes a snapshot holds at most: every row the table can have. */
#define PHPBPF_SNAP_ROUTES PHPBPF_MAX_ROUTE_ROWS

enum phpbpf_stacks_state { PHPBPF_STACKS_OFF = 0, PHPBPF_STACKS_ACTIVE, PHPBPF_STACKS_UNAVAILABLE };

/* At most this many call sites per vhost in a snapshot, and in all. */
#define PHPBPF_SNAP_SITES_VHOST 20
#define PHPBPF_SNAP_SITES 4096

/* At most this many functions and stacks in a snapshot, and frames a stack. */
#define PHPBPF_SNAP_FUNCS 8192
#define PHPBPF_SNAP_STACKS 16384

struct phpbpf_snapshot {
    uint32_t state;
    uint32_t helper_pid;
    uint64_t started_us;      /* wall clock, when the probes were attached */
    uint64_t php_since_us;    /* since when the PHP-side counters count (an earlier helper's start) */
    uint64_t now_us;
    uint32_t generation;      /* Apache generation the helper was told of */
    uint32_t probes;
    uint64_t counters[PHPBPF_NCOUNTERS];
    char library[PHPBPF_STR_MAX];
    char reason[PHPBPF_STR_MAX];
    uint32_t nvhosts;
    struct phpbpf_snap_vhost *vhosts;
    /* The tables describe the last one to two periods of window_s / 2,
     * the oldest of which began at window_since_us (or the helper's start). */
    uint32_t window_s;
    uint64_t window_since_us;
    uint32_t scripts_tracked;   /* in the helper's table, of which ... */
    uint32_t nscripts;          /* ... these are sent */
    uint64_t scripts_evicted;   /* compiles the table did not keep */
    struct phpbpf_snap_script *scripts;
    uint32_t nclasses;          /* (vhost, class) thrown, most first */
    struct phpbpf_snap_class *classes;
    uint32_t nslow;             /* slow requests, newest first */
    struct phpbpf_slow_event *slow;
    struct phpbpf_snap_backtrace *backtraces;   /* one per slow request */
    uint32_t stacks_state;      /* enum phpbpf_stacks_state: sampling, and backtraces */
    uint32_t profile_hz;        /* 0: no sampling */
    char stacks_reason[PHPBPF_STR_MAX];         /* why unavailable */
    /* What this libphp cannot give although it is configured, and why
     * (a PHP without USDT notes that does not export a probe's function). */
    char untraced[PHPBPF_STR_MAX];
    uint32_t nfuncs;
    struct phpbpf_func *funcs;
    uint32_t nprofiles;         /* vhosts with samples */
    struct phpbpf_snap_profile *profiles;
    uint32_t nsites;            /* by vhost, then most time first */
    struct phpbpf_snap_site *sites;
    uint32_t max_routes;        /* PhpBpfMaxRoutes; 0: no routes */
    uint32_t nroutes;           /* by vhost, then most PHP time first */
    struct phpbpf_snap_route *routes;
    uint32_t queries_state;     /* enum phpbpf_queries_state */
    char queries_reason[PHPBPF_STR_MAX];        /* why unavailable */
    uint32_t nstmts;            /* by vhost, then most time first */
    struct phpbpf_snap_stmt *stmts;
    uint32_t nstmts_lost;       /* vhosts that lost any */
    struct phpbpf_snap_stmt_lost *stmts_lost;
    /* One per slow request (nslow), or NULL: what each ran. */
    struct phpbpf_snap_slow_stmts *slow_stmts;
};

/* The helper keeps at most this many slow requests (PhpBpfSlowLogSize). */

/* A growable output buffer; the helper owns it. */
struct phpbpf_buf {
    unsigned char *data;
    size_t len, cap;
    int oom;
};

void phpbpf_buf_free(struct phpbpf_buf *b);

/* Appends the full reply (header included).  Vhosts with count 0 are left
 * out.  Returns 0, or -1 if out of memory. */
int phpbpf_snapshot_encode(struct phpbpf_buf *out, const struct phpbpf_snapshot *s);

/* An error reply carrying one line of text. */
int phpbpf_error_encode(struct phpbpf_buf *out, const char *msg);

/* Validates a reply header; on success *payload_len is what follows it. */
int phpbpf_reply_header(const unsigned char *hdr, size_t len, uint32_t *status,
                        uint32_t *payload_len);

/* Memory for decoded entries: exactly what a reply holds, no more. */
typedef void *(*phpbpf_alloc_fn)(void *ctx, size_t size);

/* Decodes a payload: at most max_vhosts vhosts (and PHPBPF_SNAP_SCRIPTS
 * scripts), their arrays and buckets taken from alloc, in at most seven
 * calls.  Bucket indexes must be increasing.  Returns 0, or -1 with `err`
 * (a static string) set. */
int phpbpf_snapshot_decode(const unsigned char *p, size_t len, struct phpbpf_snapshot *s,
                           uint32_t max_vhosts, phpbpf_alloc_fn alloc, void *ctx,
                           const char **err);

/* Decodes the message of an error reply into msg (NUL-terminated). */
int phpbpf_error_decode(const unsigned char *p, size_t len, char *msg, size_t msglen);

/* Checks a request read from a client; returns NULL or why it is bad. */
const char *phpbpf_request_check(const void *p, size_t len, uint32_t httpd_pid);

/* Whether any of a vhost's BPF counters (PHPBPF_VSTATS) is set. */
static inline int phpbpf_vstats_any(const struct phpbpf_vstats *v)
{
    const uint64_t *x = (const uint64_t *)v;
    size_t i;

    for (i = 0; i < PHPBPF_NVSTATS; i++)
        if (x[i])
            return 1;
    return 0;
}

/* A vhost the helper has anything of, which a snapshot sends; the others
 * are not sent, and read as all zero. */
static inline int phpbpf_snap_vhost_has_data(const struct phpbpf_snap_vhost *v)
{
    return v->php.count || v->cpu.on.count || phpbpf_vstats_any(&v->v);
}

/* Sizes on the wire, which the encoder writes and the decoder checks
 * counts against.  Bytes of an encoded histogram: count, sum, max, nnz,
 * then (u16 bucket, u64 count) for each bucket held. */
#define PHPBPF_WIRE_HIST_HEAD (8 + 8 + 8 + 2)
#define PHPBPF_WIRE_HIST_PAIR (2 + 8)
/* A vhost's waits: (ns, count) per class; a slow request's: (us, count). */
#define PHPBPF_WIRE_WAITS_LEN (PHPBPF_WAIT_CLASSES * 16)
#define PHPBPF_WIRE_SLOW_WAITS_LEN (PHPBPF_WAIT_CLASSES * 12)
/* A route's numbers beside its text and histograms: its ordinal, status
 * classes, exceptions, errors, on and off CPU, waits by class. */
#define PHPBPF_WIRE_ROUTE_NUMS (4 + 8 * (5 + 4 + PHPBPF_WAIT_CLASSES))

#endif
