/* The server-bpf page in its three formats.  Everything here renders a
 * private copy (struct phpbpf_view); every string that can come from a
 * request goes through ap_escape_html2() or json_str() on the way out. */
#include "httpd.h"
#include "http_protocol.h"
#include "http_core.h"
#include "apr_strings.h"

#include "mod_phpbpf.h"
#include "text.h"

/* APR's formatter has no %llu. */
#define U64 "%" APR_UINT64_T_FMT

static const char *const counter_names[] = { PHPBPF_COUNTER_NAMES };
static const char *const status_names[] = { "1xx", "2xx", "3xx", "4xx", "5xx" };
static const char *const method_names[] = { "GET", "HEAD", "POST", "other" };
static const char *const probe_names[] = { PHPBPF_PROBE_NAMES };

const struct phpbpf_snap_vhost phpbpf_no_data;

#define HIST_SCRIPTS 10     /* scripts drawn as histograms */

#define HIST_ROWS_MAX 40

struct named { const char *name; __u32 idx; };

/* By name, with (other) last. */
static int by_name(const void *a, const void *b)
{
    const struct named *x = a, *y = b;

    if (x->idx == PHPBPF_VHOST_OTHER || y->idx == PHPBPF_VHOST_OTHER)
        return (x->idx == PHPBPF_VHOST_OTHER) - (y->idx == PHPBPF_VHOST_OTHER);
    return strcmp(x->name, y->name);
}

void phpbpf_view_order(apr_pool_t *p, struct phpbpf_view *v)
{
    struct named *tmp = apr_palloc(p, v->sh->nvhosts * sizeof(*tmp));
    __u32 i, n = 0;

    for (i = 0; i < v->sh->nvhosts; i++)
        if (v->sh->vhost[i].apache.count || phpbpf_bpf(v, i)->php.count)
            tmp[n++] = (struct named){ v->sh->vhost[i].name, i };
    qsort(tmp, n, sizeof(*tmp), by_name);
    v->shown = apr_palloc(p, (n ? n : 1) * sizeof(*v->shown));
    for (i = 0; i < n; i++)
        v->shown[i] = tmp[i].idx;
    v->nshown = n;
}

static const char *tracing_state(const struct phpbpf_view *v)
{
    return v->unavailable ? "unavailable" : "active";
}

static double elapsed_s(const struct phpbpf_view *v)
{
    double s = (double)((__u64)v->now - v->sh->since_us) / 1e6;

    return s > 0.001 ? s : 0.001;
}

static const char *fmt_us(apr_pool_t *p, double us)
{
    if (us >= 1e6)
        return apr_psprintf(p, "%.2f s", us / 1e6);
    if (us >= 1e3)
        return apr_psprintf(p, "%.2f ms", us / 1e3);
    return apr_psprintf(p, "%.0f &micro;s", us);
}

static const char *fmt_age(apr_pool_t *p, apr_uint64_t s)
{
    if (s >= 86400)
        return apr_psprintf(p, U64 "d " U64 "h", s / 86400, s % 86400 / 3600);
    if (s >= 3600)
        return apr_psprintf(p, U64 "h " U64 "m", s / 3600, s % 3600 / 60);
    if (s >= 60)
        return apr_psprintf(p, U64 "m " U64 "s", s / 60, s % 60);
    return apr_psprintf(p, U64 "s", s);
}

static const char *esc(request_rec *r, const char *s)
{
    return ap_escape_html(r->pool, s);
}

/* Strings a client chose (URI, Host, method): as mod_status does for the
 * request line, log-escape first, so control bytes and invalid UTF-8 show
 * as \xNN, the way the access log shows them, and the page stays ASCII. */
static const char *esc_req(request_rec *r, const char *s)
{
    return ap_escape_html(r->pool, ap_escape_logitem(r->pool, s));
}

/* Measured, not assumed: every probe hit in this server's processes
 * divided by the PHP requests that completed. */
static double hits_per_request(const struct phpbpf_snapshot *s)
{
    __u64 ours = s->counters[PHPBPF_CTR(hits)] - s->counters[PHPBPF_CTR(foreign)];
    __u64 done = s->counters[PHPBPF_CTR(shutdowns)];

    return done ? (double)ours / (double)done : 0;
}

static __u64 tracing_uptime(const struct phpbpf_view *v)
{
    return v->snap && v->snap->now_us > v->snap->started_us
               ? (v->snap->now_us - v->snap->started_us) / 1000000 : 0;
}

/* ------------------------------------------------------------------ HTML */

static const char css[] =
    "<style>body{font-family:sans-serif;margin:1em 2em}"
    "table{border-collapse:collapse;margin:.5em 0}"
    "th,td{border:1px solid #bbb;padding:2px 6px;text-align:right}"
    "th{background:#eee}td.l,th.l{text-align:left}"
    ".banner{padding:.6em 1em;margin:.5em 0;border-radius:4px}"
    ".ok{background:#e3f4e1;border:1px solid #7b7}"
    ".bad{background:#fbe3e0;border:1px solid #d77}"
    ".hist td{border:none;padding:0 6px;font-family:monospace}"
    ".bar{background:#4a7fc1;height:.9em}"
    ".hists{display:flex;gap:3em;flex-wrap:wrap}</style>\n";

