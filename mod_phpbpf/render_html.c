/* The server-bpf page, HTML.  Every string that can come from a request
 * or from PHP goes through phpbpf_esc_req(), vhost names (from the
 * configuration) through phpbpf_esc_html(). */
#include "apr_strings.h"
#include "apr_time.h"

#include "escape.h"
#include "render.h"
#include "render_profile.h"

#define HIST_SCRIPTS 10     /* scripts drawn as histograms */
#define HIST_ROWS_MAX 40


#define DOCTYPE "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\" " \
                "\"http://www.w3.org/TR/html4/strict.dtd\">\n"

struct page {
    struct phpbpf_out *o;
    apr_pool_t *p;
    const struct phpbpf_report *r;
    const char **name;            /* vhost names escaped, on first use */
};

static void puts_(struct page *g, const char *s)
{
    phpbpf_out_str(g->o, s);
}

#define printf_(g, ...) phpbpf_out_printf((g)->o, __VA_ARGS__)

static const char *esc(struct page *g, const char *s)
{
    return phpbpf_esc_html(g->p, s);
}

static const char *esc_req(struct page *g, const char *s)
{
    return phpbpf_esc_req(g->p, s);
}

/* Vhost names come back in several tables: escaped once per page. */
static const char *vname(struct page *g, uint32_t i)
{
    if (!g->name[i])
        g->name[i] = esc(g, g->r->vhost[i].name);
    return g->name[i];
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

static void us_texts(void)
{
    uint32_t b;

    if (lower_text[0][0])
        return;
    for (b = 0; b < PHPBPF_HIST_BUCKETS; b++) {
        fmt_us_apr(lower_text[b], (double)phpbpf_bucket_lower(b));
        fmt_us_apr(mid_text[b], phpbpf_bucket_mid(b));
    }
    fmt_us_apr(lower_text[b], (double)(phpbpf_bucket_lower(b - 1) + phpbpf_bucket_width(b - 1)));
}

/* A time in microseconds as text; buf (US_MAX bytes) is used if needed. */
static const char *fmt_us(char *buf, double us)
{
    us_texts();
    if (us >= 0 && us < (double)phpbpf_bucket_lower(PHPBPF_HIST_BUCKETS - 1)) {
        uint32_t b = phpbpf_hist_bucket((__u64)us);

        if (us == (double)phpbpf_bucket_lower(b))
            return lower_text[b];
        if (us == phpbpf_bucket_mid(b))
            return mid_text[b];
    }
    /* A whole number below 1000 is "%.0f" of itself: its digits. */
    if (us >= 0 && us < 1e3 && us == (double)(uint64_t)us) {
        buf[phpbpf_fmt_u64(buf, (uint64_t)us)] = '\0';
        return strcat(buf, " &micro;s");
    }
    return fmt_us_apr(buf, us);
}


static void td(struct page *g, const char *s)
{
    puts_(g, "<td>");
    puts_(g, s);
    puts_(g, "</td>");
}

static void td_u64(struct page *g, uint64_t v)
{
    puts_(g, "<td>");
    phpbpf_out_u64(g->o, v);
    puts_(g, "</td>");
}

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
    ".hists{display:flex;gap:3em;flex-wrap:wrap}"
    "pre.bt{margin:0 0 .4em 2em;font-size:90%}"
    ".fg{font:11px monospace;margin:.5em 0 1.5em;max-width:100em}"
    ".fgc{display:flex}.fgn{box-sizing:border-box;overflow:hidden}"
    ".fgn span{display:block;overflow:hidden;white-space:nowrap;text-overflow:ellipsis;"
    "border:1px solid #fff;padding:1px 2px;cursor:pointer}"
    "table.prof td.l{max-width:40em;overflow-wrap:anywhere}</style>\n";

static void banner(struct page *g)
{
    const struct phpbpf_report *r = g->r;
    unsigned k;

    printf_(g, "<div class=\"banner %s\"><b>Tracing: %s</b>", r->reason ? "bad" : "ok",
            r->reason ? "unavailable" : "active");
    /* The reason and the path may carry a file name or the helper's own
     * text: shown as the access log would show them. */
    if (r->reason)
        printf_(g, " &mdash; %s", esc_req(g, r->reason));
    puts_(g, "<br>\n");
    printf_(g, "Library: <code>%s</code><br>\n", *r->library ? esc_req(g, r->library) : "(none)");
    if (r->helper) {
        puts_(g, "Probes attached:");
        for (k = 0; k < r->nprobes; k++)
            if (r->probes[k].attached)
                printf_(g, " %s (%s)", r->probes[k].name, r->probes[k].kind);
        puts_(g, "<br>\n");
        printf_(g, "Tracing for %s (helper pid %u, restarts %u)<br>\n",
                phpbpf_fmt_age(g->p, r->uptime_s), r->helper_pid, r->helper_restarts);
        printf_(g, "PHP counters since %s (%s), across helper restarts; requests lost to a "
                "helper's restart: " PHPBPF_U64 "<br>\n",
                esc(g, phpbpf_fmt_time(g->p, r->php_since_us, "%Y-%m-%d %H:%M:%S %Z")),
                phpbpf_fmt_age(g->p, r->now_us > r->php_since_us ? (r->now_us - r->php_since_us) / 1000000 : 0),
                (apr_uint64_t)r->requests_lost);
        printf_(g, "Probe hits per PHP request: %.2f<br>\n", r->hits_per_request);
    }
    else if (r->helper_restarts)
        printf_(g, "Helper restarts: %u<br>\n", r->helper_restarts);
    printf_(g, "Compile tracing: %s<br>\n", r->compile_traced
            ? "on &mdash; probes on compile_file, which PHP runs only on an opcache miss"
            : r->compile_tracing && r->helper ? "configured, but the compile_file probes are not attached"
            : "off (PhpBpfCompileTracing On shows compile time per script)");
    printf_(g, "CPU tracing: %s<br>\n", r->cpu_traced ? "on &mdash; a BPF program runs on "
                                                       "every context switch of the machine"
            : r->cpu_configured ? "configured, but sched:sched_switch is not attached"
            : "off (PhpBpfCpuTracing On splits PHP time into on-CPU and off-CPU)");
    if (r->helper && r->untraced)
        printf_(g, "Not traced on this libphp: %s<br>\n", esc_req(g, r->untraced));
    if (r->helper && r->stacks_reason)
        printf_(g, "PHP stacks: unavailable &mdash; %s<br>\n", esc_req(g, r->stacks_reason));
    else if (r->helper && r->stacks_state == 1)
        printf_(g, "PHP stacks: %s<br>\n", r->profile_hz
                ? apr_psprintf(g->p, "sampled %u times a second per CPU", r->profile_hz)
                : "not sampled (PhpBpfProfile Off); slow requests get backtraces");
    printf_(g, "Apache counters since %s (%s)</div>\n",
            esc(g, phpbpf_fmt_time(g->p, r->since_us, "%Y-%m-%d %H:%M:%S %Z")),
            phpbpf_fmt_age(g->p, (uint64_t)r->elapsed_s));
}

static void lat_cells(struct page *g, const struct phpbpf_report_lat *l)
{
    char t[US_MAX];

    if (!l->hist->count) {
        puts_(g, "<td colspan=5>&ndash;</td>");
        return;
    }
    td(g, fmt_us(t, l->mean));
    td(g, fmt_us(t, l->p50));
    td(g, fmt_us(t, l->p90));
    td(g, fmt_us(t, l->p99));
    td(g, fmt_us(t, (double)l->hist->max_us));
}

static void vhost_table(struct page *g)
{
    const struct phpbpf_report *r = g->r;
    uint32_t i, k, shown;

    puts_(g, "<h2>Per virtual host</h2>\n<table>\n"
             "<tr><th class=l rowspan=2>Vhost</th><th rowspan=2>Requests</th>"
             "<th rowspan=2>Req/s</th><th colspan=5>Apache request time</th>"
             "<th colspan=5>PHP time</th><th colspan=5>Status</th></tr>\n<tr>"
             "<th>mean</th><th>p50</th><th>p90</th><th>p99</th><th>max</th>"
             "<th>mean</th><th>p50</th><th>p90</th><th>p99</th><th>max</th>"
             "<th>1xx</th><th>2xx</th><th>3xx</th><th>4xx</th><th>5xx</th></tr>\n");
    for (shown = 0; shown < r->nshown; shown++) {
        const struct phpbpf_report_vhost *v = &r->vhost[i = r->shown[shown]];

        printf_(g, "<tr><td class=l>%s</td><td>" PHPBPF_U64 "</td><td>%.2f</td>", vname(g, i),
                (apr_uint64_t)v->requests, v->per_s);
        lat_cells(g, &v->apache);
        lat_cells(g, &v->php);
        for (k = 0; k < PHPBPF_REPORT_STATUS; k++)
            td_u64(g, v->status[k]);
        puts_(g, "</tr>\n");
    }
    if (!shown)
        puts_(g, "<tr><td class=l colspan=18>No PHP requests yet.</td></tr>\n");
    puts_(g, "</table>\n");
    printf_(g, "<p>%u vhosts configured; %u shown with PHP traffic.%s "
            "Percentiles are within 3.2%% (half a histogram bucket).</p>\n",
            r->vhosts_configured, shown,
            r->vhosts_untracked
                ? apr_psprintf(g->p, " %u vhosts beyond PhpBpfMaxVhosts are counted as (other).",
                               r->vhosts_untracked) : "");
}

/* The samples in buckets [from, to) of h, whose bucket *k is the first
 * not below from; *k moves past them. */
static uint64_t row_count(const struct phpbpf_sparse *h, uint32_t *k, uint32_t to)
{
    uint64_t n = 0;

    for (; *k < h->nnz && h->bucket[*k].idx < to; (*k)++)
        n += h->bucket[*k].count;
    return n;
}

/* The picture bpftrace's hist() draws, with finer rows: single buckets
 * when the data spans few of them, one row per power of two otherwise. */
static void histogram(struct page *g, const char *title, const struct phpbpf_sparse *h)
{
    uint32_t first = PHPBPF_HIST_BUCKETS, last = 0, i, k, step;
    uint64_t maxrow = 0;

    for (k = 0; k < h->nnz; k++)
        if (h->bucket[k].count) {
            if (first == PHPBPF_HIST_BUCKETS)
                first = h->bucket[k].idx;
            last = h->bucket[k].idx;
        }
    printf_(g, "<div><b>%s</b>", title);
    if (first == PHPBPF_HIST_BUCKETS) {
        puts_(g, "<br>no samples</div>\n");
        return;
    }
    step = last - first + 1 <= HIST_ROWS_MAX ? 1 : PHPBPF_HIST_SUB;
    if (step > 1)
        first -= first % step;
    for (i = first, k = 0; i <= last; i += step) {
        uint64_t n;

        while (k < h->nnz && h->bucket[k].idx < i)
            k++;
        if ((n = row_count(h, &k, i + step)) > maxrow)
            maxrow = n;
    }
    puts_(g, "<table class=hist>\n");
    us_texts();
    for (i = first, k = 0; i <= last; i += step) {
        uint32_t end = i + step < PHPBPF_HIST_BUCKETS ? i + step : PHPBPF_HIST_BUCKETS;
        uint64_t n;

        while (k < h->nnz && h->bucket[k].idx < i)
            k++;
        n = row_count(h, &k, end);
        puts_(g, "<tr><td>[");
        puts_(g, lower_text[i]);
        puts_(g, ", ");
        puts_(g, lower_text[end]);
        puts_(g, ")</td><td>");
        phpbpf_out_u64(g->o, n);
        puts_(g, "</td><td style=\"width:20em\"><div class=bar style=\"width:");
        /* Most rows are empty or the longest: no need for printf there. */
        if (n == 0)
            puts_(g, "0.0");
        else if (n == maxrow)
            puts_(g, "100.0");
        else
            printf_(g, "%.1f", 100.0 * (double)n / (double)maxrow);
        puts_(g, "%\"></div></td></tr>\n");
    }
    puts_(g, "</table></div>\n");
}

static void recent(struct page *g)
{
    const struct phpbpf_report *r = g->r;
    char t[US_MAX];
    unsigned i;

    puts_(g, "<h2>Last PHP requests</h2>\n<table>\n<tr><th class=l>Time</th>"
             "<th class=l>Vhost</th><th class=l>Host header</th><th class=l>Request</th>"
             "<th>Status</th><th>Apache time</th></tr>\n");
    for (i = 0; i < r->nrecent; i++) {
        const struct phpbpf_report_request *e = &r->recent[i];

        printf_(g, "<tr><td class=l>%s</td><td class=l>%s</td><td class=l>%s</td>"
                "<td class=l>%s %s</td><td>%u</td><td>%s</td></tr>\n",
                phpbpf_fmt_time(g->p, e->time_us, "%H:%M:%S"), esc(g, e->vhost), esc_req(g, e->host),
                esc_req(g, e->method), esc_req(g, e->uri), e->status,
                fmt_us(t, (double)e->apache_us));
    }
    puts_(g, "</table>\n<p>Query strings are never recorded.</p>\n");
}

static void counters(struct page *g)
{
    const struct phpbpf_report *r = g->r;
    unsigned i;

    if (!r->helper)
        return;
    puts_(g, "<h2>Probe counters</h2>\n<table>\n");
    for (i = 0; i < r->ncounters; i++)
        printf_(g, "<tr><td class=l>%s</td><td>" PHPBPF_U64 "</td></tr>\n", r->counters[i].name,
                (apr_uint64_t)r->counters[i].count);
    puts_(g, "</table>\n<p>hits: every probe hit, in any process; "
             "foreign: probe hits from processes that are not this server's; "
             "unattributed: PHP requests whose vhost could not be read (counted as (other)); "
             "orphans: request ends whose start was missed; unfinished: request starts "
             "whose end was missed; missed: requests a child logged that no probe saw "
             "(all three between a helper's death and its successor).</p>\n");
}

static void cpu(struct page *g)
{
    const struct phpbpf_report *r = g->r;
    char t[4][US_MAX];
    uint32_t i, k;

    if (!r->cpu_traced)
        return;
    puts_(g, "<h2>On-CPU and off-CPU</h2>\n<p>PHP time split by sched:sched_switch: on-CPU "
             "is PHP running, off-CPU is waiting (database, network, disk, locks) or "
             "runnable but not scheduled.</p>\n<table>\n<tr><th class=l rowspan=2>Vhost</th>"
             "<th colspan=3>On-CPU</th><th colspan=3>Off-CPU</th></tr>\n<tr><th>mean</th>"
             "<th>p99</th><th>share</th><th>mean</th><th>p99</th><th>share</th></tr>\n");
    for (k = 0; k < r->nshown; k++) {
        const struct phpbpf_report_vhost *v = &r->vhost[i = r->shown[k]];

        printf_(g, "<tr><td class=l>%s</td><td>%s</td><td>%s</td><td>%.1f%%</td>"
                "<td>%s</td><td>%s</td><td>%.1f%%</td></tr>\n", vname(g, i),
                fmt_us(t[0], v->on_cpu.mean), fmt_us(t[1], v->on_cpu.p99), 100 * v->on_share,
                fmt_us(t[2], v->off_cpu.mean), fmt_us(t[3], v->off_cpu.p99),
                v->on_cpu.hist->count ? 100 * (1 - v->on_share) : 0);
    }
    puts_(g, "</table>\n");
}

/* Off-CPU time per vhost by what it waited on. */
static void waits(struct page *g)
{
    const struct phpbpf_report *r = g->r;
    char t[2][US_MAX];
    uint32_t i, k, c;

    if (!r->cpu_traced)
        return;
    puts_(g, "<h2>What PHP waited on</h2>\n<p>Off-CPU time by what the request was blocked in "
             "when it was switched out: a socket's peer (by port, address or unix socket path; "
             "PhpBpfPeer names more), a file, a sleep, a lock; runqueue is time runnable but "
             "not scheduled (CPU contention).</p>\n<table>\n<tr><th class=l>Vhost</th>"
             "<th class=l>Class</th><th>Total</th><th>Per request</th><th>Share of PHP time</th>"
             "<th>Waits</th></tr>\n");
    for (k = 0; k < r->nshown; k++) {
        const struct phpbpf_report_vhost *v = &r->vhost[i = r->shown[k]];

        for (c = 0; v->wait && c < PHPBPF_REPORT_WAIT_CLASSES; c++)
            if (v->wait[c].count)
                printf_(g, "<tr><td class=l>%s</td><td class=l>%s</td><td>%s</td><td>%s</td>"
                        "<td>%.1f%%</td><td>" PHPBPF_U64 "</td></tr>\n", vname(g, i),
                        phpbpf_wait_names[c], fmt_us(t[0], (double)v->wait[c].total_us),
                        fmt_us(t[1], v->wait[c].mean_us), 100 * v->wait[c].share,
                        (apr_uint64_t)v->wait[c].count);
    }
    puts_(g, "</table>\n");
    for (k = 0; k < r->nshown; k++) {
        const struct phpbpf_report_vhost *v = &r->vhost[i = r->shown[k]];

        if (!v->nsites)
            continue;
        printf_(g, "<h3>%s: waits by PHP call site, %s</h3>\n<table>\n<tr><th class=l>Function</th>"
                "<th class=l>Where</th><th class=l>Class</th><th>Waits</th><th>Total</th></tr>\n",
                vname(g, i), phpbpf_window_text(g->p, r));
        for (c = 0; c < v->nsites; c++) {
            const struct phpbpf_report_site *x = &v->sites[c];

            printf_(g, "<tr><td class=l>%s</td><td class=l>%s:%u</td><td class=l>%s</td><td>"
                    PHPBPF_U64 "</td><td>%s</td></tr>\n", esc_req(g, x->f.function),
                    esc_req(g, x->f.file), x->f.line, x->wait_class, (apr_uint64_t)x->count,
                    fmt_us(t[0], (double)x->total_us));
        }
        puts_(g, "</table>\n");
    }
    if (r->sites_lost) {
        printf_(g, "<p>" PHPBPF_U64 " waits of new call sites were not kept (they are in the "
                "classes above): the table holds %u a period, shared among vhosts;",
                (apr_uint64_t)r->sites_lost, r->sites_max);
        for (k = 0; k < r->nshown; k++)
            if (r->vhost[r->shown[k]].sites_lost)
                printf_(g, " %s " PHPBPF_U64, vname(g, r->shown[k]),
                        (apr_uint64_t)r->vhost[r->shown[k]].sites_lost);
        puts_(g, ".</p>\n");
    }
}

static void errors(struct page *g)
{
    const struct phpbpf_report *r = g->r;
    unsigned i, k, e;

    puts_(g, "<h2>Errors and exceptions</h2>\n<table>\n<tr><th class=l rowspan=2>Vhost</th>"
             "<th colspan=4>PHP errors logged</th><th colspan=2>Exceptions</th></tr>\n<tr>"
             "<th>error</th><th>warning</th><th>notice</th><th>other</th><th>thrown</th>"
             "<th>uncaught, 5xx</th></tr>\n");
    for (k = 0; k < r->nshown; k++) {
        const struct phpbpf_report_vhost *v = &r->vhost[i = r->shown[k]];

        puts_(g, "<tr><td class=l>");
        puts_(g, vname(g, i));
        puts_(g, "</td>");
        for (e = 0; e < PHPBPF_REPORT_LEVELS; e++)
            td_u64(g, v->errors[e]);
        td_u64(g, v->exc_thrown);
        td_u64(g, v->uncaught);
        puts_(g, "</tr>\n");
    }
    puts_(g, "</table>\n<p>Errors are PHP's own lines in Apache's error log (log_errors On, "
             "at or above LogLevel): the php:error probe does not fire in this PHP build. "
             "Uncaught: PHP reported an uncaught exception in the request and it ended with "
             "a 5xx.</p>\n");
    if (r->helper && (r->nclasses || r->classes_other)) {
        printf_(g, "<h3>Exception classes thrown in %s</h3>\n<p>A table of %u, shared fairly "
                "among vhosts; what it could not keep is counted per vhost.</p>\n<table>\n"
                "<tr><th class=l>Vhost</th><th class=l>Class</th><th>Thrown</th></tr>\n",
                phpbpf_window_text(g->p, r), r->classes_max);
        for (i = 0; i < r->nclasses; i++)
            printf_(g, "<tr><td class=l>%s</td><td class=l>%s</td><td>" PHPBPF_U64 "</td></tr>\n",
                    esc(g, r->classes[i].vhost), esc_req(g, r->classes[i].name),
                    (apr_uint64_t)r->classes[i].count);
        for (k = 0; k < r->nshown; k++)
            if (r->vhost[r->shown[k]].classes_lost)
                printf_(g, "<tr><td class=l>%s</td><td class=l>(other: not kept)</td><td>"
                        PHPBPF_U64 "</td></tr>\n", vname(g, r->shown[k]),
                        (apr_uint64_t)r->vhost[r->shown[k]].classes_lost);
        puts_(g, "</table>\n");
    }
    if (!r->nerrors)
        return;
    printf_(g, "<h3>Most frequent errors</h3>\n<p>Messages are cut at %u bytes.</p>\n"
            "<table>\n<tr><th class=l>Level</th><th class=l>Message</th>"
            "<th class=l>Where</th><th>Count</th></tr>\n", r->message_max);
    for (i = 0; i < r->nerrors; i++)
        printf_(g, "<tr><td class=l>%s</td><td class=l>%s</td><td class=l>%s:%u</td><td>"
                PHPBPF_U64 "</td></tr>\n", r->errors[i].level, phpbpf_esc_msg(g->p, r->errors[i].msg),
                esc_req(g, r->errors[i].file), r->errors[i].line, (apr_uint64_t)r->errors[i].count);
    if (r->errors_other)
        printf_(g, "<tr><td class=l colspan=3>(other: table of %u errors full)</td><td>" PHPBPF_U64
                "</td></tr>\n", r->errors_max, (apr_uint64_t)r->errors_other);
    puts_(g, "</table>\n");
}

/* "1.84 s = 1.21 s mysql (37 waits) + 0.40 s http (2) + 0.15 s on-CPU":
 * PHP time as what it waited on, the longest first. */
static void wait_split(struct page *g, const struct phpbpf_report_slow *e)
{
    char t[US_MAX];
    unsigned k, done[PHPBPF_REPORT_WAIT_CLASSES] = { 0 }, n;

    printf_(g, "<tr><td class=l colspan=12><pre class=bt>%s = ", fmt_us(t, (double)e->php_us));
    for (n = 0;; n++) {
        unsigned best = PHPBPF_REPORT_WAIT_CLASSES;

        for (k = 0; k < PHPBPF_REPORT_WAIT_CLASSES; k++)
            if (!done[k] && e->waits[k] && (best == PHPBPF_REPORT_WAIT_CLASSES
                                             || e->wait_us[k] > e->wait_us[best]))
                best = k;
        if (best == PHPBPF_REPORT_WAIT_CLASSES)
            break;
        done[best] = 1;
        printf_(g, "%s%s %s", n ? " + " : "", fmt_us(t, (double)e->wait_us[best]),
                phpbpf_wait_names[best]);
        if (best != PHPBPF_REPORT_RUNQUEUE)
            printf_(g, " (%u%s)", e->waits[best], n ? "" : e->waits[best] == 1 ? " wait" : " waits");
    }
    printf_(g, "%s%s on-CPU</pre></td></tr>\n", n ? " + " : "", fmt_us(t, (double)e->on_us));
}

/* As php-fpm's slowlog prints it, innermost first. */
static void backtrace(struct page *g, const struct phpbpf_report_slow *e)
{
    char t[US_MAX];
    unsigned k;

    if (!e->backtrace)
        return;
    printf_(g, "<tr><td class=l colspan=12><pre class=bt>PHP backtrace, taken %s into the "
            "request:\n", fmt_us(t, (double)e->backtrace_at_us));
    for (k = 0; k < e->nframes; k++) {
        const struct phpbpf_report_frame *f = &e->frame[k];

        if (f->internal)
            printf_(g, "%s() (internal)\n", esc_req(g, f->function));
        else
            printf_(g, "%s() %s:%u\n", esc_req(g, f->function), esc_req(g, f->file), f->line);
    }
    if (e->backtrace_truncated)
        printf_(g, "... (cut at %u frames, PhpBpfSlowTraceDepth)\n", e->nframes);
    puts_(g, "</pre></td></tr>\n");
}

static void slow(struct page *g)
{
    const struct phpbpf_report *r = g->r;
    char t[6][US_MAX];
    unsigned i;

    if (!r->slow_threshold_us || !r->helper)
        return;
    printf_(g, "<h2>Slow requests</h2>\n<p>The last %u requests whose PHP time reached %s, "
            "newest first.%s " PHPBPF_U64 " lost (ring buffer full).</p>\n<table>\n<tr>"
            "<th class=l>Time</th><th class=l>Vhost</th><th class=l>Request</th>"
            "<th class=l>Script</th><th>Status</th><th>Apache time</th><th>PHP time</th>"
            "<th>Compile</th><th>On-CPU</th><th>Off-CPU</th><th>Errors</th>"
            "<th>Exceptions</th></tr>\n", r->slow_size, fmt_us(t[0], (double)r->slow_threshold_us),
            r->record_query ? "" : " Query strings are removed (PhpBpfRecordQueryString).",
            (apr_uint64_t)r->slow_lost);
    for (i = 0; i < r->nslow; i++) {
        const struct phpbpf_report_slow *e = &r->slow[i];
        int a = e->apache_known, c = r->cpu_traced;   /* else unknown, not 0 */

        printf_(g, "<tr><td class=l>%s</td><td class=l>%s</td><td class=l>%s %s</td>"
                "<td class=l>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td>"
                "<td>%s</td><td>%s</td><td>%u</td></tr>\n",
                a ? phpbpf_fmt_time(g->p, e->time_us, "%H:%M:%S") : "&ndash;", esc(g, e->vhost),
                esc_req(g, e->method), esc_req(g, e->uri), esc_req(g, e->script),
                a ? apr_itoa(g->p, (int)e->status) : "&ndash;",
                a ? fmt_us(t[1], (double)e->apache_us) : "&ndash;",
                fmt_us(t[2], (double)e->php_us), fmt_us(t[3], (double)e->compile_us),
                c ? fmt_us(t[4], (double)e->on_us) : "&ndash;",
                c ? fmt_us(t[5], (double)e->off_us) : "&ndash;",
                a ? apr_itoa(g->p, (int)e->errors) : "&ndash;", e->exceptions);
        if (c)
            wait_split(g, e);
        backtrace(g, e);
    }
    puts_(g, "</table>\n");
}

static void compile(struct page *g)
{
    const struct phpbpf_report *r = g->r;
    char t[3][US_MAX];
    uint32_t i, k;

    if (!r->compile_tracing || !r->helper)
        return;
    puts_(g, "<h2>PHP compiles</h2>\n<p>PHP compiles a script only when opcache does not "
             "have it: this is also an opcache-miss view.</p>\n<table>\n<tr><th class=l>Vhost"
             "</th><th>Compiles</th><th>Per request</th><th>Compile time</th>"
             "<th>Share of PHP time</th></tr>\n");
    for (k = 0; k < r->nshown; k++) {
        const struct phpbpf_report_vhost *v = &r->vhost[i = r->shown[k]];

        printf_(g, "<tr><td class=l>%s</td><td>" PHPBPF_U64 "</td><td>%.2f</td><td>%s</td>"
                "<td>%.1f%%</td></tr>\n", vname(g, i), (apr_uint64_t)v->compiles,
                v->compiles_per_request, fmt_us(t[0], (double)v->compile_us),
                100 * v->compile_share);
    }
    printf_(g, "</table>\n<h3>Scripts by compile time, %s</h3>\n<p>%u scripts in the table "
            "(PhpBpfMaxScripts, shared fairly among vhosts), " PHPBPF_U64 " compiles it could "
            "not keep, " PHPBPF_U64 " compiles outside a request.</p>\n<table>\n<tr>"
            "<th class=l>Vhost</th><th class=l>Script</th><th>Compiles</th><th>Total</th>"
            "<th>Mean</th><th>Max</th></tr>\n", phpbpf_window_text(g->p, r),
            r->scripts_tracked, (apr_uint64_t)r->scripts_evicted,
            (apr_uint64_t)r->compiles_outside);
    for (i = 0; i < r->nscripts; i++) {
        const struct phpbpf_report_lat *l = &r->scripts[i].compile;

        printf_(g, "<tr><td class=l>%s</td><td class=l>%s</td><td>" PHPBPF_U64 "</td><td>%s</td>"
                "<td>%s</td><td>%s</td></tr>\n", esc(g, r->scripts[i].vhost),
                esc_req(g, r->scripts[i].path), (apr_uint64_t)l->hist->count,
                fmt_us(t[0], (double)l->hist->sum_us), fmt_us(t[1], l->mean),
                fmt_us(t[2], (double)l->hist->max_us));
    }
    puts_(g, "</table>\n<div class=hists>\n");
    for (i = 0; i < r->nscripts && i < HIST_SCRIPTS; i++)
        histogram(g, esc_req(g, r->scripts[i].path), r->scripts[i].compile.hist);
    puts_(g, "</div>\n");
}

void phpbpf_render_html(const struct phpbpf_report *r, struct phpbpf_out *o, apr_pool_t *p)
{
    struct page page = { o, p, r, apr_pcalloc(p, (r->nvhosts + 1) * sizeof(*page.name)) };
    struct page *g = &page;
    const char *server = esc(g, r->server_name ? r->server_name : "");
    uint32_t i, k;

    puts_(g, DOCTYPE "<html><head>\n<meta charset=\"utf-8\">\n");
    if (r->refresh)
        printf_(g, "<meta http-equiv=\"refresh\" content=\"%d\">\n", r->refresh);
    printf_(g, "<title>PHP tracing for %s</title>\n%s</head><body>\n"
            "<h1>PHP tracing for %s</h1>\n", server, css, server);
    printf_(g, "<p>Server version: %s<br>Current time: %s</p>\n",
            esc(g, r->server_version ? r->server_version : ""),
            esc(g, phpbpf_fmt_time(p, r->now_us, "%Y-%m-%d %H:%M:%S %Z")));
    banner(g);
    vhost_table(g);
    puts_(g, "<h2>Latency histograms</h2>\n");
    for (k = 0; k < r->nshown; k++) {
        i = r->shown[k];
        printf_(g, "<h3>%s</h3>\n<div class=hists>\n", vname(g, i));
        histogram(g, "Apache request time", r->vhost[i].apache.hist);
        histogram(g, "PHP time", r->vhost[i].php.hist);
        puts_(g, "</div>\n");
    }
    slow(g);
    phpbpf_render_html_profile(r, o, p);
    cpu(g);
    waits(g);
    errors(g);
    compile(g);
    recent(g);
    counters(g);
    puts_(g, "<hr><address>mod_phpbpf</address></body></html>\n");
    phpbpf_out_flush(o);
}
