/* Shared between the BPF program, the helper and the Apache module: only
 * the structs and constants that more than one side reads.
 *
 * The Apache side of the correlation is a "slot": a small struct the module
 * allocates once from the httpd parent's process pool, so it has the same
 * address in every child of every generation.  Each child writes its current
 * request into its own copy-on-write copy; the BPF program reads it with
 * bpf_probe_read_user() when PHP's request probes fire.  No extra uprobe is
 * needed to learn which vhost a PHP request belongs to.
 */
#ifndef PHPBPF_H
#define PHPBPF_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#include "phpbpf_hist.h"
#include "phpbpf_route.h"

/* Changes whenever struct phpbpf_slot changes layout, so a BPF object from
 * one build never trusts a slot written by another. */
#define PHPBPF_SLOT_MAGIC 0x33746f6c73706870ULL /* "phpslot3" */

/* Index 0 of every per-vhost table is "(other)": requests whose vhost could
 * not be attributed, and vhosts beyond the configured capacity. */
#define PHPBPF_VHOST_OTHER 0

/* php-fpm behind mod_proxy_fcgi (README, "PHP in php-fpm").  The module
 * adds one FastCGI parameter to each request it proxies to a pool it
 * knows, PHPBPF_FPM_PARAM, whose value is PHPBPF_FPM_TOKEN_LEN hex digits:
 * this httpd's nonce (16), the vhost (8), the Apache child's pid (8), its
 * request number's low 32 bits (8) and r->request_time's (8; the program
 * puts the high bits back from the clock: they wrap every 71 minutes).
 * Only the last 16 are written per request: the rest is the process's
 * and the vhost's.  The startup program finds it
 * in the fpm worker's own memory, where php-fpm keeps the request's
 * parameters (SG(server_context), a fcgi_request), and counts the request
 * for that vhost; a request without it, or with another httpd's nonce, is
 * foreign. */
#define PHPBPF_FPM_PARAM "PHPBPF"
#define PHPBPF_FPM_TOKEN_LEN 48
/* What the parser reads it into: a power of two, for its index mask. */
#define PHPBPF_FPM_TOKEN_BUF 64
/* n (up to 16) hex digits of a token at i, as a number; all ones if one is
 * not a lowercase hex digit.  The startup program's parser, and the unit
 * tests' (t/unit/fpm_tests.c). */
static inline __u64 phpbpf_fpm_hex_field(const char *s, int i, int n)
{
    __u64 v = 0;
    int k;

    for (k = 0; k < 16; k++) {
        char c;

        if (k >= n)
            break;
        c = s[(i + k) & (PHPBPF_FPM_TOKEN_BUF - 1)];
        if (c >= '0' && c <= '9')
            v = v << 4 | (__u64)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v = v << 4 | (__u64)(c - 'a' + 10);
        else
            return ~0ULL;
    }
    return v;
}

/* The whole time (unix us) whose low 32 bits are lo32, the latest not
 * after now_us: a request's start, a little before now. */
static inline __u64 phpbpf_fpm_time(__u64 lo32, __u64 now_us)
{
    return now_us - ((now_us - lo32) & 0xffffffffULL);
}

/* php-fpm binaries traced at once (pools of different PHP builds). */
#define PHPBPF_FPM_MAX 4
/* Pools one server tells apart (mod_phpbpf/fpm.h). */
#define PHPBPF_FPM_POOLS_MAX 8
/* fpm masters whose workers are ours (found by the workers' requests). */
#define PHPBPF_FPM_MASTERS 8
/* Where a binary has what the programs read, as file addresses: the
 * request__startup probe's, to find the binary's load address from the
 * probe's own, and PHP's globals and execute_ex. */
struct phpbpf_fpm_target {
    __u64 startup_pc;
    __u64 eg, sg, ex_lo, ex_hi;
};
/* main/fastcgi.c's private layout, unchanged from PHP 7.0 to 8.4 (x86_64):
 * struct _fcgi_request's env (a fcgi_hash) and its buckets. */
#define PHPBPF_FCGI_REQ_ENV 8296
#define PHPBPF_FCGI_HASH_MASK 127
/* A bucket: hash, var_len (u32 each), var, val_len (u32), val, next:
 * read whole by bpf/requests.bpf.c's fcgi_param(). */
/* FCGI_HASH_FUNC of "PHPBPF": var[3] << 2 + var[len-2] << 4 + var[len-1] << 2 + len. */
#define PHPBPF_FPM_PARAM_HASH (('B' << 2) + ('P' << 4) + ('F' << 2) + 6)

