/* The shared-memory segment: Apache's side of the numbers, written by
 * every child at log time and copied by the server-bpf handler.  Plain C
 * and APR types only.
 *
 * Every build of the module keeps `magic` and `size` as the segment's
 * first two fields: a new build loaded by a graceful restart after an
 * upgrade reads them to decide whether the segment it finds is its own. */
#ifndef PHPBPF_SHM_H
#define PHPBPF_SHM_H

#include <string.h>

#include "apr.h"
#include "apr_pools.h"
#include "../bpf/phpbpf.h"
#include "hist.h"

#define PHPBPF_NAME_MAX 256

enum phpbpf_method {
    PHPBPF_M_GET = 0,
    PHPBPF_M_HEAD,
    PHPBPF_M_POST,
    PHPBPF_M_OTHER,
    PHPBPF_M_COUNT
};

/* Why tracing is not running, as shown in the banner.  Kept by the parent
 * in shared memory so every child renders the same state. */
enum phpbpf_helper_state {
    PHPBPF_HELPER_OFF = 0,        /* PhpBpf Off */
    PHPBPF_HELPER_STARTING,       /* spawned, not yet known to be serving */
    PHPBPF_HELPER_FAILED,         /* could not start: reason says why */
    PHPBPF_HELPER_RESTARTING      /* died; a new one is on its way */
};

/* Apache's side of one vhost, updated by every child at log_transaction
 * with atomic adds: what the access log would say about PHP requests. */
struct phpbpf_vhost_rec {
    char name[PHPBPF_NAME_MAX];
    __u64 status[5];              /* 1xx .. 5xx, final status as %>s */
    __u64 method[PHPBPF_M_COUNT];
    __u64 errors[4];              /* enum phpbpf_err_level, as Apache logged them */
    __u64 uncaught;               /* uncaught exception and a 5xx */
    /* How its PHP ran: bit 0 mod_php, bit 1 + i php-fpm pool i (fpm_pool[]). */
    __u32 via;
    __u32 pad;
    /* Apache time, request read -> logged, as %D.  Its buckets are in the
     * segment's bucket region (phpbpf_apache_buckets()): a page copies
     * these records, and 4 KB of mostly empty buckets each made a copy of
     * 4.5 MB for 1000 vhosts; the page reads the buckets once instead, into
     * their sparse form (view->apache). */
    struct {
        __u64 count, sum_us, max_us;
    } apache;
};

/* PHP errors, from PHP's own lines in Apache's error log: php:error does
 * not fire in Debian's PHP 8.2 even with USE_ZEND_DTRACE=1 (measured). */
enum phpbpf_err_level { PHPBPF_E_FATAL, PHPBPF_E_WARNING, PHPBPF_E_NOTICE, PHPBPF_E_OTHER,
                        PHPBPF_E_LEVELS };

/* The most frequent distinct errors (message, file, line): a fixed table
 * that children fill lock-free; once full, new ones count as "other". */
#define PHPBPF_ERRORS 64
#define PHPBPF_MSG_MAX 160        /* bytes of message kept */
#define PHPBPF_ERRFILE_MAX 192

struct phpbpf_error_rec {
    __u64 hash;                   /* 0 = free; claimed with a CAS */
    __u64 count;
    __u32 ready;                  /* set once the text is written */
    __u32 pad;
    __u32 line, level;
    char msg[PHPBPF_MSG_MAX];
    char file[PHPBPF_ERRFILE_MAX];
};

/* The last PHP requests, for the page: a ring written at log_transaction.
 * `seq` is odd while an entry is being written, so a reader can tell a torn
 * copy and skip it. */
#define PHPBPF_RECENT 16
#define PHPBPF_URI_MAX 256
#define PHPBPF_HOST_MAX 128

struct phpbpf_recent {
    __u64 seq;
    __u64 time_us;
    __u64 apache_us;
    __u32 vhost;
    __u16 status;
    __u8 method;                  /* enum phpbpf_method */
    __u8 query;                   /* 1: the URI had a query string, which is not kept */
    char method_other[16];        /* the method's name, for PHPBPF_M_OTHER only */
    char host[PHPBPF_HOST_MAX];
    char uri[PHPBPF_URI_MAX];     /* the path the client asked for */
    char script[PHPBPF_URI_MAX];  /* r->uri where it differs (a front controller), else "" */
};