static void html_banner(request_rec *r, const struct phpbpf_view *v)
{
    const struct phpbpf_snapshot *s = v->snap;
    const char *lib = v->sh->library;
    unsigned k;

    ap_rprintf(r, "<div class=\"banner %s\"><b>Tracing: %s</b>", v->unavailable ? "bad" : "ok",
               tracing_state(v));
    if (v->unavailable)
        ap_rprintf(r, " &mdash; %s", esc(r, v->unavailable));
    ap_rputs("<br>\n", r);
    ap_rprintf(r, "Library: <code>%s</code><br>\n", *lib ? esc(r, lib) : "(none)");
    if (s) {
        ap_rputs("Probes attached:", r);
        for (k = 0; k < PHPBPF_NPROBES; k++)
            if (s->probes & (1u << k))
                ap_rprintf(r, " %s", probe_names[k]);
        ap_rputs("<br>\n", r);
        ap_rprintf(r, "Tracing for %s (helper pid %u, restarts %u)<br>\n",
                   fmt_age(r->pool, tracing_uptime(v)), s->helper_pid, v->sh->restarts);
        ap_rprintf(r, "Probe hits per PHP request: %.2f<br>\n", hits_per_request(s));
    }
    else if (v->sh->restarts)
        ap_rprintf(r, "Helper restarts: %u<br>\n", v->sh->restarts);
    ap_rprintf(r, "Compile tracing: %s<br>\n", v->sh->compile_tracing
               ? "on &mdash; PHP runs with USE_ZEND_DTRACE=1, which also switches off the "
                 "opcache JIT"
               : "off (PhpBpfCompileTracing On shows compile time per script)");
    ap_rprintf(r, "Apache counters since %s (%s)</div>\n",
               esc(r, ap_ht_time(r->pool, (apr_time_t)v->sh->since_us, "%Y-%m-%d %H:%M:%S %Z", 0)),
               fmt_age(r->pool, (__u64)elapsed_s(v)));
}

static void html_lat_cells(request_rec *r, const struct phpbpf_hist *h)
{
    if (!h->count) {
        ap_rputs("<td colspan=5>&ndash;</td>", r);
        return;
    }
    ap_rprintf(r, "<td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td>",
               fmt_us(r->pool, phpbpf_hist_mean(h)),
               fmt_us(r->pool, phpbpf_hist_quantile(h, 0.50)),
               fmt_us(r->pool, phpbpf_hist_quantile(h, 0.90)),
               fmt_us(r->pool, phpbpf_hist_quantile(h, 0.99)),
               fmt_us(r->pool, (double)h->max_us));
}

static void html_table(request_rec *r, const struct phpbpf_view *v)
{
    __u32 i, k, shown = 0;

    ap_rputs("<h2>Per virtual host</h2>\n<table>\n"
             "<tr><th class=l rowspan=2>Vhost</th><th rowspan=2>Requests</th>"
             "<th rowspan=2>Req/s</th><th colspan=5>Apache request time</th>"
             "<th colspan=5>PHP time</th><th colspan=5>Status</th></tr>\n<tr>"
             "<th>mean</th><th>p50</th><th>p90</th><th>p99</th><th>max</th>"
             "<th>mean</th><th>p50</th><th>p90</th><th>p99</th><th>max</th>"
             "<th>1xx</th><th>2xx</th><th>3xx</th><th>4xx</th><th>5xx</th></tr>\n", r);
    for (shown = 0; shown < v->nshown; shown++) {
        const struct phpbpf_vhost_rec *vh = &v->sh->vhost[i = v->shown[shown]];

        ap_rprintf(r, "<tr><td class=l>%s</td><td>" U64 "</td><td>%.2f</td>", esc(r, vh->name),
                   (apr_uint64_t)vh->apache.count,
                   (double)vh->apache.count / elapsed_s(v));
        html_lat_cells(r, &vh->apache);
        html_lat_cells(r, &phpbpf_bpf(v, i)->php);
        for (k = 0; k < 5; k++)
            ap_rprintf(r, "<td>" U64 "</td>", (apr_uint64_t)vh->status[k]);
        ap_rputs("</tr>\n", r);
    }
    if (!shown)
        ap_rputs("<tr><td class=l colspan=18>No PHP requests yet.</td></tr>\n", r);
    ap_rputs("</table>\n", r);
    ap_rprintf(r, "<p>%u vhosts configured; %u shown with PHP traffic.%s "
               "Percentiles are within 3.2%% (half a histogram bucket).</p>\n",
               v->sh->nvhosts - 1, shown,
               v->sh->untracked_vhosts
                   ? apr_psprintf(r->pool, " %u vhosts beyond PhpBpfMaxVhosts are counted as (other).",
                                  v->sh->untracked_vhosts) : "");
}

/* The picture bpftrace's hist() draws, with finer rows: single buckets
 * when the data spans few of them, one row per power of two otherwise. */
static void html_hist(request_rec *r, const char *title, const struct phpbpf_hist *h)
{
    __u32 first = PHPBPF_HIST_BUCKETS, last = 0, i, j, step;
    __u64 maxrow = 0;

    for (i = 0; i < PHPBPF_HIST_BUCKETS; i++)
        if (h->bucket[i]) {
            if (first == PHPBPF_HIST_BUCKETS)
                first = i;
            last = i;
        }
    ap_rprintf(r, "<div><b>%s</b>", title);
    if (first == PHPBPF_HIST_BUCKETS) {
        ap_rputs("<br>no samples</div>\n", r);
        return;
    }
    step = last - first + 1 <= HIST_ROWS_MAX ? 1 : PHPBPF_HIST_SUB;
    if (step > 1)
        first -= first % step;
    for (i = first; i <= last; i += step) {
        __u64 n = 0;

        for (j = i; j < i + step && j < PHPBPF_HIST_BUCKETS; j++)
            n += h->bucket[j];
        if (n > maxrow)
            maxrow = n;
    }
    ap_rputs("<table class=hist>\n", r);
    for (i = first; i <= last; i += step) {
        __u32 end = i + step < PHPBPF_HIST_BUCKETS ? i + step : PHPBPF_HIST_BUCKETS;
        __u64 n = 0, hi = phpbpf_bucket_lower(end - 1) + phpbpf_bucket_width(end - 1);

        for (j = i; j < end; j++)
            n += h->bucket[j];
        ap_rprintf(r, "<tr><td>[%s, %s)</td><td>" U64 "</td><td style=\"width:20em\">"
                   "<div class=bar style=\"width:%.1f%%\"></div></td></tr>\n",
                   fmt_us(r->pool, (double)phpbpf_bucket_lower(i)), fmt_us(r->pool, (double)hi),
                   (apr_uint64_t)n, maxrow ? 100.0 * (double)n / (double)maxrow : 0);
    }
    ap_rputs("</table></div>\n", r);
}

