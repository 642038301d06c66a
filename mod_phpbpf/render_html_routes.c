/* The HTML page's "Routes": per vhost, what its requests did, by route. */
#include "apr_strings.h"

#include "html_page.h"

static void lat3(struct page *g, const struct phpbpf_report_lat *l)
{
    char t[PHPBPF_HTML_US];

    td(g, phpbpf_html_us(t, l->p50));
    td(g, phpbpf_html_us(t, l->p90));
    td(g, phpbpf_html_us(t, l->p99));
}

/* The class a route waited on most, and how long per request. */
static const char *top_wait(struct page *g, const struct phpbpf_report_route *x)
{
    char t[PHPBPF_HTML_US];
    unsigned k, best = PHPBPF_REPORT_WAIT_CLASSES;

    for (k = 0; k < PHPBPF_REPORT_WAIT_CLASSES; k++)
        if (k != PHPBPF_REPORT_RUNQUEUE && x->wait_us[k]
            && (best == PHPBPF_REPORT_WAIT_CLASSES || x->wait_us[k] > x->wait_us[best]))
            best = k;
    if (best == PHPBPF_REPORT_WAIT_CLASSES || !x->requests)
        return "&ndash;";
    return apr_psprintf(g->p, "%s %s", phpbpf_wait_names[best],
                        phpbpf_html_us(t, (double)x->wait_us[best] / (double)x->requests));
}

void phpbpf_html_routes(struct page *g)
{
    const struct phpbpf_report *r = g->r;
    char t[2][PHPBPF_HTML_US];
    uint32_t shown, i, k;
    int cpu = r->cpu_traced;

    if (!r->helper || !r->max_routes)
        return;
    printf_(g, "<h2>Routes</h2>\n<p>Each vhost's requests by route: the path the client asked "
            "for with ids, dates and tokens as {id}, at most %u segments, and for a front "
            "controller (/ or a .php script) the names of its first query parameters, never "
            "their values; or a PhpBpfRoute of yours.  Most PHP time first.  A table holds %u "
            "routes per vhost; the requests of any other route are counted as (other).  Apache "
            "time runs from the request read to PHP's end; percentiles are within 1/8; status "
            "is what PHP sent; errors are PHP's lines in the error log.</p>\n", PHPBPF_ROUTE_SEGS, r->max_routes);
    for (shown = 0; shown < r->nshown; shown++) {
        const struct phpbpf_report_vhost *v = &r->vhost[i = r->shown[shown]];

        if (!v->nroutes)
            continue;
        printf_(g, "<h3>%s</h3>\n<table>\n<tr><th class=l rowspan=2>Route</th>"
                "<th rowspan=2>Requests</th><th rowspan=2>Req/s</th><th rowspan=2>PHP time share</th>"
                "<th colspan=3>Apache time</th><th colspan=3>PHP time</th><th colspan=4>Status</th>"
                "<th rowspan=2>Errors</th><th rowspan=2>Exceptions</th>%s</tr>\n<tr><th>p50</th><th>p90</th><th>p99</th>"
                "<th>p50</th><th>p90</th><th>p99</th><th>2xx</th><th>3xx</th><th>4xx</th>"
                "<th>5xx</th>%s</tr>\n", vname(g, i),
                cpu ? "<th colspan=3>Per request</th>" : "",
                cpu ? "<th>On-CPU</th><th>Off-CPU</th><th>Waited most on</th>" : "");
        for (k = 0; k < v->nroutes; k++) {
            const struct phpbpf_report_route *x = &v->routes[k];
            unsigned c;

            printf_(g, "<tr><td class=l>%s</td><td>" PHPBPF_U64 "</td><td>%.2f</td><td>%.1f%%</td>",
                    x->other ? "<i>(other)</i>" : esc_req(g, x->route), (apr_uint64_t)x->requests,
                    x->per_s, 100.0 * x->share);
            lat3(g, &x->apache);
            lat3(g, &x->php);
            for (c = 1; c < PHPBPF_REPORT_STATUS; c++)
                td_u64(g, x->status[c]);
            td_u64(g, x->errors);
            td_u64(g, x->exceptions);
            if (cpu && x->requests)
                printf_(g, "<td>%s</td><td>%s</td><td class=l>%s</td>",
                        phpbpf_html_us(t[0], (double)x->on_us / (double)x->requests),
                        phpbpf_html_us(t[1], (double)x->off_us / (double)x->requests),
                        x->wait_us ? top_wait(g, x) : "&ndash;");
            puts_(g, "</tr>\n");
        }
        puts_(g, "</table>\n");
        if (v->routes[v->nroutes - 1].other)
            printf_(g, "<p>(other) counts the requests of every route beyond the %u this vhost's "
                    "table holds (PhpBpfMaxRoutes).</p>\n", r->max_routes);
    }
    if (r->routes_lost)
        printf_(g, "<p>" PHPBPF_U64 " requests were counted in no route (the table was full).</p>\n",
                (apr_uint64_t)r->routes_lost);
}