struct phpbpf_slot {
    __u64 magic;
    __u64 seq;              /* bumped for every request read */
    __u32 vhost;            /* index into the vhost table */
    __u32 pad;
    __u64 request_time_us;  /* r->request_time */
    /* PHP requests this child has logged: the startup program compares it
     * with what it saw of this child, and counts the requests no program
     * of ours saw at all (between a helper's death and its successor) as
     * missed, so that nothing is lost without being counted. */
    __u64 php_logged;
    /* The path the client asked for and its query string (NULL: none):
     * r->parsed_uri's, in the request's pool, which outlives PHP's part of
     * it.  The BPF side reads them at PHP's end and makes a route of them
     * (phpbpf_route.h), so the module pays two stores, not the work. */
    __u64 path, query;
    /* PHP's error lines this child has logged (mod_php writes them while
     * the request runs): a route's errors are how far it moved between
     * PHP's start and end. */
    __u64 php_errors;
};

/* BPF-side event counters, kept in .bss and read by the helper through the
 * skeleton's mmap: every event that is not aggregated normally is counted
 * here, so the page can show it instead of silently dropping it. */
struct phpbpf_counters {
    __u64 hits;             /* every probe hit, ours or not: the trap cost */
    __u64 startups;         /* request__startup in our httpd's processes */
    __u64 shutdowns;        /* request__shutdown matched to a startup */
    __u64 foreign;          /* probe hits from processes of other programs */
    __u64 unattributed;     /* slot unreadable or not ours: vhost (other) */
    __u64 vhost_overflow;   /* slot named a vhost beyond the map */
    __u64 orphans;          /* shutdown with no recorded startup */
    __u64 inflight_errors;  /* no task storage could be allocated */
    __u64 compiles;         /* compile_file returns in our requests */
    __u64 compiles_outside; /* compiles outside a traced request */
    __u64 scripts_lost;     /* compile events the ring buffer had no room for */
    __u64 script_errors;    /* script path unreadable */
    __u64 classes_lost;     /* exception events the ring buffer had no room for */
    __u64 slow_lost;        /* slow-log events the ring buffer had no room for */
    __u64 samples;          /* stack samples of our requests taken */
    __u64 samples_lost;     /* ... the ring buffer had no room for */
    __u64 samples_unreadable; /* ... whose frames could not be read (not resident?) */
    __u64 stacks_truncated; /* stacks deeper than the walker goes */
    __u64 names_unreadable; /* function, class or file names that could not be read */
    __u64 backtraces;       /* slow requests' backtraces taken while they ran */
    __u64 backtraces_lost;  /* ... the ring buffer had no room for */
    __u64 sites_lost;       /* waits not charged to a call site: its table was full */
    __u64 unfinished;       /* requests whose end no program saw (a helper's gap) */
    __u64 missed;           /* requests a child logged that no program saw start */
    __u64 routes_lost;      /* requests whose route the table had no room for, not even (other) */
    __u64 queries_lost;     /* statements counted whose event the ring buffer had no room for */
    __u64 queries_outside;  /* statements outside a traced request (a CLI script, a startup) */
    __u64 fpm_foreign;      /* php-fpm requests for another client (nginx, another httpd) */
};

#define PHPBPF_COUNTER_NAMES \
    "hits", "startups", "shutdowns", "foreign", "unattributed", \
    "vhost_overflow", "orphans", "inflight_errors", "compiles", \
    "compiles_outside", "scripts_lost", "script_errors", "classes_lost", "slow_lost", \
    "samples", "samples_lost", "samples_unreadable", "stacks_truncated", "names_unreadable", \
    "backtraces", "backtraces_lost", "sites_lost", "unfinished", "missed", "routes_lost", \
    "queries_lost", "queries_outside", "fpm_foreign"

#define PHPBPF_NCOUNTERS (sizeof(struct phpbpf_counters) / sizeof(__u64))

/* What a request waited on: the classes of its off-CPU time (php_waits.bpf.h). */
enum phpbpf_wait_class {
    PHPBPF_W_MYSQL = 0, PHPBPF_W_PGSQL, PHPBPF_W_REDIS, PHPBPF_W_MEMCACHED, PHPBPF_W_HTTP,
    PHPBPF_W_DNS, PHPBPF_W_OTHER_NET, PHPBPF_W_FILE, PHPBPF_W_SLEEP, PHPBPF_W_LOCK,
    PHPBPF_W_RUNQUEUE, PHPBPF_W_OTHER,
    PHPBPF_WAIT_CLASSES
};