static void html_recent(request_rec *r, const struct phpbpf_view *v)
{
    const struct phpbpf_shared *sh = v->sh;
    __u64 head = sh->recent_head;
    int i;

    ap_rputs("<h2>Last PHP requests</h2>\n<table>\n<tr><th class=l>Time</th>"
             "<th class=l>Vhost</th><th class=l>Host header</th><th class=l>Request</th>"
             "<th>Status</th><th>Apache time</th></tr>\n", r);
    for (i = 1; i <= PHPBPF_RECENT; i++) {
        const struct phpbpf_recent *e;

        if (head < (__u64)i)
            break;
        e = &sh->recent[(head - (__u64)i) % PHPBPF_RECENT];
        if (!e->time_us)
            continue;
        ap_rprintf(r, "<tr><td class=l>%s</td><td class=l>%s</td><td class=l>%s</td>"
                   "<td class=l>%s %s</td><td>%u</td><td>%s</td></tr>\n",
                   ap_ht_time(r->pool, (apr_time_t)e->time_us, "%H:%M:%S", 0),
                   esc(r, e->vhost < sh->nvhosts ? sh->vhost[e->vhost].name : "?"),
                   esc_req(r, e->host), esc_req(r, e->method), esc_req(r, e->uri), e->status,
                   fmt_us(r->pool, (double)e->apache_us));
    }
    ap_rputs("</table>\n<p>Query strings are never recorded.</p>\n", r);
}

static void html_counters(request_rec *r, const struct phpbpf_view *v)
{
    unsigned i;

    if (!v->snap)
        return;
    ap_rputs("<h2>Probe counters</h2>\n<table>\n", r);
    for (i = 0; i < PHPBPF_NCOUNTERS; i++)
        ap_rprintf(r, "<tr><td class=l>%s</td><td>" U64 "</td></tr>\n", counter_names[i],
                   (apr_uint64_t)v->snap->counters[i]);
    ap_rputs("</table>\n<p>hits: every probe hit, in any process; "
             "foreign: probe hits from processes that are not this server's; "
             "unattributed: PHP requests whose vhost could not be read (counted as (other)); "
             "orphans: request ends whose start was missed, e.g. across a helper restart.</p>\n",
             r);
}

static __u64 evicted(const struct phpbpf_snapshot *s)
{
    __u64 in = s->counters[PHPBPF_CTR(script_inserts)];

    return in > s->scripts_tracked ? in - s->scripts_tracked : 0;
}

static double share(__u64 part, __u64 whole)
{
    return whole ? 100.0 * (double)part / (double)whole : 0;
}

/* Configured and really attached: a failed attach must not show numbers. */
static int cpu_traced(const struct phpbpf_view *v)
{
    return v->sh->cpu_tracing && v->snap && (v->snap->probes & PHPBPF_PROBE_SCHED_SWITCH);
}

/* On-CPU share of the time a request's thread was traced, 0..1. */
static double on_share(const struct phpbpf_cpu *c)
{
    __u64 t = c->on.sum_us + c->off.sum_us;

    return t ? (double)c->on.sum_us / (double)t : 0;
}

static void html_cpu(request_rec *r, const struct phpbpf_view *v)
{
    __u32 i, k;

    if (!cpu_traced(v))
        return;
    ap_rputs("<h2>On-CPU and off-CPU</h2>\n<p>PHP time split by sched:sched_switch: on-CPU "
             "is PHP running, off-CPU is waiting (database, network, disk, locks) or "
             "runnable but not scheduled.</p>\n<table>\n<tr><th class=l rowspan=2>Vhost</th>"
             "<th colspan=3>On-CPU</th><th colspan=3>Off-CPU</th></tr>\n<tr><th>mean</th>"
             "<th>p99</th><th>share</th><th>mean</th><th>p99</th><th>share</th></tr>\n", r);
    for (k = 0; k < v->nshown; k++) {
        const struct phpbpf_cpu *c = &phpbpf_bpf(v, i = v->shown[k])->cpu;

        ap_rprintf(r, "<tr><td class=l>%s</td><td>%s</td><td>%s</td><td>%.1f%%</td>"
                   "<td>%s</td><td>%s</td><td>%.1f%%</td></tr>\n", esc(r, v->sh->vhost[i].name),
                   fmt_us(r->pool, phpbpf_hist_mean(&c->on)),
                   fmt_us(r->pool, phpbpf_hist_quantile(&c->on, 0.99)), 100 * on_share(c),
                   fmt_us(r->pool, phpbpf_hist_mean(&c->off)),
                   fmt_us(r->pool, phpbpf_hist_quantile(&c->off, 0.99)),
                   c->on.count ? 100 * (1 - on_share(c)) : 0);
    }
    ap_rputs("</table>\n", r);
}

static const char *const level_names[] = { "error", "warning", "notice", "other" };

static int by_err_count(const void *a, const void *b)
{
    const struct phpbpf_error_rec *x = *(const struct phpbpf_error_rec *const *)a;
    const struct phpbpf_error_rec *y = *(const struct phpbpf_error_rec *const *)b;

    return x->count < y->count ? 1 : x->count > y->count ? -1 : 0;
}

/* The error table's filled entries, most frequent first. */
static const struct phpbpf_error_rec **top_errors(apr_pool_t *p, const struct phpbpf_view *v,
                                                 unsigned *n)
{
    const struct phpbpf_error_rec **t = apr_palloc(p, PHPBPF_ERRORS * sizeof(*t));
    unsigned i;

    *n = 0;
    for (i = 0; i < PHPBPF_ERRORS; i++)
        if (v->sh->errors[i].ready && v->sh->errors[i].count)
            t[(*n)++] = &v->sh->errors[i];
    qsort(t, *n, sizeof(*t), by_err_count);
    return t;
}