/* What a URI shows where its query string was: the string is never kept
 * (PhpBpfRecordQueryString keeps it in the slow ring only). */
#define PHPBPF_QUERY_REMOVED "?[query removed]"

/* Apache's record of requests whose Apache time reached the slow
 * threshold: the helper's slow events (PHP time reached it) are a subset,
 * joined to these by (pid, seq).  Same seqlock as phpbpf_recent. */
#define PHPBPF_SLOW_APACHE 512

struct phpbpf_slow_rec {
    __u64 lock;
    __u64 req_seq;                /* the slot's request number */
    __u64 time_us;
    __u64 apache_us;
    __u32 pid, status;
    __u32 errors, vhost;
    char method[16];
    char uri[PHPBPF_URI_MAX];
};

/* Changes with the layout below: a new module loaded by a graceful restart
 * after an upgrade must not reuse the old one's shared memory.
 *
 * PHPBPF_TEST_LAYOUT builds the same code with another layout and magic,
 * so that the suite can upgrade a running server to a build whose segment
 * is not compatible (t/56modupgrade.t). */
#ifdef PHPBPF_TEST_LAYOUT
#define PHPBPF_SHM_MAGIC 0x70687073686dff07ULL
#define PHPBPF_SHM_TEST_PAD char test_pad[3000];
#else
#define PHPBPF_SHM_MAGIC 0x70687073686d0007ULL
#define PHPBPF_SHM_TEST_PAD
#endif

struct phpbpf_shared {
    __u64 magic;
    __u64 size;                   /* of the whole segment */
    __u32 cap;                    /* entries in vhost[] */
    __u32 nvhosts;                /* entries in use, append-only */
    __u32 untracked_vhosts;       /* vhosts beyond cap, counted as (other) */
    __u32 helper_state;
    __u32 helper_pid;
    __u32 restarts;
    __u32 generation;
    __u32 compile_tracing;        /* PhpBpfCompileTracing On */
    __u32 cpu_tracing;            /* PhpBpfCpuTracing On */
    __u64 since_us;               /* when these counters started */
    __u64 helper_spawned_us;
    __u64 recent_head;
    /* What every request reads is up here, on the segment's first page:
     * each prefork child has its own TLB, so every page a request touches
     * is a miss the next time that child serves. */
    __u64 slow_us;                /* PhpBpfSlowThreshold, 0 = off */
    __u32 slow_size;              /* PhpBpfSlowLogSize */
    __u32 record_query;           /* PhpBpfRecordQueryString */
    __u64 slow_head;
    __u64 errors_other;           /* distinct errors beyond PHPBPF_ERRORS */
    /* php-fpm pools this server proxies to (mod_phpbpf/fpm.h): each one's
     * name, and the master and binary traced there or why none is. */
    __u32 fpm_npools;
    __u32 threaded;               /* a threaded MPM: PHP only through php-fpm */
    char fpm_pool[PHPBPF_FPM_POOLS_MAX][160];
    char fpm_state[PHPBPF_FPM_POOLS_MAX][320];
    PHPBPF_SHM_TEST_PAD
    char reason[512];
    char library[1024];
    struct phpbpf_recent recent[PHPBPF_RECENT];
    struct phpbpf_slow_rec slow[PHPBPF_SLOW_APACHE];
    struct phpbpf_error_rec errors[PHPBPF_ERRORS];
    struct phpbpf_vhost_rec vhost[]; /* cap entries, then cap x PHPBPF_HIST_BUCKETS buckets */
};

#define PHPBPF_SHM_SIZE(cap) \
    (sizeof(struct phpbpf_shared) \
     + (apr_size_t)(cap) * (sizeof(struct phpbpf_vhost_rec) + PHPBPF_HIST_BUCKETS * sizeof(__u64)))

/* The Apache-time buckets of vhost i in the live segment. */
static inline __u64 *phpbpf_apache_buckets(struct phpbpf_shared *sh, __u32 i)
{
    return (__u64 *)(void *)&sh->vhost[sh->cap] + (apr_size_t)i * PHPBPF_HIST_BUCKETS;
}

