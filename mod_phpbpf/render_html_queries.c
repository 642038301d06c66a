/* The HTML page's "Queries": per vhost, its SQL statements by total time,
 * each with the PHP code that ran it and the stack of its slowest run. */
#include "apr_strings.h"

#include "html_page.h"
#include "snapshot.h"

/* How many statements a vhost's table shows; ?json has them all. */
#define HTML_STMTS 25

static const char *basename_of(const char *path)
{
    const char *s = strrchr(path, '/');

    return s ? s + 1 : path;
}

static void stmt_row(struct page *g, const struct phpbpf_report_stmt *x)
{
    char t[4][PHPBPF_HTML_US];

    printf_(g, "<tr><td class=l><code>%s</code>%s<details><summary>slowest run, %s</summary>"
            "<pre class=bt>", esc_req(g, x->text), x->truncated ? " <i>(cut)</i>" : "",
            phpbpf_html_us(t[0], (double)x->slowest_us));
    phpbpf_html_frames(g, x->frame, x->nframes);
    printf_(g, "</pre></details></td><td class=l>%s</td><td class=l>%s %s</td><td>" PHPBPF_U64
            "</td><td>%s</td><td>%s</td><td>%s</td><td>%.1f%%</td><td>" PHPBPF_U64 "</td></tr>\n",
            x->caller_known ? apr_psprintf(g->p, "%s %s:%u", esc_req(g, x->caller.function),
                                           esc_req(g, basename_of(x->caller.file)), x->caller.line)
                            : "<i>(unknown)</i>",
            x->system, esc_req(g, x->server), (apr_uint64_t)x->count,
            phpbpf_html_us(t[1], (double)x->total_us), phpbpf_html_us(t[2], x->time.mean),
            phpbpf_html_us(t[3], x->time.p99), 100.0 * x->share, (apr_uint64_t)x->errors);
}

void phpbpf_html_queries(struct page *g)
{
    const struct phpbpf_report *r = g->r;
    uint32_t shown, i, k;

    if (!r->helper || !r->queries_configured)
        return;
    puts_(g, "<h2>Queries</h2>\n");
    if (r->queries_state != 1) {
        printf_(g, "<p>PhpBpfQueries is On, but SQL statements are not traced: %s.</p>\n",
                r->queries_reason ? esc(g, r->queries_reason)
                                  : "PHP has loaded neither mysqlnd.so nor libpq (php-mysql and "
                                    "php-pgsql are not installed or not enabled)");
        return;
    }
    if (r->queries_reason)
        printf_(g, "<p>Not traced: %s.</p>\n", esc(g, r->queries_reason));
    printf_(g, "<p>Each vhost's SQL statements from PHP's mysqlnd (mysqli, PDO_MySQL) and libpq "
            "(pgsql, PDO_pgsql), the "
            "most time first, over the last %u to %u s.  Literals are replaced with ?, lists "
            "with (...), comments and spacing folded: no value is kept.  The caller is the "
            "first PHP frame outside the database layer (wpdb, PDO, mysqli, Doctrine, "
            "Illuminate, Drupal's, PhpBpfDbLayer), at the line that called it.  A statement's "
            "time runs from mysqlnd sending it to its result's header; rows fetched later are "
            "not in it.</p>\n", r->window_s / 2, r->window_s);
    for (shown = 0; shown < r->nshown; shown++) {
        const struct phpbpf_report_vhost *v = &r->vhost[i = r->shown[shown]];

        if (!v->nstmts && !v->stmts_lost)
            continue;
        printf_(g, "<h3>%s</h3>\n<p>" PHPBPF_U64 " statements, %s in all, " PHPBPF_U64
                " failed.</p>\n<table>\n<tr><th class=l>Statement</th><th class=l>Caller</th>"
                "<th class=l>Server</th><th>Count</th><th>Total</th><th>Mean</th><th>p99</th>"
                "<th>PHP time share</th><th>Errors</th></tr>\n", vname(g, i),
                (apr_uint64_t)v->queries,
                phpbpf_html_us((char[PHPBPF_HTML_US]){ 0 }, (double)v->queries_us),
                (apr_uint64_t)v->query_errors);
        for (k = 0; k < v->nstmts && k < HTML_STMTS; k++)
            stmt_row(g, &v->stmts[k]);
        puts_(g, "</table>\n");
        if (v->nstmts > HTML_STMTS)
            printf_(g, "<p>%u more statements in ?json.</p>\n", v->nstmts - HTML_STMTS);
        if (v->stmts_lost)
            printf_(g, "<p>" PHPBPF_U64 " runs of statements beyond this vhost's share of the "
                    "table (%u statements, shared among vhosts) are in the totals above but not "
                    "listed.</p>\n", (apr_uint64_t)v->stmts_lost, PHPBPF_MAX_STMTS);
    }
}

/* "SQL: 42 statements, 38 ms", then each distinct one in the order it
 * first ran: "38x  12 ms  SELECT ...  update_meta_cache meta.php:600  N+1". */
void phpbpf_html_slow_queries(struct page *g, const struct phpbpf_report_slow *e)
{
    char t[2][PHPBPF_HTML_US];
    unsigned k;

    if (!e->queries_known || !e->queries)
        return;
    printf_(g, "<tr><td class=l colspan=13><pre class=bt>SQL: " PHPBPF_U64 " statements, %s",
            (apr_uint64_t)e->queries, phpbpf_html_us(t[0], (double)e->queries_us));
    for (k = 0; k < e->nstmts; k++) {
        const struct phpbpf_report_req_stmt *x = &e->stmts[k];

        printf_(g, "\n%s" PHPBPF_U64 "&times; %s  %s%s  %s", x->n_plus_one ? "<b>N+1</b> " : "",
                (apr_uint64_t)x->count, phpbpf_html_us(t[1], (double)x->total_us), esc_req(g, x->text),
                x->truncated ? " (cut)" : "",
                x->caller_known ? apr_psprintf(g->p, "from %s %s:%u", esc_req(g, x->caller.function),
                                               esc_req(g, basename_of(x->caller.file)), x->caller.line)
                                : "");
    }
    if (e->nstmts == PHPBPF_SLOW_STMTS)
        printf_(g, "\n... (the first %u distinct statements)", PHPBPF_SLOW_STMTS);
    puts_(g, "</pre></td></tr>\n");
}