static __u64 errors_total(const struct phpbpf_vhost_rec *vh)
{
    return vh->errors[0] + vh->errors[1] + vh->errors[2] + vh->errors[3];
}

static void html_errors(request_rec *r, const struct phpbpf_view *v)
{
    const struct phpbpf_snapshot *s = v->snap;
    const struct phpbpf_error_rec **top;
    unsigned i, k, n;

    ap_rputs("<h2>Errors and exceptions</h2>\n<table>\n<tr><th class=l rowspan=2>Vhost</th>"
             "<th colspan=4>PHP errors logged</th><th colspan=2>Exceptions</th></tr>\n<tr>"
             "<th>error</th><th>warning</th><th>notice</th><th>other</th><th>thrown</th>"
             "<th>uncaught, 5xx</th></tr>\n", r);
    for (k = 0; k < v->nshown; k++) {
        const struct phpbpf_vhost_rec *vh = &v->sh->vhost[i = v->shown[k]];
        const struct phpbpf_vstats *b = &phpbpf_bpf(v, i)->v;

        ap_rprintf(r, "<tr><td class=l>%s</td><td>" U64 "</td><td>" U64 "</td><td>" U64 "</td>"
                   "<td>" U64 "</td><td>" U64 "</td><td>" U64 "</td></tr>\n",
                   esc(r, vh->name), (apr_uint64_t)vh->errors[0], (apr_uint64_t)vh->errors[1],
                   (apr_uint64_t)vh->errors[2], (apr_uint64_t)vh->errors[3],
                   (apr_uint64_t)b->exc_thrown, (apr_uint64_t)vh->uncaught);
    }
    ap_rputs("</table>\n<p>Errors are PHP's own lines in Apache's error log (log_errors On, "
             "at or above LogLevel): the php:error probe does not fire in this PHP build. "
             "Uncaught: PHP reported an uncaught exception in the request and it ended with "
             "a 5xx.</p>\n", r);
    if (s && s->nclasses) {
        ap_rputs("<h3>Exception classes thrown</h3>\n<table>\n<tr><th class=l>Class</th>"
                 "<th>Thrown</th></tr>\n", r);
        for (i = 0; i < s->nclasses; i++)
            ap_rprintf(r, "<tr><td class=l>%s</td><td>" U64 "</td></tr>\n",
                       esc_req(r, s->classes[i].name), (apr_uint64_t)s->classes[i].count);
        if (s->counters[PHPBPF_CTR(class_overflow)])
            ap_rprintf(r, "<tr><td class=l>(other: table of %d classes full)</td><td>" U64
                       "</td></tr>\n", PHPBPF_MAX_CLASSES,
                       (apr_uint64_t)s->counters[PHPBPF_CTR(class_overflow)]);
        ap_rputs("</table>\n", r);
    }
    top = top_errors(r->pool, v, &n);
    if (!n)
        return;
    ap_rprintf(r, "<h3>Most frequent errors</h3>\n<p>Messages are cut at %d bytes.</p>\n"
               "<table>\n<tr><th class=l>Level</th><th class=l>Message</th>"
               "<th class=l>Where</th><th>Count</th></tr>\n", PHPBPF_MSG_MAX - 1);
    for (i = 0; i < n; i++)
        ap_rprintf(r, "<tr><td class=l>%s</td><td class=l>%s</td><td class=l>%s:%u</td><td>"
                   U64 "</td></tr>\n", level_names[top[i]->level & 3], esc_req(r, top[i]->msg),
                   esc_req(r, top[i]->file), top[i]->line, (apr_uint64_t)top[i]->count);
    if (v->sh->errors_other)
        ap_rprintf(r, "<tr><td class=l colspan=3>(other: table of %d errors full)</td><td>" U64
                   "</td></tr>\n", PHPBPF_ERRORS, (apr_uint64_t)v->sh->errors_other);
    ap_rputs("</table>\n", r);
}

/* Apache's record of a slow request (the newest with its pid and
 * number), or NULL if its ring moved on. */
static const struct phpbpf_slow_rec *apache_slow(const struct phpbpf_view *v,
                                                 const struct phpbpf_slow_event *e)
{
    __u64 k;

    for (k = 1; k <= PHPBPF_SLOW_APACHE && k <= v->sh->slow_head; k++) {
        const struct phpbpf_slow_rec *a = &v->sh->slow[(v->sh->slow_head - k) % PHPBPF_SLOW_APACHE];

        if (!(a->lock & 1) && a->lock && a->pid == e->pid && a->req_seq == e->seq)
            return a;
    }
    return NULL;
}

static void html_slow(request_rec *r, const struct phpbpf_view *v)
{
    const struct phpbpf_snapshot *s = v->snap;
    __u32 i;

    if (!v->sh->slow_us || !s)
        return;
    ap_rprintf(r, "<h2>Slow requests</h2>\n<p>The last %u requests whose PHP time reached %s, "
               "newest first.%s " U64 " lost (ring buffer full).</p>\n<table>\n<tr>"
               "<th class=l>Time</th><th class=l>Vhost</th><th class=l>Request</th>"
               "<th class=l>Script</th><th>Status</th><th>Apache time</th><th>PHP time</th>"
               "<th>Compile</th><th>On-CPU</th><th>Off-CPU</th><th>Errors</th>"
               "<th>Exceptions</th></tr>\n", v->sh->slow_size,
               fmt_us(r->pool, (double)v->sh->slow_us),
               v->sh->record_query ? "" : " Query strings are removed (PhpBpfRecordQueryString).",
               (apr_uint64_t)s->counters[PHPBPF_CTR(slow_lost)]);
    for (i = 0; i < s->nslow; i++) {
        const struct phpbpf_slow_event *e = &s->slow[i];
        const struct phpbpf_slow_rec *a = apache_slow(v, e);

        ap_rprintf(r, "<tr><td class=l>%s</td><td class=l>%s</td><td class=l>%s %s</td>"
                   "<td class=l>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td>"
                   "<td>%s</td><td>%s</td><td>%u</td></tr>\n",
                   a ? ap_ht_time(r->pool, (apr_time_t)a->time_us, "%H:%M:%S", 0) : "&ndash;",
                   esc(r, e->vhost < v->sh->nvhosts ? v->sh->vhost[e->vhost].name : "?"),
                   esc_req(r, a ? a->method : e->method), esc_req(r, a ? a->uri : e->uri),
                   esc_req(r, e->script), a ? apr_itoa(r->pool, (int)a->status) : "&ndash;",
                   a ? fmt_us(r->pool, (double)a->apache_us) : "&ndash;",
                   fmt_us(r->pool, (double)e->php_us), fmt_us(r->pool, (double)e->compile_us),
                   fmt_us(r->pool, (double)e->on_us), fmt_us(r->pool, (double)e->off_us),
                   a ? apr_itoa(r->pool, (int)a->errors) : "&ndash;", e->exc_thrown);
    }
    ap_rputs("</table>\n", r);
}