/* ------------------------------------------------ made by the parent */

/* A fresh segment of `size` bytes for cap vhosts, (other) in entry 0. */
void phpbpf_shm_init(struct phpbpf_shared *sh, apr_size_t size, __u32 cap, __u64 now_us);

/* 1 if the segment, `mapped` bytes long, has this build's layout. */
int phpbpf_shm_is_ours(const struct phpbpf_shared *sh, apr_size_t mapped);

/* The index of the vhost called name, appended if new; PHPBPF_VHOST_OTHER
 * once the table is full.  Indexes never change meaning. */
__u32 phpbpf_shm_vhost_index(struct phpbpf_shared *sh, const char *name);

void phpbpf_shm_set_state(struct phpbpf_shared *sh, enum phpbpf_helper_state st,
                          const char *reason);

/* ---------------------------------------------- written by children */

/* One request as Apache logged it. */
struct phpbpf_shm_request {
    __u64 time_us;                /* r->request_time */
    __u64 apache_us;
    __u32 vhost;
    __u32 status;                 /* final, as %>s */
    __u32 method;                 /* enum phpbpf_method */
    int uncaught;                 /* died of an uncaught exception, 5xx */
    const char *method_name;      /* r->method */
    const char *host;
    /* The path the client asked for and whether it had a query string:
     * r->parsed_uri's, which neither an internal fast redirect
     * (FallbackResource, DirectoryIndex) nor mod_rewrite's [PT] changes,
     * where r->uri is the script they went to. */
    const char *uri;
    const char *args;             /* its query string, or NULL */
    const char *script;           /* r->uri: where an internal redirect went; NULL: uri */
    __u32 via;                    /* phpbpf_vhost_rec's bit for how PHP ran */
};

/* The writers below run on every PHP request, so they are inline: what
 * the hook passes stays in registers, and the calls cost nothing.  Their
 * instructions are counted by the bench (callgrind); see README. */

static inline void phpbpf_shm_add_max(__u64 *slot, __u64 v)
{
    __u64 old = __atomic_load_n(slot, __ATOMIC_RELAXED);

    while (v > old && !__atomic_compare_exchange_n(slot, &old, v, 1, __ATOMIC_RELAXED,
                                                   __ATOMIC_RELAXED))
        ;
}

/* Takes the ring entry whose lock word is *w: its old (even) value, or 1
 * if another writer holds it. */
static inline __u64 phpbpf_shm_take(__u64 *w)
{
    __u64 seq = __atomic_load_n(w, __ATOMIC_ACQUIRE);

    if ((seq & 1) || !__atomic_compare_exchange_n(w, &seq, seq + 1, 0, __ATOMIC_ACQ_REL,
                                                  __ATOMIC_RELAXED))
        return 1;
    return seq;
}

/* A string into a fixed field, cut to fit: strnlen and memcpy move it a
 * word at a time. */