#define PHPBPF_WAIT_NAMES \
    "mysql", "pgsql", "redis", "memcached", "http", "dns", "other-net", "file", "sleep", \
    "lock", "runqueue", "other"

/* Peers by port, by address and port, and by unix socket path: the
 * defaults and PhpBpfPeer, at most this many of each. */
#define PHPBPF_MAX_PEERS 128

struct phpbpf_peer_key {
    __u32 family;           /* AF_INET or AF_INET6 */
    __u32 port;             /* host order */
    __u32 addr[4];          /* network order; IPv4 in addr[0] */
};

/* A unix socket path is known by this hash of its bytes up to its NUL
 * (all of them for an abstract name, which starts with one). */
#define PHPBPF_UNIX_PATH_MAX 128
#define PHPBPF_PATH_HASH_INIT 0xcbf29ce484222325ULL

static inline __attribute__((always_inline)) __u64 phpbpf_path_hash_step(__u64 h, unsigned char c)
{
    return (h ^ c) * 0x100000001b3ULL;
}

struct phpbpf_unix_path {
    __u64 hash;
    __u32 len;
    __u32 pad;
    char path[PHPBPF_UNIX_PATH_MAX];
};

/* Waits by PHP call site: the innermost user function's frame when the
 * request blocked (not usleep's or PDO's), known by the address of its
 * current opline.  That address is the same in every request for code
 * opcache keeps, even where the function itself is copied per request (a
 * script's main code, closures), so one site is one entry. */
struct phpbpf_site_key {
    __u32 vhost;
    __u16 wait_class;
    __u16 part;             /* the period's part of the table (below) */
    __u64 opline;
};

/* Call sites a period may hold (the table has PHPBPF_SITE_PARTS of them:
 * this period's, the one before, and the one the helper empties for the
 * next), shared among vhosts: a vhost takes a new site while it holds
 * fewer than its share, PHPBPF_MAX_WAIT_SITES / (vhosts with sites + 1),
 * which always leaves room for one more vhost. */
#define PHPBPF_MAX_WAIT_SITES 4096
#define PHPBPF_SITE_PARTS 3
/* The per-part arrays have room for 4, so that a part is bounded with a
 * mask the verifier follows (it loses the bounds of a remainder). */
#define PHPBPF_SITE_PARTS_ROOM 4
/* Vhosts the BPF side keeps per-vhost site counts for: PhpBpfMaxVhosts' limit. */
#define PHPBPF_MAX_VHOSTS 4096

struct phpbpf_site {
    __u64 func, name;       /* as struct phpbpf_frame, resolved through funcs: */
    __u32 line, kind;       /* the copy of the function seen last */
    __u32 persisted;        /* the opline is in opcache's shared memory */
    __u32 idx;              /* its totals: site_totals[idx] */
};

/* A site's totals, in the BPF object's .bss (indexed by phpbpf_site.idx):
 * charged at every switch-in after a wait, so a direct access rather than
 * a hash lookup, and read by the helper in place. */
struct phpbpf_site_total {
    __u64 ns;
    __u64 count;
};

/* Per vhost: off-CPU time and waits by class. */
struct phpbpf_waits {
    __u64 ns[PHPBPF_WAIT_CLASSES];
    __u64 count[PHPBPF_WAIT_CLASSES];
};

/* In-flight PHP request, keyed by thread id in an LRU hash, so a process
 * killed mid-request can never fill the map up.  The helper sizes it so
 * LRU's per-CPU free lists can never crowd out live entries. */
