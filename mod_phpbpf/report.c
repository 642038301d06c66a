/* The seam between collection and rendering: a private copy of the shared
 * memory and the helper's snapshot in, one plain report out.  Everything
 * the four formats have in common is computed here, once per page. */
#include <stdlib.h>
#include <string.h>

#include "apr_hash.h"
#include "apr_strings.h"

#include "peers.h"
#include "report_build.h"
#include "report_queries.h"
#include "report_routes.h"
#include "report_stacks.h"

const char *const phpbpf_status_names[PHPBPF_REPORT_STATUS] = { "1xx", "2xx", "3xx", "4xx", "5xx" };
const char *const phpbpf_method_names[PHPBPF_REPORT_METHODS] = { "GET", "HEAD", "POST", "other" };
const char *const phpbpf_level_names[PHPBPF_REPORT_LEVELS] = { "error", "warning", "notice", "other" };

static const char *const counter_names[] = { PHPBPF_COUNTER_NAMES };
static const char *const probe_names[] = { PHPBPF_PROBE_NAMES };
static const char *const probe_kinds[] = { PHPBPF_PROBE_KINDS };
_Static_assert(sizeof(probe_names) / sizeof(*probe_names) == PHPBPF_NPROBES
               && sizeof(probe_kinds) / sizeof(*probe_kinds) == PHPBPF_NPROBES,
               "a name and a kind for every probe bit");

/* The BPF side of a vhost the helper had nothing for. */
static const struct phpbpf_snap_vhost no_data;


static double ratio(uint64_t part, uint64_t whole)
{
    return whole ? (double)part / (double)whole : 0;
}

/* a->apache is copied to *apache, which the report keeps. */
static void vhost(struct phpbpf_report_vhost *v, const struct phpbpf_shm_vhost *a,
                  struct phpbpf_sparse *apache, const struct phpbpf_snap_vhost *b,
                  double elapsed_s, int q)
{
    unsigned k;

    v->errors_total = 0;
    v->name = a->name;
    v->requests = a->apache.count;
    v->per_s = (double)a->apache.count / elapsed_s;
    *apache = a->apache;
    phpbpf_report_lat_of(&v->apache, apache, q);
    phpbpf_report_lat_of(&v->php, &b->php, q);
    phpbpf_report_lat_of(&v->compile, &b->compile, q);
    phpbpf_report_lat_of(&v->on_cpu, &b->cpu.on, q);
    phpbpf_report_lat_of(&v->off_cpu, &b->cpu.off, q);
    for (k = 0; k < PHPBPF_REPORT_STATUS; k++)
        v->status[k] = a->status[k];
    for (k = 0; k < PHPBPF_REPORT_METHODS; k++)
        v->method[k] = a->method[k];
    for (k = 0; k < PHPBPF_REPORT_LEVELS; k++)
        v->errors_total += v->errors[k] = a->errors[k];
    v->uncaught = a->uncaught;
    v->bpf = b->v;
    v->classes_lost = b->classes_lost;
    v->scripts_lost = b->scripts_lost;
    v->compiles_per_request = ratio(b->v.compiles, b->php.count);
    v->compile_share = ratio(b->v.compile_us, b->php.sum_us);
    v->on_share = ratio(b->cpu.on.sum_us, b->cpu.on.sum_us + b->cpu.off.sum_us);
    v->profile = NULL;
    v->wait = NULL;
    v->sites = NULL;
    v->nsites = 0;
    v->component_waits = NULL;
    v->ncomponent_waits = 0;
    v->routes = NULL;
    v->nroutes = 0;
    v->stmts = NULL;
    v->nstmts = 0;
    v->stmts_lost = 0;
    v->queries = b->v.my_queries + b->v.pg_queries;
    v->queries_us = (b->v.my_query_ns + b->v.pg_query_ns) / 1000;
    v->query_errors = b->v.my_query_errors + b->v.pg_query_errors;
}

_Static_assert(PHPBPF_REPORT_WAIT_CLASSES == PHPBPF_WAIT_CLASSES
               && PHPBPF_REPORT_RUNQUEUE == PHPBPF_W_RUNQUEUE, "one list of wait classes");

