/* The server-bpf page in its three formats.  Everything here renders a
 * private copy (struct phpbpf_view); every string that can come from a
 * request goes through ap_escape_html2() or json_str() on the way out. */
#include "httpd.h"
#include "http_protocol.h"
#include "http_core.h"
#include "apr_lib.h"
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

/* ---------------------------------------------------------------- output */

/* The page goes to Apache 64 KB at a time.  A thousand vhosts make tens of
 * thousands of rows, and ap_rprintf() passes Apache every 8 KB as it
 * fills: a write to the client, and a wakeup of it, for each. */
#define OUT_SIZE (64 * 1024)

struct out {
    request_rec *r;
    struct phpbpf_out b;
    const char **name;          /* vhost names escaped, on first use */
};

static void to_apache(void *r, const char *p, size_t n)
{
    ap_rwrite(p, (int)n, r);
}

static void out_open(struct out *o, request_rec *r, const struct phpbpf_view *v)
{
    o->r = r;
    o->b = (struct phpbpf_out){ apr_palloc(r->pool, OUT_SIZE), 0, OUT_SIZE, to_apache, r };
    o->name = apr_pcalloc(r->pool, v->sh->nvhosts * sizeof(*o->name));
}

static void out_puts(struct out *o, const char *s)
{
    phpbpf_out_str(&o->b, s);
}

static void out_putc(struct out *o, char c)
{
    phpbpf_out_write(&o->b, &c, 1);
}

static void out_u64(struct out *o, __u64 v)
{
    o->b.len += phpbpf_fmt_u64(phpbpf_out_room(&o->b, PHPBPF_FMT_MAX), v);
}

struct vout {
    apr_vformatter_buff_t vb;
    struct phpbpf_out *b;
};

static int vout_flush(apr_vformatter_buff_t *vb)
{
    struct vout *vo = (struct vout *)vb;

    vo->b->len = (size_t)(vb->curpos - vo->b->buf);
    phpbpf_out_flush(vo->b);
    vb->curpos = vo->b->buf;
    vb->endpos = vo->b->buf + vo->b->cap;
    return 0;
}

