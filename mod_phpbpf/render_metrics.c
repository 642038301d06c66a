/* /server-bpf?metrics: the Prometheus text format (0.0.4), or OpenMetrics
 * 1.0 when the scraper asks for it.
 *
 * Labels are bounded by configuration: vhost names (at most
 * PhpBpfMaxVhosts), status classes, probe and map names, and a vhost's
 * routes (at most PhpBpfMaxRoutes and "(other)", on two counters only).
 * No URI, script or pid ever becomes a label: a route is made of the
 * path's shape, never its ids, values or a search term.
 *
 * Histogram buckets are a fixed set chosen among the BPF histogram's own
 * bucket boundaries, so every cumulative count is exact: 2^k and 1.5 * 2^k
 * microseconds from 128 us to 25.2 s (36 buckets and +Inf) with
 * PhpBpfMetricsFineBuckets On.  By default, to keep a vhost within 40
 * series (README), PHP time has the 11 of them nearest to client
 * libraries' defaults (5 ms .. 10 s) and Apache time only +Inf, its sum
 * and count.
 *
 * Never a value it does not have: while the helper does not answer, every
 * family it counts is left out (a 0 would read as a counter reset, and
 * increase() would spike when the real value came back), and
 * phpbpf_helper_up says so, as an exporter's "up" gauge does. */
#include "apr_strings.h"

#include "escape.h"
#include "render.h"


static const char *const code_text[] = { ",code=\"1xx\"}", ",code=\"2xx\"}", ",code=\"3xx\"}",
                                         ",code=\"4xx\"}", ",code=\"5xx\"}" };

#define NBOUNDS PHPBPF_METRIC_BOUNDS

/* Which of the NBOUNDS bounds a histogram has. */
enum bounds { B_NONE, B_COARSE, B_FINE };

/* 4.1 ms, 8.2, 24.6, 49.2, 98.3, 262, 524 ms, 1.05 s, 2.1, 4.2, 8.4 s:
 * phpbpf_metric_bound(i) for these i, near 5 ms, 10, 25, 50, 100, 250,
 * 500 ms, 1 s, 2.5, 5, 10 s. */
static const unsigned char coarse[NBOUNDS] = {
    [10] = 1, [12] = 1, [15] = 1, [17] = 1, [19] = 1, [22] = 1, [24] = 1, [26] = 1, [28] = 1,
    [30] = 1, [32] = 1,
};

struct exp {
    struct phpbpf_out *o;
    apr_pool_t *p;
    const struct phpbpf_report *r;
    int om;                       /* OpenMetrics */
    const char **lbl;             /* vhost="..." per vhost index, escaped once */
};

/* Per bound: the bucket that starts at it, and ',le="<bound>"} '.  Made
 * once per process. */
static uint32_t le_bucket[NBOUNDS];
static char le_text[NBOUNDS][24];