static void html_compile(request_rec *r, const struct phpbpf_view *v)
{
    const struct phpbpf_snapshot *s = v->snap;
    __u32 i, k;

    if (!v->sh->compile_tracing || !s)
        return;
    ap_rputs("<h2>PHP compiles</h2>\n<p>PHP compiles a script only when opcache does not "
             "have it: this is also an opcache-miss view.</p>\n<table>\n<tr><th class=l>Vhost"
             "</th><th>Compiles</th><th>Per request</th><th>Compile time</th>"
             "<th>Share of PHP time</th></tr>\n", r);
    for (k = 0; k < v->nshown; k++) {
        i = v->shown[k];
        ap_rprintf(r, "<tr><td class=l>%s</td><td>" U64 "</td><td>%.2f</td><td>%s</td>"
                   "<td>%.1f%%</td></tr>\n", esc(r, v->sh->vhost[i].name),
                   (apr_uint64_t)phpbpf_bpf(v, i)->v.compiles,
                   phpbpf_bpf(v, i)->php.count ? (double)phpbpf_bpf(v, i)->v.compiles / (double)phpbpf_bpf(v, i)->php.count : 0,
                   fmt_us(r->pool, (double)phpbpf_bpf(v, i)->v.compile_us),
                   share(phpbpf_bpf(v, i)->v.compile_us, phpbpf_bpf(v, i)->php.sum_us));
    }
    ap_rprintf(r, "</table>\n<h3>Scripts by compile time</h3>\n<p>%u scripts tracked, "
               U64 " evicted (least recently compiled first; PhpBpfMaxScripts), "
               U64 " compiles outside a request.</p>\n<table>\n<tr><th class=l>Script</th>"
               "<th>Compiles</th><th>Total</th><th>Mean</th><th>Max</th></tr>\n",
               s->scripts_tracked, (apr_uint64_t)evicted(s),
               (apr_uint64_t)s->counters[PHPBPF_CTR(compiles_outside)]);
    for (i = 0; i < s->nscripts; i++) {
        const struct phpbpf_hist *h = &s->scripts[i].compile;

        ap_rprintf(r, "<tr><td class=l>%s</td><td>" U64 "</td><td>%s</td><td>%s</td>"
                   "<td>%s</td></tr>\n", esc_req(r, s->scripts[i].path), (apr_uint64_t)h->count,
                   fmt_us(r->pool, (double)h->sum_us), fmt_us(r->pool, phpbpf_hist_mean(h)),
                   fmt_us(r->pool, (double)h->max_us));
    }
    ap_rputs("</table>\n<div class=hists>\n", r);
    for (i = 0; i < s->nscripts && i < HIST_SCRIPTS; i++)
        html_hist(r, esc_req(r, s->scripts[i].path), &s->scripts[i].compile);
    ap_rputs("</div>\n", r);
}

void phpbpf_render_html(request_rec *r, const struct phpbpf_view *v)
{
    __u32 i, k;

    ap_rputs(DOCTYPE_HTML_4_01 "<html><head>\n<meta charset=\"utf-8\">\n", r);
    if (v->refresh)
        ap_rprintf(r, "<meta http-equiv=\"refresh\" content=\"%d\">\n", v->refresh);
    ap_rprintf(r, "<title>PHP tracing for %s</title>\n%s</head><body>\n"
               "<h1>PHP tracing for %s</h1>\n",
               esc(r, ap_get_server_name(r)), css, esc(r, ap_get_server_name(r)));
    ap_rprintf(r, "<p>Server version: %s<br>Current time: %s</p>\n",
               esc(r, ap_get_server_description()),
               esc(r, ap_ht_time(r->pool, v->now, "%Y-%m-%d %H:%M:%S %Z", 0)));
    html_banner(r, v);
    html_table(r, v);
    ap_rputs("<h2>Latency histograms</h2>\n", r);
    for (k = 0; k < v->nshown; k++) {
        i = v->shown[k];
        ap_rprintf(r, "<h3>%s</h3>\n<div class=hists>\n", esc(r, v->sh->vhost[i].name));
        html_hist(r, "Apache request time", &v->sh->vhost[i].apache);
        html_hist(r, "PHP time", &phpbpf_bpf(v, i)->php);
        ap_rputs("</div>\n", r);
    }
    html_slow(r, v);
    html_cpu(r, v);
    html_errors(r, v);
    html_compile(r, v);
    html_recent(r, v);
    html_counters(r, v);
    ap_rputs("<hr><address>mod_phpbpf</address></body></html>\n", r);
}

/* ------------------------------------------------------------------ auto */

static void auto_lat(request_rec *r, const char *what, const char *name,
                     const struct phpbpf_hist *h)
{
    ap_rprintf(r, "%sCount[%s]: " U64 "\n%sMeanUs[%s]: %.0f\n%sP50Us[%s]: %.0f\n"
               "%sP90Us[%s]: %.0f\n%sP99Us[%s]: %.0f\n%sMaxUs[%s]: " U64 "\n",
               what, name, (apr_uint64_t)h->count, what, name, phpbpf_hist_mean(h),
               what, name, phpbpf_hist_quantile(h, 0.5), what, name,
               phpbpf_hist_quantile(h, 0.9), what, name, phpbpf_hist_quantile(h, 0.99),
               what, name, (apr_uint64_t)h->max_us);
}