struct phpbpf_inflight {
    __u64 start_ns;
    __u32 vhost;
    __u32 seen;             /* a startup of this task was seen: logged is set */
    __u64 logged;           /* the slot's php_logged at that startup */
    __u64 compile_start_ns; /* 0 when not compiling */
    __u64 compile_fh;       /* compile_file()'s zend_file_handle *, until it returns */
    __u64 cpu_ts;           /* last switch in (or start) while on CPU, out while off */
    __u64 on_ns, off_ns;    /* so far in this request */
    __u64 seq;              /* the slot's request number: joins Apache's record */
    __u64 compile_us;       /* this request's, for the slow log */
    __u32 exc_thrown;
    __u32 bt_taken;         /* this request's backtrace was taken */
    __u32 wait_class;       /* of the off-CPU span under way */
    __u32 pad3;
    __u32 site;             /* the wait's site: site_totals index + 1, 0: none */
    __u32 site_next;        /* which of site_internal to replace */
    __u32 site_epoch;       /* the period the wait began in */
    __u32 pad5;
    __u64 site_internal[2]; /* internal functions seen innermost at a wait */
    /* The last site this task waited at in opcache's code, to know it
     * again without a lookup: the key, the function, its site. */
    __u64 sc_opline, sc_func;
    __u32 sc_vhost, sc_class, sc_site, sc_epoch;
    __u64 wait_ns[PHPBPF_WAIT_CLASSES];     /* this request's, by class */
    __u32 waits[PHPBPF_WAIT_CLASSES];
    __u64 req_time_us;      /* the slot's: when Apache read the request */
    __u64 path, query;      /* the slot's: the client's path and query string */
    /* The last route made in this task: the hash of the bytes it was made
     * from, and its key, so that the next request for the same URL (a
     * child serves many) finds its row without making it again. */
    __u64 rc_raw, rc_route;
    __u32 rc_vhost, rc_pad;
    __u64 errors_at;        /* the slot's php_errors at PHP's start */
    /* The SQL statement under way (queries.bpf.c): when it started, its
     * text and length (a query's), or its MYSQLND_STMT * (an execute's),
     * and the connection's; 0 start: none. */
    __u64 q_start_ns, q_text, q_len, q_conn;
    __u64 q_name;           /* libpq: PQexecPrepared's statement name */
    __u32 q_sys;            /* enum phpbpf_db_system */
    __u32 q_depth;          /* statements begun inside it (an error handler's) */
    /* Where this process has PHP's globals and execute_ex: libphp's are
     * the same in every httpd child; each php-fpm master has its binary
     * somewhere else (a PIE), so they are worked out at every startup. */
    __u64 eg, sg, ex_lo, ex_hi;
    __u64 script;           /* php-fpm: SG(request_info).path_translated at PHP's start */
    __u32 fpm;              /* 1: a php-fpm worker, running a request for our httpd */
    __u32 apid;             /* php-fpm: the Apache child's pid, as Apache has it (ns_pid) */
};

/* A slow request, sent through a BPF ring buffer when its PHP time reached
 * PhpBpfSlowThreshold.  The module joins it with Apache's record of the
 * same request by (pid, seq). */
#define PHPBPF_EV_STR 256
/* Slow requests the helper keeps, at most (PhpBpfSlowLogSize). */
#define PHPBPF_SLOW_MAX 256
struct phpbpf_slow_event {
    __u64 seq;
    __u32 pid, vhost;
    __u64 php_us, compile_us, on_us, off_us;
    __u32 exc_thrown;
    __u32 ns_pid;           /* pid in httpd's namespace: Apache's record's */
    __u64 wait_us[PHPBPF_WAIT_CLASSES];     /* with CPU tracing */
    __u32 waits[PHPBPF_WAIT_CLASSES];
    char method[16];
    char uri[PHPBPF_EV_STR];
    char script[PHPBPF_EV_STR];
    char route[PHPBPF_ROUTE_LEN];           /* "" without routes */
};

/* The slow log as the helper keeps it, in a map that outlives the helper
 * (phpbpf_state.bpf.h): the last events, n counting all. */
struct phpbpf_slow_log {
    __u64 n;
    struct phpbpf_slow_event ev[PHPBPF_SLOW_MAX];
};

/* What the helper's tables could not keep of a vhost (ftable.h), in a map
 * that outlives the helper, so that their counts never go backwards. */
struct phpbpf_table_lost {
    __u64 classes, scripts, stacks, stmts;
};

/* On-CPU and off-CPU time of PHP requests, per vhost (sched_switch). */
struct phpbpf_cpu {
    struct phpbpf_hist on, off;
};

/* Routes (phpbpf_route.h): per vhost, a row for each route, up to
 * PhpBpfMaxRoutes of them, and "(other)" for the rest.  Their latency
 * histograms are the vhost's with four buckets in one (a bucket is at most
 * a quarter of its lower bound wide): a route costs 2.3 KB, not 8. */
#define PHPBPF_RHIST_SHIFT 2
#define PHPBPF_RHIST_BUCKETS (PHPBPF_HIST_BUCKETS >> PHPBPF_RHIST_SHIFT)

struct phpbpf_rhist {
    __u64 count;
    __u64 sum_us;
    __u64 max_us;
    __u64 bucket[PHPBPF_RHIST_BUCKETS];
};

