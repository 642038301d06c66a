/* The shared-memory segment's protocol, all in one place: the parent
 * creates it and appends vhosts; every child adds to it lock-free at log
 * time; the handler copies it and keeps only what was whole while copied.
 *
 * Writers use relaxed atomic adds: counters need no order between them.
 * The two rings (recent requests, slow requests) are seqlocks with one
 * writer per entry: a writer takes an entry by moving its sequence number
 * from even to odd, or leaves it to the child that got there first; a
 * reader drops an entry whose number was odd or moved while it copied. */
#include <string.h>

#include "apr_strings.h"

#include "shm.h"
#include "phperror.h"

void phpbpf_shm_init(struct phpbpf_shared *sh, apr_size_t size, __u32 cap, __u64 now_us)
{
    memset(sh, 0, size);
    sh->magic = PHPBPF_SHM_MAGIC;
    sh->size = size;
    sh->cap = cap;
    sh->nvhosts = 1;
    apr_cpystrn(sh->vhost[PHPBPF_VHOST_OTHER].name, "(other)", PHPBPF_NAME_MAX);
    sh->since_us = now_us;
}

int phpbpf_shm_is_ours(const struct phpbpf_shared *sh, apr_size_t mapped)
{
    return sh->magic == PHPBPF_SHM_MAGIC && mapped >= sh->size
           && sh->size == PHPBPF_SHM_SIZE(sh->cap);
}

__u32 phpbpf_shm_vhost_index(struct phpbpf_shared *sh, const char *name)
{
    __u32 i;

    for (i = 1; i < sh->nvhosts; i++)
        if (strncmp(sh->vhost[i].name, name, PHPBPF_NAME_MAX - 1) == 0)
            return i;
    if (sh->nvhosts >= sh->cap)
        return PHPBPF_VHOST_OTHER;
    apr_cpystrn(sh->vhost[i].name, name, PHPBPF_NAME_MAX);
    sh->nvhosts++;
    return i;
}

void phpbpf_shm_set_state(struct phpbpf_shared *sh, enum phpbpf_helper_state st,
                          const char *reason)
{
    sh->helper_state = st;
    apr_cpystrn(sh->reason, reason ? reason : "", sizeof(sh->reason));
}

static void put_removed(char *uri, size_t size)
{
    apr_cpystrn(uri + strnlen(uri, size - sizeof(PHPBPF_QUERY_REMOVED) - 1), PHPBPF_QUERY_REMOVED,
                sizeof(PHPBPF_QUERY_REMOVED));
}

void phpbpf_shm_note_slow(struct phpbpf_shared *sh, const struct phpbpf_shm_request *q,
                          __u32 pid, __u64 seq, __u32 errors)
{
    __u64 n = __atomic_fetch_add(&sh->slow_head, 1, __ATOMIC_RELAXED);
    struct phpbpf_slow_rec *e = &sh->slow[n % PHPBPF_SLOW_APACHE];
    __u64 lock = phpbpf_shm_take(&e->lock);

    if (lock & 1)
        return;
    e->req_seq = seq;
    e->pid = pid;
    e->time_us = q->time_us;
    e->apache_us = q->apache_us;
    e->status = q->status;
    e->errors = errors;
    e->vhost = q->vhost;
    phpbpf_shm_put_str(e->method, sizeof(e->method), q->method_name);
    /* The URL the client asked for, as the recent list shows it (the
     * script is the helper's, from PHP), and its query string if kept. */
    phpbpf_shm_put_str(e->uri, sizeof(e->uri), q->uri);
    if (q->args) {
        size_t at = strnlen(e->uri, sizeof(e->uri) - 1);

        if (sh->record_query)
            apr_snprintf(e->uri + at, sizeof(e->uri) - at, "?%s", q->args);
        else
            put_removed(e->uri, sizeof(e->uri));
    }
    __atomic_store_n(&e->lock, lock + 2, __ATOMIC_RELEASE);
}

static __u64 fnv1a(__u64 h, const char *p, size_t n)
{
    while (n--)
        h = (h ^ (unsigned char)*p++) * 0x100000001b3ULL;
    return h;
}

static void copy_text(char *dst, size_t size, const char *src, size_t len)
{
    size_t n = len < size - 1 ? len : size - 1;

    if (src)
        memcpy(dst, src, n);
    dst[src ? n : 0] = '\0';
}

/* Finds or claims the table entry of one distinct error (message, file,
 * line).  Lock-free: a child claims a free entry by CAS on its hash,
 * writes the text, then sets ready; others with the same hash may count
 * before that, and readers skip entries that are not ready yet.  Once the
 * table is full, new errors count as "other". */