static const struct phpbpf_report_wait *waits(apr_pool_t *p, const struct phpbpf_snap_vhost *b)
{
    struct phpbpf_report_wait *w = apr_palloc(p, PHPBPF_WAIT_CLASSES * sizeof(*w));
    unsigned k;

    for (k = 0; k < PHPBPF_WAIT_CLASSES; k++) {
        uint64_t us = b->waits.ns[k] / 1000;

        w[k] = (struct phpbpf_report_wait){ us, b->waits.count[k],
                                            b->php.count ? (double)us / (double)b->php.count : 0,
                                            ratio(us, b->php.sum_us) };
    }
    return w;
}

/* ------------------------------------------------------------ stacks */

struct named {
    const char *name;
    uint32_t idx;
};

/* By name, with (other) last. */
static int by_name(const void *a, const void *b)
{
    const struct named *x = a, *y = b;

    if (x->idx == PHPBPF_VHOST_OTHER || y->idx == PHPBPF_VHOST_OTHER)
        return (x->idx == PHPBPF_VHOST_OTHER) - (y->idx == PHPBPF_VHOST_OTHER);
    return strcmp(x->name, y->name);
}

/* phpbpf_vhost_rec's via, in words. */
static const char *php_runs(apr_pool_t *p, const struct phpbpf_shared *sh, uint32_t via)
{
    const char *s = via & 1 ? "mod_php" : "";
    uint32_t k;

    for (k = 0; k < sh->fpm_npools && k < PHPBPF_FPM_POOLS_MAX; k++)
        if (via & (2u << k))
            s = apr_pstrcat(p, s, *s ? ", " : "", "php-fpm ",
                            apr_pstrndup(p, sh->fpm_pool[k], sizeof(sh->fpm_pool[k])), NULL);
    return s;
}

static void vhosts(apr_pool_t *p, struct phpbpf_report *r, const struct phpbpf_shm_copy *c,
                   const struct phpbpf_snapshot *snap, struct phpbpf_report_names *names)
{
    uint32_t n = c->sh->nvhosts, i, k;
    const struct phpbpf_snap_vhost **bpf = apr_pcalloc(p, n * sizeof(*bpf));
    /* Not zeroed: vhost() sets every field, and a thousand of these are
     * most of a page's memory. */
    struct phpbpf_report_vhost *v = apr_palloc(p, n * sizeof(*v));
    struct phpbpf_sparse *apache = apr_palloc(p, n * sizeof(*apache));
    struct phpbpf_shm_vhost a;
    struct named *tmp = apr_palloc(p, n * sizeof(*tmp));
    uint32_t *shown = apr_palloc(p, n * sizeof(*shown)), *exported = apr_palloc(p, n * sizeof(*exported));

    for (i = 0; snap && i < snap->nvhosts; i++)
        if (snap->vhosts[i].idx < n)
            bpf[snap->vhosts[i].idx] = &snap->vhosts[i];
    for (i = 0; i < n; i++) {
        phpbpf_shm_vhost(c, i, &a, p);
        vhost(&v[i], &a, &apache[i], bpf[i] ? bpf[i] : &no_data, r->elapsed_s, r->quantiles);
        v[i].php_runs = php_runs(p, c->sh, a.via);
        if (bpf[i] && bpf[i]->has_waits && r->cpu_traced)
            v[i].wait = waits(p, bpf[i]);
    }
    for (i = k = 0; i < n; i++)
        if (v[i].requests || v[i].php.hist->count)
            tmp[k++] = (struct named){ v[i].name, i };
    qsort(tmp, k, sizeof(*tmp), by_name);
    for (i = 0; i < k; i++)
        shown[i] = tmp[i].idx;
    r->nshown = k;
    /* Every configured vhost, with or without traffic yet, so that its
     * series exist from zero and rate() sees the first requests; (other)
     * only once something was counted there. */
    for (i = k = 0; i < n; i++)
        if (i != PHPBPF_VHOST_OTHER || v[i].requests || v[i].php.hist->count)
            exported[k++] = i;
    r->nexported = k;
    r->vhost = v;
    r->nvhosts = n;
    r->shown = shown;
    r->exported = exported;
    if (snap) {
        phpbpf_report_stacks(p, r, snap, v, names);
        phpbpf_report_routes(p, r, snap, v);
        phpbpf_report_queries(p, r, snap, v, names);
    }
}