struct phpbpf_route_key {
    __u32 vhost;
    __u32 pad;
    __u64 hash;             /* of the route's text; PHPBPF_ROUTE_OTHER_HASH: (other) */
};

/* A route's ordinal: the order its vhost took it in (?metrics labels the
 * first PhpBpfMetricsRoutes, a set that never changes once taken); this
 * for (other). */
#define PHPBPF_ROUTE_ORDINAL_OTHER 0xffffffffu

struct phpbpf_route {
    char text[PHPBPF_ROUTE_LEN];
    __u32 ordinal;
    /* In a vhost's (other) row, made first: the routes the vhost holds,
     * so that the count lives and is carried with the rows it counts. */
    __u32 taken;
    __u64 status[5];        /* 1xx .. 5xx, as PHP left it (SG(sapi_headers)) */
    __u64 exc_thrown;
    __u64 errors;           /* PHP errors logged (the slot's php_errors) */
    __u64 on_us, off_us;    /* with CPU tracing */
    __u64 wait_us[PHPBPF_WAIT_CLASSES];
    struct phpbpf_rhist php;        /* count: the route's requests */
    struct phpbpf_rhist apache;     /* request read -> PHP's end */
};

/* Per-vhost figures beside the PHP time histogram. */
/* Every per-vhost counter the BPF programs keep, once:
 *   X(field, what it counts)
 * They are the vstats map's value, in this order, all __u64: the helper
 * copies them whole, the wire sends them as an array (PHPBPF_NVSTATS), a
 * vhost with any of them is sent (phpbpf_vstats_any), and the report keeps
 * them as its vhost's `bpf` (report.h) for each renderer to show by name.
 * A new one is a line here, the BPF code that counts it, and what each
 * renderer shows of it. */
#define PHPBPF_VSTATS(X)                                                                 \
    X(compiles, "compiles of its requests (PhpBpfCompileTracing)")                       \
    X(compile_us, "their time, us")                                                      \
    X(exc_thrown, "exceptions thrown")                                                   \
    X(samples, "PHP stack samples of its requests")                                      \
    X(lost, "its requests seen to start or end but not both")                            \
    X(sites_lost, "waits of a new call site beyond its share of the table")             \
    X(my_queries, "SQL statements its requests ran through mysqlnd (PhpBpfQueries)")     \
    X(my_query_ns, "their time, ns")                                                     \
    X(my_query_errors, "those that failed")                                              \
    X(pg_queries, "... through libpq (pgsql): each system on its own, so that each only grows") \
    X(pg_query_ns, "their time, ns")                                                     \
    X(pg_query_errors, "those that failed")

struct phpbpf_vstats {
#define PHPBPF_VSTAT_FIELD(f, what) __u64 f;
    PHPBPF_VSTATS(PHPBPF_VSTAT_FIELD)
#undef PHPBPF_VSTAT_FIELD
};

/* All __u64, so that the wire format sends it as an array, whatever it holds. */
#define PHPBPF_NVSTATS (sizeof(struct phpbpf_vstats) / sizeof(__u64))

/* Exception classes thrown: each throw is an event (the ring buffer
 * `events`), and the helper counts them by vhost and class in a table of
 * this many, shared fairly and by period (ftable.h). */
#define PHPBPF_MAX_CLASSES 1024
#define PHPBPF_CLASS_LEN 128

/* PHP stacks.  The walker in BPF records each frame as the addresses of
 * its zend_function and function name and its line; names are read once
 * into the `funcs` map, keyed by those two addresses (opcache keeps both
 * at the same place in every child for as long as the script is cached),
 * and the helper resolves frames through it. */
#define PHPBPF_STACK_MAX 64     /* frames a sample or backtrace holds */

enum phpbpf_frame_kind {
    PHPBPF_FK_USER = 0,         /* a function or method of PHP code */
    PHPBPF_FK_INTERNAL,         /* a function of PHP or an extension: usleep, PDO::query */
    PHPBPF_FK_MAIN,             /* the script itself */
    PHPBPF_FK_INCLUDE,
    PHPBPF_FK_INCLUDE_ONCE,
    PHPBPF_FK_REQUIRE,
    PHPBPF_FK_REQUIRE_ONCE,
    PHPBPF_FK_EVAL,
    PHPBPF_FK_KINDS
};

struct phpbpf_frame {
    __u64 func;             /* zend_function * */
    __u64 name;             /* its function_name (zend_string *, 0 for a file's code),
                             * salted with the request for code compiled for it alone */
    __u32 line;             /* 0 for internal functions */
    __u32 kind;             /* enum phpbpf_frame_kind */
};