/* With APR's formatter, so the text is what ap_rprintf() wrote. */
static void out_printf(struct out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void out_printf(struct out *o, const char *fmt, ...)
{
    struct vout vo = { { o->b.buf + o->b.len, o->b.buf + o->b.cap }, &o->b };
    va_list ap;

    va_start(ap, fmt);
    apr_vformatter(vout_flush, &vo.vb, fmt, ap);
    va_end(ap);
    o->b.len = (size_t)(vo.vb.curpos - o->b.buf);
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

#define US_MAX 48

static const char *fmt_us_apr(char *buf, double us)
{
    if (us >= 1e6)
        apr_snprintf(buf, US_MAX, "%.2f s", us / 1e6);
    else if (us >= 1e3)
        apr_snprintf(buf, US_MAX, "%.2f ms", us / 1e3);
    else
        apr_snprintf(buf, US_MAX, "%.0f &micro;s", us);
    return buf;
}

/* The times the page shows are mostly histogram bucket bounds and middles
 * (percentiles are middles): their text is made once per process. */
static char lower_text[PHPBPF_HIST_BUCKETS + 1][US_MAX], mid_text[PHPBPF_HIST_BUCKETS][US_MAX];

static double bucket_mid(__u32 b)
{
    return (double)phpbpf_bucket_lower(b) + (double)(phpbpf_bucket_width(b) - 1) / 2.0;
}

static void us_texts(void)
{
    __u32 b;

    if (lower_text[0][0])
        return;
    for (b = 0; b < PHPBPF_HIST_BUCKETS; b++) {
        fmt_us_apr(lower_text[b], (double)phpbpf_bucket_lower(b));
        fmt_us_apr(mid_text[b], bucket_mid(b));
    }
    fmt_us_apr(lower_text[b], (double)(phpbpf_bucket_lower(b - 1) + phpbpf_bucket_width(b - 1)));
}

/* A time in microseconds as text; buf (US_MAX bytes) is used if needed. */
static const char *fmt_us(char *buf, double us)
{
    us_texts();
    if (us >= 0 && us < (double)phpbpf_bucket_lower(PHPBPF_HIST_BUCKETS - 1)) {
        __u32 b = phpbpf_hist_bucket((__u64)us);

        if (us == (double)phpbpf_bucket_lower(b))
            return lower_text[b];
        if (us == bucket_mid(b))
            return mid_text[b];
    }
    /* A whole number below 1000 is "%.0f" of itself: its digits. */
    if (us >= 0 && us < 1e3 && us == (double)(__u64)us) {
        buf[phpbpf_fmt_u64(buf, (__u64)us)] = '\0';
        return strcat(buf, " &micro;s");
    }
    return fmt_us_apr(buf, us);
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

static const char *esc(struct out *o, const char *s)
{
    return ap_escape_html(o->r->pool, s);
}

/* Strings a client chose (URI, Host, method): as mod_status does for the
 * request line, log-escape first, so control bytes and invalid UTF-8 show
 * as \xNN, the way the access log shows them, and the page stays ASCII. */
static const char *esc_req(struct out *o, const char *s)
{
    return ap_escape_html(o->r->pool, ap_escape_logitem(o->r->pool, s));
}

/* Vhost names come back in several tables: escaped once per page. */
static const char *vname(struct out *o, const struct phpbpf_view *v, __u32 i)
{
    if (!o->name[i])
        o->name[i] = esc(o, v->sh->vhost[i].name);
    return o->name[i];
}

static void out_td_u64(struct out *o, __u64 v)
{
    out_puts(o, "<td>");
    out_u64(o, v);
    out_puts(o, "</td>");
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

/* Configured and really attached: a failed attach must not show numbers. */
static int cpu_traced(const struct phpbpf_view *v)
{
    return v->sh->cpu_tracing && v->snap && (v->snap->probes & PHPBPF_PROBE_SCHED_SWITCH);
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

static void html_banner(struct out *o, const struct phpbpf_view *v)
{
    const struct phpbpf_snapshot *s = v->snap;
    const char *lib = v->sh->library;
    unsigned k;

    out_printf(o, "<div class=\"banner %s\"><b>Tracing: %s</b>", v->unavailable ? "bad" : "ok",
               tracing_state(v));
    if (v->unavailable)
        out_printf(o, " &mdash; %s", esc(o, v->unavailable));
    out_puts(o, "<br>\n");
    out_printf(o, "Library: <code>%s</code><br>\n", *lib ? esc(o, lib) : "(none)");
    if (s) {
        out_puts(o, "Probes attached:");
        for (k = 0; k < PHPBPF_NPROBES; k++)
            if (s->probes & (1u << k))
                out_printf(o, " %s", probe_names[k]);
        out_puts(o, "<br>\n");
        out_printf(o, "Tracing for %s (helper pid %u, restarts %u)<br>\n",
                   fmt_age(o->r->pool, tracing_uptime(v)), s->helper_pid, v->sh->restarts);
        out_printf(o, "Probe hits per PHP request: %.2f<br>\n", hits_per_request(s));
    }
    else if (v->sh->restarts)
        out_printf(o, "Helper restarts: %u<br>\n", v->sh->restarts);
    out_printf(o, "Compile tracing: %s<br>\n", v->sh->compile_tracing
               ? "on &mdash; PHP runs with USE_ZEND_DTRACE=1, which also switches off the "
                 "opcache JIT"
               : "off (PhpBpfCompileTracing On shows compile time per script)");
    out_printf(o, "CPU tracing: %s<br>\n", cpu_traced(v) ? "on &mdash; a BPF program runs on "
                                                          "every context switch of the machine"
               : v->sh->cpu_tracing ? "configured, but sched:sched_switch is not attached"
               : "off (PhpBpfCpuTracing On splits PHP time into on-CPU and off-CPU)");
    out_printf(o, "Apache counters since %s (%s)</div>\n",
               esc(o, ap_ht_time(o->r->pool, (apr_time_t)v->sh->since_us, "%Y-%m-%d %H:%M:%S %Z", 0)),
               fmt_age(o->r->pool, (__u64)elapsed_s(v)));
}

static void out_td(struct out *o, const char *s)
{
    out_puts(o, "<td>");
    out_puts(o, s);
    out_puts(o, "</td>");
}

static void html_lat_cells(struct out *o, const struct phpbpf_sparse *h)
{
    char t[US_MAX];

    if (!h->count) {
        out_puts(o, "<td colspan=5>&ndash;</td>");
        return;
    }
    out_td(o, fmt_us(t, phpbpf_sparse_mean(h)));
    out_td(o, fmt_us(t, phpbpf_sparse_quantile(h, 0.50)));
    out_td(o, fmt_us(t, phpbpf_sparse_quantile(h, 0.90)));
    out_td(o, fmt_us(t, phpbpf_sparse_quantile(h, 0.99)));
    out_td(o, fmt_us(t, (double)h->max_us));
}

static void html_table(struct out *o, const struct phpbpf_view *v)
{
    __u32 i, k, shown = 0;

    out_puts(o, "<h2>Per virtual host</h2>\n<table>\n"
                "<tr><th class=l rowspan=2>Vhost</th><th rowspan=2>Requests</th>"
                "<th rowspan=2>Req/s</th><th colspan=5>Apache request time</th>"
                "<th colspan=5>PHP time</th><th colspan=5>Status</th></tr>\n<tr>"
                "<th>mean</th><th>p50</th><th>p90</th><th>p99</th><th>max</th>"
                "<th>mean</th><th>p50</th><th>p90</th><th>p99</th><th>max</th>"
                "<th>1xx</th><th>2xx</th><th>3xx</th><th>4xx</th><th>5xx</th></tr>\n");
    for (shown = 0; shown < v->nshown; shown++) {
        const struct phpbpf_vhost_rec *vh = &v->sh->vhost[i = v->shown[shown]];

        out_printf(o, "<tr><td class=l>%s</td><td>" U64 "</td><td>%.2f</td>", vname(o, v, i),
                   (apr_uint64_t)vh->apache.count,
                   (double)vh->apache.count / elapsed_s(v));
        html_lat_cells(o, &v->apache[i]);
        html_lat_cells(o, &phpbpf_bpf(v, i)->php);
        for (k = 0; k < 5; k++)
            out_td_u64(o, vh->status[k]);
        out_puts(o, "</tr>\n");
    }
    if (!shown)
        out_puts(o, "<tr><td class=l colspan=18>No PHP requests yet.</td></tr>\n");
    out_puts(o, "</table>\n");
    out_printf(o, "<p>%u vhosts configured; %u shown with PHP traffic.%s "
               "Percentiles are within 3.2%% (half a histogram bucket).</p>\n",
               v->sh->nvhosts - 1, shown,
               v->sh->untracked_vhosts
                   ? apr_psprintf(o->r->pool, " %u vhosts beyond PhpBpfMaxVhosts are counted as (other).",
                                  v->sh->untracked_vhosts) : "");
}

/* The picture bpftrace's hist() draws, with finer rows: single buckets
 * when the data spans few of them, one row per power of two otherwise. */
/* The samples in buckets [from, to) of h, whose bucket *k is the first
 * not below from; *k moves past them. */
static __u64 row_count(const struct phpbpf_sparse *h, __u32 *k, __u32 to)
{
    __u64 n = 0;

    for (; *k < h->nnz && h->bucket[*k].idx < to; (*k)++)
        n += h->bucket[*k].count;
    return n;
}

/* The picture bpftrace's hist() draws, with finer rows: single buckets
 * when the data spans few of them, one row per power of two otherwise. */
static void html_hist(struct out *o, const char *title, const struct phpbpf_sparse *h)
{
    __u32 first = PHPBPF_HIST_BUCKETS, last = 0, i, k, step;
    __u64 maxrow = 0;

    for (k = 0; k < h->nnz; k++)
        if (h->bucket[k].count) {
            if (first == PHPBPF_HIST_BUCKETS)
                first = h->bucket[k].idx;
            last = h->bucket[k].idx;
        }
    out_printf(o, "<div><b>%s</b>", title);
    if (first == PHPBPF_HIST_BUCKETS) {
        out_puts(o, "<br>no samples</div>\n");
        return;
    }
    step = last - first + 1 <= HIST_ROWS_MAX ? 1 : PHPBPF_HIST_SUB;
    if (step > 1)
        first -= first % step;
    for (i = first, k = 0; i <= last; i += step) {
        __u64 n;

        while (k < h->nnz && h->bucket[k].idx < i)
            k++;
        if ((n = row_count(h, &k, i + step)) > maxrow)
            maxrow = n;
    }
    out_puts(o, "<table class=hist>\n");
    for (i = first, k = 0; i <= last; i += step) {
        __u32 end = i + step < PHPBPF_HIST_BUCKETS ? i + step : PHPBPF_HIST_BUCKETS;
        __u64 n;

        while (k < h->nnz && h->bucket[k].idx < i)
            k++;
        n = row_count(h, &k, end);
        us_texts();
        out_puts(o, "<tr><td>[");
        out_puts(o, lower_text[i]);
        out_puts(o, ", ");
        out_puts(o, lower_text[end]);
        out_puts(o, ")</td><td>");
        out_u64(o, n);
        out_puts(o, "</td><td style=\"width:20em\"><div class=bar style=\"width:");
        /* Most rows are empty or the longest: no need for printf there. */
        if (n == 0)
            out_puts(o, "0.0");
        else if (n == maxrow)
            out_puts(o, "100.0");
        else
            out_printf(o, "%.1f", 100.0 * (double)n / (double)maxrow);
        out_puts(o, "%\"></div></td></tr>\n");
    }
    out_puts(o, "</table></div>\n");
}

static void html_recent(struct out *o, const struct phpbpf_view *v)
{
    const struct phpbpf_shared *sh = v->sh;
    __u64 head = sh->recent_head;
    char t[US_MAX];
    int i;

    out_puts(o, "<h2>Last PHP requests</h2>\n<table>\n<tr><th class=l>Time</th>"
                "<th class=l>Vhost</th><th class=l>Host header</th><th class=l>Request</th>"
                "<th>Status</th><th>Apache time</th></tr>\n");
    for (i = 1; i <= PHPBPF_RECENT; i++) {
        const struct phpbpf_recent *e;

        if (head < (__u64)i)
            break;
        e = &sh->recent[(head - (__u64)i) % PHPBPF_RECENT];
        if (!e->time_us)
            continue;
        out_printf(o, "<tr><td class=l>%s</td><td class=l>%s</td><td class=l>%s</td>"
                   "<td class=l>%s %s</td><td>%u</td><td>%s</td></tr>\n",
                   ap_ht_time(o->r->pool, (apr_time_t)e->time_us, "%H:%M:%S", 0),
                   esc(o, e->vhost < sh->nvhosts ? sh->vhost[e->vhost].name : "?"),
                   esc_req(o, e->host), esc_req(o, e->method), esc_req(o, e->uri), e->status,
                   fmt_us(t, (double)e->apache_us));
    }
    out_puts(o, "</table>\n<p>Query strings are never recorded.</p>\n");
}

static void html_counters(struct out *o, const struct phpbpf_view *v)
{
    unsigned i;

    if (!v->snap)
        return;
    out_puts(o, "<h2>Probe counters</h2>\n<table>\n");
    for (i = 0; i < PHPBPF_NCOUNTERS; i++)
        out_printf(o, "<tr><td class=l>%s</td><td>" U64 "</td></tr>\n", counter_names[i],
                   (apr_uint64_t)v->snap->counters[i]);
    out_puts(o, "</table>\n<p>hits: every probe hit, in any process; "
                "foreign: probe hits from processes that are not this server's; "
                "unattributed: PHP requests whose vhost could not be read (counted as (other)); "
                "orphans: request ends whose start was missed, e.g. across a helper "
                "restart.</p>\n");
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


/* On-CPU share of the time a request's thread was traced, 0..1. */
static double on_share(const struct phpbpf_snap_cpu *c)
{
    __u64 t = c->on.sum_us + c->off.sum_us;

    return t ? (double)c->on.sum_us / (double)t : 0;
}

static void html_cpu(struct out *o, const struct phpbpf_view *v)
{
    char t[4][US_MAX];
    __u32 i, k;

    if (!cpu_traced(v))
        return;
    out_puts(o, "<h2>On-CPU and off-CPU</h2>\n<p>PHP time split by sched:sched_switch: on-CPU "
                "is PHP running, off-CPU is waiting (database, network, disk, locks) or "
                "runnable but not scheduled.</p>\n<table>\n<tr><th class=l rowspan=2>Vhost</th>"
                "<th colspan=3>On-CPU</th><th colspan=3>Off-CPU</th></tr>\n<tr><th>mean</th>"
                "<th>p99</th><th>share</th><th>mean</th><th>p99</th><th>share</th></tr>\n");
    for (k = 0; k < v->nshown; k++) {
        const struct phpbpf_snap_cpu *c = &phpbpf_bpf(v, i = v->shown[k])->cpu;

        out_printf(o, "<tr><td class=l>%s</td><td>%s</td><td>%s</td><td>%.1f%%</td>"
                   "<td>%s</td><td>%s</td><td>%.1f%%</td></tr>\n", vname(o, v, i),
                   fmt_us(t[0], phpbpf_sparse_mean(&c->on)),
                   fmt_us(t[1], phpbpf_sparse_quantile(&c->on, 0.99)), 100 * on_share(c),
                   fmt_us(t[2], phpbpf_sparse_mean(&c->off)),
                   fmt_us(t[3], phpbpf_sparse_quantile(&c->off, 0.99)),
                   c->on.count ? 100 * (1 - on_share(c)) : 0);
    }
    out_puts(o, "</table>\n");
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

static void html_errors(struct out *o, const struct phpbpf_view *v)
{
    const struct phpbpf_snapshot *s = v->snap;
    const struct phpbpf_error_rec **top;
    unsigned i, k, n, e;

    out_puts(o, "<h2>Errors and exceptions</h2>\n<table>\n<tr><th class=l rowspan=2>Vhost</th>"
                "<th colspan=4>PHP errors logged</th><th colspan=2>Exceptions</th></tr>\n<tr>"
                "<th>error</th><th>warning</th><th>notice</th><th>other</th><th>thrown</th>"
                "<th>uncaught, 5xx</th></tr>\n");
    for (k = 0; k < v->nshown; k++) {
        const struct phpbpf_vhost_rec *vh = &v->sh->vhost[i = v->shown[k]];
        const struct phpbpf_vstats *b = &phpbpf_bpf(v, i)->v;

        out_puts(o, "<tr><td class=l>");
        out_puts(o, vname(o, v, i));
        out_puts(o, "</td>");
        for (e = 0; e < 4; e++)
            out_td_u64(o, vh->errors[e]);
        out_td_u64(o, b->exc_thrown);
        out_td_u64(o, vh->uncaught);
        out_puts(o, "</tr>\n");
    }
    out_puts(o, "</table>\n<p>Errors are PHP's own lines in Apache's error log (log_errors On, "
                "at or above LogLevel): the php:error probe does not fire in this PHP build. "
                "Uncaught: PHP reported an uncaught exception in the request and it ended with "
                "a 5xx.</p>\n");
    if (s && s->nclasses) {
        out_puts(o, "<h3>Exception classes thrown</h3>\n<table>\n<tr><th class=l>Class</th>"
                    "<th>Thrown</th></tr>\n");
        for (i = 0; i < s->nclasses; i++)
            out_printf(o, "<tr><td class=l>%s</td><td>" U64 "</td></tr>\n",
                       esc_req(o, s->classes[i].name), (apr_uint64_t)s->classes[i].count);
        if (s->counters[PHPBPF_CTR(class_overflow)])
            out_printf(o, "<tr><td class=l>(other: table of %d classes full)</td><td>" U64
                       "</td></tr>\n", PHPBPF_MAX_CLASSES,
                       (apr_uint64_t)s->counters[PHPBPF_CTR(class_overflow)]);
        out_puts(o, "</table>\n");
    }
    top = top_errors(o->r->pool, v, &n);
    if (!n)
        return;
    out_printf(o, "<h3>Most frequent errors</h3>\n<p>Messages are cut at %d bytes.</p>\n"
               "<table>\n<tr><th class=l>Level</th><th class=l>Message</th>"
               "<th class=l>Where</th><th>Count</th></tr>\n", PHPBPF_MSG_MAX - 1);
    for (i = 0; i < n; i++)
        out_printf(o, "<tr><td class=l>%s</td><td class=l>%s</td><td class=l>%s:%u</td><td>"
                   U64 "</td></tr>\n", level_names[top[i]->level & 3], esc_req(o, top[i]->msg),
                   esc_req(o, top[i]->file), top[i]->line, (apr_uint64_t)top[i]->count);
    if (v->sh->errors_other)
        out_printf(o, "<tr><td class=l colspan=3>(other: table of %d errors full)</td><td>" U64
                   "</td></tr>\n", PHPBPF_ERRORS, (apr_uint64_t)v->sh->errors_other);
    out_puts(o, "</table>\n");
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

static void html_slow(struct out *o, const struct phpbpf_view *v)
{
    const struct phpbpf_snapshot *s = v->snap;
    int cpu = cpu_traced(v);      /* else on/off-CPU are unknown, not 0 */
    char t[6][US_MAX];
    __u32 i;

    if (!v->sh->slow_us || !s)
        return;
    out_printf(o, "<h2>Slow requests</h2>\n<p>The last %u requests whose PHP time reached %s, "
               "newest first.%s " U64 " lost (ring buffer full).</p>\n<table>\n<tr>"
               "<th class=l>Time</th><th class=l>Vhost</th><th class=l>Request</th>"
               "<th class=l>Script</th><th>Status</th><th>Apache time</th><th>PHP time</th>"
               "<th>Compile</th><th>On-CPU</th><th>Off-CPU</th><th>Errors</th>"
               "<th>Exceptions</th></tr>\n", v->sh->slow_size,
               fmt_us(t[0], (double)v->sh->slow_us),
               v->sh->record_query ? "" : " Query strings are removed (PhpBpfRecordQueryString).",
               (apr_uint64_t)s->counters[PHPBPF_CTR(slow_lost)]);
    for (i = 0; i < s->nslow; i++) {
        const struct phpbpf_slow_event *e = &s->slow[i];
        const struct phpbpf_slow_rec *a = apache_slow(v, e);

        out_printf(o, "<tr><td class=l>%s</td><td class=l>%s</td><td class=l>%s %s</td>"
                   "<td class=l>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td>"
                   "<td>%s</td><td>%s</td><td>%u</td></tr>\n",
                   a ? ap_ht_time(o->r->pool, (apr_time_t)a->time_us, "%H:%M:%S", 0) : "&ndash;",
                   esc(o, e->vhost < v->sh->nvhosts ? v->sh->vhost[e->vhost].name : "?"),
                   esc_req(o, a ? a->method : e->method), esc_req(o, a ? a->uri : e->uri),
                   esc_req(o, e->script), a ? apr_itoa(o->r->pool, (int)a->status) : "&ndash;",
                   a ? fmt_us(t[1], (double)a->apache_us) : "&ndash;",
                   fmt_us(t[2], (double)e->php_us), fmt_us(t[3], (double)e->compile_us),
                   cpu ? fmt_us(t[4], (double)e->on_us) : "&ndash;",
                   cpu ? fmt_us(t[5], (double)e->off_us) : "&ndash;",
                   a ? apr_itoa(o->r->pool, (int)a->errors) : "&ndash;", e->exc_thrown);
    }
    out_puts(o, "</table>\n");
}

static void html_compile(struct out *o, const struct phpbpf_view *v)
{
    const struct phpbpf_snapshot *s = v->snap;
    char t[3][US_MAX];
    __u32 i, k;

    if (!v->sh->compile_tracing || !s)
        return;
    out_puts(o, "<h2>PHP compiles</h2>\n<p>PHP compiles a script only when opcache does not "
                "have it: this is also an opcache-miss view.</p>\n<table>\n<tr><th class=l>Vhost"
                "</th><th>Compiles</th><th>Per request</th><th>Compile time</th>"
                "<th>Share of PHP time</th></tr>\n");
    for (k = 0; k < v->nshown; k++) {
        const struct phpbpf_snap_vhost *b = phpbpf_bpf(v, i = v->shown[k]);

        out_printf(o, "<tr><td class=l>%s</td><td>" U64 "</td><td>%.2f</td><td>%s</td>"
                   "<td>%.1f%%</td></tr>\n", vname(o, v, i), (apr_uint64_t)b->v.compiles,
                   b->php.count ? (double)b->v.compiles / (double)b->php.count : 0,
                   fmt_us(t[0], (double)b->v.compile_us), share(b->v.compile_us, b->php.sum_us));
    }
    out_printf(o, "</table>\n<h3>Scripts by compile time</h3>\n<p>%u scripts tracked, "
               U64 " evicted (least recently compiled first; PhpBpfMaxScripts), "
               U64 " compiles outside a request.</p>\n<table>\n<tr><th class=l>Script</th>"
               "<th>Compiles</th><th>Total</th><th>Mean</th><th>Max</th></tr>\n",
               s->scripts_tracked, (apr_uint64_t)evicted(s),
               (apr_uint64_t)s->counters[PHPBPF_CTR(compiles_outside)]);
    for (i = 0; i < s->nscripts; i++) {
        const struct phpbpf_sparse *h = &s->scripts[i].compile;

        out_printf(o, "<tr><td class=l>%s</td><td>" U64 "</td><td>%s</td><td>%s</td>"
                   "<td>%s</td></tr>\n", esc_req(o, s->scripts[i].path), (apr_uint64_t)h->count,
                   fmt_us(t[0], (double)h->sum_us), fmt_us(t[1], phpbpf_sparse_mean(h)),
                   fmt_us(t[2], (double)h->max_us));
    }
    out_puts(o, "</table>\n<div class=hists>\n");
    for (i = 0; i < s->nscripts && i < HIST_SCRIPTS; i++)
        html_hist(o, esc_req(o, s->scripts[i].path), &s->scripts[i].compile);
    out_puts(o, "</div>\n");
}

void phpbpf_render_html(request_rec *r, const struct phpbpf_view *v)
{
    struct out out, *o = &out;
    __u32 i, k;

    out_open(o, r, v);
    out_puts(o, DOCTYPE_HTML_4_01 "<html><head>\n<meta charset=\"utf-8\">\n");
    if (v->refresh)
        out_printf(o, "<meta http-equiv=\"refresh\" content=\"%d\">\n", v->refresh);
    out_printf(o, "<title>PHP tracing for %s</title>\n%s</head><body>\n"
               "<h1>PHP tracing for %s</h1>\n",
               esc(o, ap_get_server_name(r)), css, esc(o, ap_get_server_name(r)));
    out_printf(o, "<p>Server version: %s<br>Current time: %s</p>\n",
               esc(o, ap_get_server_description()),
               esc(o, ap_ht_time(o->r->pool, v->now, "%Y-%m-%d %H:%M:%S %Z", 0)));
    html_banner(o, v);
    html_table(o, v);
    out_puts(o, "<h2>Latency histograms</h2>\n");
    for (k = 0; k < v->nshown; k++) {
        i = v->shown[k];
        out_printf(o, "<h3>%s</h3>\n<div class=hists>\n", vname(o, v, i));
        html_hist(o, "Apache request time", &v->apache[i]);
        html_hist(o, "PHP time", &phpbpf_bpf(v, i)->php);
        out_puts(o, "</div>\n");
    }
    html_slow(o, v);
    html_cpu(o, v);
    html_errors(o, v);
    html_compile(o, v);
    html_recent(o, v);
    html_counters(o, v);
    out_puts(o, "<hr><address>mod_phpbpf</address></body></html>\n");
    phpbpf_out_flush(&o->b);
}

/* ------------------------------------------------------------------ auto */

static void auto_lat(struct out *o, const char *what, const char *name,
                     const struct phpbpf_sparse *h)
{
    out_printf(o, "%sCount[%s]: " U64 "\n%sMeanUs[%s]: %.0f\n%sP50Us[%s]: %.0f\n"
               "%sP90Us[%s]: %.0f\n%sP99Us[%s]: %.0f\n%sMaxUs[%s]: " U64 "\n",
               what, name, (apr_uint64_t)h->count, what, name, phpbpf_sparse_mean(h),
               what, name, phpbpf_sparse_quantile(h, 0.5), what, name,
               phpbpf_sparse_quantile(h, 0.9), what, name, phpbpf_sparse_quantile(h, 0.99),
               what, name, (apr_uint64_t)h->max_us);
}

void phpbpf_render_auto(request_rec *r, const struct phpbpf_view *v)
{
    struct out out, *o = &out;
    __u32 i, j, k;

    out_open(o, r, v);
    out_printf(o, "TracingState: %s\n", tracing_state(v));
    if (v->unavailable)
        out_printf(o, "TracingReason: %s\n", v->unavailable);
    out_printf(o, "Library: %s\n", v->sh->library);
    if (v->snap) {
        out_printf(o, "ProbeHitsPerRequest: %.3f\n", hits_per_request(v->snap));
        out_puts(o, "Probes:");
        for (k = 0; k < PHPBPF_NPROBES; k++)
            if (v->snap->probes & (1u << k))
                out_printf(o, " %s", probe_names[k]);
        out_printf(o, "\nTracingUptime: " U64 "\nHelperPid: %u\n",
                   (apr_uint64_t)tracing_uptime(v), v->snap->helper_pid);
        for (k = 0; k < PHPBPF_NCOUNTERS; k++)
            out_printf(o, "Probe_%s: " U64 "\n", counter_names[k],
                       (apr_uint64_t)v->snap->counters[k]);
    }
    out_printf(o, "HelperRestarts: %u\nVhostsConfigured: %u\nVhostsUntracked: %u\n",
               v->sh->restarts, v->sh->nvhosts - 1, v->sh->untracked_vhosts);
    out_printf(o, "CompileTracing: %s\nCpuTracing: %s\n", v->sh->compile_tracing ? "on" : "off",
               cpu_traced(v) ? "on" : "off");
    if (v->sh->slow_us && v->snap)
        out_printf(o, "SlowThresholdUs: " U64 "\nSlowRequestsShown: %u\nSlowLost: " U64 "\n",
                   (apr_uint64_t)v->sh->slow_us, v->snap->nslow,
                   (apr_uint64_t)v->snap->counters[PHPBPF_CTR(slow_lost)]);
    if (v->sh->compile_tracing && v->snap)
        out_printf(o, "ScriptsTracked: %u\nScriptsEvicted: " U64 "\n", v->snap->scripts_tracked,
                   (apr_uint64_t)evicted(v->snap));
    for (j = 0; j < v->nshown; j++) {
        const struct phpbpf_vhost_rec *vh = &v->sh->vhost[i = v->shown[j]];

        out_printf(o, "Vhost: %s\nRequests[%s]: " U64 "\nReqPerSec[%s]: %.3f\n", vh->name,
                   vh->name, (apr_uint64_t)vh->apache.count, vh->name,
                   (double)vh->apache.count / elapsed_s(v));
        auto_lat(o, "Latency", vh->name, &v->apache[i]);
        auto_lat(o, "Php", vh->name, &phpbpf_bpf(v, i)->php);
        for (k = 0; k < 5; k++)
            out_printf(o, "Status%s[%s]: " U64 "\n", status_names[k], vh->name,
                       (apr_uint64_t)vh->status[k]);
        out_printf(o, "Errors[%s]: " U64 "\nExceptionsThrown[%s]: " U64 "\n"
                   "ExceptionsUncaught[%s]: " U64 "\n",
                   vh->name, (apr_uint64_t)errors_total(vh), vh->name,
                   (apr_uint64_t)phpbpf_bpf(v, i)->v.exc_thrown, vh->name,
                   (apr_uint64_t)vh->uncaught);
        if (cpu_traced(v)) {
            const struct phpbpf_snap_cpu *c = &phpbpf_bpf(v, i)->cpu;

            auto_lat(o, "OnCpu", vh->name, &c->on);
            auto_lat(o, "OffCpu", vh->name, &c->off);
            out_printf(o, "OnCpuShare[%s]: %.4f\n", vh->name, on_share(c));
        }
        if (v->sh->compile_tracing)
            out_printf(o, "Compiles[%s]: " U64 "\nCompileUs[%s]: " U64 "\n", vh->name,
                       (apr_uint64_t)phpbpf_bpf(v, i)->v.compiles, vh->name,
                       (apr_uint64_t)phpbpf_bpf(v, i)->v.compile_us);
    }
    phpbpf_out_flush(&o->b);
}

/* ------------------------------------------------------------------ JSON */

/* JSON string with everything outside printable ASCII escaped, '<' '>' '&'
 * included so the text is inert even if pasted into HTML; bytes that are
 * not valid UTF-8 become U+FFFD rather than invalid JSON. */
static void json_str(struct out *o, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    out_putc(o, '"');
    while (*p) {
        unsigned char c = *p;

        if (c >= 0x80) {
            size_t n = phpbpf_utf8_len(p);

            if (n) {
                phpbpf_out_write(&o->b, p, n);
                p += n;
            }
            else {
                out_puts(o, "\\ufffd");
                p++;
            }
            continue;
        }
        if (c == '"' || c == '\\')
            out_printf(o, "\\%c", c);
        else if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == 0x7f)
            out_printf(o, "\\u%04x", c);
        else
            out_putc(o, c);
        p++;
    }
    out_putc(o, '"');
}

static void json_lat(struct out *o, const char *key, const struct phpbpf_sparse *h)
{
    out_printf(o, "\"%s\": {\"count\": " U64 ", \"mean\": %.1f, \"p50\": %.1f, \"p90\": %.1f, "
               "\"p99\": %.1f, \"max\": " U64 "}",
               key, (apr_uint64_t)h->count, phpbpf_sparse_mean(h),
               phpbpf_sparse_quantile(h, 0.5), phpbpf_sparse_quantile(h, 0.9),
               phpbpf_sparse_quantile(h, 0.99), (apr_uint64_t)h->max_us);
}

static void json_tracing(struct out *o, const struct phpbpf_view *v)
{
    const struct phpbpf_snapshot *s = v->snap;
    unsigned k;

    out_printf(o, "{\"state\": \"%s\", \"reason\": ", tracing_state(v));
    if (v->unavailable)
        json_str(o, v->unavailable);
    else
        out_puts(o, "null");
    out_puts(o, ", \"library\": ");
    json_str(o, v->sh->library);
    out_printf(o, ", \"helper_restarts\": %u", v->sh->restarts);
    if (s) {
        const char *sep = "";

        out_puts(o, ", \"probes\": [");
        for (k = 0; k < PHPBPF_NPROBES; k++)
            if (s->probes & (1u << k)) {
                out_printf(o, "%s\"%s\"", sep, probe_names[k]);
                sep = ", ";
            }
        out_printf(o, "], \"since\": " U64 ", \"uptime_s\": " U64 ", "
                   "\"helper_pid\": %u, \"generation\": %u, \"hits_per_request\": %.3f, "
                   "\"counters\": {",
                   (apr_uint64_t)(s->started_us / 1000000),
                   (apr_uint64_t)tracing_uptime(v), s->helper_pid, s->generation,
                   hits_per_request(s));
        for (k = 0; k < PHPBPF_NCOUNTERS; k++)
            out_printf(o, "%s\"%s\": " U64, k ? ", " : "", counter_names[k],
                       (apr_uint64_t)s->counters[k]);
        out_puts(o, "}");
    }
    out_puts(o, ", \"histogram\": {\"unit\": \"us\", \"relative_precision\": 0.032}}");
}

static void json_compile(struct out *o, const struct phpbpf_view *v)
{
    const struct phpbpf_snapshot *s = v->snap;
    __u32 i;

    out_printf(o, "{\"enabled\": %s, \"opcache_jit_disabled\": %s",
               v->sh->compile_tracing ? "true" : "false", v->sh->compile_tracing ? "true" : "false");
    if (v->sh->compile_tracing && s) {
        out_printf(o, ", \"scripts_tracked\": %u, \"scripts_evicted\": " U64 ", "
                   "\"outside_requests\": " U64 ", \"scripts\": [", s->scripts_tracked,
                   (apr_uint64_t)evicted(s), (apr_uint64_t)s->counters[PHPBPF_CTR(compiles_outside)]);
        for (i = 0; i < s->nscripts; i++) {
            out_puts(o, i ? ",\n   {\"path\": " : "\n   {\"path\": ");
            json_str(o, s->scripts[i].path);
            out_puts(o, ", ");
            json_lat(o, "compile_us", &s->scripts[i].compile);
            out_printf(o, ", \"total_us\": " U64 "}", (apr_uint64_t)s->scripts[i].compile.sum_us);
        }
        out_puts(o, "]");
    }
    out_puts(o, "}");
}

static void json_exceptions(struct out *o, const struct phpbpf_view *v)
{
    const struct phpbpf_snapshot *s = v->snap;
    __u32 i;

    out_puts(o, "{\"classes\": [");
    for (i = 0; s && i < s->nclasses; i++) {
        out_puts(o, i ? ", {\"class\": " : "{\"class\": ");
        json_str(o, s->classes[i].name);
        out_printf(o, ", \"thrown\": " U64 "}", (apr_uint64_t)s->classes[i].count);
    }
    out_printf(o, "], \"other\": " U64 ", \"max_classes\": %d}",
               (apr_uint64_t)(s ? s->counters[PHPBPF_CTR(class_overflow)] : 0), PHPBPF_MAX_CLASSES);
}

static void json_errors(struct out *o, const struct phpbpf_view *v)
{
    const struct phpbpf_error_rec **top;
    unsigned i, n;

    top = top_errors(o->r->pool, v, &n);
    out_puts(o, "{\"top\": [");
    for (i = 0; i < n; i++) {
        out_printf(o, "%s{\"level\": \"%s\", \"message\": ", i ? ",\n   " : "\n   ",
                   level_names[top[i]->level & 3]);
        json_str(o, top[i]->msg);
        out_puts(o, ", \"file\": ");
        json_str(o, top[i]->file);
        out_printf(o, ", \"line\": %u, \"count\": " U64 "}", top[i]->line,
                   (apr_uint64_t)top[i]->count);
    }
    out_printf(o, "], \"other\": " U64 ", \"max_errors\": %d, \"message_max_bytes\": %d}",
               (apr_uint64_t)v->sh->errors_other, PHPBPF_ERRORS, PHPBPF_MSG_MAX - 1);
}

static void json_slow(struct out *o, const struct phpbpf_view *v)
{
    const struct phpbpf_snapshot *s = v->snap;
    __u32 i;

    out_printf(o, "{\"threshold_us\": " U64 ", \"size\": %u, \"query_strings\": %s, "
               "\"lost\": " U64 ", \"requests\": [", (apr_uint64_t)v->sh->slow_us,
               v->sh->slow_size, v->sh->record_query ? "true" : "false",
               (apr_uint64_t)(s ? s->counters[PHPBPF_CTR(slow_lost)] : 0));
    for (i = 0; s && v->sh->slow_us && i < s->nslow; i++) {
        const struct phpbpf_slow_event *e = &s->slow[i];
        const struct phpbpf_slow_rec *a = apache_slow(v, e);

        out_puts(o, i ? ",\n   {\"vhost\": " : "\n   {\"vhost\": ");
        json_str(o, e->vhost < v->sh->nvhosts ? v->sh->vhost[e->vhost].name : "?");
        out_puts(o, ", \"method\": ");
        json_str(o, a ? a->method : e->method);
        out_puts(o, ", \"uri\": ");
        json_str(o, a ? a->uri : e->uri);
        out_puts(o, ", \"script\": ");
        json_str(o, e->script);
        if (a)
            out_printf(o, ", \"time\": " U64 ", \"status\": %u, \"apache_us\": " U64
                       ", \"errors\": %u", (apr_uint64_t)(a->time_us / 1000000), a->status,
                       (apr_uint64_t)a->apache_us, a->errors);
        else
            out_puts(o, ", \"time\": null, \"status\": null, \"apache_us\": null, "
                        "\"errors\": null");
        out_printf(o, ", \"php_us\": " U64 ", \"compile_us\": " U64, (apr_uint64_t)e->php_us,
                   (apr_uint64_t)e->compile_us);
        if (cpu_traced(v))
            out_printf(o, ", \"on_cpu_us\": " U64 ", \"off_cpu_us\": " U64,
                       (apr_uint64_t)e->on_us, (apr_uint64_t)e->off_us);
        else
            out_puts(o, ", \"on_cpu_us\": null, \"off_cpu_us\": null");
        out_printf(o, ", \"exceptions\": %u}", e->exc_thrown);
    }
    out_puts(o, "]}");
}

void phpbpf_render_json(request_rec *r, const struct phpbpf_view *v)
{
    const struct phpbpf_shared *sh = v->sh;
    struct out out, *o = &out;
    __u32 i, j, k, n = 0;
    __u64 head = sh->recent_head;

    out_open(o, r, v);
    out_puts(o, "{\"tracing\": ");
    json_tracing(o, v);
    out_printf(o, ",\n \"apache\": {\"since\": " U64 ", \"vhosts_configured\": %u, "
               "\"vhosts_untracked\": %u},\n \"vhosts\": [",
               (apr_uint64_t)(sh->since_us / 1000000), sh->nvhosts - 1,
               sh->untracked_vhosts);
    for (j = 0; j < v->nshown; j++) {
        const struct phpbpf_vhost_rec *vh = &sh->vhost[i = v->shown[j]];

        out_puts(o, n++ ? ",\n  {\"name\": " : "\n  {\"name\": ");
        json_str(o, vh->name);
        out_printf(o, ", \"requests\": " U64 ", \"requests_per_s\": %.3f, ",
                   (apr_uint64_t)vh->apache.count, (double)vh->apache.count / elapsed_s(v));
        json_lat(o, "latency_us", &v->apache[i]);
        out_puts(o, ", ");
        json_lat(o, "php_us", &phpbpf_bpf(v, i)->php);
        out_puts(o, ", \"status\": {");
        for (k = 1; k < 5; k++)
            out_printf(o, "%s\"%s\": " U64, k > 1 ? ", " : "", status_names[k],
                       (apr_uint64_t)vh->status[k]);
        out_printf(o, "}, \"compile\": {\"count\": " U64 ", \"total_us\": " U64 ", "
                   "\"per_request\": %.3f, \"share_of_php\": %.4f",
                   (apr_uint64_t)phpbpf_bpf(v, i)->v.compiles, (apr_uint64_t)phpbpf_bpf(v, i)->v.compile_us,
                   phpbpf_bpf(v, i)->php.count ? (double)phpbpf_bpf(v, i)->v.compiles / (double)phpbpf_bpf(v, i)->php.count : 0,
                   share(phpbpf_bpf(v, i)->v.compile_us, phpbpf_bpf(v, i)->php.sum_us) / 100);
        out_printf(o, "}, \"errors\": {\"error\": " U64 ", \"warning\": " U64 ", "
                   "\"notice\": " U64 ", \"other\": " U64 ", \"total\": " U64 "}, "
                   "\"exceptions\": {\"thrown\": " U64 ", \"uncaught\": " U64,
                   (apr_uint64_t)vh->errors[0], (apr_uint64_t)vh->errors[1],
                   (apr_uint64_t)vh->errors[2], (apr_uint64_t)vh->errors[3],
                   (apr_uint64_t)errors_total(vh), (apr_uint64_t)phpbpf_bpf(v, i)->v.exc_thrown,
                   (apr_uint64_t)vh->uncaught);
        out_puts(o, "}, \"cpu\": {");
        json_lat(o, "on_us", &phpbpf_bpf(v, i)->cpu.on);
        out_puts(o, ", ");
        json_lat(o, "off_us", &phpbpf_bpf(v, i)->cpu.off);
        out_printf(o, ", \"on_share\": %.4f, \"enabled\": %s", on_share(&phpbpf_bpf(v, i)->cpu),
                   cpu_traced(v) ? "true" : "false");
        out_puts(o, "}, \"methods\": {");
        for (k = 0; k < PHPBPF_M_COUNT; k++)
            out_printf(o, "%s\"%s\": " U64, k ? ", " : "", method_names[k],
                       (apr_uint64_t)vh->method[k]);
        out_puts(o, "}}");
    }
    out_puts(o, "],\n \"compile\": ");
    json_compile(o, v);
    out_puts(o, ",\n \"exceptions\": ");
    json_exceptions(o, v);
    out_puts(o, ",\n \"errors\": ");
    json_errors(o, v);
    out_puts(o, ",\n \"slow\": ");
    json_slow(o, v);
    out_puts(o, ",\n \"recent\": [");
    for (i = 1, n = 0; i <= PHPBPF_RECENT && head >= i; i++) {
        const struct phpbpf_recent *e = &sh->recent[(head - i) % PHPBPF_RECENT];

        if (!e->time_us)
            continue;
        out_puts(o, n++ ? ",\n  {\"vhost\": " : "\n  {\"vhost\": ");
        json_str(o, e->vhost < sh->nvhosts ? sh->vhost[e->vhost].name : "?");
        out_puts(o, ", \"host\": ");
        json_str(o, e->host);
        out_puts(o, ", \"method\": ");
        json_str(o, e->method);
        out_puts(o, ", \"uri\": ");
        json_str(o, e->uri);
        out_printf(o, ", \"status\": %u, \"time\": " U64 ", \"apache_us\": " U64 "}", e->status,
                   (apr_uint64_t)(e->time_us / 1000000), (apr_uint64_t)e->apache_us);
    }
    out_puts(o, "]}\n");
    phpbpf_out_flush(&o->b);
}