void phpbpf_shm_count_error(struct phpbpf_shared *sh, __u32 idx, const struct phpbpf_php_error *e)
{
    __u64 h = fnv1a(0xcbf29ce484222325ULL, e->msg, e->msg_len);
    unsigned k;

    __atomic_fetch_add(&sh->vhost[idx].errors[e->level], 1, __ATOMIC_RELAXED);
    h = fnv1a(h, e->file ? e->file : "", e->file_len);
    h = fnv1a(h, (const char *)&e->line, sizeof(e->line)) | 1;   /* never 0 */
    for (k = 0; k < PHPBPF_ERRORS; k++) {
        struct phpbpf_error_rec *rec = &sh->errors[(h + k) % PHPBPF_ERRORS];
        __u64 cur = __atomic_load_n(&rec->hash, __ATOMIC_ACQUIRE);

        if (cur == 0 && __atomic_compare_exchange_n(&rec->hash, &cur, h, 0, __ATOMIC_ACQ_REL,
                                                    __ATOMIC_ACQUIRE)) {
            copy_text(rec->msg, sizeof(rec->msg), e->msg, e->msg_len);
            copy_text(rec->file, sizeof(rec->file), e->file, e->file_len);
            rec->line = e->line;
            rec->level = (__u32)e->level;
            __atomic_fetch_add(&rec->count, 1, __ATOMIC_RELAXED);
            __atomic_store_n(&rec->ready, 1, __ATOMIC_RELEASE);
            return;
        }
        if (cur == h) {
            __atomic_fetch_add(&rec->count, 1, __ATOMIC_RELAXED);
            return;
        }
    }
    __atomic_fetch_add(&sh->errors_other, 1, __ATOMIC_RELAXED);
}

/* Vhost records are read field by field, once: the page needs their
 * counters, not a copy of 392 bytes each (most of it the name).  Apache
 * time is made sparse, so that both sides render alike, with the buckets
 * read after the totals (see phpbpf_shm_count_request); a vhost with no
 * requests yet (most of a thousand, often) is not scanned at all. */
void phpbpf_shm_vhost(const struct phpbpf_shm_copy *c, __u32 i, struct phpbpf_shm_vhost *v,
                      apr_pool_t *p)
{
    const struct phpbpf_vhost_rec *a = &c->live->vhost[i];
    struct phpbpf_sparse_bucket room[PHPBPF_HIST_BUCKETS];
    unsigned k;

    v->name = a->name;
    v->apache = (struct phpbpf_sparse){ a->apache.count, a->apache.sum_us, a->apache.max_us, 0, NULL };
    for (k = 0; k < 5; k++)
        v->status[k] = a->status[k];
    for (k = 0; k < PHPBPF_M_COUNT; k++)
        v->method[k] = a->method[k];
    for (k = 0; k < 4; k++)
        v->errors[k] = a->errors[k];
    v->uncaught = a->uncaught;
    v->via = __atomic_load_n(&a->via, __ATOMIC_RELAXED);
    if (!v->apache.count)
        return;
    phpbpf_sparse_from_buckets(&v->apache, phpbpf_apache_buckets(c->live, i), room);
    v->apache.bucket = apr_pmemdup(p, room, v->apache.nnz * sizeof(*room));
}

/* Copies a ring entry whose lock word is *w into a fresh dst; NULL if a
 * writer held it or took it while it was copied. */
static void *copy_entry(apr_pool_t *p, const void *src, size_t size, const __u64 *w)
{
    __u64 before = __atomic_load_n(w, __ATOMIC_ACQUIRE);
    void *dst;

    if (!before || (before & 1))
        return NULL;
    dst = apr_pmemdup(p, src, size);
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    return __atomic_load_n(w, __ATOMIC_RELAXED) == before ? dst : NULL;
}

void phpbpf_shm_copy(struct phpbpf_shm_copy *c, struct phpbpf_shared *live, apr_pool_t *p)
{
    /* Room for the whole header, of which only the fields before the
     * rings are copied: pages of the rest are never touched. */
    struct phpbpf_shared *sh = apr_palloc(p, sizeof(*sh));
    __u64 k;
    unsigned i;

    memcpy(sh, live, APR_OFFSETOF(struct phpbpf_shared, recent));
    c->sh = sh;
    c->live = live;
    c->recent = apr_palloc(p, PHPBPF_RECENT * sizeof(*c->recent));
    c->nrecent = 0;
    for (k = 1; k <= PHPBPF_RECENT && k <= sh->recent_head; k++) {
        const struct phpbpf_recent *e = &live->recent[(sh->recent_head - k) % PHPBPF_RECENT];
        const struct phpbpf_recent *got = copy_entry(p, e, sizeof(*e), &e->seq);

        if (got && got->time_us)
            c->recent[c->nrecent++] = got;
    }
    c->nslow = 0;
    c->slow = NULL;
    /* The slow ring is most of the segment's header: copied only when
     * there is a slow log to join it with. */
    if (sh->slow_us) {
        c->slow = apr_palloc(p, PHPBPF_SLOW_APACHE * sizeof(*c->slow));
        for (k = 1; k <= PHPBPF_SLOW_APACHE && k <= sh->slow_head; k++) {
            const struct phpbpf_slow_rec *e = &live->slow[(sh->slow_head - k) % PHPBPF_SLOW_APACHE];
            const struct phpbpf_slow_rec *got = copy_entry(p, e, sizeof(*e), &e->lock);

            if (got)
                c->slow[c->nslow++] = got;
        }
    }
    /* An entry's text is written before `ready`, and never again. */
    c->errors = apr_palloc(p, PHPBPF_ERRORS * sizeof(*c->errors));
    c->nerrors = 0;
    for (i = 0; i < PHPBPF_ERRORS; i++)
        if (__atomic_load_n(&live->errors[i].ready, __ATOMIC_ACQUIRE) && live->errors[i].count)
            c->errors[c->nerrors++] = apr_pmemdup(p, &live->errors[i], sizeof(live->errors[i]));
}
