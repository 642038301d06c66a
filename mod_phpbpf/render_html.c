/* The server-bpf page, HTML.  Every string that can come from a request
 * or from PHP goes through phpbpf_esc_req(), vhost names (from the
 * configuration) through phpbpf_esc_html(). */
#include "apr_strings.h"
#include "apr_time.h"

#include "escape.h"
#include "render.h"
#include "render_profile.h"
#include "html_page.h"

#define HIST_SCRIPTS 10     /* scripts drawn as histograms */
#define HIST_ROWS_MAX 40


#define DOCTYPE "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\" " \
                "\"http://www.w3.org/TR/html4/strict.dtd\">\n"


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
    "table.prof td.l{max-width:40em;overflow-wrap:anywhere}"
    ".sw{display:inline-block;width:.8em;height:.8em;margin-right:.4em;vertical-align:middle}"
    "</style>\n";

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
    for (k = 0; k < r->nfpm; k++)
        printf_(g, "php-fpm pool <code>%s</code>: %s<br>\n", esc_req(g, r->fpm_pool[k]),
                esc_req(g, r->fpm_state[k]));
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
    char t[PHPBPF_HTML_US];

    if (!l->hist->count) {
        puts_(g, "<td colspan=5>&ndash;</td>");
        return;
    }
    td(g, phpbpf_html_us(t, l->mean));
    td(g, phpbpf_html_us(t, l->p50));
    td(g, phpbpf_html_us(t, l->p90));
    td(g, phpbpf_html_us(t, l->p99));
    td(g, phpbpf_html_us(t, (double)l->hist->max_us));
}

static void vhost_table(struct page *g)
{
    const struct phpbpf_report *r = g->r;
    uint32_t i, k, shown;

    puts_(g, "<h2>Per virtual host</h2>\n<table>\n"
             "<tr><th class=l rowspan=2>Vhost</th><th class=l rowspan=2>PHP runs in</th>"
             "<th rowspan=2>Requests</th>"
             "<th rowspan=2>Req/s</th><th colspan=5>Apache request time</th>"
             "<th colspan=5>PHP time</th><th colspan=5>Status</th></tr>\n<tr>"
             "<th>mean</th><th>p50</th><th>p90</th><th>p99</th><th>max</th>"
             "<th>mean</th><th>p50</th><th>p90</th><th>p99</th><th>max</th>"
             "<th>1xx</th><th>2xx</th><th>3xx</th><th>4xx</th><th>5xx</th></tr>\n");
    for (shown = 0; shown < r->nshown; shown++) {
        const struct phpbpf_report_vhost *v = &r->vhost[i = r->shown[shown]];

        printf_(g, "<tr><td class=l>%s</td><td class=l>%s</td><td>" PHPBPF_U64 "</td><td>%.2f</td>",
                vname(g, i), esc_req(g, v->php_runs ? v->php_runs : ""), (apr_uint64_t)v->requests, v->per_s);
        lat_cells(g, &v->apache);
        lat_cells(g, &v->php);
        for (k = 0; k < PHPBPF_REPORT_STATUS; k++)
            td_u64(g, v->status[k]);
        puts_(g, "</tr>\n");
    }
    if (!shown)
        puts_(g, "<tr><td class=l colspan=19>No PHP requests yet.</td></tr>\n");
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
    const char (*lower)[PHPBPF_HTML_US];

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
    lower = phpbpf_html_lower_texts();
    for (i = first, k = 0; i <= last; i += step) {
        uint32_t end = i + step < PHPBPF_HIST_BUCKETS ? i + step : PHPBPF_HIST_BUCKETS;
        uint64_t n;

        while (k < h->nnz && h->bucket[k].idx < i)
            k++;
        n = row_count(h, &k, end);
        puts_(g, "<tr><td>[");
        puts_(g, lower[i]);
        puts_(g, ", ");
        puts_(g, lower[end]);
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
    char t[PHPBPF_HTML_US];
    unsigned i;

    puts_(g, "<h2>Last PHP requests</h2>\n<table>\n<tr><th class=l>Time</th>"
             "<th class=l>Vhost</th><th class=l>Host header</th><th class=l>Request</th>"
             "<th class=l>Script</th><th>Status</th><th>Apache time</th></tr>\n");
    for (i = 0; i < r->nrecent; i++) {
        const struct phpbpf_report_request *e = &r->recent[i];

        printf_(g, "<tr><td class=l>%s</td><td class=l>%s</td><td class=l>%s</td>"
                "<td class=l>%s %s</td><td class=l>%s</td><td>%u</td><td>%s</td></tr>\n",
                phpbpf_fmt_time(g->p, e->time_us, "%H:%M:%S"), esc(g, e->vhost), esc_req(g, e->host),
                esc_req(g, e->method), esc_req(g, e->uri), e->script ? esc_req(g, e->script) : "",
                e->status, phpbpf_html_us(t, (double)e->apache_us));
    }
    puts_(g, "</table>\n<p>The request as the client sent it; the script where an internal "
             "redirect (FallbackResource, DirectoryIndex, a rewrite) ran another.  Query "
             "strings are never recorded.</p>\n");
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

static void compile(struct page *g)
{
    const struct phpbpf_report *r = g->r;
    char t[3][PHPBPF_HTML_US];
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
                "<td>%.1f%%</td></tr>\n", vname(g, i), (apr_uint64_t)v->bpf.compiles,
                v->compiles_per_request, phpbpf_html_us(t[0], (double)v->bpf.compile_us),
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
                phpbpf_html_us(t[0], (double)l->hist->sum_us), phpbpf_html_us(t[1], l->mean),
                phpbpf_html_us(t[2], (double)l->hist->max_us));
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
    phpbpf_html_routes(g);
    phpbpf_html_queries(g);
    phpbpf_html_slow(g);
    phpbpf_render_html_profile(r, o, p);
    phpbpf_html_cpu(g);
    phpbpf_html_waits(g);
    phpbpf_html_errors(g);
    compile(g);
    recent(g);
    counters(g);
    puts_(g, "<hr><address>mod_phpbpf</address></body></html>\n");
    phpbpf_out_flush(o);
}