/* What an event of the `events` ring buffer is: its first field. */
enum phpbpf_stack_source { PHPBPF_SRC_SAMPLE = 1, PHPBPF_SRC_BACKTRACE = 2, PHPBPF_SRC_CLASS = 3,
                           PHPBPF_SRC_COMPILE = 4, PHPBPF_SRC_QUERY = 5 };

struct phpbpf_stack_event {
    __u32 source;           /* enum phpbpf_stack_source */
    __u32 pid;
    __u32 vhost;
    __u32 nframes;          /* innermost first */
    __u64 seq;              /* the request */
    __u64 elapsed_us;       /* into the request, when taken */
    __u32 truncated;        /* deeper than PHPBPF_STACK_MAX */
    __u32 pad;
    struct phpbpf_frame frame[PHPBPF_STACK_MAX];
};

#define PHPBPF_FUNC_NAME_LEN 128     /* powers of two: see php_stack.bpf.h */
#define PHPBPF_FUNC_FILE_LEN 256

struct phpbpf_func_key {
    __u64 func, name;
};

struct phpbpf_func_info {
    char name[PHPBPF_FUNC_NAME_LEN];    /* "" for a file's code */
    char scope[PHPBPF_FUNC_NAME_LEN];   /* the class of a method, else "" */
    char file[PHPBPF_FUNC_FILE_LEN];    /* "" for internal functions */
    __u32 line_start;
    __u32 static_method;
};

/* Scripts by their full path, truncated to this many bytes. */
#define PHPBPF_PATH_LEN 256

/* An exception thrown in a request of vhost. */
struct phpbpf_class_event {
    __u32 source;           /* PHPBPF_SRC_CLASS */
    __u32 vhost;
    char name[PHPBPF_CLASS_LEN];
};

/* A compile (an opcache miss) in a request of vhost: the file as PHP
 * resolved it, and how long it took. */
struct phpbpf_compile_event {
    __u32 source;           /* PHPBPF_SRC_COMPILE */
    __u32 vhost;
    __u64 us;
    char path[PHPBPF_PATH_LEN];
};

/* SQL statements (queries.bpf.c): each one mysqlnd or libpq runs in a request is
 * counted in its vhost's vstats and sent as an event, for the helper to
 * normalise (common/sqlnorm.h) and count by statement.  The text is read
 * as far as this, the caller's stack as deep as PHPBPF_QUERY_FRAMES. */
#define PHPBPF_SQL_READ 2048
#define PHPBPF_QUERY_FRAMES 16
#define PHPBPF_SERVER_LEN 64

/* Which client library (snapshot.h's enum phpbpf_db_system). */
#define PHPBPF_DB_MYSQL_ID 0
#define PHPBPF_DB_PGSQL_ID 1

enum phpbpf_query_kind {
    PHPBPF_Q_TEXT = 0,          /* a statement sent as text (mysqli_query, PDO, emulated prepares) */
    PHPBPF_Q_PREPARE,           /* a prepared statement's text: no time, nothing counted */
    PHPBPF_Q_EXECUTE,           /* an execution of the statement prepared on `stmt` */
};

struct phpbpf_query_event {
    __u32 source;           /* PHPBPF_SRC_QUERY */
    __u32 kind;             /* enum phpbpf_query_kind */
    __u32 vhost, pid;
    __u64 seq;              /* the request */
    __u64 ns;               /* how long it ran (0 for a prepare) */
    __u64 stmt;             /* MYSQLND_STMT * of a prepare or an execute */
    __u32 failed;           /* mysqlnd said FAIL */
    __u32 len;              /* the text's length; text holds the first PHPBPF_SQL_READ */
    __u32 system;           /* enum phpbpf_db_system (snapshot.h): 0 mysql, 1 pgsql */
    __u32 nframes;          /* innermost first: the internal function (mysqli_query) */
    char server[PHPBPF_SERVER_LEN];         /* mysqlnd's scheme: unix:///path, tcp://host:port */
    /* libpq's prepared statements are known by their connection and name:
     * PQprepare's and PQexecPrepared's (a C string, cut to 63 bytes). */
    char name[PHPBPF_SERVER_LEN];
    struct phpbpf_frame frame[PHPBPF_QUERY_FRAMES];
    char text[PHPBPF_SQL_READ];             /* sent as long as it is: len bytes at most */
};

#endif