static const char *vhost_name(const struct phpbpf_report *r, uint32_t idx)
{
    return idx < r->nvhosts ? r->vhost[idx].name : "?";
}

static void recent(apr_pool_t *p, struct phpbpf_report *r, const struct phpbpf_shm_copy *c)
{
    struct phpbpf_report_request *q = apr_pcalloc(p, (c->nrecent + 1) * sizeof(*q));
    unsigned i;

    for (i = 0; i < c->nrecent; i++) {
        const struct phpbpf_recent *e = c->recent[i];

        /* The ring keeps the method as its index and only whether there
         * was a query string: both are spelled out here, off the request
         * path. */
        const char *method = e->method < PHPBPF_M_OTHER ? phpbpf_method_names[e->method]
                                                         : e->method_other;

        q[i] = (struct phpbpf_report_request){ e->time_us, e->apache_us, vhost_name(r, e->vhost),
                                               e->host, method,
                                               e->query ? apr_pstrcat(p, e->uri, PHPBPF_QUERY_REMOVED, NULL)
                                                        : e->uri,
                                               e->status, e->script[0] ? e->script : NULL };
    }
    r->recent = q;
    r->nrecent = c->nrecent;
}

/* Apache's record of a slow request (the newest with its pid and number),
 * or NULL if its ring moved on. */
static const struct phpbpf_slow_rec *apache_slow(const struct phpbpf_shm_copy *c,
                                                 const struct phpbpf_slow_event *e)
{
    unsigned k;

    for (k = 0; k < c->nslow; k++)
        if (c->slow[k]->pid == e->pid && c->slow[k]->req_seq == e->seq)
            return c->slow[k];
    return NULL;
}

static void slow(apr_pool_t *p, struct phpbpf_report *r, const struct phpbpf_shm_copy *c,
                 const struct phpbpf_snapshot *snap, struct phpbpf_report_names *names)
{
    unsigned n = snap && r->slow_threshold_us ? snap->nslow : 0, i;
    struct phpbpf_report_slow *q = apr_pcalloc(p, (n + 1) * sizeof(*q));

    for (i = 0; i < n; i++) {
        const struct phpbpf_slow_event *e = &snap->slow[i];
        const struct phpbpf_slow_rec *a = apache_slow(c, e);

        q[i].vhost = vhost_name(r, e->vhost);
        /* Apache's copy has the method and URI as Apache saw them, with
         * the query string as PhpBpfRecordQueryString says. */
        q[i].method = a ? a->method : e->method;
        q[i].uri = a ? a->uri : e->uri;
        q[i].script = e->script;
        q[i].route = e->route[0] ? e->route : NULL;
        if ((q[i].apache_known = a != NULL)) {
            q[i].time_us = a->time_us;
            q[i].apache_us = a->apache_us;
            q[i].status = a->status;
            q[i].errors = a->errors;
        }
        q[i].php_us = e->php_us;
        q[i].compile_us = e->compile_us;
        q[i].on_us = e->on_us;
        q[i].off_us = e->off_us;
        q[i].exceptions = e->exc_thrown;
        memcpy(q[i].wait_us, e->wait_us, sizeof(q[i].wait_us));
        memcpy(q[i].waits, e->waits, sizeof(q[i].waits));
        phpbpf_report_backtrace(p, &q[i], names, snap->backtraces ? &snap->backtraces[i] : NULL);
        phpbpf_report_slow_queries(p, &q[i], names, snap->slow_stmts ? &snap->slow_stmts[i] : NULL);
    }
    r->slow = q;
    r->nslow = n;
}

static int by_err_count(const void *a, const void *b)
{
    const struct phpbpf_error_rec *x = *(const struct phpbpf_error_rec *const *)a;
    const struct phpbpf_error_rec *y = *(const struct phpbpf_error_rec *const *)b;

    return x->count < y->count ? 1 : x->count > y->count ? -1 : 0;
}