void phpbpf_render_auto(request_rec *r, const struct phpbpf_view *v)
{
    __u32 i, j, k;

    ap_rprintf(r, "TracingState: %s\n", tracing_state(v));
    if (v->unavailable)
        ap_rprintf(r, "TracingReason: %s\n", v->unavailable);
    ap_rprintf(r, "Library: %s\n", v->sh->library);
    if (v->snap) {
        ap_rprintf(r, "ProbeHitsPerRequest: %.3f\n", hits_per_request(v->snap));
        ap_rputs("Probes:", r);
        for (k = 0; k < PHPBPF_NPROBES; k++)
            if (v->snap->probes & (1u << k))
                ap_rprintf(r, " %s", probe_names[k]);
        ap_rprintf(r, "\nTracingUptime: " U64 "\nHelperPid: %u\n",
                   (apr_uint64_t)tracing_uptime(v), v->snap->helper_pid);
        for (k = 0; k < PHPBPF_NCOUNTERS; k++)
            ap_rprintf(r, "Probe_%s: " U64 "\n", counter_names[k],
                       (apr_uint64_t)v->snap->counters[k]);
    }
    ap_rprintf(r, "HelperRestarts: %u\nVhostsConfigured: %u\nVhostsUntracked: %u\n",
               v->sh->restarts, v->sh->nvhosts - 1, v->sh->untracked_vhosts);
    ap_rprintf(r, "CompileTracing: %s\n", v->sh->compile_tracing ? "on" : "off");
    if (v->sh->slow_us && v->snap)
        ap_rprintf(r, "SlowThresholdUs: " U64 "\nSlowRequestsShown: %u\nSlowLost: " U64 "\n",
                   (apr_uint64_t)v->sh->slow_us, v->snap->nslow,
                   (apr_uint64_t)v->snap->counters[PHPBPF_CTR(slow_lost)]);
    if (v->sh->compile_tracing && v->snap)
        ap_rprintf(r, "ScriptsTracked: %u\nScriptsEvicted: " U64 "\n", v->snap->scripts_tracked,
                   (apr_uint64_t)evicted(v->snap));
    for (j = 0; j < v->nshown; j++) {
        const struct phpbpf_vhost_rec *vh = &v->sh->vhost[i = v->shown[j]];

        ap_rprintf(r, "Vhost: %s\nRequests[%s]: " U64 "\nReqPerSec[%s]: %.3f\n", vh->name,
                   vh->name, (apr_uint64_t)vh->apache.count, vh->name,
                   (double)vh->apache.count / elapsed_s(v));
        auto_lat(r, "Latency", vh->name, &vh->apache);
        auto_lat(r, "Php", vh->name, &phpbpf_bpf(v, i)->php);
        for (k = 0; k < 5; k++)
            ap_rprintf(r, "Status%s[%s]: " U64 "\n", status_names[k], vh->name,
                       (apr_uint64_t)vh->status[k]);
        ap_rprintf(r, "Errors[%s]: " U64 "\nExceptionsThrown[%s]: " U64 "\n"
                   "ExceptionsUncaught[%s]: " U64 "\n",
                   vh->name, (apr_uint64_t)errors_total(vh), vh->name,
                   (apr_uint64_t)phpbpf_bpf(v, i)->v.exc_thrown, vh->name,
                   (apr_uint64_t)vh->uncaught);
        if (cpu_traced(v)) {
            const struct phpbpf_cpu *c = &phpbpf_bpf(v, i)->cpu;

            auto_lat(r, "OnCpu", vh->name, &c->on);
            auto_lat(r, "OffCpu", vh->name, &c->off);
            ap_rprintf(r, "OnCpuShare[%s]: %.4f\n", vh->name, on_share(c));
        }
        if (v->sh->compile_tracing)
            ap_rprintf(r, "Compiles[%s]: " U64 "\nCompileUs[%s]: " U64 "\n", vh->name,
                       (apr_uint64_t)phpbpf_bpf(v, i)->v.compiles, vh->name,
                       (apr_uint64_t)phpbpf_bpf(v, i)->v.compile_us);
    }
}

/* ------------------------------------------------------------------ JSON */

/* JSON string with everything outside printable ASCII escaped, '<' '>' '&'
 * included so the text is inert even if pasted into HTML; bytes that are
 * not valid UTF-8 become U+FFFD rather than invalid JSON. */
static void json_str(request_rec *r, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    ap_rputc('"', r);
    while (*p) {
        unsigned char c = *p;

        if (c >= 0x80) {
            size_t n = phpbpf_utf8_len(p);

            if (n) {
                ap_rwrite(p, (int)n, r);
                p += n;
            }
            else {
                ap_rputs("\\ufffd", r);
                p++;
            }
            continue;
        }
        if (c == '"' || c == '\\')
            ap_rprintf(r, "\\%c", c);
        else if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == 0x7f)
            ap_rprintf(r, "\\u%04x", c);
        else
            ap_rputc(c, r);
        p++;
    }
    ap_rputc('"', r);
}

static void json_lat(request_rec *r, const char *key, const struct phpbpf_hist *h)
{
    ap_rprintf(r, "\"%s\": {\"count\": " U64 ", \"mean\": %.1f, \"p50\": %.1f, \"p90\": %.1f, "
               "\"p99\": %.1f, \"max\": " U64 "}",
               key, (apr_uint64_t)h->count, phpbpf_hist_mean(h),
               phpbpf_hist_quantile(h, 0.5), phpbpf_hist_quantile(h, 0.9),
               phpbpf_hist_quantile(h, 0.99), (apr_uint64_t)h->max_us);
}

