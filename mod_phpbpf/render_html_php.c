/* The page's PHP sections: the slow log (with each request's waits and
 * backtrace), on/off-CPU time, waits by class and call site, and PHP's
 * errors and exceptions.  Strings from requests and PHP go through
 * esc_req(), vhost names through vname(). */
#include "apr_strings.h"

#include "escape.h"
#include "render.h"
#include "html_page.h"
#include "render_profile.h"

void phpbpf_html_cpu(struct page *g)
{
    const struct phpbpf_report *r = g->r;
    char t[4][PHPBPF_HTML_US];
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
                phpbpf_html_us(t[0], v->on_cpu.mean), phpbpf_html_us(t[1], v->on_cpu.p99), 100 * v->on_share,
                phpbpf_html_us(t[2], v->off_cpu.mean), phpbpf_html_us(t[3], v->off_cpu.p99),
                v->on_cpu.hist->count ? 100 * (1 - v->on_share) : 0);
    }
    puts_(g, "</table>\n");
}

/* Off-CPU time per vhost by what it waited on. */
void phpbpf_html_waits(struct page *g)
{
    const struct phpbpf_report *r = g->r;
    char t[2][PHPBPF_HTML_US];
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
                        phpbpf_wait_names[c], phpbpf_html_us(t[0], (double)v->wait[c].total_us),
                        phpbpf_html_us(t[1], v->wait[c].mean_us), 100 * v->wait[c].share,
                        (apr_uint64_t)v->wait[c].count);
    }
    puts_(g, "</table>\n");
    for (k = 0; k < r->nshown; k++) {
        const struct phpbpf_report_vhost *v = &r->vhost[i = r->shown[k]];

        if (!v->nsites)
            continue;
        printf_(g, "<h3>%s: waits by component, %s</h3>\n<table>\n<tr><th class=l>Component</th>"
                "<th class=l>Class</th><th>Waits</th><th>Total</th><th>Per request</th></tr>\n",
                vname(g, i), phpbpf_window_text(g->p, r));
        for (c = 0; c < v->ncomponent_waits; c++) {
            const struct phpbpf_report_component_wait *x = &v->component_waits[c];

            printf_(g, "<tr><td class=l>%s</td><td class=l>%s</td><td>" PHPBPF_U64 "</td><td>%s</td>"
                    "<td>%s</td></tr>\n", esc_req(g, x->component), x->wait_class,
                    (apr_uint64_t)x->count, phpbpf_html_us(t[0], (double)x->total_us),
                    phpbpf_html_us(t[1], v->php.hist->count
                                          ? (double)x->total_us / (double)v->php.hist->count : 0));
        }
        puts_(g, "</table>\n");
        printf_(g, "<h3>%s: waits by PHP call site, %s</h3>\n<table>\n<tr><th class=l>Function</th>"
                "<th class=l>Where</th><th class=l>Class</th><th>Waits</th><th>Total</th></tr>\n",
                vname(g, i), phpbpf_window_text(g->p, r));
        for (c = 0; c < v->nsites; c++) {
            const struct phpbpf_report_site *x = &v->sites[c];

            printf_(g, "<tr><td class=l>%s</td><td class=l>%s:%u</td><td class=l>%s</td><td>"
                    PHPBPF_U64 "</td><td>%s</td></tr>\n", esc_req(g, x->f.function),
                    esc_req(g, x->f.file), x->f.line, x->wait_class, (apr_uint64_t)x->count,
                    phpbpf_html_us(t[0], (double)x->total_us));
        }
        puts_(g, "</table>\n");
    }
    if (r->sites_lost) {
        printf_(g, "<p>" PHPBPF_U64 " waits of new call sites were not kept (they are in the "
                "classes above): the table holds %u a period, shared among vhosts;",
                (apr_uint64_t)r->sites_lost, r->sites_max);
        for (k = 0; k < r->nshown; k++)
            if (r->vhost[r->shown[k]].bpf.sites_lost)
                printf_(g, " %s " PHPBPF_U64, vname(g, r->shown[k]),
                        (apr_uint64_t)r->vhost[r->shown[k]].bpf.sites_lost);
        puts_(g, ".</p>\n");
    }
}