/* The error table's filled entries, most frequent first. */
static void errors(apr_pool_t *p, struct phpbpf_report *r, const struct phpbpf_shm_copy *c)
{
    const struct phpbpf_error_rec *t[PHPBPF_ERRORS];
    struct phpbpf_report_error *q = apr_pcalloc(p, PHPBPF_ERRORS * sizeof(*q));
    unsigned i, n = c->nerrors;

    memcpy(t, c->errors, n * sizeof(*t));
    qsort(t, n, sizeof(*t), by_err_count);
    for (i = 0; i < n; i++)
        q[i] = (struct phpbpf_report_error){ phpbpf_level_names[t[i]->level & 3], t[i]->msg,
                                             t[i]->file, t[i]->line, t[i]->count };
    r->errors = q;
    r->nerrors = n;
    r->errors_other = c->sh->errors_other;
    r->errors_max = PHPBPF_ERRORS;
    r->message_max = PHPBPF_MSG_MAX - 1;
}

/* Measured, not assumed: every probe hit in this server's processes
 * divided by the PHP requests that completed. */
static double hits_per_request(const struct phpbpf_snapshot *s)
{
    return ratio(s->counters[PHPBPF_CTR(hits)] - s->counters[PHPBPF_CTR(foreign)],
                 s->counters[PHPBPF_CTR(shutdowns)]);
}

/* Every probe there is, so that ?metrics exports each at 0 or 1. */
static void probes(apr_pool_t *p, struct phpbpf_report *r, const struct phpbpf_snapshot *s)
{
    struct phpbpf_report_probe *q = apr_palloc(p, PHPBPF_NPROBES * sizeof(*q));
    unsigned k;

    for (k = 0; k < PHPBPF_NPROBES; k++)
        q[k] = (struct phpbpf_report_probe){ probe_names[k], probe_kinds[k],
                                              s && (s->probes & (1u << k)) };
    r->probes = q;
    r->nprobes = PHPBPF_NPROBES;
}

/* The vhosts' names of the classes and scripts, once the vhosts are in. */
static void table_vhosts(struct phpbpf_report *r)
{
    struct phpbpf_report_class *c = (struct phpbpf_report_class *)r->classes;
    struct phpbpf_report_script *s = (struct phpbpf_report_script *)r->scripts;
    unsigned k;

    for (k = 0; k < r->nclasses; k++)
        c[k].vhost = c[k].vidx < r->nvhosts ? r->vhost[c[k].vidx].name : "(other)";
    for (k = 0; k < r->nscripts; k++)
        s[k].vhost = s[k].vidx < r->nvhosts ? r->vhost[s[k].vidx].name : "(other)";
}