static void json_tracing(request_rec *r, const struct phpbpf_view *v)
{
    const struct phpbpf_snapshot *s = v->snap;
    unsigned k;

    ap_rprintf(r, "{\"state\": \"%s\", \"reason\": ", tracing_state(v));
    if (v->unavailable)
        json_str(r, v->unavailable);
    else
        ap_rputs("null", r);
    ap_rputs(", \"library\": ", r);
    json_str(r, v->sh->library);
    ap_rprintf(r, ", \"helper_restarts\": %u", v->sh->restarts);
    if (s) {
        const char *sep = "";

        ap_rputs(", \"probes\": [", r);
        for (k = 0; k < PHPBPF_NPROBES; k++)
            if (s->probes & (1u << k)) {
                ap_rprintf(r, "%s\"%s\"", sep, probe_names[k]);
                sep = ", ";
            }
        ap_rprintf(r, "], \"since\": " U64 ", \"uptime_s\": " U64 ", "
                   "\"helper_pid\": %u, \"generation\": %u, \"hits_per_request\": %.3f, "
                   "\"counters\": {",
                   (apr_uint64_t)(s->started_us / 1000000),
                   (apr_uint64_t)tracing_uptime(v), s->helper_pid, s->generation,
                   hits_per_request(s));
        for (k = 0; k < PHPBPF_NCOUNTERS; k++)
            ap_rprintf(r, "%s\"%s\": " U64, k ? ", " : "", counter_names[k],
                       (apr_uint64_t)s->counters[k]);
        ap_rputs("}", r);
    }
    ap_rputs(", \"histogram\": {\"unit\": \"us\", \"relative_precision\": 0.032}}", r);
}

static void json_compile(request_rec *r, const struct phpbpf_view *v)
{
    const struct phpbpf_snapshot *s = v->snap;
    __u32 i;

    ap_rprintf(r, "{\"enabled\": %s, \"opcache_jit_disabled\": %s",
               v->sh->compile_tracing ? "true" : "false", v->sh->compile_tracing ? "true" : "false");
    if (v->sh->compile_tracing && s) {
        ap_rprintf(r, ", \"scripts_tracked\": %u, \"scripts_evicted\": " U64 ", "
                   "\"outside_requests\": " U64 ", \"scripts\": [", s->scripts_tracked,
                   (apr_uint64_t)evicted(s), (apr_uint64_t)s->counters[PHPBPF_CTR(compiles_outside)]);
        for (i = 0; i < s->nscripts; i++) {
            ap_rputs(i ? ",\n   {\"path\": " : "\n   {\"path\": ", r);
            json_str(r, s->scripts[i].path);
            ap_rputs(", ", r);
            json_lat(r, "compile_us", &s->scripts[i].compile);
            ap_rprintf(r, ", \"total_us\": " U64 "}", (apr_uint64_t)s->scripts[i].compile.sum_us);
        }
        ap_rputs("]", r);
    }
    ap_rputs("}", r);
}

static void json_exceptions(request_rec *r, const struct phpbpf_view *v)
{
    const struct phpbpf_snapshot *s = v->snap;
    __u32 i;

    ap_rputs("{\"classes\": [", r);
    for (i = 0; s && i < s->nclasses; i++) {
        ap_rputs(i ? ", {\"class\": " : "{\"class\": ", r);
        json_str(r, s->classes[i].name);
        ap_rprintf(r, ", \"thrown\": " U64 "}", (apr_uint64_t)s->classes[i].count);
    }
    ap_rprintf(r, "], \"other\": " U64 ", \"max_classes\": %d}",
               (apr_uint64_t)(s ? s->counters[PHPBPF_CTR(class_overflow)] : 0), PHPBPF_MAX_CLASSES);
}

static void json_errors(request_rec *r, const struct phpbpf_view *v)
{
    const struct phpbpf_error_rec **top;
    unsigned i, n;

    top = top_errors(r->pool, v, &n);
    ap_rputs("{\"top\": [", r);
    for (i = 0; i < n; i++) {
        ap_rprintf(r, "%s{\"level\": \"%s\", \"message\": ", i ? ",\n   " : "\n   ",
                   level_names[top[i]->level & 3]);
        json_str(r, top[i]->msg);
        ap_rputs(", \"file\": ", r);
        json_str(r, top[i]->file);
        ap_rprintf(r, ", \"line\": %u, \"count\": " U64 "}", top[i]->line,
                   (apr_uint64_t)top[i]->count);
    }
    ap_rprintf(r, "], \"other\": " U64 ", \"max_errors\": %d, \"message_max_bytes\": %d}",
               (apr_uint64_t)v->sh->errors_other, PHPBPF_ERRORS, PHPBPF_MSG_MAX - 1);
}

static void json_slow(request_rec *r, const struct phpbpf_view *v)
{
    const struct phpbpf_snapshot *s = v->snap;
    __u32 i;

    ap_rprintf(r, "{\"threshold_us\": " U64 ", \"size\": %u, \"query_strings\": %s, "
               "\"lost\": " U64 ", \"requests\": [", (apr_uint64_t)v->sh->slow_us,
               v->sh->slow_size, v->sh->record_query ? "true" : "false",
               (apr_uint64_t)(s ? s->counters[PHPBPF_CTR(slow_lost)] : 0));
    for (i = 0; s && v->sh->slow_us && i < s->nslow; i++) {
        const struct phpbpf_slow_event *e = &s->slow[i];
        const struct phpbpf_slow_rec *a = apache_slow(v, e);

        ap_rputs(i ? ",\n   {\"vhost\": " : "\n   {\"vhost\": ", r);
        json_str(r, e->vhost < v->sh->nvhosts ? v->sh->vhost[e->vhost].name : "?");
        ap_rputs(", \"method\": ", r);
        json_str(r, a ? a->method : e->method);
        ap_rputs(", \"uri\": ", r);
        json_str(r, a ? a->uri : e->uri);
        ap_rputs(", \"script\": ", r);
        json_str(r, e->script);
        if (a)
            ap_rprintf(r, ", \"time\": " U64 ", \"status\": %u, \"apache_us\": " U64
                       ", \"errors\": %u", (apr_uint64_t)(a->time_us / 1000000), a->status,
                       (apr_uint64_t)a->apache_us, a->errors);
        else
            ap_rputs(", \"time\": null, \"status\": null, \"apache_us\": null, "
                     "\"errors\": null", r);
        ap_rprintf(r, ", \"php_us\": " U64 ", \"compile_us\": " U64 ", \"on_cpu_us\": " U64
                   ", \"off_cpu_us\": " U64 ", \"exceptions\": %u}",
                   (apr_uint64_t)e->php_us, (apr_uint64_t)e->compile_us, (apr_uint64_t)e->on_us,
                   (apr_uint64_t)e->off_us, e->exc_thrown);
    }
    ap_rputs("]}", r);
}