void phpbpf_html_errors(struct page *g)
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
        td_u64(g, v->bpf.exc_thrown);
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
    char t[PHPBPF_HTML_US];
    unsigned k, done[PHPBPF_REPORT_WAIT_CLASSES] = { 0 }, n;

    printf_(g, "<tr><td class=l colspan=13><pre class=bt>%s = ", phpbpf_html_us(t, (double)e->php_us));
    for (n = 0;; n++) {
        unsigned best = PHPBPF_REPORT_WAIT_CLASSES;

        for (k = 0; k < PHPBPF_REPORT_WAIT_CLASSES; k++)
            if (!done[k] && e->waits[k] && (best == PHPBPF_REPORT_WAIT_CLASSES
                                             || e->wait_us[k] > e->wait_us[best]))
                best = k;
        if (best == PHPBPF_REPORT_WAIT_CLASSES)
            break;
        done[best] = 1;
        printf_(g, "%s%s %s", n ? " + " : "", phpbpf_html_us(t, (double)e->wait_us[best]),
                phpbpf_wait_names[best]);
        if (best != PHPBPF_REPORT_RUNQUEUE)
            printf_(g, " (%u%s)", e->waits[best], n ? "" : e->waits[best] == 1 ? " wait" : " waits");
    }
    printf_(g, "%s%s on-CPU</pre></td></tr>\n", n ? " + " : "", phpbpf_html_us(t, (double)e->on_us));
}

/* As php-fpm's slowlog prints it, innermost first. */
static void backtrace(struct page *g, const struct phpbpf_report_slow *e)
{
    char t[PHPBPF_HTML_US];

    if (!e->backtrace)
        return;
    printf_(g, "<tr><td class=l colspan=13><pre class=bt>PHP backtrace, taken %s into the "
            "request:\n", phpbpf_html_us(t, (double)e->backtrace_at_us));
    phpbpf_html_frames(g, e->frame, e->nframes);
    if (e->backtrace_truncated)
        printf_(g, "... (cut at %u frames, PhpBpfSlowTraceDepth)\n", e->nframes);
    puts_(g, "</pre></td></tr>\n");
}

void phpbpf_html_slow(struct page *g)
{
    const struct phpbpf_report *r = g->r;
    char t[6][PHPBPF_HTML_US];
    unsigned i;

    if (!r->slow_threshold_us || !r->helper)
        return;
    printf_(g, "<h2>Slow requests</h2>\n<p>The last %u requests whose PHP time reached %s, "
            "newest first.%s " PHPBPF_U64 " lost (ring buffer full).</p>\n<table>\n<tr>"
            "<th class=l>Time</th><th class=l>Vhost</th><th class=l>Request</th>"
            "<th class=l>Script</th><th class=l>Route</th><th>Status</th><th>Apache time</th><th>PHP time</th>"
            "<th>Compile</th><th>On-CPU</th><th>Off-CPU</th><th>Errors</th>"
            "<th>Exceptions</th></tr>\n", r->slow_size, phpbpf_html_us(t[0], (double)r->slow_threshold_us),
            r->record_query ? "" : " Query strings are removed (PhpBpfRecordQueryString).",
            (apr_uint64_t)r->slow_lost);
    for (i = 0; i < r->nslow; i++) {
        const struct phpbpf_report_slow *e = &r->slow[i];
        int a = e->apache_known, c = r->cpu_traced;   /* else unknown, not 0 */

        printf_(g, "<tr><td class=l>%s</td><td class=l>%s</td><td class=l>%s %s</td>"
                "<td class=l>%s</td><td class=l>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td>"
                "<td>%s</td><td>%s</td><td>%s</td><td>%u</td></tr>\n",
                a ? phpbpf_fmt_time(g->p, e->time_us, "%H:%M:%S") : "&ndash;", esc(g, e->vhost),
                esc_req(g, e->method), esc_req(g, e->uri), esc_req(g, e->script),
                e->route ? esc_req(g, e->route) : "&ndash;",
                a ? apr_itoa(g->p, (int)e->status) : "&ndash;",
                a ? phpbpf_html_us(t[1], (double)e->apache_us) : "&ndash;",
                phpbpf_html_us(t[2], (double)e->php_us), phpbpf_html_us(t[3], (double)e->compile_us),
                c ? phpbpf_html_us(t[4], (double)e->on_us) : "&ndash;",
                c ? phpbpf_html_us(t[5], (double)e->off_us) : "&ndash;",
                a ? apr_itoa(g->p, (int)e->errors) : "&ndash;", e->exceptions);
        if (c)
            wait_split(g, e);
        phpbpf_html_slow_queries(g, e);
        backtrace(g, e);
    }
    puts_(g, "</table>\n");
}