static inline void phpbpf_shm_put_str(char *dst, size_t size, const char *src)
{
    size_t n = strnlen(src, size - 1);

    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* The per-vhost counters and the Apache-time histogram.  The bucket
 * before the totals: a reader copies the totals first, so the buckets it
 * reads after them never hold fewer requests. */
/* Inlined in each of the two log paths (mod_php's, php-fpm's), which
 * would otherwise share an out-of-line copy and pay a call. */
#define PHPBPF_SHM_INLINE static inline __attribute__((always_inline))
PHPBPF_SHM_INLINE void phpbpf_shm_count_request(struct phpbpf_shared *sh,
                                            const struct phpbpf_shm_request *q)
{
    struct phpbpf_vhost_rec *v = &sh->vhost[q->vhost];
    __u32 cls = q->status / 100;

    if (cls - 1 < 5)
        __atomic_fetch_add(&v->status[cls - 1], 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&v->method[q->method], 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&phpbpf_apache_buckets(sh, q->vhost)[phpbpf_hist_bucket(q->apache_us)], 1,
                       __ATOMIC_RELAXED);
    __atomic_fetch_add(&v->apache.sum_us, q->apache_us, __ATOMIC_RELAXED);
    phpbpf_shm_add_max(&v->apache.max_us, q->apache_us);
    __atomic_fetch_add(&v->apache.count, 1, __ATOMIC_RELAXED);
    if (q->uncaught)
        __atomic_fetch_add(&v->uncaught, 1, __ATOMIC_RELAXED);
    /* A load, and a store only the first time. */
    if (!(__atomic_load_n(&v->via, __ATOMIC_RELAXED) & q->via))
        __atomic_fetch_or(&v->via, q->via, __ATOMIC_RELAXED);
}

/* The recent-requests ring: two strings copied (host and URI); the method
 * as its index, by name only when it is none of GET, HEAD, POST; whether
 * there was a query string, never the query string. */
PHPBPF_SHM_INLINE void phpbpf_shm_note_recent(struct phpbpf_shared *sh,
                                          const struct phpbpf_shm_request *q)
{
    __u64 n = __atomic_fetch_add(&sh->recent_head, 1, __ATOMIC_RELAXED);
    struct phpbpf_recent *e = &sh->recent[n % PHPBPF_RECENT];
    __u64 seq = phpbpf_shm_take(&e->seq);

    if (seq & 1)
        return;
    e->time_us = q->time_us;
    e->apache_us = q->apache_us;
    e->vhost = q->vhost;
    e->status = (__u16)q->status;
    e->method = (__u8)q->method;
    if (q->method == PHPBPF_M_OTHER)
        phpbpf_shm_put_str(e->method_other, sizeof(e->method_other), q->method_name);
    phpbpf_shm_put_str(e->host, sizeof(e->host), q->host);
    e->query = q->args != NULL;
    phpbpf_shm_put_str(e->uri, sizeof(e->uri), q->uri);
    /* The script beside it where an internal redirect ran another: on
     * the path of every request that is one compare of two pointers, as
     * r->uri is r->parsed_uri.path until something redirects. */
    if (!q->script || q->script == q->uri || strcmp(q->script, q->uri) == 0)
        e->script[0] = '\0';
    else
        phpbpf_shm_put_str(e->script, sizeof(e->script), q->script);
    __atomic_store_n(&e->seq, seq + 2, __ATOMIC_RELEASE);
}

/* Apache's side of a slow request, joined to the helper's by (pid, seq). */
void phpbpf_shm_note_slow(struct phpbpf_shared *sh, const struct phpbpf_shm_request *q,
                          __u32 pid, __u64 seq, __u32 errors);

struct phpbpf_php_error;

/* One PHP error of vhost idx: its level's counter and the table of
 * distinct errors. */
void phpbpf_shm_count_error(struct phpbpf_shared *sh, __u32 idx, const struct phpbpf_php_error *e);

/* --------------------------------------------- read by the handler */

/* A private copy of what a page needs from the segment, made once per page
 * and never changed after (mod_status's CVE-2014-0226 was rendering live
 * data): the header, and the ring entries and distinct errors that were
 * whole while copied.  The vhost records are read one at a time with
 * phpbpf_shm_vhost(), so that a thousand of them are not copied twice. */
struct phpbpf_shm_copy {
    const struct phpbpf_shared *sh;          /* only the fields before recent[] */
    struct phpbpf_shared *live;
    const struct phpbpf_recent **recent;     /* newest first */
    unsigned nrecent;
    const struct phpbpf_slow_rec **slow;     /* newest first; none with the slow log off */
    unsigned nslow;
    const struct phpbpf_error_rec **errors;  /* the entries in use, in table order */
    unsigned nerrors;
};

/* The copy lives in p. */
void phpbpf_shm_copy(struct phpbpf_shm_copy *c, struct phpbpf_shared *live, apr_pool_t *p);

/* One vhost's counters, as they were when read. */
struct phpbpf_shm_vhost {
    const char *name;             /* in the segment: written once, before any child reads it */
    __u64 status[5], method[PHPBPF_M_COUNT], errors[4], uncaught;
    __u32 via;                    /* phpbpf_vhost_rec's */
    struct phpbpf_sparse apache;  /* Apache time; its buckets live in p */
};

/* Vhost i (below c->sh->nvhosts), read from the live segment. */
void phpbpf_shm_vhost(const struct phpbpf_shm_copy *c, __u32 i, struct phpbpf_shm_vhost *v,
                      apr_pool_t *p);

#endif