void phpbpf_render_json(request_rec *r, const struct phpbpf_view *v)
{
    const struct phpbpf_shared *sh = v->sh;
    __u32 i, j, k, n = 0;
    __u64 head = sh->recent_head;

    ap_rputs("{\"tracing\": ", r);
    json_tracing(r, v);
    ap_rprintf(r, ",\n \"apache\": {\"since\": " U64 ", \"vhosts_configured\": %u, "
               "\"vhosts_untracked\": %u},\n \"vhosts\": [",
               (apr_uint64_t)(sh->since_us / 1000000), sh->nvhosts - 1,
               sh->untracked_vhosts);
    for (j = 0; j < v->nshown; j++) {
        const struct phpbpf_vhost_rec *vh = &sh->vhost[i = v->shown[j]];

        ap_rputs(n++ ? ",\n  {\"name\": " : "\n  {\"name\": ", r);
        json_str(r, vh->name);
        ap_rprintf(r, ", \"requests\": " U64 ", \"requests_per_s\": %.3f, ",
                   (apr_uint64_t)vh->apache.count, (double)vh->apache.count / elapsed_s(v));
        json_lat(r, "latency_us", &vh->apache);
        ap_rputs(", ", r);
        json_lat(r, "php_us", &phpbpf_bpf(v, i)->php);
        ap_rputs(", \"status\": {", r);
        for (k = 1; k < 5; k++)
            ap_rprintf(r, "%s\"%s\": " U64, k > 1 ? ", " : "", status_names[k],
                       (apr_uint64_t)vh->status[k]);
        ap_rprintf(r, "}, \"compile\": {\"count\": " U64 ", \"total_us\": " U64 ", "
                   "\"per_request\": %.3f, \"share_of_php\": %.4f",
                   (apr_uint64_t)phpbpf_bpf(v, i)->v.compiles, (apr_uint64_t)phpbpf_bpf(v, i)->v.compile_us,
                   phpbpf_bpf(v, i)->php.count ? (double)phpbpf_bpf(v, i)->v.compiles / (double)phpbpf_bpf(v, i)->php.count : 0,
                   share(phpbpf_bpf(v, i)->v.compile_us, phpbpf_bpf(v, i)->php.sum_us) / 100);
        ap_rprintf(r, "}, \"errors\": {\"error\": " U64 ", \"warning\": " U64 ", "
                   "\"notice\": " U64 ", \"other\": " U64 ", \"total\": " U64 "}, "
                   "\"exceptions\": {\"thrown\": " U64 ", \"uncaught\": " U64,
                   (apr_uint64_t)vh->errors[0], (apr_uint64_t)vh->errors[1],
                   (apr_uint64_t)vh->errors[2], (apr_uint64_t)vh->errors[3],
                   (apr_uint64_t)errors_total(vh), (apr_uint64_t)phpbpf_bpf(v, i)->v.exc_thrown,
                   (apr_uint64_t)vh->uncaught);
        ap_rputs("}, \"cpu\": {", r);
        json_lat(r, "on_us", &phpbpf_bpf(v, i)->cpu.on);
        ap_rputs(", ", r);
        json_lat(r, "off_us", &phpbpf_bpf(v, i)->cpu.off);
        ap_rprintf(r, ", \"on_share\": %.4f, \"enabled\": %s", on_share(&phpbpf_bpf(v, i)->cpu),
                   cpu_traced(v) ? "true" : "false");
        ap_rputs("}, \"methods\": {", r);
        for (k = 0; k < PHPBPF_M_COUNT; k++)
            ap_rprintf(r, "%s\"%s\": " U64, k ? ", " : "", method_names[k],
                       (apr_uint64_t)vh->method[k]);
        ap_rputs("}}", r);
    }
    ap_rputs("],\n \"compile\": ", r);
    json_compile(r, v);
    ap_rputs(",\n \"exceptions\": ", r);
    json_exceptions(r, v);
    ap_rputs(",\n \"errors\": ", r);
    json_errors(r, v);
    ap_rputs(",\n \"slow\": ", r);
    json_slow(r, v);
    ap_rputs(",\n \"recent\": [", r);
    for (i = 1, n = 0; i <= PHPBPF_RECENT && head >= i; i++) {
        const struct phpbpf_recent *e = &sh->recent[(head - i) % PHPBPF_RECENT];

        if (!e->time_us)
            continue;
        ap_rputs(n++ ? ",\n  {\"vhost\": " : "\n  {\"vhost\": ", r);
        json_str(r, e->vhost < sh->nvhosts ? sh->vhost[e->vhost].name : "?");
        ap_rputs(", \"host\": ", r);
        json_str(r, e->host);
        ap_rputs(", \"method\": ", r);
        json_str(r, e->method);
        ap_rputs(", \"uri\": ", r);
        json_str(r, e->uri);
        ap_rprintf(r, ", \"status\": %u, \"time\": " U64 ", \"apache_us\": " U64 "}", e->status,
                   (apr_uint64_t)(e->time_us / 1000000), (apr_uint64_t)e->apache_us);
    }
    ap_rputs("]}\n", r);
}