static void printf_line(struct exp *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* For the few lines that are not per vhost. */
static void printf_line(struct exp *e, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    phpbpf_out_str(e->o, apr_pvsprintf(e->p, fmt, ap));
    va_end(ap);
}

/* A metric family header.  OpenMetrics names a counter family without its
 * _total suffix; the text format uses the sample name. */
static void family(struct exp *e, const char *name, const char *type, const char *help)
{
    size_t n = strlen(name);
    const char *fam = name;

    if (e->om && strcmp(type, "counter") == 0 && n > 6 && strcmp(name + n - 6, "_total") == 0)
        fam = apr_pstrndup(e->p, name, n - 6);
    printf_line(e, "# HELP %s %s\n# TYPE %s %s\n", fam, help, fam, type);
    if (e->om && strstr(name, "_seconds"))
        printf_line(e, "# UNIT %s seconds\n", fam);
}

static char *put(char *at, const char *s, size_t n)
{
    memcpy(at, s, n);
    return at + n;
}

/* Seconds with six decimals, as "%.6f" of us / 1e6 prints them. */
static size_t fmt_seconds(char *dst, uint64_t us)
{
    if (us < PHPBPF_FMT_MICRO_EXACT)
        return phpbpf_fmt_micro(dst, us);
    return apr_snprintf(dst, PHPBPF_FMT_MAX + 1, "%.6f", (double)us / 1e6);
}

/* One sample line, "<a><b><c><d> <value>\n"; with `seconds`, v is in
 * microseconds and shown in seconds. */
static void sample(struct exp *e, const char *a, const char *b, const char *c, const char *d,
                   uint64_t v, int seconds)
{
    size_t na = strlen(a), nb = strlen(b), nc = strlen(c), nd = strlen(d);
    char *at = phpbpf_out_room(e->o, na + nb + nc + nd + PHPBPF_FMT_MAX + 2), *p = at;

    p = put(put(put(put(p, a, na), b, nb), c, nc), d, nd);
    *p++ = ' ';
    p += seconds ? fmt_seconds(p, v) : phpbpf_fmt_u64(p, v);
    *p++ = '\n';
    e->o->len += (size_t)(p - at);
}

/* A histogram's lines share "<name>_bucket{<vhost label>": it is put
 * together once, and each line is that, the bound and the count. */
static void hist(struct exp *e, const char *name, const char *lbl, const struct phpbpf_sparse *h,
                 enum bounds which)
{
    const char *pre = apr_pstrcat(e->p, name, "_bucket{", lbl, NULL);
    size_t npre = strlen(pre);
    uint64_t cum = 0;
    uint32_t k = 0;
    unsigned i;

    for (i = 0; i < NBOUNDS && which != B_NONE; i++) {
        size_t nle = strlen(le_text[i]);
        char *at, *p;

        /* The BPF bucket holding le starts exactly at le: count all before. */
        while (k < h->nnz && h->bucket[k].idx < le_bucket[i])
            cum += h->bucket[k++].count;
        if (which == B_COARSE && !coarse[i])
            continue;
        p = at = phpbpf_out_room(e->o, npre + nle + PHPBPF_FMT_MAX + 1);
        p = put(put(p, pre, npre), le_text[i], nle);
        p += phpbpf_fmt_u64(p, cum);
        *p++ = '\n';
        e->o->len += (size_t)(p - at);
    }
    for (; k < h->nnz; k++)
        cum += h->bucket[k].count;
    /* +Inf and _count from the same buckets, so they always agree. */
    sample(e, pre, ",le=\"+Inf\"}", "", "", cum, 0);
    sample(e, name, "_sum{", lbl, "}", h->sum_us, 1);
    sample(e, name, "_count{", lbl, "}", cum, 0);
}

static const char *vlabel(struct exp *e, uint32_t i)
{
    if (!e->lbl[i])
        e->lbl[i] = apr_pstrcat(e->p, "vhost=\"", phpbpf_prom_label(e->p, e->r->vhost[i].name),
                                "\"", NULL);
    return e->lbl[i];
}

/* Which latency of a vhost a histogram family exports. */
typedef const struct phpbpf_report_lat *(*lat_of)(const struct phpbpf_report_vhost *v);

static const struct phpbpf_report_lat *apache_of(const struct phpbpf_report_vhost *v) { return &v->apache; }
static const struct phpbpf_report_lat *php_of(const struct phpbpf_report_vhost *v) { return &v->php; }
static const struct phpbpf_report_lat *compile_of(const struct phpbpf_report_vhost *v) { return &v->compile; }
static const struct phpbpf_report_lat *on_cpu_of(const struct phpbpf_report_vhost *v) { return &v->on_cpu; }
static const struct phpbpf_report_lat *off_cpu_of(const struct phpbpf_report_vhost *v) { return &v->off_cpu; }

static void hist_family(struct exp *e, const char *name, const char *help, lat_of which,
                        enum bounds b)
{
    const struct phpbpf_report *r = e->r;
    uint32_t k;

    family(e, name, "histogram", help);
    for (k = 0; k < r->nexported; k++)
        hist(e, name, vlabel(e, r->exported[k]), which(&r->vhost[r->exported[k]])->hist, b);
}

/* A counter of seconds: the sum of that latency. */
static void seconds_family(struct exp *e, const char *name, const char *help, lat_of which)
{
    const struct phpbpf_report *r = e->r;
    const char *pre = apr_pstrcat(e->p, name, "{", NULL);
    uint32_t k;

    family(e, name, "counter", help);
    for (k = 0; k < r->nexported; k++)
        sample(e, pre, vlabel(e, r->exported[k]), "}", "",
               which(&r->vhost[r->exported[k]])->hist->sum_us, 1);
}

/* Off-CPU time or waits by class, every exported vhost, every class (a
 * fixed list), so a series exists from zero. */
static void wait_family(struct exp *e, const char *const *cls, const char *name, const char *help,
                        int seconds)
{
    const struct phpbpf_report *r = e->r;
    const char *open = apr_pstrcat(e->p, name, "{", NULL);
    uint32_t k, c;

    family(e, name, "counter", help);
    for (k = 0; k < r->nexported; k++)
        for (c = 0; c < PHPBPF_REPORT_WAIT_CLASSES; c++) {
            const struct phpbpf_report_wait *w = r->vhost[r->exported[k]].wait;

            sample(e, open, vlabel(e, r->exported[k]), cls[c], "",
                   !w ? 0 : seconds ? w[c].total_us : w[c].count, seconds);
        }
}

static void wait_families(struct exp *e)
{
    const char *cls[PHPBPF_REPORT_WAIT_CLASSES];
    uint32_t c;

    for (c = 0; c < PHPBPF_REPORT_WAIT_CLASSES; c++)
        cls[c] = apr_pstrcat(e->p, ",class=\"", phpbpf_wait_names[c], "\"}", NULL);
    wait_family(e, cls, "phpbpf_wait_seconds_total",
                "Off-CPU time of PHP requests by what they waited on; PhpBpfCpuTracing On.", 1);
    wait_family(e, cls, "phpbpf_waits_total",
                "Times PHP requests were switched out to wait, by what on; PhpBpfCpuTracing On.", 0);
}

/* SQL statements per vhost and system: counts and time only, never a
 * statement's text as a label (PhpBpfQueries).  3 series for each vhost
 * and system that has run a statement, none for the others: queries are
 * on by default, and a vhost without a database pays nothing. */
static void db_families(struct exp *e)
{
    static const struct { const char *name, *help; int seconds; } f[3] = {
        { "phpbpf_db_statements_total", "SQL statements run by the vhost's PHP requests (PhpBpfQueries).", 0 },
        { "phpbpf_db_seconds_total", "Their time, from sending each to its result's header.", 1 },
        { "phpbpf_db_errors_total", "Those that failed.", 0 },
    };
    const struct phpbpf_report *r = e->r;
    unsigned j, k, i, any = 0;

    for (k = 0; k < r->nexported; k++)
        any += r->vhost[r->exported[k]].queries != 0;
    for (j = 0; any && j < 3; j++) {
        family(e, f[j].name, "counter", f[j].help);
        for (k = 0; k < r->nexported; k++) {
            const struct phpbpf_vstats *b = &r->vhost[i = r->exported[k]].bpf;
            /* Each system's own counters, so that each series only grows. */
            uint64_t my[3] = { b->my_queries, b->my_query_ns / 1000, b->my_query_errors };
            uint64_t pg[3] = { b->pg_queries, b->pg_query_ns / 1000, b->pg_query_errors };
            const char *l = vlabel(e, i);

            if (b->my_queries)
                sample(e, apr_pstrcat(e->p, f[j].name, "{", NULL), l, ",system=\"mysql\"}", "",
                       my[j], f[j].seconds);
            if (b->pg_queries)
                sample(e, apr_pstrcat(e->p, f[j].name, "{", NULL), l, ",system=\"pgsql\"}", "",
                       pg[j], f[j].seconds);
        }
    }
}

/* Two counters per route: its requests and their PHP time, for the first
 * PhpBpfMetricsRoutes routes the vhost took (a set that, once taken,
 * never changes, so each series only grows), and the rest together as
 * route="(other)", from the vhost's first route on. */
static void route_line(struct exp *e, const char *open, const char *vl, const char *route,
                       uint64_t v, int seconds)
{
    sample(e, open, vl, apr_pstrcat(e->p, ",route=\"", phpbpf_prom_label(e->p, route), "\"}", NULL),
           "", v, seconds);
}

static void routes(struct exp *e)
{
    const struct phpbpf_report *r = e->r;
    uint32_t k, j, n;
    int pass;

    if (!r->helper || !r->max_routes)
        return;
    for (pass = 0; pass < 2; pass++) {
        const char *name = pass ? "phpbpf_route_php_seconds_total" : "phpbpf_route_requests_total";

        family(e, name, "counter",
               pass ? "PHP time of the vhost's requests by route (PhpBpfMetricsRoutes per vhost)."
                    : "PHP requests by route: the first PhpBpfMetricsRoutes routes of the vhost, "
                      "the rest as (other).");
        name = apr_pstrcat(e->p, name, "{", NULL);
        for (k = 0; k < r->nexported; k++) {
            const struct phpbpf_report_vhost *v = &r->vhost[r->exported[k]];
            const char *vl = vlabel(e, r->exported[k]);
            uint64_t rest = 0;

            if (!v->nroutes)
                continue;
            /* By ordinal, so that lines keep their order from scrape to scrape. */
            for (n = 0; n < r->metrics_routes && n < r->max_routes; n++)
                for (j = 0; j < v->nroutes; j++)
                    if (v->routes[j].ordinal == n) {
                        route_line(e, name, vl, v->routes[j].route,
                                   pass ? v->routes[j].php.hist->sum_us : v->routes[j].requests, pass);
                        break;
                    }
            for (j = 0; j < v->nroutes; j++)
                if (v->routes[j].ordinal >= r->metrics_routes)
                    rest += pass ? v->routes[j].php.hist->sum_us : v->routes[j].requests;
            route_line(e, name, vl, PHPBPF_ROUTE_OTHER, rest, pass);
        }
    }
}

static void per_vhost(struct exp *e)
{
    const struct phpbpf_report *r = e->r;
    uint32_t k, i, c;

    hist_family(e, "phpbpf_request_duration_seconds",
                "Apache request time of PHP requests: request read to logged, as %D.", apache_of,
                r->metrics_fine ? B_FINE : B_NONE);
    if (r->helper)
        hist_family(e, "phpbpf_php_duration_seconds",
                    "PHP time: php:request__startup to php:request__shutdown.", php_of,
                    r->metrics_fine ? B_FINE : B_COARSE);
    family(e, "phpbpf_requests_total", "counter", "PHP requests by final status class.");
    for (k = 0; k < r->nexported; k++)
        for (c = 1; c < PHPBPF_REPORT_STATUS; c++)
            sample(e, "phpbpf_requests_total{", vlabel(e, r->exported[k]), code_text[c], "",
                   r->vhost[r->exported[k]].status[c], 0);
    if (r->compile_tracing && r->helper)
        hist_family(e, "phpbpf_compile_duration_seconds",
                    "PHP compile time (opcache misses); PhpBpfCompileTracing On.", compile_of, B_FINE);
    /* Only when sched_switch really is attached: zeros would read as
     * "PHP used no CPU", not as "not measured". */
    if (r->cpu_traced) {
        wait_families(e);
        seconds_family(e, "phpbpf_php_cpu_seconds_total",
                       "On-CPU time of PHP requests; PhpBpfCpuTracing On.", on_cpu_of);
        seconds_family(e, "phpbpf_php_offcpu_seconds_total",
                       "Off-CPU (waiting) time of PHP requests; PhpBpfCpuTracing On.", off_cpu_of);
    }
    if (r->helper && r->stacks_state == 1 && r->profile_hz) {
        family(e, "phpbpf_profile_samples_total", "counter",
               "PHP stack samples taken in the vhost's requests; PhpBpfProfile On.");
        for (k = 0; k < r->nexported; k++) {
            i = r->exported[k];
            sample(e, "phpbpf_profile_samples_total{", vlabel(e, i), "}", "", r->vhost[i].bpf.samples, 0);
        }
    }
    family(e, "phpbpf_errors_total", "counter", "PHP errors logged, all levels.");
    for (k = 0; k < r->nexported; k++) {
        i = r->exported[k];
        sample(e, "phpbpf_errors_total{", vlabel(e, i), "}", "", r->vhost[i].errors_total, 0);
    }
    family(e, "phpbpf_exceptions_total", "counter",
           "PHP exceptions: thrown, and uncaught in a request that ended 5xx.");
    for (k = 0; k < r->nexported; k++) {
        const char *l;

        i = r->exported[k];
        l = vlabel(e, i);
        if (r->helper)
            sample(e, "phpbpf_exceptions_total{", l, ",kind=\"thrown\"}", "", r->vhost[i].bpf.exc_thrown, 0);
        sample(e, "phpbpf_exceptions_total{", l, ",kind=\"uncaught\"}", "", r->vhost[i].uncaught, 0);
    }
    if (r->helper && r->queries_state == 1)
        db_families(e);
    routes(e);
}

static void self_metrics(struct exp *e)
{
    const struct phpbpf_report *r = e->r;
    unsigned k;

    family(e, "phpbpf_helper_up", "gauge",
           "1 when the helper answered this scrape; 0 and no PHP-side family when not.");
    printf_line(e, "phpbpf_helper_up %d\n", r->helper ? 1 : 0);
    family(e, "phpbpf_tracing_active", "gauge", "1 when the helper traces PHP.");
    printf_line(e, "phpbpf_tracing_active %d\n", r->helper && !r->reason ? 1 : 0);
    family(e, "phpbpf_probes_attached", "gauge", "1 for each probe the helper attached.");
    for (k = 0; k < r->nprobes; k++)
        printf_line(e, "phpbpf_probes_attached{probe=\"%s\"} %d\n", r->probes[k].name,
                    r->probes[k].attached);
    family(e, "phpbpf_helper_restarts_total", "counter", "Helper restarts after a crash.");
    printf_line(e, "phpbpf_helper_restarts_total %u\n", r->helper_restarts);
    if (!r->helper)
        return;
    family(e, "phpbpf_helper_start_time_seconds", "gauge",
           "When the running helper started; PHP-side counters go on across helpers.");
    printf_line(e, "phpbpf_helper_start_time_seconds %.3f\n", (double)r->helper_started_us / 1e6);
    family(e, "phpbpf_php_start_time_seconds", "gauge",
           "Since when PHP-side counters count: changes only when they start again from zero.");
    printf_line(e, "phpbpf_php_start_time_seconds %.3f\n", (double)r->php_since_us / 1e6);
    family(e, "phpbpf_php_requests_lost_total", "counter",
           "PHP requests a helper's restart kept from the PHP-side counters: seen to start or "
           "end only, or not at all.");
    printf_line(e, "phpbpf_php_requests_lost_total " PHPBPF_U64 "\n", (apr_uint64_t)r->requests_lost);
    family(e, "phpbpf_events_lost_total", "counter",
           "Slow-log events the ring buffer had no room for.");
    printf_line(e, "phpbpf_events_lost_total " PHPBPF_U64 "\n", (apr_uint64_t)r->slow_lost);
    if (r->stacks_state == 1) {
        family(e, "phpbpf_profile_samples_lost_total", "counter",
               "Stack samples not counted: no ring-buffer room, frames unreadable, stack table full.");
        printf_line(e, "phpbpf_profile_samples_lost_total{reason=\"ring_buffer\"} " PHPBPF_U64 "\n"
                    "phpbpf_profile_samples_lost_total{reason=\"unreadable\"} " PHPBPF_U64 "\n"
                    "phpbpf_profile_samples_lost_total{reason=\"table_full\"} " PHPBPF_U64 "\n",
                    (apr_uint64_t)r->samples_lost, (apr_uint64_t)r->samples_unreadable,
                    (apr_uint64_t)r->samples_dropped);
        family(e, "phpbpf_slow_backtraces_total", "counter",
               "Backtraces of slow requests taken while they ran.");
        printf_line(e, "phpbpf_slow_backtraces_total " PHPBPF_U64 "\n", (apr_uint64_t)r->backtraces);
        family(e, "phpbpf_slow_backtraces_lost_total", "counter",
               "Backtraces of slow requests the ring buffer had no room for.");
        printf_line(e, "phpbpf_slow_backtraces_lost_total " PHPBPF_U64 "\n",
                    (apr_uint64_t)r->backtraces_lost);
    }
    family(e, "phpbpf_map_overflows_total", "counter",
           "Entries a bounded table could not hold, counted as other or evicted.");
    printf_line(e, "phpbpf_map_overflows_total{map=\"vhosts\"} " PHPBPF_U64 "\n"
                "phpbpf_map_overflows_total{map=\"exception_classes\"} " PHPBPF_U64 "\n"
                "phpbpf_map_overflows_total{map=\"errors\"} " PHPBPF_U64 "\n"
                "phpbpf_map_overflows_total{map=\"inflight\"} " PHPBPF_U64 "\n"
                "phpbpf_map_overflows_total{map=\"wait_sites\"} " PHPBPF_U64 "\n"
                "phpbpf_map_overflows_total{map=\"scripts\"} " PHPBPF_U64 "\n",
                (apr_uint64_t)r->vhost_overflow, (apr_uint64_t)r->classes_other,
                (apr_uint64_t)r->errors_other, (apr_uint64_t)r->inflight_errors,
                (apr_uint64_t)r->sites_lost, (apr_uint64_t)r->scripts_evicted);
}

static void bound_texts(void)
{
    unsigned i;

    if (le_text[0][0])
        return;
    for (i = 0; i < NBOUNDS; i++) {
        le_bucket[i] = phpbpf_hist_bucket(phpbpf_metric_bound(i));
        apr_snprintf(le_text[i], sizeof(le_text[i]), ",le=\"%.6f\"} ",
                     (double)phpbpf_metric_bound(i) / 1e6);
    }
}

void phpbpf_render_metrics(const struct phpbpf_report *r, struct phpbpf_out *o, apr_pool_t *p,
                           int openmetrics)
{
    struct exp e = { o, p, r, openmetrics, apr_pcalloc(p, (r->nvhosts + 1) * sizeof(*e.lbl)) };

    bound_texts();
    per_vhost(&e);
    self_metrics(&e);
    if (openmetrics)
        phpbpf_out_str(o, "# EOF\n");
    phpbpf_out_flush(o);
}