static void helper(apr_pool_t *p, struct phpbpf_report *r, const struct phpbpf_snapshot *s)
{
    struct phpbpf_report_count *ctr = apr_palloc(p, PHPBPF_NCOUNTERS * sizeof(*ctr));
    struct phpbpf_report_class *cls = apr_palloc(p, (s->nclasses + 1) * sizeof(*cls));
    struct phpbpf_report_script *scr = apr_pcalloc(p, (s->nscripts + 1) * sizeof(*scr));
    unsigned k;

    r->helper = 1;
    r->helper_started_us = s->started_us;
    r->php_since_us = s->php_since_us;
    r->requests_lost = s->counters[PHPBPF_CTR(unfinished)] + s->counters[PHPBPF_CTR(missed)]
                       + s->counters[PHPBPF_CTR(orphans)];
    r->uptime_s = s->now_us > s->started_us ? (s->now_us - s->started_us) / 1000000 : 0;
    r->helper_pid = s->helper_pid;
    r->generation = s->generation;
    r->hits_per_request = hits_per_request(s);
    for (k = 0; k < PHPBPF_NCOUNTERS; k++)
        ctr[k] = (struct phpbpf_report_count){ counter_names[k], s->counters[k] };
    r->counters = ctr;
    r->ncounters = PHPBPF_NCOUNTERS;
    r->cpu_traced = r->cpu_configured && (s->probes & PHPBPF_PROBE_SCHED_SWITCH);
    r->compile_traced = r->compile_tracing && (s->probes & PHPBPF_PROBE_COMPILE_RETURN);
    r->slow_lost = s->counters[PHPBPF_CTR(slow_lost)];
    r->window_s = s->window_s;
    r->window_since_us = s->window_since_us;
    for (k = 0; k < s->nclasses; k++)
        cls[k] = (struct phpbpf_report_class){ s->classes[k].vhost, NULL, s->classes[k].name,
                                               s->classes[k].count };
    r->classes = cls;
    r->nclasses = s->nclasses;
    r->classes_other = s->counters[PHPBPF_CTR(classes_lost)];
    for (k = 0; k < s->nvhosts; k++)
        r->classes_other += s->vhosts[k].classes_lost;
    r->sites_lost = s->counters[PHPBPF_CTR(sites_lost)];
    for (k = 0; k < s->nscripts; k++) {
        scr[k].vidx = s->scripts[k].vhost;
        scr[k].path = s->scripts[k].path;
        phpbpf_report_lat_of(&scr[k].compile, &s->scripts[k].compile, r->quantiles);
    }
    r->scripts = scr;
    r->nscripts = s->nscripts;
    r->scripts_tracked = s->scripts_tracked;
    r->scripts_evicted = s->scripts_evicted + s->counters[PHPBPF_CTR(scripts_lost)];
    r->compiles_outside = s->counters[PHPBPF_CTR(compiles_outside)];
    r->orphans = s->counters[PHPBPF_CTR(orphans)];
    r->vhost_overflow = s->counters[PHPBPF_CTR(vhost_overflow)];
    r->inflight_errors = s->counters[PHPBPF_CTR(inflight_errors)];
}

struct phpbpf_report *phpbpf_report_build(apr_pool_t *p, const struct phpbpf_shm_copy *c,
                                          const struct phpbpf_snapshot *snap,
                                          const char *unavailable, uint64_t now_us,
                                          int quantiles, const apr_array_header_t *components)
{
    struct phpbpf_report *r = apr_pcalloc(p, sizeof(*r));
    const struct phpbpf_shared *sh = c->sh;
    double elapsed = (double)(now_us - sh->since_us) / 1e6;

    r->now_us = now_us;
    r->quantiles = quantiles;
    r->reason = unavailable;
    r->library = sh->library;
    for (r->nfpm = 0; r->nfpm < sh->fpm_npools && r->nfpm < PHPBPF_FPM_POOLS_MAX; r->nfpm++) {
        r->fpm_pool[r->nfpm] = apr_pstrndup(p, sh->fpm_pool[r->nfpm], sizeof(sh->fpm_pool[0]));
        r->fpm_state[r->nfpm] = apr_pstrndup(p, sh->fpm_state[r->nfpm], sizeof(sh->fpm_state[0]));
    }
    r->helper_restarts = sh->restarts;
    r->compile_tracing = sh->compile_tracing != 0;
    r->cpu_configured = sh->cpu_tracing != 0;
    r->slow_threshold_us = sh->slow_us;
    r->slow_size = sh->slow_size;
    r->record_query = sh->record_query != 0;
    r->since_us = sh->since_us;
    r->elapsed_s = elapsed > 0.001 ? elapsed : 0.001;
    r->vhosts_configured = sh->nvhosts - 1;
    r->vhosts_untracked = sh->untracked_vhosts;
    r->classes_max = PHPBPF_MAX_CLASSES;
    r->sites_max = PHPBPF_MAX_WAIT_SITES;
    r->classes = apr_pcalloc(p, sizeof(*r->classes));
    r->scripts = apr_pcalloc(p, sizeof(*r->scripts));
    struct phpbpf_report_names names;

    phpbpf_report_names_init(&names, p, snap, components);
    probes(p, r, snap);
    if (snap)
        helper(p, r, snap);
    vhosts(p, r, c, snap, &names);
    table_vhosts(r);
    recent(p, r, c);
    slow(p, r, c, snap, &names);
    errors(p, r, c);
    return r;
}
